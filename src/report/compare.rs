//! Comparisons between scenario variants: per metric and per outcome, the variant minus the
//! baseline with a 95 % interval, headlines in words, and `--fail-if` conditions. Rendering is
//! the exporters' job.
//!
//! Two sources: ensembles run here with the same seeds (paired: run i of each variant shares its
//! random numbers, so per-run differences cancel the noise both share), or saved ensemble
//! reports (unpaired: Welch's interval for means, Newcombe's for proportions).

use super::ensemble::{metric_columns, outcome_columns, EnsembleReport, MetricColumn};
use super::error::ReportError;
use super::metric::{MetricId, MetricKind};
use crate::ensemble::Ensemble;
use crate::model::Model;
use crate::stats::{self, Interval, Summary};
use serde::{Serialize, Serializer};

/// Name of the JSON format of a comparison.
pub const FORMAT: &str = "detente-comparison";
/// Version of that format; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// Variants against a baseline: the `detente-comparison` JSON format.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The version of detente that made the comparison.
    pub detente_version: &'static str,
    /// Whether variants were run with common random numbers (paired intervals).
    pub paired: bool,
    /// Runs per variant: the baseline's when paired, the fewest of any report when unpaired.
    pub runs: u64,
    /// The common seed when paired; `None` for saved reports.
    pub seed: Option<u64>,
    /// The baseline's label.
    pub baseline: String,
    /// Every other variant against the baseline, in the order given.
    pub variants: Vec<VariantComparison>,
}

/// One variant against the baseline.
#[derive(Clone, Debug, Serialize)]
pub struct VariantComparison {
    /// The variant's label.
    pub name: String,
    /// Per metric both sides have, in the baseline's order: variant minus baseline.
    pub metrics: Vec<Difference>,
    /// Per outcome both sides have, in the baseline's order: the difference of the
    /// probabilities of reaching it.
    pub outcomes: Vec<Difference>,
    /// Ids of the metrics one side has and the other has not, and of outcomes only the
    /// baseline has.
    pub not_compared: Vec<String>,
}

/// Baseline and variant value of one metric (or outcome probability) and their difference.
#[derive(Clone, Debug, Serialize)]
pub struct Difference {
    /// Which metric or outcome. In JSON, `name`: the metric id, or the outcome's bare name
    /// (outcomes are listed apart).
    #[serde(rename = "name", serialize_with = "json_name")]
    pub id: MetricId,
    /// For people: e.g. "final tension(LTU, BLR)" or "P(normalization)".
    pub label: String,
    /// The baseline's mean across runs (for an outcome, its probability).
    pub baseline: f64,
    /// The variant's mean across runs (for an outcome, its probability).
    pub variant: f64,
    /// variant − baseline (when paired, the mean of the per-run differences).
    pub difference: f64,
    /// The 95 % interval for the difference, as `[lo, hi]`: paired t on per-run differences
    /// ([`stats::paired_ci`]) when paired; unpaired, Welch's for metrics ([`stats::welch_ci`])
    /// and Newcombe's for outcomes ([`stats::newcombe`]).
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

/// An outcome's difference is named by the outcome alone in JSON, a metric's by its id.
fn json_name<S: Serializer>(id: &MetricId, serializer: S) -> Result<S::Ok, S::Error> {
    match id.kind {
        MetricKind::Outcome => serializer.serialize_str(&id.name),
        _ => serializer.collect_str(id),
    }
}

fn diff(id: &MetricId, label: &str, baseline: f64, variant: f64, ci: Interval) -> Difference {
    Difference {
        id: id.clone(),
        label: label.into(),
        baseline,
        variant,
        difference: variant - baseline,
        ci95: [ci.lo, ci.hi],
    }
}

/// The paired difference of each baseline column from the variant's column of the same metric;
/// the ids of baseline columns the variant lacks go to `not_compared`.
fn paired_differences(
    base: &[MetricColumn],
    variant: &[MetricColumn],
    not_compared: &mut Vec<String>,
) -> Vec<Difference> {
    let mut out = Vec::new();
    for b in base {
        match variant.iter().find(|m| m.id == b.id) {
            Some(m) => {
                let (s, ci) = stats::paired_ci(&m.values, &b.values);
                let (mb, mv) = (
                    stats::summarize(&b.values).mean,
                    stats::summarize(&m.values).mean,
                );
                let mut d = diff(&b.id, &b.label, mb, mv, ci);
                d.difference = s.mean;
                out.push(d);
            }
            None => not_compared.push(b.id.to_string()),
        }
    }
    out
}

/// A variant run here: its label, model and ensemble.
pub struct Run<'a> {
    /// The name the variant goes by in the comparison.
    pub label: String,
    /// The variant's compiled scenario.
    pub model: &'a Model,
    /// Its ensemble, run with the same seed and number of runs as the others.
    pub ensemble: &'a Ensemble,
}

/// Paired comparison of ensembles run with the same seed and number of runs: `runs[0]` is the
/// baseline, every other entry a variant. Each difference's interval is the paired t interval
/// of the per-run differences (outcomes as 0/1 per run).
///
/// # Errors
///
/// [`ReportError::NotComparable`] when a variant's ensemble has another seed or number of runs
/// than the baseline's: its runs would not pair.
///
/// # Panics
///
/// If `runs` is empty.
pub fn paired(runs: &[Run]) -> Result<Comparison, ReportError> {
    let base = &runs[0];
    for v in &runs[1..] {
        let (a, b) = (v.ensemble, base.ensemble);
        if (a.seed, a.runs) != (b.seed, b.runs) {
            return Err(ReportError::NotComparable(format!(
                "{} has {} runs with seed {} and {} {} runs with seed {}: runs pair only with the same seed and number",
                v.label, a.runs, a.seed, base.label, b.runs, b.seed
            )));
        }
    }
    let base_metrics = metric_columns(base.model, &base.ensemble.summaries);
    let base_outcomes = outcome_columns(base.model, &base.ensemble.summaries);
    let variants = runs[1..]
        .iter()
        .map(|v| {
            let metrics = metric_columns(v.model, &v.ensemble.summaries);
            let outcomes = outcome_columns(v.model, &v.ensemble.summaries);
            let mut not_compared = Vec::new();
            let m_out = paired_differences(&base_metrics, &metrics, &mut not_compared);
            // Metrics only the variant has are listed too; outcomes only it has are not.
            not_compared.extend(
                metrics
                    .iter()
                    .filter(|m| !base_metrics.iter().any(|b| b.id == m.id))
                    .map(|m| m.id.to_string()),
            );
            let o_out = paired_differences(&base_outcomes, &outcomes, &mut not_compared);
            VariantComparison {
                name: v.label.clone(),
                metrics: m_out,
                outcomes: o_out,
                not_compared,
            }
        })
        .collect();
    Ok(Comparison {
        format: FORMAT,
        format_version: FORMAT_VERSION,
        detente_version: env!("CARGO_PKG_VERSION"),
        paired: true,
        runs: base.ensemble.runs,
        seed: Some(base.ensemble.seed),
        baseline: base.label.clone(),
        variants,
    })
}

/// Unpaired comparison of saved ensemble reports: `reports[0]` is the baseline, every other
/// entry a variant, each with its label. Metrics get Welch's interval, outcomes Newcombe's.
///
/// # Errors
///
/// When a report does not describe the same things as the baseline: different series,
/// outcomes, or number of actors.
///
/// # Panics
///
/// If `reports` is empty.
pub fn unpaired(reports: &[(String, EnsembleReport)]) -> Result<Comparison, ReportError> {
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
            return Err(ReportError::NotComparable(format!(
                "{label} and {base_label} follow different series ({} vs {})",
                series_of(r).join(", "),
                series_of(base).join(", ")
            )));
        }
        if outcomes_of(r) != outcomes_of(base) {
            return Err(ReportError::NotComparable(format!(
                "{label} and {base_label} have different outcomes ({} vs {})",
                outcomes_of(r).join(", "),
                outcomes_of(base).join(", ")
            )));
        }
        if r.scenario.actors != base.scenario.actors {
            return Err(ReportError::NotComparable(format!(
                "{label} has {} actors and {base_label} {}",
                r.scenario.actors, base.scenario.actors
            )));
        }
    }
    let variants = reports[1..]
        .iter()
        .map(|(label, r)| {
            let mut not_compared = Vec::new();
            let mut metrics = Vec::new();
            for b in &base.metrics {
                match r.metrics.iter().find(|m| m.id == b.id) {
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
                            &b.id,
                            &b.label,
                            b.mean,
                            m.mean,
                            stats::welch_ci(sa, sb),
                        ));
                    }
                    None => not_compared.push(b.id.to_string()),
                }
            }
            not_compared.extend(
                r.metrics
                    .iter()
                    .filter(|m| !base.metrics.iter().any(|b| b.id == m.id))
                    .map(|m| m.id.to_string()),
            );
            let outcomes = base
                .outcomes
                .iter()
                .zip(&r.outcomes)
                .map(|(b, o)| {
                    let ci = stats::newcombe(o.reached, o.runs, b.reached, b.runs);
                    let id = MetricId::new(MetricKind::Outcome, &b.name);
                    let label = MetricKind::Outcome.label(&b.name);
                    diff(&id, &label, b.probability, o.probability, ci)
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
                .chain(v.metrics.iter().filter(|m| m.id.kind == MetricKind::Final))
            {
                let probability = d.id.kind == MetricKind::Outcome;
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

    /// Checks a `--fail-if` condition: `"<metric> increases"` or `"<metric> decreases"`, where
    /// the metric is a metric name (`final.x`, `peak.x`, `mean.x`, `actions.a`) or
    /// `outcome.<name>`. Returns the names of the variants for which it holds (the interval lies
    /// entirely on that side of zero).
    ///
    /// # Errors
    ///
    /// When the condition is not two words ending in `increases` or `decreases`, or names no
    /// metric or outcome of this comparison (with a did-you-mean hint where one is close).
    pub fn failing(&self, condition: &str) -> Result<Vec<String>, ReportError> {
        let words: Vec<&str> = condition.split_whitespace().collect();
        let [metric, direction] = words.as_slice() else {
            return Err(ReportError::Condition(format!(
                "expected \"<metric> increases\" or \"<metric> decreases\", found \"{condition}\""
            )));
        };
        let want = match *direction {
            "increases" => 1,
            "decreases" => -1,
            other => {
                return Err(ReportError::Condition(format!(
                    "expected `increases` or `decreases`, found `{other}`"
                )))
            }
        };
        // A condition naming no metric of this comparison, parseable or not, gets a hint.
        let id = metric.parse::<MetricId>().ok();
        let mut known = false;
        let mut hits = Vec::new();
        for v in &self.variants {
            let found = id.as_ref().and_then(|id| {
                let list = match id.kind {
                    MetricKind::Outcome => &v.outcomes,
                    _ => &v.metrics,
                };
                list.iter().find(|d| d.id == *id)
            });
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
                        .chain(&v.outcomes)
                        .map(|d| d.id.to_string())
                        .collect()
                })
                .unwrap_or_default();
            let hint = crate::diag::did_you_mean(metric, names.iter().map(String::as_str))
                .map_or(String::new(), |b| format!("; did you mean `{b}`?"));
            return Err(ReportError::Condition(format!(
                "no metric `{metric}` in this comparison{hint}"
            )));
        }
        Ok(hits)
    }
}
