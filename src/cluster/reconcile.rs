//! `reconcile`: ask Flux to look at an image now (a CI step after a push).
//! Finds the sources that follow the image: ImageRepositories by their
//! `spec.image`, OCIRepositories by `spec.url`, OCI HelmRepositories whose
//! URL is a prefix of it; sets `reconcile.fluxcd.io/requestedAt` on each
//! by server-side apply (only that annotation is claimed); and can wait
//! until each reports `status.lastHandledReconcileAt` with that token.
//! What the policies then picked is judged by the caller.

use std::time::{Duration, Instant};

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::{Value, json};

use super::{Cluster, ClusterError, KINDS, Kind, Live, Scope};
use crate::model::image;

pub const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";

const SOURCE_GROUP: &str = "source.toolkit.fluxcd.io";

/// Flux source kinds that can follow an OCI artifact.
pub const SOURCES: &[Kind] = &[
    Kind {
        dialect: crate::model::spec::Dialect::Flux,
        group: SOURCE_GROUP,
        version: "v1",
        kind: "OCIRepository",
        plural: "ocirepositories",
    },
    Kind {
        dialect: crate::model::spec::Dialect::Flux,
        group: SOURCE_GROUP,
        version: "v1",
        kind: "HelmRepository",
        plural: "helmrepositories",
    },
];

/// `docker.io/library/nginx` form of a repository, tag and digest cut.
pub fn repository_key(s: &str) -> Option<String> {
    image::parse(s).ok().map(|r| r.normalized_name())
}

/// Whether a live source follows `repository` (already a key).
pub fn follows(o: &Live, repository: &str) -> bool {
    match o.kind.kind {
        "ImageRepository" => o
            .str_at("spec.image")
            .and_then(repository_key)
            .is_some_and(|k| k == repository),
        "OCIRepository" => o
            .str_at("spec.url")
            .and_then(|u| u.strip_prefix("oci://"))
            .and_then(repository_key)
            .is_some_and(|k| k == repository),
        // A Helm OCI repository serves charts below its URL.
        "HelmRepository" if o.str_at("spec.type") == Some("oci") => o
            .str_at("spec.url")
            .and_then(|u| u.strip_prefix("oci://"))
            .and_then(|u| repository_key(&format!("{}/x", u.trim_end_matches('/'))))
            .and_then(|k| k.strip_suffix("/x").map(str::to_owned))
            .is_some_and(|prefix| repository.starts_with(&format!("{prefix}/"))),
        _ => false,
    }
}

impl Cluster {
    /// Every source in `scope` that follows `repository` (a key).
    pub fn sources_of(&self, repository: &str, scope: &Scope) -> Result<Vec<Live>, ClusterError> {
        let image_repositories = KINDS.iter().filter(|k| k.kind == "ImageRepository");
        let mut out = Vec::new();
        for kind in image_repositories.chain(SOURCES) {
            for o in self.list(kind, scope, None)?.unwrap_or_default() {
                if follows(&o, repository) {
                    out.push(o);
                }
            }
        }
        Ok(out)
    }

    /// Sets the request annotation to `token` on `o`.
    pub fn request(&self, o: &Live, token: &str, manager: &str) -> Result<(), ClusterError> {
        let api = self.api_for(o);
        let patch = json!({
            "apiVersion": o.kind.api_version(),
            "kind": o.kind.kind,
            "metadata": {
                "name": o.name,
                "namespace": o.namespace,
                "annotations": { REQUESTED_AT: token },
            },
        });
        let params = PatchParams::apply(manager);
        self.runtime
            .block_on(api.patch(&o.name, &params, &Patch::Apply(&patch)))
            .map(drop)
            .map_err(|e| self.failure(&format!("{}/{}", o.kind.kind, o.name), e))
    }

    /// The object as it is now.
    pub fn get(&self, o: &Live) -> Result<Live, ClusterError> {
        let api = self.api_for(o);
        let now = self
            .runtime
            .block_on(api.get(&o.name))
            .map_err(|e| self.failure(&format!("{}/{}", o.kind.kind, o.name), e))?;
        Ok(Live {
            object: serde_json::to_value(&now).unwrap_or(Value::Null),
            ..o.clone()
        })
    }

    /// Waits until every object in `pending` says `done`, polling every
    /// `every`, until `deadline`. Returns the objects as last read and
    /// whether each finished.
    pub fn wait_for(
        &self,
        pending: &[Live],
        done: impl Fn(&Live) -> bool,
        every: Duration,
        deadline: Instant,
    ) -> Result<Vec<(Live, bool)>, ClusterError> {
        let mut state: Vec<(Live, bool)> = pending.iter().map(|o| (o.clone(), false)).collect();
        loop {
            for (o, finished) in state.iter_mut().filter(|(_, f)| !*f) {
                *o = self.get(o)?;
                *finished = done(o);
            }
            if state.iter().all(|(_, f)| *f) || Instant::now() >= deadline {
                return Ok(state);
            }
            std::thread::sleep(every.min(deadline.saturating_duration_since(Instant::now())));
        }
    }

    fn api_for(&self, o: &Live) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), &o.namespace, &super::resource(o.kind))
    }
}

/// Whether the source handled the request `token`.
pub fn handled(o: &Live, token: &str) -> bool {
    o.str_at("status.lastHandledReconcileAt") == Some(token)
}
