//! `apply`: writes the tags preview selects (or `--set` names) into the
//! repository, changing only the bytes of the values that move. Plans,
//! verifies, then writes every file or none; `--dry-run` and `--diff` show
//! the plan without writing.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::preview::Source;
use super::{CliError, EXIT_CLEAN, EXIT_ERROR, print};
use crate::edit::plan::{self, Plan, SetRequest};
use crate::edit::{EditError, diff, lock, write};
use crate::git::{Applied, ApplyError};
use crate::report::apply as render;
use crate::resolve::TagSource;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or folders to update (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Repository root (default: the nearest folder above the first path
    /// holding `.git`, else the first path).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Resolve tags offline from this YAML file instead of the registries.
    #[arg(long, value_name = "FILE")]
    pub tags_from: Option<PathBuf>,
    /// Write TAG (or TAG@DIGEST) for IMAGE wherever it appears: markers,
    /// Argo CD write-back, container `image:` fields, kustomize `images:`,
    /// Helm values. IMAGE in any spelling (`nginx`, `docker.io/library/nginx`).
    /// Repeatable. Alone, it asks no registry and writes only what it names.
    #[arg(long = "set", value_name = "IMAGE=TAG")]
    pub sets: Vec<String>,
    /// Show what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print a unified diff of every change (coloured on a terminal).
    #[arg(long)]
    pub diff: bool,
    /// Output format of the change list.
    #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
    pub output: Output,
    /// The Flux release whose controllers to follow (`MAJOR.MINOR`): which
    /// image API versions are served.
    #[arg(long = "flux", value_name = "VERSION", default_value = "2.9", value_parser = super::preview::flux_version)]
    pub flux: crate::model::flux::FluxVersion,
    #[command(flatten)]
    pub argo: super::ArgoArgs,
    #[command(flatten)]
    pub registry: super::preview::RegistryArgs,
    #[command(flatten)]
    pub git: super::gitflags::GitArgs,
}

/// What one apply run did.
struct Outcome {
    /// What the plan read: file changes refer to its texts.
    ws: crate::discover::Workspace,
    plan: Plan,
    written: bool,
}

pub fn run(args: Args, kube: &super::KubeFlags) -> u8 {
    let sets = match args
        .sets
        .iter()
        .map(|s| SetRequest::parse(s))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("error: {msg}");
            return EXIT_ERROR;
        }
    };
    // `--set` alone writes only what it names and asks no registry.
    let source = if sets.is_empty() || args.tags_from.is_some() {
        match Source::load(args.tags_from.as_deref(), &args.registry, kube) {
            Ok(s) => Some(s),
            Err(err) => {
                eprintln!("error: {err}");
                return EXIT_ERROR;
            }
        }
    } else {
        None
    };
    let source = source.as_ref().map(Source::as_dyn);
    if args.git.wants_git() {
        return with_git(&args, source, &sets);
    }
    let (root, targets) = match super::validate::root_and_targets(&args.paths, args.root.as_deref())
    {
        Ok(v) => v,
        Err(msg) => {
            eprintln!("error: {msg}");
            return EXIT_ERROR;
        }
    };
    let outcome = match apply_in(&root, &targets, source, &sets, &args, None) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("error: {msg}");
            return EXIT_ERROR;
        }
    };
    report(&args, &outcome)
}

/// apply → commit (→ push): each attempt plans again in the working tree
/// git hands over (the checkout, or the cached clone with `--clone`,
/// where PATHs are read relative to the clone).
fn with_git(args: &Args, source: Option<&dyn TagSource>, sets: &[SetRequest]) -> u8 {
    if args.dry_run {
        eprintln!("error: --dry-run writes nothing, so there is nothing to commit or push");
        return EXIT_ERROR;
    }
    if let Err(msg) = args.git.check() {
        eprintln!("error: {msg}");
        return EXIT_ERROR;
    }
    let root = if args.git.clone.is_some() {
        PathBuf::new()
    } else {
        match super::validate::root_and_targets(&args.paths, args.root.as_deref()) {
            Ok((root, _)) => root,
            Err(msg) => {
                eprintln!("error: {msg}");
                return EXIT_ERROR;
            }
        }
    };
    // In a checkout, the lock is held from the first plan to the last push,
    // so no other apply writes between our write and our commit. A cached
    // clone is locked per attempt, inside.
    let held = if args.git.clone.is_some() {
        None
    } else {
        match take_lock(&root) {
            Ok(l) => Some(l),
            Err(msg) => {
                eprintln!("error: {msg}");
                return EXIT_ERROR;
            }
        }
    };
    let mut last: Option<Outcome> = None;
    let mut attempt = |worktree: &Path| -> Result<Applied, ApplyError> {
        let targets: Vec<PathBuf> = if args.git.clone.is_some() {
            args.paths.iter().map(|p| worktree.join(p)).collect()
        } else {
            super::validate::root_and_targets(&args.paths, Some(worktree))?.1
        };
        let outcome = apply_in(worktree, &targets, source, sets, args, held.as_ref())?;
        if let Some(f) = outcome.plan.source_failures.first() {
            return Err(CliError::SourceFailed(f.clone()).into());
        }
        let applied = outcome.applied();
        last = Some(outcome);
        Ok(applied)
    };
    let code = super::gitflags::run(&args.git, &root, &mut attempt);
    if let Some(outcome) = &last {
        let changes: Vec<_> = outcome.plan.changes().collect();
        match args.output {
            Output::Text => print(&render::text(&changes, &outcome.plan.skipped)),
            Output::Json => print(&render::json(
                &changes,
                &outcome.plan.skipped,
                outcome.written,
            )),
        }
    }
    code
}

/// Longest an apply waits for another one on the same repository.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

fn take_lock(root: &Path) -> Result<lock::RepoLock, EditError> {
    lock::lock(root, LOCK_WAIT, || {
        eprintln!(
            "waiting for another apply in {} to finish (at most {} s)",
            root.display(),
            LOCK_WAIT.as_secs()
        );
    })
}

/// Plans and (unless `--dry-run`) writes in the repository at `root`,
/// holding the repository lock from the read to the write (`held`: the
/// caller holds it already).
fn apply_in(
    root: &Path,
    targets: &[PathBuf],
    source: Option<&dyn TagSource>,
    sets: &[SetRequest],
    args: &Args,
    held: Option<&lock::RepoLock>,
) -> Result<Outcome, CliError> {
    let _lock = match held {
        None if !args.dry_run => Some(take_lock(root)?),
        _ => None,
    };
    let (ws, model) = super::load_parsed_with(
        root,
        targets,
        &crate::model::Options {
            flux: args.flux,
            ..args.argo.options()
        },
    );
    let resolution = source.map(|s| crate::preview::resolve(&model, s));
    let plan = plan::plan(&ws, &model, resolution.as_ref(), sets)?;
    if args.dry_run || plan.files.is_empty() {
        return Ok(Outcome {
            ws,
            plan,
            written: false,
        });
    }
    // The commit message is rendered from these changes before any file is
    // written, so a template that fails on them (one past its size limits,
    // say) leaves the tree untouched.
    if args.git.wants_git()
        && let Ok(opts) = args.git.options()
        && let Some(t) = &opts.template
    {
        let changes: Vec<_> = plan.changes().cloned().collect();
        crate::git::message::render(t, &changes, &opts.context).map_err(CliError::Template)?;
    }
    write::write_changes(&ws, &plan.files).map_err(CliError::NotWritten)?;
    Ok(Outcome {
        ws,
        plan,
        written: true,
    })
}

impl Outcome {
    /// The record git needs: the files written and what changed in them.
    fn applied(&self) -> Applied {
        Applied {
            files: self
                .plan
                .files
                .iter()
                .map(|f| PathBuf::from(&f.path))
                .collect(),
            changes: self.plan.changes().cloned().collect(),
        }
    }
}

fn report(args: &Args, o: &Outcome) -> u8 {
    let changes: Vec<_> = o.plan.changes().collect();
    if args.diff {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let mut out = String::new();
        for f in &o.plan.files {
            out.push_str(&diff::unified(f, f.original(&o.ws), color));
        }
        print(&out);
    }
    match args.output {
        Output::Text if !args.diff => print(&render::text(&changes, &o.plan.skipped)),
        Output::Text => {
            // The diff already shows the changes; skips still need saying.
            for s in &o.plan.skipped {
                eprintln!("{}", render::skip_line(s));
            }
        }
        Output::Json => print(&render::json(&changes, &o.plan.skipped, o.written)),
    }
    let files = o.plan.files.len();
    let verb = if o.written { "changed" } else { "would change" };
    if changes.is_empty() && o.plan.considered == 0 {
        eprintln!(
            "nothing to update: no marker, updater image or --set value found in the given paths"
        );
    } else if changes.is_empty() && !o.plan.skipped.is_empty() {
        eprintln!(
            "nothing to do: no value moves; {} target{} skipped (see above)",
            o.plan.skipped.len(),
            plural(o.plan.skipped.len())
        );
    } else if changes.is_empty() {
        eprintln!("nothing to do: every target already has its value");
    } else {
        eprintln!(
            "{} value{} in {files} file{} {verb}{}",
            changes.len(),
            plural(changes.len()),
            plural(files),
            if args.dry_run {
                " (dry run: nothing written)"
            } else {
                ""
            }
        );
    }
    if !o.plan.source_failures.is_empty() {
        for f in &o.plan.source_failures {
            eprintln!("error: {f}");
        }
        return EXIT_ERROR;
    }
    EXIT_CLEAN
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
