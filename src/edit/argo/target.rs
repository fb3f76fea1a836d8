//! Where an update is written: the write-back method, the Application,
//! its source path and type, and the file its target names
//! (`.argocd-source-<app>.yaml`, a kustomization, a Helm values file),
//! plus that file's text as the [`Workspace`] holds it. Hands [`Job`]s and
//! [`Loaded`] files to the planner; reads nothing from disk itself. The
//! Application's facts (name, namespace, source) are the model's
//! ([`ArgoWriteBack::application`](crate::model::target::ArgoWriteBack));
//! only the target file is read here, as editing needs its text.

use std::borrow::Cow;

use super::error::ArgoError;
use super::{ArgoUpdate, KUSTOMIZATION_NAMES};
use crate::diagnostic::FileId;
use crate::discover::Workspace;
use crate::model::argo::{OneSource, SourceKind};
use crate::model::image;
use crate::model::target::{ArgoImage, Driver, Source};
use crate::yaml::{self, NodeId, Yaml};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AppKind {
    Kustomize,
    Helm,
    /// A Config Management Plugin source with plugin targets: env entries.
    Plugin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dest {
    /// `.argocd-source-<app>.yaml` (or a bare target in that format).
    Override(AppKind),
    Kustomization,
    Values,
}

pub(super) struct Job<'a> {
    pub(super) update: &'a ArgoUpdate<'a>,
    pub(super) cfg: &'a ArgoImage,
    pub(super) app_name: String,
    /// The Application's file and root, to group one app's images.
    pub(super) app_key: (FileId, NodeId),
    /// `spec.source.kustomize.images` of the Application, as written.
    pub(super) source_images: Vec<String>,
    pub(super) path: String,
    pub(super) dest: Dest,
    /// The new value differs from what preview reports as current.
    pub(super) changed: bool,
}

pub(super) fn resolve<'a>(ws: &'a Workspace, u: &'a ArgoUpdate<'a>) -> Result<Job<'a>, ArgoError> {
    let t = u.target;
    let Driver::Argo(cfg) = &t.driver else {
        return Err(ArgoError::NotArgo);
    };
    let wb = &cfg.write_back;
    check_method(t.source, wb.method.as_deref())?;
    let (Some(app_key), Some(app)) = (wb.app, wb.application.as_ref()) else {
        return Err(missing_app(t.source, &cfg.app));
    };
    let name = app.name.clone();
    let namespace = app.namespace.clone().or_else(|| wb.namespace.clone());
    let source = match &app.source {
        SourceKind::One(s) => s,
        SourceKind::Several => return Err(ArgoError::SeveralSources(name)),
        SourceKind::Missing => return Err(ArgoError::NoSource(name)),
    };
    // Argo joins the target to the source path; no path is the root.
    let src_path = match &source.path {
        Some(p) => join("", p).ok_or_else(|| ArgoError::SourcePathOutside(p.clone()))?,
        None => String::new(),
    };
    let rel =
        |base: &str, r: &str| join(base, r).ok_or_else(|| ArgoError::TargetOutside(r.to_owned()));
    let target = wb
        .target
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let (path, dest) = match target {
        None => {
            // W13: the namespace prefix only for apps outside the
            // controller's namespace.
            let file = crate::model::argo::source_file_name(namespace.as_deref(), &name);
            let kind = app_kind(ws, source, &src_path, &name, wb.plugin.is_some())?;
            (rel(&src_path, &file)?, Dest::Override(kind))
        }
        Some(t) if t == "kustomization" || t.starts_with("kustomization:") => {
            let dir = t["kustomization".len()..]
                .strip_prefix(':')
                .unwrap_or("")
                .trim();
            let dir = rel(&src_path, dir)?;
            let found = KUSTOMIZATION_NAMES
                .iter()
                .filter_map(|n| join(&dir, n))
                .find(|p| ws.file_id(p).is_some() || ws.is_file(p));
            let found =
                found.ok_or_else(|| ArgoError::NoKustomization(shown_dir(&dir).to_owned()))?;
            (found, Dest::Kustomization)
        }
        Some(t) if t == "helmvalues" || t.starts_with("helmvalues:") => {
            let file = match t["helmvalues".len()..].strip_prefix(':').map(str::trim) {
                None => rel(&src_path, "values.yaml")?,
                Some("") => {
                    return Err(ArgoError::HelmValuesUnnamed);
                }
                Some(f) => rel(&src_path, f)?,
            };
            (file, Dest::Values)
        }
        Some(t) => {
            let base = t.rsplit('/').next().unwrap_or(t);
            if KUSTOMIZATION_NAMES.contains(&base) {
                return Err(ArgoError::BareKustomization(t.to_owned()));
            }
            let file = rel("", t)?;
            if (t.ends_with(".yaml") || t.ends_with(".yml")) && !base.starts_with(".argocd-source-")
            {
                (file, Dest::Values)
            } else {
                let kind = app_kind(ws, source, &src_path, &name, wb.plugin.is_some())?;
                (file, Dest::Override(kind))
            }
        }
    };
    let changed = match &t.current {
        Some(current) => !image::same_tag(&u.new_tag, current),
        None => true,
    };
    Ok(Job {
        update: u,
        cfg,
        app_name: name,
        app_key,
        source_images: source.kustomize_images.clone(),
        path,
        dest,
        changed,
    })
}

pub(super) fn check_method(source: Source, method: Option<&str>) -> Result<(), ArgoError> {
    let m = method.map_or("", str::trim);
    if source == Source::KubesphereImageUpdater {
        return match m {
            "git" => Ok(()),
            "" => Err(ArgoError::KubesphereBuiltIn),
            other => Err(ArgoError::KubesphereWrite(other.to_owned())),
        };
    }
    let (field, fix) = if source == Source::ArgocdImageUpdater {
        ("writeBackConfig.method", "writeBackConfig.method: git")
    } else {
        ("write-back-method", "write-back-method: git")
    };
    match m.split(':').next().unwrap_or("") {
        "" => Err(ArgoError::MethodDefault { field, fix }),
        "argocd" => Err(ArgoError::MethodArgocd { field, fix }),
        "git"
            if m.strip_prefix("git:secret:")
                .is_some_and(|s| s.trim().is_empty()) =>
        {
            Err(ArgoError::MethodNoSecret {
                field,
                method: m.to_owned(),
            })
        }
        "git" => Ok(()),
        _ => Err(ArgoError::MethodUnknown {
            field,
            method: m.to_owned(),
        }),
    }
}

pub(super) fn missing_app(source: Source, name: &str) -> ArgoError {
    if source == Source::ArgocdImageUpdater && name.contains(['*', '?', '[']) {
        ArgoError::AppPattern(name.to_owned())
    } else if name.contains("{{") {
        ArgoError::AppTemplate(name.to_owned())
    } else if name.is_empty() {
        ArgoError::AppUnnamed
    } else {
        ArgoError::AppMissing(name.to_owned())
    }
}

pub(super) fn app_kind(
    ws: &Workspace,
    source: &OneSource,
    path: &str,
    name: &str,
    plugin_targets: bool,
) -> Result<AppKind, ArgoError> {
    // `marshalParamsOverride` (`pkg/argocd/update.go`, v1.3.0+): a Plugin
    // app whose image has plugin targets gets `plugin.env` entries; without
    // them it is written as Helm.
    if source.plugin && plugin_targets {
        return Ok(AppKind::Plugin);
    }
    if source.helm || source.chart || source.plugin {
        return Ok(AppKind::Helm);
    }
    if source.kustomize {
        return Ok(AppKind::Kustomize);
    }
    let exists =
        |n: &str| join(path, n).is_some_and(|p| ws.file_id(&p).is_some() || ws.is_file(&p));
    if KUSTOMIZATION_NAMES.iter().any(|n| exists(n)) {
        return Ok(AppKind::Kustomize);
    }
    if exists("Chart.yaml") {
        return Ok(AppKind::Helm);
    }
    Err(ArgoError::UnknownAppKind {
        name: name.to_owned(),
        dir: shown_dir(path).to_owned(),
    })
}

/// `base/rel`, or `rel` from the repository root when it starts with `/`,
/// normalised; `None` when `..` leads out of the repository.
pub(super) fn join(base: &str, rel: &str) -> Option<String> {
    let (base, rel) = match rel.strip_prefix('/') {
        Some(r) => ("", r),
        None => (base, rel),
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in base.split('/').chain(rel.split('/')) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

pub(super) fn shown_dir(dir: &str) -> &str {
    if dir.is_empty() {
        "the repository root"
    } else {
        dir
    }
}

pub(super) struct Loaded<'w> {
    /// The workspace's file, when discovery loaded it.
    pub(super) id: Option<FileId>,
    /// `None`: the file does not exist yet.
    pub(super) text: Option<String>,
    pub(super) yaml: Cow<'w, Yaml>,
}

pub(super) fn load<'w>(ws: &'w Workspace, path: &str) -> Result<Loaded<'w>, ArgoError> {
    if let Some(id) = ws.file_id(path)
        && let Some(y) = &ws.files[id].yaml
    {
        return Ok(Loaded {
            id: Some(id),
            text: Some(ws.files[id].text.clone()),
            yaml: Cow::Borrowed(y),
        });
    }
    if ws.is_dir(path) {
        return Err(ArgoError::IsFolder);
    }
    if let Some(text) = ws
        .read_unloaded(path)
        .map_err(|e| ArgoError::Unreadable(e.to_string()))?
    {
        let y = yaml::parse(&text);
        return Ok(Loaded {
            id: None,
            text: Some(text),
            yaml: Cow::Owned(y),
        });
    }
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    if !dir.is_empty() && !ws.is_dir(dir) {
        return Err(ArgoError::NoFolder(dir.to_owned()));
    }
    Ok(Loaded {
        id: None,
        text: None,
        yaml: Cow::Owned(yaml::parse("")),
    })
}
