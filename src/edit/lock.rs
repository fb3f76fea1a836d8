//! The repository lock: one `apply` at a time writes a repository. Two runs
//! that interleave their check-and-rename steps can otherwise each see the
//! other's write as "changed since it was read", and one run's rollback
//! could undo what the other reported as written.
//!
//! The lock is `flock(2)` on the repository folder itself, so nothing is
//! created in the user's tree and a crashed run leaves nothing behind: the
//! kernel drops the lock with the process. It is advisory: other writers are
//! still caught by the changed-since-read check in [`super::write`].

#![allow(clippy::disallowed_methods)] // an I/O module

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use super::EditError;

/// Held for as long as it lives.
#[derive(Debug)]
pub struct RepoLock {
    _dir: File,
}

/// How often a waiting run tries again.
const POLL: Duration = Duration::from_millis(25);

/// Takes the lock on `root`, waiting at most `wait` for another run to let
/// go of it; `on_wait` is called once if this run has to wait.
pub fn lock(root: &Path, wait: Duration, on_wait: impl FnOnce()) -> Result<RepoLock, EditError> {
    let name = root.display().to_string();
    let dir = File::open(root).map_err(|e| EditError::new(&name, format!("cannot lock: {e}")))?;
    let deadline = Instant::now() + wait;
    let mut on_wait = Some(on_wait);
    loop {
        match try_lock(&dir) {
            Ok(true) => return Ok(RepoLock { _dir: dir }),
            Ok(false) => {}
            Err(e) => return Err(EditError::new(&name, format!("cannot lock: {e}"))),
        }
        if let Some(f) = on_wait.take() {
            f();
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(EditError::new(
                &name,
                format!(
                    "another apply has held this repository for over {} s; try again when it ends",
                    wait.as_secs()
                ),
            ));
        }
        std::thread::sleep(POLL.min(deadline - now));
    }
}

#[cfg(unix)]
#[allow(unsafe_code)] // flock(2); std's File::try_lock needs Rust 1.89, above our MSRV
fn try_lock(dir: &File) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor this function borrows; no memory is passed.
    let rc = unsafe { libc::flock(dir.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EWOULDBLOCK) => Ok(false),
        Some(libc::EINTR) => Ok(false),
        // A filesystem without locks (some NFS mounts) must not stop every
        // apply: the changed-since-read check still guards each file.
        Some(libc::ENOLCK | libc::EOPNOTSUPP | libc::EINVAL) => Ok(true),
        _ => Err(err),
    }
}

#[cfg(not(unix))]
fn try_lock(_dir: &File) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn a_second_holder_waits_then_times_out_and_gets_it_once_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path(), Duration::ZERO, || {}).unwrap();
        let waited = AtomicBool::new(false);
        let err = lock(dir.path(), Duration::from_millis(60), || {
            waited.store(true, Ordering::Relaxed)
        })
        .unwrap_err();
        assert!(waited.load(Ordering::Relaxed));
        assert!(err.message.contains("another apply"), "{err}");
        drop(first);
        let second = lock(dir.path(), Duration::ZERO, || panic!("must not wait"));
        assert!(second.is_ok());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no lock file is left"
        );
    }

    #[test]
    fn a_waiting_holder_gets_the_lock_when_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path(), Duration::ZERO, || {}).unwrap();
        let path = dir.path().to_path_buf();
        let waiter =
            std::thread::spawn(move || lock(&path, Duration::from_secs(30), || {}).is_ok());
        std::thread::sleep(Duration::from_millis(50));
        drop(first);
        assert!(waiter.join().unwrap());
    }
}
