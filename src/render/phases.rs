//! The incident's phases, drawn on its page: from each of its timestamps (started, detected,
//! acknowledged, mitigated, resolved) to the next, with each phase's length and its share of
//! the whole. Drawn in HTML and CSS, so the drawing is its own text alternative.

use serde::Serialize;

use super::views::display_duration;
use crate::content::incident::Timestamps;

#[derive(Debug, PartialEq, Serialize)]
pub struct Phases {
    /// From the first timestamp to the last.
    pub total: String,
    pub first: Mark,
    pub last: Mark,
    pub steps: Vec<Phase>,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct Mark {
    pub name: &'static str,
    /// `2024-03-07T10:05:00+01:00`, for `<time datetime>`.
    pub iso: String,
    /// `10:05`, with the date (`7 Mar 10:05`) when it is not the first mark's.
    pub display: String,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct Phase {
    /// What the phase ends with: `detected`, `acknowledged`, `mitigated`, `resolved`.
    pub to: &'static str,
    /// "To detect", …
    pub label: &'static str,
    pub length: String,
    /// Share of the whole, 0..=1 (rounded to 4 places, so pages stay byte-stable).
    pub share: f64,
    pub from: Mark,
    pub end: Mark,
}

fn label(to: &str) -> &'static str {
    match to {
        "detected" => "To detect",
        "acknowledged" => "To acknowledge",
        "mitigated" => "To mitigate",
        _ => "To resolve",
    }
}

/// The phases, when at least two timestamps are given and they run forward in time; otherwise
/// nothing is drawn (`kb check` reports timestamps out of order).
pub fn phases(ts: &Timestamps) -> Option<Phases> {
    let marks: Vec<_> = Timestamps::NAMES
        .iter()
        .filter_map(|n| ts.get(n).map(|i| (*n, i)))
        .collect();
    let (first, last) = (marks.first()?, marks.last()?);
    let total = last.1.at.duration_since(first.1.at);
    if marks.len() < 2 || total.is_zero() || marks.windows(2).any(|w| w[1].1.at < w[0].1.at) {
        return None;
    }
    let day = |text: &str| text.get(..10).map(str::to_string);
    let first_day = day(&first.1.text);
    let mark = |(name, i): &(&'static str, &crate::content::incident::Instant)| {
        let time = i.text.get(11..16).unwrap_or(&i.text).to_string();
        let display = match (day(&i.text), &first_day) {
            (Some(d), Some(f)) if &d != f => d
                .parse::<jiff::civil::Date>()
                .map(|d| format!("{} {time}", d.strftime("%-d %b")))
                .unwrap_or(time),
            _ => time,
        };
        Mark {
            name,
            iso: i.text.clone(),
            display,
        }
    };
    let steps = marks
        .windows(2)
        .map(|w| {
            let length = w[1].1.at.duration_since(w[0].1.at);
            Phase {
                to: w[1].0,
                label: label(w[1].0),
                length: display_duration(length),
                share: (length.as_secs_f64() / total.as_secs_f64() * 10_000.0).round() / 10_000.0,
                from: mark(&w[0]),
                end: mark(&w[1]),
            }
        })
        .collect();
    Some(Phases {
        total: display_duration(total),
        first: mark(first),
        last: mark(last),
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::incident::Instant;

    fn at(text: &str) -> Option<Instant> {
        Some(Instant {
            at: text.parse().unwrap(),
            text: text.into(),
        })
    }

    #[test]
    fn each_phase_runs_from_one_given_timestamp_to_the_next() {
        let ts = Timestamps {
            started: at("2024-03-07T23:50:00+01:00"),
            detected: at("2024-03-07T23:58:00+01:00"),
            acknowledged: None,
            mitigated: at("2024-03-08T00:30:00+01:00"),
            resolved: at("2024-03-08T01:50:00+01:00"),
        };
        let p = phases(&ts).unwrap();
        assert_eq!(p.total, "2h");
        let got: Vec<_> = p
            .steps
            .iter()
            .map(|s| (s.label, s.length.as_str(), s.share, s.end.display.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("To detect", "8m", 0.0667, "23:58"),
                ("To mitigate", "32m", 0.2667, "8 Mar 00:30"),
                ("To resolve", "1h 20m", 0.6667, "8 Mar 01:50"),
            ]
        );
    }

    #[test]
    fn nothing_is_drawn_from_one_timestamp_or_from_times_out_of_order() {
        let one = Timestamps {
            started: at("2024-03-07T10:00:00Z"),
            ..Default::default()
        };
        assert_eq!(phases(&one), None);
        let backwards = Timestamps {
            started: at("2024-03-07T10:00:00Z"),
            detected: at("2024-03-07T09:00:00Z"),
            ..Default::default()
        };
        assert_eq!(phases(&backwards), None);
    }
}
