//! `controller`: runs the KubeSphere ImageUpdater bridge until SIGTERM or
//! SIGINT (reconciles in flight finish first); `controller manifests`
//! prints what installs it.

use std::time::Duration;

use super::{EXIT_CLEAN, EXIT_ERROR, KubeFlags, print};
use crate::cluster::Scope;
use crate::controller::manifests::{self, ManifestOptions};
use crate::controller::plan::ArgocdMode;
use crate::controller::{self, Election, Options};
use crate::export::emit;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Sub>,
    /// Reconcile every object again after this long even when nothing
    /// changed (Go duration: 30s, 5m).
    #[arg(long, default_value = "5m", value_parser = super::preview::positive_duration)]
    pub resync: Duration,
    /// The longest pause between retries of a failed reconcile.
    #[arg(long, default_value = "5m", value_parser = super::preview::positive_duration)]
    pub max_backoff: Duration,
    /// Field manager of the generated objects and the status.
    #[arg(long, default_value = controller::FIELD_MANAGER)]
    pub field_manager: String,
    /// Watch every namespace (the default unless -n is given).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Reconcile only while holding a coordination.k8s.io Lease, so one of
    /// several replicas works and the others stand by.
    #[arg(long)]
    pub leader_elect: bool,
    /// The Lease's name.
    #[arg(long, default_value = manifests::NAME)]
    pub lease_name: String,
    /// The Lease's namespace (default: POD_NAMESPACE, else -n, else the
    /// kubeconfig's namespace).
    #[arg(long)]
    pub lease_namespace: Option<String>,
    /// How long a leader that stops renewing keeps the Lease.
    #[arg(long, default_value = "15s", value_parser = super::preview::positive_duration)]
    pub lease_duration: Duration,
    /// Serve /healthz and /readyz on this address (host:port).
    #[arg(long, value_name = "ADDR")]
    pub health_addr: Option<String>,
    /// How kind argocd is carried out.
    #[arg(long, value_enum, default_value = "crd")]
    pub argocd_mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// An Argo CD Image Updater ImageUpdater CR (v1.x), owned by the
    /// KubeSphere object.
    Crd,
    /// Image Updater annotations on the Application (what KubeSphere
    /// shipped), removed by a finalizer when the object is deleted.
    Annotations,
}

impl Mode {
    fn mode(self) -> ArgocdMode {
        match self {
            Mode::Crd => ArgocdMode::Crd,
            Mode::Annotations => ArgocdMode::Annotations,
        }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Print the Namespace, CRD, ServiceAccount, RBAC and Deployment that
    /// install the controller (pipe to `kubectl apply --server-side -f -`).
    /// With -n it watches only that namespace and needs only a Role there.
    Manifests(ManifestArgs),
}

#[derive(Debug, clap::Args)]
pub struct ManifestArgs {
    /// The container image holding kubectl-imageupdate.
    #[arg(long, default_value = concat!("kubectl-imageupdate:", env!("CARGO_PKG_VERSION")))]
    pub image: String,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
    pub output: super::crd::Output,
    /// The controller's --argocd-mode (annotations also lets it patch
    /// Applications and set its finalizer).
    #[arg(long, value_enum, default_value = "crd")]
    pub argocd_mode: Mode,
}

fn print_manifests(args: &ManifestArgs, kube: &KubeFlags) -> u8 {
    let options = ManifestOptions {
        namespace: kube
            .namespace
            .clone()
            .unwrap_or_else(|| manifests::DEFAULT_NAMESPACE.to_owned()),
        namespaced: kube.namespace.is_some(),
        image: args.image.clone(),
        annotations: args.argocd_mode == Mode::Annotations,
    };
    let docs = manifests::manifests(&options);
    print(&match args.output {
        super::crd::Output::Yaml => emit::yaml(&docs),
        super::crd::Output::Json => emit::json(&docs),
    });
    EXIT_CLEAN
}

pub fn run(args: Args, kube: &KubeFlags) -> u8 {
    if let Some(Sub::Manifests(m)) = &args.command {
        return print_manifests(m, kube);
    }
    let scope = match (&kube.namespace, args.all_namespaces) {
        (Some(ns), false) => Scope::Namespace(ns.clone()),
        _ => Scope::All,
    };
    let options = Options {
        scope,
        field_manager: args.field_manager,
        resync: args.resync,
        max_backoff: args.max_backoff,
        instance: std::env::var("POD_NAME")
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| controller::FIELD_MANAGER.to_owned()),
        election: args.leader_elect.then(|| Election {
            namespace: args
                .lease_namespace
                .clone()
                .or_else(|| std::env::var("POD_NAMESPACE").ok())
                .or_else(|| kube.namespace.clone()),
            name: args.lease_name.clone(),
            duration: args.lease_duration,
        }),
        health_addr: args.health_addr.clone(),
        argocd_mode: args.argocd_mode.mode(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return super::failed(&e),
    };
    let connect = kube.connect();
    let result = runtime.block_on(async {
        let shutdown = match terminated() {
            Ok(s) => s,
            Err(e) => return Err(e),
        };
        controller::run(&connect, options, shutdown)
            .await
            .map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => EXIT_CLEAN,
        Err(e) => {
            controller::log::error("controller failed", &[("error", &e)]);
            EXIT_ERROR
        }
    }
}

/// Resolves on the first SIGTERM or SIGINT.
pub(crate) fn terminated()
-> Result<impl std::future::Future<Output = ()> + Send + Sync + 'static, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        controller::log::info("shutting down", &[]);
    })
}
