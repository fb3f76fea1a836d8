//! The bodies of the fuzz targets in `fuzz/`, one function per target, each
//! taking the fuzzer's bytes. They live in the library so `cargo fuzz` and
//! the stable test that replays the committed seeds (`tests/fuzz_seeds.rs`)
//! run the same code. Each panics only when a promise is broken: a span off
//! a character boundary, an edit that does not read back, a template past
//! its limits, a round trip that changes its value.

use std::path::PathBuf;

use crate::discover::{SourceFile, Workspace};
use crate::edit::{self, Expect, TextEdit};
use crate::export::WriteOptions;
use crate::export::{self, Request};
use crate::gosyntax::{duration, exec, glob, regex};
use crate::model::spec::Dialect;
use crate::model::{self, image};
use crate::report;
use crate::resolve::constraint::Constraint;
use crate::resolve::tags::TagsFile;
use crate::resolve::version::Version;
use crate::yaml::{self, NodeId, NodeKind, ScalarStyle};

/// A fuzz target's body: the fuzzer's bytes in, a panic on a broken promise.
pub type Target = fn(&[u8]);

/// The fuzz targets, by name: what `fuzz/fuzz_targets/*.rs` call and what
/// the seed replay iterates.
pub const TARGETS: &[(&str, Target)] = &[
    ("span_parser", span_parser),
    ("validate_file", validate_file),
    ("tags_file", tags_file),
    ("semver", semver),
    ("go_template", go_template),
    ("go_regex", go_regex),
    ("duration_glob", duration_glob),
    ("image_ref", image_ref),
    ("scalar_edit", scalar_edit),
];

/// Inputs past this are not interesting and only slow the fuzzer down.
const MAX_INPUT: usize = 64 * 1024;

fn text(data: &[u8]) -> Option<&str> {
    (data.len() <= MAX_INPUT)
        .then(|| std::str::from_utf8(data).ok())
        .flatten()
}

/// The first `n` lines of `s` (missing ones empty).
fn lines<const N: usize>(s: &str) -> [&str; N] {
    let mut out = [""; N];
    let mut it = s.splitn(N, '\n');
    for slot in &mut out {
        *slot = it.next().unwrap_or("");
    }
    out
}

/// The span parser: every invariant of `yaml::invariants`, and every span
/// sliced and turned into a line and column as the reports do.
pub fn span_parser(data: &[u8]) {
    let Some(src) = text(data) else { return };
    let y = yaml::parse(src);
    if let Err(e) = yaml::invariants::check(src, &y) {
        panic!("{e}");
    }
    for node in &y.nodes {
        let _ = node.span.text(src);
        let _ = y.lines.line_col(src, node.span.end);
    }
    for m in model::marker::markers_in(crate::diagnostic::FileId(0), src, &y) {
        let _ = m.value_span.text(src);
    }
}

/// A fixed tags file for the pipeline: a few repositories every example
/// uses, semver and date tags.
const TAGS: &str = "nginx: ['1.25.0', '1.26.1', 'latest']\n\
ghcr.io/acme/app: ['v1.0.0', 'v1.2.0', '2024-01-02', 'main-abc1234-17']\n\
registry.example.com/team/api: ['0.9.0', '1.0.0-rc.1', '1.0.0']\n";

/// One file through everything a run does with it: discover's parse,
/// model, checks, the four reports, preview, apply's plan (verified) and
/// export to every dialect. Every diagnostic's span must be sliceable.
pub fn validate_file(data: &[u8]) {
    let Some(src) = text(data) else { return };
    let ws = Workspace {
        root: PathBuf::from("/nonexistent/imageupdate-fuzz"),
        files: vec![SourceFile {
            path: "deploy.yaml".into(),
            abs: PathBuf::from("/nonexistent/imageupdate-fuzz/deploy.yaml"),
            text: src.to_owned(),
            yaml: Some(yaml::parse(src)),
            report: true,
        }],
        diagnostics: Vec::new(),
    };
    let model = model::Model::build(&ws);
    let diagnostics = crate::check::run(&ws, &model);
    for d in &diagnostics {
        let span = d.span;
        assert!(
            span.start <= span.end
                && src.is_char_boundary(span.start.min(src.len()))
                && src.is_char_boundary(span.end.min(src.len())),
            "diagnostic {} has span {span:?} off the text",
            d.rule.code
        );
    }
    let _ = report::render_human(&ws, &diagnostics, report::Style::Plain);
    let _ = report::render_json(&ws, &diagnostics);
    let _ = report::render_sarif(&ws, &diagnostics);
    let _ = report::render_github(&ws, &diagnostics);
    let _ = report::render_gitlab(&ws, &diagnostics);
    let tags = TagsFile::parse(TAGS, "tags.yaml").expect("the built-in tags file parses");
    let _ = crate::preview::run(&ws, &model, &tags);
    let resolution = crate::preview::resolve(&model, &tags);
    let _ = edit::plan::plan(&ws, &model, Some(&resolution), &[]);
    for to in Dialect::ALL {
        let req = Request {
            to,
            from: Vec::new(),
            name: None,
            reported_only: true,
            options: WriteOptions::default(),
        };
        let _ = export::export(&ws, &model, &req);
    }
}

/// The `--tags-from` file parser.
pub fn tags_file(data: &[u8]) {
    let Some(src) = text(data) else { return };
    if let Ok(tags) = TagsFile::parse(src, "tags.yaml") {
        for repo in tags.repositories().take(8) {
            let _ = crate::resolve::TagSource::tags(&tags, repo);
        }
    }
}

/// A constraint on the first line, versions on the others: parsing both
/// ways (Flux, Argo) and matching never panic, and a version that parses
/// compares equal to itself.
pub fn semver(data: &[u8]) {
    let Some(src) = text(data) else { return };
    let (first, rest) = src.split_once('\n').unwrap_or((src, ""));
    let constraint = Constraint::parse(first).ok();
    for line in rest.lines().take(64) {
        for v in [Version::parse_flux(line), Version::parse_argo(line)]
            .into_iter()
            .flatten()
        {
            assert_eq!(v.cmp_precedence(&v), std::cmp::Ordering::Equal, "{line:?}");
            if let Some(c) = &constraint {
                let _ = c.matches(&v);
            }
        }
    }
}

/// A template on the first line(s): parsed (our checker and Go's rules)
/// and executed over the commit-message data within its limits.
pub fn go_template(data: &[u8]) {
    let Some(src) = text(data) else { return };
    let _ = crate::gosyntax::template::parse_template(src);
    if let Ok(t) = exec::Template::parse(src)
        && let Ok(out) = t.execute(&crate::git::message::sample_data())
    {
        assert!(
            out.len() <= exec::MAX_OUTPUT + 4096,
            "output {} bytes",
            out.len()
        );
    }
}

/// Pattern, tag, extract template (one a line): translation to Rust's
/// regex, matching, and Go's `Expand`.
pub fn go_regex(data: &[u8]) {
    let Some(src) = text(data) else { return };
    let [pattern, tag, template] = lines::<3>(src);
    let _ = regex::validate_go_regex(pattern);
    let _ = regex::expand_refs(template);
    let _ = regex::stray_dollars(template);
    if let Ok(re) = regex::compile_go_regex(pattern) {
        let _ = regex::go_capture_names(&re);
        let _ = regex::unknown_groups(&re, template);
        if let Some(caps) = re.captures(tag) {
            let _ = regex::expand(template, &re, &caps);
        }
    }
}

/// A duration and a glob pattern with a name: a duration that parses
/// formats back to one that parses to the same value.
pub fn duration_glob(data: &[u8]) {
    let Some(src) = text(data) else { return };
    let [d, pattern, name] = lines::<3>(src);
    if let Ok(parsed) = duration::parse_go_duration(d) {
        let shown = duration::format_go_duration(parsed);
        let again = duration::parse_go_duration(&shown)
            .unwrap_or_else(|e| panic!("{d:?} formats as {shown:?}, which does not parse: {e:?}"));
        assert_eq!(again, parsed, "{d:?} → {shown:?}");
    }
    let _ = duration::matches_flux_interval(d);
    let _ = glob::validate_glob(pattern);
    let _ = glob::glob_match(pattern, name);
    let _ = glob::find_bang_negation(pattern);
}

/// Image references in every reader: Docker/OCI, repository-only, the
/// Argo image list and its items. Ranges handed back must be sliceable.
pub fn image_ref(data: &[u8]) {
    let Some(src) = text(data) else { return };
    if let Ok(r) = image::parse(src) {
        let _ = r.normalized_name();
    }
    let _ = image::validate_repository(src);
    let _ = image::registry_port_trap(src);
    for range in image::split_argo_image_list(src) {
        let item = src
            .get(range.clone())
            .unwrap_or_else(|| panic!("item range {range:?} off {src:?}"));
        let _ = image::parse_argo_item(item);
    }
}

/// The byte-exact edit path: the first line picks a value scalar and a new
/// value, the rest is the manifest. The value is rendered in the scalar's
/// style and spliced in; verification must accept it, and every byte
/// outside the scalar must stay.
pub fn scalar_edit(data: &[u8]) {
    let Some(input) = text(data) else { return };
    let (head, src) = input.split_once('\n').unwrap_or(("", input));
    let (pick, value) = head.split_once(' ').unwrap_or((head, "v1.2.3"));
    let y = yaml::parse(src);
    // Verification finds scalars by key path; apply edits neither files
    // that do not parse nor those a duplicate key makes ambiguous.
    if y.error.is_some() || !y.duplicate_keys.is_empty() {
        return;
    }
    let values: Vec<NodeId> = y
        .ids()
        .filter(|&id| {
            let n = &y.nodes[id];
            matches!(n.kind, NodeKind::Scalar { .. })
                && !n.span.is_empty()
                && n.anchor.is_none()
                && n.tag.is_none()
                && n.parent.is_some()
                && y.key_for(id).is_some()
                && nameable(&y, id)
        })
        .collect();
    if values.is_empty() {
        return;
    }
    let id = values[pick.len() % values.len()];
    let node = &y.nodes[id];
    let NodeKind::Scalar { style, value: old } = &node.kind else {
        return;
    };
    if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) || old == value {
        return;
    }
    // yaml-rust2 reads `k:\t;` (a tab as the only separator) but rejects
    // `k:\t1.2.3` ("':' must be followed by a valid YAML whitespace"), so
    // after a tab a rewritten value may not parse again. apply then refuses
    // the edit ("the new text does not parse") and writes nothing, which is
    // the promise; found by this target (testdata/fuzz/scalar_edit/).
    let line_start = src[..node.span.start].rfind('\n').map_or(0, |i| i + 1);
    if src[line_start..node.span.start].contains('\t') {
        return;
    }
    // Values `apply` writes: image references and tags, never controls.
    if value.is_empty() || value.chars().any(|c| c.is_control() || c == '\u{feff}') {
        return;
    }
    let Ok(rendered) = edit::scalar::render(*style, value, node.in_flow) else {
        return;
    };
    let edits = [TextEdit {
        range: node.span.start..node.span.end,
        text: rendered.clone(),
    }];
    let new = edit::apply_edits(src, &edits).expect("one edit on a node span applies");
    assert_eq!(&new[..node.span.start], &src[..node.span.start]);
    assert_eq!(
        &new[node.span.start + rendered.len()..],
        &src[node.span.end..]
    );
    let (doc, path) = edit::verify::path_of(&y, id);
    let expect = [Expect {
        doc,
        path,
        value: value.to_owned(),
        non_string: false,
    }];
    if let Err(e) = edit::verify::check_parsed(Some(&y), &new, &expect) {
        // yaml-rust2 rejects some rewrites of text it read (a quoted value
        // in a flow mapping whose `}` sits at column 0 of a block sequence:
        // "invalid indentation"; see testdata/fuzz/scalar_edit/). apply
        // then refuses and writes nothing: the promise is kept, the update
        // is not made, and the refusal says why.
        if matches!(e, edit::verify::VerifyError::NewUnparsable(_))
            && yaml::parse(&new).error.is_some()
        {
            return;
        }
        panic!(
            "{value:?} written as {rendered:?} does not verify: {e}\n--- old\n{src}\n--- new\n{new}"
        );
    }
}

/// True when key paths can name `id`: no collection above it is itself a
/// mapping key (`? [a]:`), and every mapping on the way has a non-empty
/// scalar key for it (missing keys, `: a`, may repeat, yaml-test-suite
/// 2JQS, so a path through one is ambiguous). No manifest has either.
fn nameable(y: &yaml::Yaml, mut id: NodeId) -> bool {
    while let Some(parent) = y.nodes[id].parent {
        if y.value_for(id).is_some() {
            return false;
        }
        if matches!(y.nodes[parent].kind, NodeKind::Mapping(_))
            && y.key_for(id)
                .and_then(|k| y.str(k))
                .is_none_or(str::is_empty)
        {
            return false;
        }
        id = parent;
    }
    true
}
