//! Field schemas of the objects we check for unknown fields: just names
//! and nesting, taken from the peers' CRDs (Flux image API v1, Argo CD Image
//! Updater v1.3, KubeSphere gitops.kubesphere.io/v1alpha1 in both spellings).

use crate::yaml::{NodeId, Yaml};

#[derive(Debug)]
pub enum Shape {
    Leaf,
    Obj(&'static [Field]),
    ListOf(&'static [Field]),
    /// Free-form keys (labels, maps keyed by alias).
    Map,
    /// Anything (schema-less or not worth modelling).
    Any,
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub shape: Shape,
}

const fn f(name: &'static str, shape: Shape) -> Field {
    Field { name, shape }
}
const fn leaf(name: &'static str) -> Field {
    Field {
        name,
        shape: Shape::Leaf,
    }
}

const NAME_REF: &[Field] = &[leaf("name")];
const LABEL_SELECTOR: &[Field] = &[
    f("matchLabels", Shape::Map),
    f("matchExpressions", Shape::Any),
];

pub const IMAGE_REPOSITORY_SPEC: &[Field] = &[
    f(
        "accessFrom",
        Shape::Obj(&[f(
            "namespaceSelectors",
            Shape::ListOf(&[f("matchLabels", Shape::Map)]),
        )]),
    ),
    f("certSecretRef", Shape::Obj(NAME_REF)),
    f("exclusionList", Shape::Any),
    leaf("image"),
    leaf("insecure"),
    leaf("interval"),
    leaf("provider"),
    f("proxySecretRef", Shape::Obj(NAME_REF)),
    f("secretRef", Shape::Obj(NAME_REF)),
    leaf("serviceAccountName"),
    leaf("suspend"),
    leaf("timeout"),
];

pub const IMAGE_POLICY_SPEC: &[Field] = &[
    leaf("digestReflectionPolicy"),
    f(
        "filterTags",
        Shape::Obj(&[leaf("extract"), leaf("pattern")]),
    ),
    f(
        "imageRepositoryRef",
        Shape::Obj(&[leaf("name"), leaf("namespace")]),
    ),
    leaf("interval"),
    f(
        "policy",
        Shape::Obj(&[
            f("alphabetical", Shape::Obj(&[leaf("order")])),
            f("numerical", Shape::Obj(&[leaf("order")])),
            f("semver", Shape::Obj(&[leaf("range")])),
        ]),
    ),
    leaf("suspend"),
];

pub const IMAGE_UPDATE_AUTOMATION_SPEC: &[Field] = &[
    f(
        "git",
        Shape::Obj(&[
            f(
                "checkout",
                Shape::Obj(&[f(
                    "ref",
                    Shape::Obj(&[
                        leaf("branch"),
                        leaf("commit"),
                        leaf("name"),
                        leaf("semver"),
                        leaf("tag"),
                    ]),
                )]),
            ),
            f(
                "commit",
                Shape::Obj(&[
                    f("author", Shape::Obj(&[leaf("email"), leaf("name")])),
                    leaf("messageTemplate"),
                    f("messageTemplateValues", Shape::Map),
                    f(
                        "signingKey",
                        Shape::Obj(&[f("secretRef", Shape::Obj(NAME_REF)), leaf("type")]),
                    ),
                ]),
            ),
            f(
                "push",
                Shape::Obj(&[leaf("branch"), f("options", Shape::Map), leaf("refspec")]),
            ),
        ]),
    ),
    leaf("interval"),
    f("policySelector", Shape::Obj(LABEL_SELECTOR)),
    f(
        "sourceRef",
        Shape::Obj(&[
            leaf("apiVersion"),
            leaf("kind"),
            leaf("name"),
            leaf("namespace"),
        ]),
    ),
    leaf("suspend"),
    f("update", Shape::Obj(&[leaf("path"), leaf("strategy")])),
];

const ARGO_SETTINGS: &[Field] = &[
    leaf("allowTags"),
    leaf("forceUpdate"),
    f("ignoreTags", Shape::Any),
    f("platforms", Shape::Any),
    leaf("pullSecret"),
    leaf("updateStrategy"),
];
const ARGO_WRITE_BACK: &[Field] = &[
    f(
        "gitConfig",
        Shape::Obj(&[
            leaf("branch"),
            f(
                "pullRequest",
                Shape::Obj(&[
                    f("github", Shape::Any),
                    f("gitlab", Shape::Any),
                    f("labels", Shape::Any),
                ]),
            ),
            leaf("repository"),
            leaf("writeBackTarget"),
        ]),
    ),
    leaf("method"),
];
const ARGO_VERIFICATION: &[Field] = &[
    f("cosignKey", Shape::Obj(&[leaf("key"), leaf("secretName")])),
    leaf("enabled"),
];
const ARGO_TARGET: &[Field] = &[leaf("name"), leaf("spec"), leaf("tag")];

pub const ARGO_IMAGE_UPDATER_SPEC: &[Field] = &[
    f(
        "applicationRefs",
        Shape::ListOf(&[
            f("commonUpdateSettings", Shape::Obj(ARGO_SETTINGS)),
            f(
                "images",
                Shape::ListOf(&[
                    leaf("alias"),
                    f("commonUpdateSettings", Shape::Obj(ARGO_SETTINGS)),
                    leaf("imageName"),
                    f("imagesVerification", Shape::Obj(ARGO_VERIFICATION)),
                    f(
                        "manifestTargets",
                        Shape::Obj(&[
                            f("helm", Shape::Obj(ARGO_TARGET)),
                            f("kustomize", Shape::Obj(NAME_REF)),
                            f("plugin", Shape::Obj(ARGO_TARGET)),
                        ]),
                    ),
                ]),
            ),
            f("imagesVerification", Shape::Obj(ARGO_VERIFICATION)),
            f("labelSelectors", Shape::Obj(LABEL_SELECTOR)),
            leaf("namePattern"),
            leaf("useAnnotations"),
            f("writeBackConfig", Shape::Obj(ARGO_WRITE_BACK)),
        ]),
    ),
    f("commonUpdateSettings", Shape::Obj(ARGO_SETTINGS)),
    f("imagesVerification", Shape::Obj(ARGO_VERIFICATION)),
    f("writeBackConfig", Shape::Obj(ARGO_WRITE_BACK)),
];

/// KubeSphere shipped spelling (`argo`), the design spelling (`argocd`,
/// `fluxcd`), and the shared keys.
pub const KUBESPHERE_SPEC: &[Field] = &[
    f(
        "argo",
        Shape::Obj(&[
            f("allowTags", Shape::Map),
            f("app", Shape::Obj(NAME_REF)),
            f("ignoreTags", Shape::Map),
            f("platforms", Shape::Map),
            f("secrets", Shape::Map),
            f("updateStrategy", Shape::Map),
            leaf("write"),
        ]),
    ),
    f(
        "argocd",
        Shape::Obj(&[
            f("allow-tags", Shape::Map),
            f("app", Shape::Obj(&[leaf("name"), leaf("namespace")])),
            f("ignore-tags", Shape::Map),
            f("platforms", Shape::Map),
            f("secret", Shape::Map),
            f("update-strategy", Shape::Map),
            leaf("write"),
        ]),
    ),
    f(
        "fluxcd",
        Shape::Obj(&[
            f(
                "git",
                Shape::Obj(&[
                    f(
                        "checkout",
                        Shape::Obj(&[f("ref", Shape::Obj(&[leaf("branch")]))]),
                    ),
                    f(
                        "commit",
                        Shape::Obj(&[
                            f("author", Shape::Obj(&[leaf("email"), leaf("name")])),
                            leaf("messageTemplate"),
                        ]),
                    ),
                    f("push", Shape::Obj(&[leaf("branch")])),
                ]),
            ),
            leaf("interval"),
            f(
                "policy",
                Shape::Obj(&[f("semver", Shape::Obj(&[leaf("range")]))]),
            ),
            leaf("secret"),
            f("sourceRef", Shape::Obj(&[leaf("kind"), leaf("name")])),
            f("update", Shape::Obj(&[leaf("path"), leaf("strategy")])),
        ]),
    ),
    f("images", Shape::Any),
    leaf("kind"),
];

pub const OBJECT_TOP: &[&str] = &["apiVersion", "kind", "metadata", "spec", "status"];

/// An unknown key found by [`unknown_fields`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    pub key: NodeId,
    pub name: String,
    /// Dotted path of the mapping holding the key (`spec.git.commit`).
    pub parent: String,
    pub siblings: Vec<&'static str>,
}

/// Every key under `node` that `fields` does not define.
pub fn unknown_fields(
    yaml: &Yaml,
    node: NodeId,
    fields: &'static [Field],
    path: &str,
    out: &mut Vec<Unknown>,
) {
    for &(k, v) in yaml.entries(node) {
        let Some(name) = yaml.str(k) else { continue };
        match fields.iter().find(|f| f.name == name) {
            None => out.push(Unknown {
                key: k,
                name: name.to_owned(),
                parent: path.to_owned(),
                siblings: fields.iter().map(|f| f.name).collect(),
            }),
            Some(field) => {
                let child = format!("{path}.{name}");
                match &field.shape {
                    Shape::Obj(sub) if yaml.is_mapping(v) => {
                        unknown_fields(yaml, v, sub, &child, out)
                    }
                    Shape::ListOf(sub) => {
                        for &item in yaml.items(v) {
                            if yaml.is_mapping(item) {
                                unknown_fields(yaml, item, sub, &format!("{child}[]"), out);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
