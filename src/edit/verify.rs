//! Proof that a new text says what the plan meant and nothing else: both
//! texts are parsed, every scalar is keyed by (document, path, occurrence),
//! and the two maps must agree except where an [`Expect`] names a value.
//! Runs on every planned file before anything is written.

use std::collections::BTreeMap;

use super::{Expect, Seg};
use crate::yaml::{self, NodeId, NodeKind, ScalarStyle, Yaml};

type Key = (usize, Vec<Seg>, usize);
/// A scalar's content, and whether it loads as something other than a
/// string (a plain `1.10` is a number: quoting lost is a change).
type Value = (String, bool);

/// Every scalar of a parsed text by document index and path; aliases read
/// as `*name`, so moving an alias counts as a change.
pub fn scalars(y: &Yaml) -> BTreeMap<Key, Value> {
    let mut out = BTreeMap::new();
    for doc in &y.docs {
        if let Some(root) = doc.root {
            walk(y, root, doc.index, &mut Vec::new(), &mut out);
        }
    }
    out
}

fn walk(y: &Yaml, node: NodeId, doc: usize, path: &mut Vec<Seg>, out: &mut BTreeMap<Key, Value>) {
    let mut put = |path: &Vec<Seg>, value: Value| {
        let mut n = 0;
        while out.contains_key(&(doc, path.clone(), n)) {
            n += 1;
        }
        out.insert((doc, path.clone(), n), value);
    };
    match &y.node(node).kind {
        NodeKind::Scalar { value, style } => {
            let typed = *style == ScalarStyle::Plain
                && y.node(node).tag.is_none()
                && super::scalar::reads_as_non_string(value);
            put(path, (value.clone(), typed));
        }
        NodeKind::Alias(_) => put(path, (format!("*{}", alias_name(y, node)), false)),
        NodeKind::Sequence(items) => {
            for (i, &item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                walk(y, item, doc, path, out);
                path.pop();
            }
        }
        NodeKind::Mapping(entries) => {
            for &(k, v) in entries {
                let key = y.str(k).map_or_else(|| format!("<key@{k}>"), str::to_owned);
                path.push(Seg::Key(key));
                walk(y, v, doc, path, out);
                path.pop();
            }
        }
    }
}

fn alias_name(y: &Yaml, node: NodeId) -> String {
    match y.node(node).kind {
        NodeKind::Alias(Some(target)) => y.node(target).anchor.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// Checks `new` against `old` (`None`: a new file) and the expectations.
/// The error says what moved that should not have.
pub fn check(old: Option<&str>, new: &str, expect: &[Expect]) -> Result<(), String> {
    let before = old.map(yaml::parse);
    check_parsed(before.as_ref(), new, expect)
}

/// [`check`] with the old text already parsed (the workspace holds it).
pub fn check_parsed(before: Option<&Yaml>, new: &str, expect: &[Expect]) -> Result<(), String> {
    if let Some(e) = before.and_then(|b| b.error.as_ref()) {
        return Err(format!("the file does not parse: {}", e.message));
    }
    let after = yaml::parse(new);
    if let Some(e) = &after.error {
        return Err(format!("the new text does not parse: {}", e.message));
    }
    let mut want = before.map(scalars).unwrap_or_default();
    for e in expect {
        want.insert((e.doc, e.path.clone(), 0), (e.value.clone(), e.non_string));
    }
    let got = scalars(&after);
    for (key, value) in &want {
        match got.get(key) {
            Some(v) if v == value => {}
            Some((v, typed)) if v == &value.0 => {
                let kind = |t: bool| {
                    if t {
                        "a number, boolean or null"
                    } else {
                        "a string"
                    }
                };
                return Err(format!(
                    "{} would load as {} instead of {}",
                    describe(key),
                    kind(*typed),
                    kind(value.1)
                ));
            }
            Some((v, _)) => {
                return Err(format!(
                    "{} would read {v:?}, expected {:?}",
                    describe(key),
                    value.0
                ));
            }
            None => return Err(format!("{} would disappear", describe(key))),
        }
    }
    if let Some(key) = got.keys().find(|k| !want.contains_key(*k)) {
        return Err(format!("{} would appear unplanned", describe(key)));
    }
    Ok(())
}

fn describe((doc, path, _): &Key) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if s.is_empty() => s.push_str(k),
            Seg::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    if s.is_empty() {
        s.push_str("the document root");
    }
    if *doc > 0 {
        s.push_str(&format!(" (document {})", doc + 1));
    }
    s
}

/// The path of `node` inside its document, for building expectations.
pub fn path_of(y: &Yaml, node: NodeId) -> (usize, Vec<Seg>) {
    let mut segs = Vec::new();
    let mut at = node;
    while let Some(parent) = y.node(at).parent {
        match &y.node(parent).kind {
            NodeKind::Sequence(items) => {
                if let Some(i) = items.iter().position(|&n| n == at) {
                    segs.push(Seg::Index(i));
                }
            }
            NodeKind::Mapping(entries) => {
                if let Some(&(k, _)) = entries.iter().find(|(_, v)| *v == at) {
                    segs.push(Seg::Key(
                        y.str(k).map_or_else(|| format!("<key@{k}>"), str::to_owned),
                    ));
                }
            }
            _ => {}
        }
        at = parent;
    }
    segs.reverse();
    let doc = y
        .docs
        .iter()
        .find(|d| d.root == Some(at))
        .map_or(0, |d| d.index);
    (doc, segs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(path: &[&str], value: &str) -> Expect {
        Expect {
            doc: 0,
            path: path.iter().map(|k| Seg::Key((*k).into())).collect(),
            value: value.into(),
            non_string: false,
        }
    }

    #[test]
    fn the_planned_value_may_move_and_nothing_else() {
        let old = "a:\n  image: x:1 # c\nb: 2\n";
        let new = "a:\n  image: x:2 # c\nb: 2\n";
        check(Some(old), new, &[expect(&["a", "image"], "x:2")]).unwrap();
        let err = check(Some(old), new, &[]).unwrap_err();
        assert!(err.contains("a.image would read \"x:2\""), "{err}");
        let err = check(Some(old), "a:\n  image: x:1\nb: 3\n", &[]).unwrap_err();
        assert!(err.contains("b would read"), "{err}");
    }

    #[test]
    fn added_scalars_must_be_expected() {
        let old = "images:\n- name: a\n";
        let new = "images:\n- name: a\n  newTag: \"1.10\"\n";
        check(Some(old), new, &[]).unwrap_err();
        let e = Expect {
            doc: 0,
            path: vec![
                Seg::Key("images".into()),
                Seg::Index(0),
                Seg::Key("newTag".into()),
            ],
            value: "1.10".into(),
            non_string: false,
        };
        check(Some(old), new, &[e]).unwrap();
    }

    #[test]
    fn a_type_change_or_a_broken_text_is_caught() {
        let old = "tag: \"1.10\"\n";
        check(Some(old), "tag: '1.10'\n", &[]).unwrap();
        let err = check(Some(old), "tag: 1.10\n", &[]).unwrap_err();
        assert!(err.contains("would load as a number"), "{err}");
        check(Some(old), "tag: [1.10\n", &[]).unwrap_err();
    }

    #[test]
    fn paths_name_documents_and_indices() {
        let y = yaml::parse("a: 1\n---\nx:\n- k: v\n");
        let root = y.docs[1].root.unwrap();
        let seq = y.get(root, "x").unwrap();
        let item = y.items(seq)[0];
        let v = y.get(item, "k").unwrap();
        assert_eq!(
            path_of(&y, v),
            (
                1,
                vec![Seg::Key("x".into()), Seg::Index(0), Seg::Key("k".into())]
            )
        );
    }
}
