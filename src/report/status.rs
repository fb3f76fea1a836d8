//! `status` renderers: `-o table` and `-o wide` (kubectl's columns),
//! `-o json` (`{"objects": [...], "notServed": [...]}`) and `-o yaml`
//! (the same document).

use serde_json::json;

use crate::cluster::status::Row;

/// The kind as a column shows it: the two `ImageUpdater`s apart.
fn kind(r: &Row) -> String {
    match (r.kind.as_str(), r.api_version.split('/').next()) {
        ("ImageUpdater", Some("gitops.kubesphere.io")) => "ImageUpdater/kubesphere".to_owned(),
        ("ImageUpdater", _) => "ImageUpdater/argocd".to_owned(),
        (k, _) => k.to_owned(),
    }
}

fn ready(r: &Row) -> String {
    let mut s = r.ready.clone().unwrap_or_else(|| "-".to_owned());
    if r.suspended {
        s.push_str(" (suspended)");
    } else if r.stale {
        s.push_str(" (stale)");
    }
    s
}

fn or_dash(s: &[String]) -> String {
    if s.is_empty() {
        "-".to_owned()
    } else {
        s.join(", ")
    }
}

/// `-o table`, or `-o wide` with the reason, files and message.
/// `namespaces`: with the NAMESPACE column (`-A`), as kubectl prints it.
pub fn table(rows: &[Row], namespaces: bool, wide: bool) -> String {
    let mut header = vec!["NAMESPACE", "KIND", "NAME", "READY", "RESOLVED", "LAST"];
    if wide {
        header.extend(["REASON", "FILES", "MESSAGE"]);
    }
    let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".to_owned());
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut c = vec![
                r.namespace.clone(),
                kind(r),
                r.name.clone(),
                ready(r),
                or_dash(&r.resolved),
                dash(&r.last),
            ];
            if wide {
                let message = dash(&r.message)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                c.extend([dash(&r.reason), or_dash(&r.files), message]);
            }
            if !namespaces {
                c.remove(0);
            }
            c
        })
        .collect();
    if !namespaces {
        header.remove(0);
    }
    super::table::aligned(&header, &cells)
}

fn document(rows: &[Row], not_served: &[String]) -> serde_json::Value {
    json!({ "objects": rows, "notServed": not_served })
}

pub fn json(rows: &[Row], not_served: &[String]) -> String {
    let mut s = serde_json::to_string_pretty(&document(rows, not_served))
        .unwrap_or_else(|_| "{}".to_owned());
    s.push('\n');
    s
}

pub fn yaml(rows: &[Row], not_served: &[String]) -> String {
    crate::export::emit::yaml(&[document(rows, not_served)])
}
