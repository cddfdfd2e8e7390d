//! The time series as inline SVG charts (no script, nothing fetched): per
//! request type, the rate of requests with failures as bars beneath, and
//! latency p50/p90/p99 over time.

use std::fmt::Write as _;

use crate::load::metrics::Series;
use crate::safe_text::escape_html as esc;

const W: f64 = 900.0;
const H: f64 = 170.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 110.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 26.0;

/// One line of a chart: its label, colour and (x, y) points.
struct Line<'a> {
    label: &'a str,
    color: &'a str,
    points: Vec<(f64, f64)>,
}

/// A round upper bound for an axis (1, 2 or 5 times a power of ten).
fn nice(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|v| *v >= max)
        .unwrap_or(10.0 * p)
}

/// Bars beneath a chart's lines: (x, height, width) each, in seconds and
/// the chart's unit.
struct Bars<'a> {
    label: &'a str,
    color: &'a str,
    bars: Vec<(f64, f64, f64)>,
}

/// A chart of `lines` (and `bars`, drawn first) over `x_max` seconds.
fn chart(
    title: &str,
    unit: &str,
    x_max: f64,
    lines: &[Line<'_>],
    bars: Option<&Bars<'_>>,
) -> String {
    let y_max = nice(
        lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .chain(bars.iter().flat_map(|b| b.bars.iter().map(|p| p.1)))
            .fold(0.0, f64::max),
    );
    let x_max = x_max.max(1.0);
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let x = |v: f64| LEFT + v / x_max * pw;
    let y = |v: f64| TOP + ph - v / y_max * ph;
    let mut svg = format!(
        r##"<svg width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" aria-label="{}"><rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="#fafbfd" stroke="#dde"/>"##,
        esc(title)
    );
    for i in 0..=5 {
        let v = y_max * f64::from(i) / 5.0;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#e6e8ef"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#5a6375" text-anchor="end">{}</text>"##,
            LEFT + pw,
            y(v),
            y(v),
            LEFT - 4.0,
            y(v) + 3.0,
            short(v)
        );
    }
    let x_step = nice(x_max / 7.0);
    for t in (0..)
        .map(|i| f64::from(i) * x_step)
        .take_while(|t| *t <= x_max)
    {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#5a6375" text-anchor="middle">{} s</text>"##,
            x(t),
            H - 8.0,
            short(t)
        );
    }
    let _ = write!(
        svg,
        r##"<text x="4" y="{:.1}" font-size="10" fill="#5a6375">{}</text>"##,
        TOP + 8.0,
        esc(unit)
    );
    if let Some(b) = bars {
        // Each bar spans what its interval covered.
        for (t, v, secs) in b.bars.iter().filter(|p| p.1 > 0.0) {
            let _ = write!(
                svg,
                r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}" opacity="0.8"/>"##,
                x(*t),
                y(*v),
                (secs / x_max * pw).max(1.0),
                (TOP + ph - y(*v)).max(1.0),
                b.color
            );
        }
    }
    for l in lines {
        let pts: Vec<String> = l
            .points
            .iter()
            .map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v)))
            .collect();
        let _ = write!(
            svg,
            r##"<polyline points="{}" fill="none" stroke="{}" stroke-width="1.6"/>"##,
            pts.join(" "),
            l.color
        );
    }
    let legend = lines
        .iter()
        .map(|l| (l.label, l.color))
        .chain(bars.map(|b| (b.label, b.color)));
    for (i, (label, color)) in legend.enumerate() {
        let ly = TOP + 12.0 + 15.0 * i as f64;
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="12" height="4" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#1d2330">{}</text>"##,
            W - RIGHT + 10.0,
            ly - 4.0,
            color,
            W - RIGHT + 26.0,
            ly,
            esc(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// `v` short: 1.2k, 35, 0.5.
fn short(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else if v >= 10.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Interval `index` (each `step` seconds long) as (start, end) seconds,
/// clipped to `active` (first send, last answer, seconds) when known: the
/// first and last intervals ran only partly, and a rate over a whole
/// interval would draw a collapse that did not happen (issue 29: the last
/// 0.09 s drawn as a full second). At least 1 ms long.
fn covered(index: u32, step: f64, active: Option<(f64, f64)>) -> (f64, f64) {
    let (start, end) = (f64::from(index) * step, f64::from(index + 1) * step);
    let (from, to) = active.map_or((start, end), |(a, b)| (start.max(a), end.min(b)));
    let from = from.min(end);
    (from, to.max(from + 0.001))
}

/// Points of a line, (x seconds, value); bars, (x seconds, value, width seconds).
type Rates = (Vec<(f64, f64)>, Vec<(f64, f64, f64)>);

/// The requests-per-second line and failures-per-second bars of `s`:
/// (x, rate) at the middle of what each interval covered (intervals without
/// requests are zeros), and (x, rate, width) bars across it. Each rate is
/// over the part of its interval that requests were being sent in
/// (`active`, seconds after the attack began).
pub fn rates(s: &Series, interval_ms: u64, active: Option<(f64, f64)>) -> Rates {
    let step = interval_ms.max(1) as f64 / 1000.0;
    let mut rate = Vec::new();
    let mut fails = Vec::new();
    let mut next = 0u32;
    for p in &s.points {
        // Intervals without requests are zeros, not a line across the gap.
        while next < p.index {
            let (a, b) = covered(next, step, active);
            if b - a > 0.001 {
                rate.push(((a + b) / 2.0, 0.0));
            }
            next += 1;
        }
        let (a, b) = covered(p.index, step, active);
        rate.push(((a + b) / 2.0, p.requests as f64 / (b - a)));
        fails.push((a, p.failed() as f64 / (b - a), b - a));
        next = p.index + 1;
    }
    (rate, fails)
}

/// The two charts of one request type's series: requests and failures
/// per second (intervals without a request show 0; the first and last
/// over the part of them the attack ran, `active_ms` after it began), and
/// latency percentiles in ms (drawn where requests were made).
pub fn series_svgs(
    s: &Series,
    interval_ms: u64,
    active_ms: Option<(u64, u64)>,
    duration_secs: f64,
) -> (String, String) {
    let step = interval_ms.max(1) as f64 / 1000.0;
    let active = active_ms.map(|(a, b)| (a as f64 / 1000.0, b as f64 / 1000.0));
    let last = s.points.last().map_or(0, |p| p.index);
    // The axis ends at the last answer where it is known, not at the end
    // of the interval it fell in.
    let x_max = active.map_or_else(
        || duration_secs.max(f64::from(last + 1) * step),
        |(_, to)| to,
    );
    let (rate, fails) = rates(s, interval_ms, active);
    let lat = |f: fn(&crate::load::metrics::Point) -> u64| -> Vec<(f64, f64)> {
        s.points
            .iter()
            .map(|p| {
                let (a, b) = covered(p.index, step, active);
                ((a + b) / 2.0, f(p) as f64 / 1000.0)
            })
            .collect()
    };
    let throughput = chart(
        &format!("{}: requests and failures per second", s.name),
        "req/s",
        x_max,
        &[Line {
            label: "requests/s",
            color: "#3b7dd8",
            points: rate,
        }],
        Some(&Bars {
            label: "failures/s",
            color: "#b3261e",
            bars: fails,
        }),
    );
    let latency = chart(
        &format!("{}: latency percentiles", s.name),
        "ms",
        x_max,
        &[
            Line {
                label: "p50",
                color: "#2e7d32",
                points: lat(|p| p.p50_us),
            },
            Line {
                label: "p90",
                color: "#e8a317",
                points: lat(|p| p.p90_us),
            },
            Line {
                label: "p99",
                color: "#b3261e",
                points: lat(|p| p.p99_us),
            },
        ],
        None,
    );
    (throughput, latency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::metrics::Metrics;

    #[test]
    fn a_series_draws_as_two_self_contained_charts() {
        let m = Metrics::new(std::time::Duration::from_secs(1));
        for i in 0..50u32 {
            m.record("a<b", i * 100, 1_000 + u64::from(i), 200, None);
        }
        m.record("a<b", 4_000, 9_000, 500, Some("a: 500".into()));
        let s = &m.series()[0];
        let (rate, lat) = series_svgs(s, 1000, Some((0, 4_000)), 5.0);
        for svg in [&rate, &lat] {
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
            assert!(!svg.contains("a<b"), "names are escaped: {svg}");
        }
        assert!(
            rate.contains("failures/s") && rate.contains("<polyline"),
            "{rate}"
        );
        assert_eq!(lat.matches("<polyline").count(), 3, "p50, p90, p99: {lat}");
    }

    #[test]
    fn the_last_partial_interval_is_drawn_at_its_rate_not_as_a_collapse() {
        // 1000 answers a second from 0.0 s to 2.09 s: the last interval ran
        // 0.09 s and holds 90 answers.
        let m = Metrics::new(std::time::Duration::from_secs(1));
        for ms in 0..2_090u32 {
            m.record("fresh", ms + 1, 500, 200, None);
        }
        let s = &m.series()[0];
        let span = m.active_span_ms();
        let to_secs = span.map(|(a, b)| (a as f64 / 1000.0, b as f64 / 1000.0));
        let (rate, _) = rates(s, 1000, to_secs);
        assert_eq!(rate.len(), 3, "three intervals: {rate:?}");
        let last = rate[2].1;
        assert!(
            (900.0..1_100.0).contains(&last),
            "the last 0.09 s is drawn at its rate (about 1000/s), not 90/s: {rate:?}"
        );
        assert!(
            rate[2].0 > 2.0 && rate[2].0 < 2.09,
            "and within the time it covered: {rate:?}"
        );
        let (svg, _) = series_svgs(s, 1000, span, 2.09);
        assert!(
            !svg.contains(">3.0 s<") && svg.contains(">2.0 s<"),
            "the axis ends at the last answer (2.09 s), not at 3 s: {svg}"
        );
    }
}
