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

/// A chart of `lines` (and `bars`, each that many seconds wide, drawn
/// first) over `x_max` seconds.
fn chart(
    title: &str,
    unit: &str,
    x_max: f64,
    lines: &[Line<'_>],
    bars: Option<(&Line<'_>, f64)>,
) -> String {
    let y_max = nice(
        lines
            .iter()
            .chain(bars.map(|b| b.0))
            .flat_map(|l| l.points.iter().map(|p| p.1))
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
    if let Some((b, bar_secs)) = bars {
        // Each bar spans its interval (`bar_secs` wide).
        let width = (bar_secs / x_max * pw).max(1.0);
        for (t, v) in b.points.iter().filter(|p| p.1 > 0.0) {
            let _ = write!(
                svg,
                r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}" opacity="0.8"/>"##,
                x(*t),
                y(*v),
                width,
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
    for (i, l) in lines.iter().chain(bars.map(|b| b.0)).enumerate() {
        let ly = TOP + 12.0 + 15.0 * i as f64;
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="12" height="4" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#1d2330">{}</text>"##,
            W - RIGHT + 10.0,
            ly - 4.0,
            l.color,
            W - RIGHT + 26.0,
            ly,
            esc(l.label)
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

/// The two charts of one request type's series: requests and failures
/// per second (intervals without a request show 0), and latency
/// percentiles in ms (drawn where requests were made).
pub fn series_svgs(s: &Series, interval_ms: u64, duration_secs: f64) -> (String, String) {
    let step = interval_ms.max(1) as f64 / 1000.0;
    let last = s.points.last().map_or(0, |p| p.index);
    let x_max = duration_secs.max(f64::from(last + 1) * step);
    let mut rate = Vec::new();
    let mut fails = Vec::new();
    let mut next = 0u32;
    for p in &s.points {
        // Intervals without requests are zeros, not a line across the gap.
        // Lines through the middle of each interval, bars across it.
        while next < p.index {
            rate.push(((f64::from(next) + 0.5) * step, 0.0));
            next += 1;
        }
        rate.push(((f64::from(p.index) + 0.5) * step, p.requests as f64 / step));
        fails.push((f64::from(p.index) * step, p.failed() as f64 / step));
        next = p.index + 1;
    }
    let lat = |f: fn(&crate::load::metrics::Point) -> u64| -> Vec<(f64, f64)> {
        s.points
            .iter()
            .map(|p| ((f64::from(p.index) + 0.5) * step, f(p) as f64 / 1000.0))
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
        Some((
            &Line {
                label: "failures/s",
                color: "#b3261e",
                points: fails,
            },
            step,
        )),
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
        let (rate, lat) = series_svgs(s, 1000, 5.0);
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
}
