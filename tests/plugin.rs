//! The binary as a kubectl plugin, through the machine's real kubectl: found
//! by `kubectl plugin list`, usage spelled `kubectl imageupdate`, arguments
//! and exit codes passed through unchanged.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-imageupdate");

/// A folder holding only the plugin, first on PATH. target/debug itself
/// would also expose `kubectl-imageupdate.d` (cargo's dep-info), which
/// `kubectl plugin list` reports as a broken plugin.
struct PluginPath {
    _dir: tempfile::TempDir,
    path: OsString,
    plugin: std::path::PathBuf,
}

fn plugin_path() -> PluginPath {
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("kubectl-imageupdate");
    std::os::unix::fs::symlink(BIN, &plugin).unwrap();
    let mut dirs = vec![dir.path().to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    PluginPath {
        path: std::env::join_paths(dirs).unwrap(),
        _dir: dir,
        plugin,
    }
}

/// The machine's kubectl; missing, the test fails rather than skips.
fn kubectl(p: &PluginPath) -> Command {
    let found = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "kubectl is not on PATH: these tests need a kubectl client (>= 1.26), e.g. /usr/bin/kubectl"
    );
    let mut cmd = Command::new("kubectl");
    // No cluster is needed: a kubeconfig that does not exist proves it.
    cmd.env("PATH", &p.path)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env_remove("NO_COLOR");
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn write(root: &Path, rel: &str, body: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
}

fn repo(marker: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "clusters/policies.yaml",
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: podinfo\n  namespace: flux-system\nspec:\n  image: ghcr.io/stefanprodan/podinfo\n  interval: 5m\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: podinfo\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: podinfo\n  policy:\n    semver:\n      range: 6.x\n",
    );
    write(
        dir.path(),
        "apps/deploy.yaml",
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/stefanprodan/podinfo:6.0.0 # {{\"$imagepolicy\": \"{marker}\"}}\n"
        ),
    );
    dir
}

#[test]
fn plugin_list_finds_it() {
    let p = plugin_path();
    let out = kubectl(&p).args(["plugin", "list"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed
            .lines()
            .any(|l| l.trim() == p.plugin.to_str().unwrap()),
        "{}",
        text(&out)
    );
    // Other plugins on the developer's PATH may draw warnings; this one must not.
    let ours = p.plugin.to_str().unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr)
            .lines()
            .any(|l| l.contains(ours) && l.contains("warning")),
        "{}",
        text(&out)
    );
}

#[test]
fn help_through_kubectl_names_the_plugin_form() {
    let p = plugin_path();
    let out = kubectl(&p)
        .args(["imageupdate", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Usage: kubectl imageupdate"), "{help}");
    assert!(help.contains("validate"), "{help}");
}

#[test]
fn validate_through_kubectl_passes_exit_codes() {
    let p = plugin_path();
    let clean = repo("flux-system:podinfo");
    let out = kubectl(&p)
        .args(["imageupdate", "validate", "--root"])
        .arg(clean.path())
        .arg(clean.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let broken = repo("flux-system:podinfoo");
    let out = kubectl(&p)
        .args(["imageupdate", "validate", "--format", "json", "--root"])
        .arg(broken.path())
        .arg(broken.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["diagnostics"][0]["code"], "IU105");

    let out = kubectl(&p)
        .args(["imageupdate", "validate", "--root"])
        .arg(clean.path())
        .arg(clean.path().join("missing.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

/// kubectl hands global flags to the plugin untouched; the plugin accepts
/// the kubeconfig ones even for offline commands.
#[test]
fn kubectl_flags_after_the_plugin_name_reach_it() {
    let p = plugin_path();
    let clean = repo("flux-system:podinfo");
    let out = kubectl(&p)
        .args([
            "imageupdate",
            "-n",
            "flux-system",
            "--context",
            "prod",
            "validate",
            "--root",
        ])
        .arg(clean.path())
        .arg(clean.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
