//! The KubeSphere `ImageUpdater` as Rust types: what `export --to
//! kubesphere` serializes and what `crd` derives the CustomResourceDefinition
//! from, so the schema and the written objects cannot drift apart.
//!
//! One schema holds both spellings, because the API server prunes every
//! field its schema does not name and objects of either spelling exist:
//!
//! | key | spelling | schema |
//! | --- | --- | --- |
//! | `spec.kind` | both | enum `argocd`/`fluxcd`, default `argocd` |
//! | `spec.images` | both | list of strings `[alias=]image[:constraint]` |
//! | `spec.argo` | shipped | `app` (required) `{name}`, `write` enum `built-in`/`git` default `built-in`, maps `updateStrategy`, `allowTags`, `ignoreTags`, `platforms`, `secrets` |
//! | `spec.argocd` | design | `app {name, namespace}`, `write` as above, maps `update-strategy`, `allow-tags`, `ignore-tags`, `platforms`, `secret` |
//! | `spec.fluxcd` | design | `interval`, `secret`, `policy.semver.range`, `sourceRef {kind, name}`, `git.checkout.ref.branch`, `git.commit.author {email, name}`, `git.commit.messageTemplate`, `git.push.branch`, `update {path, strategy}` |
//! | `status` | — | the bridge controller's: `observedGeneration`, `conditions` (Ready), `generated` (object refs), `diagnostics` (code, severity, message, field); the shipped CRD declared the subresource with no fields |
//!
//! Every schema node is typed and inlined (no `$ref`), maps carry
//! `additionalProperties` with a type, and optional fields are skipped
//! when empty rather than written as `null`: the CRD is structural, so
//! any API server serves the design's REST API
//! (`/namespaces/{ns}/imageupdaters[/{name}]`) once it is applied.
//! The design leaves defaults and `update.strategy` values unsaid; they
//! follow the shipped `write` default and Flux's own automation schema
//! (`Setters` only, Go duration intervals).

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// Go durations as Flux's own CRDs restrict them.
pub const DURATION_PATTERN: &str = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$";

/// The updater: a list of images and how their new tags are applied.
// Each printer column repeats `type_`, which clippy takes for a
// duplicated attribute.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "gitops.kubesphere.io",
    version = "v1alpha1",
    kind = "ImageUpdater",
    plural = "imageupdaters",
    namespaced,
    status = "ImageUpdaterStatus",
    printcolumn(name = "Kind", type_ = "string", json_path = ".spec.kind"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    doc = "ImageUpdater keeps the images of a GitOps application at the newest tags its policy allows"
)]
pub struct ImageUpdaterSpec {
    /// The engine that carries the update out.
    #[serde(default)]
    pub kind: Kind,
    /// Images in Argo CD Image Updater list syntax: `[alias=]image[:constraint]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// Argo CD settings, shipped spelling (camelCase maps keyed by alias).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argo: Option<ShippedArgo>,
    /// Argo CD settings, design spelling (kebab-case maps keyed by alias).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argocd: Option<DesignArgo>,
    /// Flux settings (design spelling; one policy for every image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fluxcd: Option<DesignFlux>,
}

/// What the bridge controller (`kubectl imageupdate controller`) found
/// and made. The shipped type had none; every field is optional, so
/// objects written before it are still valid.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ImageUpdaterStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`: whether the engine's objects say what the spec says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The engine objects generated from the spec.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generated: Vec<GeneratedRef>,
    /// What `kubectl imageupdate validate` reports about the spec, and
    /// what the engine cannot hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<StatusDiagnostic>,
}

/// A condition in the shape of Kubernetes' `metav1.Condition`.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    /// True, False or Unknown.
    #[schemars(schema_with = "condition_status_schema")]
    pub status: String,
    /// A CamelCase word: Reconciled, Invalid, EngineMissing,
    /// ApplicationNotFound, ApplyFailed.
    pub reason: String,
    #[serde(default)]
    pub message: String,
    /// When `status` last changed (RFC 3339).
    pub last_transition_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// One generated object.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

/// One finding, as `validate` reports it.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusDiagnostic {
    /// The rule's stable code (`kubectl imageupdate explain CODE`).
    pub code: String,
    /// error, warning or info.
    pub severity: String,
    pub message: String,
    /// Where in the object, e.g. `spec.argo.updateStrategy.web`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Argocd,
    Fluxcd,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    #[serde(rename = "built-in")]
    BuiltIn,
    #[serde(rename = "git")]
    Git,
}

/// Per-alias settings keyed by the alias declared in `images`.
pub type AliasMap = BTreeMap<String, String>;

#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ShippedArgo {
    /// The KubeSphere Application, in the ImageUpdater's namespace.
    pub app: LocalApp,
    /// How new tags are written back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "write_schema")]
    pub write: Option<Write>,
    /// Alias → semver | newest-build | alphabetical | digest.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub update_strategy: AliasMap,
    /// Alias → a bare regular expression tags must match.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allow_tags: AliasMap,
    /// Alias → comma-separated globs of tags to ignore.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ignore_tags: AliasMap,
    /// Alias → comma-separated os/arch[/variant].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub platforms: AliasMap,
    /// Alias → pull secret, `[namespace/]name`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: AliasMap,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
pub struct LocalApp {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
pub struct DesignArgo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<DesignApp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "write_schema")]
    pub write: Option<Write>,
    #[serde(
        default,
        rename = "update-strategy",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub update_strategy: AliasMap,
    /// Alias → `regexp:<re>` or `any`.
    #[serde(
        default,
        rename = "allow-tags",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub allow_tags: AliasMap,
    #[serde(
        default,
        rename = "ignore-tags",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub ignore_tags: AliasMap,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub platforms: AliasMap,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secret: AliasMap,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
pub struct DesignApp {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DesignFlux {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = DURATION_PATTERN))]
    pub interval: Option<String>,
    /// Registry pull secret name, in the ImageUpdater's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<FluxPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<FluxSourceRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<FluxGit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<FluxUpdate>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
pub struct FluxPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semver: Option<FluxSemver>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
pub struct FluxSemver {
    /// A Masterminds semver constraint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
pub struct FluxSourceRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
pub struct FluxGit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout: Option<FluxCheckout>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<FluxCommit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push: Option<FluxBranch>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
pub struct FluxCheckout {
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<FluxBranch>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
pub struct FluxBranch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FluxCommit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<FluxAuthor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_template: Option<String>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
pub struct FluxAuthor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq)]
pub struct FluxUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "update_strategy_schema")]
    pub strategy: Option<UpdateStrategy>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateStrategy {
    Setters,
}

// An optional enum would otherwise list `null` among its values; the
// writer never sends null, so the field is a plain string enum with the
// default the API server fills in.
fn write_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "enum": ["built-in", "git"],
        "default": "built-in",
    })
}

fn condition_status_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "enum": ["True", "False", "Unknown"],
    })
}

fn update_strategy_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "enum": ["Setters"],
        "default": "Setters",
    })
}
