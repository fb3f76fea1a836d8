//! Turns the changed mirror into byte edits of the old text: changed
//! scalars in their own style, new keys and items inserted in the file's
//! own indentation, sequence style and line ending. Hands [`TextEdit`]s and
//! the position of every marked value back to the planner.

use super::super::{TextEdit, scalar};
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

/// How the file lays out new block collections.
#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    /// Indentation of a nested mapping.
    pub(super) unit: usize,
    /// Columns between a key and the `-` of its sequence (0: compact).
    pub(super) seq_indent: usize,
    /// Columns from `-` to the item.
    pub(super) item_off: usize,
}

impl Default for Style {
    /// Argo's and kyaml's: indent 2, compact sequences.
    fn default() -> Self {
        Self {
            unit: 2,
            seq_indent: 0,
            item_off: 2,
        }
    }
}

impl Style {
    /// The first nested mapping, sequence and item of the document decide.
    pub(super) fn detect(y: &Yaml, text: &str, root: NodeId) -> Self {
        let col = |o: usize| y.lines.line_col(text, o).column - 1;
        let (mut unit, mut seq_indent, mut item_off) = (None, None, None);
        for n in y.descendants(root) {
            let node = y.node(n);
            if node.in_flow {
                continue;
            }
            match &node.kind {
                NodeKind::Mapping(entries) => {
                    for &(k, v) in entries {
                        let kc = col(y.node(k).span.start);
                        let vn = y.node(v);
                        if vn.in_flow {
                            continue;
                        }
                        match &vn.kind {
                            NodeKind::Mapping(ce) if unit.is_none() && !ce.is_empty() => {
                                let c = col(y.node(ce[0].0).span.start);
                                if c > kc {
                                    unit = Some(c - kc);
                                }
                            }
                            NodeKind::Sequence(items)
                                if seq_indent.is_none() && !items.is_empty() =>
                            {
                                seq_indent = Some(col(vn.span.start).saturating_sub(kc));
                            }
                            _ => {}
                        }
                    }
                }
                NodeKind::Sequence(items) if item_off.is_none() && !items.is_empty() => {
                    let first = y.node(items[0]).span.start;
                    if y.lines.line_of(first) == y.lines.line_of(node.span.start) {
                        let off = col(first).saturating_sub(col(node.span.start));
                        if off >= 2 {
                            item_off = Some(off);
                        }
                    }
                }
                _ => {}
            }
        }
        let d = Style::default();
        Style {
            unit: unit.unwrap_or(d.unit),
            seq_indent: seq_indent.unwrap_or(d.seq_indent),
            item_off: item_off.unwrap_or(d.item_off),
        }
    }
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
    pub(super) st: Style,
    pub(super) edits: Vec<TextEdit>,
    pub(super) marks: Vec<MarkPos>,
    pub(super) middle: bool,
}

impl<'a> Out<'a> {
    pub(super) fn y(&self) -> &'a Yaml {
        self.ctx.y
    }

    pub(super) fn col(&self, offset: usize) -> usize {
        self.y().lines.line_col(self.text, offset).column - 1
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
        let lines = &self.y().lines;
        let line = lines.line_of(end.saturating_sub(1));
        match lines.line_start(line + 1) {
            Some(p) => (p, false),
            None => (self.text.len(), true),
        }
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
                let text = scalar::render(style, &s.value, node.in_flow)
                    .unwrap_or_else(|_| scalar::double_quoted(&s.value));
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
                s.push_str(&key_text(k, true));
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
            let line = self.y().lines.line_of(start);
            let ls = self.y().lines.line_start(line)?;
            let lead = &self.text[ls..start];
            let trimmed = lead.trim_start_matches(' ');
            (trimmed.starts_with('-') && lead.len() - trimmed.len() == dash).then_some(ls)
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
            out.push_str(&value_text(&s.value, in_flow));
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
            out.push_str(&" ".repeat(indent));
            out.push_str(&key_text(k, false));
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
            out.push_str(&" ".repeat(dash));
            out.push('-');
            out.push_str(&" ".repeat(off.saturating_sub(1).max(1)));
            match it {
                Tree::Scalar(s) => {
                    self.scalar(out, s, false, local);
                    out.push_str(self.eol);
                }
                Tree::Map { entries, .. } if !entries.is_empty() => {
                    let (k, v) = &entries[0];
                    out.push_str(&key_text(k, false));
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
                    out.push_str(&key_text(k, true));
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

/// A new string value as Argo's encoder writes it: plain, double-quoted
/// when plain would read as another type (`"1.20"`) or not parse back.
pub(super) fn value_text(value: &str, in_flow: bool) -> String {
    scalar::render(ScalarStyle::Plain, value, in_flow)
        .unwrap_or_else(|_| scalar::double_quoted(value))
}

pub(super) fn key_text(key: &str, in_flow: bool) -> String {
    value_text(key, in_flow)
}
