//! Findings as values. A [`Diagnostic`] names a rule by its stable code,
//! points at a byte span of one file, and carries a message and a help line.
//! Checks produce them; reporters render them; nothing here does I/O.

use crate::rules::Rule;
use crate::yaml::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Index of a file in the [`crate::discover::Workspace`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct FileId(pub usize);

impl FileId {
    /// Every id of a workspace of `n` files, in order.
    pub fn all(n: usize) -> impl Iterator<Item = FileId> {
        (0..n).map(FileId)
    }
}

impl std::fmt::Display for FileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// `files[id]` for the workspace's files and anything indexed like them
/// (the model's per-file image sites).
impl<T> std::ops::Index<FileId> for Vec<T> {
    type Output = T;
    fn index(&self, id: FileId) -> &T {
        &self[id.0]
    }
}

impl<T> std::ops::IndexMut<FileId> for Vec<T> {
    fn index_mut(&mut self, id: FileId) -> &mut T {
        &mut self[id.0]
    }
}

impl<T> std::ops::Index<FileId> for [T] {
    type Output = T;
    fn index(&self, id: FileId) -> &T {
        &self[id.0]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    pub file: FileId,
    pub span: Span,
    pub help: Option<String>,
    /// Other places that explain the finding (the policy a marker names, the
    /// first occurrence of a duplicate key).
    pub related: Vec<Label>,
}

impl Diagnostic {
    pub fn new(rule: &'static Rule, file: FileId, span: Span, message: impl Into<String>) -> Self {
        Self {
            rule,
            severity: rule.severity,
            message: message.into(),
            file,
            span,
            help: rule.help.map(str::to_owned),
            related: Vec::new(),
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn related(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Label {
            file,
            span,
            message: message.into(),
        });
        self
    }

    pub fn code(&self) -> &'static str {
        self.rule.code
    }
}
