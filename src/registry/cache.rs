//! The on-disk cache: tag lists and tag → manifest answers (mutable, kept
//! for a TTL) and manifests and configs by digest (immutable, verified
//! against their digest before they are stored). One JSON file per entry
//! under `$XDG_CACHE_HOME/kubectl-imageupdate` (else
//! `~/.cache/kubectl-imageupdate`, or `--cache-dir`), named by the SHA-256
//! of its key; the key (an API URL and repository path, a tag, a digest)
//! is stored inside and checked on read. Writes go to a temporary file in
//! the same folder and are renamed into place, so concurrent processes
//! see either the old or the new entry, never a torn one. Nothing here
//! ever receives a credential or token: only keys and parsed answers.
//! Every failure is a miss; the cache never fails a run.

#![allow(clippy::disallowed_methods)] // an I/O module

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::manifest::sha256_digest;

/// Entry kinds; each is a sub-folder. Mutable kinds expire after the TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tags,
    /// A tag's digest from a HEAD (when nothing else was needed).
    TagDigest,
    TagManifest,
    Manifest,
    Config,
}

impl Kind {
    fn dir(self) -> &'static str {
        match self {
            Kind::Tags => "tags",
            Kind::TagDigest => "tag-digests",
            Kind::TagManifest => "tag-manifests",
            Kind::Manifest => "manifests",
            Kind::Config => "configs",
        }
    }

    fn mutable(self) -> bool {
        matches!(self, Kind::Tags | Kind::TagDigest | Kind::TagManifest)
    }
}

/// How the cache is used in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Read fresh entries, write new answers.
    Normal,
    /// `--refresh`: ignore mutable entries (still reuse digest-addressed
    /// ones, which cannot change), write new answers.
    Refresh,
    /// `--no-cache`: neither read nor write.
    Off,
}

#[derive(Debug)]
pub struct DiskCache {
    root: Option<PathBuf>,
    ttl: Duration,
    mode: Mode,
    counter: AtomicU64,
}

#[derive(Serialize, serde::Deserialize)]
struct Envelope<T> {
    key: String,
    /// Seconds since the Unix epoch.
    stored: u64,
    value: T,
}

/// Layout version: bump when the stored shapes change.
const VERSION: &str = "v1";

impl DiskCache {
    /// `dir` overrides the default location; `None` there and no usable
    /// default (no `HOME`) disables the cache.
    pub fn new(dir: Option<PathBuf>, ttl: Duration, mode: Mode) -> DiskCache {
        let root = if mode == Mode::Off {
            None
        } else {
            dir.or_else(default_dir).map(|d| d.join(VERSION))
        };
        DiskCache {
            root,
            ttl,
            mode,
            counter: AtomicU64::new(0),
        }
    }

    pub fn disabled() -> DiskCache {
        DiskCache::new(None, Duration::ZERO, Mode::Off)
    }

    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    fn path(&self, kind: Kind, key: &str) -> Option<PathBuf> {
        let digest = sha256_digest(key.as_bytes());
        let name = digest.trim_start_matches("sha256:");
        Some(
            self.root
                .as_ref()?
                .join(kind.dir())
                .join(format!("{name}.json")),
        )
    }

    pub fn get<T: DeserializeOwned>(&self, kind: Kind, key: &str) -> Option<T> {
        if kind.mutable() && self.mode == Mode::Refresh {
            return None;
        }
        let path = self.path(kind, key)?;
        let bytes = std::fs::read(path).ok()?;
        let env: Envelope<T> = serde_json::from_slice(&bytes).ok()?;
        if env.key != key {
            return None;
        }
        if kind.mutable() {
            let now = now_secs();
            // A timestamp from the future (clock skew) is not trusted.
            if env.stored > now + 60 || now.saturating_sub(env.stored) >= self.ttl.as_secs() {
                return None;
            }
        }
        Some(env.value)
    }

    pub fn put<T: Serialize>(&self, kind: Kind, key: &str, value: &T) {
        let Some(path) = self.path(kind, key) else {
            return;
        };
        let env = Envelope {
            key: key.to_owned(),
            stored: now_secs(),
            value,
        };
        let Ok(bytes) = serde_json::to_vec(&env) else {
            return;
        };
        let _ = self.write_atomic(&path, &bytes);
    }

    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let dir = path.parent().ok_or(std::io::ErrorKind::NotFound)?;
        std::fs::create_dir_all(dir)?;
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(
            ".tmp-{}-{n}-{}",
            std::process::id(),
            path.file_name().and_then(|f| f.to_str()).unwrap_or("entry")
        ));
        let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

/// `$XDG_CACHE_HOME/kubectl-imageupdate`, else `~/.cache/kubectl-imageupdate`.
pub fn default_dir() -> Option<PathBuf> {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from("XDG_CACHE_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| from("HOME").map(|h| h.join(".cache")))
        .map(|d| d.join("kubectl-imageupdate"))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> (tempfile::TempDir, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("cache");
        (t, p)
    }

    #[test]
    fn round_trip_ttl_refresh_off() {
        let (_t, dir) = tmp();
        let c = DiskCache::new(Some(dir.clone()), Duration::from_secs(300), Mode::Normal);
        let tags = vec!["1.0".to_owned(), "2.0".to_owned()];
        c.put(Kind::Tags, "http://h/v2/a", &tags);
        assert_eq!(
            c.get::<Vec<String>>(Kind::Tags, "http://h/v2/a"),
            Some(tags.clone())
        );
        assert_eq!(c.get::<Vec<String>>(Kind::Tags, "http://h/v2/b"), None);
        c.put(Kind::Config, "sha256:x", &"cfg".to_owned());

        let expired = DiskCache::new(Some(dir.clone()), Duration::ZERO, Mode::Normal);
        assert_eq!(
            expired.get::<Vec<String>>(Kind::Tags, "http://h/v2/a"),
            None
        );
        // Digest-addressed entries do not expire.
        assert_eq!(
            expired.get::<String>(Kind::Config, "sha256:x").as_deref(),
            Some("cfg")
        );

        let refresh = DiskCache::new(Some(dir.clone()), Duration::from_secs(300), Mode::Refresh);
        assert_eq!(
            refresh.get::<Vec<String>>(Kind::Tags, "http://h/v2/a"),
            None
        );
        assert!(refresh.get::<String>(Kind::Config, "sha256:x").is_some());

        let off = DiskCache::new(Some(dir.clone()), Duration::from_secs(300), Mode::Off);
        assert!(off.root().is_none());
        off.put(Kind::Tags, "http://h/v2/off", &tags);
        assert_eq!(c.get::<Vec<String>>(Kind::Tags, "http://h/v2/off"), None);

        // No temporary files are left behind.
        let leftovers: Vec<_> = std::fs::read_dir(dir.join(VERSION).join("tags"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn corrupt_entries_are_misses() {
        let (_t, dir) = tmp();
        let c = DiskCache::new(Some(dir.clone()), Duration::from_secs(300), Mode::Normal);
        c.put(Kind::Tags, "k", &vec!["a".to_owned()]);
        let path = c.path(Kind::Tags, "k").unwrap();
        std::fs::write(&path, b"{\"key\":\"k\",\"stored\":").unwrap();
        assert_eq!(c.get::<Vec<String>>(Kind::Tags, "k"), None);
        // A file whose stored key differs (a hash collision) is a miss.
        std::fs::write(&path, br#"{"key":"other","stored":1,"value":["a"]}"#).unwrap();
        assert_eq!(c.get::<Vec<String>>(Kind::Tags, "k"), None);
    }

    #[test]
    fn concurrent_writers_never_tear() {
        let (_t, dir) = tmp();
        let c = DiskCache::new(Some(dir.clone()), Duration::from_secs(300), Mode::Normal);
        let big: Vec<String> = (0..5000).map(|i| format!("tag-{i}")).collect();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..20 {
                        c.put(Kind::Tags, "k", &big);
                        if let Some(v) = c.get::<Vec<String>>(Kind::Tags, "k") {
                            assert_eq!(v.len(), 5000);
                        }
                    }
                });
            }
        });
    }
}
