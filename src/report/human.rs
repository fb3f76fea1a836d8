//! Human output: one miette code frame per finding. Colour only when the
//! caller says the output is a terminal and NO_COLOR is unset.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

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
    source: NamedSource<String>,
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

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

fn clamp(text: &str, start: usize, end: usize) -> SourceSpan {
    let start = start.min(text.len());
    let end = end.clamp(start, text.len());
    SourceSpan::new(start.into(), end - start)
}

pub fn render(ws: &Workspace, diagnostics: &[Diagnostic], style: Style) -> String {
    let theme = match style {
        Style::Color => GraphicalTheme::unicode(),
        Style::Plain => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for d in diagnostics {
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
        let frame = Frame {
            d,
            source: NamedSource::new(&file.path, file.text.clone()).with_language("yaml"),
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
