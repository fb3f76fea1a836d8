//! Issue 15's example of the copies disagreeing: resolve folded strategy
//! names rune by rune as Go does, validate and export used ASCII folding,
//! so validate reported IU404 for `DİGEST`, which preview resolved. Now one
//! table (`resolve::argo::Strategy::parse`, after Argo's
//! `ParseUpdateStrategy` and Go's `strings.ToLower`) serves all three; this
//! runs every spelling through validate, preview and export and asks them
//! the same question.

mod common;

const TAGS: &str = "ghcr.io/stefanprodan/podinfo: ['6.0.0', '6.1.0', '6.2.0']\n";

fn app(strategy: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\n  annotations:\n    argocd-image-updater.argoproj.io/image-list: app=ghcr.io/stefanprodan/podinfo:~6\n    argocd-image-updater.argoproj.io/app.update-strategy: {strategy:?}\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/repo.git\n    path: apps/web\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n"
    )
}

fn run(root: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = common::bin()
        .args(args)
        .arg("--root")
        .arg(root)
        .arg(root)
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn validate_preview_and_export_read_every_spelling_alike() {
    // (as written, what Argo makes of it; None: unknown, semver is used)
    let table: &[(&str, Option<&str>, bool)] = &[
        ("semver", Some("semver"), false),
        ("SemVer", Some("semver"), false),
        ("newest-build", Some("newest-build"), false),
        ("NEWEST-BUILD", Some("newest-build"), false),
        ("latest", Some("newest-build"), true),
        ("Latest", Some("newest-build"), true),
        ("alphabetical", Some("alphabetical"), false),
        ("name", Some("alphabetical"), true),
        ("NAME", Some("alphabetical"), true),
        ("digest", Some("digest"), false),
        // U+0130 lowers to `i` in Go (simple case mapping), so this is digest.
        ("D\u{130}GEST", Some("digest"), false),
        // U+0131 (dotless i) does not lower to `i`: unknown.
        ("d\u{131}gest", None, false),
        ("newest", None, false),
        ("semver ", None, false),
        ("lexical", None, false),
    ];
    let dir = tempfile::tempdir().unwrap();
    let tags = dir.path().join("tags.yaml");
    std::fs::write(&tags, TAGS).unwrap();
    let tags = tags.to_str().unwrap().to_owned();
    for (i, &(written, canonical, deprecated)) in table.iter().enumerate() {
        let root = dir.path().join(format!("r{i}"));
        common::write(&root, "app.yaml", &app(written));

        let (_, out) = run(&root, &["validate", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let codes: Vec<&str> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes.contains(&"IU404"),
            canonical.is_none(),
            "validate {written:?}: {codes:?}"
        );
        assert_eq!(
            codes.contains(&"IU405"),
            deprecated,
            "validate {written:?}: {codes:?}"
        );

        let (_, out) = run(&root, &["preview", "-o", "json", "--tags-from", &tags]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        // "web app: <strategy> [constraint]"
        let policy = v["updates"][0]["policy"].as_str().unwrap().to_owned();
        let shown = policy.split(": ").nth(1).and_then(|p| p.split(' ').next());
        assert_eq!(
            shown,
            Some(canonical.unwrap_or("semver")),
            "preview {written:?}: {policy}"
        );

        let (_, out) = run(&root, &["export", "--to", "argocd-crd", "-o", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let exported = v
            .pointer("/spec/applicationRefs/0/images/0/commonUpdateSettings/updateStrategy")
            .or_else(|| {
                v.pointer(
                    "/items/0/spec/applicationRefs/0/images/0/commonUpdateSettings/updateStrategy",
                )
            })
            .and_then(|s| s.as_str())
            .map(str::to_owned);
        assert_eq!(
            exported.as_deref(),
            Some(canonical.unwrap_or("semver")),
            "export {written:?}: {v}"
        );
    }
}
