/// `YYYY-MM-DD HH:MM:SS` (UTC) for a Unix time in seconds, identical in the browser and on the server.
pub fn format_unix(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Howard Hinnant's days-from-civil: days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = y - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A point in time from a form or a query: Unix seconds, or `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` or
/// `YYYY-MM-DD HH:MM:SS` in UTC (what a `datetime-local` input sends). Empty is none.
pub fn parse_time(field: &str, raw: &str) -> Result<Option<i64>, super::AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(n) = s.parse::<i64>() {
        return Ok(Some(n));
    }
    let bad = || {
        super::AppError::invalid(
            field,
            super::Rule::Other {
                key: "rule.time".into(),
            },
        )
    };
    let (date, time) = s.split_once(['T', ' ']).unwrap_or((s, "00:00"));
    let num = |p: &str| p.parse::<i64>().map_err(|_| bad());
    let d: Vec<&str> = date.split('-').collect();
    let t: Vec<&str> = time.split(':').collect();
    if d.len() != 3 || d[0].len() != 4 || !(2..=3).contains(&t.len()) {
        return Err(bad());
    }
    let (y, m, day) = (num(d[0])?, num(d[1])?, num(d[2])?);
    let (h, min) = (num(t[0])?, num(t[1])?);
    let sec = t.get(2).map(|p| num(p)).transpose()?.unwrap_or(0);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || min > 59 || sec > 59 {
        return Err(bad());
    }
    Ok(Some(
        days_from_civil(y, m, day) * 86_400 + h * 3600 + min * 60 + sec,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_times_format_as_utc() {
        assert_eq!(format_unix(0), "1970-01-01 00:00:00");
        assert_eq!(format_unix(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(format_unix(1_795_651_200 + 3661), "2026-11-26 01:01:01");
        assert_eq!(format_unix(-1), "1969-12-31 23:59:59");
    }

    #[test]
    fn times_parse_from_seconds_and_dates() {
        assert_eq!(parse_time("since", "").unwrap(), None);
        assert_eq!(
            parse_time("since", "1795651200").unwrap(),
            Some(1_795_651_200)
        );
        assert_eq!(
            parse_time("since", "2026-11-26").unwrap(),
            Some(1_795_651_200)
        );
        assert_eq!(
            parse_time("since", "2026-11-26T01:01").unwrap(),
            Some(1_795_654_860)
        );
        assert_eq!(
            parse_time("since", "2026-11-26 01:01:01").unwrap(),
            Some(1_795_654_861)
        );
        assert_eq!(
            parse_time("since", "2000-02-29").unwrap(),
            Some(951_782_400)
        );
        for bad in ["yesterday", "2026-13-01", "2026-11-26T25:00", "26-11-26"] {
            assert_eq!(
                parse_time("since", bad).unwrap_err().field(),
                Some("since"),
                "{bad}"
            );
        }
    }
}
