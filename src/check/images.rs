//! IU201 invalid-image-reference and IU202 registry-port-read-as-tag, over
//! every place an image is written: containers, kustomize `images:`, Helm
//! values.

use super::Context;
use crate::diagnostic::{Diagnostic, FileId};
use crate::model::image;
use crate::model::workload::{self, HelmImage};
use crate::model::{Str, value_subspan};
use crate::rules;

pub fn check(cx: &mut Context) {
    let model = cx.model;
    let files: Vec<_> = cx.reported_files().map(|(file, _)| file).collect();
    for file in files {
        let found = &model.images[file];
        for c in &found.containers {
            reference(cx, file, &c.image, "image");
        }
        for k in &found.kustomize {
            if let Some(name) = &k.name {
                name_only(cx, file, name, "images[].name");
            }
            if let Some(new_name) = &k.new_name {
                name_only(cx, file, new_name, "images[].newName");
            }
            if let Some(tag) = &k.new_tag {
                tag_only(cx, file, tag);
            }
            if let Some(digest) = &k.digest {
                invalid(
                    cx,
                    file,
                    &format!("x@{}", digest.value),
                    digest,
                    "digest",
                    true,
                );
            }
        }
        for h in &found.helm {
            match h {
                HelmImage::Inline { value, .. } => reference(cx, file, value, "image"),
                HelmImage::Split {
                    registry,
                    repository,
                    tag,
                    ..
                } => {
                    let name = workload::split_name(registry.as_ref(), repository);
                    let shown = Str {
                        value: name.clone(),
                        node: repository.node,
                    };
                    invalid(cx, file, &name, &shown, "repository", true);
                    if let Some(tag) = tag.as_ref().filter(|t| !t.value.is_empty()) {
                        tag_only(cx, file, tag);
                    }
                }
            }
        }
    }
}

/// Reports IU201 when `probe` (the value, or a synthetic reference built
/// around it) does not parse; `span` says where the value sits.
fn invalid(cx: &mut Context, file: FileId, probe: &str, value: &Str, what: &str, whole_node: bool) {
    if let Err(err) = image::parse(probe) {
        let yaml = cx.yaml(file);
        let span = if whole_node {
            yaml.node(value.node).span
        } else {
            value_subspan(yaml, cx.src(file), value.node, err.range())
        };
        cx.report(Diagnostic::new(
            &rules::INVALID_IMAGE_REF,
            file,
            span,
            format!("{what} {:?}: {err}", value.value),
        ));
    }
}

fn reference(cx: &mut Context, file: FileId, value: &Str, what: &str) {
    if value.value.contains("{{") || value.value.contains("${") {
        return;
    }
    if image::registry_port_trap(&value.value) {
        let (name, tag) = value.value.split_once(':').unwrap_or((&value.value, ""));
        cx.report(Diagnostic::new(
            &rules::REGISTRY_PORT_AS_TAG,
            file,
            cx.span(file, value.node),
            format!(
                "{what} {:?} reads as image {name:?} with tag {tag:?}",
                value.value
            ),
        ));
        return;
    }
    invalid(cx, file, &value.value, value, what, false);
}

fn name_only(cx: &mut Context, file: FileId, value: &Str, what: &str) {
    invalid(cx, file, &value.value, value, what, false);
}

fn tag_only(cx: &mut Context, file: FileId, tag: &Str) {
    invalid(cx, file, &format!("x:{}", tag.value), tag, "tag", true);
}
