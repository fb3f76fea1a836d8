//! IU301–IU316: Flux ImageRepository, ImagePolicy and ImageUpdateAutomation
//! objects, checked the way the CRDs and controllers would judge them.

use super::Context;
use super::argo::At;
use crate::diagnostic::{Diagnostic, FileId, Severity};
use crate::gosyntax::{duration, regex as goregex, template};
use crate::model::flux::{IMAGE_GROUP, SOURCE_GROUP, normalize_rel};
use crate::model::object::str_at;
use crate::model::spec::Origin;
use crate::model::{Object, image, value_subspan};
use crate::resolve::constraint::Constraint;
use crate::rules;
use crate::yaml::{NodeId, Yaml};

pub fn check(cx: &mut Context) {
    let objects: Vec<&Object> = cx
        .reported_objects()
        .map(|(_, o)| o)
        .filter(|o| o.group() == IMAGE_GROUP)
        .collect();
    for obj in objects {
        let yaml = cx.yaml(obj.file);
        api_version(cx, obj);
        let Some(spec) = obj.spec(yaml) else {
            if matches!(
                obj.kind(),
                "ImageRepository" | "ImagePolicy" | "ImageUpdateAutomation"
            ) {
                cx.report(Diagnostic::new(
                    &rules::MISSING_FIELD,
                    obj.file,
                    cx.span(obj.file, obj.root),
                    format!("{} has no spec", obj.kind()),
                ));
            }
            continue;
        };
        match obj.kind() {
            "ImageRepository" => image_repository(cx, obj, yaml, spec),
            "ImagePolicy" => image_policy(cx, obj, yaml, spec),
            "ImageUpdateAutomation" => automation(cx, obj, yaml, spec),
            _ => {}
        }
    }
}

/// Where a scalar of a Flux object sits (the Flux check reads its objects
/// through the model's Flux index, which keeps nodes).
fn node_at(cx: &Context, file: FileId, node: NodeId) -> At {
    let yaml = cx.yaml(file);
    let value = yaml.str_of(yaml.node(node)).unwrap_or_default();
    At::of(
        cx,
        Origin {
            file,
            span: yaml.node(node).span,
        },
        value,
    )
}

fn api_version(cx: &mut Context, obj: &Object) {
    let Some(api) = &obj.api_version else { return };
    let span = cx.span(obj.file, api.node);
    match obj.version() {
        "v1" => {}
        "v1beta2" => cx.report(Diagnostic::new(
            &rules::FLUX_API_VERSION,
            obj.file,
            span,
            format!(
                "{} is deprecated since Flux 2.7 and removed in Flux 2.9",
                api.value
            ),
        )),
        other => cx.report(
            Diagnostic::new(
                &rules::FLUX_API_VERSION,
                obj.file,
                span,
                format!("{IMAGE_GROUP}/{other} is no longer served by Flux"),
            )
            .severity(Severity::Error),
        ),
    }
}

fn required(
    cx: &mut Context,
    obj: &Object,
    yaml: &Yaml,
    at: NodeId,
    path: &[&str],
) -> Option<crate::model::Str> {
    let found = str_at(yaml, at, path);
    if found.is_none() {
        cx.report(Diagnostic::new(
            &rules::MISSING_FIELD,
            obj.file,
            yaml.node(at).span,
            format!("{} requires spec.{}", obj.kind(), path.join(".")),
        ));
    }
    found
}

pub(super) fn interval(
    cx: &mut Context,
    file: FileId,
    yaml: &Yaml,
    spec: NodeId,
    key: &str,
    timeout: bool,
) {
    if let Some(field) = str_at(yaml, spec, &[key]) {
        duration_value(
            cx,
            node_at(cx, file, field.node),
            key,
            &field.value,
            timeout,
        );
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

fn image_repository(cx: &mut Context, obj: &Object, yaml: &Yaml, spec: NodeId) {
    if let Some(img) = required(cx, obj, yaml, spec, &["image"])
        && let Err(err) = image::validate_repository(&img.value)
    {
        cx.report(Diagnostic::new(
            &rules::INVALID_REPOSITORY_IMAGE,
            obj.file,
            yaml.node(img.node).span,
            format!("spec.image {:?}: {err}", img.value),
        ));
    }
    required(cx, obj, yaml, spec, &["interval"]);
    interval(cx, obj.file, yaml, spec, "interval", false);
    interval(cx, obj.file, yaml, spec, "timeout", true);
}

fn image_policy(cx: &mut Context, obj: &Object, yaml: &Yaml, spec: NodeId) {
    let src = cx.src(obj.file);
    let policy = yaml.get(spec, "policy");
    let choices: Vec<(&str, NodeId)> = ["semver", "alphabetical", "numerical"]
        .into_iter()
        .filter_map(|k| {
            policy
                .and_then(|p| yaml.entry(p, k))
                .map(|(key, _)| (k, key))
        })
        .collect();
    match (policy, choices.len()) {
        (None, _) => {
            cx.report(Diagnostic::new(
                &rules::MISSING_FIELD,
                obj.file,
                yaml.node(spec).span,
                "ImagePolicy requires spec.policy",
            ));
        }
        (Some(p), 0) => cx.report(Diagnostic::new(
            &rules::POLICY_CHOICE,
            obj.file,
            yaml.node(p).span,
            "spec.policy sets none of semver, alphabetical, numerical; the policy is Stalled",
        )),
        (Some(_), 1) => {}
        (Some(_), _) => cx.report(Diagnostic::new(
            &rules::POLICY_CHOICE,
            obj.file,
            yaml.node(yaml.entry(spec, "policy").map_or(spec, |(k, _)| k))
                .span,
            format!(
                "spec.policy sets {}; Flux silently uses only {}",
                choices
                    .iter()
                    .map(|c| c.0)
                    .collect::<Vec<_>>()
                    .join(" and "),
                choices[0].0
            ),
        )),
    }
    if let Some(p) = policy {
        if let Some(range) = str_at(yaml, p, &["semver", "range"]) {
            semver_range(cx, node_at(cx, obj.file, range.node), &range.value);
        } else if let Some(semver) = yaml.get(p, "semver") {
            cx.report(Diagnostic::new(
                &rules::MISSING_FIELD,
                obj.file,
                yaml.node(semver).span,
                "policy.semver requires range",
            ));
        }
        for kind in ["alphabetical", "numerical"] {
            if let Some(order) = str_at(yaml, p, &[kind, "order"])
                && order.value != "asc"
                && order.value != "desc"
            {
                cx.report(Diagnostic::new(
                    &rules::INVALID_ORDER,
                    obj.file,
                    yaml.node(order.node).span,
                    format!("{kind}.order {:?} must be asc or desc", order.value),
                ));
            }
        }
    }
    if let Some(pattern) = str_at(yaml, spec, &["filterTags", "pattern"]) {
        match goregex::compile_go_regex(&pattern.value) {
            Ok(re) => {
                if let Some(extract) = str_at(yaml, spec, &["filterTags", "extract"]) {
                    for (group, range) in goregex::unknown_groups(&re, &extract.value) {
                        cx.report(Diagnostic::new(
                            &rules::EXTRACT_UNKNOWN_GROUP,
                            obj.file,
                            value_subspan(yaml, src, extract.node, range),
                            format!("extract refers to group {group:?}, which the pattern does not define"),
                        ));
                    }
                }
            }
            // Patterns Go accepts but this build cannot evaluate are not findings.
            Err(err) if err.kind == goregex::GoRegexErrorKind::Unsupported => {}
            Err(err) => cx.report(Diagnostic::new(
                &rules::INVALID_FILTER_PATTERN,
                obj.file,
                yaml.node(pattern.node).span,
                format!("filterTags.pattern: {err}"),
            )),
        }
    }
    let reflection = str_at(yaml, spec, &["digestReflectionPolicy"]);
    let interval_field = str_at(yaml, spec, &["interval"]);
    let always = reflection.as_ref().is_some_and(|r| r.value == "Always");
    if let Some(r) = &reflection
        && !matches!(r.value.as_str(), "Never" | "IfNotPresent" | "Always")
    {
        cx.report(
            Diagnostic::new(
                &rules::MISSING_FIELD,
                obj.file,
                yaml.node(r.node).span,
                format!(
                    "digestReflectionPolicy {:?} must be Never, IfNotPresent or Always",
                    r.value
                ),
            )
            .help("the API server rejects any other value"),
        );
    }
    match (&interval_field, always) {
        (Some(i), false) => cx.report(Diagnostic::new(
            &rules::DIGEST_REFLECTION_INTERVAL,
            obj.file,
            yaml.node(i.node).span,
            "spec.interval is only allowed with digestReflectionPolicy: Always",
        )),
        (None, true) => cx.report(Diagnostic::new(
            &rules::DIGEST_REFLECTION_INTERVAL,
            obj.file,
            yaml.node(reflection.as_ref().map_or(spec, |r| r.node)).span,
            "digestReflectionPolicy: Always requires spec.interval",
        )),
        _ => {}
    }
    interval(cx, obj.file, yaml, spec, "interval", false);

    let Some(repo_name) = required(cx, obj, yaml, spec, &["imageRepositoryRef", "name"]) else {
        return;
    };
    let repo_ns = str_at(yaml, spec, &["imageRepositoryRef", "namespace"]);
    let wanted_ns = repo_ns
        .as_ref()
        .map(|n| n.value.as_str())
        .or(obj.namespace());
    let flux = &cx.model.flux;
    let found = flux.repositories.iter().find(|r| {
        r.meta.name == repo_name.value && wanted_ns.is_none_or(|ns| r.meta.in_namespace(ns))
    });
    match found {
        None => cx.report(Diagnostic::new(
            &rules::UNRESOLVED_REFERENCE,
            obj.file,
            yaml.node(repo_name.node).span,
            format!(
                "no ImageRepository {}{} in the repository",
                wanted_ns.map(|n| format!("{n}/")).unwrap_or_default(),
                repo_name.value
            ),
        )),
        Some(repo) => {
            let cross = match (obj.namespace(), repo.meta.namespace.as_deref()) {
                (Some(a), Some(b)) => a != b,
                _ => false,
            };
            if cross && !repo.has_access_from {
                cx.report(
                    Diagnostic::new(
                        &rules::CROSS_NAMESPACE_POLICY,
                        obj.file,
                        yaml.node(repo_ns.as_ref().map_or(repo_name.node, |n| n.node)).span,
                        format!(
                            "ImageRepository {}/{} has no accessFrom; it denies policies from namespace {}",
                            repo.meta.namespace.as_deref().unwrap_or_default(),
                            repo.meta.name,
                            obj.namespace().unwrap_or_default()
                        ),
                    )
                    .related(repo.meta.file, cx.span(repo.meta.file, repo.meta.root), "ImageRepository defined here"),
                );
            }
        }
    }
}

fn automation(cx: &mut Context, obj: &Object, yaml: &Yaml, spec: NodeId) {
    required(cx, obj, yaml, spec, &["interval"]);
    interval(cx, obj.file, yaml, spec, "interval", false);
    if let Some(source) = required(cx, obj, yaml, spec, &["sourceRef", "name"]) {
        let kind = str_at(yaml, spec, &["sourceRef", "kind"]);
        let kind_ok = kind.as_ref().is_none_or(|k| k.value == "GitRepository");
        if let Some(k) = kind.as_ref().filter(|_| !kind_ok) {
            cx.report(Diagnostic::new(
                &rules::MISSING_FIELD,
                obj.file,
                yaml.node(k.node).span,
                format!("sourceRef.kind {:?} must be GitRepository", k.value),
            ));
        }
        let ns = str_at(yaml, spec, &["sourceRef", "namespace"]);
        let wanted = ns.as_ref().map(|n| n.value.as_str()).or(obj.namespace());
        let exists = cx
            .model
            .flux
            .git_repositories
            .iter()
            .any(|g| g.name == source.value && wanted.is_none_or(|ns| g.in_namespace(ns)));
        if kind_ok && !exists {
            cx.report(Diagnostic::new(
                &rules::UNRESOLVED_REFERENCE,
                obj.file,
                yaml.node(source.node).span,
                format!(
                    "no {SOURCE_GROUP} GitRepository {:?} in the repository",
                    source.value
                ),
            ));
        }
    }
    if obj.version() == "v1" || obj.version() == "v1beta2" {
        if yaml.path(spec, &["git"]).is_none() {
            cx.report(Diagnostic::new(
                &rules::MISSING_FIELD,
                obj.file,
                yaml.node(spec).span,
                "ImageUpdateAutomation needs spec.git (checkout, commit author, push)",
            ));
        } else if str_at(yaml, spec, &["git", "commit", "author", "email"]).is_none() {
            cx.report(Diagnostic::new(
                &rules::MISSING_FIELD,
                obj.file,
                yaml.node(yaml.path(spec, &["git"]).unwrap_or(spec)).span,
                "spec.git.commit.author.email is required",
            ));
        }
    }
    if let Some(strategy) = str_at(yaml, spec, &["update", "strategy"])
        && strategy.value != "Setters"
    {
        cx.report(Diagnostic::new(
            &rules::INVALID_UPDATE_STRATEGY,
            obj.file,
            yaml.node(strategy.node).span,
            format!("update.strategy {:?} is not supported", strategy.value),
        ));
    }
    if let Some(path) = str_at(yaml, spec, &["update", "path"]) {
        let rel = normalize_rel(&path.value);
        if !rel.is_empty() && !cx.ws.exists(&rel) {
            cx.report(Diagnostic::new(
                &rules::UPDATE_PATH_MISSING,
                obj.file,
                yaml.node(path.node).span,
                format!(
                    "update.path {:?} does not exist in the repository",
                    path.value
                ),
            ));
        }
    }
    if let Some(tpl) = str_at(yaml, spec, &["git", "commit", "messageTemplate"]) {
        message_template(cx, node_at(cx, obj.file, tpl.node), &tpl.value);
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
