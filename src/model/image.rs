//! Container image references as users write them.
//!
//! This module owns the reference grammar. [`parse`] accepts exactly what
//! `github.com/distribution/reference` v0.6.0 `ParseNormalizedNamed` accepts,
//! but it keeps the user's spelling and the byte range of every part, so a
//! rewrite can replace only the tag or digest and a diagnostic can point at
//! the offending bytes. Normalised names (`docker.io/library/nginx`) exist only
//! for comparison.
//!
//! It also owns two dialects that look like references but are not:
//! Argo CD Image Updater `image-list` items ([`parse_argo_item`]: alias, then
//! the grammar, then the legacy splitter, quirks included) and Flux
//! `ImageRepository.spec.image` ([`validate_repository`]). It hands on
//! [`ImageRef`], [`ArgoImage`] and [`RefError`]. It reads no YAML, contacts no
//! registry and compares no versions.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// The domain Docker Hub references normalise to.
pub const DOCKER_HUB: &str = "docker.io";
/// Docker Hub's old "index" host. Rewritten to [`DOCKER_HUB`]; the real
/// `registry-1.docker.io` is not, because distribution/reference does not.
const LEGACY_DOCKER_HUB: &str = "index.docker.io";
const OFFICIAL_PREFIX: &str = "library/";
/// Longest repository path (without the domain, with an implied `library/`).
pub const MAX_PATH_LEN: usize = 255;
/// Longest tag.
pub const MAX_TAG_LEN: usize = 128;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// What is wrong with a reference. Go reports most of these as the single
/// "invalid reference format"; we split them so a diagnostic can say which
/// part to fix. Which strings are rejected is identical to Go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefErrorKind {
    /// Nothing at all (or an Argo `alias=` with nothing after it).
    Empty,
    /// Whitespace anywhere; usually a copy-paste or YAML quoting slip.
    Whitespace,
    /// `https://…`: references never carry a URL scheme.
    HasScheme,
    /// A bare 64-hex string, which Docker treats as an image ID.
    ImageId,
    /// Only a tag or digest, no repository (`:1.0`, `@sha256:…`).
    MissingName,
    /// Uppercase letters in the repository path (the domain may have them).
    UppercasePath,
    /// The first component was taken as a registry but is not `host[:port]`.
    InvalidDomain,
    /// A path component breaks `[a-z0-9]+` joined by `.`, `_`, `__` or dashes,
    /// or is empty (leading, trailing or doubled `/`).
    InvalidPath,
    /// The path (Docker Hub's implied `library/` included) exceeds 255 bytes.
    NameTooLong,
    /// The tag is empty, starts with `.`/`-`, or has a character outside
    /// `[A-Za-z0-9_.-]`.
    InvalidTag,
    /// The tag is longer than 128 characters.
    TagTooLong,
    /// The digest is not `algorithm:hex`, or its hex is uppercase.
    InvalidDigest,
    /// A registered algorithm with the wrong number of hex digits.
    DigestLength,
    /// An algorithm other than sha256, sha384 or sha512.
    UnsupportedDigest,
    /// A tag where only a repository is allowed (Flux `spec.image`).
    HasTag,
    /// A digest where only a repository is allowed (Flux `spec.image`).
    HasDigest,
}

/// A rejected reference: the kind, the byte range of the input it concerns
/// and that part's text (for the message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefError {
    kind: RefErrorKind,
    range: Range<usize>,
    fragment: String,
}

impl RefError {
    fn new(kind: RefErrorKind, input: &str, range: Range<usize>) -> Self {
        // `get` rather than indexing: an error must never become a panic.
        let fragment = input.get(range.clone()).unwrap_or_default().to_owned();
        Self {
            kind,
            range,
            fragment,
        }
    }

    pub fn kind(&self) -> RefErrorKind {
        self.kind
    }

    /// Byte range in the parsed input. May be empty (e.g. the empty tag of
    /// `nginx:` is `6..6`), which still says where to point.
    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    /// The input text at [`RefError::range`].
    pub fn fragment(&self) -> &str {
        &self.fragment
    }

    fn shifted(mut self, by: usize) -> Self {
        self.range = self.range.start + by..self.range.end + by;
        self
    }
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use RefErrorKind::*;
        let frag = self.fragment.as_str();
        match self.kind {
            Empty => f.write_str("image reference is empty"),
            Whitespace => f.write_str("image reference contains whitespace"),
            HasScheme => write!(f, "image references have no URL scheme; remove `{frag}`"),
            ImageId => {
                f.write_str("a 64-character hex string is an image ID, not a repository name")
            }
            MissingName => f.write_str("no repository name before the tag or digest"),
            UppercasePath => write!(f, "repository path `{frag}` must be lowercase"),
            InvalidDomain => write!(
                f,
                "`{frag}` is read as the registry but is not a valid host[:port]"
            ),
            InvalidPath if frag.is_empty() => {
                f.write_str("empty path component (leading, trailing or doubled `/`)")
            }
            InvalidPath => write!(
                f,
                "invalid path component `{frag}`: use lowercase letters and digits \
                 separated by `.`, `_`, `__` or `-`"
            ),
            NameTooLong => write!(
                f,
                "repository path is longer than {MAX_PATH_LEN} characters \
                 (Docker Hub's implied `library/` counts)"
            ),
            InvalidTag if frag.is_empty() => f.write_str("tag is empty"),
            InvalidTag => write!(
                f,
                "invalid tag `{frag}`: a tag is [A-Za-z0-9_] followed by [A-Za-z0-9_.-]"
            ),
            TagTooLong => write!(
                f,
                "tag is {} characters long; at most {MAX_TAG_LEN} are allowed",
                frag.len()
            ),
            InvalidDigest => write!(
                f,
                "invalid digest `{frag}`: expected `algorithm:hex` with lowercase hex"
            ),
            DigestLength => {
                let (algo, hex) = frag.split_once(':').unwrap_or((frag, ""));
                let want = digest_hex_len(algo).unwrap_or_default();
                write!(
                    f,
                    "digest `{frag}` has {} hex digits but {algo} needs {want}",
                    hex.len()
                )
            }
            UnsupportedDigest => write!(
                f,
                "unsupported digest algorithm in `{frag}` (use sha256, sha384 or sha512)"
            ),
            HasTag => write!(f, "a repository must not include a tag; remove `{frag}`"),
            HasDigest => write!(f, "a repository must not include a digest; remove `{frag}`"),
        }
    }
}

impl std::error::Error for RefError {}

// ---------------------------------------------------------------------------
// ImageRef
// ---------------------------------------------------------------------------

/// A valid reference, as written, with the byte range of each part.
///
/// `name` is always `raw[..path.end]`, because the domain, when written, is
/// the leading component.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    raw: String,
    domain: Option<Range<usize>>,
    path: Range<usize>,
    tag: Option<Range<usize>>,
    digest: Option<Range<usize>>,
    /// No domain was written, so Docker Hub applies. False also in the one
    /// case where a written first component is demoted into the path (see
    /// [`ImageRef::normalized_domain`]).
    hub_default: bool,
}

impl ImageRef {
    /// The whole input.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// `[domain/]path` exactly as written.
    pub fn name(&self) -> &str {
        &self.raw[self.name_range()]
    }

    pub fn name_range(&self) -> Range<usize> {
        0..self.path.end
    }

    /// The registry as written, if one was written.
    pub fn domain(&self) -> Option<&str> {
        self.domain.clone().map(|r| &self.raw[r])
    }

    pub fn domain_range(&self) -> Option<Range<usize>> {
        self.domain.clone()
    }

    /// The repository path as written (no implied `library/`).
    pub fn path(&self) -> &str {
        &self.raw[self.path.clone()]
    }

    pub fn path_range(&self) -> Range<usize> {
        self.path.clone()
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.clone().map(|r| &self.raw[r])
    }

    /// Range of the tag text, without the `:`.
    pub fn tag_range(&self) -> Option<Range<usize>> {
        self.tag.clone()
    }

    pub fn digest(&self) -> Option<&str> {
        self.digest.clone().map(|r| &self.raw[r])
    }

    /// Range of the digest text (`sha256:…`), without the `@`.
    pub fn digest_range(&self) -> Option<Range<usize>> {
        self.digest.clone()
    }

    /// The tag a runtime pulls: the written tag, or `latest` when neither a
    /// tag nor a digest is written (Go's `TagNameOnly`).
    pub fn effective_tag(&self) -> Option<&str> {
        match (self.tag(), &self.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }

    /// The registry after normalisation: `docker.io` when none was written or
    /// `index.docker.io` was, otherwise the written domain (case kept, as Go
    /// does).
    ///
    /// `None` only for a first component that has a `.` but is not a valid
    /// host, such as `my_reg.io/app`. Go then parses the whole name as a
    /// domain-less path, and so do we.
    pub fn normalized_domain(&self) -> Option<&str> {
        match self.domain() {
            Some(LEGACY_DOCKER_HUB) => Some(DOCKER_HUB),
            Some(d) => Some(d),
            None if self.hub_default => Some(DOCKER_HUB),
            None => None,
        }
    }

    pub fn is_docker_hub(&self) -> bool {
        self.normalized_domain() == Some(DOCKER_HUB)
    }

    /// The path with Docker Hub's implied `library/` for one-component names.
    pub fn normalized_path(&self) -> String {
        let path = self.path();
        if self.is_docker_hub() && !path.contains('/') {
            format!("{OFFICIAL_PREFIX}{path}")
        } else {
            path.to_owned()
        }
    }

    /// `docker.io/library/nginx` style, for comparison only; never write it
    /// back into a user's file.
    pub fn normalized_name(&self) -> String {
        match self.normalized_domain() {
            Some(d) => format!("{d}/{}", self.normalized_path()),
            None => self.path().to_owned(),
        }
    }

    /// [`ImageRef::normalized_name`] plus `:tag` and `@digest` when written.
    pub fn normalized(&self) -> String {
        let mut s = self.normalized_name();
        if let Some(t) = self.tag() {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = self.digest() {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    /// The shortest name Docker accepts: without `docker.io/`, and without
    /// `library/` when that leaves a single component (Go's `FamiliarName`).
    pub fn familiar_name(&self) -> String {
        let path = self.normalized_path();
        match self.normalized_domain() {
            Some(DOCKER_HUB) => match path.strip_prefix(OFFICIAL_PREFIX) {
                Some(rest) if !rest.contains('/') => rest.to_owned(),
                _ => path,
            },
            Some(d) => format!("{d}/{path}"),
            None => path,
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl FromStr for ImageRef {
    type Err = RefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// Whether two references name the same repository, ignoring tag and digest
/// and how the name was spelled (`nginx` = `docker.io/library/nginx` =
/// `index.docker.io/nginx`). Registry hosts compare case-insensitively, as DNS
/// does; Go compares them byte for byte. `registry-1.docker.io` stays a
/// different registry, as in Go.
pub fn same_repository(a: &ImageRef, b: &ImageRef) -> bool {
    let domains_match = match (a.normalized_domain(), b.normalized_domain()) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        (None, None) => true,
        _ => false,
    };
    domains_match && a.normalized_path() == b.normalized_path()
}

// ---------------------------------------------------------------------------
// The grammar
// ---------------------------------------------------------------------------

/// Parse a reference the way Docker, containerd, Kubernetes tooling, Argo CD
/// Image Updater and Renovate's Docker datasource agree on.
pub fn parse(s: &str) -> Result<ImageRef, RefError> {
    use RefErrorKind::*;
    let fail = |kind, range: Range<usize>| Err(RefError::new(kind, s, range));

    if s.is_empty() {
        return fail(Empty, 0..0);
    }
    if let Some(r) = whitespace_run(s) {
        return fail(Whitespace, r);
    }
    if let Some(r) = scheme_prefix(s) {
        return fail(HasScheme, r);
    }
    // Checked on the whole input, before any split, as Go does: so
    // `<64 hex>:tag` is a valid name with a tag.
    if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return fail(ImageId, 0..s.len());
    }

    // splitDockerDomain: only the text before the first `/` can be a domain,
    // and only if it could not be a Docker Hub namespace. Without a `/`,
    // `localhost:5000` is image `localhost` with tag `5000` (rows 19/20).
    let written_domain = match s.find('/') {
        Some(i) if looks_like_domain(&s[..i]) => Some(0..i),
        _ => None,
    };
    let path_start = written_domain.as_ref().map_or(0, |d| d.end + 1);
    let (path_end, tag, digest) = split_suffixes(s, path_start);
    let path = path_start..path_end;
    if path.is_empty() {
        return fail(MissingName, 0..s.len());
    }
    // Go checks case before the grammar, so `MyApp` is "must be lowercase"
    // and not a format error; we narrow the range to the component.
    if let Some(c) = components(s, path.clone())
        .into_iter()
        .find(|c| s[c.clone()].to_lowercase() != s[c.clone()])
    {
        return fail(UppercasePath, c);
    }

    let mut domain = written_domain.clone();
    if let Some(d) = written_domain {
        let text = &s[d.clone()];
        if !is_domain_and_port(text) {
            // The Go regex makes the domain optional, so a first component
            // like `my_reg.io` that is no host but is a valid path component
            // silently becomes part of a domain-less path.
            if is_path_component(text.as_bytes()) {
                domain = None;
            } else {
                return fail(InvalidDomain, d);
            }
        }
    }
    for c in components(s, path.clone()) {
        if !is_path_component(s[c.clone()].as_bytes()) {
            return fail(InvalidPath, c);
        }
    }
    if let Some(t) = tag.clone()
        && let Err(kind) = check_tag(&s[t.clone()])
    {
        return fail(kind, t);
    }
    if let Some(d) = digest.clone()
        && let Err(kind) = check_digest(&s[d.clone()])
    {
        return fail(kind, d);
    }

    // Docker Hub is the default exactly when no first component was split
    // off; a demoted one (above) leaves no domain at all.
    let hub_default = path_start == 0;
    let demoted = domain.is_none() && !hub_default;
    let is_hub = hub_default
        || domain
            .as_ref()
            .is_some_and(|d| matches!(&s[d.clone()], DOCKER_HUB | LEGACY_DOCKER_HUB));
    // Go measures the path after normalisation, so an implied `library/`
    // counts, and so does a demoted first component.
    let implied_library = if is_hub && !s[path.clone()].contains('/') {
        OFFICIAL_PREFIX.len()
    } else {
        0
    };
    let go_path = if demoted { 0..path_end } else { path.clone() };
    if go_path.len() + implied_library > MAX_PATH_LEN {
        return fail(NameTooLong, path);
    }

    Ok(ImageRef {
        raw: s.to_owned(),
        domain,
        path: go_path,
        tag,
        digest,
        hub_default,
    })
}

/// The first `/`-component is a registry if it has a `.` or `:`, is
/// `localhost`, or has an uppercase letter (Docker Hub namespaces cannot).
/// `index.docker.io` is covered by the `.`.
fn looks_like_domain(first: &str) -> bool {
    first == "localhost" || first.contains(['.', ':']) || first.to_lowercase() != first
}

/// Where the path ends and the tag and digest ranges (without `:`/`@`). The
/// path cannot hold `:` or `@`, and a tag cannot hold `@`, so the first of
/// either ends the path and the first `@` ends the tag.
fn split_suffixes(s: &str, start: usize) -> (usize, Option<Range<usize>>, Option<Range<usize>>) {
    let Some(j) = s[start..].find([':', '@']) else {
        return (s.len(), None, None);
    };
    let at = start + j;
    if s.as_bytes()[at] == b'@' {
        return (at, None, Some(at + 1..s.len()));
    }
    let tag_start = at + 1;
    match s[tag_start..].find('@') {
        Some(k) => (
            at,
            Some(tag_start..tag_start + k),
            Some(tag_start + k + 1..s.len()),
        ),
        None => (at, Some(tag_start..s.len()), None),
    }
}

/// The `/`-separated pieces of `range`, empty ones included.
fn components(s: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = range.start;
    for (i, b) in s.as_bytes()[range.clone()].iter().enumerate() {
        if *b == b'/' {
            out.push(start..range.start + i);
            start = range.start + i + 1;
        }
    }
    out.push(start..range.end);
    out
}

fn whitespace_run(s: &str) -> Option<Range<usize>> {
    let (start, _) = s.char_indices().find(|(_, c)| c.is_whitespace())?;
    let end = s[start..]
        .char_indices()
        .find(|(_, c)| !c.is_whitespace())
        .map_or(s.len(), |(i, _)| start + i);
    Some(start..end)
}

/// `scheme://`, where the scheme is RFC 3986-shaped. A `://` elsewhere is
/// left to the grammar, which rejects it with a better-placed error.
fn scheme_prefix(s: &str) -> Option<Range<usize>> {
    let i = s.find("://")?;
    let scheme = &s.as_bytes()[..i];
    let ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'));
    ok.then_some(0..i + 3)
}

/// `host[:port]` with host a DNS-ish name, an IPv4 address (same shape) or a
/// bracketed IPv6 literal; the port is any run of digits, as in Go.
fn is_domain_and_port(d: &str) -> bool {
    let port = if let Some(inner) = d.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            return false;
        };
        let addr = &inner[..close];
        if addr.is_empty() || !addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return false;
        }
        &inner[close + 1..]
    } else {
        let (host, port) = d.find(':').map_or((d, ""), |i| d.split_at(i));
        if !is_domain_name(host) {
            return false;
        }
        port
    };
    match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()),
    }
}

fn is_domain_name(h: &str) -> bool {
    !h.is_empty()
        && h.split('.').all(|c| {
            let b = c.as_bytes();
            !b.is_empty()
                && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// `[a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*`
fn is_path_component(c: &[u8]) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut i = 0;
    loop {
        let run = i;
        while i < c.len() && alnum(c[i]) {
            i += 1;
        }
        if i == run {
            return false;
        }
        if i == c.len() {
            return true;
        }
        match c[i] {
            b'.' => i += 1,
            b'_' => i += if c.get(i + 1) == Some(&b'_') { 2 } else { 1 },
            b'-' => {
                while i < c.len() && c[i] == b'-' {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `[\w][\w.-]{0,127}`; the length is judged last so that a long tag with a
/// bad character reports the character.
fn check_tag(t: &str) -> Result<(), RefErrorKind> {
    let b = t.as_bytes();
    let valid = b.first().is_some_and(|&c| is_word(c))
        && b[1..].iter().all(|&c| is_word(c) || c == b'.' || c == b'-');
    if !valid {
        Err(RefErrorKind::InvalidTag)
    } else if b.len() > MAX_TAG_LEN {
        Err(RefErrorKind::TagTooLong)
    } else {
        Ok(())
    }
}

fn digest_hex_len(algo: &str) -> Option<usize> {
    match algo {
        "sha256" => Some(64),
        "sha384" => Some(96),
        "sha512" => Some(128),
        _ => None,
    }
}

/// The reference regex's digest shape, then go-digest's rules: registered
/// algorithm, exact length, lowercase hex. Accepts exactly what the pair
/// accepts; the order only decides which error is reported.
fn check_digest(d: &str) -> Result<(), RefErrorKind> {
    use RefErrorKind::*;
    let Some((algo, hex)) = d.split_once(':') else {
        return Err(InvalidDigest);
    };
    let algo_ok = algo.split(['-', '_', '+', '.']).all(|part| {
        let b = part.as_bytes();
        b.first().is_some_and(u8::is_ascii_alphabetic) && b.iter().all(u8::is_ascii_alphanumeric)
    });
    if !algo_ok || hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(InvalidDigest);
    }
    let Some(want) = digest_hex_len(algo) else {
        return Err(UnsupportedDigest);
    };
    if hex.len() != want {
        return Err(DigestLength);
    }
    if hex.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(InvalidDigest);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Lints on valid-but-surprising references
// ---------------------------------------------------------------------------

/// Ports registries commonly listen on (Docker's default, kind, microk8s,
/// Harbor/Nexus/Artifactory defaults, plain HTTP(S)).
const REGISTRY_PORTS: &[u32] = &[
    80, 443, 5000, 5001, 5002, 5050, 5443, 8080, 8081, 8082, 8083, 8443, 9000, 9443, 32000,
];
const REGISTRY_WORDS: &[&str] = &["registry", "harbor", "nexus", "artifactory", "zot", "quay"];

/// `localhost:5000`, `registry:5000`, `my.registry.com:5000`: a registry
/// address without a repository, which the grammar accepts as an image named
/// after the host with the port as its tag. A heuristic, because `postgres:16`
/// has the same shape: the tag must be a plausible port (80–65535) and either
/// a usual registry port or the name must look like a host. So `registry:2`
/// (the real registry image) and `amazonlinux:2023` are not flagged.
pub fn registry_port_trap(s: &str) -> bool {
    if s.contains(['/', '@']) {
        return false;
    }
    let Ok(r) = parse(s) else {
        return false;
    };
    let Some(tag) = r.tag() else {
        return false;
    };
    if tag.len() > 5 || !tag.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Ok(port) = tag.parse::<u32>() else {
        return false;
    };
    if !(80..=65535).contains(&port) {
        return false;
    }
    let name = r.path();
    name == "localhost"
        || name.contains('.')
        || REGISTRY_WORDS.iter().any(|w| name.contains(w))
        || REGISTRY_PORTS.contains(&port)
}

// ---------------------------------------------------------------------------
// Flux ImageRepository.spec.image
// ---------------------------------------------------------------------------

/// Check a Flux `ImageRepository.spec.image`: a repository, optionally with
/// `host:port/`, but no scheme, tag or digest. The image-reflector-controller
/// rejects a scheme and any `:` after the host part (so a digest, too) and
/// stalls with `ImageURLInvalid`.
///
/// A tag or digest that is itself malformed is reported as [`RefErrorKind::HasTag`]
/// / [`RefErrorKind::HasDigest`]: whatever its shape, it has to go. The ranges
/// include the `:` / `@`.
pub fn validate_repository(s: &str) -> Result<ImageRef, RefError> {
    use RefErrorKind::*;
    let r = match parse(s) {
        Ok(r) => r,
        Err(e) => {
            let whole_suffix = |e: RefError, kind| {
                RefError::new(kind, s, e.range.start.saturating_sub(1)..s.len())
            };
            return Err(match e.kind {
                // From the `:` to the end: a digest after the tag goes too.
                InvalidTag | TagTooLong => whole_suffix(e, HasTag),
                InvalidDigest | DigestLength | UnsupportedDigest => whole_suffix(e, HasDigest),
                _ => e,
            });
        }
    };
    if let Some(t) = r.tag_range() {
        return Err(RefError::new(HasTag, s, t.start - 1..s.len()));
    }
    if let Some(d) = r.digest_range() {
        return Err(RefError::new(HasDigest, s, d.start - 1..d.end));
    }
    Ok(r)
}

// ---------------------------------------------------------------------------
// Argo CD Image Updater image-list items
// ---------------------------------------------------------------------------

/// One `image-list` item (or CRD `imageName`) as Argo CD Image Updater reads
/// it. The "tag" part is the version *constraint*, not a tag to deploy.
///
/// Field values follow Argo's `ContainerImage` (master): `registry` is blank
/// for Docker Hub unless the image text starts with `docker.io`; `name` drops
/// an implied or written `library/` on Docker Hub unless the image text
/// starts with `library/`. All ranges index [`ArgoImage::as_str`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgoImage {
    raw: String,
    alias: Option<Range<usize>>,
    image: Range<usize>,
    registry: Option<Range<usize>>,
    name: Range<usize>,
    constraint: Option<Range<usize>>,
    digest: Option<Range<usize>>,
    /// The grammar's verdict on the image part; `Err` means the legacy
    /// splitter produced the fields. `ImageRef` ranges index the image part;
    /// `RefError` ranges are shifted to index the whole item.
    grammar: Result<ImageRef, RefError>,
}

impl ArgoImage {
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    fn text(&self, r: &Option<Range<usize>>) -> Option<&str> {
        r.clone().map(|r| &self.raw[r])
    }

    /// Text before the first `=`, if the item has one (possibly empty).
    pub fn alias(&self) -> Option<&str> {
        self.text(&self.alias)
    }

    pub fn alias_range(&self) -> Option<Range<usize>> {
        self.alias.clone()
    }

    /// Everything after the alias.
    pub fn image(&self) -> &str {
        &self.raw[self.image.clone()]
    }

    pub fn image_range(&self) -> Range<usize> {
        self.image.clone()
    }

    /// Argo's `RegistryURL`; `None` where Argo has "".
    pub fn registry(&self) -> Option<&str> {
        self.text(&self.registry)
    }

    pub fn registry_range(&self) -> Option<Range<usize>> {
        self.registry.clone()
    }

    /// Argo's `ImageName`.
    pub fn name(&self) -> &str {
        &self.raw[self.name.clone()]
    }

    pub fn name_range(&self) -> Range<usize> {
        self.name.clone()
    }

    /// The version constraint (Argo's tag name). `Some("")` for `nginx:`
    /// taken by the legacy splitter, which Argo treats like no constraint.
    pub fn constraint(&self) -> Option<&str> {
        self.text(&self.constraint)
    }

    pub fn constraint_range(&self) -> Option<Range<usize>> {
        self.constraint.clone()
    }

    pub fn digest(&self) -> Option<&str> {
        self.text(&self.digest)
    }

    pub fn digest_range(&self) -> Option<Range<usize>> {
        self.digest.clone()
    }

    /// True when the reference grammar rejected the image part and Argo's
    /// legacy splitter decided the fields. Normal for constraints such as
    /// `~1.2`, but that splitter ignores ports without a dotted host.
    pub fn used_legacy_splitter(&self) -> bool {
        self.grammar.is_err()
    }

    /// Why the grammar rejected the image part (ranges index the item).
    pub fn grammar_error(&self) -> Option<&RefError> {
        self.grammar.as_ref().err()
    }

    /// The image part as a grammar-valid reference; its ranges index
    /// [`ArgoImage::image`], so add `image_range().start` to map them.
    pub fn reference(&self) -> Option<&ImageRef> {
        self.grammar.as_ref().ok()
    }

    /// Argo's `GetFullNameWithTag`: `[registry/]name[:constraint][@digest]`.
    pub fn full_name_with_tag(&self) -> String {
        let mut s = String::new();
        if let Some(r) = self.registry() {
            s.push_str(r);
            s.push('/');
        }
        s.push_str(self.name());
        if let Some(t) = self.constraint().filter(|t| !t.is_empty()) {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = self.digest().filter(|d| !d.is_empty()) {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    /// Argo's `GetTagWithDigest`: `tag@digest`, `latest@digest` when there is
    /// no tag, or just the tag.
    pub fn tag_with_digest(&self) -> String {
        let tag = self.constraint().unwrap_or_default();
        match self.digest().filter(|d| !d.is_empty()) {
            Some(d) if tag.is_empty() => format!("latest@{d}"),
            Some(d) => format!("{tag}@{d}"),
            None => tag.to_owned(),
        }
    }

    /// Argo's `String()`: what it writes back as the item.
    pub fn to_argo_string(&self) -> String {
        match self.alias().filter(|a| !a.is_empty()) {
            Some(a) => format!("{a}={}", self.full_name_with_tag()),
            None => self.full_name_with_tag(),
        }
    }

    /// Argo's test for "same image" (`DiffersFrom` without version): registry
    /// and name compared as text, so `x/foo` and `docker.io/x/foo` differ.
    pub fn same_image(&self, other: &ArgoImage) -> bool {
        self.registry() == other.registry() && self.name() == other.name()
    }

    /// The `nginx:>=1.0` trap: with no alias, the `=` of the constraint is
    /// taken as the alias separator (alias `nginx:>`, image `1.0`). Detected
    /// by an alias that ends inside a constraint operator after a `:` with
    /// no `/` following (so `ghcr.io:4567/x=…` is a real alias). Returns the
    /// range of the constraint the user meant (`>=1.0`); the image they meant
    /// is the text before it, minus the `:`.
    pub fn eq_constraint_trap(&self) -> Option<Range<usize>> {
        let a = self.alias.clone()?;
        let alias = &self.raw[a.clone()];
        let colon = alias.rfind(':')?;
        if alias[colon + 1..].contains('/') {
            return None;
        }
        alias
            .ends_with(['<', '>', '!', ':'])
            .then(|| a.start + colon + 1..self.raw.len())
    }
}

impl fmt::Display for ArgoImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Split an `image-list` annotation into item ranges: on `,`, each trimmed,
/// empty items skipped (the v1 behaviour; v0 made a bogus image of them).
pub fn split_argo_image_list(s: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for piece in s.split(',') {
        let lead = piece.len() - piece.trim_start().len();
        let trimmed = piece.trim();
        if !trimmed.is_empty() {
            out.push(start + lead..start + lead + trimmed.len());
        }
        start += piece.len() + 1;
    }
    out
}

/// Argo's `HasRegistryPrefix`: the text before the first `/` contains a `.`.
/// So `localhost:5000/image` has none, `192.168.1.1:5000/image` has one.
pub fn argo_has_registry_prefix(s: &str) -> bool {
    s.find('/').is_some_and(|i| s[..i].contains('.'))
}

/// Parse one `image-list` item (already split and trimmed) like Argo CD Image
/// Updater's `NewFromIdentifier`: alias up to the first `=`, then the
/// reference grammar, then, if the grammar rejects the image part, the
/// legacy splitter with its quirks. Errors only where Argo v1 does: an empty
/// item or an alias with no image (`web=`).
pub fn parse_argo_item(s: &str) -> Result<ArgoImage, RefError> {
    if s.is_empty() {
        return Err(RefError::new(RefErrorKind::Empty, s, 0..0));
    }
    // v1 trims both sides of `=` (`web = nginx:1.21`, argocd.md row A1).
    let alias = s.find('=').map(|i| 0..s[..i].trim_end().len());
    let img_start = s.find('=').map_or(0, |i| {
        let rest = &s[i + 1..];
        i + 1 + (rest.len() - rest.trim_start().len())
    });
    let img = &s[img_start..];
    if img.is_empty() {
        return Err(RefError::new(RefErrorKind::Empty, s, img_start..img_start));
    }
    let shift = |r: Range<usize>| r.start + img_start..r.end + img_start;

    let grammar = parse(img).map_err(|e| e.shifted(img_start));
    let (registry, name, constraint, digest) = match &grammar {
        Ok(r) => {
            // Argo blanks Docker Hub unless the text literally starts with
            // `docker.io`, which for a bare `docker.io[:tag]` (Docker Hub's
            // `library/docker.io`) reports a registry that is also the name.
            let registry = match r.normalized_domain() {
                Some(DOCKER_HUB) if !img.starts_with(DOCKER_HUB) => None,
                Some(DOCKER_HUB) if r.domain_range().is_none() => {
                    Some(img_start..img_start + DOCKER_HUB.len())
                }
                Some(_) => r.domain_range().map(shift),
                None => None,
            };
            let mut name = shift(r.path_range());
            if r.is_docker_hub()
                && !img.starts_with(OFFICIAL_PREFIX)
                && r.path().starts_with(OFFICIAL_PREFIX)
            {
                name.start += OFFICIAL_PREFIX.len();
            }
            (
                registry,
                name,
                r.tag_range().map(shift),
                r.digest_range().map(shift),
            )
        }
        Err(_) => legacy_split(s, img_start),
    };
    Ok(ArgoImage {
        raw: s.to_owned(),
        alias,
        image: img_start..s.len(),
        registry,
        name,
        constraint,
        digest,
        grammar,
    })
}

type LegacyFields = (
    Option<Range<usize>>,
    Range<usize>,
    Option<Range<usize>>,
    Option<Range<usize>>,
);

/// Argo's pre-grammar splitter, quirks kept because they decide which
/// registry Argo queries:
/// - the registry is looked for between the first and the second `=`, but
///   the name after the first `=`, so `a=b=c.io/x` loses `c.io`;
/// - a registry needs a `.`, so `localhost:5000/app:~1` is name `localhost`
///   with tag `5000/app:~1`;
/// - with `@`, the tag is after the last `:` before it only if that `:`
///   follows the last `/`; without `@`, the tag starts at the first `:`.
fn legacy_split(s: &str, img_start: usize) -> LegacyFields {
    let reg_src = match s.find('=') {
        Some(i) => {
            let end = s[i + 1..].find('=').map_or(s.len(), |j| i + 1 + j);
            i + 1..end
        }
        None => 0..s.len(),
    };
    let registry = s[reg_src.clone()]
        .find('/')
        .filter(|&k| s[reg_src.start..reg_src.start + k].contains('.'))
        .map(|k| reg_src.start..reg_src.start + k);

    let mut start = img_start;
    if let Some(k) = s[start..].find('/')
        && s[start..start + k].contains('.')
    {
        start += k + 1;
    }
    let rest = &s[start..];
    if let Some(at) = rest.find('@') {
        let before = &rest[..at];
        let digest = Some(start + at + 1..s.len());
        match (before.rfind(':'), before.rfind('/')) {
            (Some(c), slash) if slash.is_none_or(|sl| c > sl) => (
                registry,
                start..start + c,
                Some(start + c + 1..start + at),
                digest,
            ),
            _ => (registry, start..start + at, None, digest),
        }
    } else if let Some(c) = rest.find(':') {
        (
            registry,
            start..start + c,
            Some(start + c + 1..s.len()),
            None,
        )
    } else {
        (registry, start..s.len(), None, None)
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::RefErrorKind::*;
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[track_caller]
    fn ok(s: &str) -> ImageRef {
        parse(s).unwrap_or_else(|e| panic!("{s:?} should parse, got {e:?}"))
    }

    #[track_caller]
    fn err(s: &str) -> RefError {
        match parse(s) {
            Ok(r) => panic!("{s:?} should fail, parsed as {r:?}"),
            Err(e) => e,
        }
    }

    fn show(part: Option<&str>) -> &str {
        match part {
            None => "-",
            Some(x) if x == D => "D",
            Some(x) => x,
        }
    }

    /// One line per reference: `domain|path|tag|digest => normalized name`,
    /// `-` for an absent part and `D` for the digest constant. Also checks
    /// that `name()` is the written domain and path.
    #[track_caller]
    fn shape(s: &str) -> String {
        let r = ok(s);
        assert_eq!(r.as_str(), s);
        let name = match r.domain() {
            Some(d) => format!("{d}/{}", r.path()),
            None => r.path().to_owned(),
        };
        assert_eq!(r.name(), name, "name of {s:?}");
        let (d, p, t, g) = (r.domain(), r.path(), r.tag(), r.digest());
        let n = r.normalized_name();
        format!("{}|{p}|{}|{} => {n}", show(d), show(t), show(g))
    }

    #[track_caller]
    fn fails(s: &str, kind: RefErrorKind, fragment: &str) {
        let e = err(s);
        assert_eq!(e.kind(), kind, "kind for {s:?}: {e}");
        assert_eq!(e.fragment(), fragment, "fragment for {s:?}");
        assert_eq!(&s[e.range()], fragment);
    }

    fn hex(n: usize) -> String {
        "0123456789abcdef".chars().cycle().take(n).collect()
    }

    // --- ecosystem.md §7.2 ------------------------------------------------

    #[test]
    fn row_01_bare_name() {
        assert_eq!(shape("nginx"), "-|nginx|-|- => docker.io/library/nginx");
        let r = ok("nginx");
        assert_eq!(r.effective_tag(), Some("latest"));
        assert_eq!(r.normalized(), "docker.io/library/nginx");
        assert_eq!(r.normalized_domain(), Some("docker.io"));
        assert_eq!(r.familiar_name(), "nginx");
    }

    #[test]
    fn row_02_name_and_tag() {
        assert_eq!(
            shape("nginx:1.25.3"),
            "-|nginx|1.25.3|- => docker.io/library/nginx"
        );
        let r = ok("nginx:1.25.3");
        assert_eq!(r.normalized(), "docker.io/library/nginx:1.25.3");
        assert_eq!(r.tag_range(), Some(6..12));
    }

    #[test]
    fn row_03_library_prefix_written() {
        let s = "library/nginx:latest";
        assert_eq!(
            shape(s),
            "-|library/nginx|latest|- => docker.io/library/nginx"
        );
        assert_eq!(ok(s).familiar_name(), "nginx");
        assert_eq!(ok(s).normalized(), "docker.io/library/nginx:latest");
    }

    #[test]
    fn row_04_namespaced_docker_hub() {
        let s = "bitnami/redis:7.2.4-debian-12-r0";
        let want = "-|bitnami/redis|7.2.4-debian-12-r0|- => docker.io/bitnami/redis";
        assert_eq!(shape(s), want);
        assert_eq!(ok(s).familiar_name(), "bitnami/redis");
    }

    #[test]
    fn row_05_docker_io_one_component() {
        let s = "docker.io/nginx";
        assert_eq!(shape(s), "docker.io|nginx|-|- => docker.io/library/nginx");
        assert_eq!(ok(s).familiar_name(), "nginx");
    }

    #[test]
    fn row_06_index_docker_io_rewritten() {
        let s = "index.docker.io/library/nginx:1.25";
        let want = "index.docker.io|library/nginx|1.25|- => docker.io/library/nginx";
        assert_eq!(shape(s), want);
        let r = ok(s);
        assert_eq!(r.normalized_domain(), Some("docker.io"));
        assert_eq!(r.normalized(), "docker.io/library/nginx:1.25");
        assert_eq!(r.familiar_name(), "nginx");
    }

    #[test]
    fn row_07_registry_1_docker_io_not_canonicalised() {
        let s = "registry-1.docker.io/library/nginx";
        let want = "registry-1.docker.io|library/nginx|-|- => registry-1.docker.io/library/nginx";
        assert_eq!(shape(s), want);
        let r = ok(s);
        assert!(!r.is_docker_hub());
        assert_eq!(r.familiar_name(), s);
        assert!(!same_repository(&r, &ok("nginx")));
    }

    #[test]
    fn row_08_ghcr() {
        let s = "ghcr.io/fluxcd/source-controller:v1.3.0";
        let want = "ghcr.io|fluxcd/source-controller|v1.3.0|- => ghcr.io/fluxcd/source-controller";
        assert_eq!(shape(s), want);
        assert_eq!(ok(s).domain_range(), Some(0..7));
        assert_eq!(ok(s).path_range(), 8..32);
        assert_eq!(ok(s).name_range(), 0..32);
    }

    #[test]
    fn row_09_tag_and_digest_kept() {
        let s = format!("quay.io/prometheus/node-exporter:v1.8.1@{D}");
        let want = "quay.io|prometheus/node-exporter|v1.8.1|D => quay.io/prometheus/node-exporter";
        assert_eq!(shape(&s), want);
        let r = ok(&s);
        assert_eq!(r.normalized(), s);
        assert_eq!(r.effective_tag(), Some("v1.8.1"));
        assert_eq!(r.digest_range(), Some(40..s.len()));
    }

    #[test]
    fn row_10_short_name_tag_digest() {
        let s = format!("nginx:1.25@{D}");
        assert_eq!(shape(&s), "-|nginx|1.25|D => docker.io/library/nginx");
        assert_eq!(
            ok(&s).normalized(),
            format!("docker.io/library/nginx:1.25@{D}")
        );
        // Digest only: no implied `latest`.
        assert_eq!(ok(&format!("nginx@{D}")).effective_tag(), None);
    }

    #[test]
    fn row_11_localhost_domain() {
        assert_eq!(
            shape("localhost/app:dev"),
            "localhost|app|dev|- => localhost/app"
        );
    }

    #[test]
    fn row_12_localhost_with_port() {
        let s = "localhost:5000/team/app:1.0.0";
        assert_eq!(
            shape(s),
            "localhost:5000|team/app|1.0.0|- => localhost:5000/team/app"
        );
    }

    #[test]
    fn row_13_ipv4_with_port() {
        let s = "127.0.0.1:5000/team/app:1.0.0";
        assert_eq!(
            shape(s),
            "127.0.0.1:5000|team/app|1.0.0|- => 127.0.0.1:5000/team/app"
        );
    }

    #[test]
    fn row_14_ipv6_with_port() {
        assert_eq!(
            shape("[::1]:5000/app:1.0"),
            "[::1]:5000|app|1.0|- => [::1]:5000/app"
        );
    }

    #[test]
    fn row_15_colon_makes_a_registry() {
        let s = "my-registry:5000/app";
        assert_eq!(shape(s), "my-registry:5000|app|-|- => my-registry:5000/app");
    }

    #[test]
    fn row_16_plain_first_component_is_docker_hub_user() {
        let s = "myregistry/app:1.0";
        assert_eq!(
            shape(s),
            "-|myregistry/app|1.0|- => docker.io/myregistry/app"
        );
    }

    #[test]
    fn row_17_uppercase_domain_kept() {
        let s = "Registry.Example.COM/app:1.0";
        let want = "Registry.Example.COM|app|1.0|- => Registry.Example.COM/app";
        assert_eq!(shape(s), want);
        // Hosts compare case-insensitively in `same_repository`.
        assert!(same_repository(&ok(s), &ok("registry.example.com/app:2")));
    }

    #[test]
    fn row_18_uppercase_first_component_is_a_domain() {
        assert_eq!(shape("Foo/bar:1.0"), "Foo|bar|1.0|- => Foo/bar");
        assert!(!same_repository(&ok("Foo/bar"), &ok("foo/bar")));
    }

    #[test]
    fn row_19_localhost_port_trap() {
        let s = "localhost:5000";
        assert_eq!(
            shape(s),
            "-|localhost|5000|- => docker.io/library/localhost"
        );
        assert_eq!(ok(s).normalized(), "docker.io/library/localhost:5000");
        assert!(registry_port_trap(s));
    }

    #[test]
    fn row_20_registry_port_trap() {
        let s = "registry:5000";
        assert_eq!(shape(s), "-|registry|5000|- => docker.io/library/registry");
        assert!(registry_port_trap(s));
    }

    #[test]
    fn row_21_ecr_host() {
        let host = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
        let s = format!("{host}/app:1.0");
        assert_eq!(shape(&s), format!("{host}|app|1.0|- => {host}/app"));
    }

    #[test]
    fn row_22_separators_inside_components() {
        let s = "foo__bar/baz--qux.v2:tag";
        assert_eq!(
            shape(s),
            "-|foo__bar/baz--qux.v2|tag|- => docker.io/foo__bar/baz--qux.v2"
        );
    }

    #[test]
    fn row_23_sha512_digest() {
        let digest = format!("sha512:{}", hex(128));
        let s = format!("app:1.0.0@{digest}");
        assert_eq!(
            shape(&s),
            format!("-|app|1.0.0|{digest} => docker.io/library/app")
        );
    }

    #[test]
    fn row_24_library_library() {
        let s = "docker.io/library/library/nginx";
        assert_eq!(
            shape(s),
            "docker.io|library/library/nginx|-|- => docker.io/library/library/nginx"
        );
        // The familiar form keeps `library/` when dropping it leaves two components.
        assert_eq!(ok(s).familiar_name(), "library/library/nginx");
    }

    #[test]
    fn row_25_uppercase_single_component() {
        fails("MyApp:1.0", UppercasePath, "MyApp");
        assert_eq!(
            err("MyApp:1.0").to_string(),
            "repository path `MyApp` must be lowercase"
        );
    }

    #[test]
    fn row_26_uppercase_second_component() {
        fails("team/MyApp:1.0", UppercasePath, "MyApp");
        assert_eq!(err("team/MyApp:1.0").range(), 5..10);
    }

    #[test]
    fn row_27_empty_tag() {
        fails("nginx:", InvalidTag, "");
        assert_eq!(err("nginx:").range(), 6..6);
        assert_eq!(err("nginx:").to_string(), "tag is empty");
    }

    #[test]
    fn row_28_tag_starting_with_dash() {
        fails("nginx:-bad", InvalidTag, "-bad");
        fails("nginx:.bad", InvalidTag, ".bad");
        assert_eq!(
            shape("nginx:_ok"),
            "-|nginx|_ok|- => docker.io/library/nginx"
        );
    }

    #[test]
    fn row_29_tag_length_128_ok_129_too_long() {
        let t128 = format!("a{}", "b".repeat(127));
        assert_eq!(ok(&format!("nginx:{t128}")).tag(), Some(t128.as_str()));
        let t129 = format!("{t128}c");
        fails(&format!("nginx:{t129}"), TagTooLong, &t129);
        assert!(err(&format!("nginx:{t129}")).to_string().contains("129"));
        // A bad character is reported before the length.
        fails(&format!("nginx:{t128}~"), InvalidTag, &format!("{t128}~"));
    }

    #[test]
    fn row_30_plus_not_allowed_in_tags() {
        fails(
            "example.com:443/a/b:v1.0.0-rc.1+build",
            InvalidTag,
            "v1.0.0-rc.1+build",
        );
        let s = "example.com:443/a/b:v1.0.0-rc.1_build";
        assert_eq!(
            shape(s),
            "example.com:443|a/b|v1.0.0-rc.1_build|- => example.com:443/a/b"
        );
    }

    #[test]
    fn row_31_separators_cannot_lead_trail_or_double() {
        fails("a_/b", InvalidPath, "a_");
        fails("foo/_bar", InvalidPath, "_bar");
        // `a..b` has a `.`, so it is taken as the registry, and is no host.
        fails("a..b/c", InvalidDomain, "a..b");
        fails("a/b/", InvalidPath, "");
        assert_eq!(err("a/b/").range(), 4..4);
        fails("a/b.-c", InvalidPath, "b.-c");
        fails("a/b___c", InvalidPath, "b___c");
        fails("a/b._c", InvalidPath, "b._c");
    }

    #[test]
    fn row_32_short_digest() {
        fails("nginx@sha256:abc", DigestLength, "sha256:abc");
        let msg = "digest `sha256:abc` has 3 hex digits but sha256 needs 64";
        assert_eq!(err("nginx@sha256:abc").to_string(), msg);
    }

    #[test]
    fn row_33_wrong_length_or_uppercase_hex() {
        let d40 = format!("sha256:{}", hex(40));
        fails(&format!("nginx@{d40}"), DigestLength, &d40);
        let upper = format!("sha256:{}", hex(64).to_uppercase());
        fails(&format!("nginx@{upper}"), InvalidDigest, &upper);
    }

    #[test]
    fn row_34_unsupported_algorithm() {
        let md5 = format!("md5:{}", hex(32));
        fails(&format!("nginx@{md5}"), UnsupportedDigest, &md5);
    }

    #[test]
    fn row_35_image_id_rejected() {
        fails(&hex(64), ImageId, &hex(64));
        // Only the exact 64-hex string: with a tag it is a valid name.
        let with_tag = format!("{}:1", hex(64));
        assert_eq!(
            ok(&with_tag).normalized(),
            format!("docker.io/library/{with_tag}")
        );
        ok(&hex(63));
        ok(&hex(65));
    }

    #[test]
    fn row_36_path_255_ok_256_too_long() {
        let p255 = format!("a/{}", "b".repeat(253));
        assert_eq!(p255.len(), 255);
        ok(&format!("example.com/{p255}"));
        let p256 = format!("{p255}c");
        fails(&format!("example.com/{p256}:1"), NameTooLong, &p256);
        // The domain does not count (v0.6.0).
        ok(&format!("{}.com/{p255}", "d".repeat(200)));
    }

    #[test]
    fn row_37_url_scheme() {
        fails("HTTPS://ghcr.io/app", HasScheme, "HTTPS://");
        fails("oci://ghcr.io/app", HasScheme, "oci://");
    }

    // --- edge cases -------------------------------------------------------

    #[test]
    fn edge_empty_string() {
        fails("", Empty, "");
        assert_eq!(err("").range(), 0..0);
    }

    #[test]
    fn edge_tag_alone() {
        fails(":tag", MissingName, ":tag");
        fails(":", MissingName, ":");
        fails("docker.io/:tag", MissingName, "docker.io/:tag");
    }

    #[test]
    fn edge_digest_alone() {
        let s = format!("@{D}");
        fails(&s, MissingName, &s);
    }

    #[test]
    fn edge_slashes() {
        fails("nginx/", InvalidPath, "");
        fails("/nginx", InvalidPath, "");
        fails("a//b", InvalidPath, "");
        assert_eq!(err("a//b").range(), 2..2);
        fails("ghcr.io/", MissingName, "ghcr.io/");
    }

    #[test]
    fn edge_implied_library_counts_toward_length() {
        // 247 + "library/" = 255 is fine; 248 + 8 = 256 is too long.
        ok(&"a".repeat(247));
        fails(&"a".repeat(248), NameTooLong, &"a".repeat(248));
        fails(
            &format!("docker.io/{}", "a".repeat(248)),
            NameTooLong,
            &"a".repeat(248),
        );
        // Two components on Docker Hub get no prefix.
        ok(&format!("a/{}", "b".repeat(253)));
    }

    #[test]
    fn edge_whitespace() {
        fails(" nginx", Whitespace, " ");
        fails("nginx:1.0 ", Whitespace, " ");
        fails("nginx:1.0 - 2.0", Whitespace, " ");
        fails("nginx\t:1", Whitespace, "\t");
    }

    #[test]
    fn edge_domains() {
        assert_eq!(shape("[fe80::1]/app"), "[fe80::1]|app|-|- => [fe80::1]/app");
        assert_eq!(shape("a.b-c.d:1/x"), "a.b-c.d:1|x|-|- => a.b-c.d:1/x");
        fails("[::g]:5000/app", InvalidDomain, "[::g]:5000");
        fails("[]:5000/app", InvalidDomain, "[]:5000");
        fails("host:abc/app", InvalidDomain, "host:abc");
        fails("host:/app", InvalidDomain, "host:");
        fails("-bad.com/app", InvalidDomain, "-bad.com");
        fails(
            "localhost:5000:6000/app",
            InvalidDomain,
            "localhost:5000:6000",
        );
        fails("Foo_Bar/x", InvalidDomain, "Foo_Bar");
        // An uppercase domain does not excuse an uppercase path.
        fails("Foo/Bar", UppercasePath, "Bar");
    }

    #[test]
    fn edge_dotted_first_component_that_is_no_host_joins_the_path() {
        // Go: ParseNormalizedNamed("my_reg.io/app") succeeds with Domain ""
        // and Path "my_reg.io/app"; Docker Hub does not apply.
        assert_eq!(
            shape("my_reg.io/app:1"),
            "-|my_reg.io/app|1|- => my_reg.io/app"
        );
        let r = ok("my_reg.io/app");
        assert_eq!(r.normalized_domain(), None);
        assert_eq!(r.familiar_name(), "my_reg.io/app");
        assert!(!r.is_docker_hub());
    }

    #[test]
    fn edge_tag_and_digest_shapes() {
        fails("nginx:1.0:2", InvalidTag, "1.0:2");
        fails("a/b:c/d", InvalidTag, "c/d");
        fails("nginx@", InvalidDigest, "");
        fails(&format!("nginx@{D}@x"), InvalidDigest, &format!("{D}@x"));
        fails("nginx@sha256", InvalidDigest, "sha256");
        let bad_algo = format!("1sha:{}", hex(64));
        fails(&format!("nginx@{bad_algo}"), InvalidDigest, &bad_algo);
        let sha384 = format!("sha384:{}", hex(96));
        assert_eq!(
            ok(&format!("nginx@{sha384}")).digest(),
            Some(sha384.as_str())
        );
        let s = format!("nginx:1@{D}");
        assert_eq!(
            (ok(&s).tag_range(), ok(&s).digest_range()),
            (Some(6..7), Some(8..s.len()))
        );
        assert_eq!(
            shape("nginx:V1-ALPINE"),
            "-|nginx|V1-ALPINE|- => docker.io/library/nginx"
        );
        // Non-ASCII is never valid, and never panics.
        fails("nginx:1.0é", InvalidTag, "1.0é");
        fails("ngïnx", InvalidPath, "ngïnx");
        fails("ÄBC", UppercasePath, "ÄBC");
    }

    #[test]
    fn edge_from_str_display_and_same_repository() {
        let r: ImageRef = "index.docker.io/nginx:1".parse().unwrap();
        assert_eq!(r.to_string(), "index.docker.io/nginx:1");
        assert_eq!(r.normalized_name(), "docker.io/library/nginx");
        assert!(same_repository(&r, &ok("nginx")));
        assert!(same_repository(
            &ok("docker.io/library/nginx"),
            &ok("library/nginx:2")
        ));
        assert!(!same_repository(&ok("nginx"), &ok("ghcr.io/nginx")));
        assert!(same_repository(
            &ok("my_reg.io/app"),
            &ok("my_reg.io/app:2")
        ));
        assert!(!same_repository(
            &ok("my_reg.io/app"),
            &ok("docker.io/my_reg.io/app")
        ));
    }

    #[test]
    fn registry_port_trap_positives_and_negatives() {
        for s in [
            "my.registry.com:5000",
            "harbor:8443",
            "nginx:8080",
            "localhost:80",
        ] {
            assert!(registry_port_trap(s), "{s}");
        }
        for s in [
            "registry:2",
            "registry:3",
            "amazonlinux:2023",
            "postgres:16",
            "nginx:1.25",
            "localhost:5000/app",
            "localhost",
            "localhost:99999",
            "localhost:0",
            "Localhost:5000",
        ] {
            assert!(!registry_port_trap(s), "{s}");
        }
        assert!(!registry_port_trap(&format!("localhost:5000@{D}")));
    }

    // --- Flux ImageRepository.spec.image -----------------------------------

    #[test]
    fn flux_repository_accepts_plain_and_ported() {
        assert_eq!(
            validate_repository("ghcr.io/org/app").unwrap().name(),
            "ghcr.io/org/app"
        );
        let r = validate_repository("localhost:5000/app").unwrap();
        assert_eq!(r.domain(), Some("localhost:5000"));
        let r = validate_repository("nginx").unwrap();
        assert_eq!(r.normalized_name(), "docker.io/library/nginx");
    }

    #[track_caller]
    fn flux_fails(s: &str, kind: RefErrorKind, fragment: &str) {
        let e = validate_repository(s).unwrap_err();
        assert_eq!((e.kind(), e.fragment()), (kind, fragment), "{s:?}");
        assert_eq!(&s[e.range()], fragment);
    }

    #[test]
    fn flux_repository_rejects_tag_digest_scheme() {
        flux_fails("ghcr.io/org/app:v1.0", HasTag, ":v1.0");
        let msg = "a repository must not include a tag; remove `:v1.0`";
        assert_eq!(
            validate_repository("ghcr.io/org/app:v1.0")
                .unwrap_err()
                .to_string(),
            msg
        );
        flux_fails(&format!("ghcr.io/org/app@{D}"), HasDigest, &format!("@{D}"));
        flux_fails(
            &format!("ghcr.io/org/app:1@{D}"),
            HasTag,
            &format!(":1@{D}"),
        );
        flux_fails("https://ghcr.io/org/app", HasScheme, "https://");
        // The trap: a bare registry address is a repository with a tag.
        flux_fails("registry:5000", HasTag, ":5000");
        // A malformed tag or digest still just has to go.
        flux_fails("ghcr.io/org/app:~1.0", HasTag, ":~1.0");
        flux_fails("ghcr.io/org/app@sha256:abc", HasDigest, "@sha256:abc");
        // Other errors pass through.
        flux_fails("ghcr.io/Org/app", UppercasePath, "Org");
        flux_fails("", Empty, "");
    }

    // --- argocd.md §7.1 ---------------------------------------------------

    #[track_caller]
    fn argo(s: &str) -> ArgoImage {
        parse_argo_item(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    /// `alias|registry|name|constraint|digest`, `-` for absent, `D` for the
    /// digest constant; ranges are checked against the texts.
    #[track_caller]
    fn argo_shape(s: &str) -> String {
        let a = argo(s);
        let at = |r: Option<Range<usize>>| r.map(|r| &s[r]);
        assert_eq!(at(a.alias_range()), a.alias());
        assert_eq!(at(a.registry_range()), a.registry());
        assert_eq!(&s[a.name_range()], a.name());
        assert_eq!(at(a.constraint_range()), a.constraint());
        assert_eq!(at(a.digest_range()), a.digest());
        let (al, re, na) = (show(a.alias()), show(a.registry()), a.name());
        format!(
            "{al}|{re}|{na}|{}|{}",
            show(a.constraint()),
            show(a.digest())
        )
    }

    #[test]
    fn p01_namespaced_without_registry() {
        let s = "jannfis/test-image:0.1";
        assert_eq!(argo_shape(s), "-|-|jannfis/test-image|0.1|-");
        assert_eq!(argo(s).full_name_with_tag(), "jannfis/test-image:0.1");
        assert!(!argo(s).used_legacy_splitter());
    }

    #[test]
    fn p02_single_component() {
        assert_eq!(argo_shape("test-image"), "-|-|test-image|-|-");
        assert_eq!(argo("test-image").full_name_with_tag(), "test-image");
    }

    #[test]
    fn p03_library_not_stripped_when_written_first() {
        assert_eq!(
            argo_shape("library/test-image"),
            "-|-|library/test-image|-|-"
        );
    }

    #[test]
    fn p04_other_registry_keeps_library() {
        let s = "harbor.example.com/library/test-image:0.1";
        assert_eq!(
            argo_shape(s),
            "-|harbor.example.com|library/test-image|0.1|-"
        );
    }

    #[test]
    fn p05_docker_io_kept_when_written() {
        let s = "docker.io/jannfis/test-image:0.1";
        assert_eq!(argo_shape(s), "-|docker.io|jannfis/test-image|0.1|-");
        assert_eq!(argo(s).full_name_with_tag(), s);
    }

    #[test]
    fn p06_short_digest_goes_through_legacy() {
        let s = "gcr.io/jannfis/test-image@sha256:abcde";
        assert_eq!(argo_shape(s), "-|gcr.io|jannfis/test-image|-|sha256:abcde");
        let a = argo(s);
        assert!(a.used_legacy_splitter());
        assert_eq!(a.grammar_error().map(RefError::kind), Some(DigestLength));
        assert_eq!(a.tag_with_digest(), "latest@sha256:abcde");
        assert_eq!(a.full_name_with_tag(), s);
    }

    #[test]
    fn p07_legacy_tag_and_digest() {
        let s = "gcr.io/jannfis/test-image:test-tag@sha256:abcde";
        assert_eq!(
            argo_shape(s),
            "-|gcr.io|jannfis/test-image|test-tag|sha256:abcde"
        );
        let a = argo(s);
        assert!(a.used_legacy_splitter());
        assert_eq!(a.tag_with_digest(), "test-tag@sha256:abcde");
        assert_eq!(a.full_name_with_tag(), s);
    }

    #[test]
    fn p08_grammar_keeps_tag_with_valid_digest() {
        let s = format!("gcr.io/jannfis/test-image:test-tag@{D}");
        assert_eq!(argo_shape(&s), "-|gcr.io|jannfis/test-image|test-tag|D");
        assert!(!argo(&s).used_legacy_splitter());
        assert_eq!(argo(&s).full_name_with_tag(), s);
    }

    #[test]
    fn p09_alias_and_registry() {
        let s = "jannfis/orig-image=gcr.io/jannfis/test-image:0.1";
        assert_eq!(
            argo_shape(s),
            "jannfis/orig-image|gcr.io|jannfis/test-image|0.1|-"
        );
        assert_eq!(argo(s).image_range(), 19..s.len());
        assert_eq!(argo(s).registry_range(), Some(19..25));
    }

    #[test]
    fn p10_alias_and_registry_with_ports() {
        let s = "ghcr.io:4567/jannfis/orig-image=gcr.io:1234/jannfis/test-image:0.1";
        let want = "ghcr.io:4567/jannfis/orig-image|gcr.io:1234|jannfis/test-image|0.1|-";
        assert_eq!(argo_shape(s), want);
        assert_eq!(argo(s).eq_constraint_trap(), None);
    }

    #[test]
    fn p11_undotted_registry_with_port_via_grammar() {
        let s = "classic-web=registry:5000/classic-web";
        assert_eq!(argo_shape(s), "classic-web|registry:5000|classic-web|-|-");
    }

    #[test]
    fn p12_round_trip() {
        for s in [
            "jannfis/argocd=gcr.io/jannfis/orig-image",
            "jannfis/argocd=jannfis/orig-image:0.1",
            "jannfis/argocd=gcr.io/jannfis/orig-image:0.1",
        ] {
            assert_eq!(argo(s).to_argo_string(), s);
        }
    }

    #[test]
    fn p13_has_registry_prefix() {
        assert!(!argo_has_registry_prefix("localhost:5000/image"));
        assert!(argo_has_registry_prefix("192.168.1.1:5000/image"));
        assert!(!argo_has_registry_prefix("org/repo"));
        assert!(argo_has_registry_prefix("10.0.0.1/image"));
        assert!(!argo_has_registry_prefix(""));
        assert!(!argo_has_registry_prefix("/image"));
        assert!(!argo_has_registry_prefix("nginx"));
    }

    #[test]
    fn p14_registry_compared_as_text() {
        let (a, b) = (argo("x/foo:1"), argo("docker.io/x/foo:1"));
        assert!(!a.same_image(&b));
        assert!(a.same_image(&argo("x/foo:2")));
        assert!(!a.same_image(&argo("x/bar:1")));
        // The normalised comparison says they are the same repository.
        assert!(same_repository(
            a.reference().unwrap(),
            b.reference().unwrap()
        ));
    }

    // K5–K8 are Argo CD kustomize override strings. Their items have the
    // same shapes as image-list items, so the parser must split them alike.

    #[test]
    fn k5_ported_registry_with_tag() {
        let s = "ghcr.io:1234/foo/foo:123";
        assert_eq!(
            shape(s),
            "ghcr.io:1234|foo/foo|123|- => ghcr.io:1234/foo/foo"
        );
        assert_eq!(argo_shape(s), "-|ghcr.io:1234|foo/foo|123|-");
    }

    #[test]
    fn k6_alias_with_port_and_new_name() {
        let s = "ghcr.io:1234/foo/foo=ghcr.io:1234/bar";
        assert_eq!(argo_shape(s), "ghcr.io:1234/foo/foo|ghcr.io:1234|bar|-|-");
        assert_eq!(argo(s).image(), "ghcr.io:1234/bar");
    }

    #[test]
    fn k7_alias_and_digest() {
        assert_eq!(
            argo_shape(&format!("foo=acme/app@{D}")),
            "foo|-|acme/app|-|D"
        );
    }

    #[test]
    fn k8_item_shapes() {
        assert_eq!(argo_shape("foo"), "-|-|foo|-|-");
        assert_eq!(argo_shape("foo=bar"), "foo|-|bar|-|-");
        assert_eq!(argo_shape("baz@sha12345"), "-|-|baz|-|sha12345");
        assert!(argo("baz@sha12345").used_legacy_splitter());
        assert_eq!(argo_shape("bar:123"), "-|-|bar|123|-");
        assert_eq!(argo_shape("foo=bar:123"), "foo|-|bar|123|-");
    }

    // --- argocd.md §6 constraints and quirks -------------------------------

    #[test]
    fn argo_constraints_use_legacy_splitter() {
        for (s, want) in [
            ("nginx:~1.2", "-|-|nginx|~1.2|-"),
            ("bitnami/nginx:^1", "-|-|bitnami/nginx|^1|-"),
            ("ghcr.io/org/app:1.2.*", "-|ghcr.io|org/app|1.2.*|-"),
            ("web=ghcr.io/org/app:>=1.0", "web|ghcr.io|org/app|>=1.0|-"),
            ("nginx:1.0 - 2.0", "-|-|nginx|1.0 - 2.0|-"),
        ] {
            assert_eq!(argo_shape(s), want);
            assert!(argo(s).used_legacy_splitter(), "{s}");
        }
        // A grammar-valid "constraint" goes through the grammar.
        assert_eq!(argo_shape("nginx:1.20"), "-|-|nginx|1.20|-");
        assert!(!argo("nginx:1.20").used_legacy_splitter());
    }

    #[test]
    fn argo_legacy_ignores_undotted_ports() {
        assert_eq!(
            argo_shape("localhost:5000/app:~1.0"),
            "-|-|localhost|5000/app:~1.0|-"
        );
        assert_eq!(argo_shape("myreg:5000/app:^1"), "-|-|myreg|5000/app:^1|-");
        // A dotted host works.
        assert_eq!(
            argo_shape("reg.local:5000/app:^1"),
            "-|reg.local:5000|app|^1|-"
        );
    }

    #[test]
    fn argo_eq_trap() {
        let s = "nginx:>=1.0";
        assert_eq!(argo_shape(s), "nginx:>|-|1.0|-|-");
        let r = argo(s).eq_constraint_trap().unwrap();
        assert_eq!((&s[r.clone()], &s[..r.start - 1]), (">=1.0", "nginx"));
        for (s, meant) in [
            ("nginx:<=2", "<=2"),
            ("app:!=1.2", "!=1.2"),
            ("app:=1.0", "=1.0"),
            ("app:>1 <=2", ">1 <=2"),
        ] {
            assert_eq!(
                argo(s).eq_constraint_trap().map(|r| &s[r]),
                Some(meant),
                "{s}"
            );
        }
        for s in [
            "web=nginx:>=1.0",
            "nginx=nginx:>=1.0",
            "ghcr.io:4567/x=y",
            "web=nginx",
            "nginx:~1",
        ] {
            assert_eq!(argo(s).eq_constraint_trap(), None, "{s}");
        }
    }

    #[test]
    fn argo_double_equals_loses_registry() {
        // Registry looked for in "b", name taken from "b=c.io/x:~1".
        assert_eq!(argo_shape("a=b=c.io/x:~1"), "a|-|x|~1|-");
        assert_eq!(argo_shape("invalid==foo"), "invalid|-|=foo|-|-");
    }

    #[test]
    fn argo_docker_hub_mapping() {
        assert_eq!(
            argo_shape("docker.io/library/nginx:1.25"),
            "-|docker.io|nginx|1.25|-"
        );
        assert_eq!(argo("docker.io/library/nginx:1.25").name_range(), 18..23);
        assert_eq!(argo_shape("index.docker.io/library/nginx"), "-|-|nginx|-|-");
        assert_eq!(argo_shape("index.docker.io/nginx:1"), "-|-|nginx|1|-");
        assert_eq!(argo_shape("docker.io/nginx"), "-|docker.io|nginx|-|-");
        assert_eq!(
            argo_shape("docker.io/library/library/nginx"),
            "-|docker.io|library/nginx|-|-"
        );
        assert_eq!(argo_shape("quay.io/library/x"), "-|quay.io|library/x|-|-");
        // Go's quirk: bare `docker.io` is Docker Hub's `library/docker.io`,
        // and the text starts with `docker.io`, so the registry stays.
        assert_eq!(argo_shape("docker.io:1"), "-|docker.io|docker.io|1|-");
        assert_eq!(
            argo("docker.io:1").full_name_with_tag(),
            "docker.io/docker.io:1"
        );
        // A dotted first component that is no host: Domain "".
        assert_eq!(argo_shape("my_reg.io/app"), "-|-|my_reg.io/app|-|-");
        assert!(!argo("my_reg.io/app").used_legacy_splitter());
    }

    #[test]
    fn argo_errors_and_empty_parts() {
        assert_eq!(parse_argo_item("").unwrap_err().kind(), Empty);
        let e = parse_argo_item("web=").unwrap_err();
        assert_eq!((e.kind(), e.range()), (Empty, 4..4));
        assert_eq!(argo_shape("=nginx"), "|-|nginx|-|-");
        assert_eq!(argo("=nginx").to_argo_string(), "nginx");
        assert_eq!(argo_shape("nginx:"), "-|-|nginx||-");
        assert_eq!(argo("nginx:").full_name_with_tag(), "nginx");
    }

    #[test]
    fn argo_list_split() {
        let list = " web=nginx:~1.26 ,, ,api=ghcr.io/org/api ,";
        let items: Vec<&str> = split_argo_image_list(list)
            .into_iter()
            .map(|r| &list[r])
            .collect();
        assert_eq!(items, ["web=nginx:~1.26", "api=ghcr.io/org/api"]);
        assert!(split_argo_image_list(" , ,").is_empty());
        assert!(split_argo_image_list("").is_empty());
    }

    #[test]
    fn argo_grammar_error_ranges_index_the_item() {
        let a = argo("web=nginx:~1.2");
        let e = a.grammar_error().unwrap();
        assert_eq!(
            (e.kind(), e.range(), &a.as_str()[e.range()]),
            (InvalidTag, 10..14, "~1.2")
        );
        let a = argo("web=ghcr.io/org/app:1");
        let r = a.reference().unwrap();
        assert_eq!(
            (r.as_str(), r.tag_range()),
            ("ghcr.io/org/app:1", Some(16..17))
        );
    }

    // --- never panic --------------------------------------------------------

    use crate::testutil::Rng;

    /// Every entry point on `s`: no panic, every range slices `s`, and
    /// normalising a valid reference is idempotent.
    #[track_caller]
    fn exercise(s: &str) {
        let in_bounds = |r: &Range<usize>| s.get(r.clone()).is_some();
        match parse(s) {
            Ok(r) => {
                let ranges = [r.domain_range(), r.tag_range(), r.digest_range()];
                for range in ranges
                    .into_iter()
                    .flatten()
                    .chain([r.name_range(), r.path_range()])
                {
                    assert!(in_bounds(&range), "{s:?}: {range:?}");
                }
                let _ = (r.familiar_name(), r.effective_tag(), r.to_string());
                let n = ok(&r.normalized());
                assert_eq!(n.normalized(), r.normalized(), "{s:?}");
                assert!(same_repository(&r, &n), "{s:?}");
            }
            Err(e) => {
                assert!(in_bounds(&e.range()), "{s:?}: {:?}", e.range());
                assert!(!e.to_string().is_empty());
            }
        }
        match validate_repository(s) {
            Ok(r) => assert!(r.tag().is_none() && r.digest().is_none()),
            Err(e) => assert!(in_bounds(&e.range()), "{s:?}: {:?}", e.range()),
        }
        let _ = (registry_port_trap(s), argo_has_registry_prefix(s));
        assert!(split_argo_image_list(s).iter().all(in_bounds));
        match parse_argo_item(s) {
            Ok(a) => {
                let ranges = [
                    a.alias_range(),
                    a.registry_range(),
                    a.constraint_range(),
                    a.digest_range(),
                    a.eq_constraint_trap(),
                    a.grammar_error().map(RefError::range),
                ];
                for range in ranges
                    .into_iter()
                    .flatten()
                    .chain([a.image_range(), a.name_range()])
                {
                    assert!(in_bounds(&range), "{s:?}: {range:?}");
                }
                let _ = (a.to_argo_string(), a.tag_with_digest(), a.same_image(&a));
            }
            Err(e) => assert!(in_bounds(&e.range())),
        }
    }

    #[test]
    fn no_panic_on_random_characters() {
        let alphabet: Vec<char> = "aZ09._-/:@=~^<>*+ [],é€\u{3000}ÄsSha256xX"
            .chars()
            .collect();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..400 {
            let len = rng.below(40);
            let s: String = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            exercise(&s);
        }
    }

    #[test]
    fn no_panic_on_random_reference_pieces() {
        let h = hex(64);
        let digest = format!("sha256:{h}");
        let pieces = [
            "docker.io",
            "index.docker.io",
            "ghcr.io",
            "localhost",
            ":5000",
            "[::1]",
            "library",
            "nginx",
            "a",
            "b-c",
            "x__y",
            "my_reg.io",
            "/",
            "/",
            ":",
            "@",
            "=",
            "1.0",
            "~1",
            ">=",
            "_",
            ".",
            "-",
            "Up",
            &h,
            &digest,
            "sha512:",
            "é",
            "",
        ];
        let mut rng = Rng(42);
        let mut valid = 0;
        for _ in 0..600 {
            let n = 1 + rng.below(7);
            let s: String = (0..n).map(|_| pieces[rng.below(pieces.len())]).collect();
            exercise(&s);
            valid += usize::from(parse(&s).is_ok());
        }
        // The generator must reach the success paths too.
        assert!(valid > 50, "only {valid} valid references generated");
    }
}
