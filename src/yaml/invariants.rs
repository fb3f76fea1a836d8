//! The span tree's promises, checked: what the tests and the span-parser
//! fuzz target hold every parse to. Every span lies inside the text and on
//! character boundaries (so slicing with it can never panic); children lie
//! inside their parent, in order, and name it; documents and comments are
//! in order and in bounds; no comment starts inside a scalar token.

use super::span::Span;
use super::tree::{NodeId, NodeKind, ScalarStyle, Yaml};

/// `Err` names the first broken promise.
pub fn check(src: &str, y: &Yaml) -> Result<(), String> {
    let ok = |s: Span| {
        s.start <= s.end
            && s.end <= src.len()
            && src.is_char_boundary(s.start)
            && src.is_char_boundary(s.end)
    };
    let fail = |msg: String| Err(format!("{msg} in {:?}", clip(src)));
    for (id, node) in y.ids().zip(&y.nodes) {
        if !ok(node.span) {
            return fail(format!(
                "node {id} span {:?} out of bounds or mid-character",
                node.span
            ));
        }
        if let Some(p) = node.parent {
            let Some(parent) = y.nodes.get(p.index()) else {
                return fail(format!("node {id} names missing parent {p}"));
            };
            let outer = parent.span;
            if !(outer.start <= node.span.start && node.span.end <= outer.end) {
                return fail(format!(
                    "node {id} {:?} escapes parent {p} {outer:?}",
                    node.span
                ));
            }
        }
        let kids = children(y, id);
        for &kid in &kids {
            let Some(k) = y.nodes.get(kid.index()) else {
                return fail(format!("node {id} has missing child {kid}"));
            };
            if k.parent != Some(id) {
                return fail(format!("child {kid} of {id} names parent {:?}", k.parent));
            }
            if node.in_flow && !k.in_flow {
                return fail(format!("child {kid} of flow node {id} is not in flow"));
            }
        }
        for pair in kids.windows(2) {
            let (a, b) = (y.nodes[pair[0]].span, y.nodes[pair[1]].span);
            if a.end > b.start {
                return fail(format!(
                    "siblings {pair:?} {a:?} {b:?} overlap or are out of order"
                ));
            }
        }
        if let NodeKind::Alias(Some(target)) = node.kind
            && target.index() >= y.nodes.len()
        {
            return fail(format!("alias {id} points at missing node {target}"));
        }
        if let Some(c) = node.line_comment {
            let Some(c) = y.comments.get(c.0) else {
                return fail(format!("node {id} has missing comment {c}"));
            };
            if node.span.end > c.span.start
                || y.lines.line_of(node.span.end) != y.lines.line_of(c.span.start)
            {
                return fail(format!(
                    "node {id}'s line comment is not after it on its line"
                ));
            }
        }
    }
    for (i, doc) in y.docs.iter().enumerate() {
        if !ok(doc.span) {
            return fail(format!("document {i} span {:?} out of bounds", doc.span));
        }
        if let Some(r) = doc.root {
            let Some(root) = y.nodes.get(r.index()) else {
                return fail(format!("document {i} has missing root {r}"));
            };
            if root.parent.is_some() {
                return fail(format!("root {r} of document {i} has a parent"));
            }
            let s = root.span;
            if !(doc.span.start <= s.start && s.end <= doc.span.end) {
                return fail(format!("root {s:?} outside document {:?}", doc.span));
            }
        }
    }
    for pair in y.docs.windows(2) {
        if pair[0].span.end > pair[1].span.start {
            return fail("documents overlap".to_owned());
        }
    }
    let mut scalars: Vec<Span> = y
        .nodes
        .iter()
        .filter(|n| {
            matches!(
                &n.kind,
                NodeKind::Scalar {
                    style: ScalarStyle::Plain
                        | ScalarStyle::SingleQuoted
                        | ScalarStyle::DoubleQuoted,
                    ..
                }
            ) && !n.span.is_empty()
        })
        .map(|n| n.span)
        .collect();
    scalars.sort_unstable();
    for (i, c) in y.comments.iter().enumerate() {
        if !ok(c.span) {
            return fail(format!("comment {i} span {:?} out of bounds", c.span));
        }
        let t = c.span.text(src);
        if !t.starts_with('#') || t.contains(['\n', '\r']) {
            return fail(format!("comment {t:?} is not one `#` line"));
        }
        if i > 0 && y.comments[i - 1].span.end > c.span.start {
            return fail("comments overlap".to_owned());
        }
        // Scalar tokens never overlap, so only the last one starting at or
        // before the `#` can hold it.
        let before = scalars.partition_point(|s| s.start <= c.span.start);
        if before > 0 && scalars[before - 1].contains(c.span.start) {
            return fail(format!("comment {t:?} inside a scalar"));
        }
    }
    for d in &y.duplicate_keys {
        if !ok(d.span) || !ok(d.first) {
            return fail("duplicate key span out of bounds".to_owned());
        }
    }
    if let Some(e) = &y.error
        && !(ok(e.span) && e.span.len() <= 4)
    {
        return fail(format!("syntax error span {:?} out of bounds", e.span));
    }
    Ok(())
}

fn children(y: &Yaml, id: NodeId) -> Vec<NodeId> {
    match &y.nodes[id].kind {
        NodeKind::Mapping(entries) => entries.iter().flat_map(|&(k, v)| [k, v]).collect(),
        NodeKind::Sequence(items) => items.clone(),
        _ => Vec::new(),
    }
}

/// The start of a long text, for messages.
fn clip(src: &str) -> &str {
    let mut end = src.len().min(200);
    while !src.is_char_boundary(end) {
        end -= 1;
    }
    &src[..end]
}
