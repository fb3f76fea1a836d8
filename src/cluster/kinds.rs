//! The kinds the cluster commands read and write, one row each: where the
//! API serves them and which dialect's reader reads them.

use crate::model::spec::Dialect;

#[derive(Debug, PartialEq, Eq)]
pub struct Kind {
    pub dialect: Dialect,
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
}

impl Kind {
    pub fn api_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }
}

const IMAGE: &str = "image.toolkit.fluxcd.io";
const SOURCE: &str = "source.toolkit.fluxcd.io";

/// Flux image API v1 (image-reflector-controller and
/// image-automation-controller 1.x).
pub static IMAGE_REPOSITORY: Kind = Kind {
    dialect: Dialect::Flux,
    group: IMAGE,
    version: "v1",
    kind: "ImageRepository",
    plural: "imagerepositories",
};

pub static IMAGE_POLICY: Kind = Kind {
    dialect: Dialect::Flux,
    group: IMAGE,
    version: "v1",
    kind: "ImagePolicy",
    plural: "imagepolicies",
};

pub static IMAGE_UPDATE_AUTOMATION: Kind = Kind {
    dialect: Dialect::Flux,
    group: IMAGE,
    version: "v1",
    kind: "ImageUpdateAutomation",
    plural: "imageupdateautomations",
};

/// Argo CD Image Updater's CR.
pub static ARGO_IMAGE_UPDATER: Kind = Kind {
    dialect: Dialect::ArgocdCrd,
    group: "argocd-image-updater.argoproj.io",
    version: "v1alpha1",
    kind: "ImageUpdater",
    plural: "imageupdaters",
};

pub static KUBESPHERE_IMAGE_UPDATER: Kind = Kind {
    dialect: Dialect::Kubesphere,
    group: "gitops.kubesphere.io",
    version: "v1alpha1",
    kind: "ImageUpdater",
    plural: "imageupdaters",
};

/// Flux sources that can follow an OCI artifact (`reconcile`).
pub static OCI_REPOSITORY: Kind = Kind {
    dialect: Dialect::Flux,
    group: SOURCE,
    version: "v1",
    kind: "OCIRepository",
    plural: "ocirepositories",
};

pub static HELM_REPOSITORY: Kind = Kind {
    dialect: Dialect::Flux,
    group: SOURCE,
    version: "v1",
    kind: "HelmRepository",
    plural: "helmrepositories",
};

/// Argo CD's Application (`status.summary.images`, for `diff`).
pub static APPLICATION: Kind = Kind {
    dialect: Dialect::Argocd,
    group: "argoproj.io",
    version: "v1alpha1",
    kind: "Application",
    plural: "applications",
};

/// The image automation kinds of every dialect, in the order `status`
/// prints them.
pub static KINDS: [&Kind; 5] = [
    &IMAGE_REPOSITORY,
    &IMAGE_POLICY,
    &IMAGE_UPDATE_AUTOMATION,
    &ARGO_IMAGE_UPDATER,
    &KUBESPHERE_IMAGE_UPDATER,
];

/// The sources `reconcile` asks to look again.
pub static SOURCES: [&Kind; 3] = [&IMAGE_REPOSITORY, &OCI_REPOSITORY, &HELM_REPOSITORY];
