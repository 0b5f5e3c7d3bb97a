//! The charts of a sweep: response curves (each output against each factor, for grid, oat and
//! Latin hypercube designs), the tornado of a one-at-a-time design, Morris μ* bars and Sobol
//! S1/ST bars, each with its 95% intervals.

use super::{finish, header, rows_frame, Chart, ChartId, ChartKind, PLOT_HEIGHT, ROW, WIDTH};
use crate::report::metric::MetricKind;
use crate::report::svg::{
    clip, fixed, left_margin, text_width, ticks, Font, Frame, Legend, Stroke, Svg, Swatch, ACCENT,
    INK, MUTED,
};
use crate::report::sweep::Head;
use crate::sweep::{Design, Point, Sensitivity};

/// Fill of a bar (Morris μ*, an effect, a first-order index).
const BAR: &str = "#8fb3de";
/// Fill of a total-order index's bar.
const BAR_DARK: &str = "#1f5fa8";
/// Most response charts a page draws; the points table has every number.
const MAX_RESPONSE_CHARTS: usize = 60;

/// The charts of a sweep with head `h`, its points (in order) and its analysis.
pub fn sweep_charts(h: &Head, points: &[Point], sensitivity: &Sensitivity) -> Vec<Chart> {
    let mut charts = Vec::new();
    let design = h.design;
    if matches!(design, "grid" | "oat" | "lhs") && !points.is_empty() {
        'outer: for (k, _) in h.outputs.iter().enumerate() {
            for j in 0..h.factors.len() {
                if charts.len() >= MAX_RESPONSE_CHARTS {
                    break 'outer;
                }
                charts.push(response_chart(h, points, k, j));
            }
        }
    }
    match sensitivity {
        Sensitivity::None => {}
        Sensitivity::Oat { effects } => {
            for (k, o) in h.outputs.iter().enumerate() {
                let mut mine: Vec<_> = effects.iter().filter(|e| e.output == k).collect();
                mine.sort_by(|a, b| {
                    b.effect
                        .abs()
                        .total_cmp(&a.effect.abs())
                        .then(a.factor.cmp(&b.factor))
                });
                let rows: Vec<BarRow> = mine
                    .iter()
                    .map(|e| {
                        let name = &h.factors[e.factor].name;
                        BarRow {
                            label: name.clone(),
                            bars: vec![(e.effect, e.ci, BAR)],
                            text: format!(
                                "{} [{}, {}]",
                                fixed(e.effect, 4),
                                fixed(e.ci[0], 4),
                                fixed(e.ci[1], 4)
                            ),
                            hover: format!(
                                "{name}: lowest to highest value\neffect on {} = {}\npaired 95% interval {} to {} ({})",
                                o.id,
                                fixed(e.effect, 4),
                                fixed(e.ci[0], 4),
                                fixed(e.ci[1], 4),
                                e.method
                            ),
                        }
                    })
                    .collect();
                charts.push(bar_chart(
                    format!("Tornado: {}", o.label),
                    format!(
                        "{}: each parameter lowest to highest, the others at their defaults",
                        o.id
                    ),
                    &rows,
                    vec![
                        (Swatch::Band(BAR, 1.0), "effect (highest − lowest)".into()),
                        (
                            Swatch::Line(Stroke::solid(INK, 1.5)),
                            "paired 95% interval".into(),
                        ),
                    ],
                    &format!("change in {}", short_id(o)),
                    ChartId::new(ChartKind::Tornado, Some(&o.id.to_string())),
                ));
            }
        }
        Sensitivity::Morris { effects } => {
            for (o, per) in h.outputs.iter().zip(effects) {
                let mut order: Vec<usize> = (0..per.len()).collect();
                order.sort_by(|&a, &b| per[b].mu_star.total_cmp(&per[a].mu_star).then(a.cmp(&b)));
                let rows: Vec<BarRow> = order
                    .iter()
                    .map(|&i| {
                        let m = per[i];
                        let name = &h.factors[i].name;
                        BarRow {
                            label: name.clone(),
                            bars: vec![(m.mu_star, m.mu_star_ci, BAR)],
                            text: format!(
                                "{} [{}, {}], σ {}",
                                fixed(m.mu_star, 4),
                                fixed(m.mu_star_ci[0], 4),
                                fixed(m.mu_star_ci[1], 4),
                                fixed(m.sigma, 4)
                            ),
                            hover: format!(
                                "{name} on {}\nμ* = {} (95% bootstrap interval {} to {})\nμ = {}, σ = {}",
                                o.id,
                                fixed(m.mu_star, 4),
                                fixed(m.mu_star_ci[0], 4),
                                fixed(m.mu_star_ci[1], 4),
                                fixed(m.mu, 4),
                                fixed(m.sigma, 4)
                            ),
                        }
                    })
                    .collect();
                charts.push(bar_chart(
                    format!("Morris μ*: {}", o.label),
                    format!(
                        "{}: mean absolute elementary effect per unit of each parameter's range",
                        o.id
                    ),
                    &rows,
                    vec![
                        (Swatch::Band(BAR, 1.0), "μ*".into()),
                        (
                            Swatch::Line(Stroke::solid(INK, 1.5)),
                            "95% bootstrap interval".into(),
                        ),
                    ],
                    "μ* (mean |elementary effect|)",
                    ChartId::new(ChartKind::Morris, Some(&o.id.to_string())),
                ));
            }
        }
        Sensitivity::Sobol { indices } => {
            for (o, per) in h.outputs.iter().zip(indices) {
                let mut order: Vec<usize> = (0..per.len()).collect();
                order.sort_by(|&a, &b| per[b].total.total_cmp(&per[a].total).then(a.cmp(&b)));
                let rows: Vec<BarRow> = order
                    .iter()
                    .map(|&i| {
                        let s = per[i];
                        let name = &h.factors[i].name;
                        BarRow {
                            label: name.clone(),
                            bars: vec![(s.first, s.first_ci, BAR), (s.total, s.total_ci, BAR_DARK)],
                            text: format!("S1 {}, ST {}", fixed(s.first, 3), fixed(s.total, 3)),
                            hover: format!(
                                "{name} on {}\nS1 = {} (95% bootstrap interval {} to {})\nST = {} (95% bootstrap interval {} to {})",
                                o.id,
                                fixed(s.first, 4),
                                fixed(s.first_ci[0], 4),
                                fixed(s.first_ci[1], 4),
                                fixed(s.total, 4),
                                fixed(s.total_ci[0], 4),
                                fixed(s.total_ci[1], 4)
                            ),
                        }
                    })
                    .collect();
                charts.push(bar_chart(
                    format!("Sobol indices: {}", o.label),
                    format!("{}: share of its variance, largest total order first", o.id),
                    &rows,
                    vec![
                        (Swatch::Band(BAR, 1.0), "first order S1".into()),
                        (Swatch::Band(BAR_DARK, 1.0), "total order ST".into()),
                        (
                            Swatch::Line(Stroke::solid(INK, 1.5)),
                            "95% bootstrap interval".into(),
                        ),
                    ],
                    "index",
                    ChartId::new(ChartKind::Sobol, Some(&o.id.to_string())),
                ));
            }
        }
    }
    charts
}

/// An extent of rounding error alone (a spread below 1e-9 of its size, or of 1) as one value,
/// so that its axis is not labelled in twelve decimals.
fn flat(lo: f64, hi: f64) -> (f64, f64) {
    if hi - lo < 1e-9 * lo.abs().max(hi.abs()).max(1.0) {
        let mid = if lo.abs().max(hi.abs()) < 1e-9 {
            0.0
        } else {
            (lo + hi) / 2.0
        };
        (mid, mid)
    } else {
        (lo, hi)
    }
}

/// An output as an axis names it: `P(name)` for an outcome, else its id.
fn short_id(o: &crate::sweep::Output) -> String {
    if o.id.kind == MetricKind::Outcome {
        format!("P({})", o.id.name)
    } else {
        o.id.to_string()
    }
}

/// The points a response curve of factor `j` shows: for a one-at-a-time design, the defaults
/// and the two points that move `j`; else every point.
fn curve_points<'a>(h: &Head, points: &'a [Point], j: usize) -> Vec<&'a Point> {
    if h.design == Design::Oat.name() {
        let base = &points[0].values;
        points
            .iter()
            .filter(|p| {
                p.values
                    .iter()
                    .zip(base)
                    .enumerate()
                    .all(|(i, (a, b))| i == j || a == b)
            })
            .collect()
    } else {
        points.iter().collect()
    }
}

/// Output `k`'s point estimates against factor `j`'s value, with their 95% intervals.
fn response_chart(h: &Head, points: &[Point], k: usize, j: usize) -> Chart {
    let o = &h.outputs[k];
    let f = &h.factors[j];
    let outcome = o.id.kind == MetricKind::Outcome;
    let scale = if outcome { 100.0 } else { 1.0 };
    let shown = curve_points(h, points, j);
    let (ylo, yhi) = shown
        .iter()
        .map(|p| &p.estimates[k])
        .flat_map(|e| [e.value, e.ci[0], e.ci[1]])
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(scale * v), hi.max(scale * v))
        });
    let (ylo, yhi) = if ylo <= yhi { (ylo, yhi) } else { (0.0, 1.0) };
    let (ylo, yhi) = flat(ylo, yhi);
    let (xlo, xhi) = f
        .values
        .iter()
        .chain(shown.iter().map(|p| &p.values[j]))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let mut yt = ticks(ylo, yhi, 5, false);
    if outcome {
        yt.unit = "%";
    }
    let xt = ticks(xlo, xhi, 6, false);
    let left = left_margin(&yt);
    let title = format!("{} by {}", o.label, f.name);
    let subtitle = if h.design == "oat" {
        format!(
            "{}: {}, the others at their defaults; 95% intervals",
            o.id, f.name
        )
    } else {
        format!(
            "{}: every {} point, the other parameters varying too; 95% intervals",
            o.id, h.design
        )
    };
    let mut svg = Svg::new(WIDTH, &title);
    let legend = Legend::new(
        vec![
            (Swatch::Dot(ACCENT, true), "point estimate".into()),
            (
                Swatch::Line(Stroke::solid(ACCENT, 1.0)),
                if outcome {
                    "95% Wilson interval".into()
                } else {
                    "95% Student t interval".into()
                },
            ),
        ],
        WIDTH - left,
    );
    let top = header(&mut svg, &clip(&title, 80), &subtitle, &legend, left);
    let frame = Frame::new(left, top, (WIDTH - left - 20.0, PLOT_HEIGHT), xt, yt);
    frame.axes(&mut svg, &f.name, &clip(&short_id(o), 40));
    let dense = shown.len() > 120;
    let (r, cap) = if dense { (2.5, 0.0) } else { (3.5, 3.0) };
    let mut sorted: Vec<&Point> = shown.clone();
    sorted.sort_by(|a, b| {
        a.values[j]
            .total_cmp(&b.values[j])
            .then(a.index.cmp(&b.index))
    });
    if h.design == "oat" {
        let line: Vec<(f64, f64)> = sorted
            .iter()
            .map(|p| frame.at(p.values[j], scale * p.estimates[k].value))
            .collect();
        svg.polyline(&line, Stroke::solid(MUTED, 1.0).dashed("4 3"), None);
    }
    let value = |v: f64| {
        if outcome {
            format!("{}%", fixed(100.0 * v, 1))
        } else {
            fixed(v, 4)
        }
    };
    for p in &sorted {
        let e = &p.estimates[k];
        let x = frame.x.map(p.values[j]);
        let (y0, y1) = (frame.y.map(scale * e.ci[0]), frame.y.map(scale * e.ci[1]));
        let stroke = Stroke::solid(ACCENT, 1.0);
        svg.line((x, y0), (x, y1), stroke);
        if cap > 0.0 {
            svg.line((x - cap, y0), (x + cap, y0), stroke);
            svg.line((x - cap, y1), (x + cap, y1), stroke);
        }
        let others: Vec<String> = h
            .factors
            .iter()
            .zip(&p.values)
            .enumerate()
            .filter(|(i, _)| *i != j)
            .map(|(_, (g, v))| format!("{} = {}", g.name, fixed(*v, 4)))
            .collect();
        svg.circle(
            frame.at(p.values[j], scale * e.value),
            r,
            ACCENT,
            Stroke::solid("#ffffff", 1.0),
            Some(&format!(
                "point {}: {} = {}\n{} = {} [{}, {}]{}",
                p.index,
                f.name,
                fixed(p.values[j], 4),
                o.id,
                value(e.value),
                value(e.ci[0]),
                value(e.ci[1]),
                if others.is_empty() {
                    String::new()
                } else {
                    format!("\n{}", others.join(", "))
                }
            )),
        );
    }
    let subject = format!("{}:{}", o.id, f.name);
    finish(
        svg,
        frame.bottom() + 46.0,
        ChartKind::Response,
        Some(&subject),
        title,
    )
}

/// One row of a bar chart: its label, its bars (value, interval, fill), the numbers printed at
/// its right and its hover text.
struct BarRow {
    label: String,
    bars: Vec<(f64, [f64; 2], &'static str)>,
    text: String,
    hover: String,
}

/// Rows of bars from zero, each with its interval, a label at the left and numbers at the right.
fn bar_chart(
    title: String,
    subtitle: String,
    rows: &[BarRow],
    legend: Vec<(Swatch<'static>, String)>,
    x_label: &str,
    id: ChartId,
) -> Chart {
    let left = 24.0
        + rows
            .iter()
            .map(|r| text_width(&clip(&r.label, 28), 12.0))
            .fold(60.0, f64::max)
            .min(240.0);
    let right = 20.0
        + rows
            .iter()
            .map(|r| text_width(&r.text, 11.0))
            .fold(100.0, f64::max)
            .min(260.0);
    let (lo, hi) = rows
        .iter()
        .flat_map(|r| r.bars.iter())
        .flat_map(|&(v, ci, _)| [v, ci[0], ci[1]])
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = flat(lo, hi);
    let xt = ticks(lo, hi, 6, false);
    let per_row: usize = rows.iter().map(|r| r.bars.len().max(1)).max().unwrap_or(1);
    let legend = Legend::new(legend, WIDTH - 24.0);
    let mut svg = Svg::new(WIDTH, &title);
    let top = header(&mut svg, &clip(&title, 80), &subtitle, &legend, 12.0);
    let f = rows_frame(
        left,
        top + 4.0,
        (WIDTH - left - right, rows.len() * per_row),
        xt,
    );
    f.x_axis(&mut svg, x_label);
    let zero = f.x.map(0.0);
    svg.line((zero, f.top), (zero, f.bottom()), Stroke::solid(INK, 1.0));
    let band = ROW * per_row as f64;
    let thick = if per_row > 1 { 9.0 } else { 12.0 };
    for (i, r) in rows.iter().enumerate() {
        let y_top = f.top + band * i as f64;
        let mid = y_top + band / 2.0;
        svg.text(
            f.left - 10.0,
            mid + 4.0,
            &clip(&r.label, 28),
            Font::plain(12.0).at("end"),
        );
        for (b, &(v, ci, fill)) in r.bars.iter().enumerate() {
            let y = y_top + ROW * (b as f64 + 0.5);
            let xv = f.x.map(v);
            svg.rect(
                (zero.min(xv), y - thick / 2.0),
                ((xv - zero).abs(), thick),
                fill,
                1.0,
            );
            let (x0, x1) = (f.x.map(ci[0]), f.x.map(ci[1]));
            let stroke = Stroke::solid(INK, 1.5);
            svg.line((x0, y), (x1, y), stroke);
            svg.line((x0, y - 4.0), (x0, y + 4.0), stroke);
            svg.line((x1, y - 4.0), (x1, y + 4.0), stroke);
        }
        svg.text(f.right() + 10.0, mid + 4.0, &r.text, Font::plain(11.0));
        svg.hit((0.0, y_top), (WIDTH, band), &r.hover);
    }
    let height = f.bottom() + 46.0;
    let ChartId { kind, subject } = id;
    finish(svg, height, kind, subject.as_deref(), title)
}
