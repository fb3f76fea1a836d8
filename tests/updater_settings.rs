//! Every setting rule of the Argo CD (annotations and `ImageUpdater` CR)
//! and KubeSphere checks on deliberately broken updaters, quoted, escaped
//! and folded values included. The findings are snapshot-tested, so a
//! change in where the checks take values from (the model's updaters)
//! cannot move, add or drop one unnoticed.

mod common;

use common::{json, testdata};

#[test]
fn updater_settings_findings() {
    insta::assert_json_snapshot!(
        "updater_settings__json",
        json(&testdata("updater-settings"))
    );
}
