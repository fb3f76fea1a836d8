//! `preview` against a real registry: 100 repositories × 1,000 tags on
//! Debian's `docker-registry` (filesystem storage, 127.0.0.1, port picked
//! by the registry), a generated Flux tree with one ImagePolicy and one
//! marked Deployment per repository, and a registries.conf entry for the
//! loopback registry (a configured entry without `limit` is not rate
//! limited, as in Argo; the inferred default of 20 requests/s would make
//! 100 tag lists take 5 s). Times a cold preview (empty cache) and a
//! cached one, prints the numbers and the request counts. Timings are
//! printed, never asserted.
//!
//! Run: `cargo bench --bench registry` (release build of the binary).

#[path = "../tests/registry/harness.rs"]
mod harness;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use harness::{Auth, Registry, SeedTag, Storage, seed};

const REPOS: usize = 100;
const TAGS: usize = 1000;
const RUNS: usize = 5;

fn tag(i: usize) -> String {
    format!("1.{}.{}", i / 100, i % 100)
}

/// Writes tags 1..TAGS of `repo` as link files next to tag 0 (the
/// registry reads tags from disk on every request).
fn write_links(root: &Path, repo: &str, digest: &str) {
    let tags_dir = root.join(format!(
        "docker/registry/v2/repositories/{repo}/_manifests/tags"
    ));
    let hex = digest.trim_start_matches("sha256:");
    for i in 1..TAGS {
        let t = tags_dir.join(tag(i));
        for sub in ["current".to_owned(), format!("index/sha256/{hex}")] {
            let dir = t.join(sub);
            std::fs::create_dir_all(&dir).expect("tag dir");
            std::fs::write(dir.join("link"), digest).expect("tag link");
        }
    }
}

fn tree(root: &Path, addr: &str) {
    let mut policies = String::new();
    for r in 0..REPOS {
        policies.push_str(&format!(
            "---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app{r}\n  namespace: flux-system\nspec:\n  image: {addr}/bench/app{r}\n  interval: 5m\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app{r}\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: app{r}\n  policy:\n    semver:\n      range: '>=1.0.0 <1.9.0'\n"
        ));
        let deploy = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{r}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: {addr}/bench/app{r}:1.0.0 # {{\"$imagepolicy\": \"flux-system:app{r}\"}}\n"
        );
        let dir = root.join("apps");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("app{r}.yaml")), deploy).unwrap();
    }
    let dir = root.join("clusters");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("policies.yaml"), policies).unwrap();
}

struct Timed {
    elapsed: Duration,
    stderr: String,
    updates: usize,
}

fn preview(home: &Path, root: &Path, conf: &Path, args: &[&str]) -> Timed {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_kubectl-imageupdate"))
        .env("HOME", home)
        .env_remove("DOCKER_CONFIG")
        .env_remove("XDG_CACHE_HOME")
        .arg("preview")
        .arg("--root")
        .arg(root)
        .args(["-o", "json", "--registries-conf"])
        .arg(conf)
        .args(args)
        .output()
        .expect("binary runs");
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let updates = v["updates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| {
            u["candidate"]
                .as_str()
                .is_some_and(|c| c.ends_with(":1.8.99"))
        })
        .count();
    Timed {
        elapsed,
        stderr,
        updates,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{name:<24} median {:>8.1} ms   min {:>8.1} ms   max {:>8.1} ms   ({} runs)",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        times.len()
    );
}

fn main() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let storage = tmp.path().join("storage");
    let reg = Registry::start(
        &tmp.path().join("reg"),
        Auth::None,
        Storage::Filesystem(storage.clone()),
    );
    let t0 = Instant::now();
    let repos: BTreeMap<String, Vec<SeedTag>> = (0..REPOS)
        .map(|r| {
            (
                format!("bench/app{r}"),
                vec![SeedTag::new(&tag(0)).created("2024-01-01T00:00:00Z")],
            )
        })
        .collect();
    let digests = seed(&tmp.path().join("seed"), &reg.addr, &repos, None);
    for (repo, tags) in &digests {
        write_links(&storage, repo, &tags[&tag(0)]);
    }
    println!(
        "seeded {REPOS} repositories x {TAGS} tags in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    let root = tmp.path().join("tree");
    tree(&root, &reg.addr);
    let conf = tmp.path().join("registries.conf");
    std::fs::write(
        &conf,
        format!(
            "registries:\n- name: bench\n  prefix: {}\n  api_url: http://{}\n",
            reg.addr, reg.addr
        ),
    )
    .unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();

    // Request counts, from -v.
    let counted = preview(&home, &root, &conf, &["--no-cache", "-v"]);
    let count_line = counted
        .stderr
        .lines()
        .find(|l| l.starts_with("registry: ") && l.ends_with("retries"))
        .unwrap_or("registry: ? requests")
        .to_owned();
    assert_eq!(counted.updates, REPOS, "every policy selects 1.8.99");

    let mut cold = Vec::new();
    let mut cached = Vec::new();
    for i in 0..RUNS {
        let cache = tmp.path().join(format!("cache{i}"));
        let c = cache.to_str().unwrap();
        cold.push(preview(&home, &root, &conf, &["--cache-dir", c]).elapsed);
        cached.push(preview(&home, &root, &conf, &["--cache-dir", c]).elapsed);
    }
    let no_cache: Vec<Duration> = (0..RUNS)
        .map(|_| preview(&home, &root, &conf, &["--no-cache"]).elapsed)
        .collect();
    let cached_counted = preview(
        &home,
        &root,
        &conf,
        &[
            "--cache-dir",
            tmp.path().join("cache0").to_str().unwrap(),
            "-v",
        ],
    );
    let cached_line = cached_counted
        .stderr
        .lines()
        .find(|l| l.starts_with("registry: ") && l.ends_with("retries"))
        .unwrap_or("?")
        .to_owned();

    println!("preview of {REPOS} Flux policies, {REPOS} repositories x {TAGS} tags:");
    summary("cold (empty cache)", cold);
    summary("cold (--no-cache)", no_cache);
    summary("cached", cached);
    println!("cold run:   {count_line}");
    println!("cached run: {cached_line}");
}
