//! Kubernetes-shaped documents: any document whose root mapping has
//! `apiVersion` and `kind`, plus kustomize `Kustomization` files (which may
//! have neither).

use super::Str;
use crate::diagnostic::FileId;
use crate::yaml::{NodeId, Yaml};

#[derive(Debug, Clone)]
pub struct Object {
    pub file: FileId,
    pub doc: usize,
    pub root: NodeId,
    pub api_version: Option<Str>,
    pub kind: Option<Str>,
    pub name: Option<Str>,
    pub namespace: Option<Str>,
}

impl Object {
    pub fn group(&self) -> &str {
        self.api_version
            .as_ref()
            .map_or("", |a| a.value.rsplit_once('/').map_or("", |(g, _)| g))
    }

    pub fn version(&self) -> &str {
        self.api_version.as_ref().map_or("", |a| {
            a.value
                .rsplit_once('/')
                .map_or(a.value.as_str(), |(_, v)| v)
        })
    }

    pub fn kind(&self) -> &str {
        self.kind.as_ref().map_or("", |k| k.value.as_str())
    }

    pub fn name(&self) -> &str {
        self.name.as_ref().map_or("", |n| n.value.as_str())
    }

    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_ref().map(|n| n.value.as_str())
    }

    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.group() == group && self.kind() == kind
    }

    /// `spec` mapping node, if any.
    pub fn spec(&self, yaml: &Yaml) -> Option<NodeId> {
        yaml.get(self.root, "spec").filter(|&n| yaml.is_mapping(n))
    }
}

pub fn str_at(yaml: &Yaml, node: NodeId, keys: &[&str]) -> Option<Str> {
    let node = yaml.path(node, keys)?;
    yaml.non_null_str(node).map(|value| Str {
        value: value.to_owned(),
        node,
    })
}

pub fn objects_in(file: FileId, yaml: &Yaml) -> Vec<Object> {
    let mut out = Vec::new();
    for doc in &yaml.docs {
        let Some(root) = doc.root else { continue };
        if !yaml.is_mapping(root) {
            continue;
        }
        let api_version = str_at(yaml, root, &["apiVersion"]);
        let kind = str_at(yaml, root, &["kind"]);
        if api_version.is_none() && kind.is_none() {
            continue;
        }
        out.push(Object {
            file,
            doc: doc.index,
            root,
            api_version,
            kind,
            name: str_at(yaml, root, &["metadata", "name"]),
            namespace: str_at(yaml, root, &["metadata", "namespace"]),
        });
    }
    out
}
