//! Registry tag source: the OCI distribution API behind
//! [`crate::resolve::TagSource`]. [`RegistrySource`] lists each repository
//! once per run (concurrently, up front, when preview hands it the list)
//! and fetches manifests and configs only for the tags and the metadata a
//! strategy asks for ([`crate::resolve::Need`]): plain semver costs one tag
//! listing per repository and nothing else. Answers come from the on-disk
//! cache when fresh. A repository that fails is reported with its
//! registry, repository and HTTP status; the others go on.
//!
//! HTTP is `ureq` 3 (blocking, rustls) with our own small
//! distribution-protocol layer, not `oci-client`: `oci-client` is async
//! (tokio + reqwest, a runtime this synchronous CLI does not otherwise
//! need), its `list_tags` takes `n`/`last` but drops the response headers,
//! so `Link` pagination cannot be followed, and it has no hook for
//! `Retry-After`, per-request retries or a per-registry rate limit. What
//! we need from the protocol is small — tag lists, manifests, config
//! blobs, the token dance — and each piece is a short, tested parser here.
//! Concurrency is std threads with a per-endpoint semaphore.
//!
//! Files: [`endpoints`] (registries.conf, endpoint selection, plain-HTTP
//! rule), [`credentials`] (Docker config, helpers, pull-secret files,
//! Argo references), [`client`] (HTTP, retries, limits), [`auth`] (ping,
//! challenges, tokens), [`distribution`] (API calls, pagination),
//! [`manifest`] (media types, index/config parsing), [`cache`] (disk
//! cache), [`url`], [`error`] (the layer's [`RegistryError`]).

#![allow(clippy::disallowed_methods)] // an I/O module

pub mod auth;
pub mod cache;
pub mod client;
pub mod credentials;
pub mod distribution;
pub mod endpoints;
pub mod error;
pub mod manifest;
pub mod url;

pub use error::RegistryError;

use std::collections::HashMap;
use std::hash::Hash;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use auth::Session;
use cache::{DiskCache, Kind, Mode};
use client::{Client, Failure, HttpOptions, Stats};
use credentials::{CredentialRef, CredentialSources, DockerConfig};
use endpoints::{Registries, Route, TagSort};
use manifest::{ConfigInfo, ManifestInfo};

use crate::resolve::{Need, SourceError, TagInfo, TagSource, Timestamp, argo};

/// Threads listing repositories at once (each endpoint still caps its own
/// requests in flight at [`client::MAX_CONCURRENCY`]).
const PREFETCH_WORKERS: usize = 32;

/// Everything the command line says about registry access.
#[derive(Debug, Clone)]
pub struct Options {
    pub registries_conf: Option<PathBuf>,
    /// `--docker-config FILE` (else `$DOCKER_CONFIG` / `~/.docker`).
    pub docker_config: Option<PathBuf>,
    /// `--pull-secret FILE`: a Kubernetes dockerconfigjson Secret.
    pub pull_secret: Option<PathBuf>,
    pub insecure_registries: Vec<String>,
    pub ca_file: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub cache_ttl: Duration,
    pub cache_mode: Mode,
    pub timeout: Duration,
    pub retries: u32,
    /// First retry backoff (doubled per attempt, with jitter).
    pub backoff: Duration,
    pub verbose: bool,
    /// Draw a progress bar (the caller checks that stderr is a terminal).
    pub progress: bool,
    /// Reads `pullsecret:` and `secret:` references when a cluster is
    /// configured.
    pub cluster_secrets: Option<Arc<dyn credentials::ClusterSecrets>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            registries_conf: None,
            docker_config: None,
            pull_secret: None,
            insecure_registries: Vec::new(),
            ca_file: None,
            cache_dir: None,
            cache_ttl: Duration::from_secs(300),
            cache_mode: Mode::Normal,
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(200),
            verbose: false,
            progress: false,
            cluster_secrets: None,
        }
    }
}

/// A tag's manifest as cached: its digest and what it says.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct TagManifest {
    digest: String,
    manifest: ManifestInfo,
}

/// Compute-once values shared by threads (`get_or` blocks concurrent
/// callers of the same key until the first finishes).
struct Memo<K, V> {
    map: Mutex<HashMap<K, Arc<OnceLock<V>>>>,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    fn new() -> Self {
        Memo {
            map: Mutex::new(HashMap::new()),
        }
    }

    fn get_or(&self, key: K, f: impl FnOnce() -> V) -> V {
        let cell = self
            .map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .clone();
        cell.get_or_init(f).clone()
    }

    fn contains(&self, key: &K) -> bool {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .is_some_and(|c| c.get().is_some())
    }
}

/// The registry as a [`TagSource`].
pub struct RegistrySource {
    registries: Registries,
    http: Arc<HttpOptions>,
    sources: Arc<CredentialSources>,
    cache: DiskCache,
    stats: Arc<Stats>,
    progress: bool,
    /// Errors are shared: every repository on the endpoint reports the
    /// same one, and [`RegistryError`] holds I/O errors, which do not clone.
    clients: Memo<String, Result<Arc<Client>, Arc<RegistryError>>>,
    /// Keyed by endpoint, image registry and the image's own credential
    /// reference (images of one registry may name different secrets).
    sessions: Memo<(String, String, Option<CredentialRef>), Arc<Session>>,
    /// What [`TagSource::pull_secrets`] handed over, by route (registry,
    /// path).
    pull_secrets: Mutex<HashMap<(String, String), CredentialRef>>,
    tag_lists: Memo<String, Result<Vec<String>, SourceError>>,
    tag_manifests: Memo<String, Result<Option<TagManifest>, Failure>>,
    tag_digests: Memo<String, Result<Option<String>, Failure>>,
    manifests: Memo<String, Result<Option<ManifestInfo>, Failure>>,
    configs: Memo<String, Result<Option<ConfigInfo>, Failure>>,
}

impl RegistrySource {
    /// Reads every file the options name (an unreadable one is an error);
    /// an unreadable *default* Docker config only warns.
    pub fn new(opts: Options) -> Result<RegistrySource, RegistryError> {
        let registries = match &opts.registries_conf {
            Some(p) => Registries::load(p)?,
            None => Registries::builtin(),
        };
        let docker_config = match &opts.docker_config {
            Some(p) => Some(DockerConfig::load(p)?),
            None => DockerConfig::default_path()
                .filter(|p| p.is_file())
                .and_then(|p| match DockerConfig::load(&p) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        eprintln!("warning: ignoring docker config: {e}");
                        None
                    }
                }),
        };
        let pull_secret = opts
            .pull_secret
            .as_deref()
            .map(DockerConfig::from_secret_file)
            .transpose()?;
        let ca_certs = match &opts.ca_file {
            Some(p) => {
                let pem = std::fs::read(p).map_err(RegistryError::read("CA file", p))?;
                Some(client::load_pem_certs(&pem, &p.display().to_string())?)
            }
            None => None,
        };
        Ok(RegistrySource {
            registries,
            http: Arc::new(HttpOptions {
                timeout: opts.timeout,
                retries: opts.retries,
                backoff: opts.backoff,
                verbose: opts.verbose,
                insecure_registries: opts.insecure_registries.clone(),
                ca_certs,
            }),
            sources: Arc::new(CredentialSources {
                pull_secret,
                docker_config,
                cluster: opts.cluster_secrets.clone(),
            }),
            cache: DiskCache::new(opts.cache_dir.clone(), opts.cache_ttl, opts.cache_mode),
            stats: Arc::default(),
            progress: opts.progress && !opts.verbose,
            clients: Memo::new(),
            sessions: Memo::new(),
            pull_secrets: Mutex::default(),
            tag_lists: Memo::new(),
            tag_manifests: Memo::new(),
            tag_digests: Memo::new(),
            manifests: Memo::new(),
            configs: Memo::new(),
        })
    }

    /// Requests sent and retried so far.
    pub fn request_counts(&self) -> (u64, u64) {
        (
            self.stats.requests.load(Ordering::Relaxed),
            self.stats.retries.load(Ordering::Relaxed),
        )
    }

    fn client(&self, route: &Route) -> Result<Arc<Client>, Arc<RegistryError>> {
        let e = &route.endpoint;
        let key = format!("{}|{}", e.name, e.api_url);
        self.clients.get_or(key, || {
            let mut roots = Vec::new();
            if let Some(path) = &e.ca_file {
                let pem = std::fs::read(path).map_err(RegistryError::read("ca_file", path))?;
                roots.extend(client::load_pem_certs(&pem, &path.display().to_string())?);
            }
            if let Some(data) = &e.ca_data {
                roots.extend(client::load_pem_certs(data.as_bytes(), "ca_data")?);
            }
            Ok(Arc::new(Client::new(
                self.http.clone(),
                &e.api_url,
                e.limit,
                e.insecure,
                (!roots.is_empty()).then_some(roots),
                self.stats.clone(),
            )))
        })
    }

    fn session(&self, route: &Route) -> Result<Arc<Session>, Arc<RegistryError>> {
        let client = self.client(route)?;
        let image_ref = self
            .pull_secrets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(route.registry.clone(), route.path.clone()))
            .cloned();
        let key = (
            format!("{}|{}", route.endpoint.name, route.endpoint.api_url),
            route.registry.clone(),
            image_ref.clone(),
        );
        Ok(self.sessions.get_or(key, || {
            Arc::new(Session::new(
                client,
                route.endpoint.clone(),
                route.registry.clone(),
                self.sources.clone(),
                image_ref,
            ))
        }))
    }

    /// `registry X, repository Y: what failed`.
    fn failure(route: &Route, what: impl std::fmt::Display) -> SourceError {
        let api = &route.endpoint.api_url;
        let via = if api.authority == route.registry {
            String::new()
        } else {
            format!(" (via {})", api.origin())
        };
        SourceError::Failed(format!(
            "registry {}{via}, repository {}: {what}",
            route.registry, route.path
        ))
    }

    fn cache_key(route: &Route) -> String {
        format!("{}/v2/{}", route.endpoint.api_url.origin(), route.path)
    }

    /// Tag names in the registry's order (memoised, cached on disk).
    fn tag_names(&self, repository: &str) -> Result<Vec<String>, SourceError> {
        self.tag_lists.get_or(repository.to_owned(), || {
            let route = self
                .registries
                .route(repository)
                .map_err(|e| SourceError::Failed(format!("repository {repository}: {e}")))?;
            let key = Self::cache_key(&route);
            if let Some(tags) = self.cache.get::<Vec<String>>(Kind::Tags, &key) {
                return Ok(tags);
            }
            let session = self.session(&route).map_err(|e| Self::failure(&route, e))?;
            let tags = distribution::list_tags(&session, &route.path)
                .map_err(|f| Self::failure(&route, f))?;
            self.cache.put(Kind::Tags, &key, &tags);
            Ok(tags)
        })
    }

    fn tag_manifest(
        &self,
        route: &Route,
        session: &Session,
        tag: &str,
    ) -> Result<Option<TagManifest>, Failure> {
        let key = format!("{}/manifests/{tag}", Self::cache_key(route));
        self.tag_manifests.get_or(key.clone(), || {
            if let Some(tm) = self.cache.get::<TagManifest>(Kind::TagManifest, &key) {
                return Ok(Some(tm));
            }
            let Some(fetched) = distribution::get_manifest(session, &route.path, tag)? else {
                return Ok(None);
            };
            let manifest = manifest::parse_manifest(fetched.content_type.as_deref(), &fetched.body)
                .map_err(|e| Failure::new(format!("manifest of tag {tag}: {e}")))?;
            let tm = TagManifest {
                digest: fetched.digest,
                manifest,
            };
            self.cache.put(Kind::TagManifest, &key, &tm);
            Ok(Some(tm))
        })
    }

    /// A tag's digest alone (Flux digest reflection): from a full answer
    /// when one is known, else a HEAD.
    fn tag_digest(
        &self,
        route: &Route,
        session: &Session,
        tag: &str,
    ) -> Result<Option<String>, Failure> {
        let key = format!("{}/manifests/{tag}", Self::cache_key(route));
        if self.tag_manifests.contains(&key) {
            return Ok(self.tag_manifest(route, session, tag)?.map(|tm| tm.digest));
        }
        if let Some(tm) = self.cache.get::<TagManifest>(Kind::TagManifest, &key) {
            return Ok(Some(tm.digest));
        }
        self.tag_digests.get_or(key.clone(), || {
            if let Some(d) = self.cache.get::<String>(Kind::TagDigest, &key) {
                return Ok(Some(d));
            }
            let digest = distribution::head_manifest(session, &route.path, tag)?;
            if let Some(d) = &digest {
                self.cache.put(Kind::TagDigest, &key, d);
            }
            Ok(digest)
        })
    }

    fn manifest_by_digest(
        &self,
        route: &Route,
        session: &Session,
        digest: &str,
    ) -> Result<Option<ManifestInfo>, Failure> {
        self.manifests.get_or(digest.to_owned(), || {
            if let Some(m) = self.cache.get::<ManifestInfo>(Kind::Manifest, digest) {
                return Ok(Some(m));
            }
            let Some(fetched) = distribution::get_manifest(session, &route.path, digest)? else {
                return Ok(None);
            };
            let m = manifest::parse_manifest(fetched.content_type.as_deref(), &fetched.body)
                .map_err(|e| Failure::new(format!("manifest {digest}: {e}")))?;
            self.cache.put(Kind::Manifest, digest, &m);
            Ok(Some(m))
        })
    }

    fn config(
        &self,
        route: &Route,
        session: &Session,
        digest: &str,
    ) -> Result<Option<ConfigInfo>, Failure> {
        self.configs.get_or(digest.to_owned(), || {
            if let Some(c) = self.cache.get::<ConfigInfo>(Kind::Config, digest) {
                return Ok(Some(c));
            }
            let Some(body) = distribution::get_config_blob(session, &route.path, digest)? else {
                return Ok(None);
            };
            let c = manifest::parse_config(&body)
                .map_err(|e| Failure::new(format!("config {digest}: {e}")))?;
            self.cache.put(Kind::Config, digest, &c);
            Ok(Some(c))
        })
    }

    /// The metadata `need` asks for, for one tag. A tag whose manifest is
    /// gone (404) comes back with its name only, as Argo drops it.
    fn describe_one(
        &self,
        route: &Route,
        session: &Session,
        tag: &str,
        need: &Need,
    ) -> Result<TagInfo, Failure> {
        let mut info = TagInfo::new(tag);
        if !(need.created || need.platforms) {
            info.digest = self.tag_digest(route, session, tag)?;
            return Ok(info);
        }
        let Some(tm) = self.tag_manifest(route, session, tag)? else {
            return Ok(info);
        };
        info.digest = Some(tm.digest.clone());
        match &tm.manifest {
            ManifestInfo::Index { manifests } => {
                info.platforms = manifests.iter().filter_map(|e| e.platform()).collect();
                if need.created {
                    // Argo: the newest `created` among the manifests the
                    // platform filter accepts; only those are fetched.
                    let mut newest: Option<Timestamp> = None;
                    for entry in manifests {
                        let Some(p) = entry.platform() else { continue };
                        if !argo::matches_platform(&need.platform_filter, &[p]) {
                            continue;
                        }
                        let cfg = match self.manifest_by_digest(route, session, &entry.digest)? {
                            Some(ManifestInfo::Image { config }) => {
                                self.config(route, session, &config)?
                            }
                            Some(ManifestInfo::V1 { config }) => Some(config),
                            _ => None,
                        };
                        if let Some(created) = cfg.and_then(|c| c.created()) {
                            newest = newest.max(Some(created));
                        }
                    }
                    info.created = newest;
                }
            }
            ManifestInfo::Image { config } => {
                if let Some(cfg) = self.config(route, session, config)? {
                    info.created = cfg.created();
                    info.platforms = cfg.platform().into_iter().collect();
                }
            }
            ManifestInfo::V1 { config } => {
                info.created = config.created();
                info.platforms = config.platform().into_iter().collect();
            }
        }
        Ok(info)
    }

    fn bar(&self, len: usize, msg: &'static str) -> indicatif::ProgressBar {
        if !self.progress || len < 2 {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(len as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(msg);
        bar
    }
}

/// Runs `f` on every item with up to `workers` threads; results in order.
fn parallel<T: Sync, R: Send>(items: &[T], workers: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// Byte order, duplicates removed (registries list in storage order).
fn sorted(names: &[String]) -> Vec<String> {
    let mut out = names.to_vec();
    out.sort();
    out.dedup();
    out
}

impl TagSource for RegistrySource {
    fn pull_secrets(&self, by_repository: &[(String, String)]) {
        let mut known = self.pull_secrets.lock().unwrap_or_else(|e| e.into_inner());
        for (repository, reference) in by_repository {
            // A repository that does not route, or a malformed reference,
            // fails (or is reported by validate) where it is used.
            let (Ok(route), Ok((_, r))) = (
                self.registries.route(repository),
                credentials::parse_credential_ref(reference, false),
            ) else {
                continue;
            };
            known.entry((route.registry, route.path)).or_insert(r);
        }
    }

    fn tags(&self, repository: &str) -> Result<Vec<TagInfo>, SourceError> {
        Ok(sorted(&self.tag_names(repository)?)
            .into_iter()
            .map(TagInfo::new)
            .collect())
    }

    fn tags_with(&self, repository: &str, need: &Need) -> Result<Vec<TagInfo>, SourceError> {
        let names = self.tag_names(repository)?;
        if need.names_only() {
            return self.tags(repository);
        }
        let route = self
            .registries
            .route(repository)
            .map_err(|e| SourceError::Failed(format!("repository {repository}: {e}")))?;
        // A registry that lists tags in time order needs no manifests for
        // dates (Argo's `tagsortmode`): positions stand for them.
        if route.endpoint.tag_sort != TagSort::Unsorted && !need.digests {
            let n = names.len() as i64;
            let mut out: Vec<TagInfo> = names
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let secs = match route.endpoint.tag_sort {
                        TagSort::LatestFirst => n - i as i64,
                        _ => i as i64,
                    };
                    TagInfo {
                        created: Some(Timestamp { secs, nanos: 0 }),
                        ..TagInfo::new(t.clone())
                    }
                })
                .collect();
            out.sort_by(|a, b| a.tag.cmp(&b.tag));
            out.dedup_by(|a, b| a.tag == b.tag);
            return Ok(out);
        }
        let session = self.session(&route).map_err(|e| Self::failure(&route, e))?;
        let all = sorted(&names);
        let wanted: Vec<&String> = all.iter().filter(|t| need.wants(t)).collect();
        let bar = self.bar(wanted.len(), "reading manifests");
        let described = parallel(&wanted, client::MAX_CONCURRENCY, |tag| {
            let r = self.describe_one(&route, &session, tag, need);
            bar.inc(1);
            r
        });
        bar.finish_and_clear();
        let mut by_tag: HashMap<String, TagInfo> = HashMap::with_capacity(described.len());
        for r in described {
            let info = r.map_err(|f| Self::failure(&route, f))?;
            by_tag.insert(info.tag.clone(), info);
        }
        Ok(all
            .into_iter()
            .map(|t| by_tag.remove(&t).unwrap_or_else(|| TagInfo::new(t)))
            .collect())
    }

    fn prefetch(&self, repositories: &[String]) {
        let todo: Vec<&String> = repositories
            .iter()
            .filter(|r| !self.tag_lists.contains(*r))
            .collect();
        let bar = self.bar(todo.len(), "listing tags");
        parallel(&todo, PREFETCH_WORKERS, |repo| {
            let _ = self.tag_names(repo);
            bar.inc(1);
        });
        bar.finish_and_clear();
    }
}
