//! Talking to the remote: credentials, listing and fetching branches, and
//! pushing one branch without ever forcing it.
//!
//! Credentials, tried in order for each request, each at most once: a
//! token from the environment variable named by `--token-env` (HTTPS, as
//! the password; user from the URL, `--token-user`, else
//! `x-access-token`), git's credential helpers (`credential.helper`), the
//! SSH agent, then `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`. Credentials
//! written in the URL are used by libgit2 itself. Nothing secret is
//! printed: every message goes through [`redact`].
//!
//! Pushing: the refspec is always `refs/heads/B:refs/heads/B` (never `+`).
//! Over the network, git's receive-pack updates the ref only if it still
//! holds the value it advertised. libgit2's own transport for local paths
//! and `file://` overwrites the ref without that check, so two concurrent
//! pushers could silently drop each other's commit; for those remotes we
//! push ourselves: copy the objects into the remote's object database,
//! then move the ref with a compare-and-swap against the tip we fetched.
//!
//! Hands on [`RemoteTarget`] (how to reach the remote) and
//! [`PushError`] (rejected vs failed) to [`super::writeback`].

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use git2::{
    Config, Cred, CredentialType, Direction, FetchOptions, Oid, PushOptions, RemoteCallbacks,
    Repository,
};

use super::{ErrorKind, GitError};

/// Removes userinfo from every URL in `text` (`https://user:pw@host` →
/// `https://host`), and any secret registered with [`add_secret`].
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '/' | '\'' | '"' | '>' | ')'))
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) => rest = &tail[at + 1..],
            None => rest = tail,
        }
    }
    out.push_str(rest);
    SECRETS.with(|s| {
        for secret in s.borrow().iter() {
            if !secret.is_empty() {
                out = out.replace(secret.as_str(), "***");
            }
        }
    });
    out
}

thread_local! {
    static SECRETS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Makes [`redact`] hide `secret` from now on (in this thread).
pub fn add_secret(secret: &str) {
    if secret.len() >= 3 {
        SECRETS.with(|s| s.borrow_mut().push(secret.to_owned()));
    }
}

/// How to reach the remote.
#[derive(Debug, Clone)]
pub struct RemoteTarget {
    /// Name used for remote-tracking refs (`refs/remotes/<name>/…`).
    pub name: String,
    /// The URL for fetching (may carry credentials; never printed).
    pub url: String,
    /// The URL for pushing.
    pub push_url: String,
    /// Use the named remote's configuration (insteadOf, proxy) rather than
    /// an anonymous remote for `url`.
    pub configured: bool,
    pub token_env: Option<String>,
    pub token_user: Option<String>,
}

impl RemoteTarget {
    /// The URL as it may be shown.
    pub fn shown(&self) -> String {
        redact(&self.url)
    }

    fn remote<'r>(&self, repo: &'r Repository, push: bool) -> Result<git2::Remote<'r>, GitError> {
        if self.configured {
            return Ok(repo.find_remote(&self.name)?);
        }
        Ok(repo.remote_anonymous(if push { &self.push_url } else { &self.url })?)
    }
}

/// Per-operation credential state: each source is tried once.
#[derive(Default)]
struct Tried {
    token: bool,
    helper: bool,
    agent: bool,
    keys: usize,
    username: bool,
    default: bool,
    calls: u32,
}

fn ssh_keys() -> Vec<PathBuf> {
    let Some(home) = std::env::var_os("HOME") else {
        return Vec::new();
    };
    ["id_ed25519", "id_ecdsa", "id_rsa"]
        .iter()
        .map(|k| Path::new(&home).join(".ssh").join(k))
        .filter(|p| p.exists())
        .collect()
}

/// Remote callbacks with our credential chain; `rejected` collects
/// per-ref push refusals.
fn callbacks<'a>(
    target: &'a RemoteTarget,
    config: &'a Config,
    tried: &'a RefCell<Tried>,
    rejected: Option<&'a RefCell<Vec<String>>>,
) -> RemoteCallbacks<'a> {
    let mut cb = RemoteCallbacks::new();
    cb.credentials(move |url, username_from_url, allowed| {
        let mut t = tried.borrow_mut();
        t.calls += 1;
        if t.calls > 10 {
            return Err(git2::Error::from_str("authentication failed"));
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            if !t.token
                && let Some(var) = &target.token_env
            {
                t.token = true;
                if let Ok(token) = std::env::var(var)
                    && !token.is_empty()
                {
                    add_secret(&token);
                    let user = username_from_url
                        .map(str::to_owned)
                        .or_else(|| target.token_user.clone())
                        .unwrap_or_else(|| "x-access-token".into());
                    return Cred::userpass_plaintext(&user, &token);
                }
            }
            if !t.helper {
                t.helper = true;
                if let Ok(c) = Cred::credential_helper(config, url, username_from_url) {
                    return Ok(c);
                }
            }
        }
        if allowed.contains(CredentialType::SSH_KEY) {
            let user = username_from_url.unwrap_or("git");
            if !t.agent {
                t.agent = true;
                if std::env::var_os("SSH_AUTH_SOCK").is_some() {
                    return Cred::ssh_key_from_agent(user);
                }
            }
            let keys = ssh_keys();
            if let Some(k) = keys.get(t.keys) {
                t.keys += 1;
                return Cred::ssh_key(user, None, k, None);
            }
        }
        if allowed.contains(CredentialType::USERNAME) && !t.username {
            t.username = true;
            return Cred::username(username_from_url.unwrap_or("git"));
        }
        if allowed.contains(CredentialType::DEFAULT) && !t.default {
            t.default = true;
            return Cred::default();
        }
        Err(git2::Error::from_str(&format!(
            "no credentials accepted for {}; use --token-env VAR, a git credential helper or an SSH key",
            redact(url)
        )))
    });
    if let Some(rej) = rejected {
        cb.push_update_reference(move |refname, status| {
            if let Some(msg) = status {
                rej.borrow_mut().push(format!("{refname}: {msg}"));
            }
            Ok(())
        });
    }
    cb
}

fn remote_error(target: &RemoteTarget, what: &str, e: &git2::Error) -> GitError {
    let auth = e.class() == git2::ErrorClass::Http && e.message().contains("auth")
        || e.code() == git2::ErrorCode::Auth
        || e.message().contains("credentials")
        || e.message().contains("authentication");
    let hint = if auth { " (authentication failed)" } else { "" };
    GitError::new(
        ErrorKind::Remote,
        redact(&format!("{what} {}: {}{hint}", target.shown(), e.message())),
    )
}

/// The remote's tips of `branches` (short names); `None` for a branch the
/// remote lacks. Also fetches the existing ones into
/// `refs/remotes/<name>/<branch>` (deleting tracking refs of branches
/// that are gone).
pub fn fetch(
    repo: &Repository,
    target: &RemoteTarget,
    config: &Config,
    branches: &[&str],
) -> Result<BTreeMap<String, Option<Oid>>, GitError> {
    let mut remote = target.remote(repo, false)?;
    let tried = RefCell::new(Tried::default());
    let heads: Vec<(String, Oid)> = {
        let cb = callbacks(target, config, &tried, None);
        let conn = remote
            .connect_auth(Direction::Fetch, Some(cb), None)
            .map_err(|e| remote_error(target, "cannot reach", &e))?;
        conn.list()
            .map_err(|e| remote_error(target, "cannot list", &e))?
            .iter()
            .map(|h| (h.name().to_owned(), h.oid()))
            .collect()
    };
    let mut tips = BTreeMap::new();
    let mut specs = Vec::new();
    for b in branches {
        let full = format!("refs/heads/{b}");
        let tip = heads.iter().find(|(n, _)| *n == full).map(|(_, o)| *o);
        let tracking = format!("refs/remotes/{}/{b}", target.name);
        match tip {
            Some(_) => specs.push(format!("+{full}:{tracking}")),
            None => {
                if let Ok(mut r) = repo.find_reference(&tracking) {
                    let _ = r.delete();
                }
            }
        }
        tips.insert((*b).to_owned(), tip);
    }
    if !specs.is_empty() {
        let tried = RefCell::new(Tried::default());
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(callbacks(target, config, &tried, None));
        fo.download_tags(git2::AutotagOption::None);
        remote
            .fetch(&specs, Some(&mut fo), Some("kubectl-imageupdate: fetch"))
            .map_err(|e| remote_error(target, "cannot fetch from", &e))?;
        // The tips we report are the ones we now have.
        for b in branches {
            if tips.get(*b).is_some_and(Option::is_some) {
                let tracking = format!("refs/remotes/{}/{b}", target.name);
                if let Ok(oid) = repo.refname_to_id(&tracking) {
                    tips.insert((*b).to_owned(), Some(oid));
                }
            }
        }
    }
    Ok(tips)
}

/// The remote's default branch (what its HEAD points to), short name.
pub fn default_branch(
    repo: &Repository,
    target: &RemoteTarget,
    config: &Config,
) -> Result<String, GitError> {
    let mut remote = target.remote(repo, false)?;
    let tried = RefCell::new(Tried::default());
    let cb = callbacks(target, config, &tried, None);
    let conn = remote
        .connect_auth(Direction::Fetch, Some(cb), None)
        .map_err(|e| remote_error(target, "cannot reach", &e))?;
    let buf = conn
        .default_branch()
        .map_err(|e| remote_error(target, "cannot read the default branch of", &e))?;
    let name = buf.as_str().unwrap_or_default().to_owned();
    Ok(name.strip_prefix("refs/heads/").unwrap_or(&name).to_owned())
}

/// Why a push did not land. Not a [`GitError`] until the caller knows
/// which: a rejection is usually the remote having moved, which
/// [`super::writeback`] answers by fetching and trying again.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PushError {
    /// The remote refused the update (moved meanwhile, hook, protection);
    /// the caller fetches to learn which. The reason is redacted.
    #[error("{0}")]
    #[diagnostic(code(imageupdate::git::push_rejected))]
    Rejected(String),
    /// Could not talk to the remote at all.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Failed(#[from] GitError),
}

/// The local path of a `file://` URL or a plain path; `None` for network
/// URLs.
fn local_path(url: &str, base: &Path) -> Option<PathBuf> {
    if let Some(rest) = url.strip_prefix("file://") {
        let path = rest.strip_prefix("localhost").unwrap_or(rest);
        return Some(PathBuf::from(percent_decode(path)));
    }
    if url.contains("://") {
        return None;
    }
    // scp-like `host:path` (a colon before any slash) is SSH.
    if let Some(colon) = url.find(':')
        && !url[..colon].contains('/')
    {
        return None;
    }
    let p = Path::new(url);
    Some(if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            out.push(hex(b[i + 1]) * 16 + hex(b[i + 2]));
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Pushes `new` to `refs/heads/<branch>`, which must still be `expected`
/// on the remote (`None`: must not exist). Never forced.
pub fn push(
    repo: &Repository,
    target: &RemoteTarget,
    config: &Config,
    branch: &str,
    new: Oid,
    expected: Option<Oid>,
) -> Result<(), PushError> {
    if let Some(old) = expected {
        // Never ask for anything but a fast-forward.
        match repo.graph_descendant_of(new, old) {
            Ok(true) => {}
            _ if old == new => {}
            _ => {
                return Err(PushError::Rejected(format!(
                    "refusing a non-fast-forward update of {branch}"
                )));
            }
        }
    }
    let base = repo.workdir().unwrap_or(repo.path()).to_path_buf();
    if let Some(path) = local_path(&target.push_url, &base) {
        return push_local(repo, &path, branch, new, expected);
    }
    let mut remote = target.remote(repo, true)?;
    let tried = RefCell::new(Tried::default());
    let rejected = RefCell::new(Vec::new());
    let mut po = PushOptions::new();
    po.remote_callbacks(callbacks(target, config, &tried, Some(&rejected)));
    let refspec = format!("refs/heads/{branch}:refs/heads/{branch}");
    debug_assert!(!refspec.starts_with('+'));
    let result = remote.push(&[refspec.as_str()], Some(&mut po));
    drop(po);
    let rejected = rejected.into_inner();
    match result {
        Ok(()) if rejected.is_empty() => Ok(()),
        Ok(()) => Err(PushError::Rejected(redact(&rejected.join("; ")))),
        Err(e) if e.code() == git2::ErrorCode::NotFastForward => {
            Err(PushError::Rejected(redact(e.message())))
        }
        Err(e) if e.class() == git2::ErrorClass::Reference => {
            Err(PushError::Rejected(redact(e.message())))
        }
        Err(e) => Err(PushError::Failed(remote_error(
            target,
            "cannot push to",
            &e,
        ))),
    }
}

/// Push into a repository on this machine: objects first, then a
/// compare-and-swap of the ref under git's lock file.
fn push_local(
    repo: &Repository,
    path: &Path,
    branch: &str,
    new: Oid,
    expected: Option<Oid>,
) -> Result<(), PushError> {
    let fail = |m: String| PushError::Failed(GitError::new(ErrorKind::Remote, redact(&m)));
    let dst = Repository::open(path)
        .map_err(|e| fail(format!("cannot open {}: {}", path.display(), e.message())))?;
    let refname = format!("refs/heads/{branch}");
    if !dst.is_bare()
        && let Ok(head) = dst.find_reference("HEAD")
        && head.symbolic_target().ok().flatten() == Some(refname.as_str())
    {
        return Err(PushError::Rejected(format!(
            "refusing to update checked out branch {refname} in the non-bare repository {}",
            path.display()
        )));
    }
    let copy = || -> Result<(), git2::Error> {
        let mut walk = repo.revwalk()?;
        walk.push(new)?;
        if let Some(old) = expected
            && repo.odb()?.exists(old)
        {
            walk.hide(old)?;
        }
        let mut pb = repo.packbuilder()?;
        pb.insert_walk(&mut walk)?;
        if pb.object_count() == 0 {
            return Ok(());
        }
        let mut buf = git2::Buf::new();
        pb.write_buf(&mut buf)?;
        let odb = dst.odb()?;
        let mut w = odb.packwriter()?;
        w.write_all(&buf)
            .map_err(|e| git2::Error::from_str(&e.to_string()))?;
        w.commit()?;
        Ok(())
    };
    copy().map_err(|e| {
        fail(format!(
            "cannot copy objects to {}: {}",
            path.display(),
            e.message()
        ))
    })?;
    let log = "push: kubectl-imageupdate";
    // Another pusher holding the ref's lock file: wait for it a little, as
    // git does (core.filesRefLockTimeout), then compare-and-swap.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let r = loop {
        let r = match expected {
            Some(old) => dst.reference_matching(&refname, new, true, old, log),
            None => dst.reference(&refname, new, false, log),
        };
        match &r {
            Err(e)
                if e.code() == git2::ErrorCode::Locked && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            _ => break r,
        }
    };
    match r {
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.code(),
                git2::ErrorCode::Modified | git2::ErrorCode::Exists | git2::ErrorCode::Locked
            ) =>
        {
            Err(PushError::Rejected(format!(
                "{refname}: fetch first ({})",
                e.message()
            )))
        }
        Err(e) => Err(fail(format!(
            "cannot update {refname} in {}: {}",
            path.display(),
            e.message()
        ))),
    }
}

#[cfg(test)]
mod tests;
