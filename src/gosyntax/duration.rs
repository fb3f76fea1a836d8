//! Go durations: `time.ParseDuration`, `time.Duration.String`, and the two
//! OpenAPI patterns Flux puts on its `interval` and `timeout` fields.
//!
//! The CRD patterns and `time.ParseDuration` disagree: the API server checks
//! the pattern first (so `1h` is rejected as a `timeout`, `-1m` and `1.5h5`
//! are rejected everywhere), while the controllers later parse the value with
//! `ParseDuration` (which also takes `us`, `ns`, signs and `.5s`). A linter
//! needs both answers, so both live here.

use std::fmt;

/// A Go `time.Duration`: signed nanoseconds in an `i64`.
///
/// Kept distinct from [`std::time::Duration`] because Go durations can be
/// negative (`-1m` parses fine) and saturate at ±292 years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GoDuration {
    nanos: i64,
}

impl GoDuration {
    pub const ZERO: GoDuration = GoDuration { nanos: 0 };
    pub const NANOSECOND: i64 = 1;
    pub const MICROSECOND: i64 = 1_000;
    pub const MILLISECOND: i64 = 1_000_000;
    pub const SECOND: i64 = 1_000_000_000;
    pub const MINUTE: i64 = 60 * Self::SECOND;
    pub const HOUR: i64 = 60 * Self::MINUTE;

    pub const fn from_nanos(nanos: i64) -> Self {
        Self { nanos }
    }

    pub const fn from_secs(secs: i64) -> Self {
        Self {
            nanos: secs.saturating_mul(Self::SECOND),
        }
    }

    pub const fn as_nanos(self) -> i64 {
        self.nanos
    }

    /// Whole-and-fractional seconds, as Go's `Duration.Seconds()`.
    pub fn as_secs_f64(self) -> f64 {
        let sec = self.nanos / Self::SECOND;
        let nsec = self.nanos % Self::SECOND;
        sec as f64 + nsec as f64 / 1e9
    }

    pub const fn is_negative(self) -> bool {
        self.nanos < 0
    }

    /// `None` for negative durations, which `std` cannot represent.
    pub fn to_std(self) -> Option<std::time::Duration> {
        u64::try_from(self.nanos)
            .ok()
            .map(std::time::Duration::from_nanos)
    }

    /// `None` when the value does not fit Go's `int64` nanoseconds.
    pub fn from_std(d: std::time::Duration) -> Option<Self> {
        i64::try_from(d.as_nanos()).ok().map(Self::from_nanos)
    }
}

impl fmt::Display for GoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_go_duration(*self))
    }
}

/// Why `time.ParseDuration` rejected its input. `Display` reproduces Go's
/// error text, e.g. `time: unknown unit "d" in duration "1d"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    pub kind: DurationErrorKind,
    /// The whole input, as Go quotes it in the message.
    pub input: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationErrorKind {
    /// Go's catch-all `time: invalid duration` (empty input, no digits,
    /// stray characters, overflow).
    Invalid,
    /// A number with no unit after it, e.g. `1` or `1h30`.
    MissingUnit,
    /// A unit Go does not know, e.g. `d` or `ks`.
    UnknownUnit(String),
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = go_time_quote(&self.input);
        match &self.kind {
            DurationErrorKind::Invalid => write!(f, "time: invalid duration {q}"),
            DurationErrorKind::MissingUnit => write!(f, "time: missing unit in duration {q}"),
            DurationErrorKind::UnknownUnit(u) => {
                write!(f, "time: unknown unit {} in duration {q}", go_time_quote(u))
            }
        }
    }
}

impl std::error::Error for DurationError {}

/// Go's `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, with units
/// `ns`, `us`, `µs` (U+00B5), `μs` (U+03BC), `ms`, `s`, `m`, `h`. A bare `0`
/// (optionally signed) is the only unitless value Go accepts.
pub fn parse_go_duration(s: &str) -> Result<GoDuration, DurationError> {
    let err = |kind| DurationError {
        kind,
        input: s.to_string(),
    };
    let invalid = || err(DurationErrorKind::Invalid);
    let mut rest = s.as_bytes();
    let mut neg = false;
    if let Some(&c) = rest.first()
        && (c == b'-' || c == b'+')
    {
        neg = c == b'-';
        rest = &rest[1..];
    }
    if rest == b"0" {
        return Ok(GoDuration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    const LIMIT: u64 = 1 << 63;
    let mut d: u64 = 0;
    while !rest.is_empty() {
        if !(rest[0] == b'.' || rest[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let before = rest.len();
        let (mut v, r) = leading_int(rest).ok_or_else(invalid)?;
        rest = r;
        let pre = before != rest.len();
        let mut post = false;
        let mut f: u64 = 0;
        let mut scale: f64 = 1.0;
        if rest.first() == Some(&b'.') {
            rest = &rest[1..];
            let before = rest.len();
            let (ff, sc, r) = leading_fraction(rest);
            f = ff;
            scale = sc;
            rest = r;
            post = before != rest.len();
        }
        if !pre && !post {
            return Err(invalid());
        }
        let unit_len = rest
            .iter()
            .position(|&c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(rest.len());
        if unit_len == 0 {
            return Err(err(DurationErrorKind::MissingUnit));
        }
        let unit_bytes = &rest[..unit_len];
        rest = &rest[unit_len..];
        let unit: u64 = match unit_bytes {
            b"ns" => 1,
            b"us" => 1_000,
            // U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU, both accepted by Go.
            b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60 * 1_000_000_000,
            b"h" => 3600 * 1_000_000_000,
            _ => {
                // The unit run stops at a digit or '.', which are ASCII, so the
                // slice boundaries are char boundaries of the original &str.
                let u = String::from_utf8_lossy(unit_bytes).into_owned();
                return Err(err(DurationErrorKind::UnknownUnit(u)));
            }
        };
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            // Go converts the fraction through float64 for nanosecond accuracy
            // on fractional hours; the result is at most 3.6e12.
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        // Go adds in uint64 and only then compares, so 2^63 + 2^63 wraps to 0
        // and is accepted; mirror that rather than "fixing" it.
        d = d.wrapping_add(v);
        if d > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        return Ok(GoDuration::from_nanos((d as i64).wrapping_neg()));
    }
    if d > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(GoDuration::from_nanos(d as i64))
}

/// Go's `leadingInt`: digits into a u64, failing above 2^63.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let mut x: u64 = 0;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if x > (1u64 << 63) / 10 {
            return None;
        }
        x = x * 10 + u64::from(s[i] - b'0');
        if x > 1u64 << 63 {
            return None;
        }
        i += 1;
    }
    Some((x, &s[i..]))
}

/// Go's `leadingFraction`: stops accumulating precision on overflow instead
/// of failing.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let mut x: u64 = 0;
    let mut scale = 1.0;
    let mut overflow = false;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        let c = s[i];
        i += 1;
        if overflow {
            continue;
        }
        if x > ((1u64 << 63) - 1) / 10 {
            overflow = true;
            continue;
        }
        let y = x * 10 + u64::from(c - b'0');
        if y > 1u64 << 63 {
            overflow = true;
            continue;
        }
        x = y;
        scale *= 10.0;
    }
    (x, scale, &s[i..])
}

/// Go's `Duration.String()`: `1h0m0s`, `5m0s`, `30s`, `1.5s`, `1.2ms`,
/// `0s`, `-1m0s`. Units stop at hours.
pub fn format_go_duration(d: GoDuration) -> String {
    let mut u = d.nanos.unsigned_abs();
    let neg = d.nanos < 0;
    if u == 0 {
        return "0s".to_string();
    }
    // Built back to front, like Go's buffer.
    let mut out: Vec<u8> = Vec::with_capacity(32);
    if u < GoDuration::SECOND as u64 {
        out.push(b's');
        let prec = if u < GoDuration::MICROSECOND as u64 {
            out.push(b'n');
            0
        } else if u < GoDuration::MILLISECOND as u64 {
            // 'µ' (U+00B5) reversed, because the buffer is reversed at the end.
            out.extend_from_slice(&[0xB5, 0xC2]);
            3
        } else {
            out.push(b'm');
            6
        };
        u = fmt_frac(&mut out, u, prec);
        fmt_int(&mut out, u);
    } else {
        out.push(b's');
        u = fmt_frac(&mut out, u, 9);
        fmt_int(&mut out, u % 60);
        u /= 60;
        if u > 0 {
            out.push(b'm');
            fmt_int(&mut out, u % 60);
            u /= 60;
            if u > 0 {
                out.push(b'h');
                fmt_int(&mut out, u);
            }
        }
    }
    if neg {
        out.push(b'-');
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn fmt_frac(out: &mut Vec<u8>, mut v: u64, prec: u32) -> u64 {
    let mut print = false;
    for _ in 0..prec {
        let digit = (v % 10) as u8;
        print = print || digit != 0;
        if print {
            out.push(b'0' + digit);
        }
        v /= 10;
    }
    if print {
        out.push(b'.');
    }
    v
}

fn fmt_int(out: &mut Vec<u8>, mut v: u64) {
    if v == 0 {
        out.push(b'0');
        return;
    }
    while v > 0 {
        out.push(b'0' + (v % 10) as u8);
        v /= 10;
    }
}

/// The Flux CRD pattern for `interval` fields:
/// `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`.
pub fn matches_flux_interval(s: &str) -> bool {
    matches_flux_pattern(s, true)
}

/// The Flux CRD pattern for `ImageRepository.spec.timeout`:
/// `^([0-9]+(\.[0-9]+)?(ms|s|m))+$` — no `h`.
pub fn matches_flux_timeout(s: &str) -> bool {
    matches_flux_pattern(s, false)
}

fn matches_flux_pattern(s: &str, allow_hours: bool) -> bool {
    let b = s.as_bytes();
    if b.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let frac = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == frac {
                return false;
            }
        }
        // `ms` must win over `m` when followed by `s`: every segment starts
        // with a digit, so `m` then `s…` could never continue the match.
        match b.get(i) {
            Some(b'm') if b.get(i + 1) == Some(&b's') => i += 2,
            Some(b'm') | Some(b's') => i += 1,
            Some(b'h') if allow_hours => i += 1,
            _ => return false,
        }
    }
    true
}

/// `time`'s private `quote`: every byte that is non-ASCII or a control
/// character becomes `\xNN` (Go does not bother to keep UTF-8 readable
/// here), and `"` and `\` are backslash-escaped.
fn go_time_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s.as_bytes() {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            b if !(b' '..0x80).contains(&b) => out.push_str(&format!("\\x{b:02x}")),
            b => out.push(b as char),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(s: &str) -> i64 {
        parse_go_duration(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .as_nanos()
    }

    fn err(s: &str) -> String {
        parse_go_duration(s).expect_err(s).to_string()
    }

    const S: i64 = GoDuration::SECOND;
    const M: i64 = GoDuration::MINUTE;
    const H: i64 = GoDuration::HOUR;

    #[test]
    fn parses_go_examples() {
        assert_eq!(ns("1h30m"), H + 30 * M);
        assert_eq!(ns("1.5h"), H + 30 * M);
        assert_eq!(ns("-1m"), -M);
        assert_eq!(ns("+5s"), 5 * S);
        assert_eq!(ns("0"), 0);
        assert_eq!(ns("-0"), 0);
        assert_eq!(ns("5m0s"), 5 * M);
        assert_eq!(ns(".5s"), S / 2);
        assert_eq!(ns("1.s"), S);
        assert_eq!(ns("300ms"), 300 * GoDuration::MILLISECOND);
        assert_eq!(ns("2h45m"), 2 * H + 45 * M);
        assert_eq!(ns("1us"), 1_000);
        assert_eq!(ns("1µs"), 1_000);
        assert_eq!(ns("1μs"), 1_000);
        assert_eq!(ns("7ns"), 7);
        assert_eq!(ns("0s"), 0);
        assert_eq!(ns("1h1h"), 2 * H);
        assert_eq!(ns("0.3333333333333333333h"), 20 * M);
        assert_eq!(ns("9223372036854775807ns"), i64::MAX);
        assert_eq!(ns("-9223372036854775808ns"), i64::MIN);
    }

    #[test]
    fn rejects_like_go() {
        assert_eq!(err("1"), r#"time: missing unit in duration "1""#);
        assert_eq!(err("1h30"), r#"time: missing unit in duration "1h30""#);
        assert_eq!(err("1x"), r#"time: unknown unit "x" in duration "1x""#);
        assert_eq!(err("1d"), r#"time: unknown unit "d" in duration "1d""#);
        assert_eq!(err(""), r#"time: invalid duration """#);
        assert_eq!(err("-"), r#"time: invalid duration "-""#);
        assert_eq!(err(".s"), r#"time: invalid duration ".s""#);
        assert_eq!(err("s"), r#"time: invalid duration "s""#);
        assert_eq!(
            err("1h 30m"),
            r#"time: unknown unit "h " in duration "1h 30m""#
        );
        assert_eq!(err("00"), r#"time: missing unit in duration "00""#);
        assert_eq!(
            err("9223372036854775808ns"),
            r#"time: invalid duration "9223372036854775808ns""#
        );
        assert_eq!(err("3000000h"), r#"time: invalid duration "3000000h""#);
        assert!(
            matches!(parse_go_duration("1S").unwrap_err().kind, DurationErrorKind::UnknownUnit(u) if u == "S")
        );
    }

    #[test]
    fn flux_patterns() {
        assert!(matches_flux_interval("5m"));
        assert!(matches_flux_interval("1h"));
        assert!(matches_flux_interval("5m0s"));
        assert!(matches_flux_interval("1h30m"));
        assert!(matches_flux_interval("1.5h"));
        assert!(matches_flux_interval("500ms"));
        assert!(matches_flux_interval("10ms5s"));
        assert!(!matches_flux_interval("1d"));
        assert!(!matches_flux_interval(""));
        assert!(!matches_flux_interval("0"));
        assert!(!matches_flux_interval("-1m"));
        assert!(!matches_flux_interval(".5s"));
        assert!(!matches_flux_interval("1.s"));
        assert!(!matches_flux_interval("1us"));
        assert!(!matches_flux_interval("1m "));
        assert!(!matches_flux_interval("m"));

        assert!(matches_flux_timeout("5m"));
        assert!(matches_flux_timeout("5m0s"));
        assert!(matches_flux_timeout("30s"));
        assert!(matches_flux_timeout("90ms"));
        assert!(!matches_flux_timeout("1h"));
        assert!(!matches_flux_timeout("1h0m0s"));
        assert!(!matches_flux_timeout("1d"));
    }

    #[test]
    fn formats_like_go() {
        let f = |n: i64| format_go_duration(GoDuration::from_nanos(n));
        assert_eq!(f(0), "0s");
        assert_eq!(f(M), "1m0s");
        assert_eq!(f(5 * M), "5m0s");
        assert_eq!(f(H), "1h0m0s");
        assert_eq!(f(30 * S), "30s");
        assert_eq!(f(S + S / 2), "1.5s");
        assert_eq!(f(1_200_000), "1.2ms");
        assert_eq!(f(1_500), "1.5µs");
        assert_eq!(f(7), "7ns");
        assert_eq!(f(-M), "-1m0s");
        assert_eq!(f(H + 30 * M), "1h30m0s");
        assert_eq!(f(i64::MAX), "2562047h47m16.854775807s");
        assert_eq!(f(i64::MIN), "-2562047h47m16.854775808s");
        assert_eq!(GoDuration::from_secs(90).to_string(), "1m30s");
    }

    #[test]
    fn format_round_trips() {
        for s in [
            "1m0s", "5m0s", "1h0m0s", "30s", "1.5s", "0s", "1h30m0s", "-2m3.5s", "1.2ms", "1.5µs",
            "7ns",
        ] {
            assert_eq!(format_go_duration(parse_go_duration(s).unwrap()), s);
        }
        for s in ["1h", "90m", "1.5h", "5m0s"] {
            let d = parse_go_duration(s).unwrap();
            assert_eq!(parse_go_duration(&format_go_duration(d)).unwrap(), d, "{s}");
        }
    }

    #[test]
    fn std_conversions() {
        assert_eq!(GoDuration::from_nanos(-1).to_std(), None);
        assert_eq!(
            parse_go_duration("1.5s").unwrap().to_std(),
            Some(std::time::Duration::from_millis(1500))
        );
        assert_eq!(
            GoDuration::from_std(std::time::Duration::from_secs(60)),
            Some(GoDuration::from_nanos(M))
        );
        assert_eq!(GoDuration::from_std(std::time::Duration::MAX), None);
        assert_eq!(parse_go_duration("1m30s").unwrap().as_secs_f64(), 90.0);
    }

    #[test]
    fn never_panics_on_random_input() {
        let mut rng = crate::testutil::Rng::new(0xD0_0D);
        let alphabet = "0123456789.+-hmsunµμx ";
        for _ in 0..2000 {
            let s = rng.string_from(alphabet, 12);
            let _ = parse_go_duration(&s);
            let _ = matches_flux_interval(&s);
            let _ = matches_flux_timeout(&s);
        }
        let interval = ::regex::Regex::new(r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$").unwrap();
        let timeout = ::regex::Regex::new(r"^([0-9]+(\.[0-9]+)?(ms|s|m))+$").unwrap();
        for _ in 0..3000 {
            let s = rng.string_from("01.mshd", 8);
            assert_eq!(matches_flux_interval(&s), interval.is_match(&s), "{s:?}");
            assert_eq!(matches_flux_timeout(&s), timeout.is_match(&s), "{s:?}");
        }
        for _ in 0..500 {
            let n = rng.next_u64() as i64;
            let d = GoDuration::from_nanos(n);
            assert_eq!(
                parse_go_duration(&format_go_duration(d)).ok(),
                Some(d),
                "{n}"
            );
        }
    }
}
