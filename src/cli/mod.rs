//! Command line: clap definitions and dispatch. One module per subcommand;
//! each parses its flags into options and calls the library.

mod apply;
mod completion;
mod controller;
mod crd;
mod diff;
mod export;
pub mod gitflags;
mod preview;
mod reconcile;
mod rules_cmd;
mod serverapply;
mod status;
mod validate;
mod webhook;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// Why a command stopped (printed as `error: …`, exit 2): paths that name
/// no repository, or a layer's failure said with what it means for the
/// repository. The messages are part of the interface (tests compare
/// them).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CliError {
    #[error("{}: no such file or directory", .0.display())]
    #[diagnostic(code(imageupdate::cli::paths))]
    NoSuchPath(PathBuf),
    #[error("--root {}: not a folder", .0.display())]
    #[diagnostic(code(imageupdate::cli::paths))]
    RootNotFolder(PathBuf),
    #[error(
        "{} and {} belong to different repositories; run once per repository",
        first.display(),
        other.display()
    )]
    #[diagnostic(code(imageupdate::cli::paths))]
    SeveralRepositories { first: PathBuf, other: PathBuf },
    #[error("{} is outside the repository root {}", path.display(), root.display())]
    #[diagnostic(code(imageupdate::cli::paths))]
    OutsideRoot { path: PathBuf, root: PathBuf },
    /// The lock could not be taken, or the plan not be made or verified:
    /// nothing was written.
    #[error(transparent)]
    #[diagnostic(code(imageupdate::cli::edit))]
    Edit(#[from] crate::edit::EditError),
    /// The commit message template fails on the planned changes.
    #[error("{0} (nothing was written)")]
    #[diagnostic(code(imageupdate::cli::template))]
    Template(crate::gosyntax::exec::ExecError),
    /// Writing failed and every file was put back.
    #[error("{0}; no file was changed")]
    #[diagnostic(code(imageupdate::cli::write))]
    NotWritten(crate::edit::EditError),
    /// A repository the tag source failed for (its message).
    #[error("the tag source failed, nothing committed: {0}")]
    #[diagnostic(code(imageupdate::cli::source))]
    SourceFailed(String),

    // -- a duration flag's value (clap prints these after the flag) -----------
    #[error(transparent)]
    #[diagnostic(code(imageupdate::cli::duration))]
    Duration(#[from] crate::gosyntax::duration::DurationError),
    /// The value as given.
    #[error("{0:?} is negative")]
    #[diagnostic(code(imageupdate::cli::duration))]
    NegativeDuration(String),
    #[error("must be greater than zero")]
    #[diagnostic(code(imageupdate::cli::duration))]
    ZeroDuration,
    /// `--argocd-image-updater`'s value, as given.
    #[error("{0:?} is not v0 or v1")]
    #[diagnostic(code(imageupdate::cli::argo_generation))]
    ArgoGeneration(String),
    /// `--flux`'s value as given.
    #[error("{0:?} is not a Flux release (MAJOR.MINOR, e.g. 2.9)")]
    #[diagnostic(code(imageupdate::cli::flux))]
    FluxVersion(String),
}

#[derive(Debug, Parser)]
#[command(
    name = "kubectl-imageupdate",
    bin_name = "kubectl imageupdate",
    version,
    about = "Lint container image update configuration in GitOps repositories",
    long_about = "Finds every image-update construct in a GitOps repository (Flux setter markers and \
image automation objects, Argo CD Image Updater annotations and ImageUpdater CRs, KubeSphere \
ImageUpdater, kustomize images:, Helm values, gitops-promotion) and checks them offline."
)]
pub struct Cli {
    #[command(flatten)]
    pub kube: KubeFlags,
    #[command(subcommand)]
    pub command: Command,
}

/// kubectl passes no global flags to plugins; these are parsed here so
/// `kubectl imageupdate --context x ...` works.
#[derive(Debug, clap::Args)]
pub struct KubeFlags {
    /// Path to the kubeconfig file (cluster commands; default: KUBECONFIG,
    /// then ~/.kube/config, then the in-cluster service account).
    #[arg(long, global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (cluster commands).
    #[arg(long, global = true)]
    pub context: Option<String>,
    /// Namespace (cluster commands; export writes it into the objects).
    #[arg(short = 'n', long, global = true)]
    pub namespace: Option<String>,
}

impl KubeFlags {
    pub fn connect(&self) -> crate::cluster::Connect {
        crate::cluster::Connect {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every image-update construct in the given files and folders.
    Validate(validate::Args),
    /// Show which tag every update target would move to.
    Preview(preview::Args),
    /// Write the selected (or given) tags into the repository, changing only
    /// the bytes of the values that move.
    Apply(Box<apply::Args>),
    /// Convert every image updater found into another dialect's objects
    /// (Argo CD annotations or ImageUpdater CR, Flux, KubeSphere).
    Export(export::Args),
    /// List the live image automation objects (Flux, Argo CD Image Updater,
    /// KubeSphere): ready or not, what they picked, the files they drive.
    Status(status::Args),
    /// Compare the repository with the cluster: values, selections, what
    /// runs, and the image automation objects (exit 1 when they differ).
    Diff(diff::Args),
    /// Ask Flux to scan an image now (after a push) and, with --wait, wait
    /// until its policies picked the tag.
    Reconcile(reconcile::Args),
    /// Print the CustomResourceDefinition of the KubeSphere ImageUpdater.
    Crd(crd::Args),
    /// Run the KubeSphere ImageUpdater controller: reconcile each object
    /// into its engine's objects (Argo CD Image Updater or Flux).
    Controller(controller::Args),
    /// Serve a validating admission webhook: creates and updates of image
    /// automation objects with validate errors are rejected.
    Webhook(webhook::Args),
    /// List every rule with its code, severity and summary.
    Rules(rules_cmd::RulesArgs),
    /// Print the documentation of one rule.
    Explain(rules_cmd::ExplainArgs),
    /// Print a shell completion script (bash, zsh, fish, ...) for `kubectl-imageupdate`.
    Completion(completion::Args),
    /// Print completion candidates for the given words, one per line, then a
    /// `:directive` line: the protocol of kubectl's plugin completion hooks.
    #[command(name = "__complete", hide = true)]
    Complete(completion::CompleteArgs),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            });
        }
    };
    let code = match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Preview(args) => preview::run(args, &cli.kube),
        Command::Apply(args) => apply::run(*args, &cli.kube),
        Command::Export(args) => export::run(args, &cli.kube),
        Command::Status(args) => status::run(args, &cli.kube),
        Command::Reconcile(args) => reconcile::run(args, &cli.kube),
        Command::Diff(args) => diff::run(args, &cli.kube),
        Command::Crd(args) => crd::run(args, &cli.kube),
        Command::Controller(args) => controller::run(args, &cli.kube),
        Command::Webhook(args) => webhook::run(args, &cli.kube),
        Command::Rules(args) => rules_cmd::rules(args),
        Command::Explain(args) => rules_cmd::explain(args),
        Command::Completion(args) => completion::run(args),
        Command::Complete(args) => completion::complete(args),
    };
    ExitCode::from(code)
}

/// Every file of the repository at `root` parsed (preview, apply and export
/// read Applications, kustomizations and write-back files next to what
/// was named), with `targets` the ones reported on, and its model.
pub(crate) fn load_parsed(
    root: &std::path::Path,
    targets: &[PathBuf],
) -> (crate::discover::Workspace, crate::model::Model) {
    load_parsed_with(root, targets, &crate::model::Options::default())
}

/// [`load_parsed`], with what the flags say the repository cannot.
pub(crate) fn load_parsed_with(
    root: &std::path::Path,
    targets: &[PathBuf],
    model_opts: &crate::model::Options,
) -> (crate::discover::Workspace, crate::model::Model) {
    let opts = crate::discover::Options {
        parse_all: true,
        ..crate::discover::Options::default()
    };
    let ws = crate::discover::load(root, targets, &opts);
    let model = crate::model::Model::build_with(&ws, model_opts);
    (ws, model)
}

/// `--argocd-image-updater v0|v1` (validate, preview, apply).
#[derive(Debug, Clone, clap::Args)]
pub struct ArgoArgs {
    /// Read Argo CD Image Updater configuration as this generation reads
    /// it: v0 (annotations on every Application) or v1 (ImageUpdater CRs,
    /// annotations only through useAnnotations: true). Default: v1 when
    /// the repository holds an ImageUpdater CR, else v0.
    #[arg(long = "argocd-image-updater", value_name = "v0|v1", value_parser = argo_generation)]
    pub generation: Option<crate::model::argo::Generation>,
}

impl ArgoArgs {
    pub fn options(&self) -> crate::model::Options {
        crate::model::Options {
            argo: self.generation,
            ..crate::model::Options::default()
        }
    }
}

fn argo_generation(s: &str) -> Result<crate::model::argo::Generation, CliError> {
    crate::model::argo::Generation::parse(s).ok_or_else(|| CliError::ArgoGeneration(s.to_owned()))
}

/// An operational failure (no cluster, a refused request): one line on
/// stderr, exit 2.
pub(crate) fn failed(e: &dyn std::fmt::Display) -> u8 {
    eprintln!("error: {e}");
    EXIT_ERROR
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
