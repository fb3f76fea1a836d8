//! The span parser: drives yaml-rust2's event API and builds the [`Yaml`]
//! span tree, re-scanning the source for every token because the parser's
//! positions are not byte-exact.
//!
//! What yaml-rust2 0.13 markers are, measured with a probe (and pinned by
//! the tests in `tests.rs`):
//! - `line()` is 1-based, `col()` 0-based in characters; a tab is one
//!   column. `index()` counts characters (`é: 日本語`: the value is at 3),
//!   except that block scalar content lines add bytes, so after a non-ASCII
//!   block scalar it is neither (measured 114 where the byte offset is 116
//!   and the character offset 44). It is never used: we convert (line, col).
//! - Line breaks are `\n`, `\r\n` (one break; the `\r` is the last column of
//!   its line) and a lone `\r` (a break, unlike in [`LineIndex`]).
//! - A UTF-8 BOM is not skipped: it becomes part of the first plain scalar
//!   (`"\u{feff}a"`) and breaks a leading `---`. We hand the parser the text
//!   after the BOM and shift its first line by the BOM's 3 bytes.
//! - One start marker per event, no end. Plain scalars, aliases and flow
//!   `[`/`{` point at their first byte; quoted scalars at the opening quote;
//!   a tag or anchor before a node is not included (the marker is the value
//!   token), and yaml-rust2 reports tags resolved (`tag:yaml.org,2002:str`)
//!   and anchors as numbers, so both are read back from the source.
//! - Block scalars point at their first content character, not at `|`/`>`;
//!   with no content, at the next token (at the indicator at end of input).
//!   We find the header by scanning forward from the previous token.
//! - A block mapping points at the `:` after its first key (or at `?`); an
//!   indentless sequence (`key:\n- a`) after `- `; a flow pair (`[a: b]`)
//!   after the `:`, or at the `{` of a flow-mapping key; empty scalars at
//!   whatever token comes next. Block collections, flow pairs and empty
//!   scalars are therefore placed from their children and the indicators
//!   around them.
//! - Block mapping/sequence ends point at the next token; flow ends at the
//!   closing bracket.
//! - Tabs: `a: 1\t# c` and tabs inside quotes are fine; `a:\t1` (a tab as
//!   the only separator after `:`) is a yaml-rust2 error.
//! - `Parser::next_token` does not recurse (the recursive `load` is not
//!   used here) and caps flow nesting at 255 itself; anchors are not reset
//!   between documents, so an alias to an earlier document's anchor becomes
//!   `Alias(None)` here.
//! - A NUL byte silently ends yaml-rust2's input; we report it as an error.
//! - yaml-rust2 carries a plain scalar on past a tab-indented comment line
//!   (`a: x\n\t# c\n y` is `"x y"`); its span then covers that comment,
//!   which is then scalar text, not a comment.

use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::marker::MarkerMap;
use super::scan::{self, Tok};
use super::span::{LineIndex, Span};
use super::tree::{
    CommentId, Document, DuplicateKey, Node, NodeId, NodeKind, ScalarStyle, SyntaxError, Yaml,
};

/// Deeper nesting is reported as an error: no manifest comes near it, and
/// it keeps recursive walkers downstream safe from hostile input.
const MAX_DEPTH: usize = 512;

/// More nodes than this stop the parse (a limit, not a syntax error): the
/// tree costs about 250 bytes a node (measured on a list of 2,000,000
/// items), and CRD bundles run at 30 to 60 bytes a node, so no manifest
/// under the 10 MiB file limit comes near it.
pub const MAX_NODES: usize = 500_000;

/// How far yaml-rust2 may read ahead of the last event. It queues every
/// token of a flow collection that starts where a key may start (a
/// document's `[`/`{`, or one after `- `) until the collection closes, since
/// it might be a key; a 9.9 MB `[a,a,...]` took 1 GB before the first event.
/// Past this lookahead we stop feeding it (about 55 MB of tokens at most,
/// measured: 1 MiB of `a,` queued 220 MB).
const MAX_LOOKAHEAD: usize = 256 << 10;

/// Parses `text` (a whole file, BOM included) into a span tree. Never fails:
/// a syntax error is recorded in [`Yaml::error`], with the documents
/// completed before it in [`Yaml::docs`]. The nodes of the document being
/// read when the error struck stay in [`Yaml::nodes`] (spans closed at their
/// last child) but no [`Document`] refers to them.
pub fn parse(text: &str) -> Yaml {
    let bom = text.starts_with('\u{feff}');
    let body = if bom { 3 } else { 0 };
    let nul = memchr::memchr(0, &text.as_bytes()[body..]).map(|n| body + n);
    let end = nul.unwrap_or(text.len());
    let mut b = Builder::new(text, body, end);
    let last_event = Cell::new(body);
    let starved = Cell::new(None);
    let mut parser = Parser::new(Feed {
        chars: text[body..end].chars(),
        text,
        at: body,
        last_event: &last_event,
        checked: usize::MAX,
        starved: &starved,
    });
    b.last_event = Some(&last_event);
    // yaml-rust2 has `unwrap`s and `unreachable!`s of its own; one of them
    // firing on a hostile file must not take the whole run down.
    let run = catch_unwind(AssertUnwindSafe(|| b.run(&mut parser)));
    if run.is_err() {
        b.fail("internal YAML parser error".to_owned(), b.cursor);
    }
    if let Some(at) = starved.get() {
        b.error = None;
        b.fail(
            format!(
                "a flow collection ([...] or {{...}}) over {} KiB long where a key may start; \
                 not parsed (the YAML parser would hold all of it in memory)",
                MAX_LOOKAHEAD >> 10
            ),
            at,
        );
        if let Some(e) = &mut b.error {
            e.limit = true;
        }
    }
    if let Some(nul) = nul
        && b.error.is_none()
    {
        b.docs.retain(|d| d.span.end < nul);
        b.fail("NUL character is not allowed in YAML".to_owned(), nul);
    }
    b.finish(bom)
}

struct Stop {
    message: String,
    at: usize,
    limit: bool,
}

struct OpenDoc {
    start: usize,
    root: Option<NodeId>,
    /// Nodes before this one belong to earlier documents (alias targets
    /// there are out of scope).
    first_node: NodeId,
}

struct Frame {
    node: NodeId,
    is_map: bool,
    /// Mapping: the key waiting for its value.
    key: Option<NodeId>,
    /// `[...]` / `{...}`: ends at its closing bracket.
    bracketed: bool,
    /// A block mapping or flow pair whose first byte is only known once its
    /// first child is placed.
    pending: Option<Pending>,
}

#[derive(Clone, Copy)]
struct Pending {
    marker: usize,
    tag: bool,
    anchor: bool,
}

struct Builder<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// Where the parser's input starts (after a BOM).
    body: usize,
    /// Where the parser's input ends (at a NUL, or the text's end).
    end: usize,
    map: MarkerMap<'a>,
    lines: LineIndex,
    nodes: Vec<Node>,
    is_key: Vec<bool>,
    /// Byte ranges of scalar content, in document order: `#` there is text.
    opaque: Vec<(usize, usize)>,
    frames: Vec<Frame>,
    doc: Option<OpenDoc>,
    docs: Vec<Document>,
    /// yaml-rust2 anchor id → node carrying it.
    anchors: Vec<Option<NodeId>>,
    duplicate_keys: Vec<DuplicateKey>,
    error: Option<SyntaxError>,
    /// End of the last token placed: the next node's properties and
    /// indicators lie between here and its start.
    cursor: usize,
    toks: Vec<Tok>,
    /// Where the last event was, for the feed's lookahead guard.
    last_event: Option<&'a Cell<usize>>,
}

/// yaml-rust2's input: the text's characters, cut off (as if the text ended)
/// when the scanner runs [`MAX_LOOKAHEAD`] bytes past the last event at a
/// flow collection start; `starved` then says where that collection starts.
/// A long single token (a block or quoted scalar) is read through.
struct Feed<'a> {
    chars: std::str::Chars<'a>,
    text: &'a str,
    /// Byte offset of the next character.
    at: usize,
    last_event: &'a Cell<usize>,
    /// The last event position already looked at.
    checked: usize,
    starved: &'a Cell<Option<usize>>,
}

impl Iterator for Feed<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let last = self.last_event.get();
        if self.at > last + MAX_LOOKAHEAD && self.checked != last {
            self.checked = last;
            if let Some(start) = scan::flow_start_after(self.text.as_bytes(), last) {
                self.starved.set(Some(start));
                return None;
            }
        }
        if self.starved.get().is_some() {
            return None;
        }
        let c = self.chars.next()?;
        self.at += c.len_utf8();
        Some(c)
    }
}

impl<'a> Builder<'a> {
    fn new(text: &'a str, body: usize, end: usize) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            body,
            end,
            map: MarkerMap::new(text, body),
            lines: LineIndex::new(text),
            nodes: Vec::with_capacity(text.len() / 10),
            is_key: Vec::with_capacity(text.len() / 10),
            opaque: Vec::with_capacity(text.len() / 12),
            frames: Vec::new(),
            doc: None,
            docs: Vec::new(),
            anchors: Vec::new(),
            duplicate_keys: Vec::new(),
            error: None,
            cursor: body,
            toks: Vec::new(),
            last_event: None,
        }
    }

    fn run(&mut self, parser: &mut Parser<Feed<'_>>) {
        loop {
            match parser.next_token() {
                Ok((Event::StreamEnd, _)) => return,
                Ok((ev, mark)) => {
                    if let Err(stop) = self.event(ev, &mark) {
                        self.fail(stop.message, stop.at);
                        if let Some(e) = &mut self.error {
                            e.limit = stop.limit;
                        }
                        return;
                    }
                }
                Err(e) => {
                    let at = self.map.offset(&self.lines, e.marker());
                    self.fail(e.info().to_owned(), at);
                    return;
                }
            }
        }
    }

    fn event(&mut self, ev: Event, mark: &Marker) -> Result<(), Stop> {
        let m = self.map.offset(&self.lines, mark).min(self.end);
        if let Some(last) = self.last_event {
            last.set(m.max(last.get()));
        }
        if self.nodes.len() >= MAX_NODES {
            return Err(Stop {
                message: format!("over {MAX_NODES} YAML nodes; not parsed further"),
                at: m,
                limit: true,
            });
        }
        match ev {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart => {
                // An implicit document is marked at its first token, which
                // may itself read `---` (yaml-rust2 lets a top-level block
                // scalar's content start with it).
                let explicit = scan::is_doc_marker(self.bytes, m, self.body, b"---")
                    && scan::scan_gap(
                        self.bytes,
                        self.body,
                        self.cursor,
                        m,
                        false,
                        &mut Vec::new(),
                    ) == m;
                let start = if explicit { m + 3 } else { self.cursor };
                self.cursor = self.cursor.max(start);
                self.doc = Some(OpenDoc {
                    start,
                    root: None,
                    first_node: self.next_id(),
                });
            }
            Event::DocumentEnd => self.end_document(m),
            Event::Scalar(value, style, anchor, tag) => {
                self.scalar(value, style, anchor, tag.is_some(), m);
            }
            Event::Alias(id) => self.alias(id, m),
            Event::SequenceStart(anchor, tag) => self.sequence_start(anchor, tag.is_some(), m)?,
            Event::MappingStart(anchor, tag) => self.mapping_start(anchor, tag.is_some(), m)?,
            Event::SequenceEnd | Event::MappingEnd => self.close(Some(m)),
        }
        Ok(())
    }

    fn end_document(&mut self, m: usize) {
        let Some(doc) = self.doc.take() else {
            return;
        };
        self.docs.push(Document {
            root: doc.root,
            span: Span::new(doc.start, m.max(doc.start)),
            index: self.docs.len(),
        });
        // Everything before the end marker is this document's, even when a
        // closing bracket was not placed (fuzzing found the next document
        // starting inside this one after a NUL-cut flow sequence).
        self.cursor = self.cursor.max(m);
        if scan::is_doc_marker(self.bytes, m, self.body, b"...") {
            self.cursor = self.cursor.max(m + 3);
        }
    }

    fn scalar(
        &mut self,
        value: String,
        style: TScalarStyle,
        anchor: usize,
        tagged: bool,
        m: usize,
    ) {
        let style = match style {
            TScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
            TScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
            TScalarStyle::Literal => ScalarStyle::Literal,
            TScalarStyle::Folded => ScalarStyle::Folded,
            TScalarStyle::Plain => ScalarStyle::Plain,
        };
        self.toks.clear();
        let span = match style {
            ScalarStyle::Plain if value.is_empty() => {
                if self.frames.is_empty() && anchor == 0 && !tagged {
                    // An empty document: no node.
                    return;
                }
                let node = scan::EmptyNode {
                    indicator: self.empty_indicator(),
                    tag: tagged,
                    anchor: anchor != 0,
                };
                // The marker is the next token, except in flow context where
                // it may be the `:` before the empty value (or, for an empty
                // flow-pair key, the `:` before the cursor).
                let limit = if m > self.cursor { m } else { self.end };
                let pair_key = self.frames.last().is_some_and(|f| {
                    f.bracketed
                        && f.key.is_none()
                        && matches!(&self.nodes[f.node].kind, NodeKind::Mapping(e) if e.is_empty())
                });
                let at = if m < self.cursor && pair_key {
                    m
                } else {
                    scan::scan_empty(
                        self.bytes,
                        self.body,
                        self.cursor,
                        limit,
                        &node,
                        &mut self.toks,
                    )
                };
                Span::empty(at.min(self.end))
            }
            ScalarStyle::Plain => {
                self.gap(m, false);
                let end = scan::match_content_end(self.text, m, &value, true)
                    .unwrap_or_else(|| scan::plain_line_end(self.bytes, m, self.top_in_flow()));
                Span::new(m, end.min(self.end))
            }
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                let quote = if style == ScalarStyle::SingleQuoted {
                    b'\''
                } else {
                    b'"'
                };
                let stop = self.gap(m, false);
                let start =
                    if self.bytes.get(m) != Some(&quote) && self.bytes.get(stop) == Some(&quote) {
                        stop
                    } else {
                        m
                    };
                Span::new(
                    start,
                    scan::quoted_end(self.bytes, start, quote).min(self.end),
                )
            }
            ScalarStyle::Literal | ScalarStyle::Folded => {
                let stop = self.gap(m + 1, true);
                let header = if matches!(self.bytes.get(stop), Some(b'|' | b'>')) {
                    stop
                } else {
                    m
                };
                let block = scan::block_scalar(self.text, header, &value);
                let end = block.end.min(self.end);
                if block.content_start < end {
                    self.opaque.push((block.content_start, end));
                }
                Span::new(header, end.max(header))
            }
        };
        if !span.is_empty()
            && matches!(
                style,
                ScalarStyle::Plain | ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted
            )
        {
            self.opaque.push((span.start, span.end));
        }
        self.place(
            NodeKind::Scalar { value, style },
            span,
            anchor,
            tagged,
            false,
        );
        self.cursor = self.cursor.max(span.end);
    }

    fn alias(&mut self, id: usize, m: usize) {
        self.toks.clear();
        self.gap(m, false);
        let end = scan::alias_end(self.text, m).min(self.end);
        let first = self.doc.as_ref().map_or(NodeId::new(0), |d| d.first_node);
        let target = self
            .anchors
            .get(id)
            .copied()
            .flatten()
            .filter(|&t| t >= first);
        let span = Span::new(m, end);
        self.place(NodeKind::Alias(target), span, 0, false, false);
        self.cursor = self.cursor.max(end);
    }

    fn sequence_start(&mut self, anchor: usize, tagged: bool, m: usize) -> Result<(), Stop> {
        self.toks.clear();
        let (start, flow) = if self.top_in_flow() {
            (m, true)
        } else {
            self.block_sequence_start(m)
        };
        self.gap(start, false);
        let id = self.place(
            NodeKind::Sequence(Vec::new()),
            Span::empty(start),
            anchor,
            tagged,
            flow,
        );
        self.cursor = self.cursor.max(self.after_char(start));
        self.push_frame(
            Frame {
                node: id,
                is_map: false,
                key: None,
                bracketed: flow,
                pending: None,
            },
            start,
        )
    }

    /// Start of a sequence outside flow context, and whether it is a flow
    /// sequence after all.
    fn block_sequence_start(&mut self, m: usize) -> (usize, bool) {
        let bytes = self.bytes;
        // Indentless (`key:\n- a`): the marker is after `- `.
        let mut i = m;
        while i > self.cursor && scan::is_blank(bytes[i - 1]) {
            i -= 1;
        }
        if i > self.cursor
            && bytes[i - 1] == b'-'
            && bytes
                .get(i)
                .is_none_or(|&b| scan::is_blank(b) || scan::is_break(b))
        {
            return (i - 1, false);
        }
        match bytes.get(m) {
            Some(b'-') => (m, false),
            Some(b'[') => (m, true),
            // Indentless with a comment after the `-`: the marker is past it.
            _ => {
                let mut toks = Vec::new();
                scan::scan_gap(bytes, self.body, self.cursor, m, false, &mut toks);
                let dash = toks.iter().find_map(|t| match t {
                    Tok::Indicator(b'-', at) => Some(*at),
                    _ => None,
                });
                (dash.unwrap_or(m), false)
            }
        }
    }

    fn mapping_start(&mut self, anchor: usize, tagged: bool, m: usize) -> Result<(), Stop> {
        self.toks.clear();
        if self.bytes.get(m) == Some(&b'{') {
            // `[{a: b}: c]`: yaml-rust2 marks the flow pair and its flow-map
            // key both at the `{`; the first one seen is the pair.
            if let Some(top) = self.frames.last_mut()
                && top.bracketed
                && top.is_map
                && top.key.is_none()
                && self.nodes[top.node].span.start == m
                && matches!(&self.nodes[top.node].kind, NodeKind::Mapping(e) if e.is_empty())
            {
                top.bracketed = false;
            } else {
                self.gap(m, false);
            }
            let id = self.place(
                NodeKind::Mapping(Vec::new()),
                Span::empty(m),
                anchor,
                tagged,
                true,
            );
            self.cursor = self.cursor.max(m + 1);
            return self.push_frame(
                Frame {
                    node: id,
                    is_map: true,
                    key: None,
                    bracketed: true,
                    pending: None,
                },
                m,
            );
        }
        let id = self.push_node(
            NodeKind::Mapping(Vec::new()),
            Span::empty(m),
            None,
            None,
            false,
        );
        self.register_anchor(anchor, id);
        self.push_frame(
            Frame {
                node: id,
                is_map: true,
                key: None,
                bracketed: false,
                pending: Some(Pending {
                    marker: m,
                    tag: tagged,
                    anchor: anchor != 0,
                }),
            },
            m,
        )
    }

    fn push_frame(&mut self, frame: Frame, at: usize) -> Result<(), Stop> {
        if self.frames.len() >= MAX_DEPTH {
            return Err(Stop {
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
                at,
                limit: false,
            });
        }
        self.frames.push(frame);
        Ok(())
    }

    /// Closes the innermost collection; `m` is the end marker (`None` when
    /// closing what an error left open).
    fn close(&mut self, m: Option<usize>) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        let id = frame.node;
        if let Some(p) = frame.pending {
            self.nodes[id].span = Span::empty(p.marker);
        }
        let start = self.nodes[id].span.start;
        // A key still waiting for its value (only after an error) counts too.
        let dangling = frame.key.map_or(0, |k| self.nodes[k].span.end);
        let last = self.last_child_end(id).max(dangling).max(start);
        let end = if frame.bracketed {
            let close = if frame.is_map { b'}' } else { b']' };
            match m {
                Some(m) if self.bytes.get(m) == Some(&close) && m >= last => m + 1,
                _ => self.find_close(close).map_or(last, |at| at + 1),
            }
        } else {
            last
        };
        self.nodes[id].span.end = end;
        self.cursor = self.cursor.max(end);
        if frame.is_map {
            self.check_duplicates(id);
        }
    }

    /// The closing bracket after the cursor, past blanks, comments and `,`.
    fn find_close(&self, close: u8) -> Option<usize> {
        let mut toks = Vec::new();
        let stop = scan::scan_gap(
            self.bytes,
            self.body,
            self.cursor,
            self.end,
            false,
            &mut toks,
        );
        (self.bytes.get(stop) == Some(&close)).then_some(stop)
    }

    fn last_child_end(&self, id: NodeId) -> usize {
        let end = |n: NodeId| self.nodes[n].span.end;
        match &self.nodes[id].kind {
            NodeKind::Mapping(entries) => entries.last().map_or(0, |&(k, v)| end(k).max(end(v))),
            NodeKind::Sequence(items) => items.last().map_or(0, |&n| end(n)),
            _ => 0,
        }
    }

    /// Reads the properties and indicators between the cursor and `limit`
    /// into `self.toks`; returns where the scan stopped.
    fn gap(&mut self, limit: usize, block_header: bool) -> usize {
        scan::scan_gap(
            self.bytes,
            self.body,
            self.cursor,
            limit,
            block_header,
            &mut self.toks,
        )
    }

    /// The indicator that introduces an empty node in the current context.
    fn empty_indicator(&self) -> Option<u8> {
        let frame = self.frames.last()?;
        if frame.is_map {
            return Some(if frame.key.is_none() { b'?' } else { b':' });
        }
        match &self.nodes[frame.node].kind {
            NodeKind::Sequence(items) if !items.is_empty() => {
                Some(if frame.bracketed { b',' } else { b'-' })
            }
            _ => None,
        }
    }

    fn top_in_flow(&self) -> bool {
        self.frames
            .last()
            .is_some_and(|f| self.nodes[f.node].in_flow)
    }

    fn after_char(&self, i: usize) -> usize {
        self.text
            .get(i..)
            .and_then(|s| s.chars().next())
            .map_or(i, |c| i + c.len_utf8())
            .min(self.end)
    }

    /// Adds a node whose start is known, first settling the pending
    /// collections it is the first child of: they start at (or before) it,
    /// and the properties in `self.toks` are theirs first, outermost first.
    fn place(
        &mut self,
        kind: NodeKind,
        span: Span,
        anchor: usize,
        tagged: bool,
        flow: bool,
    ) -> NodeId {
        // `["a":{b: c}]`: yaml-rust2 marks the flow pair at the `{` after its
        // key, so it looked like a flow mapping until its key showed up.
        if let Some(top) = self.frames.last_mut()
            && top.bracketed
            && top.is_map
            && top.key.is_none()
            && span.start < self.nodes[top.node].span.start
            && matches!(&self.nodes[top.node].kind, NodeKind::Mapping(e) if e.is_empty())
        {
            top.bracketed = false;
            self.nodes[top.node].span.start = span.start;
        }
        let toks = std::mem::take(&mut self.toks);
        let mut props = toks
            .iter()
            .filter(|t| !matches!(t, Tok::Indicator(..)))
            .copied()
            .peekable();
        let mut first_pending = self.frames.len();
        while first_pending > 0 && self.frames[first_pending - 1].pending.is_some() {
            first_pending -= 1;
        }
        for f in first_pending..self.frames.len() {
            let Some(p) = self.frames[f].pending else {
                continue;
            };
            let node = self.frames[f].node;
            let (mut need_tag, mut need_anchor) = (p.tag, p.anchor);
            loop {
                match props.peek() {
                    Some(Tok::Tag(s)) if need_tag => {
                        self.nodes[node].tag = Some(s.text(self.text).to_owned());
                        need_tag = false;
                    }
                    Some(Tok::Anchor(s)) if need_anchor => {
                        self.nodes[node].anchor = Some(self.text[s.start + 1..s.end].to_owned());
                        need_anchor = false;
                    }
                    _ => break,
                }
                props.next();
            }
        }
        let mut next = span.start;
        for f in (first_pending..self.frames.len()).rev() {
            if let Some(p) = self.frames[f].pending.take() {
                next = p.marker.min(next);
                self.nodes[self.frames[f].node].span = Span::empty(next);
            }
        }
        let (mut tag, mut name) = (None, None);
        for t in props {
            match t {
                Tok::Tag(s) if tagged && tag.is_none() => tag = Some(s.text(self.text).to_owned()),
                Tok::Anchor(s) if anchor != 0 && name.is_none() => {
                    name = Some(self.text[s.start + 1..s.end].to_owned());
                }
                _ => {}
            }
        }
        self.toks = toks;
        let id = self.push_node(kind, span, tag, name, flow);
        self.register_anchor(anchor, id);
        id
    }

    fn register_anchor(&mut self, anchor: usize, id: NodeId) {
        if anchor == 0 {
            return;
        }
        if self.anchors.len() <= anchor {
            self.anchors.resize(anchor + 1, None);
        }
        self.anchors[anchor] = Some(id);
    }

    /// Appends a node and links it into the open collection (or document).
    fn push_node(
        &mut self,
        kind: NodeKind,
        span: Span,
        tag: Option<String>,
        anchor: Option<String>,
        flow: bool,
    ) -> NodeId {
        let id = self.next_id();
        let parent = self.frames.last().map(|f| f.node);
        let in_flow = flow || parent.is_some_and(|p| self.nodes[p].in_flow);
        self.nodes.push(Node {
            kind,
            span,
            tag,
            anchor,
            in_flow,
            line_comment: None,
            parent,
        });
        self.is_key.push(false);
        match self.frames.last_mut() {
            None => {
                if let Some(doc) = &mut self.doc
                    && doc.root.is_none()
                {
                    doc.root = Some(id);
                }
            }
            Some(frame) if frame.is_map => match frame.key.take() {
                None => {
                    frame.key = Some(id);
                    self.is_key[id] = true;
                }
                Some(key) => {
                    if let NodeKind::Mapping(entries) = &mut self.nodes[frame.node].kind {
                        entries.push((key, id));
                    }
                }
            },
            Some(frame) => {
                if let NodeKind::Sequence(items) = &mut self.nodes[frame.node].kind {
                    items.push(id);
                }
            }
        }
        id
    }

    /// The id the next pushed node gets.
    fn next_id(&self) -> NodeId {
        NodeId::new(self.nodes.len())
    }

    fn check_duplicates(&mut self, map: NodeId) {
        let nodes = &self.nodes;
        let NodeKind::Mapping(entries) = &nodes[map].kind else {
            return;
        };
        // A merge key repeats by design; a missing key (`: a`, yaml-test-suite
        // 2JQS, valid) is no key to compare.
        let key = |id: NodeId| match &nodes[id].kind {
            NodeKind::Scalar { value, style }
                if !(*style == ScalarStyle::Plain && (value == "<<" || value.is_empty())) =>
            {
                Some(value.as_str())
            }
            _ => None,
        };
        let mut report = |first: NodeId, later: NodeId, value: &str| {
            self.duplicate_keys.push(DuplicateKey {
                key: value.to_owned(),
                span: nodes[later].span,
                first: nodes[first].span,
            });
        };
        if entries.len() <= 16 {
            for (i, &(k, _)) in entries.iter().enumerate().skip(1) {
                let Some(value) = key(k) else { continue };
                if let Some(&(first, _)) =
                    entries[..i].iter().find(|&&(f, _)| key(f) == Some(value))
                {
                    report(first, k, value);
                }
            }
        } else {
            let mut seen: HashMap<&str, NodeId> = HashMap::with_capacity(entries.len());
            for &(k, _) in entries {
                let Some(value) = key(k) else { continue };
                match seen.get(value) {
                    Some(&first) => report(first, k, value),
                    None => {
                        seen.insert(value, k);
                    }
                }
            }
        }
    }

    fn fail(&mut self, message: String, at: usize) {
        let at = at.min(self.end);
        let len = self.text[at..]
            .chars()
            .next()
            .filter(|&c| c != '\n' && c != '\r')
            .map_or(0, char::len_utf8);
        self.error = Some(SyntaxError {
            message,
            span: Span::new(at, at + len),
            limit: false,
        });
        while !self.frames.is_empty() {
            self.close(None);
        }
    }

    fn finish(mut self, bom: bool) -> Yaml {
        let cut = self.error.as_ref().map_or(self.end, |e| e.span.start);
        if !self.opaque.is_sorted() {
            self.opaque.sort_unstable();
        }
        // Every span leaves here on character boundaries, whatever the
        // parser's markers said: callers slice with them. Widening to the
        // enclosing boundaries keeps children inside their parents.
        for node in &mut self.nodes {
            node.span = snap(self.text, node.span);
        }
        for doc in &mut self.docs {
            doc.span = snap(self.text, doc.span);
        }
        let comments = scan::collect_comments(self.bytes, self.body, self.body, cut, &self.opaque);
        for (node, &is_key) in self.nodes.iter_mut().zip(&self.is_key) {
            let token = match &node.kind {
                NodeKind::Scalar { style, .. } => {
                    !matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                }
                NodeKind::Alias(_) => true,
                _ => false,
            };
            if !token || node.span.is_empty() {
                continue;
            }
            if let Some(hash) = scan::trailing_hash(self.bytes, node.span.end, is_key)
                && let Ok(c) = comments.binary_search_by_key(&hash, |c| c.span.start)
            {
                node.line_comment = Some(CommentId(c));
            }
        }
        Yaml {
            nodes: self.nodes,
            docs: self.docs,
            comments,
            error: self.error,
            duplicate_keys: self.duplicate_keys,
            bom,
            lines: self.lines,
        }
    }
}

/// `span` widened to the nearest character boundaries (a no-op for every
/// span the scanner places correctly).
fn snap(text: &str, span: Span) -> Span {
    let mut start = span.start.min(text.len());
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end)
}
