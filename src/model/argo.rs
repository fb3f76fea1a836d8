//! Argo CD Image Updater configuration: `argocd-image-updater.argoproj.io/`
//! annotations on Applications (v0.x, and v1.x with useAnnotations) and the
//! v1.x `ImageUpdater` custom resource.

use super::object::str_at;
use super::{Object, Str};
use crate::yaml::{NodeId, Yaml};

pub const ANNOTATION_PREFIX: &str = "argocd-image-updater.argoproj.io/";
pub const CR_GROUP: &str = "argocd-image-updater.argoproj.io";
/// Kind of the Image Updater CR.
pub const CR_KIND: &str = "ImageUpdater";

/// Application-wide annotation keys.
pub const APP_KEYS: &[&str] = &[
    "image-list",
    "update-strategy",
    "allow-tags",
    "ignore-tags",
    "force-update",
    "pull-secret",
    "write-back-method",
    "git-branch",
    "git-repository",
    "write-back-target",
];

/// Per-alias annotation keys (`<alias>.<key>`), longest first so that
/// `helm.image-name` wins over a shorter suffix.
pub const ALIAS_KEYS: &[&str] = &[
    "kustomize.image-name",
    "helm.image-name",
    "helm.image-tag",
    "helm.image-spec",
    "update-strategy",
    "allow-tags",
    "ignore-tags",
    "force-update",
    "pull-secret",
    "platforms",
    "tag-match",
];

/// The alias syntax of the `ImageUpdater` CRD (`^[a-zA-Z0-9][a-zA-Z0-9-._]*$`),
/// which annotation keys accept too: the one definition validate, export and
/// the KubeSphere writer share.
pub fn alias_syntax_ok(a: &str) -> bool {
    let mut chars = a.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// `s` reduced to [`alias_syntax_ok`]'s characters: anything else becomes
/// `-`, and what precedes the first letter or digit is dropped (empty
/// when there is none). Writers that invent aliases start from this.
pub fn alias_chars(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    mapped
        .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned()
}

#[derive(Debug, Clone)]
pub struct Annotation {
    /// The key without the prefix.
    pub key: String,
    pub key_node: NodeId,
    pub value: Str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnnotationKey<'a> {
    App(&'a str),
    Alias { alias: &'a str, key: &'static str },
    Unknown,
}

pub fn classify(key: &str) -> AnnotationKey<'_> {
    if let Some(k) = APP_KEYS.iter().find(|k| **k == key) {
        return AnnotationKey::App(k);
    }
    for suffix in ALIAS_KEYS {
        if let Some(alias) = key.strip_suffix(suffix).and_then(|a| a.strip_suffix('.'))
            && !alias.is_empty()
        {
            return AnnotationKey::Alias { alias, key: suffix };
        }
    }
    AnnotationKey::Unknown
}

/// The image-updater annotations of an Application object.
pub fn annotations(yaml: &Yaml, root: NodeId) -> Vec<Annotation> {
    let Some(map) = yaml.path(root, &["metadata", "annotations"]) else {
        return Vec::new();
    };
    yaml.entries(map)
        .iter()
        .filter_map(|&(k, v)| {
            let key = yaml.str(k)?.strip_prefix(ANNOTATION_PREFIX)?;
            let value = yaml.str(v).unwrap_or_default().to_owned();
            Some(Annotation {
                key: key.to_owned(),
                key_node: k,
                value: Str { value, node: v },
            })
        })
        .collect()
}

pub fn is_application(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("argoproj.io/") && kind == "Application"
}

/// One item of an `image-list` annotation with byte ranges into the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    pub text: String,
    pub range: std::ops::Range<usize>,
}

/// Splits `image-list` on commas, trimming, skipping empty items (v1).
pub fn split_list(value: &str) -> Vec<ListItem> {
    let mut out = Vec::new();
    let mut start = 0;
    for part in value.split(',') {
        let end = start + part.len();
        let lead = part.len() - part.trim_start().len();
        let trimmed = part.trim();
        if !trimmed.is_empty() {
            out.push(ListItem {
                text: trimmed.to_owned(),
                range: start + lead..start + lead + trimmed.len(),
            });
        }
        start = end + 1;
    }
    out
}

/// `spec.applicationRefs[]` of an ImageUpdater CR.
#[derive(Debug, Clone)]
pub struct ApplicationRef {
    pub node: NodeId,
    pub name_pattern: Option<Str>,
    pub use_annotations: bool,
    pub images: Vec<NodeId>,
}

pub fn application_refs(yaml: &Yaml, spec: NodeId) -> Vec<ApplicationRef> {
    let Some(refs) = yaml.get(spec, "applicationRefs") else {
        return Vec::new();
    };
    yaml.items(refs)
        .iter()
        .map(|&node| ApplicationRef {
            node,
            name_pattern: str_at(yaml, node, &["namePattern"]),
            use_annotations: yaml.path_str(node, &["useAnnotations"]) == Some("true"),
            images: yaml
                .get(node, "images")
                .map(|i| yaml.items(i).to_vec())
                .unwrap_or_default(),
        })
        .collect()
}

/// The namespace Argo CD Image Updater runs in, as far as file names go
/// (an assumption: the repository does not say).
pub const CONTROLLER_NAMESPACE: &str = "argocd";

/// The write-back file of an app: `.argocd-source-<app>.yaml`, with the
/// `<namespace>_` prefix for apps outside the controller's namespace
/// (Argo CD's apps-in-any-namespace naming).
pub fn source_file_name(namespace: Option<&str>, app: &str) -> String {
    match namespace {
        Some(ns) if ns != CONTROLLER_NAMESPACE => format!(".argocd-source-{ns}_{app}.yaml"),
        _ => format!(".argocd-source-{app}.yaml"),
    }
}

/// What Argo CD Image Updater's write-back needs of an Application, read
/// once: its name and namespace, and its source as the manifest writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSource {
    /// `metadata.name` (empty when absent).
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: Option<String>,
    pub source: SourceKind,
}

/// `spec.source` of an Application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// `spec.source` is a mapping.
    One(OneSource),
    /// No `spec.source` mapping, but `spec.sources` (multi-source apps).
    Several,
    /// Neither.
    Missing,
}

/// A single `spec.source` mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OneSource {
    /// `path`, as written.
    pub path: Option<String>,
    /// Which of `helm`, `chart`, `plugin`, `kustomize` it has (any value).
    pub helm: bool,
    pub chart: bool,
    pub plugin: bool,
    pub kustomize: bool,
    /// The string items of `kustomize.images`, as written.
    pub kustomize_images: Vec<String>,
}

impl AppSource {
    /// Reads `app` (an Application) from its file's `yaml`.
    pub fn read(yaml: &Yaml, app: &Object) -> Self {
        let spec = yaml.get(app.root, "spec");
        let source = match source_node(yaml, app.root) {
            Some(s) if yaml.is_mapping(s) => SourceKind::One(OneSource::read(yaml, s)),
            _ if spec.and_then(|s| yaml.get(s, "sources")).is_some() => SourceKind::Several,
            _ => SourceKind::Missing,
        };
        AppSource {
            name: app.name().to_owned(),
            namespace: app.namespace().map(str::to_owned),
            source,
        }
    }
}

/// The source the updater reads and writes back to: `spec.sourceHydrator.
/// drySource` when the Application has one, else `spec.source`
/// (`getApplicationSource`, `pkg/argocd/argocd.go`, v1.3.0+): a hydrated
/// Application's manifests are rendered from the dry source, so its
/// `.argocd-source-<app>.yaml` belongs next to the dry path.
pub fn source_node(yaml: &Yaml, app_root: NodeId) -> Option<NodeId> {
    let spec = yaml.get(app_root, "spec")?;
    yaml.path(spec, &["sourceHydrator", "drySource"])
        .filter(|&d| yaml.is_mapping(d))
        .or_else(|| yaml.get(spec, "source"))
}

impl OneSource {
    fn read(yaml: &Yaml, source: NodeId) -> Self {
        let has = |k: &str| yaml.get(source, k).is_some();
        OneSource {
            path: str_at(yaml, source, &["path"]).map(|p| p.value),
            helm: has("helm"),
            chart: has("chart"),
            plugin: has("plugin"),
            kustomize: has("kustomize"),
            kustomize_images: yaml
                .path(source, &["kustomize", "images"])
                .map(|l| {
                    yaml.items(l)
                        .iter()
                        .filter_map(|&i| yaml.str(i).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_keys() {
        assert_eq!(classify("image-list"), AnnotationKey::App("image-list"));
        assert_eq!(
            classify("web.helm.image-name"),
            AnnotationKey::Alias {
                alias: "web",
                key: "helm.image-name"
            }
        );
        assert_eq!(
            classify("my.app.update-strategy"),
            AnnotationKey::Alias {
                alias: "my.app",
                key: "update-strategy"
            }
        );
        assert_eq!(classify("update-interval"), AnnotationKey::Unknown);
        assert_eq!(classify("web.write-back-target"), AnnotationKey::Unknown);
    }

    #[test]
    fn split_list_keeps_ranges() {
        let v = "  web = nginx:1.21  ,,api=quay.io/x:v2 ";
        let items = split_list(v);
        assert_eq!(items.len(), 2);
        assert_eq!(&v[items[0].range.clone()], "web = nginx:1.21");
        assert_eq!(&v[items[1].range.clone()], "api=quay.io/x:v2");
    }
}

/// An update strategy (`update-strategy` annotation, CR `updateStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Strategy {
    /// Highest Masterminds semver satisfying the constraint (the default).
    #[default]
    Semver,
    /// Most recent image config `created` date (old name `latest`).
    NewestBuild,
    /// Greatest tag name in byte order (old name `name`).
    Alphabetical,
    /// The digest currently behind the tag named by the constraint.
    Digest,
}

impl Strategy {
    /// Argo's `ParseUpdateStrategy`: case-insensitive; `latest` and `name`
    /// are the deprecated spellings of `newest-build` and `alphabetical`
    /// (the `bool` says a deprecated name was used). Unknown → `None`; Argo
    /// logs a warning and uses semver, which is the caller's fallback.
    pub fn parse(s: &str) -> Option<(Strategy, bool)> {
        const NAMES: [(&str, Strategy, bool); 6] = [
            ("semver", Strategy::Semver, false),
            ("newest-build", Strategy::NewestBuild, false),
            ("latest", Strategy::NewestBuild, true),
            ("alphabetical", Strategy::Alphabetical, false),
            ("name", Strategy::Alphabetical, true),
            ("digest", Strategy::Digest, false),
        ];
        NAMES
            .iter()
            .find(|(name, _, _)| go_lower_eq(s, name))
            .map(|&(_, strategy, deprecated)| (strategy, deprecated))
    }

    /// The canonical name, as Argo's `UpdateStrategy.String()` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Semver => "semver",
            Strategy::NewestBuild => "newest-build",
            Strategy::Alphabetical => "alphabetical",
            Strategy::Digest => "digest",
        }
    }
}

/// `strings.ToLower(s) == target` for an ASCII lower-case `target`. Go lowers
/// rune by rune with simple case mapping, under which exactly two non-ASCII
/// runes become ASCII letters: U+0130 `İ` → `i` and U+212A (Kelvin) → `k`.
pub fn go_lower_eq(s: &str, target: &str) -> bool {
    let mut t = target.bytes();
    for c in s.chars() {
        let lowered = match c {
            '\u{130}' => b'i',
            '\u{212A}' => b'k',
            c if c.is_ascii() => c.to_ascii_lowercase() as u8,
            _ => return false,
        };
        if t.next() != Some(lowered) {
            return false;
        }
    }
    t.next().is_none()
}

/// What the controller makes of an `allow-tags` value before compiling
/// its regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowTags<'a> {
    /// Empty or `any`: every tag.
    Any,
    /// `regexp:<re>`, the regex starting at byte `at` of the value.
    Regexp { re: &'a str, at: usize },
    /// Any other value: the controller matches no tag with it.
    Nothing,
}

/// Argo's `ParseMatch` up to compiling the regex: `any` is compared as a
/// whole value; otherwise the function name ends at the first colon
/// (`strings.SplitN(val, ":", 2)`, so the regex may hold more), and no
/// colon or an unknown function matches nothing.
pub fn allow_tags_of(s: &str) -> AllowTags<'_> {
    if s.is_empty() || go_lower_eq(s, "any") {
        return AllowTags::Any;
    }
    match s.split_once(':') {
        Some((f, re)) if go_lower_eq(f, "regexp") => AllowTags::Regexp {
            re,
            at: f.len() + 1,
        },
        _ => AllowTags::Nothing,
    }
}

/// Which Argo CD Image Updater reads the repository. v0.x reads the
/// annotations of every Application; v1.x reads `ImageUpdater` CRs, and an
/// Application's annotations only through a CR's applicationRef with
/// `useAnnotations: true` (`pkg/argocd/argocd.go`, FilterApplicationsForUpdate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Generation {
    /// Annotations only (v0.x).
    #[default]
    V0,
    /// `ImageUpdater` CRs (v1.x).
    V1,
}

impl Generation {
    pub fn as_str(self) -> &'static str {
        match self {
            Generation::V0 => "v0",
            Generation::V1 => "v1",
        }
    }

    /// `v0` / `v1` (also `0`, `1`, `v0.x`, `v1.x`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim_start_matches('v').trim_end_matches(".x") {
            "0" => Some(Generation::V0),
            "1" => Some(Generation::V1),
            _ => None,
        }
    }
}

/// The generation a load applies, and why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GenerationChoice {
    pub generation: Generation,
    pub why: GenerationWhy,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum GenerationWhy {
    /// `--argocd-image-updater` named it.
    Flag,
    /// An `ImageUpdater` CR is in the repository (its file, relative).
    Cr(String),
    /// No `ImageUpdater` CR is in the repository.
    #[default]
    NoCr,
}

impl GenerationChoice {
    /// One sentence for people: which generation, and why.
    pub fn describe(&self) -> String {
        let g = match self.generation {
            Generation::V0 => "v0.x (annotations on every Application)",
            Generation::V1 => {
                "v1.x (ImageUpdater CRs; annotations only through useAnnotations: true)"
            }
        };
        let why = match &self.why {
            GenerationWhy::Flag => "as --argocd-image-updater says".to_owned(),
            GenerationWhy::Cr(file) => format!("an ImageUpdater CR is in {file}"),
            GenerationWhy::NoCr => "no ImageUpdater CR is in the repository".to_owned(),
        };
        format!("Argo CD Image Updater {g}: {why}")
    }

    /// The reason a machine reads.
    pub fn reason(&self) -> String {
        match &self.why {
            GenerationWhy::Flag => "flag".to_owned(),
            GenerationWhy::Cr(file) => format!("ImageUpdater CR in {file}"),
            GenerationWhy::NoCr => "no ImageUpdater CR".to_owned(),
        }
    }
}

/// The precedence of an applicationRef's `namePattern` when several match
/// one Application (`pkg/argocd/argocd.go`, calculateSpecificity): an exact
/// name outranks any glob, then more literal characters win, then label
/// selectors (10,000, plus 100 per matchLabels / matchExpressions entry).
pub fn ref_specificity(pattern: &str, selectors: Option<(usize, usize)>) -> u64 {
    let mut score = 0u64;
    if !pattern.contains(['*', '?', '[', ']']) {
        score += 1_000_000;
    }
    // `[...]` sets count for nothing (non-greedy, as the controller's
    // `\[.*?]` strips them), nor do `*` and `?`.
    let mut literals = 0u64;
    let mut rest = pattern;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[')
            && let Some(close) = after.find(']')
        {
            rest = &after[close + 1..];
            continue;
        }
        let c = rest.chars().next().unwrap_or_default();
        if c != '*' && c != '?' {
            literals += c.len_utf8() as u64;
        }
        rest = &rest[c.len_utf8()..];
    }
    score += literals;
    if let Some((labels, expressions)) = selectors {
        score += 10_000 + 100 * (labels + expressions) as u64;
    }
    score
}

/// `imagesVerification` (v1.3+): the controller refuses an update whose
/// signature does not verify (`pkg/argocd/update.go`). The most specific
/// block wins (image over applicationRef over spec).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImagesVerification {
    /// `enabled`, default true when the block is present.
    pub enabled: bool,
    /// `cosignKey.secretName` / `cosignKey.key`.
    pub secret_name: Option<String>,
    pub key: Option<String>,
}

impl ImagesVerification {
    /// What the controller would check, for preview and apply.
    pub fn describe(&self) -> String {
        match (&self.secret_name, &self.key) {
            (Some(s), Some(k)) => format!("cosign key {s}#{k}"),
            (Some(s), None) => format!("cosign key in Secret {s}"),
            _ => "cosign".to_owned(),
        }
    }
}

/// `writeBackConfig.gitConfig.pullRequest` (v1.2+): the controller pushes to
/// a branch of its own and opens a pull request instead of pushing to the
/// write branch. The applicationRef's block replaces the spec's wholesale.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PullRequest {
    /// `github`, `gitlab`: the keys set, in source order.
    pub providers: Vec<String>,
    /// `labels` (controller main after v1.3.0).
    pub labels: Vec<String>,
}

impl PullRequest {
    pub fn describe(&self) -> String {
        if self.providers.is_empty() {
            "no provider".to_owned()
        } else {
            self.providers.join("/")
        }
    }
}
