//! Tag resolution: which registry tags are versions, how they order, and
//! which of them a Flux or Argo CD Image Updater semver range admits.

pub mod constraint;
pub mod version;
