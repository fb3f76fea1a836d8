//! A node of the span tree as JSON, for documents that go to the API
//! server (`diff` dry-runs the repository's objects). Plain scalars are
//! typed by the YAML 1.2 core schema, as `sigs.k8s.io/yaml` reads them;
//! quoted ones and `!!str` stay strings. Aliases take their anchor's value.

use serde_json::{Map, Number, Value};

use super::tree::{NodeId, NodeKind, ScalarStyle, Yaml};

/// `None` when aliases would expand it past [`MAX_VALUES`] values (a
/// "billion laughs" file) or nest deeper than [`MAX_DEPTH`].
pub fn to_json(yaml: &Yaml, node: NodeId) -> Option<Value> {
    let mut budget = MAX_VALUES;
    let v = to_json_at(yaml, node, 0, &mut budget);
    (budget > 0).then_some(v)
}

pub const MAX_DEPTH: usize = 256;
pub const MAX_VALUES: usize = 1_000_000;

fn to_json_at(yaml: &Yaml, node: NodeId, depth: usize, budget: &mut usize) -> Value {
    if depth > MAX_DEPTH || *budget == 0 {
        *budget = 0;
        return Value::Null;
    }
    *budget -= 1;
    let n = yaml.node(node);
    match &n.kind {
        NodeKind::Scalar { value, style } => {
            if *style != ScalarStyle::Plain || n.tag.as_deref().is_some_and(|t| t.ends_with("str"))
            {
                Value::String(value.clone())
            } else {
                plain(value)
            }
        }
        NodeKind::Mapping(entries) => {
            let mut map = Map::new();
            for &(k, v) in entries {
                let key = match to_json_at(yaml, k, depth + 1, budget) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                map.insert(key, to_json_at(yaml, v, depth + 1, budget));
            }
            Value::Object(map)
        }
        NodeKind::Sequence(items) => Value::Array(
            items
                .iter()
                .map(|&i| to_json_at(yaml, i, depth + 1, budget))
                .collect(),
        ),
        NodeKind::Alias(target) => {
            target.map_or(Value::Null, |t| to_json_at(yaml, t, depth + 1, budget))
        }
    }
}

/// The core schema's plain scalars.
fn plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(i) = s.parse::<i64>()
    {
        return Value::Number(i.into());
    }
    if let Some(hex) = s.strip_prefix("0x")
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return Value::Number(i.into());
    }
    if let Some(oct) = s.strip_prefix("0o")
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return Value::Number(i.into());
    }
    let float_like = digits
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.bytes().any(|b| b.is_ascii_digit());
    if float_like
        && let Ok(f) = s.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Value {
        let y = crate::yaml::parse(text);
        to_json(&y, y.docs[0].root.unwrap()).unwrap()
    }

    #[test]
    fn core_schema_types_plain_scalars_only() {
        assert_eq!(
            json(
                "a: 1\nb: '1'\nc: true\nd: ~\ne: 1.5\nf: v1.2\ng: !!str 3\nh: [x, 0x1f]\ni: 1_000\n"
            ),
            serde_json::json!({"a": 1, "b": "1", "c": true, "d": null, "e": 1.5, "f": "v1.2", "g": "3", "h": ["x", 31], "i": "1_000"})
        );
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let y = crate::yaml::parse(&text);
        assert_eq!(to_json(&y, y.docs[0].root.unwrap()), None);
    }

    #[test]
    fn aliases_take_their_anchors_value() {
        assert_eq!(
            json("a: &x {k: v}\nb: *x\n"),
            serde_json::json!({"a": {"k": "v"}, "b": {"k": "v"}})
        );
    }
}
