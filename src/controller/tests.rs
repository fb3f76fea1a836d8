use std::time::Duration;

use serde_json::{Value, json};

use super::plan::{ArgocdMode, Reason};
use super::status::{build, is_transition};
use super::{OWNER_LABEL, backoff, findings, log};

fn plan(object: &Value) -> super::plan::Plan {
    super::plan::plan(object, ArgocdMode::Crd)
}

fn object(spec: Value) -> Value {
    json!({
        "apiVersion": "gitops.kubesphere.io/v1alpha1",
        "kind": "ImageUpdater",
        "metadata": {"name": "web", "namespace": "shop", "uid": "0c7e-uid", "generation": 3},
        "spec": spec,
    })
}

#[test]
fn argocd_becomes_one_argo_cr_owned_by_the_object() {
    let p = plan(&object(json!({
        "kind": "argocd",
        "images": ["web=ghcr.io/org/web:~1.2"],
        "argo": {"app": {"name": "storefront"}, "updateStrategy": {"web": "semver"}},
    })));
    assert_eq!(p.blocked, None, "{:?}", p.diagnostics);
    let [doc] = p.documents.as_slice() else {
        panic!("one document: {:?}", p.documents)
    };
    assert_eq!(
        doc["apiVersion"],
        "argocd-image-updater.argoproj.io/v1alpha1"
    );
    assert_eq!(doc["metadata"]["namespace"], "shop");
    assert_eq!(doc["metadata"]["labels"][OWNER_LABEL], "0c7e-uid");
    assert_eq!(
        doc["metadata"]["ownerReferences"],
        json!([{"apiVersion": "gitops.kubesphere.io/v1alpha1", "kind": "ImageUpdater",
                "name": "web", "uid": "0c7e-uid", "controller": true, "blockOwnerDeletion": true}])
    );
    assert_eq!(
        doc["spec"]["applicationRefs"][0]["namePattern"],
        "storefront"
    );
    assert_eq!(
        p.application,
        Some(("shop".to_owned(), "storefront".to_owned()))
    );
}

#[test]
fn fluxcd_becomes_repository_policy_and_automation() {
    let p = plan(&object(json!({
        "kind": "fluxcd",
        "images": ["ghcr.io/org/web"],
        "fluxcd": {"policy": {"semver": {"range": ">=1.0.0"}},
                   "sourceRef": {"kind": "GitRepository", "name": "shop-config"}},
    })));
    assert_eq!(p.blocked, None, "{:?}", p.diagnostics);
    let mut kinds: Vec<&str> = p
        .documents
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["ImagePolicy", "ImageRepository", "ImageUpdateAutomation"]
    );
    assert!(
        p.documents
            .iter()
            .all(|d| d["metadata"]["namespace"] == "shop"
                && d["metadata"]["ownerReferences"][0]["uid"] == "0c7e-uid")
    );
    assert_eq!(p.application, None);
}

/// The same finding validate reports for the file
/// (testdata/kubesphere/mistakes/unknown-strategy.yaml), with the field.
#[test]
fn an_invalid_spec_generates_nothing_and_says_why_where() {
    let p = plan(&object(json!({
        "kind": "argocd",
        "images": ["reports=registry.example.com/analytics/reports"],
        "argo": {"app": {"name": "reports"}, "updateStrategy": {"reports": "newest"}},
    })));
    assert!(p.documents.is_empty());
    let (reason, message) = p.blocked.expect("blocked");
    assert_eq!(reason, Reason::Invalid);
    let error = p
        .diagnostics
        .iter()
        .find(|d| d.severity == "error")
        .expect("an error");
    assert!(message.starts_with(&error.code), "{message}");
    assert_eq!(
        error.field.as_deref(),
        Some("spec.argo.updateStrategy.reports")
    );
}

#[test]
fn an_application_in_another_namespace_is_not_found() {
    let p = plan(&object(json!({
        "kind": "argocd",
        "images": ["web=ghcr.io/org/web"],
        "argocd": {"app": {"name": "web", "namespace": "argocd"}},
    })));
    assert!(p.documents.is_empty());
    assert_eq!(p.blocked.map(|b| b.0), Some(Reason::ApplicationNotFound));
}

#[test]
fn field_paths_name_keys_and_items() {
    let ws = crate::discover::in_memory(vec![(
        "a.yaml".to_owned(),
        "spec:\n  images:\n  - a\n  - b\n".to_owned(),
    )]);
    let y = ws.files[0].yaml.as_ref().unwrap();
    let at = |text: &str| {
        let start = ws.files[0].text.find(text).unwrap();
        findings::field_path(y, crate::yaml::Span::new(start, start + text.len()))
    };
    assert_eq!(at("b").as_deref(), Some("spec.images[1]"));
    assert_eq!(at("images").as_deref(), Some("spec.images"));
}

#[test]
fn the_transition_time_moves_only_with_the_status() {
    let first = build(
        None,
        Some(1),
        Reason::Invalid,
        "x".into(),
        vec![],
        vec![],
        "T1",
    );
    let c1 = &first.conditions[0];
    assert_eq!(
        (c1.status.as_str(), c1.last_transition_time.as_str()),
        ("False", "T1")
    );
    let again = build(
        Some(c1),
        Some(2),
        Reason::EngineMissing,
        "y".into(),
        vec![],
        vec![],
        "T2",
    );
    let c2 = &again.conditions[0];
    assert_eq!(c2.last_transition_time, "T1");
    assert!(is_transition(Some(c1), c2), "the reason changed");
    let ready = build(
        Some(c2),
        Some(2),
        Reason::Reconciled,
        "z".into(),
        vec![],
        vec![],
        "T3",
    );
    assert_eq!(ready.conditions[0].last_transition_time, "T3");
    assert_eq!(ready.observed_generation, Some(2));
    assert!(!is_transition(
        Some(&ready.conditions[0]),
        &ready.conditions[0]
    ));
}

#[test]
fn backoff_doubles_up_to_the_bound() {
    let max = Duration::from_secs(60);
    let pauses: Vec<u64> = (1..=8).map(|n| backoff(n, max).as_secs()).collect();
    assert_eq!(pauses, [1, 2, 4, 8, 16, 32, 60, 60]);
    assert_eq!(backoff(u32::MAX, max), max);
}

#[test]
fn log_lines_are_json() {
    let line = log::render("T", "info", "ready changed", &[("object", "a/b \"q\"")]);
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        v,
        json!({"ts": "T", "level": "info", "msg": "ready changed", "object": "a/b \"q\""})
    );
}

#[test]
fn probes_answer_by_state() {
    use super::health::{LEADING, STANDBY, STARTING, STOPPING, answer};
    assert_eq!(answer("/healthz", STARTING).0, 200);
    assert_eq!(answer("/readyz", STARTING).0, 503);
    assert_eq!(answer("/readyz", STANDBY), (200, "standing by\n"));
    assert_eq!(answer("/readyz", LEADING), (200, "leading\n"));
    assert_eq!(answer("/readyz", STOPPING).0, 503);
    assert_eq!(answer("/metrics", LEADING).0, 404);
}

/// A probe whose request arrives in two segments still gets its answer:
/// the server reads the whole head before it answers and closes (it once
/// answered the first segment and closed with the rest unread, so the
/// kernel reset the connection and `/healthz` flaked under load).
#[test]
fn a_request_in_segments_is_answered() {
    use std::io::{Read, Write};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let client = move || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        s.write_all(b"GET ").unwrap();
        std::thread::sleep(Duration::from_millis(200));
        s.write_all(b"/healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).map(|_| text)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answer = runtime.block_on(async {
        super::health::serve(&addr, super::health::State::default())
            .await
            .unwrap();
        tokio::task::spawn_blocking(client).await.unwrap()
    });
    let text = answer.expect("an answer, not a reset connection");
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.ends_with("ok\n"), "{text}");
}

#[test]
fn namespaced_manifests_need_no_cluster_role() {
    use super::manifests::{ManifestOptions, manifests};
    let kinds = |namespaced| -> Vec<String> {
        manifests(&ManifestOptions {
            namespace: "team-a".into(),
            namespaced,
            image: "img".into(),
            annotations: false,
        })
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_owned())
        .collect()
    };
    assert!(!kinds(true).iter().any(|k| k.starts_with("Cluster")));
    assert!(kinds(false).contains(&"ClusterRole".to_owned()));
    let docs = manifests(&ManifestOptions {
        namespace: "team-a".into(),
        namespaced: true,
        image: "img".into(),
        annotations: false,
    });
    let deployment = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
    let args = &deployment["spec"]["template"]["spec"]["containers"][0]["args"];
    assert!(
        args.as_array()
            .unwrap()
            .contains(&json!("--namespace=team-a")),
        "{args}"
    );
}

#[test]
fn annotations_mode_patches_the_application_without_owning_it() {
    let p = super::plan::plan(
        &object(json!({
            "kind": "argocd",
            "images": ["web=ghcr.io/org/web:~1.2"],
            "argo": {"app": {"name": "storefront"}},
        })),
        ArgocdMode::Annotations,
    );
    assert_eq!(p.blocked, None, "{:?}", p.diagnostics);
    let [doc] = p.documents.as_slice() else {
        panic!("one document: {:?}", p.documents)
    };
    assert_eq!(doc["kind"], "Application");
    assert_eq!(doc["metadata"]["name"], "storefront");
    assert!(doc["metadata"].get("ownerReferences").is_none());
    assert_eq!(
        doc["metadata"]["annotations"]["argocd-image-updater.argoproj.io/image-list"],
        "web=ghcr.io/org/web:~1.2"
    );
    assert_eq!(
        p.application,
        Some(("shop".to_owned(), "storefront".to_owned()))
    );
}
