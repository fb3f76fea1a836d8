//! The three write-back formats as changes to the mirror: a kustomization's
//! `images:`, an override file's `kustomize.images` or `helm.parameters`,
//! and a Helm values file's keys, with the entries written the way Argo CD
//! Image Updater builds them (argocd.md §3.1–3.4). Hands a changed
//! [`Tree`] back to the planner.

use super::error::ArgoError;
use super::mirror::{Ctx, Tree};
use super::target::Dest;
use crate::model::image::{self, argo_has_registry_prefix};
use crate::model::target::ArgoImage;
use crate::yaml;

/// `[registry/]name` of the configured image (Argo's full name without tag).
pub(super) fn full_name(cfg: &ArgoImage) -> &str {
    &cfg.repository
}

/// The Helm name and tag keys, `image.name` / `image.tag` by default.
pub(super) fn helm_keys(cfg: &ArgoImage) -> (&str, &str) {
    let wb = &cfg.write_back;
    pub(super) fn or<'a>(k: &'a Option<String>, default: &'a str) -> &'a str {
        k.as_deref().filter(|s| !s.is_empty()).unwrap_or(default)
    }
    (
        or(&wb.helm_name, "image.name"),
        or(&wb.helm_tag, "image.tag"),
    )
}

/// `[<kustomize.image-name>=]<[registry/]name:tag[@digest]>` (§3.1).
pub(super) fn kustomize_entry(cfg: &ArgoImage, new_tag: &str) -> String {
    let image = format!("{}:{new_tag}", full_name(cfg));
    match cfg
        .write_back
        .kustomize_name
        .as_deref()
        .filter(|k| !k.is_empty())
    {
        Some(k) => format!("{k}={image}"),
        None => image,
    }
}

/// Argo CD's `KustomizeImage.Match`: the part before the first delimiter
/// of `new` (`=`, else `:`, else `@`) is equal (K1–K4).
pub(super) fn argocd_match(existing: &str, new: &str) -> bool {
    let delim = ["=", ":", "@"]
        .into_iter()
        .find(|d| new.contains(d))
        .unwrap_or(":");
    existing.split(delim).next() == new.split(delim).next()
}

/// Argo CD's `MergeImage`: replace the matching entry, else append.
pub(super) fn merge_image(list: &mut Vec<(String, Option<usize>)>, entry: String, job: usize) {
    match list.iter().position(|(e, _)| argocd_match(e, &entry)) {
        Some(i) => list[i] = (entry, Some(job)),
        None => list.push((entry, Some(job))),
    }
}

/// The key an override file's kustomize entry is merged by: the alias, or
/// the image name with `docker.io` and no registry taken as equal (§3.2,
/// v1.1 fix #1411).
pub(super) fn override_key(entry: &str) -> String {
    match image::parse_argo_item(entry) {
        Ok(img) => match img.alias().filter(|a| !a.is_empty()) {
            Some(a) => format!("{a}="),
            None => match img.registry().filter(|r| *r != "docker.io") {
                Some(r) => format!("{r}/{}", img.name()),
                None => img.name().to_owned(),
            },
        },
        Err(_) => entry.split([':', '@']).next().unwrap_or(entry).to_owned(),
    }
}

pub(super) fn override_tag(entry: &str) -> Option<String> {
    image::parse_argo_item(entry)
        .ok()
        .map(|i| i.tag_with_digest())
        .filter(|t| !t.is_empty())
}

/// The tag and the digest of an override value (`tag`, `tag@digest`, or a
/// whole `repo:tag@digest`).
fn tag_and_digest(v: &str) -> (String, Option<&str>) {
    match v.rsplit_once('@') {
        Some((head, d)) if d.contains(':') => (image::tag_or_value(head), Some(d)),
        _ => (image::tag_or_value(v), None),
    }
}

/// What an override value that pins a digest becomes when a new value
/// arrives (`Ok(true)`: the file's value stays):
/// - a new value with a digest replaces it: the digest moves (the digest
///   strategy's `tag@digest`, `GetTagWithDigest` in
///   `registry-scanner/pkg/image/image.go`);
/// - the same tag without a digest keeps it: the updater writes an image
///   it leaves alone with the live tag, digest included (`setAppImage`
///   with `WithTag(updateableImage.ImageTag)`, `UpdateApplication` in
///   `pkg/argocd/update.go`);
/// - another tag without a digest is refused: the pin belongs to the old
///   tag, and the updater's whole-value replace (`mergeKustomizeOverride`,
///   `ImageTag.Equals` comparing digests first) would drop it; apply never
///   deletes what the file pins.
fn keeps_digest(what: &str, cur: &str, new: &str) -> Result<bool, ArgoError> {
    let (cur_tag, Some(_)) = tag_and_digest(cur) else {
        return Ok(false);
    };
    match tag_and_digest(new) {
        (_, Some(_)) => Ok(false),
        (tag, None) if tag == cur_tag || tag.is_empty() => Ok(true),
        (tag, None) => Err(ArgoError::WouldDropDigest {
            what: what.to_owned(),
            current: cur.to_owned(),
            new: tag,
        }),
    }
}

/// A kustomize `images:` element as `kustomize edit set image` builds it
/// from an Argo CD image string (K5–K8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct KImage {
    pub(super) name: String,
    pub(super) new_name: Option<String>,
    pub(super) new_tag: Option<String>,
    pub(super) digest: Option<String>,
}

pub(super) fn kimage(entry: &str) -> Result<KImage, ArgoError> {
    let img = image::parse_argo_item(entry).map_err(|e| ArgoError::NotImage {
        entry: entry.to_owned(),
        reason: e.to_string(),
    })?;
    let full = match img.registry() {
        Some(r) => format!("{r}/{}", img.name()),
        None => img.name().to_owned(),
    };
    let (name, new_name) = match img.alias().filter(|a| !a.is_empty()) {
        Some(a) => (a.to_owned(), Some(full)),
        None => (full, None),
    };
    let some = |v: Option<&str>| v.filter(|v| !v.is_empty()).map(str::to_owned);
    Ok(KImage {
        name,
        new_name,
        new_tag: some(img.constraint()),
        digest: some(img.digest()),
    })
}

impl Ctx<'_> {
    // -- the three write-back formats -------------------------------------

    /// `kustomization` target: the element named `img.name` of `images:`
    /// gets newName/newTag/digest (K5–K9); a missing `newName` equal to
    /// `name` is not added (it renames nothing); `add_only` leaves an
    /// existing element alone.
    pub(super) fn kustomization(
        &self,
        root: &mut Tree,
        img: &KImage,
        marks: [Option<usize>; 3],
        add_only: bool,
    ) -> Result<(), ArgoError> {
        let images = self.entry(root, "the document", "images", Tree::seq)?;
        self.want(images, "images", true)?;
        let Tree::Seq { old, items } = images else {
            return Ok(());
        };
        let found = items
            .iter()
            .position(|it| it.get("name").and_then(|n| self.value_of(n)) == Some(&img.name));
        let fields = [
            ("newName", &img.new_name, marks[0]),
            ("newTag", &img.new_tag, marks[1]),
            ("digest", &img.digest, marks[2]),
        ];
        match found {
            Some(_) if add_only => Ok(()),
            Some(i) => {
                let item = &mut items[i];
                let what = format!("images[{i}]");
                self.want(item, &what, false)?;
                for (key, want, mark) in fields {
                    match (want, item.index(key)) {
                        // newName equal to name changes nothing: not added.
                        (Some(v), None) if key == "newName" && *v == img.name => {}
                        (Some(v), _) => self.put(item, &what, key, v, mark)?,
                        (None, Some(_)) => {
                            let cur = item.get(key).and_then(|c| self.value_of(c)).unwrap_or("");
                            if !cur.is_empty() && !yaml::is_null(cur) {
                                let hint = if key == "digest" {
                                    " (or track the digest with the digest strategy)"
                                } else {
                                    ""
                                };
                                return Err(ArgoError::WouldDrop {
                                    name: img.name.clone(),
                                    key,
                                    current: cur.to_owned(),
                                    hint,
                                });
                            }
                        }
                        (None, None) => {}
                    }
                }
                Ok(())
            }
            None => {
                self.guard(*old, "images")?;
                let mut entries = vec![("name", Tree::string(&img.name, None))];
                for (key, want, mark) in fields {
                    match want {
                        Some(v) if key == "newName" && *v == img.name => {}
                        Some(v) => entries.push((key, Tree::string(v, mark))),
                        None => {}
                    }
                }
                items.push(Tree::map(entries));
                Ok(())
            }
        }
    }

    /// Override file of a Kustomize app: `kustomize.images` merged by
    /// image name; an entry with the same tag is left as written.
    pub(super) fn override_kustomize(
        &self,
        root: &mut Tree,
        entry: &str,
        mark: Option<usize>,
        add_only: bool,
    ) -> Result<(), ArgoError> {
        let k = self.entry(root, "the document", "kustomize", || Tree::map(vec![]))?;
        let list = self.entry(k, "kustomize", "images", Tree::seq)?;
        self.want(list, "kustomize.images", true)?;
        let Tree::Seq { old, items } = list else {
            return Ok(());
        };
        let key = override_key(entry);
        let found = items
            .iter()
            .position(|it| self.value_of(it).is_some_and(|v| override_key(v) == key));
        match found {
            Some(_) if add_only => Ok(()),
            Some(i) => {
                let cur = self.value_of(&items[i]).unwrap_or("");
                if override_tag(cur).is_some() && override_tag(cur) == override_tag(entry) {
                    return Ok(());
                }
                if keeps_digest(&format!("kustomize.images[{i}]"), cur, entry)? {
                    return Ok(());
                }
                self.set(
                    &mut items[i],
                    &format!("kustomize.images[{i}]"),
                    entry,
                    mark,
                )
            }
            None => {
                self.guard(*old, "kustomize.images")?;
                items.push(Tree::string(entry, mark));
                Ok(())
            }
        }
    }

    /// Override file of a Helm app: `helm.parameters` merged by name, a
    /// new parameter placed in name order when `sorted`.
    pub(super) fn override_param(
        &self,
        root: &mut Tree,
        name: &str,
        value: &str,
        mark: Option<usize>,
        sorted: bool,
    ) -> Result<(), ArgoError> {
        let h = self.entry(root, "the document", "helm", || Tree::map(vec![]))?;
        let list = self.entry(h, "helm", "parameters", Tree::seq)?;
        self.want(list, "helm.parameters", true)?;
        let Tree::Seq { old, items } = list else {
            return Ok(());
        };
        let name_of = |it: &Tree| {
            it.get("name")
                .and_then(|n| self.value_of(n))
                .map(str::to_owned)
        };
        match items
            .iter()
            .position(|it| name_of(it).as_deref() == Some(name))
        {
            Some(i) => {
                let item = &mut items[i];
                let what = format!("helm.parameters[{i}]");
                let cur = item
                    .get("value")
                    .and_then(|v| self.value_of(v))
                    .unwrap_or("");
                if keeps_digest(&format!("{what} ({name})"), cur, value)? {
                    return Ok(());
                }
                self.put(item, &what, "value", value, mark)?;
                let changed = item.get("value").is_some_and(Tree::is_new_or_changed);
                let Tree::Map { entries, .. } = item else {
                    return Ok(());
                };
                if changed
                    && !entries
                        .iter()
                        .any(|(k, _)| k.eq_ignore_ascii_case("forcestring"))
                {
                    entries.push(("forcestring".into(), Tree::yes()));
                }
                Ok(())
            }
            None => {
                let at = if sorted {
                    items
                        .iter()
                        .position(|it| name_of(it).is_some_and(|n| n.as_str() > name))
                        .unwrap_or(items.len())
                } else {
                    items.len()
                };
                self.guard(*old, "helm.parameters")?;
                items.insert(
                    at,
                    Tree::map(vec![
                        ("name", Tree::string(name, None)),
                        ("value", Tree::string(value, mark)),
                        ("forcestring", Tree::yes()),
                    ]),
                );
                Ok(())
            }
        }
    }

    /// Override file of a Plugin app with plugin targets: `plugin.env`
    /// merged by name, a new entry appended (`marshalParamsOverride` with
    /// plugin targets, `SetPluginImage`; v1.3.0+).
    pub(super) fn override_env(
        &self,
        root: &mut Tree,
        name: &str,
        value: &str,
        mark: Option<usize>,
    ) -> Result<(), ArgoError> {
        let p = self.entry(root, "the document", "plugin", || Tree::map(vec![]))?;
        let list = self.entry(p, "plugin", "env", Tree::seq)?;
        self.want(list, "plugin.env", true)?;
        let Tree::Seq { old, items } = list else {
            return Ok(());
        };
        let found = items
            .iter()
            .position(|it| it.get("name").and_then(|n| self.value_of(n)) == Some(name));
        match found {
            Some(i) => self.put(
                &mut items[i],
                &format!("plugin.env[{i}]"),
                "value",
                value,
                mark,
            ),
            None => {
                self.guard(*old, "plugin.env")?;
                items.push(Tree::map(vec![
                    ("name", Tree::string(name, None)),
                    ("value", Tree::string(value, mark)),
                ]));
                Ok(())
            }
        }
    }

    /// `helmvalues` target: a literal root key wins, else `a.b[0].c` is
    /// walked, missing maps created (W7, W8, W10, W11).
    pub(super) fn helm_value(
        &self,
        root: &mut Tree,
        key: &str,
        value: &str,
        mark: Option<usize>,
    ) -> Result<(), ArgoError> {
        if let (Some(i), Tree::Map { entries, .. }) = (root.index(key), &mut *root) {
            return self.set(&mut entries[i].1, key, value, mark);
        }
        let parts = key
            .split('.')
            .map(|p| parse_part(p, key))
            .collect::<Result<Vec<_>, _>>()?;
        self.values_path(root, &parts, key, value, mark)
    }

    pub(super) fn values_path(
        &self,
        t: &mut Tree,
        parts: &[(&str, Option<i64>)],
        key: &str,
        value: &str,
        mark: Option<usize>,
    ) -> Result<(), ArgoError> {
        let Some((&(name, index), rest)) = parts.split_first() else {
            return Ok(());
        };
        if t.index(name).is_none() {
            if index.is_some() {
                return Err(ArgoError::IndexWithoutList {
                    name: name.to_owned(),
                    key: key.to_owned(),
                });
            }
            let make = || {
                if rest.is_empty() {
                    Tree::string(value, mark)
                } else {
                    Tree::map(vec![])
                }
            };
            let child = self.entry(t, &format!("the map holding {name}"), name, make)?;
            if rest.is_empty() {
                return Ok(());
            }
            return self.values_path(child, rest, key, value, mark);
        }
        let child = self.entry(t, name, name, || Tree::map(vec![]))?;
        let child = match index {
            Some(i) => {
                let Tree::Seq { items, .. } = child else {
                    if let Tree::Alias(n) = child {
                        return Err(self.alias_err(*n, name));
                    }
                    return Err(ArgoError::NotList {
                        name: name.to_owned(),
                        kind: self.kind(child),
                    });
                };
                if i < 0 || i as usize >= items.len() {
                    return Err(ArgoError::OutOfRange {
                        index: i,
                        len: items.len(),
                    });
                }
                &mut items[i as usize]
            }
            None => child,
        };
        if rest.is_empty() {
            return self.set(child, key, value, mark);
        }
        match child {
            Tree::Map { .. } => self.values_path(child, rest, key, value, mark),
            Tree::Seq { .. } => Err(ArgoError::ListWithoutIndex(name.to_owned())),
            Tree::Alias(n) => Err(self.alias_err(*n, name)),
            Tree::Scalar(_) => Err(ArgoError::KeyNotMapping {
                name: name.to_owned(),
                kind: self.kind(child),
            }),
        }
    }
}

/// One entry per image name, as applying the list in order leaves it: a
/// later entry replaces an earlier one with the same name (`kustomize edit
/// set image`, K8) in its place; an update wins over a source entry.
pub(super) fn fold(list: Vec<(String, Option<usize>)>, dest: Dest) -> Vec<(String, Option<usize>)> {
    let key = |e: &str| match dest {
        Dest::Kustomization => kimage(e).map_or_else(|_| e.to_owned(), |k| k.name),
        _ => override_key(e),
    };
    let mut out: Vec<(String, Option<usize>)> = Vec::new();
    for (entry, job) in list {
        let k = key(&entry);
        match out.iter().position(|(e, _)| key(e) == k) {
            Some(i) if job.is_some() || out[i].1.is_none() => out[i] = (entry, job),
            Some(_) => {}
            None => out.push((entry, job)),
        }
    }
    out
}

/// The name value for a Helm values file: the configured `[registry/]name`,
/// or its short form when the file holds a name without a registry (§3.4).
/// `original` is the file's tree before this plan changed it, which is
/// what the updater reads the current value from.
pub(super) fn values_name(ctx: &Ctx, original: &Tree, key: &str, cfg: &ArgoImage) -> String {
    short_if_file_short(full_name(cfg), values_get(ctx, original, key))
}

/// The image-spec value for a Helm values file, in the short form when the
/// file holds one.
pub(super) fn values_spec(
    ctx: &Ctx,
    original: &Tree,
    key: &str,
    cfg: &ArgoImage,
    new_tag: &str,
) -> String {
    let full = format!("{}:{new_tag}", full_name(cfg));
    short_if_file_short(&full, values_get(ctx, original, key))
}

/// Argo's rule for `helmvalues` name and spec keys (`marshalParamsOverride`
/// in `pkg/argocd/update.go`): a value with a registry prefix is written in
/// its short form (`ExtractShortForm`) when the key exists in the file and
/// holds a value without one; whatever image the file named before.
fn short_if_file_short(value: &str, in_file: Option<String>) -> String {
    match in_file {
        Some(cur) if argo_has_registry_prefix(value) && !argo_has_registry_prefix(&cur) => {
            extract_short_form(value).to_owned()
        }
        _ => value.to_owned(),
    }
}

/// `ExtractShortForm` (`registry-scanner/pkg/image/image.go`): the text
/// after the first `/` of a name with a registry prefix.
pub(super) fn extract_short_form(name: &str) -> &str {
    match name.split_once('/') {
        Some((_, rest)) if argo_has_registry_prefix(name) => rest,
        _ => name,
    }
}

/// Reads a Helm key (literal root key, else the dotted path) from the mirror.
pub(super) fn values_get(ctx: &Ctx, tree: &Tree, key: &str) -> Option<String> {
    if let Some(v) = tree.get(key) {
        return ctx.value_of(v).map(str::to_owned);
    }
    let mut at = tree;
    for part in key.split('.') {
        let (name, index) = parse_part(part, key).ok()?;
        at = at.get(name)?;
        if let Some(i) = index {
            let Tree::Seq { items, .. } = at else {
                return None;
            };
            at = items.get(usize::try_from(i).ok()?)?;
        }
    }
    ctx.value_of(at).map(str::to_owned)
}
/// `images[0]` → (`images`, Some(0)).
pub(super) fn parse_part<'k>(
    part: &'k str,
    key: &str,
) -> Result<(&'k str, Option<i64>), ArgoError> {
    if let Some(open) = part.rfind('[')
        && part.ends_with(']')
    {
        let idx = &part[open + 1..part.len() - 1];
        let n: i64 = idx.trim().parse().map_err(|_| ArgoError::BadIndex {
            index: idx.to_owned(),
            key: key.to_owned(),
        })?;
        return Ok((&part[..open], Some(n)));
    }
    Ok((part, None))
}
