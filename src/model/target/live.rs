//! Argo CD Image Updater's live-image gate, offline: an image is only
//! considered when the Application runs it (`UpdateApplication` in
//! `pkg/argocd/update.go` skips an image `ContainsImage` does not find
//! among `status.summary.images`). Without a cluster the live images are
//! those of the workloads the Application's source path renders from: the
//! containers of a kustomization's resources (with its `images:` applied),
//! of a plain directory's manifests, or of a chart's values and literal
//! templates, then the Application's own `kustomize.images` and its
//! `.argocd-source` overrides. Hands [`Live`] to the target; preview skips
//! an image that is [`Live::No`].

use super::super::flux::normalize_rel;
use super::super::image;
use super::super::workload::{self, HelmImage, is_kustomization_file};
use super::super::{Object, argo};
use crate::diagnostic::FileId;
use crate::discover::Workspace;
use crate::yaml::{NodeId, Yaml};

/// Whether the Application runs an image, as the gate decides it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Live {
    /// Not decided offline: no Application in the repository, a source
    /// outside this checkout, or nothing found that it renders. The image
    /// is considered.
    #[default]
    Unknown,
    /// Among the live images, or forced (`forceUpdate`).
    Yes,
    /// Not among them; the reason preview gives.
    No(String),
}

/// What the Application's source renders, as far as the repository says.
struct Rendered {
    images: Vec<String>,
    /// False when part of it is out of sight (a remote resource, a
    /// missing file): an image not found then decides nothing.
    complete: bool,
    /// How the images were found, for the reason.
    how: &'static str,
    /// Chart values: a name without a registry may get one from the
    /// chart's templates (a `global.imageRegistry`, a fixed prefix), so the
    /// short form of the configured image (`ExtractShortForm`) also counts.
    short_form_counts: bool,
    path: String,
}

/// Live images a reason names; a long list would bury the reason.
const SHOWN: usize = 6;

const KUSTOMIZATION_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The gate for one configured image (`repository` as the updater reads
/// it, `kustomize_name` its `kustomize.image-name`), `forced` by
/// `forceUpdate`.
pub(super) fn gate(
    ws: &Workspace,
    app: Option<&Object>,
    repository: &str,
    kustomize_name: Option<&str>,
    forced: bool,
) -> Live {
    if forced {
        return Live::Yes;
    }
    let Some(app) = app else {
        return Live::Unknown;
    };
    let Some(r) = rendered(ws, app) else {
        return Live::Unknown;
    };
    let wanted = [Some(repository), kustomize_name];
    let found = wanted
        .into_iter()
        .flatten()
        .any(|w| contains_image(&r.images, w))
        || (r.short_form_counts && short_form_in(&r.images, repository));
    if found {
        return Live::Yes;
    }
    if !r.complete || r.images.is_empty() {
        return Live::Unknown;
    }
    let mut live: Vec<&str> = r.images.iter().map(String::as_str).collect();
    live.sort_unstable();
    live.dedup();
    let more = live.len().saturating_sub(SHOWN);
    live.truncate(SHOWN);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Live::No(format!(
        "not among Application {}'s live images (offline: the workloads its source path {} renders from, {}: {}{more}); skipped unless forceUpdate",
        app.name(),
        shown(&r.path),
        r.how,
        live.join(", ")
    ))
}

fn shown(path: &str) -> String {
    if path.is_empty() {
        "(the repository root)".to_owned()
    } else {
        path.to_owned()
    }
}

/// `ContainerImageList.ContainsImage` (`registry-scanner/pkg/image/
/// image.go`): registry and name compared as `NewFromIdentifier` reads
/// them, so `nginx` and `docker.io/library/nginx` differ.
pub fn contains_image(live: &[String], wanted: &str) -> bool {
    let Ok(w) = image::parse_argo_item(wanted) else {
        return false;
    };
    live.iter()
        .filter_map(|l| image::parse_argo_item(l).ok())
        .any(|l| l.same_image(&w))
}

/// A live name without a registry prefix that is the configured image's
/// short form (`ghcr.io/org/web` → `org/web`).
fn short_form_in(live: &[String], repository: &str) -> bool {
    let Some((_, short)) = repository
        .split_once('/')
        .filter(|_| image::argo_has_registry_prefix(repository))
    else {
        return false;
    };
    live.iter()
        .filter_map(|l| image::parse_argo_item(l).ok())
        .any(|l| l.registry().is_none() && l.name() == short)
}

fn parsed<'w>(ws: &'w Workspace, rel: &str) -> Option<(FileId, &'w Yaml)> {
    let id = ws.file_id(rel)?;
    Some((id, ws.files[id].yaml.as_ref()?))
}

fn join(dir: &str, rel: &str) -> String {
    if let Some(from_root) = rel.strip_prefix('/') {
        normalize_rel(from_root)
    } else if dir.is_empty() {
        normalize_rel(rel)
    } else {
        normalize_rel(&format!("{dir}/{rel}"))
    }
}

fn containers_of(ws: &Workspace, id: FileId, yaml: &Yaml) -> Vec<String> {
    workload::collect(id, &ws.files[id].path, yaml)
        .containers
        .into_iter()
        .map(|c| c.image.value)
        .collect()
}

fn rendered(ws: &Workspace, app: &Object) -> Option<Rendered> {
    let yaml = ws.files[app.file].yaml.as_ref()?;
    let source = argo::source_node(yaml, app.root).filter(|&s| yaml.is_mapping(s))?;
    let argo::SourceKind::One(read) = argo::AppSource::read(yaml, app).source else {
        return None;
    };
    // A chart from a Helm repository, or what a Config Management Plugin
    // renders, is out of sight here.
    if read.chart || read.plugin {
        return None;
    }
    let path = normalize_rel(read.path.as_deref()?);
    let inside = format!("{path}/");
    if !path.is_empty()
        && !ws.is_dir(&path)
        && !ws.files.iter().any(|f| f.path.starts_with(&inside))
    {
        return None;
    }
    let mut r = if let Some(k) = KUSTOMIZATION_NAMES
        .iter()
        .map(|n| join(&path, n))
        .find(|p| ws.file_id(p).is_some())
    {
        let mut r = Rendered {
            images: Vec::new(),
            complete: true,
            how: "a kustomization with its images applied",
            short_form_counts: false,
            path: path.clone(),
        };
        let mut seen = Vec::new();
        r.images = kustomize(ws, &k, &mut seen, &mut r.complete, 0);
        r
    } else if ws.file_id(&join(&path, "Chart.yaml")).is_some() {
        helm(ws, yaml, source, &path)
    } else {
        directory(ws, yaml, source, &path)
    };
    // The Application's own kustomize images, then its override files,
    // as Argo CD applies them on top.
    let mut overrides = read.kustomize_images;
    for name in [
        ".argocd-source.yaml".to_owned(),
        argo::source_file_name(app.namespace(), app.name()),
    ] {
        if let Some((_, y)) = parsed(ws, &join(&path, &name))
            && let Some(root) = y.roots().next()
            && let Some(list) = y.path(root, &["kustomize", "images"])
        {
            overrides.extend(
                y.items(list)
                    .iter()
                    .filter_map(|&i| y.str(i).map(str::to_owned)),
            );
        }
    }
    for o in &overrides {
        // `[name=]image[:tag][@digest]`: the entry renames `name` (or the
        // image's own name) to the image.
        let (name, new) = match o.split_once('=') {
            Some((n, i)) => (n.to_owned(), i.to_owned()),
            None => (o.split(['@']).next().unwrap_or(o).to_owned(), o.clone()),
        };
        let name = image::parse(&name).map_or(name.clone(), |n| n.name().to_owned());
        let Ok(new) = image::parse(&new) else {
            continue;
        };
        apply_image(
            &mut r.images,
            &name,
            Some(new.name()),
            new.tag(),
            new.digest(),
        );
    }
    Some(r)
}

/// kustomize's image transformer: containers whose image name is `name`
/// take the new name, tag and digest.
fn apply_image(
    images: &mut [String],
    name: &str,
    new_name: Option<&str>,
    new_tag: Option<&str>,
    digest: Option<&str>,
) {
    for img in images.iter_mut() {
        let Ok(r) = image::parse(img) else { continue };
        if r.name() != name {
            continue;
        }
        let mut s = new_name.unwrap_or(r.name()).to_owned();
        match (digest, new_tag.or(r.tag())) {
            (Some(d), _) => {
                s.push('@');
                s.push_str(d);
            }
            (None, Some(t)) => {
                s.push(':');
                s.push_str(t);
            }
            (None, None) => {}
        }
        *img = s;
    }
}

/// The containers a kustomization renders: its resources' (folders with a
/// kustomization recursively, files directly), with its `images:` applied.
fn kustomize(
    ws: &Workspace,
    file: &str,
    seen: &mut Vec<String>,
    complete: &mut bool,
    depth: usize,
) -> Vec<String> {
    if seen.iter().any(|s| s == file) || depth > 32 {
        return Vec::new();
    }
    seen.push(file.to_owned());
    let Some((_, y)) = parsed(ws, file) else {
        *complete = false;
        return Vec::new();
    };
    let Some(root) = y.roots().next() else {
        return Vec::new();
    };
    let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
    let mut out = Vec::new();
    for key in ["resources", "bases", "components"] {
        let Some(list) = y.get(root, key) else {
            continue;
        };
        for &item in y.items(list) {
            let Some(entry) = y.str(item) else { continue };
            if entry.contains("://") || entry.starts_with("git@") || entry.contains("?ref=") {
                *complete = false;
                continue;
            }
            let rel = join(dir, entry);
            if let Some(k) = KUSTOMIZATION_NAMES
                .iter()
                .map(|n| join(&rel, n))
                .find(|p| ws.file_id(p).is_some())
            {
                out.extend(kustomize(ws, &k, seen, complete, depth + 1));
            } else if let Some((id, fy)) = parsed(ws, &rel) {
                out.extend(containers_of(ws, id, fy));
            } else {
                *complete = false;
            }
        }
    }
    // What else may set an image: charts it inflates, plugins and
    // JSON patches are out of sight; a strategic-merge patch file names its
    // images like any manifest.
    for key in [
        "helmCharts",
        "generators",
        "transformers",
        "replacements",
        "patchesJson6902",
    ] {
        if y.get(root, key).is_some() {
            *complete = false;
        }
    }
    for key in ["patchesStrategicMerge", "patches"] {
        let Some(list) = y.get(root, key) else {
            continue;
        };
        for &p in y.items(list) {
            let file = y.str(p).or_else(|| y.path_str(p, &["path"]));
            match file.map(|f| join(dir, f)).and_then(|f| parsed(ws, &f)) {
                Some((id, py)) => out.extend(containers_of(ws, id, py)),
                None if y
                    .path_str(p, &["patch"])
                    .is_some_and(|t| t.contains("image")) =>
                {
                    *complete = false;
                }
                None => {}
            }
        }
    }
    if let Some(list) = y.get(root, "images") {
        for &e in y.items(list) {
            let Some(name) = y.path_str(e, &["name"]) else {
                continue;
            };
            apply_image(
                &mut out,
                name,
                y.path_str(e, &["newName"]),
                y.path_str(e, &["newTag"]),
                y.path_str(e, &["digest"]),
            );
        }
    }
    out
}

/// A chart: the images its values files name (Renovate's convention the
/// workload reader follows) and the literal images of its templates.
fn helm(ws: &Workspace, app: &Yaml, source: NodeId, path: &str) -> Rendered {
    let mut files = vec![join(path, "values.yaml")];
    if let Some(list) = app.path(source, &["helm", "valueFiles"]) {
        files.extend(
            app.items(list)
                .iter()
                .filter_map(|&i| app.str(i))
                .map(|f| join(path, f)),
        );
    }
    let mut images = Vec::new();
    for rel in files {
        let Some((id, y)) = parsed(ws, &rel) else {
            continue;
        };
        for h in workload::collect(id, &rel, y).helm {
            match h {
                HelmImage::Inline { value, .. } => images.push(value.value),
                HelmImage::Split {
                    registry,
                    repository,
                    tag,
                    digest,
                    ..
                } => {
                    let mut s = workload::split_name(registry.as_ref(), &repository);
                    if let Some(t) = tag.filter(|t| !t.value.is_empty()) {
                        s.push(':');
                        s.push_str(&t.value);
                    }
                    if let Some(d) = digest.filter(|d| !d.value.is_empty()) {
                        s.push('@');
                        s.push_str(&d.value);
                    }
                    images.push(s);
                }
            }
        }
    }
    let templates = join(path, "templates");
    for (i, f) in ws.files.iter().enumerate() {
        if let (true, Some(y)) = (f.path.starts_with(&format!("{templates}/")), &f.yaml) {
            images.extend(
                containers_of(ws, FileId(i), y)
                    .into_iter()
                    .filter(|c| !c.contains("{{")),
            );
        }
    }
    Rendered {
        images,
        complete: true,
        how: "chart values and templates",
        short_form_counts: true,
        path: path.to_owned(),
    }
}

/// A plain directory: its manifests (and those of its subfolders with
/// `directory.recurse`).
fn directory(ws: &Workspace, app: &Yaml, source: NodeId, path: &str) -> Rendered {
    let recurse = app.path_str(source, &["directory", "recurse"]) == Some("true");
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    let mut images = Vec::new();
    for (i, f) in ws.files.iter().enumerate() {
        let Some(rest) = f.path.strip_prefix(&prefix) else {
            continue;
        };
        if (!recurse && rest.contains('/'))
            || is_kustomization_file(&f.path)
            || rest
                .rsplit('/')
                .next()
                .is_some_and(|n| n.starts_with(".argocd-source"))
        {
            continue;
        }
        if let Some(y) = &f.yaml {
            images.extend(containers_of(ws, FileId(i), y));
        }
    }
    Rendered {
        images,
        complete: true,
        how: "the folder's manifests",
        short_form_counts: false,
        path: path.to_owned(),
    }
}
