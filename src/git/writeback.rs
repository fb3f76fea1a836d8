//! apply → commit → push, and what to do when the remote moved.
//!
//! Flow ([`write_back`]):
//! 1. Check the message template (before anything is written), open the
//!    repository (or the cached clone), resolve author, committer and
//!    signer, so that configuration errors stop us before any write.
//! 2. When pushing: fetch the push branch (and `--base`), and start from
//!    the remote's tip: fast-forward a local branch that is behind, start
//!    a missing branch from `--base` (or the clone's `--ref`, or HEAD). A
//!    local branch that has diverged from the remote is an error.
//! 3. Remember which files had uncommitted changes, run `apply`, and
//!    refuse (restoring those files) if it wrote one of them, unless
//!    `--allow-dirty`.
//! 4. Commit exactly the files apply wrote (other staged work stays staged
//!    and out of the commit), signed when asked, and move the branch with a
//!    compare-and-swap.
//! 5. Push `B:B` (never forced). If refused, fetch: if the remote did not
//!    move, the refusal is final (hook, protection). If it moved, wait
//!    (exponential backoff with jitter), move to the new tip, and re-run
//!    the whole plan there; not a textual rebase, because the wanted values
//!    may already be there or other lines may have moved. Up to
//!    `max_attempts` pushes.
//!
//! The conflict rule. A re-plan would simply overwrite whatever the remote
//! holds, so after each re-plan we compare its changes with the first
//! attempt's: for every scalar the first attempt changed (same file,
//! image, setter, object, app and alias; nearest line when several), if the
//! re-plan found a value on the remote that is neither our old value nor
//! our new value, someone changed the same scalar to a third value. We
//! stop with [`ErrorKind::Conflict`]: the remote's value wins, nothing is
//! pushed, and the working tree is left clean at the remote's tip. If the
//! remote already holds our new value the re-plan has no change there, and
//! when it has no change at all we push nothing
//! ([`Outcome::RemoteHasValues`]).

#![allow(clippy::disallowed_methods)] // an I/O module

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use git2::{Oid, Repository};

use super::message::{self, MessageContext};
use super::push::{self, PushError, RemoteTarget};
use super::repo::{self, short};
use super::{ApplyFn, Change, ErrorKind, GitError, Outcome, clone, sign};

/// `--clone URL [--ref R] [--clone-dir DIR]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloneSpec {
    pub url: String,
    /// Branch to start from; default: the remote's default branch.
    pub git_ref: Option<String>,
    /// Working copy folder; default: [`clone::cache_dir`].
    pub dir: Option<PathBuf>,
}

/// Everything the write-back needs besides `apply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Push after committing (otherwise commit only).
    pub push: bool,
    /// Commit files apply changed even if they had uncommitted changes.
    pub allow_dirty: bool,
    /// `Some(true)` `--sign`, `Some(false)` `--no-sign`, `None`:
    /// `commit.gpgsign`.
    pub sign: Option<bool>,
    /// `Name <email>`.
    pub author: Option<String>,
    pub committer: Option<String>,
    /// Go template source for the message; `None`: the default message.
    pub template: Option<String>,
    pub context: MessageContext,
    /// Branch to commit on and push to; default: the current branch (or
    /// the clone's `--ref`).
    pub branch: Option<String>,
    /// Branch to start `branch` from when the remote lacks it.
    pub base: Option<String>,
    /// Remote name in the local repository.
    pub remote: String,
    pub max_attempts: u32,
    pub token_env: Option<String>,
    pub token_user: Option<String>,
    pub clone: Option<CloneSpec>,
    /// First and longest wait between attempts.
    pub backoff: (Duration, Duration),
}

impl Default for Options {
    fn default() -> Self {
        Options {
            push: false,
            allow_dirty: false,
            sign: None,
            author: None,
            committer: None,
            template: None,
            context: MessageContext::default(),
            branch: None,
            base: None,
            remote: "origin".into(),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            token_env: None,
            token_user: None,
            clone: None,
            backoff: (Duration::from_millis(50), Duration::from_secs(2)),
        }
    }
}

/// Pushes tried before giving up.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;

fn err(kind: ErrorKind, m: impl Into<String>) -> GitError {
    GitError::new(kind, m)
}

/// A small PRNG for jitter (no need for a crate).
struct Jitter(u64);

impl Jitter {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        Jitter(nanos ^ (u64::from(std::process::id()) << 32) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Between half and all of `min(max, first * 2^(attempt-1))`.
    fn delay(&mut self, attempt: u32, (first, max): (Duration, Duration)) -> Duration {
        let full = first
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(max);
        let ms = full.as_millis() as u64;
        if ms == 0 {
            return full;
        }
        Duration::from_millis(ms / 2 + self.next() % (ms / 2 + 1))
    }
}

/// Files with uncommitted changes before apply ran, and the YAML ones'
/// contents (apply writes only YAML), to put back if we refuse.
struct Dirt {
    paths: BTreeMap<String, git2::Status>,
    saved: BTreeMap<String, Vec<u8>>,
}

fn is_yaml(p: &str) -> bool {
    p.ends_with(".yaml") || p.ends_with(".yml")
}

impl Dirt {
    fn scan(repo: &Repository) -> Result<Dirt, GitError> {
        let paths = repo::dirty_paths(repo)?;
        let workdir = repo.workdir().unwrap_or(Path::new(".")).to_path_buf();
        let mut saved = BTreeMap::new();
        for p in paths.keys().filter(|p| is_yaml(p)) {
            if let Ok(bytes) = std::fs::read(workdir.join(p)) {
                saved.insert(p.clone(), bytes);
            }
        }
        Ok(Dirt { paths, saved })
    }

    fn none() -> Dirt {
        Dirt {
            paths: BTreeMap::new(),
            saved: BTreeMap::new(),
        }
    }

    /// Puts `files` back as they were before apply.
    fn restore(
        &self,
        repo: &Repository,
        head: Option<Oid>,
        files: &[String],
    ) -> Result<(), GitError> {
        let workdir = repo.workdir().unwrap_or(Path::new(".")).to_path_buf();
        let clean: Vec<String> = files
            .iter()
            .filter(|f| !self.paths.contains_key(*f))
            .cloned()
            .collect();
        repo::restore_paths(repo, head, &clean)?;
        for f in files.iter().filter(|f| self.paths.contains_key(*f)) {
            if let Some(bytes) = self.saved.get(f) {
                std::fs::write(workdir.join(f), bytes)
                    .map_err(|e| err(ErrorKind::Other, format!("{f}: {e}")))?;
            }
        }
        Ok(())
    }
}

/// The conflict rule (see the module documentation): a scalar the first
/// attempt changed that the remote set to a third value.
pub fn find_conflict(first: &[Change], again: &[Change]) -> Option<String> {
    for c1 in first {
        let same = again.iter().filter(|c2| {
            c2.file == c1.file
                && c2.image == c1.image
                && c2.setter == c1.setter
                && c2.object == c1.object
                && c2.app == c1.app
                && c2.alias == c1.alias
        });
        let Some(c2) = same.min_by_key(|c2| c2.line.abs_diff(c1.line)) else {
            continue;
        };
        if c2.old_value != c1.old_value && c2.old_value != c1.new_value {
            return Some(format!(
                "{}:{}: the remote changed {} from {:?} to {:?}, and we wanted {:?}; the remote's value wins",
                c2.file, c2.line, c1.image, c1.old_value, c2.old_value, c1.new_value
            ));
        }
    }
    None
}

fn subject(msg: &str) -> &str {
    msg.lines().next().unwrap_or_default()
}

/// Runs apply in the working tree and commits (and pushes) what it wrote.
/// `root` is the working tree apply runs in (ignored with `--clone`);
/// `log` receives progress lines (re-planning, waiting).
pub fn write_back(
    root: &Path,
    opts: &Options,
    apply: &mut ApplyFn,
    log: &mut dyn FnMut(&str),
) -> Result<Outcome, GitError> {
    if let Some(t) = &opts.template {
        message::check_template(t)?;
    }
    if opts.max_attempts == 0 {
        return Err(err(ErrorKind::Usage, "--max-attempts must be at least 1"));
    }
    if !opts.push && (opts.branch.is_some() || opts.base.is_some()) {
        return Err(err(ErrorKind::Usage, "--branch and --base need --push"));
    }
    if let Some(v) = &opts.token_env
        && let Ok(t) = std::env::var(v)
    {
        push::add_secret(&t);
    }

    // 1. Repository, remote, identities, signer.
    let (repo, wt_root, force, target) = match &opts.clone {
        Some(c) => {
            let dir = c.dir.clone().unwrap_or_else(|| clone::cache_dir(&c.url));
            let repo = clone::open_cache(&c.url, &dir)?;
            let wt = repo.workdir().unwrap_or(&dir).to_path_buf();
            let target = RemoteTarget {
                name: "origin".into(),
                url: c.url.clone(),
                push_url: c.url.clone(),
                configured: false,
                token_env: opts.token_env.clone(),
                token_user: opts.token_user.clone(),
            };
            (repo, wt, true, Some(target))
        }
        None => {
            let repo = repo::open(root)?;
            let target = if opts.push {
                let r = repo.find_remote(&opts.remote).map_err(|_| {
                    err(
                        ErrorKind::Usage,
                        format!(
                            "no remote named {:?} in this repository (--remote)",
                            opts.remote
                        ),
                    )
                })?;
                let url = r.url().unwrap_or_default().to_owned();
                let push_url = r
                    .pushurl()
                    .ok()
                    .flatten()
                    .map(str::to_owned)
                    .unwrap_or_else(|| url.clone());
                Some(RemoteTarget {
                    name: opts.remote.clone(),
                    url,
                    push_url,
                    configured: true,
                    token_env: opts.token_env.clone(),
                    token_user: opts.token_user.clone(),
                })
            } else {
                None
            };
            (repo, root.to_path_buf(), false, target)
        }
    };
    let cfg = repo::config(&repo)?;
    let (author, committer) =
        repo::identities(&cfg, opts.author.as_deref(), opts.committer.as_deref())?;
    let signer = sign::signer(&cfg, opts.sign, &committer)?;

    // 2. Branch and starting point.
    let current = repo::head_branch(&repo)?;
    let start_ref = match (&opts.clone, &target) {
        (Some(c), Some(t)) => Some(match &c.git_ref {
            Some(r) => r.clone(),
            None => push::default_branch(&repo, t, &cfg)?,
        }),
        _ => None,
    };
    let branch: Option<String> = match (&opts.branch, &start_ref, &current) {
        (Some(b), _, _) => Some(b.clone()),
        (None, Some(r), _) => Some(r.clone()),
        (None, None, Some(c)) => Some(c.trim_start_matches("refs/heads/").to_owned()),
        (None, None, None) if opts.push => {
            return Err(err(
                ErrorKind::Usage,
                "HEAD is detached: pass --branch to push",
            ));
        }
        (None, None, None) => None,
    };
    let branch_ref = branch.as_ref().map(|b| format!("refs/heads/{b}"));
    let branch_name = branch.clone().unwrap_or_else(|| "HEAD".into());
    let mut expected_remote: Option<Oid> = None;
    if let (Some(t), Some(b)) = (&target, &branch) {
        let mut wanted: Vec<&str> = vec![b];
        wanted.extend(opts.base.as_deref());
        wanted.extend(start_ref.as_deref());
        let tips = push::fetch(&repo, t, &cfg, &wanted)?;
        expected_remote = tips.get(b.as_str()).copied().flatten();
        let head = repo::head_commit(&repo)?;
        let start = match expected_remote {
            Some(tip) => Some(tip),
            None => match (&opts.base, &start_ref) {
                (Some(base), _) => {
                    Some(tips.get(base.as_str()).copied().flatten().ok_or_else(|| {
                        err(
                            ErrorKind::Usage,
                            format!("--base {base}: no such branch on {}", t.shown()),
                        )
                    })?)
                }
                (None, Some(r)) => {
                    Some(tips.get(r.as_str()).copied().flatten().ok_or_else(|| {
                        err(
                            ErrorKind::Usage,
                            format!("--ref {r}: no such branch on {}", t.shown()),
                        )
                    })?)
                }
                (None, None) => head,
            },
        };
        let on_branch = current.as_deref() == branch_ref.as_deref();
        if force {
            let start =
                start.ok_or_else(|| err(ErrorKind::Usage, format!("{} is empty", t.shown())))?;
            repo::checkout(&repo, None, start, true)?;
            let bref = branch_ref.as_deref().unwrap_or_default();
            repo.reference(
                bref,
                start,
                true,
                "kubectl-imageupdate: reset to the remote",
            )?;
            repo.set_head(bref)?;
        } else if on_branch {
            if let (Some(tip), Some(h)) = (expected_remote, head) {
                if tip != h && repo::is_ancestor(&repo, h, tip)? {
                    repo::checkout(&repo, Some(h), tip, false)?;
                    repo::move_branch(
                        &repo,
                        branch_ref.as_deref(),
                        tip,
                        Some(h),
                        "kubectl-imageupdate: fast-forward",
                    )?;
                    log(&format!("fast-forwarded {b} to {}", short(tip)));
                } else if !repo::is_ancestor(&repo, tip, h)? {
                    return Err(err(
                        ErrorKind::Rejected,
                        format!(
                            "local branch {b} and {}/{b} have diverged; pull or rebase first",
                            t.name
                        ),
                    ));
                }
            }
        } else {
            let start =
                start.ok_or_else(|| err(ErrorKind::Usage, "the repository has no commit yet"))?;
            let bref = branch_ref.as_deref().unwrap_or_default();
            if let Ok(local) = repo.refname_to_id(bref)
                && !repo::is_ancestor(&repo, local, start)?
            {
                return Err(err(
                    ErrorKind::Rejected,
                    format!(
                        "local branch {b} has commits that {}/{b} lacks; push or drop them first",
                        t.name
                    ),
                ));
            }
            repo::checkout(&repo, head, start, false)?;
            repo.reference(bref, start, true, "kubectl-imageupdate: switch")?;
            repo.set_head(bref)?;
            log(&format!("switched to {b} at {}", short(start)));
        }
    }

    // 3–5. Apply, commit, push; re-plan while the remote moves.
    let dirt = if force {
        Dirt::none()
    } else {
        Dirt::scan(&repo)?
    };
    let mut first: Option<Vec<Change>> = None;
    let mut dirty_included = false;
    let mut jitter = Jitter::new();
    let mut last_reason = String::new();
    let mut last_commit: Option<Oid> = None;
    for attempt in 1..=opts.max_attempts {
        let parent = repo::head_commit(&repo)?;
        let applied = apply(&wt_root).map_err(|e| err(ErrorKind::Other, e.to_string()))?;
        let files = repo::relative_paths(&repo, &wt_root, &applied.files)?;
        if attempt == 1 {
            let hit: Vec<&str> = files
                .iter()
                .filter(|f| dirt.paths.contains_key(*f))
                .map(String::as_str)
                .collect();
            if !hit.is_empty() {
                if !opts.allow_dirty {
                    dirt.restore(&repo, parent, &files)?;
                    return Err(err(
                        ErrorKind::Dirty,
                        format!(
                            "{} ha{} uncommitted changes; commit or stash them, or pass --allow-dirty (nothing was changed)",
                            hit.join(", "),
                            if hit.len() == 1 { "s" } else { "ve" }
                        ),
                    ));
                }
                dirty_included = true;
            }
        }
        let nothing = |attempt: u32| {
            if attempt == 1 {
                Outcome::NothingToDo
            } else {
                Outcome::RemoteHasValues {
                    branch: branch_name.clone(),
                    attempts: attempt,
                }
            }
        };
        if files.is_empty() {
            return Ok(nothing(attempt));
        }
        if let Some(first) = &first
            && let Some(conflict) = find_conflict(first, &applied.changes)
        {
            repo::restore_paths(&repo, parent, &files)?;
            return Err(err(
                ErrorKind::Conflict,
                format!(
                    "conflict on {branch_name}: {conflict}; nothing pushed, working tree reset to {}",
                    parent.map(short).unwrap_or_default()
                ),
            ));
        }
        let msg = match &opts.template {
            Some(t) => match message::render(t, &applied.changes, &opts.context) {
                Ok(m) => m,
                Err(m) => {
                    dirt.restore(&repo, parent, &files)?;
                    return Err(err(
                        ErrorKind::Template,
                        format!("{m} (nothing was changed)"),
                    ));
                }
            },
            None => message::default_message(&applied.changes),
        };
        let msg = repo::clean_message(&msg);
        // Staging changes the index: keep its bytes to put back if the
        // commit cannot be made.
        let index_path = repo.path().join("index");
        let index_backup = std::fs::read(&index_path).ok();
        let undo = |repo: &Repository| -> Result<(), GitError> {
            if let Some(bytes) = &index_backup {
                std::fs::write(&index_path, bytes)
                    .map_err(|e| err(ErrorKind::Other, format!("{}: {e}", index_path.display())))?;
                repo.index()?.read(true)?;
            }
            dirt.restore(repo, parent, &files)
        };
        let tree = match repo::stage_and_tree(&repo, parent, &files) {
            Ok(t) => t,
            Err(e) => {
                undo(&repo)?;
                return Err(e);
            }
        };
        let parent_tree = parent
            .map(|p| repo.find_commit(p).and_then(|c| c.tree()))
            .transpose()?;
        if parent_tree.as_ref().map(|t| t.id()) == Some(tree) {
            return Ok(nothing(attempt));
        }
        let commit = match repo::write_commit(
            &repo,
            &author,
            &committer,
            &msg,
            tree,
            parent,
            signer.as_ref(),
        ) {
            Ok(c) => c,
            Err(e) => {
                undo(&repo)?;
                return Err(GitError::new(
                    e.kind,
                    format!("{} (nothing was committed)", e.message),
                ));
            }
        };
        repo::move_branch(
            &repo,
            branch_ref.as_deref(),
            commit,
            parent,
            &format!("commit: {}", subject(&msg)),
        )?;
        if first.is_none() {
            first = Some(applied.changes.clone());
        }
        last_commit = Some(commit);
        let Some(t) = target.as_ref().filter(|_| opts.push) else {
            return Ok(Outcome::Committed {
                commit: commit.to_string(),
                branch: branch_name,
            });
        };
        let why = match push::push(&repo, t, &cfg, &branch_name, commit, expected_remote) {
            Ok(()) => {
                let tracking = format!("refs/remotes/{}/{branch_name}", t.name);
                let _ = repo.reference(&tracking, commit, true, "kubectl-imageupdate: push");
                return Ok(Outcome::Pushed {
                    commit: commit.to_string(),
                    branch: branch_name,
                    attempts: attempt,
                });
            }
            Err(PushError::Failed(e)) => return Err(e),
            Err(PushError::Rejected(why)) => why,
        };
        let tips = push::fetch(&repo, t, &cfg, &[branch_name.as_str()])?;
        let now = tips.get(branch_name.as_str()).copied().flatten();
        if now == Some(commit) {
            return Ok(Outcome::Pushed {
                commit: commit.to_string(),
                branch: branch_name,
                attempts: attempt,
            });
        }
        // A ref lock held by another pusher is transient: try again.
        let busy = why.contains("lock");
        if now == expected_remote && !busy {
            return Err(err(
                ErrorKind::Rejected,
                format!(
                    "{} refused the push to {branch_name}: {why}; commit {} stays local",
                    t.shown(),
                    short(commit)
                ),
            ));
        }
        last_reason = if busy && now == expected_remote {
            format!("{branch_name} stayed locked on the remote ({why})")
        } else {
            format!("{branch_name} moved on the remote ({why})")
        };
        let Some(now) = now else {
            return Err(err(
                ErrorKind::Rejected,
                format!(
                    "{branch_name} was deleted on {} while pushing; commit {} stays local",
                    t.shown(),
                    short(commit)
                ),
            ));
        };
        if attempt == opts.max_attempts {
            break;
        }
        if dirty_included {
            return Err(err(
                ErrorKind::Rejected,
                format!(
                    "{branch_name} moved on the remote, and commit {} includes changes that were uncommitted before \
                     (--allow-dirty), so it cannot be re-planned; it stays on the local branch",
                    short(commit)
                ),
            ));
        }
        if !force
            && let Some(p) = parent
            && Some(p) != expected_remote
            && !repo::is_ancestor(&repo, p, now)?
        {
            return Err(err(
                ErrorKind::Rejected,
                format!(
                    "{branch_name} moved on the remote and the local branch has commits it lacks; commit {} stays local",
                    short(commit)
                ),
            ));
        }
        let wait = jitter.delay(attempt, opts.backoff);
        log(&format!(
            "{branch_name} {} on the remote; re-planning there in {} ms (attempt {} of {})",
            if Some(now) == expected_remote {
                "is locked".to_owned()
            } else {
                format!("moved to {}", short(now))
            },
            wait.as_millis(),
            attempt + 1,
            opts.max_attempts
        ));
        std::thread::sleep(wait);
        // The remote may have moved again while we slept: take the newest.
        let tips = push::fetch(&repo, t, &cfg, &[branch_name.as_str()])?;
        let now = tips
            .get(branch_name.as_str())
            .copied()
            .flatten()
            .unwrap_or(now);
        repo::checkout(&repo, Some(commit), now, force)?;
        repo::move_branch(
            &repo,
            branch_ref.as_deref(),
            now,
            Some(commit),
            "kubectl-imageupdate: re-plan on the remote tip",
        )?;
        expected_remote = Some(now);
    }
    Err(err(
        ErrorKind::GaveUp,
        format!(
            "gave up after {} attempts: {last_reason}; nothing pushed{}",
            opts.max_attempts,
            match (last_commit, force) {
                (Some(c), false) => format!(", commit {} stays on the local branch", short(c)),
                _ => String::new(),
            }
        ),
    ))
}

#[cfg(test)]
mod tests;
