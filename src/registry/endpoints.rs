//! Which API endpoint serves a repository: Argo CD Image Updater's
//! `registries.conf` (parsed strictly, as Argo does), its built-in Docker
//! Hub entry, its selection rules, and the plain-HTTP rule. Hands on a
//! [`Route`]: the endpoint (shared, so rate limits and tokens are per
//! endpoint) and the repository path to use on its API.
//!
//! Selection, for a normalised repository `host/path`:
//! 1. Docker Hub (`docker.io/...`): a configured `prefix: docker.io` entry,
//!    else the `default: true` entry, else the built-in Docker Hub entry.
//!    (Argo sends images written without a registry to the default entry
//!    and `docker.io/...` to the `docker.io` entry; repositories arrive
//!    here normalised, so both spellings follow the rule above.)
//! 2. An entry whose prefix equals the host.
//! 3. The entry whose prefix is the longest string prefix of `host/path`.
//! 4. Else an inferred endpoint `https://host`, rate limit 20/s.
//!
//! `defaultns` is prepended to one-component paths. Rate limits: built-in
//! Docker Hub 10/s, inferred 20/s, a configured entry without `limit` (or
//! `limit <= 0`) unlimited — Argo's code defaults.
//!
//! Plain HTTP is allowed only to loopback hosts (`localhost`,
//! `127.0.0.0/8`, `::1`), to hosts named with `--insecure-registry`, and to
//! entries marked `insecure: true`; an `http://` `api_url` anywhere else is
//! refused. `insecure` also skips TLS verification, as in Argo.

#![allow(clippy::disallowed_methods)] // an I/O module

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::RegistryError;
use super::credentials::{CredentialRef, parse_credential_ref};
use super::url::{Url, is_loopback, split_host_port};
use crate::yaml::{NodeId, NodeKind, Yaml};

pub const DOCKER_HUB: &str = "docker.io";
pub const DOCKER_HUB_API: &str = "https://registry-1.docker.io";
/// Argo's `RateLimitDefault` for the built-in Docker Hub entry.
pub const DOCKER_HUB_LIMIT: u32 = 10;
/// Argo's limit for a registry inferred from an image prefix.
pub const INFERRED_LIMIT: u32 = 20;

/// `tagsortmode`: whether the registry lists tags in time order (then
/// newest-build needs no manifests; dates come from positions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum TagSort {
    #[default]
    Unsorted,
    LatestFirst,
    LatestLast,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    BuiltIn,
    Configured,
    Inferred,
}

/// One registry API endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub name: String,
    pub prefix: Option<String>,
    /// The base URL; `/v2/...` is appended.
    pub api_url: Url,
    pub credentials: Option<CredentialRef>,
    /// Accepted for compatibility; a preview run is too short to need it.
    pub credsexpire: Option<Duration>,
    pub defaultns: Option<String>,
    pub default: bool,
    /// Skip TLS verification (and allow plain HTTP).
    pub insecure: bool,
    pub ca_file: Option<PathBuf>,
    pub ca_data: Option<String>,
    /// Requests per second; `None` = unlimited.
    pub limit: Option<u32>,
    pub tag_sort: TagSort,
    pub origin: Origin,
}

impl Endpoint {
    /// Argo's built-in Docker Hub entry.
    pub fn docker_hub() -> Endpoint {
        Endpoint {
            name: "Docker Hub".into(),
            prefix: Some(DOCKER_HUB.into()),
            api_url: Url::parse(DOCKER_HUB_API).expect("constant URL"),
            credentials: None,
            credsexpire: None,
            defaultns: Some("library".into()),
            default: true,
            insecure: false,
            ca_file: None,
            ca_data: None,
            limit: Some(DOCKER_HUB_LIMIT),
            tag_sort: TagSort::Unsorted,
            origin: Origin::BuiltIn,
        }
    }

    /// Argo's endpoint inferred from an unknown registry host.
    pub fn inferred(host: &str) -> Result<Endpoint, RegistryError> {
        Ok(Endpoint {
            name: host.to_owned(),
            prefix: Some(host.to_owned()),
            api_url: Url::parse(&format!("https://{host}"))?,
            credentials: None,
            credsexpire: None,
            defaultns: None,
            default: false,
            insecure: false,
            ca_file: None,
            ca_data: None,
            limit: Some(INFERRED_LIMIT),
            tag_sort: TagSort::Unsorted,
            origin: Origin::Inferred,
        })
    }
}

/// Where one repository is fetched from.
#[derive(Debug, Clone)]
pub struct Route {
    pub endpoint: Arc<Endpoint>,
    /// The image's registry host (`docker.io`, `registry.example.com:5000`),
    /// for messages and credential lookup.
    pub registry: String,
    /// Repository path on the endpoint's API (`library/nginx`).
    pub path: String,
}

/// The configured endpoints plus the built-in Docker Hub entry.
#[derive(Debug, Clone)]
pub struct Registries {
    entries: Vec<Arc<Endpoint>>,
}

impl Default for Registries {
    fn default() -> Self {
        Registries::builtin()
    }
}

impl Registries {
    pub fn builtin() -> Registries {
        Registries {
            entries: vec![Arc::new(Endpoint::docker_hub())],
        }
    }

    pub fn load(path: &std::path::Path) -> Result<Registries, RegistryError> {
        let text = std::fs::read_to_string(path)
            .map_err(RegistryError::read("registries configuration", path))?;
        Registries::parse(&text, &path.display().to_string())
    }

    /// Parses a `registries.conf` (top key `registries:`), strictly: an
    /// unknown key, a missing `name`/`api_url`, two entries without
    /// `prefix`, two `default: true` or an unknown `tagsortmode` is an
    /// error. A user entry with `prefix: docker.io` replaces the built-in.
    pub fn parse(text: &str, file: &str) -> Result<Registries, RegistryError> {
        let y = crate::yaml::parse(text);
        let at = |node: NodeId| {
            let lc = y.lines.line_col(text, y.node(node).span.start);
            format!("{file}:{}:{}", lc.line, lc.column)
        };
        if let Some(e) = &y.error {
            let lc = y.lines.line_col(text, e.span.start);
            return Err(conf_error(format!("{file}:{}", lc.line), &e.message));
        }
        let mut entries: Vec<Endpoint> = Vec::new();
        let root = y.roots().next();
        if let Some(root) = root {
            if !y.is_mapping(root) {
                return Err(conf_error(
                    at(root),
                    "expected a mapping with key registries",
                ));
            }
            for &(k, v) in y.entries(root) {
                match y.str(k) {
                    Some("registries") => {}
                    other => {
                        return Err(conf_error(
                            at(k),
                            format!(
                                "unknown key {:?} (expected registries)",
                                other.unwrap_or("")
                            ),
                        ));
                    }
                }
                if y.non_null_str(v).is_none() && y.is_scalar(v) {
                    continue; // `registries:` with nothing
                }
                if !y.is_sequence(v) {
                    return Err(conf_error(at(v), "registries must be a list"));
                }
                for &item in y.items(v) {
                    entries.push(parse_entry(&y, item, &at)?);
                }
            }
        }
        let unprefixed = entries.iter().filter(|e| e.prefix.is_none()).count();
        if unprefixed > 1 {
            return Err(conf_error(
                file,
                format!("only one registry entry may omit prefix ({unprefixed} do)"),
            ));
        }
        if entries.iter().filter(|e| e.default).count() > 1 {
            return Err(conf_error(
                file,
                "more than one registry entry has default: true",
            ));
        }
        let mut out = Registries::builtin();
        let user_default = entries.iter().any(|e| e.default);
        if user_default {
            // The built-in stays for `docker.io` but is no longer default.
            let mut hub = Endpoint::docker_hub();
            hub.default = false;
            out.entries = vec![Arc::new(hub)];
        }
        for e in entries {
            out.entries.retain(|have| have.prefix != e.prefix);
            out.entries.push(Arc::new(e));
        }
        Ok(out)
    }

    /// Every endpoint, built-in first.
    pub fn endpoints(&self) -> impl Iterator<Item = &Arc<Endpoint>> {
        self.entries.iter()
    }

    /// The endpoint and API path for a normalised repository name
    /// (`docker.io/library/nginx`, `registry.example.com/team/app`).
    pub fn route(&self, repository: &str) -> Result<Route, RegistryError> {
        let (host, path) = repository
            .split_once('/')
            .filter(|(h, p)| !h.is_empty() && !p.is_empty())
            .ok_or_else(|| RegistryError::RepositoryName {
                repository: repository.to_owned(),
            })?;
        let host_lc = host.to_ascii_lowercase();
        let by_prefix = |p: &str| {
            self.entries.iter().find(|e| {
                e.prefix
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case(p))
            })
        };
        let endpoint = if host_lc == DOCKER_HUB {
            by_prefix(DOCKER_HUB)
                .filter(|e| e.origin == Origin::Configured)
                .or_else(|| self.entries.iter().find(|e| e.default))
                .or_else(|| by_prefix(DOCKER_HUB))
                .cloned()
        } else {
            None
        };
        let endpoint = match endpoint {
            Some(e) => e,
            None => match by_prefix(&host_lc) {
                Some(e) => e.clone(),
                None => {
                    let full = format!("{host_lc}/{path}");
                    let longest = self
                        .entries
                        .iter()
                        .filter(|e| e.prefix.as_deref().is_some_and(|p| full.starts_with(p)))
                        .max_by_key(|e| e.prefix.as_deref().map_or(0, str::len));
                    match longest {
                        Some(e) => e.clone(),
                        None => Arc::new(Endpoint::inferred(&host_lc)?),
                    }
                }
            },
        };
        let path = match &endpoint.defaultns {
            Some(ns) if !path.contains('/') && !ns.is_empty() => format!("{ns}/{path}"),
            _ => path.to_owned(),
        };
        Ok(Route {
            endpoint,
            registry: host_lc,
            path,
        })
    }
}

const KEYS: [&str; 13] = [
    "name",
    "prefix",
    "api_url",
    "credentials",
    "credsexpire",
    "defaultns",
    "default",
    "insecure",
    "ca_file",
    "ca_data",
    "limit",
    "tagsortmode",
    "ping",
];

/// A `registries.conf` rule broken at `at`.
fn conf_error(at: impl Into<String>, problem: impl Into<String>) -> RegistryError {
    RegistryError::RegistriesConf {
        at: at.into(),
        problem: problem.into(),
    }
}

fn parse_entry(
    y: &Yaml,
    item: NodeId,
    at: &dyn Fn(NodeId) -> String,
) -> Result<Endpoint, RegistryError> {
    if !y.is_mapping(item) {
        return Err(conf_error(at(item), "a registry entry must be a mapping"));
    }
    let mut get = std::collections::HashMap::new();
    for &(k, v) in y.entries(item) {
        let key = y.str(k).unwrap_or("");
        if !KEYS.contains(&key) {
            return Err(conf_error(
                at(k),
                format!(
                    "unknown key {key:?} in registry entry (known: {})",
                    KEYS.join(", ")
                ),
            ));
        }
        get.insert(key, v);
    }
    let text = |key: &str| -> Result<Option<String>, RegistryError> {
        match get.get(key) {
            None => Ok(None),
            Some(&v) => match &y.node(y.resolve(v)).kind {
                NodeKind::Scalar { .. } => Ok(y.non_null_str(v).map(str::to_owned)),
                _ => Err(conf_error(at(v), format!("{key} must be a string"))),
            },
        }
    };
    let boolean = |key: &str| -> Result<bool, RegistryError> {
        match text(key)? {
            None => Ok(false),
            Some(s) => parse_bool(&s)
                .ok_or_else(|| conf_error(at(get[key]), format!("{key}: {s:?} is not a boolean"))),
        }
    };
    let name = text("name")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| conf_error(at(item), "registry entry without name"))?;
    let api_raw = text("api_url")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| conf_error(at(item), format!("registry {name:?} has no api_url")))?;
    let api_url = Url::parse(api_raw.trim_end_matches('/')).map_err(|e| RegistryError::ApiUrl {
        at: at(get["api_url"]),
        name: name.clone(),
        source: Box::new(e),
    })?;
    let credentials = match text("credentials")? {
        Some(c) if !c.is_empty() => Some(
            parse_credential_ref(&c, false)
                .map_err(|e| RegistryError::EntryCredentials {
                    at: at(get["credentials"]),
                    source: Box::new(e),
                })?
                .1,
        ),
        _ => None,
    };
    let credsexpire = match text("credsexpire")? {
        Some(d) if !d.is_empty() => Some(
            crate::gosyntax::duration::parse_go_duration(&d)
                .ok()
                .and_then(|g| g.to_std())
                .ok_or_else(|| {
                    conf_error(
                        at(get["credsexpire"]),
                        format!("credsexpire: invalid duration {d:?}"),
                    )
                })?,
        ),
        _ => None,
    };
    let limit = match text("limit")? {
        None => None,
        Some(s) => {
            let n: i64 = s.trim().parse().map_err(|_| {
                conf_error(at(get["limit"]), format!("limit: {s:?} is not an integer"))
            })?;
            u32::try_from(n).ok().filter(|&n| n > 0)
        }
    };
    let tag_sort = match text("tagsortmode")?
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "none" => TagSort::Unsorted,
        "latest-first" => TagSort::LatestFirst,
        "latest-last" => TagSort::LatestLast,
        other => {
            return Err(conf_error(
                at(get["tagsortmode"]),
                format!("unknown tagsortmode {other:?} (none, latest-first, latest-last)"),
            ));
        }
    };
    let _ = boolean("ping")?;
    Ok(Endpoint {
        name,
        prefix: text("prefix")?.filter(|p| !p.is_empty()),
        api_url,
        credentials,
        credsexpire,
        defaultns: text("defaultns")?.filter(|p| !p.is_empty()),
        default: boolean("default")?,
        insecure: boolean("insecure")?,
        ca_file: text("ca_file")?
            .filter(|p| !p.is_empty())
            .map(PathBuf::from),
        ca_data: text("ca_data")?.filter(|p| !p.is_empty()),
        limit,
        tag_sort,
        origin: Origin::Configured,
    })
}

/// YAML 1.1 booleans, as Argo's loader reads them.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            Some(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            Some(false)
        }
        _ => None,
    }
}

/// Whether `--insecure-registry` names this `host[:port]`: an entry with a
/// port must match exactly, one without matches the host on any port.
pub fn named_insecure(authority: &str, insecure_registries: &[String]) -> bool {
    let (host, _) = split_host_port(authority);
    insecure_registries.iter().any(|entry| {
        let e = entry.trim().to_ascii_lowercase();
        let e = e
            .strip_prefix("http://")
            .or_else(|| e.strip_prefix("https://"))
            .unwrap_or(&e)
            .trim_end_matches('/');
        match split_host_port(e) {
            (_, Some(_)) => e == authority,
            (h, None) => h == host,
        }
    })
}

/// Whether plain HTTP may be spoken to `authority` (see the module doc).
pub fn plain_http_allowed(
    authority: &str,
    insecure_registries: &[String],
    entry_insecure: bool,
) -> bool {
    entry_insecure || is_loopback(authority) || named_insecure(authority, insecure_registries)
}

/// Refuses a plain-HTTP URL the rules do not allow; the message says how
/// to allow it.
pub fn check_scheme(
    url: &Url,
    insecure_registries: &[String],
    entry_insecure: bool,
) -> Result<(), RegistryError> {
    if url.is_https() || plain_http_allowed(&url.authority, insecure_registries, entry_insecure) {
        Ok(())
    } else {
        Err(RegistryError::PlainHttp {
            authority: url.authority.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(text: &str) -> Registries {
        Registries::parse(text, "registries.conf").unwrap_or_else(|e| panic!("{e}"))
    }

    fn err(text: &str) -> String {
        Registries::parse(text, "registries.conf")
            .expect_err("an error")
            .to_string()
    }

    #[test]
    fn builtin_docker_hub() {
        let r = Registries::builtin();
        let route = r.route("docker.io/library/nginx").unwrap();
        assert_eq!(
            route.endpoint.api_url.to_string(),
            "https://registry-1.docker.io/"
        );
        assert_eq!(route.path, "library/nginx");
        assert_eq!(route.endpoint.limit, Some(10));
        assert_eq!(route.registry, "docker.io");
    }

    // R1: required fields, one unprefixed entry, known tagsortmode, strict keys.
    #[test]
    fn r1_parse_errors() {
        assert!(err("registries:\n- api_url: https://a\n  prefix: a\n").contains("without name"));
        assert!(err("registries:\n- name: a\n  prefix: a\n").contains("no api_url"));
        assert!(
            err("registries:\n- name: a\n  api_url: https://a\n- name: b\n  api_url: https://b\n")
                .contains("omit prefix")
        );
        assert!(
            err(
                "registries:\n- name: a\n  api_url: https://a\n  prefix: a\n  tagsortmode: newest\n"
            )
            .contains("tagsortmode")
        );
        assert!(
            err("registries:\n- name: a\n  api_url: https://a\n  prefix: a\n  ratelimit: 5\n")
                .contains("unknown key \"ratelimit\"")
        );
        assert!(err("registry: []\n").contains("unknown key"));
        assert!(
            err("registries:\n- name: a\n  api_url: https://a\n  prefix: a\n  insecure: maybe\n")
                .contains("boolean")
        );
        assert!(
            err("registries:\n- name: a\n  api_url: https://a\n  prefix: a\n  credentials: secrets:x\n")
                .contains("credential")
        );
    }

    // R2: two defaults.
    #[test]
    fn r2_two_defaults() {
        assert!(
            err("registries:\n- name: a\n  api_url: https://a\n  prefix: a\n  default: true\n- name: b\n  api_url: https://b\n  prefix: b\n  default: yes\n")
                .contains("default")
        );
    }

    // R3: longest prefix wins.
    #[test]
    fn r3_longest_prefix() {
        let r = conf(
            "registries:
- name: one
  prefix: foo.bar/prefix1
  api_url: https://one.example
- name: two
  prefix: foo.bar/prefix2
  api_url: https://two.example
- name: sub
  prefix: foo.bar/prefix1/sub-prefix
  api_url: https://sub.example
  limit: 5
",
        );
        let route = r.route("foo.bar/prefix1/sub-prefix/image").unwrap();
        assert_eq!(route.endpoint.name, "sub");
        assert_eq!(route.endpoint.limit, Some(5));
        assert_eq!(route.path, "prefix1/sub-prefix/image");
        assert_eq!(r.route("foo.bar/prefix1/x").unwrap().endpoint.name, "one");
        assert_eq!(r.route("foo.bar/prefix2/x").unwrap().endpoint.name, "two");
        // A configured entry without limit is unlimited.
        assert_eq!(r.route("foo.bar/prefix2/x").unwrap().endpoint.limit, None);
    }

    // R4: unknown registry.
    #[test]
    fn r4_inferred() {
        let route = Registries::builtin().route("example.com/team/app").unwrap();
        assert_eq!(route.endpoint.api_url.to_string(), "https://example.com/");
        assert_eq!(route.endpoint.limit, Some(20));
        assert_eq!(route.endpoint.tag_sort, TagSort::Unsorted);
        assert!(!route.endpoint.insecure);
        assert_eq!(route.endpoint.origin, Origin::Inferred);
        assert_eq!(route.path, "team/app");
    }

    #[test]
    fn exact_host_beats_longer_prefix() {
        let r = conf(
            "registries:
- name: host
  prefix: reg.example
  api_url: https://host.example
- name: team
  prefix: reg.example/team
  api_url: https://team.example
",
        );
        assert_eq!(
            r.route("reg.example/team/app").unwrap().endpoint.name,
            "host"
        );
    }

    #[test]
    fn docker_hub_mapping_and_defaults() {
        // A docker.io entry maps Docker Hub images onto another API.
        let r = conf(
            "registries:
- name: mirror
  prefix: docker.io
  api_url: http://127.0.0.1:5000/
  credentials: env:HUB
",
        );
        let route = r.route("docker.io/library/nginx").unwrap();
        assert_eq!(route.endpoint.name, "mirror");
        assert_eq!(route.endpoint.api_url.to_string(), "http://127.0.0.1:5000/");
        assert_eq!(route.path, "library/nginx");
        assert_eq!(
            route.endpoint.credentials,
            Some(CredentialRef::Env("HUB".into()))
        );
        // A default entry takes Docker Hub images when no docker.io entry exists.
        let r = conf(
            "registries:
- name: corp
  prefix: corp.example
  api_url: https://corp.example
  defaultns: base
  default: true
",
        );
        let route = r.route("docker.io/library/nginx").unwrap();
        assert_eq!(route.endpoint.name, "corp");
        let route = r.route("corp.example/tool").unwrap();
        assert_eq!(route.path, "base/tool");
        // Without either, the built-in.
        let r = conf("registries: []\n");
        assert_eq!(
            r.route("docker.io/x/y").unwrap().endpoint.name,
            "Docker Hub"
        );
        assert!(Registries::builtin().route("nohost").is_err());
    }

    #[test]
    fn limits_and_options() {
        let r = conf(
            "registries:
- name: a
  prefix: a.example
  api_url: https://a.example
  limit: 0
  insecure: yes
  tagsortmode: latest-first
  credsexpire: 5h
  ping: no
",
        );
        let e = r.route("a.example/x").unwrap().endpoint;
        assert_eq!(e.limit, None);
        assert!(e.insecure);
        assert_eq!(e.tag_sort, TagSort::LatestFirst);
        assert_eq!(e.credsexpire, Some(Duration::from_secs(5 * 3600)));
    }

    #[test]
    fn plain_http_rules() {
        let none: Vec<String> = vec![];
        assert!(plain_http_allowed("127.0.0.1:5000", &none, false));
        assert!(plain_http_allowed("localhost", &none, false));
        assert!(plain_http_allowed("[::1]:5000", &none, false));
        assert!(!plain_http_allowed("registry.example.com", &none, false));
        assert!(!plain_http_allowed("10.1.2.3:5000", &none, false));
        assert!(plain_http_allowed("registry.example.com", &none, true));
        let named = vec![
            "registry.example.com".to_owned(),
            "other.example:5000".to_owned(),
        ];
        assert!(plain_http_allowed(
            "registry.example.com:8080",
            &named,
            false
        ));
        assert!(plain_http_allowed("other.example:5000", &named, false));
        assert!(!plain_http_allowed("other.example:5001", &named, false));
        assert!(!plain_http_allowed("third.example", &named, false));
        let u = Url::parse("http://registry.example.com/v2/").unwrap();
        let e = check_scheme(&u, &none, false).unwrap_err().to_string();
        assert!(
            e.contains("--insecure-registry registry.example.com"),
            "{e}"
        );
        assert!(check_scheme(&u, &named, false).is_ok());
        assert!(check_scheme(&Url::parse("https://x.example").unwrap(), &none, false).is_ok());
    }
}
