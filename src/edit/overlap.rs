//! The one overlap policy. Planners propose edits, each proposal with the
//! rank of what asks for it, into one [`Proposals`] (flat arenas, so a
//! file of 170,000 markers costs no allocation per proposal); [`settle`] sorts every file's proposals by
//! rank, merges identical edits, drops a proposal that overlaps a
//! higher-ranked edit it differs from, and refuses two proposals of one
//! rank that want the same bytes to read differently. Hands the plan one
//! [`FileChange`] per file, and the skips whose values nobody else owns.

use std::collections::{BTreeMap, HashSet};
use std::hash::Hash;
use std::ops::Range;

use super::record::Change;
use super::{Base, EditError, Expect, FileChange, Skip, TextEdit};
use crate::diagnostic::FileId;
use crate::discover::Workspace;

/// Who asks for an edit, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    /// A controller's configuration writes the value (a setter marker, an
    /// Argo CD write-back target).
    Configured,
    /// A configuration owns the value but leaves it as it is: `--set` may
    /// not write it a second way.
    Owned,
    /// `--set` on a value no configuration drives.
    Requested,
}

/// What one proposal does when nothing stronger owns its bytes; ranges
/// index the arenas of [`Proposals`].
#[derive(Debug, Clone)]
enum Outcome {
    Edit {
        edits: Range<usize>,
        expect: Range<usize>,
        changes: Range<usize>,
    },
    /// Bytes a configuration owns and leaves as they are: `--set` may not
    /// write them a second way.
    Keep(Range<usize>),
    /// A skip about the value at the range: reported only when no
    /// stronger proposal owns those bytes (a value a marker owns is not
    /// the marker's skip to report).
    Skip(Range<usize>, usize),
}

#[derive(Debug, Clone)]
struct Proposal {
    file: FileId,
    rank: Rank,
    outcome: Outcome,
}

/// Every planner's proposals, in the order they were made.
#[derive(Debug, Default)]
pub struct Proposals {
    list: Vec<Proposal>,
    edits: Vec<TextEdit>,
    expect: Vec<Expect>,
    changes: Vec<Change>,
    skips: Vec<Skip>,
}

impl Proposals {
    /// Edits with what they must read back as and what they mean.
    pub fn edit(
        &mut self,
        file: FileId,
        rank: Rank,
        edits: impl IntoIterator<Item = TextEdit>,
        expect: impl IntoIterator<Item = Expect>,
        changes: impl IntoIterator<Item = Change>,
    ) {
        let e = self.edits.len();
        self.edits.extend(edits);
        let x = self.expect.len();
        self.expect.extend(expect);
        let c = self.changes.len();
        self.changes.extend(changes);
        self.list.push(Proposal {
            file,
            rank,
            outcome: Outcome::Edit {
                edits: e..self.edits.len(),
                expect: x..self.expect.len(),
                changes: c..self.changes.len(),
            },
        });
    }

    /// Bytes of `file` a configuration owns and keeps as they are.
    pub fn keep(&mut self, file: FileId, range: Range<usize>) {
        self.list.push(Proposal {
            file,
            rank: Rank::Owned,
            outcome: Outcome::Keep(range),
        });
    }

    /// A skip about the value at `range` (`0..0`: about no bytes, always
    /// reported).
    pub fn skip(&mut self, file: FileId, rank: Rank, range: Range<usize>, skip: Skip) {
        self.skips.push(skip);
        self.list.push(Proposal {
            file,
            rank,
            outcome: Outcome::Skip(range, self.skips.len() - 1),
        });
    }

    /// `other`'s proposals after this one's.
    pub fn append(&mut self, other: Proposals) {
        let (e, x, c, s) = (
            self.edits.len(),
            self.expect.len(),
            self.changes.len(),
            self.skips.len(),
        );
        let shift = |r: Range<usize>, by: usize| r.start + by..r.end + by;
        self.list.extend(other.list.into_iter().map(|mut p| {
            p.outcome = match p.outcome {
                Outcome::Edit {
                    edits,
                    expect,
                    changes,
                } => Outcome::Edit {
                    edits: shift(edits, e),
                    expect: shift(expect, x),
                    changes: shift(changes, c),
                },
                Outcome::Skip(range, i) => Outcome::Skip(range, i + s),
                keep => keep,
            };
            p
        }));
        self.edits.extend(other.edits);
        self.expect.extend(other.expect);
        self.changes.extend(other.changes);
        self.skips.extend(other.skips);
    }
}

/// The byte ranges a proposal is about.
fn ranges(p: &Proposal, edits: &[TextEdit]) -> Vec<Range<usize>> {
    match &p.outcome {
        Outcome::Edit { edits: e, .. } => {
            edits[e.clone()].iter().map(|e| e.range.clone()).collect()
        }
        Outcome::Keep(range) | Outcome::Skip(range, _) => vec![range.clone()],
    }
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// An accepted edit: its index in the edits arena, `None` when it keeps
/// the original bytes.
struct Entry {
    edit: Option<usize>,
    rank: Rank,
}

/// Accepted edits of one file, keyed by range and arrival. Pairwise they
/// are identical or disjoint, so sorted by start their ends never
/// decrease: an overlap search walks back from the range's end only as
/// far as the first edit that ends before it, and the map's order is the
/// file change's order.
struct Accepted<'a> {
    original: &'a str,
    edits: &'a [TextEdit],
    map: BTreeMap<(usize, usize, usize), Entry>,
}

impl<'a> Accepted<'a> {
    fn text(&self, range: Range<usize>, edit: Option<usize>) -> &'a str {
        match edit {
            Some(i) => &self.edits[i].text,
            None => &self.original[range],
        }
    }

    /// Accepted edits overlapping `r`: range, text, rank.
    fn overlapping(&self, r: &Range<usize>) -> Vec<(Range<usize>, &'a str, Rank)> {
        self.map
            .range(..(r.end, 0, 0))
            .rev()
            .take_while(|((_, end, _), _)| *end > r.start)
            .filter(|((start, end, _), _)| overlaps(&(*start..*end), r))
            .map(|(&(start, end, _), e)| (start..end, self.text(start..end, e.edit), e.rank))
            .collect()
    }

    fn insert(&mut self, range: Range<usize>, edit: Option<usize>, rank: Rank) {
        let new = self.text(range.clone(), edit);
        let same = self
            .map
            .range((range.start, range.end, 0)..=(range.start, range.end, usize::MAX))
            .any(|(_, e)| self.text(range.clone(), e.edit) == new);
        if !same {
            let seq = self.map.len();
            self.map
                .insert((range.start, range.end, seq), Entry { edit, rank });
        }
    }

    /// Indices of the accepted edits that change bytes, in file order.
    fn changing(&self) -> Vec<usize> {
        self.map
            .iter()
            .filter_map(|(&(start, end, _), e)| {
                let i = e.edit?;
                (self.original[start..end] != self.edits[i].text).then_some(i)
            })
            .collect()
    }
}

/// The arena's items, each moved to the file that owns it (`None`:
/// dropped); one file's share is the arena itself, retained in place.
fn distribute<T>(items: Vec<T>, owner: &[Option<FileId>]) -> BTreeMap<FileId, Vec<T>> {
    let mut files = owner.iter().flatten();
    let mut out = BTreeMap::new();
    let Some(&first) = files.next() else {
        return out;
    };
    if files.all(|&f| f == first) {
        out.insert(
            first,
            retain_marked(items, owner.iter().map(Option::is_some)),
        );
        return out;
    }
    for (item, owner) in items.into_iter().zip(owner) {
        if let Some(f) = owner {
            out.entry(*f).or_insert_with(Vec::new).push(item);
        }
    }
    out
}

/// `items` where `keep` is true, in place.
fn retain_marked<T>(mut items: Vec<T>, keep: impl IntoIterator<Item = bool>) -> Vec<T> {
    let mut keep = keep.into_iter();
    items.retain(|_| keep.next().unwrap_or(false));
    items
}

/// `items` without repeats, first occurrence kept, in place.
fn unique<T: Eq + Hash>(items: Vec<T>) -> Vec<T> {
    let keep: Vec<bool> = {
        let mut seen = HashSet::new();
        items.iter().map(|x| seen.insert(x)).collect()
    };
    retain_marked(items, keep)
}

/// One file change per file and the skips that stand, from every
/// proposal. Edits that leave their bytes as they are (ownership only)
/// are not in the result.
pub fn settle(
    ws: &Workspace,
    proposals: Proposals,
) -> Result<(BTreeMap<String, FileChange>, Vec<Skip>), EditError> {
    let Proposals {
        list,
        mut edits,
        expect,
        changes,
        skips,
    } = proposals;
    // Within a file and a rank, proposals keep the planners' order.
    let mut order: Vec<usize> = (0..list.len()).collect();
    order.sort_unstable_by_key(|&i| (list[i].file, list[i].rank, i));
    let mut expect_owner = vec![None; expect.len()];
    let mut change_owner = vec![None; changes.len()];
    let mut skip_stands = vec![false; skips.len()];
    let mut file_edits: BTreeMap<FileId, Vec<usize>> = BTreeMap::new();
    for group in order.chunk_by(|&a, &b| list[a].file == list[b].file) {
        let file = list[group[0]].file;
        let path = &ws.files[file].path;
        let mut accepted = Accepted {
            original: ws.files[file].text.as_str(),
            edits: &edits,
            map: BTreeMap::new(),
        };
        'proposals: for &i in group {
            let p = &list[i];
            for range in ranges(p, &edits) {
                for (at, text, rank) in accepted.overlapping(&range) {
                    let same = match &p.outcome {
                        Outcome::Edit { edits: e, .. } => edits[e.clone()]
                            .iter()
                            .any(|n| n.range == at && n.text == text),
                        Outcome::Keep(range) => {
                            *range == at && accepted.original[at.clone()] == *text
                        }
                        // A skip only gives way to a stronger owner.
                        Outcome::Skip(..) => rank >= p.rank,
                    };
                    if same {
                        continue;
                    }
                    if rank < p.rank {
                        continue 'proposals;
                    }
                    return Err(EditError::new(
                        path,
                        "two configurations want to change the same value; nothing was written",
                    ));
                }
            }
            match &p.outcome {
                Outcome::Skip(_, s) => skip_stands[*s] = true,
                Outcome::Keep(range) => accepted.insert(range.clone(), None, p.rank),
                Outcome::Edit {
                    edits: e,
                    expect: x,
                    changes: c,
                } => {
                    for i in e.clone() {
                        accepted.insert(edits[i].range.clone(), Some(i), p.rank);
                    }
                    expect_owner[x.clone()].fill(Some(file));
                    change_owner[c.clone()].fill(Some(file));
                }
            }
        }
        file_edits.insert(file, accepted.changing());
    }
    let mut expect = distribute(expect, &expect_owner);
    let mut changes = distribute(changes, &change_owner);
    let mut files = BTreeMap::new();
    for (file, indices) in file_edits {
        if indices.is_empty() {
            continue;
        }
        let path = ws.files[file].path.clone();
        let taken = indices
            .into_iter()
            .map(|i| std::mem::take(&mut edits[i]))
            .collect();
        let change = FileChange::new(
            ws,
            path.clone(),
            Base::Loaded(file),
            taken,
            unique(expect.remove(&file).unwrap_or_default()),
            unique(changes.remove(&file).unwrap_or_default()),
        )?;
        files.insert(path, change);
    }
    Ok((files, retain_marked(skips, skip_stands)))
}

#[cfg(test)]
mod tests;
