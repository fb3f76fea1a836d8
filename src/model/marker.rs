//! Flux setter markers: line comments holding `{"$imagepolicy": "ns:name[:suffix]"}`,
//! parsed with the rules image-automation-controller applies, and tied to
//! the node they would set.

use crate::diagnostic::FileId;
use crate::yaml::{CommentId, NodeId, NodeKind, Span, Yaml};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suffix {
    /// No suffix: the whole value is `<image>:<tag>[@digest]`.
    Full,
    Tag,
    Name,
    Digest,
}

impl Suffix {
    pub fn as_str(self) -> &'static str {
        match self {
            Suffix::Full => "",
            Suffix::Tag => ":tag",
            Suffix::Name => ":name",
            Suffix::Digest => ":digest",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRef {
    pub namespace: String,
    pub name: String,
    pub suffix: Suffix,
}

/// Why a `$imagepolicy` comment is not a usable marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkerError {
    /// Not a JSON object on its own, or a non-string value (IU101).
    InvalidJson(String),
    /// `"name"` without `ns:` (IU102).
    MissingNamespace,
    /// Anything else Flux would never match (IU103).
    InvalidReference(String),
}

/// What the comment is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The line comment of a scalar value: the supported form.
    Scalar(NodeId),
    /// On the line above a block sequence item scalar (kyaml's head comment).
    HeadOfItem(NodeId),
    /// On an alias node: ignored by Flux.
    Alias(NodeId),
    /// After a key whose value is a collection, or after a flow collection.
    Collection(NodeId),
    /// Nothing it could set.
    Detached,
}

#[derive(Debug, Clone)]
pub struct Marker {
    pub file: FileId,
    pub comment: CommentId,
    /// The whole comment, `#` included.
    pub span: Span,
    /// The string value of `$imagepolicy` inside the comment, quotes excluded
    /// (the whole comment when it could not be located).
    pub value_span: Span,
    pub reference: Result<PolicyRef, MarkerError>,
    pub target: Target,
}

pub fn markers_in(file: FileId, src: &str, yaml: &Yaml) -> Vec<Marker> {
    let mut out = Vec::new();
    let mut index: Option<NodeIndex> = None;
    for (id, comment) in yaml.comments.iter().enumerate() {
        let text = comment.span.text(src);
        if !text.contains("$imagepolicy") {
            continue;
        }
        let (reference, value_range) = parse_comment(text);
        let value_span = value_range.map_or(comment.span, |r| {
            Span::new(comment.span.start + r.start, comment.span.start + r.end)
        });
        out.push(Marker {
            file,
            comment: CommentId(id),
            span: comment.span,
            value_span,
            reference,
            target: target_of(
                src,
                yaml,
                index.get_or_insert_with(|| NodeIndex::new(yaml)),
                CommentId(id),
            ),
        });
    }
    out
}

/// Parses a comment's text (`#` included) as image-automation-controller
/// does: strip every leading `#`, then the rest must be one JSON object whose
/// values are all strings.
pub fn parse_comment(
    text: &str,
) -> (
    Result<PolicyRef, MarkerError>,
    Option<std::ops::Range<usize>>,
) {
    let body_start = text.len() - text.trim_start_matches('#').len();
    let body = &text[body_start..];
    let map: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(body.trim()) {
        Ok(serde_json::Value::Object(map)) => map,
        Ok(_) => {
            return (
                Err(MarkerError::InvalidJson(
                    "the comment is not a JSON object".into(),
                )),
                None,
            );
        }
        Err(err) => {
            let what = if body.trim_end().ends_with('}') || !body.contains('}') {
                format!("not valid JSON: {err}")
            } else {
                "text after the closing `}` makes it an ordinary comment".to_owned()
            };
            return (Err(MarkerError::InvalidJson(what)), None);
        }
    };
    if let Some((key, _)) = map.iter().find(|(_, v)| !v.is_string()) {
        return (
            Err(MarkerError::InvalidJson(format!(
                "the value of {key:?} is not a string"
            ))),
            None,
        );
    }
    let Some(value) = map.get("$imagepolicy").and_then(|v| v.as_str()) else {
        return (
            Err(MarkerError::InvalidJson(
                "the object has no \"$imagepolicy\" key".into(),
            )),
            None,
        );
    };
    let range = locate_value(text, value);
    (parse_reference(value), range)
}

/// Byte range of the `$imagepolicy` value's text inside the comment, when it
/// is written without escapes (the common case).
fn locate_value(text: &str, value: &str) -> Option<std::ops::Range<usize>> {
    let key = text.find("\"$imagepolicy\"")?;
    let after = key + "\"$imagepolicy\"".len();
    let colon = after + text[after..].find(':')?;
    let open = colon + 1 + text[colon + 1..].find('"')?;
    let start = open + 1;
    let end = start + value.len();
    (text.get(start..end) == Some(value)).then_some(start..end)
}

pub fn parse_reference(value: &str) -> Result<PolicyRef, MarkerError> {
    if value.trim() != value || value.chars().any(char::is_whitespace) {
        return Err(MarkerError::InvalidReference(
            "the reference contains whitespace; Flux matches it exactly and never finds the policy"
                .into(),
        ));
    }
    let parts: Vec<&str> = value.split(':').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(MarkerError::InvalidReference(format!(
            "{value:?} has an empty part"
        )));
    }
    let suffix = match parts.len() {
        1 => return Err(MarkerError::MissingNamespace),
        2 => Suffix::Full,
        3 => match parts[2] {
            "tag" => Suffix::Tag,
            "name" => Suffix::Name,
            "digest" => Suffix::Digest,
            other => {
                return Err(MarkerError::InvalidReference(format!(
                    "unknown suffix {other:?}; the suffixes are tag, name and digest, in lower case"
                )));
            }
        },
        _ => {
            return Err(MarkerError::InvalidReference(format!(
                "{value:?} has {} parts; a reference is <namespace>:<policy>[:tag|:name|:digest]",
                parts.len()
            )));
        }
    };
    Ok(PolicyRef {
        namespace: parts[0].to_owned(),
        name: parts[1].to_owned(),
        suffix,
    })
}

/// Nodes ordered by where they end and where they start, built once per
/// file: each marker then looks only at the nodes of its own line instead
/// of every node (40,000 markers in one file took 19 s before).
struct NodeIndex {
    by_end: Vec<(usize, NodeId)>,
    by_start: Vec<(usize, NodeId)>,
}

impl NodeIndex {
    fn new(yaml: &Yaml) -> Self {
        let sorted = |at: fn(&crate::yaml::Span) -> usize| {
            let mut v: Vec<(usize, NodeId)> = yaml
                .ids()
                .zip(&yaml.nodes)
                .map(|(id, n)| (at(&n.span), id))
                .collect();
            v.sort_unstable();
            v
        };
        Self {
            by_end: sorted(|s| s.end),
            by_start: sorted(|s| s.start),
        }
    }

    /// Ids of the nodes whose `(offset)` lies in `[from, to]`, by offset then id.
    fn range(list: &[(usize, NodeId)], from: usize, to: usize) -> &[(usize, NodeId)] {
        let lo = list.partition_point(|&(at, _)| at < from);
        let hi = list.partition_point(|&(at, _)| at <= to);
        &list[lo..hi.max(lo)]
    }
}

fn target_of(src: &str, yaml: &Yaml, index: &NodeIndex, comment: CommentId) -> Target {
    let c = &yaml.comments[comment];
    let line = yaml.lines.line_of(c.span.start);
    let line_start = yaml.lines.line_start(line).unwrap_or(0);
    if c.own_line {
        return head_target(src, yaml, index, line);
    }
    // The node that ends last before the comment on the same line, with only
    // blanks (or a key's `:`) between it and the `#`. Visited by end, then
    // id: among equal spans the last id wins, as in document order.
    let mut best: Option<NodeId> = None;
    for &(end, id) in NodeIndex::range(&index.by_end, line_start, c.span.start) {
        let node = &yaml.nodes[id];
        if node.span.is_empty() && end == 0 {
            continue;
        }
        let gap = &src[end..c.span.start];
        let gap = gap.trim_matches([' ', '\t']);
        if !(gap.is_empty() || gap == ":") {
            continue;
        }
        // Prefer the innermost node among those ending at the same byte.
        if best.is_none_or(|b| {
            yaml.nodes[b].span.end < end
                || yaml.nodes[b].span.end == end && yaml.nodes[b].span.start <= node.span.start
        }) {
            best = Some(id);
        }
    }
    let Some(id) = best else {
        return Target::Detached;
    };
    let node = yaml.node(id);
    match &node.kind {
        NodeKind::Alias(_) => Target::Alias(id),
        NodeKind::Mapping(_) | NodeKind::Sequence(_) => Target::Collection(id),
        NodeKind::Scalar { .. } => {
            if let Some(value) = yaml.value_for(id) {
                return match &yaml.node(value).kind {
                    NodeKind::Scalar { .. } => Target::Scalar(value),
                    NodeKind::Alias(_) => Target::Alias(value),
                    _ => Target::Collection(value),
                };
            }
            Target::Scalar(id)
        }
    }
}

/// An own-line marker works only directly above a block sequence item that
/// is a scalar without a line comment of its own.
fn head_target(src: &str, yaml: &Yaml, index: &NodeIndex, line: usize) -> Target {
    let Some(next) = yaml.lines.line_span(src, line + 1) else {
        return Target::Detached;
    };
    let text = next.text(src);
    let trimmed = text.trim_start();
    if !trimmed.starts_with("- ") {
        return Target::Detached;
    }
    let item_start = next.start + (text.len() - trimmed.len()) + 2;
    if next.end <= item_start {
        return Target::Detached;
    }
    // The first node in document order starting on the item's line.
    let item = NodeIndex::range(&index.by_start, item_start, next.end - 1)
        .iter()
        .map(|&(_, id)| (id, &yaml.nodes[id]))
        .filter(|(_, n)| {
            src[item_start..n.span.start].trim().is_empty()
                && n.parent
                    .is_some_and(|p| matches!(yaml.node(p).kind, NodeKind::Sequence(_)))
        })
        .min_by_key(|&(id, _)| id);
    match item {
        Some((id, n)) if matches!(n.kind, NodeKind::Scalar { .. }) && n.line_comment.is_none() => {
            Target::HeadOfItem(id)
        }
        Some((id, n)) if matches!(n.kind, NodeKind::Alias(_)) => Target::Alias(id),
        _ => Target::Detached,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_forms() {
        assert_eq!(
            parse_reference("flux-system:podinfo").unwrap(),
            PolicyRef {
                namespace: "flux-system".into(),
                name: "podinfo".into(),
                suffix: Suffix::Full
            }
        );
        assert_eq!(parse_reference("a:b:tag").unwrap().suffix, Suffix::Tag);
        assert_eq!(parse_reference("a:b:name").unwrap().suffix, Suffix::Name);
        assert_eq!(
            parse_reference("a:b:digest").unwrap().suffix,
            Suffix::Digest
        );
        assert_eq!(
            parse_reference("podinfo"),
            Err(MarkerError::MissingNamespace)
        );
        assert!(matches!(
            parse_reference("a:b:TAG"),
            Err(MarkerError::InvalidReference(_))
        ));
        assert!(matches!(
            parse_reference(" a:b"),
            Err(MarkerError::InvalidReference(_))
        ));
        assert!(matches!(
            parse_reference("a::tag"),
            Err(MarkerError::InvalidReference(_))
        ));
        assert!(matches!(
            parse_reference("a:b:tag:x"),
            Err(MarkerError::InvalidReference(_))
        ));
    }

    #[test]
    fn comment_json_rules() {
        let (r, range) = parse_comment(r#"# {"$imagepolicy": "ns:app:tag"}"#);
        assert_eq!(r.unwrap().suffix, Suffix::Tag);
        assert_eq!(
            &r#"# {"$imagepolicy": "ns:app:tag"}"#[range.unwrap()],
            "ns:app:tag"
        );
        assert!(
            parse_comment(r##"## {"$imagepolicy": "ns:app"}"##)
                .0
                .is_ok()
        );
        assert!(
            parse_comment(r#"# {"$imagepolicy": "ns:app", "x": "y"}"#)
                .0
                .is_ok()
        );
        for bad in [
            r#"# {"$imagepolicy": "ns:app"} keep this"#,
            r#"# {'$imagepolicy': 'ns:app'}"#,
            r#"# {"$imagepolicy": "ns:app", "n": 1}"#,
            r#"# $imagepolicy ns:app"#,
            r#"# ["$imagepolicy"]"#,
        ] {
            assert!(
                matches!(parse_comment(bad).0, Err(MarkerError::InvalidJson(_))),
                "{bad}"
            );
        }
    }
}
