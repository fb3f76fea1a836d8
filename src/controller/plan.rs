//! What one KubeSphere `ImageUpdater` should produce, decided without
//! the API server: the object is read into the model as `validate` reads
//! a file, judged by the same checks, and written by `export`'s writer
//! for its engine. Hands [`Plan`] to [`super::reconcile`].

use serde_json::{Value, json};

use super::OWNER_LABEL;
use super::findings;
use crate::cluster::{Live, kinds};
use crate::diagnostic::Severity;
use crate::export::kubesphere::types::StatusDiagnostic;
use crate::export::{self, WriteOptions};
use crate::model::spec::{Dialect, Engine};

/// Why an object is not Ready: the `Ready` condition's reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Everything generated is applied.
    Reconciled,
    /// validate reports errors, or nothing can be generated.
    Invalid,
    /// The API server does not serve the engine's kinds (its CRDs are not
    /// installed).
    EngineMissing,
    /// Kind argocd: the Application is not there (or elsewhere than the
    /// generated CR can see).
    ApplicationNotFound,
    /// The API server refused a generated object.
    ApplyFailed,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Reconciled => "Reconciled",
            Reason::Invalid => "Invalid",
            Reason::EngineMissing => "EngineMissing",
            Reason::ApplicationNotFound => "ApplicationNotFound",
            Reason::ApplyFailed => "ApplyFailed",
        }
    }
}

#[derive(Debug, Default)]
pub struct Plan {
    /// The engine's objects, each with the owner reference and label.
    pub documents: Vec<Value>,
    /// validate's findings, then export's remarks.
    pub diagnostics: Vec<StatusDiagnostic>,
    /// Why nothing may be generated (and what was generated before is
    /// removed).
    pub blocked: Option<(Reason, String)>,
    /// Kind argocd: the Application the CR names, `(namespace, name)`.
    pub application: Option<(String, String)>,
}

/// The owner's identity, from its `metadata`.
#[derive(Debug, Clone)]
pub struct Owner {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

impl Owner {
    pub fn of(object: &Value) -> Self {
        let s = |p: &str| {
            object
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Self {
            namespace: s("/metadata/namespace"),
            name: s("/metadata/name"),
            uid: s("/metadata/uid"),
        }
    }

    fn reference(&self) -> Value {
        json!({
            "apiVersion": kinds::KUBESPHERE_IMAGE_UPDATER.api_version(),
            "kind": kinds::KUBESPHERE_IMAGE_UPDATER.kind,
            "name": self.name,
            "uid": self.uid,
            "controller": true,
            "blockOwnerDeletion": true,
        })
    }
}

/// How kind argocd is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArgocdMode {
    /// An Argo CD Image Updater `ImageUpdater` CR (v1.x).
    #[default]
    Crd,
    /// Image Updater annotations on the Application, as KubeSphere's
    /// own controller did.
    Annotations,
}

pub fn plan(object: &Value, mode: ArgocdMode) -> Plan {
    let owner = Owner::of(object);
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        // A watch's objects carry their type; a list's do not.
        map.insert(
            "apiVersion".into(),
            kinds::KUBESPHERE_IMAGE_UPDATER.api_version().into(),
        );
        map.insert("kind".into(), kinds::KUBESPHERE_IMAGE_UPDATER.kind.into());
    }
    let live = Live {
        kind: &kinds::KUBESPHERE_IMAGE_UPDATER,
        namespace: owner.namespace.clone(),
        name: owner.name.clone(),
        object,
    };
    let findings::Judged { ws, model, found } = findings::judge(&[live]);
    let mut out = Plan {
        diagnostics: found.iter().map(|d| findings::to_status(&ws, d)).collect(),
        ..Plan::default()
    };
    let errors: Vec<_> = found
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if let Some(first) = errors.first() {
        let more = match errors.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        out.blocked = Some((
            Reason::Invalid,
            format!("{}: {}{more}", first.code(), first.message),
        ));
        return out;
    }
    let Some(u) = model
        .updaters
        .iter()
        .find(|u| matches!(u.from, Some((Dialect::Kubesphere, _))))
    else {
        out.blocked = Some((
            Reason::Invalid,
            "the object cannot be read as an ImageUpdater".to_owned(),
        ));
        return out;
    };
    let target = match (u.engine, mode) {
        (Engine::Argocd, ArgocdMode::Crd) => Dialect::ArgocdCrd,
        (Engine::Argocd, ArgocdMode::Annotations) => Dialect::Argocd,
        (Engine::Fluxcd, _) => Dialect::Flux,
    };
    if target == Dialect::ArgocdCrd
        && let Some(ns) = u.app.namespace.as_ref().map(|f| f.value.as_str())
        && ns != owner.namespace
    {
        out.blocked = Some((
            Reason::ApplicationNotFound,
            format!(
                "the Application is in namespace {ns:?}: Argo CD Image Updater looks for \
                 Applications only in its ImageUpdater's namespace, and the generated \
                 ImageUpdater must be in {:?}, its owner's",
                owner.namespace
            ),
        ));
        return out;
    }
    let options = WriteOptions {
        namespace: Some(owner.namespace.clone()),
    };
    let written = export::write(u, target, &options);
    for r in u.dropped.iter().chain(&written.remarks) {
        if let Some(d) = export::diagnostic(&ws, u, target, r) {
            out.diagnostics.push(findings::to_status(&ws, &d));
        }
    }
    if written.documents.is_empty() {
        let why = out
            .diagnostics
            .iter()
            .rev()
            .find(|d| d.severity != "info")
            .map_or_else(
                || "the spec says nothing to do".to_owned(),
                |d| d.message.clone(),
            );
        out.blocked = Some((
            Reason::Invalid,
            format!("no {} object can be generated: {why}", target.as_str()),
        ));
        return out;
    }
    if target == Dialect::ArgocdCrd {
        out.application = written.documents.iter().find_map(|d| {
            let app = d.pointer("/spec/applicationRefs/0/namePattern")?.as_str()?;
            Some((owner.namespace.clone(), app.to_owned()))
        });
    }
    if target == Dialect::Argocd {
        // The Application is not ours: annotations only, no owner
        // reference (a finalizer on the KubeSphere object removes them).
        out.application = written.documents.iter().find_map(|d| {
            let name = d.pointer("/metadata/name")?.as_str()?;
            let ns = d
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or(&owner.namespace);
            Some((ns.to_owned(), name.to_owned()))
        });
        out.documents = written.documents;
        return out;
    }
    out.documents = written
        .documents
        .into_iter()
        .map(|d| owned(d, &owner))
        .collect();
    out
}

/// `doc` with the owner reference and the owner label.
fn owned(mut doc: Value, owner: &Owner) -> Value {
    if let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("namespace".into(), owner.namespace.clone().into());
        meta.insert("ownerReferences".into(), json!([owner.reference()]));
        let labels = meta
            .entry("labels")
            .or_insert_with(|| json!({}))
            .as_object_mut();
        if let Some(labels) = labels {
            labels.insert(OWNER_LABEL.into(), owner.uid.clone().into());
            labels.insert(
                "app.kubernetes.io/managed-by".into(),
                super::FIELD_MANAGER.into(),
            );
        }
    }
    doc
}
