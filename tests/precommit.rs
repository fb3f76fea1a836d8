//! The project as a pre-commit hook repository, run by the real pre-commit
//! (installed by scripts/install-test-deps). Each test builds a hook
//! repository (a git repo holding `.pre-commit-hooks.yaml`, committed, since
//! pre-commit clones it) and a target repository, then runs `try-repo` or a
//! real `git commit`. The `kubectl-imageupdate-system` hook runs the binary
//! under test, put on PATH; one test builds the `language: rust` hook from
//! source the way users' machines do.

mod common;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{POLICIES, deployment};

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-imageupdate");

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// pre-commit as installed by scripts/install-test-deps: the script on PATH,
/// else the module (pip may put scripts in a folder not on PATH). A missing
/// tool fails the test: skipping would hide that the hook is untested.
fn pre_commit() -> Command {
    let works = |cmd: &mut Command| {
        cmd.arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works(&mut Command::new("pre-commit")) {
        return Command::new("pre-commit");
    }
    if works(Command::new("python3").args(["-m", "pre_commit"])) {
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "pre_commit"]);
        return cmd;
    }
    panic!("pre-commit is not installed: run scripts/install-test-deps");
}

fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        // The hooks must not see the developer's global git settings.
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs")
}

fn git_ok(dir: &Path, args: &[&str]) {
    let out = git(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A hook repository at a commit holding this project's hooks file and, for
/// the `language: rust` hook, the sources `cargo install --path .` needs.
fn hook_repo(with_source: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let project = common::project();
    let mut files = vec![".pre-commit-hooks.yaml"];
    if with_source {
        files.extend(["Cargo.toml", "Cargo.lock", "README.md", "src", "benches"]);
    }
    for rel in files {
        let from = project.join(rel);
        if from.is_dir() {
            common::copy_tree(&from, &dir.path().join(rel));
        } else {
            std::fs::copy(&from, dir.path().join(rel)).unwrap();
        }
    }
    git_ok(dir.path(), &["init", "-q"]);
    git_ok(dir.path(), &["add", "."]);
    git_ok(dir.path(), &["commit", "-q", "-m", "hooks"]);
    dir
}

/// A GitOps repository with the policies and a clean deployment committed.
fn target_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "clusters/policies.yaml", POLICIES);
    write(
        dir.path(),
        "apps/deploy.yaml",
        &deployment("flux-system:podinfo"),
    );
    write(dir.path(), "README.md", "# fleet\n");
    git_ok(dir.path(), &["init", "-q"]);
    git_ok(dir.path(), &["add", "."]);
    git_ok(dir.path(), &["commit", "-q", "-m", "initial"]);
    dir
}

/// PATH with the binary under test first.
fn path_with_bin() -> OsString {
    let bin_dir = Path::new(BIN).parent().unwrap();
    let mut dirs = vec![bin_dir.to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

/// Runs pre-commit with its cache in `home` (not ~/.cache) and no colours.
fn pre_commit_in(dir: &Path, home: &Path, path: &OsString) -> Command {
    let mut cmd = pre_commit();
    cmd.current_dir(dir)
        .env("PRE_COMMIT_HOME", home)
        .env("PATH", path)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("KUBECONFIG")
        .env_remove("NO_COLOR");
    cmd
}

fn try_repo(hooks: &Path, hook: &str, target: &Path, files: &[&str]) -> (Option<i32>, String) {
    let home = tempfile::tempdir().unwrap();
    let out = pre_commit_in(target, home.path(), &path_with_bin())
        .arg("try-repo")
        .arg(hooks)
        .arg(hook)
        .args(["--color", "never", "--verbose", "--files"])
        .args(files)
        .output()
        .expect("pre-commit runs");
    (out.status.code(), text(&out))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const SYSTEM: &str = "kubectl-imageupdate-system";

#[test]
fn hooks_file_is_a_valid_manifest() {
    let out = pre_commit()
        .arg("validate-manifest")
        .arg(common::project().join(".pre-commit-hooks.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn clean_files_pass() {
    let hooks = hook_repo(false);
    let target = target_repo();
    let (code, out) = try_repo(
        hooks.path(),
        SYSTEM,
        target.path(),
        &["apps/deploy.yaml", "clusters/policies.yaml"],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Passed"), "{out}");
    // The hook really ran the binary (verbose shows its summary line).
    assert!(
        out.contains("0 errors, 0 warnings in 2 files checked"),
        "{out}"
    );
}

#[test]
fn broken_marker_fails_with_its_code() {
    let hooks = hook_repo(false);
    let target = target_repo();
    write(
        target.path(),
        "apps/deploy.yaml",
        &deployment("flux-system:podinfoo"),
    );
    git_ok(target.path(), &["add", "apps/deploy.yaml"]);
    let (code, out) = try_repo(hooks.path(), SYSTEM, target.path(), &["apps/deploy.yaml"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("Failed"), "{out}");
    assert!(out.contains("- exit code: 1"), "{out}");
    assert!(out.contains("IU105"), "{out}");
}

#[test]
fn staged_file_resolves_against_committed_files_not_passed() {
    let hooks = hook_repo(false);
    let target = target_repo();
    write(
        target.path(),
        "apps/other.yaml",
        &deployment("flux-system:podinfo"),
    );
    git_ok(target.path(), &["add", "apps/other.yaml"]);
    // Only the staged file is named; the ImagePolicy lives in clusters/.
    let (code, out) = try_repo(hooks.path(), SYSTEM, target.path(), &["apps/other.yaml"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("IU105"), "{out}");
    assert!(
        out.contains("in 1 file"),
        "only the named file is reported on: {out}"
    );
}

#[test]
fn kustomization_files_are_matched_and_other_files_are_not() {
    let hooks = hook_repo(false);
    let target = target_repo();
    write(
        target.path(),
        "apps/Kustomization",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: podinfo\n    newName: ghcr.io/stefanprodan/podinfo\n    newTag: 6.0.0 # {\"$imagepolicy\": \"flux-system:nope:tag\"}\n",
    );
    write(
        target.path(),
        "notes.txt",
        "image: x # {\"$imagepolicy\": \"nope\"}\n",
    );
    git_ok(target.path(), &["add", "."]);
    let (code, out) = try_repo(hooks.path(), SYSTEM, target.path(), &["apps/Kustomization"]);
    assert_eq!(code, Some(1), "Kustomization is passed to the hook: {out}");
    assert!(out.contains("IU105"), "{out}");

    let (code, out) = try_repo(
        hooks.path(),
        SYSTEM,
        target.path(),
        &["notes.txt", "README.md"],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("no files to check"), "{out}");
}

/// The way users run it: the hook installed into a repository whose
/// `.pre-commit-config.yaml` pins the hook repository, and `git commit`.
#[test]
fn git_commit_runs_the_installed_hook() {
    let hooks = hook_repo(false);
    let target = target_repo();
    let home = tempfile::tempdir().unwrap();
    let rev = String::from_utf8(git(hooks.path(), &["rev-parse", "HEAD"]).stdout).unwrap();
    write(
        target.path(),
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: {SYSTEM}\n",
            hooks.path().display(),
            rev.trim()
        ),
    );
    git_ok(target.path(), &["add", ".pre-commit-config.yaml"]);
    let path = path_with_bin();
    let out = pre_commit_in(target.path(), home.path(), &path)
        .arg("install")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));

    let commit = |msg: &str| {
        let mut cmd = Command::new("git");
        cmd.current_dir(target.path())
            .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
            .args(["commit", "-q", "-m", msg])
            .env("PRE_COMMIT_HOME", home.path())
            .env("PATH", &path)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1");
        cmd.output().unwrap()
    };

    write(target.path(), "apps/deploy.yaml", &deployment("podinfo"));
    git_ok(target.path(), &["add", "apps/deploy.yaml"]);
    let out = commit("broken marker");
    assert!(
        !out.status.success(),
        "the commit is refused: {}",
        text(&out)
    );
    assert!(text(&out).contains("IU102"), "{}", text(&out));

    write(
        target.path(),
        "apps/deploy.yaml",
        &deployment("flux-system:podinfo"),
    );
    git_ok(target.path(), &["add", "apps/deploy.yaml"]);
    let out = commit("clean");
    assert!(out.status.success(), "{}", text(&out));
    let log = git(target.path(), &["log", "--format=%s", "-1"]);
    assert_eq!(String::from_utf8_lossy(&log.stdout).trim(), "clean");
}

/// `language: rust`: pre-commit runs `cargo install --bins --path .` in its
/// clone of the hook repository, a release build of the whole crate. It
/// shares this project's target folder with `scripts/release` (the krew
/// test), so the dependencies are compiled once for both: cargo's lock on
/// the folder serialises the two builds and the second finds them fresh.
/// The registry is the developer's CARGO_HOME. PATH leaves out the test
/// binary, so the hook can only pass by running what it built.
#[test]
fn rust_hook_builds_from_source() {
    let hooks = hook_repo(true);
    let target = target_repo();
    write(
        target.path(),
        "apps/deploy.yaml",
        &deployment("flux-system:podinfoo"),
    );
    git_ok(target.path(), &["add", "apps/deploy.yaml"]);
    let home = tempfile::tempdir().unwrap();
    let target_dir: PathBuf = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::project().join("target"));
    let path = std::env::var_os("PATH").unwrap_or_default();
    assert!(
        !std::env::split_paths(&path).any(|d| d.join("kubectl-imageupdate").exists()),
        "an installed kubectl-imageupdate on PATH would mask the built one"
    );
    let out = pre_commit_in(target.path(), home.path(), &path)
        .env("CARGO_TARGET_DIR", &target_dir)
        .arg("try-repo")
        .arg(hooks.path())
        .arg("kubectl-imageupdate")
        .args([
            "--color",
            "never",
            "--verbose",
            "--files",
            "apps/deploy.yaml",
        ])
        .output()
        .unwrap();
    let out_text = text(&out);
    assert_eq!(out.status.code(), Some(1), "{out_text}");
    assert!(out_text.contains("- exit code: 1"), "{out_text}");
    assert!(out_text.contains("IU105"), "{out_text}");
}
