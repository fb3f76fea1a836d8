//! Argo CD Image Updater `ImageUpdater` CR (argocd-image-updater.argoproj.io
//! v1alpha1, v1.3 schema; argocd.md §2½): read into [`Updater`]s (one per
//! applicationRef) and written from them.

use super::spec::{Updater, WriteOptions, Written};
use crate::discover::Workspace;
use crate::model::Model;

pub fn read(_ws: &Workspace, _model: &Model) -> Vec<Updater> {
    Vec::new()
}

pub fn write(_u: &Updater, _options: &WriteOptions) -> Written {
    Written::default()
}
