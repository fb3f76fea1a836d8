//! Cached working copies for `--clone URL`: one folder per URL under the
//! user's cache (`$XDG_CACHE_HOME`, else `~/.cache`,
//! `kubectl-imageupdate/clones/<hash of the URL>`), created empty on first
//! use and brought to the remote's tip by [`super::writeback`] on every run
//! (hard reset, untracked files removed: the folder is ours).
//!
//! The URL is stored without credentials (`kubectl-imageupdate.url`,
//! `remote.origin.url`); network operations use the URL as given, in
//! memory only. Hands on an open [`Repository`].

#![allow(clippy::disallowed_methods)] // an I/O module

use std::fs;
use std::path::{Path, PathBuf};

use git2::Repository;

use super::push::redact;
use super::{ErrorKind, GitError};

/// FNV-1a, 64 bits: stable across releases (unlike std's hasher).
fn fnv64(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// The user's cache folder for kubectl-imageupdate.
pub fn cache_root() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty() && Path::new(v).is_absolute())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("kubectl-imageupdate")
}

/// Where `--clone URL` keeps its working copy by default.
pub fn cache_dir(url: &str) -> PathBuf {
    cache_root()
        .join("clones")
        .join(format!("{:016x}", fnv64(&redact(url))))
}

/// Opens the cached working copy of `url` in `dir`, creating an empty
/// repository there on first use.
pub fn open_cache(url: &str, dir: &Path) -> Result<Repository, GitError> {
    let shown = redact(url);
    let other = |m: String| GitError::new(ErrorKind::Usage, m);
    if dir.exists() {
        let is_empty = fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !is_empty {
            let repo = Repository::open(dir).map_err(|e| {
                other(format!(
                    "--clone-dir {} exists and is not a git working copy: {}",
                    dir.display(),
                    e.message()
                ))
            })?;
            let stored = repo
                .config()
                .and_then(|c| c.get_string("kubectl-imageupdate.url"))
                .unwrap_or_default();
            if stored != shown {
                return Err(other(format!(
                    "--clone-dir {} holds a working copy of {}, not {shown}",
                    dir.display(),
                    if stored.is_empty() {
                        "another repository".to_owned()
                    } else {
                        stored
                    }
                )));
            }
            return Ok(repo);
        }
    }
    fs::create_dir_all(dir).map_err(|e| {
        GitError::new(
            ErrorKind::Other,
            format!("cannot create {}: {e}", dir.display()),
        )
    })?;
    let repo = Repository::init(dir)?;
    {
        let mut cfg = repo.config()?;
        cfg.set_str("kubectl-imageupdate.url", &shown)?;
    }
    repo.remote("origin", &shown)?;
    Ok(repo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_dir_is_stable_and_credential_free() {
        let a = cache_dir("https://alice:secret@example.com/org/repo.git");
        let b = cache_dir("https://example.com/org/repo.git");
        assert_eq!(a, b);
        assert!(!a.to_string_lossy().contains("secret"));
        assert_eq!(fnv64(""), 0xcbf29ce484222325);
        assert_eq!(fnv64("a"), 0xaf63dc4c8601ec8c);
    }
}
