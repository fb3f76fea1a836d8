//! Go RE2 regexps (`regexp.Compile`, Perl flags) evaluated with Rust's
//! `regex`, and Go's `Regexp.Expand` template language (`$1`, `${name}`).
//!
//! Flux's `filterTags.pattern`, `exclusionList`, and Argo CD's
//! `allow-tags: regexp:…` are Go regexps. Handing them to `regex::Regex`
//! verbatim is wrong in both directions, so [`compile_go_regex`] first runs
//! a port of Go's `regexp/syntax` parser. That port decides validity exactly
//! as Go does and reports Go's own error text; it then writes an equivalent
//! pattern in Rust syntax, which is what gets compiled.
//!
//! Differences the translation takes care of (Go behaviour on the left):
//! - `\d`, `\s`, `\w`, `\b`, `\B` are ASCII-only in Go; Rust's are Unicode.
//!   `\s` is `[\t\n\f\r ]` (no `\v`).
//! - `\Q…\E` literal quoting and octal escapes (`\0`, `\012`, `\12`) exist
//!   only in Go; a lone `\1`–`\9` is an error in both.
//! - A `{` that does not start a valid `{n}`, `{n,}` or `{n,m}` is a literal
//!   in Go (`a{`, `a{,2}`, `\b{start}`); Rust errors or reads it differently.
//! - `[[` inside a class is a literal `[` in Go (no nested classes, no `&&`,
//!   `--`, `~~` set operations); a first `]` in a class is a literal.
//! - `\<` and `\>` are literal characters in Go, word boundaries in Rust.
//! - Go rejects escapes Rust accepts: `\u`, `\U`, `\e`, `\h`, `\k`, `\C`
//!   (and `\Z`, which neither has).
//! - Go limits counted repetition to 1000 (`x{1001}`, and nested products
//!   like `(x{50}){50}`), Rust does not. Go rejects stacked repetition
//!   (`a**`, `a*+`, `a{2}*`) but lets an operator apply after a flag group
//!   (`a*(?i)*`), and allows repeating empty-width assertions (`^*`).
//! - Go accepts only flags `i m s U`; Rust also has `x`, `u`, `R`. Flag
//!   groups are resolved here and re-applied per atom.
//! - Capture names: Go allows `[A-Za-z0-9_]+`, including leading digits and
//!   duplicates (`(?P<v>a)|(?P<v>b)`), which Rust rejects. Such groups are
//!   renamed `__go<index>_<name>` in the Rust regex; [`go_capture_names`],
//!   [`expand`] and [`unknown_groups`] undo that, so always use them rather
//!   than `Captures::name`. `(?<name>…)` follows Go ≥ 1.22 (accepted).
//! - `\p{…}` names follow Go ≥ 1.25 (case-insensitive, `_`/`-`/space
//!   ignored, long category names like `Letter`, plus `ASCII`, `Assigned`,
//!   `LC`), and the exact names older Go accepted; Rust's extra properties
//!   (`Alphabetic`, `Emoji`, `sc=…`) are rejected as Go rejects them.
//!   `\p{Cs}` (surrogates) never matches a Go string and is compiled so.
//!
//! Remaining gaps: Go's "expression too large" limit (about 3.3M compiled
//! instructions) is not modelled, tree height (Go's 1000-level limit) is an
//! approximation, and Unicode tables are Rust's (Unicode 16) rather than
//! Go's (Unicode 15). A pattern Go accepts but Rust cannot build (mostly
//! `\pL{1000}`-style size blowups, or nesting past 250 levels) comes back as
//! [`GoRegexErrorKind::Unsupported`], never as a false "invalid".

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;

use ::regex::{Captures, Regex};

/// Go's `regexp/syntax` error codes (the `ErrorCode` strings).
pub mod code {
    pub const INVALID_CHAR_CLASS: &str = "invalid character class";
    pub const INVALID_CHAR_RANGE: &str = "invalid character class range";
    pub const INVALID_ESCAPE: &str = "invalid escape sequence";
    pub const INVALID_NAMED_CAPTURE: &str = "invalid named capture";
    pub const INVALID_PERL_OP: &str = "invalid or unsupported Perl syntax";
    pub const INVALID_REPEAT_OP: &str = "invalid nested repetition operator";
    pub const INVALID_REPEAT_SIZE: &str = "invalid repeat count";
    pub const MISSING_BRACKET: &str = "missing closing ]";
    pub const MISSING_PAREN: &str = "missing closing )";
    pub const MISSING_REPEAT_ARGUMENT: &str = "missing argument to repetition operator";
    pub const TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";
    pub const UNEXPECTED_PAREN: &str = "unexpected )";
    pub const NESTING_DEPTH: &str = "expression nests too deeply";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoRegexErrorKind {
    /// Go's `regexp.Compile` rejects the pattern too.
    Invalid,
    /// Go accepts the pattern but it cannot be evaluated here (see the
    /// module docs); callers should skip evaluation, not report an error.
    Unsupported,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoRegexError {
    pub kind: GoRegexErrorKind,
    /// For `Invalid`, Go's `ErrorCode` text (see [`code`]); for
    /// `Unsupported`, why this tool cannot build it.
    pub code: String,
    /// The fragment Go quotes in its message (sometimes the whole pattern).
    pub expr: String,
    /// Where to point in the pattern: the fragment, or for whole-pattern
    /// errors the specific culprit (the unclosed `(`, the stray `)`).
    pub range: Range<usize>,
}

impl fmt::Display for GoRegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            GoRegexErrorKind::Invalid => {
                write!(f, "error parsing regexp: {}: `{}`", self.code, self.expr)
            }
            GoRegexErrorKind::Unsupported => write!(
                f,
                "Go accepts this regexp but it cannot be evaluated here: {}",
                self.code
            ),
        }
    }
}

impl std::error::Error for GoRegexError {}

/// Compile a Go regexp into a Rust [`Regex`] that matches the same strings
/// with the same leftmost-first semantics and the same group numbering.
pub fn compile_go_regex(pattern: &str) -> Result<Regex, GoRegexError> {
    let rust = translate_go_regex(pattern)?;
    ::regex::RegexBuilder::new(&rust).build().map_err(|e| {
        let msg = e.to_string();
        let last = msg
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        GoRegexError {
            kind: GoRegexErrorKind::Unsupported,
            code: last.trim_start_matches("error: ").to_string(),
            expr: pattern.to_string(),
            range: 0..pattern.len(),
        }
    })
}

/// Go's verdict alone, without building the Rust automaton (cheap).
pub fn validate_go_regex(pattern: &str) -> Result<(), GoRegexError> {
    translate_go_regex(pattern).map(|_| ())
}

/// The Rust-syntax pattern [`compile_go_regex`] builds. Exposed for tests
/// and debugging; it is verbose on purpose (every flag made explicit).
pub fn translate_go_regex(pattern: &str) -> Result<String, GoRegexError> {
    Parser::new(pattern).parse()
}

/// Go's `SubexpNames()` for a regex built by [`compile_go_regex`]: index 0
/// is the whole match, unnamed groups are `None`.
pub fn go_capture_names(re: &Regex) -> Vec<Option<String>> {
    re.capture_names()
        .map(|n| n.map(|n| go_group_name(n).to_string()))
        .collect()
}

/// The Go name behind a Rust capture name (undoes the `__go<i>_` renaming).
pub fn go_group_name(rust_name: &str) -> &str {
    if let Some(rest) = rust_name.strip_prefix("__go") {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && rest.as_bytes().get(digits) == Some(&b'_') {
            return &rest[digits + 1..];
        }
    }
    rust_name
}

// ---------------------------------------------------------------------------
// Regexp.Expand

/// What an expansion reference points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupRef {
    Index(usize),
    Name(String),
}

impl fmt::Display for GroupRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupRef::Index(i) => write!(f, "{i}"),
            GroupRef::Name(n) => f.write_str(n),
        }
    }
}

/// One `$…` reference in an expansion template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandRef {
    pub target: GroupRef,
    /// The whole reference, `$` and braces included.
    pub range: Range<usize>,
    /// Written as `${…}`.
    pub braced: bool,
}

enum Piece {
    Text(Range<usize>),
    Dollar,
    Ref(ExpandRef),
    /// A `$` Go keeps literally because what follows is not a reference.
    Stray(usize),
}

/// Go's `Regexp.expand` scanner. In `$name` the name is the longest run of
/// letters, digits and `_` (so `$1x` is the group named `1x`); `${name}`
/// delimits it; `$$` is a literal `$`; any other `$` is kept as text. A name
/// that is all ASCII digits without a leading zero (and below 10^8) is a
/// group number.
fn scan_template(t: &str) -> Vec<Piece> {
    let b = t.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let Some(off) = t[i..].find('$') else {
            out.push(Piece::Text(i..b.len()));
            break;
        };
        let d = i + off;
        if d > i {
            out.push(Piece::Text(i..d));
        }
        i = d + 1;
        if b.get(i) == Some(&b'$') {
            out.push(Piece::Dollar);
            i += 1;
            continue;
        }
        match extract(t, i) {
            Some((name, braced, end)) => {
                out.push(Piece::Ref(ExpandRef {
                    target: classify_name(name),
                    range: d..end,
                    braced,
                }));
                i = end;
            }
            None => out.push(Piece::Stray(d)),
        }
    }
    out
}

/// Go's `extract`: the name after `$` and where the reference ends.
fn extract(t: &str, start: usize) -> Option<(&str, bool, usize)> {
    let rest = &t[start..];
    let braced = rest.starts_with('{');
    let body = if braced { &rest[1..] } else { rest };
    let len: usize = body
        .chars()
        .take_while(|&c| c == '_' || is_go_letter(c) || is_go_digit(c))
        .map(char::len_utf8)
        .sum();
    if len == 0 {
        return None;
    }
    let name = &body[..len];
    let mut end = start + usize::from(braced) + len;
    if braced {
        if t.as_bytes().get(end) != Some(&b'}') {
            return None;
        }
        end += 1;
    }
    Some((name, braced, end))
}

fn classify_name(name: &str) -> GroupRef {
    let mut num: i64 = 0;
    for &c in name.as_bytes() {
        if !c.is_ascii_digit() || num >= 100_000_000 {
            num = -1;
            break;
        }
        num = num * 10 + i64::from(c - b'0');
    }
    if name.len() > 1 && name.starts_with('0') {
        num = -1;
    }
    match usize::try_from(num) {
        Ok(n) => GroupRef::Index(n),
        Err(_) => GroupRef::Name(name.to_string()),
    }
}

/// Every group reference in an expansion template, in order.
pub fn expand_refs(template: &str) -> Vec<ExpandRef> {
    scan_template(template)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Ref(r) => Some(r),
            _ => None,
        })
        .collect()
}

/// Offsets of `$` signs Go copies literally because they start no valid
/// reference (`$`, `$-`, `${1`, `${}`); usually a typo worth a warning.
pub fn stray_dollars(template: &str) -> Vec<usize> {
    scan_template(template)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Stray(at) => Some(at),
            _ => None,
        })
        .collect()
}

/// Go's `Regexp.ExpandString` against a match from a regex built by
/// [`compile_go_regex`]: unknown and non-participating groups expand to "".
pub fn expand(template: &str, re: &Regex, caps: &Captures<'_>) -> String {
    let names = go_capture_names(re);
    let mut out = String::new();
    for piece in scan_template(template) {
        match piece {
            Piece::Text(r) => out.push_str(&template[r]),
            Piece::Dollar => out.push('$'),
            Piece::Stray(_) => out.push('$'),
            Piece::Ref(r) => {
                let group = match &r.target {
                    GroupRef::Index(i) => caps.get(*i),
                    // Go takes the first group with that name that took part
                    // in the match (names may repeat in Go).
                    GroupRef::Name(n) => (0..names.len())
                        .filter(|&i| names[i].as_deref() == Some(n.as_str()))
                        .find_map(|i| caps.get(i)),
                };
                if let Some(m) = group {
                    out.push_str(m.as_str());
                }
            }
        }
    }
    out
}

/// References to groups the regex does not have: numbers above its group
/// count, or names no group carries. Go expands these to "" silently.
pub fn unknown_groups(re: &Regex, template: &str) -> Vec<(String, Range<usize>)> {
    let names = go_capture_names(re);
    expand_refs(template)
        .into_iter()
        .filter(|r| match &r.target {
            GroupRef::Index(i) => *i >= names.len(),
            GroupRef::Name(n) => !names.iter().any(|x| x.as_deref() == Some(n.as_str())),
        })
        .map(|r| (r.target.to_string(), r.range))
        .collect()
}

// ---------------------------------------------------------------------------
// Go's unicode.IsLetter / unicode.IsDigit, shared with the template lexer.

static NON_ASCII_LETTER: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^\p{L}$").ok());
static NON_ASCII_DIGIT: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^\p{Nd}$").ok());

/// Go's `unicode.IsLetter` (general category L). Rust's `is_alphabetic` is
/// the wider Alphabetic property, so it cannot stand in.
pub(crate) fn is_go_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    let mut buf = [0u8; 4];
    NON_ASCII_LETTER
        .as_ref()
        .is_some_and(|re| re.is_match(c.encode_utf8(&mut buf)))
}

/// Go's `unicode.IsDigit` (general category Nd).
pub(crate) fn is_go_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    let mut buf = [0u8; 4];
    NON_ASCII_DIGIT
        .as_ref()
        .is_some_and(|re| re.is_match(c.encode_utf8(&mut buf)))
}

// ---------------------------------------------------------------------------
// The parser: a port of Go's regexp/syntax parse loop with the Perl flags
// regexp.Compile uses (ClassNL | OneLine | PerlX | UnicodeGroups). Instead
// of Regexp nodes its stack holds Rust-syntax fragments.

const MAX_REPEAT: i64 = 1000;
const MAX_HEIGHT: u32 = 1000;
const MAX_RUNE: u32 = 0x10FFFF;
/// A class that matches nothing: Rust allows empty classes.
const NEVER: &str = r"[^\x{0}-\x{10FFFF}]";

#[derive(Clone, Copy, Default)]
struct Flags {
    fold: bool,
    multi_line: bool,
    dot_nl: bool,
    ungreedy: bool,
}

/// The shape of counted repetitions inside a fragment, enough to run Go's
/// `repeatIsValid` (only OpRepeat nodes divide the budget).
#[derive(Clone)]
struct Rep {
    min: i64,
    max: i64,
    subs: Vec<Rep>,
}

fn repeat_is_valid(reps: &[Rep], n: i64) -> bool {
    reps.iter().all(|r| {
        let mut m = r.max;
        if m == 0 {
            return true;
        }
        if m < 0 {
            m = r.min;
        }
        if m > n {
            return false;
        }
        let n = if m > 0 { n / m } else { n };
        repeat_is_valid(&r.subs, n)
    })
}

struct Frag {
    text: String,
    /// A repetition operator can follow `text` directly.
    atomic: bool,
    height: u32,
    reps: Vec<Rep>,
}

enum Item {
    Frag(Frag),
    LeftParen {
        flags: Flags,
        capture: Option<Option<String>>,
        at: usize,
    },
    Bar,
}

#[derive(Clone, Copy, PartialEq)]
enum RepOp {
    Star,
    Plus,
    Quest,
    Counted(i64, i64),
}

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    flags: Flags,
    stack: Vec<Item>,
    ncap: usize,
    names: HashSet<String>,
}

type PResult<T> = Result<T, GoRegexError>;

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        Parser {
            src,
            b: src.as_bytes(),
            flags: Flags::default(),
            stack: Vec::new(),
            ncap: 0,
            names: HashSet::new(),
        }
    }

    fn err(&self, code: &str, range: Range<usize>) -> GoRegexError {
        let range = range.start.min(self.b.len())..range.end.min(self.b.len());
        GoRegexError {
            kind: GoRegexErrorKind::Invalid,
            code: code.to_string(),
            expr: self.src.get(range.clone()).unwrap_or("").to_string(),
            range,
        }
    }

    /// Errors Go reports with the whole pattern as the fragment.
    fn err_whole(&self, code: &str, point: Range<usize>) -> GoRegexError {
        GoRegexError {
            kind: GoRegexErrorKind::Invalid,
            code: code.to_string(),
            expr: self.src.to_string(),
            range: point,
        }
    }

    /// Go's `nextRune` on a possibly empty rest: Go's decoder yields
    /// U+FFFD with width 0 there, which several error paths rely on.
    fn rune_at(&self, i: usize) -> (u32, usize) {
        match self.src.get(i..).and_then(|s| s.chars().next()) {
            Some(c) => (c as u32, c.len_utf8()),
            None => (0xFFFD, 0),
        }
    }

    fn push(&mut self, frag: Frag) -> PResult<()> {
        if frag.height > MAX_HEIGHT {
            return Err(self.err_whole(code::NESTING_DEPTH, 0..self.b.len()));
        }
        self.stack.push(Item::Frag(frag));
        Ok(())
    }

    fn push_atom(&mut self, text: String, atomic: bool) -> PResult<()> {
        self.push(Frag {
            text,
            atomic,
            height: 1,
            reps: Vec::new(),
        })
    }

    fn literal(&mut self, c: u32) -> PResult<()> {
        let text = lit(c);
        if self.flags.fold {
            self.push_atom(format!("(?i:{text})"), true)
        } else {
            self.push_atom(text, true)
        }
    }

    fn parse(mut self) -> PResult<String> {
        let mut last_repeat: Option<usize> = None;
        let mut pos = 0;
        while pos < self.b.len() {
            let mut repeat = None;
            match self.b[pos] {
                b'(' => {
                    if self.b.get(pos + 1) == Some(&b'?') {
                        pos = self.parse_perl_flags(pos)?;
                    } else {
                        self.ncap += 1;
                        self.stack.push(Item::LeftParen {
                            flags: self.flags,
                            capture: Some(None),
                            at: pos,
                        });
                        pos += 1;
                    }
                }
                b'|' => {
                    self.stack.push(Item::Bar);
                    pos += 1;
                }
                b')' => {
                    self.right_paren(pos)?;
                    pos += 1;
                }
                b'^' => {
                    let t = if self.flags.multi_line {
                        "(?m:^)"
                    } else {
                        r"\A"
                    };
                    self.push_atom(t.to_string(), false)?;
                    pos += 1;
                }
                b'$' => {
                    let t = if self.flags.multi_line {
                        "(?m:$)"
                    } else {
                        r"\z"
                    };
                    self.push_atom(t.to_string(), false)?;
                    pos += 1;
                }
                b'.' => {
                    let t = if self.flags.dot_nl { "(?s:.)" } else { "." };
                    self.push_atom(t.to_string(), true)?;
                    pos += 1;
                }
                b'[' => pos = self.parse_class(pos)?,
                c @ (b'*' | b'+' | b'?') => {
                    let op = match c {
                        b'*' => RepOp::Star,
                        b'+' => RepOp::Plus,
                        _ => RepOp::Quest,
                    };
                    let before = pos;
                    pos = self.repeat(op, before, before + 1, last_repeat)?;
                    repeat = Some(before);
                }
                b'{' => match self.parse_repeat(pos) {
                    None => {
                        // Not a valid repeat: Go takes `{` literally.
                        self.literal(u32::from(b'{'))?;
                        pos += 1;
                    }
                    Some((min, max, after)) => {
                        // Numbers too big (Go marks those as -1) or min > max.
                        if !(0..=MAX_REPEAT).contains(&min)
                            || max > MAX_REPEAT
                            || (max >= 0 && min > max)
                        {
                            return Err(self.err(code::INVALID_REPEAT_SIZE, pos..after));
                        }
                        let before = pos;
                        pos = self.repeat(RepOp::Counted(min, max), before, after, last_repeat)?;
                        repeat = Some(before);
                    }
                },
                b'\\' => pos = self.parse_backslash(pos)?,
                _ => {
                    let (c, n) = self.rune_at(pos);
                    self.literal(c)?;
                    // n is only 0 off a char boundary, which the parser never
                    // produces; still never loop forever.
                    pos += n.max(1);
                }
            }
            last_repeat = repeat;
        }
        // Whatever is left must be a single top-level alternation.
        if let Some(at) = self.stack.iter().rev().find_map(|i| match i {
            Item::LeftParen { at, .. } => Some(*at),
            _ => None,
        }) {
            return Err(self.err_whole(code::MISSING_PAREN, at..at + 1));
        }
        let items = std::mem::take(&mut self.stack);
        let (text, _, _) = self.alternate(items);
        Ok(text)
    }

    /// Go's `repeat`. `before` is where the operator starts, `after` just
    /// past it; a trailing `?` (non-greedy) is consumed here.
    fn repeat(
        &mut self,
        op: RepOp,
        before: usize,
        mut after: usize,
        last_repeat: Option<usize>,
    ) -> PResult<usize> {
        let mut ungreedy = self.flags.ungreedy;
        if self.b.get(after) == Some(&b'?') {
            after += 1;
            ungreedy = !ungreedy;
        }
        if let Some(lr) = last_repeat {
            // Perl forbids stacking: `a**` is an error, not a double star.
            return Err(self.err(code::INVALID_REPEAT_OP, lr..after));
        }
        let sub = match self.stack.pop() {
            Some(Item::Frag(f)) => f,
            other => {
                if let Some(o) = other {
                    self.stack.push(o);
                }
                return Err(self.err(code::MISSING_REPEAT_ARGUMENT, before..after));
            }
        };
        let base = if sub.atomic {
            sub.text
        } else {
            format!("(?:{})", sub.text)
        };
        let mut text = base;
        match op {
            RepOp::Star => text.push('*'),
            RepOp::Plus => text.push('+'),
            RepOp::Quest => text.push('?'),
            RepOp::Counted(min, max) if max == min => text.push_str(&format!("{{{min}}}")),
            RepOp::Counted(min, -1) => text.push_str(&format!("{{{min},}}")),
            RepOp::Counted(min, max) => text.push_str(&format!("{{{min},{max}}}")),
        }
        if ungreedy {
            text.push('?');
        }
        let reps = match op {
            RepOp::Counted(min, max) => vec![Rep {
                min,
                max,
                subs: sub.reps,
            }],
            _ => sub.reps,
        };
        let check = match op {
            RepOp::Counted(min, max) => min >= 2 || max >= 2,
            _ => false,
        };
        if check && !repeat_is_valid(&reps, MAX_REPEAT) {
            return Err(self.err(code::INVALID_REPEAT_SIZE, before..after));
        }
        self.push(Frag {
            text,
            atomic: false,
            height: sub.height + 1,
            reps,
        })?;
        Ok(after)
    }

    /// Go's `parseRepeat`: `{n}`, `{n,}` (max -1) or `{n,m}`; `None` when
    /// the text is not of that form. Over-large numbers make `min` -1.
    fn parse_repeat(&self, pos: usize) -> Option<(i64, i64, usize)> {
        let (mut min, mut i) = self.parse_int(pos + 1)?;
        let max;
        if *self.b.get(i)? == b',' {
            i += 1;
            if *self.b.get(i)? == b'}' {
                max = -1;
            } else {
                let (m, next) = self.parse_int(i)?;
                i = next;
                max = m;
                if max < 0 {
                    min = -1;
                }
            }
        } else {
            max = min;
        }
        if self.b.get(i) != Some(&b'}') {
            return None;
        }
        Some((min, max, i + 1))
    }

    /// Go's `parseInt`: digits without a leading zero; 10^8 and above
    /// come back as -1, Go's "too big" marker.
    fn parse_int(&self, mut i: usize) -> Option<(i64, usize)> {
        let start = i;
        if !self.b.get(i)?.is_ascii_digit() {
            return None;
        }
        if self.b[i] == b'0' && self.b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while self.b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let mut n: i64 = 0;
        for &c in &self.b[start..i] {
            if n >= 100_000_000 {
                n = -1;
                break;
            }
            n = n * 10 + i64::from(c - b'0');
        }
        Some((n, i))
    }

    /// Go's `parsePerlFlags` for `(?…`: named groups, flag changes and
    /// non-capturing groups.
    fn parse_perl_flags(&mut self, pos: usize) -> PResult<usize> {
        let t = &self.src[pos..];
        let tb = t.as_bytes();
        let starts_with_p = tb.len() > 4 && tb[2] == b'P' && tb[3] == b'<';
        let starts_with_name = tb.len() > 3 && tb[2] == b'<';
        if starts_with_p || starts_with_name {
            let name_start = if starts_with_p { 4 } else { 3 };
            let Some(end) = t.find('>') else {
                return Err(self.err(code::INVALID_NAMED_CAPTURE, pos..self.b.len()));
            };
            let name = &t[name_start..end];
            if name.is_empty() || !name.bytes().all(|c| c == b'_' || c.is_ascii_alphanumeric()) {
                return Err(self.err(code::INVALID_NAMED_CAPTURE, pos..pos + end + 1));
            }
            self.ncap += 1;
            let rust_name = if name.as_bytes()[0].is_ascii_digit()
                || name.starts_with("__go")
                || self.names.contains(name)
            {
                format!("__go{}_{}", self.ncap, name)
            } else {
                name.to_string()
            };
            self.names.insert(name.to_string());
            self.stack.push(Item::LeftParen {
                flags: self.flags,
                capture: Some(Some(rust_name)),
                at: pos,
            });
            return Ok(pos + end + 1);
        }

        let mut i = pos + 2;
        let mut flags = self.flags;
        let mut negative = false;
        let mut saw_flag = false;
        while i < self.b.len() {
            let (c, n) = self.rune_at(i);
            i += n;
            let on = !negative;
            match char::from_u32(c).unwrap_or('\u{FFFD}') {
                'i' => {
                    flags.fold = on;
                    saw_flag = true;
                }
                'm' => {
                    flags.multi_line = on;
                    saw_flag = true;
                }
                's' => {
                    flags.dot_nl = on;
                    saw_flag = true;
                }
                'U' => {
                    flags.ungreedy = on;
                    saw_flag = true;
                }
                '-' => {
                    if negative {
                        break;
                    }
                    negative = true;
                    saw_flag = false;
                }
                c @ (':' | ')') => {
                    if negative && !saw_flag {
                        break;
                    }
                    if c == ':' {
                        self.stack.push(Item::LeftParen {
                            flags: self.flags,
                            capture: None,
                            at: pos,
                        });
                    }
                    self.flags = flags;
                    return Ok(i);
                }
                _ => break,
            }
        }
        Err(self.err(code::INVALID_PERL_OP, pos..i))
    }

    /// Go's `parseRightParen`.
    fn right_paren(&mut self, pos: usize) -> PResult<()> {
        let Some(lp) = self
            .stack
            .iter()
            .rposition(|i| matches!(i, Item::LeftParen { .. }))
        else {
            return Err(self.err_whole(code::UNEXPECTED_PAREN, pos..pos + 1));
        };
        let items = self.stack.split_off(lp + 1);
        let Some(Item::LeftParen { flags, capture, .. }) = self.stack.pop() else {
            return Err(self.err_whole(code::UNEXPECTED_PAREN, pos..pos + 1));
        };
        self.flags = flags;
        let (inner, height, reps) = self.alternate(items);
        let frag = match capture {
            None => Frag {
                text: format!("(?:{inner})"),
                atomic: true,
                height,
                reps,
            },
            Some(None) => Frag {
                text: format!("({inner})"),
                atomic: true,
                height: height + 1,
                reps,
            },
            Some(Some(name)) => Frag {
                text: format!("(?P<{name}>{inner})"),
                atomic: true,
                height: height + 1,
                reps,
            },
        };
        self.push(frag)
    }

    /// Joins the fragments between two parens: concatenations separated by
    /// `|`. Returns the text, Go's approximate tree height, and the repeats.
    fn alternate(&self, items: Vec<Item>) -> (String, u32, Vec<Rep>) {
        let mut branches: Vec<(String, u32)> = vec![(String::new(), 0)];
        let mut counts = vec![0u32];
        let mut reps = Vec::new();
        for item in items {
            match item {
                Item::Bar => {
                    branches.push((String::new(), 0));
                    counts.push(0);
                }
                Item::Frag(f) => {
                    let (text, h) = branches.last_mut().expect("at least one branch");
                    text.push_str(&f.text);
                    *h = (*h).max(f.height);
                    *counts.last_mut().expect("at least one branch") += 1;
                    reps.extend(f.reps);
                }
                Item::LeftParen { .. } => {}
            }
        }
        let heights: Vec<u32> = branches
            .iter()
            .zip(&counts)
            .map(|((_, h), &n)| match n {
                0 => 1,
                1 => *h,
                _ => h + 1,
            })
            .collect();
        let max_h = heights.iter().copied().max().unwrap_or(1);
        let height = if branches.len() > 1 { max_h + 1 } else { max_h };
        let text = branches
            .into_iter()
            .map(|(t, _)| t)
            .collect::<Vec<_>>()
            .join("|");
        (text, height, reps)
    }

    /// A `\` outside a class.
    fn parse_backslash(&mut self, pos: usize) -> PResult<usize> {
        if let Some(&c) = self.b.get(pos + 1) {
            match c {
                b'A' => {
                    self.push_atom(r"\A".to_string(), false)?;
                    return Ok(pos + 2);
                }
                b'z' => {
                    self.push_atom(r"\z".to_string(), false)?;
                    return Ok(pos + 2);
                }
                // Go's word boundaries are ASCII-only.
                b'b' => {
                    self.push_atom(r"(?-u:\b)".to_string(), false)?;
                    return Ok(pos + 2);
                }
                b'B' => {
                    self.push_atom(r"(?-u:\B)".to_string(), false)?;
                    return Ok(pos + 2);
                }
                b'C' => return Err(self.err(code::INVALID_ESCAPE, pos..pos + 2)),
                b'Q' => {
                    let rest = &self.src[pos + 2..];
                    let (lit_text, end) = match rest.find(r"\E") {
                        Some(i) => (&rest[..i], pos + 2 + i + 2),
                        None => (rest, self.b.len()),
                    };
                    for c in lit_text.chars() {
                        self.literal(c as u32)?;
                    }
                    return Ok(end);
                }
                b'p' | b'P' => {
                    let (item, end) = self.parse_unicode_class(pos)?;
                    let text = if self.flags.fold {
                        format!("(?i:{item})")
                    } else {
                        item
                    };
                    self.push_atom(text, true)?;
                    return Ok(end);
                }
                _ => {}
            }
            if let Some(group) = perl_group(c) {
                let text = class_text(&[group_item(group)], false);
                let text = if self.flags.fold {
                    format!("(?i:{text})")
                } else {
                    text
                };
                self.push_atom(text, true)?;
                return Ok(pos + 2);
            }
        }
        let (c, end) = self.parse_escape(pos)?;
        self.literal(c)?;
        Ok(end)
    }

    /// Go's `parseEscape`: a single-character escape at `pos` (the `\`).
    fn parse_escape(&self, pos: usize) -> PResult<(u32, usize)> {
        let mut t = pos + 1;
        if t >= self.b.len() {
            return Err(self
                .err(code::TRAILING_BACKSLASH, pos..pos + 1)
                .with_expr(""));
        }
        let (c, n) = self.rune_at(t);
        t += n;
        let invalid = |end: usize| self.err(code::INVALID_ESCAPE, pos..end);
        let ch = char::from_u32(c).unwrap_or('\u{FFFD}');
        match ch {
            '1'..='7' | '0' => {
                // A single non-zero digit is a backreference, unsupported.
                let octal_next = self.b.get(t).is_some_and(|d| (b'0'..=b'7').contains(d));
                if ch != '0' && !octal_next {
                    return Err(invalid(t));
                }
                let mut r = c - u32::from(b'0');
                for _ in 1..3 {
                    match self.b.get(t) {
                        Some(d @ b'0'..=b'7') => {
                            r = r * 8 + u32::from(d - b'0');
                            t += 1;
                        }
                        _ => break,
                    }
                }
                Ok((r, t))
            }
            'x' => {
                if t >= self.b.len() {
                    return Err(invalid(t));
                }
                let (c, n) = self.rune_at(t);
                t += n;
                if c == u32::from(b'{') {
                    let mut nhex = 0;
                    let mut r: u32 = 0;
                    loop {
                        if t >= self.b.len() {
                            return Err(invalid(t));
                        }
                        let (c, n) = self.rune_at(t);
                        t += n;
                        if c == u32::from(b'}') {
                            break;
                        }
                        let Some(v) = unhex(c) else {
                            return Err(invalid(t));
                        };
                        r = r * 16 + v;
                        if r > MAX_RUNE {
                            return Err(invalid(t));
                        }
                        nhex += 1;
                    }
                    if nhex == 0 {
                        return Err(invalid(t));
                    }
                    return Ok((r, t));
                }
                let x = unhex(c);
                let (c2, n2) = self.rune_at(t);
                t += n2;
                match (x, unhex(c2)) {
                    (Some(x), Some(y)) => Ok((x * 16 + y, t)),
                    _ => Err(invalid(t)),
                }
            }
            'a' => Ok((0x07, t)),
            'f' => Ok((0x0C, t)),
            'n' => Ok((0x0A, t)),
            'r' => Ok((0x0D, t)),
            't' => Ok((0x09, t)),
            'v' => Ok((0x0B, t)),
            // Any escaped ASCII punctuation stands for itself (Go even
            // allows `\_`); escaped letters and non-ASCII are errors.
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((c as u32, t)),
            _ => Err(invalid(t)),
        }
    }

    /// Go's `parseUnicodeClass` at `pos` (`\p` or `\P`), committed: returns
    /// the Rust class item and the end offset, or Go's error.
    fn parse_unicode_class(&self, pos: usize) -> PResult<(String, usize)> {
        let mut negated = self.b[pos + 1] == b'P';
        let after = pos + 2;
        let (c, n) = self.rune_at(after);
        let (name_range, end) = if c != u32::from(b'{') {
            (after..after + n, after + n)
        } else {
            let Some(close) = self.src[pos..].find('}') else {
                return Err(self.err(code::INVALID_CHAR_RANGE, pos..self.b.len()));
            };
            (pos + 3..pos + close, pos + close + 1)
        };
        let mut name = &self.src[name_range];
        if let Some(rest) = name.strip_prefix('^') {
            negated = !negated;
            name = rest;
        }
        let Some(table) = unicode_table(name) else {
            return Err(self.err(code::INVALID_CHAR_RANGE, pos..end));
        };
        let item = match table {
            UnicodeTable::Named(rust_name, flip) => {
                let neg = negated != flip;
                format!("\\{}{{{}}}", if neg { 'P' } else { 'p' }, rust_name)
            }
            // Surrogates never occur in a Go string decoded as UTF-8.
            UnicodeTable::Surrogates => {
                if negated {
                    r"[\x{0}-\x{10FFFF}]".to_string()
                } else {
                    NEVER.to_string()
                }
            }
        };
        Ok((item, end))
    }

    /// Go's `parseClass` at `pos` (the `[`).
    fn parse_class(&mut self, pos: usize) -> PResult<usize> {
        let mut t = pos + 1;
        let negated = self.b.get(t) == Some(&b'^');
        if negated {
            t += 1;
        }
        let mut items: Vec<String> = Vec::new();
        let mut first = true;
        while t >= self.b.len() || self.b[t] != b']' || first {
            first = false;
            // `[:name:]`; without a closing `:]` the `[` is a literal.
            if self.b.len() - t.min(self.b.len()) > 2
                && self.b[t] == b'['
                && self.b[t + 1] == b':'
                && let Some(i) = self.src[t + 2..].find(":]")
            {
                let end = t + 2 + i + 2;
                let name = &self.src[t..end];
                let Some(group) = posix_group(name) else {
                    return Err(self.err(code::INVALID_CHAR_RANGE, t..end));
                };
                items.push(group_item(group));
                t = end;
                continue;
            }
            if t + 1 < self.b.len()
                && self.b[t] == b'\\'
                && (self.b[t + 1] == b'p' || self.b[t + 1] == b'P')
            {
                let (item, end) = self.parse_unicode_class(t)?;
                items.push(item);
                t = end;
                continue;
            }
            if t + 1 < self.b.len()
                && self.b[t] == b'\\'
                && let Some(group) = perl_group(self.b[t + 1])
            {
                items.push(group_item(group));
                t += 2;
                continue;
            }
            let rng = t;
            let (lo, next) = self.parse_class_char(t, pos)?;
            t = next;
            let mut hi = lo;
            // `[a-]` means a or '-': only a '-' not followed by ']' makes a range.
            if self.b.len() - t.min(self.b.len()) >= 2 && self.b[t] == b'-' && self.b[t + 1] != b']'
            {
                let (h, next) = self.parse_class_char(t + 1, pos)?;
                t = next;
                hi = h;
                if hi < lo {
                    return Err(self.err(code::INVALID_CHAR_RANGE, rng..t));
                }
            }
            items.push(range_item(lo, hi));
        }
        t += 1;
        let text = class_text(&items, negated);
        let text = if self.flags.fold {
            format!("(?i:{text})")
        } else {
            text
        };
        self.push_atom(text, true)?;
        Ok(t)
    }

    /// Go's `parseClassChar`: one class member, escapes allowed.
    fn parse_class_char(&self, t: usize, class_start: usize) -> PResult<(u32, usize)> {
        if t >= self.b.len() {
            return Err(self.err(code::MISSING_BRACKET, class_start..self.b.len()));
        }
        if self.b[t] == b'\\' {
            return self.parse_escape(t);
        }
        let (c, n) = self.rune_at(t);
        Ok((c, t + n))
    }
}

impl GoRegexError {
    fn with_expr(mut self, expr: &str) -> Self {
        self.expr = expr.to_string();
        self
    }
}

fn unhex(c: u32) -> Option<u32> {
    char::from_u32(c).and_then(|c| c.to_digit(16))
}

/// A literal character in Rust syntax, as an atom.
fn lit(c: u32) -> String {
    let Some(ch) = char::from_u32(c) else {
        // A surrogate from `\x{D800}`: Go accepts it but no decoded Go
        // string contains one.
        return NEVER.to_string();
    };
    match ch {
        c if c.is_ascii_alphanumeric() || c == '_' || c == '<' || c == '>' || c == ' ' => {
            c.to_string()
        }
        c if c.is_ascii_graphic() => format!("\\{c}"),
        c if c.is_ascii() => format!("\\x{{{:X}}}", c as u32),
        c => c.to_string(),
    }
}

/// A class member range in Rust syntax, without surrogates (which Rust
/// cannot name and Go strings cannot contain).
fn range_item(lo: u32, hi: u32) -> String {
    let mut out = String::new();
    let mut push = |lo: u32, hi: u32| {
        if lo > hi {
            return;
        }
        if lo == hi {
            out.push_str(&class_char(lo));
        } else {
            out.push_str(&format!("{}-{}", class_char(lo), class_char(hi)));
        }
    };
    if hi < 0xD800 || lo > 0xDFFF {
        push(lo, hi);
    } else {
        if lo < 0xD800 {
            push(lo, 0xD7FF);
        }
        if hi > 0xDFFF {
            push(0xE000, hi);
        }
    }
    out
}

fn class_char(c: u32) -> String {
    match char::from_u32(c) {
        Some(ch) if ch.is_ascii_alphanumeric() => ch.to_string(),
        _ => format!("\\x{{{c:X}}}"),
    }
}

fn class_text(items: &[String], negated: bool) -> String {
    let body: String = items.concat();
    let body = if body.is_empty() {
        NEVER.to_string()
    } else {
        body
    };
    format!("[{}{}]", if negated { "^" } else { "" }, body)
}

type Group = (bool, &'static [(u32, u32)]);

/// A Perl or POSIX group as a class member; negated groups become nested
/// classes so that Rust folds before negating, as Go does.
fn group_item((negated, ranges): Group) -> String {
    let body: String = ranges.iter().map(|&(lo, hi)| range_item(lo, hi)).collect();
    if negated { format!("[^{body}]") } else { body }
}

const DIGIT: &[(u32, u32)] = &[(0x30, 0x39)];
const SPACE_PERL: &[(u32, u32)] = &[(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)];
const WORD: &[(u32, u32)] = &[(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)];

fn perl_group(c: u8) -> Option<Group> {
    Some(match c {
        b'd' => (false, DIGIT),
        b'D' => (true, DIGIT),
        b's' => (false, SPACE_PERL),
        b'S' => (true, SPACE_PERL),
        b'w' => (false, WORD),
        b'W' => (true, WORD),
        _ => return None,
    })
}

fn posix_group(name: &str) -> Option<Group> {
    let inner = name.strip_prefix("[:")?.strip_suffix(":]")?;
    let (negated, inner) = match inner.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, inner),
    };
    let ranges: &'static [(u32, u32)] = match inner {
        "alnum" => &[(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
        "alpha" => &[(0x41, 0x5A), (0x61, 0x7A)],
        "ascii" => &[(0x00, 0x7F)],
        "blank" => &[(0x09, 0x09), (0x20, 0x20)],
        "cntrl" => &[(0x00, 0x1F), (0x7F, 0x7F)],
        "digit" => DIGIT,
        "graph" => &[(0x21, 0x7E)],
        "lower" => &[(0x61, 0x7A)],
        "print" => &[(0x20, 0x7E)],
        "punct" => &[(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
        "space" => &[(0x09, 0x0D), (0x20, 0x20)],
        "upper" => &[(0x41, 0x5A)],
        "word" => WORD,
        "xdigit" => &[(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
        _ => return None,
    };
    Some((negated, ranges))
}

enum UnicodeTable {
    /// A Rust property name, and whether Go inverts it (`Assigned`).
    Named(String, bool),
    Surrogates,
}

#[rustfmt::skip]
const GO_CATEGORIES: &[&str] = &[
    "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn",
    "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm",
    "So", "Z", "Zl", "Zp", "Zs",
];

/// `unicode.CategoryAliases` (Go ≥ 1.25): long names to category codes.
const GO_CATEGORY_ALIASES: &[(&str, &str)] = &[
    ("Cased_Letter", "LC"),
    ("Close_Punctuation", "Pe"),
    ("Combining_Mark", "M"),
    ("Connector_Punctuation", "Pc"),
    ("Control", "Cc"),
    ("Currency_Symbol", "Sc"),
    ("Dash_Punctuation", "Pd"),
    ("Decimal_Number", "Nd"),
    ("Enclosing_Mark", "Me"),
    ("Final_Punctuation", "Pf"),
    ("Format", "Cf"),
    ("Initial_Punctuation", "Pi"),
    ("Letter", "L"),
    ("Letter_Number", "Nl"),
    ("Line_Separator", "Zl"),
    ("Lowercase_Letter", "Ll"),
    ("Mark", "M"),
    ("Math_Symbol", "Sm"),
    ("Modifier_Letter", "Lm"),
    ("Modifier_Symbol", "Sk"),
    ("Nonspacing_Mark", "Mn"),
    ("Number", "N"),
    ("Open_Punctuation", "Ps"),
    ("Other", "C"),
    ("Other_Letter", "Lo"),
    ("Other_Number", "No"),
    ("Other_Punctuation", "Po"),
    ("Other_Symbol", "So"),
    ("Paragraph_Separator", "Zp"),
    ("Private_Use", "Co"),
    ("Punctuation", "P"),
    ("Separator", "Z"),
    ("Space_Separator", "Zs"),
    ("Spacing_Mark", "Mc"),
    ("Surrogate", "Cs"),
    ("Symbol", "S"),
    ("Titlecase_Letter", "Lt"),
    ("Unassigned", "Cn"),
    ("Uppercase_Letter", "Lu"),
    ("cntrl", "Cc"),
    ("digit", "Nd"),
    ("punct", "P"),
];

/// `unicode.Scripts` keys as of Go 1.21–1.25 (Unicode 15.0).
#[rustfmt::skip]
const GO_SCRIPTS: &[&str] = &[
    "Adlam", "Ahom", "Anatolian_Hieroglyphs", "Arabic", "Armenian", "Avestan", "Balinese", "Bamum",
    "Bassa_Vah", "Batak", "Bengali", "Bhaiksuki", "Bopomofo", "Brahmi", "Braille", "Buginese",
    "Buhid", "Canadian_Aboriginal", "Carian", "Caucasian_Albanian", "Chakma", "Cham", "Cherokee",
    "Chorasmian", "Common", "Coptic", "Cuneiform", "Cypriot", "Cypro_Minoan", "Cyrillic", "Deseret",
    "Devanagari", "Dives_Akuru", "Dogra", "Duployan", "Egyptian_Hieroglyphs", "Elbasan", "Elymaic",
    "Ethiopic", "Georgian", "Glagolitic", "Gothic", "Grantha", "Greek", "Gujarati", "Gunjala_Gondi",
    "Gurmukhi", "Han", "Hangul", "Hanifi_Rohingya", "Hanunoo", "Hatran", "Hebrew", "Hiragana",
    "Imperial_Aramaic", "Inherited", "Inscriptional_Pahlavi", "Inscriptional_Parthian", "Javanese",
    "Kaithi", "Kannada", "Katakana", "Kawi", "Kayah_Li", "Kharoshthi", "Khitan_Small_Script",
    "Khmer", "Khojki", "Khudawadi", "Lao", "Latin", "Lepcha", "Limbu", "Linear_A", "Linear_B",
    "Lisu", "Lycian", "Lydian", "Mahajani", "Makasar", "Malayalam", "Mandaic", "Manichaean",
    "Marchen", "Masaram_Gondi", "Medefaidrin", "Meetei_Mayek", "Mende_Kikakui", "Meroitic_Cursive",
    "Meroitic_Hieroglyphs", "Miao", "Modi", "Mongolian", "Mro", "Multani", "Myanmar", "Nabataean",
    "Nag_Mundari", "Nandinagari", "New_Tai_Lue", "Newa", "Nko", "Nushu", "Nyiakeng_Puachue_Hmong",
    "Ogham", "Ol_Chiki", "Old_Hungarian", "Old_Italic", "Old_North_Arabian", "Old_Permic",
    "Old_Persian", "Old_Sogdian", "Old_South_Arabian", "Old_Turkic", "Old_Uyghur", "Oriya", "Osage",
    "Osmanya", "Pahawh_Hmong", "Palmyrene", "Pau_Cin_Hau", "Phags_Pa", "Phoenician",
    "Psalter_Pahlavi", "Rejang", "Runic", "Samaritan", "Saurashtra", "Sharada", "Shavian",
    "Siddham", "SignWriting", "Sinhala", "Sogdian", "Sora_Sompeng", "Soyombo", "Sundanese",
    "Syloti_Nagri", "Syriac", "Tagalog", "Tagbanwa", "Tai_Le", "Tai_Tham", "Tai_Viet", "Takri",
    "Tamil", "Tangsa", "Tangut", "Telugu", "Thaana", "Thai", "Tibetan", "Tifinagh", "Tirhuta",
    "Toto", "Ugaritic", "Vai", "Vithkuqi", "Wancho", "Warang_Citi", "Yezidi", "Yi",
    "Zanabazar_Square",
];

/// Go ≥ 1.25's `canonicalName`: drop `_`, `-` and spaces, upper-case the
/// first letter and lower-case the rest (ASCII only).
fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut first = true;
    for c in name.chars() {
        match c {
            '_' | '-' | ' ' => {}
            c if first => {
                out.push(c.to_ascii_uppercase());
                first = false;
            }
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

/// Go's `unicodeTable`, accepting what any Go from 1.19 to 1.25 accepts.
fn unicode_table(name: &str) -> Option<UnicodeTable> {
    let resolve = |code: &str| -> UnicodeTable {
        if code == "Cs" {
            UnicodeTable::Surrogates
        } else {
            UnicodeTable::Named(code.to_string(), false)
        }
    };
    // Older Go: exact keys only.
    if name == "Any" {
        return Some(UnicodeTable::Named("Any".into(), false));
    }
    if let Some(c) = GO_CATEGORIES.iter().find(|&&c| c == name) {
        return Some(resolve(c));
    }
    if let Some(s) = GO_SCRIPTS.iter().find(|&&s| s == name) {
        return Some(UnicodeTable::Named((*s).into(), false));
    }
    // Go 1.25: canonicalised lookups.
    let canon = canonical_name(name);
    match canon.as_str() {
        "Any" => return Some(UnicodeTable::Named("Any".into(), false)),
        "Assigned" => return Some(UnicodeTable::Named("Cn".into(), true)),
        "Ascii" => return Some(UnicodeTable::Named("ASCII".into(), false)),
        "Lc" => return Some(UnicodeTable::Named("LC".into(), false)),
        _ => {}
    }
    if let Some(c) = GO_CATEGORIES.iter().find(|&&c| c == canon) {
        return Some(resolve(c));
    }
    if let Some(s) = GO_SCRIPTS.iter().find(|&&s| canonical_name(s) == canon) {
        return Some(UnicodeTable::Named((*s).into(), false));
    }
    if let Some((_, code)) = GO_CATEGORY_ALIASES
        .iter()
        .find(|(alias, _)| canonical_name(alias) == canon)
    {
        return Some(resolve(code));
    }
    None
}

#[cfg(test)]
mod tests;
