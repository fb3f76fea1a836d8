//! Preview: for every update target, the tag its driver would select now,
//! exactly as the controller would, and the value that would be written.
//! Reads the model and a [`TagSource`]; writes nothing. [`resolve`] hands
//! apply's plan one [`Decision`] per target; [`run`] shows the same
//! decisions as display rows.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::discover::Workspace;
use crate::gosyntax::glob::glob_match;
use crate::model::argo::GenerationChoice;
use crate::model::flux::{ImagePolicy, ImageRepository};
use crate::model::marker::Suffix;
use crate::model::spec::{Dialect, PullSecret};
use crate::model::target::{self, Driver, Target};
use crate::model::{Model, Str, image, line_of};
use crate::resolve::{
    Decision, Need, Offline, Resolution, SourceError, TagInfo, TagSource, Unresolved, argo, flux,
};

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
    /// The Argo CD Image Updater generation applied, when the repository
    /// configures Argo CD Image Updater at all.
    pub argo: Option<GenerationChoice>,
}

/// Asks the source once per repository and [`Need`], however many targets
/// share them (the source itself lists each repository once and fetches
/// each tag's metadata once).
struct Cache<'a> {
    source: &'a dyn TagSource,
    seen: Mutex<HashMap<(String, Need), Answer>>,
}

type Answer = Result<Vec<TagInfo>, SourceError>;

/// `docker.io/library/nginx` form, the key every source is asked with.
fn normalized(repository: &str) -> String {
    image::parse(repository).map_or_else(|_| repository.to_owned(), |r| r.normalized_name())
}

impl Cache<'_> {
    /// Tag names (metadata only where the source has it anyway).
    fn tags(&self, repository: &str) -> Result<Vec<TagInfo>, SourceError> {
        self.tags_with(repository, &Need::default())
    }

    fn tags_with(&self, repository: &str, need: &Need) -> Answer {
        let key = (normalized(repository), need.clone());
        if let Some(hit) = self
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return hit.clone();
        }
        let answer = if need.names_only() {
            self.source.tags(&key.0)
        } else {
            self.source.tags_with(&key.0, need)
        };
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, answer.clone());
        answer
    }
}

/// The repositories the targets will ask for, normalised and deduplicated,
/// so a network source can list them concurrently up front.
fn repositories(model: &Model, targets: &[Target]) -> Vec<String> {
    let mut out: Vec<String> = targets
        .iter()
        .filter_map(|t| match &t.driver {
            Driver::Flux {
                namespace, name, ..
            } => {
                let policy = model.flux.policy(namespace, name)?;
                let repo = model.flux.repository_for(policy)?;
                repo.image.as_ref().map(|i| normalized(&i.value))
            }
            Driver::Argo(c) => Some(normalized(&c.repository)),
            Driver::KubesphereFlux { repository, .. } => Some(normalized(repository)),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Each image's pull secret as a credential reference, by normalised
/// repository (the first one named wins where images of one repository
/// name different secrets). A dockerconfigjson Secret written without a
/// namespace (KubeSphere `secret`) is in the updater's namespace.
fn pull_secrets(model: &Model) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for u in &model.updaters {
        for img in &u.images {
            let Some(secret) = &img.pull_secret else {
                continue;
            };
            let reference = match &secret.value {
                PullSecret::Secret { namespace, name } => {
                    let ns = namespace
                        .as_deref()
                        .or(u.namespace.as_deref())
                        .unwrap_or("default");
                    format!("pullsecret:{ns}/{name}")
                }
                PullSecret::Other(r) => r.clone(),
            };
            let repository = normalized(&img.name.value);
            if !out.iter().any(|(r, _)| *r == repository) {
                out.push((repository, reference));
            }
        }
    }
    out
}

/// Every target of the model as a display row.
pub fn run(ws: &Workspace, model: &Model, source: &dyn TagSource) -> Preview {
    let Resolution {
        decisions,
        source_failures,
    } = resolve(model, source);
    let updates = model
        .targets
        .iter()
        .zip(decisions)
        .map(|(t, d)| row(ws, t, d))
        .collect();
    let argo = model
        .updaters
        .iter()
        .any(|u| matches!(u.from, Some((Dialect::Argocd | Dialect::ArgocdCrd, _))))
        .then(|| model.argo.clone());
    Preview {
        updates,
        source_failures,
        argo,
    }
}

fn row(ws: &Workspace, t: &Target, d: Decision) -> Update {
    let line = line_of(ws, t.file, t.node);
    let (candidate, reason) = match d.value {
        // A candidate the controller would verify or propose first keeps
        // the reason that says so.
        Ok(v) => (Some(v), d.offline.describe()),
        Err(r) => (None, Some(r.to_string())),
    };
    let changed = match (&candidate, &t.current) {
        (Some(c), Some(cur)) => !same_value(c, cur, &t.driver),
        (Some(_), None) => true,
        _ => false,
    };
    Update {
        file: ws.files[t.file].path.clone(),
        line,
        source: t.source.as_str(),
        image: d.image,
        current: t.current.clone(),
        candidate,
        policy: d.policy,
        changed,
        reason,
    }
}

/// What every target's driver selects now; `decisions[i]` answers
/// `model.targets[i]`.
pub fn resolve(model: &Model, source: &dyn TagSource) -> Resolution {
    let targets = &model.targets;
    let cache = Cache {
        source,
        seen: Mutex::new(HashMap::new()),
    };
    source.pull_secrets(&pull_secrets(model));
    source.prefetch(&repositories(model, targets));
    let mut out = Resolution::default();
    for t in targets {
        let mut update = Decision {
            image: String::new(),
            policy: String::new(),
            value: Err(Unresolved::Reason(String::new())),
            offline: Offline::default(),
        };
        let resolved = match &t.driver {
            Driver::Flux { .. } => flux_target(model, &cache, t, &mut update),
            Driver::Argo(config) => argo_target(&cache, config, &mut update),
            Driver::KubesphereFlux { repository, range } => {
                kubesphere_flux(&cache, repository, range.as_deref(), &mut update)
            }
        };
        if let Err(Unresolved::Source(SourceError::Failed(msg))) = &resolved {
            out.source_failures.push(msg.clone());
        }
        update.value = resolved;
        out.decisions.push(update);
    }
    out.source_failures.sort();
    out.source_failures.dedup();
    out
}

/// Argo compares tags (the current value may be a full reference); Flux
/// writes exactly the candidate, so the text must match.
fn same_value(candidate: &str, current: &str, driver: &Driver) -> bool {
    match driver {
        Driver::Flux { .. } => candidate == current,
        _ => image::same_tag(candidate, current),
    }
}

/// What selection needs from an ImagePolicy; `None` for a policy that
/// sets no kind.
pub(crate) fn flux_engine(
    policy: &ImagePolicy,
    repo: Option<&ImageRepository>,
) -> Option<flux::FluxPolicy> {
    flux_policy(policy, repo).ok()
}

/// What selection runs for `policy`, from the model's Flux index.
fn flux_policy(
    policy: &ImagePolicy,
    repo: Option<&ImageRepository>,
) -> Result<flux::FluxPolicy, Unresolved> {
    let kind = policy.kind().ok_or_else(|| {
        Unresolved::Reason(
            "the ImagePolicy sets no semver, alphabetical or numerical policy".into(),
        )
    })?;
    let value = |s: &Option<Str>| s.as_ref().map(|s| s.value.clone());
    Ok(flux::FluxPolicy {
        kind,
        filter_pattern: value(&policy.filter_pattern),
        filter_extract: value(&policy.filter_extract),
        exclusion_list: repo
            .and_then(|r| r.exclusion_list.as_ref())
            .map(|l| l.items.iter().map(|i| i.value.clone()).collect()),
    })
}

fn flux_target(
    model: &Model,
    cache: &Cache,
    t: &Target,
    update: &mut Decision,
) -> Result<String, Unresolved> {
    let Driver::Flux {
        namespace,
        name,
        suffix,
        verdict,
    } = &t.driver
    else {
        return Err(Unresolved::Reason(String::new()));
    };
    update.policy = format!("{namespace}/{name}");
    let fx = &model.flux;
    let policy = fx.policy(namespace, name).ok_or_else(|| {
        Unresolved::Reason(format!(
            "no ImagePolicy {namespace}/{name} in the repository"
        ))
    })?;
    let repo = fx.repository_for(policy);
    let Some(repo_image) = repo.and_then(|r| r.image.as_ref()).map(|i| i.value.clone()) else {
        return Err(Unresolved::Reason(format!(
            "the ImageRepository of ImagePolicy {namespace}/{name} is not in the repository"
        )));
    };
    update.image = repo_image.clone();
    if let Some(why) = &verdict.blocked {
        return Err(Unresolved::Reason(why.clone()));
    }
    let spec = flux_policy(policy, repo)?;
    update.policy = format!("{namespace}/{name} ({})", describe_flux(&spec));
    let tags = cache.tags(&repo_image)?;
    let names: Vec<String> = tags.iter().map(|t| t.tag.clone()).collect();
    let selected = flux::select(&spec, &names).map_err(|e| Unresolved::Reason(e.to_string()))?;
    let kept = kept_digest(t, policy, &selected.tag);
    let digest = if kept.is_some() {
        kept
    } else if policy.reflects_digest() {
        // Only the selected tag's manifest is asked for.
        let need = Need {
            digests: true,
            only: Some(vec![selected.tag.clone()]),
            ..Need::default()
        };
        cache
            .tags_with(&repo_image, &need)?
            .into_iter()
            .find(|i| i.tag == selected.tag)
            .and_then(|i| i.digest)
    } else {
        None
    };
    match suffix {
        Suffix::Full => Ok(match &digest {
            Some(d) => format!("{repo_image}:{}@{d}", selected.tag),
            None => format!("{repo_image}:{}", selected.tag),
        }),
        Suffix::Tag => Ok(selected.tag),
        Suffix::Name => Ok(repo_image),
        Suffix::Digest => match digest {
            Some(d) => Ok(d),
            None if policy.reflects_digest() => Err(Unresolved::Reason(format!(
                "selected {}, but the tag source has no digest for it",
                selected.tag
            ))),
            None => Err(Unresolved::Reason(format!(
                "ImagePolicy {namespace}/{name} does not reflect digests; Flux would write an empty string"
            ))),
        },
    }
}

/// `digestReflectionPolicy: IfNotPresent` keeps the digest it has when
/// the selected tag is unchanged (`updateImageRefs`): offline, what the
/// policy last wrote is what the marked value holds (a full reference),
/// or what the `:tag`/full marker beside a `:digest` marker holds.
fn kept_digest(t: &Target, policy: &ImagePolicy, selected: &str) -> Option<String> {
    let if_not_present = policy
        .digest_reflection
        .as_ref()
        .is_some_and(|d| d.value == "IfNotPresent");
    if !if_not_present {
        return None;
    }
    let Driver::Flux {
        suffix, verdict, ..
    } = &t.driver
    else {
        return None;
    };
    let current = t.current.as_deref()?;
    match suffix {
        Suffix::Full => {
            let r = image::parse(current).ok()?;
            (r.tag() == Some(selected))
                .then(|| r.digest().map(str::to_owned))
                .flatten()
        }
        Suffix::Digest => {
            if current.is_empty() {
                return None;
            }
            let beside = verdict.tag_beside.as_deref()?;
            (beside == selected).then(|| current.to_owned())
        }
        _ => None,
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

fn argo_target(
    cache: &Cache,
    c: &target::ArgoImage,
    update: &mut Decision,
) -> Result<String, Unresolved> {
    update.image = c.repository.clone();
    update.offline = Offline {
        verification: c.offline.verification.clone(),
        pull_request: c.offline.pull_request.clone(),
    };
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
        argo::Strategy::as_str(strategy),
        c.constraint
            .as_deref()
            .map(|k| format!(" {k}"))
            .unwrap_or_default()
    );
    if let Some(why) = &c.offline.inactive {
        return Err(Unresolved::Reason(why.clone()));
    }
    if let target::Live::No(reason) = &c.live {
        return Err(Unresolved::Reason(reason.clone()));
    }
    let settings = argo::ArgoSettings {
        strategy,
        constraint: c.constraint.clone(),
        allow_tags: c.allow_tags.clone(),
        ignore_tags: c.ignore_tags.clone(),
        platforms: c.platforms.clone(),
    };
    let mut tags = cache.tags(&c.repository)?;
    if let Some(need) = argo_need(&settings, &tags) {
        tags = cache.tags_with(&c.repository, &need)?;
    }
    match argo::select(&settings, &tags) {
        Ok(Some(sel)) => Ok(match strategy {
            argo::Strategy::Digest => sel.tag_with_digest(),
            _ => sel.tag,
        }),
        Ok(None) => Err(Unresolved::Reason("no tag qualifies".into())),
        Err(e) => Err(Unresolved::Reason(e.to_string())),
    }
}

/// The metadata Argo's strategy needs, for the tags that pass allow-tags
/// and ignore-tags (Argo fetches manifests only for those): none for
/// semver and alphabetical; created and platforms for newest-build; digest
/// and platforms of the constraint tag for digest. `None` when names
/// answer (including every case where [`argo::select`] fails or finds
/// nothing before looking at metadata).
fn argo_need(settings: &argo::ArgoSettings, tags: &[TagInfo]) -> Option<Need> {
    let constraint = settings.constraint.as_deref().unwrap_or("");
    let digest = match settings.strategy {
        argo::Strategy::NewestBuild => false,
        argo::Strategy::Digest if !constraint.is_empty() => true,
        _ => return None,
    };
    let allow = argo::allow_tags_matcher(settings.allow_tags.as_deref()).ok()?;
    let survivors: Vec<String> = tags
        .iter()
        .map(|t| t.tag.as_str())
        .filter(|t| !digest || *t == constraint)
        .filter(|t| allow(t) && !settings.ignore_tags.iter().any(|p| glob_match(p, t)))
        .map(str::to_owned)
        .collect();
    if survivors.is_empty() {
        return None;
    }
    Some(Need {
        digests: digest,
        created: !digest,
        platforms: true,
        platform_filter: settings.platforms.clone(),
        only: Some(survivors),
    })
}

fn kubesphere_flux(
    cache: &Cache,
    repository: &str,
    range: Option<&str>,
    update: &mut Decision,
) -> Result<String, Unresolved> {
    update.image = repository.to_owned();
    let Some(range) = range else {
        return Err(Unresolved::Reason(
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
        .map_err(|e| Unresolved::Reason(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // fixtures on disk
mod tests {
    use super::*;

    /// Records what preview asks; answers with fixed tags and metadata.
    struct Recorder {
        calls: Mutex<Vec<String>>,
    }

    impl Recorder {
        fn info(tag: &str) -> TagInfo {
            TagInfo {
                tag: tag.into(),
                created: Some(crate::resolve::Timestamp {
                    secs: if tag == "1.1.0" { 20 } else { 10 },
                    nanos: 0,
                }),
                digest: Some(format!("sha256:{tag}")),
                platforms: Vec::new(),
            }
        }
    }

    impl TagSource for Recorder {
        fn tags(&self, repository: &str) -> Result<Vec<TagInfo>, SourceError> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("tags {repository}"));
            Ok(["1.0.0", "1.1.0", "latest"]
                .iter()
                .map(|t| TagInfo::new(*t))
                .collect())
        }

        fn tags_with(&self, repository: &str, need: &Need) -> Result<Vec<TagInfo>, SourceError> {
            self.calls.lock().unwrap().push(format!(
                "tags_with {repository} digests={} created={} platforms={} filter={:?} only={:?}",
                need.digests, need.created, need.platforms, need.platform_filter, need.only
            ));
            Ok(["1.0.0", "1.1.0", "latest"]
                .iter()
                .map(|t| Recorder::info(t))
                .collect())
        }

        fn prefetch(&self, repositories: &[String]) {
            self.calls
                .lock()
                .unwrap()
                .push(format!("prefetch {repositories:?}"));
        }
    }

    #[test]
    fn metadata_is_asked_only_where_a_strategy_needs_it() {
        let dir = tempfile::tempdir().unwrap();
        let app = "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: demo
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: a=reg.example/app:1.x,b=reg.example/app,c=reg.example/app:latest,d=reg.example/other:~1.0
    argocd-image-updater.argoproj.io/b.update-strategy: newest-build
    argocd-image-updater.argoproj.io/b.allow-tags: 'regexp:^1\\.'
    argocd-image-updater.argoproj.io/b.platforms: linux/arm64
    argocd-image-updater.argoproj.io/c.update-strategy: digest
spec:
  project: default
";
        std::fs::write(dir.path().join("app.yaml"), app).unwrap();
        let ws = crate::discover::load(
            dir.path(),
            &[],
            &crate::discover::Options {
                parse_all: true,
                ..crate::discover::Options::default()
            },
        );
        let model = Model::build(&ws);
        let source = Recorder {
            calls: Mutex::new(Vec::new()),
        };
        let preview = run(&ws, &model, &source);
        let answers: Vec<Option<&str>> = preview
            .updates
            .iter()
            .map(|u| u.candidate.as_deref())
            .collect();
        assert_eq!(
            answers,
            [
                Some("1.1.0"),
                Some("1.1.0"),
                Some("latest@sha256:latest"),
                Some("1.0.0")
            ]
        );
        assert_eq!(
            *source.calls.lock().unwrap(),
            [
                r#"prefetch ["reg.example/app", "reg.example/other"]"#,
                // Semver: names only, once per repository.
                "tags reg.example/app",
                // Newest-build: dates and platforms of the allowed tags.
                r#"tags_with reg.example/app digests=false created=true platforms=true filter=["linux/arm64"] only=Some(["1.0.0", "1.1.0"])"#,
                // Digest: the constraint tag only.
                r#"tags_with reg.example/app digests=true created=false platforms=true filter=[] only=Some(["latest"])"#,
                "tags reg.example/other",
            ]
        );
    }

    #[test]
    fn argo_need_per_strategy() {
        let tags: Vec<TagInfo> = ["1.0", "2.0", "dev"]
            .iter()
            .map(|t| TagInfo::new(*t))
            .collect();
        let settings = |strategy, constraint: Option<&str>| argo::ArgoSettings {
            strategy,
            constraint: constraint.map(str::to_owned),
            ignore_tags: vec!["2.*".into()],
            ..argo::ArgoSettings::default()
        };
        assert_eq!(
            argo_need(&settings(argo::Strategy::Semver, None), &tags),
            None
        );
        assert_eq!(
            argo_need(&settings(argo::Strategy::Alphabetical, None), &tags),
            None
        );
        let n = argo_need(&settings(argo::Strategy::NewestBuild, None), &tags).unwrap();
        assert!(n.created && n.platforms && !n.digests);
        assert_eq!(n.only, Some(vec!["1.0".to_owned(), "dev".to_owned()]));
        // Digest without constraint fails before metadata; an ignored or
        // missing constraint tag needs nothing.
        assert_eq!(
            argo_need(&settings(argo::Strategy::Digest, None), &tags),
            None
        );
        assert_eq!(
            argo_need(&settings(argo::Strategy::Digest, Some("2.0")), &tags),
            None
        );
        assert_eq!(
            argo_need(&settings(argo::Strategy::Digest, Some("9.9")), &tags),
            None
        );
        let n = argo_need(&settings(argo::Strategy::Digest, Some("dev")), &tags).unwrap();
        assert!(n.digests && n.platforms && !n.created);
        assert_eq!(n.only, Some(vec!["dev".to_owned()]));
    }
}
