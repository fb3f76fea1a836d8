//! IU501–IU503 and the Argo/Flux setting rules for KubeSphere
//! `ImageUpdater` objects. The argocd kind maps onto Argo CD Image Updater
//! annotations (the shipped controller writes them), so its settings are
//! judged by the same validators; the fluxcd kind by the Flux ones.

use super::Context;
use super::argo::{self as argo_check, At, Strategy};
use crate::diagnostic::{Diagnostic, FileId};
use crate::model::kubesphere::{self as ks, GROUP, Setting, Spelling};
use crate::model::object::str_at;
use crate::model::schema::{self, Unknown};
use crate::model::{Object, argo};
use crate::rules;
use crate::yaml::{NodeId, Yaml};

pub fn check(cx: &mut Context) {
    let objects: Vec<Object> = cx
        .reported_objects()
        .map(|(_, o)| o.clone())
        .filter(|o| o.group() == GROUP && o.kind() == "ImageUpdater")
        .collect();
    for obj in objects {
        let yaml = cx.yaml(obj.file);
        let Some(spec) = obj.spec(yaml) else { continue };
        one(cx, &obj, yaml, spec);
    }
}

fn one(cx: &mut Context, obj: &Object, yaml: &Yaml, spec: NodeId) {
    let file = obj.file;
    let kind = str_at(yaml, spec, &["kind"]);
    let kind_value = kind.as_ref().map_or("argocd", |k| k.value.as_str());
    // Where a missing-section finding points: the kind, else the `spec:` key.
    let anchor = kind.as_ref().map_or_else(
        || yaml.entry(obj.root, "spec").map_or(spec, |(k, _)| k),
        |k| k.node,
    );
    if !matches!(kind_value, "argocd" | "fluxcd") {
        cx.report(Diagnostic::new(
            &rules::KS_INVALID_KIND,
            file,
            cx.span(file, kind.as_ref().map_or(spec, |k| k.node)),
            format!("kind {kind_value:?} must be argocd or fluxcd"),
        ));
    }

    // Unknown fields, except keys of the other spelling inside an argo
    // section: those are IU503, reported below.
    let mut unknown = Vec::new();
    super::fields::top_level(yaml, obj.root, &mut unknown);
    schema::unknown_fields(yaml, spec, schema::KUBESPHERE_SPEC, "spec", &mut unknown);
    let mut mixed: Vec<Unknown> = Vec::new();
    for u in unknown {
        let in_argo = u.parent == "spec.argo" || u.parent == "spec.argocd";
        if in_argo && ks::spelling_of_key(&u.name).is_some() {
            mixed.push(u);
        } else {
            super::fields::report(cx, file, "ImageUpdater", &u);
        }
    }

    let design = yaml.get(spec, "argocd");
    let shipped = yaml.get(spec, "argo");
    if let (Some(_), Some(s)) = (design, shipped) {
        let key = yaml.entry(spec, "argo").map_or(s, |(k, _)| k);
        cx.report(Diagnostic::new(
            &rules::KS_MIXED_SPELLING,
            file,
            cx.span(file, key),
            "both argo (shipped spelling) and argocd (design spelling) sections are present; only one is read",
        ));
    }
    for u in &mixed {
        let section = if u.parent == "spec.argo" {
            Spelling::Shipped
        } else {
            Spelling::Design
        };
        let other = ks::ALIAS_MAPS
            .iter()
            .find(|(d, s, _)| *d == u.name || *s == u.name)
            .map(|(d, s, _)| if section == Spelling::Shipped { *s } else { *d })
            .unwrap_or_default();
        cx.report(
            Diagnostic::new(
                &rules::KS_MIXED_SPELLING,
                file,
                cx.span(file, u.key),
                format!(
                    "{:?} is the {} spelling, but this is the {} section; the key is ignored",
                    u.name,
                    if section == Spelling::Shipped {
                        "design"
                    } else {
                        "shipped"
                    },
                    section.section()
                ),
            )
            .help(format!("write {other:?}")),
        );
    }

    // Images and their aliases.
    let mut aliases: Vec<String> = Vec::new();
    let mut entries = Vec::new();
    if let Some(images) = yaml.get(spec, "images") {
        for &item in yaml.items(images) {
            let Some(text) = yaml.str(item) else { continue };
            let text = text.to_owned();
            let at = At::node(cx, file, item);
            if let Some(entry) = argo_check::image_entry(cx, at, &text, true) {
                if let Some(a) = &entry.alias {
                    if aliases.contains(a) {
                        cx.report(Diagnostic::new(
                            &rules::DUPLICATE_ALIAS,
                            file,
                            cx.span(file, item),
                            format!("alias {a:?} is declared twice in spec.images"),
                        ));
                    }
                    aliases.push(a.clone());
                }
                entries.push((entry, text, at));
            }
        }
    } else {
        cx.report(Diagnostic::new(
            &rules::MISSING_FIELD,
            file,
            cx.span(file, spec),
            "ImageUpdater requires spec.images",
        ));
    }

    match kind_value {
        "argocd" => {
            let section = shipped
                .map(|s| (s, Spelling::Shipped))
                .or(design.map(|d| (d, Spelling::Design)));
            let Some((section, spelling)) = section else {
                cx.report(Diagnostic::new(
                    &rules::KS_MISSING_SECTION,
                    file,
                    cx.span(file, anchor),
                    "kind argocd needs an argo section (argocd in the design spelling); without it the controller does nothing",
                ));
                return;
            };
            argo_section(cx, file, yaml, section, spelling, &aliases, &entries);
        }
        "fluxcd" => match yaml.get(spec, "fluxcd").or_else(|| yaml.get(spec, "flux")) {
            None => cx.report(Diagnostic::new(
                &rules::KS_MISSING_SECTION,
                file,
                cx.span(file, anchor),
                "kind fluxcd needs a fluxcd section",
            )),
            Some(section) => flux_section(cx, file, yaml, section),
        },
        _ => {}
    }
}

fn argo_section(
    cx: &mut Context,
    file: FileId,
    yaml: &Yaml,
    section: NodeId,
    spelling: Spelling,
    aliases: &[String],
    entries: &[(argo_check::ImageEntry, String, At)],
) {
    if let Some(write) = str_at(yaml, section, &["write"])
        && !matches!(write.value.as_str(), "built-in" | "git")
    {
        cx.report(Diagnostic::new(
            &rules::INVALID_WRITE_BACK_METHOD,
            file,
            cx.span(file, write.node),
            format!("write {:?} must be built-in or git", write.value),
        ));
    }
    if str_at(yaml, section, &["app", "name"]).is_none() {
        cx.report(Diagnostic::new(
            &rules::MISSING_FIELD,
            file,
            cx.span(file, section),
            "the argo section requires app.name (the Application to update)",
        ));
    }
    let mut strategies: Vec<(String, String)> = Vec::new();
    for &(_, _, setting) in ks::ALIAS_MAPS {
        let Some(map) = yaml.get(section, ks::key_of(spelling, setting)) else {
            continue;
        };
        for &(k, v) in yaml.entries(map) {
            let Some(alias) = yaml.str(k) else { continue };
            if !aliases.iter().any(|a| a == alias) {
                cx.report(Diagnostic::new(
                    &rules::UNKNOWN_ALIAS,
                    file,
                    cx.span(file, k),
                    format!(
                        "alias {alias:?} is not declared in spec.images; this setting is ignored"
                    ),
                ));
                continue;
            }
            let Some(value) = yaml.str(v).map(str::to_owned) else {
                continue;
            };
            let at = At::node(cx, file, v);
            match setting {
                Setting::UpdateStrategy => {
                    argo_check::strategy(cx, at, &value);
                    strategies.push((alias.to_owned(), value));
                }
                // The shipped controller prepends "regexp:" itself.
                Setting::AllowTags if spelling == Spelling::Shipped => {
                    argo_check::bare_regex(cx, at, &value)
                }
                Setting::AllowTags => argo_check::allow_tags(cx, at, &value),
                Setting::IgnoreTags => argo_check::each_item(&value, |p, off| {
                    argo_check::ignore_glob(cx, at.item(off), p)
                }),
                Setting::Platforms => argo_check::each_item(&value, |p, off| {
                    argo_check::platform(cx, at.item(off), p)
                }),
                // The controller prepends "pullsecret:"; the value is [ns/]name.
                Setting::Secret => {
                    let ok = !value.is_empty()
                        && value.split('/').count() <= 2
                        && value.split('/').all(|p| !p.is_empty());
                    if !ok {
                        cx.report(Diagnostic::new(
                            &rules::INVALID_PULL_SECRET,
                            file,
                            cx.span(file, v),
                            format!("secret {value:?} must be <namespace>/<name> or <name>"),
                        ));
                    }
                }
            }
        }
    }
    for (entry, text, at) in entries {
        let strategy = entry
            .alias
            .as_ref()
            .and_then(|a| strategies.iter().find(|(s, _)| s == a))
            .map_or(Some(Strategy::Semver), |(_, s)| {
                argo_check::quiet_strategy(s)
            });
        if let Some(s) = strategy {
            argo_check::constraint(cx, *at, text, entry.constraint.as_ref(), s);
        }
    }
    let _ = argo::ANNOTATION_PREFIX;
}

fn flux_section(cx: &mut Context, file: FileId, yaml: &Yaml, section: NodeId) {
    if let Some(range) = str_at(yaml, section, &["policy", "semver", "range"]) {
        super::flux::semver_range(cx, file, yaml, &range);
    }
    super::flux::interval(cx, file, yaml, section, "interval", false);
    if let Some(tpl) = str_at(yaml, section, &["git", "commit", "messageTemplate"]) {
        super::flux::message_template(cx, file, yaml, &tpl);
    }
    if let Some(strategy) = str_at(yaml, section, &["update", "strategy"])
        && strategy.value != "Setters"
    {
        cx.report(Diagnostic::new(
            &rules::INVALID_UPDATE_STRATEGY,
            file,
            cx.span(file, strategy.node),
            format!("update.strategy {:?} is not supported", strategy.value),
        ));
    }
}
