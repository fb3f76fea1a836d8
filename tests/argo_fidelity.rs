//! Argo CD Image Updater v1.x as its controller reads a repository: which
//! generation applies, which Applications a CR's refs drive, how
//! useAnnotations values read, what preview and apply say they cannot do
//! offline, and the findings about settings the controller reads in a way
//! users do not expect. Each test names the upstream source it follows
//! (argoproj-labs/argocd-image-updater unless said otherwise).

mod common;

use std::path::Path;

use common::{bin, copy_tree, json, project, testdata, write};

fn v1() -> std::path::PathBuf {
    testdata("argocd-v1")
}

fn preview_json(repo: &Path, tags: &Path, extra: &[&str]) -> serde_json::Value {
    let out = bin()
        .current_dir(project())
        .arg("preview")
        .arg("--root")
        .arg(repo)
        .arg("--tags-from")
        .arg(tags)
        .args(["-o", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The rows of one file and line, as (policy, current, candidate, reason).
fn rows(doc: &serde_json::Value, file: &str, line: u64) -> Vec<[Option<String>; 4]> {
    let s = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    doc["updates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["file"] == file && u["line"] == line)
        .map(|u| {
            [
                s(&u["policy"]),
                s(&u["current"]),
                s(&u["candidate"]),
                s(&u["reason"]),
            ]
        })
        .collect()
}

/// (line, code) of every finding in `file`.
fn findings(repo: &Path, file: &str) -> Vec<(u64, String)> {
    json(repo)["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["file"] == file)
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

/// `imageName: registry.example.com/shop/storefront:>=2024.0.0` is the
/// constraint `>=2024.0.0`: the controller builds `alias + "=" + imageName`
/// (`pkg/argocd/argocd.go`, parseImageList) and
/// `registry-scanner/pkg/image/image.go` (NewFromIdentifier) splits at the
/// first `=`, which is the one after the alias.
#[test]
fn cr_image_name_with_eq_is_a_constraint() {
    let found = findings(&v1(), "image-updater/shop.yaml");
    assert!(
        !found.iter().any(|(_, c)| c == "IU414" || c == "IU401"),
        "{found:?}"
    );
    let doc = preview_json(&v1(), &v1().join("tags.yaml"), &[]);
    let canary = rows(&doc, "image-updater/shop.yaml", 31);
    assert_eq!(canary.len(), 1, "{canary:?}");
    assert_eq!(
        canary[0][0],
        some("shop-canary storefront: semver >=2024.0.0")
    );
    assert_eq!(canary[0][2], some("2024.2.0"));
}

/// The `=` rule for alias-less entries stays for the annotation
/// image-list, where the split at the first `=` does make an alias
/// (`pkg/argocd/annotations.go`, getImagesFromAnnotations).
#[test]
fn annotation_constraint_with_eq_still_needs_an_alias() {
    let found = findings(&testdata("argocd-kustomize"), "apps/search.yaml");
    assert!(found.contains(&(7, "IU414".to_owned())), "{found:?}");
}

/// useAnnotations values are trimmed, and an empty per-alias value is
/// unset, so it inherits the app-wide one
/// (`pkg/argocd/annotations.go`, getCommonUpdateSettingsFromAnnotations;
/// `pkg/argocd/argocd.go`, mergeCommonUpdateSettings). v0 reads a present
/// per-alias key even when empty, and does not trim.
#[test]
fn use_annotations_values_are_trimmed_and_empty_inherits() {
    let tags = v1().join("tags.yaml");
    let doc = preview_json(&v1(), &tags, &[]);
    let blog = rows(&doc, "apps/blog.yaml", 7);
    let by_alias = |doc: &[[Option<String>; 4]], alias: &str| {
        doc.iter()
            .find(|r| {
                r[0].as_deref()
                    .is_some_and(|p| p.starts_with(&format!("blog {alias}:")))
            })
            .cloned()
            .unwrap_or_else(|| panic!("no row for {alias}: {doc:?}"))
    };
    // `worker.update-strategy: ""` and `worker.allow-tags: ""`: the
    // app-wide newest-build among tags matching ^v?[0-9] (nightly is newer
    // but not allowed).
    let worker = by_alias(&blog, "worker");
    assert_eq!(worker[0], some("blog worker: newest-build"));
    assert_eq!(worker[2], some("v1.0.0"));
    // `theme.update-strategy: " alphabetical "`.
    let theme = by_alias(&blog, "theme");
    assert_eq!(theme[0], some("blog theme: alphabetical"));
    assert_eq!(theme[2], some("2-winter"));

    let v0 = preview_json(&v1(), &tags, &["--argocd-image-updater", "v0"]);
    let blog = rows(&v0, "apps/blog.yaml", 7);
    assert_eq!(by_alias(&blog, "worker")[0], some("blog worker: semver"));
    assert_eq!(by_alias(&blog, "worker")[2], some("v1.1.0"));
    assert_eq!(by_alias(&blog, "theme")[2], None);
    // v1 validate does not call the padded strategy unknown.
    assert!(
        !findings(&v1(), "apps/blog.yaml")
            .iter()
            .any(|(_, c)| c == "IU404")
    );
}

/// v1 reads an Application's annotations only through a CR ref with
/// `useAnnotations: true` (`pkg/argocd/argocd.go`,
/// FilterApplicationsForUpdate); a repository with a CR is v1, one of
/// annotations alone v0.x, and `--argocd-image-updater` overrides both.
#[test]
fn generation_decides_which_configuration_is_read() {
    let tags = v1().join("tags.yaml");
    let doc = preview_json(&v1(), &tags, &[]);
    assert_eq!(doc["argocd_image_updater"]["generation"], "v1");
    let legacy = rows(&doc, "apps/legacy.yaml", 9);
    assert_eq!(legacy.len(), 1);
    assert_eq!(legacy[0][2], None);
    assert!(
        legacy[0][3]
            .as_deref()
            .is_some_and(|r| r.contains("v1 ignores these annotations")),
        "{legacy:?}"
    );

    // validate says it too (IU422), unless v0 is named.
    assert!(findings(&v1(), "apps/legacy.yaml").contains(&(9, "IU422".to_owned())));
    let out = common::validate(&v1(), &["--format", "json", "--argocd-image-updater", "v0"]);
    let v0_found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !v0_found["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "IU422"),
        "{v0_found:#}"
    );

    // Forced v0: the annotations are read, the CRs are not.
    let v0 = preview_json(&v1(), &tags, &["--argocd-image-updater", "v0"]);
    assert_eq!(v0["argocd_image_updater"]["generation"], "v0");
    assert_eq!(v0["argocd_image_updater"]["reason"], "flag");
    assert_eq!(rows(&v0, "apps/legacy.yaml", 9)[0][2], some("1.2.1"));
    let shop = rows(&v0, "image-updater/shop.yaml", 20);
    assert!(
        shop.iter()
            .all(|r| r[2].is_none() && r[3].as_deref().is_some_and(|r| r.contains("v0 ignores"))),
        "{shop:?}"
    );

    // The same Application in a repository without a CR: v0.x, read.
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&v1().join("apps"), &dir.path().join("apps"));
    copy_tree(&v1().join("kustomize"), &dir.path().join("kustomize"));
    let alone = preview_json(dir.path(), &tags, &[]);
    assert_eq!(alone["argocd_image_updater"]["generation"], "v0");
    assert_eq!(
        alone["argocd_image_updater"]["reason"],
        "no ImageUpdater CR"
    );
    assert_eq!(rows(&alone, "apps/legacy.yaml", 9)[0][2], some("1.2.1"));

    // apply skips what v1 does not read, saying why.
    let out = bin()
        .current_dir(project())
        .args(["apply", "--dry-run", "-o", "json", "--root"])
        .arg(v1())
        .arg("--tags-from")
        .arg(&tags)
        .output()
        .unwrap();
    let applied: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        applied["skipped"].as_array().unwrap().iter().any(|s| {
            s["file"] == "apps/legacy.yaml"
                && s["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("v1 ignores"))
        }),
        "{applied:#}"
    );
}

/// The human preview says which generation applied.
#[test]
fn preview_says_which_generation_applied() {
    let out = bin()
        .current_dir(project())
        .args(["preview", "--root"])
        .arg(v1())
        .arg("--tags-from")
        .arg(v1().join("tags.yaml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Argo CD Image Updater v1.x") && err.contains("image-updater/metrics.yaml"),
        "{err}"
    );
    let bad = bin()
        .args(["preview", "--argocd-image-updater", "v2", "--root"])
        .arg(v1())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// Applications are listed in the CR's namespace only, `namePattern` is a
/// `filepath.Match` glob, and of several matching refs the most specific
/// wins, an exact name over any glob (`pkg/argocd/argocd.go`,
/// FilterApplicationsForUpdate, sortApplicationRefs, calculateSpecificity).
#[test]
fn scope_is_the_crs_namespace_and_the_most_specific_ref() {
    let doc = preview_json(&v1(), &v1().join("tags.yaml"), &[]);
    let glob: Vec<Option<String>> = rows(&doc, "image-updater/shop.yaml", 20)
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(
        glob,
        [
            some("shop-eu storefront: newest-build"),
            some("shop-us storefront: newest-build"),
        ],
        "shop-canary follows its exact ref; shop-lab is in another namespace"
    );
    let canary = rows(&doc, "image-updater/shop.yaml", 31);
    assert_eq!(canary[0][1], some("2024.1.0"));
    let policies = doc["updates"].as_array().unwrap();
    assert!(
        !policies.iter().any(|u| u["policy"]
            .as_str()
            .is_some_and(|p| p.starts_with("shop-lab"))),
        "{doc:#}"
    );
}

/// `imagesVerification` and `pullRequest` write-back are read and said
/// not to be performed offline: the controller refuses an update whose
/// signature does not verify and writes through a pull request
/// (`pkg/argocd/update.go`; `api/v1alpha1/imageupdater_types.go`,
/// ImagesVerification and PullRequest). apply does not write an
/// unverified tag, and lists the pull request it does not open.
#[test]
fn images_verification_and_pull_request_are_reported_as_not_performed() {
    let tags = v1().join("tags.yaml");
    let doc = preview_json(&v1(), &tags, &[]);
    let canary = rows(&doc, "image-updater/shop.yaml", 31);
    assert_eq!(
        canary[0][3],
        some(
            "imagesVerification not performed offline (cosign key cosign-pub#cosign.pub); pullRequest not opened offline (github)"
        )
    );
    let eu = rows(&doc, "image-updater/shop.yaml", 20);
    assert_eq!(eu[0][3], some("pullRequest not opened offline (github)"));

    let out = bin()
        .current_dir(project())
        .args(["apply", "--dry-run", "-o", "json", "--root"])
        .arg(v1())
        .arg("--tags-from")
        .arg(&tags)
        .output()
        .unwrap();
    let applied: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let skipped = applied["skipped"].as_array().unwrap();
    let reason = |line: u64| {
        skipped
            .iter()
            .find(|s| s["file"] == "image-updater/shop.yaml" && s["line"] == line)
            .and_then(|s| s["reason"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(reason(31).starts_with("not written:") && reason(31).contains("imagesVerification"));
    assert!(reason(20).starts_with("pullRequest not opened offline"));
    let changes = applied["changes"].as_array().unwrap();
    assert!(
        !changes
            .iter()
            .any(|c| c["file"] == "kustomize/shop/overlays/canary/kustomization.yaml"),
        "{applied:#}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c["file"] == "kustomize/shop/overlays/eu/kustomization.yaml")
    );
}

/// The CRD's rules for those blocks are validated: an enabled
/// `imagesVerification` needs `cosignKey` with `secretName` and `key`; a
/// `pullRequest` exactly one provider (`api/v1alpha1/imageupdater_types.go`).
#[test]
fn images_verification_and_pull_request_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "cr.yaml",
        "apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: web
  namespace: argocd
spec:
  imagesVerification:
    enabled: true
  writeBackConfig:
    method: git
    gitConfig:
      pullRequest:
        github: {}
        gitlab: {}
  applicationRefs:
    - namePattern: web
      writeBackConfig:
        gitConfig:
          pullRequest:
            labels: [images]
      images:
        - alias: web
          imageName: registry.example.com/web
          imagesVerification:
            cosignKey:
              secretName: cosign
            verifyTlog: true
",
    );
    let found = findings(dir.path(), "cr.yaml");
    for want in [
        (7, "IU008"),
        (12, "IU008"),
        (19, "IU008"),
        (25, "IU008"),
        (27, "IU007"),
    ] {
        assert!(
            found.contains(&(want.0, want.1.to_owned())),
            "{want:?} in {found:?}"
        );
    }
}

/// ignore-tags are globs: `registry-scanner/pkg/image/version.go` matches
/// each tag against them with `filepath.Match`, so `regexp:^sha256` never
/// matches; IU420 says so, with the glob meant.
#[test]
fn regexp_in_ignore_tags_is_reported() {
    let json = json(&v1());
    let ours: Vec<&serde_json::Value> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "IU420")
        .collect();
    let at: Vec<(String, u64)> = ours
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        at,
        [
            ("apps/legacy.yaml".to_owned(), 10),
            ("image-updater/metrics.yaml".to_owned(), 16)
        ]
    );
    assert!(
        ours.iter()
            .all(|d| d["help"] == "write the glob \"sha256*\""),
        "{ours:?}"
    );
    // And preview shows the consequence: the sha256-… tag is picked.
    let doc = preview_json(&v1(), &v1().join("tags.yaml"), &[]);
    assert_eq!(
        rows(&doc, "image-updater/metrics.yaml", 13)[0][2],
        some("sha256-0a1b2c")
    );
}

/// Where the v1.3 CRDs' `updateStrategy: semver` default and its removal
/// in the v1.4 CRDs (#1782) give different answers, IU421 warns: the block
/// either replaces or inherits the higher level's strategy
/// (`pkg/argocd/argocd.go`, mergeCommonUpdateSettings merges what is set).
#[test]
fn crd_default_change_is_reported_where_it_changes_the_answer() {
    let json = json(&v1());
    let at: Vec<(String, u64)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "IU421")
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        at,
        [
            ("image-updater/metrics.yaml".to_owned(), 15),
            ("image-updater/shop.yaml".to_owned(), 22)
        ]
    );
    // The canary image sets its own strategy; the blocks of
    // argocd-kustomize/platform.yaml set theirs too: no warning.
    assert!(!json_codes(&testdata("argocd-kustomize")).contains(&"IU421".to_owned()));
}

fn json_codes(repo: &Path) -> Vec<String> {
    json(repo)["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect()
}

/// A KubeSphere `ImageUpdater` with an invalid kind still has its argo and
/// fluxcd sections judged: the kind's finding hid a bad `write`, strategy
/// and range (KubeSphere reads the section of its kind; with none valid,
/// nothing tells which one was meant).
#[test]
fn kubesphere_invalid_kind_still_checks_both_sections() {
    let found = findings(&testdata("kubesphere"), "mistakes/invalid-kind.yaml");
    assert_eq!(
        found,
        [
            (9, "IU501".to_owned()),
            (15, "IU410".to_owned()),
            (17, "IU404".to_owned()),
            (21, "IU302".to_owned()),
        ]
    );
}
