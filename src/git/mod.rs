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

use std::path::Path;

pub use crate::edit::record::{Applied, Change, ObjectId};

/// Why apply failed inside a write-back. Apply's errors belong to the
/// layers it runs (planning, editing, the tag source), each with its own
/// type, which git cannot name (the layers above it import git, not the
/// other way); git only reports the message, as [`ErrorKind::Other`].
pub type ApplyError = Box<dyn std::error::Error + Send + Sync>;

/// Runs plan + write in the working tree at the given root and reports
/// what it wrote (nothing written: empty `Applied`).
pub type ApplyFn<'a> = dyn FnMut(&Path) -> Result<Applied, ApplyError> + 'a;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

impl ErrorKind {
    /// The stable diagnostic code (`imageupdate::git::conflict`).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Usage => "imageupdate::git::usage",
            ErrorKind::Template => "imageupdate::git::template",
            ErrorKind::Dirty => "imageupdate::git::dirty",
            ErrorKind::Conflict => "imageupdate::git::conflict",
            ErrorKind::GaveUp => "imageupdate::git::gave_up",
            ErrorKind::Rejected => "imageupdate::git::rejected",
            ErrorKind::Remote => "imageupdate::git::remote",
            ErrorKind::Other => "imageupdate::git::other",
        }
    }

    /// What to do about it, where one thing is usually right.
    pub fn help(self) -> Option<&'static str> {
        match self {
            ErrorKind::Dirty => Some("commit or stash those files, or pass --allow-dirty"),
            ErrorKind::Conflict => Some(
                "someone changed the same value on the remote; its value stays until a later run",
            ),
            ErrorKind::GaveUp => Some("run again later, or raise --max-attempts"),
            ErrorKind::Remote => Some(
                "check the remote URL and credentials (--token-env, a credential helper, an SSH key)",
            ),
            ErrorKind::Usage | ErrorKind::Template | ErrorKind::Rejected | ErrorKind::Other => None,
        }
    }
}

/// A user-facing failure: the git layer's one error type. Messages never
/// contain credentials.
///
/// A kind and a message rather than one variant per message: every
/// failure is reported the same way (one line, exit 2), callers branch on
/// the kind only, and the messages are redacted when built. Keeping
/// libgit2's errors as `#[source]`s would hand renderers that walk the
/// chain the unredacted text (libgit2 quotes URLs, user info included),
/// so their text is taken, redacted, instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
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

    /// The same failure with `prefix` in front of its message
    /// (`--author` + `"x": expected …`).
    pub fn prefixed(self, prefix: &str) -> Self {
        GitError {
            kind: self.kind,
            message: format!("{prefix}{}", self.message),
        }
    }
}

impl miette::Diagnostic for GitError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.kind.code()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.kind
            .help()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
}

impl From<git2::Error> for GitError {
    fn from(e: git2::Error) -> Self {
        GitError::new(ErrorKind::Other, push::redact(e.message()))
    }
}

/// A commit message template that does not parse or run.
impl From<crate::gosyntax::exec::ExecError> for GitError {
    fn from(e: crate::gosyntax::exec::ExecError) -> Self {
        GitError::new(ErrorKind::Template, e.to_string())
    }
}
