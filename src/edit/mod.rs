//! Byte edits: what `apply` changes in a repository, as byte ranges plus
//! replacement text, never as re-serialized YAML. `plan` turns the model's
//! update targets, resolution's decisions and `--set` requests into
//! proposals (markers and plain values here, Argo CD write-back in `argo`);
//! `overlap` settles them under one policy into [`FileChange`]s, each
//! naming its original by [`Base`] and carrying its new text once.
//! `scalar` renders a new value in the style of the scalar it replaces,
//! `verify` re-parses every new text and proves that only the planned
//! values moved, `diff` shows it, `write` commits all files or none, and
//! `lock` keeps two applies on one repository from interleaving. `record`
//! is what changed, for output and for `git`. `yamlwrite` is the one
//! writer of new YAML text (layout and quoting in a file's own
//! conventions), shared with export. Rules and dialects hand in
//! [`TextEdit`]s; only this module applies them.

pub mod argo;
pub mod diff;
pub mod lock;
pub mod overlap;
pub mod plan;
pub mod record;
pub mod scalar;
pub mod verify;
pub mod write;
pub mod yamlwrite;

use std::ops::Range;
use std::thread;

use crate::diagnostic::FileId;
use crate::discover::Workspace;
use record::Change;

/// Replace `range` of the original text with `text` (an insertion when the
/// range is empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextEdit {
    pub range: Range<usize>,
    pub text: String,
}

/// One step of a key path inside a YAML document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A scalar the new text must hold: document index, path, value. Every
/// scalar of the old text that is not named by an expectation must read
/// back unchanged; every scalar of the new text that did not exist before
/// must be named by one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Expect {
    pub doc: usize,
    pub path: Vec<Seg>,
    pub value: String,
    /// True for a plain scalar meant to load as a number, boolean or null
    /// (`forcestring: true`); image values are always strings.
    pub non_string: bool,
}

/// Where a file change's original text is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Base {
    /// The workspace's text of that file.
    Loaded(FileId),
    /// A file discovery did not load (Argo CD write-back into an ignored
    /// or unparsed file), read once and kept here.
    Read(String),
    /// The file is created.
    #[default]
    Created,
}

/// Everything that happens to one file: the edits against its original
/// text, applied once into [`FileChange::new_text`], which verify, diff and
/// write all read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileChange {
    /// Relative to the repository root, `/`-separated.
    pub path: String,
    pub base: Base,
    /// Non-overlapping edits against the original ("" for a new file).
    pub edits: Vec<TextEdit>,
    pub expect: Vec<Expect>,
    /// What each edit means, for output and commit messages.
    pub changes: Vec<Change>,
    /// The original with every edit applied.
    pub new_text: String,
}

impl FileChange {
    /// Applies `edits` to the original `base` names (in `ws`).
    pub fn new(
        ws: &Workspace,
        path: String,
        base: Base,
        edits: Vec<TextEdit>,
        expect: Vec<Expect>,
        changes: Vec<Change>,
    ) -> Result<Self, EditError> {
        let mut change = Self {
            path,
            base,
            edits,
            expect,
            changes,
            new_text: String::new(),
        };
        let original = change.original(ws).unwrap_or("");
        change.new_text = apply_edits(original, &change.edits)
            .map_err(|e| EditError::new(&change.path, e.to_string()))?;
        Ok(change)
    }

    /// The text as read (`None`: the file is created).
    pub fn original<'a>(&'a self, ws: &'a Workspace) -> Option<&'a str> {
        match &self.base {
            Base::Loaded(id) => ws.files.get(id.0).map(|f| f.text.as_str()),
            Base::Read(text) => Some(text),
            Base::Created => None,
        }
    }
}

/// Something that could not be updated, and why (printed, never fatal).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skip {
    pub file: String,
    pub line: usize,
    pub image: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct EditError {
    pub file: String,
    pub message: String,
}

impl EditError {
    pub fn new(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            message: message.into(),
        }
    }
}

/// Why new text could not be made: byte edits that do not apply to the
/// text ([`apply_edits`]), or a value the replaced scalar's style cannot
/// take ([`scalar::render`]). The messages reach skips and errors as they
/// are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("overlapping or out-of-range edit {start}..{end}")]
    Overlap { start: usize, end: usize },
    #[error("edit {start}..{end} splits a character")]
    SplitsCharacter { start: usize, end: usize },
    #[error("the value is a block scalar (| or >); it is left for a person to edit")]
    BlockScalar,
}

/// Applies edits to `text`. Edits must lie on char boundaries and must not
/// overlap; two insertions at one offset keep their given order.
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> Result<String, TextError> {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for e in sorted {
        let Range { start, end } = e.range.clone();
        if start < at || end < start || end > text.len() {
            return Err(TextError::Overlap { start, end });
        }
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            return Err(TextError::SplitsCharacter { start, end });
        }
        out.push_str(&text[at..start]);
        out.push_str(&e.text);
        at = end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// Runs `f` on one slice of `items` per core and returns the results in
/// order. Planning and verification are per file and CPU-bound, so a
/// chunk per core is all the scheduling they need.
pub(crate) fn per_core<'a, T: Sync, R: Send>(
    items: &'a [T],
    f: impl Fn(&'a [T]) -> R + Sync,
) -> Vec<R> {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    in_slices(items, cores, f)
}

/// Runs `f` on at most `threads` slices of `items` at once, results in
/// order.
pub(crate) fn in_slices<'a, T: Sync, R: Send>(
    items: &'a [T],
    threads: usize,
    f: impl Fn(&'a [T]) -> R + Sync,
) -> Vec<R> {
    let chunk = items.len().div_ceil(threads.max(1)).max(1);
    if items.len() <= chunk {
        return vec![f(items)];
    }
    thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(move || f(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(range: Range<usize>, text: &str) -> TextEdit {
        TextEdit {
            range,
            text: text.into(),
        }
    }

    #[test]
    fn edits_apply_in_offset_order_and_keep_other_bytes() {
        let text = "a: 1\r\nb: é2\r\n";
        let out = apply_edits(text, &[edit(9..12, "3"), edit(3..4, "x")]).unwrap();
        assert_eq!(out, "a: x\r\nb: 3\r\n");
    }

    #[test]
    fn overlapping_and_split_character_edits_are_refused() {
        assert!(apply_edits("abcdef", &[edit(1..3, "x"), edit(2..4, "y")]).is_err());
        assert!(apply_edits("é", &[edit(1..2, "x")]).is_err());
        assert!(apply_edits("ab", &[edit(1..5, "x")]).is_err());
    }

    #[test]
    fn insertions_at_one_offset_keep_their_order() {
        let out = apply_edits("ab", &[edit(1..1, "1"), edit(1..1, "2")]).unwrap();
        assert_eq!(out, "a12b");
    }
}
