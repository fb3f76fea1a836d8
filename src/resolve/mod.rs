//! Tag resolution: which registry tags are versions, how they order, and
//! which tag a Flux policy or an Argo CD Image Updater strategy selects.
//! Pure engines (`flux`, `argo`) fed by a [`TagSource`] (`tags` reads the
//! offline `--tags-from` file; the registry client plugs in behind the same
//! trait).

pub mod argo;
pub mod constraint;
pub mod flux;
pub mod tags;
pub mod version;

use std::fmt;

/// A point in time, as a registry's image config `created` gives it
/// (RFC 3339), reduced to what ordering needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since the Unix epoch, UTC.
    pub secs: i64,
    pub nanos: u32,
}

/// `os/arch[/variant]` of one manifest of an image index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// One tag of a repository with whatever metadata the source knows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagInfo {
    pub tag: String,
    /// Image config `created` (for newest-build).
    pub created: Option<Timestamp>,
    /// Manifest or index digest `sha256:…` (for the digest strategy and
    /// Flux digest reflection).
    pub digest: Option<String>,
    /// Platforms of the image index (empty: unknown / single manifest of
    /// unknown platform).
    pub platforms: Vec<Platform>,
}

impl TagInfo {
    pub fn new(tag: impl Into<String>) -> Self {
        Self {
            tag: tag.into(),
            ..Self::default()
        }
    }
}

/// What resolution decided for one update target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The repository the target follows, as shown to the user.
    pub image: String,
    /// The policy that chose, described for the user.
    pub policy: String,
    /// The value to write, or why there is none.
    pub value: Result<String, Unresolved>,
    /// What the controller would do around the value that nothing here
    /// does offline (Argo `imagesVerification`, `pullRequest` write-back).
    pub offline: Offline,
}

/// Steps the controller takes around an update that preview and apply do
/// not perform offline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offline {
    /// The signature check the update waits for (the controller refuses
    /// an update that fails it).
    pub verification: Option<String>,
    /// The pull request the controller would open instead of pushing.
    pub pull_request: Option<String>,
}

impl Offline {
    /// One sentence for people, `None` when nothing is left out.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(v) = &self.verification {
            parts.push(format!("imagesVerification not performed offline ({v})"));
        }
        if let Some(p) = &self.pull_request {
            parts.push(format!("pullRequest not opened offline ({p})"));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Why a target has no value to write: not a failure of the run, but the
/// reason preview shows and apply skips the target with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unresolved {
    /// The policy or strategy selects nothing, in its own words.
    #[error("{0}")]
    Reason(String),
    /// The tag source could not answer for the repository.
    #[error("{0}")]
    Source(#[from] SourceError),
}

/// One decision per target, in target order, and the repositories the
/// tag source failed for (exit code 2 even when other targets resolve).
#[derive(Debug, Default)]
pub struct Resolution {
    pub decisions: Vec<Decision>,
    pub source_failures: Vec<String>,
}

/// Why a source could not answer for a repository.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The source has no entry for this repository.
    #[error("no tags known for {0}")]
    UnknownRepository(String),
    /// The source failed (network, auth, a malformed file).
    #[error("{0}")]
    Failed(String),
}

/// Where tags come from. `repository` is a normalised repository name
/// (`docker.io/library/nginx`, see [`crate::model::image::ImageRef::normalized_name`]).
/// Implementations answer each repository once per run (callers may ask
/// many times).
pub trait TagSource: Sync {
    /// Every tag with the metadata this source has. Strategies that need no
    /// metadata ignore it, so a registry client may leave it empty until
    /// [`TagSource::describe`] is called.
    fn tags(&self, repository: &str) -> Result<Vec<TagInfo>, SourceError>;

    /// Metadata for one tag (created, digest, platforms). The default looks
    /// the tag up in [`TagSource::tags`].
    fn describe(&self, repository: &str, tag: &str) -> Result<TagInfo, SourceError> {
        self.tags(repository)?
            .into_iter()
            .find(|t| t.tag == tag)
            .ok_or_else(|| SourceError::Failed(format!("{repository} has no tag {tag:?}")))
    }

    /// Every tag, with at least the metadata `need` asks for on the tags it
    /// names. A source that already holds all metadata (the tags file)
    /// keeps the default, which is [`TagSource::tags`]; a registry fetches
    /// manifests and configs only for what is asked, so plain semver costs
    /// one tag listing and nothing else.
    fn tags_with(&self, repository: &str, _need: &Need) -> Result<Vec<TagInfo>, SourceError> {
        self.tags(repository)
    }

    /// A hint: these repositories (normalised names) will be asked for
    /// shortly. A network source may list them concurrently now; answers
    /// (and failures) must then come from what this fetched. The default
    /// does nothing.
    fn prefetch(&self, _repositories: &[String]) {}

    /// The credentials the repository names for some images (Argo's
    /// `pull-secret` / `pullSecret`, Flux `secretRef`, KubeSphere
    /// `secret`), as `(repository, reference)` pairs in Argo's
    /// credential-reference syntax (`pullsecret:ns/name`,
    /// `secret:ns/name#field`, `env:VAR`, `ext:/path`). A registry reads
    /// those images with them, as the controller would; the default (a
    /// tags file) needs none.
    fn pull_secrets(&self, _by_repository: &[(String, String)]) {}
}

/// What metadata a strategy needs besides tag names. `Need::default()` is
/// names only (semver, alphabetical, numerical).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Need {
    /// `TagInfo.digest` (Argo digest strategy, Flux digest reflection).
    pub digests: bool,
    /// `TagInfo.created` (Argo newest-build): needs image configs.
    pub created: bool,
    /// `TagInfo.platforms` (Argo newest-build and digest filter on them).
    pub platforms: bool,
    /// Requested platforms (`os/arch[/variant]`, empty = Argo's default,
    /// [`argo::DEFAULT_PLATFORM`]). For an image index, `created` is the
    /// newest among the manifests these accept (as Argo computes it), so a
    /// registry fetches configs of those manifests only.
    pub platform_filter: Vec<String>,
    /// Tags that need the metadata (`None`: every tag). The others may come
    /// back with names only.
    pub only: Option<Vec<String>>,
}

impl Need {
    /// True when names alone answer.
    pub fn names_only(&self) -> bool {
        !(self.digests || self.created || self.platforms)
    }

    /// Whether `tag` needs metadata.
    pub fn wants(&self, tag: &str) -> bool {
        !self.names_only()
            && self
                .only
                .as_ref()
                .is_none_or(|o| o.iter().any(|t| t == tag))
    }
}
