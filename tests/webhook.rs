//! `kubectl imageupdate webhook` behind a real kube-apiserver
//! (tests/cluster/harness.rs): the webhook runs as the binary on loopback
//! with a certificate from `webhook cert`, registered by the
//! ValidatingWebhookConfiguration `webhook manifests --url` prints; objects
//! are created with kubectl. The API server calls the webhook as
//! kubernetes `staging/src/k8s.io/apiserver/pkg/admission/plugin/webhook/validating`
//! `dispatcher.go` (`callHook`) does: a denial's `status.message` is in
//! kubectl's error, `warnings` are printed as `Warning:` lines.

#[path = "cluster/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::{Cluster, Proc, free_port};

/// image-reflector-controller `internal/policy` `NewSemVer` fails on a
/// range Masterminds' `NewConstraint` rejects: IU302.
const BAD_POLICY: &str = "\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: bad
spec:
  imageRepositoryRef: {name: web}
  policy:
    semver: {range: '>=1.0 <<2'}
";

const GOOD_POLICY: &str = "\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: good
spec:
  imageRepositoryRef: {name: web}
  policy:
    semver: {range: '>=1.0.0'}
";

/// `^x` only matches 0.0.0 (Masterminds `constraints.go`, caret with a
/// wildcard major): allowed, with IU316's warning.
const WARNED_POLICY: &str = "\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: warned
spec:
  imageRepositoryRef: {name: web}
  policy:
    semver: {range: '^x'}
";

/// testdata/kubesphere/mistakes/unknown-strategy.yaml: "newest" is no
/// Argo CD Image Updater strategy (argocd-image-updater
/// `pkg/image/options.go`, `GetParameterUpdateStrategy`): IU404.
const BAD_KUBESPHERE: &str = "\
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

fn create(c: &Cluster, ns: &str, yaml: &str) -> harness::Run {
    c.kubectl_run(&["create", "-n", ns, "-f", "-"], Some(yaml))
}

/// Starts the webhook and registers it; returns once the API server
/// calls it (a bad object is refused by it), at most 60 s.
fn start(c: &Cluster) -> Proc {
    let dir = c.dir().join("webhook-tls");
    let dir_arg = dir.to_str().unwrap();
    let cert = harness::run_bounded(
        c.imageupdate(&[
            "webhook",
            "cert",
            "--dir",
            dir_arg,
            "--host",
            "127.0.0.1",
            "--host",
            "localhost",
        ]),
        None,
        Duration::from_secs(60),
    );
    assert!(cert.success(), "webhook cert: {}", cert.stderr);
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let hook = c.background(
        "webhook",
        c.imageupdate(&["webhook", "--cert-dir", dir_arg, "--addr", &addr]),
    );
    let url = format!("https://{addr}/validate");
    let config = harness::run_bounded(
        c.imageupdate(&["webhook", "manifests", "--url", &url, "--cert-dir", dir_arg]),
        None,
        Duration::from_secs(60),
    );
    assert!(config.success(), "webhook manifests: {}", config.stderr);
    c.kubectl_ok(&["apply", "-f", "-"], Some(&config.stdout));
    let ns = c.namespace("probe");
    let start = Instant::now();
    loop {
        let run = c.kubectl_run(
            &["create", "--dry-run=server", "-n", &ns, "-f", "-"],
            Some(BAD_POLICY),
        );
        if !run.success() && run.stderr.contains("denied the request") {
            return hook;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the API server never called the webhook: {}\n{}",
            run.stderr,
            hook.log_tail(40)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn bad_policy_case(c: &Cluster, ns: &str) {
    let run = create(c, ns, BAD_POLICY);
    assert!(!run.success(), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("denied the request: IU302 spec.policy.semver.range: semver range"),
        "{}",
        run.stderr
    );
    let get = c.kubectl_run(&["get", "-n", ns, "imagepolicy", "bad"], None);
    assert!(!get.success(), "the refused object exists");
}

fn good_policy_case(c: &Cluster, ns: &str) {
    let run = create(c, ns, GOOD_POLICY);
    assert!(run.success(), "{}", run.stderr);
    assert!(!run.stderr.contains("Warning"), "{}", run.stderr);
    assert_eq!(
        c.get(ns, "imagepolicy", "good")["spec"]["policy"]["semver"]["range"],
        ">=1.0.0"
    );
    // An update that breaks it is refused; the stored object stays.
    let patch = r#"{"spec":{"policy":{"semver":{"range":"<<"}}}}"#;
    let run = c.kubectl_run(
        &[
            "patch",
            "-n",
            ns,
            "imagepolicy",
            "good",
            "--type=merge",
            "-p",
            patch,
        ],
        None,
    );
    assert!(!run.success());
    assert!(run.stderr.contains("IU302"), "{}", run.stderr);
}

fn warned_policy_case(c: &Cluster, ns: &str) {
    let run = create(c, ns, WARNED_POLICY);
    assert!(run.success(), "{}", run.stderr);
    assert!(run.stderr.contains("Warning: IU316"), "{}", run.stderr);
    c.get(ns, "imagepolicy", "warned");
}

fn bad_kubesphere_case(c: &Cluster, ns: &str) {
    let run = create(c, ns, BAD_KUBESPHERE);
    assert!(!run.success(), "{}", run.stdout);
    assert!(
        run.stderr.contains("denied the request: IU404"),
        "{}",
        run.stderr
    );
}

/// `webhook manifests -n NS` applies cleanly (server dry run), and the
/// configuration trusts the CA the Secret holds.
fn manifests_case(c: &Cluster, ns: &str) {
    let run = harness::run_bounded(
        c.imageupdate(&["webhook", "manifests", "-n", ns, "-o", "json"]),
        None,
        Duration::from_secs(60),
    );
    assert!(run.success(), "{}", run.stderr);
    let docs: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let docs = docs["items"].as_array().unwrap().clone();
    let of = |kind: &str| docs.iter().find(|d| d["kind"] == kind).unwrap().clone();
    let hook = of("ValidatingWebhookConfiguration");
    let secret = of("Secret");
    assert_eq!(
        hook["webhooks"][0]["clientConfig"]["caBundle"],
        secret["data"]["ca.crt"]
    );
    assert_eq!(
        hook["webhooks"][0]["clientConfig"]["service"]["namespace"],
        ns
    );
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
}

#[test]
fn the_api_server_asks_the_webhook() {
    let c = Cluster::start();
    let mut hook = start(&c);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        c.cases(&[
            ("bad-policy", &bad_policy_case),
            ("good-policy", &good_policy_case),
            ("warned-policy", &warned_policy_case),
            ("bad-kubesphere", &bad_kubesphere_case),
        ]);
    }));
    if result.is_err() {
        eprintln!("webhook log:\n{}", hook.log_tail(80));
    }
    // The configuration goes first, so the stop is not a refused create.
    c.kubectl_ok(
        &[
            "delete",
            "validatingwebhookconfiguration",
            "kubectl-imageupdate-webhook",
        ],
        None,
    );
    let code = hook.terminate(Duration::from_secs(30));
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
    assert_eq!(code, Some(0), "{}", hook.log_tail(40));
    // After the URL configuration is gone: applied over it, the service
    // would join its url (another field manager's) and be refused.
    manifests_case(&c, &c.namespace("manifests"));
}
