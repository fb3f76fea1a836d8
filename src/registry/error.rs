//! The registry layer's one error type, [`RegistryError`]: everything that
//! can go wrong before a request is sent (reading the files the options
//! name, `registries.conf`, Docker configs, pull secrets, credential
//! references and helpers, URLs, certificates) and in reading what a
//! registry answered (manifests, configs). HTTP failures themselves are
//! [`super::client::Failure`]s, which carry the status retries look at.
//!
//! Every message is what the CLI prints after `error: `, so the texts are
//! part of the interface (tests compare them). None holds a credential:
//! file contents, helper output and secret values are never quoted, and
//! URLs with user info are refused before they could be shown.

use std::path::PathBuf;

/// Why registry access could not be set up, or an answer not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum RegistryError {
    /// A file named on the command line or in `registries.conf`
    /// (`--docker-config`, `--pull-secret`, `--ca-file`, `ca_file`,
    /// `--registries-conf`) cannot be read.
    #[error("cannot read {what} {}: {source}", path.display())]
    #[diagnostic(
        code(imageupdate::registry::read),
        help("check that the file exists and is readable")
    )]
    Read {
        /// What the file is for, as messages name it (`docker config`).
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// `registries.conf` breaks one of Argo CD's rules (YAML syntax, an
    /// unknown key, a missing `name`/`api_url`, two entries without
    /// `prefix`, two defaults, a value of the wrong type). `at` is
    /// `file:line:column` (or less when the rule is about the whole file).
    #[error("{at}: {problem}")]
    #[diagnostic(
        code(imageupdate::registry::registries_conf),
        help("see Argo CD Image Updater's registries.conf format")
    )]
    RegistriesConf { at: String, problem: String },

    /// An entry's `api_url` is not a usable URL.
    #[error("{at}: registry {name:?}: api_url {source}")]
    #[diagnostic(code(imageupdate::registry::api_url))]
    ApiUrl {
        at: String,
        name: String,
        #[source]
        source: Box<RegistryError>,
    },

    /// An entry's `credentials` reference does not parse.
    #[error("{at}: {source}")]
    #[diagnostic(code(imageupdate::registry::credentials_ref))]
    EntryCredentials {
        at: String,
        #[source]
        source: Box<RegistryError>,
    },

    /// A Docker config file is not JSON.
    #[error("{origin}: not a docker config file: {source}")]
    #[diagnostic(code(imageupdate::registry::docker_config))]
    DockerConfigJson {
        origin: String,
        /// serde_json names line, column and the expected shape, never
        /// the content.
        #[source]
        source: serde_json::Error,
    },

    /// A Docker config file is JSON of the wrong shape (not an object, a
    /// field of the wrong type; the value is not quoted: it may be a
    /// secret).
    #[error("{origin}: not a docker config file: {problem}")]
    #[diagnostic(code(imageupdate::registry::docker_config))]
    DockerConfigShape {
        origin: String,
        problem: &'static str,
    },

    /// An `auths` entry's `auth` does not decode to `user:password`.
    #[error("{origin}: auths entry for {host}: {problem}")]
    #[diagnostic(code(imageupdate::registry::auths_entry))]
    AuthsEntry {
        origin: String,
        host: String,
        problem: &'static str,
    },

    /// A `--pull-secret` manifest is not YAML, holds no dockerconfigjson
    /// Secret, or its data is not base64 / UTF-8. `at` is `file` or
    /// `file:line`.
    #[error("{at}: {problem}")]
    #[diagnostic(
        code(imageupdate::registry::pull_secret),
        help(
            "pass a Secret of type kubernetes.io/dockerconfigjson, as `kubectl get secret -o yaml` prints it"
        )
    )]
    PullSecret { at: String, problem: String },

    /// A legacy `.dockercfg` value is not JSON.
    #[error("{origin}: {key} is not JSON: {source}")]
    #[diagnostic(code(imageupdate::registry::pull_secret))]
    PullSecretJson {
        origin: String,
        key: &'static str,
        #[source]
        source: serde_json::Error,
    },

    /// `credHelpers` or `credsStore` names a helper that is not a plain
    /// program-name suffix (it would run `docker-credential-<name>`).
    #[error("invalid credential helper name {helper:?}")]
    #[diagnostic(code(imageupdate::registry::helper_name))]
    HelperName { helper: String },

    /// A credential helper could not be run, or ran too long.
    #[error("credential helper {program}: {source}")]
    #[diagnostic(code(imageupdate::registry::helper))]
    Helper {
        program: String,
        #[source]
        source: Box<RegistryError>,
    },

    /// A credential helper exited with an error other than "not found"
    /// (its output is not quoted: it may hold anything).
    #[error("credential helper {program} failed for {server} ({status})")]
    #[diagnostic(code(imageupdate::registry::helper))]
    HelperFailed {
        program: String,
        server: String,
        status: String,
    },

    /// A credential helper answered without `Username` and `Secret`.
    #[error("credential helper {program} printed no JSON with Username and Secret")]
    #[diagnostic(code(imageupdate::registry::helper))]
    HelperOutput { program: String },

    /// A helper or `ext:` program could not be started.
    #[error("cannot run: {source}")]
    #[diagnostic(code(imageupdate::registry::program))]
    Spawn {
        #[source]
        source: std::io::Error,
    },

    /// Waiting for a helper or `ext:` program failed.
    #[error("cannot wait: {source}")]
    #[diagnostic(code(imageupdate::registry::program))]
    Wait {
        #[source]
        source: std::io::Error,
    },

    /// A helper or `ext:` program ran past [`super::credentials::HELPER_TIMEOUT`]
    /// and was killed.
    #[error("timed out after {secs}s")]
    #[diagnostic(code(imageupdate::registry::program))]
    Timeout { secs: u64 },

    /// An Argo credential reference does not have Argo's shape
    /// (`[registry=]type:definition`, both parts non-empty).
    #[error("invalid credential spec: {spec}")]
    #[diagnostic(
        code(imageupdate::registry::credential_spec),
        help("use env:VAR, ext:/path, pullsecret:namespace/name or secret:namespace/name#field")
    )]
    CredentialSpec { spec: String },

    /// An `ext:` reference with a relative path.
    #[error("invalid credential spec: {spec}: ext: needs an absolute path")]
    #[diagnostic(code(imageupdate::registry::credential_spec))]
    CredentialSpecExt { spec: String },

    /// A reference of a type Argo does not know.
    #[error("unknown credential source: {kind}")]
    #[diagnostic(
        code(imageupdate::registry::credential_spec),
        help("the sources are env, ext, pullsecret and secret")
    )]
    CredentialSource { kind: String },

    /// `env:VAR` names an unset variable.
    #[error("environment variable {var} is not set")]
    #[diagnostic(code(imageupdate::registry::credential_env))]
    EnvUnset { var: String },

    /// `env:VAR` holds something other than `user:password` (not quoted).
    #[error("environment variable {var} does not hold user:password")]
    #[diagnostic(code(imageupdate::registry::credential_env))]
    EnvNotUserPassword { var: String },

    /// An `ext:` program could not be run, or ran too long.
    #[error("{}: {source}", path.display())]
    #[diagnostic(code(imageupdate::registry::credential_ext))]
    Ext {
        path: PathBuf,
        #[source]
        source: Box<RegistryError>,
    },

    /// An `ext:` program exited with an error (its output is not quoted).
    #[error("{} failed ({status})", path.display())]
    #[diagnostic(code(imageupdate::registry::credential_ext))]
    ExtFailed { path: PathBuf, status: String },

    /// An `ext:` program's first line is not `user:password`.
    #[error("{} did not print user:password", path.display())]
    #[diagnostic(code(imageupdate::registry::credential_ext))]
    ExtOutput { path: PathBuf },

    /// `pullsecret:ns/name`: a cluster Secret, which an offline run cannot
    /// read.
    #[error(
        "pullsecret:{namespace}/{name} needs a Kubernetes cluster; pass the Secret's manifest with --pull-secret FILE"
    )]
    #[diagnostic(code(imageupdate::registry::needs_cluster))]
    ClusterPullSecret { namespace: String, name: String },

    /// `secret:ns/name#field`: a cluster Secret field, which an offline run
    /// cannot read.
    #[error(
        "secret:{namespace}/{name} needs a Kubernetes cluster; use env: or ext: credentials, or --pull-secret FILE"
    )]
    #[diagnostic(code(imageupdate::registry::needs_cluster))]
    ClusterSecret { namespace: String, name: String },

    /// A cluster Secret that could not be read (not there, no access, no
    /// cluster reachable).
    #[error("cannot read Secret {namespace}/{name} from the cluster: {source}")]
    #[diagnostic(code(imageupdate::registry::cluster_secret))]
    ClusterRead {
        namespace: String,
        name: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A URL without `scheme://`.
    #[error("{url:?} is not an absolute URL")]
    #[diagnostic(code(imageupdate::registry::url))]
    UrlNotAbsolute { url: String },

    /// A URL whose scheme is neither `http` nor `https`.
    #[error("{url:?}: only http and https URLs are supported")]
    #[diagnostic(code(imageupdate::registry::url))]
    UrlScheme { url: String },

    /// A URL with user info; the URL is not shown, as it holds a
    /// credential.
    #[error("URLs with user info are not accepted; give credentials separately")]
    #[diagnostic(
        code(imageupdate::registry::url_user_info),
        help("use --docker-config, --pull-secret or a credentials entry instead")
    )]
    UrlUserInfo,

    /// A URL with an empty host or one holding spaces or control
    /// characters.
    #[error("{url:?} has no valid host")]
    #[diagnostic(code(imageupdate::registry::url))]
    UrlHost { url: String },

    /// A plain-HTTP URL to a host the plain-HTTP rule does not allow
    /// (see [`super::endpoints`]).
    #[error(
        "refusing plain HTTP to {authority}: only loopback registries are contacted over http by default; pass --insecure-registry {authority} to allow it"
    )]
    #[diagnostic(code(imageupdate::registry::plain_http))]
    PlainHttp { authority: String },

    /// A PEM file (`--ca-file`, `ca_file`, `ca_data`) that does not parse.
    #[error("{origin}: {source}")]
    #[diagnostic(code(imageupdate::registry::certificates))]
    Pem {
        origin: String,
        #[source]
        source: ureq::Error,
    },

    /// A PEM file holding no certificate.
    #[error("{origin}: no PEM certificate found")]
    #[diagnostic(code(imageupdate::registry::certificates))]
    NoCertificate { origin: String },

    /// A repository name without a registry host and a path (repositories
    /// arrive normalised, so this is a caller's mistake, reported anyway).
    #[error("{repository:?} names no registry host and repository path")]
    #[diagnostic(code(imageupdate::registry::repository))]
    RepositoryName { repository: String },

    /// A manifest that is not JSON.
    #[error("malformed manifest JSON ({source})")]
    #[diagnostic(code(imageupdate::registry::manifest))]
    ManifestJson {
        #[source]
        source: serde_json::Error,
    },

    /// A schema-1 manifest without `history`.
    #[error("schema 1 manifest without history")]
    #[diagnostic(code(imageupdate::registry::manifest))]
    ManifestHistory,

    /// An image manifest whose `config` has no sha256 digest.
    #[error("manifest config has no sha256 digest")]
    #[diagnostic(code(imageupdate::registry::manifest))]
    ManifestConfigDigest,

    /// A manifest of a media type this tool does not read.
    #[error("unsupported manifest (media type {media_type:?})")]
    #[diagnostic(code(imageupdate::registry::manifest))]
    ManifestMediaType { media_type: String },

    /// An image config that is not JSON.
    #[error("malformed image config JSON ({source})")]
    #[diagnostic(code(imageupdate::registry::manifest))]
    ConfigJson {
        #[source]
        source: serde_json::Error,
    },
}

impl RegistryError {
    /// [`RegistryError::Read`] for `path`.
    pub(crate) fn read(
        what: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> RegistryError {
        let path = path.to_path_buf();
        move |source| RegistryError::Read { what, path, source }
    }
}
