//! The image-automation kinds the cluster commands list, one row each:
//! where the API serves them and which dialect's reader reads them.

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

/// Flux image API v1 (image-reflector-controller and
/// image-automation-controller 1.x), the Argo CD Image Updater CR and the
/// KubeSphere `ImageUpdater`, in the order `status` prints them.
pub const KINDS: &[Kind] = &[
    Kind {
        dialect: Dialect::Flux,
        group: "image.toolkit.fluxcd.io",
        version: "v1",
        kind: "ImageRepository",
        plural: "imagerepositories",
    },
    Kind {
        dialect: Dialect::Flux,
        group: "image.toolkit.fluxcd.io",
        version: "v1",
        kind: "ImagePolicy",
        plural: "imagepolicies",
    },
    Kind {
        dialect: Dialect::Flux,
        group: "image.toolkit.fluxcd.io",
        version: "v1",
        kind: "ImageUpdateAutomation",
        plural: "imageupdateautomations",
    },
    Kind {
        dialect: Dialect::ArgocdCrd,
        group: "argocd-image-updater.argoproj.io",
        version: "v1alpha1",
        kind: "ImageUpdater",
        plural: "imageupdaters",
    },
    Kind {
        dialect: Dialect::Kubesphere,
        group: "gitops.kubesphere.io",
        version: "v1alpha1",
        kind: "ImageUpdater",
        plural: "imageupdaters",
    },
];
