//! kubectl-imageupdate: finds every way a GitOps repository says "this
//! container image follows that registry" (Flux setter markers and image
//! objects, Argo CD Image Updater annotations and CRs, KubeSphere
//! ImageUpdater, kustomize `images:`, Helm values, gitops-promotion),
//! checks them, previews what each controller would pick, applies the
//! updates byte-exactly and exports between dialects.
//!
//! Data flows one way. [`discover`] loads the files into a
//! [`Workspace`]; [`yaml`] gives each a span tree; [`model`] reads every
//! dialect once into one typed spec (`model::spec`), with the workload
//! image sites and the update targets. Everything after reads the model:
//! [`check`] turns it into [`Diagnostic`]s, [`resolve`] (tags from
//! [`registry`] or a tags file) into decisions, `preview` renders them,
//! [`edit`] plans byte edits under one overlap policy, verifies and writes
//! them and records what changed, [`git`] commits and pushes that record,
//! [`export`] writes the spec in another dialect; `report` renders
//! findings. [`cli`] only wires the layers together; `tests/layers.rs`
//! keeps the imports pointing one way.
//!
//! The library is the binary's: [`validate`] and [`cli::main`] are the
//! façade; the layers stay public for the integration tests, benchmarks,
//! fuzz targets and Go differential tests, and `diagnostic`, `preview`
//! and `report` are crate-private.

#![deny(unsafe_code, clippy::disallowed_methods)]

pub mod check;
pub mod cli;
pub mod cluster;
pub mod controller;
pub(crate) mod diagnostic;
pub mod discover;
pub mod edit;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod git;
pub mod gosyntax;
pub mod model;
pub(crate) mod preview;
pub mod registry;
pub(crate) mod report;
pub mod resolve;
pub mod rules;
#[cfg(test)]
mod testutil;
pub mod webhook;
pub mod yaml;

use std::path::PathBuf;

pub use diagnostic::{Diagnostic, FileId, Severity};
pub use discover::Workspace;

/// Loads the repository containing `paths` (all files when `paths` is
/// empty... or the ones named), builds the model and runs every check.
pub fn validate(
    root: &std::path::Path,
    paths: &[PathBuf],
    opts: &discover::Options,
) -> (Workspace, Vec<Diagnostic>) {
    validate_with(root, paths, opts, &model::Options::default())
}

/// [`validate`], with what the flags say the repository cannot
/// (`--argocd-image-updater`).
pub fn validate_with(
    root: &std::path::Path,
    paths: &[PathBuf],
    opts: &discover::Options,
    model_opts: &model::Options,
) -> (Workspace, Vec<Diagnostic>) {
    let ws = discover::load(root, paths, opts);
    let model = model::Model::build_with(&ws, model_opts);
    let diagnostics = check::run(&ws, &model);
    (ws, diagnostics)
}
