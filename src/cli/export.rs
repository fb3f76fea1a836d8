//! `export`: reads the updaters in the given paths and prints them as
//! another dialect's objects (or, with `--in-place`, merges Argo CD
//! annotations into the repository's Applications). Remarks go to stderr
//! as diagnostics; `--strict` refuses to print anything lossy.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, KubeFlags, print, serverapply};
use crate::diagnostic::{Diagnostic, Severity};
use crate::export::WriteOptions;
use crate::export::{self, Request, argo, emit};
use crate::model::Model;
use crate::model::spec::Dialect;
use crate::report::{self, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// Argo CD Image Updater annotations (a merge patch that is also an
    /// Application).
    Argocd,
    /// Argo CD Image Updater ImageUpdater CR (v1alpha1).
    ArgocdCrd,
    /// Flux ImageRepository, ImagePolicy and ImageUpdateAutomation (v1).
    Flux,
    /// KubeSphere ImageUpdater (gitops.kubesphere.io/v1alpha1).
    Kubesphere,
}

impl Target {
    fn dialect(self) -> Dialect {
        match self {
            Target::Argocd => Dialect::Argocd,
            Target::ArgocdCrd => Dialect::ArgocdCrd,
            Target::Flux => Dialect::Flux,
            Target::Kubesphere => Dialect::Kubesphere,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Yaml,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or folders to read updaters from (default: the current
    /// directory).
    pub paths: Vec<PathBuf>,
    /// Repository root (default: the nearest folder above the first path
    /// holding `.git`, else the first path).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The dialect to write.
    #[arg(long, value_enum)]
    pub to: Target,
    /// Read only these dialects (default: every dialect but --to).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub from: Vec<Target>,
    /// Export only the updater with this name (the object's name; for
    /// Argo CD annotations, the Application's).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
    pub output: Output,
    /// Refuse to export (exit 1, print nothing) when a setting has no
    /// equivalent in the target or a source cannot be exported.
    #[arg(long)]
    pub strict: bool,
    /// With --to argocd: merge the annotations into the Applications in
    /// the repository instead of printing patches.
    #[arg(long)]
    pub in_place: bool,
    #[command(flatten)]
    pub server: serverapply::Flags,
}

/// kubectl's `-n` is the namespace of every generated object; with
/// `--apply` the flags also say which cluster.
pub fn run(args: Args, kube: &KubeFlags) -> u8 {
    let namespace = kube.namespace.clone();
    let to = args.to.dialect();
    if args.in_place && args.server.apply {
        eprintln!("error: --in-place writes the repository and --apply the cluster; choose one");
        return EXIT_ERROR;
    }
    if args.in_place && to != Dialect::Argocd {
        eprintln!(
            "error: --in-place only applies to --to argocd (the other targets are new objects)"
        );
        return EXIT_ERROR;
    }
    let (root, targets) = match super::validate::root_and_targets(&args.paths, args.root.as_deref())
    {
        Ok(v) => v,
        Err(msg) => {
            eprintln!("error: {msg}");
            return EXIT_ERROR;
        }
    };
    let (ws, model) = super::load_parsed(&root, &targets);
    let req = Request {
        to,
        from: args.from.iter().map(|t| t.dialect()).collect(),
        name: args.name.clone(),
        reported_only: true,
        options: WriteOptions { namespace },
    };
    let result = export::export(&ws, &model, &req);
    if result.updaters.is_empty() {
        let sources: Vec<&str> = export::sources(&req).iter().map(|d| d.as_str()).collect();
        match &args.name {
            Some(name) => eprintln!(
                "error: no image updater named {name:?} in the given paths (read: {})",
                sources.join(", ")
            ),
            None => eprintln!(
                "error: no image updater found in the given paths (read: {})",
                sources.join(", ")
            ),
        }
        return EXIT_ERROR;
    }
    if args.in_place {
        return in_place(&args, &ws, &model, &req, &result.updaters);
    }
    let diagnostics = result.diagnostics;
    let blocked = args.strict && diagnostics.iter().any(is_lossy);
    eprint_diagnostics(&ws, &diagnostics, args.strict);
    if blocked {
        eprintln!(
            "error: --strict: nothing exported, the target cannot hold everything the source says"
        );
        return EXIT_FINDINGS;
    }
    if args.server.apply {
        return serverapply::run(&result.documents, &args.server, kube);
    }
    let text = match args.output {
        Output::Yaml => emit::yaml(&result.documents),
        Output::Json => emit::json(&result.documents),
    };
    print(&text);
    EXIT_CLEAN
}

fn in_place(
    args: &Args,
    ws: &crate::discover::Workspace,
    model: &Model,
    req: &Request,
    updaters: &[crate::model::spec::Updater],
) -> u8 {
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut changes = Vec::new();
    let mut failed = false;
    for u in updaters {
        match argo::merge_in_place(ws, model, u, &req.options) {
            Ok(merged) => {
                diagnostics.extend(
                    merged
                        .remarks
                        .iter()
                        .filter_map(|r| export::diagnostic(ws, u, req.to, r)),
                );
                changes.extend(merged.change);
            }
            Err(msg) => {
                eprintln!("error: {}: {msg}", u.name);
                failed = true;
            }
        }
    }
    let blocked = args.strict && diagnostics.iter().any(is_lossy);
    eprint_diagnostics(ws, &diagnostics, args.strict);
    if failed {
        return EXIT_ERROR;
    }
    if blocked {
        eprintln!(
            "error: --strict: nothing written, the target cannot hold everything the source says"
        );
        return EXIT_FINDINGS;
    }
    if let Err(err) = crate::edit::write::write_changes(ws, &changes) {
        eprintln!("error: {err}");
        return EXIT_ERROR;
    }
    for c in &changes {
        eprintln!("updated {}", c.path);
    }
    if changes.is_empty() {
        eprintln!("nothing to do: the Applications already carry these annotations");
    }
    EXIT_CLEAN
}

fn is_lossy(d: &Diagnostic) -> bool {
    d.severity >= Severity::Warning
}

fn eprint_diagnostics(ws: &crate::discover::Workspace, diagnostics: &[Diagnostic], strict: bool) {
    if diagnostics.is_empty() {
        return;
    }
    let promoted: Vec<Diagnostic> = diagnostics
        .iter()
        .cloned()
        .map(|d| {
            if strict && d.severity == Severity::Warning {
                d.severity(Severity::Error)
            } else {
                d
            }
        })
        .collect();
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let style = if color { Style::Color } else { Style::Plain };
    eprint!("{}", report::render_human(ws, &promoted, style));
}
