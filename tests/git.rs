//! Git write-back against real git on loopback: bare remotes over file://,
//! smart HTTP with basic auth through lighttpd + `git http-backend`, GPG
//! and SSH signatures checked by `git verify-commit`, concurrent pushers,
//! conflicts and cached clones. Set-up and verification use the `git`
//! program; the code under test uses libgit2 only.
//!
//! Library tests drive [`write_back`] with a test `apply` that edits
//! `tag:` lines; the `cli_` tests run the real binary.

#[path = "support/git/mod.rs"]
mod support;

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use imageupdate::git::writeback::{CloneSpec, Options, write_back};
use imageupdate::git::{Applied, ErrorKind, GitError, Outcome};
use support::*;

fn opts() -> Options {
    Options {
        author: Some("Image Bot <bot@example.com>".into()),
        backoff: (Duration::from_millis(10), Duration::from_millis(200)),
        ..Options::default()
    }
}

fn push_opts() -> Options {
    Options {
        push: true,
        ..opts()
    }
}

/// Runs the write-back with a test apply setting `sets`; returns the
/// result and the progress lines.
fn run(
    root: &Path,
    o: &Options,
    sets: &[(&str, &str)],
) -> (Result<Outcome, GitError>, Vec<String>) {
    let mut log = Vec::new();
    let r = write_back(
        root,
        o,
        &mut |wt: &Path| tag_apply(wt, sets),
        &mut |l: &str| log.push(l.to_owned()),
    );
    (r, log)
}

fn tmp() -> tempfile::TempDir {
    isolated_home();
    tempfile::tempdir().unwrap()
}

/// `git status --porcelain`, leading spaces kept.
fn status(work: &Path) -> String {
    let out = git_env(
        Command::new("git")
            .args(["status", "--porcelain"])
            .current_dir(work),
    )
    .output()
    .unwrap();
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

#[test]
fn commit_stages_exactly_the_files_apply_changed() {
    let t = tmp();
    let (_remote, url) = seeded_remote(t.path());
    let work = clone(t.path(), &url, "work");
    // Unrelated work in progress: a modified file, a staged file, an
    // untracked file. None of it may enter the commit or be lost.
    std::fs::write(work.join("README.md"), "edited\n").unwrap();
    std::fs::write(work.join("apps/b.yaml"), app_yaml("b", "9.9.9")).unwrap();
    git(&work, &["add", "apps/b.yaml"]);
    std::fs::write(work.join("notes.txt"), "scratch\n").unwrap();
    let before = git(&work, &["rev-parse", "HEAD"]);

    let (r, _) = run(&work, &opts(), &[("a", "1.1.0")]);
    let Ok(Outcome::Committed { commit, branch }) = r else {
        panic!("{r:?}")
    };
    assert_eq!(branch, "main");
    assert_eq!(git(&work, &["rev-parse", "HEAD"]), commit);
    assert_eq!(git(&work, &["rev-parse", "HEAD^"]), before);
    assert_eq!(
        git(
            &work,
            &["diff-tree", "--no-commit-id", "--name-only", "-r", "HEAD"]
        ),
        "apps/a.yaml"
    );
    assert_eq!(tag_at(&work, "HEAD", "a"), "1.1.0");
    assert_eq!(
        git(&work, &["log", "-1", "--format=%an <%ae>|%cn <%ce>"]),
        "Image Bot <bot@example.com>|Image Bot <bot@example.com>"
    );
    assert_eq!(
        git(&work, &["log", "-1", "--format=%B"]),
        "Update registry.example.com/team/a to 1.1.0\n\n- registry.example.com/team/a 1.0.0 → 1.1.0 (apps/a.yaml:4)"
    );
    // The other work is exactly as it was.
    assert_eq!(status(&work), " M README.md\nM  apps/b.yaml\n?? notes.txt");
}

#[test]
fn author_and_committer_from_environment_and_config() {
    let t = tmp();
    let (_remote, url) = seeded_remote(t.path());
    let work = clone(t.path(), &url, "work");
    git(&work, &["config", "user.name", "Config User"]);
    git(&work, &["config", "user.email", "config@example.com"]);
    git(&work, &["config", "committer.name", "Config Committer"]);
    let o = Options {
        author: None,
        ..opts()
    };
    let (r, _) = run(&work, &o, &[("a", "1.1.0")]);
    assert!(matches!(r, Ok(Outcome::Committed { .. })), "{r:?}");
    assert_eq!(
        git(&work, &["log", "-1", "--format=%an <%ae>|%cn <%ce>"]),
        "Config User <config@example.com>|Config Committer <config@example.com>"
    );
    // No identity anywhere: refused before apply writes.
    let bare = clone(t.path(), &url, "bare");
    let called = Cell::new(false);
    let r = write_back(
        &bare,
        &Options {
            author: None,
            ..opts()
        },
        &mut |wt: &Path| {
            called.set(true);
            tag_apply(wt, &[("a", "1.1.0")])
        },
        &mut |_: &str| {},
    );
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Usage);
    assert!(e.message.contains("--author"), "{e}");
    assert!(!called.get());
    assert_eq!(status(&bare), "");
}

#[test]
fn dirty_files_are_refused_and_left_as_they_were() {
    let t = tmp();
    let (_remote, url) = seeded_remote(t.path());
    let work = clone(t.path(), &url, "work");
    let dirty = "# my edit\n".to_owned() + &app_yaml("a", "1.0.0");
    std::fs::write(work.join("apps/a.yaml"), &dirty).unwrap();
    let head = git(&work, &["rev-parse", "HEAD"]);
    let (r, _) = run(&work, &opts(), &[("a", "1.1.0"), ("b", "1.1.0")]);
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Dirty, "{e}");
    assert!(
        e.message.contains("apps/a.yaml has uncommitted changes"),
        "{e}"
    );
    assert!(e.message.contains("--allow-dirty"), "{e}");
    assert_eq!(
        std::fs::read_to_string(work.join("apps/a.yaml")).unwrap(),
        dirty
    );
    assert_eq!(status(&work), " M apps/a.yaml");
    assert_eq!(git(&work, &["rev-parse", "HEAD"]), head);

    // --allow-dirty, but the commit cannot be signed: the file and the
    // index are put back as they were.
    git(&work, &["config", "gpg.format", "ssh"]);
    git(&work, &["config", "user.signingkey", "/nonexistent/key"]);
    let o = Options {
        allow_dirty: true,
        sign: Some(true),
        ..opts()
    };
    let (r, _) = run(&work, &o, &[("a", "1.1.0")]);
    assert!(r.unwrap_err().message.contains("nothing was committed"));
    assert_eq!(
        std::fs::read_to_string(work.join("apps/a.yaml")).unwrap(),
        dirty
    );
    assert_eq!(status(&work), " M apps/a.yaml");
    assert_eq!(git(&work, &["rev-parse", "HEAD"]), head);

    let o = Options {
        allow_dirty: true,
        ..opts()
    };
    let (r, _) = run(&work, &o, &[("a", "1.1.0")]);
    assert!(matches!(r, Ok(Outcome::Committed { .. })), "{r:?}");
    let committed = git(&work, &["show", "HEAD:apps/a.yaml"]);
    assert!(committed.starts_with("# my edit") && committed.contains("tag: 1.1.0"));
    assert_eq!(status(&work), "");
}

#[test]
fn nothing_to_do_commits_nothing() {
    let t = tmp();
    let (_remote, url) = seeded_remote(t.path());
    let work = clone(t.path(), &url, "work");
    let head = git(&work, &["rev-parse", "HEAD"]);
    let (r, _) = run(&work, &push_opts(), &[("a", "1.0.0")]);
    assert_eq!(r, Ok(Outcome::NothingToDo));
    assert_eq!(git(&work, &["rev-parse", "HEAD"]), head);
}

#[test]
fn template_errors_stop_before_anything_is_written() {
    let t = tmp();
    let (_remote, url) = seeded_remote(t.path());
    let work = clone(t.path(), &url, "work");
    for (tpl, want) in [
        (
            "{{ range .Updated.Images }}{{ . }}{{ end }}",
            "field Updated was removed",
        ),
        ("Update {{ .AppNmae }}", "can't evaluate field AppNmae"),
        (
            "{{ range .AppChanges }}{{ .Tag }}{{ end }}",
            "field Tag in type ChangeEntry",
        ),
        ("{{ if .AppName }}", "unexpected EOF"),
    ] {
        let called = Cell::new(false);
        let o = Options {
            template: Some(tpl.into()),
            ..push_opts()
        };
        let r = write_back(
            &work,
            &o,
            &mut |wt: &Path| {
                called.set(true);
                tag_apply(wt, &[("a", "1.1.0")])
            },
            &mut |_: &str| {},
        );
        let e = r.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Template, "{tpl}: {e}");
        assert!(e.message.contains(want), "{tpl}: {e}");
        assert!(e.message.starts_with("template: commit message:1:"), "{e}");
        assert!(!called.get(), "{tpl}: apply ran");
        assert_eq!(status(&work), "");
    }
}

#[test]
fn templated_message_with_both_peers_data() {
    let t = tmp();
    let (remote, url) = seeded_remote(t.path());
    let work = clone(t.path(), &url, "work");
    let mut o = push_opts();
    o.template = Some(
        "Automation: {{ .AutomationObject }} for {{ .AppName }}\n\n\
         {{ range $f, $_ := .Changed.FileChanges }}- {{ $f }}\n{{ end }}\
         {{ range .AppChanges }}updates image {{ .Image }} tag '{{ .OldTag }}' to '{{ .NewTag }}'\n{{ end }}\
         {{ range .Changed.Changes }}{{ .NewValue }} ({{ .Setter }})\n{{ end }}"
            .into(),
    );
    o.context.automation = Some(("flux-system".into(), "images".into()));
    let (r, _) = run(&work, &o, &[("a", "1.1.0"), ("c", "2.0.0")]);
    assert!(
        matches!(r, Ok(Outcome::Pushed { attempts: 1, .. })),
        "{r:?}"
    );
    assert_eq!(
        git(&remote, &["log", "-1", "--format=%B", "main"]),
        "Automation: flux-system/images for app-a, app-c\n\n- apps/a.yaml\n- apps/c.yaml\n\
         updates image team/a tag '1.0.0' to '1.1.0'\nupdates image team/c tag '1.0.0' to '2.0.0'\n\
         1.1.0 (flux-system:a)\n2.0.0 (flux-system:c)"
    );
}

#[test]
fn push_over_file_url() {
    let t = tmp();
    let (remote, url) = seeded_remote(t.path());
    let work = clone(t.path(), &url, "work");
    let (r, log) = run(&work, &push_opts(), &[("a", "1.1.0")]);
    let Ok(Outcome::Pushed {
        commit,
        branch,
        attempts,
    }) = r
    else {
        panic!("{r:?}")
    };
    assert_eq!((branch.as_str(), attempts), ("main", 1));
    assert!(log.is_empty(), "{log:?}");
    assert_eq!(git(&remote, &["rev-parse", "main"]), commit);
    assert_eq!(tag_at(&remote, "main", "a"), "1.1.0");
    assert_eq!(git(&work, &["rev-parse", "origin/main"]), commit);
    assert_eq!(status(&work), "");
    assert_no_force_push(&remote, "main");
    // The repository still passes git's own checks.
    git(&remote, &["fsck", "--strict", "--no-progress"]);
}

#[test]
fn local_branch_behind_the_remote_is_fast_forwarded_first() {
    let t = tmp();
    let (remote, url) = seeded_remote(t.path());
    let work = clone(t.path(), &url, "work");
    let other = clone(t.path(), &url, "other");
    push_other(&other, "b", "2.0.0");
    let (r, log) = run(&work, &push_opts(), &[("a", "1.1.0")]);
    assert!(
        matches!(r, Ok(Outcome::Pushed { attempts: 1, .. })),
        "{r:?}"
    );
    assert!(log[0].starts_with("fast-forwarded main to "), "{log:?}");
    assert_eq!(tag_at(&remote, "main", "a"), "1.1.0");
    assert_eq!(tag_at(&remote, "main", "b"), "2.0.0");
    assert_linear(&remote, "main");
}

#[test]
fn rejected_push_replans_on_the_new_tip() {
    let t = tmp();
    let (remote, url) = seeded_remote(t.path());
    let work = clone(t.path(), &url, "work");
    let other = clone(t.path(), &url, "other");
    // The remote moves between our fetch and our push.
    let calls = Cell::new(0);
    let mut log = Vec::new();
    let r = write_back(
        &work,
        &push_opts(),
        &mut |wt: &Path| {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                push_other(&other, "b", "2.0.0");
            }
            tag_apply(wt, &[("a", "1.1.0")])
        },
        &mut |l: &str| log.push(l.to_owned()),
    );
    let Ok(Outcome::Pushed {
        commit, attempts, ..
    }) = r
    else {
        panic!("{r:?}")
    };
    assert_eq!((attempts, calls.get()), (2, 2));
    assert!(
        log.iter()
            .any(|l| l.contains("main moved to ") && l.contains("attempt 2 of 10")),
        "{log:?}"
    );
    assert_eq!(git(&remote, &["rev-parse", "main"]), commit);
    assert_eq!(tag_at(&remote, "main", "a"), "1.1.0");
    assert_eq!(tag_at(&remote, "main", "b"), "2.0.0");
    assert_eq!(history(&remote, "main").len(), 3);
    assert_linear(&remote, "main");
    assert_no_force_push(&remote, "main");
    assert_eq!(status(&work), "");
}

#[test]
fn remote_already_has_the_wanted_values() {
    let t = tmp();
    let (remote, url) = seeded_remote(t.path());
    let work = clone(t.path(), &url, "work");
    let other = clone(t.path(), &url, "other");
    let calls = Cell::new(0);
    let r = write_back(
        &work,
        &push_opts(),
        &mut |wt: &Path| {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                push_other(&other, "a", "1.1.0");
            }
            tag_apply(wt, &[("a", "1.1.0")])
        },
        &mut |_: &str| {},
    );
    assert_eq!(
        r,
        Ok(Outcome::RemoteHasValues {
            branch: "main".into(),
            attempts: 2
        })
    );
    let tip = git(&remote, &["rev-parse", "main"]);
    assert_eq!(
        git(&remote, &["log", "-1", "--format=%s", "main"]),
        "other: a 1.1.0"
    );
    assert_eq!(git(&work, &["rev-parse", "HEAD"]), tip);
    assert_eq!(status(&work), "");
}

#[test]
fn conflict_on_the_same_scalar_stops_clean() {
    let t = tmp();
    let (remote, url) = seeded_remote(t.path());
    let work = clone(t.path(), &url, "work");
    let other = clone(t.path(), &url, "other");
    let calls = Cell::new(0);
    let r = write_back(
        &work,
        &push_opts(),
        &mut |wt: &Path| {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                push_other(&other, "a", "3.0.0");
            }
            tag_apply(wt, &[("a", "1.1.0"), ("b", "1.1.0")])
        },
        &mut |_: &str| {},
    );
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict, "{e}");
    assert!(
        e.message.contains("apps/a.yaml:4: the remote changed registry.example.com/team/a from \"1.0.0\" to \"3.0.0\", and we wanted \"1.1.0\"; the remote's value wins"),
        "{e}"
    );
    assert!(e.message.contains("nothing pushed"), "{e}");
    // Nothing pushed: the remote holds the other writer's commit.
    assert_eq!(
        git(&remote, &["log", "-1", "--format=%s", "main"]),
        "other: a 3.0.0"
    );
    assert_eq!(tag_at(&remote, "main", "b"), "1.0.0");
    // The local clone is clean, at the remote's tip.
    assert_eq!(status(&work), "");
    assert_eq!(
        git(&work, &["rev-parse", "HEAD"]),
        git(&remote, &["rev-parse", "main"])
    );
}

#[test]
fn gives_up_after_max_attempts() {
    let t = tmp();
    let (remote, url) = seeded_remote(t.path());
    let work = clone(t.path(), &url, "work");
    let other = clone(t.path(), &url, "other");
    let calls = Cell::new(0);
    let o = Options {
        max_attempts: 3,
        ..push_opts()
    };
    let r = write_back(
        &work,
        &o,
        &mut |wt: &Path| {
            calls.set(calls.get() + 1);
            push_other(&other, "b", &format!("2.0.{}", calls.get()));
            tag_apply(wt, &[("a", "1.1.0")])
        },
        &mut |_: &str| {},
    );
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::GaveUp);
    assert!(
        e.message
            .starts_with("gave up after 3 attempts: main moved on the remote"),
        "{e}"
    );
    assert_eq!(calls.get(), 3);
    assert_eq!(tag_at(&remote, "main", "a"), "1.0.0");
    assert_no_force_push(&remote, "main");
}

#[test]
fn new_branch_from_base() {
    let t = tmp();
    let (remote, url) = seeded_remote(t.path());
    let work = clone(t.path(), &url, "work");
    let main = git(&remote, &["rev-parse", "main"]);
    let o = Options {
        branch: Some("image-updates".into()),
        base: Some("main".into()),
        ..push_opts()
    };
    let (r, _) = run(&work, &o, &[("a", "1.1.0")]);
    let Ok(Outcome::Pushed { commit, branch, .. }) = r else {
        panic!("{r:?}")
    };
    assert_eq!(branch, "image-updates");
    assert_eq!(git(&remote, &["rev-parse", "image-updates"]), commit);
    assert_eq!(git(&remote, &["rev-parse", "image-updates^"]), main);
    assert_eq!(git(&remote, &["rev-parse", "main"]), main);
    // A second run goes on top of the existing branch.
    let (r, _) = run(&work, &o, &[("b", "1.2.0")]);
    let Ok(Outcome::Pushed { commit: second, .. }) = r else {
        panic!("{r:?}")
    };
    assert_eq!(git(&remote, &["rev-parse", "image-updates^"]), commit);
    assert_eq!(git(&remote, &["rev-parse", "image-updates"]), second);
    assert_eq!(tag_at(&remote, "image-updates", "a"), "1.1.0");
    // --base naming a missing branch is refused before apply runs.
    let o = Options {
        branch: Some("x".into()),
        base: Some("nope".into()),
        ..push_opts()
    };
    let (r, _) = run(&work, &o, &[("c", "1.1.0")]);
    let e = r.unwrap_err();
    assert!(e.message.contains("--base nope: no such branch"), "{e}");
}

#[test]
fn clone_mode_uses_and_updates_a_cached_working_copy() {
    let t = tmp();
    let (remote, url) = seeded_remote(t.path());
    let cache = t.path().join("cache");
    let o = Options {
        clone: Some(CloneSpec {
            url: url.clone(),
            git_ref: None,
            dir: Some(cache.clone()),
        }),
        ..push_opts()
    };
    let elsewhere = t.path().join("not-a-repo");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let (r, _) = run(&elsewhere, &o, &[("a", "1.1.0")]);
    assert!(matches!(r, Ok(Outcome::Pushed { .. })), "{r:?}");
    assert_eq!(tag_at(&remote, "main", "a"), "1.1.0");
    // Someone else pushes; the cache has stale state and leftovers.
    let other = clone(t.path(), &url, "other");
    push_other(&other, "b", "2.0.0");
    std::fs::write(cache.join("apps/c.yaml"), "garbage\n").unwrap();
    std::fs::write(cache.join("leftover.yaml"), "x: 1\n").unwrap();
    let (r, _) = run(&elsewhere, &o, &[("c", "1.1.0")]);
    assert!(
        matches!(r, Ok(Outcome::Pushed { attempts: 1, .. })),
        "{r:?}"
    );
    assert_eq!(tag_at(&remote, "main", "b"), "2.0.0");
    assert_eq!(tag_at(&remote, "main", "c"), "1.1.0");
    assert!(!cache.join("leftover.yaml").exists());
    assert_eq!(status(&cache), "");
    assert_linear(&remote, "main");
    // Nothing left to do.
    let (r, _) = run(&elsewhere, &o, &[("c", "1.1.0")]);
    assert_eq!(r, Ok(Outcome::NothingToDo));
    // The default cache folder is under XDG_CACHE_HOME, keyed by the URL.
    let o2 = Options {
        clone: Some(CloneSpec {
            url: url.clone(),
            git_ref: Some("main".into()),
            dir: None,
        }),
        ..push_opts()
    };
    let (r, _) = run(&elsewhere, &o2, &[("d", "1.1.0")]);
    assert!(matches!(r, Ok(Outcome::Pushed { .. })), "{r:?}");
    let dir = imageupdate::git::clone::cache_dir(&url);
    assert!(
        dir.starts_with(isolated_home().join(".cache/kubectl-imageupdate/clones")),
        "{}",
        dir.display()
    );
    assert!(dir.join("apps/d.yaml").exists());
    std::fs::remove_dir_all(&dir).unwrap();
    // A cache folder of another URL is refused.
    let (_r2, url2) = {
        let d = t.path().join("second");
        std::fs::create_dir_all(&d).unwrap();
        seeded_remote(&d)
    };
    let o3 = Options {
        clone: Some(CloneSpec {
            url: url2,
            git_ref: None,
            dir: Some(cache.clone()),
        }),
        ..push_opts()
    };
    let (r, _) = run(&elsewhere, &o3, &[("a", "1.1.0")]);
    assert!(r.unwrap_err().message.contains("holds a working copy of"));
}

/// Eight writers at once, each in its own clone, each bumping a different
/// image: all succeed, nothing is lost, history stays linear, nothing is
/// force-pushed. (Threads here; the `cli_race` test uses processes.)
#[test]
fn race_of_eight_writers_in_threads() {
    let t = tmp();
    let (remote, url) = seeded_remote(t.path());
    let works: Vec<PathBuf> = APPS
        .iter()
        .map(|a| clone(t.path(), &url, &format!("w-{a}")))
        .collect();
    let start = Instant::now();
    let results: Vec<(Result<Outcome, GitError>, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = APPS
            .iter()
            .zip(&works)
            .map(|(app, work)| s.spawn(move || run(work, &push_opts(), &[(app, "2.0.0")])))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = start.elapsed();
    let mut attempts = Vec::new();
    for (r, log) in &results {
        match r {
            Ok(Outcome::Pushed { attempts: n, .. }) => attempts.push(*n),
            other => panic!("{other:?} {log:?}"),
        }
    }
    eprintln!("8 threads: {elapsed:?}, attempts {attempts:?}");
    for a in APPS {
        assert_eq!(tag_at(&remote, "main", a), "2.0.0", "{a}");
    }
    assert_eq!(history(&remote, "main").len(), 9);
    assert_linear(&remote, "main");
    assert_no_force_push(&remote, "main");
    git(&remote, &["fsck", "--strict", "--no-progress"]);
}

// ---------------------------------------------------------------------------
// Smart HTTP with basic auth.

/// A bare repository served over HTTP, seeded like [`seeded_remote`], and a
/// clone whose origin URL carries no credentials.
fn http_setup(t: &Path) -> (HttpGit, PathBuf, PathBuf) {
    let (remote, _) = seeded_remote(t);
    let server = HttpGit::start(t);
    let served = server.repos.join("remote.git");
    std::fs::rename(&remote, &served).unwrap();
    git(&served, &["config", "http.receivepack", "true"]);
    let work = clone(t, &server.url_with_password("remote.git"), "work");
    git(
        &work,
        &["remote", "set-url", "origin", &server.url("remote.git")],
    );
    (server, served, work)
}

#[test]
fn http_push_with_a_credential_helper() {
    let t = tmp();
    let (_server, served, work) = http_setup(t.path());
    let helper = credential_helper(t.path());
    git(
        &work,
        &["config", "credential.helper", helper.to_str().unwrap()],
    );
    let (r, log) = run(&work, &push_opts(), &[("a", "1.1.0")]);
    let Ok(Outcome::Pushed { commit, .. }) = r else {
        panic!("{r:?} {log:?}")
    };
    assert_eq!(git(&served, &["rev-parse", "main"]), commit);
    assert_no_force_push(&served, "main");
}

#[test]
fn http_push_with_a_token_from_the_environment() {
    let t = tmp();
    let (_server, served, work) = http_setup(t.path());
    let o = Options {
        token_env: Some(TOKEN_VAR.into()),
        token_user: Some(USER.into()),
        ..push_opts()
    };
    let (r, log) = run(&work, &o, &[("a", "1.1.0")]);
    let Ok(Outcome::Pushed { commit, .. }) = r else {
        panic!("{r:?} {log:?}")
    };
    assert_eq!(git(&served, &["rev-parse", "main"]), commit);
}

#[test]
fn http_without_credentials_fails_without_printing_secrets() {
    let t = tmp();
    let (_server, served, work) = http_setup(t.path());
    let before = git(&served, &["rev-parse", "main"]);
    // No credentials at all.
    let (r, _) = run(&work, &push_opts(), &[("a", "1.1.0")]);
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Remote, "{e}");
    assert_eq!(status(&work), "");
    // A wrong password in the URL: refused, and never shown.
    let bad = format!(
        "http://{USER}:wr0ngPa55@127.0.0.1:{}/git/remote.git",
        _server.port
    );
    git(&work, &["remote", "set-url", "origin", &bad]);
    let (r, log) = run(&work, &push_opts(), &[("a", "1.1.0")]);
    let e = r.unwrap_err();
    assert!(
        !e.message.contains("wr0ngPa55") && !log.join("\n").contains("wr0ngPa55"),
        "{e}"
    );
    assert!(!e.message.contains(PASSWORD));
    assert_eq!(git(&served, &["rev-parse", "main"]), before);
}

#[test]
fn http_race_and_replan() {
    let t = tmp();
    let (server, served, _work) = http_setup(t.path());
    let helper = credential_helper(t.path());
    let works: Vec<PathBuf> = APPS[..4]
        .iter()
        .map(|a| {
            let w = clone(
                t.path(),
                &server.url_with_password("remote.git"),
                &format!("h-{a}"),
            );
            git(
                &w,
                &["remote", "set-url", "origin", &server.url("remote.git")],
            );
            git(
                &w,
                &["config", "credential.helper", helper.to_str().unwrap()],
            );
            w
        })
        .collect();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = APPS[..4]
            .iter()
            .zip(&works)
            .map(|(app, work)| s.spawn(move || run(work, &push_opts(), &[(app, "2.0.0")])))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    for (r, log) in &results {
        assert!(matches!(r, Ok(Outcome::Pushed { .. })), "{r:?} {log:?}");
    }
    for a in &APPS[..4] {
        assert_eq!(tag_at(&served, "main", a), "2.0.0");
    }
    assert_linear(&served, "main");
    assert_no_force_push(&served, "main");
}

// ---------------------------------------------------------------------------
// Signing.

#[test]
fn gpg_signed_commit_verifies() {
    let t = tmp();
    let (remote, url) = seeded_remote(t.path());
    let work = clone(t.path(), &url, "work");
    let gnupg = t.path().join("gnupg");
    std::fs::create_dir_all(&gnupg).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let gpg = |args: &[&str]| {
        let out = Command::new("gpg")
            .env("GNUPGHOME", &gnupg)
            .args(args)
            .output()
            .expect("gpg runs");
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    gpg(&[
        "--batch",
        "--passphrase",
        "",
        "--quick-gen-key",
        "Image Bot <bot@example.com>",
        "ed25519",
        "sign",
        "never",
    ]);
    let fpr = gpg(&["--list-secret-keys", "--with-colons", "bot@example.com"])
        .lines()
        .find_map(|l| {
            l.strip_prefix("fpr:")
                .map(|r| r.trim_matches(':').to_owned())
        })
        .unwrap();
    // gpg.program: a wrapper that pins the throwaway keyring.
    let wrapper = t.path().join("gpg-wrapper.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec gpg --homedir '{}' \"$@\"\n",
            gnupg.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    git(&work, &["config", "gpg.program", wrapper.to_str().unwrap()]);
    git(&work, &["config", "user.signingkey", &fpr]);
    git(&work, &["config", "commit.gpgsign", "true"]);
    let (r, _) = run(&work, &push_opts(), &[("a", "1.1.0")]);
    let result = (|| {
        let Ok(Outcome::Pushed { commit, .. }) = r else {
            return Err(format!("{r:?}"));
        };
        let out = git_env(
            Command::new("git")
                .args(["verify-commit", "-v", &commit])
                .current_dir(&remote),
        )
        .env("GNUPGHOME", &gnupg)
        .output()
        .unwrap();
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() || !text.contains("Good signature") {
            return Err(text);
        }
        // --no-sign overrides commit.gpgsign.
        let (r, _) = run(
            &work,
            &Options {
                sign: Some(false),
                ..push_opts()
            },
            &[("b", "1.1.0")],
        );
        let Ok(Outcome::Pushed { commit, .. }) = r else {
            return Err(format!("{r:?}"));
        };
        let (ok, _) = git_try(&remote, &["verify-commit", &commit]);
        if ok {
            return Err("unsigned commit verified".into());
        }
        Ok(())
    })();
    let _ = Command::new("gpgconf")
        .args(["--homedir"])
        .arg(&gnupg)
        .args(["--kill", "gpg-agent"])
        .output();
    result.unwrap();
}

#[test]
fn ssh_signed_commit_verifies() {
    let t = tmp();
    let (remote, url) = seeded_remote(t.path());
    let work = clone(t.path(), &url, "work");
    let key = t.path().join("id_ed25519");
    let out = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "bot@example.com",
            "-f",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success());
    let pubkey = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let allowed = t.path().join("allowed_signers");
    std::fs::write(
        &allowed,
        format!("bot@example.com namespaces=\"git\" {pubkey}"),
    )
    .unwrap();
    git(&work, &["config", "gpg.format", "ssh"]);
    git(
        &work,
        &[
            "config",
            "user.signingkey",
            key.with_extension("pub").to_str().unwrap(),
        ],
    );
    let o = Options {
        sign: Some(true),
        ..push_opts()
    };
    let (r, _) = run(&work, &o, &[("a", "1.1.0")]);
    let Ok(Outcome::Pushed { commit, .. }) = r else {
        panic!("{r:?}")
    };
    git(
        &remote,
        &[
            "config",
            "gpg.ssh.allowedSignersFile",
            allowed.to_str().unwrap(),
        ],
    );
    let (ok, text) = git_try(&remote, &["verify-commit", "-v", &commit]);
    assert!(
        ok && text.contains("Good \"git\" signature for bot@example.com"),
        "{text}"
    );
    // A missing key file fails the commit; the files are put back.
    git(&work, &["config", "user.signingkey", "/nonexistent/key"]);
    let head = git(&work, &["rev-parse", "HEAD"]);
    let (r, _) = run(&work, &o, &[("b", "1.1.0")]);
    let e = r.unwrap_err();
    assert!(e.message.contains("ssh-keygen failed to sign"), "{e}");
    assert_eq!(status(&work), "");
    assert_eq!(git(&work, &["rev-parse", "HEAD"]), head);
}

// Keep `Applied` in scope for readers of the test `apply` signature.
#[allow(dead_code)]
fn _apply_signature(_: &mut dyn FnMut(&Path) -> Result<Applied, imageupdate::git::ApplyError>) {}

// ---------------------------------------------------------------------------
// Through the real binary. Ignored until `apply` flattens `GitArgs` and
// calls `gitflags::run` (run with `--run-ignored all`).

fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Eight processes run `apply --set … --commit --push` at once on clones of
/// one remote, each bumping a different image.
#[test]
fn cli_race_of_eight_processes() {
    let t = tmp();
    let (remote, url) = seeded_deploy_remote(t.path());
    let works: Vec<PathBuf> = APPS
        .iter()
        .map(|a| clone(t.path(), &url, &format!("w-{a}")))
        .collect();
    let start = Instant::now();
    let children: Vec<_> = APPS
        .iter()
        .zip(&works)
        .map(|(a, w)| {
            product(w)
                .args([
                    "apply",
                    "--set",
                    &format!("registry.example.com/team/{a}=2.0.0"),
                ])
                .args([
                    "--commit",
                    "--push",
                    "--author",
                    "Image Bot <bot@example.com>",
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut attempts = Vec::new();
    for (a, child) in APPS.iter().zip(children) {
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{a}: {err}");
        assert!(err.contains("pushed commit "), "{a}: {err}");
        attempts.push(err.matches("re-planning").count() + 1);
    }
    eprintln!("8 processes: {:?}, attempts {attempts:?}", start.elapsed());
    for a in APPS {
        assert_eq!(image_tag_at(&remote, "main", a), "2.0.0", "{a}");
    }
    assert_eq!(history(&remote, "main").len(), 9);
    assert_linear(&remote, "main");
    assert_no_force_push(&remote, "main");
}

#[test]
fn cli_messages_and_exit_codes() {
    let t = tmp();
    let (remote, url) = seeded_deploy_remote(t.path());
    let work = clone(t.path(), &url, "work");
    let set = ["apply", "--set", "registry.example.com/team/a=2.0.0"];
    let author = ["--author", "Image Bot <bot@example.com>"];
    // A template error: exit 2, nothing written.
    let (code, _, err) = output(product(&work).args(set).args(author).args([
        "--commit",
        "--message-template",
        "{{ .Nope }}",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("can't evaluate field Nope"), "{err}");
    assert_eq!(status(&work), "");
    // Pushed.
    let (code, _, err) = output(product(&work).args(set).args(author).arg("--push"));
    assert_eq!(code, 0, "{err}");
    let tip = git(&remote, &["rev-parse", "--short=7", "main"]);
    assert!(
        err.contains(&format!("pushed commit {tip} to main")),
        "{err}"
    );
    // Nothing to do.
    let (code, _, err) = output(product(&work).args(set).args(author).arg("--push"));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("nothing to do"), "{err}");
    // Dirty file: exit 2, left as it was.
    std::fs::write(
        work.join("apps/b.yaml"),
        deploy_yaml("b", "1.0.0") + "# mine\n",
    )
    .unwrap();
    let (code, _, err) = output(
        product(&work)
            .args(["apply", "--set", "registry.example.com/team/b=2.0.0"])
            .args(author)
            .arg("--commit"),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("apps/b.yaml has uncommitted changes"), "{err}");
    assert!(
        std::fs::read_to_string(work.join("apps/b.yaml"))
            .unwrap()
            .ends_with("# mine\n")
    );
}

#[test]
fn cli_clone_mode_and_token_never_printed() {
    let t = tmp();
    let (remote, _) = seeded_deploy_remote(t.path());
    let server = HttpGit::start(t.path());
    let served = server.repos.join("remote.git");
    std::fs::rename(&remote, &served).unwrap();
    git(&served, &["config", "http.receivepack", "true"]);
    let elsewhere = t.path().join("job");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let cache = t.path().join("cache");
    let run = |tag: &str, token: &str| {
        output(
            product(&elsewhere)
                .args([
                    "apply",
                    "--set",
                    &format!("registry.example.com/team/a={tag}"),
                ])
                .args(["--push", "--author", "Image Bot <bot@example.com>"])
                .args([
                    "--clone",
                    &server.url("remote.git"),
                    "--clone-dir",
                    cache.to_str().unwrap(),
                ])
                .args(["--token-env", "IU_CLI_TOKEN", "--token-user", USER])
                .env("IU_CLI_TOKEN", token),
        )
    };
    let (code, out, err) = run("2.0.0", PASSWORD);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("pushed commit"), "{err}");
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD));
    assert_eq!(image_tag_at(&served, "main", "a"), "2.0.0");
    // A second run updates the same cache.
    let (code, _, err) = run("2.1.0", PASSWORD);
    assert_eq!(code, 0, "{err}");
    assert_eq!(image_tag_at(&served, "main", "a"), "2.1.0");
    // A wrong token: exit 2, and the token is not printed.
    let (code, out, err) = run("2.2.0", "wr0ng-T0ken");
    assert_eq!(code, 2, "{err}");
    assert!(
        !out.contains("wr0ng-T0ken") && !err.contains("wr0ng-T0ken"),
        "{err}"
    );
    assert_eq!(image_tag_at(&served, "main", "a"), "2.1.0");
}
