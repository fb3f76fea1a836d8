//! HTTP for one registry endpoint, on `ureq` (blocking, rustls): TLS
//! settings (verified by default, `--ca-file`, `insecure` entries), the
//! plain-HTTP rule on every URL including redirects, timeouts, a
//! per-endpoint concurrency limit and request rate, and retries — `429`
//! honouring `Retry-After` (seconds or an HTTP-date), `5xx`, timeouts and dropped connections with
//! exponential backoff and jitter, a bounded number of attempts — and
//! bounded response bodies. Each attempt is logged with `-v` as method,
//! URL, status and time (URLs never carry credentials: user info is
//! rejected, and tokens and passwords travel only in headers, which are
//! never logged). Hands on [`Response`] (any HTTP status) or [`Failure`].
//! Tests are in `client/tests.rs`.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use ureq::tls::{Certificate, RootCerts, TlsConfig};

use super::RegistryError;
use super::credentials::Secret;
use super::endpoints::check_scheme;
use super::url::{Url, is_loopback};

/// Argo's `MaxMetadataConcurrency`: requests in flight per endpoint.
pub const MAX_CONCURRENCY: usize = 20;
/// Redirects followed per request.
const MAX_REDIRECTS: usize = 5;
/// Longest `Retry-After` we are willing to wait.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Longest backoff between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Bound on error bodies we keep for messages.
const ERROR_BODY_LIMIT: u64 = 64 * 1024;

/// How every endpoint's client behaves (from the command line).
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Whole-request timeout (connect, headers and body) of one attempt.
    pub timeout: Duration,
    /// Attempts after the first for retryable failures.
    pub retries: u32,
    /// First backoff; doubled per attempt, jittered, capped.
    pub backoff: Duration,
    /// Log requests to stderr.
    pub verbose: bool,
    /// `--insecure-registry` hosts.
    pub insecure_registries: Vec<String>,
    /// Roots from `--ca-file` (replacing the bundled Mozilla roots).
    pub ca_certs: Option<Vec<Certificate<'static>>>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(200),
            verbose: false,
            insecure_registries: Vec::new(),
            ca_certs: None,
        }
    }
}

/// Reads PEM certificates (for `--ca-file` and `ca_file`/`ca_data`).
pub fn load_pem_certs(
    pem: &[u8],
    origin: &str,
) -> Result<Vec<Certificate<'static>>, RegistryError> {
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
            Ok(_) => None,
            Err(source) => Some(Err(RegistryError::Pem {
                origin: origin.to_owned(),
                source,
            })),
        })
        .collect::<Result<_, _>>()?;
    if certs.is_empty() {
        return Err(RegistryError::NoCertificate {
            origin: origin.to_owned(),
        });
    }
    Ok(certs)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
        }
    }
}

/// One request. `authorization` is a full header value (`Bearer …`).
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub method: Method,
    pub url: Url,
    pub accept: Option<&'a str>,
    pub authorization: Option<&'a Secret>,
    /// `application/x-www-form-urlencoded` body for `POST`.
    pub form: Option<&'a Secret>,
    /// Largest body accepted for a 2xx answer.
    pub limit: u64,
}

/// A response with any status; header names lowercase.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `status reason`, plus the registry's error code when its JSON body
    /// has one (`404 Not Found (NAME_UNKNOWN)`).
    pub fn status_text(&self) -> String {
        let mut s = format!("HTTP {} {}", self.status, reason(self.status));
        #[derive(serde::Deserialize)]
        struct Errors {
            errors: Vec<ErrorItem>,
        }
        #[derive(serde::Deserialize)]
        struct ErrorItem {
            #[serde(default)]
            code: String,
        }
        if let Ok(e) = serde_json::from_slice::<Errors>(&self.body) {
            let codes: Vec<&str> = e
                .errors
                .iter()
                .map(|i| i.code.as_str())
                .filter(|c| !c.is_empty() && c.len() < 64)
                .collect();
            if !codes.is_empty() {
                s.push_str(&format!(" ({})", codes.join(", ")));
            }
        }
        s
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// Why a request failed for good. Messages hold no credentials.
///
/// Not a [`RegistryError`] variant: it is what one request ends in (the
/// retry loop reads `status`), it is memoised per tag and shared between
/// threads, so it clones, and it is always reported wrapped in the
/// registry, repository and what was being fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(code(imageupdate::registry::request))]
pub struct Failure {
    /// The HTTP status that made us give up, if any.
    pub status: Option<u16>,
    pub message: String,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            status: None,
            message: message.into(),
        }
    }
}

/// Counting semaphore for requests in flight.
struct Slots {
    free: Mutex<usize>,
    cv: Condvar,
}

struct Permit<'a>(&'a Slots);

impl Slots {
    fn new(n: usize) -> Slots {
        Slots {
            free: Mutex::new(n.max(1)),
            cv: Condvar::new(),
        }
    }

    fn acquire(&self) -> Permit<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.cv.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.cv.notify_one();
    }
}

/// Evenly spaced request starts: at most `per_second` a second, no burst
/// (the leaky bucket Argo uses).
struct RateLimit {
    interval: Duration,
    next: Mutex<Instant>,
}

impl RateLimit {
    fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        let now = Instant::now();
        if slot > now {
            std::thread::sleep(slot - now);
        }
    }
}

/// Request counters, for `-v` summaries and benchmarks.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
}

/// The HTTP client of one endpoint.
pub struct Client {
    agent: ureq::Agent,
    opts: Arc<HttpOptions>,
    entry_insecure: bool,
    slots: Slots,
    rate: Option<RateLimit>,
    stats: Arc<Stats>,
}

impl Client {
    /// `limit`: requests per second (`None` unlimited); `insecure`: skip
    /// TLS verification and allow plain HTTP; `extra_roots`: the entry's
    /// own CA (replaces the bundled roots, as `--ca-file` does).
    pub fn new(
        opts: Arc<HttpOptions>,
        api: &Url,
        limit: Option<u32>,
        insecure: bool,
        extra_roots: Option<Vec<Certificate<'static>>>,
        stats: Arc<Stats>,
    ) -> Client {
        let roots = match (extra_roots, &opts.ca_certs) {
            (Some(mut own), Some(global)) => {
                own.extend(global.iter().cloned());
                RootCerts::new_with_certs(&own)
            }
            (Some(own), None) => RootCerts::new_with_certs(&own),
            (None, Some(global)) => RootCerts::new_with_certs(global),
            (None, None) => RootCerts::WebPki,
        };
        let skip_verify =
            insecure || super::endpoints::named_insecure(&api.authority, &opts.insecure_registries);
        let tls = TlsConfig::builder()
            .root_certs(roots)
            .disable_verification(skip_verify)
            .build();
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!("kubectl-imageupdate/", env!("CARGO_PKG_VERSION")))
            .timeout_global(Some(opts.timeout))
            .timeout_connect(Some(opts.timeout.min(Duration::from_secs(10))))
            .max_idle_connections_per_host(MAX_CONCURRENCY)
            .tls_config(tls);
        if is_loopback(&api.authority) {
            // Like Go's net/http: never send loopback traffic to a proxy.
            config = config.proxy(None);
        }
        Client {
            agent: config.build().new_agent(),
            opts,
            entry_insecure: insecure,
            slots: Slots::new(MAX_CONCURRENCY),
            rate: limit.filter(|&l| l > 0).map(|l| RateLimit {
                interval: Duration::from_secs_f64(1.0 / f64::from(l)),
                next: Mutex::new(Instant::now()),
            }),
            stats,
        }
    }

    pub fn options(&self) -> &HttpOptions {
        &self.opts
    }

    /// Whether `url` may be fetched under the plain-HTTP rule.
    pub fn check(&self, url: &Url) -> Result<(), Failure> {
        check_scheme(url, &self.opts.insecure_registries, self.entry_insecure)
            .map_err(|e| Failure::new(e.to_string()))
    }

    /// Sends with redirects (checked against the plain-HTTP rule; the
    /// `Authorization` header is dropped when the origin changes) and
    /// retries. Any HTTP status comes back as `Ok` except those retried
    /// until we gave up.
    pub fn send(&self, req: &Request) -> Result<Response, Failure> {
        let mut url = req.url.clone();
        let mut auth = req.authorization;
        for _ in 0..=MAX_REDIRECTS {
            self.check(&url)?;
            let resp = self.send_retrying(req, &url, auth)?;
            let redirect =
                matches!(resp.status, 301 | 302 | 303 | 307 | 308) && req.method != Method::Post;
            match resp.header("location") {
                Some(loc) if redirect => {
                    let next = url.join(loc).map_err(|e| {
                        Failure::new(format!("{} {url}: bad redirect: {e}", req.method.as_str()))
                    })?;
                    if next.origin() != url.origin() {
                        auth = None;
                    }
                    url = next;
                }
                _ => return Ok(resp),
            }
        }
        Err(Failure::new(format!(
            "{} {}: more than {MAX_REDIRECTS} redirects",
            req.method.as_str(),
            req.url
        )))
    }

    fn send_retrying(
        &self,
        req: &Request,
        url: &Url,
        auth: Option<&Secret>,
    ) -> Result<Response, Failure> {
        let attempts = self.opts.retries + 1;
        let method = req.method.as_str();
        for attempt in 1..=attempts {
            let outcome = self.attempt(req, url, auth);
            let last = attempt == attempts;
            let wait = match &outcome {
                Ok(r) if r.status == 429 => {
                    let asked = r
                        .header("retry-after")
                        .and_then(|v| parse_retry_after(v, unix_now()));
                    match asked {
                        Some(d) if d > MAX_RETRY_AFTER => {
                            return Err(Failure {
                                status: Some(429),
                                message: format!(
                                    "{method} {url}: {} with Retry-After {}s (more than the {}s we wait)",
                                    r.status_text(),
                                    d.as_secs(),
                                    MAX_RETRY_AFTER.as_secs()
                                ),
                            });
                        }
                        Some(d) => d,
                        None => self.backoff(attempt),
                    }
                }
                Ok(r) if matches!(r.status, 500 | 502 | 503 | 504) => self.backoff(attempt),
                Ok(_) => return outcome.map_err(|e| e.failure),
                Err(e) if e.retryable => self.backoff(attempt),
                Err(_) => return outcome.map_err(|e| e.failure),
            };
            if last {
                let tries = if attempts == 1 {
                    String::new()
                } else {
                    format!(" (gave up after {attempts} attempts)")
                };
                return Err(match outcome {
                    Ok(r) => Failure {
                        status: Some(r.status),
                        message: format!("{method} {url}: {}{tries}", r.status_text()),
                    },
                    Err(e) => Failure {
                        status: None,
                        message: format!("{}{tries}", e.failure.message),
                    },
                });
            }
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            if self.opts.verbose {
                log(&format!(
                    "retrying {method} {url} in {} ms (attempt {}/{attempts})",
                    wait.as_millis(),
                    attempt + 1
                ));
            }
            std::thread::sleep(wait);
        }
        unreachable!("the loop returns on its last attempt")
    }

    /// Exponential backoff with jitter: base·2^(n-1), capped, then a
    /// uniformly random point in its upper half.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .opts
            .backoff
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(MAX_BACKOFF);
        let r = RandomState::new().hash_one(Instant::now()) % 1000;
        exp / 2 + exp / 2 * u32::try_from(r).unwrap_or(0) / 1000
    }

    fn attempt(
        &self,
        req: &Request,
        url: &Url,
        auth: Option<&Secret>,
    ) -> Result<Response, AttemptError> {
        let _permit = self.slots.acquire();
        if let Some(rate) = &self.rate {
            rate.wait();
        }
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let method = req.method.as_str();
        let target = url.to_string();
        macro_rules! with_headers {
            ($b:expr) => {{
                let mut b = $b;
                if let Some(a) = req.accept {
                    b = b.header("Accept", a);
                }
                if let Some(s) = auth {
                    b = b.header("Authorization", s.expose());
                }
                b
            }};
        }
        let result = match req.method {
            Method::Get => with_headers!(self.agent.get(&target)).call(),
            Method::Head => with_headers!(self.agent.head(&target)).call(),
            Method::Post => with_headers!(self.agent.post(&target))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .send(req.form.map_or("", Secret::expose)),
        };
        let outcome = match result {
            Err(e) => Err(transport_error(method, url, &e)),
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let headers: Vec<(String, String)> = resp
                    .headers()
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_ascii_lowercase(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                let limit = if (200..300).contains(&status) {
                    req.limit
                } else {
                    ERROR_BODY_LIMIT
                };
                let body = if req.method == Method::Head {
                    Ok(Vec::new())
                } else {
                    resp.body_mut().with_config().limit(limit).read_to_vec()
                };
                match body {
                    Ok(body) => Ok(Response {
                        status,
                        url: url.clone(),
                        headers,
                        body,
                    }),
                    Err(ureq::Error::BodyExceedsLimit(_)) if status >= 300 => Ok(Response {
                        status,
                        url: url.clone(),
                        headers,
                        body: Vec::new(),
                    }),
                    Err(ureq::Error::BodyExceedsLimit(_)) => Err(AttemptError {
                        retryable: false,
                        failure: Failure {
                            status: Some(status),
                            message: format!("{method} {url}: response larger than {limit} bytes"),
                        },
                    }),
                    Err(e) => Err(transport_error(method, url, &e)),
                }
            }
        };
        if self.opts.verbose {
            let ms = started.elapsed().as_millis();
            match &outcome {
                Ok(r) => log(&format!("{method} {url} -> {} ({ms} ms)", r.status)),
                Err(e) => log(&format!("{} ({ms} ms)", e.failure.message)),
            }
        }
        outcome
    }
}

struct AttemptError {
    retryable: bool,
    failure: Failure,
}

fn transport_error(method: &str, url: &Url, e: &ureq::Error) -> AttemptError {
    let (retryable, what) = match e {
        ureq::Error::Timeout(_) => (true, "timed out".to_owned()),
        // Garbage where HTTP (or TLS) was expected does not heal on retry.
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => (
            false,
            format!(
                "invalid data: {io} (an untrusted certificate needs --ca-file; or TLS is not spoken there)"
            ),
        ),
        ureq::Error::Io(io) => (true, format!("connection error: {}", io.kind())),
        ureq::Error::ConnectionFailed => (true, "connection failed".to_owned()),
        ureq::Error::Protocol(_) => (true, "malformed HTTP response".to_owned()),
        ureq::Error::HostNotFound => (false, "host not found".to_owned()),
        ureq::Error::Tls(m) => (false, format!("TLS error: {m}")),
        ureq::Error::RequireHttpsOnly(_) => (false, "plain HTTP refused".to_owned()),
        other => (false, other.to_string()),
    };
    AttemptError {
        retryable,
        failure: Failure::new(format!("{method} {url}: {what}")),
    }
}

/// `Retry-After` as delta-seconds or as an HTTP-date (RFC 9110's
/// IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`), measured from `now`
/// (seconds since the epoch); a date already past means at once. The two
/// obsolete date forms fall back to our own backoff.
pub fn parse_retry_after(v: &str, now: i64) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = parse_imf_fixdate(v)?;
    Some(Duration::from_secs(u64::try_from(at - now).unwrap_or(0)))
}

/// Seconds since the epoch of an IMF-fixdate.
fn parse_imf_fixdate(v: &str) -> Option<i64> {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = v.split(' ').collect();
    let [weekday, day, month, year, time, "GMT"] = parts[..] else {
        return None;
    };
    let weekday = weekday.strip_suffix(',')?;
    let number = |s: &str, len: usize| -> Option<i64> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let day = number(day, 2)?;
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let year = number(year, 4)?;
    let [h, m, s] = time.split(':').collect::<Vec<_>>()[..] else {
        return None;
    };
    let (h, m, s) = (number(h, 2)?, number(m, 2)?, number(s, 2)?);
    if !DAYS.contains(&weekday) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = crate::resolve::tags::days_from_civil(year, month, day);
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Writes one `-v` line to stderr.
pub fn log(line: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "registry: {line}");
}

/// Whether a progress bar may be drawn (stderr is a terminal).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests;
