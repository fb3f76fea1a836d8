//! `--apply` of `export` and `crd`: the generated documents go to the
//! cluster by server-side apply instead of stdout. One line per object as
//! kubectl prints it; conflicts one line per field, with its owner.

use serde_json::Value;

use super::{EXIT_CLEAN, EXIT_FINDINGS, KubeFlags};
use crate::cluster::Cluster;
use crate::cluster::apply::{ApplyOptions, FIELD_MANAGER, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DryRun {
    /// Apply for real.
    None,
    /// Admission and validation run on the server; nothing is stored.
    Server,
}

#[derive(Debug, clap::Args)]
pub struct Flags {
    /// Server-side apply the objects to the cluster instead of printing
    /// them.
    #[arg(long)]
    pub apply: bool,
    /// With --apply: `server` checks the objects without storing them.
    #[arg(long, value_enum, value_name = "MODE", requires = "apply")]
    pub dry_run: Option<DryRun>,
    /// With --apply: the field manager that owns the applied fields.
    #[arg(long, value_name = "NAME", default_value = FIELD_MANAGER, requires = "apply")]
    pub field_manager: String,
    /// With --apply: take over fields another manager owns.
    #[arg(long, requires = "apply")]
    pub force_conflicts: bool,
}

/// Applies every document; 0 when all applied, 1 when one conflicted or
/// was refused, 2 when the cluster cannot be reached.
pub fn run(documents: &[Value], flags: &Flags, kube: &KubeFlags) -> u8 {
    let cluster = match Cluster::connect(&kube.connect()) {
        Ok(c) => c,
        Err(e) => return super::failed(&e),
    };
    let opts = ApplyOptions {
        field_manager: flags.field_manager.clone(),
        dry_run: flags.dry_run == Some(DryRun::Server),
        force: flags.force_conflicts,
        namespace: kube
            .namespace
            .clone()
            .unwrap_or_else(|| cluster.default_namespace.clone()),
    };
    let suffix = if opts.dry_run {
        " (server dry run)"
    } else {
        ""
    };
    let mut failed = false;
    for doc in documents {
        let applied = match cluster.apply(doc, &opts) {
            Ok(a) => a,
            Err(e) => return super::failed(&e),
        };
        let object = &applied.object;
        match &applied.result {
            Outcome::Created => super::print(&format!("{object} created{suffix}\n")),
            Outcome::Configured => super::print(&format!("{object} configured{suffix}\n")),
            Outcome::Unchanged => super::print(&format!("{object} unchanged{suffix}\n")),
            Outcome::Conflict { fields } => {
                for f in fields {
                    eprintln!("error: {object}: {} is owned by {:?}", f.field, f.manager);
                }
                eprintln!(
                    "  help: --force-conflicts makes {:?} the owner of these fields",
                    opts.field_manager
                );
            }
            Outcome::Rejected { message } => eprintln!("error: {object}: {message}"),
        }
        failed |= applied.result.failed();
    }
    if failed { EXIT_FINDINGS } else { EXIT_CLEAN }
}
