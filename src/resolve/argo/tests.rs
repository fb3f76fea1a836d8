use super::*;
use crate::resolve::Timestamp;
use crate::testutil::Rng;

const T: [&str; 7] = ["0.1", "0.5.1", "0.9", "1.0", "1.0.1", "1.1.2", "2.0.3"];

fn infos(names: &[&str]) -> Vec<TagInfo> {
    names.iter().map(|n| TagInfo::new(*n)).collect()
}

fn at(secs: i64) -> Option<Timestamp> {
    Some(Timestamp { secs, nanos: 0 })
}

fn dated(pairs: &[(&str, i64)]) -> Vec<TagInfo> {
    pairs
        .iter()
        .map(|&(n, s)| TagInfo {
            created: at(s),
            ..TagInfo::new(n)
        })
        .collect()
}

fn plat(s: &str) -> Platform {
    let mut p = s.splitn(3, '/');
    Platform {
        os: p.next().unwrap_or("").to_owned(),
        arch: p.next().unwrap_or("").to_owned(),
        variant: p.next().map(str::to_owned),
    }
}

fn settings(strategy: Strategy, constraint: Option<&str>) -> ArgoSettings {
    ArgoSettings {
        strategy,
        constraint: constraint.map(str::to_owned),
        ..ArgoSettings::default()
    }
}

fn pick(s: &ArgoSettings, tags: &[TagInfo]) -> Option<String> {
    select(s, tags).expect("no error").map(|sel| sel.tag)
}

fn semver(constraint: Option<&str>, names: &[&str]) -> Option<String> {
    pick(&settings(Strategy::Semver, constraint), &infos(names))
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The order a strategy sorts in, recovered by repeatedly selecting and
/// removing the winner (the last element of Argo's sorted list).
fn selection_order(s: &ArgoSettings, mut tags: Vec<TagInfo>) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(sel) = select(s, &tags).unwrap() {
        tags.retain(|t| t.tag != sel.tag);
        out.push(sel.tag);
    }
    out.reverse();
    out
}

// ---- §7.2 tag selection -------------------------------------------------

#[test]
fn s01_semver_no_constraint_picks_highest() {
    assert_eq!(semver(None, &T).as_deref(), Some("2.0.3"));
    assert_eq!(semver(Some(""), &T).as_deref(), Some("2.0.3"));
}

#[test]
fn s02_semver_caret() {
    assert_eq!(semver(Some("^1.0"), &T).as_deref(), Some("1.1.2"));
}

#[test]
fn s03_semver_tilde() {
    assert_eq!(semver(Some("~1.0"), &T).as_deref(), Some("1.0.1"));
}

#[test]
fn s04_running_tag_is_not_an_input() {
    // v1.2+ no longer requires the running tag to be semver; `select`
    // does not even take it, so a running `latest` cannot make it fail.
    // (v0.x returned an error here; we model v1.3.)
    let tags = infos(&T);
    let mut with_latest = tags.clone();
    with_latest.push(TagInfo::new("latest"));
    let s = settings(Strategy::Semver, Some("^1.0"));
    assert_eq!(pick(&s, &with_latest).as_deref(), Some("1.1.2"));
    assert_eq!(pick(&s, &tags), pick(&s, &with_latest));
}

#[test]
fn s05_empty_constraint_excludes_prereleases() {
    let tags = ["v2.2.0", "v2.3.0-rc.0.18.g1abb7b5dd-ppc64le"];
    assert_eq!(semver(None, &tags).as_deref(), Some("v2.2.0"));
    // Only prereleases: nothing, because `*` admits none (v1.3).
    assert_eq!(semver(None, &["v2.3.0-rc.0", "1.25.3-alpine"]), None);
    // Opting in with the `-0` idiom brings them back.
    assert_eq!(
        semver(Some(">=0.0.0-0"), &tags).as_deref(),
        Some("v2.3.0-rc.0.18.g1abb7b5dd-ppc64le")
    );
}

#[test]
fn s06_nothing_in_range_is_no_result_not_error() {
    let s = settings(Strategy::Semver, Some("~1.0"));
    assert_eq!(
        select(&s, &infos(&["0.1", "0.5.1", "0.9", "2.0.3"])),
        Ok(None)
    );
}

#[test]
fn s07_latest_as_semver_constraint_is_an_error() {
    let s = settings(Strategy::Semver, Some("latest"));
    match select(&s, &infos(&T)) {
        Err(SelectError::InvalidConstraint(m)) => assert!(m.contains("latest"), "{m}"),
        other => panic!("expected InvalidConstraint, got {other:?}"),
    }
    // Argo returns "no tags" before parsing the constraint when no tag
    // is a version at all, so the same config is silent there.
    assert_eq!(select(&s, &infos(&["latest", "main"])), Ok(None));
    assert_eq!(select(&s, &[]), Ok(None));
    // ...and when filters leave nothing.
    let mut filtered = s.clone();
    filtered.ignore_tags = strings(&["*"]);
    assert_eq!(select(&filtered, &infos(&T)), Ok(None));
}

#[test]
fn s08_empty_tag_list_is_no_result_for_every_strategy() {
    for strategy in [
        Strategy::Semver,
        Strategy::NewestBuild,
        Strategy::Alphabetical,
        Strategy::Digest,
    ] {
        let s = settings(
            strategy,
            Some("latest").filter(|_| strategy == Strategy::Digest),
        );
        assert_eq!(select(&s, &[]), Ok(None), "{strategy:?}");
    }
}

#[test]
fn s09_newest_build_duplicate_keeps_last_insert() {
    let tags = dated(&[
        ("zz", 0),
        ("bb", 5),
        ("yy", 10),
        ("cc", 15),
        ("yy", 20),
        ("aa", 25),
        ("ll", 30),
    ]);
    let s = settings(Strategy::NewestBuild, None);
    assert_eq!(pick(&s, &tags).as_deref(), Some("ll"));
    // The later `yy` replaces the earlier one in both directions.
    assert_eq!(
        pick(&s, &dated(&[("yy", 99), ("ll", 30), ("yy", 20)])).as_deref(),
        Some("ll")
    );
    assert_eq!(
        pick(&s, &dated(&[("yy", 10), ("ll", 30), ("yy", 40)])).as_deref(),
        Some("yy")
    );
}

#[test]
fn s10_semver_on_names_is_no_result() {
    assert_eq!(semver(None, &["zz", "bb", "yy", "cc", "aa", "ll"]), None);
}

#[test]
fn s11_alphabetical_picks_greatest_name() {
    let s = settings(Strategy::Alphabetical, None);
    assert_eq!(
        pick(&s, &infos(&["zz", "bb", "yy", "cc", "aa", "ll"])).as_deref(),
        Some("zz")
    );
    // Byte order, not natural: `9` > `10`, `a` > `Z`.
    assert_eq!(pick(&s, &infos(&["10", "9"])).as_deref(), Some("9"));
    assert_eq!(pick(&s, &infos(&["a", "Z"])).as_deref(), Some("a"));
    // The constraint is ignored, even one that is not a valid range.
    let with_c = settings(Strategy::Alphabetical, Some("latest"));
    assert_eq!(
        pick(&with_c, &infos(&["1.0", "main"])).as_deref(),
        Some("main")
    );
}

#[test]
fn s12_digest_tracks_constraint_tag() {
    let d = format!("sha256:{}", "ab".repeat(32));
    let tags = vec![
        TagInfo {
            digest: Some("sha256:other".into()),
            ..TagInfo::new("1.0")
        },
        TagInfo {
            digest: Some(d.clone()),
            ..TagInfo::new("latest")
        },
    ];
    let sel = select(&settings(Strategy::Digest, Some("latest")), &tags)
        .unwrap()
        .unwrap();
    assert_eq!(sel.tag, "latest");
    assert_eq!(sel.digest.as_deref(), Some(d.as_str()));
    assert_eq!(sel.tag_with_digest(), format!("latest@{d}"));
}

#[test]
fn s13_semver_order() {
    let tags = infos(&["v2.0.2", "v1.0", "v2.0.0", "v1.0.1", "v2.0.3", "v2.0"]);
    assert_eq!(
        selection_order(&settings(Strategy::Semver, None), tags),
        strings(&["v1.0", "v1.0.1", "v2.0", "v2.0.0", "v2.0.2", "v2.0.3"])
    );
}

#[test]
fn s14_date_ties_sort_by_name() {
    let tags = dated(&[
        ("v2.0.2", 7),
        ("v1.0", 7),
        ("v1.0.1", 7),
        ("v2.0.3", 7),
        ("v2.0", 7),
    ]);
    assert_eq!(
        selection_order(&settings(Strategy::NewestBuild, None), tags),
        strings(&["v1.0", "v1.0.1", "v2.0", "v2.0.2", "v2.0.3"])
    );
}

#[test]
fn s15_date_order() {
    let tags = dated(&[
        ("v2.0.2", 4),
        ("v1.0", 1),
        ("v1.0.1", 0),
        ("v2.0.3", 3),
        ("v2.0", 2),
    ]);
    assert_eq!(
        selection_order(&settings(Strategy::NewestBuild, None), tags),
        strings(&["v1.0.1", "v1.0", "v2.0", "v2.0.3", "v2.0.2"])
    );
    // Nanoseconds count.
    let fine = vec![
        TagInfo {
            created: Some(Timestamp { secs: 5, nanos: 2 }),
            ..TagInfo::new("a")
        },
        TagInfo {
            created: Some(Timestamp { secs: 5, nanos: 1 }),
            ..TagInfo::new("b")
        },
    ];
    assert_eq!(
        pick(&settings(Strategy::NewestBuild, None), &fine).as_deref(),
        Some("a")
    );
}

#[test]
fn s16_alphabetical_order() {
    let tags = infos(&["wohoo", "bazar", "alpha", "jesus", "zebra"]);
    assert_eq!(
        selection_order(&settings(Strategy::Alphabetical, None), tags),
        strings(&["alpha", "bazar", "jesus", "wohoo", "zebra"])
    );
}

#[test]
fn s17_ignore_exact_names() {
    let ignore = strings(&["tag1", "tag2"]);
    assert!(is_ignored(&ignore, "tag1"));
    assert!(is_ignored(&ignore, "tag2"));
    assert!(!is_ignored(&ignore, "tag3"));
    let s = ArgoSettings {
        ignore_tags: ignore,
        ..settings(Strategy::Alphabetical, None)
    };
    assert_eq!(
        pick(&s, &infos(&["tag1", "tag3", "tag2"])).as_deref(),
        Some("tag3")
    );
}

#[test]
fn s18_ignore_globs() {
    let ignore = strings(&["tag?", "foo"]);
    assert!(is_ignored(&ignore, "tag1"));
    assert!(is_ignored(&ignore, "foo"));
    assert!(!is_ignored(&ignore, "tag10"));
    // `[!…]` is not negation in Go: it ignores tags starting with `!`/`a`.
    let bang = strings(&["[!a]*"]);
    assert!(is_ignored(&bang, "abc"));
    assert!(!is_ignored(&bang, "bcd"));
    // A malformed pattern ignores nothing.
    assert!(!is_ignored(&strings(&["[a-"]), "a"));
    // `*` pauses the image.
    let s = ArgoSettings {
        ignore_tags: strings(&["*"]),
        ..settings(Strategy::Semver, None)
    };
    assert_eq!(select(&s, &infos(&T)), Ok(None));
}

fn allow(s: &str, tag: &str) -> bool {
    allow_tags_matcher(Some(s)).expect("evaluable")(tag)
}

#[test]
fn prepared_ignore_list_agrees_with_glob_match() {
    let mut rng = Rng::new(0xA860_0003);
    let fixed = [
        "*-rc.6", "tag?", "a]b", "ab\\c", "[]a]*", "*", "", "x\\*y", "[^a-c]?z", "é*", "[a-",
    ];
    for _ in 0..4000 {
        let patterns: Vec<String> = (0..rng.below(3))
            .map(|_| match rng.below(3) {
                0 => fixed[rng.below(fixed.len())].to_owned(),
                _ => rng.string_from("*?[]^\\-abcz.é/", 6),
            })
            .collect();
        let list = IgnoreList::new(&patterns);
        for _ in 0..8 {
            let name = rng.string_from("abcz.-é/\\]6r", 7);
            assert_eq!(
                list.matches(&name),
                is_ignored(&patterns, &name),
                "{patterns:?} {name:?}"
            );
        }
    }
}

#[test]
fn s19_allow_any() {
    for v in ["any", "ANY", "Any"] {
        assert!(allow(v, "whatever"));
        assert!(allow(v, ""));
    }
    assert!(allow_tags_matcher(None).unwrap()("x"));
    assert!(allow("", "x"));
    // `any` is a whole value, not a function name.
    assert!(!allow("any:x", "x"));
}

#[test]
fn s20_allow_unknown_matches_nothing() {
    for v in ["other", "not-regexp:a-z", "^v1\\.", " ", "regex:.*"] {
        assert!(!allow(v, "a-z"), "{v}");
        assert!(!allow(v, "v1.0"), "{v}");
    }
    let s = ArgoSettings {
        allow_tags: Some("other".into()),
        ..settings(Strategy::Semver, None)
    };
    assert_eq!(select(&s, &infos(&T)), Ok(None));
}

#[test]
fn s21_allow_regexp_prefix_case_insensitive() {
    for v in ["regexp:[aA-zZ]", "RegExp:[aA-zZ]", "REGEXP:[aA-zZ]"] {
        assert!(allow(v, "MatchFuncRegexp-tag-name"), "{v}");
    }
}

#[test]
fn s22_allow_invalid_regexp_matches_nothing() {
    assert!(!allow("regexp:[aA-zZ", "MatchFuncRegexp-tag-name"));
    // Go rejects `\Z`; Argo silently matches nothing.
    assert!(!allow(r"regexp:^a\Z", "a"));
}

#[test]
fn s23_allow_regexp_is_an_unanchored_search() {
    assert!(allow("regexp:[a-z]+", "lemon"));
    assert!(!allow("regexp:[a-z]+", "31337"));
    assert!(allow("regexp:v1", "xv1y"));
    assert!(!allow("regexp:^v1$", "xv1y"));
    // Split at the first colon: the regexp keeps the rest.
    assert!(allow("regexp:^a:b$", "a:b"));
    // Empty regexp matches everything.
    assert!(allow("regexp:", "anything"));
    // Go semantics: `\d` is ASCII only.
    assert!(!allow(r"regexp:^\d$", "٣"));
    let s = ArgoSettings {
        allow_tags: Some(r"regexp:^1\.".into()),
        ..settings(Strategy::Semver, None)
    };
    assert_eq!(pick(&s, &infos(&T)).as_deref(), Some("1.1.2"));
}

#[test]
fn allow_unsupported_regexp_is_an_error_not_nothing() {
    match allow_tags_matcher(Some(r"regexp:\pL{1000}")) {
        Err(SelectError::Unsupported(m)) => assert!(m.contains("pL"), "{m}"),
        Err(e) => panic!("wrong error {e:?}"),
        Ok(_) => panic!("expected Unsupported"),
    }
    let s = ArgoSettings {
        allow_tags: Some(r"regexp:\pL{1000}".into()),
        ..settings(Strategy::Semver, None)
    };
    assert!(matches!(
        select(&s, &infos(&T)),
        Err(SelectError::Unsupported(_))
    ));
    // With no tags at all the answer is known anyway.
    assert_eq!(select(&s, &[]), Ok(None));
}

fn sel(tag: &str, digest: Option<&str>) -> Selection {
    Selection {
        tag: tag.into(),
        digest: digest.map(str::to_owned),
    }
}

#[test]
fn s24_same_name_digest_on_one_side_is_not_equal() {
    assert!(!sel("1.0", Some("abc")).equals("1.0", None));
    assert!(!sel("1.0", None).equals("1.0", Some("abc")));
    assert!(sel("1.0", None).equals("1.0", None));
    assert!(sel("1.0", None).equals("1.0", Some("")));
}

#[test]
fn s25_different_names_same_digest_are_equal() {
    assert!(sel("1.0", Some("abc")).equals("2.0", Some("abc")));
    assert!(sel("2.0", Some("abc")).equals("1.0", Some("abc")));
    assert!(!sel("1.0", Some("abc")).equals("1.0", Some("abd")));
}

#[test]
fn s26_stale_container_is_the_one_to_update() {
    // Selection part: the registry answer is the same for both
    // containers, and `equals` tells the up-to-date one from the stale
    // one. Which live image Argo compares against when several run the
    // same image (it prefers the stale one, v1.3) is decided on the
    // live/apply side, not here.
    let new = "sha256:".to_owned() + &"1".repeat(64);
    let old = "sha256:".to_owned() + &"0".repeat(64);
    let tags = vec![TagInfo {
        digest: Some(new.clone()),
        ..TagInfo::new("dev")
    }];
    let s = select(&settings(Strategy::Digest, Some("dev")), &tags)
        .unwrap()
        .unwrap();
    assert!(s.equals("dev", Some(&new)), "fresh container needs nothing");
    assert!(!s.equals("dev", Some(&old)), "stale container is updated");
    assert!(!s.equals("dev", None), "no digest yet: updated");
}

#[test]
fn s27_bare_digest_reference_gets_the_constraint_tag() {
    // Running `repo@sha256:D` (no tag) and registry `latest` = D: equal
    // by digest, so no churn; what would be written carries the
    // constraint's tag. Writing `repo:<tag>@sha` into the file is the
    // apply side's job; the value comes from `tag_with_digest`.
    let d = "sha256:".to_owned() + &"c".repeat(64);
    let tags = vec![TagInfo {
        digest: Some(d.clone()),
        ..TagInfo::new("latest")
    }];
    let s = select(&settings(Strategy::Digest, Some("latest")), &tags)
        .unwrap()
        .unwrap();
    assert!(s.equals("", Some(&d)));
    assert_eq!(s.tag_with_digest(), format!("latest@{d}"));
    // GetTagWithDigest on an empty tag name still says `latest`.
    assert_eq!(sel("", Some(&d)).tag_with_digest(), format!("latest@{d}"));
    assert_eq!(sel("v1", None).tag_with_digest(), "v1");
    assert_eq!(sel("v1", Some("")).tag_with_digest(), "v1");
}

// ---- constraint from the image tag (§2.1) --------------------------------

#[test]
fn bare_minor_constraint_is_tilde() {
    let tags = [
        "1.19.9",
        "1.20.0",
        "1.20.3",
        "1.20.4-rc1",
        "1.21.0",
        "2.0.0",
    ];
    assert_eq!(semver(Some("1.20"), &tags).as_deref(), Some("1.20.3"));
    assert_eq!(semver(Some("v1.20"), &tags).as_deref(), Some("1.20.3"));
    assert_eq!(semver(Some("1"), &tags).as_deref(), Some("1.21.0"));
}

#[test]
fn full_version_constraint_pins() {
    assert_eq!(
        semver(Some("1.20.1"), &["1.20.0", "1.20.1", "1.20.2"]).as_deref(),
        Some("1.20.1")
    );
    assert_eq!(semver(Some("1.20.1"), &["1.20.0", "1.20.2"]), None);
}

#[test]
fn semver_ties_pick_greatest_original_text() {
    assert_eq!(
        semver(None, &["1.0", "v1.0.0", "1.0.0"]).as_deref(),
        Some("v1.0.0")
    );
    assert_eq!(semver(None, &["1.0", "1.0.0"]).as_deref(), Some("1.0.0"));
    assert_eq!(
        semver(None, &["1.0.0+b1", "1.0.0"]).as_deref(),
        Some("1.0.0+b1")
    );
    // Loose Masterminds parsing: calver with leading zeros, 1–3 parts;
    // unparseable tags are dropped silently.
    assert_eq!(
        semver(
            None,
            &["2024.01.05", "2024.1.4", "latest", "V3.0.0", "1.2.3.4"]
        )
        .as_deref(),
        Some("2024.01.05")
    );
}

// ---- newest-build metadata ------------------------------------------------

#[test]
fn newest_build_drops_tags_without_metadata_or_platform() {
    let s = settings(Strategy::NewestBuild, None);
    let tags = vec![
        TagInfo {
            created: at(10),
            platforms: vec![plat("linux/amd64"), plat("linux/arm64")],
            ..TagInfo::new("multi")
        },
        TagInfo::new("no-metadata"), // created: None
        TagInfo {
            created: at(30),
            platforms: vec![plat("linux/arm64")],
            ..TagInfo::new("arm-only")
        },
    ];
    assert_eq!(pick(&s, &tags).as_deref(), Some("multi"));
    // Unknown platform (empty list) is accepted.
    let mut unknown = tags.clone();
    unknown.push(TagInfo {
        created: at(20),
        ..TagInfo::new("single")
    });
    assert_eq!(pick(&s, &unknown).as_deref(), Some("single"));
    // Asking for arm64 flips it.
    let arm = ArgoSettings {
        platforms: strings(&["linux/arm64"]),
        ..s.clone()
    };
    assert_eq!(pick(&arm, &tags).as_deref(), Some("arm-only"));
    // A dropped later duplicate does not replace a usable earlier one.
    let dup = vec![
        TagInfo {
            created: at(5),
            ..TagInfo::new("x")
        },
        TagInfo::new("x"),
    ];
    assert_eq!(pick(&s, &dup).as_deref(), Some("x"));
    // Constraint ignored, even an invalid one.
    let c = settings(Strategy::NewestBuild, Some("latest"));
    assert_eq!(
        pick(&c, &dated(&[("a", 2), ("b", 1)])).as_deref(),
        Some("a")
    );
}

// ---- digest strategy ------------------------------------------------------

#[test]
fn digest_edge_cases() {
    let d = "sha256:".to_owned() + &"e".repeat(64);
    let latest = TagInfo {
        digest: Some(d.clone()),
        platforms: vec![plat("linux/amd64"), plat("linux/arm/v7")],
        ..TagInfo::new("latest")
    };
    // Empty constraint: an error, even with no tags.
    assert_eq!(
        select(&settings(Strategy::Digest, None), &[]),
        Err(SelectError::DigestWithoutConstraint)
    );
    assert_eq!(
        select(
            &settings(Strategy::Digest, Some("")),
            std::slice::from_ref(&latest)
        ),
        Err(SelectError::DigestWithoutConstraint)
    );
    // Tracked tag absent: no result.
    assert_eq!(
        select(
            &settings(Strategy::Digest, Some("dev")),
            std::slice::from_ref(&latest)
        ),
        Ok(None)
    );
    // No digest in the source: a clear error rather than a silent None.
    let bare = TagInfo::new("latest");
    assert_eq!(
        select(&settings(Strategy::Digest, Some("latest")), &[bare]),
        Err(SelectError::MissingDigest("latest".into()))
    );
    // Platform filter decides usability only.
    let ppc = ArgoSettings {
        platforms: strings(&["linux/ppc64le"]),
        ..settings(Strategy::Digest, Some("latest"))
    };
    assert_eq!(select(&ppc, std::slice::from_ref(&latest)), Ok(None));
    // Filters apply to the tracked tag too.
    let ignored = ArgoSettings {
        ignore_tags: strings(&["lat*"]),
        ..settings(Strategy::Digest, Some("latest"))
    };
    assert_eq!(select(&ignored, std::slice::from_ref(&latest)), Ok(None));
    // A version-looking constraint is a tag name, not a range.
    let v = TagInfo {
        digest: Some(d.clone()),
        ..TagInfo::new("1.2")
    };
    let s = settings(Strategy::Digest, Some("1.2"));
    assert_eq!(
        select(&s, &[TagInfo::new("1.2.0"), v])
            .unwrap()
            .unwrap()
            .tag_with_digest(),
        format!("1.2@{d}")
    );
}

// ---- §7.3 platforms ---------------------------------------------------------

#[test]
fn l1_variant_requested_needs_exact_variant() {
    let req = strings(&["linux/arm/v6"]);
    assert!(matches_platform(&req, &[plat("linux/arm/v6")]));
    assert!(!matches_platform(&req, &[plat("linux/arm")]));
    assert!(!matches_platform(&req, &[plat("linux/amd64")]));
    assert!(!matches_platform(&req, &[plat("linux/arm/v7")]));
}

#[test]
fn l2_os_arch_accepts_any_variant() {
    let req = strings(&["linux/arm/v6", "linux/amd64"]);
    assert!(matches_platform(&req, &[plat("linux/amd64")]));
    assert!(matches_platform(&req, &[plat("linux/amd64/v6")]));
    assert!(!matches_platform(&req, &[plat("linux/arm")]));
    // One matching platform among many is enough.
    assert!(matches_platform(
        &req,
        &[plat("windows/amd64"), plat("linux/arm/v6")]
    ));
    // Entries are trimmed.
    assert!(matches_platform(
        &strings(&[" linux/arm64 "]),
        &[plat("linux/arm64")]
    ));
}

#[test]
fn l3_unparseable_entry_matches_nothing() {
    for bad in ["invalid", "windows", ""] {
        let req = strings(&[bad]);
        for p in ["linux/amd64", "windows/amd64", "linux/arm/v6"] {
            assert!(!matches_platform(&req, &[plat(p)]), "{bad} vs {p}");
        }
    }
    // Argo keeps it as the key `invalid/`, which only a manifest with
    // that OS and no architecture could have; modelled as is.
    assert!(matches_platform(
        &strings(&["invalid"]),
        &[plat("invalid/")]
    ));
}

#[test]
fn l4_default_is_the_runtime_platform() {
    let none: Vec<String> = Vec::new();
    assert!(matches_platform(&none, &[plat("linux/amd64")]));
    assert!(matches_platform(&none, &[plat("linux/amd64/v3")]));
    assert!(!matches_platform(&none, &[plat("linux/arm64")]));
    assert!(!matches_platform(&none, &[plat("darwin/amd64")]));
    // Unknown platform: accepted (documented model choice).
    assert!(matches_platform(&none, &[]));
}

#[test]
fn platform_key_quirks() {
    // SplitN(_, "/", 3): everything after the second slash is the variant;
    // a trailing empty variant is no variant.
    assert!(matches_platform(
        &strings(&["linux/arm/v7/x"]),
        &[plat("linux/arm/v7/x")]
    ));
    assert!(matches_platform(
        &strings(&["linux/amd64/"]),
        &[plat("linux/amd64")]
    ));
    assert!(!matches_platform(
        &strings(&["linux/arm"]),
        &[plat("linux/arm64")]
    ));
    let empty_variant = Platform {
        variant: Some(String::new()),
        ..plat("linux/amd64")
    };
    assert!(matches_platform(&[], &[empty_variant]));
}

// ---- strategy names -----------------------------------------------------------

#[test]
fn strategy_parse() {
    assert_eq!(Strategy::parse("semver"), Some((Strategy::Semver, false)));
    assert_eq!(Strategy::parse("SemVer"), Some((Strategy::Semver, false)));
    assert_eq!(
        Strategy::parse("newest-build"),
        Some((Strategy::NewestBuild, false))
    );
    assert_eq!(
        Strategy::parse("LATEST"),
        Some((Strategy::NewestBuild, true))
    );
    assert_eq!(
        Strategy::parse("alphabetical"),
        Some((Strategy::Alphabetical, false))
    );
    assert_eq!(
        Strategy::parse("Name"),
        Some((Strategy::Alphabetical, true))
    );
    assert_eq!(Strategy::parse("digest"), Some((Strategy::Digest, false)));
    assert_eq!(Strategy::parse("newest"), None);
    assert_eq!(Strategy::parse(""), None);
    assert_eq!(Strategy::parse(" semver"), None);
    // Go's rune-wise ToLower maps U+0130 to `i`.
    assert_eq!(
        Strategy::parse("D\u{130}GEST"),
        Some((Strategy::Digest, false))
    );
    assert_eq!(Strategy::parse("dígest"), None);
    for s in [
        Strategy::Semver,
        Strategy::NewestBuild,
        Strategy::Alphabetical,
        Strategy::Digest,
    ] {
        assert_eq!(Strategy::parse(s.as_str()), Some((s, false)));
    }
}

#[test]
fn error_messages_say_why() {
    let e = select(
        &settings(Strategy::Semver, Some("latest")),
        &infos(&["1.0"]),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("invalid semver constraint 'latest'"),
        "{e}"
    );
    assert!(
        SelectError::DigestWithoutConstraint
            .to_string()
            .contains("digest")
    );
    assert!(
        SelectError::MissingDigest("dev".into())
            .to_string()
            .contains("\"dev\"")
    );
}

// ---- cross-checks and robustness ------------------------------------------------

/// The literal upstream algorithm: map (last insert wins), sort
/// ascending, filter, take the last. Used to check the one-pass version.
fn naive(s: &ArgoSettings, tags: &[TagInfo]) -> Option<String> {
    let allow = allow_tags_matcher(s.allow_tags.as_deref()).ok()?;
    let filter = PlatformFilter::new(&s.platforms);
    let needs_meta = s.strategy == Strategy::NewestBuild;
    let mut map: Vec<TagInfo> = Vec::new();
    for t in tags {
        if !allow(&t.tag) || is_ignored(&s.ignore_tags, &t.tag) {
            continue;
        }
        if needs_meta && (t.created.is_none() || !filter.accepts_any(&t.platforms)) {
            continue;
        }
        map.retain(|m| m.tag != t.tag);
        map.push(t.clone());
    }
    match s.strategy {
        Strategy::Semver => {
            let c = match s.constraint.as_deref().unwrap_or("") {
                "" => Constraint::any(),
                c => Constraint::parse(c).ok()?,
            };
            let mut vs: Vec<Version> = map
                .iter()
                .filter_map(|t| Version::parse_argo(&t.tag).ok())
                .collect();
            vs.sort_by(semver_order);
            vs.into_iter()
                .rfind(|v| c.matches(v))
                .map(|v| v.original().to_owned())
        }
        Strategy::NewestBuild => {
            map.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.tag.cmp(&b.tag)));
            map.pop().map(|t| t.tag)
        }
        Strategy::Alphabetical => {
            map.sort_by(|a, b| a.tag.cmp(&b.tag));
            map.pop().map(|t| t.tag)
        }
        Strategy::Digest => unreachable!(),
    }
}

fn random_settings(rng: &mut Rng) -> ArgoSettings {
    let strategy = [
        Strategy::Semver,
        Strategy::NewestBuild,
        Strategy::Alphabetical,
        Strategy::Digest,
    ][rng.below(4)];
    let constraint = match rng.below(5) {
        0 => None,
        1 => Some(rng.string_from("0123456789.vx*^~<>=|- ", 8)),
        2 => Some(["~1", "^1.2", ">=1.0.0-0", "1.x", "latest", "*"][rng.below(6)].to_owned()),
        _ => Some(rng.string_from("012.v-rcab", 5)),
    };
    let allow_tags = match rng.below(5) {
        0 => None,
        1 => Some(format!(
            "regexp:{}",
            rng.string_from("^$.*+?()[]|\\dab1-:", 6)
        )),
        2 => Some(["any", "regexp:^1", "RegExp:a", "other", ""][rng.below(5)].to_owned()),
        _ => Some(rng.string_from("regxp:any^.*1", 8)),
    };
    let ignore_tags = (0..rng.below(3))
        .map(|_| rng.string_from("*?[]^!\\-a1.", 4))
        .collect();
    let platforms = (0..rng.below(3))
        .map(|_| rng.string_from("linux/amd64armv6 ", 12))
        .collect();
    ArgoSettings {
        strategy,
        constraint,
        allow_tags,
        ignore_tags,
        platforms,
    }
}

fn random_tags(rng: &mut Rng) -> Vec<TagInfo> {
    let plats = [
        "linux/amd64",
        "linux/arm/v6",
        "linux/arm64",
        "windows/amd64",
        "linux/amd64/v2",
    ];
    (0..rng.below(12))
        .map(|_| TagInfo {
            tag: rng.string_from("0123456789.v-+rcab:", 9),
            created: (rng.below(4) > 0).then(|| Timestamp {
                secs: rng.below(5) as i64 - 2,
                nanos: rng.below(3) as u32,
            }),
            digest: (rng.below(3) > 0).then(|| format!("sha256:{:064x}", rng.next())),
            platforms: (0..rng.below(3))
                .map(|_| plat(plats[rng.below(plats.len())]))
                .collect(),
        })
        .collect()
}

#[test]
fn never_panics_and_results_obey_the_filters() {
    let mut rng = Rng::new(0xA860_0001);
    for _ in 0..600 {
        let s = random_settings(&mut rng);
        let tags = random_tags(&mut rng);
        let res = select(&s, &tags);
        let _ = matches_platform(
            &s.platforms,
            &tags
                .first()
                .map(|t| t.platforms.clone())
                .unwrap_or_default(),
        );
        let Ok(Some(sel)) = res else { continue };
        assert!(
            tags.iter().any(|t| t.tag == sel.tag),
            "{sel:?} not an input tag"
        );
        let allow = allow_tags_matcher(s.allow_tags.as_deref()).unwrap();
        assert!(allow(&sel.tag), "{sel:?} not allowed by {:?}", s.allow_tags);
        assert!(!is_ignored(&s.ignore_tags, &sel.tag));
        match s.strategy {
            Strategy::Semver => assert!(Version::parse_argo(&sel.tag).is_ok()),
            Strategy::Digest => {
                assert_eq!(Some(sel.tag.as_str()), s.constraint.as_deref());
                assert!(sel.digest.is_some());
            }
            _ => assert_eq!(sel.digest, None),
        }
    }
}

#[test]
fn one_pass_agrees_with_sort_then_take_last() {
    let mut rng = Rng::new(0xA860_0002);
    let mut compared = 0;
    for _ in 0..600 {
        let mut s = random_settings(&mut rng);
        if s.strategy == Strategy::Digest {
            s.strategy = Strategy::Semver;
        }
        let mut tags = random_tags(&mut rng);
        // Version-shaped names so semver has something to rank.
        for t in tags.iter_mut() {
            if rng.below(2) == 0 {
                continue;
            }
            t.tag = format!(
                "{}{}.{}",
                ["", "v"][rng.below(2)],
                rng.below(3),
                rng.below(3)
            );
            if rng.below(3) == 0 {
                t.tag.push_str(["-rc1", "+b", ".0", "-0"][rng.below(4)]);
            }
        }
        let Ok(got) = select(&s, &tags) else { continue };
        assert_eq!(got.map(|g| g.tag), naive(&s, &tags), "{s:?} {tags:?}");
        compared += 1;
    }
    assert!(compared > 300, "only {compared} comparable cases");
}
