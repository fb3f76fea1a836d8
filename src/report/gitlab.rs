//! `--format gitlab`: a GitLab Code Quality report (a JSON array of Code
//! Climate issues) for the merge request widget.
//!
//! Severity: error → `critical`, warning → `minor`, info → `info`. GitLab
//! sorts and colours by these; errors break the controller, so they are
//! critical, and warnings are style or dead configuration, so minor.

use serde::Serialize;

use super::position;
use super::sarif::{fingerprints, fnv1a};
use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::Workspace;

#[derive(Serialize)]
struct Issue<'a> {
    description: &'a str,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

pub fn render(ws: &Workspace, diagnostics: &[Diagnostic]) -> String {
    let issues: Vec<Issue> = diagnostics
        .iter()
        .zip(fingerprints(ws, diagnostics))
        .map(|(d, (hash, n))| Issue {
            description: &d.message,
            check_name: d.rule.code,
            // GitLab wants one opaque unique string; folding the occurrence
            // counter into the hash keeps identical findings apart.
            fingerprint: format!("{:016x}", fnv1a(format!("{hash}:{n}").as_bytes())),
            severity: match d.severity {
                Severity::Error => "critical",
                Severity::Warning => "minor",
                Severity::Info => "info",
            },
            location: Location {
                path: &ws.files[d.file].path,
                lines: Lines {
                    begin: position(ws, d).start.line,
                },
            },
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".to_owned());
    s.push('\n');
    s
}
