//! One reader per dialect: each fills [`Updater`]s of the one spec
//! ([`super::spec`]) from the span tree, once per load, in
//! [`super::Model::build`]. Validate, preview, apply and export read those
//! updaters; nothing after this reads a dialect's raw objects again. A
//! value the spec cannot hold becomes a remark in `Updater::dropped`.

pub mod argo;
pub mod argo_crd;
pub mod argo_scope;
pub mod flux;
pub mod kubesphere;

use std::ops::Range;

use super::spec::{AsWritten, Field, Origin, SettingName, Updater};
use super::{Model, value_subspan};
use crate::diagnostic::FileId;
use crate::discover::Workspace;
use crate::yaml::{NodeId, Yaml};

/// Every updater of every dialect, in file order.
pub fn updaters(ws: &Workspace, model: &Model) -> Vec<Updater> {
    let picks = argo_scope::picks(ws, model);
    let mut out = argo::read_scoped(ws, model, &picks);
    out.extend(argo_crd::read_scoped(ws, model, &picks));
    out.extend(flux::read(ws, model));
    out.extend(kubesphere::read(ws, model));
    out.sort_by_key(|u| u.from.map(|(_, o)| (o.file, o.span.start)));
    out
}

/// Origins in one file.
pub struct At<'a> {
    pub file: FileId,
    pub yaml: &'a Yaml,
    pub text: &'a str,
}

impl At<'_> {
    pub fn node(&self, n: NodeId) -> Origin {
        Origin {
            file: self.file,
            span: self.yaml.node(n).span,
        }
    }

    /// `range` of the scalar's value, exact where the scalar is verbatim.
    pub fn sub(&self, n: NodeId, range: Range<usize>) -> Origin {
        Origin {
            file: self.file,
            span: value_subspan(self.yaml, self.text, n, range),
        }
    }

    pub fn field<T>(&self, value: T, n: NodeId) -> Field<T> {
        Field::new(value, Some(self.node(n)))
    }

    /// The string at `keys` below `node`, key and value as written.
    pub fn written(&self, node: NodeId, keys: &[&str], setting: SettingName) -> Option<AsWritten> {
        let (last, parents) = keys.split_last()?;
        let parent = self.yaml.path(node, parents)?;
        let (k, v) = self.yaml.entry(parent, last)?;
        let value = self.yaml.non_null_str(v)?;
        Some(AsWritten {
            setting,
            key: self.field((*last).to_owned(), k),
            value: Some(self.field(value.to_owned(), v)),
        })
    }
}
