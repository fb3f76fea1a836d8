//! `diff [PATH...]`: the repository against the cluster. Exit 0 when they
//! agree, 1 when something differs, 2 on error (the convention of
//! `flux diff`).

use std::path::PathBuf;

use super::{EXIT_CLEAN, EXIT_FINDINGS, KubeFlags, print};
use crate::cluster::Cluster;
use crate::cluster::apply::FIELD_MANAGER;
use crate::cluster::diff::{self, Report, State};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or folders to compare (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Repository root (default: the nearest folder above the first path
    /// holding `.git`, else the first path).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
    pub output: Output,
    /// The field manager of the server-side dry runs.
    #[arg(long, value_name = "NAME", default_value = FIELD_MANAGER)]
    pub field_manager: String,
}

pub fn run(args: Args, kube: &KubeFlags) -> u8 {
    let (root, targets) = match super::validate::root_and_targets(&args.paths, args.root.as_deref())
    {
        Ok(v) => v,
        Err(e) => return super::failed(&e),
    };
    let (ws, model) = super::load_parsed(&root, &targets);
    let cluster = match Cluster::connect(&kube.connect()) {
        Ok(c) => c,
        Err(e) => return super::failed(&e),
    };
    let namespace = kube
        .namespace
        .clone()
        .unwrap_or_else(|| cluster.default_namespace.clone());
    let report = match diff::diff(&cluster, &ws, &model, &namespace, &args.field_manager) {
        Ok(r) => r,
        Err(e) => return super::failed(&e),
    };
    match args.output {
        Output::Json => {
            let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
            s.push('\n');
            print(&s);
        }
        Output::Text => print(&text(&report)),
    }
    if report.differs() {
        EXIT_FINDINGS
    } else {
        if args.output == Output::Text {
            eprintln!("The cluster agrees with the repository.");
        }
        EXIT_CLEAN
    }
}

fn text(report: &Report) -> String {
    let mut out = String::new();
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    for t in report.targets.iter().filter(|t| t.differs) {
        let running = if t.running.is_empty() {
            "-".to_owned()
        } else {
            t.running.join(", ")
        };
        out.push_str(&format!(
            "{}:{} {}: repository {}, selected {}, running {running}\n",
            t.file,
            t.line,
            t.image,
            or_dash(&t.repository),
            or_dash(&t.selected)
        ));
    }
    for o in &report.objects {
        match &o.state {
            State::Same => {}
            State::Missing => {
                out.push_str(&format!("{} {}: not in the cluster\n", o.file, o.object))
            }
            State::Differs { fields } => out.push_str(&format!(
                "{} {}: differs at {}\n",
                o.file,
                o.object,
                fields.join(", ")
            )),
            State::Refused { message } => {
                out.push_str(&format!("{} {}: refused: {message}\n", o.file, o.object))
            }
        }
    }
    out
}
