//! Benchmark for `apply` (not a test: nothing is asserted). Generates
//! 10,000 Deployments that each hold one container image, times
//! `validate` on the tree, then times a full apply (discover, model, plan,
//! verify, atomic write of every file) of one `--set` that edits every
//! file once. The budget is apply under 2x validate.
//!
//! Run: `cargo bench --bench apply` (set `BENCH_FILES` to change the size).

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

fn apply(root: &Path, tag: &str) -> (usize, Duration, Duration) {
    let start = Instant::now();
    let opts = Options {
        parse_all: true,
        ..Options::default()
    };
    let ws = discover::load(root, &[], &opts);
    let model = Model::build(&ws);
    let sets = [SetRequest::parse(&format!("registry.example.com/team/app={tag}")).expect("set")];
    let p = plan::plan(&ws, &model, None, &sets).expect("plan");
    let planned = start.elapsed();
    write::write_changes(root, &p.files).expect("write");
    (p.files.len(), planned, start.elapsed())
}

fn main() {
    let files: usize = std::env::var("BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    generate(root, files, "1.0.0");
    let mut best_validate = Duration::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let (ws, _) = imageupdate::validate(root, &[], &Options::default());
        assert_eq!(ws.files.len(), files);
        best_validate = best_validate.min(start.elapsed());
    }
    println!("validate, {files} files: best of 3 {best_validate:.1?}");
    let mut best = (Duration::MAX, Duration::MAX);
    for round in 0..3 {
        // Alternate the tag so every round edits every file.
        let tag = if round % 2 == 0 { "2.0.0" } else { "1.0.0" };
        let (written, planned, total) = apply(root, tag);
        assert_eq!(written, files);
        best = (best.0.min(planned), best.1.min(total));
    }
    println!(
        "apply, {files} files with one edit each: best of 3 {:.1?} (plan + verify {:.1?}, write {:.1?}) = {:.2}x validate",
        best.1,
        best.0,
        best.1.saturating_sub(best.0),
        best.1.as_secs_f64() / best_validate.as_secs_f64()
    );
}
