//! The Argo and KubeSphere checks judge the model's updaters: findings sit
//! exactly where the spec says its values were read, and a value changed
//! in the model (not in the file) changes the finding.

use crate::check;
use crate::diagnostic::Diagnostic;
use crate::model::Model;
use crate::model::spec::{Dialect, Field, SettingName, Strategy};
use crate::testutil::workspace;

const APP: &str = "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: web=nginx:latest, api=redis
    argocd-image-updater.argoproj.io/web.update-strategy: semverr
spec:
  project: default
";

fn codes<'d>(found: &'d [Diagnostic], code: &str) -> Vec<&'d Diagnostic> {
    found.iter().filter(|d| d.rule.code == code).collect()
}

#[test]
fn findings_point_at_the_spec_origins() {
    let ws = workspace(&[("app.yaml", APP)]);
    let model = Model::build(&ws);
    let found = check::run(&ws, &model);
    let u = &model.updaters[0];
    assert_eq!(u.from.map(|(d, _)| d), Some(Dialect::Argocd));

    // The misspelt strategy: the reader kept the text as written, and
    // parsed it to the controller's fallback at the same bytes.
    let written = u
        .written
        .iter()
        .find(|w| w.setting == SettingName::UpdateStrategy)
        .and_then(|w| w.value.as_ref())
        .expect("the strategy as written");
    assert_eq!(written.value, "semverr");
    let unknown = codes(&found, "IU404");
    assert_eq!(unknown.len(), 1, "{found:#?}");
    let web = &u.images[0];
    let strategy = web.strategy.as_ref().and_then(|s| s.origin);
    assert_eq!(Some(unknown[0].span), written.origin.map(|o| o.span));
    assert_eq!(Some(unknown[0].span), strategy.map(|o| o.span));

    // `latest` under the fallback semver: the finding is the constraint
    // the reader cut out of the image-list.
    let invalid = codes(&found, "IU402");
    assert_eq!(invalid.len(), 1, "{found:#?}");
    let constraint = web.constraint.as_ref().and_then(|c| c.origin);
    assert_eq!(Some(invalid[0].span), constraint.map(|o| o.span));
    assert_eq!(invalid[0].span.text(APP), "latest");
}

#[test]
fn constraints_are_judged_with_the_models_strategy() {
    let ws = workspace(&[("app.yaml", APP)]);
    let mut model = Model::build(&ws);
    assert!(codes(&check::run(&ws, &model), "IU417").is_empty());
    // The file does not change; the model now says `api` follows a
    // digest, which needs a tag to track.
    let api = &mut model.updaters[0].images[1];
    api.strategy = Some(Field::made(Strategy::Digest));
    let found = check::run(&ws, &model);
    let digest = codes(&found, "IU417");
    assert_eq!(digest.len(), 1, "{found:#?}");
    assert_eq!(
        Some(digest[0].span),
        model.updaters[0].images[1].origin.map(|o| o.span)
    );
}

#[test]
fn settings_are_judged_as_the_model_kept_them() {
    let ws = workspace(&[("app.yaml", APP)]);
    let mut model = Model::build(&ws);
    for w in &mut model.updaters[0].written {
        if w.setting == SettingName::UpdateStrategy
            && let Some(v) = &mut w.value
        {
            v.value = "semver".to_owned();
        }
    }
    let found = check::run(&ws, &model);
    assert!(codes(&found, "IU404").is_empty(), "{found:#?}");
}

#[test]
fn kubesphere_write_points_at_unknown_write() {
    let text = "apiVersion: gitops.kubesphere.io/v1alpha1
kind: ImageUpdater
metadata:
  name: shop
  namespace: apps
spec:
  kind: argocd
  images: [web=nginx:~1.27]
  argo:
    write: push
    app:
      name: shop
";
    let ws = workspace(&[("ks.yaml", text)]);
    let model = Model::build(&ws);
    let found = check::run(&ws, &model);
    let write = codes(&found, "IU410");
    assert_eq!(write.len(), 1, "{found:#?}");
    let unknown = model.updaters[0].unknown_write.as_ref();
    assert_eq!(
        Some(write[0].span),
        unknown.and_then(|w| w.origin).map(|o| o.span)
    );
    assert_eq!(write[0].span.text(text), "push");
}

#[test]
fn cr_constraint_points_into_image_name() {
    let text = "apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: shop
spec:
  applicationRefs:
    - namePattern: shop
      images:
        - alias: web
          imageName: \"nginx:1.x.y\"
";
    let ws = workspace(&[("cr.yaml", text)]);
    let model = Model::build(&ws);
    let found = check::run(&ws, &model);
    let invalid = codes(&found, "IU402");
    assert_eq!(invalid.len(), 1, "{found:#?}");
    let constraint = model.updaters[0].images[0].constraint.as_ref();
    assert_eq!(
        Some(invalid[0].span),
        constraint.and_then(|c| c.origin).map(|o| o.span)
    );
    assert_eq!(invalid[0].span.text(text), "1.x.y");
}

#[test]
fn annotations_without_image_list_are_an_updater_without_images() {
    let text = APP.replace(
        "    argocd-image-updater.argoproj.io/image-list: web=nginx:latest, api=redis\n",
        "",
    );
    let ws = workspace(&[("app.yaml", &text)]);
    let model = Model::build(&ws);
    let u = &model.updaters[0];
    assert!(u.images.is_empty());
    let found = check::run(&ws, &model);
    let missing = codes(&found, "IU008");
    assert_eq!(missing.len(), 1, "{found:#?}");
    assert_eq!(
        Some(missing[0].span),
        u.written[0].key.origin.map(|o| o.span)
    );
    // Its annotations are still judged.
    assert_eq!(codes(&found, "IU404").len(), 1, "{found:#?}");
}
