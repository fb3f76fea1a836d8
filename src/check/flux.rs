//! IU302–IU316 (IU305 aside): the values of Flux ImageRepository,
//! ImagePolicy and ImageUpdateAutomation objects, judged the way the CRDs
//! and controllers would: durations, the repository image, semver ranges,
//! orders, tag filters, digest reflection, references to other objects,
//! the update strategy and path, commit message templates. The values are
//! the model's Flux index (`model::flux`), each at the node it was
//! written; the objects' shape (a spec, the fields the CRDs require, one
//! policy kind, a served API version) is the shape check's
//! (`super::shape`). The range, duration and template judges serve the
//! KubeSphere check too.

use super::Context;
use super::argo::At;
use crate::diagnostic::{Diagnostic, FileId};
use crate::gosyntax::{duration, regex as goregex, template};
use crate::model::flux::{
    ImagePolicy, ImageRepository, ImageUpdateAutomation, PolicyName, SOURCE_GROUP, normalize_rel,
    same_git_repository,
};
use crate::model::spec::Origin;
use crate::model::{Str, image};
use crate::resolve::constraint::Constraint;
use crate::rules;

pub fn check(cx: &mut Context) {
    let model = cx.model;
    let ws = cx.ws;
    let flux = &model.flux;
    for r in &flux.repositories {
        if ws.files[r.meta.file].report {
            image_repository(cx, r);
        }
    }
    for p in &flux.policies {
        if ws.files[p.meta.file].report {
            image_policy(cx, p);
        }
    }
    for a in &flux.automations {
        if ws.files[a.meta.file].report {
            automation(cx, a);
        }
    }
}

/// Where a value the model kept sits, so parts of it can be pointed at.
fn at(cx: &Context, file: FileId, s: &Str) -> At {
    At::of(
        cx,
        Origin {
            file,
            span: cx.span(file, s.node),
        },
        &s.value,
    )
}

fn interval(cx: &mut Context, file: FileId, value: Option<&Str>, key: &str, timeout: bool) {
    if let Some(v) = value {
        duration_value(cx, at(cx, file, v), key, &v.value, timeout);
    }
}

/// An interval (or, with `timeout`, a timeout) the CRD refuses.
pub(super) fn duration_value(cx: &mut Context, at: At, key: &str, value: &str, timeout: bool) {
    let ok = if timeout {
        duration::matches_flux_timeout(value)
    } else {
        duration::matches_flux_interval(value)
    };
    if !ok {
        let units = if timeout {
            "ms, s or m"
        } else {
            "ms, s, m or h"
        };
        cx.report(Diagnostic::new(
            &rules::INVALID_DURATION,
            at.file,
            at.span,
            format!("{key} {value:?} is not a duration the CRD accepts (units {units})"),
        ));
    }
}

fn image_repository(cx: &mut Context, r: &ImageRepository) {
    let file = r.meta.file;
    if let Some(img) = &r.image
        && let Err(err) = image::validate_repository(&img.value)
    {
        cx.report(Diagnostic::new(
            &rules::INVALID_REPOSITORY_IMAGE,
            file,
            cx.span(file, img.node),
            format!("spec.image {:?}: {err}", img.value),
        ));
    }
    interval(cx, file, r.interval.as_ref(), "interval", false);
    interval(cx, file, r.timeout.as_ref(), "timeout", true);
}

fn image_policy(cx: &mut Context, p: &ImagePolicy) {
    let file = p.meta.file;
    for choice in &p.choices {
        let Some(setting) = &choice.setting else {
            continue;
        };
        match choice.name {
            PolicyName::Semver => semver_range(cx, at(cx, file, setting), &setting.value),
            kind => {
                if setting.value != "asc" && setting.value != "desc" {
                    cx.report(Diagnostic::new(
                        &rules::INVALID_ORDER,
                        file,
                        cx.span(file, setting.node),
                        format!(
                            "{}.order {:?} must be asc or desc",
                            kind.as_str(),
                            setting.value
                        ),
                    ));
                }
            }
        }
    }
    if let Some(pattern) = &p.filter_pattern {
        match goregex::compile_go_regex(&pattern.value) {
            Ok(re) => {
                if let Some(extract) = &p.filter_extract {
                    let written = at(cx, file, extract);
                    for (group, range) in goregex::unknown_groups(&re, &extract.value) {
                        cx.report(Diagnostic::new(
                            &rules::EXTRACT_UNKNOWN_GROUP,
                            file,
                            written.span(range),
                            format!("extract refers to group {group:?}, which the pattern does not define"),
                        ));
                    }
                }
            }
            // Patterns Go accepts but this build cannot evaluate are not findings.
            Err(err) if err.kind == goregex::GoRegexErrorKind::Unsupported => {}
            Err(err) => cx.report(Diagnostic::new(
                &rules::INVALID_FILTER_PATTERN,
                file,
                cx.span(file, pattern.node),
                format!("filterTags.pattern: {err}"),
            )),
        }
    }
    let reflection = p.digest_reflection.as_ref();
    if let Some(r) = reflection
        && !matches!(r.value.as_str(), "Never" | "IfNotPresent" | "Always")
    {
        cx.report(
            Diagnostic::new(
                &rules::MISSING_FIELD,
                file,
                cx.span(file, r.node),
                format!(
                    "digestReflectionPolicy {:?} must be Never, IfNotPresent or Always",
                    r.value
                ),
            )
            .help("the API server rejects any other value"),
        );
    }
    match (&p.interval, reflection.filter(|r| r.value == "Always")) {
        (Some(i), None) => cx.report(Diagnostic::new(
            &rules::DIGEST_REFLECTION_INTERVAL,
            file,
            cx.span(file, i.node),
            "spec.interval is only allowed with digestReflectionPolicy: Always",
        )),
        (None, Some(r)) => cx.report(Diagnostic::new(
            &rules::DIGEST_REFLECTION_INTERVAL,
            file,
            cx.span(file, r.node),
            "digestReflectionPolicy: Always requires spec.interval",
        )),
        _ => {}
    }
    interval(cx, file, p.interval.as_ref(), "interval", false);
    repository_ref(cx, p);
}

/// The ImageRepository a policy names: in the repository, and open to the
/// policy's namespace.
fn repository_ref(cx: &mut Context, p: &ImagePolicy) {
    // A policy without the name is the shape check's.
    let Some(repo_name) = &p.repository_name else {
        return;
    };
    let file = p.meta.file;
    let wanted_ns = p.repository_ns();
    let Some(repo) = cx.model.flux.repository_for(p) else {
        cx.report(Diagnostic::new(
            &rules::UNRESOLVED_REFERENCE,
            file,
            cx.span(file, repo_name.node),
            format!(
                "no ImageRepository {}{} in the repository",
                wanted_ns.map(|n| format!("{n}/")).unwrap_or_default(),
                repo_name.value
            ),
        ));
        return;
    };
    let cross = match (p.meta.namespace.as_deref(), repo.meta.namespace.as_deref()) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    };
    if cross && !repo.has_access_from {
        let node = p
            .repository_namespace
            .as_ref()
            .map_or(repo_name.node, |n| n.node);
        cx.report(
            Diagnostic::new(
                &rules::CROSS_NAMESPACE_POLICY,
                file,
                cx.span(file, node),
                format!(
                    "ImageRepository {}/{} has no accessFrom; it denies policies from namespace {}",
                    repo.meta.namespace.as_deref().unwrap_or_default(),
                    repo.meta.name,
                    p.meta.namespace.as_deref().unwrap_or_default()
                ),
            )
            .related(
                repo.meta.file,
                cx.span(repo.meta.file, repo.meta.root),
                "ImageRepository defined here",
            ),
        );
    }
}

fn automation(cx: &mut Context, a: &ImageUpdateAutomation) {
    let file = a.meta.file;
    interval(cx, file, a.interval.as_ref(), "interval", false);
    if let Some(source_ref) = &a.source_ref
        && let Some(source) = &source_ref.name
    {
        let kind = source_ref.kind.as_ref();
        let kind_ok = kind.is_none_or(|k| k.value == "GitRepository");
        if let Some(k) = kind.filter(|_| !kind_ok) {
            cx.report(Diagnostic::new(
                &rules::MISSING_FIELD,
                file,
                cx.span(file, k.node),
                format!("sourceRef.kind {:?} must be GitRepository", k.value),
            ));
        }
        let wanted = source_ref
            .namespace
            .as_ref()
            .map(|n| n.value.as_str())
            .or(a.meta.namespace.as_deref());
        let exists = cx.model.flux.git_repositories.iter().any(|g| {
            g.meta.name == source.value && wanted.is_none_or(|ns| g.meta.in_namespace(ns))
        });
        if kind_ok && !exists {
            cx.report(Diagnostic::new(
                &rules::UNRESOLVED_REFERENCE,
                file,
                cx.span(file, source.node),
                format!(
                    "no {SOURCE_GROUP} GitRepository {:?} in the repository",
                    source.value
                ),
            ));
        }
    }
    if let Some(strategy) = &a.update_strategy
        && strategy.value != "Setters"
    {
        cx.report(Diagnostic::new(
            &rules::INVALID_UPDATE_STRATEGY,
            file,
            cx.span(file, strategy.node),
            format!("update.strategy {:?} is not supported", strategy.value),
        ));
    }
    if let Some(path) = &a.update_path {
        let rel = normalize_rel(&path.value);
        if !rel.is_empty()
            && !cx.ws.exists(&rel)
            && let Some(assumed) = this_checkout(cx, a)
        {
            cx.report(Diagnostic::new(
                &rules::UPDATE_PATH_MISSING,
                file,
                cx.span(file, path.node),
                format!(
                    "update.path {:?} does not exist in the repository ({assumed})",
                    path.value
                ),
            ));
        }
    }
    if let Some(tpl) = &a.message_template {
        message_template(cx, at(cx, file, tpl), &tpl.value);
    }
}

/// Whether the automation's GitRepository is this checkout, said as the
/// assumption made; `None` when it is another repository: absent here (it
/// is defined with the repository it clones), or present with a `url`
/// none of this checkout's remotes has. The controller clones the
/// GitRepository's `url` (`internal/source/source.go`, NewSourceManager
/// and CheckoutSource) and resolves `update.path` in that clone.
fn this_checkout(cx: &Context, a: &ImageUpdateAutomation) -> Option<String> {
    let Some(name) = a.source_ref.as_ref().and_then(|s| s.name.as_ref()) else {
        return Some("the automation names no GitRepository; assumed to be this checkout".into());
    };
    let ns = a
        .source_ref
        .as_ref()
        .and_then(|s| s.namespace.as_ref())
        .map(|n| n.value.as_str())
        .or(a.meta.namespace.as_deref());
    let git = cx
        .model
        .flux
        .git_repositories
        .iter()
        .find(|g| g.meta.name == name.value && ns.is_none_or(|ns| g.meta.in_namespace(ns)))?;
    let label = match &git.meta.namespace {
        Some(ns) => format!("{ns}/{}", git.meta.name),
        None => git.meta.name.clone(),
    };
    let url = git.url.as_ref().map(|u| u.value.clone());
    let remotes = cx.ws.remote_urls();
    match url {
        Some(url) if !remotes.is_empty() => remotes
            .iter()
            .any(|r| same_git_repository(r, &url))
            .then(|| format!("GitRepository {label} clones {url}, this checkout's remote")),
        Some(url) => Some(format!(
            "assuming GitRepository {label} ({url}) is this checkout: it has no git remote to compare with"
        )),
        None => Some(format!(
            "assuming GitRepository {label}, which has no url, is this checkout"
        )),
    }
}

/// IU302 / IU316 for a Masterminds range written in `range`.
pub(super) fn semver_range(cx: &mut Context, at: At, range: &str) {
    match Constraint::parse(range) {
        Ok(c) => {
            if c.has_caret_wildcard() {
                cx.report(Diagnostic::new(
                    &rules::CARET_WILDCARD,
                    at.file,
                    at.span,
                    format!("range {range:?} only matches 0.0.0"),
                ));
            }
        }
        Err(err) => {
            let span = err.span().map_or(at.span, |r| at.span(r));
            cx.report(Diagnostic::new(
                &rules::INVALID_SEMVER_RANGE,
                at.file,
                span,
                format!("semver range {range:?}: {err}"),
            ));
        }
    }
}

/// IU311 / IU312 for a Flux commit message template.
pub(super) fn message_template(cx: &mut Context, at: At, tpl: &str) {
    match template::parse_template(tpl) {
        Err(err) => cx.report(Diagnostic::new(
            &rules::INVALID_MESSAGE_TEMPLATE,
            at.file,
            at.span(err.range.clone()),
            format!("messageTemplate: {}", err.message),
        )),
        Ok(info) => {
            for field in &info.fields {
                let removed = match field.top_level_path() {
                    Some([first, ..]) if first == "Updated" => Some(".Updated"),
                    Some([first, second, ..]) if first == "Changed" && second == "ImageResult" => {
                        Some(".Changed.ImageResult")
                    }
                    _ => None,
                };
                if let Some(name) = removed {
                    cx.report(Diagnostic::new(
                        &rules::REMOVED_TEMPLATE_FIELD,
                        at.file,
                        at.span(field.range.clone()),
                        format!(
                            "messageTemplate uses {name}, removed in image.toolkit.fluxcd.io/v1"
                        ),
                    ));
                }
            }
            for (func, range) in info.unknown_functions() {
                cx.report(Diagnostic::new(
                    &rules::INVALID_MESSAGE_TEMPLATE,
                    at.file,
                    at.span(range.clone()),
                    format!("messageTemplate: function {func:?} not defined"),
                ));
            }
        }
    }
}
