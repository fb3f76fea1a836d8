//! Turns the changed mirror into byte edits of the old text: changed
//! scalars in their own style, new keys and items inserted in the file's
//! own indentation, sequence style and line ending. Hands [`TextEdit`]s and
//! the position of every marked value back to the planner.

use super::super::TextEdit;
use super::super::yamlwrite::{self, Layout};
use super::mirror::{Ctx, Scalar, Tree, alias_name};
use crate::yaml::{NodeId, NodeKind, ScalarStyle, Yaml};

/// Where each edit starts in the new text.
pub(super) fn new_offsets(edits: &[TextEdit]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..edits.len()).collect();
    order.sort_by_key(|&i| (edits[i].range.start, edits[i].range.end));
    let mut out = vec![0; edits.len()];
    let mut delta: isize = 0;
    for i in order {
        let e = &edits[i];
        out[i] = (e.range.start as isize + delta) as usize;
        delta += e.text.len() as isize - e.range.len() as isize;
    }
    out
}

pub(super) struct MarkPos {
    pub(super) mark: usize,
    pub(super) edit: usize,
    pub(super) offset: usize,
    pub(super) old: String,
    pub(super) new: String,
}

/// (mark, offset in the text being built, old value, new value).
pub(super) type Local = Vec<(usize, usize, String, String)>;

pub(super) struct Out<'a> {
    pub(super) ctx: &'a Ctx<'a>,
    pub(super) text: &'a str,
    pub(super) eol: &'static str,
    pub(super) st: Layout,
    pub(super) edits: Vec<TextEdit>,
    pub(super) marks: Vec<MarkPos>,
    pub(super) middle: bool,
}

impl<'a> Out<'a> {
    pub(super) fn y(&self) -> &'a Yaml {
        self.ctx.y
    }

    pub(super) fn col(&self, offset: usize) -> usize {
        yamlwrite::column(&self.y().lines, self.text, offset)
    }

    pub(super) fn push(&mut self, range: std::ops::Range<usize>, text: String, local: Local) {
        let edit = self.edits.len();
        self.edits.push(TextEdit { range, text });
        for (mark, offset, old, new) in local {
            self.marks.push(MarkPos {
                mark,
                edit,
                offset,
                old,
                new,
            });
        }
    }

    /// Start of the line after the one holding byte `end - 1`, and whether
    /// a line break must come first (the file ends without one).
    pub(super) fn after_line(&self, end: usize) -> (usize, bool) {
        yamlwrite::after_line(&self.y().lines, self.text, end)
    }

    pub(super) fn walk(&mut self, t: &Tree) {
        match t {
            Tree::Scalar(s) if s.changed => {
                let Some(n) = s.old else { return };
                let node = self.y().node(n);
                let style = match node.kind {
                    NodeKind::Scalar { style, .. } => style,
                    _ => ScalarStyle::Plain,
                };
                let text = yamlwrite::in_style(style, &s.value, node.in_flow);
                let old = self.y().str(n).unwrap_or_default().to_owned();
                let local = s
                    .mark
                    .map(|m| vec![(m, 0, old, s.value.clone())])
                    .unwrap_or_default();
                self.push(node.span.start..node.span.end, text, local);
            }
            Tree::Map {
                old: Some(n),
                entries,
            } => {
                for (_, v) in entries {
                    if v.old().is_some() {
                        self.walk(v);
                    }
                }
                let new: Vec<&(String, Tree)> =
                    entries.iter().filter(|(_, v)| v.old().is_none()).collect();
                if !new.is_empty() {
                    self.add_entries(*n, &new);
                }
            }
            Tree::Seq {
                old: Some(n),
                items,
            } => {
                for it in items {
                    if it.old().is_some() {
                        self.walk(it);
                    }
                }
                let mut run: Vec<&Tree> = Vec::new();
                let mut k = 0;
                for it in items {
                    if it.old().is_none() {
                        run.push(it);
                    } else {
                        if !run.is_empty() {
                            self.add_items(*n, Some(k), &run);
                            run.clear();
                        }
                        k += 1;
                    }
                }
                if !run.is_empty() {
                    self.add_items(*n, None, &run);
                }
            }
            _ => {}
        }
    }

    pub(super) fn add_entries(&mut self, n: NodeId, new: &[&(String, Tree)]) {
        let node = self.y().node(n);
        let NodeKind::Mapping(old) = &node.kind else {
            return;
        };
        let mut s = String::new();
        let mut local = Vec::new();
        if node.in_flow {
            let (pos, mut sep) = match old.last() {
                Some(&(_, v)) => (self.y().node(v).span.end, true),
                None => (node.span.start + 1, false),
            };
            for (k, v) in new {
                if sep {
                    s.push_str(", ");
                }
                sep = true;
                s.push_str(&yamlwrite::new_value(k, true));
                s.push_str(": ");
                self.flow(&mut s, v, &mut local);
            }
            self.push(pos..pos, s, local);
            return;
        }
        let indent = old
            .first()
            .map_or(0, |&(k, _)| self.col(self.y().node(k).span.start));
        let (pos, need_eol) = self.after_line(node.span.end);
        if need_eol {
            s.push_str(self.eol);
        }
        self.block_entries(&mut s, new, indent, &mut local);
        self.push(pos..pos, s, local);
    }

    pub(super) fn add_items(&mut self, n: NodeId, before: Option<usize>, run: &[&Tree]) {
        let node = self.y().node(n);
        let NodeKind::Sequence(old) = &node.kind else {
            return;
        };
        let mut s = String::new();
        let mut local = Vec::new();
        if node.in_flow {
            let pos = match before {
                Some(k) => {
                    self.middle = true;
                    let pos = self.y().node(old[k]).span.start;
                    for it in run {
                        self.flow(&mut s, it, &mut local);
                        s.push_str(", ");
                    }
                    pos
                }
                None => {
                    let pos = match old.last() {
                        Some(&l) => self.y().node(l).span.end,
                        None => node.span.start + 1,
                    };
                    for (i, it) in run.iter().enumerate() {
                        if i > 0 || !old.is_empty() {
                            s.push_str(", ");
                        }
                        self.flow(&mut s, it, &mut local);
                    }
                    pos
                }
            };
            self.push(pos..pos, s, local);
            return;
        }
        let dash = self.col(node.span.start);
        let off = old
            .first()
            .map(|&f| self.y().node(f).span.start)
            .filter(|&f| self.y().lines.line_of(f) == self.y().lines.line_of(node.span.start))
            .map(|f| self.col(f).saturating_sub(dash))
            .filter(|&o| o >= 2)
            .unwrap_or(self.st.item_off);
        // Before an old item: at the start of its `-` line.
        let at_line = before.and_then(|k| {
            let start = self.y().node(old[k]).span.start;
            yamlwrite::item_line(&self.y().lines, self.text, start, dash)
        });
        let (pos, need_eol) = match at_line {
            Some(ls) => {
                self.middle = true;
                (ls, false)
            }
            None => self.after_line(node.span.end),
        };
        if need_eol {
            s.push_str(self.eol);
        }
        self.block_items(&mut s, run, dash, off, &mut local);
        self.push(pos..pos, s, local);
    }

    pub(super) fn scalar(&self, out: &mut String, s: &Scalar, in_flow: bool, local: &mut Local) {
        if let Some(m) = s.mark {
            local.push((m, out.len(), String::new(), s.value.clone()));
        }
        if s.non_string {
            out.push_str(&s.value);
        } else {
            out.push_str(&yamlwrite::new_value(&s.value, in_flow));
        }
    }

    pub(super) fn block_entries(
        &self,
        out: &mut String,
        entries: &[&(String, Tree)],
        indent: usize,
        local: &mut Local,
    ) {
        for (k, v) in entries {
            yamlwrite::pad(out, indent);
            out.push_str(&yamlwrite::new_value(k, false));
            out.push(':');
            self.block_value(out, v, indent, local);
        }
    }

    pub(super) fn block_value(&self, out: &mut String, v: &Tree, indent: usize, local: &mut Local) {
        match v {
            Tree::Scalar(s) => {
                out.push(' ');
                self.scalar(out, s, false, local);
                out.push_str(self.eol);
            }
            Tree::Map { entries, .. } if !entries.is_empty() => {
                out.push_str(self.eol);
                let all: Vec<&(String, Tree)> = entries.iter().collect();
                self.block_entries(out, &all, indent + self.st.unit, local);
            }
            Tree::Seq { items, .. } if !items.is_empty() => {
                out.push_str(self.eol);
                let all: Vec<&Tree> = items.iter().collect();
                self.block_items(
                    out,
                    &all,
                    indent + self.st.seq_indent,
                    self.st.item_off,
                    local,
                );
            }
            _ => {
                out.push(' ');
                self.flow(out, v, local);
                out.push_str(self.eol);
            }
        }
    }

    pub(super) fn block_items(
        &self,
        out: &mut String,
        items: &[&Tree],
        dash: usize,
        off: usize,
        local: &mut Local,
    ) {
        for it in items {
            yamlwrite::dash(out, dash, off);
            match it {
                Tree::Scalar(s) => {
                    self.scalar(out, s, false, local);
                    out.push_str(self.eol);
                }
                Tree::Map { entries, .. } if !entries.is_empty() => {
                    let (k, v) = &entries[0];
                    out.push_str(&yamlwrite::new_value(k, false));
                    out.push(':');
                    self.block_value(out, v, dash + off, local);
                    let rest: Vec<&(String, Tree)> = entries[1..].iter().collect();
                    self.block_entries(out, &rest, dash + off, local);
                }
                _ => {
                    self.flow(out, it, local);
                    out.push_str(self.eol);
                }
            }
        }
    }

    pub(super) fn flow(&self, out: &mut String, v: &Tree, local: &mut Local) {
        match v {
            Tree::Scalar(s) => self.scalar(out, s, true, local),
            Tree::Map { entries, .. } => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&yamlwrite::new_value(k, true));
                    out.push_str(": ");
                    self.flow(out, v, local);
                }
                out.push('}');
            }
            Tree::Seq { items, .. } => {
                out.push('[');
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.flow(out, it, local);
                }
                out.push(']');
            }
            Tree::Alias(n) => {
                out.push('*');
                out.push_str(&alias_name(self.y(), *n));
            }
        }
    }
}
