//! Comparisons between scenario variants: per metric and per outcome, the variant minus the
//! baseline with a 95 % interval, and a headline in words.
//!
//! Two sources: ensembles run here with the same seeds (paired: run i of each variant shares its
//! random numbers, so per-run differences cancel the noise both share), or saved ensemble
//! reports (unpaired: Welch's interval for means, Newcombe's for proportions).

use super::ensemble::{metric_columns, outcome_columns, EnsembleReport};
use super::number::num;
use crate::ensemble::Ensemble;
use crate::model::Model;
use crate::stats::{self, Interval, Summary};
use serde::Serialize;
use std::fmt::Write;

/// Name of the JSON format of a comparison.
pub const FORMAT: &str = "detente-comparison";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub format: &'static str,
    pub format_version: u32,
    pub detente_version: &'static str,
    /// Whether variants were run with common random numbers (paired intervals).
    pub paired: bool,
    pub runs: u64,
    pub seed: Option<u64>,
    pub baseline: String,
    pub variants: Vec<VariantComparison>,
}

#[derive(Clone, Debug, Serialize)]
pub struct VariantComparison {
    pub name: String,
    pub metrics: Vec<Difference>,
    pub outcomes: Vec<Difference>,
    /// Metrics or outcomes one side has and the other has not.
    pub not_compared: Vec<String>,
}

/// Baseline and variant value of one metric (or outcome probability) and their difference.
#[derive(Clone, Debug, Serialize)]
pub struct Difference {
    pub name: String,
    pub label: String,
    pub baseline: f64,
    pub variant: f64,
    /// variant − baseline.
    pub difference: f64,
    pub ci95: [f64; 2],
}

impl Difference {
    /// +1 if the interval lies above zero, -1 below, 0 if it covers zero.
    pub fn direction(&self) -> i8 {
        if self.ci95[0] > 0.0 {
            1
        } else if self.ci95[1] < 0.0 {
            -1
        } else {
            0
        }
    }
}

fn diff(name: &str, label: &str, baseline: f64, variant: f64, ci: Interval) -> Difference {
    Difference {
        name: name.into(),
        label: label.into(),
        baseline,
        variant,
        difference: variant - baseline,
        ci95: [ci.lo, ci.hi],
    }
}

/// A variant run here: its label, model and ensemble.
pub struct Run<'a> {
    pub label: String,
    pub model: &'a Model,
    pub ensemble: &'a Ensemble,
}

/// Paired comparison of ensembles run with the same seed and number of runs.
pub fn paired(runs: &[Run]) -> Comparison {
    let base = &runs[0];
    let base_metrics = metric_columns(base.model, &base.ensemble.summaries);
    let base_outcomes = outcome_columns(base.model, &base.ensemble.summaries);
    let variants = runs[1..]
        .iter()
        .map(|v| {
            let metrics = metric_columns(v.model, &v.ensemble.summaries);
            let outcomes = outcome_columns(v.model, &v.ensemble.summaries);
            let mut not_compared = Vec::new();
            let mut m_out = Vec::new();
            for b in &base_metrics {
                match metrics.iter().find(|m| m.name == b.name) {
                    Some(m) => {
                        let (s, ci) = stats::paired_ci(&m.values, &b.values);
                        let (mb, mv) = (
                            stats::summarize(&b.values).mean,
                            stats::summarize(&m.values).mean,
                        );
                        let mut d = diff(&b.name, &b.label, mb, mv, ci);
                        d.difference = s.mean;
                        m_out.push(d);
                    }
                    None => not_compared.push(b.name.clone()),
                }
            }
            not_compared.extend(
                metrics
                    .iter()
                    .filter(|m| !base_metrics.iter().any(|b| b.name == m.name))
                    .map(|m| m.name.clone()),
            );
            let mut o_out = Vec::new();
            for (name, b) in &base_outcomes {
                match outcomes.iter().find(|(n, _)| n == name) {
                    Some((_, o)) => {
                        let (s, ci) = stats::paired_ci(o, b);
                        let (pb, pv) = (stats::summarize(b).mean, stats::summarize(o).mean);
                        let mut d = diff(name, &format!("P({name})"), pb, pv, ci);
                        d.difference = s.mean;
                        o_out.push(d);
                    }
                    None => not_compared.push(format!("outcome.{name}")),
                }
            }
            VariantComparison {
                name: v.label.clone(),
                metrics: m_out,
                outcomes: o_out,
                not_compared,
            }
        })
        .collect();
    Comparison {
        format: FORMAT,
        format_version: FORMAT_VERSION,
        detente_version: env!("CARGO_PKG_VERSION"),
        paired: true,
        runs: base.ensemble.runs,
        seed: Some(base.ensemble.seed),
        baseline: base.label.clone(),
        variants,
    }
}

/// Unpaired comparison of saved ensemble reports. Fails when they do not describe the same
/// things (different series, outcomes or actors).
pub fn unpaired(reports: &[(String, EnsembleReport)]) -> Result<Comparison, String> {
    let (base_label, base) = &reports[0];
    let series_of = |r: &EnsembleReport| {
        r.bands
            .series
            .iter()
            .map(|s| s.name.clone())
            .collect::<Vec<_>>()
    };
    let outcomes_of = |r: &EnsembleReport| {
        r.outcomes
            .iter()
            .map(|o| o.name.clone())
            .collect::<Vec<_>>()
    };
    for (label, r) in &reports[1..] {
        if series_of(r) != series_of(base) {
            return Err(format!(
                "{label} and {base_label} follow different series ({} vs {}): not comparable",
                series_of(r).join(", "),
                series_of(base).join(", ")
            ));
        }
        if outcomes_of(r) != outcomes_of(base) {
            return Err(format!(
                "{label} and {base_label} have different outcomes ({} vs {}): not comparable",
                outcomes_of(r).join(", "),
                outcomes_of(base).join(", ")
            ));
        }
        if r.scenario.actors != base.scenario.actors {
            return Err(format!(
                "{label} has {} actors and {base_label} {}: not comparable",
                r.scenario.actors, base.scenario.actors
            ));
        }
    }
    let variants = reports[1..]
        .iter()
        .map(|(label, r)| {
            let mut not_compared = Vec::new();
            let mut metrics = Vec::new();
            for b in &base.metrics {
                match r.metrics.iter().find(|m| m.name == b.name) {
                    Some(m) => {
                        let sa = Summary {
                            n: m.n,
                            mean: m.mean,
                            sd: m.sd,
                        };
                        let sb = Summary {
                            n: b.n,
                            mean: b.mean,
                            sd: b.sd,
                        };
                        metrics.push(diff(
                            &b.name,
                            &b.label,
                            b.mean,
                            m.mean,
                            stats::welch_ci(sa, sb),
                        ));
                    }
                    None => not_compared.push(b.name.clone()),
                }
            }
            not_compared.extend(
                r.metrics
                    .iter()
                    .filter(|m| !base.metrics.iter().any(|b| b.name == m.name))
                    .map(|m| m.name.clone()),
            );
            let outcomes = base
                .outcomes
                .iter()
                .zip(&r.outcomes)
                .map(|(b, o)| {
                    let ci = stats::newcombe(o.reached, o.runs, b.reached, b.runs);
                    diff(
                        &b.name,
                        &format!("P({})", b.name),
                        b.probability,
                        o.probability,
                        ci,
                    )
                })
                .collect();
            VariantComparison {
                name: label.clone(),
                metrics,
                outcomes,
                not_compared,
            }
        })
        .collect();
    let runs = reports.iter().map(|(_, r)| r.runs).min().unwrap_or(0);
    Ok(Comparison {
        format: FORMAT,
        format_version: FORMAT_VERSION,
        detente_version: env!("CARGO_PKG_VERSION"),
        paired: false,
        runs,
        seed: None,
        baseline: base_label.clone(),
        variants,
    })
}

/// A difference and its half-width in a sentence: probabilities in percentage points, other
/// values with enough decimals to show the half-width to two significant digits.
fn amounts(d: f64, half: f64, probability: bool) -> (String, String) {
    let (d, half, unit) = if probability {
        (100.0 * d, 100.0 * half, " percentage points")
    } else {
        (d, half, "")
    };
    let decimals = if half > 0.0 {
        (1.0 - half.log10().floor()).clamp(1.0, 9.0) as usize
    } else if probability {
        1
    } else {
        3
    };
    (
        format!("{d:.decimals$}{unit}"),
        format!("{half:.decimals$}{unit}"),
    )
}

impl Comparison {
    /// Per variant: one sentence per outcome or final value it moves (the interval excludes
    /// zero), then one line listing what it does not move significantly.
    pub fn headlines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for v in &self.variants {
            let mut unmoved = Vec::new();
            for d in v
                .outcomes
                .iter()
                .chain(v.metrics.iter().filter(|m| m.name.starts_with("final.")))
            {
                let probability = d.label.starts_with("P(");
                let half = (d.ci95[1] - d.ci95[0]) / 2.0;
                let (size, pm) = amounts(d.difference.abs(), half, probability);
                match d.direction() {
                    0 => unmoved.push(d.label.clone()),
                    dir => out.push(format!(
                        "{} {} {} by {size} ± {pm} (95% CI) vs {}",
                        v.name,
                        if dir > 0 { "raises" } else { "lowers" },
                        d.label,
                        self.baseline
                    )),
                }
            }
            if !unmoved.is_empty() {
                out.push(format!(
                    "{}: no significant difference in {} vs {}",
                    v.name,
                    unmoved.join(", "),
                    self.baseline
                ));
            }
        }
        out
    }

    pub fn to_json(&self) -> String {
        super::json::to_string(self)
    }

    /// A table for people, as Markdown: outcomes and final values, or every metric with `all`.
    pub fn to_markdown(&self, all: bool) -> String {
        let mut out = String::new();
        let how = if self.paired {
            format!(
                "paired: {} runs each with common random numbers (seed {})",
                self.runs,
                self.seed.unwrap_or(0)
            )
        } else {
            "unpaired: saved reports (Welch's interval for means, Newcombe's for probabilities)"
                .to_string()
        };
        let _ = writeln!(out, "# Comparison against {}\n\n{how}. Differences are variant − baseline with 95% intervals.\n", self.baseline);
        for h in self.headlines() {
            let _ = writeln!(out, "- {h}");
        }
        let _ = writeln!(
            out,
            "\n| variant | metric | baseline | variant | difference | 95% CI |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---|");
        for v in &self.variants {
            for d in v.outcomes.iter().chain(
                v.metrics
                    .iter()
                    .filter(|m| all || m.name.starts_with("final.")),
            ) {
                let mark = match d.direction() {
                    0 => "",
                    _ => " *",
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {}{mark} | [{}, {}] |",
                    v.name,
                    d.label,
                    num(d.baseline),
                    num(d.variant),
                    num(d.difference),
                    num(d.ci95[0]),
                    num(d.ci95[1])
                );
            }
            if !v.not_compared.is_empty() {
                let _ = writeln!(
                    out,
                    "| {} | only on one side: {} | | | | |",
                    v.name,
                    v.not_compared.join(", ")
                );
            }
        }
        let _ = writeln!(out, "\n`*`: the interval excludes zero.");
        if !all {
            let _ = writeln!(
                out,
                "Peaks, means over time and action counts: `--all`, or `--format json`."
            );
        }
        out
    }

    /// Checks a `--fail-if` condition: `"<metric> increases"` or `"<metric> decreases"`, where
    /// the metric is a metric name (`final.x`, `peak.x`, `mean.x`, `actions.a`) or
    /// `outcome.<name>`. Returns the variants for which it holds (the interval lies entirely on
    /// that side of zero), or an error for a condition that names nothing.
    pub fn failing(&self, condition: &str) -> Result<Vec<String>, String> {
        let words: Vec<&str> = condition.split_whitespace().collect();
        let [metric, direction] = words.as_slice() else {
            return Err(format!("--fail-if: expected \"<metric> increases\" or \"<metric> decreases\", found \"{condition}\""));
        };
        let want = match *direction {
            "increases" => 1,
            "decreases" => -1,
            other => {
                return Err(format!(
                    "--fail-if: expected `increases` or `decreases`, found `{other}`"
                ))
            }
        };
        let mut known = false;
        let mut hits = Vec::new();
        for v in &self.variants {
            let found = match metric.strip_prefix("outcome.") {
                Some(o) => v.outcomes.iter().find(|d| d.name == o),
                None => v.metrics.iter().find(|d| d.name == *metric),
            };
            if let Some(d) = found {
                known = true;
                if d.direction() == want {
                    hits.push(v.name.clone());
                }
            }
        }
        if !known {
            let names: Vec<String> = self
                .variants
                .first()
                .map(|v| {
                    v.metrics
                        .iter()
                        .map(|d| d.name.clone())
                        .chain(v.outcomes.iter().map(|d| format!("outcome.{}", d.name)))
                        .collect()
                })
                .unwrap_or_default();
            let hint = crate::diag::did_you_mean(metric, names.iter().map(String::as_str))
                .map_or(String::new(), |b| format!("; did you mean `{b}`?"));
            return Err(format!(
                "--fail-if: no metric `{metric}` in this comparison{hint}"
            ));
        }
        Ok(hits)
    }
}
