//! IU601 promotion-environment-missing and IU602 promotion-invalid-config:
//! the root `gitops-promotion.yaml` and the `<group>/<environment>/`
//! folders it promotes into.

use super::Context;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::promotion::{self, CONFIG_FILE};
use crate::rules;

pub fn check(cx: &mut Context) {
    let Some(file) = cx.ws.file_id(CONFIG_FILE) else {
        return;
    };
    if !cx.ws.files[file].report {
        return;
    }
    let Some(yaml) = cx.ws.files[file].yaml.as_ref() else {
        return;
    };
    if yaml.error.is_some() {
        return;
    }
    let config = match promotion::read(yaml) {
        Ok(c) => c,
        Err(err) => {
            cx.report(Diagnostic::new(
                &rules::PROMOTION_INVALID_CONFIG,
                file,
                // A finding about a mapping or sequence points at its key's line.
                err.node.map_or(crate::yaml::Span::empty(0), |n| {
                    cx.span(
                        file,
                        if yaml.is_scalar(n) {
                            n
                        } else {
                            yaml.key_for(n).unwrap_or(n)
                        },
                    )
                }),
                err.message,
            ));
            return;
        }
    };
    if let Some(t) = promotion::timeout_is_bare_number(yaml) {
        cx.report(
            Diagnostic::new(
                &rules::PROMOTION_INVALID_CONFIG,
                file,
                cx.span(file, t.node),
                format!(
                    "status_timeout_minutes {:?} is read as {} nanoseconds",
                    t.value, t.value
                ),
            )
            .severity(Severity::Warning)
            .help(format!("write a duration: \"{}m\"", t.value)),
        );
    }
    // A group is a top-level folder holding at least one environment, or a
    // group named in the config.
    let mut groups: Vec<String> = config.groups.iter().map(|g| g.value.clone()).collect();
    let found = cx.ws.top_level_dirs().into_iter().filter(|name| {
        config
            .environments
            .iter()
            .any(|env| cx.ws.is_dir(&format!("{name}/{}", env.value)))
    });
    for g in found {
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    for group in &groups {
        for env in &config.environments {
            let folder = format!("{group}/{}", env.value);
            if !cx.ws.is_dir(&folder) {
                cx.report(Diagnostic::new(
                    &rules::PROMOTION_ENV_MISSING,
                    file,
                    cx.span(file, env.node),
                    format!("environment {:?} has no folder in group {group:?}: {folder}/ does not exist", env.value),
                ));
            }
        }
    }
}
