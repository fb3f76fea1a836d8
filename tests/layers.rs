//! Data flows one way (discover → yaml → model → check / resolve → plan →
//! write → git; report, export, the controller and the CLI read what the
//! layers before them made). This test reads the crate's own sources and fails when a
//! module imports a layer that comes after it. Unit tests are exempt:
//! they may drive the whole pipeline.

use std::fs;
use std::path::{Path, PathBuf};

/// Each layer (a folder or file under `src/`) and the modules it must
/// not name.
const RULES: &[(&str, &[&str])] = &[
    (
        "yaml",
        &[
            "model",
            "check",
            "resolve",
            "preview",
            "edit",
            "export",
            "git",
            "report",
            "cli",
            "registry",
            "controller",
            "webhook",
        ],
    ),
    (
        "model",
        &[
            "check",
            "resolve",
            "preview",
            "edit",
            "export",
            "git",
            "report",
            "cli",
            "registry",
            "controller",
            "webhook",
        ],
    ),
    (
        "resolve",
        &[
            "check",
            "preview",
            "edit",
            "export",
            "git",
            "report",
            "cli",
            "controller",
            "webhook",
        ],
    ),
    (
        "check",
        &[
            "preview",
            "edit",
            "export",
            "git",
            "report",
            "cli",
            "controller",
            "webhook",
        ],
    ),
    (
        "cluster",
        &[
            "check",
            "preview",
            "edit",
            "export",
            "git",
            "report",
            "cli",
            "controller",
            "webhook",
        ],
    ),
    (
        "preview",
        &[
            "edit",
            "export",
            "git",
            "report",
            "cli",
            "controller",
            "webhook",
        ],
    ),
    (
        "edit",
        &[
            "check",
            "preview",
            "export",
            "git",
            "report",
            "cli",
            "controller",
            "webhook",
        ],
    ),
    (
        "git",
        &[
            "check",
            "preview",
            "export",
            "report",
            "cli",
            "controller",
            "webhook",
        ],
    ),
    (
        "export",
        &[
            "check",
            "preview",
            "git",
            "report",
            "cli",
            "controller",
            "webhook",
        ],
    ),
    ("report", &["cli", "controller", "webhook"]),
    // The controller reads live objects into the model, judges them with
    // check, writes them with export and applies them with cluster.
    (
        "controller",
        &[
            "preview", "edit", "git", "report", "cli", "resolve", "registry", "webhook",
        ],
    ),
    // The webhook judges one object by the controller's path and answers
    // the API server; it writes nothing.
    (
        "webhook",
        &[
            "preview", "edit", "git", "report", "cli", "resolve", "registry",
        ],
    ),
];

fn sources(layer: &str) -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let file = src.join(format!("{layer}.rs"));
    if file.is_file() {
        out.push(file);
    }
    let mut stack = vec![src.join(layer)];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs")
                && path.file_name().is_some_and(|n| n != "tests.rs")
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The file's code up to its unit tests, comments blanked; line numbers
/// stay those of the file.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        out.push_str(line.split("//").next().unwrap_or_default());
        out.push('\n');
    }
    out
}

/// The names that follow `prefix` in code, with their lines: `a` for
/// `prefix a::b`, and `a` and `b` for a group `prefix {a::x, b}` (on one
/// line or several).
fn names_after(text: &str, prefix: &str) -> Vec<(usize, String)> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let code = code_of(text);
    let mut out = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        let line = 1 + code[..at].matches('\n').count();
        let rest = &code[at + prefix.len()..];
        let Some(group) = rest.strip_prefix('{') else {
            out.push((line, ident(rest)));
            continue;
        };
        let mut depth = 0;
        let mut item_start = 0;
        for (k, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    out.push((line, ident(&group[item_start..k])));
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.push((line, ident(&group[item_start..k])));
                    item_start = k + 1;
                }
                _ => {}
            }
        }
    }
    out.retain(|(_, name)| !name.is_empty());
    out
}

/// `crate::<module>` paths named in code, up to the file's unit tests.
fn imports(text: &str) -> Vec<(usize, String)> {
    names_after(text, "crate::")
}

#[test]
fn layers_point_one_way() {
    let mut wrong = Vec::new();
    for (layer, forbidden) in RULES {
        let files = sources(layer);
        assert!(!files.is_empty(), "no sources for layer {layer}");
        for path in files {
            let text = fs::read_to_string(&path).unwrap();
            for (line, module) in imports(&text) {
                if forbidden.contains(&module.as_str()) {
                    wrong.push(format!(
                        "{}:{line}: {layer} uses crate::{module}",
                        path.display()
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the flow:\n{}",
        wrong.join("\n")
    );
}

/// Export writes YAML the way apply does, through the one writer
/// (`edit::yamlwrite`: layout, quoting, verified byte edits), and reaches
/// nothing else of `edit`.
#[test]
fn export_reaches_edit_only_through_the_yaml_writer() {
    let mut wrong = Vec::new();
    for path in sources("export") {
        let text = fs::read_to_string(&path).unwrap();
        for (line, item) in names_after(&text, "crate::edit::") {
            if item != "yamlwrite" {
                wrong.push(format!("{}:{line}: crate::edit::{item}", path.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let probe =
        "use crate::edit::yamlwrite::{self, pad};\nuse crate::edit::{FileChange, yamlwrite};\n";
    let items: Vec<_> = names_after(probe, "crate::edit::")
        .into_iter()
        .map(|(_, i)| i)
        .collect();
    assert_eq!(items, ["yamlwrite", "FileChange", "yamlwrite"]);
}

/// Only the I/O modules touch the disk: a file outside them that names
/// `std::fs` fails here (clippy's disallowed-methods list says which
/// calls; each I/O module allows them at its top, which is what this
/// test looks for).
#[test]
fn only_io_modules_touch_the_disk() {
    let mut wrong = Vec::new();
    // testutil.rs is compiled for unit tests only.
    for path in sources("")
        .into_iter()
        .filter(|p| !p.ends_with("testutil.rs"))
    {
        let text = fs::read_to_string(&path).unwrap();
        let io = text.contains("#![allow(clippy::disallowed_methods)] // an I/O module");
        let code = code_of(&text);
        let touches = code.contains("std::fs") || code.contains(" fs::");
        if touches && !io {
            wrong.push(path.display().to_string());
        }
    }
    assert!(
        wrong.is_empty(),
        "std::fs outside the I/O modules:\n{}",
        wrong.join("\n")
    );
}

/// The updater checks judge what the model's readers kept
/// (`Updater::written`, the merged images, the Flux index's values);
/// which keys a document has is the shape check's (check/shape.rs), the
/// one place validate reads updater objects' trees.
#[test]
fn updater_checks_read_the_model() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/check");
    let mut wrong = Vec::new();
    for name in ["argo.rs", "flux.rs", "kubesphere.rs"] {
        let code = code_of(&fs::read_to_string(src.join(name)).unwrap());
        for tree in [
            "cx.yaml(",
            ".spec(",
            "reported_objects",
            "crate::yaml::{NodeId",
            "Yaml",
        ] {
            if code.contains(tree) {
                wrong.push(format!("check/{name} reads the tree: {tree}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Preview resolves what the model kept (the Flux index's policies and
/// repositories, the targets); it reads no object's tree.
#[test]
fn preview_reads_the_model() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/preview.rs");
    let code = code_of(&fs::read_to_string(path).unwrap());
    let wrong: Vec<_> = ["str_at(", "yaml_of(", ".path(", "Yaml"]
        .into_iter()
        .filter(|tree| code.contains(tree))
        .collect();
    assert!(wrong.is_empty(), "preview.rs reads the tree: {wrong:?}");
    // Every verdict a controller's scope gives (Flux's update.path,
    // policySelector, suspend; Argo's generation) is judged while the
    // model is built, so resolving needs no workspace.
    assert!(
        code.contains("pub fn resolve(model: &Model, source: &dyn TagSource)"),
        "preview::resolve takes more than the model and the tag source"
    );
    assert!(
        !code.contains("flux_scope::"),
        "preview judges Flux scope itself"
    );
}

/// Argo CD write-back resolves its target from what the model read of
/// the Application (`ArgoWriteBack::application`: name, namespace,
/// source); it reads only the file it edits, never the Application's tree.
#[test]
fn argo_write_back_reads_the_model() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/edit/argo/target.rs");
    let code = code_of(&fs::read_to_string(path).unwrap());
    let wrong: Vec<_> = ["str_at(", "yaml_of("]
        .into_iter()
        .filter(|tree| code.contains(tree))
        .collect();
    assert!(
        wrong.is_empty(),
        "edit/argo/target.rs reads the Application's tree: {wrong:?}"
    );
}

#[test]
fn the_checker_sees_imports() {
    let text = "use crate::git::Change;\n// crate::preview in a comment\nfn f() { crate::edit::x(); }\n#[cfg(test)]\nuse crate::cli;\n";
    let found: Vec<_> = imports(text).into_iter().map(|(_, m)| m).collect();
    assert_eq!(found, ["git", "edit"]);
}

#[test]
fn the_checker_sees_grouped_imports() {
    let text = "use crate::{\n    git::{Change, Applied},\n    edit, // crate::preview\n};\n";
    let found: Vec<_> = imports(text).into_iter().map(|(_, m)| m).collect();
    assert_eq!(found, ["git", "edit"]);
}
