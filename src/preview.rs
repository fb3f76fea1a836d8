//! Preview: for every update target, the tag its driver would select now,
//! exactly as the controller would, and the value that would be written.
//! Reads the model and a [`TagSource`]; writes nothing.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::discover::Workspace;
use crate::model::flux::ImagePolicy;
use crate::model::marker::Suffix;
use crate::model::object::str_at;
use crate::model::target::{self, Driver, Target};
use crate::model::{Model, image, yaml_of};
use crate::resolve::{SourceError, TagInfo, TagSource, argo, flux};

/// One line of the preview (keys as DESIGN.md fixes them).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Update {
    pub file: String,
    pub line: usize,
    pub source: &'static str,
    pub image: String,
    pub current: Option<String>,
    pub candidate: Option<String>,
    pub policy: String,
    pub changed: bool,
    pub reason: Option<String>,
}

/// The preview, plus the repositories the tag source failed for (a
/// registry failure is exit code 2 even though the other targets resolve).
#[derive(Debug, Default)]
pub struct Preview {
    pub updates: Vec<Update>,
    pub source_failures: Vec<String>,
}

/// Asks the source once per repository, however many targets share it.
struct Cache<'a> {
    source: &'a dyn TagSource,
    seen: Mutex<HashMap<String, Result<Vec<TagInfo>, SourceError>>>,
}

impl Cache<'_> {
    fn tags(&self, repository: &str) -> Result<Vec<TagInfo>, SourceError> {
        let key = image::parse(repository)
            .map_or_else(|_| repository.to_owned(), |r| r.normalized_name());
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.entry(key.clone())
            .or_insert_with(|| self.source.tags(&key))
            .clone()
    }
}

pub fn run(ws: &Workspace, model: &Model, source: &dyn TagSource) -> Preview {
    run_on(ws, model, &target::collect(ws, model), source)
}

/// Preview of the given targets; `updates[i]` answers `targets[i]`.
pub fn run_on(
    ws: &Workspace,
    model: &Model,
    targets: &[Target],
    source: &dyn TagSource,
) -> Preview {
    let cache = Cache {
        source,
        seen: Mutex::new(HashMap::new()),
    };
    let mut out = Preview::default();
    for t in targets {
        let yaml = yaml_of(ws, t.file);
        let line = yaml
            .lines
            .line_col(&ws.files[t.file].text, yaml.node(t.node).span.start)
            .line;
        let mut update = Update {
            file: ws.files[t.file].path.clone(),
            line,
            source: t.source.as_str(),
            image: String::new(),
            current: t.current.clone(),
            candidate: None,
            policy: String::new(),
            changed: false,
            reason: None,
        };
        let resolved = match &t.driver {
            Driver::Flux {
                namespace,
                name,
                suffix,
            } => flux_target(ws, model, &cache, t, namespace, name, *suffix, &mut update),
            Driver::Argo(config) => argo_target(&cache, config, &mut update),
            Driver::KubesphereFlux { repository, range } => {
                kubesphere_flux(&cache, repository, range.as_deref(), &mut update)
            }
        };
        match resolved {
            Ok(candidate) => update.candidate = Some(candidate),
            Err(Why::Reason(r)) => update.reason = Some(r),
            Err(Why::Source(e)) => {
                if let SourceError::Failed(msg) = &e {
                    out.source_failures.push(msg.clone());
                }
                update.reason = Some(e.to_string());
            }
        }
        update.changed = match (&update.candidate, &update.current) {
            (Some(c), Some(cur)) => !same_value(c, cur, &t.driver),
            (Some(_), None) => true,
            _ => false,
        };
        out.updates.push(update);
    }
    out.source_failures.sort();
    out.source_failures.dedup();
    out
}

enum Why {
    Reason(String),
    Source(SourceError),
}

impl From<SourceError> for Why {
    fn from(e: SourceError) -> Self {
        Why::Source(e)
    }
}

/// Argo compares tags (the current value may be a full reference); Flux
/// writes exactly the candidate, so the text must match.
fn same_value(candidate: &str, current: &str, driver: &Driver) -> bool {
    match driver {
        Driver::Flux { .. } => candidate == current,
        _ => {
            let tag_of = |v: &str| {
                image::parse(v)
                    .ok()
                    .and_then(|r| r.tag().map(str::to_owned))
                    .unwrap_or_else(|| v.to_owned())
            };
            candidate == current || tag_of(candidate) == tag_of(current)
        }
    }
}

fn flux_policy(
    ws: &Workspace,
    policy: &ImagePolicy,
    repo: Option<&crate::model::flux::ImageRepository>,
) -> Result<flux::FluxPolicy, Why> {
    let yaml = yaml_of(ws, policy.meta.file);
    let root = policy.meta.root;
    let s = |path: &[&str]| str_at(yaml, root, path).map(|v| v.value);
    let order_desc = |k: &str| {
        s(&["spec", "policy", k, "order"]).is_some_and(|o| o.eq_ignore_ascii_case("desc"))
    };
    let kind = if let Some(range) = s(&["spec", "policy", "semver", "range"]) {
        flux::PolicyKind::Semver { range }
    } else if yaml
        .path(root, &["spec", "policy", "alphabetical"])
        .is_some()
    {
        flux::PolicyKind::Alphabetical {
            desc: order_desc("alphabetical"),
        }
    } else if yaml.path(root, &["spec", "policy", "numerical"]).is_some() {
        flux::PolicyKind::Numerical {
            desc: order_desc("numerical"),
        }
    } else {
        return Err(Why::Reason(
            "the ImagePolicy sets no semver, alphabetical or numerical policy".into(),
        ));
    };
    let exclusion_list = repo.and_then(|r| {
        let y = yaml_of(ws, r.meta.file);
        y.path(r.meta.root, &["spec", "exclusionList"]).map(|l| {
            y.items(l)
                .iter()
                .filter_map(|&i| y.str(i).map(str::to_owned))
                .collect()
        })
    });
    Ok(flux::FluxPolicy {
        kind,
        filter_pattern: s(&["spec", "filterTags", "pattern"]),
        filter_extract: s(&["spec", "filterTags", "extract"]),
        exclusion_list,
    })
}

#[allow(clippy::too_many_arguments)]
fn flux_target(
    ws: &Workspace,
    model: &Model,
    cache: &Cache,
    t: &Target,
    namespace: &str,
    name: &str,
    suffix: Suffix,
    update: &mut Update,
) -> Result<String, Why> {
    update.policy = format!("{namespace}/{name}");
    let fx = &model.flux;
    let policy = fx.policy(namespace, name).ok_or_else(|| {
        Why::Reason(format!(
            "no ImagePolicy {namespace}/{name} in the repository"
        ))
    })?;
    let repo = fx.repository_for(policy);
    let Some(repo_image) = repo.and_then(|r| r.image.as_ref()).map(|i| i.value.clone()) else {
        return Err(Why::Reason(format!(
            "the ImageRepository of ImagePolicy {namespace}/{name} is not in the repository"
        )));
    };
    update.image = repo_image.clone();
    let spec = flux_policy(ws, policy, repo)?;
    update.policy = format!("{namespace}/{name} ({})", describe_flux(&spec));
    let tags = cache.tags(&repo_image)?;
    let names: Vec<String> = tags.iter().map(|t| t.tag.clone()).collect();
    let selected = flux::select(&spec, &names).map_err(|e| Why::Reason(e.to_string()))?;
    let digest = policy
        .reflects_digest()
        .then(|| {
            tags.iter()
                .find(|i| i.tag == selected.tag)
                .and_then(|i| i.digest.clone())
        })
        .flatten();
    let _ = t;
    match suffix {
        Suffix::Full => Ok(match &digest {
            Some(d) => format!("{repo_image}:{}@{d}", selected.tag),
            None => format!("{repo_image}:{}", selected.tag),
        }),
        Suffix::Tag => Ok(selected.tag),
        Suffix::Name => Ok(repo_image),
        Suffix::Digest => match digest {
            Some(d) => Ok(d),
            None if policy.reflects_digest() => Err(Why::Reason(format!(
                "selected {}, but the tag source has no digest for it",
                selected.tag
            ))),
            None => Err(Why::Reason(format!(
                "ImagePolicy {namespace}/{name} does not reflect digests; Flux would write an empty string"
            ))),
        },
    }
}

fn describe_flux(p: &flux::FluxPolicy) -> String {
    let order = |desc: bool| if desc { "desc" } else { "asc" };
    let mut s = match &p.kind {
        flux::PolicyKind::Semver { range } => format!("semver {range}"),
        flux::PolicyKind::Alphabetical { desc } => format!("alphabetical {}", order(*desc)),
        flux::PolicyKind::Numerical { desc } => format!("numerical {}", order(*desc)),
    };
    if let Some(pattern) = &p.filter_pattern {
        s.push_str(&format!(", filter {pattern}"));
    }
    s
}

fn argo_target(cache: &Cache, c: &target::ArgoImage, update: &mut Update) -> Result<String, Why> {
    update.image = c.repository.clone();
    let (strategy, _) = c
        .strategy
        .as_deref()
        .and_then(argo::Strategy::parse)
        .unwrap_or((argo::Strategy::Semver, false));
    let label = c
        .alias
        .as_deref()
        .map_or(String::new(), |a| format!(" {a}"));
    update.policy = format!(
        "{}{label}: {}{}",
        c.app,
        strategy_name(strategy),
        c.constraint
            .as_deref()
            .map(|k| format!(" {k}"))
            .unwrap_or_default()
    );
    let settings = argo::ArgoSettings {
        strategy,
        constraint: c.constraint.clone(),
        allow_tags: c.allow_tags.clone(),
        ignore_tags: c.ignore_tags.clone(),
        platforms: c.platforms.clone(),
    };
    let tags = cache.tags(&c.repository)?;
    match argo::select(&settings, &tags) {
        Ok(Some(sel)) => Ok(match strategy {
            argo::Strategy::Digest => sel.tag_with_digest(),
            _ => sel.tag,
        }),
        Ok(None) => Err(Why::Reason("no tag qualifies".into())),
        Err(e) => Err(Why::Reason(e.to_string())),
    }
}

fn strategy_name(s: argo::Strategy) -> &'static str {
    match s {
        argo::Strategy::Semver => "semver",
        argo::Strategy::NewestBuild => "newest-build",
        argo::Strategy::Alphabetical => "alphabetical",
        argo::Strategy::Digest => "digest",
    }
}

fn kubesphere_flux(
    cache: &Cache,
    repository: &str,
    range: Option<&str>,
    update: &mut Update,
) -> Result<String, Why> {
    update.image = repository.to_owned();
    let Some(range) = range else {
        return Err(Why::Reason(
            "the fluxcd section has no policy.semver.range".into(),
        ));
    };
    update.policy = format!("fluxcd: semver {range}");
    let policy = flux::FluxPolicy {
        kind: flux::PolicyKind::Semver {
            range: range.to_owned(),
        },
        filter_pattern: None,
        filter_extract: None,
        exclusion_list: None,
    };
    let tags: Vec<String> = cache.tags(repository)?.into_iter().map(|t| t.tag).collect();
    flux::select(&policy, &tags)
        .map(|s| s.tag)
        .map_err(|e| Why::Reason(e.to_string()))
}
