use super::*;

fn data() -> Value {
    let change = |o: &str, n: &str| {
        Value::Struct(
            Struct::new("Change")
                .field("OldValue", Value::str(o))
                .field("NewValue", Value::str(n)),
        )
    };
    let mut top = Struct::new("TemplateData")
        .field("Name", Value::str("demo"))
        .field("Count", Value::Int(3))
        .field("Empty", Value::str(""))
        .field(
            "Changes",
            Value::List(vec![change("a:1", "a:2"), change("b:1", "b:2")]),
        )
        .field(
            "Values",
            Value::string_map([
                ("zeta".to_owned(), Value::str("z")),
                ("alpha".to_owned(), Value::str("a")),
            ]),
        );
    top.removed
        .push(("Updated".into(), "field Updated was removed".into()));
    Value::Struct(top)
}

fn run(src: &str) -> String {
    let t = Template::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    t.execute(&data()).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn fail(src: &str) -> String {
    match Template::parse(src) {
        Err(e) => e.to_string(),
        Ok(t) => match t.check_fields(&data()).and_then(|_| t.execute(&data())) {
            Err(e) => e.to_string(),
            Ok(out) => panic!("{src}: expected an error, got {out:?}"),
        },
    }
}

#[test]
fn text_fields_and_trimming() {
    assert_eq!(run("hello {{ .Name }}!"), "hello demo!");
    assert_eq!(run("a  \n {{- .Name -}} \n  b"), "ademob");
    assert_eq!(run("{{/* comment */}}x{{- /* c */ -}}  y"), "xy");
    assert_eq!(
        run("{{ .Values.alpha }} {{ .Values.missing }}"),
        "a <no value>"
    );
    assert_eq!(run("{{ $.Name }}"), "demo");
}

#[test]
fn control_flow() {
    assert_eq!(
        run("{{ range $i, $c := .Changes }}{{ $i }}={{ $c.NewValue }};{{ end }}"),
        "0=a:2;1=b:2;"
    );
    assert_eq!(
        run("{{ range .Changes }}{{ .OldValue }} {{ end }}"),
        "a:1 b:1 "
    );
    assert_eq!(
        run("{{ range $k, $v := .Values }}{{ $k }}:{{ $v }},{{ end }}"),
        "alpha:a,zeta:z,"
    );
    assert_eq!(
        run("{{ range .Values.missing }}x{{ else }}none{{ end }}"),
        "none"
    );
    assert_eq!(run("{{ range 3 }}{{ . }}{{ end }}"), "012");
    assert_eq!(
        run(
            "{{ range .Changes }}{{ if eq .OldValue \"b:1\" }}{{ break }}{{ end }}{{ .OldValue }}{{ end }}"
        ),
        "a:1"
    );
    assert_eq!(
        run(
            "{{ range .Changes }}{{ if eq .OldValue \"a:1\" }}{{ continue }}{{ end }}{{ .OldValue }}{{ end }}"
        ),
        "b:1"
    );
    assert_eq!(
        run("{{ if .Empty }}1{{ else if eq .Count 3 }}2{{ else }}3{{ end }}"),
        "2"
    );
    assert_eq!(
        run("{{ with .Empty }}x{{ else with .Name }}{{ . }}{{ end }}"),
        "demo"
    );
    assert_eq!(run("{{ with $n := .Name }}{{ $n }}{{ end }}"), "demo");
    assert_eq!(run("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}"), "2");
}

#[test]
fn functions_and_pipelines() {
    assert_eq!(run("{{ .Name | upper }}"), "DEMO");
    assert_eq!(run("{{ len .Changes }} {{ len .Name }}"), "2 4");
    assert_eq!(run("{{ (index .Changes 1).NewValue }}"), "b:2");
    assert_eq!(run("{{ index .Values \"zeta\" }}"), "z");
    assert_eq!(
        run(r#"{{ printf "%s has %d (%q) %v %5s|%-3d|" .Name .Count "x" true "ab" 7 }}"#),
        "demo has 3 (\"x\") true    ab|7  |"
    );
    assert_eq!(run(r#"{{ print 1 2 "a" 3 }}"#), "1 2a3");
    assert_eq!(run(r#"{{ println "a" 1 }}"#), "a 1\n");
    assert_eq!(run("{{ and .Name .Empty }}|{{ or .Empty .Name }}"), "|demo");
    assert_eq!(
        run("{{ not .Empty }} {{ lt 1 2 }} {{ ge \"b\" \"a\" }}"),
        "true true true"
    );
    assert_eq!(
        run("{{ eq .Count 1 2 3 }} {{ ne .Name \"demo\" }}"),
        "true false"
    );
    assert_eq!(run("{{ .Empty | default \"none\" }}"), "none");
    assert_eq!(run(r#"{{ "a,b" | splitList "," | join "+" }}"#), "a+b");
    assert_eq!(run(r#"{{ "  x " | trim | quote }}"#), "\"x\"");
    assert_eq!(
        run(r#"{{ trimPrefix "v" "v1.2" }} {{ replace "." "-" "1.2" }}"#),
        "1.2 1-2"
    );
    assert_eq!(
        run(r#"{{ "ab" | title }} {{ trunc 2 "abc" }} {{ base "a/b/c" }} {{ dir "a/b/c" }}"#),
        "Ab ab c a/b"
    );
    assert_eq!(
        run(r#"{{ "x" | indent 2 }}|{{ slice "abcd" 1 3 }}"#),
        "  x|bc"
    );
    assert_eq!(run("{{ .Changes }}"), "[{a:1 a:2} {b:1 b:2}]");
    assert_eq!(run("{{ .Values }}"), "map[alpha:a zeta:z]");
    assert_eq!(run("{{ 1.5 }} {{ 0x10 }} {{ 'a' }}"), "1.5 16 97");
}

#[test]
fn errors_name_the_field_and_position() {
    assert_eq!(
        fail("line\n  {{ .Nope }}"),
        "template: commit message:2:5: executing \"commit message\" at <.Nope>: can't evaluate field Nope in type TemplateData (fields: Name, Count, Empty, Changes, Values)"
    );
    let e = fail("{{ range .Changes }}{{ .Bad }}{{ end }}");
    assert!(
        e.contains("1:23") && e.contains("at <.Bad>") && e.contains("field Bad in type Change"),
        "{e}"
    );
    let e = fail("{{ if false }}{{ .Never }}{{ end }}");
    assert!(
        e.contains("at <.Never>"),
        "static check reaches untaken branches: {e}"
    );
    let e = fail("{{ range .Updated.Images }}{{ end }}");
    assert!(
        e.contains("at <.Updated>: field Updated was removed"),
        "{e}"
    );
    let e = fail("{{ .Name.Foo }}");
    assert!(e.contains("can't evaluate field Foo in type string"), "{e}");
    let e = fail("{{ nosuch .Name }}");
    assert!(e.contains("function \"nosuch\" not defined"), "{e}");
    let e = fail("{{ sha256sum .Name }}");
    assert!(e.contains("not implemented by kubectl-imageupdate"), "{e}");
    let e = fail("{{ now }}");
    assert!(e.contains("function \"now\" not defined"), "{e}");
    let e = fail("a\n{{ if .Name }}");
    assert!(e.starts_with("template: commit message:2:"), "{e}");
    assert!(fail("{{ define \"x\" }}{{ end }}").contains("not supported"));
    assert!(fail("{{ index .Changes 5 }}").contains("index out of range"));
    assert!(fail("{{ range .Name }}{{ end }}").contains("range can't iterate over demo"));
    assert!(fail("{{ .Name 1 }}").contains("cannot be invoked"));
}

#[test]
fn runaway_templates_stop() {
    let e = fail("{{ range 100000000 }}x{{ end }}");
    assert!(e.contains("too long") || e.contains("1 MiB"), "{e}");
}

/// Found by fuzzing (issue 14): each of these aborted on a failed
/// allocation or ran for seconds and committed a 1 GB message. Go's
/// fmt (print.go, `parsenum`/`tooLarge`) gives up on a width past 1e6
/// before another digit and prints `%!(NOVERB)`; wider than our 1 MiB
/// limit but legal in Go is an error before anything is allocated.
#[test]
fn huge_widths_and_amplifiers_are_refused_before_allocating() {
    assert_eq!(
        run(r#"{{printf "%111111111111s" "a"}}"#),
        "%!(NOVERB)%!(EXTRA string=a)"
    );
    assert_eq!(
        run(r#"{{printf "%.11111111111s|" "a"}}"#),
        "%!(NOVERB)%!(EXTRA string=a)"
    );
    assert_eq!(run(r#"{{printf "%.1000001s|" "abc"}}"#), "abc|");
    // The issue's 22-second, 1 GB message: Go overflows at the 8th digit.
    assert_eq!(
        run(r#"{{printf "%1111111111s" "a"}}"#),
        "%!(NOVERB)%!(EXTRA string=a)"
    );
    for (src, what) in [
        (r#"{{printf "%9999999s" "a"}}"#, "width"),
        (r#"{{printf "%10000000s" "a"}}"#, "width"),
        (r#"{{printf "%1048577s" "a"}}"#, "width"),
        (r#"{{printf "%.9999999f" 1.5}}"#, "precision"),
        (r#"{{indent 100000000000 "a"}}"#, "indenting"),
        (r#"{{nindent 600000 "a\nb"}}"#, "indenting"),
        (r#"{{repeat 10000 (printf "%1000s" "")}}"#, "repeating"),
        (
            r#"{{replace " " (printf "%100000s" "") (printf "%1000s" "")}}"#,
            "replacement",
        ),
        (
            r#"{{replace "" "xx" (printf "%600000s" "")}}"#,
            "replacement",
        ),
    ] {
        let e = fail(src);
        assert!(e.contains(what) && e.contains("1 MiB"), "{src}: {e}");
    }
    assert_eq!(run(r#"{{printf "%5s|%-3d|" "a" 7}}"#), "    a|7  |");
    assert_eq!(run(r#"{{ "a\nb" | indent 2 }}"#), "  a\n  b");
}

/// Values at the 1 MiB limit each, multiplied by a short template,
/// stop at the copy budget instead of filling memory.
#[test]
fn copies_of_large_values_are_bounded() {
    let big = r#"{{$x := printf "%900000s" ""}}"#;
    let many = format!("{big}{}", "{{$y := $x}}".repeat(400));
    let e = fail(&many);
    assert!(e.contains("copies more than 256 MiB"), "{e}");
    let looped = format!("{big}{{{{range 1000}}}}{{{{$y := $x}}}}{{{{end}}}}");
    assert!(fail(&looped).contains("copies more than"));
    let e = fail(&format!("{big}{{{{print $x $x}}}}"));
    assert!(e.contains("result is longer than 1 MiB"), "{e}");
    let e = fail(&format!("{big}{{{{list $x $x}}}}"));
    assert!(e.contains("result is longer than 1 MiB"), "{e}");
    // A long but ordinary run is not stopped.
    assert_eq!(run("{{range 10000}}{{$y := 1}}{{end}}ok"), "ok");
}

#[test]
fn never_panics_on_mutations() {
    let base = "{{ range $i, $c := .Changes }}{{ printf \"%d %s\" $i ($c.NewValue | upper) }}{{ else }}-{{ end }}{{- if and .Name (not .Empty) -}} {{ .Values.alpha }} {{ end }}";
    for cut in 0..base.len() {
        if let Some(prefix) = base.get(..cut) {
            let _ = Template::parse(prefix).map(|t| t.execute(&data()));
        }
        for insert in ["{{", "}}", "(", ")", "|", "$", ".", "\"", "-"] {
            if base.is_char_boundary(cut) {
                let s = format!("{}{insert}{}", &base[..cut], &base[cut..]);
                let _ = Template::parse(&s).map(|t| t.execute(&data()));
            }
        }
    }
}

/// Where the executor's old lexer and parser disagreed with Go's parser,
/// which it now shares. Go is the authority: text/template/parse/node.go
/// `newNumber` reads `0x1p4` as a float, text/template/exec.go
/// `idealConstant` then makes it a float64 and refuses integers past
/// `int`; text/template/parse/parse.go `term` unquotes raw strings with
/// strconv/quote.go `Unquote`, which drops carriage returns; parse.go
/// `pipeline` takes declarations in a parenthesised pipeline too. The
/// expected outputs are Go 1.26's.
#[test]
fn literals_and_declarations_follow_go() {
    assert_eq!(run("{{ 0x1p4 }} {{ 0x1p-2 }}"), "16 0.25");
    assert_eq!(
        fail("{{ 18446744073709551615 }}"),
        "template: commit message:1:3: executing \"commit message\" at <18446744073709551615>: 18446744073709551615 overflows int"
    );
    assert_eq!(run("{{ `a\r\nb` }}"), "a\nb");
    assert_eq!(run("{{ ($x := 1) }}{{ $x }}"), "11");
    assert_eq!(run(r#"{{ printf "%d" -0x1E }}"#), "%!d(float64=-30)");
    assert_eq!(
        run(r#"{{ "\x41\u00e9" }} {{ '\n' }} {{ 1e3 }}"#),
        "Aé 10 1000"
    );
    // Go prints (1+2i); there are no complex values here.
    assert!(fail("{{ 1+2i }}").contains("complex constant 1+2i is not supported"));
    assert!(fail("{{ template \"x\" }}").contains("{{template}} is not supported"));
    assert!(fail("{{ block \"x\" . }}{{ end }}").contains("{{block}} is not supported"));
}

/// The messages the functions returned as strings before [`FuncError`].
#[test]
fn func_errors_keep_their_words() {
    for (e, want) in [
        (
            FuncError::ArgCount {
                name: "default".into(),
                want: "1 or 2".into(),
                got: 3,
            },
            "wrong number of args for default: want 1 or 2 got 3",
        ),
        (FuncError::NotANumber("x".into()), "\"x\" is not a number"),
        (
            FuncError::TooLong("width 9".into()),
            "width 9 would make the result longer than 1 MiB",
        ),
        (
            FuncError::OutOfRange("1:0".into()),
            "index out of range: 1:0",
        ),
        (
            FuncError::NotIndexable {
                verb: "slice",
                type_name: "int".into(),
            },
            "can't slice item of type int",
        ),
        (
            FuncError::WrongType {
                func: "len",
                type_name: "int".into(),
            },
            "len of type int",
        ),
        (
            FuncError::NotImplemented("f".into()),
            "function \"f\" not implemented",
        ),
    ] {
        assert_eq!(e.to_string(), want);
    }
    assert_eq!(
        fail("{{ default }}"),
        "template: commit message:1:3: executing \"commit message\" at <default>: error calling default: wrong number of args for default: want 1 or 2 got 0"
    );
    assert!(fail("{{ slice 1 }}").ends_with("error calling slice: can't slice item of type int"));
}
