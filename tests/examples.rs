//! The example repositories under testdata/ are the specification: each
//! holds a MISTAKES.md table (file, line, code) of every deliberate mistake.
//! `validate` must report exactly those findings (no more, no fewer), and
//! its human and JSON output are snapshot-tested.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{json, testdata, validate};

/// (file relative to the repo root, line, code) rows of a MISTAKES.md
/// table. `prefix` is stripped from the file column when the table lives
/// above several repository roots.
fn expected(mistakes: &Path, prefix: &str) -> BTreeSet<(String, u64, String)> {
    let text = std::fs::read_to_string(mistakes).expect("MISTAKES.md exists");
    let mut rows = BTreeSet::new();
    // Column positions come from each table's header row (tables differ:
    // some start with a `#` column).
    let mut cols: Option<(usize, usize, usize)> = None;
    let mut heading = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            heading = line.to_ascii_lowercase();
            continue;
        }
        // Tables of suppressed, ignored or clean files list what must NOT
        // be reported.
        if ["suppressed", "ignored", "clean", "must not"]
            .iter()
            .any(|w| heading.contains(w))
        {
            continue;
        }
        if !line.starts_with('|') {
            cols = None;
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let find = |name: &str| cells.iter().position(|c| c.eq_ignore_ascii_case(name));
        if let (Some(f), Some(l), Some(c)) = (find("file"), find("line"), find("code")) {
            cols = Some((f, l, c));
            continue;
        }
        let Some((f, l, c)) = cols else { continue };
        let (Some(file), Some(lineno), Some(code)) = (cells.get(f), cells.get(l), cells.get(c))
        else {
            continue;
        };
        let file = file.trim_matches('`');
        let (Ok(lineno), true) = (lineno.parse::<u64>(), code.starts_with("IU")) else {
            continue;
        };
        let Some(file) = file.strip_prefix(prefix) else {
            continue;
        };
        rows.insert((file.to_owned(), lineno, code.to_string()));
    }
    rows
}

fn reported(repo: &Path) -> BTreeSet<(String, u64, String)> {
    let out = json(repo);
    out["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .map(|d| {
            (
                d["file"].as_str().expect("file").to_owned(),
                d["line"].as_u64().expect("line"),
                d["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect()
}

fn assert_matches_spec(repo: &str, mistakes: &str, prefix: &str) {
    let root = testdata(repo);
    let want = expected(&testdata(mistakes), prefix);
    let got = reported(&root);
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{repo}: findings differ from {mistakes}\n  missing: {missing:#?}\n  unexpected: {extra:#?}"
    );
}

fn snapshot(repo: &str) {
    let root = testdata(repo);
    let human = validate(&root, &[]);
    let name = repo.replace('/', "__");
    insta::assert_snapshot!(
        format!("{name}__human"),
        String::from_utf8_lossy(&human.stdout)
    );
    insta::assert_json_snapshot!(format!("{name}__json"), json(&root));
}

#[test]
fn flux_matches_mistakes_table() {
    assert_matches_spec("flux", "flux/MISTAKES.md", "");
}

#[test]
fn argocd_kustomize_matches_mistakes_table() {
    assert_matches_spec("argocd-kustomize", "argocd-kustomize/MISTAKES.md", "");
}

#[test]
fn argocd_helm_matches_mistakes_table() {
    assert_matches_spec("argocd-helm", "argocd-helm/MISTAKES.md", "");
}

#[test]
fn argocd_v1_matches_mistakes_table() {
    assert_matches_spec("argocd-v1", "argocd-v1/MISTAKES.md", "");
}

#[test]
fn kubesphere_matches_mistakes_table() {
    assert_matches_spec("kubesphere", "kubesphere/MISTAKES.md", "");
}

#[test]
fn gitops_promotion_missing_env_matches_mistakes_table() {
    assert_matches_spec(
        "gitops-promotion/missing-env",
        "gitops-promotion/MISTAKES.md",
        "missing-env/",
    );
}

#[test]
fn gitops_promotion_invalid_config_matches_mistakes_table() {
    assert_matches_spec(
        "gitops-promotion/invalid-config",
        "gitops-promotion/MISTAKES.md",
        "invalid-config/",
    );
}

/// A config file with no document (only a comment) is a finding at its
/// first byte; it used to panic (index out of bounds on node 0).
#[test]
fn gitops_promotion_empty_config_is_a_finding() {
    let repo = testdata("gitops-promotion/empty-config");
    let out = common::validate(&repo, &["--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        reported(&repo).into_iter().collect::<Vec<_>>(),
        [("gitops-promotion.yaml".to_owned(), 1, "IU602".to_owned())]
    );
}

/// Argo write-back shapes (issue 22): an ApplicationSet template's
/// annotations are checked, its placeholders are not; two images writing
/// one Helm parameter are reported (IU423).
#[test]
fn argocd_writeback_matches_mistakes_table() {
    assert_matches_spec("argocd-writeback", "argocd-writeback/MISTAKES.md", "");
}

#[test]
fn snapshots_argocd_writeback() {
    snapshot("argocd-writeback");
}

#[test]
fn gitops_promotion_clean_has_no_findings() {
    assert!(reported(&testdata("gitops-promotion/clean")).is_empty());
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
fn snapshots_argocd_v1() {
    snapshot("argocd-v1");
}

#[test]
fn snapshots_kubesphere() {
    snapshot("kubesphere");
}

#[test]
fn snapshots_gitops_promotion() {
    snapshot("gitops-promotion/missing-env");
    snapshot("gitops-promotion/invalid-config");
}

/// Every rule is shown by at least one example: either a fixture's
/// MISTAKES.md row or (for rules about unreadable files, which cannot be
/// committed as such) a test in tests/cli.rs.
#[test]
fn every_rule_is_exercised_by_an_example() {
    let mut seen = BTreeSet::new();
    for (mistakes, prefix) in [
        ("flux/MISTAKES.md", ""),
        ("argocd-kustomize/MISTAKES.md", ""),
        ("argocd-helm/MISTAKES.md", ""),
        ("argocd-writeback/MISTAKES.md", ""),
        ("argocd-v1/MISTAKES.md", ""),
        ("kubesphere/MISTAKES.md", ""),
        ("gitops-promotion/MISTAKES.md", "missing-env/"),
        ("gitops-promotion/MISTAKES.md", "invalid-config/"),
    ] {
        seen.extend(
            expected(&testdata(mistakes), prefix)
                .into_iter()
                .map(|(_, _, code)| code),
        );
    }
    // Export's own findings (IU7xx) are shown by its golden outputs.
    for entry in std::fs::read_dir(common::project().join("tests/snapshots")).expect("snapshots") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with("export__export_") && name.ends_with(".snap") {
            let text = std::fs::read_to_string(&path).expect("snapshot");
            for rule in imageupdate::rules::ALL {
                if rule.code.starts_with("IU7") && text.contains(&format!("{}(", rule.code)) {
                    seen.insert(rule.code.to_owned());
                }
            }
        }
    }
    let cli_only = ["IU003", "IU004", "IU005", "IU006", "IU008"];
    let missing: Vec<&str> = imageupdate::rules::ALL
        .iter()
        .map(|r| r.code)
        .filter(|c| !seen.contains(*c) && !cli_only.contains(c))
        .collect();
    assert!(missing.is_empty(), "rules without an example: {missing:?}");
}

/// Every finding validate emits over the whole of testdata/ (each
/// top-level folder as one repository), plus an unreadable-file case,
/// carries a severity its rule declares in `src/rules.rs` (the default or
/// one of `also`): `rules` and `explain` never say error where a warning
/// is printed (IU003 did).
#[test]
fn rule_severities_agree_with_emitted_findings() {
    let mut roots: Vec<std::path::PathBuf> = std::fs::read_dir(common::project().join("testdata"))
        .expect("testdata")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    roots.sort();
    // Load problems cannot be committed: a dangling symlink (IU003's
    // warning) beside a manifest.
    let tmp = tempfile::tempdir().expect("tempdir");
    common::write(tmp.path(), "app.yaml", "apiVersion: v1\nkind: ConfigMap\n");
    std::os::unix::fs::symlink(tmp.path().join("gone.yaml"), tmp.path().join("link.yaml"))
        .expect("symlink");
    roots.push(tmp.path().to_path_buf());
    let mut seen = BTreeSet::new();
    for root in &roots {
        let out = json(root);
        for d in out["diagnostics"].as_array().expect("diagnostics") {
            let code = d["code"].as_str().expect("code");
            let severity = d["severity"].as_str().expect("severity");
            let rule = imageupdate::rules::find(code).expect("a registered rule");
            assert!(
                rule.severities().any(|s| s.as_str() == severity),
                "{code} emitted as {severity} in {}, but src/rules.rs declares {:?}: {}",
                root.display(),
                rule.severities().map(|s| s.as_str()).collect::<Vec<_>>(),
                d["message"]
            );
            seen.insert((code.to_owned(), severity.to_owned()));
        }
    }
    // The test sees the variants it is about.
    for (code, severity) in [
        ("IU003", "warning"),
        ("IU301", "warning"),
        ("IU301", "error"),
    ] {
        assert!(
            seen.contains(&(code.to_owned(), severity.to_owned())),
            "no {code} {severity} in testdata: {seen:?}"
        );
    }
}
