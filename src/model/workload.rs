//! Where images are written outside the controllers' own objects:
//! containers of every pod template found anywhere, kustomize `images:`
//! entries, and Helm values image keys (values files and HelmRelease
//! `spec.values`).

use super::Str;
use super::object::str_at;
use crate::diagnostic::FileId;
use crate::yaml::{NodeId, Yaml};

#[derive(Debug, Clone)]
pub struct ContainerImage {
    pub file: FileId,
    pub image: Str,
    /// `containers`, `initContainers` or `ephemeralContainers`.
    pub list: &'static str,
}

#[derive(Debug, Clone)]
pub struct KustomizeImage {
    pub file: FileId,
    pub entry: NodeId,
    pub name: Option<Str>,
    pub new_name: Option<Str>,
    pub new_tag: Option<Str>,
    pub digest: Option<Str>,
}

#[derive(Debug, Clone)]
pub enum HelmImage {
    /// `image: repo:tag` as one string.
    Inline { file: FileId, value: Str },
    /// `image: {registry, repository, tag, digest}` (Bitnami / helm create).
    Split {
        file: FileId,
        map: NodeId,
        registry: Option<Str>,
        repository: Str,
        tag: Option<Str>,
        digest: Option<Str>,
    },
}

/// `registry/repository` of a split Helm image, or the repository alone
/// when the registry is unset or empty.
pub fn split_name(registry: Option<&Str>, repository: &Str) -> String {
    match registry {
        Some(r) if !r.value.is_empty() => format!("{}/{}", r.value, repository.value),
        _ => repository.value.clone(),
    }
}

#[derive(Debug, Default)]
pub struct Images {
    pub containers: Vec<ContainerImage>,
    pub kustomize: Vec<KustomizeImage>,
    pub helm: Vec<HelmImage>,
}

const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

pub fn is_kustomization_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    )
}

pub fn is_values_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.starts_with("values") && (name.ends_with(".yaml") || name.ends_with(".yml"))
}

pub fn collect(file: FileId, path: &str, yaml: &Yaml) -> Images {
    let mut out = Images::default();
    let kustomization = is_kustomization_file(path);
    let values = is_values_file(path);
    for root in yaml.roots() {
        let kind = str_at(yaml, root, &["kind"]).map(|k| k.value);
        let api = str_at(yaml, root, &["apiVersion"])
            .map(|k| k.value)
            .unwrap_or_default();
        let is_k8s = kind.is_some();
        if is_k8s || !values {
            containers(file, yaml, root, &mut out.containers);
        }
        let kustomize_kind = kind.as_deref() == Some("Kustomization")
            && (api.starts_with("kustomize.config.k8s.io/")
                || api.starts_with("kustomize.toolkit.fluxcd.io/"));
        if kustomization || kustomize_kind {
            let images = if api.starts_with("kustomize.toolkit.fluxcd.io/") {
                yaml.path(root, &["spec", "images"])
            } else {
                yaml.get(root, "images")
            };
            if let Some(images) = images {
                for &entry in yaml.items(images) {
                    if !yaml.is_mapping(entry) {
                        continue;
                    }
                    out.kustomize.push(KustomizeImage {
                        file,
                        entry,
                        name: str_at(yaml, entry, &["name"]),
                        new_name: str_at(yaml, entry, &["newName"]),
                        new_tag: str_at(yaml, entry, &["newTag"]),
                        digest: str_at(yaml, entry, &["digest"]),
                    });
                }
            }
        }
        if values && !is_k8s {
            helm_values(file, yaml, root, &mut out.helm);
        }
        if kind.as_deref() == Some("HelmRelease")
            && api.starts_with("helm.toolkit.fluxcd.io/")
            && let Some(v) = yaml.path(root, &["spec", "values"])
        {
            helm_values(file, yaml, v, &mut out.helm);
        }
    }
    out
}

fn containers(file: FileId, yaml: &Yaml, root: NodeId, out: &mut Vec<ContainerImage>) {
    for node in yaml.descendants(root) {
        for (k, v) in yaml.entries(node) {
            let Some(list) = yaml
                .str(*k)
                .and_then(|k| CONTAINER_LISTS.into_iter().find(|l| *l == k))
            else {
                continue;
            };
            if yaml.is_alias(*v) {
                continue;
            }
            for &item in yaml.items(*v) {
                if let Some(image) = str_at(yaml, item, &["image"]) {
                    out.push(ContainerImage { file, image, list });
                }
            }
        }
    }
}

/// Renovate's convention, which chart authors follow: a key ending in
/// `image` (any case) holding either a reference string or a mapping with
/// `repository`.
fn helm_values(file: FileId, yaml: &Yaml, root: NodeId, out: &mut Vec<HelmImage>) {
    for node in yaml.descendants(root) {
        for &(k, v) in yaml.entries(node) {
            let Some(key) = yaml.str(k) else { continue };
            if !key.to_ascii_lowercase().ends_with("image") || yaml.is_alias(v) {
                continue;
            }
            if let Some(value) = yaml.non_null_str(v) {
                if !value.is_empty() && !value.contains("{{") {
                    out.push(HelmImage::Inline {
                        file,
                        value: Str {
                            value: value.to_owned(),
                            node: v,
                        },
                    });
                }
            } else if yaml.is_mapping(v)
                && let Some(repository) =
                    str_at(yaml, v, &["repository"]).or_else(|| str_at(yaml, v, &["name"]))
            {
                out.push(HelmImage::Split {
                    file,
                    map: v,
                    registry: str_at(yaml, v, &["registry"]),
                    repository,
                    tag: str_at(yaml, v, &["tag"]).or_else(|| str_at(yaml, v, &["version"])),
                    digest: str_at(yaml, v, &["digest"]),
                });
            }
        }
    }
}
