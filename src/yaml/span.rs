//! Byte spans and the line index: every position that leaves the YAML layer
//! is a byte offset into the file's original text.
//!
//! yaml-rust2 reports positions in characters (and, inside block scalars, in a
//! mix of characters and bytes). This module is the only place that knows
//! that: it turns a parser marker (line, character column) into a byte offset
//! with its own line index, so no other module ever sees a parser offset.

/// A half-open byte range `[start, end)` in a file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    pub const fn empty(at: usize) -> Self {
        Self { start: at, end: at }
    }

    pub const fn len(&self) -> usize {
        self.end - self.start
    }

    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.start..self.end]
    }

    pub fn contains(&self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }
}

/// 1-based line and column. Columns count Unicode scalar values, which is
/// what editors, GitHub annotations and miette show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// Start offsets of every line of a text. A line ends after `\n`; a lone
/// `\r` is not a line break (YAML 1.2 treats it as one, but no GitOps file
/// in the wild uses classic Mac line endings and git would mangle them).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Self {
            starts,
            len: text.len(),
        }
    }

    /// Start offset of every line, in order.
    pub fn starts(&self) -> &[usize] {
        &self.starts
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte offset where 0-based `line` starts, or `None` past the end.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line).copied()
    }

    /// Byte range of 0-based `line` without its line break (`\n` or `\r\n`).
    pub fn line_span(&self, text: &str, line: usize) -> Option<Span> {
        let start = *self.starts.get(line)?;
        let mut end = self.starts.get(line + 1).map_or(self.len, |n| n - 1);
        if end > start && text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        Some(Span::new(start, end))
    }

    /// 0-based line containing byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// 1-based line and character column of byte `offset`.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(self.len);
        let line = self.line_of(offset);
        let start = self.starts[line];
        // A byte order mark is not a column anyone can see.
        let start = if start == 0 && text.starts_with('\u{feff}') && offset >= 3 {
            3
        } else {
            start
        };
        let column = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        LineCol {
            line: line + 1,
            column,
        }
    }

    /// Byte offset of the `char_col`-th character (0-based) on 0-based `line`.
    /// Columns past the end of the line clamp to the line end.
    pub fn offset_of(&self, text: &str, line: usize, char_col: usize) -> usize {
        let Some(start) = self.line_start(line) else {
            return self.len;
        };
        let end = self.starts.get(line + 1).copied().unwrap_or(self.len);
        let line_text = &text[start..end];
        match line_text.char_indices().nth(char_col) {
            Some((i, _)) => start + i,
            None => end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let text = "a: héllo\nimage: nginx:1.25\n";
        let idx = LineIndex::new(text);
        let at = text.find("image").unwrap();
        assert_eq!(at, 10);
        assert_eq!(idx.line_col(text, at), LineCol { line: 2, column: 1 });
        let at = text.find("llo").unwrap();
        assert_eq!(idx.line_col(text, at), LineCol { line: 1, column: 6 });
        assert_eq!(idx.offset_of(text, 0, 5), at);
    }

    #[test]
    fn bom_is_not_a_column() {
        let text = "\u{feff}image: nginx\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 3), LineCol { line: 1, column: 1 });
        assert_eq!(
            idx.line_col(text, text.find("nginx").unwrap()),
            LineCol { line: 1, column: 8 }
        );
    }

    #[test]
    fn line_span_drops_crlf() {
        let text = "a: 1\r\nb: 2\r\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_span(text, 0).unwrap().text(text), "a: 1");
        assert_eq!(idx.line_span(text, 1).unwrap().text(text), "b: 2");
    }
}
