//! Flux image automation objects found in the repository
//! (`image.toolkit.fluxcd.io` ImageRepository, ImagePolicy,
//! ImageUpdateAutomation, and `source.toolkit.fluxcd.io` GitRepository),
//! indexed for the lookups markers and references need.

use super::object::str_at;
use super::{Object, Str};
use crate::diagnostic::FileId;
use crate::discover::Workspace;
use crate::yaml::NodeId;

/// The ImageRepository `exclusionList` Flux applies when none is given.
pub const DEFAULT_EXCLUSION: &str = "^.*\\.sig$";

/// A Go duration in `time.Duration.String` form, when `s` is one that
/// Flux's interval pattern would accept once written that way.
pub fn canonical_interval(s: &str) -> Option<String> {
    use crate::gosyntax::duration::{format_go_duration, matches_flux_interval, parse_go_duration};
    let d = parse_go_duration(s).ok()?;
    if d.is_negative() {
        return None;
    }
    let out = format_go_duration(d);
    matches_flux_interval(&out).then_some(out)
}

pub const IMAGE_GROUP: &str = "image.toolkit.fluxcd.io";
pub const SOURCE_GROUP: &str = "source.toolkit.fluxcd.io";

#[derive(Debug, Clone)]
pub struct Named {
    /// Index into `Model::objects`.
    pub object: usize,
    pub file: FileId,
    pub root: NodeId,
    pub name: String,
    /// `None` when the manifest leaves the namespace to the applier.
    pub namespace: Option<String>,
}

impl Named {
    fn of(index: usize, obj: &Object) -> Self {
        Self {
            object: index,
            file: obj.file,
            root: obj.root,
            name: obj.name().to_owned(),
            namespace: obj.namespace().map(str::to_owned),
        }
    }

    /// A manifest without a namespace may land in any namespace, so it
    /// matches every wanted namespace: better a missed finding than a false
    /// one.
    pub fn in_namespace(&self, ns: &str) -> bool {
        self.namespace.as_deref().is_none_or(|n| n == ns)
    }
}

#[derive(Debug, Clone)]
pub struct ImageRepository {
    pub meta: Named,
    pub image: Option<Str>,
    pub has_access_from: bool,
}

#[derive(Debug, Clone)]
pub struct ImagePolicy {
    pub meta: Named,
    pub repository_name: Option<Str>,
    pub repository_namespace: Option<Str>,
    pub digest_reflection: Option<Str>,
}

impl ImagePolicy {
    /// Namespace of the referenced ImageRepository: explicit, else the
    /// policy's own.
    pub fn repository_ns(&self) -> Option<&str> {
        self.repository_namespace
            .as_ref()
            .map(|s| s.value.as_str())
            .or(self.meta.namespace.as_deref())
    }

    pub fn reflects_digest(&self) -> bool {
        self.digest_reflection
            .as_ref()
            .is_some_and(|d| d.value == "IfNotPresent" || d.value == "Always")
    }
}

#[derive(Debug, Clone)]
pub struct ImageUpdateAutomation {
    pub meta: Named,
    /// `spec.update.path`, `None` when absent (the repository root).
    pub update_path: Option<Str>,
}

impl ImageUpdateAutomation {
    /// The covered folder, relative to the root, without `./` or a leading
    /// `/` (the controller clamps paths inside the clone).
    pub fn scope(&self) -> String {
        let raw = self.update_path.as_ref().map_or("", |p| p.value.as_str());
        normalize_rel(raw)
    }

    pub fn covers(&self, file: &str) -> bool {
        let scope = self.scope();
        scope.is_empty() || file == scope || file.starts_with(&format!("{scope}/"))
    }
}

/// Clamps a path inside the repository the way securejoin does: `.` and
/// `..` segments are resolved lexically and never climb above the root.
pub fn normalize_rel(raw: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[derive(Debug, Default)]
pub struct FluxObjects {
    pub repositories: Vec<ImageRepository>,
    pub policies: Vec<ImagePolicy>,
    pub automations: Vec<ImageUpdateAutomation>,
    pub git_repositories: Vec<Named>,
}

impl FluxObjects {
    pub fn collect(ws: &Workspace, objects: &[Object]) -> Self {
        let mut out = Self::default();
        for (i, obj) in objects.iter().enumerate() {
            let Some(yaml) = ws.files[obj.file].yaml.as_ref() else {
                continue;
            };
            let meta = Named::of(i, obj);
            match (obj.group(), obj.kind()) {
                (IMAGE_GROUP, "ImageRepository") => out.repositories.push(ImageRepository {
                    image: str_at(yaml, obj.root, &["spec", "image"]),
                    has_access_from: yaml.path(obj.root, &["spec", "accessFrom"]).is_some(),
                    meta,
                }),
                (IMAGE_GROUP, "ImagePolicy") => out.policies.push(ImagePolicy {
                    repository_name: str_at(
                        yaml,
                        obj.root,
                        &["spec", "imageRepositoryRef", "name"],
                    ),
                    repository_namespace: str_at(
                        yaml,
                        obj.root,
                        &["spec", "imageRepositoryRef", "namespace"],
                    ),
                    digest_reflection: str_at(yaml, obj.root, &["spec", "digestReflectionPolicy"]),
                    meta,
                }),
                (IMAGE_GROUP, "ImageUpdateAutomation") => {
                    out.automations.push(ImageUpdateAutomation {
                        update_path: str_at(yaml, obj.root, &["spec", "update", "path"]),
                        meta,
                    })
                }
                (SOURCE_GROUP, "GitRepository") => out.git_repositories.push(meta),
                _ => {}
            }
        }
        out
    }

    pub fn policy(&self, ns: &str, name: &str) -> Option<&ImagePolicy> {
        // An exact namespace match wins over a namespace-less manifest.
        self.policies
            .iter()
            .find(|p| p.meta.name == name && p.meta.namespace.as_deref() == Some(ns))
            .or_else(|| {
                self.policies
                    .iter()
                    .find(|p| p.meta.name == name && p.meta.in_namespace(ns))
            })
    }

    pub fn repository_for(&self, policy: &ImagePolicy) -> Option<&ImageRepository> {
        let name = policy.repository_name.as_ref()?;
        let ns = policy.repository_ns();
        self.repositories
            .iter()
            .find(|r| r.meta.name == name.value && ns.is_none_or(|ns| r.meta.in_namespace(ns)))
    }
}
