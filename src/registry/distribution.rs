//! The OCI distribution API calls, on an authorized [`Session`]: list a
//! repository's tags following `Link: <…>; rel="next"` pages, get a
//! manifest by tag or digest with the full `Accept` list, get a config
//! blob. Pagination is bounded: at most [`MAX_PAGES`] pages and
//! [`MAX_TAGS`] tags, every `Link` must stay on the endpoint's origin, and
//! a `Link` to a page already fetched is an error ("pagination loop")
//! rather than a silent partial list. Digest-addressed answers are checked
//! against their digest. Hands on names, bytes and digests; what they mean
//! is [`super::manifest`]'s job.

use std::collections::HashSet;

use super::auth::{Session, pull_scope};
use super::client::{Failure, Method};
use super::manifest::{ACCEPT, CONFIG_LIMIT, MANIFEST_LIMIT, is_sha256_digest, sha256_digest};
use super::url::Url;

/// Pages followed before giving up.
pub const MAX_PAGES: usize = 1000;
/// Tags accepted for one repository.
pub const MAX_TAGS: usize = 1_000_000;
/// Page size asked for (distribution v3 accepts up to 1000; 2.8 ignores it).
pub const PAGE_SIZE: &str = "1000";
/// Largest tag-list page read.
const TAGS_PAGE_LIMIT: u64 = 32 << 20;

/// The `rel="next"` target of a `Link` header value (RFC 8288), if any.
pub fn next_link(value: &str) -> Option<&str> {
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after.find('>')?;
        let target = &after[..close];
        let params_end = after[close..].find('<').map_or(after.len(), |i| close + i);
        let params = &after[close + 1..params_end];
        let is_next = params.split(';').any(|p| {
            let p = p.trim().trim_end_matches(',').trim();
            let Some((k, v)) = p.split_once('=') else {
                return false;
            };
            k.trim().eq_ignore_ascii_case("rel")
                && v.trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target);
        }
        rest = &after[params_end..];
    }
    None
}

/// Every tag of `path`, in the registry's order, without duplicates.
pub fn list_tags(session: &Session, path: &str) -> Result<Vec<String>, Failure> {
    let base = session.base()?.clone();
    let scope = pull_scope(path);
    let mut url = base
        .with_path(&format!("/v2/{path}/tags/list"))
        .with_query(&[("n", PAGE_SIZE)]);
    let mut fetched: HashSet<String> = HashSet::new();
    let mut seen_tags: HashSet<String> = HashSet::new();
    let mut tags: Vec<String> = Vec::new();
    for _ in 0..MAX_PAGES {
        if !fetched.insert(url.to_string()) {
            return Err(Failure::new(format!(
                "pagination loop: the Link header points at a page already fetched ({url})"
            )));
        }
        let resp = session.send(
            Method::Get,
            url.clone(),
            Some("application/json"),
            &scope,
            TAGS_PAGE_LIMIT,
        )?;
        if resp.status != 200 {
            return Err(Failure {
                status: Some(resp.status),
                message: format!("GET {url}: {}", resp.status_text()),
            });
        }
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let page: Page = serde_json::from_slice(&resp.body)
            .map_err(|e| Failure::new(format!("GET {url}: malformed tag list JSON ({e})")))?;
        for t in page.tags.unwrap_or_default() {
            if seen_tags.insert(t.clone()) {
                tags.push(t);
            }
        }
        if tags.len() > MAX_TAGS {
            return Err(Failure::new(format!(
                "GET {url}: more than {MAX_TAGS} tags"
            )));
        }
        let next = resp.headers_named("link").find_map(next_link);
        let Some(next) = next else {
            return Ok(tags);
        };
        let next_url = url
            .join(next)
            .map_err(|e| Failure::new(format!("GET {url}: bad Link header: {e}")))?;
        if next_url.origin() != base.origin() {
            return Err(Failure::new(format!(
                "GET {url}: the Link header points at another server ({})",
                next_url.origin()
            )));
        }
        url = next_url;
    }
    Err(Failure::new(format!(
        "tag list of {path} has more than {MAX_PAGES} pages"
    )))
}

/// A fetched manifest.
pub struct Fetched {
    /// `sha256:` of the bytes as served (what Argo records).
    pub digest: String,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// `GET /v2/<path>/manifests/<reference>`; `None` when the registry says
/// 404. A reference that is a digest must match the bytes.
pub fn get_manifest(
    session: &Session,
    path: &str,
    reference: &str,
) -> Result<Option<Fetched>, Failure> {
    let base = session.base()?.clone();
    let url = base.with_path(&format!(
        "/v2/{path}/manifests/{}",
        super::url::encode(reference)
    ));
    let resp = session.send(
        Method::Get,
        url.clone(),
        Some(ACCEPT),
        &pull_scope(path),
        MANIFEST_LIMIT,
    )?;
    match resp.status {
        200 => {}
        404 => return Ok(None),
        _ => {
            return Err(Failure {
                status: Some(resp.status),
                message: format!("GET {url}: {}", resp.status_text()),
            });
        }
    }
    let digest = sha256_digest(&resp.body);
    if is_sha256_digest(reference) && reference != digest {
        return Err(Failure::new(format!(
            "GET {url}: the manifest does not match its digest"
        )));
    }
    Ok(Some(Fetched {
        digest,
        content_type: resp.header("content-type").map(str::to_owned),
        body: resp.body,
    }))
}

/// `HEAD /v2/<path>/manifests/<tag>`: the digest from
/// `Docker-Content-Digest` (what Flux reads), without the body; a registry
/// that sends no digest header gets a GET. `None` on 404.
pub fn head_manifest(session: &Session, path: &str, tag: &str) -> Result<Option<String>, Failure> {
    let base = session.base()?.clone();
    let url = base.with_path(&format!("/v2/{path}/manifests/{}", super::url::encode(tag)));
    let resp = session.send(
        Method::Head,
        url.clone(),
        Some(ACCEPT),
        &pull_scope(path),
        0,
    )?;
    match resp.status {
        200 => match resp.header("docker-content-digest") {
            Some(d) if is_sha256_digest(d.trim()) => Ok(Some(d.trim().to_owned())),
            _ => Ok(get_manifest(session, path, tag)?.map(|f| f.digest)),
        },
        404 => Ok(None),
        _ => Err(Failure {
            status: Some(resp.status),
            message: format!("HEAD {url}: {}", resp.status_text()),
        }),
    }
}

/// `GET /v2/<path>/blobs/<digest>` (a config), checked against the digest;
/// `None` on 404.
pub fn get_config_blob(
    session: &Session,
    path: &str,
    digest: &str,
) -> Result<Option<Vec<u8>>, Failure> {
    let base = session.base()?.clone();
    let url: Url = base.with_path(&format!("/v2/{path}/blobs/{digest}"));
    let resp = session.send(
        Method::Get,
        url.clone(),
        None,
        &pull_scope(path),
        CONFIG_LIMIT,
    )?;
    match resp.status {
        200 => {}
        404 => return Ok(None),
        _ => {
            return Err(Failure {
                status: Some(resp.status),
                message: format!("GET {url}: {}", resp.status_text()),
            });
        }
    }
    if sha256_digest(&resp.body) != digest {
        return Err(Failure::new(format!(
            "GET {url}: the blob does not match its digest"
        )));
    }
    Ok(Some(resp.body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers() {
        assert_eq!(
            next_link(r#"</v2/library/nginx/tags/list?last=1.24&n=2>; rel="next""#),
            Some("/v2/library/nginx/tags/list?last=1.24&n=2")
        );
        assert_eq!(
            next_link("<https://h/v2/x?last=a>;rel=next"),
            Some("https://h/v2/x?last=a")
        );
        assert_eq!(
            next_link(r#"<https://h/prev>; rel="prev", <https://h/next>; rel="next""#),
            Some("https://h/next")
        );
        assert_eq!(
            next_link(r#"<https://h/a>; rel="prev next""#),
            Some("https://h/a")
        );
        assert_eq!(next_link(r#"<https://h/a>; rel="last""#), None);
        for junk in [
            "",
            "<",
            "<unterminated; rel=next",
            ">; rel=next",
            "rel=next",
            "<a>",
        ] {
            assert_eq!(next_link(junk), None, "{junk}");
        }
    }
}
