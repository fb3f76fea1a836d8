//! The cluster commands against a real kube-apiserver and etcd
//! (tests/cluster/harness.rs, with the peers' real CRDs): `status` in every
//! output format, with a selector, across namespaces and naming the files
//! of a checkout; server-side apply by `export --apply` and `crd --apply`
//! (created, idempotent, a conflict per field with its owner, forced, a
//! server dry run that stores nothing); `reconcile --wait` finishing when
//! the test advances the status and failing when it does not; and the
//! one-line errors when no cluster answers. No controller runs here: the
//! test writes the status subresources the controllers would.

mod common;
#[path = "cluster/harness.rs"]
mod harness;
#[path = "registry/harness.rs"]
mod registry;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use harness::{ADMIN_TOKEN, Cluster, Run, eventually, run_bounded};
use serde_json::Value;

const FLUX: &str = "\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: podinfo
  labels: {team: web}
spec:
  image: ghcr.io/stefanprodan/podinfo
  interval: 5m
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: podinfo
  labels: {team: web}
spec:
  imageRepositoryRef:
    name: podinfo
  policy:
    semver:
      range: 6.x
";

const ARGO_CR: &str = "\
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: shop
spec:
  applicationRefs:
  - namePattern: shop
    images:
    - alias: api
      imageName: ghcr.io/org/api:^2
";

const KUBESPHERE: &str = "\
apiVersion: gitops.kubesphere.io/v1alpha1
kind: ImageUpdater
metadata:
  name: web
spec:
  kind: argocd
  images: [web=ghcr.io/org/web:~1.2]
  argo:
    app: {name: web}
";

/// `kubectl-imageupdate ARGS --kubeconfig …` with no ambient kubeconfig,
/// bounded to 2 minutes.
fn imageupdate(c: &Cluster, args: &[&str]) -> Run {
    imageupdate_in(c, args, None)
}

fn imageupdate_in(c: &Cluster, args: &[&str], dir: Option<&Path>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubectl-imageupdate"));
    cmd.env_remove("KUBECONFIG")
        .env("HOME", c.dir())
        .args(args)
        .arg("--kubeconfig")
        .arg(&c.kubeconfig);
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let run = run_bounded(cmd, None, Duration::from_secs(120));
    assert!(
        !run.stdout.contains(ADMIN_TOKEN) && !run.stderr.contains(ADMIN_TOKEN),
        "the token was printed"
    );
    run
}

trait WithCode {
    /// The run, after checking its exit code.
    fn with_code(self, code: i32) -> Run;
}

impl WithCode for Run {
    fn with_code(self, code: i32) -> Run {
        assert_eq!(self.code, Some(code), "{}{}", self.stdout, self.stderr);
        Run {
            code: Some(0),
            ..self
        }
    }
}

fn json_of(run: &Run) -> Value {
    assert!(
        run.success(),
        "{:?}\n{}{}",
        run.code,
        run.stdout,
        run.stderr
    );
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// Rows of `status -o json` by `kind/name`.
fn rows(doc: &Value) -> Vec<(String, Value)> {
    doc["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|r| {
            let group = r["apiVersion"].as_str().unwrap().split('/').next().unwrap();
            let kind = r["kind"].as_str().unwrap();
            let short = if kind == "ImageUpdater" && group.starts_with("gitops") {
                "KsImageUpdater"
            } else {
                kind
            };
            (
                format!("{short}/{}", r["name"].as_str().unwrap()),
                r.clone(),
            )
        })
        .collect()
}

fn row<'a>(rows: &'a [(String, Value)], key: &str) -> &'a Value {
    &rows
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no row {key} in {rows:?}"))
        .1
}

fn status_case(c: &Cluster, ns: &str) {
    c.apply_ok(ns, FLUX);
    c.apply_ok(ns, ARGO_CR);
    c.apply_ok(ns, KUBESPHERE);
    // Nothing has looked at them yet.
    let fresh = rows(&json_of(&imageupdate(
        c,
        &["status", "-n", ns, "-o", "json"],
    )));
    assert_eq!(fresh.len(), 4, "{fresh:?}");
    assert_eq!(row(&fresh, "ImagePolicy/podinfo")["ready"], Value::Null);
    assert_eq!(
        row(&fresh, "ImagePolicy/podinfo")["resolved"],
        serde_json::json!([])
    );

    // What the controllers would write.
    let ready = |reason: &str, message: &str| {
        format!(
            r#"{{"type":"Ready","status":"True","reason":"{reason}","message":"{message}","lastTransitionTime":"2026-12-07T10:00:00Z","observedGeneration":1}}"#
        )
    };
    c.patch_status(ns, "imagepolicies.image.toolkit.fluxcd.io", "podinfo", &format!(
        r#"{{"status":{{"observedGeneration":1,"latestRef":{{"name":"ghcr.io/stefanprodan/podinfo","tag":"6.5.4"}},"conditions":[{}]}}}}"#,
        ready("Succeeded", "Latest image tag for ghcr.io/stefanprodan/podinfo resolved to 6.5.4")
    ));
    c.patch_status(ns, "imagerepositories.image.toolkit.fluxcd.io", "podinfo", &format!(
        r#"{{"status":{{"observedGeneration":1,"lastScanResult":{{"tagCount":42,"scanTime":"2026-12-07T10:01:00Z","latestTags":["6.5.4","6.5.3"]}},"conditions":[{}]}}}}"#,
        ready("Succeeded", "successful scan: found 42 tags")
    ));
    c.patch_status(ns, "imageupdaters.argocd-image-updater.argoproj.io", "shop", &format!(
        r#"{{"status":{{"lastCheckedAt":"2026-12-07T10:02:00Z","recentUpdates":[{{"alias":"api","image":"ghcr.io/org/api","newVersion":"2.3.1","updatedAt":"2026-12-07T10:02:00Z","applicationsUpdated":1}}],"conditions":[{}]}}}}"#,
        ready("Reconciled", "1 image updated")
    ));

    let doc = json_of(&imageupdate(c, &["status", "-n", ns, "-o", "json"]));
    let r = rows(&doc);
    let policy = row(&r, "ImagePolicy/podinfo");
    assert_eq!(policy["ready"], "True");
    assert_eq!(policy["reason"], "Succeeded");
    assert_eq!(policy["namespace"], ns);
    assert_eq!(
        policy["resolved"],
        serde_json::json!(["ghcr.io/stefanprodan/podinfo:6.5.4"])
    );
    assert_eq!(policy["last"], "2026-12-07T10:00:00Z");
    let repo = row(&r, "ImageRepository/podinfo");
    assert_eq!(
        repo["resolved"],
        serde_json::json!(["42 tags (latest 6.5.4, 6.5.3)"])
    );
    assert_eq!(repo["last"], "2026-12-07T10:01:00Z");
    let shop = row(&r, "ImageUpdater/shop");
    assert_eq!(
        shop["resolved"],
        serde_json::json!(["ghcr.io/org/api → 2.3.1"])
    );
    assert_eq!(shop["last"], "2026-12-07T10:02:00Z");
    assert_eq!(row(&r, "KsImageUpdater/web")["ready"], Value::Null);
    // Every kind the harness installed is served.
    assert_eq!(doc["notServed"], serde_json::json!([]));

    // A suspended repository says so.
    c.kubectl_ok(
        &[
            "patch",
            "-n",
            ns,
            "imagerepositories.image.toolkit.fluxcd.io",
            "podinfo",
            "--type=merge",
            "-p",
            r#"{"spec":{"suspend":true}}"#,
        ],
        None,
    );
    let table = imageupdate(c, &["status", "-n", ns]);
    assert!(table.success(), "{}", table.stderr);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(
        lines[0].starts_with("KIND") && lines[0].contains("RESOLVED"),
        "{}",
        table.stdout
    );
    assert!(!lines[0].contains("NAMESPACE"), "{}", table.stdout);
    let repo_line = lines
        .iter()
        .find(|l| l.starts_with("ImageRepository "))
        .unwrap();
    assert!(repo_line.contains("True (suspended)"), "{repo_line}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ImageUpdater/kubesphere") && l.contains("web"))
    );

    let wide = imageupdate(c, &["status", "-n", ns, "-o", "wide"]);
    assert!(
        wide.stdout.lines().next().unwrap().ends_with("MESSAGE"),
        "{}",
        wide.stdout
    );
    assert!(wide.stdout.contains("resolved to 6.5.4"), "{}", wide.stdout);

    let yaml = imageupdate(c, &["status", "-n", ns, "-o", "yaml"]);
    assert!(yaml.success());
    assert!(
        yaml.stdout.starts_with("---\nnotServed: []\nobjects:\n"),
        "{}",
        yaml.stdout
    );
    assert!(
        yaml.stdout.contains("- ghcr.io/stefanprodan/podinfo:6.5.4"),
        "{}",
        yaml.stdout
    );

    // The selector goes to the API server.
    let selected = rows(&json_of(&imageupdate(
        c,
        &["status", "-n", ns, "-l", "team=web", "-o", "json"],
    )));
    let mut keys: Vec<&str> = selected.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort();
    assert_eq!(keys, ["ImagePolicy/podinfo", "ImageRepository/podinfo"]);

    // -A: every namespace, with the NAMESPACE column.
    let all = imageupdate(c, &["status", "-A"]);
    assert!(all.stdout.starts_with("NAMESPACE"), "{}", all.stdout);
    assert!(
        all.stdout.lines().any(|l| l.starts_with(ns)),
        "{}",
        all.stdout
    );

    // Inside a checkout: the files each object drives.
    let repo_dir = tempfile::tempdir().unwrap();
    let root = repo_dir.path();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    common::write(
        root,
        "apps/podinfo.yaml",
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: ghcr.io/stefanprodan/podinfo:6.5.3 # {{\"$imagepolicy\": \"{ns}:podinfo\"}}\n"
        ),
    );
    common::write(
        root,
        "apps/other.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    let inside = rows(&json_of(&imageupdate_in(
        c,
        &["status", "-n", ns, "-o", "json"],
        Some(root),
    )));
    assert_eq!(
        row(&inside, "ImagePolicy/podinfo")["files"],
        serde_json::json!(["apps/podinfo.yaml"])
    );
    assert_eq!(
        row(&inside, "ImageRepository/podinfo")["files"],
        serde_json::json!(["apps/podinfo.yaml"])
    );
    // Outside one, no files.
    assert_eq!(
        row(&r, "ImagePolicy/podinfo")["files"],
        serde_json::json!([])
    );

    // An empty namespace.
    let empty = c.namespace("empty");
    let none = imageupdate(c, &["status", "-n", &empty]);
    assert!(none.success());
    assert_eq!(none.stdout, "");
    assert!(none.stderr.contains(&format!(
        "No image automation objects found in namespace {empty}"
    )));
}

/// A repository whose KubeSphere fluxcd updater exports to three Flux
/// objects.
fn export_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        "updater.yaml",
        "apiVersion: gitops.kubesphere.io/v1alpha1\nkind: ImageUpdater\nmetadata:\n  name: web\nspec:\n  kind: fluxcd\n  images: [ghcr.io/org/web]\n  fluxcd:\n    policy:\n      semver:\n        range: 1.x\n    interval: 5m\n    sourceRef:\n      name: fleet\n",
    );
    dir
}

fn apply_case(c: &Cluster, ns: &str) {
    let repo = export_repo();
    let root = repo.path().to_str().unwrap();
    let export = |extra: &[&str]| {
        let mut args = vec![
            "export", "--to", "flux", "--root", root, root, "--apply", "-n", ns,
        ];
        args.extend(extra);
        imageupdate(c, &args)
    };
    let first = export(&[]);
    assert!(first.success(), "{}{}", first.stdout, first.stderr);
    let created: Vec<&str> = first.stdout.lines().collect();
    assert!(
        !created.is_empty() && created.iter().all(|l| l.ends_with(" created")),
        "{}",
        first.stdout
    );
    assert!(
        created
            .iter()
            .any(|l| l.starts_with("imagepolicy.image.toolkit.fluxcd.io/")),
        "{}",
        first.stdout
    );
    // The objects are there, owned by our field manager.
    let policies = c.kubectl_ok(
        &[
            "get",
            "-n",
            ns,
            "imagepolicies.image.toolkit.fluxcd.io",
            "-o",
            "json",
        ],
        None,
    );
    let policies: Value = serde_json::from_str(&policies).unwrap();
    let name = policies["items"][0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    // kubectl leaves managedFields out of lists.
    let item: Value = serde_json::from_str(&c.kubectl_ok(
        &[
            "get",
            "-n",
            ns,
            "imagepolicies.image.toolkit.fluxcd.io",
            &name,
            "-o",
            "json",
            "--show-managed-fields",
        ],
        None,
    ))
    .unwrap();
    assert!(
        item["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["manager"] == "kubectl-imageupdate" && m["operation"] == "Apply")
    );

    // Idempotent.
    let second = export(&[]);
    assert!(second.success(), "{}", second.stderr);
    assert!(
        second.stdout.lines().all(|l| l.ends_with(" unchanged")),
        "{}",
        second.stdout
    );

    // Another manager takes the range: our apply reports it per field.
    let theirs = format!(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: {name}\nspec:\n  imageRepositoryRef:\n    name: {}\n  policy:\n    semver:\n      range: 2.x\n",
        item["spec"]["imageRepositoryRef"]["name"].as_str().unwrap()
    );
    let taken = c.kubectl_run(
        &[
            "apply",
            "--server-side",
            "--force-conflicts",
            "--field-manager=platform-team",
            "-n",
            ns,
            "-f",
            "-",
        ],
        Some(&theirs),
    );
    assert!(taken.success(), "{}", taken.stderr);
    let conflict = export(&[]);
    assert_eq!(
        conflict.code,
        Some(1),
        "{}{}",
        conflict.stdout,
        conflict.stderr
    );
    assert!(
        conflict
            .stderr
            .contains(".spec.policy.semver.range is owned by \"platform-team\""),
        "{}",
        conflict.stderr
    );
    assert!(
        conflict.stderr.contains("--force-conflicts"),
        "{}",
        conflict.stderr
    );
    let range = |c: &Cluster| {
        c.get(ns, "imagepolicies.image.toolkit.fluxcd.io", &name)["spec"]["policy"]["semver"]["range"].clone()
    };
    assert_eq!(range(c), "2.x");

    // A server dry run changes nothing.
    let dry = export(&["--force-conflicts", "--dry-run", "server"]);
    assert!(dry.success(), "{}", dry.stderr);
    assert!(
        dry.stdout.contains("configured (server dry run)"),
        "{}",
        dry.stdout
    );
    assert_eq!(range(c), "2.x");

    let forced = export(&["--force-conflicts"]);
    assert!(forced.success(), "{}", forced.stderr);
    assert!(
        forced.stdout.contains(&format!(
            "imagepolicy.image.toolkit.fluxcd.io/{name} configured"
        )),
        "{}",
        forced.stdout
    );
    assert_eq!(range(c), "1.x");

    // The CRD the harness installed is what `crd` generates.
    let crd = imageupdate(c, &["crd", "--apply"]);
    assert!(crd.success(), "{}", crd.stderr);
    assert_eq!(
        crd.stdout,
        "customresourcedefinition.apiextensions.k8s.io/imageupdaters.gitops.kubesphere.io unchanged\n"
    );

    // A document the schema refuses is reported, and the rest go on.
    let bad = imageupdate(
        c,
        &[
            "export",
            "--to",
            "flux",
            "--root",
            root,
            root,
            "--apply",
            "-n",
            "no-such-namespace",
        ],
    );
    assert_eq!(bad.code, Some(1), "{}{}", bad.stdout, bad.stderr);
    assert!(bad.stderr.contains("no-such-namespace"), "{}", bad.stderr);
}

/// Runs `kubectl-imageupdate ARGS` on a thread, as CI would while the
/// controllers work.
fn spawn(c: &Cluster, args: &[&str]) -> std::thread::JoinHandle<Run> {
    let kubeconfig = c.kubeconfig.clone();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    std::thread::spawn(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubectl-imageupdate"));
        cmd.env_remove("KUBECONFIG")
            .args(&args)
            .arg("--kubeconfig")
            .arg(kubeconfig);
        run_bounded(cmd, None, Duration::from_secs(120))
    })
}

fn reconcile_case(c: &Cluster, ns: &str) {
    const IR: &str = "imagerepositories.image.toolkit.fluxcd.io";
    const IP: &str = "imagepolicies.image.toolkit.fluxcd.io";
    c.apply_ok(ns, FLUX);
    let requested = || {
        c.get(ns, IR, "podinfo")["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"]
            .as_str()
            .map(str::to_owned)
    };
    // The reflector's part: it handles a request it has not handled yet.
    let handle = |before: Option<String>| {
        let token = eventually("a new request", || {
            requested().filter(|t| Some(t) != before.as_ref())
        });
        c.patch_status(
            ns,
            IR,
            "podinfo",
            &format!(r#"{{"status":{{"lastHandledReconcileAt":"{token}"}}}}"#),
        );
        token
    };

    // Without --wait: the request is made and nothing else is claimed.
    let plain = imageupdate(c, &["reconcile", "ghcr.io/stefanprodan/podinfo", "-n", ns]);
    assert!(plain.success(), "{}", plain.stderr);
    let token = requested().expect("annotation set");
    assert!(plain.stdout.contains(&token), "{}", plain.stdout);
    let repo: Value = serde_json::from_str(&c.kubectl_ok(
        &[
            "get",
            "-n",
            ns,
            IR,
            "podinfo",
            "-o",
            "json",
            "--show-managed-fields",
        ],
        None,
    ))
    .unwrap();
    let ours = repo["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["manager"] == "kubectl-imageupdate")
        .expect("our field manager")
        .clone();
    assert_eq!(
        ours["fieldsV1"],
        serde_json::json!({"f:metadata": {"f:annotations": {"f:reconcile.fluxcd.io/requestedAt": {}}}})
    );

    // --wait with a tag finishes once the source handled the request and
    // the policy picked the tag.
    let waiting = spawn(
        c,
        &[
            "reconcile",
            "ghcr.io/stefanprodan/podinfo:6.5.5",
            "--wait",
            "--timeout",
            "60s",
            "-n",
            ns,
        ],
    );
    let token = handle(Some(token));
    c.patch_status(
        ns,
        IP,
        "podinfo",
        r#"{"status":{"latestRef":{"name":"ghcr.io/stefanprodan/podinfo","tag":"6.5.5"}}}"#,
    );
    let done = waiting.join().unwrap();
    assert!(
        done.success(),
        "{:?}\n{}{}",
        done.code,
        done.stdout,
        done.stderr
    );
    assert!(done.stdout.contains("reconciled"), "{}", done.stdout);
    assert!(
        done.stdout.contains(&format!(
            "imagepolicy.image.toolkit.fluxcd.io/{ns}/podinfo: picked 6.5.5"
        )),
        "{}",
        done.stdout
    );

    // A tag the policy ranks below its pick is done at once.
    let older = spawn(
        c,
        &[
            "reconcile",
            "ghcr.io/stefanprodan/podinfo:6.5.1",
            "--wait",
            "--timeout",
            "60s",
            "-n",
            ns,
        ],
    );
    let token = handle(Some(token));
    let older = older.join().unwrap();
    assert!(older.success(), "{}{}", older.stdout, older.stderr);
    assert!(older.stdout.contains("picked 6.5.5"), "{}", older.stdout);

    // A tag the policy can never pick is named with the engine's reason.
    let excluded = spawn(
        c,
        &[
            "reconcile",
            "ghcr.io/stefanprodan/podinfo:7.0.0",
            "--wait",
            "--timeout",
            "60s",
            "-n",
            ns,
        ],
    );
    handle(Some(token));
    let excluded = excluded.join().unwrap();
    assert_eq!(
        excluded.code,
        Some(1),
        "{}{}",
        excluded.stdout,
        excluded.stderr
    );
    assert!(
        excluded.stderr.contains("never picks 7.0.0"),
        "{}",
        excluded.stderr
    );

    // Nobody handles the request: the wait ends at the timeout.
    let late = imageupdate(
        c,
        &[
            "reconcile",
            "ghcr.io/stefanprodan/podinfo",
            "--wait",
            "--timeout",
            "2s",
            "-n",
            ns,
        ],
    );
    assert_eq!(late.code, Some(1), "{}{}", late.stdout, late.stderr);
    assert!(
        late.stderr.contains("did not handle the request within 2s"),
        "{}",
        late.stderr
    );

    // An OCIRepository follows its oci:// URL.
    c.apply_ok(
        ns,
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: manifests\nspec:\n  interval: 5m\n  url: oci://ghcr.io/stefanprodan/manifests/podinfo\n  ref:\n    tag: latest\n",
    );
    let oci = imageupdate(
        c,
        &[
            "reconcile",
            "ghcr.io/stefanprodan/manifests/podinfo:6.5.5",
            "-n",
            ns,
        ],
    );
    assert!(oci.success(), "{}", oci.stderr);
    assert!(
        oci.stdout.starts_with(&format!(
            "ocirepository.source.toolkit.fluxcd.io/{ns}/manifests: "
        )),
        "{}",
        oci.stdout
    );
    assert!(
        c.get(ns, "ocirepositories.source.toolkit.fluxcd.io", "manifests")["metadata"]["annotations"]
            ["reconcile.fluxcd.io/requestedAt"]
            .is_string()
    );

    // Nothing follows the image.
    let none = imageupdate(c, &["reconcile", "ghcr.io/org/unfollowed:1.0.0", "-n", ns]);
    assert_eq!(none.code, Some(1), "{}", none.stderr);
    assert!(
        none.stderr.contains("follows ghcr.io/org/unfollowed"),
        "{}",
        none.stderr
    );
    // docker.io names compare normalised.
    let hub = imageupdate(c, &["reconcile", "nginx", "-n", ns]);
    assert_eq!(hub.code, Some(1));
    assert!(
        hub.stderr.contains("docker.io/library/nginx"),
        "{}",
        hub.stderr
    );
}

/// A checkout holding the Flux objects of `FLUX` and a Deployment whose
/// image follows the policy, at `tag`.
fn checkout(ns: &str, tag: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    common::write(
        dir.path(),
        "flux/podinfo.yaml",
        &FLUX.replace("metadata:\n", &format!("metadata:\n  namespace: {ns}\n")),
    );
    common::write(
        dir.path(),
        "apps/podinfo.yaml",
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n  namespace: {ns}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: ghcr.io/stefanprodan/podinfo:{tag} # {{\"$imagepolicy\": \"{ns}:podinfo\"}}\n"
        ),
    );
    dir
}

fn diff_case(c: &Cluster, ns: &str) {
    const IP: &str = "imagepolicies.image.toolkit.fluxcd.io";
    c.apply_ok(ns, FLUX);
    c.patch_status(
        ns,
        IP,
        "podinfo",
        r#"{"status":{"latestRef":{"name":"ghcr.io/stefanprodan/podinfo","tag":"6.5.4"}}}"#,
    );
    // What runs: a Pod (nothing schedules it; the API server keeps it).
    c.apply_ok(
        ns,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: podinfo-1\nspec:\n  containers:\n  - name: app\n    image: ghcr.io/stefanprodan/podinfo:6.5.4\n",
    );
    let diff = |dir: &Path, extra: &[&str]| {
        let root = dir.to_str().unwrap();
        let mut args = vec!["diff", "--root", root, root];
        args.extend(extra);
        imageupdate(c, &args)
    };

    // In step: the repository has what the policy picked and what runs.
    let same = checkout(ns, "6.5.4");
    let run = diff(same.path(), &[]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("agrees"), "{}", run.stderr);

    // The repository is behind: the value differs from the pick and the Pod.
    let behind = checkout(ns, "6.5.3");
    let run = diff(behind.path(), &[]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        "apps/podinfo.yaml:11 ghcr.io/stefanprodan/podinfo: repository ghcr.io/stefanprodan/podinfo:6.5.3, selected ghcr.io/stefanprodan/podinfo:6.5.4, running ghcr.io/stefanprodan/podinfo:6.5.4\n"
    );
    let json = json_of(
        &imageupdate(
            c,
            &[
                "diff",
                "--root",
                behind.path().to_str().unwrap(),
                behind.path().to_str().unwrap(),
                "-o",
                "json",
            ],
        )
        .with_code(1),
    );
    assert_eq!(
        json["targets"][0]["selected"],
        "ghcr.io/stefanprodan/podinfo:6.5.4"
    );
    assert_eq!(
        json["targets"][0]["running"],
        serde_json::json!(["ghcr.io/stefanprodan/podinfo:6.5.4"])
    );
    assert_eq!(json["objects"].as_array().unwrap().len(), 2);
    assert!(
        json["objects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["state"]["state"] == "same"),
        "{json}"
    );

    // The objects drift: the cluster's range is not the repository's.
    c.kubectl_ok(
        &[
            "patch",
            "-n",
            ns,
            IP,
            "podinfo",
            "--type=merge",
            "-p",
            r#"{"spec":{"policy":{"semver":{"range":"5.x"}}}}"#,
        ],
        None,
    );
    let run = diff(same.path(), &[]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        "flux/podinfo.yaml imagepolicy.image.toolkit.fluxcd.io/podinfo: differs at .spec.policy.semver.range\n"
    );
    // The dry run stored nothing.
    assert_eq!(
        c.get(ns, IP, "podinfo")["spec"]["policy"]["semver"]["range"],
        "5.x"
    );

    // An object only the repository has.
    c.kubectl_ok(
        &[
            "delete",
            "-n",
            ns,
            "imagerepositories.image.toolkit.fluxcd.io",
            "podinfo",
        ],
        None,
    );
    let run = diff(same.path(), &[]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout.contains(
            "flux/podinfo.yaml imagerepository.image.toolkit.fluxcd.io/podinfo: not in the cluster"
        ),
        "{}",
        run.stdout
    );
}

/// With no kubeconfig, inside a pod: the in-cluster configuration
/// (`KUBERNETES_SERVICE_HOST`/`_PORT`, the service account's token, CA and
/// namespace under `/var/run/secrets/kubernetes.io/serviceaccount`), as
/// the controller's Deployment runs. The files are put in place in a
/// private mount namespace (`unshare`, a tmpfs over `/run`), so the host's
/// own `/run` is never touched; kube's `Config::infer` reads them at their
/// fixed paths.
fn in_cluster_case(c: &Cluster, ns: &str) {
    c.apply_ok(ns, FLUX);
    let account = tempfile::tempdir().unwrap();
    std::fs::write(account.path().join("token"), ADMIN_TOKEN).unwrap();
    std::fs::copy(&c.ca, account.path().join("ca.crt")).unwrap();
    std::fs::write(account.path().join("namespace"), ns).unwrap();
    let port = c.server.rsplit(':').next().unwrap();
    let script = "mount -t tmpfs tmpfs /run \
        && mkdir -p /run/secrets/kubernetes.io/serviceaccount \
        && cp \"$ACCOUNT\"/* /run/secrets/kubernetes.io/serviceaccount/ \
        && exec \"$BIN\" status -o json";
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c", script])
        .env_remove("KUBECONFIG")
        .env("HOME", account.path())
        .env("ACCOUNT", account.path())
        .env("BIN", env!("CARGO_BIN_EXE_kubectl-imageupdate"))
        .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", port);
    let run = run_bounded(cmd, None, Duration::from_secs(120));
    assert_eq!(
        run.code,
        Some(0),
        "in-cluster status (unshare needs CAP_SYS_ADMIN, which the test machines have): {}{}",
        run.stdout,
        run.stderr
    );
    assert!(!run.stdout.contains(ADMIN_TOKEN) && !run.stderr.contains(ADMIN_TOKEN));
    // The namespace came from the service account: -n was not given.
    let r = rows(&json_of(&run));
    assert_eq!(row(&r, "ImagePolicy/podinfo")["namespace"], ns, "{r:?}");
}

/// `pullsecret:` and `secret:` credentials in registries.conf are read
/// from the cluster: a basic-auth registry on loopback answers only with
/// the password the cluster's Secret holds.
fn pull_secret_case(c: &Cluster, ns: &str) {
    use registry::{Auth, Registry, SeedTag, Storage, seed, support};
    let work = tempfile::tempdir().unwrap();
    let reg = Registry::start(
        &work.path().join("reg"),
        Auth::Htpasswd(support().join("htpasswd")),
        Storage::Memory,
    );
    let repos = std::collections::BTreeMap::from([(
        "team/app".to_owned(),
        vec![
            SeedTag::new("1.0.0"),
            SeedTag::new("1.1.0"),
            SeedTag::new("2.0.0"),
        ],
    )]);
    seed(
        &work.path().join("seed"),
        &reg.addr,
        &repos,
        Some("Basic YWxpY2U6czNjcmV0"),
    );
    c.kubectl_ok(
        &[
            "create",
            "secret",
            "docker-registry",
            "regcred",
            "-n",
            ns,
            "--docker-server",
            &reg.addr,
            "--docker-username",
            "alice",
            "--docker-password",
            "s3cret",
        ],
        None,
    );
    c.kubectl_ok(
        &[
            "create",
            "secret",
            "generic",
            "plain",
            "-n",
            ns,
            "--from-literal=creds=alice:s3cret",
        ],
        None,
    );
    c.kubectl_ok(
        &[
            "create",
            "secret",
            "generic",
            "wrong",
            "-n",
            ns,
            "--from-literal=creds=alice:nope",
        ],
        None,
    );
    let root = work.path().join("tree");
    common::write(
        &root,
        "flux.yaml",
        &format!(
            "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  image: {addr}/team/app\n  interval: 5m\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: app\n  policy:\n    semver:\n      range: 1.x\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: {addr}/team/app:1.0.0 # {{\"$imagepolicy\": \"flux-system:app\"}}\n",
            addr = reg.addr
        ),
    );
    let preview = |credentials: &str| {
        let conf = work.path().join("registries.conf");
        std::fs::write(
            &conf,
            format!(
                "registries:\n- name: test\n  prefix: {addr}\n  api_url: http://{addr}\n  credentials: {credentials}\n",
                addr = reg.addr
            ),
        )
        .unwrap();
        let root = root.to_str().unwrap();
        imageupdate(
            c,
            &[
                "preview",
                "--root",
                root,
                root,
                "-o",
                "json",
                "--no-cache",
                "--registries-conf",
                conf.to_str().unwrap(),
            ],
        )
    };
    for reference in [
        format!("pullsecret:{ns}/regcred"),
        format!("secret:{ns}/plain#creds"),
    ] {
        let run = preview(&reference);
        let doc = json_of(&run);
        assert_eq!(
            doc["updates"][0]["candidate"],
            format!("{}/team/app:1.1.0", reg.addr),
            "{reference}: {doc}"
        );
        assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    }
    // The cluster's password is wrong: the registry says so.
    let run = preview(&format!("secret:{ns}/wrong#creds"));
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("401"), "{}", run.stderr);
    assert!(!run.stderr.contains("nope"), "{}", run.stderr);
    // No such Secret: named, with the API server's reason.
    let run = preview(&format!("pullsecret:{ns}/absent"));
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "cannot read Secret {ns}/absent from the cluster: secrets \"absent\" not found"
        )),
        "{}",
        run.stderr
    );

    // The repository names the secret itself (Flux `secretRef`, in the
    // ImageRepository's namespace; an Argo `pull-secret` annotation): it
    // is read from the cluster, with no credentials in registries.conf.
    let conf = work.path().join("anonymous.conf");
    std::fs::write(
        &conf,
        format!(
            "registries:\n- name: test\n  prefix: {addr}\n  api_url: http://{addr}\n",
            addr = reg.addr
        ),
    )
    .unwrap();
    let named = |name: &str, manifests: &str| {
        let root = work.path().join(name);
        common::write(&root, "app.yaml", manifests);
        let root = root.to_str().unwrap().to_owned();
        imageupdate(
            c,
            &[
                "preview",
                "--root",
                &root,
                &root,
                "-o",
                "json",
                "--no-cache",
                "--registries-conf",
                conf.to_str().unwrap(),
            ],
        )
    };
    let flux = |secret_ref: &str| {
        format!(
            "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app\n  namespace: {ns}\nspec:\n  image: {addr}/team/app\n  interval: 5m\n{secret_ref}---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\n  namespace: {ns}\nspec:\n  imageRepositoryRef:\n    name: app\n  policy:\n    semver:\n      range: 1.x\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: {addr}/team/app:1.0.0 # {{\"$imagepolicy\": \"{ns}:app\"}}\n",
            addr = reg.addr
        )
    };
    let run = named(
        "flux-secret-ref",
        &flux("  secretRef:\n    name: regcred\n"),
    );
    let doc = json_of(&run);
    assert_eq!(
        doc["updates"][0]["candidate"],
        format!("{}/team/app:1.1.0", reg.addr),
        "{doc}\n{}",
        run.stderr
    );
    // Without it the registry refuses: the secret is what let it in.
    let run = named("flux-anonymous", &flux(""));
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("401"), "{}", run.stderr);
    let argo = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: app\n  namespace: {ns}\n  annotations:\n    argocd-image-updater.argoproj.io/image-list: app={addr}/team/app:^1.0\n    argocd-image-updater.argoproj.io/app.pull-secret: secret:{ns}/plain#creds\nspec:\n  source:\n    repoURL: https://git.example.com/apps.git\n    path: app\n    kustomize:\n      images:\n      - {addr}/team/app:1.0.0\n",
        addr = reg.addr
    );
    let run = named("argo-pull-secret", &argo);
    let doc = json_of(&run);
    assert_eq!(
        doc["updates"][0]["candidate"], "1.1.0",
        "{doc}\n{}",
        run.stderr
    );
    // A secret that cannot be read is said, and the registry's own
    // credentials (none here) are used.
    let run = named("flux-absent", &flux("  secretRef:\n    name: absent\n"));
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("the pull secret the repository names is not used")
            && run.stderr.contains("absent"),
        "{}",
        run.stderr
    );
}

/// `diff` reads the Application's `status.summary.images` and says which
/// configured images the updater would skip as not live
/// (`UpdateApplication`, `pkg/argocd/update.go`, with `ContainsImage`,
/// `registry-scanner/pkg/image/image.go`: the registry compared as
/// written); a forced image is not gated (`GetImagesFromApplication`,
/// `pkg/argocd/argocd.go`).
fn argo_live_gate_case(c: &Cluster, ns: &str) {
    let app = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: edge\n  namespace: {ns}\n  annotations:\n    argocd-image-updater.argoproj.io/image-list: proxy=nginx:~1.27, long=docker.io/library/nginx:~1.27, auth=ghcr.io/acme/auth:~4.0\n    argocd-image-updater.argoproj.io/auth.force-update: 'true'\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.com/acme/deploy.git\n    path: edge\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: edge\n"
    );
    c.apply_ok(
        ns,
        &format!("{app}status:\n  summary:\n    images:\n    - nginx:1.27.3\n"),
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    common::write(dir.path(), "apps/edge.yaml", &app);
    let root = dir.path().to_str().unwrap();
    let run = imageupdate(c, &["diff", "--root", root, root, "-o", "json"]);
    assert!(
        run.code.is_some_and(|c| c <= 1),
        "{}{}",
        run.stdout,
        run.stderr
    );
    let json: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    let targets = json["targets"].as_array().unwrap();
    let note = |image: &str| {
        targets
            .iter()
            .find(|t| t["image"] == image)
            .unwrap_or_else(|| panic!("{image}: {json}"))["note"]
            .clone()
    };
    assert_eq!(note("nginx"), Value::Null, "{json}");
    assert_eq!(note("ghcr.io/acme/auth"), Value::Null, "{json}");
    let long = note("docker.io/nginx");
    assert!(
        long.as_str().is_some_and(|n| n.contains(&format!(
            "not among Application {ns}/edge's live images (status.summary.images)"
        ))),
        "{json}"
    );
}

#[test]
fn cluster_commands() {
    let c = Cluster::start();
    c.cases(&[
        ("status", &status_case),
        ("in-cluster", &in_cluster_case),
        ("apply", &apply_case),
        ("reconcile", &reconcile_case),
        ("diff", &diff_case),
        ("argo-live-gate", &argo_live_gate_case),
        ("pull-secret", &pull_secret_case),
    ]);
}

/// No cluster answers: one line, exit 2, no credential.
#[test]
fn no_cluster_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kubeconfig = dir.path().join("config");
    std::fs::write(
        &kubeconfig,
        format!("apiVersion: v1\nkind: Config\nclusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{port}'}}}}]\nusers: [{{name: u, user: {{token: s3cret-token}}}}]\ncontexts: [{{name: x, context: {{cluster: c, user: u}}}}]\ncurrent-context: x\n"),
    )
    .unwrap();
    let run = |args: &[&str], config: &Path| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubectl-imageupdate"));
        cmd.env_remove("KUBECONFIG")
            .env("HOME", dir.path())
            .args(args)
            .arg("--kubeconfig")
            .arg(config);
        run_bounded(cmd, None, Duration::from_secs(60))
    };
    for args in [
        &["status"][..],
        &["reconcile", "nginx:1.27"],
        &["crd", "--apply"],
    ] {
        let out = run(args, &kubeconfig);
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with(&format!(
                "error: cannot reach the cluster at https://127.0.0.1:{port}/"
            )),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("s3cret-token"));
        assert_eq!(out.stdout, "");
    }
    let missing = run(&["status"], &dir.path().join("nope"));
    assert_eq!(missing.code, Some(2));
    assert!(
        missing.stderr.contains("cannot read") && missing.stderr.contains("No such file"),
        "{}",
        missing.stderr
    );
    let context = {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubectl-imageupdate"));
        cmd.env_remove("KUBECONFIG")
            .args(["status", "--context", "elsewhere", "--kubeconfig"])
            .arg(&kubeconfig);
        run_bounded(cmd, None, Duration::from_secs(60))
    };
    assert_eq!(context.code, Some(2));
    assert!(context.stderr.contains("elsewhere"), "{}", context.stderr);
}
