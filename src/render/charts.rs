//! Charts as data for the theme's `chart` component (theme/templates/macros.html), which draws
//! them as inline SVG: no JavaScript, colours from CSS classes (so dark mode and print follow
//! the stylesheet), a title and description for screen readers, and the numbers as a table.
//! Geometry is computed here; the template only places it, and escapes every label.
//!
//! The SVG has no `viewBox`, so nothing in it scales: text keeps its CSS size at every width
//! (a scaled chart had 6 px labels on a phone). Horizontal positions are percentages of the
//! chart's width and vertical ones pixels; a count axis's labels sit left of the plot, in the
//! stylesheet's padding (`.chart-axis`).

use serde::Serialize;

use super::views::display_duration;
use crate::kb::stats::{Durations, Monthly};

/// Height of a chart with a count axis, in pixels, and its margins.
const HEIGHT: f32 = 180.0;
const TOP: f32 = 12.0;
const BOTTOM: f32 = 28.0;
/// Pixels per bar of a time chart at its natural width; a chart wider than [`FULL`] at that
/// spacing takes the whole width instead.
const STEP: f32 = 36.0;
const FULL: f32 = 720.0;
/// The stylesheet's room for the count axis's labels (`.chart-axis` padding) and after the
/// last bar: a chart's natural width adds them.
const AXIS_PAD: f32 = 44.0;
/// The narrowest and the widest plot a time chart gets, for spacing its labels so that they
/// do not overlap on a phone and are not needlessly sparse on a desktop.
const PHONE_PLOT: f32 = 300.0;
const DESKTOP_PLOT: f32 = 1100.0;
/// Room one label needs ("2024" at 12 px, with a gap).
const LABEL_PX: f32 = 34.0;

#[derive(Serialize)]
pub struct Chart {
    /// Unique on its page (ids of the title and description).
    pub id: String,
    pub title: String,
    /// The text alternative: what the chart shows, in a sentence or two.
    pub desc: String,
    /// Natural width in pixels (the chart shrinks below it on a narrow screen); `None` takes
    /// the whole width.
    pub width: Option<f32>,
    pub height: f32,
    /// A count axis on the left (its labels need the stylesheet's padding).
    pub axis: bool,
    /// When there is nothing to draw: why, shown instead of an empty frame.
    pub empty: Option<String>,
    pub rects: Vec<Rect>,
    pub texts: Vec<Text>,
    pub lines: Vec<Line>,
    pub legend: Vec<Legend>,
    pub table: Table,
}

/// A bar: `x` and `w` in percent of the chart's width, `y` and `h` in pixels.
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

/// A label at `x` percent of the width, shifted `dx` pixels, with its baseline at `y` pixels.
#[derive(Serialize)]
pub struct Text {
    pub x: f32,
    pub dx: f32,
    pub y: f32,
    pub anchor: &'static str,
    pub class: &'static str,
    pub text: String,
}

/// `x1`, `x2` in percent; `y1`, `y2` in pixels.
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

/// Two decimals are plenty for a position, and keep the page small.
fn round(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

fn empty(id: &str, title: &str, why: String) -> Chart {
    Chart {
        id: id.into(),
        title: title.into(),
        desc: why.clone(),
        width: None,
        height: HEIGHT,
        axis: false,
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
fn count_axis(max: usize, lines: &mut Vec<Line>, texts: &mut Vec<Text>) {
    let plot = HEIGHT - TOP - BOTTOM;
    let ticks: &[usize] = if max.is_multiple_of(2) {
        &[0, max / 2, max]
    } else {
        &[0, max]
    };
    for &v in ticks {
        let y = round(TOP + plot * (1.0 - v as f32 / max as f32));
        lines.push(Line {
            x1: 0.0,
            y1: y,
            x2: 100.0,
            y2: y,
            class: if v == 0 { "axis" } else { "grid" },
        });
        texts.push(Text {
            x: 0.0,
            dx: -6.0,
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

/// What a bar of a time chart counts.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Unit {
    Month,
    Quarter,
    Year,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Month => "month",
            Unit::Quarter => "quarter",
            Unit::Year => "year",
        }
    }

    fn months(self) -> i8 {
        match self {
            Unit::Month => 1,
            Unit::Quarter => 3,
            Unit::Year => 12,
        }
    }

    /// "Mar 2024", "Q1 2024", "2024".
    fn label(self, (y, m): (i16, i8)) -> String {
        match self {
            Unit::Month => format!("{} {y}", MONTHS[m as usize - 1]),
            Unit::Quarter => format!("Q{} {y}", (m - 1) / 3 + 1),
            Unit::Year => y.to_string(),
        }
    }
}

/// One bar: its first month and its counts per severity slot.
struct Bucket {
    start: (i16, i8),
    counts: Vec<usize>,
}

fn buckets(m: &Monthly, unit: Unit) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = Vec::new();
    for (&(y, mo), c) in m.months.iter().zip(&m.counts) {
        let start = (y, mo - (mo - 1) % unit.months());
        match out.last_mut() {
            Some(b) if b.start == start => {
                for (a, n) in b.counts.iter_mut().zip(c) {
                    *a += n;
                }
            }
            _ => out.push(Bucket {
                start,
                counts: c.clone(),
            }),
        }
    }
    out
}

/// Months while at least half of them have incidents (and they are not too many to tell
/// apart), else quarters on the same terms, else years: a sparse span of months is a row of
/// gaps with a few thin bars.
fn unit_for(m: &Monthly) -> Unit {
    for unit in [Unit::Month, Unit::Quarter] {
        let b = buckets(m, unit);
        let filled = b.iter().filter(|b| b.counts.iter().any(|n| *n > 0)).count();
        if b.len() <= 60 && filled * 2 >= b.len() {
            return unit;
        }
    }
    Unit::Year
}

/// "the busiest month was Mar 2024 (2)", with ties said as ties.
fn busiest(unit: Unit, buckets: &[Bucket], totals: &[usize]) -> Option<String> {
    let filled = totals.iter().filter(|n| **n > 0).count();
    let max = totals.iter().copied().max().unwrap_or(0);
    let top: Vec<String> = buckets
        .iter()
        .zip(totals)
        .filter(|(_, n)| **n == max)
        .map(|(b, _)| unit.label(b.start))
        .collect();
    let u = unit.name();
    match top.len() {
        _ if filled < 2 => None,
        1 => Some(format!("the busiest {u} was {} ({max})", top[0])),
        k if k == filled => Some(format!("no {u} had more than {max}")),
        2 | 3 => {
            let (last, rest) = top.split_last()?;
            Some(format!(
                "the busiest {u}s were {} and {last} ({max} each)",
                rest.join(", ")
            ))
        }
        k => Some(format!("{k} {u}s tied for the most ({max} each)")),
    }
}

/// Incidents over time, stacked by severity: per month, or per quarter or year when months
/// would be sparse. `series` names the slots (levels, "other level", "no severity").
pub fn over_time(id: &str, m: &Monthly, series: &[String]) -> Chart {
    if m.months.is_empty() {
        let why = if m.undated > 0 {
            format!("No dated incidents to chart ({} undated).", m.undated)
        } else {
            "No incidents to chart.".to_string()
        };
        return empty(id, "Incidents over time, by severity", why);
    }
    let unit = unit_for(m);
    let title = format!("Incidents per {}, by severity", unit.name());
    let bars = buckets(m, unit);
    let levels = series.len() - 2;
    let totals: Vec<usize> = bars.iter().map(|b| b.counts.iter().sum()).collect();
    let max = axis_max(totals.iter().copied().max().unwrap_or(0));
    let (mut rects, mut texts, mut lines) = (Vec::new(), Vec::new(), Vec::new());
    count_axis(max, &mut lines, &mut texts);
    let n = bars.len() as f32;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let step = 100.0 / n;
    let bar = step * 0.75;
    // Year labels: one every `phone` years shown everywhere, the ones between only where
    // there is room (class `minor`, hidden on phones).
    let per_year = 12 / unit.months() as usize;
    let px = |plot: f32| (plot / n).min(STEP) * per_year as f32;
    let every = |plot: f32| (LABEL_PX / px(plot)).ceil().max(1.0) as usize;
    let (phone, desktop) = (every(PHONE_PLOT), every(DESKTOP_PLOT));
    let first_year = bars[0].start.0;
    for (k, b) in bars.iter().enumerate() {
        let x = step * k as f32;
        let mut base = TOP + plot_h;
        for (slot, &c) in b.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let h = plot_h * c as f32 / max as f32;
            base -= h;
            rects.push(Rect {
                x: round(x + (step - bar) / 2.0),
                y: round(base),
                w: round(bar),
                h: round(h),
                class: severity_class(slot, levels),
                label: format!("{}: {c} {}", unit.label(b.start), series[slot]),
            });
        }
        // A year's label at its first bar; the chart's first bar only when its year's first
        // bar is close enough not to collide with the next year's label.
        let (y, mo) = b.start;
        let year_start = mo == 1 || unit == Unit::Year;
        let first_fits = k == 0 && (12 - mo as usize) / unit.months() as usize + 1 >= per_year / 2;
        let nth = (y - first_year) as usize;
        if (year_start || first_fits) && nth.is_multiple_of(desktop.min(phone)) {
            let major = nth.is_multiple_of(phone);
            if major || nth.is_multiple_of(desktop) {
                texts.push(Text {
                    x: round(if unit == Unit::Year {
                        x + step / 2.0
                    } else {
                        x
                    }),
                    dx: 0.0,
                    y: HEIGHT - 8.0,
                    anchor: if unit == Unit::Year {
                        "middle"
                    } else {
                        "start"
                    },
                    class: if major { "tick" } else { "tick minor" },
                    text: y.to_string(),
                });
            }
        }
    }
    let used: Vec<usize> = (0..series.len())
        .filter(|s| bars.iter().any(|b| b.counts[*s] > 0))
        .collect();
    let total: usize = totals.iter().sum();
    let (fy, fm) = m.months[0];
    let (ly, lm) = m.months[m.months.len() - 1];
    let span = if (fy, fm) == (ly, lm) {
        format!("in {} {fy}", MONTHS[fm as usize - 1])
    } else {
        format!(
            "from {} {fy} to {} {ly}",
            MONTHS[fm as usize - 1],
            MONTHS[lm as usize - 1]
        )
    };
    let mut desc = format!(
        "{total} incident{} {span}",
        if total == 1 { "" } else { "s" }
    );
    if let Some(b) = busiest(unit, &bars, &totals) {
        desc.push_str("; ");
        desc.push_str(&b);
    }
    desc.push('.');
    if m.undated > 0 {
        desc.push_str(&if m.undated == 1 {
            " 1 undated incident is not shown.".to_string()
        } else {
            format!(" {} undated incidents are not shown.", m.undated)
        });
    }
    let mut head = vec![
        match unit {
            Unit::Month => "Month",
            Unit::Quarter => "Quarter",
            Unit::Year => "Year",
        }
        .to_string(),
    ];
    head.extend(used.iter().map(|s| series[*s].clone()));
    head.push("Total".into());
    let rows = bars
        .iter()
        .zip(&totals)
        .filter(|(_, t)| **t > 0)
        .map(|(b, t)| {
            let (y, mo) = b.start;
            let mut row = vec![match unit {
                Unit::Month => format!("{y}-{mo:02}"),
                _ => unit.label(b.start),
            }];
            row.extend(used.iter().map(|s| b.counts[*s].to_string()));
            row.push(t.to_string());
            row
        })
        .collect();
    let natural = n * STEP + AXIS_PAD;
    Chart {
        id: id.into(),
        title,
        desc,
        width: (natural < FULL).then_some(natural),
        height: HEIGHT,
        axis: true,
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
    count_axis(max, &mut lines, &mut texts);
    let plot_h = HEIGHT - TOP - BOTTOM;
    let step = 100.0 / BINS.len() as f32;
    let median = d.median().unwrap_or(0);
    let p90 = d.p90().unwrap_or(0);
    for (k, ((_, label), n)) in BINS.iter().zip(counts).enumerate() {
        let x = step * k as f32;
        let name = BIN_NAMES[k];
        let h = plot_h * n as f32 / max as f32;
        if n > 0 {
            rects.push(Rect {
                x: round(x + step * 0.1),
                y: round(TOP + plot_h - h),
                w: round(step * 0.8),
                h: round(h),
                class: "bar".into(),
                label: format!("{name}: {n}"),
            });
        }
        // Axis labels name each bin's upper end ("1h": 30m–1h); every other one only where
        // there is room for all ten.
        texts.push(Text {
            x: round(x + step / 2.0),
            dx: 0.0,
            y: HEIGHT - 8.0,
            anchor: "middle",
            class: if k % 2 == 0 { "tick" } else { "tick minor" },
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
        let x = round(step * (b as f32 + 0.1 + 0.8 * frac));
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
        width: None,
        height: HEIGHT,
        axis: true,
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
    // Each row: its name above its bar, the count after the bar. Names get the whole width,
    // so a long trigger is not cut to fit a label column.
    let row = 36.0;
    let height = row * shown.len() as f32 + 4.0;
    let max = shown[0].1.max(1);
    // The longest bar leaves room for its count.
    let bar_w = 85.0;
    let mut rects = Vec::new();
    let mut texts = Vec::new();
    for (k, (name, n)) in shown.iter().enumerate() {
        let y = row * k as f32;
        let w = round((bar_w * *n as f32 / max as f32).max(0.5));
        texts.push(Text {
            x: 0.0,
            dx: 0.0,
            y: y + 14.0,
            anchor: "start",
            class: "label",
            text: name.clone(),
        });
        rects.push(Rect {
            x: 0.0,
            y: y + 19.0,
            w,
            h: 12.0,
            class: "bar".into(),
            label: format!("{name}: {n}"),
        });
        texts.push(Text {
            x: w,
            dx: 6.0,
            y: y + 30.0,
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
        width: None,
        height,
        axis: false,
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

    /// Counts per month from `first` on, one severity slot each (plus the two extra slots).
    fn monthly(first: (i16, i8), counts: &[usize]) -> Monthly {
        let (mut y, mut m) = first;
        let mut months = Vec::new();
        for _ in counts {
            months.push((y, m));
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
        Monthly {
            months,
            counts: counts.iter().map(|n| vec![*n, 0, 0]).collect(),
            undated: 0,
        }
    }

    fn series() -> Vec<String> {
        ["SEV1", "other level", "no severity"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn ties_are_said_as_ties() {
        let c = over_time("x", &monthly((2021, 3), &[1, 1, 1]), &series());
        assert_eq!(
            c.desc,
            "3 incidents from Mar 2021 to May 2021; no month had more than 1."
        );
        let c = over_time("x", &monthly((2021, 3), &[2, 1, 2]), &series());
        assert!(
            c.desc
                .ends_with("the busiest months were Mar 2021 and May 2021 (2 each)."),
            "{}",
            c.desc
        );
        let c = over_time("x", &monthly((2021, 3), &[1]), &series());
        assert_eq!(c.desc, "1 incident in Mar 2021.");
    }

    #[test]
    fn sparse_months_become_quarters_or_years_and_few_bars_a_narrow_chart() {
        // Four incidents over four years: four bars of a year each, not 37 thin months.
        let mut counts = vec![0; 37];
        for k in [0, 12, 24, 36] {
            counts[k] = 1;
        }
        let c = over_time("x", &monthly((2020, 1), &counts), &series());
        assert_eq!(c.title, "Incidents per year, by severity");
        assert_eq!(c.rects.len(), 4);
        assert!(c.width.is_some_and(|w| w < 300.0), "{:?}", c.width);
        // Half the quarters have incidents: quarters.
        let mut counts = vec![0; 24];
        for k in [0, 3, 6, 9, 12, 15] {
            counts[k] = 1;
        }
        let c = over_time("x", &monthly((2020, 1), &counts), &series());
        assert_eq!(c.title, "Incidents per quarter, by severity");
        assert_eq!(c.table.rows[0][0], "Q1 2020");
        // Busy months stay months, across the whole width.
        let c = over_time("x", &monthly((2015, 1), &[3; 40]), &series());
        assert_eq!(c.title, "Incidents per month, by severity");
        assert_eq!(c.width, None);
        // No label is drawn from a view box: positions are percentages of the width.
        assert!(c.rects.iter().all(|r| r.x >= 0.0 && r.x + r.w <= 100.0));
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
