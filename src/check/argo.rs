//! IU401–IU419: Argo CD Image Updater annotations on Applications and the
//! v1 `ImageUpdater` custom resource. The per-setting validators are shared
//! with the KubeSphere check, which maps onto the same engine.
//!
//! Values come from the model's Argo updaters: each setting as its object
//! wrote it (`Updater::written`, which keeps what parsing loses: an
//! unknown strategy's spelling, a value an override hides) and the images
//! as the reader merged them (an image's constraint is judged with the
//! strategy the reader gave it). The CR's shape (required fields, alias
//! syntax and uniqueness, one manifest target kind) is the shape check's
//! (`super::shape`).

use std::collections::BTreeMap;
use std::ops::Range;

use super::Context;
use crate::diagnostic::{Diagnostic, FileId};
use crate::gosyntax::{glob, regex as goregex};
use crate::model::argo::{self, AnnotationKey};
use crate::model::read::argo_crd::crd_default;
use crate::model::spec::{self, AsWritten, Dialect, Field, Image, Origin, SettingName, Updater};
use crate::model::{image, verbatim_start};
use crate::resolve::constraint::Constraint;
use crate::rules;
use crate::yaml::Span;

/// One table of strategy names for validate, preview and export: Argo's
/// `ParseUpdateStrategy`, with Go's rune-wise case folding.
pub use crate::resolve::argo::Strategy;

/// Where a setting's text sits, so sub-ranges of a value can be pointed at.
#[derive(Clone, Copy)]
pub struct At {
    pub file: FileId,
    /// The value's bytes (a quoted scalar's with its quotes).
    pub span: Span,
    /// Where the value's text starts in the file when it is written
    /// verbatim; only then can a part of it be pointed at.
    pub text: Option<usize>,
    /// Offset of the setting's text inside the value.
    pub offset: usize,
}

impl At {
    /// The bytes of a value the model kept as `value` (read from `origin`).
    pub fn of(cx: &Context, origin: Origin, value: &str) -> Self {
        Self {
            file: origin.file,
            span: origin.span,
            text: verbatim_start(cx.src(origin.file), origin.span, value),
            offset: 0,
        }
    }

    /// A written value; `None` for one a reader made up.
    pub fn field(cx: &Context, f: &Field<String>) -> Option<Self> {
        f.origin.map(|o| Self::of(cx, o, &f.value))
    }

    /// A written setting's string value and where it is.
    pub fn value<'w>(cx: &Context, w: &'w AsWritten) -> Option<(Self, &'w str)> {
        let v = w.value.as_ref()?;
        Some((Self::field(cx, v)?, v.value.as_str()))
    }

    /// The item at `offset` inside the value.
    pub fn item(self, offset: usize) -> Self {
        Self {
            offset: self.offset + offset,
            ..self
        }
    }

    pub fn span(&self, range: Range<usize>) -> Span {
        match self.text {
            Some(start) => Span::new(
                start + self.offset + range.start,
                start + self.offset + range.end,
            ),
            None => self.span,
        }
    }

    pub fn whole(&self, len: usize) -> Span {
        self.span(0..len)
    }
}

/// Where a value the model kept was written.
fn span_of<T>(f: &Field<T>) -> Option<(FileId, Span)> {
    f.origin.map(|o| (o.file, o.span))
}

pub fn check(cx: &mut Context) {
    let model = cx.model;
    // The CR's images by where their names start, so that an imageName
    // finds the image read from it without a scan.
    let cr_images: CrImages = model
        .updaters
        .iter()
        .filter(|u| u.from.is_some_and(|(d, _)| d == Dialect::ArgocdCrd))
        .flat_map(|u| &u.images)
        .filter_map(|i| i.name.origin.map(|o| ((o.file, o.span.start), i)))
        .collect();
    for u in &model.updaters {
        let Some((dialect, from)) = u.from else {
            continue;
        };
        if !cx.ws.files[from.file].report {
            continue;
        }
        match dialect {
            Dialect::Argocd => annotations(cx, u),
            Dialect::ArgocdCrd => cr_settings(cx, u, &cr_images),
            Dialect::Flux | Dialect::Kubesphere => {}
        }
    }
}

/// A parsed `[alias=]image[:constraint]` entry.
pub struct ImageEntry {
    pub alias: Option<String>,
    pub constraint: Option<(String, Range<usize>)>,
}

/// Parses one image-list entry (or a CR `imageName` when `allow_alias` is
/// false) and reports what is wrong with it.
pub fn image_entry(cx: &mut Context, at: At, text: &str, allow_alias: bool) -> Option<ImageEntry> {
    if !allow_alias && image::parse_argo_item(text).is_ok_and(|p| p.eq_constraint_trap().is_some())
    {
        return cr_image_name(cx, at, text);
    }
    let parsed = match image::parse_argo_item(text) {
        Ok(p) => p,
        Err(err) => {
            cx.report(Diagnostic::new(
                &rules::IMAGE_LIST_SYNTAX,
                at.file,
                at.span(err.range()),
                format!("{text:?}: {err}"),
            ));
            return None;
        }
    };
    if let Some(constraint) = parsed.eq_constraint_trap() {
        let meant = &text[constraint.clone()];
        let help = if allow_alias {
            "add an alias: <alias>=<image>:<constraint>".to_owned()
        } else {
            "the alias separator '=' cannot appear in imageName; use ~, ^ or a hyphen range"
                .to_owned()
        };
        cx.report(
            Diagnostic::new(
                &rules::CONSTRAINT_NEEDS_ALIAS,
                at.file,
                at.whole(text.len()),
                format!(
                    "{text:?} is read as alias {:?} and image {:?}, not as constraint {meant:?}",
                    parsed.alias().unwrap_or_default(),
                    parsed.image()
                ),
            )
            .help(help),
        );
        return None;
    }
    if let Some(alias) = parsed.alias() {
        if !allow_alias {
            cx.report(Diagnostic::new(
                &rules::IMAGE_LIST_SYNTAX,
                at.file,
                at.span(parsed.alias_range().unwrap_or(0..text.len())),
                format!("imageName {text:?} carries an alias; set images[].alias instead"),
            ));
        } else if !valid_alias(alias) {
            cx.report(Diagnostic::new(
                &rules::INVALID_ALIAS,
                at.file,
                at.span(parsed.alias_range().unwrap_or(0..text.len())),
                format!("alias {alias:?} must match ^[a-zA-Z0-9][a-zA-Z0-9-._]*$"),
            ));
        }
    }
    if parsed.image().trim().is_empty() {
        cx.report(Diagnostic::new(
            &rules::IMAGE_LIST_SYNTAX,
            at.file,
            at.whole(text.len()),
            "the entry has no image",
        ));
        return None;
    }
    Some(ImageEntry {
        alias: parsed.alias().map(str::to_owned),
        constraint: parsed.constraint_range().map(|r| {
            (
                text[r.clone()].to_owned(),
                at.offset + r.start..at.offset + r.end,
            )
        }),
    })
}

/// A CR `imageName` whose `=` belongs to a constraint (`reg/app:>=2024.0.0`):
/// the controller parses `alias + "=" + imageName` (`pkg/argocd/argocd.go`,
/// parseImageList), so the split at the first `=` falls after the alias and
/// the constraint keeps its `=`.
fn cr_image_name(cx: &mut Context, at: At, text: &str) -> Option<ImageEntry> {
    const ALIAS: &str = "a=";
    let item = format!("{ALIAS}{text}");
    let back = |r: Range<usize>| r.start - ALIAS.len()..r.end - ALIAS.len();
    let parsed = match image::parse_argo_item(&item) {
        Ok(p) => p,
        Err(err) => {
            let r = err.range();
            cx.report(Diagnostic::new(
                &rules::IMAGE_LIST_SYNTAX,
                at.file,
                at.span(r.start.saturating_sub(ALIAS.len())..r.end.saturating_sub(ALIAS.len())),
                format!("{text:?}: {err}"),
            ));
            return None;
        }
    };
    Some(ImageEntry {
        alias: None,
        constraint: parsed.constraint_range().map(|r| {
            let r = back(r);
            (
                text[r.clone()].to_owned(),
                at.offset + r.start..at.offset + r.end,
            )
        }),
    })
}

pub use crate::model::argo::alias_syntax_ok as valid_alias;

pub fn strategy(cx: &mut Context, at: At, value: &str) -> Option<Strategy> {
    let span = at.whole(value.len());
    match Strategy::parse(value) {
        Some((s, false)) => Some(s),
        Some((s, true)) => {
            let old = match s {
                Strategy::NewestBuild => "latest",
                _ => "name",
            };
            cx.report(
                Diagnostic::new(
                    &rules::DEPRECATED_STRATEGY,
                    at.file,
                    span,
                    format!("update strategy {old:?} is deprecated"),
                )
                .help(format!("use {}", s.as_str())),
            );
            Some(s)
        }
        None => {
            let mut d = Diagnostic::new(
                &rules::UNKNOWN_STRATEGY,
                at.file,
                span,
                format!(
                    "unknown update strategy {value:?}; Argo CD Image Updater falls back to semver"
                ),
            );
            if let Some(close) =
                super::did_you_mean(value, ["semver", "newest-build", "alphabetical", "digest"])
            {
                d = d.help(format!("did you mean {close:?}?"));
            }
            cx.report(d);
            None
        }
    }
}

/// The image's constraint judged for its effective strategy.
pub fn constraint(
    cx: &mut Context,
    at: At,
    image_text: &str,
    constraint: Option<&(String, Range<usize>)>,
    strategy: Strategy,
) {
    match strategy {
        Strategy::Semver => {
            let Some((c, range)) = constraint else { return };
            if c == "latest" {
                cx.report(
                    Diagnostic::new(
                        &rules::INVALID_CONSTRAINT,
                        at.file,
                        At { offset: 0, ..at }.span(range.clone()),
                        "\"latest\" is not a semver constraint; the image is skipped",
                    )
                    .help("use update strategy digest to follow a mutable tag, or a version range"),
                );
                return;
            }
            if let Err(err) = Constraint::parse(c) {
                cx.report(Diagnostic::new(
                    &rules::INVALID_CONSTRAINT,
                    at.file,
                    At { offset: 0, ..at }.span(range.clone()),
                    format!("constraint {c:?} is not a valid semver constraint: {err}"),
                ));
            }
        }
        Strategy::Digest => {
            if constraint.is_none() {
                cx.report(Diagnostic::new(
                    &rules::DIGEST_WITHOUT_CONSTRAINT,
                    at.file,
                    at.whole(image_text.len()),
                    format!("{image_text:?} uses the digest strategy but names no tag to track"),
                ));
            }
        }
        Strategy::NewestBuild | Strategy::Alphabetical => {}
    }
}

/// `allow-tags` as Argo CD Image Updater reads it: `any`, or `regexp:<RE2>`.
pub fn allow_tags(cx: &mut Context, at: At, value: &str) {
    if value.is_empty() || value.eq_ignore_ascii_case("any") {
        return;
    }
    let span = at.whole(value.len());
    match value.split_once(':') {
        Some((func, expr)) if func.eq_ignore_ascii_case("regexp") => bare_regex(cx, at.item(func.len() + 1), expr),
        _ => cx.report(
            Diagnostic::new(
                &rules::ALLOW_TAGS_NOTHING,
                at.file,
                span,
                format!("allow-tags {value:?} has no regexp: prefix; it matches no tag and the image never updates"),
            )
            .help(format!("write \"regexp:{value}\"")),
        ),
    }
}

/// A bare RE2 expression (KubeSphere's shipped `allowTags`, or the part
/// after `regexp:`).
pub fn bare_regex(cx: &mut Context, at: At, expr: &str) {
    if let Err(err) = goregex::compile_go_regex(expr)
        .map(|_| ())
        .or_else(|e| match e.kind {
            goregex::GoRegexErrorKind::Unsupported => Ok(()),
            _ => Err(e),
        })
    {
        cx.report(Diagnostic::new(
            &rules::ALLOW_TAGS_NOTHING,
            at.file,
            at.whole(expr.len()),
            format!("the regular expression {expr:?} does not compile ({err}); it matches no tag"),
        ));
    }
}

pub fn ignore_glob(cx: &mut Context, at: At, pattern: &str) {
    let span = at.whole(pattern.len());
    if let Some(re) = pattern.strip_prefix("regexp:") {
        let mut d = Diagnostic::new(
            &rules::IGNORE_TAGS_REGEXP,
            at.file,
            span,
            format!(
                "ignore-tags {pattern:?} is a glob, not a regular expression: it matches only a tag spelt \"regexp:…\", which no tag is, so it ignores nothing"
            ),
        );
        if let Some(g) = glob_for(re) {
            d = d.help(format!("write the glob {g:?}"));
        }
        cx.report(d);
        return;
    }
    if let Err(err) = glob::validate_glob(pattern) {
        cx.report(Diagnostic::new(
            &rules::INVALID_IGNORE_TAGS,
            at.file,
            span,
            format!("ignore-tags pattern {pattern:?} is malformed ({err}); it ignores nothing"),
        ));
    } else if glob::uses_bang_negation(pattern) {
        cx.report(
            Diagnostic::new(
                &rules::INVALID_IGNORE_TAGS,
                at.file,
                span,
                format!(
                    "in {pattern:?}, [!...] matches a literal '!'; Go globs negate with [^...]"
                ),
            )
            .severity(crate::diagnostic::Severity::Warning),
        );
    }
}

/// The glob an anchored regular expression of literal characters means
/// (`^sha256` → `sha256*`, `^v1\.2$` → `v1.2`), for the help; `None` when
/// the expression needs more than a glob says.
fn glob_for(re: &str) -> Option<String> {
    let (body, anchored_end) = match re.strip_suffix('$') {
        Some(b) => (b, true),
        None => (re, false),
    };
    let (body, anchored_start) = match body.strip_prefix('^') {
        Some(b) => (b, true),
        None => (body, false),
    };
    let mut literal = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => literal.push(chars.next().filter(|c| !c.is_ascii_alphanumeric())?),
            '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^' | '$' => {
                return None;
            }
            c => literal.push(c),
        }
    }
    if literal.is_empty() || literal.contains(['*', '?', '[']) {
        return None;
    }
    let head = if anchored_start { "" } else { "*" };
    let tail = if anchored_end { "" } else { "*" };
    Some(format!("{head}{literal}{tail}"))
}

/// Comma-separated list (annotations): each item checked with its range.
pub fn each_item(value: &str, mut f: impl FnMut(&str, usize)) {
    for item in argo::split_list(value) {
        f(&item.text, item.range.start);
    }
}

pub fn platform(cx: &mut Context, at: At, value: &str) {
    let parts: Vec<&str> = value.split('/').collect();
    let ok = (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    if !ok {
        cx.report(
            Diagnostic::new(
                &rules::INVALID_PLATFORM,
                at.file,
                at.whole(value.len()),
                format!("platform {value:?} is not os/arch[/variant]; it matches no image"),
            )
            .help("e.g. linux/amd64 or linux/arm64/v8"),
        );
    }
}

/// Credential references: `pullsecret:<ns>/<name>`, `secret:<ns>/<name>#<field>`,
/// `env:<VAR>`, `ext:<absolute path>`.
pub fn pull_secret(cx: &mut Context, at: At, value: &str) {
    let body = match value.split_once('=') {
        Some((registry, rest)) if !registry.contains(':') => rest,
        _ => value,
    };
    let ok = match body.split_once(':') {
        Some(("pullsecret", rest)) => ns_name(rest),
        Some(("secret", rest)) => rest
            .split_once('#')
            .is_some_and(|(nn, field)| ns_name(nn) && !field.is_empty()),
        Some(("env", var)) => !var.is_empty(),
        Some(("ext", path)) => path.starts_with('/') && !path.contains(':'),
        _ => false,
    };
    if !ok {
        cx.report(Diagnostic::new(
            &rules::INVALID_PULL_SECRET,
            at.file,
            at.whole(value.len()),
            format!("pull secret {value:?} is not a credential reference"),
        ));
    }
}

fn ns_name(s: &str) -> bool {
    s.split_once('/')
        .is_some_and(|(ns, name)| !ns.is_empty() && !name.is_empty() && !name.contains('/'))
}

pub fn write_back_method(cx: &mut Context, at: At, value: &str) {
    let ok = match value {
        "argocd" | "git" | "git:repocreds" => true,
        v => v.strip_prefix("git:secret:").is_some_and(|s| {
            !s.is_empty() && s.split('/').count() <= 2 && s.split('/').all(|p| !p.is_empty())
        }),
    };
    if !ok {
        cx.report(Diagnostic::new(
            &rules::INVALID_WRITE_BACK_METHOD,
            at.file,
            at.whole(value.len()),
            format!("write-back method {value:?} is not argocd, git, git:repocreds or git:secret:[<ns>/]<name>"),
        ));
    }
}

pub fn git_branch(cx: &mut Context, at: At, value: &str) {
    if value.matches(':').count() > 1 {
        cx.report(Diagnostic::new(
            &rules::INVALID_GIT_BRANCH,
            at.file,
            at.whole(value.len()),
            format!("git-branch {value:?} has more than one ':'"),
        ));
    }
}

pub fn write_back_target(cx: &mut Context, at: At, value: &str) {
    let bad = match value.split_once(':') {
        Some(("kustomization", dir)) => dir
            .is_empty()
            .then_some("kustomization: needs a folder after the colon"),
        Some(("helmvalues", file)) => file
            .is_empty()
            .then_some("helmvalues: needs a file after the colon"),
        _ if value.is_empty() => Some("the target is empty"),
        _ if matches!(
            value.rsplit('/').next(),
            Some("kustomization.yaml" | "kustomization.yml" | "Kustomization")
        ) =>
        {
            Some("a bare kustomization file name is rejected; use kustomization[:<dir>]")
        }
        _ => None,
    };
    if let Some(why) = bad {
        cx.report(Diagnostic::new(
            &rules::INVALID_WRITE_BACK_TARGET,
            at.file,
            at.whole(value.len()),
            format!("write-back target {value:?}: {why}"),
        ));
    }
}

pub fn force_update(cx: &mut Context, at: At, value: &str) {
    const GO_BOOLS: &[&str] = &[
        "1", "t", "T", "true", "TRUE", "True", "0", "f", "F", "false", "FALSE", "False",
    ];
    if !GO_BOOLS.contains(&value) {
        cx.report(Diagnostic::new(
            &rules::INVALID_FORCE_UPDATE,
            at.file,
            at.whole(value.len()),
            format!("force-update {value:?} is not a boolean"),
        ));
    }
}

fn annotations(cx: &mut Context, u: &Updater) {
    let Some(first) = u.written.first() else {
        return;
    };
    // v1 reads annotations only through a CR that picks the Application
    // with useAnnotations (`pkg/argocd/argocd.go`, FilterApplicationsForUpdate).
    if let (Some(why), Some((_, from))) = (&u.inactive, u.from) {
        cx.report(Diagnostic::new(
            &rules::ANNOTATIONS_UNREAD,
            from.file,
            from.span,
            why.clone(),
        ));
    }
    let mut declared: Vec<String> = Vec::new();
    let mut entries: Vec<(ImageEntry, String, At, Option<&Image>)> = Vec::new();
    let image_list = u
        .written
        .iter()
        .find(|w| w.setting == SettingName::ImageList);
    match image_list {
        None => {
            if let Some((file, span)) = span_of(&first.key) {
                cx.report(Diagnostic::new(
                    &rules::MISSING_FIELD,
                    file,
                    span,
                    "image-updater annotations without argocd-image-updater.argoproj.io/image-list do nothing",
                ));
            }
        }
        Some(w) => {
            let Some((list_at, list)) = At::value(cx, w) else {
                return;
            };
            let items = argo::split_list(list);
            if items.is_empty() {
                cx.report(Diagnostic::new(
                    &rules::IMAGE_LIST_SYNTAX,
                    list_at.file,
                    list_at.span,
                    "image-list is empty",
                ));
            }
            // The reader keeps, in order, the items that parse and are not
            // the alias trap: those are the updater's images.
            let mut kept = u.images.iter();
            for item in items {
                let read = image::parse_argo_item(&item.text)
                    .is_ok_and(|p| p.eq_constraint_trap().is_none())
                    .then(|| kept.next())
                    .flatten();
                let at = list_at.item(item.range.start);
                // A generator placeholder is resolved by the ApplicationSet
                // controller, not judged here; its alias is still declared.
                if u.templated && item.text.contains("{{") {
                    if let Some((alias, _)) = item.text.split_once('=')
                        && !alias.contains("{{")
                    {
                        declared.push(alias.trim().to_owned());
                    }
                    continue;
                }
                if let Some(entry) = image_entry(cx, at, &item.text, true) {
                    if let Some(alias) = &entry.alias {
                        if declared.contains(alias) {
                            cx.report(Diagnostic::new(
                                &rules::DUPLICATE_ALIAS,
                                at.file,
                                at.whole(item.text.len()),
                                format!("alias {alias:?} is declared twice in image-list"),
                            ));
                        }
                        declared.push(alias.clone());
                    }
                    entries.push((entry, item.text.clone(), at, read));
                }
            }
        }
    }
    let mut targets: Vec<(String, &'static str, (FileId, Span))> = Vec::new();
    for w in &u.written {
        let (Some((at, v)), Some((file, key_span))) = (At::value(cx, w), span_of(&w.key)) else {
            continue;
        };
        if u.templated && (v.contains("{{") || w.key.value.contains("{{")) {
            continue;
        }
        let alias = match argo::classify(&w.key.value) {
            AnnotationKey::Alias { alias, .. } => Some(alias),
            _ => None,
        };
        if let Some(alias) = alias
            && image_list.is_some()
            && !declared.iter().any(|d| d == alias)
        {
            cx.report(Diagnostic::new(
                &rules::UNKNOWN_ALIAS,
                file,
                key_span,
                format!("alias {alias:?} is not declared in image-list; this setting is ignored"),
            ));
            continue;
        }
        // v1 reads every value trimmed, and an empty one as unset (but
        // still parses an empty force-update, and fails on it).
        let (at, v) = if cx.model.argo.generation == argo::Generation::V1 {
            let lead = v.len() - v.trim_start().len();
            if v.trim().is_empty() && value_setting(w.setting) {
                continue;
            }
            (at.item(lead), v.trim())
        } else {
            (at, v)
        };
        if value(cx, w.setting, at, v, true) {
            continue;
        }
        match w.setting {
            // v1 reads an application-wide force-update leniently.
            SettingName::ForceUpdate if alias.is_some() => force_update(cx, at, v),
            SettingName::TagMatch => cx.report(
                Diagnostic::new(
                    &rules::UNKNOWN_ANNOTATION,
                    file,
                    key_span,
                    "tag-match is only read by Argo CD Image Updater v0.x",
                )
                .help(format!("use {}.allow-tags", alias.unwrap_or_default())),
            ),
            SettingName::HelmTarget | SettingName::KustomizeTarget => {
                if let Some(alias) = alias {
                    let kind = if w.setting == SettingName::HelmTarget {
                        "helm"
                    } else {
                        "kustomize"
                    };
                    targets.push((alias.to_owned(), kind, (file, key_span)));
                }
            }
            SettingName::Unknown => {
                let key = &w.key.value;
                let known = argo::APP_KEYS.iter().copied();
                let mut d = Diagnostic::new(
                    &rules::UNKNOWN_ANNOTATION,
                    file,
                    key_span,
                    format!(
                        "{}{key} is not an Argo CD Image Updater annotation; it is ignored",
                        argo::ANNOTATION_PREFIX,
                    ),
                );
                let last = key.rsplit('.').next().unwrap_or(key);
                if let Some(close) = super::did_you_mean(key, known)
                    .or_else(|| super::did_you_mean(last, argo::ALIAS_KEYS.iter().copied()))
                {
                    d = d.help(format!("did you mean {close:?}?"));
                }
                cx.report(d);
            }
            _ => {}
        }
    }
    // One finding per alias, on whichever conflicting key comes last.
    let mut reported: Vec<&str> = Vec::new();
    for (alias, _, _) in &targets {
        let both = targets.iter().any(|(a, k, _)| a == alias && *k == "helm")
            && targets
                .iter()
                .any(|(a, k, _)| a == alias && *k == "kustomize");
        if !both || reported.contains(&alias.as_str()) {
            continue;
        }
        reported.push(alias);
        let last = targets
            .iter()
            .filter(|(a, _, _)| a == alias)
            .map(|(_, _, at)| *at)
            .max_by_key(|(_, s)| s.start);
        if let Some((file, span)) = last {
            cx.report(Diagnostic::new(
                &rules::CONFLICTING_TARGETS,
                file,
                span,
                format!("alias {alias:?} has both helm.* and kustomize.image-name settings"),
            ));
        }
    }
    // Constraints are judged with each image's effective strategy, as the
    // reader merged it (the per-alias key overrides the application's).
    for (entry, text, at, read) in &entries {
        read_constraint(cx, *at, text, entry, *read);
    }
}

/// Judges a written Argo setting's value; `false` when `setting` is not
/// one of these. `lists`: lists are comma-separated in one value
/// (annotations, KubeSphere maps) rather than one value per item (CR).
pub fn value(cx: &mut Context, setting: SettingName, at: At, v: &str, lists: bool) -> bool {
    match setting {
        SettingName::UpdateStrategy => {
            strategy(cx, at, v);
        }
        SettingName::AllowTags => allow_tags(cx, at, v),
        SettingName::TagRegex => bare_regex(cx, at, v),
        SettingName::IgnoreTags if lists => each_item(v, |p, off| ignore_glob(cx, at.item(off), p)),
        SettingName::IgnoreTags => ignore_glob(cx, at, v),
        SettingName::Platforms if lists => each_item(v, |p, off| platform(cx, at.item(off), p)),
        SettingName::Platforms => platform(cx, at, v),
        SettingName::PullSecret => pull_secret(cx, at, v),
        SettingName::WriteBackMethod => write_back_method(cx, at, v),
        SettingName::GitBranch => git_branch(cx, at, v),
        SettingName::WriteBackTarget => write_back_target(cx, at, v),
        _ => return false,
    }
    true
}

/// The settings [`value`] judges by their value alone.
fn value_setting(setting: SettingName) -> bool {
    matches!(
        setting,
        SettingName::UpdateStrategy
            | SettingName::AllowTags
            | SettingName::IgnoreTags
            | SettingName::Platforms
            | SettingName::PullSecret
            | SettingName::WriteBackMethod
            | SettingName::GitBranch
            | SettingName::WriteBackTarget
    )
}

/// An image entry's constraint judged with the strategy the reader gave
/// the image (`read`), semver when it has none.
pub fn read_constraint(
    cx: &mut Context,
    at: At,
    text: &str,
    entry: &ImageEntry,
    read: Option<&Image>,
) {
    let effective = read
        .and_then(|i| i.strategy.as_ref())
        .map_or(Some(Strategy::Semver), |s| argo_strategy(s.value));
    if let Some(s) = effective {
        constraint(cx, at, text, entry.constraint.as_ref(), s);
    }
}

/// The spec's strategy as Argo CD Image Updater names it; `None` for one
/// it does not have.
fn argo_strategy(s: spec::Strategy) -> Option<Strategy> {
    match s {
        spec::Strategy::Semver => Some(Strategy::Semver),
        spec::Strategy::NewestBuild => Some(Strategy::NewestBuild),
        spec::Strategy::Alphabetical { desc: false } => Some(Strategy::Alphabetical),
        spec::Strategy::Digest => Some(Strategy::Digest),
        spec::Strategy::Alphabetical { desc: true } | spec::Strategy::Numerical { .. } => None,
    }
}

/// The CR's settings at every level, as the reader kept them (on the
/// CR's first updater). An image's constraint is judged with the strategy
/// the reader merged down to it.
fn cr_settings(cx: &mut Context, u: &Updater, images: &CrImages) {
    crd_defaults(cx, u);
    for w in &u.written {
        let Some((at, v)) = At::value(cx, w) else {
            continue;
        };
        // CR lists are YAML sequences: one value per item.
        if value(cx, w.setting, at, v, false) || w.setting != SettingName::ImageName {
            continue;
        }
        if let Some(entry) = image_entry(cx, at, v, false) {
            // The name the reader cut out of this imageName lies inside it.
            let read = images
                .range((at.file, at.span.start)..(at.file, at.span.end.max(at.span.start + 1)))
                .map(|(_, i)| *i)
                .find(|i| i.name.origin.is_some_and(|o| within(o.span, at.span)));
            read_constraint(cx, at, v, &entry, read);
        }
    }
}

/// IU421: a `commonUpdateSettings` block below the top that leaves out a
/// setting a higher level sets to a non-default value. The v1.0–v1.3
/// CRDs default `updateStrategy: semver` (and `forceUpdate: false`) into
/// every block, hiding the inherited value; the v1.4 CRDs (#1782) do not,
/// so the block inherits (`pkg/argocd/argocd.go`,
/// mergeCommonUpdateSettings, merges what is set). The reader reads it as
/// v1.4 and keeps the remark.
fn crd_defaults(cx: &mut Context, u: &Updater) {
    for r in u.dropped.iter().filter_map(crd_default::of) {
        let Some(origin) = r.block else { continue };
        cx.report(
            Diagnostic::new(
                &rules::CRD_DEFAULT_CHANGED,
                origin.file,
                origin.span,
                format!(
                    "this commonUpdateSettings block leaves out {}: with the v1.4 CRDs it inherits {}, with the v1.0–v1.3 CRDs the API server defaults it to {}",
                    r.keys, r.inherited, r.defaulted
                ),
            )
            .help(format!(
                "write {} in the block to get one answer on every CRD version",
                r.inherited
            )),
        );
    }
}

type CrImages<'m> = BTreeMap<(FileId, usize), &'m Image>;

fn within(inner: Span, outer: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

#[cfg(test)]
mod tests;
