//! Helpers for tests/git.rs: an isolated git environment, bare remotes and
//! clones made with the `git` program, a test `apply` that really edits
//! `tag:` lines, and a lighttpd + `git http-backend` server with basic auth
//! on a loopback port.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use imageupdate::git::{Applied, ApplyError, Change};

pub const TOKEN_VAR: &str = "IMAGEUPDATE_TEST_HTTP_TOKEN";
pub const PASSWORD: &str = "s3cret-Pa55";
pub const USER: &str = "alice";

/// One isolated HOME for the whole test process, set before any git2 call
/// (libgit2 reads HOME once): the machine's git config cannot interfere.
pub fn isolated_home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("git-home-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(".gitconfig"), "").unwrap();
        // SAFETY: every test calls this first; OnceLock makes the others
        // wait until the variables are set, so no thread reads the
        // environment while it changes.
        unsafe {
            std::env::set_var("HOME", &dir);
            std::env::set_var("XDG_CONFIG_HOME", dir.join(".config"));
            std::env::set_var("XDG_CACHE_HOME", dir.join(".cache"));
            std::env::set_var("GIT_CONFIG_GLOBAL", dir.join(".gitconfig"));
            std::env::set_var("GIT_CONFIG_NOSYSTEM", "1");
            std::env::set_var(TOKEN_VAR, PASSWORD);
            for v in [
                "GIT_AUTHOR_NAME",
                "GIT_AUTHOR_EMAIL",
                "GIT_COMMITTER_NAME",
                "GIT_COMMITTER_EMAIL",
                "GIT_AUTHOR_DATE",
                "GIT_COMMITTER_DATE",
                "EMAIL",
                "SSH_AUTH_SOCK",
                "GIT_DIR",
                "GIT_WORK_TREE",
            ] {
                std::env::remove_var(v);
            }
        }
        dir
    })
}

/// The environment a `git` or product subprocess gets.
pub fn git_env(cmd: &mut Command) -> &mut Command {
    let home = isolated_home();
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Seeder")
        .env("GIT_AUTHOR_EMAIL", "seeder@example.com")
        .env("GIT_COMMITTER_NAME", "Seeder")
        .env("GIT_COMMITTER_EMAIL", "seeder@example.com")
        .env_remove("GIT_DIR")
        .env_remove("SSH_AUTH_SOCK")
}

/// Runs `git args` in `dir`; panics with its output on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_env(Command::new("git").args(args).current_dir(dir))
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Runs `git args`; returns (success, stdout+stderr).
pub fn git_try(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = git_env(Command::new("git").args(args).current_dir(dir))
        .output()
        .expect("git runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

pub const APPS: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];

/// The YAML of app `name` at `tag`.
pub fn app_yaml(name: &str, tag: &str) -> String {
    format!(
        "# app {name}\nimage:\n  repository: registry.example.com/team/{name}\n  tag: {tag}\n  pullPolicy: IfNotPresent\n"
    )
}

/// A bare remote (`remote.git`, branch main, reflog on) seeded with
/// `apps/<x>.yaml` at tag 1.0.0 for every app, and its file:// URL.
pub fn seeded_remote(dir: &Path) -> (PathBuf, String) {
    seed_remote(dir, app_yaml, true)
}

/// The bare remote of [`seeded_remote`] with `render(app, "1.0.0")` as
/// each app's manifest (and a README when `readme`).
fn seed_remote(dir: &Path, render: fn(&str, &str) -> String, readme: bool) -> (PathBuf, String) {
    isolated_home();
    let remote = dir.join("remote.git");
    git(
        dir,
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            remote.to_str().unwrap(),
        ],
    );
    git(&remote, &["config", "core.logAllRefUpdates", "always"]);
    let seed = dir.join("seed");
    let url = format!("file://{}", remote.display());
    git(dir, &["clone", "-q", &url, seed.to_str().unwrap()]);
    std::fs::create_dir_all(seed.join("apps")).unwrap();
    for a in APPS {
        std::fs::write(seed.join(format!("apps/{a}.yaml")), render(a, "1.0.0")).unwrap();
    }
    if readme {
        std::fs::write(seed.join("README.md"), "fixture\n").unwrap();
    }
    git(&seed, &["add", "-A"]);
    git(&seed, &["commit", "-q", "-m", "seed"]);
    git(&seed, &["push", "-q", "origin", "HEAD:main"]);
    (remote, url)
}

/// A working clone of `url` in `dir/name`.
pub fn clone(dir: &Path, url: &str, name: &str) -> PathBuf {
    let path = dir.join(name);
    git(dir, &["clone", "-q", url, path.to_str().unwrap()]);
    path
}

/// Commits `apps/<app>.yaml` at `tag` in `work` and pushes it (the other
/// writer in race and conflict tests).
pub fn push_other(work: &Path, app: &str, tag: &str) {
    git(work, &["pull", "-q", "--ff-only", "origin", "main"]);
    std::fs::write(work.join(format!("apps/{app}.yaml")), app_yaml(app, tag)).unwrap();
    git(
        work,
        &["commit", "-q", "-am", &format!("other: {app} {tag}")],
    );
    git(work, &["push", "-q", "origin", "HEAD:main"]);
}

/// A test `apply`: sets `tag:` in `apps/<app>.yaml` for each (app, tag),
/// reporting a [`Change`] per edited line, like the real apply does.
pub fn tag_apply(root: &Path, sets: &[(&str, &str)]) -> Result<Applied, ApplyError> {
    let mut applied = Applied::default();
    for (app, tag) in sets {
        let rel = format!("apps/{app}.yaml");
        let path = root.join(&rel);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{rel}: {e}"))?;
        let mut out = String::new();
        let mut changed = false;
        for (i, line) in text.split_inclusive('\n').enumerate() {
            if let Some(old) = line.trim_end().strip_prefix("  tag: ")
                && old != *tag
            {
                applied.changes.push(Change {
                    file: rel.clone(),
                    line: i + 1,
                    image: format!("registry.example.com/team/{app}"),
                    old_value: old.to_owned(),
                    new_value: (*tag).to_owned(),
                    old_tag: old.to_owned(),
                    new_tag: (*tag).to_owned(),
                    setter: Some(format!("flux-system:{app}")),
                    object: None,
                    app: Some(format!("app-{app}")),
                    alias: None,
                });
                out.push_str(&format!("  tag: {tag}\n"));
                changed = true;
            } else {
                out.push_str(line);
            }
        }
        if changed {
            std::fs::write(&path, out).map_err(|e| format!("{rel}: {e}"))?;
            applied.files.push(PathBuf::from(rel));
        }
    }
    Ok(applied)
}

/// Commits on `branch` of the bare `remote`, oldest first (first parent).
pub fn history(remote: &Path, branch: &str) -> Vec<String> {
    git(remote, &["rev-list", "--reverse", "--first-parent", branch])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Every commit reachable from `branch` has at most one parent.
pub fn assert_linear(remote: &Path, branch: &str) {
    let merges = git(remote, &["rev-list", "--min-parents=2", branch]);
    assert!(merges.is_empty(), "merge commits on {branch}: {merges}");
}

/// Every value the remote's `branch` ever had (reflog) is an ancestor of
/// its tip: nothing was force-pushed away.
pub fn assert_no_force_push(remote: &Path, branch: &str) {
    let tip = git(remote, &["rev-parse", branch]);
    let log = git(
        remote,
        &[
            "reflog",
            "show",
            "--format=%H",
            &format!("refs/heads/{branch}"),
        ],
    );
    assert!(!log.is_empty(), "the remote keeps a reflog");
    for old in log.lines() {
        let (ok, _) = git_try(remote, &["merge-base", "--is-ancestor", old, &tip]);
        assert!(
            ok,
            "{old} (an earlier tip of {branch}) is not an ancestor of {tip}"
        );
    }
}

/// The tag in `apps/<app>.yaml` at `rev` of `repo`.
pub fn tag_at(repo: &Path, rev: &str, app: &str) -> String {
    let text = git(repo, &["show", &format!("{rev}:apps/{app}.yaml")]);
    text.lines()
        .find_map(|l| l.strip_prefix("  tag: "))
        .unwrap_or_default()
        .to_owned()
}

// ---------------------------------------------------------------------------
// Smart HTTP: lighttpd + git http-backend with basic auth.

pub fn lighttpd_bin() -> Option<PathBuf> {
    ["/usr/sbin/lighttpd", "/usr/bin/lighttpd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn http_backend() -> PathBuf {
    let debian = PathBuf::from("/usr/lib/git-core/git-http-backend");
    if debian.exists() {
        return debian;
    }
    let exec = git(Path::new("/"), &["--exec-path"]);
    PathBuf::from(exec).join("git-http-backend")
}

/// A lighttpd serving `<dir>/repos` at `http://127.0.0.1:<port>/git/`,
/// user [`USER`] / [`PASSWORD`]. Killed and reaped on drop.
pub struct HttpGit {
    child: Child,
    pub port: u16,
    pub repos: PathBuf,
    pub log: PathBuf,
}

impl HttpGit {
    pub fn start(dir: &Path) -> HttpGit {
        let lighttpd =
            lighttpd_bin().expect("lighttpd is installed (scripts/install-test-deps installs it)");
        let root = dir.join("http");
        let www = root.join("www");
        let repos = root.join("repos");
        std::fs::create_dir_all(&www).unwrap();
        std::fs::create_dir_all(&repos).unwrap();
        std::fs::write(root.join("users.plain"), format!("{USER}:{PASSWORD}\n")).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = root.join("error.log");
        let conf = format!(
            r#"server.document-root = "{www}"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{log}"
server.modules += ( "mod_auth", "mod_authn_file", "mod_alias", "mod_setenv", "mod_cgi" )
alias.url = ( "/git" => "{backend}" )
auth.backend = "plain"
auth.backend.plain.userfile = "{users}"
$HTTP["url"] =~ "^/git" {{
  cgi.assign = ( "" => "" )
  setenv.add-environment = ( "GIT_PROJECT_ROOT" => "{repos}", "GIT_HTTP_EXPORT_ALL" => "", "GIT_CONFIG_NOSYSTEM" => "1", "HOME" => "{root}" )
  auth.require = ( "" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )
}}
"#,
            www = www.display(),
            log = log.display(),
            backend = http_backend().display(),
            users = root.join("users.plain").display(),
            repos = repos.display(),
            root = root.display(),
        );
        let conf_path = root.join("lighttpd.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new(lighttpd)
            .args(["-D", "-f"])
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("lighttpd starts");
        let server = HttpGit {
            child,
            port,
            repos,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "lighttpd did not answer on port {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// URL of repository `name` without credentials.
    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/git/{name}", self.port)
    }

    /// URL of repository `name` with the user and password in it.
    pub fn url_with_password(&self, name: &str) -> String {
        format!(
            "http://{USER}:{PASSWORD}@127.0.0.1:{}/git/{name}",
            self.port
        )
    }
}

impl Drop for HttpGit {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A credential helper script answering [`USER`] / [`PASSWORD`].
pub fn credential_helper(dir: &Path) -> PathBuf {
    let path = dir.join("cred-helper.sh");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\ntest \"$1\" = get || exit 0\ncat >/dev/null\necho username={USER}\necho password={PASSWORD}\n"
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

// ---------------------------------------------------------------------------
// Fixtures for the real binary: Deployments `apps/<x>.yaml` whose container
// image is `registry.example.com/team/<x>:1.0.0`, as `apply --set` edits.

pub fn deploy_yaml(name: &str, tag: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/team/{name}:{tag}\n"
    )
}

/// Like [`seeded_remote`], with Deployments.
pub fn seeded_deploy_remote(dir: &Path) -> (PathBuf, String) {
    seed_remote(dir, deploy_yaml, false)
}

/// The image tag of Deployment `app` at `rev`.
pub fn image_tag_at(repo: &Path, rev: &str, app: &str) -> String {
    let text = git(repo, &["show", &format!("{rev}:apps/{app}.yaml")]);
    text.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix(&format!("image: registry.example.com/team/{app}:"))
        })
        .unwrap_or_default()
        .to_owned()
}

/// The product binary with the isolated git environment.
pub fn product(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubectl-imageupdate"));
    git_env(&mut cmd).current_dir(dir);
    cmd.env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_AUTHOR_EMAIL")
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL");
    cmd
}
