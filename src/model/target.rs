//! Update targets: every place the repository says "this value follows a
//! registry", with the value it holds now and what drives it (a Flux
//! policy, an Argo CD Image Updater image, a KubeSphere ImageUpdater).
//! Preview resolves them; apply will write them.

use super::image;
use super::marker::{Suffix, Target as MarkerTarget};
use super::object::str_at;
use super::workload::{is_kustomization_file, is_values_file};
use super::{Model, Object, argo, kubesphere, yaml_of};
use crate::diagnostic::FileId;
use crate::discover::Workspace;
use crate::yaml::{NodeId, NodeKind, Yaml};

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
    /// Where and how the updater writes this image back (apply reads it;
    /// preview does not). Boxed to keep [`Driver`] small.
    pub write_back: Box<ArgoWriteBack>,
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
    /// The Application in the repository: its file and document root
    /// (the annotated Application itself; for a CR or KubeSphere object,
    /// the Application named exactly by `namePattern` / `app.name`).
    pub app: Option<(FileId, NodeId)>,
    /// The namespace the configuring object lives in (the Application's
    /// own for annotations; the CR's or KubeSphere object's, where the
    /// controller looks the Application up; KubeSphere design spelling:
    /// `app.namespace`).
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Driver {
    Flux {
        namespace: String,
        name: String,
        suffix: Suffix,
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

pub fn collect(ws: &Workspace, model: &Model) -> Vec<Target> {
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
            },
        });
    }
    for obj in &model.objects {
        if !ws.files[obj.file].report {
            continue;
        }
        let yaml = yaml_of(ws, obj.file);
        let api = obj.api_version.as_ref().map_or("", |a| a.value.as_str());
        if argo::is_application(api, obj.kind()) {
            annotation_targets(ws, obj, yaml, &mut out);
        } else if obj.group() == argo::CR_GROUP && obj.kind() == "ImageUpdater" {
            crd_targets(ws, model, obj, yaml, &mut out);
        } else if obj.group() == kubesphere::GROUP && obj.kind() == "ImageUpdater" {
            kubesphere_targets(ws, model, obj, yaml, &mut out);
        }
    }
    out.sort_by_key(|t| (t.file, yaml_of(ws, t.file).node(t.node).span.start));
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
fn argo_image(text: &str) -> Option<(Option<String>, String, Option<String>)> {
    let parsed = image::parse_argo_item(text).ok()?;
    // `nginx:>=1.0` without an alias reads as image "1.0"; validate reports
    // it (IU414) and there is nothing meaningful to preview.
    if parsed.eq_constraint_trap().is_some() {
        return None;
    }
    let repository = match parsed.registry() {
        Some(r) => format!("{r}/{}", parsed.name()),
        None => parsed.name().to_owned(),
    };
    Some((
        parsed.alias().map(str::to_owned),
        repository,
        parsed.constraint().map(str::to_owned),
    ))
}

fn split_list(v: &str) -> Vec<String> {
    argo::split_list(v).into_iter().map(|i| i.text).collect()
}

fn annotation_targets(ws: &Workspace, obj: &Object, yaml: &Yaml, out: &mut Vec<Target>) {
    let list = argo::annotations(yaml, obj.root);
    let Some(image_list) = list.iter().find(|a| a.key == "image-list") else {
        return;
    };
    let get = |key: &str| {
        list.iter()
            .find(|a| a.key == key)
            .map(|a| a.value.value.clone())
    };
    for item in argo::split_list(&image_list.value.value) {
        let Some((alias, repository, constraint)) = argo_image(&item.text) else {
            continue;
        };
        let per = |key: &str| alias.as_ref().and_then(|a| get(&format!("{a}.{key}")));
        let setting = |key: &str| per(key).or_else(|| get(key));
        let config = ArgoImage {
            app: obj.name().to_owned(),
            alias: alias.clone(),
            repository,
            constraint,
            strategy: setting("update-strategy"),
            allow_tags: setting("allow-tags"),
            ignore_tags: setting("ignore-tags")
                .map(|v| split_list(&v))
                .unwrap_or_default(),
            platforms: per("platforms").map(|v| split_list(&v)).unwrap_or_default(),
            write_back: Box::default(),
        };
        let keys = ArgoKeys {
            helm_spec: per("helm.image-spec"),
            helm_tag: per("helm.image-tag"),
            helm_name: per("helm.image-name"),
            kustomize_name: per("kustomize.image-name"),
            write_back_target: get("write-back-target"),
        };
        let current = argo_current(ws, obj, yaml, &config, &keys);
        let config = ArgoImage {
            write_back: keys.write_back(
                get("write-back-method"),
                Some((obj.file, obj.root)),
                obj.namespace().map(str::to_owned),
            ),
            ..config
        };
        out.push(Target {
            file: obj.file,
            node: image_list.value.node,
            source: Source::ArgocdAnnotation,
            current,
            driver: Driver::Argo(config),
        });
    }
}

fn crd_targets(ws: &Workspace, model: &Model, obj: &Object, yaml: &Yaml, out: &mut Vec<Target>) {
    let Some(spec) = obj.spec(yaml) else { return };
    let settings = |node: Option<NodeId>| Settings::read(yaml, node);
    let global = settings(yaml.get(spec, "commonUpdateSettings"));
    for r in argo::application_refs(yaml, spec) {
        if r.use_annotations {
            continue;
        }
        let app_level = settings(yaml.get(r.node, "commonUpdateSettings")).over(&global);
        let pattern = r
            .name_pattern
            .as_ref()
            .map_or(String::new(), |p| p.value.clone());
        for &img in &r.images {
            let Some(name) = str_at(yaml, img, &["imageName"]) else {
                continue;
            };
            let Some((_, repository, constraint)) = argo_image(&name.value) else {
                continue;
            };
            let s = settings(yaml.get(img, "commonUpdateSettings")).over(&app_level);
            let config = ArgoImage {
                app: pattern.clone(),
                alias: str_at(yaml, img, &["alias"]).map(|a| a.value),
                repository,
                constraint,
                strategy: s.strategy,
                allow_tags: s.allow_tags,
                ignore_tags: s.ignore_tags.unwrap_or_default(),
                platforms: s.platforms.unwrap_or_default(),
                write_back: Box::default(),
            };
            let target = |k: &[&str]| str_at(yaml, img, k).map(|t| t.value);
            let write_back = |n: NodeId| {
                str_at(
                    yaml,
                    n,
                    &["writeBackConfig", "gitConfig", "writeBackTarget"],
                )
                .map(|t| t.value)
            };
            let keys = ArgoKeys {
                helm_spec: target(&["manifestTargets", "helm", "spec"]),
                helm_tag: target(&["manifestTargets", "helm", "tag"]),
                helm_name: target(&["manifestTargets", "helm", "name"]),
                kustomize_name: target(&["manifestTargets", "kustomize", "name"]),
                write_back_target: write_back(r.node).or_else(|| write_back(spec)),
            };
            // Only an exact application name can be found in the repository.
            let app = model.objects.iter().find(|o| {
                argo::is_application(
                    o.api_version.as_ref().map_or("", |a| a.value.as_str()),
                    o.kind(),
                ) && o.name() == pattern
            });
            let current =
                app.and_then(|app| argo_current(ws, app, yaml_of(ws, app.file), &config, &keys));
            // v1.3: a method left out at the reference level inherits the
            // spec level's.
            let method =
                |n: NodeId| str_at(yaml, n, &["writeBackConfig", "method"]).map(|m| m.value);
            let config = ArgoImage {
                write_back: keys.write_back(
                    method(r.node).or_else(|| method(spec)),
                    app.map(|a| (a.file, a.root)),
                    obj.namespace().map(str::to_owned),
                ),
                ..config
            };
            out.push(Target {
                file: obj.file,
                node: name.node,
                source: Source::ArgocdImageUpdater,
                current,
                driver: Driver::Argo(config),
            });
        }
    }
}

/// `commonUpdateSettings` at one level; `None` fields inherit.
#[derive(Default, Clone)]
struct Settings {
    strategy: Option<String>,
    allow_tags: Option<String>,
    ignore_tags: Option<Vec<String>>,
    platforms: Option<Vec<String>>,
}

impl Settings {
    fn read(yaml: &Yaml, node: Option<NodeId>) -> Self {
        let Some(node) = node else {
            return Self::default();
        };
        let list = |key: &str| {
            yaml.get(node, key).map(|l| {
                yaml.items(l)
                    .iter()
                    .filter_map(|&i| yaml.str(i).map(str::to_owned))
                    .collect()
            })
        };
        Self {
            strategy: str_at(yaml, node, &["updateStrategy"]).map(|s| s.value),
            allow_tags: str_at(yaml, node, &["allowTags"]).map(|s| s.value),
            ignore_tags: list("ignoreTags"),
            platforms: list("platforms"),
        }
    }

    fn over(self, base: &Settings) -> Settings {
        Settings {
            strategy: self.strategy.or_else(|| base.strategy.clone()),
            allow_tags: self.allow_tags.or_else(|| base.allow_tags.clone()),
            ignore_tags: self.ignore_tags.or_else(|| base.ignore_tags.clone()),
            platforms: self.platforms.or_else(|| base.platforms.clone()),
        }
    }
}

fn kubesphere_targets(
    ws: &Workspace,
    model: &Model,
    obj: &Object,
    yaml: &Yaml,
    out: &mut Vec<Target>,
) {
    let Some(spec) = obj.spec(yaml) else { return };
    let kind = str_at(yaml, spec, &["kind"]).map_or("argocd".to_owned(), |k| k.value);
    let Some(images) = yaml.get(spec, "images") else {
        return;
    };
    for &item in yaml.items(images) {
        let Some(text) = yaml.str(item) else { continue };
        let Some((alias, repository, constraint)) = argo_image(text) else {
            continue;
        };
        if kind == "fluxcd" {
            let range = yaml
                .get(spec, "fluxcd")
                .and_then(|f| str_at(yaml, f, &["policy", "semver", "range"]))
                .map(|r| r.value);
            out.push(Target {
                file: obj.file,
                node: item,
                source: Source::KubesphereImageUpdater,
                current: None,
                driver: Driver::KubesphereFlux { repository, range },
            });
            continue;
        }
        let (section, spelling) = match (yaml.get(spec, "argo"), yaml.get(spec, "argocd")) {
            (Some(s), _) => (Some(s), kubesphere::Spelling::Shipped),
            (None, Some(d)) => (Some(d), kubesphere::Spelling::Design),
            (None, None) => (None, kubesphere::Spelling::Shipped),
        };
        let setting = |s: kubesphere::Setting| {
            let section = section?;
            let map = yaml.get(section, kubesphere::key_of(spelling, s))?;
            let alias = alias.as_ref()?;
            yaml.get(map, alias)
                .and_then(|v| yaml.str(v))
                .map(str::to_owned)
        };
        // The shipped controller prepends "regexp:" to allowTags itself.
        let allow_tags = setting(kubesphere::Setting::AllowTags).map(|v| match spelling {
            kubesphere::Spelling::Shipped => format!("regexp:{v}"),
            kubesphere::Spelling::Design => v,
        });
        let app = section
            .and_then(|s| str_at(yaml, s, &["app", "name"]))
            .map_or(String::new(), |a| a.value);
        let config = ArgoImage {
            app: app.clone(),
            alias: alias.clone(),
            repository,
            constraint,
            strategy: setting(kubesphere::Setting::UpdateStrategy),
            allow_tags,
            ignore_tags: setting(kubesphere::Setting::IgnoreTags)
                .map(|v| split_list(&v))
                .unwrap_or_default(),
            platforms: setting(kubesphere::Setting::Platforms)
                .map(|v| split_list(&v))
                .unwrap_or_default(),
            write_back: Box::default(),
        };
        let application = model.objects.iter().find(|o| {
            argo::is_application(
                o.api_version.as_ref().map_or("", |a| a.value.as_str()),
                o.kind(),
            ) && o.name() == app
        });
        let current = application
            .and_then(|a| argo_current(ws, a, yaml_of(ws, a.file), &config, &ArgoKeys::default()));
        let section_str =
            |keys: &[&str]| section.and_then(|s| str_at(yaml, s, keys)).map(|v| v.value);
        // The shipped `argo.app` has only a name: the Application lives in
        // the ImageUpdater's namespace; the design spelling may name one.
        let namespace = match spelling {
            kubesphere::Spelling::Design => section_str(&["app", "namespace"]),
            kubesphere::Spelling::Shipped => None,
        }
        .or_else(|| obj.namespace().map(str::to_owned));
        let config = ArgoImage {
            write_back: Box::new(ArgoWriteBack {
                method: section_str(&["write"]),
                app: application.map(|a| (a.file, a.root)),
                namespace,
                ..ArgoWriteBack::default()
            }),
            ..config
        };
        out.push(Target {
            file: obj.file,
            node: item,
            source: Source::KubesphereImageUpdater,
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
    /// `write-back-target` (`helmvalues:<file>` is read first).
    write_back_target: Option<String>,
}

impl ArgoKeys {
    fn write_back(
        self,
        method: Option<String>,
        app: Option<(FileId, NodeId)>,
        namespace: Option<String>,
    ) -> Box<ArgoWriteBack> {
        Box::new(ArgoWriteBack {
            method,
            target: self.write_back_target,
            helm_spec: self.helm_spec,
            helm_tag: self.helm_tag,
            helm_name: self.helm_name,
            kustomize_name: self.kustomize_name,
            app,
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
    let source = yaml.path(app.root, &["spec", "source"]);
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
    let from_kustomize_list = |y: &Yaml, list: NodeId| {
        y.items(list)
            .iter()
            .filter_map(|&i| y.str(i))
            .find_map(|entry| {
                let image = entry.split_once('=').map_or(entry, |(_, img)| img);
                let parsed = image::parse(image).ok()?;
                let name_side = entry.split_once('=').map_or(parsed.name(), |(n, _)| n);
                (same(parsed.name()) || same(name_side))
                    .then(|| parsed.tag().unwrap_or("").to_owned())
            })
    };
    let in_source = |y: &Yaml, root: NodeId| {
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
