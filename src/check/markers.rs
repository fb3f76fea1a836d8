//! IU101–IU111: Flux setter markers, checked against the policies,
//! repositories and automations of the whole repository.

use super::Context;
use crate::diagnostic::Diagnostic;
use crate::model::image;
use crate::model::marker::{Marker, MarkerError, PolicyRef, Suffix, Target};
use crate::rules;
use crate::yaml::{NodeKind, ScalarStyle};

pub fn check(cx: &mut Context) {
    for marker in &cx.model.markers {
        check_marker(cx, marker);
    }
}

fn check_marker(cx: &mut Context, m: &Marker) {
    let reference = match &m.reference {
        Ok(r) => r,
        Err(MarkerError::InvalidJson(why)) => {
            cx.report(Diagnostic::new(
                &rules::MARKER_INVALID_JSON,
                m.file,
                m.span,
                format!("this $imagepolicy comment is not a setter marker: {why}"),
            ));
            return;
        }
        Err(MarkerError::MissingNamespace) => {
            let name = m.value_span.text(cx.src(m.file));
            cx.report(
                Diagnostic::new(
                    &rules::MARKER_MISSING_NAMESPACE,
                    m.file,
                    m.value_span,
                    "the marker names a policy without its namespace",
                )
                .help(format!(
                    "write \"<namespace>:{name}\", e.g. \"flux-system:{name}\""
                )),
            );
            return;
        }
        Err(MarkerError::InvalidReference(why)) => {
            cx.report(Diagnostic::new(
                &rules::MARKER_INVALID_REFERENCE,
                m.file,
                m.value_span,
                why.clone(),
            ));
            return;
        }
    };
    let node = match m.target {
        Target::Scalar(n) | Target::HeadOfItem(n) => n,
        Target::Alias(_) => {
            cx.report(Diagnostic::new(
                &rules::MARKER_ON_ALIAS,
                m.file,
                m.span,
                "the marker is on an alias; Flux ignores markers on alias nodes",
            ));
            return;
        }
        Target::Collection(_) => {
            cx.report(Diagnostic::new(
                &rules::MARKER_ON_NON_SCALAR,
                m.file,
                m.span,
                "the marker follows a mapping or sequence, not a scalar value",
            ));
            return;
        }
        Target::Detached => {
            cx.report(Diagnostic::new(
                &rules::MARKER_ON_NON_SCALAR,
                m.file,
                m.span,
                "the marker is not on the line of a value Flux could set",
            ));
            return;
        }
    };
    let flux = &cx.model.flux;
    // A repository without any ImagePolicy keeps its policies elsewhere (a
    // fleet repository, or gitops-promotion which builds them at run time):
    // nothing here can be resolved, so nothing is reported.
    if flux.policies.is_empty() {
        return;
    }
    let Some(policy) = flux.policy(&reference.namespace, &reference.name) else {
        let mut d = Diagnostic::new(
            &rules::MARKER_POLICY_NOT_FOUND,
            m.file,
            m.value_span,
            format!(
                "no ImagePolicy {}/{} in the repository",
                reference.namespace, reference.name
            ),
        );
        let names = flux.policies.iter().map(|p| p.meta.name.as_str());
        if let Some(close) = super::did_you_mean(&reference.name, names) {
            d = d.help(format!("did you mean {close:?}?"));
        }
        cx.report(d);
        return;
    };
    let yaml = cx.yaml(m.file);
    let scalar = yaml.node(node);
    let (value, style) = match &scalar.kind {
        NodeKind::Scalar { value, style } => (value.as_str(), *style),
        _ => return,
    };
    let value_span = scalar.span;

    if style == ScalarStyle::Plain && !value.is_empty() && reads_as_non_string(value) {
        cx.report(
            Diagnostic::new(
                &rules::MARKER_ON_NON_STRING,
                m.file,
                value_span,
                format!("YAML reads {value:?} as a number, boolean or null, not a string"),
            )
            .help(format!("quote it: \"{value}\"")),
        );
    }

    let repo = flux.repository_for(policy);
    let repo_image = repo
        .and_then(|r| r.image.as_ref())
        .map(|i| i.value.as_str());
    shape_and_image(cx, m, reference, value, value_span, repo_image, repo);

    if reference.suffix == Suffix::Digest && !policy.reflects_digest() {
        cx.report(
            Diagnostic::new(
                &rules::MARKER_DIGEST_NOT_REFLECTED,
                m.file,
                m.value_span,
                format!(
                    "policy {}/{} does not reflect digests; Flux would write an empty digest",
                    reference.namespace, reference.name
                ),
            )
            .related(
                policy.meta.file,
                cx.span(policy.meta.file, policy.meta.root),
                "policy defined here",
            ),
        );
    }

    if !flux.automations.is_empty() {
        let path = &cx.ws.files[m.file].path;
        let covered = flux
            .automations
            .iter()
            .filter(|a| a.meta.in_namespace(&reference.namespace))
            .any(|a| a.covers(path));
        if !covered {
            let scopes: Vec<String> = flux
                .automations
                .iter()
                .filter(|a| a.meta.in_namespace(&reference.namespace))
                .map(|a| format!("./{}", a.scope()))
                .collect();
            let why = if scopes.is_empty() {
                format!(
                    "no ImageUpdateAutomation in namespace {}",
                    reference.namespace
                )
            } else {
                format!(
                    "the automations in namespace {} update {}",
                    reference.namespace,
                    scopes.join(", ")
                )
            };
            cx.report(Diagnostic::new(
                &rules::MARKER_NOT_AUTOMATED,
                m.file,
                m.span,
                format!("this marker is never applied: {why}"),
            ));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn shape_and_image(
    cx: &mut Context,
    m: &Marker,
    reference: &PolicyRef,
    value: &str,
    value_span: crate::yaml::Span,
    repo_image: Option<&str>,
    repo: Option<&crate::model::flux::ImageRepository>,
) {
    let shape = |msg: String| Diagnostic::new(&rules::MARKER_VALUE_SHAPE, m.file, value_span, msg);
    match reference.suffix {
        Suffix::Tag => {
            if value.contains('/') || value.contains(':') || value.contains('@') {
                cx.report(
                    shape(format!(
                        "a :tag marker sets only the tag, but {value:?} is a full image reference"
                    ))
                    .help("use the marker without :tag, or keep only the tag in this field"),
                );
            }
            return;
        }
        Suffix::Digest => {
            if !value.is_empty()
                && !value.starts_with("sha256:")
                && !value.starts_with("sha512:")
                && !value.starts_with("sha384:")
            {
                cx.report(shape(format!(
                    "a :digest marker sets a digest, but {value:?} is not one"
                )));
            }
            return;
        }
        Suffix::Name => {
            if let Ok(r) = image::parse(value)
                && (r.tag().is_some() || r.digest().is_some())
            {
                cx.report(
                    shape(format!(
                        "a :name marker sets only the repository, but {value:?} has a tag or digest"
                    ))
                    .help("use the marker without :name, or drop the tag from this field"),
                );
                return;
            }
        }
        Suffix::Full => {
            if looks_like_bare_tag(value) {
                cx.report(shape(format!(
                    "a marker without suffix writes a full image reference, but {value:?} is a tag"
                )).help(format!(
                    "use \"{}:{}:tag\"",
                    reference.namespace, reference.name
                )));
                return;
            }
        }
    }
    let (Some(expected), Ok(actual)) = (repo_image, image::parse(value)) else {
        return;
    };
    let Ok(expected_ref) = image::parse(expected) else {
        return;
    };
    if actual.normalized_name() != expected_ref.normalized_name() {
        let mut d = Diagnostic::new(
            &rules::MARKER_IMAGE_MISMATCH,
            m.file,
            value_span,
            format!(
                "the value names {}, but policy {}/{} follows {}",
                actual.name(),
                reference.namespace,
                reference.name,
                expected
            ),
        )
        .help(format!(
            "the first update would replace the image with {expected}"
        ));
        if let Some(repo) = repo
            && let Some(img) = &repo.image
        {
            d = d.related(
                repo.meta.file,
                cx.span(repo.meta.file, img.node),
                "ImageRepository image",
            );
        }
        cx.report(d);
    }
}

/// `1.2.3`, `v1.2.3`, `20240101`: a tag alone, not `<repository>:<tag>`.
fn looks_like_bare_tag(value: &str) -> bool {
    if value.contains('/') || value.contains(':') || value.contains('@') {
        return false;
    }
    let v = value.strip_prefix('v').unwrap_or(value);
    v.starts_with(|c: char| c.is_ascii_digit())
}

/// YAML 1.2 core schema and YAML 1.1 (go-yaml v2, which kyaml consults)
/// non-string plain scalars.
pub fn reads_as_non_string(v: &str) -> bool {
    const WORDS: &[&str] = &[
        "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO",
        "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", "null", "Null", "NULL", "~",
        ".inf", ".Inf", ".INF", "-.inf", "+.inf", ".nan", ".NaN", ".NAN",
    ];
    if WORDS.contains(&v) {
        return true;
    }
    let s = v.strip_prefix(['+', '-']).unwrap_or(v);
    if s.is_empty() {
        return false;
    }
    if let Some(hex) = s.strip_prefix("0x") {
        return !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit() || c == '_');
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return !oct.is_empty() && oct.chars().all(|c| c.is_ascii_digit());
    }
    let digits_only = s.chars().all(|c| c.is_ascii_digit() || c == '_');
    if digits_only && s.starts_with(|c: char| c.is_ascii_digit()) {
        return true;
    }
    // Floats: digits with one dot and an optional exponent (`1.10`, `.5`, `1e3`).
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = {
        let mut parts = mantissa.splitn(2, '.');
        let int = parts.next().unwrap_or("");
        let frac = parts.next();
        let int_ok = int.chars().all(|c| c.is_ascii_digit() || c == '_');
        let frac_ok = frac.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit()));
        int_ok
            && frac_ok
            && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()))
            && (frac.is_some() || exp.is_some())
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exp_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_string_plain_scalars() {
        for v in [
            "1.10", "123", "1e3", ".5", "true", "yes", "null", "~", "0x1F", "0755", "1_000", "+1",
            "-1.5",
        ] {
            assert!(reads_as_non_string(v), "{v}");
        }
        for v in [
            "1.2.3",
            "v1.2.3",
            "2024-06-27",
            "latest",
            "1.0-rc1",
            "nginx",
            "e3",
            "1e",
            "sha256:abc",
        ] {
            assert!(!reads_as_non_string(v), "{v}");
        }
    }

    #[test]
    fn bare_tags() {
        assert!(looks_like_bare_tag("1.2.3"));
        assert!(looks_like_bare_tag("v6.0.1"));
        assert!(!looks_like_bare_tag("ghcr.io/x/y:1.2.3"));
        assert!(!looks_like_bare_tag("nginx"));
    }
}
