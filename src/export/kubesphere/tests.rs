#![allow(clippy::disallowed_methods)] // fixtures on disk
use std::path::{Path, PathBuf};

use super::write;
use crate::diagnostic::Severity;
use crate::discover::{SourceFile, Workspace};
use crate::export::WriteOptions;
use crate::model::Model;
use crate::model::read::kubesphere::read;
use crate::model::spec::{
    Engine, Field, HelmTarget, Image, PullSecret, RemarkKind, SigningKey, SourceRef, Strategy,
    Updater, WriteMethod,
};
use crate::testutil::{Mutation, Rng};

fn workspace(files: &[(&str, String)]) -> Workspace {
    let mut files: Vec<SourceFile> = files
        .iter()
        .map(|(path, text)| SourceFile {
            path: (*path).to_owned(),
            abs: PathBuf::from("/nonexistent").join(path),
            text: text.clone(),
            yaml: Some(crate::yaml::parse(text)),
            report: true,
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Workspace {
        root: PathBuf::from("/nonexistent"),
        files,
        diagnostics: Vec::new(),
    }
}

fn read_text(text: &str) -> (Workspace, Vec<Updater>) {
    let ws = workspace(&[("u.yaml", text.to_owned())]);
    let model = Model::build(&ws);
    let out = read(&ws, &model);
    (ws, out)
}

fn read_one(text: &str) -> (Workspace, Updater) {
    let (ws, mut out) = read_text(text);
    assert_eq!(out.len(), 1, "one ImageUpdater in {text}");
    (ws, out.remove(0))
}

fn fixture_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/kubesphere")
        .join(sub)
}

fn fixtures(sub: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(fixture_dir(sub))
        .expect("fixture folder")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty());
    out
}

fn fixture(sub: &str, name: &str) -> String {
    std::fs::read_to_string(fixture_dir(sub).join(name)).unwrap()
}

/// The bytes a value was read from.
fn text_of<'a, T>(ws: &'a Workspace, f: &Field<T>) -> &'a str {
    let o = f.origin.expect("read values have an origin");
    o.span.text(&ws.files[o.file].text)
}

fn s(v: &Option<Field<String>>) -> Option<&str> {
    v.as_ref().map(|f| f.value.as_str())
}

fn list(v: &Option<Field<Vec<String>>>) -> Option<Vec<&str>> {
    v.as_ref()
        .map(|f| f.value.iter().map(String::as_str).collect())
}

fn remarks(u: &Updater, kind: RemarkKind) -> Vec<(String, String)> {
    u.dropped
        .iter()
        .filter(|r| r.kind == kind)
        .map(|r| (r.field.clone(), r.message.clone()))
        .collect()
}

/// The object written for `u`, as text (JSON is YAML), read back.
fn reread(u: &Updater, options: &WriteOptions) -> (Vec<Updater>, serde_json::Value) {
    let written = write(u, options);
    assert_eq!(written.documents.len(), 1);
    let doc = written.documents[0].clone();
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let (_, out) = read_text(&text);
    (out, doc)
}

fn errors_of(text: &str) -> Vec<String> {
    let ws = workspace(&[("out.yaml", text.to_owned())]);
    let model = Model::build(&ws);
    crate::check::run(&ws, &model)
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{} {}", d.rule.code, d.message))
        .collect()
}

#[test]
fn reads_shipped_spelling_every_key() {
    let (ws, u) = read_one(&fixture("clean", "shipped-argocd.yaml"));
    assert_eq!(u.name, "search");
    assert_eq!(u.namespace.as_deref(), Some("catalog"));
    assert_eq!(u.engine, Engine::Argocd);
    assert_eq!(s(&u.app.name), Some("catalog"));
    assert_eq!(s(&u.app.namespace), Some("catalog"));
    assert_eq!(
        u.write.as_ref().map(|w| &w.value),
        Some(&WriteMethod::InCluster)
    );
    let [indexer, query] = &u.images[..] else {
        panic!("two images")
    };
    assert_eq!(s(&indexer.alias), Some("indexer"));
    assert_eq!(indexer.name.value, "ghcr.io/example/catalog-indexer");
    assert_eq!(
        text_of(&ws, &indexer.name),
        "ghcr.io/example/catalog-indexer"
    );
    assert_eq!(s(&indexer.constraint), Some("^1.8"));
    assert_eq!(text_of(&ws, indexer.constraint.as_ref().unwrap()), "^1.8");
    assert_eq!(text_of(&ws, indexer.alias.as_ref().unwrap()), "indexer");
    assert_eq!(
        indexer.strategy.as_ref().map(|s| s.value),
        Some(Strategy::Semver)
    );
    assert_eq!(list(&indexer.ignore_tags), Some(vec!["*-rc*"]));
    assert_eq!(list(&indexer.platforms), Some(vec!["linux/amd64"]));
    assert_eq!(
        query.strategy.as_ref().map(|s| s.value),
        Some(Strategy::Alphabetical { desc: false })
    );
    // The shipped allowTags is a bare regex: no `regexp:` to strip.
    assert_eq!(s(&query.tag_pattern), Some("^release-[0-9]{8}$"));
    assert_eq!(
        text_of(&ws, query.tag_pattern.as_ref().unwrap()),
        "^release-[0-9]{8}$"
    );
    assert_eq!(
        query.pull_secret.as_ref().map(|p| &p.value),
        Some(&PullSecret::Secret {
            namespace: Some("catalog".into()),
            name: "ghcr-pull".into()
        })
    );
    assert!(query.constraint.is_none());
    assert!(u.dropped.is_empty(), "{:?}", u.dropped);
}

#[test]
fn reads_design_argocd_spelling_every_key() {
    let (ws, u) = read_one(&fixture("clean", "design-argocd.yaml"));
    assert_eq!(u.name, "storefront");
    assert_eq!(s(&u.app.name), Some("storefront"));
    assert_eq!(s(&u.app.namespace), Some("shop"));
    assert_eq!(text_of(&ws, u.app.namespace.as_ref().unwrap()), "shop");
    assert_eq!(
        u.write.as_ref().map(|w| &w.value),
        Some(&WriteMethod::Git { credentials: None })
    );
    let [web, api] = &u.images[..] else {
        panic!("two images")
    };
    assert_eq!(s(&web.constraint), Some("~2.3"));
    assert_eq!(
        web.strategy.as_ref().map(|s| s.value),
        Some(Strategy::Semver)
    );
    assert_eq!(list(&web.ignore_tags), Some(vec!["*-snapshot"]));
    assert_eq!(list(&web.platforms), Some(vec!["linux/arm64"]));
    assert_eq!(
        api.strategy.as_ref().map(|s| s.value),
        Some(Strategy::NewestBuild)
    );
    // `any` is the same as no filter.
    assert!(api.tag_pattern.is_none());
    assert_eq!(
        api.pull_secret.as_ref().map(|p| &p.value),
        Some(&PullSecret::Secret {
            namespace: Some("shop".into()),
            name: "registry-pull".into()
        })
    );
    assert!(u.dropped.is_empty(), "{:?}", u.dropped);
}

#[test]
fn reads_design_allow_tags_regexp_and_secret_forms() {
    let (_, u) = read_one(
        "apiVersion: gitops.kubesphere.io/v1alpha1\nkind: ImageUpdater\nmetadata:\n  name: a\n  namespace: n\nspec:\n  images: [a=x/a, b=x/b, c=x/c, d=x/d]\n  argocd:\n    app: {name: a}\n    allow-tags: {a: 'regexp:^v1', b: 'v2'}\n    secret: {a: 'pullsecret:n/s', b: 'env:CREDS', c: 'x/y/z', d: plain}\n",
    );
    let img = |n: usize| &u.images[n];
    assert_eq!(s(&img(0).tag_pattern), Some("^v1"));
    assert!(img(1).tag_pattern.is_none());
    assert_eq!(
        img(0).pull_secret.as_ref().map(|p| &p.value),
        Some(&PullSecret::Secret {
            namespace: Some("n".into()),
            name: "s".into()
        })
    );
    assert_eq!(
        img(1).pull_secret.as_ref().map(|p| &p.value),
        Some(&PullSecret::Other("env:CREDS".into()))
    );
    assert!(img(2).pull_secret.is_none());
    assert_eq!(
        img(3).pull_secret.as_ref().map(|p| &p.value),
        Some(&PullSecret::Secret {
            namespace: None,
            name: "plain".into()
        })
    );
    // No app.namespace: the Application is looked up where the object is.
    assert_eq!(s(&u.app.namespace), Some("n"));
    let skipped = remarks(&u, RemarkKind::Skipped);
    assert!(
        skipped
            .iter()
            .any(|(f, m)| f == "spec.argocd.allow-tags.b" && m.contains("regexp:")),
        "{skipped:?}"
    );
    assert!(
        skipped.iter().any(|(f, _)| f == "spec.argocd.secret.c"),
        "{skipped:?}"
    );
}

#[test]
fn reads_design_fluxcd_every_key() {
    let (ws, u) = read_one(&fixture("clean", "design-fluxcd.yaml"));
    assert_eq!(u.engine, Engine::Fluxcd);
    assert_eq!(u.name, "billing-worker");
    let g = &u.git;
    assert_eq!(s(&g.interval), Some("5m"));
    assert_eq!(
        g.source_ref.as_ref().map(|r| &r.value),
        Some(&SourceRef {
            kind: "GitRepository".into(),
            name: "billing-config".into(),
            namespace: None
        })
    );
    assert_eq!(s(&g.checkout_branch), Some("main"));
    assert_eq!(s(&g.push_branch), Some("main"));
    assert_eq!(s(&g.author_name), Some("release-bot"));
    assert_eq!(s(&g.author_email), Some("release-bot@example.com"));
    assert_eq!(
        s(&g.message_template),
        Some("chore: refresh billing worker image")
    );
    assert_eq!(s(&g.path), Some("./billing/overlays/prod"));
    assert_eq!(
        u.write.as_ref().map(|w| &w.value),
        Some(&WriteMethod::Git { credentials: None })
    );
    let [worker] = &u.images[..] else {
        panic!("one image")
    };
    assert_eq!(worker.name.value, "registry.example.com/billing/worker");
    // The range becomes the constraint of an image without its own.
    assert_eq!(s(&worker.constraint), Some(">=3.1.0 <4.0.0"));
    assert_eq!(
        text_of(&ws, worker.constraint.as_ref().unwrap()),
        "\">=3.1.0 <4.0.0\""
    );
    assert_eq!(
        worker.strategy.as_ref().map(|s| s.value),
        Some(Strategy::Semver)
    );
    assert_eq!(
        worker.pull_secret.as_ref().map(|p| &p.value),
        Some(&PullSecret::Secret {
            namespace: None,
            name: "billing-registry".into()
        })
    );
    assert!(u.app.name.is_none());
    assert!(u.dropped.is_empty(), "{:?}", u.dropped);
}

#[test]
fn fluxcd_entry_constraint_wins_over_range() {
    let (_, u) = read_one(
        "apiVersion: gitops.kubesphere.io/v1alpha1\nkind: ImageUpdater\nmetadata: {name: a}\nspec:\n  kind: fluxcd\n  images: ['x/a:^2.0', x/b]\n  fluxcd:\n    policy: {semver: {range: ^1.0}}\n    sourceRef: {kind: GitRepository}\n    update: {strategy: Other}\n",
    );
    assert_eq!(s(&u.images[0].constraint), Some("^2.0"));
    assert_eq!(s(&u.images[1].constraint), Some("^1.0"));
    assert!(u.git.source_ref.is_none());
    assert_eq!(remarks(&u, RemarkKind::Normalized).len(), 1);
    let skipped = remarks(&u, RemarkKind::Skipped);
    assert!(skipped.iter().any(|(f, _)| f == "spec.fluxcd.sourceRef"));
    assert!(
        skipped
            .iter()
            .any(|(f, _)| f == "spec.fluxcd.update.strategy")
    );
}

#[test]
fn default_kind_is_argocd() {
    let (_, u) = read_one(&fixture("clean", "shipped-default-kind.yaml"));
    assert_eq!(u.engine, Engine::Argocd);
    assert_eq!(s(&u.images[0].constraint), Some("1.x"));
    assert!(u.write.is_none());
    assert!(u.dropped.is_empty());
}

#[test]
fn multi_doc_reads_each_object_in_its_spelling() {
    let (_, out) = read_text(&fixture("clean", "multi-doc.yaml"));
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].name, "mailer");
    assert_eq!(out[1].name, "scheduler");
    assert_eq!(
        out[1].images[0].strategy.as_ref().map(|s| s.value),
        Some(Strategy::Digest)
    );
    assert_eq!(s(&out[1].images[0].constraint), Some("stable"));
    assert!(out.iter().all(|u| u.dropped.is_empty()));
}

#[test]
fn remarks_for_what_is_not_read() {
    let (ws, u) = read_one(&fixture("mistakes", "mixed-spelling.yaml"));
    let [r] = &u.dropped[..] else {
        panic!("{:?}", u.dropped)
    };
    assert_eq!(r.kind, RemarkKind::Skipped);
    assert_eq!(r.field, "spec.argo.update-strategy");
    let o = r.origin.unwrap();
    assert_eq!(o.span.text(&ws.files[o.file].text), "update-strategy");
    // The design key is pruned, so the image keeps the default strategy.
    assert!(u.images[0].strategy.is_none());

    let (ws, u) = read_one(&fixture("mistakes", "undeclared-alias.yaml"));
    let [r] = &u.dropped[..] else {
        panic!("{:?}", u.dropped)
    };
    assert_eq!(r.field, "spec.argocd.ignore-tags.postgres");
    let o = r.origin.unwrap();
    assert_eq!(o.span.text(&ws.files[o.file].text), "postgres");

    let (_, u) = read_one(&fixture("mistakes", "invalid-kind.yaml"));
    assert_eq!(u.engine, Engine::Argocd);
    assert!(
        remarks(&u, RemarkKind::Skipped)
            .iter()
            .any(|(f, _)| f == "spec.kind")
    );

    let (_, u) = read_one(&fixture("mistakes", "shipped-app-namespace.yaml"));
    assert!(
        remarks(&u, RemarkKind::Skipped)
            .iter()
            .any(|(f, m)| f == "spec.argo.app.namespace" && m.contains("only a name")),
        "{:?}",
        u.dropped
    );

    let (_, u) = read_one(&fixture("mistakes", "unknown-field.yaml"));
    assert!(
        remarks(&u, RemarkKind::Skipped)
            .iter()
            .any(|(f, _)| f == "spec.argo.ignoreTag")
    );

    let (_, u) = read_one(&fixture("mistakes", "unknown-strategy.yaml"));
    assert!(
        remarks(&u, RemarkKind::Skipped)
            .iter()
            .any(|(_, m)| m.contains("\"newest\""))
    );

    let (_, u) = read_one(&fixture("mistakes", "deprecated-strategy.yaml"));
    let normalized = remarks(&u, RemarkKind::Normalized);
    assert_eq!(normalized.len(), 2, "{normalized:?}");
    assert!(
        u.images
            .iter()
            .any(|i| i.strategy.as_ref().map(|s| s.value) == Some(Strategy::NewestBuild))
    );
    assert!(
        u.images.iter().any(|i| i.strategy.as_ref().map(|s| s.value)
            == Some(Strategy::Alphabetical { desc: false }))
    );

    let (_, u) = read_one(&fixture("mistakes", "fluxcd-missing-section.yaml"));
    assert_eq!(u.engine, Engine::Fluxcd);
    assert!(
        remarks(&u, RemarkKind::Skipped)
            .iter()
            .any(|(f, _)| f == "spec.argo")
    );
}

#[test]
fn remarks_for_both_sections_and_unaliased_settings() {
    let (_, u) = read_one(
        "apiVersion: gitops.kubesphere.io/v1alpha1\nkind: ImageUpdater\nmetadata: {name: a, namespace: n}\nspec:\n  kind: argocd\n  images: ['nginx:^0.1', 'web=x/web']\n  argo:\n    app: {name: a}\n    write: sideways\n    updateStrategy: {nginx: semver, web: newest}\n    platforms: web\n  argocd:\n    app: {name: b}\n  fluxcd: {interval: 1m}\n  extra: 1\n",
    );
    let skipped = remarks(&u, RemarkKind::Skipped);
    let has = |field: &str, needle: &str| {
        skipped
            .iter()
            .any(|(f, m)| f == field && m.contains(needle))
    };
    assert!(has("spec.argocd", "both spellings"), "{skipped:?}");
    assert!(has("spec.fluxcd", "not read"), "{skipped:?}");
    assert!(has("spec.extra", "prunes"), "{skipped:?}");
    assert!(has("spec.argo.write", "sideways"), "{skipped:?}");
    assert!(
        has("spec.argo.updateStrategy.nginx", "has no alias"),
        "{skipped:?}"
    );
    assert!(has("spec.argo.updateStrategy.web", "newest"), "{skipped:?}");
    assert!(has("spec.argo.platforms", "map"), "{skipped:?}");
    assert_eq!(s(&u.app.name), Some("a"));
    assert!(u.write.is_none());
    assert!(u.images.iter().all(|i| i.strategy.is_none()));
}

#[test]
fn images_that_are_not_images_are_skipped() {
    let (_, u) = read_one(
        "apiVersion: gitops.kubesphere.io/v1alpha1\nkind: ImageUpdater\nmetadata: {name: a}\nspec:\n  images: [{a: b}, '', 'nginx@sha256:0123456789012345678901234567890123456789012345678901234567890123', '=x/y:1']\n  argo: {app: {name: a}}\n",
    );
    assert_eq!(u.images.len(), 2, "{:?}", u.images);
    // `=image` has an empty alias, which is none.
    assert!(u.images[1].alias.is_none());
    assert_eq!(remarks(&u, RemarkKind::Skipped).len(), 3, "{:?}", u.dropped);
    let (_, u) = read_one(
        "apiVersion: gitops.kubesphere.io/v1alpha1\nkind: ImageUpdater\nmetadata: {name: a}\nspec:\n  images: x\n",
    );
    assert!(u.images.is_empty());
    assert_eq!(remarks(&u, RemarkKind::Skipped).len(), 1);
}

#[test]
fn other_groups_and_kinds_are_not_read() {
    let (_, out) = read_text(
        "apiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\nmetadata: {name: a}\nspec: {}\n---\napiVersion: gitops.kubesphere.io/v1alpha1\nkind: Application\nmetadata: {name: b}\nspec: {}\n---\napiVersion: gitops.kubesphere.io/v1alpha1\nkind: ImageUpdater\nmetadata: {name: c}\n",
    );
    assert!(out.is_empty());
}

#[test]
fn round_trip_every_clean_fixture() {
    for (name, text) in fixtures("clean") {
        let (_, first) = read_text(&text);
        assert!(!first.is_empty(), "{name}");
        for u in &first {
            let written = write(u, &WriteOptions::default());
            assert!(
                written
                    .remarks
                    .iter()
                    .all(|r| r.kind == RemarkKind::Normalized),
                "{name}: {:?}",
                written.remarks
            );
            let (again, doc) = reread(u, &WriteOptions::default());
            let [again] = &again[..] else {
                panic!("{name}: {again:?}")
            };
            assert!(u.same_spec(again), "{name}:\n{u:#?}\n{again:#?}\n{doc:#}");
            assert!(again.dropped.is_empty(), "{name}: {:?}", again.dropped);
            // And once more: the writer's output is a fixed point.
            let (third, doc2) = reread(again, &WriteOptions::default());
            assert_eq!(doc, doc2, "{name}");
            assert!(third[0].same_spec(again));
            let text = serde_json::to_string_pretty(&doc).unwrap();
            assert_eq!(errors_of(&text), Vec::<String>::new(), "{name}:\n{text}");
        }
    }
}

#[test]
fn writes_shipped_spelling_for_argocd() {
    let (_, u) = read_one(&fixture("clean", "design-argocd.yaml"));
    let written = write(&u, &WriteOptions::default());
    let doc = &written.documents[0];
    assert_eq!(doc["apiVersion"], "gitops.kubesphere.io/v1alpha1");
    assert_eq!(doc["kind"], "ImageUpdater");
    assert_eq!(doc["metadata"]["name"], "storefront");
    assert_eq!(doc["metadata"]["namespace"], "shop");
    assert_eq!(
        doc["spec"],
        serde_json::json!({
            "kind": "argocd",
            "images": ["web=registry.example.com/shop/web:~2.3", "api=registry.example.com/shop/api"],
            "argo": {
                "app": {"name": "storefront"},
                "write": "git",
                "updateStrategy": {"web": "semver", "api": "newest-build"},
                "ignoreTags": {"web": "*-snapshot"},
                "platforms": {"web": "linux/arm64"},
                "secrets": {"api": "shop/registry-pull"},
            }
        })
    );
    assert!(doc.get("status").is_none());
}

#[test]
fn writes_design_spelling_when_the_application_is_elsewhere() {
    let (_, u) = read_one(&fixture("clean", "shipped-argocd.yaml"));
    let options = WriteOptions {
        namespace: Some("elsewhere".into()),
    };
    let written = write(&u, &options);
    let doc = &written.documents[0];
    assert_eq!(doc["metadata"]["namespace"], "elsewhere");
    assert!(doc["spec"].get("argo").is_none());
    let section = &doc["spec"]["argocd"];
    assert_eq!(
        section["app"],
        serde_json::json!({"name": "catalog", "namespace": "catalog"})
    );
    assert_eq!(section["allow-tags"]["query"], "regexp:^release-[0-9]{8}$");
    assert_eq!(section["secret"]["query"], "catalog/ghcr-pull");
    assert_eq!(section["update-strategy"]["query"], "alphabetical");
    assert!(
        written
            .remarks
            .iter()
            .any(|r| r.kind == RemarkKind::Normalized && r.field == "app.namespace")
    );
    let (again, _) = reread(&u, &options);
    let expected = Updater {
        namespace: Some("elsewhere".into()),
        ..u.clone()
    };
    assert!(expected.same_spec(&again[0]), "{:#?}", again[0]);
    let text = serde_json::to_string_pretty(doc).unwrap();
    assert_eq!(errors_of(&text), Vec::<String>::new(), "{text}");
}

fn image(name: &str) -> Image {
    Image {
        name: Field::made(name.to_owned()),
        ..Default::default()
    }
}

#[test]
fn invents_unique_valid_aliases() {
    let semver = Some(Field::made(Strategy::Semver));
    let u = Updater {
        name: "shop".into(),
        namespace: Some("shop".into()),
        images: vec![
            Image {
                strategy: semver.clone(),
                ..image("registry.example.com/team/web")
            },
            Image {
                alias: Some(Field::made("web".into())),
                strategy: semver.clone(),
                ..image("other.example.com/web")
            },
            Image {
                platforms: Some(Field::made(vec!["linux/amd64".into()])),
                ..image("registry.example.com/_web")
            },
            Image {
                alias: Some(Field::made("bad/alias".into())),
                strategy: semver.clone(),
                ..image("x/y")
            },
            Image {
                alias: Some(Field::made("web".into())),
                strategy: semver,
                ..image("z/web")
            },
            // No settings: no alias needed.
            image("plain/thing"),
        ],
        ..Default::default()
    };
    let written = write(&u, &WriteOptions::default());
    let doc = &written.documents[0];
    assert_eq!(
        doc["spec"]["images"],
        serde_json::json!([
            "web-2=registry.example.com/team/web",
            "web=other.example.com/web",
            "web-3=registry.example.com/_web",
            "bad-alias=x/y",
            "web-4=z/web",
            "plain/thing",
        ])
    );
    let normalized: Vec<_> = written
        .remarks
        .iter()
        .filter(|r| r.kind == RemarkKind::Normalized && r.field.ends_with(".alias"))
        .collect();
    assert_eq!(normalized.len(), 4, "{:?}", written.remarks);
    // Deterministic.
    assert_eq!(write(&u, &WriteOptions::default()).documents[0], *doc);
    let text = serde_json::to_string_pretty(doc).unwrap();
    assert_eq!(errors_of(&text), Vec::<String>::new(), "{text}");
    // Re-read: the settings arrive at the same images.
    let (again, _) = reread(&u, &WriteOptions::default());
    assert_eq!(
        list(&again[0].images[2].platforms),
        Some(vec!["linux/amd64"])
    );
    assert!(again[0].dropped.is_empty(), "{:?}", again[0].dropped);
}

#[test]
fn sanitizes_names_into_aliases() {
    use super::write::is_alias;
    for (name, alias) in [
        ("a/b/My_App", "My_App"),
        ("a/--x", "x"),
        ("a/..", "image"),
        ("a/b:c", "b-c"),
        ("a/ünï", "n"),
    ] {
        let u = Updater {
            name: "u".into(),
            images: vec![Image {
                tag_pattern: Some(Field::made("^v".into())),
                ..image(name)
            }],
            ..Default::default()
        };
        let doc = &write(&u, &WriteOptions::default()).documents[0];
        let entry = doc["spec"]["images"][0].as_str().unwrap();
        let got = entry.split_once('=').unwrap().0;
        assert!(is_alias(got), "{got}");
        assert_eq!(got, alias, "{name}");
    }
}

#[test]
fn no_equivalent_for_what_kubesphere_cannot_hold() {
    let o = |s: &str| Some(Field::made(s.to_owned()));
    let u = Updater {
        name: "u".into(),
        namespace: Some("n".into()),
        images: vec![Image {
            alias: o("a"),
            strategy: Some(Field::made(Strategy::Numerical { desc: false })),
            extract: o("$1"),
            force_update: Some(Field::made(true)),
            scan_interval: o("1m"),
            reflect_digest: o("Always"),
            helm: Some(HelmTarget {
                name: o("image.name"),
                tag: o("image.tag"),
                spec: None,
            }),
            kustomize_name: o("web"),
            pull_secret: Some(Field::made(PullSecret::Other("env:X".into()))),
            ..image("x/a")
        }],
        write: Some(Field::made(WriteMethod::Git {
            credentials: Some("repocreds".into()),
        })),
        git: crate::model::spec::Git {
            repository: o("https://example.com/repo.git"),
            target: o("kustomization:."),
            push_branch: o("image-updater-{{.SHA256}}"),
            checkout_branch: o("main"),
            signing_key: Some(Field::made(SigningKey {
                secret: "k".into(),
                kind: None,
            })),
            ..Default::default()
        },
        ..Default::default()
    };
    let written = write(&u, &WriteOptions::default());
    let fields: Vec<&str> = written
        .remarks
        .iter()
        .filter(|r| r.kind == RemarkKind::NoEquivalent)
        .map(|r| r.field.as_str())
        .collect();
    for f in [
        "images[x/a].extract",
        "images[x/a].forceUpdate",
        "images[x/a].interval",
        "images[x/a].digestReflectionPolicy",
        "images[x/a].helm.name",
        "images[x/a].helm.tag",
        "images[x/a].kustomize.name",
        "images[x/a].strategy",
        "images[x/a].pullSecret",
        "git.repository",
        "git.writeBackTarget",
        "git.signingKey",
        "git.pushBranch",
        "git.checkoutBranch",
        "write",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    assert_eq!(fields.len(), 15, "{fields:?}");
    let doc = &written.documents[0];
    assert_eq!(doc["spec"]["argo"]["write"], "git");
    // The missing app name is filled in.
    assert_eq!(doc["spec"]["argo"]["app"]["name"], "u");
}

#[test]
fn fluxcd_writer_shares_range_and_secret() {
    let o = |s: &str| Some(Field::made(s.to_owned()));
    let secret = |ns: Option<&str>, name: &str| {
        Some(Field::made(PullSecret::Secret {
            namespace: ns.map(str::to_owned),
            name: name.to_owned(),
        }))
    };
    let semver = Some(Field::made(Strategy::Semver));
    let u = Updater {
        name: "f".into(),
        namespace: Some("n".into()),
        engine: Engine::Fluxcd,
        images: vec![
            Image {
                constraint: o("^1.0"),
                strategy: semver.clone(),
                pull_secret: secret(Some("n"), "reg"),
                ..image("x/a")
            },
            Image {
                constraint: o("^2.0"),
                strategy: semver.clone(),
                pull_secret: secret(None, "reg"),
                ..image("x/b")
            },
        ],
        write: Some(Field::made(WriteMethod::Git { credentials: None })),
        git: crate::model::spec::Git {
            source_ref: Some(Field::made(SourceRef {
                kind: "GitRepository".into(),
                name: "repo".into(),
                namespace: Some("flux-system".into()),
            })),
            interval: o("10m"),
            ..Default::default()
        },
        ..Default::default()
    };
    let written = write(&u, &WriteOptions::default());
    let spec = &written.documents[0]["spec"];
    assert_eq!(spec["kind"], "fluxcd");
    assert_eq!(spec["images"], serde_json::json!(["x/a", "x/b:^2.0"]));
    assert_eq!(
        spec["fluxcd"],
        serde_json::json!({
            "interval": "10m",
            "secret": "reg",
            "policy": {"semver": {"range": "^1.0"}},
            "sourceRef": {"kind": "GitRepository", "name": "repo"},
        })
    );
    let kinds: Vec<_> = written
        .remarks
        .iter()
        .map(|r| (r.kind, r.field.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (RemarkKind::Normalized, "images.constraint"),
            (RemarkKind::NoEquivalent, "git.sourceRef.namespace"),
        ]
    );
    let (again, _) = reread(&u, &WriteOptions::default());
    // Everything but the source namespace survives.
    let mut expected = u.clone();
    if let Some(r) = &mut expected.git.source_ref {
        r.value.namespace = None;
    }
    for img in &mut expected.images {
        img.pull_secret = secret(None, "reg");
    }
    assert!(expected.same_spec(&again[0]), "{:#?}", again[0]);
}

#[test]
fn fluxcd_writer_without_a_shared_range() {
    let o = |s: &str| Some(Field::made(s.to_owned()));
    let u = Updater {
        name: "f".into(),
        engine: Engine::Fluxcd,
        images: vec![
            Image {
                constraint: o(">=1.0"),
                ..image("x/a")
            },
            image("x/b"),
            Image {
                constraint: o("~3"),
                ..image("x/c")
            },
            Image {
                constraint: o("~3"),
                ..image("x/d")
            },
        ],
        ..Default::default()
    };
    let written = write(&u, &WriteOptions::default());
    let spec = &written.documents[0]["spec"];
    // `x/a:>=1.0` alone would split at `=`: it gets an alias.
    assert_eq!(
        spec["images"],
        serde_json::json!(["a=x/a:>=1.0", "x/b", "x/c:~3", "x/d:~3"])
    );
    assert!(spec["fluxcd"].get("policy").is_none());
    let (again, _) = reread(&u, &WriteOptions::default());
    let constraints: Vec<_> = again[0].images.iter().map(|i| s(&i.constraint)).collect();
    assert_eq!(constraints, [Some(">=1.0"), None, Some("~3"), Some("~3")]);

    // With a constraint everywhere, the most common one is the range.
    let mut u = u;
    u.images[1].constraint = o("~3");
    let spec = &write(&u, &WriteOptions::default()).documents[0]["spec"];
    assert_eq!(spec["fluxcd"]["policy"]["semver"]["range"], "~3");
    assert_eq!(
        spec["images"],
        serde_json::json!(["a=x/a:>=1.0", "x/b", "x/c", "x/d"])
    );
}

#[test]
fn mistakes_are_read_without_panicking() {
    for (name, text) in fixtures("mistakes") {
        let (_, out) = read_text(&text);
        for u in &out {
            let written = write(u, &WriteOptions::default());
            assert_eq!(written.documents.len(), 1, "{name}");
        }
    }
}

#[test]
fn never_panics_on_damaged_input() {
    let mut rng = Rng::new(0x6b73);
    let texts: Vec<String> = fixtures("clean")
        .into_iter()
        .chain(fixtures("mistakes"))
        .map(|(_, t)| t)
        .collect();
    let m = Mutation {
        inserts: &[
            "=",
            ":",
            "/",
            "\n  - ",
            "{",
            "[",
            "regexp:",
            "argo:",
            "fluxcd:",
            "'",
            "\n    x: ",
        ],
        max_edits: 4,
        max_cut: 20,
        max_copy: 40,
        junk: Some("ab=:/-_.@{}[]\" \n"),
    };
    for i in 0..600 {
        let text = rng.mutate(&texts[i % texts.len()], &m);
        let (_, out) = read_text(&text);
        for u in &out {
            let _ = write(u, &WriteOptions::default());
        }
    }
}

/// testdata/export/kubesphere/edge-cases.yaml read and written again must
/// give the checked-in output and remarks; `KS_GOLDEN=write` rewrites them.
#[test]
fn edge_cases_match_golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/export/kubesphere");
    let text = std::fs::read_to_string(dir.join("edge-cases.yaml")).unwrap();
    let ws = workspace(&[("edge-cases.yaml", text)]);
    let model = Model::build(&ws);
    let updaters = read(&ws, &model);
    assert_eq!(updaters.len(), 3);
    let mut docs = Vec::new();
    let mut said = String::new();
    for u in &updaters {
        let written = write(u, &WriteOptions::default());
        for r in u.dropped.iter().chain(&written.remarks) {
            let line = r.origin.map_or(0, |o| {
                ws.files[o.file].text[..o.span.start].lines().count() + 1
            });
            said.push_str(&format!(
                "{} {:?} line {line} {}: {}\n",
                u.name, r.kind, r.field, r.message
            ));
        }
        docs.extend(written.documents);
    }
    let out = crate::export::emit::yaml(&docs);
    if std::env::var("KS_GOLDEN").as_deref() == Ok("write") {
        std::fs::write(dir.join("edge-cases.out.yaml"), &out).unwrap();
        std::fs::write(dir.join("edge-cases.remarks.txt"), &said).unwrap();
    }
    let expected = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    assert_eq!(out, expected("edge-cases.out.yaml"));
    assert_eq!(said, expected("edge-cases.remarks.txt"));
    assert_eq!(errors_of(&out), Vec::<String>::new(), "{out}");
}
