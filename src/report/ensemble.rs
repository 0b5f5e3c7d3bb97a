//! Ensemble reports: what many runs of one scenario say — outcome probabilities with Wilson
//! intervals, the distribution of every metric, and per-step bands — as versioned JSON, Markdown
//! and CSV. Pure functions from a model and an ensemble to text.

use super::number::{num, pct};
use super::run::{scenario_info, ScenarioInfo};
use crate::ensemble::{Ensemble, RunSummary};
use crate::model::Model;
use crate::stats::{self, quantile, Interval};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Name of the JSON format of an ensemble report.
pub const FORMAT: &str = "detente-ensemble";
/// Version of that format; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EnsembleReport {
    pub format: String,
    pub format_version: u32,
    pub detente_version: String,
    pub scenario: ScenarioInfo,
    pub seed: u64,
    pub runs: u64,
    pub parameters: BTreeMap<String, f64>,
    pub outcomes: Vec<OutcomeStats>,
    pub metrics: Vec<MetricStats>,
    pub bands: BandsReport,
}

/// How often an outcome was reached across runs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OutcomeStats {
    pub name: String,
    pub condition: String,
    pub reached: u64,
    pub runs: u64,
    pub probability: f64,
    /// Wilson score interval, 95 %.
    pub ci95: [f64; 2],
    /// Mean and median of the first step reached, over the runs that reached it.
    pub first_step_mean: Option<f64>,
    pub first_step_median: Option<f64>,
}

/// The distribution of one metric across runs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MetricStats {
    /// `final.<series>`, `peak.<series>`, `mean.<series>` or `actions.<action>`.
    pub name: String,
    /// For people: e.g. "final tension(LTU, BLR)".
    pub label: String,
    pub n: u64,
    pub mean: f64,
    pub sd: f64,
    /// Student t interval for the mean, 95 %.
    pub ci95: [f64; 2],
    /// 5, 25, 50, 75 and 95 % quantiles across runs.
    pub quantiles: [f64; 5],
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BandsReport {
    pub steps: Vec<u32>,
    pub sampled_runs: u64,
    pub series: Vec<SeriesBands>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SeriesBands {
    pub name: String,
    pub expression: String,
    pub mean: Vec<f64>,
    pub q05: Vec<f64>,
    pub q25: Vec<f64>,
    pub q50: Vec<f64>,
    pub q75: Vec<f64>,
    pub q95: Vec<f64>,
}

/// One metric's value in each run, in run order.
pub struct MetricColumn {
    pub name: String,
    pub label: String,
    pub values: Vec<f64>,
}

/// Every metric of an ensemble, per run: final, peak and mean of each series, then each
/// action's count.
pub fn metric_columns(model: &Model, runs: &[RunSummary]) -> Vec<MetricColumn> {
    let mut out = Vec::new();
    for (kind, pick) in [
        (
            "final",
            (|r: &RunSummary, s: usize| r.last[s]) as fn(&RunSummary, usize) -> f64,
        ),
        ("peak", |r, s| r.peak[s]),
        ("mean", |r, s| r.mean[s]),
    ] {
        for (s, series) in model.series.iter().enumerate() {
            out.push(MetricColumn {
                name: format!("{kind}.{}", series.name),
                label: format!("{kind} {}", series.text),
                values: runs.iter().map(|r| pick(r, s)).collect(),
            });
        }
    }
    for (k, action) in model.actions.iter().enumerate() {
        out.push(MetricColumn {
            name: format!("actions.{}", action.name),
            label: format!("times `{}` taken", action.name),
            values: runs.iter().map(|r| r.actions[k] as f64).collect(),
        });
    }
    out
}

/// Per outcome, whether each run reached it (1) or not (0), in run order.
pub fn outcome_columns(model: &Model, runs: &[RunSummary]) -> Vec<(String, Vec<f64>)> {
    model
        .outcomes
        .iter()
        .enumerate()
        .map(|(o, outcome)| {
            (
                outcome.name.clone(),
                runs.iter()
                    .map(|r| f64::from(u8::from(r.reached[o].is_some())))
                    .collect(),
            )
        })
        .collect()
}

fn pair(i: Interval) -> [f64; 2] {
    [i.lo, i.hi]
}

/// Builds the report of an ensemble.
pub fn build(model: &Model, e: &Ensemble) -> EnsembleReport {
    let runs = e.summaries.len() as u64;
    let outcomes = model
        .outcomes
        .iter()
        .enumerate()
        .map(|(o, outcome)| {
            let mut firsts: Vec<f64> = e
                .summaries
                .iter()
                .filter_map(|r| r.reached[o].map(f64::from))
                .collect();
            firsts.sort_by(f64::total_cmp);
            let reached = firsts.len() as u64;
            OutcomeStats {
                name: outcome.name.clone(),
                condition: outcome.text.clone(),
                reached,
                runs,
                probability: reached as f64 / runs.max(1) as f64,
                ci95: pair(stats::wilson(reached, runs)),
                first_step_mean: (reached > 0).then(|| firsts.iter().sum::<f64>() / reached as f64),
                first_step_median: (reached > 0).then(|| quantile(&firsts, 0.5)),
            }
        })
        .collect();
    let metrics = metric_columns(model, &e.summaries)
        .into_iter()
        .map(|col| {
            let s = stats::summarize(&col.values);
            let mut sorted = col.values;
            sorted.sort_by(f64::total_cmp);
            MetricStats {
                name: col.name,
                label: col.label,
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
    EnsembleReport {
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

/// Why a JSON text is not an ensemble report this version can read.
pub fn parse(text: &str) -> Result<EnsembleReport, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(format!(
                "a `{other}` report, not an ensemble report (run with --runs N)"
            ))
        }
        None => return Err("not a detente report (no `format` field)".into()),
    }
    let version = value
        .get("format_version")
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    if version != u64::from(FORMAT_VERSION) {
        return Err(format!(
            "format version {version}; this detente reads version {FORMAT_VERSION}"
        ));
    }
    serde_json::from_value(value).map_err(|e| format!("malformed ensemble report: {e}"))
}

impl EnsembleReport {
    pub fn to_json(&self) -> String {
        super::json::to_string(self)
    }

    /// The report for people, as Markdown.
    pub fn to_markdown(&self) -> String {
        let sc = &self.scenario;
        let mut out = String::new();
        let _ = writeln!(out, "# {}\n", sc.name);
        let _ = writeln!(
            out,
            "{} runs of {} {}s, seed {}, {} actors, {} relations; scenario hash `{}`, detente {}.\n",
            self.runs, sc.steps, sc.time_unit, self.seed, sc.actors, sc.relations, sc.content_hash, self.detente_version
        );
        if !self.outcomes.is_empty() {
            let _ = writeln!(out, "## Outcomes\n");
            let _ = writeln!(out, "| outcome | probability | 95% CI (Wilson) | first reached (median {}) | condition |", sc.time_unit);
            let _ = writeln!(out, "|---|---:|---|---:|---|");
            for o in &self.outcomes {
                let first = o
                    .first_step_median
                    .map_or("—".to_string(), |m| format!("{m}"));
                let _ = writeln!(
                    out,
                    "| {} | {} ({}/{}) | {} – {} | {} | `{}` |",
                    o.name,
                    pct(o.probability),
                    o.reached,
                    o.runs,
                    pct(o.ci95[0]),
                    pct(o.ci95[1]),
                    first,
                    o.condition
                );
            }
            out.push('\n');
        }
        let _ = writeln!(out, "## Metrics\n");
        let _ = writeln!(
            out,
            "| metric | mean ± sd | 95% CI of mean | 5% | 25% | median | 75% | 95% |"
        );
        let _ = writeln!(out, "|---|---:|---|---:|---:|---:|---:|---:|");
        for m in &self.metrics {
            let q = m.quantiles;
            let _ = writeln!(
                out,
                "| {} | {} ± {} | {} – {} | {} | {} | {} | {} | {} |",
                m.label,
                num(m.mean),
                num(m.sd),
                num(m.ci95[0]),
                num(m.ci95[1]),
                num(q[0]),
                num(q[1]),
                num(q[2]),
                num(q[3]),
                num(q[4])
            );
        }
        let b = &self.bands;
        if !b.series.is_empty() {
            let _ = writeln!(
                out,
                "\n## Over time\n\nMedian and 5–95% band across runs{}.\n",
                if b.sampled_runs < self.runs {
                    format!(" (quantiles from {} evenly spaced runs)", b.sampled_runs)
                } else {
                    String::new()
                }
            );
            // At most about 14 rows: every k-th time point, and always the last.
            let stride = b.steps.len().div_ceil(14).max(1);
            let mut rows: Vec<usize> = (0..b.steps.len()).step_by(stride).collect();
            if rows.last() != Some(&(b.steps.len() - 1)) {
                rows.push(b.steps.len() - 1);
            }
            let _ = write!(out, "| {} |", sc.time_unit);
            for s in &b.series {
                let _ = write!(out, " {} |", s.expression);
            }
            let _ = write!(out, "\n|---:|");
            for _ in &b.series {
                out.push_str("---|");
            }
            out.push('\n');
            for &p in &rows {
                let _ = write!(out, "| {} |", b.steps[p]);
                for s in &b.series {
                    let _ = write!(
                        out,
                        " {} [{}, {}] |",
                        num(s.q50[p]),
                        num(s.q05[p]),
                        num(s.q95[p])
                    );
                }
                out.push('\n');
            }
        }
        out
    }

    /// The bands as CSV, one row per time point and series.
    pub fn bands_csv(&self) -> String {
        let mut out = String::from("step,series,mean,q05,q25,q50,q75,q95\n");
        for s in &self.bands.series {
            for (p, step) in self.bands.steps.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{step},{},{},{},{},{},{},{}",
                    s.name, s.mean[p], s.q05[p], s.q25[p], s.q50[p], s.q75[p], s.q95[p]
                );
            }
        }
        out
    }

    /// A short summary for the terminal.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let sc = &self.scenario;
        let _ = writeln!(out, "{}", sc.name);
        let _ = writeln!(
            out,
            "{} runs of {} {}s, seed {}, scenario hash {}",
            self.runs, sc.steps, sc.time_unit, self.seed, sc.content_hash
        );
        if !self.outcomes.is_empty() {
            let _ = writeln!(out, "\noutcomes (probability, 95% Wilson interval)");
            let w = self
                .outcomes
                .iter()
                .map(|o| o.name.len())
                .max()
                .unwrap_or(0);
            for o in &self.outcomes {
                let _ = writeln!(
                    out,
                    "  {:<w$}  {:>6}  [{}, {}]",
                    o.name,
                    pct(o.probability),
                    pct(o.ci95[0]),
                    pct(o.ci95[1])
                );
            }
        }
        let finals: Vec<&MetricStats> = self
            .metrics
            .iter()
            .filter(|m| m.name.starts_with("final."))
            .collect();
        if !finals.is_empty() {
            let _ = writeln!(out, "\nfinal values (mean ± sd; median [5%, 95%])");
            let w = finals
                .iter()
                .map(|m| m.label.chars().count())
                .max()
                .unwrap_or(0)
                .min(48);
            for m in finals {
                let label: String = m.label.chars().take(w).collect();
                let q = m.quantiles;
                let _ = writeln!(
                    out,
                    "  {label:<w$}  {} ± {}; {} [{}, {}]",
                    num(m.mean),
                    num(m.sd),
                    num(q[2]),
                    num(q[0]),
                    num(q[4])
                );
            }
        }
        out
    }
}

/// One row per run: the run index, every metric, and the first step each outcome was reached
/// (empty when it was not).
pub fn runs_csv(model: &Model, e: &Ensemble) -> String {
    let cols = metric_columns(model, &e.summaries);
    let mut out = String::from("run");
    for c in &cols {
        let _ = write!(out, ",{}", c.name);
    }
    for o in &model.outcomes {
        let _ = write!(out, ",first_step.{}", o.name);
    }
    out.push('\n');
    for (i, r) in e.summaries.iter().enumerate() {
        let _ = write!(out, "{}", r.run);
        for c in &cols {
            let _ = write!(out, ",{}", c.values[i]);
        }
        for reached in &r.reached {
            match reached {
                Some(t) => {
                    let _ = write!(out, ",{t}");
                }
                None => out.push(','),
            }
        }
        out.push('\n');
    }
    out
}
