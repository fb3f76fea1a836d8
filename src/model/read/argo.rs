//! Argo CD Image Updater annotations on an `Application` (argocd.md §1),
//! read into [`Updater`]s, one per Application carrying image-updater
//! annotations. Also owns the value conversions both Argo dialects share;
//! the `ImageUpdater` CR ([`super::argo_crd`]) reads through them, and
//! export writes back through their inverses.
//!
//!
//! Mapping (annotation key without the `argocd-image-updater.argoproj.io/`
//! prefix → spec):
//!
//! | Annotation | Spec |
//! |---|---|
//! | Application `metadata.name` / `namespace` | `name`, `app.name` / `namespace`, `app.namespace` |
//! | `image-list` item `[alias=]name[:constraint]` | `images[].alias`, `.name`, `.constraint` |
//! | `[<alias>.]update-strategy` | `strategy`: `semver`, `newest-build` (`latest`), `alphabetical` (`name`) → `Alphabetical{desc: false}`, `digest`; case-insensitive |
//! | `[<alias>.]allow-tags` | `tag_pattern`: `regexp:<re>` → `<re>`; `any` / empty → none |
//! | `[<alias>.]ignore-tags` | `ignore_tags` (split on commas) |
//! | `[<alias>.]force-update` | `force_update` (Go `ParseBool` spellings) |
//! | `[<alias>.]pull-secret` | `pull_secret`: `pullsecret:<ns>/<name>` → `Secret`, else `Other` verbatim |
//! | `<alias>.platforms` | `platforms` (split on commas; no app-wide key) |
//! | `<alias>.helm.image-name/-tag/-spec` | `helm.name/tag/spec` |
//! | `<alias>.kustomize.image-name` | `kustomize_name` |
//! | `write-back-method` | `write`: `argocd` → `InCluster`, `git[:<creds>]` → `Git{credentials}` |
//! | `git-branch` `base:template` / `:template` / `branch` | `git.checkout_branch` / `git.push_branch` |
//! | `git-repository` | `git.repository` |
//! | `write-back-target` | `git.target` |
//! | `<alias>.tag-match` (v0 only), unknown keys, keys of aliases not in `image-list` | dropped (IU701) |
//!
//! Reading, as the controller does (and as `model::target` previews it):
//! a per-alias key, when present, wins over the app-wide key even when it is
//! empty (v0); an empty value then means "unset". v1 (the generation
//! [`super::argo_scope`] decides) trims every value and reads an empty one
//! as unset, so a per-alias `""` inherits the app-wide value; and it reads
//! the annotations only of Applications a CR picks with `useAnnotations:
//! true`, the others' updaters carrying `Updater::inactive`. Alias-less items take only
//! the app-wide settings. An `image-list` item that does not parse, or the
//! alias-less `nginx:>=1.0` trap (the `=` starts an alias), is skipped
//! (IU702). `Image.name` is the repository exactly as written (`docker.io/
//! library/nginx` stays so); a digest in an item is dropped (IU701). An
//! unknown strategy reads as `semver`, the controller's fallback (IU703);
//! an `allow-tags` that is neither `any` nor `regexp:` (the controller
//! matches nothing), a `force-update` that is not a boolean, a
//! `write-back-method` that is not `argocd`/`git…`, and a `git-branch` with
//! two `:` are dropped (IU701). An Application with image-updater
//! annotations but no `image-list` reads as an updater without images
//! (IU702), so that validate still judges its annotations: every
//! annotation is kept as written in `Updater::written`.
//!
//! An ApplicationSet's `spec.template` is read as the Application it
//! generates (its metadata for the Application's), marked `templated`:
//! generator placeholders stay as written, for validate to leave alone.
//!

use std::ops::Range;

use super::At;
use super::argo_scope::Pick;
use crate::discover::Workspace;
use crate::model::argo::{
    self as model_argo, ANNOTATION_PREFIX, Annotation, AnnotationKey, Generation, Strategy as Argo,
};
pub use crate::model::argo::{AllowTags, allow_tags_of};
use crate::model::object::str_at;
use crate::model::spec::{
    AsWritten, Dialect, Engine, Field, HelmTarget, Image, PullSecret, Remark, RemarkKind,
    SettingName, Strategy, Updater, WriteMethod,
};
use crate::model::{Model, Object, image};
use crate::yaml::NodeId;

/// A strategy name as the controller reads it (case-insensitive, old
/// names accepted); `None` for names it does not know.
pub fn strategy_of(s: &str) -> Option<Strategy> {
    Argo::parse(s).map(|(a, _)| spec_strategy(a))
}

/// The spec's name for one of Argo's strategies.
pub fn spec_strategy(a: Argo) -> Strategy {
    match a {
        Argo::Semver => Strategy::Semver,
        Argo::NewestBuild => Strategy::NewestBuild,
        Argo::Alphabetical => Strategy::Alphabetical { desc: false },
        Argo::Digest => Strategy::Digest,
    }
}

/// Go's `strconv.ParseBool`, which v1 applies to `force-update`.
pub fn bool_of(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

pub fn pull_secret_of(s: &str) -> PullSecret {
    if let Some((ns, name)) = s
        .strip_prefix("pullsecret:")
        .and_then(|r| r.split_once('/'))
        && !ns.is_empty()
        && !name.is_empty()
        && !name.contains('/')
    {
        return PullSecret::Secret {
            namespace: Some(ns.to_owned()),
            name: name.to_owned(),
        };
    }
    PullSecret::Other(s.to_owned())
}

pub fn write_method_of(s: &str) -> Option<WriteMethod> {
    match s {
        "argocd" => Some(WriteMethod::InCluster),
        "git" => Some(WriteMethod::Git { credentials: None }),
        _ => s.strip_prefix("git:").map(|c| WriteMethod::Git {
            credentials: Some(c.to_owned()),
        }),
    }
}

/// `git-branch` / `gitConfig.branch` split into (checkout, push) byte
/// ranges of `s`; `None` for more than one `:` (a configuration error).
pub type BranchParts = (Option<Range<usize>>, Option<Range<usize>>);

pub fn split_branch(s: &str) -> Option<BranchParts> {
    let some = |r: Range<usize>| (!r.is_empty()).then_some(r);
    match s.find(':') {
        None => Some((some(0..s.len()), None)),
        Some(i) if s[i + 1..].contains(':') => None,
        Some(i) => Some((some(0..i), some(i + 1..s.len()))),
    }
}

/// Byte ranges, within a parsed item, of the repository as written (up to
/// the constraint or digest), the non-empty constraint and the digest.
pub fn image_ranges(p: &image::ArgoImage) -> (Range<usize>, Option<Range<usize>>) {
    let start = p.image_range().start;
    let end = p
        .constraint_range()
        .map(|r| r.start - 1)
        .or_else(|| p.digest_range().map(|r| r.start - 1))
        .unwrap_or(p.as_str().len());
    let constraint = p.constraint_range().filter(|r| !r.is_empty());
    (start..end.max(start), constraint)
}

/// True when `s` is a `filepath.Match` pattern rather than a name.
pub fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '[', '\\'])
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

pub fn is_app(o: &Object) -> bool {
    model_argo::is_application(
        o.api_version.as_ref().map_or("", |a| a.value.as_str()),
        o.kind(),
    )
}

pub fn read(ws: &Workspace, model: &Model) -> Vec<Updater> {
    read_scoped(ws, model, &super::argo_scope::picks(ws, model))
}

/// [`read`] with the scope `model::read::updaters` computed once for
/// both Argo readers.
pub fn read_scoped(ws: &Workspace, model: &Model, picks: &[Pick]) -> Vec<Updater> {
    let generation = model.argo.generation;
    model
        .objects
        .iter()
        .enumerate()
        .filter_map(|(ai, o)| {
            if !is_app(o) {
                let template = appset_template(ws, o)?;
                let mut u = read_app(ws, &template, generation)?;
                u.templated = true;
                return Some(u);
            }
            let mut u = read_app(ws, o, generation)?;
            if generation == Generation::V1 {
                u.inactive = unread(model, picks, ai);
            }
            Some(u)
        })
        .collect()
}

/// The Application an ApplicationSet generates, as its `spec.template`
/// writes it: the template's metadata stands for the Application's, so
/// its image-updater annotations are read like an Application's.
/// Placeholders stay as written (nothing here runs a generator).
fn appset_template(ws: &Workspace, o: &Object) -> Option<Object> {
    let api = o.api_version.as_ref().map_or("", |a| a.value.as_str());
    if o.kind() != "ApplicationSet" || !api.starts_with("argoproj.io/") {
        return None;
    }
    let yaml = ws.files[o.file].yaml.as_ref()?;
    let template = yaml
        .path(o.root, &["spec", "template"])
        .filter(|&t| yaml.is_mapping(t))?;
    Some(Object {
        root: template,
        name: str_at(yaml, template, &["metadata", "name"]),
        namespace: str_at(yaml, template, &["metadata", "namespace"]),
        ..o.clone()
    })
}

/// Why v1 does not read the annotations of Application `ai`: no
/// `ImageUpdater` in its namespace picks it with a `useAnnotations` ref
/// (`pkg/argocd/argocd.go`, FilterApplicationsForUpdate); `None` when one
/// does.
fn unread(model: &Model, picks: &[Pick], ai: usize) -> Option<String> {
    let mine: Vec<&Pick> = picks.iter().filter(|p| p.app == ai).collect();
    if mine.iter().any(|p| p.use_annotations) {
        return None;
    }
    Some(match mine.first() {
        Some(p) => format!(
            "v1 ignores these annotations: ImageUpdater {} applicationRefs[{}] drives the Application without useAnnotations",
            model.objects[p.cr].name(),
            p.r
        ),
        None => "v1 ignores these annotations: no ImageUpdater applicationRef with useAnnotations: true matches the Application".to_owned(),
    })
}

fn read_app(ws: &Workspace, o: &Object, generation: Generation) -> Option<Updater> {
    let f = &ws.files[o.file];
    let yaml = f.yaml.as_ref()?;
    let at = At {
        file: o.file,
        yaml,
        text: &f.text,
    };
    let list = model_argo::annotations(yaml, o.root);
    let first = list.first()?;
    let get = |key: &str| list.iter().find(|a| a.key == key);
    let key_field = |key: &str| format!("{ANNOTATION_PREFIX}{key}");
    let mut dropped = Vec::new();

    let mut u = Updater {
        name: o.name().to_owned(),
        namespace: o.namespace().map(str::to_owned),
        engine: Engine::Argocd,
        written: list
            .iter()
            .map(|a| AsWritten {
                setting: setting_of(&a.key),
                key: at.field(a.key.clone(), a.key_node),
                value: Some(at.field(a.value.value.clone(), a.value.node)),
            })
            .collect(),
        ..Default::default()
    };
    u.app.name = o.name.as_ref().map(|n| at.field(n.value.clone(), n.node));
    u.app.namespace = o
        .namespace
        .as_ref()
        .map(|n| at.field(n.value.clone(), n.node));
    // Annotations without an image-list update nothing; the updater is
    // kept, without images, so that validate judges what they say.
    let Some(image_list) = get("image-list") else {
        u.from = Some((Dialect::Argocd, at.node(first.key_node)));
        u.dropped.push(Remark::new(
            RemarkKind::Skipped,
            Some(at.node(first.key_node)),
            key_field("image-list"),
            "the Application has image-updater annotations but no image-list; the updater does nothing",
        ));
        return Some(u);
    };
    u.from = Some((Dialect::Argocd, at.node(image_list.key_node)));

    let list_node = image_list.value.node;
    let mut aliases: Vec<String> = Vec::new();
    for item in model_argo::split_list(&image_list.value.value) {
        let whole = at.sub(list_node, item.range.clone());
        let abs = |r: Range<usize>| {
            at.sub(
                list_node,
                item.range.start + r.start..item.range.start + r.end,
            )
        };
        let parsed = match image::parse_argo_item(&item.text) {
            Ok(p) => p,
            Err(e) => {
                dropped.push(Remark::new(
                    RemarkKind::Skipped,
                    Some(whole),
                    key_field("image-list"),
                    format!("item {:?} is not an image: {e}", item.text),
                ));
                continue;
            }
        };
        if let Some(meant) = parsed.eq_constraint_trap() {
            dropped.push(Remark::new(
                RemarkKind::Skipped,
                Some(whole),
                key_field("image-list"),
                format!(
                    "item {:?} reads as alias {:?} with image {:?} (the '=' of {:?} starts an alias); give it an alias",
                    item.text,
                    parsed.alias().unwrap_or_default(),
                    parsed.image(),
                    &item.text[meant],
                ),
            ));
            continue;
        }
        let (name_r, constraint_r) = image_ranges(&parsed);
        let alias = parsed
            .alias()
            .filter(|a| !a.is_empty())
            .zip(parsed.alias_range());
        let mut img = Image {
            alias: alias
                .clone()
                .map(|(a, r)| Field::new(a.to_owned(), Some(abs(r)))),
            name: Field::new(
                parsed.as_str()[name_r.clone()].to_owned(),
                Some(abs(name_r)),
            ),
            constraint: constraint_r
                .map(|r| Field::new(parsed.as_str()[r.clone()].to_owned(), Some(abs(r)))),
            origin: Some(whole),
            ..Default::default()
        };
        if let Some(d) = parsed.digest_range().filter(|r| !r.is_empty()) {
            dropped.push(Remark::new(
                RemarkKind::NoEquivalent,
                Some(abs(d)),
                key_field("image-list"),
                format!(
                    "the digest in {:?} is not a setting (the updater ignores it)",
                    item.text
                ),
            ));
        }
        let alias = alias.map(|(a, _)| a);
        if let Some(a) = alias {
            aliases.push(a.to_owned());
        }
        // A per-alias key wins when present; v0 also reads `/` as `_`.
        let per = |key: &str| {
            let a = alias?;
            get(&format!("{a}.{key}")).or_else(|| get(&format!("{}.{key}", a.replace('/', "_"))))
        };
        let setting = |key: &str| per(key).or_else(|| get(key));
        // (value, its node, its key, where the value starts in the node).
        let value = |key: &str, per_only: bool| {
            if generation == Generation::V1 && key != "ignore-tags" {
                // v1 trims every value, and an empty one is unset: a
                // per-alias key then inherits the app-wide one
                // (`annotations.go`, getCommonUpdateSettingsFromAnnotations;
                // `argocd.go`, mergeCommonUpdateSettings).
                let own = per(key).and_then(trimmed);
                return if per_only {
                    own
                } else {
                    own.or_else(|| get(key).and_then(trimmed))
                };
            }
            let a = if per_only { per(key) } else { setting(key) }?;
            let v = a.value.value.as_str();
            (!v.is_empty()).then_some((v, a.value.node, a.key.as_str(), 0))
        };

        if let Some((v, n, key, _)) = value("update-strategy", false) {
            let strategy = strategy_of(v).unwrap_or_else(|| {
                dropped.push(Remark::new(
                    RemarkKind::Normalized,
                    Some(at.node(n)),
                    key_field(key),
                    format!("{v:?} is not a strategy; the updater falls back to semver"),
                ));
                Strategy::Semver
            });
            img.strategy = Some(at.field(strategy, n));
        }
        if let Some((v, n, key, lead)) = value("allow-tags", false) {
            match allow_tags_of(v) {
                AllowTags::Any => {}
                AllowTags::Regexp { re, at: start } => {
                    img.tag_pattern = Some(Field::new(
                        re.to_owned(),
                        Some(at.sub(n, lead + start..lead + v.len())),
                    ))
                }
                AllowTags::Nothing => {
                    img.matches_nothing = Some(at.field(v.to_owned(), n));
                    dropped.push(Remark::new(
                        RemarkKind::NoEquivalent,
                        Some(at.node(n)),
                        key_field(key),
                        format!(
                            "{v:?} is neither `any` nor `regexp:<expr>`: the updater matches no tag with it; left out"
                        ),
                    ));
                }
            }
        }
        let list_of = |v: &str| -> Vec<String> {
            model_argo::split_list(v)
                .into_iter()
                .map(|i| i.text)
                .collect()
        };
        if let Some((v, n, _, _)) = value("ignore-tags", false) {
            img.ignore_tags = Some(at.field(list_of(v), n)).filter(|f| !f.value.is_empty());
        }
        if let Some((v, n, _, _)) = value("platforms", true) {
            img.platforms = Some(at.field(list_of(v), n)).filter(|f| !f.value.is_empty());
        }
        if let Some((v, n, key, _)) = value("force-update", false) {
            match bool_of(v) {
                Some(b) => img.force_update = Some(at.field(b, n)),
                None => dropped.push(Remark::new(
                    RemarkKind::NoEquivalent,
                    Some(at.node(n)),
                    key_field(key),
                    format!("{v:?} is not a boolean (v1 refuses it, v0 reads false); left out"),
                )),
            }
        }
        if let Some((v, n, _, _)) = value("pull-secret", false) {
            img.pull_secret = Some(at.field(pull_secret_of(v), n));
        }
        let string = |key: &str| value(key, true).map(|(v, n, _, _)| at.field(v.to_owned(), n));
        let helm = HelmTarget {
            name: string("helm.image-name"),
            tag: string("helm.image-tag"),
            spec: string("helm.image-spec"),
        };
        if helm != HelmTarget::default() {
            img.helm = Some(helm);
        }
        img.kustomize_name = string("kustomize.image-name");
        u.images.push(img);
    }

    if let Some(a) = get("write-back-method") {
        let v = a.value.value.as_str();
        match write_method_of(v) {
            Some(m) => u.write = Some(at.field(m, a.value.node)),
            None if v.is_empty() => {}
            None => {
                u.unknown_write = Some(at.field(v.to_owned(), a.value.node));
                dropped.push(Remark::new(
                    RemarkKind::NoEquivalent,
                    Some(at.node(a.value.node)),
                    key_field(&a.key),
                    format!("{v:?} is not a write-back method (argocd, git, git:<credentials>)"),
                ));
            }
        }
    }
    if let Some(a) = get("git-branch") {
        read_branch(
            &at,
            &a.value.value,
            a.value.node,
            &key_field(&a.key),
            &mut u,
            &mut dropped,
        );
    }
    let string = |key: &str| {
        get(key)
            .filter(|a| !a.value.value.is_empty())
            .map(|a| at.field(a.value.value.clone(), a.value.node))
    };
    u.git.repository = string("git-repository");
    u.git.target = string("write-back-target");

    for a in &list {
        let why = match model_argo::classify(&a.key) {
            AnnotationKey::App(_) => continue,
            AnnotationKey::Alias { key: "tag-match", .. } => {
                "is v0 only (the predecessor of allow-tags); v1 and the other dialects have no equivalent"
                    .to_owned()
            }
            AnnotationKey::Alias { alias, .. } => {
                if aliases
                    .iter()
                    .any(|x| x == alias || x.replace('/', "_") == alias)
                {
                    continue;
                }
                format!("names alias {alias:?}, which image-list does not have; the updater ignores it")
            }
            AnnotationKey::Unknown => {
                "is not an Image Updater annotation; the updater ignores it".to_owned()
            }
        };
        dropped.push(Remark::new(
            RemarkKind::NoEquivalent,
            Some(at.node(a.key_node)),
            key_field(&a.key),
            format!("the key {why}"),
        ));
    }
    u.dropped = dropped;
    Some(u)
}

/// An annotation's value as v1 reads it, trimmed, with its node, its key
/// and where the trimmed value starts; `None` when empty (unset).
fn trimmed(a: &Annotation) -> Option<(&str, NodeId, &str, usize)> {
    let raw = a.value.value.as_str();
    let v = raw.trim();
    let lead = raw.len() - raw.trim_start().len();
    (!v.is_empty()).then_some((v, a.value.node, a.key.as_str(), lead))
}

/// What an annotation key sets.
pub fn setting_of(key: &str) -> SettingName {
    let name = match model_argo::classify(key) {
        AnnotationKey::App(k) | AnnotationKey::Alias { key: k, .. } => k,
        AnnotationKey::Unknown => return SettingName::Unknown,
    };
    match name {
        "image-list" => SettingName::ImageList,
        "update-strategy" => SettingName::UpdateStrategy,
        "allow-tags" => SettingName::AllowTags,
        "ignore-tags" => SettingName::IgnoreTags,
        "force-update" => SettingName::ForceUpdate,
        "pull-secret" => SettingName::PullSecret,
        "platforms" => SettingName::Platforms,
        "write-back-method" => SettingName::WriteBackMethod,
        "git-branch" => SettingName::GitBranch,
        "git-repository" => SettingName::GitRepository,
        "write-back-target" => SettingName::WriteBackTarget,
        "tag-match" => SettingName::TagMatch,
        "kustomize.image-name" => SettingName::KustomizeTarget,
        k if k.starts_with("helm.") => SettingName::HelmTarget,
        _ => SettingName::Unknown,
    }
}

/// Fills `git.checkout_branch` / `git.push_branch` from a branch value.
pub fn read_branch(
    at: &At,
    v: &str,
    node: NodeId,
    field: &str,
    u: &mut Updater,
    dropped: &mut Vec<Remark>,
) {
    match split_branch(v) {
        Some((checkout, push)) => {
            let f = |r: Range<usize>| Field::new(v[r.clone()].to_owned(), Some(at.sub(node, r)));
            u.git.checkout_branch = checkout.map(f);
            u.git.push_branch = push.map(f);
        }
        None => dropped.push(Remark::new(
            RemarkKind::NoEquivalent,
            Some(at.node(node)),
            field,
            format!("{v:?} has more than one ':'; the updater refuses it"),
        )),
    }
}
