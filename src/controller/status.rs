//! The status the controller writes: the `Ready` condition (its
//! transition time moves only when its status does, as Kubernetes'
//! conditions do), `observedGeneration`, the generated objects and the
//! findings; and whether the change is one an Event announces.

use serde_json::Value;

use super::plan::Reason;
use crate::export::kubesphere::types::{
    Condition, GeneratedRef, ImageUpdaterStatus, StatusDiagnostic,
};

pub const READY: &str = "Ready";

/// The object's current `Ready` condition, if it has one.
pub fn ready_of(object: &Value) -> Option<Condition> {
    object
        .pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(READY))
        .and_then(|c| serde_json::from_value(c.clone()).ok())
}

/// The status for `generation` with Ready `ok`, `reason` and `message`;
/// `previous` keeps its transition time when the status is unchanged.
pub fn build(
    previous: Option<&Condition>,
    generation: Option<i64>,
    reason: Reason,
    message: String,
    generated: Vec<GeneratedRef>,
    diagnostics: Vec<StatusDiagnostic>,
    now: &str,
) -> ImageUpdaterStatus {
    let status = if reason == Reason::Reconciled {
        "True"
    } else {
        "False"
    };
    let last_transition_time = match previous {
        Some(p) if p.status == status => p.last_transition_time.clone(),
        _ => now.to_owned(),
    };
    ImageUpdaterStatus {
        observed_generation: generation,
        conditions: vec![Condition {
            type_: READY.to_owned(),
            status: status.to_owned(),
            reason: reason.as_str().to_owned(),
            message,
            last_transition_time,
            observed_generation: generation,
        }],
        generated,
        diagnostics,
    }
}

/// Whether going from `previous` to `next` is announced by an Event: the
/// first status, and every change of Ready's status or reason.
pub fn is_transition(previous: Option<&Condition>, next: &Condition) -> bool {
    previous.is_none_or(|p| p.status != next.status || p.reason != next.reason)
}

/// RFC 3339 UTC to the second, as `metav1.Time` is written.
pub fn now() -> String {
    let t =
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(k8s_openapi::jiff::Timestamp::now());
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
