//! Argo CD Image Updater `ImageUpdater` CR (argocd-image-updater.argoproj.io
//! v1alpha1, v1.3 schema; argocd.md §2½): read into [`Updater`]s (one per
//! applicationRef) and written from them (one CR per updater, one
//! applicationRef). Value conversions are shared with the annotation
//! dialect in [`super::argo`].
//!
//! Mapping (CR → spec; writing is the reverse):
//!
//! | CR | Spec |
//! |---|---|
//! | `metadata.name` (one exported ref) / `<name>-<namePattern>` (several) | `name` |
//! | `metadata.namespace` | `namespace`, `app.namespace` (Applications are looked up in the CR's namespace) |
//! | `applicationRefs[].namePattern` | `app.name` (may be a glob) |
//! | `images[].alias` / `imageName` `[registry/]repo[:constraint]` | `images[].alias` / `.name`, `.constraint` |
//! | `commonUpdateSettings.updateStrategy` | `strategy` (names as in annotations) |
//! | `….allowTags` | `tag_pattern` (`regexp:<re>` → `<re>`; `any` → none) |
//! | `….ignoreTags` / `….platforms` | `ignore_tags` / `platforms` |
//! | `….forceUpdate` / `….pullSecret` | `force_update` / `pull_secret` |
//! | `images[].manifestTargets.helm.{name,tag,spec}` / `.kustomize.name` | `helm` / `kustomize_name` |
//! | `writeBackConfig.method` | `write` |
//! | `writeBackConfig.gitConfig.{repository,branch,writeBackTarget}` | `git.repository`, `git.checkout_branch`/`push_branch`, `git.target` |
//! | `labelSelectors`, `imagesVerification` (any level), `gitConfig.pullRequest`, `manifestTargets.plugin`, v1.0 `spec.namespace` | dropped (IU701) |
//! | `applicationRefs[].useAnnotations: true` | skipped (IU702): the Application's annotations are exported from the Application |
//!
//! Reading: settings merge image > applicationRef > spec field by field
//! (absent inherits; an explicit `allowTags: any` or empty `ignoreTags`
//! overrides), `gitConfig` fields individually, `method` as v1.3 does
//! (absent inherits). A `commonUpdateSettings` block below the top that
//! leaves out `updateStrategy` or `forceUpdate` while a higher level sets a
//! non-default one is read as v1.4 reads it (inherited), with a remark
//! (IU703) that CRDs v1.0–v1.3 default the block's own value instead. An
//! empty string is unset. Updater names: the CR's name when it has exactly
//! one exported applicationRef, else `<cr>-<namePattern>` reduced to a
//! Kubernetes name (`shop-*` → `shop`), unique with `-2`…. The remarks of
//! `useAnnotations` refs are attached to the CR's first exported updater,
//! or, when it has none, to an updater without images that carries them
//! (writers skip it).
//!
//! Writing (normalizations): `metadata.name` is `name` reduced to a
//! Kubernetes name (IU703 when it changes); the namespace as for
//! annotations (`--namespace`, `app.namespace`, `namespace`, else `argocd`
//! with IU703). `namePattern` is `app.name`, else `name` (IU703). Every
//! image carries an alias (invented from the repository's last path
//! segment when missing, invalid or repeated, IU703). Settings are written
//! per image, never hoisted, and every `commonUpdateSettings` block states
//! `updateStrategy` (`semver` when the spec has none), so CRDs v1.0–v1.3,
//! which default it per block, read the same. `writeBackConfig` sits at
//! the spec level. A `manifestTargets` with both Helm and kustomize keeps
//! Helm (the CRD allows one; IU701 for kustomize). A method the CRD's
//! pattern refuses is written as `git` (IU701). Never `spec.namespace`.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::argo::{self, At};
use super::spec::{
    Dialect, Engine, Field, HelmTarget, Image, Origin, PullSecret, Remark, RemarkKind, Strategy,
    Updater, WriteMethod, WriteOptions, Written,
};
use crate::discover::Workspace;
use crate::model::argo::{self as model_argo, CR_GROUP};
use crate::model::object::str_at;
use crate::model::{Model, Object, image};
use crate::yaml::NodeId;

pub const API_VERSION: &str = "argocd-image-updater.argoproj.io/v1alpha1";
pub const KIND: &str = "ImageUpdater";

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

pub fn read(ws: &Workspace, model: &Model) -> Vec<Updater> {
    let mut out = Vec::new();
    for o in &model.objects {
        if o.group() == CR_GROUP && o.kind() == KIND {
            read_cr(ws, model, o, &mut out);
        }
    }
    out
}

/// One `commonUpdateSettings` block; `None` inherits.
#[derive(Debug, Clone, Default)]
struct Level {
    strategy: Option<Field<Strategy>>,
    /// `Some(None)`: explicitly any tag.
    allow: Option<Option<Field<String>>>,
    ignore: Option<Field<Vec<String>>>,
    force: Option<Field<bool>>,
    pull: Option<Field<PullSecret>>,
    platforms: Option<Field<Vec<String>>>,
    /// The block, when there is one.
    block: Option<NodeId>,
}

impl Level {
    fn read(at: &At, node: Option<NodeId>, field: &str, dropped: &mut Vec<Remark>) -> Level {
        let y = at.yaml;
        let Some(node) = node.filter(|&n| y.is_mapping(n)) else {
            return Level::default();
        };
        let mut l = Level {
            block: Some(node),
            ..Level::default()
        };
        let s = |key: &str| str_at(y, node, &[key]).filter(|s| !s.value.is_empty());
        let field = |key: &str| format!("{field}.{key}");
        if let Some(v) = s("updateStrategy") {
            let st = argo::strategy_of(&v.value).unwrap_or_else(|| {
                dropped.push(Remark::new(
                    RemarkKind::Normalized,
                    Some(at.node(v.node)),
                    field("updateStrategy"),
                    format!(
                        "{:?} is not a strategy; the updater falls back to semver",
                        v.value
                    ),
                ));
                Strategy::Semver
            });
            l.strategy = Some(at.field(st, v.node));
        }
        if let Some(v) = s("allowTags") {
            match argo::allow_tags_of(&v.value) {
                Ok(None) => l.allow = Some(None),
                Ok(Some((re, start))) => {
                    l.allow = Some(Some(Field::new(
                        re.to_owned(),
                        Some(at.sub(v.node, start..v.value.len())),
                    )))
                }
                Err(()) => dropped.push(Remark::new(
                    RemarkKind::NoEquivalent,
                    Some(at.node(v.node)),
                    field("allowTags"),
                    format!(
                        "{:?} is neither `any` nor `regexp:<expr>`: the updater matches no tag with it; left out",
                        v.value
                    ),
                )),
            }
        }
        let list = |key: &str| {
            let n = y.get(node, key).filter(|&n| y.is_sequence(n))?;
            let items = y
                .items(n)
                .iter()
                .filter_map(|&i| y.str(i).map(str::to_owned))
                .collect();
            Some(at.field(items, n))
        };
        l.ignore = list("ignoreTags");
        l.platforms = list("platforms");
        if let Some(v) = s("forceUpdate") {
            match argo::bool_of(&v.value) {
                Some(b) => l.force = Some(at.field(b, v.node)),
                None => dropped.push(Remark::new(
                    RemarkKind::NoEquivalent,
                    Some(at.node(v.node)),
                    field("forceUpdate"),
                    format!("{:?} is not a boolean; left out", v.value),
                )),
            }
        }
        if let Some(v) = s("pullSecret") {
            l.pull = Some(at.field(argo::pull_secret_of(&v.value), v.node));
        }
        l
    }

    fn over(&self, base: &Level) -> Level {
        Level {
            strategy: self.strategy.clone().or_else(|| base.strategy.clone()),
            allow: self.allow.clone().or_else(|| base.allow.clone()),
            ignore: self.ignore.clone().or_else(|| base.ignore.clone()),
            force: self.force.clone().or_else(|| base.force.clone()),
            pull: self.pull.clone().or_else(|| base.pull.clone()),
            platforms: self.platforms.clone().or_else(|| base.platforms.clone()),
            block: self.block,
        }
    }

    /// CRDs v1.0–v1.3 fill `updateStrategy: semver` and `forceUpdate:
    /// false` into every block, which hides what a higher level says.
    fn defaulting(&self, inherited: &Level, at: &At, field: &str) -> Option<Remark> {
        let block = self.block?;
        let mut hidden = Vec::new();
        if self.strategy.is_none()
            && let Some(s) = &inherited.strategy
            && s.value != Strategy::Semver
        {
            hidden.push(format!(
                "updateStrategy {}",
                argo::strategy_name(s.value).unwrap_or("?")
            ));
        }
        if self.force.is_none() && inherited.force.as_ref().is_some_and(|f| f.value) {
            hidden.push("forceUpdate true".to_owned());
        }
        (!hidden.is_empty()).then(|| {
            Remark::new(
                RemarkKind::Normalized,
                Some(at.node(block)),
                field,
                format!(
                    "read as inheriting {} (v1.4); CRDs v1.0–v1.3 default this block to semver / false instead",
                    hidden.join(" and ")
                ),
            )
        })
    }
}

/// One `writeBackConfig`; `None` inherits.
#[derive(Debug, Clone, Default)]
struct WriteBack {
    method: Option<Field<WriteMethod>>,
    repository: Option<Field<String>>,
    branch: Option<(String, NodeId)>,
    target: Option<Field<String>>,
}

impl WriteBack {
    fn read(at: &At, node: Option<NodeId>, field: &str, dropped: &mut Vec<Remark>) -> WriteBack {
        let y = at.yaml;
        let Some(node) = node.filter(|&n| y.is_mapping(n)) else {
            return WriteBack::default();
        };
        let mut w = WriteBack::default();
        if let Some(v) = str_at(y, node, &["method"]).filter(|v| !v.value.is_empty()) {
            match argo::write_method_of(&v.value) {
                Some(m) => w.method = Some(at.field(m, v.node)),
                None => dropped.push(Remark::new(
                    RemarkKind::NoEquivalent,
                    Some(at.node(v.node)),
                    format!("{field}.method"),
                    format!(
                        "{:?} is not a write-back method (argocd, git, git:<credentials>)",
                        v.value
                    ),
                )),
            }
        }
        if let Some(g) = y.get(node, "gitConfig") {
            let s = |key: &str| str_at(y, g, &[key]).filter(|v| !v.value.is_empty());
            w.repository = s("repository").map(|v| at.field(v.value, v.node));
            w.target = s("writeBackTarget").map(|v| at.field(v.value, v.node));
            w.branch = s("branch").map(|v| (v.value, v.node));
            if let Some((k, _)) = y.entry(g, "pullRequest") {
                dropped.push(Remark::new(
                    RemarkKind::NoEquivalent,
                    Some(at.node(k)),
                    format!("{field}.gitConfig.pullRequest"),
                    "pull-request write-back exists only in the Argo CD CR",
                ));
            }
        }
        w
    }

    fn over(&self, base: &WriteBack) -> WriteBack {
        WriteBack {
            method: self.method.clone().or_else(|| base.method.clone()),
            repository: self.repository.clone().or_else(|| base.repository.clone()),
            branch: self.branch.clone().or_else(|| base.branch.clone()),
            target: self.target.clone().or_else(|| base.target.clone()),
        }
    }
}

/// Remarks for keys the spec has no place for.
fn drop_keys(at: &At, node: NodeId, field: &str, keys: &[(&str, &str)], out: &mut Vec<Remark>) {
    for (key, why) in keys {
        if let Some((k, _)) = at.yaml.entry(node, key) {
            out.push(Remark::new(
                RemarkKind::NoEquivalent,
                Some(at.node(k)),
                format!("{field}.{key}"),
                *why,
            ));
        }
    }
}

const VERIFICATION: &str = "signature verification exists only in the Argo CD CR";

/// A Kubernetes object name (DNS subdomain) made from `s`.
pub(crate) fn k8s_name(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_alphanumeric() || c == '.' {
            c
        } else {
            '-'
        };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    let trimmed = out.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let mut name: String = trimmed.chars().take(253).collect();
    while name.ends_with(|c: char| !c.is_ascii_alphanumeric()) {
        name.pop();
    }
    if name.is_empty() {
        "image-updater".to_owned()
    } else {
        name
    }
}

fn is_app(o: &Object) -> bool {
    model_argo::is_application(
        o.api_version.as_ref().map_or("", |a| a.value.as_str()),
        o.kind(),
    )
}

fn read_cr(ws: &Workspace, model: &Model, o: &Object, out: &mut Vec<Updater>) {
    let f = &ws.files[o.file];
    let Some(yaml) = f.yaml.as_ref() else { return };
    let at = At {
        file: o.file,
        yaml,
        text: &f.text,
    };
    let Some(spec) = o.spec(yaml) else { return };
    let mut cr_dropped = Vec::new();
    drop_keys(
        &at,
        spec,
        "spec",
        &[
            ("imagesVerification", VERIFICATION),
            (
                "namespace",
                "spec.namespace was removed in v1.2; the CR's own namespace is used",
            ),
        ],
        &mut cr_dropped,
    );
    let global = Level::read(
        &at,
        yaml.get(spec, "commonUpdateSettings"),
        "spec.commonUpdateSettings",
        &mut cr_dropped,
    );
    let global_wb = WriteBack::read(
        &at,
        yaml.get(spec, "writeBackConfig"),
        "spec.writeBackConfig",
        &mut cr_dropped,
    );
    let namespace = o
        .namespace
        .as_ref()
        .map(|n| at.field(n.value.clone(), n.node));
    let refs = model_argo::application_refs(yaml, spec);
    let exported = refs
        .iter()
        .filter(|r| !r.use_annotations && r.name_pattern.is_some())
        .count();
    let mut names: HashSet<String> = HashSet::new();
    let mut made: Vec<Updater> = Vec::new();
    let mut skipped: Vec<Remark> = Vec::new();
    for (ri, r) in refs.iter().enumerate() {
        let field = format!("spec.applicationRefs[{ri}]");
        if r.use_annotations {
            skipped.push(use_annotations(ws, &at, model, o, r, &field));
            continue;
        }
        let Some(pattern) = &r.name_pattern else {
            skipped.push(Remark::new(
                RemarkKind::Skipped,
                Some(at.node(r.node)),
                field,
                "the applicationRef has no namePattern",
            ));
            continue;
        };
        let mut dropped = cr_dropped.clone();
        drop_keys(
            &at,
            r.node,
            &field,
            &[
                (
                    "labelSelectors",
                    "label selectors exist only in the Argo CD CR; the updater is exported for the namePattern alone",
                ),
                ("imagesVerification", VERIFICATION),
            ],
            &mut dropped,
        );
        let own = Level::read(
            &at,
            yaml.get(r.node, "commonUpdateSettings"),
            &format!("{field}.commonUpdateSettings"),
            &mut dropped,
        );
        dropped.extend(own.defaulting(&global, &at, &format!("{field}.commonUpdateSettings")));
        let app_level = own.over(&global);
        let wb = WriteBack::read(
            &at,
            yaml.get(r.node, "writeBackConfig"),
            &format!("{field}.writeBackConfig"),
            &mut dropped,
        )
        .over(&global_wb);

        let base = if exported == 1 {
            o.name().to_owned()
        } else {
            k8s_name(&format!("{}-{}", o.name(), pattern.value))
        };
        let mut name = base.clone();
        let mut n = 2;
        while !names.insert(name.clone()) {
            name = format!("{base}-{n}");
            n += 1;
        }
        let mut u = Updater {
            name,
            namespace: o.namespace().map(str::to_owned),
            engine: Engine::Argocd,
            write: wb.method.clone(),
            from: Some((Dialect::ArgocdCrd, at.node(r.node))),
            ..Default::default()
        };
        u.app.name = Some(at.field(pattern.value.clone(), pattern.node));
        u.app.namespace = namespace.clone();
        u.git.repository = wb.repository.clone();
        u.git.target = wb.target.clone();
        if let Some((b, node)) = &wb.branch {
            argo::read_branch(
                &at,
                b,
                *node,
                &format!("{field}.writeBackConfig.gitConfig.branch"),
                &mut u,
                &mut dropped,
            );
        }
        for (ii, &node) in r.images.iter().enumerate() {
            let field = format!("{field}.images[{ii}]");
            if let Some(img) = read_image(&at, node, &field, &app_level, &mut dropped) {
                u.images.push(img);
            }
        }
        u.dropped = dropped;
        made.push(u);
    }
    match made.first_mut() {
        Some(first) => first.dropped.extend(skipped),
        None if !skipped.is_empty() || refs.is_empty() => {
            let mut dropped = cr_dropped;
            if refs.is_empty() {
                dropped.push(Remark::new(
                    RemarkKind::Skipped,
                    Some(at.node(spec)),
                    "spec.applicationRefs",
                    "the ImageUpdater has no applicationRefs",
                ));
            }
            dropped.extend(skipped);
            let mut u = Updater {
                name: o.name().to_owned(),
                namespace: o.namespace().map(str::to_owned),
                dropped,
                from: Some((Dialect::ArgocdCrd, at.node(o.root))),
                ..Default::default()
            };
            u.app.namespace = namespace;
            made.push(u);
        }
        None => {}
    }
    out.extend(made);
}

/// The remark for a `useAnnotations` ref: at the Application's
/// `image-list` when the pattern names one in the repository, else at the
/// `useAnnotations` key.
fn use_annotations(
    ws: &Workspace,
    at: &At,
    model: &Model,
    o: &Object,
    r: &model_argo::ApplicationRef,
    field: &str,
) -> Remark {
    let pattern = r.name_pattern.as_ref().map_or("", |p| p.value.as_str());
    let annotated = model
        .objects
        .iter()
        .filter(|a| {
            !argo::is_glob(pattern)
                && is_app(a)
                && a.name() == pattern
                && (a.namespace().is_none()
                    || o.namespace().is_none()
                    || a.namespace() == o.namespace())
        })
        .find_map(|a| {
            let y = ws.files[a.file].yaml.as_ref()?;
            let list = model_argo::annotations(y, a.root);
            let key = list.iter().find(|x| x.key == "image-list")?.key_node;
            Some(Origin {
                file: a.file,
                span: y.node(key).span,
            })
        });
    let key = at
        .yaml
        .entry(r.node, "useAnnotations")
        .map_or(r.node, |(k, _)| k);
    Remark::new(
        RemarkKind::Skipped,
        Some(annotated.unwrap_or_else(|| at.node(key))),
        format!("{field}.useAnnotations"),
        format!(
            "the updater reads the annotations of the Applications matching {pattern:?}; they are exported from the Applications themselves{}",
            if annotated.is_some() {
                ""
            } else {
                " (none with an image-list is in the repository under that exact name)"
            }
        ),
    )
}

fn read_image(
    at: &At,
    node: NodeId,
    field: &str,
    inherited: &Level,
    dropped: &mut Vec<Remark>,
) -> Option<Image> {
    let y = at.yaml;
    let Some(name) = str_at(y, node, &["imageName"]).filter(|n| !n.value.is_empty()) else {
        dropped.push(Remark::new(
            RemarkKind::Skipped,
            Some(at.node(node)),
            format!("{field}.imageName"),
            "the image has no imageName",
        ));
        return None;
    };
    // A fixed alias keeps a `=` in the constraint out of the alias split,
    // as the CR's own alias field does.
    let item = format!("a={}", name.value);
    let parsed = match image::parse_argo_item(&item) {
        Ok(p) => p,
        Err(e) => {
            dropped.push(Remark::new(
                RemarkKind::Skipped,
                Some(at.node(name.node)),
                format!("{field}.imageName"),
                format!("{:?} is not an image: {e}", name.value),
            ));
            return None;
        }
    };
    let sub = |r: std::ops::Range<usize>| at.sub(name.node, r.start - 2..r.end - 2);
    let (name_r, constraint_r) = argo::image_ranges(&parsed);
    if let Some(d) = parsed.digest_range().filter(|r| !r.is_empty()) {
        dropped.push(Remark::new(
            RemarkKind::NoEquivalent,
            Some(sub(d)),
            format!("{field}.imageName"),
            format!(
                "the digest in {:?} is not a setting (the updater ignores it)",
                name.value
            ),
        ));
    }
    drop_keys(
        at,
        node,
        field,
        &[("imagesVerification", VERIFICATION)],
        dropped,
    );
    let settings_field = format!("{field}.commonUpdateSettings");
    let own = Level::read(
        at,
        y.get(node, "commonUpdateSettings"),
        &settings_field,
        dropped,
    );
    dropped.extend(own.defaulting(inherited, at, &settings_field));
    let l = own.over(inherited);
    let mut img = Image {
        alias: str_at(y, node, &["alias"])
            .filter(|a| !a.value.is_empty())
            .map(|a| at.field(a.value, a.node)),
        name: Field::new(item[name_r.clone()].to_owned(), Some(sub(name_r))),
        constraint: constraint_r.map(|r| Field::new(item[r.clone()].to_owned(), Some(sub(r)))),
        strategy: l.strategy,
        tag_pattern: l.allow.flatten(),
        ignore_tags: l.ignore.filter(|f| !f.value.is_empty()),
        platforms: l.platforms.filter(|f| !f.value.is_empty()),
        force_update: l.force,
        pull_secret: l.pull,
        origin: Some(at.node(node)),
        ..Default::default()
    };
    if let Some(t) = y.get(node, "manifestTargets") {
        let s = |keys: &[&str]| str_at(y, t, keys).map(|v| at.field(v.value, v.node));
        let helm = HelmTarget {
            name: s(&["helm", "name"]),
            tag: s(&["helm", "tag"]),
            spec: s(&["helm", "spec"]),
        };
        if helm != HelmTarget::default() || y.get(t, "helm").is_some() {
            img.helm = Some(helm);
        }
        img.kustomize_name = s(&["kustomize", "name"]);
        drop_keys(
            at,
            t,
            &format!("{field}.manifestTargets"),
            &[(
                "plugin",
                "plugin (CMP) targets exist only in the Argo CD CR",
            )],
            dropped,
        );
    }
    Some(img)
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// `writeBackConfig.method` as the CRD's pattern
/// `^(argocd|git|git:[a-zA-Z0-9][a-zA-Z0-9-._/:]*)$` accepts it.
fn method_ok(m: &str) -> bool {
    match m.strip_prefix("git:") {
        None => m == "argocd" || m == "git",
        Some(rest) => {
            let mut c = rest.chars();
            c.next().is_some_and(|c| c.is_ascii_alphanumeric())
                && c.all(|c| c.is_ascii_alphanumeric() || "-._/:".contains(c))
        }
    }
}

pub fn write(u: &Updater, options: &WriteOptions) -> Written {
    let mut out = Written::default();
    let to = "argocd-crd";
    let app = match argo::app_name(u, to) {
        Ok((app, r)) => {
            out.remarks.extend(r);
            app
        }
        Err(r) => {
            out.remarks.push(r);
            return out;
        }
    };
    if u.images.is_empty() {
        out.remarks.push(Remark::new(
            RemarkKind::Skipped,
            None,
            "images",
            "the updater has no images; an applicationRef needs at least one",
        ));
        return out;
    }
    let (namespace, r) = argo::target_namespace(u, options);
    out.remarks.extend(r);
    let name = k8s_name(&u.name);
    if name != u.name {
        out.remarks.push(Remark::new(
            RemarkKind::Normalized,
            None,
            "metadata.name",
            format!("{:?} is written as the Kubernetes name {name:?}", u.name),
        ));
    }
    let (aliases, r) = argo::aliases(u, &|_| true, &|i| format!("images[{i}].alias"));
    out.remarks.extend(r);
    let mut images = Vec::new();
    for (i, alias) in aliases.iter().enumerate() {
        let img = &u.images[i];
        if img.name.value.is_empty() {
            out.remarks.push(Remark::new(
                RemarkKind::Skipped,
                img.origin,
                format!("images[{i}].name"),
                "the image has no name",
            ));
            continue;
        }
        let (reference, s, r) = argo::argo_image(u, i, false, to);
        out.remarks.extend(r);
        // The controller parses imageName like an image-list item, so an
        // `=` in the constraint (`>=1.2`) would split it into alias and
        // image (IU414): the range is rewritten without one.
        let reference = match img.constraint.as_ref().filter(|c| c.value.contains('=')) {
            None => reference,
            Some(c) => match without_equals(&c.value) {
                Some(rewritten) => {
                    out.remarks.push(Remark::new(
                        RemarkKind::Normalized,
                        c.origin.or(img.origin),
                        format!("images[{i}].constraint"),
                        format!(
                            "{:?} is written {rewritten:?}: an '=' in imageName reads as an alias separator",
                            c.value
                        ),
                    ));
                    match reference.strip_suffix(&c.value) {
                        Some(base) => format!("{base}{rewritten}"),
                        None => reference,
                    }
                }
                None => {
                    out.remarks.push(Remark::new(
                        RemarkKind::NoEquivalent,
                        c.origin.or(img.origin),
                        format!("images[{i}].constraint"),
                        format!(
                            "{:?} cannot be written without '=', which imageName cannot hold; \
                             the image is left out",
                            c.value
                        ),
                    ));
                    continue;
                }
            },
        };
        let mut entry = Map::new();
        entry.insert("alias".into(), json!(alias.clone().unwrap_or_default()));
        entry.insert("imageName".into(), json!(reference));
        let mut common = Map::new();
        if let Some(v) = &s.allow_tags {
            common.insert("allowTags".into(), json!(v));
        }
        if let Some(v) = &s.ignore_tags {
            common.insert("ignoreTags".into(), json!(v));
        }
        if let Some(v) = s.force_update {
            common.insert("forceUpdate".into(), json!(v));
        }
        if let Some(v) = &s.pull_secret {
            common.insert("pullSecret".into(), json!(v));
        }
        if let Some(v) = &s.platforms {
            common.insert("platforms".into(), json!(v));
        }
        if !common.is_empty() || s.strategy.is_some() {
            common.insert(
                "updateStrategy".into(),
                json!(s.strategy.as_deref().unwrap_or("semver")),
            );
            entry.insert("commonUpdateSettings".into(), Value::Object(common));
        }
        if let Some(h) = &s.helm {
            let mut helm = Map::new();
            for (k, v) in [("name", &h.name), ("tag", &h.tag), ("spec", &h.spec)] {
                if let Some(v) = v {
                    helm.insert(k.into(), json!(v));
                }
            }
            entry.insert("manifestTargets".into(), json!({ "helm": helm }));
            if let Some(k) = &img.kustomize_name {
                out.remarks.push(Remark::new(
                    RemarkKind::NoEquivalent,
                    k.origin,
                    format!("images[{i}].kustomize_name"),
                    "manifestTargets holds one target and Helm's is written; the kustomize image name is left out",
                ));
            }
        } else if let Some(k) = &s.kustomize_name {
            entry.insert(
                "manifestTargets".into(),
                json!({ "kustomize": { "name": k } }),
            );
        }
        images.push(Value::Object(entry));
    }
    if images.is_empty() {
        out.remarks.push(Remark::new(
            RemarkKind::Skipped,
            None,
            "images",
            "no image could be written; an applicationRef needs at least one",
        ));
        out.documents.clear();
        return out;
    }
    if images.is_empty() {
        return out;
    }
    let mut spec = Map::new();
    spec.insert(
        "applicationRefs".into(),
        json!([{ "namePattern": app, "images": images }]),
    );
    let mut wb = Map::new();
    if let Some(m) = &u.write {
        let text = argo::write_method_text(&m.value);
        if method_ok(&text) {
            wb.insert("method".into(), json!(text));
        } else {
            out.remarks.push(Remark::new(
                RemarkKind::NoEquivalent,
                m.origin,
                "write",
                format!("the CRD refuses the method {text:?}; written as \"git\""),
            ));
            wb.insert("method".into(), json!("git"));
        }
    }
    let g = &u.git;
    let s = argo::value_of;
    let mut git = Map::new();
    if let Some(r) = s(&g.repository) {
        git.insert("repository".into(), json!(r));
    }
    if let Some(b) = argo::branch_text(s(&g.checkout_branch), s(&g.push_branch)) {
        git.insert("branch".into(), json!(b));
    }
    if let Some(t) = s(&g.target) {
        git.insert("writeBackTarget".into(), json!(t));
    }
    if !git.is_empty() {
        wb.insert("gitConfig".into(), Value::Object(git));
    }
    if !wb.is_empty() {
        spec.insert("writeBackConfig".into(), Value::Object(wb));
    }
    out.remarks.extend(argo::flux_git_remarks(u, to));
    argo::dedup(&mut out.remarks);
    out.documents.push(json!({
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": { "name": name, "namespace": namespace },
        "spec": spec,
    }));
    out
}

/// The same Masterminds range with no `=`: `>=X` is `>X || X` and `<=X`
/// is `<X || X` (a bare version is an equality, partial ones included, so
/// the union is exact), distributed over each AND group. `None` for `!=`.
pub fn without_equals(range: &str) -> Option<String> {
    let mut groups_out: Vec<String> = Vec::new();
    for group in range.split("||") {
        // `>= 1.0` and `>=1.0` are the same comparator.
        let mut joined = String::new();
        let mut pending_op = false;
        for part in group.split([' ', ',']).filter(|p| !p.is_empty()) {
            if pending_op {
                joined.push_str(part);
            } else {
                if !joined.is_empty() {
                    joined.push(' ');
                }
                joined.push_str(part);
            }
            pending_op = matches!(part, ">=" | "<=" | "=" | ">" | "<" | "~" | "^" | "!=");
        }
        let mut alternatives: Vec<Vec<String>> = vec![Vec::new()];
        for token in joined.split(' ').filter(|t| !t.is_empty()) {
            let options: Vec<String> = if let Some(v) = token.strip_prefix(">=") {
                vec![format!(">{v}"), v.to_owned()]
            } else if let Some(v) = token.strip_prefix("<=") {
                vec![format!("<{v}"), v.to_owned()]
            } else if token.starts_with("!=") {
                return None;
            } else if let Some(v) = token.strip_prefix('=') {
                vec![v.to_owned()]
            } else {
                vec![token.to_owned()]
            };
            alternatives = alternatives
                .iter()
                .flat_map(|a| {
                    options.iter().map(move |o| {
                        let mut next = a.clone();
                        next.push(o.clone());
                        next
                    })
                })
                .collect();
        }
        groups_out.extend(alternatives.into_iter().map(|a| a.join(" ")));
    }
    let out = groups_out.join(" || ");
    (!out.contains('=') && !out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::argo::tests::{app, assert_same, reread, ws_of};

    fn read_text(text: &str) -> Vec<Updater> {
        let ws = ws_of(&[("cr.yaml", text)]);
        read(&ws, &Model::build(&ws))
    }

    fn kinds(remarks: &[Remark]) -> Vec<(RemarkKind, String)> {
        remarks.iter().map(|r| (r.kind, r.field.clone())).collect()
    }

    fn has(remarks: &[Remark], kind: RemarkKind, field: &str) -> bool {
        remarks.iter().any(|r| r.kind == kind && r.field == field)
    }

    const CR: &str = "\
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: platform
  namespace: apps
spec:
  namespace: old
  imagesVerification:
    enabled: false
  commonUpdateSettings:
    updateStrategy: newest-build
    allowTags: regexp:^main-
    ignoreTags: ['*-debug']
    forceUpdate: true
    pullSecret: pullsecret:apps/regcred
    platforms: [linux/amd64]
  writeBackConfig:
    method: git:secret:apps/git
    gitConfig:
      repository: https://git.example.com/deploy.git
      branch: main
      writeBackTarget: kustomization
  applicationRefs:
    - namePattern: shop-*
      useAnnotations: true
    - namePattern: payments
      labelSelectors:
        matchLabels: {team: payments}
      commonUpdateSettings:
        allowTags: any
      writeBackConfig:
        gitConfig:
          branch: ':upd-{{.SHA256}}'
          pullRequest: {github: {}}
      images:
        - alias: gateway
          imageName: registry.example.com/pay/gateway:>=3.8, <4
          commonUpdateSettings:
            updateStrategy: Semver
            ignoreTags: []
          manifestTargets:
            kustomize:
              name: registry.example.com/pay/gateway
        - alias: ledger
          imageName: registry.example.com/pay/ledger:stable
          imagesVerification: {enabled: false}
          commonUpdateSettings:
            updateStrategy: digest
            forceUpdate: false
            pullSecret: env:CREDS
          manifestTargets:
            helm: {name: ledger.repo, tag: ledger.tag}
        - alias: model
          imageName: registry.example.com/pay/model
          manifestTargets:
            plugin: {name: MODEL}
    - namePattern: reports
      images:
        - alias: api
          imageName: ghcr.io/org/api:~2
          commonUpdateSettings:
            platforms: [linux/arm64]
";

    #[test]
    fn every_level_is_read_with_inheritance() {
        let all = read_text(CR);
        assert_eq!(all.len(), 2);
        let (pay, rep) = (&all[0], &all[1]);
        assert_eq!(pay.name, "platform-payments");
        assert_eq!(rep.name, "platform-reports");
        assert_eq!(pay.namespace.as_deref(), Some("apps"));
        assert_eq!(
            pay.app.name.as_ref().map(|f| f.value.as_str()),
            Some("payments")
        );
        assert_eq!(
            pay.app.namespace.as_ref().map(|f| f.value.as_str()),
            Some("apps")
        );
        assert_eq!(pay.from.map(|f| f.0), Some(Dialect::ArgocdCrd));

        let gw = &pay.images[0];
        assert_eq!(gw.alias.as_ref().map(|a| a.value.as_str()), Some("gateway"));
        assert_eq!(gw.name.value, "registry.example.com/pay/gateway");
        assert_eq!(
            gw.constraint.as_ref().map(|c| c.value.as_str()),
            Some(">=3.8, <4")
        );
        let span = |f: Option<crate::export::spec::Origin>| f.map(|o| o.span.text(CR));
        assert_eq!(
            span(gw.constraint.as_ref().and_then(|c| c.origin)),
            Some(">=3.8, <4")
        );
        assert_eq!(
            gw.strategy.as_ref().map(|s| s.value),
            Some(Strategy::Semver)
        );
        // `any` at the ref level overrides the spec's regexp.
        assert_eq!(gw.tag_pattern, None);
        // An explicit empty list overrides, and reads as none.
        assert_eq!(gw.ignore_tags, None);
        assert_eq!(gw.force_update.as_ref().map(|f| f.value), Some(true));
        assert_eq!(
            gw.pull_secret.as_ref().map(|p| p.value.clone()),
            Some(PullSecret::Secret {
                namespace: Some("apps".into()),
                name: "regcred".into()
            })
        );
        assert_eq!(
            gw.platforms.as_ref().map(|p| p.value.clone()),
            Some(vec!["linux/amd64".to_owned()])
        );
        assert_eq!(
            gw.kustomize_name.as_ref().map(|k| k.value.as_str()),
            Some("registry.example.com/pay/gateway")
        );

        let ledger = &pay.images[1];
        assert_eq!(
            ledger.strategy.as_ref().map(|s| s.value),
            Some(Strategy::Digest)
        );
        assert_eq!(
            ledger.constraint.as_ref().map(|c| c.value.as_str()),
            Some("stable")
        );
        assert_eq!(ledger.force_update.as_ref().map(|f| f.value), Some(false));
        assert_eq!(
            ledger.ignore_tags.as_ref().map(|f| f.value.clone()),
            Some(vec!["*-debug".to_owned()])
        );
        assert_eq!(
            ledger.pull_secret.as_ref().map(|p| p.value.clone()),
            Some(PullSecret::Other("env:CREDS".into()))
        );
        let helm = ledger.helm.as_ref().expect("helm");
        assert_eq!(
            helm.name.as_ref().map(|f| f.value.as_str()),
            Some("ledger.repo")
        );
        assert_eq!(
            helm.tag.as_ref().map(|f| f.value.as_str()),
            Some("ledger.tag")
        );
        assert_eq!(helm.spec, None);

        let model = &pay.images[2];
        assert_eq!(model.constraint, None);
        assert_eq!(
            model.strategy.as_ref().map(|s| s.value),
            Some(Strategy::NewestBuild)
        );

        // Write-back: method from the spec, branch from the ref, the rest
        // from the spec.
        assert_eq!(
            pay.write.as_ref().map(|w| w.value.clone()),
            Some(WriteMethod::Git {
                credentials: Some("secret:apps/git".into())
            })
        );
        assert_eq!(pay.git.checkout_branch, None);
        assert_eq!(
            pay.git.push_branch.as_ref().map(|b| b.value.as_str()),
            Some("upd-{{.SHA256}}")
        );
        assert_eq!(
            pay.git.repository.as_ref().map(|r| r.value.as_str()),
            Some("https://git.example.com/deploy.git")
        );
        assert_eq!(
            pay.git.target.as_ref().map(|t| t.value.as_str()),
            Some("kustomization")
        );
        assert_eq!(
            rep.git.checkout_branch.as_ref().map(|b| b.value.as_str()),
            Some("main")
        );

        let api = &rep.images[0];
        assert_eq!(
            api.strategy.as_ref().map(|s| s.value),
            Some(Strategy::NewestBuild)
        );
        assert_eq!(
            api.tag_pattern.as_ref().map(|t| t.value.as_str()),
            Some("^main-")
        );
        assert_eq!(
            span(api.tag_pattern.as_ref().and_then(|t| t.origin)),
            Some("^main-")
        );
        assert_eq!(
            api.platforms.as_ref().map(|p| p.value.clone()),
            Some(vec!["linux/arm64".to_owned()])
        );

        let r = &pay.dropped;
        for (kind, field) in [
            (RemarkKind::NoEquivalent, "spec.namespace"),
            (RemarkKind::NoEquivalent, "spec.imagesVerification"),
            (
                RemarkKind::NoEquivalent,
                "spec.applicationRefs[1].labelSelectors",
            ),
            (
                RemarkKind::NoEquivalent,
                "spec.applicationRefs[1].writeBackConfig.gitConfig.pullRequest",
            ),
            (
                RemarkKind::NoEquivalent,
                "spec.applicationRefs[1].images[1].imagesVerification",
            ),
            (
                RemarkKind::NoEquivalent,
                "spec.applicationRefs[1].images[2].manifestTargets.plugin",
            ),
            (
                RemarkKind::Skipped,
                "spec.applicationRefs[0].useAnnotations",
            ),
            // The ref's block (allowTags only) hides newest-build and
            // forceUpdate on CRDs v1.0–v1.3.
            (
                RemarkKind::Normalized,
                "spec.applicationRefs[1].commonUpdateSettings",
            ),
        ] {
            assert!(has(r, kind, field), "{kind:?} {field}: {:?}", kinds(r));
        }
        assert!(
            !has(
                r,
                RemarkKind::Normalized,
                "spec.applicationRefs[1].images[1].commonUpdateSettings"
            ),
            "the ledger block sets both"
        );
        assert!(has(
            &rep.dropped,
            RemarkKind::Normalized,
            "spec.applicationRefs[2].images[0].commonUpdateSettings"
        ));
        assert!(!has(
            &rep.dropped,
            RemarkKind::Skipped,
            "spec.applicationRefs[0].useAnnotations"
        ));
    }

    #[test]
    fn one_exported_ref_keeps_the_cr_name_and_use_annotations_alone_is_carried() {
        let one = CR.replace("    - namePattern: reports\n      images:\n        - alias: api\n          imageName: ghcr.io/org/api:~2\n          commonUpdateSettings:\n            platforms: [linux/arm64]\n", "");
        let all = read_text(&one);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].name, "platform");

        let only = "apiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\nmetadata:\n  name: legacy\n  namespace: argocd\nspec:\n  applicationRefs:\n    - namePattern: shop\n      useAnnotations: true\n";
        let application = app("shop", &[("image-list", "web=nginx")]);
        let ws = ws_of(&[("cr.yaml", only), ("app.yaml", &application)]);
        let all = read(&ws, &Model::build(&ws));
        assert_eq!(all.len(), 1);
        assert!(all[0].images.is_empty());
        let r = &all[0].dropped[0];
        assert_eq!(r.kind, RemarkKind::Skipped);
        let o = r.origin.expect("origin");
        assert_eq!(ws.files[o.file].path, "app.yaml");
        assert_eq!(
            o.span.text(&application),
            "argocd-image-updater.argoproj.io/image-list"
        );
        // Writers skip it.
        assert!(
            write(&all[0], &WriteOptions::default())
                .documents
                .is_empty()
        );
        assert!(
            argo::write(&all[0], &WriteOptions::default())
                .documents
                .is_empty()
        );
    }

    /// What writing a CR adds: `updateStrategy: semver` wherever an image
    /// has settings and no strategy.
    fn with_explicit_semver(u: &Updater) -> Updater {
        let mut u = u.clone();
        for i in &mut u.images {
            let settings = i.tag_pattern.is_some()
                || i.ignore_tags.is_some()
                || i.force_update.is_some()
                || i.pull_secret.is_some()
                || i.platforms.is_some();
            if settings && i.strategy.is_none() {
                i.strategy = Some(Field::made(Strategy::Semver));
            }
        }
        u
    }

    #[test]
    fn ranges_are_rewritten_without_equals() {
        for (from, to) in [
            (">=1.2", Some(">1.2 || 1.2")),
            (">= 1.2, <2", Some(">1.2 <2 || 1.2 <2")),
            (
                ">=3.1.0 <=4",
                Some(">3.1.0 <4 || >3.1.0 4 || 3.1.0 <4 || 3.1.0 4"),
            ),
            ("~1 || >=2", Some("~1 || >2 || 2")),
            ("=1.0.0", Some("1.0.0")),
            ("!=1.0.0", None),
        ] {
            assert_eq!(without_equals(from).as_deref(), to, "{from}");
        }
        // Every tag the original admits, the rewrite admits, and no other.
        use crate::resolve::constraint::Constraint;
        let tags = [
            "0.9.0", "1.0.0", "1.2.0", "1.2.5", "1.3.0", "1.9.9", "2.0.0", "3.0.9", "3.1.0",
            "3.1.4", "3.9.0", "4.0.0", "4.0.1", "4.1.0", "5.0.0",
        ];
        for range in [
            ">=1.2",
            ">= 1.2, <2",
            ">=3.1.0 <=4",
            "<=3.1",
            ">=1.2.5 <=1.9.9",
            ">=3.1.0 <4.0.0",
        ] {
            let a = Constraint::parse(range).expect("range");
            let rewritten = without_equals(range).expect("rewrite");
            let b = Constraint::parse(&rewritten).expect("rewritten range");
            for t in tags {
                let v = crate::resolve::version::Version::parse_argo(t).expect("version");
                assert_eq!(
                    a.matches(&v),
                    b.matches(&v),
                    "{range} vs {rewritten} on {t}"
                );
            }
        }
    }

    #[test]
    fn cr_round_trips_through_the_spec() {
        // `>=` is rewritten for imageName (see `write`); the rest of the
        // fixture goes through unchanged.
        for u in read_text(&CR.replace(">=3.8, <4", "^3.8")) {
            let w = write(&u, &WriteOptions::default());
            let back = reread(&w);
            assert_eq!(back.len(), 1, "{:?}", w.remarks);
            assert_same(&back[0], &with_explicit_semver(&u));
            assert_eq!(
                write(&back[0], &WriteOptions::default()).documents,
                w.documents
            );
        }
    }

    #[test]
    fn annotations_round_trip_through_the_cr() {
        let text = app(
            "shop",
            &[
                ("image-list", "web=nginx:~1.26,api=ghcr.io/org/api:^2.0"),
                ("update-strategy", "newest-build"),
                ("web.allow-tags", "regexp:^1\\.26"),
                ("web.platforms", "linux/amd64,linux/arm64"),
                ("api.kustomize.image-name", "ghcr.io/org/api"),
                ("api.helm.image-tag", "api.tag"),
                ("api.pull-secret", "pullsecret:argocd/reg"),
                ("write-back-method", "git"),
                ("git-branch", "main:upd"),
                ("write-back-target", "kustomization:../base"),
            ],
        );
        let ws = ws_of(&[("app.yaml", &text)]);
        let a = argo::read(&ws, &Model::build(&ws)).remove(0);
        let cr = write(&a, &WriteOptions::default());
        // Both targets: the CRD takes one.
        assert_eq!(
            kinds(&cr.remarks),
            [(
                RemarkKind::NoEquivalent,
                "images[1].kustomize_name".to_owned()
            )]
        );
        let b = reread(&cr).remove(0);
        let mut want = a.clone();
        want.images[1].kustomize_name = None;
        assert_same(&b, &want);
        let c = reread(&argo::write(&b, &WriteOptions::default())).remove(0);
        assert_same(&c, &want);
    }

    /// Every property path the CRD (v1.3 / master schema of
    /// imageupdaters.argocd-image-updater.argoproj.io) defines under the
    /// parts we write, with its type; `[]` stands for a list item.
    const SCHEMA: &[(&str, &str)] = &[
        ("apiVersion", "string"),
        ("kind", "string"),
        ("metadata", "object"),
        ("metadata.name", "string"),
        ("metadata.namespace", "string"),
        ("spec", "object"),
        ("spec.applicationRefs", "array"),
        ("spec.applicationRefs[]", "object"),
        ("spec.applicationRefs[].namePattern", "string"),
        ("spec.applicationRefs[].images", "array"),
        ("spec.applicationRefs[].images[]", "object"),
        ("spec.applicationRefs[].images[].alias", "string"),
        ("spec.applicationRefs[].images[].imageName", "string"),
        (
            "spec.applicationRefs[].images[].commonUpdateSettings",
            "object",
        ),
        (
            "spec.applicationRefs[].images[].commonUpdateSettings.allowTags",
            "string",
        ),
        (
            "spec.applicationRefs[].images[].commonUpdateSettings.forceUpdate",
            "boolean",
        ),
        (
            "spec.applicationRefs[].images[].commonUpdateSettings.ignoreTags",
            "array",
        ),
        (
            "spec.applicationRefs[].images[].commonUpdateSettings.ignoreTags[]",
            "string",
        ),
        (
            "spec.applicationRefs[].images[].commonUpdateSettings.platforms",
            "array",
        ),
        (
            "spec.applicationRefs[].images[].commonUpdateSettings.platforms[]",
            "string",
        ),
        (
            "spec.applicationRefs[].images[].commonUpdateSettings.pullSecret",
            "string",
        ),
        (
            "spec.applicationRefs[].images[].commonUpdateSettings.updateStrategy",
            "string",
        ),
        ("spec.applicationRefs[].images[].manifestTargets", "object"),
        (
            "spec.applicationRefs[].images[].manifestTargets.helm",
            "object",
        ),
        (
            "spec.applicationRefs[].images[].manifestTargets.helm.name",
            "string",
        ),
        (
            "spec.applicationRefs[].images[].manifestTargets.helm.tag",
            "string",
        ),
        (
            "spec.applicationRefs[].images[].manifestTargets.helm.spec",
            "string",
        ),
        (
            "spec.applicationRefs[].images[].manifestTargets.kustomize",
            "object",
        ),
        (
            "spec.applicationRefs[].images[].manifestTargets.kustomize.name",
            "string",
        ),
        ("spec.writeBackConfig", "object"),
        ("spec.writeBackConfig.method", "string"),
        ("spec.writeBackConfig.gitConfig", "object"),
        ("spec.writeBackConfig.gitConfig.repository", "string"),
        ("spec.writeBackConfig.gitConfig.branch", "string"),
        ("spec.writeBackConfig.gitConfig.writeBackTarget", "string"),
    ];

    fn walk(v: &Value, path: &str, out: &mut Vec<(String, &'static str)>) {
        let kind = match v {
            Value::Object(m) => {
                for (k, c) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(c, &p, out);
                }
                "object"
            }
            Value::Array(items) => {
                for c in items {
                    walk(c, &format!("{path}[]"), out);
                }
                "array"
            }
            Value::String(_) => "string",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::Null => "null",
        };
        if !path.is_empty() {
            out.push((path.to_owned(), kind));
        }
    }

    use crate::model::argo::alias_syntax_ok as alias_ok;

    #[track_caller]
    fn assert_valid(doc: &Value) {
        let mut paths = Vec::new();
        walk(doc, "", &mut paths);
        for (p, kind) in &paths {
            let known = SCHEMA.iter().find(|(s, _)| s == p);
            assert_eq!(
                known.map(|k| k.1),
                Some(*kind),
                "{p} ({kind}) is not in the schema"
            );
        }
        assert_eq!(doc["apiVersion"], API_VERSION);
        assert_eq!(doc["kind"], KIND);
        assert!(doc["spec"].get("namespace").is_none());
        let name = doc["metadata"]["name"].as_str().expect("name");
        assert_eq!(k8s_name(name), name);
        let refs = doc["spec"]["applicationRefs"].as_array().expect("refs");
        assert!(!refs.is_empty());
        for r in refs {
            assert!(r["namePattern"].is_string());
            let images = r["images"].as_array().expect("images");
            assert!(!images.is_empty());
            let mut seen = HashSet::new();
            for i in images {
                let alias = i["alias"].as_str().expect("alias");
                assert!(alias_ok(alias) && seen.insert(alias), "{alias}");
                assert!(i["imageName"].as_str().is_some_and(|n| !n.is_empty()));
                if let Some(c) = i.get("commonUpdateSettings") {
                    assert!(c["updateStrategy"].is_string(), "{c}");
                }
                if let Some(t) = i.get("manifestTargets") {
                    assert_eq!(t.as_object().map(|m| m.len()), Some(1));
                    if let Some(k) = t.get("kustomize") {
                        assert!(k["name"].is_string());
                    }
                }
            }
        }
        if let Some(m) = doc["spec"].pointer("/writeBackConfig/method") {
            assert!(method_ok(m.as_str().expect("string")), "{m}");
        }
    }

    #[test]
    fn written_crs_fit_the_schema() {
        let mut us = read_text(CR);
        let ws = ws_of(&[(
            "app.yaml",
            &app(
                "Shop_App",
                &[
                    ("image-list", "nginx:1.x,x/-bad,y=ghcr.io/y:>=1,z=a/b,z=a/c"),
                    ("y.allow-tags", "regexp:^1"),
                    ("write-back-method", "git:"),
                ],
            ),
        )]);
        us.extend(argo::read(&ws, &Model::build(&ws)));
        for u in &us {
            let w = write(u, &WriteOptions::default());
            assert_eq!(w.documents.len(), 1, "{:?}", w.remarks);
            assert_valid(&w.documents[0]);
        }
        let w = write(us.last().expect("app"), &WriteOptions::default());
        let doc = &w.documents[0];
        assert_eq!(doc["metadata"]["name"], "shop-app");
        assert_eq!(doc["spec"]["applicationRefs"][0]["namePattern"], "Shop_App");
        assert_eq!(doc["spec"]["writeBackConfig"]["method"], "git");
        let aliases: Vec<&str> = doc["spec"]["applicationRefs"][0]["images"]
            .as_array()
            .expect("images")
            .iter()
            .filter_map(|i| i["alias"].as_str())
            .collect();
        assert_eq!(aliases, ["nginx", "bad", "y", "z", "c"]);
        // `ghcr.io/y:>=1` would read as alias `ghcr.io/y:>`.
        let y = &doc["spec"]["applicationRefs"][0]["images"][2];
        assert_eq!(y["imageName"], "ghcr.io/y:>1 || 1");
        assert!(has(
            &w.remarks,
            RemarkKind::Normalized,
            "images[2].constraint"
        ));
        for (kind, field) in [
            (RemarkKind::Normalized, "metadata.name"),
            (RemarkKind::Normalized, "images[0].alias"),
            (RemarkKind::Normalized, "images[1].alias"),
            (RemarkKind::Normalized, "images[4].alias"),
            (RemarkKind::NoEquivalent, "write"),
        ] {
            assert!(
                has(&w.remarks, kind, field),
                "{kind:?} {field}: {:?}",
                kinds(&w.remarks)
            );
        }
    }

    #[test]
    fn namespace_comes_from_the_options_the_app_or_a_default() {
        let mut u = read_text(CR).remove(1);
        let opts = WriteOptions {
            namespace: Some("team".into()),
        };
        assert_eq!(
            write(&u, &opts).documents[0]["metadata"]["namespace"],
            "team"
        );
        assert_eq!(
            write(&u, &WriteOptions::default()).documents[0]["metadata"]["namespace"],
            "apps"
        );
        u.namespace = None;
        u.app.namespace = None;
        let w = write(&u, &WriteOptions::default());
        assert_eq!(w.documents[0]["metadata"]["namespace"], "argocd");
        assert!(has(
            &w.remarks,
            RemarkKind::Normalized,
            "metadata.namespace"
        ));
        u.images.clear();
        let w = write(&u, &WriteOptions::default());
        assert!(w.documents.is_empty());
        assert!(has(&w.remarks, RemarkKind::Skipped, "images"));
    }

    #[test]
    fn names_and_methods() {
        assert_eq!(k8s_name("Podinfo_Automation"), "podinfo-automation");
        assert_eq!(k8s_name("platform-shop-*"), "platform-shop");
        assert_eq!(k8s_name("--"), "image-updater");
        assert_eq!(k8s_name(&"a".repeat(300)).len(), 253);
        for ok in ["argocd", "git", "git:repocreds", "git:secret:ns/name"] {
            assert!(method_ok(ok), "{ok}");
        }
        for bad in ["git:", "git::x", "svn", "git:-x"] {
            assert!(!method_ok(bad), "{bad}");
        }
    }

    #[test]
    fn never_panics_on_damaged_crs() {
        let mut rng = crate::testutil::Rng::new(0xC0FFEE);
        let m = crate::testutil::Mutation {
            inserts: &[
                "\n", "  ", ":", "- ", "[", "{", "'", "=", ",", "@", "regexp:",
            ],
            max_edits: 4,
            max_cut: 30,
            max_copy: 60,
            junk: Some("ab:=,'\" \n-[]"),
        };
        for _ in 0..300 {
            let text = rng.mutate(CR, &m);
            for u in read_text(&text) {
                let _ = write(&u, &WriteOptions::default());
                let _ = argo::write(&u, &WriteOptions::default());
            }
        }
    }
}
