//! Flux image automation objects found in the repository
//! (`image.toolkit.fluxcd.io` ImageRepository, ImagePolicy,
//! ImageUpdateAutomation, and `source.toolkit.fluxcd.io` GitRepository):
//! the typed model of their settings, read once from each object's `spec`
//! (every value with the node it was written at), and indexed for the
//! lookups markers and references need. The Flux check, preview and the
//! updater reader take the values from here; which keys a document has is
//! the shape check's.

use super::object::str_at;
use super::{Object, Str};
use crate::diagnostic::FileId;
use crate::discover::Workspace;
use crate::yaml::{NodeId, Yaml};

/// The ImageRepository `exclusionList` Flux applies when none is given.
pub const DEFAULT_EXCLUSION: &str = "^.*\\.sig$";

/// A Go duration in `time.Duration.String` form, when `s` is one that
/// Flux's interval pattern would accept once written that way.
pub fn canonical_interval(s: &str) -> Option<String> {
    use crate::gosyntax::duration::{format_go_duration, matches_flux_interval, parse_go_duration};
    let d = parse_go_duration(s).ok()?;
    if d.is_negative() {
        return None;
    }
    let out = format_go_duration(d);
    matches_flux_interval(&out).then_some(out)
}

pub const IMAGE_GROUP: &str = "image.toolkit.fluxcd.io";
pub const SOURCE_GROUP: &str = "source.toolkit.fluxcd.io";

#[derive(Debug, Clone)]
pub struct Named {
    /// Index into `Model::objects`.
    pub object: usize,
    pub file: FileId,
    pub root: NodeId,
    pub name: String,
    /// `None` when the manifest leaves the namespace to the applier.
    pub namespace: Option<String>,
}

impl Named {
    fn of(index: usize, obj: &Object) -> Self {
        Self {
            object: index,
            file: obj.file,
            root: obj.root,
            name: obj.name().to_owned(),
            namespace: obj.namespace().map(str::to_owned),
        }
    }

    /// A manifest without a namespace may land in any namespace, so it
    /// matches every wanted namespace: better a missed finding than a false
    /// one.
    pub fn in_namespace(&self, ns: &str) -> bool {
        self.namespace.as_deref().is_none_or(|n| n == ns)
    }
}

#[derive(Debug, Clone)]
pub struct ImageRepository {
    pub meta: Named,
    pub image: Option<Str>,
    pub interval: Option<Str>,
    pub timeout: Option<Str>,
    /// `spec.exclusionList`, `None` when the key is absent.
    pub exclusion_list: Option<StrList>,
    /// `spec.accessFrom` is there (null included: the key is written).
    pub has_access_from: bool,
    /// `spec.suspend: true`.
    pub suspend: Option<Str>,
}

/// A list setting: its node, and the items that are scalars, as written.
#[derive(Debug, Clone)]
pub struct StrList {
    pub node: NodeId,
    pub items: Vec<Str>,
}

/// `spec.policy` of an ImagePolicy, typed: what selection runs. When
/// several kinds are set Flux takes semver, then alphabetical, then
/// numerical ([`ImagePolicy::kind`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyKind {
    /// `semver.range`, a Masterminds constraint.
    Semver { range: String },
    /// `alphabetical.order`: `asc` (default) picks the greatest string,
    /// `desc` the smallest.
    Alphabetical { desc: bool },
    /// `numerical.order`: `asc` (default) picks the largest number, `desc`
    /// the smallest.
    Numerical { desc: bool },
}

/// The keys of `spec.policy`, in the order Flux prefers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyName {
    Semver,
    Alphabetical,
    Numerical,
}

impl PolicyName {
    pub const ALL: [PolicyName; 3] = [Self::Semver, Self::Alphabetical, Self::Numerical];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Semver => "semver",
            Self::Alphabetical => "alphabetical",
            Self::Numerical => "numerical",
        }
    }
}

/// One kind `spec.policy` sets, as written.
#[derive(Debug, Clone)]
pub struct PolicyChoice {
    pub name: PolicyName,
    /// The kind's value (`semver:`'s mapping; null when only the key is
    /// written).
    pub node: NodeId,
    /// `semver.range`, or `alphabetical.order` / `numerical.order`.
    pub setting: Option<Str>,
}

impl PolicyChoice {
    /// The selection it asks for; `None` for a semver without a range.
    pub fn kind(&self) -> Option<PolicyKind> {
        let desc = || {
            self.setting
                .as_ref()
                .is_some_and(|o| o.value.eq_ignore_ascii_case("desc"))
        };
        Some(match self.name {
            PolicyName::Semver => PolicyKind::Semver {
                range: self.setting.as_ref()?.value.clone(),
            },
            PolicyName::Alphabetical => PolicyKind::Alphabetical { desc: desc() },
            PolicyName::Numerical => PolicyKind::Numerical { desc: desc() },
        })
    }
}

#[derive(Debug, Clone)]
pub struct ImagePolicy {
    pub meta: Named,
    pub repository_name: Option<Str>,
    pub repository_namespace: Option<Str>,
    pub digest_reflection: Option<Str>,
    pub interval: Option<Str>,
    /// `spec.policy`'s value, when the key is there.
    pub policy: Option<NodeId>,
    /// The kinds `spec.policy` sets, in [`PolicyName::ALL`] order.
    pub choices: Vec<PolicyChoice>,
    pub filter_pattern: Option<Str>,
    pub filter_extract: Option<Str>,
    /// `spec.suspend: true`.
    pub suspend: Option<Str>,
}

impl ImagePolicy {
    /// Namespace of the referenced ImageRepository: explicit, else the
    /// policy's own.
    pub fn repository_ns(&self) -> Option<&str> {
        self.repository_namespace
            .as_ref()
            .map(|s| s.value.as_str())
            .or(self.meta.namespace.as_deref())
    }

    pub fn reflects_digest(&self) -> bool {
        self.digest_reflection
            .as_ref()
            .is_some_and(|d| d.value == "IfNotPresent" || d.value == "Always")
    }

    /// What selection runs: the first kind in Flux's order
    /// (`PolicerFromSpec`: semver, alphabetical, numerical), `None` when
    /// it cannot select (a semver without a range: Flux does not fall back
    /// to the next kind, it stalls).
    pub fn kind(&self) -> Option<PolicyKind> {
        self.choices.first().and_then(PolicyChoice::kind)
    }
}

/// An ImageUpdateAutomation's `spec.sourceRef`, as written.
#[derive(Debug, Clone)]
pub struct SourceRef {
    pub node: NodeId,
    pub name: Option<Str>,
    /// `None` when absent (GitRepository).
    pub kind: Option<Str>,
    pub namespace: Option<Str>,
}

#[derive(Debug, Clone)]
pub struct ImageUpdateAutomation {
    pub meta: Named,
    pub interval: Option<Str>,
    pub source_ref: Option<SourceRef>,
    /// `spec.git`'s value, when the key is there.
    pub git: Option<NodeId>,
    pub author_email: Option<Str>,
    pub message_template: Option<Str>,
    pub update_strategy: Option<Str>,
    /// `spec.update.path`, `None` when absent (the repository root).
    pub update_path: Option<Str>,
    /// `spec.policySelector`'s value, when the key is there.
    pub policy_selector: Option<NodeId>,
    /// `spec.suspend: true`.
    pub suspend: Option<Str>,
}

impl ImageUpdateAutomation {
    /// The covered folder, relative to the root, without `./` or a leading
    /// `/` (the controller clamps paths inside the clone).
    pub fn scope(&self) -> String {
        let raw = self.update_path.as_ref().map_or("", |p| p.value.as_str());
        normalize_rel(raw)
    }

    pub fn covers(&self, file: &str) -> bool {
        covers(&self.scope(), file)
    }
}

/// Two git URLs name one repository: scheme, user, a `.git` suffix, a
/// trailing `/` and the host's case aside; `git@host:org/repo` is
/// `ssh://git@host/org/repo`.
pub fn same_git_repository(a: &str, b: &str) -> bool {
    fn key(url: &str) -> String {
        let url = url.trim();
        let rest = match url.split_once("://") {
            Some((_, rest)) => rest.to_owned(),
            // scp-like `user@host:path`
            None => match url.split_once(':') {
                Some((host, path)) if !host.contains('/') => format!("{host}/{path}"),
                _ => url.to_owned(),
            },
        };
        let rest = rest.rsplit_once('@').map_or(rest.as_str(), |(_, r)| r);
        let rest = rest.trim_end_matches('/');
        let rest = rest.strip_suffix(".git").unwrap_or(rest);
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        // A default port is no difference.
        let host = host
            .trim_end_matches(":22")
            .trim_end_matches(":443")
            .to_ascii_lowercase();
        format!("{host}/{}", path.trim_start_matches('/'))
    }
    key(a) == key(b)
}

/// Whether `file` lies in the normalised `scope` (empty: everything).
pub fn covers(scope: &str, file: &str) -> bool {
    scope.is_empty() || file == scope || file.starts_with(&format!("{scope}/"))
}

fn str_list(yaml: &Yaml, node: NodeId) -> StrList {
    let items = yaml
        .items(node)
        .iter()
        .filter_map(|&i| {
            yaml.str(i).map(|v| Str {
                value: v.to_owned(),
                node: i,
            })
        })
        .collect();
    StrList { node, items }
}

/// Clamps a path inside the repository the way securejoin does: `.` and
/// `..` segments are resolved lexically and never climb above the root.
pub fn normalize_rel(raw: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// A Flux release, `MAJOR.MINOR`: which image API versions its
/// controllers serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FluxVersion {
    pub major: u32,
    pub minor: u32,
}

impl Default for FluxVersion {
    fn default() -> Self {
        Self::CURRENT
    }
}

impl FluxVersion {
    /// The release the tool follows unless told otherwise.
    pub const CURRENT: FluxVersion = FluxVersion { major: 2, minor: 9 };

    /// `2.9`, `v2.9`, `2.9.3`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let s = s.strip_prefix('v').unwrap_or(s);
        let mut parts = s.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        if parts.next().is_some_and(|p| p.parse::<u32>().is_err()) || parts.next().is_some() {
            return None;
        }
        Some(Self { major, minor })
    }

    /// The release that stopped serving `image.toolkit.fluxcd.io/VERSION`
    /// (flux.md's release table: v1beta1 and the alphas went with 2.7,
    /// v1beta2 with 2.9), `None` for `v1`, and for what no release ever
    /// served, `Some(2.0)` (a floor: never served).
    pub fn removed(api_version: &str) -> Option<FluxVersion> {
        match api_version {
            "v1" => None,
            "v1beta2" => Some(FluxVersion { major: 2, minor: 9 }),
            "v1beta1" | "v1alpha1" | "v1alpha2" => Some(FluxVersion { major: 2, minor: 7 }),
            _ => Some(FluxVersion { major: 2, minor: 0 }),
        }
    }

    /// Whether this release's controllers serve `image.toolkit.fluxcd.io/VERSION`.
    pub fn serves(self, api_version: &str) -> bool {
        Self::removed(api_version).is_none_or(|r| self < r)
    }
}

impl std::fmt::Display for FluxVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A `source.toolkit.fluxcd.io` GitRepository: what an automation's
/// `sourceRef` names, and the repository it clones.
#[derive(Debug, Clone)]
pub struct GitRepository {
    pub meta: Named,
    /// `spec.url`.
    pub url: Option<Str>,
}

#[derive(Debug, Default)]
pub struct FluxObjects {
    pub repositories: Vec<ImageRepository>,
    pub policies: Vec<ImagePolicy>,
    pub automations: Vec<ImageUpdateAutomation>,
    pub git_repositories: Vec<GitRepository>,
}

impl FluxObjects {
    pub fn collect(ws: &Workspace, objects: &[Object]) -> Self {
        let mut out = Self::default();
        for (i, obj) in objects.iter().enumerate() {
            let Some(yaml) = ws.files[obj.file].yaml.as_ref() else {
                continue;
            };
            let meta = Named::of(i, obj);
            // Without a `spec` mapping every setting is absent.
            let spec = yaml.get(obj.root, "spec");
            let at = |keys: &[&str]| spec.and_then(|s| str_at(yaml, s, keys));
            let node = |keys: &[&str]| spec.and_then(|s| yaml.path(s, keys));
            let suspended = || at(&["suspend"]).filter(|s| s.value == "true");
            match (obj.group(), obj.kind()) {
                (IMAGE_GROUP, "ImageRepository") => out.repositories.push(ImageRepository {
                    image: at(&["image"]),
                    interval: at(&["interval"]),
                    timeout: at(&["timeout"]),
                    exclusion_list: node(&["exclusionList"]).map(|l| str_list(yaml, l)),
                    has_access_from: node(&["accessFrom"]).is_some(),
                    suspend: suspended(),
                    meta,
                }),
                (IMAGE_GROUP, "ImagePolicy") => {
                    let policy = node(&["policy"]);
                    let choices = PolicyName::ALL
                        .into_iter()
                        .filter_map(|name| {
                            let node = yaml.get(policy?, name.as_str())?;
                            let setting = match name {
                                PolicyName::Semver => "range",
                                _ => "order",
                            };
                            Some(PolicyChoice {
                                name,
                                node,
                                setting: str_at(yaml, node, &[setting]),
                            })
                        })
                        .collect();
                    out.policies.push(ImagePolicy {
                        repository_name: at(&["imageRepositoryRef", "name"]),
                        repository_namespace: at(&["imageRepositoryRef", "namespace"]),
                        digest_reflection: at(&["digestReflectionPolicy"]),
                        interval: at(&["interval"]),
                        policy,
                        choices,
                        filter_pattern: at(&["filterTags", "pattern"]),
                        filter_extract: at(&["filterTags", "extract"]),
                        suspend: suspended(),
                        meta,
                    })
                }
                (IMAGE_GROUP, "ImageUpdateAutomation") => {
                    out.automations.push(ImageUpdateAutomation {
                        interval: at(&["interval"]),
                        source_ref: node(&["sourceRef"]).map(|s| SourceRef {
                            node: s,
                            name: str_at(yaml, s, &["name"]),
                            kind: str_at(yaml, s, &["kind"]),
                            namespace: str_at(yaml, s, &["namespace"]),
                        }),
                        git: node(&["git"]),
                        author_email: at(&["git", "commit", "author", "email"]),
                        message_template: at(&["git", "commit", "messageTemplate"]),
                        update_strategy: at(&["update", "strategy"]),
                        update_path: at(&["update", "path"]),
                        policy_selector: node(&["policySelector"]),
                        suspend: suspended(),
                        meta,
                    })
                }
                (SOURCE_GROUP, "GitRepository") => out.git_repositories.push(GitRepository {
                    url: at(&["url"]),
                    meta,
                }),
                _ => {}
            }
        }
        out
    }

    pub fn policy(&self, ns: &str, name: &str) -> Option<&ImagePolicy> {
        // An exact namespace match wins over a namespace-less manifest.
        self.policies
            .iter()
            .find(|p| p.meta.name == name && p.meta.namespace.as_deref() == Some(ns))
            .or_else(|| {
                self.policies
                    .iter()
                    .find(|p| p.meta.name == name && p.meta.in_namespace(ns))
            })
    }

    pub fn repository_for(&self, policy: &ImagePolicy) -> Option<&ImageRepository> {
        let name = policy.repository_name.as_ref()?;
        let ns = policy.repository_ns();
        self.repositories
            .iter()
            .find(|r| r.meta.name == name.value && ns.is_none_or(|ns| r.meta.in_namespace(ns)))
    }
}
