//! Charts as data for the theme's `chart` component (theme/templates/macros.html), which draws
//! them as inline SVG: no JavaScript, colours from CSS classes (so dark mode and print follow
//! the stylesheet), a title and description for screen readers, and the numbers as a table.
//! Geometry is computed here; the template only places it, and escapes every label.

use serde::Serialize;

use super::views::display_duration;
use crate::kb::stats::{Durations, Monthly};

/// Full-width charts (incidents over time) and those drawn two or three abreast (durations,
/// rankings): a narrower view box keeps their text the same size on screen.
const WIDTH: f32 = 720.0;
const HEIGHT: f32 = 180.0;
const SMALL: f32 = 360.0;
const LEFT: f32 = 36.0;
const RIGHT: f32 = 8.0;
const TOP: f32 = 12.0;
const BOTTOM: f32 = 28.0;

#[derive(Serialize)]
pub struct Chart {
    /// Unique on its page (ids of the title and description).
    pub id: String,
    pub title: String,
    /// The text alternative: what the chart shows, in a sentence or two.
    pub desc: String,
    pub width: f32,
    pub height: f32,
    /// When there is nothing to draw: why, shown instead of an empty frame.
    pub empty: Option<String>,
    pub rects: Vec<Rect>,
    pub texts: Vec<Text>,
    pub lines: Vec<Line>,
    pub legend: Vec<Legend>,
    pub table: Table,
}

#[derive(Serialize)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    pub class: String,
    /// Shown on hover (an SVG `<title>`).
    pub label: String,
}

#[derive(Serialize)]
pub struct Text {
    pub x: f32,
    pub y: f32,
    pub anchor: &'static str,
    pub class: &'static str,
    pub text: String,
}

#[derive(Serialize)]
pub struct Line {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
    pub class: &'static str,
}

#[derive(Serialize)]
pub struct Legend {
    pub class: String,
    pub label: String,
}

#[derive(Serialize, Default)]
pub struct Table {
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn empty(id: &str, title: &str, why: String) -> Chart {
    Chart {
        id: id.into(),
        title: title.into(),
        desc: why.clone(),
        width: SMALL,
        height: HEIGHT,
        empty: Some(why),
        rects: Vec::new(),
        texts: Vec::new(),
        lines: Vec::new(),
        legend: Vec::new(),
        table: Table::default(),
    }
}

/// A round axis maximum at or above `max`, with its half for a middle gridline.
fn axis_max(max: usize) -> usize {
    let max = max.max(1);
    let mag = 10usize.pow((max as f64).log10().floor() as u32);
    [1, 2, 5, 10]
        .iter()
        .map(|m| m * mag)
        .find(|v| *v >= max)
        .unwrap_or(10 * mag)
        .max(2)
}

/// Gridlines and their labels for a vertical count axis.
fn count_axis(max: usize, width: f32, lines: &mut Vec<Line>, texts: &mut Vec<Text>) {
    let plot = HEIGHT - TOP - BOTTOM;
    let ticks: &[usize] = if max.is_multiple_of(2) {
        &[0, max / 2, max]
    } else {
        &[0, max]
    };
    for &v in ticks {
        let y = TOP + plot * (1.0 - v as f32 / max as f32);
        lines.push(Line {
            x1: LEFT,
            y1: y,
            x2: width - RIGHT,
            y2: y,
            class: if v == 0 { "axis" } else { "grid" },
        });
        texts.push(Text {
            x: LEFT - 4.0,
            y: y + 4.0,
            anchor: "end",
            class: "tick",
            text: v.to_string(),
        });
    }
}

/// Severity slot → CSS class (`levels`, then a level the site does not list, then none).
pub fn severity_class(slot: usize, levels: usize) -> String {
    if slot < levels {
        format!("s{}", slot.min(5))
    } else if slot == levels {
        "s-other".into()
    } else {
        "s-none".into()
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Incidents per month, stacked by severity. `series` names the slots (levels, "other
/// level", "no severity").
pub fn months(id: &str, title: &str, m: &Monthly, series: &[String]) -> Chart {
    if m.months.is_empty() {
        let why = if m.undated > 0 {
            format!("No dated incidents to chart ({} undated).", m.undated)
        } else {
            "No incidents to chart.".to_string()
        };
        return empty(id, title, why);
    }
    let levels = series.len() - 2;
    let totals: Vec<usize> = m.counts.iter().map(|c| c.iter().sum()).collect();
    let max = axis_max(totals.iter().copied().max().unwrap_or(0));
    let (mut rects, mut texts, mut lines) = (Vec::new(), Vec::new(), Vec::new());
    count_axis(max, WIDTH, &mut lines, &mut texts);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let step = plot_w / m.months.len() as f32;
    // Narrow bars even when there are few months: one month is not a full-width slab.
    let bar = (step * 0.8).clamp(1.0, 28.0);
    // Label years (every Nth when there are many) at their first month on the chart.
    let years = m.months.len().div_ceil(12);
    let every = years.div_ceil(12).max(1);
    for (k, (&(y, mo), counts)) in m.months.iter().zip(&m.counts).enumerate() {
        let x = LEFT + step * k as f32 + (step - bar) / 2.0;
        let mut base = TOP + plot_h;
        for (slot, &n) in counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let h = plot_h * n as f32 / max as f32;
            base -= h;
            rects.push(Rect {
                x,
                y: base,
                w: bar,
                h,
                class: severity_class(slot, levels),
                label: format!("{} {y}: {n} {}", MONTHS[mo as usize - 1], series[slot]),
            });
        }
        // The first month gets its year unless January follows too closely to fit both.
        let first_fits = k == 0 && (mo <= 9 || m.months.len() <= 24);
        if (first_fits || (k > 0 && mo == 1))
            && ((y - m.months[0].0) as usize).is_multiple_of(every)
        {
            texts.push(Text {
                x: LEFT + step * k as f32,
                y: HEIGHT - 8.0,
                anchor: "start",
                class: "tick",
                text: y.to_string(),
            });
        }
    }
    let used: Vec<usize> = (0..series.len())
        .filter(|s| m.counts.iter().any(|c| c[*s] > 0))
        .collect();
    let total: usize = totals.iter().sum();
    let busiest = totals
        .iter()
        .enumerate()
        .max_by_key(|(k, n)| (**n, std::cmp::Reverse(*k)))
        .map(|(k, n)| {
            let (y, mo) = m.months[k];
            format!("{} {y} ({n})", MONTHS[mo as usize - 1])
        })
        .unwrap_or_default();
    let (fy, fm) = m.months[0];
    let (ly, lm) = m.months[m.months.len() - 1];
    let mut desc = format!(
        "{total} incident{} from {} {fy} to {} {ly}; the busiest month was {busiest}.",
        if total == 1 { "" } else { "s" },
        MONTHS[fm as usize - 1],
        MONTHS[lm as usize - 1]
    );
    if m.undated > 0 {
        desc.push_str(&if m.undated == 1 {
            " 1 undated incident is not shown.".to_string()
        } else {
            format!(" {} undated incidents are not shown.", m.undated)
        });
    }
    let mut head = vec!["Month".to_string()];
    head.extend(used.iter().map(|s| series[*s].clone()));
    head.push("Total".into());
    let rows = m
        .months
        .iter()
        .zip(&m.counts)
        .zip(&totals)
        .filter(|(_, t)| **t > 0)
        .map(|(((y, mo), c), t)| {
            let mut row = vec![format!("{y}-{mo:02}")];
            row.extend(used.iter().map(|s| c[*s].to_string()));
            row.push(t.to_string());
            row
        })
        .collect();
    Chart {
        id: id.into(),
        title: title.into(),
        desc,
        width: WIDTH,
        height: HEIGHT,
        empty: None,
        rects,
        texts,
        lines,
        legend: used
            .iter()
            .map(|s| Legend {
                class: severity_class(*s, levels),
                label: series[*s].clone(),
            })
            .collect(),
        table: Table { head, rows },
    }
}

/// Duration bins: heavy tails need widening bins, not a linear axis.
const BINS: [(i64, &str); 10] = [
    (5 * 60, "<5m"),
    (15 * 60, "15m"),
    (30 * 60, "30m"),
    (3600, "1h"),
    (2 * 3600, "2h"),
    (4 * 3600, "4h"),
    (8 * 3600, "8h"),
    (24 * 3600, "1d"),
    (3 * 86400, "3d"),
    (i64::MAX, ">3d"),
];
/// The bins as the table and tooltips name them.
const BIN_NAMES: [&str; 10] = [
    "under 5m", "5–15m", "15–30m", "30m–1h", "1–2h", "2–4h", "4–8h", "8–24h", "1–3d", "over 3d",
];

/// How a duration is spread over `BINS`, with the median and p90 in the description.
pub fn durations(id: &str, title: &str, d: &Durations) -> Chart {
    if d.values.is_empty() {
        let why = if d.missing > 0 {
            format!(
                "No incident here has the timestamps for this ({} left out).",
                d.missing
            )
        } else {
            "No incidents to chart.".to_string()
        };
        return empty(id, title, why);
    }
    let mut counts = [0usize; BINS.len()];
    for v in &d.values {
        let b = BINS.iter().position(|(upper, _)| v < upper).unwrap_or(0);
        counts[b] += 1;
    }
    let max = axis_max(counts.iter().copied().max().unwrap_or(0));
    let (mut rects, mut texts, mut lines) = (Vec::new(), Vec::new(), Vec::new());
    count_axis(max, SMALL, &mut lines, &mut texts);
    let plot_w = SMALL - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let step = plot_w / BINS.len() as f32;
    let median = d.median().unwrap_or(0);
    let p90 = d.p90().unwrap_or(0);
    for (k, ((_, label), n)) in BINS.iter().zip(counts).enumerate() {
        let x = LEFT + step * k as f32;
        let name = BIN_NAMES[k];
        let h = plot_h * n as f32 / max as f32;
        if n > 0 {
            rects.push(Rect {
                x: x + step * 0.1,
                y: TOP + plot_h - h,
                w: step * 0.8,
                h,
                class: "bar".into(),
                label: format!("{name}: {n}"),
            });
        }
        // Axis labels name each bin's upper end ("1h": 30m–1h).
        texts.push(Text {
            x: x + step / 2.0,
            y: HEIGHT - 8.0,
            anchor: "middle",
            class: "tick",
            text: label.to_string(),
        });
    }
    // Median and p90 as markers inside their bins.
    for (v, class) in [(median, "median"), (p90, "p90")] {
        let b = BINS.iter().position(|(upper, _)| v < *upper).unwrap_or(0);
        let lower = if b == 0 { 0 } else { BINS[b - 1].0 };
        let upper = if BINS[b].0 == i64::MAX {
            lower * 4
        } else {
            BINS[b].0
        };
        let frac = ((v - lower) as f32 / (upper - lower).max(1) as f32).clamp(0.0, 1.0);
        let x = LEFT + step * (b as f32 + 0.1 + 0.8 * frac);
        lines.push(Line {
            x1: x,
            y1: TOP,
            x2: x,
            y2: TOP + plot_h,
            class,
        });
    }
    let n = d.values.len();
    let mut desc = format!(
        "{n} incident{}: median {}, p90 {}, longest {}.",
        if n == 1 { "" } else { "s" },
        display_duration(jiff::SignedDuration::from_secs(median)),
        display_duration(jiff::SignedDuration::from_secs(p90)),
        display_duration(jiff::SignedDuration::from_secs(
            *d.values.last().unwrap_or(&0)
        )),
    );
    if d.missing > 0 {
        desc.push_str(&format!(
            " {} without the timestamps are left out.",
            d.missing
        ));
    }
    Chart {
        id: id.into(),
        title: title.into(),
        desc,
        width: SMALL,
        height: HEIGHT,
        empty: None,
        rects,
        texts,
        lines,
        legend: vec![
            Legend {
                class: "median".into(),
                label: "median".into(),
            },
            Legend {
                class: "p90".into(),
                label: "p90".into(),
            },
        ],
        table: Table {
            head: vec!["Duration".into(), "Incidents".into()],
            rows: BIN_NAMES
                .iter()
                .zip(counts)
                .map(|(l, n)| vec![l.to_string(), n.to_string()])
                .collect(),
        },
    }
}

/// Horizontal bars for counted values (triggers, factor categories, tags), the first `limit`.
pub fn ranking(id: &str, title: &str, items: &[(String, usize)], limit: usize, of: &str) -> Chart {
    if items.is_empty() {
        return empty(id, title, format!("No {of} recorded."));
    }
    let shown = &items[..items.len().min(limit)];
    let row = 22.0;
    let height = TOP + row * shown.len() as f32 + 8.0;
    let label_w = 130.0;
    let max = shown[0].1.max(1);
    let bar_w = SMALL - label_w - 40.0;
    let mut rects = Vec::new();
    let mut texts = Vec::new();
    for (k, (name, n)) in shown.iter().enumerate() {
        let y = TOP + row * k as f32;
        let w = (bar_w * *n as f32 / max as f32).max(1.0);
        texts.push(Text {
            x: label_w - 6.0,
            y: y + 15.0,
            anchor: "end",
            class: "label",
            text: name.clone(),
        });
        rects.push(Rect {
            x: label_w,
            y: y + 3.0,
            w,
            h: row - 6.0,
            class: "bar".into(),
            label: format!("{name}: {n}"),
        });
        texts.push(Text {
            x: label_w + w + 6.0,
            y: y + 15.0,
            anchor: "start",
            class: "tick",
            text: n.to_string(),
        });
    }
    let desc = format!(
        "{}{}.",
        shown
            .iter()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        if items.len() > shown.len() {
            format!(" ({} more not shown)", items.len() - shown.len())
        } else {
            String::new()
        }
    );
    Chart {
        id: id.into(),
        title: title.into(),
        desc,
        width: SMALL,
        height,
        empty: None,
        rects,
        texts,
        lines: Vec::new(),
        legend: Vec::new(),
        table: Table {
            head: vec![of.to_string(), "Incidents".into()],
            rows: items
                .iter()
                .map(|(k, n)| vec![k.clone(), n.to_string()])
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_axis_maxima() {
        assert_eq!(axis_max(0), 2);
        assert_eq!(axis_max(3), 5);
        assert_eq!(axis_max(7), 10);
        assert_eq!(axis_max(11), 20);
        assert_eq!(axis_max(140), 200);
    }

    #[test]
    fn no_data_says_so() {
        let d = Durations {
            values: Vec::new(),
            missing: 3,
        };
        let c = durations("x", "Time to resolve", &d);
        assert!(c.rects.is_empty());
        assert_eq!(
            c.empty.as_deref(),
            Some("No incident here has the timestamps for this (3 left out).")
        );
    }

    #[test]
    fn durations_fall_in_widening_bins() {
        let d = Durations {
            values: vec![60, 600, 600, 5000, 90000],
            missing: 1,
        };
        let c = durations("x", "t", &d);
        let rows: Vec<(&str, &str)> = c
            .table
            .rows
            .iter()
            .map(|r| (r[0].as_str(), r[1].as_str()))
            .filter(|r| r.1 != "0")
            .collect();
        assert_eq!(
            rows,
            [
                ("under 5m", "1"),
                ("5–15m", "2"),
                ("1–2h", "1"),
                ("1–3d", "1")
            ]
        );
        assert!(c.desc.contains("median 10m"), "{}", c.desc);
        assert!(c.desc.contains("1 without the timestamps"), "{}", c.desc);
    }
}
