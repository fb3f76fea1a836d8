//! `crd`: prints the CustomResourceDefinition of the KubeSphere
//! `ImageUpdater`, generated from the types export writes.

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> u8 {
    super::EXIT_ERROR
}
