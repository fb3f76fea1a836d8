//! Tests of the HTTP client: `Retry-After`, backoff, rate limit, status text,
//! PEM loading and the plain-HTTP refusal.

use super::*;

#[test]
fn retry_after_seconds_and_dates() {
    // 2015-10-21T07:28:00Z
    let at = 1_445_412_480;
    let secs = |s| Some(Duration::from_secs(s));
    assert_eq!(parse_retry_after(" 2 ", at), secs(2));
    let date = "Wed, 21 Oct 2015 07:28:00 GMT";
    assert_eq!(parse_retry_after(date, at - 30), secs(30));
    assert_eq!(parse_retry_after(date, at), secs(0));
    assert_eq!(parse_retry_after(date, at + 5), secs(0), "already past");
    assert_eq!(
        parse_retry_after("Thu, 29 Feb 2024 23:59:59 GMT", 1_709_251_199 - 1),
        secs(1)
    );
    for bad in [
        "Wednesday, 21-Oct-15 07:28:00 GMT",
        "Wed Oct 21 07:28:00 2015",
        "Wed, 21 Oct 2015 07:28:00 UTC",
        "Wed, 21 oct 2015 07:28:00 GMT",
        "Wed, 1 Oct 2015 07:28:00 GMT",
        "Wed, 21 Oct 2015 24:00:00 GMT",
        "Wed, 21 Oct 2015 07:28 GMT",
        "Xyz, 21 Oct 2015 07:28:00 GMT",
        "-3",
        "",
    ] {
        assert_eq!(parse_retry_after(bad, at), None, "{bad:?}");
    }
}

#[test]
fn backoff_grows_with_jitter_and_cap() {
    let c = Client::new(
        Arc::new(HttpOptions::default()),
        &Url::parse("http://127.0.0.1:1").unwrap(),
        None,
        false,
        None,
        Arc::default(),
    );
    for attempt in 1..=20 {
        let d = c.backoff(attempt);
        let full = Duration::from_millis(200)
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(MAX_BACKOFF);
        assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
    }
}

#[test]
fn rate_limit_spaces_requests() {
    let r = RateLimit {
        interval: Duration::from_millis(20),
        next: Mutex::new(Instant::now()),
    };
    let t = Instant::now();
    for _ in 0..4 {
        r.wait();
    }
    assert!(t.elapsed() >= Duration::from_millis(60));
}

#[test]
fn status_text_names_registry_codes() {
    let r = Response {
        status: 404,
        url: Url::parse("http://h/v2/").unwrap(),
        headers: vec![],
        body: br#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]}"#
            .to_vec(),
    };
    assert_eq!(r.status_text(), "HTTP 404 Not Found (NAME_UNKNOWN)");
}

#[test]
fn pem_loading() {
    assert!(load_pem_certs(b"not pem", "x").is_err());
}

#[test]
fn refused_plain_http_is_not_attempted() {
    let c = Client::new(
        Arc::new(HttpOptions::default()),
        &Url::parse("http://registry.example.com").unwrap(),
        None,
        false,
        None,
        Arc::default(),
    );
    let req = Request {
        method: Method::Get,
        url: Url::parse("http://registry.example.com/v2/").unwrap(),
        accept: None,
        authorization: None,
        form: None,
        limit: 1024,
    };
    let e = c.send(&req).unwrap_err();
    assert!(e.message.contains("refusing plain HTTP"), "{e}");
    assert_eq!(c.stats.requests.load(Ordering::Relaxed), 0);
}
