//! `status`: every live image-automation object, what it resolved and
//! whether it is ready; inside a checkout (or with `--root`), the files
//! each one drives.

use std::path::PathBuf;

use super::{EXIT_CLEAN, KubeFlags, print};
use crate::cluster::status::{self, Row};
use crate::cluster::{Cluster, KINDS, Live, Scope};
use crate::report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Table,
    Wide,
    Json,
    Yaml,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: Output,
    /// List in every namespace.
    #[arg(short = 'A', long = "all-namespaces")]
    pub all_namespaces: bool,
    /// Only objects whose labels match (`app=web,tier!=db`).
    #[arg(short = 'l', long = "selector")]
    pub selector: Option<String>,
    /// The checkout whose files the objects drive; default: the git
    /// repository around the current folder, if any.
    #[arg(long)]
    pub root: Option<PathBuf>,
}

pub fn run(args: Args, kube: &KubeFlags) -> u8 {
    let cluster = match Cluster::connect(&kube.connect()) {
        Ok(c) => c,
        Err(e) => return super::failed(&e),
    };
    let scope = if args.all_namespaces {
        Scope::All
    } else {
        Scope::Namespace(
            kube.namespace
                .clone()
                .unwrap_or_else(|| cluster.default_namespace.clone()),
        )
    };
    let mut live: Vec<Live> = Vec::new();
    let mut not_served = Vec::new();
    for kind in KINDS {
        match cluster.list(kind, &scope, args.selector.as_deref()) {
            Ok(Some(objects)) => live.extend(objects),
            Ok(None) => not_served.push(format!("{} ({})", kind.kind, kind.api_version())),
            Err(e) => return super::failed(&e),
        }
    }
    let checkout = args.root.clone().or_else(|| {
        let root = crate::discover::find_root(&std::env::current_dir().ok()?);
        root.join(".git").exists().then_some(root)
    });
    let loaded = checkout.map(|root| super::load_parsed(&root, &[]));
    let rows: Vec<Row> = live
        .iter()
        .map(|o| {
            let mut row = status::row(o);
            if let Some((ws, model)) = &loaded {
                row.files = status::files(o, &live, ws, model);
            }
            row
        })
        .collect();
    if rows.is_empty() && matches!(args.output, Output::Table | Output::Wide) {
        let place = match &scope {
            Scope::All => "any namespace".to_owned(),
            Scope::Namespace(ns) => format!("namespace {ns}"),
        };
        eprintln!("No image automation objects found in {place}.");
        return EXIT_CLEAN;
    }
    let namespaces = scope == Scope::All;
    print(&match args.output {
        Output::Table => report::status::table(&rows, namespaces, false),
        Output::Wide => report::status::table(&rows, namespaces, true),
        Output::Json => report::status::json(&rows, &not_served),
        Output::Yaml => report::status::yaml(&rows, &not_served),
    });
    EXIT_CLEAN
}
