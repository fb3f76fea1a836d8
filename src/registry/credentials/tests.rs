//! Tests of the credential sources: Docker config parsing and lookup, pull-secret
//! manifests, helper names, Argo credential references (conformance rows C1-C3).

use super::*;

fn basic(u: &str, p: &str) -> Credential {
    Credential::Basic {
        username: u.into(),
        password: Secret::new(p),
    }
}

#[test]
fn secret_never_prints() {
    let c = basic("alice", "s3cret");
    let shown = format!("{c:?} {}", Secret::new("s3cret"));
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(shown.contains("alice"));
}

#[test]
fn auths_base64_and_fields() {
    // alice:s3cret
    let cfg = DockerConfig::parse(
        r#"{"auths": {
                "https://index.docker.io/v1/": {"auth": "YWxpY2U6czNjcmV0"},
                "registry.example.com": {"username": "bob", "password": "pw"},
                "http://127.0.0.1:5000/v2/": {"auth": "YWxpY2U6czNjcmV0"},
                "tok.example": {"identitytoken": "refresh"},
                "empty.example": {}
            }}"#,
        "c.json",
    )
    .unwrap();
    assert_eq!(
        cfg.lookup(&["docker.io"]).unwrap(),
        Some(basic("alice", "s3cret"))
    );
    assert_eq!(
        cfg.lookup(&["index.docker.io"]).unwrap(),
        Some(basic("alice", "s3cret"))
    );
    assert_eq!(
        cfg.lookup(&["Registry.Example.com"]).unwrap(),
        Some(basic("bob", "pw"))
    );
    assert_eq!(
        cfg.lookup(&["127.0.0.1:5000"]).unwrap(),
        Some(basic("alice", "s3cret"))
    );
    assert_eq!(cfg.lookup(&["127.0.0.1:5001"]).unwrap(), None);
    assert_eq!(
        cfg.lookup(&["tok.example"]).unwrap(),
        Some(Credential::IdentityToken(Secret::new("refresh")))
    );
    assert_eq!(cfg.lookup(&["empty.example", "nothing"]).unwrap(), None);
    // The second host is tried when the first has nothing.
    assert_eq!(
        cfg.lookup(&["quay.io", "registry.example.com"]).unwrap(),
        Some(basic("bob", "pw"))
    );
}

#[test]
fn bad_auth_is_an_error_without_content() {
    let cfg = DockerConfig::parse(r#"{"auths": {"h": {"auth": "bm9jb2xvbg=="}}}"#, "c").unwrap();
    let e = cfg.lookup(&["h"]).unwrap_err().to_string();
    assert!(e.contains("user:password"), "{e}");
    assert!(!e.contains("nocolon"), "{e}");
    assert!(DockerConfig::parse("{", "c").is_err());
    assert!(DockerConfig::parse("[]", "c").is_err());
}

#[test]
fn secret_manifests() {
    let json = r#"{"auths":{"reg.example":{"auth":"YWxpY2U6czNjcmV0"}}}"#;
    let b64 = STANDARD.encode(json);
    let yaml = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: pull\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {b64}\n"
    );
    let c = DockerConfig::from_secret(&yaml, "s.yaml").unwrap();
    assert_eq!(
        c.lookup(&["reg.example"]).unwrap(),
        Some(basic("alice", "s3cret"))
    );
    let as_json = format!(
        r#"{{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/dockerconfigjson","data":{{".dockerconfigjson":"{b64}"}}}}"#
    );
    assert!(
        DockerConfig::from_secret(&as_json, "s.json")
            .unwrap()
            .lookup(&["reg.example"])
            .unwrap()
            .is_some()
    );
    let string_data =
        format!("kind: Secret\nstringData:\n  .dockerconfigjson: '{json}'\n---\nkind: ConfigMap\n");
    assert!(
        DockerConfig::from_secret(&string_data, "s")
            .unwrap()
            .lookup(&["reg.example"])
            .unwrap()
            .is_some()
    );
    let legacy = format!(
        "kind: Secret\ntype: kubernetes.io/dockercfg\ndata:\n  .dockercfg: {}\n",
        STANDARD.encode(r#"{"reg.example":{"auth":"YWxpY2U6czNjcmV0"}}"#)
    );
    assert!(
        DockerConfig::from_secret(&legacy, "s")
            .unwrap()
            .lookup(&["reg.example"])
            .unwrap()
            .is_some()
    );
    assert!(DockerConfig::from_secret("kind: ConfigMap\n", "s").is_err());
    assert!(
        DockerConfig::from_secret("kind: Secret\ndata:\n  .dockerconfigjson: '!!!'\n", "s")
            .is_err()
    );
}

#[test]
fn helper_names_are_checked() {
    assert!(run_helper("../evil", "h").is_err());
    assert!(run_helper("", "h").is_err());
    let e = run_helper("kubectl-imageupdate-no-such-helper", "h")
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot run"), "{e}");
}

// Argo conformance rows C1-C3 (argocd.md §7.6).
#[test]
fn c1_registry_prefix() {
    let (reg, r) = parse_credential_ref("gcr.io=secret:ns/sec#field", true).unwrap();
    assert_eq!(reg.as_deref(), Some("gcr.io"));
    assert_eq!(
        r,
        CredentialRef::Secret {
            namespace: "ns".into(),
            name: "sec".into(),
            field: "field".into()
        }
    );
    assert!(parse_credential_ref("secret:ns/sec#field", true).is_err());
}

#[test]
fn c2_invalid_references() {
    for s in [
        "secret:ns/sec#",
        "secret:/sec#f",
        "secret:ns/#f",
        "pullsecret:/sec",
        "pullsecret:ns",
        "secrets:ns/sec#f",
        "env:",
        "ext:relative/path",
        "ext:/tmp/a:b.sh",
        "nothing",
    ] {
        assert!(parse_credential_ref(s, false).is_err(), "{s}");
    }
}

#[test]
fn c3_valid_references() {
    assert_eq!(
        parse_credential_ref("env:X", false).unwrap(),
        (None, CredentialRef::Env("X".into()))
    );
    assert_eq!(
        parse_credential_ref("ext:/tmp/a.sh", false).unwrap(),
        (None, CredentialRef::Ext("/tmp/a.sh".into()))
    );
    assert_eq!(
        parse_credential_ref("pullsecret:ns/name", false).unwrap(),
        (
            None,
            CredentialRef::PullSecret {
                namespace: "ns".into(),
                name: "name".into()
            }
        )
    );
}

#[test]
fn user_password_splitting() {
    assert_eq!(
        Credential::from_user_password("alice:s3:cret\n"),
        Some(basic("alice", "s3:cret"))
    );
    assert_eq!(Credential::from_user_password(":pw"), None);
    assert_eq!(Credential::from_user_password("user:"), None);
    assert_eq!(Credential::from_user_password("nocolon"), None);
    let e = CredentialRef::PullSecret {
        namespace: "a".into(),
        name: "b".into(),
    }
    .resolve(&["reg.example"], None)
    .unwrap_err()
    .to_string();
    assert!(e.contains("--pull-secret"), "{e}");
}

/// Secrets as a cluster would return them.
#[derive(Debug)]
struct Secrets(Vec<(&'static str, String)>);

impl ClusterSecrets for Secrets {
    fn secret(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        let key = format!("{namespace}/{name}");
        self.0
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("secrets \"{name}\" not found").into())
    }
}

#[test]
fn cluster_references_read_the_secret_for_the_hosts() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let config = format!(
        r#"{{"auths":{{"reg.example":{{"auth":"{}"}}}}}}"#,
        b64("alice:s3cret")
    );
    let cluster = Secrets(vec![
        (
            "ci/regcred",
            serde_json::json!({"kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
                "data": {".dockerconfigjson": b64(&config)}})
            .to_string(),
        ),
        (
            "ci/plain",
            serde_json::json!({"kind": "Secret", "data": {"creds": b64("bob:pw\n")}}).to_string(),
        ),
    ]);
    let pull = CredentialRef::PullSecret {
        namespace: "ci".into(),
        name: "regcred".into(),
    };
    assert_eq!(
        pull.resolve(&["reg.example"], Some(&cluster)).unwrap(),
        Some(basic("alice", "s3cret"))
    );
    assert_eq!(
        pull.resolve(&["other.example"], Some(&cluster)).unwrap(),
        None
    );
    let field = |f: &str| CredentialRef::Secret {
        namespace: "ci".into(),
        name: "plain".into(),
        field: f.into(),
    };
    assert_eq!(
        field("creds").resolve(&[], Some(&cluster)).unwrap(),
        Some(basic("bob", "pw"))
    );
    let e = field("nope")
        .resolve(&[], Some(&cluster))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no such field"), "{e}");
    let missing = CredentialRef::PullSecret {
        namespace: "ci".into(),
        name: "gone".into(),
    };
    let e = missing
        .resolve(&[], Some(&cluster))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "cannot read Secret ci/gone from the cluster: secrets \"gone\" not found"
    );
}
