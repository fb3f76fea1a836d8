use super::*;
use crate::export::argo::tests::{app, assert_same, reread};
use crate::model::Model;
use crate::model::read::argo_crd::read;
use crate::model::spec::*;
use crate::testutil::workspace;
use std::collections::HashSet;

fn read_text(text: &str) -> Vec<Updater> {
    let ws = workspace(&[("cr.yaml", text)]);
    read(&ws, &Model::build(&ws))
}

fn kinds(remarks: &[Remark]) -> Vec<(RemarkKind, String)> {
    remarks.iter().map(|r| (r.kind, r.field.clone())).collect()
}

fn has(remarks: &[Remark], kind: RemarkKind, field: &str) -> bool {
    remarks.iter().any(|r| r.kind == kind && r.field == field)
}

const CR: &str = "\
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: platform
  namespace: apps
spec:
  namespace: old
  imagesVerification:
    enabled: false
  commonUpdateSettings:
    updateStrategy: newest-build
    allowTags: regexp:^main-
    ignoreTags: ['*-debug']
    forceUpdate: true
    pullSecret: pullsecret:apps/regcred
    platforms: [linux/amd64]
  writeBackConfig:
    method: git:secret:apps/git
    gitConfig:
      repository: https://git.example.com/deploy.git
      branch: main
      writeBackTarget: kustomization
  applicationRefs:
    - namePattern: shop-*
      useAnnotations: true
    - namePattern: payments
      labelSelectors:
        matchLabels: {team: payments}
      commonUpdateSettings:
        allowTags: any
      writeBackConfig:
        gitConfig:
          branch: ':upd-{{.SHA256}}'
          pullRequest: {github: {}}
      images:
        - alias: gateway
          imageName: registry.example.com/pay/gateway:>=3.8, <4
          commonUpdateSettings:
            updateStrategy: Semver
            ignoreTags: []
          manifestTargets:
            kustomize:
              name: registry.example.com/pay/gateway
        - alias: ledger
          imageName: registry.example.com/pay/ledger:stable
          imagesVerification: {enabled: false}
          commonUpdateSettings:
            updateStrategy: digest
            forceUpdate: false
            pullSecret: env:CREDS
          manifestTargets:
            helm: {name: ledger.repo, tag: ledger.tag}
        - alias: model
          imageName: registry.example.com/pay/model
          manifestTargets:
            plugin: {name: MODEL}
    - namePattern: reports
      images:
        - alias: api
          imageName: ghcr.io/org/api:~2
          commonUpdateSettings:
            platforms: [linux/arm64]
";

#[test]
fn every_level_is_read_with_inheritance() {
    let all = read_text(CR);
    assert_eq!(all.len(), 2);
    let (pay, rep) = (&all[0], &all[1]);
    assert_eq!(pay.name, "platform-payments");
    assert_eq!(rep.name, "platform-reports");
    assert_eq!(pay.namespace.as_deref(), Some("apps"));
    assert_eq!(
        pay.app.name.as_ref().map(|f| f.value.as_str()),
        Some("payments")
    );
    assert_eq!(
        pay.app.namespace.as_ref().map(|f| f.value.as_str()),
        Some("apps")
    );
    assert_eq!(pay.from.map(|f| f.0), Some(Dialect::ArgocdCrd));

    let gw = &pay.images[0];
    assert_eq!(gw.alias.as_ref().map(|a| a.value.as_str()), Some("gateway"));
    assert_eq!(gw.name.value, "registry.example.com/pay/gateway");
    assert_eq!(
        gw.constraint.as_ref().map(|c| c.value.as_str()),
        Some(">=3.8, <4")
    );
    let span = |f: Option<crate::model::spec::Origin>| f.map(|o| o.span.text(CR));
    assert_eq!(
        span(gw.constraint.as_ref().and_then(|c| c.origin)),
        Some(">=3.8, <4")
    );
    assert_eq!(
        gw.strategy.as_ref().map(|s| s.value),
        Some(Strategy::Semver)
    );
    // `any` at the ref level overrides the spec's regexp.
    assert_eq!(gw.tag_pattern, None);
    // An explicit empty list overrides, and reads as none.
    assert_eq!(gw.ignore_tags, None);
    assert_eq!(gw.force_update.as_ref().map(|f| f.value), Some(true));
    assert_eq!(
        gw.pull_secret.as_ref().map(|p| p.value.clone()),
        Some(PullSecret::Secret {
            namespace: Some("apps".into()),
            name: "regcred".into()
        })
    );
    assert_eq!(
        gw.platforms.as_ref().map(|p| p.value.clone()),
        Some(vec!["linux/amd64".to_owned()])
    );
    assert_eq!(
        gw.kustomize_name.as_ref().map(|k| k.value.as_str()),
        Some("registry.example.com/pay/gateway")
    );

    let ledger = &pay.images[1];
    assert_eq!(
        ledger.strategy.as_ref().map(|s| s.value),
        Some(Strategy::Digest)
    );
    assert_eq!(
        ledger.constraint.as_ref().map(|c| c.value.as_str()),
        Some("stable")
    );
    assert_eq!(ledger.force_update.as_ref().map(|f| f.value), Some(false));
    assert_eq!(
        ledger.ignore_tags.as_ref().map(|f| f.value.clone()),
        Some(vec!["*-debug".to_owned()])
    );
    assert_eq!(
        ledger.pull_secret.as_ref().map(|p| p.value.clone()),
        Some(PullSecret::Other("env:CREDS".into()))
    );
    let helm = ledger.helm.as_ref().expect("helm");
    assert_eq!(
        helm.name.as_ref().map(|f| f.value.as_str()),
        Some("ledger.repo")
    );
    assert_eq!(
        helm.tag.as_ref().map(|f| f.value.as_str()),
        Some("ledger.tag")
    );
    assert_eq!(helm.spec, None);

    let model = &pay.images[2];
    assert_eq!(model.constraint, None);
    assert_eq!(
        model.strategy.as_ref().map(|s| s.value),
        Some(Strategy::NewestBuild)
    );

    // Write-back: method from the spec, branch from the ref, the rest
    // from the spec.
    assert_eq!(
        pay.write.as_ref().map(|w| w.value.clone()),
        Some(WriteMethod::Git {
            credentials: Some("secret:apps/git".into())
        })
    );
    assert_eq!(pay.git.checkout_branch, None);
    assert_eq!(
        pay.git.push_branch.as_ref().map(|b| b.value.as_str()),
        Some("upd-{{.SHA256}}")
    );
    assert_eq!(
        pay.git.repository.as_ref().map(|r| r.value.as_str()),
        Some("https://git.example.com/deploy.git")
    );
    assert_eq!(
        pay.git.target.as_ref().map(|t| t.value.as_str()),
        Some("kustomization")
    );
    assert_eq!(
        rep.git.checkout_branch.as_ref().map(|b| b.value.as_str()),
        Some("main")
    );

    let api = &rep.images[0];
    assert_eq!(
        api.strategy.as_ref().map(|s| s.value),
        Some(Strategy::NewestBuild)
    );
    assert_eq!(
        api.tag_pattern.as_ref().map(|t| t.value.as_str()),
        Some("^main-")
    );
    assert_eq!(
        span(api.tag_pattern.as_ref().and_then(|t| t.origin)),
        Some("^main-")
    );
    assert_eq!(
        api.platforms.as_ref().map(|p| p.value.clone()),
        Some(vec!["linux/arm64".to_owned()])
    );

    let r = &pay.dropped;
    for (kind, field) in [
        (RemarkKind::NoEquivalent, "spec.namespace"),
        (RemarkKind::NoEquivalent, "spec.imagesVerification"),
        (
            RemarkKind::NoEquivalent,
            "spec.applicationRefs[1].labelSelectors",
        ),
        (
            RemarkKind::NoEquivalent,
            "spec.applicationRefs[1].writeBackConfig.gitConfig.pullRequest",
        ),
        (
            RemarkKind::NoEquivalent,
            "spec.applicationRefs[1].images[1].imagesVerification",
        ),
        (
            RemarkKind::NoEquivalent,
            "spec.applicationRefs[1].images[2].manifestTargets.plugin",
        ),
        (
            RemarkKind::Skipped,
            "spec.applicationRefs[0].useAnnotations",
        ),
        // The ref's block (allowTags only) hides newest-build and
        // forceUpdate on CRDs v1.0–v1.3.
        (
            RemarkKind::Normalized,
            "spec.applicationRefs[1].commonUpdateSettings",
        ),
    ] {
        assert!(has(r, kind, field), "{kind:?} {field}: {:?}", kinds(r));
    }
    assert!(
        !has(
            r,
            RemarkKind::Normalized,
            "spec.applicationRefs[1].images[1].commonUpdateSettings"
        ),
        "the ledger block sets both"
    );
    assert!(has(
        &rep.dropped,
        RemarkKind::Normalized,
        "spec.applicationRefs[2].images[0].commonUpdateSettings"
    ));
    assert!(!has(
        &rep.dropped,
        RemarkKind::Skipped,
        "spec.applicationRefs[0].useAnnotations"
    ));
}

#[test]
fn one_exported_ref_keeps_the_cr_name_and_use_annotations_alone_is_carried() {
    let one = CR.replace("    - namePattern: reports\n      images:\n        - alias: api\n          imageName: ghcr.io/org/api:~2\n          commonUpdateSettings:\n            platforms: [linux/arm64]\n", "");
    let all = read_text(&one);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].name, "platform");

    let only = "apiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\nmetadata:\n  name: legacy\n  namespace: argocd\nspec:\n  applicationRefs:\n    - namePattern: shop\n      useAnnotations: true\n";
    let application = app("shop", &[("image-list", "web=nginx")]);
    let ws = workspace(&[("cr.yaml", only), ("app.yaml", &application)]);
    let all = read(&ws, &Model::build(&ws));
    assert_eq!(all.len(), 1);
    assert!(all[0].images.is_empty());
    let r = &all[0].dropped[0];
    assert_eq!(r.kind, RemarkKind::Skipped);
    let o = r.origin.expect("origin");
    assert_eq!(ws.files[o.file].path, "app.yaml");
    assert_eq!(
        o.span.text(&application),
        "argocd-image-updater.argoproj.io/image-list"
    );
    // Writers skip it.
    assert!(
        write(&all[0], &WriteOptions::default())
            .documents
            .is_empty()
    );
    assert!(
        argo::write(&all[0], &WriteOptions::default())
            .documents
            .is_empty()
    );
}

/// What writing a CR adds: `updateStrategy: semver` wherever an image
/// has settings and no strategy.
fn with_explicit_semver(u: &Updater) -> Updater {
    let mut u = u.clone();
    for i in &mut u.images {
        let settings = i.tag_pattern.is_some()
            || i.ignore_tags.is_some()
            || i.force_update.is_some()
            || i.pull_secret.is_some()
            || i.platforms.is_some();
        if settings && i.strategy.is_none() {
            i.strategy = Some(Field::made(Strategy::Semver));
        }
    }
    u
}

#[test]
fn ranges_are_rewritten_without_equals() {
    for (from, to) in [
        (">=1.2", Some(">1.2 || 1.2")),
        (">= 1.2, <2", Some(">1.2 <2 || 1.2 <2")),
        (
            ">=3.1.0 <=4",
            Some(">3.1.0 <4 || >3.1.0 4 || 3.1.0 <4 || 3.1.0 4"),
        ),
        ("~1 || >=2", Some("~1 || >2 || 2")),
        ("=1.0.0", Some("1.0.0")),
        ("!=1.0.0", None),
    ] {
        assert_eq!(without_equals(from).as_deref(), to, "{from}");
    }
    // Every tag the original admits, the rewrite admits, and no other.
    use crate::resolve::constraint::Constraint;
    let tags = [
        "0.9.0", "1.0.0", "1.2.0", "1.2.5", "1.3.0", "1.9.9", "2.0.0", "3.0.9", "3.1.0", "3.1.4",
        "3.9.0", "4.0.0", "4.0.1", "4.1.0", "5.0.0",
    ];
    for range in [
        ">=1.2",
        ">= 1.2, <2",
        ">=3.1.0 <=4",
        "<=3.1",
        ">=1.2.5 <=1.9.9",
        ">=3.1.0 <4.0.0",
    ] {
        let a = Constraint::parse(range).expect("range");
        let rewritten = without_equals(range).expect("rewrite");
        let b = Constraint::parse(&rewritten).expect("rewritten range");
        for t in tags {
            let v = crate::resolve::version::Version::parse_argo(t).expect("version");
            assert_eq!(
                a.matches(&v),
                b.matches(&v),
                "{range} vs {rewritten} on {t}"
            );
        }
    }
}

#[test]
fn cr_round_trips_through_the_spec() {
    // `>=` is rewritten for imageName (see `write`); the rest of the
    // fixture goes through unchanged.
    for u in read_text(&CR.replace(">=3.8, <4", "^3.8")) {
        let w = write(&u, &WriteOptions::default());
        let back = reread(&w);
        assert_eq!(back.len(), 1, "{:?}", w.remarks);
        assert_same(&back[0], &with_explicit_semver(&u));
        assert_eq!(
            write(&back[0], &WriteOptions::default()).documents,
            w.documents
        );
    }
}

#[test]
fn annotations_round_trip_through_the_cr() {
    let text = app(
        "shop",
        &[
            ("image-list", "web=nginx:~1.26,api=ghcr.io/org/api:^2.0"),
            ("update-strategy", "newest-build"),
            ("web.allow-tags", "regexp:^1\\.26"),
            ("web.platforms", "linux/amd64,linux/arm64"),
            ("api.kustomize.image-name", "ghcr.io/org/api"),
            ("api.helm.image-tag", "api.tag"),
            ("api.pull-secret", "pullsecret:argocd/reg"),
            ("write-back-method", "git"),
            ("git-branch", "main:upd"),
            ("write-back-target", "kustomization:../base"),
        ],
    );
    let ws = workspace(&[("app.yaml", &text)]);
    let a = crate::model::read::argo::read(&ws, &Model::build(&ws)).remove(0);
    let cr = write(&a, &WriteOptions::default());
    // Both targets: the CRD takes one.
    assert_eq!(
        kinds(&cr.remarks),
        [(
            RemarkKind::NoEquivalent,
            "images[1].kustomize_name".to_owned()
        )]
    );
    let b = reread(&cr).remove(0);
    let mut want = a.clone();
    want.images[1].kustomize_name = None;
    assert_same(&b, &want);
    let c = reread(&argo::write(&b, &WriteOptions::default())).remove(0);
    assert_same(&c, &want);
}

/// Every property path the CRD (v1.3 / master schema of
/// imageupdaters.argocd-image-updater.argoproj.io) defines under the
/// parts we write, with its type; `[]` stands for a list item.
const SCHEMA: &[(&str, &str)] = &[
    ("apiVersion", "string"),
    ("kind", "string"),
    ("metadata", "object"),
    ("metadata.name", "string"),
    ("metadata.namespace", "string"),
    ("spec", "object"),
    ("spec.applicationRefs", "array"),
    ("spec.applicationRefs[]", "object"),
    ("spec.applicationRefs[].namePattern", "string"),
    ("spec.applicationRefs[].images", "array"),
    ("spec.applicationRefs[].images[]", "object"),
    ("spec.applicationRefs[].images[].alias", "string"),
    ("spec.applicationRefs[].images[].imageName", "string"),
    (
        "spec.applicationRefs[].images[].commonUpdateSettings",
        "object",
    ),
    (
        "spec.applicationRefs[].images[].commonUpdateSettings.allowTags",
        "string",
    ),
    (
        "spec.applicationRefs[].images[].commonUpdateSettings.forceUpdate",
        "boolean",
    ),
    (
        "spec.applicationRefs[].images[].commonUpdateSettings.ignoreTags",
        "array",
    ),
    (
        "spec.applicationRefs[].images[].commonUpdateSettings.ignoreTags[]",
        "string",
    ),
    (
        "spec.applicationRefs[].images[].commonUpdateSettings.platforms",
        "array",
    ),
    (
        "spec.applicationRefs[].images[].commonUpdateSettings.platforms[]",
        "string",
    ),
    (
        "spec.applicationRefs[].images[].commonUpdateSettings.pullSecret",
        "string",
    ),
    (
        "spec.applicationRefs[].images[].commonUpdateSettings.updateStrategy",
        "string",
    ),
    ("spec.applicationRefs[].images[].manifestTargets", "object"),
    (
        "spec.applicationRefs[].images[].manifestTargets.helm",
        "object",
    ),
    (
        "spec.applicationRefs[].images[].manifestTargets.helm.name",
        "string",
    ),
    (
        "spec.applicationRefs[].images[].manifestTargets.helm.tag",
        "string",
    ),
    (
        "spec.applicationRefs[].images[].manifestTargets.helm.spec",
        "string",
    ),
    (
        "spec.applicationRefs[].images[].manifestTargets.kustomize",
        "object",
    ),
    (
        "spec.applicationRefs[].images[].manifestTargets.kustomize.name",
        "string",
    ),
    ("spec.writeBackConfig", "object"),
    ("spec.writeBackConfig.method", "string"),
    ("spec.writeBackConfig.gitConfig", "object"),
    ("spec.writeBackConfig.gitConfig.repository", "string"),
    ("spec.writeBackConfig.gitConfig.branch", "string"),
    ("spec.writeBackConfig.gitConfig.writeBackTarget", "string"),
];

fn walk(v: &Value, path: &str, out: &mut Vec<(String, &'static str)>) {
    let kind = match v {
        Value::Object(m) => {
            for (k, c) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(c, &p, out);
            }
            "object"
        }
        Value::Array(items) => {
            for c in items {
                walk(c, &format!("{path}[]"), out);
            }
            "array"
        }
        Value::String(_) => "string",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::Null => "null",
    };
    if !path.is_empty() {
        out.push((path.to_owned(), kind));
    }
}

use crate::model::argo::alias_syntax_ok as alias_ok;

#[track_caller]
fn assert_valid(doc: &Value) {
    let mut paths = Vec::new();
    walk(doc, "", &mut paths);
    for (p, kind) in &paths {
        let known = SCHEMA.iter().find(|(s, _)| s == p);
        assert_eq!(
            known.map(|k| k.1),
            Some(*kind),
            "{p} ({kind}) is not in the schema"
        );
    }
    assert_eq!(doc["apiVersion"], API_VERSION);
    assert_eq!(doc["kind"], KIND);
    assert!(doc["spec"].get("namespace").is_none());
    let name = doc["metadata"]["name"].as_str().expect("name");
    assert_eq!(k8s_name(name), name);
    let refs = doc["spec"]["applicationRefs"].as_array().expect("refs");
    assert!(!refs.is_empty());
    for r in refs {
        assert!(r["namePattern"].is_string());
        let images = r["images"].as_array().expect("images");
        assert!(!images.is_empty());
        let mut seen = HashSet::new();
        for i in images {
            let alias = i["alias"].as_str().expect("alias");
            assert!(alias_ok(alias) && seen.insert(alias), "{alias}");
            assert!(i["imageName"].as_str().is_some_and(|n| !n.is_empty()));
            if let Some(c) = i.get("commonUpdateSettings") {
                assert!(c["updateStrategy"].is_string(), "{c}");
            }
            if let Some(t) = i.get("manifestTargets") {
                assert_eq!(t.as_object().map(|m| m.len()), Some(1));
                if let Some(k) = t.get("kustomize") {
                    assert!(k["name"].is_string());
                }
            }
        }
    }
    if let Some(m) = doc["spec"].pointer("/writeBackConfig/method") {
        assert!(method_ok(m.as_str().expect("string")), "{m}");
    }
}

#[test]
fn written_crs_fit_the_schema() {
    let mut us = read_text(CR);
    let ws = workspace(&[(
        "app.yaml",
        &app(
            "Shop_App",
            &[
                ("image-list", "nginx:1.x,x/-bad,y=ghcr.io/y:>=1,z=a/b,z=a/c"),
                ("y.allow-tags", "regexp:^1"),
                ("write-back-method", "git:"),
            ],
        ),
    )]);
    us.extend(crate::model::read::argo::read(&ws, &Model::build(&ws)));
    for u in &us {
        let w = write(u, &WriteOptions::default());
        assert_eq!(w.documents.len(), 1, "{:?}", w.remarks);
        assert_valid(&w.documents[0]);
    }
    let w = write(us.last().expect("app"), &WriteOptions::default());
    let doc = &w.documents[0];
    assert_eq!(doc["metadata"]["name"], "shop-app");
    assert_eq!(doc["spec"]["applicationRefs"][0]["namePattern"], "Shop_App");
    assert_eq!(doc["spec"]["writeBackConfig"]["method"], "git");
    let aliases: Vec<&str> = doc["spec"]["applicationRefs"][0]["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter_map(|i| i["alias"].as_str())
        .collect();
    assert_eq!(aliases, ["nginx", "bad", "y", "z", "c"]);
    // `ghcr.io/y:>=1` would read as alias `ghcr.io/y:>`.
    let y = &doc["spec"]["applicationRefs"][0]["images"][2];
    assert_eq!(y["imageName"], "ghcr.io/y:>1 || 1");
    assert!(has(
        &w.remarks,
        RemarkKind::Normalized,
        "images[2].constraint"
    ));
    for (kind, field) in [
        (RemarkKind::Normalized, "metadata.name"),
        (RemarkKind::Normalized, "images[0].alias"),
        (RemarkKind::Normalized, "images[1].alias"),
        (RemarkKind::Normalized, "images[4].alias"),
        (RemarkKind::NoEquivalent, "write"),
    ] {
        assert!(
            has(&w.remarks, kind, field),
            "{kind:?} {field}: {:?}",
            kinds(&w.remarks)
        );
    }
}

#[test]
fn namespace_comes_from_the_options_the_app_or_a_default() {
    let mut u = read_text(CR).remove(1);
    let opts = WriteOptions {
        namespace: Some("team".into()),
    };
    assert_eq!(
        write(&u, &opts).documents[0]["metadata"]["namespace"],
        "team"
    );
    assert_eq!(
        write(&u, &WriteOptions::default()).documents[0]["metadata"]["namespace"],
        "apps"
    );
    u.namespace = None;
    u.app.namespace = None;
    let w = write(&u, &WriteOptions::default());
    assert_eq!(w.documents[0]["metadata"]["namespace"], "argocd");
    assert!(has(
        &w.remarks,
        RemarkKind::Normalized,
        "metadata.namespace"
    ));
    u.images.clear();
    let w = write(&u, &WriteOptions::default());
    assert!(w.documents.is_empty());
    assert!(has(&w.remarks, RemarkKind::Skipped, "images"));
}

#[test]
fn names_and_methods() {
    assert_eq!(k8s_name("Podinfo_Automation"), "podinfo-automation");
    assert_eq!(k8s_name("platform-shop-*"), "platform-shop");
    assert_eq!(k8s_name("--"), "image-updater");
    assert_eq!(k8s_name(&"a".repeat(300)).len(), 253);
    for ok in ["argocd", "git", "git:repocreds", "git:secret:ns/name"] {
        assert!(method_ok(ok), "{ok}");
    }
    for bad in ["git:", "git::x", "svn", "git:-x"] {
        assert!(!method_ok(bad), "{bad}");
    }
}

#[test]
fn never_panics_on_damaged_crs() {
    let mut rng = crate::testutil::Rng::new(0xC0FFEE);
    let m = crate::testutil::Mutation {
        inserts: &[
            "\n", "  ", ":", "- ", "[", "{", "'", "=", ",", "@", "regexp:",
        ],
        max_edits: 4,
        max_cut: 30,
        max_copy: 60,
        junk: Some("ab:=,'\" \n-[]"),
    };
    for _ in 0..300 {
        let text = rng.mutate(CR, &m);
        for u in read_text(&text) {
            let _ = write(&u, &WriteOptions::default());
            let _ = argo::write(&u, &WriteOptions::default());
        }
    }
}
