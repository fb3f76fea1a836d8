//! `preview`: which tag every update target would move to, from the
//! registries (default) or an offline tags file (`--tags-from`). Parses
//! the flags into [`crate::registry::Options`], runs the preview, prints.

use std::path::PathBuf;
use std::time::Duration;

use super::{CliError, EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, print};
use crate::registry::{self, RegistryError, RegistrySource, cache};
use crate::report::preview as render;
use crate::resolve::TagSource;
use crate::resolve::tags::{TagsFile, TagsFileError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Table,
    Json,
    Yaml,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or folders to preview (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Repository root (default: the nearest folder above the first path
    /// holding `.git`, else the first path).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Resolve tags offline from this YAML file instead of a registry.
    #[arg(long, value_name = "FILE")]
    pub tags_from: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: Output,
    /// Exit 1 when some target would change.
    #[arg(long)]
    pub exit_code: bool,
    /// The Flux release whose controllers to follow (`MAJOR.MINOR`): which
    /// image API versions are served.
    #[arg(long = "flux", value_name = "VERSION", default_value = "2.9", value_parser = flux_version)]
    pub flux: crate::model::flux::FluxVersion,
    #[command(flatten)]
    pub argo: super::ArgoArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// How registries are reached (ignored with `--tags-from`).
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Registry access")]
pub struct RegistryArgs {
    /// Docker client config to read credentials from (default:
    /// $DOCKER_CONFIG/config.json, else ~/.docker/config.json).
    #[arg(long, value_name = "FILE")]
    pub docker_config: Option<PathBuf>,
    /// A Kubernetes Secret manifest (YAML or JSON) of type
    /// kubernetes.io/dockerconfigjson whose credentials come first.
    #[arg(long, value_name = "FILE")]
    pub pull_secret: Option<PathBuf>,
    /// Argo CD Image Updater registries.conf: endpoints by image prefix,
    /// credentials, rate limits.
    #[arg(long, value_name = "FILE")]
    pub registries_conf: Option<PathBuf>,
    /// Allow plain HTTP (and unverified TLS) to this registry host[:port];
    /// loopback registries are always allowed. Repeatable.
    #[arg(long, value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// PEM file of CA certificates to trust instead of the bundled roots.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Cache folder (default: $XDG_CACHE_HOME/kubectl-imageupdate, else
    /// ~/.cache/kubectl-imageupdate).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// How long cached tag lists and tag manifests stay fresh (Go duration).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = go_duration)]
    pub cache_ttl: Duration,
    /// Ignore cached tag lists and tag manifests (and store new ones).
    #[arg(long)]
    pub refresh: bool,
    /// Neither read nor write the cache.
    #[arg(long, conflicts_with = "refresh")]
    pub no_cache: bool,
    /// Timeout of one HTTP request, body included (Go duration).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = positive_duration)]
    pub timeout: Duration,
    /// Retries of a request after 429, 5xx, timeouts or dropped connections.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,
    /// Log every registry request (method, URL, status) to stderr.
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

/// `--flux 2.9` (`v2.9`, `2.9.1`).
pub(super) fn flux_version(s: &str) -> Result<crate::model::flux::FluxVersion, CliError> {
    crate::model::flux::FluxVersion::parse(s).ok_or_else(|| CliError::FluxVersion(s.to_owned()))
}

fn go_duration(s: &str) -> Result<Duration, CliError> {
    crate::gosyntax::duration::parse_go_duration(s)?
        .to_std()
        .ok_or_else(|| CliError::NegativeDuration(s.to_owned()))
}

pub(super) fn positive_duration(s: &str) -> Result<Duration, CliError> {
    let d = go_duration(s)?;
    if d.is_zero() {
        return Err(CliError::ZeroDuration);
    }
    Ok(d)
}

impl RegistryArgs {
    /// `kube` names the cluster whose Secrets `pullsecret:` and `secret:`
    /// references read (connected only when one is used).
    fn options(&self, kube: &super::KubeFlags) -> registry::Options {
        registry::Options {
            cluster_secrets: Some(std::sync::Arc::new(
                crate::cluster::secrets::LazySecrets::new(kube.connect()),
            )),
            registries_conf: self.registries_conf.clone(),
            docker_config: self.docker_config.clone(),
            pull_secret: self.pull_secret.clone(),
            insecure_registries: self.insecure_registry.clone(),
            ca_file: self.ca_file.clone(),
            cache_dir: self.cache_dir.clone(),
            cache_ttl: self.cache_ttl,
            cache_mode: if self.no_cache {
                cache::Mode::Off
            } else if self.refresh {
                cache::Mode::Refresh
            } else {
                cache::Mode::Normal
            },
            timeout: self.timeout,
            retries: self.retries,
            verbose: self.verbose,
            progress: registry::client::stderr_is_terminal(),
            ..registry::Options::default()
        }
    }
}

/// Why the tag source could not be set up (both print as `error: …`,
/// exit 2).
#[derive(Debug, thiserror::Error)]
pub(super) enum LoadError {
    #[error(transparent)]
    TagsFile(#[from] TagsFileError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// The tag source both `preview` and `apply` read.
pub(super) enum Source {
    File(TagsFile),
    Registry(Box<RegistrySource>),
}

impl Source {
    /// The tags file when one is named, else the registries.
    pub(super) fn load(
        tags_from: Option<&std::path::Path>,
        registry: &RegistryArgs,
        kube: &super::KubeFlags,
    ) -> Result<Self, LoadError> {
        Ok(match tags_from {
            Some(path) => Source::File(TagsFile::load(path)?),
            None => Source::Registry(Box::new(RegistrySource::new(registry.options(kube))?)),
        })
    }

    pub(super) fn as_dyn(&self) -> &dyn TagSource {
        match self {
            Source::File(f) => f,
            Source::Registry(r) => r.as_ref(),
        }
    }
}

pub fn run(args: Args, kube: &super::KubeFlags) -> u8 {
    let source = match Source::load(args.tags_from.as_deref(), &args.registry, kube) {
        Ok(s) => s,
        Err(err) => {
            eprintln!("error: {err}");
            return EXIT_ERROR;
        }
    };
    let (root, targets) = match super::validate::root_and_targets(&args.paths, args.root.as_deref())
    {
        Ok(v) => v,
        Err(msg) => {
            eprintln!("error: {msg}");
            return EXIT_ERROR;
        }
    };
    let (ws, model) = super::load_parsed_with(
        &root,
        &targets,
        &crate::model::Options {
            flux: args.flux,
            ..args.argo.options()
        },
    );
    let preview = crate::preview::run(&ws, &model, source.as_dyn());
    if let Source::Registry(r) = &source
        && args.registry.verbose
    {
        let (requests, retries) = r.request_counts();
        eprintln!("registry: {requests} requests, {retries} retries");
    }
    print(&match args.output {
        Output::Table => render::table(&preview.updates),
        Output::Json => render::json(&preview.updates, preview.argo.as_ref()),
        Output::Yaml => render::yaml(&preview.updates, preview.argo.as_ref()),
    });
    let changed = preview.updates.iter().filter(|u| u.changed).count();
    eprintln!("{} targets, {changed} would change", preview.updates.len());
    if let Some(argo) = &preview.argo {
        eprintln!("{}", argo.describe());
    }
    if !preview.source_failures.is_empty() {
        for f in &preview.source_failures {
            eprintln!("error: {f}");
        }
        return EXIT_ERROR;
    }
    if args.exit_code && changed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}
