//! `--format json`: one object, `{"diagnostics": [...], "summary": {...}}`,
//! keys exactly as DESIGN.md fixes them.

use serde::Serialize;

use super::{Summary, position};
use crate::diagnostic::Diagnostic;
use crate::discover::Workspace;

#[derive(Serialize)]
struct Out<'a> {
    diagnostics: Vec<Item<'a>>,
    summary: SummaryOut,
}

#[derive(Serialize)]
struct Item<'a> {
    code: &'static str,
    severity: &'static str,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct SummaryOut {
    files: usize,
    errors: usize,
    warnings: usize,
}

pub fn render(ws: &Workspace, diagnostics: &[Diagnostic]) -> String {
    let summary = Summary::of(ws, diagnostics);
    let out = Out {
        diagnostics: diagnostics
            .iter()
            .map(|d| {
                let pos = position(ws, d);
                Item {
                    code: d.rule.code,
                    severity: d.severity.as_str(),
                    message: &d.message,
                    file: &ws.files[d.file].path,
                    line: pos.start.line,
                    column: pos.start.column,
                    end_line: pos.end.line,
                    end_column: pos.end.column,
                    help: d.help.as_deref(),
                }
            })
            .collect(),
        summary: SummaryOut {
            files: summary.files,
            errors: summary.errors,
            warnings: summary.warnings,
        },
    };
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_else(|_| "{}".to_owned());
    s.push('\n');
    s
}
