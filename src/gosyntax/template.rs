//! Go `text/template` sources, checked the way `template.Parse` checks
//! them: commit-message templates for Flux `ImageUpdateAutomation` and
//! Argo CD Image Updater.
//!
//! [`parse_template`] is a port of Go's `text/template/parse` lexer and
//! parser (Go 1.23+: `else with`, `break`/`continue`, trim markers,
//! comments, multi-line actions). It returns Go's first syntax error with a
//! byte range, or a [`TemplateInfo`] listing every field chain and function
//! used, so callers can flag removed data fields (Flux v1 dropped `.Updated`
//! and `.Changed.ImageResult`) and functions the controller does not define.
//! [`parse_tree_as_go`] also hands on Go's parse [`tree`], which
//! [`super::exec`] runs: one parser, so what is checked is what runs.
//!
//! What Go checks at parse time and so do we: delimiters, strings, numbers,
//! keywords and their nesting, declarations, undefined `$variables`,
//! duplicate `{{define}}`s. What Go checks at parse time but we only
//! report: undefined functions (Go stops at the first with
//! `function "x" not defined`; see [`TemplateInfo::unknown_functions`]).
//! Field existence is an execution-time matter in Go; [`FieldRef::resolved`]
//! gives the static path from the top-level data where it can be known.
//!
//! Deliberate limits: nesting deeper than [`MAX_NESTING`] is reported as
//! [`TemplateErrorKind::Unsupported`] instead of recursing (Go allows 10000
//! nested parentheses); `%q` quoting in messages approximates Go's
//! `strconv.Quote` for non-printable characters; `\x` and octal escapes in
//! strings give code points, not raw bytes (see
//! [`super::strconv::unquote_char`]).

use std::fmt;
use std::ops::Range;

use super::regex::{is_go_digit, is_go_letter};
use super::strconv::{
    NumError, is_print, parse_float, parse_int, parse_uint, quote, unquote, unquote_char,
};

pub mod tree;

use tree::{Command, Control, Define, Node, Number, Operand, Pipe, TemplateCall, Term, Tree};

/// Nesting of parentheses and control blocks this parser will follow.
pub const MAX_NESTING: usize = 64;

/// Functions `text/template` always defines.
#[rustfmt::skip]
pub const GO_BUILTIN_FUNCTIONS: &[&str] = &[
    "and", "call", "eq", "ge", "gt", "html", "index", "js", "le", "len", "lt", "ne", "not", "or",
    "print", "printf", "println", "slice", "urlquery",
];

/// `sprig.HermeticTxtFuncMap()` (Sprig v3.3): everything Sprig defines
/// except the functions that read the clock, randomness, the environment or
/// the network. This is what Flux registers for commit templates.
#[rustfmt::skip]
pub const SPRIG_HERMETIC_FUNCTIONS: &[&str] = &[
    "abbrev", "abbrevboth", "add", "add1", "add1f", "addf", "adler32sum", "ago", "all", "any",
    "append", "atoi", "b32dec", "b32enc", "b64dec", "b64enc", "base", "bcrypt", "biggest",
    "buildCustomCert", "camelcase", "cat", "ceil", "chunk", "clean", "coalesce", "compact",
    "concat", "contains", "decryptAES", "deepCopy", "deepEqual", "default", "derivePassword",
    "dict", "dig", "dir", "div", "divf", "duration", "durationRound", "empty", "encryptAES", "ext",
    "fail", "first", "float64", "floor", "fromJson", "genCA", "genCAWithKey", "genPrivateKey",
    "genSelfSignedCert", "genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey", "get",
    "has", "hasKey", "hasPrefix", "hasSuffix", "hello", "htpasswd", "indent", "initial", "initials",
    "int", "int64", "isAbs", "join", "kebabcase", "keys", "kindIs", "kindOf", "last", "list",
    "lower", "max", "maxf", "merge", "mergeOverwrite", "min", "minf", "mod", "mul", "mulf",
    "mustAppend", "mustChunk", "mustCompact", "mustDateModify", "mustDeepCopy", "mustFirst",
    "mustFromJson", "mustHas", "mustInitial", "mustLast", "mustMerge", "mustMergeOverwrite",
    "mustPrepend", "mustPush", "mustRegexFind", "mustRegexFindAll", "mustRegexMatch",
    "mustRegexReplaceAll", "mustRegexReplaceAllLiteral", "mustRegexSplit", "mustRest",
    "mustReverse", "mustSlice", "mustToDate", "mustToJson", "mustToPrettyJson", "mustToRawJson",
    "mustUniq", "mustWithout", "must_date_modify", "nindent", "nospace", "omit", "osBase",
    "osClean", "osDir", "osExt", "osIsAbs", "pick", "pluck", "plural", "prepend", "push", "quote",
    "randInt", "randSeededNumeric", "regexFind", "regexFindAll", "regexMatch", "regexQuoteMeta",
    "regexReplaceAll", "regexReplaceAllLiteral", "regexSplit", "repeat", "replace", "rest",
    "reverse", "round", "semver", "semverCompare", "seq", "set", "sha1sum", "sha256sum",
    "sha512sum", "shuffle", "slice", "snakecase", "sortAlpha", "split", "splitList", "splitn",
    "squote", "sub", "subf", "substr", "swapcase", "ternary", "title", "toDate", "toDecimal",
    "toJson", "toPrettyJson", "toRawJson", "toString", "toStrings", "trim", "trimAll", "trimPrefix",
    "trimSuffix", "trimall", "trunc", "tuple", "typeIs", "typeIsLike", "typeOf", "uniq",
    "unixEpoch", "unset", "until", "untilStep", "untitle", "upper", "urlJoin", "urlParse", "values",
    "without", "wrap", "wrapWith",
];

/// Sprig functions `HermeticTxtFuncMap` removes; a template using one fails
/// to parse in Flux even though Helm users know them.
#[rustfmt::skip]
pub const SPRIG_NONHERMETIC_FUNCTIONS: &[&str] = &[
    "date", "date_in_zone", "date_modify", "dateInZone", "dateModify", "env", "expandenv",
    "getHostByName", "htmlDate", "htmlDateInZone", "now", "randAlpha", "randAlphaNum", "randAscii",
    "randBytes", "randNumeric", "uuidv4",
];

/// A Go builtin or a hermetic Sprig function.
pub fn is_known_function(name: &str) -> bool {
    GO_BUILTIN_FUNCTIONS.contains(&name) || SPRIG_HERMETIC_FUNCTIONS.contains(&name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateErrorKind {
    /// Go's parser rejects the template with this message.
    Syntax,
    /// Go may accept it but this checker will not follow it (nesting).
    Unsupported,
}

/// Go's parse error. `message` is Go's text without the
/// `template: NAME:LINE:` prefix (see [`TemplateError::go_message`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub kind: TemplateErrorKind,
    pub message: String,
    /// Where to point: the offending token, or the whole action for
    /// action-level errors (a stray `{{end}}`, `{{}}`); an empty range at
    /// the end of input for "unexpected EOF" and "unclosed action".
    pub range: Range<usize>,
    /// Where the unterminated construct began: the `{{` of an unclosed
    /// action or comment, or the opening `{{range …}}`-style action that
    /// lacks its `{{end}}`.
    pub opened_at: Option<Range<usize>>,
    /// For errors found by Go's lexer: the `{{` of the action being read,
    /// which Go names when it is on another line ("… in action started at").
    pub action_start: Option<usize>,
    /// The offset whose line Go prints: the newest token Go's lexer had
    /// produced, which after lookahead can be past `range`.
    pub go_line_at: usize,
}

impl TemplateError {
    /// The error as `template.Parse` words it, e.g.
    /// `template: commit message:3: unexpected EOF`.
    pub fn go_message(&self, template_name: &str, src: &str) -> String {
        let line_of = |at: usize| {
            1 + src.as_bytes()[..at.min(src.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
        };
        let line = line_of(self.go_line_at);
        let mut extra = String::new();
        if let Some(start) = self.action_start
            && line_of(start) != line
        {
            let started = format!("started at {template_name}:{}", line_of(start));
            // Go avoids saying "action in action".
            extra = if self.message.ends_with(" action") {
                format!(" {started}")
            } else {
                format!(" in action {started}")
            };
        }
        format!("template: {template_name}:{line}: {}{extra}", self.message)
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {}

/// What a field chain hangs off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldRoot {
    /// `.A.B`: the current dot.
    Dot,
    /// `$x.A`, `$.A`: a variable, named with its `$`.
    Var(String),
    /// `(pipeline).A` or `fn.A`: the result of an expression.
    Expr,
}

/// One field chain in the template source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef {
    /// Field names without dots: `.Changed.FileChanges` is
    /// `["Changed", "FileChanges"]`.
    pub chain: Vec<String>,
    pub root: FieldRoot,
    /// The whole reference, root included (`$x.Name`, `.A.B`).
    pub range: Range<usize>,
    /// Each `.Name` segment, parallel to `chain`.
    pub segments: Vec<Range<usize>>,
    /// The path from the template's top-level data when it is statically
    /// known: dot outside `range` (and through `with`), `$`, and variables
    /// bound to such paths. `None` inside `range` bodies, `define`/`block`
    /// bodies, and for expression roots.
    pub resolved: Option<Vec<String>>,
}

impl FieldRef {
    /// The chain hangs off the current dot (`.A.B`), wherever that is.
    /// Prefer [`FieldRef::resolved`] to ask "is this the top-level data".
    pub fn is_dot_rooted(&self) -> bool {
        self.root == FieldRoot::Dot
    }

    /// The path from the top-level data, when known (see `resolved`).
    pub fn top_level_path(&self) -> Option<&[String]> {
        self.resolved.as_deref()
    }
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.root {
            FieldRoot::Dot => {}
            FieldRoot::Var(v) => f.write_str(v)?,
            FieldRoot::Expr => f.write_str("(…)")?,
        }
        for c in &self.chain {
            write!(f, ".{c}")?;
        }
        Ok(())
    }
}

/// Everything a successful parse found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateInfo {
    /// Field chains in source order.
    pub fields: Vec<FieldRef>,
    /// Every identifier used as a function, with its range, in source order.
    pub functions: Vec<(String, Range<usize>)>,
    /// `{{define "x"}}` and `{{block "x" …}}` names, at their name token.
    pub defined_templates: Vec<(String, Range<usize>)>,
    /// `{{template "x"}}` and `{{block "x"}}` invocations.
    pub template_calls: Vec<(String, Range<usize>)>,
}

impl TemplateInfo {
    /// Functions that are neither Go builtins nor hermetic Sprig functions:
    /// Go's parser fails on the first of these with `function "x" not
    /// defined`.
    pub fn unknown_functions(&self) -> Vec<(String, Range<usize>)> {
        self.functions
            .iter()
            .filter(|(n, _)| !is_known_function(n))
            .cloned()
            .collect()
    }

    /// Template calls naming no `define`/`block` in this source; Go fails
    /// at execution with `no such template`.
    pub fn undefined_template_calls(&self) -> Vec<(String, Range<usize>)> {
        self.template_calls
            .iter()
            .filter(|(n, _)| !self.defined_templates.iter().any(|(d, _)| d == n))
            .cloned()
            .collect()
    }
}

/// Parse like Go's `template.Parse`, except that undefined functions are
/// collected in [`TemplateInfo::functions`] instead of failing the parse.
pub fn parse_template(src: &str) -> Result<TemplateInfo, TemplateError> {
    run_parser(src, None, None).map(|(info, _)| info)
}

/// Parse exactly like `template.New(name).Funcs(funcs).Parse(src)`: the
/// first identifier `is_function` rejects fails with Go's `function "x" not
/// defined`, and a `{{define}}` reusing `name` collides with the top-level
/// template. Go builtins are always defined; pass [`is_known_function`] for
/// Flux's function map.
pub fn parse_template_as_go(
    src: &str,
    name: &str,
    is_function: &dyn Fn(&str) -> bool,
) -> Result<TemplateInfo, TemplateError> {
    run_parser(src, Some(name), Some(is_function)).map(|(info, _)| info)
}

/// [`parse_template_as_go`], and the tree Go would execute.
pub fn parse_tree_as_go(
    src: &str,
    name: &str,
    is_function: &dyn Fn(&str) -> bool,
) -> Result<(TemplateInfo, Tree), TemplateError> {
    run_parser(src, Some(name), Some(is_function))
}

fn run_parser(
    src: &str,
    name: Option<&str>,
    is_function: Option<&dyn Fn(&str) -> bool>,
) -> Result<(TemplateInfo, Tree), TemplateError> {
    let items = lex(src);
    let mut p = Parser::new(src, items);
    p.is_function = is_function;
    let (top_empty, root) = p.parse()?;
    if let Some(name) = name {
        // Go adds the top-level tree last, after every {{define}}.
        if let Some((_, def_empty)) = p.defs.iter().find(|(n, _)| n == name)
            && !def_empty
            && !top_empty
        {
            let end = src.len();
            let mut e = p.err(
                format!("template: multiple definition of template {}", quote(name)),
                end..end,
            );
            e.go_line_at = end;
            return Err(e);
        }
    }
    let mut info = p.info;
    info.fields.sort_by_key(|f| f.range.start);
    info.functions.sort_by_key(|f| f.1.start);
    let tree = Tree {
        root,
        defines: p.defines,
    };
    Ok((info, tree))
}

// ---------------------------------------------------------------------------
// Lexer: a port of text/template/parse/lex.go (the goroutine-free version).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum T {
    Error,
    Bool,
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords.
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl T {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            T::Block
                | T::Break
                | T::Continue
                | T::Dot
                | T::Define
                | T::Else
                | T::End
                | T::If
                | T::Nil
                | T::Range
                | T::Template
                | T::With
        )
    }
}

#[derive(Debug, Clone)]
struct Item {
    typ: T,
    start: usize,
    end: usize,
    /// Error text for `T::Error`.
    msg: String,
    /// For errors: where the unterminated construct began.
    opened: Option<Range<usize>>,
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || is_go_letter(c) || is_go_digit(c)
}

fn has_left_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    paren_depth: i64,
    /// Offsets of the `(`s still open in this action.
    parens: Vec<usize>,
    items: Vec<Item>,
    action_open: Range<usize>,
}

enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    InsideAction,
    Space,
    Identifier,
    Field,
    Variable,
    Char,
    Number,
    Quote,
    RawQuote,
}

fn lex(input: &str) -> Vec<Item> {
    let mut l = Lexer {
        input,
        pos: 0,
        start: 0,
        paren_depth: 0,
        parens: Vec::new(),
        items: Vec::new(),
        action_open: 0..0,
    };
    let mut state = Some(State::Text);
    while let Some(s) = state {
        state = l.step(s);
    }
    if !matches!(l.items.last().map(|i| i.typ), Some(T::Eof | T::Error)) {
        l.items.push(Item {
            typ: T::Eof,
            start: input.len(),
            end: input.len(),
            msg: String::new(),
            opened: None,
        });
    }
    l.items
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.input[self.pos.min(self.input.len())..]
    }

    fn next(&mut self) -> Option<char> {
        let c = self.rest().chars().next()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn backup(&mut self, c: Option<char>) {
        if let Some(c) = c {
            self.pos -= c.len_utf8();
        }
    }

    fn emit(&mut self, typ: T) {
        self.items.push(Item {
            typ,
            start: self.start,
            end: self.pos,
            msg: String::new(),
            opened: None,
        });
        self.start = self.pos;
    }

    fn ignore(&mut self) {
        self.start = self.pos;
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn errorf(&mut self, msg: String, opened: Option<Range<usize>>) -> Option<State> {
        self.items.push(Item {
            typ: T::Error,
            start: self.start,
            end: self.pos.max(self.start),
            msg,
            opened,
        });
        None
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim(rest) && rest[2..].starts_with(RIGHT) {
            return (true, true);
        }
        (rest.starts_with(RIGHT), false)
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            Some(_) => self.rest().starts_with(RIGHT),
        }
    }

    fn step(&mut self, state: State) -> Option<State> {
        match state {
            State::Text => {
                if let Some(x) = self.rest().find(LEFT) {
                    let at = self.pos + x;
                    if x > 0 {
                        let mut trim = 0;
                        if has_left_trim(&self.input[at + LEFT.len()..]) {
                            let text = &self.input[self.start..at];
                            trim = text.len() - text.trim_end_matches(is_space).len();
                        }
                        self.pos = at - trim;
                        if self.pos > self.start {
                            self.emit(T::Text);
                        }
                        self.pos = at;
                        self.ignore();
                    }
                    return Some(State::LeftDelim);
                }
                self.pos = self.input.len();
                if self.pos > self.start {
                    self.emit(T::Text);
                }
                self.emit(T::Eof);
                None
            }
            State::LeftDelim => {
                let open = self.pos;
                self.pos += LEFT.len();
                let trim = has_left_trim(self.rest());
                let after = if trim { 2 } else { 0 };
                if self.rest()[after..].starts_with("/*") {
                    self.action_open = open..self.pos;
                    self.pos += after;
                    self.ignore();
                    return Some(State::Comment);
                }
                self.emit(T::LeftDelim);
                self.action_open = open..self.pos;
                self.pos += after;
                self.ignore();
                self.paren_depth = 0;
                self.parens.clear();
                Some(State::InsideAction)
            }
            State::Comment => {
                self.pos += 2;
                let Some(x) = self.rest().find("*/") else {
                    let open = self.action_open.clone();
                    return self.errorf("unclosed comment".into(), Some(open));
                };
                self.pos += x + 2;
                let (delim, trim) = self.at_right_delim();
                if !delim {
                    let open = self.action_open.clone();
                    return self.errorf("comment ends before closing delimiter".into(), Some(open));
                }
                if trim {
                    self.pos += 2;
                }
                self.pos += RIGHT.len();
                if trim {
                    self.pos += self.rest().len() - self.rest().trim_start_matches(is_space).len();
                }
                self.ignore();
                Some(State::Text)
            }
            State::RightDelim => {
                let (_, trim) = self.at_right_delim();
                if trim {
                    self.pos += 2;
                    self.ignore();
                }
                self.pos += RIGHT.len();
                self.emit(T::RightDelim);
                if trim {
                    self.pos += self.rest().len() - self.rest().trim_start_matches(is_space).len();
                    self.ignore();
                }
                Some(State::Text)
            }
            State::InsideAction => {
                let (delim, _) = self.at_right_delim();
                if delim {
                    if self.paren_depth == 0 {
                        return Some(State::RightDelim);
                    }
                    let open = self.parens.last().map(|&p| p..p + 1);
                    return self.errorf("unclosed left paren".into(), open);
                }
                let r = self.next();
                match r {
                    None => {
                        let open = self.action_open.clone();
                        self.errorf("unclosed action".into(), Some(open))
                    }
                    Some(c) if is_space(c) => {
                        self.backup(r);
                        Some(State::Space)
                    }
                    Some('=') => {
                        self.emit(T::Assign);
                        Some(State::InsideAction)
                    }
                    Some(':') => {
                        if self.next() != Some('=') {
                            return self.errorf("expected :=".into(), None);
                        }
                        self.emit(T::Declare);
                        Some(State::InsideAction)
                    }
                    Some('|') => {
                        self.emit(T::Pipe);
                        Some(State::InsideAction)
                    }
                    Some('"') => Some(State::Quote),
                    Some('`') => Some(State::RawQuote),
                    Some('$') => Some(State::Variable),
                    Some('\'') => Some(State::Char),
                    // ".field" unless a digit (or nothing) follows: then a number.
                    Some('.')
                        if self
                            .rest()
                            .as_bytes()
                            .first()
                            .is_some_and(|b| !b.is_ascii_digit()) =>
                    {
                        Some(State::Field)
                    }
                    Some('.' | '+' | '-' | '0'..='9') => {
                        self.backup(r);
                        Some(State::Number)
                    }
                    Some(c) if is_alnum(c) => {
                        self.backup(r);
                        Some(State::Identifier)
                    }
                    Some('(') => {
                        self.paren_depth += 1;
                        self.parens.push(self.pos - 1);
                        self.emit(T::LeftParen);
                        Some(State::InsideAction)
                    }
                    Some(')') => {
                        self.paren_depth -= 1;
                        self.parens.pop();
                        if self.paren_depth < 0 {
                            return self.errorf("unexpected right paren".into(), None);
                        }
                        self.emit(T::RightParen);
                        Some(State::InsideAction)
                    }
                    Some(c) if c.is_ascii() && !c.is_ascii_control() => {
                        self.emit(T::Char);
                        Some(State::InsideAction)
                    }
                    Some(c) => self.errorf(
                        format!("unrecognized character in action: {}", sharp_u(c)),
                        None,
                    ),
                }
            }
            State::Space => {
                let mut n = 0;
                while let Some(c) = self.peek() {
                    if !is_space(c) {
                        break;
                    }
                    self.pos += c.len_utf8();
                    n += 1;
                }
                // A " -}}" closing delimiter starts with a space: leave it.
                let before = &self.input[self.pos - 1..];
                if has_right_trim(before) && before[2..].starts_with(RIGHT) {
                    self.pos -= 1;
                    if n == 1 {
                        return Some(State::RightDelim);
                    }
                }
                self.emit(T::Space);
                Some(State::InsideAction)
            }
            State::Identifier => loop {
                let r = self.next();
                match r {
                    Some(c) if is_alnum(c) => {}
                    _ => {
                        self.backup(r);
                        if !self.at_terminator() {
                            let c = self.peek().unwrap_or('\u{FFFD}');
                            return self.errorf(format!("bad character {}", sharp_u(c)), None);
                        }
                        let word = &self.input[self.start..self.pos];
                        let typ = match word {
                            "block" => T::Block,
                            "break" => T::Break,
                            "continue" => T::Continue,
                            "define" => T::Define,
                            "else" => T::Else,
                            "end" => T::End,
                            "if" => T::If,
                            "range" => T::Range,
                            "nil" => T::Nil,
                            "template" => T::Template,
                            "with" => T::With,
                            "true" | "false" => T::Bool,
                            _ => T::Identifier,
                        };
                        self.emit(typ);
                        return Some(State::InsideAction);
                    }
                }
            },
            State::Variable => {
                if self.at_terminator() {
                    self.emit(T::Variable);
                    return Some(State::InsideAction);
                }
                self.field_or_variable(T::Variable)
            }
            State::Field => self.field_or_variable(T::Field),
            State::Char => {
                self.escaped_until('\'', "unterminated character constant", T::CharConstant)
            }
            State::Number => {
                if !self.scan_number() {
                    let text = quote(&self.input[self.start..self.pos]);
                    return self.errorf(format!("bad number syntax: {text}"), None);
                }
                if matches!(self.peek(), Some('+' | '-')) {
                    // Complex: 1+2i, no spaces, must end in 'i'.
                    if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                        let text = quote(&self.input[self.start..self.pos]);
                        return self.errorf(format!("bad number syntax: {text}"), None);
                    }
                    self.emit(T::Complex);
                } else {
                    self.emit(T::Number);
                }
                Some(State::InsideAction)
            }
            State::Quote => self.escaped_until('"', "unterminated quoted string", T::String),
            State::RawQuote => {
                loop {
                    match self.next() {
                        None => return self.errorf("unterminated raw quoted string".into(), None),
                        Some('`') => break,
                        Some(_) => {}
                    }
                }
                self.emit(T::RawString);
                Some(State::InsideAction)
            }
        }
    }

    /// A `'c'` or `"s"` literal after its opening quote: backslash escapes
    /// anything but a newline, and a newline or the end of input before
    /// `close` is Go's "unterminated" error.
    fn escaped_until(&mut self, close: char, unterminated: &str, token: T) -> Option<State> {
        loop {
            match self.next() {
                Some('\\') => {
                    if matches!(self.next(), None | Some('\n')) {
                        return self.errorf(unterminated.into(), None);
                    }
                }
                None | Some('\n') => return self.errorf(unterminated.into(), None),
                Some(c) if c == close => break,
                Some(_) => {}
            }
        }
        self.emit(token);
        Some(State::InsideAction)
    }

    fn field_or_variable(&mut self, typ: T) -> Option<State> {
        if self.at_terminator() {
            self.emit(if typ == T::Variable {
                T::Variable
            } else {
                T::Dot
            });
            return Some(State::InsideAction);
        }
        while let Some(c) = self.peek() {
            if !is_alnum(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\u{FFFD}');
            return self.errorf(format!("bad character {}", sharp_u(c)), None);
        }
        self.emit(typ);
        Some(State::InsideAction)
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            // A leading 0 does not mean octal in floats.
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alnum) {
            self.next();
            return false;
        }
        true
    }
}

/// Go's `%#U`: `U+0041 'A'`, or just `U+0000` when not printable.
fn sharp_u(c: char) -> String {
    if is_print(c) {
        format!("U+{:04X} '{c}'", c as u32)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

// ---------------------------------------------------------------------------
// Literal checks the parser delegates to strconv and fmt in Go.

/// Why Go's parser rejects a number, rune or complex literal, worded as Go
/// words it (the parse error's message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum NumberError {
    /// A rune literal `unquote_char` cannot read.
    #[error("invalid syntax")]
    Syntax,
    #[error("malformed character constant: {0}")]
    MalformedChar(String),
    #[error("syntax error scanning complex number")]
    Complex,
    /// A part of a complex literal `strconv.ParseFloat` rejects.
    #[error("strconv.ParseFloat: parsing {}: {why}", quote(.part))]
    ParseFloat { part: String, why: NumError },
    /// The exponent of a complex part with a binary exponent.
    #[error("strconv.Atoi: parsing {}: invalid syntax", quote(.0))]
    Atoi(String),
    #[error("integer overflow: {}", quote(.0))]
    IntegerOverflow(String),
    #[error("illegal number syntax: {}", quote(.0))]
    Illegal(String),
}

/// `fmt.Sscan` into a `complex128`, as Go's parser does for `1+2i` tokens.
fn complex_error(text: &str) -> Option<NumberError> {
    let b = text.as_bytes();
    let mut pos = 0;
    let accept = |pos: &mut usize, set: &[u8]| -> bool {
        if b.get(*pos).is_some_and(|c| set.contains(c)) {
            *pos += 1;
            true
        } else {
            false
        }
    };
    // fmt's floatToken.
    let float_token = |pos: &mut usize| -> String {
        let start = *pos;
        if accept(pos, b"nN") && accept(pos, b"aA") && accept(pos, b"nN") {
            return text[start..*pos].to_string();
        }
        accept(pos, b"+-");
        if accept(pos, b"iI") && accept(pos, b"nN") && accept(pos, b"fF") {
            return text[start..*pos].to_string();
        }
        let mut digits: &[u8] = b"0123456789_";
        let mut exp: &[u8] = b"eEpP";
        if accept(pos, b"0") && accept(pos, b"xX") {
            digits = b"0123456789aAbBcCdDeEfF_";
            exp = b"pP";
        }
        while accept(pos, digits) {}
        if accept(pos, b".") {
            while accept(pos, digits) {}
        }
        if accept(pos, exp) {
            accept(pos, b"+-");
            while accept(pos, b"0123456789_") {}
        }
        text[start..*pos].to_string()
    };
    let real = float_token(&mut pos);
    let sign_at = pos;
    if !accept(&mut pos, b"+-") {
        return Some(NumberError::Complex);
    }
    let imag = format!("{}{}", &text[sign_at..pos], float_token(&mut pos));
    if !accept(&mut pos, b"i") {
        return Some(NumberError::Complex);
    }
    for part in [real, imag] {
        // fmt's convertFloat: a 'p' without 'x' is a decimal mantissa with a
        // binary exponent, parsed in two steps.
        if let Some(p) = part.find('p')
            && !part.contains(['x', 'X'])
        {
            if let Err(why) = parse_float(&part[..p]) {
                return Some(NumberError::ParseFloat { part, why });
            }
            let e = part[p + 1..]
                .strip_prefix(['+', '-'])
                .unwrap_or(&part[p + 1..]);
            if e.is_empty() || !e.bytes().all(|c| c.is_ascii_digit()) {
                return Some(NumberError::Atoi(part));
            }
            continue;
        }
        if let Err(why) = parse_float(&part) {
            return Some(NumberError::ParseFloat { part, why });
        }
    }
    None
}

/// Go's `newNumber`: the readings of a number, rune or complex literal
/// that Go's parser finds valid, or Go's message.
fn number(text: &str, typ: T) -> Result<Number, NumberError> {
    let mut n = Number {
        text: text.to_owned(),
        int: None,
        uint: None,
        float: None,
        complex: false,
    };
    match typ {
        T::CharConstant => {
            let (c, tail) = unquote_char(&text[1..], '\'').ok_or(NumberError::Syntax)?;
            if tail != "'" {
                return Err(NumberError::MalformedChar(text.to_owned()));
            }
            let v = u32::from(c);
            (n.int, n.uint, n.float) = (Some(v.into()), Some(v.into()), Some(v.into()));
            return Ok(n);
        }
        T::Complex => {
            if let Some(e) = complex_error(text) {
                return Err(e);
            }
            n.complex = true;
            return Ok(n);
        }
        _ => {}
    }
    if let Some(im) = text.strip_suffix('i')
        && parse_float(im).is_ok()
    {
        n.complex = true;
        return Ok(n);
    }
    n.uint = parse_uint(text).ok();
    if let Ok(i) = parse_int(text) {
        n.int = Some(i);
        // "-0": ParseUint fails on the sign but the value is a uint.
        n.uint = n.uint.or(Some(0).filter(|_| i == 0));
    }
    if let Some(i) = n.int {
        n.float = Some(i as f64);
    } else if let Some(u) = n.uint {
        n.float = Some(u as f64);
    } else if let Ok(f) = parse_float(text) {
        // Integer-looking but past u64: Go refuses it.
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(NumberError::IntegerOverflow(text.to_owned()));
        }
        n.float = Some(f);
        // Go's `float64(int64(f)) == f`, without relying on what an
        // out-of-range conversion gives.
        const TWO_63: f64 = 9_223_372_036_854_775_808.0;
        if f.fract() == 0.0 && (-TWO_63..TWO_63).contains(&f) {
            n.int = Some(f as i64);
        }
        if f.fract() == 0.0 && (0.0..2.0 * TWO_63).contains(&f) {
            n.uint = Some(f as u64);
        }
    }
    if n.int.is_none() && n.uint.is_none() && n.float.is_none() {
        return Err(NumberError::Illegal(text.to_owned()));
    }
    Ok(n)
}

// ---------------------------------------------------------------------------
// Parser: a port of text/template/parse/parse.go that builds Go's tree and
// records what the linter needs on the way.

/// What the linter knows of an operand besides its node: whether it is a
/// literal (Go's "non executable command" check), and its static value path.
struct Static {
    literal: bool,
    path: Option<Vec<String>>,
}

/// A pipeline and its static value path.
struct Piped {
    pipe: Pipe,
    path: Option<Vec<String>>,
}

/// What `text_or_action` read.
enum Listed {
    /// A node, and whether it is blank text (Go's `IsEmptyTree`).
    Node(Node, bool),
    End(Range<usize>),
    Else(Range<usize>),
}

/// How an item list ended.
enum Stop {
    End,
    Else(Range<usize>),
}

#[derive(Clone)]
struct Var {
    name: String,
    path: Option<Vec<String>>,
}

struct Parser<'a> {
    src: &'a str,
    items: Vec<Item>,
    idx: usize,
    vars: Vec<Var>,
    dot: Option<Vec<String>>,
    range_depth: usize,
    depth: usize,
    /// Opening actions of the controls being parsed, innermost last.
    open: Vec<Range<usize>>,
    /// `{{` of the action being parsed.
    action_start: usize,
    /// Defined template names and whether their body is empty.
    defs: Vec<(String, bool)>,
    /// The trees of `{{define}}` and `{{block}}`, as each ends.
    defines: Vec<Define>,
    furthest: std::cell::Cell<usize>,
    /// Go's `actionLine`: the `{{` of the action being read, cleared (not
    /// restored) when an action finishes, exactly as Go does.
    action_line: Option<usize>,
    is_function: Option<&'a dyn Fn(&str) -> bool>,
    info: TemplateInfo,
}

type PResult<T> = Result<T, TemplateError>;

impl<'a> Parser<'a> {
    fn new(src: &'a str, items: Vec<Item>) -> Self {
        Parser {
            src,
            items,
            idx: 0,
            vars: vec![Var {
                name: "$".into(),
                path: Some(Vec::new()),
            }],
            dot: Some(Vec::new()),
            range_depth: 0,
            depth: 0,
            open: Vec::new(),
            action_start: 0,
            defs: Vec::new(),
            defines: Vec::new(),
            furthest: std::cell::Cell::new(0),
            action_line: None,
            is_function: None,
            info: TemplateInfo::default(),
        }
    }

    fn item(&self, i: usize) -> &Item {
        let i = i.min(self.items.len() - 1);
        // Go words its messages with the line of the newest token its
        // lexer produced, lookahead included; remember how far that is.
        self.furthest.set(self.furthest.get().max(i));
        &self.items[i]
    }

    fn next(&mut self) -> Item {
        let it = self.item(self.idx).clone();
        if self.idx < self.items.len() - 1 {
            self.idx += 1;
        } else {
            // Past the final EOF/error item: keep returning it, but let a
            // later backup() land on it again.
            self.idx = self.items.len();
        }
        it
    }

    fn backup(&mut self) {
        self.idx = self.idx.saturating_sub(1);
    }

    fn peek(&self) -> Item {
        self.item(self.idx).clone()
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let t = self.next();
            if t.typ != T::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        while self.item(self.idx).typ == T::Space && self.idx < self.items.len() {
            self.idx += 1;
        }
        self.peek()
    }

    fn text(&self, it: &Item) -> &'a str {
        &self.src[it.start..it.end]
    }

    fn err(&self, message: impl Into<String>, range: Range<usize>) -> TemplateError {
        let go_line_at = self.items[self.furthest.get()].start;
        TemplateError {
            kind: TemplateErrorKind::Syntax,
            message: message.into(),
            range,
            opened_at: None,
            action_start: None,
            go_line_at,
        }
    }

    /// Go's `unexpected`: a lexer error speaks for itself.
    fn unexpected(&self, it: &Item, context: &str) -> TemplateError {
        if it.typ == T::Error {
            return TemplateError {
                kind: TemplateErrorKind::Syntax,
                message: it.msg.clone(),
                range: it.start..it.end,
                opened_at: it.opened.clone(),
                action_start: self.action_line,
                go_line_at: it.start,
            };
        }
        let mut e = self.err(
            format!("unexpected {} in {context}", self.describe(it)),
            it.start..it.end,
        );
        if it.typ == T::Eof {
            e.opened_at = self.open.last().cloned();
        }
        e
    }

    /// Go's `item.String()`.
    fn describe(&self, it: &Item) -> String {
        match it.typ {
            T::Eof => "EOF".into(),
            T::Error => it.msg.clone(),
            t if t.is_keyword() => format!("<{}>", self.text(it)),
            _ => {
                let v = self.text(it);
                if v.len() > 10 {
                    let short: String = v.chars().take(10).collect();
                    format!("{}...", quote(&short))
                } else {
                    quote(v)
                }
            }
        }
    }

    fn enter(&mut self, at: Range<usize>) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(TemplateError {
                kind: TemplateErrorKind::Unsupported,
                message: format!("template nests more than {MAX_NESTING} levels deep; not checked"),
                go_line_at: at.start,
                range: at,
                opened_at: None,
                action_start: None,
            });
        }
        Ok(())
    }

    /// Go's top-level `parse`: the top-level list, and whether it is empty
    /// in Go's `IsEmptyTree` sense.
    fn parse(&mut self) -> PResult<(bool, Vec<Node>)> {
        let mut empty = true;
        let mut root = Vec::new();
        while self.peek().typ != T::Eof {
            if self.peek().typ == T::LeftDelim {
                let delim_idx = self.idx;
                let delim = self.next();
                let keyword = self.next_non_space();
                if keyword.typ == T::Define {
                    self.action_start = delim.start;
                    self.parse_definition(delim.start, keyword.start..keyword.end)?;
                    continue;
                }
                self.idx = delim_idx;
            }
            match self.text_or_action()? {
                Listed::End(r) => return Err(self.err("unexpected {{end}}", r)),
                Listed::Else(range) => return Err(self.err("unexpected {{else}}", range)),
                Listed::Node(node, blank) => {
                    empty &= blank;
                    root.push(node);
                }
            }
        }
        Ok((empty, root))
    }

    /// Runs `body` as a separate template tree (define/block): fresh
    /// variables, unknown dot, no enclosing range.
    fn in_new_tree<R>(&mut self, body: impl FnOnce(&mut Self) -> PResult<R>) -> PResult<R> {
        let vars = std::mem::replace(
            &mut self.vars,
            vec![Var {
                name: "$".into(),
                path: None,
            }],
        );
        let dot = self.dot.take();
        let range_depth = std::mem::replace(&mut self.range_depth, 0);
        let r = body(self);
        self.vars = vars;
        self.dot = dot;
        self.range_depth = range_depth;
        r
    }

    /// The body of a define or block, up to its `{{end}}`, as its own tree.
    fn definition_body(&mut self, at: Range<usize>) -> PResult<(bool, Vec<Node>, Stop)> {
        self.in_new_tree(|p| {
            p.open.push(at);
            let r = p.item_list();
            p.open.pop();
            r
        })
    }

    fn add_definition(&mut self, name: &str, empty: bool, at: Range<usize>) -> PResult<()> {
        if let Some(existing) = self.defs.iter_mut().find(|(n, _)| n == name) {
            if existing.1 {
                existing.1 = empty;
            } else if !empty {
                return Err(self.err(
                    format!("template: multiple definition of template {}", quote(name)),
                    at,
                ));
            }
        } else {
            self.defs.push((name.to_string(), empty));
        }
        self.info.defined_templates.push((name.to_string(), at));
        Ok(())
    }

    fn parse_definition(&mut self, open: usize, keyword: Range<usize>) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let name_tok = self.next_non_space();
        if name_tok.typ != T::String && name_tok.typ != T::RawString {
            return Err(self.unexpected(&name_tok, CONTEXT));
        }
        let Some(name) = unquote(self.text(&name_tok)) else {
            return Err(self.err("invalid syntax", name_tok.start..name_tok.end));
        };
        let close = self.next_non_space();
        if close.typ != T::RightDelim {
            return Err(self.unexpected(&close, CONTEXT));
        }
        let (empty, body, end) = self.definition_body(open..close.end)?;
        if let Stop::Else(range) = end {
            return Err(self.err(format!("unexpected {{{{else}}}} in {CONTEXT}"), range));
        }
        self.add_definition(&name, empty, name_tok.start..name_tok.end)?;
        self.defines.push(Define {
            name,
            keyword,
            body,
        });
        Ok(())
    }

    /// Go's `itemList`: up to `{{end}}` or `{{else}}`. Returns whether the
    /// list is empty in Go's `IsEmptyTree` sense, its nodes, and how it
    /// ended.
    fn item_list(&mut self) -> PResult<(bool, Vec<Node>, Stop)> {
        let mut empty = true;
        let mut nodes = Vec::new();
        while self.peek_non_space().typ != T::Eof {
            match self.text_or_action()? {
                Listed::End(_) => return Ok((empty, nodes, Stop::End)),
                Listed::Else(range) => return Ok((empty, nodes, Stop::Else(range))),
                Listed::Node(node, blank) => {
                    empty &= blank;
                    nodes.push(node);
                }
            }
        }
        let eof = self.peek();
        let mut e = self.err("unexpected EOF", eof.start..eof.end);
        e.opened_at = self.open.last().cloned();
        Err(e)
    }

    fn text_or_action(&mut self) -> PResult<Listed> {
        let tok = self.next_non_space();
        match tok.typ {
            T::Text => Ok(Listed::Node(
                Node::Text(tok.start..tok.end),
                self.text(&tok).trim().is_empty(),
            )),
            T::LeftDelim => {
                let saved = self.action_start;
                self.action_start = tok.start;
                self.action_line = Some(tok.start);
                let r = self.action();
                self.action_line = None;
                self.action_start = saved;
                r
            }
            _ => Err(self.unexpected(&tok, "input")),
        }
    }

    fn action(&mut self) -> PResult<Listed> {
        let tok = self.next_non_space();
        let keyword = tok.start..tok.end;
        let node = match tok.typ {
            T::Block => self.block_control(keyword)?,
            T::Break | T::Continue => {
                let what = if tok.typ == T::Break {
                    "break"
                } else {
                    "continue"
                };
                let close = self.next_non_space();
                if close.typ != T::RightDelim {
                    return Err(self.unexpected(&close, &format!("{{{{{what}}}}}")));
                }
                if self.range_depth == 0 {
                    return Err(self.err(
                        format!("{{{{{what}}}}} outside {{{{range}}}}"),
                        self.action_start..close.end,
                    ));
                }
                if tok.typ == T::Break {
                    Node::Break(tok.start)
                } else {
                    Node::Continue(tok.start)
                }
            }
            T::Else => {
                let peek = self.peek_non_space();
                if peek.typ == T::If || peek.typ == T::With {
                    return Ok(Listed::Else(self.action_start..peek.start));
                }
                let close = self.next_non_space();
                if close.typ != T::RightDelim {
                    return Err(self.unexpected(&close, "else"));
                }
                return Ok(Listed::Else(self.action_start..close.end));
            }
            T::End => {
                let close = self.next_non_space();
                if close.typ != T::RightDelim {
                    return Err(self.unexpected(&close, "end"));
                }
                return Ok(Listed::End(self.action_start..close.end));
            }
            T::If => Node::If(self.parse_control("if")?),
            T::Range => Node::Range(self.parse_control("range")?),
            T::With => Node::With(self.parse_control("with")?),
            T::Template => self.template_control(keyword)?,
            _ => {
                self.backup();
                let open = self.action_start;
                Node::Action(self.pipeline("command", T::RightDelim, open)?.pipe)
            }
        };
        Ok(Listed::Node(node, false))
    }

    /// Go's `parseControl` for if/range/with, `else if`/`else with` chains
    /// included.
    fn parse_control(&mut self, context: &str) -> PResult<Control> {
        let opened = self.action_start;
        let saved_vars = self.vars.len();
        let Piped { pipe, path } = self.pipeline(context, T::RightDelim, opened)?;
        let open_range =
            opened..self.items[self.idx.saturating_sub(1).min(self.items.len() - 1)].end;
        self.enter(open_range.clone())?;
        self.open.push(open_range);
        let outer_dot = self.dot.clone();
        match context {
            "range" => {
                self.range_depth += 1;
                self.dot = None;
            }
            "with" => self.dot = path,
            _ => {}
        }
        let listed = self.item_list();
        self.dot = outer_dot;
        if context == "range" {
            self.range_depth -= 1;
        }
        let (_, list, next) = listed?;
        let mut else_list = Vec::new();
        if let Stop::Else(range) = next {
            let peek = self.peek();
            if context == "if" && peek.typ == T::If {
                self.next();
                self.action_start = range.start;
                else_list.push(Node::If(self.parse_control("if")?));
            } else if context == "with" && peek.typ == T::With {
                self.next();
                self.action_start = range.start;
                else_list.push(Node::With(self.parse_control("with")?));
            } else {
                let (_, nodes, next) = self.item_list()?;
                if let Stop::Else(range) = next {
                    return Err(self.err("expected end; found {{else}}", range));
                }
                else_list = nodes;
            }
        }
        self.open.pop();
        self.depth -= 1;
        self.vars.truncate(saved_vars);
        Ok(Control {
            pipe,
            list,
            else_list,
        })
    }

    fn template_name(&mut self, tok: &Item, context: &str) -> PResult<String> {
        match tok.typ {
            T::String | T::RawString => unquote(self.text(tok))
                .ok_or_else(|| self.err("invalid syntax", tok.start..tok.end)),
            _ => Err(self.unexpected(tok, context)),
        }
    }

    fn block_control(&mut self, keyword: Range<usize>) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        let open = self.action_start;
        let tok = self.next_non_space();
        let name = self.template_name(&tok, CONTEXT)?;
        self.info
            .template_calls
            .push((name.clone(), tok.start..tok.end));
        let pipe = self.pipeline(CONTEXT, T::RightDelim, open)?.pipe;
        let at = open..self.items[self.idx.saturating_sub(1).min(self.items.len() - 1)].end;
        let (empty, body, end) = self.definition_body(at.clone())?;
        if let Stop::Else(range) = end {
            let mut e = self.err(format!("unexpected {{{{else}}}} in {CONTEXT}"), range);
            // Go raises this on the enclosing tree, whose newest token is
            // still the block action's `}}`.
            e.go_line_at = at.end.saturating_sub(1);
            return Err(e);
        }
        self.add_definition(&name, empty, tok.start..tok.end)?;
        self.defines.push(Define {
            name: name.clone(),
            keyword: keyword.clone(),
            body,
        });
        Ok(Node::Template(TemplateCall {
            name,
            keyword,
            pipe: Some(pipe),
        }))
    }

    fn template_control(&mut self, keyword: Range<usize>) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let open = self.action_start;
        let tok = self.next_non_space();
        let name = self.template_name(&tok, CONTEXT)?;
        self.info
            .template_calls
            .push((name.clone(), tok.start..tok.end));
        let mut pipe = None;
        if self.next_non_space().typ != T::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(CONTEXT, T::RightDelim, open)?.pipe);
        }
        Ok(Node::Template(TemplateCall {
            name,
            keyword,
            pipe,
        }))
    }

    /// Go's `pipeline`: declarations, then commands up to `end`. `open` is
    /// where the enclosing action or parenthesis starts (for messages).
    fn pipeline(&mut self, context: &str, end: T, open: usize) -> PResult<Piped> {
        let mut decls: Vec<usize> = Vec::new();
        let mut decl: Vec<(String, usize)> = Vec::new();
        let mut is_assign = false;
        loop {
            let v = self.peek_non_space();
            if v.typ != T::Variable {
                break;
            }
            let v_idx = self.idx;
            self.next();
            let next = self.peek_non_space();
            let name = self.text(&v).to_string();
            match next.typ {
                T::Assign | T::Declare => {
                    self.next_non_space();
                    is_assign = next.typ == T::Assign;
                    decls.push(self.vars.len());
                    decl.push((name.clone(), v.start));
                    self.vars.push(Var { name, path: None });
                    break;
                }
                T::Char if self.text(&next) == "," => {
                    self.next_non_space();
                    decls.push(self.vars.len());
                    decl.push((name.clone(), v.start));
                    self.vars.push(Var { name, path: None });
                    if context == "range" && decls.len() < 2 {
                        match self.peek_non_space().typ {
                            T::Variable | T::RightDelim | T::RightParen => continue,
                            _ => {
                                return Err(self.err(
                                    "range can only initialize variables",
                                    v.start..next.end,
                                ));
                            }
                        }
                    }
                    return Err(self.err(
                        format!("too many declarations in {context}"),
                        v.start..next.end,
                    ));
                }
                // Not a declaration: `$x` is the pipeline's first operand.
                _ => {
                    self.idx = v_idx;
                    break;
                }
            }
        }
        let mut cmds: Vec<(Static, usize, Range<usize>)> = Vec::new();
        let mut commands = Vec::new();
        loop {
            let tok = self.next_non_space();
            if tok.typ == end {
                if cmds.is_empty() {
                    return Err(self.err(format!("missing value for {context}"), open..tok.end));
                }
                for (i, (first, _, range)) in cmds.iter().enumerate().skip(1) {
                    if first.literal {
                        return Err(self.err(
                            format!("non executable command in pipeline stage {}", i + 1),
                            range.clone(),
                        ));
                    }
                }
                let path = match cmds.as_slice() {
                    [(first, 1, _)] => first.path.clone(),
                    _ => None,
                };
                let value = if context == "range" {
                    None
                } else {
                    path.clone()
                };
                for i in decls {
                    self.vars[i].path = value.clone();
                }
                let pipe = Pipe {
                    decl,
                    is_assign,
                    cmds: commands,
                };
                return Ok(Piped { pipe, path });
            }
            match tok.typ {
                T::Bool
                | T::CharConstant
                | T::Complex
                | T::Dot
                | T::Field
                | T::Identifier
                | T::Number
                | T::Nil
                | T::RawString
                | T::String
                | T::Variable
                | T::LeftParen => {
                    self.backup();
                    let (first, count, range, command) = self.command()?;
                    cmds.push((first, count, range));
                    commands.push(command);
                }
                _ => return Err(self.unexpected(&tok, context)),
            }
        }
    }

    /// Go's `command`: operands up to `|`, `}}` or `)`. Returns what the
    /// linter needs of the first operand, the operand count, the command's
    /// range, and the command.
    fn command(&mut self) -> PResult<(Static, usize, Range<usize>, Command)> {
        let start = self.peek_non_space().start;
        let mut first: Option<Static> = None;
        let mut args = Vec::new();
        let mut end = start;
        loop {
            self.peek_non_space();
            if let Some((stat, op)) = self.operand()? {
                end = self.item(self.idx.saturating_sub(1)).end;
                first.get_or_insert(stat);
                args.push(op);
            }
            let tok = self.next();
            match tok.typ {
                T::Space => continue,
                T::RightDelim | T::RightParen => self.backup(),
                T::Pipe => {}
                _ => return Err(self.unexpected(&tok, "operand")),
            }
            break;
        }
        match first {
            Some(stat) => {
                let count = args.len();
                Ok((stat, count, start..end, Command { args, at: start }))
            }
            None => Err(self.err("empty command", start..end)),
        }
    }

    /// Go's `operand`: a term and any `.Field` chain glued to it.
    fn operand(&mut self) -> PResult<Option<(Static, Operand)>> {
        let Some((kind, term_range, term)) = self.term()? else {
            return Ok(None);
        };
        let mut segments: Vec<Range<usize>> = Vec::new();
        let mut chain: Vec<String> = Vec::new();
        while self.peek().typ == T::Field {
            let f = self.next();
            chain.push(self.text(&f)[1..].to_string());
            segments.push(f.start..f.end);
        }
        let end = segments.last().map_or(term_range.end, |s| s.end);
        let operand = |chain: &[String], segments: &[Range<usize>]| Operand {
            term,
            fields: chain
                .iter()
                .cloned()
                .zip(segments.iter().map(|s| s.start))
                .collect(),
            range: term_range.start..end,
        };
        let extend = |base: &Option<Vec<String>>, more: &[String]| {
            base.as_ref()
                .map(|b| b.iter().chain(more).cloned().collect::<Vec<_>>())
        };
        let (root, base, chain, segments) = match kind {
            Kind::Field(first) => {
                let mut all = vec![first];
                all.extend(chain);
                let mut segs = vec![term_range.clone()];
                segs.extend(segments);
                (FieldRoot::Dot, self.dot.clone(), all, segs)
            }
            Kind::Var(name, path) => (FieldRoot::Var(name), path, chain, segments),
            Kind::Expr(path) => (FieldRoot::Expr, path, chain, segments),
            Kind::Literal(text) => {
                if let Some(first) = segments.first() {
                    return Err(self.err(
                        format!("unexpected . after term {}", quote(&text)),
                        first.clone(),
                    ));
                }
                let op = operand(&chain, &segments);
                let stat = Static {
                    literal: true,
                    path: None,
                };
                return Ok(Some((stat, op)));
            }
            Kind::Dot => {
                if let Some(first) = segments.first() {
                    return Err(self.err(
                        format!("unexpected . after term {}", quote(".")),
                        first.clone(),
                    ));
                }
                let op = operand(&chain, &segments);
                let stat = Static {
                    literal: true,
                    path: self.dot.clone(),
                };
                return Ok(Some((stat, op)));
            }
        };
        let op = operand(&chain, &segments);
        if chain.is_empty() {
            let stat = Static {
                literal: false,
                path: base,
            };
            return Ok(Some((stat, op)));
        }
        let resolved = extend(&base, &chain);
        self.info.fields.push(FieldRef {
            chain,
            root,
            range: term_range.start..end,
            segments,
            resolved: resolved.clone(),
        });
        let stat = Static {
            literal: false,
            path: resolved,
        };
        Ok(Some((stat, op)))
    }

    /// Go's `term`: what the linter needs of it, its range, and its node.
    fn term(&mut self) -> PResult<Option<(Kind, Range<usize>, Term)>> {
        let tok = self.next_non_space();
        let range = tok.start..tok.end;
        let text = self.text(&tok);
        let (kind, term) = match tok.typ {
            T::Identifier => {
                if let Some(is_function) = self.is_function
                    && !GO_BUILTIN_FUNCTIONS.contains(&text)
                    && !is_function(text)
                {
                    return Err(self.err(format!("function {} not defined", quote(text)), range));
                }
                self.info.functions.push((text.to_string(), range.clone()));
                (Kind::Expr(None), Term::Function(text.to_string()))
            }
            T::Dot => (Kind::Dot, Term::Dot),
            T::Nil => (Kind::Literal("nil".into()), Term::Nil),
            T::Variable => {
                let Some(var) = self.vars.iter().rev().find(|v| v.name == text) else {
                    return Err(self.err(format!("undefined variable {}", quote(text)), range));
                };
                let kind = Kind::Var(var.name.clone(), var.path.clone());
                (kind, Term::Variable(text.to_string()))
            }
            // The first field of a `.A.B` chain; `operand` adds it.
            T::Field => (Kind::Field(text[1..].to_string()), Term::Dot),
            T::Bool => (Kind::Literal(text.to_string()), Term::Bool(text == "true")),
            T::CharConstant | T::Complex | T::Number => match number(text, tok.typ) {
                Ok(n) => (Kind::Literal(text.to_string()), Term::Number(n)),
                Err(e) => return Err(self.err(e.to_string(), range)),
            },
            T::LeftParen => {
                self.enter(range.clone())?;
                let piped = self.pipeline("parenthesized pipeline", T::RightParen, tok.start)?;
                self.depth -= 1;
                let close = self.item(self.idx.saturating_sub(1)).end;
                let term = Term::Pipe(Box::new(piped.pipe));
                return Ok(Some((Kind::Expr(piped.path), tok.start..close, term)));
            }
            T::String | T::RawString => {
                let Some(s) = unquote(text) else {
                    return Err(self.err("invalid syntax", range));
                };
                (Kind::Literal(text.to_string()), Term::String(s))
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        };
        Ok(Some((kind, range, term)))
    }
}

/// What the linter needs of a term.
enum Kind {
    Field(String),
    Var(String, Option<Vec<String>>),
    /// Bool, number, string or nil: non-executable, no fields allowed.
    Literal(String),
    Dot,
    /// A function call or parenthesized pipeline, with its static value.
    Expr(Option<Vec<String>>),
}

#[cfg(test)]
mod tests;
