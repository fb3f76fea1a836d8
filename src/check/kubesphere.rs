//! IU501–IU503 and the Argo/Flux setting rules for KubeSphere
//! `ImageUpdater` objects. The argocd kind maps onto Argo CD Image Updater
//! annotations (the shipped controller writes them), so its settings are
//! judged by the same validators; the fluxcd kind by the Flux ones. The
//! values come from the model's KubeSphere updaters (their settings as
//! written, the merged images, `unknown_write`); the object's keys are the
//! shape check's (`super::shape`).

use std::collections::HashMap;

use super::Context;
use super::argo::{self as argo_check, At};
use crate::diagnostic::Diagnostic;
use crate::model::spec::{AsWritten, Dialect, Image, Origin, SettingName, Updater};
use crate::rules;
use crate::yaml::Span;

pub fn check(cx: &mut Context) {
    for u in &cx.model.updaters {
        let Some((Dialect::Kubesphere, from)) = u.from else {
            continue;
        };
        if cx.ws.files[from.file].report {
            one(cx, u);
        }
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

fn one(cx: &mut Context, u: &Updater) {
    let kind = written(cx, u, SettingName::Engine).find_map(|(_, v)| v);
    let kind_value = kind.map_or("argocd", |(_, v)| v);
    if let Some((at, _)) = kind
        && !matches!(kind_value, "argocd" | "fluxcd")
    {
        cx.report(Diagnostic::new(
            &rules::KS_INVALID_KIND,
            at.file,
            at.span,
            format!("kind {kind_value:?} must be argocd or fluxcd"),
        ));
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
    let items: Vec<_> = written(cx, u, SettingName::Image)
        .filter_map(|(_, v)| v)
        .collect();
    for (at, text) in items {
        if let Some(entry) = argo_check::image_entry(cx, at, text, true) {
            if let Some(a) = &entry.alias {
                if aliases.contains(a) {
                    cx.report(Diagnostic::new(
                        &rules::DUPLICATE_ALIAS,
                        at.file,
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

    // A kind without its section (the shape check reports it) is not
    // carried out, so its settings are not judged. An invalid kind says
    // nothing about which section is meant: both are judged, so that the
    // kind's finding does not hide a bad write, strategy or range.
    let section = |name: SettingName| {
        u.written
            .iter()
            .find(|w| w.setting == name)
            .and_then(|w| w.key.origin)
    };
    let (argo, flux) = match kind_value {
        "argocd" => (true, false),
        "fluxcd" => (false, true),
        _ => (true, true),
    };
    if argo && let Some(section) = section(SettingName::ArgoSection) {
        argo_section(cx, u, section, &aliases, &entries);
    }
    if flux && section(SettingName::FluxSection).is_some() {
        flux_section(cx, u);
    }
}

type Entry<'u> = (argo_check::ImageEntry, &'u str, At, Option<&'u Image>);

fn argo_section(
    cx: &mut Context,
    u: &Updater,
    section: Origin,
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
    if u.app.name.is_none() {
        cx.report(Diagnostic::new(
            &rules::MISSING_FIELD,
            section.file,
            section.span,
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
