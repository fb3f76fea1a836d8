//! Argo CD and KubeSphere targets are the model's updaters seen by preview
//! and apply: these pin what the spec must carry for them to answer as
//! the controllers do.

use super::*;
use crate::testutil::workspace;

fn argo_targets(files: &[(&str, &str)]) -> Vec<ArgoImage> {
    let ws = workspace(files);
    let model = Model::build(&ws);
    model
        .targets
        .iter()
        .filter_map(|t| match &t.driver {
            Driver::Argo(a) => Some(a.clone()),
            _ => None,
        })
        .collect()
}

const APP: &str = "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: apps
  annotations:
    argocd-image-updater.argoproj.io/image-list: web=ghcr.io/org/web:~1.2
";

#[test]
fn annotations_keep_what_preview_and_apply_need() {
    let text = format!(
        "{APP}    argocd-image-updater.argoproj.io/web.update-strategy: LATEST
    argocd-image-updater.argoproj.io/web.allow-tags: '^v1'
    argocd-image-updater.argoproj.io/write-back-method: gti
    argocd-image-updater.argoproj.io/write-back-target: kustomization
"
    );
    let [a] = &argo_targets(&[("app.yaml", &text)])[..] else {
        panic!("one target");
    };
    assert_eq!(a.app, "web");
    assert_eq!(a.alias.as_deref(), Some("web"));
    assert_eq!(a.repository, "ghcr.io/org/web");
    assert_eq!(a.constraint.as_deref(), Some("~1.2"));
    // The deprecated name, any case, is Argo's newest-build.
    assert_eq!(a.strategy.as_deref(), Some("newest-build"));
    // Neither `any` nor `regexp:`: the controller matches no tag, and
    // preview must still see the value to say so.
    assert_eq!(a.allow_tags.as_deref(), Some("^v1"));
    // An unknown method reaches apply verbatim, for its message.
    assert_eq!(a.write_back.method.as_deref(), Some("gti"));
    assert_eq!(a.write_back.target.as_deref(), Some("kustomization"));
    assert_eq!(a.write_back.namespace.as_deref(), Some("apps"));
    assert!(a.write_back.app.is_some(), "the annotated Application");
}

#[test]
fn a_regexp_reaches_preview_with_its_prefix() {
    let text = format!("{APP}    argocd-image-updater.argoproj.io/allow-tags: Regexp:^1\\.2\n");
    let [a] = &argo_targets(&[("app.yaml", &text)])[..] else {
        panic!("one target");
    };
    assert_eq!(a.allow_tags.as_deref(), Some("regexp:^1\\.2"));
}

#[test]
fn a_cr_image_level_allow_tags_that_matches_nothing_overrides_the_spec_level() {
    let cr = "apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: web
  namespace: argocd
spec:
  commonUpdateSettings:
    allowTags: regexp:^v
    updateStrategy: digest
  writeBackConfig:
    method: git:secret:argocd/creds
  applicationRefs:
  - namePattern: web
    writeBackConfig:
      method: bogus
    images:
    - alias: web
      imageName: ghcr.io/org/web:stable
      commonUpdateSettings:
        allowTags: tags
";
    let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n";
    let [a] = &argo_targets(&[("cr.yaml", cr), ("app.yaml", app)])[..] else {
        panic!("one target");
    };
    assert_eq!(a.allow_tags.as_deref(), Some("tags"));
    assert_eq!(a.strategy.as_deref(), Some("digest"));
    // The reference level's method, unknown or not, wins over the spec's.
    assert_eq!(a.write_back.method.as_deref(), Some("bogus"));
    assert!(a.write_back.app.is_some(), "the Application named exactly");
}

#[test]
fn kubesphere_values_are_read_as_argo_reads_them() {
    let ks = "apiVersion: gitops.kubesphere.io/v1alpha1
kind: ImageUpdater
metadata:
  name: web
  namespace: apps
spec:
  kind: argocd
  argocd:
    app:
      name: web
    write: sideways
    update-strategy:
      web: Latest
    allow-tags:
      web: REGEXP:^1\\.
  images:
  - web=ghcr.io/org/web
";
    let [a] = &argo_targets(&[("ks.yaml", ks)])[..] else {
        panic!("one target");
    };
    assert_eq!(a.strategy.as_deref(), Some("newest-build"));
    assert_eq!(a.allow_tags.as_deref(), Some("regexp:^1\\."));
    assert_eq!(a.write_back.method.as_deref(), Some("sideways"));
    // Without an Application namespace, the object's.
    assert_eq!(a.write_back.namespace.as_deref(), Some("apps"));
}

#[test]
fn kubesphere_fluxcd_entries_keep_their_own_constraint() {
    let ks = "apiVersion: gitops.kubesphere.io/v1alpha1
kind: ImageUpdater
metadata:
  name: cache
spec:
  kind: fluxcd
  fluxcd:
    policy:
      semver:
        range: 7.x
  images:
  - redis=docker.io/library/redis
  - legacy=docker.io/library/redis:6.2.x
";
    let ws = workspace(&[("ks.yaml", ks)]);
    let model = Model::build(&ws);
    let ranges: Vec<_> = model
        .targets
        .iter()
        .map(|t| match &t.driver {
            Driver::KubesphereFlux { repository, range } => (repository.as_str(), range.as_deref()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        ranges,
        [
            ("docker.io/redis", Some("7.x")),
            ("docker.io/redis", Some("6.2.x")),
        ]
    );
}
