//! CLI behaviour of `validate`, `rules` and `explain`: exit codes, file
//! arguments as pre-commit passes them, ignore files, unreadable input.
//! Every test builds its own small repository in a temporary folder.

mod common;

use std::path::Path;

use common::{POLICIES, bin, deployment, write};

/// A git-less repository: the root is given with --root.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "clusters/policies.yaml", POLICIES);
    write(
        dir.path(),
        "apps/deploy.yaml",
        &deployment("flux-system:podinfo"),
    );
    dir
}

fn run(root: &Path, args: &[&str]) -> std::process::Output {
    bin()
        .current_dir(root)
        .arg("validate")
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

fn codes(out: &std::process::Output) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn clean_repository_exits_0() {
    let dir = repo();
    let out = run(dir.path(), &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Human output closes stdout with the totals (issue 21).
    assert!(
        String::from_utf8_lossy(&out.stdout).ends_with("0 errors, 0 warnings in 2 files checked\n")
    );
}

#[test]
fn error_finding_exits_1() {
    let dir = repo();
    write(
        dir.path(),
        "apps/deploy.yaml",
        &deployment("flux-system:podinfoo"),
    );
    let out = run(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes(&out), ["IU105"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["file"], "apps/deploy.yaml");
    assert_eq!(d["line"], 10);
    assert_eq!(d["help"], "did you mean \"podinfo\"?");
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(v["summary"]["files"], 2);
}

#[test]
fn warnings_fail_only_with_strict() {
    let dir = repo();
    write(
        dir.path(),
        "apps/alias.yaml",
        "a: &img ghcr.io/stefanprodan/podinfo:6.0.0\nb: *img # {\"$imagepolicy\": \"flux-system:podinfo\"}\n",
    );
    assert_eq!(run(dir.path(), &[]).status.code(), Some(0));
    let out = run(dir.path(), &["--strict", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes(&out), ["IU109"]);
}

#[test]
fn missing_path_is_a_usage_error() {
    let dir = repo();
    let out = run(dir.path(), &["does/not/exist.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file or directory"));
}

#[test]
fn unknown_flag_exits_2() {
    let out = bin().args(["validate", "--no-such-flag"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn named_files_are_reported_but_references_resolve_repo_wide() {
    let dir = repo();
    // A broken file that is not named must not be reported...
    write(dir.path(), "apps/broken.yaml", "a: [unclosed\n");
    let out = run(dir.path(), &["--format", "json", "apps/deploy.yaml"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // ...while the marker in the named file still finds its policy in
    // clusters/policies.yaml, which was not named.
    assert!(codes(&out).is_empty());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["files"], 1);
    let out = run(dir.path(), &["--format", "json", "apps/broken.yaml"]);
    assert_eq!(codes(&out), ["IU001"]);
}

#[test]
fn suppression_comment_on_previous_line() {
    let dir = repo();
    let text = deployment("flux-system:nope").replace(
        "        - name: app\n",
        "        - name: app\n          # imageupdate: ignore[IU105]\n",
    );
    write(dir.path(), "apps/deploy.yaml", &text);
    assert_eq!(run(dir.path(), &[]).status.code(), Some(0));
    let text = deployment("flux-system:nope").replace(
        "        - name: app\n",
        "        - name: app\n          # imageupdate: ignore[IU106]\n",
    );
    write(dir.path(), "apps/deploy.yaml", &text);
    assert_eq!(run(dir.path(), &[]).status.code(), Some(1));
}

#[test]
fn ignore_files_are_honoured() {
    let dir = repo();
    write(dir.path(), "vendor/broken.yaml", "a: [unclosed\n");
    write(dir.path(), "generated/broken.yml", "a: [unclosed\n");
    write(dir.path(), "other/broken.yaml", "a: [unclosed\n");
    write(dir.path(), ".sourceignore", "vendor/\n");
    write(dir.path(), ".ignore", "generated/\n");
    let out = run(dir.path(), &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["other/broken.yaml"]);
    let out = run(dir.path(), &["--format", "json", "--no-ignore"]);
    assert_eq!(codes(&out).len(), 3);
}

#[test]
fn gitignore_applies_inside_a_git_repository() {
    let dir = repo();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    write(dir.path(), "tmp/broken.yaml", "a: [unclosed\n");
    write(dir.path(), ".gitignore", "tmp/\n");
    let out = bin()
        .current_dir(dir.path())
        .args(["validate", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn hidden_files_are_skipped_except_argocd_write_back_files() {
    let dir = repo();
    write(
        dir.path(),
        ".github/workflows/broken.yaml",
        "a: [unclosed\n",
    );
    write(dir.path(), "apps/.hidden.yaml", "a: [unclosed\n");
    write(dir.path(), "apps/.argocd-source-web.yaml", "a: [unclosed\n");
    let out = run(dir.path(), &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["apps/.argocd-source-web.yaml"]);
}

#[test]
fn extensionless_kustomization_is_discovered_and_other_files_are_not() {
    let dir = repo();
    write(dir.path(), "apps/Kustomization", "a: [unclosed\n");
    write(dir.path(), "apps/notes.txt", "a: [unclosed\n");
    write(dir.path(), "apps/upper.YAML", "a: [unclosed\n");
    let out = run(dir.path(), &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["apps/Kustomization"]);
}

#[test]
fn unreadable_inputs_are_findings_not_crashes() {
    let dir = repo();
    std::fs::write(dir.path().join("apps/latin1.yaml"), b"name: caf\xe9\n").unwrap();
    write(dir.path(), "apps/big.yaml", &"a: b\n".repeat(300));
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.yaml", "a: b\n");
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        dir.path().join("apps/link.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("apps/missing.yaml"),
        dir.path().join("apps/dangling.yaml"),
    )
    .unwrap();
    let out = run(dir.path(), &["--format", "json", "--max-file-size", "1000"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, String, u64)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_owned(),
                d["code"].as_str().unwrap().to_owned(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("apps/big.yaml".to_owned(), "IU005".to_owned(), 1),
            ("apps/dangling.yaml".to_owned(), "IU003".to_owned(), 1),
            ("apps/latin1.yaml".to_owned(), "IU004".to_owned(), 10),
            ("apps/link.yaml".to_owned(), "IU006".to_owned(), 1),
        ]
    );
}

#[test]
fn human_output_has_no_colour_when_piped() {
    let dir = repo();
    write(dir.path(), "apps/deploy.yaml", &deployment("podinfo"));
    let out = run(dir.path(), &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("IU102"), "{text}");
    assert!(text.contains("apps/deploy.yaml:10:"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no ANSI escapes when stdout is not a terminal"
    );
}

#[test]
fn rules_and_explain() {
    let out = bin().arg("rules").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("IU105  marker-policy-not-found"));
    let out = bin()
        .args(["explain", "marker-policy-not-found"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("IU105 (marker-policy-not-found)")
    );
    let out = bin().args(["explain", "IU999"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin().args(["rules", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.as_array().unwrap().len() >= 60);
}

#[test]
fn help_says_kubectl_imageupdate() {
    let out = bin().args(["validate", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("kubectl imageupdate validate"), "{text}");
    assert!(text.contains("--strict"));
}

#[test]
fn kubectl_global_flags_are_accepted() {
    let dir = repo();
    let out = bin()
        .current_dir(dir.path())
        .args([
            "--context",
            "prod",
            "-n",
            "flux-system",
            "validate",
            "--root",
            ".",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn positions_are_exact_with_bom_crlf_and_non_ascii() {
    let dir = repo();
    let text = "\u{feff}# café ☕\r\napiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: 日本語\r\nspec:\r\n  containers:\r\n    - name: app\r\n      image: \"ghcr.io/stefanprodan/podinfo:6.0.0\" # {\"$imagepolicy\": \"flux-system:pödinfo\"}\r\n";
    std::fs::write(dir.path().join("apps/pod.yaml"), text).unwrap();
    let out = run(dir.path(), &["--format", "json", "apps/pod.yaml"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "IU105", "{v}");
    // The policy name inside the marker: line 9, after `      image: "…" # {"$imagepolicy": "`.
    let line9 = text.split("\r\n").nth(8).unwrap();
    let col = line9[..line9.find("flux-system:pödinfo").unwrap()]
        .chars()
        .count()
        + 1;
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(9), Some(col as u64))
    );
    assert_eq!(d["end_line"], 9);
    assert_eq!(
        d["end_column"].as_u64(),
        Some((col + "flux-system:pödinfo".chars().count()) as u64)
    );
    // Nothing was written.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("apps/pod.yaml")).unwrap(),
        text
    );
}

#[test]
fn missing_required_fields() {
    let dir = repo();
    write(
        dir.path(),
        "clusters/broken.yaml",
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: no-interval\n  namespace: flux-system\nspec:\n  image: ghcr.io/x/y\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: no-ref\n  namespace: flux-system\nspec:\n  policy:\n    semver:\n      range: '>=1.0.0'\n",
    );
    let out = run(dir.path(), &["--format", "json", "clusters/broken.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, u64, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "IU008".to_owned(),
                7,
                "ImageRepository requires spec.interval".to_owned()
            ),
            (
                "IU008".to_owned(),
                15,
                "ImagePolicy requires spec.imageRepositoryRef.name".to_owned()
            ),
        ]
    );
}

#[test]
fn marker_attachment_forms() {
    let dir = repo();
    let m = "# {\"$imagepolicy\": \"flux-system:podinfo\"}";
    let text = format!(
        "images:\n  {m}\n  - ghcr.io/stefanprodan/podinfo:6.0.0\nalone:\n  {m}\n  key: ghcr.io/stefanprodan/podinfo:6.0.0\nflow: [ghcr.io/stefanprodan/podinfo:6.0.0] {m}\nblock: {m}\n  nested: ghcr.io/stefanprodan/podinfo:6.0.0\nquoted: 'ghcr.io/stefanprodan/podinfo:6.0.0' {m}\n"
    );
    write(dir.path(), "apps/forms.yaml", &text);
    let out = run(dir.path(), &["--format", "json", "apps/forms.yaml"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(u64, &str)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["line"].as_u64().unwrap(), d["code"].as_str().unwrap()))
        .collect();
    // Line 2 (above a sequence item) and line 10 (a quoted scalar) are
    // markers Flux applies; line 5 (own line above a mapping entry), line 7
    // (after a flow collection) and line 8 (after a key opening a block) are not.
    assert_eq!(found, [(5, "IU104"), (7, "IU104"), (8, "IU104")], "{v}");
}

/// Argo CD Image Updater annotation rows A1–A5 (argocd.md §7.6): the
/// annotation is parsed as v1 does, and configurations it rejects are
/// reported.
fn argo_app(annotations: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\n  annotations:\n{annotations}spec:\n  project: default\n"
    )
}

fn argo_codes(annotations: &str) -> Vec<String> {
    let dir = repo();
    write(dir.path(), "apps/app.yaml", &argo_app(annotations));
    codes(&run(dir.path(), &["--format", "json", "apps/app.yaml"]))
}

#[test]
fn argocd_a1_list_items_are_trimmed() {
    let a = "    argocd-image-updater.argoproj.io/image-list: '  web = docker.io/library/nginx:1.21  ,  api = quay.io/myorg/api:v2.0  '\n    argocd-image-updater.argoproj.io/web.update-strategy: semver\n    argocd-image-updater.argoproj.io/api.update-strategy: semver\n";
    assert!(argo_codes(a).is_empty(), "{:?}", argo_codes(a));
}

#[test]
fn argocd_a2_empty_items_are_skipped() {
    let a = "    argocd-image-updater.argoproj.io/image-list: web=docker.io/library/nginx:1.21,,api=quay.io/myorg/api:v2.0\n";
    assert!(argo_codes(a).is_empty());
}

#[test]
fn argocd_a3_empty_lists_and_images_are_errors() {
    for list in ["'web='", "'  ,  ,  '", "''"] {
        let a = format!("    argocd-image-updater.argoproj.io/image-list: {list}\n");
        assert_eq!(argo_codes(&a), ["IU401"], "{list}");
    }
    let a = "    argocd-image-updater.argoproj.io/web.update-strategy: semver\n";
    assert_eq!(argo_codes(a), ["IU008"]);
}

#[test]
fn argocd_a4_force_update_must_be_a_go_bool() {
    let a = "    argocd-image-updater.argoproj.io/image-list: web=nginx:~1.27\n    argocd-image-updater.argoproj.io/web.force-update: notabool\n";
    assert_eq!(argo_codes(a), ["IU415"]);
    let a = "    argocd-image-updater.argoproj.io/image-list: web=nginx:~1.27\n    argocd-image-updater.argoproj.io/web.force-update: 'T'\n";
    assert!(argo_codes(a).is_empty());
}

#[test]
fn argocd_a5_helm_and_kustomize_targets_conflict() {
    let a = "    argocd-image-updater.argoproj.io/image-list: web=nginx:~1.27\n    argocd-image-updater.argoproj.io/web.helm.image-tag: image.tag\n    argocd-image-updater.argoproj.io/web.kustomize.image-name: nginx\n";
    assert_eq!(argo_codes(a), ["IU412"]);
}
