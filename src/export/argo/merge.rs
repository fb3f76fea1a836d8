//! `export --to argocd --in-place`: the annotations [`write`](fn@super::write)
//! produces, merged byte-exactly into the repository's own Application
//! through the shared YAML writer, and checked in two steps by `verify`.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use super::{dedup, known_namespace, plan};
use crate::discover::Workspace;
use crate::edit::yamlwrite::verify::{self, VerifyError};
use crate::edit::yamlwrite::{
    self, Base, EditError, Expect, FileChange, Seg, TextEdit, TextError, apply_edits,
};
use crate::export::WriteOptions;
use crate::model::argo::{self as model_argo, ANNOTATION_PREFIX};
use crate::model::read::argo::is_app;
use crate::model::spec::Updater;
use crate::model::{Model, Object};
use crate::yaml::{NodeId, NodeKind, ScalarStyle, Span, Yaml};

/// The annotations of `u` merged into the Application the repository
/// holds, as byte edits of its file (`export --to argocd --in-place`).
#[derive(Debug, Default)]
pub struct Merged {
    /// `None` when the Application already carries exactly these
    /// annotations.
    pub change: Option<FileChange>,
    pub remarks: Vec<crate::model::spec::Remark>,
}

/// Why an Application could not be merged in place; the other updaters
/// are still merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error(
        "no Application named {app:?}{} in the repository",
        namespace.as_ref().map(|n| format!(" in namespace {n:?}")).unwrap_or_default()
    )]
    NoApplication {
        app: String,
        namespace: Option<String>,
    },
    #[error(
        "{} Applications are named {app:?} ({}); name the namespace with --namespace",
        files.len(),
        files.join(", ")
    )]
    Ambiguous { app: String, files: Vec<String> },
    #[error("{path}: {reason}")]
    Unparsed { path: String, reason: String },
    /// The Application's shape cannot be edited line by line (a flow
    /// mapping, an alias, a duplicate key...): one of the reasons below.
    #[error("{path}: {reason}")]
    Refused {
        path: String,
        reason: Box<MergeError>,
    },
    /// The merged text does not read back as planned: one of the reasons
    /// below.
    #[error("{path}: the merge failed its check, nothing is written: {reason}")]
    CheckFailed {
        path: String,
        reason: Box<MergeError>,
    },

    // -- why the Application is refused (in `Refused`) ------------------------
    /// 1-based.
    #[error("line {0} does not start with the key; it cannot be edited line by line")]
    NotLineByLine(usize),
    /// `what` names the mapping (`metadata`, `metadata.annotations`).
    #[error("{what} is an alias (*…); edit it by hand")]
    Alias { what: &'static str },
    #[error("{what} carries an anchor (&…) that other nodes may repeat")]
    Anchored { what: &'static str },
    #[error("{what} is a flow mapping ({{…}}); write it as a block mapping first")]
    FlowMapping { what: &'static str },
    #[error("{what} is not a mapping")]
    NotMapping { what: &'static str },
    #[error("the Application has no metadata")]
    NoMetadata,
    #[error("metadata is not a key of the document")]
    MetadataNotAKey,
    #[error("metadata is empty")]
    EmptyMetadata,
    #[error("the null annotations value is on a line of its own")]
    NullOnItsOwnLine,
    #[error("the annotation {0} is written twice")]
    AnnotationTwice(String),
    #[error("the annotation {0} is an alias or an anchor")]
    AnnotationShared(String),
    #[error("the annotation {0} is not a string")]
    AnnotationNotString(String),

    // -- why the merged text fails its check (in `CheckFailed`) ---------------
    #[error("{0}")]
    Text(#[from] TextError),
    #[error("{0}")]
    Verify(#[from] VerifyError),
    /// Building the file change failed (its message).
    #[error("{}", .0.message)]
    Edit(EditError),
    #[error("the document is gone")]
    DocumentGone,
    #[error("the annotations do not read back as planned")]
    AnnotationsDiffer,
}

pub fn merge_in_place(
    ws: &Workspace,
    model: &Model,
    u: &Updater,
    options: &WriteOptions,
) -> Result<Merged, MergeError> {
    let mut remarks = Vec::new();
    let planned = plan(u, options, &mut remarks);
    dedup(&mut remarks);
    // A skipped updater (a glob, no images) is a remark, not a failure:
    // the other Applications can still be merged.
    let Some(plan) = planned else {
        return Ok(Merged {
            change: None,
            remarks,
        });
    };
    let ns = known_namespace(u, Some(options));
    let found: Vec<&Object> = model
        .objects
        .iter()
        .filter(|o| is_app(o) && o.name() == plan.app)
        .filter(|o| match (o.namespace(), ns) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        })
        .collect();
    let obj = match found.as_slice() {
        [one] => *one,
        [] => {
            return Err(MergeError::NoApplication {
                app: plan.app,
                namespace: ns.map(str::to_owned),
            });
        }
        many => {
            let files = many.iter().map(|o| ws.files[o.file].path.clone());
            return Err(MergeError::Ambiguous {
                app: plan.app,
                files: files.collect(),
            });
        }
    };
    let file = &ws.files[obj.file];
    let yaml = file.yaml.as_ref().ok_or_else(|| MergeError::Unparsed {
        path: file.path.clone(),
        reason: "the file was not parsed".to_owned(),
    })?;
    if let Some(e) = &yaml.error {
        return Err(MergeError::Unparsed {
            path: file.path.clone(),
            reason: format!("the file does not parse: {}", e.message),
        });
    }
    let edit = Editor::new(yaml, &file.text)
        .merge(obj.root, &plan.pairs)
        .map_err(|reason| MergeError::Refused {
            path: file.path.clone(),
            reason: Box::new(reason),
        })?;
    let change = if edit.edits.is_empty() {
        None
    } else {
        edit.check(yaml, &file.text, obj.doc, &plan.pairs)
            .map_err(|reason| MergeError::CheckFailed {
                path: file.path.clone(),
                reason: Box::new(reason),
            })?;
        Some(
            FileChange::new(
                ws,
                file.path.clone(),
                Base::Loaded(obj.file),
                edit.edits,
                edit.expect,
                Vec::new(),
            )
            .map_err(|e| MergeError::CheckFailed {
                path: e.file.clone(),
                reason: Box::new(MergeError::Edit(e)),
            })?,
        )
    };
    Ok(Merged { change, remarks })
}

/// The byte edits of one merge, and what the checks expect.
#[derive(Debug, Default)]
struct Edit {
    edits: Vec<TextEdit>,
    /// Only the removals: the text between the two checks.
    removals: Vec<TextEdit>,
    /// New and changed values (old-minus-removed → new).
    expect: Vec<Expect>,
    /// Removed values as they were (old-minus-removed → old).
    removed: Vec<Expect>,
}

impl Edit {
    fn check(
        &self,
        yaml: &Yaml,
        text: &str,
        doc: usize,
        pairs: &[(String, String)],
    ) -> Result<(), MergeError> {
        let new = apply_edits(text, &self.edits)?;
        if self.removals.is_empty() {
            verify::check_parsed(Some(yaml), &new, &self.expect)?;
        } else {
            let between = apply_edits(text, &self.removals)?;
            verify::check(Some(&between), text, &self.removed)?;
            verify::check(Some(&between), &new, &self.expect)?;
        }
        let y = crate::yaml::parse(&new);
        let root = y
            .docs
            .get(doc)
            .and_then(|d| d.root)
            .ok_or(MergeError::DocumentGone)?;
        let got: BTreeMap<String, String> = model_argo::annotations(&y, root)
            .into_iter()
            .map(|a| (format!("{ANNOTATION_PREFIX}{}", a.key), a.value.value))
            .collect();
        let want: BTreeMap<String, String> = pairs.iter().cloned().collect();
        if got != want {
            return Err(MergeError::AnnotationsDiffer);
        }
        Ok(())
    }
}

/// Writes through [`yamlwrite`], the writer Argo write-back and the
/// export emitter share.
struct Editor<'a> {
    y: &'a Yaml,
    text: &'a str,
    eol: &'static str,
}

impl<'a> Editor<'a> {
    fn new(y: &'a Yaml, text: &'a str) -> Self {
        Self {
            y,
            text,
            eol: yamlwrite::eol(text),
        }
    }

    fn span(&self, n: NodeId) -> Span {
        self.y.node(n).span
    }

    /// Column of `offset`, when only spaces precede it on its line.
    fn indent_of(&self, offset: usize) -> Result<usize, MergeError> {
        yamlwrite::indent_of(&self.y.lines, self.text, offset)
            .ok_or_else(|| MergeError::NotLineByLine(self.y.lines.line_of(offset) + 1))
    }

    /// Start of the line after the one holding byte `end - 1` (the text's
    /// end when there is none), and whether a line break must come first.
    fn after_line(&self, end: usize) -> (usize, bool) {
        yamlwrite::after_line(&self.y.lines, self.text, end)
    }

    /// Whole lines of one mapping entry, line break included.
    fn entry_lines(&self, k: NodeId, v: NodeId) -> Result<Range<usize>, MergeError> {
        let ks = self.span(k);
        self.indent_of(ks.start)?;
        let start = yamlwrite::line_start(&self.y.lines, self.text, self.y.lines.line_of(ks.start));
        let vs = self.span(v);
        let end = vs.end.max(ks.end);
        let (end, _) = self.after_line(end);
        Ok(start..end)
    }

    /// A mapping that can take block edits.
    fn block_mapping(&self, n: NodeId, what: &'static str) -> Result<(), MergeError> {
        let node = self.y.node(n);
        if self.y.is_alias(n) {
            return Err(MergeError::Alias { what });
        }
        if node.anchor.is_some() {
            return Err(MergeError::Anchored { what });
        }
        if node.in_flow {
            return Err(MergeError::FlowMapping { what });
        }
        if !matches!(node.kind, NodeKind::Mapping(_)) {
            return Err(MergeError::NotMapping { what });
        }
        Ok(())
    }

    fn lines(&self, indent: usize, pairs: &[&(String, String)], style: ScalarStyle) -> String {
        let mut s = String::new();
        for (k, v) in pairs {
            yamlwrite::entry_line(
                &mut s,
                indent,
                &yamlwrite::new_value(k, false),
                &yamlwrite::in_style(style, v, false),
                self.eol,
            );
        }
        s
    }

    fn expect(doc: usize, base: &[Seg], key: &str, value: &str, non_string: bool) -> Expect {
        let mut path = base.to_vec();
        path.push(Seg::Key(key.to_owned()));
        Expect {
            doc,
            path,
            value: value.to_owned(),
            non_string,
        }
    }

    /// The old value of a scalar: text, and whether it loads as a
    /// non-string.
    fn scalar(&self, n: NodeId) -> Option<(String, bool, ScalarStyle)> {
        let node = self.y.node(n);
        match &node.kind {
            NodeKind::Scalar { value, style } => {
                let typed = *style == ScalarStyle::Plain
                    && node.tag.is_none()
                    && yamlwrite::reads_as_non_string(value);
                Some((value.clone(), typed, *style))
            }
            _ => None,
        }
    }

    fn merge(&self, root: NodeId, pairs: &[(String, String)]) -> Result<Edit, MergeError> {
        let y = self.y;
        let meta = y.get(root, "metadata").ok_or(MergeError::NoMetadata)?;
        self.block_mapping(meta, "metadata")?;
        let (meta_key, _) = y
            .entries(root)
            .iter()
            .copied()
            .find(|&(_, v)| v == meta)
            .ok_or(MergeError::MetadataNotAKey)?;
        let meta_entries = y.entries(meta);
        let first = meta_entries.first().ok_or(MergeError::EmptyMetadata)?.0;
        let child = self.indent_of(self.span(first).start)?;
        let unit = child
            .checked_sub(self.indent_of(self.span(meta_key).start)?)
            .filter(|u| *u > 0)
            .unwrap_or(2);
        let (doc, meta_path) = verify::path_of(y, meta);
        let mut ann_path = meta_path.clone();
        ann_path.push(Seg::Key("annotations".to_owned()));
        let all: Vec<&(String, String)> = pairs.iter().collect();
        let mut e = Edit::default();
        let new_expects = |e: &mut Edit| {
            for (k, v) in pairs {
                e.expect.push(Self::expect(doc, &ann_path, k, v, false));
            }
        };

        let Some((ak, av)) = y.entry(meta, "annotations") else {
            let last = meta_entries.last().map_or(first, |&(_, v)| v);
            let (pos, eol_first) = self.after_line(self.span(last).end.max(self.span(first).end));
            let mut s = String::new();
            if eol_first {
                s.push_str(self.eol);
            }
            yamlwrite::pad(&mut s, child);
            s.push_str("annotations:");
            s.push_str(self.eol);
            s.push_str(&self.lines(child + unit, &all, ScalarStyle::Plain));
            e.edits.push(TextEdit {
                range: pos..pos,
                text: s,
            });
            new_expects(&mut e);
            return Ok(e);
        };

        if let Some((old, typed, ScalarStyle::Plain)) = self.scalar(av)
            && crate::yaml::is_null(&old)
        {
            // `annotations:` / `annotations: ~`: the null becomes the block.
            let key_line = y.lines.line_of(self.span(ak).start);
            let vs = self.span(av);
            if !vs.is_empty() && y.lines.line_of(vs.start) != key_line {
                return Err(MergeError::NullOnItsOwnLine);
            }
            let indent = self.indent_of(self.span(ak).start)?;
            let (pos, eol_first) = self.after_line(self.span(ak).end);
            if !vs.is_empty() {
                let bytes = self.text.as_bytes();
                let mut from = vs.start;
                while from > 0 && bytes[from - 1] == b' ' {
                    from -= 1;
                }
                e.edits.push(TextEdit {
                    range: from..vs.end,
                    text: String::new(),
                });
            }
            let mut s = String::new();
            if eol_first {
                s.push_str(self.eol);
            }
            s.push_str(&self.lines(indent + unit, &all, ScalarStyle::Plain));
            e.edits.push(TextEdit {
                range: pos..pos,
                text: s,
            });
            let line = self.entry_lines(ak, av)?;
            e.removals.push(TextEdit {
                range: line,
                text: String::new(),
            });
            e.removed.push(Expect {
                doc,
                path: ann_path.clone(),
                value: old,
                non_string: typed,
            });
            new_expects(&mut e);
            return Ok(e);
        }
        self.block_mapping(av, "metadata.annotations")?;

        let entries = y.entries(av);
        let indent = match entries.first() {
            Some(&(k, _)) => self.indent_of(self.span(k).start)?,
            None => self.indent_of(self.span(ak).start)? + unit,
        };
        // New values take the style of the image-list value, when it has
        // one that can carry any string.
        let style = entries
            .iter()
            .find(|&&(k, _)| y.str(k) == Some(&format!("{ANNOTATION_PREFIX}image-list")))
            .and_then(|&(_, v)| self.scalar(v))
            .map_or(ScalarStyle::Plain, |(_, _, s)| match s {
                ScalarStyle::Literal | ScalarStyle::Folded => ScalarStyle::Plain,
                s => s,
            });
        let want: BTreeMap<&str, &str> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut anchor: Option<usize> = None;
        for &(k, v) in entries {
            let Some(key) = y.str(k) else { continue };
            if !key.starts_with(ANNOTATION_PREFIX) {
                continue;
            }
            if !seen.insert(key) {
                return Err(MergeError::AnnotationTwice(key.to_owned()));
            }
            if y.is_alias(v) || y.node(v).anchor.is_some() {
                return Err(MergeError::AnnotationShared(key.to_owned()));
            }
            let lines = self.entry_lines(k, v)?;
            anchor = Some(lines.end);
            let (old, typed, old_style) = self
                .scalar(v)
                .ok_or_else(|| MergeError::AnnotationNotString(key.to_owned()))?;
            match want.get(key) {
                None => {
                    e.edits.push(TextEdit {
                        range: lines.clone(),
                        text: String::new(),
                    });
                    e.removals.push(TextEdit {
                        range: lines,
                        text: String::new(),
                    });
                    e.removed
                        .push(Self::expect(doc, &ann_path, key, &old, typed));
                }
                Some(&new) if new == old && !typed => {}
                Some(&new) => {
                    let edit = match old_style {
                        ScalarStyle::Literal | ScalarStyle::Folded => {
                            let ks = self.span(k);
                            let mut s = String::new();
                            let eol = if lines.end < self.text.len() || self.text.ends_with('\n') {
                                self.eol
                            } else {
                                ""
                            };
                            yamlwrite::entry_line(
                                &mut s,
                                self.indent_of(ks.start)?,
                                ks.text(self.text),
                                &yamlwrite::new_value(new, false),
                                eol,
                            );
                            TextEdit {
                                range: lines,
                                text: s,
                            }
                        }
                        style => {
                            let vs = self.span(v);
                            TextEdit {
                                range: vs.start..vs.end,
                                text: yamlwrite::in_style(style, new, false),
                            }
                        }
                    };
                    e.edits.push(edit);
                    e.expect.push(Self::expect(doc, &ann_path, key, new, false));
                }
            }
        }
        let missing: Vec<&(String, String)> = pairs
            .iter()
            .filter(|(k, _)| !seen.contains(k.as_str()))
            .collect();
        if !missing.is_empty() {
            let (pos, eol_first) = match anchor {
                Some(p) => (p, p == self.text.len() && !self.text.ends_with('\n')),
                None => match entries.last() {
                    Some(&(k, v)) => self.after_line(self.span(v).end.max(self.span(k).end)),
                    None => self.after_line(self.span(ak).end),
                },
            };
            let mut s = String::new();
            if eol_first {
                s.push_str(self.eol);
            }
            s.push_str(&self.lines(indent, &missing, style));
            e.edits.push(TextEdit {
                range: pos..pos,
                text: s,
            });
            for (k, v) in missing {
                e.expect.push(Self::expect(doc, &ann_path, k, v, false));
            }
        }
        Ok(e)
    }
}
