//! `apply` through the real binary: expected trees (`testdata/apply/<case>/in`
//! → `out`, byte-compared, then a second run that must change nothing),
//! diff snapshots of every example repository, and the refusals that keep
//! a user's files safe.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{bin, copy_tree, project, testdata, write};

/// Every file under `dir` with its bytes, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n == ".git") {
                    continue;
                }
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// The arguments of a case, one per line; `tags.yaml` and other relative
/// files are taken from the case folder.
fn case_args(case: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(case.join("args")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            if case.join(l).is_file() {
                case.join(l).display().to_string()
            } else {
                l.to_owned()
            }
        })
        .collect()
}

fn apply(repo: &Path, args: &[String]) -> std::process::Output {
    bin()
        .current_dir(repo)
        .arg("apply")
        .args(args)
        .arg("--root")
        .arg(repo)
        .arg(repo)
        .output()
        .unwrap()
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(testdata("apply"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("in").is_dir())
        .collect();
    cases.sort();
    cases
}

#[test]
fn expected_trees_byte_for_byte_and_a_second_apply_changes_nothing() {
    let cases = cases();
    assert!(cases.len() >= 2, "the apply fixtures are missing");
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&case.join("in"), dir.path());
        let args = case_args(&case);
        let out = apply(dir.path(), &args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = tree(dir.path());
        let want = tree(&case.join("out"));
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{name}: the set of files differs"
        );
        for (file, bytes) in &want {
            assert!(
                got[file] == *bytes,
                "{name}/{file} differs from the expected tree:\n--- got\n{}\n--- want\n{}",
                String::from_utf8_lossy(&got[file]),
                String::from_utf8_lossy(bytes)
            );
        }
        let again = apply(dir.path(), &args);
        assert_eq!(again.status.code(), Some(0), "{name}");
        assert!(
            String::from_utf8_lossy(&again.stderr).contains("nothing to do"),
            "{name}: the second apply planned changes:\n{}",
            String::from_utf8_lossy(&again.stdout)
        );
        assert_eq!(tree(dir.path()), want, "{name}: the second apply wrote");
    }
}

#[test]
fn dry_run_and_diff_write_nothing() {
    let case = testdata("apply/markers");
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&case.join("in"), dir.path());
    let before = tree(dir.path());
    let mut args = case_args(&case);
    args.extend(["--dry-run".to_owned(), "--diff".to_owned()]);
    let out = apply(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("--- a/apps/styles.yaml\n+++ b/apps/styles.yaml\n"),
        "{stdout}"
    );
    assert!(stdout.contains("+  numeric: \"1.10\""), "{stdout}");
    assert!(
        !stdout.contains("\x1b["),
        "no colour when stdout is not a terminal"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("dry run: nothing written"));
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn json_output_lists_changes_and_skips() {
    let case = testdata("apply/set");
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&case.join("in"), dir.path());
    let mut args = case_args(&case);
    args.extend(["--dry-run".into(), "-o".into(), "json".into()]);
    let out = apply(dir.path(), &args);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["written"], false);
    let first = &doc["changes"][0];
    assert_eq!(first["file"], "base/deployment.yaml");
    assert_eq!(first["line"], 13);
    assert_eq!(first["old"], "nginx:1.25.0");
    assert_eq!(first["new"], "nginx:1.27.4");
    assert_eq!(first["why"], "--set");
    let skipped = doc["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("pinned to digest")
    );
}

/// The diff each example repository would get from the offline tags.
#[test]
fn example_repositories_diffs() {
    for example in [
        "flux",
        "argocd-kustomize",
        "argocd-helm",
        "kubesphere",
        "gitops-promotion/clean",
    ] {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&testdata(example), dir.path());
        let before = tree(dir.path());
        let out = apply(
            dir.path(),
            &[
                "--tags-from".into(),
                testdata("tags.yaml").display().to_string(),
                "--dry-run".into(),
                "--diff".into(),
            ],
        );
        assert!(
            out.status.code().is_some_and(|c| c <= 2),
            "{example}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(tree(dir.path()), before, "{example}: --dry-run wrote");
        let name = example.replace('/', "-");
        insta::assert_snapshot!(
            format!("apply_diff_{name}"),
            format!(
                "{}\n--- stderr\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        );
    }
}

/// What apply writes for the write-back example (issue 22), each file as
/// Argo CD Image Updater writes it: the values file keeps the short form
/// (`ExtractShortForm`, `marshalParamsOverride` in `pkg/argocd/update.go`),
/// the hydrated app's override goes to its dry source
/// (`getApplicationSource`, `pkg/argocd/argocd.go`), the plugin app gets
/// `plugin.env` entries (`SetPluginImage`), the pinned digest stays, and
/// the image that is not live is listed under skipped.
#[test]
fn argocd_writeback_example_diff() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&testdata("argocd-writeback"), dir.path());
    let out = apply(
        dir.path(),
        &[
            "--tags-from".into(),
            testdata("argocd-writeback.tags.yaml").display().to_string(),
            "--dry-run".into(),
            "--diff".into(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("+++ b/dry/catalog/.argocd-source-catalog.yaml")
            && stdout.contains("+++ b/cmp/recommender/.argocd-source-recommender.yaml")
            && stdout.contains("  - nginx:1.27.3@sha256:")
            && !stdout.contains("-  repository: acme/storefront"),
        "{stdout}"
    );
    assert!(
        stderr.contains("skipped ghcr.io/acme/waf: not among"),
        "{stderr}"
    );
    insta::assert_snapshot!(
        "apply_diff_argocd-writeback",
        format!("{stdout}\n--- stderr\n{stderr}")
    );
}

fn one_file_repo(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "deploy.yaml", text);
    dir
}

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.25.0\n";

#[cfg(unix)]
#[test]
fn a_read_only_file_is_refused_and_nothing_is_written() {
    use std::os::unix::fs::PermissionsExt;
    let dir = one_file_repo(DEPLOY);
    write(dir.path(), "b/other.yaml", &DEPLOY.replace("web", "other"));
    let ro = dir.path().join("deploy.yaml");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = tree(dir.path());
    let out = apply(dir.path(), &["--set".into(), "nginx=1.27.4".into()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("deploy.yaml: is read-only"), "{stderr}");
    assert!(stderr.contains("no file was changed"), "{stderr}");
    assert_eq!(tree(dir.path()), before);
}

/// Discovery reads no symlink, named or found, so apply cannot reach a
/// file outside the repository through one; the writer's own refusal is
/// tested in `edit::write`.
#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_repository_is_never_written_through() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "shared.yaml", DEPLOY);
    let dir = one_file_repo(&DEPLOY.replace("web", "inside"));
    let link = dir.path().join("link.yaml");
    std::os::unix::fs::symlink(outside.path().join("shared.yaml"), &link).unwrap();
    for named in [dir.path().to_path_buf(), link] {
        let out = bin()
            .arg("apply")
            .args(["--set", "nginx=1.27.4", "--root"])
            .arg(dir.path())
            .arg(&named)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(outside.path().join("shared.yaml")).unwrap(),
            DEPLOY
        );
    }
    assert!(
        std::fs::read_to_string(dir.path().join("deploy.yaml"))
            .unwrap()
            .contains("1.27.4")
    );
}

/// A real write failure: the file-size limit (`ulimit -f`, with SIGXFSZ
/// ignored so the write returns EFBIG) lets the small first file be
/// written to its temp file and fails the large second one. Neither file
/// may change and no temp file may be left.
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_in_the_middle_leaves_every_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", DEPLOY);
    let padding = format!("# {}\n", "x".repeat(200)).repeat(40);
    write(
        dir.path(),
        "b.yaml",
        &format!("{padding}{}", DEPLOY.replace("web", "big")),
    );
    let before = tree(dir.path());
    let exe = assert_cmd::cargo::cargo_bin("kubectl-imageupdate");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 4; exec \"$0\" apply --set nginx=1.27.4 --root \"$1\" \"$1\"")
        .arg(&exe)
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("b.yaml: cannot write"), "{stderr}");
    assert_eq!(
        tree(dir.path()),
        before,
        "a file changed or a temp file was left"
    );
}

/// The library refuses to write a file edited between plan and write.
#[test]
fn a_file_changed_after_planning_is_not_overwritten() {
    use imageupdate::edit::{plan, write};
    let dir = one_file_repo(DEPLOY);
    let ws = imageupdate::discover::load(
        dir.path(),
        &[],
        &imageupdate::discover::Options {
            parse_all: true,
            ..Default::default()
        },
    );
    let model = imageupdate::model::Model::build(&ws);
    let sets = [plan::SetRequest::parse("nginx=1.27.4").unwrap()];
    let p = plan::plan(&ws, &model, None, &sets).unwrap();
    assert_eq!(p.files.len(), 1);
    let edited_meanwhile = DEPLOY.replace("name: web\n", "name: web # edited\n");
    std::fs::write(dir.path().join("deploy.yaml"), &edited_meanwhile).unwrap();
    let jobs = [write::Job {
        path: &p.files[0].path,
        original: p.files[0].original(&ws),
        new_text: &p.files[0].new_text,
    }];
    let err = write::write_all(dir.path(), &jobs).unwrap_err();
    assert!(
        err.to_string().contains("changed since it was read"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("deploy.yaml")).unwrap(),
        edited_meanwhile
    );
}

#[test]
fn bad_set_requests_are_usage_errors() {
    let dir = one_file_repo(DEPLOY);
    for bad in ["nginx", "nginx:1.0=1.1", "nginx=", "NGINX=1"] {
        let out = apply(dir.path(), &["--set".into(), bad.into()]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--set"),
            "{bad}"
        );
    }
    let out = bin()
        .current_dir(project())
        .args(["apply", "--root"])
        .arg(dir.path())
        .arg("--tags-from")
        .arg(dir.path().join("missing.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.yaml"));
    let out = bin()
        .args([
            "apply",
            "--dry-run",
            "--commit",
            "--set",
            "nginx=1.27.4",
            "--root",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to commit"));
}

/// `--set` with a tag only on a kustomize entry that pins `digest:` moves
/// nothing there: a new tag beside the old digest would keep the old
/// image, so the marker is refused with a reason naming the image (not
/// the digest); with `TAG@DIGEST` both move (testdata/apply/kustomize-pinned
/// is that case, byte for byte). A marker for a policy defined elsewhere
/// moves its entry, found by name as kustomize's `edit set image` does
/// (`kustomize/commands/edit/set/setimage.go`, `setImage`), and a marker
/// whose value names no image is listed as skipped, never passed over.
#[test]
fn set_on_a_pinned_kustomize_entry_moves_tag_and_digest_together_or_refuses() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&testdata("apply/kustomize-refused"), dir.path());
    let before = tree(dir.path());
    let out = apply(
        dir.path(),
        &[
            "-o".into(),
            "json".into(),
            "--set".into(),
            "ghcr.io/org/app=2.0.0".into(),
            "--set".into(),
            "ghcr.io/org/side=2.0.0".into(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changed: Vec<(String, u64)> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["file"].as_str().unwrap().to_owned(),
                c["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // The pinned entry (line 7) stays; the side entry (line 10, policy
    // elsewhere) moves with the base manifest it overrides.
    assert!(
        changed.contains(&("overlay/kustomization.yaml".into(), 10)),
        "{changed:?}"
    );
    assert!(
        !changed
            .iter()
            .any(|(f, l)| f == "overlay/kustomization.yaml" && *l < 9),
        "{changed:?}"
    );
    let skipped = v["skipped"].as_array().unwrap();
    let pinned = skipped
        .iter()
        .find(|s| s["line"] == 7)
        .expect("the pinned entry is skipped");
    assert_eq!(pinned["image"], "ghcr.io/org/app");
    assert!(
        pinned["reason"]
            .as_str()
            .unwrap()
            .contains("pass --set ghcr.io/org/app=TAG@DIGEST"),
        "{pinned}"
    );
    let tool = skipped
        .iter()
        .find(|s| s["line"] == 12)
        .expect("the marker on `newTag: app` is skipped");
    assert_eq!(tool["image"], "ghcr.io/org/tool");
    assert!(
        tool["reason"].as_str().unwrap().contains("names no image"),
        "{tool}"
    );
    let kustomization = "overlay/kustomization.yaml";
    let after = tree(dir.path());
    let text = String::from_utf8_lossy(&after[kustomization]);
    assert!(text.contains("newTag: 1.0.0 # {\"$imagepolicy\": \"flux-system:app:tag\"}"));
    assert!(text.contains("digest: sha256:aaaa"));
    assert_ne!(before[kustomization], after[kustomization]);
}

/// With no target at all, apply says there is nothing to update, not that
/// every target already has its value.
#[test]
fn zero_targets_say_there_is_nothing_to_update() {
    let dir = one_file_repo("apiVersion: v1\nkind: ConfigMap\ndata:\n  a: b\n");
    let out = apply(dir.path(), &["--set".into(), "nginx=1.27.4".into()]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing to update"), "{err}");
    assert!(!err.contains("already has its value"), "{err}");
}
