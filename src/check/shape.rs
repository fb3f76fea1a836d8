//! The objects' shape, as the API server's CRD validation sees it: IU007
//! unknown fields (with a did-you-mean) for Flux image objects, the Argo
//! CD Image Updater CR and KubeSphere `ImageUpdater`s; the fields the
//! CRDs require (a Flux object's spec among them); a served Flux API
//! version (IU301); one policy kind per ImagePolicy (IU305), one alias per
//! list and one `manifestTargets` kind; and KubeSphere's two spellings and
//! sections. These rules are about which keys the document has, so they
//! read the tree; the readers skip an incomplete entry rather than keep
//! it, and every other check judges the values the model kept.

use super::Context;
use crate::diagnostic::{Diagnostic, FileId, Severity};
use crate::model::Object;
use crate::model::argo::{self, CR_GROUP};
use crate::model::flux::{FluxVersion, IMAGE_GROUP};
use crate::model::kubesphere::{self as ks, Spelling};
use crate::model::object::str_at;
use crate::model::schema::{self, Field, Unknown};
use crate::rules;
use crate::yaml::{NodeId, Yaml};

pub fn check(cx: &mut Context) {
    let objects: Vec<_> = cx.reported_objects().map(|(_, o)| o.clone()).collect();
    for obj in objects {
        if obj.group() == IMAGE_GROUP {
            flux_api_version(cx, &obj);
        } else {
            malformed_flux_api_version(cx, &obj);
        }
        let schema: &'static [Field] = match (obj.group(), obj.kind()) {
            (IMAGE_GROUP, "ImageRepository") => schema::IMAGE_REPOSITORY_SPEC,
            (IMAGE_GROUP, "ImagePolicy") => schema::IMAGE_POLICY_SPEC,
            (IMAGE_GROUP, "ImageUpdateAutomation") => schema::IMAGE_UPDATE_AUTOMATION_SPEC,
            (CR_GROUP, "ImageUpdater") => schema::ARGO_IMAGE_UPDATER_SPEC,
            (ks::GROUP, "ImageUpdater") => {
                kubesphere(cx, &obj);
                continue;
            }
            _ => continue,
        };
        let yaml = cx.yaml(obj.file);
        let mut found = Vec::new();
        top_level(yaml, obj.root, &mut found);
        let spec = obj.spec(yaml);
        if let Some(spec) = spec {
            schema::unknown_fields(yaml, spec, schema, "spec", &mut found);
        }
        for u in found {
            report(cx, obj.file, obj.kind(), &u);
        }
        if let Some(spec) = spec
            && obj.group() == CR_GROUP
        {
            image_updater(cx, obj.file, yaml, spec);
        }
        if obj.group() == IMAGE_GROUP {
            flux_required(cx, &obj, yaml, spec);
        }
    }
}

/// IU301: a Flux image object's `apiVersion`, whatever its kind, named
/// with the Flux release that stopped serving it (v1beta2: 2.9, whose
/// image-reflector-controller and image-automation-controller 1.2 serve
/// only v1; v1beta1: 2.7). v1beta2 stays a warning: Flux 2.8 and older
/// still serve it, and preview and apply follow `--flux`.
fn flux_api_version(cx: &mut Context, obj: &Object) {
    let Some(api) = &obj.api_version else { return };
    let span = cx.span(obj.file, api.node);
    let version = obj.version();
    if !is_version_token(version) {
        return malformed_flux_api_version(cx, obj);
    }
    match FluxVersion::removed(version) {
        None => {}
        Some(removed) if version == "v1beta2" => cx.report(Diagnostic::new(
            &rules::FLUX_API_VERSION,
            obj.file,
            span,
            format!(
                "{} is deprecated since Flux 2.7 and removed in Flux {removed}: the image controllers of Flux {removed} and later do not serve it",
                api.value
            ),
        )),
        Some(removed) if removed.minor > 0 => cx.report(
            Diagnostic::new(
                &rules::FLUX_API_VERSION,
                obj.file,
                span,
                format!("{} was removed in Flux {removed} and is no longer served", api.value),
            )
            .severity(Severity::Error),
        ),
        Some(_) => cx.report(
            Diagnostic::new(
                &rules::FLUX_API_VERSION,
                obj.file,
                span,
                format!("{IMAGE_GROUP}/{version} is not an API version any Flux release serves"),
            )
            .severity(Severity::Error),
        ),
    }
}

/// `v1`, `v1beta2`, `v2alpha1`: a Kubernetes API version.
fn is_version_token(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('v') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (major, tail) = rest.split_at(digits);
    if major.is_empty() || major.starts_with('0') {
        return false;
    }
    let level = tail
        .strip_prefix("alpha")
        .or_else(|| tail.strip_prefix("beta"));
    match level {
        None => tail.is_empty(),
        Some(n) => !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0'),
    }
}

/// IU301 for an `apiVersion` that names the Flux image group but is not
/// `GROUP/VERSION` (`image.toolkit.fluxcd.io/v1/v2`, a trailing `/`): the
/// API server serves no such version, so the object is never created.
fn malformed_flux_api_version(cx: &mut Context, obj: &Object) {
    let Some(api) = &obj.api_version else { return };
    let Some(rest) = api.value.strip_prefix(IMAGE_GROUP) else {
        return;
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return;
    }
    let version = rest.strip_prefix('/').unwrap_or_default();
    if !version.is_empty() && is_version_token(version) {
        return;
    }
    cx.report(
        Diagnostic::new(
            &rules::FLUX_API_VERSION,
            obj.file,
            cx.span(obj.file, api.node),
            format!(
                "apiVersion {:?} is malformed: it must be {IMAGE_GROUP}/<version>; the API server rejects the object",
                api.value
            ),
        )
        .severity(Severity::Error)
        .help(format!("use apiVersion: {IMAGE_GROUP}/v1")),
    );
}

/// The fields a Flux image object's CRD requires, and ImagePolicy's one
/// policy kind (IU305). A field counts when it holds a non-null scalar.
fn flux_required(cx: &mut Context, obj: &Object, yaml: &Yaml, spec: Option<NodeId>) {
    let file = obj.file;
    let kind = obj.kind();
    let Some(spec) = spec else {
        cx.report(Diagnostic::new(
            &rules::MISSING_FIELD,
            file,
            cx.span(file, obj.root),
            format!("{kind} has no spec"),
        ));
        return;
    };
    let spec_span = cx.span(file, spec);
    let required = |cx: &mut Context, path: &[&str]| {
        if str_at(yaml, spec, path).is_none() {
            cx.report(Diagnostic::new(
                &rules::MISSING_FIELD,
                file,
                spec_span,
                format!("{kind} requires spec.{}", path.join(".")),
            ));
        }
    };
    match kind {
        "ImageRepository" => {
            required(cx, &["image"]);
            required(cx, &["interval"]);
        }
        "ImagePolicy" => {
            policy_choice(cx, file, yaml, spec);
            required(cx, &["imageRepositoryRef", "name"]);
        }
        "ImageUpdateAutomation" => {
            required(cx, &["interval"]);
            required(cx, &["sourceRef", "name"]);
            if obj.version() == "v1" || obj.version() == "v1beta2" {
                match yaml.get(spec, "git") {
                    None => cx.report(Diagnostic::new(
                        &rules::MISSING_FIELD,
                        file,
                        spec_span,
                        "ImageUpdateAutomation needs spec.git (checkout, commit author, push)",
                    )),
                    Some(git) if str_at(yaml, git, &["commit", "author", "email"]).is_none() => cx
                        .report(Diagnostic::new(
                            &rules::MISSING_FIELD,
                            file,
                            cx.span(file, git),
                            "spec.git.commit.author.email is required",
                        )),
                    Some(_) => {}
                }
            }
        }
        _ => {}
    }
}

/// `spec.policy` with exactly one of semver, alphabetical, numerical, and
/// a semver with its range.
fn policy_choice(cx: &mut Context, file: FileId, yaml: &Yaml, spec: NodeId) {
    let Some((key, policy)) = yaml.entry(spec, "policy") else {
        cx.report(Diagnostic::new(
            &rules::MISSING_FIELD,
            file,
            cx.span(file, spec),
            "ImagePolicy requires spec.policy",
        ));
        return;
    };
    let choices: Vec<&str> = ["semver", "alphabetical", "numerical"]
        .into_iter()
        .filter(|k| yaml.get(policy, k).is_some())
        .collect();
    match choices.as_slice() {
        [] => cx.report(Diagnostic::new(
            &rules::POLICY_CHOICE,
            file,
            cx.span(file, policy),
            "spec.policy sets none of semver, alphabetical, numerical; the policy is Stalled",
        )),
        [_] => {}
        [first, ..] => cx.report(Diagnostic::new(
            &rules::POLICY_CHOICE,
            file,
            cx.span(file, key),
            format!(
                "spec.policy sets {}; Flux silently uses only {first}",
                choices.join(" and ")
            ),
        )),
    }
    if let Some(semver) = yaml.get(policy, "semver")
        && str_at(yaml, semver, &["range"]).is_none()
    {
        cx.report(Diagnostic::new(
            &rules::MISSING_FIELD,
            file,
            cx.span(file, semver),
            "policy.semver requires range",
        ));
    }
}

fn top_level(yaml: &crate::yaml::Yaml, root: crate::yaml::NodeId, out: &mut Vec<Unknown>) {
    for &(k, _) in yaml.entries(root) {
        if let Some(name) = yaml.str(k)
            && !schema::OBJECT_TOP.contains(&name)
        {
            out.push(Unknown {
                key: k,
                name: name.to_owned(),
                parent: String::new(),
                siblings: schema::OBJECT_TOP.to_vec(),
            });
        }
    }
}

fn report(cx: &mut Context, file: FileId, kind: &str, u: &Unknown) {
    let at = if u.parent.is_empty() {
        String::new()
    } else {
        format!(" in {}", u.parent)
    };
    let mut d = Diagnostic::new(
        &rules::UNKNOWN_FIELD,
        file,
        cx.span(file, u.key),
        format!("{kind} has no field {:?}{at}; it is ignored", u.name),
    );
    if let Some(close) = super::did_you_mean(&u.name, u.siblings.iter().copied()) {
        d = d.help(format!("did you mean {close:?}?"));
    }
    cx.report(d);
}

/// The Argo CR's required lists and keys, alias syntax and uniqueness per
/// ref, one manifest target kind.
fn image_updater(cx: &mut Context, file: FileId, yaml: &Yaml, spec: NodeId) {
    argo_write_back_extras(cx, file, yaml, spec);
    for r in argo::application_refs(yaml, spec) {
        argo_write_back_extras(cx, file, yaml, r.node);
        for img in r.images {
            verification(cx, file, yaml, img);
        }
    }
    let refs = argo::application_refs(yaml, spec);
    if refs.is_empty() {
        cx.report(Diagnostic::new(
            &rules::MISSING_FIELD,
            file,
            cx.span(file, spec),
            "ImageUpdater requires spec.applicationRefs with at least one entry",
        ));
    }
    for r in refs {
        if r.name_pattern.is_none() {
            cx.report(Diagnostic::new(
                &rules::MISSING_FIELD,
                file,
                cx.span(file, r.node),
                "applicationRefs[] requires namePattern",
            ));
        }
        if r.images.is_empty() && !r.use_annotations {
            cx.report(Diagnostic::new(
                &rules::MISSING_FIELD,
                file,
                cx.span(file, r.node),
                "applicationRefs[] requires images unless useAnnotations is true",
            ));
        }
        let mut seen: Vec<(String, NodeId)> = Vec::new();
        for &img in &r.images {
            let alias = str_at(yaml, img, &["alias"]);
            match &alias {
                None => cx.report(Diagnostic::new(
                    &rules::MISSING_FIELD,
                    file,
                    cx.span(file, img),
                    "images[] requires alias",
                )),
                Some(a) => {
                    if !argo::alias_syntax_ok(&a.value) {
                        cx.report(Diagnostic::new(
                            &rules::INVALID_ALIAS,
                            file,
                            cx.span(file, a.node),
                            format!(
                                "alias {:?} must match ^[a-zA-Z0-9][a-zA-Z0-9-._]*$",
                                a.value
                            ),
                        ));
                    }
                    if let Some((_, first)) = seen.iter().find(|(s, _)| *s == a.value) {
                        cx.report(
                            Diagnostic::new(
                                &rules::DUPLICATE_ALIAS,
                                file,
                                cx.span(file, a.node),
                                format!("alias {:?} is declared twice", a.value),
                            )
                            .related(
                                file,
                                cx.span(file, *first),
                                "first declared here",
                            ),
                        );
                    }
                    seen.push((a.value.clone(), a.node));
                }
            }
            if let Some(targets) = yaml.get(img, "manifestTargets") {
                let kinds: Vec<&str> = ["helm", "kustomize", "plugin"]
                    .into_iter()
                    .filter(|k| yaml.get(targets, k).is_some())
                    .collect();
                if kinds.len() > 1 {
                    cx.report(Diagnostic::new(
                        &rules::CONFLICTING_TARGETS,
                        file,
                        cx.span(
                            file,
                            yaml.entry(img, "manifestTargets")
                                .map_or(targets, |(k, _)| k),
                        ),
                        format!(
                            "manifestTargets sets {}; exactly one is allowed",
                            kinds.join(" and ")
                        ),
                    ));
                }
            }
            if str_at(yaml, img, &["imageName"]).is_none() {
                cx.report(Diagnostic::new(
                    &rules::MISSING_FIELD,
                    file,
                    cx.span(file, img),
                    "images[] requires imageName",
                ));
            }
        }
    }
}

/// The CRD's rules for the blocks of one level (spec or applicationRef)
/// that nothing offline carries out, so that a misconfigured one is not
/// silently passed over: `imagesVerification` and
/// `writeBackConfig.gitConfig.pullRequest`.
fn argo_write_back_extras(cx: &mut Context, file: FileId, yaml: &Yaml, level: NodeId) {
    verification(cx, file, yaml, level);
    let Some((k, pr)) = yaml
        .path(level, &["writeBackConfig", "gitConfig"])
        .and_then(|g| yaml.entry(g, "pullRequest"))
    else {
        return;
    };
    let providers: Vec<&str> = ["github", "gitlab"]
        .into_iter()
        .filter(|p| yaml.get(pr, p).is_some())
        .collect();
    if providers.len() != 1 {
        cx.report(Diagnostic::new(
            &rules::MISSING_FIELD,
            file,
            cx.span(file, k),
            if providers.is_empty() {
                "pullRequest requires a provider: github or gitlab".to_owned()
            } else {
                "pullRequest takes exactly one provider, not both github and gitlab".to_owned()
            },
        ));
    }
}

/// `imagesVerification`: enabled (the default when the block is there)
/// requires `cosignKey` with `secretName` and `key`.
fn verification(cx: &mut Context, file: FileId, yaml: &Yaml, level: NodeId) {
    let Some((k, block)) = yaml.entry(level, "imagesVerification") else {
        return;
    };
    if !yaml.is_mapping(block) || yaml.path_str(block, &["enabled"]) == Some("false") {
        return;
    }
    let Some((ck, cosign)) = yaml.entry(block, "cosignKey") else {
        cx.report(Diagnostic::new(
            &rules::MISSING_FIELD,
            file,
            cx.span(file, k),
            "imagesVerification requires cosignKey (secretName and key) when enabled",
        ));
        return;
    };
    for key in ["secretName", "key"] {
        if str_at(yaml, cosign, &[key]).is_none_or(|v| v.value.is_empty()) {
            cx.report(Diagnostic::new(
                &rules::MISSING_FIELD,
                file,
                cx.span(file, ck),
                format!("imagesVerification.cosignKey requires {key}"),
            ));
        }
    }
}

/// A KubeSphere `ImageUpdater`'s keys: unknown ones (IU007), keys of the
/// other spelling inside an argo section and both sections at once
/// (IU503), `spec.images` and the section its kind needs.
fn kubesphere(cx: &mut Context, obj: &Object) {
    let file = obj.file;
    let yaml = cx.yaml(file);
    // Without a spec mapping nothing reads the object.
    let Some(spec) = obj.spec(yaml) else { return };
    let mut unknown = Vec::new();
    top_level(yaml, obj.root, &mut unknown);
    schema::unknown_fields(yaml, spec, schema::KUBESPHERE_SPEC, "spec", &mut unknown);
    for u in &unknown {
        let in_argo = u.parent == "spec.argo" || u.parent == "spec.argocd";
        if in_argo && ks::spelling_of_key(&u.name).is_some() {
            mixed_spelling(cx, file, u);
        } else {
            report(cx, file, "ImageUpdater", u);
        }
    }
    let design = yaml.get(spec, "argocd");
    let shipped = yaml.get(spec, "argo");
    if let (Some(_), Some(s)) = (design, shipped) {
        let key = yaml.entry(spec, "argo").map_or(s, |(k, _)| k);
        cx.report(Diagnostic::new(
            &rules::KS_MIXED_SPELLING,
            file,
            cx.span(file, key),
            "both argo (shipped spelling) and argocd (design spelling) sections are present; only one is read",
        ));
    }
    if yaml.get(spec, "images").is_none() {
        cx.report(Diagnostic::new(
            &rules::MISSING_FIELD,
            file,
            cx.span(file, spec),
            "ImageUpdater requires spec.images",
        ));
    }
    let kind = str_at(yaml, spec, &["kind"]);
    // Where a missing-section finding points: the kind, else the `spec:` key.
    let anchor = cx.span(
        file,
        kind.as_ref().map_or_else(
            || yaml.entry(obj.root, "spec").map_or(spec, |(k, _)| k),
            |k| k.node,
        ),
    );
    let missing = match kind.as_ref().map_or("argocd", |k| k.value.as_str()) {
        "argocd" if shipped.or(design).is_none() => {
            "kind argocd needs an argo section (argocd in the design spelling); without it the controller does nothing"
        }
        "fluxcd"
            if yaml
                .get(spec, "fluxcd")
                .or_else(|| yaml.get(spec, "flux"))
                .is_none() =>
        {
            "kind fluxcd needs a fluxcd section"
        }
        _ => return,
    };
    cx.report(Diagnostic::new(
        &rules::KS_MISSING_SECTION,
        file,
        anchor,
        missing,
    ));
}

/// A key of the other spelling inside an argo section: ignored by the
/// controller, so IU503 rather than a plain unknown field.
fn mixed_spelling(cx: &mut Context, file: FileId, u: &Unknown) {
    let section = if u.parent == "spec.argo" {
        Spelling::Shipped
    } else {
        Spelling::Design
    };
    let other = ks::ALIAS_MAPS
        .iter()
        .find(|(d, s, _)| *d == u.name || *s == u.name)
        .map(|(d, s, _)| if section == Spelling::Shipped { *s } else { *d })
        .unwrap_or_default();
    cx.report(
        Diagnostic::new(
            &rules::KS_MIXED_SPELLING,
            file,
            cx.span(file, u.key),
            format!(
                "{:?} is the {} spelling, but this is the {} section; the key is ignored",
                u.name,
                if section == Spelling::Shipped {
                    "design"
                } else {
                    "shipped"
                },
                section.section()
            ),
        )
        .help(format!("write {other:?}")),
    );
}
