//! export: takes the updaters the model read from every dialect (Argo CD
//! annotations or `ImageUpdater` CR, Flux objects with their markers,
//! KubeSphere `ImageUpdater`; [`crate::model::read`]) and writes them as
//! another dialect's objects. Hands the CLI sorted JSON documents
//! (rendered by [`emit`]) and diagnostics for every value the target
//! cannot hold.

pub mod argo;
pub mod argo_crd;
pub mod emit;
pub mod flux;
pub mod kubesphere;

use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::Workspace;
use crate::model::Model;
use crate::model::spec::{Dialect, Origin, Remark, RemarkKind, Updater};
use crate::rules;

/// What a writer produced for one updater.
#[derive(Debug, Default)]
pub struct Written {
    /// Whole objects (or, for `--to argocd`, merge patches that are also
    /// Applications), as JSON values; the renderer sorts keys.
    pub documents: Vec<serde_json::Value>,
    pub remarks: Vec<Remark>,
}

/// Settings every writer honours.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// `-n/--namespace`: the namespace of the generated objects, over the
    /// source's.
    pub namespace: Option<String>,
}

/// What to export.
#[derive(Debug, Clone)]
pub struct Request {
    pub to: Dialect,
    /// Dialects to read; empty means every dialect but `to`.
    pub from: Vec<Dialect>,
    /// Only the updater with this name.
    pub name: Option<String>,
    /// Only updaters read from files the user named (the rest of the
    /// repository is context: Applications, markers, repositories).
    pub reported_only: bool,
    pub options: WriteOptions,
}

#[derive(Debug, Default)]
pub struct Export {
    /// Sorted by apiVersion, kind, namespace, name.
    pub documents: Vec<serde_json::Value>,
    pub diagnostics: Vec<Diagnostic>,
    /// The updaters that were exported.
    pub updaters: Vec<Updater>,
}

/// The model's updaters read from the dialects asked for, in file order.
pub fn read(model: &Model, from: &[Dialect]) -> Vec<Updater> {
    model
        .updaters
        .iter()
        .filter(|u| u.from.is_some_and(|(d, _)| from.contains(&d)))
        .cloned()
        .collect()
}

/// One updater as the target dialect's documents.
pub fn write(u: &Updater, to: Dialect, options: &WriteOptions) -> Written {
    match to {
        Dialect::Argocd => argo::write(u, options),
        Dialect::ArgocdCrd => argo_crd::write(u, options),
        Dialect::Flux => flux::write(u, options),
        Dialect::Kubesphere => kubesphere::write(u, options),
    }
}

pub fn sources(req: &Request) -> Vec<Dialect> {
    if req.from.is_empty() {
        Dialect::ALL.into_iter().filter(|d| *d != req.to).collect()
    } else {
        req.from.clone()
    }
}

pub fn export(ws: &Workspace, model: &Model, req: &Request) -> Export {
    let mut updaters = read(model, &sources(req));
    if req.reported_only {
        updaters.retain(|u| u.from.is_none_or(|(_, o)| ws.files[o.file].report));
    }
    if let Some(name) = &req.name {
        updaters.retain(|u| &u.name == name);
    }
    let mut out = Export::default();
    // An ApplicationSet template is not one updater but one per generated
    // Application, named and configured by placeholders only the
    // ApplicationSet controller resolves: nothing is written for it.
    for u in updaters.iter().filter(|u| u.templated) {
        let r = Remark::new(
            RemarkKind::Skipped,
            None,
            "spec.template",
            "an ApplicationSet template: the Applications it generates carry these annotations, so there is nothing to export for it",
        );
        out.diagnostics.extend(diagnostic(ws, u, req.to, &r));
    }
    updaters.retain(|u| !u.templated);
    let mut seen: Vec<(DocKey, usize)> = Vec::new();
    let qualified = clashing_names(&updaters, req);
    for (i, u) in updaters.iter().enumerate() {
        let written = if qualified[i] {
            let app = u
                .app
                .name
                .as_ref()
                .map_or(u.name.as_str(), |n| n.value.as_str());
            flux::write_qualified(u, &req.options, Some(app))
        } else {
            write(u, req.to, &req.options)
        };
        for r in u.dropped.iter().chain(&written.remarks) {
            if let Some(d) = diagnostic(ws, u, req.to, r) {
                out.diagnostics.push(d);
            }
        }
        for doc in written.documents {
            let key = DocKey::of(&doc);
            match seen.iter().find(|(k, _)| *k == key) {
                Some((_, i)) if out.documents[*i] == doc => {}
                Some(_) => {
                    let r = Remark::new(
                        RemarkKind::Skipped,
                        None,
                        "metadata.name",
                        format!(
                            "{} {} is generated twice with different content; the first is kept",
                            key.kind, key.name
                        ),
                    );
                    out.diagnostics.extend(diagnostic(ws, u, req.to, &r));
                }
                None => {
                    seen.push((key, out.documents.len()));
                    out.documents.push(doc);
                }
            }
        }
    }
    out.documents.sort_by_cached_key(DocKey::of);
    out.diagnostics
        .sort_by_key(|d| (d.file, d.span.start, d.rule.code));
    out.updaters = updaters;
    out
}

/// Which updaters' Flux objects must carry their application's name: an
/// ImageRepository or ImagePolicy name that two updaters (two Argo CD
/// Applications with an alias `app` each) would both generate, with
/// different content. Without it one image would be dropped as a
/// duplicate of another. Same content is one object, shared.
fn clashing_names(updaters: &[Updater], req: &Request) -> Vec<bool> {
    let mut out = vec![false; updaters.len()];
    if req.to != Dialect::Flux {
        return out;
    }
    let mut by_key: std::collections::BTreeMap<DocKey, Vec<(serde_json::Value, usize)>> =
        std::collections::BTreeMap::new();
    for (i, u) in updaters.iter().enumerate() {
        for doc in write(u, req.to, &req.options).documents {
            let key = DocKey::of(&doc);
            if !matches!(key.kind.as_str(), "ImageRepository" | "ImagePolicy") {
                continue;
            }
            let same = by_key.entry(key).or_default();
            for (d, j) in same.iter() {
                if *d != doc && *j != i {
                    out[i] = true;
                    out[*j] = true;
                }
            }
            same.push((doc, i));
        }
    }
    out
}

/// A remark as a diagnostic on the value's span, else the updater's
/// object; `None` when neither was read from a file.
pub fn diagnostic(ws: &Workspace, u: &Updater, to: Dialect, r: &Remark) -> Option<Diagnostic> {
    let at: Origin = match r.origin {
        Some(o) => o,
        // A remark about the whole object points at its first line, not a
        // frame of the entire object.
        None => {
            let (_, o) = u.from?;
            let text = &ws.files.get(o.file.0)?.text;
            let end = text
                .get(o.span.start..o.span.end)
                .and_then(|t| t.find(['\n', '\r']))
                .map_or(o.span.end, |n| o.span.start + n);
            Origin {
                file: o.file,
                span: crate::yaml::Span::new(o.span.start, end),
            }
        }
    };
    let (rule, message) = match r.kind {
        RemarkKind::NoEquivalent => (
            &rules::EXPORT_NO_EQUIVALENT,
            format!(
                "{}: no equivalent in {}: {}",
                r.field,
                to.as_str(),
                r.message
            ),
        ),
        RemarkKind::Skipped => (
            &rules::EXPORT_SKIPPED,
            format!("{}: not exported: {}", r.field, r.message),
        ),
        RemarkKind::Normalized => (
            &rules::EXPORT_NORMALIZED,
            format!("{}: {}", r.field, r.message),
        ),
    };
    let d = Diagnostic::new(rule, at.file, at.span, message);
    Some(match r.kind {
        RemarkKind::Normalized => d.severity(Severity::Info),
        _ => d,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct DocKey {
    api_version: String,
    kind: String,
    namespace: String,
    name: String,
}

impl DocKey {
    fn of(doc: &serde_json::Value) -> Self {
        let s = |p: &str| {
            doc.pointer(p)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        Self {
            api_version: s("/apiVersion"),
            kind: s("/kind"),
            namespace: s("/metadata/namespace"),
            name: s("/metadata/name"),
        }
    }
}
