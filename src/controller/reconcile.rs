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

/// On a KubeSphere object whose Application carries the controller's
/// annotations (`--argocd-mode annotations`): they are removed before
/// the object goes.
pub const FINALIZER: &str = "gitops.kubesphere.io/argocd-annotations";
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
    let object = serde_json::to_value(&*obj).unwrap_or_default();
    let owner = Owner::of(&object);
    let annotated = previous_applications(&object);
    if obj.metadata.deletion_timestamp.is_some() {
        // The garbage collector removes what the owner references name;
        // the annotations are the controller's to remove.
        if has_finalizer(&obj) {
            for app in &annotated {
                unapply(&ctx, app).await?;
            }
            set_finalizer(&ctx, &obj, false).await?;
        }
        return Ok(Action::await_change());
    }
    let plan = plan::plan(&object, ctx.options.argocd_mode);
    if plan.documents.iter().any(is_application) && !has_finalizer(&obj) {
        set_finalizer(&ctx, &obj, true).await?;
    }
    let (reason, message, generated) = match &plan.blocked {
        Some((reason, message)) => {
            prune(&ctx, &owner, &[], &annotated).await?;
            (*reason, message.clone(), Vec::new())
        }
        None => carry_out(&ctx, &owner, &plan, &annotated).await?,
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
    annotated: &[GeneratedRef],
) -> Result<(Reason, String, Vec<GeneratedRef>), ClusterError> {
    let refs: Vec<GeneratedRef> = plan.documents.iter().map(reference).collect();
    // Objects of the spec's former kind or images go first, engine or not.
    prune(ctx, owner, &refs, annotated).await?;
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
    let app_found = match &plan.application {
        Some((ns, app)) => application_exists(ctx, ns, app).await?,
        None => true,
    };
    let not_found =
        |(ns, app): &(String, String)| format!("the Argo CD Application {ns}/{app} does not exist");
    if !app_found && plan.documents.iter().any(is_application) {
        // Annotations need the Application; applying them would create one.
        let message = plan.application.as_ref().map(not_found).unwrap_or_default();
        return Ok((Reason::ApplicationNotFound, message, Vec::new()));
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
    if !app_found {
        let message = plan.application.as_ref().map(not_found).unwrap_or_default();
        return Ok((Reason::ApplicationNotFound, message, applied));
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

async fn application_exists(ctx: &Context, ns: &str, app: &str) -> Result<bool, ClusterError> {
    if !served(&ctx.client, &ctx.server, &kinds::APPLICATION).await? {
        return Ok(false);
    }
    let api: Api<DynamicObject> =
        Api::namespaced_with(ctx.client.clone(), ns, &resource(&kinds::APPLICATION));
    api.get_opt(app)
        .await
        .map(|found| found.is_some())
        .map_err(|e| crate::cluster::failure(&ctx.server, "Application", e))
}

fn is_application(doc: &Value) -> bool {
    doc.get("kind").and_then(Value::as_str) == Some(kinds::APPLICATION.kind)
}

/// The Applications the last status says were annotated.
fn previous_applications(object: &Value) -> Vec<GeneratedRef> {
    object
        .pointer("/status/generated")
        .and_then(|g| serde_json::from_value::<Vec<GeneratedRef>>(g.clone()).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.kind == kinds::APPLICATION.kind)
        .collect()
}

fn has_finalizer(obj: &DynamicObject) -> bool {
    obj.finalizers().iter().any(|f| f == FINALIZER)
}

/// Adds or removes [`FINALIZER`]; the resourceVersion makes a concurrent
/// change fail (and the reconcile retry) rather than be overwritten.
async fn set_finalizer(ctx: &Context, obj: &DynamicObject, on: bool) -> Result<(), ClusterError> {
    let mut list: Vec<String> = obj
        .finalizers()
        .iter()
        .filter(|f| *f != FINALIZER)
        .cloned()
        .collect();
    if on {
        list.push(FINALIZER.to_owned());
    }
    let ks = resource(&kinds::KUBESPHERE_IMAGE_UPDATER);
    let api: Api<DynamicObject> = Api::namespaced_with(
        ctx.client.clone(),
        &obj.namespace().unwrap_or_default(),
        &ks,
    );
    let patch = json!({"metadata": {
        "finalizers": list,
        "resourceVersion": obj.resource_version(),
    }});
    match api
        .patch(
            &obj.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(crate::cluster::failure(&ctx.server, "the finalizer", e)),
    }
}

/// Takes the controller's annotations off an Application: an apply of
/// nothing by its field manager drops every field it owned there. An
/// Application that is gone needs nothing.
async fn unapply(ctx: &Context, app: &GeneratedRef) -> Result<(), ClusterError> {
    let doc = json!({
        "apiVersion": app.api_version,
        "kind": app.kind,
        "metadata": {"name": app.name, "namespace": app.namespace},
    });
    if !application_exists(ctx, &app.namespace, &app.name).await? {
        return Ok(());
    }
    let options = ApplyOptions {
        field_manager: ctx.options.field_manager.clone(),
        dry_run: false,
        force: true,
        namespace: app.namespace.clone(),
    };
    let done = apply_with(&ctx.client, &ctx.server, &doc, &options).await?;
    if done.applied.result.failed() {
        log::warn(
            "cannot remove the annotations",
            &[("application", &format!("{}/{}", app.namespace, app.name))],
        );
    } else {
        log::info(
            "removed the annotations",
            &[("application", &format!("{}/{}", app.namespace, app.name))],
        );
    }
    Ok(())
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
/// their controlling owner; and takes its annotations off the
/// Applications it `annotated` that are not kept.
async fn prune(
    ctx: &Context,
    owner: &Owner,
    keep: &[GeneratedRef],
    annotated: &[GeneratedRef],
) -> Result<(), ClusterError> {
    for app in annotated {
        if !keep.contains(app) {
            unapply(ctx, app).await?;
        }
    }
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
