//! Where registry credentials come from, and nothing else: Docker client
//! configuration (`auths` with `auth`/`username`/`password`/tokens,
//! `credsStore`, `credHelpers` run as `docker-credential-<name> get`), a
//! Kubernetes `kubernetes.io/dockerconfigjson` (or legacy `dockercfg`)
//! Secret manifest read from a file, and Argo CD credential references
//! (`env:VAR`, `ext:/path`; `pullsecret:`/`secret:` need a cluster and are
//! reported as such). Hands on [`Credential`], whose secret parts are
//! [`Secret`]s that never print; the auth layer decides how to use them.
//! Failures are [`RegistryError`]s, which name files, hosts and programs
//! but never quote a file's content or a helper's output. Tests are in
//! `credentials/tests.rs`.

#![allow(clippy::disallowed_methods)] // an I/O module

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

use super::RegistryError;

/// How long a credential helper or `ext:` program may run (Argo: 10 s).
pub const HELPER_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on what a helper may print.
const HELPER_OUTPUT_LIMIT: usize = 64 * 1024;

/// A password or token. `Debug` and `Display` print `<redacted>`, so a
/// stray `{:?}` cannot leak it into a log or an error.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Credentials for one registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// User and password: HTTP Basic, or sent to a token server.
    Basic { username: String, password: Secret },
    /// An OAuth2 refresh token (`identitytoken`, or a helper answering with
    /// user `<token>`), exchanged at the token server.
    IdentityToken(Secret),
    /// A bearer token used as is (`registrytoken`).
    RegistryToken(Secret),
}

impl Credential {
    /// `user:password` as `env:`/`ext:` sources and Argo give it: split at
    /// the first `:`, both parts non-empty.
    pub fn from_user_password(s: &str) -> Option<Credential> {
        let (user, password) = s.trim().split_once(':')?;
        (!user.is_empty() && !password.is_empty()).then(|| Credential::Basic {
            username: user.to_owned(),
            password: Secret::new(password),
        })
    }
}

/// The key Docker files credentials under, reduced to a host: scheme and
/// path dropped, lowercase, Docker Hub's many names folded into
/// `docker.io`.
pub fn normalize_host(key: &str) -> String {
    let k = key.trim();
    let k = k
        .strip_prefix("https://")
        .or_else(|| k.strip_prefix("http://"))
        .unwrap_or(k);
    let host = k.split('/').next().unwrap_or(k).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_owned()
        }
        _ => host,
    }
}

/// The server name a helper or store is asked for: Docker Hub's historic
/// key for Docker Hub, the host otherwise.
fn server_for_store(host: &str) -> String {
    if host == "docker.io" {
        "https://index.docker.io/v1/".to_owned()
    } else {
        host.to_owned()
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
struct RawConfig {
    #[serde(default)]
    auths: Option<std::collections::BTreeMap<String, AuthEntry>>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: Option<std::collections::BTreeMap<String, String>>,
}

/// A Docker client configuration (or the `.dockerconfigjson` of a Secret).
#[derive(Clone, Default)]
pub struct DockerConfig {
    /// Where it came from, for messages.
    origin: String,
    auths: Vec<(String, AuthEntry)>,
    creds_store: Option<String>,
    cred_helpers: Vec<(String, String)>,
}

impl fmt::Debug for DockerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DockerConfig")
            .field("origin", &self.origin)
            .field(
                "auths",
                &self.auths.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("creds_store", &self.creds_store)
            .field("cred_helpers", &self.cred_helpers)
            .finish()
    }
}

impl DockerConfig {
    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(dir).join("config.json"));
        }
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".docker").join("config.json"))
    }

    /// Reads a config file. Errors never quote the file's content.
    pub fn load(path: &Path) -> Result<DockerConfig, RegistryError> {
        let text =
            std::fs::read_to_string(path).map_err(RegistryError::read("docker config", path))?;
        DockerConfig::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, origin: &str) -> Result<DockerConfig, RegistryError> {
        let shape = |problem| RegistryError::DockerConfigShape {
            origin: origin.to_owned(),
            problem,
        };
        // serde_json's messages name line/column and the expected shape,
        // never the content.
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|source| RegistryError::DockerConfigJson {
                origin: origin.to_owned(),
                source,
            })?;
        if !value.is_object() {
            return Err(shape("not a JSON object"));
        }
        // Type errors would quote values, which may be secrets: not shown.
        let raw: RawConfig =
            serde_json::from_value(value).map_err(|_| shape("a field has the wrong type"))?;
        Ok(DockerConfig {
            origin: origin.to_owned(),
            auths: raw.auths.unwrap_or_default().into_iter().collect(),
            creds_store: raw.creds_store.filter(|s| !s.is_empty()),
            cred_helpers: raw.cred_helpers.unwrap_or_default().into_iter().collect(),
        })
    }

    /// Reads a Kubernetes Secret manifest (YAML or JSON, one or more
    /// documents) of type `kubernetes.io/dockerconfigjson` (`.dockerconfigjson`
    /// under `data`, base64, or `stringData`) or the legacy
    /// `kubernetes.io/dockercfg` (`.dockercfg`). Helpers named in a Secret
    /// are ignored: a Secret carries credentials, not programs to run.
    pub fn from_secret_file(path: &Path) -> Result<DockerConfig, RegistryError> {
        let text =
            std::fs::read_to_string(path).map_err(RegistryError::read("pull secret", path))?;
        DockerConfig::from_secret(&text, &path.display().to_string())
    }

    pub fn from_secret(text: &str, origin: &str) -> Result<DockerConfig, RegistryError> {
        let bad = |at: String, problem: String| RegistryError::PullSecret { at, problem };
        let y = crate::yaml::parse(text);
        if let Some(e) = &y.error {
            let lc = y.lines.line_col(text, e.span.start);
            return Err(bad(
                format!("{origin}:{}", lc.line),
                format!("not YAML or JSON: {}", e.message),
            ));
        }
        let mut out = DockerConfig {
            origin: origin.to_owned(),
            ..DockerConfig::default()
        };
        let mut found = false;
        for root in y.roots() {
            if y.path_str(root, &["kind"]) != Some("Secret") {
                continue;
            }
            for (key, legacy) in [(".dockerconfigjson", false), (".dockercfg", true)] {
                let encoded = y.path(root, &["data", key]).and_then(|n| y.str(n));
                let plain = y.path(root, &["stringData", key]).and_then(|n| y.str(n));
                let json = match (plain, encoded) {
                    (Some(p), _) => p.to_owned(),
                    (None, Some(b64)) => {
                        let bytes = decode_base64(b64).ok_or_else(|| {
                            bad(origin.to_owned(), format!("data.{key} is not valid base64"))
                        })?;
                        String::from_utf8(bytes).map_err(|_| {
                            bad(origin.to_owned(), format!("data.{key} is not UTF-8"))
                        })?
                    }
                    (None, None) => continue,
                };
                let json = if legacy {
                    // `.dockercfg` is the `auths` map itself.
                    let v: serde_json::Value = serde_json::from_str(&json).map_err(|source| {
                        RegistryError::PullSecretJson {
                            origin: origin.to_owned(),
                            key,
                            source,
                        }
                    })?;
                    serde_json::json!({ "auths": v }).to_string()
                } else {
                    json
                };
                let one = DockerConfig::parse(&json, origin)?;
                found = true;
                for (k, v) in one.auths {
                    if !out.auths.iter().any(|(have, _)| have == &k) {
                        out.auths.push((k, v));
                    }
                }
            }
        }
        if !found {
            return Err(bad(
                origin.to_owned(),
                "no Secret with data or stringData .dockerconfigjson (or .dockercfg)".to_owned(),
            ));
        }
        Ok(out)
    }

    /// Credentials for the first of `hosts` (registry host names, any
    /// spelling) this configuration knows. Docker's order: a `credHelpers`
    /// entry, then `credsStore`, then `auths`. A helper that reports "not
    /// found" is no answer; a helper that fails is an error.
    pub fn lookup(&self, hosts: &[&str]) -> Result<Option<Credential>, RegistryError> {
        for host in hosts {
            let host = normalize_host(host);
            if let Some((key, helper)) = self
                .cred_helpers
                .iter()
                .find(|(k, _)| normalize_host(k) == host)
            {
                if let Some(c) = run_helper(helper, key)? {
                    return Ok(Some(c));
                }
                continue;
            }
            if let Some(store) = &self.creds_store
                && let Some(c) = run_helper(store, &server_for_store(&host))?
            {
                return Ok(Some(c));
            }
            if let Some((_, entry)) = self.auths.iter().find(|(k, _)| normalize_host(k) == host)
                && let Some(c) =
                    entry_credential(entry).map_err(|problem| RegistryError::AuthsEntry {
                        origin: self.origin.clone(),
                        host: host.clone(),
                        problem,
                    })?
            {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(&s)
        .or_else(|_| STANDARD_NO_PAD.decode(s.trim_end_matches('=')))
        .ok()
}

/// The credential an `auths` entry holds; the error says what is wrong
/// with it without quoting it ([`RegistryError::AuthsEntry`] adds where).
fn entry_credential(e: &AuthEntry) -> Result<Option<Credential>, &'static str> {
    let nonempty = |s: &Option<String>| s.as_deref().filter(|v| !v.is_empty()).map(str::to_owned);
    if let Some(t) = nonempty(&e.registrytoken) {
        return Ok(Some(Credential::RegistryToken(Secret::new(t))));
    }
    if let Some(t) = nonempty(&e.identitytoken) {
        return Ok(Some(Credential::IdentityToken(Secret::new(t))));
    }
    if let Some(auth) = nonempty(&e.auth) {
        let bytes = decode_base64(&auth).ok_or("`auth` is not valid base64")?;
        let text = String::from_utf8(bytes).map_err(|_| "`auth` is not UTF-8")?;
        let (user, password) = text
            .split_once(':')
            .ok_or("`auth` does not decode to user:password")?;
        return Ok(Some(Credential::Basic {
            username: user.to_owned(),
            password: Secret::new(password.trim_end_matches(['\n', '\r'])),
        }));
    }
    match (nonempty(&e.username), nonempty(&e.password)) {
        (Some(u), Some(p)) => Ok(Some(Credential::Basic {
            username: u,
            password: Secret::new(p),
        })),
        _ => Ok(None),
    }
}

/// Runs `docker-credential-<helper> get` with `server` on stdin (Docker's
/// credential helper protocol).
fn run_helper(helper: &str, server: &str) -> Result<Option<Credential>, RegistryError> {
    if helper.is_empty()
        || !helper
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(RegistryError::HelperName {
            helper: helper.to_owned(),
        });
    }
    let program = format!("docker-credential-{helper}");
    let out =
        run_bounded(Command::new(&program).arg("get"), Some(server.as_bytes())).map_err(|e| {
            RegistryError::Helper {
                program: program.clone(),
                source: Box::new(e),
            }
        })?;
    if !out.success {
        let said = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase()
            + &String::from_utf8_lossy(&out.stderr).to_ascii_lowercase();
        if said.contains("credentials not found") || said.contains("not found in native keychain") {
            return Ok(None);
        }
        // The helper's output is not quoted: it may hold anything.
        return Err(RegistryError::HelperFailed {
            program,
            server: server.to_owned(),
            status: out.status,
        });
    }
    #[derive(serde::Deserialize)]
    struct HelperAnswer {
        #[serde(rename = "Username", default)]
        username: String,
        #[serde(rename = "Secret", default)]
        secret: String,
    }
    let a: HelperAnswer =
        serde_json::from_slice(&out.stdout).map_err(|_| RegistryError::HelperOutput { program })?;
    if a.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(if a.username == "<token>" {
        Credential::IdentityToken(Secret::new(a.secret))
    } else {
        Credential::Basic {
            username: a.username,
            password: Secret::new(a.secret),
        }
    }))
}

struct ProgramOutput {
    success: bool,
    status: String,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs a program with a time limit and bounded output; kills it on
/// timeout.
fn run_bounded(cmd: &mut Command, stdin: Option<&[u8]>) -> Result<ProgramOutput, RegistryError> {
    let mut child = cmd
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| RegistryError::Spawn { source })?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A helper that exits without reading gives EPIPE: not our error.
        let _ = pipe.write_all(input);
    }
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .map(|pipe| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(p) = pipe {
                let _ = p.take(HELPER_OUTPUT_LIMIT as u64).read_to_end(&mut buf);
            }
            buf
        })
    })
    .collect();
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() < HELPER_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RegistryError::Timeout {
                    secs: HELPER_TIMEOUT.as_secs(),
                });
            }
            Err(source) => return Err(RegistryError::Wait { source }),
        }
    };
    let mut outputs = readers.into_iter().map(|h| h.join().unwrap_or_default());
    Ok(ProgramOutput {
        success: status.success(),
        status: status.to_string(),
        stdout: outputs.next().unwrap_or_default(),
        stderr: outputs.next().unwrap_or_default(),
    })
}

/// Every place credentials may come from, in precedence order: the
/// `--pull-secret` Secret, the endpoint's `credentials` reference from
/// registries.conf, then the Docker configuration (`--docker-config`, else
/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`).
#[derive(Debug, Default)]
pub struct CredentialSources {
    pub pull_secret: Option<DockerConfig>,
    pub docker_config: Option<DockerConfig>,
    /// Where `pullsecret:` and `secret:` references are read when a
    /// cluster is configured.
    pub cluster: Option<std::sync::Arc<dyn ClusterSecrets>>,
}

/// Reads a Secret from the cluster: the object as JSON. Implemented by
/// the cluster layer, so the registry client needs no Kubernetes client.
pub trait ClusterSecrets: Send + Sync + std::fmt::Debug {
    fn secret(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<String, Box<dyn std::error::Error + Send + Sync>>;
}

impl CredentialSources {
    /// Credentials for images of `registry` served by the endpoint at
    /// `api_authority`; Docker-style files are looked up under the image's
    /// registry host first, then under the API host.
    pub fn for_registry(
        &self,
        registry: &str,
        api_authority: &str,
        endpoint_ref: Option<&CredentialRef>,
    ) -> Result<Option<Credential>, RegistryError> {
        let hosts = [registry, api_authority];
        if let Some(secret) = &self.pull_secret
            && let Some(c) = secret.lookup(&hosts)?
        {
            return Ok(Some(c));
        }
        if let Some(r) = endpoint_ref {
            return r.resolve(&hosts, self.cluster.as_deref());
        }
        match &self.docker_config {
            Some(cfg) => cfg.lookup(&hosts),
            None => Ok(None),
        }
    }

    /// Credentials for one repository whose image names `image_ref`
    /// (Argo `pull-secret`, Flux `secretRef`, KubeSphere `secret`): that
    /// reference first, as the controller reads it; when it cannot be
    /// read (no cluster, no such Secret) a warning says so and the
    /// registry's own credentials are used, as when it holds no entry for
    /// these hosts.
    pub fn for_image(
        &self,
        registry: &str,
        api_authority: &str,
        image_ref: &CredentialRef,
        endpoint_ref: Option<&CredentialRef>,
    ) -> Result<Option<Credential>, RegistryError> {
        match image_ref.resolve(&[registry, api_authority], self.cluster.as_deref()) {
            Ok(Some(c)) => return Ok(Some(c)),
            Ok(None) => {}
            Err(e) => eprintln!(
                "warning: {registry}: the pull secret the repository names is not used: {e}"
            ),
        }
        self.for_registry(registry, api_authority, endpoint_ref)
    }
}

/// An Argo CD credential reference (`credentials:` in registries.conf).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CredentialRef {
    /// `env:VAR` holding `user:password`.
    Env(String),
    /// `ext:/abs/path`: a program printing `user:password`.
    Ext(PathBuf),
    /// `pullsecret:ns/name`: a cluster Secret (not readable offline).
    PullSecret { namespace: String, name: String },
    /// `secret:ns/name#field`: a cluster Secret field (not readable offline).
    Secret {
        namespace: String,
        name: String,
        field: String,
    },
}

/// Argo's `ParseCredentialSource`: an optional `<registry>=` prefix
/// (required when `require_registry`), then `<type>:<definition>` split on
/// `:` into exactly two non-empty parts.
pub fn parse_credential_ref(
    s: &str,
    require_registry: bool,
) -> Result<(Option<String>, CredentialRef), RegistryError> {
    let invalid = || RegistryError::CredentialSpec { spec: s.to_owned() };
    let (registry, def) = match s.split_once('=') {
        Some((r, d)) if !r.is_empty() && !d.is_empty() => (Some(r.to_owned()), d),
        _ if require_registry => return Err(invalid()),
        _ => (None, s),
    };
    let parts: Vec<&str> = def.split(':').collect();
    if parts.len() != 2 || parts[0].is_empty() || parts[1].is_empty() {
        return Err(invalid());
    }
    let body = parts[1];
    let two = |text: &str, sep: char| -> Option<(String, String)> {
        let (a, b) = text.split_once(sep)?;
        (!a.is_empty() && !b.is_empty() && !b.contains(sep)).then(|| (a.to_owned(), b.to_owned()))
    };
    let r = match parts[0].to_ascii_lowercase().as_str() {
        "env" => CredentialRef::Env(body.to_owned()),
        "ext" => {
            if !body.starts_with('/') {
                return Err(RegistryError::CredentialSpecExt { spec: s.to_owned() });
            }
            CredentialRef::Ext(PathBuf::from(body))
        }
        "pullsecret" => {
            let (namespace, name) = two(body, '/').ok_or_else(invalid)?;
            CredentialRef::PullSecret { namespace, name }
        }
        "secret" => {
            let (path, field) = two(body, '#').ok_or_else(invalid)?;
            let (namespace, name) = two(&path, '/').ok_or_else(invalid)?;
            CredentialRef::Secret {
                namespace,
                name,
                field,
            }
        }
        other => {
            return Err(RegistryError::CredentialSource {
                kind: other.to_owned(),
            });
        }
    };
    Ok((registry, r))
}

impl CredentialRef {
    /// Reads the credential for `hosts` (a pull secret may hold several
    /// registries). Cluster references are read from `cluster` when one is
    /// configured; offline they say so (use `--pull-secret FILE` with the
    /// Secret's manifest). `None`: a pull secret without these hosts.
    pub fn resolve(
        &self,
        hosts: &[&str],
        cluster: Option<&dyn ClusterSecrets>,
    ) -> Result<Option<Credential>, RegistryError> {
        match self {
            CredentialRef::Env(var) => {
                let v =
                    std::env::var(var).map_err(|_| RegistryError::EnvUnset { var: var.clone() })?;
                Credential::from_user_password(&v)
                    .map(Some)
                    .ok_or_else(|| RegistryError::EnvNotUserPassword { var: var.clone() })
            }
            CredentialRef::Ext(path) => {
                let out =
                    run_bounded(&mut Command::new(path), None).map_err(|e| RegistryError::Ext {
                        path: path.clone(),
                        source: Box::new(e),
                    })?;
                if !out.success {
                    return Err(RegistryError::ExtFailed {
                        path: path.clone(),
                        status: out.status,
                    });
                }
                let text = String::from_utf8_lossy(&out.stdout);
                let line = text.lines().next().unwrap_or("");
                Credential::from_user_password(line)
                    .map(Some)
                    .ok_or_else(|| RegistryError::ExtOutput { path: path.clone() })
            }
            CredentialRef::PullSecret { namespace, name } => {
                let Some(cluster) = cluster else {
                    return Err(RegistryError::ClusterPullSecret {
                        namespace: namespace.clone(),
                        name: name.clone(),
                    });
                };
                let text = read_secret(cluster, namespace, name)?;
                let origin = format!("pullsecret:{namespace}/{name}");
                DockerConfig::from_secret(&text, &origin)?.lookup(hosts)
            }
            CredentialRef::Secret {
                namespace,
                name,
                field,
            } => {
                let Some(cluster) = cluster else {
                    return Err(RegistryError::ClusterSecret {
                        namespace: namespace.clone(),
                        name: name.clone(),
                    });
                };
                let text = read_secret(cluster, namespace, name)?;
                let at = format!("secret:{namespace}/{name}#{field}");
                let bad = |problem: &str| RegistryError::PullSecret {
                    at: at.clone(),
                    problem: problem.to_owned(),
                };
                let secret: serde_json::Value =
                    serde_json::from_str(&text).map_err(|_| bad("not a Secret"))?;
                let encoded = secret
                    .pointer(&format!(
                        "/data/{}",
                        field.replace('~', "~0").replace('/', "~1")
                    ))
                    .and_then(serde_json::Value::as_str)
                    .ok_or_else(|| bad("the Secret has no such field"))?;
                let bytes = decode_base64(encoded).ok_or_else(|| bad("the field is not base64"))?;
                let value = String::from_utf8(bytes).map_err(|_| bad("the field is not UTF-8"))?;
                Credential::from_user_password(value.trim_end())
                    .map(Some)
                    .ok_or_else(|| bad("the field is not user:password"))
            }
        }
    }
}

fn read_secret(
    cluster: &dyn ClusterSecrets,
    namespace: &str,
    name: &str,
) -> Result<String, RegistryError> {
    cluster
        .secret(namespace, name)
        .map_err(|source| RegistryError::ClusterRead {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests;
