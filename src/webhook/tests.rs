use serde_json::{Value, json};

use super::review::answer;
use super::serve::route;
use crate::controller::http::Request;

fn review(operation: &str, object: Value, old: Option<Value>) -> Vec<u8> {
    let kind = object["kind"].as_str().unwrap_or_default().to_owned();
    let api_version = object["apiVersion"].as_str().unwrap_or_default().to_owned();
    let (group, version) = api_version.split_once('/').unwrap();
    let plural = format!("{}s", kind.to_lowercase());
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": plural},
            "name": object["metadata"]["name"],
            "namespace": "apps",
            "operation": operation,
            "userInfo": {"username": "admin"},
            "object": object,
            "oldObject": old,
            "dryRun": false,
        }
    }))
    .unwrap()
}

fn response(body: &[u8]) -> Value {
    serde_json::to_value(answer(body)).unwrap()["response"].clone()
}

fn policy(range: &str) -> Value {
    json!({
        "apiVersion": "image.toolkit.fluxcd.io/v1",
        "kind": "ImagePolicy",
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": {"imageRepositoryRef": {"name": "web"},
                 "policy": {"semver": {"range": range}}},
    })
}

/// A range Masterminds' `NewConstraint` rejects denies the object with
/// IU302 and the field (image-reflector-controller `internal/policy`,
/// `NewSemVer`, fails the policy on the same range).
#[test]
fn an_error_denies_with_its_rule_code_and_field() {
    let r = response(&review("CREATE", policy(">=1.0 <<2"), None));
    assert_eq!(r["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_eq!(r["allowed"], false);
    let message = r["status"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("IU302 spec.policy.semver.range: "),
        "{message}"
    );
}

/// The ImageRepository it names is another object: arriving alone, it is
/// not reported unresolved.
#[test]
fn a_valid_object_is_allowed_without_warnings() {
    let r = response(&review("CREATE", policy(">=1.0.0"), None));
    assert_eq!(r["allowed"], true, "{r}");
    assert!(r.get("warnings").is_none_or(Value::is_null), "{r}");
}

/// image-reflector-controller 1.0 `api/v1beta2` is deprecated: a warning,
/// allowed.
#[test]
fn warnings_are_admission_warnings() {
    let mut p = policy(">=1.0.0");
    p["apiVersion"] = json!("image.toolkit.fluxcd.io/v1beta2");
    let r = response(&review("CREATE", p, None));
    assert_eq!(r["allowed"], true, "{r}");
    let warnings = r["warnings"].as_array().unwrap();
    assert!(warnings[0].as_str().unwrap().starts_with("IU301"), "{r}");
}

/// testdata/kubesphere/mistakes/unknown-strategy.yaml (argocd-image-updater
/// `pkg/image/options.go`, `GetParameterUpdateStrategy`, knows no
/// "newest").
#[test]
fn a_kubesphere_imageupdater_is_judged() {
    let ks = json!({
        "apiVersion": "gitops.kubesphere.io/v1alpha1",
        "kind": "ImageUpdater",
        "metadata": {"name": "reports", "namespace": "apps"},
        "spec": {"kind": "argocd", "images": ["reports=registry.example.com/analytics/reports"],
                 "argo": {"app": {"name": "reports"}, "updateStrategy": {"reports": "newest"}}},
    });
    let r = response(&review("CREATE", ks, None));
    assert_eq!(r["allowed"], false);
    assert!(
        r["status"]["message"].as_str().unwrap().contains("IU404"),
        "{r}"
    );
}

/// A stored object whose spec does not change (a finalizer removed, a
/// label set) is never locked out; a changed spec is judged.
#[test]
fn an_update_is_judged_only_when_the_spec_changes() {
    let bad = policy(">=1.0 <<2");
    let mut labelled = bad.clone();
    labelled["metadata"]["labels"] = json!({"team": "web"});
    assert_eq!(
        response(&review("UPDATE", labelled, Some(bad.clone())))["allowed"],
        true
    );
    let r = response(&review("UPDATE", bad, Some(policy(">=1.0.0"))));
    assert_eq!(r["allowed"], false);
}

#[test]
fn other_kinds_and_deletes_are_allowed() {
    let cm = json!({"apiVersion": "v1/v1", "kind": "ConfigMap", "metadata": {"name": "x"}});
    assert_eq!(response(&review("CREATE", cm, None))["allowed"], true);
    assert_eq!(
        response(&review("DELETE", policy("<<"), None))["allowed"],
        true
    );
}

#[test]
fn a_body_that_is_no_review_is_invalid() {
    let r = response(b"{\"kind\": 1}");
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["reason"], "InvalidRequest");
    let r = response(br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}"#);
    assert_eq!(r["allowed"], false);
}

#[test]
fn routes() {
    let req = |method: &str, path: &str, body: &[u8]| Request {
        method: method.into(),
        path: path.into(),
        body: body.to_vec(),
    };
    let (status, body) = route(&req(
        "POST",
        "/validate?timeout=5s",
        &review("CREATE", policy("<<"), None),
    ));
    assert_eq!(status, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["kind"], "AdmissionReview");
    assert_eq!(v["response"]["allowed"], false);
    assert_eq!(route(&req("GET", "/healthz", b"")).0, 200);
    assert_eq!(route(&req("GET", "/validate", b"")).0, 404);
}

#[test]
fn the_certificate_is_for_the_hosts_and_signed_by_the_ca() {
    let g = super::cert::generate(&["127.0.0.1".into(), "localhost".into()]).unwrap();
    assert!(g.ca.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(g.key.starts_with("-----BEGIN PRIVATE KEY-----"));
    let dir = tempfile::tempdir().unwrap();
    super::cert::write(dir.path(), &g).unwrap();
    // rustls accepts the pair as a serving certificate.
    super::serve::tls_config(dir.path()).unwrap();
    let e = super::serve::tls_config(&dir.path().join("nothing")).unwrap_err();
    assert!(e.to_string().contains("tls.crt"), "{e}");
}

#[test]
fn manifests_carry_the_ca_bundle_and_the_service_names() {
    let o = super::manifests::ManifestOptions {
        namespace: "ops".into(),
        image: "img:1".into(),
        failure_policy: "Fail",
    };
    let g = super::cert::generate(&super::manifests::service_hosts("ops")).unwrap();
    let docs = super::manifests::with_certificates(&o, &g);
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "ServiceAccount",
            "Secret",
            "Service",
            "Deployment",
            "ValidatingWebhookConfiguration"
        ]
    );
    let hook = &docs[5]["webhooks"][0];
    assert_eq!(
        hook["clientConfig"]["caBundle"],
        super::manifests::ca_bundle(&g.ca)
    );
    assert_eq!(hook["clientConfig"]["service"]["namespace"], "ops");
    let groups: Vec<&str> = hook["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["apiGroups"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        groups,
        [
            "image.toolkit.fluxcd.io",
            "argocd-image-updater.argoproj.io",
            "gitops.kubesphere.io"
        ]
    );
    assert_eq!(
        super::manifests::service_hosts("ops")[0],
        "kubectl-imageupdate-webhook.ops.svc"
    );
}

/// "newest" is no strategy of argocd-image-updater `pkg/image/options.go`
/// (`GetParameterUpdateStrategy`): IU404 on the Argo CD Image Updater CR
/// as on the KubeSphere one.
#[test]
fn an_argocd_imageupdater_is_judged() {
    let cr = json!({
        "apiVersion": "argocd-image-updater.argoproj.io/v1alpha1",
        "kind": "ImageUpdater",
        "metadata": {"name": "shop", "namespace": "apps"},
        "spec": {"applicationRefs": [{"namePattern": "shop", "images": [{
            "alias": "web", "imageName": "registry.example.com/shop/web",
            "commonUpdateSettings": {"updateStrategy": "newest"}}]}]},
    });
    let r = response(&review("CREATE", cr.clone(), None));
    assert_eq!(r["allowed"], false, "{r}");
    assert!(
        r["status"]["message"].as_str().unwrap().contains("IU404"),
        "{r}"
    );
    let mut good = cr;
    good["spec"]["applicationRefs"][0]["images"][0]["commonUpdateSettings"]["updateStrategy"] =
        json!("semver");
    assert_eq!(response(&review("CREATE", good, None))["allowed"], true);
}
