//! Go's `strconv`, the parts the Go syntaxes here lean on: `ParseFloat`
//! (Flux's `numerical` policy, template number literals), `ParseInt` and
//! `ParseUint` with base 0 (template number literals), `UnquoteChar`,
//! `Unquote` and `Quote` (template strings and messages).
//!
//! Pure functions over strings; errors are Go's two `NumError` causes,
//! worded as Go words them, and callers add the `strconv.ParseFloat:
//! parsing "x": ` prefix where they need Go's whole message.

/// Why Go's `strconv` rejects a number: `ErrSyntax` or `ErrRange`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumError {
    #[error("invalid syntax")]
    Syntax,
    #[error("value out of range")]
    Range,
}

// ---------------------------------------------------------------------------
// ParseFloat(s, 64)

/// Go's `strconv.ParseFloat(s, 64)`: `Ok` exactly when Go returns no
/// error, with the same value (correctly rounded, ties to even). Accepted:
///
/// - `inf`, `infinity` with an optional sign, and `nan` **without** a sign,
///   all case-insensitive, as the whole string (`infx`, `+nan` fail);
/// - decimal: optional `+`/`-`, digits with at most one `.` and at least
///   one digit (`1.`, `.5`), then optionally `e`/`E`, an optional sign and
///   at least one digit;
/// - hexadecimal: optional sign, `0x`/`0X`, hex digits with at most one
///   `.`, then a **mandatory** `p`/`P` binary exponent with decimal digits
///   (`0x1p-2`; `0x1e2` and `0x1` fail);
/// - `_` digit separators in both forms, with **no base prefix needed**
///   (`1_000`, `1_23.50_0_0e+1_2` and `0x_1_2.3_4_5p+1_2` are accepted, as
///   Go's own atof tests pin). Go's `underscoreOK` rule: an `_` must sit
///   between two digits (hex digits after `0x`), or between the `0x` prefix
///   and a digit; `_1`, `1__2`, `1_.5`, `1._5`, `1_e2`, `1e_2`, `1_` fail.
///   (The "only with a base prefix" rule belongs to `ParseInt` with base 0,
///   not to `ParseFloat`.)
///
/// Rejected: anything else (leading/trailing space or junk, `0b`/`0o`
/// prefixes, an empty string: [`NumError::Syntax`]) and values that
/// overflow `f64` ([`NumError::Range`]: `1e400`, `-1e400`, `0x1p1024`), which Rust's `f64::from_str`
/// would turn into an infinity. Underflow is not an error: `1e-400` is 0.
/// As in Go, exponents stop accumulating once they reach 10000, so a
/// 6-digit exponent is read as if clamped.
pub fn parse_float(s: &str) -> Result<f64, NumError> {
    if let Some((value, len)) = special(s.as_bytes()) {
        // Go's special() matches a prefix; ParseFloat then insists on the
        // whole string and does not retry as a number.
        return if len == s.len() {
            Ok(value)
        } else {
            Err(NumError::Syntax)
        };
    }
    let r = read_float(s.as_bytes()).ok_or(NumError::Syntax)?;
    if r.end != s.len() {
        return Err(NumError::Syntax);
    }
    if r.hex {
        return atof_hex(r.mantissa, r.exp, r.neg, r.trunc).ok_or(NumError::Range);
    }
    // Decimal: after Go's syntax check the text is also valid Rust float
    // syntax, and both parsers round correctly, so Rust computes Go's value.
    // Only separators and a clamped exponent need rewriting first.
    let parsed = if !r.underscores && !r.exp_clamped {
        s.parse::<f64>()
    } else {
        let mantissa_end = r.exp_at.unwrap_or(s.len());
        let mut text: String = s[..mantissa_end].chars().filter(|&c| c != '_').collect();
        if r.exp_at.is_some() {
            text.push('e');
            text.push_str(&r.exp_value.to_string());
        }
        text.parse::<f64>()
    };
    let value = parsed.map_err(|_| NumError::Syntax)?;
    // Overflow is Go's ErrRange; Rust returns an infinity instead.
    if value.is_finite() {
        Ok(value)
    } else {
        Err(NumError::Range)
    }
}

/// Go `lower`: ASCII lower-casing by setting bit 0x20 (only used where the
/// result is compared with a letter, which makes it exact).
fn lower(c: u8) -> u8 {
    c | 0x20
}

/// Go `special`: `[+-]inf`, `[+-]infinity`, `nan` at the start of `s`, case
/// ignored; the value and how many bytes it covers.
fn special(s: &[u8]) -> Option<(f64, usize)> {
    let first = *s.first()?;
    let prefix_len = |rest: &[u8], word: &[u8]| {
        rest.iter()
            .zip(word)
            .take_while(|(a, b)| lower(**a) == **b)
            .count()
    };
    let infinity = |rest: &[u8], sign: f64, nsign: usize| {
        let mut n = prefix_len(rest, b"infinity");
        // Anything longer than "inf" but short of "infinity" consumes "inf".
        if 3 < n && n < 8 {
            n = 3;
        }
        (n == 3 || n == 8).then_some((sign * f64::INFINITY, nsign + n))
    };
    match first {
        b'+' => infinity(&s[1..], 1.0, 1),
        b'-' => infinity(&s[1..], -1.0, 1),
        b'i' | b'I' => infinity(s, 1.0, 0),
        b'n' | b'N' => (prefix_len(s, b"nan") == 3).then_some((f64::NAN, 3)),
        _ => None,
    }
}

/// What Go's `readFloat` extracts, plus what the decimal path needs to
/// rebuild the text.
struct ReadFloat {
    mantissa: u64,
    exp: i64,
    neg: bool,
    trunc: bool,
    hex: bool,
    /// Bytes consumed.
    end: usize,
    underscores: bool,
    /// Byte offset of the exponent letter.
    exp_at: Option<usize>,
    /// The exponent as Go read it (signed, clamped).
    exp_value: i64,
    /// Some exponent digits were ignored because it had reached 10000.
    exp_clamped: bool,
}

/// Port of Go `strconv.readFloat` (atof.go), including its `underscoreOK`
/// check. `None` is Go's `ok == false`.
fn read_float(s: &[u8]) -> Option<ReadFloat> {
    let mut i = 0;
    let mut underscores = false;
    let mut neg = false;
    match s.first()? {
        b'+' => i += 1,
        b'-' => {
            neg = true;
            i += 1;
        }
        _ => {}
    }
    let mut base: u64 = 10;
    let mut max_mant_digits = 19; // 10^19 fits in u64
    let mut exp_char = b'e';
    let mut hex = false;
    if i + 2 < s.len() && s[i] == b'0' && lower(s[i + 1]) == b'x' {
        base = 16;
        max_mant_digits = 16; // 16^16 fits in u64
        i += 2;
        exp_char = b'p';
        hex = true;
    }
    let mut sawdot = false;
    let mut sawdigits = false;
    let mut nd: i64 = 0;
    let mut nd_mant: i64 = 0;
    let mut dp: i64 = 0;
    let mut mantissa: u64 = 0;
    let mut trunc = false;
    while i < s.len() {
        let c = s[i];
        if c == b'_' {
            underscores = true;
        } else if c == b'.' {
            if sawdot {
                break;
            }
            sawdot = true;
            dp = nd;
        } else if c.is_ascii_digit() {
            sawdigits = true;
            if c == b'0' && nd == 0 {
                // Leading zeros move the point but are not digits.
                dp -= 1;
            } else {
                nd += 1;
                if nd_mant < max_mant_digits {
                    mantissa = mantissa * base + u64::from(c - b'0');
                    nd_mant += 1;
                } else if c != b'0' {
                    trunc = true;
                }
            }
        } else if base == 16 && (b'a'..=b'f').contains(&lower(c)) {
            sawdigits = true;
            nd += 1;
            if nd_mant < max_mant_digits {
                mantissa = mantissa * 16 + u64::from(lower(c) - b'a' + 10);
                nd_mant += 1;
            } else {
                trunc = true;
            }
        } else {
            break;
        }
        i += 1;
    }
    if !sawdigits {
        return None;
    }
    if !sawdot {
        dp = nd;
    }
    if base == 16 {
        dp *= 4;
        nd_mant *= 4;
    }
    let mut exp_at = None;
    let mut exp_value = 0;
    let mut exp_clamped = false;
    if i < s.len() && lower(s[i]) == exp_char {
        exp_at = Some(i);
        i += 1;
        if i >= s.len() {
            return None;
        }
        let mut esign = 1;
        if s[i] == b'+' {
            i += 1;
        } else if s[i] == b'-' {
            i += 1;
            esign = -1;
        }
        if i >= s.len() || !s[i].is_ascii_digit() {
            return None;
        }
        let mut e: i64 = 0;
        while i < s.len() && (s[i].is_ascii_digit() || s[i] == b'_') {
            if s[i] == b'_' {
                underscores = true;
            } else if e < 10000 {
                e = e * 10 + i64::from(s[i] - b'0');
            } else {
                exp_clamped = true;
            }
            i += 1;
        }
        exp_value = e * esign;
        dp += exp_value;
    } else if base == 16 {
        // A hex float must have a 'p' exponent.
        return None;
    }
    let exp = if mantissa != 0 { dp - nd_mant } else { 0 };
    if underscores && !underscore_ok(&s[..i]) {
        return None;
    }
    Some(ReadFloat {
        mantissa,
        exp,
        neg,
        trunc,
        hex,
        end: i,
        underscores,
        exp_at,
        exp_value,
        exp_clamped,
    })
}

/// Go `strconv.underscoreOK`: every `_` sits between digits, or between a
/// base prefix and a digit.
pub(crate) fn underscore_ok(s: &[u8]) -> bool {
    // '^' start, '0' digit or base prefix, '_' underscore, '!' other.
    let mut saw = b'^';
    let mut i = 0;
    let s = match s.first() {
        Some(b'-' | b'+') => &s[1..],
        _ => s,
    };
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(lower(s[1]), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = lower(s[1]) == b'x';
    }
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c.is_ascii_digit() || (hex && (b'a'..=b'f').contains(&lower(c))) {
            saw = b'0';
            continue;
        }
        if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
            continue;
        }
        if saw == b'_' {
            return false;
        }
        saw = b'!';
    }
    saw != b'_'
}

/// Port of Go `strconv.atofHex` for float64: round `mantissa × 2^exp` to 53
/// bits (ties to even, `trunc` as a sticky bit); `None` on overflow (Go's
/// `ErrRange`).
fn atof_hex(mut mantissa: u64, mut exp: i64, neg: bool, trunc: bool) -> Option<f64> {
    const MANTBITS: u32 = 52;
    const EXPBITS: u32 = 11;
    const BIAS: i64 = -1023;
    let max_exp = (1i64 << EXPBITS) + BIAS - 2;
    let min_exp = BIAS + 1;
    exp += i64::from(MANTBITS);
    // Normalise to a leading 1 followed by MANTBITS bits and two rounding
    // bits, the lowest of which is sticky.
    while mantissa != 0 && mantissa >> (MANTBITS + 2) == 0 {
        mantissa <<= 1;
        exp -= 1;
    }
    if trunc {
        mantissa |= 1;
    }
    while mantissa >> (1 + MANTBITS + 2) != 0 {
        mantissa = (mantissa >> 1) | (mantissa & 1);
        exp += 1;
    }
    // Denormalise when the exponent is too small.
    while mantissa > 1 && exp < min_exp - 2 {
        mantissa = (mantissa >> 1) | (mantissa & 1);
        exp += 1;
    }
    let mut round = mantissa & 3;
    mantissa >>= 2;
    round |= mantissa & 1; // round half to even
    exp += 2;
    if round == 3 {
        mantissa += 1;
        if mantissa == 1 << (1 + MANTBITS) {
            mantissa >>= 1;
            exp += 1;
        }
    }
    if mantissa >> MANTBITS == 0 {
        // Denormal or zero.
        exp = BIAS;
    }
    if exp > max_exp {
        return None;
    }
    let mut bits = mantissa & ((1u64 << MANTBITS) - 1);
    // `exp - BIAS` is in 0..=2046 here, so the cast is lossless.
    bits |= (((exp - BIAS) as u64) & ((1u64 << EXPBITS) - 1)) << MANTBITS;
    if neg {
        bits |= 1u64 << 63;
    }
    Some(f64::from_bits(bits))
}

// ---------------------------------------------------------------------------
// ParseInt(s, 0, 64) and ParseUint(s, 0, 64)

/// Go's `strconv.ParseUint(s, 0, 64)`: `0x`, `0o`, `0b` and `0` prefixes
/// pick the base, and `_` separators are allowed as `underscoreOK` says.
/// Overflow is a range error as soon as it happens, as in Go, even if
/// invalid characters follow.
pub fn parse_uint(s: &str) -> Result<u64, NumError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(NumError::Syntax);
    }
    let (base, digits): (u32, &[u8]) = match b {
        [b'0', p, _, ..] if matches!(lower(*p), b'b' | b'o' | b'x') => {
            let base = match lower(*p) {
                b'b' => 2,
                b'o' => 8,
                _ => 16,
            };
            (base, &b[2..])
        }
        [b'0', ..] => (8, &b[1..]),
        _ => (10, b),
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    for &c in digits {
        if c == b'_' {
            underscores = true;
            continue;
        }
        let d = char::from(c).to_digit(base).ok_or(NumError::Syntax)?;
        n = n
            .checked_mul(u64::from(base))
            .and_then(|n| n.checked_add(u64::from(d)))
            .ok_or(NumError::Range)?;
    }
    if underscores && !underscore_ok(b) {
        return Err(NumError::Syntax);
    }
    Ok(n)
}

/// Go's `strconv.ParseInt(s, 0, 64)`: an optional sign, then
/// [`parse_uint`]'s syntax, within `i64`.
pub fn parse_int(s: &str) -> Result<i64, NumError> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint(body)?;
    if neg {
        // -(2^63) is the one magnitude that fits only when negative.
        0i64.checked_sub_unsigned(u).ok_or(NumError::Range)
    } else {
        i64::try_from(u).map_err(|_| NumError::Range)
    }
}

// ---------------------------------------------------------------------------
// Quoted strings

/// Go's `strconv.UnquoteChar`: one (possibly escaped) character at the
/// start of `s`, and the rest. `\x` and octal escapes stand for a byte in
/// Go; here they give the code point of that value (U+0000..U+00FF), which
/// is the same for character constants and for ASCII in strings.
pub fn unquote_char(s: &str, quote: char) -> Option<(char, &str)> {
    let mut it = s.chars();
    let c = it.next()?;
    if c == quote && (quote == '\'' || quote == '"') {
        return None;
    }
    if c != '\\' {
        return Some((c, it.as_str()));
    }
    let esc = it.next()?;
    let rest = it.as_str();
    let simple = match esc {
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        '\\' => Some('\\'),
        '\'' | '"' if esc == quote => Some(esc),
        _ => None,
    };
    if let Some(v) = simple {
        return Some((v, rest));
    }
    match esc {
        'x' | 'u' | 'U' => {
            let n = match esc {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            let hex = rest.get(..n)?;
            if !hex.bytes().all(|d| d.is_ascii_hexdigit()) {
                return None;
            }
            let v = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
            Some((v, &rest[n..]))
        }
        '0'..='7' => {
            let digits = rest.get(..2)?;
            if !digits.bytes().all(|d| (b'0'..=b'7').contains(&d)) {
                return None;
            }
            let v = (esc as u32 - '0' as u32) * 64 + u32::from_str_radix(digits, 8).ok()?;
            if v > 255 {
                return None;
            }
            Some((char::from_u32(v)?, &rest[2..]))
        }
        _ => None,
    }
}

/// Go's `strconv.Unquote` for `"…"` and `` `…` `` literals: `None` where Go
/// returns `ErrSyntax`. Raw strings lose their carriage returns, as in Go.
/// Byte escapes decode as [`unquote_char`] says.
pub fn unquote(tok: &str) -> Option<String> {
    if let Some(raw) = tok.strip_prefix('`').and_then(|t| t.strip_suffix('`')) {
        if raw.contains('`') {
            return None;
        }
        return Some(raw.replace('\r', ""));
    }
    let mut s = tok.strip_prefix('"').and_then(|t| t.strip_suffix('"'))?;
    let mut out = String::with_capacity(s.len());
    while !s.is_empty() {
        if s.starts_with('\n') {
            return None;
        }
        let (c, rest) = unquote_char(s, '"')?;
        out.push(c);
        s = rest;
    }
    Some(out)
}

/// An approximation of Go's `strconv.IsPrint`.
pub fn is_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    !c.is_control()
        && !c.is_whitespace()
        && !matches!(c as u32, 0xAD | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB)
}

/// Go's `strconv.Quote` (`%q`), with [`is_print`]'s approximation.
pub fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_print(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
