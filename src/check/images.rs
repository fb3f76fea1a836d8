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
    let files: Vec<_> = cx.reported_files().collect();
    for (file, yaml) in files {
        let path = cx.ws.files[file].path.clone();
        let found = workload::collect(file, &path, yaml);
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
                let probe = format!("x@{}", digest.value);
                if let Err(err) = image::parse(&probe) {
                    cx.report(Diagnostic::new(
                        &rules::INVALID_IMAGE_REF,
                        file,
                        cx.span(file, digest.node),
                        format!("digest {:?}: {err}", digest.value),
                    ));
                }
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
                    let name = match registry {
                        Some(r) if !r.value.is_empty() => {
                            format!("{}/{}", r.value, repository.value)
                        }
                        _ => repository.value.clone(),
                    };
                    if let Err(err) = image::parse(&name) {
                        cx.report(Diagnostic::new(
                            &rules::INVALID_IMAGE_REF,
                            file,
                            cx.span(file, repository.node),
                            format!("repository {name:?}: {err}"),
                        ));
                    }
                    if let Some(tag) = tag.as_ref().filter(|t| !t.value.is_empty()) {
                        tag_only(cx, file, tag);
                    }
                }
            }
        }
    }
}

fn reference(cx: &mut Context, file: FileId, value: &Str, what: &str) {
    if value.value.contains("{{") || value.value.contains("${") {
        return;
    }
    let yaml = cx.yaml(file);
    let src = cx.src(file);
    if image::registry_port_trap(&value.value) {
        cx.report(Diagnostic::new(
            &rules::REGISTRY_PORT_AS_TAG,
            file,
            yaml.node(value.node).span,
            format!(
                "{what} {:?} reads as image {:?} with tag {:?}",
                value.value,
                value.value.split(':').next().unwrap_or_default(),
                value.value.split(':').nth(1).unwrap_or_default()
            ),
        ));
        return;
    }
    if let Err(err) = image::parse(&value.value) {
        cx.report(Diagnostic::new(
            &rules::INVALID_IMAGE_REF,
            file,
            value_subspan(yaml, src, value.node, err.range()),
            format!("{what} {:?}: {err}", value.value),
        ));
    }
}

fn name_only(cx: &mut Context, file: FileId, value: &Str, what: &str) {
    let yaml = cx.yaml(file);
    let src = cx.src(file);
    if let Err(err) = image::parse(&value.value) {
        cx.report(Diagnostic::new(
            &rules::INVALID_IMAGE_REF,
            file,
            value_subspan(yaml, src, value.node, err.range()),
            format!("{what} {:?}: {err}", value.value),
        ));
    }
}

fn tag_only(cx: &mut Context, file: FileId, tag: &Str) {
    let probe = format!("x:{}", tag.value);
    if let Err(err) = image::parse(&probe) {
        cx.report(Diagnostic::new(
            &rules::INVALID_IMAGE_REF,
            file,
            cx.span(file, tag.node),
            format!("tag {:?}: {err}", tag.value),
        ));
    }
}
