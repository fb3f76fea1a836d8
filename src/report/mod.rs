//! Renderers: each output format is one small function over the findings
//! and the workspace they point into. Nothing here decides what is a
//! finding; it only prints.

pub mod apply;
mod github;
mod gitlab;
mod human;
mod json;
pub mod preview;
mod sarif;
pub mod status;
mod table;

use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::Workspace;
use crate::yaml::{LineCol, LineIndex};

pub use github::render as render_github;
pub use gitlab::render as render_gitlab;
pub use human::{Style, render as render_human, render_concise, render_statistics};
pub use json::render as render_json;
pub use sarif::render as render_sarif;

/// A finding's position in the 1-based line/column terms users see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub start: LineCol,
    /// Exclusive: the column just after the last character of the span.
    pub end: LineCol,
}

pub fn position(ws: &Workspace, d: &Diagnostic) -> Position {
    let file = &ws.files[d.file];
    let text = &file.text;
    let owned;
    let lines = match &file.yaml {
        Some(y) => &y.lines,
        None => {
            owned = LineIndex::new(text);
            &owned
        }
    };
    Position {
        start: lines.line_col(text, d.span.start),
        end: lines.line_col(text, d.span.end),
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Summary {
    pub fn of(ws: &Workspace, diagnostics: &[Diagnostic]) -> Self {
        let count = |s| diagnostics.iter().filter(|d| d.severity == s).count();
        Self {
            files: ws.files.iter().filter(|f| f.report).count(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
        }
    }

    pub fn line(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        format!(
            "{}, {} in {} checked",
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            plural(self.files, "file")
        )
    }
}
