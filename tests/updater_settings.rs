//! Every setting rule of the Argo CD (annotations and `ImageUpdater` CR)
//! and KubeSphere checks on deliberately broken updaters, quoted, escaped
//! and folded values included. The findings are snapshot-tested, so a
//! change in where the checks take values from (the model's updaters)
//! cannot move, add or drop one unnoticed.

mod common;

use common::{testdata, validate};

fn findings(generation: &str) -> serde_json::Value {
    let out = validate(
        &testdata("updater-settings"),
        &["--format", "json", "--argocd-image-updater", generation],
    );
    assert_eq!(out.status.code(), Some(1));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The annotation cases as v0.x reads them: a present per-alias key wins
/// even when empty, and its value is judged as written.
#[test]
fn updater_settings_findings() {
    insta::assert_json_snapshot!("updater_settings__json", findings("v0"));
}

/// The same cases as v1.x reads them (the CR cases make the folder v1 by
/// default): values trimmed, an empty one unset, so a per-alias `""`
/// inherits the app-wide value (`pkg/argocd/annotations.go`,
/// getCommonUpdateSettingsFromAnnotations) instead of being judged.
#[test]
fn updater_settings_findings_as_v1() {
    insta::assert_json_snapshot!("updater_settings__json_v1", findings("v1"));
}
