//! `preview` against a real registry on loopback: Debian's
//! `docker-registry` (CNCF distribution 2.8.2) started by each test on
//! 127.0.0.1 with a port it picks, seeded over HTTP, optionally behind the
//! page/fault proxy and with htpasswd or token auth (see
//! tests/registry/harness.rs and tests/support/registry). Proves: tag
//! listing, sorting and `Link` pagination; platforms and `created` from
//! indexes and configs; that plain semver fetches no manifest; every
//! credential source; the bearer flow; retries, timeouts and failures
//! that leave other repositories previewed; the disk cache; that no
//! credential or token is ever printed or cached; and that preview over
//! the example repositories gives the same answers as `--tags-from`.

mod common;
#[path = "registry/harness.rs"]
mod harness;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine;
use common::{bin, testdata, write};
use harness::{Auth, Proxy, Registry, SeedTag, Storage, TokenServer, seed, support};
use imageupdate::registry::cache::Mode;
use imageupdate::registry::{Options, RegistrySource};
use imageupdate::resolve::tags::TagsFile;
use imageupdate::resolve::{Need, SourceError, TagInfo, TagSource};

const PASSWORD: &str = "s3cret";
/// base64("alice:s3cret").
const AUTH_B64: &str = "YWxpY2U6czNjcmV0";
const BASIC: &str = "Basic YWxpY2U6czNjcmV0";

/// A scratch world for one test: HOME, XDG cache and a cache dir inside.
struct World {
    tmp: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        World {
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn home(&self) -> PathBuf {
        let h = self.path("home");
        std::fs::create_dir_all(&h).unwrap();
        h
    }

    fn cache(&self) -> PathBuf {
        self.path("cache")
    }

    /// `preview --root ROOT -o json <args>` with an isolated HOME.
    fn preview(&self, root: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = bin();
        cmd.env("HOME", self.home())
            .env("XDG_CACHE_HOME", self.path("xdg"))
            .env_remove("DOCKER_CONFIG")
            .arg("preview")
            .arg("--root")
            .arg(root)
            .args(["-o", "json"])
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let out = cmd.output().expect("binary runs");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: started.elapsed(),
        }
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Run {
    fn updates(&self) -> Vec<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr));
        v["updates"].as_array().unwrap().clone()
    }

    /// policy → candidate (or `reason: …`).
    fn answers(&self) -> BTreeMap<String, String> {
        self.updates()
            .iter()
            .map(|u| {
                let answer = match u["candidate"].as_str() {
                    Some(c) => c.to_owned(),
                    None => format!("reason: {}", u["reason"].as_str().unwrap_or("")),
                };
                (u["policy"].as_str().unwrap().to_owned(), answer)
            })
            .collect()
    }

    fn answer(&self, policy_prefix: &str) -> String {
        let all = self.answers();
        let hits: Vec<&String> = all
            .iter()
            .filter(|(p, _)| p.starts_with(policy_prefix))
            .map(|(_, a)| a)
            .collect();
        assert_eq!(hits.len(), 1, "{policy_prefix}: {all:#?}\n{}", self.stderr);
        hits[0].clone()
    }

    #[track_caller]
    fn assert_code(&self, code: i32) {
        assert_eq!(
            self.code,
            Some(code),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
    }

    #[track_caller]
    fn assert_no_secrets(&self) {
        for text in [&self.stdout, &self.stderr] {
            for secret in [PASSWORD, AUTH_B64, "eyJ"] {
                assert!(!text.contains(secret), "{secret:?} printed:\n{text}");
            }
        }
    }
}

/// An Argo CD Application with `image-list` and per-alias annotations.
fn argo_app(root: &Path, name: &str, images: &[(&str, &str)], annotations: &[(&str, &str)]) {
    let list: Vec<String> = images.iter().map(|(a, i)| format!("{a}={i}")).collect();
    let mut text = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\n  annotations:\n    argocd-image-updater.argoproj.io/image-list: {}\n",
        list.join(",")
    );
    for (k, v) in annotations {
        text.push_str(&format!(
            "    argocd-image-updater.argoproj.io/{k}: '{v}'\n"
        ));
    }
    text.push_str("spec:\n  project: default\n");
    write(root, &format!("apps/{name}.yaml"), &text);
}

/// A Flux ImageRepository + semver ImagePolicy `app` and a marked Deployment.
fn flux_app(root: &Path, image: &str, range: &str) {
    flux_app_with(root, image, range, "", "");
}

/// [`flux_app`] with extra ImagePolicy spec lines and a marker suffix.
fn flux_app_with(root: &Path, image: &str, range: &str, spec_extra: &str, suffix: &str) {
    write(
        root,
        "clusters/policies.yaml",
        &format!(
            "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  image: {image}\n  interval: 5m\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: app\n  policy:\n    semver:\n      range: '{range}'\n{spec_extra}"
        ),
    );
    write(
        root,
        "apps/deploy.yaml",
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: {image}:0.0.1 # {{\"$imagepolicy\": \"flux-system:app{suffix}\"}}\n"
        ),
    );
}

fn tags(list: &[(&str, &str)]) -> Vec<SeedTag> {
    list.iter()
        .map(|(t, created)| SeedTag::new(t).created(created))
        .collect()
}

fn repos(entries: Vec<(&str, Vec<SeedTag>)>) -> BTreeMap<String, Vec<SeedTag>> {
    entries
        .into_iter()
        .map(|(r, t)| (r.to_owned(), t))
        .collect()
}

fn source(cache: Mode) -> RegistrySource {
    RegistrySource::new(Options {
        cache_mode: cache,
        ..Options::default()
    })
    .expect("source")
}

fn names(tags: &[TagInfo]) -> Vec<&str> {
    tags.iter().map(|t| t.tag.as_str()).collect()
}

fn count(requests: &[String], needle: &str) -> usize {
    requests.iter().filter(|r| r.contains(needle)).count()
}

/// Every file under `dir`, concatenated (to grep the cache).
fn read_all(dir: &Path) -> String {
    let mut out = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
    }
    out
}

#[track_caller]
fn assert_cache_clean(dir: &Path) {
    let all = read_all(dir);
    assert!(!all.is_empty(), "the cache at {} is empty", dir.display());
    for secret in [PASSWORD, AUTH_B64, "eyJ", "Bearer", "Basic"] {
        assert!(!all.contains(secret), "{secret:?} in the cache");
    }
}

#[test]
fn semver_lists_each_repository_once_and_fetches_no_manifest() {
    let w = World::new();
    let reg = Registry::start(&w.path("reg"), Auth::None, Storage::Memory);
    let proxy = Proxy::start(&w.path("proxy"), &reg.addr, 0);
    let seeded = tags(&[
        ("1.2.0", "2024-03-01T00:00:00Z"),
        ("1.10.0", "2024-02-01T00:00:00Z"),
        ("latest", "2024-04-01T00:00:00Z"),
        ("1.0.0", "2024-01-01T00:00:00Z"),
        ("2.0.0-rc.1", "2024-05-01T00:00:00Z"),
    ]);
    seed(
        &w.path("seed"),
        &reg.addr,
        &repos(vec![("team/app", seeded)]),
        None,
    );
    let image = format!("{}/team/app", proxy.addr);

    // The source sorts what 2.8 lists in storage order.
    let src = source(Mode::Off);
    assert_eq!(
        names(&src.tags(&image).unwrap()),
        ["1.0.0", "1.10.0", "1.2.0", "2.0.0-rc.1", "latest"]
    );
    proxy.clear_requests();

    let root = w.path("tree");
    flux_app(&root, &image, "1.x");
    argo_app(
        &root,
        "demo",
        &[("a", &format!("{image}:1.x")), ("b", &image)],
        &[("b.update-strategy", "alphabetical")],
    );
    let run = w.preview(&root, &["--no-cache"], &[]);
    run.assert_code(0);
    assert_eq!(run.answer("flux-system/app"), format!("{image}:1.10.0"));
    assert_eq!(run.answer("demo a"), "1.10.0");
    assert_eq!(run.answer("demo b"), "latest");
    let requests = proxy.requests();
    assert_eq!(count(&requests, "/tags/list"), 1, "{requests:#?}");
    assert_eq!(count(&requests, "/manifests/"), 0, "{requests:#?}");
    assert_eq!(count(&requests, "/blobs/"), 0, "{requests:#?}");
    // No progress bar when stderr is not a terminal.
    assert!(!run.stderr.contains("listing tags"), "{}", run.stderr);

    // -v logs each request: method, URL, status.
    let run = w.preview(&root, &["--no-cache", "-v"], &[]);
    run.assert_code(0);
    let logged = format!(
        "GET http://{}/v2/team/app/tags/list?n=1000 -> 200",
        proxy.addr
    );
    assert!(run.stderr.contains(&logged), "{}", run.stderr);
    assert!(!run.stderr.contains("/manifests/"), "{}", run.stderr);
}

#[test]
fn flux_digest_reflection_heads_the_selected_tag_only() {
    let w = World::new();
    let reg = Registry::start(&w.path("reg"), Auth::None, Storage::Memory);
    let proxy = Proxy::start(&w.path("proxy"), &reg.addr, 0);
    let seeded = vec![
        SeedTag::new("1.0.0"),
        SeedTag::new("1.1.0").platforms(&["linux/amd64", "linux/arm64/v8"]),
        SeedTag::new("2.0.0"),
    ];
    let digests = seed(
        &w.path("seed"),
        &reg.addr,
        &repos(vec![("team/app", seeded)]),
        None,
    );
    let image = format!("{}/team/app", proxy.addr);
    let root = w.path("tree");
    flux_app_with(
        &root,
        &image,
        "1.x",
        // The CRD's CEL rule: Always needs an interval.
        "  digestReflectionPolicy: Always\n  interval: 10m\n",
        ":digest",
    );
    let run = w.preview(&root, &["--no-cache"], &[]);
    run.assert_code(0);
    // The index digest, as Flux records it.
    assert_eq!(run.answer("flux-system/app"), digests["team/app"]["1.1.0"]);
    let requests = proxy.requests();
    assert_eq!(
        count(&requests, "HEAD /v2/team/app/manifests/1.1.0"),
        1,
        "{requests:#?}"
    );
    assert_eq!(count(&requests, "/manifests/"), 1, "{requests:#?}");
    assert_eq!(count(&requests, "/blobs/"), 0, "{requests:#?}");
}

#[test]
fn link_pagination_is_followed_and_a_self_link_is_an_error() {
    let w = World::new();
    let reg = Registry::start(&w.path("reg"), Auth::None, Storage::Memory);
    let proxy = Proxy::start(&w.path("proxy"), &reg.addr, 2);
    let all = [
        "1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "2.0.0", "latest",
    ];
    let seeded: Vec<SeedTag> = all.iter().map(|t| SeedTag::new(t)).collect();
    seed(
        &w.path("seed"),
        &reg.addr,
        &repos(vec![("team/app", seeded)]),
        None,
    );
    let image = format!("{}/team/app", proxy.addr);

    let got = source(Mode::Off).tags(&image).unwrap();
    assert_eq!(names(&got), all);
    let requests = proxy.requests();
    let pages: Vec<&String> = requests
        .iter()
        .filter(|r| r.contains("/tags/list"))
        .collect();
    assert_eq!(pages.len(), 4, "{requests:#?}");
    assert!(pages[1].contains("last=1.1.0"), "{pages:?}");

    // A Link that points at the page itself: a clear error, not a loop.
    proxy.set_faults(&[("team/app", "self-link")]);
    let err = source(Mode::Off).tags(&image).unwrap_err();
    let SourceError::Failed(msg) = err else {
        panic!("{err:?}")
    };
    assert!(msg.contains("pagination loop"), "{msg}");
    assert!(msg.contains(&format!("registry {}", proxy.addr)), "{msg}");
    assert!(msg.contains("repository team/app"), "{msg}");

    let root = w.path("tree");
    argo_app(&root, "demo", &[("a", &format!("{image}:1.x"))], &[]);
    let run = w.preview(&root, &["--no-cache"], &[]);
    run.assert_code(2);
    assert!(run.stderr.contains("error: registry"), "{}", run.stderr);
    assert!(run.stderr.contains("pagination loop"), "{}", run.stderr);
}

#[test]
fn platforms_and_created_come_from_indexes_and_configs() {
    let w = World::new();
    let reg = Registry::start(&w.path("reg"), Auth::None, Storage::Memory);
    let proxy = Proxy::start(&w.path("proxy"), &reg.addr, 0);
    let mut docker_list = SeedTag::new("1.2")
        .created("2024-03-01T00:00:00Z")
        .platforms(&["linux/amd64"]);
    docker_list.docker = true;
    let multi = vec![
        SeedTag::new("1.0")
            .created("2024-01-01T00:00:00Z")
            .platforms(&["linux/amd64", "linux/arm64/v8"]),
        SeedTag::new("1.1")
            .created("2024-06-01T00:00:00Z")
            .platforms(&["linux/arm64/v8"]),
        docker_list,
        SeedTag::new("1.3").created("2023-01-01T00:00:00Z"),
    ];
    let digests = seed(
        &w.path("seed"),
        &reg.addr,
        &repos(vec![("team/multi", multi)]),
        None,
    );
    let image = format!("{}/team/multi", proxy.addr);

    let need = Need {
        platforms: true,
        ..Need::default()
    };
    let got = source(Mode::Off).tags_with(&image, &need).unwrap();
    let plats: Vec<String> = got[0].platforms.iter().map(ToString::to_string).collect();
    assert_eq!(plats, ["linux/amd64", "linux/arm64/v8"]);
    let plats: Vec<String> = got[3].platforms.iter().map(ToString::to_string).collect();
    assert_eq!(
        plats,
        ["linux/amd64"],
        "a single manifest's platform is its config's"
    );
    assert_eq!(
        got[0].digest.as_deref(),
        Some(digests["team/multi"]["1.0"].as_str())
    );

    let root = w.path("tree");
    argo_app(
        &root,
        "demo",
        &[
            ("amd", &image),
            ("arm", &image),
            ("armv7", &image),
            ("pin", &format!("{image}:1.1")),
            ("pinarm", &format!("{image}:1.1")),
        ],
        &[
            ("amd.update-strategy", "newest-build"),
            ("arm.update-strategy", "newest-build"),
            ("arm.platforms", "linux/arm64"),
            ("armv7.update-strategy", "newest-build"),
            ("armv7.platforms", "linux/arm/v7"),
            ("pin.update-strategy", "digest"),
            ("pinarm.update-strategy", "digest"),
            ("pinarm.platforms", "linux/arm64"),
        ],
    );
    let run = w.preview(&root, &["--no-cache"], &[]);
    run.assert_code(0);
    // linux/amd64 (the default): 1.0, 1.2 (a Docker list) and 1.3; newest 1.2.
    assert_eq!(run.answer("demo amd:"), "1.2");
    // linux/arm64 accepts arm64/v8: 1.0 and 1.1; newest 1.1.
    assert_eq!(run.answer("demo arm:"), "1.1");
    assert_eq!(run.answer("demo armv7"), "reason: no tag qualifies");
    // digest: 1.1 is arm64 only.
    assert_eq!(run.answer("demo pin:"), "reason: no tag qualifies");
    assert_eq!(
        run.answer("demo pinarm"),
        format!("1.1@{}", digests["team/multi"]["1.1"])
    );
}

#[test]
fn newest_build_reads_configs_only_for_allowed_tags() {
    let w = World::new();
    let reg = Registry::start(&w.path("reg"), Auth::None, Storage::Memory);
    let proxy = Proxy::start(&w.path("proxy"), &reg.addr, 0);
    let seeded = tags(&[
        ("build-a", "2024-01-01T00:00:00Z"),
        ("build-b", "2025-06-01T00:00:00Z"),
        ("build-c", "2024-12-01T10:00:00.5+02:00"),
    ]);
    seed(
        &w.path("seed"),
        &reg.addr,
        &repos(vec![("team/builds", seeded)]),
        None,
    );
    let image = format!("{}/team/builds", proxy.addr);
    let root = w.path("tree");
    argo_app(
        &root,
        "demo",
        &[("all", &image), ("ac", &image)],
        &[
            ("all.update-strategy", "newest-build"),
            ("ac.update-strategy", "newest-build"),
            ("ac.allow-tags", "regexp:^build-[ac]$"),
        ],
    );
    let run = w.preview(&root, &["--no-cache"], &[]);
    run.assert_code(0);
    assert_eq!(run.answer("demo all"), "build-b");
    assert_eq!(run.answer("demo ac"), "build-c");
    let requests = proxy.requests();
    assert_eq!(count(&requests, "/tags/list"), 1, "{requests:#?}");
    // Three tag manifests (each once, though two targets ask) and three configs.
    assert_eq!(count(&requests, "/manifests/build-"), 3, "{requests:#?}");
    assert_eq!(count(&requests, "/blobs/"), 3, "{requests:#?}");

    // Only the allowed tags are described when no other target needs more.
    argo_app(
        &root,
        "demo",
        &[("ac", &image)],
        &[
            ("ac.update-strategy", "newest-build"),
            ("ac.allow-tags", "regexp:^build-[ac]$"),
        ],
    );
    proxy.clear_requests();
    let run = w.preview(&root, &["--no-cache"], &[]);
    run.assert_code(0);
    let requests = proxy.requests();
    assert_eq!(count(&requests, "/manifests/build-b"), 0, "{requests:#?}");
    assert_eq!(count(&requests, "/manifests/build-"), 2, "{requests:#?}");
}

/// An htpasswd registry seeded with one repository; the tree previews it.
fn basic_registry(w: &World) -> (Registry, PathBuf, String) {
    let reg = Registry::start(
        &w.path("reg"),
        Auth::Htpasswd(support().join("htpasswd")),
        Storage::Memory,
    );
    seed(
        &w.path("seed"),
        &reg.addr,
        &repos(vec![(
            "team/app",
            tags(&[
                ("1.0.0", "2024-01-01T00:00:00Z"),
                ("1.1.0", "2024-02-01T00:00:00Z"),
            ]),
        )]),
        Some(BASIC),
    );
    let image = format!("{}/team/app", reg.addr);
    let root = w.path("tree");
    argo_app(
        &root,
        "demo",
        &[("a", &format!("{image}:1.x")), ("n", &image)],
        &[("n.update-strategy", "newest-build")],
    );
    (reg, root, image)
}

#[test]
fn basic_auth_from_every_credential_source() {
    let w = World::new();
    let (reg, root, _) = basic_registry(&w);
    let cache = w.cache();
    let cache_arg = cache.to_str().unwrap();
    let ok = |run: &Run| {
        run.assert_code(0);
        assert_eq!(run.answer("demo a"), "1.1.0");
        assert_eq!(run.answer("demo n"), "1.1.0");
        run.assert_no_secrets();
    };

    // No credentials: 401, named with registry and repository.
    let run = w.preview(&root, &["--no-cache", "-v"], &[]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(&format!(
            "error: registry {}, repository team/app: GET http://{}/v2/team/app/tags/list?n=1000: HTTP 401 Unauthorized",
            reg.addr, reg.addr
        )),
        "{}",
        run.stderr
    );

    // $DOCKER_CONFIG/config.json with `auths` (base64 `auth`).
    let dc = w.path("dockercfg");
    write(
        &dc,
        "config.json",
        &format!(
            r#"{{"auths": {{"http://{}": {{"auth": "{AUTH_B64}"}}}}}}"#,
            reg.addr
        ),
    );
    let run = w.preview(
        &root,
        &["--cache-dir", cache_arg, "-v"],
        &[("DOCKER_CONFIG", dc.to_str().unwrap())],
    );
    ok(&run);
    assert_cache_clean(&cache);

    // ~/.docker/config.json (the default location).
    write(
        &w.home(),
        ".docker/config.json",
        &format!(
            r#"{{"auths": {{"{}": {{"username": "alice", "password": "{PASSWORD}"}}}}}}"#,
            reg.addr
        ),
    );
    ok(&w.preview(&root, &["--no-cache", "-v"], &[]));
    std::fs::remove_file(w.home().join(".docker/config.json")).unwrap();

    // --docker-config FILE with a credHelpers entry served by a helper.
    let bin_dir = w.path("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let helper = bin_dir.join("docker-credential-test");
    std::fs::copy(support().join("docker-credential-test"), &helper).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let store = w.path("helper-store.json");
    std::fs::write(
        &store,
        format!(
            r#"{{"{}": {{"Username": "alice", "Secret": "{PASSWORD}"}}}}"#,
            reg.addr
        ),
    )
    .unwrap();
    let cfg = w.path("helper-config.json");
    std::fs::write(
        &cfg,
        format!(
            r#"{{"auths": {{}}, "credHelpers": {{"{}": "test"}}}}"#,
            reg.addr
        ),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = w.preview(
        &root,
        &["--no-cache", "-v", "--docker-config", cfg.to_str().unwrap()],
        &[
            ("PATH", &path),
            ("DOCKER_CREDENTIAL_TEST_FILE", store.to_str().unwrap()),
        ],
    );
    ok(&run);
    let calls = std::fs::read_to_string(w.path("helper-store.json.calls")).unwrap();
    assert_eq!(calls.lines().next(), Some(reg.addr.as_str()), "{calls}");

    // --pull-secret: a kubernetes.io/dockerconfigjson Secret manifest.
    let inner = format!(r#"{{"auths":{{"{}":{{"auth":"{AUTH_B64}"}}}}}}"#, reg.addr);
    let secret = w.path("secret.yaml");
    std::fs::write(
        &secret,
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: pull\n  namespace: argocd\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {}\n",
            base64::engine::general_purpose::STANDARD.encode(inner)
        ),
    )
    .unwrap();
    ok(&w.preview(
        &root,
        &[
            "--no-cache",
            "-v",
            "--pull-secret",
            secret.to_str().unwrap(),
        ],
        &[],
    ));

    // registries.conf `credentials: env:VAR`.
    let conf = w.path("registries.conf");
    std::fs::write(
        &conf,
        format!(
            "registries:\n- name: test\n  prefix: {}\n  api_url: http://{}\n  credentials: env:REG_CREDS\n",
            reg.addr, reg.addr
        ),
    )
    .unwrap();
    let run = w.preview(
        &root,
        &[
            "--no-cache",
            "-v",
            "--registries-conf",
            conf.to_str().unwrap(),
        ],
        &[("REG_CREDS", "alice:s3cret")],
    );
    ok(&run);

    // A wrong password: 401 again, and still nothing secret printed.
    let run = w.preview(
        &root,
        &[
            "--no-cache",
            "-v",
            "--registries-conf",
            conf.to_str().unwrap(),
        ],
        &[("REG_CREDS", "alice:wrong")],
    );
    run.assert_code(2);
    assert!(run.stderr.contains("HTTP 401"), "{}", run.stderr);
    assert!(!run.stderr.contains("wrong"), "{}", run.stderr);
}

#[test]
fn bearer_token_flow_anonymous_and_with_credentials() {
    let w = World::new();
    let ts = TokenServer::start(&w.path("token"), Some("alice:s3cret"));
    let reg = Registry::start(
        &w.path("reg"),
        Auth::Token {
            realm: ts.url.clone(),
            service: harness::SERVICE.into(),
            issuer: harness::ISSUER.into(),
            cert: ts.cert.clone(),
        },
        Storage::Memory,
    );
    let push = ts.push_token(&["team/app"], Some(BASIC));
    seed(
        &w.path("seed"),
        &reg.addr,
        &repos(vec![(
            "team/app",
            tags(&[
                ("1.0.0", "2024-01-01T00:00:00Z"),
                ("1.1.0", "2024-02-01T00:00:00Z"),
            ]),
        )]),
        Some(&format!("Bearer {push}")),
    );
    let image = format!("{}/team/app", reg.addr);
    let root = w.path("tree");
    argo_app(
        &root,
        "demo",
        &[("a", &format!("{image}:1.x")), ("n", &image)],
        &[("n.update-strategy", "newest-build")],
    );
    let cache = w.cache();

    // Anonymous token.
    std::fs::write(&ts.requests, "").unwrap();
    let run = w.preview(&root, &["-v", "--cache-dir", cache.to_str().unwrap()], &[]);
    run.assert_code(0);
    assert_eq!(run.answer("demo a"), "1.1.0");
    assert_eq!(run.answer("demo n"), "1.1.0");
    run.assert_no_secrets();
    let asked = ts.requests();
    assert!(
        asked
            .iter()
            .any(|l| l == "anonymous repository:team/app:pull"),
        "{asked:?}"
    );
    // One token serves every request of the run (it is cached in memory).
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_cache_clean(&cache);

    // With basic credentials sent to the token server.
    let dc = w.path("dockercfg");
    write(
        &dc,
        "config.json",
        &format!(
            r#"{{"auths": {{"{}": {{"auth": "{AUTH_B64}"}}}}}}"#,
            reg.addr
        ),
    );
    std::fs::write(&ts.requests, "").unwrap();
    let run = w.preview(
        &root,
        &["-v", "--no-cache"],
        &[("DOCKER_CONFIG", dc.to_str().unwrap())],
    );
    run.assert_code(0);
    run.assert_no_secrets();
    assert_eq!(
        ts.requests(),
        ["alice repository:team/app:pull"],
        "{}",
        run.stderr
    );

    // Wrong credentials: the token server says 401; a clear error.
    write(
        &dc,
        "config.json",
        &format!(
            r#"{{"auths": {{"{}": {{"username": "alice", "password": "nope"}}}}}}"#,
            reg.addr
        ),
    );
    let run = w.preview(
        &root,
        &["-v", "--no-cache"],
        &[("DOCKER_CONFIG", dc.to_str().unwrap())],
    );
    run.assert_code(2);
    assert!(
        run.stderr.contains("token request to http://127.0.0.1:")
            && run.stderr.contains("HTTP 401")
            && run.stderr.contains("the credentials were rejected"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("nope"), "{}", run.stderr);
}

#[test]
fn faults_are_retried_or_reported_and_other_repositories_go_on() {
    let w = World::new();
    let reg = Registry::start(&w.path("reg"), Auth::None, Storage::Memory);
    let proxy = Proxy::start(&w.path("proxy"), &reg.addr, 0);
    let names = ["ok", "r429", "rdate", "r500", "rslow", "rdown", "rtrunc"];
    let seeded = repos(
        names
            .iter()
            .map(|n| (*n, tags(&[("1.0.0", "2024-01-01T00:00:00Z")])))
            .collect(),
    );
    seed(&w.path("seed"), &reg.addr, &seeded, None);
    proxy.set_faults(&[
        ("r429", "429-once"),
        ("rdate", "429-date-once"),
        ("r500", "500-twice"),
        ("rslow", "slow:8"),
        ("rdown", "500-always"),
        ("rtrunc", "truncated"),
    ]);
    let root = w.path("tree");
    let images: Vec<(String, String)> = names
        .iter()
        .map(|n| ((*n).to_owned(), format!("{}/{n}:1.x", proxy.addr)))
        .collect();
    let pairs: Vec<(&str, &str)> = images
        .iter()
        .map(|(a, i)| (a.as_str(), i.as_str()))
        .collect();
    argo_app(&root, "demo", &pairs, &[]);
    let run = w.preview(
        &root,
        &["--no-cache", "-v", "--timeout", "2s", "--retries", "2"],
        &[],
    );
    run.assert_code(2);
    // Recovered after retries.
    assert_eq!(run.answer("demo ok"), "1.0.0");
    assert_eq!(run.answer("demo r429"), "1.0.0");
    assert_eq!(run.answer("demo rdate"), "1.0.0");
    assert_eq!(run.answer("demo r500"), "1.0.0");
    let tags_url = |n: &str| format!("http://{}/v2/{n}/tags/list?n=1000", proxy.addr);
    // 429 waited for its Retry-After (1 s).
    assert!(
        run.stderr
            .contains(&format!("retrying GET {} in 1000 ms", tags_url("r429"))),
        "{}",
        run.stderr
    );
    // An HTTP-date 2 s ahead, in whole seconds: 1 to 2 s, where our own
    // first backoff would be at most 200 ms.
    let waited = format!("retrying GET {} in ", tags_url("rdate"));
    let ms: u64 = run
        .stderr
        .split(&waited)
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no retry of rdate in {}", run.stderr));
    assert!((1000..=2000).contains(&ms), "{ms} ms");
    let requests = proxy.requests();
    assert_eq!(count(&requests, "/r500/tags/list"), 3, "{requests:#?}");
    assert_eq!(count(&requests, "/r429/tags/list"), 2, "{requests:#?}");
    assert_eq!(count(&requests, "/rdate/tags/list"), 2, "{requests:#?}");
    // Given up: named registry, repository, and status or timeout.
    let line = |n: &str, what: &str| {
        format!(
            "error: registry {}, repository {n}: GET {}: {what}",
            proxy.addr,
            tags_url(n)
        )
    };
    for expected in [
        line("rslow", "timed out (gave up after 3 attempts)"),
        line(
            "rdown",
            "HTTP 500 Internal Server Error (UNKNOWN) (gave up after 3 attempts)",
        ),
        line("rtrunc", "malformed tag list JSON"),
    ] {
        assert!(run.stderr.contains(&expected), "{expected}\n{}", run.stderr);
    }
    assert_eq!(count(&requests, "/rslow/tags/list"), 3, "{requests:#?}");
    assert!(
        run.answer("demo rslow").starts_with("reason: registry"),
        "{:?}",
        run.answers()
    );
    // Repositories are listed concurrently: the slow one does not add up.
    assert!(run.elapsed < Duration::from_secs(20), "{:?}", run.elapsed);
}

#[test]
fn disk_cache_ttl_refresh_and_no_cache() {
    let w = World::new();
    let reg = Registry::start(&w.path("reg"), Auth::None, Storage::Memory);
    let proxy = Proxy::start(&w.path("proxy"), &reg.addr, 0);
    seed(
        &w.path("seed"),
        &reg.addr,
        &repos(vec![(
            "team/app",
            tags(&[
                ("1.0.0", "2024-01-01T00:00:00Z"),
                ("1.1.0", "2023-01-01T00:00:00Z"),
            ]),
        )]),
        None,
    );
    let image = format!("{}/team/app", proxy.addr);
    let root = w.path("tree");
    argo_app(
        &root,
        "demo",
        &[("a", &format!("{image}:1.x")), ("n", &image)],
        &[("n.update-strategy", "newest-build")],
    );
    let cache = w.cache();
    let c = cache.to_str().unwrap();

    let first = w.preview(&root, &["--cache-dir", c], &[]);
    first.assert_code(0);
    assert_eq!(first.answer("demo n"), "1.0.0");
    let requests = proxy.requests();
    assert_eq!(count(&requests, "/tags/list"), 1, "{requests:#?}");
    assert_eq!(count(&requests, "/blobs/"), 2, "{requests:#?}");

    // Cached: not a single request, same answers.
    proxy.clear_requests();
    let second = w.preview(&root, &["--cache-dir", c], &[]);
    second.assert_code(0);
    assert_eq!(second.stdout, first.stdout);
    assert_eq!(proxy.requests(), Vec::<String>::new());

    // --refresh lists tags and reads tag manifests again; configs are
    // addressed by digest and reused.
    let refreshed = w.preview(&root, &["--cache-dir", c, "--refresh"], &[]);
    refreshed.assert_code(0);
    let requests = proxy.requests();
    assert_eq!(count(&requests, "/tags/list"), 1, "{requests:#?}");
    assert_eq!(count(&requests, "/manifests/1."), 2, "{requests:#?}");
    assert_eq!(count(&requests, "/blobs/"), 0, "{requests:#?}");

    // A TTL of zero makes every cached list stale.
    proxy.clear_requests();
    w.preview(&root, &["--cache-dir", c, "--cache-ttl", "0s"], &[])
        .assert_code(0);
    assert_eq!(count(&proxy.requests(), "/tags/list"), 1);

    // --no-cache neither reads nor writes.
    let fresh = w.path("fresh-cache");
    proxy.clear_requests();
    w.preview(
        &root,
        &["--cache-dir", fresh.to_str().unwrap(), "--no-cache"],
        &[],
    )
    .assert_code(0);
    assert!(!fresh.exists());
    assert_eq!(count(&proxy.requests(), "/tags/list"), 1);

    // Default location: $XDG_CACHE_HOME/kubectl-imageupdate.
    w.preview(&root, &[], &[]).assert_code(0);
    assert!(w.path("xdg/kubectl-imageupdate/v1/tags").is_dir());
}

#[test]
fn plain_http_only_to_loopback_or_named_hosts() {
    use imageupdate::registry::endpoints::{check_scheme, plain_http_allowed};
    use imageupdate::registry::url::Url;
    let none: Vec<String> = Vec::new();
    for host in [
        "127.0.0.1:5000",
        "127.8.9.10",
        "localhost:5000",
        "[::1]:443",
    ] {
        assert!(plain_http_allowed(host, &none, false), "{host}");
    }
    for host in ["registry.example.com", "10.0.0.1:5000", "192.168.1.2"] {
        assert!(!plain_http_allowed(host, &none, false), "{host}");
    }
    let named = vec!["registry.example.com".to_owned()];
    assert!(plain_http_allowed(
        "registry.example.com:5000",
        &named,
        false
    ));
    let url = Url::parse("http://registry.example.com/v2/").unwrap();
    assert!(check_scheme(&url, &none, false).is_err());
    assert!(check_scheme(&url, &named, false).is_ok());

    // End to end, refused before any connection is attempted.
    let w = World::new();
    let conf = w.path("registries.conf");
    std::fs::write(
        &conf,
        "registries:\n- name: plain\n  prefix: registry.example.com\n  api_url: http://registry.example.com\n",
    )
    .unwrap();
    let root = w.path("tree");
    argo_app(
        &root,
        "demo",
        &[("a", "registry.example.com/team/app:1.x")],
        &[],
    );
    let run = w.preview(
        &root,
        &[
            "--no-cache",
            "-v",
            "--registries-conf",
            conf.to_str().unwrap(),
        ],
        &[],
    );
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("refusing plain HTTP to registry.example.com")
            && run
                .stderr
                .contains("--insecure-registry registry.example.com"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("registry: 0 requests"),
        "{}",
        run.stderr
    );
}

// ------------------------------------------------- example repositories

/// The repository path a normalised name has on the test registry.
fn path_of(normalized: &str) -> String {
    normalized.split_once('/').unwrap().1.to_owned()
}

/// Seeds the registry with exactly the tags of testdata/tags.yaml (dates
/// and platforms as listed; a date made up where none is) and writes the
/// same data, with the real digests, as a tags file.
fn seed_examples(w: &World, addr: &str) -> PathBuf {
    let file = TagsFile::load(&testdata("tags.yaml")).expect("tags.yaml");
    let mut spec: BTreeMap<String, Vec<SeedTag>> = BTreeMap::new();
    let mut names: Vec<(String, String)> = Vec::new();
    for repo in file.repositories() {
        let mut entries = Vec::new();
        for (i, t) in file.tags(repo).unwrap().into_iter().enumerate() {
            let created = match t.created {
                Some(ts) => format_ts(ts.secs, ts.nanos),
                None => format_ts(1_546_300_800 + 3600 * i as i64, 0),
            };
            let mut s = SeedTag::new(&t.tag).created(&created);
            s.platforms = t.platforms.iter().map(ToString::to_string).collect();
            entries.push(s);
        }
        assert!(
            spec.insert(path_of(repo), entries).is_none(),
            "two registries share {repo}'s path"
        );
        names.push((repo.to_owned(), path_of(repo)));
    }
    let digests = seed(&w.path("seed"), addr, &spec, None);
    let mut yaml = String::new();
    for (repo, path) in names {
        yaml.push_str(&format!("{repo}:\n"));
        for s in &spec[&path] {
            // A tag seeded without platforms is one linux/amd64 image.
            let platforms = if s.platforms.is_empty() {
                "linux/amd64".to_owned()
            } else {
                s.platforms.join(", ")
            };
            yaml.push_str(&format!(
                "  - tag: {:?}\n    created: {}\n    digest: {}\n    platforms: [{platforms}]\n",
                s.tag,
                s.created.as_deref().unwrap(),
                digests[&path][&s.tag],
            ));
        }
    }
    let out = w.path("seeded-tags.yaml");
    std::fs::write(&out, yaml).unwrap();
    out
}

fn format_ts(secs: i64, nanos: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let frac = if nanos == 0 {
        String::new()
    } else {
        format!(".{nanos:09}")
    };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{frac}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[test]
fn example_repositories_give_the_same_answers_as_tags_from() {
    let w = World::new();
    let reg = Registry::start(&w.path("reg"), Auth::None, Storage::Memory);
    let seeded = seed_examples(&w, &reg.addr);
    // Every registry the examples name maps onto the loopback registry.
    let conf = w.path("registries.conf");
    let mut text = String::from("registries:\n");
    for prefix in ["docker.io", "ghcr.io", "quay.io", "registry.example.com"] {
        text.push_str(&format!(
            "- name: {prefix}\n  prefix: {prefix}\n  api_url: http://{}\n",
            reg.addr
        ));
    }
    std::fs::write(&conf, text).unwrap();
    let conf_arg = conf.to_str().unwrap();
    for example in ["flux", "argocd-kustomize", "argocd-helm", "kubesphere"] {
        let root = testdata(example);
        let offline = w.preview(&root, &["--tags-from", seeded.to_str().unwrap()], &[]);
        offline.assert_code(0);
        let online = w.preview(&root, &["--no-cache", "--registries-conf", conf_arg], &[]);
        let (a, b) = (offline.updates(), online.updates());
        assert_eq!(a.len(), b.len(), "{example}");
        let mut unknown = 0;
        for (x, y) in a.iter().zip(&b) {
            let reason = x["reason"].as_str().unwrap_or("");
            if reason.starts_with("no tags known for") {
                // Not in tags.yaml, so not on the registry: a 404 there.
                unknown += 1;
                assert!(
                    y["reason"]
                        .as_str()
                        .unwrap_or("")
                        .contains("HTTP 404 Not Found (NAME_UNKNOWN)"),
                    "{example}: {y}"
                );
                continue;
            }
            assert_eq!(x, y, "{example}");
        }
        online.assert_code(if unknown > 0 { 2 } else { 0 });
        // apply resolves through the same source: the same changes as
        // with the tags file.
        let plan = |source: &[&str]| {
            let out = bin()
                .env("HOME", w.home())
                .env("XDG_CACHE_HOME", w.path("xdg"))
                .env_remove("DOCKER_CONFIG")
                .args(["apply", "--dry-run", "-o", "json", "--root"])
                .arg(&root)
                .args(source)
                .output()
                .expect("binary runs");
            let doc: serde_json::Value =
                serde_json::from_slice(&out.stdout).expect("apply -o json prints JSON");
            doc["changes"].clone()
        };
        let offline_plan = plan(&["--tags-from", seeded.to_str().unwrap()]);
        if example == "flux" {
            assert!(
                !offline_plan.as_array().unwrap().is_empty(),
                "flux: no change planned"
            );
        }
        assert_eq!(
            offline_plan,
            plan(&["--no-cache", "--registries-conf", conf_arg]),
            "{example}: apply"
        );
    }
}

#[test]
fn tags_file_and_registry_agree_on_the_trait_contract() {
    // The default `tags_with` of a source that has all metadata is `tags`.
    let file = TagsFile::load(&testdata("tags.yaml")).unwrap();
    let need = Need {
        created: true,
        platforms: true,
        only: Some(vec!["1.27.2".into()]),
        ..Need::default()
    };
    assert_eq!(
        file.tags_with("nginx", &need).unwrap(),
        file.tags("nginx").unwrap()
    );
}

/// TLS is verified: against a registry with a self-signed certificate the
/// request fails without `--ca-file` and reaches the registry with it (an
/// empty registry answers 404 NAME_UNKNOWN, which proves the handshake).
#[test]
fn tls_is_verified_and_ca_file_adds_trust() {
    let w = World::new();
    // A CA and a server certificate it signed (rustls rejects a CA
    // certificate used as the server's own).
    let (ca, cert, key) = (w.path("ca.crt"), w.path("tls.crt"), w.path("tls.key"));
    let made = std::process::Command::new("bash")
        .arg("-c")
        .arg(
            "set -e; cd \"$0\"; \
             openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=test-ca 2>/dev/null; \
             openssl req -newkey rsa:2048 -nodes -keyout tls.key -out tls.csr -subj /CN=localhost 2>/dev/null; \
             printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf; \
             openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out tls.crt -days 1 -extfile ext.cnf 2>/dev/null",
        )
        .arg(w.path(""))
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let reg = Registry::start_tls(&w.path("reg"), &cert, &key);
    let root = w.path("repo");
    flux_app(&root, &format!("{}/team/app", reg.addr), ">=1.0.0");
    let conf = w.path("registries.conf");
    std::fs::write(
        &conf,
        format!(
            "registries:\n- name: tls\n  prefix: {0}\n  api_url: https://{0}\n",
            reg.addr
        ),
    )
    .unwrap();
    let conf_arg = conf.to_str().unwrap();
    let untrusted = w.preview(&root, &["--no-cache", "--registries-conf", conf_arg], &[]);
    untrusted.assert_code(2);
    assert!(
        !untrusted.stderr.contains("HTTP 404") && untrusted.stderr.contains("certificate"),
        "{}",
        untrusted.stderr
    );
    let trusted = w.preview(
        &root,
        &[
            "--no-cache",
            "--registries-conf",
            conf_arg,
            "--ca-file",
            ca.to_str().unwrap(),
        ],
        &[],
    );
    trusted.assert_code(2);
    assert!(trusted.stderr.contains("HTTP 404"), "{}", trusted.stderr);
}
