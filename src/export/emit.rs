//! Renders export documents: YAML the way `sigs.k8s.io/yaml` writes it
//! (keys sorted, two-space indent, sequences at their key's column,
//! strings single-quoted only when a YAML 1.1 or 1.2 reader would not read
//! them back as the same string), or JSON. Keys come out sorted because
//! `serde_json::Map` keeps them sorted; nothing here reorders. Layout and
//! quoting are [`yamlwrite`]'s, the writer edits share; this module only
//! walks the documents.

use serde_json::Value;

use crate::edit::yamlwrite::{self, Layout, pad};

/// go-yaml's layout.
const LAYOUT: Layout = Layout::GO;

/// Every document after a `---` line.
pub fn yaml(documents: &[Value]) -> String {
    let mut out = String::new();
    for doc in documents {
        out.push_str("---\n");
        match doc {
            Value::Object(map) if !map.is_empty() => mapping(&mut out, map, 0),
            Value::Array(items) if !items.is_empty() => sequence(&mut out, items, 0),
            other => {
                out.push_str(&inline(other).unwrap_or_else(|| yamlwrite::double_quoted("")));
                out.push('\n');
            }
        }
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

fn mapping(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    let mut first = true;
    for (key, value) in map {
        // The first key of a mapping inside a sequence item shares the
        // `- ` line, which the caller has already written.
        if !first || !out.ends_with("- ") {
            pad(out, indent);
        }
        first = false;
        out.push_str(&yamlwrite::go_string(key));
        out.push(':');
        value_after_key(out, value, indent);
    }
}

fn value_after_key(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            mapping(out, map, indent + LAYOUT.unit);
        }
        // Sequences sit at their key's column, as go-yaml writes them.
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            sequence(out, items, indent + LAYOUT.seq_indent);
        }
        Value::String(s) if yamlwrite::literal_fits(s) => {
            out.push(' ');
            yamlwrite::literal(out, s, indent + LAYOUT.unit);
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other).unwrap_or_default());
            out.push('\n');
        }
    }
}

fn sequence(out: &mut String, items: &[Value], indent: usize) {
    for (n, item) in items.iter().enumerate() {
        // A sequence nested in a sequence starts on its parent's `- ` line.
        if n > 0 || !out.ends_with("- ") {
            pad(out, indent);
        }
        yamlwrite::dash(out, 0, LAYOUT.item_off);
        let inner = indent + LAYOUT.item_off;
        match item {
            Value::Object(map) if !map.is_empty() => mapping(out, map, inner),
            Value::Array(items) if !items.is_empty() => sequence(out, items, inner),
            Value::String(s) if yamlwrite::literal_fits(s) => yamlwrite::literal(out, s, inner),
            other => {
                out.push_str(&inline(other).unwrap_or_default());
                out.push('\n');
            }
        }
    }
}

/// Scalars and empty collections on one line.
fn inline(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yamlwrite::go_string(s),
        Value::Array(items) if items.is_empty() => "[]".to_owned(),
        Value::Object(map) if map.is_empty() => "{}".to_owned(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubernetes_object_in_go_style() {
        let doc = json!({
            "apiVersion": "image.toolkit.fluxcd.io/v1",
            "kind": "ImagePolicy",
            "metadata": {"name": "podinfo", "namespace": "flux-system"},
            "spec": {
                "imageRepositoryRef": {"name": "podinfo"},
                "policy": {"semver": {"range": ">=1.0.0"}},
                "filterTags": {"pattern": "^main-[a-f0-9]+-(?P<ts>[0-9]+)", "extract": "$ts"},
            },
        });
        assert_eq!(
            yaml(&[doc]),
            "---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: podinfo\n  namespace: flux-system\nspec:\n  filterTags:\n    extract: $ts\n    pattern: ^main-[a-f0-9]+-(?P<ts>[0-9]+)\n  imageRepositoryRef:\n    name: podinfo\n  policy:\n    semver:\n      range: '>=1.0.0'\n"
        );
    }

    #[test]
    fn sequences_sit_at_their_key_column() {
        let doc = json!({"spec": {"images": [
            {"alias": "web", "imageName": "nginx:~1.26", "commonUpdateSettings": {"ignoreTags": ["*-rc", "latest"]}},
            "plain",
        ], "empty": [], "none": {}}});
        assert_eq!(
            yaml(&[doc]),
            "---\nspec:\n  empty: []\n  images:\n  - alias: web\n    commonUpdateSettings:\n      ignoreTags:\n      - '*-rc'\n      - latest\n    imageName: nginx:~1.26\n  - plain\n  none: {}\n"
        );
    }

    #[test]
    fn strings_that_would_change_type_are_quoted() {
        for s in [
            "1.10", "true", "yes", "on", "null", "~", "0755", "1e3", "", " x", "a: b", "#x", "'q'",
            "- x", "*", "{{.X}}",
        ] {
            let text = yaml(&[json!({ "v": s })]);
            assert!(
                !text.contains(&format!("v: {s}\n")) || s.is_empty(),
                "{s}: {text}"
            );
            assert_eq!(read_back(&text), json!({ "v": s }), "{s}: {text}");
        }
        // `n` is a YAML 1.1 boolean, so even a key is quoted.
        let text = yaml(&[json!({"n": 3, "b": false, "z": null, "k": 1})]);
        assert_eq!(text, "---\nb: false\nk: 1\n'n': 3\nz: null\n");
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        let msg = "Automated image update\n\n{{ range .Changed.Changes }}\n- {{ .NewValue }}\n{{ end }}\n";
        let text = yaml(&[json!({"spec": {"git": {"messageTemplate": msg}}})]);
        assert!(
            text.contains("messageTemplate: |\n      Automated image update\n\n      {{ range"),
            "{text}"
        );
        assert_eq!(
            read_back(&text),
            json!({"spec": {"git": {"messageTemplate": msg}}})
        );
        for s in [
            "a\nb",
            "a\nb\n\n",
            " lead\nx",
            "tab\there\nx",
            "trail \nx",
            "x\r\ny",
        ] {
            let text = yaml(&[json!({ "m": [s] })]);
            assert_eq!(read_back(&text), json!({ "m": [s] }), "{s:?}: {text}");
        }
    }

    #[test]
    fn several_documents() {
        let text = yaml(&[json!({"a": 1}), json!({"b": [1, [2, 3]]})]);
        assert_eq!(text, "---\na: 1\n---\nb:\n- 1\n- - 2\n  - 3\n");
        assert_eq!(json(&[json!({"a": 1})]), "{\n  \"a\": 1\n}\n");
        assert!(json(&[json!({"a": 1}), json!({"b": 2})]).contains("\"kind\": \"List\""));
    }

    /// Reads YAML back with the project's own parser, typing scalars as
    /// a YAML 1.2 loader would.
    fn read_back(text: &str) -> Value {
        let y = crate::yaml::parse(text);
        assert!(y.error.is_none(), "{text}: {:?}", y.error);
        let root = y.roots().next().expect("a document");
        to_json(&y, root)
    }

    fn to_json(y: &crate::yaml::Yaml, node: crate::yaml::NodeId) -> Value {
        use crate::yaml::{NodeKind, ScalarStyle};
        match &y.node(node).kind {
            NodeKind::Mapping(_) => Value::Object(
                y.entries(node)
                    .iter()
                    .map(|&(k, v)| (y.str(k).expect("string key").to_owned(), to_json(y, v)))
                    .collect(),
            ),
            NodeKind::Sequence(_) => {
                Value::Array(y.items(node).iter().map(|&i| to_json(y, i)).collect())
            }
            NodeKind::Scalar { value, style, .. } => match (style, value.as_str()) {
                (ScalarStyle::Plain, "null") => Value::Null,
                (ScalarStyle::Plain, "true") => Value::Bool(true),
                (ScalarStyle::Plain, "false") => Value::Bool(false),
                (ScalarStyle::Plain, v) if v.parse::<i64>().is_ok() => {
                    json!(v.parse::<i64>().expect("checked"))
                }
                (_, v) => Value::String(v.to_owned()),
            },
            _ => Value::Null,
        }
    }
}
