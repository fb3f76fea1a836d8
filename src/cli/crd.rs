//! `crd`: prints the CustomResourceDefinition of the KubeSphere
//! `ImageUpdater`, generated from the types export writes.

use super::{EXIT_CLEAN, KubeFlags, print, serverapply};
use crate::export::emit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Yaml,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
    pub output: Output,
    #[command(flatten)]
    pub server: serverapply::Flags,
}

pub fn run(args: Args, kube: &KubeFlags) -> u8 {
    let crd = crate::export::kubesphere::crd();
    let docs = [crd];
    if args.server.apply {
        return serverapply::run(&docs, &args.server, kube);
    }
    print(&match args.output {
        Output::Yaml => emit::yaml(&docs),
        Output::Json => emit::json(&docs),
    });
    EXIT_CLEAN
}
