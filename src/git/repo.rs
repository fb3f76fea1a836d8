//! One repository on disk: open it, read git's configuration as git would,
//! find uncommitted changes, resolve author and committer, build a commit
//! from exactly the files `apply` wrote (signed when asked), move a branch
//! with compare-and-swap, and move the working tree between commits.
//!
//! Hands on plain git2 values and [`GitError`]s; knows nothing of remotes.

#![allow(clippy::disallowed_methods)] // an I/O module

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use git2::build::{CheckoutBuilder, TreeUpdateBuilder};
use git2::{Config, ConfigLevel, Oid, Repository, Signature, Status, StatusOptions, Time};

use super::sign::Signer;
use super::{ErrorKind, GitError};

/// Opens the repository holding `root` (a working tree, not bare).
pub fn open(root: &Path) -> Result<Repository, GitError> {
    let repo = Repository::discover(root).map_err(|e| {
        GitError::new(
            ErrorKind::Usage,
            format!(
                "{} is not in a git repository: {}",
                root.display(),
                e.message()
            ),
        )
    })?;
    if repo.workdir().is_none() {
        return Err(GitError::new(
            ErrorKind::Usage,
            format!(
                "{} is a bare repository; apply needs a working tree",
                root.display()
            ),
        ));
    }
    Ok(repo)
}

/// git's configuration for `repo`. libgit2 reads system, XDG, global and
/// local files but ignores `GIT_CONFIG_GLOBAL` and `GIT_CONFIG_NOSYSTEM`;
/// when either is set we assemble the files as git does.
pub fn config(repo: &Repository) -> Result<Config, GitError> {
    let global = std::env::var_os("GIT_CONFIG_GLOBAL");
    let nosystem = std::env::var("GIT_CONFIG_NOSYSTEM")
        .map(|v| {
            !matches!(
                v.to_ascii_lowercase().as_str(),
                "" | "0" | "false" | "no" | "off"
            )
        })
        .unwrap_or(false);
    if global.is_none() && !nosystem {
        return Ok(repo.config()?.snapshot()?);
    }
    let mut cfg = Config::new()?;
    if !nosystem && let Ok(p) = Config::find_system() {
        cfg.add_file(&p, ConfigLevel::System, false)?;
    }
    match &global {
        Some(g) if !g.is_empty() => {
            let p = PathBuf::from(g);
            if p.exists() {
                cfg.add_file(&p, ConfigLevel::Global, false)?;
            }
        }
        Some(_) => {}
        None => {
            if let Ok(p) = Config::find_xdg() {
                cfg.add_file(&p, ConfigLevel::XDG, false)?;
            }
            if let Ok(p) = Config::find_global() {
                cfg.add_file(&p, ConfigLevel::Global, false)?;
            }
        }
    }
    let local = repo.path().join("config");
    if local.exists() {
        cfg.add_file(&local, ConfigLevel::Local, false)?;
    }
    Ok(cfg.snapshot()?)
}

/// Paths (relative, `/`-separated) with uncommitted changes: staged,
/// modified, deleted, renamed, conflicted, or untracked (not ignored).
pub fn dirty_paths(repo: &Repository) -> Result<BTreeMap<String, Status>, GitError> {
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true);
    let statuses = repo.statuses(Some(&mut opts))?;
    let mut out = BTreeMap::new();
    for e in statuses.iter() {
        let s = e.status();
        if s.is_empty() || s.contains(Status::IGNORED) {
            continue;
        }
        if let Ok(p) = e.path() {
            out.insert(p.to_owned(), s);
        }
    }
    Ok(out)
}

/// `Name <email>` as `--author` takes it; an error is
/// [`ErrorKind::Usage`].
pub fn parse_ident(s: &str) -> Result<(String, String), GitError> {
    let s = s.trim();
    let bad = || {
        GitError::new(
            ErrorKind::Usage,
            format!("{s:?}: expected \"Name <email>\""),
        )
    };
    let (name, rest) = s.split_once('<').ok_or_else(bad)?;
    let email = rest.strip_suffix('>').ok_or_else(bad)?;
    let name = name.trim();
    if name.is_empty() || email.contains(['<', '>']) {
        return Err(bad());
    }
    Ok((name.to_owned(), email.trim().to_owned()))
}

/// git's date formats we accept in `GIT_AUTHOR_DATE`/`GIT_COMMITTER_DATE`:
/// `@<unix> [±hhmm]` and `<unix> [±hhmm]` (git's internal format).
fn parse_date(s: &str) -> Result<Time, GitError> {
    let usage = |m: String| GitError::new(ErrorKind::Usage, m);
    let s = s.trim();
    let (secs, tz) = match s.split_once(' ') {
        Some((a, b)) => (a, Some(b.trim())),
        None => (s, None),
    };
    let secs: i64 = secs
        .strip_prefix('@')
        .unwrap_or(secs)
        .parse()
        .map_err(|_| usage(format!("{s:?}: expected \"<unix seconds> <+hhmm>\"")))?;
    let offset = match tz {
        None => 0,
        Some(tz) => {
            let (sign, digits) = match tz.as_bytes().first() {
                Some(b'+') => (1, &tz[1..]),
                Some(b'-') => (-1, &tz[1..]),
                _ => return Err(usage(format!("{s:?}: bad time zone {tz:?}"))),
            };
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(usage(format!("{s:?}: bad time zone {tz:?}")));
            }
            let h: i32 = digits[..2].parse().unwrap_or(0);
            let m: i32 = digits[2..].parse().unwrap_or(0);
            sign * (h * 60 + m)
        }
    };
    Ok(Time::new(secs, offset))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn cfg_str(cfg: &Config, key: &str) -> Option<String> {
    cfg.get_string(key).ok().filter(|v| !v.is_empty())
}

/// Author and committer, each from (in order) its flag, git's environment
/// (`GIT_AUTHOR_NAME`/`_EMAIL`/`_DATE`, `GIT_COMMITTER_*`), git config
/// (`author.*`/`committer.*`, then `user.*`), then `EMAIL` for the email.
/// A committer with no source of its own is the author.
pub fn identities(
    cfg: &Config,
    author: Option<&str>,
    committer: Option<&str>,
) -> Result<(Signature<'static>, Signature<'static>), GitError> {
    let usage = |m: String| GitError::new(ErrorKind::Usage, m);
    let flag_author = author.map(parse_ident).transpose()?;
    let flag_committer = committer.map(parse_ident).transpose()?;
    let pick = |flag: &Option<(String, String)>, who: &str| -> (Option<String>, Option<String>) {
        let up = who.to_ascii_uppercase();
        let name = flag
            .as_ref()
            .map(|f| f.0.clone())
            .or_else(|| env(&format!("GIT_{up}_NAME")))
            .or_else(|| cfg_str(cfg, &format!("{who}.name")))
            .or_else(|| cfg_str(cfg, "user.name"));
        let email = flag
            .as_ref()
            .map(|f| f.1.clone())
            .or_else(|| env(&format!("GIT_{up}_EMAIL")))
            .or_else(|| cfg_str(cfg, &format!("{who}.email")))
            .or_else(|| cfg_str(cfg, "user.email"))
            .or_else(|| env("EMAIL"));
        (name, email)
    };
    let (an, ae) = pick(&flag_author, "author");
    let (cn, ce) = pick(&flag_committer, "committer");
    let (an, ae) = match (an, ae, &flag_committer) {
        (Some(n), Some(e), _) => (n, e),
        (n, e, Some(c)) => (n.unwrap_or(c.0.clone()), e.unwrap_or(c.1.clone())),
        _ => {
            return Err(usage(
                "no commit author: pass --author \"Name <email>\", or set GIT_AUTHOR_NAME and \
                 GIT_AUTHOR_EMAIL, or git config user.name and user.email"
                    .into(),
            ));
        }
    };
    let (cn, ce) = (cn.unwrap_or(an.clone()), ce.unwrap_or(ae.clone()));
    let sig = |name: &str, email: &str, date_var: &str| -> Result<Signature<'static>, GitError> {
        let r = match env(date_var) {
            Some(d) => Signature::new(name, email, &parse_date(&d)?),
            None => Signature::now(name, email),
        };
        r.map_err(|e| usage(format!("bad identity {name} <{email}>: {}", e.message())))
    };
    Ok((
        sig(&an, &ae, "GIT_AUTHOR_DATE")?,
        sig(&cn, &ce, "GIT_COMMITTER_DATE")?,
    ))
}

/// The current branch (`refs/heads/x`), or `None` when HEAD is detached.
pub fn head_branch(repo: &Repository) -> Result<Option<String>, GitError> {
    match repo.find_reference("HEAD")?.symbolic_target()? {
        Some(t) if t.starts_with("refs/heads/") => Ok(Some(t.to_owned())),
        _ => Ok(None),
    }
}

/// The commit HEAD points to, `None` on an unborn branch.
pub fn head_commit(repo: &Repository) -> Result<Option<Oid>, GitError> {
    match repo.head() {
        Ok(h) => Ok(Some(h.peel_to_commit()?.id())),
        Err(e)
            if matches!(
                e.code(),
                git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// `paths` relative to the working tree, `/`-separated.
pub fn relative_paths(
    repo: &Repository,
    root: &Path,
    files: &[PathBuf],
) -> Result<Vec<String>, GitError> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| GitError::new(ErrorKind::Usage, "bare repository"))?;
    let workdir =
        fs::canonicalize(workdir).map_err(|e| GitError::new(ErrorKind::Other, e.to_string()))?;
    let mut out = Vec::new();
    for f in files {
        let abs = if f.is_absolute() {
            f.clone()
        } else {
            root.join(f)
        };
        let abs = match fs::canonicalize(&abs) {
            Ok(p) => p,
            // A file apply removed: canonicalise its folder.
            Err(_) => match (abs.parent().map(fs::canonicalize), abs.file_name()) {
                (Some(Ok(dir)), Some(name)) => dir.join(name),
                _ => abs.clone(),
            },
        };
        let rel = abs.strip_prefix(&workdir).map_err(|_| {
            GitError::new(
                ErrorKind::Other,
                format!("apply wrote {} outside the repository", abs.display()),
            )
        })?;
        let s: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        out.push(s.join("/"));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Stages exactly `paths` in the repository's index (git's filters apply,
/// modes are kept) and returns the tree of `base` with those paths
/// replaced; other staged changes stay staged and out of the commit.
pub fn stage_and_tree(
    repo: &Repository,
    base: Option<Oid>,
    paths: &[String],
) -> Result<Oid, GitError> {
    let workdir = repo.workdir().unwrap_or(Path::new(".")).to_path_buf();
    let mut index = repo.index()?;
    let mut update = TreeUpdateBuilder::new();
    for p in paths {
        let path = Path::new(p);
        if workdir.join(path).exists() {
            index.add_path(path)?;
            let entry = index.get_path(path, 0).ok_or_else(|| {
                GitError::new(
                    ErrorKind::Other,
                    format!("{p}: not in the index after staging"),
                )
            })?;
            let mode = match entry.mode {
                0o100755 => git2::FileMode::BlobExecutable,
                0o120000 => git2::FileMode::Link,
                _ => git2::FileMode::Blob,
            };
            update.upsert(p.as_str(), entry.id, mode);
        } else {
            let _ = index.remove_path(path);
            update.remove(p.as_str());
        }
    }
    index.write()?;
    let base_tree = match base {
        Some(b) => repo.find_commit(b)?.tree()?,
        None => {
            let empty = repo.treebuilder(None)?.write()?;
            repo.find_tree(empty)?
        }
    };
    Ok(update.create_updated(repo, &base_tree)?)
}

/// git's `cleanup=whitespace`: trailing spaces and surplus blank lines go,
/// the message ends with one newline.
pub fn clean_message(msg: &str) -> String {
    git2::message_prettify(msg, None).unwrap_or_else(|_| format!("{}\n", msg.trim_end()))
}

/// Writes a commit object (signed when a signer is given) and returns it.
pub fn write_commit(
    repo: &Repository,
    author: &Signature,
    committer: &Signature,
    message: &str,
    tree: Oid,
    parent: Option<Oid>,
    signer: Option<&Signer>,
) -> Result<Oid, GitError> {
    let tree = repo.find_tree(tree)?;
    let parents: Vec<git2::Commit> = parent
        .map(|p| repo.find_commit(p))
        .transpose()?
        .into_iter()
        .collect();
    let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
    match signer {
        None => Ok(repo.commit(None, author, committer, message, &tree, &parent_refs)?),
        Some(s) => {
            let buf = repo.commit_create_buffer(author, committer, message, &tree, &parent_refs)?;
            let content = buf
                .as_str()
                .map_err(|_| GitError::new(ErrorKind::Other, "commit buffer is not UTF-8"))?;
            let signature = s.sign(content)?;
            Ok(repo.commit_signed(content, &signature, Some("gpgsig"))?)
        }
    }
}

/// Moves `branch` (a full ref name) from `expected` to `new`; fails if it
/// moved meanwhile. With `branch` `None`, moves a detached HEAD.
pub fn move_branch(
    repo: &Repository,
    branch: Option<&str>,
    new: Oid,
    expected: Option<Oid>,
    log: &str,
) -> Result<(), GitError> {
    match (branch, expected) {
        (Some(b), Some(old)) => {
            repo.reference_matching(b, new, true, old, log)?;
        }
        (Some(b), None) => {
            repo.reference(b, new, false, log)?;
        }
        (None, _) => repo.set_head_detached(new)?,
    }
    Ok(())
}

/// Moves the working tree and index from the commit HEAD holds (`from`,
/// checked in debug builds) to `to`. `force` (our own cached clone only) overwrites anything and
/// removes untracked files; otherwise git's safe checkout refuses to touch
/// files with uncommitted changes.
pub fn checkout(
    repo: &Repository,
    from: Option<Oid>,
    to: Oid,
    force: bool,
) -> Result<(), GitError> {
    let target = repo.find_commit(to)?;
    let mut cb = CheckoutBuilder::new();
    if force {
        cb.force().remove_untracked(true);
    } else {
        cb.safe();
    }
    // The baseline is HEAD's tree: callers move HEAD only after this.
    debug_assert!(from.is_none() || head_commit(repo).ok().flatten() == from);
    repo.checkout_tree(target.as_object(), Some(&mut cb))
        .map_err(|e| {
            GitError::new(
                ErrorKind::Rejected,
                format!(
                    "cannot move the working tree to {}: {} (commit or stash your changes first)",
                    short(to),
                    e.message()
                ),
            )
        })?;
    // The index now matches `to` for every checked-out path.
    Ok(())
}

/// Restores `paths` in the working tree and index to `commit`'s version
/// (deleting paths it does not have).
pub fn restore_paths(
    repo: &Repository,
    commit: Option<Oid>,
    paths: &[String],
) -> Result<(), GitError> {
    let workdir = repo.workdir().unwrap_or(Path::new(".")).to_path_buf();
    let tree = commit
        .map(|c| repo.find_commit(c).and_then(|c| c.tree()))
        .transpose()?;
    let mut index = repo.index()?;
    for p in paths {
        let entry = tree.as_ref().and_then(|t| t.get_path(Path::new(p)).ok());
        match entry {
            Some(e) => {
                let blob = repo.find_blob(e.id())?;
                fs::write(workdir.join(p), blob.content())
                    .map_err(|err| GitError::new(ErrorKind::Other, format!("{p}: {err}")))?;
                index.add_path(Path::new(p))?;
            }
            None => {
                let _ = fs::remove_file(workdir.join(p));
                let _ = index.remove_path(Path::new(p));
            }
        }
    }
    index.write()?;
    Ok(())
}

/// The first 7 hex digits, as git shows commits.
pub fn short(oid: Oid) -> String {
    oid.to_string()[..7].to_owned()
}

/// `a` is `b` or an ancestor of it.
pub fn is_ancestor(repo: &Repository, a: Oid, b: Oid) -> Result<bool, GitError> {
    Ok(a == b || repo.graph_descendant_of(b, a)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idents_and_dates() {
        assert_eq!(
            parse_ident("Bot Person <bot@example.com>").unwrap(),
            ("Bot Person".into(), "bot@example.com".into())
        );
        assert!(parse_ident("nobody").is_err());
        assert!(parse_ident("<a@b>").is_err());
        let t = parse_date("@1700000000 +0130").unwrap();
        assert_eq!((t.seconds(), t.offset_minutes()), (1700000000, 90));
        let t = parse_date("1700000000 -0500").unwrap();
        assert_eq!(t.offset_minutes(), -300);
        assert!(parse_date("yesterday").is_err());
    }
}
