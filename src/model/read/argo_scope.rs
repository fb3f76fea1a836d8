//! Which Argo CD Image Updater generation reads the repository, and which
//! Applications each `ImageUpdater` applicationRef drives, decided once per
//! load for both Argo readers ([`super::argo`], [`super::argo_crd`]).
//!
//! * Generation: `--argocd-image-updater` when given; else v1 when any
//!   `ImageUpdater` CR is in the repository, v0 otherwise (v1 reads
//!   annotations only through a CR, so a repository of annotations alone
//!   is configured for v0.x).
//! * Scope, as `FilterApplicationsForUpdate` (`pkg/argocd/argocd.go`)
//!   lists it: the Applications in the CR's own namespace (an object
//!   without a namespace is taken to be in the other's); per Application,
//!   the first ref, in the order of `sortApplicationRefs` (most specific
//!   first, CR order on ties), whose `namePattern` glob
//!   (`filepath.Match`) and `labelSelectors.matchLabels` match. A CR with
//!   a malformed pattern matches nothing (the controller refuses it).
//!   `matchExpressions` are taken to match: the repository does not say
//!   which labels the live object carries beyond its manifest.

use crate::discover::Workspace;
use crate::gosyntax::glob::{glob_match, validate_glob};
use crate::model::argo::{
    self as model_argo, CR_GROUP, CR_KIND, Generation, GenerationChoice, GenerationWhy,
};
use crate::model::{Model, Object};
use crate::yaml::{NodeId, Yaml};

/// One Application an applicationRef drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pick {
    /// Index of the CR in `Model::objects`.
    pub cr: usize,
    /// Index of the ref in the CR's `applicationRefs`.
    pub r: usize,
    /// Index of the Application in `Model::objects`.
    pub app: usize,
    pub use_annotations: bool,
}

/// The generation: `flag` when given, else what the repository holds.
pub fn generation(ws: &Workspace, model: &Model, flag: Option<Generation>) -> GenerationChoice {
    if let Some(generation) = flag {
        return GenerationChoice {
            generation,
            why: GenerationWhy::Flag,
        };
    }
    match model.objects.iter().find(|o| is_cr(o)) {
        Some(cr) => GenerationChoice {
            generation: Generation::V1,
            why: GenerationWhy::Cr(ws.files[cr.file].path.clone()),
        },
        None => GenerationChoice {
            generation: Generation::V0,
            why: GenerationWhy::NoCr,
        },
    }
}

pub fn is_cr(o: &Object) -> bool {
    o.group() == CR_GROUP && o.kind() == CR_KIND
}

pub fn is_app(o: &Object) -> bool {
    model_argo::is_application(
        o.api_version.as_ref().map_or("", |a| a.value.as_str()),
        o.kind(),
    )
}

/// Whether two objects can be in one namespace as far as the repository
/// says.
pub fn same_namespace(a: Option<&str>, b: Option<&str>) -> bool {
    a.is_none() || b.is_none() || a == b
}

/// Every (CR, ref, Application) the controller would run.
pub fn picks(ws: &Workspace, model: &Model) -> Vec<Pick> {
    let mut out = Vec::new();
    for (ci, cr) in model.objects.iter().enumerate().filter(|(_, o)| is_cr(o)) {
        let Some(yaml) = ws.files[cr.file].yaml.as_ref() else {
            continue;
        };
        let Some(spec) = cr.spec(yaml) else { continue };
        let refs = model_argo::application_refs(yaml, spec);
        if refs.iter().any(|r| {
            r.name_pattern
                .as_ref()
                .is_some_and(|p| validate_glob(&p.value).is_err())
        }) {
            continue;
        }
        // Most specific first; a stable sort keeps the CR's order on ties.
        let mut order: Vec<usize> = (0..refs.len()).collect();
        order.sort_by_key(|&i| {
            let r = &refs[i];
            let pattern = r.name_pattern.as_ref().map_or("", |p| p.value.as_str());
            std::cmp::Reverse(model_argo::ref_specificity(
                pattern,
                selectors(yaml, r.node),
            ))
        });
        for (ai, app) in model.objects.iter().enumerate().filter(|(_, o)| is_app(o)) {
            if !same_namespace(cr.namespace(), app.namespace()) {
                continue;
            }
            let labels = ws.files[app.file]
                .yaml
                .as_ref()
                .and_then(|y| y.path(app.root, &["metadata", "labels"]).map(|l| (y, l)));
            let first = order.iter().copied().find(|&i| {
                let r = &refs[i];
                r.name_pattern
                    .as_ref()
                    .is_some_and(|p| glob_match(&p.value, app.name()))
                    && labels_match(yaml, r.node, labels)
            });
            if let Some(r) = first {
                out.push(Pick {
                    cr: ci,
                    r,
                    app: ai,
                    use_annotations: refs[r].use_annotations,
                });
            }
        }
    }
    out
}

/// (matchLabels entries, matchExpressions entries) of a ref with
/// `labelSelectors`.
fn selectors(yaml: &Yaml, r: NodeId) -> Option<(usize, usize)> {
    let s = yaml.get(r, "labelSelectors")?;
    let count = |k: &str| {
        yaml.get(s, k).map_or(0, |n| {
            if yaml.is_mapping(n) {
                yaml.entries(n).len()
            } else {
                yaml.items(n).len()
            }
        })
    };
    Some((count("matchLabels"), count("matchExpressions")))
}

/// Every `matchLabels` entry is among the Application's labels.
fn labels_match(yaml: &Yaml, r: NodeId, labels: Option<(&Yaml, NodeId)>) -> bool {
    let Some(wanted) = yaml.path(r, &["labelSelectors", "matchLabels"]) else {
        return true;
    };
    yaml.entries(wanted).iter().all(|&(k, v)| {
        let (Some(k), Some(v)) = (yaml.str(k), yaml.str(v)) else {
            return false;
        };
        labels.is_some_and(|(y, l)| y.path_str(l, &[k]) == Some(v))
    })
}

#[cfg(test)]
mod tests {
    use crate::model::Model;
    use crate::model::argo::ref_specificity;
    use crate::model::target::Driver;
    use crate::testutil::workspace;

    /// `pkg/argocd/argocd.go`, calculateSpecificity: an exact name
    /// outranks any glob; more literal characters outrank fewer; label
    /// selectors add 10,000 and 100 per entry.
    #[test]
    fn specificity_ranks_refs_as_the_controller_does() {
        assert!(ref_specificity("shop-canary", None) > ref_specificity("shop-*", Some((3, 0))));
        assert!(ref_specificity("shop-eu-*", None) > ref_specificity("shop-*", None));
        assert_eq!(ref_specificity("shop-[a-z]?", None), 5);
        assert_eq!(ref_specificity("*", Some((1, 1))), 10_200);
    }

    /// `forceUpdate` reaches the per-image settings preview and apply read
    /// (`ArgoImage::force_update`), merged image over ref over spec
    /// (`pkg/argocd/argocd.go`, mergeCommonUpdateSettings).
    #[test]
    fn force_update_is_on_the_per_image_settings() {
        let cr = "apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: web
  namespace: argocd
spec:
  commonUpdateSettings:
    forceUpdate: true
  applicationRefs:
    - namePattern: web-*
      images:
        - alias: web
          imageName: registry.example.com/web
        - alias: side
          imageName: registry.example.com/side
          commonUpdateSettings:
            forceUpdate: false
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-a
  namespace: argocd
spec:
  source:
    path: web
";
        let ws = workspace(&[("cr.yaml", cr)]);
        let model = Model::build(&ws);
        let forced: Vec<(String, String, bool)> = model
            .targets
            .iter()
            .filter_map(|t| match &t.driver {
                Driver::Argo(a) => Some((a.app.clone(), a.repository.clone(), a.force_update)),
                _ => None,
            })
            .collect();
        assert_eq!(
            forced,
            [
                (
                    "web-a".to_owned(),
                    "registry.example.com/web".to_owned(),
                    true
                ),
                (
                    "web-a".to_owned(),
                    "registry.example.com/side".to_owned(),
                    false
                ),
            ]
        );
    }
}
