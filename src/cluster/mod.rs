//! The live cluster: a kube client set up the way kubectl sets itself up
//! (`--kubeconfig`, `KUBECONFIG`, `--context`, in-cluster config), and the
//! image-automation objects of every dialect ([`kinds::KINDS`]) listed as
//! the API server returns them. Hands [`Live`] objects to the status view
//! ([`status`]) and their documents, as a workspace of their own, to the
//! model ([`live_workspace`]), so live objects are read by the same
//! readers as files.
//!
//! Everything async stays here: callers get a [`Cluster`] whose methods
//! block on a current-thread runtime.

pub mod apply;
pub mod diff;
pub mod kinds;
pub mod reconcile;
pub mod secrets;
pub mod status;

use std::path::PathBuf;

use kube::api::{Api, DynamicObject, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::ApiResource;
use serde_json::Value;

pub use kinds::{KINDS, Kind};

/// Why the cluster could not answer. Messages name the server and the
/// object, never a credential.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ClusterError {
    #[error("no usable cluster configuration: {0}")]
    #[diagnostic(
        code(imageupdate::cluster::config),
        help("pass --kubeconfig, set KUBECONFIG, or run inside a cluster")
    )]
    Config(String),
    #[error("cannot reach the cluster at {server}: {message}")]
    #[diagnostic(code(imageupdate::cluster::unreachable))]
    Unreachable { server: String, message: String },
    #[error("the API server refused to list {what}: {message}")]
    #[diagnostic(code(imageupdate::cluster::api))]
    Api { what: String, message: String },
    #[error("cannot start the client runtime: {0}")]
    #[diagnostic(code(imageupdate::cluster::runtime))]
    Runtime(String),
}

/// How to reach the cluster: kubectl's flags.
#[derive(Debug, Clone, Default)]
pub struct Connect {
    /// `--kubeconfig`; `None` reads `KUBECONFIG`, then `~/.kube/config`,
    /// then the in-cluster service account.
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
}

/// Which namespaces a listing covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Namespace(String),
}

/// One live object and the kind it was listed as.
#[derive(Debug, Clone)]
pub struct Live {
    pub kind: &'static Kind,
    pub namespace: String,
    pub name: String,
    /// The object as the API server returned it (`apiVersion`, `kind`,
    /// `metadata`, `spec`, `status`).
    pub object: Value,
}

impl Live {
    /// The value at a `.`-separated path below the object.
    pub fn at(&self, path: &str) -> Option<&Value> {
        path.split('.').try_fold(&self.object, |v, key| v.get(key))
    }

    pub fn str_at(&self, path: &str) -> Option<&str> {
        self.at(path).and_then(Value::as_str)
    }

    /// Whether this is an ImagePolicy over the ImageRepository `repo`
    /// (`imageRepositoryRef`, its namespace defaulting to the policy's).
    pub fn is_policy_of(&self, repo: &Live) -> bool {
        let ns = self
            .str_at("spec.imageRepositoryRef.namespace")
            .unwrap_or(&self.namespace);
        self.kind.kind == "ImagePolicy"
            && repo.kind.kind == "ImageRepository"
            && self.str_at("spec.imageRepositoryRef.name") == Some(repo.name.as_str())
            && ns == repo.namespace
    }
}

/// A connected client and the namespace the configuration names.
pub struct Cluster {
    runtime: tokio::runtime::Runtime,
    client: kube::Client,
    /// The context's namespace, else `default` (kubectl's rule).
    pub default_namespace: String,
    /// The API server's URL, for messages.
    pub server: String,
}

/// A client for code that runs its own runtime (the controller): the
/// same configuration rules as [`Cluster::connect`]. Call it inside the
/// runtime the client will be used on. Also returns the server's URL,
/// for messages, and the context's namespace.
pub async fn client(how: &Connect) -> Result<(kube::Client, String, String), ClusterError> {
    let config = config(how).await?;
    let server = config.cluster_url.to_string();
    let namespace = config.default_namespace.clone();
    let client = kube::Client::try_from(config).map_err(|e| ClusterError::Config(e.to_string()))?;
    Ok((client, server, namespace))
}

impl Cluster {
    pub fn connect(how: &Connect) -> Result<Self, ClusterError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ClusterError::Runtime(e.to_string()))?;
        let config = runtime.block_on(config(how))?;
        let server = config.cluster_url.to_string();
        let default_namespace = config.default_namespace.clone();
        let client = {
            // The client spawns its connection tasks on the runtime.
            let _guard = runtime.enter();
            kube::Client::try_from(config).map_err(|e| ClusterError::Config(e.to_string()))?
        };
        Ok(Self {
            runtime,
            client,
            default_namespace,
            server,
        })
    }

    /// Every object of `kind` in `scope` whose labels match `selector`.
    /// `Ok(None)` when the API server does not serve the kind (its CRD is
    /// not installed): nothing of it can exist.
    pub fn list(
        &self,
        kind: &'static Kind,
        scope: &Scope,
        selector: Option<&str>,
    ) -> Result<Option<Vec<Live>>, ClusterError> {
        let resource = resource(kind);
        let api: Api<DynamicObject> = match scope {
            Scope::All => Api::all_with(self.client.clone(), &resource),
            Scope::Namespace(ns) => self.namespaced(kind, ns),
        };
        let mut params = ListParams::default();
        if let Some(s) = selector {
            params = params.labels(s);
        }
        let listed = self.retrying(|| api.list(&params));
        let list = match listed {
            Ok(list) => list,
            Err(kube::Error::Api(e)) if e.code == 404 => return Ok(None),
            Err(e) => return Err(self.failure(&format!("{} ({})", kind.plural, kind.group), e)),
        };
        let mut out: Vec<Live> = list
            .items
            .into_iter()
            .filter_map(|o| {
                let namespace = o.metadata.namespace.clone().unwrap_or_default();
                let name = o.metadata.name.clone()?;
                let mut object = serde_json::to_value(&o).ok()?;
                if let Some(map) = object.as_object_mut() {
                    // Lists leave out each item's type; the model needs it.
                    map.insert("apiVersion".into(), kind.api_version().into());
                    map.insert("kind".into(), kind.kind.into());
                }
                Some(Live {
                    kind,
                    namespace,
                    name,
                    object,
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        Ok(Some(out))
    }

    /// One live object, `None` when absent or its kind is not served.
    pub fn get(
        &self,
        kind: &'static Kind,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Live>, ClusterError> {
        let api = self.namespaced(kind, namespace);
        match self.runtime.block_on(api.get_opt(name)) {
            Ok(found) => Ok(found.map(|o| Live {
                kind,
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                object: serde_json::to_value(&o).unwrap_or(Value::Null),
            })),
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(None),
            Err(e) => Err(self.failure(&format!("{}/{name}", kind.kind), e)),
        }
    }

    fn namespaced(&self, kind: &Kind, namespace: &str) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), namespace, &resource(kind))
    }

    /// Runs `call`, again after a pause when the API server says it is
    /// briefly unable to answer (429, 503: a CRD's storage that is still
    /// initialising, a server that is starting), up to four times.
    fn retrying<T, F: std::future::Future<Output = Result<T, kube::Error>>>(
        &self,
        call: impl Fn() -> F,
    ) -> Result<T, kube::Error> {
        let mut pause = std::time::Duration::from_millis(250);
        for _ in 0..3 {
            match self.runtime.block_on(call()) {
                Err(kube::Error::Api(e)) if e.code == 429 || e.code == 503 => {
                    std::thread::sleep(pause);
                    pause *= 2;
                }
                other => return other,
            }
        }
        self.runtime.block_on(call())
    }

    fn failure(&self, what: &str, e: kube::Error) -> ClusterError {
        failure(&self.server, what, e)
    }
}

/// A refusal of the API server about `what`, or no answer from `server`.
pub fn failure(server: &str, what: &str, e: kube::Error) -> ClusterError {
    match e {
        kube::Error::Api(s) => ClusterError::Api {
            what: what.to_owned(),
            message: s.message,
        },
        other => ClusterError::Unreachable {
            server: server.to_owned(),
            message: causes(&other),
        },
    }
}

async fn config(how: &Connect) -> Result<kube::Config, ClusterError> {
    let options = KubeConfigOptions {
        context: how.context.clone(),
        ..KubeConfigOptions::default()
    };
    let config = |e: &dyn std::fmt::Display| ClusterError::Config(e.to_string());
    match &how.kubeconfig {
        Some(path) => {
            let file = Kubeconfig::read_from(path).map_err(|e| {
                // The innermost cause says why (no such file, bad YAML).
                let why = std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source())
                    .last()
                    .map_or_else(String::new, ToString::to_string);
                ClusterError::Config(format!("cannot read {}: {why}", path.display()))
            })?;
            kube::Config::from_custom_kubeconfig(file, &options)
                .await
                .map_err(|e| config(&e))
        }
        None if how.context.is_some() => kube::Config::from_kubeconfig(&options)
            .await
            .map_err(|e| config(&e)),
        None => kube::Config::infer().await.map_err(|e| config(&e)),
    }
}

/// An error and its causes, each said once: hyper's "client error
/// (Connect)" alone does not say "connection refused".
pub fn causes(e: &dyn std::error::Error) -> String {
    let mut out: Vec<String> = Vec::new();
    for e in std::iter::successors(Some(e), |e| e.source()) {
        let s = e.to_string();
        if !out.iter().any(|o| o.contains(&s)) {
            out.push(s);
        }
    }
    out.join(": ")
}

pub fn resource(kind: &Kind) -> ApiResource {
    ApiResource {
        group: kind.group.to_owned(),
        version: kind.version.to_owned(),
        api_version: kind.api_version(),
        kind: kind.kind.to_owned(),
        plural: kind.plural.to_owned(),
    }
}

/// Live objects as a workspace of documents the model reads like files:
/// each object's `apiVersion`, `kind`, `metadata` (name, namespace,
/// labels, annotations) and `spec`, as JSON (which is YAML), at
/// `cluster/<namespace>/<plural>/<name>.yaml`.
pub fn live_workspace(objects: &[Live]) -> crate::discover::Workspace {
    let files = objects
        .iter()
        .map(|o| {
            let mut doc = serde_json::Map::new();
            for key in ["apiVersion", "kind", "spec"] {
                if let Some(v) = o.object.get(key) {
                    doc.insert(key.into(), v.clone());
                }
            }
            let mut meta = serde_json::Map::new();
            for key in ["name", "namespace", "labels", "annotations"] {
                if let Some(v) = o.at(&format!("metadata.{key}")) {
                    meta.insert(key.into(), v.clone());
                }
            }
            doc.insert("metadata".into(), Value::Object(meta));
            let text = serde_json::to_string_pretty(&Value::Object(doc)).unwrap_or_default();
            (live_path(o), text)
        })
        .collect();
    crate::discover::in_memory(files)
}

/// Where a live object sits in its workspace.
pub fn live_path(o: &Live) -> String {
    let ns = if o.namespace.is_empty() {
        "_cluster"
    } else {
        &o.namespace
    };
    format!("cluster/{ns}/{}/{}.yaml", o.kind.plural, o.name)
}

#[cfg(test)]
mod tests;
