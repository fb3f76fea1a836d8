//! `export` end to end, on the example repositories: golden outputs for
//! every direction, round trips back to the source dialect, exported
//! objects that validate cleanly, and the same tag chosen by preview on the
//! source and on what export wrote (same tags file).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::{bin, project, testdata};
use imageupdate::discover::{self, Options};
use imageupdate::model::Model;
use imageupdate::model::spec::{Dialect, Updater};

const TARGETS: [&str; 4] = ["argocd", "argocd-crd", "flux", "kubesphere"];

/// The example repositories and the dialect each one is written in.
const EXAMPLES: [(&str, &str); 4] = [
    ("argocd-kustomize", "argocd-kustomize"),
    ("argocd-helm", "argocd-helm"),
    ("flux", "flux"),
    ("kubesphere/clean", "kubesphere"),
];

fn export_cmd(path: &Path, to: &str, extra: &[&str]) -> std::process::Output {
    let mut cmd = bin();
    cmd.current_dir(project())
        .env("NO_COLOR", "1")
        .args(["export", "--root"])
        .arg(path)
        .arg(path)
        .args(["--to", to])
        .args(extra);
    cmd.output().expect("binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Paths in diagnostics are relative to the root; temporary folders are
/// not, so they are replaced for snapshots.
fn scrub(s: &str, dir: &Path) -> String {
    s.replace(&dir.display().to_string(), "[TMP]")
}

#[test]
fn golden_exports_of_the_examples() {
    for (example, label) in EXAMPLES {
        let path = testdata(example);
        for to in TARGETS {
            let out = export_cmd(&path, to, &[]);
            let code = out.status.code();
            let stdout = text(&out.stdout);
            let stderr = text(&out.stderr);
            assert!(
                matches!(code, Some(0) | Some(2)),
                "{example} --to {to}: exit {code:?}\n{stderr}"
            );
            if code == Some(2) {
                // Only a repository written in the target's own dialect has
                // nothing to convert.
                assert!(stderr.contains("no image updater found"), "{stderr}");
                assert!(stdout.is_empty());
            } else {
                assert!(
                    stdout.starts_with("---\n"),
                    "{example} --to {to}:\n{stdout}"
                );
            }
            insta::assert_snapshot!(
                format!(
                    "export_{}_to_{}",
                    label.replace('/', "_"),
                    to.replace('-', "_")
                ),
                format!("exit: {code:?}\n--- stdout\n{stdout}--- stderr\n{stderr}")
            );
        }
    }
}

/// `-o json` says the same as the YAML, and several documents are a List.
#[test]
fn json_output_matches_yaml() {
    let path = testdata("kubesphere/clean");
    let yaml = export_cmd(&path, "flux", &[]);
    let json = export_cmd(&path, "flux", &["-o", "json"]);
    assert!(yaml.status.success() && json.status.success());
    let list: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().expect("items");
    let docs = text(&yaml.stdout);
    assert_eq!(items.len(), docs.matches("---\n").count());
    let rendered = imageupdate::export::emit::yaml(items);
    assert_eq!(rendered, docs);
}

fn load(root: &Path) -> (imageupdate::Workspace, Model) {
    let opts = Options {
        parse_all: true,
        ..Options::default()
    };
    let ws = discover::load(root, &[], &opts);
    let model = Model::build(&ws);
    (ws, model)
}

/// The updaters the model read from `dialect`.
fn read(root: &Path, dialect: Dialect) -> Vec<Updater> {
    let (_, model) = load(root);
    model
        .updaters
        .into_iter()
        .filter(|u| u.from.is_some_and(|(d, _)| d == dialect))
        .collect()
}

/// Writes the export of `from` (read as `source`) into `dir/out.yaml`.
fn export_into(from: &Path, source: &str, to: &str, dir: &Path) -> String {
    let out = export_cmd(from, to, &["--from", source]);
    assert!(
        out.status.success(),
        "export {} --from {source} --to {to}: {}",
        from.display(),
        text(&out.stderr)
    );
    let yaml = text(&out.stdout);
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(dir.join("out.yaml"), &yaml).expect("write");
    yaml
}

/// What every round trip must keep, per image: the repository and how its
/// tag is chosen. Documented normalisations are applied first: aliases may
/// be invented (IU703), a missing strategy is the default semver (the CR
/// writer always names it), and a pull secret without a namespace lives in
/// the updater's.
fn essence(updaters: &[Updater]) -> BTreeMap<String, Vec<String>> {
    use imageupdate::model::spec::{PullSecret, Strategy};
    let mut out = BTreeMap::new();
    for u in updaters {
        for i in &u.images {
            // The CR writer spells `>=X` as `>X || X` (IU703).
            let constraint = i.constraint.as_ref().map(|c| {
                imageupdate::export::argo_crd::without_equals(&c.value).unwrap_or(c.value.clone())
            });
            let strategy = i.strategy.as_ref().map_or(Strategy::Semver, |s| s.value);
            let secret = i.pull_secret.as_ref().map(|f| match &f.value {
                PullSecret::Secret { namespace, name } => PullSecret::Secret {
                    namespace: namespace.clone().or_else(|| u.namespace.clone()),
                    name: name.clone(),
                },
                other => other.clone(),
            });
            let v = |f: &Option<imageupdate::model::spec::Field<String>>| {
                f.as_ref().map_or(String::new(), |f| f.value.clone())
            };
            // Several policies may follow one repository (Flux).
            let entry: &mut Vec<String> = out.entry(i.name.value.clone()).or_default();
            entry.push(
                format!(
                    "constraint={} strategy={strategy:?} pattern={} ignore={:?} platforms={:?} secret={secret:?}",
                    constraint.unwrap_or_default(),
                    v(&i.tag_pattern),
                    i.ignore_tags.as_ref().map(|f| f.value.clone()),
                    i.platforms.as_ref().map(|f| f.value.clone()),
                ),
            );
        }
    }
    for v in out.values_mut() {
        v.sort();
        v.dedup();
    }
    out
}

/// KubeSphere → X → KubeSphere keeps every image's selection settings, and
/// a second trip changes nothing at all.
#[test]
fn kubesphere_round_trips_through_every_dialect() {
    let source = testdata("kubesphere/clean");
    let original = read(&source, Dialect::Kubesphere);
    assert!(!original.is_empty());
    for (via, via_dialect, lossless) in [
        ("argocd", Dialect::Argocd, true),
        ("argocd-crd", Dialect::ArgocdCrd, true),
        ("flux", Dialect::Flux, false),
    ] {
        let tmp = tempfile::tempdir().expect("temp dir");
        let there = tmp.path().join("there");
        let back = tmp.path().join("back");
        export_into(&source, "kubesphere", via, &there);
        assert!(!read(&there, via_dialect).is_empty(), "{via}");
        export_into(&there, via, "kubesphere", &back);
        let returned = read(&back, Dialect::Kubesphere);
        if lossless {
            assert_eq!(essence(&original), essence(&returned), "via {via}");
        } else {
            // An updater already driven by Flux (kind fluxcd) comes back as
            // it was. Argo-driven ones keep their semver ranges; Argo-only
            // settings (platforms, ignore-tags, alphabetical with a pattern)
            // are reported as IU701 on the way out.
            let flux_images: Vec<&str> = original
                .iter()
                .filter(|u| u.engine == imageupdate::model::spec::Engine::Fluxcd)
                .flat_map(|u| u.images.iter().map(|i| i.name.value.as_str()))
                .collect();
            assert!(!flux_images.is_empty());
            let before = essence(&original);
            let after = essence(&returned);
            for (image, settings) in &before {
                if flux_images.contains(&image.as_str()) {
                    assert_eq!(after.get(image), Some(settings), "via {via}: {image}");
                    continue;
                }
                let constraint = |s: &String| s.split(" strategy=").next().map(str::to_owned);
                let got: Vec<_> = after
                    .get(image)
                    .into_iter()
                    .flatten()
                    .map(constraint)
                    .collect();
                for s in settings.iter().filter(|s| s.contains("strategy=Semver")) {
                    assert!(
                        got.contains(&constraint(s)),
                        "via {via}: {image}: {s} not in {got:?}"
                    );
                }
            }
            let out = export_cmd(&source, via, &["--from", "kubesphere"]);
            assert!(text(&out.stderr).contains("IU701"));
        }
        // Fixed point: once normalised, another trip changes nothing. A
        // lossy trip (Flux) needs one more to settle: what it could not
        // hold is gone after the first, and its defaults after the second.
        let (mut settled, mut n) = (back.clone(), 0);
        if !lossless {
            let (mid, next) = (tmp.path().join("mid"), tmp.path().join("next"));
            export_into(&back, "kubesphere", via, &mid);
            export_into(&mid, via, "kubesphere", &next);
            settled = next;
            n += 1;
        }
        let returned = read(&settled, Dialect::Kubesphere);
        let again = tmp.path().join("again");
        let there2 = tmp.path().join("there2");
        export_into(&settled, "kubesphere", via, &there2);
        export_into(&there2, via, "kubesphere", &again);
        let first = std::fs::read_to_string(settled.join("out.yaml")).expect("read");
        let second = std::fs::read_to_string(again.join("out.yaml")).expect("read");
        assert_eq!(first, second, "via {via} after {n} extra trips");
        let returned2 = read(&again, Dialect::Kubesphere);
        assert_eq!(returned.len(), returned2.len());
        for (a, b) in returned.iter().zip(&returned2) {
            assert!(a.same_spec(b), "via {via}:\n{a:#?}\n{b:#?}");
        }
    }
}

/// Argo annotations → CR → annotations, and Flux → KubeSphere → Flux.
#[test]
fn argo_and_flux_round_trip() {
    for (example, source, via, source_dialect) in [
        ("argocd-kustomize", "argocd", "argocd-crd", Dialect::Argocd),
        ("argocd-helm", "argocd", "argocd-crd", Dialect::Argocd),
        (
            "argocd-kustomize",
            "argocd-crd",
            "argocd",
            Dialect::ArgocdCrd,
        ),
        ("flux", "flux", "kubesphere", Dialect::Flux),
    ] {
        let path = testdata(example);
        let original = read(&path, source_dialect);
        if original.is_empty() {
            continue;
        }
        let tmp = tempfile::tempdir().expect("temp dir");
        let there = tmp.path().join("there");
        let back = tmp.path().join("back");
        export_into(&path, source, via, &there);
        export_into(&there, via, source, &back);
        let returned = read(&back, source_dialect);
        let before = essence(&original);
        let after = essence(&returned);
        assert!(
            !after.is_empty(),
            "{example}: {source} → {via} → {source}: nothing came back"
        );
        // An updater the middle dialect cannot hold (a namePattern glob has
        // no Application to annotate) is reported (IU702) and does not come
        // back; everything that comes back says what it said.
        if via != "kubesphere" {
            for (image, settings) in &after {
                assert_eq!(
                    before.get(image),
                    Some(settings),
                    "{example}: {source} → {via} → {source}: {image}"
                );
            }
            continue;
        }
        for (image, settings) in &before {
            // KubeSphere's fluxcd kind holds one semver range per image and
            // one registry secret for all: Flux's alphabetical, numerical
            // and filter policies come back as plain semver (IU701 on the
            // way out), and every range comes back.
            let strip = |s: &String| s.split(" secret=").next().unwrap_or(s).to_owned();
            let got: Vec<String> = after.get(image).into_iter().flatten().map(strip).collect();
            // Ranges Flux rejects (the example's deliberate mistakes) are
            // skipped by the Flux writer (IU702).
            let valid = |s: &&String| {
                let c = s.split(" strategy=").next().unwrap_or_default();
                imageupdate::resolve::constraint::Constraint::parse(
                    c.trim_start_matches("constraint="),
                )
                .is_ok()
            };
            for s in settings
                .iter()
                .filter(|s| s.contains("strategy=Semver"))
                .filter(valid)
            {
                assert!(
                    got.contains(&strip(s)),
                    "{example}: {source} → {via} → {source}: {image}: {s} not in {got:?}"
                );
            }
        }
    }
}

/// Error codes validate reports for a folder.
fn error_codes(dir: &Path) -> std::collections::BTreeSet<String> {
    let report = common::json(dir);
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Whatever export writes, our own validate accepts without an error of its
/// own: a clean source gives clean objects, and a source with deliberate
/// mistakes (the examples' MISTAKES.md) passes on only those mistakes.
#[test]
fn exported_objects_validate_without_errors() {
    for (example, _) in EXAMPLES {
        let path = testdata(example);
        let source_errors = error_codes(&path);
        if example == "kubesphere/clean" {
            assert!(source_errors.is_empty(), "{source_errors:?}");
        }
        for to in TARGETS {
            let out = export_cmd(&path, to, &[]);
            if !out.status.success() {
                continue;
            }
            // Exported objects land in the repository they describe (update
            // paths and Applications resolve there).
            let tmp = tempfile::tempdir().expect("temp dir");
            common::copy_tree(&path, tmp.path());
            let before = error_codes(tmp.path());
            assert_eq!(before, source_errors);
            std::fs::write(tmp.path().join("exported.yaml"), &out.stdout).expect("write");
            // The same mistake has its own code in each family: an invalid
            // range is IU302 in Flux and IU402 in Argo, an invalid pattern
            // IU303 and IU406.
            fn same(c: &str) -> &str {
                match c {
                    "IU402" => "IU302",
                    "IU406" => "IU303",
                    other => other,
                }
            }
            let source: std::collections::BTreeSet<&str> =
                source_errors.iter().map(|c| same(c)).collect();
            let new: Vec<String> = error_codes(tmp.path())
                .into_iter()
                .filter(|c| !source.contains(same(c)))
                .collect();
            assert!(
                new.is_empty(),
                "{example} --to {to}: {new:?} not in the source's {source_errors:?}\n{}",
                text(&out.stdout)
            );
        }
    }
}

/// `preview -o json`: image → the tags chosen for it, over every target
/// (several policies may follow one repository).
fn chosen(path: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let out = bin()
        .current_dir(project())
        .args(["preview", "--root"])
        .arg(path)
        .arg(path)
        .arg("--tags-from")
        .arg(testdata("tags.yaml"))
        .args(["-o", "json"])
        .output()
        .expect("binary runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for u in json["updates"].as_array().expect("updates") {
        let image = docker_hub(u["image"].as_str().unwrap_or_default());
        // A full-reference marker's candidate is the whole reference.
        let candidate = u["candidate"].as_str().unwrap_or("<none>");
        let full = docker_hub(candidate);
        if full == image {
            // A `:name` marker sets the name, which no other dialect does.
            continue;
        }
        let candidate = full
            .strip_prefix(&format!("{image}:"))
            .unwrap_or(candidate)
            .to_owned();
        map.entry(image).or_default().insert(candidate);
    }
    map
}

/// One spelling per Docker Hub repository: Argo's image names leave out
/// the registry and `library/` where Flux's keep them.
fn docker_hub(name: &str) -> String {
    let name = name.strip_prefix("docker.io/").unwrap_or(name);
    let name = name.strip_prefix("library/").unwrap_or(name);
    let registry = name
        .split_once('/')
        .is_some_and(|(first, _)| first.contains(['.', ':']) || first == "localhost");
    if registry || name.is_empty() {
        name.to_owned()
    } else {
        format!("docker.io/{name}")
    }
}

/// Flux needs setter markers to have targets; a user adds one per policy.
fn add_markers(dir: &Path) {
    let (ws, model) = load(dir);
    let mut manifest = String::new();
    for obj in &model.objects {
        let yaml = ws.files[obj.file].yaml.as_ref().expect("parsed");
        if obj.kind() != "ImagePolicy" {
            continue;
        }
        let repo_name = yaml
            .path_str(obj.root, &["spec", "imageRepositoryRef", "name"])
            .expect("repository ref");
        let image = model
            .objects
            .iter()
            .find(|o| o.kind() == "ImageRepository" && o.name() == repo_name)
            .and_then(|o| {
                ws.files[o.file]
                    .yaml
                    .as_ref()
                    .and_then(|y| y.path_str(o.root, &["spec", "image"]))
            })
            .expect("repository");
        manifest.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: app\n    image: {image}:0.0.0 # {{\"$imagepolicy\": \"{ns}:{name}\"}}\n",
            name = obj.name(),
            ns = obj.namespace().unwrap_or("flux-system"),
        ));
    }
    std::fs::write(dir.join("markers.yaml"), manifest).expect("write");
}

/// The tag preview picks from the source is the tag it picks from the
/// exported objects, with the same tags file.
#[test]
fn preview_chooses_the_same_tag_after_export() {
    for (example, source, to) in [
        ("kubesphere/clean", "kubesphere", "argocd"),
        ("kubesphere/clean", "kubesphere", "argocd-crd"),
        ("kubesphere/clean", "kubesphere", "flux"),
        ("argocd-kustomize", "argocd", "argocd-crd"),
        ("argocd-kustomize", "argocd-crd", "kubesphere"),
        ("argocd-helm", "argocd", "kubesphere"),
        ("flux", "flux", "kubesphere"),
    ] {
        let path = testdata(example);
        let before = chosen(&path);
        let tmp = tempfile::tempdir().expect("temp dir");
        export_into(&path, source, to, tmp.path());
        let lossy = text(&export_cmd(&path, to, &["--from", source]).stderr).contains("IU701");
        if to == "flux" {
            add_markers(tmp.path());
        }
        let after = chosen(tmp.path());
        assert!(!after.is_empty(), "{example} → {to}: nothing to preview");
        let context = || {
            format!("{example} --from {source} --to {to}\nbefore: {before:#?}\nafter: {after:#?}")
        };
        // The target may preview more (every policy, not only the marked
        // ones), but follows no repository the source does not.
        for image in after.keys() {
            assert!(before.contains_key(image), "{image} is new: {}", context());
        }
        let none = BTreeSet::from(["<none>".to_owned()]);
        for (image, tags) in &before {
            let now = after.get(image).unwrap_or(&none);
            for was in tags {
                // A source mistake that makes the controller skip an image
                // (the examples' MISTAKES.md) may come out repaired.
                if was == "<none>" {
                    continue;
                }
                // A policy the target could not express (IU701) selects
                // nothing.
                if lossy && now.contains("<none>") {
                    continue;
                }
                // Flux's semver (≥ 2.7) ignores tags with fewer than three
                // parts, which Argo CD's accepts (flux.md §2.3): the one
                // place the same range picks differently.
                let numeric = was.starts_with(|c: char| c.is_ascii_digit());
                if to == "flux" && numeric && was.matches('.').count() < 2 {
                    assert!(now.contains("<none>"), "{image}: {}", context());
                    continue;
                }
                assert!(
                    now.contains(was),
                    "{image}: {was} is not chosen: {}",
                    context()
                );
            }
        }
    }
}

/// `--strict` refuses lossy exports; `--name` picks one updater.
#[test]
fn strict_and_name() {
    let path = testdata("kubesphere/clean");
    let lossy = export_cmd(&path, "flux", &[]);
    assert!(lossy.status.success());
    assert!(
        text(&lossy.stderr).contains("IU701"),
        "{}",
        text(&lossy.stderr)
    );
    let strict = export_cmd(&path, "flux", &["--strict"]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(strict.stdout.is_empty());
    assert!(text(&strict.stderr).contains("--strict"));

    let one = export_cmd(&path, "argocd-crd", &["--name", "storefront"]);
    assert!(one.status.success(), "{}", text(&one.stderr));
    assert_eq!(text(&one.stdout).matches("---\n").count(), 1);
    let none = export_cmd(&path, "argocd-crd", &["--name", "no-such"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("no image updater named \"no-such\""));
}

/// kubectl's `-n` puts every generated object in one namespace.
#[test]
fn namespace_flag_places_every_object() {
    let path = testdata("kubesphere/clean");
    for to in ["argocd-crd", "flux", "kubesphere"] {
        let out = export_cmd(
            &path,
            to,
            &["--from", "kubesphere", "-n", "team-a", "-o", "json"],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let items = list["items"].as_array().expect("a List");
        assert!(items.len() > 1);
        for item in items {
            assert_eq!(item["metadata"]["namespace"], "team-a", "{to}: {item}");
        }
    }
}

#[test]
fn usage_errors() {
    let path = testdata("kubesphere/clean");
    let out = export_cmd(&path, "flux", &["--in-place"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--in-place only applies to --to argocd"));
    let out = export_cmd(&path, "nope", &[]);
    assert_eq!(out.status.code(), Some(2));
    let missing = export_cmd(&project().join("testdata/does-not-exist"), "flux", &[]);
    assert_eq!(missing.status.code(), Some(2));
}

/// `--in-place` merges the annotations into the Application the
/// repository holds; a second run changes nothing.
#[test]
fn in_place_merges_into_the_application() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let app = "apiVersion: argoproj.io/v1alpha1\r\nkind: Application\r\nmetadata:\r\n  name: storefront\r\n  namespace: shop\r\n  labels:\r\n    team: shop # owners\r\nspec:\r\n  source:\r\n    repoURL: https://git.example.com/shop.git\r\n    path: deploy\r\n";
    common::write(tmp.path(), "apps/storefront.yaml", app);
    std::fs::copy(
        testdata("kubesphere/clean/design-argocd.yaml"),
        tmp.path().join("updater.yaml"),
    )
    .expect("copy");
    let out = export_cmd(tmp.path(), "argocd", &["--in-place"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("updated apps/storefront.yaml"));
    let merged = std::fs::read_to_string(tmp.path().join("apps/storefront.yaml")).expect("read");
    assert!(
        merged
            .starts_with("apiVersion: argoproj.io/v1alpha1\r\nkind: Application\r\nmetadata:\r\n")
    );
    assert!(merged.contains("    team: shop # owners\r\n"), "{merged}");
    assert!(merged.ends_with("spec:\r\n  source:\r\n    repoURL: https://git.example.com/shop.git\r\n    path: deploy\r\n"));
    assert!(
        !merged.replace("\r\n", "").contains('\n'),
        "only CRLF: {merged:?}"
    );
    let after = read(tmp.path(), Dialect::Argocd);
    let before = read(tmp.path(), Dialect::Kubesphere);
    assert_eq!(essence(&before), essence(&after));
    let again = export_cmd(tmp.path(), "argocd", &["--in-place"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("nothing to do"),
        "{}",
        text(&again.stderr)
    );
    let unchanged = std::fs::read_to_string(tmp.path().join("apps/storefront.yaml")).expect("read");
    assert_eq!(merged, unchanged);
    let _ = scrub("", tmp.path());
}

/// An ApplicationSet template's annotations are read (validate and preview
/// judge them) but not exported: its placeholders name no updater until
/// the ApplicationSet controller generates the Applications.
#[test]
fn an_applicationset_template_is_not_exported() {
    let dir = tempfile::tempdir().unwrap();
    let appset = std::fs::read_to_string(testdata("argocd-writeback/apps/previews.yaml")).unwrap();
    std::fs::write(dir.path().join("previews.yaml"), appset).unwrap();
    let edge = std::fs::read_to_string(testdata("argocd-writeback/apps/edge.yaml")).unwrap();
    std::fs::write(dir.path().join("edge.yaml"), edge).unwrap();
    let out = export_cmd(dir.path(), "argocd-crd", &[]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(
        stdout.contains("namePattern: edge") && !stdout.contains("preview-"),
        "{stdout}"
    );
    assert!(
        stderr.contains("IU702") && stderr.contains("an ApplicationSet template"),
        "{stderr}"
    );
}

/// Export names each image's ImageRepository and ImagePolicy after the
/// alias, and, when another application's image has that name with other
/// settings, after the application and the alias: no image is dropped as
/// the duplicate of a different one (real repositories call every image
/// `app`; 14 images once came out as 4 policies).
#[test]
fn export_names_are_unique_per_application_and_alias() {
    let repo = testdata("export/argocd-same-alias");
    let out = export_cmd(&repo, "flux", &[]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("generated twice"), "{stderr}");
    let mut policies: Vec<&str> = stdout
        .split("\n---")
        .filter(|d| d.contains("kind: ImagePolicy"))
        .filter_map(|d| {
            d.lines()
                .find_map(|l| l.strip_prefix("  name: "))
                .map(str::trim)
        })
        .collect();
    policies.sort();
    assert_eq!(
        policies,
        [
            "shop-backend-app",
            "shop-backend-canary-app",
            "shop-frontend-app"
        ],
        "{stdout}"
    );
    for image in [
        "ghcr.io/example/shop-frontend",
        "ghcr.io/example/shop-backend",
    ] {
        assert!(stdout.contains(&format!("image: {image}\n")), "{stdout}");
    }
    // One application alone keeps the alias as the name.
    let one = tempfile::tempdir().unwrap();
    let text_all = std::fs::read_to_string(repo.join("applications.yaml")).unwrap();
    let first = text_all.split("\n---\n").next().unwrap();
    common::write(one.path(), "app.yaml", first);
    let single = text(&export_cmd(one.path(), "flux", &[]).stdout);
    assert!(single.contains("  name: app\n"), "{single}");
}
