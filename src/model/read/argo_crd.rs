//! The Argo CD Image Updater `ImageUpdater` CR (argocd-image-updater.argoproj.io
//! v1alpha1, v1.3 schema; argocd.md §2½) read into [`Updater`]s, one per
//! applicationRef. Value conversions are shared with the annotation
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
//! Scope ([`super::argo_scope`]): each updater lists, in
//! `Updater::applications`, the Applications of the CR's namespace its
//! ref drives (namePattern glob, most specific ref first); under v0 every
//! CR updater is `Updater::inactive`. `imagesVerification` (image > ref >
//! spec, the most specific block) is read into `Image::verification` and
//! `gitConfig.pullRequest` (ref over spec, wholesale) into
//! `Updater::pull_request`, for preview and apply to say they are not
//! performed offline; export still drops them (IU701).
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
//! (writers skip it). That updater also keeps every setting of the CR as
//! written (`Updater::written`), at every level, for validate.
//!

use std::collections::HashSet;

use super::At;
use super::argo;
use super::argo_scope::Pick;
use crate::discover::Workspace;
use crate::model::argo::{
    self as model_argo, CR_GROUP, CR_KIND, Generation, ImagesVerification, PullRequest,
};
use crate::model::object::str_at;
use crate::model::spec::{
    AsWritten, Dialect, Engine, Field, HelmTarget, Image, Origin, PullSecret, Remark, RemarkKind,
    SettingName, Strategy, Updater, WriteMethod,
};
use crate::model::{Model, Object, image};
use crate::yaml::NodeId;

pub fn read(ws: &Workspace, model: &Model) -> Vec<Updater> {
    read_scoped(ws, model, &super::argo_scope::picks(ws, model))
}

/// [`read`] with the scope `model::read::updaters` computed once for
/// both Argo readers.
pub fn read_scoped(ws: &Workspace, model: &Model, picks: &[Pick]) -> Vec<Updater> {
    let mut out = Vec::new();
    for (ci, o) in model.objects.iter().enumerate() {
        if o.group() == CR_GROUP && o.kind() == CR_KIND {
            let from = out.len();
            read_cr(ws, model, (picks, ci), o, &mut out);
            for u in &mut out[from..] {
                scope(ws, model, picks, ci, u);
            }
        }
    }
    out
}

/// The Applications the updater's ref drives (v1), or why nothing runs
/// it (v0 reads no CR).
fn scope(ws: &Workspace, model: &Model, picks: &[Pick], ci: usize, u: &mut Updater) {
    if model.argo.generation == Generation::V0 {
        u.inactive = Some("v0 ignores ImageUpdater CRs (--argocd-image-updater v0)".to_owned());
        return;
    }
    let Some(ri) = u.from.and_then(|(_, from)| {
        let cr = &model.objects[ci];
        let yaml = ws.files[cr.file].yaml.as_ref()?;
        let spec = cr.spec(yaml)?;
        model_argo::application_refs(yaml, spec)
            .iter()
            .position(|r| yaml.node(r.node).span == from.span)
    }) else {
        return;
    };
    u.applications = picks
        .iter()
        .filter(|p| p.cr == ci && p.r == ri && !p.use_annotations)
        .filter_map(|p| {
            let app = &model.objects[p.app];
            let yaml = ws.files[app.file].yaml.as_ref()?;
            Some(Origin {
                file: app.file,
                span: yaml.node(app.root).span,
            })
        })
        .collect();
}

/// An `allowTags` as read at one level.
#[derive(Debug, Clone)]
enum Allow {
    Any,
    Regexp(Field<String>),
    /// Neither `any` nor `regexp:`, verbatim: the controller matches no tag.
    Nothing(Field<String>),
}

/// One `commonUpdateSettings` block; `None` inherits.
#[derive(Debug, Clone, Default)]
struct Level {
    strategy: Option<Field<Strategy>>,
    /// `Some(None)`: explicitly any tag.
    allow: Option<Allow>,
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
                argo::AllowTags::Any => l.allow = Some(Allow::Any),
                argo::AllowTags::Regexp { re, at: start } => {
                    l.allow = Some(Allow::Regexp(Field::new(
                        re.to_owned(),
                        Some(at.sub(v.node, start..v.value.len())),
                    )))
                }
                argo::AllowTags::Nothing => {
                    l.allow = Some(Allow::Nothing(at.field(v.value.clone(), v.node)));
                    dropped.push(Remark::new(
                        RemarkKind::NoEquivalent,
                        Some(at.node(v.node)),
                        field("allowTags"),
                        format!(
                            "{:?} is neither `any` nor `regexp:<expr>`: the updater matches no tag with it; left out",
                            v.value
                        ),
                    ));
                }
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
            hidden.push(format!("updateStrategy {}", s.value.name()));
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
                    "{}{} (v1.4); CRDs v1.0–v1.3 default this block to semver / false instead",
                    crd_default::PREFIX,
                    hidden.join(" and ")
                ),
            )
        })
    }
}

/// The remark `Level::defaulting` leaves where the CRDs' defaults
/// (v1.0–v1.3) and their absence (v1.4, #1782) give different answers;
/// validate reports it (IU421).
pub mod crd_default {
    use crate::model::spec::{Origin, Remark, RemarkKind};

    pub const PREFIX: &str = "read as inheriting ";

    /// What one such remark says.
    pub struct CrdDefault {
        pub block: Option<Origin>,
        /// `updateStrategy` / `forceUpdate`, joined.
        pub keys: String,
        /// `updateStrategy: newest-build`, joined.
        pub inherited: String,
        /// `updateStrategy: semver`, joined.
        pub defaulted: String,
    }

    pub fn of(r: &Remark) -> Option<CrdDefault> {
        if r.kind != RemarkKind::Normalized {
            return None;
        }
        let rest = r.message.strip_prefix(PREFIX)?;
        let hidden = rest.split(" (v1.4)").next()?;
        let mut keys = Vec::new();
        let mut inherited = Vec::new();
        let mut defaulted = Vec::new();
        for part in hidden.split(" and ") {
            let (key, value) = part.split_once(' ')?;
            keys.push(key.to_owned());
            inherited.push(format!("{key}: {value}"));
            defaulted.push(match key {
                "updateStrategy" => "updateStrategy: semver".to_owned(),
                _ => format!("{key}: false"),
            });
        }
        Some(CrdDefault {
            block: r.origin,
            keys: keys.join(" and "),
            inherited: inherited.join(" and "),
            defaulted: defaulted.join(" and "),
        })
    }
}

/// One `writeBackConfig`; `None` inherits.
#[derive(Debug, Clone, Default)]
struct WriteBack {
    method: Option<Field<WriteMethod>>,
    /// A method no controller knows, verbatim; it overrides like `method`.
    unknown: Option<Field<String>>,
    repository: Option<Field<String>>,
    branch: Option<(String, NodeId)>,
    target: Option<Field<String>>,
    /// `gitConfig.pullRequest`; a lower level's replaces a higher one's.
    pull_request: Option<Field<PullRequest>>,
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
                None => {
                    w.unknown = Some(at.field(v.value.clone(), v.node));
                    dropped.push(Remark::new(
                        RemarkKind::NoEquivalent,
                        Some(at.node(v.node)),
                        format!("{field}.method"),
                        format!(
                            "{:?} is not a write-back method (argocd, git, git:<credentials>)",
                            v.value
                        ),
                    ));
                }
            }
        }
        if let Some(g) = y.get(node, "gitConfig") {
            let s = |key: &str| str_at(y, g, &[key]).filter(|v| !v.value.is_empty());
            w.repository = s("repository").map(|v| at.field(v.value, v.node));
            w.target = s("writeBackTarget").map(|v| at.field(v.value, v.node));
            w.branch = s("branch").map(|v| (v.value, v.node));
            if let Some((k, pr)) = y.entry(g, "pullRequest") {
                let providers = ["github", "gitlab"]
                    .into_iter()
                    .filter(|p| y.get(pr, p).is_some())
                    .map(str::to_owned)
                    .collect();
                let labels = y
                    .get(pr, "labels")
                    .map(|l| {
                        y.items(l)
                            .iter()
                            .filter_map(|&i| y.str(i).map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                w.pull_request = Some(at.field(PullRequest { providers, labels }, k));
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
        // A known or unknown method at this level overrides both below.
        let (method, unknown) = if self.method.is_some() || self.unknown.is_some() {
            (self.method.clone(), self.unknown.clone())
        } else {
            (base.method.clone(), base.unknown.clone())
        };
        WriteBack {
            method,
            unknown,
            repository: self.repository.clone().or_else(|| base.repository.clone()),
            branch: self.branch.clone().or_else(|| base.branch.clone()),
            target: self.target.clone().or_else(|| base.target.clone()),
            pull_request: self
                .pull_request
                .clone()
                .or_else(|| base.pull_request.clone()),
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

/// An `imagesVerification` block: `enabled` (default true when the block
/// is present; Go `ParseBool` spellings) and `cosignKey`.
fn verification(at: &At, node: Option<(NodeId, NodeId)>) -> Option<Field<ImagesVerification>> {
    let y = at.yaml;
    let (k, n) = node?;
    if !y.is_mapping(n) {
        return None;
    }
    let enabled = y
        .path_str(n, &["enabled"])
        .and_then(argo::bool_of)
        .unwrap_or(true);
    let s = |key: &str| {
        y.path_str(n, &["cosignKey", key])
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    Some(at.field(
        ImagesVerification {
            enabled,
            secret_name: s("secretName"),
            key: s("key"),
        },
        k,
    ))
}

/// A Kubernetes object name (DNS subdomain) made from `s`.
pub fn k8s_name(s: &str) -> String {
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

fn read_cr(
    ws: &Workspace,
    model: &Model,
    (picks, ci): (&[Pick], usize),
    o: &Object,
    out: &mut Vec<Updater>,
) {
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
    let global_verification = verification(&at, yaml.entry(spec, "imagesVerification"));
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
            skipped.push(use_annotations(ws, &at, model, (picks, ci, ri), r, &field));
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
        let ref_verification = verification(&at, yaml.entry(r.node, "imagesVerification"))
            .or_else(|| global_verification.clone());
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
            unknown_write: wb.unknown.clone(),
            from: Some((Dialect::ArgocdCrd, at.node(r.node))),
            ..Default::default()
        };
        u.app.name = Some(at.field(pattern.value.clone(), pattern.node));
        u.app.namespace = namespace.clone();
        u.git.repository = wb.repository.clone();
        u.git.target = wb.target.clone();
        u.pull_request = wb.pull_request.clone();
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
            if let Some(mut img) = read_image(&at, node, &field, &app_level, &mut dropped) {
                img.verification = verification(&at, yaml.entry(node, "imagesVerification"))
                    .or_else(|| ref_verification.clone());
                u.images.push(img);
            }
        }
        u.dropped = dropped;
        made.push(u);
    }
    match made.first_mut() {
        Some(first) => {
            first.dropped.extend(skipped);
            first.written = written(&at, spec);
        }
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
                written: written(&at, spec),
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

/// Every setting of the CR as written, for validate: each level's
/// `commonUpdateSettings` and `writeBackConfig`, and each image's
/// `imageName`, in refs that make no updater too. They are kept on the
/// CR's first updater, since several updaters share the top level.
fn written(at: &At, spec: NodeId) -> Vec<AsWritten> {
    let y = at.yaml;
    let mut out = Vec::new();
    // (node, whether it is an image entry), in source order.
    let levels = std::iter::once((spec, false)).chain(
        model_argo::application_refs(y, spec)
            .into_iter()
            .flat_map(|r| {
                std::iter::once((r.node, false)).chain(r.images.into_iter().map(|i| (i, true)))
            }),
    );
    for (node, image) in levels {
        if let Some(block) = y.get(node, "commonUpdateSettings") {
            use SettingName as S;
            for (key, setting) in [
                ("updateStrategy", S::UpdateStrategy),
                ("allowTags", S::AllowTags),
                ("pullSecret", S::PullSecret),
                ("forceUpdate", S::ForceUpdate),
            ] {
                out.extend(at.written(block, &[key], setting));
            }
            for (key, setting) in [("ignoreTags", S::IgnoreTags), ("platforms", S::Platforms)] {
                let Some((k, list)) = y.entry(block, key) else {
                    continue;
                };
                // One entry per item, each at its own bytes.
                out.extend(y.items(list).iter().filter_map(|&item| {
                    Some(AsWritten {
                        setting,
                        key: at.field(key.to_owned(), k),
                        value: Some(at.field(y.str(item)?.to_owned(), item)),
                    })
                }));
            }
        }
        if let Some(w) = y.get(node, "writeBackConfig").filter(|_| !image) {
            out.extend(at.written(w, &["method"], SettingName::WriteBackMethod));
            for (key, setting) in [
                ("repository", SettingName::GitRepository),
                ("branch", SettingName::GitBranch),
                ("writeBackTarget", SettingName::WriteBackTarget),
            ] {
                out.extend(at.written(w, &["gitConfig", key], setting));
            }
        }
        if image {
            out.extend(at.written(node, &["imageName"], SettingName::ImageName));
        }
    }
    out
}

/// The remark for a `useAnnotations` ref: at the `image-list` of the
/// first Application in the repository the ref drives (the reader's
/// scope), else at the `useAnnotations` key.
fn use_annotations(
    ws: &Workspace,
    at: &At,
    model: &Model,
    (picks, ci, ri): (&[Pick], usize, usize),
    r: &model_argo::ApplicationRef,
    field: &str,
) -> Remark {
    let pattern = r.name_pattern.as_ref().map_or("", |p| p.value.as_str());
    let annotated = picks
        .iter()
        .filter(|p| p.cr == ci && p.r == ri)
        .find_map(|p| {
            let a = &model.objects[p.app];
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
                " (no Application with an image-list that it drives is in the repository)"
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
        tag_pattern: match &l.allow {
            Some(Allow::Regexp(re)) => Some(re.clone()),
            _ => None,
        },
        matches_nothing: match l.allow {
            Some(Allow::Nothing(v)) => Some(v),
            _ => None,
        },
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
        if y.get(t, "plugin").is_some() {
            img.plugin = Some(HelmTarget {
                name: s(&["plugin", "name"]),
                tag: s(&["plugin", "tag"]),
                spec: s(&["plugin", "spec"]),
            });
        }
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
