//! `reconcile`: ask Flux to look at an image now (a CI step after a push).
//! Finds the sources that follow the image: ImageRepositories by their
//! `spec.image`, OCIRepositories by `spec.url`, OCI HelmRepositories whose
//! URL is a prefix of it; sets `reconcile.fluxcd.io/requestedAt` on each
//! by server-side apply (only that annotation is claimed); and can wait
//! until each reports `status.lastHandledReconcileAt` with that token.
//! What the policies then picked is judged by the caller.

use std::time::{Duration, Instant};

use kube::api::{Patch, PatchParams};
use serde_json::json;

use super::kinds::SOURCES;
use super::{Cluster, ClusterError, Live, Scope};
use crate::model::image;

pub const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";

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
        let mut out = Vec::new();
        for kind in SOURCES {
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
        let api = self.namespaced(o.kind, &o.namespace);
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
                // One deleted meanwhile stays as last seen, unfinished.
                if let Some(now) = self.get(o.kind, &o.namespace, &o.name)? {
                    *o = now;
                }
                *finished = done(o);
            }
            if state.iter().all(|(_, f)| *f) || Instant::now() >= deadline {
                return Ok(state);
            }
            std::thread::sleep(every.min(deadline.saturating_duration_since(Instant::now())));
        }
    }
}

/// Whether the source handled the request `token`.
pub fn handled(o: &Live, token: &str) -> bool {
    o.str_at("status.lastHandledReconcileAt") == Some(token)
}
