//! Tests of the `--tags-from` file: its grammar, its messages (with line and
//! column), RFC 3339 dates and platforms, and the [`super::TagSource`] answers.

use super::*;
use crate::testutil::{Mutation, Rng};

const TESTDATA: &str = include_str!("../../../testdata/tags.yaml");
const D64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn ok(text: &str) -> TagsFile {
    TagsFile::parse(text, "t.yaml").unwrap_or_else(|e| panic!("{e}"))
}

/// The error for `text` as (line, column, message).
fn err(text: &str) -> (usize, usize, String) {
    let e = TagsFile::parse(text, "t.yaml").expect_err("an error");
    (
        e.line.expect("a line"),
        e.column.expect("a column"),
        e.message,
    )
}

/// Asserts the error position and that the message contains `needle`.
#[track_caller]
fn assert_err(text: &str, line: usize, column: usize, needle: &str) {
    let (l, c, m) = err(text);
    assert_eq!((l, c), (line, column), "position of {m:?}");
    assert!(m.contains(needle), "{m:?} does not contain {needle:?}");
}

fn names(t: &[TagInfo]) -> Vec<&str> {
    t.iter().map(|i| i.tag.as_str()).collect()
}

fn ts(secs: i64, nanos: u32) -> Option<Timestamp> {
    Some(Timestamp { secs, nanos })
}

fn plat(os: &str, arch: &str, variant: Option<&str>) -> Platform {
    Platform {
        os: os.into(),
        arch: arch.into(),
        variant: variant.map(Into::into),
    }
}

// ------------------------------------------------------------ loading

#[test]
fn testdata_loads_and_answers_for_every_spelling() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/tags.yaml");
    let f = TagsFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let nginx = f.tags("docker.io/library/nginx").unwrap();
    assert_eq!(nginx.len(), 13);
    for spelling in [
        "nginx",
        "docker.io/nginx",
        "index.docker.io/library/nginx",
        "library/nginx",
    ] {
        assert_eq!(f.tags(spelling).unwrap(), nginx, "{spelling}");
    }
    // Keys written short, long and with the legacy host all normalise.
    let repos: Vec<&str> = f.repositories().collect();
    for want in [
        "docker.io/library/busybox",
        "docker.io/library/redis",
        "docker.io/opensearchproject/opensearch",
        "docker.io/envoyproxy/envoy",
        "docker.io/bitnami/redis-sentinel",
        "ghcr.io/stefanprodan/podinfo",
        "registry.example.com/payments/ledger",
    ] {
        assert!(repos.contains(&want), "{want} missing from {repos:?}");
    }
    assert!(repos.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
    // One repository per top-level key (counted here without YAML), so
    // no two spellings in the file collapsed into one by mistake.
    let keys = TESTDATA
        .lines()
        .filter(|l| l.contains(':') && !l.starts_with([' ', '#', '-']))
        .count();
    assert!(keys >= 25);
    assert_eq!(repos.len(), keys);
    let busybox = f.tags("busybox").unwrap();
    assert_eq!(
        names(&busybox),
        ["1.36.1", "1.37.0", "stable", "latest", "musl"]
    );
    assert_eq!(
        busybox[1].digest.as_deref(),
        Some("sha256:ec31682fde561917952ff78a7a8adeffd0febc372dd26871916c46c630381b45")
    );
    let podinfo = f.tags("ghcr.io/stefanprodan/podinfo").unwrap();
    assert_eq!(podinfo.first().unwrap(), &TagInfo::new("5.2.0"));
    assert_eq!(
        podinfo.last().unwrap().tag,
        "sha256-6b4d9dd259b78175c0d35d0b01b9b19f96ace96c9b27e3ea599b97cc8fc04e86.sig"
    );
}

#[test]
fn testdata_metadata_round_trips() {
    let f = ok(TESTDATA);
    let nginx = f.tags("nginx").unwrap();
    let ten = &nginx[0];
    assert_eq!(ten.tag, "1.10");
    assert_eq!(ten.created, ts(1_461_682_931, 0)); // 2016-04-26T15:02:11Z
    assert_eq!(ten.digest, None);
    assert_eq!(ten.platforms, [plat("linux", "amd64", None)]);
    let alpine = f
        .describe("docker.io/library/nginx", "1.27.4-alpine")
        .unwrap();
    assert_eq!(alpine.created, ts(1_738_793_010, 0)); // 2025-02-05T22:03:30Z
    assert_eq!(
        alpine.digest.as_deref(),
        Some("sha256:a970bb3a8d05dc02ba49913950e7b3863d3ebf094faaba298919b786e870e13d")
    );
    assert_eq!(
        alpine.platforms,
        [
            plat("linux", "amd64", None),
            plat("linux", "arm64", Some("v8")),
            plat("linux", "arm", Some("v7")),
            plat("linux", "386", None),
        ]
    );
    assert_eq!(alpine.platforms[1].to_string(), "linux/arm64/v8");
    // Plain-list tags carry no metadata at all.
    let redis = f.tags("redis").unwrap();
    assert_eq!(redis.len(), 12);
    assert!(redis.iter().all(|t| *t == TagInfo::new(t.tag.clone())));
}

#[test]
fn unknown_repository_is_a_source_error() {
    let f = ok(TESTDATA);
    assert_eq!(
        f.tags("docker.io/library/postgres"),
        Err(SourceError::UnknownRepository(
            "docker.io/library/postgres".into()
        ))
    );
    assert!(matches!(
        f.tags("not a reference"),
        Err(SourceError::UnknownRepository(_))
    ));
    assert!(matches!(
        f.describe("nginx", "9.9.9"),
        Err(SourceError::Failed(_))
    ));
    // Listed with no tags is known, not unknown.
    assert_eq!(ok("app: []\n").tags("app"), Ok(vec![]));
}

#[test]
fn number_like_tags_keep_their_text() {
    let f = ok("app: [1.10, 20.10, 1.0, 010, 1e3, 0x1F, true]\n\
                    other:\n  - 1.20\n  - tag: 3.10\n  - tag: '4.0'\n");
    assert_eq!(
        names(&f.tags("app").unwrap()),
        ["1.10", "20.10", "1.0", "010", "1e3", "0x1F", "true"]
    );
    assert_eq!(names(&f.tags("other").unwrap()), ["1.20", "3.10", "4.0"]);
}

#[test]
fn both_forms_mix_in_one_list() {
    let f = ok(&format!(
        "ghcr.io/org/app:\n  - 1.0.0\n  - tag: 1.1.0\n    digest: sha256:{D64}\n  - 1.2.0\n\
             flow: [1.0, {{tag: '2.0', created: 2024-01-02T03:04:05Z}}]\n"
    ));
    let app = f.tags("ghcr.io/org/app").unwrap();
    assert_eq!(names(&app), ["1.0.0", "1.1.0", "1.2.0"]);
    assert_eq!(app[1].digest, Some(format!("sha256:{D64}")));
    assert_eq!(app[2], TagInfo::new("1.2.0"));
    let flow = f.tags("docker.io/library/flow").unwrap();
    assert_eq!(names(&flow), ["1.0", "2.0"]);
    assert_eq!(flow[1].created, ts(1_704_164_645, 0));
}

#[test]
fn null_fields_aliases_and_odd_files_load() {
    let f = ok("x:\n  - tag: 1.0\n    created: ~\n    digest:\n    platforms: null\n");
    assert_eq!(f.tags("x").unwrap(), [TagInfo::new("1.0")]);
    // An anchored list can be reused for a second repository.
    let f = ok("a: &t [1.0, 1.1]\nb: *t\n");
    assert_eq!(f.tags("a"), f.tags("b"));
    assert_eq!(names(&f.tags("b").unwrap()), ["1.0", "1.1"]);
    // Nothing at all lists no repositories.
    assert_eq!(ok("").repositories().count(), 0);
    assert_eq!(ok("# only a comment\n").repositories().count(), 0);
    // BOM and CRLF, a flow mapping at the top.
    let f = ok("\u{feff}nginx: [1.0]\r\nredis:\r\n  - 7.2\r\n");
    assert_eq!(names(&f.tags("redis").unwrap()), ["7.2"]);
    assert_eq!(ok("{nginx: [1], redis: [2]}").repositories().count(), 2);
    // The same platform twice is one platform.
    let f = ok("x:\n  - tag: a\n    platforms: [linux/amd64, linux/amd64]\n");
    assert_eq!(
        f.tags("x").unwrap()[0].platforms,
        [plat("linux", "amd64", None)]
    );
}

#[test]
fn registry_hosts_compare_case_insensitively() {
    let f = ok("Registry.Example.com/team/api: [1]\n");
    assert_eq!(
        f.repositories().collect::<Vec<_>>(),
        ["registry.example.com/team/api"]
    );
    assert!(f.tags("registry.example.com/team/api").is_ok());
    assert!(f.tags("REGISTRY.example.com/team/api").is_ok());
    assert_err(
        "Registry.Example.com/app: [1]\nregistry.example.com/app: [2]\n",
        2,
        1,
        "`registry.example.com/app` and `Registry.Example.com/app` (line 1)",
    );
}

// ------------------------------------------------------------ errors

#[test]
fn error_display_is_file_line_column() {
    let e = TagsFile::parse("nginx: 1.25\n", "tags.yaml").unwrap_err();
    assert_eq!(
        e.to_string(),
        "tags.yaml:1:8: the tags of docker.io/library/nginx must be a list \
             (`[1.0, 1.1]` or `- tag: 1.0` items)"
    );
    let missing = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/no-such-tags.yaml");
    let e = TagsFile::load(&missing).unwrap_err();
    assert_eq!((e.line, e.column), (None, None));
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("{}: cannot read tags file:", missing.display())),
        "{shown}"
    );
}

#[test]
fn top_level_must_be_one_mapping() {
    assert_err(
        "- nginx\n- redis\n",
        1,
        1,
        "the top level must be a mapping",
    );
    assert_err("# c\njust text\n", 2, 1, "the top level must be a mapping");
    assert_err(
        "nginx: [1]\n---\nredis: [2]\n",
        3,
        1,
        "single YAML document",
    );
}

#[test]
fn yaml_syntax_error_has_its_position() {
    let (line, column, message) = err("nginx: [1.0]\nredis: [7.2\nbusybox: [1]\n");
    assert!(message.starts_with("invalid YAML: "), "{message}");
    assert!(line >= 2 && column >= 1, "{line}:{column}");
    assert_err(
        "nginx: [1.0]\nredis: a: b\n",
        2,
        9,
        "invalid YAML: mapping values",
    );
}

#[test]
fn keys_must_be_repositories() {
    assert_err(
        "ghcr.io/Org/App: [1.0]\n",
        1,
        1,
        "`ghcr.io/Org/App` is not an image repository: repository path `Org` must be lowercase",
    );
    assert_err(
        "nginx: [1]\nhttps://ghcr.io/a: [1]\n",
        2,
        1,
        "no URL scheme",
    );
    assert_err("? [a]\n: [1]\n", 1, 3, "expected an image repository");
    assert_err("~: [1]\n", 1, 1, "expected an image repository");
}

#[test]
fn keys_must_not_carry_a_tag_or_digest() {
    assert_err(
        "redis: [7]\nnginx:1.25: [a]\n",
        2,
        1,
        "`nginx:1.25` is not an image repository: a repository must not include a tag; remove `:1.25`",
    );
    assert_err(
        &format!("redis: [7]\n\"nginx@sha256:{D64}\": [a]\n"),
        2,
        1,
        "a repository must not include a digest",
    );
}

#[test]
fn one_repository_under_two_spellings_names_both() {
    assert_err(
        "nginx: [1.0]\n\n# hub\ndocker.io/library/nginx: [1.1]\n",
        4,
        1,
        "`docker.io/library/nginx` and `nginx` (line 1) are the same repository \
             (docker.io/library/nginx); list its tags once",
    );
    assert_err(
        "index.docker.io/library/busybox: [1]\nbusybox: [2]\n",
        2,
        1,
        "`busybox` and `index.docker.io/library/busybox` (line 1)",
    );
    assert_err(
        "nginx: [1]\nnginx: [2]\n",
        2,
        1,
        "repository `nginx` is listed twice (first on line 1)",
    );
}

#[test]
fn values_must_be_lists() {
    assert_err("nginx: 1.25\n", 1, 8, "must be a list");
    assert_err("nginx: {tag: 1.0}\n", 1, 8, "must be a list");
    // An empty value has no text of its own: point at the key.
    assert_err(
        "redis: [1]\nnginx:\nbusybox: [1]\n",
        2,
        1,
        "the tags of docker.io/library/nginx must be a list",
    );
}

#[test]
fn items_are_tags_or_mappings_with_tag() {
    assert_err(
        "nginx:\n  - [1.0, 1.1]\n",
        2,
        5,
        "expected a tag, or a mapping with `tag`",
    );
    assert_err(
        &format!(
            "nginx:\n  - tag: 1.0\n  - created: 2024-01-02T03:04:05Z\n    digest: sha256:{D64}\n"
        ),
        3,
        5,
        "this item has no `tag`",
    );
    assert_err("nginx: [1.0, ~]\n", 1, 14, "`~` is YAML null, not a tag");
    assert_err("nginx: ['1.0 beta']\n", 1, 9, "invalid tag `1.0 beta`");
    assert_err("nginx:\n  - 1.0\n  - -rc1\n", 3, 5, "invalid tag `-rc1`");
    assert_err(
        &format!("nginx: [{}]\n", "a".repeat(129)),
        1,
        9,
        "tag is 129 characters long",
    );
    assert_err("nginx:\n  - tag: [1.0]\n", 2, 10, "`tag` must be a tag");
    assert_err(
        "nginx:\n  - tag:\n    created: 2024-01-02T03:04:05Z\n",
        2,
        5,
        "`tag` is empty",
    );
    // An empty item has no text; its position is just after the `-`.
    assert_err(
        "nginx:\n  - 1.0\n  -\nredis: [1]\n",
        3,
        4,
        "empty list item: expected a tag",
    );
    assert_err("nginx:\n- 1\n- ''\n", 3, 3, "tag is empty");
}

#[test]
fn unknown_fields_suggest_the_nearest() {
    assert_err(
        "nginx:\n  - tag: 1.0\n    craeted: 2024-01-02T03:04:05Z\n",
        3,
        5,
        "unknown field `craeted`; did you mean `created`?",
    );
    assert_err(
        "nginx:\n  - tag: 1.0\n    platform: [linux/amd64]\n",
        3,
        5,
        "did you mean `platforms`?",
    );
    assert_err(
        "nginx:\n  - tag: 1.0\n    size: 12\n",
        3,
        5,
        "unknown field `size` (expected tag, created, digest or platforms)",
    );
    assert_err(
        "nginx:\n  - tag: 1.0\n    tag: 1.1\n",
        3,
        5,
        "`tag` is given twice (first on line 2)",
    );
}

#[test]
fn bad_created_is_reported_at_the_value() {
    assert_err(
        "nginx:\n  - tag: 1.0\n    created: 2023-02-29T00:00:00Z\n",
        3,
        14,
        "`created` must be an RFC 3339 timestamp such as 2024-01-02T03:04:05Z, not `2023-02-29T00:00:00Z`",
    );
    assert_err(
        "nginx:\n  - tag: 1.0\n    created: 2024-01-02\n",
        3,
        14,
        "not `2024-01-02`",
    );
    assert_err(
        "nginx:\n  - tag: 1.0\n    created: [a]\n",
        3,
        14,
        "not a list",
    );
}

#[test]
fn bad_digests_are_reported_at_the_value() {
    let at = |d: &str| format!("nginx:\n  - tag: 1.0\n    digest: {d}\n");
    assert_err(
        &at(&format!("sha256:{}", D64.to_uppercase())),
        3,
        13,
        "must be lowercase hex",
    );
    assert_err(
        &at("sha256:abc"),
        3,
        13,
        "digest `sha256:abc` has 3 hex digits but sha256 needs 64",
    );
    assert_err(&at("md5:abc"), 3, 13, "unsupported digest algorithm `md5`");
    assert_err(
        &at(D64),
        3,
        13,
        "expected sha256: followed by 64 lowercase hex digits",
    );
    assert_err(&at(&format!("sha384:{D64}")), 3, 13, "sha384 needs 96");
    // The longer algorithms load with their own lengths.
    let f = ok(&format!(
        "x: [{{tag: a, digest: 'sha384:{}'}}, {{tag: b, digest: 'sha512:{}'}}]\n",
        &D64.repeat(2)[..96],
        D64.repeat(2)
    ));
    assert_eq!(f.tags("x").unwrap().len(), 2);
}

#[test]
fn bad_platforms_are_reported_at_the_item() {
    assert_err(
        "nginx:\n  - tag: 1.0\n    platforms: [linux/amd64, linux]\n",
        3,
        30,
        "invalid platform `linux`: expected os/arch or os/arch/variant",
    );
    assert_err(
        "nginx:\n  - tag: 1.0\n    platforms:\n      - linux/arm64/v8/x\n",
        4,
        9,
        "invalid platform `linux/arm64/v8/x`",
    );
    assert_err(
        "nginx:\n  - tag: 1.0\n    platforms: linux/amd64\n",
        3,
        16,
        "`platforms` must be a list",
    );
}

#[test]
fn duplicate_tags_point_at_the_second() {
    assert_err(
        "nginx: [1.0, 1.1, 1.0]\n",
        1,
        19,
        "tag `1.0` is listed twice for docker.io/library/nginx (first on line 1)",
    );
    // A plain item and a mapping item naming the same tag collide too.
    assert_err(
        "nginx:\n  - 1.0\n  - tag: \"1.0\"\n    created: 2024-01-02T03:04:05Z\n",
        3,
        10,
        "tag `1.0` is listed twice for docker.io/library/nginx (first on line 2)",
    );
    // The same tag in two repositories is fine.
    assert_eq!(ok("a: [1.0]\nb: [1.0]\n").repositories().count(), 2);
}

// ------------------------------------------------------------ RFC 3339

#[test]
fn rfc3339_parses_to_utc() {
    assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), ts(0, 0));
    assert_eq!(parse_rfc3339("2024-01-02T03:04:05Z"), ts(1_704_164_645, 0));
    assert_eq!(parse_rfc3339("1900-01-01T00:00:00Z"), ts(-2_208_988_800, 0));
    // Offsets are converted: all three are the same instant.
    let utc = parse_rfc3339("2024-01-02T03:04:05Z");
    assert_eq!(parse_rfc3339("2024-01-02T05:04:05+02:00"), utc);
    assert_eq!(parse_rfc3339("2024-01-01T21:34:05-05:30"), utc);
    assert_eq!(parse_rfc3339("2024-01-02T03:04:05+00:00"), utc);
    assert_eq!(parse_rfc3339("2024-01-02t03:04:05z"), utc);
    // An offset can move the date across a year boundary.
    assert_eq!(
        parse_rfc3339("2023-12-31T23:30:00-01:00"),
        parse_rfc3339("2024-01-01T00:30:00Z")
    );
}

#[test]
fn rfc3339_fractions() {
    assert_eq!(
        parse_rfc3339("2024-01-02T03:04:05.5Z"),
        ts(1_704_164_645, 500_000_000)
    );
    assert_eq!(
        parse_rfc3339("2024-01-02T03:04:05.000000001Z"),
        ts(1_704_164_645, 1)
    );
    // Past nanoseconds the digits are dropped, not rounded.
    assert_eq!(
        parse_rfc3339("2024-01-02T03:04:05.1234567899Z"),
        ts(1_704_164_645, 123_456_789)
    );
    assert_eq!(
        parse_rfc3339("2024-01-02T05:04:05.25+02:00"),
        ts(1_704_164_645, 250_000_000)
    );
    // Before the epoch the fraction still counts forward from `secs`.
    assert_eq!(parse_rfc3339("1969-12-31T23:59:59.5Z"), ts(-1, 500_000_000));
    assert!(parse_rfc3339("1969-12-31T23:59:59.5Z") < parse_rfc3339("1970-01-01T00:00:00Z"));
    assert_eq!(parse_rfc3339("2024-01-02T03:04:05.Z"), None);
}

#[test]
fn rfc3339_checks_the_calendar() {
    assert_eq!(parse_rfc3339("2024-02-29T12:00:00Z"), ts(1_709_208_000, 0));
    assert!(
        parse_rfc3339("2000-02-29T00:00:00Z").is_some(),
        "divisible by 400"
    );
    assert_eq!(parse_rfc3339("2024-02-30T00:00:00Z"), None);
    assert_eq!(parse_rfc3339("2023-02-29T00:00:00Z"), None);
    assert_eq!(
        parse_rfc3339("1900-02-29T00:00:00Z"),
        None,
        "divisible by 100"
    );
    assert_eq!(parse_rfc3339("2024-04-31T00:00:00Z"), None);
    assert!(parse_rfc3339("2024-12-31T23:59:59Z").is_some());
    for bad in [
        "2024-13-01T00:00:00Z",
        "2024-00-01T00:00:00Z",
        "2024-01-00T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T00:60:00Z",
        "2024-01-01T00:00:60Z",
    ] {
        assert_eq!(parse_rfc3339(bad), None, "{bad}");
    }
}

#[test]
fn rfc3339_rejects_other_shapes() {
    for bad in [
        "",
        "2024-01-02",
        "2024-01-02T03:04:05",
        "2024-01-02 03:04:05Z",
        "2024-1-02T03:04:05Z",
        "2024-01-02T03:04Z",
        "2024-01-02T03:04:05+0200",
        "2024-01-02T03:04:05+02",
        "2024-01-02T03:04:05+24:00",
        "2024-01-02T03:04:05+02:60",
        "2024-01-02T03:04:05ZZ",
        "2024-01-02T03:04:05Z ",
        "+2024-01-02T03:04:05Z",
        "2024-01-02T03:04:05,5Z",
        "２０２４-01-02T03:04:05Z",
        "2024-01-02T03:04:05é",
    ] {
        assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
    }
}

#[test]
fn platforms_parse() {
    assert_eq!(
        parse_platform("linux/amd64"),
        Some(plat("linux", "amd64", None))
    );
    assert_eq!(
        parse_platform("linux/arm64/v8"),
        Some(plat("linux", "arm64", Some("v8")))
    );
    assert_eq!(
        parse_platform("windows/amd64"),
        Some(plat("windows", "amd64", None))
    );
    assert_eq!(
        parse_platform("linux/ppc64le"),
        Some(plat("linux", "ppc64le", None))
    );
    for bad in [
        "",
        "linux",
        "linux/",
        "/amd64",
        "linux//v7",
        "linux/arm/v7/x",
        "Linux/amd64",
        "linux/amd 64",
        "linux/arm/",
    ] {
        assert_eq!(parse_platform(bad), None, "{bad:?}");
    }
}

// ------------------------------------------------------------ robustness

/// testdata/tags.yaml with a few edits aimed at this format: field
/// names, bad values, spellings, plus YAML structure and odd bytes.
fn mutate(rng: &mut Rng, src: &str) -> String {
    const INSERTS: &[&str] = &[
        "tag: ",
        "created: ",
        "digest: ",
        "platforms: ",
        "craeted: ",
        "- ",
        "\n  - ",
        "\n    ",
        ": ",
        ":",
        "[",
        "]",
        "{",
        "}",
        ",",
        "~",
        "null",
        "''",
        "\"",
        "2024-02-30T00:00:00Z",
        "2024-02-29T23:59:59.999999999+14:00",
        "sha256:",
        "sha512:ab",
        "@sha256:",
        ":1.0",
        "linux/",
        "/v8",
        "docker.io/",
        "index.docker.io/",
        "library/",
        "nginx",
        "NGINX",
        "1.10",
        "&a ",
        "*a",
        "*b",
        "!!str ",
        "? ",
        "#",
        "|\n",
        "---\n",
        "\t",
        "\r\n",
        "\0",
        "é",
        "日本",
        "\u{feff}",
        "  ",
    ];
    rng.mutate(
        src,
        &Mutation {
            inserts: INSERTS,
            max_edits: 4,
            max_cut: 12,
            max_copy: 80,
            junk: Some("aZ09:/.-_@ \n"),
        },
    )
}

/// Issue 14: 1,000,000 tags took 453 MB. Past the parser's node limit
/// the file is refused with a message that says why, at the line where
/// parsing stopped.
#[test]
fn a_tags_file_past_the_node_limit_is_refused_clearly() {
    let mut text = String::from("nginx:\n");
    for i in 0..=crate::yaml::MAX_NODES {
        text.push_str(&format!("- 1.{i}\n"));
    }
    let e = TagsFile::parse(&text, "tags.yaml").unwrap_err();
    assert!(e.message.contains("tags at most"), "{e}");
    assert!(e.line.is_some_and(|l| l > 400_000), "{e}");
}

#[test]
fn mutated_testdata_never_panics() {
    let mut rng = Rng::new(0x007A_655F_6669_6C65);
    let (mut loaded, mut rejected) = (0, 0);
    for _ in 0..3_000 {
        let text = mutate(&mut rng, TESTDATA);
        match TagsFile::parse(&text, "m.yaml") {
            Ok(f) => {
                loaded += 1;
                for repo in f.repositories() {
                    assert!(f.tags(repo).is_ok(), "{repo} listed but not answered");
                }
            }
            Err(e) => {
                rejected += 1;
                let (line, column) = (e.line.unwrap(), e.column.unwrap());
                assert!(line >= 1 && column >= 1);
                assert!(line <= text.split('\n').count(), "{e}");
                assert!(!e.message.is_empty());
                assert!(
                    e.to_string()
                        .starts_with(&format!("m.yaml:{line}:{column}: "))
                );
            }
        }
    }
    // Both outcomes must actually be exercised for the loop to mean anything.
    assert!(
        loaded > 100 && rejected > 100,
        "loaded {loaded}, rejected {rejected}"
    );
}
