//! Timeline rows in three kinds of zone, through the real binary: an offset with minutes
//! declared once ("All times in UTC+5:30"), an IANA zone in a table header (DST-correct for the
//! row's date, from the zone database inside kb), and RFC 3339 rows with their own offset.
//! Times with AM/PM are read too. Fixture: tests/fixtures/zones.

mod common;

use common::{kb, repo};
use serde_json::Value;

fn timestamps(id: &str) -> Value {
    let o = kb(&repo().join("tests/fixtures/zones"), &["export"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    out.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {out}"))["timestamps"]
        .clone()
}

#[test]
fn an_offset_with_minutes_declared_once() {
    let ts = timestamps("india-offset");
    assert_eq!(ts["started"], "2024-05-03T10:00:00+05:30");
    assert_eq!(ts["detected"], "2024-05-03T10:12:00+05:30");
    assert_eq!(ts["resolved"], "2024-05-03T10:40:00+05:30");
}

#[test]
fn an_iana_zone_in_the_header_is_summer_time_in_july_and_am_pm_is_read() {
    let ts = timestamps("berlin-summer");
    assert_eq!(ts["started"], "2024-07-15T09:00:00+02:00");
    assert_eq!(ts["detected"], "2024-07-15T09:20:00+02:00");
    assert_eq!(ts["resolved"], "2024-07-15T14:05:00+02:00");
}

#[test]
fn rfc3339_rows_keep_their_own_offset() {
    let ts = timestamps("rfc3339-rows");
    assert_eq!(ts["started"], "2024-03-10T06:30:00-03:30");
    assert_eq!(ts["detected"], "2024-03-10T06:41:00-03:30");
    assert_eq!(ts["resolved"], "2024-03-10T07:02:00-03:30");
}

#[test]
fn a_date_written_out_dates_the_incident_and_one_without_a_year_is_named_by_check() {
    let root = repo().join("tests/fixtures/zones");
    let o = kb(&root, &["export"]);
    let out = String::from_utf8(o.stdout).unwrap();
    let date = |id: &str| {
        out.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|v| v["id"] == id)
            .unwrap()["date"]
            .clone()
    };
    assert_eq!(date("written-date"), "2021-06-30");
    assert_eq!(date("no-year"), Value::Null);

    let o = kb(&root, &["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "warnings only");
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let undated: Vec<&Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "undated")
        .collect();
    assert_eq!(undated.len(), 1, "{undated:?}");
    let d = undated[0];
    assert_eq!(d["file"], "no-year.md");
    assert_eq!((d["line"].as_u64(), d["col"].as_u64()), (Some(3), Some(4)));
    let hint = d["hint"].as_str().unwrap();
    assert!(
        hint.contains("`March 4th` has no year") && hint.contains("date:"),
        "{hint}"
    );
}
