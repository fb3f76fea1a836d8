//! Typed views over the span tree. The model never copies a file: every
//! field it exposes keeps the node it came from, so checks can point at it
//! and edits can replace exactly its bytes. Built once per run from the
//! [`Workspace`]; checks, preview and export read it.

pub mod argo;
pub mod flux;
pub mod image;
pub mod kubesphere;
pub mod marker;
pub mod object;
pub mod promotion;
pub mod schema;
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
}

impl Model {
    pub fn build(ws: &Workspace) -> Self {
        let mut objects = Vec::new();
        let mut markers = Vec::new();
        for (id, file) in ws.files.iter().enumerate() {
            let Some(yaml) = &file.yaml else { continue };
            objects.extend(object::objects_in(id, yaml));
            if file.report {
                markers.extend(marker::markers_in(id, &file.text, yaml));
            }
        }
        let flux = flux::FluxObjects::collect(ws, &objects);
        Self {
            objects,
            markers,
            flux,
        }
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

/// Byte span, in the file, of `range` within a scalar's parsed value. Exact
/// when the value is written verbatim (plain, or quoted without escapes);
/// otherwise the whole scalar.
pub fn value_subspan(yaml: &Yaml, src: &str, node: NodeId, range: std::ops::Range<usize>) -> Span {
    let node = yaml.node(node);
    let raw = node.span.text(src);
    if let Some(value) = yaml.str_of(node) {
        if raw == value {
            return Span::new(node.span.start + range.start, node.span.start + range.end);
        }
        if raw.len() == value.len() + 2 && &raw[1..raw.len() - 1] == value {
            return Span::new(
                node.span.start + 1 + range.start,
                node.span.start + 1 + range.end,
            );
        }
    }
    node.span
}
