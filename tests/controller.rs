//! `kubectl imageupdate controller` against a real kube-apiserver and etcd
//! (tests/cluster/harness.rs) with the peers' real CRDs: a KubeSphere
//! ImageUpdater becomes its engine's objects with owner references and
//! Ready=True; they follow updates; a hand edit is repaired; an invalid
//! spec is Ready=False with validate's rule code and generates nothing;
//! a missing Application or engine is said in the status. The controller
//! runs as the binary, in the background, with a short resync; every wait
//! has a deadline.
//!
//! The generated objects are those `export` writes (Argo CD Image Updater
//! v1.3 `ImageUpdater`: argocd-image-updater `api/v1alpha1`
//! `imageupdater_types.go`, `ImageUpdaterSpec`; Flux image API v1:
//! image-reflector-controller `api/v1` `ImagePolicySpec`,
//! image-automation-controller `api/v1` `ImageUpdateAutomationSpec`),
//! and the owner references follow Kubernetes' garbage collector
//! (kubernetes `pkg/controller/garbagecollector`, `attemptToDeleteItem`:
//! a dependent whose owners are all gone is deleted).

#[path = "cluster/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::{Cluster, Crds, Proc};
use serde_json::Value;

const KS: &str = "imageupdaters.gitops.kubesphere.io";
const ARGO: &str = "imageupdaters.argocd-image-updater.argoproj.io";
const REPOS: &str = "imagerepositories.image.toolkit.fluxcd.io";
const POLICIES: &str = "imagepolicies.image.toolkit.fluxcd.io";
const AUTOMATIONS: &str = "imageupdateautomations.image.toolkit.fluxcd.io";

const APPLICATION: &str = "\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: storefront
spec:
  project: default
  source:
    repoURL: https://git.example.com/shop.git
    targetRevision: main
    path: deploy
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
";

const ARGOCD: &str = "\
apiVersion: gitops.kubesphere.io/v1alpha1
kind: ImageUpdater
metadata:
  name: web
spec:
  kind: argocd
  images: [web=ghcr.io/org/web:~1.2]
  argo:
    app: {name: storefront}
    updateStrategy: {web: semver}
";

const FLUXCD: &str = "\
apiVersion: gitops.kubesphere.io/v1alpha1
kind: ImageUpdater
metadata:
  name: billing
spec:
  kind: fluxcd
  images: [registry.example.com/billing/worker]
  fluxcd:
    interval: 5m
    policy:
      semver: {range: '>=3.1.0 <4.0.0'}
    sourceRef: {kind: GitRepository, name: billing-config}
    git:
      checkout: {ref: {branch: main}}
      push: {branch: main}
    update: {path: ./billing, strategy: Setters}
";

/// testdata/kubesphere/mistakes/unknown-strategy.yaml: "newest" is no
/// Argo CD Image Updater strategy (argocd-image-updater
/// `pkg/image/options.go`, `GetParameterUpdateStrategy`).
const INVALID: &str = "\
apiVersion: gitops.kubesphere.io/v1alpha1
kind: ImageUpdater
metadata:
  name: reports
spec:
  kind: argocd
  images: [reports=registry.example.com/analytics/reports]
  argo:
    app: {name: reports}
    updateStrategy: {reports: newest}
";

/// Polls `f` every 200 ms for up to 60 s.
fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The object, or `None` when it does not exist.
fn get(c: &Cluster, ns: &str, resource: &str, name: &str) -> Option<Value> {
    let run = c.kubectl_run(
        &[
            "get",
            "-n",
            ns,
            resource,
            name,
            "-o",
            "json",
            "--ignore-not-found",
        ],
        None,
    );
    assert!(run.success(), "kubectl get: {}", run.stderr);
    (!run.stdout.trim().is_empty()).then(|| serde_json::from_str(&run.stdout).unwrap())
}

fn names(c: &Cluster, ns: &str, resource: &str) -> Vec<String> {
    let out = c.kubectl_ok(&["get", "-n", ns, resource, "-o", "json"], None);
    let list: Value = serde_json::from_str(&out).unwrap();
    let mut names: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// The Ready condition of a KubeSphere ImageUpdater once it is for the
/// object's current generation.
fn ready(c: &Cluster, ns: &str, name: &str) -> Option<(Value, Value)> {
    let o = get(c, ns, KS, name)?;
    let status = o.get("status")?.clone();
    (status["observedGeneration"] == o["metadata"]["generation"]).then_some(())?;
    let cond = status["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready")?
        .clone();
    Some((cond, o))
}

fn wait_ready(c: &Cluster, ns: &str, name: &str, status: &str, reason: &str) -> Value {
    eventually(&format!("{ns}/{name} Ready={status} ({reason})"), || {
        ready(c, ns, name)
            .filter(|(cond, _)| cond["status"] == status && cond["reason"] == reason)
            .map(|(_, o)| o)
    })
}

fn owner_uid(o: &Value) -> &str {
    o["metadata"]["ownerReferences"][0]["uid"]
        .as_str()
        .unwrap_or_default()
}

/// The controller over every namespace, reconciling each object again
/// every 2 s.
fn controller(c: &Cluster, extra: &[&str]) -> Proc {
    let mut args = vec!["controller", "-A", "--resync", "2s", "--max-backoff", "2s"];
    args.extend(extra);
    c.background("controller", c.imageupdate(&args))
}

fn create_case(c: &Cluster, ns: &str) {
    c.apply_ok(ns, APPLICATION);
    c.apply_ok(ns, ARGOCD);
    let ks = wait_ready(c, ns, "web", "True", "Reconciled");
    let uid = ks["metadata"]["uid"].as_str().unwrap();
    let cr = get(c, ns, ARGO, "web").expect("the Argo CD ImageUpdater");
    assert_eq!(owner_uid(&cr), uid);
    assert_eq!(cr["metadata"]["ownerReferences"][0]["kind"], "ImageUpdater");
    assert_eq!(cr["metadata"]["ownerReferences"][0]["controller"], true);
    let app_ref = &cr["spec"]["applicationRefs"][0];
    assert_eq!(app_ref["namePattern"], "storefront");
    assert_eq!(app_ref["images"][0]["imageName"], "ghcr.io/org/web:~1.2");
    assert_eq!(
        app_ref["images"][0]["commonUpdateSettings"]["updateStrategy"],
        "semver"
    );
    assert_eq!(
        ks["status"]["generated"],
        serde_json::json!([{"apiVersion": "argocd-image-updater.argoproj.io/v1alpha1",
            "kind": "ImageUpdater", "name": "web", "namespace": ns}])
    );
    // The printer columns read the status.
    let table = c.kubectl_ok(&["get", "-n", ns, KS], None);
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "KIND", "READY", "AGE"]);
    assert!(
        table.lines().nth(1).unwrap().contains("argocd   True"),
        "{table}"
    );
    // The Event for the transition.
    let events = eventually("the Reconciled event", || {
        let out = c.kubectl_ok(
            &["get", "events.events.k8s.io", "-n", ns, "-o", "json"],
            None,
        );
        let list: Value = serde_json::from_str(&out).unwrap();
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["reason"] == "Reconciled" && e["regarding"]["name"] == "web")
            .then_some(list)
    });
    assert!(
        events["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["reportingController"] == "kubectl-imageupdate-controller")
    );
}

fn update_case(c: &Cluster, ns: &str) {
    c.apply_ok(ns, FLUXCD);
    wait_ready(c, ns, "billing", "True", "Reconciled");
    assert_eq!(names(c, ns, REPOS), ["worker"]);
    assert_eq!(names(c, ns, POLICIES), ["worker"]);
    assert_eq!(names(c, ns, AUTOMATIONS), ["billing"]);
    let policy = get(c, ns, POLICIES, "worker").unwrap();
    assert_eq!(
        policy["spec"]["policy"]["semver"]["range"],
        ">=3.1.0 <4.0.0"
    );

    // A new range and a second image: the objects follow.
    let updated = FLUXCD.replace(">=3.1.0 <4.0.0", ">=4.0.0").replace(
        "images: [registry.example.com/billing/worker]",
        "images: [registry.example.com/billing/worker, registry.example.com/billing/api]",
    );
    c.apply_ok(ns, &updated);
    wait_ready(c, ns, "billing", "True", "Reconciled");
    eventually("the new range", || {
        (get(c, ns, POLICIES, "worker")?["spec"]["policy"]["semver"]["range"] == ">=4.0.0")
            .then_some(())
    });
    assert_eq!(names(c, ns, POLICIES), ["api", "worker"]);

    // The image removed: its objects go.
    c.apply_ok(
        ns,
        &updated.replace(", registry.example.com/billing/api", ""),
    );
    eventually("the api objects pruned", || {
        (names(c, ns, POLICIES) == ["worker"] && names(c, ns, REPOS) == ["worker"]).then_some(())
    });

    // Switching to argocd: the Flux objects go, the Argo CD one comes.
    c.apply_ok(ns, APPLICATION);
    let argo = "\
apiVersion: gitops.kubesphere.io/v1alpha1
kind: ImageUpdater
metadata:
  name: billing
spec:
  kind: argocd
  images: [worker=registry.example.com/billing/worker]
  argo:
    app: {name: storefront}
";
    // The same field manager: the fluxcd section it no longer applies goes.
    c.apply_ok(ns, argo);
    wait_ready(c, ns, "billing", "True", "Reconciled");
    assert_eq!(names(c, ns, ARGO), ["billing"]);
    eventually("the Flux objects pruned", || {
        (names(c, ns, POLICIES).is_empty()
            && names(c, ns, REPOS).is_empty()
            && names(c, ns, AUTOMATIONS).is_empty())
        .then_some(())
    });
}

fn drift_case(c: &Cluster, ns: &str) {
    c.apply_ok(ns, FLUXCD);
    wait_ready(c, ns, "billing", "True", "Reconciled");
    // A person edits a field the controller wrote, and adds a label of
    // their own.
    c.kubectl_ok(
        &[
            "patch",
            "-n",
            ns,
            POLICIES,
            "worker",
            "--type=merge",
            "-p",
            r#"{"metadata":{"labels":{"team":"billing"}},"spec":{"policy":{"semver":{"range":"9.x"}}}}"#,
        ],
        None,
    );
    let repaired = eventually("the range repaired", || {
        get(c, ns, POLICIES, "worker")
            .filter(|p| p["spec"]["policy"]["semver"]["range"] == ">=3.1.0 <4.0.0")
    });
    // Only the controller's fields are taken back.
    assert_eq!(repaired["metadata"]["labels"]["team"], "billing");
    // A generated object deleted by hand comes back.
    c.kubectl_ok(&["delete", "-n", ns, REPOS, "worker", "--wait=false"], None);
    eventually("the repository recreated", || get(c, ns, REPOS, "worker"));
}

fn invalid_case(c: &Cluster, ns: &str) {
    c.apply_ok(ns, INVALID);
    let o = wait_ready(c, ns, "reports", "False", "Invalid");
    let diagnostics = o["status"]["diagnostics"].as_array().unwrap();
    let error = diagnostics
        .iter()
        .find(|d| d["severity"] == "error")
        .unwrap_or_else(|| panic!("an error: {diagnostics:?}"));
    // What validate says about the same object in a file.
    let file = harness::project().join("testdata/kubesphere/mistakes/unknown-strategy.yaml");
    let mut validate = std::process::Command::new(env!("CARGO_BIN_EXE_kubectl-imageupdate"));
    validate.args(["validate", "--format", "json"]).arg(&file);
    let run = harness::run_bounded(validate, None, Duration::from_secs(60));
    let report: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    let codes = report.to_string();
    let code = error["code"].as_str().unwrap();
    assert!(
        codes.contains(&format!("\"{code}\"")),
        "{code} not in {codes}"
    );
    assert_eq!(error["field"], "spec.argo.updateStrategy.reports");
    let cond = &o["status"]["conditions"][0];
    assert!(
        cond["message"].as_str().unwrap().starts_with(code),
        "{cond}"
    );
    assert!(o["status"].get("generated").is_none());
    // Nothing generated, and nothing comes during a few resyncs.
    std::thread::sleep(Duration::from_secs(3));
    assert!(names(c, ns, ARGO).is_empty());

    // Fixed, the object is generated; broken again, it is removed.
    let fixed = INVALID.replace("newest", "newest-build");
    c.apply_ok(ns, &fixed);
    wait_ready(c, ns, "reports", "False", "ApplicationNotFound");
    assert_eq!(names(c, ns, ARGO), ["reports"]);
    c.apply_ok(ns, INVALID);
    wait_ready(c, ns, "reports", "False", "Invalid");
    eventually("the CR removed", || {
        names(c, ns, ARGO).is_empty().then_some(())
    });
}

fn application_case(c: &Cluster, ns: &str) {
    let no_app = ARGOCD.replace("storefront", "missing-app");
    c.apply_ok(ns, &no_app);
    let o = wait_ready(c, ns, "web", "False", "ApplicationNotFound");
    let message = o["status"]["conditions"][0]["message"].as_str().unwrap();
    assert!(message.contains("missing-app"), "{message}");
    // The CR is there for when the Application comes.
    assert_eq!(names(c, ns, ARGO), ["web"]);
    c.apply_ok(ns, &APPLICATION.replace("storefront", "missing-app"));
    wait_ready(c, ns, "web", "True", "Reconciled");
}

/// Deleting the KubeSphere object removes what it generated: the owner
/// references at work in kube-controller-manager's garbage collector.
fn delete_case(c: &Cluster, ns: &str) {
    c.apply_ok(ns, FLUXCD);
    c.apply_ok(ns, APPLICATION);
    c.apply_ok(ns, ARGOCD);
    wait_ready(c, ns, "billing", "True", "Reconciled");
    wait_ready(c, ns, "web", "True", "Reconciled");
    c.kubectl_ok(&["delete", "-n", ns, KS, "billing", "web"], None);
    eventually("the generated objects collected", || {
        [ARGO, REPOS, POLICIES, AUTOMATIONS]
            .iter()
            .all(|r| names(c, ns, r).is_empty())
            .then_some(())
    });
    // The Application was never the controller's.
    assert!(get(c, ns, "applications.argoproj.io", "storefront").is_some());
}

/// One cluster, one controller over all namespaces, the garbage
/// collector, a namespace a case.
#[test]
fn controller_reconciles_kubesphere_imageupdaters() {
    let c = Cluster::start();
    let mut gc = c.start_garbage_collector();
    let mut ctl = controller(&c, &[]);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        c.cases(&[
            ("create", &create_case),
            ("update", &update_case),
            ("drift", &drift_case),
            ("invalid", &invalid_case),
            ("application", &application_case),
            ("delete", &delete_case),
        ]);
    }));
    if result.is_err() {
        eprintln!("controller log:\n{}", ctl.log_tail(80));
    }
    // SIGTERM: a clean stop.
    let code = ctl.terminate(Duration::from_secs(30));
    gc.kill();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
    assert_eq!(code, Some(0), "{}", ctl.log_tail(40));
}

/// Without the engines' CRDs the object says which kinds are missing.
#[test]
fn a_missing_engine_is_reported() {
    let c = Cluster::start_with(Crds::KubesphereOnly);
    let mut ctl = controller(&c, &[]);
    let ns = c.namespace("engine");
    c.apply_ok(&ns, FLUXCD);
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_ready(&c, &ns, "billing", "False", "EngineMissing")
    }));
    if found.is_err() {
        eprintln!("controller log:\n{}", ctl.log_tail(80));
    }
    ctl.kill();
    let o = found.unwrap_or_else(|e| std::panic::resume_unwind(e));
    let message = o["status"]["conditions"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("ImageRepository (image.toolkit.fluxcd.io/v1)"),
        "{message}"
    );
}
