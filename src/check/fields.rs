//! IU007 unknown-field for Flux image objects and the Argo CD Image Updater
//! CR, with a did-you-mean suggestion. (KubeSphere objects are handled by
//! their own check, which knows about the two spellings.)

use super::Context;
use crate::diagnostic::{Diagnostic, FileId};
use crate::model::argo::CR_GROUP;
use crate::model::flux::IMAGE_GROUP;
use crate::model::schema::{self, Field, Unknown};
use crate::rules;

pub fn check(cx: &mut Context) {
    let objects: Vec<_> = cx.reported_objects().map(|(_, o)| o.clone()).collect();
    for obj in objects {
        let schema: &'static [Field] = match (obj.group(), obj.kind()) {
            (IMAGE_GROUP, "ImageRepository") => schema::IMAGE_REPOSITORY_SPEC,
            (IMAGE_GROUP, "ImagePolicy") => schema::IMAGE_POLICY_SPEC,
            (IMAGE_GROUP, "ImageUpdateAutomation") => schema::IMAGE_UPDATE_AUTOMATION_SPEC,
            (CR_GROUP, "ImageUpdater") => schema::ARGO_IMAGE_UPDATER_SPEC,
            _ => continue,
        };
        let yaml = cx.yaml(obj.file);
        let mut found = Vec::new();
        top_level(yaml, obj.root, &mut found);
        if let Some(spec) = obj.spec(yaml) {
            schema::unknown_fields(yaml, spec, schema, "spec", &mut found);
        }
        for u in found {
            report(cx, obj.file, obj.kind(), &u);
        }
    }
}

pub fn top_level(yaml: &crate::yaml::Yaml, root: crate::yaml::NodeId, out: &mut Vec<Unknown>) {
    for &(k, _) in yaml.entries(root) {
        if let Some(name) = yaml.str(k)
            && !schema::OBJECT_TOP.contains(&name)
        {
            out.push(Unknown {
                key: k,
                name: name.to_owned(),
                parent: String::new(),
                siblings: schema::OBJECT_TOP.to_vec(),
            });
        }
    }
}

pub fn report(cx: &mut Context, file: FileId, kind: &str, u: &Unknown) {
    let at = if u.parent.is_empty() {
        String::new()
    } else {
        format!(" in {}", u.parent)
    };
    let mut d = Diagnostic::new(
        &rules::UNKNOWN_FIELD,
        file,
        cx.span(file, u.key),
        format!("{kind} has no field {:?}{at}; it is ignored", u.name),
    );
    if let Some(close) = super::did_you_mean(&u.name, u.siblings.iter().copied()) {
        d = d.help(format!("did you mean {close:?}?"));
    }
    cx.report(d);
}
