//! Update targets: every place the repository says "this value follows a
//! registry", with the value it holds now and what drives it (a Flux
//! policy, an Argo CD Image Updater image, a KubeSphere ImageUpdater).
//! Markers are read here; Argo CD and KubeSphere targets are the images of
//! the model's updaters ([`super::read`]), seen as Argo's controller sees
//! them: nothing here reads those objects again. Each Argo image carries
//! the live-image gate's answer ([`Live`]: does the Application run it?),
//! decided offline by `live`. Preview resolves the targets; apply writes
//! them.

use super::image;
use super::marker::{Suffix, Target as MarkerTarget};
use super::object::str_at;
use super::spec::{Dialect, Engine, Field, Updater, WriteMethod};
use super::workload::{is_kustomization_file, is_values_file};
use super::{Model, Object, argo, flux_scope, yaml_of};
use crate::diagnostic::FileId;
use crate::discover::Workspace;
use crate::yaml::{NodeId, NodeKind, Yaml};

mod live;
pub use live::{Live, contains_image};

/// Where a target was found (the `source` key of `preview -o json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A setter marker on any scalar.
    Marker,
    /// A setter marker inside kustomize `images:`.
    Kustomize,
    /// A setter marker in a Helm values file or HelmRelease `spec.values`.
    HelmValues,
    ArgocdAnnotation,
    ArgocdImageUpdater,
    KubesphereImageUpdater,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Marker => "marker",
            Source::Kustomize => "kustomize",
            Source::HelmValues => "helm-values",
            Source::ArgocdAnnotation => "argocd-annotation",
            Source::ArgocdImageUpdater => "argocd-imageupdater",
            Source::KubesphereImageUpdater => "kubesphere-imageupdater",
        }
    }
}

/// An Argo CD Image Updater image with its merged settings (image level
/// over application level over global), as strings exactly as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArgoImage {
    pub app: String,
    pub alias: Option<String>,
    /// The repository to query (`[registry/]name`, as Argo writes it).
    pub repository: String,
    pub constraint: Option<String>,
    pub strategy: Option<String>,
    pub allow_tags: Option<String>,
    pub ignore_tags: Vec<String>,
    pub platforms: Vec<String>,
    /// Whether the Application runs the image (the updater skips it
    /// otherwise), decided offline from what its source renders.
    pub live: Live,
    /// `force-update` / `forceUpdate`, merged down to the image: the
    /// controller updates the image even when the Application does not
    /// run it (the live-image gate does not apply).
    pub force_update: bool,
    /// What the controller does around this image that nothing offline
    /// does. Boxed to keep [`Driver`] small.
    pub offline: Box<ArgoOffline>,
    /// Where and how the updater writes this image back (apply reads it;
    /// preview does not). Boxed to keep [`Driver`] small.
    pub write_back: Box<ArgoWriteBack>,
}

/// What the controller would do with one Argo-driven image that preview
/// and apply cannot: they say it instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArgoOffline {
    /// Why the controller would not run this image's updater at all
    /// (`Updater::inactive`); preview and apply say it instead of a tag.
    pub inactive: Option<String>,
    /// What `imagesVerification` would check before the update, when
    /// enabled.
    pub verification: Option<String>,
    /// The pull request `writeBackConfig.gitConfig.pullRequest` would
    /// open.
    pub pull_request: Option<String>,
}

/// The write-back settings of one Argo-driven image, as written (argocd.md
/// §1.1, §2½, §3): strings are `None` when the configuration leaves them
/// out, so the defaults stay the writer's business.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArgoWriteBack {
    /// `write-back-method` annotation, `writeBackConfig.method` (image
    /// reference level over spec level), or KubeSphere `write`
    /// (`git` | `built-in`).
    pub method: Option<String>,
    /// `write-back-target` annotation or
    /// `writeBackConfig.gitConfig.writeBackTarget` (reference level over
    /// spec level). KubeSphere has none.
    pub target: Option<String>,
    /// `<alias>.helm.image-spec` / `manifestTargets.helm.spec`.
    pub helm_spec: Option<String>,
    /// `<alias>.helm.image-tag` / `manifestTargets.helm.tag`.
    pub helm_tag: Option<String>,
    /// `<alias>.helm.image-name` / `manifestTargets.helm.name`.
    pub helm_name: Option<String>,
    /// `<alias>.kustomize.image-name` / `manifestTargets.kustomize.name`.
    pub kustomize_name: Option<String>,
    /// `manifestTargets.plugin.{name,tag,spec}` (CR only, v1.3.0+): the
    /// plugin env entries written instead of Helm parameters.
    pub plugin: Option<PluginKeys>,
    /// Where the Application in the repository is (the annotated
    /// Application itself; for a CR or KubeSphere object, the Application
    /// named exactly by `namePattern` / `app.name`): the key the planner
    /// groups one application's images by. What it says is in
    /// `application`.
    pub app: Option<(FileId, NodeId)>,
    /// That Application's name, namespace and source, as written (set
    /// whenever [`Self::app`] is).
    pub application: Option<argo::AppSource>,
    /// The namespace the configuring object lives in (the Application's
    /// own for annotations; the CR's or KubeSphere object's, where the
    /// controller looks the Application up; KubeSphere design spelling:
    /// `app.namespace`).
    pub namespace: Option<String>,
}

/// The env entry names a plugin target writes, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginKeys {
    pub name: Option<String>,
    pub tag: Option<String>,
    pub spec: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Driver {
    Flux {
        namespace: String,
        name: String,
        suffix: Suffix,
        /// What Flux's controllers would do with the marker, judged once
        /// when the model is built.
        verdict: flux_scope::Verdict,
    },
    Argo(ArgoImage),
    /// KubeSphere kind fluxcd: one semver range for every image.
    KubesphereFlux {
        repository: String,
        range: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Target {
    pub file: FileId,
    /// The scalar holding the current value (markers), or the node that
    /// configures the image (Argo, KubeSphere).
    pub node: NodeId,
    pub source: Source,
    pub current: Option<String>,
    pub driver: Driver,
}

/// Every target: the markers', then the updaters' (which
/// [`Model::build`] reads in between), in file order.
pub fn collect(ws: &Workspace, model: &Model) -> Vec<Target> {
    let mut out = markers(ws, model);
    out.extend(of_updaters(ws, model));
    sort(ws, &mut out);
    out
}

pub(super) fn sort(ws: &Workspace, targets: &mut [Target]) {
    targets.sort_by_key(|t| (t.file, yaml_of(ws, t.file).node(t.node).span.start));
}

/// The values setter markers drive.
pub(super) fn markers(ws: &Workspace, model: &Model) -> Vec<Target> {
    let mut out = Vec::new();
    for m in &model.markers {
        let Ok(reference) = &m.reference else {
            continue;
        };
        let node = match m.target {
            MarkerTarget::Scalar(n) | MarkerTarget::HeadOfItem(n) => n,
            _ => continue,
        };
        let yaml = yaml_of(ws, m.file);
        let Some(current) = yaml.str(node) else {
            continue;
        };
        out.push(Target {
            file: m.file,
            node,
            source: marker_source(&ws.files[m.file].path, yaml, node),
            current: Some(current.to_owned()),
            driver: Driver::Flux {
                namespace: reference.namespace.clone(),
                name: reference.name.clone(),
                suffix: reference.suffix,
                verdict: flux_scope::Verdict::default(),
            },
        });
    }
    out
}

/// The images every Argo CD or KubeSphere updater of the model drives, in
/// reported files. Flux updaters are markers, above.
pub(super) fn of_updaters(ws: &Workspace, model: &Model) -> Vec<Target> {
    let mut out = Vec::new();
    for u in &model.updaters {
        let Some((dialect, from)) = u.from else {
            continue;
        };
        if !ws.files[from.file].report {
            continue;
        }
        let source = match dialect {
            Dialect::Argocd => Source::ArgocdAnnotation,
            Dialect::ArgocdCrd => Source::ArgocdImageUpdater,
            Dialect::Kubesphere => Source::KubesphereImageUpdater,
            Dialect::Flux => continue,
        };
        updater_targets(ws, model, u, source, &mut out);
    }
    out
}

fn marker_source(path: &str, yaml: &Yaml, node: NodeId) -> Source {
    // Keys from the marked value up to the document root.
    let mut keys = Vec::new();
    let mut at = node;
    while let Some(parent) = yaml.node(at).parent {
        if let Some(k) = yaml.key_for(at).and_then(|k| yaml.str(k)) {
            keys.push(k);
        }
        at = parent;
    }
    if is_kustomization_file(path) && keys.contains(&"images") {
        return Source::Kustomize;
    }
    let in_helm_release = keys.windows(2).any(|w| w == ["values", "spec"]);
    if is_values_file(path) || in_helm_release {
        return Source::HelmValues;
    }
    Source::Marker
}

/// The repository an Argo image entry queries, and its constraint.
/// `[registry/]name` of an image as Argo queries it (tag, digest and
/// constraint cut off).
fn repository_of(name: &str) -> String {
    match image::parse_argo_item(name) {
        Ok(p) => match p.registry() {
            Some(r) => format!("{r}/{}", p.name()),
            None => p.name().to_owned(),
        },
        Err(_) => name.to_owned(),
    }
}

/// The innermost node of `yaml` whose bytes hold `offset`.
fn node_at(yaml: &Yaml, offset: usize) -> Option<NodeId> {
    let holds = |n: NodeId| {
        let s = yaml.node(n).span;
        s.start <= offset && offset < s.end.max(s.start + 1)
    };
    let mut at = yaml.roots().find(|&r| holds(r))?;
    loop {
        let children: Vec<NodeId> = match &yaml.node(at).kind {
            NodeKind::Mapping(entries) => entries.iter().flat_map(|&(k, v)| [k, v]).collect(),
            NodeKind::Sequence(items) => items.clone(),
            _ => return Some(at),
        };
        match children.into_iter().find(|&c| holds(c)) {
            Some(c) => at = c,
            None => return Some(at),
        }
    }
}

/// The Application an updater writes back for: the annotated object
/// itself, else the one the repository holds under exactly the name the
/// updater gives (a pattern names none).
fn application<'m>(
    ws: &Workspace,
    model: &'m Model,
    u: &Updater,
    source: Source,
) -> Option<&'m Object> {
    let is_app = |o: &&Object| {
        argo::is_application(
            o.api_version.as_ref().map_or("", |a| a.value.as_str()),
            o.kind(),
        )
    };
    if source == Source::ArgocdAnnotation {
        let (_, from) = u.from?;
        return model.objects.iter().filter(is_app).find(|o| {
            let span = yaml_of(ws, o.file).node(o.root).span;
            o.file == from.file && span.start <= from.span.start && from.span.start < span.end
        });
    }
    let name = u.app.name.as_ref().map_or("", |n| n.value.as_str());
    model
        .objects
        .iter()
        .filter(is_app)
        .find(|o| o.name() == name)
}

/// The write method as the controller's configuration spells it, for
/// apply's messages.
fn method_text(u: &Updater, source: Source) -> Option<String> {
    if let Some(unknown) = &u.unknown_write {
        return Some(unknown.value.clone());
    }
    let m = &u.write.as_ref()?.value;
    Some(match (m, source) {
        (WriteMethod::InCluster, Source::KubesphereImageUpdater) => "built-in".to_owned(),
        (WriteMethod::InCluster, _) => "argocd".to_owned(),
        (WriteMethod::Git { credentials: None }, _) => "git".to_owned(),
        (
            WriteMethod::Git {
                credentials: Some(c),
            },
            _,
        ) => format!("git:{c}"),
    })
}

fn updater_targets(
    ws: &Workspace,
    model: &Model,
    u: &Updater,
    source: Source,
    out: &mut Vec<Target>,
) {
    // A CR's ref drives every Application the reader scoped to it; other
    // updaters the one Application they name.
    let apps: Vec<Option<&Object>> = if source == Source::ArgocdImageUpdater {
        let scoped: Vec<Option<&Object>> =
            u.applications
                .iter()
                .filter_map(|o| {
                    model.objects.iter().find(|a| {
                        a.file == o.file && yaml_of(ws, a.file).node(a.root).span == o.span
                    })
                })
                .map(Some)
                .collect();
        if scoped.is_empty() {
            vec![None]
        } else {
            scoped
        }
    } else {
        vec![application(ws, model, u, source)]
    };
    for app in apps {
        app_targets(ws, u, source, app, out);
    }
}

fn app_targets(
    ws: &Workspace,
    u: &Updater,
    source: Source,
    app: Option<&Object>,
    out: &mut Vec<Target>,
) {
    let value = |f: &Option<Field<String>>| f.as_ref().map(|f| f.value.clone());
    let list = |f: &Option<Field<Vec<String>>>| f.as_ref().map_or(Vec::new(), |f| f.value.clone());
    let app_source = app.map(|a| argo::AppSource::read(yaml_of(ws, a.file), a));
    for img in &u.images {
        let Some(at) = img.name.origin.or(img.origin) else {
            continue;
        };
        let yaml = yaml_of(ws, at.file);
        let Some(node) = node_at(yaml, at.span.start) else {
            continue;
        };
        // An ApplicationSet's placeholder is an image only once generated.
        let placeholder =
            |f: &Option<Field<String>>| f.as_ref().is_some_and(|f| f.value.contains("{{"));
        if u.templated && (img.name.value.contains("{{") || placeholder(&img.constraint)) {
            continue;
        }
        let repository = repository_of(&img.name.value);
        if source == Source::KubesphereImageUpdater && u.engine == Engine::Fluxcd {
            out.push(Target {
                file: at.file,
                node,
                source,
                current: None,
                driver: Driver::KubesphereFlux {
                    repository,
                    range: value(&img.constraint),
                },
            });
            continue;
        }
        let allow_tags = match (&img.matches_nothing, &img.tag_pattern) {
            (Some(v), _) => Some(v.value.clone()),
            (None, Some(re)) => Some(format!("regexp:{}", re.value)),
            (None, None) => None,
        };
        let helm = img.helm.clone().unwrap_or_default();
        let plugin = img.plugin.as_ref().map(|p| PluginKeys {
            name: value(&p.name),
            tag: value(&p.tag),
            spec: value(&p.spec),
        });
        let keys = ArgoKeys {
            helm_spec: value(&helm.spec),
            helm_tag: value(&helm.tag),
            helm_name: value(&helm.name),
            kustomize_name: value(&img.kustomize_name),
            plugin,
            write_back_target: value(&u.git.target),
        };
        let force_update = img.force_update.as_ref().is_some_and(|f| f.value);
        let live = live::gate(
            ws,
            app,
            &repository,
            img.kustomize_name.as_ref().map(|k| k.value.as_str()),
            force_update,
        );
        let config = ArgoImage {
            app: app
                .map(|a| a.name().to_owned())
                .or_else(|| value(&u.app.name))
                .unwrap_or_default(),
            alias: value(&img.alias),
            repository,
            constraint: value(&img.constraint),
            strategy: img.strategy.as_ref().map(|s| s.value.name().to_owned()),
            allow_tags,
            ignore_tags: list(&img.ignore_tags),
            platforms: list(&img.platforms),
            live,
            force_update,
            offline: Box::new(ArgoOffline {
                inactive: u.inactive.clone(),
                verification: img
                    .verification
                    .as_ref()
                    .filter(|v| v.value.enabled)
                    .map(|v| v.value.describe()),
                pull_request: u.pull_request.as_ref().map(|p| p.value.describe()),
            }),
            write_back: Box::default(),
        };
        let current = app.and_then(|a| argo_current(ws, a, yaml_of(ws, a.file), &config, &keys));
        let namespace = value(&u.app.namespace).or_else(|| u.namespace.clone());
        let config = ArgoImage {
            write_back: keys.write_back(
                method_text(u, source),
                app.map(|a| (a.file, a.root)),
                app_source.clone(),
                namespace,
            ),
            ..config
        };
        out.push(Target {
            file: at.file,
            node,
            source,
            current,
            driver: Driver::Argo(config),
        });
    }
}

/// Which Helm keys / kustomize name an Argo image is written under.
#[derive(Debug, Clone, Default)]
struct ArgoKeys {
    helm_spec: Option<String>,
    helm_tag: Option<String>,
    helm_name: Option<String>,
    kustomize_name: Option<String>,
    plugin: Option<PluginKeys>,
    /// `write-back-target` (`helmvalues:<file>` is read first).
    write_back_target: Option<String>,
}

impl ArgoKeys {
    fn write_back(
        self,
        method: Option<String>,
        app: Option<(FileId, NodeId)>,
        application: Option<argo::AppSource>,
        namespace: Option<String>,
    ) -> Box<ArgoWriteBack> {
        Box::new(ArgoWriteBack {
            method,
            target: self.write_back_target,
            helm_spec: self.helm_spec,
            helm_tag: self.helm_tag,
            helm_name: self.helm_name,
            kustomize_name: self.kustomize_name,
            plugin: self.plugin,
            app,
            application,
            namespace,
        })
    }
}

/// The value an Argo-managed image has in the repository now: the
/// write-back file next to the application's source, the Application's own
/// source parameters, then the kustomization or Helm values files at its
/// path. Helm values hold the tag (or the full reference with
/// `helm.image-spec`); a name key that names another image disqualifies a
/// file, as two images cannot share `image.tag`.
fn argo_current(
    ws: &Workspace,
    app: &Object,
    yaml: &Yaml,
    config: &ArgoImage,
    keys: &ArgoKeys,
) -> Option<String> {
    let wanted = image::parse(&config.repository)
        .ok()
        .map(|r| r.normalized_name());
    let same = |name: &str| {
        let n = image::parse(name).ok().map(|r| r.normalized_name());
        n.is_some() && n == wanted || keys.kustomize_name.as_deref() == Some(name)
    };
    let tag_key = keys
        .helm_tag
        .clone()
        .unwrap_or_else(|| "image.tag".to_owned());
    let name_key = keys
        .helm_name
        .clone()
        .unwrap_or_else(|| "image.name".to_owned());
    let source = argo::source_node(yaml, app.root).filter(|&s| yaml.is_mapping(s));
    let path = source
        .and_then(|s| str_at(yaml, s, &["path"]))
        .map(|p| super::flux::normalize_rel(&p.value));

    // Reads one Helm key from a parameter list or a values document: the
    // full reference (image-spec) or the tag, after checking the name.
    let helm_value = |get: &dyn Fn(&str) -> Option<String>| -> Option<String> {
        if let Some(spec) = &keys.helm_spec {
            return get(spec).filter(|v| image::parse(v).is_ok_and(|r| same(r.name())));
        }
        if let Some(name) = get(&name_key) {
            // Bitnami-style values keep the registry in a key of its own,
            // so the name key may hold only the repository path.
            let path_only = config.repository.ends_with(&format!("/{name}"));
            if !same(&name) && !path_only {
                return None;
            }
        }
        get(&tag_key)
    };
    let from_params = |y: &Yaml, list: NodeId| {
        let get = |key: &str| -> Option<String> {
            y.items(list)
                .iter()
                .find(|&&p| y.path_str(p, &["name"]) == Some(key))
                .and_then(|&p| y.path_str(p, &["value"]).map(str::to_owned))
        };
        helm_value(&get)
    };
    let digest_strategy = config.strategy.as_deref() == Some("digest");
    let from_kustomize_list = |y: &Yaml, list: NodeId| {
        y.items(list)
            .iter()
            .filter_map(|&i| y.str(i))
            .find_map(|entry| {
                let image = entry.split_once('=').map_or(entry, |(_, img)| img);
                let parsed = image::parse(image).ok()?;
                let name_side = entry.split_once('=').map_or(parsed.name(), |(n, _)| n);
                (same(parsed.name()) || same(name_side)).then(|| {
                    // The digest strategy compares digests: its
                    // current value is `tag@digest`, as it writes it.
                    let tag = parsed.tag().unwrap_or("");
                    match parsed.digest() {
                        Some(d) if digest_strategy => {
                            format!("{}@{d}", if tag.is_empty() { "latest" } else { tag })
                        }
                        _ => tag.to_owned(),
                    }
                })
            })
    };
    // Plugin env entries hold the name, the tag or the whole reference
    // under the names the plugin target gives.
    let from_env = |y: &Yaml, list: NodeId| -> Option<String> {
        let p = keys.plugin.as_ref()?;
        let get = |key: &str| -> Option<String> {
            y.items(list)
                .iter()
                .find(|&&e| y.path_str(e, &["name"]) == Some(key))
                .and_then(|&e| y.path_str(e, &["value"]).map(str::to_owned))
        };
        if let Some(spec) = p.spec.as_deref().filter(|s| !s.is_empty()) {
            return get(spec).filter(|v| image::parse(v).is_ok_and(|r| same(r.name())));
        }
        if let Some(name) = p.name.as_deref().and_then(&get)
            && !same(&name)
        {
            return None;
        }
        get(p.tag.as_deref()?)
    };
    let in_source = |y: &Yaml, root: NodeId| {
        if keys.plugin.is_some()
            && let Some(found) = y
                .path(root, &["plugin", "env"])
                .and_then(|l| from_env(y, l))
        {
            return Some(found);
        }
        y.path(root, &["kustomize", "images"])
            .and_then(|l| from_kustomize_list(y, l))
            .or_else(|| {
                y.path(root, &["helm", "parameters"])
                    .and_then(|l| from_params(y, l))
            })
    };
    let parsed = |rel: &str| ws.file_id(rel).and_then(|id| ws.files[id].yaml.as_ref());
    let dir = path.clone().unwrap_or_default();
    let join = |name: &str| {
        if let Some(from_root) = name.strip_prefix('/') {
            super::flux::normalize_rel(from_root)
        } else if dir.is_empty() {
            super::flux::normalize_rel(name)
        } else {
            super::flux::normalize_rel(&format!("{dir}/{name}"))
        }
    };

    if path.is_some() {
        let own = argo::source_file_name(app.namespace(), app.name());
        for name in [own, ".argocd-source.yaml".to_owned()] {
            if let Some(found) =
                parsed(&join(&name)).and_then(|y| y.roots().next().and_then(|r| in_source(y, r)))
            {
                return Some(found);
            }
        }
    }
    if let Some(found) = source.and_then(|s| in_source(yaml, s)) {
        return Some(found);
    }
    path.as_ref()?;
    for name in ["kustomization.yaml", "kustomization.yml", "Kustomization"] {
        let Some(y) = parsed(&join(name)) else {
            continue;
        };
        let root = y.roots().next()?;
        for &entry in y.items(y.get(root, "images")?) {
            if same(y.path_str(entry, &["name"]).unwrap_or_default()) {
                return y.path_str(entry, &["newTag"]).map(str::to_owned);
            }
        }
    }
    // Values files, highest precedence first: the helmvalues write-back
    // target, then valueFiles from last to first, then values.yaml.
    let mut files: Vec<String> = Vec::new();
    if let Some(target) = keys
        .write_back_target
        .as_deref()
        .and_then(|t| t.strip_prefix("helmvalues"))
    {
        files.push(join(
            target
                .strip_prefix(':')
                .filter(|f| !f.is_empty())
                .unwrap_or("values.yaml"),
        ));
    }
    if let Some(list) = source.and_then(|s| yaml.path(s, &["helm", "valueFiles"])) {
        files.extend(
            yaml.items(list)
                .iter()
                .rev()
                .filter_map(|&i| yaml.str(i))
                .map(&join),
        );
    }
    files.push(join("values.yaml"));
    for rel in files {
        let Some(y) = parsed(&rel) else { continue };
        let Some(root) = y.roots().next() else {
            continue;
        };
        // A literal dotted key at the root wins over nesting, as Argo reads it.
        let get = |key: &str| -> Option<String> {
            let node = y
                .get(root, key)
                .or_else(|| y.path(root, &key.split('.').collect::<Vec<_>>()))?;
            match &y.node(y.resolve(node)).kind {
                NodeKind::Scalar { value, .. } => Some(value.clone()),
                _ => None,
            }
        };
        if let Some(found) = helm_value(&get) {
            return Some(found);
        }
    }
    None
}

#[cfg(test)]
mod tests;
