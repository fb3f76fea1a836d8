//! Git write-back: commit, sign, push, retry on a moved remote.
//! Receives from `apply` an [`Applied`] record of what it wrote (the record
//! is [`crate::edit::record`]'s); hands back
//! an [`Outcome`] (or a [`GitError`]) for the CLI to print.
//!
//! Modules: [`writeback`] runs apply → commit → push with re-planning;
//! [`repo`] opens repositories, checks dirt, builds and signs commits;
//! [`sign`] runs `gpg`/`gpgsm`/`ssh-keygen` as git does; [`push`] fetches
//! and pushes (credentials, compare-and-swap, never forced); [`clone`]
//! keeps cached working copies; [`message`] builds commit messages. The
//! engine is libgit2 (git2); nothing here runs the `git` program.

pub mod clone;
pub mod message;
pub mod push;
pub mod repo;
pub mod sign;
pub mod writeback;

use std::fmt;
use std::path::Path;

pub use crate::edit::record::{Applied, Change, ObjectId};

/// Runs plan + write in the working tree at the given root and reports
/// what it wrote (nothing written: empty `Applied`). Errors are
/// user-facing messages.
pub type ApplyFn<'a> = dyn FnMut(&Path) -> Result<Applied, String> + 'a;

/// How a write-back ended when it did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `apply` changed nothing on the starting commit.
    NothingToDo,
    /// Committed locally (no push asked).
    Committed { commit: String, branch: String },
    /// Pushed `commit` to `branch` on the remote after `attempts` tries.
    Pushed {
        commit: String,
        branch: String,
        attempts: u32,
    },
    /// After the remote moved, re-planning on its new tip changed nothing:
    /// the remote already holds the wanted values. Nothing was pushed.
    RemoteHasValues { branch: String, attempts: u32 },
}

/// Why a write-back failed. Every kind exits with code 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad flags or repository state found before anything was written.
    Usage,
    /// The commit message template does not parse or execute.
    Template,
    /// Files apply changed had uncommitted changes (no `--allow-dirty`).
    Dirty,
    /// The remote changed a value we changed to a third value.
    Conflict,
    /// The remote kept moving for every allowed attempt.
    GaveUp,
    /// The remote refused the push for a reason other than having moved
    /// (hook, protection), or local history diverged from the remote.
    Rejected,
    /// Authentication or transport failure.
    Remote,
    /// Anything else (repository I/O, signing, apply's own errors).
    Other,
}

/// A user-facing failure. Messages never contain credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitError {
    pub kind: ErrorKind,
    pub message: String,
}

impl GitError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        GitError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GitError {}

impl From<git2::Error> for GitError {
    fn from(e: git2::Error) -> Self {
        GitError::new(ErrorKind::Other, push::redact(e.message()))
    }
}
