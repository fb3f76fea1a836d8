//! Renders a new value as scalar source text in the style of the scalar it
//! replaces. A plain scalar stays plain unless the new value would read as
//! another YAML type or would not parse back as itself; then it is
//! double-quoted (as Argo CD writes `value: "1.20"`), so the manifest keeps
//! a string. Hands [`render`] to the planners; nothing else quotes.

use super::TextError;
use crate::yaml::ScalarStyle;

/// Source text for `value` in `style` (the replaced scalar's). Block
/// scalars are refused: an image reference never needs one, and rewriting
/// one would change its header or indentation.
pub fn render(style: ScalarStyle, value: &str, in_flow: bool) -> Result<String, TextError> {
    match style {
        ScalarStyle::Plain if plain_is_safe(value, in_flow) => Ok(value.to_owned()),
        ScalarStyle::Plain | ScalarStyle::DoubleQuoted => Ok(double_quoted(value)),
        ScalarStyle::SingleQuoted if value.chars().all(|c| !c.is_control()) => {
            Ok(format!("'{}'", value.replace('\'', "''")))
        }
        ScalarStyle::SingleQuoted => Ok(double_quoted(value)),
        ScalarStyle::Literal | ScalarStyle::Folded => Err(TextError::BlockScalar),
    }
}

/// `value` in double quotes with YAML escapes.
pub fn double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{feff}' => out.push_str("\\uFEFF"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// True when `value` written plain parses back as the same string.
pub fn plain_is_safe(value: &str, in_flow: bool) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    if reads_as_non_string(value)
        || value.trim() != value
        || value.chars().any(|c| c.is_control() || c == '\u{feff}')
        || value.contains(": ")
        || value.contains(" #")
        || value.ends_with(':')
    {
        return false;
    }
    if in_flow && value.contains([',', '[', ']', '{', '}']) {
        return false;
    }
    let second = value[first.len_utf8()..].chars().next();
    match first {
        '[' | ']' | '{' | '}' | ',' | '#' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
        | '@' | '`' => false,
        // `-x`, `?x`, `:x` are plain; `- x` and a lone `-` are not.
        '-' | '?' | ':' => second.is_some_and(|c| !c.is_whitespace()),
        _ => true,
    }
}

/// True when a plain scalar with this text would load as something other
/// than a string under YAML 1.2's core schema or YAML 1.1 (which
/// Kubernetes' and Helm's loaders still follow for booleans, octals,
/// sexagesimals and timestamps).
pub fn reads_as_non_string(value: &str) -> bool {
    const WORDS: [&str; 27] = [
        "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "y", "Y",
        "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "",
    ];
    if WORDS.contains(&value) {
        return true;
    }
    let v = value.strip_prefix(['+', '-']).unwrap_or(value);
    let lower = v.to_ascii_lowercase();
    if matches!(lower.as_str(), ".inf" | ".nan") {
        return true;
    }
    let digits =
        |s: &str, ok: fn(char) -> bool| !s.is_empty() && s.chars().all(|c| ok(c) || c == '_');
    if let Some(rest) = lower.strip_prefix("0x") {
        return digits(rest, |c| c.is_ascii_hexdigit());
    }
    if let Some(rest) = lower.strip_prefix("0o") {
        return digits(rest, |c| ('0'..='7').contains(&c));
    }
    if let Some(rest) = lower.strip_prefix("0b") {
        return digits(rest, |c| c == '0' || c == '1');
    }
    if is_number(v) || is_sexagesimal(v) || is_timestamp(value) {
        return true;
    }
    false
}

/// Decimal integers and floats, with YAML 1.1's `_` separators and
/// optional exponent (`1`, `1.10`, `.5`, `1.`, `1e3`, `1_000`).
fn is_number(v: &str) -> bool {
    let (mantissa, exponent) = match v.find(['e', 'E']) {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    if let Some(exp) = exponent {
        let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if exp.is_empty() || !exp.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    let mut digits = 0;
    let mut dots = 0;
    for c in mantissa.chars() {
        match c {
            '0'..='9' => digits += 1,
            '_' if digits > 0 => {}
            '.' => dots += 1,
            _ => return false,
        }
    }
    digits > 0 && dots <= 1
}

/// YAML 1.1 base-60 numbers: `1:20`, `190:20:30.15`.
fn is_sexagesimal(v: &str) -> bool {
    let mut parts = v.split(':');
    let head = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() || head.is_empty() || !head.chars().all(|c| c.is_ascii_digit() || c == '_') {
        return false;
    }
    let last = rest.len() - 1;
    rest.iter().enumerate().all(|(i, p)| {
        let p = if i == last {
            p.split_once('.').map_or(*p, |(whole, frac)| {
                if frac.chars().all(|c| c.is_ascii_digit()) {
                    whole
                } else {
                    "x"
                }
            })
        } else {
            p
        };
        !p.is_empty() && p.len() <= 2 && p.chars().all(|c| c.is_ascii_digit())
    })
}

/// YAML 1.1 timestamps start with a full date: `2024-01-02`, `2024-1-2T…`.
fn is_timestamp(v: &str) -> bool {
    let b = v.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let mut parts = v.splitn(3, '-');
    let (Some(y), Some(m), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let day_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let tail = &rest[day_len..];
    b.len() >= 8
        && y.len() == 4
        && digits(y.as_bytes())
        && (1..=2).contains(&m.len())
        && digits(m.as_bytes())
        && (1..=2).contains(&day_len)
        && (tail.is_empty() || tail.starts_with(['T', 't', ' ', '\t']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    #[test]
    fn values_that_read_as_other_types_are_quoted() {
        for v in [
            "1.10",
            "20.10",
            "1e3",
            "1E-3",
            "true",
            "True",
            "yes",
            "no",
            "on",
            "Off",
            "y",
            "null",
            "~",
            "0755",
            "0x1F",
            "0o17",
            "0b101",
            "1_000",
            ".inf",
            "-.NaN",
            "12",
            "+1",
            "1:20",
            "190:20:30.15",
            "2024-01-02",
            "2024-1-2T10:00:00Z",
            "",
            ".5",
            "1.",
        ] {
            assert!(reads_as_non_string(v) || v.is_empty(), "{v}");
            assert_eq!(
                render(ScalarStyle::Plain, v, false).unwrap(),
                format!("\"{v}\""),
                "{v}"
            );
        }
    }

    #[test]
    fn ordinary_tags_stay_plain() {
        for v in [
            "1.2.3",
            "v1.10",
            "6.1.0-rc.1",
            "main-2f5c1a3-1700000000",
            "ghcr.io/org/app:1.2.3@sha256:0123",
            "sha256:abc",
            "1.0.0+build.5",
            "latest",
            "-rc1",
            "1e3x",
            "2024-01-02-abc",
            "0.1.0_1",
        ] {
            assert!(!reads_as_non_string(v), "{v}");
            assert_eq!(render(ScalarStyle::Plain, v, false).unwrap(), v, "{v}");
        }
    }

    #[test]
    fn plain_values_that_would_not_parse_back_are_quoted() {
        for v in [
            "a: b", "a #b", "#x", "*x", "&x", "!x", "- x", "-", "x:", " x", "[x", "@x",
        ] {
            assert!(!plain_is_safe(v, false), "{v}");
        }
        assert!(!plain_is_safe("a,b", true));
        assert!(plain_is_safe("a,b", false));
    }

    #[test]
    fn quoted_styles_escape() {
        assert_eq!(
            render(ScalarStyle::SingleQuoted, "it's", false).unwrap(),
            "'it''s'"
        );
        assert_eq!(
            render(ScalarStyle::DoubleQuoted, "a\"b\\c\n", false).unwrap(),
            r#""a\"b\\c\n""#
        );
        assert_eq!(
            render(ScalarStyle::SingleQuoted, "a\nb", false).unwrap(),
            r#""a\nb""#
        );
        assert!(render(ScalarStyle::Literal, "x", false).is_err());
    }

    /// Whatever the value, the rendered text loads back as that string
    /// under our own parser.
    #[test]
    fn every_rendering_parses_back_as_the_value() {
        let values = [
            "1.10",
            "it's",
            "a: b",
            "q\"uote",
            "back\\slash",
            "tab\tx",
            "é-ü",
            "#x",
            "- x",
            "2024-01-02",
            "ok",
            "yes",
            "a,b",
            "x]",
            "",
        ];
        for style in [
            ScalarStyle::Plain,
            ScalarStyle::SingleQuoted,
            ScalarStyle::DoubleQuoted,
        ] {
            for in_flow in [false, true] {
                for v in values {
                    let text = render(style, v, in_flow).unwrap();
                    let doc = if in_flow {
                        format!("k: [{text}, z]\n")
                    } else {
                        format!("k: {text}\n")
                    };
                    let y = yaml::parse(&doc);
                    assert!(y.error.is_none(), "{doc:?}");
                    let root = y.roots().next().unwrap();
                    let node = y.get(root, "k").unwrap();
                    let node = if in_flow { y.items(node)[0] } else { node };
                    assert_eq!(y.str(node), Some(v), "{doc:?}");
                    if let crate::yaml::NodeKind::Scalar {
                        style: ScalarStyle::Plain,
                        value,
                    } = &y.node(node).kind
                    {
                        assert!(!reads_as_non_string(value), "{doc:?}");
                    }
                }
            }
        }
    }
}
