//! Flux image automation (image.toolkit.fluxcd.io/v1): ImageRepository,
//! ImagePolicy and ImageUpdateAutomation objects, with the setter markers
//! that reference them, read into [`Updater`]s.
//!
//! # Reading
//!
//! One [`Updater`] per ImageUpdateAutomation (name and namespace of the
//! automation, engine `Fluxcd`, write `Git` without credentials), holding
//! the ImagePolicies the automation would use: those in its namespace (a
//! manifest without a namespace matches any, as elsewhere in the model)
//! that its `policySelector.matchLabels` selects. A selector with
//! `matchExpressions` is not evaluated: every policy of the namespace is
//! taken and a remark says so. Policies no automation selects are grouped
//! into one updater per namespace, named after the namespace (`default`
//! when the manifests have none), with no write method and no git
//! settings. Only policies in the files the user named count (the rest of
//! the repository is context, as for markers); ImageRepositories may be
//! anywhere. Several automations selecting one policy each hold it;
//! remarks about a shared ImageRepository or ImagePolicy are attached to
//! the first updater only, so they are reported once.
//!
//! | Flux | spec |
//! |---|---|
//! | ImagePolicy `metadata.name` | `Image.alias` |
//! | ImageRepository `spec.image` | `Image.name` |
//! | `policy.semver.range` | `strategy: Semver`, `constraint` |
//! | `policy.alphabetical.order` | `Alphabetical { desc }` (absent = asc) |
//! | `policy.numerical.order` | `Numerical { desc }` (absent = asc) |
//! | `filterTags.pattern` / `.extract` | `tag_pattern` / `extract` (`""` = none) |
//! | ImageRepository `secretRef.name` | `pull_secret: Secret { namespace: repository's }` |
//! | ImageRepository `interval` | `scan_interval` (as written) |
//! | `digestReflectionPolicy` | `reflect_digest` |
//! | markers `:name` + `:tag` on Helm values keys | `helm { name, tag }` (dotted key paths) |
//! | full marker on a Helm values key | `helm { spec }` |
//! | marker inside kustomize `images:` | `kustomize_name` (the entry's `name`) |
//! | automation `sourceRef` | `git.source_ref` (kind defaults to GitRepository) |
//! | `git.checkout.ref.branch` / `git.push.branch` | `git.checkout_branch` / `git.push_branch` |
//! | `git.commit.author.name` / `.email` | `git.author_name` / `git.author_email` |
//! | `git.commit.signingKey` | `git.signing_key` |
//! | `git.commit.messageTemplate` | `git.message_template` |
//! | `update.path`, `interval`, `metadata.name` | `git.path`, `git.interval`, `git.automation` |
//!
//! Helm keys are relative to the values file's root, or to a HelmRelease's
//! `spec.values`; sequence items are written `key[0]`. Markers on plain
//! manifests (a Deployment's `image:`) are what Flux always does and what
//! every other dialect does without configuration, so they set nothing.
//! Only the markers inside the automation's `update.path` count for it.
//! The spec holds one target per image: when marker sites (one values
//! document, one kustomize entry) disagree, the first in file order is
//! kept and each other one is a remark. A `:digest` marker on a Helm key
//! has no place in the spec (remark).
//!
//! Remarks (NoEquivalent, on the field's span) for what the spec cannot
//! hold: ImageRepository `exclusionList` other than the default
//! `^.*\.sig$`, `provider` other than `generic`, `certSecretRef`,
//! `proxySecretRef`, `serviceAccountName`, `insecure: true`, `accessFrom`,
//! `timeout`, `suspend: true`; ImagePolicy `suspend: true`, a policy
//! `interval` that differs from its repository's (the writer derives it
//! from the scan interval), a second policy kind Flux ignores;
//! ImageUpdateAutomation `suspend: true`, `push.refspec`, `push.options`,
//! `messageTemplateValues`, a checkout `tag`/`semver`/`name`/`commit`, and
//! `policySelector.matchExpressions`. A policy whose ImageRepository is
//! not in the repository, or that names no policy kind, is Skipped.
//!
//! The settings the checks and preview judge too (image, intervals,
//! policy kinds, filters, digest reflection, exclusion list, source
//! reference, author email, template, update path) come from the Flux
//! index ([`crate::model::flux`]), which read them once; this reader
//! reads from each object's `spec` only what export alone carries.
//!

use std::collections::HashSet;

use crate::diagnostic::FileId;
use crate::discover::Workspace;
use crate::model::flux::{
    DEFAULT_EXCLUSION, ImagePolicy, ImageRepository, ImageUpdateAutomation, PolicyKind,
    canonical_interval,
};
use crate::model::marker::Suffix;
use crate::model::object::str_at;
use crate::model::spec::{
    Dialect, Engine, Field, Git, HelmTarget, Image, Origin, PullSecret, Remark, RemarkKind,
    SigningKey, SourceRef, Strategy, Updater, WriteMethod,
};
use crate::model::target::{Driver, Source};
use crate::model::{Model, Str, yaml_of};
use crate::yaml::{NodeId, NodeKind, Span, Yaml};

pub fn read(ws: &Workspace, model: &Model) -> Vec<Updater> {
    let flux = &model.flux;
    let sites = marker_sites(ws, model);
    let mut r = Reader {
        ws,
        model,
        sites,
        remarked: HashSet::new(),
    };
    let mut covered = vec![false; flux.policies.len()];
    let mut out = Vec::new();
    for a in &flux.automations {
        let mut u = r.automation(a);
        let picked = r.selected(a, &mut u.dropped);
        for i in picked {
            covered[i] = true;
            let path_ok = |p: &str| a.covers(p);
            if let Some(img) = r.image(&flux.policies[i], &path_ok, &mut u.dropped) {
                u.images.push(img);
            }
        }
        out.push(u);
    }
    // Namespaces in first-seen order keep the output stable.
    let mut groups: Vec<(Option<String>, Vec<usize>)> = Vec::new();
    for (i, p) in flux.policies.iter().enumerate() {
        if covered[i] || !ws.files[p.meta.file].report {
            continue;
        }
        match groups.iter_mut().find(|(ns, _)| *ns == p.meta.namespace) {
            Some((_, list)) => list.push(i),
            None => groups.push((p.meta.namespace.clone(), vec![i])),
        }
    }
    for (ns, list) in groups {
        let first = &flux.policies[list[0]];
        let yaml = yaml_of(ws, first.meta.file);
        let mut u = Updater {
            name: ns.clone().unwrap_or_else(|| "default".to_owned()),
            namespace: ns,
            engine: Engine::Fluxcd,
            from: Some((
                Dialect::Flux,
                origin(yaml, first.meta.file, first.meta.root),
            )),
            ..Default::default()
        };
        for i in list {
            let any = |_: &str| true;
            if let Some(img) = r.image(&flux.policies[i], &any, &mut u.dropped) {
                u.images.push(img);
            }
        }
        out.push(u);
    }
    out
}

struct Reader<'a> {
    ws: &'a Workspace,
    model: &'a Model,
    sites: Vec<Site>,
    /// Objects whose own remarks are already out (shared by several
    /// automations).
    remarked: HashSet<usize>,
}

/// One marker that names a policy, classified by where it sits.
#[derive(Debug, Clone)]
struct Site {
    /// `Model::objects` index of the policy it resolves to.
    policy: usize,
    file: FileId,
    node: NodeId,
    suffix: Suffix,
    kind: SiteKind,
}

#[derive(Debug, Clone)]
enum SiteKind {
    Plain,
    /// The `images:` entry holding the marked value.
    Kustomize {
        entry: Option<NodeId>,
    },
    /// `group` is the document (or HelmRelease) the values belong to.
    Helm {
        group: NodeId,
        path: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Helm(HelmTarget),
    Kustomize(Field<String>),
}

fn marker_sites(ws: &Workspace, model: &Model) -> Vec<Site> {
    let mut out = Vec::new();
    for t in &model.targets {
        let Driver::Flux {
            namespace,
            name,
            suffix,
            ..
        } = &t.driver
        else {
            continue;
        };
        let Some(policy) = model.flux.policy(namespace, name) else {
            continue;
        };
        let yaml = yaml_of(ws, t.file);
        let kind = match t.source {
            Source::Kustomize => SiteKind::Kustomize {
                entry: images_entry(yaml, t.node),
            },
            Source::HelmValues => {
                let (root, segs) = key_path(yaml, t.node);
                let start = segs
                    .windows(2)
                    .position(|w| w[0] == "spec" && w[1] == "values")
                    .map_or(0, |i| i + 2);
                SiteKind::Helm {
                    group: root,
                    path: dotted(&segs[start..]),
                }
            }
            _ => SiteKind::Plain,
        };
        out.push(Site {
            policy: policy.meta.object,
            file: t.file,
            node: t.node,
            suffix: *suffix,
            kind,
        });
    }
    out
}

/// The kustomize `images:` item a marked value sits in.
fn images_entry(yaml: &Yaml, node: NodeId) -> Option<NodeId> {
    let mut at = node;
    while let Some(parent) = yaml.node(at).parent {
        if yaml.is_sequence(parent)
            && yaml.key_for(parent).and_then(|k| yaml.str(k)) == Some("images")
        {
            return Some(at);
        }
        at = parent;
    }
    None
}

/// The document root above `node`, and the keys (or `[i]` indices) down
/// to it.
fn key_path(yaml: &Yaml, node: NodeId) -> (NodeId, Vec<String>) {
    let mut segs = Vec::new();
    let mut at = node;
    while let Some(parent) = yaml.node(at).parent {
        match &yaml.node(parent).kind {
            NodeKind::Mapping(entries) => {
                if let Some(k) = entries
                    .iter()
                    .find(|(_, v)| *v == at)
                    .and_then(|(k, _)| yaml.str(*k))
                {
                    segs.push(k.to_owned());
                }
            }
            NodeKind::Sequence(items) => {
                if let Some(i) = items.iter().position(|&n| n == at) {
                    segs.push(format!("[{i}]"));
                }
            }
            _ => {}
        }
        at = parent;
    }
    segs.reverse();
    (at, segs)
}

fn dotted(segs: &[String]) -> String {
    let mut out = String::new();
    for s in segs {
        if !out.is_empty() && !s.starts_with('[') {
            out.push('.');
        }
        out.push_str(s);
    }
    out
}

fn origin(yaml: &Yaml, file: FileId, node: NodeId) -> Origin {
    Origin {
        file,
        span: yaml.node(node).span,
    }
}

fn field_at(yaml: &Yaml, file: FileId, at: NodeId, keys: &[&str]) -> Option<Field<String>> {
    str_at(yaml, at, keys).map(|s| field_of(yaml, file, &s))
}

/// A value the Flux index kept, as a spec field.
fn field_of(yaml: &Yaml, file: FileId, s: &Str) -> Field<String> {
    Field::new(s.value.clone(), Some(origin(yaml, file, s.node)))
}

fn kept(yaml: &Yaml, file: FileId, s: &Option<Str>) -> Option<Field<String>> {
    s.as_ref().map(|s| field_of(yaml, file, s))
}

/// The entry at `keys` (key and value), when present and not null.
fn entry_origin(yaml: &Yaml, file: FileId, at: NodeId, keys: &[&str]) -> Option<Origin> {
    entry_of(yaml, file, yaml.path(at, keys)?)
}

/// The entry (key and value) whose value is `value`, unless it is null.
fn entry_of(yaml: &Yaml, file: FileId, value: NodeId) -> Option<Origin> {
    if yaml.is_scalar(value) && yaml.non_null_str(value).is_none() {
        return None;
    }
    let key = yaml.key_for(value)?;
    Some(Origin {
        file,
        span: Span::new(yaml.node(key).span.start, yaml.node(value).span.end),
    })
}

fn is_true(yaml: &Yaml, at: NodeId, keys: &[&str]) -> bool {
    yaml.path_str(at, keys) == Some("true")
}

impl Reader<'_> {
    fn automation(&self, a: &ImageUpdateAutomation) -> Updater {
        let file = a.meta.file;
        let yaml = yaml_of(self.ws, file);
        let root = a.meta.root;
        // The settings the Flux index holds come from there; the rest,
        // which only export carries, are read here, from the same spec.
        let spec = yaml.get(root, "spec");
        let f = |keys: &[&str]| spec.and_then(|s| field_at(yaml, file, s, keys));
        let entry = |keys: &[&str]| spec.and_then(|s| entry_origin(yaml, file, s, keys));
        let mut dropped = Vec::new();
        let source_ref = a.source_ref.as_ref().and_then(|s| {
            let name = s.name.as_ref()?;
            Some(Field::new(
                SourceRef {
                    kind: s
                        .kind
                        .as_ref()
                        .map_or_else(|| "GitRepository".to_owned(), |k| k.value.clone()),
                    name: name.value.clone(),
                    namespace: s.namespace.as_ref().map(|n| n.value.clone()),
                },
                Some(origin(yaml, file, s.node)),
            ))
        });
        let signing_key = spec
            .and_then(|s| yaml.path(s, &["git", "commit", "signingKey"]))
            .and_then(|k| {
                let secret = str_at(yaml, k, &["secretRef", "name"])?;
                Some(Field::new(
                    SigningKey {
                        secret: secret.value,
                        kind: str_at(yaml, k, &["type"]).map(|t| t.value),
                    },
                    Some(origin(yaml, file, k)),
                ))
            });
        for other in ["tag", "semver", "name", "commit"] {
            let keys = ["git", "checkout", "ref", other];
            if let Some(o) = entry(&keys) {
                dropped.push(Remark::no_equivalent(
                    Some(o),
                    format!("spec.{}", keys.join(".")),
                    "only a checkout branch is carried over",
                ));
            }
        }
        let unmapped: [(&[&str], &str); 3] = [
            (
                &["git", "push", "refspec"],
                "the extra push refspec is not carried over",
            ),
            (
                &["git", "push", "options"],
                "git push options are not carried over",
            ),
            (
                &["git", "commit", "messageTemplateValues"],
                "template values are not carried over; a template using .Values renders them empty",
            ),
        ];
        for (keys, why) in unmapped {
            if let Some(o) = entry(keys) {
                dropped.push(Remark::no_equivalent(
                    Some(o),
                    format!("spec.{}", keys.join(".")),
                    why,
                ));
            }
        }
        if spec.is_some_and(|s| is_true(yaml, s, &["suspend"])) {
            dropped.push(Remark::no_equivalent(
                entry(&["suspend"]),
                "spec.suspend",
                "the automation is suspended; the exported updater is not",
            ));
        }
        let git_node = a.git.unwrap_or(root);
        Updater {
            name: a.meta.name.clone(),
            namespace: a.meta.namespace.clone(),
            engine: Engine::Fluxcd,
            write: Some(Field::new(
                WriteMethod::Git { credentials: None },
                Some(origin(yaml, file, git_node)),
            )),
            git: Git {
                source_ref,
                checkout_branch: f(&["git", "checkout", "ref", "branch"]),
                push_branch: f(&["git", "push", "branch"]),
                path: kept(yaml, file, &a.update_path),
                author_name: f(&["git", "commit", "author", "name"]),
                author_email: kept(yaml, file, &a.author_email),
                signing_key,
                message_template: kept(yaml, file, &a.message_template),
                interval: kept(yaml, file, &a.interval),
                automation: kept(yaml, file, &self.model.objects[a.meta.object].name),
                ..Default::default()
            },
            dropped,
            from: Some((Dialect::Flux, origin(yaml, file, root))),
            ..Default::default()
        }
    }

    /// Indices into `FluxObjects::policies` the automation would use.
    fn selected(&self, a: &ImageUpdateAutomation, dropped: &mut Vec<Remark>) -> Vec<usize> {
        let file = a.meta.file;
        let yaml = yaml_of(self.ws, file);
        let spec = yaml.get(a.meta.root, "spec");
        let mut labels: Vec<(String, String)> = Vec::new();
        if let Some(sel) = spec.and_then(|s| yaml.get(s, "policySelector")) {
            let expressions = yaml
                .get(sel, "matchExpressions")
                .is_some_and(|e| !yaml.items(e).is_empty());
            if expressions {
                dropped.push(Remark::no_equivalent(
                    entry_origin(yaml, file, sel, &["matchExpressions"]),
                    "spec.policySelector.matchExpressions",
                    "not evaluated: every ImagePolicy in the namespace is exported with this automation",
                ));
            } else if let Some(m) = yaml.get(sel, "matchLabels") {
                labels = yaml
                    .entries(m)
                    .iter()
                    .filter_map(|&(k, v)| Some((yaml.str(k)?.to_owned(), yaml.str(v)?.to_owned())))
                    .collect();
            }
        }
        let ns = a.meta.namespace.as_deref();
        self.model
            .flux
            .policies
            .iter()
            .enumerate()
            .filter(|(_, p)| self.ws.files[p.meta.file].report)
            .filter(|(_, p)| {
                let pns = p.meta.namespace.as_deref();
                ns.is_none() || pns.is_none() || ns == pns
            })
            .filter(|(_, p)| {
                let py = yaml_of(self.ws, p.meta.file);
                let have = py.path(p.meta.root, &["metadata", "labels"]);
                labels.iter().all(|(k, v)| {
                    have.and_then(|m| py.get(m, k))
                        .and_then(|n| py.str(n))
                        .is_some_and(|x| x == v)
                })
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Remarks about an object go out once, with the first updater holding
    /// it.
    fn first_time(&mut self, object: usize) -> bool {
        self.remarked.insert(object)
    }

    fn image(
        &mut self,
        policy: &ImagePolicy,
        in_scope: &dyn Fn(&str) -> bool,
        dropped: &mut Vec<Remark>,
    ) -> Option<Image> {
        let ws = self.ws;
        let model = self.model;
        let flux = &model.flux;
        let file = policy.meta.file;
        let yaml = yaml_of(ws, file);
        let root = policy.meta.root;
        let spec = yaml.get(root, "spec");
        let fresh = self.first_time(policy.meta.object);
        let mut remarks = Vec::new();

        let Some(repo) = flux.repository_for(policy) else {
            if fresh {
                dropped.push(Remark::new(
                    RemarkKind::Skipped,
                    policy
                        .repository_name
                        .as_ref()
                        .map(|n| origin(yaml, file, n.node))
                        .or(Some(origin(yaml, file, root))),
                    "spec.imageRepositoryRef",
                    format!(
                        "ImagePolicy {}: its ImageRepository {} is not in the repository",
                        policy.meta.name,
                        policy.repository_name.as_ref().map_or("", |n| &n.value)
                    ),
                ));
            }
            return None;
        };
        let ry = yaml_of(ws, repo.meta.file);
        let rfile = repo.meta.file;
        let Some(name) = kept(ry, rfile, &repo.image) else {
            if fresh {
                dropped.push(Remark::new(
                    RemarkKind::Skipped,
                    Some(origin(ry, rfile, repo.meta.root)),
                    "spec.image",
                    format!("ImageRepository {} has no spec.image", repo.meta.name),
                ));
            }
            return None;
        };

        // Flux takes the first kind set.
        let Some(first) = policy.choices.first() else {
            if fresh {
                dropped.push(Remark::new(
                    RemarkKind::Skipped,
                    Some(origin(yaml, file, policy.policy.unwrap_or(root))),
                    "spec.policy",
                    format!(
                        "ImagePolicy {} sets none of semver, alphabetical, numerical",
                        policy.meta.name
                    ),
                ));
            }
            return None;
        };
        let kind = first.name.as_str();
        for ignored in &policy.choices[1..] {
            let ignored_name = ignored.name.as_str();
            remarks.push(Remark::no_equivalent(
                entry_of(yaml, file, ignored.node),
                format!("spec.policy.{ignored_name}"),
                format!("Flux uses only policy.{kind}; {ignored_name} is ignored there too"),
            ));
        }
        let kind_origin = Some(origin(yaml, file, first.node));
        let (strategy, constraint) = match first.kind() {
            Some(PolicyKind::Alphabetical { desc }) => (Strategy::Alphabetical { desc }, None),
            Some(PolicyKind::Numerical { desc }) => (Strategy::Numerical { desc }, None),
            // A semver without its range is still semver (the shape check
            // says the range is missing).
            _ => (Strategy::Semver, kept(yaml, file, &first.setting)),
        };

        let pull_secret = ry
            .get(repo.meta.root, "spec")
            .and_then(|s| ry.get(s, "secretRef"))
            .and_then(|s| {
                let n = str_at(ry, s, &["name"])?;
                Some(Field::new(
                    PullSecret::Secret {
                        namespace: repo.meta.namespace.clone(),
                        name: n.value,
                    },
                    Some(origin(ry, rfile, s)),
                ))
            });
        let scan_interval = kept(ry, rfile, &repo.interval);

        if let Some(iv) = &policy.interval {
            let same = scan_interval
                .as_ref()
                .is_some_and(|s| canonical_interval(&s.value) == canonical_interval(&iv.value));
            if !same {
                remarks.push(Remark::no_equivalent(
                    entry_of(yaml, file, iv.node),
                    "spec.interval",
                    "the policy's own digest refresh interval is not kept; Flux output uses the scan interval",
                ));
            }
        }
        if spec.is_some_and(|s| is_true(yaml, s, &["suspend"])) {
            remarks.push(Remark::no_equivalent(
                spec.and_then(|s| entry_origin(yaml, file, s, &["suspend"])),
                "spec.suspend",
                "the policy is suspended; the exported image is not",
            ));
        }
        if fresh {
            dropped.append(&mut remarks);
        }
        if self.first_time(repo.meta.object) {
            repository_remarks(ry, repo, dropped);
        }

        let mut img = Image {
            alias: kept(yaml, file, &model.objects[policy.meta.object].name),
            name,
            constraint,
            strategy: Some(Field::new(strategy, kind_origin)),
            tag_pattern: kept(yaml, file, &policy.filter_pattern).filter(|p| !p.value.is_empty()),
            extract: kept(yaml, file, &policy.filter_extract).filter(|e| !e.value.is_empty()),
            pull_secret,
            scan_interval,
            reflect_digest: kept(yaml, file, &policy.digest_reflection),
            origin: Some(origin(yaml, file, root)),
            ..Default::default()
        };
        self.targets(policy, &mut img, in_scope, dropped);
        Some(img)
    }

    /// Helm / kustomize targets from the markers naming `policy`.
    fn targets(
        &self,
        policy: &ImagePolicy,
        img: &mut Image,
        in_scope: &dyn Fn(&str) -> bool,
        dropped: &mut Vec<Remark>,
    ) {
        let ws = self.ws;
        let label = policy.meta.name.as_str();
        let mine: Vec<&Site> = self
            .sites
            .iter()
            .filter(|s| s.policy == policy.meta.object && in_scope(&ws.files[s.file].path))
            .collect();
        // One group per values document / kustomize entry, in file order.
        let mut groups: Vec<((FileId, NodeId), Vec<&Site>)> = Vec::new();
        for s in mine {
            let key = match &s.kind {
                SiteKind::Plain => continue,
                SiteKind::Kustomize { entry } => (s.file, entry.unwrap_or(s.node)),
                SiteKind::Helm { group, .. } => (s.file, *group),
            };
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(s),
                None => groups.push((key, vec![s])),
            }
        }
        let mut kept: Option<Shape> = None;
        for (_, list) in groups {
            let first = list[0];
            let yaml = yaml_of(ws, first.file);
            let at = Some(origin(yaml, first.file, first.node));
            let shape = match &first.kind {
                SiteKind::Kustomize { entry } => {
                    match entry.and_then(|e| field_at(yaml, first.file, e, &["name"])) {
                        Some(name) => Shape::Kustomize(name),
                        None => {
                            dropped.push(Remark::no_equivalent(
                                at,
                                format!("images[{label}].kustomize"),
                                "the marked kustomize images entry has no name",
                            ));
                            continue;
                        }
                    }
                }
                _ => {
                    let mut h = HelmTarget::default();
                    for s in &list {
                        let SiteKind::Helm { path, .. } = &s.kind else {
                            continue;
                        };
                        let f = Field::new(path.clone(), Some(origin(yaml, s.file, s.node)));
                        let slot = match s.suffix {
                            Suffix::Full => &mut h.spec,
                            Suffix::Tag => &mut h.tag,
                            Suffix::Name => &mut h.name,
                            Suffix::Digest => {
                                dropped.push(Remark::no_equivalent(
                                    f.origin,
                                    format!("images[{label}].helm"),
                                    format!(
                                        "the digest key {path} has no place in the spec; only the digest policy is kept"
                                    ),
                                ));
                                continue;
                            }
                        };
                        if slot.is_none() {
                            *slot = Some(f);
                        }
                    }
                    if h == HelmTarget::default() {
                        continue;
                    }
                    Shape::Helm(h)
                }
            };
            match &kept {
                None => kept = Some(shape),
                Some(k) if *k == shape => {}
                Some(k) => dropped.push(Remark::no_equivalent(
                    at,
                    format!("images[{label}].markers"),
                    format!(
                        "an image has one write target in the spec; {} is kept and {} is not",
                        describe(k),
                        describe(&shape)
                    ),
                )),
            }
        }
        match kept {
            Some(Shape::Helm(h)) => img.helm = Some(h),
            Some(Shape::Kustomize(k)) => img.kustomize_name = Some(k),
            None => {}
        }
    }
}

fn describe(shape: &Shape) -> String {
    match shape {
        Shape::Kustomize(n) => format!("kustomize image {}", n.value),
        Shape::Helm(h) => {
            let keys: Vec<String> = [("spec", &h.spec), ("name", &h.name), ("tag", &h.tag)]
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {}", v.value)))
                .collect();
            format!("Helm keys ({})", keys.join(", "))
        }
    }
}

/// What the spec cannot hold of an ImageRepository: the index's
/// exclusion list when it is not the default, and the keys only Flux has.
fn repository_remarks(yaml: &Yaml, repo: &ImageRepository, out: &mut Vec<Remark>) {
    let file = repo.meta.file;
    let spec = yaml.get(repo.meta.root, "spec");
    let mut push = |key: &str, at: Option<Origin>, why: &str| {
        if let Some(o) = at {
            out.push(Remark::no_equivalent(Some(o), format!("spec.{key}"), why));
        }
    };
    let at = |key: &str| spec.and_then(|s| entry_origin(yaml, file, s, &[key]));
    let is = |key: &str| spec.is_some_and(|s| is_true(yaml, s, &[key]));
    if let Some(list) = &repo.exclusion_list {
        let items: Vec<&str> = list.items.iter().map(|i| i.value.as_str()).collect();
        if !(items.is_empty() || items == [DEFAULT_EXCLUSION]) {
            push(
                "exclusionList",
                entry_of(yaml, file, list.node),
                "scan-time tag exclusions are not carried over",
            );
        }
    }
    if spec
        .and_then(|s| yaml.path_str(s, &["provider"]))
        .is_some_and(|p| p != "generic")
    {
        push(
            "provider",
            at("provider"),
            "cloud provider registry login is not carried over",
        );
    }
    for (key, why) in [
        (
            "certSecretRef",
            "registry TLS certificates are not carried over",
        ),
        ("proxySecretRef", "the registry proxy is not carried over"),
        (
            "serviceAccountName",
            "service account pull secrets are not carried over",
        ),
        (
            "accessFrom",
            "cross-namespace access rules are not carried over",
        ),
        ("timeout", "the scan timeout is not carried over"),
    ] {
        push(key, at(key), why);
    }
    if is("insecure") {
        push(
            "insecure",
            at("insecure"),
            "plain-HTTP registry access is not carried over",
        );
    }
    if is("suspend") {
        push(
            "suspend",
            at("suspend"),
            "the repository is suspended; the exported image is not",
        );
    }
}
