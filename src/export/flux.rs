//! Flux image automation (image.toolkit.fluxcd.io/v1): ImageRepository,
//! ImagePolicy and ImageUpdateAutomation objects, with the setter markers
//! that reference them, read into [`Updater`]s and written from them in
//! the style of `flux create image … --export`.

use super::spec::{Updater, WriteOptions, Written};
use crate::discover::Workspace;
use crate::model::Model;

pub fn read(_ws: &Workspace, _model: &Model) -> Vec<Updater> {
    Vec::new()
}

pub fn write(_u: &Updater, _options: &WriteOptions) -> Written {
    Written::default()
}
