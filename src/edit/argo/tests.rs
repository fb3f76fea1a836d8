#![allow(clippy::disallowed_methods)] // fixtures on disk
use super::*;
use crate::discover;
use crate::model::{Model, target};
use crate::testutil::repo;

const PREFIX: &str = "argocd-image-updater.argoproj.io/";

fn workspace(dir: &std::path::Path) -> Workspace {
    let opts = discover::Options {
        parse_all: true,
        ..discover::Options::default()
    };
    discover::load(dir, &[], &opts)
}

/// Plans the Argo updates of every target whose repository has a tag in
/// `tags`, and checks every file change the way the plan will.
fn plan_tags(ws: &Workspace, tags: &[(&str, &str)]) -> (Vec<FileChange>, Vec<Skip>) {
    let model = Model::build(ws);
    let targets = target::collect(ws, &model);
    let updates: Vec<ArgoUpdate> = targets
        .iter()
        .filter_map(|t| match &t.driver {
            Driver::Argo(c) => tags
                .iter()
                .find(|(r, _)| *r == c.repository)
                .map(|(_, tag)| ArgoUpdate {
                    target: t,
                    new_tag: (*tag).to_owned(),
                }),
            _ => None,
        })
        .collect();
    let (files, skips) = plan(ws, &updates);
    for f in &files {
        let new = &f.new_text;
        verify::check(f.original(ws), new, &f.expect)
            .unwrap_or_else(|e| panic!("{}: {e}\n{new}", f.path));
        assert!(!f.edits.is_empty(), "{}: empty change", f.path);
    }
    (files, skips)
}

struct Run {
    dir: tempfile::TempDir,
    files: Vec<FileChange>,
    skips: Vec<Skip>,
}

impl Run {
    fn new(files: &[(&str, &str)], tags: &[(&str, &str)]) -> Run {
        let dir = repo(files);
        let ws = workspace(dir.path());
        let (files, skips) = plan_tags(&ws, tags);
        Run { dir, files, skips }
    }

    fn file(&self, path: &str) -> &FileChange {
        self.files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("no change to {path}: {:?} {:?}", self.paths(), self.skips))
    }

    fn new_text(&self, path: &str) -> String {
        self.file(path).new_text.clone()
    }

    fn paths(&self) -> Vec<&str> {
        self.files.iter().map(|f| f.path.as_str()).collect()
    }

    fn reasons(&self) -> Vec<&str> {
        self.skips.iter().map(|s| s.reason.as_str()).collect()
    }

    /// Writes the plan, plans again with the same tags: nothing to do.
    fn assert_idempotent(&self, tags: &[(&str, &str)]) {
        for f in &self.files {
            std::fs::write(self.dir.path().join(&f.path), f.new_text.clone()).unwrap();
        }
        let ws = workspace(self.dir.path());
        let (files, _) = plan_tags(&ws, tags);
        assert!(
            files.is_empty(),
            "second run changes {:?}",
            files
                .iter()
                .map(|f| (&f.path, Ok::<_, ()>(f.new_text.clone())))
                .collect::<Vec<_>>()
        );
    }
}

/// An Application with image-updater annotations; `source` is spliced
/// under `spec.source` (4 spaces of indentation).
fn app(name: &str, ns: &str, annotations: &[(&str, &str)], path: &str, source: &str) -> String {
    let mut s = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations:\n"
    );
    for (k, v) in annotations {
        s.push_str(&format!("    {PREFIX}{k}: '{v}'\n"));
    }
    s.push_str(&format!(
        "spec:\n  project: default\n  source:\n    repoURL: https://git.example.com/gitops.git\n    targetRevision: main\n    path: {path}\n"
    ));
    for line in source.lines() {
        s.push_str(&format!("    {line}\n"));
    }
    s.push_str("  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n");
    s
}

const KUST: &str =
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- deploy.yaml\n";
const CHART: &str = "apiVersion: v2\nname: web\nversion: 0.1.0\n";

// -- default target: .argocd-source-<app>.yaml --------------------------

#[test]
fn w13_default_file_is_named_after_the_app_and_its_namespace() {
    let tags = [("nginx", "1.27.4")];
    let git = [("image-list", "nginx"), ("write-back-method", "git")];
    let run = Run::new(
        &[
            ("apps/a.yaml", &app("web", "argocd", &git, "k/web", "")),
            ("apps/b.yaml", &app("api", "team-a", &git, "k/api", "")),
            ("k/web/kustomization.yaml", KUST),
            ("k/api/kustomization.yaml", KUST),
        ],
        &tags,
    );
    assert_eq!(
        run.paths(),
        [
            "k/api/.argocd-source-team-a_api.yaml",
            "k/web/.argocd-source-web.yaml"
        ]
    );
    let f = run.file("k/web/.argocd-source-web.yaml");
    assert_eq!(f.base, Base::Created);
    assert_eq!(
        run.new_text("k/web/.argocd-source-web.yaml"),
        "kustomize:\n  images:\n  - nginx:1.27.4\n"
    );
    let c = &f.changes[0];
    assert_eq!(
        (c.line, c.old_value.as_str(), c.new_value.as_str()),
        (3, "", "nginx:1.27.4")
    );
    assert_eq!(c.app.as_deref(), Some("web"));
    assert_eq!((c.image.as_str(), c.new_tag.as_str()), ("nginx", "1.27.4"));
    run.assert_idempotent(&tags);
}

#[test]
fn w1_source_images_are_appended_after_the_files_own() {
    let tags = [("foo", "2")];
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &app(
                    "web",
                    "argocd",
                    &[("image-list", "foo"), ("write-back-method", "git")],
                    "k",
                    "kustomize:\n  images:\n  - foo:1\n  - bar:1",
                ),
            ),
            ("k/kustomization.yaml", KUST),
            (
                "k/.argocd-source-web.yaml",
                "kustomize:\n  images:\n  - baz:1\n",
            ),
        ],
        &tags,
    );
    assert_eq!(
        run.new_text("k/.argocd-source-web.yaml"),
        "kustomize:\n  images:\n  - baz:1\n  - foo:2\n  - bar:1\n"
    );
    run.assert_idempotent(&tags);
}

#[test]
fn w2_updated_entries_are_replaced_in_place_and_new_ones_appended() {
    let tags = [("updated", "latest")];
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &app(
                    "web",
                    "argocd",
                    &[("image-list", "updated"), ("write-back-method", "git")],
                    "k",
                    "kustomize:\n  images:\n  - new:1\n  - updated:latest",
                ),
            ),
            ("k/kustomization.yaml", KUST),
            (
                "k/.argocd-source-web.yaml",
                "kustomize:\n  images:\n  - existing:latest # keep\n  - updated:old\n",
            ),
        ],
        &tags,
    );
    assert_eq!(
        run.new_text("k/.argocd-source-web.yaml"),
        "kustomize:\n  images:\n  - existing:latest # keep\n  - updated:latest\n  - new:1\n"
    );
    run.assert_idempotent(&tags);
}

#[test]
fn w3_docker_io_and_implicit_registry_are_one_entry() {
    let tags = [("jannfis/foobar", "1.0.1")];
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &app(
                    "web",
                    "argocd",
                    &[
                        ("image-list", "jannfis/foobar"),
                        ("write-back-method", "git"),
                    ],
                    "k",
                    "kustomize: {}",
                ),
            ),
            (
                "k/.argocd-source-web.yaml",
                "kustomize:\n  images:\n  - docker.io/jannfis/foobar:1.0.0\n",
            ),
        ],
        &tags,
    );
    assert_eq!(
        run.new_text("k/.argocd-source-web.yaml"),
        "kustomize:\n  images:\n  - jannfis/foobar:1.0.1\n"
    );
    run.assert_idempotent(&tags);
}

#[test]
fn w5_helm_override_holds_only_the_managed_parameters() {
    let tags = [("nginx", "1.20")];
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &app(
                    "web",
                    "argocd",
                    &[
                        ("image-list", "nginx"),
                        ("write-back-method", "git:repocreds"),
                    ],
                    "charts/web",
                    "helm:\n  parameters:\n  - name: replicas\n    value: \"0\"",
                ),
            ),
            ("charts/web/Chart.yaml", CHART),
        ],
        &tags,
    );
    assert_eq!(
        run.new_text("charts/web/.argocd-source-web.yaml"),
        "helm:\n  parameters:\n  - name: image.name\n    value: nginx\n    forcestring: true\n  - name: image.tag\n    value: \"1.20\"\n    forcestring: true\n"
    );
    let c = &run.file("charts/web/.argocd-source-web.yaml").changes;
    assert_eq!(c.len(), 1, "one change per image");
    assert_eq!((c[0].line, c[0].new_value.as_str()), (7, "1.20"));
    run.assert_idempotent(&tags);
}

#[test]
fn helm_override_new_parameters_keep_name_order_in_a_crlf_file() {
    let tags = [("registry.example.com/web", "2.0.0")];
    let annotations = [
        ("image-list", "web=registry.example.com/web"),
        ("web.helm.image-name", "image.repository"),
        ("web.helm.image-tag", "image.tag"),
        ("write-back-method", "git"),
    ];
    let existing = "# managed by the updater\r\nhelm:\r\n  parameters:\r\n  - name: image.tag # pinned\r\n    value: 1.0.0\r\n    forcestring: true\r\n  - name: zz.other\r\n    value: x\r\n";
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &app("web", "argocd", &annotations, "chart", "helm: {}"),
            ),
            ("chart/.argocd-source-web.yaml", existing),
        ],
        &tags,
    );
    assert_eq!(
        run.new_text("chart/.argocd-source-web.yaml"),
        "# managed by the updater\r\nhelm:\r\n  parameters:\r\n  - name: image.repository\r\n    value: registry.example.com/web\r\n    forcestring: true\r\n  - name: image.tag # pinned\r\n    value: 2.0.0\r\n    forcestring: true\r\n  - name: zz.other\r\n    value: x\r\n"
    );
    run.assert_idempotent(&tags);
}

#[test]
fn unparseable_files_and_null_or_scalar_parents_are_skipped() {
    for (values, want) in [
        ("image: [1.0\n", "does not parse"),
        ("image:\n", "key image is null, not a mapping"),
        ("image: nginx\n", "key image is a value, not a mapping"),
        ("- a\n", "not a mapping"),
    ] {
        let run = values_run(
            &[("image-list", "nginx")],
            Some(values),
            &[("nginx", "1.27.4")],
        );
        assert!(run.files.is_empty(), "{values:?}");
        assert!(
            run.reasons()[0].contains(want),
            "{values:?}: {:?}",
            run.reasons()
        );
    }
    let run = Run::new(
        &[
            ("apps/a.yaml", &kust_app(&[("image-list", "nginx")])),
            ("k/kustomization.yaml", "images:\n"),
        ],
        &[("nginx", "1.27.4")],
    );
    assert!(
        run.reasons()[0].contains("images is empty (null)"),
        "{:?}",
        run.reasons()
    );
}

/// Putting `image.name` first would move the old item's `forceString`
/// key to another index, which the check refuses: appended instead.
#[test]
fn helm_override_falls_back_to_appending_when_order_cannot_be_kept() {
    let tags = [("nginx", "2.0.0")];
    let existing =
        "helm:\n  parameters:\n  - name: image.tag\n    value: 1.0.0\n    forceString: true\n";
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &app(
                    "web",
                    "argocd",
                    &[("image-list", "nginx"), ("write-back-method", "git")],
                    "chart",
                    "helm: {}",
                ),
            ),
            ("chart/.argocd-source-web.yaml", existing),
        ],
        &tags,
    );
    let f = run.file("chart/.argocd-source-web.yaml");
    assert_eq!(
        f.new_text.clone(),
        "helm:\n  parameters:\n  - name: image.tag\n    value: 2.0.0\n    forceString: true\n  - name: image.name\n    value: nginx\n    forcestring: true\n"
    );
    assert_eq!(
        (f.changes[0].line, f.changes[0].old_value.as_str()),
        (4, "1.0.0")
    );
    run.assert_idempotent(&tags);
}

#[test]
fn helm_override_value_without_forcestring_gets_one() {
    let tags = [("nginx", "1.27.4")];
    let existing = "helm:\n  parameters:\n    - name: image.name\n      value: nginx\n    - name: image.tag\n      value: '1.25.0'\n";
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &app(
                    "web",
                    "argocd",
                    &[("image-list", "nginx"), ("write-back-method", "git")],
                    "chart",
                    "chart: web",
                ),
            ),
            ("chart/.argocd-source-web.yaml", existing),
        ],
        &tags,
    );
    assert_eq!(
        run.new_text("chart/.argocd-source-web.yaml"),
        "helm:\n  parameters:\n    - name: image.name\n      value: nginx\n    - name: image.tag\n      value: '1.27.4'\n      forcestring: true\n"
    );
    run.assert_idempotent(&tags);
}

#[test]
fn helm_override_image_spec_is_one_parameter() {
    let tags = [("docker.io/envoyproxy/envoy", "v1.31.4")];
    let annotations = [
        ("image-list", "sidecar=docker.io/envoyproxy/envoy:~1.31"),
        ("sidecar.helm.image-spec", "sidecarImage"),
        ("write-back-method", "git"),
    ];
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &app("web", "argocd", &annotations, "chart", "helm: {}"),
            ),
            (
                "chart/.argocd-source-web.yaml",
                "helm:\n  parameters:\n  - name: sidecarImage\n    value: docker.io/envoyproxy/envoy:v1.31.3\n    forcestring: true\n",
            ),
        ],
        &tags,
    );
    assert_eq!(
        run.new_text("chart/.argocd-source-web.yaml"),
        "helm:\n  parameters:\n  - name: sidecarImage\n    value: docker.io/envoyproxy/envoy:v1.31.4\n    forcestring: true\n"
    );
    run.assert_idempotent(&tags);
}

#[test]
fn two_images_of_one_app_make_one_file_change() {
    let tags = [("nginx", "1.27.4"), ("redis", "7.4.1")];
    let annotations = [
        ("image-list", "web=nginx,cache=redis"),
        ("cache.helm.image-name", "cache.image.name"),
        ("cache.helm.image-tag", "cache.image.tag"),
        ("write-back-method", "git"),
    ];
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &app("web", "argocd", &annotations, "chart", "helm: {}"),
            ),
            ("chart/Chart.yaml", CHART),
        ],
        &tags,
    );
    assert_eq!(run.files.len(), 1);
    let f = run.file("chart/.argocd-source-web.yaml");
    assert_eq!(f.changes.len(), 2);
    assert_eq!(
        f.new_text.clone(),
        "helm:\n  parameters:\n  - name: cache.image.name\n    value: redis\n    forcestring: true\n  - name: cache.image.tag\n    value: 7.4.1\n    forcestring: true\n  - name: image.name\n    value: nginx\n    forcestring: true\n  - name: image.tag\n    value: 1.27.4\n    forcestring: true\n"
    );
    run.assert_idempotent(&tags);
}

#[test]
fn an_unchanged_image_writes_nothing() {
    // current (from values.yaml) is already the candidate: no file is made.
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &app(
                    "web",
                    "argocd",
                    &[("image-list", "nginx"), ("write-back-method", "git")],
                    "chart",
                    "helm: {}",
                ),
            ),
            ("chart/Chart.yaml", CHART),
            (
                "chart/values.yaml",
                "image:\n  name: nginx\n  tag: 1.27.4\n",
            ),
        ],
        &[("nginx", "1.27.4")],
    );
    assert!(
        run.files.is_empty() && run.skips.is_empty(),
        "{:?}",
        run.files
    );
}

#[test]
fn an_existing_override_file_with_comments_only_gets_the_mapping_appended() {
    let tags = [("nginx", "1.27.4")];
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &app(
                    "web",
                    "argocd",
                    &[("image-list", "nginx"), ("write-back-method", "git")],
                    "k",
                    "kustomize: {}",
                ),
            ),
            (
                "k/.argocd-source-web.yaml",
                "---\n# parameters written by the updater",
            ),
        ],
        &tags,
    );
    assert_eq!(
        run.new_text("k/.argocd-source-web.yaml"),
        "---\n# parameters written by the updater\nkustomize:\n  images:\n  - nginx:1.27.4\n"
    );
    run.assert_idempotent(&tags);
}

#[test]
fn flow_sequences_are_edited_in_flow_style() {
    let tags = [("nginx", "1.27.4"), ("redis", "7.4.1")];
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &app(
                    "web",
                    "argocd",
                    &[("image-list", "nginx,redis"), ("write-back-method", "git")],
                    "k",
                    "kustomize: {}",
                ),
            ),
            (
                "k/.argocd-source-web.yaml",
                "kustomize: {images: [\"nginx:1.25.0\", busybox:1]}\n",
            ),
        ],
        &tags,
    );
    assert_eq!(
        run.new_text("k/.argocd-source-web.yaml"),
        "kustomize: {images: [\"nginx:1.27.4\", busybox:1, redis:7.4.1]}\n"
    );
    run.assert_idempotent(&tags);
}

// -- write-back method and configuration ---------------------------------

#[test]
fn the_argocd_method_is_skipped_with_the_reason() {
    for method in [None, Some("argocd"), Some(" argocd ")] {
        let mut annotations = vec![("image-list", "nginx")];
        if let Some(m) = method {
            annotations.push(("write-back-method", m));
        }
        let run = Run::new(
            &[
                ("apps/a.yaml", &app("web", "argocd", &annotations, "k", "")),
                ("k/kustomization.yaml", KUST),
            ],
            &[("nginx", "1.27.4")],
        );
        assert!(run.files.is_empty());
        assert_eq!(run.skips.len(), 1);
        let s = &run.skips[0];
        assert!(
            s.reason.starts_with("write-back-method is argocd")
                && s.reason.contains("patches the live Application")
                && s.reason.contains("write-back-method: git"),
            "{}",
            s.reason
        );
        assert_eq!(
            (s.file.as_str(), s.line, s.image.as_str()),
            ("apps/a.yaml", 7, "nginx")
        );
    }
}

#[test]
fn bad_methods_and_targets_are_skipped() {
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("write-back-method", "git:secret:")], "names no secret"),
        (
            &[("write-back-method", "gitlab")],
            "is not a write-back method",
        ),
        (
            &[
                ("write-back-method", "git"),
                ("write-back-target", "helmvalues:"),
            ],
            "names no file",
        ),
        (
            &[
                ("write-back-method", "git"),
                ("write-back-target", "kustomization.yaml"),
            ],
            "bare kustomization file name is rejected",
        ),
        (
            &[
                ("write-back-method", "git"),
                ("write-back-target", "kustomization:../../.."),
            ],
            "leads out of the repository",
        ),
    ];
    for (extra, want) in cases {
        let mut annotations = vec![("image-list", "nginx")];
        annotations.extend_from_slice(extra);
        let run = Run::new(
            &[
                ("apps/a.yaml", &app("web", "argocd", &annotations, "k", "")),
                ("k/kustomization.yaml", KUST),
            ],
            &[("nginx", "1.27.4")],
        );
        assert!(run.files.is_empty(), "{want}");
        assert!(
            run.reasons().iter().any(|r| r.contains(want)),
            "{want}: {:?}",
            run.reasons()
        );
    }
}

#[test]
fn directory_and_multi_source_apps_are_skipped() {
    let git = [("image-list", "nginx"), ("write-back-method", "git")];
    let multi = app("multi", "argocd", &git, "k", "")
        .replace("  source:\n", "  sources:\n  - x: y\n  other:\n");
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &app(
                    "plain",
                    "argocd",
                    &git,
                    "manifests",
                    "directory: {recurse: true}",
                ),
            ),
            ("apps/b.yaml", &multi),
            ("manifests/deploy.yaml", "kind: ConfigMap\n"),
        ],
        &[("nginx", "1.27.4")],
    );
    assert!(run.files.is_empty());
    let reasons = run.reasons();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("neither Helm nor Kustomize")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("several sources")),
        "{reasons:?}"
    );
}

#[test]
fn crd_method_at_the_reference_level_wins_over_the_spec_level() {
    let cr = |spec_method: &str, ref_method: &str| {
        format!(
            "apiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\nmetadata:\n  name: u\n  namespace: argocd\nspec:\n  writeBackConfig:\n    method: {spec_method}\n  applicationRefs:\n    - namePattern: web\n      writeBackConfig:\n{ref_method}      images:\n        - alias: web\n          imageName: nginx:~1.27\n"
        )
    };
    let plain_app = app("web", "argocd", &[], "k", "");
    let files = |cr: String| {
        vec![
            ("apps/web.yaml".to_owned(), plain_app.clone()),
            ("k/kustomization.yaml".to_owned(), KUST.to_owned()),
            ("iu/u.yaml".to_owned(), cr),
        ]
    };
    let as_refs = |v: &Vec<(String, String)>| -> Vec<(String, String)> { v.clone() };
    let run_with = |v: Vec<(String, String)>| {
        let v = as_refs(&v);
        let refs: Vec<(&str, &str)> = v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        Run::new(&refs, &[("nginx", "1.27.4")])
    };
    let run = run_with(files(cr(
        "argocd",
        "        method: git\n        gitConfig:\n          writeBackTarget: kustomization\n",
    )));
    assert_eq!(run.paths(), ["k/kustomization.yaml"], "{:?}", run.reasons());
    assert_eq!(
        run.new_text("k/kustomization.yaml"),
        format!("{KUST}images:\n- name: nginx\n  newTag: 1.27.4\n")
    );
    let run = run_with(files(cr("git", "        method: argocd\n")));
    assert!(run.files.is_empty());
    assert!(
        run.reasons()[0].starts_with("writeBackConfig.method is argocd"),
        "{:?}",
        run.reasons()
    );
    // v1.3: a reference-level block without a method inherits git.
    let run = run_with(files(cr(
        "git",
        "        gitConfig:\n          branch: main\n",
    )));
    assert_eq!(
        run.paths(),
        ["k/.argocd-source-web.yaml"],
        "{:?}",
        run.reasons()
    );
}

#[test]
fn crd_pattern_without_an_application_in_the_repository_is_skipped() {
    let cr = "apiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\nmetadata:\n  name: u\n  namespace: argocd\nspec:\n  writeBackConfig:\n    method: git\n  applicationRefs:\n    - namePattern: web-*\n      images:\n        - alias: web\n          imageName: nginx\n";
    let run = Run::new(&[("iu/u.yaml", cr)], &[("nginx", "1.27.4")]);
    assert!(
        run.reasons()[0].contains("is a pattern"),
        "{:?}",
        run.reasons()
    );
}

#[test]
fn kubesphere_writes_only_with_write_git() {
    let ks = |write: &str| {
        format!(
            "apiVersion: gitops.kubesphere.io/v1alpha1\nkind: ImageUpdater\nmetadata:\n  name: u\n  namespace: shop\nspec:\n  kind: argocd\n  images:\n    - web=nginx:~1.27\n  argo:\n    app:\n      name: web\n{write}"
        )
    };
    let web = app("web", "shop", &[], "chart", "helm: {}");
    let run = Run::new(
        &[
            ("apps/web.yaml", &web),
            ("chart/Chart.yaml", CHART),
            ("ks.yaml", &ks("    write: git\n")),
        ],
        &[("nginx", "1.27.4")],
    );
    // The Application is in shop, not in the controller's namespace.
    assert_eq!(
        run.paths(),
        ["chart/.argocd-source-shop_web.yaml"],
        "{:?}",
        run.reasons()
    );
    for write in ["", "    write: built-in\n"] {
        let run = Run::new(
            &[
                ("apps/web.yaml", &web),
                ("chart/Chart.yaml", CHART),
                ("ks.yaml", &ks(write)),
            ],
            &[("nginx", "1.27.4")],
        );
        assert!(run.files.is_empty());
        assert!(
            run.reasons()[0].contains("set write: git"),
            "{:?}",
            run.reasons()
        );
    }
}

// -- kustomization target ------------------------------------------------

fn kust_app(annotations: &[(&str, &str)]) -> String {
    let mut a = vec![
        ("write-back-method", "git"),
        ("write-back-target", "kustomization"),
    ];
    a.extend_from_slice(annotations);
    app("web", "argocd", &a, "k", "")
}

#[test]
fn k9_kustomization_keeps_key_order_comments_and_directives() {
    let tags = [("registry.example.com/app", "1.1@sha256:new")];
    let text = "%YAML 1.2\n---\n# leading comment\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\nresources:\n  - deploy.yaml\n\nimages:\n  - digest: sha256:old # pinned\n    name: registry.example.com/app\n    newTag: \"1.0\"\n";
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &kust_app(&[("image-list", "registry.example.com/app:1.x")]),
            ),
            ("k/kustomization.yaml", text),
        ],
        &tags,
    );
    assert_eq!(
        run.new_text("k/kustomization.yaml"),
        text.replace("sha256:old", "sha256:new")
            .replace("\"1.0\"", "\"1.1\"")
    );
    let c = &run.file("k/kustomization.yaml").changes;
    assert_eq!(
        (c.len(), c[0].line, c[0].new_value.as_str()),
        (1, 13, "1.1")
    );
    run.assert_idempotent(&tags);
}

#[test]
fn kustomization_entry_gets_missing_keys_in_its_own_indentation() {
    let tags = [("registry.example.com/nginx", "1.27.4")];
    let text = "resources:\n    -   deploy.yaml\nimages:\n    -   name: nginx # the upstream name\n        newTag: 1.25.0\n    -   name: other\n";
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &kust_app(&[
                    ("image-list", "web=registry.example.com/nginx"),
                    ("web.kustomize.image-name", "nginx"),
                ]),
            ),
            ("k/kustomization.yaml", text),
        ],
        &tags,
    );
    assert_eq!(
        run.new_text("k/kustomization.yaml"),
        "resources:\n    -   deploy.yaml\nimages:\n    -   name: nginx # the upstream name\n        newTag: 1.27.4\n        newName: registry.example.com/nginx\n    -   name: other\n"
    );
    run.assert_idempotent(&tags);
}

#[test]
fn kustomization_missing_entry_and_missing_images_key_follow_the_files_style() {
    let tags = [("ghcr.io/org/app", "1.2.3")];
    let cases = [
        // compact sequence: the new element is compact too
        (
            "images:\n- name: other\n  newTag: x\n",
            "images:\n- name: other\n  newTag: x\n- name: ghcr.io/org/app\n  newTag: 1.2.3\n",
        ),
        // indented sequence
        (
            "images:\n  - name: other\n",
            "images:\n  - name: other\n  - name: ghcr.io/org/app\n    newTag: 1.2.3\n",
        ),
        // no images key: appended at the end, indented like resources
        (
            "resources:\n  - a.yaml\n# trailing comment\n",
            "resources:\n  - a.yaml\nimages:\n  - name: ghcr.io/org/app\n    newTag: 1.2.3\n# trailing comment\n",
        ),
        // no trailing newline, CRLF
        (
            "kind: Kustomization\r\nnamespace: é-ü",
            "kind: Kustomization\r\nnamespace: é-ü\r\nimages:\r\n- name: ghcr.io/org/app\r\n  newTag: 1.2.3\r\n",
        ),
        // flow sequence of flow maps
        (
            "images: [{name: other}]\n",
            "images: [{name: other}, {name: ghcr.io/org/app, newTag: 1.2.3}]\n",
        ),
    ];
    for (before, after) in cases {
        let run = Run::new(
            &[
                (
                    "apps/a.yaml",
                    &kust_app(&[("image-list", "ghcr.io/org/app")]),
                ),
                ("k/kustomization.yaml", before),
            ],
            &tags,
        );
        assert_eq!(run.new_text("k/kustomization.yaml"), after, "{before:?}");
        run.assert_idempotent(&tags);
    }
}

#[test]
fn kustomization_new_name_equal_to_the_name_is_not_added() {
    let tags = [("nginx", "1.27.4-alpine")];
    let text = "images:\n  - name: nginx\n    newTag: 1.27.3-alpine\n";
    let run = Run::new(
        &[
            (
                "apps/a.yaml",
                &kust_app(&[
                    ("image-list", "web=nginx"),
                    ("web.kustomize.image-name", "nginx"),
                ]),
            ),
            ("k/kustomization.yaml", text),
        ],
        &tags,
    );
    assert_eq!(
        run.new_text("k/kustomization.yaml"),
        text.replace("1.27.3", "1.27.4")
    );
    run.assert_idempotent(&tags);
}

#[test]
fn kustomization_file_names_are_tried_in_order_and_a_missing_one_is_skipped() {
    let tags = [("nginx", "1.27.4")];
    let run = Run::new(
        &[
            ("apps/a.yaml", &kust_app(&[("image-list", "nginx")])),
            (
                "k/Kustomization",
                "images:\n- name: nginx\n  newTag: 1.0.0\n",
            ),
        ],
        &tags,
    );
    assert_eq!(run.paths(), ["k/Kustomization"]);
    let run = Run::new(
        &[("apps/a.yaml", &kust_app(&[("image-list", "nginx")]))],
        &tags,
    );
    assert_eq!(run.reasons(), ["could not find kustomization in k"]);
}

#[test]
fn kustomization_target_dirs_are_relative_to_the_source_path_or_the_root() {
    let tags = [("nginx", "1.27.4")];
    for (target, file) in [
        ("kustomization:../base", "base/kustomization.yaml"),
        ("kustomization:/base", "base/kustomization.yaml"),
        ("kustomization:.", "k/kustomization.yaml"),
    ] {
        let a = app(
            "web",
            "argocd",
            &[
                ("image-list", "nginx"),
                ("write-back-method", "git"),
                ("write-back-target", target),
            ],
            "k",
            "",
        );
        let run = Run::new(
            &[
                ("apps/a.yaml", &a),
                ("base/kustomization.yaml", KUST),
                ("k/kustomization.yaml", KUST),
            ],
            &tags,
        );
        assert_eq!(run.paths(), [file], "{target}");
    }
}

#[test]
fn kustomization_key_the_updater_would_drop_is_skipped() {
    let text = "images:\n- name: nginx\n  newTag: 1.25.0\n  digest: sha256:0123\n";
    let run = Run::new(
        &[
            ("apps/a.yaml", &kust_app(&[("image-list", "nginx")])),
            ("k/kustomization.yaml", text),
        ],
        &[("nginx", "1.27.4")],
    );
    assert!(run.files.is_empty());
    assert!(
        run.reasons()[0].contains("has digest: sha256:0123")
            && run.reasons()[0].contains("would drop it"),
        "{:?}",
        run.reasons()
    );
}

#[test]
fn kustomization_with_several_documents_is_skipped() {
    let run = Run::new(
        &[
            ("apps/a.yaml", &kust_app(&[("image-list", "nginx")])),
            ("k/kustomization.yaml", "images: []\n---\nkind: Other\n"),
        ],
        &[("nginx", "1.27.4")],
    );
    assert!(run.files.is_empty());
    assert!(
        run.reasons()[0].contains("2 YAML documents"),
        "{:?}",
        run.reasons()
    );
}

#[test]
fn k5_k6_k7_image_strings_become_kustomize_images() {
    let k = |s: &str| kimage(s).unwrap();
    let img =
        |name: &str, new_name: Option<&str>, tag: Option<&str>, digest: Option<&str>| KImage {
            name: name.into(),
            new_name: new_name.map(Into::into),
            new_tag: tag.map(Into::into),
            digest: digest.map(Into::into),
        };
    assert_eq!(
        k("ghcr.io:1234/foo/foo:123"),
        img("ghcr.io:1234/foo/foo", None, Some("123"), None)
    );
    assert_eq!(
        k("ghcr.io:1234/foo/foo=ghcr.io:1234/bar"),
        img("ghcr.io:1234/foo/foo", Some("ghcr.io:1234/bar"), None, None)
    );
    let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_eq!(
        k(&format!("foo=acme/app@{d}")),
        img("foo", Some("acme/app"), None, Some(d))
    );
    assert_eq!(
        k(&format!("app:1.2@{d}")),
        img("app", None, Some("1.2"), Some(d))
    );
}

#[test]
fn k1_to_k4_argocd_match_by_the_part_before_the_delimiter() {
    for (a, b) in [
        ("foo=1", "bar=1"),
        ("foo:1", "bar=1"),
        ("foobar:2", "foo:2"),
    ] {
        assert!(!argocd_match(a, b), "{a} {b}");
    }
    for (a, b) in [
        ("foo=1", "foo=2"),
        ("foo:1", "foo:2"),
        ("foo@1", "foo@2"),
        ("nginx", "nginx"),
    ] {
        assert!(argocd_match(a, b), "{a} {b}");
    }
    let list = [
        "a/b:1.0",
        "a/b@sha256:aabb",
        "a/b:latest@sha256:aabb",
        "x/y=busybox",
        "x/y=foo.bar/a/c:0.23",
    ];
    for found in ["a/b", "a/b:2", "x/y=foo.bar"] {
        assert!(list.iter().any(|e| argocd_match(e, found)), "{found}");
    }
    for missing in ["x", "x/y"] {
        assert!(!list.iter().any(|e| argocd_match(e, missing)), "{missing}");
    }
}

#[test]
fn k8_image_list_applied_to_an_empty_kustomization() {
    // The Application's own list goes through MergeImage, then into
    // the kustomization; the update (bar) triggers the write.
    let source = "kustomize:\n  images:\n  - foo\n  - foo=bar\n  - baz@sha12345\n  - foo=bar:123";
    let a = app(
        "web",
        "argocd",
        &[
            ("image-list", "bar"),
            ("write-back-method", "git"),
            ("write-back-target", "kustomization"),
        ],
        "k",
        source,
    );
    let tags = [("bar", "123")];
    let run = Run::new(
        &[
            ("apps/a.yaml", &a),
            ("k/kustomization.yaml", "kind: Kustomization\n"),
        ],
        &tags,
    );
    assert_eq!(
        run.new_text("k/kustomization.yaml"),
        "kind: Kustomization\nimages:\n- name: foo\n  newName: bar\n  newTag: \"123\"\n- name: baz\n  digest: sha12345\n- name: bar\n  newTag: \"123\"\n"
    );
    run.assert_idempotent(&tags);
}

// -- helmvalues target ---------------------------------------------------

fn values_app(annotations: &[(&str, &str)], target: &str) -> String {
    let mut a = vec![("write-back-method", "git"), ("write-back-target", target)];
    a.extend_from_slice(annotations);
    app("web", "argocd", &a, "chart", "helm: {}")
}

fn values_run(annotations: &[(&str, &str)], values: Option<&str>, tags: &[(&str, &str)]) -> Run {
    let a = values_app(annotations, "helmvalues");
    let mut files = vec![("apps/a.yaml", a.as_str()), ("chart/Chart.yaml", CHART)];
    if let Some(v) = values {
        files.push(("chart/values.yaml", v));
    }
    Run::new(&files, tags)
}

#[test]
fn w7_literal_root_keys_are_updated_in_place() {
    let tags = [("nginx", "1.27.4")];
    let text =
        "image.name: nginx\nimage.tag: 1.25.0 # current\nimage:\n  tag: untouched\nother: x\n";
    let run = values_run(&[("image-list", "nginx")], Some(text), &tags);
    assert_eq!(
        run.new_text("chart/values.yaml"),
        text.replace("1.25.0", "1.27.4")
    );
    run.assert_idempotent(&tags);
}

#[test]
fn w8_missing_keys_are_created_nested_tag_first() {
    let tags = [("nginx", "1.20")];
    let annotations = [
        ("image-list", "nginx=nginx"),
        ("nginx.helm.image-name", "nginx.image.name"),
        ("nginx.helm.image-tag", "nginx.image.tag"),
    ];
    let run = values_run(&annotations, Some("test-value1: one\n"), &tags);
    assert_eq!(
        run.new_text("chart/values.yaml"),
        "test-value1: one\nnginx:\n  image:\n    tag: \"1.20\"\n    name: nginx\n"
    );
    run.assert_idempotent(&tags);
}

#[test]
fn w9_missing_or_blank_values_file_is_created_with_the_header() {
    let tags = [("nginx", "1.27.4")];
    let want = format!("{VALUES_HEADER}\n\nimage:\n  tag: 1.27.4\n  name: nginx\n");
    let run = values_run(&[("image-list", "nginx")], None, &tags);
    let f = run.file("chart/values.yaml");
    assert_eq!(
        (&f.base, f.new_text.clone()),
        (&Base::Created, want.clone())
    );
    run.assert_idempotent(&tags);
    let run = values_run(&[("image-list", "nginx")], Some("  \n\n"), &tags);
    assert_eq!(run.new_text("chart/values.yaml"), want);
}

#[test]
fn w10_indexed_keys_reach_sequence_elements() {
    let tags = [("nginx", "1.27.4")];
    let annotations = [
        ("image-list", "web=nginx"),
        ("web.helm.image-name", "images[0].attributes.name"),
        ("web.helm.image-tag", "images[0].attributes.tag"),
    ];
    let text =
        "images:\n- attributes:\n    name: nginx\n    tag: 1.25.0\n- attributes:\n    tag: other\n";
    let run = values_run(&annotations, Some(text), &tags);
    assert_eq!(
        run.new_text("chart/values.yaml"),
        text.replace("1.25.0", "1.27.4")
    );
    run.assert_idempotent(&tags);
}

#[test]
fn w11_bad_indices_are_skipped_with_argos_message() {
    let text = "images:\n- tag: 1.25.0\nscalar: x\n";
    for (key, want) in [
        ("images[-1].tag", "id -1 is out of range [0, 1)"),
        ("images[5].tag", "id 5 is out of range [0, 1)"),
        ("images[x].tag", "is not an integer"),
        ("scalar[0].tag", "not a list"),
        ("images.tag", "is a list; name an index"),
        (
            "missing[0].tag",
            "an index (missing[0].tag) needs an existing list",
        ),
    ] {
        let annotations = [("image-list", "web=nginx"), ("web.helm.image-tag", key)];
        let run = values_run(&annotations, Some(text), &[("nginx", "1.27.4")]);
        assert!(run.files.is_empty(), "{key}");
        assert!(
            run.reasons()[0].contains(want),
            "{key}: {:?}",
            run.reasons()
        );
    }
}

#[test]
fn w12_only_the_updated_images_keys_move() {
    let tags = [("ghcr.io/org/api", "2.0.1")];
    let annotations = [
        (
            "image-list",
            "api=ghcr.io/org/api,worker=ghcr.io/org/worker",
        ),
        ("api.helm.image-name", "api.repository"),
        ("api.helm.image-tag", "api.tag"),
        ("worker.helm.image-name", "worker.repository"),
        ("worker.helm.image-tag", "worker.tag"),
    ];
    let text = "api:\n  repository: org/api\n  tag: 2.0.0\nworker:\n  repository: org/worker\n  tag: 1.0.0\n";
    let run = values_run(&annotations, Some(text), &tags);
    // The file holds the short form of the name: it stays.
    assert_eq!(
        run.new_text("chart/values.yaml"),
        text.replace("2.0.0", "2.0.1")
    );
    run.assert_idempotent(&tags);
}

#[test]
fn values_edits_keep_crlf_bom_quotes_comments_and_non_ascii() {
    let tags = [("nginx", "1.10")];
    let text = "\u{feff}# Wërte für die Anwendung\r\nimage:\r\n  tag: '1.9' # gepinnt\r\n  pullPolicy: IfNotPresent\r\nname: \"é\"\r\n";
    let run = values_run(&[("image-list", "nginx")], Some(text), &tags);
    assert_eq!(
        run.new_text("chart/values.yaml"),
        "\u{feff}# Wërte für die Anwendung\r\nimage:\r\n  tag: '1.10' # gepinnt\r\n  pullPolicy: IfNotPresent\r\n  name: nginx\r\nname: \"é\"\r\n"
    );
    run.assert_idempotent(&tags);
}

#[test]
fn a_plain_value_that_reads_as_a_number_is_quoted() {
    let tags = [("nginx", "1.10")];
    let text = "image:\n  name: nginx\n  tag: 1.9.0\n";
    let run = values_run(&[("image-list", "nginx")], Some(text), &tags);
    assert_eq!(
        run.new_text("chart/values.yaml"),
        "image:\n  name: nginx\n  tag: \"1.10\"\n"
    );
}

#[test]
fn helm_values_file_paths_follow_the_target() {
    let tags = [("nginx", "1.27.4")];
    for (target, file) in [
        ("helmvalues:values-prod.yaml", "chart/values-prod.yaml"),
        ("helmvalues:../env/prod.yaml", "env/prod.yaml"),
        ("helmvalues:/env/prod.yaml", "env/prod.yaml"),
        ("env/prod.yaml", "env/prod.yaml"),
    ] {
        let a = values_app(&[("image-list", "nginx")], target);
        let run = Run::new(
            &[
                ("apps/a.yaml", &a),
                ("chart/Chart.yaml", CHART),
                ("chart/values-prod.yaml", "image:\n  tag: 1.0.0\n"),
                ("env/prod.yaml", "image:\n  tag: 1.0.0\n"),
            ],
            &tags,
        );
        assert_eq!(run.paths(), [file], "{target}: {:?}", run.reasons());
    }
}

#[test]
fn an_alias_value_is_skipped_and_a_shared_anchor_is_not_edited() {
    let tags = [("nginx", "1.27.4")];
    let alias = "defaults:\n  tag: &t 1.25.0\nimage:\n  tag: *t\n";
    let run = values_run(&[("image-list", "nginx")], Some(alias), &tags);
    assert!(run.files.is_empty());
    assert!(
        run.reasons()[0].contains("is an alias (*t)"),
        "{:?}",
        run.reasons()
    );
    let anchor = "image:\n  tag: &t 1.25.0\nsidecar:\n  tag: *t\n";
    let run = values_run(&[("image-list", "nginx")], Some(anchor), &tags);
    assert!(run.files.is_empty());
    assert!(
        run.reasons()[0].contains("shared through the anchor &t"),
        "{:?}",
        run.reasons()
    );
}

#[test]
fn two_apps_writing_one_values_file_share_one_change() {
    let tags = [("nginx", "1.27.4"), ("redis", "7.4.1")];
    let mk = |name: &str, image: &str, key: &str| {
        app(
            name,
            "argocd",
            &[
                ("image-list", &format!("x={image}")),
                ("x.helm.image-tag", key),
                ("x.helm.image-name", &format!("{key}-name")),
                ("write-back-method", "git"),
                ("write-back-target", "helmvalues:/shared/values.yaml"),
            ],
            "chart",
            "helm: {}",
        )
    };
    let run = Run::new(
        &[
            ("apps/a.yaml", &mk("a", "nginx", "web")),
            ("apps/b.yaml", &mk("b", "redis", "cache")),
            ("shared/values.yaml", "web: 1.25.0\n"),
        ],
        &tags,
    );
    assert_eq!(run.files.len(), 1);
    assert_eq!(
        run.new_text("shared/values.yaml"),
        "web: 1.27.4\nweb-name: nginx\ncache: 7.4.1\ncache-name: redis\n"
    );
    assert_eq!(run.file("shared/values.yaml").changes.len(), 2);
    run.assert_idempotent(&tags);
}

/// Every parser fixture as a values file, a kustomization and an
/// override file: never a panic, every change passes the check (in
/// `plan_tags`), and a second run changes nothing.
#[test]
fn parser_fixtures_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/yaml");
    let tags = [("nginx", "1.27.4")];
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let keys: [&[(&str, &str)]; 3] = [
            &[
                (
                    "web.helm.image-tag",
                    "spec.template.spec.containers[0].image",
                ),
                ("web.helm.image-name", "metadata.name"),
            ],
            &[
                ("web.helm.image-tag", "a.b[0].c"),
                ("web.helm.image-name", "x"),
            ],
            &[],
        ];
        for (target, file) in [
            ("helmvalues", "k/values.yaml"),
            ("kustomization", "k/kustomization.yaml"),
            ("", "k/.argocd-source-web.yaml"),
        ] {
            for extra in keys {
                let mut a = vec![("image-list", "web=nginx"), ("write-back-method", "git")];
                if !target.is_empty() {
                    a.push(("write-back-target", target));
                }
                a.extend_from_slice(extra);
                let files = [
                    (
                        "apps/a.yaml",
                        app("web", "argocd", &a, "k", "helm: {}").as_str(),
                    ),
                    (file, text.as_str()),
                ]
                .map(|(p, t)| (p, t.to_owned()));
                let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
                let run = Run::new(&refs, &tags);
                run.assert_idempotent(&tags);
            }
        }
    }
}

/// `pkg/argocd/update.go`, `marshalParamsOverride` (helmvalues branch) with
/// `ExtractShortForm` (`registry-scanner/pkg/image/image.go`): a name with
/// a registry prefix is written short when the file's value has none,
/// whatever image the file named; a file value with a registry, or a
/// missing key, gets the full name.
#[test]
fn helmvalues_name_keeps_the_short_form_as_extract_short_form_does() {
    for (image, file_name, tag, want) in [
        (
            "docker.io/library/nginx",
            "library/nginx",
            "1.27.4",
            "nginx",
        ),
        ("ghcr.io/org/side", "org/side", "2.0.0", "org/side"),
        ("ghcr.io/org/side", "side", "2.0.0", "org/side"),
        (
            "ghcr.io/org/side",
            "quay.io/org/side",
            "2.0.0",
            "ghcr.io/org/side",
        ),
        // No dot before the first `/`: not a registry prefix to Argo.
        (
            "localhost:5000/org/side",
            "org/side",
            "2.0.0",
            "localhost:5000/org/side",
        ),
    ] {
        let annotations = [("image-list", format!("web={image}"))];
        let annotations: Vec<(&str, &str)> =
            annotations.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let repository = image.replace("/library/", "/");
        let tags = [(repository.as_str(), tag)];
        let text = format!("image:\n  name: {file_name}\n  tag: 0.0.1\n");
        let run = values_run(&annotations, Some(&text), &tags);
        assert_eq!(
            run.new_text("chart/values.yaml"),
            format!("image:\n  name: {want}\n  tag: {tag}\n"),
            "{image} over {file_name}"
        );
        run.assert_idempotent(&tags);
    }
}

/// Same rule for an image-spec key (`marshalParamsOverride`, `update.go`):
/// the whole reference is shortened.
#[test]
fn helmvalues_image_spec_keeps_the_short_form() {
    let tags = [("ghcr.io/org/side", "2.0.0")];
    let annotations = [
        ("image-list", "web=ghcr.io/org/side"),
        ("web.helm.image-spec", "side.image"),
    ];
    let run = values_run(
        &annotations,
        Some("side:\n  image: org/side:1.0.0\n"),
        &tags,
    );
    assert_eq!(
        run.new_text("chart/values.yaml"),
        "side:\n  image: org/side:2.0.0\n"
    );
    // A new key gets the full reference.
    let run = values_run(&annotations, Some("other: 1\n"), &tags);
    assert!(
        run.new_text("chart/values.yaml")
            .contains("image: ghcr.io/org/side:2.0.0"),
        "{}",
        run.new_text("chart/values.yaml")
    );
}

/// `getApplicationSource` (`pkg/argocd/argocd.go`, v1.3.0+): an Application
/// rendered by the source hydrator is written back to its dry source, not
/// to the hydrated branch its `syncSource` names; its type comes from the
/// dry folder (no `helm:`/`kustomize:` in a drySource).
#[test]
fn source_hydrator_apps_are_written_back_to_the_dry_source_path() {
    let tags = [("ghcr.io/org/web", "1.4.0")];
    let hydrated = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\n  annotations:\n    {PREFIX}image-list: ghcr.io/org/web:1.x\n    {PREFIX}write-back-method: git\nspec:\n  project: default\n  sourceHydrator:\n    drySource:\n      repoURL: https://git.example.com/gitops.git\n      targetRevision: main\n      path: dry/web\n    syncSource:\n      targetBranch: env/prod\n      path: hydrated/web\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n"
    );
    let run = Run::new(
        &[
            ("apps/web.yaml", &hydrated),
            ("dry/web/kustomization.yaml", KUST),
            ("dry/web/deploy.yaml", "kind: Deployment\n"),
            ("hydrated/web/manifest.yaml", "kind: Deployment\n"),
        ],
        &tags,
    );
    assert_eq!(run.paths(), ["dry/web/.argocd-source-web.yaml"]);
    assert_eq!(
        run.new_text("dry/web/.argocd-source-web.yaml"),
        "kustomize:\n  images:\n  - ghcr.io/org/web:1.4.0\n"
    );
    run.assert_idempotent(&tags);
}

/// `marshalParamsOverride` with plugin targets and `SetPluginImage`
/// (`pkg/argocd/update.go`, `pkg/argocd/argocd.go`, v1.3.0+): a Plugin app
/// whose image has `manifestTargets.plugin` gets `plugin.env` entries in
/// its `.argocd-source-<app>.yaml`, merged by name, never Helm parameters;
/// the same app without plugin targets is written as Helm.
#[test]
fn plugin_targets_write_plugin_env_entries_not_helm_parameters() {
    let cr = |targets: &str| {
        format!(
            "apiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\nmetadata:\n  name: u\n  namespace: argocd\nspec:\n  writeBackConfig:\n    method: git\n  applicationRefs:\n    - namePattern: model\n      images:\n        - alias: model\n          imageName: ghcr.io/org/model:~2.1\n{targets}"
        )
    };
    let plugin_app = app(
        "model",
        "argocd",
        &[],
        "cmp/model",
        "plugin:\n  name: envsubst\n  env:\n  - name: MODEL_TAG\n    value: 2.1.0",
    );
    let tags = [("ghcr.io/org/model", "2.1.3")];
    let existing = "plugin:\n  env:\n  - name: OTHER\n    value: kept\n  - name: MODEL_TAG\n    value: 2.1.0\n";
    let targets =
        "          manifestTargets:\n            plugin: {name: MODEL_IMAGE, tag: MODEL_TAG}\n";
    let run = Run::new(
        &[
            ("apps/model.yaml", &plugin_app),
            ("iu/u.yaml", &cr(targets)),
            ("cmp/model/.argocd-source-model.yaml", existing),
        ],
        &tags,
    );
    assert_eq!(
        run.new_text("cmp/model/.argocd-source-model.yaml"),
        "plugin:\n  env:\n  - name: OTHER\n    value: kept\n  - name: MODEL_TAG\n    value: 2.1.3\n  - name: MODEL_IMAGE\n    value: ghcr.io/org/model\n"
    );
    run.assert_idempotent(&tags);

    // A spec target holds the whole reference.
    let targets = "          manifestTargets:\n            plugin: {spec: MODEL_REF}\n";
    let run = Run::new(
        &[
            ("apps/model.yaml", &plugin_app),
            ("iu/u.yaml", &cr(targets)),
            ("cmp/model/manifest.yaml", "kind: ConfigMap\n"),
        ],
        &tags,
    );
    assert_eq!(
        run.new_text("cmp/model/.argocd-source-model.yaml"),
        "plugin:\n  env:\n  - name: MODEL_REF\n    value: ghcr.io/org/model:2.1.3\n"
    );

    // No plugin target: Helm parameters, as v1.3 writes a Plugin app.
    let run = Run::new(
        &[
            ("apps/model.yaml", &plugin_app),
            ("iu/u.yaml", &cr("")),
            ("cmp/model/manifest.yaml", "kind: ConfigMap\n"),
        ],
        &tags,
    );
    let text = run.new_text("cmp/model/.argocd-source-model.yaml");
    assert!(text.starts_with("helm:\n  parameters:\n"), "{text}");
}

const DIGEST_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const DIGEST_B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// The shape real repositories showed: a Kustomize app whose
/// `.argocd-source-<app>.yaml` pins `nginx:latest@sha256:…` and a second
/// image that moves. `UpdateApplication` (`pkg/argocd/update.go`) writes an
/// image it leaves alone with its live tag, digest included; the digest
/// strategy's new value moves the digest (`GetTagWithDigest`,
/// `registry-scanner/pkg/image/image.go`); a new tag without a digest is
/// refused rather than dropping the pin (`mergeKustomizeOverride` would
/// replace the whole value, `ImageTag.Equals` in
/// `registry-scanner/pkg/tag/tag.go` comparing digests first).
#[test]
fn argocd_source_digest_is_kept_or_moved_never_dropped() {
    let git = [
        ("image-list", "web=nginx:latest,api=ghcr.io/org/api:1.x"),
        ("web.update-strategy", "digest"),
        ("write-back-method", "git"),
    ];
    let file =
        format!("kustomize:\n  images:\n  - nginx:latest@{DIGEST_A}\n  - ghcr.io/org/api:1.0.0\n");
    let files = |file: &str| {
        vec![
            (
                "apps/web.yaml".to_owned(),
                app("web", "argocd", &git, "k/web", ""),
            ),
            ("k/web/kustomization.yaml".to_owned(), KUST.to_owned()),
            ("k/web/.argocd-source-web.yaml".to_owned(), file.to_owned()),
        ]
    };
    let run = |file: &str, tags: &[(&str, &str)]| {
        let v = files(file);
        let refs: Vec<(&str, &str)> = v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        Run::new(&refs, tags)
    };
    // Keeps: nginx's tag does not move, api's does.
    let same = format!("latest@{DIGEST_A}");
    let tags = [("nginx", same.as_str()), ("ghcr.io/org/api", "1.0.1")];
    let r = run(&file, &tags);
    assert_eq!(
        r.new_text("k/web/.argocd-source-web.yaml"),
        file.replace("api:1.0.0", "api:1.0.1")
    );
    r.assert_idempotent(&tags);
    // Keeps, too, when the new value names the tag alone (`--set nginx=latest`).
    let tags = [("nginx", "latest"), ("ghcr.io/org/api", "1.0.1")];
    let r = run(&file, &tags);
    assert!(
        r.new_text("k/web/.argocd-source-web.yaml")
            .contains(&format!("- nginx:latest@{DIGEST_A}\n")),
        "{}",
        r.new_text("k/web/.argocd-source-web.yaml")
    );
    // Moves.
    let moved = format!("latest@{DIGEST_B}");
    let tags = [("nginx", moved.as_str())];
    let r = run(&file, &tags);
    assert_eq!(
        r.new_text("k/web/.argocd-source-web.yaml"),
        file.replace(DIGEST_A, DIGEST_B)
    );
    r.assert_idempotent(&tags);
    // Another tag without a digest: refused, with the reason.
    let tags = [("nginx", "1.27.4")];
    let r = run(&file, &tags);
    assert!(r.files.is_empty(), "{:?}", r.paths());
    assert!(
        r.reasons()[0].contains("pins nginx:latest@sha256:")
            && r.reasons()[0].contains("without a digest"),
        "{:?}",
        r.reasons()
    );
}

/// The same rule for a Helm app's parameter (`GetTagWithDigest` writes
/// `tag@digest` into the tag parameter, `SetHelmImage`,
/// `pkg/argocd/argocd.go`).
#[test]
fn argocd_source_helm_parameter_digest_is_kept_or_moved() {
    let git = [("image-list", "nginx"), ("write-back-method", "git")];
    let file = format!(
        "helm:\n  parameters:\n  - name: image.name\n    value: nginx\n    forcestring: true\n  - name: image.tag\n    value: 1.25.0@{DIGEST_A}\n    forcestring: true\n"
    );
    let a = app("web", "argocd", &git, "chart", "helm: {}");
    let files = [
        ("apps/web.yaml", a.as_str()),
        ("chart/Chart.yaml", CHART),
        ("chart/.argocd-source-web.yaml", file.as_str()),
    ];
    let moved = format!("1.25.1@{DIGEST_B}");
    let r = Run::new(&files, &[("nginx", moved.as_str())]);
    assert_eq!(
        r.new_text("chart/.argocd-source-web.yaml"),
        file.replace(&format!("1.25.0@{DIGEST_A}"), &moved)
    );
    let r = Run::new(&files, &[("nginx", "1.25.1")]);
    assert!(r.files.is_empty());
    assert!(
        r.reasons()[0].contains("(image.tag) pins 1.25.0@"),
        "{:?}",
        r.reasons()
    );
}

/// An ApplicationSet template's images are previewed, but nothing is
/// written back: the generated Applications are the updater's to write
/// (each gets its own `.argocd-source-<app>.yaml`), and which exist is the
/// generator's answer, not the repository's.
#[test]
fn applicationset_template_images_are_skipped_with_the_reason() {
    let appset = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: previews\n  namespace: argocd\nspec:\n  generators:\n  - list:\n      elements: [{{name: a}}]\n  template:\n    metadata:\n      name: 'preview-{{{{name}}}}'\n      annotations:\n        {PREFIX}image-list: proxy=nginx:~1.27\n        {PREFIX}write-back-method: git\n    spec:\n      source:\n        path: 'previews/{{{{name}}}}'\n"
    );
    let run = Run::new(&[("apps/previews.yaml", &appset)], &[("nginx", "1.27.4")]);
    assert!(run.files.is_empty());
    assert!(
        run.reasons()[0].starts_with("preview-{{name}} is an ApplicationSet template"),
        "{:?}",
        run.reasons()
    );
}
