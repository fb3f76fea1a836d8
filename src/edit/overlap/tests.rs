use super::*;
use crate::testutil::workspace;

const TEXT: &str = "image: nginx:1.0\ntag: \"1.0\"\n";

fn edit(p: &mut Proposals, range: Range<usize>, text: &str, rank: Rank, change: &str) {
    let text = text.to_owned();
    p.edit(
        FileId(0),
        rank,
        [TextEdit { range, text }],
        [],
        [Change {
            file: "a.yaml".into(),
            line: 1,
            image: change.into(),
            old_value: String::new(),
            new_value: String::new(),
            old_tag: String::new(),
            new_tag: String::new(),
            setter: None,
            object: None,
            app: None,
            alias: None,
        }],
    );
}

fn skip_at(p: &mut Proposals, range: Range<usize>, rank: Rank, reason: &str) {
    let skip = Skip {
        file: "a.yaml".into(),
        line: 1,
        image: String::new(),
        reason: reason.into(),
    };
    p.skip(FileId(0), rank, range, skip);
}

/// `nginx:1.0` in TEXT.
const VALUE: Range<usize> = 7..16;

#[test]
fn identical_edits_merge() {
    let ws = workspace(&[("a.yaml", TEXT)]);
    let mut p = Proposals::default();
    edit(&mut p, VALUE, "nginx:2.0", Rank::Configured, "nginx");
    edit(&mut p, VALUE, "nginx:2.0", Rank::Configured, "nginx");
    let (files, skips) = settle(&ws, p).unwrap();
    let f = &files["a.yaml"];
    assert_eq!(f.edits.len(), 1);
    assert_eq!(f.changes.len(), 1);
    assert_eq!(f.new_text, "image: nginx:2.0\ntag: \"1.0\"\n");
    assert!(skips.is_empty());
}

#[test]
fn two_configurations_that_disagree_are_refused() {
    let ws = workspace(&[("a.yaml", TEXT)]);
    let mut p = Proposals::default();
    edit(&mut p, VALUE, "nginx:2.0", Rank::Configured, "a");
    edit(&mut p, 13..16, "3.0", Rank::Configured, "b");
    let err = settle(&ws, p).unwrap_err();
    assert_eq!(err.file, "a.yaml");
    assert!(err.message.contains("the same value"), "{err}");
}

#[test]
fn a_request_gives_way_to_what_a_configuration_owns() {
    let ws = workspace(&[("a.yaml", TEXT)]);
    let mut p = Proposals::default();
    // Requested first: order does not decide, rank does.
    edit(&mut p, VALUE, "nginx:9.9", Rank::Requested, "set");
    edit(&mut p, 22..27, "\"2.0\"", Rank::Requested, "tag");
    p.keep(FileId(0), VALUE);
    let (files, _) = settle(&ws, p).unwrap();
    let f = &files["a.yaml"];
    assert_eq!(f.new_text, "image: nginx:1.0\ntag: \"2.0\"\n");
    let images: Vec<_> = f.changes.iter().map(|c| c.image.as_str()).collect();
    assert_eq!(images, ["tag"]);
}

#[test]
fn ownership_alone_changes_no_file() {
    let ws = workspace(&[("a.yaml", TEXT)]);
    let mut p = Proposals::default();
    p.keep(FileId(0), VALUE);
    let (files, _) = settle(&ws, p).unwrap();
    assert!(files.is_empty());
}

#[test]
fn a_skip_stands_unless_a_stronger_owner_has_the_value() {
    let ws = workspace(&[("a.yaml", TEXT)]);
    let mut p = Proposals::default();
    p.keep(FileId(0), VALUE);
    skip_at(&mut p, VALUE, Rank::Requested, "owned: not reported");
    skip_at(&mut p, 0..0, Rank::Requested, "about no bytes: reported");
    edit(&mut p, VALUE, "nginx:2.0", Rank::Configured, "marker");
    skip_at(&mut p, VALUE, Rank::Configured, "same rank: reported");
    let (_, skips) = settle(&ws, p).unwrap();
    let reasons: Vec<_> = skips.iter().map(|s| s.reason.as_str()).collect();
    // In the order the planners made them.
    assert_eq!(reasons, ["about no bytes: reported", "same rank: reported"]);
}

#[test]
fn appended_parts_keep_their_files_and_changes() {
    let ws = workspace(&[("a.yaml", TEXT), ("b.yaml", TEXT)]);
    let mut p = Proposals::default();
    edit(&mut p, VALUE, "nginx:2.0", Rank::Configured, "a");
    let mut part = Proposals::default();
    skip_at(&mut part, 0..0, Rank::Requested, "from the part");
    let text = "\"3.0\"".to_owned();
    part.edit(
        FileId(1),
        Rank::Requested,
        [TextEdit {
            range: 22..27,
            text,
        }],
        [],
        [],
    );
    edit(&mut part, 22..27, "\"2.0\"", Rank::Requested, "a-tag");
    p.append(part);
    let (files, skips) = settle(&ws, p).unwrap();
    assert_eq!(files["a.yaml"].new_text, "image: nginx:2.0\ntag: \"2.0\"\n");
    assert_eq!(files["b.yaml"].new_text, "image: nginx:1.0\ntag: \"3.0\"\n");
    let images: Vec<_> = files["a.yaml"]
        .changes
        .iter()
        .map(|c| c.image.as_str())
        .collect();
    assert_eq!(images, ["a", "a-tag"]);
    assert!(files["b.yaml"].changes.is_empty());
    assert_eq!(skips.len(), 1);
    assert_eq!(skips[0].reason, "from the part");
}
