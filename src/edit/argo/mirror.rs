//! A mirror of the target file's YAML document that the updates are
//! applied to: old nodes keep their ids, new keys and items are owned
//! values, and [`Ctx`] holds the rules every change follows (no edits
//! through aliases or inside shared anchors, no null replaced). Hands the
//! changed mirror to the emitter and its [`Expect`]s to the verifier.

use std::collections::HashSet;

use super::super::{Expect, Seg, scalar};
use super::error::ArgoError;
use crate::yaml::{NodeId, NodeKind, ScalarStyle, Yaml};

/// A mirror of one YAML document: old nodes keep their ids, new ones are
/// owned. Old entries and items are never removed or reordered; new ones
/// are appended to maps and inserted into sequences.
#[derive(Debug, Clone)]
pub(super) enum Tree {
    Scalar(Scalar),
    Map {
        old: Option<NodeId>,
        entries: Vec<(String, Tree)>,
    },
    Seq {
        old: Option<NodeId>,
        items: Vec<Tree>,
    },
    Alias(NodeId),
}

#[derive(Debug, Clone)]
pub(super) struct Scalar {
    pub(super) old: Option<NodeId>,
    pub(super) value: String,
    /// An old scalar whose value is replaced.
    pub(super) changed: bool,
    /// Written plain and meant to load as a boolean (`forcestring: true`).
    pub(super) non_string: bool,
    pub(super) mark: Option<usize>,
}

impl Tree {
    pub(super) fn old(&self) -> Option<NodeId> {
        match self {
            Tree::Scalar(s) => s.old,
            Tree::Map { old, .. } | Tree::Seq { old, .. } => *old,
            Tree::Alias(n) => Some(*n),
        }
    }

    pub(super) fn string(value: &str, mark: Option<usize>) -> Tree {
        Tree::Scalar(Scalar {
            old: None,
            value: value.to_owned(),
            changed: false,
            non_string: false,
            mark,
        })
    }

    pub(super) fn yes() -> Tree {
        Tree::Scalar(Scalar {
            old: None,
            value: "true".into(),
            changed: false,
            non_string: true,
            mark: None,
        })
    }

    pub(super) fn map(entries: Vec<(&str, Tree)>) -> Tree {
        Tree::Map {
            old: None,
            entries: entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        }
    }

    pub(super) fn seq() -> Tree {
        Tree::Seq {
            old: None,
            items: Vec::new(),
        }
    }

    pub(super) fn index(&self, key: &str) -> Option<usize> {
        match self {
            Tree::Map { entries, .. } => entries.iter().position(|(k, _)| k == key),
            _ => None,
        }
    }

    pub(super) fn get(&self, key: &str) -> Option<&Tree> {
        match self {
            Tree::Map { entries, .. } => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(super) fn is_new_or_changed(&self) -> bool {
        matches!(self, Tree::Scalar(s) if s.old.is_none() || s.changed)
    }
}

pub(super) fn mirror(y: &Yaml, n: NodeId) -> Tree {
    match &y.node(n).kind {
        NodeKind::Scalar { value, .. } => Tree::Scalar(Scalar {
            old: Some(n),
            value: value.clone(),
            changed: false,
            non_string: false,
            mark: None,
        }),
        NodeKind::Mapping(entries) => Tree::Map {
            old: Some(n),
            entries: entries
                .iter()
                .map(|&(k, v)| (key_name(y, k), mirror(y, v)))
                .collect(),
        },
        NodeKind::Sequence(items) => Tree::Seq {
            old: Some(n),
            items: items.iter().map(|&i| mirror(y, i)).collect(),
        },
        NodeKind::Alias(_) => Tree::Alias(n),
    }
}

/// A mapping key as [`verify`] names it.
pub(super) fn key_name(y: &Yaml, k: NodeId) -> String {
    y.str(k).map_or_else(|| format!("<key@{k}>"), str::to_owned)
}

pub(super) fn alias_name(y: &Yaml, n: NodeId) -> String {
    match y.node(n).kind {
        NodeKind::Alias(Some(t)) => y.node(t).anchor.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// The parsed old text, and the rules every change must follow.
pub(super) struct Ctx<'a> {
    pub(super) y: &'a Yaml,
    /// Nodes some alias points at: nothing inside them is edited.
    pub(super) shared: HashSet<NodeId>,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(y: &'a Yaml) -> Self {
        let shared = y
            .nodes
            .iter()
            .filter_map(|n| match n.kind {
                NodeKind::Alias(Some(t)) => Some(t),
                _ => None,
            })
            .collect();
        Self { y, shared }
    }

    /// Refuses a change at or inside an anchored node that an alias
    /// repeats elsewhere (the change would move the alias too).
    pub(super) fn guard(&self, node: Option<NodeId>, what: &str) -> Result<(), ArgoError> {
        let mut at = node;
        while let Some(n) = at {
            if self.shared.contains(&n) {
                let anchor = self.y.node(n).anchor.clone().unwrap_or_default();
                return Err(ArgoError::Shared {
                    what: what.to_owned(),
                    anchor,
                });
            }
            at = self.y.node(n).parent;
        }
        Ok(())
    }

    /// A scalar's value, through an alias.
    pub(super) fn value_of<'t>(&'t self, t: &'t Tree) -> Option<&'t str> {
        match t {
            Tree::Scalar(s) => Some(&s.value),
            Tree::Alias(n) => self.y.str(*n),
            _ => None,
        }
    }

    pub(super) fn kind(&self, t: &Tree) -> &'static str {
        match t {
            Tree::Scalar(s) if s.old.is_some_and(|n| self.y.non_null_str(n).is_none()) => "null",
            Tree::Scalar(_) => "a value",
            Tree::Map { .. } => "a mapping",
            Tree::Seq { .. } => "a list",
            Tree::Alias(_) => "an alias",
        }
    }

    pub(super) fn alias_err(&self, n: NodeId, what: &str) -> ArgoError {
        ArgoError::Alias {
            what: what.to_owned(),
            anchor: alias_name(self.y, n),
        }
    }

    /// Sets a scalar (keeping an old scalar's style).
    pub(super) fn set(
        &self,
        t: &mut Tree,
        what: &str,
        value: &str,
        mark: Option<usize>,
    ) -> Result<(), ArgoError> {
        match t {
            Tree::Alias(n) => Err(self.alias_err(*n, what)),
            Tree::Map { .. } | Tree::Seq { .. } => Err(ArgoError::NotAValue {
                what: what.to_owned(),
                kind: self.kind(t),
            }),
            Tree::Scalar(s) => {
                let Some(n) = s.old else {
                    s.value = value.to_owned();
                    s.mark = mark;
                    return Ok(());
                };
                let node = self.y.node(n);
                let NodeKind::Scalar { value: orig, style } = &node.kind else {
                    return Err(ArgoError::NotScalar(what.to_owned()));
                };
                if orig == value {
                    s.value = orig.clone();
                    s.changed = false;
                    s.mark = None;
                    return Ok(());
                }
                self.guard(Some(n), what)?;
                scalar::render(*style, value, node.in_flow).map_err(|reason| {
                    ArgoError::Unrenderable {
                        what: what.to_owned(),
                        reason,
                    }
                })?;
                s.value = value.to_owned();
                s.changed = true;
                s.mark = mark;
                Ok(())
            }
        }
    }

    /// Checks that `t` is a mapping (or list) that may be navigated.
    pub(super) fn want(&self, t: &Tree, what: &str, seq: bool) -> Result<(), ArgoError> {
        let want = if seq { "a list" } else { "a mapping" };
        match t {
            Tree::Map { .. } if !seq => Ok(()),
            Tree::Seq { .. } if seq => Ok(()),
            Tree::Alias(n) => Err(self.alias_err(*n, what)),
            Tree::Scalar(s) if s.old.is_some() && self.kind(t) == "null" => Err(ArgoError::Null {
                what: what.to_owned(),
                want,
            }),
            _ => Err(ArgoError::Unexpected {
                what: what.to_owned(),
                kind: self.kind(t),
                want,
            }),
        }
    }

    /// The value under `key` of the mapping `t`, appended as `make()` when
    /// missing.
    pub(super) fn entry<'t>(
        &self,
        t: &'t mut Tree,
        what: &str,
        key: &str,
        make: impl FnOnce() -> Tree,
    ) -> Result<&'t mut Tree, ArgoError> {
        self.want(t, what, false)?;
        let Tree::Map { old, entries } = t else {
            return Err(ArgoError::NotMapping(what.to_owned()));
        };
        let i = match entries.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                self.guard(*old, what)?;
                entries.push((key.to_owned(), make()));
                entries.len() - 1
            }
        };
        Ok(&mut entries[i].1)
    }

    /// Sets `key` of mapping `t` to `value`, adding the key when missing.
    pub(super) fn put(
        &self,
        t: &mut Tree,
        what: &str,
        key: &str,
        value: &str,
        mark: Option<usize>,
    ) -> Result<(), ArgoError> {
        let at = format!("{what}.{key}");
        let child = self.entry(t, what, key, || Tree::string(value, mark))?;
        self.set(child, &at, value, mark)
    }
}

/// Every new, changed or moved scalar of the mirror, by its new path.
pub(super) fn expects(
    ctx: &Ctx,
    t: &Tree,
    doc: usize,
    path: &mut Vec<Seg>,
    shifted: bool,
    out: &mut Vec<Expect>,
) {
    let mut push = |value: String, non_string: bool| {
        out.push(Expect {
            doc,
            path: path.clone(),
            value,
            non_string,
        })
    };
    match t {
        Tree::Scalar(s) => match s.old {
            None => push(s.value.clone(), s.non_string),
            Some(_) if s.changed => push(s.value.clone(), false),
            Some(n) if shifted => {
                let node = ctx.y.node(n);
                let typed = matches!(
                    node.kind,
                    NodeKind::Scalar {
                        style: ScalarStyle::Plain,
                        ..
                    }
                ) && node.tag.is_none()
                    && scalar::reads_as_non_string(&s.value);
                push(s.value.clone(), typed);
            }
            Some(_) => {}
        },
        Tree::Alias(n) if shifted => push(format!("*{}", alias_name(ctx.y, *n)), false),
        Tree::Alias(_) => {}
        Tree::Map { entries, .. } => {
            for (k, v) in entries {
                path.push(Seg::Key(k.clone()));
                expects(ctx, v, doc, path, shifted, out);
                path.pop();
            }
        }
        Tree::Seq { items, .. } => {
            let mut old_index = 0;
            for (i, item) in items.iter().enumerate() {
                let moved = if item.old().is_some() {
                    let moved = shifted || i != old_index;
                    old_index += 1;
                    moved
                } else {
                    shifted
                };
                path.push(Seg::Index(i));
                expects(ctx, item, doc, path, moved, out);
                path.pop();
            }
        }
    }
}
