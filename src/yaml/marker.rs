//! yaml-rust2 marker → byte offset. The parser's only reliable coordinates
//! are its 1-based line and its character column; this module maps them onto
//! the original text, including the parser's own idea of a line break (a lone
//! `\r` counts, unlike in [`LineIndex`](super::span::LineIndex)) and the UTF-8
//! BOM the parser never sees (we hand it the text after the BOM).

use yaml_rust2::scanner::Marker;

use super::span::LineIndex;

pub(super) struct MarkerMap<'a> {
    text: &'a str,
    /// Where the parser's input starts (3 after a BOM).
    body: usize,
    /// Line starts when the text has a lone `\r` (the parser's lines then
    /// differ from [`LineIndex`]'s); `None` means "use the line index".
    own_starts: Option<Vec<usize>>,
    ascii: bool,
    /// Last conversion `(line, col, byte)`: markers arrive nearly in order, so
    /// walking from here keeps long single-line (flow/JSON) files linear.
    last: (usize, usize, usize),
}

impl<'a> MarkerMap<'a> {
    pub(super) fn new(text: &'a str, body: usize) -> Self {
        let bytes = text.as_bytes();
        let lone_cr = memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n'));
        let own_starts = lone_cr.then(|| {
            let mut starts = vec![0];
            for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
                if !(bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n')) {
                    starts.push(i + 1);
                }
            }
            starts
        });
        Self {
            text,
            body,
            own_starts,
            ascii: text.is_ascii(),
            last: (0, 0, body),
        }
    }

    /// Byte offset of `mark`, clamped to the text and always on a character
    /// boundary. `lines` is the index of the same text.
    pub(super) fn offset(&mut self, lines: &LineIndex, mark: &Marker) -> usize {
        self.offset_of(lines, mark.line().saturating_sub(1), mark.col())
    }

    fn offset_of(&mut self, lines: &LineIndex, line: usize, col: usize) -> usize {
        let starts = self.own_starts.as_deref().unwrap_or(lines.starts());
        let Some(&start) = starts.get(line) else {
            return self.text.len();
        };
        // The parser never saw the BOM: its first line starts after it.
        let start = if line == 0 { self.body } else { start };
        let end = starts.get(line + 1).copied().unwrap_or(self.text.len());
        if self.ascii {
            return (start + col).min(end);
        }
        let bytes = self.text.as_bytes();
        let (from_col, mut at) = if self.last.0 == line && self.last.1 <= col {
            (self.last.1, self.last.2)
        } else if self.last.0 == line && col <= self.last.1 && self.last.1 - col < col {
            // Walk backwards: closer than the line start.
            let mut at = self.last.2;
            for _ in col..self.last.1 {
                at -= 1;
                while at > start && !self.text.is_char_boundary(at) {
                    at -= 1;
                }
            }
            self.last = (line, col, at);
            return at;
        } else {
            (0, start)
        };
        let mut walked = from_col;
        while walked < col && at < end {
            at += utf8_len(bytes[at]);
            walked += 1;
        }
        let at = at.min(end);
        self.last = (line, walked, at);
        at
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_cr_is_a_parser_line_break() {
        let text = "a: 1\rb: 2\r\nc: é3\n";
        let lines = LineIndex::new(text);
        let mut map = MarkerMap::new(text, 0);
        assert_eq!(map.offset_of(&lines, 1, 0), 5);
        assert_eq!(map.offset_of(&lines, 2, 0), 11);
        assert_eq!(map.offset_of(&lines, 2, 4), text.find('3').unwrap());
        assert_eq!(map.offset_of(&lines, 2, 3), text.find('é').unwrap());
        assert_eq!(map.offset_of(&lines, 2, 4), text.find('3').unwrap());
        assert_eq!(map.offset_of(&lines, 9, 0), text.len());
    }

    #[test]
    fn bom_shifts_the_first_line_only() {
        let text = "\u{feff}a: 1\nb: 2\n";
        let lines = LineIndex::new(text);
        let mut map = MarkerMap::new(text, 3);
        assert_eq!(map.offset_of(&lines, 0, 0), 3);
        assert_eq!(map.offset_of(&lines, 0, 3), 6);
        assert_eq!(map.offset_of(&lines, 1, 0), 8);
    }

    #[test]
    fn columns_past_the_line_clamp_to_the_next_line_start() {
        let text = "日本\nx";
        let lines = LineIndex::new(text);
        let mut map = MarkerMap::new(text, 0);
        assert_eq!(map.offset_of(&lines, 0, 1), 3);
        assert_eq!(map.offset_of(&lines, 0, 9), 7);
        assert_eq!(map.offset_of(&lines, 0, 0), 0);
    }
}
