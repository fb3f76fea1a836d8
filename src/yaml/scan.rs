//! Raw-text scanning: yaml-rust2 tells us where a token starts (roughly) and
//! what it means; this module finds where it exactly starts and ends in the
//! bytes, reads the tags and anchors written in front of it, and finds the
//! comments. Everything here works on byte offsets into the original text and
//! only ever stops on ASCII bytes or char boundaries, so every offset it
//! returns is a valid `str` index.

use super::span::Span;
use super::tree::Comment;

pub(super) fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

pub(super) fn is_break(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

fn is_space(b: u8) -> bool {
    is_blank(b) || is_break(b)
}

fn is_flow(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

/// Whitespace as far as scalar folding is concerned: folding only ever
/// rewrites these, so the other characters of a scalar's value appear in the
/// source verbatim and in order.
fn is_fold_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// `i` is at the end of a token: end of text, blank or line break.
fn ends_token(bytes: &[u8], i: usize) -> bool {
    bytes.get(i).is_none_or(|&b| is_space(b))
}

/// `i` starts a line (the parser's input starts at `body`, after a BOM).
fn at_line_start(bytes: &[u8], i: usize, body: usize) -> bool {
    i == body || (i > 0 && is_break(bytes[i - 1]))
}

/// End of the line holding `i`: the first `\r` or `\n` at or after it.
pub(super) fn line_end(bytes: &[u8], i: usize) -> usize {
    let i = i.min(bytes.len());
    memchr::memchr2(b'\n', b'\r', &bytes[i..]).map_or(bytes.len(), |n| i + n)
}

/// Start of the next line after the one holding `i` (`\r\n` is one break).
fn next_line(bytes: &[u8], i: usize) -> usize {
    let e = line_end(bytes, i);
    match bytes.get(e) {
        Some(b'\r') if bytes.get(e + 1) == Some(&b'\n') => e + 2,
        Some(_) => e + 1,
        None => e,
    }
}

/// `---` or `...` at the start of a line, followed by a blank or the end.
pub(super) fn is_doc_marker(bytes: &[u8], i: usize, body: usize, marker: &[u8; 3]) -> bool {
    at_line_start(bytes, i, body)
        && bytes.get(i..i + 3) == Some(&marker[..])
        && ends_token(bytes, i + 3)
}

/// A tag or anchor written in front of a node, or an indicator (`-`, `?`,
/// `:`, `,`) between two nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tok {
    Tag(Span),
    Anchor(Span),
    Indicator(u8, usize),
}

/// Reads properties, indicators, whitespace, comments, directives and
/// document markers from `from` while before `limit`, and returns where it
/// stopped: the first byte that is none of these. With `block_header`, that
/// may be a `|` or `>` (the header of a block scalar) at or past `limit`.
pub(super) fn scan_gap(
    bytes: &[u8],
    body: usize,
    from: usize,
    limit: usize,
    block_header: bool,
    toks: &mut Vec<Tok>,
) -> usize {
    let limit = limit.min(bytes.len());
    let mut i = from;
    while i < limit {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'#' if i == 0 || is_space(bytes[i - 1]) || i == body => i = line_end(bytes, i),
            b'%' if at_line_start(bytes, i, body) => i = line_end(bytes, i),
            b'-' | b'.'
                if is_doc_marker(bytes, i, body, b"---")
                    || is_doc_marker(bytes, i, body, b"...") =>
            {
                i += 3;
            }
            b'-' | b'?' | b':' if ends_token(bytes, i + 1) => {
                toks.push(Tok::Indicator(b, i));
                i += 1;
            }
            b':' if bytes.get(i + 1).is_some_and(|&n| is_flow(n)) => {
                toks.push(Tok::Indicator(b, i));
                i += 1;
            }
            b',' => {
                toks.push(Tok::Indicator(b, i));
                i += 1;
            }
            b'!' | b'&' => {
                let end = property_end(bytes, i);
                let span = Span::new(i, end);
                toks.push(if b == b'!' {
                    Tok::Tag(span)
                } else {
                    Tok::Anchor(span)
                });
                i = end;
            }
            _ => break,
        }
    }
    if block_header && i < bytes.len() && matches!(bytes[i], b'|' | b'>') {
        return i;
    }
    i.min(limit)
}

/// What introduces an empty node: the indicator before it in its context
/// (`-`, `?`, `:`, `,`; `None` when the cursor is already past it) and the
/// properties the parser says it has.
pub(super) struct EmptyNode {
    pub indicator: Option<u8>,
    pub tag: bool,
    pub anchor: bool,
}

/// Position of an empty node: right after the indicator that introduced it
/// and the properties on that line. Scans across lines only while the
/// indicator or an expected property has not been seen yet, and never
/// reaches `limit` (the next token).
pub(super) fn scan_empty(
    bytes: &[u8],
    body: usize,
    from: usize,
    limit: usize,
    node: &EmptyNode,
    toks: &mut Vec<Tok>,
) -> usize {
    let (want, mut need_tag, mut need_anchor) = (node.indicator, node.tag, node.anchor);
    let mut i = from;
    let mut pos = from;
    let mut found = want.is_none();
    let limit = limit.min(bytes.len());
    while i < limit {
        let b = bytes[i];
        let settled = found && !need_tag && !need_anchor;
        match b {
            b' ' | b'\t' => i += 1,
            b'\n' | b'\r' if settled => break,
            b'\n' | b'\r' => i += 1,
            b'#' if is_space(bytes[i.saturating_sub(1)]) || i == body || i == 0 => {
                if settled {
                    break;
                }
                i = line_end(bytes, i);
            }
            b'-' | b'.'
                if is_doc_marker(bytes, i, body, b"---")
                    || is_doc_marker(bytes, i, body, b"...") =>
            {
                break;
            }
            b'!' | b'&' => {
                let end = property_end(bytes, i);
                if end > limit {
                    break;
                }
                let span = Span::new(i, end);
                if b == b'!' {
                    toks.push(Tok::Tag(span));
                    need_tag = false;
                } else {
                    toks.push(Tok::Anchor(span));
                    need_anchor = false;
                }
                i = end;
                pos = end;
            }
            _ if Some(b) == want && !found && (b == b',' || ends_token(bytes, i + 1)) => {
                found = true;
                i += 1;
                pos = i;
            }
            _ => break,
        }
    }
    pos
}

/// End of a `!tag` or `&anchor` starting at `i`.
fn property_end(bytes: &[u8], i: usize) -> usize {
    if bytes.get(i) == Some(&b'!') && bytes.get(i + 1) == Some(&b'<') {
        let stop = line_end(bytes, i);
        return memchr::memchr(b'>', &bytes[i..stop]).map_or(stop, |n| i + n + 1);
    }
    let mut j = i + 1;
    while j < bytes.len() && !is_space(bytes[j]) && !is_flow(bytes[j]) {
        j += 1;
    }
    j
}

/// End of the alias `*name` starting at `i`.
pub(super) fn alias_end(text: &str, i: usize) -> usize {
    let rest = text.get(i + 1..).unwrap_or("");
    let len: usize = rest
        .chars()
        .take_while(|&c| {
            !(matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\u{feff}')
                || (c.is_ascii() && is_flow(c as u8)))
        })
        .map(char::len_utf8)
        .sum();
    (i + 1 + len).min(text.len())
}

/// End of the quoted scalar whose opening `quote` is at `i` (after the
/// closing quote). Single quotes escape as `''`, double quotes with `\`.
pub(super) fn quoted_end(bytes: &[u8], i: usize, quote: u8) -> usize {
    let mut j = i + 1;
    while j < bytes.len() {
        let b = bytes[j];
        if quote == b'"' && b == b'\\' {
            j += 2;
        } else if b == quote {
            if quote == b'\'' && bytes.get(j + 1) == Some(&b'\'') {
                j += 2;
            } else {
                return j + 1;
            }
        } else {
            j += 1;
        }
    }
    bytes.len()
}

/// End of the source text whose non-blank characters are `value`'s, starting
/// at `from`: plain and block scalars consist of their value's non-blank
/// characters in order, plus whitespace that folding rewrote. Returns the end
/// of the last matched character, or `None` when the source disagrees (or
/// `value` is all whitespace).
///
/// With `skip_comments` (plain scalars), a comment line in between is
/// skipped: yaml-rust2 carries a plain scalar on past one.
pub(super) fn match_content_end(
    text: &str,
    from: usize,
    value: &str,
    skip_comments: bool,
) -> Option<usize> {
    let rest = text.get(from..)?;
    // The common case: written exactly as its value (no folding).
    if !value.is_empty()
        && rest.starts_with(value)
        && !value.ends_with(is_fold_space)
        && !value.starts_with(is_fold_space)
    {
        return Some(from + value.len());
    }
    let mut src = rest.char_indices().peekable();
    let mut end = None;
    let mut after_space = false;
    for want in value.chars().filter(|&c| !is_fold_space(c)) {
        let (at, got) = loop {
            let (at, c) = src.next()?;
            if is_fold_space(c) {
                after_space = true;
            } else if skip_comments && c == '#' && after_space && want != '#' {
                while src.next_if(|&(_, c)| c != '\n' && c != '\r').is_some() {}
            } else {
                break (at, c);
            }
        };
        if got != want {
            return None;
        }
        after_space = false;
        end = Some(from + at + got.len_utf8());
    }
    end
}

/// Fallback end of a plain scalar: the end of its first line's token.
pub(super) fn plain_line_end(bytes: &[u8], i: usize, in_flow: bool) -> usize {
    let mut j = i;
    let mut end = i;
    while j < bytes.len() {
        let b = bytes[j];
        if is_break(b)
            || (b == b'#' && j > i && is_blank(bytes[j - 1]))
            || (b == b':' && (ends_token(bytes, j + 1) || (in_flow && is_flow(bytes[j + 1]))))
            || (in_flow && is_flow(b))
        {
            break;
        }
        j += 1;
        if !is_blank(b) {
            end = j;
        }
    }
    // Stepped byte by byte: finish the last character if `end` is inside it.
    while end < bytes.len() && (bytes[end] & 0xC0) == 0x80 {
        end += 1;
    }
    end
}

/// A block scalar whose `|`/`>` is at `header`.
pub(super) struct Block {
    /// Start of the first line after the header.
    pub content_start: usize,
    /// End of the last line holding content (line break excluded), or the
    /// end of the indicators (`|2-`) when the scalar has no content.
    pub end: usize,
}

pub(super) fn block_scalar(text: &str, header: usize, value: &str) -> Block {
    let bytes = text.as_bytes();
    // `header` is the `|`/`>` when it was found; otherwise (a hostile file,
    // found by fuzzing) the first content character, which may be wider
    // than a byte.
    let mut header_end = header + text[header..].chars().next().map_or(0, char::len_utf8);
    while header_end < bytes.len() && matches!(bytes[header_end], b'0'..=b'9' | b'+' | b'-') {
        header_end += 1;
    }
    let content_start = next_line(bytes, header_end);
    // No content (or, defensively, a source that disagrees with the value):
    // the header alone, rather than a guess at lines.
    let end = match_content_end(text, content_start, value, false)
        .map_or(header_end, |last| line_end(bytes, last));
    Block { content_start, end }
}

/// Every comment starting in `[from, to)` outside the `opaque` ranges
/// (scalar content), in order. `opaque` must be sorted by start.
pub(super) fn collect_comments(
    bytes: &[u8],
    body: usize,
    from: usize,
    to: usize,
    opaque: &[(usize, usize)],
) -> Vec<Comment> {
    let to = to.min(bytes.len());
    let mut out = Vec::new();
    let mut ranges = opaque.iter().peekable();
    let mut i = from;
    while i < to {
        let Some(n) = memchr::memchr(b'#', &bytes[i..to]) else {
            break;
        };
        let at = i + n;
        while ranges.next_if(|r| r.1 <= at).is_some() {}
        if let Some(&&(start, end)) = ranges.peek()
            && start <= at
        {
            i = end;
            continue;
        }
        if !(at == body || at == 0 || is_space(bytes[at - 1])) {
            i = at + 1;
            continue;
        }
        let end = line_end(bytes, at);
        let mut k = at;
        while k > body && is_blank(bytes[k - 1]) {
            k -= 1;
        }
        out.push(Comment {
            span: Span::new(at, end),
            own_line: at_line_start(bytes, k, body),
        });
        i = end;
    }
    out
}

/// Where a comment right after a token ending at `end` would start: only
/// blanks in between (for a mapping key: blanks, `:`, blanks).
pub(super) fn trailing_hash(bytes: &[u8], end: usize, is_key: bool) -> Option<usize> {
    let skip = |mut i: usize| {
        while i < bytes.len() && is_blank(bytes[i]) {
            i += 1;
        }
        i
    };
    let mut i = skip(end);
    if is_key && bytes.get(i) == Some(&b':') {
        i = skip(i + 1);
    }
    (bytes.get(i) == Some(&b'#')).then_some(i)
}

/// Where a flow collection starts right after `from`, past blanks, line
/// breaks, comments, `---`, block indicators (`- `, `? `, `: `) and node
/// properties (`!tag`, `&anchor`); `None` when the next token is anything
/// else (a scalar, which the scanner reads as one token however long).
pub(super) fn flow_start_after(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'#' => i = line_end(bytes, i),
            b'-' if bytes[i..].starts_with(b"---") => i += 3,
            b'-' | b'?' | b':' if bytes.get(i + 1).is_none_or(|&b| is_blank(b) || is_break(b)) => {
                i += 1;
            }
            b'!' | b'&' => {
                while i < bytes.len() && !is_blank(bytes[i]) && !is_break(bytes[i]) {
                    i += 1;
                }
            }
            b'[' | b'{' => return Some(i),
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_ends() {
        let s = br#"'it''s' x"#;
        assert_eq!(quoted_end(s, 0, b'\''), 7);
        let s = br#""a\"b\\" x"#;
        assert_eq!(quoted_end(s, 0, b'"'), 8);
        assert_eq!(quoted_end(b"'open", 0, b'\''), 5);
    }

    #[test]
    fn content_match_spans_folded_lines() {
        let text = "a: x\n  y é\n  z # c\nb: 1";
        assert_eq!(
            match_content_end(text, 3, "x y é z", true).map(|e| &text[3..e]),
            Some("x\n  y é\n  z")
        );
        assert_eq!(match_content_end(text, 3, "x q", true), None);
        let text = "a: x\n # c\n y";
        assert_eq!(match_content_end(text, 3, "x y", true), Some(text.len()));
        assert_eq!(match_content_end(text, 3, "x y", false), None);
    }

    #[test]
    fn gap_reads_properties_and_indicators() {
        let text = b"a: !!str &x # c\n  'v'";
        let mut toks = Vec::new();
        assert_eq!(scan_gap(text, 0, 1, 18, false, &mut toks), 18);
        assert_eq!(
            toks,
            vec![
                Tok::Indicator(b':', 1),
                Tok::Tag(Span::new(3, 8)),
                Tok::Anchor(Span::new(9, 11)),
            ]
        );
    }

    #[test]
    fn comments_skip_opaque_ranges() {
        let text = b"a: '# no' # yes\n# own\nb: x#y";
        let got = collect_comments(text, 0, 0, text.len(), &[(3, 9), (25, 28)]);
        let spans: Vec<_> = got
            .iter()
            .map(|c| (c.span.start, c.span.end, c.own_line))
            .collect();
        assert_eq!(spans, vec![(10, 15, false), (16, 21, true)]);
    }
}
