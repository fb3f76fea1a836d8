//! controller: `kubectl imageupdate controller`, the bridge from the
//! KubeSphere `ImageUpdater` (gitops.kubesphere.io/v1alpha1) to the engine
//! that carries it out. It watches those objects in one namespace or all,
//! reads each into the model exactly as `validate` reads a file
//! ([`crate::cluster::live_workspace`], [`crate::check::run`]), writes the
//! engine's objects with the mapping `export` uses ([`crate::export::write`]:
//! kind argocd → Argo CD Image Updater `ImageUpdater` CR, kind fluxcd →
//! Flux ImageRepository, ImagePolicy, ImageUpdateAutomation), and
//! server-side-applies them under its own field manager with an owner
//! reference to the KubeSphere object, so the garbage collector removes
//! them with it. It hands the result back as the object's `status`
//! (`Ready` condition, `observedGeneration`, the generated objects,
//! validate's findings) and as Events when `Ready` changes.
//!
//! The pure half (what an object should produce: [`plan::plan`]) is
//! separate from the half that talks to the API server
//! ([`reconcile`]), so the mapping is unit-tested without a cluster.

pub mod findings;
pub mod health;
pub mod http;
pub mod leader;
pub mod log;
pub mod manifests;
pub mod plan;
pub mod reconcile;
pub mod status;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use kube::api::{Api, DynamicObject};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::watcher;

use crate::cluster::{ClusterError, Connect, Scope, kinds, resource};

/// The field manager the controller applies with, so its fields are
/// told apart from a person's `kubectl apply` and from `export --apply`.
pub const FIELD_MANAGER: &str = "kubectl-imageupdate-controller";

/// The label every generated object carries: the uid of the KubeSphere
/// object it was made from (uids fit a label value; names may not). The
/// owner reference decides; the label only narrows the lists.
pub const OWNER_LABEL: &str = "gitops.kubesphere.io/imageupdater-uid";

/// The kinds the controller may generate, and so prunes.
pub static GENERATED: [&kinds::Kind; 4] = [
    &kinds::ARGO_IMAGE_UPDATER,
    &kinds::IMAGE_REPOSITORY,
    &kinds::IMAGE_POLICY,
    &kinds::IMAGE_UPDATE_AUTOMATION,
];

/// Why the controller stopped (a bad object never stops it: that is
/// reported in the object's status).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ControllerError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Cluster(#[from] ClusterError),
    #[error(
        "the API server does not serve the KubeSphere ImageUpdater (gitops.kubesphere.io/v1alpha1)"
    )]
    #[diagnostic(
        code(imageupdate::controller::crd),
        help("install it first: kubectl imageupdate crd | kubectl apply --server-side -f -")
    )]
    NoCrd,
    #[error("cannot listen on {addr}: {message}")]
    #[diagnostic(code(imageupdate::controller::listen))]
    Listen { addr: String, message: String },
    /// Another replica leads now; this one stops (and is restarted).
    #[error("lost the leader lease")]
    #[diagnostic(code(imageupdate::controller::lease))]
    LostLease,
}

/// Leader election settings (`--leader-elect`).
#[derive(Debug, Clone)]
pub struct Election {
    /// The Lease's namespace; `None`: the configuration's namespace.
    pub namespace: Option<String>,
    pub name: String,
    pub duration: Duration,
}

/// How the controller runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The namespace watched, or all.
    pub scope: Scope,
    pub field_manager: String,
    /// Every object is reconciled again after this long even when nothing
    /// changed: drift on kinds that were not served at start (so not
    /// watched) is repaired, and a missing engine or Application is
    /// looked for again.
    pub resync: Duration,
    /// The longest pause between retries of an object whose reconcile
    /// failed (the API server did not answer); pauses double from 1 s.
    pub max_backoff: Duration,
    /// Reported as the Events' reporting instance (the pod's name).
    pub instance: String,
    /// Run only while holding this Lease.
    pub election: Option<Election>,
    /// Serve `/healthz` and `/readyz` here.
    pub health_addr: Option<String>,
    /// Kind argocd as a CR (default) or as annotations on the Application.
    pub argocd_mode: plan::ArgocdMode,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            scope: Scope::All,
            field_manager: FIELD_MANAGER.to_owned(),
            resync: Duration::from_secs(300),
            max_backoff: Duration::from_secs(300),
            instance: "kubectl-imageupdate-controller".to_owned(),
            election: None,
            health_addr: None,
            argocd_mode: plan::ArgocdMode::Crd,
        }
    }
}

/// What every reconcile shares.
pub struct Context {
    pub client: kube::Client,
    pub server: String,
    pub options: Options,
    pub recorder: Recorder,
    /// Consecutive failures per object (`namespace/name`), for the backoff.
    failures: Mutex<HashMap<String, u32>>,
}

impl Context {
    pub fn new(client: kube::Client, server: String, options: Options) -> Self {
        let recorder = Recorder::new(
            client.clone(),
            Reporter {
                controller: FIELD_MANAGER.to_owned(),
                instance: Some(options.instance.clone()),
            },
        );
        Self {
            client,
            server,
            options,
            recorder,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn failed(&self, key: &str) -> u32 {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let n = f.entry(key.to_owned()).or_insert(0);
        *n = n.saturating_add(1);
        *n
    }

    fn succeeded(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

/// The pause before retry `n` (1-based): 1 s, 2 s, 4 s … up to `max`.
pub fn backoff(n: u32, max: Duration) -> Duration {
    let exp = n.saturating_sub(1).min(20);
    Duration::from_secs(1u64 << exp).min(max)
}

/// Runs the controller until `shutdown` resolves (reconciles in flight
/// finish first), or, with leader election, until the Lease is lost.
pub async fn run(
    connect: &Connect,
    options: Options,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ControllerError> {
    let state = health::State::default();
    if let Some(addr) = &options.health_addr {
        health::serve(addr, state.clone()).await?;
    }
    let shutdown = shutdown.boxed().shared();
    let (client, server, default_namespace) = crate::cluster::client(connect).await?;
    if !reconcile::served(&client, &server, &kinds::KUBESPHERE_IMAGE_UPDATER).await? {
        return Err(ControllerError::NoCrd);
    }
    let elector = options.election.as_ref().map(|e| {
        Arc::new(leader::Elector::new(
            client.clone(),
            leader::LeaseOptions {
                namespace: e
                    .namespace
                    .clone()
                    .unwrap_or_else(|| default_namespace.clone()),
                name: e.name.clone(),
                identity: format!("{}_{}", options.instance, std::process::id()),
                duration: e.duration,
            },
        ))
    });
    if let Some(e) = &elector {
        state.set(health::STANDBY);
        tokio::select! {
            () = e.acquire() => {}
            () = shutdown.clone() => {
                state.set(health::STOPPING);
                return Ok(());
            }
        }
    }
    state.set(health::LEADING);

    // Stop on the signal, or when the Lease is lost.
    let lost = Arc::new(AtomicBool::new(false));
    let (stop_tx, stop_rx) = futures::channel::oneshot::channel::<()>();
    {
        let (lost, elector, shutdown) = (lost.clone(), elector.clone(), shutdown.clone());
        tokio::spawn(async move {
            let keep = async {
                match &elector {
                    Some(e) => e.keep().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = shutdown => {}
                () = keep => lost.store(true, Ordering::SeqCst),
            }
            let _ = stop_tx.send(());
        });
    }

    let ks = resource(&kinds::KUBESPHERE_IMAGE_UPDATER);
    let api: Api<DynamicObject> = scoped(&client, &options.scope, &ks);
    let mut controller = Controller::new_with(api, watcher::Config::default(), ks);
    // Generated objects are watched (a hand edit is repaired at once) when
    // their kind is served now; the resync covers kinds installed later.
    for kind in GENERATED {
        if reconcile::served(&client, &server, kind).await? {
            let r = resource(kind);
            controller = controller.owns_with(
                scoped(&client, &options.scope, &r),
                r,
                watcher::Config::default().labels(OWNER_LABEL),
            );
        } else {
            log::info(
                "engine kind not served; objects of it are not watched",
                &[("kind", kind.kind), ("group", kind.group)],
            );
        }
    }
    let scope = match &options.scope {
        Scope::All => "all namespaces".to_owned(),
        Scope::Namespace(ns) => ns.clone(),
    };
    log::info(
        "controller started",
        &[("server", &server), ("namespaces", &scope)],
    );
    let ctx = Arc::new(Context::new(client, server, options));
    controller
        .graceful_shutdown_on(stop_rx.map(|_| ()))
        .run(reconcile::reconcile, error_policy, ctx)
        .for_each(|result| async move {
            if let Err(e) = result {
                log::warn("controller", &[("error", &crate::cluster::causes(&e))]);
            }
        })
        .await;
    state.set(health::STOPPING);
    if lost.load(Ordering::SeqCst) {
        return Err(ControllerError::LostLease);
    }
    if let Some(e) = &elector {
        e.release().await;
    }
    log::info("controller stopped", &[]);
    Ok(())
}

fn scoped(
    client: &kube::Client,
    scope: &Scope,
    r: &kube::discovery::ApiResource,
) -> Api<DynamicObject> {
    match scope {
        Scope::All => Api::all_with(client.clone(), r),
        Scope::Namespace(ns) => Api::namespaced_with(client.clone(), ns, r),
    }
}

/// A reconcile that failed (the API server did not answer or refused
/// the status): retried after a doubling pause, at most `max_backoff`.
fn error_policy(
    obj: Arc<DynamicObject>,
    error: &reconcile::ReconcileError,
    ctx: Arc<Context>,
) -> Action {
    let key = reconcile::key(&obj);
    let n = ctx.failed(&key);
    let pause = backoff(n, ctx.options.max_backoff);
    log::warn(
        "reconcile failed; retrying",
        &[
            ("object", &key),
            ("error", &error.to_string()),
            ("attempt", &n.to_string()),
            ("retryIn", &format!("{pause:?}")),
        ],
    );
    Action::requeue(pause)
}

#[cfg(test)]
mod tests;
