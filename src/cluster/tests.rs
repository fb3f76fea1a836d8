use serde_json::json;

use super::{KINDS, Live, live_path, live_workspace};
use crate::model::Model;
use crate::model::spec::Dialect;

fn live(kind: usize, ns: &str, name: &str, object: serde_json::Value) -> Live {
    Live {
        kind: KINDS[kind],
        namespace: ns.to_owned(),
        name: name.to_owned(),
        object,
    }
}

/// Live objects go through the same readers as files: the KubeSphere
/// object becomes an updater with its image and alias; status and
/// managed fields never reach the document.
#[test]
fn live_objects_are_read_by_the_model_readers() {
    let ks = live(
        4,
        "apps",
        "web",
        json!({
            "apiVersion": "gitops.kubesphere.io/v1alpha1",
            "kind": "ImageUpdater",
            "metadata": {"name": "web", "namespace": "apps", "uid": "1",
                         "managedFields": [{"manager": "kubectl"}]},
            "spec": {"kind": "argocd", "images": ["web=ghcr.io/org/web:~1.2"],
                     "argo": {"app": {"name": "web"}}},
            "status": {"conditions": []}
        }),
    );
    let cr = live(
        3,
        "argocd",
        "shop",
        json!({
            "apiVersion": "argocd-image-updater.argoproj.io/v1alpha1",
            "kind": "ImageUpdater",
            "metadata": {"name": "shop", "namespace": "argocd"},
            "spec": {"applicationRefs": [{"namePattern": "shop",
                     "images": [{"alias": "api", "imageName": "ghcr.io/org/api:^2"}]}]}
        }),
    );
    let ws = live_workspace(&[ks.clone(), cr.clone()]);
    assert_eq!(ws.files[crate::diagnostic::FileId(0)].path, live_path(&ks));
    assert_eq!(live_path(&cr), "cluster/argocd/imageupdaters/shop.yaml");
    let text = &ws.files[crate::diagnostic::FileId(0)].text;
    assert!(!text.contains("managedFields") && !text.contains("status"));
    let model = Model::build(&ws);
    let mut read: Vec<(Dialect, String, String, Option<String>)> = model
        .updaters
        .iter()
        .flat_map(|u| {
            let dialect = u.from.map(|(d, _)| d).unwrap();
            u.images.iter().map(move |i| {
                (
                    dialect,
                    u.name.clone(),
                    i.name.value.clone(),
                    i.constraint.as_ref().map(|c| c.value.clone()),
                )
            })
        })
        .collect();
    read.sort();
    assert_eq!(
        read,
        [
            (
                Dialect::ArgocdCrd,
                "shop".to_owned(),
                "ghcr.io/org/api".to_owned(),
                Some("^2".to_owned())
            ),
            (
                Dialect::Kubesphere,
                "web".to_owned(),
                "ghcr.io/org/web".to_owned(),
                Some("~1.2".to_owned())
            ),
        ]
    );
}
