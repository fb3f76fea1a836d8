//! Span parser tests: one corpus file per case under `testdata/yaml/`, exact
//! raw-token assertions, corpus-wide properties and a mutation fuzz.

#![allow(clippy::disallowed_methods)] // fixtures on disk

use super::*;

fn corpus_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/yaml")
}

fn corpus_files() -> Vec<(String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .expect("testdata/yaml exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (
                name,
                std::fs::read_to_string(&p).expect("utf-8 corpus file"),
            )
        })
        .collect();
    files.sort();
    files
}

/// Parses and checks the structural invariants every result must hold.
fn parse_checked(src: &str) -> Yaml {
    let y = parse(src);
    check_invariants(src, &y);
    y
}

fn root(y: &Yaml, doc: usize) -> NodeId {
    y.docs[doc].root.expect("document has a root")
}

/// Node at a path of mapping keys.
fn at(y: &Yaml, from: NodeId, keys: &[&str]) -> NodeId {
    y.path(from, keys)
        .unwrap_or_else(|| panic!("no node at {keys:?}"))
}

/// Key node of `key` in mapping `map`.
fn key_of(y: &Yaml, map: NodeId, key: &str) -> NodeId {
    y.entry(map, key)
        .unwrap_or_else(|| panic!("no key {key}"))
        .0
}

fn text<'a>(y: &Yaml, src: &'a str, id: NodeId) -> &'a str {
    y.node(id).span.text(src)
}

fn style(y: &Yaml, id: NodeId) -> ScalarStyle {
    match &y.node(id).kind {
        NodeKind::Scalar { style, .. } => *style,
        other => panic!("not a scalar: {other:?}"),
    }
}

fn comment<'a>(y: &Yaml, src: &'a str, id: NodeId) -> Option<&'a str> {
    y.node(id).line_comment.map(|c| y.comment_text(src, c))
}

fn line_col(y: &Yaml, src: &str, id: NodeId) -> (usize, usize) {
    let lc = y.lines.line_col(src, y.node(id).span.start);
    (lc.line, lc.column)
}

/// Asserts a scalar's raw token, style and value in one go.
fn assert_scalar(y: &Yaml, src: &str, id: NodeId, raw: &str, st: ScalarStyle, value: &str) {
    assert_eq!(text(y, src, id), raw, "raw token of {value:?}");
    assert_eq!(style(y, id), st, "style of {raw:?}");
    assert_eq!(y.str(id), Some(value), "value of {raw:?}");
}

fn check_invariants(src: &str, y: &Yaml) {
    if let Err(e) = invariants::check(src, y) {
        panic!("{e}");
    }
    if y.error.is_none() {
        check_scalar_tokens(src, y);
    }
}

type Pick = fn(&Yaml, NodeId) -> Option<NodeId>;

/// Every scalar's span is its exact token: quotes included, no blanks
/// around, and a single-line plain or quoted token re-parses to the same
/// value. Returns how many tokens were re-parsed.
fn check_scalar_tokens(src: &str, y: &Yaml) -> usize {
    let mut reparsed = 0;
    for (id, node) in y.ids().zip(&y.nodes) {
        let NodeKind::Scalar { value, style } = &node.kind else {
            continue;
        };
        let raw = node.span.text(src);
        match style {
            ScalarStyle::Literal | ScalarStyle::Folded => {
                assert!(
                    raw.starts_with(['|', '>']),
                    "block scalar {raw:?} in {src:?}"
                );
                assert!(
                    !raw.ends_with(['\n', '\r']),
                    "block scalar {raw:?} in {src:?}"
                );
                continue;
            }
            ScalarStyle::SingleQuoted => {
                assert!(
                    raw.len() >= 2 && raw.starts_with('\'') && raw.ends_with('\''),
                    "{raw:?} in {src:?}"
                );
            }
            ScalarStyle::DoubleQuoted => {
                assert!(
                    raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"'),
                    "{raw:?} in {src:?}"
                );
            }
            ScalarStyle::Plain if raw.is_empty() => {
                assert!(value.is_empty());
                continue;
            }
            ScalarStyle::Plain => {
                assert!(raw.trim() == raw, "plain {raw:?} in {src:?}");
            }
        }
        // At the start of a file, `%` would start a directive, `---`/`...`
        // be document markers and a BOM be dropped; yaml-rust2 takes `|x`
        // and `>x` as plain only after a tag.
        if raw.contains(['\n', '\r'])
            || raw.starts_with(['%', '\u{feff}', '|', '>'])
            || matches!(raw, "?" | "-" | ":")
            || raw.starts_with("---")
            || raw.starts_with("...")
        {
            continue;
        }
        // Re-parse in the same kind of context: some tokens (`<<:` as a
        // key, `|x` in flow) are plain scalars only there.
        let is_key = node
            .parent
            .is_some_and(|p| y.entries(p).iter().any(|&(k, _)| k == id));
        let (wrapped, pick): (String, Pick) = if node.in_flow && is_key {
            (format!("{{{raw}: x}}"), |y, r| {
                y.entries(r).first().map(|e| e.0)
            })
        } else if node.in_flow {
            (format!("[{raw} ]"), |y, r| y.items(r).first().copied())
        } else if is_key {
            (format!("{raw}: x"), |y, r| {
                y.entries(r).first().map(|e| e.0)
            })
        } else {
            (raw.to_owned(), |_, r| Some(r))
        };
        let again = parse(&wrapped);
        let got = again
            .docs
            .first()
            .and_then(|d| d.root)
            .and_then(|r| pick(&again, r))
            .and_then(|n| again.str(n));
        assert_eq!(
            got,
            Some(value.as_str()),
            "re-parsing {wrapped:?} from {src:?}"
        );
        reparsed += 1;
    }
    reparsed
}

// ---------------------------------------------------------------- corpus files

#[test]
fn multi_document_file() {
    let src = include_str!("../../testdata/yaml/multi_doc.yaml");
    let y = parse_checked(src);
    assert!(y.error.is_none());
    assert_eq!(y.docs.len(), 4);
    assert_eq!(
        y.docs.iter().map(|d| d.index).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    assert_eq!(
        y.docs.iter().map(|d| d.root.is_some()).collect::<Vec<_>>(),
        [true, false, false, true]
    );
    assert_eq!(
        y.path_str(root(&y, 0), &["metadata", "name"]),
        Some("first")
    );
    let fourth = at(&y, root(&y, 3), &["metadata", "name"]);
    assert_scalar(&y, src, fourth, "fourth", ScalarStyle::Plain, "fourth");
    assert_eq!(comment(&y, src, fourth), Some("# trailing"));
    // Separators are outside the documents.
    for d in &y.docs {
        let t = d.span.text(src);
        assert!(!t.contains("---") && !t.contains("..."), "{t:?}");
    }
    assert!(y.docs[0].span.text(src).contains("name: first"));
    assert!(
        y.docs[1]
            .span
            .text(src)
            .contains("# this document holds only a comment")
    );
    let comments: Vec<_> = y
        .comments
        .iter()
        .map(|c| (c.span.text(src), c.own_line))
        .collect();
    assert_eq!(
        comments,
        [
            ("# preamble comment before the first document", true),
            ("# this document holds only a comment", true),
            ("# trailing", false),
        ]
    );
    // The root mapping starts at its first key, right after the `---` line.
    assert_eq!(
        text(&y, src, root(&y, 0)).lines().next(),
        Some("apiVersion: v1")
    );
    assert!(text(&y, src, root(&y, 0)).ends_with("name: first"));
}

#[test]
fn crlf_line_endings() {
    let src = include_str!("../../testdata/yaml/crlf.yaml");
    assert!(
        src.contains("\r\n"),
        "git must not normalise the corpus file"
    );
    let y = parse_checked(src);
    assert!(y.error.is_none());
    let r = root(&y, 0);
    let kind = at(&y, r, &["kind"]);
    assert_eq!(comment(&y, src, kind), Some("# crlf comment"));
    let c = at(
        &y,
        at(&y, r, &["spec", "template", "spec", "containers"]),
        &[],
    );
    let c = y.items(c)[0];
    let image = at(&y, c, &["image"]);
    assert_scalar(
        &y,
        src,
        image,
        "nginx:1.25.3",
        ScalarStyle::Plain,
        "nginx:1.25.3",
    );
    assert_eq!(
        comment(&y, src, image),
        Some(r#"# {"$imagepolicy": "flux-system:nginx"}"#)
    );
    assert_eq!(line_col(&y, src, image), (8, 18));
    let args = y.items(at(&y, c, &["args"])).to_vec();
    assert_scalar(&y, src, args[0], "'a'", ScalarStyle::SingleQuoted, "a");
    assert_scalar(&y, src, args[1], "\"b\"", ScalarStyle::DoubleQuoted, "b");
    assert_scalar(
        &y,
        src,
        at(&y, c, &["command"]),
        "|\r\n            echo one\r\n            echo two",
        ScalarStyle::Literal,
        "echo one\necho two\n",
    );
    assert_scalar(
        &y,
        src,
        at(&y, c, &["env"]),
        "\"multi\r\n            line\"",
        ScalarStyle::DoubleQuoted,
        "multi line",
    );
    let last = at(&y, c, &["last"]);
    assert_scalar(&y, src, last, "plain", ScalarStyle::Plain, "plain");
    assert_eq!(line_col(&y, src, last), (16, 17));
    assert_eq!(text(&y, src, key_of(&y, c, "last")), "last");
}

#[test]
fn utf8_bom() {
    let src = include_str!("../../testdata/yaml/bom.yaml");
    assert!(src.starts_with('\u{feff}'));
    let y = parse_checked(src);
    assert!(y.bom);
    assert!(y.error.is_none());
    let r = root(&y, 0);
    let key = key_of(&y, r, "apiVersion");
    assert_eq!(y.node(key).span, Span::new(3, 13));
    assert_scalar(&y, src, key, "apiVersion", ScalarStyle::Plain, "apiVersion");
    let v = at(&y, r, &["apiVersion"]);
    assert_eq!(y.node(v).span, Span::new(15, 17));
    assert_eq!(comment(&y, src, v), Some("# after bom"));
    assert_eq!(y.path_str(r, &["data", "key"]), Some("value"));
    assert_eq!(y.node(r).span.start, 3);

    let src = include_str!("../../testdata/yaml/bom_doc_start.yaml");
    let y = parse_checked(src);
    assert!(y.bom && y.error.is_none());
    assert_eq!(y.docs.len(), 1);
    let image = at(&y, root(&y, 0), &["image"]);
    assert_scalar(&y, src, image, "redis:7", ScalarStyle::Plain, "redis:7");
    assert_eq!(comment(&y, src, image), Some("# bom then ---"));

    assert!(!parse("a: 1\n").bom);
}

#[test]
fn tabs() {
    let src = include_str!("../../testdata/yaml/tabs.yaml");
    let y = parse_checked(src);
    assert!(y.error.is_none());
    let r = root(&y, 0);
    let image = at(&y, r, &["image"]);
    assert_scalar(
        &y,
        src,
        image,
        "nginx:1.25",
        ScalarStyle::Plain,
        "nginx:1.25",
    );
    assert_eq!(comment(&y, src, image), Some("# tab before comment"));
    let q = at(&y, r, &["quoted"]);
    assert_scalar(
        &y,
        src,
        q,
        "\"tab\there\"",
        ScalarStyle::DoubleQuoted,
        "tab\there",
    );
    assert_eq!(comment(&y, src, q), Some("# two tabs"));
    assert_scalar(
        &y,
        src,
        at(&y, r, &["single"]),
        "'a\tb'",
        ScalarStyle::SingleQuoted,
        "a\tb",
    );
    let p = at(&y, r, &["plain"]);
    assert_scalar(
        &y,
        src,
        p,
        "with inner\ttab",
        ScalarStyle::Plain,
        "with inner\ttab",
    );
    assert_eq!(comment(&y, src, p), Some("# c"));
    let item = y.items(at(&y, r, &["list"]))[0];
    assert_scalar(&y, src, item, "item", ScalarStyle::Plain, "item");
    assert_eq!(comment(&y, src, item), Some("# tab comment"));
}

#[test]
fn non_ascii() {
    let src = include_str!("../../testdata/yaml/unicode.yaml");
    let y = parse_checked(src);
    assert!(y.error.is_none());
    let r = root(&y, 0);
    let k = key_of(&y, r, "名前");
    assert_scalar(&y, src, k, "名前", ScalarStyle::Plain, "名前");
    assert_eq!(line_col(&y, src, k), (2, 1));
    let v = at(&y, r, &["名前"]);
    assert_scalar(&y, src, v, "値", ScalarStyle::Plain, "値");
    assert_eq!(line_col(&y, src, v), (2, 5));
    assert_eq!(comment(&y, src, v), Some("# コメント"));
    let v = at(&y, r, &["clé"]);
    assert_scalar(&y, src, v, "\"é🚀x\"", ScalarStyle::DoubleQuoted, "é🚀x");
    assert_eq!(comment(&y, src, v), Some("# émoji"));
    assert_scalar(
        &y,
        src,
        key_of(&y, r, "emoji🚀key"),
        "emoji🚀key",
        ScalarStyle::Plain,
        "emoji🚀key",
    );
    assert_scalar(
        &y,
        src,
        at(&y, r, &["emoji🚀key"]),
        "v🚀lue",
        ScalarStyle::Plain,
        "v🚀lue",
    );
    let nested = at(&y, r, &["nested"]);
    let flow = at(&y, nested, &["日本語"]);
    assert_eq!(text(&y, src, flow), "[ä, \"ö\", 'ü']");
    let items = y.items(flow).to_vec();
    assert_scalar(&y, src, items[0], "ä", ScalarStyle::Plain, "ä");
    assert_scalar(&y, src, items[1], "\"ö\"", ScalarStyle::DoubleQuoted, "ö");
    assert_scalar(&y, src, items[2], "'ü'", ScalarStyle::SingleQuoted, "ü");
    assert!(items.iter().all(|&i| comment(&y, src, i).is_none()));
    let image = at(&y, nested, &["image"]);
    assert_scalar(
        &y,
        src,
        image,
        "ghcr.io/ü/app:1.0",
        ScalarStyle::Plain,
        "ghcr.io/ü/app:1.0",
    );
    assert_eq!(
        comment(&y, src, image),
        Some(r#"# {"$imagepolicy": "flux-system:app"}"#)
    );
    assert_eq!(y.comments.len(), 5);
    assert_eq!(
        y.comment_text(src, CommentId(0)),
        "# Commentaire: café ☕ 日本語"
    );
    assert!(y.comments[0].own_line && !y.comments[1].own_line);
}

#[test]
fn anchors_and_aliases() {
    let src = include_str!("../../testdata/yaml/anchors.yaml");
    let y = parse_checked(src);
    assert!(y.error.is_none());
    let r = root(&y, 0);
    let defaults = at(&y, r, &["defaults"]);
    assert_eq!(y.node(defaults).anchor.as_deref(), Some("defaults"));
    assert!(text(&y, src, defaults).starts_with("image: nginx:1.25 # anchored"));
    let base = at(&y, r, &["base"]);
    assert_scalar(
        &y,
        src,
        base,
        "registry.io/app:2.0",
        ScalarStyle::Plain,
        "registry.io/app:2.0",
    );
    assert_eq!(y.node(base).anchor.as_deref(), Some("img"));

    let service = at(&y, r, &["service"]);
    let merge = at(&y, service, &["<<"]);
    assert_eq!(y.node(merge).kind, NodeKind::Alias(Some(defaults)));
    assert_eq!(text(&y, src, merge), "*defaults");
    let image = at(&y, service, &["image"]);
    assert_eq!(y.node(image).kind, NodeKind::Alias(Some(base)));
    assert_eq!(text(&y, src, image), "*img");
    assert_eq!(comment(&y, src, image), Some("# alias comment"));
    assert_eq!(y.str(image), Some("registry.io/app:2.0"));

    let list = at(&y, r, &["list"]);
    assert_eq!(text(&y, src, list), "[a, b]");
    assert_eq!(y.node(list).anchor.as_deref(), Some("list"));
    assert_eq!(
        y.node(at(&y, r, &["again"])).kind,
        NodeKind::Alias(Some(list))
    );

    let tagged = at(&y, r, &["tagged"]);
    assert_scalar(&y, src, tagged, "42", ScalarStyle::Plain, "42");
    assert_eq!(y.node(tagged).tag.as_deref(), Some("!!str"));
    assert_eq!(y.node(tagged).anchor.as_deref(), Some("t"));
    assert_eq!(
        y.node(at(&y, r, &["ref"])).kind,
        NodeKind::Alias(Some(tagged))
    );
    assert!(y.duplicate_keys.is_empty());
}

#[test]
fn billion_laughs_is_not_expanded() {
    let src = include_str!("../../testdata/yaml/billion_laughs.yaml");
    let y = parse_checked(src);
    assert!(y.error.is_none());
    // 1 root + 9 keys + 9 sequences + 9 strings + 8 * 9 aliases.
    assert_eq!(y.nodes.len(), 1 + 9 + 9 + 9 + 8 * 9);
    let r = root(&y, 0);
    let a = at(&y, r, &["a"]);
    let b = at(&y, r, &["b"]);
    assert!(
        y.items(b)
            .iter()
            .all(|&i| y.node(i).kind == NodeKind::Alias(Some(a)))
    );
    assert_eq!(text(&y, src, y.items(b)[0]), "*a");

    // 40 levels of 10 aliases each would be 10^40 nodes expanded.
    let mut big = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..40 {
        let p = i - 1;
        big.push_str(&format!(
            "l{i}: &l{i} [{}]\n",
            vec![format!("*l{p}"); 10].join(", ")
        ));
    }
    let start = std::time::Instant::now();
    let y = parse_checked(&big);
    assert!(y.error.is_none());
    assert_eq!(y.nodes.len(), 1 + 40 + 40 + 10 + 39 * 10);
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn flow_collections() {
    let src = include_str!("../../testdata/yaml/flow.yaml");
    let y = parse_checked(src);
    assert!(y.error.is_none());
    let r = root(&y, 0);
    assert!(!y.node(r).in_flow);
    let simple = at(&y, r, &["simple"]);
    assert_eq!(text(&y, src, simple), "[a, b, c]");
    assert!(y.node(simple).in_flow);
    // `[a, b, c] # c`: the comment belongs to no scalar.
    assert!(
        y.items(simple)
            .iter()
            .all(|&i| comment(&y, src, i).is_none() && y.node(i).in_flow)
    );
    assert_eq!(y.comment_text(src, CommentId(0)), "# after flow");

    let map = at(&y, r, &["map"]);
    assert_eq!(
        text(&y, src, map),
        r#"{name: app, image: "nginx:1.25", tag: '1.0'}"#
    );
    assert_scalar(
        &y,
        src,
        at(&y, map, &["image"]),
        "\"nginx:1.25\"",
        ScalarStyle::DoubleQuoted,
        "nginx:1.25",
    );
    assert_scalar(
        &y,
        src,
        at(&y, map, &["tag"]),
        "'1.0'",
        ScalarStyle::SingleQuoted,
        "1.0",
    );
    assert_scalar(
        &y,
        src,
        key_of(&y, map, "name"),
        "name",
        ScalarStyle::Plain,
        "name",
    );

    let nested = at(&y, r, &["nested"]);
    assert_eq!(text(&y, src, nested), "[[1, 2], {k: [x, y]}, 'q']");
    let inner = y.items(nested).to_vec();
    assert_eq!(text(&y, src, inner[0]), "[1, 2]");
    assert_eq!(text(&y, src, inner[1]), "{k: [x, y]}");
    assert_eq!(text(&y, src, at(&y, inner[1], &["k"])), "[x, y]");

    let multi = at(&y, r, &["multi"]);
    assert!(text(&y, src, multi).starts_with("[\n  \"first\""));
    assert!(text(&y, src, multi).ends_with("last item\n]"));
    let items = y.items(multi).to_vec();
    assert_eq!(items.len(), 4);
    assert_scalar(
        &y,
        src,
        items[0],
        "\"first\"",
        ScalarStyle::DoubleQuoted,
        "first",
    );
    assert_scalar(&y, src, items[1], "second", ScalarStyle::Plain, "second");
    assert_eq!(text(&y, src, items[2]), "{inner: 'value, with comma'}");
    assert_scalar(
        &y,
        src,
        at(&y, items[2], &["inner"]),
        "'value, with comma'",
        ScalarStyle::SingleQuoted,
        "value, with comma",
    );
    assert_scalar(
        &y,
        src,
        items[3],
        "last item",
        ScalarStyle::Plain,
        "last item",
    );
    assert!(
        y.comments
            .iter()
            .any(|c| c.span.text(src) == "# first item")
    );

    let pairs = at(&y, r, &["pairs"]);
    let pair = y.items(pairs)[0];
    assert!(y.is_mapping(pair) && y.node(pair).in_flow);
    assert_eq!(text(&y, src, pair), "k1: v1");
    assert_eq!(y.path_str(y.items(pairs)[1], &["k2"]), Some("v2"));

    let empty = y.items(at(&y, r, &["empty"])).to_vec();
    assert_eq!(
        (text(&y, src, empty[0]), text(&y, src, empty[1])),
        ("{}", "[]")
    );

    let json = at(&y, r, &["json"]);
    assert_eq!(text(&y, src, json), r#"{"a":"b","c":[1,2]}"#);
    assert_scalar(
        &y,
        src,
        at(&y, json, &["a"]),
        "\"b\"",
        ScalarStyle::DoubleQuoted,
        "b",
    );
    assert_eq!(text(&y, src, at(&y, json, &["c"])), "[1,2]");
}

#[test]
fn block_scalars() {
    let src = include_str!("../../testdata/yaml/block_scalars.yaml");
    let y = parse_checked(src);
    assert!(y.error.is_none());
    let r = root(&y, 0);
    let get = |k: &str| at(&y, r, &[k]);
    use ScalarStyle::{Folded, Literal};
    assert_scalar(
        &y,
        src,
        get("literal"),
        "|\n  line one\n  # not a comment\n  line three",
        Literal,
        "line one\n# not a comment\nline three\n",
    );
    assert_scalar(&y, src, get("strip"), "|-\n  stripped", Literal, "stripped");
    assert_scalar(&y, src, get("keep"), "|+\n  kept", Literal, "kept\n\n");
    assert_scalar(
        &y,
        src,
        get("folded"),
        ">\n  folded one\n  folded two",
        Folded,
        "folded one folded two\n",
    );
    assert_scalar(&y, src, get("folded_strip"), ">-\n  x", Folded, "x");
    assert_scalar(
        &y,
        src,
        get("indent"),
        "|2\n    two extra\n  base",
        Literal,
        "  two extra\nbase\n",
    );
    assert_scalar(&y, src, get("indent_keep"), ">+2\n   y", Folded, " y\n");
    assert_scalar(
        &y,
        src,
        get("combo"),
        "|2- # header comment\n   z",
        Literal,
        " z",
    );
    assert_scalar(&y, src, get("empty"), "|", Literal, "");
    let after = get("after");
    assert_scalar(&y, src, after, "done", ScalarStyle::Plain, "done");
    assert_eq!(comment(&y, src, after), Some("# real comment"));
    let seq = y.items(get("seq")).to_vec();
    assert_scalar(&y, src, seq[0], "|\n    in seq", Literal, "in seq\n");
    assert_scalar(
        &y,
        src,
        seq[1],
        ">-\n    folded in seq",
        Folded,
        "folded in seq",
    );
    assert_eq!(
        text(&y, src, get("seq")),
        "- |\n    in seq\n  - >-\n    folded in seq"
    );

    let comments: Vec<_> = y
        .comments
        .iter()
        .map(|c| (c.span.text(src), c.own_line))
        .collect();
    assert_eq!(
        comments,
        [
            ("# header comment", false),
            ("# real comment", false),
            ("# trailing comment", true)
        ]
    );
    // Block scalars never get a line comment, not even from their header.
    assert_eq!(comment(&y, src, get("combo")), None);
}

#[test]
fn quoted_multiline_scalars() {
    let src = include_str!("../../testdata/yaml/quoted_multiline.yaml");
    let y = parse_checked(src);
    assert!(y.error.is_none());
    let r = root(&y, 0);
    let s = at(&y, r, &["single"]);
    assert_scalar(
        &y,
        src,
        s,
        "'first line\n  second line'' quoted'",
        ScalarStyle::SingleQuoted,
        "first line second line' quoted",
    );
    assert_eq!(comment(&y, src, s), Some("# after single"));
    let d = at(&y, r, &["double"]);
    assert_scalar(
        &y,
        src,
        d,
        "\"first\\n\n  second \\\"q\\\" \\\n  third\"",
        ScalarStyle::DoubleQuoted,
        "first\n second \"q\" third",
    );
    assert_eq!(comment(&y, src, d), Some("# after double"));
    let p = at(&y, r, &["plain"]);
    assert_scalar(
        &y,
        src,
        p,
        "this is\n  a multi-line\n  plain scalar",
        ScalarStyle::Plain,
        "this is a multi-line plain scalar",
    );
    assert_eq!(comment(&y, src, p), Some("# after plain"));
    assert_scalar(
        &y,
        src,
        key_of(&y, r, "key with spaces"),
        "key with spaces",
        ScalarStyle::Plain,
        "key with spaces",
    );
    assert_scalar(
        &y,
        src,
        key_of(&y, r, "quoted key"),
        "\"quoted key\"",
        ScalarStyle::DoubleQuoted,
        "quoted key",
    );
    assert_scalar(
        &y,
        src,
        at(&y, r, &["quoted key"]),
        "'val'",
        ScalarStyle::SingleQuoted,
        "val",
    );
    assert_scalar(
        &y,
        src,
        key_of(&y, r, "single # key"),
        "'single # key'",
        ScalarStyle::SingleQuoted,
        "single # key",
    );
    assert_scalar(
        &y,
        src,
        at(&y, r, &["single # key"]),
        "\"# not comment\"",
        ScalarStyle::DoubleQuoted,
        "# not comment",
    );
    assert_eq!(y.comments.len(), 3);
}

#[test]
fn tags() {
    let src = include_str!("../../testdata/yaml/tags.yaml");
    let y = parse_checked(src);
    assert!(y.error.is_none());
    let r = root(&y, 0);
    let tag = |id: NodeId| y.node(id).tag.clone();
    let s = at(&y, r, &["str"]);
    assert_scalar(&y, src, s, "123", ScalarStyle::Plain, "123");
    assert_eq!(tag(s).as_deref(), Some("!!str"));
    let c = at(&y, r, &["custom"]);
    assert_scalar(&y, src, c, "value", ScalarStyle::Plain, "value");
    assert_eq!(tag(c).as_deref(), Some("!custom"));
    let q = at(&y, r, &["quoted"]);
    assert_scalar(&y, src, q, "\"x\"", ScalarStyle::DoubleQuoted, "x");
    assert_eq!(tag(q).as_deref(), Some("!!str"));
    let b = at(&y, r, &["both"]);
    assert_scalar(&y, src, b, "v", ScalarStyle::Plain, "v");
    assert_eq!(tag(b).as_deref(), Some("!e!thing"));
    assert_eq!(y.node(b).anchor.as_deref(), Some("anc"));
    let v = at(&y, r, &["verbatim"]);
    assert_scalar(&y, src, v, "verb", ScalarStyle::Plain, "verb");
    assert_eq!(tag(v).as_deref(), Some("!<tag:yaml.org,2002:str>"));
    let m = at(&y, r, &["map"]);
    assert_eq!(
        (text(&y, src, m), tag(m).as_deref()),
        ("a: 1", Some("!!map"))
    );
    let sq = at(&y, r, &["seq"]);
    assert_eq!(
        (text(&y, src, sq), tag(sq).as_deref()),
        ("- 1", Some("!!seq"))
    );
    let bl = at(&y, r, &["block"]);
    assert_scalar(&y, src, bl, "|\n  text", ScalarStyle::Literal, "text\n");
    assert_eq!(tag(bl).as_deref(), Some("!!str"));
    let n = at(&y, r, &["nulled"]);
    assert_eq!(tag(n).as_deref(), Some("!!null"));
    assert!(y.node(n).span.is_empty());
    assert_eq!(
        y.node(n).span.start,
        src.find("!!null").unwrap() + "!!null".len()
    );
    assert_eq!(y.path_str(r, &["next"]), Some("1"));
    // `%TAG` directives and tags are not mistaken for anything else.
    assert!(y.comments.is_empty());
    assert!(y.node(r).tag.is_none());
}

#[test]
fn flux_marker_line() {
    let src = include_str!("../../testdata/yaml/flux_marker.yaml");
    let y = parse_checked(src);
    assert!(y.error.is_none());
    let r = root(&y, 0);
    let spec = at(&y, r, &["spec", "template", "spec"]);
    let key = key_of(&y, spec, "containers");
    assert_eq!(comment(&y, src, key), Some("# containers comment"));
    let containers = at(&y, spec, &["containers"]);
    assert_eq!(comment(&y, src, containers), None);
    let c0 = y.items(containers)[0];
    let image = at(&y, c0, &["image"]);
    assert_scalar(
        &y,
        src,
        image,
        "ghcr.io/x/y:1.0.0",
        ScalarStyle::Plain,
        "ghcr.io/x/y:1.0.0",
    );
    assert_eq!(
        comment(&y, src, image),
        Some(r#"# {"$imagepolicy": "flux-system:y"}"#)
    );
    assert_eq!(comment(&y, src, key_of(&y, c0, "image")), None);
    assert_eq!(line_col(&y, src, image), (11, 18));
    let c1 = y.items(containers)[1];
    let image = at(&y, c1, &["image"]);
    assert_scalar(
        &y,
        src,
        image,
        "\"docker.io/library/busybox:1.36\"",
        ScalarStyle::DoubleQuoted,
        "docker.io/library/busybox:1.36",
    );
    assert_eq!(
        comment(&y, src, image),
        Some(r#"# {"$imagepolicy": "flux-system:busybox:tag"}"#)
    );
    assert_eq!(text(&y, src, c0).lines().next(), Some("name: podinfo"));
    assert_eq!(
        text(&y, src, containers).lines().next(),
        Some("- name: podinfo")
    );
}

#[test]
fn syntax_error_in_third_document() {
    let src = include_str!("../../testdata/yaml/error_third_doc.yaml");
    let y = parse_checked(src);
    let err = y.error.as_ref().expect("a syntax error");
    assert!(!err.message.is_empty());
    let lc = y.lines.line_col(src, err.span.start);
    assert_eq!((lc.line, lc.column), (11, 11));
    assert_eq!(err.span.text(src), ":");
    assert_eq!(y.docs.len(), 2);
    assert_eq!(y.path_str(root(&y, 0), &["kind"]), Some("ConfigMap"));
    assert_eq!(y.path_str(root(&y, 1), &["kind"]), Some("Secret"));
    // The partial third document stays in the arena, spans closed.
    let service = y
        .ids()
        .find(|&n| matches!(&y.node(n).kind, NodeKind::Scalar { value, .. } if value == "Service"))
        .expect("partial document kept");
    let partial_root = y.node(service).parent.unwrap();
    assert!(text(&y, src, partial_root).starts_with("apiVersion: v1\nkind: Service"));
    assert!(y.docs.iter().all(|d| d.root != Some(partial_root)));
}

#[test]
fn duplicate_keys() {
    let src = include_str!("../../testdata/yaml/duplicate_keys.yaml");
    let y = parse_checked(src);
    assert!(y.error.is_none());
    let mut dups: Vec<_> = y
        .duplicate_keys
        .iter()
        .map(|d| {
            (
                d.key.as_str(),
                d.span.text(src),
                d.first.text(src),
                y.lines.line_col(src, d.span.start).line,
            )
        })
        .collect();
    dups.sort_by_key(|d| d.3);
    assert_eq!(
        dups,
        [
            ("name", "name", "name", 3),
            ("image", "image", "\"image\"", 8),
            ("k", "k", "k", 9),
            ("name", "name", "name", 10),
        ]
    );
    let first = y.duplicate_keys.iter().find(|d| d.key == "name").unwrap();
    assert_eq!(first.first, Span::new(0, 4));
}

#[test]
fn realistic_manifest() {
    let src = include_str!("../../testdata/yaml/deployment.yaml");
    let y = parse_checked(src);
    assert!(y.error.is_none());
    assert_eq!(y.docs.len(), 2);
    let spec = at(&y, root(&y, 0), &["spec", "template", "spec"]);
    let images: Vec<_> = ["initContainers", "containers"]
        .iter()
        .flat_map(|k| y.items(at(&y, spec, &[k])).to_vec())
        .map(|c| {
            let i = at(&y, c, &["image"]);
            (text(&y, src, i), comment(&y, src, i).unwrap_or(""))
        })
        .collect();
    assert_eq!(
        images,
        [
            (
                "registry.example.com/shop/migrate:2.3.1",
                r#"# {"$imagepolicy": "flux-system:migrate"}"#
            ),
            (
                "registry.example.com/shop/web:2.3.1",
                r#"# {"$imagepolicy": "flux-system:web"}"#
            ),
            (
                "\"docker.io/envoyproxy/envoy:v1.29.1\"",
                r#"# {"$imagepolicy": "flux-system:envoy"}"#
            ),
        ]
    );
    let limits = at(
        &y,
        y.items(at(&y, spec, &["containers"]))[0],
        &["resources", "limits"],
    );
    assert_eq!(text(&y, src, limits), r#"{cpu: "1", memory: 512Mi}"#);
}

// ------------------------------------------------------------ whole corpus

#[test]
fn corpus_properties() {
    let files = corpus_files();
    assert!(files.len() >= 15, "corpus present");
    for (name, src) in &files {
        let y = parse_checked(src);
        if y.error.is_none() {
            assert!(
                check_scalar_tokens(src, &y) > 0 || y.nodes.is_empty(),
                "{name}: nothing checked"
            );
        }
    }
}

use crate::testutil::{Mutation, Rng};

fn mutate(rng: &mut Rng, src: &str) -> String {
    const INSERTS: &[&str] = &[
        "[",
        "]",
        "{",
        "}",
        ":",
        ": ",
        "- ",
        "#",
        " #",
        "'",
        "\"",
        "|",
        ">-",
        "\t",
        "\n",
        "\r",
        "\r\n",
        "&a ",
        "*a",
        "!",
        "!!str ",
        "?",
        ",",
        " ",
        "\0",
        "é",
        "日本",
        "🚀",
        "\u{feff}",
        "---\n",
        "...\n",
        "%YAML 1.2\n",
        "\\",
        "  ",
    ];
    rng.mutate(
        src,
        &Mutation {
            inserts: INSERTS,
            max_edits: 3,
            max_cut: 8,
            max_copy: 40,
            junk: None,
        },
    )
}

#[test]
fn random_token_soup_never_panics() {
    const TOKENS: &[&str] = &[
        "a",
        "b",
        "1",
        " ",
        "  ",
        "\n",
        "\n  ",
        "\n- ",
        ": ",
        ":",
        "-",
        "- ",
        "? ",
        "[",
        "]",
        "{",
        "}",
        ",",
        "#",
        " # c",
        "'",
        "\"",
        "\\",
        "|",
        ">",
        "|-",
        ">+",
        "2",
        "&x ",
        "*x",
        "!t ",
        "!!str ",
        "\t",
        "\r\n",
        "\r",
        "é",
        "日",
        "---\n",
        "...\n",
        "%YAML 1.2\n",
        "\u{feff}",
        "''",
        "x: y",
        "k:\n  v",
    ];
    let mut rng = Rng(7);
    for _ in 0..3_000 {
        let mut m = String::new();
        for _ in 0..rng.below(25) {
            m.push_str(TOKENS[rng.below(TOKENS.len())]);
        }
        let y = parse(&m);
        check_invariants(&m, &y);
    }
}

#[test]
fn mutated_corpus_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let files = corpus_files();
    let mut runs = 0;
    for (_, src) in &files {
        for _ in 0..40 {
            let m = mutate(&mut rng, src);
            let y = parse(&m);
            check_invariants(&m, &y);
            runs += 1;
        }
    }
    assert!(runs >= 600);
}

// ---------------------------------------------------------- edge cases

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // yaml-rust2 caps flow nesting itself (at 255 levels); we cap the rest.
    for open in ["[", "{", "[{a: ", "- ", "? "] {
        let src = open.repeat(10_000);
        let y = parse_checked(&src);
        let err = y.error.expect("too deep");
        assert!(
            err.message.contains("nesting") || err.message.contains("recursion limit"),
            "{open}: {}",
            err.message
        );
    }
    let mut src = String::new();
    for i in 0..600 {
        src.push_str(&" ".repeat(i));
        src.push_str("k:\n");
    }
    let y = parse_checked(&src);
    assert!(y.error.unwrap().message.contains("nesting"));
    // Fine below the limit.
    let src = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert!(parse_checked(&src).error.is_none());
}

#[test]
fn empty_and_comment_only_inputs() {
    for src in ["", "\n", "# only a comment\n", "\u{feff}", "\u{feff}# c"] {
        let y = parse_checked(src);
        assert!(y.error.is_none(), "{src:?}");
        assert!(y.docs.is_empty() && y.nodes.is_empty(), "{src:?}");
    }
    let y = parse_checked("# c\n");
    assert_eq!(y.comments.len(), 1);
    let y = parse_checked("---\n");
    assert_eq!((y.docs.len(), y.docs[0].root), (1, None));
}

#[test]
fn empty_values_sit_after_their_indicator() {
    let src = "a:\nb: 1\nc: # note\n  d:\n";
    let y = parse_checked(src);
    let r = root(&y, 0);
    let a = at(&y, r, &["a"]);
    assert_eq!(y.node(a).span, Span::empty(2));
    assert_eq!(y.non_null_str(a), None);
    let c = key_of(&y, r, "c");
    assert_eq!(comment(&y, src, c), Some("# note"));
    assert_eq!(
        y.node(at(&y, r, &["c", "d"])).span,
        Span::empty(src.len() - 1)
    );

    let src = "- \n- b\n-\n- c";
    let y = parse_checked(src);
    let items = y.items(root(&y, 0)).to_vec();
    assert_eq!(y.node(items[0]).span, Span::empty(1));
    assert_eq!(text(&y, src, items[1]), "b");
    assert_eq!(y.node(items[2]).span, Span::empty(8));

    let src = "{a: , b: }";
    let y = parse_checked(src);
    let r = root(&y, 0);
    assert_eq!(y.node(at(&y, r, &["a"])).span, Span::empty(3));
    assert_eq!(y.node(at(&y, r, &["b"])).span, Span::empty(8));
    assert_eq!(text(&y, src, r), src);
}

#[test]
fn sequences_in_all_positions() {
    let src = "a:\n- - x\n  - y\n- z\nb:\n  - [1]\nc:\n- # why\n  w\n";
    let y = parse_checked(src);
    let r = root(&y, 0);
    let a = at(&y, r, &["a"]);
    assert_eq!(text(&y, src, a), "- - x\n  - y\n- z");
    let inner = y.items(a)[0];
    assert_eq!(text(&y, src, inner), "- x\n  - y");
    let b = at(&y, r, &["b"]);
    assert_eq!(text(&y, src, b), "- [1]");
    assert_eq!(text(&y, src, y.items(b)[0]), "[1]");
    let c = at(&y, r, &["c"]);
    assert_eq!(text(&y, src, c), "- # why\n  w");
    assert_eq!(y.comments.len(), 1);

    let src = "- a: 1\n  b: 2\n- &m c: 3\n";
    let y = parse_checked(src);
    let items = y.items(root(&y, 0)).to_vec();
    assert_eq!(text(&y, src, items[0]), "a: 1\n  b: 2");
    assert_eq!(text(&y, src, items[1]), "c: 3");
    // On the key's line, the anchor is the key's (as in yaml-rust2).
    assert_eq!(y.node(items[1]).anchor, None);
    assert_eq!(
        y.node(key_of(&y, items[1], "c")).anchor.as_deref(),
        Some("m")
    );

    let src = "- &m
  c: 3
";
    let y = parse_checked(src);
    let map = y.items(root(&y, 0))[0];
    assert_eq!(text(&y, src, map), "c: 3");
    assert_eq!(y.node(map).anchor.as_deref(), Some("m"));
    assert_eq!(y.node(key_of(&y, map, "c")).anchor, None);
}

#[test]
fn explicit_keys_and_flow_pairs() {
    let src = "? a # k\n: b\n? [x, y]\n: z\n";
    let y = parse_checked(src);
    let r = root(&y, 0);
    assert_eq!(text(&y, src, r), "? a # k\n: b\n? [x, y]\n: z");
    let (k, v) = y.entries(r)[0];
    assert_eq!((text(&y, src, k), text(&y, src, v)), ("a", "b"));
    assert_eq!(comment(&y, src, k), Some("# k"));
    assert_eq!(text(&y, src, y.entries(r)[1].0), "[x, y]");

    let src = "[{a: b}: c, d: e]";
    let y = parse_checked(src);
    let items = y.items(root(&y, 0)).to_vec();
    assert_eq!(text(&y, src, items[0]), "{a: b}: c");
    assert_eq!(text(&y, src, y.entries(items[0])[0].0), "{a: b}");
    assert_eq!(text(&y, src, items[1]), "d: e");
}

#[test]
fn aliases_never_cross_documents() {
    let y = parse_checked("a: &x 1\n---\nb: *x\n");
    assert!(y.error.is_none());
    let b = y.get(root(&y, 1), "b").unwrap();
    assert_eq!(y.node(b).kind, NodeKind::Alias(None));
    let y = parse_checked("a: *nowhere\n");
    assert!(y.error.is_some());
}

#[test]
fn line_breaks_and_stray_bytes() {
    // A lone `\r` is a line break to yaml-rust2 (not to `LineIndex`).
    let src = "a: 1\rb: x # c\n";
    let y = parse_checked(src);
    let b = at(&y, root(&y, 0), &["b"]);
    assert_eq!(text(&y, src, b), "x");
    assert_eq!(comment(&y, src, b), Some("# c"));

    // yaml-rust2 stops at NUL; we report it.
    let src = "a: 1\n---\nb: x\0y\n";
    let y = parse_checked(src);
    let err = y.error.unwrap();
    assert_eq!(err.span.start, src.find('\0').unwrap());
    assert_eq!(y.docs.len(), 1);

    // A tab as the only separator after `:` is a yaml-rust2 error.
    let src = "a:\t1\n";
    let y = parse_checked(src);
    let lc = y.lines.line_col(src, y.error.unwrap().span.start);
    assert_eq!((lc.line, lc.column), (1, 4));
}

#[test]
fn plain_scalar_running_past_a_tab_indented_comment() {
    // yaml-rust2 quirk: the scalar goes on past the comment line.
    let src = "a: x\n\t# c\n y\nb: 1 # real\n";
    let y = parse_checked(src);
    let a = at(&y, root(&y, 0), &["a"]);
    assert_scalar(&y, src, a, "x\n\t# c\n y", ScalarStyle::Plain, "x y");
    assert_eq!(y.comments.len(), 1);
    assert_eq!(
        comment(&y, src, at(&y, root(&y, 0), &["b"])),
        Some("# real")
    );
}

#[test]
fn error_positions_are_byte_exact_after_multibyte_text() {
    let src = "é: 日本\nk: [1, 2\n";
    let y = parse_checked(src);
    let err = y.error.unwrap();
    let lc = y.lines.line_col(src, err.span.start);
    assert_eq!(lc.line, 3);
    let src = "日本: \"x\nk: 'a\n";
    let y = parse_checked(src);
    assert!(y.error.is_some());
    let src = "é: a\nb: c: d\n";
    let y = parse_checked(src);
    let err = y.error.unwrap();
    assert_eq!(err.span.text(src), ":");
    let lc = y.lines.line_col(src, err.span.start);
    assert_eq!((lc.line, lc.column), (2, 5));
}

/// Issue 14: a 48-byte file made every subcommand end in "internal error"
/// (a node span ended inside `€`, then model/marker.rs sliced it). The
/// fixture is `testdata/hardening/span-mid-char.yaml`.
#[test]
fn fuzz_found_span_inside_a_multibyte_character() {
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/hardening/span-mid-char.yaml"),
    )
    .unwrap();
    assert!(src.starts_with("[:\t:},>\n\u{20ac}"));
    parse_checked(&src);
    for cut in 0..=src.len() {
        if let Some(prefix) = src.get(..cut) {
            parse_checked(prefix);
        }
    }
    parse_checked("[:\t:},>\n\u{20ac}");
    parse_checked("[:\t:},>\n\u{e9}\u{e9} x");
}
/// Found by the span-parser fuzz target in its first long run: two
/// documents overlapped. Kept as `testdata/fuzz/span_parser/` seed too.
#[test]
fn fuzz_found_overlapping_documents() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/fuzz/span_parser/issue14-documents-overlap-nul.yaml"
    ))
    .unwrap();
    parse_checked(&src);
    parse_checked("- [t one, e, two, ]\n\n---\n- b\n");
}
