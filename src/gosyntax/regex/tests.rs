use super::*;

fn go_err(p: &str) -> (String, String) {
    let e = compile_go_regex(p).expect_err(p);
    assert_eq!(e.kind, GoRegexErrorKind::Invalid, "{p}: {e}");
    (e.code, e.expr)
}

fn ok(p: &str) -> Regex {
    compile_go_regex(p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

#[test]
fn compile_errors_match_go() {
    assert_eq!(go_err("(abc"), (code::MISSING_PAREN.into(), "(abc".into()));
    assert_eq!(
        go_err("abc)"),
        (code::UNEXPECTED_PAREN.into(), "abc)".into())
    );
    assert_eq!(go_err("[a-"), (code::MISSING_BRACKET.into(), "[a-".into()));
    assert_eq!(
        go_err("[z-a]"),
        (code::INVALID_CHAR_RANGE.into(), "z-a".into())
    );
    assert_eq!(go_err("a**"), (code::INVALID_REPEAT_OP.into(), "**".into()));
    assert_eq!(go_err("a*+"), (code::INVALID_REPEAT_OP.into(), "*+".into()));
    assert_eq!(
        go_err("a??*"),
        (code::INVALID_REPEAT_OP.into(), "??*".into())
    );
    assert_eq!(
        go_err("*a"),
        (code::MISSING_REPEAT_ARGUMENT.into(), "*".into())
    );
    assert_eq!(
        go_err("(*)"),
        (code::MISSING_REPEAT_ARGUMENT.into(), "*".into())
    );
    assert_eq!(
        go_err("a|*"),
        (code::MISSING_REPEAT_ARGUMENT.into(), "*".into())
    );
    assert_eq!(
        go_err("x{1001}"),
        (code::INVALID_REPEAT_SIZE.into(), "{1001}".into())
    );
    assert_eq!(
        go_err("(x{50}){50}"),
        (code::INVALID_REPEAT_SIZE.into(), "{50}".into())
    );
    assert_eq!(
        go_err("x{2,1}"),
        (code::INVALID_REPEAT_SIZE.into(), "{2,1}".into())
    );
    assert_eq!(go_err(r"\1"), (code::INVALID_ESCAPE.into(), r"\1".into()));
    assert_eq!(go_err(r"\8"), (code::INVALID_ESCAPE.into(), r"\8".into()));
    assert_eq!(go_err(r"\C"), (code::INVALID_ESCAPE.into(), r"\C".into()));
    assert_eq!(go_err(r"\Z"), (code::INVALID_ESCAPE.into(), r"\Z".into()));
    assert_eq!(
        go_err(r"\u0041"),
        (code::INVALID_ESCAPE.into(), r"\u".into())
    );
    assert_eq!(go_err(r"\e"), (code::INVALID_ESCAPE.into(), r"\e".into()));
    assert_eq!(go_err(r"[\b]"), (code::INVALID_ESCAPE.into(), r"\b".into()));
    assert_eq!(
        go_err(r"\x{110000}"),
        (code::INVALID_ESCAPE.into(), r"\x{110000".into())
    );
    assert_eq!(go_err("a\\"), (code::TRAILING_BACKSLASH.into(), "".into()));
    assert_eq!(
        go_err("(?=x)"),
        (code::INVALID_PERL_OP.into(), "(?=".into())
    );
    assert_eq!(
        go_err("(?<=x)"),
        (code::INVALID_NAMED_CAPTURE.into(), "(?<=x)".into())
    );
    assert_eq!(
        go_err("(?P=n)"),
        (code::INVALID_PERL_OP.into(), "(?P".into())
    );
    assert_eq!(
        go_err("(?x)a"),
        (code::INVALID_PERL_OP.into(), "(?x".into())
    );
    assert_eq!(
        go_err("(?i-)a"),
        (code::INVALID_PERL_OP.into(), "(?i-)".into())
    );
    assert_eq!(
        go_err("(?P<a-b>x)"),
        (code::INVALID_NAMED_CAPTURE.into(), "(?P<a-b>".into())
    );
    assert_eq!(
        go_err("(?P<>x)"),
        (code::INVALID_NAMED_CAPTURE.into(), "(?P<>".into())
    );
    assert_eq!(
        go_err(r"\p{Alphabetic}"),
        (code::INVALID_CHAR_RANGE.into(), r"\p{Alphabetic}".into())
    );
    assert_eq!(
        go_err(r"\p{Greek"),
        (code::INVALID_CHAR_RANGE.into(), r"\p{Greek".into())
    );
    assert_eq!(
        go_err("[[:foo:]]"),
        (code::INVALID_CHAR_RANGE.into(), "[:foo:]".into())
    );
    assert_eq!(
        compile_go_regex("(abc").unwrap_err().to_string(),
        "error parsing regexp: missing closing ): `(abc`"
    );
    assert_eq!(compile_go_regex("ab(c").unwrap_err().range, 2..3);
    assert_eq!(compile_go_regex("a**").unwrap_err().range, 1..3);
}

#[test]
fn go_accepts_what_rust_would_reject() {
    // Literal braces, Go-only escapes, stacked-looking repetitions.
    assert!(ok("a{").is_match("a{"));
    assert!(ok("a{,2}").is_match("a{,2}"));
    assert!(ok(r"x\b{start}").is_match("x{start}"));
    assert!(ok(r"\Qa.b*\E+").is_match("a.b**"));
    assert!(!ok(r"\Qa.b\E").is_match("axb"));
    assert!(ok(r"\101\0").is_match("A\0"));
    assert!(ok(r"\_").is_match("_"));
    assert!(ok("a*(?i)*").is_match("aaa"));
    assert!(ok("^*x").is_match("x"));
    assert!(ok("(?P<1x>a)(?P<v>b)|(?P<v>c)").is_match("c"));
    assert!(ok("(?<name>a)").is_match("a"));
    assert!(ok("(?)a").is_match("a"));
    assert!(ok("[]a]").is_match("]"));
    assert!(ok(r"\p{Cs}|x").is_match("x"));
    assert!(ok(r"\x{D800}|y").is_match("y"));
    assert!(ok(r"\p{letter}").is_match("é"));
    assert!(ok(r"\p{^Greek}").is_match("a"));
    assert!(ok(r"\pL").is_match("a"));
    assert!(ok("((((((((((a))))))))))").is_match("a"));
}

#[test]
fn go_semantics_not_rust_semantics() {
    // ASCII-only Perl classes and word boundaries.
    assert!(!ok(r"^\d$").is_match("٣"));
    assert!(!ok(r"^\w$").is_match("é"));
    assert!(ok(r"^\W$").is_match("é"));
    assert!(!ok(r"^\s$").is_match("\u{0B}"));
    assert!(ok(r"\bx").is_match("éx"));
    // No nested classes or set operations: `[[a]` is '[' or 'a', then ']'.
    let re = ok("[[a]]");
    assert!(re.is_match("a]"));
    assert!(!re.is_match("a"));
    assert!(ok("[a&&b]").is_match("&"));
    // `\<` is a literal.
    assert!(ok(r"\<x\>").is_match("<x>"));
    // `$` is end of text without (?m).
    assert!(!ok("a$").is_match("a\n"));
    assert!(ok("(?m)a$").is_match("a\nb"));
    // Unanchored search, leftmost-first.
    assert_eq!(ok("v1").find("xv1y").map(|m| m.start()), Some(1));
    assert_eq!(ok("a|ab").find("ab").map(|m| m.as_str()), Some("a"));
    // Flags end with their group.
    let re = ok("(a(?i)b)c");
    assert!(re.is_match("aBc"));
    assert!(!re.is_match("aBC"));
    // Ungreedy flag swaps greediness.
    assert_eq!(ok("(?U)a+").find("aaa").map(|m| m.as_str()), Some("a"));
    assert_eq!(ok("(?U)a+?").find("aaa").map(|m| m.as_str()), Some("aaa"));
    // Case folding covers the Kelvin sign, like Go.
    assert!(ok("(?i)k").is_match("\u{212A}"));
    assert!(!ok(r"(?i)[^\w]").is_match("\u{212A}"));
}

#[test]
fn expand_follows_go_rules() {
    let re = ok(r"^(?P<major>\d+)\.(\d+)(x)?");
    let caps = re.captures("12.34").unwrap();
    let e = |t: &str| expand(t, &re, &caps);
    assert_eq!(e("$1"), "12");
    assert_eq!(e("${1}"), "12");
    assert_eq!(e("$major-$2"), "12-34");
    // `$1x` names the group "1x", which does not exist.
    assert_eq!(e("$1x"), "");
    assert_eq!(e("${1}x"), "12x");
    assert_eq!(e("$$1"), "$1");
    assert_eq!(e("$"), "$");
    assert_eq!(e("${1"), "${1");
    assert_eq!(e("$3"), "");
    assert_eq!(e("$9"), "");
    assert_eq!(e("$01"), "");
    assert_eq!(e("$0"), "12.34");
    assert_eq!(e("a$-b"), "a$-b");
    assert_eq!(e("${major}.${2}"), "12.34");

    let re = ok("(?P<v>a)|(?P<v>b)|(?P<1x>c)");
    let caps = re.captures("b").unwrap();
    assert_eq!(expand("[$v]", &re, &caps), "[b]");
    assert_eq!(
        go_capture_names(&re),
        vec![None, Some("v".into()), Some("v".into()), Some("1x".into())]
    );
    let caps = re.captures("c").unwrap();
    assert_eq!(expand("$1x", &re, &caps), "c");
}

#[test]
fn expand_refs_and_unknown_groups() {
    let refs = expand_refs("a$1x${2}$$b$name${n_2}");
    assert_eq!(
        refs,
        vec![
            ExpandRef {
                target: GroupRef::Name("1x".into()),
                range: 1..4,
                braced: false
            },
            ExpandRef {
                target: GroupRef::Index(2),
                range: 4..8,
                braced: true
            },
            ExpandRef {
                target: GroupRef::Name("name".into()),
                range: 11..16,
                braced: false
            },
            ExpandRef {
                target: GroupRef::Name("n_2".into()),
                range: 16..22,
                braced: true
            },
        ]
    );
    assert_eq!(stray_dollars("a$ b${1 $$"), vec![1, 4]);
    assert_eq!(classify_name("100000000"), GroupRef::Index(100_000_000));
    assert_eq!(
        classify_name("1000000000"),
        GroupRef::Name("1000000000".into())
    );

    let re = ok(r"^v(?P<ver>\d+)-(\d+)$");
    assert_eq!(unknown_groups(&re, "$ver.$2"), vec![]);
    assert_eq!(
        unknown_groups(&re, "$3-$1x-${version}-$0"),
        vec![
            ("3".to_string(), 0..2),
            ("1x".to_string(), 3..6),
            ("version".to_string(), 7..17)
        ]
    );
}

#[test]
fn translation_is_inspectable() {
    assert_eq!(
        translate_go_regex(r"^v(\d+)\.x$").unwrap(),
        r"\Av([0-9]+)\.x\z"
    );
    assert_eq!(translate_go_regex("a{").unwrap(), r"a\{");
    assert_eq!(
        translate_go_regex("a**").unwrap_err().kind,
        GoRegexErrorKind::Invalid
    );
}

#[test]
fn unsupported_is_not_invalid() {
    let e = compile_go_regex(r"\pL{1000}").unwrap_err();
    assert_eq!(e.kind, GoRegexErrorKind::Unsupported);
    assert!(validate_go_regex(r"\pL{1000}").is_ok());
}

#[test]
fn never_panics_on_random_input() {
    let mut rng = crate::testutil::Rng::new(0x4E_6E);
    let alphabet = r"ab()[]{}|*+?.^$\-:,<>PpQEdDwWbBxz019!=iUms_é{}";
    for _ in 0..3000 {
        let p = rng.string_from(alphabet, 10);
        if let Ok(re) = compile_go_regex(&p) {
            let s = rng.string_from("ab-é_{}", 6);
            if let Some(c) = re.captures(&s) {
                let t = rng.string_from("$1{}ab_", 6);
                let _ = expand(&t, &re, &c);
                let _ = unknown_groups(&re, &t);
            }
        }
        let _ = expand_refs(&p);
        let _ = stray_dollars(&p);
    }
}
