//! KubeSphere `ImageUpdater` (gitops.kubesphere.io/v1alpha1) in its two
//! spellings: the design document's (`argocd:` with kebab-case maps, and a
//! `fluxcd:` section) and the shipped Go types' (`argo:` with camelCase
//! maps; no Flux section). Each per-image setting is a map keyed by alias.

pub const GROUP: &str = "gitops.kubesphere.io";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    Design,
    Shipped,
}

impl Spelling {
    pub fn section(self) -> &'static str {
        match self {
            Spelling::Design => "argocd",
            Spelling::Shipped => "argo",
        }
    }
}

/// What a per-alias map holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    UpdateStrategy,
    AllowTags,
    IgnoreTags,
    Platforms,
    Secret,
}

/// (design key, shipped key, setting) for every per-alias map.
pub const ALIAS_MAPS: &[(&str, &str, Setting)] = &[
    ("update-strategy", "updateStrategy", Setting::UpdateStrategy),
    ("allow-tags", "allowTags", Setting::AllowTags),
    ("ignore-tags", "ignoreTags", Setting::IgnoreTags),
    ("platforms", "platforms", Setting::Platforms),
    ("secret", "secrets", Setting::Secret),
];

pub fn key_of(spelling: Spelling, setting: Setting) -> &'static str {
    let (design, shipped, _) = ALIAS_MAPS
        .iter()
        .find(|(_, _, s)| *s == setting)
        .expect("every setting is listed");
    match spelling {
        Spelling::Design => design,
        Spelling::Shipped => shipped,
    }
}

/// The spelling a key inside an argo/argocd section belongs to, when it is
/// a key of only one of them.
pub fn spelling_of_key(key: &str) -> Option<Spelling> {
    ALIAS_MAPS.iter().find_map(|(design, shipped, _)| {
        if design == shipped {
            None
        } else if key == *design {
            Some(Spelling::Design)
        } else if key == *shipped {
            Some(Spelling::Shipped)
        } else {
            None
        }
    })
}
