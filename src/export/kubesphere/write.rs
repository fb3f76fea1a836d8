//! Writes one [`Updater`] as one KubeSphere `ImageUpdater`, built from the
//! types in [`super::types`] and serialized with serde, so the object
//! always fits the CRD `crd` prints. Hands export the document and a
//! remark for every value KubeSphere cannot hold or that was reshaped.

use std::collections::BTreeMap;

use super::types::{
    DesignApp, DesignArgo, DesignFlux, FluxAuthor, FluxBranch, FluxCheckout, FluxCommit, FluxGit,
    FluxPolicy, FluxSemver, FluxSourceRef, FluxUpdate, ImageUpdater, ImageUpdaterSpec, Kind,
    LocalApp, ShippedArgo, UpdateStrategy, Write,
};
use crate::export::{WriteOptions, Written};
use crate::model::spec::{
    Engine, Field, Image, Origin, PullSecret, Remark, RemarkKind, Strategy, Updater, WriteMethod,
};

pub fn write(u: &Updater, options: &WriteOptions) -> Written {
    let mut w = Writer::default();
    let namespace = options
        .namespace
        .clone()
        .or_else(|| u.namespace.clone())
        .or_else(|| u.app.namespace.as_ref().map(|n| n.value.clone()));
    w.common(u);
    let spec = match u.engine {
        Engine::Argocd => w.argo(u, namespace.as_deref()),
        Engine::Fluxcd => w.flux(u, namespace.as_deref()),
    };
    let mut object = ImageUpdater::new(&u.name, spec);
    object.metadata.namespace = namespace;
    match serde_json::to_value(&object) {
        Ok(doc) => Written {
            documents: vec![doc],
            remarks: w.remarks,
        },
        Err(e) => {
            w.remarks.push(Remark::new(
                RemarkKind::Skipped,
                u.from.map(|(_, o)| o),
                "metadata.name",
                format!("the ImageUpdater could not be serialized: {e}"),
            ));
            Written {
                documents: Vec::new(),
                remarks: w.remarks,
            }
        }
    }
}

#[derive(Default)]
struct Writer {
    remarks: Vec<Remark>,
}

impl Writer {
    fn remark(&mut self, kind: RemarkKind, origin: Option<Origin>, field: &str, message: &str) {
        self.remarks.push(Remark::new(kind, origin, field, message));
    }

    fn none<T>(&mut self, f: &Option<Field<T>>, field: &str, message: &str) {
        if let Some(f) = f {
            self.remark(RemarkKind::NoEquivalent, f.origin, field, message);
        }
    }

    /// What neither engine can hold.
    fn common(&mut self, u: &Updater) {
        for img in &u.images {
            let at = |what: &str| format!("images[{}].{what}", img.name.value);
            self.none(
                &img.extract,
                &at("extract"),
                "tags cannot be rewritten before they are compared",
            );
            self.none(
                &img.force_update,
                &at("forceUpdate"),
                "there is no force-update setting",
            );
            self.none(
                &img.scan_interval,
                &at("interval"),
                "registries are scanned on the controller's schedule, not per image",
            );
            self.none(
                &img.reflect_digest,
                &at("digestReflectionPolicy"),
                "digests are not reflected into tags",
            );
            if let Some(helm) = &img.helm {
                for (f, key) in [
                    (&helm.name, "name"),
                    (&helm.tag, "tag"),
                    (&helm.spec, "spec"),
                ] {
                    self.none(
                        f,
                        &at(&format!("helm.{key}")),
                        "the Application's Helm parameters are not named per image",
                    );
                }
            }
            self.none(
                &img.kustomize_name,
                &at("kustomize.name"),
                "the kustomize image name is not configurable",
            );
        }
        let g = &u.git;
        self.none(
            &g.repository,
            "git.repository",
            "the KubeSphere Application's source repository is used",
        );
        self.none(
            &g.target,
            "git.writeBackTarget",
            "the write-back file is not configurable",
        );
        self.none(&g.signing_key, "git.signingKey", "commits are not signed");
    }

    fn argo(&mut self, u: &Updater, namespace: Option<&str>) -> ImageUpdaterSpec {
        let g = &u.git;
        let why = "kind argocd commits through the Application's repository settings";
        self.none(&g.source_ref, "git.sourceRef", why);
        self.none(&g.checkout_branch, "git.checkoutBranch", why);
        self.none(&g.push_branch, "git.pushBranch", why);
        self.none(&g.path, "git.path", why);
        self.none(&g.author_name, "git.author.name", why);
        self.none(&g.author_email, "git.author.email", why);
        self.none(&g.message_template, "git.messageTemplate", why);
        self.none(&g.interval, "git.interval", why);

        let aliases = self.aliases(&u.images, |img| {
            needs_alias(img)
                || img
                    .constraint
                    .as_ref()
                    .is_some_and(|c| c.value.contains('='))
        });
        let mut maps = Maps::default();
        let mut images = Vec::new();
        for (img, alias) in u.images.iter().zip(&aliases) {
            images.push(entry(alias.as_deref(), img, img.constraint.as_ref()));
            let Some(alias) = alias else { continue };
            self.per_alias(img, alias, &mut maps);
        }

        let app_name = match &u.app.name {
            Some(n) => Some(n.value.clone()),
            None if !u.name.is_empty() => {
                self.remark(
                    RemarkKind::Normalized,
                    None,
                    "app.name",
                    "argo.app.name is required; the updater's name is used",
                );
                Some(u.name.clone())
            }
            None => None,
        };
        let write = u.write.as_ref().map(|w| match &w.value {
            WriteMethod::InCluster => Write::BuiltIn,
            WriteMethod::Git { credentials } => {
                if let Some(c) = credentials {
                    let message = format!(
                        "git credentials {c:?} cannot be named; the Application's repository credentials are used"
                    );
                    self.remark(RemarkKind::NoEquivalent, w.origin, "write", &message);
                }
                Write::Git
            }
        });
        // The shipped spelling is what the controller reads; only an
        // Application in another namespace needs the design's app.namespace.
        let app_namespace = u
            .app
            .namespace
            .as_ref()
            .filter(|n| Some(n.value.as_str()) != namespace);
        let mut spec = ImageUpdaterSpec {
            kind: Kind::Argocd,
            images,
            ..Default::default()
        };
        match app_namespace {
            None => {
                spec.argo = Some(ShippedArgo {
                    app: LocalApp { name: app_name },
                    write,
                    update_strategy: maps.strategy,
                    allow_tags: maps.allow,
                    ignore_tags: maps.ignore,
                    platforms: maps.platforms,
                    secrets: maps.secrets,
                })
            }
            Some(ns) => {
                self.remark(
                    RemarkKind::Normalized,
                    ns.origin,
                    "app.namespace",
                    "the Application is in another namespace, which only the design spelling (argocd:) can say; the shipped controller does not read it",
                );
                spec.argocd = Some(DesignArgo {
                    app: Some(DesignApp {
                        name: app_name,
                        namespace: Some(ns.value.clone()),
                    }),
                    write,
                    update_strategy: maps.strategy,
                    allow_tags: maps
                        .allow
                        .into_iter()
                        .map(|(k, v)| (k, format!("regexp:{v}")))
                        .collect(),
                    ignore_tags: maps.ignore,
                    platforms: maps.platforms,
                    secret: maps.secrets,
                })
            }
        }
        spec
    }

    fn per_alias(&mut self, img: &Image, alias: &str, maps: &mut Maps) {
        let at = |what: &str| format!("images[{}].{what}", img.name.value);
        if let Some(s) = &img.strategy {
            match s.value {
                Strategy::Semver
                | Strategy::NewestBuild
                | Strategy::Alphabetical { desc: false }
                | Strategy::Digest => {
                    maps.strategy
                        .insert(alias.to_owned(), s.value.name().to_owned());
                }
                other => {
                    let message = format!(
                        "strategy {} does not exist in Argo CD Image Updater; the default (semver) applies",
                        other.name()
                    );
                    self.remark(
                        RemarkKind::NoEquivalent,
                        s.origin,
                        &at("strategy"),
                        &message,
                    );
                }
            }
        }
        if let Some(p) = &img.tag_pattern {
            maps.allow.insert(alias.to_owned(), p.value.clone());
        }
        if let Some(l) = &img.ignore_tags {
            maps.ignore.insert(alias.to_owned(), l.value.join(","));
        }
        if let Some(l) = &img.platforms {
            maps.platforms.insert(alias.to_owned(), l.value.join(","));
        }
        match img.pull_secret.as_ref().map(|s| (&s.value, s.origin)) {
            Some((PullSecret::Secret { namespace, name }, _)) => {
                let v = match namespace {
                    Some(ns) => format!("{ns}/{name}"),
                    None => name.clone(),
                };
                maps.secrets.insert(alias.to_owned(), v);
            }
            Some((PullSecret::Other(o), origin)) => {
                let message =
                    format!("only pull secrets can be named, not the credential source {o:?}");
                self.remark(
                    RemarkKind::NoEquivalent,
                    origin,
                    &at("pullSecret"),
                    &message,
                );
            }
            None => {}
        }
    }

    /// The alias each image is written with: its own when valid and
    /// unique; otherwise, for an image whose settings are keyed by alias
    /// or whose constraint holds a `=` (which would split the entry as an
    /// alias), one derived from its name.
    fn aliases(&mut self, images: &[Image], needs: impl Fn(&Image) -> bool) -> Vec<Option<String>> {
        let mut taken: Vec<String> = Vec::new();
        let mut out: Vec<Option<String>> = images
            .iter()
            .map(|img| {
                let a = img.alias.as_ref()?;
                (is_alias(&a.value) && !taken.contains(&a.value)).then(|| {
                    taken.push(a.value.clone());
                    a.value.clone()
                })
            })
            .collect();
        for (img, slot) in images.iter().zip(out.iter_mut()) {
            if slot.is_some() {
                continue;
            }
            let (base, origin, message) = match &img.alias {
                Some(a) => (
                    a.value.clone(),
                    a.origin,
                    format!("alias {:?} is invalid or used twice", a.value),
                ),
                None if needs(img) => (
                    img.name
                        .value
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    img.origin.or(img.name.origin),
                    "the image has no alias, which its settings or its constraint need".to_owned(),
                ),
                None => continue,
            };
            let alias = unique(&sanitize(&base), &taken);
            taken.push(alias.clone());
            let message = format!("{message}; written as {alias}={}", img.name.value);
            self.remark(
                RemarkKind::Normalized,
                origin,
                &format!("images[{}].alias", img.name.value),
                &message,
            );
            *slot = Some(alias);
        }
        out
    }

    fn flux(&mut self, u: &Updater, namespace: Option<&str>) -> ImageUpdaterSpec {
        let why = "kind fluxcd has no Argo CD Application";
        self.none(&u.app.name, "app.name", why);
        self.none(&u.app.namespace, "app.namespace", why);
        if let Some(w) = &u.write {
            match &w.value {
                WriteMethod::InCluster => self.remark(
                    RemarkKind::NoEquivalent,
                    w.origin,
                    "write",
                    "kind fluxcd always writes to git",
                ),
                WriteMethod::Git {
                    credentials: Some(c),
                } => {
                    let message = format!("git credentials {c:?} come from the GitRepository");
                    self.remark(RemarkKind::NoEquivalent, w.origin, "write", &message);
                }
                WriteMethod::Git { credentials: None } => {}
            }
        }
        for img in &u.images {
            let at = |what: &str| format!("images[{}].{what}", img.name.value);
            let why = "kind fluxcd has one semver policy for every image";
            if let Some(s) = img
                .strategy
                .as_ref()
                .filter(|s| s.value != Strategy::Semver)
            {
                let message = format!("{why}; strategy {} is dropped", s.value.name());
                self.remark(
                    RemarkKind::NoEquivalent,
                    s.origin,
                    &at("strategy"),
                    &message,
                );
            }
            self.none(&img.tag_pattern, &at("allowTags"), why);
            self.none(&img.ignore_tags, &at("ignoreTags"), why);
            self.none(&img.platforms, &at("platforms"), why);
        }

        // The range is the constraint most images share; entries that
        // differ carry their own, which the reader prefers. An image with
        // no constraint would inherit the range, so then there is none.
        let constraints: Vec<Option<&str>> = u
            .images
            .iter()
            .map(|i| i.constraint.as_ref().map(|c| c.value.as_str()))
            .collect();
        let range = if constraints.iter().all(Option::is_some) {
            constraints
                .iter()
                .flatten()
                .max_by_key(|c| {
                    let count = constraints.iter().filter(|o| o == &&Some(**c)).count();
                    let first = constraints.iter().position(|o| o == &Some(**c));
                    (count, std::cmp::Reverse(first))
                })
                .copied()
        } else {
            None
        };
        fn own<'a>(img: &'a Image, range: Option<&str>) -> Option<&'a Field<String>> {
            img.constraint
                .as_ref()
                .filter(|c| Some(c.value.as_str()) != range)
        }
        if u.images.iter().any(|i| own(i, range).is_some()) {
            let message = match range {
                Some(r) => format!(
                    "the images follow different constraints; policy.semver.range is {r:?} and the others are written in their image entries"
                ),
                None => "not every image has a constraint, so there is no policy.semver.range; each constraint is written in its image entry".to_owned(),
            };
            self.remark(RemarkKind::Normalized, None, "images.constraint", &message);
        }
        let aliases = self.aliases(&u.images, |img| {
            own(img, range).is_some_and(|c| c.value.contains('='))
        });
        let images = u
            .images
            .iter()
            .zip(&aliases)
            .map(|(img, alias)| entry(alias.as_deref(), img, own(img, range)))
            .collect();

        let secret = self.flux_secret(u, namespace);
        let g = &u.git;
        let s = |f: &Option<Field<String>>| f.as_ref().map(|f| f.value.clone());
        let source_ref = g.source_ref.as_ref().map(|r| {
            if let Some(ns) = r.value.namespace.as_deref().filter(|&ns| Some(ns) != namespace) {
                let message = format!(
                    "sourceRef has no namespace; {} {:?} is looked up in the ImageUpdater's namespace, not {ns:?}",
                    r.value.kind, r.value.name
                );
                self.remark(RemarkKind::NoEquivalent, r.origin, "git.sourceRef.namespace", &message);
            }
            FluxSourceRef {
                kind: Some(r.value.kind.clone()),
                name: Some(r.value.name.clone()),
            }
        });
        let author = (g.author_name.is_some() || g.author_email.is_some()).then(|| FluxAuthor {
            email: s(&g.author_email),
            name: s(&g.author_name),
        });
        let commit = (author.is_some() || g.message_template.is_some()).then(|| FluxCommit {
            author,
            message_template: s(&g.message_template),
        });
        let checkout = g.checkout_branch.as_ref().map(|b| FluxCheckout {
            reference: Some(FluxBranch {
                branch: Some(b.value.clone()),
            }),
        });
        let push = g.push_branch.as_ref().map(|b| FluxBranch {
            branch: Some(b.value.clone()),
        });
        let git = (checkout.is_some() || commit.is_some() || push.is_some()).then_some(FluxGit {
            checkout,
            commit,
            push,
        });
        let fluxcd = DesignFlux {
            interval: s(&g.interval),
            secret,
            policy: range.map(|r| FluxPolicy {
                semver: Some(FluxSemver {
                    range: Some(r.to_owned()),
                }),
            }),
            source_ref,
            git,
            update: g.path.as_ref().map(|p| FluxUpdate {
                path: Some(p.value.clone()),
                strategy: Some(UpdateStrategy::Setters),
            }),
        };
        ImageUpdaterSpec {
            kind: Kind::Fluxcd,
            images,
            fluxcd: Some(fluxcd),
            ..Default::default()
        }
    }

    /// The one `fluxcd.secret` (a name in the object's namespace).
    fn flux_secret(&mut self, u: &Updater, namespace: Option<&str>) -> Option<String> {
        let mut chosen: Option<&str> = None;
        for img in &u.images {
            let Some(s) = &img.pull_secret else { continue };
            let at = format!("images[{}].pullSecret", img.name.value);
            match &s.value {
                PullSecret::Secret {
                    namespace: ns,
                    name,
                } => {
                    if ns.as_deref().is_some_and(|ns| Some(ns) != namespace) {
                        let message = format!(
                            "fluxcd.secret is a name in the ImageUpdater's namespace; {ns:?}/{name} is elsewhere"
                        );
                        self.remark(RemarkKind::NoEquivalent, s.origin, &at, &message);
                    } else if chosen.is_none_or(|c| c == name) {
                        chosen = Some(name);
                    } else {
                        let message = format!(
                            "kind fluxcd has one pull secret for every image; {name:?} is dropped"
                        );
                        self.remark(RemarkKind::NoEquivalent, s.origin, &at, &message);
                    }
                }
                PullSecret::Other(o) => {
                    let message = format!("only a pull secret can be named, not {o:?}");
                    self.remark(RemarkKind::NoEquivalent, s.origin, &at, &message);
                }
            }
        }
        if chosen.is_some() && u.images.iter().any(|i| i.pull_secret.is_none()) {
            self.remark(
                RemarkKind::Normalized,
                None,
                "fluxcd.secret",
                "fluxcd.secret applies to every image, including those that had no pull secret",
            );
        }
        chosen.map(str::to_owned)
    }
}

#[derive(Default)]
struct Maps {
    strategy: BTreeMap<String, String>,
    allow: BTreeMap<String, String>,
    ignore: BTreeMap<String, String>,
    platforms: BTreeMap<String, String>,
    secrets: BTreeMap<String, String>,
}

/// `[alias=]name[:constraint]`.
fn entry(alias: Option<&str>, img: &Image, constraint: Option<&Field<String>>) -> String {
    let mut s = String::new();
    if let Some(a) = alias {
        s.push_str(a);
        s.push('=');
    }
    s.push_str(&img.name.value);
    if let Some(c) = constraint {
        s.push(':');
        s.push_str(&c.value);
    }
    s
}

fn needs_alias(img: &Image) -> bool {
    img.strategy.is_some()
        || img.tag_pattern.is_some()
        || img.ignore_tags.is_some()
        || img.platforms.is_some()
        || img.pull_secret.is_some()
}

pub(super) use crate::model::argo::alias_syntax_ok as is_alias;

fn sanitize(s: &str) -> String {
    let chars = crate::model::argo::alias_chars(s);
    let trimmed = chars.trim_end_matches('-');
    if trimmed.is_empty() {
        "image".to_owned()
    } else {
        trimmed.to_owned()
    }
}

fn unique(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|c| !taken.contains(c))
        .unwrap_or_default()
}
