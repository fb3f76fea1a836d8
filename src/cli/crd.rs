//! `crd`: prints the CustomResourceDefinition of the KubeSphere
//! `ImageUpdater`, generated from the types export writes.

use kube::CustomResourceExt;

use super::{EXIT_CLEAN, KubeFlags, print, serverapply};
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
    #[command(flatten)]
    pub server: serverapply::Flags,
}

pub fn run(args: Args, kube: &KubeFlags) -> u8 {
    let mut crd = serde_json::to_value(ImageUpdater::crd())
        .expect("a CustomResourceDefinition always serializes");
    // The derive writes `categories: []` and `shortNames: []`. The API
    // server stores no empty list, so a second server-side apply of the
    // same file by another manager conflicts on them (measured on
    // kube-apiserver 1.35); leaving them out says the same.
    if let Some(names) = crd
        .pointer_mut("/spec/names")
        .and_then(|n| n.as_object_mut())
    {
        names.retain(|_, v| v.as_array().is_none_or(|a| !a.is_empty()));
    }
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
