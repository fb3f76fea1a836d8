//! KubeSphere `ImageUpdater` (gitops.kubesphere.io/v1alpha1), both
//! spellings: [`write`](fn@write) turns one [`Updater`](crate::model::spec::Updater) into one
//! object, and [`types`] holds the Rust types the writer serializes and
//! `crd` derives the CustomResourceDefinition from. Export hands the
//! remarks on as IU701–IU703.
//!
//! # Mapping
//!
//! | spec | shipped (`argo:`) | design (`argocd:` / `fluxcd:`) |
//! | --- | --- | --- |
//! | `name`, `namespace` | `metadata.name`, `metadata.namespace` | same |
//! | `engine` | `spec.kind` (absent: argocd) | same |
//! | image `alias`, `name`, `constraint` | `spec.images[]` `[alias=]image[:constraint]` | same |
//! | image `strategy` | `updateStrategy.<alias>` | `update-strategy.<alias>`; kind fluxcd: semver |
//! | image `tag_pattern` | `allowTags.<alias>` (bare regex) | `allow-tags.<alias>` (`regexp:<re>`, `any`) |
//! | image `ignore_tags` | `ignoreTags.<alias>` (comma list) | `ignore-tags.<alias>` |
//! | image `platforms` | `platforms.<alias>` (comma list) | `platforms.<alias>` |
//! | image `pull_secret` | `secrets.<alias>` (`[ns/]name`) | `secret.<alias>`; `fluxcd.secret` for every image |
//! | image `constraint` (fluxcd) | — | `fluxcd.policy.semver.range`, for entries without their own |
//! | `app.name` | `argo.app.name` | `argocd.app.name` |
//! | `app.namespace` | the object's namespace | `argocd.app.namespace`, else the object's |
//! | `write` | `write`: built-in → InCluster, git → Git | same; kind fluxcd: Git |
//! | `git.interval` | — | `fluxcd.interval` |
//! | `git.source_ref` | — | `fluxcd.sourceRef {kind, name}` (kind absent: GitRepository) |
//! | `git.checkout_branch` | — | `fluxcd.git.checkout.ref.branch` |
//! | `git.push_branch` | — | `fluxcd.git.push.branch` |
//! | `git.author_name`, `git.author_email` | — | `fluxcd.git.commit.author.{name,email}` |
//! | `git.message_template` | — | `fluxcd.git.commit.messageTemplate` |
//! | `git.path` | — | `fluxcd.update.path` (`update.strategy` is always Setters) |
//!
//! Reading is [`crate::model::read::kubesphere`].
//!
//! # Writing
//!
//! * One object; `metadata.namespace` is `--namespace`, else the
//!   updater's, else the Application's, else unset.
//! * Kind argocd uses the shipped spelling (`argo:`, camelCase, bare
//!   `allowTags` regex, `secrets` as `[ns/]name`): it is what the
//!   controller reads. Only an Application in a namespace other than the
//!   object's needs the design spelling (`argocd:` with `app.namespace`,
//!   `allow-tags: regexp:<re>`); then the whole section is design
//!   (Normalized remark). Kind fluxcd uses the design `fluxcd:` section.
//!   `kind` is always written.
//! * Aliases: an image with no alias gets one when it has per-image
//!   settings (kind argocd) or when the constraint written in its entry
//!   holds a `=` (`img:>=2.0` alone splits as alias `img:>`). The alias
//!   is made from the last path segment of its name: characters outside
//!   `[a-zA-Z0-9-._]` become `-`, leading non-alphanumerics and trailing
//!   `-` are trimmed (`image` when nothing is left), and `-2`, `-3`… are
//!   added until it is unique. An invalid or repeated alias is rewritten
//!   the same way. Normalized remark each.
//! * A missing `app.name` (kind argocd) is filled with the updater's
//!   name (Normalized).
//! * Kind fluxcd: `policy.semver.range` is the constraint most images
//!   share (the first on a tie) when every image has one; entries whose
//!   constraint differs, or all of them when some image has none, carry
//!   their own in the entry (Normalized); one
//!   `fluxcd.secret` for all images (Normalized when some had none).
//! * NoEquivalent: Helm and kustomize targets, force update, tag
//!   extraction, per-image scan intervals, digest reflection, numerical
//!   and descending alphabetical strategies, credential sources that are
//!   not pull secrets, git credentials, repository URL, write-back
//!   target, signing key; for kind argocd every Flux git setting
//!   (branches, author, message, path, interval, sourceRef); for kind
//!   fluxcd the Application, in-cluster writes, non-semver strategies,
//!   tag filters and platforms, secrets in other namespaces, more than
//!   one secret, a sourceRef namespace.
//! * The Flux automation name has no place and is dropped silently: it is
//!   a name, not a setting.

pub mod types;
mod write;

pub use types::{ImageUpdater, ImageUpdaterSpec};
pub use write::write;

/// The CustomResourceDefinition, as `crd` prints it and the controller's
/// manifests install it.
pub fn crd() -> serde_json::Value {
    use kube::CustomResourceExt;
    let mut crd = serde_json::to_value(ImageUpdater::crd())
        .expect("a CustomResourceDefinition always serializes");
    // The derive writes `categories: []` and `shortNames: []`. The API
    // server stores no empty list, so a second server-side apply of the
    // same file by another manager conflicts on them (measured on
    // kube-apiserver 1.35); leaving them out says the same.
    if let Some(names) = crd
        .pointer_mut("/spec/names")
        .and_then(|n| n.as_object_mut())
    {
        names.retain(|_, v| v.as_array().is_none_or(|a| !a.is_empty()));
    }
    crd
}

#[cfg(test)]
mod tests;
