//! kubectl-imageupdate: finds every way a GitOps repository says "this
//! container image follows that registry" (Flux setter markers and image
//! objects, Argo CD Image Updater annotations and CRs, KubeSphere
//! ImageUpdater, kustomize `images:`, Helm values, gitops-promotion) and
//! checks them offline.
//!
//! Data flows one way: [`discover`] → [`yaml`] → [`model`] → [`check`] →
//! [`report`]; the CLI in [`cli`] only wires them together.

pub mod check;
pub mod cli;
pub mod diagnostic;
pub mod discover;
pub mod edit;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod git;
pub mod gosyntax;
pub mod model;
pub mod preview;
pub mod registry;
pub mod report;
pub mod resolve;
pub mod rules;
#[cfg(test)]
mod testutil;
pub mod yaml;

use std::path::PathBuf;

pub use diagnostic::{Diagnostic, Severity};
pub use discover::Workspace;

/// Loads the repository containing `paths` (all files when `paths` is
/// empty... or the ones named), builds the model and runs every check.
pub fn validate(
    root: &std::path::Path,
    paths: &[PathBuf],
    opts: &discover::Options,
) -> (Workspace, Vec<Diagnostic>) {
    let ws = discover::load(root, paths, opts);
    let model = model::Model::build(&ws);
    let diagnostics = check::run(&ws, &model);
    (ws, diagnostics)
}
