use super::*;

fn fields(src: &str) -> Vec<String> {
    parse_template(src)
        .unwrap_or_else(|e| panic!("{src}: {e:?}"))
        .fields
        .iter()
        .map(|f| f.to_string())
        .collect()
}

fn resolved(src: &str) -> Vec<Option<String>> {
    parse_template(src)
        .unwrap()
        .fields
        .iter()
        .map(|f| f.resolved.as_ref().map(|p| p.join(".")))
        .collect()
}

fn err(src: &str) -> (String, Range<usize>) {
    let e = parse_template(src).expect_err(src);
    (e.message, e.range)
}

const FLUX_TEMPLATE: &str = r#"Automated image update

Automation name: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Changed.FileChanges -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $changes := .Changed.Objects -}}
- {{ $resource.Kind | lower }} {{ $resource.Name }}
  Changes:
{{- range $_, $change := $changes }}
    - {{ $change.OldValue }} -> {{ $change.NewValue }}
{{ end -}}
{{ end -}}
"#;

#[test]
fn flux_upstream_style_template() {
    let info = parse_template(FLUX_TEMPLATE).unwrap();
    let names: Vec<String> = info.fields.iter().map(|f| f.to_string()).collect();
    assert_eq!(
        names,
        [
            ".AutomationObject",
            ".Changed.FileChanges",
            ".Changed.Objects",
            "$resource.Kind",
            "$resource.Name",
            "$change.OldValue",
            "$change.NewValue"
        ]
    );
    let top: Vec<String> = info
        .fields
        .iter()
        .filter_map(|f| f.resolved.as_ref())
        .map(|p| p.join("."))
        .collect();
    assert_eq!(
        top,
        ["AutomationObject", "Changed.FileChanges", "Changed.Objects"]
    );
    assert_eq!(
        info.functions
            .iter()
            .map(|f| f.0.as_str())
            .collect::<Vec<_>>(),
        ["lower"]
    );
    assert!(info.unknown_functions().is_empty());
    let auto = &info.fields[0];
    assert_eq!(&FLUX_TEMPLATE[auto.range.clone()], ".AutomationObject");
    let kind = &info.fields[3];
    assert_eq!(&FLUX_TEMPLATE[kind.range.clone()], "$resource.Kind");
    assert_eq!(kind.root, FieldRoot::Var("$resource".into()));
    assert_eq!(&FLUX_TEMPLATE[kind.segments[0].clone()], ".Kind");
}

#[test]
fn removed_v1beta1_fields_are_listed() {
    let src = "{{range .Updated.Images}}{{.}}{{end}}";
    let info = parse_template(src).unwrap();
    assert_eq!(info.fields.len(), 1);
    let f = &info.fields[0];
    assert_eq!(f.chain, ["Updated", "Images"]);
    assert_eq!(f.root, FieldRoot::Dot);
    assert!(f.is_dot_rooted());
    assert_eq!(f.range, 8..23);
    assert_eq!(
        f.top_level_path(),
        Some(&["Updated".to_string(), "Images".to_string()][..])
    );
    assert_eq!(
        f.resolved.as_deref(),
        Some(&["Updated".to_string(), "Images".to_string()][..])
    );
    assert_eq!(
        resolved("{{with .Changed}}{{.ImageResult.Files}}{{end}}"),
        [
            Some("Changed".into()),
            Some("Changed.ImageResult.Files".into())
        ]
    );
    assert_eq!(
        resolved("{{$c := .Changed}}{{$c.ImageResult}}"),
        [Some("Changed".into()), Some("Changed.ImageResult".into())]
    );
    assert_eq!(
        resolved("{{range .Changed.Changes}}{{$.Updated}}{{.NewValue}}{{end}}"),
        [Some("Changed.Changes".into()), Some("Updated".into()), None]
    );
    assert_eq!(resolved(r#"{{define "x"}}{{.Updated}}{{end}}"#), [None]);
    assert_eq!(
        resolved("{{range .A}}{{else}}{{.B}}{{end}}"),
        [Some("A".into()), Some("B".into())]
    );
}

#[test]
fn functions_and_unknowns() {
    let info = parse_template(r#"{{ now | date "2006" }} {{ upper .Values.team }} {{ printf "%s" (env "HOME") }} {{ sha512sum "x" }}"#).unwrap();
    let unknown: Vec<&str> = info
        .functions
        .iter()
        .filter(|f| !is_known_function(&f.0))
        .map(|f| f.0.as_str())
        .collect();
    assert_eq!(unknown, ["now", "date", "env"]);
    assert_eq!(info.unknown_functions().len(), 3);
    assert!(SPRIG_NONHERMETIC_FUNCTIONS.contains(&"now"));
    assert_eq!(fields("{{ upper .Values.team }}"), [".Values.team"]);
}

#[test]
fn control_structures_parse() {
    for src in [
        "{{if .A}}a{{else if .B}}b{{else}}c{{end}}",
        "{{with .A}}a{{else with .B}}b{{else}}c{{end}}",
        "{{range $i, $e := .A}}{{if $e}}{{break}}{{end}}{{continue}}{{end}}",
        "{{range .A}}{{else}}none{{end}}",
        "{{- /* a comment */ -}}\n{{ .A -}}  x",
        "{{/* c */}}",
        r#"{{define "t"}}{{.}}{{end}}{{template "t" .A}}"#,
        r#"{{block "b" .}}{{.X}}{{end}}"#,
        "{{$x := 1}}{{$x = 2}}{{$x}}",
        "{{ .A | printf \"%v\" | len }}",
        "{{ (index .A 0).B }}",
        "{{ .A.B.C }}{{ $.D }}",
        "{{ 1.5 }}{{ 0x1F }}{{ 1e3 }}{{ 'a' }}{{ '\\n' }}{{ 1+2i }}{{ -3 }}{{ 0b101 }}{{ 1_000 }}",
        "{{ `raw\nstring` }}",
        "{{\n.A\n}}",
        "{{.A | }}",
        "{{nil}}",
        "plain text",
        "",
    ] {
        assert!(
            parse_template(src).is_ok(),
            "{src}: {:?}",
            parse_template(src)
        );
    }
    let info = parse_template(r#"{{define "t"}}x{{end}}{{template "t"}}{{template "u"}}"#).unwrap();
    assert_eq!(
        info.undefined_template_calls()
            .iter()
            .map(|c| c.0.as_str())
            .collect::<Vec<_>>(),
        ["u"]
    );
}

#[test]
fn syntax_errors_with_offsets() {
    // Unclosed action: Go blames the end of input; opened_at is the `{{`.
    let e = parse_template("ab {{ .A").unwrap_err();
    assert_eq!(
        (e.message.as_str(), e.range.clone(), e.opened_at),
        ("unclosed action", 8..8, Some(3..5))
    );
    assert_eq!(err("{{end}}"), ("unexpected {{end}}".into(), 0..7));
    assert_eq!(err("x{{else}}"), ("unexpected {{else}}".into(), 1..9));
    let e = parse_template("a{{range .A}}b").unwrap_err();
    assert_eq!(
        (e.message.as_str(), e.range.clone(), e.opened_at),
        ("unexpected EOF", 14..14, Some(1..13))
    );
    let e = parse_template("{{if .A}}{{with .B}}x{{end}}").unwrap_err();
    assert_eq!(
        (e.message.as_str(), e.opened_at),
        ("unexpected EOF", Some(0..9))
    );
    assert_eq!(err(r#"{{define "x"}}y"#).0, "unexpected EOF");
    assert_eq!(err(r#"{{block "x" .}}y"#).0, "unexpected EOF");
    assert_eq!(err("{{}}"), ("missing value for command".into(), 0..4));
    assert_eq!(err("{{if}}{{end}}"), ("missing value for if".into(), 0..6));
    assert_eq!(
        err("{{.A | \"x\"}}"),
        ("non executable command in pipeline stage 2".into(), 7..10)
    );
    assert_eq!(
        err("{{ \"abc }}"),
        ("unterminated quoted string".into(), 3..10)
    );
    assert_eq!(
        err("{{ `abc }}"),
        ("unterminated raw quoted string".into(), 3..10)
    );
    assert_eq!(
        err("{{ 'ab }}"),
        ("unterminated character constant".into(), 3..9)
    );
    assert_eq!(
        err("{{ 'ab' }}"),
        ("malformed character constant: 'ab'".into(), 3..7)
    );
    assert_eq!(err("{{ \"\\q\" }}"), ("invalid syntax".into(), 3..7));
    // Go's ParseFloat reads 09 as nine, so Go calls it an overflow.
    assert_eq!(err("{{ 09 }}"), ("integer overflow: \"09\"".into(), 3..5));
    assert_eq!(
        err("{{ 0x }}"),
        ("illegal number syntax: \"0x\"".into(), 3..5)
    );
    assert_eq!(
        err("{{ 1e400 }}"),
        ("illegal number syntax: \"1e400\"".into(), 3..8)
    );
    assert_eq!(
        err("{{ 1+i }}"),
        ("syntax error scanning complex number".into(), 3..6)
    );
    assert_eq!(err("{{ '' }}"), ("invalid syntax".into(), 3..5));
    assert_eq!(
        err("{{ 99999999999999999999 }}"),
        ("integer overflow: \"99999999999999999999\"".into(), 3..23)
    );
    assert_eq!(err("{{ 3x }}"), ("bad number syntax: \"3x\"".into(), 3..5));
    assert_eq!(err("{{.A-b}}"), ("bad character U+002D '-'".into(), 2..4));
    assert_eq!(
        err("{{ → }}"),
        ("unrecognized character in action: U+2192 '→'".into(), 3..6)
    );
    assert_eq!(err("{{ .A ) }}"), ("unexpected right paren".into(), 6..7));
    let e = parse_template("{{ (.A }}").unwrap_err();
    assert_eq!(
        (e.message.as_str(), e.range.clone(), e.opened_at),
        ("unclosed left paren", 7..7, Some(3..4))
    );
    assert_eq!(err("{{ $x }}"), ("undefined variable \"$x\"".into(), 3..5));
    assert_eq!(
        err("{{break}}"),
        ("{{break}} outside {{range}}".into(), 0..9)
    );
    assert!(parse_template("{{range .A}}{{with .B}}{{continue}}{{end}}{{end}}").is_ok());
    assert_eq!(
        err("{{if .A}}{{else}}{{else}}{{end}}"),
        ("expected end; found {{else}}".into(), 17..25)
    );
    assert_eq!(
        err("{{range .A}}{{else if .B}}{{end}}"),
        ("unexpected <if> in input".into(), 19..21)
    );
    assert_eq!(
        err("{{if .A}}{{else with .B}}{{end}}{{end}}"),
        ("unexpected <with> in input".into(), 16..20)
    );
    assert_eq!(
        err("{{/* x */ }}"),
        ("comment ends before closing delimiter".into(), 2..9)
    );
    assert_eq!(err("{{/* x"), ("unclosed comment".into(), 2..4));
    assert_eq!(
        err("{{ /* x */ }}"),
        ("unexpected \"/\" in command".into(), 3..4)
    );
    assert_eq!(
        err("{{ .A := 1 }}"),
        ("unexpected \":=\" in operand".into(), 6..8)
    );
    assert_eq!(
        err("{{ $a, $b := .A }}"),
        ("too many declarations in command".into(), 3..6)
    );
    assert_eq!(
        err("{{ range $a, 1 }}{{end}}"),
        ("range can only initialize variables".into(), 9..12)
    );
    assert_eq!(
        err("{{ \"a\".B }}"),
        ("unexpected . after term \"\\\"a\\\"\"".into(), 6..8)
    );
    assert!(parse_template("{{ define \"a\" }}{{end}}").is_ok());
    assert_eq!(
        err("{{if .A}}{{define \"a\"}}{{end}}{{end}}"),
        ("unexpected <define> in command".into(), 11..17)
    );
    assert_eq!(
        err("{{ template .A }}"),
        ("unexpected \".A\" in template clause".into(), 12..14)
    );
    assert_eq!(
        err("{{ else x }}"),
        ("unexpected \"x\" in else".into(), 8..9)
    );
    assert_eq!(err("{{ end x }}"), ("unexpected \"x\" in end".into(), 7..8));
    assert_eq!(
        err("{{ .A .B. }}"),
        ("unexpected <.> in operand".into(), 8..9)
    );
    assert_eq!(
        err(r#"{{define "a"}}x{{end}}{{define "a"}}y{{end}}"#),
        (
            "template: multiple definition of template \"a\"".into(),
            31..34
        )
    );
    assert!(parse_template(r#"{{define "a"}} {{end}}{{define "a"}}y{{end}}"#).is_ok());
    assert_eq!(
        err("{{.A}} {{ .B.C.DDDDDDDDDDDD | }} {{ ) }}").0,
        "unexpected right paren"
    );
    assert_eq!(
        err("{{ 1 2 | .A | \"longer than ten\" }}").0,
        "non executable command in pipeline stage 3"
    );
    assert_eq!(
        err("{{ .A \"long string here\" ,}}").0,
        "unexpected \",\" in operand"
    );
    assert_eq!(
        err("{{ if .A \"x\" }}{{ end } }}").0,
        "unexpected \"}\" in end"
    );
}

#[test]
fn go_message_has_go_prefix() {
    let src = "line1\n{{ .A";
    let e = parse_template(src).unwrap_err();
    assert_eq!(
        e.go_message("commit message", src),
        "template: commit message:2: unclosed action"
    );
}

#[test]
fn deep_nesting_is_unsupported_not_a_crash() {
    let src = format!("{{{{ {}1{} }}}}", "(".repeat(1000), ")".repeat(1000));
    let e = parse_template(&src).unwrap_err();
    assert_eq!(e.kind, TemplateErrorKind::Unsupported);
    let src = format!("{}x{}", "{{if .A}}".repeat(500), "{{end}}".repeat(500));
    assert_eq!(
        parse_template(&src).unwrap_err().kind,
        TemplateErrorKind::Unsupported
    );
    let src = format!(
        "{}x{}",
        "{{if .A}}".repeat(MAX_NESTING),
        "{{end}}".repeat(MAX_NESTING)
    );
    assert!(parse_template(&src).is_ok());
}

#[test]
fn never_panics_on_random_input() {
    let mut rng = crate::testutil::Rng::new(0x7E_3A);
    let toks = [
        "{{", "}}", "{{-", " -}}", " ", ".", ".A", "$", "$x", ":=", "=", ",", "|", "(", ")",
        "\"s\"", "`r`", "'c'", "1", "-2", "if", "else", "end", "range", "with", "define", "block",
        "template", "break", "continue", "nil", "true", "/*", "*/", "lower", "é", "\n", "\\", "0x",
        "1+2i", "'",
    ];
    for _ in 0..4000 {
        let n = rng.below(14);
        let src: String = (0..n).map(|_| toks[rng.below(toks.len())]).collect();
        let _ = parse_template(&src);
    }
    for _ in 0..1000 {
        let src = rng.string_from("{}()$.|:=-/*\"'`aeI1 \n,é", 20);
        let _ = parse_template(&src);
    }
}

#[test]
fn tree_is_what_go_builds() {
    use tree::*;
    let src = "a {{- $x := .A.B | printf \"%v\" }}{{ if 1 }}{{ else if $x }}{{ end }}";
    let (_, t) = parse_tree_as_go(src, "t", &is_known_function).unwrap();
    assert_eq!(t.root.len(), 3);
    assert_eq!(t.root[0], Node::Text(0..1));
    let Node::Action(pipe) = &t.root[1] else {
        panic!("{:?}", t.root[1]);
    };
    assert_eq!(pipe.decl, vec![("$x".to_owned(), 6)]);
    assert!(!pipe.is_assign);
    assert_eq!(pipe.cmds.len(), 2);
    let field = &pipe.cmds[0].args[0];
    assert_eq!(field.term, Term::Dot);
    assert_eq!(
        field.fields,
        vec![("A".to_owned(), 12), ("B".to_owned(), 14)]
    );
    assert_eq!(&src[field.range.clone()], ".A.B");
    assert_eq!(pipe.cmds[1].args[0].term, Term::Function("printf".into()));
    assert_eq!(pipe.cmds[1].args[1].term, Term::String("%v".into()));
    let Node::If(c) = &t.root[2] else {
        panic!("{:?}", t.root[2]);
    };
    let Term::Number(n) = &c.pipe.cmds[0].args[0].term else {
        panic!()
    };
    assert_eq!(
        (n.int, n.uint, n.float, n.complex),
        (Some(1), Some(1), Some(1.0), false)
    );
    assert!(matches!(c.else_list.as_slice(), [Node::If(_)]));
    let (_, t) = parse_tree_as_go("{{define \"d\"}}x{{end}}", "t", &is_known_function).unwrap();
    assert_eq!(t.defines.len(), 1);
    assert_eq!(
        (t.defines[0].name.as_str(), t.defines[0].keyword.clone()),
        ("d", 2..8)
    );
}
