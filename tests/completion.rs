//! Shell completion: the scripts `completion SHELL` prints, and the
//! `kubectl_complete-imageupdate` hook kubectl runs for `kubectl imageupdate
//! <TAB>` (checked through the real kubectl).

mod common;

use std::ffi::OsString;
use std::process::{Command, Output};

use common::bin;

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-imageupdate");

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn script(shell: &str) -> String {
    let out = bin().args(["completion", shell]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

/// Runs bash with the generated script sourced, then `body`.
fn bash(body: &str) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg(format!("source <('{BIN}' completion bash) && {body}"))
        .output()
        .expect("bash runs")
}

#[test]
fn bash_script_registers_for_the_binary() {
    let out = bash("complete -p kubectl-imageupdate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("-F _kubectl__imageupdate"),
        "{}",
        stdout(&out)
    );
}

/// Calls the completion function the way bash does for the words typed.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let cur = words[cword];
    let prev = words[cword - 1];
    let out = bash(&format!(
        "COMP_WORDS=({}); COMP_CWORD={cword}; _kubectl__imageupdate kubectl-imageupdate '{cur}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        quoted.join(" ")
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_subcommands_their_flags_and_values() {
    assert_eq!(bash_complete(&["kubectl-imageupdate", "va"]), ["validate"]);
    assert_eq!(
        bash_complete(&["kubectl-imageupdate", "validate", "--for"]),
        ["--format"]
    );
    let values = bash_complete(&["kubectl-imageupdate", "validate", "--format", ""]);
    assert!(values.contains(&"json".to_owned()), "{values:?}");
    assert!(values.contains(&"human".to_owned()), "{values:?}");
}

#[test]
fn zsh_and_fish_scripts_cover_the_subcommands() {
    let zsh = script("zsh");
    assert!(zsh.starts_with("#compdef kubectl-imageupdate"), "{zsh}");
    assert!(zsh.contains("validate"));
    let fish = script("fish");
    assert!(fish.contains("complete -c kubectl-imageupdate"), "{fish}");
    assert!(fish.contains("validate"));
}

#[test]
fn unknown_shell_is_a_usage_error() {
    let out = bin().args(["completion", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn candidates(words: &[&str]) -> Vec<String> {
    let out = bin().arg("__complete").args(words).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    stdout(&out).lines().map(str::to_owned).collect()
}

#[test]
fn hidden_complete_prints_candidates_and_a_directive() {
    assert_eq!(candidates(&["va"]), ["validate", ":4"]);
    // Global flags before the subcommand are skipped over.
    assert_eq!(candidates(&["-n", "flux-system", "pre"]), ["preview", ":4"]);
    let all = candidates(&[""]);
    assert!(all.contains(&"explain".to_owned()), "{all:?}");
    assert!(
        !all.iter().any(|c| c.starts_with("__")),
        "hidden ones stay hidden: {all:?}"
    );
    assert_eq!(candidates(&["validate", "--str"]), ["--strict", ":4"]);
    assert!(candidates(&["validate", "--"]).contains(&"--context".to_owned()));
    let formats = candidates(&["validate", "--format", "j"]);
    assert_eq!(formats, ["json", ":4"]);
    // A path argument: no candidates, and the shell completes file names.
    assert_eq!(candidates(&["validate", "apps/"]), [":0"]);
}

/// PATH with the plugin and the completion hook (as installed next to it).
fn hook_path() -> (tempfile::TempDir, OsString) {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(BIN, dir.path().join("kubectl-imageupdate")).unwrap();
    std::os::unix::fs::symlink(
        common::project().join("scripts/kubectl_complete-imageupdate"),
        dir.path().join("kubectl_complete-imageupdate"),
    )
    .unwrap();
    let mut dirs = vec![dir.path().to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path = std::env::join_paths(dirs).unwrap();
    (dir, path)
}

#[test]
fn kubectl_complete_hook_prints_candidates() {
    let (_dir, path) = hook_path();
    let out = Command::new("kubectl_complete-imageupdate")
        .arg("va")
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(stdout(&out).lines().next(), Some("validate"));
}

/// What the shell asks kubectl when completing `kubectl imageupdate va<TAB>`.
#[test]
fn real_kubectl_completes_through_the_hook() {
    let (_dir, path) = hook_path();
    let run = |args: &[&str]| {
        let out = Command::new("kubectl")
            .arg("__complete")
            .args(args)
            .env("PATH", &path)
            .env("KUBECONFIG", "/nonexistent/kubeconfig")
            .output()
            .expect("kubectl (>= 1.26) must be on PATH, e.g. /usr/bin/kubectl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout(&out).lines().map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(run(&["imageupdate", "va"]), ["validate", ":4"]);
    assert_eq!(
        run(&["imageupdate", "validate", "--format", "j"]),
        ["json", ":4"]
    );
    // The plugin itself is offered as a kubectl subcommand.
    assert!(run(&["imageup"])[0].starts_with("imageupdate"));
}
