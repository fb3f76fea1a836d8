//! `preview`: which tag every update target would move to, from an offline
//! tags file (the registry client plugs in behind the same tag source).

use std::path::PathBuf;

use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, print};
use crate::discover;
use crate::model::Model;
use crate::report::preview as render;
use crate::resolve::tags::TagsFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Table,
    Json,
    Yaml,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or folders to preview (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Repository root (default: the nearest folder above the first path
    /// holding `.git`, else the first path).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Resolve tags offline from this YAML file instead of a registry.
    #[arg(long, value_name = "FILE")]
    pub tags_from: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: Output,
    /// Exit 1 when some target would change.
    #[arg(long)]
    pub exit_code: bool,
}

pub fn run(args: Args) -> u8 {
    let Some(tags_path) = &args.tags_from else {
        eprintln!(
            "error: preview needs a tag source: pass --tags-from FILE (registry access is not built yet)"
        );
        return EXIT_ERROR;
    };
    let source = match TagsFile::load(tags_path) {
        Ok(s) => s,
        Err(err) => {
            eprintln!("error: {err}");
            return EXIT_ERROR;
        }
    };
    let (root, targets) = match super::validate::root_and_targets(&args.paths, args.root.as_deref())
    {
        Ok(v) => v,
        Err(msg) => {
            eprintln!("error: {msg}");
            return EXIT_ERROR;
        }
    };
    let opts = discover::Options {
        parse_all: true,
        ..discover::Options::default()
    };
    let ws = discover::load(&root, &targets, &opts);
    let model = Model::build(&ws);
    let preview = crate::preview::run(&ws, &model, &source);
    print(&match args.output {
        Output::Table => render::table(&preview.updates),
        Output::Json => render::json(&preview.updates),
        Output::Yaml => render::yaml(&preview.updates),
    });
    let changed = preview.updates.iter().filter(|u| u.changed).count();
    eprintln!("{} targets, {changed} would change", preview.updates.len());
    if !preview.source_failures.is_empty() {
        for f in &preview.source_failures {
            eprintln!("error: {f}");
        }
        return EXIT_ERROR;
    }
    if args.exit_code && changed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}
