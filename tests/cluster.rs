//! Smoke test of the cluster harness (tests/cluster/harness.rs): a real
//! etcd and kube-apiserver on loopback, the peers' real CRDs and the
//! project's KubeSphere CRD installed, driven by the machine's `kubectl`.
//! Proves: the objects the project reads and writes (Flux image and source
//! objects, Argo CD Application, Argo CD Image Updater ImageUpdater,
//! KubeSphere ImageUpdater in both spellings) are accepted and read back as
//! written, with the CRDs' defaults applied; status subresources can be
//! written; and objects that break a CRD's schema (types, enums, required
//! fields, list-map keys, CEL rules) are rejected by the real server, so the
//! CRDs really are installed. One cluster serves every case, each in its
//! own namespace (see the harness's module doc).

mod common;
#[path = "cluster/harness.rs"]
mod harness;

use common::testdata;
use harness::Cluster;
use serde_json::json;

const FLUX: &str = "\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: podinfo
spec:
  image: ghcr.io/stefanprodan/podinfo
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: podinfo
spec:
  imageRepositoryRef:
    name: podinfo
  policy:
    semver:
      range: 6.x
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: fleet
spec:
  interval: 1m
  url: https://git.example.com/fleet.git
  ref:
    branch: main
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: fleet
spec:
  interval: 30m
  sourceRef:
    kind: GitRepository
    name: fleet
  git:
    checkout:
      ref:
        branch: main
    commit:
      author:
        name: fluxcdbot
        email: fluxcdbot@users.noreply.github.com
    push:
      branch: main
  update:
    path: ./clusters/prod
    strategy: Setters
";

const ARGO_APP: &str = "\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: shop
  annotations:
    argocd-image-updater.argoproj.io/image-list: web=registry.example.com/shop/web:~1.4
    argocd-image-updater.argoproj.io/web.update-strategy: semver
spec:
  project: default
  source:
    repoURL: https://git.example.com/shop.git
    targetRevision: main
    path: deploy/overlays/prod
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
";

const IMAGE_UPDATER: &str = "\
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: shop
spec:
  commonUpdateSettings:
    updateStrategy: semver
  applicationRefs:
    - namePattern: shop-*
      images:
        - alias: web
          imageName: registry.example.com/shop/web:~1.4
          commonUpdateSettings:
            allowTags: 'regexp:^1\\.4\\.[0-9]+$'
";

#[test]
fn real_apiserver_accepts_reads_back_and_rejects() {
    let cluster = Cluster::start();
    // Every CRD the harness installed is served (the cases prove the rest).
    let crds = cluster.kubectl_ok(&["get", "crd", "-o", "name"], None);
    for name in [
        "imagerepositories.image.toolkit.fluxcd.io",
        "imagepolicies.image.toolkit.fluxcd.io",
        "imageupdateautomations.image.toolkit.fluxcd.io",
        "gitrepositories.source.toolkit.fluxcd.io",
        "ocirepositories.source.toolkit.fluxcd.io",
        "applications.argoproj.io",
        "imageupdaters.argocd-image-updater.argoproj.io",
        "imageupdaters.gitops.kubesphere.io",
    ] {
        assert!(
            crds.lines()
                .any(|l| l == format!("customresourcedefinition.apiextensions.k8s.io/{name}")),
            "{name} not installed:\n{crds}"
        );
    }
    cluster.cases(&[
        ("flux", &flux),
        ("flux-rejects", &flux_rejects),
        ("argocd", &argocd),
        ("argocd-rejects", &argocd_rejects),
        ("kubesphere", &kubesphere),
        ("kubesphere-rejects", &kubesphere_rejects),
    ]);
}

fn flux(c: &Cluster, ns: &str) {
    c.apply_ok(ns, FLUX);
    let repo = c.get(ns, "imagerepositories.image.toolkit.fluxcd.io", "podinfo");
    assert_eq!(repo["spec"]["image"], "ghcr.io/stefanprodan/podinfo");
    // The CRD's default, filled in by the server.
    assert_eq!(repo["spec"]["exclusionList"], json!(["^.*\\.sig$"]));

    let policy = c.get(ns, "imagepolicies.image.toolkit.fluxcd.io", "podinfo");
    assert_eq!(policy["spec"]["policy"]["semver"]["range"], "6.x");
    assert_eq!(policy["spec"]["imageRepositoryRef"]["name"], "podinfo");
    assert!(policy["status"].get("latestRef").is_none(), "{policy:#}");

    // The status subresource, as image-reflector-controller writes it.
    c.patch_status(
        ns,
        "imagepolicies.image.toolkit.fluxcd.io",
        "podinfo",
        r#"{"status":{"observedGeneration":1,"latestRef":{"name":"ghcr.io/stefanprodan/podinfo","tag":"6.5.4"}}}"#,
    );
    let policy = c.get(ns, "imagepolicies.image.toolkit.fluxcd.io", "podinfo");
    assert_eq!(
        policy["status"]["latestRef"],
        json!({"name": "ghcr.io/stefanprodan/podinfo", "tag": "6.5.4"})
    );
    assert_eq!(policy["status"]["observedGeneration"], 1);
    // A status written through the main resource is ignored.
    c.apply_ok(
        ns,
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: podinfo\nspec:\n  imageRepositoryRef:\n    name: podinfo\n  policy:\n    semver:\n      range: 6.x\nstatus:\n  latestRef:\n    name: other\n    tag: \"0.0.1\"\n",
    );
    let policy = c.get(ns, "imagepolicies.image.toolkit.fluxcd.io", "podinfo");
    assert_eq!(policy["status"]["latestRef"]["tag"], "6.5.4");

    let auto = c.get(
        ns,
        "imageupdateautomations.image.toolkit.fluxcd.io",
        "fleet",
    );
    assert_eq!(auto["spec"]["update"]["strategy"], "Setters");
    assert_eq!(auto["spec"]["sourceRef"]["name"], "fleet");
    let git = c.get(ns, "gitrepositories.source.toolkit.fluxcd.io", "fleet");
    assert_eq!(git["spec"]["ref"]["branch"], "main");
}

/// Applies `yaml` and asserts the server refused it with a message that
/// contains `expect`, and that nothing was stored.
fn assert_rejected(c: &Cluster, ns: &str, resource: &str, name: &str, yaml: &str, expect: &str) {
    let run = c.apply(ns, yaml);
    assert!(!run.success(), "accepted:\n{yaml}\n{}", run.stdout);
    assert!(
        run.stderr.contains(expect),
        "rejected, but not for {expect:?}:\n{}",
        run.stderr
    );
    let get = c.kubectl_run(&["get", "-n", ns, resource, name], None);
    assert!(!get.success(), "{resource}/{name} was stored");
}

fn flux_rejects(c: &Cluster, ns: &str) {
    let policy = |spec: &str| {
        format!(
            "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: bad\nspec:\n{spec}"
        )
    };
    let resource = "imagepolicies.image.toolkit.fluxcd.io";
    // A required field.
    assert_rejected(
        c,
        ns,
        resource,
        "bad",
        &policy("  policy:\n    semver:\n      range: 6.x\n"),
        "spec.imageRepositoryRef: Required value",
    );
    // An enum.
    assert_rejected(
        c,
        ns,
        resource,
        "bad",
        &policy(
            "  imageRepositoryRef:\n    name: podinfo\n  policy:\n    alphabetical:\n      order: sideways\n",
        ),
        "spec.policy.alphabetical.order: Unsupported value: \"sideways\"",
    );
    // A CEL rule (x-kubernetes-validations).
    assert_rejected(
        c,
        ns,
        resource,
        "bad",
        &policy(
            "  imageRepositoryRef:\n    name: podinfo\n  interval: 5m\n  policy:\n    semver:\n      range: 6.x\n",
        ),
        "spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'",
    );
    // A type, on the status subresource too.
    c.apply_ok(
        ns,
        &policy(
            "  imageRepositoryRef:\n    name: podinfo\n  policy:\n    semver:\n      range: 6.x\n",
        )
        .replace("name: bad", "name: good"),
    );
    let run = c.kubectl_run(
        &[
            "patch",
            "-n",
            ns,
            resource,
            "good",
            "--subresource=status",
            "--type=merge",
            "-p",
            r#"{"status":{"latestRef":{"name":"x","tag":7}}}"#,
        ],
        None,
    );
    assert!(!run.success(), "a numeric tag was accepted");
    assert!(
        run.stderr.contains("status.latestRef.tag: Invalid value"),
        "{}",
        run.stderr
    );
}

fn argocd(c: &Cluster, ns: &str) {
    c.apply_ok(ns, ARGO_APP);
    let app = c.get(ns, "applications.argoproj.io", "shop");
    assert_eq!(
        app["metadata"]["annotations"]["argocd-image-updater.argoproj.io/image-list"],
        "web=registry.example.com/shop/web:~1.4"
    );
    assert_eq!(app["spec"]["source"]["path"], "deploy/overlays/prod");
    assert_eq!(app["spec"]["destination"]["namespace"], "shop");

    c.apply_ok(ns, IMAGE_UPDATER);
    let updater = c.get(ns, "imageupdaters.argocd-image-updater.argoproj.io", "shop");
    let image = &updater["spec"]["applicationRefs"][0]["images"][0];
    assert_eq!(image["alias"], "web");
    assert_eq!(
        image["commonUpdateSettings"]["allowTags"],
        "regexp:^1\\.4\\.[0-9]+$"
    );
    assert_eq!(
        updater["spec"]["commonUpdateSettings"]["updateStrategy"],
        "semver"
    );
    c.patch_status(
        ns,
        "imageupdaters.argocd-image-updater.argoproj.io",
        "shop",
        r#"{"status":{"applicationsMatched":1}}"#,
    );
    let updater = c.get(ns, "imageupdaters.argocd-image-updater.argoproj.io", "shop");
    assert_eq!(updater["status"]["applicationsMatched"], 1);

    // The repository's fixtures are accepted as they are.
    let fixture = std::fs::read_to_string(testdata("argocd-kustomize/image-updater/platform.yaml"))
        .expect("fixture");
    c.apply_ok(ns, &in_namespace(&fixture, ns));
    let platform = c.get(
        ns,
        "imageupdaters.argocd-image-updater.argoproj.io",
        "platform",
    );
    assert_eq!(
        platform["spec"]["applicationRefs"][1]["images"][1]["commonUpdateSettings"]["platforms"],
        json!(["linux/amd64", "linux/arm64/v8"])
    );
}

fn argocd_rejects(c: &Cluster, ns: &str) {
    // Application: destination and project are required.
    assert_rejected(
        c,
        ns,
        "applications.argoproj.io",
        "bad",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: bad\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.com/x.git\n",
        "spec.destination: Required value",
    );
    // ImageUpdater: an image needs imageName; aliases are list-map keys.
    let updater = |images: &str| {
        format!(
            "apiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\nmetadata:\n  name: bad\nspec:\n  applicationRefs:\n    - namePattern: x\n      images:\n{images}"
        )
    };
    let resource = "imageupdaters.argocd-image-updater.argoproj.io";
    assert_rejected(
        c,
        ns,
        resource,
        "bad",
        &updater("        - alias: web\n"),
        "imageName: Required value",
    );
    assert_rejected(
        c,
        ns,
        resource,
        "bad",
        &updater(
            "        - alias: web\n          imageName: a/b\n        - alias: web\n          imageName: a/c\n",
        ),
        // Server-side apply checks list-map keys while it builds the patch.
        "duplicate entries for key [alias=\"web\"]",
    );
}

fn kubesphere(c: &Cluster, ns: &str) {
    let resource = "imageupdaters.gitops.kubesphere.io";
    // Every clean fixture, both spellings, each document in this namespace.
    let mut names = Vec::new();
    for entry in std::fs::read_dir(testdata("kubesphere/clean")).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).expect("fixture");
            c.apply_ok(ns, &in_namespace(&text, ns));
            names.extend(
                text.lines()
                    .filter_map(|l| l.strip_prefix("  name: "))
                    .map(str::to_owned),
            );
        }
    }
    assert!(names.len() >= 6, "{names:?}");
    let listed = c.kubectl_ok(&["get", "-n", ns, resource, "-o", "name"], None);
    for name in &names {
        assert!(
            listed.lines().any(|l| l.ends_with(&format!("/{name}"))),
            "{name} not stored:\n{listed}"
        );
    }

    // Shipped spelling: maps keyed by alias, read back as written.
    let search = c.get(ns, resource, "search");
    assert_eq!(search["spec"]["kind"], "argocd");
    assert_eq!(
        search["spec"]["argo"]["updateStrategy"],
        json!({"indexer": "semver", "query": "alphabetical"})
    );
    assert_eq!(search["spec"]["argo"]["write"], "built-in");
    // Design spelling, Flux engine.
    let worker = c.get(ns, resource, "billing-worker");
    assert_eq!(worker["spec"]["kind"], "fluxcd");
    assert_eq!(
        worker["spec"]["fluxcd"]["policy"]["semver"]["range"],
        ">=3.1.0 <4.0.0"
    );
    // The CRD's defaults: kind argocd, write built-in.
    c.apply_ok(
        ns,
        "apiVersion: gitops.kubesphere.io/v1alpha1\nkind: ImageUpdater\nmetadata:\n  name: defaults\nspec:\n  images:\n    - web=registry.example.com/web\n  argo:\n    app:\n      name: web\n",
    );
    let defaults = c.get(ns, resource, "defaults");
    assert_eq!(defaults["spec"]["kind"], "argocd");
    assert_eq!(defaults["spec"]["argo"]["write"], "built-in");
}

fn kubesphere_rejects(c: &Cluster, ns: &str) {
    let resource = "imageupdaters.gitops.kubesphere.io";
    let object = |spec: &str| {
        format!(
            "apiVersion: gitops.kubesphere.io/v1alpha1\nkind: ImageUpdater\nmetadata:\n  name: bad\nspec:\n{spec}"
        )
    };
    for (spec, expect) in [
        (
            "  kind: other\n  images: [a=b/c]\n",
            "spec.kind: Unsupported value: \"other\"",
        ),
        (
            "  images: a=b/c\n  argo:\n    app:\n      name: x\n",
            ".spec.images: expected list",
        ),
        (
            "  images: [a=b/c]\n  argo:\n    write: sideways\n    app:\n      name: x\n",
            "spec.argo.write: Unsupported value: \"sideways\"",
        ),
        (
            "  images: [a=b/c]\n  argo:\n    write: git\n",
            "spec.argo.app: Required value",
        ),
    ] {
        assert_rejected(c, ns, resource, "bad", &object(spec), expect);
    }
    assert_rejected(
        c,
        ns,
        resource,
        "bad",
        "apiVersion: gitops.kubesphere.io/v1alpha1\nkind: ImageUpdater\nmetadata:\n  name: bad\n",
        "spec: Required value",
    );
}

/// `text` with every object's `metadata.namespace` set to `ns`.
fn in_namespace(text: &str, ns: &str) -> String {
    text.lines()
        .map(|l| {
            if l.starts_with("  namespace: ") {
                format!("  namespace: {ns}")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}
