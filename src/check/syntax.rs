//! IU001 yaml-syntax-error and IU002 duplicate-key: what the span parser
//! found wrong with the text itself.

use super::Context;
use crate::diagnostic::Diagnostic;
use crate::rules;

pub fn check(cx: &mut Context) {
    for (file, yaml) in cx.reported_files() {
        if let Some(err) = &yaml.error {
            let d = if err.limit {
                Diagnostic::new(&rules::FILE_TOO_LARGE, file, err.span, err.message.clone()).help(
                    "split the file, or write the collection in block style (one `- item` a line)",
                )
            } else {
                Diagnostic::new(&rules::YAML_SYNTAX, file, err.span, err.message.clone())
            };
            cx.report(d);
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
