//! The apply record: what one `apply` run changed, value by value, and
//! which files it wrote. Planning fills the [`Change`]s; `git` reads the
//! record to write commit messages and never the other way round.

use std::path::PathBuf;

/// One value `apply` changed: what commit message templates see.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Change {
    /// File relative to the repository root, `/`-separated.
    pub file: String,
    /// 1-based line of the edited scalar.
    pub line: usize,
    /// The image repository as the configuration names it
    /// (`ghcr.io/org/app`, `nginx`).
    pub image: String,
    /// The scalar's old and new text (unquoted values).
    pub old_value: String,
    pub new_value: String,
    /// Tag (or digest when the strategy tracks digests) before and after:
    /// Argo's `.OldTag` / `.NewTag`.
    pub old_tag: String,
    pub new_tag: String,
    /// The Flux setter (`namespace:policy`) when a marker drove the change.
    pub setter: Option<String>,
    /// The Kubernetes object holding the scalar, when the file holds one
    /// (Flux's object identifier): apiVersion, kind, namespace, name.
    pub object: Option<ObjectId>,
    /// The Argo CD Application when an Argo or KubeSphere configuration
    /// drove the change.
    pub app: Option<String>,
    /// The Argo image alias, if any.
    pub alias: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct ObjectId {
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

/// What one `apply` run wrote into a working tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Files written, relative to the working tree root.
    pub files: Vec<PathBuf>,
    pub changes: Vec<Change>,
}
