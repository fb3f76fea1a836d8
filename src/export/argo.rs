//! Argo CD Image Updater annotations on an `Application` (argocd.md §1):
//! read into [`Updater`]s and written back as a merge patch that is
//! itself an Application, or merged into the repository's Application.

use super::spec::{Updater, WriteOptions, Written};
use crate::discover::Workspace;
use crate::model::Model;

pub fn read(_ws: &Workspace, _model: &Model) -> Vec<Updater> {
    Vec::new()
}

pub fn write(_u: &Updater, _options: &WriteOptions) -> Written {
    Written::default()
}

/// The annotations of `u` merged into the Application the repository
/// holds, as byte edits of its file (`export --to argocd --in-place`).
#[derive(Debug, Default)]
pub struct Merged {
    /// `None` when the Application already carries exactly these
    /// annotations.
    pub change: Option<crate::edit::FileChange>,
    pub remarks: Vec<super::spec::Remark>,
}

pub fn merge_in_place(
    _ws: &Workspace,
    _model: &Model,
    _u: &Updater,
    _options: &WriteOptions,
) -> Result<Merged, String> {
    Err("not implemented yet".to_owned())
}
