//! Why an Argo CD write-back cannot be planned. Every variant is the
//! reason a [`Skip`](crate::edit::Skip) prints, so the messages are part of
//! the output (tests and users read them); the planner hands them on as
//! text and never fails on them.

use thiserror::Error;

use crate::edit::TextError;

/// One reason an update (or every update of one file) is skipped.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ArgoError {
    // -- where the update goes ---------------------------------------------
    #[error("not driven by Argo CD Image Updater")]
    NotArgo,
    #[error(
        "KubeSphere write is built-in (the default): the controller patches the live Application; set write: git to write to the repository"
    )]
    KubesphereBuiltIn,
    #[error(
        "KubeSphere write is {0:?}: the controller patches the live Application; set write: git to write to the repository"
    )]
    KubesphereWrite(String),
    /// `field` is the annotation or CRD field that names the method, `fix`
    /// the setting that would write to git.
    #[error(
        "{field} is argocd (the default): Argo CD Image Updater patches the live Application; set {fix} to write to the repository"
    )]
    MethodDefault {
        field: &'static str,
        fix: &'static str,
    },
    #[error(
        "{field} is argocd: Argo CD Image Updater patches the live Application; set {fix} to write to the repository"
    )]
    MethodArgocd {
        field: &'static str,
        fix: &'static str,
    },
    #[error("{field} {method:?} names no secret; Argo CD Image Updater refuses it")]
    MethodNoSecret { field: &'static str, method: String },
    #[error(
        "{field} {method:?} is not a write-back method (argocd, git, git:repocreds, git:secret:<namespace>/<name>)"
    )]
    MethodUnknown { field: &'static str, method: String },
    #[error(
        "namePattern {0:?} is a pattern: apply writes back only for an Application the pattern names exactly and that is in the repository"
    )]
    AppPattern(String),
    #[error("no Application is named, so where its source lives is unknown")]
    AppUnnamed,
    #[error("the Application {0} is not in the repository, so where its source lives is unknown")]
    AppMissing(String),
    #[error(
        "{0} is an ApplicationSet template: the Applications it generates, and their sources, exist only in the cluster, so apply writes nothing back for it"
    )]
    AppTemplate(String),
    #[error(
        "Application {0} has several sources (spec.sources); apply writes back for single-source Applications only"
    )]
    SeveralSources(String),
    #[error("Application {0} has no spec.source")]
    NoSource(String),
    #[error("spec.source.path {0:?} leads out of the repository")]
    SourcePathOutside(String),
    #[error("write-back target {0:?} leads out of the repository")]
    TargetOutside(String),
    /// The folder as shown: a path, or "the repository root".
    #[error("could not find kustomization in {0}")]
    NoKustomization(String),
    #[error(
        "write-back-target \"helmvalues:\" names no file (write helmvalues or helmvalues:<file>)"
    )]
    HelmValuesUnnamed,
    #[error(
        "write-back-target {0:?}: a bare kustomization file name is rejected (v1.3); write kustomization or kustomization:<dir>"
    )]
    BareKustomization(String),
    #[error(
        "Application {name} is neither Helm nor Kustomize (no helm or kustomize source, no kustomization or Chart.yaml in {dir}); Argo CD Image Updater skips directory applications"
    )]
    UnknownAppKind { name: String, dir: String },

    // -- the file ----------------------------------------------------------
    #[error("is a folder, not a file")]
    IsFolder,
    #[error("cannot read: {0}")]
    Unreadable(String),
    #[error("the folder {0} does not exist")]
    NoFolder(String),
    #[error("the file does not parse: {0}")]
    DoesNotParse(String),
    #[error("the document is not a mapping")]
    RootNotMapping,
    #[error(
        "the file holds {0} YAML documents; Argo CD Image Updater writes back to single-document files only"
    )]
    SeveralDocuments(usize),
    /// A state the planner never builds; reported rather than panicking.
    #[error("internal: {0}")]
    Internal(&'static str),
    /// The edits could not be applied to the text.
    #[error("{0}")]
    Edit(TextError),
    #[error("{path}: {source}")]
    InFile {
        path: String,
        source: Box<ArgoError>,
    },
    #[error("{path}: the planned edit failed its check, nothing is written there: {reason}")]
    CheckFailed { path: String, reason: String },

    // -- the node a change lands on ------------------------------------------
    /// `what` names the node (`images[0]`, `helm.parameters`, a Helm key).
    #[error(
        "{what} lies in a node shared through the anchor &{anchor}; it is left for a person to edit"
    )]
    Shared { what: String, anchor: String },
    #[error("{what} is an alias (*{anchor}); the anchor it points at is left alone")]
    Alias { what: String, anchor: String },
    /// `kind`: "null", "a value", "a mapping", "a list" or "an alias".
    #[error("{what} is {kind}, not a value")]
    NotAValue { what: String, kind: &'static str },
    #[error("{0} is not a value")]
    NotScalar(String),
    #[error("{what}: {reason}")]
    Unrenderable { what: String, reason: TextError },
    #[error("{what} is empty (null); apply does not replace it, fill in {want} by hand")]
    Null { what: String, want: &'static str },
    #[error("{what} is {kind}, expected {want}")]
    Unexpected {
        what: String,
        kind: &'static str,
        want: &'static str,
    },
    #[error("{0} is not a mapping")]
    NotMapping(String),

    // -- the write-back formats ----------------------------------------------
    #[error("{entry:?} is not an image reference: {reason}")]
    NotImage { entry: String, reason: String },
    /// `hint` is empty or starts with a space.
    #[error(
        "the images entry {name} has {key}: {current}; Argo CD Image Updater replaces the whole entry and would drop it, and apply never deletes a key: remove it by hand{hint}"
    )]
    WouldDrop {
        name: String,
        key: &'static str,
        current: String,
        hint: &'static str,
    },
    #[error(
        "{what} pins {current}; the new tag {new} comes without a digest, and writing it would drop the pin: give the digest (IMAGE=TAG@DIGEST) or track it with the digest strategy"
    )]
    WouldDropDigest {
        what: String,
        current: String,
        new: String,
    },
    #[error("key {name} not found; an index ({key}) needs an existing list")]
    IndexWithoutList { name: String, key: String },
    #[error("key {name} is {kind}, not a list")]
    NotList { name: String, kind: &'static str },
    #[error("id {index} is out of range [0, {len})")]
    OutOfRange { index: i64, len: usize },
    #[error("key {0} is a list; name an index ({0}[0])")]
    ListWithoutIndex(String),
    #[error("key {name} is {kind}, not a mapping")]
    KeyNotMapping { name: String, kind: &'static str },
    #[error("index {index:?} in key {key} is not an integer")]
    BadIndex { index: String, key: String },
}

impl ArgoError {
    /// The same reason, said of the file at `path`.
    pub fn in_file(self, path: &str) -> Self {
        ArgoError::InFile {
            path: path.to_owned(),
            source: Box::new(self),
        }
    }
}
