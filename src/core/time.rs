//! Instants as milliseconds since the Unix epoch: ISO 8601 / RFC 3339 and HTTP-date parsing,
//! ISO 8601 formatting, and decimal numbers sent as strings.
//!
//! Written by hand on purpose: Rust's float parsing and formatting and a date crate would each
//! add more to the `.wasm` than the whole token client. Nothing here reads a clock.
//!
//! ```
//! use sehatmu_auth::core::{format_iso, parse_iso};
//! let ms = parse_iso("2023-12-17T12:31:48.002+07:00").unwrap();
//! assert_eq!(format_iso(ms).unwrap(), "2023-12-17T05:31:48.002Z");
//! ```

use alloc::string::String;

/// The last millisecond of the year 9999: instants past it have no four-digit ISO year.
pub const MAX_INSTANT_MS: i64 = 253_402_300_799_999;

/// The first millisecond of the year 0000: instants before it have no four-digit ISO year.
pub const MIN_INSTANT_MS: i64 = -62_167_219_200_000;

const MS_PER_DAY: i64 = 86_400_000;

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day count from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A cursor over ASCII text, for the fixed-layout formats below.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    fn eat_any(&mut self, choices: &[u8]) -> Option<u8> {
        let byte = self.peek().filter(|b| choices.contains(b))?;
        self.pos += 1;
        Some(byte)
    }

    /// Exactly `count` ASCII digits as a number.
    fn digits(&mut self, count: usize) -> Option<i64> {
        let slice = self.bytes.get(self.pos..self.pos + count)?;
        let mut value = 0;
        for &b in slice {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + i64::from(b - b'0');
        }
        self.pos += count;
        Some(value)
    }

    fn done(&self) -> bool {
        self.pos == self.bytes.len()
    }

    /// `HH:MM`, the start of a time of day in both formats.
    fn hours_minutes(&mut self) -> Option<(i64, i64)> {
        let hour = self.digits(2)?;
        self.eat(b':')?;
        Some((hour, self.digits(2)?))
    }
}

fn instant(date: (i64, i64, i64), time: (i64, i64, i64), millis: i64) -> Option<i64> {
    let (year, month, day) = date;
    let (hour, minute, second) = time;
    let valid = (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && hour <= 23
        && minute <= 59
        && second <= 60;
    valid.then(|| {
        days_from_civil(year, month, day) * MS_PER_DAY
            + ((hour * 60 + minute) * 60 + second.min(59)) * 1000
            + millis
    })
}

/// Parses an RFC 3339 date-time (`2023-12-17T05:31:48.002Z`, `…+07:00`) into ms since the epoch.
///
/// A `t`/space separator, a lower-case `z`, an offset without colon and any number of fraction
/// digits (kept to the millisecond, truncated) are accepted. A time without an offset is not:
/// it names no instant. A leap second is read as the second before it.
pub fn parse_iso(text: &str) -> Option<i64> {
    let mut c = Cursor::new(text.trim().as_bytes());
    let year = c.digits(4)?;
    c.eat(b'-')?;
    let month = c.digits(2)?;
    c.eat(b'-')?;
    let day = c.digits(2)?;
    c.eat_any(b"Tt ")?;
    let (hour, minute) = c.hours_minutes()?;
    let mut second = 0;
    let mut millis = 0;
    if c.eat(b':').is_some() {
        second = c.digits(2)?;
        if c.eat_any(b".,").is_some() {
            let mut scale = 100;
            let start = c.pos;
            while let Some(digit) = c.peek().filter(u8::is_ascii_digit) {
                millis += i64::from(digit - b'0') * scale;
                scale /= 10;
                c.pos += 1;
            }
            if c.pos == start {
                return None;
            }
        }
    }
    let offset_minutes = match c.eat_any(b"Zz+-")? {
        b'Z' | b'z' => 0,
        sign => {
            let hours = c.digits(2)?;
            c.eat(b':');
            let minutes = c.digits(2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let total = hours * 60 + minutes;
            if sign == b'-' {
                -total
            } else {
                total
            }
        }
    };
    if !c.done() {
        return None;
    }
    let local = instant((year, month, day), (hour, minute, second), millis)?;
    Some(local - offset_minutes * 60_000)
}

/// Formats ms since the epoch as JavaScript's `Date.prototype.toISOString` does, for the years
/// 0000 to 9999 (`None` outside them: [`MIN_INSTANT_MS`] to [`MAX_INSTANT_MS`]).
pub fn format_iso(ms: i64) -> Option<String> {
    if !(MIN_INSTANT_MS..=MAX_INSTANT_MS).contains(&ms) {
        return None;
    }
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let mut out = String::with_capacity(24);
    let mut push = |value: i64, width: u32, after: char| {
        let mut div = 10_i64.pow(width - 1);
        while div > 0 {
            // Each digit is 0..=9, so the cast is exact.
            out.push(char::from(b'0' + (value / div % 10) as u8));
            div /= 10;
        }
        if after != '\0' {
            out.push(after);
        }
    };
    push(year, 4, '-');
    push(month, 2, '-');
    push(day, 2, 'T');
    push(in_day / 3_600_000, 2, ':');
    push(in_day / 60_000 % 60, 2, ':');
    push(in_day / 1000 % 60, 2, '.');
    push(in_day % 1000, 3, 'Z');
    Some(out)
}

/// Parses an HTTP-date in its preferred form, IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`,
/// RFC 9110 §5.6.7), into ms since the epoch. The weekday is not checked against the date.
pub fn parse_http_date(text: &str) -> Option<i64> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let text = text.trim();
    let rest = text.as_bytes().get(3..)?;
    // Bytes, not a `str`: every byte the format allows is ASCII, so text cut inside a
    // character fails as it would have, without `str::from_utf8` in the `.wasm` (0.7 KB).
    let mut c = Cursor::new(rest);
    c.eat(b',')?;
    c.eat(b' ')?;
    let day = c.digits(2)?;
    c.eat(b' ')?;
    let name = c.bytes.get(c.pos..c.pos + 3)?;
    let month = MONTHS.iter().position(|m| m.as_slice() == name)? as i64 + 1;
    c.pos += 3;
    c.eat(b' ')?;
    let year = c.digits(4)?;
    c.eat(b' ')?;
    let (hour, minute) = c.hours_minutes()?;
    c.eat(b':')?;
    let second = c.digits(2)?;
    c.eat(b' ')?;
    for &b in b"GMT" {
        c.eat(b)?;
    }
    if !c.done() {
        return None;
    }
    instant((year, month, day), (hour, minute, second), 0)
}

/// Parses a non-negative decimal number sent as a string (`"3600"`, `" 3599.5 "`).
///
/// Only plain digits with an optional fraction: no sign, exponent, `NaN` or hex. Exact for
/// integers up to 2^53; the fraction is kept to nine digits.
pub fn parse_decimal(text: &str) -> Option<f64> {
    // One pass over the bytes, not `split_once` and slices: those bring `memchr` and the
    // slice-index panic (with `core::fmt`) into the `.wasm`.
    let mut value = 0.0_f64;
    let mut int_digits = 0;
    // `None` before the point; then the place value of the next fraction digit and how many
    // fraction digits there were.
    let mut fraction: Option<(f64, usize)> = None;
    for &b in text.trim().as_bytes() {
        let digit = f64::from(b.wrapping_sub(b'0'));
        match (b, &mut fraction) {
            (b'0'..=b'9', None) => {
                value = value * 10.0 + digit;
                int_digits += 1;
            }
            (b'0'..=b'9', Some((scale, count))) => {
                if *count < 9 {
                    value += digit * *scale;
                    *scale /= 10.0;
                }
                *count += 1;
            }
            (b'.', None) => fraction = Some((0.1, 0)),
            _ => return None,
        }
    }
    let whole = int_digits > 0 && !matches!(fraction, Some((_, 0)));
    (whole && value.is_finite()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE_MS: i64 = 1_702_791_108_002; // 2023-12-17T05:31:48.002Z

    #[test]
    fn parses_the_documented_expiry() {
        assert_eq!(parse_iso("2023-12-17T05:31:48.002Z"), Some(EXAMPLE_MS));
    }

    #[test]
    fn parses_offsets_separators_and_fractions() {
        assert_eq!(parse_iso("2023-12-17T12:31:48.002+07:00"), Some(EXAMPLE_MS));
        assert_eq!(parse_iso("2023-12-17 12:31:48.002+0700"), Some(EXAMPLE_MS));
        assert_eq!(
            parse_iso("2023-12-16t23:31:48.0029999-06:00"),
            Some(EXAMPLE_MS)
        );
        assert_eq!(parse_iso("2023-12-17T05:31z"), Some(EXAMPLE_MS - 48_002));
        assert_eq!(parse_iso("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_iso("1969-12-31T23:59:59.999Z"), Some(-1));
    }

    #[test]
    fn rejects_what_names_no_instant() {
        for bad in [
            "",
            "2023-12-17",
            "2023-12-17T05:31:48",
            "2023-12-17T05:31:48.Z",
            "2023-02-29T00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-12-17T24:00:00Z",
            "2023-12-17T05:31:48Z trailing",
            "17/12/2023",
            "+02023-12-17T05:31:48Z",
            "2023-12-17T05:31:48+25:00",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
        assert!(parse_iso("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn formats_like_to_iso_string() {
        assert_eq!(
            format_iso(EXAMPLE_MS).as_deref(),
            Some("2023-12-17T05:31:48.002Z")
        );
        assert_eq!(format_iso(0).as_deref(), Some("1970-01-01T00:00:00.000Z"));
        assert_eq!(format_iso(-1).as_deref(), Some("1969-12-31T23:59:59.999Z"));
        assert_eq!(
            format_iso(MAX_INSTANT_MS).as_deref(),
            Some("9999-12-31T23:59:59.999Z")
        );
        assert_eq!(format_iso(MAX_INSTANT_MS + 1), None);
        assert_eq!(
            format_iso(MIN_INSTANT_MS).as_deref(),
            Some("0000-01-01T00:00:00.000Z")
        );
        assert_eq!(format_iso(MIN_INSTANT_MS - 1), None);
    }

    #[test]
    fn min_instant_is_the_first_millisecond_of_year_zero() {
        assert_eq!(MIN_INSTANT_MS, days_from_civil(0, 1, 1) * MS_PER_DAY);
    }

    #[test]
    fn format_and_parse_round_trip_across_the_range() {
        let mut ms = -62_000_000_000_000_i64;
        while ms < MAX_INSTANT_MS {
            let text = format_iso(ms).unwrap();
            assert_eq!(parse_iso(&text), Some(ms), "{text}");
            ms += 987_654_321_123;
        }
    }

    #[test]
    fn parses_imf_fixdate() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777_000)
        );
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"), None);
        assert_eq!(parse_http_date("120"), None);
        assert_eq!(parse_http_date("日本語テキスト"), None);
    }

    #[test]
    fn parses_decimal_strings_only() {
        assert_eq!(parse_decimal("3600"), Some(3600.0));
        assert_eq!(parse_decimal(" 3599.5 "), Some(3599.5));
        assert_eq!(
            parse_decimal("9007199254740991"),
            Some(9_007_199_254_740_991.0)
        );
        for bad in [
            "", "-1", "+1", "1e3", "0x10", "NaN", "1.", ".5", "1.2.3", "12a",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }
}
