//! Typed views over the span tree, built once per load from the
//! [`Workspace`]: the Kubernetes objects, the setter markers, the Flux
//! objects indexed, the workload image sites, the update targets, and
//! every dialect's updaters read into the one spec ([`spec`], by
//! [`read`]). Every value keeps the node or bytes it came from, so checks
//! can point at it and edits can replace exactly its bytes. Checks,
//! preview, apply and export read the model; none of them reads a
//! dialect's raw objects again.

pub mod argo;
pub mod flux;
pub mod flux_scope;
pub mod image;
pub mod kubesphere;
pub mod marker;
pub mod object;
pub mod promotion;
pub mod read;
pub mod schema;
pub mod spec;
pub mod target;
pub mod workload;

use crate::diagnostic::FileId;
use crate::discover::Workspace;
use crate::yaml::{NodeId, Span, Yaml};

pub use object::Object;

/// A scalar field with the node it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Str {
    pub value: String,
    pub node: NodeId,
}

/// Everything the checks need to know about a repository.
#[derive(Debug, Default)]
pub struct Model {
    pub objects: Vec<Object>,
    pub markers: Vec<marker::Marker>,
    pub flux: flux::FluxObjects,
    /// Image sites of each reported file (containers, kustomize
    /// `images:`, Helm values), indexed by [`FileId`]; empty for the rest.
    pub images: Vec<workload::Images>,
    /// Every value a controller configuration drives, in file order.
    pub targets: Vec<target::Target>,
    /// Every updater of every dialect, in file order.
    pub updaters: Vec<spec::Updater>,
    /// Which Argo CD Image Updater generation the Argo readers applied.
    pub argo: argo::GenerationChoice,
}

/// What a load cannot tell from the repository itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `--argocd-image-updater`: the generation to read Argo CD Image
    /// Updater configuration as (default: v1 when the repository holds an
    /// `ImageUpdater` CR, else v0).
    pub argo: Option<argo::Generation>,
    /// `--flux`: the Flux release whose controllers decide which markers
    /// are applied (the image API versions they serve).
    pub flux: flux::FluxVersion,
}

impl Model {
    pub fn build(ws: &Workspace) -> Self {
        Self::build_with(ws, &Options::default())
    }

    pub fn build_with(ws: &Workspace, opts: &Options) -> Self {
        let mut objects = Vec::new();
        let mut markers = Vec::new();
        let mut images = Vec::with_capacity(ws.files.len());
        for (id, file) in ws.files.iter().enumerate() {
            let id = FileId(id);
            let mut found = workload::Images::default();
            if let Some(yaml) = &file.yaml {
                objects.extend(object::objects_in(id, yaml));
                if file.report {
                    markers.extend(marker::markers_in(id, &file.text, yaml));
                    found = workload::collect(id, &file.path, yaml);
                }
            }
            images.push(found);
        }
        let flux = flux::FluxObjects::collect(ws, &objects);
        let mut model = Self {
            objects,
            markers,
            flux,
            images,
            ..Self::default()
        };
        // The Flux reader reads the marker targets; the other targets are
        // the updaters' images.
        model.targets = target::markers(ws, &model);
        let verdicts = flux_scope::judge(ws, &model, opts.flux);
        for (t, v) in model.targets.iter_mut().zip(verdicts) {
            if let target::Driver::Flux { verdict, .. } = &mut t.driver {
                *verdict = v;
            }
        }
        model.argo = read::argo_scope::generation(ws, &model, opts.argo);
        model.updaters = read::updaters(ws, &model);
        let of_updaters = target::of_updaters(ws, &model);
        model.targets.extend(of_updaters);
        target::sort(ws, &mut model.targets);
        model
    }
}

/// The span tree of a file that is known to be parsed.
pub fn yaml_of(ws: &Workspace, file: FileId) -> &Yaml {
    ws.files[file]
        .yaml
        .as_ref()
        .expect("model only refers to parsed files")
}

pub fn span_of(ws: &Workspace, file: FileId, node: NodeId) -> Span {
    yaml_of(ws, file).node(node).span
}

/// The 1-based line `node` starts on.
pub fn line_of(ws: &Workspace, file: FileId, node: NodeId) -> usize {
    let yaml = yaml_of(ws, file);
    yaml.lines
        .line_col(&ws.files[file].text, yaml.node(node).span.start)
        .line
}

/// Byte span, in the file, of `range` within a scalar's parsed value. Exact
/// when the value is written verbatim (plain, or quoted without escapes);
/// otherwise the whole scalar.
pub fn value_subspan(yaml: &Yaml, src: &str, node: NodeId, range: std::ops::Range<usize>) -> Span {
    let node = yaml.node(node);
    match yaml
        .str_of(node)
        .and_then(|v| verbatim_start(src, node.span, v))
    {
        Some(start) => Span::new(start + range.start, start + range.end),
        None => node.span,
    }
}

/// Where `value` starts in the file when the scalar at `span` writes it
/// verbatim (plain, or quoted without escapes); `None` otherwise, when
/// only the whole scalar can be pointed at. Checks use it to point into
/// a value the model kept with its origin.
pub fn verbatim_start(src: &str, span: Span, value: &str) -> Option<usize> {
    let raw = span.text(src);
    if raw == value {
        return Some(span.start);
    }
    (raw.len() == value.len() + 2 && raw.get(1..raw.len() - 1) == Some(value))
        .then_some(span.start + 1)
}
