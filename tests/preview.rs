//! `preview`: the exact candidate of every target on a fixture modelled on
//! Flux's own setter test data, exit codes, unusable tag files, and
//! snapshots of the table, JSON and YAML outputs on the example
//! repositories with testdata/tags.yaml.

mod common;

use std::path::Path;

use common::{bin, project, testdata};

const DIGEST: &str = "sha256:6745a1e4e6e0b36c5e3c77dbfc7c1b1ee0d13e0b2e5c5a9d9e3b0c4f1a8e14be";

fn preview(repo: &Path, tags: &Path, extra: &[&str]) -> std::process::Output {
    bin()
        .current_dir(project())
        .arg("preview")
        .arg("--root")
        .arg(repo)
        .arg("--tags-from")
        .arg(tags)
        .args(extra)
        .output()
        .unwrap()
}

fn updates(repo: &Path, tags: &Path) -> Vec<serde_json::Value> {
    let out = preview(repo, tags, &["-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["updates"].as_array().unwrap().clone()
}

/// (file, line, source, current, candidate, changed)
type Row = (String, u64, String, Option<String>, Option<String>, bool);

fn rows(updates: &[serde_json::Value]) -> Vec<Row> {
    let s = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    updates
        .iter()
        .map(|u| {
            (
                s(&u["file"]).unwrap(),
                u["line"].as_u64().unwrap(),
                s(&u["source"]).unwrap(),
                s(&u["current"]),
                s(&u["candidate"]),
                u["changed"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn row(
    file: &str,
    line: u64,
    source: &str,
    current: &str,
    candidate: Option<&str>,
    changed: bool,
) -> Row {
    (
        file.into(),
        line,
        source.into(),
        Some(current.into()),
        candidate.map(Into::into),
        changed,
    )
}

#[test]
fn flux_setter_conformance() {
    let repo = testdata("flux-setters");
    let got = updates(&repo, &repo.join("tags.yaml"));
    let with_digest = format!("image:v1.0.0@{DIGEST}");
    assert_eq!(
        rows(&got),
        [
            row(
                "Kustomization",
                6,
                "kustomize",
                "replaced",
                Some("index.repo.fake/updated"),
                true
            ),
            row("Kustomization", 7, "kustomize", "v1", Some("v1.0.1"), true),
            row(
                "kustomization.yml",
                5,
                "kustomize",
                "replaced",
                Some("index.repo.fake/updated"),
                true
            ),
            row(
                "kustomization.yml",
                6,
                "kustomize",
                "v1",
                Some("v1.0.1"),
                true
            ),
            row(
                "kustomization.yml",
                7,
                "kustomize",
                "sha256:1111111111111111111111111111111111111111111111111111111111111111",
                Some(DIGEST),
                true
            ),
            row(
                "kustomization.yml",
                16,
                "marker",
                "image",
                Some(&with_digest),
                true
            ),
            // The full marker replaces registry and repository with the
            // ImageRepository's spec.image.
            row(
                "marked.yaml",
                14,
                "marker",
                "image:v1.0.0",
                Some("index.repo.fake/updated:v1.0.1"),
                true
            ),
            row(
                "marked.yaml",
                16,
                "marker",
                "image:v1.0.0",
                Some("image:v1.0.0"),
                false
            ),
            // A policy in a namespace the repository does not define.
            row("otherns.yaml", 10, "marker", "image:v1.0.0", None, false),
        ]
    );
    let other = got.iter().find(|u| u["file"] == "otherns.yaml").unwrap();
    assert_eq!(
        other["reason"],
        "no ImagePolicy other-namespace/policy in the repository"
    );
    assert_eq!(got[0]["policy"], "automation-ns/policy (semver >=1.0.0)");
    assert_eq!(got[0]["image"], "index.repo.fake/updated");
}

#[test]
fn exit_code_flag() {
    let repo = testdata("flux-setters");
    let tags = repo.join("tags.yaml");
    assert_eq!(preview(&repo, &tags, &[]).status.code(), Some(0));
    assert_eq!(
        preview(&repo, &tags, &["--exit-code"]).status.code(),
        Some(1)
    );
    // Only the up-to-date marker: nothing would change.
    let out = preview(&repo, &tags, &["--exit-code", "-o", "json", "marked.yaml"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(repo.join("policies.yaml"), dir.path().join("policies.yaml")).unwrap();
    std::fs::write(
        dir.path().join("app.yaml"),
        "image: image:v1.0.0 # {\"$imagepolicy\": \"automation-ns:unchanged\"}\n",
    )
    .unwrap();
    let out2 = preview(dir.path(), &tags, &["--exit-code"]);
    assert_eq!(
        out2.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out2.stdout)
    );
    let _ = out;
}

#[test]
fn tags_file_problems_are_usage_errors() {
    let repo = testdata("flux-setters");
    let dir = tempfile::tempdir().unwrap();
    // Without --tags-from the registries are asked; an unreadable registry
    // configuration fails before any request.
    let out = bin()
        .current_dir(project())
        .args(["preview", "--root"])
        .arg(&repo)
        .arg("--registries-conf")
        .arg(dir.path().join("missing.conf"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read registries configuration"));
    let bad = dir.path().join("tags.yaml");
    std::fs::write(&bad, "nginx:\n  - tag: 1.0\n    created: yesterday\n").unwrap();
    let out = preview(&repo, &bad, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tags.yaml:3:"), "{err}");
    let out = preview(&repo, &dir.path().join("missing.yaml"), &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn repository_missing_from_tags_file_is_a_reason_not_a_failure() {
    let repo = testdata("flux-setters");
    let dir = tempfile::tempdir().unwrap();
    let tags = dir.path().join("tags.yaml");
    std::fs::write(&tags, "index.repo.fake/updated: [v1.0.0, v1.0.1]\n").unwrap();
    let got = updates(&repo, &tags);
    let m = got
        .iter()
        .find(|u| u["file"] == "marked.yaml" && u["line"] == 16)
        .unwrap();
    assert_eq!(m["candidate"], serde_json::Value::Null);
    assert!(
        m["reason"]
            .as_str()
            .unwrap()
            .contains("docker.io/library/image"),
        "{m}"
    );
}

fn snapshot(repo: &str) {
    let root = testdata(repo);
    let tags = testdata("tags.yaml");
    let name = repo.replace('/', "__");
    for (format, ext) in [("table", "table"), ("json", "json"), ("yaml", "yaml")] {
        let out = preview(&root, &tags, &["-o", format]);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{repo} {format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        insta::assert_snapshot!(
            format!("{name}__{ext}"),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn snapshots_flux() {
    snapshot("flux");
}

#[test]
fn snapshots_argocd_kustomize() {
    snapshot("argocd-kustomize");
}

#[test]
fn snapshots_argocd_helm() {
    snapshot("argocd-helm");
}

#[test]
fn snapshots_kubesphere() {
    snapshot("kubesphere");
}

/// The write-back example with its own tags: the live-image gate skips
/// `waf` (no workload of `kustomize/edge` runs it; `UpdateApplication`,
/// `pkg/argocd/update.go`, with `ContainsImage`,
/// `registry-scanner/pkg/image/image.go`) and lets the forced `auth`
/// through; the hydrated app's current value is read from its dry source.
#[test]
fn argocd_writeback_preview_gates_images_that_are_not_live() {
    let root = testdata("argocd-writeback");
    let tags = testdata("argocd-writeback.tags.yaml");
    let out = preview(&root, &tags, &["-o", "json"]);
    assert!(out.status.code().is_some_and(|c| c <= 1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["updates"].as_array().unwrap();
    let row = |image: &str| {
        rows.iter()
            .find(|r| r["image"] == image)
            .unwrap_or_else(|| panic!("{image}: {rows:#?}"))
    };
    let waf = row("ghcr.io/acme/waf");
    assert!(waf["candidate"].is_null());
    let reason = waf["reason"].as_str().unwrap();
    assert!(
        reason.contains("not among Application edge's live images")
            && reason.contains("kustomize/edge"),
        "{reason}"
    );
    assert_eq!(row("ghcr.io/acme/auth")["candidate"], "4.0.2");
    assert_eq!(row("ghcr.io/acme/storefront")["current"], "2.4.1");
    let out = preview(&root, &tags, &["-o", "table"]);
    insta::assert_snapshot!(
        "argocd-writeback__table",
        String::from_utf8_lossy(&out.stdout)
    );
}
