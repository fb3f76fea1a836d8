//! One AdmissionReview in, one out, without the network: the object under
//! review is judged by the controller's path ([`crate::controller::findings::judge`],
//! which is validate's), errors deny it with their rule codes, warnings go
//! back as admission `warnings` (kubectl prints them). Hands the response
//! to [`super::serve`].

use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation};
use serde_json::Value;

use crate::cluster::{Live, kinds};
use crate::controller::findings::{judge, to_status};
use crate::diagnostic::Severity;
use crate::export::kubesphere::types::StatusDiagnostic;
use crate::rules;

/// The answer to an AdmissionReview's JSON body. A body that is no
/// review is answered as invalid (the API server then applies the
/// webhook's failurePolicy).
pub fn answer(body: &[u8]) -> AdmissionReview<DynamicObject> {
    let review: AdmissionReview<DynamicObject> = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => {
            return AdmissionResponse::invalid(format!("cannot read the AdmissionReview: {e}"))
                .into_review();
        }
    };
    let request: Result<AdmissionRequest<DynamicObject>, _> = review.try_into();
    match request {
        Ok(request) => respond(&request).into_review(),
        Err(_) => AdmissionResponse::invalid("the AdmissionReview has no request").into_review(),
    }
}

/// The kind a request is about, when it is one validate reads.
pub fn kind_of(group: &str, kind: &str) -> Option<&'static kinds::Kind> {
    kinds::KINDS
        .iter()
        .copied()
        .find(|k| k.group == group && k.kind == kind)
}

pub fn respond(request: &AdmissionRequest<DynamicObject>) -> AdmissionResponse {
    let allowed = AdmissionResponse::from(request);
    if !matches!(request.operation, Operation::Create | Operation::Update) {
        return allowed;
    }
    let Some(kind) = kind_of(&request.kind.group, &request.kind.kind) else {
        return allowed;
    };
    let Some(object) = request
        .object
        .as_ref()
        .and_then(|o| serde_json::to_value(o).ok())
    else {
        return allowed;
    };
    if request.operation == Operation::Update {
        // An object already stored is never locked out: removing a
        // finalizer, a label or the deletion itself must go through even
        // when its spec no longer passes (the rules may have tightened).
        let old = request
            .old_object
            .as_ref()
            .and_then(|o| serde_json::to_value(o).ok());
        let deleting = object.pointer("/metadata/deletionTimestamp").is_some();
        if deleting || old.as_ref().and_then(|o| o.get("spec")) == object.get("spec") {
            return allowed;
        }
    }
    let (errors, warnings) = findings(kind, request, object);
    let mut response = allowed;
    if !warnings.is_empty() {
        response.warnings = Some(warnings.iter().map(line).collect());
    }
    if errors.is_empty() {
        return response;
    }
    let lines: Vec<String> = errors.iter().map(line).collect();
    response.deny(lines.join("; "))
}

/// validate's errors and warnings on the object (infos are not said).
fn findings(
    kind: &'static kinds::Kind,
    request: &AdmissionRequest<DynamicObject>,
    mut object: Value,
) -> (Vec<StatusDiagnostic>, Vec<StatusDiagnostic>) {
    let namespace = request.namespace.clone().unwrap_or_default();
    // A create may carry only generateName; the name is then not known.
    let name = Some(request.name.as_str())
        .filter(|n| !n.is_empty())
        .or_else(|| object.pointer("/metadata/name").and_then(Value::as_str))
        .or_else(|| {
            object
                .pointer("/metadata/generateName")
                .and_then(Value::as_str)
        })
        .unwrap_or_default()
        .to_owned();
    if let Some(map) = object.as_object_mut() {
        map.entry("apiVersion")
            .or_insert_with(|| request.kind.api_version().into());
        map.entry("kind")
            .or_insert_with(|| request.kind.kind.clone().into());
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.entry("namespace")
                .or_insert_with(|| namespace.clone().into());
            meta.entry("name").or_insert_with(|| name.clone().into());
        }
    }
    let judged = judge(&[Live {
        kind,
        namespace,
        name,
        object,
    }]);
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    for d in &judged.found {
        // Objects arrive one at a time and in any order: what another
        // object would resolve cannot be judged here.
        if d.code() == rules::UNRESOLVED_REFERENCE.code {
            continue;
        }
        match d.severity {
            Severity::Error => errors.push(to_status(&judged.ws, d)),
            Severity::Warning => warnings.push(to_status(&judged.ws, d)),
            _ => {}
        }
    }
    (errors, warnings)
}

/// `IU302 spec.policy.semver.range: semver range …`.
pub fn line(d: &StatusDiagnostic) -> String {
    match &d.field {
        Some(f) => format!("{} {f}: {}", d.code, d.message),
        None => format!("{}: {}", d.code, d.message),
    }
}
