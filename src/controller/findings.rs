//! validate's findings on a live object as the object's status says them:
//! rule code, severity, message and the field they are about
//! (`spec.argo.updateStrategy.web`), which is what a person reading
//! `kubectl get -o yaml` can find; the byte span of the workspace's JSON
//! text would mean nothing there.

use crate::cluster::{Live, live_workspace};
use crate::diagnostic::Diagnostic;
use crate::discover::Workspace;
use crate::export::kubesphere::types::StatusDiagnostic;
use crate::model::Model;
use crate::yaml::{NodeId, NodeKind, Span, Yaml};

/// Live objects read into the model exactly as `validate` reads files,
/// and validate's findings on them: the one path the controller and the
/// admission webhook judge objects by.
pub struct Judged {
    pub ws: Workspace,
    pub model: Model,
    pub found: Vec<Diagnostic>,
}

pub fn judge(objects: &[Live]) -> Judged {
    let ws = live_workspace(objects);
    let model = Model::build(&ws);
    let found = crate::check::run(&ws, &model);
    Judged { ws, model, found }
}

pub fn to_status(ws: &Workspace, d: &Diagnostic) -> StatusDiagnostic {
    let field = ws
        .files
        .get(d.file.0)
        .and_then(|f| f.yaml.as_ref())
        .and_then(|y| field_path(y, d.span));
    StatusDiagnostic {
        code: d.code().to_owned(),
        severity: d.severity.as_str().to_owned(),
        message: d.message.clone(),
        field,
    }
}

/// The path of the innermost node holding `span`'s start: mapping keys
/// joined with `.`, sequence items as `[i]`. A finding on a key is about
/// the field it names. `None` for the document itself.
pub fn field_path(y: &Yaml, span: Span) -> Option<String> {
    let node = innermost(y, span.start)?;
    let mut segments: Vec<String> = Vec::new();
    let mut at = node;
    while let Some(parent) = y.node(at).parent {
        match &y.node(parent).kind {
            NodeKind::Mapping(entries) => {
                let key = entries
                    .iter()
                    .find(|&&(k, v)| k == at || v == at)
                    .and_then(|&(k, _)| y.str(k));
                if let Some(k) = key {
                    segments.push(k.to_owned());
                }
            }
            NodeKind::Sequence(items) => {
                if let Some(i) = items.iter().position(|&n| n == at) {
                    segments.push(format!("[{i}]"));
                }
            }
            _ => {}
        }
        at = parent;
    }
    segments.reverse();
    let mut out = String::new();
    for s in segments {
        if !out.is_empty() && !s.starts_with('[') {
            out.push('.');
        }
        out.push_str(&s);
    }
    (!out.is_empty()).then_some(out)
}

fn innermost(y: &Yaml, offset: usize) -> Option<NodeId> {
    let holds = |n: NodeId| {
        let s = y.node(n).span;
        s.start <= offset && offset < s.end.max(s.start + 1)
    };
    let mut at = y.roots().find(|&r| holds(r))?;
    loop {
        let next = match &y.node(at).kind {
            NodeKind::Mapping(entries) => entries
                .iter()
                .flat_map(|&(k, v)| [k, v])
                .find(|&c| holds(c)),
            NodeKind::Sequence(items) => items.iter().copied().find(|&c| holds(c)),
            _ => None,
        };
        match next {
            Some(c) => at = c,
            None => return Some(at),
        }
    }
}
