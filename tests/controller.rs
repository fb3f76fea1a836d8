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

use std::time::Duration;

use harness::{Cluster, Crds, Proc, eventually, free_port};
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

/// A port on 127.0.0.1 that was free a moment ago.
/// `GET path` on 127.0.0.1:port: status code and body, `None` when
/// nothing answers.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    Some((code, body))
}

fn holder(c: &Cluster, ns: &str) -> Option<String> {
    let lease = get(
        c,
        ns,
        "leases.coordination.k8s.io",
        "kubectl-imageupdate-controller",
    )?;
    lease["spec"]["holderIdentity"].as_str().map(str::to_owned)
}

/// Two replicas with leader election: exactly one holds the Lease and
/// reconciles, the other stands by (both healthy and ready); killed
/// outright, the leader is replaced once its Lease expires; the new
/// leader stops cleanly on SIGTERM and releases the Lease. Follows
/// client-go `tools/leaderelection/leaderelection.go`
/// (`tryAcquireOrRenew`: take a Lease that is free or whose
/// `renewTime + leaseDurationSeconds` has passed; `release`).
fn leader_case(c: &Cluster, ns: &str) {
    let ports = [free_port(), free_port()];
    let start = |port: u16| {
        let addr = format!("127.0.0.1:{port}");
        let args = [
            "controller",
            "-n",
            ns,
            "--resync",
            "2s",
            "--leader-elect",
            "--lease-duration",
            "2s",
            "--health-addr",
            &addr,
        ];
        c.background("replica", c.imageupdate(&args))
    };
    let mut replicas = [start(ports[0]), start(ports[1])];
    let roles = eventually("one leader, one standby", || {
        let bodies: Vec<String> = ports
            .iter()
            .map(|p| match http_get(*p, "/readyz") {
                Some((200, body)) => body,
                _ => String::new(),
            })
            .collect();
        let leaders = bodies.iter().filter(|b| b.starts_with("leading")).count();
        let standbys = bodies
            .iter()
            .filter(|b| b.starts_with("standing by"))
            .count();
        (leaders == 1 && standbys == 1).then_some(bodies)
    });
    for p in ports {
        assert_eq!(http_get(p, "/healthz").map(|r| r.0), Some(200));
    }
    let leader = roles.iter().position(|b| b.starts_with("leading")).unwrap();
    let standby = 1 - leader;
    let held = holder(c, ns).expect("a holder");
    assert!(
        held.ends_with(&format!("_{}", replicas[leader].pid())),
        "{held}"
    );

    c.apply_ok(ns, FLUXCD);
    wait_ready(c, ns, "billing", "True", "Reconciled");
    assert!(replicas[leader].log_text().contains("\"ready changed\""));
    assert!(
        !replicas[standby].log_text().contains("\"ready changed\""),
        "the standby reconciled:\n{}",
        replicas[standby].log_tail(20)
    );

    // The leader dies without releasing: the standby takes over.
    replicas[leader].kill();
    eventually("the standby leading", || {
        (http_get(ports[standby], "/readyz")?
            .1
            .starts_with("leading"))
        .then_some(())
    });
    assert!(
        holder(c, ns)
            .unwrap()
            .ends_with(&format!("_{}", replicas[standby].pid()))
    );
    c.apply_ok(ns, &ARGOCD.replace("name: web", "name: second"));
    wait_ready(c, ns, "second", "False", "ApplicationNotFound");

    // SIGTERM: a clean exit that gives the Lease up.
    assert_eq!(
        replicas[standby].terminate(Duration::from_secs(30)),
        Some(0)
    );
    assert_eq!(holder(c, ns), None);
}

/// `controller manifests` applies cleanly (server dry run) in both
/// forms, and the namespaced one's Role is enough: the controller run
/// with its ServiceAccount's token reconciles, and may not read Secrets.
fn manifests_case(c: &Cluster, ns: &str) {
    let run = harness::run_bounded(
        c.imageupdate(&["controller", "manifests"]),
        None,
        Duration::from_secs(60),
    );
    assert!(run.success(), "{}", run.stderr);
    let kinds: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("kind: "))
        .collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "CustomResourceDefinition",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "Deployment"
        ]
    );
    c.kubectl_ok(&["create", "namespace", "kubectl-imageupdate-system"], None);
    c.kubectl_ok(
        &[
            "apply",
            "--server-side",
            "--force-conflicts",
            "--dry-run=server",
            "-f",
            "-",
        ],
        Some(&run.stdout),
    );

    let run = harness::run_bounded(
        c.imageupdate(&["controller", "manifests", "-n", ns]),
        None,
        Duration::from_secs(60),
    );
    assert!(run.success(), "{}", run.stderr);
    assert!(!run.stdout.contains("kind: ClusterRole"), "{}", run.stdout);
    c.kubectl_ok(
        &[
            "apply",
            "--server-side",
            "--force-conflicts",
            "--dry-run=server",
            "-f",
            "-",
        ],
        Some(&run.stdout),
    );
    c.kubectl_ok(
        &["apply", "--server-side", "--force-conflicts", "-f", "-"],
        Some(&run.stdout),
    );

    let sa = format!("system:serviceaccount:{ns}:kubectl-imageupdate-controller");
    let can = |verb: &str, what: &str| {
        c.kubectl_run(&["auth", "can-i", verb, what, "-n", ns, "--as", &sa], None)
            .stdout
            .trim()
            .to_owned()
    };
    assert_eq!(can("get", "secrets"), "no");
    assert_eq!(can("list", "imageupdaters.gitops.kubesphere.io"), "yes");
    assert_eq!(can("list", "imageupdaters.gitops.kubesphere.io"), "yes");

    let token = c
        .kubectl_ok(
            &[
                "create",
                "token",
                "kubectl-imageupdate-controller",
                "-n",
                ns,
            ],
            None,
        )
        .trim()
        .to_owned();
    let kubeconfig = c.dir().join(format!("sa-{ns}.kubeconfig"));
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {}\n    certificate-authority: {}\nusers:\n- name: sa\n  user:\n    token: {token}\ncontexts:\n- name: c\n  context: {{cluster: c, user: sa, namespace: {ns}}}\ncurrent-context: c\n",
            c.server,
            c.ca.display()
        ),
    )
    .unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kubectl-imageupdate"));
    cmd.env_remove("KUBECONFIG")
        .env("HOME", c.dir())
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args([
            "controller",
            "-n",
            ns,
            "--resync",
            "2s",
            "--leader-elect",
            "--lease-duration",
            "2s",
        ]);
    let mut ctl = c.background("sa-controller", cmd);
    c.apply_ok(ns, APPLICATION);
    c.apply_ok(ns, ARGOCD);
    c.apply_ok(ns, FLUXCD);
    let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_ready(c, ns, "web", "True", "Reconciled");
        wait_ready(c, ns, "billing", "True", "Reconciled");
    }));
    let log = ctl.log_tail(30);
    assert_eq!(ctl.terminate(Duration::from_secs(30)), Some(0), "{log}");
    if let Err(e) = done {
        eprintln!("controller log:\n{log}");
        std::panic::resume_unwind(e);
    }
    assert!(!log.contains("forbidden"), "{log}");
}

/// `--argocd-mode annotations`, what KubeSphere shipped: the Image
/// Updater annotations (argocd-image-updater `pkg/common/constants.go`:
/// `ImageUpdaterAnnotationPrefix`, `ImageUpdaterAnnotation`; the strategy
/// as export writes it) go on the
/// Application under the controller's field manager, follow the spec,
/// and are taken off by the finalizer when the object is deleted; the
/// Application's other annotations stay.
fn annotations_case(c: &Cluster, ns: &str) {
    let mut ctl = c.background(
        "annotations",
        c.imageupdate(&[
            "controller",
            "-n",
            ns,
            "--resync",
            "2s",
            "--argocd-mode",
            "annotations",
        ]),
    );
    let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let image_list = "argocd-image-updater.argoproj.io/image-list";
        // No Application yet: nothing is written (an apply would create one).
        c.apply_ok(ns, ARGOCD);
        wait_ready(c, ns, "web", "False", "ApplicationNotFound");
        assert!(names(c, ns, "applications.argoproj.io").is_empty());
        c.apply_ok(
            ns,
            &APPLICATION.replace(
                "  name: storefront
",
                "  name: storefront
  annotations: {team: shop}
",
            ),
        );
        let o = wait_ready(c, ns, "web", "True", "Reconciled");
        assert!(
            o["metadata"]["finalizers"]
                .as_array()
                .unwrap()
                .contains(&"gitops.kubesphere.io/argocd-annotations".into())
        );
        let app = get(c, ns, "applications.argoproj.io", "storefront").unwrap();
        let notes = &app["metadata"]["annotations"];
        assert_eq!(notes[image_list], "web=ghcr.io/org/web:~1.2");
        // One image: export hoists its strategy to the app-wide key.
        assert_eq!(
            notes["argocd-image-updater.argoproj.io/update-strategy"],
            "semver"
        );
        assert!(names(c, ns, ARGO).is_empty(), "no CR in annotations mode");

        c.apply_ok(ns, &ARGOCD.replace("~1.2", "~1.3"));
        eventually("the annotation follows", || {
            let app = get(c, ns, "applications.argoproj.io", "storefront")?;
            (app["metadata"]["annotations"][image_list] == "web=ghcr.io/org/web:~1.3").then_some(())
        });

        c.kubectl_ok(&["delete", "-n", ns, KS, "web", "--wait=false"], None);
        eventually("the object gone", || {
            get(c, ns, KS, "web").is_none().then_some(())
        });
        let app = get(c, ns, "applications.argoproj.io", "storefront").unwrap();
        let notes = app["metadata"]["annotations"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(
            !notes
                .keys()
                .any(|k| k.starts_with("argocd-image-updater.argoproj.io/")),
            "{notes:?}"
        );
        assert_eq!(notes.get("team"), Some(&Value::from("shop")));
    }));
    let log = ctl.log_tail(40);
    ctl.kill();
    if let Err(e) = done {
        eprintln!("controller log:\n{log}");
        std::panic::resume_unwind(e);
    }
}

/// Leader election, health endpoints, shutdown, the install manifests
/// and the REST API.
#[test]
fn controller_operation() {
    let c = Cluster::start();
    c.cases(&[
        ("leader", &leader_case),
        ("manifests", &manifests_case),
        ("rest", &rest_case),
        ("annotations", &annotations_case),
    ]);
}

/// The seed's REST API, served by the API server once the CRD is
/// installed: create, list, read, update (optimistic concurrency), a
/// schema rejection, delete. Kubernetes' own semantics (apiextensions-
/// apiserver `pkg/registry/customresource/etcd.go`): 201 on create,
/// 409 on a stale resourceVersion, 422 on a schema violation.
fn rest_case(c: &Cluster, ns: &str) {
    use serde_json::json;
    let base = format!("/apis/gitops.kubesphere.io/v1alpha1/namespaces/{ns}/imageupdaters");
    let object = json!({
        "apiVersion": "gitops.kubesphere.io/v1alpha1",
        "kind": "ImageUpdater",
        "metadata": {"name": "web"},
        "spec": {"kind": "argocd", "images": ["web=ghcr.io/org/web:~1.2"],
                 "argo": {"app": {"name": "web"}}},
    });
    let (code, created) = c.rest("POST", &base, Some(&object));
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["metadata"]["namespace"], ns);
    assert_eq!(created["metadata"]["generation"], 1);
    // Defaults from the schema: write is built-in.
    assert_eq!(created["spec"]["argo"]["write"], "built-in");

    let (code, again) = c.rest("POST", &base, Some(&object));
    assert_eq!(
        (code, again["reason"].as_str()),
        (409, Some("AlreadyExists"))
    );

    let (code, list) = c.rest("GET", &base, None);
    assert_eq!(code, 200);
    assert_eq!(list["kind"], "ImageUpdaterList");
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web"]);

    let (code, read) = c.rest("GET", &format!("{base}/web"), None);
    assert_eq!(code, 200);
    assert_eq!(read["spec"]["images"], json!(["web=ghcr.io/org/web:~1.2"]));

    let mut updated = read.clone();
    updated["spec"]["images"] = json!(["web=ghcr.io/org/web:~1.3"]);
    let (code, put) = c.rest("PUT", &format!("{base}/web"), Some(&updated));
    assert_eq!(code, 200, "{put}");
    assert_eq!(put["metadata"]["generation"], 2);
    assert_eq!(put["spec"]["images"], json!(["web=ghcr.io/org/web:~1.3"]));
    // The same resourceVersion again is stale now.
    let (code, stale) = c.rest("PUT", &format!("{base}/web"), Some(&updated));
    assert_eq!((code, stale["reason"].as_str()), (409, Some("Conflict")));

    let mut bad = object.clone();
    bad["metadata"]["name"] = json!("bad");
    bad["spec"]["kind"] = json!("helm");
    let (code, rejected) = c.rest("POST", &base, Some(&bad));
    assert_eq!(code, 422, "{rejected}");
    assert!(
        rejected["message"].as_str().unwrap().contains("spec.kind"),
        "{rejected}"
    );

    let (code, _) = c.rest("DELETE", &format!("{base}/web"), None);
    assert_eq!(code, 200);
    let (code, gone) = c.rest("GET", &format!("{base}/web"), None);
    assert_eq!((code, gone["reason"].as_str()), (404, Some("NotFound")));
    let (code, list) = c.rest("GET", &base, None);
    assert_eq!(
        (code, list["items"].as_array().map(Vec::len)),
        (200, Some(0))
    );
}
