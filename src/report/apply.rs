//! Apply renderers: one line per change (`file:line old → new (why)`) and
//! per skipped target for people, `{"changes": [...], "skipped": [...]}`
//! for machines. Diffs are [`crate::edit::diff`].

use crate::edit::Skip;
use crate::git::Change;

/// Why a change happens, in a few words.
pub fn why(c: &Change) -> String {
    match (&c.setter, &c.app) {
        (Some(s), _) => format!("marker {s}"),
        (None, Some(app)) => match &c.alias {
            Some(alias) => format!("Argo CD app {app}, image {alias}"),
            None => format!("Argo CD app {app}"),
        },
        (None, None) => "--set".to_owned(),
    }
}

pub fn text(changes: &[&Change], skipped: &[Skip]) -> String {
    let mut out = String::new();
    for c in changes {
        out.push_str(&format!(
            "{}:{}: {} → {} ({})\n",
            c.file,
            c.line,
            shown(&c.old_value),
            shown(&c.new_value),
            why(c)
        ));
    }
    for s in skipped {
        out.push_str(&skip_line(s));
        out.push('\n');
    }
    out
}

pub fn skip_line(s: &Skip) -> String {
    if s.image.is_empty() {
        format!("{}:{}: skipped: {}", s.file, s.line, s.reason)
    } else {
        format!("{}:{}: skipped {}: {}", s.file, s.line, s.image, s.reason)
    }
}

fn shown(v: &str) -> String {
    if v.is_empty() {
        "\"\"".to_owned()
    } else {
        v.to_owned()
    }
}

pub fn json(changes: &[&Change], skipped: &[Skip], written: bool) -> String {
    let changes: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| {
            serde_json::json!({
                "file": c.file,
                "line": c.line,
                "image": c.image,
                "old": c.old_value,
                "new": c.new_value,
                "why": why(c),
            })
        })
        .collect();
    let doc = serde_json::json!({ "changes": changes, "skipped": skipped, "written": written });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_owned());
    s.push('\n');
    s
}
