//! What a manifest and an image config say, as far as tag selection
//! cares: the `Accept` list (OCI index and manifest, Docker list and v2 —
//! distribution 2.8 answers 404 for OCI content without it and downgrades
//! Docker content to schema 1), an image index's platforms and their
//! manifest digests, an image manifest's config digest, a schema-1
//! manifest's embedded config, and a config's `created`, `os`,
//! `architecture` and `variant`. Pure parsing of bytes into
//! [`ManifestInfo`] / [`ConfigInfo`]; never panics on any input.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::RegistryError;

use crate::resolve::tags::parse_rfc3339;
use crate::resolve::{Platform, Timestamp};

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_V1: &str = "application/vnd.docker.distribution.manifest.v1+json";
pub const DOCKER_V1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// The `Accept` header for manifests.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// Largest manifest read (registries reject manifests over 4 MiB).
pub const MANIFEST_LIMIT: u64 = 4 << 20;
/// Largest config blob read.
pub const CONFIG_LIMIT: u64 = 16 << 20;

/// `sha256:<hex>` of some bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let mut s = String::with_capacity(71);
    s.push_str("sha256:");
    for b in d.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Whether `d` is a well-formed `sha256:` digest (we only verify those).
pub fn is_sha256_digest(d: &str) -> bool {
    d.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A platform as `os/arch[/variant]` text (what the cache stores).
pub fn platform_text(p: &Platform) -> String {
    p.to_string()
}

/// What one manifest tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ManifestInfo {
    /// An image index / manifest list: each platform with its manifest
    /// digest (entries without a platform, or `unknown/unknown`
    /// attestations, are left out).
    Index { manifests: Vec<IndexEntry> },
    /// A single image manifest and its config blob.
    Image { config: String },
    /// A schema-1 manifest, whose config is embedded.
    V1 { config: ConfigInfo },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// `os/arch[/variant]`.
    pub platform: String,
    pub digest: String,
}

/// What an image config tells.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigInfo {
    /// `created` as written (RFC 3339).
    pub created: Option<String>,
    /// `os/arch[/variant]` when the config names both.
    pub platform: Option<String>,
}

impl ConfigInfo {
    pub fn created(&self) -> Option<Timestamp> {
        self.created.as_deref().and_then(parse_rfc3339)
    }

    pub fn platform(&self) -> Option<Platform> {
        self.platform.as_deref().and_then(parse_platform_loose)
    }
}

impl IndexEntry {
    pub fn platform(&self) -> Option<Platform> {
        parse_platform_loose(&self.platform)
    }
}

/// `os/arch[/variant]` without the tags file's character rules (registries
/// write what they like; we only need the three parts).
pub fn parse_platform_loose(s: &str) -> Option<Platform> {
    let mut parts = s.splitn(3, '/');
    let os = parts.next().filter(|p| !p.is_empty())?;
    let arch = parts.next().filter(|p| !p.is_empty())?;
    Some(Platform {
        os: os.to_owned(),
        arch: arch.to_owned(),
        variant: parts.next().filter(|v| !v.is_empty()).map(str::to_owned),
    })
}

fn join_platform(os: &str, arch: &str, variant: Option<&str>) -> Option<String> {
    if os.is_empty() || arch.is_empty() || os.contains('/') || arch.contains('/') {
        return None;
    }
    Some(
        match variant.filter(|v| !v.is_empty() && !v.contains('/')) {
            Some(v) => format!("{os}/{arch}/{v}"),
            None => format!("{os}/{arch}"),
        },
    )
}

#[derive(Deserialize)]
struct RawManifest {
    #[serde(default, rename = "mediaType")]
    media_type: Option<String>,
    #[serde(default, rename = "schemaVersion")]
    schema_version: Option<u32>,
    #[serde(default)]
    manifests: Option<Vec<RawDescriptor>>,
    #[serde(default)]
    config: Option<RawDescriptor>,
    #[serde(default)]
    history: Option<Vec<RawHistory>>,
}

#[derive(Deserialize)]
struct RawDescriptor {
    #[serde(default)]
    digest: String,
    #[serde(default)]
    platform: Option<RawPlatform>,
}

#[derive(Deserialize)]
struct RawPlatform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Deserialize)]
struct RawHistory {
    #[serde(default, rename = "v1Compatibility")]
    v1_compatibility: String,
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    variant: Option<String>,
}

/// Parses a manifest by its `mediaType` field, else the `Content-Type`,
/// else its shape.
pub fn parse_manifest(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<ManifestInfo, RegistryError> {
    let raw: RawManifest =
        serde_json::from_slice(body).map_err(|source| RegistryError::ManifestJson { source })?;
    let ct = content_type.map(|c| c.split(';').next().unwrap_or(c).trim().to_ascii_lowercase());
    let media = raw.media_type.clone().or(ct).unwrap_or_default();
    let is_index =
        media == OCI_INDEX || media == DOCKER_LIST || (media.is_empty() && raw.manifests.is_some());
    let is_v1 = media == DOCKER_V1
        || media == DOCKER_V1_SIGNED
        || (raw.schema_version == Some(1) && raw.history.is_some());
    if is_index {
        let manifests = raw
            .manifests
            .unwrap_or_default()
            .into_iter()
            .filter(|d| is_sha256_digest(&d.digest))
            .filter_map(|d| {
                let p = d.platform?;
                if p.os == "unknown" || p.architecture == "unknown" {
                    return None; // build attestations
                }
                Some(IndexEntry {
                    platform: join_platform(&p.os, &p.architecture, p.variant.as_deref())?,
                    digest: d.digest,
                })
            })
            .collect();
        return Ok(ManifestInfo::Index { manifests });
    }
    if is_v1 {
        let first = raw
            .history
            .as_ref()
            .and_then(|h| h.first())
            .ok_or(RegistryError::ManifestHistory)?;
        return Ok(ManifestInfo::V1 {
            config: parse_config(first.v1_compatibility.as_bytes())?,
        });
    }
    match raw.config {
        Some(c) if is_sha256_digest(&c.digest) => Ok(ManifestInfo::Image { config: c.digest }),
        Some(_) => Err(RegistryError::ManifestConfigDigest),
        None => Err(RegistryError::ManifestMediaType {
            media_type: if media.is_empty() {
                "none".to_owned()
            } else {
                media
            },
        }),
    }
}

/// Parses an image config (or a schema-1 `v1Compatibility` object).
pub fn parse_config(body: &[u8]) -> Result<ConfigInfo, RegistryError> {
    let raw: RawConfig =
        serde_json::from_slice(body).map_err(|source| RegistryError::ConfigJson { source })?;
    let platform = match (&raw.os, &raw.architecture) {
        (Some(os), Some(arch)) => join_platform(os, arch, raw.variant.as_deref()),
        _ => None,
    };
    Ok(ConfigInfo {
        created: raw.created.filter(|c| !c.is_empty()),
        platform,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn index_platforms() {
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[
            {{"mediaType":"{OCI_MANIFEST}","digest":"{A}","size":1,"platform":{{"architecture":"amd64","os":"linux"}}}},
            {{"mediaType":"{OCI_MANIFEST}","digest":"{B}","size":1,"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}},
            {{"mediaType":"{OCI_MANIFEST}","digest":"{B}","size":1,"platform":{{"architecture":"unknown","os":"unknown"}}}},
            {{"mediaType":"{OCI_MANIFEST}","digest":"{B}","size":1}}
        ]}}"#
        );
        let m = parse_manifest(None, body.as_bytes()).unwrap();
        let ManifestInfo::Index { manifests } = m else {
            panic!("{m:?}")
        };
        let plats: Vec<String> = manifests.iter().map(|e| e.platform.clone()).collect();
        assert_eq!(plats, ["linux/amd64", "linux/arm64/v8"]);
        assert_eq!(
            manifests[1].platform().unwrap().variant.as_deref(),
            Some("v8")
        );
        // Docker list by Content-Type, without mediaType in the body.
        let m = parse_manifest(
            Some("application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8"),
            br#"{"schemaVersion":2,"manifests":[]}"#,
        )
        .unwrap();
        assert_eq!(m, ManifestInfo::Index { manifests: vec![] });
    }

    #[test]
    fn image_and_config() {
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_V2}","config":{{"digest":"{A}","size":2}},"layers":[]}}"#
        );
        assert_eq!(
            parse_manifest(None, body.as_bytes()).unwrap(),
            ManifestInfo::Image { config: A.into() }
        );
        let cfg = parse_config(
            br#"{"architecture":"arm","os":"linux","variant":"v7","created":"2024-01-02T03:04:05.5Z","config":{}}"#,
        )
        .unwrap();
        assert_eq!(cfg.platform.as_deref(), Some("linux/arm/v7"));
        assert_eq!(cfg.created().unwrap().secs, 1_704_164_645);
        assert_eq!(cfg.created().unwrap().nanos, 500_000_000);
        let none = parse_config(br#"{"created":"not a date"}"#).unwrap();
        assert_eq!(none.created(), None);
        assert_eq!(none.platform, None);
    }

    #[test]
    fn schema1_embeds_config() {
        let body = br#"{"schemaVersion":1,"name":"x","tag":"1","history":[{"v1Compatibility":"{\"created\":\"2020-01-01T00:00:00Z\",\"os\":\"linux\",\"architecture\":\"amd64\"}"}]}"#;
        let m = parse_manifest(Some(DOCKER_V1_SIGNED), body).unwrap();
        let ManifestInfo::V1 { config } = m else {
            panic!()
        };
        assert_eq!(config.platform.as_deref(), Some("linux/amd64"));
        assert!(config.created().is_some());
    }

    #[test]
    fn malformed_manifests_are_errors() {
        for body in [
            &b""[..],
            b"{",
            b"[]",
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"md5:x"}}"#,
            br#"{"schemaVersion":2}"#,
            br#"{"schemaVersion":1,"history":[]}"#,
            br#"{"schemaVersion":1,"history":[{"v1Compatibility":"{"}]}"#,
            br#"{"manifests":"x"}"#,
        ] {
            assert!(parse_manifest(None, body).is_err(), "{:?}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn digests() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(is_sha256_digest(A));
        assert!(!is_sha256_digest("sha256:abc"));
        assert!(!is_sha256_digest("sha512:aaaa"));
    }

    #[test]
    fn records_round_trip_through_json() {
        let m = ManifestInfo::Index {
            manifests: vec![IndexEntry {
                platform: "linux/amd64".into(),
                digest: A.into(),
            }],
        };
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<ManifestInfo>(&text).unwrap(), m);
    }
}
