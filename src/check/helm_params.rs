//! Two images of one Argo-driven Application that write the same Helm
//! parameter (IU425): the updater sets each image's parameters in turn
//! (`SetHelmImage`, `pkg/argocd/argocd.go`, defaults `image.name` /
//! `image.tag`), so the last image written overwrites the others and the
//! chart deploys one tag for both. Judged on the model's targets.

use super::Context;
use crate::diagnostic::Diagnostic;
use crate::model::argo::SourceKind;
use crate::model::target::{ArgoImage, Driver, Target};
use crate::rules;

/// The Helm parameters an image writes: its image-spec key, else its name
/// and tag keys (defaults filled in). `None` when it writes plugin env
/// entries instead.
fn params(c: &ArgoImage) -> Option<Vec<String>> {
    let wb = &c.write_back;
    if wb.plugin.is_some() {
        return None;
    }
    let set = |k: &Option<String>| k.clone().filter(|k| !k.trim().is_empty());
    if let Some(spec) = set(&wb.helm_spec) {
        return Some(vec![spec]);
    }
    Some(vec![
        set(&wb.helm_name).unwrap_or_else(|| "image.name".to_owned()),
        set(&wb.helm_tag).unwrap_or_else(|| "image.tag".to_owned()),
    ])
}

/// Whether the image names a Helm parameter itself.
fn explicit(c: &ArgoImage) -> bool {
    let wb = &c.write_back;
    [&wb.helm_spec, &wb.helm_name, &wb.helm_tag]
        .iter()
        .any(|k| k.as_deref().is_some_and(|k| !k.trim().is_empty()))
}

/// Whether the Application is written as Helm: its source says so (a
/// `helm:` block or a chart) or its write-back target is a values file.
fn helm_app(c: &ArgoImage) -> bool {
    let wb = &c.write_back;
    let source_helm = wb.application.as_ref().is_some_and(|a| match &a.source {
        SourceKind::One(s) => s.helm || s.chart,
        _ => false,
    });
    source_helm
        || wb
            .target
            .as_deref()
            .is_some_and(|t| t.trim().starts_with("helmvalues"))
}

pub fn check(cx: &mut Context) {
    let argo: Vec<(&Target, &ArgoImage)> = cx
        .model
        .targets
        .iter()
        .filter_map(|t| match &t.driver {
            Driver::Argo(c) => Some((t, c)),
            _ => None,
        })
        .collect();
    for (i, &(t, c)) in argo.iter().enumerate() {
        let Some(mine) = params(c) else { continue };
        // The first earlier image of the same configuration and
        // Application that shares a parameter.
        let clash = argo[..i].iter().find_map(|&(u, d)| {
            let same_app = u.file == t.file
                && u.source == t.source
                && d.app == c.app
                && d.write_back.app == c.write_back.app;
            if !same_app || !(helm_app(c) || (explicit(c) && explicit(d))) {
                return None;
            }
            let theirs = params(d)?;
            let shared = mine.iter().find(|p| theirs.contains(p))?;
            Some((u, d, shared.clone()))
        });
        let Some((u, d, shared)) = clash else {
            continue;
        };
        let name = |c: &ArgoImage| {
            c.alias.clone().map_or_else(
                || c.repository.clone(),
                |a| format!("{a} ({})", c.repository),
            )
        };
        let app = if c.app.is_empty() {
            String::new()
        } else {
            format!(" of Application {}", c.app)
        };
        cx.report(
            Diagnostic::new(
                &rules::SHARED_HELM_PARAMETER,
                t.file,
                cx.span(t.file, t.node),
                format!(
                    "{} and {} both write the Helm parameter {shared}{app}; the image written last overwrites the other",
                    name(d),
                    name(c),
                ),
            )
            .related(u.file, cx.span(u.file, u.node), "the other image"),
        );
    }
}
