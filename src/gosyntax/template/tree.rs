//! The parse tree of a template, as Go's `text/template/parse` builds it:
//! what [`super::parse_tree_as_go`] hands to the executor
//! ([`crate::gosyntax::exec`]). Offsets are bytes of the source, so the
//! executor can word its errors with Go's `LINE:COL` and the node's text.
//!
//! Go's field, variable and chain nodes are one [`Operand`] here: a
//! [`Term`] and the `.Field` names glued to it.

use std::ops::Range;

/// A parsed template: the top-level list and the `{{define}}`d trees.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tree {
    pub root: Vec<Node>,
    /// `{{define}}` and `{{block}}` bodies, in source order.
    pub defines: Vec<Define>,
}

/// A named template body from `{{define "name"}}` or `{{block "name"}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Define {
    pub name: String,
    /// The `define` or `block` keyword.
    pub keyword: Range<usize>,
    pub body: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Text between actions, trim markers applied: a range of the source.
    Text(Range<usize>),
    /// `{{pipeline}}`: printed unless it declares variables.
    Action(Pipe),
    If(Control),
    Range(Control),
    With(Control),
    /// `{{break}}` and `{{continue}}`, at their keyword.
    Break(usize),
    Continue(usize),
    /// `{{template "name" pipeline}}`, and the call half of `{{block}}`.
    Template(TemplateCall),
}

/// `if`, `range` and `with`: `{{else if}}` and `{{else with}}` are a
/// nested control as the only node of `else_list`, as in Go.
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TemplateCall {
    pub name: String,
    /// The `template` or `block` keyword.
    pub keyword: Range<usize>,
    pub pipe: Option<Pipe>,
}

/// Declarations (`$x :=`, `$i, $v :=`) or an assignment (`$x =`), then
/// commands separated by `|`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipe {
    /// Variable names with their `$`, at their offset.
    pub decl: Vec<(String, usize)>,
    pub is_assign: bool,
    pub cmds: Vec<Command>,
}

/// One pipeline stage: a function or value and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub args: Vec<Operand>,
    /// Where the command starts.
    pub at: usize,
}

/// A term and the field chain glued to it: `.A.B` is [`Term::Dot`] with
/// `A`, `B`; `$x.A`, `(pipe).A` and `fn.A` hang off their term.
#[derive(Debug, Clone, PartialEq)]
pub struct Operand {
    pub term: Term,
    /// Field names without their dot, each at its dot.
    pub fields: Vec<(String, usize)>,
    /// The whole operand in the source, fields included.
    pub range: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    Dot,
    Nil,
    Bool(bool),
    Number(Number),
    /// A string literal, unquoted.
    String(String),
    /// A function name.
    Function(String),
    /// A variable, named with its `$`.
    Variable(String),
    /// A parenthesised pipeline.
    Pipe(Box<Pipe>),
}

/// Go's `NumberNode`: every reading of the literal that Go's parser found
/// valid. Complex constants are only marked: the executor refuses them.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    pub text: String,
    pub int: Option<i64>,
    pub uint: Option<u64>,
    pub float: Option<f64>,
    pub complex: bool,
}
