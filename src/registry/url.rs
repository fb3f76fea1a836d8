//! The few URL operations the registry client needs, on `http`/`https`
//! URLs only: parse (rejecting user info, so no credential can ride in a
//! URL and reach a log), resolve a `Link` or `Location` reference against
//! the URL it came from, add query parameters, and tell whether a host is
//! a loopback address. Hands [`Url`] to the client and the endpoint rules.

use std::fmt;
use std::net::IpAddr;

use super::RegistryError;

/// An absolute `http`/`https` URL without user info or fragment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Url {
    /// `http` or `https`, lowercase.
    pub scheme: String,
    /// `host[:port]` as written (IPv6 hosts keep their brackets), lowercase.
    pub authority: String,
    /// Path and query, starting with `/`.
    pub path_and_query: String,
}

impl Url {
    pub fn parse(s: &str) -> Result<Url, RegistryError> {
        let s = s.trim();
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| RegistryError::UrlNotAbsolute { url: s.to_owned() })?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(RegistryError::UrlScheme { url: s.to_owned() });
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        if authority.contains('@') {
            return Err(RegistryError::UrlUserInfo);
        }
        if authority.is_empty()
            || authority
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(RegistryError::UrlHost { url: s.to_owned() });
        }
        let mut path = rest[end..].split('#').next().unwrap_or("").to_owned();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        Ok(Url {
            scheme,
            authority: authority.to_ascii_lowercase(),
            path_and_query: path,
        })
    }

    /// `scheme://authority`.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// The host without port (and without IPv6 brackets).
    pub fn host(&self) -> &str {
        split_host_port(&self.authority).0
    }

    pub fn path(&self) -> &str {
        self.path_and_query
            .split('?')
            .next()
            .unwrap_or(&self.path_and_query)
    }

    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    /// Resolves `reference` (an absolute URL, `//authority/...`, an
    /// absolute path or a relative path) against `self`, as a browser
    /// would for `Link` and `Location` headers.
    pub fn join(&self, reference: &str) -> Result<Url, RegistryError> {
        let r = reference.trim();
        if r.contains("://") && !r.starts_with('/') && !r.starts_with('?') {
            return Url::parse(r);
        }
        if let Some(rest) = r.strip_prefix("//") {
            return Url::parse(&format!("{}://{rest}", self.scheme));
        }
        if r.starts_with('/') {
            return Url::parse(&format!("{}{r}", self.origin()));
        }
        if r.starts_with('?') {
            return Url::parse(&format!("{}{}{r}", self.origin(), self.path()));
        }
        let path = self.path();
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        Url::parse(&format!("{}{dir}{r}", self.origin()))
    }

    /// The URL with `key=value` pairs appended to the query (values
    /// percent-encoded).
    pub fn with_query(&self, pairs: &[(&str, &str)]) -> Url {
        let mut out = self.clone();
        for (k, v) in pairs {
            out.path_and_query
                .push(if out.path_and_query.contains('?') {
                    '&'
                } else {
                    '?'
                });
            out.path_and_query.push_str(&encode(k));
            out.path_and_query.push('=');
            out.path_and_query.push_str(&encode(v));
        }
        out
    }

    /// Base URL plus a path (`base` may end in `/` or carry a path prefix).
    pub fn with_path(&self, path: &str) -> Url {
        let base = self.path().trim_end_matches('/');
        Url {
            scheme: self.scheme.clone(),
            authority: self.authority.clone(),
            path_and_query: format!("{base}{path}"),
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme, self.authority, self.path_and_query
        )
    }
}

/// Percent-encodes everything but unreserved characters and `:` `/` (which
/// scopes such as `repository:team/app:pull` keep readable).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `host[:port]` → (host, port). IPv6 literals keep no brackets in the
/// host part: `[::1]:5000` → (`::1`, `5000`).
pub fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if let Some(rest) = authority.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((host, tail)) => (host, tail.strip_prefix(':')),
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        // A bare IPv6 address has several colons: no port.
        Some((host, port)) if !host.contains(':') => (host, Some(port)),
        _ => (authority, None),
    }
}

/// `localhost`, `127.0.0.0/8` and `::1` (with or without port/brackets).
pub fn is_loopback(authority: &str) -> bool {
    let host = split_host_port(authority).0;
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let u = Url::parse("HTTPS://Registry.Example.com:5000/v2/?n=1#frag").unwrap();
        assert_eq!(u.scheme, "https");
        assert_eq!(u.authority, "registry.example.com:5000");
        assert_eq!(u.path_and_query, "/v2/?n=1");
        assert_eq!(u.host(), "registry.example.com");
        assert_eq!(u.path(), "/v2/");
        assert_eq!(Url::parse("http://h").unwrap().path_and_query, "/");
        assert!(Url::parse("ftp://h/x").is_err());
        assert!(Url::parse("h/x").is_err());
        assert!(Url::parse("https://user:pw@h/x").is_err());
        assert!(Url::parse("https:///x").is_err());
    }

    #[test]
    fn joins_link_references() {
        let u = Url::parse("http://127.0.0.1:5000/v2/a/b/tags/list?n=2").unwrap();
        assert_eq!(
            u.join("/v2/a/b/tags/list?last=x&n=2").unwrap().to_string(),
            "http://127.0.0.1:5000/v2/a/b/tags/list?last=x&n=2"
        );
        assert_eq!(
            u.join("https://other.example/v2/x").unwrap().to_string(),
            "https://other.example/v2/x"
        );
        assert_eq!(
            u.join("list?last=y").unwrap().to_string(),
            "http://127.0.0.1:5000/v2/a/b/tags/list?last=y"
        );
        assert_eq!(
            u.join("?last=z").unwrap().to_string(),
            "http://127.0.0.1:5000/v2/a/b/tags/list?last=z"
        );
        assert_eq!(
            u.join("//mirror:1/v2/").unwrap().to_string(),
            "http://mirror:1/v2/"
        );
    }

    #[test]
    fn query_and_path() {
        let u = Url::parse("https://auth.example/token").unwrap();
        assert_eq!(
            u.with_query(&[("service", "reg x"), ("scope", "repository:a/b:pull")])
                .to_string(),
            "https://auth.example/token?service=reg%20x&scope=repository:a/b:pull"
        );
        let base = Url::parse("https://h/prefix/").unwrap();
        assert_eq!(base.with_path("/v2/").to_string(), "https://h/prefix/v2/");
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "LOCALHOST:5000",
            "127.0.0.1",
            "127.1.2.3:80",
            "[::1]:5000",
            "::1",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "10.0.0.1",
            "registry.example.com",
            "localhost.example.com",
            "[::2]:1",
            "128.0.0.1",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
        assert_eq!(split_host_port("[::1]:5000"), ("::1", Some("5000")));
        assert_eq!(split_host_port("h:1"), ("h", Some("1")));
        assert_eq!(split_host_port("h"), ("h", None));
    }
}
