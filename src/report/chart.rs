//! Charts of reports, as SVG: the trajectories of a run (with its action markers, drawn by
//! `chart/actions.rs`), the fan charts, outcome probabilities and cumulative outcome curves of
//! an ensemble, the forest plots and overlaid fans of a comparison, the relation graph, the
//! response curves, tornado, Morris and Sobol bars of a sweep (in `chart/sweep.rs`), and the
//! waterfalls and effect forests of an explanation (in `chart/explain.rs`). Each chart has an
//! id ([`ChartId`], e.g. `fan:tension_ltu_blr`) by which `--plot` picks it; the HTML exporter
//! shows the same charts. Not the drawing primitives (`svg.rs`) and no I/O.
//!
//! A new page adds its chart kinds to [`ChartKind`] and a function that lists its charts beside
//! [`run_charts`], [`ensemble_charts`], [`comparison_charts`], [`sweep_charts`] and
//! [`explanation_charts`].

use super::compare::{Comparison, Difference};
use super::ensemble::{EnsembleReport, OutcomeStats, SeriesBands};
use super::error::ReportError;
use super::metric::{MetricId, MetricKind};
use super::number::p_value;
use super::relation_graph::RelationGraph;
use super::run::{RunReport, Trajectory};
use super::svg::{
    clip, colour, dash, esc, fixed, left_margin, pct, text_width, ticks, value, Font, Frame,
    Legend, Stroke, Svg, Swatch, Ticks, ACCENT, GRID, INK, LEGEND_ROW, MUTED,
};
use std::fmt;
use std::str::FromStr;

mod actions;
mod explain;
mod sweep;
pub(crate) use explain::window as account_window;
pub use explain::{explanation_charts, waterfall_subject};
pub use sweep::sweep_charts;

/// Width of every chart but the relation graph.
pub(crate) const WIDTH: f64 = 640.0;
/// Height of a time-series plotting area.
pub(crate) const PLOT_HEIGHT: f64 = 210.0;
/// Most hover columns of a time chart: a longer run is thinned to every k-th step.
const HOVER_POINTS: usize = 200;

/// What a chart shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ChartKind {
    /// One run: a series over time (`trajectory:<series>`).
    Trajectory,
    /// An ensemble: a series' median with its 50 % and 90 % bands (`fan:<series>`); in a
    /// comparison, every variant's overlaid.
    Fan,
    /// An ensemble: each outcome's probability with its Wilson interval (`outcomes`).
    Outcomes,
    /// An ensemble: the share of runs that have reached each outcome by each step (`reached`).
    Reached,
    /// A comparison: each variant's difference from the baseline with its interval
    /// (`forest:outcomes`, or `forest:<metric id>`).
    Forest,
    /// The relation graph (`graph`).
    Graph,
    /// A sweep: an output's point estimates against one factor's value, with their intervals
    /// (`response:<output id>:<factor>`).
    Response,
    /// A one-at-a-time sweep: each factor's effect on an output, largest first
    /// (`tornado:<output id>`).
    Tornado,
    /// A Morris sweep: each factor's μ* on an output with its bootstrap interval
    /// (`morris:<output id>`).
    Morris,
    /// A Sobol sweep: each factor's first- and total-order indices on an output
    /// (`sobol:<output id>`).
    Sobol,
    /// An explanation: a place's start value, each source's contribution as a floating bar,
    /// the range clamp and the end value (`waterfall:<place>`, the place without spaces, e.g.
    /// `waterfall:tension(LTU,BLR)`; see [`waterfall_subject`]).
    Waterfall,
}

impl ChartKind {
    /// Every kind, in the order the help lists them.
    pub const ALL: [ChartKind; 11] = [
        ChartKind::Trajectory,
        ChartKind::Fan,
        ChartKind::Outcomes,
        ChartKind::Reached,
        ChartKind::Forest,
        ChartKind::Graph,
        ChartKind::Response,
        ChartKind::Tornado,
        ChartKind::Morris,
        ChartKind::Sobol,
        ChartKind::Waterfall,
    ];

    /// The kind's name in a chart id.
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::Trajectory => "trajectory",
            ChartKind::Fan => "fan",
            ChartKind::Outcomes => "outcomes",
            ChartKind::Reached => "reached",
            ChartKind::Forest => "forest",
            ChartKind::Graph => "graph",
            ChartKind::Response => "response",
            ChartKind::Tornado => "tornado",
            ChartKind::Morris => "morris",
            ChartKind::Sobol => "sobol",
            ChartKind::Waterfall => "waterfall",
        }
    }

    /// Whether ids of this kind name a subject (`fan:<series>`).
    pub fn has_subject(self) -> bool {
        matches!(
            self,
            ChartKind::Trajectory
                | ChartKind::Fan
                | ChartKind::Forest
                | ChartKind::Response
                | ChartKind::Tornado
                | ChartKind::Morris
                | ChartKind::Sobol
                | ChartKind::Waterfall
        )
    }
}

/// Which chart: a kind, and for some kinds the series or metric it is of. Written
/// `kind` or `kind:subject`, e.g. `outcomes`, `fan:tension_ltu_blr`,
/// `forest:final.tension_ltu_blr`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChartId {
    /// What the chart shows.
    pub kind: ChartKind,
    /// The series or metric, for kinds that have one.
    pub subject: Option<String>,
}

impl ChartId {
    pub(crate) fn new(kind: ChartKind, subject: Option<&str>) -> ChartId {
        ChartId {
            kind,
            subject: subject.map(str::to_string),
        }
    }
}

impl fmt::Display for ChartId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.subject {
            Some(s) => write!(f, "{}:{s}", self.kind.name()),
            None => f.write_str(self.kind.name()),
        }
    }
}

impl FromStr for ChartId {
    type Err = String;

    /// Parses `kind` or `kind:subject`; fails on an unknown kind, or a subject missing or given
    /// where the kind has none.
    fn from_str(s: &str) -> Result<ChartId, String> {
        let (kind, subject) = match s.split_once(':') {
            Some((k, rest)) => (k, Some(rest)),
            None => (s, None),
        };
        let names: Vec<&str> = ChartKind::ALL.iter().map(|k| k.name()).collect();
        let Some(kind) = ChartKind::ALL.into_iter().find(|k| k.name() == kind) else {
            let hint = crate::diag::did_you_mean(kind, names.iter().copied())
                .map_or(String::new(), |b| format!("; did you mean `{b}`?"));
            return Err(format!(
                "unknown chart `{kind}`: expected {}{hint}",
                names.join(", ")
            ));
        };
        match (kind.has_subject(), subject) {
            (true, Some(sub)) if !sub.is_empty() => Ok(ChartId::new(kind, Some(sub))),
            (true, _) => Err(format!(
                "chart `{}` needs a subject: {}:<{}>",
                kind.name(),
                kind.name(),
                match kind {
                    ChartKind::Forest => "metric id, or outcomes",
                    ChartKind::Response => "output id>:<factor",
                    ChartKind::Tornado | ChartKind::Morris | ChartKind::Sobol => "output id",
                    ChartKind::Waterfall => "place, e.g. tension(LTU,BLR)",
                    _ => "series",
                }
            )),
            (false, None) => Ok(ChartId::new(kind, None)),
            (false, Some(_)) => Err(format!("chart `{}` takes no subject", kind.name())),
        }
    }
}

/// One chart: its id, its title, and its drawing.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// Which chart it is.
    pub id: ChartId,
    /// Its title, as drawn at its top.
    pub title: String,
    svg: String,
}

impl Chart {
    /// The chart as an `<svg>` element, for an HTML page.
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// The chart as a standalone SVG file: the element with an XML declaration.
    pub fn to_svg_file(&self) -> String {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n", self.svg)
    }
}

/// The chart `id` of `charts`.
///
/// # Errors
///
/// [`ReportError::Chart`] when there is none, listing the charts there are (with a
/// did-you-mean).
pub fn find<'a>(charts: &'a [Chart], id: &ChartId) -> Result<&'a Chart, ReportError> {
    if let Some(c) = charts.iter().find(|c| c.id == *id) {
        return Ok(c);
    }
    let ids: Vec<String> = charts.iter().map(|c| c.id.to_string()).collect();
    let wanted = id.to_string();
    let hint = crate::diag::did_you_mean(&wanted, ids.iter().map(String::as_str))
        .map_or(String::new(), |b| format!("; did you mean `{b}`?"));
    let why = if id.kind == ChartKind::Graph {
        " (a relation graph is drawn for at most 300 actors and 3,000 relations)"
    } else {
        ""
    };
    Err(ReportError::Chart(format!(
        "no chart `{wanted}` in this report{why}{hint}; it has: {}",
        if ids.is_empty() {
            "none".to_string()
        } else {
            ids.join(", ")
        }
    )))
}

/// The charts of one run: each series' trajectory, then the relation graph.
pub fn run_charts(
    report: &RunReport,
    trajectory: &Trajectory,
    graph: Option<&RelationGraph>,
) -> Vec<Chart> {
    let unit = &report.scenario.time_unit;
    let strip = actions::Strip::new(&trajectory.actions, unit);
    let mut charts: Vec<Chart> = trajectory
        .names
        .iter()
        .zip(trajectory.values)
        .enumerate()
        .map(|(i, (name, values))| {
            let expression = report.series.get(i).map_or(*name, |s| &s.expression);
            trajectory_chart(name, expression, values, unit, &strip)
        })
        .collect();
    charts.extend(graph.and_then(graph_chart));
    charts
}

/// The charts of an ensemble: outcome probabilities, when outcomes were reached over time,
/// each series' fan chart, then the relation graph.
pub fn ensemble_charts(report: &EnsembleReport, graph: Option<&RelationGraph>) -> Vec<Chart> {
    let unit = &report.scenario.time_unit;
    let mut charts = Vec::new();
    charts.extend(outcomes_chart(&report.outcomes, report.runs));
    charts.extend(reached_chart(
        &report.outcomes,
        &report.bands.steps,
        unit,
        report.runs,
    ));
    let b = &report.bands;
    let about = if b.sampled_runs < report.runs {
        format!(
            "across {} runs (quantiles from {} of them)",
            report.runs, b.sampled_runs
        )
    } else {
        format!("across {} runs", report.runs)
    };
    for s in &b.series {
        charts.push(fan_chart(s, &b.steps, unit, &about));
    }
    charts.extend(graph.and_then(graph_chart));
    charts
}

/// The charts of a comparison: the forest plot of the outcomes, one of each final value (of
/// every metric with `all`), the variants' fan charts overlaid per series, then the relation
/// graph. `reports` are the ensemble reports compared, in the comparison's order (the baseline's
/// first); without them there are no fans.
pub fn comparison_charts(
    comparison: &Comparison,
    reports: &[EnsembleReport],
    graph: Option<&RelationGraph>,
    all: bool,
) -> Vec<Chart> {
    let mut charts = Vec::new();
    charts.extend(outcome_forest(comparison));
    let mut metrics: Vec<&MetricId> = Vec::new();
    for v in &comparison.variants {
        for d in &v.metrics {
            if (all || d.id.kind == MetricKind::Final) && !metrics.contains(&&d.id) {
                metrics.push(&d.id);
            }
        }
    }
    for id in metrics {
        charts.extend(metric_forest(comparison, id));
    }
    if let Some(base) = reports.first() {
        let labels: Vec<&str> = std::iter::once(comparison.baseline.as_str())
            .chain(comparison.variants.iter().map(|v| v.name.as_str()))
            .collect();
        for s in &base.bands.series {
            let entries: Vec<FanEntry> = reports
                .iter()
                .zip(&labels)
                .filter_map(|(r, label)| {
                    let sb = r.bands.series.iter().find(|x| x.name == s.name)?;
                    Some(FanEntry {
                        label,
                        bands: sb,
                        steps: &r.bands.steps,
                    })
                })
                .collect();
            charts.push(overlay_chart(s, &entries, &base.scenario.time_unit));
        }
    }
    charts.extend(graph.and_then(graph_chart));
    charts
}

/// `n` and a noun, in the plural unless `n` is 1: `1 actor`, `8 relations`.
pub(crate) fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {}", plural(noun))
    }
}

/// A time unit in the plural, for an axis: `week` → `weeks`.
pub(crate) fn plural(unit: &str) -> String {
    if unit.ends_with('s') {
        unit.to_string()
    } else {
        format!("{unit}s")
    }
}

/// The lines of `text` wrapped at about `chars` characters.
fn wrap(text: &str, chars: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > chars {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The heading, a muted subtitle and a legend of a chart, and the top of what comes below.
pub(crate) fn header(
    svg: &mut Svg,
    title: &str,
    subtitle: &str,
    legend: &Legend,
    left: f64,
) -> f64 {
    svg.heading(&clip(title, 80));
    svg.text(
        12.0,
        37.0,
        &clip(subtitle, 100),
        Font::plain(11.0).fill(MUTED),
    );
    if legend.height() > 0.0 {
        legend.draw(svg, left, 56.0);
        56.0 + legend.height() - LEGEND_ROW / 2.0 + 14.0
    } else {
        54.0
    }
}

/// A time axis over `0..=last`, its ticks inside it.
fn time_ticks(last: f64) -> Ticks {
    let mut t = ticks(0.0, last.max(1.0), 8, true);
    t.values.retain(|&v| v <= last.max(1.0));
    t.lo = 0.0;
    t.hi = last.max(1.0);
    t
}

/// The extent of every finite value in `columns`, or `(0, 1)` when there is none.
fn extent<'a>(columns: impl IntoIterator<Item = &'a [f64]>) -> (f64, f64) {
    let (lo, hi) = columns
        .into_iter()
        .flatten()
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    if lo <= hi {
        (lo, hi)
    } else {
        (0.0, 1.0)
    }
}

/// The indices of at most [`HOVER_POINTS`] of `len` points: every k-th, and the last.
fn thinned(len: usize) -> Vec<usize> {
    let stride = len.div_ceil(HOVER_POINTS).max(1);
    let mut idx: Vec<usize> = (0..len).step_by(stride).collect();
    if len > 0 && idx.last() != Some(&(len - 1)) {
        idx.push(len - 1);
    }
    idx
}

/// A frame for a time chart below `top`, whose vertical axis spans `(lo, hi)`.
fn time_frame(top: f64, last: f64, (lo, hi): (f64, f64)) -> Frame {
    let yt = ticks(lo, hi, 5, false);
    let left = left_margin(&yt);
    let width = WIDTH - left - 20.0;
    Frame::new(left, top, (width, PLOT_HEIGHT), time_ticks(last), yt)
}

/// One run's series over time, with the steps each action was taken in marked under the time
/// axis (when the run kept its firing log).
fn trajectory_chart(
    name: &str,
    expression: &str,
    values: &[f64],
    unit: &str,
    strip: &actions::Strip,
) -> Chart {
    let title = expression.to_string();
    let last = values.len().saturating_sub(1) as f64;
    let frame = |top: f64| {
        let mut f = time_frame(top, last, extent([values]));
        if strip.left_margin() > f.left {
            let (xt, yt) = (f.xt.clone(), f.yt.clone());
            let left = strip.left_margin();
            f = Frame::new(left, top, (WIDTH - left - 20.0, PLOT_HEIGHT), xt, yt);
        }
        f
    };
    let probe = frame(0.0);
    let mut svg = Svg::new(WIDTH, &format!("{title}: one run"));
    let legend = Legend::new(vec![], WIDTH);
    let subtitle = if strip.is_empty() {
        format!("series {name}, one run, by {unit}")
    } else {
        format!(
            "series {name}, one run, by {unit}; under the axis, the {} each action was taken in",
            plural(unit)
        )
    };
    let top = header(&mut svg, &title, &subtitle, &legend, probe.left);
    let f = frame(top);
    f.axes_below(
        &mut svg,
        &plural(unit),
        &clip(expression, 40),
        strip.height(),
    );
    strip.draw(&mut svg, &f, unit, last as u32);
    let points: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .map(|(t, &v)| f.at(t as f64, v))
        .collect();
    svg.polyline(&points, Stroke::solid(ACCENT, 2.0), None);
    let idx = thinned(values.len());
    let xs: Vec<f64> = idx.iter().map(|&i| i as f64).collect();
    let titles: Vec<String> = idx
        .iter()
        .map(|&i| format!("{unit} {i}\n{name} = {}", value(values[i])))
        .collect();
    f.hover_columns(&mut svg, &xs, &titles);
    finish(
        svg,
        f.bottom() + strip.height() + 46.0,
        ChartKind::Trajectory,
        Some(name),
        title,
    )
}

/// Finishes the drawing at `height` and makes the chart.
pub(crate) fn finish(
    svg: Svg,
    height: f64,
    kind: ChartKind,
    subject: Option<&str>,
    title: String,
) -> Chart {
    Chart {
        id: ChartId::new(kind, subject),
        title,
        svg: svg.finish(height),
    }
}

/// A fan chart of one series.
fn fan_chart(s: &SeriesBands, steps: &[u32], unit: &str, about: &str) -> Chart {
    let title = s.expression.clone();
    let range = extent([s.q05.as_slice(), s.q95.as_slice(), s.mean.as_slice()]);
    let last = steps.last().copied().unwrap_or(0) as f64;
    let probe = time_frame(0.0, last, range);
    let legend = Legend::new(
        vec![
            (Swatch::Line(Stroke::solid(ACCENT, 2.0)), "median".into()),
            (Swatch::Band(ACCENT, 0.38), "50% band (25–75%)".into()),
            (Swatch::Band(ACCENT, 0.16), "90% band (5–95%)".into()),
            (
                Swatch::Line(Stroke::solid(INK, 1.0).dashed("4 3")),
                "mean".into(),
            ),
        ],
        WIDTH - probe.left - 20.0,
    );
    let mut svg = Svg::new(WIDTH, &format!("{title}: fan chart {about}"));
    let top = header(
        &mut svg,
        &title,
        &format!("series {}, median and bands {about}, by {unit}", s.name),
        &legend,
        probe.left,
    );
    let f = time_frame(top, last, range);
    f.axes(&mut svg, &plural(unit), &clip(&s.expression, 40));
    let n = [&s.q05, &s.q25, &s.q50, &s.q75, &s.q95, &s.mean]
        .iter()
        .map(|c| c.len())
        .fold(steps.len(), usize::min);
    let at = |col: &[f64], i: usize| f.at(f64::from(steps[i]), col[i]);
    band(
        &mut svg,
        (0..n).map(|i| (at(&s.q95, i), at(&s.q05, i))),
        ACCENT,
        0.16,
    );
    band(
        &mut svg,
        (0..n).map(|i| (at(&s.q75, i), at(&s.q25, i))),
        ACCENT,
        0.38,
    );
    let mean: Vec<(f64, f64)> = (0..n).map(|i| at(&s.mean, i)).collect();
    svg.polyline(&mean, Stroke::solid(INK, 1.0).dashed("4 3"), None);
    let median: Vec<(f64, f64)> = (0..n).map(|i| at(&s.q50, i)).collect();
    svg.polyline(&median, Stroke::solid(ACCENT, 2.0), None);
    let idx = thinned(n);
    let xs: Vec<f64> = idx.iter().map(|&i| f64::from(steps[i])).collect();
    let titles: Vec<String> = idx
        .iter()
        .map(|&i| {
            format!(
                "{unit} {}\n{}\nmean {}",
                steps[i],
                quantiles_at(s, i).replace(", ", "\n"),
                value(s.mean[i])
            )
        })
        .collect();
    f.hover_columns(&mut svg, &xs, &titles);
    finish(svg, f.bottom() + 46.0, ChartKind::Fan, Some(&s.name), title)
}

/// A series' median and bands at time point `i`, for hover texts: `median m, 50% a – b, 90% c – d`
/// (`i` must be a time point of every quantile).
fn quantiles_at(b: &SeriesBands, i: usize) -> String {
    format!(
        "median {}, 50% {} – {}, 90% {} – {}",
        value(b.q50[i]),
        value(b.q25[i]),
        value(b.q75[i]),
        value(b.q05[i]),
        value(b.q95[i])
    )
}

/// A band between an upper and a lower line, given as pairs of points.
fn band(
    svg: &mut Svg,
    pairs: impl Iterator<Item = ((f64, f64), (f64, f64))>,
    fill: &str,
    opacity: f64,
) {
    let (upper, lower): (Vec<_>, Vec<_>) = pairs.unzip();
    let outline: Vec<(f64, f64)> = upper.into_iter().chain(lower.into_iter().rev()).collect();
    svg.polygon(&outline, fill, opacity);
}

/// One variant's bands in an overlaid fan chart.
struct FanEntry<'a> {
    label: &'a str,
    bands: &'a SeriesBands,
    steps: &'a [u32],
}

/// The colour and dash of entry `i` of an overlay: the baseline in ink, the variants in the
/// palette.
fn entry_style(i: usize) -> (&'static str, &'static str) {
    if i == 0 {
        (INK, "")
    } else {
        (colour(i - 1), dash(i - 1))
    }
}

/// Every variant's median and 50 % band of one series, overlaid, with the 90 % bands dotted.
fn overlay_chart(s: &SeriesBands, entries: &[FanEntry], unit: &str) -> Chart {
    let title = s.expression.clone();
    let range = extent(
        entries
            .iter()
            .flat_map(|e| [e.bands.q05.as_slice(), e.bands.q95.as_slice()]),
    );
    let last = entries
        .iter()
        .filter_map(|e| e.steps.last())
        .max()
        .copied()
        .unwrap_or(0) as f64;
    let probe = time_frame(0.0, last, range);
    let items = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let (c, d) = entry_style(i);
            (
                Swatch::Line(Stroke::solid(c, 2.0).dashed(d)),
                clip(e.label, 40),
            )
        })
        .collect();
    let legend = Legend::new(items, WIDTH - probe.left - 20.0);
    let mut svg = Svg::new(WIDTH, &format!("{title}: variants' fan charts"));
    let top = header(
        &mut svg,
        &title,
        &format!(
            "series {}: medians (lines), 50% bands (shaded), 90% bands (dotted), by {unit}",
            s.name
        ),
        &legend,
        probe.left,
    );
    let f = time_frame(top, last, range);
    f.axes(&mut svg, &plural(unit), &clip(&s.expression, 40));
    for (i, e) in entries.iter().enumerate() {
        let (c, d) = entry_style(i);
        let b = e.bands;
        let n = [&b.q05, &b.q25, &b.q50, &b.q75, &b.q95]
            .iter()
            .map(|col| col.len())
            .fold(e.steps.len(), usize::min);
        let at = |col: &[f64], i: usize| f.at(f64::from(e.steps[i]), col[i]);
        band(
            &mut svg,
            (0..n).map(|i| (at(&b.q75, i), at(&b.q25, i))),
            c,
            0.14,
        );
        for col in [&b.q05, &b.q95] {
            let line: Vec<(f64, f64)> = (0..n).map(|i| at(col, i)).collect();
            svg.polyline(&line, Stroke::solid(c, 1.0).dashed("1 3"), None);
        }
        let median: Vec<(f64, f64)> = (0..n).map(|i| at(&b.q50, i)).collect();
        svg.polyline(&median, Stroke::solid(c, 2.0).dashed(d), Some(e.label));
    }
    if let Some(first) = entries.first() {
        let n = first.steps.len();
        let idx = thinned(n);
        let xs: Vec<f64> = idx.iter().map(|&i| f64::from(first.steps[i])).collect();
        let titles: Vec<String> = idx
            .iter()
            .map(|&i| {
                let mut t = format!("{unit} {}", first.steps[i]);
                for e in entries {
                    let b = e.bands;
                    let cols = [&b.q05, &b.q25, &b.q50, &b.q75, &b.q95];
                    if e.steps.get(i) == first.steps.get(i) && cols.iter().all(|c| i < c.len()) {
                        t.push_str(&format!("\n{}: {}", e.label, quantiles_at(b, i)));
                    }
                }
                t
            })
            .collect();
        f.hover_columns(&mut svg, &xs, &titles);
    }
    finish(svg, f.bottom() + 46.0, ChartKind::Fan, Some(&s.name), title)
}

/// Row height of the outcome and forest charts.
pub(crate) const ROW: f64 = 22.0;

/// The frame of a chart of `rows` rows, `width` wide, over ticks `xt`: rows have no vertical
/// scale.
pub(crate) fn rows_frame(left: f64, top: f64, (width, rows): (f64, usize), xt: Ticks) -> Frame {
    let yt = Ticks {
        lo: 0.0,
        hi: 1.0,
        values: vec![],
        decimals: 0,
        unit: "",
    };
    Frame::new(left, top, (width, ROW * rows as f64), xt, yt)
}

/// An interval from `x0` to `x1` at height `y`, with end caps.
pub(crate) fn interval(svg: &mut Svg, (x0, x1): (f64, f64), y: f64) {
    let stroke = Stroke::solid(ACCENT, 2.0);
    svg.line((x0, y), (x1, y), stroke);
    svg.line((x0, y - 5.0), (x0, y + 5.0), stroke);
    svg.line((x1, y - 5.0), (x1, y + 5.0), stroke);
}

/// Ticks in percent from 0 to 100, or to a round number above the largest of `shares` when all
/// are below a half, so that small probabilities and their intervals can be read.
fn percent_ticks(shares: impl Iterator<Item = f64>) -> Ticks {
    let top = shares.filter(|p| p.is_finite()).fold(0.0f64, f64::max);
    let mut t = if top > 0.5 {
        ticks(0.0, 100.0, 5, false)
    } else {
        ticks(0.0, (105.0 * top).max(1.0), 5, false)
    };
    t.unit = "%";
    t
}

/// Each outcome's probability with its Wilson interval, one row each.
fn outcomes_chart(outcomes: &[OutcomeStats], runs: u64) -> Option<Chart> {
    if outcomes.is_empty() {
        return None;
    }
    let title = "Outcome probabilities".to_string();
    let names: Vec<String> = outcomes.iter().map(|o| clip(&o.name, 30)).collect();
    let left = 20.0
        + names
            .iter()
            .map(|s| text_width(s, 12.0))
            .fold(60.0, f64::max);
    let right = 150.0;
    let mut svg = Svg::new(WIDTH, &title);
    let legend = Legend::new(vec![], WIDTH);
    let top = header(
        &mut svg,
        &title,
        &format!("share of {runs} runs that reached each outcome, with its 95% Wilson interval"),
        &legend,
        left,
    );
    let xt = percent_ticks(outcomes.iter().map(|o| o.ci95[1]));
    let f = rows_frame(left, top + 4.0, (WIDTH - left - right, outcomes.len()), xt);
    f.x_axis(&mut svg, "probability (95% Wilson interval)");
    for (i, (o, name)) in outcomes.iter().zip(&names).enumerate() {
        let y = f.top + ROW * (i as f64 + 0.5);
        svg.text(f.left - 10.0, y + 4.0, name, Font::plain(12.0).at("end"));
        let [lo, hi] = o.ci95;
        let (x0, x1, xp) = (
            f.x.map(100.0 * lo),
            f.x.map(100.0 * hi),
            f.x.map(100.0 * o.probability),
        );
        interval(&mut svg, (x0, x1), y);
        svg.circle((xp, y), 4.5, ACCENT, Stroke::solid("#ffffff", 1.0), None);
        svg.text(
            f.right() + 10.0,
            y + 4.0,
            &format!("{} [{}, {}]", pct(o.probability), pct(lo), pct(hi)),
            Font::plain(11.0),
        );
        let first = o.first_step_median.map_or(String::new(), |m| {
            format!("\nfirst reached: median step {m}")
        });
        svg.hit(
            (0.0, y - ROW / 2.0),
            (WIDTH, ROW),
            &format!(
                "{}: {} ({} of {} runs)\n95% Wilson interval {} – {}{first}\ncondition: {}",
                o.name,
                pct(o.probability),
                o.reached,
                o.runs,
                pct(lo),
                pct(hi),
                o.condition
            ),
        );
    }
    Some(finish(
        svg,
        f.bottom() + 46.0,
        ChartKind::Outcomes,
        None,
        title,
    ))
}

/// The share of runs that have reached each outcome by each band time point.
fn reached_chart(outcomes: &[OutcomeStats], steps: &[u32], unit: &str, runs: u64) -> Option<Chart> {
    if outcomes.is_empty() || steps.is_empty() {
        return None;
    }
    let usable = |o: &&OutcomeStats| o.reached_by.len() == steps.len();
    if !outcomes.iter().any(|o| usable(&o)) {
        return None; // a report saved before `reached_by`
    }
    let title = "Outcomes reached over time".to_string();
    let shown: Vec<(usize, &OutcomeStats)> = outcomes
        .iter()
        .filter(usable)
        .filter(|o| o.reached > 0)
        .enumerate()
        .collect();
    let never: Vec<&str> = outcomes
        .iter()
        .filter(usable)
        .filter(|o| o.reached == 0)
        .map(|o| o.name.as_str())
        .collect();
    let last = f64::from(*steps.last().unwrap_or(&0));
    let yt = percent_ticks(shown.iter().flat_map(|(_, o)| o.reached_by.iter().copied()));
    let left = left_margin(&yt) + 10.0;
    let items = shown
        .iter()
        .map(|(i, o)| {
            (
                Swatch::Line(Stroke::solid(colour(*i), 2.0).dashed(dash(*i))),
                clip(&o.name, 30),
            )
        })
        .collect();
    let legend = Legend::new(items, WIDTH - left - 20.0);
    let mut svg = Svg::new(WIDTH, &title);
    let top = header(
        &mut svg,
        &title,
        &format!("share of {runs} runs that had reached each outcome by each {unit}"),
        &legend,
        left,
    );
    let f = Frame::new(
        left,
        top,
        (WIDTH - left - 20.0, PLOT_HEIGHT),
        time_ticks(last),
        yt,
    );
    f.axes(&mut svg, &plural(unit), "runs that reached it");
    for (i, o) in &shown {
        let mut points = Vec::with_capacity(2 * steps.len());
        for (k, (&t, &p)) in steps.iter().zip(&o.reached_by).enumerate() {
            if k > 0 {
                points.push(f.at(f64::from(t), 100.0 * o.reached_by[k - 1]));
            }
            points.push(f.at(f64::from(t), 100.0 * p));
        }
        svg.polyline(
            &points,
            Stroke::solid(colour(*i), 2.0).dashed(dash(*i)),
            Some(&o.name),
        );
    }
    if shown.is_empty() {
        svg.text(
            f.left + f.width / 2.0,
            f.top + f.height / 2.0,
            "no run reached any outcome",
            Font::plain(13.0).fill(MUTED).at("middle"),
        );
    }
    let idx = thinned(steps.len());
    let xs: Vec<f64> = idx.iter().map(|&i| f64::from(steps[i])).collect();
    let titles: Vec<String> = idx
        .iter()
        .map(|&i| {
            let mut t = format!("{unit} {}", steps[i]);
            for (_, o) in &shown {
                t.push_str(&format!("\n{}: {}", o.name, pct(o.reached_by[i])));
            }
            t
        })
        .collect();
    f.hover_columns(&mut svg, &xs, &titles);
    let mut bottom = f.bottom() + 46.0;
    if !never.is_empty() {
        let note = format!("not reached in any run: {}", never.join(", "));
        for line in wrap(&note, 96) {
            bottom += 4.0;
            svg.text(12.0, bottom, &line, Font::plain(11.0).fill(MUTED));
            bottom += 12.0;
        }
        bottom += 4.0;
    }
    Some(finish(svg, bottom, ChartKind::Reached, None, title))
}

/// One row of a forest plot: a variant's difference, in the plot's units (`scale` × the
/// difference: 100 for percentage points).
struct ForestRow<'a> {
    variant: &'a str,
    d: &'a Difference,
}

/// A group of rows under a heading (an outcome), or without one.
struct ForestGroup<'a> {
    heading: Option<String>,
    rows: Vec<ForestRow<'a>>,
}

/// The levels of `rows` in words: "95%" when all are, else "Holm-adjusted".
fn levels_of<'a>(mut ds: impl Iterator<Item = &'a Difference>) -> String {
    if ds.all(|d| (d.level - 0.95).abs() < 1e-12) {
        "95% intervals".into()
    } else {
        "intervals at their Holm-adjusted levels".into()
    }
}

/// The forest plot of every outcome: per outcome, each variant's difference in probability
/// from the baseline, in percentage points.
fn outcome_forest(c: &Comparison) -> Option<Chart> {
    let mut names: Vec<&MetricId> = Vec::new();
    for v in &c.variants {
        for d in &v.outcomes {
            if !names.contains(&&d.id) {
                names.push(&d.id);
            }
        }
    }
    if names.is_empty() {
        return None;
    }
    let groups: Vec<ForestGroup> = names
        .iter()
        .map(|id| ForestGroup {
            heading: Some(format!("P({})", id.name)),
            rows: c
                .variants
                .iter()
                .filter_map(|v| {
                    let d = v.outcomes.iter().find(|d| d.id == **id)?;
                    Some(ForestRow {
                        variant: &v.name,
                        d,
                    })
                })
                .collect(),
        })
        .collect();
    let methods = methods_of(groups.iter().flat_map(|g| g.rows.iter().map(|r| r.d)));
    let levels = levels_of(groups.iter().flat_map(|g| g.rows.iter().map(|r| r.d)));
    Some(forest(
        "Outcomes: difference from the baseline".into(),
        format!("variant − {}, {levels} ({methods})", c.baseline),
        &groups,
        (
            "difference in probability (percentage points)",
            100.0,
            " pp",
        ),
        ChartId::new(ChartKind::Forest, Some("outcomes")),
    ))
}

/// The methods of some differences, in words: `paired-t`, `newcombe-paired`, ….
fn methods_of<'a>(ds: impl Iterator<Item = &'a Difference>) -> String {
    let mut methods: Vec<&str> = Vec::new();
    for d in ds {
        if !methods.contains(&d.method) {
            methods.push(d.method);
        }
    }
    methods.join(", ")
}

/// The forest plot of one metric: each variant's difference from the baseline.
fn metric_forest(c: &Comparison, id: &MetricId) -> Option<Chart> {
    let rows: Vec<ForestRow> = c
        .variants
        .iter()
        .filter_map(|v| {
            let d = v.metrics.iter().find(|d| d.id == *id)?;
            Some(ForestRow {
                variant: &v.name,
                d,
            })
        })
        .collect();
    let label = rows.first()?.d.label.clone();
    let methods = methods_of(rows.iter().map(|r| r.d));
    let levels = levels_of(rows.iter().map(|r| r.d));
    let groups = [ForestGroup {
        heading: None,
        rows,
    }];
    Some(forest(
        label,
        format!("{id}: variant − {}, {levels} ({methods})", c.baseline),
        &groups,
        ("difference (variant − baseline)", 1.0, ""),
        ChartId::new(ChartKind::Forest, Some(&id.to_string())),
    ))
}

/// A forest plot: rows of differences with their intervals, a line at zero, the numbers at the
/// right. `(x_label, scale, suffix)`: the axis label, the factor differences are drawn at and
/// the unit after printed numbers.
fn forest(
    title: String,
    subtitle: String,
    groups: &[ForestGroup],
    (x_label, scale, suffix): (&str, f64, &str),
    id: ChartId,
) -> Chart {
    let labels: Vec<String> = groups
        .iter()
        .flat_map(|g| {
            g.heading
                .iter()
                .cloned()
                .chain(g.rows.iter().map(|r| clip(r.variant, 28)))
        })
        .collect();
    let left = 24.0
        + labels
            .iter()
            .map(|s| text_width(s, 12.0))
            .fold(60.0, f64::max)
            .min(240.0);
    let all = || groups.iter().flat_map(|g| g.rows.iter());
    let decimals = number_decimals(all().map(|r| r.d), scale);
    let right = 20.0
        + all()
            .map(|r| text_width(&row_text(r.d, (scale, suffix, decimals)), 11.0))
            .fold(120.0, f64::max)
            .min(300.0);
    let (lo, hi) = all().fold((0.0f64, 0.0f64), |(lo, hi), r| {
        let d = r.d;
        (
            lo.min(scale * d.ci[0]).min(scale * d.difference),
            hi.max(scale * d.ci[1]).max(scale * d.difference),
        )
    });
    let xt = ticks(lo, hi, 6, false);
    let n_rows: usize = groups
        .iter()
        .map(|g| g.rows.len() + usize::from(g.heading.is_some()))
        .sum();
    let legend = Legend::new(
        vec![
            (Swatch::Dot(ACCENT, true), "interval excludes 0".into()),
            (Swatch::Dot(ACCENT, false), "interval includes 0".into()),
            (Swatch::Diamond(MUTED), "identical in every run".into()),
        ],
        WIDTH - 24.0,
    );
    let mut svg = Svg::new(WIDTH, &title);
    let top = header(&mut svg, &title, &subtitle, &legend, 12.0);
    let f = rows_frame(left, top + 4.0, (WIDTH - left - right, n_rows), xt);
    f.x_axis(&mut svg, x_label);
    let zero = f.x.map(0.0);
    svg.line(
        (zero, f.top),
        (zero, f.bottom()),
        Stroke::solid(INK, 1.0).dashed("4 3"),
    );
    let mut row = 0usize;
    for (k, g) in groups.iter().enumerate() {
        if let Some(h) = &g.heading {
            let y = f.top + ROW * (row as f64 + 0.5);
            if k > 0 {
                let rule = f.top + ROW * row as f64;
                svg.line((12.0, rule), (WIDTH - 12.0, rule), Stroke::solid(GRID, 1.0));
            }
            svg.text(12.0, y + 4.0, &clip(h, 36), Font::plain(12.0).bold());
            row += 1;
        }
        for r in &g.rows {
            let y = f.top + ROW * (row as f64 + 0.5);
            row += 1;
            let indent = if g.heading.is_some() { 24.0 } else { 12.0 };
            svg.text(indent, y + 4.0, &clip(r.variant, 28), Font::plain(12.0));
            forest_row(&mut svg, &f, y, r.d, (scale, suffix, decimals));
            let d = r.d;
            svg.hit(
                (0.0, y - ROW / 2.0),
                (WIDTH, ROW),
                &format!(
                    "{} − baseline, {}\ndifference {}{suffix}\n{} interval {} to {}{suffix} ({})\np = {}{}",
                    r.variant,
                    d.label,
                    fixed(scale * d.difference, decimals),
                    super::compare::level_label(d.level),
                    fixed(scale * d.ci[0], decimals),
                    fixed(scale * d.ci[1], decimals),
                    d.method,
                    p_value(d.p_value),
                    if d.identical {
                        "\nidentical in every run"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
    let height = f.bottom() + 46.0;
    let ChartId { kind, subject } = id;
    finish(svg, height, kind, subject.as_deref(), title)
}

/// Decimals that show the narrowest interval of `ds` (at `scale`) to two significant digits.
fn number_decimals<'a>(ds: impl Iterator<Item = &'a Difference>, scale: f64) -> usize {
    let narrowest = ds
        .map(|d| scale * (d.ci[1] - d.ci[0]).abs())
        .chain(std::iter::once(f64::INFINITY))
        .filter(|w| *w > 0.0)
        .fold(f64::INFINITY, f64::min);
    if narrowest.is_finite() {
        (1.0 - narrowest.log10().floor()).clamp(1.0, 8.0) as usize
    } else {
        2
    }
}

/// One difference: its interval, its marker (filled when the interval excludes zero, open when
/// not, grey at zero when the two sides agree in every run), and its numbers at the right.
fn forest_row(
    svg: &mut Svg,
    f: &Frame,
    y: f64,
    d: &Difference,
    (scale, suffix, decimals): (f64, &str, usize),
) {
    if d.identical {
        let x = f.x.map(0.0);
        svg.shape(&diamond((x, y), 5.0), MUTED, None);
        svg.text(
            f.right() + 10.0,
            y + 4.0,
            "identical in every run",
            Font::plain(11.0).fill(MUTED),
        );
        return;
    }
    let (x0, x1, xd) = (
        f.x.map(scale * d.ci[0]),
        f.x.map(scale * d.ci[1]),
        f.x.map(scale * d.difference),
    );
    interval(svg, (x0, x1), y);
    let fill = if d.significant { ACCENT } else { "#ffffff" };
    svg.circle((xd, y), 4.5, fill, Stroke::solid(ACCENT, 1.5), None);
    svg.text(
        f.right() + 10.0,
        y + 4.0,
        &row_text(d, (scale, suffix, decimals)),
        Font::plain(11.0).fill(if d.significant { INK } else { MUTED }),
    );
}

/// The corners of a diamond of half-width `r` around `c`.
pub(crate) fn diamond((x, y): (f64, f64), r: f64) -> [(f64, f64); 4] {
    [(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
}

/// The numbers of a forest row, as printed at its right.
fn row_text(d: &Difference, (scale, suffix, decimals): (f64, &str, usize)) -> String {
    if d.identical {
        "identical in every run".into()
    } else if d.constant() {
        format!(
            "{}{suffix} in every run",
            fixed(scale * d.difference, decimals)
        )
    } else {
        format!(
            "{}{suffix} [{}, {}]",
            fixed(scale * d.difference, decimals),
            fixed(scale * d.ci[0], decimals),
            fixed(scale * d.ci[1], decimals)
        )
    }
}

/// A number with at most four decimals and no trailing zeros: `0`, `0.25`.
fn short(x: f64) -> String {
    let s = fixed(x, 4);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The colour of value `t` in 0..=1 on the graph's scale: blue, through purple, to red.
fn heat(t: f64) -> String {
    const STOPS: [(f64, f64, f64); 3] = [
        (44.0, 123.0, 182.0),
        (140.0, 110.0, 170.0),
        (202.0, 24.0, 29.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let (a, b, u) = if t < 0.5 {
        (STOPS[0], STOPS[1], t * 2.0)
    } else {
        (STOPS[1], STOPS[2], (t - 0.5) * 2.0)
    };
    let mix = |x: f64, y: f64| (x + (y - x) * u).round().clamp(0.0, 255.0) as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

/// The relation graph: actors on a circle (grouped by kind, then in id order), relations as
/// curved arrows (both directions of a pair visible), styled by relation kind and coloured by
/// one relation variable's initial value. `None` for a graph too large to draw.
fn graph_chart(g: &RelationGraph) -> Option<Chart> {
    let detail = g.detail.as_ref()?;
    if detail.actors.is_empty() {
        return None;
    }
    let title = "Relation graph".to_string();
    let n = detail.actors.len();
    let variable = g.coloured_by.and_then(|v| g.variables.get(v));
    let size = format!(
        "{}, {}",
        counted(g.n_actors, "actor"),
        counted(g.n_relations, "relation")
    );
    let subtitle = match variable {
        Some(var) => format!("{size}; colour: initial {var}; line style: relation kind"),
        None => format!("{size}; line style: relation kind"),
    };
    let mut items: Vec<(Swatch, String)> = g
        .actor_kinds
        .iter()
        .enumerate()
        .filter(|(_, (_, count))| *count > 0)
        .map(|(i, (kind, _))| (Swatch::Dot(colour(i), true), clip(kind, 24)))
        .collect();
    items.extend(
        g.relation_kinds
            .iter()
            .enumerate()
            .filter(|(_, (_, count))| *count > 0)
            .map(|(i, (kind, _))| {
                (
                    Swatch::Line(Stroke::solid(MUTED, 1.5).dashed(super::svg::DASHES[i % 5])),
                    clip(kind, 24),
                )
            }),
    );
    let legend = Legend::new(items, WIDTH - 24.0);
    let mut svg = Svg::new(WIDTH, &format!("{title}: {subtitle}"));
    let mut top = header(&mut svg, &title, &subtitle, &legend, 12.0);
    let (lo, hi) = g.colour_range;
    if let Some(var) = variable {
        // The colour scale: twenty swatches from the low end to the high end.
        let (x0, w) = (12.0 + text_width(var, 11.0) + 8.0, 200.0);
        svg.text(12.0, top + 10.0, var, Font::plain(11.0));
        for k in 0..20 {
            let t = (f64::from(k) + 0.5) / 20.0;
            svg.rect(
                (x0 + w * f64::from(k) / 20.0, top + 2.0),
                (w / 20.0 + 0.5, 10.0),
                &heat(t),
                1.0,
            );
        }
        let small = Font::plain(10.0).fill(MUTED);
        svg.text(x0, top + 24.0, &short(lo), small);
        svg.text(x0 + w, top + 24.0, &short(hi), small.at("end"));
        top += 32.0;
    }
    let node_r = if n <= 20 {
        13.0
    } else if n <= 60 {
        7.0
    } else {
        4.0
    };
    let labelled = n <= 40;
    let radius = if n == 1 {
        0.0
    } else {
        (40.0 + 28.0 * n as f64).clamp(80.0, 230.0)
    };
    let margin = if labelled { 40.0 } else { 16.0 };
    let centre = (WIDTH / 2.0, top + margin + radius);
    // Place on the circle: by kind, then id order (the actors' order).
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (detail.actors[i].kind, i));
    let mut pos = vec![(0.0, 0.0); n];
    let mut angle = vec![0.0f64; n];
    for (slot, &i) in order.iter().enumerate() {
        let a = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * slot as f64 / n as f64;
        angle[i] = a;
        pos[i] = (centre.0 + radius * a.cos(), centre.1 + radius * a.sin());
    }
    let bend = if n <= 40 { 0.18 } else { 0.08 };
    let (arrow, width) = if n <= 40 { (8.0, 1.8) } else { (4.0, 0.8) };
    for r in &detail.relations {
        let (Some(&p), Some(&q)) = (pos.get(r.from), pos.get(r.to)) else {
            continue;
        };
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let len = (dx * dx + dy * dy).sqrt();
        if len < 1e-9 {
            continue;
        }
        // The control point sits to the right of the direction of travel, so a relation and
        // its reverse bow apart.
        let ctrl = ((p.0 + q.0) / 2.0 - dy * bend, (p.1 + q.1) / 2.0 + dx * bend);
        let toward = |from: (f64, f64), to: (f64, f64), by: f64| {
            let (ux, uy) = (to.0 - from.0, to.1 - from.1);
            let l = (ux * ux + uy * uy).sqrt().max(1e-9);
            (from.0 + ux / l * by, from.1 + uy / l * by)
        };
        let start = toward(p, ctrl, node_r + 2.0);
        let tip = toward(q, ctrl, node_r + 2.0);
        let base = toward(tip, ctrl, arrow);
        let v = r.values.get(g.coloured_by.unwrap_or(usize::MAX)).copied();
        let c = match v {
            Some(v) if hi > lo => heat((v - lo) / (hi - lo)),
            Some(_) => heat(0.5),
            None => MUTED.to_string(),
        };
        let from = &detail.actors[r.from];
        let to = &detail.actors[r.to];
        let kind = g.relation_kinds.get(r.kind).map_or("", |k| k.0.as_str());
        let mut tip_text = format!("{} → {} ({kind})", from.id, to.id);
        for (name, x) in g.variables.iter().zip(&r.values) {
            tip_text.push_str(&format!("\n{name} {}", value(*x)));
        }
        let d = format!(
            "M{},{} Q{},{} {},{}",
            super::svg::n(start.0),
            super::svg::n(start.1),
            super::svg::n(ctrl.0),
            super::svg::n(ctrl.1),
            super::svg::n(base.0),
            super::svg::n(base.1)
        );
        svg.path(
            &d,
            Stroke::solid(&c, width).dashed(super::svg::DASHES[r.kind % 5]),
            Some(&tip_text),
        );
        // The arrowhead: a triangle from its base to the tip.
        let (ux, uy) = (tip.0 - base.0, tip.1 - base.1);
        let l = (ux * ux + uy * uy).sqrt().max(1e-9);
        let (px, py) = (-uy / l * arrow * 0.45, ux / l * arrow * 0.45);
        svg.shape(
            &[tip, (base.0 + px, base.1 + py), (base.0 - px, base.1 - py)],
            &c,
            Some(&tip_text),
        );
    }
    let mut degree = vec![(0usize, 0usize); n];
    for r in &detail.relations {
        if r.from < n && r.to < n {
            degree[r.from].0 += 1;
            degree[r.to].1 += 1;
        }
    }
    for (i, a) in detail.actors.iter().enumerate() {
        let kind = g.actor_kinds.get(a.kind).map_or("", |k| k.0.as_str());
        let tip_text = format!(
            "{}: {} ({kind})\n{} out, {} in relations",
            a.id, a.name, degree[i].0, degree[i].1
        );
        svg.circle(
            pos[i],
            node_r,
            colour(a.kind),
            Stroke::solid("#ffffff", 1.5),
            Some(&tip_text),
        );
        if labelled {
            let (c, s) = (angle[i].cos(), angle[i].sin());
            let anchor = if c > 0.3 {
                "start"
            } else if c < -0.3 {
                "end"
            } else {
                "middle"
            };
            let at = (
                pos[i].0 + c * (node_r + 8.0),
                pos[i].1 + s * (node_r + 8.0) + 4.0 + s * 4.0,
            );
            svg.text_titled(
                at.0,
                at.1,
                &clip(&a.id, 16),
                Font::plain(12.0).bold().at(anchor),
                Some(&tip_text),
            );
        }
    }
    let height = centre.1 + radius + margin;
    Some(finish(svg, height, ChartKind::Graph, None, title))
}

/// Escapes for the HTML exporter's figure ids: letters, digits, `-`, `_` and `.` kept, anything
/// else `-`.
pub(crate) fn anchor(id: &ChartId) -> String {
    let text: String = id
        .to_string()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    esc(&format!("chart-{text}"))
}

#[cfg(test)]
mod tests {
    use super::{heat, wrap, ChartId, ChartKind};

    #[test]
    fn chart_ids_read_back_as_written() {
        for text in [
            "fan:tension_ltu_blr",
            "outcomes",
            "reached",
            "graph",
            "trajectory:x",
            "forest:outcomes",
            "forest:final.tension_ltu_blr",
        ] {
            let id: ChartId = text.parse().unwrap();
            assert_eq!(id.to_string(), text);
        }
        let id: ChartId = "forest:final.a".parse().unwrap();
        assert_eq!(id.kind, ChartKind::Forest);
        for (bad, says) in [
            ("fna:x", "did you mean `fan`"),
            ("fan", "needs a subject"),
            ("fan:", "needs a subject"),
            ("graph:x", "takes no subject"),
        ] {
            let e = bad.parse::<ChartId>().unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn heat_runs_from_blue_to_red() {
        assert_eq!(heat(0.0), "#2c7bb6");
        assert_eq!(heat(1.0), "#ca181d");
        assert_eq!(heat(f64::NAN), heat(0.5));
    }

    #[test]
    fn counts_are_plural_unless_one() {
        assert_eq!(super::counted(1, "actor"), "1 actor");
        assert_eq!(super::counted(8, "relation"), "8 relations");
        assert_eq!(super::counted(2, "steps"), "2 steps");
    }

    #[test]
    fn notes_wrap_at_words() {
        assert_eq!(wrap("a bb ccc dd", 5), vec!["a bb", "ccc", "dd"]);
        assert!(wrap("", 5).is_empty());
    }
}
