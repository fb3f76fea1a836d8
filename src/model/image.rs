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

/// The tag of a reference, or the value itself when it has none (a bare
/// tag, or text that is not a reference): what Argo CD compares.
pub fn tag_or_value(v: &str) -> String {
    parse(v)
        .ok()
        .and_then(|r| r.tag().map(str::to_owned))
        .unwrap_or_else(|| v.to_owned())
}

/// Equal, or equal by [`tag_or_value`]: a full reference and a bare tag
/// name the same update.
pub fn same_tag(a: &str, b: &str) -> bool {
    a == b || tag_or_value(a) == tag_or_value(b)
}

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
mod tests;
