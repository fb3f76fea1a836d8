//! Semver ranges as Masterminds/semver v3.5 `NewConstraint` and `Check` read
//! them, which is what both Flux (`ImagePolicy.spec.policy.semver.range`) and
//! Argo CD Image Updater (the tag of an image entry) use. Owns the grammar,
//! the per-operator "dirty" (partial) rules and the per-OR-group prerelease
//! rule; hands a [`Constraint`] that answers [`Constraint::matches`] for a
//! [`Version`], and, on failure, a [`ConstraintError`] with the byte range of
//! the offending comparator in the text as given.
//!
//! Upstream parses with four regular expressions. This is a hand-written
//! scanner that accepts exactly the same strings and splits them into the
//! same comparators (a test in this file checks that against the upstream
//! regexes), so that errors can point at the comparator that broke.

use std::fmt;
use std::ops::Range;

use super::version::{Shape, Version, cmp_prerelease, run, scan_shape};

/// Masterminds v3.5 `MaxConstraintLen`.
pub const MAX_CONSTRAINT_LEN: usize = 512;
/// Masterminds v3.5 `MaxConstraintGroups` (OR alternatives).
pub const MAX_CONSTRAINT_GROUPS: usize = 32;

/// A comparison operator. Spellings that upstream treats as aliases share a
/// variant; [`Comparator::op_text`] keeps the spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// No operator or `=`: exact on a full version, tilde on a partial one.
    Exact,
    /// `!=`
    NotEqual,
    /// `>`
    Greater,
    /// `<`
    Less,
    /// `>=` or `=>`
    GreaterEq,
    /// `<=` or `=<`
    LessEq,
    /// `~` or `~>`
    Tilde,
    /// `^`
    Caret,
}

impl Op {
    fn from_text(op: &[u8]) -> Option<(Op, &'static str)> {
        Some(match op {
            b"" => (Op::Exact, ""),
            b"=" => (Op::Exact, "="),
            b"!=" => (Op::NotEqual, "!="),
            b">" => (Op::Greater, ">"),
            b"<" => (Op::Less, "<"),
            b">=" => (Op::GreaterEq, ">="),
            b"=>" => (Op::GreaterEq, "=>"),
            b"<=" => (Op::LessEq, "<="),
            b"=<" => (Op::LessEq, "=<"),
            b"~" => (Op::Tilde, "~"),
            b"~>" => (Op::Tilde, "~>"),
            b"^" => (Op::Caret, "^"),
            _ => return None,
        })
    }
}

/// How much of the version a comparator spells out. Upstream keeps this as
/// three flags (`dirty`, `minorDirty`, `patchDirty`); note that a wildcard
/// major sets only `dirty`, which is why `^*` and `<=*` behave oddly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// `1.2.3`: exact bound.
    Full,
    /// `1.2`, `1.2.x`: patch missing or wildcard (`patchDirty`).
    MajorMinor,
    /// `1`, `1.x`, `1.x.x`: minor missing or wildcard (`minorDirty`).
    Major,
    /// `*`, `x`, `X` (anything after it ignored): `dirty` alone.
    Any,
}

/// One comparator, such as `>=1.2` or the `<= 2.0.0` half of a hyphen range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparator {
    op: Op,
    op_text: &'static str,
    version_text: String,
    precision: Precision,
    bound: Version,
    span: Range<usize>,
    from_hyphen_range: bool,
}

impl Comparator {
    pub fn op(&self) -> Op {
        self.op
    }

    /// The operator as written (`"=>"`, `"~>"`, `""` for none). A hyphen
    /// range yields `">="` and `"<="`.
    pub fn op_text(&self) -> &str {
        self.op_text
    }

    /// The version as written, wildcards included (`1.x`, `v1.2-0`).
    pub fn version_text(&self) -> &str {
        &self.version_text
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The version compared against: missing and wildcard parts are 0, the
    /// prerelease is kept, and build metadata is dropped for partial forms.
    pub fn bound(&self) -> &Version {
        &self.bound
    }

    /// Byte range in the constraint text, operator included. Both halves of a
    /// hyphen range point at the whole `A - B`.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    pub fn from_hyphen_range(&self) -> bool {
        self.from_hyphen_range
    }

    /// `^*` (also `^x`, `^*-0`, …): upstream's caret code sees major 0 and no
    /// `minorDirty`, so it only admits 0.0.0 (and its prereleases), although
    /// the README documents "any".
    pub fn is_caret_wildcard(&self) -> bool {
        self.op == Op::Caret && self.precision == Precision::Any
    }

    /// Masterminds `constraint.check`, with the group-level prerelease flag.
    fn admits(&self, v: &Version, include_pre: bool) -> bool {
        // Since v3.4 the prerelease test is per AND group, decided once in
        // `Constraint::parse` and passed in, not per comparator.
        if v.is_prerelease() && !include_pre {
            return false;
        }
        let c = &self.bound;
        let dirty = self.precision != Precision::Full;
        let minor_dirty = self.precision == Precision::Major;
        let patch_dirty = self.precision == Precision::MajorMinor;
        let ord = v.cmp_precedence(c);
        match self.op {
            Op::Exact => {
                if dirty {
                    self.tilde(v)
                } else {
                    ord.is_eq()
                }
            }
            Op::NotEqual => {
                if dirty {
                    if c.major() != v.major() {
                        return true;
                    }
                    if minor_dirty {
                        return false;
                    }
                    if c.minor() != v.minor() {
                        return true;
                    }
                    if patch_dirty {
                        // `!=4.1-alpha` only excludes 4.1.x with that exact
                        // prerelease; `!=4.1` excludes every 4.1.x release.
                        return (v.is_prerelease() || c.is_prerelease())
                            && cmp_prerelease(v.pre(), c.pre()).is_ne();
                    }
                    if c.patch() != v.patch() {
                        return true;
                    }
                    // A wildcard major with minor and patch equal (0.0.0)
                    // falls through to plain equality, as upstream does.
                }
                ord.is_ne()
            }
            Op::Greater => {
                if !dirty {
                    return ord.is_gt();
                }
                if v.major() != c.major() {
                    return v.major() > c.major();
                }
                // `>1` needs major 2+, and `>1.2` needs minor 3+ (1.2.5 is
                // not "greater than 1.2" upstream).
                if minor_dirty {
                    return false;
                }
                if patch_dirty {
                    return v.minor() > c.minor();
                }
                ord.is_gt()
            }
            Op::Less => ord.is_lt(),
            Op::GreaterEq => ord.is_ge(),
            Op::LessEq => {
                if !dirty {
                    return ord.is_le();
                }
                // `<=1.2` includes all of 1.2.x and `<=2.x` all of 2.x.x.
                !(v.major() > c.major()
                    || (v.major() == c.major() && v.minor() > c.minor() && !minor_dirty))
            }
            Op::Tilde => self.tilde(v),
            Op::Caret => {
                if ord.is_lt() {
                    return false;
                }
                if c.major() > 0 || minor_dirty {
                    return v.major() == c.major();
                }
                if v.major() > 0 {
                    return false;
                }
                if c.minor() > 0 || patch_dirty {
                    return v.minor() == c.minor();
                }
                if v.minor() > 0 {
                    return false;
                }
                v.patch() == c.patch()
            }
        }
    }

    /// Masterminds `constraintTilde`.
    fn tilde(&self, v: &Version) -> bool {
        let c = &self.bound;
        if v.cmp_precedence(c).is_lt() {
            return false;
        }
        // Upstream special case: a zero bound without minor/patch wildcards
        // (`~0.0.0`, and `~*`, whose flags are both unset) admits everything.
        let minor_dirty = self.precision == Precision::Major;
        let patch_dirty = self.precision == Precision::MajorMinor;
        if c.major() == 0 && c.minor() == 0 && c.patch() == 0 && !minor_dirty && !patch_dirty {
            return true;
        }
        v.major() == c.major() && (minor_dirty || v.minor() == c.minor())
    }
}

impl fmt::Display for Comparator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.op_text, self.version_text)
    }
}

/// An AND group: the comparators between two `||`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    comparators: Vec<Comparator>,
    admits_prerelease: bool,
}

impl Group {
    pub fn comparators(&self) -> &[Comparator] {
        &self.comparators
    }

    /// True when some comparator in the group carries a prerelease; then
    /// every comparator of the group considers prerelease versions, at any
    /// major.minor.patch (Masterminds ≥ 3.4). Otherwise the group rejects
    /// every prerelease version.
    pub fn admits_prerelease(&self) -> bool {
        self.admits_prerelease
    }

    pub fn matches(&self, v: &Version) -> bool {
        self.comparators
            .iter()
            .all(|c| c.admits(v, self.admits_prerelease))
    }
}

/// A parsed range: OR of AND groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    text: String,
    groups: Vec<Group>,
}

/// Why a range does not parse. [`ConstraintError::span`] is a byte range in
/// the text given to [`Constraint::parse`], on char boundaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintError {
    message: String,
    span: Option<Range<usize>>,
}

impl ConstraintError {
    fn new(message: String, span: Range<usize>) -> Self {
        ConstraintError {
            message,
            span: Some(span),
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn span(&self) -> Option<Range<usize>> {
        self.span.clone()
    }
}

impl fmt::Display for ConstraintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConstraintError {}

impl Constraint {
    /// Masterminds `NewConstraint`. The empty string is an error, as upstream
    /// (Argo CD Image Updater ≥ 1.3 substitutes `*` for an empty constraint
    /// before calling; use [`Constraint::any`] for that).
    pub fn parse(text: &str) -> Result<Constraint, ConstraintError> {
        let all = 0..text.len();
        if text.len() > MAX_CONSTRAINT_LEN {
            return Err(ConstraintError::new(
                format!(
                    "constraint is {} bytes long; the limit is {MAX_CONSTRAINT_LEN}",
                    text.len()
                ),
                all,
            ));
        }
        if text.bytes().all(is_ws) {
            return Err(ConstraintError::new("empty constraint".to_owned(), all));
        }
        let rw = Rewritten::new(text.as_bytes());
        let pieces = split_or(&rw.text);
        if pieces.len() > MAX_CONSTRAINT_GROUPS {
            return Err(ConstraintError::new(
                format!(
                    "{} `||` alternatives; the limit is {MAX_CONSTRAINT_GROUPS}",
                    pieces.len()
                ),
                all,
            ));
        }
        let mut groups = Vec::with_capacity(pieces.len());
        for piece in pieces {
            groups.push(parse_group(text, &rw, piece)?);
        }
        Ok(Constraint {
            text: text.to_owned(),
            groups,
        })
    }

    /// `*`: every release, no prerelease.
    pub fn any() -> Constraint {
        Constraint {
            text: "*".to_owned(),
            groups: vec![Group {
                comparators: vec![Comparator {
                    op: Op::Exact,
                    op_text: "",
                    version_text: "*".to_owned(),
                    precision: Precision::Any,
                    bound: Version::zero(),
                    span: 0..1,
                    from_hyphen_range: false,
                }],
                admits_prerelease: false,
            }],
        }
    }

    /// The text as given to [`Constraint::parse`].
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// Masterminds `Constraints.Check` with `IncludePrerelease = false`, which
    /// is how both Flux and Argo CD Image Updater call it.
    pub fn matches(&self, v: &Version) -> bool {
        self.groups.iter().any(|g| g.matches(v))
    }

    /// Whether some comparator is `^*` (see [`Comparator::is_caret_wildcard`]).
    pub fn has_caret_wildcard(&self) -> bool {
        self.caret_wildcard().is_some()
    }

    /// The first `^*` comparator, for pointing a lint at it.
    pub fn caret_wildcard(&self) -> Option<&Comparator> {
        self.groups
            .iter()
            .flat_map(|g| &g.comparators)
            .find(|c| c.is_caret_wildcard())
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Go's `\s` (RE2 Perl class): ASCII only, and no vertical tab.
fn is_ws(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Upstream's `[0-9|x|X|\*]`: inside a character class `|` is a literal, so
/// it counts as a version-part byte. That only matters for odd input, but it
/// decides whether some garbage is an error or ignored (`*.|` parses as `*`),
/// and it lets a hyphen range's upper bound swallow a following `||`.
fn is_part(c: u8) -> bool {
    c.is_ascii_digit() || matches!(c, b'x' | b'X' | b'*' | b'|')
}

fn is_op(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'<' | b'>' | b'~' | b'^')
}

fn is_x(part: &[u8]) -> bool {
    matches!(part, b"x" | b"X" | b"*")
}

fn skip_ws(b: &[u8], from: usize) -> usize {
    run(b, from, is_ws).end
}

/// A stretch of the rewritten text and where it came from.
#[derive(Debug, Clone)]
struct Segment {
    rewritten: Range<usize>,
    original: Range<usize>,
    hyphen: bool,
}

/// The text after upstream's `rewriteRange`, plus the map back to the input.
struct Rewritten {
    text: Vec<u8>,
    segments: Vec<Segment>,
    original_len: usize,
}

impl Rewritten {
    /// Masterminds `rewriteRange`: every match of
    /// `\s*(cv)\s+-\s+(cv)\s*` in the original text becomes `>= A, <= B `.
    /// Upstream finds all matches first and then replaces the first
    /// occurrence of each match's text; no earlier occurrence can exist
    /// (it would itself be an earlier match), so replacing in place is the
    /// same. The leading `\s*` is part of the match and is replaced away,
    /// which is why `>=1 1.2 - 1.5` fails upstream: the `>= ` glues onto the
    /// previous comparator.
    fn new(s: &[u8]) -> Rewritten {
        let mut text = Vec::with_capacity(s.len() + 16);
        let mut segments = Vec::new();
        let mut copied = 0;
        let mut from = 0;
        while let Some(m) = find_hyphen_range(s, from) {
            push_plain(&mut text, &mut segments, s, copied..m.whole.start);
            let start = text.len();
            text.extend_from_slice(b">= ");
            text.extend_from_slice(s.get(m.low.clone()).unwrap_or_default());
            text.extend_from_slice(b", <= ");
            text.extend_from_slice(s.get(m.high.clone()).unwrap_or_default());
            text.push(b' ');
            segments.push(Segment {
                rewritten: start..text.len(),
                original: m.low.start..m.high.end,
                hyphen: true,
            });
            copied = m.whole.end;
            // Matches are never empty (a version has at least one byte).
            from = m.whole.end.max(m.whole.start + 1);
        }
        push_plain(&mut text, &mut segments, s, copied..s.len());
        Rewritten {
            text,
            segments,
            original_len: s.len(),
        }
    }

    fn segment_at(&self, p: usize) -> Option<&Segment> {
        self.segments.iter().find(|s| s.rewritten.contains(&p))
    }

    fn map_start(&self, p: usize) -> usize {
        match self.segment_at(p) {
            Some(s) if s.hyphen => s.original.start,
            Some(s) => s.original.start + (p - s.rewritten.start),
            None => self.original_len,
        }
    }

    fn map_end(&self, p: usize) -> usize {
        match p.checked_sub(1).and_then(|q| self.segment_at(q)) {
            Some(s) if s.hyphen => s.original.end,
            Some(s) => s.original.start + (p - s.rewritten.start),
            None => 0,
        }
    }

    /// A range of the rewritten text as a range of the input.
    fn to_original(&self, r: Range<usize>) -> Range<usize> {
        let start = self.map_start(r.start);
        if r.is_empty() {
            return start..start;
        }
        start..self.map_end(r.end).max(start)
    }

    fn is_hyphen(&self, p: usize) -> bool {
        self.segment_at(p).is_some_and(|s| s.hyphen)
    }
}

fn push_plain(text: &mut Vec<u8>, segments: &mut Vec<Segment>, s: &[u8], r: Range<usize>) {
    if r.is_empty() {
        return;
    }
    let start = text.len();
    text.extend_from_slice(s.get(r.clone()).unwrap_or_default());
    segments.push(Segment {
        rewritten: start..text.len(),
        original: r,
        hyphen: false,
    });
}

struct HyphenMatch {
    whole: Range<usize>,
    low: Range<usize>,
    high: Range<usize>,
}

/// Leftmost match at or after `from` of `\s*(cv)\s+-\s+(cv)\s*`, unanchored,
/// as Go's `FindAllStringSubmatch` walks it.
fn find_hyphen_range(s: &[u8], from: usize) -> Option<HyphenMatch> {
    (from..s.len()).find_map(|i| hyphen_range_at(s, i))
}

fn hyphen_range_at(s: &[u8], i: usize) -> Option<HyphenMatch> {
    let a = skip_ws(s, i);
    // The first version must be followed by whitespace, and a version holds
    // none, so only the greedy match can be the one; RE2 would find no other.
    let low = scan_shape(s, a, is_part)?;
    if !s.get(low.end).copied().is_some_and(is_ws) {
        return None;
    }
    let dash = skip_ws(s, low.end);
    if s.get(dash) != Some(&b'-') {
        return None;
    }
    let b = skip_ws(s, dash + 1);
    if b == dash + 1 {
        return None;
    }
    // The second version is followed by `\s*` and nothing anchored, so the
    // greedy prefix is the match even if junk follows it.
    let high = scan_shape(s, b, is_part)?;
    let end = skip_ws(s, high.end);
    Some(HyphenMatch {
        whole: i..end,
        low: a..low.end,
        high: b..high.end,
    })
}

/// `strings.Split(c, "||")`, as ranges.
fn split_or(b: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'|' && b[i + 1] == b'|' {
            out.push(start..i);
            i += 2;
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(start..b.len());
    out
}

/// One `||` alternative of the rewritten text, and what is needed to report
/// against the text the user wrote.
struct Piece<'a> {
    src: &'a str,
    rw: &'a Rewritten,
    base: usize,
    g: &'a [u8],
}

impl Piece<'_> {
    /// A range of this piece as a range of the input.
    fn orig(&self, r: Range<usize>) -> Range<usize> {
        self.rw.to_original(self.base + r.start..self.base + r.end)
    }

    /// What the user wrote there (a hyphen range shows whole).
    fn shown(&self, r: Range<usize>) -> &str {
        self.src.get(self.orig(r)).unwrap_or("")
    }

    /// The rewritten bytes themselves; always ASCII where this is used.
    fn text(&self, r: Range<usize>) -> String {
        String::from_utf8_lossy(self.g.get(r).unwrap_or_default()).into_owned()
    }

    fn bytes(&self, r: Option<Range<usize>>) -> &[u8] {
        r.and_then(|r| self.g.get(r)).unwrap_or_default()
    }

    fn error(&self, message: String, r: Range<usize>) -> ConstraintError {
        ConstraintError::new(message, self.orig(r))
    }
}

/// Ends a token: the next whitespace or comma.
fn token_end(g: &[u8], from: usize) -> usize {
    run(g, from, |c| !is_ws(c) && c != b',').end
}

/// One OR alternative. Upstream first checks the whole group against
///
/// `^(\s*(op)\s*(cv)\s*)((?:\s+|,\s*)(op)\s*(cv)\s*)*$`
///
/// then cuts it with `(op)\s*(cv)`. Neither `op` nor `cv` can contain
/// whitespace or a comma, and a version cannot start with an operator byte,
/// so both regexes see the same thing as this loop: an operator that is the
/// whole run of operator bytes, optional whitespace, then a token running to
/// the next whitespace, comma or end that must match `cv` completely, then
/// whitespace and/or one comma before the next comparator.
fn parse_group(src: &str, rw: &Rewritten, piece: Range<usize>) -> Result<Group, ConstraintError> {
    let g = rw.text.get(piece.clone()).unwrap_or_default();
    let pc = Piece {
        src,
        rw,
        base: piece.start,
        g,
    };

    if g.iter().all(|&c| is_ws(c)) {
        // Point at the `||` on either side of the empty alternative.
        let around = piece.start.saturating_sub(2)..(piece.end + 2).min(rw.text.len());
        return Err(ConstraintError::new(
            "empty alternative: nothing between `||` separators".to_owned(),
            rw.to_original(around),
        ));
    }

    let mut comparators = Vec::new();
    let mut p = skip_ws(g, 0);
    loop {
        let op_range = run(g, p, is_op);
        let Some(op) = g.get(op_range.clone()).and_then(Op::from_text) else {
            return Err(pc.error(
                format!(
                    "`{}` is not an operator (expected one of = != > < >= <= => =< ~ ~> ^)",
                    pc.shown(op_range.clone())
                ),
                op_range.start..token_end(g, op_range.end),
            ));
        };
        let v_start = skip_ws(g, op_range.end);
        let tok = v_start..token_end(g, v_start);
        let whole = op_range.start..tok.end;
        if tok.is_empty() {
            let message = if op.1.is_empty() {
                "expected a version after the comma".to_owned()
            } else {
                format!("operator `{}` is not followed by a version", op.1)
            };
            return Err(pc.error(message, whole));
        }
        let shape = match scan_shape(g, v_start, is_part) {
            Some(s) if s.end == tok.end => s,
            Some(s) if g.get(s.end).copied().is_some_and(is_op) => {
                let next = s.end..run(g, s.end, is_op).end;
                return Err(pc.error(
                    format!(
                        "`{}` needs whitespace or a comma before `{}`",
                        pc.shown(whole.clone()),
                        pc.shown(next)
                    ),
                    whole,
                ));
            }
            _ => {
                return Err(pc.error(
                    format!("`{}` is not a version or wildcard", pc.shown(tok)),
                    whole,
                ));
            }
        };
        comparators.push(comparator(&pc, op, whole, &shape)?);

        let after = skip_ws(g, tok.end);
        if after == g.len() {
            break;
        }
        p = if g.get(after) == Some(&b',') {
            skip_ws(g, after + 1)
        } else {
            after
        };
    }
    let admits_prerelease = comparators.iter().any(|c| c.bound.is_prerelease());
    Ok(Group {
        comparators,
        admits_prerelease,
    })
}

/// Masterminds `parseConstraint` after the regex: decide the wildcard level,
/// rebuild the bound text exactly as upstream formats it, and run it through
/// `NewVersion`, so leading zeros, u64 overflow, the prerelease rules and the
/// 256-byte limit apply as they do there. Parts after a wildcard are never
/// looked at (`1.x.3` is `1.x`; `*.|` is `*`).
fn comparator(
    pc: &Piece<'_>,
    (op, op_text): (Op, &'static str),
    whole: Range<usize>,
    shape: &Shape,
) -> Result<Comparator, ConstraintError> {
    let major = pc.bytes(Some(shape.major.clone()));
    let minor = pc.bytes(shape.minor.clone());
    let patch = pc.bytes(shape.patch.clone());
    // Upstream's `m[6]`: the prerelease with its `-`. Build metadata only
    // survives in the full form, where the whole text is parsed.
    let dash_pre = shape
        .pre
        .clone()
        .map(|r| pc.text(r.start.saturating_sub(1)..r.end))
        .unwrap_or_default();
    let version_text = pc.text(shape.start..shape.end);
    let (precision, used, rebuilt): (Precision, &[&[u8]], String) = if is_x(major) {
        (Precision::Any, &[], format!("0.0.0{dash_pre}"))
    } else if minor.is_empty() || is_x(minor) {
        let m = pc.text(shape.major.clone());
        (Precision::Major, &[major], format!("{m}.0.0{dash_pre}"))
    } else if patch.is_empty() || is_x(patch) {
        let end = shape.minor.as_ref().map_or(shape.major.end, |r| r.end);
        let mm = pc.text(shape.major.start..end);
        (
            Precision::MajorMinor,
            &[major, minor],
            format!("{mm}.0{dash_pre}"),
        )
    } else {
        (
            Precision::Full,
            &[major, minor, patch],
            version_text.clone(),
        )
    };
    let bound = Version::parse_argo(&rebuilt).map_err(|e| {
        let detail = match used
            .iter()
            .find(|part| !part.iter().all(u8::is_ascii_digit))
        {
            Some(part) => format!(
                "`{}` is neither a number nor a wildcard (x, X, *)",
                String::from_utf8_lossy(part)
            ),
            None => e.to_string(),
        };
        pc.error(
            format!("invalid version in `{}`: {detail}", pc.shown(whole.clone())),
            whole.clone(),
        )
    })?;
    Ok(Comparator {
        op,
        op_text,
        version_text,
        precision,
        bound,
        span: pc.orig(whole.clone()),
        from_hyphen_range: pc.rw.is_hyphen(pc.base + whole.start),
    })
}

#[cfg(test)]
mod tests;
