//! `diff`: the repository against the cluster, as `flux diff` frames it.
//! For each update target: the value in the repository, what the
//! controller selected (ImagePolicy `status.latestRef`, the Argo CD Image
//! Updater CR's `status.recentUpdates`) and what runs (the Pods of the
//! workload's namespace, an Argo CD Application's
//! `status.summary.images`). For each image-automation object of the
//! repository: a server-side dry run against the live object, with the
//! fields that differ. Hands [`Report`] to the CLI.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use serde::Serialize;
use serde_json::Value;

use super::apply::{ApplyOptions, Outcome};
use super::{Cluster, ClusterError, KINDS, Kind, kinds};
use crate::discover::Workspace;
use crate::model::Model;
use crate::model::marker::Suffix;
use crate::model::target::{Driver, Target, contains_image};
use crate::model::{Object, image};

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub targets: Vec<TargetDiff>,
    pub objects: Vec<ObjectDiff>,
}

impl Report {
    pub fn differs(&self) -> bool {
        self.targets.iter().any(|t| t.differs)
            || self.objects.iter().any(|o| o.state != State::Same)
    }
}

#[derive(Debug, Serialize)]
pub struct TargetDiff {
    pub file: String,
    pub line: usize,
    pub image: String,
    /// The value as the repository holds it.
    pub repository: Option<String>,
    /// What the controller picked, in the target's form.
    pub selected: Option<String>,
    /// The images of that repository running now (distinct).
    pub running: Vec<String>,
    pub differs: bool,
    /// Why something could not be compared.
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ObjectDiff {
    pub file: String,
    pub object: String,
    pub state: State,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum State {
    Same,
    /// Not in the cluster.
    Missing,
    /// The fields whose values the apply would change.
    Differs {
        fields: Vec<String>,
    },
    /// The API server refused the repository's object.
    Refused {
        message: String,
    },
}

fn kind_of(group: &str, kind: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .copied()
        .find(|k| k.group == group && k.kind == kind)
}

impl Cluster {
    /// Container images of the Pods in `namespace`.
    pub fn pod_images(&self, namespace: &str) -> Result<Vec<String>, ClusterError> {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let pods = self
            .runtime
            .block_on(api.list(&ListParams::default()))
            .map_err(|e| self.failure("pods", e))?;
        Ok(pods
            .items
            .iter()
            .filter_map(|p| p.spec.as_ref())
            .flat_map(|s| {
                s.containers
                    .iter()
                    .chain(s.init_containers.iter().flatten())
            })
            .filter_map(|c| c.image.clone())
            .collect())
    }
}

pub fn diff(
    cluster: &Cluster,
    ws: &Workspace,
    model: &Model,
    namespace: &str,
    field_manager: &str,
) -> Result<Report, ClusterError> {
    let mut report = Report::default();
    let mut pods: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in &model.targets {
        if !ws.files[t.file].report {
            continue;
        }
        report
            .targets
            .push(target(cluster, ws, model, t, namespace, &mut pods)?);
    }
    let opts = ApplyOptions {
        field_manager: field_manager.to_owned(),
        dry_run: true,
        // The comparison is the point; another owner must not stop it.
        force: true,
        namespace: namespace.to_owned(),
    };
    for o in &model.objects {
        if !ws.files[o.file].report || kind_of(o.group(), o.kind()).is_none() {
            continue;
        }
        let Some(yaml) = ws.files[o.file].yaml.as_ref() else {
            continue;
        };
        let Some(doc) = crate::yaml::json::to_json(yaml, o.root) else {
            continue;
        };
        let compared = cluster.apply_compared(&doc, &opts)?;
        let state = match (&compared.applied.result, &compared.before, &compared.after) {
            (Outcome::Rejected { message }, _, _) => State::Refused {
                message: message.clone(),
            },
            (_, None, _) => State::Missing,
            (Outcome::Unchanged, _, _) => State::Same,
            (_, Some(before), Some(after)) => {
                let mut fields = Vec::new();
                changed(before, after, String::new(), &mut fields);
                if fields.is_empty() {
                    State::Same
                } else {
                    State::Differs { fields }
                }
            }
            _ => State::Same,
        };
        report.objects.push(ObjectDiff {
            file: ws.files[o.file].path.clone(),
            object: compared.applied.object,
            state,
        });
    }
    Ok(report)
}

/// Paths (`.spec.interval`) whose values differ, below `spec` and the
/// labels and annotations.
fn changed(before: &Value, after: &Value, path: String, out: &mut Vec<String>) {
    if path.is_empty() {
        for key in ["spec", "metadata"] {
            let (b, a) = (&before[key], &after[key]);
            if key == "metadata" {
                for sub in ["labels", "annotations"] {
                    changed(&b[sub], &a[sub], format!(".metadata.{sub}"), out);
                }
            } else {
                changed(b, a, format!(".{key}"), out);
            }
        }
        return;
    }
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
            for k in keys {
                changed(
                    b.get(k).unwrap_or(&Value::Null),
                    a.get(k).unwrap_or(&Value::Null),
                    format!("{path}.{k}"),
                    out,
                );
            }
        }
        (b, a) if b != a => out.push(path),
        _ => {}
    }
}

/// The namespace of the object whose document holds `t`.
fn workload_namespace(ws: &Workspace, model: &Model, t: &Target) -> Option<String> {
    let yaml = ws.files[t.file].yaml.as_ref()?;
    let at = yaml.node(t.node).span.start;
    model
        .objects
        .iter()
        .filter(|o: &&Object| o.file == t.file)
        .find(|o| {
            let span = yaml.node(o.root).span;
            span.start <= at && at < span.end
        })
        .and_then(|o| o.namespace().map(str::to_owned))
}

fn target(
    cluster: &Cluster,
    ws: &Workspace,
    model: &Model,
    t: &Target,
    namespace: &str,
    pods: &mut BTreeMap<String, Vec<String>>,
) -> Result<TargetDiff, ClusterError> {
    let line = crate::model::line_of(ws, t.file, t.node);
    let mut out = TargetDiff {
        file: ws.files[t.file].path.clone(),
        line,
        image: String::new(),
        repository: t.current.clone(),
        selected: None,
        running: Vec::new(),
        differs: false,
        note: None,
    };
    let key = |s: &str| image::parse(s).ok().map(|r| r.normalized_name());
    match &t.driver {
        Driver::Flux {
            namespace: pns,
            name,
            suffix,
            ..
        } => {
            match cluster.get(&kinds::IMAGE_POLICY, pns, name)? {
                None => out.note = Some(format!("no ImagePolicy {pns}/{name} in the cluster")),
                Some(p) => {
                    let s = |f: &str| {
                        p.str_at(&format!("status.latestRef.{f}"))
                            .filter(|v| !v.is_empty())
                    };
                    out.image = s("name").unwrap_or_default().to_owned();
                    out.selected = match suffix {
                        Suffix::Tag => s("tag").map(str::to_owned),
                        Suffix::Name => s("name").map(str::to_owned),
                        Suffix::Digest => s("digest").map(str::to_owned),
                        Suffix::Full => match (s("name"), s("tag"), s("digest")) {
                            (Some(n), Some(t), Some(d)) => Some(format!("{n}:{t}@{d}")),
                            (Some(n), Some(t), None) => Some(format!("{n}:{t}")),
                            _ => None,
                        },
                    };
                    if out.selected.is_none() {
                        out.note =
                            Some(format!("ImagePolicy {pns}/{name} has selected nothing yet"));
                    }
                }
            }
            if out.image.is_empty() {
                out.image = t
                    .current
                    .as_deref()
                    .and_then(|c| image::parse(c).ok())
                    .map(|r| r.name().to_owned())
                    .unwrap_or_default();
            }
            let ns = workload_namespace(ws, model, t).unwrap_or_else(|| namespace.to_owned());
            if !pods.contains_key(&ns) {
                pods.insert(ns.clone(), cluster.pod_images(&ns)?);
            }
            let wanted = key(&out.image);
            let mut running: Vec<String> = pods[&ns]
                .iter()
                .filter(|i| wanted.is_some() && key(i) == wanted)
                .cloned()
                .collect();
            running.sort();
            running.dedup();
            out.running = running;
        }
        Driver::Argo(a) => {
            out.image = a.repository.clone();
            let app_ns = model
                .updaters
                .iter()
                .find_map(|u| {
                    (u.app.name.as_ref().map(|n| n.value.as_str()) == Some(a.app.as_str()))
                        .then(|| u.app.namespace.as_ref().map(|n| n.value.clone()))
                        .flatten()
                })
                .unwrap_or_else(|| namespace.to_owned());
            let wanted = key(&a.repository);
            match cluster.get(&kinds::APPLICATION, &app_ns, &a.app)? {
                None => {
                    out.note = Some(format!("no Application {app_ns}/{} in the cluster", a.app))
                }
                Some(app) => {
                    let live: Vec<String> = app
                        .at("status.summary.images")
                        .and_then(Value::as_array)
                        .map(|l| {
                            l.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default();
                    out.running = live
                        .iter()
                        .filter(|i| wanted.is_some() && key(i) == wanted)
                        .cloned()
                        .collect();
                    // The updater's gate (`UpdateApplication`, `ContainsImage`):
                    // registry compared as written, forceUpdate bypasses it.
                    let names = [
                        Some(a.repository.as_str()),
                        a.write_back.kustomize_name.as_deref(),
                    ];
                    if !a.force_update
                        && !names
                            .into_iter()
                            .flatten()
                            .any(|n| contains_image(&live, n))
                    {
                        out.note = Some(format!(
                            "not among Application {app_ns}/{}'s live images (status.summary.images); the updater skips it unless forceUpdate",
                            a.app
                        ));
                    }
                }
            }
        }
        Driver::KubesphereFlux { repository, .. } => {
            out.image = repository.clone();
            out.note = Some("KubeSphere objects report no selection yet".to_owned());
        }
    }
    let current = t.current.as_deref();
    let selected_differs = matches!((&out.selected, current), (Some(s), Some(c)) if s != c);
    // What runs is compared by tag (a Pod may spell the registry another way).
    let running_differs = match current {
        Some(c) if !out.running.is_empty() => !out.running.iter().any(|r| image::same_tag(r, c)),
        _ => false,
    };
    out.differs = selected_differs || running_differs;
    Ok(out)
}
