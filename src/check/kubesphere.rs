//! IU501–IU503 and the Argo/Flux setting rules for KubeSphere
//! `ImageUpdater` objects. The argocd kind maps onto Argo CD Image Updater
//! annotations (the shipped controller writes them), so its settings are
//! judged by the same validators; the fluxcd kind by the Flux ones. The
//! values come from the model's KubeSphere updaters (their settings as
//! written, the merged images, `unknown_write`); only the object's shape
//! (unknown keys, which sections and lists exist) is read from the tree.

use std::collections::HashMap;

use super::Context;
use super::argo::{self as argo_check, At};
use crate::diagnostic::{Diagnostic, FileId};
use crate::model::Object;
use crate::model::kubesphere::{self as ks, GROUP, Spelling};
use crate::model::schema::{self, Unknown};
use crate::model::spec::{AsWritten, Dialect, Image, SettingName, Updater};
use crate::rules;
use crate::yaml::{NodeId, Span, Yaml};

pub fn check(cx: &mut Context) {
    let model = cx.model;
    // Objects by where their roots start: an updater's `from`.
    let roots: HashMap<(FileId, usize), &Object> = model
        .objects
        .iter()
        .filter(|o| o.is(GROUP, "ImageUpdater"))
        .map(|o| ((o.file, cx.span(o.file, o.root).start), o))
        .collect();
    for u in &model.updaters {
        let Some((Dialect::Kubesphere, from)) = u.from else {
            continue;
        };
        if !cx.ws.files[from.file].report {
            continue;
        }
        // The updater was read from the object whose root is `from`.
        let Some(obj) = roots.get(&(from.file, from.span.start)) else {
            continue;
        };
        let yaml = cx.yaml(obj.file);
        let Some(spec) = obj.spec(yaml) else { continue };
        one(cx, u, obj, yaml, spec);
    }
}

/// The updater's settings of one kind, with where their values are.
fn written<'u>(
    cx: &Context,
    u: &'u Updater,
    setting: SettingName,
) -> impl Iterator<Item = (&'u AsWritten, Option<(At, &'u str)>)> {
    u.written
        .iter()
        .filter(move |w| w.setting == setting)
        .map(move |w| (w, At::value(cx, w)))
}

fn one(cx: &mut Context, u: &Updater, obj: &Object, yaml: &Yaml, spec: NodeId) {
    let file = obj.file;
    let kind = written(cx, u, SettingName::Engine).find_map(|(_, v)| v);
    let kind_value = kind.map_or("argocd", |(_, v)| v);
    // Where a missing-section finding points: the kind, else the `spec:` key.
    let anchor = kind.map_or_else(
        || cx.span(file, yaml.entry(obj.root, "spec").map_or(spec, |(k, _)| k)),
        |(at, _)| at.span,
    );
    if let Some((at, _)) = kind
        && !matches!(kind_value, "argocd" | "fluxcd")
    {
        cx.report(Diagnostic::new(
            &rules::KS_INVALID_KIND,
            file,
            at.span,
            format!("kind {kind_value:?} must be argocd or fluxcd"),
        ));
    }

    // Unknown fields, except keys of the other spelling inside an argo
    // section: those are IU503, reported below. Which keys exist is the
    // object's shape, which the spec does not keep.
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
    // The reader's image for an entry is the one read from the same item.
    let images: HashMap<Span, &Image> = u
        .images
        .iter()
        .filter_map(|i| i.origin.map(|o| (o.span, i)))
        .collect();
    if yaml.get(spec, "images").is_some() {
        let items: Vec<_> = written(cx, u, SettingName::Image)
            .filter_map(|(_, v)| v)
            .collect();
        for (at, text) in items {
            if let Some(entry) = argo_check::image_entry(cx, at, text, true) {
                if let Some(a) = &entry.alias {
                    if aliases.contains(a) {
                        cx.report(Diagnostic::new(
                            &rules::DUPLICATE_ALIAS,
                            file,
                            at.span,
                            format!("alias {a:?} is declared twice in spec.images"),
                        ));
                    }
                    aliases.push(a.clone());
                }
                let read = images.get(&at.span).copied();
                entries.push((entry, text, at, read));
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
            let Some(section) = shipped.or(design) else {
                cx.report(Diagnostic::new(
                    &rules::KS_MISSING_SECTION,
                    file,
                    anchor,
                    "kind argocd needs an argo section (argocd in the design spelling); without it the controller does nothing",
                ));
                return;
            };
            argo_section(cx, u, cx.span(file, section), &aliases, &entries);
        }
        "fluxcd" => match yaml.get(spec, "fluxcd").or_else(|| yaml.get(spec, "flux")) {
            None => cx.report(Diagnostic::new(
                &rules::KS_MISSING_SECTION,
                file,
                anchor,
                "kind fluxcd needs a fluxcd section",
            )),
            Some(_) => flux_section(cx, u),
        },
        _ => {}
    }
}

type Entry<'u> = (argo_check::ImageEntry, &'u str, At, Option<&'u Image>);

fn argo_section(
    cx: &mut Context,
    u: &Updater,
    section: crate::yaml::Span,
    aliases: &[String],
    entries: &[Entry],
) {
    if let Some(write) = &u.unknown_write
        && let Some(origin) = write.origin
    {
        cx.report(Diagnostic::new(
            &rules::INVALID_WRITE_BACK_METHOD,
            origin.file,
            origin.span,
            format!("write {:?} must be built-in or git", write.value),
        ));
    }
    let Some((_, from)) = u.from else { return };
    let file = from.file;
    if u.app.name.is_none() {
        cx.report(Diagnostic::new(
            &rules::MISSING_FIELD,
            file,
            section,
            "the argo section requires app.name (the Application to update)",
        ));
    }
    for w in &u.written {
        if !matches!(
            w.setting,
            SettingName::UpdateStrategy
                | SettingName::AllowTags
                | SettingName::TagRegex
                | SettingName::IgnoreTags
                | SettingName::Platforms
                | SettingName::SecretName
        ) {
            continue;
        }
        // The key of an alias map is the alias.
        let alias = &w.key.value;
        if !aliases.iter().any(|a| a == alias) {
            if let Some(key) = w.key.origin {
                cx.report(Diagnostic::new(
                    &rules::UNKNOWN_ALIAS,
                    key.file,
                    key.span,
                    format!(
                        "alias {alias:?} is not declared in spec.images; this setting is ignored"
                    ),
                ));
            }
            continue;
        }
        let Some((at, value)) = At::value(cx, w) else {
            continue;
        };
        if w.setting == SettingName::SecretName {
            // The controller prepends "pullsecret:"; the value is [ns/]name.
            let ok = !value.is_empty()
                && value.split('/').count() <= 2
                && value.split('/').all(|p| !p.is_empty());
            if !ok {
                cx.report(Diagnostic::new(
                    &rules::INVALID_PULL_SECRET,
                    at.file,
                    at.span,
                    format!("secret {value:?} must be <namespace>/<name> or <name>"),
                ));
            }
        } else {
            argo_check::value(cx, w.setting, at, value, true);
        }
    }
    for (entry, text, at, read) in entries {
        argo_check::read_constraint(cx, *at, text, entry, *read);
    }
}

fn flux_section(cx: &mut Context, u: &Updater) {
    for w in &u.written {
        let Some((at, value)) = At::value(cx, w) else {
            continue;
        };
        match w.setting {
            SettingName::SemverRange => super::flux::semver_range(cx, at, value),
            SettingName::Interval => super::flux::duration_value(cx, at, "interval", value, false),
            SettingName::MessageTemplate => super::flux::message_template(cx, at, value),
            SettingName::SettersStrategy if value != "Setters" => cx.report(Diagnostic::new(
                &rules::INVALID_UPDATE_STRATEGY,
                at.file,
                at.span,
                format!("update.strategy {value:?} is not supported"),
            )),
            _ => {}
        }
    }
}
