//! KubeSphere `ImageUpdater` objects (gitops.kubesphere.io/v1alpha1, either
//! spelling) read into [`Updater`]s, one per object, each value keeping the
//! bytes it came from; the remarks (in `Updater::dropped`) say what was not
//! read. The mapping table is in [`crate::export::kubesphere`].
//!
//! # Reading
//!
//! * Every object of group gitops.kubesphere.io and kind ImageUpdater with
//!   a `spec` mapping, any version. Kind argocd reads `argo` when present,
//!   else `argocd` (as preview does); kind fluxcd reads `fluxcd`. A kind
//!   that is neither is read as argocd, as preview does (Skipped remark).
//! * Skipped remarks, on the key or value: the section the kind does not
//!   use; `argocd` next to `argo`; keys of the other spelling inside a
//!   section; any key the schema does not name (the API server prunes it,
//!   so `argo.app.namespace` too); map keys that name no declared alias,
//!   with a pointed message when the key is an unaliased image's name
//!   (settings are looked up by alias only); unknown strategies, design
//!   `allow-tags` that are neither `regexp:<re>` nor `any`, secrets that
//!   are not `[ns/]name`, `write` values other than built-in/git,
//!   `update.strategy` other than Setters, a `sourceRef` without a name;
//!   image entries that are not strings or not images, and digests in
//!   them.
//! * Normalizations: `latest` → newest-build and `name` → alphabetical
//!   (Normalized remark); design `allow-tags: regexp:X` → X and `any` →
//!   none; design `secret` also accepts Argo's `pullsecret:[ns/]name`, and
//!   keeps `secret:`, `env:`, `ext:` references verbatim (Other); an empty
//!   alias (`=image`) is no alias; shipped `argo.app` gives the
//!   Application the object's namespace, where the controller looks.
//! * Kind fluxcd: every image gets strategy semver, `fluxcd.secret` as its
//!   pull secret, and `policy.semver.range` as its constraint unless its
//!   entry has one (the entry wins, with a Normalized remark when they
//!   differ; preview only looks at the range). Writes go to git.
//! * `Updater::written` keeps, for validate, the kind, every image entry
//!   and the values of the argo section read (shipped, else design) and of
//!   the flux section (fluxcd, else flux) as written, whatever the kind.
//!

use crate::diagnostic::FileId;
use crate::discover::Workspace;
use crate::model::argo::AllowTags;
use crate::model::kubesphere::{self as ks, GROUP, Setting, Spelling};
use crate::model::object::str_at;
use crate::model::spec::{
    App, AsWritten, Dialect, Engine, Field, Image, Origin, PullSecret, Remark, RemarkKind,
    SettingName, SourceRef, Strategy, Updater, WriteMethod,
};
use crate::model::{Model, Object, Str, argo, image, schema, value_subspan};
use crate::yaml::{NodeId, Yaml};

pub fn read(ws: &Workspace, model: &Model) -> Vec<Updater> {
    model
        .objects
        .iter()
        .filter(|o| o.is(GROUP, "ImageUpdater"))
        .filter_map(|o| {
            let yaml = ws.files[o.file].yaml.as_ref()?;
            let cx = Cx {
                file: o.file,
                yaml,
                src: &ws.files[o.file].text,
                dropped: Vec::new(),
            };
            cx.object(o)
        })
        .collect()
}

struct Cx<'a> {
    file: FileId,
    yaml: &'a Yaml,
    src: &'a str,
    dropped: Vec<Remark>,
}

impl Cx<'_> {
    fn origin(&self, node: NodeId) -> Origin {
        Origin {
            file: self.file,
            span: self.yaml.node(node).span,
        }
    }

    /// The origin of part of a scalar (an image entry's alias, name or
    /// constraint).
    fn sub(&self, node: NodeId, range: std::ops::Range<usize>) -> Origin {
        Origin {
            file: self.file,
            span: value_subspan(self.yaml, self.src, node, range),
        }
    }

    fn field(&self, s: Str) -> Field<String> {
        Field::new(s.value, Some(self.origin(s.node)))
    }

    fn at(&self, node: NodeId, keys: &[&str]) -> Option<Field<String>> {
        str_at(self.yaml, node, keys).map(|s| self.field(s))
    }

    fn remark(&mut self, kind: RemarkKind, node: NodeId, field: &str, message: impl Into<String>) {
        let origin = Some(self.origin(node));
        self.dropped.push(Remark::new(kind, origin, field, message));
    }

    /// The key node of a mapping entry, which is where a reader looks for
    /// "this key is ignored".
    fn key(&self, map: NodeId, key: &str) -> NodeId {
        self.yaml.entry(map, key).map_or(map, |(k, _)| k)
    }

    fn object(mut self, obj: &Object) -> Option<Updater> {
        let yaml = self.yaml;
        let spec = obj.spec(yaml)?;
        let engine = self.engine(spec);
        self.unknown_keys(spec);
        let mut images = self.images(spec);
        let mut u = Updater {
            name: obj.name().to_owned(),
            namespace: obj.namespace().map(str::to_owned),
            engine,
            from: Some((Dialect::Kubesphere, self.origin(obj.root))),
            ..Default::default()
        };
        let object_namespace = obj.namespace.clone().map(|n| self.field(n));
        match engine {
            Engine::Argocd => {
                self.ignore_section(spec, "fluxcd", "kind argocd");
                let shipped = yaml.get(spec, "argo");
                let design = yaml.get(spec, "argocd");
                if shipped.is_some() && design.is_some() {
                    let key = self.key(spec, "argocd");
                    self.remark(
                        RemarkKind::Skipped,
                        key,
                        "spec.argocd",
                        "both spellings are present; only the shipped argo section is read, as KubeSphere does",
                    );
                }
                let section = shipped
                    .map(|s| (s, Spelling::Shipped))
                    .or(design.map(|d| (d, Spelling::Design)));
                if let Some((section, spelling)) = section {
                    u.app = self.app(section, spelling, object_namespace);
                    (u.write, u.unknown_write) = self.write(section, spelling);
                    self.alias_maps(section, spelling, &mut images);
                }
            }
            Engine::Fluxcd => {
                self.ignore_section(spec, "argo", "kind fluxcd");
                self.ignore_section(spec, "argocd", "kind fluxcd");
                if let Some(section) = yaml.get(spec, "fluxcd").filter(|&s| yaml.is_mapping(s)) {
                    self.flux(section, &mut u, &mut images);
                    u.write = Some(Field::new(
                        WriteMethod::Git { credentials: None },
                        Some(self.origin(section)),
                    ));
                } else {
                    u.write = Some(Field::made(WriteMethod::Git { credentials: None }));
                }
                for img in &mut images {
                    img.strategy.get_or_insert(Field::made(Strategy::Semver));
                }
            }
        }
        u.images = images;
        u.written = self.written(spec);
        u.dropped = self.dropped;
        Some(u)
    }

    /// Every setting as written, for validate: the kind, each image
    /// entry, the argo section the reader reads (shipped, else design)
    /// and the flux section (fluxcd, else flux), whatever the kind.
    fn written(&self, spec: NodeId) -> Vec<AsWritten> {
        let yaml = self.yaml;
        let mut out = Vec::new();
        let at = super::At {
            file: self.file,
            yaml,
            text: self.src,
        };
        out.extend(at.written(spec, &["kind"], SettingName::Engine));
        if let Some((k, list)) = yaml.entry(spec, "images") {
            for &item in yaml.items(list) {
                out.push(AsWritten {
                    setting: SettingName::Image,
                    key: at.field("images".to_owned(), k),
                    value: yaml.str(item).map(|v| at.field(v.to_owned(), item)),
                });
            }
        }
        let argo = yaml
            .get(spec, "argo")
            .map(|s| (s, Spelling::Shipped))
            .or_else(|| yaml.get(spec, "argocd").map(|s| (s, Spelling::Design)));
        if let Some((section, spelling)) = argo {
            out.push(AsWritten {
                setting: SettingName::ArgoSection,
                key: at.field(spelling.section().to_owned(), section),
                value: None,
            });
            out.extend(at.written(section, &["write"], SettingName::WriteBackMethod));
            for &(_, _, setting) in ks::ALIAS_MAPS {
                let Some(map) = yaml.get(section, ks::key_of(spelling, setting)) else {
                    continue;
                };
                let setting = match setting {
                    Setting::UpdateStrategy => SettingName::UpdateStrategy,
                    // The shipped controller prepends "regexp:" itself.
                    Setting::AllowTags if spelling == Spelling::Shipped => SettingName::TagRegex,
                    Setting::AllowTags => SettingName::AllowTags,
                    Setting::IgnoreTags => SettingName::IgnoreTags,
                    Setting::Platforms => SettingName::Platforms,
                    Setting::Secret => SettingName::SecretName,
                };
                for &(k, v) in yaml.entries(map) {
                    let Some(alias) = yaml.str(k) else { continue };
                    out.push(AsWritten {
                        setting,
                        key: at.field(alias.to_owned(), k),
                        value: yaml.str(v).map(|s| at.field(s.to_owned(), v)),
                    });
                }
            }
        }
        let flux = ["fluxcd", "flux"]
            .into_iter()
            .find_map(|k| Some((k, yaml.get(spec, k)?)));
        if let Some((key, section)) = flux {
            out.push(AsWritten {
                setting: SettingName::FluxSection,
                key: at.field(key.to_owned(), section),
                value: None,
            });
            for (keys, setting) in [
                (&["policy", "semver", "range"][..], SettingName::SemverRange),
                (&["interval"][..], SettingName::Interval),
                (
                    &["git", "commit", "messageTemplate"][..],
                    SettingName::MessageTemplate,
                ),
                (&["update", "strategy"][..], SettingName::SettersStrategy),
            ] {
                out.extend(at.written(section, keys, setting));
            }
        }
        out
    }

    fn engine(&mut self, spec: NodeId) -> Engine {
        let Some(kind) = str_at(self.yaml, spec, &["kind"]) else {
            return Engine::Argocd;
        };
        match kind.value.as_str() {
            "argocd" => Engine::Argocd,
            "fluxcd" => Engine::Fluxcd,
            other => {
                // Preview reads any kind but fluxcd as argocd; export does
                // the same, and says so.
                let message = format!(
                    "kind {other:?} is neither argocd nor fluxcd (KubeSphere ignores the object); read as argocd"
                );
                self.remark(RemarkKind::Skipped, kind.node, "spec.kind", message);
                Engine::Argocd
            }
        }
    }

    fn ignore_section(&mut self, spec: NodeId, key: &str, why: &str) {
        if self.yaml.get(spec, key).is_some() {
            let node = self.key(spec, key);
            let message = format!("{why} does not use the {key} section; it is not read");
            self.remark(RemarkKind::Skipped, node, &format!("spec.{key}"), message);
        }
    }

    fn unknown_keys(&mut self, spec: NodeId) {
        let mut unknown = Vec::new();
        schema::unknown_fields(
            self.yaml,
            spec,
            schema::KUBESPHERE_SPEC,
            "spec",
            &mut unknown,
        );
        for u in unknown {
            let field = format!("{}.{}", u.parent, u.name);
            let message = match (u.parent.as_str(), ks::spelling_of_key(&u.name)) {
                ("spec.argo", Some(Spelling::Design)) => format!(
                    "{:?} is the design spelling inside the shipped argo section; the API server prunes it",
                    u.name
                ),
                ("spec.argocd", Some(Spelling::Shipped)) => format!(
                    "{:?} is the shipped spelling inside the design argocd section; it is not read",
                    u.name
                ),
                ("spec.argo.app", _) if u.name == "namespace" => "the shipped argo.app has only a name (the Application lives in the ImageUpdater's namespace); the API server prunes it".to_owned(),
                _ => format!(
                    "{:?} is not a field of ImageUpdater; the API server prunes it",
                    u.name
                ),
            };
            self.remark(RemarkKind::Skipped, u.key, &field, message);
        }
    }

    fn images(&mut self, spec: NodeId) -> Vec<Image> {
        let yaml = self.yaml;
        let Some(list) = yaml.get(spec, "images") else {
            return Vec::new();
        };
        if !yaml.is_sequence(list) {
            if yaml.non_null_str(list).is_some() || yaml.is_mapping(list) {
                self.remark(
                    RemarkKind::Skipped,
                    list,
                    "spec.images",
                    "images must be a list of strings",
                );
            }
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, &item) in yaml.items(list).iter().enumerate() {
            let field = format!("spec.images[{i}]");
            let Some(text) = yaml.non_null_str(item) else {
                self.remark(RemarkKind::Skipped, item, &field, "not a string");
                continue;
            };
            let parsed = match image::parse_argo_item(text) {
                Ok(p) => p,
                Err(e) => {
                    let message = format!("{text:?} is not an image: {e}");
                    self.remark(RemarkKind::Skipped, item, &field, message);
                    continue;
                }
            };
            if parsed.eq_constraint_trap().is_some() {
                let message = format!(
                    "{text:?} reads as an image named after its constraint; write alias=image:constraint"
                );
                self.remark(RemarkKind::Skipped, item, &field, message);
                continue;
            }
            if let Some(range) = parsed.digest_range() {
                let at = self.sub(item, range);
                self.dropped.push(Remark::new(
                    RemarkKind::Skipped,
                    Some(at),
                    &field,
                    "a digest in the image list pins nothing an updater follows; it is not read",
                ));
            }
            let name_range = parsed.name_range();
            let start = parsed
                .registry_range()
                .map_or(name_range.start, |r| r.start);
            // As written: Argo's own split drops Docker Hub's `library/`,
            // which would rename the image on the way through.
            let name = match text.get(start..name_range.end) {
                Some(written) => written.to_owned(),
                None => match parsed.registry() {
                    Some(r) => format!("{r}/{}", parsed.name()),
                    None => parsed.name().to_owned(),
                },
            };
            let alias = parsed
                .alias()
                .filter(|a| !a.is_empty())
                .zip(parsed.alias_range())
                .map(|(a, r)| Field::new(a.to_owned(), Some(self.sub(item, r))));
            let constraint = parsed
                .constraint()
                .filter(|c| !c.is_empty())
                .zip(parsed.constraint_range())
                .map(|(c, r)| Field::new(c.to_owned(), Some(self.sub(item, r))));
            out.push(Image {
                alias,
                name: Field::new(name, Some(self.sub(item, start..name_range.end))),
                constraint,
                origin: Some(self.origin(item)),
                ..Default::default()
            });
        }
        out
    }

    fn app(
        &mut self,
        section: NodeId,
        spelling: Spelling,
        object_ns: Option<Field<String>>,
    ) -> App {
        let namespace = match spelling {
            Spelling::Design => self.at(section, &["app", "namespace"]),
            // The controller looks the Application up in the object's own
            // namespace.
            Spelling::Shipped => None,
        };
        App {
            name: self.at(section, &["app", "name"]),
            namespace: namespace.or(object_ns),
        }
    }

    /// The write method, or the unknown value verbatim.
    fn write(
        &mut self,
        section: NodeId,
        spelling: Spelling,
    ) -> (Option<Field<WriteMethod>>, Option<Field<String>>) {
        let Some(s) = str_at(self.yaml, section, &["write"]) else {
            return (None, None);
        };
        let method = match s.value.as_str() {
            "built-in" => WriteMethod::InCluster,
            "git" => WriteMethod::Git { credentials: None },
            other => {
                let field = format!("spec.{}.write", spelling.section());
                let message = format!(
                    "write {other:?} is neither built-in nor git; KubeSphere writes nothing"
                );
                self.remark(RemarkKind::Skipped, s.node, &field, message);
                let origin = Some(self.origin(s.node));
                return (None, Some(Field::new(s.value, origin)));
            }
        };
        (Some(Field::new(method, Some(self.origin(s.node)))), None)
    }

    fn alias_maps(&mut self, section: NodeId, spelling: Spelling, images: &mut [Image]) {
        let yaml = self.yaml;
        for &(_, _, setting) in ks::ALIAS_MAPS {
            let key = ks::key_of(spelling, setting);
            let Some(map) = yaml.get(section, key) else {
                continue;
            };
            let map_field = format!("spec.{}.{key}", spelling.section());
            if !yaml.is_mapping(map) {
                if yaml.non_null_str(map).is_some() || yaml.is_sequence(map) {
                    let message = "must be a map from alias to string";
                    self.remark(RemarkKind::Skipped, map, &map_field, message);
                }
                continue;
            }
            for &(k, v) in yaml.entries(map) {
                let Some(alias) = yaml.str(k) else { continue };
                let field = format!("{map_field}.{alias}");
                let targets: Vec<usize> = images
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| i.alias.as_ref().is_some_and(|a| a.value == alias))
                    .map(|(n, _)| n)
                    .collect();
                if targets.is_empty() {
                    let unaliased = images.iter().any(|i| {
                        i.alias.is_none()
                            && (i.name.value == alias
                                || i.name.value.rsplit('/').next() == Some(alias))
                    });
                    let message = if unaliased {
                        format!(
                            "the image {alias:?} has no alias in spec.images, and settings are looked up by alias only; write {alias}=<image> to apply it"
                        )
                    } else {
                        format!(
                            "alias {alias:?} is not declared in spec.images; the setting applies to nothing"
                        )
                    };
                    self.remark(RemarkKind::Skipped, k, &field, message);
                    continue;
                }
                let Some(value) = yaml.non_null_str(v) else {
                    self.remark(RemarkKind::Skipped, v, &field, "not a string");
                    continue;
                };
                let value = value.to_owned();
                let origin = Some(self.origin(v));
                let Some(apply) = self.setting(setting, spelling, &value, v, &field) else {
                    continue;
                };
                for n in targets {
                    apply.apply(&mut images[n], origin);
                }
            }
        }
    }

    fn setting(
        &mut self,
        setting: Setting,
        spelling: Spelling,
        value: &str,
        node: NodeId,
        field: &str,
    ) -> Option<Value> {
        match setting {
            Setting::UpdateStrategy => {
                // KubeSphere hands the value to Argo, which parses it.
                let Some((strategy, old)) = argo::Strategy::parse(value) else {
                    let message = format!(
                        "update strategy {value:?} is not one of semver, newest-build, alphabetical, digest"
                    );
                    self.remark(RemarkKind::Skipped, node, field, message);
                    return None;
                };
                let strategy = super::argo::spec_strategy(strategy);
                if old {
                    let message = format!(
                        "{value:?} is the deprecated name of {}; read as such",
                        strategy.name()
                    );
                    self.remark(RemarkKind::Normalized, node, field, message);
                }
                Some(Value::Strategy(strategy))
            }
            // The shipped controller prepends `regexp:` itself.
            Setting::AllowTags if spelling == Spelling::Shipped => {
                Some(Value::Pattern(Some(value.to_owned())))
            }
            // The design passes the value to Argo, which parses it.
            Setting::AllowTags => match argo::allow_tags_of(value) {
                AllowTags::Regexp { re, .. } => Some(Value::Pattern(Some(re.to_owned()))),
                AllowTags::Any => Some(Value::Pattern(None)),
                AllowTags::Nothing => {
                    let message =
                        format!("allow-tags {value:?} must be regexp:<expression> or any");
                    self.remark(RemarkKind::Skipped, node, field, message);
                    Some(Value::Nothing(value.to_owned()))
                }
            },
            Setting::IgnoreTags => Some(Value::IgnoreTags(list(value))),
            Setting::Platforms => Some(Value::Platforms(list(value))),
            Setting::Secret => {
                // The shipped controller prepends `pullsecret:`; the design
                // does not say, so its Argo spelling is accepted too.
                let bare = match spelling {
                    Spelling::Shipped => Some(value),
                    Spelling::Design => match value.strip_prefix("pullsecret:") {
                        Some(rest) => Some(rest),
                        None if ["secret:", "env:", "ext:"]
                            .iter()
                            .any(|p| value.starts_with(p)) =>
                        {
                            return Some(Value::Secret(PullSecret::Other(value.to_owned())));
                        }
                        None => Some(value),
                    },
                };
                match bare.and_then(secret) {
                    Some(s) => Some(Value::Secret(s)),
                    None => {
                        let message =
                            format!("secret {value:?} must be <namespace>/<name> or <name>");
                        self.remark(RemarkKind::Skipped, node, field, message);
                        None
                    }
                }
            }
        }
    }

    fn flux(&mut self, section: NodeId, u: &mut Updater, images: &mut [Image]) {
        let yaml = self.yaml;
        u.git.interval = self.at(section, &["interval"]);
        if let Some(secret) = str_at(yaml, section, &["secret"]) {
            let origin = Some(self.origin(secret.node));
            for img in images.iter_mut() {
                let s = PullSecret::Secret {
                    namespace: None,
                    name: secret.value.clone(),
                };
                img.pull_secret = Some(Field::new(s, origin));
            }
        }
        if let Some(range) = self.at(section, &["policy", "semver", "range"]) {
            for img in images.iter_mut() {
                match &img.constraint {
                    None => img.constraint = Some(range.clone()),
                    Some(own) if own.value != range.value => {
                        self.dropped.push(Remark::new(
                            RemarkKind::Normalized,
                            own.origin,
                            "spec.images",
                            format!(
                                "the entry's own constraint {:?} is used for this image instead of policy.semver.range {:?}",
                                own.value, range.value
                            ),
                        ));
                    }
                    Some(_) => {}
                }
                img.strategy = Some(Field::new(Strategy::Semver, range.origin));
            }
        }
        if let Some(src) = yaml.get(section, "sourceRef") {
            let kind = str_at(yaml, src, &["kind"]).map_or("GitRepository".to_owned(), |k| k.value);
            match str_at(yaml, src, &["name"]) {
                Some(name) => {
                    let r = SourceRef {
                        kind,
                        name: name.value,
                        namespace: None,
                    };
                    u.git.source_ref = Some(Field::new(r, Some(self.origin(src))));
                }
                None => self.remark(
                    RemarkKind::Skipped,
                    src,
                    "spec.fluxcd.sourceRef",
                    "a sourceRef without a name refers to nothing",
                ),
            }
        }
        u.git.checkout_branch = self.at(section, &["git", "checkout", "ref", "branch"]);
        u.git.push_branch = self.at(section, &["git", "push", "branch"]);
        u.git.author_name = self.at(section, &["git", "commit", "author", "name"]);
        u.git.author_email = self.at(section, &["git", "commit", "author", "email"]);
        u.git.message_template = self.at(section, &["git", "commit", "messageTemplate"]);
        u.git.path = self.at(section, &["update", "path"]);
        if let Some(s) = str_at(yaml, section, &["update", "strategy"])
            && s.value != "Setters"
        {
            let message = format!(
                "update strategy {:?} is not supported; only Setters is",
                s.value
            );
            self.remark(
                RemarkKind::Skipped,
                s.node,
                "spec.fluxcd.update.strategy",
                message,
            );
        }
    }
}

/// A per-alias value, parsed.
enum Value {
    Strategy(Strategy),
    Pattern(Option<String>),
    /// An allow-tags with which the controller matches no tag.
    Nothing(String),
    IgnoreTags(Vec<String>),
    Platforms(Vec<String>),
    Secret(PullSecret),
}

impl Value {
    fn apply(&self, img: &mut Image, origin: Option<Origin>) {
        match self {
            Value::Strategy(s) => img.strategy = Some(Field::new(*s, origin)),
            Value::Pattern(p) => img.tag_pattern = p.clone().map(|p| Field::new(p, origin)),
            Value::Nothing(v) => img.matches_nothing = Some(Field::new(v.clone(), origin)),
            Value::IgnoreTags(l) => {
                img.ignore_tags = (!l.is_empty()).then(|| Field::new(l.clone(), origin))
            }
            Value::Platforms(l) => {
                img.platforms = (!l.is_empty()).then(|| Field::new(l.clone(), origin))
            }
            Value::Secret(s) => img.pull_secret = Some(Field::new(s.clone(), origin)),
        }
    }
}

fn list(value: &str) -> Vec<String> {
    argo::split_list(value)
        .into_iter()
        .map(|i| i.text)
        .collect()
}

/// `[namespace/]name`, both parts non-empty.
fn secret(value: &str) -> Option<PullSecret> {
    let (namespace, name) = match value.split_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, value),
    };
    let ok = !name.is_empty() && !name.contains('/') && namespace.is_none_or(|n| !n.is_empty());
    ok.then(|| PullSecret::Secret {
        namespace: namespace.map(str::to_owned),
        name: name.to_owned(),
    })
}
