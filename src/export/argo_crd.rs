//! The Argo CD Image Updater `ImageUpdater` CR (argocd-image-updater.argoproj.io
//! v1alpha1, v1.3 schema; argocd.md §2½) written from [`Updater`]s: one CR
//! per updater, one applicationRef. Reading, with the mapping table, is
//! [`crate::model::read::argo_crd`].
//!
//! Writing (normalizations): `metadata.name` is `name` reduced to a
//! Kubernetes name (IU703 when it changes); the namespace as for
//! annotations (`--namespace`, `app.namespace`, `namespace`, else `argocd`
//! with IU703). `namePattern` is `app.name`, else `name` (IU703). Every
//! image carries an alias (invented from the repository's last path
//! segment when missing, invalid or repeated, IU703). Settings are written
//! per image, never hoisted, and every `commonUpdateSettings` block states
//! `updateStrategy` (`semver` when the spec has none), so CRDs v1.0–v1.3,
//! which default it per block, read the same. `writeBackConfig` sits at
//! the spec level. A `manifestTargets` with both Helm and kustomize keeps
//! Helm (the CRD allows one; IU701 for kustomize). A method the CRD's
//! pattern refuses is written as `git` (IU701). Never `spec.namespace`.

use serde_json::{Map, Value, json};

use super::argo;
use crate::export::{WriteOptions, Written};
use crate::model::read::argo_crd::k8s_name;
use crate::model::spec::{Remark, RemarkKind, Updater};

pub const API_VERSION: &str = "argocd-image-updater.argoproj.io/v1alpha1";
pub use crate::model::argo::CR_KIND as KIND;

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// `writeBackConfig.method` as the CRD's pattern
/// `^(argocd|git|git:[a-zA-Z0-9][a-zA-Z0-9-._/:]*)$` accepts it.
fn method_ok(m: &str) -> bool {
    match m.strip_prefix("git:") {
        None => m == "argocd" || m == "git",
        Some(rest) => {
            let mut c = rest.chars();
            c.next().is_some_and(|c| c.is_ascii_alphanumeric())
                && c.all(|c| c.is_ascii_alphanumeric() || "-._/:".contains(c))
        }
    }
}

pub fn write(u: &Updater, options: &WriteOptions) -> Written {
    let mut out = Written::default();
    let to = "argocd-crd";
    let app = match argo::app_name(u, to) {
        Ok((app, r)) => {
            out.remarks.extend(r);
            app
        }
        Err(r) => {
            out.remarks.push(r);
            return out;
        }
    };
    if u.images.is_empty() {
        out.remarks.push(Remark::new(
            RemarkKind::Skipped,
            None,
            "images",
            "the updater has no images; an applicationRef needs at least one",
        ));
        return out;
    }
    let (namespace, r) = argo::target_namespace(u, options);
    out.remarks.extend(r);
    let name = k8s_name(&u.name);
    if name != u.name {
        out.remarks.push(Remark::new(
            RemarkKind::Normalized,
            None,
            "metadata.name",
            format!("{:?} is written as the Kubernetes name {name:?}", u.name),
        ));
    }
    let (aliases, r) = argo::aliases(u, &|_| true, &|i| format!("images[{i}].alias"));
    out.remarks.extend(r);
    let mut images = Vec::new();
    for (i, alias) in aliases.iter().enumerate() {
        let img = &u.images[i];
        if img.name.value.is_empty() {
            out.remarks.push(Remark::new(
                RemarkKind::Skipped,
                img.origin,
                format!("images[{i}].name"),
                "the image has no name",
            ));
            continue;
        }
        let (reference, s, r) = argo::argo_image(u, i, false, to);
        out.remarks.extend(r);
        // The controller parses imageName like an image-list item, so an
        // `=` in the constraint (`>=1.2`) would split it into alias and
        // image (IU414): the range is rewritten without one.
        let reference = match img.constraint.as_ref().filter(|c| c.value.contains('=')) {
            None => reference,
            Some(c) => match without_equals(&c.value) {
                Some(rewritten) => {
                    out.remarks.push(Remark::new(
                        RemarkKind::Normalized,
                        c.origin.or(img.origin),
                        format!("images[{i}].constraint"),
                        format!(
                            "{:?} is written {rewritten:?}: an '=' in imageName reads as an alias separator",
                            c.value
                        ),
                    ));
                    match reference.strip_suffix(&c.value) {
                        Some(base) => format!("{base}{rewritten}"),
                        None => reference,
                    }
                }
                None => {
                    out.remarks.push(Remark::new(
                        RemarkKind::NoEquivalent,
                        c.origin.or(img.origin),
                        format!("images[{i}].constraint"),
                        format!(
                            "{:?} cannot be written without '=', which imageName cannot hold; \
                             the image is left out",
                            c.value
                        ),
                    ));
                    continue;
                }
            },
        };
        let mut entry = Map::new();
        entry.insert("alias".into(), json!(alias.clone().unwrap_or_default()));
        entry.insert("imageName".into(), json!(reference));
        let mut common = Map::new();
        if let Some(v) = &s.allow_tags {
            common.insert("allowTags".into(), json!(v));
        }
        if let Some(v) = &s.ignore_tags {
            common.insert("ignoreTags".into(), json!(v));
        }
        if let Some(v) = s.force_update {
            common.insert("forceUpdate".into(), json!(v));
        }
        if let Some(v) = &s.pull_secret {
            common.insert("pullSecret".into(), json!(v));
        }
        if let Some(v) = &s.platforms {
            common.insert("platforms".into(), json!(v));
        }
        if !common.is_empty() || s.strategy.is_some() {
            common.insert(
                "updateStrategy".into(),
                json!(s.strategy.as_deref().unwrap_or("semver")),
            );
            entry.insert("commonUpdateSettings".into(), Value::Object(common));
        }
        if let Some(h) = &s.helm {
            let mut helm = Map::new();
            for (k, v) in [("name", &h.name), ("tag", &h.tag), ("spec", &h.spec)] {
                if let Some(v) = v {
                    helm.insert(k.into(), json!(v));
                }
            }
            entry.insert("manifestTargets".into(), json!({ "helm": helm }));
            if let Some(k) = &img.kustomize_name {
                out.remarks.push(Remark::new(
                    RemarkKind::NoEquivalent,
                    k.origin,
                    format!("images[{i}].kustomize_name"),
                    "manifestTargets holds one target and Helm's is written; the kustomize image name is left out",
                ));
            }
        } else if let Some(k) = &s.kustomize_name {
            entry.insert(
                "manifestTargets".into(),
                json!({ "kustomize": { "name": k } }),
            );
        }
        images.push(Value::Object(entry));
    }
    if images.is_empty() {
        out.remarks.push(Remark::new(
            RemarkKind::Skipped,
            None,
            "images",
            "no image could be written; an applicationRef needs at least one",
        ));
        out.documents.clear();
        return out;
    }
    if images.is_empty() {
        return out;
    }
    let mut spec = Map::new();
    spec.insert(
        "applicationRefs".into(),
        json!([{ "namePattern": app, "images": images }]),
    );
    let mut wb = Map::new();
    if let Some(m) = &u.write {
        let text = argo::write_method_text(&m.value);
        if method_ok(&text) {
            wb.insert("method".into(), json!(text));
        } else {
            out.remarks.push(Remark::new(
                RemarkKind::NoEquivalent,
                m.origin,
                "write",
                format!("the CRD refuses the method {text:?}; written as \"git\""),
            ));
            wb.insert("method".into(), json!("git"));
        }
    }
    let g = &u.git;
    let s = argo::value_of;
    let mut git = Map::new();
    if let Some(r) = s(&g.repository) {
        git.insert("repository".into(), json!(r));
    }
    if let Some(b) = argo::branch_text(s(&g.checkout_branch), s(&g.push_branch)) {
        git.insert("branch".into(), json!(b));
    }
    if let Some(t) = s(&g.target) {
        git.insert("writeBackTarget".into(), json!(t));
    }
    if !git.is_empty() {
        wb.insert("gitConfig".into(), Value::Object(git));
    }
    if !wb.is_empty() {
        spec.insert("writeBackConfig".into(), Value::Object(wb));
    }
    out.remarks.extend(argo::flux_git_remarks(u, to));
    argo::dedup(&mut out.remarks);
    out.documents.push(json!({
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": { "name": name, "namespace": namespace },
        "spec": spec,
    }));
    out
}

/// The same Masterminds range with no `=`: `>=X` is `>X || X` and `<=X`
/// is `<X || X` (a bare version is an equality, partial ones included, so
/// the union is exact), distributed over each AND group. `None` for `!=`.
pub fn without_equals(range: &str) -> Option<String> {
    let mut groups_out: Vec<String> = Vec::new();
    for group in range.split("||") {
        // `>= 1.0` and `>=1.0` are the same comparator.
        let mut joined = String::new();
        let mut pending_op = false;
        for part in group.split([' ', ',']).filter(|p| !p.is_empty()) {
            if pending_op {
                joined.push_str(part);
            } else {
                if !joined.is_empty() {
                    joined.push(' ');
                }
                joined.push_str(part);
            }
            pending_op = matches!(part, ">=" | "<=" | "=" | ">" | "<" | "~" | "^" | "!=");
        }
        let mut alternatives: Vec<Vec<String>> = vec![Vec::new()];
        for token in joined.split(' ').filter(|t| !t.is_empty()) {
            let options: Vec<String> = if let Some(v) = token.strip_prefix(">=") {
                vec![format!(">{v}"), v.to_owned()]
            } else if let Some(v) = token.strip_prefix("<=") {
                vec![format!("<{v}"), v.to_owned()]
            } else if token.starts_with("!=") {
                return None;
            } else if let Some(v) = token.strip_prefix('=') {
                vec![v.to_owned()]
            } else {
                vec![token.to_owned()]
            };
            alternatives = alternatives
                .iter()
                .flat_map(|a| {
                    options.iter().map(move |o| {
                        let mut next = a.clone();
                        next.push(o.clone());
                        next
                    })
                })
                .collect();
        }
        groups_out.extend(alternatives.into_iter().map(|a| a.join(" ")));
    }
    let out = groups_out.join(" || ");
    (!out.contains('=') && !out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests;
