//! Serialising a `Set-Cookie` header exactly as `cookie@1`'s `serialize` does.
use crate::error::Error;
use crate::percent;

/// The options of `cookie@1`'s `serialize`, after the JS side has applied JS truthiness and
/// `String()`: `None` or `false` means the option was absent or falsy in JS.
///
/// ```ignore
/// let o = Options { path: Some("/"), http_only: true, ..Options::default() };
/// assert_eq!(serialize("sid", "abc", false, &o).unwrap(), "sid=abc; Path=/; HttpOnly");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Options<'a> {
    /// `maxAge` when it is not `undefined`; it must be an integer (`null` or a string are
    /// passed as NaN, so they fail like they do in JS).
    pub max_age: Option<f64>,
    /// `domain` when truthy, as a string.
    pub domain: Option<&'a str>,
    /// `path` when truthy, as a string.
    pub path: Option<&'a str>,
    /// `expires.valueOf()` in milliseconds since the epoch when `expires` is truthy; NaN when
    /// it is not a valid `Date`.
    pub expires: Option<f64>,
    /// `httpOnly` is truthy.
    pub http_only: bool,
    /// `secure` is truthy.
    pub secure: bool,
    /// `partitioned` is truthy.
    pub partitioned: bool,
    /// `priority` when truthy: the string, or something invalid such as `"!"` for a truthy
    /// non-string.
    pub priority: Option<&'a str>,
    /// `sameSite` when truthy: the string, `"strict"` for `true`, or something invalid such as
    /// `"!"` for another truthy non-string.
    pub same_site: Option<&'a str>,
}

/// `serialize(name, value, options)` of `cookie@1`: the `Set-Cookie` header value, or the first
/// [`Error`] in `cookie@1`'s order (name, value, Max-Age, Domain, Path, Expires, Priority,
/// SameSite). `value` is percent-encoded as `encodeURIComponent` does, unless `encoded` says it
/// already went through a custom `encode`; either way it is then validated.
///
/// ```ignore
/// let o = Options { max_age: Some(60.0), same_site: Some("Lax"), ..Options::default() };
/// assert_eq!(serialize("a", "b c", false, &o).unwrap(), "a=b%20c; Max-Age=60; SameSite=Lax");
/// ```
pub fn serialize(name: &str, value: &str, encoded: bool, o: &Options<'_>) -> Result<String, Error> {
    if name.is_empty() || !name.bytes().all(is_name_byte) {
        return Err(Error::Name);
    }
    let value = if encoded {
        std::borrow::Cow::Borrowed(value)
    } else {
        percent::encode(value)
    };
    if !value.bytes().all(is_value_byte) {
        return Err(Error::Value);
    }

    let mut out = String::with_capacity(name.len() + value.len() + 128);
    out.push_str(name);
    out.push('=');
    out.push_str(&value);

    if let Some(max_age) = o.max_age {
        if !(max_age.is_finite() && max_age.trunc() == max_age) {
            return Err(Error::MaxAge);
        }
        out.push_str("; Max-Age=");
        push_js_integer(&mut out, max_age);
    }
    if let Some(domain) = o.domain {
        if !is_domain(domain) {
            return Err(Error::Domain);
        }
        out.push_str("; Domain=");
        out.push_str(domain);
    }
    if let Some(path) = o.path {
        if !path.bytes().all(is_path_byte) {
            return Err(Error::Path);
        }
        out.push_str("; Path=");
        out.push_str(path);
    }
    if let Some(expires) = o.expires {
        out.push_str("; Expires=");
        push_utc_string(&mut out, expires)?;
    }
    if o.http_only {
        out.push_str("; HttpOnly");
    }
    if o.secure {
        out.push_str("; Secure");
    }
    if o.partitioned {
        out.push_str("; Partitioned");
    }
    if let Some(priority) = o.priority {
        // toLowerCase() maps no non-ASCII character to any letter of these words.
        let attr = if priority.eq_ignore_ascii_case("low") {
            "; Priority=Low"
        } else if priority.eq_ignore_ascii_case("medium") {
            "; Priority=Medium"
        } else if priority.eq_ignore_ascii_case("high") {
            "; Priority=High"
        } else {
            return Err(Error::Priority);
        };
        out.push_str(attr);
    }
    if let Some(same_site) = o.same_site {
        let attr = if same_site.eq_ignore_ascii_case("strict") {
            "; SameSite=Strict"
        } else if same_site.eq_ignore_ascii_case("lax") {
            "; SameSite=Lax"
        } else if same_site.eq_ignore_ascii_case("none") {
            "; SameSite=None"
        } else {
            return Err(Error::SameSite);
        };
        out.push_str(attr);
    }
    Ok(out)
}

/// `cookieNameRegExp`: `[\u0021-\u003A\u003C\u003E-\u007E]`, i.e. visible ASCII but `;` and `=`.
fn is_name_byte(b: u8) -> bool {
    matches!(b, 0x21..=0x3A | 0x3C | 0x3E..=0x7E)
}

/// `cookieValueRegExp`: `[\u0021-\u003A\u003C-\u007E]`, i.e. visible ASCII but `;`.
fn is_value_byte(b: u8) -> bool {
    matches!(b, 0x21..=0x3A | 0x3C..=0x7E)
}

/// `pathValueRegExp`: `[\u0020-\u003A\u003D-\u007E]`, i.e. printable ASCII but `;` and `<`.
fn is_path_byte(b: u8) -> bool {
    matches!(b, 0x20..=0x3A | 0x3D..=0x7E)
}

/// `domainValueRegExp` (case-insensitive): an optional leading `.`, then one or more labels
/// joined by single dots, each 1 to 63 letters, digits and hyphens, starting and ending with a
/// letter or digit.
fn is_domain(domain: &str) -> bool {
    let bytes = domain.as_bytes();
    let rest = match bytes.first() {
        Some(b'.') => &bytes[1..],
        _ => bytes,
    };
    // Labels hold no '.', so splitting on '.' is the regex's only way to match.
    !rest.is_empty() && rest.split(|&b| b == b'.').all(is_label)
}

/// One label of `domainValueRegExp`: `[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?`, any case.
fn is_label(label: &[u8]) -> bool {
    match (label.first(), label.last()) {
        (Some(&first), Some(&last)) => {
            label.len() <= 63
                && first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && label
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        }
        _ => false,
    }
}

/// Append `x`, a finite integer, as JS `String(x)` writes it: plain digits below 1e21 (`-0` as
/// `0`), exponent form such as `1.5e+21` from 1e21 on, always with the shortest digits that
/// read back as `x`.
fn push_js_integer(out: &mut String, x: f64) {
    if x < 0.0 {
        out.push('-');
    }
    let a = x.abs();
    // Below 2^54 every integer is its own shortest form: neighbours are at most 2 apart.
    if a < 18_014_398_509_481_984.0 {
        push_u64(out, a as u64);
        return;
    }
    let (digits, point) = shortest_digits(a);
    if point <= 21 {
        for &d in &digits {
            out.push((b'0' + d) as char);
        }
        for _ in digits.len()..point {
            out.push('0');
        }
    } else {
        out.push((b'0' + digits[0]) as char);
        if digits.len() > 1 {
            out.push('.');
            for &d in &digits[1..] {
                out.push((b'0' + d) as char);
            }
        }
        out.push_str("e+");
        push_u64(out, (point - 1) as u64);
    }
}

/// The shortest decimal digits `s` (no trailing zeros) and the point `n` such that
/// `0.s × 10^n` reads back as `a`, the closest such to `a` (ties to even), as
/// `Number::toString` picks them. For integers `a >= 2^54` only, which keeps all the bounds
/// integers.
fn shortest_digits(a: f64) -> (Vec<u8>, usize) {
    let bits = a.to_bits();
    let biased = (bits >> 52) & 0x7FF;
    let fraction = bits & ((1 << 52) - 1);
    let m = fraction | (1 << 52);
    let q = (biased - 1075) as u32; // a = m × 2^q with q >= 2
                                    // Every real in [low, high] reads back as `a` (the ends only when `m` is even).
    let x = decimal_digits(m, q);
    let high = decimal_digits(2 * m + 1, q - 1);
    let low = if fraction == 0 {
        // The next float down is closer at a power of two.
        decimal_digits(4 * m - 1, q - 2)
    } else {
        decimal_digits(2 * m - 1, q - 1)
    };
    let inclusive = m % 2 == 0;
    let n = x.len();
    for k in 1..=n {
        let head = &x[..k];
        let rest = &x[k..];
        if rest.iter().all(|&d| d == 0) {
            return (trim_zeros(head.to_vec()), n);
        }
        let floor_cmp = cmp_scaled(head, n, &low);
        let floor_ok = floor_cmp.is_gt() || (inclusive && floor_cmp.is_eq());
        let ceil = increment(head);
        let ceil_len = n + ceil.len() - k;
        let ceil_cmp = cmp_scaled(&ceil, ceil_len, &high);
        let ceil_ok = ceil_cmp.is_lt() || (inclusive && ceil_cmp.is_eq());
        let take_ceil = match (floor_ok, ceil_ok) {
            (false, false) => continue,
            (true, false) => false,
            (false, true) => true,
            // Both read back as `a`: the closer one, or the even one on a tie.
            (true, true) => match rest[0].cmp(&5) {
                core::cmp::Ordering::Greater => true,
                core::cmp::Ordering::Less => false,
                core::cmp::Ordering::Equal => {
                    rest[1..].iter().any(|&d| d != 0) || head[k - 1] % 2 == 1
                }
            },
        };
        return if take_ceil {
            (trim_zeros(ceil), ceil_len)
        } else {
            (trim_zeros(head.to_vec()), n)
        };
    }
    (trim_zeros(x), n) // not reached: k == n always has an empty rest
}

/// The decimal digits (most significant first, values 0 to 9) of `m × 2^shift`.
fn decimal_digits(m: u64, shift: u32) -> Vec<u8> {
    const BASE: u64 = 1_000_000_000;
    // Little-endian limbs in base 10^9.
    let mut limbs = vec![m % BASE, (m / BASE) % BASE, m / BASE / BASE];
    let mut left = shift;
    while left > 0 {
        let step = left.min(29);
        let mut carry = 0;
        for limb in limbs.iter_mut() {
            let v = (*limb << step) + carry;
            *limb = v % BASE;
            carry = v / BASE;
        }
        while carry > 0 {
            limbs.push(carry % BASE);
            carry /= BASE;
        }
        left -= step;
    }
    while limbs.len() > 1 && limbs[limbs.len() - 1] == 0 {
        limbs.pop();
    }
    let mut digits = Vec::with_capacity(limbs.len() * 9);
    for (i, &limb) in limbs.iter().rev().enumerate() {
        let mut chunk = [0u8; 9];
        let mut v = limb;
        for d in chunk.iter_mut().rev() {
            *d = (v % 10) as u8;
            v /= 10;
        }
        if i == 0 {
            let skip = chunk.iter().take_while(|&&d| d == 0).count().min(8);
            digits.extend_from_slice(&chunk[skip..]);
        } else {
            digits.extend_from_slice(&chunk);
        }
    }
    digits
}

/// Compare `head` followed by zeros up to `len` digits with `other`; neither has leading zeros.
fn cmp_scaled(head: &[u8], len: usize, other: &[u8]) -> core::cmp::Ordering {
    len.cmp(&other.len()).then_with(|| {
        let padded = head.iter().copied().chain(core::iter::repeat(0));
        padded
            .zip(other.iter().copied())
            .map(|(a, b)| a.cmp(&b))
            .find(|o| o.is_ne())
            .unwrap_or(core::cmp::Ordering::Equal)
    })
}

/// `digits` plus one, one digit longer when it carries out.
fn increment(digits: &[u8]) -> Vec<u8> {
    let mut out = digits.to_vec();
    for d in out.iter_mut().rev() {
        if *d == 9 {
            *d = 0;
        } else {
            *d += 1;
            return out;
        }
    }
    out.insert(0, 1);
    out
}

/// `digits` without its trailing zeros (keeping at least one digit).
fn trim_zeros(mut digits: Vec<u8>) -> Vec<u8> {
    while digits.len() > 1 && digits[digits.len() - 1] == 0 {
        digits.pop();
    }
    digits
}

/// Append the decimal digits of `n`.
fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(b as char);
    }
}

/// Append `n` with leading zeros up to `width` digits.
fn push_padded(out: &mut String, n: u64, width: usize) {
    let mut digits = 1;
    let mut rest = n / 10;
    while rest > 0 {
        digits += 1;
        rest /= 10;
    }
    for _ in digits..width {
        out.push('0');
    }
    push_u64(out, n);
}

const MS_PER_DAY: i64 = 86_400_000;
/// The largest distance from the epoch a JS `Date` can hold, in milliseconds.
const MAX_TIME: f64 = 8.64e15;
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Append `new Date(ms).toUTCString()`, e.g. `Sun, 24 Dec 2000 10:30:59 GMT`; years are at
/// least 4 digits, with a `-` before years before 1 BC (year 0 is `0000`). An invalid date
/// (NaN, infinite, beyond ±8.64e15) is [`Error::Expires`].
fn push_utc_string(out: &mut String, ms: f64) -> Result<(), Error> {
    if ms.is_nan() || ms.abs() > MAX_TIME {
        return Err(Error::Expires);
    }
    // TimeClip truncates towards zero.
    let t = ms.trunc() as i64;
    let days = t.div_euclid(MS_PER_DAY);
    let in_day = t.rem_euclid(MS_PER_DAY) / 1000;
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    out.push_str(WEEKDAYS[(days + 4).rem_euclid(7) as usize]);
    out.push_str(", ");
    push_padded(out, day as u64, 2);
    out.push(' ');
    out.push_str(MONTHS[(month - 1) as usize]);
    out.push(' ');
    if year < 0 {
        out.push('-');
    }
    push_padded(out, year.unsigned_abs(), 4);
    out.push(' ');
    push_padded(out, (in_day / 3600) as u64, 2);
    out.push(':');
    push_padded(out, (in_day / 60 % 60) as u64, 2);
    out.push(':');
    push_padded(out, (in_day % 60) as u64, 2);
    out.push_str(" GMT");
    Ok(())
}

/// The proleptic Gregorian (year, month 1-12, day 1-31) of a count of days since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365], from March 1st
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ser(name: &str, value: &str, o: &Options<'_>) -> Result<String, Error> {
        serialize(name, value, false, o)
    }

    fn js_integer(x: f64) -> String {
        let mut s = String::new();
        push_js_integer(&mut s, x);
        s
    }

    fn utc(ms: f64) -> String {
        let mut s = String::new();
        push_utc_string(&mut s, ms).unwrap();
        s
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn name_and_value() {
        let o = Options::default();
        assert_eq!(ser("foo", "bar", &o).unwrap(), "foo=bar");
        assert_eq!(ser("foo", "", &o).unwrap(), "foo=");
        assert_eq!(ser("foo", "+ ;é", &o).unwrap(), "foo=%2B%20%3B%C3%A9");
        assert_eq!(ser("a<b>", "v", &o).unwrap(), "a<b>=v");
        assert_eq!(ser("", "v", &o), Err(Error::Name));
        assert_eq!(ser("a=b", "v", &o), Err(Error::Name));
        assert_eq!(ser("a;b", "v", &o), Err(Error::Name));
        assert_eq!(ser("a b", "v", &o), Err(Error::Name));
        assert_eq!(ser("é", "v", &o), Err(Error::Name));
        assert_eq!(serialize("a", "x=y\"", true, &o).unwrap(), "a=x=y\"");
        assert_eq!(serialize("a", "x;y", true, &o), Err(Error::Value));
        assert_eq!(serialize("a", "x y", true, &o), Err(Error::Value));
        assert_eq!(serialize("a", "é", true, &o), Err(Error::Value));
        // The name is checked before the value.
        assert_eq!(serialize("", "x y", true, &o), Err(Error::Name));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn all_attributes_in_order() {
        let o = Options {
            max_age: Some(-0.0),
            domain: Some(".Example.com"),
            path: Some("/a b"),
            expires: Some(977_653_859_900.0),
            http_only: true,
            secure: true,
            partitioned: true,
            priority: Some("HiGh"),
            same_site: Some("NONE"),
        };
        assert_eq!(
            ser("n", "v", &o).unwrap(),
            "n=v; Max-Age=0; Domain=.Example.com; Path=/a b; \
             Expires=Sun, 24 Dec 2000 10:30:59 GMT; HttpOnly; Secure; Partitioned; \
             Priority=High; SameSite=None"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn errors_in_order() {
        let bad = Options {
            max_age: Some(1.5),
            domain: Some("a..b"),
            path: Some("/;"),
            expires: Some(f64::NAN),
            priority: Some("urgent"),
            same_site: Some("yes"),
            ..Options::default()
        };
        let mut o = bad.clone();
        assert_eq!(ser("n", "v", &o), Err(Error::MaxAge));
        o.max_age = None;
        assert_eq!(ser("n", "v", &o), Err(Error::Domain));
        o.domain = None;
        assert_eq!(ser("n", "v", &o), Err(Error::Path));
        o.path = None;
        assert_eq!(ser("n", "v", &o), Err(Error::Expires));
        o.expires = None;
        assert_eq!(ser("n", "v", &o), Err(Error::Priority));
        o.priority = None;
        assert_eq!(ser("n", "v", &o), Err(Error::SameSite));
        o.same_site = None;
        assert_eq!(ser("n", "v", &o).unwrap(), "n=v");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn max_age_must_be_an_integer() {
        for x in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.5,
            -3.99,
            1e-300,
        ] {
            let o = Options {
                max_age: Some(x),
                ..Options::default()
            };
            assert_eq!(ser("n", "v", &o), Err(Error::MaxAge), "{x}");
        }
        let o = Options {
            max_age: Some(-1.0),
            ..Options::default()
        };
        assert_eq!(ser("n", "v", &o).unwrap(), "n=v; Max-Age=-1");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn integers_print_like_js() {
        // Expected values from node's String(x).
        let cases: [(f64, &str); 16] = [
            (0.0, "0"),
            (-0.0, "0"),
            (315_360_000.0, "315360000"),
            (-86_400.0, "-86400"),
            (9_007_199_254_740_992.0, "9007199254740992"),
            (9_007_199_254_740_994.0, "9007199254740994"),
            (18_014_398_509_481_984.0, "18014398509481984"),
            (1_152_921_504_606_846_976.0, "1152921504606847000"),
            (123_456_789_012_345_680_000.0, "123456789012345680000"),
            (999_999_999_999_999_900_000.0, "999999999999999900000"),
            (1e21, "1e+21"),
            (-1e21, "-1e+21"),
            (1_180_591_620_717_411_303_424.0, "1.1805916207174113e+21"),
            (1.5e300, "1.5e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (2f64.powi(1000), "1.0715086071862673e+301"),
        ];
        for (x, want) in cases {
            assert_eq!(js_integer(x), want, "{x}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn shortest_digits_read_back() {
        // Every output parses back to the same float, and no shorter digit string would.
        let mut x = 18_014_398_509_481_984.0f64;
        while x.is_finite() {
            for y in [
                x,
                f64::from_bits(x.to_bits() + 1),
                f64::from_bits(x.to_bits() - 1),
            ] {
                let s = js_integer(y);
                assert_eq!(s.parse::<f64>().unwrap(), y, "{s}");
            }
            x *= 1.37;
            x = x.trunc();
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn utc_strings() {
        // Expected values from node's new Date(ms).toUTCString().
        assert_eq!(utc(0.0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(utc(-1.0), "Wed, 31 Dec 1969 23:59:59 GMT");
        assert_eq!(utc(-0.7), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(utc(977_653_859_900.0), "Sun, 24 Dec 2000 10:30:59 GMT");
        assert_eq!(utc(951_782_400_000.0), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(utc(-62_135_596_800_000.0), "Mon, 01 Jan 0001 00:00:00 GMT");
        assert_eq!(utc(-62_167_219_200_000.0), "Sat, 01 Jan 0000 00:00:00 GMT");
        assert_eq!(utc(-62_198_755_201_000.0), "Thu, 31 Dec -0002 23:59:59 GMT");
        assert_eq!(utc(253_402_300_800_000.0), "Sat, 01 Jan 10000 00:00:00 GMT");
        assert_eq!(utc(8.64e15), "Sat, 13 Sep 275760 00:00:00 GMT");
        assert_eq!(utc(-8.64e15), "Tue, 20 Apr -271821 00:00:00 GMT");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn invalid_dates() {
        for ms in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            8.64e15 + 1.0,
            -8.64e15 - 1.0,
        ] {
            let o = Options {
                expires: Some(ms),
                ..Options::default()
            };
            assert_eq!(ser("n", "v", &o), Err(Error::Expires), "{ms}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn domains() {
        let ok = [
            "example.com",
            ".example.com",
            "EXAMPLE.com",
            "localhost",
            "a",
            "1.2.3.4",
            "my-site.org",
            "xn--bcher-kva.example",
        ];
        let bad = [
            "",
            ".",
            "..a",
            "example.com.",
            "domain..com",
            "-a.com",
            "a-.com",
            "my site.org",
            "example.com\n",
            "a_b.com",
            "é.com",
            "a.com;",
            ".",
            "a.-b",
        ];
        for d in ok {
            assert!(is_domain(d), "{d}");
        }
        for d in bad {
            assert!(!is_domain(d), "{d}");
        }
        let long = "a".repeat(63);
        assert!(is_domain(&long));
        assert!(is_domain(&(long.clone() + "." + &long)));
        assert!(!is_domain(&(long + "a")));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn paths() {
        for p in ["/", "/foo=bar?baz", "/a b", "/\"x\"", "/>"] {
            assert!(p.bytes().all(is_path_byte), "{p}");
        }
        for p in ["/;", "/<", "/\n", "/\0", "/é", "/\x7f"] {
            assert!(!p.bytes().all(is_path_byte), "{p}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn priority_and_same_site() {
        let with = |priority, same_site| Options {
            priority,
            same_site,
            ..Options::default()
        };
        assert_eq!(
            ser("n", "v", &with(Some("loW"), None)).unwrap(),
            "n=v; Priority=Low"
        );
        assert_eq!(
            ser("n", "v", &with(Some("medium"), None)).unwrap(),
            "n=v; Priority=Medium"
        );
        assert_eq!(ser("n", "v", &with(Some("!"), None)), Err(Error::Priority));
        assert_eq!(
            ser("n", "v", &with(None, Some("Strict"))).unwrap(),
            "n=v; SameSite=Strict"
        );
        assert_eq!(
            ser("n", "v", &with(None, Some("lax"))).unwrap(),
            "n=v; SameSite=Lax"
        );
        assert_eq!(
            ser("n", "v", &with(None, Some("laxx"))),
            Err(Error::SameSite)
        );
        assert_eq!(
            ser("n", "v", &with(None, Some("\u{212A}"))),
            Err(Error::SameSite)
        );
    }
}
