use super::*;
use std::collections::BTreeMap;

use crate::export::emit;
use crate::model::Model;
use crate::model::read::argo::read;
use crate::model::spec::{Dialect, Engine, Git, Image, SigningKey, SourceRef};

const P: &str = ANNOTATION_PREFIX;

use crate::testutil::workspace;

pub(crate) fn read_text(text: &str) -> Vec<Updater> {
    let ws = workspace(&[("app.yaml", text)]);
    read(&ws, &Model::build(&ws))
}

fn one(text: &str) -> Updater {
    let mut all = read_text(text);
    assert_eq!(all.len(), 1, "{text}");
    all.remove(0)
}

/// An Application with these annotations (prefix added, values
/// single-quoted).
pub(crate) fn app(name: &str, annotations: &[(&str, &str)]) -> String {
    let mut s = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\n  annotations:\n"
    );
    for (k, v) in annotations {
        s.push_str(&format!("    {P}{k}: '{}'\n", v.replace('\'', "''")));
    }
    s.push_str("spec:\n  project: default\n");
    s
}

/// The text an origin points at.
fn at(text: &str, o: Option<Origin>) -> &str {
    o.expect("an origin").span.text(text)
}

fn annotations_of(w: &Written) -> BTreeMap<String, String> {
    assert_eq!(w.documents.len(), 1, "{:?}", w.remarks);
    w.documents[0]["metadata"]["annotations"]
        .as_object()
        .expect("annotations")
        .iter()
        .map(|(k, v)| {
            (
                k.strip_prefix(P).unwrap_or(k).to_owned(),
                v.as_str().expect("string values").to_owned(),
            )
        })
        .collect()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn kinds(remarks: &[Remark]) -> Vec<(RemarkKind, String)> {
    remarks.iter().map(|r| (r.kind, r.field.clone())).collect()
}

fn has(remarks: &[Remark], kind: RemarkKind, field: &str) -> bool {
    remarks
        .iter()
        .any(|r| r.kind == kind && r.field.contains(field))
}

/// Written documents read back through the readers.
pub(crate) fn reread(w: &Written) -> Vec<Updater> {
    let text = emit::yaml(&w.documents);
    let ws = workspace(&[("out.yaml", &text)]);
    let model = Model::build(&ws);
    let mut out = read(&ws, &model);
    out.extend(crate::model::read::argo_crd::read(&ws, &model));
    out
}

#[track_caller]
pub(crate) fn assert_same(a: &Updater, b: &Updater) {
    // `Image` derives PartialEq, so its `origin` (documented as not
    // compared) would make every re-read differ.
    let strip = |u: &Updater| {
        let mut u = u.clone();
        for i in &mut u.images {
            i.origin = None;
        }
        u
    };
    let (a, b) = (&strip(a), &strip(b));
    if a.same_spec(b) {
        return;
    }
    let mut what = Vec::new();
    if a.name != b.name || a.namespace != b.namespace || a.engine != b.engine {
        what.push(format!(
            "name/ns/engine {:?} {:?}",
            (&a.name, &a.namespace, a.engine),
            (&b.name, &b.namespace, b.engine)
        ));
    }
    if a.app != b.app {
        what.push(format!("app {:?} vs {:?}", a.app, b.app));
    }
    if a.write != b.write {
        what.push(format!("write {:?} vs {:?}", a.write, b.write));
    }
    if a.git != b.git {
        what.push(format!("git {:?} vs {:?}", a.git, b.git));
    }
    if a.images.len() != b.images.len() {
        what.push(format!("{} vs {} images", a.images.len(), b.images.len()));
    }
    for (x, y) in a.images.iter().zip(&b.images) {
        if x != y {
            what.push(format!("image\n{x:?}\nvs\n{y:?}"));
        }
    }
    panic!("specs differ: {}", what.join("\n"));
}

const FULL: &[(&str, &str)] = &[
    (
        "image-list",
        "web=docker.io/library/nginx:~1.26, api = ghcr.io/org/api:>=2.0 <3, plain:1.x",
    ),
    ("update-strategy", "LATEST"),
    ("allow-tags", "regexp:^v"),
    ("ignore-tags", "*-rc*,*-beta*"),
    ("force-update", "true"),
    ("pull-secret", "pullsecret:argocd/regcred"),
    ("web.update-strategy", "Name"),
    ("web.allow-tags", "any"),
    ("web.ignore-tags", "dev"),
    ("web.force-update", "F"),
    ("web.pull-secret", "env:REGISTRY_CREDS"),
    ("web.platforms", "linux/amd64, linux/arm64/v8"),
    ("web.helm.image-name", "web.image.repository"),
    ("web.helm.image-tag", "web.image.tag"),
    ("web.helm.image-spec", "web.image.full"),
    ("api.kustomize.image-name", "ghcr.io/org/api"),
    ("api.update-strategy", "digest"),
    ("write-back-method", "git:secret:argocd/git-creds"),
    ("git-branch", "main:image-updater-{{.SHA256}}"),
    ("git-repository", "https://git.example.com/org/deploy.git"),
    ("write-back-target", "helmvalues:values/prod.yaml"),
];

#[test]
fn every_annotation_key_is_read_with_its_origin() {
    let text = app("shop", FULL);
    let u = one(&text);
    assert_eq!(u.name, "shop");
    assert_eq!(u.namespace.as_deref(), Some("argocd"));
    assert_eq!(u.engine, Engine::Argocd);
    assert_eq!(u.app.name.as_ref().map(|f| f.value.as_str()), Some("shop"));
    assert_eq!(
        at(&text, u.app.name.as_ref().and_then(|f| f.origin)),
        "shop"
    );
    assert_eq!(
        at(&text, u.app.namespace.as_ref().and_then(|f| f.origin)),
        "argocd"
    );
    assert_eq!(u.images.len(), 3);

    let web = &u.images[0];
    assert_eq!(web.alias.as_ref().map(|a| a.value.as_str()), Some("web"));
    assert_eq!(web.name.value, "docker.io/library/nginx");
    assert_eq!(at(&text, web.name.origin), "docker.io/library/nginx");
    assert_eq!(
        at(&text, web.constraint.as_ref().and_then(|c| c.origin)),
        "~1.26"
    );
    assert_eq!(at(&text, web.origin), "web=docker.io/library/nginx:~1.26");
    let s = web.strategy.as_ref().map(|s| s.value);
    assert_eq!(s, Some(Strategy::Alphabetical { desc: false }));
    assert_eq!(
        at(&text, web.strategy.as_ref().and_then(|s| s.origin)),
        "'Name'"
    );
    // `any` at the alias level overrides the app-wide regexp.
    assert_eq!(web.tag_pattern, None);
    assert_eq!(
        web.ignore_tags.as_ref().map(|f| f.value.clone()),
        Some(vec!["dev".to_owned()])
    );
    assert_eq!(web.force_update.as_ref().map(|f| f.value), Some(false));
    assert_eq!(
        web.pull_secret.as_ref().map(|f| f.value.clone()),
        Some(PullSecret::Other("env:REGISTRY_CREDS".into()))
    );
    assert_eq!(
        web.platforms.as_ref().map(|f| f.value.clone()),
        Some(vec!["linux/amd64".to_owned(), "linux/arm64/v8".to_owned()])
    );
    let helm = web.helm.as_ref().expect("helm target");
    assert_eq!(
        helm.name.as_ref().map(|f| f.value.as_str()),
        Some("web.image.repository")
    );
    assert_eq!(
        helm.tag.as_ref().map(|f| f.value.as_str()),
        Some("web.image.tag")
    );
    assert_eq!(
        helm.spec.as_ref().map(|f| f.value.as_str()),
        Some("web.image.full")
    );

    let api = &u.images[1];
    assert_eq!(api.alias.as_ref().map(|a| a.value.as_str()), Some("api"));
    assert_eq!(api.name.value, "ghcr.io/org/api");
    assert_eq!(
        api.constraint.as_ref().map(|c| c.value.as_str()),
        Some(">=2.0 <3")
    );
    assert_eq!(
        api.strategy.as_ref().map(|s| s.value),
        Some(Strategy::Digest)
    );
    assert_eq!(
        api.tag_pattern.as_ref().map(|t| t.value.as_str()),
        Some("^v")
    );
    assert_eq!(
        at(&text, api.tag_pattern.as_ref().and_then(|t| t.origin)),
        "^v"
    );
    assert_eq!(
        api.kustomize_name.as_ref().map(|k| k.value.as_str()),
        Some("ghcr.io/org/api")
    );
    assert_eq!(api.force_update.as_ref().map(|f| f.value), Some(true));
    assert_eq!(
        api.pull_secret.as_ref().map(|f| f.value.clone()),
        Some(PullSecret::Secret {
            namespace: Some("argocd".into()),
            name: "regcred".into()
        })
    );
    assert_eq!(api.platforms, None, "no app-wide platforms");

    // Alias-less: only app-wide settings.
    let plain = &u.images[2];
    assert_eq!(plain.alias, None);
    assert_eq!(plain.name.value, "plain");
    assert_eq!(
        plain.strategy.as_ref().map(|s| s.value),
        Some(Strategy::NewestBuild)
    );
    assert_eq!(
        plain.ignore_tags.as_ref().map(|f| f.value.clone()),
        Some(vec!["*-rc*".to_owned(), "*-beta*".to_owned()])
    );

    assert_eq!(
        u.write.as_ref().map(|w| w.value.clone()),
        Some(WriteMethod::Git {
            credentials: Some("secret:argocd/git-creds".into())
        })
    );
    let g = &u.git;
    assert_eq!(
        at(&text, g.checkout_branch.as_ref().and_then(|f| f.origin)),
        "main"
    );
    assert_eq!(
        at(&text, g.push_branch.as_ref().and_then(|f| f.origin)),
        "image-updater-{{.SHA256}}"
    );
    assert_eq!(
        g.repository.as_ref().map(|f| f.value.as_str()),
        Some("https://git.example.com/org/deploy.git")
    );
    assert_eq!(
        g.target.as_ref().map(|f| f.value.as_str()),
        Some("helmvalues:values/prod.yaml")
    );
    assert!(u.dropped.is_empty(), "{:?}", u.dropped);
    let (d, o) = u.from.expect("from");
    assert_eq!(d, Dialect::Argocd);
    assert_eq!(o.span.text(&text), format!("{P}image-list"));
}

#[test]
fn branch_and_method_forms() {
    for (branch, checkout, push) in [
        ("main", Some("main"), None),
        (":upd-{{.SHA256}}", None, Some("upd-{{.SHA256}}")),
        ("dev:upd", Some("dev"), Some("upd")),
    ] {
        let u = one(&app("a", &[("image-list", "x"), ("git-branch", branch)]));
        assert_eq!(u.git.checkout_branch.map(|f| f.value).as_deref(), checkout);
        assert_eq!(u.git.push_branch.map(|f| f.value).as_deref(), push);
    }
    for (method, want) in [
        ("argocd", WriteMethod::InCluster),
        ("git", WriteMethod::Git { credentials: None }),
        (
            "git:repocreds",
            WriteMethod::Git {
                credentials: Some("repocreds".into()),
            },
        ),
    ] {
        let u = one(&app(
            "a",
            &[("image-list", "x"), ("write-back-method", method)],
        ));
        assert_eq!(u.write.map(|w| w.value), Some(want));
    }
}

#[test]
fn present_alias_key_wins_even_when_empty_and_slash_aliases_use_underscore() {
    let u = one(&app(
        "a",
        &[
            ("image-list", "org/web=nginx,api=x"),
            ("update-strategy", "digest"),
            ("org_web.update-strategy", "newest-build"),
            ("api.update-strategy", ""),
        ],
    ));
    assert_eq!(
        u.images[0].strategy.as_ref().map(|s| s.value),
        Some(Strategy::NewestBuild)
    );
    assert_eq!(u.images[1].strategy, None);
}

#[test]
fn lossy_source_values_become_remarks() {
    let text = app(
        "a",
        &[
            (
                "image-list",
                "web=nginx:1.x,worker=,nginx:>=1.0,d=x@sha256:0123456789012345678901234567890123456789012345678901234567890123",
            ),
            ("web.tag-match", "regexp:^1"),
            ("update-interval", "5m"),
            ("ghost.update-strategy", "semver"),
            ("platforms", "linux/amd64"),
            ("web.allow-tags", "^v1"),
            ("web.force-update", "yes-please"),
            ("web.update-strategy", "newest"),
            ("git-branch", "a:b:c"),
            ("write-back-method", "svn"),
        ],
    );
    let u = one(&text);
    assert_eq!(u.images.len(), 2, "web and d");
    let k = kinds(&u.dropped);
    let want = [
        (RemarkKind::Skipped, "image-list"),
        (RemarkKind::NoEquivalent, "web.tag-match"),
        (RemarkKind::NoEquivalent, "update-interval"),
        (RemarkKind::NoEquivalent, "ghost.update-strategy"),
        (RemarkKind::NoEquivalent, "/platforms"),
        (RemarkKind::NoEquivalent, "web.allow-tags"),
        (RemarkKind::NoEquivalent, "web.force-update"),
        (RemarkKind::Normalized, "web.update-strategy"),
        (RemarkKind::NoEquivalent, "git-branch"),
        (RemarkKind::NoEquivalent, "write-back-method"),
    ];
    for (kind, field) in want {
        assert!(has(&u.dropped, kind, field), "{kind:?} {field}: {k:?}");
    }
    let skipped: Vec<&str> = u
        .dropped
        .iter()
        .filter(|r| r.kind == RemarkKind::Skipped)
        .map(|r| at(&text, r.origin))
        .collect();
    assert_eq!(skipped, ["worker=", "nginx:>=1.0"]);
    let digest = u
        .dropped
        .iter()
        .find(|r| r.message.contains("digest"))
        .expect("digest remark");
    assert!(at(&text, digest.origin).starts_with("sha256:"));
    assert_eq!(
        u.images[0].strategy.as_ref().map(|s| s.value),
        Some(Strategy::Semver)
    );
    assert_eq!(u.images[0].tag_pattern, None);
    assert_eq!(u.write, None);
}

#[test]
fn applications_without_image_list_are_not_updaters() {
    let text = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  annotations:\n    argocd-image-updater.argoproj.io/image-list: x\n";
    assert!(read_text(text).is_empty());
}

#[test]
fn write_hoists_shared_settings_and_keeps_the_rest_per_alias() {
    let u = one(&app("shop", FULL));
    let w = write(&u, &WriteOptions::default());
    assert_eq!(
        kinds(&w.remarks),
        [(RemarkKind::Normalized, "images[2].alias".to_owned())]
    );
    assert_eq!(
        annotations_of(&w),
        map(&[
            (
                "image-list",
                "web=docker.io/library/nginx:~1.26,api=ghcr.io/org/api:>=2.0 <3,plain:1.x"
            ),
            ("write-back-method", "git:secret:argocd/git-creds"),
            ("git-branch", "main:image-updater-{{.SHA256}}"),
            ("git-repository", "https://git.example.com/org/deploy.git"),
            ("write-back-target", "helmvalues:values/prod.yaml"),
            ("web.update-strategy", "alphabetical"),
            ("web.ignore-tags", "dev"),
            ("web.force-update", "false"),
            ("web.pull-secret", "env:REGISTRY_CREDS"),
            ("web.platforms", "linux/amd64,linux/arm64/v8"),
            ("web.helm.image-name", "web.image.repository"),
            ("web.helm.image-tag", "web.image.tag"),
            ("web.helm.image-spec", "web.image.full"),
            ("api.update-strategy", "digest"),
            ("api.allow-tags", "regexp:^v"),
            ("api.ignore-tags", "*-rc*,*-beta*"),
            ("api.force-update", "true"),
            ("api.pull-secret", "pullsecret:argocd/regcred"),
            ("api.kustomize.image-name", "ghcr.io/org/api"),
            // The alias-less image needs per-alias keys: invented.
            ("plain.update-strategy", "newest-build"),
            ("plain.allow-tags", "regexp:^v"),
            ("plain.ignore-tags", "*-rc*,*-beta*"),
            ("plain.force-update", "true"),
            ("plain.pull-secret", "pullsecret:argocd/regcred"),
        ])
        .into_iter()
        .map(|(k, v)| if k == "image-list" {
            (
                k,
                "web=docker.io/library/nginx:~1.26,api=ghcr.io/org/api:>=2.0 <3,plain=plain:1.x"
                    .to_owned(),
            )
        } else {
            (k, v)
        })
        .collect()
    );
    let doc = &w.documents[0];
    assert_eq!(doc["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(doc["kind"], "Application");
    assert_eq!(doc["metadata"]["name"], "shop");
    assert_eq!(doc["metadata"]["namespace"], "argocd");
    assert_eq!(
        doc.as_object().map(|m| m.len()),
        Some(3),
        "a merge patch: nothing else"
    );
    assert_eq!(doc["metadata"].as_object().map(|m| m.len()), Some(3));
}

#[test]
fn shared_settings_are_written_app_wide() {
    let u = one(&app(
        "w",
        &[
            ("image-list", "a=x/a:1.x,b=x/b:2.x"),
            ("a.update-strategy", "semver"),
            ("b.update-strategy", "semver"),
            ("a.pull-secret", "pullsecret:ns/s"),
            ("b.pull-secret", "pullsecret:ns/s"),
            ("a.allow-tags", "regexp:^1"),
        ],
    ));
    let w = write(&u, &WriteOptions::default());
    assert_eq!(
        annotations_of(&w),
        map(&[
            ("image-list", "a=x/a:1.x,b=x/b:2.x"),
            ("update-strategy", "semver"),
            ("pull-secret", "pullsecret:ns/s"),
            ("a.allow-tags", "regexp:^1"),
        ])
    );
}

#[test]
fn annotations_round_trip_through_the_spec() {
    for pairs in [
        FULL,
        &[("image-list", "nginx,redis:7.x")][..],
        &[
            ("image-list", "a=x/a:1.x,nginx"),
            ("update-strategy", "semver"),
            ("a.platforms", "linux/arm64"),
        ][..],
    ] {
        let u = one(&app("rt", pairs));
        let w = write(&u, &WriteOptions::default());
        let back = reread(&w);
        assert_eq!(back.len(), 1);
        // The alias-less item with settings of its own gets one.
        let mut want = u.clone();
        for (i, img) in want.images.iter_mut().enumerate() {
            if img.alias.is_none() && back[0].images[i].alias.is_some() {
                img.alias = back[0].images[i].alias.clone();
            }
        }
        assert_same(&back[0], &want);
        // And the written form is a fixed point.
        let again = write(&back[0], &WriteOptions::default());
        assert_eq!(again.documents, w.documents);
    }
}

fn flux_like() -> Updater {
    let f = |v: &str| Some(Field::made(v.to_owned()));
    Updater {
        name: "Podinfo_Automation".into(),
        engine: Engine::Fluxcd,
        images: vec![
            Image {
                alias: f("podinfo"),
                name: Field::made("ghcr.io/stefanprodan/podinfo".into()),
                constraint: f(">=6.0.0, <7.0.0"),
                strategy: Some(Field::made(Strategy::Numerical { desc: false })),
                tag_pattern: f("^main-(?P<ts>[0-9]+)$"),
                extract: f("$ts"),
                scan_interval: f("5m"),
                reflect_digest: f("Always"),
                pull_secret: Some(Field::made(PullSecret::Secret {
                    namespace: None,
                    name: "regcred".into(),
                })),
                ..Default::default()
            },
            Image {
                name: Field::made("nginx".into()),
                constraint: f(">=1.0"),
                strategy: Some(Field::made(Strategy::Alphabetical { desc: true })),
                ..Default::default()
            },
            Image {
                alias: f("tagged"),
                name: Field::made("ghcr.io/org/t".into()),
                constraint: f("a,b"),
                strategy: Some(Field::made(Strategy::Digest)),
                ..Default::default()
            },
        ],
        write: Some(Field::made(WriteMethod::Git { credentials: None })),
        git: Git {
            source_ref: Some(Field::made(SourceRef {
                kind: "GitRepository".into(),
                name: "flux-system".into(),
                namespace: None,
            })),
            checkout_branch: f("main"),
            path: f("./clusters"),
            author_name: f("bot"),
            author_email: f("bot@example.com"),
            signing_key: Some(Field::made(SigningKey {
                secret: "gpg".into(),
                kind: None,
            })),
            message_template: f("update"),
            interval: f("30m"),
            automation: f("podinfo"),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn values_argo_cannot_hold_are_remarked() {
    let u = flux_like();
    let w = write(&u, &WriteOptions::default());
    let r = &w.remarks;
    for (kind, field) in [
        (RemarkKind::Normalized, "app.name"),
        (RemarkKind::Normalized, "metadata.namespace"),
        (RemarkKind::NoEquivalent, "images[0].strategy"),
        (RemarkKind::Normalized, "images[0].constraint"),
        (RemarkKind::NoEquivalent, "images[0].extract"),
        (RemarkKind::NoEquivalent, "images[0].scan_interval"),
        (RemarkKind::NoEquivalent, "images[0].reflect_digest"),
        (RemarkKind::Normalized, "images[0].pull_secret"),
        (RemarkKind::NoEquivalent, "images[1].strategy"),
        (RemarkKind::Normalized, "images[1].alias"),
        (RemarkKind::NoEquivalent, "images[2].constraint"),
        (RemarkKind::NoEquivalent, "git.source_ref"),
        (RemarkKind::NoEquivalent, "git.path"),
        (RemarkKind::NoEquivalent, "git.author_name"),
        (RemarkKind::NoEquivalent, "git.author_email"),
        (RemarkKind::NoEquivalent, "git.signing_key"),
        (RemarkKind::NoEquivalent, "git.message_template"),
        (RemarkKind::NoEquivalent, "git.interval"),
        (RemarkKind::NoEquivalent, "git.automation"),
    ] {
        assert!(has(r, kind, field), "{kind:?} {field}: {:?}", kinds(r));
    }
    let a = annotations_of(&w);
    assert_eq!(
        a["image-list"],
        "podinfo=ghcr.io/stefanprodan/podinfo:>=6.0.0 <7.0.0,nginx=nginx:>=1.0,tagged=ghcr.io/org/t"
    );
    assert_eq!(a["podinfo.pull-secret"], "pullsecret:argocd/regcred");
    assert_eq!(a["podinfo.allow-tags"], "regexp:^main-(?P<ts>[0-9]+)$");
    assert_eq!(a["tagged.update-strategy"], "digest");
    assert_eq!(a["git-branch"], "main");
    assert_eq!(a["write-back-method"], "git");
    assert!(!a.contains_key("nginx.update-strategy"));
    assert_eq!(w.documents[0]["metadata"]["name"], "Podinfo_Automation");
    // The nginx alias exists only because `>=` needs one.
    let back = reread(&w);
    assert_eq!(
        back[0].images[1]
            .constraint
            .as_ref()
            .map(|c| c.value.as_str()),
        Some(">=1.0")
    );
}

#[test]
fn a_glob_application_cannot_be_annotated() {
    let mut u = one(&app("a", &[("image-list", "x")]));
    u.app.name = Some(Field::made("shop-*".into()));
    let w = write(&u, &WriteOptions::default());
    assert!(w.documents.is_empty());
    assert_eq!(
        kinds(&w.remarks),
        [(RemarkKind::Skipped, "app.name".to_owned())]
    );
    let ws = workspace(&[("a.yaml", &app("a", &[("image-list", "x")]))]);
    let m = merge_in_place(&ws, &Model::build(&ws), &u, &WriteOptions::default())
        .expect("a remark, not an error");
    assert!(m.change.is_none());
    assert_eq!(
        kinds(&m.remarks),
        [(RemarkKind::Skipped, "app.name".to_owned())]
    );
}

#[test]
fn invented_aliases_are_valid_unique_and_deterministic() {
    let img = |name: &str, strategy: Strategy| Image {
        name: Field::made(name.into()),
        strategy: Some(Field::made(strategy)),
        ..Default::default()
    };
    let mut u = Updater {
        name: "a".into(),
        namespace: Some("ns".into()),
        images: vec![
            img("ghcr.io/org/web", Strategy::Semver),
            img("quay.io/other/web", Strategy::Digest),
            img("registry:5000/_x_/-web_", Strategy::NewestBuild),
            img("ghcr.io/org/web", Strategy::Semver),
        ],
        ..Default::default()
    };
    u.images[3].alias = Some(Field::made("bad alias".into()));
    let w1 = write(&u, &WriteOptions::default());
    let w2 = write(&u, &WriteOptions::default());
    assert_eq!(w1.documents, w2.documents);
    let a = annotations_of(&w1);
    assert_eq!(
        a["image-list"],
        "web=ghcr.io/org/web,web-2=quay.io/other/web,web_=registry:5000/_x_/-web_,web-3=ghcr.io/org/web"
    );
    for alias in ["web", "web-2", "web_", "web-3"] {
        assert!(valid_alias(alias));
        assert!(
            a.contains_key(&format!("{alias}.update-strategy")),
            "{alias}"
        );
    }
    assert_eq!(
        w1.remarks
            .iter()
            .filter(|r| r.kind == RemarkKind::Normalized && r.field.ends_with(".alias"))
            .count(),
        4
    );
    assert_eq!(invent_alias("", &HashSet::new()), "image");
    assert_eq!(invent_alias("x/---", &HashSet::new()), "image");
    assert!(valid_alias(&invent_alias(
        &"é".repeat(100),
        &HashSet::new()
    )));
    assert!(!valid_alias(&"a".repeat(MAX_ALIAS + 1)));
}

// ---- in place ----

fn merged(files: &[(&str, &str)], u: &Updater) -> Result<Merged, MergeError> {
    let ws = workspace(files);
    merge_in_place(&ws, &Model::build(&ws), u, &WriteOptions::default())
}

/// Applies a merge, checks it the way the brief asks, returns the text.
#[track_caller]
fn merge_ok(text: &str, u: &Updater) -> String {
    let m = merged(&[("apps/app.yaml", text)], u).expect("merge");
    let change = m.change.expect("a change");
    assert_eq!(change.path, "apps/app.yaml");
    let new = change.new_text.clone();
    // Bytes outside the edited ranges are identical.
    let mut at_old = 0;
    let mut at_new = 0;
    let mut edits = change.edits.clone();
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    for e in &edits {
        let keep = e.range.start - at_old;
        assert_eq!(&text[at_old..e.range.start], &new[at_new..at_new + keep]);
        at_new += keep + e.text.len();
        at_old = e.range.end;
    }
    assert_eq!(&text[at_old..], &new[at_new..]);
    // Read back: the same updater.
    let back = read_text(&new);
    assert_eq!(back.len(), 1, "{new}");
    let mut want = u.clone();
    if !text.contains("namespace:") {
        // The merge sets annotations only; the namespace stays the file's.
        want.namespace = None;
        want.app.namespace = None;
    }
    let written = write(u, &WriteOptions::default());
    let via = reread(&written);
    for (i, img) in want.images.iter_mut().enumerate() {
        img.alias = via[0].images[i].alias.clone();
    }
    assert_same(&back[0], &want);
    // Nothing left to do.
    let again = merged(&[("apps/app.yaml", &new)], u).expect("second merge");
    assert!(again.change.is_none(), "second merge changed:\n{new}");
    new
}

fn target() -> Updater {
    one(&app(
        "shop",
        &[
            ("image-list", "web=nginx:1.x,api=ghcr.io/org/api:~2"),
            ("web.update-strategy", "digest"),
            ("api.allow-tags", "regexp:^v2\\."),
            ("write-back-method", "git"),
        ],
    ))
}

const OLD: &str = "\
# leading comment
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: shop
  namespace: argocd
  annotations:
    # image updater settings
    argocd-image-updater.argoproj.io/image-list: \"web=nginx:1.x\"   # the list
    notes.example.com/owner: team-a
    argocd-image-updater.argoproj.io/web.update-strategy: 'digest'
    argocd-image-updater.argoproj.io/web.tag-match: regexp:^1
    argocd-image-updater.argoproj.io/write-back-method: argocd
  labels:
    app: shop
spec:
  project: default
";

#[test]
fn in_place_replaces_removes_and_inserts_only_annotation_lines() {
    let new = merge_ok(OLD, &target());
    assert_eq!(
            new,
            "\
# leading comment
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: shop
  namespace: argocd
  annotations:
    # image updater settings
    argocd-image-updater.argoproj.io/image-list: \"web=nginx:1.x,api=ghcr.io/org/api:~2\"   # the list
    notes.example.com/owner: team-a
    argocd-image-updater.argoproj.io/web.update-strategy: 'digest'
    argocd-image-updater.argoproj.io/write-back-method: git
    argocd-image-updater.argoproj.io/api.allow-tags: \"regexp:^v2\\\\.\"
  labels:
    app: shop
spec:
  project: default
"
        );
}

#[test]
fn in_place_keeps_crlf_bom_and_non_ascii() {
    let old = format!(
        "\u{feff}{}",
        OLD.replace("team-a", "équipe-ü").replace('\n', "\r\n")
    );
    let new = merge_ok(&old, &target());
    assert!(new.starts_with('\u{feff}'));
    assert_eq!(
        new.matches('\n').count(),
        new.matches("\r\n").count(),
        "{new:?}"
    );
    assert!(new.contains("notes.example.com/owner: équipe-ü\r\n"));
    assert!(new.contains(
        "\r\n    argocd-image-updater.argoproj.io/api.allow-tags: \"regexp:^v2\\\\.\"\r\n  labels:"
    ));
}

#[test]
fn in_place_creates_a_missing_or_null_annotations_mapping() {
    let u = target();
    let bare = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n    name: shop   # app\n    labels:\n        a: b\nspec: {}\n";
    let new = merge_ok(bare, &u);
    assert!(
            new.starts_with("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n    name: shop   # app\n    labels:\n        a: b\n    annotations:\n        argocd-image-updater.argoproj.io/image-list: web=nginx:1.x,api=ghcr.io/org/api:~2\n"),
            "{new}"
        );
    for null in ["", " ~", " null"] {
        let text = format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  annotations:{null}\n  labels: {{a: b}}\n"
        );
        let new = merge_ok(&text, &u);
        assert!(
            new.contains("  annotations:\n    argocd-image-updater.argoproj.io/image-list: "),
            "{new}"
        );
    }
    // No trailing line break at the end of the file.
    let eof = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop";
    let new = merge_ok(eof, &u);
    assert!(
        new.starts_with(&format!("{eof}\n  annotations:\n")),
        "{new}"
    );
}

#[test]
fn in_place_replaces_block_scalars_and_typed_values() {
    let u = one(&app(
        "shop",
        &[("image-list", "web=nginx"), ("web.force-update", "true")],
    ));
    let text = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  annotations:\n    argocd-image-updater.argoproj.io/image-list: |\n      web=nginx:1.x\n    argocd-image-updater.argoproj.io/web.force-update: true\n";
    let new = merge_ok(text, &u);
    assert_eq!(
        new,
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  annotations:\n    argocd-image-updater.argoproj.io/image-list: web=nginx\n    argocd-image-updater.argoproj.io/force-update: \"true\"\n"
    );
    // A value that loads as a boolean is quoted even when it reads the same.
    let typed = text.replace("web.force-update", "force-update");
    let new = merge_ok(&typed, &u);
    assert!(new.ends_with("io/force-update: \"true\"\n"), "{new}");
}

#[test]
fn in_place_refuses_what_it_cannot_edit_exactly() {
    let u = target();
    for (text, why) in [
        (
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  annotations: {a: b}\n",
            "flow",
        ),
        (
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: shop}\n",
            "flow",
        ),
        (
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  annotations:\n    argocd-image-updater.argoproj.io/image-list: a\n    argocd-image-updater.argoproj.io/image-list: b\n",
            "twice",
        ),
        (
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: other\n",
            "no Application",
        ),
    ] {
        let err = merged(&[("a.yaml", text)], &u).unwrap_err().to_string();
        assert!(err.contains(why), "{why}: {err}");
    }
    let two = app("shop", &[]).replace("namespace: argocd", "namespace: x");
    let err = merged(&[("a.yaml", &two), ("b.yaml", &two)], &u)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no Application"), "{err}");
    let mut anyns = u.clone();
    anyns.namespace = None;
    anyns.app.namespace = None;
    let err = merged(&[("a.yaml", &two), ("b.yaml", &two)], &anyns)
        .unwrap_err()
        .to_string();
    assert!(err.contains("2 Applications"), "{err}");
}

#[test]
fn in_place_without_differences_is_no_change() {
    let text = app("shop", &[("image-list", "web=nginx")]);
    let u = one(&text);
    let m = merged(&[("a.yaml", &text)], &u).expect("merge");
    assert!(m.change.is_none());
}

#[test]
fn never_panics_on_damaged_applications() {
    let mut rng = crate::testutil::Rng::new(0xA11CE);
    let u = target();
    let m = crate::testutil::Mutation {
        inserts: &[
            "\n", "  ", ":", "'", "\"", "{", "- ", "#", ",", "=", "\r\n", "|\n",
        ],
        max_edits: 4,
        max_cut: 20,
        max_copy: 40,
        junk: Some("ab:=,'\" \n"),
    };
    for _ in 0..300 {
        let text = rng.mutate(OLD, &m);
        let ws = workspace(&[("a.yaml", &text)]);
        let model = Model::build(&ws);
        for r in read(&ws, &model) {
            let _ = write(&r, &WriteOptions::default());
            let _ = super::super::argo_crd::write(&r, &WriteOptions::default());
        }
        if let Ok(Merged {
            change: Some(c), ..
        }) = merge_in_place(&ws, &model, &u, &WriteOptions::default())
        {
            let new = c.new_text.clone();
            assert!(crate::yaml::parse(&new).error.is_none(), "{text:?}");
        }
    }
}
