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
mod tests {
    use super::*;
    use crate::resolve::Timestamp;
    use crate::testutil::Rng;

    const T: [&str; 7] = ["0.1", "0.5.1", "0.9", "1.0", "1.0.1", "1.1.2", "2.0.3"];

    fn infos(names: &[&str]) -> Vec<TagInfo> {
        names.iter().map(|n| TagInfo::new(*n)).collect()
    }

    fn at(secs: i64) -> Option<Timestamp> {
        Some(Timestamp { secs, nanos: 0 })
    }

    fn dated(pairs: &[(&str, i64)]) -> Vec<TagInfo> {
        pairs
            .iter()
            .map(|&(n, s)| TagInfo {
                created: at(s),
                ..TagInfo::new(n)
            })
            .collect()
    }

    fn plat(s: &str) -> Platform {
        let mut p = s.splitn(3, '/');
        Platform {
            os: p.next().unwrap_or("").to_owned(),
            arch: p.next().unwrap_or("").to_owned(),
            variant: p.next().map(str::to_owned),
        }
    }

    fn settings(strategy: Strategy, constraint: Option<&str>) -> ArgoSettings {
        ArgoSettings {
            strategy,
            constraint: constraint.map(str::to_owned),
            ..ArgoSettings::default()
        }
    }

    fn pick(s: &ArgoSettings, tags: &[TagInfo]) -> Option<String> {
        select(s, tags).expect("no error").map(|sel| sel.tag)
    }

    fn semver(constraint: Option<&str>, names: &[&str]) -> Option<String> {
        pick(&settings(Strategy::Semver, constraint), &infos(names))
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// The order a strategy sorts in, recovered by repeatedly selecting and
    /// removing the winner (the last element of Argo's sorted list).
    fn selection_order(s: &ArgoSettings, mut tags: Vec<TagInfo>) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(sel) = select(s, &tags).unwrap() {
            tags.retain(|t| t.tag != sel.tag);
            out.push(sel.tag);
        }
        out.reverse();
        out
    }

    // ---- §7.2 tag selection -------------------------------------------------

    #[test]
    fn s01_semver_no_constraint_picks_highest() {
        assert_eq!(semver(None, &T).as_deref(), Some("2.0.3"));
        assert_eq!(semver(Some(""), &T).as_deref(), Some("2.0.3"));
    }

    #[test]
    fn s02_semver_caret() {
        assert_eq!(semver(Some("^1.0"), &T).as_deref(), Some("1.1.2"));
    }

    #[test]
    fn s03_semver_tilde() {
        assert_eq!(semver(Some("~1.0"), &T).as_deref(), Some("1.0.1"));
    }

    #[test]
    fn s04_running_tag_is_not_an_input() {
        // v1.2+ no longer requires the running tag to be semver; `select`
        // does not even take it, so a running `latest` cannot make it fail.
        // (v0.x returned an error here; we model v1.3.)
        let tags = infos(&T);
        let mut with_latest = tags.clone();
        with_latest.push(TagInfo::new("latest"));
        let s = settings(Strategy::Semver, Some("^1.0"));
        assert_eq!(pick(&s, &with_latest).as_deref(), Some("1.1.2"));
        assert_eq!(pick(&s, &tags), pick(&s, &with_latest));
    }

    #[test]
    fn s05_empty_constraint_excludes_prereleases() {
        let tags = ["v2.2.0", "v2.3.0-rc.0.18.g1abb7b5dd-ppc64le"];
        assert_eq!(semver(None, &tags).as_deref(), Some("v2.2.0"));
        // Only prereleases: nothing, because `*` admits none (v1.3).
        assert_eq!(semver(None, &["v2.3.0-rc.0", "1.25.3-alpine"]), None);
        // Opting in with the `-0` idiom brings them back.
        assert_eq!(
            semver(Some(">=0.0.0-0"), &tags).as_deref(),
            Some("v2.3.0-rc.0.18.g1abb7b5dd-ppc64le")
        );
    }

    #[test]
    fn s06_nothing_in_range_is_no_result_not_error() {
        let s = settings(Strategy::Semver, Some("~1.0"));
        assert_eq!(
            select(&s, &infos(&["0.1", "0.5.1", "0.9", "2.0.3"])),
            Ok(None)
        );
    }

    #[test]
    fn s07_latest_as_semver_constraint_is_an_error() {
        let s = settings(Strategy::Semver, Some("latest"));
        match select(&s, &infos(&T)) {
            Err(SelectError::InvalidConstraint(m)) => assert!(m.contains("latest"), "{m}"),
            other => panic!("expected InvalidConstraint, got {other:?}"),
        }
        // Argo returns "no tags" before parsing the constraint when no tag
        // is a version at all, so the same config is silent there.
        assert_eq!(select(&s, &infos(&["latest", "main"])), Ok(None));
        assert_eq!(select(&s, &[]), Ok(None));
        // ...and when filters leave nothing.
        let mut filtered = s.clone();
        filtered.ignore_tags = strings(&["*"]);
        assert_eq!(select(&filtered, &infos(&T)), Ok(None));
    }

    #[test]
    fn s08_empty_tag_list_is_no_result_for_every_strategy() {
        for strategy in [
            Strategy::Semver,
            Strategy::NewestBuild,
            Strategy::Alphabetical,
            Strategy::Digest,
        ] {
            let s = settings(
                strategy,
                Some("latest").filter(|_| strategy == Strategy::Digest),
            );
            assert_eq!(select(&s, &[]), Ok(None), "{strategy:?}");
        }
    }

    #[test]
    fn s09_newest_build_duplicate_keeps_last_insert() {
        let tags = dated(&[
            ("zz", 0),
            ("bb", 5),
            ("yy", 10),
            ("cc", 15),
            ("yy", 20),
            ("aa", 25),
            ("ll", 30),
        ]);
        let s = settings(Strategy::NewestBuild, None);
        assert_eq!(pick(&s, &tags).as_deref(), Some("ll"));
        // The later `yy` replaces the earlier one in both directions.
        assert_eq!(
            pick(&s, &dated(&[("yy", 99), ("ll", 30), ("yy", 20)])).as_deref(),
            Some("ll")
        );
        assert_eq!(
            pick(&s, &dated(&[("yy", 10), ("ll", 30), ("yy", 40)])).as_deref(),
            Some("yy")
        );
    }

    #[test]
    fn s10_semver_on_names_is_no_result() {
        assert_eq!(semver(None, &["zz", "bb", "yy", "cc", "aa", "ll"]), None);
    }

    #[test]
    fn s11_alphabetical_picks_greatest_name() {
        let s = settings(Strategy::Alphabetical, None);
        assert_eq!(
            pick(&s, &infos(&["zz", "bb", "yy", "cc", "aa", "ll"])).as_deref(),
            Some("zz")
        );
        // Byte order, not natural: `9` > `10`, `a` > `Z`.
        assert_eq!(pick(&s, &infos(&["10", "9"])).as_deref(), Some("9"));
        assert_eq!(pick(&s, &infos(&["a", "Z"])).as_deref(), Some("a"));
        // The constraint is ignored, even one that is not a valid range.
        let with_c = settings(Strategy::Alphabetical, Some("latest"));
        assert_eq!(
            pick(&with_c, &infos(&["1.0", "main"])).as_deref(),
            Some("main")
        );
    }

    #[test]
    fn s12_digest_tracks_constraint_tag() {
        let d = format!("sha256:{}", "ab".repeat(32));
        let tags = vec![
            TagInfo {
                digest: Some("sha256:other".into()),
                ..TagInfo::new("1.0")
            },
            TagInfo {
                digest: Some(d.clone()),
                ..TagInfo::new("latest")
            },
        ];
        let sel = select(&settings(Strategy::Digest, Some("latest")), &tags)
            .unwrap()
            .unwrap();
        assert_eq!(sel.tag, "latest");
        assert_eq!(sel.digest.as_deref(), Some(d.as_str()));
        assert_eq!(sel.tag_with_digest(), format!("latest@{d}"));
    }

    #[test]
    fn s13_semver_order() {
        let tags = infos(&["v2.0.2", "v1.0", "v2.0.0", "v1.0.1", "v2.0.3", "v2.0"]);
        assert_eq!(
            selection_order(&settings(Strategy::Semver, None), tags),
            strings(&["v1.0", "v1.0.1", "v2.0", "v2.0.0", "v2.0.2", "v2.0.3"])
        );
    }

    #[test]
    fn s14_date_ties_sort_by_name() {
        let tags = dated(&[
            ("v2.0.2", 7),
            ("v1.0", 7),
            ("v1.0.1", 7),
            ("v2.0.3", 7),
            ("v2.0", 7),
        ]);
        assert_eq!(
            selection_order(&settings(Strategy::NewestBuild, None), tags),
            strings(&["v1.0", "v1.0.1", "v2.0", "v2.0.2", "v2.0.3"])
        );
    }

    #[test]
    fn s15_date_order() {
        let tags = dated(&[
            ("v2.0.2", 4),
            ("v1.0", 1),
            ("v1.0.1", 0),
            ("v2.0.3", 3),
            ("v2.0", 2),
        ]);
        assert_eq!(
            selection_order(&settings(Strategy::NewestBuild, None), tags),
            strings(&["v1.0.1", "v1.0", "v2.0", "v2.0.3", "v2.0.2"])
        );
        // Nanoseconds count.
        let fine = vec![
            TagInfo {
                created: Some(Timestamp { secs: 5, nanos: 2 }),
                ..TagInfo::new("a")
            },
            TagInfo {
                created: Some(Timestamp { secs: 5, nanos: 1 }),
                ..TagInfo::new("b")
            },
        ];
        assert_eq!(
            pick(&settings(Strategy::NewestBuild, None), &fine).as_deref(),
            Some("a")
        );
    }

    #[test]
    fn s16_alphabetical_order() {
        let tags = infos(&["wohoo", "bazar", "alpha", "jesus", "zebra"]);
        assert_eq!(
            selection_order(&settings(Strategy::Alphabetical, None), tags),
            strings(&["alpha", "bazar", "jesus", "wohoo", "zebra"])
        );
    }

    #[test]
    fn s17_ignore_exact_names() {
        let ignore = strings(&["tag1", "tag2"]);
        assert!(is_ignored(&ignore, "tag1"));
        assert!(is_ignored(&ignore, "tag2"));
        assert!(!is_ignored(&ignore, "tag3"));
        let s = ArgoSettings {
            ignore_tags: ignore,
            ..settings(Strategy::Alphabetical, None)
        };
        assert_eq!(
            pick(&s, &infos(&["tag1", "tag3", "tag2"])).as_deref(),
            Some("tag3")
        );
    }

    #[test]
    fn s18_ignore_globs() {
        let ignore = strings(&["tag?", "foo"]);
        assert!(is_ignored(&ignore, "tag1"));
        assert!(is_ignored(&ignore, "foo"));
        assert!(!is_ignored(&ignore, "tag10"));
        // `[!…]` is not negation in Go: it ignores tags starting with `!`/`a`.
        let bang = strings(&["[!a]*"]);
        assert!(is_ignored(&bang, "abc"));
        assert!(!is_ignored(&bang, "bcd"));
        // A malformed pattern ignores nothing.
        assert!(!is_ignored(&strings(&["[a-"]), "a"));
        // `*` pauses the image.
        let s = ArgoSettings {
            ignore_tags: strings(&["*"]),
            ..settings(Strategy::Semver, None)
        };
        assert_eq!(select(&s, &infos(&T)), Ok(None));
    }

    fn allow(s: &str, tag: &str) -> bool {
        allow_tags_matcher(Some(s)).expect("evaluable")(tag)
    }

    #[test]
    fn prepared_ignore_list_agrees_with_glob_match() {
        let mut rng = Rng::new(0xA860_0003);
        let fixed = [
            "*-rc.6", "tag?", "a]b", "ab\\c", "[]a]*", "*", "", "x\\*y", "[^a-c]?z", "é*", "[a-",
        ];
        for _ in 0..4000 {
            let patterns: Vec<String> = (0..rng.below(3))
                .map(|_| match rng.below(3) {
                    0 => fixed[rng.below(fixed.len())].to_owned(),
                    _ => rng.string_from("*?[]^\\-abcz.é/", 6),
                })
                .collect();
            let list = IgnoreList::new(&patterns);
            for _ in 0..8 {
                let name = rng.string_from("abcz.-é/\\]6r", 7);
                assert_eq!(
                    list.matches(&name),
                    is_ignored(&patterns, &name),
                    "{patterns:?} {name:?}"
                );
            }
        }
    }

    #[test]
    fn s19_allow_any() {
        for v in ["any", "ANY", "Any"] {
            assert!(allow(v, "whatever"));
            assert!(allow(v, ""));
        }
        assert!(allow_tags_matcher(None).unwrap()("x"));
        assert!(allow("", "x"));
        // `any` is a whole value, not a function name.
        assert!(!allow("any:x", "x"));
    }

    #[test]
    fn s20_allow_unknown_matches_nothing() {
        for v in ["other", "not-regexp:a-z", "^v1\\.", " ", "regex:.*"] {
            assert!(!allow(v, "a-z"), "{v}");
            assert!(!allow(v, "v1.0"), "{v}");
        }
        let s = ArgoSettings {
            allow_tags: Some("other".into()),
            ..settings(Strategy::Semver, None)
        };
        assert_eq!(select(&s, &infos(&T)), Ok(None));
    }

    #[test]
    fn s21_allow_regexp_prefix_case_insensitive() {
        for v in ["regexp:[aA-zZ]", "RegExp:[aA-zZ]", "REGEXP:[aA-zZ]"] {
            assert!(allow(v, "MatchFuncRegexp-tag-name"), "{v}");
        }
    }

    #[test]
    fn s22_allow_invalid_regexp_matches_nothing() {
        assert!(!allow("regexp:[aA-zZ", "MatchFuncRegexp-tag-name"));
        // Go rejects `\Z`; Argo silently matches nothing.
        assert!(!allow(r"regexp:^a\Z", "a"));
    }

    #[test]
    fn s23_allow_regexp_is_an_unanchored_search() {
        assert!(allow("regexp:[a-z]+", "lemon"));
        assert!(!allow("regexp:[a-z]+", "31337"));
        assert!(allow("regexp:v1", "xv1y"));
        assert!(!allow("regexp:^v1$", "xv1y"));
        // Split at the first colon: the regexp keeps the rest.
        assert!(allow("regexp:^a:b$", "a:b"));
        // Empty regexp matches everything.
        assert!(allow("regexp:", "anything"));
        // Go semantics: `\d` is ASCII only.
        assert!(!allow(r"regexp:^\d$", "٣"));
        let s = ArgoSettings {
            allow_tags: Some(r"regexp:^1\.".into()),
            ..settings(Strategy::Semver, None)
        };
        assert_eq!(pick(&s, &infos(&T)).as_deref(), Some("1.1.2"));
    }

    #[test]
    fn allow_unsupported_regexp_is_an_error_not_nothing() {
        match allow_tags_matcher(Some(r"regexp:\pL{1000}")) {
            Err(SelectError::Unsupported(m)) => assert!(m.contains("pL"), "{m}"),
            Err(e) => panic!("wrong error {e:?}"),
            Ok(_) => panic!("expected Unsupported"),
        }
        let s = ArgoSettings {
            allow_tags: Some(r"regexp:\pL{1000}".into()),
            ..settings(Strategy::Semver, None)
        };
        assert!(matches!(
            select(&s, &infos(&T)),
            Err(SelectError::Unsupported(_))
        ));
        // With no tags at all the answer is known anyway.
        assert_eq!(select(&s, &[]), Ok(None));
    }

    fn sel(tag: &str, digest: Option<&str>) -> Selection {
        Selection {
            tag: tag.into(),
            digest: digest.map(str::to_owned),
        }
    }

    #[test]
    fn s24_same_name_digest_on_one_side_is_not_equal() {
        assert!(!sel("1.0", Some("abc")).equals("1.0", None));
        assert!(!sel("1.0", None).equals("1.0", Some("abc")));
        assert!(sel("1.0", None).equals("1.0", None));
        assert!(sel("1.0", None).equals("1.0", Some("")));
    }

    #[test]
    fn s25_different_names_same_digest_are_equal() {
        assert!(sel("1.0", Some("abc")).equals("2.0", Some("abc")));
        assert!(sel("2.0", Some("abc")).equals("1.0", Some("abc")));
        assert!(!sel("1.0", Some("abc")).equals("1.0", Some("abd")));
    }

    #[test]
    fn s26_stale_container_is_the_one_to_update() {
        // Selection part: the registry answer is the same for both
        // containers, and `equals` tells the up-to-date one from the stale
        // one. Which live image Argo compares against when several run the
        // same image (it prefers the stale one, v1.3) is decided on the
        // live/apply side, not here.
        let new = "sha256:".to_owned() + &"1".repeat(64);
        let old = "sha256:".to_owned() + &"0".repeat(64);
        let tags = vec![TagInfo {
            digest: Some(new.clone()),
            ..TagInfo::new("dev")
        }];
        let s = select(&settings(Strategy::Digest, Some("dev")), &tags)
            .unwrap()
            .unwrap();
        assert!(s.equals("dev", Some(&new)), "fresh container needs nothing");
        assert!(!s.equals("dev", Some(&old)), "stale container is updated");
        assert!(!s.equals("dev", None), "no digest yet: updated");
    }

    #[test]
    fn s27_bare_digest_reference_gets_the_constraint_tag() {
        // Running `repo@sha256:D` (no tag) and registry `latest` = D: equal
        // by digest, so no churn; what would be written carries the
        // constraint's tag. Writing `repo:<tag>@sha` into the file is the
        // apply side's job; the value comes from `tag_with_digest`.
        let d = "sha256:".to_owned() + &"c".repeat(64);
        let tags = vec![TagInfo {
            digest: Some(d.clone()),
            ..TagInfo::new("latest")
        }];
        let s = select(&settings(Strategy::Digest, Some("latest")), &tags)
            .unwrap()
            .unwrap();
        assert!(s.equals("", Some(&d)));
        assert_eq!(s.tag_with_digest(), format!("latest@{d}"));
        // GetTagWithDigest on an empty tag name still says `latest`.
        assert_eq!(sel("", Some(&d)).tag_with_digest(), format!("latest@{d}"));
        assert_eq!(sel("v1", None).tag_with_digest(), "v1");
        assert_eq!(sel("v1", Some("")).tag_with_digest(), "v1");
    }

    // ---- constraint from the image tag (§2.1) --------------------------------

    #[test]
    fn bare_minor_constraint_is_tilde() {
        let tags = [
            "1.19.9",
            "1.20.0",
            "1.20.3",
            "1.20.4-rc1",
            "1.21.0",
            "2.0.0",
        ];
        assert_eq!(semver(Some("1.20"), &tags).as_deref(), Some("1.20.3"));
        assert_eq!(semver(Some("v1.20"), &tags).as_deref(), Some("1.20.3"));
        assert_eq!(semver(Some("1"), &tags).as_deref(), Some("1.21.0"));
    }

    #[test]
    fn full_version_constraint_pins() {
        assert_eq!(
            semver(Some("1.20.1"), &["1.20.0", "1.20.1", "1.20.2"]).as_deref(),
            Some("1.20.1")
        );
        assert_eq!(semver(Some("1.20.1"), &["1.20.0", "1.20.2"]), None);
    }

    #[test]
    fn semver_ties_pick_greatest_original_text() {
        assert_eq!(
            semver(None, &["1.0", "v1.0.0", "1.0.0"]).as_deref(),
            Some("v1.0.0")
        );
        assert_eq!(semver(None, &["1.0", "1.0.0"]).as_deref(), Some("1.0.0"));
        assert_eq!(
            semver(None, &["1.0.0+b1", "1.0.0"]).as_deref(),
            Some("1.0.0+b1")
        );
        // Loose Masterminds parsing: calver with leading zeros, 1–3 parts;
        // unparseable tags are dropped silently.
        assert_eq!(
            semver(
                None,
                &["2024.01.05", "2024.1.4", "latest", "V3.0.0", "1.2.3.4"]
            )
            .as_deref(),
            Some("2024.01.05")
        );
    }

    // ---- newest-build metadata ------------------------------------------------

    #[test]
    fn newest_build_drops_tags_without_metadata_or_platform() {
        let s = settings(Strategy::NewestBuild, None);
        let tags = vec![
            TagInfo {
                created: at(10),
                platforms: vec![plat("linux/amd64"), plat("linux/arm64")],
                ..TagInfo::new("multi")
            },
            TagInfo::new("no-metadata"), // created: None
            TagInfo {
                created: at(30),
                platforms: vec![plat("linux/arm64")],
                ..TagInfo::new("arm-only")
            },
        ];
        assert_eq!(pick(&s, &tags).as_deref(), Some("multi"));
        // Unknown platform (empty list) is accepted.
        let mut unknown = tags.clone();
        unknown.push(TagInfo {
            created: at(20),
            ..TagInfo::new("single")
        });
        assert_eq!(pick(&s, &unknown).as_deref(), Some("single"));
        // Asking for arm64 flips it.
        let arm = ArgoSettings {
            platforms: strings(&["linux/arm64"]),
            ..s.clone()
        };
        assert_eq!(pick(&arm, &tags).as_deref(), Some("arm-only"));
        // A dropped later duplicate does not replace a usable earlier one.
        let dup = vec![
            TagInfo {
                created: at(5),
                ..TagInfo::new("x")
            },
            TagInfo::new("x"),
        ];
        assert_eq!(pick(&s, &dup).as_deref(), Some("x"));
        // Constraint ignored, even an invalid one.
        let c = settings(Strategy::NewestBuild, Some("latest"));
        assert_eq!(
            pick(&c, &dated(&[("a", 2), ("b", 1)])).as_deref(),
            Some("a")
        );
    }

    // ---- digest strategy ------------------------------------------------------

    #[test]
    fn digest_edge_cases() {
        let d = "sha256:".to_owned() + &"e".repeat(64);
        let latest = TagInfo {
            digest: Some(d.clone()),
            platforms: vec![plat("linux/amd64"), plat("linux/arm/v7")],
            ..TagInfo::new("latest")
        };
        // Empty constraint: an error, even with no tags.
        assert_eq!(
            select(&settings(Strategy::Digest, None), &[]),
            Err(SelectError::DigestWithoutConstraint)
        );
        assert_eq!(
            select(
                &settings(Strategy::Digest, Some("")),
                std::slice::from_ref(&latest)
            ),
            Err(SelectError::DigestWithoutConstraint)
        );
        // Tracked tag absent: no result.
        assert_eq!(
            select(
                &settings(Strategy::Digest, Some("dev")),
                std::slice::from_ref(&latest)
            ),
            Ok(None)
        );
        // No digest in the source: a clear error rather than a silent None.
        let bare = TagInfo::new("latest");
        assert_eq!(
            select(&settings(Strategy::Digest, Some("latest")), &[bare]),
            Err(SelectError::MissingDigest("latest".into()))
        );
        // Platform filter decides usability only.
        let ppc = ArgoSettings {
            platforms: strings(&["linux/ppc64le"]),
            ..settings(Strategy::Digest, Some("latest"))
        };
        assert_eq!(select(&ppc, std::slice::from_ref(&latest)), Ok(None));
        // Filters apply to the tracked tag too.
        let ignored = ArgoSettings {
            ignore_tags: strings(&["lat*"]),
            ..settings(Strategy::Digest, Some("latest"))
        };
        assert_eq!(select(&ignored, std::slice::from_ref(&latest)), Ok(None));
        // A version-looking constraint is a tag name, not a range.
        let v = TagInfo {
            digest: Some(d.clone()),
            ..TagInfo::new("1.2")
        };
        let s = settings(Strategy::Digest, Some("1.2"));
        assert_eq!(
            select(&s, &[TagInfo::new("1.2.0"), v])
                .unwrap()
                .unwrap()
                .tag_with_digest(),
            format!("1.2@{d}")
        );
    }

    // ---- §7.3 platforms ---------------------------------------------------------

    #[test]
    fn l1_variant_requested_needs_exact_variant() {
        let req = strings(&["linux/arm/v6"]);
        assert!(matches_platform(&req, &[plat("linux/arm/v6")]));
        assert!(!matches_platform(&req, &[plat("linux/arm")]));
        assert!(!matches_platform(&req, &[plat("linux/amd64")]));
        assert!(!matches_platform(&req, &[plat("linux/arm/v7")]));
    }

    #[test]
    fn l2_os_arch_accepts_any_variant() {
        let req = strings(&["linux/arm/v6", "linux/amd64"]);
        assert!(matches_platform(&req, &[plat("linux/amd64")]));
        assert!(matches_platform(&req, &[plat("linux/amd64/v6")]));
        assert!(!matches_platform(&req, &[plat("linux/arm")]));
        // One matching platform among many is enough.
        assert!(matches_platform(
            &req,
            &[plat("windows/amd64"), plat("linux/arm/v6")]
        ));
        // Entries are trimmed.
        assert!(matches_platform(
            &strings(&[" linux/arm64 "]),
            &[plat("linux/arm64")]
        ));
    }

    #[test]
    fn l3_unparseable_entry_matches_nothing() {
        for bad in ["invalid", "windows", ""] {
            let req = strings(&[bad]);
            for p in ["linux/amd64", "windows/amd64", "linux/arm/v6"] {
                assert!(!matches_platform(&req, &[plat(p)]), "{bad} vs {p}");
            }
        }
        // Argo keeps it as the key `invalid/`, which only a manifest with
        // that OS and no architecture could have; modelled as is.
        assert!(matches_platform(
            &strings(&["invalid"]),
            &[plat("invalid/")]
        ));
    }

    #[test]
    fn l4_default_is_the_runtime_platform() {
        let none: Vec<String> = Vec::new();
        assert!(matches_platform(&none, &[plat("linux/amd64")]));
        assert!(matches_platform(&none, &[plat("linux/amd64/v3")]));
        assert!(!matches_platform(&none, &[plat("linux/arm64")]));
        assert!(!matches_platform(&none, &[plat("darwin/amd64")]));
        // Unknown platform: accepted (documented model choice).
        assert!(matches_platform(&none, &[]));
    }

    #[test]
    fn platform_key_quirks() {
        // SplitN(_, "/", 3): everything after the second slash is the variant;
        // a trailing empty variant is no variant.
        assert!(matches_platform(
            &strings(&["linux/arm/v7/x"]),
            &[plat("linux/arm/v7/x")]
        ));
        assert!(matches_platform(
            &strings(&["linux/amd64/"]),
            &[plat("linux/amd64")]
        ));
        assert!(!matches_platform(
            &strings(&["linux/arm"]),
            &[plat("linux/arm64")]
        ));
        let empty_variant = Platform {
            variant: Some(String::new()),
            ..plat("linux/amd64")
        };
        assert!(matches_platform(&[], &[empty_variant]));
    }

    // ---- strategy names -----------------------------------------------------------

    #[test]
    fn strategy_parse() {
        assert_eq!(Strategy::parse("semver"), Some((Strategy::Semver, false)));
        assert_eq!(Strategy::parse("SemVer"), Some((Strategy::Semver, false)));
        assert_eq!(
            Strategy::parse("newest-build"),
            Some((Strategy::NewestBuild, false))
        );
        assert_eq!(
            Strategy::parse("LATEST"),
            Some((Strategy::NewestBuild, true))
        );
        assert_eq!(
            Strategy::parse("alphabetical"),
            Some((Strategy::Alphabetical, false))
        );
        assert_eq!(
            Strategy::parse("Name"),
            Some((Strategy::Alphabetical, true))
        );
        assert_eq!(Strategy::parse("digest"), Some((Strategy::Digest, false)));
        assert_eq!(Strategy::parse("newest"), None);
        assert_eq!(Strategy::parse(""), None);
        assert_eq!(Strategy::parse(" semver"), None);
        // Go's rune-wise ToLower maps U+0130 to `i`.
        assert_eq!(
            Strategy::parse("D\u{130}GEST"),
            Some((Strategy::Digest, false))
        );
        assert_eq!(Strategy::parse("dígest"), None);
        for s in [
            Strategy::Semver,
            Strategy::NewestBuild,
            Strategy::Alphabetical,
            Strategy::Digest,
        ] {
            assert_eq!(Strategy::parse(s.as_str()), Some((s, false)));
        }
    }

    #[test]
    fn error_messages_say_why() {
        let e = select(
            &settings(Strategy::Semver, Some("latest")),
            &infos(&["1.0"]),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid semver constraint 'latest'"),
            "{e}"
        );
        assert!(
            SelectError::DigestWithoutConstraint
                .to_string()
                .contains("digest")
        );
        assert!(
            SelectError::MissingDigest("dev".into())
                .to_string()
                .contains("\"dev\"")
        );
    }

    // ---- cross-checks and robustness ------------------------------------------------

    /// The literal upstream algorithm: map (last insert wins), sort
    /// ascending, filter, take the last. Used to check the one-pass version.
    fn naive(s: &ArgoSettings, tags: &[TagInfo]) -> Option<String> {
        let allow = allow_tags_matcher(s.allow_tags.as_deref()).ok()?;
        let filter = PlatformFilter::new(&s.platforms);
        let needs_meta = s.strategy == Strategy::NewestBuild;
        let mut map: Vec<TagInfo> = Vec::new();
        for t in tags {
            if !allow(&t.tag) || is_ignored(&s.ignore_tags, &t.tag) {
                continue;
            }
            if needs_meta && (t.created.is_none() || !filter.accepts_any(&t.platforms)) {
                continue;
            }
            map.retain(|m| m.tag != t.tag);
            map.push(t.clone());
        }
        match s.strategy {
            Strategy::Semver => {
                let c = match s.constraint.as_deref().unwrap_or("") {
                    "" => Constraint::any(),
                    c => Constraint::parse(c).ok()?,
                };
                let mut vs: Vec<Version> = map
                    .iter()
                    .filter_map(|t| Version::parse_argo(&t.tag).ok())
                    .collect();
                vs.sort_by(semver_order);
                vs.into_iter()
                    .rfind(|v| c.matches(v))
                    .map(|v| v.original().to_owned())
            }
            Strategy::NewestBuild => {
                map.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.tag.cmp(&b.tag)));
                map.pop().map(|t| t.tag)
            }
            Strategy::Alphabetical => {
                map.sort_by(|a, b| a.tag.cmp(&b.tag));
                map.pop().map(|t| t.tag)
            }
            Strategy::Digest => unreachable!(),
        }
    }

    fn random_settings(rng: &mut Rng) -> ArgoSettings {
        let strategy = [
            Strategy::Semver,
            Strategy::NewestBuild,
            Strategy::Alphabetical,
            Strategy::Digest,
        ][rng.below(4)];
        let constraint = match rng.below(5) {
            0 => None,
            1 => Some(rng.string_from("0123456789.vx*^~<>=|- ", 8)),
            2 => Some(["~1", "^1.2", ">=1.0.0-0", "1.x", "latest", "*"][rng.below(6)].to_owned()),
            _ => Some(rng.string_from("012.v-rcab", 5)),
        };
        let allow_tags = match rng.below(5) {
            0 => None,
            1 => Some(format!(
                "regexp:{}",
                rng.string_from("^$.*+?()[]|\\dab1-:", 6)
            )),
            2 => Some(["any", "regexp:^1", "RegExp:a", "other", ""][rng.below(5)].to_owned()),
            _ => Some(rng.string_from("regxp:any^.*1", 8)),
        };
        let ignore_tags = (0..rng.below(3))
            .map(|_| rng.string_from("*?[]^!\\-a1.", 4))
            .collect();
        let platforms = (0..rng.below(3))
            .map(|_| rng.string_from("linux/amd64armv6 ", 12))
            .collect();
        ArgoSettings {
            strategy,
            constraint,
            allow_tags,
            ignore_tags,
            platforms,
        }
    }

    fn random_tags(rng: &mut Rng) -> Vec<TagInfo> {
        let plats = [
            "linux/amd64",
            "linux/arm/v6",
            "linux/arm64",
            "windows/amd64",
            "linux/amd64/v2",
        ];
        (0..rng.below(12))
            .map(|_| TagInfo {
                tag: rng.string_from("0123456789.v-+rcab:", 9),
                created: (rng.below(4) > 0).then(|| Timestamp {
                    secs: rng.below(5) as i64 - 2,
                    nanos: rng.below(3) as u32,
                }),
                digest: (rng.below(3) > 0).then(|| format!("sha256:{:064x}", rng.next())),
                platforms: (0..rng.below(3))
                    .map(|_| plat(plats[rng.below(plats.len())]))
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn never_panics_and_results_obey_the_filters() {
        let mut rng = Rng::new(0xA860_0001);
        for _ in 0..600 {
            let s = random_settings(&mut rng);
            let tags = random_tags(&mut rng);
            let res = select(&s, &tags);
            let _ = matches_platform(
                &s.platforms,
                &tags
                    .first()
                    .map(|t| t.platforms.clone())
                    .unwrap_or_default(),
            );
            let Ok(Some(sel)) = res else { continue };
            assert!(
                tags.iter().any(|t| t.tag == sel.tag),
                "{sel:?} not an input tag"
            );
            let allow = allow_tags_matcher(s.allow_tags.as_deref()).unwrap();
            assert!(allow(&sel.tag), "{sel:?} not allowed by {:?}", s.allow_tags);
            assert!(!is_ignored(&s.ignore_tags, &sel.tag));
            match s.strategy {
                Strategy::Semver => assert!(Version::parse_argo(&sel.tag).is_ok()),
                Strategy::Digest => {
                    assert_eq!(Some(sel.tag.as_str()), s.constraint.as_deref());
                    assert!(sel.digest.is_some());
                }
                _ => assert_eq!(sel.digest, None),
            }
        }
    }

    #[test]
    fn one_pass_agrees_with_sort_then_take_last() {
        let mut rng = Rng::new(0xA860_0002);
        let mut compared = 0;
        for _ in 0..600 {
            let mut s = random_settings(&mut rng);
            if s.strategy == Strategy::Digest {
                s.strategy = Strategy::Semver;
            }
            let mut tags = random_tags(&mut rng);
            // Version-shaped names so semver has something to rank.
            for t in tags.iter_mut() {
                if rng.below(2) == 0 {
                    continue;
                }
                t.tag = format!(
                    "{}{}.{}",
                    ["", "v"][rng.below(2)],
                    rng.below(3),
                    rng.below(3)
                );
                if rng.below(3) == 0 {
                    t.tag.push_str(["-rc1", "+b", ".0", "-0"][rng.below(4)]);
                }
            }
            let Ok(got) = select(&s, &tags) else { continue };
            assert_eq!(got.map(|g| g.tag), naive(&s, &tags), "{s:?} {tags:?}");
            compared += 1;
        }
        assert!(compared > 300, "only {compared} comparable cases");
    }
}
