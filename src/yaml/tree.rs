//! The span tree: what the YAML layer hands to the model. An arena of nodes
//! per file; every node knows its exact byte span in the original text, and
//! every scalar its quoting style and the line comment that follows it.
//! Nothing here is ever serialized back: edits are byte ranges.

use super::span::{LineIndex, Span};

/// Index of a node in [`Yaml::nodes`]: the arena's own number, never a
/// byte offset or a count (those stay `usize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(usize);

impl NodeId {
    /// The id of the node at `index` in the arena.
    pub const fn new(index: usize) -> Self {
        Self(index)
    }

    /// Position in the arena (for the parser's side tables kept in step
    /// with [`Yaml::nodes`]).
    pub const fn index(self) -> usize {
        self.0
    }

    /// Every id of an arena of `n` nodes, in order.
    pub fn all(n: usize) -> impl DoubleEndedIterator<Item = NodeId> + ExactSizeIterator {
        (0..n).map(NodeId)
    }
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<T> std::ops::Index<NodeId> for Vec<T> {
    type Output = T;
    fn index(&self, id: NodeId) -> &T {
        &self[id.0]
    }
}

impl<T> std::ops::IndexMut<NodeId> for Vec<T> {
    fn index_mut(&mut self, id: NodeId) -> &mut T {
        &mut self[id.0]
    }
}

impl<T> std::ops::Index<NodeId> for [T] {
    type Output = T;
    fn index(&self, id: NodeId) -> &T {
        &self[id.0]
    }
}

/// Index of a comment in [`Yaml::comments`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommentId(pub usize);

impl std::fmt::Display for CommentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<T> std::ops::Index<CommentId> for Vec<T> {
    type Output = T;
    fn index(&self, id: CommentId) -> &T {
        &self[id.0]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `value` is the parsed (unescaped, folded) content.
    Scalar {
        value: String,
        style: ScalarStyle,
    },
    /// Entries in document order: (key node, value node).
    Mapping(Vec<(NodeId, NodeId)>),
    Sequence(Vec<NodeId>),
    /// `*name`; the target is the node that carried `&name`, or `None` when
    /// the anchor is undefined. Aliases are references, never expanded.
    Alias(Option<NodeId>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// Scalars: the raw token, quotes and block header included. Collections:
    /// from the first byte of the collection (`[`, `{`, or the first key /
    /// `-`) to the end of its last child (or closing bracket).
    pub span: Span,
    /// Explicit tag as written (`!!str`, `!custom`), if any.
    pub tag: Option<String>,
    /// Anchor name when the node carries `&name`.
    pub anchor: Option<String>,
    /// True for `[...]` / `{...}` collections and for nodes inside them.
    pub in_flow: bool,
    /// The `# ...` comment on the same line right after this scalar (for a
    /// mapping key: after the `:`), if any.
    pub line_comment: Option<CommentId>,
    pub parent: Option<NodeId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// From `#` to the end of the line, line break excluded.
    pub span: Span,
    /// True when nothing but whitespace precedes the `#` on its line.
    pub own_line: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// `None` for an empty document (only comments, or `---` alone).
    pub root: Option<NodeId>,
    /// Byte range of the document, separators excluded.
    pub span: Span,
    /// 0-based index of the document in the file.
    pub index: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
    /// Not a mistake in the text: parsing stopped at a resource limit
    /// (too many nodes, a flow collection the parser would buffer whole).
    pub limit: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateKey {
    pub key: String,
    /// The later occurrence (the one a YAML 1.2 loader rejects).
    pub span: Span,
    pub first: Span,
}

/// One parsed file. Documents before a syntax error are kept; the error
/// itself is a value, not a failure.
#[derive(Debug, Clone)]
pub struct Yaml {
    pub nodes: Vec<Node>,
    pub docs: Vec<Document>,
    pub comments: Vec<Comment>,
    pub error: Option<SyntaxError>,
    pub duplicate_keys: Vec<DuplicateKey>,
    /// True when the text starts with a UTF-8 byte order mark (3 bytes that
    /// spans skip but edits must keep).
    pub bom: bool,
    pub lines: LineIndex,
}

impl Yaml {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// Every node's id, in arena order (parents before their children).
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = NodeId> + ExactSizeIterator + use<> {
        NodeId::all(self.nodes.len())
    }

    /// Follows an alias to its anchored node (one hop: anchors cannot point
    /// at aliases).
    pub fn resolve(&self, id: NodeId) -> NodeId {
        match self.nodes[id].kind {
            NodeKind::Alias(Some(target)) => target,
            _ => id,
        }
    }

    pub fn is_alias(&self, id: NodeId) -> bool {
        matches!(self.nodes[id].kind, NodeKind::Alias(_))
    }

    /// Scalar content, through aliases.
    pub fn str(&self, id: NodeId) -> Option<&str> {
        match &self.nodes[self.resolve(id)].kind {
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Scalar content unless the scalar is a YAML null (`~`, `null`, empty
    /// plain).
    pub fn non_null_str(&self, id: NodeId) -> Option<&str> {
        let id = self.resolve(id);
        match &self.nodes[id].kind {
            NodeKind::Scalar {
                value,
                style: ScalarStyle::Plain,
            } if is_null(value) => None,
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    pub fn entries(&self, id: NodeId) -> &[(NodeId, NodeId)] {
        match &self.nodes[self.resolve(id)].kind {
            NodeKind::Mapping(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self, id: NodeId) -> &[NodeId] {
        match &self.nodes[self.resolve(id)].kind {
            NodeKind::Sequence(items) => items,
            _ => &[],
        }
    }

    pub fn is_mapping(&self, id: NodeId) -> bool {
        matches!(self.nodes[self.resolve(id)].kind, NodeKind::Mapping(_))
    }

    pub fn is_sequence(&self, id: NodeId) -> bool {
        matches!(self.nodes[self.resolve(id)].kind, NodeKind::Sequence(_))
    }

    pub fn is_scalar(&self, id: NodeId) -> bool {
        matches!(self.nodes[self.resolve(id)].kind, NodeKind::Scalar { .. })
    }

    /// Value of the first entry whose key is the scalar `key`.
    pub fn get(&self, map: NodeId, key: &str) -> Option<NodeId> {
        self.entry(map, key).map(|(_, v)| v)
    }

    /// (key node, value node) of the first entry whose key is `key`.
    pub fn entry(&self, map: NodeId, key: &str) -> Option<(NodeId, NodeId)> {
        self.entries(map)
            .iter()
            .copied()
            .find(|&(k, _)| self.str(k) == Some(key))
    }

    /// The key node of `value` when `value` is a mapping value.
    pub fn key_for(&self, value: NodeId) -> Option<NodeId> {
        self.entry_of(value, |&(_, v)| v).map(|(k, _)| k)
    }

    /// The value node of `key` when `key` is a mapping key.
    pub fn value_for(&self, key: NodeId) -> Option<NodeId> {
        self.entry_of(key, |&(k, _)| k).map(|(_, v)| v)
    }

    /// The entry of the mapping holding `id` whose `side` is `id`. Keys and
    /// values both start in document order, so a binary search finds it:
    /// linear scans made a marker on each of 40,000 entries quadratic.
    fn entry_of(
        &self,
        id: NodeId,
        side: fn(&(NodeId, NodeId)) -> NodeId,
    ) -> Option<(NodeId, NodeId)> {
        let parent = self.nodes[id].parent?;
        let NodeKind::Mapping(entries) = &self.nodes[parent].kind else {
            return None;
        };
        let start = self.nodes[id].span.start;
        let from = entries.partition_point(|e| self.nodes[side(e)].span.start < start);
        entries[from..]
            .iter()
            .take_while(|e| self.nodes[side(e)].span.start == start)
            .find(|e| side(e) == id)
            .copied()
    }

    /// Walks a path of mapping keys.
    pub fn path(&self, mut node: NodeId, keys: &[&str]) -> Option<NodeId> {
        for key in keys {
            node = self.get(node, key)?;
        }
        Some(node)
    }

    /// Scalar string at a path of mapping keys.
    pub fn path_str(&self, node: NodeId, keys: &[&str]) -> Option<&str> {
        self.path(node, keys).and_then(|n| self.non_null_str(n))
    }

    pub fn comment_text<'a>(&self, src: &'a str, id: CommentId) -> &'a str {
        self.comments[id].span.text(src)
    }

    /// Roots of all non-empty documents.
    pub fn roots(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.docs.iter().filter_map(|d| d.root)
    }

    /// Every node id in document order under `root`, `root` included.
    /// Aliases are yielded but not followed.
    pub fn descendants(&self, root: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            out.push(id);
            match &self.nodes[id].kind {
                NodeKind::Mapping(entries) => {
                    for &(k, v) in entries.iter().rev() {
                        stack.push(v);
                        stack.push(k);
                    }
                }
                NodeKind::Sequence(items) => stack.extend(items.iter().rev()),
                _ => {}
            }
        }
        out
    }
}

/// YAML 1.2 core-schema null.
pub fn is_null(plain: &str) -> bool {
    matches!(plain, "" | "~" | "null" | "Null" | "NULL")
}

impl Yaml {
    /// Scalar content of a node reference (no alias resolution).
    pub fn str_of<'a>(&self, node: &'a Node) -> Option<&'a str> {
        match &node.kind {
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }
}
