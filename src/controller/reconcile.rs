//! One reconcile of one KubeSphere `ImageUpdater`: its [`Plan`] applied
//! (server-side, the controller's field manager, forced: the generated
//! objects are the controller's, and a hand edit of a field it wrote is
//! drift to repair), objects it generated before and no longer does
//! deleted, the engine and the Application looked for, and the status
//! written. A bad object ends in its status, never in an error: errors
//! are for an API server that did not answer, and are retried with
//! backoff ([`super::error_policy`]).

use std::sync::Arc;

use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::pinned_kind;
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType};
use kube::{Resource, ResourceExt};
use serde_json::{Value, json};

use super::plan::{self, Owner, Plan, Reason};
use super::{Context, GENERATED, OWNER_LABEL, log, status};
use crate::cluster::apply::{ApplyOptions, Outcome, apply_with};
use crate::cluster::{ClusterError, kinds, resource};
use crate::export::kubesphere::types::GeneratedRef;

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// `namespace/name`, for logs and the backoff table.
pub fn key(obj: &DynamicObject) -> String {
    format!("{}/{}", obj.namespace().unwrap_or_default(), obj.name_any())
}

/// Whether the API server serves `kind` (its CRD is installed).
pub async fn served(
    client: &kube::Client,
    server: &str,
    kind: &kinds::Kind,
) -> Result<bool, ClusterError> {
    let gvk = GroupVersionKind::gvk(kind.group, kind.version, kind.kind);
    match pinned_kind(client, &gvk).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(false),
        Err(kube::Error::Discovery(_)) => Ok(false),
        Err(e) => Err(crate::cluster::failure(server, &kind.api_version(), e)),
    }
}

pub async fn reconcile(
    obj: Arc<DynamicObject>,
    ctx: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let key = key(&obj);
    if obj.metadata.deletion_timestamp.is_some() {
        // The garbage collector removes what the owner references name.
        return Ok(Action::await_change());
    }
    let object = serde_json::to_value(&*obj).unwrap_or_default();
    let owner = Owner::of(&object);
    let plan = plan::plan(&object);
    let (reason, message, generated) = match &plan.blocked {
        Some((reason, message)) => {
            prune(&ctx, &owner, &[]).await?;
            (*reason, message.clone(), Vec::new())
        }
        None => carry_out(&ctx, &owner, &plan).await?,
    };
    let previous = status::ready_of(&object);
    let next = status::build(
        previous.as_ref(),
        obj.metadata.generation,
        reason,
        message,
        generated,
        plan.diagnostics,
        &status::now(),
    );
    write_status(&ctx, &owner, &next).await?;
    if let Some(ready) = next.conditions.first()
        && status::is_transition(previous.as_ref(), ready)
    {
        announce(&ctx, &obj, ready).await;
        log::info(
            "ready changed",
            &[
                ("object", &key),
                ("ready", &ready.status),
                ("reason", &ready.reason),
                ("message", &ready.message),
            ],
        );
    }
    ctx.succeeded(&key);
    Ok(Action::requeue(ctx.options.resync))
}

/// Applies the plan's documents: Ready's reason and message, and what
/// was applied.
async fn carry_out(
    ctx: &Context,
    owner: &Owner,
    plan: &Plan,
) -> Result<(Reason, String, Vec<GeneratedRef>), ClusterError> {
    let refs: Vec<GeneratedRef> = plan.documents.iter().map(reference).collect();
    // Objects of the spec's former kind or images go first, engine or not.
    prune(ctx, owner, &refs).await?;
    let mut missing: Vec<String> = Vec::new();
    for r in &refs {
        let Some(kind) = generated_kind(&r.api_version, &r.kind) else {
            continue;
        };
        let what = format!("{} ({})", kind.kind, kind.api_version());
        if !missing.contains(&what) && !served(&ctx.client, &ctx.server, kind).await? {
            missing.push(what);
        }
    }
    if !missing.is_empty() {
        let engine = if refs
            .iter()
            .any(|r| r.kind == kinds::ARGO_IMAGE_UPDATER.kind)
        {
            "install Argo CD Image Updater v1.x"
        } else {
            "install Flux's image-reflector-controller and image-automation-controller"
        };
        return Ok((
            Reason::EngineMissing,
            format!(
                "the API server does not serve {}: {engine}",
                missing.join(", ")
            ),
            Vec::new(),
        ));
    }
    let options = ApplyOptions {
        field_manager: ctx.options.field_manager.clone(),
        dry_run: false,
        force: true,
        namespace: owner.namespace.clone(),
    };
    let mut applied = Vec::new();
    for (doc, r) in plan.documents.iter().zip(&refs) {
        let done = apply_with(&ctx.client, &ctx.server, doc, &options).await?;
        match done.applied.result {
            Outcome::Rejected { message } => {
                return Ok((
                    Reason::ApplyFailed,
                    format!("{} {}: {message}", r.kind, r.name),
                    applied,
                ));
            }
            Outcome::Conflict { fields } => {
                let fields: Vec<String> = fields
                    .into_iter()
                    .map(|f| format!("{} ({})", f.field, f.manager))
                    .collect();
                return Ok((
                    Reason::ApplyFailed,
                    format!("{} {}: conflicts on {}", r.kind, r.name, fields.join(", ")),
                    applied,
                ));
            }
            Outcome::Created | Outcome::Configured | Outcome::Unchanged => {
                applied.push(r.clone());
            }
        }
    }
    if let Some((ns, app)) = &plan.application {
        let found = if served(&ctx.client, &ctx.server, &kinds::APPLICATION).await? {
            let api: Api<DynamicObject> =
                Api::namespaced_with(ctx.client.clone(), ns, &resource(&kinds::APPLICATION));
            api.get_opt(app)
                .await
                .map_err(|e| crate::cluster::failure(&ctx.server, "Application", e))?
                .is_some()
        } else {
            false
        };
        if !found {
            return Ok((
                Reason::ApplicationNotFound,
                format!("the Argo CD Application {ns}/{app} does not exist"),
                applied,
            ));
        }
    }
    let names: Vec<String> = applied
        .iter()
        .map(|r| format!("{} {}", r.kind, r.name))
        .collect();
    Ok((
        Reason::Reconciled,
        format!("applied {}", names.join(", ")),
        applied,
    ))
}

fn reference(doc: &Value) -> GeneratedRef {
    let s = |p: &str| {
        doc.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    GeneratedRef {
        api_version: s("/apiVersion"),
        kind: s("/kind"),
        name: s("/metadata/name"),
        namespace: s("/metadata/namespace"),
    }
}

fn generated_kind(api_version: &str, kind: &str) -> Option<&'static kinds::Kind> {
    GENERATED
        .iter()
        .copied()
        .find(|k| k.api_version() == api_version && k.kind == kind)
}

/// Deletes what `owner` generated that is not in `keep`: objects of the
/// generated kinds in its namespace that carry its label and name it as
/// their controlling owner.
async fn prune(ctx: &Context, owner: &Owner, keep: &[GeneratedRef]) -> Result<(), ClusterError> {
    let params = ListParams::default().labels(&format!("{OWNER_LABEL}={}", owner.uid));
    for kind in GENERATED {
        let api: Api<DynamicObject> =
            Api::namespaced_with(ctx.client.clone(), &owner.namespace, &resource(kind));
        let list = match api.list_metadata(&params).await {
            Ok(list) => list,
            Err(kube::Error::Api(e)) if e.code == 404 => continue,
            Err(e) => return Err(crate::cluster::failure(&ctx.server, kind.plural, e)),
        };
        for item in list.items {
            let name = item.name_any();
            let ours = item
                .owner_references()
                .iter()
                .any(|r| r.uid == owner.uid && r.controller == Some(true));
            let kept = keep.iter().any(|r| {
                r.kind == kind.kind && r.api_version == kind.api_version() && r.name == name
            });
            if !ours || kept {
                continue;
            }
            match api.delete(&name, &DeleteParams::background()).await {
                Ok(_) => log::info(
                    "deleted an object no longer generated",
                    &[
                        ("owner", &format!("{}/{}", owner.namespace, owner.name)),
                        ("kind", kind.kind),
                        ("name", &name),
                    ],
                ),
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                Err(e) => return Err(crate::cluster::failure(&ctx.server, kind.plural, e)),
            }
        }
    }
    Ok(())
}

async fn write_status(
    ctx: &Context,
    owner: &Owner,
    next: &crate::export::kubesphere::types::ImageUpdaterStatus,
) -> Result<(), ClusterError> {
    let ks = &kinds::KUBESPHERE_IMAGE_UPDATER;
    let api: Api<DynamicObject> =
        Api::namespaced_with(ctx.client.clone(), &owner.namespace, &resource(ks));
    let patch = json!({
        "apiVersion": ks.api_version(),
        "kind": ks.kind,
        "status": next,
    });
    let params = PatchParams::apply(&ctx.options.field_manager).force();
    match api
        .patch_status(&owner.name, &params, &Patch::Apply(&patch))
        .await
    {
        Ok(_) => Ok(()),
        // Deleted meanwhile: nothing to report on.
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(crate::cluster::failure(
            &ctx.server,
            &format!("the status of {}/{}", owner.namespace, owner.name),
            e,
        )),
    }
}

/// An Event on the object for a change of Ready; a refused Event is
/// logged, not retried.
async fn announce(
    ctx: &Context,
    obj: &DynamicObject,
    ready: &crate::export::kubesphere::types::Condition,
) {
    let reference = obj.object_ref(&resource(&kinds::KUBESPHERE_IMAGE_UPDATER));
    let event = Event {
        type_: if ready.status == "True" {
            EventType::Normal
        } else {
            EventType::Warning
        },
        reason: ready.reason.clone(),
        note: Some(ready.message.chars().take(1000).collect()),
        action: "Reconcile".to_owned(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&event, &reference).await {
        log::warn(
            "event refused",
            &[
                ("object", &key(obj)),
                ("error", &crate::cluster::causes(&e)),
            ],
        );
    }
}
