//! `controller`: runs the KubeSphere ImageUpdater bridge until SIGTERM or
//! SIGINT (reconciles in flight finish first).

use std::time::Duration;

use super::{EXIT_CLEAN, EXIT_ERROR, KubeFlags};
use crate::cluster::Scope;
use crate::controller::{self, Options};

#[derive(Debug, clap::Args)]
pub struct Args {
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
}

pub fn run(args: Args, kube: &KubeFlags) -> u8 {
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
fn terminated() -> Result<impl std::future::Future<Output = ()> + Send + Sync + 'static, String> {
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
