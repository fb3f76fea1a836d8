//! The offline tag source behind `preview --tags-from FILE`: a YAML mapping
//! from image repository (any spelling a manifest may use) to its tags, each
//! either a plain scalar or a `{tag, created, digest, platforms}` mapping.
//! Every mistake in the file is a [`TagsFileError`] with the line and column
//! of the offending node; nothing here panics on any input.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use super::{Platform, SourceError, TagInfo, TagSource, Timestamp};
use crate::model::image::{self, MAX_TAG_LEN};
use crate::yaml::{self, NodeId, NodeKind, ScalarStyle, Yaml};

/// Fields of a tag mapping, in the order messages list them.
const FIELDS: [&str; 4] = ["tag", "created", "digest", "platforms"];

/// A loaded `--tags-from` file: normalised repository name
/// (`docker.io/library/nginx`) to its tags in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagsFile {
    repos: BTreeMap<String, Vec<TagInfo>>,
}

/// Why a tags file was rejected. `line`/`column` are 1-based and point at
/// the offending node; both are `None` when the file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagsFileError {
    /// The path as given to [`TagsFile::load`] / [`TagsFile::parse`].
    pub file: String,
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl fmt::Display for TagsFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for TagsFileError {}

impl TagsFile {
    /// Reads and parses `path`. An unreadable or non-UTF-8 file is an error
    /// without a position.
    pub fn load(path: &Path) -> Result<TagsFile, TagsFileError> {
        let name = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, &name),
            Err(e) => Err(TagsFileError {
                file: name,
                message: format!("cannot read tags file: {e}"),
                line: None,
                column: None,
            }),
        }
    }

    /// Parses the text of a tags file; `path_for_messages` only names the
    /// file in errors. A file with no document at all (empty, or comments
    /// only) lists no repositories, which is not an error.
    pub fn parse(text: &str, path_for_messages: &str) -> Result<TagsFile, TagsFileError> {
        let y = yaml::parse(text);
        let p = Parser {
            text,
            file: path_for_messages,
            y: &y,
        };
        p.run()
    }

    /// Normalised names of every repository the file lists, sorted.
    pub fn repositories(&self) -> impl Iterator<Item = &str> {
        self.repos.keys().map(String::as_str)
    }

    /// The entry for `repository`, in whatever spelling.
    fn lookup(&self, repository: &str) -> Option<&Vec<TagInfo>> {
        // Callers pass normalised names, so the exact key is the fast path;
        // any other spelling goes through the same normalisation as keys.
        self.repos
            .get(repository)
            .or_else(|| self.repos.get(&normalize(&image::parse(repository).ok()?)))
    }
}

impl TagSource for TagsFile {
    fn tags(&self, repository: &str) -> Result<Vec<TagInfo>, SourceError> {
        self.lookup(repository)
            .cloned()
            .ok_or_else(|| SourceError::UnknownRepository(repository.to_owned()))
    }

    // Same answer as the default, without cloning the whole list.
    fn describe(&self, repository: &str, tag: &str) -> Result<TagInfo, SourceError> {
        let tags = self
            .lookup(repository)
            .ok_or_else(|| SourceError::UnknownRepository(repository.to_owned()))?;
        tags.iter()
            .find(|t| t.tag == tag)
            .cloned()
            .ok_or_else(|| SourceError::Failed(format!("{repository} has no tag {tag:?}")))
    }
}

/// The key a repository is stored under. Registry hosts are DNS names and
/// compare case-insensitively; paths are lowercase by the grammar, so
/// lowercasing the whole name is exact.
fn normalize(r: &image::ImageRef) -> String {
    r.normalized_name().to_ascii_lowercase()
}

struct Parser<'a> {
    text: &'a str,
    file: &'a str,
    y: &'a Yaml,
}

impl Parser<'_> {
    fn err_at(&self, offset: usize, message: String) -> TagsFileError {
        let lc = self.y.lines.line_col(self.text, offset);
        TagsFileError {
            file: self.file.to_owned(),
            message,
            line: Some(lc.line),
            column: Some(lc.column),
        }
    }

    fn err(&self, node: NodeId, message: String) -> TagsFileError {
        self.err_at(self.y.node(node).span.start, message)
    }

    fn line_of(&self, node: NodeId) -> usize {
        self.y
            .lines
            .line_col(self.text, self.y.node(node).span.start)
            .line
    }

    /// True for a plain scalar that YAML reads as null (`~`, `null`, nothing).
    fn is_null(&self, node: NodeId) -> bool {
        matches!(&self.y.node(self.y.resolve(node)).kind,
            NodeKind::Scalar { value, style: ScalarStyle::Plain } if yaml::is_null(value))
    }

    /// Where to point for `value` of `key`: an empty value has no text of
    /// its own (its span sits at the next token, often on the next line),
    /// so point at the key instead.
    fn value_anchor(&self, key: NodeId, value: NodeId) -> NodeId {
        if self.y.node(value).span.is_empty() {
            key
        } else {
            value
        }
    }

    fn run(&self) -> Result<TagsFile, TagsFileError> {
        if let Some(e) = &self.y.error {
            if e.limit {
                return Err(self.err_at(
                    e.span.start,
                    format!(
                        "{}: a tags file may list about {} tags at most",
                        e.message,
                        crate::yaml::MAX_NODES
                    ),
                ));
            }
            return Err(self.err_at(e.span.start, format!("invalid YAML: {}", e.message)));
        }
        let mut roots = self.y.roots();
        let Some(root) = roots.next() else {
            return Ok(TagsFile::default());
        };
        if let Some(second) = roots.next() {
            return Err(self.err(
                second,
                "a tags file is a single YAML document; found a second one".to_owned(),
            ));
        }
        if !self.y.is_mapping(root) {
            return Err(self.err(
                root,
                "the top level must be a mapping from image repository to a list of tags"
                    .to_owned(),
            ));
        }
        let mut repos = BTreeMap::new();
        // Normalised name -> (spelling, key node) of its first occurrence.
        let mut seen: HashMap<String, (String, NodeId)> = HashMap::new();
        for &(key, value) in self.y.entries(root) {
            let Some(spelling) = self.y.non_null_str(key) else {
                return Err(self.err(
                    key,
                    "expected an image repository (such as `ghcr.io/org/app`) as the key"
                        .to_owned(),
                ));
            };
            let name = match image::validate_repository(spelling) {
                Ok(r) => normalize(&r),
                Err(e) => {
                    return Err(
                        self.err(key, format!("`{spelling}` is not an image repository: {e}"))
                    );
                }
            };
            if let Some((first, first_key)) = seen.get(&name) {
                let line = self.line_of(*first_key);
                let message = if first == spelling {
                    format!("repository `{spelling}` is listed twice (first on line {line})")
                } else {
                    format!(
                        "`{spelling}` and `{first}` (line {line}) are the same repository \
                         ({name}); list its tags once"
                    )
                };
                return Err(self.err(key, message));
            }
            seen.insert(name.clone(), (spelling.to_owned(), key));
            let tags = self.tag_list(&name, key, value)?;
            repos.insert(name, tags);
        }
        Ok(TagsFile { repos })
    }

    fn tag_list(
        &self,
        repo: &str,
        key: NodeId,
        value: NodeId,
    ) -> Result<Vec<TagInfo>, TagsFileError> {
        if !self.y.is_sequence(value) {
            return Err(self.err(
                self.value_anchor(key, value),
                format!("the tags of {repo} must be a list (`[1.0, 1.1]` or `- tag: 1.0` items)"),
            ));
        }
        let mut out = Vec::new();
        // Tag -> item node of its first occurrence.
        let mut seen: BTreeMap<String, NodeId> = BTreeMap::new();
        for &item in self.y.items(value) {
            let (info, tag_node) = self.item(item)?;
            match seen.entry(info.tag.clone()) {
                Entry::Occupied(first) => {
                    let line = self.line_of(*first.get());
                    return Err(self.err(
                        tag_node,
                        format!(
                            "tag `{}` is listed twice for {repo} (first on line {line})",
                            info.tag
                        ),
                    ));
                }
                Entry::Vacant(v) => {
                    v.insert(item);
                }
            }
            out.push(info);
        }
        Ok(out)
    }

    /// One list item: the [`TagInfo`] and the node holding the tag text.
    fn item(&self, item: NodeId) -> Result<(TagInfo, NodeId), TagsFileError> {
        if self.y.is_scalar(item) {
            return Ok((TagInfo::new(self.tag_text(item)?), item));
        }
        if !self.y.is_mapping(item) {
            return Err(self.err(
                item,
                "expected a tag, or a mapping with `tag` (and optionally `created`, `digest`, \
                 `platforms`)"
                    .to_owned(),
            ));
        }
        let mut info = TagInfo::default();
        let mut tag_node = None;
        let mut given: HashMap<&str, NodeId> = HashMap::new();
        for &(k, v) in self.y.entries(item) {
            let Some(field) = self.y.str(k) else {
                return Err(self.err(k, "expected a field name".to_owned()));
            };
            let Some(field) = FIELDS.iter().copied().find(|f| *f == field) else {
                return Err(self.err(k, unknown_field(field)));
            };
            if let Some(first) = given.insert(field, k) {
                let line = self.line_of(first);
                return Err(self.err(
                    k,
                    format!("`{field}` is given twice (first on line {line})"),
                ));
            }
            match field {
                "tag" => {
                    if !self.y.is_scalar(v) {
                        return Err(
                            self.err(self.value_anchor(k, v), "`tag` must be a tag".to_owned())
                        );
                    }
                    info.tag = self.tag_text(v).map_err(|e| {
                        if self.y.node(v).span.is_empty() {
                            self.err(k, "`tag` is empty".to_owned())
                        } else {
                            e
                        }
                    })?;
                    tag_node = Some(v);
                }
                // An explicit null reads as "not known", like leaving the field out.
                _ if self.is_null(v) => {}
                "created" => {
                    let parsed = self.y.str(v).and_then(parse_rfc3339);
                    let Some(ts) = parsed else {
                        return Err(self.err(
                            v,
                            format!(
                                "`created` must be an RFC 3339 timestamp such as \
                                 2024-01-02T03:04:05Z, not {}",
                                self.shown(v)
                            ),
                        ));
                    };
                    info.created = Some(ts);
                }
                "digest" => {
                    let Some(d) = self.y.str(v) else {
                        return Err(
                            self.err(v, "`digest` must be a string such as sha256:…".to_owned())
                        );
                    };
                    if let Err(why) = check_digest(d) {
                        return Err(self.err(v, why));
                    }
                    info.digest = Some(d.to_owned());
                }
                _ => {
                    if !self.y.is_sequence(v) {
                        return Err(self.err(
                            v,
                            "`platforms` must be a list such as [linux/amd64, linux/arm64/v8]"
                                .to_owned(),
                        ));
                    }
                    for &p in self.y.items(v) {
                        let Some(platform) = self.y.str(p).and_then(parse_platform) else {
                            return Err(self.err(
                                p,
                                format!(
                                    "invalid platform {}: expected os/arch or os/arch/variant, \
                                     such as linux/arm64/v8",
                                    self.shown(p)
                                ),
                            ));
                        };
                        if !info.platforms.contains(&platform) {
                            info.platforms.push(platform);
                        }
                    }
                }
            }
        }
        let Some(tag_node) = tag_node else {
            return Err(self.err(item, "this item has no `tag`".to_owned()));
        };
        Ok((info, tag_node))
    }

    /// The tag a scalar spells. Plain scalars keep their source text, so
    /// `1.10` stays "1.10" (not the number 1.1).
    fn tag_text(&self, node: NodeId) -> Result<String, TagsFileError> {
        let Some(tag) = self.y.str(node) else {
            return Err(self.err(node, "expected a tag".to_owned()));
        };
        if self.is_null(node) {
            let message = if tag.is_empty() {
                "empty list item: expected a tag".to_owned()
            } else {
                format!("`{tag}` is YAML null, not a tag; quote it if it is the tag's name")
            };
            return Err(self.err(node, message));
        }
        if let Err(why) = check_tag(tag) {
            return Err(self.err(node, why));
        }
        Ok(tag.to_owned())
    }

    /// A node as a message shows it: scalars quoted, collections by kind.
    fn shown(&self, node: NodeId) -> String {
        match &self.y.node(self.y.resolve(node)).kind {
            NodeKind::Scalar { value, .. } => format!("`{value}`"),
            NodeKind::Mapping(_) => "a mapping".to_owned(),
            NodeKind::Sequence(_) => "a list".to_owned(),
            NodeKind::Alias(_) => "an undefined alias".to_owned(),
        }
    }
}

fn unknown_field(field: &str) -> String {
    let best = FIELDS
        .iter()
        .map(|f| (strsim::jaro_winkler(field, f), *f))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, f)) if score >= 0.8 => {
            format!("unknown field `{field}`; did you mean `{f}`?")
        }
        _ => format!("unknown field `{field}` (expected tag, created, digest or platforms)"),
    }
}

/// The distribution tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn check_tag(tag: &str) -> Result<(), String> {
    let ok_first = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let ok_rest = |b: u8| ok_first(b) || b == b'.' || b == b'-';
    let bytes = tag.as_bytes();
    if bytes.is_empty() {
        return Err("tag is empty".to_owned());
    }
    if bytes.len() > MAX_TAG_LEN {
        return Err(format!(
            "tag is {} characters long; at most {MAX_TAG_LEN} are allowed",
            tag.chars().count()
        ));
    }
    match bytes.split_first() {
        Some((&first, rest)) if ok_first(first) && rest.iter().all(|&b| ok_rest(b)) => Ok(()),
        _ => Err(format!(
            "invalid tag `{tag}`: a tag is [A-Za-z0-9_] followed by [A-Za-z0-9_.-]"
        )),
    }
}

/// `sha256:` + 64 lowercase hex digits, or sha384 / sha512 with 96 / 128.
fn check_digest(d: &str) -> Result<(), String> {
    let Some((algo, hex)) = d.split_once(':') else {
        return Err(format!(
            "invalid digest `{d}`: expected sha256: followed by 64 lowercase hex digits"
        ));
    };
    let want = match algo {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(format!(
                "unsupported digest algorithm `{algo}` in `{d}` (use sha256, sha384 or sha512)"
            ));
        }
    };
    if !hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!(
            "invalid digest `{d}`: the hex part must be lowercase hex digits"
        ));
    }
    if hex.len() != want {
        return Err(format!(
            "digest `{d}` has {} hex digits but {algo} needs {want}",
            hex.len()
        ));
    }
    Ok(())
}

/// Parses an RFC 3339 date-time (`2024-01-02T03:04:05Z`,
/// `2024-01-02T05:04:05.25+02:00`) into UTC. `T`/`Z` may be lowercase, as
/// RFC 3339 allows. Like Go's `time.Parse` (which registries and Flux use),
/// a leap second (`:60`) is rejected; fraction digits past nanoseconds are
/// dropped.
pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    // Fixed-width digits at `at`; `None` on anything else (or out of range).
    let num = |at: usize, len: usize| -> Option<i64> {
        let digits = b.get(at..at + len)?;
        digits.iter().try_fold(0i64, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    let sep = |at: usize, want: &[u8]| b.get(at).is_some_and(|c| want.contains(c));

    let year = num(0, 4)?;
    let month = num(5, 2)?;
    let day = num(8, 2)?;
    let hour = num(11, 2)?;
    let minute = num(14, 2)?;
    let second = num(17, 2)?;
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }

    let mut at = 19;
    let mut nanos: u32 = 0;
    if sep(at, b".") {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            // Only the first nine digits are nanoseconds; the rest is dropped.
            if at - start < 9 {
                nanos = nanos * 10 + u32::from(b[at] - b'0');
            }
            at += 1;
        }
        let digits = at - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..9 {
            nanos *= 10;
        }
    }

    let offset_secs = match b.get(at)? {
        b'Z' | b'z' if at + 1 == b.len() => 0,
        &sign @ (b'+' | b'-') if at + 6 == b.len() && sep(at + 3, b":") => {
            let oh = num(at + 1, 2)?;
            let om = num(at + 4, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if sign == b'-' { -off } else { off }
        }
        _ => return None,
    };

    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Some(Timestamp { secs, nanos })
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `os/arch` or `os/arch/variant` (`linux/arm64/v8`). Components
/// are lowercase letters, digits, `_`, `.` and `-`, as OCI image indexes
/// spell them.
pub fn parse_platform(s: &str) -> Option<Platform> {
    let ok = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
    };
    let mut parts = s.split('/');
    let os = parts.next().filter(|p| ok(p))?;
    let arch = parts.next().filter(|p| ok(p))?;
    let variant = match parts.next() {
        None => None,
        Some(v) if ok(v) => Some(v.to_owned()),
        Some(_) => return None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(Platform {
        os: os.to_owned(),
        arch: arch.to_owned(),
        variant,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{Mutation, Rng};

    const TESTDATA: &str = include_str!("../../testdata/tags.yaml");
    const D64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn ok(text: &str) -> TagsFile {
        TagsFile::parse(text, "t.yaml").unwrap_or_else(|e| panic!("{e}"))
    }

    /// The error for `text` as (line, column, message).
    fn err(text: &str) -> (usize, usize, String) {
        let e = TagsFile::parse(text, "t.yaml").expect_err("an error");
        (
            e.line.expect("a line"),
            e.column.expect("a column"),
            e.message,
        )
    }

    /// Asserts the error position and that the message contains `needle`.
    #[track_caller]
    fn assert_err(text: &str, line: usize, column: usize, needle: &str) {
        let (l, c, m) = err(text);
        assert_eq!((l, c), (line, column), "position of {m:?}");
        assert!(m.contains(needle), "{m:?} does not contain {needle:?}");
    }

    fn names(t: &[TagInfo]) -> Vec<&str> {
        t.iter().map(|i| i.tag.as_str()).collect()
    }

    fn ts(secs: i64, nanos: u32) -> Option<Timestamp> {
        Some(Timestamp { secs, nanos })
    }

    fn plat(os: &str, arch: &str, variant: Option<&str>) -> Platform {
        Platform {
            os: os.into(),
            arch: arch.into(),
            variant: variant.map(Into::into),
        }
    }

    // ------------------------------------------------------------ loading

    #[test]
    fn testdata_loads_and_answers_for_every_spelling() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/tags.yaml");
        let f = TagsFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let nginx = f.tags("docker.io/library/nginx").unwrap();
        assert_eq!(nginx.len(), 13);
        for spelling in [
            "nginx",
            "docker.io/nginx",
            "index.docker.io/library/nginx",
            "library/nginx",
        ] {
            assert_eq!(f.tags(spelling).unwrap(), nginx, "{spelling}");
        }
        // Keys written short, long and with the legacy host all normalise.
        let repos: Vec<&str> = f.repositories().collect();
        for want in [
            "docker.io/library/busybox",
            "docker.io/library/redis",
            "docker.io/opensearchproject/opensearch",
            "docker.io/envoyproxy/envoy",
            "docker.io/bitnami/redis-sentinel",
            "ghcr.io/stefanprodan/podinfo",
            "registry.example.com/payments/ledger",
        ] {
            assert!(repos.contains(&want), "{want} missing from {repos:?}");
        }
        assert!(repos.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
        // One repository per top-level key (counted here without YAML), so
        // no two spellings in the file collapsed into one by mistake.
        let keys = TESTDATA
            .lines()
            .filter(|l| l.contains(':') && !l.starts_with([' ', '#', '-']))
            .count();
        assert!(keys >= 25);
        assert_eq!(repos.len(), keys);
        let busybox = f.tags("busybox").unwrap();
        assert_eq!(
            names(&busybox),
            ["1.36.1", "1.37.0", "stable", "latest", "musl"]
        );
        assert_eq!(
            busybox[1].digest.as_deref(),
            Some("sha256:ec31682fde561917952ff78a7a8adeffd0febc372dd26871916c46c630381b45")
        );
        let podinfo = f.tags("ghcr.io/stefanprodan/podinfo").unwrap();
        assert_eq!(podinfo.first().unwrap(), &TagInfo::new("5.2.0"));
        assert_eq!(
            podinfo.last().unwrap().tag,
            "sha256-6b4d9dd259b78175c0d35d0b01b9b19f96ace96c9b27e3ea599b97cc8fc04e86.sig"
        );
    }

    #[test]
    fn testdata_metadata_round_trips() {
        let f = ok(TESTDATA);
        let nginx = f.tags("nginx").unwrap();
        let ten = &nginx[0];
        assert_eq!(ten.tag, "1.10");
        assert_eq!(ten.created, ts(1_461_682_931, 0)); // 2016-04-26T15:02:11Z
        assert_eq!(ten.digest, None);
        assert_eq!(ten.platforms, [plat("linux", "amd64", None)]);
        let alpine = f
            .describe("docker.io/library/nginx", "1.27.4-alpine")
            .unwrap();
        assert_eq!(alpine.created, ts(1_738_793_010, 0)); // 2025-02-05T22:03:30Z
        assert_eq!(
            alpine.digest.as_deref(),
            Some("sha256:a970bb3a8d05dc02ba49913950e7b3863d3ebf094faaba298919b786e870e13d")
        );
        assert_eq!(
            alpine.platforms,
            [
                plat("linux", "amd64", None),
                plat("linux", "arm64", Some("v8")),
                plat("linux", "arm", Some("v7")),
                plat("linux", "386", None),
            ]
        );
        assert_eq!(alpine.platforms[1].to_string(), "linux/arm64/v8");
        // Plain-list tags carry no metadata at all.
        let redis = f.tags("redis").unwrap();
        assert_eq!(redis.len(), 12);
        assert!(redis.iter().all(|t| *t == TagInfo::new(t.tag.clone())));
    }

    #[test]
    fn unknown_repository_is_a_source_error() {
        let f = ok(TESTDATA);
        assert_eq!(
            f.tags("docker.io/library/postgres"),
            Err(SourceError::UnknownRepository(
                "docker.io/library/postgres".into()
            ))
        );
        assert!(matches!(
            f.tags("not a reference"),
            Err(SourceError::UnknownRepository(_))
        ));
        assert!(matches!(
            f.describe("nginx", "9.9.9"),
            Err(SourceError::Failed(_))
        ));
        // Listed with no tags is known, not unknown.
        assert_eq!(ok("app: []\n").tags("app"), Ok(vec![]));
    }

    #[test]
    fn number_like_tags_keep_their_text() {
        let f = ok("app: [1.10, 20.10, 1.0, 010, 1e3, 0x1F, true]\n\
                    other:\n  - 1.20\n  - tag: 3.10\n  - tag: '4.0'\n");
        assert_eq!(
            names(&f.tags("app").unwrap()),
            ["1.10", "20.10", "1.0", "010", "1e3", "0x1F", "true"]
        );
        assert_eq!(names(&f.tags("other").unwrap()), ["1.20", "3.10", "4.0"]);
    }

    #[test]
    fn both_forms_mix_in_one_list() {
        let f = ok(&format!(
            "ghcr.io/org/app:\n  - 1.0.0\n  - tag: 1.1.0\n    digest: sha256:{D64}\n  - 1.2.0\n\
             flow: [1.0, {{tag: '2.0', created: 2024-01-02T03:04:05Z}}]\n"
        ));
        let app = f.tags("ghcr.io/org/app").unwrap();
        assert_eq!(names(&app), ["1.0.0", "1.1.0", "1.2.0"]);
        assert_eq!(app[1].digest, Some(format!("sha256:{D64}")));
        assert_eq!(app[2], TagInfo::new("1.2.0"));
        let flow = f.tags("docker.io/library/flow").unwrap();
        assert_eq!(names(&flow), ["1.0", "2.0"]);
        assert_eq!(flow[1].created, ts(1_704_164_645, 0));
    }

    #[test]
    fn null_fields_aliases_and_odd_files_load() {
        let f = ok("x:\n  - tag: 1.0\n    created: ~\n    digest:\n    platforms: null\n");
        assert_eq!(f.tags("x").unwrap(), [TagInfo::new("1.0")]);
        // An anchored list can be reused for a second repository.
        let f = ok("a: &t [1.0, 1.1]\nb: *t\n");
        assert_eq!(f.tags("a"), f.tags("b"));
        assert_eq!(names(&f.tags("b").unwrap()), ["1.0", "1.1"]);
        // Nothing at all lists no repositories.
        assert_eq!(ok("").repositories().count(), 0);
        assert_eq!(ok("# only a comment\n").repositories().count(), 0);
        // BOM and CRLF, a flow mapping at the top.
        let f = ok("\u{feff}nginx: [1.0]\r\nredis:\r\n  - 7.2\r\n");
        assert_eq!(names(&f.tags("redis").unwrap()), ["7.2"]);
        assert_eq!(ok("{nginx: [1], redis: [2]}").repositories().count(), 2);
        // The same platform twice is one platform.
        let f = ok("x:\n  - tag: a\n    platforms: [linux/amd64, linux/amd64]\n");
        assert_eq!(
            f.tags("x").unwrap()[0].platforms,
            [plat("linux", "amd64", None)]
        );
    }

    #[test]
    fn registry_hosts_compare_case_insensitively() {
        let f = ok("Registry.Example.com/team/api: [1]\n");
        assert_eq!(
            f.repositories().collect::<Vec<_>>(),
            ["registry.example.com/team/api"]
        );
        assert!(f.tags("registry.example.com/team/api").is_ok());
        assert!(f.tags("REGISTRY.example.com/team/api").is_ok());
        assert_err(
            "Registry.Example.com/app: [1]\nregistry.example.com/app: [2]\n",
            2,
            1,
            "`registry.example.com/app` and `Registry.Example.com/app` (line 1)",
        );
    }

    // ------------------------------------------------------------ errors

    #[test]
    fn error_display_is_file_line_column() {
        let e = TagsFile::parse("nginx: 1.25\n", "tags.yaml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "tags.yaml:1:8: the tags of docker.io/library/nginx must be a list \
             (`[1.0, 1.1]` or `- tag: 1.0` items)"
        );
        let missing = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/no-such-tags.yaml");
        let e = TagsFile::load(&missing).unwrap_err();
        assert_eq!((e.line, e.column), (None, None));
        let shown = e.to_string();
        assert!(
            shown.starts_with(&format!("{}: cannot read tags file:", missing.display())),
            "{shown}"
        );
    }

    #[test]
    fn top_level_must_be_one_mapping() {
        assert_err(
            "- nginx\n- redis\n",
            1,
            1,
            "the top level must be a mapping",
        );
        assert_err("# c\njust text\n", 2, 1, "the top level must be a mapping");
        assert_err(
            "nginx: [1]\n---\nredis: [2]\n",
            3,
            1,
            "single YAML document",
        );
    }

    #[test]
    fn yaml_syntax_error_has_its_position() {
        let (line, column, message) = err("nginx: [1.0]\nredis: [7.2\nbusybox: [1]\n");
        assert!(message.starts_with("invalid YAML: "), "{message}");
        assert!(line >= 2 && column >= 1, "{line}:{column}");
        assert_err(
            "nginx: [1.0]\nredis: a: b\n",
            2,
            9,
            "invalid YAML: mapping values",
        );
    }

    #[test]
    fn keys_must_be_repositories() {
        assert_err(
            "ghcr.io/Org/App: [1.0]\n",
            1,
            1,
            "`ghcr.io/Org/App` is not an image repository: repository path `Org` must be lowercase",
        );
        assert_err(
            "nginx: [1]\nhttps://ghcr.io/a: [1]\n",
            2,
            1,
            "no URL scheme",
        );
        assert_err("? [a]\n: [1]\n", 1, 3, "expected an image repository");
        assert_err("~: [1]\n", 1, 1, "expected an image repository");
    }

    #[test]
    fn keys_must_not_carry_a_tag_or_digest() {
        assert_err(
            "redis: [7]\nnginx:1.25: [a]\n",
            2,
            1,
            "`nginx:1.25` is not an image repository: a repository must not include a tag; remove `:1.25`",
        );
        assert_err(
            &format!("redis: [7]\n\"nginx@sha256:{D64}\": [a]\n"),
            2,
            1,
            "a repository must not include a digest",
        );
    }

    #[test]
    fn one_repository_under_two_spellings_names_both() {
        assert_err(
            "nginx: [1.0]\n\n# hub\ndocker.io/library/nginx: [1.1]\n",
            4,
            1,
            "`docker.io/library/nginx` and `nginx` (line 1) are the same repository \
             (docker.io/library/nginx); list its tags once",
        );
        assert_err(
            "index.docker.io/library/busybox: [1]\nbusybox: [2]\n",
            2,
            1,
            "`busybox` and `index.docker.io/library/busybox` (line 1)",
        );
        assert_err(
            "nginx: [1]\nnginx: [2]\n",
            2,
            1,
            "repository `nginx` is listed twice (first on line 1)",
        );
    }

    #[test]
    fn values_must_be_lists() {
        assert_err("nginx: 1.25\n", 1, 8, "must be a list");
        assert_err("nginx: {tag: 1.0}\n", 1, 8, "must be a list");
        // An empty value has no text of its own: point at the key.
        assert_err(
            "redis: [1]\nnginx:\nbusybox: [1]\n",
            2,
            1,
            "the tags of docker.io/library/nginx must be a list",
        );
    }

    #[test]
    fn items_are_tags_or_mappings_with_tag() {
        assert_err(
            "nginx:\n  - [1.0, 1.1]\n",
            2,
            5,
            "expected a tag, or a mapping with `tag`",
        );
        assert_err(
            &format!(
                "nginx:\n  - tag: 1.0\n  - created: 2024-01-02T03:04:05Z\n    digest: sha256:{D64}\n"
            ),
            3,
            5,
            "this item has no `tag`",
        );
        assert_err("nginx: [1.0, ~]\n", 1, 14, "`~` is YAML null, not a tag");
        assert_err("nginx: ['1.0 beta']\n", 1, 9, "invalid tag `1.0 beta`");
        assert_err("nginx:\n  - 1.0\n  - -rc1\n", 3, 5, "invalid tag `-rc1`");
        assert_err(
            &format!("nginx: [{}]\n", "a".repeat(129)),
            1,
            9,
            "tag is 129 characters long",
        );
        assert_err("nginx:\n  - tag: [1.0]\n", 2, 10, "`tag` must be a tag");
        assert_err(
            "nginx:\n  - tag:\n    created: 2024-01-02T03:04:05Z\n",
            2,
            5,
            "`tag` is empty",
        );
        // An empty item has no text; its position is just after the `-`.
        assert_err(
            "nginx:\n  - 1.0\n  -\nredis: [1]\n",
            3,
            4,
            "empty list item: expected a tag",
        );
        assert_err("nginx:\n- 1\n- ''\n", 3, 3, "tag is empty");
    }

    #[test]
    fn unknown_fields_suggest_the_nearest() {
        assert_err(
            "nginx:\n  - tag: 1.0\n    craeted: 2024-01-02T03:04:05Z\n",
            3,
            5,
            "unknown field `craeted`; did you mean `created`?",
        );
        assert_err(
            "nginx:\n  - tag: 1.0\n    platform: [linux/amd64]\n",
            3,
            5,
            "did you mean `platforms`?",
        );
        assert_err(
            "nginx:\n  - tag: 1.0\n    size: 12\n",
            3,
            5,
            "unknown field `size` (expected tag, created, digest or platforms)",
        );
        assert_err(
            "nginx:\n  - tag: 1.0\n    tag: 1.1\n",
            3,
            5,
            "`tag` is given twice (first on line 2)",
        );
    }

    #[test]
    fn bad_created_is_reported_at_the_value() {
        assert_err(
            "nginx:\n  - tag: 1.0\n    created: 2023-02-29T00:00:00Z\n",
            3,
            14,
            "`created` must be an RFC 3339 timestamp such as 2024-01-02T03:04:05Z, not `2023-02-29T00:00:00Z`",
        );
        assert_err(
            "nginx:\n  - tag: 1.0\n    created: 2024-01-02\n",
            3,
            14,
            "not `2024-01-02`",
        );
        assert_err(
            "nginx:\n  - tag: 1.0\n    created: [a]\n",
            3,
            14,
            "not a list",
        );
    }

    #[test]
    fn bad_digests_are_reported_at_the_value() {
        let at = |d: &str| format!("nginx:\n  - tag: 1.0\n    digest: {d}\n");
        assert_err(
            &at(&format!("sha256:{}", D64.to_uppercase())),
            3,
            13,
            "must be lowercase hex",
        );
        assert_err(
            &at("sha256:abc"),
            3,
            13,
            "digest `sha256:abc` has 3 hex digits but sha256 needs 64",
        );
        assert_err(&at("md5:abc"), 3, 13, "unsupported digest algorithm `md5`");
        assert_err(
            &at(D64),
            3,
            13,
            "expected sha256: followed by 64 lowercase hex digits",
        );
        assert_err(&at(&format!("sha384:{D64}")), 3, 13, "sha384 needs 96");
        // The longer algorithms load with their own lengths.
        let f = ok(&format!(
            "x: [{{tag: a, digest: 'sha384:{}'}}, {{tag: b, digest: 'sha512:{}'}}]\n",
            &D64.repeat(2)[..96],
            D64.repeat(2)
        ));
        assert_eq!(f.tags("x").unwrap().len(), 2);
    }

    #[test]
    fn bad_platforms_are_reported_at_the_item() {
        assert_err(
            "nginx:\n  - tag: 1.0\n    platforms: [linux/amd64, linux]\n",
            3,
            30,
            "invalid platform `linux`: expected os/arch or os/arch/variant",
        );
        assert_err(
            "nginx:\n  - tag: 1.0\n    platforms:\n      - linux/arm64/v8/x\n",
            4,
            9,
            "invalid platform `linux/arm64/v8/x`",
        );
        assert_err(
            "nginx:\n  - tag: 1.0\n    platforms: linux/amd64\n",
            3,
            16,
            "`platforms` must be a list",
        );
    }

    #[test]
    fn duplicate_tags_point_at_the_second() {
        assert_err(
            "nginx: [1.0, 1.1, 1.0]\n",
            1,
            19,
            "tag `1.0` is listed twice for docker.io/library/nginx (first on line 1)",
        );
        // A plain item and a mapping item naming the same tag collide too.
        assert_err(
            "nginx:\n  - 1.0\n  - tag: \"1.0\"\n    created: 2024-01-02T03:04:05Z\n",
            3,
            10,
            "tag `1.0` is listed twice for docker.io/library/nginx (first on line 2)",
        );
        // The same tag in two repositories is fine.
        assert_eq!(ok("a: [1.0]\nb: [1.0]\n").repositories().count(), 2);
    }

    // ------------------------------------------------------------ RFC 3339

    #[test]
    fn rfc3339_parses_to_utc() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), ts(0, 0));
        assert_eq!(parse_rfc3339("2024-01-02T03:04:05Z"), ts(1_704_164_645, 0));
        assert_eq!(parse_rfc3339("1900-01-01T00:00:00Z"), ts(-2_208_988_800, 0));
        // Offsets are converted: all three are the same instant.
        let utc = parse_rfc3339("2024-01-02T03:04:05Z");
        assert_eq!(parse_rfc3339("2024-01-02T05:04:05+02:00"), utc);
        assert_eq!(parse_rfc3339("2024-01-01T21:34:05-05:30"), utc);
        assert_eq!(parse_rfc3339("2024-01-02T03:04:05+00:00"), utc);
        assert_eq!(parse_rfc3339("2024-01-02t03:04:05z"), utc);
        // An offset can move the date across a year boundary.
        assert_eq!(
            parse_rfc3339("2023-12-31T23:30:00-01:00"),
            parse_rfc3339("2024-01-01T00:30:00Z")
        );
    }

    #[test]
    fn rfc3339_fractions() {
        assert_eq!(
            parse_rfc3339("2024-01-02T03:04:05.5Z"),
            ts(1_704_164_645, 500_000_000)
        );
        assert_eq!(
            parse_rfc3339("2024-01-02T03:04:05.000000001Z"),
            ts(1_704_164_645, 1)
        );
        // Past nanoseconds the digits are dropped, not rounded.
        assert_eq!(
            parse_rfc3339("2024-01-02T03:04:05.1234567899Z"),
            ts(1_704_164_645, 123_456_789)
        );
        assert_eq!(
            parse_rfc3339("2024-01-02T05:04:05.25+02:00"),
            ts(1_704_164_645, 250_000_000)
        );
        // Before the epoch the fraction still counts forward from `secs`.
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59.5Z"), ts(-1, 500_000_000));
        assert!(parse_rfc3339("1969-12-31T23:59:59.5Z") < parse_rfc3339("1970-01-01T00:00:00Z"));
        assert_eq!(parse_rfc3339("2024-01-02T03:04:05.Z"), None);
    }

    #[test]
    fn rfc3339_checks_the_calendar() {
        assert_eq!(parse_rfc3339("2024-02-29T12:00:00Z"), ts(1_709_208_000, 0));
        assert!(
            parse_rfc3339("2000-02-29T00:00:00Z").is_some(),
            "divisible by 400"
        );
        assert_eq!(parse_rfc3339("2024-02-30T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2023-02-29T00:00:00Z"), None);
        assert_eq!(
            parse_rfc3339("1900-02-29T00:00:00Z"),
            None,
            "divisible by 100"
        );
        assert_eq!(parse_rfc3339("2024-04-31T00:00:00Z"), None);
        assert!(parse_rfc3339("2024-12-31T23:59:59Z").is_some());
        for bad in [
            "2024-13-01T00:00:00Z",
            "2024-00-01T00:00:00Z",
            "2024-01-00T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:60Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_rejects_other_shapes() {
        for bad in [
            "",
            "2024-01-02",
            "2024-01-02T03:04:05",
            "2024-01-02 03:04:05Z",
            "2024-1-02T03:04:05Z",
            "2024-01-02T03:04Z",
            "2024-01-02T03:04:05+0200",
            "2024-01-02T03:04:05+02",
            "2024-01-02T03:04:05+24:00",
            "2024-01-02T03:04:05+02:60",
            "2024-01-02T03:04:05ZZ",
            "2024-01-02T03:04:05Z ",
            "+2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05,5Z",
            "２０２４-01-02T03:04:05Z",
            "2024-01-02T03:04:05é",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn platforms_parse() {
        assert_eq!(
            parse_platform("linux/amd64"),
            Some(plat("linux", "amd64", None))
        );
        assert_eq!(
            parse_platform("linux/arm64/v8"),
            Some(plat("linux", "arm64", Some("v8")))
        );
        assert_eq!(
            parse_platform("windows/amd64"),
            Some(plat("windows", "amd64", None))
        );
        assert_eq!(
            parse_platform("linux/ppc64le"),
            Some(plat("linux", "ppc64le", None))
        );
        for bad in [
            "",
            "linux",
            "linux/",
            "/amd64",
            "linux//v7",
            "linux/arm/v7/x",
            "Linux/amd64",
            "linux/amd 64",
            "linux/arm/",
        ] {
            assert_eq!(parse_platform(bad), None, "{bad:?}");
        }
    }

    // ------------------------------------------------------------ robustness

    /// testdata/tags.yaml with a few edits aimed at this format: field
    /// names, bad values, spellings, plus YAML structure and odd bytes.
    fn mutate(rng: &mut Rng, src: &str) -> String {
        const INSERTS: &[&str] = &[
            "tag: ",
            "created: ",
            "digest: ",
            "platforms: ",
            "craeted: ",
            "- ",
            "\n  - ",
            "\n    ",
            ": ",
            ":",
            "[",
            "]",
            "{",
            "}",
            ",",
            "~",
            "null",
            "''",
            "\"",
            "2024-02-30T00:00:00Z",
            "2024-02-29T23:59:59.999999999+14:00",
            "sha256:",
            "sha512:ab",
            "@sha256:",
            ":1.0",
            "linux/",
            "/v8",
            "docker.io/",
            "index.docker.io/",
            "library/",
            "nginx",
            "NGINX",
            "1.10",
            "&a ",
            "*a",
            "*b",
            "!!str ",
            "? ",
            "#",
            "|\n",
            "---\n",
            "\t",
            "\r\n",
            "\0",
            "é",
            "日本",
            "\u{feff}",
            "  ",
        ];
        rng.mutate(
            src,
            &Mutation {
                inserts: INSERTS,
                max_edits: 4,
                max_cut: 12,
                max_copy: 80,
                junk: Some("aZ09:/.-_@ \n"),
            },
        )
    }

    /// Issue 14: 1,000,000 tags took 453 MB. Past the parser's node limit
    /// the file is refused with a message that says why, at the line where
    /// parsing stopped.
    #[test]
    fn a_tags_file_past_the_node_limit_is_refused_clearly() {
        let mut text = String::from("nginx:\n");
        for i in 0..=crate::yaml::MAX_NODES {
            text.push_str(&format!("- 1.{i}\n"));
        }
        let e = TagsFile::parse(&text, "tags.yaml").unwrap_err();
        assert!(e.message.contains("tags at most"), "{e}");
        assert!(e.line.is_some_and(|l| l > 400_000), "{e}");
    }

    #[test]
    fn mutated_testdata_never_panics() {
        let mut rng = Rng::new(0x007A_655F_6669_6C65);
        let (mut loaded, mut rejected) = (0, 0);
        for _ in 0..3_000 {
            let text = mutate(&mut rng, TESTDATA);
            match TagsFile::parse(&text, "m.yaml") {
                Ok(f) => {
                    loaded += 1;
                    for repo in f.repositories() {
                        assert!(f.tags(repo).is_ok(), "{repo} listed but not answered");
                    }
                }
                Err(e) => {
                    rejected += 1;
                    let (line, column) = (e.line.unwrap(), e.column.unwrap());
                    assert!(line >= 1 && column >= 1);
                    assert!(line <= text.split('\n').count(), "{e}");
                    assert!(!e.message.is_empty());
                    assert!(
                        e.to_string()
                            .starts_with(&format!("m.yaml:{line}:{column}: "))
                    );
                }
            }
        }
        // Both outcomes must actually be exercised for the loop to mean anything.
        assert!(
            loaded > 100 && rejected > 100,
            "loaded {loaded}, rejected {rejected}"
        );
    }
}
