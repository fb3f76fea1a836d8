//! Human output: one miette code frame per finding (or one line each in the
//! concise form), errors first, then per-rule statistics. Colour only when
//! the caller says the output is a terminal and NO_COLOR is unset.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use super::position;
use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::Workspace;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Color,
    Plain,
}

struct Frame<'a> {
    d: &'a Diagnostic,
    source: Excerpt<'a>,
    help: Option<String>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl fmt::Display for Frame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl std::error::Error for Frame<'_> {}

impl miette::Diagnostic for Frame<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!(
            "{}({})",
            self.d.rule.code, self.d.rule.name
        )))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// The part of a file a frame shows, borrowed: a copy of the whole file per
/// finding cost 10 MB each on a 10 MB file. On a line longer than
/// [`LONG_LINE`] only the bytes around the labels are kept, so a one-line
/// 10 MB flow collection does not print whole.
struct Excerpt<'a> {
    name: &'a str,
    /// `text[start..]` up to the window's end.
    window: &'a str,
    start: usize,
    /// 0-based line of `start` in the file.
    first_line: usize,
}

const LONG_LINE: usize = 1000;
/// Lines around the labels handed to miette (it shows one on each side).
const CONTEXT_LINES: usize = 2;
/// Bytes kept on each side of the labels on a long line.
const LONG_LINE_CONTEXT: usize = 120;

impl<'a> Excerpt<'a> {
    /// `line_of` gives a byte's 0-based line (the file's line index).
    fn new(
        name: &'a str,
        text: &'a str,
        lo: usize,
        hi: usize,
        line_of: impl Fn(usize) -> usize,
    ) -> Self {
        let (lo, hi) = (lo.min(text.len()), hi.clamp(lo.min(text.len()), text.len()));
        let bytes = text.as_bytes();
        let line_start = memchr::memrchr(b'\n', &bytes[..lo]).map_or(0, |i| i + 1);
        let line_end = memchr::memchr(b'\n', &bytes[hi..]).map_or(text.len(), |i| hi + i);
        // miette counts lines from the start of what it is given: a few
        // lines of context around the labels, never the whole file (20,000
        // findings in one file were quadratic).
        let mut start = line_start;
        for _ in 0..CONTEXT_LINES {
            start = memchr::memrchr(b'\n', &bytes[..start.saturating_sub(1)]).map_or(0, |i| i + 1);
        }
        let mut end = line_end;
        for _ in 0..CONTEXT_LINES {
            end = memchr::memchr(b'\n', &bytes[(end + 1).min(text.len())..])
                .map_or(text.len(), |i| end + 1 + i);
        }
        if line_end - line_start > LONG_LINE {
            start = lo.saturating_sub(LONG_LINE_CONTEXT).max(line_start);
            end = (hi + LONG_LINE_CONTEXT).min(line_end);
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            while !text.is_char_boundary(end) {
                end += 1;
            }
        }
        Excerpt {
            name,
            window: &text[start..end],
            start,
            first_line: line_of(start),
        }
    }
}

impl SourceCode for Excerpt<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let offset = span
            .offset()
            .saturating_sub(self.start)
            .min(self.window.len());
        let len = span.len().min(self.window.len() - offset);
        let local = SourceSpan::new(offset.into(), len);
        let c = self.window.read_span(&local, before, after)?;
        let shown = SourceSpan::new((c.span().offset() + self.start).into(), c.span().len());
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.to_owned(),
                c.data(),
                shown,
                c.line() + self.first_line,
                c.column(),
                c.line_count(),
            )
            .with_language("yaml"),
        ))
    }
}

fn clamp(text: &str, start: usize, end: usize) -> SourceSpan {
    let start = start.min(text.len());
    let end = end.clamp(start, text.len());
    SourceSpan::new(start.into(), end - start)
}

/// Errors before warnings before infos, then by file, position and code:
/// on a fleet repository the few errors must not scroll away behind dozens
/// of near-identical warnings.
fn ordered<'a>(ws: &Workspace, diagnostics: &'a [Diagnostic]) -> Vec<&'a Diagnostic> {
    let mut sorted: Vec<&Diagnostic> = diagnostics.iter().collect();
    sorted.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| ws.files[a.file].path.cmp(&ws.files[b.file].path))
            .then_with(|| a.span.start.cmp(&b.span.start))
            .then_with(|| a.rule.code.cmp(b.rule.code))
    });
    sorted
}

/// One line per finding, `path:line:col: CODE message`, as ruff's concise
/// output has it (editors and grep jump to it).
pub fn render_concise(ws: &Workspace, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in ordered(ws, diagnostics) {
        let pos = position(ws, d);
        // A finding's message stays on its line whatever it holds.
        let message = d.message.replace(['\n', '\r'], " ");
        out.push_str(&format!(
            "{}:{}:{}: {} {}\n",
            ws.files[d.file].path, pos.start.line, pos.start.column, d.rule.code, message
        ));
    }
    out
}

/// One line per rule with a finding: count, code and name, most frequent
/// first (ruff's `--statistics`); ties by code.
pub fn render_statistics(diagnostics: &[Diagnostic]) -> String {
    let mut counts: Vec<(usize, &'static str, &'static str)> = Vec::new();
    for d in diagnostics {
        match counts.iter_mut().find(|c| c.1 == d.rule.code) {
            Some(c) => c.0 += 1,
            None => counts.push((1, d.rule.code, d.rule.name)),
        }
    }
    counts.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let width = counts.first().map_or(1, |c| c.0.to_string().len());
    let code_width = counts.iter().map(|c| c.1.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (n, code, name) in counts {
        out.push_str(&format!("{n:>width$}\t{code:<code_width$}\t{name}\n"));
    }
    out
}

pub fn render(ws: &Workspace, diagnostics: &[Diagnostic], style: Style) -> String {
    let theme = match style {
        Style::Color => GraphicalTheme::unicode(),
        Style::Plain => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for d in ordered(ws, diagnostics) {
        let file = &ws.files[d.file];
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            None,
            clamp(&file.text, d.span.start, d.span.end),
        )];
        let mut notes = Vec::new();
        for r in &d.related {
            if r.file == d.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(r.message.clone()),
                    clamp(&file.text, r.span.start, r.span.end),
                ));
            } else {
                let other = Diagnostic {
                    file: r.file,
                    span: r.span,
                    ..d.clone()
                };
                let pos = position(ws, &other);
                notes.push(format!(
                    "{}: {}:{}:{}",
                    r.message, ws.files[r.file].path, pos.start.line, pos.start.column
                ));
            }
        }
        let help = match (&d.help, notes.is_empty()) {
            (h, true) => h.clone(),
            (None, false) => Some(notes.join("\n")),
            (Some(h), false) => Some(format!("{h}\n{}", notes.join("\n"))),
        };
        let lo = labels.iter().map(|l| l.offset()).min().unwrap_or(0);
        let hi = labels
            .iter()
            .map(|l| l.offset() + l.len())
            .max()
            .unwrap_or(0);
        let frame = Frame {
            d,
            source: Excerpt::new(&file.path, &file.text, lo, hi, |at| match &file.yaml {
                Some(y) => y.lines.line_of(at),
                None => memchr::memchr_iter(b'\n', &file.text.as_bytes()[..at]).count(),
            }),
            help,
            labels,
        };
        let pos = position(ws, d);
        let mut rendered = String::new();
        if handler.render_report(&mut rendered, &frame).is_err() {
            rendered = format!("{}: {}\n", d.rule.code, d.message);
        }
        out.push_str(&format!(
            "{}:{}:{}: ",
            file.path, pos.start.line, pos.start.column
        ));
        out.push_str(rendered.trim_start());
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push('\n');
    }
    out
}
