//! Secrets for the registry client: `pullsecret:ns/name` and
//! `secret:ns/name#field` references read from the cluster the kubeconfig
//! names. Connects on the first reference, so a run that names none never
//! touches the cluster.

use std::sync::{Mutex, OnceLock};

use k8s_openapi::api::core::v1::Secret;
use kube::Api;

use super::{Cluster, Connect};
use crate::registry::credentials::ClusterSecrets;

#[derive(Debug)]
pub struct LazySecrets {
    how: Connect,
    /// The connection, or why there is none (said once per reference).
    cluster: OnceLock<Result<Mutex<Cluster>, super::ClusterError>>,
}

impl LazySecrets {
    pub fn new(how: Connect) -> Self {
        Self {
            how,
            cluster: OnceLock::new(),
        }
    }
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("server", &self.server)
            .finish()
    }
}

impl ClusterSecrets for LazySecrets {
    fn secret(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        let connected = self
            .cluster
            .get_or_init(|| Cluster::connect(&self.how).map(Mutex::new));
        let cluster = match connected {
            Ok(c) => c,
            Err(e) => return Err(e.to_string().into()),
        };
        // One request at a time on the current-thread runtime; registry
        // lookups may ask from several threads.
        let cluster = cluster.lock().unwrap_or_else(|e| e.into_inner());
        let api: Api<Secret> = Api::namespaced(cluster.client.clone(), namespace);
        let secret = cluster
            .runtime
            .block_on(api.get(name))
            .map_err(|e| match e {
                kube::Error::Api(s) => s.message,
                other => super::causes(&other),
            })?;
        Ok(serde_json::to_string(&secret)?)
    }
}
