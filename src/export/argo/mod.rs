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
//! `verify` in two steps (old → old-minus-removed-keys, then
//! → new), so no byte outside the annotations moves, and read back.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::export::{WriteOptions, Written};
use crate::model::argo::ANNOTATION_PREFIX;
use crate::model::read::argo::is_glob;
use crate::model::spec::{
    Field, Origin, PullSecret, Remark, RemarkKind, Strategy, Updater, WriteMethod,
};

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
    let mut base = crate::model::argo::alias_chars(last);
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

mod merge;
#[cfg(test)]
pub(crate) mod tests;

pub use merge::{MergeError, Merged, merge_in_place};
