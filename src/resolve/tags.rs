//! The offline tag source behind `preview --tags-from FILE`: a YAML mapping
//! from image repository (any spelling a manifest may use) to its tags, each
//! either a plain scalar or a `{tag, created, digest, platforms}` mapping.
//! Every mistake in the file is a [`TagsFileError`] with the line and column
//! of the offending node; nothing here panics on any input. Tests are in
//! `tags/tests.rs`.

#![allow(clippy::disallowed_methods)] // an I/O module

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};
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
/// Shown as `file:line:column: message`, as compilers do, so editors and
/// CI logs link to the place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{}{}: {}", .file, position(*.line, *.column), .message)]
#[diagnostic(
    code(imageupdate::resolve::tags_file),
    help("a tags file maps each image repository to a list of tags")
)]
pub struct TagsFileError {
    /// The path as given to [`TagsFile::load`] / [`TagsFile::parse`].
    pub file: String,
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// `:line:column`, `:line` or nothing.
fn position(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

/// What is wrong with a tag or digest value: the `message` of its
/// [`TagsFileError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum BadValue {
    /// An empty tag.
    #[error("tag is empty")]
    EmptyTag,
    /// A tag longer than the distribution spec allows (`chars`: its length
    /// in characters, as a reader counts).
    #[error("tag is {chars} characters long; at most {MAX_TAG_LEN} are allowed")]
    LongTag { chars: usize },
    /// A tag outside `[A-Za-z0-9_][A-Za-z0-9_.-]*`.
    #[error("invalid tag `{0}`: a tag is [A-Za-z0-9_] followed by [A-Za-z0-9_.-]")]
    InvalidTag(String),
    /// A digest without `algorithm:`.
    #[error("invalid digest `{0}`: expected sha256: followed by 64 lowercase hex digits")]
    DigestShape(String),
    /// A digest algorithm other than sha256, sha384 or sha512.
    #[error("unsupported digest algorithm `{algo}` in `{digest}` (use sha256, sha384 or sha512)")]
    DigestAlgorithm { algo: String, digest: String },
    /// A digest whose hex part holds other than lowercase hex digits.
    #[error("invalid digest `{0}`: the hex part must be lowercase hex digits")]
    DigestHex(String),
    /// A digest with the wrong number of hex digits for its algorithm.
    #[error("digest `{digest}` has {len} hex digits but {algo} needs {want}")]
    DigestLength {
        digest: String,
        len: usize,
        algo: String,
        want: usize,
    },
}

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
                        return Err(self.err(v, why.to_string()));
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
            return Err(self.err(node, why.to_string()));
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
fn check_tag(tag: &str) -> Result<(), BadValue> {
    let ok_first = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let ok_rest = |b: u8| ok_first(b) || b == b'.' || b == b'-';
    let bytes = tag.as_bytes();
    if bytes.is_empty() {
        return Err(BadValue::EmptyTag);
    }
    if bytes.len() > MAX_TAG_LEN {
        return Err(BadValue::LongTag {
            chars: tag.chars().count(),
        });
    }
    match bytes.split_first() {
        Some((&first, rest)) if ok_first(first) && rest.iter().all(|&b| ok_rest(b)) => Ok(()),
        _ => Err(BadValue::InvalidTag(tag.to_owned())),
    }
}

/// `sha256:` + 64 lowercase hex digits, or sha384 / sha512 with 96 / 128.
fn check_digest(d: &str) -> Result<(), BadValue> {
    let Some((algo, hex)) = d.split_once(':') else {
        return Err(BadValue::DigestShape(d.to_owned()));
    };
    let want = match algo {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(BadValue::DigestAlgorithm {
                algo: algo.to_owned(),
                digest: d.to_owned(),
            });
        }
    };
    if !hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(BadValue::DigestHex(d.to_owned()));
    }
    if hex.len() != want {
        return Err(BadValue::DigestLength {
            digest: d.to_owned(),
            len: hex.len(),
            algo: algo.to_owned(),
            want,
        });
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
mod tests;
