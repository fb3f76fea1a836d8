//! CI output formats of `validate`: SARIF 2.1.0, GitHub workflow commands,
//! GitLab Code Quality, and `--output-file`. Structure is asserted on the
//! flux example; escaping on a repository built to be hostile.

mod common;

use std::collections::HashSet;
use std::path::Path;

use common::{POLICIES, bin, project, testdata, write};
use serde_json::Value;

fn run_on(repo: &Path, format: &str) -> std::process::Output {
    bin()
        .current_dir(project())
        .args(["validate", "--root"])
        .arg(repo)
        .arg(repo)
        .args(["--format", format])
        .output()
        .expect("binary runs")
}

fn stdout(repo: &Path, format: &str) -> String {
    let out = run_on(repo, format);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn flux(format: &str) -> String {
    stdout(&testdata("flux"), format)
}

fn json_findings() -> Vec<Value> {
    let v: Value = serde_json::from_str(&flux("json")).unwrap();
    v["diagnostics"].as_array().unwrap().clone()
}

fn rule_codes() -> Vec<String> {
    imageupdate::rules::ALL
        .iter()
        .map(|r| r.code.to_owned())
        .collect()
}

#[test]
fn sarif_log_has_the_2_1_0_shape() {
    let log: Value = serde_json::from_str(&flux("sarif")).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "kubectl-imageupdate");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(driver["informationUri"], env!("CARGO_PKG_REPOSITORY"));

    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<String> = rules
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, rule_codes(), "one descriptor per rule, in order");
    for r in rules {
        for key in ["shortDescription", "fullDescription", "help"] {
            assert!(!r[key]["text"].as_str().unwrap().is_empty(), "{r}");
        }
        assert!(r["name"].is_string());
        let level = r["defaultConfiguration"]["level"].as_str().unwrap();
        assert!(["error", "warning", "note"].contains(&level), "{level}");
    }

    let results = runs[0]["results"].as_array().unwrap();
    let findings = json_findings();
    assert_eq!(results.len(), findings.len());
    assert!(!results.is_empty());
    for (res, f) in results.iter().zip(&findings) {
        let id = res["ruleId"].as_str().unwrap();
        let index = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id, "ruleIndex points at the rule");
        assert_eq!(id, f["code"]);
        let level = res["level"].as_str().unwrap();
        let expect = match f["severity"].as_str().unwrap() {
            "info" => "note",
            s => s,
        };
        assert_eq!(level, expect);
        assert_eq!(res["message"]["text"], f["message"]);
        let loc = &res["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], f["file"]);
        let region = &loc["region"];
        let n = |k: &str| region[k].as_u64().unwrap();
        assert!(n("startLine") >= 1 && n("startColumn") >= 1, "{region}");
        assert!(n("endLine") >= n("startLine"), "{region}");
        if n("endLine") == n("startLine") {
            assert!(n("endColumn") >= n("startColumn"), "{region}");
        }
        // Same 1-based, end-exclusive numbers as --format json.
        assert_eq!(n("startLine"), f["line"].as_u64().unwrap());
        assert_eq!(n("startColumn"), f["column"].as_u64().unwrap());
        assert_eq!(n("endLine"), f["end_line"].as_u64().unwrap());
        assert_eq!(n("endColumn"), f["end_column"].as_u64().unwrap());
    }
}

fn sarif_fingerprints() -> Vec<String> {
    let log: Value = serde_json::from_str(&flux("sarif")).unwrap();
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"]["primaryLocationLineHash"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn sarif_fingerprints_are_unique_and_stable() {
    let first = sarif_fingerprints();
    let unique: HashSet<&String> = first.iter().collect();
    assert_eq!(unique.len(), first.len(), "{first:?}");
    for fp in &first {
        let (hash, n) = fp.split_once(':').expect("hash:N");
        assert_eq!(hash.len(), 16);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(n.parse::<usize>().unwrap() >= 1);
    }
    assert_eq!(first, sarif_fingerprints());
}

#[test]
fn sarif_without_findings_is_a_valid_log() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "clusters/policies.yaml", POLICIES);
    let out = run_on(dir.path(), "sarif");
    assert_eq!(out.status.code(), Some(0));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        rule_codes().len()
    );
    let gitlab = run_on(dir.path(), "gitlab");
    assert_eq!(String::from_utf8_lossy(&gitlab.stdout).trim(), "[]");
    assert!(run_on(dir.path(), "github").stdout.is_empty());
}

#[test]
fn github_prints_one_command_per_finding() {
    let text = flux("github");
    let findings = json_findings();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), findings.len());
    for (line, f) in lines.iter().zip(&findings) {
        let command = match f["severity"].as_str().unwrap() {
            "error" => "error",
            "warning" => "warning",
            _ => "notice",
        };
        let (l, c, el, ec) = (&f["line"], &f["column"], &f["end_line"], &f["end_column"]);
        let mut head = format!(
            "::{command} file={},line={l},endLine={el}",
            f["file"].as_str().unwrap()
        );
        if l == el {
            head.push_str(&format!(",col={c},endColumn={ec}"));
        }
        head.push_str(&format!(",title={}::", f["code"].as_str().unwrap()));
        assert!(line.starts_with(&head), "{line}\n{head}");
        assert!(!line.contains('\r'));
    }
}

#[test]
fn gitlab_code_quality_is_an_array_with_stable_unique_fingerprints() {
    let parse = || -> Vec<Value> {
        serde_json::from_str::<Value>(&flux("gitlab"))
            .unwrap()
            .as_array()
            .expect("a JSON array")
            .clone()
    };
    let issues = parse();
    let findings = json_findings();
    assert_eq!(issues.len(), findings.len());
    let mut prints = HashSet::new();
    for (i, f) in issues.iter().zip(&findings) {
        assert_eq!(i["check_name"], f["code"]);
        assert_eq!(i["description"], f["message"]);
        assert_eq!(i["location"]["path"], f["file"]);
        assert_eq!(i["location"]["lines"]["begin"], f["line"]);
        let expect = match f["severity"].as_str().unwrap() {
            "error" => "critical",
            "warning" => "minor",
            _ => "info",
        };
        assert_eq!(i["severity"], expect);
        assert!(prints.insert(i["fingerprint"].as_str().unwrap().to_owned()));
    }
    let again: Vec<Value> = parse();
    let fp = |v: &[Value]| -> Vec<Value> { v.iter().map(|i| i["fingerprint"].clone()).collect() };
    assert_eq!(fp(&issues), fp(&again));
}

// --- hostile input ---------------------------------------------------------

const HOSTILE_PATH: &str = "apps/we,ird: 100%/deploy.yaml";

/// A marker whose suffix `b,c%d` is echoed by IU103, in a file whose path
/// holds `,`, `:`, `%` and a space. Two identical lines give two findings
/// that differ only by their occurrence counter.
fn hostile() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "clusters/policies.yaml", POLICIES);
    let line = "        - name: app\n          image: ghcr.io/stefanprodan/podinfo:6.0.0 # {\"$imagepolicy\": \"flux-system:a:b,c%d\"}\n";
    write(
        dir.path(),
        HOSTILE_PATH,
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\nspec:\n  template:\n    spec:\n      containers:\n{line}{}",
            line.replace("name: app", "name: app2")
        ),
    );
    dir
}

const HOSTILE_MESSAGE: &str =
    "unknown suffix \"b,c%d\"; the suffixes are tag, name and digest, in lower case";

#[test]
fn github_escapes_hostile_paths_and_messages() {
    let dir = hostile();
    let text = stdout(dir.path(), "github");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(
        lines[0],
        "::error file=apps/we%2Cird%3A 100%25/deploy.yaml,line=10,endLine=10,col=73,endColumn=92,\
title=IU103::unknown suffix \"b,c%25d\"; the suffixes are tag, name and digest, in lower case\
%0Athe only suffixes are :tag, :name and :digest, in lower case"
    );
    assert!(lines[1].starts_with("::error file=apps/we%2Cird%3A 100%25/deploy.yaml,line=12,"));
}

#[test]
fn sarif_and_gitlab_keep_hostile_text() {
    let dir = hostile();
    let log: Value = serde_json::from_str(&stdout(dir.path(), "sarif")).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let r = &results[0];
    assert_eq!(r["ruleId"], "IU103");
    assert_eq!(r["message"]["text"], HOSTILE_MESSAGE);
    // A relative URI reference: `%`, space and `:` are percent-encoded.
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "apps/we,ird%3A%20100%25/deploy.yaml"
    );
    let fp = |i: usize| {
        results[i]["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Identical flagged lines: same hash, counters 1 and 2.
    let (a, b) = (fp(0), fp(1));
    assert_eq!(a.split_once(':').unwrap().0, b.split_once(':').unwrap().0);
    assert!(a.ends_with(":1") && b.ends_with(":2"), "{a} {b}");

    let issues: Value = serde_json::from_str(&stdout(dir.path(), "gitlab")).unwrap();
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 2);
    assert_eq!(issues[0]["description"], HOSTILE_MESSAGE);
    assert_eq!(issues[0]["location"]["path"], HOSTILE_PATH);
    assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
}

#[test]
fn output_file_takes_the_report_and_stdout_stays_empty() {
    let dir = hostile();
    for format in ["human", "json", "sarif", "github", "gitlab"] {
        let out_dir = tempfile::tempdir().unwrap();
        let file = out_dir.path().join(format!("report.{format}"));
        let out = bin()
            .current_dir(dir.path())
            .args([
                "validate",
                "--root",
                ".",
                "--format",
                format,
                "--output-file",
            ])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(out.stdout.is_empty(), "{format}: stdout not empty");
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains("2 errors, 0 warnings in 2 files checked"),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let written = std::fs::read_to_string(&file).unwrap();
        let direct = bin()
            .current_dir(dir.path())
            .args(["validate", "--root", ".", "--format", format])
            .output()
            .unwrap();
        // Not a terminal either way, so even human output is byte-identical.
        assert_eq!(
            written,
            String::from_utf8(direct.stdout).unwrap(),
            "{format}"
        );
        assert!(!written.contains('\u{1b}'), "{format}: colour in a file");
    }
}

#[test]
fn unwritable_output_file_is_an_input_error() {
    let dir = hostile();
    let out = bin()
        .current_dir(dir.path())
        .args([
            "validate",
            "--root",
            ".",
            "--format",
            "sarif",
            "--output-file",
        ])
        .arg(dir.path().join("no/such/folder/report.sarif"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

fn run_with(repo: &Path, args: &[&str]) -> std::process::Output {
    bin()
        .current_dir(project())
        .args(["validate", "--root"])
        .arg(repo)
        .arg(repo)
        .args(args)
        .output()
        .expect("binary runs")
}

fn rank(severity: &str) -> u8 {
    match severity {
        "error" => 0,
        "warning" => 1,
        _ => 2,
    }
}

/// The flux example's findings in the order issue 21 asks of human output:
/// errors, then warnings, then infos; within each by file, line, column.
fn flux_in_human_order() -> Vec<Value> {
    let mut findings = json_findings();
    findings.sort_by_key(|f| {
        (
            rank(f["severity"].as_str().unwrap()),
            f["file"].as_str().unwrap().to_owned(),
            f["line"].as_u64().unwrap(),
            f["column"].as_u64().unwrap(),
        )
    });
    findings
}

fn place(f: &Value) -> String {
    format!(
        "{}:{}:{}: ",
        f["file"].as_str().unwrap(),
        f["line"],
        f["column"]
    )
}

/// Human output (issue 21): errors come before warnings, then by file and
/// line, and stdout closes with the totals.
#[test]
fn human_puts_errors_first_and_closes_with_totals() {
    let out = flux("human");
    let want: Vec<String> = flux_in_human_order().iter().map(place).collect();
    let got: Vec<String> = out
        .lines()
        .filter_map(|l| want.iter().find(|w| l.starts_with(w.as_str())).cloned())
        .collect();
    assert_eq!(got, want, "{out}");
    let findings = json_findings();
    let count = |s: &str| findings.iter().filter(|f| f["severity"] == s).count();
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with(&format!(
            "{} errors, {} warnings in ",
            count("error"),
            count("warning")
        )),
        "{last}"
    );
    assert!(last.ends_with(" files checked"), "{last}");
}

/// `--format concise`: one line per finding, `path:line:col: CODE message`,
/// in the human order, then the totals.
#[test]
fn concise_is_one_line_per_finding() {
    let out = flux("concise");
    let want: Vec<String> = flux_in_human_order()
        .iter()
        .map(|f| {
            format!(
                "{}{} {}",
                place(f),
                f["code"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), want.len() + 1, "{out}");
    assert_eq!(lines[..want.len()], want[..], "{out}");
    assert!(lines[want.len()].ends_with(" files checked"), "{out}");
    insta::assert_snapshot!("flux__concise", out);
}

/// `--statistics` in human output: one line per rule (count, code, name),
/// most frequent first, between the findings and the totals.
#[test]
fn statistics_count_each_rule_most_frequent_first() {
    let out = run_with(&testdata("flux"), &["--format", "concise", "--statistics"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let findings = json_findings();
    let stats: Vec<(usize, String, String)> = text
        .lines()
        .skip(findings.len())
        .take_while(|l| !l.ends_with("files checked"))
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').map(str::trim).collect();
            (
                cols[0].parse().unwrap(),
                cols[1].to_owned(),
                cols[2].to_owned(),
            )
        })
        .collect();
    assert!(!stats.is_empty(), "{text}");
    for (n, code, name) in &stats {
        let rule = imageupdate::rules::ALL
            .iter()
            .find(|r| r.code == code)
            .unwrap();
        assert_eq!(name, rule.name);
        assert_eq!(
            *n,
            findings
                .iter()
                .filter(|f| f["code"] == code.as_str())
                .count(),
            "{code}"
        );
    }
    assert_eq!(stats.iter().map(|s| s.0).sum::<usize>(), findings.len());
    assert!(stats.windows(2).all(|w| w[0].0 >= w[1].0), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
    insta::assert_snapshot!(
        "flux__human_statistics",
        String::from_utf8_lossy(&run_with(&testdata("flux"), &["--statistics"]).stdout)
    );
}

/// `--statistics` with a machine format keeps stdout exactly what the
/// machine parses and puts the per-rule counts on stderr.
#[test]
fn machine_formats_stay_parseable_with_statistics() {
    let repo = testdata("flux");
    for format in ["json", "sarif", "gitlab", "github"] {
        let plain = run_with(&repo, &["--format", format]);
        let out = run_with(&repo, &["--format", format, "--statistics"]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert_eq!(out.stdout, plain.stdout, "{format}: stdout unchanged");
        let text = String::from_utf8(out.stdout).unwrap();
        if format == "github" {
            assert!(text.lines().all(|l| l.starts_with("::")), "{text}");
        } else {
            serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{format}: {e}"));
        }
        let err = String::from_utf8(out.stderr).unwrap();
        let first = err.lines().next().unwrap_or_default();
        let cols: Vec<&str> = first.split('\t').map(str::trim).collect();
        assert_eq!(cols.len(), 3, "{format}: {err}");
        assert!(
            cols[0].parse::<usize>().is_ok() && cols[1].starts_with("IU"),
            "{err}"
        );
    }
}

/// Exit codes are those of the human format in the new modes: 1 with
/// errors, 0 clean.
#[test]
fn new_modes_keep_exit_codes() {
    let clean = testdata("gitops-promotion/clean");
    for args in [&["--format", "concise"][..], &["--statistics"][..]] {
        assert_eq!(run_with(&testdata("flux"), args).status.code(), Some(1));
        let out = run_with(&clean, args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(String::from_utf8_lossy(&out.stdout).ends_with(" files checked\n"));
    }
}
