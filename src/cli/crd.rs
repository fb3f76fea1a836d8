//! `crd`: prints the CustomResourceDefinition of the KubeSphere
//! `ImageUpdater`, generated from the types export writes.

use kube::CustomResourceExt;

use super::{EXIT_CLEAN, print};
use crate::export::emit;
use crate::export::kubesphere::ImageUpdater;

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
}

pub fn run(args: Args) -> u8 {
    let crd = serde_json::to_value(ImageUpdater::crd())
        .expect("a CustomResourceDefinition always serializes");
    let docs = [crd];
    print(&match args.output {
        Output::Yaml => emit::yaml(&docs),
        Output::Json => emit::json(&docs),
    });
    EXIT_CLEAN
}
