//! Where Flux's controllers would not produce or not apply an
//! ImagePolicy's `latestRef`, preview says why and apply writes nothing:
//! testdata/flux-scope holds one marker per rule (its README), resolved
//! with its own tags.yaml. Each test names the upstream code that decides.

mod common;

use std::path::PathBuf;

use common::{bin, project, testdata};

fn repo() -> PathBuf {
    testdata("flux-scope")
}

fn preview(extra: &[&str]) -> Vec<serde_json::Value> {
    let out = bin()
        .current_dir(project())
        .args(["preview", "--root"])
        .arg(repo())
        .arg("--tags-from")
        .arg(repo().join("tags.yaml"))
        .args(["-o", "json"])
        .args(extra)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["updates"].as_array().expect("updates").clone()
}

/// (candidate, reason) of the row at `file:line`.
fn at(rows: &[serde_json::Value], file: &str, line: u64) -> (Option<String>, Option<String>) {
    let r = rows
        .iter()
        .find(|u| u["file"] == file && u["line"] == line)
        .unwrap_or_else(|| panic!("no row {file}:{line} in {rows:#?}"));
    let s = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    (s(&r["candidate"]), s(&r["reason"]))
}

fn skipped_because(rows: &[serde_json::Value], file: &str, line: u64, words: &[&str]) {
    let (candidate, reason) = at(rows, file, line);
    assert_eq!(candidate, None, "{file}:{line} should not resolve");
    let reason = reason.unwrap_or_default();
    for w in words {
        assert!(reason.contains(w), "{file}:{line}: {reason:?} lacks {w:?}");
    }
}

const DEPLOY: &str = "apps/podinfo/deployment.yaml";

/// The control: a selected policy, a file under `update.path`.
#[test]
fn a_selected_policy_in_scope_resolves() {
    let rows = preview(&[]);
    assert_eq!(
        at(&rows, DEPLOY, 18).0.as_deref(),
        Some("ghcr.io/stefanprodan/podinfo:6.7.1")
    );
}

/// image-automation-controller `internal/controller/imageupdateautomation_controller.go`,
/// `getPolicies`: the automation lists ImagePolicies with its
/// `spec.policySelector` (`matchLabels` and `matchExpressions`, as
/// `metav1.LabelSelectorAsSelector` reads them); a marker naming an
/// unselected policy is left alone.
#[test]
fn policy_selector_leaves_unselected_policies_alone() {
    let rows = preview(&[]);
    skipped_because(
        &rows,
        DEPLOY,
        21,
        &["flux-system/apps's policySelector does not select ImagePolicy unselected"],
    );
    // matchExpressions: `tier In (web, edge)` selects `web`, not `podinfo`.
    assert_eq!(
        at(&rows, "web/deployment.yaml", 11).0.as_deref(),
        Some("ghcr.io/stefanprodan/podinfo:6.7.1")
    );
    skipped_because(
        &rows,
        "web/deployment.yaml",
        14,
        &["flux-system/web's policySelector does not select ImagePolicy podinfo"],
    );
}

/// image-automation-controller `internal/policy/applier.go`,
/// `ApplyPolicies`: only files under `spec.update.path` (securejoin'ed in
/// the clone) are scanned for markers.
#[test]
fn update_path_scopes_the_markers_applied() {
    let rows = preview(&[]);
    skipped_because(
        &rows,
        "other/deployment.yaml",
        11,
        &["outside update.path", "(./apps)"],
    );
}

/// image-reflector-controller `internal/controller/imagepolicy_controller.go`
/// and `imagerepository_controller.go`, `Reconcile` ("reconciliation is
/// suspended"), and image-automation-controller
/// `imageupdateautomation_controller.go`, `Reconcile`: a suspended object
/// is not reconciled, so `latestRef` stays where the cluster has it.
#[test]
fn suspended_objects_are_not_reconciled() {
    let rows = preview(&[]);
    skipped_because(
        &rows,
        DEPLOY,
        24,
        &["ImagePolicy flux-system/paused-policy is suspended"],
    );
    skipped_because(
        &rows,
        DEPLOY,
        27,
        &["ImageRepository flux-system/frozen is suspended"],
    );
    skipped_because(
        &rows,
        "paused/deployment.yaml",
        11,
        &["ImageUpdateAutomation flux-system/paused is suspended"],
    );
}

/// image-reflector-controller `internal/controller/imagepolicy_controller.go`,
/// `getImageRepository`, and fluxcd/pkg `runtime/acl`, `HasAccessToRef`:
/// another namespace's ImageRepository without `accessFrom` denies the
/// policy.
#[test]
fn cross_namespace_repository_without_access_from_gives_no_latest_ref() {
    let rows = preview(&[]);
    skipped_because(
        &rows,
        DEPLOY,
        30,
        &[
            "ImageRepository team-a/shared has no spec.accessFrom",
            "flux-system/cross",
        ],
    );
}

/// image-reflector-controller `api/v1/imagepolicy_types.go`, the two
/// `XValidation` CEL rules on `ImagePolicySpec`: `interval` only with
/// `digestReflectionPolicy: Always`, and required with it.
#[test]
fn crd_cel_rules_reject_interval_and_always_mismatches() {
    let rows = preview(&[]);
    skipped_because(
        &rows,
        DEPLOY,
        33,
        &[
            "rejects ImagePolicy flux-system/always-no-interval",
            "spec.interval must be set",
        ],
    );
    skipped_because(
        &rows,
        DEPLOY,
        36,
        &[
            "rejects ImagePolicy flux-system/interval-no-always",
            "only accepted when",
        ],
    );
}

/// image-reflector-controller `internal/policy/factory.go`,
/// `PolicerFromSpec`: semver is taken first when set, and a semver
/// without a range fails (`NewSemVer("")`); the controller never falls
/// back to the next kind.
#[test]
fn a_policy_with_two_kinds_stalls_on_a_semver_without_range() {
    let rows = preview(&[]);
    skipped_because(
        &rows,
        DEPLOY,
        39,
        &[
            "two-kinds stalls",
            "semver has no range",
            "does not fall back to alphabetical",
        ],
    );
}

/// Flux 2.9's image-reflector-controller and image-automation-controller
/// (1.2) serve only `image.toolkit.fluxcd.io/v1` (their `api/v1beta2`
/// types carry `+kubebuilder:skipversion`): preview follows `--flux`,
/// current (2.9) by default.
#[test]
fn v1beta2_objects_follow_the_named_flux_release() {
    let rows = preview(&[]);
    skipped_because(
        &rows,
        DEPLOY,
        42,
        &["image.toolkit.fluxcd.io/v1beta2, which Flux 2.9 does not serve (removed in Flux 2.9)"],
    );
    let rows = preview(&["--flux", "2.8"]);
    assert_eq!(
        at(&rows, DEPLOY, 42).0.as_deref(),
        Some("ghcr.io/stefanprodan/podinfo:6.7.1")
    );
    let bad = bin()
        .current_dir(project())
        .args(["preview", "--flux", "two.nine"])
        .arg(repo())
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));
}

/// image-reflector-controller `internal/controller/imagepolicy_controller.go`,
/// `updateImageRefs`: with `IfNotPresent`, an unchanged tag whose digest is
/// known keeps that digest (nothing is fetched); a moved tag gets the new
/// tag's digest.
#[test]
fn if_not_present_keeps_the_digest_of_an_unchanged_tag() {
    let rows = preview(&[]);
    assert_eq!(
        at(&rows, DEPLOY, 45).0.as_deref(),
        Some(
            "ghcr.io/stefanprodan/podinfo:6.7.1@sha256:1111111111111111111111111111111111111111111111111111111111111111"
        )
    );
    assert_eq!(
        at(&rows, DEPLOY, 48).0.as_deref(),
        Some(
            "ghcr.io/stefanprodan/podinfo:6.7.1@sha256:7171717171717171717171717171717171717171717171717171717171717171"
        )
    );
    // A `:digest` marker beside a `:tag` marker of the same policy.
    let k = "apps/podinfo/kustomization.yaml";
    assert_eq!(
        at(&rows, k, 12).0.as_deref(),
        Some("sha256:1111111111111111111111111111111111111111111111111111111111111111")
    );
    assert_eq!(
        at(&rows, k, 16).0.as_deref(),
        Some("sha256:7171717171717171717171717171717171717171717171717171717171717171")
    );
}

/// image-automation-controller `internal/update/setters.go` (the
/// `:digest` setter gets `latestRef.digest`, `""` under
/// `digestReflectionPolicy: Never`): the tool skips the marker with that
/// reason rather than blank the field.
#[test]
fn never_with_a_digest_marker_is_skipped_with_its_reason() {
    let rows = preview(&[]);
    assert_eq!(
        at(&rows, "apps/podinfo/kustomization.yaml", 7).0.as_deref(),
        Some("6.7.1")
    );
    skipped_because(
        &rows,
        "apps/podinfo/kustomization.yaml",
        8,
        &["does not reflect digests; Flux would write an empty string"],
    );
}

/// Apply writes exactly what preview resolved and lists every other
/// marker under `skipped` with preview's reason, naming the image.
#[test]
fn apply_writes_nothing_where_flux_would_not() {
    let out = bin()
        .current_dir(project())
        .args(["apply", "--dry-run", "-o", "json", "--root"])
        .arg(repo())
        .arg("--tags-from")
        .arg(repo().join("tags.yaml"))
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut changed: Vec<(String, u64)> = v["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["file"].as_str().unwrap().to_owned(),
                c["line"].as_u64().unwrap(),
            )
        })
        .collect();
    changed.sort();
    assert_eq!(
        changed,
        [
            (DEPLOY.to_owned(), 18),
            (DEPLOY.to_owned(), 48),
            ("apps/podinfo/kustomization.yaml".to_owned(), 7),
            ("apps/podinfo/kustomization.yaml".to_owned(), 15),
            ("apps/podinfo/kustomization.yaml".to_owned(), 16),
            ("web/deployment.yaml".to_owned(), 11),
        ]
    );
    let skipped = v["skipped"].as_array().expect("skipped");
    for line in [21, 24, 27, 30, 33, 36, 39, 42] {
        let s = skipped
            .iter()
            .find(|s| s["file"] == DEPLOY && s["line"] == line)
            .unwrap_or_else(|| panic!("{DEPLOY}:{line} not under skipped: {skipped:#?}"));
        assert!(!s["reason"].as_str().unwrap_or_default().is_empty());
        assert!(
            s["image"]
                .as_str()
                .unwrap_or_default()
                .starts_with("ghcr.io/"),
            "{s}"
        );
    }
}

/// IU310 findings of `validate --format json` over `root`.
fn iu310(root: &std::path::Path) -> Vec<String> {
    common::json(root)["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "IU310")
        .map(|d| d["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn git(root: &std::path::Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .status()
        .expect("git runs")
        .success();
    assert!(ok, "git {args:?}");
}

const AUTOMATION: &str = "apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 30m
  sourceRef:
    kind: GitRepository
    name: SOURCE
  git:
    commit:
      author:
        email: bot@example.com
    push:
      branch: main
  update:
    path: ./clusters/production
";

fn git_repository(name: &str, url: &str) -> String {
    format!(
        "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 1m
  url: {url}
"
    )
}

/// IU310 is about this checkout only: image-automation-controller
/// `internal/source/source.go` (`NewSourceManager`, `CheckoutSource`)
/// clones the GitRepository's `url` and resolves `update.path` in that
/// clone. A GitRepository absent here, or whose `url` is none of this
/// checkout's remotes, is another repository: no finding. Otherwise the
/// finding says which GitRepository it took for this checkout.
#[test]
fn update_path_missing_only_for_this_checkouts_git_repository() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    git(root, &["init", "-q"]);
    git(
        root,
        &[
            "remote",
            "add",
            "origin",
            "git@github.com:example/fleet.git",
        ],
    );
    // Absent: the automation's GitRepository is defined elsewhere.
    common::write(
        root,
        "flux-system/automation.yaml",
        &AUTOMATION.replace("SOURCE", "apps-repo"),
    );
    assert_eq!(iu310(root), Vec::<String>::new());
    // Present with another repository's url.
    common::write(
        root,
        "flux-system/source.yaml",
        &git_repository("apps-repo", "https://github.com/example/apps"),
    );
    assert_eq!(iu310(root), Vec::<String>::new());
    // Present with this checkout's remote (another spelling of it).
    common::write(
        root,
        "flux-system/source.yaml",
        &git_repository("apps-repo", "ssh://git@github.com/example/fleet"),
    );
    let found = iu310(root);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("GitRepository flux-system/apps-repo clones ssh://git@github.com/example/fleet, this checkout's remote"),
        "{found:?}"
    );
    // Without a remote to compare with, the GitRepository is assumed to be
    // this checkout, and the finding says so.
    git(root, &["remote", "remove", "origin"]);
    let found = iu310(root);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("assuming GitRepository flux-system/apps-repo (ssh://git@github.com/example/fleet) is this checkout"),
        "{found:?}"
    );
}
