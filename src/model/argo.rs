//! Argo CD Image Updater configuration: `argocd-image-updater.argoproj.io/`
//! annotations on Applications (v0.x, and v1.x with useAnnotations) and the
//! v1.x `ImageUpdater` custom resource.

use super::Str;
use super::object::str_at;
use crate::yaml::{NodeId, Yaml};

pub const ANNOTATION_PREFIX: &str = "argocd-image-updater.argoproj.io/";
pub const CR_GROUP: &str = "argocd-image-updater.argoproj.io";
/// Kind of the Image Updater CR.
pub const CR_KIND: &str = "ImageUpdater";

/// Application-wide annotation keys.
pub const APP_KEYS: &[&str] = &[
    "image-list",
    "update-strategy",
    "allow-tags",
    "ignore-tags",
    "force-update",
    "pull-secret",
    "write-back-method",
    "git-branch",
    "git-repository",
    "write-back-target",
];

/// Per-alias annotation keys (`<alias>.<key>`), longest first so that
/// `helm.image-name` wins over a shorter suffix.
pub const ALIAS_KEYS: &[&str] = &[
    "kustomize.image-name",
    "helm.image-name",
    "helm.image-tag",
    "helm.image-spec",
    "update-strategy",
    "allow-tags",
    "ignore-tags",
    "force-update",
    "pull-secret",
    "platforms",
    "tag-match",
];

/// The alias syntax of the `ImageUpdater` CRD (`^[a-zA-Z0-9][a-zA-Z0-9-._]*$`),
/// which annotation keys accept too: the one definition validate, export and
/// the KubeSphere writer share.
pub fn alias_syntax_ok(a: &str) -> bool {
    let mut chars = a.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

#[derive(Debug, Clone)]
pub struct Annotation {
    /// The key without the prefix.
    pub key: String,
    pub key_node: NodeId,
    pub value: Str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnnotationKey<'a> {
    App(&'a str),
    Alias { alias: &'a str, key: &'static str },
    Unknown,
}

pub fn classify(key: &str) -> AnnotationKey<'_> {
    if let Some(k) = APP_KEYS.iter().find(|k| **k == key) {
        return AnnotationKey::App(k);
    }
    for suffix in ALIAS_KEYS {
        if let Some(alias) = key.strip_suffix(suffix).and_then(|a| a.strip_suffix('.'))
            && !alias.is_empty()
        {
            return AnnotationKey::Alias { alias, key: suffix };
        }
    }
    AnnotationKey::Unknown
}

/// The image-updater annotations of an Application object.
pub fn annotations(yaml: &Yaml, root: NodeId) -> Vec<Annotation> {
    let Some(map) = yaml.path(root, &["metadata", "annotations"]) else {
        return Vec::new();
    };
    yaml.entries(map)
        .iter()
        .filter_map(|&(k, v)| {
            let key = yaml.str(k)?.strip_prefix(ANNOTATION_PREFIX)?;
            let value = yaml.str(v).unwrap_or_default().to_owned();
            Some(Annotation {
                key: key.to_owned(),
                key_node: k,
                value: Str { value, node: v },
            })
        })
        .collect()
}

pub fn is_application(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("argoproj.io/") && kind == "Application"
}

/// One item of an `image-list` annotation with byte ranges into the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    pub text: String,
    pub range: std::ops::Range<usize>,
}

/// Splits `image-list` on commas, trimming, skipping empty items (v1).
pub fn split_list(value: &str) -> Vec<ListItem> {
    let mut out = Vec::new();
    let mut start = 0;
    for part in value.split(',') {
        let end = start + part.len();
        let lead = part.len() - part.trim_start().len();
        let trimmed = part.trim();
        if !trimmed.is_empty() {
            out.push(ListItem {
                text: trimmed.to_owned(),
                range: start + lead..start + lead + trimmed.len(),
            });
        }
        start = end + 1;
    }
    out
}

/// `spec.applicationRefs[]` of an ImageUpdater CR.
#[derive(Debug, Clone)]
pub struct ApplicationRef {
    pub node: NodeId,
    pub name_pattern: Option<Str>,
    pub use_annotations: bool,
    pub images: Vec<NodeId>,
}

pub fn application_refs(yaml: &Yaml, spec: NodeId) -> Vec<ApplicationRef> {
    let Some(refs) = yaml.get(spec, "applicationRefs") else {
        return Vec::new();
    };
    yaml.items(refs)
        .iter()
        .map(|&node| ApplicationRef {
            node,
            name_pattern: str_at(yaml, node, &["namePattern"]),
            use_annotations: yaml.path_str(node, &["useAnnotations"]) == Some("true"),
            images: yaml
                .get(node, "images")
                .map(|i| yaml.items(i).to_vec())
                .unwrap_or_default(),
        })
        .collect()
}

/// The namespace Argo CD Image Updater runs in, as far as file names go
/// (an assumption: the repository does not say).
pub const CONTROLLER_NAMESPACE: &str = "argocd";

/// The write-back file of an app: `.argocd-source-<app>.yaml`, with the
/// `<namespace>_` prefix for apps outside the controller's namespace
/// (Argo CD's apps-in-any-namespace naming).
pub fn source_file_name(namespace: Option<&str>, app: &str) -> String {
    match namespace {
        Some(ns) if ns != CONTROLLER_NAMESPACE => format!(".argocd-source-{ns}_{app}.yaml"),
        _ => format!(".argocd-source-{app}.yaml"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_keys() {
        assert_eq!(classify("image-list"), AnnotationKey::App("image-list"));
        assert_eq!(
            classify("web.helm.image-name"),
            AnnotationKey::Alias {
                alias: "web",
                key: "helm.image-name"
            }
        );
        assert_eq!(
            classify("my.app.update-strategy"),
            AnnotationKey::Alias {
                alias: "my.app",
                key: "update-strategy"
            }
        );
        assert_eq!(classify("update-interval"), AnnotationKey::Unknown);
        assert_eq!(classify("web.write-back-target"), AnnotationKey::Unknown);
    }

    #[test]
    fn split_list_keeps_ranges() {
        let v = "  web = nginx:1.21  ,,api=quay.io/x:v2 ";
        let items = split_list(v);
        assert_eq!(items.len(), 2);
        assert_eq!(&v[items[0].range.clone()], "web = nginx:1.21");
        assert_eq!(&v[items[1].range.clone()], "api=quay.io/x:v2");
    }
}
