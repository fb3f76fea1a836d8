//! `validate`: load, check, render, and map findings to the exit code.

#![allow(clippy::disallowed_methods)] // an I/O module

use std::io::IsTerminal;
use std::path::PathBuf;

use super::{CliError, EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, print};
use crate::diagnostic::Severity;
use crate::discover;
use crate::report::{self, Style, Summary};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A code frame per finding, errors first, and a closing summary.
    Human,
    /// One line per finding, `path:line:col: CODE message`, errors first.
    Concise,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands (annotations on the diff).
    Github,
    /// GitLab Code Quality report (merge request widget).
    Gitlab,
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
    /// Write the report to this file instead of standard output (human
    /// output is then plain); the summary line still goes to stderr.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Also print one line per rule with its count, code and name, most
    /// frequent first: after the report in human and concise output, on
    /// stderr in machine formats (their stdout stays machine-readable).
    #[arg(long)]
    pub statistics: bool,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Skip files larger than this many bytes.
    #[arg(long, default_value_t = discover::DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,
    /// Do not honour .gitignore, .ignore and .sourceignore.
    #[arg(long)]
    pub no_ignore: bool,
    #[command(flatten)]
    pub argo: super::ArgoArgs,
}

pub fn run(args: Args) -> u8 {
    let (root, targets) = match root_and_targets(&args.paths, args.root.as_deref()) {
        Ok(v) => v,
        Err(msg) => {
            eprintln!("error: {msg}");
            return EXIT_ERROR;
        }
    };
    let opts = discover::Options {
        max_file_size: args.max_file_size,
        respect_ignore: !args.no_ignore,
        parse_all: false,
    };
    let (ws, diagnostics) = crate::validate_with(&root, &targets, &opts, &args.argo.options());
    let summary = Summary::of(&ws, &diagnostics);
    let to_file = args.output_file.is_some();
    let mut report = match args.format {
        Format::Concise => report::render_concise(&ws, &diagnostics),
        Format::Json => report::render_json(&ws, &diagnostics),
        Format::Sarif => report::render_sarif(&ws, &diagnostics),
        Format::Github => report::render_github(&ws, &diagnostics),
        Format::Gitlab => report::render_gitlab(&ws, &diagnostics),
        Format::Human => {
            let color = !to_file
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let style = if color { Style::Color } else { Style::Plain };
            report::render_human(&ws, &diagnostics, style)
        }
    };
    let human = matches!(args.format, Format::Human | Format::Concise);
    if args.statistics {
        let stats = report::render_statistics(&diagnostics);
        if human {
            report.push_str(&stats);
        } else {
            eprint!("{stats}");
        }
    }
    // Human output closes with the totals, where a reader's eye ends; a
    // machine's report leaves them to stderr.
    if human {
        report.push_str(&summary.line());
        report.push('\n');
    }
    match &args.output_file {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &report) {
                eprintln!("error: {}: {e}", path.display());
                return EXIT_ERROR;
            }
        }
        None => print(&report),
    }
    // JSON on stdout has always been silent on stderr; scripts rely on it.
    if to_file || !(human || args.format == Format::Json) {
        eprintln!("{}", summary.line());
    }
    let failing = diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error || (args.strict && d.severity == Severity::Warning));
    if failing { EXIT_FINDINGS } else { EXIT_CLEAN }
}

/// The repository root and the paths to report on (empty: everything),
/// or a usage error.
pub(super) fn root_and_targets(
    paths: &[PathBuf],
    root: Option<&std::path::Path>,
) -> Result<(PathBuf, Vec<PathBuf>), CliError> {
    let paths = match (paths.is_empty(), root) {
        (true, Some(r)) => vec![r.to_path_buf()],
        (true, None) => vec![PathBuf::from(".")],
        (false, _) => paths.to_vec(),
    };
    if let Some(missing) = paths.iter().find(|p| std::fs::symlink_metadata(p).is_err()) {
        return Err(CliError::NoSuchPath(missing.clone()));
    }
    let root = match root {
        Some(r) if r.is_dir() => std::path::absolute(r).unwrap_or_else(|_| r.to_path_buf()),
        Some(r) => return Err(CliError::RootNotFolder(r.to_path_buf())),
        None => {
            let root = discover::find_root(&paths[0]);
            if let Some(other) = paths.iter().find(|p| discover::find_root(p) != root) {
                return Err(CliError::SeveralRepositories {
                    first: paths[0].clone(),
                    other: other.clone(),
                });
            }
            root
        }
    };
    if let Some(outside) = paths
        .iter()
        .find(|p| !std::path::absolute(p).is_ok_and(|a| a.starts_with(&root)))
    {
        return Err(CliError::OutsideRoot {
            path: outside.clone(),
            root,
        });
    }
    // Naming the repository root itself means "everything".
    let targets = paths
        .into_iter()
        .filter(|p| std::path::absolute(p).ok().as_deref() != Some(root.as_path()))
        .collect();
    Ok((root, targets))
}
