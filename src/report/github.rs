//! `--format github`: GitHub Actions workflow commands, one line per
//! finding, so findings show as annotations on the pull request diff.

use super::position;
use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::Workspace;

/// Escaping of a command's message, as `@actions/core` `escapeData` does.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a property value (`file=`, `title=`): `:` and `,` would end
/// the value, as in `@actions/core` `escapeProperty`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(ws: &Workspace, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let pos = position(ws, d);
        let mut props = format!(
            "file={},line={},endLine={}",
            escape_property(&ws.files[d.file].path),
            pos.start.line,
            pos.end.line
        );
        // GitHub ignores or misplaces column ranges that span lines.
        if pos.start.line == pos.end.line {
            props.push_str(&format!(
                ",col={},endColumn={}",
                pos.start.column, pos.end.column
            ));
        }
        props.push_str(&format!(",title={}", escape_property(d.rule.code)));
        // The annotation has no separate help field; a second line keeps it.
        let message = match &d.help {
            Some(h) => format!("{}\n{h}", d.message),
            None => d.message.clone(),
        };
        out.push_str(&format!("::{command} {props}::{}\n", escape_data(&message)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{escape_data, escape_property};

    #[test]
    fn escaping_follows_actions_core() {
        assert_eq!(escape_data("a%b\r\nc:d,e"), "a%25b%0D%0Ac:d,e");
        assert_eq!(escape_property("a%b\nc:d,e"), "a%25b%0Ac%3Ad%2Ce");
    }
}
