//! Which tag Flux's image-reflector-controller (IRC ≥ 1.0, Flux ≥ 2.7)
//! writes to an ImagePolicy's `status.latestRef.tag`, given a repository's
//! tags. This module owns the ImageRepository `exclusionList`, the
//! ImagePolicy `filterTags` step and the three policies (`semver`,
//! `alphabetical`, `numerical`); the numerical one reads keys with Go's
//! `strconv.ParseFloat` from [`crate::gosyntax::strconv`]. It is pure: tags in, one tag or an error out; the
//! registry, the YAML and digest fetching live elsewhere.
//!
//! # Pipeline (reference: `flux.md` §1, §2.2, §2.3)
//!
//! 1. **Exclusion** (ImageRepository, at scan time): every tag that any
//!    `exclusionList` regex matches *anywhere* (Go `MatchString`, unanchored)
//!    is dropped. A missing or empty list means the CRD default
//!    `^.*\.sig$`. The controller then stores the rest sorted **descending
//!    byte-wise**; that stored order is what the policy later iterates.
//! 2. **filterTags** (only when `filterTags` is set; Flux tests
//!    `FilterTags != nil`, so an `extract` without a `pattern` runs with the
//!    empty pattern, which matches every tag): the first, leftmost match of
//!    the pattern (not anchored) keeps a tag; a non-empty `extract` is
//!    expanded with Go's `Regexp.Expand` rules to give the key the policy
//!    sorts on, otherwise the key is the tag. Keys go into a Go map
//!    `key → tag`; on a collision the tag processed **later** wins, i.e. the
//!    byte-wise **smallest** tag (the Redis docs example: `7.2.4-alpine3.18`
//!    beats `7.2.4-alpine3.19`). The selected key is mapped back to its
//!    original tag.
//! 3. **No candidates** is an error for every policy ("version list argument
//!    cannot be empty").
//! 4. **Policy**: semver keeps the greatest version (Masterminds precedence,
//!    build metadata ignored) that parses with Flux ≥ 2.7 rules
//!    ([`Version::parse_flux`]) and matches the range (unparseable tags are
//!    skipped silently); alphabetical compares bytes (`asc` picks the
//!    greatest, `desc` the smallest); numerical parses **every** candidate
//!    with Go `ParseFloat` (one failure fails the whole policy) and compares
//!    `f64`s, so 19-digit timestamps tie exactly as they do in Flux.
//!
//! # Deterministic tie rule
//!
//! Flux resolves ties by iteration order: semver keeps the **first** of
//! equal-precedence versions (`v.GreaterThan(latest)` is strict), numerical
//! keeps the **last** of equal values (`cv < pv` skips, `==` replaces).
//! Without a filter that order is the stored one (descending bytes), so the
//! result is fixed; with a filter it is Go's random map order, so Flux
//! itself may pick either. We always act as if the candidates arrived in
//! descending byte order of their **original** tags, which reproduces Flux
//! exactly without a filter and is one of Flux's possible outcomes with one:
//!
//! - semver: among equal precedence (`v1.0.0`, `1.0.0`, `1.0.0+b1`,
//!   `01.0.0`), the byte-wise **greatest** original tag wins (`v1.0.0`);
//! - numerical: among equal values (`01`, `1.0`, `1`), the byte-wise
//!   **smallest** original tag wins (`01`);
//! - numerical errors name the unparseable candidate whose original tag is
//!   byte-wise greatest (the first one Flux would hit);
//! - alphabetical has no ties: keys are distinct.
//!
//! Consequently the result never depends on the order of the input slice.
//!
//! # Cost
//!
//! Regexps and the range are compiled once per call; tags are streamed
//! through exclusion, filter and policy in one pass, each parsed once, and
//! each policy keeps only its current best (plus the tie group for semver),
//! so Flux's key → tag map is never built. 100,000 tags take a few
//! milliseconds, about 20–30 ms in the worst case (every tag matching a
//! capturing filter with `extract`), in release builds.
//!
//! # Deliberate differences
//!
//! - A candidate that parses as NaN (`nan`, `NaN`) is not an error:
//!   Go's comparisons with NaN are all false, so in `Numerical.Latest`
//!   (`internal/policy/numerical.go`) a NaN always replaces the running
//!   pick and the candidate after it always replaces the NaN. Over the
//!   stored order (descending bytes) that is deterministic: the pick is the
//!   usual one among the candidates after the last NaN, or that NaN when
//!   none follows (`[NaN, 3]` gives `3`). With a filter, Go's map order is
//!   random and we keep the descending order, as everywhere else.
//! - Configuration errors (bad range, bad regex) are reported even when there
//!   are no tags; Flux reports "no tags in database" first in that case, and
//!   both are failures.
//! - A repository with no tags at all is [`SelectError::EmptyCandidates`];
//!   Flux says "no tags in database" (reason `DependencyNotReady`).
//!
//! Digest reflection (§2.4) is not a selection concern: the digest Flux
//! writes is the descriptor digest of `image:tag` for the selected tag, which
//! [`select_info`] hands back with the chosen [`TagInfo`].

use std::cmp::Ordering;
use std::fmt;

use regex::{CaptureLocations, Regex};

use super::TagInfo;
use super::constraint::Constraint;
use super::version::Version;
use crate::gosyntax::regex::{
    GoRegexErrorKind, GroupRef, compile_go_regex, expand_refs, go_capture_names,
};
use crate::gosyntax::strconv::parse_float;

/// The ImageRepository CRD default for `exclusionList` (Go regex
/// `^.*\.sig$`: cosign signature tags). The controller also falls back to
/// it when the list is empty.
pub const DEFAULT_EXCLUSION: &str = r"^.*\.sig$";

/// `spec.policy` of an ImagePolicy: the model reads it (and resolves
/// which of several kinds Flux takes); selection runs it.
pub use crate::model::flux::PolicyKind;

/// Everything selection needs from an ImagePolicy and its ImageRepository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FluxPolicy {
    pub kind: PolicyKind,
    /// `filterTags.pattern`. `filterTags` counts as set when either this or
    /// `filter_extract` is `Some` (an absent pattern is then `""`).
    pub filter_pattern: Option<String>,
    /// `filterTags.extract`. `Some("")` behaves like `None`: the key is the
    /// tag itself.
    pub filter_extract: Option<String>,
    /// The ImageRepository `exclusionList`. `None` (not set) and `Some` of an
    /// empty list both mean [`DEFAULT_EXCLUSION`]; a non-empty list replaces
    /// the default entirely.
    pub exclusion_list: Option<Vec<String>>,
}

/// The tag Flux would select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The original tag, as the registry lists it (what `latestRef.tag` gets).
    pub tag: String,
    /// What the policy compared: the `extract` expansion, or the tag itself.
    pub key: String,
}

/// Why no tag is selected. `Display` follows Flux's own messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectError {
    /// The configuration is rejected: an invalid semver range or filter
    /// pattern (Flux: Stalled, reason `InvalidPolicy`) or an invalid
    /// exclusion pattern (the ImageRepository scan fails). Holds the whole
    /// message.
    InvalidPolicy(String),
    /// No tag survives exclusion and filtering (Flux: "version list argument
    /// cannot be empty"; Ready=False, the previous `latestRef` is kept).
    EmptyCandidates,
    /// Semver: no candidate parses and satisfies the range (Flux: "unable to
    /// determine latest version from provided list").
    NoMatch,
    /// Numerical: this candidate (the extracted key when `extract` is used)
    /// is not a Go float, which fails the whole policy.
    InvalidNumeric(String),
    /// Flux would answer, but this tool cannot say what (a Go regexp the
    /// Rust engine cannot build, a NaN candidate). Holds the whole message.
    Unsupported(String),
}

impl fmt::Display for SelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectError::InvalidPolicy(m) | SelectError::Unsupported(m) => f.write_str(m),
            SelectError::EmptyCandidates => f.write_str("version list argument cannot be empty"),
            SelectError::NoMatch => {
                f.write_str("unable to determine latest version from provided list")
            }
            SelectError::InvalidNumeric(v) => {
                write!(f, "failed to parse invalid numeric value '{v}'")
            }
        }
    }
}

impl std::error::Error for SelectError {}

/// The tag Flux selects from `tags` (the registry's tag list, any order,
/// before exclusion). See the module docs for the pipeline and tie rules.
pub fn select(policy: &FluxPolicy, tags: &[String]) -> Result<Selection, SelectError> {
    let compiled = Compiled::new(policy)?;
    compiled
        .run(tags.iter().map(String::as_str))
        .map(|(_, selection)| selection)
}

/// [`select`] over tags with metadata; also returns the selected tag's
/// [`TagInfo`], whose `digest` is what Flux reflects into
/// `latestRef.digest` when `digestReflectionPolicy` is not `Never`.
pub fn select_info<'a>(
    policy: &FluxPolicy,
    tags: &'a [TagInfo],
) -> Result<(Selection, &'a TagInfo), SelectError> {
    let compiled = Compiled::new(policy)?;
    let (index, selection) = compiled.run(tags.iter().map(|t| t.tag.as_str()))?;
    Ok((selection, &tags[index]))
}

/// What the ImageRepository stores after a scan: `tags` minus every tag an
/// exclusion pattern matches (unanchored), sorted descending byte-wise,
/// duplicates removed. `list` is `exclusionList`; `None` or an empty list
/// means [`DEFAULT_EXCLUSION`].
pub fn apply_exclusions(
    list: Option<&[String]>,
    tags: &[String],
) -> Result<Vec<String>, SelectError> {
    let exclusions = compile_exclusions(list)?;
    let mut kept: Vec<String> = tags
        .iter()
        .filter(|t| !exclusions.excludes(t))
        .cloned()
        .collect();
    kept.sort_unstable_by(|a, b| b.cmp(a));
    kept.dedup();
    Ok(kept)
}

// ---------------------------------------------------------------------------
// Compiled policy

enum Policer {
    Semver(Constraint),
    Alphabetical { desc: bool },
    Numerical { desc: bool },
}

/// The ImageRepository exclusion patterns, compiled once.
enum Exclusions {
    /// The default `^.*\.sig$`, decided without the regex engine (it runs on
    /// every tag of every selection): Go's `.` matches anything but `\n`, so
    /// the pattern matches exactly the tags that end in `.sig` and contain
    /// no newline.
    SigSuffix,
    Patterns(Vec<Regex>),
}

impl Exclusions {
    fn excludes(&self, tag: &str) -> bool {
        match self {
            Exclusions::SigSuffix => tag.ends_with(".sig") && !tag.contains('\n'),
            Exclusions::Patterns(res) => res.iter().any(|re| re.is_match(tag)),
        }
    }
}

/// One piece of an `extract` template, resolved against the pattern's
/// groups once instead of per tag.
enum Part {
    Text(String),
    /// Group indices that carry the referenced number or name, in order;
    /// the first that took part in the match supplies the text (Go lets a
    /// name repeat). Empty for an unknown group, which expands to "".
    Group(Vec<usize>),
}

/// An `extract` template precompiled for one regex: the same output as
/// [`crate::gosyntax::regex::expand`] (a test checks that on random input),
/// without re-reading the template and the group names for every tag.
struct Template {
    parts: Vec<Part>,
}

impl Template {
    fn new(template: &str, re: &Regex) -> Template {
        let names = go_capture_names(re);
        let mut parts = Vec::new();
        let mut at = 0;
        for r in expand_refs(template) {
            push_literal(&mut parts, &template[at..r.range.start]);
            let groups = match &r.target {
                GroupRef::Index(i) => (*i < names.len()).then_some(*i).into_iter().collect(),
                GroupRef::Name(n) => (0..names.len())
                    .filter(|&i| names[i].as_deref() == Some(n.as_str()))
                    .collect(),
            };
            parts.push(Part::Group(groups));
            at = r.range.end;
        }
        push_literal(&mut parts, &template[at..]);
        Template { parts }
    }

    fn expand_into(&self, haystack: &str, locs: &CaptureLocations, out: &mut String) {
        out.clear();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Group(groups) => {
                    if let Some((start, end)) = groups.iter().find_map(|&i| locs.get(i)) {
                        out.push_str(&haystack[start..end]);
                    }
                }
            }
        }
    }
}

/// Template text between references: Go turns `$$` into `$` and keeps any
/// other `$` (one that starts no valid reference) as is.
fn push_literal(parts: &mut Vec<Part>, text: &str) {
    if text.is_empty() {
        return;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            rest = after;
        }
    }
    out.push_str(rest);
    parts.push(Part::Text(out));
}

struct Filter {
    re: Regex,
    /// `None` when `extract` is absent or empty (Flux: `if f.Replace != ""`).
    extract: Option<Template>,
}

/// A policy with its range and regexps compiled once, so selection over
/// many tags does no per-tag compilation.
struct Compiled {
    policer: Policer,
    exclusions: Exclusions,
    filter: Option<Filter>,
}

impl Compiled {
    fn new(policy: &FluxPolicy) -> Result<Self, SelectError> {
        let policer = match &policy.kind {
            // Flux builds the policer before reading tags; a bad range
            // stalls the object with "invalid policy: …".
            PolicyKind::Semver { range } => {
                Policer::Semver(Constraint::parse(range).map_err(|e| {
                    SelectError::InvalidPolicy(format!(
                        "invalid policy: semver range {range:?}: {e}"
                    ))
                })?)
            }
            PolicyKind::Alphabetical { desc } => Policer::Alphabetical { desc: *desc },
            PolicyKind::Numerical { desc } => Policer::Numerical { desc: *desc },
        };
        let exclusions = compile_exclusions(policy.exclusion_list.as_deref())?;
        let filter = if policy.filter_pattern.is_some() || policy.filter_extract.is_some() {
            let pattern = policy.filter_pattern.as_deref().unwrap_or("");
            let re = compile_go_regex(pattern).map_err(|e| match e.kind {
                GoRegexErrorKind::Invalid => SelectError::InvalidPolicy(format!(
                    "failed to filter tags: invalid regular expression pattern '{pattern}': {e}"
                )),
                GoRegexErrorKind::Unsupported => {
                    SelectError::Unsupported(format!("filterTags.pattern '{pattern}': {e}"))
                }
            })?;
            let extract = policy
                .filter_extract
                .as_deref()
                .filter(|x| !x.is_empty())
                .map(|x| Template::new(x, &re));
            Some(Filter { re, extract })
        } else {
            None
        };
        Ok(Compiled {
            policer,
            exclusions,
            filter,
        })
    }

    fn run<'a>(
        &self,
        tags: impl Iterator<Item = &'a str>,
    ) -> Result<(usize, Selection), SelectError> {
        match &self.policer {
            Policer::Semver(constraint) => self.feed(tags, SemverLatest::new(constraint)),
            Policer::Alphabetical { desc } => self.feed(tags, AlphabeticalLatest::new(*desc)),
            Policer::Numerical { desc } => self.feed(tags, NumericalLatest::new(*desc)),
        }
    }

    /// Steps 1 and 2 of the pipeline, streamed into a policy. Nothing is
    /// collected per tag: each policy keeps only its current best and its
    /// ties, so the key → tag map Flux builds is never materialised. That is
    /// sound because equal keys always compare equal, so a key's entries all
    /// land in the same tie group, where the policy applies the collision
    /// rule.
    fn feed<'a, L: Latest<'a>>(
        &self,
        tags: impl Iterator<Item = &'a str>,
        mut latest: L,
    ) -> Result<(usize, Selection), SelectError> {
        let mut count = 0usize;
        let mut key_buf = String::new();
        let mut locs: Option<CaptureLocations> = None;
        for (index, tag) in tags.enumerate() {
            if self.exclusions.excludes(tag) {
                continue;
            }
            let key: &str = match &self.filter {
                None => tag,
                Some(Filter { re, extract: None }) => {
                    if !re.is_match(tag) {
                        continue;
                    }
                    tag
                }
                Some(Filter {
                    re,
                    extract: Some(template),
                }) => {
                    let locs = locs.get_or_insert_with(|| re.capture_locations());
                    // Go's FindStringSubmatchIndex: the first, leftmost match.
                    if re.captures_read(locs, tag).is_none() {
                        continue;
                    }
                    template.expand_into(tag, locs, &mut key_buf);
                    &key_buf
                }
            };
            count += 1;
            latest.push(key, tag, index);
        }
        if count == 0 {
            return Err(SelectError::EmptyCandidates);
        }
        let (index, original, key) = latest.finish()?;
        Ok((
            index,
            Selection {
                tag: original.to_owned(),
                key,
            },
        ))
    }
}

fn compile_exclusions(list: Option<&[String]>) -> Result<Exclusions, SelectError> {
    let patterns = match list {
        Some(l) if !l.is_empty() => l,
        _ => return Ok(Exclusions::SigSuffix),
    };
    if patterns.iter().all(|p| p == DEFAULT_EXCLUSION) {
        return Ok(Exclusions::SigSuffix);
    }
    patterns
        .iter()
        .map(|p| {
            compile_go_regex(p).map_err(|e| match e.kind {
                // The ImageRepository's own wording (filterOutTags).
                GoRegexErrorKind::Invalid => {
                    SelectError::InvalidPolicy(format!("failed to compile regex {p}: {e}"))
                }
                GoRegexErrorKind::Unsupported => {
                    SelectError::Unsupported(format!("exclusionList pattern '{p}': {e}"))
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Exclusions::Patterns)
}

/// A policy's running state: fed every candidate (key, original tag,
/// position), it answers with the winner's position, tag and key.
trait Latest<'a> {
    fn push(&mut self, key: &str, original: &'a str, index: usize);
    fn finish(self) -> Result<(usize, &'a str, String), SelectError>;
}

/// A candidate kept by a policy (the key is copied only when kept).
struct Kept<'a> {
    key: String,
    original: &'a str,
    index: usize,
}

/// Of several candidates, the key → tag map winners (the byte-wise smallest
/// tag of each key), ordered as Flux would meet them.
fn map_winners<'a>(mut group: Vec<Kept<'a>>) -> Vec<Kept<'a>> {
    group.sort_unstable_by(|a, b| a.key.cmp(&b.key).then(a.original.cmp(b.original)));
    group.dedup_by(|later, first| later.key == first.key);
    group
}

/// The candidate Flux meets first in its (descending original) order: the
/// greatest original among the map winners.
fn first_in_flux(group: Vec<Kept<'_>>) -> Option<Kept<'_>> {
    map_winners(group)
        .into_iter()
        .max_by(|a, b| a.original.cmp(b.original))
}

/// Flux `SemVer.Latest`: the greatest matching version; on equal precedence
/// the first in stored order, i.e. the byte-wise greatest original tag.
struct SemverLatest<'c, 'a> {
    constraint: &'c Constraint,
    best: Option<Version>,
    /// Every candidate whose precedence equals `best`.
    group: Vec<Kept<'a>>,
}

impl<'c> SemverLatest<'c, '_> {
    fn new(constraint: &'c Constraint) -> Self {
        SemverLatest {
            constraint,
            best: None,
            group: Vec::new(),
        }
    }
}

impl<'a> Latest<'a> for SemverLatest<'_, 'a> {
    fn push(&mut self, key: &str, original: &'a str, index: usize) {
        // Unparseable tags (`latest`, `1.27`, `v1.2.3.4`) are skipped
        // silently, as in Flux.
        let Ok(v) = Version::parse_flux(key) else {
            return;
        };
        if !self.constraint.matches(&v) {
            return;
        }
        let ord = self
            .best
            .as_ref()
            .map_or(Ordering::Greater, |b| v.cmp_precedence(b));
        if ord == Ordering::Less {
            return;
        }
        if ord == Ordering::Greater {
            self.best = Some(v);
            self.group.clear();
        }
        self.group.push(Kept {
            key: key.to_owned(),
            original,
            index,
        });
    }

    fn finish(self) -> Result<(usize, &'a str, String), SelectError> {
        let k = first_in_flux(self.group).ok_or(SelectError::NoMatch)?;
        Ok((k.index, k.original, k.key))
    }
}

/// Flux `Alphabetical.Latest`: Go string order is byte order, as `str::cmp`;
/// `asc` takes the greatest key, `desc` the smallest. Keys are distinct
/// after the map, so the only "tie" is a key collision.
struct AlphabeticalLatest<'a> {
    want: Ordering,
    best: Option<Kept<'a>>,
}

impl AlphabeticalLatest<'_> {
    fn new(desc: bool) -> Self {
        let want = if desc {
            Ordering::Less
        } else {
            Ordering::Greater
        };
        AlphabeticalLatest { want, best: None }
    }
}

impl<'a> Latest<'a> for AlphabeticalLatest<'a> {
    fn push(&mut self, key: &str, original: &'a str, index: usize) {
        match &mut self.best {
            None => {
                self.best = Some(Kept {
                    key: key.to_owned(),
                    original,
                    index,
                })
            }
            Some(best) => {
                let ord = key.cmp(best.key.as_str());
                if ord == self.want {
                    best.key.clear();
                    best.key.push_str(key);
                    best.original = original;
                    best.index = index;
                } else if ord == Ordering::Equal && original < best.original {
                    // Key collision: the smallest tag owns the key.
                    best.original = original;
                    best.index = index;
                }
            }
        }
    }

    fn finish(self) -> Result<(usize, &'a str, String), SelectError> {
        let k = self.best.ok_or(SelectError::EmptyCandidates)?;
        Ok((k.index, k.original, k.key))
    }
}

/// Flux `Numerical.Latest`: every key must be a Go float; the maximum (asc)
/// or minimum (desc) `f64` wins; on equal values the last in stored order,
/// i.e. the byte-wise smallest original tag (which is also its key's map
/// winner, so collisions need no extra step).
struct NumericalLatest<'a> {
    desc: bool,
    best: Option<(f64, Kept<'a>)>,
    /// Candidates that are not Go floats; the error names the one Flux
    /// meets first.
    invalid: Vec<Kept<'a>>,
    nan: Vec<Kept<'a>>,
    /// Every number seen, kept so a NaN's position can be honoured at the
    /// end (the key only when it differs from the tag).
    numbers: Vec<(f64, &'a str, usize, Option<String>)>,
}

impl NumericalLatest<'_> {
    fn new(desc: bool) -> Self {
        NumericalLatest {
            desc,
            best: None,
            invalid: Vec::new(),
            nan: Vec::new(),
            numbers: Vec::new(),
        }
    }
}

impl<'a> Latest<'a> for NumericalLatest<'a> {
    fn push(&mut self, key: &str, original: &'a str, index: usize) {
        let kept = |key: &str| Kept {
            key: key.to_owned(),
            original,
            index,
        };
        let x = match parse_float(key).ok() {
            None => return self.invalid.push(kept(key)),
            Some(x) if x.is_nan() => return self.nan.push(kept(key)),
            Some(x) => x,
        };
        self.numbers.push((
            x,
            original,
            index,
            (key != original).then(|| key.to_owned()),
        ));
        match &mut self.best {
            None => self.best = Some((x, kept(key))),
            Some((b, best)) => {
                // No NaN here; -0 and 0 are equal, as in Go.
                let ord = x.partial_cmp(b).unwrap_or(Ordering::Equal);
                let ord = if self.desc { ord.reverse() } else { ord };
                if ord == Ordering::Greater || (ord == Ordering::Equal && original < best.original)
                {
                    *b = x;
                    best.key.clear();
                    best.key.push_str(key);
                    best.original = original;
                    best.index = index;
                }
            }
        }
    }

    fn finish(self) -> Result<(usize, &'a str, String), SelectError> {
        if let Some(k) = first_in_flux(self.invalid) {
            return Err(SelectError::InvalidNumeric(k.key));
        }
        // Flux meets candidates in descending original order; the last NaN
        // it meets is the smallest NaN original.
        if let Some(last_nan) = self
            .nan
            .into_iter()
            .min_by(|a, b| a.original.cmp(b.original))
        {
            let after = self
                .numbers
                .into_iter()
                .filter(|(_, original, _, _)| *original < last_nan.original);
            let mut best: Option<(f64, &'a str, usize, Option<String>)> = None;
            for c in after {
                let better = best.as_ref().is_none_or(|b| {
                    let ord = c.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal);
                    let ord = if self.desc { ord.reverse() } else { ord };
                    ord == Ordering::Greater || (ord == Ordering::Equal && c.1 < b.1)
                });
                if better {
                    best = Some(c);
                }
            }
            return Ok(match best {
                Some((_, original, index, key)) => {
                    (index, original, key.unwrap_or_else(|| original.to_owned()))
                }
                None => (last_nan.index, last_nan.original, last_nan.key),
            });
        }
        let (_, k) = self.best.ok_or(SelectError::EmptyCandidates)?;
        Ok((k.index, k.original, k.key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gosyntax::regex::expand;
    use crate::testutil::Rng;

    fn strings(tags: &[&str]) -> Vec<String> {
        tags.iter().map(|t| (*t).to_owned()).collect()
    }

    fn policy(kind: PolicyKind) -> FluxPolicy {
        FluxPolicy {
            kind,
            filter_pattern: None,
            filter_extract: None,
            exclusion_list: None,
        }
    }

    fn semver(range: &str) -> FluxPolicy {
        policy(PolicyKind::Semver {
            range: range.to_owned(),
        })
    }

    fn alphabetical(desc: bool) -> FluxPolicy {
        policy(PolicyKind::Alphabetical { desc })
    }

    fn numerical(desc: bool) -> FluxPolicy {
        policy(PolicyKind::Numerical { desc })
    }

    fn filtered(mut p: FluxPolicy, pattern: &str, extract: Option<&str>) -> FluxPolicy {
        p.filter_pattern = Some(pattern.to_owned());
        p.filter_extract = extract.map(str::to_owned);
        p
    }

    fn pick(p: &FluxPolicy, tags: &[&str]) -> Result<String, SelectError> {
        select(p, &strings(tags)).map(|s| s.tag)
    }

    // --- Flux TestSemVer_Latest / TestNewSemVer (flux.md §3.5) -------------

    #[test]
    fn semver_latest_regular_skips_odd_tags() {
        let tags = ["1.0.0", "1.0.0.1", "1.0.0p", "1.0.1", "1.2.0", "0.1.0"];
        assert_eq!(pick(&semver("1.0.x"), &tags).unwrap(), "1.0.1");
    }

    #[test]
    fn semver_latest_regular_with_prefix_returns_original() {
        let tags = ["v1.2.3", "v1.0.0", "v0.1.0"];
        let sel = select(&semver("1.0.x"), &strings(&tags)).unwrap();
        assert_eq!(sel.tag, "v1.0.0");
        assert_eq!(sel.key, "v1.0.0");
    }

    #[test]
    fn semver_latest_invalid_prefix_is_no_match() {
        let tags = ["b1.2.3", "b1.0.0", "b0.1.0"];
        assert_eq!(pick(&semver("1.0.x"), &tags), Err(SelectError::NoMatch));
    }

    #[test]
    fn semver_latest_empty_list_is_empty_candidates() {
        assert_eq!(
            pick(&semver("1.0.x"), &[]),
            Err(SelectError::EmptyCandidates)
        );
    }

    #[test]
    fn semver_latest_non_matching_list_is_no_match() {
        assert_eq!(
            pick(&semver("1.0.x"), &["1.2.0"]),
            Err(SelectError::NoMatch)
        );
    }

    #[test]
    fn semver_new_valid_and_invalid_ranges() {
        for range in ["1.0.x", "^1.0", "=1.0.0", "~1.0", ">=1.0", ">0,<2.0"] {
            assert!(pick(&semver(range), &["1.0.0"]).is_ok(), "{range}");
        }
        for range in ["1.0.0p", "1x", "x1", "-1", "a", ""] {
            match pick(&semver(range), &["1.0.0"]) {
                Err(SelectError::InvalidPolicy(m)) => {
                    assert!(m.starts_with("invalid policy"), "{m}")
                }
                other => panic!("{range:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn semver_invalid_range_reported_even_without_tags() {
        assert!(matches!(
            pick(&semver(""), &[]),
            Err(SelectError::InvalidPolicy(_))
        ));
    }

    // --- semver specifics ----------------------------------------------------

    #[test]
    fn semver_equal_precedence_keeps_bytewise_greatest() {
        // Stored order is descending bytes and Flux keeps the first of
        // equals, so `v1.0.0` ('v' > '1') beats `1.0.0`.
        assert_eq!(pick(&semver("*"), &["1.0.0", "v1.0.0"]).unwrap(), "v1.0.0");
        assert_eq!(pick(&semver("*"), &["v1.0.0", "1.0.0"]).unwrap(), "v1.0.0");
        let tags = ["01.0.0", "1.0.0", "1.0.0+b1"];
        assert_eq!(pick(&semver("*"), &tags).unwrap(), "1.0.0+b1");
        let tags = ["01.0.0", "1.0.0", "1.0.0+b1", "v1.0.0", "0.9.0"];
        assert_eq!(pick(&semver("*"), &tags).unwrap(), "v1.0.0");
    }

    #[test]
    fn semver_tie_with_filter_uses_the_same_rule() {
        // Keys `v1.0.0` and `1.0.0` differ but have equal precedence; Flux
        // is random here, we keep the byte-wise greatest original.
        let p = filtered(semver("*"), r"^rel-(?P<v>.+)$", Some("$v"));
        let sel = select(&p, &strings(&["rel-1.0.0", "rel-v1.0.0"])).unwrap();
        assert_eq!(sel.tag, "rel-v1.0.0");
        assert_eq!(sel.key, "v1.0.0");
    }

    #[test]
    fn semver_flux_27_prerelease_group_rule() {
        // Masterminds ≥ 3.4: a prerelease comparator admits prereleases of
        // any major.minor.patch in its AND group.
        let tags = ["1.0.0", "2.0.0", "3.4.5-beta.1"];
        assert_eq!(pick(&semver(">=1.0.0-0"), &tags).unwrap(), "3.4.5-beta.1");
        assert_eq!(pick(&semver(">=1.0.0"), &tags).unwrap(), "2.0.0");
        let tags = ["1.0.0", "1.5.0-rc.1"];
        assert_eq!(
            pick(&semver(">=1.0.0-0 <2.0.0"), &tags).unwrap(),
            "1.5.0-rc.1"
        );
    }

    #[test]
    fn semver_needs_two_dots() {
        // `1.27` has one dot: Flux ≥ 2.7 skips it even though 1.27.0 > 1.26.3.
        assert_eq!(pick(&semver("*"), &["1.27", "1.26.3"]).unwrap(), "1.26.3");
        assert_eq!(
            pick(&semver("*"), &["1.27", "v2", "latest"]),
            Err(SelectError::NoMatch)
        );
        // Dots inside a prerelease count.
        assert_eq!(
            pick(&semver(">=1.0.0-0"), &["1.2-rc.1.3"]).unwrap(),
            "1.2-rc.1.3"
        );
    }

    #[test]
    fn semver_calver_leading_zeros_compare_numerically() {
        let tags = ["v2025.07.03", "v2025.10.01", "v2025.9.30"];
        assert_eq!(pick(&semver(">=2025.0.0"), &tags).unwrap(), "v2025.10.01");
    }

    #[test]
    fn semver_build_metadata_does_not_count() {
        let tags = ["1.2.3+build.9", "1.2.3+build.10", "1.2.2"];
        // Equal precedence: byte-wise greatest ("…9" > "…10").
        assert_eq!(pick(&semver("*"), &tags).unwrap(), "1.2.3+build.9");
    }

    // --- alphabetical (Flux TestAlphabetical_Latest) -------------------------

    #[test]
    fn alphabetical_ubuntu_calver() {
        let tags = ["16.04", "16.04.1", "16.10", "20.04", "20.10"];
        assert_eq!(pick(&alphabetical(false), &tags).unwrap(), "20.10");
        assert_eq!(pick(&alphabetical(true), &tags).unwrap(), "16.04");
    }

    #[test]
    fn alphabetical_code_names_and_timestamps() {
        let names = ["xenial", "yakkety", "zesty", "artful", "bionic"];
        assert_eq!(pick(&alphabetical(false), &names).unwrap(), "zesty");
        assert_eq!(pick(&alphabetical(true), &names).unwrap(), "artful");
        let ts = [
            "1606234201",
            "1606364286",
            "1606334092",
            "1606334284",
            "1606334201",
        ];
        assert_eq!(pick(&alphabetical(false), &ts).unwrap(), "1606364286");
        assert_eq!(pick(&alphabetical(true), &ts).unwrap(), "1606234201");
        let rel = ts.map(|t| format!("rel-{t}"));
        let rel: Vec<&str> = rel.iter().map(String::as_str).collect();
        assert_eq!(pick(&alphabetical(false), &rel).unwrap(), "rel-1606364286");
        assert_eq!(
            pick(&alphabetical(false), &[]),
            Err(SelectError::EmptyCandidates)
        );
    }

    #[test]
    fn alphabetical_rfc3339_like() {
        let tags = [
            "2023-05-07T23-59-59Z",
            "2023-05-08T00-20-00Z",
            "2023-05-08T00-19-59Z",
        ];
        assert_eq!(
            pick(&alphabetical(false), &tags).unwrap(),
            "2023-05-08T00-20-00Z"
        );
        assert_eq!(
            pick(&alphabetical(true), &tags).unwrap(),
            "2023-05-07T23-59-59Z"
        );
    }

    #[test]
    fn alphabetical_is_bytewise() {
        // '-' '.' < digits < uppercase < '_' < lowercase.
        let tags = ["a", "B", "_", "9", ".", "-"];
        assert_eq!(pick(&alphabetical(false), &tags).unwrap(), "a");
        assert_eq!(pick(&alphabetical(true), &tags).unwrap(), "-");
        assert_eq!(pick(&alphabetical(false), &["B", "_"]).unwrap(), "_");
    }

    // --- numerical (Flux TestNumerical_Latest + Go ParseFloat quirks) --------

    #[test]
    fn numerical_flux_fixtures() {
        let ints = [
            "-62", "-88", "73", "72", "15", "16", "15", "29", "-33", "-91",
        ];
        assert_eq!(pick(&numerical(false), &ints).unwrap(), "73");
        let ints = ["5", "-8", "-78", "25", "70", "-4", "80", "92", "-20", "-24"];
        assert_eq!(pick(&numerical(true), &ints).unwrap(), "-78");
        let floats = [
            "47.40896403322944",
            "-27.8520927455902",
            "-27.930666514224427",
            "-31.352485948094568",
            "-50.41072694704882",
            "-21.962849842263736",
            "24.71884721436865",
            "-39.99177354004344",
            "53.47333823144817",
            "3.2008658570411086",
        ];
        assert_eq!(
            pick(&numerical(false), &floats).unwrap(),
            "53.47333823144817"
        );
        let floats = [
            "-65.27202780220686",
            "57.82948329142309",
            "22.40184684363291",
            "-86.36934305697784",
            "-90.29082099756083",
            "-12.041712603564264",
            "77.70488240399305",
            "-38.98425003883552",
            "16.06867070412028",
            "53.735674335181216",
        ];
        assert_eq!(
            pick(&numerical(true), &floats).unwrap(),
            "-90.29082099756083"
        );
        let ts = [
            "1606234201",
            "1606364286",
            "1606334092",
            "1606334284",
            "1606334201",
        ];
        assert_eq!(pick(&numerical(false), &ts).unwrap(), "1606364286");
        assert_eq!(pick(&numerical(true), &ts).unwrap(), "1606234201");
        assert_eq!(pick(&numerical(false), &["1"]).unwrap(), "1");
        assert_eq!(pick(&numerical(true), &["1"]).unwrap(), "1");
        assert_eq!(
            pick(&numerical(false), &[]),
            Err(SelectError::EmptyCandidates)
        );
    }

    #[test]
    fn numerical_one_bad_candidate_fails_everything() {
        // Flux reads "b" first (descending bytes) and reports it.
        assert_eq!(
            pick(&numerical(false), &["0", "1a", "b"]),
            Err(SelectError::InvalidNumeric("b".into()))
        );
        let err = pick(&numerical(false), &["1", "2", "latest"]).unwrap_err();
        assert_eq!(err, SelectError::InvalidNumeric("latest".into()));
        assert_eq!(
            err.to_string(),
            "failed to parse invalid numeric value 'latest'"
        );
        // Unless an exclusion or filter removes it.
        let mut p = numerical(false);
        p.exclusion_list = Some(vec!["latest".into()]);
        assert_eq!(pick(&p, &["1", "2", "latest"]).unwrap(), "2");
        let p = filtered(numerical(false), r"^\d+$", None);
        assert_eq!(pick(&p, &["1", "2", "latest"]).unwrap(), "2");
    }

    #[test]
    fn numerical_go_syntax_underscores_hex_and_range() {
        assert_eq!(pick(&numerical(false), &["1_000", "999"]).unwrap(), "1_000");
        assert_eq!(
            pick(&numerical(false), &["0x1p10", "1000"]).unwrap(),
            "0x1p10"
        );
        assert_eq!(
            pick(&numerical(false), &["1e400", "1"]),
            Err(SelectError::InvalidNumeric("1e400".into()))
        );
        assert_eq!(
            pick(&numerical(false), &["1__0", "1"]),
            Err(SelectError::InvalidNumeric("1__0".into()))
        );
        // +Inf is a number to Go.
        assert_eq!(pick(&numerical(false), &["Inf", "1e308"]).unwrap(), "Inf");
        assert_eq!(
            pick(&numerical(true), &["-infinity", "-1e308"]).unwrap(),
            "-infinity"
        );
    }

    /// A NaN candidate gives the controller's deterministic answer: Go's
    /// comparisons with NaN are false, so over the stored tag order
    /// (descending bytes) a NaN replaces the running pick and the next
    /// candidate replaces the NaN. Upstream:
    /// fluxcd/image-reflector-controller `internal/policy/numerical.go`,
    /// `Numerical.Latest`, fed by `applyPolicy` in
    /// `internal/controller/imagepolicy_controller.go` (the database's
    /// stored tag order).
    #[test]
    fn numerical_nan_candidates_follow_go_comparisons() {
        // Stored order ["NaN", "3"]: NaN first, then 3 replaces it.
        assert_eq!(pick(&numerical(false), &["3", "NaN"]).unwrap(), "3");
        assert_eq!(pick(&numerical(true), &["NaN", "3"]).unwrap(), "3");
        // 'N' sorts above the digits, so "NaN" is met first and only
        // the numbers after it count.
        assert_eq!(
            pick(&numerical(false), &["1", "5", "NaN", "3"]).unwrap(),
            "5"
        );
        // Met last ("inf" > "NaN" bytewise), the NaN wins over +Inf.
        assert_eq!(pick(&numerical(false), &["inf", "NaN"]).unwrap(), "NaN");
        // "nan" sorts before "9" descending ('n' > '9'): met first, then the
        // usual pick among 9, 2: asc 9, desc 2.
        assert_eq!(pick(&numerical(false), &["2", "nan", "9"]).unwrap(), "9");
        assert_eq!(pick(&numerical(true), &["2", "nan", "9"]).unwrap(), "2");
        // Two NaNs ("nan" > "NaN"): the last one met ("NaN") sets the cut;
        // "nan" comes before it, the digits after.
        assert_eq!(
            pick(&numerical(false), &["nan", "7", "NaN", "4"]).unwrap(),
            "7"
        );
        // An unparseable candidate still fails the whole policy.
        assert_eq!(
            pick(&numerical(false), &["nan", "x"]),
            Err(SelectError::InvalidNumeric("x".into()))
        );
    }

    #[test]
    fn numerical_ties_keep_bytewise_smallest() {
        // All equal 1; Flux keeps the last in descending byte order.
        assert_eq!(pick(&numerical(false), &["1", "1.0", "01"]).unwrap(), "01");
        assert_eq!(pick(&numerical(true), &["1.0", "1", "01"]).unwrap(), "01");
        assert_eq!(pick(&numerical(false), &["1", "1.0"]).unwrap(), "1");
        // -0 == 0 in Go.
        assert_eq!(pick(&numerical(false), &["0", "-0"]).unwrap(), "-0");
    }

    #[test]
    fn numerical_19_digit_timestamps_tie_through_f64() {
        // Both round to 1.7e18 (f64 spacing there is 256), so Flux sees a tie
        // and keeps the byte-wise smallest, not the numerically larger one.
        let tags = ["1700000000000000100", "1700000000000000001"];
        assert_eq!(parse_float(tags[0]), parse_float(tags[1]));
        assert_eq!(
            pick(&numerical(false), &tags).unwrap(),
            "1700000000000000001"
        );
        assert_eq!(
            pick(&numerical(true), &tags).unwrap(),
            "1700000000000000001"
        );
        // A real difference still counts.
        let tags = ["1700000000000000001", "1700000000000001000"];
        assert_eq!(
            pick(&numerical(false), &tags).unwrap(),
            "1700000000000001000"
        );
    }

    // --- filterTags ----------------------------------------------------------

    #[test]
    fn filter_redis_key_collision_keeps_smallest_original() {
        let p = filtered(
            semver(">=7.0.0"),
            r"^(?P<ver>\d+\.\d+\.\d+)-alpine\d+\.\d+$",
            Some("$ver"),
        );
        let tags = [
            "7.2.4-alpine3.19",
            "7.2.4-alpine3.18",
            "7.2.3-alpine3.19",
            "7.2.5",
        ];
        let sel = select(&p, &strings(&tags)).unwrap();
        assert_eq!(sel.tag, "7.2.4-alpine3.18");
        assert_eq!(sel.key, "7.2.4");
    }

    #[test]
    fn filter_extract_named_timestamp() {
        let p = filtered(
            numerical(false),
            r"^main-[a-f0-9]+-(?P<ts>\d+)",
            Some("$ts"),
        );
        let tags = [
            "main-abc-1606234201",
            "main-def-1606364286",
            "feature-1-9999999999",
            "latest",
        ];
        let sel = select(&p, &strings(&tags)).unwrap();
        assert_eq!(sel.tag, "main-def-1606364286");
        assert_eq!(sel.key, "1606364286");
        // Braced and numbered forms.
        let p = filtered(
            numerical(true),
            r"^main-[a-f0-9]+-(?P<ts>\d+)",
            Some("${1}"),
        );
        assert_eq!(pick(&p, &tags).unwrap(), "main-abc-1606234201");
    }

    #[test]
    fn filter_pattern_is_unanchored_and_leftmost_first() {
        // `rc` matches anywhere.
        let p = filtered(semver(">=1.0.0-0"), "rc", None);
        assert_eq!(
            pick(&p, &["1.0.0", "1.1.0-rc.1", "1.1.0"]).unwrap(),
            "1.1.0-rc.1"
        );
        // The first, leftmost match provides the groups: 12, not 34.
        let p = filtered(numerical(false), r"(?P<n>\d+)", Some("$n"));
        let sel = select(&p, &strings(&["build-12-34", "build-20-1"])).unwrap();
        assert_eq!((sel.tag.as_str(), sel.key.as_str()), ("build-20-1", "20"));
        // Leftmost-first alternation: `a|ab` on "xab" matches "a".
        let p = filtered(alphabetical(false), "a|ab", Some("$0"));
        let sel = select(&p, &strings(&["xab"])).unwrap();
        assert_eq!(sel.key, "a");
    }

    #[test]
    fn filter_unmatched_group_expands_to_empty() {
        let p = filtered(numerical(false), r"^(?:v(?P<x>\d+)|other)", Some("$x"));
        // "other" gives key "", which ParseFloat rejects.
        assert_eq!(
            pick(&p, &["v1", "other"]),
            Err(SelectError::InvalidNumeric(String::new()))
        );
        // Alphabetical takes it: desc picks the empty key.
        let p = filtered(alphabetical(true), r"^(?:v(?P<x>\d+)|other)", Some("$x"));
        let sel = select(&p, &strings(&["v1", "other", "v2"])).unwrap();
        assert_eq!((sel.tag.as_str(), sel.key.as_str()), ("other", ""));
        // An unknown group is "" too: every tag collides on "-", smallest wins.
        let p = filtered(alphabetical(false), r"\d", Some("$nope-"));
        let sel = select(&p, &strings(&["b2", "a1", "c3"])).unwrap();
        assert_eq!((sel.tag.as_str(), sel.key.as_str()), ("a1", "-"));
    }

    #[test]
    fn filter_that_removes_everything_is_empty_candidates() {
        let p = filtered(semver("*"), "^nomatch$", None);
        let err = pick(&p, &["1.0.0", "2.0.0"]).unwrap_err();
        assert_eq!(err, SelectError::EmptyCandidates);
        assert_eq!(err.to_string(), "version list argument cannot be empty");
    }

    #[test]
    fn filter_extract_without_pattern_matches_everything() {
        // filterTags set with only `extract`: pattern "" matches all; the
        // literal template makes every key "k" and the smallest tag wins.
        let mut p = alphabetical(false);
        p.filter_extract = Some("k".into());
        let sel = select(&p, &strings(&["b", "a", "c"])).unwrap();
        assert_eq!((sel.tag.as_str(), sel.key.as_str()), ("a", "k"));
        // An empty extract means "key = tag".
        let p = filtered(alphabetical(false), "", Some(""));
        assert_eq!(pick(&p, &["b", "a", "c"]).unwrap(), "c");
    }

    #[test]
    fn filter_invalid_and_unsupported_patterns() {
        let p = filtered(semver("*"), "(", None);
        match pick(&p, &["1.0.0"]) {
            Err(SelectError::InvalidPolicy(m)) => {
                assert!(
                    m.starts_with("failed to filter tags: invalid regular expression pattern '('"),
                    "{m}"
                );
                assert!(m.contains("missing closing )"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        let p = filtered(semver("*"), r"\pL{1000}", None);
        assert!(matches!(
            pick(&p, &["1.0.0"]),
            Err(SelectError::Unsupported(_))
        ));
    }

    // --- exclusionList -------------------------------------------------------

    #[test]
    fn exclusion_default_drops_signatures() {
        let tags = ["sha256-abc.sig", "main"];
        assert_eq!(pick(&alphabetical(false), &tags).unwrap(), "main");
        // An empty list falls back to the default.
        let mut p = alphabetical(false);
        p.exclusion_list = Some(vec![]);
        assert_eq!(pick(&p, &tags).unwrap(), "main");
        // A custom list replaces the default.
        p.exclusion_list = Some(vec!["^main".into()]);
        assert_eq!(pick(&p, &tags).unwrap(), "sha256-abc.sig");
        // Unanchored: "sig" anywhere.
        p.exclusion_list = Some(vec!["sig".into(), "^x".into()]);
        assert_eq!(pick(&p, &["signed", "xenial", "main"]).unwrap(), "main");
        // Everything excluded.
        p.exclusion_list = Some(vec![".".into()]);
        assert_eq!(pick(&p, &["a"]), Err(SelectError::EmptyCandidates));
    }

    #[test]
    fn exclusion_invalid_pattern() {
        let mut p = alphabetical(false);
        p.exclusion_list = Some(vec!["a**".into()]);
        match pick(&p, &["a"]) {
            Err(SelectError::InvalidPolicy(m)) => {
                assert!(
                    m.starts_with("failed to compile regex a**: error parsing regexp"),
                    "{m}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn apply_exclusions_returns_stored_order() {
        let tags = strings(&["1.0.0", "a.sig", "v2", "1.0.0", "10"]);
        assert_eq!(
            apply_exclusions(None, &tags).unwrap(),
            strings(&["v2", "10", "1.0.0"])
        );
        let custom = strings(&["^1"]);
        assert_eq!(
            apply_exclusions(Some(&custom), &tags).unwrap(),
            strings(&["v2", "a.sig"])
        );
        assert_eq!(
            apply_exclusions(Some(&[]), &tags).unwrap(),
            strings(&["v2", "10", "1.0.0"])
        );
        assert!(apply_exclusions(Some(&strings(&["("])), &tags).is_err());
    }

    #[test]
    fn default_exclusion_shortcut_agrees_with_the_regex() {
        let re = compile_go_regex(DEFAULT_EXCLUSION).unwrap();
        let cases = [
            "a.sig",
            ".sig",
            "sig",
            "a.SIG",
            "a.sigx",
            "a.sig\n",
            "a\nb.sig",
            "sha256-0.sig",
            "a.sig.sig",
            "",
            "\n.sig",
            "x\u{e9}.sig",
        ];
        for t in cases {
            assert_eq!(Exclusions::SigSuffix.excludes(t), re.is_match(t), "{t:?}");
        }
        // Listing the default explicitly takes the same path.
        let explicit = strings(&[DEFAULT_EXCLUSION]);
        assert!(matches!(
            compile_exclusions(Some(&explicit)),
            Ok(Exclusions::SigSuffix)
        ));
    }

    #[test]
    fn precompiled_template_matches_expand() {
        let mut rng = Rng::new(0x7E_4A7E);
        let patterns = [
            r"(?P<a>\d+)-(?P<b>[a-z]+)?",
            r"(?P<v>x)|(?P<v>\d)",
            r"(\d)(\d)?(?P<1x>a)?",
            r"^v?(?P<major>\d+)\.(?P<minor>\d+)",
            "",
        ];
        for _ in 0..300 {
            let pattern = patterns[rng.below(patterns.len())];
            let re = compile_go_regex(pattern).unwrap();
            let template = rng.string_from("$${}01abvx_-.", 10);
            let compiled = Template::new(&template, &re);
            let mut locs = re.capture_locations();
            let mut out = String::new();
            for _ in 0..5 {
                let tag = rng.string_from("0123456789abvx.-", 8);
                match re.captures(&tag) {
                    None => assert!(re.captures_read(&mut locs, &tag).is_none()),
                    Some(caps) => {
                        assert!(re.captures_read(&mut locs, &tag).is_some());
                        compiled.expand_into(&tag, &locs, &mut out);
                        assert_eq!(
                            out,
                            expand(&template, &re, &caps),
                            "{pattern:?} {template:?} {tag:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn select_info_returns_the_tag_metadata() {
        let mut infos = vec![
            TagInfo::new("1.0.0"),
            TagInfo::new("1.1.0"),
            TagInfo::new("x.sig"),
        ];
        infos[1].digest = Some("sha256:11".into());
        let (sel, info) = select_info(&semver("*"), &infos).unwrap();
        assert_eq!(sel.tag, "1.1.0");
        assert_eq!(info.digest.as_deref(), Some("sha256:11"));
    }

    #[test]
    fn error_messages_follow_flux() {
        assert_eq!(
            SelectError::NoMatch.to_string(),
            "unable to determine latest version from provided list"
        );
        assert_eq!(
            SelectError::InvalidNumeric("x".into()).to_string(),
            "failed to parse invalid numeric value 'x'"
        );
    }

    // --- reference emulation and random inputs ------------------------------

    /// A literal transcription of the controller, sharing nothing with the
    /// code under test but the Go regex translation, `expand` and the
    /// version parser: exclusion by regex, stored order (descending, no
    /// duplicates), the filter map filled in that order and iterated by
    /// descending original (our chosen "random" order), then the Go
    /// `Latest` loops as written.
    fn flux_reference(p: &FluxPolicy, tags: &[String]) -> Result<String, SelectError> {
        // Only valid configurations are compared (see the generator).
        let bad = |e: &dyn fmt::Display| SelectError::InvalidPolicy(e.to_string());
        let constraint = match &p.kind {
            PolicyKind::Semver { range } => Some(Constraint::parse(range).map_err(|e| bad(&e))?),
            _ => None,
        };
        let default = vec![DEFAULT_EXCLUSION.to_owned()];
        let list = match &p.exclusion_list {
            Some(l) if !l.is_empty() => l,
            _ => &default,
        };
        let exclusions: Vec<Regex> = list.iter().map(|x| compile_go_regex(x).unwrap()).collect();
        let mut stored: Vec<&str> = tags
            .iter()
            .map(String::as_str)
            .filter(|t| !exclusions.iter().any(|re| re.is_match(t)))
            .collect();
        stored.sort_unstable_by(|a, b| b.cmp(a));
        stored.dedup();
        let items: Vec<(String, &str)> = if p.filter_pattern.is_none() && p.filter_extract.is_none()
        {
            stored.iter().map(|t| ((*t).to_owned(), *t)).collect()
        } else {
            let pattern = p.filter_pattern.as_deref().unwrap_or("");
            let re = compile_go_regex(pattern).map_err(|e| bad(&e))?;
            let mut map: Vec<(String, &str)> = Vec::new();
            for t in &stored {
                let Some(caps) = re.captures(t) else { continue };
                let key = match p.filter_extract.as_deref() {
                    Some(x) if !x.is_empty() => expand(x, &re, &caps),
                    _ => (*t).to_owned(),
                };
                match map.iter_mut().find(|(k, _)| *k == key) {
                    Some(slot) => slot.1 = t,
                    None => map.push((key, t)),
                }
            }
            map.sort_by(|a, b| b.1.cmp(a.1));
            map
        };
        if items.is_empty() {
            return Err(SelectError::EmptyCandidates);
        }
        let latest: usize = match &p.kind {
            PolicyKind::Semver { .. } => {
                let c = constraint.as_ref().unwrap();
                let mut latest: Option<(Version, usize)> = None;
                for (i, (k, _)) in items.iter().enumerate() {
                    if let Ok(v) = Version::parse_flux(k)
                        && c.matches(&v)
                        && latest
                            .as_ref()
                            .is_none_or(|(l, _)| v.cmp_precedence(l) == Ordering::Greater)
                    {
                        latest = Some((v, i));
                    }
                }
                latest.ok_or(SelectError::NoMatch)?.1
            }
            PolicyKind::Alphabetical { desc } => {
                let mut idx: Vec<usize> = (0..items.len()).collect();
                idx.sort_by(|&a, &b| {
                    let o = items[a].0.cmp(&items[b].0);
                    if *desc { o } else { o.reverse() }
                });
                idx[0]
            }
            PolicyKind::Numerical { desc } => {
                let mut latest = 0;
                let mut pv = 0.0;
                for (i, (k, _)) in items.iter().enumerate() {
                    let Ok(cv) = parse_float(k) else {
                        return Err(SelectError::InvalidNumeric(k.clone()));
                    };
                    // NaN compares false both ways, as in Go.
                    if i != 0 && ((!*desc && cv < pv) || (*desc && cv > pv)) {
                        continue;
                    }
                    latest = i;
                    pv = cv;
                }
                latest
            }
        };
        Ok(items[latest].1.to_owned())
    }

    /// A tag for `kind`: mostly ones that policy can use, with ties and
    /// Go-only float syntax, plus some junk.
    fn random_tag(rng: &mut Rng, kind: &PolicyKind) -> String {
        const NUMBERS: [&str; 16] = [
            "1",
            "01",
            "1.0",
            "1e0",
            "0x1p0",
            "1_0",
            "10",
            "-0",
            "0",
            "2",
            "1e2",
            "100",
            "0x64p0",
            "inf",
            "1700000000000000001",
            "1700000000000000100",
        ];
        if matches!(kind, PolicyKind::Numerical { .. }) && rng.below(20) != 0 {
            return NUMBERS[rng.below(NUMBERS.len())].to_owned();
        }
        match rng.below(6) {
            0 => rng.string_from("0123456789.v-+abrcx_pe", 10),
            1 => format!(
                "{}{}.{}.{}{}",
                ["", "v", "0"][rng.below(3)],
                rng.below(4),
                rng.below(4),
                rng.below(4),
                ["", "-rc.1", "-rc.2", "+b1", "-alpha"][rng.below(5)]
            ),
            2 => format!("{}", rng.below(50) as i64 - 10),
            3 => [
                "1.0", "01", "1", "1e2", "0x1p4", "1_0", "nan", "inf", "latest",
            ][rng.below(9)]
            .to_owned(),
            4 => format!(
                "main-{:x}-{}",
                rng.below(4096),
                1_700_000_000 + rng.below(20)
            ),
            _ => format!("sha256-{:x}.sig", rng.below(100)),
        }
    }

    fn random_policy(rng: &mut Rng, wild: bool) -> FluxPolicy {
        let ranges = [
            "*",
            ">=1.0.0",
            "^1.x",
            "~0.0.0",
            ">=0.0.0-0",
            "1.2.x || >2",
            "<2",
            "1.x-0",
            "!=1.1.1",
        ];
        let kind = match rng.below(3) {
            0 => PolicyKind::Semver {
                range: if wild && rng.below(4) == 0 {
                    rng.string_from("0123456789.*x^~<>=| -v", 8)
                } else {
                    ranges[rng.below(ranges.len())].to_owned()
                },
            },
            1 => PolicyKind::Alphabetical {
                desc: rng.below(2) == 0,
            },
            _ => PolicyKind::Numerical {
                desc: rng.below(2) == 0,
            },
        };
        let patterns = [
            r"^v?(?P<v>\d+\.\d+\.\d+)",
            r"(\d+)",
            r"^(?P<a>\d)|(?P<b>x)",
            "rc",
            "",
            r"^main-[a-f0-9]+-(?P<ts>\d+)$",
            r"\.",
        ];
        let extracts = [
            "", "$1", "${v}", "$a$b", "$ts", "x$$", "$0", "a$-b", "${1", "$1x", "k",
        ];
        // Pairs that extract real keys, so collisions and ties are common.
        let pairs = [
            (r"^v?(?P<v>\d+\.\d+\.\d+)", "${v}"),
            (r"^main-[a-f0-9]+-(?P<ts>\d+)$", "$ts"),
            (r"(\d+)", "$1"),
            (r"^(?P<n>[^.]*)", "$n"),
        ];
        let (filter_pattern, filter_extract) = match rng.below(4) {
            0 => (None, None),
            1 => {
                let (pattern, extract) = pairs[rng.below(pairs.len())];
                (Some(pattern.to_owned()), Some(extract.to_owned()))
            }
            _ => (
                Some(if wild && rng.below(3) == 0 {
                    rng.string_from(r"ab\d.*+?()[]|^$-", 6)
                } else {
                    patterns[rng.below(patterns.len())].to_owned()
                }),
                match rng.below(3) {
                    0 => None,
                    _ if wild && rng.below(3) == 0 => Some(rng.string_from("$1{}ab_v", 5)),
                    _ => Some(extracts[rng.below(extracts.len())].to_owned()),
                },
            ),
        };
        let exclusion_list = match rng.below(6) {
            0 | 1 => None,
            2 => Some(vec![]),
            3 => Some(vec!["^1".to_owned()]),
            _ => Some(vec!["rc".to_owned(), "x$".to_owned()]),
        };
        FluxPolicy {
            kind,
            filter_pattern,
            filter_extract,
            exclusion_list,
        }
    }

    #[test]
    fn matches_a_literal_flux_transcription() {
        let mut rng = Rng::new(0xF1_0C5);
        // Selections per policy kind, so the comparison provably covers
        // successes and not just errors.
        let mut selected = [0usize; 3];
        for round in 0..600 {
            let p = random_policy(&mut rng, false);
            let n = rng.below(30);
            let tags: Vec<String> = (0..n).map(|_| random_tag(&mut rng, &p.kind)).collect();
            let ours = select(&p, &tags);
            if ours.is_ok() {
                selected[match p.kind {
                    PolicyKind::Semver { .. } => 0,
                    PolicyKind::Alphabetical { .. } => 1,
                    PolicyKind::Numerical { .. } => 2,
                }] += 1;
            }
            let reference = flux_reference(&p, &tags);
            match (&ours, &reference) {
                (Ok(a), Ok(b)) => assert_eq!(&a.tag, b, "round {round}: {p:?} {tags:?}"),
                (a, b) => assert_eq!(
                    a.as_ref().map(|s| &s.tag),
                    b.as_ref(),
                    "round {round}: {p:?} {tags:?}"
                ),
            }
        }
        assert!(
            selected.iter().all(|&n| n >= 30),
            "too few selections: {selected:?}"
        );
    }

    #[test]
    fn never_panics_and_ignores_input_order() {
        let mut rng = Rng::new(0x5E1EC7);
        for round in 0..400 {
            let p = random_policy(&mut rng, true);
            let n = rng.below(25);
            let mut tags: Vec<String> = (0..n)
                .map(|_| {
                    if rng.below(3) == 0 {
                        rng.string_from("0123456789.vV-+_xpeEnaifNI\u{e9}", 12)
                    } else {
                        random_tag(&mut rng, &p.kind)
                    }
                })
                .collect();
            let first = select(&p, &tags);
            if let Ok(sel) = &first {
                assert!(tags.contains(&sel.tag), "round {round}");
                if p.filter_pattern.is_none() && p.filter_extract.is_none() {
                    assert_eq!(sel.key, sel.tag, "round {round}");
                }
                let stored = apply_exclusions(p.exclusion_list.as_deref(), &tags).unwrap();
                assert!(
                    stored.contains(&sel.tag),
                    "round {round}: excluded tag selected"
                );
            }
            tags.reverse();
            assert_eq!(
                select(&p, &tags),
                first,
                "round {round}: order dependence {p:?}"
            );
            let _ = first.map_err(|e| e.to_string());
        }
        for _ in 0..300 {
            let s = rng.string_from("0123456789.xXpPeE+-_abfinty", 14);
            let _ = parse_float(&s);
        }
    }
}
