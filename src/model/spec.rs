//! The one spec every dialect is read into: an image updater in the shape
//! of KubeSphere's `ImageUpdater` abstraction, widened so that no dialect's
//! setting is lost on the way through. The readers in [`super::read`] fill
//! it once per load (keeping where each value came from); export's writers
//! turn it into another dialect's objects and say which values they could
//! not hold.
//!
//! Equality compares values only, never origins, so a round trip
//! (A → B → A) can be checked with `==`.

use super::argo;
use crate::diagnostic::FileId;
use crate::yaml::Span;

/// Where a value was read from. Remarks about the value point here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Origin {
    pub file: FileId,
    pub span: Span,
}

/// A value and the bytes it was read from (`None` when a writer or a
/// default made it up).
#[derive(Debug, Clone, Default)]
pub struct Field<T> {
    pub value: T,
    pub origin: Option<Origin>,
}

impl<T> Field<T> {
    pub fn new(value: T, origin: Option<Origin>) -> Self {
        Self { value, origin }
    }

    /// A value that was not read from any file.
    pub fn made(value: T) -> Self {
        Self {
            value,
            origin: None,
        }
    }
}

impl<T: PartialEq> PartialEq for Field<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Field<T> {}

/// The dialects export reads and writes (`--to` / `--from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dialect {
    /// Argo CD Image Updater annotations on an `Application`.
    Argocd,
    /// Argo CD Image Updater `ImageUpdater` CR (v1alpha1, v1.3 schema).
    ArgocdCrd,
    /// Flux ImageRepository / ImagePolicy / ImageUpdateAutomation (v1).
    Flux,
    /// KubeSphere `ImageUpdater` (gitops.kubesphere.io/v1alpha1).
    Kubesphere,
}

impl Dialect {
    pub const ALL: [Dialect; 4] = [
        Dialect::Argocd,
        Dialect::ArgocdCrd,
        Dialect::Flux,
        Dialect::Kubesphere,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Argocd => "argocd",
            Dialect::ArgocdCrd => "argocd-crd",
            Dialect::Flux => "flux",
            Dialect::Kubesphere => "kubesphere",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// Which controller family carries the updater out (KubeSphere
/// `spec.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    #[default]
    Argocd,
    Fluxcd,
}

/// One updater: a set of images that follow their registries, the
/// application they belong to, and how new tags reach git.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Updater {
    /// `metadata.name` of the object it was read from (Argo annotations:
    /// the Application's name; Flux: the ImageUpdateAutomation's, or the
    /// namespace's when policies have no automation).
    pub name: String,
    pub namespace: Option<String>,
    pub engine: Engine,
    pub images: Vec<Image>,
    pub app: App,
    /// How updates are written: Argo's `write-back-method`, KubeSphere
    /// `write`; Flux always writes to git.
    pub write: Option<Field<WriteMethod>>,
    pub git: Git,
    /// A write method no controller knows (Argo `write-back-method`,
    /// `writeBackConfig.method`, KubeSphere `write`), verbatim: apply says
    /// why it writes nothing. No dialect can hold it; the reader's remark
    /// says so, and it is not compared.
    pub unknown_write: Option<Field<String>>,
    /// Source fields the spec has no place for. Each becomes a remark on
    /// export whatever the target.
    pub dropped: Vec<Remark>,
    /// Where the object was read from; not compared.
    pub from: Option<(Dialect, Origin)>,
    /// Every setting as the object wrote it, in source order, before the
    /// reader merged and parsed it: what validate judges. A CR's settings
    /// are all on its first updater (its refs share the top level, and
    /// refs that make no updater still say something). Not compared.
    pub written: Vec<AsWritten>,
    /// Read from an ApplicationSet's `spec.template`: values may hold
    /// generator placeholders (`{{name}}`, `{{ .path.basename }}`) that
    /// only the ApplicationSet controller resolves. Not compared.
    pub templated: bool,
    /// The Applications of the repository the controller runs this
    /// updater for (Argo CR: those in the CR's namespace whose name the
    /// ref's `namePattern` matches, where no more specific ref of the CR
    /// does), at their objects' roots. Not compared.
    pub applications: Vec<Origin>,
    /// Why the controller would not run this updater at all (an
    /// annotated Application no v1 `ImageUpdater` reads, a CR under v0);
    /// preview and apply say it for every image. Not compared.
    pub inactive: Option<String>,
    /// Argo `writeBackConfig.gitConfig.pullRequest`, as merged for the
    /// updater; nothing offline opens the pull request. Not compared.
    pub pull_request: Option<Field<argo::PullRequest>>,
}

// `from`, `dropped`, `unknown_write`, `written` and `templated` are
// bookkeeping, not part of the spec.
impl Updater {
    pub fn same_spec(&self, other: &Updater) -> bool {
        self.name == other.name
            && self.namespace == other.namespace
            && self.engine == other.engine
            && self.images == other.images
            && self.app == other.app
            && self.write == other.write
            && self.git == other.git
    }
}

/// A setting as its object wrote it, before the reader merged it down to
/// images and parsed it. Validate judges these rather than the merged
/// values: a value an override hides, or that no image takes, is still
/// wrong where it is written, and a misspelt strategy is only visible
/// before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsWritten {
    pub setting: SettingName,
    /// The key as written, at the key: an annotation key without its
    /// prefix (`web.update-strategy`), a CR field name (`updateStrategy`),
    /// a KubeSphere alias-map key (the alias).
    pub key: Field<String>,
    /// The value's text, at the value; `None` when it is not a string
    /// (annotation values always are, the empty string for a non-string).
    pub value: Option<Field<String>>,
}

/// What an [`AsWritten`] setting is, whatever the dialect calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingName {
    /// Argo `image-list`: comma-separated `[alias=]image[:constraint]`.
    ImageList,
    /// One KubeSphere `spec.images[]` entry, `[alias=]image[:constraint]`.
    Image,
    /// Argo CR `images[].imageName`, `image[:constraint]`.
    ImageName,
    UpdateStrategy,
    /// `any` or `regexp:<re>` (Argo, KubeSphere design `allow-tags`).
    AllowTags,
    /// A bare regex (KubeSphere shipped `allowTags`: the controller
    /// prepends `regexp:`).
    TagRegex,
    /// Globs: comma-separated in annotations and KubeSphere maps, one per
    /// item in the CR.
    IgnoreTags,
    /// `os/arch[/variant]`, listed as `IgnoreTags` is.
    Platforms,
    /// An Argo credential reference.
    PullSecret,
    /// KubeSphere `secret(s)`: `[ns/]name`.
    SecretName,
    ForceUpdate,
    WriteBackMethod,
    GitBranch,
    GitRepository,
    WriteBackTarget,
    /// Argo `helm.image-*` / CR `manifestTargets.helm.*`.
    HelmTarget,
    /// Argo `kustomize.image-name` / CR `manifestTargets.kustomize.name`.
    KustomizeTarget,
    /// Argo v0 `tag-match`.
    TagMatch,
    /// KubeSphere `spec.kind`: `argocd` or `fluxcd`.
    Engine,
    /// The KubeSphere argo section read (`argo`, else `argocd`): its key,
    /// placed at the section's mapping; no value.
    ArgoSection,
    /// The KubeSphere flux section (`fluxcd`, else `flux`), as
    /// `ArgoSection` is.
    FluxSection,
    /// KubeSphere fluxcd `policy.semver.range`.
    SemverRange,
    /// KubeSphere fluxcd `interval`.
    Interval,
    /// KubeSphere fluxcd `git.commit.messageTemplate`.
    MessageTemplate,
    /// KubeSphere fluxcd `update.strategy` (only `Setters`).
    SettersStrategy,
    /// A key the dialect does not have.
    Unknown,
}

/// One image, with its settings merged down to the image level (Argo's
/// global → application → image inheritance is resolved by the reader).
#[derive(Debug, Clone, Eq, Default)]
pub struct Image {
    /// Argo alias / KubeSphere alias / Flux ImagePolicy name.
    pub alias: Option<Field<String>>,
    /// The repository, `[registry/]path`, as written (no tag, no digest).
    pub name: Field<String>,
    /// Argo version constraint, Flux `policy.semver.range`, KubeSphere
    /// `policy.semver.range`: a Masterminds constraint for semver, the
    /// tag to follow for digest.
    pub constraint: Option<Field<String>>,
    pub strategy: Option<Field<Strategy>>,
    /// The bare RE2 regex tags must match (Argo `regexp:<re>`, Flux
    /// `filterTags.pattern`, KubeSphere shipped `allowTags`). `any` and
    /// absence are both `None`.
    pub tag_pattern: Option<Field<String>>,
    /// An Argo `allow-tags` that is neither `any` nor `regexp:<re>`,
    /// verbatim: the controller then matches no tag, and preview says so.
    /// No other dialect can say this; the reader's remark says so, and it
    /// is not compared.
    pub matches_nothing: Option<Field<String>>,
    /// Flux `filterTags.extract`.
    pub extract: Option<Field<String>>,
    /// Argo `ignore-tags` globs.
    pub ignore_tags: Option<Field<Vec<String>>>,
    /// `os/arch[/variant]`.
    pub platforms: Option<Field<Vec<String>>>,
    pub pull_secret: Option<Field<PullSecret>>,
    pub force_update: Option<Field<bool>>,
    /// Flux ImageRepository `interval` (how often the registry is scanned).
    pub scan_interval: Option<Field<String>>,
    /// Flux ImagePolicy `digestReflectionPolicy`.
    pub reflect_digest: Option<Field<String>>,
    /// Where the tag is written: Argo helm/kustomize manifest targets, or
    /// what Flux markers show (a marker on a values key is a Helm target,
    /// one in kustomize `images:` a kustomize target).
    pub helm: Option<HelmTarget>,
    pub kustomize_name: Option<Field<String>>,
    /// Argo CR `manifestTargets.plugin` (v1.3.0+): the env entries of a
    /// Config Management Plugin source that hold the name, the tag or the
    /// whole reference. No other dialect can hold it (the reader's remark
    /// says so), so it is not compared.
    pub plugin: Option<HelmTarget>,
    /// Argo `imagesVerification` as merged down to the image (enabled or
    /// not); nothing offline verifies a signature. Not compared.
    pub verification: Option<Field<argo::ImagesVerification>>,
    /// The image entry itself; not compared.
    pub origin: Option<Origin>,
}

// Where an image was read from is not part of what it says.
impl PartialEq for Image {
    fn eq(&self, other: &Self) -> bool {
        let Image {
            alias,
            name,
            constraint,
            strategy,
            tag_pattern,
            extract,
            ignore_tags,
            platforms,
            pull_secret,
            force_update,
            scan_interval,
            reflect_digest,
            helm,
            kustomize_name,
            plugin: _,
            matches_nothing: _,
            verification: _,
            origin: _,
        } = self;
        *alias == other.alias
            && *name == other.name
            && *constraint == other.constraint
            && *strategy == other.strategy
            && *tag_pattern == other.tag_pattern
            && *extract == other.extract
            && *ignore_tags == other.ignore_tags
            && *platforms == other.platforms
            && *pull_secret == other.pull_secret
            && *force_update == other.force_update
            && *scan_interval == other.scan_interval
            && *reflect_digest == other.reflect_digest
            && *helm == other.helm
            && *kustomize_name == other.kustomize_name
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HelmTarget {
    pub name: Option<Field<String>>,
    pub tag: Option<Field<String>>,
    pub spec: Option<Field<String>>,
}

/// Selection strategies, named by what they do. Deprecated Argo names
/// (`latest`, `name`) are read as their current ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Semver,
    /// Argo `newest-build`.
    NewestBuild,
    /// Argo `alphabetical` is Flux `alphabetical` with `order: asc` (the
    /// last tag in byte order wins); `desc` picks the first.
    Alphabetical {
        desc: bool,
    },
    /// Flux only.
    Numerical {
        desc: bool,
    },
    /// Argo only: follow the digest of the constraint tag.
    Digest,
}

impl Strategy {
    /// The Argo / KubeSphere name, or what the strategy does where they
    /// have none.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Semver => "semver",
            Strategy::NewestBuild => "newest-build",
            Strategy::Alphabetical { desc: false } => "alphabetical",
            Strategy::Digest => "digest",
            Strategy::Alphabetical { desc: true } => "alphabetical (descending)",
            Strategy::Numerical { .. } => "numerical",
        }
    }
}

/// Registry credentials for one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullSecret {
    /// A dockerconfigjson Secret: Argo `pullsecret:<ns>/<name>`, Flux
    /// `secretRef.name`, KubeSphere `secret(s)`.
    Secret {
        namespace: Option<String>,
        name: String,
    },
    /// Any other Argo credential reference (`secret:ns/name#field`,
    /// `env:VAR`, `ext:/path`), kept verbatim.
    Other(String),
}

/// The Argo CD Application an updater drives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct App {
    /// Exact name, or an Argo CR `namePattern` glob.
    pub name: Option<Field<String>>,
    /// Where the Application lives (the annotated object's, the CR's,
    /// KubeSphere design `app.namespace`).
    pub namespace: Option<Field<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteMethod {
    /// Argo `argocd`, KubeSphere `built-in`: parameters on the
    /// Application, nothing in git.
    InCluster,
    /// Argo `git[:repocreds|:secret:<ns>/<name>]`, KubeSphere `git`, Flux.
    /// `credentials` is the part after `git:`, verbatim.
    Git { credentials: Option<String> },
}

/// Git write-back settings from either family. Every field optional: a
/// writer fills what its target requires from defaults and says so.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Git {
    /// Argo `git-repository` (a URL).
    pub repository: Option<Field<String>>,
    /// Flux `sourceRef` (a GitRepository).
    pub source_ref: Option<Field<SourceRef>>,
    /// Argo `git-branch` base part / Flux `checkout.ref.branch`.
    pub checkout_branch: Option<Field<String>>,
    /// Argo `git-branch` target part (may be a template) / Flux
    /// `push.branch`.
    pub push_branch: Option<Field<String>>,
    /// Argo `write-back-target`.
    pub target: Option<Field<String>>,
    /// Flux `update.path`.
    pub path: Option<Field<String>>,
    pub author_name: Option<Field<String>>,
    pub author_email: Option<Field<String>>,
    pub signing_key: Option<Field<SigningKey>>,
    pub message_template: Option<Field<String>>,
    /// Flux ImageUpdateAutomation `interval`, KubeSphere fluxcd `interval`.
    pub interval: Option<Field<String>>,
    /// Flux ImageUpdateAutomation name when read from Flux.
    pub automation: Option<Field<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRef {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub secret: String,
    /// `gpg` or `ssh`; `None` leaves Flux's default (gpg).
    pub kind: Option<String>,
}

/// Something export has to tell the user about one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remark {
    pub kind: RemarkKind,
    /// The value concerned; `None` points at the updater's object.
    pub origin: Option<Origin>,
    /// e.g. `spec.applicationRefs[0].labelSelectors`.
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemarkKind {
    /// The target cannot hold the value; it is left out (IU701, an error
    /// under `--strict`).
    NoEquivalent,
    /// A source object or entry cannot be exported at all (IU702).
    Skipped,
    /// The value is written in another form, or a required value was
    /// filled in (IU703).
    Normalized,
}

impl Remark {
    /// A value the target cannot hold.
    pub fn no_equivalent(
        origin: Option<Origin>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(RemarkKind::NoEquivalent, origin, field, message)
    }

    pub fn new(
        kind: RemarkKind,
        origin: Option<Origin>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            origin,
            field: field.into(),
            message: message.into(),
        }
    }
}
