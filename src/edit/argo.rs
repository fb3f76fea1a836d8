//! Argo CD Image Updater git write-back, written the way the updater
//! writes it but as byte edits: the `.argocd-source-<app>.yaml` parameter
//! override file, the `kustomization` target and the `helmvalues` target
//! (argocd.md §3.2–3.4). Hands [`FileChange`]s to the plan.

use super::{FileChange, Skip};
use crate::discover::Workspace;
use crate::model::Model;
use crate::model::target::Target;

/// One Argo-driven image and the value it moves to: the tag, or
/// `tag@digest` for the digest strategy (what preview's `candidate` holds).
#[derive(Debug, Clone)]
pub struct ArgoUpdate<'a> {
    pub target: &'a Target,
    pub new_tag: String,
}

/// The file changes that write `updates` back, grouped per file, and the
/// updates that cannot be written (with the reason).
pub fn plan(ws: &Workspace, model: &Model, updates: &[ArgoUpdate]) -> (Vec<FileChange>, Vec<Skip>) {
    let _ = (ws, model);
    let skips = updates
        .iter()
        .map(|u| Skip {
            file: ws.files[u.target.file].path.clone(),
            line: 0,
            image: String::new(),
            reason: "Argo CD write-back is not built yet".into(),
        })
        .collect();
    (Vec::new(), skips)
}
