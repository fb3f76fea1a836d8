//! Checks: small functions over the model that produce diagnostics. Each
//! submodule owns one family of rules (see `crate::rules` for the codes).
//! Registry-free and offline. The run keeps findings for the files the user
//! asked about, drops suppressed ones and sorts the rest by position.

mod argo;
mod flux;
mod helm_params;
mod images;
mod kubesphere;
mod markers;
mod promotion;
mod shape;
mod syntax;

use crate::diagnostic::{Diagnostic, FileId};
use crate::discover::Workspace;
use crate::model::Model;
use crate::yaml::{NodeId, Span, Yaml};

pub struct Context<'a> {
    pub ws: &'a Workspace,
    pub model: &'a Model,
    out: Vec<Diagnostic>,
}

impl<'a> Context<'a> {
    pub fn report(&mut self, d: Diagnostic) {
        self.out.push(d);
    }

    pub fn yaml(&self, file: FileId) -> &'a Yaml {
        crate::model::yaml_of(self.ws, file)
    }

    pub fn src(&self, file: FileId) -> &'a str {
        &self.ws.files[file].text
    }

    pub fn span(&self, file: FileId, node: NodeId) -> Span {
        self.yaml(file).node(node).span
    }

    /// Files findings are reported for (the rest only resolve references).
    pub fn reported_files(&self) -> impl Iterator<Item = (FileId, &'a Yaml)> + 'a {
        let ws = self.ws;
        ws.files
            .iter()
            .enumerate()
            .filter(|(_, f)| f.report)
            .filter_map(|(id, f)| f.yaml.as_ref().map(|y| (FileId(id), y)))
    }

    /// Objects in reported files.
    pub fn reported_objects(&self) -> impl Iterator<Item = (usize, &'a crate::model::Object)> + 'a {
        let ws = self.ws;
        self.model
            .objects
            .iter()
            .enumerate()
            .filter(move |(_, o)| ws.files[o.file].report)
    }
}

pub fn run(ws: &Workspace, model: &Model) -> Vec<Diagnostic> {
    let mut cx = Context {
        ws,
        model,
        out: ws.diagnostics.clone(),
    };
    syntax::check(&mut cx);
    markers::check(&mut cx);
    images::check(&mut cx);
    flux::check(&mut cx);
    argo::check(&mut cx);
    helm_params::check(&mut cx);
    kubesphere::check(&mut cx);
    promotion::check(&mut cx);
    shape::check(&mut cx);
    let mut out: Vec<Diagnostic> = cx
        .out
        .into_iter()
        .filter(|d| ws.files[d.file].report)
        .filter(|d| !suppressed(ws, d))
        .collect();
    out.sort_by(|a, b| {
        (a.file, a.span.start, a.rule.code, &a.message).cmp(&(
            b.file,
            b.span.start,
            b.rule.code,
            &b.message,
        ))
    });
    out.dedup_by(|a, b| {
        a.file == b.file && a.span == b.span && a.rule.code == b.rule.code && a.message == b.message
    });
    out
}

/// `# imageupdate: ignore[CODE, name]` (or bare `ignore`) on the finding's
/// line or alone on the line above it.
fn suppressed(ws: &Workspace, d: &Diagnostic) -> bool {
    let file = &ws.files[d.file];
    let Some(yaml) = &file.yaml else { return false };
    let line = yaml.lines.line_of(d.span.start);
    // Comments are in text order: only those of this line and the one above
    // are looked at (a scan of all of them made 20,000 findings quadratic).
    let from = yaml.lines.line_start(line.saturating_sub(1)).unwrap_or(0);
    let to = yaml.lines.line_start(line + 1).unwrap_or(usize::MAX);
    let first = yaml.comments.partition_point(|c| c.span.start < from);
    yaml.comments[first..]
        .iter()
        .take_while(|c| c.span.start < to)
        .any(|c| {
            let c_line = yaml.lines.line_of(c.span.start);
            let placed = c_line == line || (c.own_line && c_line + 1 == line);
            placed && suppression_matches(c.span.text(&file.text), d)
        })
}

fn suppression_matches(comment: &str, d: &Diagnostic) -> bool {
    let Some(at) = comment.find("imageupdate: ignore") else {
        return false;
    };
    let rest = &comment[at + "imageupdate: ignore".len()..];
    let Some(list) = rest.strip_prefix('[') else {
        return rest.trim().is_empty();
    };
    let Some(list) = list.split(']').next() else {
        return false;
    };
    list.split(',')
        .map(str::trim)
        .any(|item| item.eq_ignore_ascii_case(d.rule.code) || item == d.rule.name)
}

/// "did you mean" for a misspelt name among `candidates`.
pub fn did_you_mean<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&name.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules;

    fn diag() -> Diagnostic {
        Diagnostic::new(
            &rules::MARKER_POLICY_NOT_FOUND,
            FileId(0),
            Span::empty(0),
            "x",
        )
    }

    #[test]
    fn suppression_forms() {
        let d = diag();
        assert!(suppression_matches("# imageupdate: ignore[IU105]", &d));
        assert!(suppression_matches(
            "# imageupdate: ignore[iu105, IU001]",
            &d
        ));
        assert!(suppression_matches(
            "# imageupdate: ignore[marker-policy-not-found]",
            &d
        ));
        assert!(suppression_matches("# imageupdate: ignore", &d));
        assert!(!suppression_matches("# imageupdate: ignore[IU106]", &d));
        assert!(!suppression_matches("# imageupdate: ignored because", &d));
    }

    #[test]
    fn did_you_mean_picks_close_names() {
        assert_eq!(
            did_you_mean("intervall", ["interval", "image", "timeout"]),
            Some("interval")
        );
        assert_eq!(did_you_mean("zzz", ["interval", "image"]), None);
    }
}
