//! Renders export documents: YAML the way `sigs.k8s.io/yaml` writes it
//! (keys sorted, two-space indent, sequences at their key's column,
//! strings quoted only when a YAML 1.1 or 1.2 reader would not read them
//! back as the same string), or JSON.

use serde_json::Value;

/// Every document after a `---` line.
pub fn yaml(documents: &[Value]) -> String {
    let mut out = String::new();
    for doc in documents {
        out.push_str("---\n");
        out.push_str(&serde_json::to_string_pretty(doc).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// One document as itself; several as a `v1` List, which kubectl applies.
pub fn json(documents: &[Value]) -> String {
    let value = match documents {
        [one] => one.clone(),
        many => serde_json::json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": many,
        }),
    };
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
