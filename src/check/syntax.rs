//! IU001 yaml-syntax-error and IU002 duplicate-key: what the span parser
//! found wrong with the text itself.

use super::Context;
use crate::diagnostic::Diagnostic;
use crate::rules;

pub fn check(cx: &mut Context) {
    for (file, yaml) in cx.reported_files() {
        if let Some(err) = &yaml.error {
            cx.report(Diagnostic::new(
                &rules::YAML_SYNTAX,
                file,
                err.span,
                err.message.clone(),
            ));
        }
        for dup in &yaml.duplicate_keys {
            cx.report(
                Diagnostic::new(
                    &rules::DUPLICATE_KEY,
                    file,
                    dup.span,
                    format!("duplicate key {:?}", dup.key),
                )
                .related(file, dup.first, "first defined here"),
            );
        }
    }
}
