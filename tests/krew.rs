//! krew distribution: `krew-manifest.yaml` must pass the checks krew-index CI
//! runs (`validate-krew-manifest`, see krew's `internal/index/validation`),
//! and `scripts/release` must produce an archive that installs the way krew
//! would install it. `kubectl krew` is normally not installed here, so the
//! install is simulated (extract, apply `files`, run `bin`); when it is
//! installed, the real `kubectl krew install --manifest --archive` runs too.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use imageupdate::yaml::{self, NodeId, Yaml};

/// The os/arch pairs `validate-krew-manifest` knows; a selector that matches
/// none of them is rejected.
const KREW_PAIRS: &[(&str, &str)] = &[
    ("windows", "386"),
    ("windows", "amd64"),
    ("windows", "arm64"),
    ("linux", "386"),
    ("linux", "amd64"),
    ("linux", "arm"),
    ("linux", "arm64"),
    ("linux", "ppc64le"),
    ("darwin", "386"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
];

/// The platforms we publish: the ones Rust tier 1/2 builds easily and users ask for.
const PUBLISHED: &[(&str, &str)] = &[
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "amd64"),
    ("windows", "arm64"),
];

/// File names krew's validator accepts as a license after install (case-insensitive).
const LICENSE_NAMES: &[&str] = &[
    "license",
    "license.txt",
    "license.md",
    "licenses",
    "licenses.txt",
    "licenses.md",
    "copying",
    "copying.txt",
];

/// krew-index wants the manifest at `plugins/<name>.yaml`.
const PLUGIN_NAME: &str = "imageupdate";

const ARCHIVE_PREFIX: &str = "kubectl-imageupdate";

fn project_manifest() -> String {
    std::fs::read_to_string(common::project().join("krew-manifest.yaml")).expect("read manifest")
}

/// One platform entry, as far as the tests need it.
#[derive(Debug, Clone)]
struct Platform {
    pairs: BTreeSet<(String, String)>,
    uri: String,
    sha256: String,
    bin: String,
    files: Vec<(String, String)>,
}

fn scalar<'a>(y: &'a Yaml, map: NodeId, key: &str) -> Option<&'a str> {
    y.get(map, key).and_then(|n| y.non_null_str(n))
}

/// Every os/arch pair of `KREW_PAIRS` a label selector matches, or the
/// reason the selector is invalid. krew uses Kubernetes' LabelSelector
/// semantics: matchLabels and matchExpressions are ANDed.
fn selector_pairs(y: &Yaml, selector: NodeId) -> Result<BTreeSet<(String, String)>, String> {
    if !y.is_mapping(selector) || y.entries(selector).is_empty() {
        return Err("selector is missing or empty".into());
    }
    type Req = Box<dyn Fn(&str, &str) -> bool>;
    let mut reqs: Vec<Req> = Vec::new();
    for &(k, v) in y.entries(selector) {
        match y.str(k) {
            Some("matchLabels") => {
                if !y.is_mapping(v) || y.entries(v).is_empty() {
                    return Err("matchLabels is empty".into());
                }
                for &(lk, lv) in y.entries(v) {
                    let key = y.str(lk).unwrap_or_default().to_string();
                    let want = y.str(lv).unwrap_or_default().to_string();
                    if key != "os" && key != "arch" {
                        return Err(format!("selector key {key:?} is not os or arch"));
                    }
                    reqs.push(Box::new(move |os, arch| {
                        (if key == "os" { os } else { arch }) == want
                    }));
                }
            }
            Some("matchExpressions") => {
                if !y.is_sequence(v) || y.items(v).is_empty() {
                    return Err("matchExpressions is empty".into());
                }
                for &e in y.items(v) {
                    let key = scalar(y, e, "key").unwrap_or_default().to_string();
                    if key != "os" && key != "arch" {
                        return Err(format!("selector key {key:?} is not os or arch"));
                    }
                    let values: Vec<String> = y
                        .get(e, "values")
                        .map(|vs| {
                            y.items(vs)
                                .iter()
                                .filter_map(|&n| y.str(n))
                                .map(String::from)
                                .collect()
                        })
                        .unwrap_or_default();
                    let negate = match scalar(y, e, "operator") {
                        Some("In") => false,
                        Some("NotIn") => true,
                        other => return Err(format!("operator {other:?} not handled here")),
                    };
                    reqs.push(Box::new(move |os, arch| {
                        let got = if key == "os" { os } else { arch };
                        values.iter().any(|v| v == got) != negate
                    }));
                }
            }
            other => {
                return Err(format!(
                    "selector field {other:?} is not matchLabels/matchExpressions"
                ));
            }
        }
    }
    Ok(KREW_PAIRS
        .iter()
        .filter(|(os, arch)| reqs.iter().all(|r| r(os, arch)))
        .map(|&(os, arch)| (os.to_string(), arch.to_string()))
        .collect())
}

fn is_semver_with_v(version: &str) -> bool {
    version
        .strip_prefix('v')
        .is_some_and(|v| semver::Version::parse(v).is_ok())
}

fn is_lower_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_reserved_windows_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ["COM", "LPT"].iter().any(|p| {
            upper
                .strip_prefix(p)
                .is_some_and(|n| n.len() == 1 && (b'1'..=b'9').contains(&n.as_bytes()[0]))
        })
}

/// krew's `files[].from` is a glob; ours are plain names, but `*` must still work.
fn glob_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.len() >= head.len() + tail.len() && name.starts_with(head) && name.ends_with(tail)
        }
    }
}

/// Checks `text` against krew's manifest rules and ours, returning every
/// violation (empty when valid) and the platform entries it read.
fn check_manifest(text: &str, file_stem: &str) -> (Vec<String>, Vec<Platform>) {
    let mut errs = Vec::new();
    let y = yaml::parse(text);
    if let Some(e) = &y.error {
        return (vec![format!("YAML syntax error: {}", e.message)], vec![]);
    }
    for d in &y.duplicate_keys {
        errs.push(format!("duplicate key {:?}", d.key));
    }
    let roots: Vec<NodeId> = y.roots().collect();
    if roots.len() != 1 {
        return (
            vec![format!("expected one YAML document, found {}", roots.len())],
            vec![],
        );
    }
    let root = roots[0];

    if y.path_str(root, &["apiVersion"]) != Some("krew.googlecontainertools.github.com/v1alpha2") {
        errs.push("apiVersion is not krew.googlecontainertools.github.com/v1alpha2".into());
    }
    if y.path_str(root, &["kind"]) != Some("Plugin") {
        errs.push("kind is not Plugin".into());
    }
    let name = y.path_str(root, &["metadata", "name"]).unwrap_or_default();
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if !name_ok {
        errs.push(format!("metadata.name {name:?} does not match ^[\\w-]+$"));
    }
    if is_reserved_windows_name(name) {
        errs.push(format!(
            "metadata.name {name:?} is a reserved Windows device name"
        ));
    }
    if name != file_stem {
        errs.push(format!(
            "metadata.name {name:?} is not the file name {file_stem:?}"
        ));
    }
    let version = y.path_str(root, &["spec", "version"]).unwrap_or_default();
    if !is_semver_with_v(version) {
        errs.push(format!(
            "spec.version {version:?} is not semver with a leading v"
        ));
    }
    let want_version = format!("v{}", env!("CARGO_PKG_VERSION"));
    if version != want_version {
        errs.push(format!(
            "spec.version {version:?} is not {want_version:?} (Cargo.toml)"
        ));
    }
    match y.path_str(root, &["spec", "shortDescription"]) {
        None => errs.push("spec.shortDescription is missing".into()),
        Some(s) if s.contains(['\r', '\n']) => {
            errs.push("spec.shortDescription has a line break".into())
        }
        Some(s) if s.trim().is_empty() => errs.push("spec.shortDescription is blank".into()),
        Some(_) => {}
    }
    if y.path_str(root, &["spec", "description"])
        .is_none_or(|d| d.trim().is_empty())
    {
        errs.push("spec.description is missing".into());
    }
    if !y
        .path_str(root, &["spec", "homepage"])
        .is_some_and(|h| h.starts_with("https://"))
    {
        errs.push("spec.homepage is missing or not https".into());
    }

    let mut platforms = Vec::new();
    let items = y
        .path(root, &["spec", "platforms"])
        .map(|p| y.items(p).to_vec())
        .unwrap_or_default();
    if items.is_empty() {
        errs.push("spec.platforms is missing or empty".into());
    }
    for (i, &p) in items.iter().enumerate() {
        let at = format!("platforms[{i}]");
        let pairs = match y.get(p, "selector").map(|s| selector_pairs(&y, s)) {
            None => {
                errs.push(format!("{at}: selector is missing"));
                BTreeSet::new()
            }
            Some(Err(e)) => {
                errs.push(format!("{at}: {e}"));
                BTreeSet::new()
            }
            Some(Ok(pairs)) => {
                if pairs.is_empty() {
                    errs.push(format!("{at}: selector matches no os/arch krew supports"));
                }
                pairs
            }
        };
        let uri = scalar(&y, p, "uri").unwrap_or_default().to_string();
        if !(uri.ends_with(".tar.gz") || uri.ends_with(".zip")) {
            errs.push(format!("{at}: uri {uri:?} is not a .tar.gz or .zip"));
        }
        let sha256 = scalar(&y, p, "sha256").unwrap_or_default().to_string();
        if !is_lower_sha256(&sha256) {
            errs.push(format!(
                "{at}: sha256 {sha256:?} is not 64 lowercase hex digits"
            ));
        }
        let bin = scalar(&y, p, "bin").unwrap_or_default().to_string();
        if bin.is_empty() {
            errs.push(format!("{at}: bin is missing"));
        }
        let mut files = Vec::new();
        if let Some(f) = y.get(p, "files") {
            if y.items(f).is_empty() {
                errs.push(format!("{at}: files is given but empty"));
            }
            for &e in y.items(f) {
                match (scalar(&y, e, "from"), scalar(&y, e, "to")) {
                    (Some(from), Some(to)) => files.push((from.to_string(), to.to_string())),
                    _ => errs.push(format!("{at}: a files entry lacks from or to")),
                }
            }
            // krew-index rejects a plugin with no license after install.
            let license_copied = files.iter().any(|(from, _)| {
                LICENSE_NAMES
                    .iter()
                    .any(|l| glob_matches(&from.to_ascii_lowercase(), l))
            });
            if !license_copied {
                errs.push(format!("{at}: files does not install a LICENSE"));
            }
            if !files.iter().any(|(from, _)| glob_matches(from, &bin)) {
                errs.push(format!("{at}: files does not install bin {bin:?}"));
            }
        }
        // Our own conventions: one archive per pair, named after it, under the release tag.
        if let [(os, arch)] = pairs.iter().collect::<Vec<_>>()[..] {
            let archive = uri.rsplit('/').next().unwrap_or_default();
            if !archive.starts_with(&format!("{ARCHIVE_PREFIX}_{os}_{arch}.")) {
                errs.push(format!(
                    "{at}: uri {uri:?} does not name the {os}/{arch} archive"
                ));
            }
            // krew runs only .exe entry points on Windows.
            if (os == "windows") != bin.ends_with(".exe") {
                errs.push(format!("{at}: bin {bin:?} does not suit {os}"));
            }
        } else if !pairs.is_empty() {
            errs.push(format!(
                "{at}: selector matches {} pairs; we publish one archive per pair",
                pairs.len()
            ));
        }
        if !uri.contains(&format!("/releases/download/{version}/")) {
            errs.push(format!(
                "{at}: uri {uri:?} is not under the {version} release"
            ));
        }
        platforms.push(Platform {
            pairs,
            uri,
            sha256,
            bin,
            files,
        });
    }

    // validate-krew-manifest: no os/arch pair may be matched by two entries.
    let mut seen = BTreeSet::new();
    for p in &platforms {
        for pair in &p.pairs {
            if !seen.insert(pair.clone()) {
                errs.push(format!(
                    "{}/{} is matched by more than one platform",
                    pair.0, pair.1
                ));
            }
        }
    }
    let published: BTreeSet<(String, String)> = PUBLISHED
        .iter()
        .map(|&(o, a)| (o.to_string(), a.to_string()))
        .collect();
    if seen != published {
        errs.push(format!(
            "platforms cover {seen:?}, expected exactly {published:?}"
        ));
    }
    (errs, platforms)
}

#[test]
fn manifest_passes_krew_validation() {
    let (errs, platforms) = check_manifest(&project_manifest(), PLUGIN_NAME);
    assert!(errs.is_empty(), "krew-manifest.yaml:\n{}", errs.join("\n"));
    assert_eq!(platforms.len(), PUBLISHED.len());
    // The LICENSE the manifest installs must exist to be packed.
    assert!(common::project().join("LICENSE").is_file());
}

/// The checker itself must catch what krew-index would reject; otherwise the
/// test above proves nothing.
#[test]
fn manifest_checker_rejects_what_krew_rejects() {
    let good = project_manifest();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "uppercase sha256",
            good.replacen(&"0".repeat(64), &"A".repeat(64), 1),
            "lowercase hex",
        ),
        (
            "short sha256",
            good.replacen(&"0".repeat(64), "abc", 1),
            "lowercase hex",
        ),
        (
            "version without v",
            good.replacen("version: v", "version: ", 1),
            "leading v",
        ),
        (
            "name mismatch",
            good.replacen("name: imageupdate", "name: image-update", 1),
            "file name",
        ),
        (
            "bad name",
            good.replacen("name: imageupdate", "name: image.update", 1),
            "^[\\w-]+$",
        ),
        (
            "zip-less uri",
            good.replacen("_linux_amd64.tar.gz", "_linux_amd64.tar.xz", 1),
            ".tar.gz or .zip",
        ),
        (
            "foreign selector key",
            good.replacen("os: linux", "kernel: linux", 1),
            "not os or arch",
        ),
        (
            "multi-line shortDescription",
            good.replacen("shortDescription: Lint", "shortDescription: \"Lint\\n", 1)
                .replacen(
                    "repositories\n  description",
                    "repositories\"\n  description",
                    1,
                ),
            "line break",
        ),
        (
            "pair matched twice",
            good.replacen("arch: arm64", "arch: amd64", 1),
            "more than one platform",
        ),
        (
            "no LICENSE",
            good.replacen("from: LICENSE", "from: README.md", 1),
            "LICENSE",
        ),
        (
            "windows without .exe",
            good.replacen(
                "bin: kubectl-imageupdate.exe",
                "bin: kubectl-imageupdate",
                1,
            ),
            "does not suit windows",
        ),
    ];
    for (what, text, expect) in cases {
        assert_ne!(text, good, "{what}: the mutation did not apply");
        let (errs, _) = check_manifest(&text, PLUGIN_NAME);
        assert!(
            errs.iter().any(|e| e.contains(expect)),
            "{what}: expected an error containing {expect:?}, got {errs:#?}"
        );
    }
}

/// krew's names for the platform the tests run on.
fn host_pair() -> (&'static str, &'static str) {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    (os, arch)
}

fn run_release(out: &Path, extra: &[&str]) -> String {
    let started = std::time::Instant::now();
    let output = Command::new(common::project().join("scripts/release"))
        .arg("--out")
        .arg(out)
        .args(extra)
        .current_dir(common::project())
        .output()
        .expect("scripts/release runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "scripts/release failed ({:?}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "scripts/release {extra:?} took {:.1?}:\n{stdout}",
        started.elapsed()
    );
    stdout
}

/// sha256 by an independent tool (not the python the script uses).
fn sha256_file(path: &Path) -> String {
    let (prog, args): (&str, &[&str]) =
        if Command::new("sha256sum").arg("--version").output().is_ok() {
            ("sha256sum", &[])
        } else {
            ("shasum", &["-a", "256"])
        };
    let out = Command::new(prog)
        .args(args)
        .arg(path)
        .output()
        .expect("sha256 tool runs");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("digest")
        .to_string()
}

fn tar_list(archive: &Path) -> Vec<String> {
    let out = Command::new("tar")
        .arg("-tzf")
        .arg(archive)
        .output()
        .expect("tar runs");
    assert!(
        out.status.success(),
        "tar -tzf: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn release_archive_installs_like_krew() {
    let (os, arch) = host_pair();
    let out = tempfile::tempdir().expect("tempdir");
    run_release(out.path(), &[]);

    // Archive: exactly the binary and the license, at the root, sorted.
    let archive = out
        .path()
        .join(format!("{ARCHIVE_PREFIX}_{os}_{arch}.tar.gz"));
    assert!(archive.is_file(), "no {}", archive.display());
    let exe = if os == "windows" {
        "kubectl-imageupdate.exe"
    } else {
        "kubectl-imageupdate"
    };
    let listing = tar_list(&archive);
    assert_eq!(listing, vec!["LICENSE".to_string(), exe.to_string()]);

    // Filled manifest: still valid, host sha256 is the archive's, the other
    // platforms keep what krew-manifest.yaml had.
    let filled_path = out.path().join(format!("{PLUGIN_NAME}.yaml"));
    let filled = std::fs::read_to_string(&filled_path).expect("filled manifest written");
    let (errs, platforms) = check_manifest(&filled, PLUGIN_NAME);
    assert!(errs.is_empty(), "filled manifest:\n{}", errs.join("\n"));
    let (_, original) = check_manifest(&project_manifest(), PLUGIN_NAME);
    let host_key = (os.to_string(), arch.to_string());
    let host: Vec<&Platform> = platforms
        .iter()
        .filter(|p| p.pairs.contains(&host_key))
        .collect();
    assert_eq!(host.len(), 1, "exactly one entry for {os}/{arch}");
    let host = host[0];
    let digest = sha256_file(&archive);
    eprintln!("{os}/{arch} archive sha256 {digest}, entries {listing:?}");
    assert_eq!(host.sha256, digest, "manifest sha256 is the archive's");
    assert!(
        host.uri
            .ends_with(&format!("/{ARCHIVE_PREFIX}_{os}_{arch}.tar.gz"))
    );
    for (new, old) in platforms.iter().zip(&original) {
        assert_eq!(new.pairs, old.pairs, "entries keep their order");
        if !new.pairs.contains(&host_key) {
            assert_eq!(new.sha256, old.sha256, "{:?} sha256 untouched", new.pairs);
        }
    }

    // Install the way krew does: extract, copy each `files` match, run `bin`.
    let unpacked = out.path().join("unpacked");
    std::fs::create_dir(&unpacked).expect("mkdir");
    let st = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .expect("tar");
    assert!(st.success());
    let install = out.path().join("install");
    std::fs::create_dir(&install).expect("mkdir");
    for (from, to) in &host.files {
        let matched: Vec<PathBuf> = std::fs::read_dir(&unpacked)
            .expect("read")
            .map(|e| e.expect("entry").path())
            .filter(|p| glob_matches(from, &p.file_name().unwrap().to_string_lossy()))
            .collect();
        assert!(
            !matched.is_empty(),
            "files.from {from:?} matches nothing in the archive"
        );
        for m in matched {
            let dest = install.join(to).join(m.file_name().unwrap());
            std::fs::copy(&m, &dest).expect("copy");
        }
    }
    assert!(
        install.join("LICENSE").is_file(),
        "LICENSE present after install"
    );
    let bin = install.join(&host.bin);
    assert!(bin.is_file(), "bin {:?} is in the archive", host.bin);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&bin).expect("stat").permissions().mode();
        assert!(mode & 0o111 != 0, "bin is executable: {mode:o}");
    }
    let ver = Command::new(&bin)
        .arg("--version")
        .output()
        .expect("installed binary runs");
    assert!(ver.status.success());
    let printed = String::from_utf8_lossy(&ver.stdout);
    assert!(
        printed
            .split_whitespace()
            .any(|w| w == env!("CARGO_PKG_VERSION")),
        "--version printed {printed:?}, want {}",
        env!("CARGO_PKG_VERSION")
    );

    // Reproducible: packing the same binary again gives the same bytes, so
    // the sha256 in the index can be re-checked by anyone.
    let again = tempfile::tempdir().expect("tempdir");
    run_release(again.path(), &["--skip-build"]);
    let archive2 = again.path().join(archive.file_name().unwrap());
    assert_eq!(
        std::fs::read(&archive).unwrap(),
        std::fs::read(&archive2).unwrap(),
        "archive is reproducible"
    );

    // The real thing, when krew happens to be installed. Never installed
    // from the network here: tests run offline.
    let krew = Command::new("kubectl").args(["krew", "version"]).output();
    if krew.is_ok_and(|o| o.status.success()) {
        let krew_root = out.path().join("krew-root");
        let st = Command::new("kubectl")
            .args(["krew", "install"])
            .arg(format!("--manifest={}", filled_path.display()))
            .arg(format!("--archive={}", archive.display()))
            .env("KREW_ROOT", &krew_root)
            .status()
            .expect("kubectl krew runs");
        assert!(st.success(), "kubectl krew install --manifest --archive");
    } else {
        eprintln!("kubectl krew is not installed: skipped the real `kubectl krew install`");
    }
}
