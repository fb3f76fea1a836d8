use super::*;

fn parse_go_float(s: &str) -> Option<f64> {
    parse_float(s).ok()
}

// --- parse_float against Go's atof_test.go table ---------------------

/// `(input, Some(expected) | None for ErrSyntax/ErrRange)`, from Go's
/// `atoftests`; expected values are Go's output text.
const ATOF: &[(&str, Option<&str>)] = &[
    ("", None),
    ("1", Some("1")),
    ("+1", Some("1")),
    ("1x", None),
    ("1.1.", None),
    ("1e23", Some("1e+23")),
    ("1E23", Some("1e+23")),
    ("100000000000000000000000", Some("1e+23")),
    ("1e-100", Some("1e-100")),
    ("123456700", Some("1.234567e+08")),
    ("99999999999999974834176", Some("9.999999999999997e+22")),
    ("100000000000000000000001", Some("1.0000000000000001e+23")),
    ("100000000000000008388608", Some("1.0000000000000001e+23")),
    ("100000000000000016777215", Some("1.0000000000000001e+23")),
    ("100000000000000016777216", Some("1.0000000000000003e+23")),
    ("-1", Some("-1")),
    ("-0.1", Some("-0.1")),
    ("-0", Some("-0")),
    ("1e-20", Some("1e-20")),
    ("625e-3", Some("0.625")),
    ("0x1p0", Some("1")),
    ("0x1p1", Some("2")),
    ("0x1p-1", Some("0.5")),
    ("0x1ep-1", Some("15")),
    ("-0x1ep-1", Some("-15")),
    ("-0x1_ep-1", Some("-15")),
    ("0x1p-200", Some("6.223015277861142e-61")),
    ("0x1p200", Some("1.6069380442589903e+60")),
    ("0x1fFe2.p0", Some("131042")),
    ("0x1fFe2.P0", Some("131042")),
    ("-0x2p3", Some("-16")),
    ("0x0.fp4", Some("15")),
    ("0x0.fp0", Some("0.9375")),
    ("0x1e2", None),
    ("1p2", None),
    ("0", Some("0")),
    ("0e0", Some("0")),
    ("-0e0", Some("-0")),
    ("+0e+0", Some("0")),
    ("0e+01234567890123456789", Some("0")),
    ("0.00e-01234567890123456789", Some("0")),
    ("-0e+01234567890123456789", Some("-0")),
    ("0x0p+01234567890123456789", Some("0")),
    ("-0x0.00p-01234567890123456789", Some("-0")),
    ("0e348", Some("0")),
    ("0x0p1026", Some("0")),
    ("nan", Some("NaN")),
    ("NaN", Some("NaN")),
    ("NAN", Some("NaN")),
    ("inf", Some("+Inf")),
    ("-Inf", Some("-Inf")),
    ("+INF", Some("+Inf")),
    ("-Infinity", Some("-Inf")),
    ("+INFINITY", Some("+Inf")),
    ("Infinity", Some("+Inf")),
    ("1.7976931348623157e308", Some("1.7976931348623157e+308")),
    ("-1.7976931348623157e308", Some("-1.7976931348623157e+308")),
    ("0x1.fffffffffffffp1023", Some("1.7976931348623157e+308")),
    ("-0x1.fffffffffffffp1023", Some("-1.7976931348623157e+308")),
    ("0x1fffffffffffffp+971", Some("1.7976931348623157e+308")),
    ("0x.1fffffffffffffp1027", Some("1.7976931348623157e+308")),
    ("1.7976931348623159e308", None),
    ("-1.7976931348623159e308", None),
    ("0x1p1024", None),
    ("-0x1p1024", None),
    ("0x2p1023", None),
    ("0x.1p1028", None),
    ("0x.2p1027", None),
    ("1.7976931348623158e308", Some("1.7976931348623157e+308")),
    (
        "0x1.fffffffffffff7fffp1023",
        Some("1.7976931348623157e+308"),
    ),
    (
        "-0x1.fffffffffffff7fffp1023",
        Some("-1.7976931348623157e+308"),
    ),
    ("1.797693134862315808e308", None),
    ("0x1.fffffffffffff8p1023", None),
    ("0x1fffffffffffff.8p+971", None),
    ("-0x1fffffffffffff8p+967", None),
    ("0x.1fffffffffffff8p1027", None),
    ("-0x.1fffffffffffff9p1027", None),
    ("1e308", Some("1e+308")),
    ("2e308", None),
    ("1e309", None),
    ("0x1p1025", None),
    ("1e310", None),
    ("1e400", None),
    ("-1e400", None),
    ("1e400000", None),
    ("0x1p2000000000", None),
    ("1e-305", Some("1e-305")),
    ("1e-310", Some("1e-310")),
    ("1e-322", Some("1e-322")),
    ("5e-324", Some("5e-324")),
    ("4e-324", Some("5e-324")),
    ("3e-324", Some("5e-324")),
    ("2e-324", Some("0")),
    ("1e-350", Some("0")),
    ("1e-400000", Some("0")),
    ("0x2.00000000000000p-1010", Some("1.8227805048890994e-304")),
    ("0x1.fffffffffffff0p-1010", Some("1.8227805048890992e-304")),
    ("0x1.fffffffffffff7p-1010", Some("1.8227805048890992e-304")),
    ("0x1.fffffffffffff8p-1010", Some("1.8227805048890994e-304")),
    ("0x1.fffffffffffff9p-1010", Some("1.8227805048890994e-304")),
    ("0x2.00000000000000p-1022", Some("4.450147717014403e-308")),
    ("0x1.fffffffffffff0p-1022", Some("4.4501477170144023e-308")),
    ("0x1.fffffffffffff8p-1022", Some("4.450147717014403e-308")),
    ("0x1.00000000000000p-1022", Some("2.2250738585072014e-308")),
    ("0x0.fffffffffffff0p-1022", Some("2.225073858507201e-308")),
    ("0x0.ffffffffffffe0p-1022", Some("2.2250738585072004e-308")),
    ("0x0.ffffffffffffe7p-1022", Some("2.2250738585072004e-308")),
    ("0x1.ffffffffffffe8p-1023", Some("2.225073858507201e-308")),
    ("0x1.ffffffffffffe9p-1023", Some("2.225073858507201e-308")),
    ("0x0.00000003fffff0p-1022", Some("2.072261e-317")),
    ("0x0.00000003456780p-1022", Some("1.694649e-317")),
    ("0x0.00000003456787p-1022", Some("1.694649e-317")),
    ("0x0.00000003456788p-1022", Some("1.694649e-317")),
    ("0x0.00000003456790p-1022", Some("1.6946496e-317")),
    ("0x0.00000003456789p-1022", Some("1.6946496e-317")),
    (
        "0x0.0000000345678800000000000000000000000001p-1022",
        Some("1.6946496e-317"),
    ),
    ("0x0.000000000000f0p-1022", Some("7.4e-323")),
    ("0x0.00000000000060p-1022", Some("3e-323")),
    ("0x0.00000000000058p-1022", Some("3e-323")),
    ("0x0.00000000000057p-1022", Some("2.5e-323")),
    ("0x0.00000000000050p-1022", Some("2.5e-323")),
    ("0x0.00000000000010p-1022", Some("5e-324")),
    ("0x0.000000000000081p-1022", Some("5e-324")),
    ("0x0.00000000000008p-1022", Some("0")),
    ("0x0.00000000000007fp-1022", Some("0")),
    ("1e-4294967296", Some("0")),
    ("1e+4294967296", None),
    ("1e-18446744073709551616", Some("0")),
    ("1e+18446744073709551616", None),
    ("0x1p-4294967296", Some("0")),
    ("0x1p+4294967296", None),
    ("0x1p-18446744073709551616", Some("0")),
    ("0x1p+18446744073709551616", None),
    ("1e", None),
    ("1e-", None),
    (".e-1", None),
    ("1\x00.2", None),
    ("0x", None),
    ("0x.", None),
    ("0x1", None),
    ("0x.1", None),
    ("0x1p", None),
    ("0x.1p", None),
    ("0x1p+", None),
    ("0x.1p+", None),
    ("0x1p-", None),
    ("0x.1p-", None),
    ("0x1p+2", Some("4")),
    ("0x.1p+2", Some("0.25")),
    ("0x1p-2", Some("0.25")),
    ("0x.1p-2", Some("0.015625")),
    ("2.2250738585072012e-308", Some("2.2250738585072014e-308")),
    ("2.2250738585072011e-308", Some("2.225073858507201e-308")),
    ("4.630813248087435e+307", Some("4.630813248087435e+307")),
    ("22.222222222222222", Some("22.22222222222222")),
    ("0x1.1111111111111p222", Some("7.18931911124017e+66")),
    ("0x2.2222222222222p221", Some("7.18931911124017e+66")),
    (
        "1.00000000000000011102230246251565404236316680908203125",
        Some("1"),
    ),
    ("0x1.00000000000008p0", Some("1")),
    (
        "1.00000000000000011102230246251565404236316680908203124",
        Some("1"),
    ),
    ("0x1.00000000000007Fp0", Some("1")),
    (
        "1.00000000000000011102230246251565404236316680908203126",
        Some("1.0000000000000002"),
    ),
    ("0x1.000000000000081p0", Some("1.0000000000000002")),
    ("0x1.00000000000009p0", Some("1.0000000000000002")),
    (
        "1.00000000000000033306690738754696212708950042724609375",
        Some("1.0000000000000004"),
    ),
    ("0x1.00000000000018p0", Some("1.0000000000000004")),
    ("1_23.50_0_0e+1_2", Some("1.235e+14")),
    ("-_123.5e+12", None),
    ("+_123.5e+12", None),
    ("_123.5e+12", None),
    ("1__23.5e+12", None),
    ("123_.5e+12", None),
    ("123._5e+12", None),
    ("123.5_e+12", None),
    ("123.5__0e+12", None),
    ("123.5e_+12", None),
    ("123.5e+_12", None),
    ("123.5e_-12", None),
    ("123.5e-_12", None),
    ("123.5e+1__2", None),
    ("123.5e+12_", None),
    ("0x_1_2.3_4_5p+1_2", Some("74565")),
    ("-_0x12.345p+12", None),
    ("+_0x12.345p+12", None),
    ("_0x12.345p+12", None),
    ("0x__12.345p+12", None),
    ("0x1__2.345p+12", None),
    ("0x12_.345p+12", None),
    ("0x12._345p+12", None),
    ("0x12.3__45p+12", None),
    ("0x12.345_p+12", None),
    ("0x12.345p_+12", None),
    ("0x12.345p+_12", None),
    ("0x12.345p_-12", None),
    ("0x12.345p-_12", None),
    ("0x12.345p+1__2", None),
    ("0x12.345p+12_", None),
];

fn same_float(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

#[test]
fn parse_go_float_matches_go_atof_tests() {
    for &(input, want) in ATOF {
        let got = parse_go_float(input);
        match want {
            None => assert_eq!(got, None, "{input:?} should fail"),
            Some(text) => {
                let want: f64 = text.parse().unwrap();
                let got = got.unwrap_or_else(|| panic!("{input:?} should parse"));
                assert!(
                    same_float(got, want),
                    "{input:?}: got {got:e}, want {want:e}"
                );
            }
        }
    }
}

#[test]
fn parse_go_float_long_inputs() {
    let long = format!("2.{}e+1", "2".repeat(4000));
    assert_eq!(parse_go_float(&long), Some(22.22222222222222));
    let long = format!("0x2.{}p221", "2".repeat(4000));
    assert_eq!(parse_go_float(&long), Some(7.18931911124017e+66));
    let halfway = "1.00000000000000011102230246251565404236316680908203125";
    let long = format!("{halfway}{}1", "0".repeat(10000));
    assert_eq!(parse_go_float(&long), Some(1.0000000000000002));
    let long = format!("0x1.00000000000008{}1p0", "0".repeat(10000));
    assert_eq!(parse_go_float(&long), Some(1.0000000000000002));
}

#[test]
fn parse_go_float_specials_and_separators() {
    for bad in [
        "+nan", "-NaN", "nan1", "infx", "infinit", "in", " 1", "1 ", "0b1", "0o7", "1_",
    ] {
        assert_eq!(parse_go_float(bad), None, "{bad:?}");
    }
    assert_eq!(parse_go_float("1_000"), Some(1000.0));
    assert_eq!(parse_go_float("0_1"), Some(1.0));
    assert_eq!(parse_go_float("1_0e1_0"), Some(10e10));
    assert_eq!(parse_go_float("0x_1p0"), Some(1.0));
    assert_eq!(parse_go_float("1."), Some(1.0));
    assert_eq!(parse_go_float(".5"), Some(0.5));
    assert_eq!(parse_go_float("-.5E1"), Some(-5.0));
    // Exponent digits past 10000 are ignored, as in Go: 1e100000 is read
    // as 1e10000 (overflow either way), and with 100001 leading
    // fractional zeros the clamped exponent leaves a tiny value → 0.
    assert_eq!(parse_go_float("1e100000"), None);
    let tiny = format!("0.{}1e100010", "0".repeat(100_001));
    assert_eq!(parse_go_float(&tiny), Some(0.0));
    let big = format!("0.{}1e100010_0", "0".repeat(10));
    assert_eq!(parse_go_float(&big), None);
}

/// The template parser's literal checks, from when they were private to
/// `template.rs`: each name is the check it made.
mod template_literals {
    fn go_parse_int_ok(s: &str, signed: bool) -> bool {
        if signed {
            super::parse_int(s).is_ok()
        } else {
            super::parse_uint(s).is_ok()
        }
    }

    fn go_parse_float_ok(s: &str) -> bool {
        super::parse_float(s).is_ok()
    }

    fn valid_quoted(tok: &str) -> bool {
        tok.starts_with('"') && super::unquote(tok).is_some()
    }

    fn unquote_char(s: &str, quote: char) -> Option<&str> {
        super::unquote_char(s, quote).map(|(_, rest)| rest)
    }

    fn go_quote(s: &str) -> String {
        super::quote(s)
    }

    #[test]
    fn literal_helpers_follow_strconv() {
        assert!(go_parse_int_ok("0x1F", false));
        assert!(go_parse_int_ok("-9223372036854775808", true));
        assert!(!go_parse_int_ok("9223372036854775808", true));
        assert!(go_parse_int_ok("18446744073709551615", false));
        assert!(!go_parse_int_ok("1__0", false));
        assert!(!go_parse_int_ok("_1", false));
        assert!(go_parse_int_ok("0_7", false));
        assert!(go_parse_float_ok("1e308"));
        assert!(!go_parse_float_ok("1e309"));
        assert!(go_parse_float_ok("0x1p-2"));
        assert!(!go_parse_float_ok("0x1"));
        assert!(go_parse_float_ok(".5"));
        assert!(go_parse_float_ok("1."));
        assert!(!go_parse_float_ok("."));
        assert!(valid_quoted(r#""a\tb\u00e9\x41\101""#));
        assert!(!valid_quoted(r#""\'""#));
        assert!(!valid_quoted(r#""\400""#));
        assert_eq!(unquote_char("\\'", '\''), Some(""));
        assert_eq!(go_quote("a\"b\n\u{1}é"), "\"a\\\"b\\n\\x01é\"");
    }
}
