//! What each live image-automation object says about itself: readiness
//! (the `Ready` condition), what it resolved (ImagePolicy
//! `status.latestRef`, ImageRepository scan, automation push, Argo
//! `status.recentUpdates`), when it last looked, whether it is suspended.
//! Inside a checkout, [`files`] names the repository files each object
//! drives. Hands [`Row`]s to `report::status`.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use super::Live;
use crate::discover::Workspace;
use crate::model::Model;
use crate::model::target::Driver;

/// One object, as `status` prints it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Row {
    pub kind: String,
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub namespace: String,
    pub name: String,
    /// The `Ready` condition's status (`True`, `False`, `Unknown`); `None`
    /// when the object has none yet (no controller has looked at it).
    pub ready: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    /// What the object picked or did, e.g. `ghcr.io/org/app:1.2.3`.
    pub resolved: Vec<String>,
    /// When the controller last scanned, evaluated, ran or checked.
    pub last: Option<String>,
    pub suspended: bool,
    /// The status is for an older generation of the spec.
    pub stale: bool,
    /// Repository files the object drives (with `--root`, or inside a
    /// checkout).
    pub files: Vec<String>,
}

pub fn row(o: &Live) -> Row {
    let ready = o
        .at("status.conditions")
        .and_then(Value::as_array)
        .and_then(|c| {
            c.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        });
    let text = |v: Option<&Value>, key: &str| {
        v.and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let generation = o.at("metadata.generation").and_then(Value::as_i64);
    let observed = o.at("status.observedGeneration").and_then(Value::as_i64);
    Row {
        kind: o.kind.kind.to_owned(),
        api_version: o.kind.api_version(),
        namespace: o.namespace.clone(),
        name: o.name.clone(),
        ready: text(ready, "status"),
        reason: text(ready, "reason"),
        message: text(ready, "message"),
        resolved: resolved(o),
        last: last(o),
        suspended: o.at("spec.suspend").and_then(Value::as_bool) == Some(true),
        stale: matches!((generation, observed), (Some(g), Some(s)) if s < g),
        files: Vec::new(),
    }
}

fn resolved(o: &Live) -> Vec<String> {
    let s = |path: &str| o.str_at(path).filter(|s| !s.is_empty());
    match (o.kind.group, o.kind.kind) {
        (_, "ImagePolicy") => {
            let Some(name) = s("status.latestRef.name") else {
                // v1beta2 objects served as v1 keep the old field.
                return s("status.latestImage")
                    .map(str::to_owned)
                    .into_iter()
                    .collect();
            };
            let mut out = name.to_owned();
            if let Some(tag) = s("status.latestRef.tag") {
                out = format!("{out}:{tag}");
            }
            if let Some(digest) = s("status.latestRef.digest") {
                out = format!("{out}@{digest}");
            }
            vec![out]
        }
        (_, "ImageRepository") => {
            let count = o
                .at("status.lastScanResult.tagCount")
                .and_then(Value::as_u64);
            let latest: Vec<&str> = o
                .at("status.lastScanResult.latestTags")
                .and_then(Value::as_array)
                .map(|t| t.iter().filter_map(Value::as_str).take(3).collect())
                .unwrap_or_default();
            match count {
                Some(n) if latest.is_empty() => vec![format!("{n} tags")],
                Some(n) => vec![format!("{n} tags (latest {})", latest.join(", "))],
                None => Vec::new(),
            }
        }
        (_, "ImageUpdateAutomation") => s("status.lastPushCommit")
            .map(|c| format!("pushed {}", &c[..c.len().min(12)]))
            .into_iter()
            .collect(),
        ("argocd-image-updater.argoproj.io", "ImageUpdater") => o
            .at("status.recentUpdates")
            .and_then(Value::as_array)
            .map(|u| {
                u.iter()
                    .filter_map(|u| {
                        let image = u.get("image")?.as_str()?;
                        let version = u.get("newVersion").and_then(Value::as_str);
                        Some(match version {
                            Some(v) if !image.ends_with(v) => format!("{image} → {v}"),
                            _ => image.to_owned(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn last(o: &Live) -> Option<String> {
    let path = match o.kind.kind {
        "ImageRepository" => "status.lastScanResult.scanTime",
        "ImageUpdateAutomation" => "status.lastAutomationRunTime",
        "ImageUpdater" => "status.lastCheckedAt",
        _ => return ready_transition(o),
    };
    o.str_at(path)
        .map(str::to_owned)
        .or_else(|| ready_transition(o))
}

/// When the `Ready` condition last changed: an ImagePolicy's only clock.
fn ready_transition(o: &Live) -> Option<String> {
    o.at("status.conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))?
        .get("lastTransitionTime")?
        .as_str()
        .map(str::to_owned)
}

/// The repository files `o` drives, from the checkout's model: a policy's
/// markers; a repository's, through the policies that follow it; an
/// automation's markers under its `update.path`; an updater CR's or a
/// KubeSphere object's write-back targets and the file that declares it.
pub fn files(o: &Live, live: &[Live], ws: &Workspace, model: &Model) -> Vec<String> {
    let mut out = BTreeSet::new();
    let policy_files = |ns: &str, name: &str, out: &mut BTreeSet<String>| {
        for t in &model.targets {
            if let Driver::Flux {
                namespace, name: n, ..
            } = &t.driver
                && namespace == ns
                && n == name
            {
                out.insert(ws.files[t.file].path.clone());
            }
        }
    };
    match o.kind.kind {
        "ImagePolicy" => policy_files(&o.namespace, &o.name, &mut out),
        "ImageRepository" => {
            // Policies (live ones: the cluster decides who follows whom).
            for p in live.iter().filter(|p| p.is_policy_of(o)) {
                policy_files(&p.namespace, &p.name, &mut out);
            }
        }
        "ImageUpdateAutomation" => {
            let scope =
                crate::model::flux::normalize_rel(o.str_at("spec.update.path").unwrap_or_default());
            for t in &model.targets {
                let path = &ws.files[t.file].path;
                if matches!(t.driver, Driver::Flux { .. })
                    && crate::model::flux::covers(&scope, path)
                {
                    out.insert(path.clone());
                }
            }
        }
        _ => {
            // The repository's own copy of the object, and where its
            // updaters write.
            for u in &model.updaters {
                let Some((dialect, from)) = u.from else {
                    continue;
                };
                if dialect == o.kind.dialect
                    && u.namespace.as_deref().unwrap_or(&o.namespace) == o.namespace
                    && (u.name == o.name || u.name.starts_with(&format!("{}-", o.name)))
                {
                    out.insert(ws.files[from.file].path.clone());
                    for t in &model.targets {
                        if t.file != from.file && updater_writes(u, t) {
                            out.insert(ws.files[t.file].path.clone());
                        }
                    }
                }
            }
        }
    }
    out.into_iter().collect()
}

fn updater_writes(u: &crate::model::spec::Updater, t: &crate::model::target::Target) -> bool {
    match &t.driver {
        Driver::Argo(a) => u.images.iter().any(|i| i.name.value == a.repository),
        Driver::KubesphereFlux { repository, .. } => {
            u.images.iter().any(|i| &i.name.value == repository)
        }
        Driver::Flux { .. } => false,
    }
}
