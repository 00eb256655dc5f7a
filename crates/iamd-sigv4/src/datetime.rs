//! The two request-time formats SigV4 accepts, parsed by hand (no panics, no
//! locale): ISO 8601 basic format (`20150830T123600Z`) and the HTTP
//! IMF-fixdate / RFC 1123 form (`Sun, 30 Aug 2015 12:36:00 GMT`).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Parses `YYYYMMDD'T'HHMMSS'Z'` (exactly 16 ASCII bytes).
pub(crate) fn parse_basic(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[4..6])?;
    let day = digits(&b[6..8])?;
    let hour = digits(&b[9..11])?;
    let minute = digits(&b[11..13])?;
    let second = digits(&b[13..15])?;
    build(year, month, day, hour, minute, second)
}

/// Parses an RFC 1123 date as sent in the HTTP `Date` header:
/// `Sun, 06 Nov 1994 08:49:37 GMT` (the weekday is not cross-checked; the
/// zone must be `GMT`, `UTC`, `UT`, `Z` or `+0000`).
pub(crate) fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    let mut it = s.split_ascii_whitespace();
    let weekday = it.next()?;
    if !weekday.ends_with(',') || weekday.len() < 2 {
        return None;
    }
    let day = it.next()?;
    let month = it.next()?;
    let year = it.next()?;
    let clock = it.next()?;
    let zone = it.next()?;
    if it.next().is_some() || !matches!(zone, "GMT" | "UTC" | "UT" | "Z" | "+0000") {
        return None;
    }
    if day.is_empty() || day.len() > 2 || year.len() != 4 {
        return None;
    }
    let day = digits(day.as_bytes())?;
    let year = digits(year.as_bytes())?;
    let month = match month {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let c = clock.as_bytes();
    if c.len() != 8 || c[2] != b':' || c[5] != b':' {
        return None;
    }
    let hour = digits(&c[0..2])?;
    let minute = digits(&c[3..5])?;
    let second = digits(&c[6..8])?;
    build(year, month, day, hour, minute, second)
}

/// Formats as `YYYYMMDD'T'HHMMSS'Z'` in UTC (sub-seconds truncated).
pub(crate) fn format_basic(t: OffsetDateTime) -> String {
    // `checked_to_offset` rather than `to_offset`: the latter panics when the
    // UTC instant falls outside the supported year range.
    let t = t.checked_to_offset(time::UtcOffset::UTC).unwrap_or(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() {
        return None;
    }
    b.iter().try_fold(0u32, |acc, &d| {
        if d.is_ascii_digit() {
            Some(acc * 10 + u32::from(d - b'0'))
        } else {
            None
        }
    })
}

fn build(year: u32, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> Option<OffsetDateTime> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let time = Time::from_hms(
        u8::try_from(hour).ok()?,
        u8::try_from(min).ok()?,
        u8::try_from(sec).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_round_trip() {
        let t = parse_basic("20150830T123600Z").expect("valid");
        assert_eq!(format_basic(t), "20150830T123600Z");
    }

    #[test]
    fn basic_rejects_garbage() {
        for s in [
            "",
            "20150830T123600",
            "20150830T123660Z",
            "20151330T123600Z",
            "20150230T123600Z",
            "2015-08-30T12:36:00Z",
            "2015083OT123600Z",
            "+0150830T123600Z",
        ] {
            assert!(parse_basic(s).is_none(), "{s}");
        }
    }

    #[test]
    fn http_date() {
        let t = parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT").expect("valid");
        assert_eq!(format_basic(t), "20150830T123600Z");
        assert!(parse_http_date("Sun, 30 Aug 2015 12:36:00 PST").is_none());
        assert!(parse_http_date("Sun 30 Aug 2015 12:36:00 GMT").is_none());
        assert!(parse_http_date("Sun, 30 Foo 2015 12:36:00 GMT").is_none());
    }
}
