//! Benchmark for `validate` (not a test: nothing is asserted). Generates a
//! synthetic GitOps repository of 10,000 manifests (Deployments with Flux
//! markers, kustomizations, HelmReleases, Argo Applications, Flux policies)
//! and reports files/s and MB/s for a full run, plus the latency of a
//! pre-commit style run on 5 named files.
//!
//! Run: `cargo bench --bench validate` (set `BENCH_FILES` to change the size).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use imageupdate::discover::Options;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("generated paths have parents"))
        .expect("create folder");
    std::fs::write(path, text).expect("write file");
}

/// Returns the repository root and the total bytes written.
fn generate(root: &Path, files: usize) -> u64 {
    let apps = files / 4;
    let mut bytes = 0u64;
    let mut put = |rel: String, text: String| {
        bytes += text.len() as u64;
        write(&root.join(rel), &text);
    };
    put(
        "clusters/prod/automation.yaml".into(),
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 5m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  git:\n    checkout:\n      ref:\n        branch: main\n    commit:\n      author:\n        email: bot@example.com\n        name: bot\n      messageTemplate: '{{range $f, $_ := .Changed.FileChanges}}{{$f}} {{end}}'\n  update:\n    path: ./apps\n    strategy: Setters\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://example.com/repo.git\n  ref:\n    branch: main\n".into(),
    );
    for i in 0..apps {
        put(
            format!("clusters/prod/policies/app-{i}.yaml"),
            format!(
                "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app-{i}\n  namespace: flux-system\nspec:\n  image: registry.example.com/team/app-{i}\n  interval: 5m\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app-{i}\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: app-{i}\n  policy:\n    semver:\n      range: '>=1.0.0 <2.0.0'\n"
            ),
        );
        put(
            format!("apps/app-{i}/deployment.yaml"),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  labels:\n    app: app-{i}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: app-{i}\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n    spec:\n      initContainers:\n        - name: migrate\n          image: registry.example.com/team/app-{i}:1.2.{i} # {{\"$imagepolicy\": \"flux-system:app-{i}\"}}\n      containers:\n        - name: app\n          image: \"registry.example.com/team/app-{i}:1.2.{i}\" # {{\"$imagepolicy\": \"flux-system:app-{i}\"}}\n          ports:\n            - containerPort: 8080\n          env:\n            - name: MESSAGE\n              value: héllo wörld\n          resources:\n            limits: {{cpu: 500m, memory: 256Mi}}\n"
            ),
        );
        put(
            format!("apps/app-{i}/kustomization.yaml"),
            format!(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\nimages:\n  - name: registry.example.com/team/app-{i}\n    newTag: 1.2.{i} # {{\"$imagepolicy\": \"flux-system:app-{i}:tag\"}}\n"
            ),
        );
        put(
            format!("argo/app-{i}.yaml"),
            format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: app-{i}\n  namespace: argocd\n  annotations:\n    argocd-image-updater.argoproj.io/image-list: web=registry.example.com/team/app-{i}:~1.2\n    argocd-image-updater.argoproj.io/web.update-strategy: semver\n    argocd-image-updater.argoproj.io/web.allow-tags: regexp:^1\\.\n    argocd-image-updater.argoproj.io/write-back-method: git\nspec:\n  project: default\n  source:\n    repoURL: https://example.com/repo.git\n    path: apps/app-{i}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: app-{i}\n"
            ),
        );
    }
    bytes
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = f();
        best = best.min(start.elapsed());
        last = Some(out);
    }
    (best, last.expect("runs > 0"))
}

fn main() {
    let files: usize = std::env::var("BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_path_buf();
    let start = Instant::now();
    let bytes = generate(&root, files);
    eprintln!(
        "generated {files} files, {:.1} MB in {:.2?}",
        bytes as f64 / 1e6,
        start.elapsed()
    );
    let opts = Options::default();

    let (full, (ws, diags)) = time(5, || imageupdate::validate(&root, &[], &opts));
    let n = ws.files.len();
    println!(
        "full repository: {n} files, {:.1} MB: best of 5 {:.1?} = {:.0} files/s, {:.1} MB/s ({} findings)",
        bytes as f64 / 1e6,
        full,
        n as f64 / full.as_secs_f64(),
        bytes as f64 / 1e6 / full.as_secs_f64(),
        diags.len()
    );

    let five: Vec<PathBuf> = (0..5)
        .map(|i| root.join(format!("apps/app-{i}/deployment.yaml")))
        .collect();
    let (pre, (_, diags)) = time(10, || imageupdate::validate(&root, &five, &opts));
    println!(
        "pre-commit, 5 named files in the {n}-file repository: best of 10 {pre:.1?} ({} findings)",
        diags.len()
    );

    let small = tempfile::tempdir().expect("temp dir");
    generate(small.path(), 40);
    let five: Vec<PathBuf> = (0..5)
        .map(|i| small.path().join(format!("apps/app-{i}/deployment.yaml")))
        .collect();
    let (pre, _) = time(20, || imageupdate::validate(small.path(), &five, &opts));
    println!("pre-commit, 5 named files in a 40-file repository: best of 20 {pre:.1?}");
}
