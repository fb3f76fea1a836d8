//! Server-side apply of objects the tool generated (export, the CRD):
//! only the fields in the document are claimed, under one field manager,
//! so the cluster's other owners keep theirs. A conflict is reported per
//! field with the manager that owns it; `force` takes the fields over.
//! Hands one [`Applied`] per document to the CLI.

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{Scope as ResourceScope, pinned_kind};
use serde::Serialize;
use serde_json::Value;

use super::Cluster;

/// The field manager unless `--field-manager` names another.
pub const FIELD_MANAGER: &str = "kubectl-imageupdate";

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub field_manager: String,
    /// `--dry-run=server`: admission and validation run, nothing is stored.
    pub dry_run: bool,
    /// `--force-conflicts`.
    pub force: bool,
    /// For namespaced objects that name no namespace.
    pub namespace: String,
}

/// What happened to one document.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Applied {
    /// `kind.group/name`, as kubectl prints it.
    pub object: String,
    pub namespace: Option<String>,
    pub result: Outcome,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum Outcome {
    Created,
    Configured,
    Unchanged,
    /// Fields another manager owns, each with that manager.
    Conflict {
        fields: Vec<FieldConflict>,
    },
    /// The API server refused the object (schema, admission), or does
    /// not serve its kind.
    Rejected {
        message: String,
    },
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldConflict {
    pub field: String,
    pub manager: String,
}

impl Outcome {
    pub fn failed(&self) -> bool {
        matches!(self, Outcome::Conflict { .. } | Outcome::Rejected { .. })
    }
}

/// An apply and the object before and after it (after: as the server
/// would store it, for a dry run).
pub struct Compared {
    pub applied: Applied,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Cluster {
    /// Applies `doc`; `Err` only when the cluster cannot be reached.
    pub fn apply(&self, doc: &Value, opts: &ApplyOptions) -> Result<Applied, super::ClusterError> {
        Ok(self
            .runtime
            .block_on(apply_with(&self.client, &self.server, doc, opts))?
            .applied)
    }

    /// Applies `doc` and keeps both sides, for `diff`.
    pub fn apply_compared(
        &self,
        doc: &Value,
        opts: &ApplyOptions,
    ) -> Result<Compared, super::ClusterError> {
        self.runtime
            .block_on(apply_with(&self.client, &self.server, doc, opts))
    }
}

/// Applies `doc` with `client` (whose server is `server`, for messages):
/// what [`Cluster::apply`] does, for callers on their own runtime.
pub async fn apply_with(
    client: &kube::Client,
    server: &str,
    doc: &Value,
    opts: &ApplyOptions,
) -> Result<Compared, super::ClusterError> {
    let failure = |what: &str, e: kube::Error| super::failure(server, what, e);
    let s = |path: &[&str]| {
        path.iter()
            .try_fold(doc, |v, k| v.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (api_version, kind, name) = (s(&["apiVersion"]), s(&["kind"]), s(&["metadata", "name"]));
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
    let plain = |message: String, object: String| Compared {
        applied: Applied {
            object,
            namespace: None,
            result: Outcome::Rejected { message },
        },
        before: None,
        after: None,
    };
    let gvk = GroupVersionKind::gvk(group, version, &kind);
    let (resource, caps) = match pinned_kind(client, &gvk).await {
        Ok(found) => found,
        Err(kube::Error::Api(e)) if e.code == 404 => {
            return Ok(plain(
                format!("the API server does not serve {kind} ({api_version})"),
                format!("{}/{name}", kind.to_lowercase()),
            ));
        }
        Err(kube::Error::Discovery(e)) => {
            return Ok(plain(
                format!("the API server does not serve {kind} ({api_version}): {e}"),
                format!("{}/{name}", kind.to_lowercase()),
            ));
        }
        Err(e) => return Err(failure(&api_version, e)),
    };
    let object = if group.is_empty() {
        format!("{}/{name}", resource.kind.to_lowercase())
    } else {
        format!("{}.{group}/{name}", resource.kind.to_lowercase())
    };
    let (api, namespace): (Api<DynamicObject>, _) = match caps.scope {
        ResourceScope::Cluster => (Api::all_with(client.clone(), &resource), None),
        ResourceScope::Namespaced => {
            let ns = doc
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .map_or_else(|| opts.namespace.clone(), str::to_owned);
            (
                Api::namespaced_with(client.clone(), &ns, &resource),
                Some(ns),
            )
        }
    };
    let before = match api.get_opt(&name).await {
        Ok(b) => b,
        Err(e @ kube::Error::Api(_)) => {
            return Ok(plain(super::causes(&e), object));
        }
        Err(e) => return Err(failure(&api_version, e)),
    };
    let mut params = PatchParams::apply(&opts.field_manager);
    params.force = opts.force;
    params.dry_run = opts.dry_run;
    let before = before.map(|b| content(&b));
    let mut after = None;
    let result = match api.patch(&name, &params, &Patch::Apply(doc)).await {
        Ok(stored) => {
            let stored = content(&stored);
            let outcome = match &before {
                None => Outcome::Created,
                // A dry run stores nothing and a version says little,
                // so what the apply leaves is compared with what was
                // there.
                Some(b) if *b == stored => Outcome::Unchanged,
                Some(_) => Outcome::Configured,
            };
            after = Some(stored);
            outcome
        }
        Err(kube::Error::Api(e)) if e.code == 409 => Outcome::Conflict {
            fields: conflicts(&e.message),
        },
        Err(kube::Error::Api(e)) => Outcome::Rejected { message: e.message },
        Err(e) => return Err(failure(&api_version, e)),
    };
    Ok(Compared {
        applied: Applied {
            object,
            namespace,
            result,
        },
        before,
        after,
    })
}

/// An object without the bookkeeping every write changes.
fn content(o: &DynamicObject) -> Value {
    let mut v = serde_json::to_value(o).unwrap_or_default();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in ["managedFields", "resourceVersion", "generation"] {
            meta.remove(key);
        }
    }
    v
}

/// The fields of an apply conflict, from the API server's message:
/// `Apply failed with 1 conflict: conflict with "m" using v1: .spec.x`,
/// or with several, one `- .spec.y` line each after a
/// `conflicts with "m" using …:` line.
pub fn conflicts(message: &str) -> Vec<FieldConflict> {
    let mut out = Vec::new();
    let mut manager = String::new();
    let manager_of = |s: &str| s.split('"').nth(1).unwrap_or_default().to_owned();
    for line in message.lines() {
        let line = line.trim();
        if let Some(field) = line.strip_prefix("- ") {
            out.push(FieldConflict {
                field: field.to_owned(),
                manager: manager.clone(),
            });
            continue;
        }
        for marker in ["conflicts with ", "conflict with "] {
            if let Some(at) = line.find(marker) {
                let rest = &line[at..];
                manager = manager_of(rest);
                // One conflict: the field ends the line.
                if let Some((_, field)) = rest.rsplit_once(": ")
                    && field.starts_with('.')
                {
                    out.push(FieldConflict {
                        field: field.to_owned(),
                        manager: manager.clone(),
                    });
                }
                break;
            }
        }
    }
    if out.is_empty() {
        out.push(FieldConflict {
            field: message.to_owned(),
            manager,
        });
    }
    out
}
