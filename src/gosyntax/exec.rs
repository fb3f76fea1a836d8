//! Executes Go `text/template` sources against a small value model: the
//! commit messages of `apply --commit`.
//!
//! Why our own engine: the Rust port of Go templates (`gtmpl`) has had no
//! release since 2021, reports errors without positions, and has no notion
//! of "this field was removed" (Flux's `RemovedTemplateField`). We already
//! own a Go-exact *parser* ([`super::template`]); this module adds the
//! executor. [`Template::parse`] runs that parser with Flux's function map,
//! so syntax errors and undefined functions read exactly as Go's, and
//! executes the tree it builds: what the checks saw is what runs.
//!
//! Supported: text and actions with `{{-`/`-}}` trimming and comments;
//! fields, chained fields, `$variables` (declare `:=`, assign `=`), `$`;
//! pipelines with `|`; parenthesised pipelines; `if`/`else if`/`else`,
//! `range` (slices, maps in key order, integers; `$i, $v :=`, `else`,
//! `break`, `continue`), `with`/`else with`; the Go builtins `and or not
//! len index slice print printf println eq ne lt le gt ge`, and the
//! hermetic Sprig functions listed in [`SPRIG_IMPLEMENTED`]. Anything else
//! Flux accepts (`define`/`template`/`block`, `call`, `html`, `js`,
//! `urlquery`, the other Sprig functions) is refused with a clear error
//! instead of rendering something different from the peer.
//!
//! Go semantics kept: structs have fixed fields (an unknown field is an
//! error naming it and its type); a missing map key prints `<no value>`;
//! maps range in sorted key order; `and`/`or` short-circuit and return an
//! operand; truth is Go's (zero values are false). Positions in errors are
//! Go's `LINE:COL` (column = bytes before the node on its line).
//!
//! Literals are Go's: a number is an int or a float64 as Go's
//! `idealConstant` decides from its spelling (`0x1p4` is 16.0, an integer
//! past `int` fails to run), and strings are unquoted by the parser.
//!
//! Hands on [`Template`], [`Value`], [`Struct`], [`ExecError`] and
//! [`FuncError`].

use std::fmt::{self, Write as _};

use super::template::tree::{Command, Node, Number, Operand, Pipe, Term, Tree};
use super::template::{self as parser, TemplateError};

/// The name Go would give the template in messages.
pub const TEMPLATE_NAME: &str = "commit message";

/// Longest output a template may produce, and the longest value any one
/// function may return: width, `indent`, `repeat` and `replace` are checked
/// against it before they allocate.
pub const MAX_OUTPUT: usize = 1 << 20;

/// Bytes a run may copy in all (pipeline results, function arguments and
/// results, counted as they are made): each value is at most [`MAX_OUTPUT`],
/// and this bounds how many of them a short template can multiply.
pub const MAX_COPIED: usize = 256 << 20;

/// Hermetic Sprig functions this executor implements.
#[rustfmt::skip]
pub const SPRIG_IMPLEMENTED: &[&str] = &[
    "lower", "upper", "title", "trim", "trimAll", "trimPrefix", "trimSuffix", "replace",
    "contains", "hasPrefix", "hasSuffix", "join", "splitList", "default", "empty", "coalesce",
    "quote", "squote", "indent", "nindent", "trunc", "repeat", "first", "last", "list",
    "toString", "sortAlpha", "uniq", "keys", "base", "dir", "ternary", "substr", "nospace",
];

const GO_IMPLEMENTED: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt",
    "le", "gt", "ge",
];

/// A function a template may call here.
pub fn is_implemented_function(name: &str) -> bool {
    GO_IMPLEMENTED.contains(&name) || SPRIG_IMPLEMENTED.contains(&name)
}

// ---------------------------------------------------------------------------
// Values

/// Template data: what Go's reflection would see.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Go's invalid value (a missing map key) or nil.
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Value>),
    /// A Go map, entries kept in key order: `range` and printing follow it.
    Map(Vec<(Value, Value)>),
    Struct(Struct),
}

/// A Go struct: fixed fields, an optional `String()` rendering, and fields
/// the peer removed (accessing one is an error carrying the message).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Struct {
    pub type_name: String,
    pub fields: Vec<(String, Value)>,
    /// What printing it shows (a Go `String()` method); else `{f1 f2}`.
    pub display: Option<String>,
    /// Removed field name → why and what to use instead.
    pub removed: Vec<(String, String)>,
}

impl Struct {
    pub fn new(type_name: &str) -> Self {
        Struct {
            type_name: type_name.into(),
            ..Struct::default()
        }
    }

    pub fn field(mut self, name: &str, value: Value) -> Self {
        self.fields.push((name.into(), value));
        self
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    /// A map with string keys, sorted as Go's `range` sorts them.
    pub fn string_map(entries: impl IntoIterator<Item = (String, Value)>) -> Value {
        let mut v: Vec<(Value, Value)> = entries
            .into_iter()
            .map(|(k, v)| (Value::Str(k), v))
            .collect();
        v.sort_by(|a, b| cmp_keys(&a.0, &b.0));
        v.dedup_by(|a, b| a.0 == b.0);
        Value::Map(v)
    }

    fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Float(_) => "float64".into(),
            Value::Str(_) => "string".into(),
            Value::List(_) => "[]interface {}".into(),
            Value::Map(_) => "map".into(),
            Value::Struct(s) => s.type_name.clone(),
        }
    }

    /// Go's `truth`: zero values are false; structs are always true.
    pub fn truth(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Struct(_) => true,
        }
    }
}

/// Orders map keys: strings and numbers as Go sorts basic keys; structs by
/// their fields (Go leaves the order of struct keys unspecified).
fn cmp_keys(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x.cmp(y),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Struct(x), Value::Struct(y)) => {
            for ((_, fx), (_, fy)) in x.fields.iter().zip(&y.fields) {
                let o = cmp_keys(fx, fy);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.fields.len().cmp(&y.fields.len())
        }
        _ => format_value(a).cmp(&format_value(b)),
    }
}

/// Go's `fmt.Sprint` of one value (`%v`).
pub fn format_value(v: &Value) -> String {
    let mut s = String::new();
    write_value(&mut s, v, true);
    s
}

fn write_value(out: &mut String, v: &Value, top: bool) {
    match v {
        Value::Nil => out.push_str(if top { "<no value>" } else { "<nil>" }),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&format_float(*f)),
        Value::Str(s) => out.push_str(s),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, item, false);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push_str("map[");
            for (i, (k, val)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, k, false);
                out.push(':');
                write_value(out, val, false);
            }
            out.push(']');
        }
        Value::Struct(s) => match &s.display {
            Some(d) => out.push_str(d),
            None => {
                out.push('{');
                for (i, (_, val)) in s.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    write_value(out, val, false);
                }
                out.push('}');
            }
        },
    }
}

/// Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`), for the
/// values templates produce.
fn format_float(f: f64) -> String {
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f.is_nan() {
        return "NaN".into();
    }
    let exp = if f == 0.0 {
        0
    } else {
        f.abs().log10().floor() as i32
    };
    if !(-4..21).contains(&exp) {
        let s = format!("{f:e}");
        // Rust: 1e21, 1.5e-7; Go: 1e+21, 1.5e-07.
        let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match e.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', e),
        };
        return format!("{mant}e{sign}{digits:0>2}");
    }
    format!("{f}")
}

// ---------------------------------------------------------------------------
// Errors

/// A parse or execution error at a byte offset of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecError {
    pub offset: usize,
    /// 1-based line and Go's column (bytes before the offset on its line).
    pub line: usize,
    pub col: usize,
    /// The node Go names after `at`, e.g. `<.Changed.Foo>`.
    pub context: Option<String>,
    pub message: String,
}

impl ExecError {
    fn new(src: &str, offset: usize, context: Option<String>, message: impl Into<String>) -> Self {
        let offset = offset.min(src.len());
        let before = &src.as_bytes()[..offset];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let col = offset
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
        ExecError {
            offset,
            line,
            col,
            context,
            message: message.into(),
        }
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "template: {TEMPLATE_NAME}:{}:{}: ", self.line, self.col)?;
        if let Some(c) = &self.context {
            write!(f, "executing \"{TEMPLATE_NAME}\" at <{c}>: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExecError {}

// ---------------------------------------------------------------------------
// Template

/// A parsed template, ready to execute.
#[derive(Debug, Clone)]
pub struct Template {
    src: String,
    tree: Tree,
    info: parser::TemplateInfo,
}

fn syntax_error(src: &str, e: &TemplateError) -> ExecError {
    // Go names only a line for parse errors; we point at the offending
    // token (line and column).
    ExecError::new(src, e.range.start, None, e.message.clone())
}

impl Template {
    /// Parses like Flux's `template.New(…).Funcs(sprig.HermeticTxtFuncMap()).Parse(src)`,
    /// then refuses what this executor does not implement.
    pub fn parse(src: &str) -> Result<Template, ExecError> {
        let (info, tree) = parser::parse_tree_as_go(src, TEMPLATE_NAME, &parser::is_known_function)
            .map_err(|e| syntax_error(src, &e))?;
        if let Some((name, range)) = info
            .functions
            .iter()
            .find(|(n, _)| !is_implemented_function(n))
        {
            return Err(ExecError::new(
                src,
                range.start,
                None,
                format!(
                    "function {name:?} is valid in Flux templates but not implemented by kubectl-imageupdate"
                ),
            ));
        }
        if let Some((at, what)) = unsupported(&tree, src) {
            return Err(ExecError::new(
                src,
                at,
                None,
                format!("{what} is not supported in commit message templates"),
            ));
        }
        Ok(Template {
            src: src.to_owned(),
            tree,
            info,
        })
    }

    /// Checks every field chain whose path from the top-level data is known
    /// statically against `schema` (a sample of the data), including
    /// branches that a given execution would not take.
    pub fn check_fields(&self, schema: &Value) -> Result<(), ExecError> {
        for f in &self.info.fields {
            let Some(path) = &f.resolved else { continue };
            // `resolved` is the full path from the top; the chain's own
            // segments are its tail.
            let skip = path.len() - f.chain.len().min(path.len());
            let mut cur = schema;
            for (i, name) in path.iter().enumerate() {
                let Value::Struct(s) = cur else { break };
                if let Some((_, why)) = s.removed.iter().find(|(n, _)| n == name) {
                    let at = segment_pos(f, i, skip);
                    return Err(ExecError::new(
                        &self.src,
                        at,
                        Some(format!(".{}", path[..=i].join("."))),
                        why.clone(),
                    ));
                }
                match s.get(name) {
                    Some(v) => cur = v,
                    None => {
                        let at = segment_pos(f, i, skip);
                        return Err(ExecError::new(
                            &self.src,
                            at,
                            Some(format!(".{}", path[..=i].join("."))),
                            unknown_field_message(name, s),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs the template with `data` as dot.
    pub fn execute(&self, data: &Value) -> Result<String, ExecError> {
        let mut st = State {
            src: &self.src,
            out: String::new(),
            vars: vec![("$".to_owned(), data.clone())],
            steps: 0,
            copied: 0,
        };
        match st.walk(&self.tree.root, data, 0)? {
            Flow::Normal => {}
            Flow::Break(at) | Flow::Continue(at) => {
                return Err(st.err(at, None, "break or continue outside range"));
            }
        }
        Ok(st.out)
    }
}

fn segment_pos(f: &parser::FieldRef, i: usize, skip: usize) -> usize {
    if i >= skip
        && let Some(r) = f.segments.get(i - skip)
    {
        return r.start;
    }
    f.range.start
}

/// The first construct, in source order, that Flux runs but this executor
/// does not: `define`, `template` and `block` (one template per message
/// here), and complex constants (no complex values here). Its offset, and
/// how to name it.
fn unsupported(tree: &Tree, src: &str) -> Option<(usize, String)> {
    fn keyword(src: &str, at: &std::ops::Range<usize>) -> (usize, String) {
        let word = src.get(at.clone()).unwrap_or_default();
        (at.start, format!("{{{{{word}}}}}"))
    }
    fn pipe(p: &Pipe, found: &mut Vec<(usize, String)>) {
        for op in p.cmds.iter().flat_map(|c| &c.args) {
            match &op.term {
                Term::Number(n) if n.complex => {
                    found.push((op.range.start, format!("complex constant {}", n.text)));
                }
                Term::Pipe(inner) => pipe(inner, found),
                _ => {}
            }
        }
    }
    fn list(src: &str, nodes: &[Node], found: &mut Vec<(usize, String)>) {
        for node in nodes {
            match node {
                Node::Action(p) => pipe(p, found),
                Node::If(c) | Node::Range(c) | Node::With(c) => {
                    pipe(&c.pipe, found);
                    list(src, &c.list, found);
                    list(src, &c.else_list, found);
                }
                Node::Template(call) => {
                    found.push(keyword(src, &call.keyword));
                    if let Some(p) = &call.pipe {
                        pipe(p, found);
                    }
                }
                Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
            }
        }
    }
    let mut found = Vec::new();
    list(src, &tree.root, &mut found);
    for d in &tree.defines {
        found.push(keyword(src, &d.keyword));
        list(src, &d.body, &mut found);
    }
    found.into_iter().min_by_key(|(at, _)| *at)
}

fn unknown_field_message(name: &str, s: &Struct) -> String {
    let fields: Vec<&str> = s.fields.iter().map(|(n, _)| n.as_str()).collect();
    format!(
        "can't evaluate field {name} in type {} (fields: {})",
        s.type_name,
        fields.join(", ")
    )
}

// ---------------------------------------------------------------------------
// Execution

enum Flow {
    Normal,
    Break(usize),
    Continue(usize),
}

/// Bound on executed nodes and loop iterations: a template is data from a
/// user's repository and must not spin.
const MAX_STEPS: usize = 1_000_000;

struct State<'a> {
    src: &'a str,
    out: String,
    vars: Vec<(String, Value)>,
    steps: usize,
    copied: usize,
}

impl<'a> State<'a> {
    fn err(&self, at: usize, context: Option<&str>, msg: impl Into<String>) -> ExecError {
        ExecError::new(self.src, at, context.map(str::to_owned), msg)
    }

    fn step(&mut self, at: usize) -> Result<(), ExecError> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(self.err(at, None, "template runs too long"));
        }
        if self.out.len() > MAX_OUTPUT {
            return Err(self.err(at, None, "message is longer than 1 MiB"));
        }
        Ok(())
    }

    /// Counts `v` as copied; errors once the run has copied too much.
    fn charge(&mut self, at: usize, v: &Value) -> Result<(), ExecError> {
        self.copied = self.copied.saturating_add(weight(v));
        if self.copied > MAX_COPIED {
            return Err(self.err(
                at,
                None,
                format!(
                    "template copies more than {} MiB of values",
                    MAX_COPIED >> 20
                ),
            ));
        }
        Ok(())
    }

    fn walk(&mut self, nodes: &[Node], dot: &Value, depth: usize) -> Result<Flow, ExecError> {
        for node in nodes {
            self.step(0)?;
            match node {
                Node::Text(range) => {
                    let src = self.src;
                    self.out
                        .push_str(src.get(range.clone()).unwrap_or_default());
                }
                Node::Action(pipe) => {
                    let v = self.pipe(pipe, dot)?;
                    if pipe.decl.is_empty() {
                        write_value(&mut self.out, &v, true);
                    }
                }
                Node::If(c) | Node::With(c) => {
                    let mark = self.vars.len();
                    let v = self.pipe(&c.pipe, dot)?;
                    let flow = if v.truth() {
                        let inner = if matches!(node, Node::With(..)) {
                            v
                        } else {
                            dot.clone()
                        };
                        self.walk(&c.list, &inner, depth + 1)?
                    } else {
                        self.walk(&c.else_list, dot, depth + 1)?
                    };
                    self.vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Range(c) => {
                    let mark = self.vars.len();
                    let flow = self.range(&c.pipe, &c.list, &c.else_list, dot, depth)?;
                    self.vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Break(at) => return Ok(Flow::Break(*at)),
                Node::Continue(at) => return Ok(Flow::Continue(*at)),
                // Refused by `Template::parse`.
                Node::Template(call) => {
                    return Err(self.err(
                        call.keyword.start,
                        None,
                        "{{template}} is not supported in commit message templates",
                    ));
                }
            }
        }
        Ok(Flow::Normal)
    }

    fn range(
        &mut self,
        pipe: &Pipe,
        body: &[Node],
        els: &[Node],
        dot: &Value,
        depth: usize,
    ) -> Result<Flow, ExecError> {
        // The declared variables take key and element, not the pipeline value.
        let at = pipe.cmds.first().map_or(0, |c| c.at);
        let v = self.pipe_value(pipe, dot)?;
        let items: Vec<(Value, Value)> = match v {
            Value::List(l) => l
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::Int(i as i64), v))
                .collect(),
            Value::Map(m) => m,
            Value::Int(n) if n > MAX_STEPS as i64 => {
                return Err(self.err(at, None, "template runs too long"));
            }
            Value::Int(n) => (0..n.max(0))
                .map(|i| (Value::Int(i), Value::Int(i)))
                .collect(),
            Value::Nil => Vec::new(),
            other => {
                return Err(self.err(
                    at,
                    None,
                    format!("range can't iterate over {}", format_value(&other)),
                ));
            }
        };
        if items.is_empty() {
            return self.walk(els, dot, depth + 1);
        }
        let mark = self.vars.len();
        for (k, v) in items {
            self.step(at)?;
            self.vars.truncate(mark);
            match pipe.decl.as_slice() {
                [] => {}
                [(one, _)] => self.vars.push((one.clone(), v.clone())),
                [(a, _), (b, _), ..] => {
                    self.vars.push((a.clone(), k));
                    self.vars.push((b.clone(), v.clone()));
                }
            }
            match self.walk(body, &v, depth + 1)? {
                Flow::Break(_) => break,
                Flow::Continue(_) | Flow::Normal => {}
            }
        }
        Ok(Flow::Normal)
    }

    /// The pipeline's value, its declarations left alone.
    fn pipe_value(&mut self, pipe: &Pipe, dot: &Value) -> Result<Value, ExecError> {
        let mut last: Option<Value> = None;
        for cmd in &pipe.cmds {
            last = Some(self.command(cmd, dot, last)?);
        }
        let v = last.unwrap_or(Value::Nil);
        let at = pipe.cmds.first().map_or(0, |c| c.at);
        self.charge(at, &v)?;
        Ok(v)
    }

    fn pipe(&mut self, pipe: &Pipe, dot: &Value) -> Result<Value, ExecError> {
        let v = self.pipe_value(pipe, dot)?;
        for (name, at) in &pipe.decl {
            if pipe.is_assign {
                match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                    Some(slot) => slot.1 = v.clone(),
                    None => return Err(self.err(*at, None, format!("undefined variable: {name}"))),
                }
            } else {
                self.vars.push((name.clone(), v.clone()));
            }
        }
        Ok(v)
    }

    fn command(
        &mut self,
        cmd: &Command,
        dot: &Value,
        fin: Option<Value>,
    ) -> Result<Value, ExecError> {
        let Some((first, rest)) = cmd.args.split_first() else {
            return Err(self.err(cmd.at, None, "empty command"));
        };
        if let Term::Function(name) = &first.term
            && first.fields.is_empty()
        {
            return self.call(name, first, rest, dot, fin);
        }
        if matches!(first.term, Term::Nil) && rest.is_empty() && first.fields.is_empty() {
            return Err(self.err(first.range.start, Some("nil"), "nil is not a command"));
        }
        if !rest.is_empty() || fin.is_some() {
            let text = self.text(first);
            let what = match first.fields.last() {
                None => format!("can't give argument to non-function {text}"),
                Some((name, _)) => {
                    format!("{name} has arguments but cannot be invoked as function")
                }
            };
            return Err(self.err(first.range.start, Some(text), what));
        }
        self.operand(first, dot)
    }

    /// The operand's source text, for `at <…>` in errors.
    fn text(&self, op: &Operand) -> &'a str {
        self.src.get(op.range.clone()).unwrap_or_default()
    }

    /// Go's `idealConstant`: a literal's spelling decides between float
    /// and int, as Go decides it with no type to convert to.
    fn constant(&self, n: &Number, op: &Operand) -> Result<Value, ExecError> {
        let text = n.text.as_str();
        let at = op.range.start;
        if n.complex {
            let what =
                format!("complex constant {text} is not supported in commit message templates");
            return Err(self.err(at, Some(text), what));
        }
        let b = text.as_bytes();
        let hex_int = b.len() > 2
            && b[0] == b'0'
            && matches!(b[1], b'x' | b'X')
            && !text.contains(['p', 'P']);
        let rune = b.first() == Some(&b'\'');
        if let Some(f) = n.float
            && !hex_int
            && !rune
            && text.contains(['.', 'e', 'E', 'p', 'P'])
        {
            return Ok(Value::Float(f));
        }
        match n.int {
            Some(i) => Ok(Value::Int(i)),
            None => Err(self.err(at, Some(text), format!("{text} overflows int"))),
        }
    }

    fn operand(&mut self, op: &Operand, dot: &Value) -> Result<Value, ExecError> {
        let base = match &op.term {
            Term::Dot => dot.clone(),
            Term::Nil => Value::Nil,
            Term::Bool(b) => Value::Bool(*b),
            Term::Number(n) => self.constant(n, op)?,
            Term::String(s) => Value::Str(s.clone()),
            Term::Function(name) => self.call(name, op, &[], dot, None)?,
            Term::Variable(name) => match self.vars.iter().rev().find(|(n, _)| n == name) {
                Some((_, v)) => v.clone(),
                None => {
                    return Err(self.err(
                        op.range.start,
                        None,
                        format!("undefined variable: {name}"),
                    ));
                }
            },
            Term::Pipe(p) => self.pipe(p, dot)?,
        };
        let mut cur = base;
        for (i, (name, at)) in op.fields.iter().enumerate() {
            let ctx = chain_text(op, self.text(op), i);
            cur = match cur {
                Value::Struct(s) => {
                    if let Some((_, why)) = s.removed.iter().find(|(n, _)| n == name) {
                        return Err(self.err(*at, Some(&ctx), why.clone()));
                    }
                    match s.get(name) {
                        Some(v) => v.clone(),
                        None => {
                            return Err(self.err(*at, Some(&ctx), unknown_field_message(name, &s)));
                        }
                    }
                }
                Value::Map(m) => m
                    .into_iter()
                    .find(|(k, _)| matches!(k, Value::Str(s) if s == name))
                    .map(|(_, v)| v)
                    .unwrap_or(Value::Nil),
                Value::Nil => {
                    return Err(self.err(
                        *at,
                        Some(&ctx),
                        format!("nil pointer evaluating interface {{}}.{name}"),
                    ));
                }
                other => {
                    return Err(self.err(
                        *at,
                        Some(&ctx),
                        format!("can't evaluate field {name} in type {}", other.type_name()),
                    ));
                }
            };
        }
        Ok(cur)
    }

    fn args(
        &mut self,
        ops: &[Operand],
        dot: &Value,
        fin: Option<Value>,
    ) -> Result<Vec<Value>, ExecError> {
        let mut out = Vec::with_capacity(ops.len() + 1);
        for op in ops {
            out.push(self.operand(op, dot)?);
        }
        out.extend(fin);
        Ok(out)
    }

    fn call(
        &mut self,
        name: &str,
        op: &Operand,
        ops: &[Operand],
        dot: &Value,
        fin: Option<Value>,
    ) -> Result<Value, ExecError> {
        let at = op.range.start;
        let ctx = name.to_owned();
        // and/or evaluate lazily (Go 1.18+).
        if name == "and" || name == "or" {
            let n = ops.len() + usize::from(fin.is_some());
            if n == 0 {
                return Err(self.err(
                    at,
                    Some(&ctx),
                    format!("wrong number of args for {name}: want at least 1 got 0"),
                ));
            }
            let mut last = Value::Nil;
            for o in ops {
                last = self.operand(o, dot)?;
                if last.truth() == (name == "or") {
                    return Ok(last);
                }
            }
            if let Some(f) = fin {
                last = f;
            }
            return Ok(last);
        }
        let args = self.args(ops, dot, fin)?;
        for a in &args {
            self.charge(at, a)?;
        }
        let v = funcs::call(name, &args)
            .map_err(|m| self.err(at, Some(&ctx), format!("error calling {name}: {m}")))?;
        if weight(&v) > MAX_OUTPUT {
            return Err(self.err(
                at,
                Some(&ctx),
                format!("error calling {name}: the result is longer than 1 MiB"),
            ));
        }
        self.charge(at, &v)?;
        Ok(v)
    }
}

/// Roughly the bytes a value holds: what cloning it costs.
fn weight(v: &Value) -> usize {
    const CELL: usize = 16;
    match v {
        Value::Nil | Value::Bool(_) | Value::Int(_) | Value::Float(_) => CELL,
        Value::Str(s) => CELL + s.len(),
        Value::List(l) => CELL + l.iter().map(weight).sum::<usize>(),
        Value::Map(m) => CELL + m.iter().map(|(k, v)| weight(k) + weight(v)).sum::<usize>(),
        Value::Struct(s) => {
            CELL + s.display.as_ref().map_or(0, String::len)
                + s.fields
                    .iter()
                    .map(|(n, v)| n.len() + weight(v))
                    .sum::<usize>()
        }
    }
}

/// The chain up to field `upto`, as Go names it after `at`.
fn chain_text(op: &Operand, text: &str, upto: usize) -> String {
    let mut s = match &op.term {
        Term::Dot => String::new(),
        Term::Variable(v) => v.clone(),
        Term::Pipe(_) => "(…)".into(),
        _ => text.split('.').next().unwrap_or_default().to_owned(),
    };
    for (n, _) in op.fields.iter().take(upto + 1) {
        s.push('.');
        s.push_str(n);
    }
    s
}

/// Why a function call failed: the text after Go's `error calling NAME: `
/// in an [`ExecError`]. Worded as Go and Sprig word them where they have a
/// word for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FuncError {
    /// `want` is `1`, `at least 1`, `1 or 2`, …
    #[error("wrong number of args for {name}: want {want} got {got}")]
    ArgCount {
        name: String,
        want: String,
        got: usize,
    },
    #[error("{0:?} is not a number")]
    NotANumber(String),
    #[error("can't convert {0} to int")]
    NotAnInt(String),
    #[error("{0} is not a list")]
    NotAList(String),
    /// A width, precision, indent, repeat or replacement past
    /// [`MAX_OUTPUT`], refused before allocating.
    #[error("{0} would make the result longer than 1 MiB")]
    TooLong(String),
    #[error("non-comparable type {0}")]
    NonComparable(String),
    #[error("incompatible types for comparison")]
    IncompatibleTypes,
    #[error("NaN")]
    NaN,
    #[error("invalid type for comparison in {name}: {left} and {right}")]
    InvalidComparison {
        name: String,
        left: String,
        right: String,
    },
    #[error("missing argument for comparison")]
    MissingComparand,
    /// An index, or `lo:hi` for slices.
    #[error("index out of range: {0}")]
    OutOfRange(String),
    #[error("index of untyped nil")]
    IndexOfNil,
    /// `verb` is `index` or `slice`.
    #[error("can't {verb} item of type {type_name}")]
    NotIndexable {
        verb: &'static str,
        type_name: String,
    },
    #[error("too many slice indexes")]
    TooManySliceIndexes,
    #[error("slice splits a UTF-8 character")]
    SplitsCharacter,
    /// `len` or `keys` of a value that has none.
    #[error("{func} of type {type_name}")]
    WrongType {
        func: &'static str,
        type_name: String,
    },
    #[error("function {0:?} not implemented")]
    NotImplemented(String),
}

// ---------------------------------------------------------------------------
// Functions

mod funcs {
    use super::{FuncError, MAX_OUTPUT, Value, cmp_keys, format_value, write_value};
    use std::fmt::Write as _;

    type R = Result<Value, FuncError>;

    fn want(name: &str, args: &[Value], n: usize) -> Result<(), FuncError> {
        if args.len() != n {
            return Err(arg_count(name, &n.to_string(), args.len()));
        }
        Ok(())
    }

    fn arg_count(name: &str, want: &str, got: usize) -> FuncError {
        FuncError::ArgCount {
            name: name.to_owned(),
            want: want.to_owned(),
            got,
        }
    }

    fn s(v: &Value) -> String {
        match v {
            Value::Str(s) => s.clone(),
            Value::Nil => String::new(),
            other => format_value(other),
        }
    }

    fn int(v: &Value) -> Result<i64, FuncError> {
        match v {
            Value::Int(i) => Ok(*i),
            Value::Float(f) => Ok(*f as i64),
            Value::Str(s) => s
                .trim()
                .parse()
                .map_err(|_| FuncError::NotANumber(s.clone())),
            other => Err(FuncError::NotAnInt(format_value(other))),
        }
    }

    fn list(v: &Value) -> Result<Vec<Value>, FuncError> {
        match v {
            Value::List(l) => Ok(l.clone()),
            Value::Nil => Ok(Vec::new()),
            other => Err(FuncError::NotAList(format_value(other))),
        }
    }

    /// Go's `fmt.Sprint`: a space between operands when neither is a string.
    fn sprint(args: &[Value]) -> String {
        let mut out = String::new();
        for (i, a) in args.iter().enumerate() {
            if i > 0 && !matches!(a, Value::Str(_)) && !matches!(args[i - 1], Value::Str(_)) {
                out.push(' ');
            }
            write_value(&mut out, a, false);
        }
        out
    }

    pub(super) fn go_quote(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => {
                    let _ = if (c as u32) < 0x80 {
                        write!(out, "\\x{:02x}", c as u32)
                    } else {
                        write!(out, "\\u{:04x}", c as u32)
                    };
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    /// Go's `fmt.Sprintf` for the verbs templates use: `%v %s %d %q %t %x
    /// %X %f %%`, flags `-`, `0`, `+`, width and precision.
    fn sprintf(format: &str, args: &[Value]) -> Result<String, FuncError> {
        let mut out = String::new();
        let mut it = format.chars().peekable();
        let mut argi = 0;
        while let Some(c) = it.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let mut minus = false;
            let mut zero = false;
            let mut plus = false;
            while let Some(&f) = it.peek() {
                match f {
                    '-' => minus = true,
                    '0' => zero = true,
                    '+' => plus = true,
                    ' ' | '#' => {}
                    _ => break,
                }
                it.next();
            }
            let Some(width) = go_parsenum(&mut it) else {
                out.push_str("%!(NOVERB)");
                break;
            };
            let mut prec: Option<usize> = None;
            if it.peek() == Some(&'.') {
                it.next();
                let Some(p) = go_parsenum(&mut it) else {
                    out.push_str("%!(NOVERB)");
                    break;
                };
                prec = Some(p);
            }
            within_limit(&format!("width {width}"), width, 1)?;
            let Some(verb) = it.next() else {
                out.push_str("%!(NOVERB)");
                break;
            };
            if verb == '%' {
                out.push('%');
                continue;
            }
            let Some(arg) = args.get(argi) else {
                let _ = write!(out, "%!{verb}(MISSING)");
                continue;
            };
            argi += 1;
            if matches!(verb, 'f' | 'F') {
                within_limit("the precision", prec.unwrap_or(0), 1)?;
            }
            let mut text = match (verb, arg) {
                ('v', a) => format_value_nested(a),
                ('s', Value::Str(x)) => x.clone(),
                ('s', a) => format_value_nested(a),
                ('q', Value::Str(x)) => go_quote(x),
                ('d', Value::Int(i)) => {
                    if plus && *i >= 0 {
                        format!("+{i}")
                    } else {
                        i.to_string()
                    }
                }
                ('t', Value::Bool(b)) => b.to_string(),
                ('x', Value::Int(i)) => format!("{i:x}"),
                ('X', Value::Int(i)) => format!("{i:X}"),
                ('x', Value::Str(x)) => x.bytes().map(|b| format!("{b:02x}")).collect(),
                ('X', Value::Str(x)) => x.bytes().map(|b| format!("{b:02X}")).collect(),
                ('f' | 'F', Value::Float(f)) => format!("{:.*}", prec.unwrap_or(6), f),
                ('f' | 'F', Value::Int(i)) => {
                    format!("%!f(int={i})")
                }
                (v, a) => format!("%!{v}({}={})", a.type_name(), format_value_nested(a)),
            };
            if let (Some(p), 's' | 'v') = (prec, verb) {
                text = text.chars().take(p).collect();
            }
            let w = width;
            let len = text.chars().count();
            if len < w {
                let pad = w - len;
                if minus {
                    text.push_str(&" ".repeat(pad));
                } else if zero && matches!(verb, 'd' | 'x' | 'X' | 'f') {
                    let (sign, digits) = match text.strip_prefix(['-', '+']) {
                        Some(d) => (&text[..1], d),
                        None => ("", text.as_str()),
                    };
                    text = format!("{sign}{}{digits}", "0".repeat(pad));
                } else {
                    text = format!("{}{text}", " ".repeat(pad));
                }
            }
            out.push_str(&text);
        }
        if argi < args.len() {
            out.push_str("%!(EXTRA ");
            for (i, a) in args[argi..].iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{}={}", a.type_name(), format_value_nested(a));
            }
            out.push(')');
        }
        Ok(out)
    }

    /// fmt's `parsenum`: the digits at `it` (0 when there are none), or
    /// `None` when the number overflows (past 1e6 before another digit), in
    /// which case Go consumes the rest of the format and reports no verb.
    fn go_parsenum(it: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
        const TOO_LARGE: usize = 1_000_000;
        let mut num = 0usize;
        while let Some(d) = it.peek().and_then(|c| c.to_digit(10)) {
            if num > TOO_LARGE {
                it.by_ref().for_each(drop);
                return None;
            }
            num = num * 10 + d as usize;
            it.next();
        }
        Some(num)
    }

    fn format_value_nested(v: &Value) -> String {
        let mut s = String::new();
        write_value(&mut s, v, false);
        s
    }

    fn basic_eq(a: &Value, b: &Value) -> Result<bool, FuncError> {
        match (a, b) {
            (Value::Int(x), Value::Int(y)) => Ok(x == y),
            (Value::Float(x), Value::Float(y)) => Ok(x == y),
            (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => {
                Ok((*x as f64) == *y)
            }
            (Value::Str(x), Value::Str(y)) => Ok(x == y),
            (Value::Bool(x), Value::Bool(y)) => Ok(x == y),
            (Value::Nil, Value::Nil) => Ok(true),
            (Value::Nil, _) | (_, Value::Nil) => Ok(false),
            (Value::List(_) | Value::Map(_) | Value::Struct(_), _)
            | (_, Value::List(_) | Value::Map(_) | Value::Struct(_)) => {
                Err(FuncError::NonComparable(a.type_name()))
            }
            _ => Err(FuncError::IncompatibleTypes),
        }
    }

    fn order(name: &str, a: &Value, b: &Value) -> Result<std::cmp::Ordering, FuncError> {
        match (a, b) {
            (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
            (Value::Str(x), Value::Str(y)) => Ok(x.cmp(y)),
            (Value::Float(_) | Value::Int(_), Value::Float(_) | Value::Int(_)) => {
                let f = |v: &Value| match v {
                    Value::Int(i) => *i as f64,
                    Value::Float(f) => *f,
                    _ => 0.0,
                };
                f(a).partial_cmp(&f(b)).ok_or(FuncError::NaN)
            }
            _ => Err(FuncError::InvalidComparison {
                name: name.to_owned(),
                left: a.type_name(),
                right: b.type_name(),
            }),
        }
    }

    fn index(args: &[Value]) -> R {
        let Some((first, keys)) = args.split_first() else {
            return Err(arg_count("index", "at least 1", 0));
        };
        let mut cur = first.clone();
        for k in keys {
            cur = match cur {
                Value::List(l) => {
                    let i = int(k)?;
                    let out = || FuncError::OutOfRange(i.to_string());
                    l.get(usize::try_from(i).map_err(|_| out())?)
                        .cloned()
                        .ok_or_else(out)?
                }
                Value::Str(s) => {
                    let i = int(k)?;
                    let out = || FuncError::OutOfRange(i.to_string());
                    let b = s
                        .as_bytes()
                        .get(usize::try_from(i).map_err(|_| out())?)
                        .copied()
                        .ok_or_else(out)?;
                    Value::Int(b as i64)
                }
                Value::Map(m) => {
                    let zero = match m.first() {
                        Some((_, Value::Str(_))) => Value::Str(String::new()),
                        _ => Value::Nil,
                    };
                    m.into_iter()
                        .find(|(key, _)| basic_eq(key, k).unwrap_or(false) || key == k)
                        .map(|(_, v)| v)
                        .unwrap_or(zero)
                }
                Value::Nil => return Err(FuncError::IndexOfNil),
                other => {
                    return Err(FuncError::NotIndexable {
                        verb: "index",
                        type_name: other.type_name(),
                    });
                }
            };
        }
        Ok(cur)
    }

    fn slice(args: &[Value]) -> R {
        let Some((first, idx)) = args.split_first() else {
            return Err(arg_count("slice", "at least 1", 0));
        };
        let len = match first {
            Value::Str(s) => s.len(),
            Value::List(l) => l.len(),
            other => {
                return Err(FuncError::NotIndexable {
                    verb: "slice",
                    type_name: other.type_name(),
                });
            }
        };
        if idx.len() > 2 {
            return Err(FuncError::TooManySliceIndexes);
        }
        let lo = idx.first().map(int).transpose()?.unwrap_or(0);
        let hi = idx.get(1).map(int).transpose()?.unwrap_or(len as i64);
        if lo < 0 || hi < lo || hi as usize > len {
            return Err(FuncError::OutOfRange(format!("{lo}:{hi}")));
        }
        let (lo, hi) = (lo as usize, hi as usize);
        Ok(match first {
            Value::Str(s) => {
                Value::Str(s.get(lo..hi).ok_or(FuncError::SplitsCharacter)?.to_owned())
            }
            Value::List(l) => Value::List(l[lo..hi].to_vec()),
            _ => unreachable!(),
        })
    }

    fn indent(n: i64, text: &str) -> Result<String, FuncError> {
        let n = usize::try_from(n).unwrap_or(0);
        let lines = 1 + memchr::memchr_iter(b'\n', text.as_bytes()).count();
        within_limit(&format!("indenting by {n}"), n, lines)?;
        let pad = " ".repeat(n);
        Ok(format!("{pad}{}", text.replace('\n', &format!("\n{pad}"))))
    }

    /// Errors before allocating when `count` copies of `len` bytes would
    /// pass the limit.
    fn within_limit(what: &str, count: usize, len: usize) -> Result<(), FuncError> {
        if count.saturating_mul(len) > MAX_OUTPUT {
            return Err(FuncError::TooLong(what.to_owned()));
        }
        Ok(())
    }

    fn title(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at_start = true;
        for c in text.chars() {
            if at_start && c.is_alphabetic() {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            at_start = !c.is_alphanumeric() && c != '_' && c != '\'';
        }
        out
    }

    pub(super) fn call(name: &str, a: &[Value]) -> R {
        Ok(match name {
            "not" => {
                want(name, a, 1)?;
                Value::Bool(!a[0].truth())
            }
            "len" => {
                want(name, a, 1)?;
                Value::Int(match &a[0] {
                    Value::Str(s) => s.len(),
                    Value::List(l) => l.len(),
                    Value::Map(m) => m.len(),
                    other => {
                        return Err(FuncError::WrongType {
                            func: "len",
                            type_name: other.type_name(),
                        });
                    }
                } as i64)
            }
            "index" => index(a)?,
            "slice" => slice(a)?,
            "print" => Value::Str(sprint(a)),
            "println" => {
                let mut out = String::new();
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    write_value(&mut out, v, false);
                }
                out.push('\n');
                Value::Str(out)
            }
            "printf" => {
                let Some((f, rest)) = a.split_first() else {
                    return Err(arg_count("printf", "at least 1", 0));
                };
                Value::Str(sprintf(&s(f), rest)?)
            }
            "eq" => {
                let Some((first, rest)) = a.split_first() else {
                    return Err(FuncError::MissingComparand);
                };
                if rest.is_empty() {
                    return Err(FuncError::MissingComparand);
                }
                let mut any = false;
                for r in rest {
                    if basic_eq(first, r)? {
                        any = true;
                    }
                }
                Value::Bool(any)
            }
            "ne" => {
                want(name, a, 2)?;
                Value::Bool(!basic_eq(&a[0], &a[1])?)
            }
            "lt" | "le" | "gt" | "ge" => {
                want(name, a, 2)?;
                let o = order(name, &a[0], &a[1])?;
                use std::cmp::Ordering::*;
                Value::Bool(match name {
                    "lt" => o == Less,
                    "le" => o != Greater,
                    "gt" => o == Greater,
                    _ => o != Less,
                })
            }
            // Sprig (hermetic), argument order as Sprig defines it: the
            // piped value comes last.
            "lower" => {
                want(name, a, 1)?;
                Value::Str(s(&a[0]).to_lowercase())
            }
            "upper" => {
                want(name, a, 1)?;
                Value::Str(s(&a[0]).to_uppercase())
            }
            "title" => {
                want(name, a, 1)?;
                Value::Str(title(&s(&a[0])))
            }
            "trim" => {
                want(name, a, 1)?;
                Value::Str(s(&a[0]).trim().to_owned())
            }
            "nospace" => {
                want(name, a, 1)?;
                Value::Str(s(&a[0]).chars().filter(|c| !c.is_whitespace()).collect())
            }
            "trimAll" => {
                want(name, a, 2)?;
                let cut: Vec<char> = s(&a[0]).chars().collect();
                Value::Str(s(&a[1]).trim_matches(cut.as_slice()).to_owned())
            }
            "trimPrefix" => {
                want(name, a, 2)?;
                let (p, t) = (s(&a[0]), s(&a[1]));
                Value::Str(t.strip_prefix(p.as_str()).unwrap_or(&t).to_owned())
            }
            "trimSuffix" => {
                want(name, a, 2)?;
                let (p, t) = (s(&a[0]), s(&a[1]));
                Value::Str(t.strip_suffix(p.as_str()).unwrap_or(&t).to_owned())
            }
            "replace" => {
                want(name, a, 3)?;
                let (old, new, text) = (s(&a[0]), s(&a[1]), s(&a[2]));
                // An empty `old` matches between every character.
                let hits = if old.is_empty() {
                    text.chars().count() + 1
                } else {
                    text.matches(old.as_str()).count()
                };
                within_limit("the replacement", hits, new.len().saturating_sub(old.len()))?;
                Value::Str(text.replace(&old, &new))
            }
            "contains" => {
                want(name, a, 2)?;
                Value::Bool(s(&a[1]).contains(&s(&a[0])))
            }
            "hasPrefix" => {
                want(name, a, 2)?;
                Value::Bool(s(&a[1]).starts_with(&s(&a[0])))
            }
            "hasSuffix" => {
                want(name, a, 2)?;
                Value::Bool(s(&a[1]).ends_with(&s(&a[0])))
            }
            "join" => {
                want(name, a, 2)?;
                let items = match &a[1] {
                    Value::List(l) => l.iter().map(s).collect::<Vec<_>>(),
                    Value::Nil => Vec::new(),
                    other => vec![s(other)],
                };
                Value::Str(items.join(&s(&a[0])))
            }
            "splitList" => {
                want(name, a, 2)?;
                let sep = s(&a[0]);
                let text = s(&a[1]);
                Value::List(if sep.is_empty() {
                    text.chars().map(|c| Value::Str(c.to_string())).collect()
                } else {
                    text.split(sep.as_str())
                        .map(|p| Value::Str(p.into()))
                        .collect()
                })
            }
            "default" => {
                if a.is_empty() || a.len() > 2 {
                    return Err(arg_count("default", "1 or 2", a.len()));
                }
                match a.get(1) {
                    Some(v) if v.truth() => v.clone(),
                    _ => a[0].clone(),
                }
            }
            "empty" => {
                want(name, a, 1)?;
                Value::Bool(!a[0].truth())
            }
            "coalesce" => a.iter().find(|v| v.truth()).cloned().unwrap_or(Value::Nil),
            "ternary" => {
                want(name, a, 3)?;
                if a[2].truth() {
                    a[0].clone()
                } else {
                    a[1].clone()
                }
            }
            "quote" => Value::Str(
                a.iter()
                    .filter(|v| !matches!(v, Value::Nil))
                    .map(|v| go_quote(&s(v)))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            "squote" => Value::Str(
                a.iter()
                    .filter(|v| !matches!(v, Value::Nil))
                    .map(|v| format!("'{}'", s(v)))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            "indent" => {
                want(name, a, 2)?;
                Value::Str(indent(int(&a[0])?, &s(&a[1]))?)
            }
            "nindent" => {
                want(name, a, 2)?;
                Value::Str(format!("\n{}", indent(int(&a[0])?, &s(&a[1]))?))
            }
            "trunc" => {
                want(name, a, 2)?;
                let n = int(&a[0])?;
                let t = s(&a[1]);
                let len = t.len() as i64;
                Value::Str(if n < 0 {
                    let start = (len + n).max(0) as usize;
                    t.get(start..).unwrap_or(&t).to_owned()
                } else if n < len {
                    t.get(..n as usize).unwrap_or(&t).to_owned()
                } else {
                    t
                })
            }
            "substr" => {
                want(name, a, 3)?;
                let t = s(&a[2]);
                let (mut lo, mut hi) = (int(&a[0])?, int(&a[1])?);
                let len = t.len() as i64;
                if lo < 0 {
                    lo = 0;
                }
                if hi < 0 || hi > len {
                    hi = len;
                }
                Value::Str(
                    t.get(lo.min(hi) as usize..hi as usize)
                        .unwrap_or("")
                        .to_owned(),
                )
            }
            "repeat" => {
                want(name, a, 2)?;
                let n = int(&a[0])?.clamp(0, 10_000) as usize;
                let text = s(&a[1]);
                within_limit("repeating it", n, text.len())?;
                Value::Str(text.repeat(n))
            }
            "first" => {
                want(name, a, 1)?;
                list(&a[0])?.first().cloned().unwrap_or(Value::Nil)
            }
            "last" => {
                want(name, a, 1)?;
                list(&a[0])?.last().cloned().unwrap_or(Value::Nil)
            }
            "list" => Value::List(a.to_vec()),
            "toString" => {
                want(name, a, 1)?;
                Value::Str(s(&a[0]))
            }
            "sortAlpha" => {
                want(name, a, 1)?;
                let mut items: Vec<String> = match &a[0] {
                    Value::List(l) => l.iter().map(s).collect(),
                    other => vec![s(other)],
                };
                items.sort();
                Value::List(items.into_iter().map(Value::Str).collect())
            }
            "uniq" => {
                want(name, a, 1)?;
                let mut out: Vec<Value> = Vec::new();
                for v in list(&a[0])? {
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
                Value::List(out)
            }
            "keys" => {
                let mut out = Vec::new();
                for m in a {
                    if let Value::Map(m) = m {
                        out.extend(m.iter().map(|(k, _)| k.clone()));
                    } else {
                        return Err(FuncError::WrongType {
                            func: "keys",
                            type_name: m.type_name(),
                        });
                    }
                }
                out.sort_by(cmp_keys);
                Value::List(out)
            }
            "base" | "dir" => {
                want(name, a, 1)?;
                let p = s(&a[0]);
                Value::Str(path_fn(name, &p))
            }
            other => return Err(FuncError::NotImplemented(other.to_owned())),
        })
    }

    /// Go's `path.Base` / `path.Dir` (Sprig `base` / `dir`).
    fn path_fn(name: &str, p: &str) -> String {
        if p.is_empty() {
            return ".".into();
        }
        let trimmed = p.trim_end_matches('/');
        if trimmed.is_empty() {
            return "/".into();
        }
        match name {
            "base" => trimmed.rsplit('/').next().unwrap_or(trimmed).to_owned(),
            _ => match trimmed.rfind('/') {
                Some(0) => "/".into(),
                Some(i) => trimmed[..i]
                    .trim_end_matches('/')
                    .to_owned()
                    .max("/".into()),
                None => ".".into(),
            },
        }
    }
}

#[cfg(test)]
mod tests;
