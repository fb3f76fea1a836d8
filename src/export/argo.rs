//! Argo CD Image Updater annotations on an `Application` (argocd.md §1):
//! [`write`](fn@write) turns an [`Updater`] into a merge patch that is itself an
//! Application, [`merge_in_place`] merges it byte-exactly into the
//! repository's own Application (`--in-place`). Reading, with the mapping
//! table, is [`crate::model::read::argo`].
//!
//! Writing (normalizations, each with a remark unless noted):
//! - The Application is `app.name`; a glob there cannot be annotated (the
//!   updater is skipped, IU702); without one, `name` (IU703). Its namespace
//!   is `--namespace`, else `app.namespace`, else `namespace`, else `argocd`
//!   (IU703).
//! - Hoisting (no remark): a setting with an app-wide key (`update-strategy`,
//!   `allow-tags`, `ignore-tags`, `force-update`, `pull-secret`) whose value
//!   is the same on every image is written once app-wide; everything else
//!   per alias. So alias-less images keep no alias as long as their settings
//!   are shared.
//! - An image that needs an alias (a per-alias setting, or a constraint with
//!   `=`, which without an alias would be read as one) and has none gets
//!   one invented from the last path segment of its name, reduced to
//!   `^[a-zA-Z0-9][a-zA-Z0-9-._]*$` and at most 42 characters (so that
//!   `<alias>.kustomize.image-name` stays a 63-character annotation name),
//!   made unique with `-2`, `-3`…; a source alias that breaks those rules
//!   or repeats is replaced the same way (IU703). Deterministic: images are
//!   visited in order.
//! - A constraint with `,` cannot sit in the comma-separated list; for
//!   every strategy but `digest` the commas are written as spaces, which
//!   Masterminds reads as the same AND (IU703); for `digest` (a tag, which
//!   cannot hold `,`) it is left out (IU701).
//! - `Numerical`, `Alphabetical{desc: true}`, `extract`, `scan_interval`,
//!   `reflect_digest`, and the Flux-only git fields (`source_ref`, `path`,
//!   author, signing key, message template, `interval`, `automation`) have
//!   no annotation (IU701). A `Secret` pull secret without a namespace takes
//!   the updater's (IU703).
//! - Values are always strings (`force-update: "true"`). The patch only sets
//!   keys: a live Application keeps stale image-updater keys it has beyond
//!   these (`--in-place` removes them from the repository's copy).
//!
//! In place ([`merge_in_place`]): the Application named exactly `app.name`
//! (same namespace when both are known) gets exactly the keys [`write`](fn@write)
//! produces: changed values are replaced in their own scalar style (a block
//! scalar is replaced by a one-line entry), missing keys are inserted after
//! the last image-updater key (else after the last annotation) in the
//! mapping's indentation and the file's line ending, stale image-updater
//! keys are removed with their whole lines, and a missing or null
//! `annotations:` is created. Flow mappings, aliases, anchors, duplicate
//! keys and non-string values are refused. The new text is checked by
//! [`verify`] in two steps (old → old-minus-removed-keys, then
//! → new), so no byte outside the annotations moves, and read back.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use serde_json::{Map, Value};

use crate::discover::Workspace;
use crate::edit::yamlwrite::{self, Base, Expect, FileChange, Seg, TextEdit, apply_edits, verify};
use crate::export::{WriteOptions, Written};
use crate::model::argo::{self as model_argo, ANNOTATION_PREFIX};
use crate::model::read::argo::{is_app, is_glob};
use crate::model::spec::{
    Field, Origin, PullSecret, Remark, RemarkKind, Strategy, Updater, WriteMethod,
};
use crate::model::{Model, Object};
use crate::yaml::{NodeId, NodeKind, ScalarStyle, Span, Yaml};

pub const API_VERSION: &str = "argoproj.io/v1alpha1";

/// The namespace written when nothing names one (Argo CD's own).
pub const DEFAULT_NAMESPACE: &str = "argocd";

/// Longest alias that keeps `<alias>.kustomize.image-name` within the
/// 63-character name part of an annotation key.
const MAX_ALIAS: usize = 63 - ".kustomize.image-name".len();

// ---------------------------------------------------------------------------
// Values both Argo dialects write
// ---------------------------------------------------------------------------

/// The Argo name of a strategy, when Argo has one.
pub(crate) fn strategy_name(s: Strategy) -> Option<&'static str> {
    match s {
        Strategy::Semver => Some("semver"),
        Strategy::NewestBuild => Some("newest-build"),
        Strategy::Alphabetical { desc: false } => Some("alphabetical"),
        Strategy::Digest => Some("digest"),
        Strategy::Alphabetical { desc: true } | Strategy::Numerical { .. } => None,
    }
}

pub(crate) fn write_method_text(m: &WriteMethod) -> String {
    match m {
        WriteMethod::InCluster => "argocd".to_owned(),
        WriteMethod::Git { credentials: None } => "git".to_owned(),
        WriteMethod::Git {
            credentials: Some(c),
        } => format!("git:{c}"),
    }
}

/// `checkout:push`, `:push` or `checkout`; `None` when neither is set.
pub(crate) fn branch_text(checkout: Option<&str>, push: Option<&str>) -> Option<String> {
    match (checkout, push) {
        // Pushing to the branch checked out is what a bare branch means.
        (Some(c), Some(p)) if c == p => Some(c.to_owned()),
        (Some(c), Some(p)) => Some(format!("{c}:{p}")),
        (None, Some(p)) => Some(format!(":{p}")),
        (Some(c), None) => Some(c.to_owned()),
        (None, None) => None,
    }
}

/// The value of an optional string field.
pub(crate) fn value_of(f: &Option<Field<String>>) -> Option<&str> {
    f.as_ref().map(|f| f.value.as_str())
}

/// An alias both the CRD (`^[a-zA-Z0-9][a-zA-Z0-9-._]*$`) and annotation
/// key names accept.
pub(crate) fn valid_alias(a: &str) -> bool {
    crate::model::argo::alias_syntax_ok(a) && a.len() <= MAX_ALIAS
}

/// An alias made from the last path segment of `name`, unique in `used`.
fn invent_alias(name: &str, used: &HashSet<String>) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    let mut base: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let lead = base
        .find(|c: char| c.is_ascii_alphanumeric())
        .unwrap_or(base.len());
    base.drain(..lead);
    base.truncate(MAX_ALIAS - 4);
    if base.is_empty() {
        base = "image".to_owned();
    }
    let mut candidate = base.clone();
    let mut n = 2;
    while used.contains(&candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    candidate
}

/// The alias each image is written with (`None`: it needs none), with a
/// remark for each invented or replaced one. `needs(i)` says whether image
/// `i` must carry one.
pub(crate) fn aliases(
    u: &Updater,
    needs: &dyn Fn(usize) -> bool,
    field: &dyn Fn(usize) -> String,
) -> (Vec<Option<String>>, Vec<Remark>) {
    let mut used: HashSet<String> = HashSet::new();
    let mut out: Vec<Option<String>> = vec![None; u.images.len()];
    let mut remarks = Vec::new();
    for (i, img) in u.images.iter().enumerate() {
        if let Some(a) = &img.alias
            && valid_alias(&a.value)
            && used.insert(a.value.clone())
        {
            out[i] = Some(a.value.clone());
        }
    }
    for (i, img) in u.images.iter().enumerate() {
        if out[i].is_some() {
            continue;
        }
        let old = img.alias.as_ref();
        if old.is_none() && !needs(i) {
            continue;
        }
        let new = invent_alias(&img.name.value, &used);
        used.insert(new.clone());
        let message = match old {
            Some(a) if valid_alias(&a.value) => {
                format!("alias {:?} is used twice; written as {new:?}", a.value)
            }
            Some(a) => format!(
                "alias {:?} is not a valid alias (^[a-zA-Z0-9][a-zA-Z0-9-._]*$, at most {MAX_ALIAS} characters); written as {new:?}",
                a.value
            ),
            None => format!(
                "image {} needs an alias here and has none; invented {new:?}",
                img.name.value
            ),
        };
        let at = old.and_then(|a| a.origin).or(img.origin);
        remarks.push(Remark::new(RemarkKind::Normalized, at, field(i), message));
        out[i] = Some(new);
    }
    (out, remarks)
}

/// One image's settings as Argo strings, with the remarks for what Argo
/// cannot hold. Lists stay lists; the annotation writer joins them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ArgoSettings {
    pub strategy: Option<String>,
    pub allow_tags: Option<String>,
    pub ignore_tags: Option<Vec<String>>,
    pub force_update: Option<bool>,
    pub pull_secret: Option<String>,
    pub platforms: Option<Vec<String>>,
    pub helm: Option<HelmStrings>,
    pub kustomize_name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HelmStrings {
    pub name: Option<String>,
    pub tag: Option<String>,
    pub spec: Option<String>,
}

/// The image's `[registry/]name[:constraint]` for Argo, the settings, and
/// remarks. `list` is true for the comma-separated `image-list`.
pub(crate) fn argo_image(
    u: &Updater,
    i: usize,
    list: bool,
    to: &str,
) -> (String, ArgoSettings, Vec<Remark>) {
    let img = &u.images[i];
    let label = |what: &str| format!("images[{i}].{what}");
    let mut remarks = Vec::new();
    let lossy = |remarks: &mut Vec<Remark>, at: Option<Origin>, what: &str, message: String| {
        remarks.push(Remark::new(
            RemarkKind::NoEquivalent,
            at,
            label(what),
            message,
        ));
    };
    let mut s = ArgoSettings::default();
    if let Some(st) = &img.strategy {
        match strategy_name(st.value) {
            Some(n) => s.strategy = Some(n.to_owned()),
            None => lossy(
                &mut remarks,
                st.origin,
                "strategy",
                format!(
                    "{} has no {to} strategy; the default (semver) applies",
                    describe_strategy(st.value)
                ),
            ),
        }
    }
    let mut reference = img.name.value.clone();
    if let Some(c) = &img.constraint {
        let value = &c.value;
        if list && value.contains(',') {
            let digest = matches!(
                img.strategy.as_ref().map(|s| s.value),
                Some(Strategy::Digest)
            );
            if digest {
                lossy(
                    &mut remarks,
                    c.origin,
                    "constraint",
                    format!("the tag {value:?} holds a ',', which image-list cannot carry"),
                );
            } else {
                let spaced = value
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                remarks.push(Remark::new(
                    RemarkKind::Normalized,
                    c.origin,
                    label("constraint"),
                    format!(
                        "constraint {value:?} written as {spaced:?}: image-list is comma-separated, and semver reads a space as the same AND"
                    ),
                ));
                reference = format!("{reference}:{spaced}");
            }
        } else if !value.is_empty() {
            reference = format!("{reference}:{value}");
        }
    }
    if let Some(p) = &img.tag_pattern {
        s.allow_tags = Some(format!("regexp:{}", p.value));
    }
    if let Some(t) = &img.ignore_tags {
        let mut kept = Vec::new();
        for g in &t.value {
            if list && g.contains(',') {
                lossy(
                    &mut remarks,
                    t.origin,
                    "ignore_tags",
                    format!("the pattern {g:?} holds a ',', which ignore-tags cannot carry"),
                );
            } else {
                kept.push(g.clone());
            }
        }
        if !kept.is_empty() {
            s.ignore_tags = Some(kept);
        }
    }
    if let Some(p) = &img.platforms
        && !p.value.is_empty()
    {
        s.platforms = Some(p.value.clone());
    }
    s.force_update = img.force_update.as_ref().map(|f| f.value);
    if let Some(ps) = &img.pull_secret {
        s.pull_secret = Some(match &ps.value {
            PullSecret::Secret {
                namespace: Some(ns),
                name,
            } => format!("pullsecret:{ns}/{name}"),
            PullSecret::Secret {
                namespace: None,
                name,
            } => {
                let ns = known_namespace(u, None).unwrap_or(DEFAULT_NAMESPACE);
                remarks.push(Remark::new(
                    RemarkKind::Normalized,
                    ps.origin,
                    label("pull_secret"),
                    format!("the Secret {name:?} is taken from namespace {ns:?}"),
                ));
                format!("pullsecret:{ns}/{name}")
            }
            PullSecret::Other(o) => o.clone(),
        });
    }
    if let Some(h) = &img.helm {
        let v = |f: &Option<Field<String>>| f.as_ref().map(|f| f.value.clone());
        s.helm = Some(HelmStrings {
            name: v(&h.name),
            tag: v(&h.tag),
            spec: v(&h.spec),
        });
    }
    s.kustomize_name = img.kustomize_name.as_ref().map(|k| k.value.clone());
    let mut lossy = |f: &Option<Field<String>>, what: &str, source: &str| {
        if let Some(f) = f {
            remarks.push(Remark::new(
                RemarkKind::NoEquivalent,
                f.origin,
                label(what),
                format!("{source} {:?} has no {to} equivalent", f.value),
            ));
        }
    };
    lossy(&img.extract, "extract", "the tag extraction");
    lossy(&img.scan_interval, "scan_interval", "the scan interval");
    lossy(
        &img.reflect_digest,
        "reflect_digest",
        "the digest reflection policy",
    );
    (reference, s, remarks)
}

fn describe_strategy(s: Strategy) -> &'static str {
    match s {
        Strategy::Alphabetical { desc: true } => "alphabetical in descending order",
        Strategy::Numerical { desc: false } => "numerical (ascending)",
        Strategy::Numerical { desc: true } => "numerical in descending order",
        _ => "this strategy",
    }
}

/// Remarks for the git settings only Flux has.
pub(crate) fn flux_git_remarks(u: &Updater, to: &str) -> Vec<Remark> {
    let g = &u.git;
    let mut out = Vec::new();
    let mut one = |origin: Option<Origin>, field: &str, what: String| {
        out.push(Remark::new(
            RemarkKind::NoEquivalent,
            origin,
            format!("git.{field}"),
            format!("{what} has no {to} equivalent (the updater's global settings decide it)"),
        ));
    };
    let s = |f: &Option<Field<String>>| f.as_ref().map(|f| (f.origin, f.value.clone()));
    if let Some(f) = &g.source_ref {
        one(
            f.origin,
            "source_ref",
            format!("the {} {}", f.value.kind, f.value.name),
        );
    }
    for (f, field, what) in [
        (s(&g.path), "path", "the update path"),
        (s(&g.author_name), "author_name", "the commit author name"),
        (
            s(&g.author_email),
            "author_email",
            "the commit author email",
        ),
        (
            s(&g.message_template),
            "message_template",
            "the commit message template",
        ),
        (s(&g.interval), "interval", "the automation interval"),
        (s(&g.automation), "automation", "the automation object"),
    ] {
        if let Some((origin, v)) = f {
            one(origin, field, format!("{what} {v:?}"));
        }
    }
    if let Some(k) = &g.signing_key {
        one(
            k.origin,
            "signing_key",
            format!("the signing key Secret {}", k.value.secret),
        );
    }
    out
}

/// The namespace the updater names (`--namespace`, the Application's, the
/// source object's), if any.
pub(crate) fn known_namespace<'a>(
    u: &'a Updater,
    opts: Option<&'a WriteOptions>,
) -> Option<&'a str> {
    opts.and_then(|o| o.namespace.as_deref())
        .or(u.app.namespace.as_ref().map(|n| n.value.as_str()))
        .or(u.namespace.as_deref())
}

/// The namespace to write, with a remark when none is known.
pub(crate) fn target_namespace(u: &Updater, opts: &WriteOptions) -> (String, Option<Remark>) {
    match known_namespace(u, Some(opts)) {
        Some(ns) => (ns.to_owned(), None),
        None => (
            DEFAULT_NAMESPACE.to_owned(),
            Some(Remark::new(
                RemarkKind::Normalized,
                None,
                "metadata.namespace",
                format!("no namespace is known; {DEFAULT_NAMESPACE:?} is written"),
            )),
        ),
    }
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// What `--to argocd` makes of one updater: the Application and its
/// image-updater annotations in writing order.
struct Plan {
    app: String,
    namespace: String,
    pairs: Vec<(String, String)>,
}

/// App-wide keys that may be hoisted, in writing order.
const HOISTABLE: [&str; 5] = [
    "update-strategy",
    "allow-tags",
    "ignore-tags",
    "force-update",
    "pull-secret",
];

fn setting_text(s: &ArgoSettings, key: &str) -> Option<String> {
    match key {
        "update-strategy" => s.strategy.clone(),
        "allow-tags" => s.allow_tags.clone(),
        "ignore-tags" => s.ignore_tags.as_ref().map(|v| v.join(",")),
        "force-update" => s.force_update.map(|b| b.to_string()),
        "pull-secret" => s.pull_secret.clone(),
        "platforms" => s.platforms.as_ref().map(|v| v.join(",")),
        "helm.image-name" => s.helm.as_ref().and_then(|h| h.name.clone()),
        "helm.image-tag" => s.helm.as_ref().and_then(|h| h.tag.clone()),
        "helm.image-spec" => s.helm.as_ref().and_then(|h| h.spec.clone()),
        "kustomize.image-name" => s.kustomize_name.clone(),
        _ => None,
    }
}

/// The per-alias keys export writes: the model's list, but `tag-match`,
/// which the spec does not carry.
fn per_alias() -> impl Iterator<Item = &'static str> {
    crate::model::argo::ALIAS_KEYS
        .iter()
        .copied()
        .filter(|k| *k != "tag-match")
}

/// The application an updater names, or the remark that it cannot be
/// written (a glob).
pub(crate) fn app_name(u: &Updater, to: &str) -> Result<(String, Option<Remark>), Remark> {
    match &u.app.name {
        Some(n) if is_glob(&n.value) && to == "argocd" => Err(Remark::new(
            RemarkKind::Skipped,
            n.origin,
            "app.name",
            format!(
                "{:?} is a pattern; annotations sit on one Application, so there is nothing to annotate",
                n.value
            ),
        )),
        Some(n) if !n.value.is_empty() => Ok((n.value.clone(), None)),
        _ => Ok((
            u.name.clone(),
            Some(Remark::new(
                RemarkKind::Normalized,
                None,
                "app.name",
                format!(
                    "no application is named; the updater's name {:?} is used",
                    u.name
                ),
            )),
        )),
    }
}

fn plan(u: &Updater, opts: &WriteOptions, remarks: &mut Vec<Remark>) -> Option<Plan> {
    let app = match app_name(u, "argocd") {
        Ok((app, r)) => {
            remarks.extend(r);
            app
        }
        Err(r) => {
            remarks.push(r);
            return None;
        }
    };
    if u.images.is_empty() {
        remarks.push(Remark::new(
            RemarkKind::Skipped,
            None,
            "images",
            "the updater has no images",
        ));
        return None;
    }
    let (namespace, r) = target_namespace(u, opts);
    remarks.extend(r);

    let mut refs = Vec::new();
    let mut settings = Vec::new();
    for i in 0..u.images.len() {
        let (reference, s, r) = argo_image(u, i, true, "argocd");
        remarks.extend(r);
        refs.push(reference);
        settings.push(s);
    }
    // Hoisted when every image has the same value.
    let hoisted: Vec<(&str, String)> = HOISTABLE
        .iter()
        .filter_map(|&key| {
            let first = setting_text(&settings[0], key)?;
            settings
                .iter()
                .all(|s| setting_text(s, key).as_ref() == Some(&first))
                .then_some((key, first))
        })
        .collect();
    let per_image = |i: usize| -> Vec<(&'static str, String)> {
        per_alias()
            .filter(|k| !hoisted.iter().any(|(h, _)| h == k))
            .filter_map(|k| setting_text(&settings[i], k).map(|v| (k, v)))
            .collect()
    };
    let needs = |i: usize| {
        !per_image(i).is_empty() || refs[i][u.images[i].name.value.len()..].contains('=')
    };
    let (aliases, r) = aliases(u, &needs, &|i| format!("images[{i}].alias"));
    remarks.extend(r);

    let mut items = Vec::new();
    for (i, reference) in refs.iter().enumerate() {
        if u.images[i].name.value.is_empty() || reference.contains(',') {
            remarks.push(Remark::new(
                RemarkKind::Skipped,
                u.images[i].name.origin.or(u.images[i].origin),
                format!("images[{i}].name"),
                format!("{reference:?} cannot be an image-list item"),
            ));
            continue;
        }
        items.push(match &aliases[i] {
            Some(a) => format!("{a}={reference}"),
            None => reference.clone(),
        });
    }
    if items.is_empty() {
        return None;
    }
    let mut pairs = vec![("image-list".to_owned(), items.join(","))];
    for (k, v) in &hoisted {
        pairs.push(((*k).to_owned(), v.clone()));
    }
    if let Some(w) = &u.write {
        pairs.push(("write-back-method".to_owned(), write_method_text(&w.value)));
    }
    let g = &u.git;
    let s = value_of;
    if let Some(b) = branch_text(s(&g.checkout_branch), s(&g.push_branch)) {
        pairs.push(("git-branch".to_owned(), b));
    }
    if let Some(r) = s(&g.repository) {
        pairs.push(("git-repository".to_owned(), r.to_owned()));
    }
    if let Some(t) = s(&g.target) {
        pairs.push(("write-back-target".to_owned(), t.to_owned()));
    }
    for (i, alias) in aliases.iter().enumerate() {
        let Some(alias) = alias else { continue };
        for (k, v) in per_image(i) {
            pairs.push((format!("{alias}.{k}"), v));
        }
    }
    remarks.extend(flux_git_remarks(u, "argocd"));
    for (k, _) in &mut pairs {
        k.insert_str(0, ANNOTATION_PREFIX);
    }
    Some(Plan {
        app,
        namespace,
        pairs,
    })
}

/// One remark per value: images sharing a source object (a Flux
/// ImageRepository) would otherwise repeat it.
pub(crate) fn dedup(remarks: &mut Vec<Remark>) {
    let mut seen = HashSet::new();
    remarks
        .retain(|r| r.origin.is_none() || seen.insert((r.kind as u8, r.origin, r.message.clone())));
}

pub fn write(u: &Updater, options: &WriteOptions) -> Written {
    let mut out = Written::default();
    let planned = plan(u, options, &mut out.remarks);
    dedup(&mut out.remarks);
    let Some(plan) = planned else {
        return out;
    };
    let annotations: Map<String, Value> = plan
        .pairs
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    out.documents.push(serde_json::json!({
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": {
            "name": plan.app,
            "namespace": plan.namespace,
            "annotations": annotations,
        },
    }));
    out
}

// ---------------------------------------------------------------------------
// In place
// ---------------------------------------------------------------------------

/// The annotations of `u` merged into the Application the repository
/// holds, as byte edits of its file (`export --to argocd --in-place`).
#[derive(Debug, Default)]
pub struct Merged {
    /// `None` when the Application already carries exactly these
    /// annotations.
    pub change: Option<FileChange>,
    pub remarks: Vec<crate::model::spec::Remark>,
}

pub fn merge_in_place(
    ws: &Workspace,
    model: &Model,
    u: &Updater,
    options: &WriteOptions,
) -> Result<Merged, String> {
    let mut remarks = Vec::new();
    let planned = plan(u, options, &mut remarks);
    dedup(&mut remarks);
    // A skipped updater (a glob, no images) is a remark, not a failure:
    // the other Applications can still be merged.
    let Some(plan) = planned else {
        return Ok(Merged {
            change: None,
            remarks,
        });
    };
    let ns = known_namespace(u, Some(options));
    let found: Vec<&Object> = model
        .objects
        .iter()
        .filter(|o| is_app(o) && o.name() == plan.app)
        .filter(|o| match (o.namespace(), ns) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        })
        .collect();
    let obj = match found.as_slice() {
        [one] => *one,
        [] => {
            return Err(format!(
                "no Application named {:?}{} in the repository",
                plan.app,
                ns.map(|n| format!(" in namespace {n:?}"))
                    .unwrap_or_default()
            ));
        }
        many => {
            let files: Vec<&str> = many
                .iter()
                .map(|o| ws.files[o.file].path.as_str())
                .collect();
            return Err(format!(
                "{} Applications are named {:?} ({}); name the namespace with --namespace",
                many.len(),
                plan.app,
                files.join(", ")
            ));
        }
    };
    let file = &ws.files[obj.file];
    let yaml = file
        .yaml
        .as_ref()
        .ok_or_else(|| format!("{}: the file was not parsed", file.path))?;
    if let Some(e) = &yaml.error {
        return Err(format!(
            "{}: the file does not parse: {}",
            file.path, e.message
        ));
    }
    let edit = Editor::new(yaml, &file.text)
        .merge(obj.root, &plan.pairs)
        .map_err(|e| format!("{}: {e}", file.path))?;
    let change = if edit.edits.is_empty() {
        None
    } else {
        edit.check(yaml, &file.text, obj.doc, &plan.pairs)
            .map_err(|e| {
                format!(
                    "{}: the merge failed its check, nothing is written: {e}",
                    file.path
                )
            })?;
        Some(
            FileChange::new(
                ws,
                file.path.clone(),
                Base::Loaded(obj.file),
                edit.edits,
                edit.expect,
                Vec::new(),
            )
            .map_err(|e| e.to_string())?,
        )
    };
    Ok(Merged { change, remarks })
}

/// The byte edits of one merge, and what the checks expect.
#[derive(Debug, Default)]
struct Edit {
    edits: Vec<TextEdit>,
    /// Only the removals: the text between the two checks.
    removals: Vec<TextEdit>,
    /// New and changed values (old-minus-removed → new).
    expect: Vec<Expect>,
    /// Removed values as they were (old-minus-removed → old).
    removed: Vec<Expect>,
}

impl Edit {
    fn check(
        &self,
        yaml: &Yaml,
        text: &str,
        doc: usize,
        pairs: &[(String, String)],
    ) -> Result<(), String> {
        let new = apply_edits(text, &self.edits)?;
        if self.removals.is_empty() {
            verify::check_parsed(Some(yaml), &new, &self.expect).map_err(|e| e.to_string())?;
        } else {
            let between = apply_edits(text, &self.removals)?;
            verify::check(Some(&between), text, &self.removed).map_err(|e| e.to_string())?;
            verify::check(Some(&between), &new, &self.expect).map_err(|e| e.to_string())?;
        }
        let y = crate::yaml::parse(&new);
        let root = y
            .docs
            .get(doc)
            .and_then(|d| d.root)
            .ok_or("the document is gone")?;
        let got: BTreeMap<String, String> = model_argo::annotations(&y, root)
            .into_iter()
            .map(|a| (format!("{ANNOTATION_PREFIX}{}", a.key), a.value.value))
            .collect();
        let want: BTreeMap<String, String> = pairs.iter().cloned().collect();
        if got != want {
            return Err("the annotations do not read back as planned".to_owned());
        }
        Ok(())
    }
}

/// Writes through [`yamlwrite`], the writer Argo write-back and the
/// export emitter share.
struct Editor<'a> {
    y: &'a Yaml,
    text: &'a str,
    eol: &'static str,
}

impl<'a> Editor<'a> {
    fn new(y: &'a Yaml, text: &'a str) -> Self {
        Self {
            y,
            text,
            eol: yamlwrite::eol(text),
        }
    }

    fn span(&self, n: NodeId) -> Span {
        self.y.node(n).span
    }

    /// Column of `offset`, when only spaces precede it on its line.
    fn indent_of(&self, offset: usize) -> Result<usize, String> {
        yamlwrite::indent_of(&self.y.lines, self.text, offset).ok_or_else(|| {
            format!(
                "line {} does not start with the key; it cannot be edited line by line",
                self.y.lines.line_of(offset) + 1
            )
        })
    }

    /// Start of the line after the one holding byte `end - 1` (the text's
    /// end when there is none), and whether a line break must come first.
    fn after_line(&self, end: usize) -> (usize, bool) {
        yamlwrite::after_line(&self.y.lines, self.text, end)
    }

    /// Whole lines of one mapping entry, line break included.
    fn entry_lines(&self, k: NodeId, v: NodeId) -> Result<Range<usize>, String> {
        let ks = self.span(k);
        self.indent_of(ks.start)?;
        let start = yamlwrite::line_start(&self.y.lines, self.text, self.y.lines.line_of(ks.start));
        let vs = self.span(v);
        let end = vs.end.max(ks.end);
        let (end, _) = self.after_line(end);
        Ok(start..end)
    }

    /// A mapping that can take block edits.
    fn block_mapping(&self, n: NodeId, what: &str) -> Result<(), String> {
        let node = self.y.node(n);
        if self.y.is_alias(n) {
            return Err(format!("{what} is an alias (*…); edit it by hand"));
        }
        if node.anchor.is_some() {
            return Err(format!(
                "{what} carries an anchor (&…) that other nodes may repeat"
            ));
        }
        if node.in_flow {
            return Err(format!(
                "{what} is a flow mapping ({{…}}); write it as a block mapping first"
            ));
        }
        if !matches!(node.kind, NodeKind::Mapping(_)) {
            return Err(format!("{what} is not a mapping"));
        }
        Ok(())
    }

    fn lines(&self, indent: usize, pairs: &[&(String, String)], style: ScalarStyle) -> String {
        let mut s = String::new();
        for (k, v) in pairs {
            yamlwrite::entry_line(
                &mut s,
                indent,
                &yamlwrite::new_value(k, false),
                &yamlwrite::in_style(style, v, false),
                self.eol,
            );
        }
        s
    }

    fn expect(doc: usize, base: &[Seg], key: &str, value: &str, non_string: bool) -> Expect {
        let mut path = base.to_vec();
        path.push(Seg::Key(key.to_owned()));
        Expect {
            doc,
            path,
            value: value.to_owned(),
            non_string,
        }
    }

    /// The old value of a scalar: text, and whether it loads as a
    /// non-string.
    fn scalar(&self, n: NodeId) -> Option<(String, bool, ScalarStyle)> {
        let node = self.y.node(n);
        match &node.kind {
            NodeKind::Scalar { value, style } => {
                let typed = *style == ScalarStyle::Plain
                    && node.tag.is_none()
                    && yamlwrite::reads_as_non_string(value);
                Some((value.clone(), typed, *style))
            }
            _ => None,
        }
    }

    fn merge(&self, root: NodeId, pairs: &[(String, String)]) -> Result<Edit, String> {
        let y = self.y;
        let meta = y
            .get(root, "metadata")
            .ok_or("the Application has no metadata")?;
        self.block_mapping(meta, "metadata")?;
        let (meta_key, _) = y
            .entries(root)
            .iter()
            .copied()
            .find(|&(_, v)| v == meta)
            .ok_or("metadata is not a key of the document")?;
        let meta_entries = y.entries(meta);
        let first = meta_entries.first().ok_or("metadata is empty")?.0;
        let child = self.indent_of(self.span(first).start)?;
        let unit = child
            .checked_sub(self.indent_of(self.span(meta_key).start)?)
            .filter(|u| *u > 0)
            .unwrap_or(2);
        let (doc, meta_path) = verify::path_of(y, meta);
        let mut ann_path = meta_path.clone();
        ann_path.push(Seg::Key("annotations".to_owned()));
        let all: Vec<&(String, String)> = pairs.iter().collect();
        let mut e = Edit::default();
        let new_expects = |e: &mut Edit| {
            for (k, v) in pairs {
                e.expect.push(Self::expect(doc, &ann_path, k, v, false));
            }
        };

        let Some((ak, av)) = y.entry(meta, "annotations") else {
            let last = meta_entries.last().map_or(first, |&(_, v)| v);
            let (pos, eol_first) = self.after_line(self.span(last).end.max(self.span(first).end));
            let mut s = String::new();
            if eol_first {
                s.push_str(self.eol);
            }
            yamlwrite::pad(&mut s, child);
            s.push_str("annotations:");
            s.push_str(self.eol);
            s.push_str(&self.lines(child + unit, &all, ScalarStyle::Plain));
            e.edits.push(TextEdit {
                range: pos..pos,
                text: s,
            });
            new_expects(&mut e);
            return Ok(e);
        };

        if let Some((old, typed, ScalarStyle::Plain)) = self.scalar(av)
            && crate::yaml::is_null(&old)
        {
            // `annotations:` / `annotations: ~`: the null becomes the block.
            let key_line = y.lines.line_of(self.span(ak).start);
            let vs = self.span(av);
            if !vs.is_empty() && y.lines.line_of(vs.start) != key_line {
                return Err("the null annotations value is on a line of its own".to_owned());
            }
            let indent = self.indent_of(self.span(ak).start)?;
            let (pos, eol_first) = self.after_line(self.span(ak).end);
            if !vs.is_empty() {
                let bytes = self.text.as_bytes();
                let mut from = vs.start;
                while from > 0 && bytes[from - 1] == b' ' {
                    from -= 1;
                }
                e.edits.push(TextEdit {
                    range: from..vs.end,
                    text: String::new(),
                });
            }
            let mut s = String::new();
            if eol_first {
                s.push_str(self.eol);
            }
            s.push_str(&self.lines(indent + unit, &all, ScalarStyle::Plain));
            e.edits.push(TextEdit {
                range: pos..pos,
                text: s,
            });
            let line = self.entry_lines(ak, av)?;
            e.removals.push(TextEdit {
                range: line,
                text: String::new(),
            });
            e.removed.push(Expect {
                doc,
                path: ann_path.clone(),
                value: old,
                non_string: typed,
            });
            new_expects(&mut e);
            return Ok(e);
        }
        self.block_mapping(av, "metadata.annotations")?;

        let entries = y.entries(av);
        let indent = match entries.first() {
            Some(&(k, _)) => self.indent_of(self.span(k).start)?,
            None => self.indent_of(self.span(ak).start)? + unit,
        };
        // New values take the style of the image-list value, when it has
        // one that can carry any string.
        let style = entries
            .iter()
            .find(|&&(k, _)| y.str(k) == Some(&format!("{ANNOTATION_PREFIX}image-list")))
            .and_then(|&(_, v)| self.scalar(v))
            .map_or(ScalarStyle::Plain, |(_, _, s)| match s {
                ScalarStyle::Literal | ScalarStyle::Folded => ScalarStyle::Plain,
                s => s,
            });
        let want: BTreeMap<&str, &str> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut anchor: Option<usize> = None;
        for &(k, v) in entries {
            let Some(key) = y.str(k) else { continue };
            if !key.starts_with(ANNOTATION_PREFIX) {
                continue;
            }
            if !seen.insert(key) {
                return Err(format!("the annotation {key} is written twice"));
            }
            if y.is_alias(v) || y.node(v).anchor.is_some() {
                return Err(format!("the annotation {key} is an alias or an anchor"));
            }
            let lines = self.entry_lines(k, v)?;
            anchor = Some(lines.end);
            let (old, typed, old_style) = self
                .scalar(v)
                .ok_or_else(|| format!("the annotation {key} is not a string"))?;
            match want.get(key) {
                None => {
                    e.edits.push(TextEdit {
                        range: lines.clone(),
                        text: String::new(),
                    });
                    e.removals.push(TextEdit {
                        range: lines,
                        text: String::new(),
                    });
                    e.removed
                        .push(Self::expect(doc, &ann_path, key, &old, typed));
                }
                Some(&new) if new == old && !typed => {}
                Some(&new) => {
                    let edit = match old_style {
                        ScalarStyle::Literal | ScalarStyle::Folded => {
                            let ks = self.span(k);
                            let mut s = String::new();
                            let eol = if lines.end < self.text.len() || self.text.ends_with('\n') {
                                self.eol
                            } else {
                                ""
                            };
                            yamlwrite::entry_line(
                                &mut s,
                                self.indent_of(ks.start)?,
                                ks.text(self.text),
                                &yamlwrite::new_value(new, false),
                                eol,
                            );
                            TextEdit {
                                range: lines,
                                text: s,
                            }
                        }
                        style => {
                            let vs = self.span(v);
                            TextEdit {
                                range: vs.start..vs.end,
                                text: yamlwrite::in_style(style, new, false),
                            }
                        }
                    };
                    e.edits.push(edit);
                    e.expect.push(Self::expect(doc, &ann_path, key, new, false));
                }
            }
        }
        let missing: Vec<&(String, String)> = pairs
            .iter()
            .filter(|(k, _)| !seen.contains(k.as_str()))
            .collect();
        if !missing.is_empty() {
            let (pos, eol_first) = match anchor {
                Some(p) => (p, p == self.text.len() && !self.text.ends_with('\n')),
                None => match entries.last() {
                    Some(&(k, v)) => self.after_line(self.span(v).end.max(self.span(k).end)),
                    None => self.after_line(self.span(ak).end),
                },
            };
            let mut s = String::new();
            if eol_first {
                s.push_str(self.eol);
            }
            s.push_str(&self.lines(indent, &missing, style));
            e.edits.push(TextEdit {
                range: pos..pos,
                text: s,
            });
            for (k, v) in missing {
                e.expect.push(Self::expect(doc, &ann_path, k, v, false));
            }
        }
        Ok(e)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::export::emit;
    use crate::model::read::argo::read;
    use crate::model::spec::{Dialect, Engine, Git, Image, SigningKey, SourceRef};

    const P: &str = ANNOTATION_PREFIX;

    use crate::testutil::workspace;

    pub(crate) fn read_text(text: &str) -> Vec<Updater> {
        let ws = workspace(&[("app.yaml", text)]);
        read(&ws, &Model::build(&ws))
    }

    fn one(text: &str) -> Updater {
        let mut all = read_text(text);
        assert_eq!(all.len(), 1, "{text}");
        all.remove(0)
    }

    /// An Application with these annotations (prefix added, values
    /// single-quoted).
    pub(crate) fn app(name: &str, annotations: &[(&str, &str)]) -> String {
        let mut s = format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\n  annotations:\n"
        );
        for (k, v) in annotations {
            s.push_str(&format!("    {P}{k}: '{}'\n", v.replace('\'', "''")));
        }
        s.push_str("spec:\n  project: default\n");
        s
    }

    /// The text an origin points at.
    fn at(text: &str, o: Option<Origin>) -> &str {
        o.expect("an origin").span.text(text)
    }

    fn annotations_of(w: &Written) -> BTreeMap<String, String> {
        assert_eq!(w.documents.len(), 1, "{:?}", w.remarks);
        w.documents[0]["metadata"]["annotations"]
            .as_object()
            .expect("annotations")
            .iter()
            .map(|(k, v)| {
                (
                    k.strip_prefix(P).unwrap_or(k).to_owned(),
                    v.as_str().expect("string values").to_owned(),
                )
            })
            .collect()
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn kinds(remarks: &[Remark]) -> Vec<(RemarkKind, String)> {
        remarks.iter().map(|r| (r.kind, r.field.clone())).collect()
    }

    fn has(remarks: &[Remark], kind: RemarkKind, field: &str) -> bool {
        remarks
            .iter()
            .any(|r| r.kind == kind && r.field.contains(field))
    }

    /// Written documents read back through the readers.
    pub(crate) fn reread(w: &Written) -> Vec<Updater> {
        let text = emit::yaml(&w.documents);
        let ws = workspace(&[("out.yaml", &text)]);
        let model = Model::build(&ws);
        let mut out = read(&ws, &model);
        out.extend(crate::model::read::argo_crd::read(&ws, &model));
        out
    }

    #[track_caller]
    pub(crate) fn assert_same(a: &Updater, b: &Updater) {
        // `Image` derives PartialEq, so its `origin` (documented as not
        // compared) would make every re-read differ.
        let strip = |u: &Updater| {
            let mut u = u.clone();
            for i in &mut u.images {
                i.origin = None;
            }
            u
        };
        let (a, b) = (&strip(a), &strip(b));
        if a.same_spec(b) {
            return;
        }
        let mut what = Vec::new();
        if a.name != b.name || a.namespace != b.namespace || a.engine != b.engine {
            what.push(format!(
                "name/ns/engine {:?} {:?}",
                (&a.name, &a.namespace, a.engine),
                (&b.name, &b.namespace, b.engine)
            ));
        }
        if a.app != b.app {
            what.push(format!("app {:?} vs {:?}", a.app, b.app));
        }
        if a.write != b.write {
            what.push(format!("write {:?} vs {:?}", a.write, b.write));
        }
        if a.git != b.git {
            what.push(format!("git {:?} vs {:?}", a.git, b.git));
        }
        if a.images.len() != b.images.len() {
            what.push(format!("{} vs {} images", a.images.len(), b.images.len()));
        }
        for (x, y) in a.images.iter().zip(&b.images) {
            if x != y {
                what.push(format!("image\n{x:?}\nvs\n{y:?}"));
            }
        }
        panic!("specs differ: {}", what.join("\n"));
    }

    const FULL: &[(&str, &str)] = &[
        (
            "image-list",
            "web=docker.io/library/nginx:~1.26, api = ghcr.io/org/api:>=2.0 <3, plain:1.x",
        ),
        ("update-strategy", "LATEST"),
        ("allow-tags", "regexp:^v"),
        ("ignore-tags", "*-rc*,*-beta*"),
        ("force-update", "true"),
        ("pull-secret", "pullsecret:argocd/regcred"),
        ("web.update-strategy", "Name"),
        ("web.allow-tags", "any"),
        ("web.ignore-tags", "dev"),
        ("web.force-update", "F"),
        ("web.pull-secret", "env:REGISTRY_CREDS"),
        ("web.platforms", "linux/amd64, linux/arm64/v8"),
        ("web.helm.image-name", "web.image.repository"),
        ("web.helm.image-tag", "web.image.tag"),
        ("web.helm.image-spec", "web.image.full"),
        ("api.kustomize.image-name", "ghcr.io/org/api"),
        ("api.update-strategy", "digest"),
        ("write-back-method", "git:secret:argocd/git-creds"),
        ("git-branch", "main:image-updater-{{.SHA256}}"),
        ("git-repository", "https://git.example.com/org/deploy.git"),
        ("write-back-target", "helmvalues:values/prod.yaml"),
    ];

    #[test]
    fn every_annotation_key_is_read_with_its_origin() {
        let text = app("shop", FULL);
        let u = one(&text);
        assert_eq!(u.name, "shop");
        assert_eq!(u.namespace.as_deref(), Some("argocd"));
        assert_eq!(u.engine, Engine::Argocd);
        assert_eq!(u.app.name.as_ref().map(|f| f.value.as_str()), Some("shop"));
        assert_eq!(
            at(&text, u.app.name.as_ref().and_then(|f| f.origin)),
            "shop"
        );
        assert_eq!(
            at(&text, u.app.namespace.as_ref().and_then(|f| f.origin)),
            "argocd"
        );
        assert_eq!(u.images.len(), 3);

        let web = &u.images[0];
        assert_eq!(web.alias.as_ref().map(|a| a.value.as_str()), Some("web"));
        assert_eq!(web.name.value, "docker.io/library/nginx");
        assert_eq!(at(&text, web.name.origin), "docker.io/library/nginx");
        assert_eq!(
            at(&text, web.constraint.as_ref().and_then(|c| c.origin)),
            "~1.26"
        );
        assert_eq!(at(&text, web.origin), "web=docker.io/library/nginx:~1.26");
        let s = web.strategy.as_ref().map(|s| s.value);
        assert_eq!(s, Some(Strategy::Alphabetical { desc: false }));
        assert_eq!(
            at(&text, web.strategy.as_ref().and_then(|s| s.origin)),
            "'Name'"
        );
        // `any` at the alias level overrides the app-wide regexp.
        assert_eq!(web.tag_pattern, None);
        assert_eq!(
            web.ignore_tags.as_ref().map(|f| f.value.clone()),
            Some(vec!["dev".to_owned()])
        );
        assert_eq!(web.force_update.as_ref().map(|f| f.value), Some(false));
        assert_eq!(
            web.pull_secret.as_ref().map(|f| f.value.clone()),
            Some(PullSecret::Other("env:REGISTRY_CREDS".into()))
        );
        assert_eq!(
            web.platforms.as_ref().map(|f| f.value.clone()),
            Some(vec!["linux/amd64".to_owned(), "linux/arm64/v8".to_owned()])
        );
        let helm = web.helm.as_ref().expect("helm target");
        assert_eq!(
            helm.name.as_ref().map(|f| f.value.as_str()),
            Some("web.image.repository")
        );
        assert_eq!(
            helm.tag.as_ref().map(|f| f.value.as_str()),
            Some("web.image.tag")
        );
        assert_eq!(
            helm.spec.as_ref().map(|f| f.value.as_str()),
            Some("web.image.full")
        );

        let api = &u.images[1];
        assert_eq!(api.alias.as_ref().map(|a| a.value.as_str()), Some("api"));
        assert_eq!(api.name.value, "ghcr.io/org/api");
        assert_eq!(
            api.constraint.as_ref().map(|c| c.value.as_str()),
            Some(">=2.0 <3")
        );
        assert_eq!(
            api.strategy.as_ref().map(|s| s.value),
            Some(Strategy::Digest)
        );
        assert_eq!(
            api.tag_pattern.as_ref().map(|t| t.value.as_str()),
            Some("^v")
        );
        assert_eq!(
            at(&text, api.tag_pattern.as_ref().and_then(|t| t.origin)),
            "^v"
        );
        assert_eq!(
            api.kustomize_name.as_ref().map(|k| k.value.as_str()),
            Some("ghcr.io/org/api")
        );
        assert_eq!(api.force_update.as_ref().map(|f| f.value), Some(true));
        assert_eq!(
            api.pull_secret.as_ref().map(|f| f.value.clone()),
            Some(PullSecret::Secret {
                namespace: Some("argocd".into()),
                name: "regcred".into()
            })
        );
        assert_eq!(api.platforms, None, "no app-wide platforms");

        // Alias-less: only app-wide settings.
        let plain = &u.images[2];
        assert_eq!(plain.alias, None);
        assert_eq!(plain.name.value, "plain");
        assert_eq!(
            plain.strategy.as_ref().map(|s| s.value),
            Some(Strategy::NewestBuild)
        );
        assert_eq!(
            plain.ignore_tags.as_ref().map(|f| f.value.clone()),
            Some(vec!["*-rc*".to_owned(), "*-beta*".to_owned()])
        );

        assert_eq!(
            u.write.as_ref().map(|w| w.value.clone()),
            Some(WriteMethod::Git {
                credentials: Some("secret:argocd/git-creds".into())
            })
        );
        let g = &u.git;
        assert_eq!(
            at(&text, g.checkout_branch.as_ref().and_then(|f| f.origin)),
            "main"
        );
        assert_eq!(
            at(&text, g.push_branch.as_ref().and_then(|f| f.origin)),
            "image-updater-{{.SHA256}}"
        );
        assert_eq!(
            g.repository.as_ref().map(|f| f.value.as_str()),
            Some("https://git.example.com/org/deploy.git")
        );
        assert_eq!(
            g.target.as_ref().map(|f| f.value.as_str()),
            Some("helmvalues:values/prod.yaml")
        );
        assert!(u.dropped.is_empty(), "{:?}", u.dropped);
        let (d, o) = u.from.expect("from");
        assert_eq!(d, Dialect::Argocd);
        assert_eq!(o.span.text(&text), format!("{P}image-list"));
    }

    #[test]
    fn branch_and_method_forms() {
        for (branch, checkout, push) in [
            ("main", Some("main"), None),
            (":upd-{{.SHA256}}", None, Some("upd-{{.SHA256}}")),
            ("dev:upd", Some("dev"), Some("upd")),
        ] {
            let u = one(&app("a", &[("image-list", "x"), ("git-branch", branch)]));
            assert_eq!(u.git.checkout_branch.map(|f| f.value).as_deref(), checkout);
            assert_eq!(u.git.push_branch.map(|f| f.value).as_deref(), push);
        }
        for (method, want) in [
            ("argocd", WriteMethod::InCluster),
            ("git", WriteMethod::Git { credentials: None }),
            (
                "git:repocreds",
                WriteMethod::Git {
                    credentials: Some("repocreds".into()),
                },
            ),
        ] {
            let u = one(&app(
                "a",
                &[("image-list", "x"), ("write-back-method", method)],
            ));
            assert_eq!(u.write.map(|w| w.value), Some(want));
        }
    }

    #[test]
    fn present_alias_key_wins_even_when_empty_and_slash_aliases_use_underscore() {
        let u = one(&app(
            "a",
            &[
                ("image-list", "org/web=nginx,api=x"),
                ("update-strategy", "digest"),
                ("org_web.update-strategy", "newest-build"),
                ("api.update-strategy", ""),
            ],
        ));
        assert_eq!(
            u.images[0].strategy.as_ref().map(|s| s.value),
            Some(Strategy::NewestBuild)
        );
        assert_eq!(u.images[1].strategy, None);
    }

    #[test]
    fn lossy_source_values_become_remarks() {
        let text = app(
            "a",
            &[
                (
                    "image-list",
                    "web=nginx:1.x,worker=,nginx:>=1.0,d=x@sha256:0123456789012345678901234567890123456789012345678901234567890123",
                ),
                ("web.tag-match", "regexp:^1"),
                ("update-interval", "5m"),
                ("ghost.update-strategy", "semver"),
                ("platforms", "linux/amd64"),
                ("web.allow-tags", "^v1"),
                ("web.force-update", "yes-please"),
                ("web.update-strategy", "newest"),
                ("git-branch", "a:b:c"),
                ("write-back-method", "svn"),
            ],
        );
        let u = one(&text);
        assert_eq!(u.images.len(), 2, "web and d");
        let k = kinds(&u.dropped);
        let want = [
            (RemarkKind::Skipped, "image-list"),
            (RemarkKind::NoEquivalent, "web.tag-match"),
            (RemarkKind::NoEquivalent, "update-interval"),
            (RemarkKind::NoEquivalent, "ghost.update-strategy"),
            (RemarkKind::NoEquivalent, "/platforms"),
            (RemarkKind::NoEquivalent, "web.allow-tags"),
            (RemarkKind::NoEquivalent, "web.force-update"),
            (RemarkKind::Normalized, "web.update-strategy"),
            (RemarkKind::NoEquivalent, "git-branch"),
            (RemarkKind::NoEquivalent, "write-back-method"),
        ];
        for (kind, field) in want {
            assert!(has(&u.dropped, kind, field), "{kind:?} {field}: {k:?}");
        }
        let skipped: Vec<&str> = u
            .dropped
            .iter()
            .filter(|r| r.kind == RemarkKind::Skipped)
            .map(|r| at(&text, r.origin))
            .collect();
        assert_eq!(skipped, ["worker=", "nginx:>=1.0"]);
        let digest = u
            .dropped
            .iter()
            .find(|r| r.message.contains("digest"))
            .expect("digest remark");
        assert!(at(&text, digest.origin).starts_with("sha256:"));
        assert_eq!(
            u.images[0].strategy.as_ref().map(|s| s.value),
            Some(Strategy::Semver)
        );
        assert_eq!(u.images[0].tag_pattern, None);
        assert_eq!(u.write, None);
    }

    #[test]
    fn applications_without_image_list_are_not_updaters() {
        let text = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  annotations:\n    argocd-image-updater.argoproj.io/image-list: x\n";
        assert!(read_text(text).is_empty());
    }

    #[test]
    fn write_hoists_shared_settings_and_keeps_the_rest_per_alias() {
        let u = one(&app("shop", FULL));
        let w = write(&u, &WriteOptions::default());
        assert_eq!(
            kinds(&w.remarks),
            [(RemarkKind::Normalized, "images[2].alias".to_owned())]
        );
        assert_eq!(
            annotations_of(&w),
            map(&[
                (
                    "image-list",
                    "web=docker.io/library/nginx:~1.26,api=ghcr.io/org/api:>=2.0 <3,plain:1.x"
                ),
                ("write-back-method", "git:secret:argocd/git-creds"),
                ("git-branch", "main:image-updater-{{.SHA256}}"),
                ("git-repository", "https://git.example.com/org/deploy.git"),
                ("write-back-target", "helmvalues:values/prod.yaml"),
                ("web.update-strategy", "alphabetical"),
                ("web.ignore-tags", "dev"),
                ("web.force-update", "false"),
                ("web.pull-secret", "env:REGISTRY_CREDS"),
                ("web.platforms", "linux/amd64,linux/arm64/v8"),
                ("web.helm.image-name", "web.image.repository"),
                ("web.helm.image-tag", "web.image.tag"),
                ("web.helm.image-spec", "web.image.full"),
                ("api.update-strategy", "digest"),
                ("api.allow-tags", "regexp:^v"),
                ("api.ignore-tags", "*-rc*,*-beta*"),
                ("api.force-update", "true"),
                ("api.pull-secret", "pullsecret:argocd/regcred"),
                ("api.kustomize.image-name", "ghcr.io/org/api"),
                // The alias-less image needs per-alias keys: invented.
                ("plain.update-strategy", "newest-build"),
                ("plain.allow-tags", "regexp:^v"),
                ("plain.ignore-tags", "*-rc*,*-beta*"),
                ("plain.force-update", "true"),
                ("plain.pull-secret", "pullsecret:argocd/regcred"),
            ])
            .into_iter()
            .map(|(k, v)| if k == "image-list" {
                (k, "web=docker.io/library/nginx:~1.26,api=ghcr.io/org/api:>=2.0 <3,plain=plain:1.x".to_owned())
            } else {
                (k, v)
            })
            .collect()
        );
        let doc = &w.documents[0];
        assert_eq!(doc["apiVersion"], "argoproj.io/v1alpha1");
        assert_eq!(doc["kind"], "Application");
        assert_eq!(doc["metadata"]["name"], "shop");
        assert_eq!(doc["metadata"]["namespace"], "argocd");
        assert_eq!(
            doc.as_object().map(|m| m.len()),
            Some(3),
            "a merge patch: nothing else"
        );
        assert_eq!(doc["metadata"].as_object().map(|m| m.len()), Some(3));
    }

    #[test]
    fn shared_settings_are_written_app_wide() {
        let u = one(&app(
            "w",
            &[
                ("image-list", "a=x/a:1.x,b=x/b:2.x"),
                ("a.update-strategy", "semver"),
                ("b.update-strategy", "semver"),
                ("a.pull-secret", "pullsecret:ns/s"),
                ("b.pull-secret", "pullsecret:ns/s"),
                ("a.allow-tags", "regexp:^1"),
            ],
        ));
        let w = write(&u, &WriteOptions::default());
        assert_eq!(
            annotations_of(&w),
            map(&[
                ("image-list", "a=x/a:1.x,b=x/b:2.x"),
                ("update-strategy", "semver"),
                ("pull-secret", "pullsecret:ns/s"),
                ("a.allow-tags", "regexp:^1"),
            ])
        );
    }

    #[test]
    fn annotations_round_trip_through_the_spec() {
        for pairs in [
            FULL,
            &[("image-list", "nginx,redis:7.x")][..],
            &[
                ("image-list", "a=x/a:1.x,nginx"),
                ("update-strategy", "semver"),
                ("a.platforms", "linux/arm64"),
            ][..],
        ] {
            let u = one(&app("rt", pairs));
            let w = write(&u, &WriteOptions::default());
            let back = reread(&w);
            assert_eq!(back.len(), 1);
            // The alias-less item with settings of its own gets one.
            let mut want = u.clone();
            for (i, img) in want.images.iter_mut().enumerate() {
                if img.alias.is_none() && back[0].images[i].alias.is_some() {
                    img.alias = back[0].images[i].alias.clone();
                }
            }
            assert_same(&back[0], &want);
            // And the written form is a fixed point.
            let again = write(&back[0], &WriteOptions::default());
            assert_eq!(again.documents, w.documents);
        }
    }

    fn flux_like() -> Updater {
        let f = |v: &str| Some(Field::made(v.to_owned()));
        Updater {
            name: "Podinfo_Automation".into(),
            engine: Engine::Fluxcd,
            images: vec![
                Image {
                    alias: f("podinfo"),
                    name: Field::made("ghcr.io/stefanprodan/podinfo".into()),
                    constraint: f(">=6.0.0, <7.0.0"),
                    strategy: Some(Field::made(Strategy::Numerical { desc: false })),
                    tag_pattern: f("^main-(?P<ts>[0-9]+)$"),
                    extract: f("$ts"),
                    scan_interval: f("5m"),
                    reflect_digest: f("Always"),
                    pull_secret: Some(Field::made(PullSecret::Secret {
                        namespace: None,
                        name: "regcred".into(),
                    })),
                    ..Default::default()
                },
                Image {
                    name: Field::made("nginx".into()),
                    constraint: f(">=1.0"),
                    strategy: Some(Field::made(Strategy::Alphabetical { desc: true })),
                    ..Default::default()
                },
                Image {
                    alias: f("tagged"),
                    name: Field::made("ghcr.io/org/t".into()),
                    constraint: f("a,b"),
                    strategy: Some(Field::made(Strategy::Digest)),
                    ..Default::default()
                },
            ],
            write: Some(Field::made(WriteMethod::Git { credentials: None })),
            git: Git {
                source_ref: Some(Field::made(SourceRef {
                    kind: "GitRepository".into(),
                    name: "flux-system".into(),
                    namespace: None,
                })),
                checkout_branch: f("main"),
                path: f("./clusters"),
                author_name: f("bot"),
                author_email: f("bot@example.com"),
                signing_key: Some(Field::made(SigningKey {
                    secret: "gpg".into(),
                    kind: None,
                })),
                message_template: f("update"),
                interval: f("30m"),
                automation: f("podinfo"),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn values_argo_cannot_hold_are_remarked() {
        let u = flux_like();
        let w = write(&u, &WriteOptions::default());
        let r = &w.remarks;
        for (kind, field) in [
            (RemarkKind::Normalized, "app.name"),
            (RemarkKind::Normalized, "metadata.namespace"),
            (RemarkKind::NoEquivalent, "images[0].strategy"),
            (RemarkKind::Normalized, "images[0].constraint"),
            (RemarkKind::NoEquivalent, "images[0].extract"),
            (RemarkKind::NoEquivalent, "images[0].scan_interval"),
            (RemarkKind::NoEquivalent, "images[0].reflect_digest"),
            (RemarkKind::Normalized, "images[0].pull_secret"),
            (RemarkKind::NoEquivalent, "images[1].strategy"),
            (RemarkKind::Normalized, "images[1].alias"),
            (RemarkKind::NoEquivalent, "images[2].constraint"),
            (RemarkKind::NoEquivalent, "git.source_ref"),
            (RemarkKind::NoEquivalent, "git.path"),
            (RemarkKind::NoEquivalent, "git.author_name"),
            (RemarkKind::NoEquivalent, "git.author_email"),
            (RemarkKind::NoEquivalent, "git.signing_key"),
            (RemarkKind::NoEquivalent, "git.message_template"),
            (RemarkKind::NoEquivalent, "git.interval"),
            (RemarkKind::NoEquivalent, "git.automation"),
        ] {
            assert!(has(r, kind, field), "{kind:?} {field}: {:?}", kinds(r));
        }
        let a = annotations_of(&w);
        assert_eq!(
            a["image-list"],
            "podinfo=ghcr.io/stefanprodan/podinfo:>=6.0.0 <7.0.0,nginx=nginx:>=1.0,tagged=ghcr.io/org/t"
        );
        assert_eq!(a["podinfo.pull-secret"], "pullsecret:argocd/regcred");
        assert_eq!(a["podinfo.allow-tags"], "regexp:^main-(?P<ts>[0-9]+)$");
        assert_eq!(a["tagged.update-strategy"], "digest");
        assert_eq!(a["git-branch"], "main");
        assert_eq!(a["write-back-method"], "git");
        assert!(!a.contains_key("nginx.update-strategy"));
        assert_eq!(w.documents[0]["metadata"]["name"], "Podinfo_Automation");
        // The nginx alias exists only because `>=` needs one.
        let back = reread(&w);
        assert_eq!(
            back[0].images[1]
                .constraint
                .as_ref()
                .map(|c| c.value.as_str()),
            Some(">=1.0")
        );
    }

    #[test]
    fn a_glob_application_cannot_be_annotated() {
        let mut u = one(&app("a", &[("image-list", "x")]));
        u.app.name = Some(Field::made("shop-*".into()));
        let w = write(&u, &WriteOptions::default());
        assert!(w.documents.is_empty());
        assert_eq!(
            kinds(&w.remarks),
            [(RemarkKind::Skipped, "app.name".to_owned())]
        );
        let ws = workspace(&[("a.yaml", &app("a", &[("image-list", "x")]))]);
        let m = merge_in_place(&ws, &Model::build(&ws), &u, &WriteOptions::default())
            .expect("a remark, not an error");
        assert!(m.change.is_none());
        assert_eq!(
            kinds(&m.remarks),
            [(RemarkKind::Skipped, "app.name".to_owned())]
        );
    }

    #[test]
    fn invented_aliases_are_valid_unique_and_deterministic() {
        let img = |name: &str, strategy: Strategy| Image {
            name: Field::made(name.into()),
            strategy: Some(Field::made(strategy)),
            ..Default::default()
        };
        let mut u = Updater {
            name: "a".into(),
            namespace: Some("ns".into()),
            images: vec![
                img("ghcr.io/org/web", Strategy::Semver),
                img("quay.io/other/web", Strategy::Digest),
                img("registry:5000/_x_/-web_", Strategy::NewestBuild),
                img("ghcr.io/org/web", Strategy::Semver),
            ],
            ..Default::default()
        };
        u.images[3].alias = Some(Field::made("bad alias".into()));
        let w1 = write(&u, &WriteOptions::default());
        let w2 = write(&u, &WriteOptions::default());
        assert_eq!(w1.documents, w2.documents);
        let a = annotations_of(&w1);
        assert_eq!(
            a["image-list"],
            "web=ghcr.io/org/web,web-2=quay.io/other/web,web_=registry:5000/_x_/-web_,web-3=ghcr.io/org/web"
        );
        for alias in ["web", "web-2", "web_", "web-3"] {
            assert!(valid_alias(alias));
            assert!(
                a.contains_key(&format!("{alias}.update-strategy")),
                "{alias}"
            );
        }
        assert_eq!(
            w1.remarks
                .iter()
                .filter(|r| r.kind == RemarkKind::Normalized && r.field.ends_with(".alias"))
                .count(),
            4
        );
        assert_eq!(invent_alias("", &HashSet::new()), "image");
        assert_eq!(invent_alias("x/---", &HashSet::new()), "image");
        assert!(valid_alias(&invent_alias(
            &"é".repeat(100),
            &HashSet::new()
        )));
        assert!(!valid_alias(&"a".repeat(MAX_ALIAS + 1)));
    }

    // ---- in place ----

    fn merged(files: &[(&str, &str)], u: &Updater) -> Result<Merged, String> {
        let ws = workspace(files);
        merge_in_place(&ws, &Model::build(&ws), u, &WriteOptions::default())
    }

    /// Applies a merge, checks it the way the brief asks, returns the text.
    #[track_caller]
    fn merge_ok(text: &str, u: &Updater) -> String {
        let m = merged(&[("apps/app.yaml", text)], u).expect("merge");
        let change = m.change.expect("a change");
        assert_eq!(change.path, "apps/app.yaml");
        let new = change.new_text.clone();
        // Bytes outside the edited ranges are identical.
        let mut at_old = 0;
        let mut at_new = 0;
        let mut edits = change.edits.clone();
        edits.sort_by_key(|e| (e.range.start, e.range.end));
        for e in &edits {
            let keep = e.range.start - at_old;
            assert_eq!(&text[at_old..e.range.start], &new[at_new..at_new + keep]);
            at_new += keep + e.text.len();
            at_old = e.range.end;
        }
        assert_eq!(&text[at_old..], &new[at_new..]);
        // Read back: the same updater.
        let back = read_text(&new);
        assert_eq!(back.len(), 1, "{new}");
        let mut want = u.clone();
        if !text.contains("namespace:") {
            // The merge sets annotations only; the namespace stays the file's.
            want.namespace = None;
            want.app.namespace = None;
        }
        let written = write(u, &WriteOptions::default());
        let via = reread(&written);
        for (i, img) in want.images.iter_mut().enumerate() {
            img.alias = via[0].images[i].alias.clone();
        }
        assert_same(&back[0], &want);
        // Nothing left to do.
        let again = merged(&[("apps/app.yaml", &new)], u).expect("second merge");
        assert!(again.change.is_none(), "second merge changed:\n{new}");
        new
    }

    fn target() -> Updater {
        one(&app(
            "shop",
            &[
                ("image-list", "web=nginx:1.x,api=ghcr.io/org/api:~2"),
                ("web.update-strategy", "digest"),
                ("api.allow-tags", "regexp:^v2\\."),
                ("write-back-method", "git"),
            ],
        ))
    }

    const OLD: &str = "\
# leading comment
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: shop
  namespace: argocd
  annotations:
    # image updater settings
    argocd-image-updater.argoproj.io/image-list: \"web=nginx:1.x\"   # the list
    notes.example.com/owner: team-a
    argocd-image-updater.argoproj.io/web.update-strategy: 'digest'
    argocd-image-updater.argoproj.io/web.tag-match: regexp:^1
    argocd-image-updater.argoproj.io/write-back-method: argocd
  labels:
    app: shop
spec:
  project: default
";

    #[test]
    fn in_place_replaces_removes_and_inserts_only_annotation_lines() {
        let new = merge_ok(OLD, &target());
        assert_eq!(
            new,
            "\
# leading comment
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: shop
  namespace: argocd
  annotations:
    # image updater settings
    argocd-image-updater.argoproj.io/image-list: \"web=nginx:1.x,api=ghcr.io/org/api:~2\"   # the list
    notes.example.com/owner: team-a
    argocd-image-updater.argoproj.io/web.update-strategy: 'digest'
    argocd-image-updater.argoproj.io/write-back-method: git
    argocd-image-updater.argoproj.io/api.allow-tags: \"regexp:^v2\\\\.\"
  labels:
    app: shop
spec:
  project: default
"
        );
    }

    #[test]
    fn in_place_keeps_crlf_bom_and_non_ascii() {
        let old = format!(
            "\u{feff}{}",
            OLD.replace("team-a", "équipe-ü").replace('\n', "\r\n")
        );
        let new = merge_ok(&old, &target());
        assert!(new.starts_with('\u{feff}'));
        assert_eq!(
            new.matches('\n').count(),
            new.matches("\r\n").count(),
            "{new:?}"
        );
        assert!(new.contains("notes.example.com/owner: équipe-ü\r\n"));
        assert!(new.contains("\r\n    argocd-image-updater.argoproj.io/api.allow-tags: \"regexp:^v2\\\\.\"\r\n  labels:"));
    }

    #[test]
    fn in_place_creates_a_missing_or_null_annotations_mapping() {
        let u = target();
        let bare = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n    name: shop   # app\n    labels:\n        a: b\nspec: {}\n";
        let new = merge_ok(bare, &u);
        assert!(
            new.starts_with("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n    name: shop   # app\n    labels:\n        a: b\n    annotations:\n        argocd-image-updater.argoproj.io/image-list: web=nginx:1.x,api=ghcr.io/org/api:~2\n"),
            "{new}"
        );
        for null in ["", " ~", " null"] {
            let text = format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  annotations:{null}\n  labels: {{a: b}}\n"
            );
            let new = merge_ok(&text, &u);
            assert!(
                new.contains("  annotations:\n    argocd-image-updater.argoproj.io/image-list: "),
                "{new}"
            );
        }
        // No trailing line break at the end of the file.
        let eof = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop";
        let new = merge_ok(eof, &u);
        assert!(
            new.starts_with(&format!("{eof}\n  annotations:\n")),
            "{new}"
        );
    }

    #[test]
    fn in_place_replaces_block_scalars_and_typed_values() {
        let u = one(&app(
            "shop",
            &[("image-list", "web=nginx"), ("web.force-update", "true")],
        ));
        let text = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  annotations:\n    argocd-image-updater.argoproj.io/image-list: |\n      web=nginx:1.x\n    argocd-image-updater.argoproj.io/web.force-update: true\n";
        let new = merge_ok(text, &u);
        assert_eq!(
            new,
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  annotations:\n    argocd-image-updater.argoproj.io/image-list: web=nginx\n    argocd-image-updater.argoproj.io/force-update: \"true\"\n"
        );
        // A value that loads as a boolean is quoted even when it reads the same.
        let typed = text.replace("web.force-update", "force-update");
        let new = merge_ok(&typed, &u);
        assert!(new.ends_with("io/force-update: \"true\"\n"), "{new}");
    }

    #[test]
    fn in_place_refuses_what_it_cannot_edit_exactly() {
        let u = target();
        for (text, why) in [
            (
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  annotations: {a: b}\n",
                "flow",
            ),
            (
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: shop}\n",
                "flow",
            ),
            (
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  annotations:\n    argocd-image-updater.argoproj.io/image-list: a\n    argocd-image-updater.argoproj.io/image-list: b\n",
                "twice",
            ),
            (
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: other\n",
                "no Application",
            ),
        ] {
            let err = merged(&[("a.yaml", text)], &u).unwrap_err();
            assert!(err.contains(why), "{why}: {err}");
        }
        let two = app("shop", &[]).replace("namespace: argocd", "namespace: x");
        let err = merged(&[("a.yaml", &two), ("b.yaml", &two)], &u).unwrap_err();
        assert!(err.contains("no Application"), "{err}");
        let mut anyns = u.clone();
        anyns.namespace = None;
        anyns.app.namespace = None;
        let err = merged(&[("a.yaml", &two), ("b.yaml", &two)], &anyns).unwrap_err();
        assert!(err.contains("2 Applications"), "{err}");
    }

    #[test]
    fn in_place_without_differences_is_no_change() {
        let text = app("shop", &[("image-list", "web=nginx")]);
        let u = one(&text);
        let m = merged(&[("a.yaml", &text)], &u).expect("merge");
        assert!(m.change.is_none());
    }

    #[test]
    fn never_panics_on_damaged_applications() {
        let mut rng = crate::testutil::Rng::new(0xA11CE);
        let u = target();
        let m = crate::testutil::Mutation {
            inserts: &[
                "\n", "  ", ":", "'", "\"", "{", "- ", "#", ",", "=", "\r\n", "|\n",
            ],
            max_edits: 4,
            max_cut: 20,
            max_copy: 40,
            junk: Some("ab:=,'\" \n"),
        };
        for _ in 0..300 {
            let text = rng.mutate(OLD, &m);
            let ws = workspace(&[("a.yaml", &text)]);
            let model = Model::build(&ws);
            for r in read(&ws, &model) {
                let _ = write(&r, &WriteOptions::default());
                let _ = super::super::argo_crd::write(&r, &WriteOptions::default());
            }
            if let Ok(Merged {
                change: Some(c), ..
            }) = merge_in_place(&ws, &model, &u, &WriteOptions::default())
            {
                let new = c.new_text.clone();
                assert!(crate::yaml::parse(&new).error.is_none(), "{text:?}");
            }
        }
    }
}
