//! Flux image automation (image.toolkit.fluxcd.io/v1): [`write`](fn@write) turns one
//! [`Updater`] into ImageRepository, ImagePolicy and ImageUpdateAutomation
//! documents in the style of `flux create image … --export`, with the
//! remarks export turns into IU701–IU703. Reading is
//! [`crate::model::read::flux`].
//!
//! # Writing
//!
//! Per image an ImageRepository and an ImagePolicy of the same name, and
//! one ImageUpdateAutomation for the updater, with only the fields the
//! spec sets (no CRD defaults such as `provider` or `exclusionList`), like
//! `flux create image … --export`. An updater that names no way of writing
//! (engine Fluxcd, no write method, no git settings: policies no automation
//! used) gets no automation, so Flux → spec → Flux keeps it that way.
//! No `policySelector` is written (the spec has no labels): the automation
//! uses every policy of its namespace, and the markers decide what it
//! writes. Documents come out in the driver's sort order, so images read
//! back come in name order.
//!
//! | spec | Flux |
//! |---|---|
//! | `Semver` + constraint | `policy.semver.range` (checked as Masterminds) |
//! | `Semver` (or no strategy) without constraint | `range: '*'` (Normalized) |
//! | `Alphabetical { desc }` / `Numerical { desc }` | `policy.alphabetical.order` / `policy.numerical.order` (`asc` or `desc`) |
//! | `Digest` + constraint tag `T` | `filterTags.pattern: ^T$`, alphabetical asc, `digestReflectionPolicy: Always` (Normalized) |
//! | `NewestBuild`, `Digest` without a tag | no ImagePolicy (NoEquivalent; the ImageRepository is still written) |
//! | `tag_pattern` / `extract` | `filterTags.pattern` / `.extract` (no `extract: ""`: the field is optional) |
//! | `pull_secret: Secret` | ImageRepository `secretRef.name` |
//! | `scan_interval` | ImageRepository `interval` |
//! | `reflect_digest` | `digestReflectionPolicy`; with `Always`, policy `interval` = the scan interval |
//! | `git.*` | automation `sourceRef`, `git.checkout/commit/push`, `update`, `interval` |
//!
//! `*` because Argo CD Image Updater ≥ 1.3 reads an empty semver
//! constraint as `*` (same Masterminds library, prereleases excluded); Flux
//! also skips tags with fewer than three version parts, which Argo coerces.
//! The digest mapping follows the one tag with its digest reflected, which
//! is what Argo's digest strategy does.
//!
//! NoEquivalent remarks: `ignore_tags`, `platforms`, `force_update`, a
//! constraint with a non-semver strategy, helm / kustomize targets (the
//! remark names the setter markers to add instead), `app`, write
//! `InCluster` (Flux only writes to git; the automation is written
//! anyway), git credentials, `git.repository` (Flux reads it from the
//! GitRepository), `git.target`, a templated push branch, a message
//! template Flux cannot run, a pull secret in another namespace or any
//! non-Secret credential, a sourceRef kind other than GitRepository.
//! Skipped: an image whose name is not a valid repository, or whose range,
//! pattern or extract Flux would reject (so the output passes `validate`).
//!
//! Normalizations (Normalized remarks unless said otherwise):
//! - names: the alias, else the last path segment of the image, lowercased,
//!   every character outside `[a-z0-9-]` made `-`, runs of `-` squeezed,
//!   trimmed to 63 bytes with no `-` at either end (`image` when nothing is
//!   left); a name already taken in the updater gets `-2`, `-3`, … The
//!   ImageRepository shares its policy's name. Remark when the alias
//!   changes;
//! - namespace: `--namespace`, else the updater's, else `flux-system`;
//! - durations in Go's canonical form (`5m` → `5m0s`, `90s` → `1m30s`,
//!   `1.5h` → `1h30m0s`), silently; an invalid one, or a missing
//!   repository or automation interval, becomes `1m0s` (`flux create`'s
//!   default) with a remark;
//! - automation: sourceRef GitRepository `flux-system` (with `namespace:
//!   flux-system` when the objects go elsewhere), checkout branch
//!   `main`, author `fluxcdbot` / `fluxcdbot@users.noreply.github.com`,
//!   `update.path: ./` when missing; `update.strategy: Setters` always;
//!   `push.branch` only when it differs from the checkout branch (silently);
//! - the automation is named after `git.automation`, else the updater.

use serde_json::{Map, Value, json};

use crate::export::{WriteOptions, Written};
use crate::gosyntax::{regex as goregex, template};
use crate::model::flux::canonical_interval;
use crate::model::image;
use crate::model::spec::{
    Engine, Field, Git, Image, Origin, PullSecret, Remark, RemarkKind, Strategy, Updater,
    WriteMethod,
};
use crate::resolve::constraint::Constraint;

const API_VERSION: &str = "image.toolkit.fluxcd.io/v1";
const DEFAULT_NAMESPACE: &str = "flux-system";
/// `flux create`'s `--interval` default.
const DEFAULT_INTERVAL: &str = "1m0s";
const DEFAULT_BRANCH: &str = "main";
const DEFAULT_AUTHOR: &str = "fluxcdbot";
const DEFAULT_EMAIL: &str = "fluxcdbot@users.noreply.github.com";
const MAX_NAME: usize = 63;

// ---------------------------------------------------------------------------
// Writing

pub fn write(u: &Updater, options: &WriteOptions) -> Written {
    write_qualified(u, options, None)
}

/// [`write`], with every image's object name led by `qualifier` (the
/// application an image belongs to), for images whose plain names other
/// updaters generate too, with other content.
pub fn write_qualified(u: &Updater, options: &WriteOptions, qualifier: Option<&str>) -> Written {
    let mut w = Writer {
        u,
        qualifier: qualifier.map(str::to_owned),
        remarks: Vec::new(),
        documents: Vec::new(),
    };
    let ns = match (&options.namespace, &u.namespace) {
        (Some(ns), _) | (None, Some(ns)) => ns.clone(),
        (None, None) => {
            w.normalized(
                None,
                "metadata.namespace",
                format!("no namespace given; the objects go to {DEFAULT_NAMESPACE}"),
            );
            DEFAULT_NAMESPACE.to_owned()
        }
    };
    let mut names: Vec<String> = Vec::new();
    let mut policies: Vec<(String, &Image)> = Vec::new();
    for img in &u.images {
        if let Some(name) = w.image(img, &ns, &mut names) {
            policies.push((name, img));
        }
    }
    for (name, img) in &policies {
        w.markers(img, &ns, name);
    }
    if let Some(o) = u.app.name.as_ref().or(u.app.namespace.as_ref()) {
        let what = u.app.name.as_ref().map_or_else(
            || "the Application namespace".to_owned(),
            |n| format!("Application {}", n.value),
        );
        w.no_equivalent(
            o.origin,
            "app",
            format!("Flux drives no Argo CD Application; {what} is not referenced"),
        );
    }
    let silent = u.engine == Engine::Fluxcd && u.write.is_none() && u.git == Git::default();
    if !silent {
        w.automation(&ns);
    }
    Written {
        documents: w.documents,
        remarks: w.remarks,
    }
}

struct Writer<'a> {
    u: &'a Updater,
    /// Leads every image's object name (see [`write_qualified`]).
    qualifier: Option<String>,
    remarks: Vec<Remark>,
    documents: Vec<Value>,
}

/// What an image's ImagePolicy selects by.
enum Choice {
    Semver(String),
    Alphabetical(bool),
    Numerical(bool),
}

impl Writer<'_> {
    fn no_equivalent(&mut self, origin: Option<Origin>, field: &str, msg: impl Into<String>) {
        self.remarks.push(Remark::no_equivalent(origin, field, msg));
    }

    fn normalized(&mut self, origin: Option<Origin>, field: &str, msg: impl Into<String>) {
        self.remarks
            .push(Remark::new(RemarkKind::Normalized, origin, field, msg));
    }

    fn skipped(&mut self, origin: Option<Origin>, field: &str, msg: impl Into<String>) {
        self.remarks
            .push(Remark::new(RemarkKind::Skipped, origin, field, msg));
    }

    /// A Go duration for an interval field: canonical, or the default with
    /// a remark.
    fn interval(
        &mut self,
        given: Option<&Field<String>>,
        fallback: Option<Origin>,
        field: &str,
    ) -> String {
        match given {
            Some(f) => match canonical_interval(&f.value) {
                Some(d) => d,
                None => {
                    self.normalized(
                        f.origin,
                        field,
                        format!(
                            "{:?} is not a duration Flux accepts; {DEFAULT_INTERVAL} is written",
                            f.value
                        ),
                    );
                    DEFAULT_INTERVAL.to_owned()
                }
            },
            None => {
                self.normalized(
                    fallback,
                    field,
                    format!("not set; {DEFAULT_INTERVAL} is written, as flux create does"),
                );
                DEFAULT_INTERVAL.to_owned()
            }
        }
    }

    /// The ImageRepository and ImagePolicy for one image; the name they
    /// share when the policy was written.
    fn image(&mut self, img: &Image, ns: &str, names: &mut Vec<String>) -> Option<String> {
        let label = img
            .alias
            .as_ref()
            .map_or(img.name.value.as_str(), |a| a.value.as_str())
            .to_owned();
        let field = |f: &str| format!("images[{label}].{f}");
        if let Err(err) = image::validate_repository(&img.name.value) {
            self.skipped(
                img.name.origin.or(img.origin),
                &field("name"),
                format!(
                    "{:?} is not a repository Flux can scan: {err}",
                    img.name.value
                ),
            );
            return None;
        }
        let base = img.alias.as_ref().map_or_else(
            || {
                img.name
                    .value
                    .rsplit('/')
                    .next()
                    .unwrap_or(&img.name.value)
                    .to_owned()
            },
            |a| a.value.clone(),
        );
        let base = match &self.qualifier {
            Some(q) => format!("{q}-{base}"),
            None => base,
        };
        let name = unique_name(&sanitize_name(&base), names);
        if let Some(q) = &self.qualifier {
            self.normalized(
                img.alias.as_ref().and_then(|a| a.origin).or(img.origin),
                &field("name"),
                format!(
                    "another application's image has the name {label} too; the objects are named {name} after application {q}"
                ),
            );
        } else if let Some(a) = &img.alias
            && a.value != name
        {
            self.normalized(
                a.origin,
                &field("alias"),
                format!("not a valid object name; the objects are named {name}"),
            );
        }

        let mut repo_spec = Map::new();
        repo_spec.insert("image".into(), json!(img.name.value));
        let scan = self.interval(
            img.scan_interval.as_ref(),
            img.origin,
            &field("scanInterval"),
        );
        repo_spec.insert("interval".into(), json!(scan));
        if let Some(ps) = &img.pull_secret {
            match &ps.value {
                PullSecret::Secret { namespace, name } if namespace.as_deref().is_none_or(|n| n == ns) => {
                    repo_spec.insert("secretRef".into(), json!({ "name": name }));
                }
                PullSecret::Secret { namespace, name } => self.no_equivalent(
                    ps.origin,
                    &field("pullSecret"),
                    format!(
                        "Secret {}/{name} is in another namespace than the ImageRepository ({ns}); copy it into {ns} and set spec.secretRef",
                        namespace.as_deref().unwrap_or_default()
                    ),
                ),
                PullSecret::Other(text) => self.no_equivalent(
                    ps.origin,
                    &field("pullSecret"),
                    format!("{text:?}: Flux reads registry credentials only from a docker-registry Secret (spec.secretRef)"),
                ),
            }
        }
        self.documents
            .push(object("ImageRepository", &name, ns, repo_spec));

        for (set, what) in [
            (img.ignore_tags.as_ref().map(|f| f.origin), "ignoreTags"),
            (img.platforms.as_ref().map(|f| f.origin), "platforms"),
            (img.force_update.as_ref().map(|f| f.origin), "forceUpdate"),
        ] {
            if let Some(o) = set {
                let why = match what {
                    "ignoreTags" => {
                        "ImagePolicy has one include pattern (filterTags.pattern) and no ignore globs"
                    }
                    "platforms" => "Flux selects tags without looking at platforms",
                    _ => "Flux updates only the values its setter markers point at",
                };
                self.no_equivalent(o, &field(what), why);
            }
        }

        let mut spec = Map::new();
        spec.insert("imageRepositoryRef".into(), json!({ "name": name }));
        let strategy = img.strategy.as_ref().map(|s| s.value);
        let strategy_origin = img.strategy.as_ref().and_then(|s| s.origin);
        let mut pattern = img.tag_pattern.clone();
        let mut reflect = img.reflect_digest.clone();
        let choice = match strategy {
            None | Some(Strategy::Semver) => {
                let range = match &img.constraint {
                    Some(c) => c.value.clone(),
                    None => {
                        self.normalized(
                            strategy_origin.or(img.origin),
                            &field("constraint"),
                            "semver without a constraint: range '*' selects what Argo CD Image Updater ≥ 1.3 selects (no prereleases); Flux also ignores tags with fewer than three version parts",
                        );
                        "*".to_owned()
                    }
                };
                if strategy.is_none() && img.constraint.is_some() {
                    self.normalized(
                        img.origin,
                        &field("strategy"),
                        "no strategy given: semver, the Argo CD Image Updater default",
                    );
                }
                if let Err(err) = Constraint::parse(&range) {
                    self.skipped(
                        img.constraint.as_ref().and_then(|c| c.origin),
                        &field("constraint"),
                        format!("semver range {range:?} does not parse ({err}); no ImagePolicy {name} is written"),
                    );
                    return Some(name);
                }
                Choice::Semver(range)
            }
            Some(Strategy::Alphabetical { desc }) => Choice::Alphabetical(desc),
            Some(Strategy::Numerical { desc }) => Choice::Numerical(desc),
            Some(Strategy::Digest) => {
                let Some(tag) = &img.constraint else {
                    self.no_equivalent(
                        strategy_origin,
                        &field("strategy"),
                        format!("digest without a tag to follow; no ImagePolicy {name} is written"),
                    );
                    return Some(name);
                };
                if let Some(p) = &pattern {
                    self.no_equivalent(
                        p.origin,
                        &field("tagPattern"),
                        "the digest strategy follows one tag; the tag filter is replaced",
                    );
                }
                pattern = Some(Field::made(format!("^{}$", escape_tag(&tag.value))));
                reflect = Some(Field::made("Always".to_owned()));
                self.normalized(
                    strategy_origin,
                    &field("strategy"),
                    format!(
                        "digest of tag {:?}: filterTags.pattern ^{}$, alphabetical, digestReflectionPolicy Always",
                        tag.value,
                        escape_tag(&tag.value)
                    ),
                );
                Choice::Alphabetical(false)
            }
            Some(Strategy::NewestBuild) => {
                self.no_equivalent(
                    strategy_origin,
                    &field("strategy"),
                    format!("newest-build: Flux does not read image build dates; no ImagePolicy {name} is written (ImageRepository {name} is, for a policy added by hand)"),
                );
                return Some(name);
            }
        };
        if let (Some(c), Choice::Alphabetical(_) | Choice::Numerical(_)) =
            (&img.constraint, &choice)
            && strategy != Some(Strategy::Digest)
        {
            self.no_equivalent(
                c.origin,
                &field("constraint"),
                format!(
                    "{:?} is ignored: only semver policies take a range",
                    c.value
                ),
            );
        }
        spec.insert(
            "policy".into(),
            match &choice {
                Choice::Semver(r) => json!({ "semver": { "range": r } }),
                Choice::Alphabetical(desc) => json!({ "alphabetical": { "order": order(*desc) } }),
                Choice::Numerical(desc) => json!({ "numerical": { "order": order(*desc) } }),
            },
        );

        let mut filter = Map::new();
        if let Some(p) = &pattern {
            match goregex::compile_go_regex(&p.value) {
                Err(err) if err.kind != goregex::GoRegexErrorKind::Unsupported => {
                    self.skipped(
                        p.origin,
                        &field("tagPattern"),
                        format!("{:?} is not a Go regular expression ({err}); no ImagePolicy {name} is written", p.value),
                    );
                    return Some(name);
                }
                Ok(re) => {
                    if let Some(e) = &img.extract {
                        let unknown = goregex::unknown_groups(&re, &e.value);
                        if let Some((group, _)) = unknown.first() {
                            self.skipped(
                                e.origin,
                                &field("extract"),
                                format!("extract names group {group:?}, which the pattern does not define; no ImagePolicy {name} is written"),
                            );
                            return Some(name);
                        }
                    }
                }
                Err(_) => {}
            }
            filter.insert("pattern".into(), json!(p.value));
            if let Some(e) = &img.extract {
                filter.insert("extract".into(), json!(e.value));
            }
        } else if let Some(e) = &img.extract {
            self.no_equivalent(
                e.origin,
                &field("extract"),
                "an extract needs a tag pattern; it is left out",
            );
        }
        if !filter.is_empty() {
            spec.insert("filterTags".into(), Value::Object(filter));
        }
        if let Some(r) = &reflect {
            match r.value.as_str() {
                "Always" => {
                    spec.insert("digestReflectionPolicy".into(), json!("Always"));
                    // The CRD requires an interval with Always; the scan
                    // interval is the natural refresh rate.
                    spec.insert("interval".into(), json!(scan));
                }
                "Never" | "IfNotPresent" => {
                    spec.insert("digestReflectionPolicy".into(), json!(r.value));
                }
                other => self.no_equivalent(
                    r.origin,
                    &field("reflectDigest"),
                    format!("{other:?} is not Never, IfNotPresent or Always"),
                ),
            }
        }
        self.documents.push(object("ImagePolicy", &name, ns, spec));
        Some(name)
    }

    /// Flux finds where to write from markers in the files: tell the user
    /// which to add for the targets the spec names.
    fn markers(&mut self, img: &Image, ns: &str, policy: &str) {
        let label = img
            .alias
            .as_ref()
            .map_or(img.name.value.as_str(), |a| a.value.as_str());
        let marker = |suffix: &str| format!("# {{\"$imagepolicy\": \"{ns}:{policy}{suffix}\"}}");
        if let Some(h) = &img.helm {
            let mut steps = Vec::new();
            let mut first = None;
            for (f, suffix) in [(&h.spec, ""), (&h.name, ":name"), (&h.tag, ":tag")] {
                if let Some(f) = f {
                    first = first.or(f.origin);
                    steps.push(format!(
                        "`{}` after the value of key {}",
                        marker(suffix),
                        f.value
                    ));
                }
            }
            self.no_equivalent(
                first.or(img.origin),
                &format!("images[{label}].helm"),
                format!(
                    "Flux writes where setter markers point; in the values file, add {}",
                    steps.join(", ")
                ),
            );
        }
        if let Some(k) = &img.kustomize_name {
            self.no_equivalent(
                k.origin,
                &format!("images[{label}].kustomize"),
                format!(
                    "Flux writes where setter markers point; in kustomization.yaml, on the images entry named {}, add `{}` after newName and `{}` after newTag",
                    k.value,
                    marker(":name"),
                    marker(":tag")
                ),
            );
        }
    }

    fn automation(&mut self, ns: &str) {
        let u = self.u;
        let g = &u.git;
        match u.write.as_ref() {
            Some(Field {
                value: WriteMethod::InCluster,
                origin,
            }) => self.no_equivalent(
                *origin,
                "write",
                "Flux only writes to git; the ImageUpdateAutomation commits the updates",
            ),
            Some(Field {
                value:
                    WriteMethod::Git {
                        credentials: Some(c),
                    },
                origin,
            }) => self.no_equivalent(
                *origin,
                "write",
                format!("git credentials {c:?}: Flux pushes with the GitRepository's secretRef"),
            ),
            _ => {}
        }
        if let Some(r) = &g.repository {
            self.no_equivalent(
                r.origin,
                "git.repository",
                format!(
                    "Flux pushes to the GitRepository named in sourceRef; point it at {}",
                    r.value
                ),
            );
        }
        if let Some(t) = &g.target {
            self.no_equivalent(
                t.origin,
                "git.target",
                format!(
                    "write-back target {:?}: Flux edits the marked files in place",
                    t.value
                ),
            );
        }

        let mut source = Map::new();
        match &g.source_ref {
            Some(s) => {
                if s.value.kind != "GitRepository" {
                    self.no_equivalent(
                        s.origin,
                        "git.sourceRef.kind",
                        format!(
                            "{:?}: an automation can only use a GitRepository",
                            s.value.kind
                        ),
                    );
                }
                source.insert("kind".into(), json!("GitRepository"));
                source.insert("name".into(), json!(s.value.name));
                if let Some(n) = &s.value.namespace {
                    source.insert("namespace".into(), json!(n));
                }
            }
            None => {
                self.normalized(
                    None,
                    "git.sourceRef",
                    format!(
                        "not set; GitRepository {DEFAULT_NAMESPACE}/flux-system (the bootstrap repository) is used"
                    ),
                );
                source.insert("kind".into(), json!("GitRepository"));
                source.insert("name".into(), json!("flux-system"));
                // The bootstrap repository lives in flux-system, wherever
                // the automation goes.
                if ns != DEFAULT_NAMESPACE {
                    source.insert("namespace".into(), json!(DEFAULT_NAMESPACE));
                }
            }
        }

        let checkout = match &g.checkout_branch {
            Some(b) => b.value.clone(),
            None => {
                self.normalized(
                    None,
                    "git.checkoutBranch",
                    format!("not set; branch {DEFAULT_BRANCH} is checked out"),
                );
                DEFAULT_BRANCH.to_owned()
            }
        };
        let mut author = Map::new();
        for (f, key, default) in [
            (&g.author_name, "name", DEFAULT_AUTHOR),
            (&g.author_email, "email", DEFAULT_EMAIL),
        ] {
            let value = match f {
                Some(v) => v.value.clone(),
                None => {
                    self.normalized(
                        None,
                        &format!("git.author.{key}"),
                        format!("not set; {default} is written"),
                    );
                    default.to_owned()
                }
            };
            author.insert(key.into(), json!(value));
        }
        let mut commit = Map::new();
        commit.insert("author".into(), Value::Object(author));
        if let Some(t) = &g.message_template {
            match flux_template_problem(&t.value) {
                None => {
                    commit.insert("messageTemplate".into(), json!(t.value));
                }
                Some(why) => self.no_equivalent(
                    t.origin,
                    "git.messageTemplate",
                    format!("{why}; Flux's default message is used"),
                ),
            }
        }
        if let Some(k) = &g.signing_key {
            let mut key = Map::new();
            key.insert("secretRef".into(), json!({ "name": k.value.secret }));
            match k.value.kind.as_deref() {
                None => {}
                Some(t @ ("gpg" | "ssh")) => {
                    key.insert("type".into(), json!(t));
                }
                Some(other) => self.no_equivalent(
                    k.origin,
                    "git.signingKey.type",
                    format!("{other:?}: Flux signs with gpg or ssh; its default (gpg) is used"),
                ),
            }
            commit.insert("signingKey".into(), Value::Object(key));
        }
        let mut git = Map::new();
        git.insert("checkout".into(), json!({ "ref": { "branch": checkout } }));
        git.insert("commit".into(), Value::Object(commit));
        if let Some(p) = &g.push_branch {
            if p.value.contains("{{") {
                self.no_equivalent(
                    p.origin,
                    "git.pushBranch",
                    format!(
                        "{:?} is a template; Flux pushes to a fixed branch, so it pushes to {checkout}",
                        p.value
                    ),
                );
            } else if p.value != checkout {
                git.insert("push".into(), json!({ "branch": p.value }));
            }
        }

        let path = match &g.path {
            Some(p) => p.value.clone(),
            None => {
                self.normalized(
                    None,
                    "git.path",
                    "not set; update.path ./ (the whole repository) is written",
                );
                "./".to_owned()
            }
        };
        let interval = self.interval(g.interval.as_ref(), None, "git.interval");
        let mut spec = Map::new();
        spec.insert("git".into(), Value::Object(git));
        spec.insert("interval".into(), json!(interval));
        spec.insert("sourceRef".into(), Value::Object(source));
        spec.insert(
            "update".into(),
            json!({ "path": path, "strategy": "Setters" }),
        );
        let wanted = g
            .automation
            .as_ref()
            .map_or(u.name.as_str(), |a| a.value.as_str());
        let name = sanitize_name(wanted);
        if name != wanted {
            self.normalized(
                g.automation.as_ref().and_then(|a| a.origin),
                "name",
                format!("{wanted:?} is not a valid object name; the automation is named {name}"),
            );
        }
        self.documents
            .push(object("ImageUpdateAutomation", &name, ns, spec));
    }
}

fn order(desc: bool) -> &'static str {
    if desc { "desc" } else { "asc" }
}

fn object(kind: &str, name: &str, ns: &str, spec: Map<String, Value>) -> Value {
    json!({
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": { "name": name, "namespace": ns },
        "spec": Value::Object(spec),
    })
}

/// Why Flux could not run `tpl` as a commit message template, if it
/// could not.
fn flux_template_problem(tpl: &str) -> Option<String> {
    let info = match template::parse_template(tpl) {
        Ok(info) => info,
        Err(err) => return Some(format!("the template does not parse ({err})")),
    };
    if let Some((f, _)) = info.unknown_functions().first() {
        return Some(format!(
            "the template calls {f:?}, which Flux does not define"
        ));
    }
    for field in &info.fields {
        let Some(path) = field.top_level_path() else {
            continue;
        };
        let removed = matches!(path, [first, ..] if first == "Updated")
            || matches!(path, [first, second, ..] if first == "Changed" && second == "ImageResult");
        let known = matches!(
            path.first().map(String::as_str),
            None | Some("AutomationObject" | "Changed" | "Values")
        );
        if removed || !known {
            return Some(format!(
                "the template reads .{}, which Flux's template data does not have",
                path.join(".")
            ));
        }
    }
    None
}

/// An RFC 1123 label made from `raw` (see the module docs).
fn sanitize_name(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    }
    out.truncate(MAX_NAME);
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "image".to_owned()
    } else {
        out.to_owned()
    }
}

fn unique_name(base: &str, taken: &mut Vec<String>) -> String {
    let mut name = base.to_owned();
    let mut n = 2;
    while taken.contains(&name) {
        let suffix = format!("-{n}");
        let keep = base.len().min(MAX_NAME - suffix.len());
        name = format!("{}{suffix}", base[..keep].trim_end_matches('-'));
        n += 1;
    }
    taken.push(name.clone());
    name
}

/// A tag as a regex matching only itself.
fn escape_tag(tag: &str) -> String {
    let mut out = String::new();
    for c in tag.chars() {
        if c.is_ascii_punctuation() && c != '-' && c != '_' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests;
