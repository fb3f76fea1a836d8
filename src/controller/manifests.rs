//! `controller manifests`: what installs the controller, ready for
//! `kubectl apply`: its Namespace, the KubeSphere CRD, a ServiceAccount,
//! least-privilege RBAC and a Deployment. Watching all namespaces takes a
//! ClusterRole; watching one (`-n`) only a Role there. The Lease and the
//! Events are the only other writes; Secrets, Pods and the Applications
//! themselves are never touched (the Application is only read).

use serde_json::{Value, json};

use super::FIELD_MANAGER;

pub const DEFAULT_NAMESPACE: &str = "kubectl-imageupdate-system";
pub const NAME: &str = "kubectl-imageupdate-controller";
pub const HEALTH_PORT: u16 = 8081;

#[derive(Debug, Clone)]
pub struct ManifestOptions {
    /// Where the controller runs.
    pub namespace: String,
    /// Watch only `namespace` (a Role) rather than all (a ClusterRole).
    pub namespaced: bool,
    pub image: String,
    /// `--argocd-mode annotations`: Applications are patched and the
    /// KubeSphere objects get a finalizer.
    pub annotations: bool,
}

/// The rules the controller needs on the objects it watches and writes.
fn object_rules(annotations: bool) -> Value {
    let write = [
        "get", "list", "watch", "create", "update", "patch", "delete",
    ];
    // Annotations mode patches Applications and sets its finalizer.
    let (own, apps): (&[&str], &[&str]) = if annotations {
        (&["get", "list", "watch", "patch"], &["get", "patch"])
    } else {
        (&["get", "list", "watch"], &["get"])
    };
    json!([
        {"apiGroups": ["gitops.kubesphere.io"], "resources": ["imageupdaters"],
         "verbs": own},
        {"apiGroups": ["gitops.kubesphere.io"], "resources": ["imageupdaters/status"],
         "verbs": ["get", "update", "patch"]},
        // blockOwnerDeletion on the generated objects' owner references.
        {"apiGroups": ["gitops.kubesphere.io"], "resources": ["imageupdaters/finalizers"],
         "verbs": ["update"]},
        {"apiGroups": ["argocd-image-updater.argoproj.io"], "resources": ["imageupdaters"],
         "verbs": write},
        {"apiGroups": ["image.toolkit.fluxcd.io"],
         "resources": ["imagerepositories", "imagepolicies", "imageupdateautomations"],
         "verbs": write},
        {"apiGroups": ["argoproj.io"], "resources": ["applications"], "verbs": apps},
        {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch"]},
    ])
}

fn lease_rules() -> Value {
    json!([
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
         "verbs": ["get", "create", "update"]},
    ])
}

/// The labels of everything `name` installs.
pub fn labels(name: &str) -> Value {
    json!({"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": FIELD_MANAGER})
}

/// The pod's security context: no root, the runtime's seccomp profile.
pub fn pod_security() -> Value {
    json!({"runAsNonRoot": true, "runAsUser": 65532, "seccompProfile": {"type": "RuntimeDefault"}})
}

/// The container's security context: no privilege, nothing written.
pub fn container_security() -> Value {
    json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
           "capabilities": {"drop": ["ALL"]}})
}

/// The namespace everything is installed into.
pub fn namespace(ns: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace",
           "metadata": {"name": ns, "labels": labels(NAME)}})
}

pub fn manifests(o: &ManifestOptions) -> Vec<Value> {
    let ns = &o.namespace;
    let labels = labels(NAME);
    let meta = |name: &str| json!({"name": name, "namespace": ns, "labels": labels});
    let subject = json!([{"kind": "ServiceAccount", "name": NAME, "namespace": ns}]);
    let mut docs = vec![
        namespace(ns),
        crate::export::kubesphere::crd(),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(NAME)}),
    ];
    let rbac = "rbac.authorization.k8s.io/v1";
    if o.namespaced {
        let mut rules = object_rules(o.annotations)
            .as_array()
            .cloned()
            .unwrap_or_default();
        rules.extend(lease_rules().as_array().cloned().unwrap_or_default());
        docs.push(
            json!({"apiVersion": rbac, "kind": "Role", "metadata": meta(NAME), "rules": rules}),
        );
        docs.push(
            json!({"apiVersion": rbac, "kind": "RoleBinding", "metadata": meta(NAME),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": NAME},
            "subjects": subject}),
        );
    } else {
        docs.push(json!({"apiVersion": rbac, "kind": "ClusterRole",
            "metadata": {"name": NAME, "labels": labels}, "rules": object_rules(o.annotations)}));
        docs.push(json!({"apiVersion": rbac, "kind": "ClusterRoleBinding",
            "metadata": {"name": NAME, "labels": labels},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
            "subjects": subject}));
        let lease = format!("{NAME}-leader-election");
        docs.push(
            json!({"apiVersion": rbac, "kind": "Role", "metadata": meta(&lease),
            "rules": lease_rules()}),
        );
        docs.push(
            json!({"apiVersion": rbac, "kind": "RoleBinding", "metadata": meta(&lease),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": lease},
            "subjects": subject}),
        );
    }
    let mut args = vec![
        "controller".to_owned(),
        "--leader-elect".to_owned(),
        format!("--health-addr=0.0.0.0:{HEALTH_PORT}"),
    ];
    if o.annotations {
        args.push("--argocd-mode=annotations".to_owned());
    }
    if o.namespaced {
        args.push(format!("--namespace={ns}"));
    } else {
        args.push("--all-namespaces".to_owned());
    }
    let probe =
        |path: &str| json!({"httpGet": {"path": path, "port": "health"}, "periodSeconds": 10});
    docs.push(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(NAME),
        "spec": {
            // A standby replica takes the Lease over when the leader goes.
            "replicas": 2,
            "selector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": NAME}},
                "spec": {
                    "serviceAccountName": NAME,
                    "securityContext": pod_security(),
                    "terminationGracePeriodSeconds": 30,
                    "containers": [{
                        "name": "controller",
                        "image": o.image,
                        "command": ["kubectl-imageupdate"],
                        "args": args,
                        "env": [
                            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                        ],
                        "ports": [{"name": "health", "containerPort": HEALTH_PORT}],
                        "livenessProbe": probe("/healthz"),
                        "readinessProbe": probe("/readyz"),
                        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"},
                                      "limits": {"memory": "256Mi"}},
                        "securityContext": container_security(),
                    }],
                },
            },
        },
    }));
    docs
}
