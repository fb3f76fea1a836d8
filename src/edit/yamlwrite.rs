//! The one YAML writer: how new YAML text is laid out and quoted, whether
//! it goes into an existing file (Argo CD write-back, `export --in-place`)
//! or makes a new document (export's emitter). It reads a file's own
//! conventions (line ending, byte order mark, indentation, sequence style)
//! and writes keys, sequence items and scalars in them; every scalar is
//! quoted so that YAML reads it back as the same string. Hands text and
//! insertion points to the callers, which decide what goes where; the
//! quoting rules themselves are [`scalar`]'s.
//!
//! Two quoting dialects exist because two writers are imitated: Argo CD
//! Image Updater's encoder (plain, else double quotes: [`new_value`]) and
//! `sigs.k8s.io/yaml` (plain, else single quotes: [`go_string`]). A value
//! replacing an old one keeps that one's style ([`in_style`]).

use super::scalar;
use crate::yaml::{LineIndex, NodeId, NodeKind, ScalarStyle, Yaml};

pub use super::scalar::{double_quoted, reads_as_non_string};
/// Writing into an existing file is a set of verified byte edits, the
/// same ones apply makes: export's in-place merge hands its text here
/// (and reports their failures as they are).
pub use super::{
    Base, EditError, Expect, FileChange, Seg, TextEdit, TextError, apply_edits, verify,
};

const BOM: char = '\u{feff}';

// ---------------------------------------------------------------------------
// A file's conventions
// ---------------------------------------------------------------------------

/// The line break new lines take: the file's first one decides, `\n` when
/// it has none.
pub fn eol(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// `text` without its byte order mark, which stays where it is.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix(BOM).unwrap_or(text)
}

/// Byte where 0-based `line` starts, past a byte order mark on the first.
pub fn line_start(lines: &LineIndex, text: &str, line: usize) -> usize {
    match lines.line_start(line) {
        Some(0) | None if line == 0 && text.starts_with(BOM) => BOM.len_utf8(),
        Some(p) => p,
        None => 0,
    }
}

/// 0-based column of byte `offset` in characters (a byte order mark is no
/// column).
pub fn column(lines: &LineIndex, text: &str, offset: usize) -> usize {
    lines.line_col(text, offset).column - 1
}

/// The column of `offset` when only spaces precede it on its line: where a
/// key of a block mapping can be edited line by line.
pub fn indent_of(lines: &LineIndex, text: &str, offset: usize) -> Option<usize> {
    let start = line_start(lines, text, lines.line_of(offset));
    let lead = text.get(start..offset)?;
    lead.bytes().all(|b| b == b' ').then_some(lead.len())
}

/// Where lines go after a node ending at `end`: the start of the next
/// line, or the end of the text, then with a line break to write first
/// (the file ends without one).
pub fn after_line(lines: &LineIndex, text: &str, end: usize) -> (usize, bool) {
    let line = lines.line_of(end.saturating_sub(1));
    match lines.line_start(line + 1) {
        Some(p) => (p, false),
        None => (text.len(), !text.ends_with('\n')),
    }
}

/// Where items go in front of the block sequence item starting at `start`:
/// the start of its line, when its `-` opens the line at column `dash`
/// (else the item shares its line with something new text cannot precede).
pub fn item_line(lines: &LineIndex, text: &str, start: usize, dash: usize) -> Option<usize> {
    let ls = line_start(lines, text, lines.line_of(start));
    let lead = text.get(ls..start)?;
    let trimmed = lead.trim_start_matches(' ');
    (trimmed.starts_with('-') && lead.len() - trimmed.len() == dash).then_some(ls)
}

/// How a file lays out block collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Indentation of a nested mapping.
    pub unit: usize,
    /// Columns between a key and the `-` of its sequence (0: compact).
    pub seq_indent: usize,
    /// Columns from `-` to the item.
    pub item_off: usize,
}

impl Layout {
    /// Argo CD's, kyaml's and go-yaml's: indent 2, sequences at their key's
    /// column.
    pub const GO: Layout = Layout {
        unit: 2,
        seq_indent: 0,
        item_off: 2,
    };

    /// The first nested block mapping, sequence and item under `root`
    /// decide; what the file does not show is [`Layout::GO`].
    pub fn detect(y: &Yaml, text: &str, root: NodeId) -> Self {
        let col = |o: usize| column(&y.lines, text, o);
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
        Layout {
            unit: unit.unwrap_or(Self::GO.unit),
            seq_indent: seq_indent.unwrap_or(Self::GO.seq_indent),
            item_off: item_off.unwrap_or(Self::GO.item_off),
        }
    }
}

impl Default for Layout {
    fn default() -> Self {
        Self::GO
    }
}

// ---------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------

/// A new string value (or key) as Argo's encoder writes it: plain,
/// double-quoted when plain would read as another type (`"1.20"`) or not
/// parse back.
pub fn new_value(value: &str, in_flow: bool) -> String {
    in_style(ScalarStyle::Plain, value, in_flow)
}

/// `value` in `style` (the style of the scalar it replaces or sits next
/// to); double-quoted when that style cannot carry it.
pub fn in_style(style: ScalarStyle, value: &str, in_flow: bool) -> String {
    scalar::render(style, value, in_flow).unwrap_or_else(|_| double_quoted(value))
}

/// A string as `sigs.k8s.io/yaml` writes it: plain when a YAML 1.1 or 1.2
/// reader reads it back as the same string, else single-quoted, or
/// double-quoted when it holds a character single quotes cannot escape.
pub fn go_string(value: &str) -> String {
    if scalar::plain_is_safe(value, false) {
        value.to_owned()
    } else if value.chars().any(|c| c.is_control() || c == BOM) {
        double_quoted(value)
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

/// True when `value` reads best as a literal block (multi-line text such
/// as a commit message template) and a block carries it exactly.
pub fn literal_fits(value: &str) -> bool {
    value.contains('\n')
        && !value.starts_with([' ', '\n'])
        && !value
            .chars()
            .any(|c| (c.is_control() && c != '\n') || c == BOM)
        && value.lines().all(|l| l.trim_end() == l)
}

/// `value` as a literal block scalar whose lines sit at `indent`, header
/// and line breaks included (the header follows what `out` holds).
pub fn literal(out: &mut String, value: &str, indent: usize) {
    let body = value.trim_end_matches('\n');
    let trailing = value.len() - body.len();
    out.push_str(match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    });
    out.push('\n');
    for line in body.split('\n') {
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
        out.push('\n');
    }
    // Keep (`+`) chomping reproduces the extra newlines as empty lines.
    for _ in 1..trailing {
        out.push('\n');
    }
}

// ---------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------

/// `indent` spaces.
pub fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// `key: value` on a line of its own; both are source text already.
pub fn entry_line(out: &mut String, indent: usize, key: &str, value: &str, eol: &str) {
    pad(out, indent);
    out.push_str(key);
    out.push_str(": ");
    out.push_str(value);
    out.push_str(eol);
}

/// The `-` of a block sequence item at column `dash`, and the spaces up to
/// the item `item_off` columns from it.
pub fn dash(out: &mut String, dash: usize, item_off: usize) {
    pad(out, dash);
    out.push('-');
    pad(out, item_off.saturating_sub(1).max(1));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventions_come_from_the_text() {
        assert_eq!(eol("a: 1\r\nb: 2\n"), "\r\n");
        assert_eq!(eol("a: 1\nb: 2\r\n"), "\n");
        assert_eq!(eol("a\n\r\n"), "\n");
        assert_eq!(eol(""), "\n");
        assert_eq!(without_bom("\u{feff}a: 1"), "a: 1");
        let text = "\u{feff}a: 1\n  b: 2";
        let lines = LineIndex::new(text);
        assert_eq!(line_start(&lines, text, 0), 3);
        assert_eq!(indent_of(&lines, text, 3), Some(0));
        assert_eq!(indent_of(&lines, text, text.find('b').unwrap()), Some(2));
        assert_eq!(indent_of(&lines, text, text.find('1').unwrap()), None);
        assert_eq!(
            after_line(&lines, text, 5),
            (text.find(' ').unwrap() + 3, false)
        );
        assert_eq!(after_line(&lines, text, text.len()), (text.len(), true));
    }

    #[test]
    fn items_go_before_a_dash_that_opens_its_line() {
        let text = "l:\n  - a\n  - b\n";
        let lines = LineIndex::new(text);
        let b = text.find('b').unwrap();
        assert_eq!(item_line(&lines, text, b, 2), Some(b - 4));
        assert_eq!(item_line(&lines, text, b, 0), None);
    }

    #[test]
    fn layout_is_read_from_the_first_nested_collections() {
        let text = "a:\n    b: 1\nl:\n  -   x\n";
        let y = crate::yaml::parse(text);
        let root = y.docs[0].root.unwrap();
        assert_eq!(
            Layout::detect(&y, text, root),
            Layout {
                unit: 4,
                seq_indent: 2,
                item_off: 4
            }
        );
        let y = crate::yaml::parse("a: 1\n");
        assert_eq!(
            Layout::detect(&y, "a: 1\n", y.docs[0].root.unwrap()),
            Layout::GO
        );
    }

    #[test]
    fn both_dialects_read_back_as_the_same_string() {
        assert_eq!(new_value("1.20", false), "\"1.20\"");
        assert_eq!(go_string("1.20"), "'1.20'");
        assert_eq!(new_value("a,b", true), "\"a,b\"");
        assert_eq!(new_value("a,b", false), "a,b");
        assert_eq!(go_string("it's\u{feff}"), "\"it's\\uFEFF\"");
        assert_eq!(in_style(ScalarStyle::SingleQuoted, "1", false), "'1'");
        assert_eq!(in_style(ScalarStyle::Literal, "1", false), "\"1\"");
    }

    #[test]
    fn lines_are_written_at_their_indent() {
        let mut s = String::new();
        entry_line(&mut s, 2, "k", "v", "\r\n");
        dash(&mut s, 1, 4);
        dash(&mut s, 0, 1);
        assert_eq!(s, "  k: v\r\n -   - ");
        let mut s = String::new();
        literal(&mut s, "a\n\nb\n\n", 2);
        assert_eq!(s, "|+\n  a\n\n  b\n\n");
    }
}
