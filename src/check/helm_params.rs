//! Two images of one Argo-driven Application that write the same Helm
//! parameter (IU423): the updater sets each image's parameters in turn
//! (`SetHelmImage`, `pkg/argocd/argocd.go`, defaults `image.name` /
//! `image.tag`), so the last image written overwrites the others and the
//! chart deploys one tag for both. Judged on the model's targets.

use super::Context;
use crate::diagnostic::Diagnostic;
use crate::model::argo::SourceKind;
use crate::model::target::{ArgoImage, Driver, Source, Target};
use crate::rules;
use crate::yaml::Span;

/// The Helm parameters an image writes: its image-spec key, else its name
/// and tag keys (defaults filled in). `None` when it writes plugin env
/// entries instead.
fn params(c: &ArgoImage) -> Option<Vec<String>> {
    let wb = &c.write_back;
    if wb.plugin.is_some() {
        return None;
    }
    // A `helmvalues` target skips images without an alias
    // (`marshalParamsOverride`, `pkg/argocd/update.go`).
    let values = wb
        .target
        .as_deref()
        .is_some_and(|t| t.trim().starts_with("helmvalues"));
    if values && c.alias.as_deref().is_none_or(str::is_empty) {
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

/// Where the image is declared: its own `image-list` item (several share
/// the annotation), or its CR `imageName`; else the target's node.
fn image_span(cx: &Context, t: &Target, c: &ArgoImage) -> Span {
    let node = cx.span(t.file, t.node);
    cx.model
        .updaters
        .iter()
        .flat_map(|u| &u.images)
        .filter(|i| i.alias.as_ref().map(|a| &a.value) == c.alias.as_ref())
        .filter_map(|i| match t.source {
            Source::ArgocdAnnotation => i.origin,
            _ => i.name.origin,
        })
        .find(|o| o.file == t.file && node.start <= o.span.start && o.span.end <= node.end)
        .map_or(node, |o| o.span)
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
            // Twice the same alias is IU419's finding, not a second one.
            if !same_app
                || (c.alias.is_some() && d.alias == c.alias)
                || !(helm_app(c) || (explicit(c) && explicit(d)))
            {
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
                image_span(cx, t, c),
                format!(
                    "{} and {} both write the Helm parameter {shared}{app}; the image written last overwrites the other",
                    name(d),
                    name(c),
                ),
            )
            .related(u.file, image_span(cx, u, d), "the other image"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check;
    use crate::model::Model;
    use crate::testutil::workspace;

    fn iu425(files: &[(&str, &str)]) -> Vec<String> {
        let ws = workspace(files);
        let model = Model::build(&ws);
        check::run(&ws, &model)
            .into_iter()
            .filter(|d| d.rule.code == "IU423")
            .map(|d| d.message)
            .collect()
    }

    fn app(annotations: &str, source: &str) -> String {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  namespace: argocd\n  annotations:\n{annotations}spec:\n  source:\n    repoURL: https://git.example.com/x.git\n    path: charts/shop\n{source}"
        )
    }

    const LIST: &str = "    argocd-image-updater.argoproj.io/image-list: api=ghcr.io/org/api, web=ghcr.io/org/web\n";

    /// `SetHelmImage` (`pkg/argocd/argocd.go`) defaults every image to
    /// `image.name` / `image.tag`: two images of a Helm app overwrite each
    /// other. A Kustomize app writes no Helm parameter; keys of their own
    /// clear it.
    #[test]
    fn two_images_writing_one_helm_parameter_are_reported() {
        let found = iu425(&[("apps/shop.yaml", &app(LIST, "    helm: {}\n"))]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("api (ghcr.io/org/api) and web (ghcr.io/org/web) both write the Helm parameter image.name of Application shop"),
            "{found:?}"
        );
        assert!(iu425(&[("apps/shop.yaml", &app(LIST, "    kustomize: {}\n"))]).is_empty());
        let own = format!(
            "{LIST}    argocd-image-updater.argoproj.io/web.helm.image-name: web.repository\n    argocd-image-updater.argoproj.io/web.helm.image-tag: web.tag\n"
        );
        assert!(iu425(&[("apps/shop.yaml", &app(&own, "    helm: {}\n"))]).is_empty());
        // One shared key is enough, wherever the app's type is not known.
        let cr = "apiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\nmetadata:\n  name: u\n  namespace: argocd\nspec:\n  applicationRefs:\n  - namePattern: shop\n    images:\n    - alias: api\n      imageName: ghcr.io/org/api\n      manifestTargets:\n        helm: {name: api.repository, tag: shared.tag}\n    - alias: web\n      imageName: ghcr.io/org/web\n      manifestTargets:\n        helm: {name: web.repository, tag: shared.tag}\n";
        let found = iu425(&[("iu.yaml", cr)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("shared.tag"), "{found:?}");
    }
}
