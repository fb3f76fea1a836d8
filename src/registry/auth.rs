//! Authentication against one registry endpoint: the `/v2/` ping (which
//! also picks `https` or, where the plain-HTTP rule allows, `http` for
//! inferred endpoints), `WWW-Authenticate` parsing, HTTP Basic, and the
//! bearer-token flow (realm/service/scope, `token` or `access_token`,
//! `expires_in`, refresh tokens). Tokens live in memory only, per scope,
//! until they expire; a `401` with a challenge gets one fresh token and one
//! retry. Hands on [`Session::send`] for the distribution layer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::RegistryError;
use super::client::{Client, Failure, Method, Request, Response};
use super::credentials::{Credential, CredentialRef, CredentialSources, Secret};
use super::endpoints::{Endpoint, Origin, plain_http_allowed};
use super::url::{Url, encode};

/// Lifetime assumed when a token server gives none (distribution spec).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// A token this close to expiry is renewed before use.
const EXPIRY_MARGIN: Duration = Duration::from_secs(10);
const TOKEN_BODY_LIMIT: u64 = 1 << 20;

/// One challenge of a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Lowercase (`basic`, `bearer`).
    pub scheme: String,
    /// Parameter names lowercase, values unquoted.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses `WWW-Authenticate` (RFC 9110 §11.6.1): one or more challenges,
/// each a scheme and comma-separated `name=value` parameters (token or
/// quoted string with `\` escapes). Malformed parts are skipped; never
/// panics.
pub fn parse_www_authenticate(header: &str) -> Vec<Challenge> {
    let b = header.as_bytes();
    let mut i = 0;
    let mut out: Vec<Challenge> = Vec::new();
    let is_tchar = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t') {
            *i += 1;
        }
    };
    let token = |i: &mut usize| -> String {
        let start = *i;
        while *i < b.len() && is_tchar(b[*i]) {
            *i += 1;
        }
        String::from_utf8_lossy(&b[start..*i]).into_owned()
    };
    while i < b.len() {
        // Separators between challenges.
        while i < b.len() && (b[i] == b',' || b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        let scheme = token(&mut i);
        if scheme.is_empty() {
            // Not a token: skip one byte so the loop always advances.
            i += 1;
            continue;
        }
        let mut ch = Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params: Vec::new(),
        };
        loop {
            skip_ws(&mut i);
            while i < b.len() && b[i] == b',' {
                i += 1;
                skip_ws(&mut i);
            }
            let save = i;
            let name = token(&mut i);
            skip_ws(&mut i);
            if name.is_empty() || i >= b.len() || b[i] != b'=' {
                // The next challenge starts here (or the header ends).
                i = save;
                break;
            }
            i += 1; // '='
            skip_ws(&mut i);
            let value = if i < b.len() && b[i] == b'"' {
                i += 1;
                let mut v = Vec::new();
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                    }
                    v.push(b[i]);
                    i += 1;
                }
                i = (i + 1).min(b.len()); // the closing quote, if any
                String::from_utf8_lossy(&v).into_owned()
            } else {
                // token68 characters too (`=` padding, `/`).
                let start = i;
                while i < b.len() && b[i] != b',' && b[i] != b' ' && b[i] != b'\t' {
                    i += 1;
                }
                String::from_utf8_lossy(&b[start..i]).into_owned()
            };
            ch.params.push((name.to_ascii_lowercase(), value));
        }
        out.push(ch);
        if i == b.len() {
            break;
        }
    }
    out
}

/// The challenge we act on: Bearer before Basic.
fn pick(challenges: Vec<Challenge>) -> Option<Challenge> {
    let mut bearer = None;
    let mut basic = None;
    for c in challenges {
        match c.scheme.as_str() {
            "bearer" if bearer.is_none() => bearer = Some(c),
            "basic" if basic.is_none() => basic = Some(c),
            _ => {}
        }
    }
    bearer.or(basic)
}

/// `repository:<path>:pull`.
pub fn pull_scope(path: &str) -> String {
    format!("repository:{path}:pull")
}

struct Token {
    header: Secret,
    expires: Instant,
}

/// One endpoint as seen for one image registry (credentials may differ per
/// registry when several map onto one endpoint).
pub struct Session {
    client: Arc<Client>,
    endpoint: Arc<Endpoint>,
    registry: String,
    sources: Arc<CredentialSources>,
    /// The credential reference the repository names for this image.
    image_ref: Option<CredentialRef>,
    base: OnceLock<Result<Url, Failure>>,
    challenge: Mutex<Option<Challenge>>,
    credential: OnceLock<Result<Option<Credential>, RegistryError>>,
    tokens: Mutex<HashMap<String, Token>>,
}

impl Session {
    pub fn new(
        client: Arc<Client>,
        endpoint: Arc<Endpoint>,
        registry: String,
        sources: Arc<CredentialSources>,
        image_ref: Option<CredentialRef>,
    ) -> Session {
        Session {
            client,
            endpoint,
            registry,
            sources,
            image_ref,
            base: OnceLock::new(),
            challenge: Mutex::new(None),
            credential: OnceLock::new(),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The API base URL, after one ping of `/v2/` (once per session). An
    /// inferred endpoint on a host where plain HTTP is allowed is tried
    /// over https first and over http when TLS cannot be spoken there.
    pub fn base(&self) -> Result<&Url, Failure> {
        self.base
            .get_or_init(|| self.ping())
            .as_ref()
            .map_err(Clone::clone)
    }

    fn ping(&self) -> Result<Url, Failure> {
        let api = &self.endpoint.api_url;
        let opts = self.client.options();
        let fallback = self.endpoint.origin == Origin::Inferred
            && plain_http_allowed(&api.authority, &opts.insecure_registries, false);
        let mut candidates = vec![api.clone()];
        if fallback {
            let mut plain = api.clone();
            plain.scheme = "http".into();
            candidates.push(plain);
        }
        let mut last = None;
        for base in candidates {
            let req = Request {
                method: Method::Get,
                url: base.with_path("/v2/"),
                accept: Some("application/json"),
                authorization: None,
                form: None,
                limit: 64 * 1024,
            };
            match self.client.send(&req) {
                Ok(resp) => {
                    if resp.status == 401 {
                        self.learn(&resp);
                    }
                    return Ok(base);
                }
                Err(f) => last = Some(f),
            }
        }
        Err(last.unwrap_or_else(|| Failure::new("no endpoint URL")))
    }

    fn learn(&self, resp: &Response) {
        let challenges: Vec<Challenge> = resp
            .headers_named("www-authenticate")
            .flat_map(parse_www_authenticate)
            .collect();
        if let Some(c) = pick(challenges) {
            *self.challenge.lock().unwrap_or_else(|e| e.into_inner()) = Some(c);
        }
    }

    fn credential(&self) -> Result<Option<Credential>, Failure> {
        let looked_up = self.credential.get_or_init(|| {
            let (registry, api) = (&self.registry, &self.endpoint.api_url.authority);
            let endpoint_ref = self.endpoint.credentials.as_ref();
            match &self.image_ref {
                Some(r) => self.sources.for_image(registry, api, r, endpoint_ref),
                None => self.sources.for_registry(registry, api, endpoint_ref),
            }
        });
        match looked_up {
            Ok(c) => Ok(c.clone()),
            Err(e) => Err(Failure::new(format!("credentials: {e}"))),
        }
    }

    /// Sends an authorized request for `scope`; on a `401` carrying a
    /// challenge, gets fresh authorization once and retries.
    pub fn send(
        &self,
        method: Method,
        url: Url,
        accept: Option<&str>,
        scope: &str,
        limit: u64,
    ) -> Result<Response, Failure> {
        let mut auth = self.authorization(scope, false)?;
        let mut retried = false;
        loop {
            let req = Request {
                method,
                url: url.clone(),
                accept,
                authorization: auth.as_ref(),
                form: None,
                limit,
            };
            let resp = self.client.send(&req)?;
            if resp.status != 401 || retried || resp.header("www-authenticate").is_none() {
                return Ok(resp);
            }
            self.learn(&resp);
            self.tokens
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(scope);
            auth = self.authorization(scope, true)?;
            if auth.is_none() {
                return Ok(resp);
            }
            retried = true;
        }
    }

    /// The `Authorization` value for `scope`, if the endpoint challenged.
    fn authorization(&self, scope: &str, force_new: bool) -> Result<Option<Secret>, Failure> {
        let challenge = self
            .challenge
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(challenge) = challenge else {
            return Ok(None);
        };
        match challenge.scheme.as_str() {
            "basic" => Ok(match self.credential()? {
                Some(Credential::Basic { username, password }) => {
                    Some(basic_header(&username, &password))
                }
                _ => None,
            }),
            "bearer" => {
                if !force_new
                    && let Some(t) = self
                        .tokens
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get(scope)
                    && t.expires > Instant::now() + EXPIRY_MARGIN
                {
                    return Ok(Some(t.header.clone()));
                }
                if let Some(Credential::RegistryToken(t)) = self.credential()? {
                    return Ok(Some(Secret::new(format!("Bearer {}", t.expose()))));
                }
                let token = self.fetch_token(&challenge, scope)?;
                let header = token.header.clone();
                self.tokens
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(scope.to_owned(), token);
                Ok(Some(header))
            }
            _ => Ok(None),
        }
    }

    fn fetch_token(&self, challenge: &Challenge, scope: &str) -> Result<Token, Failure> {
        let realm = challenge
            .param("realm")
            .ok_or_else(|| Failure::new("bearer challenge without realm"))?;
        let realm = Url::parse(realm).map_err(|e| Failure::new(format!("token realm: {e}")))?;
        // The realm must pass the same plain-HTTP rule before any
        // credential is sent to it.
        self.client.check(&realm)?;
        let service = challenge.param("service").unwrap_or("");
        // Our scope first; the challenge's when it names another one.
        let mut scopes = vec![scope.to_owned()];
        if let Some(s) = challenge.param("scope")
            && s != scope
            && !s.is_empty()
        {
            scopes.push(s.to_owned());
        }
        let credential = self.credential()?;
        let (method, url, authorization, form) = match &credential {
            Some(Credential::IdentityToken(refresh)) => {
                let mut body = format!(
                    "grant_type=refresh_token&client_id=kubectl-imageupdate&service={}",
                    encode(service)
                );
                for s in &scopes {
                    body.push_str(&format!("&scope={}", encode(s)));
                }
                body.push_str(&format!("&refresh_token={}", encode(refresh.expose())));
                (Method::Post, realm.clone(), None, Some(Secret::new(body)))
            }
            other => {
                let mut pairs: Vec<(&str, &str)> = Vec::new();
                if !service.is_empty() {
                    pairs.push(("service", service));
                }
                for s in &scopes {
                    pairs.push(("scope", s));
                }
                let auth = match other {
                    Some(Credential::Basic { username, password }) => {
                        Some(basic_header(username, password))
                    }
                    _ => None,
                };
                (Method::Get, realm.with_query(&pairs), auth, None)
            }
        };
        let req = Request {
            method,
            url,
            accept: Some("application/json"),
            authorization: authorization.as_ref(),
            form: form.as_ref(),
            limit: TOKEN_BODY_LIMIT,
        };
        let resp = self.client.send(&req)?;
        if resp.status != 200 {
            let why = if resp.status == 401 || resp.status == 403 {
                if credential.is_some() {
                    "; the credentials were rejected"
                } else {
                    "; no credentials found for this registry"
                }
            } else {
                ""
            };
            return Err(Failure {
                status: Some(resp.status),
                message: format!(
                    "token request to {}: {}{why}",
                    realm.origin(),
                    resp.status_text()
                ),
            });
        }
        #[derive(serde::Deserialize)]
        struct TokenAnswer {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let answer: TokenAnswer = serde_json::from_slice(&resp.body).map_err(|_| {
            Failure::new(format!(
                "token request to {}: the answer is not a token JSON object",
                realm.origin()
            ))
        })?;
        let token = answer
            .token
            .filter(|t| !t.is_empty())
            .or(answer.access_token.filter(|t| !t.is_empty()))
            .ok_or_else(|| {
                Failure::new(format!(
                    "token request to {}: no token in the answer",
                    realm.origin()
                ))
            })?;
        let lifetime = answer
            .expires_in
            .filter(|&s| s > 0)
            .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs);
        Ok(Token {
            header: Secret::new(format!("Bearer {token}")),
            expires: Instant::now() + lifetime,
        })
    }
}

fn basic_header(user: &str, password: &Secret) -> Secret {
    Secret::new(format!(
        "Basic {}",
        STANDARD.encode(format!("{user}:{}", password.expose()))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(h: &str) -> Vec<Challenge> {
        parse_www_authenticate(h)
    }

    #[test]
    fn bearer_challenge() {
        let c = p(
            r#"Bearer realm="http://127.0.0.1:5005/token",service="test-registry",scope="repository:library/nginx:pull""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].param("realm"), Some("http://127.0.0.1:5005/token"));
        assert_eq!(c[0].param("service"), Some("test-registry"));
        assert_eq!(c[0].param("scope"), Some("repository:library/nginx:pull"));
        let e = p(
            r#"Bearer realm="r",service="s",scope="repository:a:pull",error="insufficient_scope""#,
        );
        assert_eq!(e[0].param("error"), Some("insufficient_scope"));
    }

    #[test]
    fn basic_and_multiple_challenges() {
        let c = p(r#"Basic realm="test-realm""#);
        assert_eq!(c[0].scheme, "basic");
        assert_eq!(c[0].param("realm"), Some("test-realm"));
        let c = p(r#"Basic realm="a, b", Bearer realm="https://auth.example/token", service=reg"#);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].param("realm"), Some("a, b"));
        assert_eq!(c[1].scheme, "bearer");
        assert_eq!(c[1].param("service"), Some("reg"));
        assert_eq!(pick(c).unwrap().scheme, "bearer");
    }

    #[test]
    fn escapes_spaces_and_case() {
        let c = p(r#"BEARER   Realm = "a\"b\\c" ,  Service=x"#);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].param("realm"), Some(r#"a"b\c"#));
        assert_eq!(c[0].param("service"), Some("x"));
    }

    #[test]
    fn malformed_headers_do_not_panic() {
        for h in [
            "",
            ",",
            "=",
            "Bearer",
            "Bearer realm",
            "Bearer realm=",
            "Bearer realm=\"unterminated",
            "Bearer realm=\"x\\",
            "\u{e9}\u{e9} realm=x",
            "Basic ,,,, realm=x,,",
            "Negotiate abc==",
        ] {
            let _ = p(h);
        }
        assert_eq!(p("Bearer").len(), 1);
        assert!(pick(p("Negotiate abc==")).is_none());
    }

    #[test]
    fn scopes_and_basic_header() {
        assert_eq!(pull_scope("team/app"), "repository:team/app:pull");
        let h = basic_header("alice", &Secret::new("s3cret"));
        assert_eq!(h.expose(), "Basic YWxpY2U6czNjcmV0");
        assert_eq!(format!("{h:?}"), "<redacted>");
    }
}
