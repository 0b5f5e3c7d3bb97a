//! The report of an ensemble: what many runs of one scenario say — outcome probabilities with
//! Wilson intervals, the distribution of every metric, and per-step bands — and its per-run
//! table. Built from a model and an ensemble, or read back from saved JSON; rendering is the
//! exporters' job.

use super::error::ReportError;
use super::metric::{MetricId, MetricKind};
use super::run::{scenario_info, ScenarioInfo};
use crate::ensemble::{Ensemble, RunSummary};
use crate::model::Model;
use crate::stats::{self, quantile, Interval};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Name of the JSON format of an ensemble report.
pub const FORMAT: &str = "detente-ensemble";
/// Version of that format; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// The report of an ensemble: the `detente-ensemble` JSON format.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EnsembleReport {
    /// [`FORMAT`] (checked by [`parse`]).
    pub format: String,
    /// [`FORMAT_VERSION`] (checked by [`parse`]).
    pub format_version: u32,
    /// The version of detente that made the ensemble.
    pub detente_version: String,
    /// Which scenario was run.
    pub scenario: ScenarioInfo,
    /// The seed the runs were made with.
    pub seed: u64,
    /// How many runs.
    pub runs: u64,
    /// Every parameter's value in the runs, `--set` overrides applied.
    pub parameters: BTreeMap<String, f64>,
    /// One entry per outcome, in the model's order.
    pub outcomes: Vec<OutcomeStats>,
    /// Every metric: every series' final value, then every peak, every mean, then the action
    /// counts.
    pub metrics: Vec<MetricStats>,
    /// Per-step distribution of each series across runs.
    pub bands: BandsReport,
    /// One entry per shock, in name order (absent when the scenario has none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shocks: Vec<ShockStats>,
}

/// How often a shock happened across runs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ShockStats {
    /// The shock's name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Runs in which it happened at least once.
    pub happened: u64,
    /// Runs.
    pub runs: u64,
    /// `happened / runs`.
    pub probability: f64,
    /// Its 95% Wilson interval.
    pub ci95: [f64; 2],
    /// The mean number of steps it happened in, over all runs.
    pub mean_count: f64,
}

/// How often an outcome was reached across runs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OutcomeStats {
    /// The outcome's name.
    pub name: String,
    /// Its condition, as written.
    pub condition: String,
    /// In how many runs it was reached.
    pub reached: u64,
    /// Out of how many runs.
    pub runs: u64,
    /// `reached / runs` (0 when there are no runs).
    pub probability: f64,
    /// Wilson score interval, 95 % ([`stats::wilson`]), as `[lo, hi]`.
    pub ci95: [f64; 2],
    /// Mean of the first step reached, over the runs that reached it (`None` if none did).
    pub first_step_mean: Option<f64>,
    /// Median of the first step reached, over the runs that reached it (`None` if none did).
    pub first_step_median: Option<f64>,
    /// Per time point of [`BandsReport::steps`], the share of all runs that had reached it by
    /// then (first reached at or before that step): the cumulative probability of the outcome
    /// over time, ending at `probability`. Empty in a report saved before it was added.
    #[serde(default)]
    pub reached_by: Vec<f64>,
}

/// The distribution of one metric across runs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MetricStats {
    /// `final.<series>`, `peak.<series>`, `mean.<series>` or `actions.<action>`.
    #[serde(rename = "name")]
    pub id: MetricId,
    /// For people: e.g. "final tension(LTU, BLR)".
    pub label: String,
    /// How many runs the metric was measured in.
    pub n: u64,
    /// Its mean across runs.
    pub mean: f64,
    /// Its sample standard deviation across runs.
    pub sd: f64,
    /// Student t interval for the mean, 95 % ([`stats::mean_ci`]), as `[lo, hi]`.
    pub ci95: [f64; 2],
    /// 5, 25, 50, 75 and 95 % quantiles across runs ([`stats::quantile`]).
    pub quantiles: [f64; 5],
}

/// Per-step distribution of each series across runs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BandsReport {
    /// The steps the bands are given at: evenly spaced from 0, always including the last.
    pub steps: Vec<u32>,
    /// How many runs the quantiles are computed from (fewer than the runs for large
    /// ensembles; the means use every run).
    pub sampled_runs: u64,
    /// One entry per report series, in the model's order.
    pub series: Vec<SeriesBands>,
}

/// One series' mean and quantiles across runs, per time point of [`BandsReport::steps`].
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SeriesBands {
    /// The series' name.
    pub name: String,
    /// Its expression, as written.
    pub expression: String,
    /// Per time point, its mean across all runs.
    pub mean: Vec<f64>,
    /// Per time point, its 5 % quantile across the sampled runs.
    pub q05: Vec<f64>,
    /// Per time point, its 25 % quantile across the sampled runs.
    pub q25: Vec<f64>,
    /// Per time point, its median across the sampled runs.
    pub q50: Vec<f64>,
    /// Per time point, its 75 % quantile across the sampled runs.
    pub q75: Vec<f64>,
    /// Per time point, its 95 % quantile across the sampled runs.
    pub q95: Vec<f64>,
}

/// One metric's value in each run, in run order.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricColumn {
    /// Which metric.
    pub id: MetricId,
    /// For people: e.g. "final tension(LTU, BLR)".
    pub label: String,
    /// Per run, in run order.
    pub values: Vec<f64>,
}

impl MetricColumn {
    fn new(kind: MetricKind, name: &str, subject: &str, values: Vec<f64>) -> MetricColumn {
        MetricColumn {
            id: MetricId::new(kind, name),
            label: kind.label(subject),
            values,
        }
    }
}

/// Every metric's id and label, in the report's order: final, peak and mean of each series,
/// then each action's count.
pub(crate) fn metric_names(model: &Model) -> Vec<(MetricId, String)> {
    let mut out = Vec::new();
    for kind in [MetricKind::Final, MetricKind::Peak, MetricKind::Mean] {
        for series in &model.series {
            out.push((MetricId::new(kind, &series.name), kind.label(&series.text)));
        }
    }
    for action in &model.actions {
        let kind = MetricKind::Actions;
        out.push((MetricId::new(kind, &action.name), kind.label(&action.name)));
    }
    out
}

/// Every metric of an ensemble, per run, in the order of [`metric_names`]. `runs` must be
/// summaries of runs of `model`.
pub(crate) fn metric_columns(model: &Model, runs: &[RunSummary]) -> Vec<MetricColumn> {
    let n_series = model.series.len();
    metric_names(model)
        .into_iter()
        .enumerate()
        .map(|(k, (id, label))| {
            let values = runs
                .iter()
                .map(|r| match k / n_series.max(1) {
                    0 if k < n_series => r.last[k],
                    1 if k < 2 * n_series => r.peak[k - n_series],
                    2 if k < 3 * n_series => r.mean[k - 2 * n_series],
                    _ => r.actions[k - 3 * n_series] as f64,
                })
                .collect();
            MetricColumn { id, label, values }
        })
        .collect()
}

/// Per outcome, whether each run reached it (1) or not (0), in run order.
pub(crate) fn outcome_columns(model: &Model, runs: &[RunSummary]) -> Vec<MetricColumn> {
    model
        .outcomes
        .iter()
        .enumerate()
        .map(|(o, outcome)| {
            let values = runs
                .iter()
                .map(|r| f64::from(u8::from(r.reached[o].is_some())))
                .collect();
            MetricColumn::new(MetricKind::Outcome, &outcome.name, &outcome.name, values)
        })
        .collect()
}

/// Every run of an ensemble, one row each: the run index, every metric, and the first step each
/// outcome was reached. What the per-run CSV holds.
#[derive(Clone, Debug, PartialEq)]
pub struct RunsTable {
    /// Run indices, in run order.
    pub runs: Vec<u64>,
    /// Every metric, in the order of [`EnsembleReport::metrics`].
    pub metrics: Vec<MetricColumn>,
    /// Per outcome (`first_step.<outcome>`): the step each run first reached it, if it did.
    pub first_steps: Vec<(MetricId, Vec<Option<u32>>)>,
}

/// The per-run table of an ensemble (empty unless its summaries were kept).
pub fn runs_table(model: &Model, e: &Ensemble) -> RunsTable {
    runs_table_of(model, &e.summaries)
}

/// The per-run table of some runs of `model`, from their summaries (in run order): what a
/// block of runs adds to a streamed table. With none, the table's columns alone.
pub fn runs_table_of(model: &Model, summaries: &[RunSummary]) -> RunsTable {
    let first_steps = model
        .outcomes
        .iter()
        .enumerate()
        .map(|(o, outcome)| {
            (
                MetricId::new(MetricKind::FirstStep, &outcome.name),
                summaries.iter().map(|r| r.reached[o]).collect(),
            )
        })
        .collect();
    RunsTable {
        runs: summaries.iter().map(|r| r.run).collect(),
        metrics: metric_columns(model, summaries),
        first_steps,
    }
}

/// The q-quantile ([`quantile`]'s definition) of `n` whole numbers given as a histogram
/// (value → how many), read from the two order statistics it interpolates between.
fn histogram_quantile(hist: &BTreeMap<u32, u64>, n: u64, q: f64) -> f64 {
    let h = q * (n - 1) as f64;
    let lo = h.floor() as u64;
    let at = |rank: u64| {
        let mut seen = 0;
        for (&value, &count) in hist {
            seen += count;
            if rank < seen {
                return f64::from(value);
            }
        }
        0.0
    };
    let (a, b) = (at(lo), at((lo + 1).min(n - 1)));
    a + (h - lo as f64) * (b - a)
}

fn pair(i: Interval) -> [f64; 2] {
    [i.lo, i.hi]
}

/// Builds the report of an ensemble `e` of `model`: outcome probabilities with Wilson
/// intervals, each metric's mean with its Student t interval and quantiles, and the bands.
pub fn build(model: &Model, e: &Ensemble) -> EnsembleReport {
    let t = &e.tally;
    let runs = t.runs();
    let outcomes = model
        .outcomes
        .iter()
        .zip(&t.first_steps)
        .map(|(outcome, firsts)| {
            let reached: u64 = firsts.values().sum();
            let total: u64 = firsts.iter().map(|(&s, &n)| u64::from(s) * n).sum();
            let by = |at: u32| firsts.range(..=at).map(|(_, &n)| n).sum::<u64>();
            OutcomeStats {
                name: outcome.name.clone(),
                condition: outcome.text.clone(),
                reached,
                runs,
                probability: reached as f64 / runs.max(1) as f64,
                ci95: pair(stats::wilson(reached, runs)),
                first_step_mean: (reached > 0).then(|| total as f64 / reached as f64),
                first_step_median: (reached > 0).then(|| histogram_quantile(firsts, reached, 0.5)),
                reached_by: e
                    .bands
                    .steps
                    .iter()
                    .map(|&at| by(at) as f64 / runs.max(1) as f64)
                    .collect(),
            }
        })
        .collect();
    let metrics = metric_names(model)
        .into_iter()
        .enumerate()
        .map(|(k, (id, label))| {
            let s = t.metrics[k].summary();
            let mut sorted: Vec<f64> = t.samples.metric(k).collect();
            sorted.sort_by(f64::total_cmp);
            MetricStats {
                id,
                label,
                n: s.n,
                mean: s.mean,
                sd: s.sd,
                ci95: pair(stats::mean_ci(s)),
                quantiles: crate::ensemble::LEVELS.map(|q| quantile(&sorted, q)),
            }
        })
        .collect();
    let b = &e.bands;
    let series = model
        .series
        .iter()
        .enumerate()
        .map(|(s, series)| {
            let q = |k: usize| b.quantiles[s].iter().map(|qs| qs[k]).collect();
            SeriesBands {
                name: series.name.clone(),
                expression: series.text.clone(),
                mean: b.mean[s].clone(),
                q05: q(0),
                q25: q(1),
                q50: q(2),
                q75: q(3),
                q95: q(4),
            }
        })
        .collect();
    let shocks = model
        .shocks
        .iter()
        .zip(&t.shocks)
        .map(|(sh, &(happened, total))| ShockStats {
            name: sh.name.clone(),
            description: sh.description.clone(),
            happened,
            runs,
            probability: happened as f64 / runs.max(1) as f64,
            ci95: pair(stats::wilson(happened, runs)),
            mean_count: total as f64 / runs.max(1) as f64,
        })
        .collect();
    EnsembleReport {
        shocks,
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        detente_version: env!("CARGO_PKG_VERSION").into(),
        scenario: scenario_info(model),
        seed: e.seed,
        runs,
        parameters: model.parameters.iter().cloned().collect(),
        outcomes,
        metrics,
        bands: BandsReport {
            steps: b.steps.clone(),
            sampled_runs: b.sampled_runs,
            series,
        },
    }
}

/// Reads a saved ensemble report, as written by the JSON exporter.
///
/// # Errors
///
/// A message saying why, when `text` is not JSON, is another kind of detente report (or none),
/// has a format version other than [`FORMAT_VERSION`], or does not have an ensemble report's
/// fields.
pub fn parse(text: &str) -> Result<EnsembleReport, ReportError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ReportError::NotJson(e.to_string()))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => return Err(ReportError::WrongFormat(other.to_string())),
        None => return Err(ReportError::NotDetente),
    }
    let version = value
        .get("format_version")
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    if version != u64::from(FORMAT_VERSION) {
        return Err(ReportError::Version {
            found: version,
            expected: FORMAT_VERSION,
        });
    }
    let report: EnsembleReport =
        serde_json::from_value(value).map_err(|e| ReportError::Malformed(e.to_string()))?;
    validate(&report).map_err(ReportError::Malformed)?;
    Ok(report)
}

/// Checks that a saved report's numbers can be what an ensemble produced: counts within the
/// runs, probabilities equal to their counts' share and inside their intervals, intervals and
/// quantiles in order, cumulative shares rising to their probability. A hand-edited or
/// corrupted report is refused rather than compared.
fn validate(r: &EnsembleReport) -> Result<(), String> {
    if r.runs == 0 {
        return Err("it has 0 runs".into());
    }
    for o in &r.outcomes {
        let what = format!("outcome `{}`", o.name);
        if o.runs != r.runs {
            return Err(format!(
                "{what} counts {} runs of the report's {}",
                o.runs, r.runs
            ));
        }
        if o.reached > o.runs {
            return Err(format!(
                "{what} was reached in {} of {} runs",
                o.reached, o.runs
            ));
        }
        let share = o.reached as f64 / o.runs as f64;
        if !(0.0..=1.0).contains(&o.probability) || (o.probability - share).abs() > 1e-9 {
            return Err(format!(
                "{what} has probability {}, but {} of {} runs is {share}",
                o.probability, o.reached, o.runs
            ));
        }
        // The interval's ends are computed, so they may miss by a rounding error.
        let [lo, hi] = o.ci95;
        let eps = 1e-9;
        if !(-eps <= lo
            && lo <= o.probability + eps
            && o.probability <= hi + eps
            && hi <= 1.0 + eps)
        {
            return Err(format!(
                "{what}: the interval [{lo}, {hi}] does not hold its probability {} inside [0, 1]",
                o.probability
            ));
        }
    }
    for m in &r.metrics {
        let what = format!("metric `{}`", m.id);
        if m.n == 0 || m.n > r.runs {
            return Err(format!("{what} is over {} of {} runs", m.n, r.runs));
        }
        let [lo, hi] = m.ci95;
        if !(m.sd >= 0.0 && lo <= hi && m.quantiles.is_sorted()) {
            return Err(format!(
                "{what} has a negative spread, or an interval or quantiles out of order"
            ));
        }
    }
    let b = &r.bands;
    if b.steps.is_empty() || !b.steps.is_sorted() || b.steps.last() != Some(&r.scenario.steps) {
        return Err(format!(
            "its bands are not given at steps rising to the last, {}",
            r.scenario.steps
        ));
    }
    if b.sampled_runs == 0 || b.sampled_runs > r.runs {
        return Err(format!(
            "its bands are over {} of {} runs",
            b.sampled_runs, r.runs
        ));
    }
    for s in &b.series {
        let columns = [&s.mean, &s.q05, &s.q25, &s.q50, &s.q75, &s.q95];
        if columns.iter().any(|c| c.len() != b.steps.len()) {
            return Err(format!(
                "the bands of series `{}` do not have one value per time point ({})",
                s.name,
                b.steps.len()
            ));
        }
    }
    for o in &r.outcomes {
        let by = &o.reached_by;
        if by.is_empty() {
            continue; // saved before the field was added
        }
        let rising = by.windows(2).all(|w| w[0] <= w[1]);
        let ends = by
            .last()
            .is_some_and(|&p| (p - o.probability).abs() <= 1e-9);
        if by.len() != r.bands.steps.len()
            || !rising
            || !ends
            || by.iter().any(|p| !(0.0..=1.0).contains(p))
        {
            return Err(format!(
                "outcome `{}`: `reached_by` is not a share of runs per time point ({}), rising to its probability",
                o.name,
                r.bands.steps.len()
            ));
        }
    }
    Ok(())
}
