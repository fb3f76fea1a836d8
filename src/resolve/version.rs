//! Image tags as semantic versions, parsed and ordered exactly like
//! Masterminds/semver v3.5 `NewVersion` (coerce mode) and `Version.Compare`,
//! with the two front doors Flux and Argo CD Image Updater put in front of it.
//! Hands [`Version`] to the constraint matcher (`super::constraint`) and to
//! whoever picks the newest tag; never touches the registry or the filesystem.

use std::cmp::Ordering;
use std::fmt;
use std::ops::Range;

/// Masterminds v3.5 `MaxVersionLen`: `NewVersion` rejects longer input before
/// looking at it. Registry tags stop at 128 bytes, so only odd extracts hit it.
pub const MAX_VERSION_LEN: usize = 256;

/// One dot-separated prerelease identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identifier {
    /// All digits, no leading zero, and fits in a `u64`.
    Numeric(u64),
    /// Anything else from `[0-9A-Za-z-]`. Masterminds decides "numeric" with
    /// `strconv.ParseUint`, so an all-digit identifier above `u64::MAX` fails
    /// that parse and is compared byte-wise like a word; it lands here.
    Alpha(String),
}

impl Identifier {
    /// Masterminds `comparePrePart`: numbers numerically, words byte-wise,
    /// and a number always below a word.
    pub fn cmp_precedence(&self, other: &Identifier) -> Ordering {
        match (self, other) {
            (Identifier::Numeric(a), Identifier::Numeric(b)) => a.cmp(b),
            (Identifier::Numeric(_), Identifier::Alpha(_)) => Ordering::Less,
            (Identifier::Alpha(_), Identifier::Numeric(_)) => Ordering::Greater,
            (Identifier::Alpha(a), Identifier::Alpha(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identifier::Numeric(n) => write!(f, "{n}"),
            Identifier::Alpha(s) => f.write_str(s),
        }
    }
}

/// Why a tag is not a version. Flux and Argo both drop such tags silently;
/// the variants exist so a lint can say why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionError {
    /// Longer than [`MAX_VERSION_LEN`] bytes.
    TooLong,
    /// Flux ≥ 2.7 only: fewer than two dots anywhere in the tag.
    TooFewDots,
    /// Not `v?N(.N)?(.N)?(-pre)?(+build)?` with ASCII digits and
    /// `[0-9A-Za-z-]` identifiers (capital `V`, four parts, `_`, empty
    /// identifiers, leading or trailing junk).
    Malformed,
    /// Major, minor or patch does not fit in a `u64`.
    NumberTooLarge,
    /// An all-digit prerelease identifier with a leading zero (`rc.01`).
    PrereleaseLeadingZero,
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VersionError::TooLong => "longer than 256 bytes",
            VersionError::TooFewDots => "Flux needs at least two dots (major.minor.patch)",
            VersionError::Malformed => "not a semantic version",
            VersionError::NumberTooLarge => "a version number does not fit in 64 bits",
            VersionError::PrereleaseLeadingZero => {
                "a numeric prerelease identifier has a leading zero"
            }
        })
    }
}

impl std::error::Error for VersionError {}

/// A parsed tag. Missing minor/patch are 0 and leading zeros are gone
/// (`v2025.07.03` is 2025.7.3), but [`Version::original`] keeps the tag as
/// written, which is what both controllers write back.
///
/// `PartialEq` is structural (it sees the original text and the build);
/// precedence, which is what selection uses, is [`Version::cmp_precedence`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<Identifier>,
    build: String,
    original: String,
}

impl Version {
    /// Flux ≥ 2.7 (`fluxcd/pkg/version.ParseVersion`): `strings.SplitN(tag,
    /// ".", 3)` must yield three parts, so the tag needs two dots somewhere,
    /// even inside the prerelease (`1.2-rc.1.3` passes, `v1.0` does not);
    /// then plain `NewVersion`.
    pub fn parse_flux(tag: &str) -> Result<Version, VersionError> {
        if tag.bytes().filter(|&c| c == b'.').count() < 2 {
            return Err(VersionError::TooFewDots);
        }
        Self::parse_argo(tag)
    }

    /// Argo CD Image Updater: Masterminds `NewVersion` with no pre-check, so
    /// `1`, `1.2` and `v2.1` are versions.
    pub fn parse_argo(tag: &str) -> Result<Version, VersionError> {
        if tag.len() > MAX_VERSION_LEN {
            return Err(VersionError::TooLong);
        }
        let b = tag.as_bytes();
        let shape = scan_shape(b, 0, is_digit)
            .filter(|s| s.end == b.len())
            .ok_or(VersionError::Malformed)?;
        let part = |r: Range<usize>| tag.get(r).ok_or(VersionError::Malformed);
        let major = parse_u64(part(shape.major)?)?;
        let minor = match shape.minor {
            Some(r) => parse_u64(part(r)?)?,
            None => 0,
        };
        let patch = match shape.patch {
            Some(r) => parse_u64(part(r)?)?,
            None => 0,
        };
        let pre = match shape.pre {
            Some(r) => parse_prerelease(part(r)?)?,
            None => Vec::new(),
        };
        let build = match shape.build {
            Some(r) => part(r)?.to_owned(),
            None => String::new(),
        };
        Ok(Version {
            major,
            minor,
            patch,
            pre,
            build,
            original: tag.to_owned(),
        })
    }

    /// 0.0.0, the bound of a `*` comparator.
    pub(super) fn zero() -> Version {
        Version {
            major: 0,
            minor: 0,
            patch: 0,
            pre: Vec::new(),
            build: String::new(),
            original: "0.0.0".to_owned(),
        }
    }

    pub fn major(&self) -> u64 {
        self.major
    }

    pub fn minor(&self) -> u64 {
        self.minor
    }

    pub fn patch(&self) -> u64 {
        self.patch
    }

    /// Prerelease identifiers; empty for a release.
    pub fn pre(&self) -> &[Identifier] {
        &self.pre
    }

    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// Build metadata without the `+`; empty when absent.
    pub fn build(&self) -> &str {
        &self.build
    }

    /// The text that was parsed, byte for byte.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// Masterminds `Version.Compare`: major, minor, patch numerically; a
    /// release above its prereleases; prerelease lists identifier by
    /// identifier, the shorter list lower when one is a prefix of the other.
    /// Build metadata never counts, so `1.0.0`, `v1.0.0`, `01.0.0` and
    /// `1.0.0+b1` are all `Equal`.
    pub fn cmp_precedence(&self, other: &Version) -> Ordering {
        self.major
            .cmp(&other.major)
            .then(self.minor.cmp(&other.minor))
            .then(self.patch.cmp(&other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => cmp_prerelease(&self.pre, &other.pre),
            })
    }
}

/// Masterminds `String()`: the normalised form, without `v` or leading zeros.
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for (i, id) in self.pre.iter().enumerate() {
            f.write_str(if i == 0 { "-" } else { "." })?;
            write!(f, "{id}")?;
        }
        if !self.build.is_empty() {
            write!(f, "+{}", self.build)?;
        }
        Ok(())
    }
}

/// Masterminds `comparePrerelease`. Go pads the shorter list with `""`, which
/// sorts below every identifier; lexicographic slice order is the same thing.
pub(super) fn cmp_prerelease(a: &[Identifier], b: &[Identifier]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = x.cmp_precedence(y);
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// Where the pieces of a version-shaped prefix are. `pre` and `build` exclude
/// their `-`/`+`.
#[derive(Debug, Clone)]
pub(super) struct Shape {
    pub start: usize,
    pub end: usize,
    pub major: Range<usize>,
    pub minor: Option<Range<usize>>,
    pub patch: Option<Range<usize>>,
    pub pre: Option<Range<usize>>,
    pub build: Option<Range<usize>>,
}

/// Greedy match, starting at `start`, of the Masterminds version regex
/// `v?(P+)(\.P+)?(\.P+)?(-I+(\.I+)*)?(\+I+(\.I+)*)?` where `P` is `is_part`
/// (digits for versions; digits, `x`, `X`, `*` and, by an upstream quirk,
/// `|` for constraints) and `I` is `[0-9A-Za-z-]`. Each optional group is
/// taken exactly when its first two bytes fit, which is what RE2's
/// leftmost-first greedy choice does here, so the returned end and the
/// part boundaries equal Go's submatches. Returns `None` when not even the
/// major part is there.
pub(super) fn scan_shape(b: &[u8], start: usize, is_part: fn(u8) -> bool) -> Option<Shape> {
    let fits = |i: usize, pred: fn(u8) -> bool| b.get(i).is_some_and(|&c| pred(c));
    let mut p = start;
    if b.get(p) == Some(&b'v') && fits(p + 1, is_part) {
        p += 1;
    }
    let major = run(b, p, is_part);
    if major.is_empty() {
        return None;
    }
    p = major.end;
    let mut dotted: [Option<Range<usize>>; 2] = [None, None];
    for slot in &mut dotted {
        if b.get(p) != Some(&b'.') || !fits(p + 1, is_part) {
            break;
        }
        let r = run(b, p + 1, is_part);
        p = r.end;
        *slot = Some(r);
    }
    let pre = identifier_list(b, &mut p, b'-');
    let build = identifier_list(b, &mut p, b'+');
    let [minor, patch] = dotted;
    Some(Shape {
        start,
        end: p,
        major,
        minor,
        patch,
        pre,
        build,
    })
}

fn identifier_list(b: &[u8], p: &mut usize, lead: u8) -> Option<Range<usize>> {
    let fits = |i: usize| b.get(i).is_some_and(|&c| is_ident(c));
    if b.get(*p) != Some(&lead) || !fits(*p + 1) {
        return None;
    }
    let start = *p + 1;
    let mut q = run(b, start, is_ident).end;
    while b.get(q) == Some(&b'.') && fits(q + 1) {
        q = run(b, q + 1, is_ident).end;
    }
    *p = q;
    Some(start..q)
}

/// The longest run of `pred` bytes from `from`.
pub(super) fn run(b: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> Range<usize> {
    let from = from.min(b.len());
    let len = b
        .get(from..)
        .map_or(0, |t| t.iter().take_while(|&&c| pred(c)).count());
    from..from + len
}

pub(super) fn is_digit(c: u8) -> bool {
    c.is_ascii_digit()
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

/// `strconv.ParseUint(s, 10, 64)` on a digit string: leading zeros are fine
/// (coerce mode), overflow is an error.
fn parse_u64(digits: &str) -> Result<u64, VersionError> {
    digits.bytes().try_fold(0u64, |acc, c| {
        acc.checked_mul(10)
            .and_then(|a| a.checked_add(u64::from(c.wrapping_sub(b'0'))))
            .ok_or(VersionError::NumberTooLarge)
    })
}

/// Masterminds `validatePrerelease` plus the identifier classification that
/// `comparePrePart` does at compare time.
fn parse_prerelease(pre: &str) -> Result<Vec<Identifier>, VersionError> {
    pre.split('.')
        .map(|id| {
            if id.is_empty() {
                Err(VersionError::Malformed)
            } else if id.bytes().all(|c| c.is_ascii_digit()) {
                if id.len() > 1 && id.starts_with('0') {
                    Err(VersionError::PrereleaseLeadingZero)
                } else {
                    Ok(parse_u64(id)
                        .map_or_else(|_| Identifier::Alpha(id.to_owned()), Identifier::Numeric))
                }
            } else if id.bytes().all(is_ident) {
                Ok(Identifier::Alpha(id.to_owned()))
            } else {
                Err(VersionError::Malformed)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
