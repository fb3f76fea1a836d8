use super::RefErrorKind::*;
use super::*;

const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

#[track_caller]
fn ok(s: &str) -> ImageRef {
    parse(s).unwrap_or_else(|e| panic!("{s:?} should parse, got {e:?}"))
}

#[track_caller]
fn err(s: &str) -> RefError {
    match parse(s) {
        Ok(r) => panic!("{s:?} should fail, parsed as {r:?}"),
        Err(e) => e,
    }
}

fn show(part: Option<&str>) -> &str {
    match part {
        None => "-",
        Some(x) if x == D => "D",
        Some(x) => x,
    }
}

/// One line per reference: `domain|path|tag|digest => normalized name`,
/// `-` for an absent part and `D` for the digest constant. Also checks
/// that `name()` is the written domain and path.
#[track_caller]
fn shape(s: &str) -> String {
    let r = ok(s);
    assert_eq!(r.as_str(), s);
    let name = match r.domain() {
        Some(d) => format!("{d}/{}", r.path()),
        None => r.path().to_owned(),
    };
    assert_eq!(r.name(), name, "name of {s:?}");
    let (d, p, t, g) = (r.domain(), r.path(), r.tag(), r.digest());
    let n = r.normalized_name();
    format!("{}|{p}|{}|{} => {n}", show(d), show(t), show(g))
}

#[track_caller]
fn fails(s: &str, kind: RefErrorKind, fragment: &str) {
    let e = err(s);
    assert_eq!(e.kind(), kind, "kind for {s:?}: {e}");
    assert_eq!(e.fragment(), fragment, "fragment for {s:?}");
    assert_eq!(&s[e.range()], fragment);
}

fn hex(n: usize) -> String {
    "0123456789abcdef".chars().cycle().take(n).collect()
}

// --- ecosystem.md §7.2 ------------------------------------------------

#[test]
fn row_01_bare_name() {
    assert_eq!(shape("nginx"), "-|nginx|-|- => docker.io/library/nginx");
    let r = ok("nginx");
    assert_eq!(r.effective_tag(), Some("latest"));
    assert_eq!(r.normalized(), "docker.io/library/nginx");
    assert_eq!(r.normalized_domain(), Some("docker.io"));
    assert_eq!(r.familiar_name(), "nginx");
}

#[test]
fn row_02_name_and_tag() {
    assert_eq!(
        shape("nginx:1.25.3"),
        "-|nginx|1.25.3|- => docker.io/library/nginx"
    );
    let r = ok("nginx:1.25.3");
    assert_eq!(r.normalized(), "docker.io/library/nginx:1.25.3");
    assert_eq!(r.tag_range(), Some(6..12));
}

#[test]
fn row_03_library_prefix_written() {
    let s = "library/nginx:latest";
    assert_eq!(
        shape(s),
        "-|library/nginx|latest|- => docker.io/library/nginx"
    );
    assert_eq!(ok(s).familiar_name(), "nginx");
    assert_eq!(ok(s).normalized(), "docker.io/library/nginx:latest");
}

#[test]
fn row_04_namespaced_docker_hub() {
    let s = "bitnami/redis:7.2.4-debian-12-r0";
    let want = "-|bitnami/redis|7.2.4-debian-12-r0|- => docker.io/bitnami/redis";
    assert_eq!(shape(s), want);
    assert_eq!(ok(s).familiar_name(), "bitnami/redis");
}

#[test]
fn row_05_docker_io_one_component() {
    let s = "docker.io/nginx";
    assert_eq!(shape(s), "docker.io|nginx|-|- => docker.io/library/nginx");
    assert_eq!(ok(s).familiar_name(), "nginx");
}

#[test]
fn row_06_index_docker_io_rewritten() {
    let s = "index.docker.io/library/nginx:1.25";
    let want = "index.docker.io|library/nginx|1.25|- => docker.io/library/nginx";
    assert_eq!(shape(s), want);
    let r = ok(s);
    assert_eq!(r.normalized_domain(), Some("docker.io"));
    assert_eq!(r.normalized(), "docker.io/library/nginx:1.25");
    assert_eq!(r.familiar_name(), "nginx");
}

#[test]
fn row_07_registry_1_docker_io_not_canonicalised() {
    let s = "registry-1.docker.io/library/nginx";
    let want = "registry-1.docker.io|library/nginx|-|- => registry-1.docker.io/library/nginx";
    assert_eq!(shape(s), want);
    let r = ok(s);
    assert!(!r.is_docker_hub());
    assert_eq!(r.familiar_name(), s);
    assert!(!same_repository(&r, &ok("nginx")));
}

#[test]
fn row_08_ghcr() {
    let s = "ghcr.io/fluxcd/source-controller:v1.3.0";
    let want = "ghcr.io|fluxcd/source-controller|v1.3.0|- => ghcr.io/fluxcd/source-controller";
    assert_eq!(shape(s), want);
    assert_eq!(ok(s).domain_range(), Some(0..7));
    assert_eq!(ok(s).path_range(), 8..32);
    assert_eq!(ok(s).name_range(), 0..32);
}

#[test]
fn row_09_tag_and_digest_kept() {
    let s = format!("quay.io/prometheus/node-exporter:v1.8.1@{D}");
    let want = "quay.io|prometheus/node-exporter|v1.8.1|D => quay.io/prometheus/node-exporter";
    assert_eq!(shape(&s), want);
    let r = ok(&s);
    assert_eq!(r.normalized(), s);
    assert_eq!(r.effective_tag(), Some("v1.8.1"));
    assert_eq!(r.digest_range(), Some(40..s.len()));
}

#[test]
fn row_10_short_name_tag_digest() {
    let s = format!("nginx:1.25@{D}");
    assert_eq!(shape(&s), "-|nginx|1.25|D => docker.io/library/nginx");
    assert_eq!(
        ok(&s).normalized(),
        format!("docker.io/library/nginx:1.25@{D}")
    );
    // Digest only: no implied `latest`.
    assert_eq!(ok(&format!("nginx@{D}")).effective_tag(), None);
}

#[test]
fn row_11_localhost_domain() {
    assert_eq!(
        shape("localhost/app:dev"),
        "localhost|app|dev|- => localhost/app"
    );
}

#[test]
fn row_12_localhost_with_port() {
    let s = "localhost:5000/team/app:1.0.0";
    assert_eq!(
        shape(s),
        "localhost:5000|team/app|1.0.0|- => localhost:5000/team/app"
    );
}

#[test]
fn row_13_ipv4_with_port() {
    let s = "127.0.0.1:5000/team/app:1.0.0";
    assert_eq!(
        shape(s),
        "127.0.0.1:5000|team/app|1.0.0|- => 127.0.0.1:5000/team/app"
    );
}

#[test]
fn row_14_ipv6_with_port() {
    assert_eq!(
        shape("[::1]:5000/app:1.0"),
        "[::1]:5000|app|1.0|- => [::1]:5000/app"
    );
}

#[test]
fn row_15_colon_makes_a_registry() {
    let s = "my-registry:5000/app";
    assert_eq!(shape(s), "my-registry:5000|app|-|- => my-registry:5000/app");
}

#[test]
fn row_16_plain_first_component_is_docker_hub_user() {
    let s = "myregistry/app:1.0";
    assert_eq!(
        shape(s),
        "-|myregistry/app|1.0|- => docker.io/myregistry/app"
    );
}

#[test]
fn row_17_uppercase_domain_kept() {
    let s = "Registry.Example.COM/app:1.0";
    let want = "Registry.Example.COM|app|1.0|- => Registry.Example.COM/app";
    assert_eq!(shape(s), want);
    // Hosts compare case-insensitively in `same_repository`.
    assert!(same_repository(&ok(s), &ok("registry.example.com/app:2")));
}

#[test]
fn row_18_uppercase_first_component_is_a_domain() {
    assert_eq!(shape("Foo/bar:1.0"), "Foo|bar|1.0|- => Foo/bar");
    assert!(!same_repository(&ok("Foo/bar"), &ok("foo/bar")));
}

#[test]
fn row_19_localhost_port_trap() {
    let s = "localhost:5000";
    assert_eq!(
        shape(s),
        "-|localhost|5000|- => docker.io/library/localhost"
    );
    assert_eq!(ok(s).normalized(), "docker.io/library/localhost:5000");
    assert!(registry_port_trap(s));
}

#[test]
fn row_20_registry_port_trap() {
    let s = "registry:5000";
    assert_eq!(shape(s), "-|registry|5000|- => docker.io/library/registry");
    assert!(registry_port_trap(s));
}

#[test]
fn row_21_ecr_host() {
    let host = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    let s = format!("{host}/app:1.0");
    assert_eq!(shape(&s), format!("{host}|app|1.0|- => {host}/app"));
}

#[test]
fn row_22_separators_inside_components() {
    let s = "foo__bar/baz--qux.v2:tag";
    assert_eq!(
        shape(s),
        "-|foo__bar/baz--qux.v2|tag|- => docker.io/foo__bar/baz--qux.v2"
    );
}

#[test]
fn row_23_sha512_digest() {
    let digest = format!("sha512:{}", hex(128));
    let s = format!("app:1.0.0@{digest}");
    assert_eq!(
        shape(&s),
        format!("-|app|1.0.0|{digest} => docker.io/library/app")
    );
}

#[test]
fn row_24_library_library() {
    let s = "docker.io/library/library/nginx";
    assert_eq!(
        shape(s),
        "docker.io|library/library/nginx|-|- => docker.io/library/library/nginx"
    );
    // The familiar form keeps `library/` when dropping it leaves two components.
    assert_eq!(ok(s).familiar_name(), "library/library/nginx");
}

#[test]
fn row_25_uppercase_single_component() {
    fails("MyApp:1.0", UppercasePath, "MyApp");
    assert_eq!(
        err("MyApp:1.0").to_string(),
        "repository path `MyApp` must be lowercase"
    );
}

#[test]
fn row_26_uppercase_second_component() {
    fails("team/MyApp:1.0", UppercasePath, "MyApp");
    assert_eq!(err("team/MyApp:1.0").range(), 5..10);
}

#[test]
fn row_27_empty_tag() {
    fails("nginx:", InvalidTag, "");
    assert_eq!(err("nginx:").range(), 6..6);
    assert_eq!(err("nginx:").to_string(), "tag is empty");
}

#[test]
fn row_28_tag_starting_with_dash() {
    fails("nginx:-bad", InvalidTag, "-bad");
    fails("nginx:.bad", InvalidTag, ".bad");
    assert_eq!(
        shape("nginx:_ok"),
        "-|nginx|_ok|- => docker.io/library/nginx"
    );
}

#[test]
fn row_29_tag_length_128_ok_129_too_long() {
    let t128 = format!("a{}", "b".repeat(127));
    assert_eq!(ok(&format!("nginx:{t128}")).tag(), Some(t128.as_str()));
    let t129 = format!("{t128}c");
    fails(&format!("nginx:{t129}"), TagTooLong, &t129);
    assert!(err(&format!("nginx:{t129}")).to_string().contains("129"));
    // A bad character is reported before the length.
    fails(&format!("nginx:{t128}~"), InvalidTag, &format!("{t128}~"));
}

#[test]
fn row_30_plus_not_allowed_in_tags() {
    fails(
        "example.com:443/a/b:v1.0.0-rc.1+build",
        InvalidTag,
        "v1.0.0-rc.1+build",
    );
    let s = "example.com:443/a/b:v1.0.0-rc.1_build";
    assert_eq!(
        shape(s),
        "example.com:443|a/b|v1.0.0-rc.1_build|- => example.com:443/a/b"
    );
}

#[test]
fn row_31_separators_cannot_lead_trail_or_double() {
    fails("a_/b", InvalidPath, "a_");
    fails("foo/_bar", InvalidPath, "_bar");
    // `a..b` has a `.`, so it is taken as the registry, and is no host.
    fails("a..b/c", InvalidDomain, "a..b");
    fails("a/b/", InvalidPath, "");
    assert_eq!(err("a/b/").range(), 4..4);
    fails("a/b.-c", InvalidPath, "b.-c");
    fails("a/b___c", InvalidPath, "b___c");
    fails("a/b._c", InvalidPath, "b._c");
}

#[test]
fn row_32_short_digest() {
    fails("nginx@sha256:abc", DigestLength, "sha256:abc");
    let msg = "digest `sha256:abc` has 3 hex digits but sha256 needs 64";
    assert_eq!(err("nginx@sha256:abc").to_string(), msg);
}

#[test]
fn row_33_wrong_length_or_uppercase_hex() {
    let d40 = format!("sha256:{}", hex(40));
    fails(&format!("nginx@{d40}"), DigestLength, &d40);
    let upper = format!("sha256:{}", hex(64).to_uppercase());
    fails(&format!("nginx@{upper}"), InvalidDigest, &upper);
}

#[test]
fn row_34_unsupported_algorithm() {
    let md5 = format!("md5:{}", hex(32));
    fails(&format!("nginx@{md5}"), UnsupportedDigest, &md5);
}

#[test]
fn row_35_image_id_rejected() {
    fails(&hex(64), ImageId, &hex(64));
    // Only the exact 64-hex string: with a tag it is a valid name.
    let with_tag = format!("{}:1", hex(64));
    assert_eq!(
        ok(&with_tag).normalized(),
        format!("docker.io/library/{with_tag}")
    );
    ok(&hex(63));
    ok(&hex(65));
}

#[test]
fn row_36_path_255_ok_256_too_long() {
    let p255 = format!("a/{}", "b".repeat(253));
    assert_eq!(p255.len(), 255);
    ok(&format!("example.com/{p255}"));
    let p256 = format!("{p255}c");
    fails(&format!("example.com/{p256}:1"), NameTooLong, &p256);
    // The domain does not count (v0.6.0).
    ok(&format!("{}.com/{p255}", "d".repeat(200)));
}

#[test]
fn row_37_url_scheme() {
    fails("HTTPS://ghcr.io/app", HasScheme, "HTTPS://");
    fails("oci://ghcr.io/app", HasScheme, "oci://");
}

// --- edge cases -------------------------------------------------------

#[test]
fn edge_empty_string() {
    fails("", Empty, "");
    assert_eq!(err("").range(), 0..0);
}

#[test]
fn edge_tag_alone() {
    fails(":tag", MissingName, ":tag");
    fails(":", MissingName, ":");
    fails("docker.io/:tag", MissingName, "docker.io/:tag");
}

#[test]
fn edge_digest_alone() {
    let s = format!("@{D}");
    fails(&s, MissingName, &s);
}

#[test]
fn edge_slashes() {
    fails("nginx/", InvalidPath, "");
    fails("/nginx", InvalidPath, "");
    fails("a//b", InvalidPath, "");
    assert_eq!(err("a//b").range(), 2..2);
    fails("ghcr.io/", MissingName, "ghcr.io/");
}

#[test]
fn edge_implied_library_counts_toward_length() {
    // 247 + "library/" = 255 is fine; 248 + 8 = 256 is too long.
    ok(&"a".repeat(247));
    fails(&"a".repeat(248), NameTooLong, &"a".repeat(248));
    fails(
        &format!("docker.io/{}", "a".repeat(248)),
        NameTooLong,
        &"a".repeat(248),
    );
    // Two components on Docker Hub get no prefix.
    ok(&format!("a/{}", "b".repeat(253)));
}

#[test]
fn edge_whitespace() {
    fails(" nginx", Whitespace, " ");
    fails("nginx:1.0 ", Whitespace, " ");
    fails("nginx:1.0 - 2.0", Whitespace, " ");
    fails("nginx\t:1", Whitespace, "\t");
}

#[test]
fn edge_domains() {
    assert_eq!(shape("[fe80::1]/app"), "[fe80::1]|app|-|- => [fe80::1]/app");
    assert_eq!(shape("a.b-c.d:1/x"), "a.b-c.d:1|x|-|- => a.b-c.d:1/x");
    fails("[::g]:5000/app", InvalidDomain, "[::g]:5000");
    fails("[]:5000/app", InvalidDomain, "[]:5000");
    fails("host:abc/app", InvalidDomain, "host:abc");
    fails("host:/app", InvalidDomain, "host:");
    fails("-bad.com/app", InvalidDomain, "-bad.com");
    fails(
        "localhost:5000:6000/app",
        InvalidDomain,
        "localhost:5000:6000",
    );
    fails("Foo_Bar/x", InvalidDomain, "Foo_Bar");
    // An uppercase domain does not excuse an uppercase path.
    fails("Foo/Bar", UppercasePath, "Bar");
}

#[test]
fn edge_dotted_first_component_that_is_no_host_joins_the_path() {
    // Go: ParseNormalizedNamed("my_reg.io/app") succeeds with Domain ""
    // and Path "my_reg.io/app"; Docker Hub does not apply.
    assert_eq!(
        shape("my_reg.io/app:1"),
        "-|my_reg.io/app|1|- => my_reg.io/app"
    );
    let r = ok("my_reg.io/app");
    assert_eq!(r.normalized_domain(), None);
    assert_eq!(r.familiar_name(), "my_reg.io/app");
    assert!(!r.is_docker_hub());
}

#[test]
fn edge_tag_and_digest_shapes() {
    fails("nginx:1.0:2", InvalidTag, "1.0:2");
    fails("a/b:c/d", InvalidTag, "c/d");
    fails("nginx@", InvalidDigest, "");
    fails(&format!("nginx@{D}@x"), InvalidDigest, &format!("{D}@x"));
    fails("nginx@sha256", InvalidDigest, "sha256");
    let bad_algo = format!("1sha:{}", hex(64));
    fails(&format!("nginx@{bad_algo}"), InvalidDigest, &bad_algo);
    let sha384 = format!("sha384:{}", hex(96));
    assert_eq!(
        ok(&format!("nginx@{sha384}")).digest(),
        Some(sha384.as_str())
    );
    let s = format!("nginx:1@{D}");
    assert_eq!(
        (ok(&s).tag_range(), ok(&s).digest_range()),
        (Some(6..7), Some(8..s.len()))
    );
    assert_eq!(
        shape("nginx:V1-ALPINE"),
        "-|nginx|V1-ALPINE|- => docker.io/library/nginx"
    );
    // Non-ASCII is never valid, and never panics.
    fails("nginx:1.0é", InvalidTag, "1.0é");
    fails("ngïnx", InvalidPath, "ngïnx");
    fails("ÄBC", UppercasePath, "ÄBC");
}

#[test]
fn edge_from_str_display_and_same_repository() {
    let r: ImageRef = "index.docker.io/nginx:1".parse().unwrap();
    assert_eq!(r.to_string(), "index.docker.io/nginx:1");
    assert_eq!(r.normalized_name(), "docker.io/library/nginx");
    assert!(same_repository(&r, &ok("nginx")));
    assert!(same_repository(
        &ok("docker.io/library/nginx"),
        &ok("library/nginx:2")
    ));
    assert!(!same_repository(&ok("nginx"), &ok("ghcr.io/nginx")));
    assert!(same_repository(
        &ok("my_reg.io/app"),
        &ok("my_reg.io/app:2")
    ));
    assert!(!same_repository(
        &ok("my_reg.io/app"),
        &ok("docker.io/my_reg.io/app")
    ));
}

#[test]
fn registry_port_trap_positives_and_negatives() {
    for s in [
        "my.registry.com:5000",
        "harbor:8443",
        "nginx:8080",
        "localhost:80",
    ] {
        assert!(registry_port_trap(s), "{s}");
    }
    for s in [
        "registry:2",
        "registry:3",
        "amazonlinux:2023",
        "postgres:16",
        "nginx:1.25",
        "localhost:5000/app",
        "localhost",
        "localhost:99999",
        "localhost:0",
        "Localhost:5000",
    ] {
        assert!(!registry_port_trap(s), "{s}");
    }
    assert!(!registry_port_trap(&format!("localhost:5000@{D}")));
}

// --- Flux ImageRepository.spec.image -----------------------------------

#[test]
fn flux_repository_accepts_plain_and_ported() {
    assert_eq!(
        validate_repository("ghcr.io/org/app").unwrap().name(),
        "ghcr.io/org/app"
    );
    let r = validate_repository("localhost:5000/app").unwrap();
    assert_eq!(r.domain(), Some("localhost:5000"));
    let r = validate_repository("nginx").unwrap();
    assert_eq!(r.normalized_name(), "docker.io/library/nginx");
}

#[track_caller]
fn flux_fails(s: &str, kind: RefErrorKind, fragment: &str) {
    let e = validate_repository(s).unwrap_err();
    assert_eq!((e.kind(), e.fragment()), (kind, fragment), "{s:?}");
    assert_eq!(&s[e.range()], fragment);
}

#[test]
fn flux_repository_rejects_tag_digest_scheme() {
    flux_fails("ghcr.io/org/app:v1.0", HasTag, ":v1.0");
    let msg = "a repository must not include a tag; remove `:v1.0`";
    assert_eq!(
        validate_repository("ghcr.io/org/app:v1.0")
            .unwrap_err()
            .to_string(),
        msg
    );
    flux_fails(&format!("ghcr.io/org/app@{D}"), HasDigest, &format!("@{D}"));
    flux_fails(
        &format!("ghcr.io/org/app:1@{D}"),
        HasTag,
        &format!(":1@{D}"),
    );
    flux_fails("https://ghcr.io/org/app", HasScheme, "https://");
    // The trap: a bare registry address is a repository with a tag.
    flux_fails("registry:5000", HasTag, ":5000");
    // A malformed tag or digest still just has to go.
    flux_fails("ghcr.io/org/app:~1.0", HasTag, ":~1.0");
    flux_fails("ghcr.io/org/app@sha256:abc", HasDigest, "@sha256:abc");
    // Other errors pass through.
    flux_fails("ghcr.io/Org/app", UppercasePath, "Org");
    flux_fails("", Empty, "");
}

// --- argocd.md §7.1 ---------------------------------------------------

#[track_caller]
fn argo(s: &str) -> ArgoImage {
    parse_argo_item(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// `alias|registry|name|constraint|digest`, `-` for absent, `D` for the
/// digest constant; ranges are checked against the texts.
#[track_caller]
fn argo_shape(s: &str) -> String {
    let a = argo(s);
    let at = |r: Option<Range<usize>>| r.map(|r| &s[r]);
    assert_eq!(at(a.alias_range()), a.alias());
    assert_eq!(at(a.registry_range()), a.registry());
    assert_eq!(&s[a.name_range()], a.name());
    assert_eq!(at(a.constraint_range()), a.constraint());
    assert_eq!(at(a.digest_range()), a.digest());
    let (al, re, na) = (show(a.alias()), show(a.registry()), a.name());
    format!(
        "{al}|{re}|{na}|{}|{}",
        show(a.constraint()),
        show(a.digest())
    )
}

#[test]
fn p01_namespaced_without_registry() {
    let s = "jannfis/test-image:0.1";
    assert_eq!(argo_shape(s), "-|-|jannfis/test-image|0.1|-");
    assert_eq!(argo(s).full_name_with_tag(), "jannfis/test-image:0.1");
    assert!(!argo(s).used_legacy_splitter());
}

#[test]
fn p02_single_component() {
    assert_eq!(argo_shape("test-image"), "-|-|test-image|-|-");
    assert_eq!(argo("test-image").full_name_with_tag(), "test-image");
}

#[test]
fn p03_library_not_stripped_when_written_first() {
    assert_eq!(
        argo_shape("library/test-image"),
        "-|-|library/test-image|-|-"
    );
}

#[test]
fn p04_other_registry_keeps_library() {
    let s = "harbor.example.com/library/test-image:0.1";
    assert_eq!(
        argo_shape(s),
        "-|harbor.example.com|library/test-image|0.1|-"
    );
}

#[test]
fn p05_docker_io_kept_when_written() {
    let s = "docker.io/jannfis/test-image:0.1";
    assert_eq!(argo_shape(s), "-|docker.io|jannfis/test-image|0.1|-");
    assert_eq!(argo(s).full_name_with_tag(), s);
}

#[test]
fn p06_short_digest_goes_through_legacy() {
    let s = "gcr.io/jannfis/test-image@sha256:abcde";
    assert_eq!(argo_shape(s), "-|gcr.io|jannfis/test-image|-|sha256:abcde");
    let a = argo(s);
    assert!(a.used_legacy_splitter());
    assert_eq!(a.grammar_error().map(RefError::kind), Some(DigestLength));
    assert_eq!(a.tag_with_digest(), "latest@sha256:abcde");
    assert_eq!(a.full_name_with_tag(), s);
}

#[test]
fn p07_legacy_tag_and_digest() {
    let s = "gcr.io/jannfis/test-image:test-tag@sha256:abcde";
    assert_eq!(
        argo_shape(s),
        "-|gcr.io|jannfis/test-image|test-tag|sha256:abcde"
    );
    let a = argo(s);
    assert!(a.used_legacy_splitter());
    assert_eq!(a.tag_with_digest(), "test-tag@sha256:abcde");
    assert_eq!(a.full_name_with_tag(), s);
}

#[test]
fn p08_grammar_keeps_tag_with_valid_digest() {
    let s = format!("gcr.io/jannfis/test-image:test-tag@{D}");
    assert_eq!(argo_shape(&s), "-|gcr.io|jannfis/test-image|test-tag|D");
    assert!(!argo(&s).used_legacy_splitter());
    assert_eq!(argo(&s).full_name_with_tag(), s);
}

#[test]
fn p09_alias_and_registry() {
    let s = "jannfis/orig-image=gcr.io/jannfis/test-image:0.1";
    assert_eq!(
        argo_shape(s),
        "jannfis/orig-image|gcr.io|jannfis/test-image|0.1|-"
    );
    assert_eq!(argo(s).image_range(), 19..s.len());
    assert_eq!(argo(s).registry_range(), Some(19..25));
}

#[test]
fn p10_alias_and_registry_with_ports() {
    let s = "ghcr.io:4567/jannfis/orig-image=gcr.io:1234/jannfis/test-image:0.1";
    let want = "ghcr.io:4567/jannfis/orig-image|gcr.io:1234|jannfis/test-image|0.1|-";
    assert_eq!(argo_shape(s), want);
    assert_eq!(argo(s).eq_constraint_trap(), None);
}

#[test]
fn p11_undotted_registry_with_port_via_grammar() {
    let s = "classic-web=registry:5000/classic-web";
    assert_eq!(argo_shape(s), "classic-web|registry:5000|classic-web|-|-");
}

#[test]
fn p12_round_trip() {
    for s in [
        "jannfis/argocd=gcr.io/jannfis/orig-image",
        "jannfis/argocd=jannfis/orig-image:0.1",
        "jannfis/argocd=gcr.io/jannfis/orig-image:0.1",
    ] {
        assert_eq!(argo(s).to_argo_string(), s);
    }
}

#[test]
fn p13_has_registry_prefix() {
    assert!(!argo_has_registry_prefix("localhost:5000/image"));
    assert!(argo_has_registry_prefix("192.168.1.1:5000/image"));
    assert!(!argo_has_registry_prefix("org/repo"));
    assert!(argo_has_registry_prefix("10.0.0.1/image"));
    assert!(!argo_has_registry_prefix(""));
    assert!(!argo_has_registry_prefix("/image"));
    assert!(!argo_has_registry_prefix("nginx"));
}

#[test]
fn p14_registry_compared_as_text() {
    let (a, b) = (argo("x/foo:1"), argo("docker.io/x/foo:1"));
    assert!(!a.same_image(&b));
    assert!(a.same_image(&argo("x/foo:2")));
    assert!(!a.same_image(&argo("x/bar:1")));
    // The normalised comparison says they are the same repository.
    assert!(same_repository(
        a.reference().unwrap(),
        b.reference().unwrap()
    ));
}

// K5–K8 are Argo CD kustomize override strings. Their items have the
// same shapes as image-list items, so the parser must split them alike.

#[test]
fn k5_ported_registry_with_tag() {
    let s = "ghcr.io:1234/foo/foo:123";
    assert_eq!(
        shape(s),
        "ghcr.io:1234|foo/foo|123|- => ghcr.io:1234/foo/foo"
    );
    assert_eq!(argo_shape(s), "-|ghcr.io:1234|foo/foo|123|-");
}

#[test]
fn k6_alias_with_port_and_new_name() {
    let s = "ghcr.io:1234/foo/foo=ghcr.io:1234/bar";
    assert_eq!(argo_shape(s), "ghcr.io:1234/foo/foo|ghcr.io:1234|bar|-|-");
    assert_eq!(argo(s).image(), "ghcr.io:1234/bar");
}

#[test]
fn k7_alias_and_digest() {
    assert_eq!(
        argo_shape(&format!("foo=acme/app@{D}")),
        "foo|-|acme/app|-|D"
    );
}

#[test]
fn k8_item_shapes() {
    assert_eq!(argo_shape("foo"), "-|-|foo|-|-");
    assert_eq!(argo_shape("foo=bar"), "foo|-|bar|-|-");
    assert_eq!(argo_shape("baz@sha12345"), "-|-|baz|-|sha12345");
    assert!(argo("baz@sha12345").used_legacy_splitter());
    assert_eq!(argo_shape("bar:123"), "-|-|bar|123|-");
    assert_eq!(argo_shape("foo=bar:123"), "foo|-|bar|123|-");
}

// --- argocd.md §6 constraints and quirks -------------------------------

#[test]
fn argo_constraints_use_legacy_splitter() {
    for (s, want) in [
        ("nginx:~1.2", "-|-|nginx|~1.2|-"),
        ("bitnami/nginx:^1", "-|-|bitnami/nginx|^1|-"),
        ("ghcr.io/org/app:1.2.*", "-|ghcr.io|org/app|1.2.*|-"),
        ("web=ghcr.io/org/app:>=1.0", "web|ghcr.io|org/app|>=1.0|-"),
        ("nginx:1.0 - 2.0", "-|-|nginx|1.0 - 2.0|-"),
    ] {
        assert_eq!(argo_shape(s), want);
        assert!(argo(s).used_legacy_splitter(), "{s}");
    }
    // A grammar-valid "constraint" goes through the grammar.
    assert_eq!(argo_shape("nginx:1.20"), "-|-|nginx|1.20|-");
    assert!(!argo("nginx:1.20").used_legacy_splitter());
}

#[test]
fn argo_legacy_ignores_undotted_ports() {
    assert_eq!(
        argo_shape("localhost:5000/app:~1.0"),
        "-|-|localhost|5000/app:~1.0|-"
    );
    assert_eq!(argo_shape("myreg:5000/app:^1"), "-|-|myreg|5000/app:^1|-");
    // A dotted host works.
    assert_eq!(
        argo_shape("reg.local:5000/app:^1"),
        "-|reg.local:5000|app|^1|-"
    );
}

#[test]
fn argo_eq_trap() {
    let s = "nginx:>=1.0";
    assert_eq!(argo_shape(s), "nginx:>|-|1.0|-|-");
    let r = argo(s).eq_constraint_trap().unwrap();
    assert_eq!((&s[r.clone()], &s[..r.start - 1]), (">=1.0", "nginx"));
    for (s, meant) in [
        ("nginx:<=2", "<=2"),
        ("app:!=1.2", "!=1.2"),
        ("app:=1.0", "=1.0"),
        ("app:>1 <=2", ">1 <=2"),
    ] {
        assert_eq!(
            argo(s).eq_constraint_trap().map(|r| &s[r]),
            Some(meant),
            "{s}"
        );
    }
    for s in [
        "web=nginx:>=1.0",
        "nginx=nginx:>=1.0",
        "ghcr.io:4567/x=y",
        "web=nginx",
        "nginx:~1",
    ] {
        assert_eq!(argo(s).eq_constraint_trap(), None, "{s}");
    }
}

#[test]
fn argo_double_equals_loses_registry() {
    // Registry looked for in "b", name taken from "b=c.io/x:~1".
    assert_eq!(argo_shape("a=b=c.io/x:~1"), "a|-|x|~1|-");
    assert_eq!(argo_shape("invalid==foo"), "invalid|-|=foo|-|-");
}

#[test]
fn argo_docker_hub_mapping() {
    assert_eq!(
        argo_shape("docker.io/library/nginx:1.25"),
        "-|docker.io|nginx|1.25|-"
    );
    assert_eq!(argo("docker.io/library/nginx:1.25").name_range(), 18..23);
    assert_eq!(argo_shape("index.docker.io/library/nginx"), "-|-|nginx|-|-");
    assert_eq!(argo_shape("index.docker.io/nginx:1"), "-|-|nginx|1|-");
    assert_eq!(argo_shape("docker.io/nginx"), "-|docker.io|nginx|-|-");
    assert_eq!(
        argo_shape("docker.io/library/library/nginx"),
        "-|docker.io|library/nginx|-|-"
    );
    assert_eq!(argo_shape("quay.io/library/x"), "-|quay.io|library/x|-|-");
    // Go's quirk: bare `docker.io` is Docker Hub's `library/docker.io`,
    // and the text starts with `docker.io`, so the registry stays.
    assert_eq!(argo_shape("docker.io:1"), "-|docker.io|docker.io|1|-");
    assert_eq!(
        argo("docker.io:1").full_name_with_tag(),
        "docker.io/docker.io:1"
    );
    // A dotted first component that is no host: Domain "".
    assert_eq!(argo_shape("my_reg.io/app"), "-|-|my_reg.io/app|-|-");
    assert!(!argo("my_reg.io/app").used_legacy_splitter());
}

#[test]
fn argo_errors_and_empty_parts() {
    assert_eq!(parse_argo_item("").unwrap_err().kind(), Empty);
    let e = parse_argo_item("web=").unwrap_err();
    assert_eq!((e.kind(), e.range()), (Empty, 4..4));
    assert_eq!(argo_shape("=nginx"), "|-|nginx|-|-");
    assert_eq!(argo("=nginx").to_argo_string(), "nginx");
    assert_eq!(argo_shape("nginx:"), "-|-|nginx||-");
    assert_eq!(argo("nginx:").full_name_with_tag(), "nginx");
}

#[test]
fn argo_list_split() {
    let list = " web=nginx:~1.26 ,, ,api=ghcr.io/org/api ,";
    let items: Vec<&str> = split_argo_image_list(list)
        .into_iter()
        .map(|r| &list[r])
        .collect();
    assert_eq!(items, ["web=nginx:~1.26", "api=ghcr.io/org/api"]);
    assert!(split_argo_image_list(" , ,").is_empty());
    assert!(split_argo_image_list("").is_empty());
}

#[test]
fn argo_grammar_error_ranges_index_the_item() {
    let a = argo("web=nginx:~1.2");
    let e = a.grammar_error().unwrap();
    assert_eq!(
        (e.kind(), e.range(), &a.as_str()[e.range()]),
        (InvalidTag, 10..14, "~1.2")
    );
    let a = argo("web=ghcr.io/org/app:1");
    let r = a.reference().unwrap();
    assert_eq!(
        (r.as_str(), r.tag_range()),
        ("ghcr.io/org/app:1", Some(16..17))
    );
}

// --- never panic --------------------------------------------------------

use crate::testutil::Rng;

/// Every entry point on `s`: no panic, every range slices `s`, and
/// normalising a valid reference is idempotent.
#[track_caller]
fn exercise(s: &str) {
    let in_bounds = |r: &Range<usize>| s.get(r.clone()).is_some();
    match parse(s) {
        Ok(r) => {
            let ranges = [r.domain_range(), r.tag_range(), r.digest_range()];
            for range in ranges
                .into_iter()
                .flatten()
                .chain([r.name_range(), r.path_range()])
            {
                assert!(in_bounds(&range), "{s:?}: {range:?}");
            }
            let _ = (r.familiar_name(), r.effective_tag(), r.to_string());
            let n = ok(&r.normalized());
            assert_eq!(n.normalized(), r.normalized(), "{s:?}");
            assert!(same_repository(&r, &n), "{s:?}");
        }
        Err(e) => {
            assert!(in_bounds(&e.range()), "{s:?}: {:?}", e.range());
            assert!(!e.to_string().is_empty());
        }
    }
    match validate_repository(s) {
        Ok(r) => assert!(r.tag().is_none() && r.digest().is_none()),
        Err(e) => assert!(in_bounds(&e.range()), "{s:?}: {:?}", e.range()),
    }
    let _ = (registry_port_trap(s), argo_has_registry_prefix(s));
    assert!(split_argo_image_list(s).iter().all(in_bounds));
    match parse_argo_item(s) {
        Ok(a) => {
            let ranges = [
                a.alias_range(),
                a.registry_range(),
                a.constraint_range(),
                a.digest_range(),
                a.eq_constraint_trap(),
                a.grammar_error().map(RefError::range),
            ];
            for range in ranges
                .into_iter()
                .flatten()
                .chain([a.image_range(), a.name_range()])
            {
                assert!(in_bounds(&range), "{s:?}: {range:?}");
            }
            let _ = (a.to_argo_string(), a.tag_with_digest(), a.same_image(&a));
        }
        Err(e) => assert!(in_bounds(&e.range())),
    }
}

#[test]
fn no_panic_on_random_characters() {
    let alphabet: Vec<char> = "aZ09._-/:@=~^<>*+ [],é€\u{3000}ÄsSha256xX"
        .chars()
        .collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..400 {
        let len = rng.below(40);
        let s: String = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        exercise(&s);
    }
}

#[test]
fn no_panic_on_random_reference_pieces() {
    let h = hex(64);
    let digest = format!("sha256:{h}");
    let pieces = [
        "docker.io",
        "index.docker.io",
        "ghcr.io",
        "localhost",
        ":5000",
        "[::1]",
        "library",
        "nginx",
        "a",
        "b-c",
        "x__y",
        "my_reg.io",
        "/",
        "/",
        ":",
        "@",
        "=",
        "1.0",
        "~1",
        ">=",
        "_",
        ".",
        "-",
        "Up",
        &h,
        &digest,
        "sha512:",
        "é",
        "",
    ];
    let mut rng = Rng(42);
    let mut valid = 0;
    for _ in 0..600 {
        let n = 1 + rng.below(7);
        let s: String = (0..n).map(|_| pieces[rng.below(pieces.len())]).collect();
        exercise(&s);
        valid += usize::from(parse(&s).is_ok());
    }
    // The generator must reach the success paths too.
    assert!(valid > 50, "only {valid} valid references generated");
}
