//! `validate`: load, check, render, and map findings to the exit code.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, print};
use crate::diagnostic::Severity;
use crate::discover;
use crate::report::{self, Style, Summary};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or folders to check (default: the current directory). References
    /// resolve against the whole repository each path belongs to.
    pub paths: Vec<PathBuf>,
    /// Repository root that references and Flux update paths resolve
    /// against (default: the nearest folder above the first path holding
    /// `.git`, else the first path itself).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Skip files larger than this many bytes.
    #[arg(long, default_value_t = discover::DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,
    /// Do not honour .gitignore, .ignore and .sourceignore.
    #[arg(long)]
    pub no_ignore: bool,
}

pub fn run(args: Args) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    for p in &paths {
        if std::fs::symlink_metadata(p).is_err() {
            eprintln!("error: {}: no such file or directory", p.display());
            return EXIT_ERROR;
        }
    }
    let root = match &args.root {
        Some(r) if r.is_dir() => std::path::absolute(r).unwrap_or_else(|_| r.clone()),
        Some(r) => {
            eprintln!("error: --root {}: not a folder", r.display());
            return EXIT_ERROR;
        }
        None => discover::find_root(&paths[0]),
    };
    if let Some(outside) = paths
        .iter()
        .find(|p| !std::path::absolute(p).is_ok_and(|a| a.starts_with(&root)))
    {
        eprintln!(
            "error: {} is outside the repository root {}",
            outside.display(),
            root.display()
        );
        return EXIT_ERROR;
    }
    if let Some(other) = paths
        .iter()
        .find(|p| args.root.is_none() && discover::find_root(p) != root)
    {
        eprintln!(
            "error: {} and {} belong to different repositories; run validate once per repository",
            paths[0].display(),
            other.display()
        );
        return EXIT_ERROR;
    }
    // Naming the repository root itself means "everything".
    let targets: Vec<PathBuf> = paths
        .iter()
        .filter(|p| std::path::absolute(p).ok().as_deref() != Some(root.as_path()))
        .cloned()
        .collect();
    let opts = discover::Options {
        max_file_size: args.max_file_size,
        respect_ignore: !args.no_ignore,
    };
    let (ws, diagnostics) = crate::validate(&root, &targets, &opts);
    let summary = Summary::of(&ws, &diagnostics);
    match args.format {
        Format::Json => print(&report::render_json(&ws, &diagnostics)),
        Format::Human => {
            let color = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let style = if color { Style::Color } else { Style::Plain };
            print(&report::render_human(&ws, &diagnostics, style));
            eprintln!("{}", summary.line());
        }
    }
    let failing = diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error || (args.strict && d.severity == Severity::Warning));
    if failing { EXIT_FINDINGS } else { EXIT_CLEAN }
}
