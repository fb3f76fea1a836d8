//! The plan: the model's update targets, the decisions resolution made
//! for them (the ones preview shows) and `--set IMAGE=TAG` requests turned
//! into verified [`FileChange`]s. `--set` wins for the images it names and
//! also reaches plain workloads, kustomize entries and Helm values that
//! carry no marker. Markers and plain values are scalar replacements
//! proposed here; Argo CD write-back is [`super::argo`]; every proposal
//! goes through the one overlap policy, [`super::overlap`]. Every file's
//! new text is checked by [`super::verify`] before the plan is handed to
//! [`super::write`].

use super::argo::{self, ArgoUpdate};
use super::overlap::{Proposals, Rank};
use super::record::{Change, ObjectId};
use super::{Base, EditError, Expect, FileChange, Skip, TextEdit, overlap, scalar, verify};
use crate::diagnostic::FileId;
use crate::discover::Workspace;
use crate::model::marker::Suffix;
use crate::model::object::str_at;
use crate::model::target::{Driver, Target};
use crate::model::workload::{self, HelmImage, KustomizeImage};
use crate::model::{Model, Str, image, yaml_of};
use crate::resolve::Resolution;
use crate::yaml::{NodeId, NodeKind, Yaml};
use std::collections::HashSet;

/// `--set IMAGE=TAG[@DIGEST]` (or `IMAGE=@DIGEST`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetRequest {
    /// As given.
    pub image: String,
    /// `docker.io/library/nginx` form, for matching.
    pub name: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// A `--set` request that cannot be parsed (`arg` is the request as
/// given), or that cannot drive a marker: the first are fatal, the last two
/// skip the marker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetError {
    #[error("--set {arg:?}: expected IMAGE=TAG")]
    NoEquals { arg: String },
    #[error("--set {arg:?}: {image:?} is not an image name: {reason}")]
    NotImageName {
        arg: String,
        image: String,
        reason: image::RefError,
    },
    /// `name` is the image name without the tag or digest given.
    #[error("--set {arg:?}: name the image without a tag or digest ({name})")]
    NamedWithReference { arg: String, name: String },
    #[error("--set {arg:?}: the tag is empty")]
    EmptyTag { arg: String },
    #[error("--set {arg:?}: {value:?} is not a tag: {reason}")]
    NotTag {
        arg: String,
        value: String,
        reason: image::RefError,
    },
    /// `image` is the request's image as given.
    #[error("--set {image} gives no tag for this :tag marker")]
    NoTagForMarker { image: String },
    #[error("--set {image} gives no digest for this :digest marker (use IMAGE=TAG@DIGEST)")]
    NoDigestForMarker { image: String },
    /// `policy` is `namespace/name`; `value` the marked value.
    #[error(
        "ImagePolicy {policy} is not in the repository and {value:?} names no image, so no --set can be matched to this marker"
    )]
    UnknownImage { policy: String, value: String },
    #[error(
        "a full-reference marker on a tag or digest field ({value:?}): --set {image} would write an image reference here; mark the field with :tag or :digest"
    )]
    FullMarkerInTagSlot { image: String, value: String },
    #[error(
        "pinned to digest {digest}; a new tag alone would keep the old image: pass --set {image}=TAG@DIGEST"
    )]
    PinnedDigest { image: String, digest: String },
}

impl SetRequest {
    pub fn parse(s: &str) -> Result<Self, SetError> {
        let arg = || s.to_owned();
        let (image, value) = s
            .split_once('=')
            .ok_or_else(|| SetError::NoEquals { arg: arg() })?;
        let (image, value) = (image.trim(), value.trim());
        let parsed = image::parse(image).map_err(|reason| SetError::NotImageName {
            arg: arg(),
            image: image.to_owned(),
            reason,
        })?;
        if parsed.tag().is_some() || parsed.digest().is_some() {
            return Err(SetError::NamedWithReference {
                arg: arg(),
                name: parsed.name().to_owned(),
            });
        }
        let (tag, digest) = match value.split_once('@') {
            Some((t, d)) => (t, Some(d)),
            None => (value, None),
        };
        // Checked as a whole reference so the tag and digest grammars are
        // Docker's own.
        let probe = format!(
            "{}{}{}",
            parsed.name(),
            if tag.is_empty() {
                String::new()
            } else {
                format!(":{tag}")
            },
            digest.map(|d| format!("@{d}")).unwrap_or_default()
        );
        if tag.is_empty() && digest.is_none() {
            return Err(SetError::EmptyTag { arg: arg() });
        }
        image::parse(&probe).map_err(|reason| SetError::NotTag {
            arg: arg(),
            value: value.to_owned(),
            reason,
        })?;
        Ok(Self {
            image: image.to_owned(),
            name: parsed.normalized_name(),
            tag: (!tag.is_empty()).then(|| tag.to_owned()),
            digest: digest.map(str::to_owned),
        })
    }

    /// `tag`, `tag@digest` or `@digest`: the text after a name.
    fn reference_suffix(&self) -> String {
        let mut s = String::new();
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    /// What Argo records as the new tag: `tag`, `tag@digest`.
    fn argo_tag(&self) -> String {
        match (&self.tag, &self.digest) {
            (Some(t), Some(d)) => format!("{t}@{d}"),
            (Some(t), None) => t.clone(),
            (None, Some(d)) => format!("latest@{d}"),
            (None, None) => String::new(),
        }
    }
}

/// What apply will do.
#[derive(Debug, Default)]
pub struct Plan {
    /// Sorted by path; each verified.
    pub files: Vec<FileChange>,
    pub skipped: Vec<Skip>,
    /// Repositories the tag source failed for.
    pub source_failures: Vec<String>,
    /// How many values the plan looked at (the model's targets and the
    /// plain values a `--set` names): zero means there was nothing to
    /// update, not that everything is current.
    pub considered: usize,
}

impl Plan {
    pub fn changes(&self) -> impl Iterator<Item = &Change> {
        self.files.iter().flat_map(|f| f.changes.iter())
    }
}

fn normalized(name: &str) -> Option<String> {
    image::parse(name).ok().map(|r| r.normalized_name())
}

/// Builds and verifies the plan. `source` answers targets no `--set`
/// names; without a source only `--set` values are written.
pub fn plan(
    ws: &Workspace,
    model: &Model,
    resolution: Option<&Resolution>,
    sets: &[SetRequest],
) -> Result<Plan, EditError> {
    let targets = &model.targets;
    let mut out = Plan::default();
    let candidates: Vec<Option<String>> = match resolution {
        Some(r) => {
            out.source_failures = r.source_failures.clone();
            targets
                .iter()
                .zip(&r.decisions)
                .map(|(t, d)| match &d.value {
                    Ok(v) => Some(v.clone()),
                    Err(reason) => {
                        out.skipped.push(Skip {
                            file: ws.files[t.file].path.clone(),
                            line: line_of(ws, t.file, t.node),
                            image: d.image.clone(),
                            reason: reason.to_string(),
                        });
                        None
                    }
                })
                .collect()
        }
        None => vec![None; targets.len()],
    };
    let mut edits = Planner::default();
    let mut argo_updates = Vec::new();
    for (t, candidate) in targets.iter().zip(candidates) {
        match &t.driver {
            Driver::Flux {
                namespace,
                name,
                suffix,
                ..
            } => {
                let entry = kustomize_entry(model, t);
                let set = flux_set_value(model, t, entry, namespace, name, *suffix, sets);
                let image = flux_image(model, namespace, name)
                    .or_else(|| entry.and_then(entry_image))
                    .unwrap_or_default();
                let value = match set {
                    Some(Ok(v)) => Some(v),
                    Some(Err(reason)) => {
                        let mut s = skip(ws, t.file, t.node, reason.to_string());
                        if !image.is_empty() {
                            s.image = image.clone();
                        }
                        // Resolution may have said why already.
                        if !out
                            .skipped
                            .iter()
                            .any(|o| o.file == s.file && o.line == s.line)
                        {
                            out.skipped.push(s);
                        }
                        None
                    }
                    None => candidate,
                };
                // The marker owns its value even when it keeps it.
                let span = yaml_of(ws, t.file).node(t.node).span;
                edits.proposals.keep(t.file, span.start..span.end);
                if let Some(value) = value {
                    edits.scalar(
                        ws,
                        Rank::Configured,
                        t.file,
                        t.node,
                        &value,
                        &image,
                        Some(format!("{namespace}:{name}")),
                    );
                }
            }
            Driver::Argo(config) => {
                let wanted = normalized(&config.repository);
                let set = sets.iter().find(|s| Some(&s.name) == wanted.as_ref());
                let offline = |reason: String| Skip {
                    image: config.repository.clone(),
                    ..skip(ws, t.file, t.node, reason)
                };
                // The controller refuses an update whose signature does not
                // verify; nothing here can check it, so only a tag the user
                // names is written.
                let candidate = match (candidate, &config.offline.verification) {
                    (Some(_), Some(v)) if set.is_none() => {
                        out.skipped.push(offline(format!(
                            "not written: the controller updates only after imagesVerification ({v}), which is not performed offline"
                        )));
                        None
                    }
                    (c, _) => c,
                };
                if let Some(new_tag) = set.map(SetRequest::argo_tag).or(candidate) {
                    if let Some(pr) = &config.offline.pull_request {
                        out.skipped.push(offline(format!(
                            "pullRequest not opened offline ({pr}): the change is written to the working tree only"
                        )));
                    }
                    argo_updates.push(ArgoUpdate { target: t, new_tag });
                }
            }
            Driver::KubesphereFlux { repository, .. } => {
                let wanted = normalized(repository);
                if sets.iter().any(|s| Some(&s.name) == wanted.as_ref()) || candidate.is_some() {
                    out.skipped.push(skip(
                        ws,
                        t.file,
                        t.node,
                        "KubeSphere kind fluxcd: the Flux objects it generates drive setter markers; mark the manifests with them".into(),
                    ));
                }
            }
        }
    }
    let (argo_files, argo_skips) = argo::plan(ws, &argo_updates);
    out.skipped.extend(argo_skips);
    out.skipped.extend(unread_files(ws));
    // Files Argo CD creates, or that the workspace did not load, meet no
    // other planner.
    let mut created = Vec::new();
    for f in argo_files {
        match f.base {
            Base::Loaded(id) => {
                edits
                    .proposals
                    .edit(id, Rank::Configured, f.edits, f.expect, f.changes)
            }
            _ => created.push(f),
        }
    }
    out.considered = targets.len();
    if !sets.is_empty() {
        out.considered += plain_sets(ws, model, sets, &mut edits);
    }
    let (mut files, skips) = overlap::settle(ws, edits.proposals)?;
    out.skipped.extend(skips);
    for f in created {
        if files.contains_key(&f.path) {
            return Err(EditError::new(&f.path, "two planners read different texts"));
        }
        files.insert(f.path.clone(), f);
    }
    verify_all(ws, files.values().collect())?;
    out.files = files
        .into_values()
        .filter(|f| !f.edits.is_empty())
        .collect();
    out.skipped
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    out.skipped.dedup();
    Ok(out)
}

/// Re-parses every new text, on every core: the one pass apply adds
/// over validate.
fn verify_all(ws: &Workspace, files: Vec<&FileChange>) -> Result<(), EditError> {
    let one = |f: &FileChange| -> Result<(), EditError> {
        // The workspace already parsed the text the plan edits.
        let parsed = match f.base {
            Base::Loaded(id) => ws.files[id].yaml.as_ref(),
            _ => None,
        };
        let result = match parsed {
            Some(y) => verify::check_parsed(Some(y), &f.new_text, &f.expect),
            None => verify::check(f.original(ws), &f.new_text, &f.expect),
        };
        result.map_err(|e| {
            EditError::new(
                &f.path,
                format!("the planned edit is unsafe, nothing was written: {e}"),
            )
        })
    };
    super::per_core(&files, |part| part.iter().try_for_each(|f| one(f)))
        .into_iter()
        .collect::<Result<Vec<()>, EditError>>()?;
    Ok(())
}

fn skip(ws: &Workspace, file: FileId, node: NodeId, reason: String) -> Skip {
    let yaml = yaml_of(ws, file);
    Skip {
        file: ws.files[file].path.clone(),
        line: line_of(ws, file, node),
        image: yaml.str(node).unwrap_or_default().to_owned(),
        reason,
    }
}

fn line_of(ws: &Workspace, file: FileId, node: NodeId) -> usize {
    let yaml = yaml_of(ws, file);
    yaml.lines
        .line_col(&ws.files[file].text, yaml.node(node).span.start)
        .line
}

fn flux_image(model: &Model, namespace: &str, name: &str) -> Option<String> {
    let policy = model.flux.policy(namespace, name)?;
    model
        .flux
        .repository_for(policy)?
        .image
        .as_ref()
        .map(|i| i.value.clone())
}

/// The kustomize `images:` entry whose `newTag`, `newName` or `digest` is
/// the target's value.
fn kustomize_entry<'m>(model: &'m Model, t: &Target) -> Option<&'m KustomizeImage> {
    model.images.get(t.file.0)?.kustomize.iter().find(|k| {
        [&k.new_tag, &k.new_name, &k.digest]
            .iter()
            .any(|v| v.as_ref().is_some_and(|v| v.node == t.node))
    })
}

/// The image a kustomize entry sets: `newName`, else `name`.
fn entry_image(k: &KustomizeImage) -> Option<String> {
    k.new_name
        .as_ref()
        .or(k.name.as_ref())
        .map(|n| n.value.clone())
}

/// The value a `--set` gives a marker target: `None` when no request names
/// its image. The image is the policy's ImageRepository; for a policy
/// defined elsewhere, the kustomize entry the value sits in (matched by
/// name, as `kustomize edit set image` does), else the full reference the
/// value holds; a marker whose image none of those tell is an error, so
/// it is listed as skipped rather than passed over.
fn flux_set_value(
    model: &Model,
    t: &Target,
    entry: Option<&KustomizeImage>,
    namespace: &str,
    name: &str,
    suffix: Suffix,
    sets: &[SetRequest],
) -> Option<Result<String, SetError>> {
    if sets.is_empty() {
        return None;
    }
    let current = t.current.as_deref().unwrap_or("");
    let in_tag_slot = entry.is_some_and(|k| {
        [&k.new_tag, &k.digest]
            .iter()
            .any(|v| v.as_ref().is_some_and(|v| v.node == t.node))
    });
    let repo_image = flux_image(model, namespace, name)
        .or_else(|| {
            (suffix != Suffix::Full)
                .then(|| entry.and_then(entry_image))
                .flatten()
        })
        .or_else(|| {
            // Without the ImageRepository, a full marker still names its
            // image, when its value is a reference and not a tag slot's.
            (suffix == Suffix::Full && !in_tag_slot)
                .then(|| image::parse(current).ok())
                .flatten()
                .filter(|r| r.tag().is_some() || r.digest().is_some() || r.name().contains('/'))
                .map(|r| r.name().to_owned())
        });
    if suffix == Suffix::Full
        && in_tag_slot
        && let Some(set) = entry
            .and_then(entry_image)
            .and_then(|i| normalized(&i))
            .and_then(|n| sets.iter().find(|s| s.name == n))
    {
        return Some(Err(SetError::FullMarkerInTagSlot {
            image: set.image.clone(),
            value: current.to_owned(),
        }));
    }
    let Some(repo_image) = repo_image else {
        return Some(Err(SetError::UnknownImage {
            policy: format!("{namespace}/{name}"),
            value: current.to_owned(),
        }));
    };
    let wanted = normalized(&repo_image)?;
    let set = sets.iter().find(|s| s.name == wanted)?;
    if suffix == Suffix::Full && in_tag_slot {
        return Some(Err(SetError::FullMarkerInTagSlot {
            image: set.image.clone(),
            value: current.to_owned(),
        }));
    }
    // A tag moved beside a digest the request leaves alone would keep
    // the old image: tag and digest move together or not at all.
    if suffix == Suffix::Tag
        && set.digest.is_none()
        && let Some(d) = entry
            .and_then(|k| k.digest.as_ref())
            .filter(|d| !d.value.is_empty())
    {
        return Some(Err(SetError::PinnedDigest {
            image: set.image.clone(),
            digest: d.value.clone(),
        }));
    }
    Some(match suffix {
        Suffix::Full => Ok(format!("{repo_image}{}", set.reference_suffix())),
        Suffix::Tag => set.tag.clone().ok_or_else(|| SetError::NoTagForMarker {
            image: set.image.clone(),
        }),
        Suffix::Name => Ok(repo_image),
        Suffix::Digest => set
            .digest
            .clone()
            .ok_or_else(|| SetError::NoDigestForMarker {
                image: set.image.clone(),
            }),
    })
}

/// `--set` on values no controller configuration drives: container
/// `image:` fields, kustomize `images:` entries and Helm values. What a
/// configuration owns is settled by the overlap policy, so each file is
/// proposed for on its own, across cores.
fn plain_sets(ws: &Workspace, model: &Model, sets: &[SetRequest], edits: &mut Planner) -> usize {
    // Values a marker drives are the marker's (it moves them with the
    // same `--set`); the plain pass leaves them alone.
    let marked: HashSet<(FileId, NodeId)> = model
        .targets
        .iter()
        .filter(|t| matches!(t.driver, Driver::Flux { .. }))
        .map(|t| (t.file, t.node))
        .collect();
    let ids: Vec<FileId> = FileId::all(ws.files.len()).collect();
    let parts = super::per_core(&ids, |ids| {
        let mut part = Planner::default();
        for &id in ids {
            plain_sets_in(ws, model, id, sets, &marked, &mut part);
        }
        part
    });
    let mut seen = 0;
    for part in parts {
        seen += part.matched;
        edits.proposals.append(part.proposals);
    }
    seen
}

fn plain_sets_in(
    ws: &Workspace,
    model: &Model,
    id: FileId,
    sets: &[SetRequest],
    marked: &HashSet<(FileId, NodeId)>,
    edits: &mut Planner,
) {
    let find = |name: &str| {
        let n = normalized(name)?;
        sets.iter().find(|s| s.name == n)
    };
    // Only parsed, reported files have image sites.
    let found = &model.images[id];
    for c in &found.containers {
        edits.inline(ws, id, &c.image, &find);
    }
    for k in &found.kustomize {
        let Some(name) = k.new_name.as_ref().or(k.name.as_ref()) else {
            continue;
        };
        let Some(set) = find(&name.value) else {
            continue;
        };
        let is_marked =
            |v: &Option<Str>| v.as_ref().is_some_and(|v| marked.contains(&(id, v.node)));
        if is_marked(&k.new_tag) {
            // The tag marker moves the tag (or refuses, beside a pinned
            // digest); an unmarked digest moves with it.
            edits.matched += 1;
            if let (Some(d), Some(new)) = (k.digest.as_ref(), &set.digest)
                && !is_marked(&k.digest)
            {
                edits.scalar(ws, Rank::Requested, id, d.node, new, &name.value, None);
            }
            continue;
        }
        edits.split_image(
            ws,
            id,
            k.entry,
            k.new_tag.as_ref(),
            k.digest.as_ref(),
            "newTag",
            set,
            &name.value,
        );
    }
    for h in &found.helm {
        match h {
            HelmImage::Inline { value, .. } => edits.inline(ws, id, value, &find),
            HelmImage::Split {
                map,
                registry,
                repository,
                tag,
                digest,
                ..
            } => {
                let full = workload::split_name(registry.as_ref(), repository);
                let Some(set) = find(&full) else { continue };
                edits.split_image(
                    ws,
                    id,
                    *map,
                    tag.as_ref(),
                    digest.as_ref(),
                    "tag",
                    set,
                    &full,
                );
            }
        }
    }
}

/// Scalar replacements proposed to the overlap policy.
#[derive(Default)]
struct Planner {
    proposals: Proposals,
    /// Plain values a `--set` named.
    matched: usize,
}

impl Planner {
    /// A skip about `node`'s value that only stands when nothing stronger
    /// owns the value.
    fn skip(&mut self, ws: &Workspace, rank: Rank, file: FileId, node: NodeId, reason: String) {
        let span = yaml_of(ws, file).node(node).span;
        self.skip_at(
            rank,
            file,
            span.start..span.end,
            skip(ws, file, node, reason),
        );
    }

    fn skip_at(&mut self, rank: Rank, file: FileId, range: std::ops::Range<usize>, skip: Skip) {
        self.proposals.skip(file, rank, range, skip);
    }

    /// Replaces one scalar's value, keeping its style.
    #[allow(clippy::too_many_arguments)]
    fn scalar(
        &mut self,
        ws: &Workspace,
        rank: Rank,
        file: FileId,
        node: NodeId,
        value: &str,
        image: &str,
        setter: Option<String>,
    ) {
        let yaml = yaml_of(ws, file);
        if yaml.is_alias(node) {
            let why = "the value is an alias (*name); the anchor it points at is left alone";
            self.skip(ws, rank, file, node, why.into());
            return;
        }
        let n = yaml.node(node);
        let NodeKind::Scalar { value: old, style } = &n.kind else {
            return;
        };
        if old == value {
            return;
        }
        let text = match scalar::render(*style, value, n.in_flow) {
            Ok(t) => t,
            Err(reason) => {
                self.skip(ws, rank, file, node, reason.to_string());
                return;
            }
        };
        let (doc, path) = verify::path_of(yaml, node);
        let change = Change {
            file: ws.files[file].path.clone(),
            line: line_of(ws, file, node),
            image: image.to_owned(),
            old_value: old.clone(),
            new_value: value.to_owned(),
            old_tag: digest_or_tag_of(old),
            new_tag: digest_or_tag_of(value),
            setter,
            object: object_of(yaml, node),
            app: None,
            alias: None,
        };
        let edit = TextEdit {
            range: n.span.start..n.span.end,
            text,
        };
        let expect = Expect {
            doc,
            path,
            value: value.to_owned(),
            non_string: false,
        };
        self.proposals.edit(file, rank, [edit], [expect], [change]);
    }

    /// A whole reference (`image: nginx:1.25`): the name stays as written,
    /// tag and digest are replaced; a digest the request would leave
    /// behind stops the update, as in [`Planner::split_image`].
    fn inline<'s>(
        &mut self,
        ws: &Workspace,
        file: FileId,
        value: &Str,
        find: &dyn Fn(&str) -> Option<&'s SetRequest>,
    ) {
        let Ok(r) = image::parse(&value.value) else {
            return;
        };
        let Some(set) = find(r.name()) else { return };
        self.matched += 1;
        if let Some(d) = r.digest()
            && set.digest.is_none()
        {
            let span = yaml_of(ws, file).node(value.node).span;
            let skip = pinned(ws, file, value.node, d, set, r.name());
            self.skip_at(Rank::Requested, file, span.start..span.end, skip);
            return;
        }
        let new = format!("{}{}", r.name(), set.reference_suffix());
        self.scalar(ws, Rank::Requested, file, value.node, &new, r.name(), None);
    }

    /// A mapping with a tag key and maybe a digest key (kustomize entry,
    /// Helm `image:` map): sets the tag; a digest is only written when the
    /// request gives one, and an old digest the request would leave behind
    /// stops the update (the runtime would keep pulling the old image).
    #[allow(clippy::too_many_arguments)]
    fn split_image(
        &mut self,
        ws: &Workspace,
        file: FileId,
        map: NodeId,
        tag: Option<&Str>,
        digest: Option<&Str>,
        tag_key: &str,
        set: &SetRequest,
        image: &str,
    ) {
        self.matched += 1;
        if let Some(d) = digest.filter(|d| !d.value.is_empty())
            && set.digest.is_none()
        {
            let skip = pinned(ws, file, d.node, &d.value, set, image);
            self.skip_at(Rank::Requested, file, 0..0, skip);
            return;
        }
        match (tag, &set.tag) {
            (Some(t), Some(new)) => {
                self.scalar(ws, Rank::Requested, file, t.node, new, image, None)
            }
            (None, Some(_)) => {
                let why = format!("the entry has no {tag_key} key; add one to have it written");
                self.skip_at(Rank::Requested, file, 0..0, skip(ws, file, map, why));
            }
            _ => {}
        }
        if let (Some(d), Some(new)) = (digest, &set.digest) {
            self.scalar(ws, Rank::Requested, file, d.node, new, image, None);
        }
    }
}

/// The skip of a value pinned to `digest`, naming `image` (not the
/// digest).
fn pinned(
    ws: &Workspace,
    file: FileId,
    node: NodeId,
    digest: &str,
    set: &SetRequest,
    image: &str,
) -> Skip {
    let mut s = skip(
        ws,
        file,
        node,
        SetError::PinnedDigest {
            image: set.image.clone(),
            digest: digest.to_owned(),
        }
        .to_string(),
    );
    s.image = image.to_owned();
    s
}

/// Argo's `.OldTag` / `.NewTag` reading of a value: the digest if there is
/// one, else the tag, else the value itself (a `:tag` marker's value). Not
/// `edit::argo`'s tag comparison, which ignores digests.
fn digest_or_tag_of(value: &str) -> String {
    match image::parse(value) {
        Ok(r) if r.digest().is_some() => r.digest().unwrap_or_default().to_owned(),
        Ok(r) if r.tag().is_some() => r.tag().unwrap_or_default().to_owned(),
        _ => value.to_owned(),
    }
}

/// The Kubernetes object around a node, as Flux identifies it (fields
/// empty when the document has none, e.g. a kustomization.yaml).
fn object_of(yaml: &Yaml, node: NodeId) -> Option<ObjectId> {
    let mut root = node;
    while let Some(p) = yaml.node(root).parent {
        root = p;
    }
    let s = |path: &[&str]| {
        str_at(yaml, root, path)
            .map(|v| v.value)
            .unwrap_or_default()
    };
    Some(ObjectId {
        api_version: s(&["apiVersion"]),
        kind: s(&["kind"]),
        namespace: s(&["metadata", "namespace"]),
        name: s(&["metadata", "name"]),
    })
}

/// Files discovery could not read or parse (invalid UTF-8, too large, a
/// parse limit) that look like they hold something apply would update: each
/// is a skip, so apply never passes over a marker without saying so.
fn unread_files(ws: &Workspace) -> Vec<Skip> {
    use crate::rules;
    let mut out = Vec::new();
    let parse_limits = ws.files.iter().enumerate().filter_map(|(id, f)| {
        let id = FileId(id);
        let e = f.yaml.as_ref()?.error.as_ref()?;
        e.limit.then(|| (id, e.span.start, e.message.clone()))
    });
    let load_problems = ws
        .diagnostics
        .iter()
        .filter(|d| {
            [
                &rules::INVALID_UTF8,
                &rules::FILE_TOO_LARGE,
                &rules::UNREADABLE_FILE,
            ]
            .iter()
            .any(|r| std::ptr::eq(*r, d.rule))
        })
        .map(|d| (d.file, d.span.start, d.message.clone()));
    for (id, at, why) in load_problems.chain(parse_limits) {
        let file = &ws.files[id];
        if !file.report || !(file.text.contains("$imagepolicy") || file.text.contains("image")) {
            continue;
        }
        let line = file.yaml.as_ref().map_or_else(
            || {
                1 + memchr::memchr_iter(b'\n', &file.text.as_bytes()[..at.min(file.text.len())])
                    .count()
            },
            |y| y.lines.line_of(at) + 1,
        );
        out.push(Skip {
            file: file.path.clone(),
            line,
            image: String::new(),
            reason: format!("{why}; nothing in this file was updated"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_requests_parse_in_every_spelling() {
        let s = SetRequest::parse("nginx=1.25.3").unwrap();
        assert_eq!(s.name, "docker.io/library/nginx");
        assert_eq!(s.tag.as_deref(), Some("1.25.3"));
        let s = SetRequest::parse(" ghcr.io/org/app = v2@sha256:0123456789012345678901234567890123456789012345678901234567890123").unwrap();
        assert_eq!(s.name, "ghcr.io/org/app");
        assert_eq!(s.digest.as_deref().map(|d| &d[..7]), Some("sha256:"));
        for bad in [
            "nginx",
            "nginx=",
            "nginx:1=2",
            "Nginx=1",
            "nginx=bad tag",
            "nginx=@nodigest",
        ] {
            assert!(SetRequest::parse(bad).is_err(), "{bad}");
        }
    }
}
