use super::*;

fn argo(s: &str) -> Version {
    Version::parse_argo(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

fn prec(a: &str, b: &str) -> Ordering {
    argo(a).cmp_precedence(&argo(b))
}

// Flux TestSemVer_Latest and fluxcd/pkg TestParseVersion: tags Flux skips.
#[test]
fn flux_rejects_test_semver_latest_tags() {
    for tag in [
        "1.0.0.1", "1.0.0p", "b1.2.3", "v1.0", "v1", "v1.2.3.4", "latest", "1.2.3_4",
    ] {
        assert!(
            Version::parse_flux(tag).is_err(),
            "{tag:?} must not parse for Flux"
        );
    }
}

#[test]
fn flux_accepts_calver_and_dotted_prereleases() {
    let v = Version::parse_flux("v2025.07.03").unwrap();
    assert_eq!((v.major(), v.minor(), v.patch()), (2025, 7, 3));
    assert_eq!(v.original(), "v2025.07.03");
    // The two dots may sit inside the prerelease: the pre-check counts
    // dots before Masterminds coerces the missing parts.
    let v = Version::parse_flux("1.2-rc.1.3").unwrap();
    assert_eq!(v.to_string(), "1.2.0-rc.1.3");
    let v = Version::parse_flux("1-rc.1.2").unwrap();
    assert_eq!(v.to_string(), "1.0.0-rc.1.2");
}

#[test]
fn flux_dot_check_is_before_coercion() {
    assert_eq!(Version::parse_flux("v1.0"), Err(VersionError::TooFewDots));
    assert_eq!(
        Version::parse_flux("20221209-update-renovatejson-v4"),
        Err(VersionError::TooFewDots)
    );
    assert!(Version::parse_argo("20221209-update-renovatejson-v4").is_ok());
    // Dots in build metadata count too.
    assert_eq!(
        Version::parse_flux("1+a.b.c").unwrap().to_string(),
        "1.0.0+a.b.c"
    );
    assert_eq!(Version::parse_flux("1+a.b"), Err(VersionError::TooFewDots));
}

#[test]
fn flux_pkg_parse_version_cases() {
    for ok in [
        "v1.2.3",
        "v1.2.0-x.Y.0+metadata",
        "v1.2.0-x.Y.0+metadata-width-hypen",
        "v1.2.3-rc1-with-hypen",
    ] {
        assert!(Version::parse_flux(ok).is_ok(), "{ok:?}");
    }
    for bad in ["v1.0", "v1", "v1.2.beta", "\nv1.2", "v1.2.3.4"] {
        assert!(Version::parse_flux(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn argo_accepts_partial_versions() {
    assert_eq!(argo("1").to_string(), "1.0.0");
    assert_eq!(argo("1.2").to_string(), "1.2.0");
    let v = argo("v2.1");
    assert_eq!(v.to_string(), "2.1.0");
    assert_eq!(v.original(), "v2.1");
}

#[test]
fn argo_rejects_capital_v_and_leading_zero_prerelease() {
    assert_eq!(Version::parse_argo("V1.2.3"), Err(VersionError::Malformed));
    assert_eq!(
        Version::parse_argo("1.0.0-01"),
        Err(VersionError::PrereleaseLeadingZero)
    );
    assert_eq!(
        Version::parse_argo("1.2.3-rc.01"),
        Err(VersionError::PrereleaseLeadingZero)
    );
    assert!(Version::parse_argo("1.2.3-0abc").is_ok());
    for bad in [
        "latest",
        "1.2.3.4",
        "1.2.3_4",
        "release-1.2",
        "",
        "v",
        "1.",
        "1.2.",
        "1.0.0-",
        "1.0.0+",
        "1.2.3-a..b",
        "1.2.3+a..b",
        " 1.2.3",
        "1.2.3 ",
        "\n1.2",
        "1.2.3-é",
    ] {
        assert!(Version::parse_argo(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn numbers_are_u64() {
    assert_eq!(argo("1.2.2147483648").patch(), 2_147_483_648);
    assert_eq!(argo("18446744073709551615").major(), u64::MAX);
    assert_eq!(
        Version::parse_argo("18446744073709551616"),
        Err(VersionError::NumberTooLarge)
    );
    assert_eq!(argo("0000000000000000000000001.0.0").major(), 1);
}

#[test]
fn too_long_is_rejected() {
    let long = format!("1.0.0-{}", "a".repeat(MAX_VERSION_LEN - 6));
    assert_eq!(long.len(), MAX_VERSION_LEN);
    assert!(Version::parse_argo(&long).is_ok());
    let longer = format!("{long}a");
    assert_eq!(Version::parse_argo(&longer), Err(VersionError::TooLong));
}

#[test]
fn build_metadata_is_kept_but_ignored_for_precedence() {
    let v = argo("1.0.0+b1.x-y");
    assert_eq!(v.build(), "b1.x-y");
    assert_eq!(prec("1.0.0+b1", "1.0.0+b2"), Ordering::Equal);
    assert_eq!(prec("1.0.0-rc.1+zzz", "1.0.0-rc.1"), Ordering::Equal);
    assert_ne!(argo("1.0.0+b1"), argo("1.0.0+b2"));
}

#[test]
fn equal_precedence_spellings() {
    assert_eq!(prec("1.0.0", "v1.0.0"), Ordering::Equal);
    assert_eq!(prec("1.0.0", "01.0.0"), Ordering::Equal);
    assert_eq!(prec("v1.0.0", "01.00.000"), Ordering::Equal);
    assert_eq!(prec("1.0", "1.0.0"), Ordering::Equal);
}

#[test]
fn release_above_its_prereleases() {
    assert_eq!(prec("1.0.0-rc.1", "1.0.0"), Ordering::Less);
    assert_eq!(prec("1.0.1-alpha", "1.0.0"), Ordering::Greater);
}

#[test]
fn numeric_identifiers_below_alphanumeric() {
    assert_eq!(prec("1.0.0-1", "1.0.0-a"), Ordering::Less);
    assert_eq!(prec("1.0.0-999", "1.0.0-0a"), Ordering::Less);
    assert_eq!(prec("1.0.0-2", "1.0.0-10"), Ordering::Less);
    // Byte-wise, so uppercase sorts before lowercase.
    assert_eq!(prec("1.2.3-BETA", "1.2.3-alpha"), Ordering::Less);
    assert_eq!(prec("1.0.0-alpha-2", "1.0.0-alpha-10"), Ordering::Greater);
}

#[test]
fn shorter_identifier_list_is_lower() {
    assert_eq!(prec("1.0.0-alpha", "1.0.0-alpha.1"), Ordering::Less);
    assert_eq!(prec("1.0.0-alpha.1", "1.0.0-alpha.beta"), Ordering::Less);
    assert_eq!(prec("1.0.0-rc.1.2", "1.0.0-rc.1"), Ordering::Greater);
}

#[test]
fn semver_spec_precedence_chain() {
    let chain = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ];
    for w in chain.windows(2) {
        assert_eq!(prec(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
    }
}

#[test]
fn numeric_identifier_above_u64_is_alphanumeric() {
    let big = "1.0.0-18446744073709551616";
    assert_eq!(
        argo(big).pre(),
        &[Identifier::Alpha("18446744073709551616".into())]
    );
    assert_eq!(prec(big, "1.0.0-18446744073709551615"), Ordering::Greater);
    // Byte-wise against another word: '1' < 'a'.
    assert_eq!(prec(big, "1.0.0-a"), Ordering::Less);
    assert_eq!(
        prec("1.0.0-99999999999999999999", "1.0.0-100000000000000000000"),
        Ordering::Greater
    );
}

#[test]
fn hyphen_led_identifier_is_alphanumeric() {
    assert_eq!(argo("1.0.0--1").pre(), &[Identifier::Alpha("-1".into())]);
    assert_eq!(prec("1.0.0--1", "1.0.0-1"), Ordering::Greater);
}

#[test]
fn display_is_normalised_and_original_is_verbatim() {
    let v = argo("v01.02.03-rc.1+build.5");
    assert_eq!(v.to_string(), "1.2.3-rc.1+build.5");
    assert_eq!(v.original(), "v01.02.03-rc.1+build.5");
    assert!(v.is_prerelease());
    assert_eq!(
        v.pre(),
        &[Identifier::Alpha("rc".into()), Identifier::Numeric(1)]
    );
}

#[test]
fn common_image_tags() {
    assert_eq!(
        argo("1.25.3-alpine").pre(),
        &[Identifier::Alpha("alpine".into())]
    );
    assert_eq!(argo("1.0-rc1").to_string(), "1.0.0-rc1");
    assert!(Version::parse_flux("2.3.0-rc.0.18.g1abb7b5dd-ppc64le").is_ok());
    assert_eq!(prec("7.2.4-alpine3.18", "7.2.4-alpine3.19"), Ordering::Less);
}
