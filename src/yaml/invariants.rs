//! The span tree's promises, checked: what the tests and the span-parser
//! fuzz target hold every parse to. Every span lies inside the text and on
//! character boundaries (so slicing with it can never panic); children lie
//! inside their parent, in order, and name it; documents and comments are
//! in order and in bounds; no comment starts inside a scalar token.

use super::span::Span;
use super::tree::{CommentId, NodeId, NodeKind, ScalarStyle, Yaml};

/// The first broken promise of a tree, and the start of the text it was
/// parsed from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{broken} in {text:?}")]
pub struct Violation {
    pub broken: Broken,
    /// The first 200 bytes or so of the text.
    pub text: String,
}

/// One promise of the span tree, broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    #[error("node {id} span {span:?} out of bounds or mid-character")]
    NodeSpan { id: NodeId, span: Span },
    #[error("node {id} names missing parent {parent}")]
    MissingParent { id: NodeId, parent: NodeId },
    #[error("node {id} {span:?} escapes parent {parent} {outer:?}")]
    EscapesParent {
        id: NodeId,
        span: Span,
        parent: NodeId,
        outer: Span,
    },
    #[error("node {id} has missing child {child}")]
    MissingChild { id: NodeId, child: NodeId },
    #[error("child {child} of {id} names parent {named:?}")]
    WrongParent {
        child: NodeId,
        id: NodeId,
        named: Option<NodeId>,
    },
    #[error("child {child} of flow node {id} is not in flow")]
    BlockChildInFlow { child: NodeId, id: NodeId },
    #[error("siblings {pair:?} {a:?} {b:?} overlap or are out of order")]
    SiblingsOverlap { pair: [NodeId; 2], a: Span, b: Span },
    #[error("alias {id} points at missing node {target}")]
    MissingAliasTarget { id: NodeId, target: NodeId },
    #[error("node {id} has missing comment {comment}")]
    MissingComment { id: NodeId, comment: CommentId },
    #[error("node {id}'s line comment is not after it on its line")]
    LineCommentMisplaced { id: NodeId },
    #[error("document {index} span {span:?} out of bounds")]
    DocumentSpan { index: usize, span: Span },
    #[error("document {index} has missing root {root}")]
    MissingRoot { index: usize, root: NodeId },
    #[error("root {root} of document {index} has a parent")]
    RootHasParent { root: NodeId, index: usize },
    #[error("root {root:?} outside document {document:?}")]
    RootOutsideDocument { root: Span, document: Span },
    #[error("documents overlap")]
    DocumentsOverlap,
    #[error("comment {index} span {span:?} out of bounds")]
    CommentSpan { index: usize, span: Span },
    #[error("comment {0:?} is not one `#` line")]
    CommentNotOneLine(String),
    #[error("comments overlap")]
    CommentsOverlap,
    #[error("comment {0:?} inside a scalar")]
    CommentInScalar(String),
    #[error("duplicate key span out of bounds")]
    DuplicateKeySpan,
    #[error("syntax error span {0:?} out of bounds")]
    ErrorSpan(Span),
}

/// `Err` names the first broken promise.
pub fn check(src: &str, y: &Yaml) -> Result<(), Violation> {
    let ok = |s: Span| {
        s.start <= s.end
            && s.end <= src.len()
            && src.is_char_boundary(s.start)
            && src.is_char_boundary(s.end)
    };
    let fail = |broken: Broken| {
        Err(Violation {
            broken,
            text: clip(src).to_owned(),
        })
    };
    for (id, node) in y.ids().zip(&y.nodes) {
        if !ok(node.span) {
            return fail(Broken::NodeSpan {
                id,
                span: node.span,
            });
        }
        if let Some(p) = node.parent {
            let Some(parent) = y.nodes.get(p.index()) else {
                return fail(Broken::MissingParent { id, parent: p });
            };
            let outer = parent.span;
            if !(outer.start <= node.span.start && node.span.end <= outer.end) {
                return fail(Broken::EscapesParent {
                    id,
                    span: node.span,
                    parent: p,
                    outer,
                });
            }
        }
        let kids = children(y, id);
        for &kid in &kids {
            let Some(k) = y.nodes.get(kid.index()) else {
                return fail(Broken::MissingChild { id, child: kid });
            };
            if k.parent != Some(id) {
                return fail(Broken::WrongParent {
                    child: kid,
                    id,
                    named: k.parent,
                });
            }
            if node.in_flow && !k.in_flow {
                return fail(Broken::BlockChildInFlow { child: kid, id });
            }
        }
        for pair in kids.windows(2) {
            let (a, b) = (y.nodes[pair[0]].span, y.nodes[pair[1]].span);
            if a.end > b.start {
                return fail(Broken::SiblingsOverlap {
                    pair: [pair[0], pair[1]],
                    a,
                    b,
                });
            }
        }
        if let NodeKind::Alias(Some(target)) = node.kind
            && target.index() >= y.nodes.len()
        {
            return fail(Broken::MissingAliasTarget { id, target });
        }
        if let Some(comment) = node.line_comment {
            let Some(c) = y.comments.get(comment.0) else {
                return fail(Broken::MissingComment { id, comment });
            };
            if node.span.end > c.span.start
                || y.lines.line_of(node.span.end) != y.lines.line_of(c.span.start)
            {
                return fail(Broken::LineCommentMisplaced { id });
            }
        }
    }
    for (i, doc) in y.docs.iter().enumerate() {
        if !ok(doc.span) {
            return fail(Broken::DocumentSpan {
                index: i,
                span: doc.span,
            });
        }
        if let Some(r) = doc.root {
            let Some(root) = y.nodes.get(r.index()) else {
                return fail(Broken::MissingRoot { index: i, root: r });
            };
            if root.parent.is_some() {
                return fail(Broken::RootHasParent { root: r, index: i });
            }
            let s = root.span;
            if !(doc.span.start <= s.start && s.end <= doc.span.end) {
                return fail(Broken::RootOutsideDocument {
                    root: s,
                    document: doc.span,
                });
            }
        }
    }
    for pair in y.docs.windows(2) {
        if pair[0].span.end > pair[1].span.start {
            return fail(Broken::DocumentsOverlap);
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
            return fail(Broken::CommentSpan {
                index: i,
                span: c.span,
            });
        }
        let t = c.span.text(src);
        if !t.starts_with('#') || t.contains(['\n', '\r']) {
            return fail(Broken::CommentNotOneLine(t.to_owned()));
        }
        if i > 0 && y.comments[i - 1].span.end > c.span.start {
            return fail(Broken::CommentsOverlap);
        }
        // Scalar tokens never overlap, so only the last one starting at or
        // before the `#` can hold it.
        let before = scalars.partition_point(|s| s.start <= c.span.start);
        if before > 0 && scalars[before - 1].contains(c.span.start) {
            return fail(Broken::CommentInScalar(t.to_owned()));
        }
    }
    for d in &y.duplicate_keys {
        if !ok(d.span) || !ok(d.first) {
            return fail(Broken::DuplicateKeySpan);
        }
    }
    if let Some(e) = &y.error
        && !(ok(e.span) && e.span.len() <= 4)
    {
        return fail(Broken::ErrorSpan(e.span));
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
