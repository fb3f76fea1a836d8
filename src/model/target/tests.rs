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

// -- the live-image gate ------------------------------------------------------

/// An Application with `annotations` (without the prefix) whose source
/// path is `k/web`.
fn gated_app(annotations: &[(&str, &str)], source_extra: &str) -> String {
    let mut s = String::from(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\n  annotations:\n",
    );
    for (k, v) in annotations {
        s.push_str(&format!(
            "    argocd-image-updater.argoproj.io/{k}: '{v}'\n"
        ));
    }
    s.push_str("spec:\n  source:\n    repoURL: https://git.example.com/x.git\n    path: k/web\n");
    s.push_str(source_extra);
    s
}

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25.0\n      - name: side\n        image: ghcr.io/org/side:0.1.0\n";

fn live_of(files: &[(&str, &str)]) -> Vec<(String, Live)> {
    argo_targets(files)
        .into_iter()
        .map(|a| (a.alias.unwrap_or_default(), a.live))
        .collect()
}

/// `UpdateApplication` (`pkg/argocd/update.go`) skips an image that
/// `ContainsImage` (`registry-scanner/pkg/image/image.go`) does not find
/// among the live images; the registry is compared as written
/// (`NewFromIdentifier`), so `nginx` is live and `docker.io/library/nginx`
/// is not. Offline, the live images are what the source path renders: a
/// kustomization's resources with its `images:` applied.
#[test]
fn live_image_gate_compares_the_registry_as_written() {
    let app = gated_app(
        &[(
            "image-list",
            "plain=nginx:1.x,long=docker.io/library/nginx:1.x,side=ghcr.io/org/side,gone=ghcr.io/org/gone",
        )],
        "",
    );
    let kust = "resources:\n- deploy.yaml\nimages:\n- name: ghcr.io/org/side\n  newTag: 0.9.0\n";
    let live = live_of(&[
        ("apps/web.yaml", &app),
        ("k/web/kustomization.yaml", kust),
        ("k/web/deploy.yaml", DEPLOY),
    ]);
    let get = |alias: &str| {
        live.iter()
            .find(|(a, _)| a == alias)
            .map(|(_, l)| l.clone())
    };
    assert_eq!(get("plain"), Some(Live::Yes));
    assert_eq!(get("side"), Some(Live::Yes));
    for alias in ["long", "gone"] {
        let Some(Live::No(reason)) = get(alias) else {
            panic!("{alias}: {live:?}");
        };
        assert!(
            reason.contains("not among Application web's live images")
                && reason.contains("source path k/web")
                && reason.contains("ghcr.io/org/side:0.9.0, nginx:1.25.0"),
            "{reason}"
        );
    }
}

/// `forceUpdate` bypasses the gate: `GetImagesFromApplication`
/// (`pkg/argocd/argocd.go`) adds a forced image to the live list. Both the
/// annotation (`<alias>.force-update`) and the CR's
/// `commonUpdateSettings.forceUpdate` force it.
#[test]
fn live_image_gate_is_bypassed_by_force_update() {
    let app = gated_app(
        &[
            (
                "image-list",
                "gone=ghcr.io/org/gone,other=ghcr.io/org/other",
            ),
            ("gone.force-update", "true"),
        ],
        "",
    );
    let files = [
        ("apps/web.yaml", app.as_str()),
        ("k/web/kustomization.yaml", "resources:\n- deploy.yaml\n"),
        ("k/web/deploy.yaml", DEPLOY),
    ];
    let live = live_of(&files);
    assert_eq!(live[0], ("gone".to_owned(), Live::Yes));
    assert!(matches!(live[1].1, Live::No(_)), "{live:?}");

    let plain = gated_app(&[], "");
    let cr = "apiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\nmetadata:\n  name: u\n  namespace: argocd\nspec:\n  applicationRefs:\n  - namePattern: web\n    images:\n    - alias: gone\n      imageName: ghcr.io/org/gone\n      commonUpdateSettings:\n        forceUpdate: true\n    - alias: other\n      imageName: ghcr.io/org/other\n";
    let live = live_of(&[
        ("apps/web.yaml", &plain),
        ("iu.yaml", cr),
        ("k/web/kustomization.yaml", "resources:\n- deploy.yaml\n"),
        ("k/web/deploy.yaml", DEPLOY),
    ]);
    assert_eq!(live[0], ("gone".to_owned(), Live::Yes));
    assert!(matches!(live[1].1, Live::No(_)), "{live:?}");
}

/// Where the repository cannot say what runs, nothing is skipped: a
/// remote resource, a chart from a Helm repository, a source path that is
/// not in this checkout, or a CR pattern that names no Application.
#[test]
fn live_image_gate_decides_nothing_it_cannot_see() {
    let app = gated_app(&[("image-list", "gone=ghcr.io/org/gone")], "");
    let remote = "resources:\n- deploy.yaml\n- https://github.com/org/base//deploy?ref=v1\n";
    for files in [
        vec![
            ("apps/web.yaml", app.as_str()),
            ("k/web/kustomization.yaml", remote),
            ("k/web/deploy.yaml", DEPLOY),
        ],
        vec![("apps/web.yaml", app.as_str())],
    ] {
        assert_eq!(live_of(&files)[0].1, Live::Unknown, "{files:?}");
    }
    let chart = gated_app(
        &[("image-list", "gone=ghcr.io/org/gone")],
        "    chart: web\n",
    );
    assert_eq!(live_of(&[("apps/web.yaml", &chart)])[0].1, Live::Unknown);
}

/// A chart's live images are those its values name (and literal images in
/// its templates); a plain folder's are its manifests'.
#[test]
fn live_image_gate_reads_charts_and_plain_folders() {
    let app = gated_app(
        &[(
            "image-list",
            "web=registry.example.com/team/web,gone=ghcr.io/org/gone",
        )],
        "    helm:\n      valueFiles: [values-prod.yaml]\n",
    );
    let live = live_of(&[
        ("apps/web.yaml", &app),
        (
            "k/web/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        ),
        (
            "k/web/values.yaml",
            "image:\n  repository: nginx\n  tag: 1.0.0\n",
        ),
        (
            "k/web/values-prod.yaml",
            "web:\n  image:\n    registry: registry.example.com\n    repository: team/web\n    tag: 3.2.0\n",
        ),
    ]);
    assert_eq!(live[0].1, Live::Yes, "{live:?}");
    assert!(
        matches!(&live[1].1, Live::No(r) if r.contains("chart values")),
        "{live:?}"
    );

    let app = gated_app(
        &[("image-list", "side=ghcr.io/org/side,gone=ghcr.io/org/gone")],
        "",
    );
    let live = live_of(&[("apps/web.yaml", &app), ("k/web/deploy.yaml", DEPLOY)]);
    assert_eq!(live[0].1, Live::Yes, "{live:?}");
    assert!(
        matches!(&live[1].1, Live::No(r) if r.contains("folder")),
        "{live:?}"
    );
}

/// An ApplicationSet's `spec.template` annotations are read as the
/// generated Application's (real repositories configure the updater
/// there); an image that is a generator placeholder is not a target, a
/// concrete one is. Nothing is written back for a template (apply says no
/// Application of that name is in the repository).
#[test]
fn applicationset_template_annotations_are_read() {
    let appset = "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: previews\n  namespace: argocd\nspec:\n  generators:\n  - list:\n      elements: [{name: a}]\n  template:\n    metadata:\n      name: 'preview-{{name}}'\n      annotations:\n        argocd-image-updater.argoproj.io/image-list: 'web=ghcr.io/org/{{name}}:~1.0, proxy=nginx:~1.27'\n        argocd-image-updater.argoproj.io/proxy.update-strategy: newest-build\n    spec:\n      source:\n        path: 'previews/{{name}}'\n";
    let ws = workspace(&[("apps/previews.yaml", appset)]);
    let model = Model::build(&ws);
    let [u] = &model.updaters[..] else {
        panic!("{:?}", model.updaters);
    };
    assert!(u.templated);
    assert_eq!(u.name, "preview-{{name}}");
    let images: Vec<(String, Option<String>)> = model
        .targets
        .iter()
        .filter_map(|t| match &t.driver {
            Driver::Argo(a) => Some((a.repository.clone(), a.strategy.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        images,
        [("nginx".to_owned(), Some("newest-build".to_owned()))]
    );
}

/// A strategic-merge patch that sets an image makes that image live; a
/// kustomization that inflates a chart or patches by JSON path says
/// nothing for certain, so nothing is skipped.
#[test]
fn live_image_gate_reads_patches_and_gives_up_on_what_it_cannot_render() {
    let app = gated_app(
        &[(
            "image-list",
            "canary=ghcr.io/org/canary,gone=ghcr.io/org/gone",
        )],
        "",
    );
    let patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: ghcr.io/org/canary:2.0.0\n";
    let live = live_of(&[
        ("apps/web.yaml", &app),
        (
            "k/web/kustomization.yaml",
            "resources:\n- deploy.yaml\npatches:\n- path: canary.yaml\n",
        ),
        ("k/web/deploy.yaml", DEPLOY),
        ("k/web/canary.yaml", patch),
    ]);
    assert_eq!(live[0].1, Live::Yes, "{live:?}");
    assert!(matches!(live[1].1, Live::No(_)), "{live:?}");
    let live = live_of(&[
        ("apps/web.yaml", &app),
        (
            "k/web/kustomization.yaml",
            "resources:\n- deploy.yaml\nhelmCharts:\n- name: canary\n  repo: https://charts.example.com\n",
        ),
        ("k/web/deploy.yaml", DEPLOY),
    ]);
    assert_eq!(live[1].1, Live::Unknown, "{live:?}");
}
