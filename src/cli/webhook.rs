//! `webhook`: serves the validating admission webhook until SIGTERM or
//! SIGINT; `webhook cert` generates its certificates into a folder;
//! `webhook manifests` prints what installs it (in a cluster, or only the
//! configuration for a webhook reached by URL).

#![allow(clippy::disallowed_methods)] // an I/O module

use std::path::PathBuf;

use super::{EXIT_CLEAN, EXIT_ERROR, KubeFlags, print};
use crate::controller::log;
use crate::export::emit;
use crate::webhook::manifests::{self, ManifestOptions};
use crate::webhook::{WebhookError, cert, serve};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Sub>,
    /// Serve HTTPS here (host:port).
    #[arg(long, default_value = "0.0.0.0:9443", value_name = "ADDR")]
    pub addr: String,
    /// The folder holding tls.crt and tls.key (a kubernetes.io/tls Secret
    /// mounted as files, or what `webhook cert` wrote).
    #[arg(long, default_value = manifests::CERT_DIR, value_name = "DIR")]
    pub cert_dir: PathBuf,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Generate a CA and a serving certificate it signs into a folder
    /// (tls.crt, tls.key, ca.crt), for a webhook run outside a cluster.
    Cert(CertArgs),
    /// Print the Namespace, ServiceAccount, TLS Secret (a freshly generated
    /// certificate), Service, Deployment and ValidatingWebhookConfiguration
    /// (pipe to `kubectl apply --server-side -f -`). With --url, only the
    /// configuration, for a webhook served at that URL with --cert-dir's CA.
    Manifests(ManifestArgs),
}

#[derive(Debug, clap::Args)]
pub struct CertArgs {
    /// Where to write the files.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// A DNS name or IP address the certificate is for (repeatable).
    #[arg(long = "host", required = true, value_name = "NAME")]
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailurePolicy {
    /// Reject the request when the webhook does not answer.
    Fail,
    /// Let the request through when the webhook does not answer.
    Ignore,
}

#[derive(Debug, clap::Args)]
pub struct ManifestArgs {
    /// The container image holding kubectl-imageupdate.
    #[arg(long, default_value = concat!("kubectl-imageupdate:", env!("CARGO_PKG_VERSION")))]
    pub image: String,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
    pub output: super::crd::Output,
    /// What the API server does when the webhook does not answer.
    #[arg(long, value_enum, default_value = "fail")]
    pub failure_policy: FailurePolicy,
    /// Print only the configuration, calling the webhook at this URL
    /// (https://host:port/validate) and trusting ca.crt of --cert-dir.
    #[arg(long, requires = "cert_dir", value_name = "URL")]
    pub url: Option<String>,
    /// The folder `webhook cert` wrote (with --url).
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
}

fn print_manifests(args: &ManifestArgs, kube: &KubeFlags) -> Result<(), WebhookError> {
    let policy = match args.failure_policy {
        FailurePolicy::Fail => "Fail",
        FailurePolicy::Ignore => "Ignore",
    };
    let docs = match (&args.url, &args.cert_dir) {
        (Some(url), Some(dir)) => {
            let path = dir.join(cert::CA_FILE);
            let ca = std::fs::read_to_string(&path).map_err(|e| WebhookError::Io {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            vec![manifests::configuration(
                serde_json::json!({"url": url, "caBundle": manifests::ca_bundle(&ca)}),
                policy,
            )]
        }
        _ => manifests::manifests(&ManifestOptions {
            namespace: kube
                .namespace
                .clone()
                .unwrap_or_else(|| crate::controller::manifests::DEFAULT_NAMESPACE.to_owned()),
            image: args.image.clone(),
            failure_policy: policy,
        })?,
    };
    print(&match args.output {
        super::crd::Output::Yaml => emit::yaml(&docs),
        super::crd::Output::Json => emit::json(&docs),
    });
    Ok(())
}

pub fn run(args: Args, kube: &KubeFlags) -> u8 {
    let result = match &args.command {
        Some(Sub::Manifests(m)) => print_manifests(m, kube),
        Some(Sub::Cert(c)) => cert::generate(&c.hosts).and_then(|g| cert::write(&c.dir, &g)),
        None => serve_until_signal(&args),
    };
    match result {
        Ok(()) => EXIT_CLEAN,
        Err(e) => {
            if args.command.is_none() {
                log::error("webhook failed", &[("error", &e.to_string())]);
            } else {
                eprintln!("{:?}", miette::Report::new(e));
            }
            EXIT_ERROR
        }
    }
}

fn serve_until_signal(args: &Args) -> Result<(), WebhookError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| WebhookError::Listen {
            addr: args.addr.clone(),
            message: e.to_string(),
        })?;
    runtime.block_on(async {
        let shutdown = super::controller::terminated().map_err(|message| WebhookError::Listen {
            addr: args.addr.clone(),
            message,
        })?;
        serve::run(&args.addr, &args.cert_dir, shutdown).await
    })
}
