//! Benchmark for `apply` (not a test: nothing is asserted). Generates
//! 10,000 Deployments that each hold one container image, then alternates
//! `validate` on the tree with a full apply (discover, model, plan, verify,
//! atomic write of every file) of one `--set` that edits every file once.
//! Alternating keeps a drifting machine (page cache, other jobs) from
//! favouring one side. The budget is apply under 2x validate; every phase
//! is printed so a miss says where the time went.
//!
//! Run: `cargo bench --bench apply` (`BENCH_FILES` changes the size,
//! `BENCH_ROUNDS` the number of rounds; `TMPDIR` picks the filesystem).

use std::path::Path;
use std::time::{Duration, Instant};

use imageupdate::discover::{self, Options};
use imageupdate::edit::plan::{self, SetRequest};
use imageupdate::edit::write;
use imageupdate::model::Model;

fn generate(root: &Path, files: usize, tag: &str) {
    for i in 0..files {
        let dir = root.join(format!("apps/app-{}", i / 100));
        std::fs::create_dir_all(&dir).expect("create folder");
        std::fs::write(
            dir.join(format!("deploy-{i}.yaml")),
            format!(
                "# app {i} — généré\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\nspec:\n  replicas: 2\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/team/app:{tag} # pinned\n          ports:\n            - containerPort: 8080\n          resources:\n            limits: {{cpu: 500m, memory: 256Mi}}\n"
            ),
        )
        .expect("write file");
    }
}

/// Phase times of one run, each measured from the previous phase's end.
#[derive(Clone, Copy)]
struct Phases<const N: usize>([Duration; N]);

impl<const N: usize> Phases<N> {
    fn total(&self) -> Duration {
        self.0.iter().sum()
    }
}

struct Clock(Instant);

impl Clock {
    fn lap(&mut self) -> Duration {
        let now = Instant::now();
        let lap = now - self.0;
        self.0 = now;
        lap
    }
}

fn validate(root: &Path, files: usize) -> Phases<3> {
    let mut clock = Clock(Instant::now());
    let ws = discover::load(root, &[], &Options::default());
    let load = clock.lap();
    let model = Model::build(&ws);
    let build = clock.lap();
    let diagnostics = imageupdate::check::run(&ws, &model);
    let check = clock.lap();
    assert_eq!(ws.files.len(), files);
    drop(diagnostics);
    Phases([load, build, check])
}

fn apply(root: &Path, tag: &str, files: usize) -> Phases<4> {
    let mut clock = Clock(Instant::now());
    let opts = Options {
        parse_all: true,
        ..Options::default()
    };
    let ws = discover::load(root, &[], &opts);
    let load = clock.lap();
    let model = Model::build(&ws);
    let build = clock.lap();
    let sets = [SetRequest::parse(&format!("registry.example.com/team/app={tag}")).expect("set")];
    let p = plan::plan(&ws, &model, None, &sets).expect("plan");
    let planned = clock.lap();
    write::write_changes(&ws, &p.files).expect("write");
    let written = clock.lap();
    assert_eq!(p.files.len(), files);
    Phases([load, build, planned, written])
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let files = env("BENCH_FILES", 10_000);
    let rounds = env("BENCH_ROUNDS", 5).max(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    generate(root, files, "1.0.0");
    let mut validates = Vec::new();
    let mut applies = Vec::new();
    for round in 0..rounds {
        validates.push(validate(root, files));
        // Alternate the tag so every round edits every file.
        let tag = if round % 2 == 0 { "2.0.0" } else { "1.0.0" };
        applies.push(apply(root, tag, files));
    }
    let best_validate = validates
        .iter()
        .min_by_key(|p| p.total())
        .copied()
        .expect("rounds > 0");
    let best_apply = applies
        .iter()
        .min_by_key(|p| p.total())
        .copied()
        .expect("rounds > 0");
    if std::env::var_os("BENCH_VERBOSE").is_some() {
        for (v, a) in validates.iter().zip(&applies) {
            eprintln!("validate {:?}\napply {:?}", v.0, a.0);
        }
    }
    let [load, build, check] = best_validate.0;
    println!(
        "validate, {files} files: best of {rounds} {} (load {}, model {}, check {})",
        ms(best_validate.total()),
        ms(load),
        ms(build),
        ms(check)
    );
    let [load, build, planned, written] = best_apply.0;
    println!(
        "apply, {files} files with one edit each: best of {rounds} {} (load {}, model {}, plan + verify {}, write {}) = {:.2}x validate",
        ms(best_apply.total()),
        ms(load),
        ms(build),
        ms(planned),
        ms(written),
        best_apply.total().as_secs_f64() / best_validate.total().as_secs_f64()
    );
}
