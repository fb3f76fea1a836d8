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
pub type FileId = usize;

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
