//! Proof that a new text says what the plan meant and nothing else: both
//! texts are parsed and walked side by side (mapping entries matched by
//! key, sequence items by index); every scalar must read the same, except
//! where an [`Expect`] names its new value, and every scalar that only the
//! new text has must be named by one. Runs on every planned file before
//! anything is written.

use std::borrow::Cow;
use std::collections::HashMap;

use super::{Expect, Seg};
use crate::yaml::{self, NodeId, NodeKind, ScalarStyle, Yaml};

/// A scalar as the comparison sees it: its content, and whether it may load
/// as something other than a string (a plain `1.10` is a number: quoting
/// lost is a change). Aliases read as `*name`, so moving an alias counts as
/// a change.
struct Value<'a> {
    text: Cow<'a, str>,
    /// Plain and untagged: only then can the content load as a non-string.
    bare: bool,
}

impl Value<'_> {
    fn typed(&self) -> bool {
        self.bare && super::scalar::reads_as_non_string(&self.text)
    }
}

fn value_of(y: &Yaml, node: NodeId) -> Option<Value<'_>> {
    match &y.node(node).kind {
        NodeKind::Scalar { value, style } => Some(Value {
            text: Cow::Borrowed(value),
            bare: *style == ScalarStyle::Plain && y.node(node).tag.is_none(),
        }),
        NodeKind::Alias(target) => {
            let name = target
                .and_then(|t| y.node(t).anchor.as_deref())
                .unwrap_or_default();
            Some(Value {
                text: Cow::Owned(format!("*{name}")),
                bare: false,
            })
        }
        _ => None,
    }
}

/// What moved that should not have: the proof that an edit is safe
/// failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the file does not parse: {0}")]
    OldUnparsable(String),
    #[error("the new text does not parse: {0}")]
    NewUnparsable(String),
    /// 1-based.
    #[error("document {0} would disappear")]
    DocumentGone(usize),
    /// A planned value (key path and document) the new text lacks.
    #[error("{0} would not be written")]
    NotWritten(String),
    /// A value (key path and document) that moved unplanned, and how.
    #[error("{at} {what}")]
    Moved { at: String, what: String },
}

/// Checks `new` against `old` (`None`: a new file) and the expectations.
/// The error says what moved that should not have.
pub fn check(old: Option<&str>, new: &str, expect: &[Expect]) -> Result<(), VerifyError> {
    let before = old.map(yaml::parse);
    check_parsed(before.as_ref(), new, expect)
}

/// [`check`] with the old text already parsed (the workspace holds it).
pub fn check_parsed(
    before: Option<&Yaml>,
    new: &str,
    expect: &[Expect],
) -> Result<(), VerifyError> {
    if let Some(e) = before.and_then(|b| b.error.as_ref()) {
        return Err(VerifyError::OldUnparsable(e.message.clone()));
    }
    if let Some(old) = before
        && in_place(old, new, expect)
    {
        return Ok(());
    }
    walk(before, new, expect)
}

/// The full comparison: both trees walked side by side.
fn walk(before: Option<&Yaml>, new: &str, expect: &[Expect]) -> Result<(), VerifyError> {
    let after = yaml::parse(new);
    if let Some(e) = &after.error {
        return Err(VerifyError::NewUnparsable(e.message.clone()));
    }
    let mut w = Walk {
        old: before,
        new: &after,
        expect,
        met: vec![false; expect.len()],
        doc: 0,
        path: Vec::new(),
    };
    let old_docs = before.map_or(&[][..], |b| &b.docs[..]);
    for (i, doc) in after.docs.iter().enumerate() {
        w.doc = i;
        match (old_docs.get(i).and_then(|d| d.root), doc.root) {
            (Some(o), Some(n)) => w.pair(o, n)?,
            (None, Some(n)) => w.added(n)?,
            (Some(_), None) => return Err(w.error("would disappear")),
            (None, None) => {}
        }
    }
    if old_docs.len() > after.docs.len()
        && old_docs[after.docs.len()..]
            .iter()
            .any(|d| d.root.is_some())
    {
        return Err(VerifyError::DocumentGone(after.docs.len() + 1));
    }
    if let Some(i) = w.met.iter().position(|m| !m) {
        return Err(VerifyError::NotWritten(describe(
            expect[i].doc,
            &expect[i].path,
        )));
    }
    Ok(())
}

/// The common case, proved without a second span tree: `new` has `old`'s
/// shape and every scalar reads as before, except the expected ones, which
/// read as expected. `false` means "not shown this way", never "wrong":
/// the full walk then decides and words the error.
fn in_place(old: &Yaml, new: &str, expect: &[Expect]) -> bool {
    // By node: a file with 40,000 edits looked each one up linearly.
    let mut targets: HashMap<NodeId, &Expect> = HashMap::with_capacity(expect.len());
    for e in expect {
        match node_at(old, e) {
            Some(id) if !targets.contains_key(&id) => {
                targets.insert(id, e);
            }
            _ => return false,
        }
    }
    let mut accept = |id: NodeId, value: &str, bare: bool| {
        let got = Value {
            text: Cow::Borrowed(value),
            bare,
        };
        match targets.get(&id) {
            Some(e) => value == e.value && got.typed() == e.non_string,
            None => match value_of(old, id) {
                Some(was) => was.text == value && (was.bare == bare || was.typed() == got.typed()),
                None => false,
            },
        }
    };
    yaml::same_shape(old, new, &mut accept)
}

/// The scalar an expectation names in the old tree, if the path leads to
/// exactly one.
fn node_at(y: &Yaml, e: &Expect) -> Option<NodeId> {
    let mut at = y.docs.get(e.doc)?.root?;
    for seg in &e.path {
        at = match (seg, &y.node(at).kind) {
            (Seg::Key(k), NodeKind::Mapping(entries)) => {
                let mut found = entries.iter().filter(|(key, _)| y.str(*key) == Some(k));
                let (_, v) = found.next()?;
                if found.next().is_some() {
                    return None;
                }
                *v
            }
            (Seg::Index(i), NodeKind::Sequence(items)) => *items.get(*i)?,
            _ => return None,
        };
    }
    matches!(y.node(at).kind, NodeKind::Scalar { .. }).then_some(at)
}

/// A step of the path being walked, borrowed from the trees: the walk
/// visits every node of every planned file, and owned keys would cost an
/// allocation per entry.
#[derive(Clone, PartialEq)]
enum Step<'a> {
    Key(Cow<'a, str>),
    Index(usize),
}

impl Step<'_> {
    fn is(&self, seg: &Seg) -> bool {
        match (self, seg) {
            (Step::Key(a), Seg::Key(b)) => a == b,
            (Step::Index(a), Seg::Index(b)) => a == b,
            _ => false,
        }
    }

    fn owned(&self) -> Seg {
        match self {
            Step::Key(k) => Seg::Key(k.to_string()),
            Step::Index(i) => Seg::Index(*i),
        }
    }
}

struct Walk<'a> {
    old: Option<&'a Yaml>,
    new: &'a Yaml,
    expect: &'a [Expect],
    met: Vec<bool>,
    doc: usize,
    path: Vec<Step<'a>>,
}

impl<'a> Walk<'a> {
    /// The expectation for the current path (few per file: a scan).
    fn expected(&mut self) -> Option<&'a Expect> {
        let (doc, path) = (self.doc, &self.path);
        let i = self.expect.iter().position(|e| {
            e.doc == doc
                && e.path.len() == path.len()
                && path.iter().zip(&e.path).all(|(s, seg)| s.is(seg))
        })?;
        self.met[i] = true;
        Some(&self.expect[i])
    }

    fn error(&self, what: &str) -> VerifyError {
        let path: Vec<Seg> = self.path.iter().map(Step::owned).collect();
        VerifyError::Moved {
            at: describe(self.doc, &path),
            what: what.to_owned(),
        }
    }

    /// `got` must read as `want` (content and string-ness).
    fn compare(&self, got: &Value, want: &str, want_typed: bool) -> Result<(), VerifyError> {
        if got.text != want {
            return Err(self.error(&format!("would read {:?}, expected {want:?}", got.text)));
        }
        let got_typed = got.typed();
        if got_typed == want_typed {
            return Ok(());
        }
        let kind = |t: bool| {
            if t {
                "a number, boolean or null"
            } else {
                "a string"
            }
        };
        Err(self.error(&format!(
            "would load as {} instead of {}",
            kind(got_typed),
            kind(want_typed)
        )))
    }

    fn pair(&mut self, o: NodeId, n: NodeId) -> Result<(), VerifyError> {
        let (old, new) = (self.old.expect("pair needs an old text"), self.new);
        match (&old.node(o).kind, &new.node(n).kind) {
            (NodeKind::Mapping(oe), NodeKind::Mapping(ne)) => {
                let mut used = vec![false; ne.len()];
                for (i, &(ok, ov)) in oe.iter().enumerate() {
                    let key = key_text(old, ok);
                    // Edits keep the order of keys, so the same position
                    // is tried first.
                    let Some(j) = std::iter::once(i)
                        .chain(0..ne.len())
                        .find(|&j| j < ne.len() && !used[j] && key_text(new, ne[j].0) == key)
                    else {
                        self.path.push(Step::Key(key));
                        return Err(self.error("would disappear"));
                    };
                    used[j] = true;
                    self.path.push(Step::Key(key));
                    self.pair(ov, ne[j].1)?;
                    self.path.pop();
                }
                for (j, &(nk, nv)) in ne.iter().enumerate() {
                    if !used[j] {
                        self.path.push(Step::Key(key_text(new, nk)));
                        self.added(nv)?;
                        self.path.pop();
                    }
                }
                Ok(())
            }
            (NodeKind::Sequence(oi), NodeKind::Sequence(ni)) => {
                for (i, &item) in oi.iter().enumerate() {
                    self.path.push(Step::Index(i));
                    match ni.get(i) {
                        Some(&n) => self.pair(item, n)?,
                        None => return Err(self.error("would disappear")),
                    }
                    self.path.pop();
                }
                for (i, &item) in ni.iter().enumerate().skip(oi.len()) {
                    self.path.push(Step::Index(i));
                    self.added(item)?;
                    self.path.pop();
                }
                Ok(())
            }
            _ => match (value_of(old, o), value_of(new, n)) {
                (Some(was), Some(got)) => match self.expected() {
                    Some(e) => self.compare(&got, &e.value, e.non_string),
                    // Same content, style class and tag: same type, and no
                    // need to ask what the content would load as.
                    None if got.text == was.text && got.bare == was.bare => Ok(()),
                    None => self.compare(&got, &was.text, was.typed()),
                },
                _ => Err(self.error("would change from a value to a collection or back")),
            },
        }
    }

    /// A node only the new text has: every scalar in it must be expected.
    fn added(&mut self, n: NodeId) -> Result<(), VerifyError> {
        let new = self.new;
        match &new.node(n).kind {
            NodeKind::Mapping(entries) => {
                for &(k, v) in entries {
                    self.path.push(Step::Key(key_text(new, k)));
                    self.added(v)?;
                    self.path.pop();
                }
                Ok(())
            }
            NodeKind::Sequence(items) => {
                for (i, &item) in items.iter().enumerate() {
                    self.path.push(Step::Index(i));
                    self.added(item)?;
                    self.path.pop();
                }
                Ok(())
            }
            _ => {
                let got = value_of(new, n).unwrap_or(Value {
                    text: Cow::Borrowed(""),
                    bare: false,
                });
                match self.expected() {
                    Some(e) => self.compare(&got, &e.value, e.non_string),
                    None => Err(self.error("would appear unplanned")),
                }
            }
        }
    }
}

fn key_text(y: &Yaml, k: NodeId) -> Cow<'_, str> {
    y.str(k)
        .map_or_else(|| Cow::Owned(format!("<key@{k}>")), Cow::Borrowed)
}

fn describe(doc: usize, path: &[Seg]) -> String {
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
    if doc > 0 {
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
                // Items are in text order: a binary search, not a scan per
                // edit (40,000 items were quadratic).
                let start = y.node(at).span.start;
                let from = items.partition_point(|&n| y.node(n).span.start < start);
                if let Some(i) = items[from..]
                    .iter()
                    .take_while(|&&n| y.node(n).span.start == start)
                    .position(|&n| n == at)
                {
                    segs.push(Seg::Index(from + i));
                }
            }
            NodeKind::Mapping(_) => {
                if let Some(k) = y.key_for(at) {
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
#[allow(clippy::disallowed_methods)] // fixtures on disk
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
        let err = check(Some(old), new, &[]).unwrap_err().to_string();
        assert!(err.contains("a.image would read \"x:2\""), "{err}");
        let err = check(Some(old), "a:\n  image: x:1\nb: 3\n", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("b would read"), "{err}");
    }

    #[test]
    fn added_scalars_must_be_expected() {
        let old = "images:\n- name: a\n";
        let new = "images:\n- name: a\n  newTag: \"1.10\"\n";
        check(Some(old), new, &[]).unwrap_err().to_string();
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
        let err = check(Some(old), "tag: 1.10\n", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("would load as a number"), "{err}");
        check(Some(old), "tag: [1.10\n", &[])
            .unwrap_err()
            .to_string();
    }

    #[test]
    fn keys_are_matched_by_name_wherever_they_sit() {
        let old = "a: 1\nb: x:1\nc: 3\n";
        check(Some(old), "c: 3\nb: x:2\na: 1\n", &[expect(&["b"], "x:2")]).unwrap();
        let err = check(Some(old), "c: 3\nb: x:2\nd: 1\n", &[expect(&["b"], "x:2")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("a would disappear"), "{err}");
        let err = check(Some(old), "a: 1\nb: x:1\nc: 3\nd: 4\n", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("d would appear unplanned"), "{err}");
    }

    #[test]
    fn unplanned_quoting_changes_are_caught_both_ways() {
        check(Some("v: '1.10'\n"), "v: \"1.10\"\n", &[]).unwrap();
        let err = check(Some("v: 1.10\n"), "v: '1.10'\n", &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("would load as a string instead of a number"),
            "{err}"
        );
        check(Some("v: !!str 1.10\n"), "v: '1.10'\n", &[]).unwrap();
        let err = check(Some("a: &t x\nv: *t\n"), "a: &t x\nv: x\n", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("v would read \"x\", expected \"*t\""), "{err}");
    }

    /// The shortcut may only say yes where the full walk says yes: every
    /// scalar of the corpus is replaced by tokens of every kind (some
    /// reading as planned, some not, some breaking the text), with right
    /// and wrong expectations, and the two are compared.
    #[test]
    fn the_in_place_shortcut_never_accepts_what_the_walk_rejects() {
        const TOKENS: [(&str, &str, bool); 16] = [
            ("x:2", "x:2", false),
            ("\"x:2\"", "x:2", false),
            ("'1.10'", "1.10", false),
            ("1.10", "1.10", true),
            ("1.10", "1.10", false),
            ("true", "true", true),
            ("a # b", "a", false),
            ("\"a\\nb\"", "a\nb", false),
            ("[x]", "x", false),
            ("{a: 1}", "a", false),
            ("&a z", "z", false),
            ("!!str 5", "5", false),
            ("x: y", "x: y", false),
            ("'open", "open", false),
            ("\"\"", "", false),
            ("z\n- w", "z", false),
        ];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/yaml");
        let mut rng = crate::testutil::Rng::new(0x5eed);
        let (mut accepted, mut walked_ok, mut cases) = (0, 0, 0);
        for entry in std::fs::read_dir(dir).unwrap() {
            let old = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let y = yaml::parse(&old);
            if y.error.is_some() {
                continue;
            }
            let scalars: Vec<NodeId> = y
                .ids()
                .filter(|&n| matches!(y.node(n).kind, NodeKind::Scalar { .. }))
                .filter(|&n| !y.node(n).span.is_empty())
                .collect();
            for _ in 0..scalars.len().min(60) * 4 {
                let node = scalars[rng.below(scalars.len())];
                let (raw, value, non_string) = TOKENS[rng.below(TOKENS.len())];
                let span = y.node(node).span;
                let mut new = format!("{}{raw}{}", &old[..span.start], &old[span.end..]);
                if rng.below(4) == 0 {
                    // A second, unplanned change somewhere else.
                    let other = y.node(scalars[rng.below(scalars.len())]).span;
                    if other.end <= span.start {
                        new = format!("{}z{}", &new[..other.start], &new[other.end..]);
                    }
                }
                let (doc, path) = path_of(&y, node);
                let mut expect = vec![Expect {
                    doc,
                    path,
                    value: if rng.below(5) == 0 { "other" } else { value }.to_owned(),
                    non_string,
                }];
                if rng.below(6) == 0 {
                    expect.clear();
                }
                cases += 1;
                let fast = in_place(&y, &new, &expect);
                let full = walk(Some(&y), &new, &expect);
                assert!(!fast || full.is_ok(), "{new:?} {expect:?}: {full:?}");
                accepted += usize::from(fast);
                walked_ok += usize::from(full.is_ok());
            }
        }
        // Both answers occur, and the shortcut takes most of what is fine
        // (it declines anchored files and duplicate keys).
        assert!(cases > 500, "{cases}");
        assert!(
            accepted > 100 && accepted <= walked_ok,
            "{accepted} of {walked_ok}"
        );
        assert!(walked_ok < cases, "{walked_ok} of {cases}");
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
