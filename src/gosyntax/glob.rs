//! Go `path/filepath.Match` globs (Unix flavour), as Argo CD Image Updater
//! applies them to `ignore-tags`.
//!
//! Syntax: `*` (any run without `/`), `?` (one character except `/`),
//! `[abc]`, `[a-z]`, `[^…]` (the only negation: `[!…]` matches a literal
//! `!`), and `\` escapes. Go reports every malformed pattern as the single
//! error `syntax error in pattern` (`ErrBadPattern`) and Argo CD then treats
//! the pattern as matching nothing; [`validate_glob`] says where the problem
//! is so a linter can point at it.
//!
//! This is a port of Go's `Match`, including the check (added after Go 1.19)
//! that validates the rest of the pattern before returning "no match", so a
//! malformed pattern is an error whatever the name.

use std::fmt;

/// Go's only `filepath.Match` error text.
pub const GO_BAD_PATTERN: &str = "syntax error in pattern";

/// Where and why Go would return `ErrBadPattern`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobError {
    /// A specific explanation; Go itself only ever says [`GO_BAD_PATTERN`].
    pub message: String,
    /// Byte offset in the pattern of the offending character (for an
    /// unclosed class, of its `[`).
    pub offset: usize,
}

impl fmt::Display for GlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{GO_BAD_PATTERN}: {} (at byte {})",
            self.message, self.offset
        )
    }
}

impl std::error::Error for GlobError {}

/// `Ok` exactly when Go's `filepath.Match` would not return `ErrBadPattern`.
pub fn validate_glob(pattern: &str) -> Result<(), GlobError> {
    go_match(pattern.as_bytes(), b"").map(|_| ())
}

/// Go's `filepath.Match(pattern, name)`, with a malformed pattern matching
/// nothing (which is what Argo CD does with the error).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    go_match(pattern.as_bytes(), name.as_bytes()).unwrap_or(false)
}

/// True when the pattern has a class written `[!…]`. Shell users expect
/// negation; Go treats the `!` as a literal member, so `[!a]*` ignores tags
/// starting with `!` or `a` instead of everything not starting with `a`.
pub fn uses_bang_negation(pattern: &str) -> bool {
    find_bang_negation(pattern).is_some()
}

/// Byte offset of the `!` in the first `[!…]` class, if any.
pub fn find_bang_negation(pattern: &str) -> Option<usize> {
    let p = pattern.as_bytes();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            b'\\' => i += 2,
            b'[' => {
                if p.get(i + 1) == Some(&b'!') {
                    return Some(i + 1);
                }
                // Skip to the class end; Go forbids `]` as a first member,
                // so the first unescaped `]` after `[` closes it.
                i += 1;
                while i < p.len() && p[i] != b']' {
                    i += if p[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

type Res<T> = Result<T, GlobError>;

fn bad(message: &str, offset: usize) -> GlobError {
    GlobError {
        message: message.to_string(),
        offset,
    }
}

/// Port of Go's `Match`. Pattern positions are carried as indices into the
/// whole pattern so errors can report offsets.
fn go_match(pat: &[u8], mut name: &[u8]) -> Res<bool> {
    let mut pos = 0;
    'pattern: while pos < pat.len() {
        let (star, chunk, next) = scan_chunk(pat, pos);
        pos = next;
        if star && chunk.is_empty() {
            // A trailing `*` matches the rest unless it crosses a separator.
            return Ok(!name.contains(&b'/'));
        }
        let first = match_chunk(pat, chunk.clone(), name)?;
        if let Some(t) = first
            && (t.is_empty() || pos < pat.len())
        {
            name = t;
            continue;
        }
        if star {
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                if let Some(t) = match_chunk(pat, chunk.clone(), &name[i + 1..])? {
                    // The last chunk must consume the whole name.
                    if pos >= pat.len() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                i += 1;
            }
        }
        // Go validates the rest of the pattern before answering "no match".
        while pos < pat.len() {
            let (_, chunk, next) = scan_chunk(pat, pos);
            pos = next;
            match_chunk(pat, chunk, b"")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Go's `scanChunk`: skips leading stars and returns the following run up to
/// the next star outside a class.
fn scan_chunk(pat: &[u8], mut pos: usize) -> (bool, std::ops::Range<usize>, usize) {
    let mut star = false;
    while pos < pat.len() && pat[pos] == b'*' {
        pos += 1;
        star = true;
    }
    let start = pos;
    let mut in_range = false;
    let mut i = pos;
    while i < pat.len() {
        match pat[i] {
            // A trailing `\` is left for match_chunk to reject, as in Go.
            b'\\' if i + 1 < pat.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, start..i, i)
}

/// Go's `matchChunk`: `Ok(Some(rest))` on a match, `Ok(None)` on a clean
/// mismatch. After a mismatch it keeps walking the chunk so that syntax
/// errors are still reported, as Go does.
fn match_chunk<'a>(
    pat: &[u8],
    chunk: std::ops::Range<usize>,
    mut s: &'a [u8],
) -> Res<Option<&'a [u8]>> {
    let mut i = chunk.start;
    let end = chunk.end;
    let mut failed = false;
    while i < end {
        if !failed && s.is_empty() {
            failed = true;
        }
        match pat[i] {
            b'[' => {
                let open = i;
                let mut r: u32 = 0;
                if !failed {
                    let (c, n) = decode_rune(s);
                    r = c;
                    s = &s[n..];
                }
                i += 1;
                let negated = i < end && pat[i] == b'^';
                if negated {
                    i += 1;
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if i < end && pat[i] == b']' && nrange > 0 {
                        i += 1;
                        break;
                    }
                    let (lo, next) = get_esc(pat, i, end, open, nrange == 0, false)?;
                    i = next;
                    let mut hi = lo;
                    // get_esc guarantees a byte follows.
                    if pat[i] == b'-' {
                        let (h, next) = get_esc(pat, i + 1, end, open, false, true)?;
                        hi = h;
                        i = next;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s[0] == b'/' {
                        failed = true;
                    }
                    let (_, n) = decode_rune(s);
                    s = &s[n..];
                }
                i += 1;
            }
            c => {
                let mut lit = c;
                if c == b'\\' {
                    i += 1;
                    if i >= end {
                        return Err(bad("trailing backslash escapes nothing", i - 1));
                    }
                    lit = pat[i];
                }
                if !failed {
                    if lit != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                i += 1;
            }
        }
    }
    Ok(if failed { None } else { Some(s) })
}

/// Go's `getEsc`: one possibly-escaped class member. `open` is the offset of
/// the class's `[` (for "unclosed" errors); `first` and `upper` only choose
/// the error wording.
fn get_esc(
    pat: &[u8],
    mut i: usize,
    end: usize,
    open: usize,
    first: bool,
    upper: bool,
) -> Res<(u32, usize)> {
    if i >= end {
        return Err(bad("unclosed character class", open));
    }
    match pat[i] {
        b'-' if upper => return Err(bad("'-' must be escaped as the end of a range", i)),
        b'-' => return Err(bad("'-' must be escaped at the start of a class member", i)),
        b']' if upper => return Err(bad("range has no upper bound", i)),
        b']' if first => return Err(bad("empty character class", i)),
        b']' => return Err(bad("unexpected ']'", i)),
        b'\\' => {
            i += 1;
            if i >= end {
                return Err(bad("trailing backslash escapes nothing", i - 1));
            }
        }
        _ => {}
    }
    let (r, n) = decode_rune(&pat[i..end]);
    i += n;
    if i >= end {
        return Err(bad("unclosed character class", open));
    }
    Ok((r, i))
}

/// UTF-8 decode of the first character; the inputs come from `&str`, so the
/// replacement fallback only guards against a chunk boundary mid-character.
fn decode_rune(s: &[u8]) -> (u32, usize) {
    let n = match s.first() {
        None => return (0xFFFD, 0),
        Some(&b) if b < 0x80 => 1,
        Some(&b) if b >= 0xF0 => 4,
        Some(&b) if b >= 0xE0 => 3,
        Some(_) => 2,
    };
    match s
        .get(..n)
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|t| t.chars().next())
    {
        Some(c) => (c as u32, n),
        None => (0xFFFD, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_at(p: &str) -> usize {
        validate_glob(p).expect_err(p).offset
    }

    #[test]
    fn bad_patterns_like_go() {
        assert_eq!(err_at("["), 0);
        assert_eq!(err_at("tag["), 3);
        assert_eq!(err_at("[a-z"), 0);
        assert_eq!(err_at("a[bc"), 1);
        assert_eq!(err_at("[]"), 1);
        assert_eq!(err_at("[]a]"), 1);
        // Unlike POSIX shells, Go does not take `]` as a first member.
        assert_eq!(err_at("[]]"), 1);
        assert_eq!(err_at("[^]"), 2);
        assert_eq!(err_at("x\\"), 1);
        assert_eq!(err_at("[a\\"), 2);
        assert_eq!(err_at("[\\]"), 0);
        assert_eq!(err_at("[-a]"), 1);
        assert_eq!(err_at("[a-]"), 3);
        assert_eq!(err_at("[a--]"), 3);
        assert_eq!(err_at("[a-b-c]"), 4);
        // Go checks the rest of the pattern even after a mismatch.
        assert_eq!(err_at("a*["), 2);
        assert_eq!(err_at("*["), 1);
        assert_eq!(err_at("x*y*[z"), 4);
        assert!(validate_glob("[]a]").unwrap_err().message.contains("empty"));
        assert!(validate_glob("[").unwrap_err().message.contains("unclosed"));
        assert!(
            validate_glob("a\\")
                .unwrap_err()
                .message
                .contains("backslash")
        );
        assert_eq!(
            validate_glob("[").unwrap_err().to_string(),
            "syntax error in pattern: unclosed character class (at byte 0)"
        );
    }

    #[test]
    fn good_patterns_validate() {
        for p in [
            "",
            "*",
            "tag?",
            "[abc]",
            "[a-z]*",
            "[^a]",
            "[!a]",
            "\\*",
            "[\\]]",
            "[\\-]",
            "v1.*-rc[0-9]",
            "[z-a]",
            "[*]",
            "a**b",
        ] {
            assert_eq!(validate_glob(p), Ok(()), "{p}");
        }
    }

    #[test]
    fn argocd_rows_s17_s18() {
        let ignored = |tag: &str, pats: &[&str]| pats.iter().any(|p| glob_match(p, tag));
        // S17
        assert!(ignored("tag1", &["tag1", "tag2"]));
        assert!(ignored("tag2", &["tag1", "tag2"]));
        assert!(!ignored("tag3", &["tag1", "tag2"]));
        // S18
        assert!(ignored("tag1", &["tag?", "foo"]));
        assert!(ignored("foo", &["tag?", "foo"]));
        assert!(!ignored("tag10", &["tag?", "foo"]));
    }

    #[test]
    fn matching_semantics() {
        assert!(glob_match("*", "anything"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("*", "a/b"));
        assert!(glob_match("v1.*", "v1.2.3"));
        assert!(!glob_match("v1.*", "v10.0"));
        assert!(glob_match("*-rc*", "1.0-rc1"));
        assert!(glob_match("[a-c]x", "bx"));
        assert!(!glob_match("[a-c]x", "dx"));
        assert!(glob_match("[^a-c]x", "dx"));
        assert!(!glob_match("[^a-c]x", "ax"));
        assert!(glob_match("\\*", "*"));
        assert!(!glob_match("\\*", "a"));
        assert!(glob_match("?", "é"));
        assert!(glob_match("[é]", "é"));
        assert!(!glob_match("?", "/"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b", "ab/b"));
        assert!(!glob_match("[z-a]x", "bx"));
        // Malformed patterns match nothing, even a name they "start" to match.
        assert!(!glob_match("tag[", "tag["));
        assert!(!glob_match("[", ""));
    }

    #[test]
    fn bang_is_literal_in_go() {
        assert!(uses_bang_negation("[!a]*"));
        assert_eq!(find_bang_negation("v[!0-9]"), Some(2));
        assert!(!uses_bang_negation("[^a]*"));
        assert!(!uses_bang_negation("\\[!a]"));
        assert!(!uses_bang_negation("[a!]"));
        assert!(!uses_bang_negation("!x"));
        // `[!a]` is the class {'!', 'a'}.
        assert!(glob_match("[!a]", "a"));
        assert!(glob_match("[!a]", "!"));
        assert!(!glob_match("[!a]", "b"));
    }

    #[test]
    fn never_panics_on_random_input() {
        let mut rng = crate::testutil::Rng::new(0x61_0B);
        for _ in 0..3000 {
            let p = rng.string_from("ab*?[]^!-\\/é", 8);
            let s = rng.string_from("ab*?[]!-/é", 6);
            let valid = validate_glob(&p).is_ok();
            let m = glob_match(&p, &s);
            assert!(valid || !m, "{p:?} {s:?}");
            let _ = uses_bang_negation(&p);
        }
    }
}
