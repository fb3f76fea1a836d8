//! Argo CD Image Updater (v1.3) tag selection: which tag each update
//! strategy (`semver`, `newest-build`, `alphabetical`, `digest`) picks from
//! a repository's tags, after `allow-tags`, `ignore-tags` and the platform
//! filter. Pure: the tags (with whatever metadata the source has) come in,
//! a [`Selection`] or a [`SelectError`] goes out. Reading the configuration
//! and deciding whether the live image must change belong to the callers.
//!
//! The steps and their order follow the controller (`registry-scanner`
//! `GetTags` then `GetNewestVersionFromTags`):
//! 1. `digest` without a constraint is an error before anything else;
//! 2. a tag survives if allow-tags accepts it, no ignore glob matches it,
//!    and (digest only) it equals the constraint;
//! 3. `newest-build` and `digest` need metadata: a tag whose metadata is
//!    missing or whose platforms all fail the platform filter is dropped;
//! 4. survivors go into a map keyed by tag name (a later duplicate replaces
//!    an earlier one);
//! 5. no survivors → no result, *before* the semver constraint is parsed, so
//!    an invalid constraint is only an error when some tag is a version;
//! 6. sort ascending by the strategy's order and take the last.
//!
//! Step 6 is done as a single "keep the greatest" pass: same answer, no sort.

use std::cmp::Ordering;
use std::collections::HashSet;

use regex::Regex;

use super::constraint::Constraint;
use super::version::Version;
use super::{Platform, TagInfo};
use crate::gosyntax::glob::{glob_match, validate_glob};
use crate::gosyntax::regex::{GoRegexErrorKind, compile_go_regex};
use crate::model::argo::{AllowTags as AllowTagsSyntax, allow_tags_of};

/// The platform the updater runs on when no platforms are configured. Argo
/// uses its own `GOOS/GOARCH`; the released images are `linux/amd64` (and
/// arm64), and we document `linux/amd64` as our stand-in.
pub const DEFAULT_PLATFORM: &str = "linux/amd64";

pub use crate::model::argo::Strategy;

/// Everything about one image that influences which tag is selected.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ArgoSettings {
    pub strategy: Strategy,
    /// The tag part of the `image-list` entry / CR `imageName`, verbatim
    /// (`None` and `Some("")` both mean "no tag"). A semver range for
    /// `semver`, the tag to track for `digest`, ignored otherwise.
    pub constraint: Option<String>,
    /// The `allow-tags` value (`regexp:…`, `any`, …), unparsed.
    pub allow_tags: Option<String>,
    /// `ignore-tags` globs, already split (Argo splits the annotation at
    /// commas and trims; each entry is used as given here).
    pub ignore_tags: Vec<String>,
    /// `platforms` entries (`os/arch[/variant]`). Empty = the updater's own
    /// platform, which we take to be [`DEFAULT_PLATFORM`].
    pub platforms: Vec<String>,
}

/// The tag Argo would write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub tag: String,
    /// `sha256:…` of the tag's manifest or index; only for the digest
    /// strategy (Argo records no digest for the others).
    pub digest: Option<String>,
}

impl Selection {
    /// Argo's `GetTagWithDigest`: `tag@sha256:…`, `latest@sha256:…` when the
    /// tag name is empty, the bare tag when there is no digest.
    pub fn tag_with_digest(&self) -> String {
        match self.digest.as_deref().filter(|d| !d.is_empty()) {
            Some(d) if self.tag.is_empty() => format!("latest@{d}"),
            Some(d) => format!("{}@{d}", self.tag),
            None => self.tag.clone(),
        }
    }

    /// Argo's `ImageTag.Equals` against a running image's tag and digest:
    /// when either side has a digest only digests are compared (a tag name
    /// match with a digest on one side only is *not* equal; different names
    /// with the same digest *are*), otherwise names are. This is how the
    /// controller decides "no update needed" (§2.8).
    pub fn equals(&self, tag: &str, digest: Option<&str>) -> bool {
        let mine = self.digest.as_deref().unwrap_or("");
        let theirs = digest.unwrap_or("");
        if !mine.is_empty() || !theirs.is_empty() {
            mine == theirs
        } else {
            self.tag == tag
        }
    }
}

/// Why no answer can be given. `Ok(None)` from [`select`] is not an error:
/// it is Argo's "no suitable version found".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// The semver constraint does not parse (Argo counts the image as an
    /// error and updates nothing). Holds `'<constraint>': <reason>`.
    #[error("invalid semver constraint {0}")]
    InvalidConstraint(String),
    /// The digest strategy names the tag to track in the constraint.
    #[error(
        "cannot use update strategy 'digest' without a version constraint: the image needs a tag naming the tag to track"
    )]
    DigestWithoutConstraint,
    /// Argo accepts the `allow-tags` regexp but it cannot be evaluated here,
    /// so the answer is unknown (not "matches nothing").
    #[error("allow-tags cannot be evaluated here: {0}")]
    Unsupported(String),
    /// Digest strategy: the tracked tag exists but the tag source has no
    /// digest for it. Argo always has one (it hashes the manifest it
    /// fetched), so the answer depends on data we lack: an error, not `None`.
    #[error("the tag source has no digest for tracked tag {0:?}")]
    MissingDigest(String),
}

/// Selects the tag Argo CD Image Updater would choose. `tags` is the
/// registry's list in its order, with metadata where the source has it.
/// `Ok(None)` = no candidate (empty list, everything filtered, nothing in
/// range), exactly where Argo reports no update without an error.
///
/// Metadata model (`newest-build`, `digest`): `created: None` means the
/// metadata could not be had and the tag is dropped, as Argo drops a tag
/// whose manifest fetch fails. `platforms` non-empty must contain one
/// platform the filter accepts, else the tag is dropped (Argo drops index
/// tags without a matching reference and single manifests of another
/// platform). `platforms` empty is taken as a single manifest of unknown
/// platform and accepted: the source could not tell, and rejecting would
/// hide every tag of sources that record no platforms. `created` is used as
/// given (Argo uses the newest `created` among matching platforms; the
/// source is expected to have computed it).
pub fn select(settings: &ArgoSettings, tags: &[TagInfo]) -> Result<Option<Selection>, SelectError> {
    let constraint = settings.constraint.as_deref().unwrap_or("");
    // `GetTags` checks this right after listing tags, before filtering, so it
    // is an error whatever the registry holds.
    if settings.strategy == Strategy::Digest && constraint.is_empty() {
        return Err(SelectError::DigestWithoutConstraint);
    }
    // An empty list is "no update" (v1.2+) whatever the filters say, even
    // an allow-tags regexp we could not evaluate.
    if tags.is_empty() {
        return Ok(None);
    }
    let allow = AllowTags::parse(settings.allow_tags.as_deref())?;
    if matches!(allow, AllowTags::Nothing) {
        return Ok(None);
    }
    let ignore = IgnoreList::new(&settings.ignore_tags);
    let keep = |t: &str| allow.matches(t) && !ignore.matches(t);

    match settings.strategy {
        Strategy::Semver => select_semver(
            constraint,
            tags.iter().map(|t| t.tag.as_str()).filter(|t| keep(t)),
        ),
        // Plain Go string order; only the name matters, so duplicates need
        // no special care.
        Strategy::Alphabetical => Ok(tags
            .iter()
            .map(|t| t.tag.as_str())
            .filter(|t| keep(t))
            .max()
            .map(|t| Selection {
                tag: t.to_owned(),
                digest: None,
            })),
        Strategy::NewestBuild => {
            let filter = PlatformFilter::new(&settings.platforms);
            Ok(select_newest(tags, &keep, &filter))
        }
        Strategy::Digest => {
            let filter = PlatformFilter::new(&settings.platforms);
            // Only the constraint tag survives; of duplicates the last one
            // with usable metadata is the one in Argo's map.
            let found = tags
                .iter()
                .rev()
                .find(|t| t.tag == constraint && keep(&t.tag) && filter.accepts_any(&t.platforms));
            match found {
                None => Ok(None),
                Some(t) => match t.digest.as_deref().filter(|d| !d.is_empty()) {
                    Some(d) => Ok(Some(Selection {
                        tag: t.tag.clone(),
                        digest: Some(d.to_owned()),
                    })),
                    None => Err(SelectError::MissingDigest(t.tag.clone())),
                },
            }
        }
    }
}

/// Semver: the greatest parseable tag satisfying the constraint, ties (equal
/// precedence, e.g. `1.0` / `1.0.0` / `v1.0.0`) broken by the greatest
/// original text, which is where Argo's `semverCollection` sort puts them.
fn select_semver<'a>(
    constraint_text: &str,
    tags: impl Iterator<Item = &'a str>,
) -> Result<Option<Selection>, SelectError> {
    // v1.3 treats an empty constraint as `*` (releases only). Parse errors
    // are held back: Argo returns "no tags" before parsing when no tag is a
    // version (`SortBySemVer` drops the rest), so `latest` as constraint
    // only errors when there is something to compare.
    let constraint = if constraint_text.is_empty() {
        Ok(Constraint::any())
    } else {
        Constraint::parse(constraint_text)
    };
    let mut best: Option<Version> = None;
    for tag in tags {
        let Ok(v) = Version::parse_argo(tag) else {
            continue; // Argo: "Not a valid version", silently skipped
        };
        let c = match &constraint {
            Ok(c) => c,
            Err(e) => {
                return Err(SelectError::InvalidConstraint(format!(
                    "'{constraint_text}': {e}"
                )));
            }
        };
        // Only a candidate that would beat the current best needs the
        // (costlier) constraint check; the maximum is the same.
        if best
            .as_ref()
            .is_some_and(|b| semver_order(&v, b) != Ordering::Greater)
        {
            continue;
        }
        if c.matches(&v) {
            best = Some(v);
        }
    }
    Ok(best.map(|v| Selection {
        tag: v.original().to_owned(),
        digest: None,
    }))
}

/// Argo's `semverCollection.Less` as an ordering.
fn semver_order(a: &Version, b: &Version) -> Ordering {
    a.cmp_precedence(b)
        .then_with(|| a.original().as_bytes().cmp(b.original().as_bytes()))
}

/// Newest-build: greatest `(created, name)` among survivors, where a later
/// duplicate of a name replaces the earlier one (Argo's tag map).
fn select_newest(
    tags: &[TagInfo],
    keep: &dyn Fn(&str) -> bool,
    filter: &PlatformFilter,
) -> Option<Selection> {
    let survives =
        |t: &TagInfo| t.created.is_some() && keep(&t.tag) && filter.accepts_any(&t.platforms);
    // Fast path, no hashing: the greatest entry overall (the last of equal
    // keys). If no later survivor shares its name, it is in Argo's map and,
    // the map being a subset of the entries, it is the answer. Registries
    // never list a name twice, so the fallback is for odd tag files.
    let mut best: Option<usize> = None;
    for (i, t) in tags.iter().enumerate() {
        if survives(t) && best.is_none_or(|b| newest_key(t) >= newest_key(&tags[b])) {
            best = Some(i);
        }
    }
    let b = best?;
    let name = tags[b].tag.as_str();
    let winner = if tags[b + 1..].iter().any(|t| t.tag == name && survives(t)) {
        // Walking backwards, the first occurrence of a name is the last
        // insert; skip the earlier ones.
        let mut seen: HashSet<&str> = HashSet::with_capacity(tags.len());
        tags.iter()
            .rev()
            .filter(|t| survives(t) && seen.insert(&t.tag))
            .max_by(|x, y| newest_key(x).cmp(&newest_key(y)))?
    } else {
        &tags[b]
    };
    Some(Selection {
        tag: winner.tag.clone(),
        digest: None,
    })
}

/// Argo's `SortByDate` order: date, then tag name in byte order.
fn newest_key(t: &TagInfo) -> (Option<super::Timestamp>, &[u8]) {
    (t.created, t.tag.as_bytes())
}

/// Go `filepath.Match` against each pattern; a malformed pattern matches
/// nothing (Argo ignores the error). One-off form of [`IgnoreList`].
#[cfg(test)]
fn is_ignored(patterns: &[String], tag: &str) -> bool {
    patterns.iter().any(|p| glob_match(p, tag))
}

/// `ignore-tags` prepared once per selection, answering exactly like
/// [`glob_match`] on every pattern but without running the matcher on tags
/// that cannot match (it costs a few hundred ns a call, which dominated a
/// 100,000-tag selection).
struct IgnoreList<'a> {
    globs: Vec<IgnoreGlob<'a>>,
}

enum IgnoreGlob<'a> {
    /// No `*`, `?`, `[`, `\`: Go's `Match` is then plain equality (and the
    /// pattern cannot be malformed).
    Literal(&'a str),
    /// A valid pattern and the literal bytes it must start and end with:
    /// the chunk before the first `*` is matched at offset 0 and the last
    /// chunk must consume the rest of the name, so a name lacking either
    /// cannot match; otherwise [`glob_match`] decides.
    Glob {
        pattern: &'a str,
        prefix: &'a str,
        suffix: &'a str,
    },
}

impl<'a> IgnoreList<'a> {
    fn new(patterns: &'a [String]) -> IgnoreList<'a> {
        const META: &[u8] = b"*?[]\\";
        let globs = patterns
            .iter()
            // Malformed patterns never match (Go validates the whole pattern
            // before answering "no match"), so they are dropped up front.
            .filter(|p| validate_glob(p).is_ok())
            .map(|p| {
                let b = p.as_bytes();
                if !b.iter().any(|c| META.contains(c)) {
                    return IgnoreGlob::Literal(p);
                }
                let head = b.iter().position(|c| META.contains(c)).unwrap_or(b.len());
                let tail = b
                    .iter()
                    .rposition(|c| META.contains(c))
                    .map_or(0, |i| i + 1);
                // Both cuts are at ASCII bytes, so on char boundaries.
                IgnoreGlob::Glob {
                    pattern: p,
                    prefix: &p[..head],
                    suffix: &p[tail..],
                }
            })
            .collect();
        IgnoreList { globs }
    }

    fn matches(&self, tag: &str) -> bool {
        self.globs.iter().any(|g| match *g {
            IgnoreGlob::Literal(lit) => lit == tag,
            IgnoreGlob::Glob {
                pattern,
                prefix,
                suffix,
            } => tag.starts_with(prefix) && tag.ends_with(suffix) && glob_match(pattern, tag),
        })
    }
}

/// Argo's parsed `allow-tags` (`ParseMatch`).
enum AllowTags {
    All,
    Nothing,
    Regex(Regex),
}

impl AllowTags {
    fn parse(value: Option<&str>) -> Result<AllowTags, SelectError> {
        let arg = match allow_tags_of(value.unwrap_or_default()) {
            AllowTagsSyntax::Any => return Ok(AllowTags::All),
            AllowTagsSyntax::Nothing => return Ok(AllowTags::Nothing),
            AllowTagsSyntax::Regexp { re, .. } => re,
        };
        match compile_go_regex(arg) {
            Ok(re) => Ok(AllowTags::Regex(re)),
            Err(e) if e.kind == GoRegexErrorKind::Unsupported => Err(SelectError::Unsupported(
                format!("regexp {arg:?}: {}", e.code),
            )),
            // "Could not compile regexp": Argo falls back to MatchFuncNone.
            Err(_) => Ok(AllowTags::Nothing),
        }
    }

    fn matches(&self, tag: &str) -> bool {
        match self {
            AllowTags::All => true,
            AllowTags::Nothing => false,
            // `Regexp.Match`: unanchored search.
            AllowTags::Regex(re) => re.is_match(tag),
        }
    }
}

/// A compiled `allow-tags` predicate.
pub type TagMatcher = Box<dyn Fn(&str) -> bool + Send + Sync>;

/// The `allow-tags` value as Argo reads it: unset/empty or `any` accept
/// every tag, `regexp:<RE2>` an unanchored search, anything else (no colon,
/// another function, a regexp Go rejects) nothing at all. Errors only with
/// [`SelectError::Unsupported`], for a regexp Go accepts but this tool
/// cannot evaluate.
pub fn allow_tags_matcher(s: Option<&str>) -> Result<TagMatcher, SelectError> {
    let allow = AllowTags::parse(s)?;
    Ok(Box::new(move |tag: &str| allow.matches(tag)))
}

/// Whether a tag whose image offers `available` platforms passes Argo's
/// platform filter for `requested` (`os/arch[/variant]` entries; empty =
/// [`DEFAULT_PLATFORM`], the updater's own platform).
///
/// Argo's `WantsPlatform`: exact `os/arch/variant`, or, for a manifest with
/// a variant, its `os/arch` requested without variant. A requested variant
/// never accepts a manifest without one. An entry without `/` is kept by
/// Argo as the impossible key `<entry>/` (so `invalid` matches nothing).
/// `available` empty = single manifest of unknown platform: accepted (see
/// [`select`]).
pub fn matches_platform(requested: &[String], available: &[Platform]) -> bool {
    PlatformFilter::new(requested).accepts_any(available)
}

/// Requested platforms as Argo's `ManifestOptions` keys.
struct PlatformFilter {
    keys: Vec<String>,
}

impl PlatformFilter {
    fn new(requested: &[String]) -> PlatformFilter {
        if requested.is_empty() {
            return PlatformFilter {
                keys: vec![DEFAULT_PLATFORM.to_owned()],
            };
        }
        let keys = requested
            .iter()
            .map(|entry| {
                // GetPlatformOptions + ParsePlatform: trim, SplitN(_, "/", 3).
                // On failure Argo keeps the *untrimmed* entry as the OS with
                // empty arch and variant, on purpose, to match nothing.
                let mut parts = entry.trim().splitn(3, '/');
                match (parts.next(), parts.next()) {
                    (Some(os), Some(arch)) => platform_key(os, arch, parts.next().unwrap_or("")),
                    _ => platform_key(entry, "", ""),
                }
            })
            .collect();
        PlatformFilter { keys }
    }

    fn wants(&self, os: &str, arch: &str, variant: &str) -> bool {
        self.keys.iter().any(|k| key_is(k, os, arch, variant))
            || (!variant.is_empty() && self.keys.iter().any(|k| key_is(k, os, arch, "")))
    }

    fn accepts_any(&self, available: &[Platform]) -> bool {
        available.is_empty()
            || available
                .iter()
                .any(|p| self.wants(&p.os, &p.arch, p.variant.as_deref().unwrap_or("")))
    }
}

/// Argo's `PlatformKey`.
fn platform_key(os: &str, arch: &str, variant: &str) -> String {
    if variant.is_empty() {
        format!("{os}/{arch}")
    } else {
        format!("{os}/{arch}/{variant}")
    }
}

/// `key == platform_key(os, arch, variant)` without allocating.
fn key_is(key: &str, os: &str, arch: &str, variant: &str) -> bool {
    let rest = key
        .strip_prefix(os)
        .and_then(|r| r.strip_prefix('/'))
        .and_then(|r| r.strip_prefix(arch));
    match rest {
        None => false,
        Some(r) if variant.is_empty() => r.is_empty(),
        Some(r) => r.strip_prefix('/') == Some(variant),
    }
}

#[cfg(test)]
mod tests;
