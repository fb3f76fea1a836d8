//! Property tests of the edit layer through the library: generated
//! manifests with image values in every scalar style, among comments and
//! non-ASCII text, with LF or CRLF and with or without a BOM. After a
//! `--set` plan: bytes outside the edited ranges are identical, the edited
//! values read back as the target, and planning again finds nothing.

use imageupdate::discover::{self, Options};
use imageupdate::edit::plan::{self, SetRequest};
use imageupdate::model::Model;
use imageupdate::yaml;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Container {
    name: String,
    repo: usize,
    tag: String,
    style: usize,
    comment: Option<String>,
    note_above: Option<String>,
}

const TAGS: [&str; 9] = [
    "1.0.0",
    "1.10",
    "20.10",
    "1e3",
    "true",
    "v2.3.4-rc.1",
    "0755",
    "latest",
    "2024.01.02",
];
const WORDS: [&str; 6] = ["web", "café", "日本語", "naïve – x", "emoji 🚀", "plain"];

fn container() -> impl Strategy<Value = Container> {
    (
        0..WORDS.len(),
        0..3usize,
        0..TAGS.len(),
        0..3usize,
        proptest::option::of(0..WORDS.len()),
        proptest::option::of(0..WORDS.len()),
    )
        .prop_map(|(n, repo, tag, style, comment, note)| Container {
            name: WORDS[n].to_owned(),
            repo,
            tag: TAGS[tag].to_owned(),
            style,
            comment: comment.map(|c| WORDS[c].to_owned()),
            note_above: note.map(|c| WORDS[c].to_owned()),
        })
}

fn render(containers: &[Container], crlf: bool, bom: bool) -> String {
    let mut s = String::from(
        "# généré — 生成\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n",
    );
    for c in containers {
        if let Some(n) = &c.note_above {
            s.push_str(&format!("        # {n}\n"));
        }
        let image = format!("ghcr.io/org/app{}:{}", c.repo, c.tag);
        let value = match c.style {
            0 => image,
            1 => format!("'{image}'"),
            _ => format!("\"{image}\""),
        };
        s.push_str(&format!(
            "        - name: \"{}\"\n          image: {value}",
            c.name
        ));
        if let Some(comment) = &c.comment {
            s.push_str(&format!("   # {comment}"));
        }
        s.push('\n');
    }
    if crlf {
        s = s.replace('\n', "\r\n");
    }
    if bom {
        s.insert(0, '\u{feff}');
    }
    s
}

/// A kustomization whose `newTag` values (which may read as numbers or
/// booleans) carry the same styles.
fn kustomization(containers: &[Container], crlf: bool) -> String {
    let mut s = String::from("resources:\n- deploy.yaml # ressources\nimages:\n");
    for c in containers {
        let tag = match c.style {
            0 if imageupdate::edit::scalar::reads_as_non_string(&c.tag) => format!("\"{}\"", c.tag),
            0 => c.tag.clone(),
            1 => format!("'{}'", c.tag),
            _ => format!("\"{}\"", c.tag),
        };
        s.push_str(&format!(
            "- name: ghcr.io/org/app{}\n  newTag: {tag}",
            c.repo
        ));
        if let Some(comment) = &c.comment {
            s.push_str(&format!(" # {comment}"));
        }
        s.push('\n');
    }
    if crlf {
        s = s.replace('\n', "\r\n");
    }
    s
}

fn plan_for(dir: &std::path::Path, sets: &[SetRequest]) -> plan::Plan {
    let ws = discover::load(
        dir,
        &[],
        &Options {
            parse_all: true,
            ..Options::default()
        },
    );
    let model = Model::build(&ws);
    plan::plan(&ws, &model, None, sets).expect("plan")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn only_the_planned_bytes_change(
        containers in proptest::collection::vec(container(), 1..6),
        crlf in any::<bool>(),
        bom in any::<bool>(),
        target in 0..TAGS.len(),
        repo in 0..3usize,
    ) {
        let text = render(&containers, crlf, bom);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("deploy.yaml"), &text).unwrap();
        let kust = kustomization(&containers, crlf);
        std::fs::write(dir.path().join("kustomization.yaml"), &kust).unwrap();
        let new_tag = TAGS[target];
        let sets = [SetRequest::parse(&format!("ghcr.io/org/app{repo}={new_tag}")).unwrap()];
        let p = plan_for(dir.path(), &sets);
        let wanted = containers.iter().filter(|c| c.repo == repo && c.tag != new_tag).count();
        prop_assert_eq!(p.changes().count(), 2 * wanted);
        if wanted == 0 {
            prop_assert!(p.files.is_empty());
            return Ok(());
        }
        // Every newTag reads back as the target tag, and a plain one is
        // never a number or boolean.
        let kfile = p.files.iter().find(|f| f.path == "kustomization.yaml").unwrap();
        let ky = yaml::parse(&kfile.new_text);
        for (id, node) in ky.ids().zip(&ky.nodes) {
            if ky.key_for(id).and_then(|k| ky.str(k)) != Some("newTag") {
                continue;
            }
            if let yaml::NodeKind::Scalar { value, style: yaml::ScalarStyle::Plain } = &node.kind {
                prop_assert!(!imageupdate::edit::scalar::reads_as_non_string(value), "{}", value);
            }
        }
        let new_tags: Vec<&str> = ky.ids()
            .filter(|&id| ky.key_for(id).and_then(|k| ky.str(k)) == Some("newTag"))
            .filter_map(|id| ky.str(id))
            .collect();
        let want_tags: Vec<&str> = containers.iter()
            .map(|c| if c.repo == repo { new_tag } else { c.tag.as_str() })
            .collect();
        prop_assert_eq!(new_tags, want_tags);
        let file = p.files.iter().find(|f| f.path == "deploy.yaml").unwrap();
        let new = file.new_text.clone();
        // Bytes between and around the edits are the original's.
        let mut edits = file.edits.clone();
        edits.sort_by_key(|e| e.range.start);
        let (mut at_old, mut at_new) = (0, 0);
        for e in &edits {
            let kept = &text[at_old..e.range.start];
            prop_assert_eq!(&new[at_new..at_new + kept.len()], kept);
            at_new += kept.len() + e.text.len();
            at_old = e.range.end;
        }
        prop_assert_eq!(&new[at_new..], &text[at_old..]);
        // Every image reads back as wanted, as a string.
        let y = yaml::parse(&new);
        prop_assert!(y.error.is_none());
        let images: Vec<String> = y.ids()
            .filter(|&id| y.key_for(id).and_then(|k| y.str(k)) == Some("image"))
            .filter_map(|id| y.str(id).map(str::to_owned))
            .collect();
        let expected: Vec<String> = containers.iter().map(|c| {
            let tag = if c.repo == repo { new_tag } else { c.tag.as_str() };
            format!("ghcr.io/org/app{}:{tag}", c.repo)
        }).collect();
        prop_assert_eq!(images, expected);
        // A second plan over the written text is empty.
        std::fs::write(dir.path().join("deploy.yaml"), &new).unwrap();
        std::fs::write(dir.path().join("kustomization.yaml"), &kfile.new_text).unwrap();
        prop_assert!(plan_for(dir.path(), &sets).files.is_empty());
    }
}
