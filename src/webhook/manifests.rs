//! `webhook manifests`: what installs the webhook, ready for `kubectl
//! apply`: the Namespace, a ServiceAccount with no API access (the webhook
//! reads only its reviews), the TLS Secret with a freshly generated CA and
//! serving certificate for the Service's DNS names, the Service, a
//! Deployment and the ValidatingWebhookConfiguration whose caBundle is
//! that CA. Pieces shared with the controller's manifests come from
//! [`crate::controller::manifests`].

use base64::Engine as _;
use serde_json::{Value, json};

use super::WebhookError;
use super::cert::{self, CA_FILE, CERT_FILE, Generated, KEY_FILE};
use crate::cluster::kinds;
use crate::controller::manifests::{container_security, labels, namespace, pod_security};

pub const NAME: &str = "kubectl-imageupdate-webhook";
pub const PORT: u16 = 9443;
pub const CERT_DIR: &str = "/tls";

#[derive(Debug, Clone)]
pub struct ManifestOptions {
    pub namespace: String,
    pub image: String,
    /// `Fail` (a create waits for the webhook) or `Ignore`.
    pub failure_policy: &'static str,
}

/// The names the serving certificate is for: how the API server calls a
/// Service (`<service>.<namespace>.svc`).
pub fn service_hosts(ns: &str) -> Vec<String> {
    vec![
        format!("{NAME}.{ns}.svc"),
        format!("{NAME}.{ns}.svc.cluster.local"),
    ]
}

/// The webhook's rules: create and update of every kind validate reads.
pub fn rules() -> Value {
    let mut by_group: Vec<(&str, Vec<&str>)> = Vec::new();
    for k in kinds::KINDS {
        match by_group.iter_mut().find(|(g, _)| *g == k.group) {
            Some((_, plurals)) => plurals.push(k.plural),
            None => by_group.push((k.group, vec![k.plural])),
        }
    }
    by_group
        .into_iter()
        .map(|(group, resources)| {
            json!({"apiGroups": [group], "apiVersions": ["*"], "resources": resources,
                   "operations": ["CREATE", "UPDATE"], "scope": "Namespaced"})
        })
        .collect()
}

/// The ValidatingWebhookConfiguration for a client config (a Service in
/// a cluster, a URL elsewhere).
pub fn configuration(client_config: Value, failure_policy: &str) -> Value {
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": NAME, "labels": labels(NAME)},
        "webhooks": [{
            "name": "validate.imageupdate.kubectl.io",
            "clientConfig": client_config,
            "rules": rules(),
            "failurePolicy": failure_policy,
            "matchPolicy": "Equivalent",
            "sideEffects": "None",
            "admissionReviewVersions": ["v1"],
            "timeoutSeconds": 5,
        }],
    })
}

pub fn ca_bundle(ca_pem: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(ca_pem)
}

pub fn manifests(o: &ManifestOptions) -> Result<Vec<Value>, WebhookError> {
    let certs = cert::generate(&service_hosts(&o.namespace))?;
    Ok(with_certificates(o, &certs))
}

pub fn with_certificates(o: &ManifestOptions, certs: &Generated) -> Vec<Value> {
    let ns = &o.namespace;
    let meta = json!({"name": NAME, "namespace": ns, "labels": labels(NAME)});
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let selector = json!({"app.kubernetes.io/name": NAME});
    vec![
        namespace(ns),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta,
               "automountServiceAccountToken": false}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta,
               "type": "kubernetes.io/tls",
               "data": {CERT_FILE: b64(&certs.cert), KEY_FILE: b64(&certs.key),
                        CA_FILE: b64(&certs.ca)}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": meta,
               "spec": {"selector": selector,
                        "ports": [{"name": "https", "port": 443, "targetPort": "webhook"}]}}),
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta,
            "spec": {
                // Creates wait on the webhook (failurePolicy Fail): one
                // replica may go while the other answers.
                "replicas": 2,
                "selector": {"matchLabels": selector},
                "template": {
                    "metadata": {"labels": selector},
                    "spec": {
                        "serviceAccountName": NAME,
                        "automountServiceAccountToken": false,
                        "securityContext": pod_security(),
                        "containers": [{
                            "name": "webhook",
                            "image": o.image,
                            "command": ["kubectl-imageupdate"],
                            "args": ["webhook", format!("--addr=0.0.0.0:{PORT}"),
                                     format!("--cert-dir={CERT_DIR}")],
                            "ports": [{"name": "webhook", "containerPort": PORT}],
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": "webhook",
                                                           "scheme": "HTTPS"},
                                               "periodSeconds": 10},
                            "volumeMounts": [{"name": "tls", "mountPath": CERT_DIR, "readOnly": true}],
                            "resources": {"requests": {"cpu": "10m", "memory": "32Mi"},
                                          "limits": {"memory": "256Mi"}},
                            "securityContext": container_security(),
                        }],
                        "volumes": [{"name": "tls", "secret": {"secretName": NAME}}],
                    },
                },
            },
        }),
        configuration(
            json!({"service": {"name": NAME, "namespace": ns, "path": "/validate", "port": 443},
                   "caBundle": ca_bundle(&certs.ca)}),
            o.failure_policy,
        ),
    ]
}
