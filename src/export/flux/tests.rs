#![allow(clippy::disallowed_methods)] // fixtures on disk
use super::*;
use crate::diagnostic::{Diagnostic, Severity};
use crate::discover;
use crate::discover::Workspace;
use crate::export::{Request, emit};
use crate::model::Model;
use crate::model::read::flux::read;
use crate::model::spec::*;
use crate::testutil::repo;
use crate::yaml::Span;

fn load(dir: &std::path::Path) -> (Workspace, Model) {
    let ws = discover::load(dir, &[], &discover::Options::default());
    let model = Model::build(&ws);
    (ws, model)
}

fn read_dir(dir: &std::path::Path) -> Vec<Updater> {
    let (ws, model) = load(dir);
    read(&ws, &model)
}

fn errors(dir: &std::path::Path) -> Vec<Diagnostic> {
    let (_, diags) = crate::validate(dir, &[], &discover::Options::default());
    diags
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

fn find<'a>(us: &'a [Updater], name: &str) -> &'a Updater {
    us.iter()
        .find(|u| u.name == name)
        .unwrap_or_else(|| panic!("no updater {name}: {us:#?}"))
}

fn img<'a>(u: &'a Updater, alias: &str) -> &'a Image {
    u.images
        .iter()
        .find(|i| i.alias.as_ref().is_some_and(|a| a.value == alias))
        .unwrap_or_else(|| panic!("no image {alias} in {}", u.name))
}

fn v(f: &Option<Field<String>>) -> Option<&str> {
    f.as_ref().map(|f| f.value.as_str())
}

fn has(remarks: &[Remark], kind: RemarkKind, field: &str, text: &str) -> bool {
    remarks
        .iter()
        .any(|r| r.kind == kind && r.field == field && r.message.contains(text))
}

const GIT_REPO: &str = "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m0s
  url: ssh://git@example.com/org/fleet
  ref:
    branch: main
";

const IMAGES: &str = r#"apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: web
  namespace: flux-system
spec:
  image: registry.example.com/team/web
  interval: 5m
  secretRef:
    name: regcred
  provider: aws
  timeout: 2m
  exclusionList:
    - '^.*\.sig$'
    - '^pr-'
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: web
  namespace: flux-system
  labels:
    team: web
spec:
  imageRepositoryRef:
    name: web
  policy:
    semver:
      range: '>=1.0.0 <2.0.0'
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: api
  namespace: flux-system
spec:
  image: registry.example.com/team/api
  interval: 90s
  exclusionList:
    - '^.*\.sig$'
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: api
  namespace: flux-system
  labels:
    team: api
spec:
  imageRepositoryRef:
    name: api
  filterTags:
    pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$'
    extract: '$ts'
  policy:
    numerical:
      order: asc
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: worker
  namespace: flux-system
spec:
  image: docker.io/library/busybox
  interval: 1h
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: worker
  namespace: flux-system
  labels:
    team: api
spec:
  imageRepositoryRef:
    name: worker
  filterTags:
    pattern: '^stable$'
  policy:
    alphabetical:
      order: desc
  digestReflectionPolicy: Always
  interval: 1h
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: orphan
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: nowhere
  policy:
    semver:
      range: 1.x
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: tools
  namespace: tools
spec:
  image: ghcr.io/org/tools
  interval: 1.5h
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: tools
  namespace: tools
spec:
  imageRepositoryRef:
    name: tools
  policy:
    alphabetical: {}
"#;

const AUTOMATIONS: &str = r#"apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 30m
  sourceRef:
    kind: GitRepository
    name: flux-system
  git:
    checkout:
      ref:
        branch: main
    commit:
      author:
        name: bot
        email: bot@example.com
      messageTemplate: 'Update {{ .AutomationObject }}'
      signingKey:
        secretRef:
          name: signing
        type: ssh
    push:
      branch: image-updates
  update:
    path: ./apps
    strategy: Setters
"#;

const SELECTING: &str = r#"apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: api-team
  namespace: flux-system
spec:
  interval: 1h
  suspend: true
  policySelector:
    matchLabels:
      team: api
  sourceRef:
    kind: GitRepository
    name: flux-system
  git:
    checkout:
      ref:
        tag: v1.0.0
    commit:
      author:
        email: bot@example.com
      messageTemplateValues:
        env: prod
    push:
      branch: main
      refspec: refs/heads/main:refs/heads/auto
  update:
    path: ./apps/api
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: expressions
  namespace: flux-system
spec:
  interval: 1h
  policySelector:
    matchExpressions:
      - key: team
        operator: In
        values: [web]
  sourceRef:
    name: flux-system
  git:
    commit:
      author:
        email: bot@example.com
"#;

const WEB_VALUES: &str = r#"replicaCount: 2
image:
  repository: registry.example.com/team/web # {"$imagepolicy": "flux-system:web:name"}
  tag: 1.2.3 # {"$imagepolicy": "flux-system:web:tag"}
"#;

const WEB_OTHER_VALUES: &str = r#"web:
  image: registry.example.com/team/web:1.2.3 # {"$imagepolicy": "flux-system:web"}
"#;

const API_RELEASE: &str = r#"apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: api
  namespace: api
spec:
  interval: 30m
  chart:
    spec:
      chart: api
      sourceRef:
        kind: HelmRepository
        name: charts
  values:
    containers:
      - name: api
        image: registry.example.com/team/api:main-abc-1 # {"$imagepolicy": "flux-system:api"}
"#;

const API_CRON: &str = r#"apiVersion: batch/v1
kind: CronJob
metadata:
  name: api-cleanup
  namespace: api
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: cleanup
              image: registry.example.com/team/api:main-abc-1 # {"$imagepolicy": "flux-system:api"}
"#;

const WORKER_KUSTOMIZATION: &str = r#"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
images:
  - name: busybox
    newName: docker.io/library/busybox # {"$imagepolicy": "flux-system:worker:name"}
    newTag: stable # {"$imagepolicy": "flux-system:worker:tag"}
    digest: sha256:0e5da6ec77c93c6d7aaf0404e4e3d5dc5d137ff91d26f8ec5ed43bc1a82bf5bd # {"$imagepolicy": "flux-system:worker:digest"}
"#;

const WORKER_DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  template:
    spec:
      containers:
        - name: worker
          image: busybox
";

fn fixture() -> Vec<(&'static str, &'static str)> {
    vec![
        ("clusters/flux-system/gotk-sync.yaml", GIT_REPO),
        ("clusters/flux-system/images.yaml", IMAGES),
        ("clusters/flux-system/automation.yaml", AUTOMATIONS),
        ("clusters/flux-system/selecting.yaml", SELECTING),
        ("apps/web/values.yaml", WEB_VALUES),
        ("apps/web/values.yml", WEB_OTHER_VALUES),
        ("apps/api/helmrelease.yaml", API_RELEASE),
        ("apps/api/cronjob.yaml", API_CRON),
        ("apps/worker/kustomization.yaml", WORKER_KUSTOMIZATION),
        ("apps/worker/deployment.yaml", WORKER_DEPLOYMENT),
    ]
}

#[test]
fn reads_automations_policies_and_repositories() {
    let dir = repo(&fixture());
    let us = read_dir(dir.path());
    let names: Vec<&str> = us.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["apps", "api-team", "expressions", "tools"]);

    let apps = find(&us, "apps");
    assert_eq!(apps.namespace.as_deref(), Some("flux-system"));
    assert_eq!(apps.engine, Engine::Fluxcd);
    assert_eq!(
        apps.write.as_ref().map(|w| &w.value),
        Some(&WriteMethod::Git { credentials: None })
    );
    assert!(matches!(apps.from, Some((Dialect::Flux, _))));
    // The orphan policy is skipped, the tools one is in another namespace.
    let aliases: Vec<&str> = apps
        .images
        .iter()
        .map(|i| i.alias.as_ref().unwrap().value.as_str())
        .collect();
    assert_eq!(aliases, ["web", "api", "worker"]);

    let web = img(apps, "web");
    assert_eq!(web.name.value, "registry.example.com/team/web");
    assert_eq!(web.strategy.as_ref().unwrap().value, Strategy::Semver);
    assert_eq!(v(&web.constraint), Some(">=1.0.0 <2.0.0"));
    assert_eq!(v(&web.scan_interval), Some("5m"));
    assert_eq!(
        web.pull_secret.as_ref().unwrap().value,
        PullSecret::Secret {
            namespace: Some("flux-system".into()),
            name: "regcred".into()
        }
    );
    assert!(web.name.origin.is_some() && web.origin.is_some());

    let api = img(apps, "api");
    assert_eq!(
        api.strategy.as_ref().unwrap().value,
        Strategy::Numerical { desc: false }
    );
    assert_eq!(v(&api.tag_pattern), Some("^main-[a-f0-9]+-(?P<ts>[0-9]+)$"));
    assert_eq!(v(&api.extract), Some("$ts"));
    assert_eq!(api.pull_secret, None);

    let worker = img(apps, "worker");
    assert_eq!(
        worker.strategy.as_ref().unwrap().value,
        Strategy::Alphabetical { desc: true }
    );
    assert_eq!(v(&worker.reflect_digest), Some("Always"));

    let g = &apps.git;
    assert_eq!(
        g.source_ref.as_ref().unwrap().value,
        SourceRef {
            kind: "GitRepository".into(),
            name: "flux-system".into(),
            namespace: None
        }
    );
    assert_eq!(v(&g.checkout_branch), Some("main"));
    assert_eq!(v(&g.push_branch), Some("image-updates"));
    assert_eq!(v(&g.author_name), Some("bot"));
    assert_eq!(v(&g.author_email), Some("bot@example.com"));
    assert_eq!(
        g.signing_key.as_ref().unwrap().value,
        SigningKey {
            secret: "signing".into(),
            kind: Some("ssh".into())
        }
    );
    assert_eq!(
        v(&g.message_template),
        Some("Update {{ .AutomationObject }}")
    );
    assert_eq!(v(&g.path), Some("./apps"));
    assert_eq!(v(&g.interval), Some("30m"));
    assert_eq!(v(&g.automation), Some("apps"));

    // Policies no automation selects: one updater per namespace.
    let tools = find(&us, "tools");
    assert_eq!(tools.namespace.as_deref(), Some("tools"));
    assert_eq!(tools.write, None);
    assert_eq!(tools.git, Git::default());
    assert_eq!(
        img(tools, "tools").strategy.as_ref().unwrap().value,
        Strategy::Alphabetical { desc: false }
    );
}

#[test]
fn policy_selector() {
    let dir = repo(&fixture());
    let us = read_dir(dir.path());
    let api_team = find(&us, "api-team");
    let aliases: Vec<&str> = api_team
        .images
        .iter()
        .map(|i| i.alias.as_ref().unwrap().value.as_str())
        .collect();
    assert_eq!(aliases, ["api", "worker"]);
    // Expressions are not evaluated: everything in the namespace.
    let expr = find(&us, "expressions");
    assert_eq!(expr.images.len(), 3);
    assert!(has(
        &expr.dropped,
        RemarkKind::NoEquivalent,
        "spec.policySelector.matchExpressions",
        "not evaluated"
    ));
    let source = &expr.git.source_ref.as_ref().unwrap().value;
    assert_eq!(source.kind, "GitRepository");
}

#[test]
fn markers_become_helm_and_kustomize_targets() {
    let dir = repo(&fixture());
    let us = read_dir(dir.path());
    let apps = find(&us, "apps");

    let web = img(apps, "web");
    let h = web.helm.as_ref().expect("helm target");
    assert_eq!(v(&h.name), Some("image.repository"));
    assert_eq!(v(&h.tag), Some("image.tag"));
    assert_eq!(h.spec, None);
    // values.yml holds a full marker: a second shape, remarked.
    assert!(has(
        &apps.dropped,
        RemarkKind::NoEquivalent,
        "images[web].markers",
        "one write target"
    ));

    // HelmRelease values: keys relative to spec.values, with indices;
    // the CronJob's plain marker sets nothing.
    let api = img(apps, "api");
    let h = api.helm.as_ref().expect("helm target");
    assert_eq!(v(&h.spec), Some("containers[0].image"));
    assert_eq!((&h.name, &h.tag), (&None, &None));

    let worker = img(apps, "worker");
    assert_eq!(v(&worker.kustomize_name), Some("busybox"));
    assert_eq!(worker.helm, None);

    // Outside api-team's update.path (./apps/api), the kustomize
    // markers do not count.
    let team = find(&us, "api-team");
    assert_eq!(img(team, "worker").kustomize_name, None);
    assert!(img(team, "api").helm.is_some());
}

#[test]
fn remarks_for_every_unmapped_field() {
    let dir = repo(&fixture());
    let us = read_dir(dir.path());
    let all: Vec<&Remark> = us.iter().flat_map(|u| &u.dropped).collect();
    let count = |field: &str| all.iter().filter(|r| r.field == field).count();
    // Repository remarks once, though three automations hold web.
    assert_eq!(count("spec.exclusionList"), 1);
    assert_eq!(count("spec.provider"), 1);
    assert_eq!(count("spec.timeout"), 1);
    // worker's policy interval equals its scan interval: nothing lost.
    assert_eq!(count("spec.interval"), 0);
    assert_eq!(count("spec.imageRepositoryRef"), 1);
    let team = find(&us, "api-team");
    for field in [
        "spec.suspend",
        "spec.git.checkout.ref.tag",
        "spec.git.push.refspec",
        "spec.git.commit.messageTemplateValues",
    ] {
        assert!(
            team.dropped.iter().any(|r| r.field == field
                && r.kind == RemarkKind::NoEquivalent
                && r.origin.is_some()),
            "{field}: {:#?}",
            team.dropped
        );
    }
    let skipped = all
        .iter()
        .find(|r| r.kind == RemarkKind::Skipped)
        .expect("orphan skipped");
    assert!(skipped.message.contains("nowhere"), "{}", skipped.message);
    // Every remark points somewhere.
    assert!(all.iter().all(|r| r.origin.is_some()));

    let dir = repo(&[(
        "images.yaml",
        "apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: r, namespace: ns}
spec:
  image: ghcr.io/a/b
  interval: 1m
  certSecretRef: {name: ca}
  proxySecretRef: {name: proxy}
  serviceAccountName: puller
  insecure: true
  suspend: true
  accessFrom:
    namespaceSelectors:
      - matchLabels: {}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: p, namespace: ns}
spec:
  imageRepositoryRef: {name: r}
  suspend: true
  interval: 5m
  digestReflectionPolicy: Always
  policy:
    semver: {range: 1.x}
    numerical: {order: asc}
",
    )]);
    let us = read_dir(dir.path());
    let fields: Vec<&str> = us[0].dropped.iter().map(|r| r.field.as_str()).collect();
    for f in [
        "spec.certSecretRef",
        "spec.proxySecretRef",
        "spec.serviceAccountName",
        "spec.insecure",
        "spec.suspend",
        "spec.accessFrom",
        "spec.interval",
        "spec.policy.numerical",
    ] {
        assert!(fields.contains(&f), "{f}: {fields:?}");
    }
    assert_eq!(fields.iter().filter(|f| **f == "spec.suspend").count(), 2);
    assert_eq!(
        us[0].images[0].strategy.as_ref().unwrap().value,
        Strategy::Semver
    );
}

#[test]
fn duration_canonicalisation() {
    for (given, want) in [
        ("1m", Some("1m0s")),
        ("90s", Some("1m30s")),
        ("1h", Some("1h0m0s")),
        ("500ms", Some("500ms")),
        ("1.5h", Some("1h30m0s")),
        ("5m0s", Some("5m0s")),
        ("30s", Some("30s")),
        ("1h30m", Some("1h30m0s")),
        ("1d", None),
        ("", None),
        ("-1m", None),
        ("5", None),
        // Go accepts it, the CRD pattern rejects `µs`.
        ("1us", None),
    ] {
        assert_eq!(canonical_interval(given).as_deref(), want, "{given}");
    }
    let u = Updater {
        name: "u".into(),
        images: vec![Image {
            name: Field::made("ghcr.io/a/b".into()),
            constraint: Some(Field::made("1.x".into())),
            strategy: Some(Field::made(Strategy::Semver)),
            scan_interval: Some(Field::made("1d".into())),
            ..Default::default()
        }],
        write: Some(Field::made(WriteMethod::Git { credentials: None })),
        git: Git {
            interval: Some(Field::made("90s".into())),
            ..Default::default()
        },
        ..Default::default()
    };
    let w = write(&u, &WriteOptions::default());
    let repo = doc(&w, "ImageRepository", "b");
    assert_eq!(repo["spec"]["interval"], "1m0s");
    assert!(has(
        &w.remarks,
        RemarkKind::Normalized,
        "images[ghcr.io/a/b].scanInterval",
        "\"1d\""
    ));
    assert_eq!(
        doc(&w, "ImageUpdateAutomation", "u")["spec"]["interval"],
        "1m30s"
    );
}

#[test]
fn names_are_labels_and_unique() {
    for (raw, want) in [
        ("web", "web"),
        ("My_App.v2", "my-app-v2"),
        ("--x--", "x"),
        ("a//b", "a-b"),
        ("", "image"),
        ("___", "image"),
        ("Ünïcode", "n-code"),
    ] {
        assert_eq!(sanitize_name(raw), want, "{raw}");
    }
    let long = "a".repeat(80);
    assert_eq!(sanitize_name(&long).len(), 63);
    let mut taken = Vec::new();
    assert_eq!(unique_name("web", &mut taken), "web");
    assert_eq!(unique_name("web", &mut taken), "web-2");
    assert_eq!(unique_name("web", &mut taken), "web-3");
    let base = sanitize_name(&long);
    unique_name(&base, &mut taken);
    let second = unique_name(&base, &mut taken);
    assert_eq!(second.len(), 63);
    assert!(second.ends_with("-2"));

    let image = |alias: Option<&str>, name: &str| Image {
        alias: alias.map(|a| Field::made(a.to_owned())),
        name: Field::made(name.to_owned()),
        constraint: Some(Field::made("^1.0".into())),
        ..Default::default()
    };
    let u = Updater {
        name: "Team App".into(),
        namespace: Some("apps".into()),
        images: vec![
            image(Some("Web_UI"), "nginx"),
            image(None, "ghcr.io/org/web-ui"),
            image(None, "docker.io/library/nginx"),
        ],
        write: Some(Field::made(WriteMethod::Git { credentials: None })),
        ..Default::default()
    };
    let w = write(&u, &WriteOptions::default());
    let names: Vec<(&str, &str)> = w
        .documents
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap(),
                d["metadata"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("ImageRepository", "web-ui"),
            ("ImagePolicy", "web-ui"),
            ("ImageRepository", "web-ui-2"),
            ("ImagePolicy", "web-ui-2"),
            ("ImageRepository", "nginx"),
            ("ImagePolicy", "nginx"),
            ("ImageUpdateAutomation", "team-app"),
        ]
    );
    assert!(
        w.documents
            .iter()
            .all(|d| d["metadata"]["namespace"] == "apps")
    );
    assert!(has(
        &w.remarks,
        RemarkKind::Normalized,
        "images[Web_UI].alias",
        "web-ui"
    ));
    assert!(has(&w.remarks, RemarkKind::Normalized, "name", "team-app"));
    // Deterministic.
    assert_eq!(write(&u, &WriteOptions::default()).documents, w.documents);
}

fn doc<'a>(w: &'a Written, kind: &str, name: &str) -> &'a Value {
    w.documents
        .iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}: {:#?}", w.documents))
}

/// Writes documents next to `files` and runs validate on the result:
/// no error, or (with `baseline`, the repository the files come from)
/// exactly the errors the baseline has in those files.
fn validated(
    docs: &[Value],
    files: &[(&str, &str)],
    baseline: Option<&std::path::Path>,
) -> tempfile::TempDir {
    let found = |dir: &std::path::Path| {
        let (ws, diags) = crate::validate(dir, &[], &discover::Options::default());
        let mut out: Vec<(String, &str, usize)> = diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| (ws.files[d.file].path.clone(), d.rule.code, d.span.start))
            .filter(|(p, _, _)| files.iter().any(|(f, _)| f == p) || p.starts_with("flux/"))
            .collect();
        out.sort();
        out
    };
    let want = baseline.map(found).unwrap_or_default();
    let text = emit::yaml(docs);
    let mut all: Vec<(&str, &str)> = files.to_vec();
    all.push(("flux/exported.yaml", &text));
    let dir = repo(&all);
    assert_eq!(found(dir.path()), want, "{:#?}\n{text}", errors(dir.path()));
    dir
}

#[test]
fn argo_like_updater_writes_valid_objects_and_remarks() {
    let o = |start| {
        Some(Origin {
            file: crate::diagnostic::FileId(0),
            span: Span::new(start, start + 1),
        })
    };
    let image = |alias: &str, name: &str| Image {
        alias: Some(Field::new(alias.to_owned(), o(1))),
        name: Field::new(name.to_owned(), o(2)),
        origin: o(3),
        ..Default::default()
    };
    let u = Updater {
        name: "guestbook".into(),
        namespace: None,
        engine: Engine::Argocd,
        images: vec![
            Image {
                strategy: Some(Field::new(Strategy::Semver, o(4))),
                ignore_tags: Some(Field::new(vec!["*-rc".into()], o(5))),
                platforms: Some(Field::new(vec!["linux/amd64".into()], o(6))),
                force_update: Some(Field::new(true, o(7))),
                pull_secret: Some(Field::new(
                    PullSecret::Secret {
                        namespace: Some("argocd".into()),
                        name: "regcred".into(),
                    },
                    o(8),
                )),
                helm: Some(HelmTarget {
                    name: Some(Field::new("image.name".into(), o(9))),
                    tag: Some(Field::new("image.tag".into(), o(10))),
                    spec: None,
                }),
                ..image("web", "ghcr.io/org/web")
            },
            Image {
                strategy: Some(Field::made(Strategy::NewestBuild)),
                ..image("nb", "ghcr.io/org/nb")
            },
            Image {
                strategy: Some(Field::made(Strategy::Digest)),
                constraint: Some(Field::made("v1.2".into())),
                kustomize_name: Some(Field::made("digesty".into())),
                ..image("dg", "ghcr.io/org/dg")
            },
            Image {
                strategy: Some(Field::made(Strategy::Alphabetical { desc: false })),
                constraint: Some(Field::made("1.x".into())),
                pull_secret: Some(Field::made(PullSecret::Other("env:CREDS".into()))),
                tag_pattern: Some(Field::made("^v[0-9]+$".into())),
                ..image("al", "ghcr.io/org/al")
            },
            Image {
                constraint: Some(Field::made(">= 1.0 <<2".into())),
                ..image("bad", "ghcr.io/org/bad")
            },
            image("notag", "https://ghcr.io/org/x:1"),
        ],
        app: crate::model::spec::App {
            name: Some(Field::made("guestbook".into())),
            namespace: None,
        },
        write: Some(Field::made(WriteMethod::InCluster)),
        git: Git {
            repository: Some(Field::made("https://example.com/org/repo".into())),
            push_branch: Some(Field::made("image-updater-{{.SHA256}}".into())),
            target: Some(Field::made("kustomization".into())),
            message_template: Some(Field::made("{{ .AppName }} updated".into())),
            ..Default::default()
        },
        ..Default::default()
    };
    let w = write(&u, &WriteOptions::default());
    let r = &w.remarks;
    let no = RemarkKind::NoEquivalent;
    let norm = RemarkKind::Normalized;
    for (kind, field, text) in [
        (norm, "metadata.namespace", "flux-system"),
        (no, "images[web].ignoreTags", ""),
        (no, "images[web].platforms", ""),
        (no, "images[web].forceUpdate", ""),
        (no, "images[web].pullSecret", "another namespace"),
        (
            no,
            "images[web].helm",
            r#"# {"$imagepolicy": "flux-system:web:tag"}` after the value of key image.tag"#,
        ),
        (norm, "images[web].constraint", "'*'"),
        (no, "images[nb].strategy", "newest-build"),
        (norm, "images[dg].strategy", "Always"),
        (no, "images[dg].kustomize", "images entry named digesty"),
        (no, "images[al].constraint", "ignored"),
        (no, "images[al].pullSecret", "env:CREDS"),
        (
            RemarkKind::Skipped,
            "images[bad].constraint",
            "does not parse",
        ),
        (
            RemarkKind::Skipped,
            "images[notag].name",
            "not a repository",
        ),
        (norm, "images[web].scanInterval", "1m0s"),
        (no, "app", "guestbook"),
        (no, "write", "only writes to git"),
        (no, "git.repository", "https://example.com/org/repo"),
        (no, "git.target", "kustomization"),
        (no, "git.pushBranch", "template"),
        (no, "git.messageTemplate", ".AppName"),
        (norm, "git.sourceRef", "flux-system"),
        (norm, "git.checkoutBranch", "main"),
        (norm, "git.author.name", DEFAULT_AUTHOR),
        (norm, "git.author.email", DEFAULT_EMAIL),
        (norm, "git.path", "./"),
        (norm, "git.interval", "1m0s"),
    ] {
        assert!(has(r, kind, field, text), "{kind:?} {field} {text}: {r:#?}");
    }
    // Remarks point at the value when it was read from a file.
    assert!(
        r.iter()
            .any(|x| x.field == "images[web].platforms" && x.origin == o(6))
    );

    let web = doc(&w, "ImagePolicy", "web");
    assert_eq!(web["spec"]["policy"], json!({"semver": {"range": "*"}}));
    assert!(
        doc(&w, "ImageRepository", "web")["spec"]
            .get("secretRef")
            .is_none()
    );
    let dg = doc(&w, "ImagePolicy", "dg");
    assert_eq!(dg["spec"]["filterTags"], json!({"pattern": "^v1\\.2$"}));
    assert_eq!(
        dg["spec"]["policy"],
        json!({"alphabetical": {"order": "asc"}})
    );
    assert_eq!(dg["spec"]["digestReflectionPolicy"], "Always");
    assert_eq!(dg["spec"]["interval"], "1m0s");
    let al = doc(&w, "ImagePolicy", "al");
    assert_eq!(al["spec"]["filterTags"], json!({"pattern": "^v[0-9]+$"}));
    // Newest-build and the bad range keep their repository only.
    doc(&w, "ImageRepository", "nb");
    doc(&w, "ImageRepository", "bad");
    assert!(!w.documents.iter().any(|d| d["kind"] == "ImagePolicy"
        && (d["metadata"]["name"] == "nb" || d["metadata"]["name"] == "bad")));
    assert!(!w.documents.iter().any(|d| d["metadata"]["name"] == "notag"));
    let auto = doc(&w, "ImageUpdateAutomation", "guestbook");
    assert_eq!(
        auto["spec"],
        json!({
            "git": {
                "checkout": {"ref": {"branch": "main"}},
                "commit": {"author": {"name": DEFAULT_AUTHOR, "email": DEFAULT_EMAIL}},
            },
            "interval": "1m0s",
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
            "update": {"path": "./", "strategy": "Setters"},
        })
    );
    validated(
        &w.documents,
        &[
            ("clusters/gotk-sync.yaml", GIT_REPO),
            (
                "apps/deploy.yaml",
                "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/org/web:1.0.0 # {\"$imagepolicy\": \"flux-system:web\"}
",
            ),
        ],
        None,
    );
}

/// What the writer fills in or drops, applied to a spec read from
/// Flux, so that a round trip can be compared with `same_spec`.
fn as_written(u: &Updater) -> Updater {
    let mut u = u.clone();
    let canon = |f: &mut Option<Field<String>>| {
        if let Some(f) = f {
            f.value = canonical_interval(&f.value).unwrap_or_else(|| DEFAULT_INTERVAL.into());
        }
    };
    for i in &mut u.images {
        canon(&mut i.scan_interval);
        if i.scan_interval.is_none() {
            i.scan_interval = Some(Field::made(DEFAULT_INTERVAL.into()));
        }
        if i.alias.is_none() {
            let last = i.name.value.rsplit('/').next().unwrap_or_default();
            i.alias = Some(Field::made(sanitize_name(last)));
        }
        if i.strategy.is_none() {
            i.strategy = Some(Field::made(Strategy::Semver));
        }
        if let Some(Field {
            value: PullSecret::Secret { namespace, .. },
            ..
        }) = &mut i.pull_secret
            && namespace.is_none()
        {
            *namespace = u.namespace.clone();
        }
    }
    // The driver sorts documents by name, and the reader follows them.
    u.images
        .sort_by_key(|i| i.alias.as_ref().map(|a| a.value.clone()));
    let silent = u.engine == Engine::Fluxcd && u.write.is_none() && u.git == Git::default();
    if silent {
        return u;
    }
    u.write = Some(Field::made(WriteMethod::Git { credentials: None }));
    let g = &mut u.git;
    canon(&mut g.interval);
    let fill = |f: &mut Option<Field<String>>, d: &str| {
        if f.is_none() {
            *f = Some(Field::made(d.to_owned()));
        }
    };
    fill(&mut g.interval, DEFAULT_INTERVAL);
    fill(&mut g.checkout_branch, DEFAULT_BRANCH);
    fill(&mut g.author_name, DEFAULT_AUTHOR);
    fill(&mut g.author_email, DEFAULT_EMAIL);
    fill(&mut g.path, "./");
    fill(&mut g.automation, &u.name.clone());
    if g.push_branch == g.checkout_branch {
        g.push_branch = None;
    }
    if g.message_template
        .as_ref()
        .is_some_and(|t| flux_template_problem(&t.value).is_some())
    {
        g.message_template = None;
    }
    if g.source_ref.is_none() {
        let ns = u.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE);
        g.source_ref = Some(Field::made(SourceRef {
            kind: "GitRepository".into(),
            name: "flux-system".into(),
            namespace: (ns != DEFAULT_NAMESPACE).then(|| DEFAULT_NAMESPACE.to_owned()),
        }));
    }
    u
}

/// Exports the Flux updaters of `dir` as Flux, puts the result next to
/// the repository's other files, and reads it back.
fn round_trip(dir: &std::path::Path) -> (Vec<Updater>, Vec<Updater>, tempfile::TempDir) {
    let (ws, model) = load(dir);
    let before = read(&ws, &model);
    let out = crate::export::export(
        &ws,
        &model,
        &Request {
            to: Dialect::Flux,
            from: vec![Dialect::Flux],
            name: None,
            reported_only: false,
            options: WriteOptions::default(),
        },
    );
    // Keep everything but the image automation objects.
    let kept: Vec<(String, String)> = ws
        .files
        .iter()
        .filter(|f| !f.text.contains("image.toolkit.fluxcd.io"))
        .map(|f| (f.path.clone(), f.text.clone()))
        .collect();
    let kept: Vec<(&str, &str)> = kept.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let again = validated(&out.documents, &kept, Some(dir));
    let after = read_dir(again.path());
    (before, after, again)
}

fn assert_same(before: &[Updater], after: &[Updater]) {
    let names = |us: &[Updater]| us.iter().map(|u| u.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(before), names(after));
    for (b, a) in before.iter().zip(after) {
        if b.same_spec(a) {
            continue;
        }
        let mut diff = Vec::new();
        if (&b.namespace, b.engine, &b.write) != (&a.namespace, a.engine, &a.write) {
            diff.push(format!(
                "head {:?} {:?} {:?} / {:?} {:?} {:?}",
                b.namespace, b.engine, b.write, a.namespace, a.engine, a.write
            ));
        }
        if b.git != a.git {
            diff.push(format!("git {:#?}\n/ {:#?}", b.git, a.git));
        }
        if b.app != a.app {
            diff.push("app".to_owned());
        }
        if b.images.len() != a.images.len() {
            diff.push(format!("{} images / {}", b.images.len(), a.images.len()));
        }
        for (x, y) in b.images.iter().zip(&a.images) {
            if x != y {
                diff.push(format!("image {x:#?}\n/ {y:#?}"));
            }
        }
        panic!("{}: {}", b.name, diff.join("\n"));
    }
}

#[test]
fn round_trip_flux_spec_flux() {
    let fixture: Vec<(&str, &str)> = fixture()
        .into_iter()
        // The writer writes no policySelector; see the module docs.
        .filter(|(p, _)| !p.ends_with("selecting.yaml"))
        .collect();
    let dir = repo(&fixture);
    let (before, after, again) = round_trip(dir.path());
    let normalized: Vec<Updater> = before.iter().map(as_written).collect();
    assert_same(&normalized, &after);
    // A second trip changes nothing at all.
    let (second, third, _) = round_trip(again.path());
    assert_same(&after, &second);
    assert_same(&second, &third);
    // Flux's own remarks do not multiply on the way.
    assert!(
        third
            .iter()
            .all(|u| u.dropped.iter().all(|r| r.field.contains("markers")))
    );
}

#[test]
fn round_trip_setter_fixture() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/flux-setters");
    let files: Vec<(String, String)> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let dir = repo(&files);
    let (before, after, _) = round_trip(dir.path());
    // No automation: one updater for the namespace.
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].name, "automation-ns");
    assert_eq!(before[0].write, None);
    let policy = img(&before[0], "policy");
    assert_eq!(v(&policy.kustomize_name), Some("container"));
    assert_eq!(
        v(&img(&before[0], "policy-with-digest").reflect_digest),
        Some("IfNotPresent")
    );
    let normalized: Vec<Updater> = before.iter().map(as_written).collect();
    assert_same(&normalized, &after);
}

#[test]
fn kubesphere_like_updater_round_trips() {
    let u = Updater {
        name: "billing-worker".into(),
        namespace: Some("billing".into()),
        engine: Engine::Fluxcd,
        images: vec![Image {
            name: Field::made("registry.example.com/billing/worker".into()),
            constraint: Some(Field::made(">=3.1.0 <4.0.0".into())),
            strategy: Some(Field::made(Strategy::Semver)),
            pull_secret: Some(Field::made(PullSecret::Secret {
                namespace: None,
                name: "billing-registry".into(),
            })),
            scan_interval: Some(Field::made("5m".into())),
            ..Default::default()
        }],
        git: Git {
            source_ref: Some(Field::made(SourceRef {
                kind: "GitRepository".into(),
                name: "billing-config".into(),
                namespace: None,
            })),
            checkout_branch: Some(Field::made("main".into())),
            push_branch: Some(Field::made("main".into())),
            author_name: Some(Field::made("release-bot".into())),
            author_email: Some(Field::made("release-bot@example.com".into())),
            message_template: Some(Field::made("chore: refresh billing worker image".into())),
            path: Some(Field::made("./billing/overlays/prod".into())),
            interval: Some(Field::made("5m".into())),
            ..Default::default()
        },
        ..Default::default()
    };
    let w = write(&u, &WriteOptions::default());
    assert!(
        w.remarks.iter().all(|r| r.kind != RemarkKind::NoEquivalent),
        "{:#?}",
        w.remarks
    );
    assert_eq!(
        doc(&w, "ImageRepository", "worker")["spec"],
        json!({
            "image": "registry.example.com/billing/worker",
            "interval": "5m0s",
            "secretRef": {"name": "billing-registry"},
        })
    );
    assert_eq!(
        doc(&w, "ImagePolicy", "worker")["spec"],
        json!({
            "imageRepositoryRef": {"name": "worker"},
            "policy": {"semver": {"range": ">=3.1.0 <4.0.0"}},
        })
    );
    let dir = validated(
        &w.documents,
        &[
            (
                "clusters/billing-config.yaml",
                "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: billing-config
  namespace: billing
spec:
  interval: 1m0s
  url: https://example.com/billing
",
            ),
            (
                "billing/overlays/prod/kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
images:
  - name: worker
    newName: registry.example.com/billing/worker # {\"$imagepolicy\": \"billing:worker:name\"}
    newTag: 3.1.0 # {\"$imagepolicy\": \"billing:worker:tag\"}
",
            ),
        ],
        None,
    );
    let back = read_dir(dir.path());
    let mut want = as_written(&u);
    // The kustomize markers added by hand are read back as a target.
    want.images[0].kustomize_name = Some(Field::made("worker".into()));
    assert_same(&[want], &back);
}

#[test]
fn with_namespace_option_and_foreign_secret() {
    let u = Updater {
        name: "x".into(),
        namespace: Some("team".into()),
        engine: Engine::Fluxcd,
        images: vec![Image {
            alias: Some(Field::made("app".into())),
            name: Field::made("ghcr.io/org/app".into()),
            constraint: Some(Field::made("~1.2".into())),
            strategy: Some(Field::made(Strategy::Semver)),
            pull_secret: Some(Field::made(PullSecret::Secret {
                namespace: Some("team".into()),
                name: "creds".into(),
            })),
            scan_interval: Some(Field::made("10m".into())),
            ..Default::default()
        }],
        write: None,
        ..Default::default()
    };
    // No write method and no git settings: no automation.
    let w = write(&u, &WriteOptions::default());
    assert_eq!(w.documents.len(), 2);
    assert!(w.remarks.is_empty(), "{:#?}", w.remarks);
    let w = write(
        &u,
        &WriteOptions {
            namespace: Some("other".into()),
        },
    );
    assert!(
        w.documents
            .iter()
            .all(|d| d["metadata"]["namespace"] == "other")
    );
    assert!(has(
        &w.remarks,
        RemarkKind::NoEquivalent,
        "images[app].pullSecret",
        "team/creds"
    ));
}

#[test]
fn reads_the_flux_example_repository() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/flux");
    let us = read_dir(&root);
    let prod = find(&us, "flux-system");
    let frontend = img(prod, "frontend");
    let h = frontend.helm.as_ref().expect("frontend values markers");
    assert_eq!(
        (v(&h.name), v(&h.tag)),
        (Some("image.repository"), Some("image.tag"))
    );
    let api = img(prod, "api");
    let h = api.helm.as_ref().expect("HelmRelease values markers");
    assert_eq!(
        (v(&h.name), v(&h.tag)),
        (Some("image.repository"), Some("image.tag"))
    );
    assert_eq!(
        v(&img(prod, "busybox-stable").kustomize_name),
        Some("busybox")
    );
    assert!(has(
        &prod.dropped,
        RemarkKind::NoEquivalent,
        "images[nginx].helm",
        "digest key proxy.image.digest"
    ));
    let base = find(&us, "apps-base");
    assert_eq!(
        v(&img(base, "podinfo").kustomize_name),
        Some("ghcr.io/stefanprodan/podinfo")
    );
    // Writing any of them never panics and names stay labels.
    for u in &us {
        let w = write(u, &WriteOptions::default());
        for d in &w.documents {
            let name = d["metadata"]["name"].as_str().unwrap();
            assert_eq!(sanitize_name(name), name);
        }
    }
}
