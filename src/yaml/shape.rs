//! A second reading of a text that only asks whether it has the shape of a
//! tree already parsed: yaml-rust2's events are matched against the old
//! tree node by node, with no spans, comments or second tree. Edits that
//! replace scalars in place (markers, `--set`, most write-back) are proved
//! this way at about half the cost of [`super::parse`]. Whatever it cannot
//! vouch for (a new node, an anchor, a parse error, a NUL) is answered
//! `false`, and the caller falls back to the full comparison.

use std::panic::{AssertUnwindSafe, catch_unwind};

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

use super::tree::{NodeId, NodeKind, Yaml};

/// True when `new` reads as `old` does: the same documents, collections,
/// keys and items in the same order, and every scalar accepted by
/// `scalar(old node, new content, bare)` (`bare`: plain and untagged, the
/// only scalars whose content can load as a non-string).
pub fn same_shape(
    old: &Yaml,
    new: &str,
    scalar: &mut dyn FnMut(NodeId, &str, bool) -> bool,
) -> bool {
    // Anchors and aliases are compared by name, which only the full parse
    // reads back from the text.
    if old.error.is_some()
        || old
            .nodes
            .iter()
            .any(|n| n.anchor.is_some() || matches!(n.kind, NodeKind::Alias(_)))
        || memchr::memchr(0, new.as_bytes()).is_some()
    {
        return false;
    }
    // As in `parse`: yaml-rust2 would read a BOM as content.
    let body = if new.starts_with('\u{feff}') { 3 } else { 0 };
    catch_unwind(AssertUnwindSafe(|| {
        let mut m = Matcher {
            parser: Parser::new_from_str(&new[body..]),
            old,
            scalar,
        };
        m.stream()
    }))
    .unwrap_or(false)
}

struct Matcher<'a, 'f> {
    parser: Parser<std::str::Chars<'a>>,
    old: &'a Yaml,
    scalar: &'f mut dyn FnMut(NodeId, &str, bool) -> bool,
}

impl Matcher<'_, '_> {
    /// The next event; `None` on a syntax error.
    fn next(&mut self) -> Option<Event> {
        loop {
            match self.parser.next_token() {
                Ok((Event::Nothing, _)) => {}
                Ok((ev, _)) => return Some(ev),
                Err(_) => return None,
            }
        }
    }

    fn stream(&mut self) -> bool {
        if !matches!(self.next(), Some(Event::StreamStart)) {
            return false;
        }
        let old = self.old;
        for doc in &old.docs {
            if !matches!(self.next(), Some(Event::DocumentStart)) {
                return false;
            }
            let ok = match doc.root {
                Some(root) => self.node(root),
                // `parse` gives an empty document (`---` alone) no node;
                // yaml-rust2 reads an empty plain scalar there.
                None => match self.next() {
                    Some(Event::Scalar(v, TScalarStyle::Plain, 0, None)) if v.is_empty() => true,
                    Some(Event::DocumentEnd) => continue,
                    _ => false,
                },
            };
            if !ok || !matches!(self.next(), Some(Event::DocumentEnd)) {
                return false;
            }
        }
        matches!(self.next(), Some(Event::StreamEnd))
    }

    fn node(&mut self, id: NodeId) -> bool {
        let old = self.old;
        let n = old.node(id);
        match (self.next(), &n.kind) {
            (Some(Event::MappingStart(0, tag)), NodeKind::Mapping(entries))
                if tag.is_some() == n.tag.is_some() =>
            {
                entries.iter().all(|&(k, v)| self.node(k) && self.node(v))
                    && matches!(self.next(), Some(Event::MappingEnd))
            }
            (Some(Event::SequenceStart(0, tag)), NodeKind::Sequence(items))
                if tag.is_some() == n.tag.is_some() =>
            {
                items.iter().all(|&item| self.node(item))
                    && matches!(self.next(), Some(Event::SequenceEnd))
            }
            (Some(Event::Scalar(value, style, 0, tag)), NodeKind::Scalar { .. }) => {
                let bare = style == TScalarStyle::Plain && tag.is_none();
                (self.scalar)(id, &value, bare)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    /// Accepts a scalar when its content is unchanged, or when it is the
    /// one named `changed` and now reads `to`.
    fn same(old: &str, new: &str, changed: Option<(&str, &str)>) -> bool {
        let y = parse(old);
        assert!(y.error.is_none(), "{old:?}");
        let mut accept = |id: NodeId, value: &str, _bare: bool| {
            let was = y.str(id).unwrap_or_default();
            match changed {
                Some((from, to)) if was == from => value == to,
                _ => value == was,
            }
        };
        same_shape(&y, new, &mut accept)
    }

    #[test]
    fn a_scalar_replaced_in_place_keeps_the_shape() {
        let old =
            "\u{feff}# é\r\na: 1\r\nimg: x:1 # c\r\nl: [p, 'q']\r\n---\r\nb: {c: d}\r\n---\r\n";
        let new = old.replace("x:1", "\"x:2\"");
        assert!(same(old, &new, Some(("x:1", "x:2"))));
        assert!(same(old, old, None));
        assert!(!same(old, &new, None), "the changed scalar is asked about");
    }

    #[test]
    fn anything_else_is_not_vouched_for() {
        let old = "a: 1\nl:\n- p\n";
        for new in [
            "a: 1\nl:\n- p\n- q\n",
            "a: 1\nl: [p]\nz: 2\n",
            "a: 1\n",
            "a: 1\nl:\n- p\n---\nb: 2\n",
            "a: [1\nl:\n- p\n",
            "a: 1\nl:\n- {p: 1}\n",
            "a: 1\nl:\n- p\0\n",
            "a: &x 1\nl:\n- p\n",
            "a: !!str 1\nl: !!seq\n- p\n",
        ] {
            assert!(!same(old, new, None), "{new:?}");
        }
        // The full parse names anchors; this reading does not try.
        assert!(!same("a: &x 1\nb: *x\n", "a: &x 1\nb: *x\n", None));
    }
}
