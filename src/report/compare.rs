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
use crate::stats::{self, Summary};
use serde::{Serialize, Serializer};

/// Name of the JSON format of a comparison.
pub const FORMAT: &str = "detente-comparison";
/// Version of that format; bumped on any incompatible change (2: intervals as `ci` at `level`,
/// with `method`, `p_value`, `significant` and `identical` per difference, and the adjustment).
pub const FORMAT_VERSION: u32 = 2;

/// The family-wise error rate of a comparison's decisions: 5 %, so 95 % intervals unadjusted.
pub const ALPHA: f64 = 0.05;

/// How the decisions of one comparison are adjusted for testing many differences at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Adjustment {
    /// Each difference on its own, at 95 %.
    #[default]
    None,
    /// Holm–Bonferroni over every difference of the comparison (every variant × metric and
    /// outcome): [`stats::holm`].
    Holm,
}

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
    /// How the decisions were adjusted for multiplicity.
    pub adjustment: Adjustment,
    /// The methods used, in words with their references (one line each).
    pub methods: Vec<String>,
    /// Every other variant against the baseline, in the order given.
    pub variants: Vec<VariantComparison>,
}

/// One variant against the baseline.
#[derive(Clone, Debug, Serialize)]
pub struct VariantComparison {
    /// The variant's label.
    pub name: String,
    /// Whether the variant's compiled model is the baseline's (paired comparisons only): then
    /// every difference is zero by construction, and the variant probably does not say what it
    /// was meant to.
    pub same_model: bool,
    /// Per metric both sides have, in the baseline's order: variant minus baseline.
    pub metrics: Vec<Difference>,
    /// Per outcome both sides have, in the baseline's order: the difference of the
    /// probabilities of reaching it.
    pub outcomes: Vec<Difference>,
    /// Ids of the metrics and outcomes one side has and the other has not.
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
    /// The method that gives both the interval and the decision ([`stats::DiffTest::method`]):
    /// `paired-t` for metrics and `newcombe-paired` for outcomes when paired; `welch` and
    /// `newcombe` for saved reports.
    pub method: &'static str,
    /// The interval for the difference, `[lo, hi]`, at confidence `level`.
    pub ci: [f64; 2],
    /// The interval's confidence level: 0.95, or higher under an adjustment (Holm's level for
    /// this difference's rank).
    pub level: f64,
    /// The two-sided p-value of "no difference" of the same method (Holm-adjusted under
    /// `--adjust holm`).
    pub p_value: f64,
    /// Whether the interval excludes zero: the decision, the same one `--fail-if` uses.
    pub significant: bool,
    /// Whether the two sides agree in every run (paired only): no difference at all, rather
    /// than one too small to tell.
    pub identical: bool,
    /// What the interval is computed from, to recompute it at another level.
    #[serde(skip)]
    test: stats::DiffTest,
}

impl Difference {
    /// +1 if the variant is significantly above the baseline, -1 below, 0 otherwise.
    pub fn direction(&self) -> i8 {
        if !self.significant {
            0
        } else if self.ci[0] > 0.0 {
            1
        } else {
            -1
        }
    }

    /// Whether every run differs by the same non-zero amount (paired, no spread): the
    /// difference is exact, not estimated.
    pub fn constant(&self) -> bool {
        !self.identical && self.ci[0] == self.ci[1]
    }

    fn new(id: &MetricId, label: &str, baseline: f64, variant: f64, test: stats::DiffTest) -> Self {
        let mut d = Difference {
            id: id.clone(),
            label: label.into(),
            baseline,
            variant,
            difference: test.estimate(),
            method: test.method(),
            ci: [0.0; 2],
            level: 0.0,
            p_value: test.p_value(),
            significant: false,
            identical: test.identical(),
            test,
        };
        d.decide(1.0 - ALPHA);
        d
    }

    /// Sets the interval at `level` and the decision it shows.
    fn decide(&mut self, level: f64) {
        let ci = self.test.interval(level);
        self.ci = [ci.lo, ci.hi];
        self.level = level;
        self.significant = !self.identical && !ci.contains(0.0);
    }
}

/// An outcome's difference is named by the outcome alone in JSON, a metric's by its id.
fn json_name<S: Serializer>(id: &MetricId, serializer: S) -> Result<S::Ok, S::Error> {
    match id.kind {
        MetricKind::Outcome => serializer.serialize_str(&id.name),
        _ => serializer.collect_str(id),
    }
}

/// The paired difference of each baseline column from the variant's column of the same metric
/// (outcomes as their 2×2 table); the ids of baseline columns the variant lacks go to
/// `not_compared`.
fn paired_differences(
    base: &[MetricColumn],
    variant: &[MetricColumn],
    not_compared: &mut Vec<String>,
) -> Vec<Difference> {
    let mut out = Vec::new();
    for b in base {
        match variant.iter().find(|m| m.id == b.id) {
            Some(m) => {
                let test = if b.id.kind == MetricKind::Outcome {
                    stats::DiffTest::NewcombePaired(table(&m.values, &b.values))
                } else {
                    stats::DiffTest::PairedT(stats::paired_ci(&m.values, &b.values).0)
                };
                let (mb, mv) = (
                    stats::summarize(&b.values).mean,
                    stats::summarize(&m.values).mean,
                );
                out.push(Difference::new(&b.id, &b.label, mb, mv, test));
            }
            None => not_compared.push(b.id.to_string()),
        }
    }
    out
}

/// The 2×2 table of paired 0/1 columns, `first` (the variant) against `second`.
fn table(first: &[f64], second: &[f64]) -> stats::PairedTable {
    let mut t = stats::PairedTable::default();
    for (&a, &b) in first.iter().zip(second) {
        match (a > 0.5, b > 0.5) {
            (true, true) => t.both += 1,
            (true, false) => t.first_only += 1,
            (false, true) => t.second_only += 1,
            (false, false) => t.neither += 1,
        }
    }
    t
}

/// Refuses two scenarios (or reports) whose runs differ in length or time unit: "final" would
/// mean different steps.
fn same_horizon(
    label: &str,
    (steps, unit): (u32, &str),
    base_label: &str,
    (base_steps, base_unit): (u32, &str),
) -> Result<(), ReportError> {
    if (steps, unit) != (base_steps, base_unit) {
        return Err(ReportError::NotComparable(format!(
            "{label} runs {steps} {unit}s and {base_label} {base_steps} {base_unit}s: final values and first steps would be of different times; give both the same `steps`"
        )));
    }
    Ok(())
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
    let horizon = |m: &Model| (m.steps(), m.time_unit().to_string());
    for v in &runs[1..] {
        let (a, b) = (v.ensemble, base.ensemble);
        if (a.seed, a.runs) != (b.seed, b.runs) {
            return Err(ReportError::NotComparable(format!(
                "{} has {} runs with seed {} and {} {} runs with seed {}: runs pair only with the same seed and number",
                v.label, a.runs, a.seed, base.label, b.runs, b.seed
            )));
        }
        let (h, hb) = (horizon(v.model), horizon(base.model));
        same_horizon(&v.label, (h.0, &h.1), &base.label, (hb.0, &hb.1))?;
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
            // Metrics and outcomes only the variant has are listed too.
            not_compared.extend(
                metrics
                    .iter()
                    .filter(|m| !base_metrics.iter().any(|b| b.id == m.id))
                    .map(|m| m.id.to_string()),
            );
            let o_out = paired_differences(&base_outcomes, &outcomes, &mut not_compared);
            not_compared.extend(
                outcomes
                    .iter()
                    .filter(|o| !base_outcomes.iter().any(|b| b.id == o.id))
                    .map(|o| o.id.to_string()),
            );
            VariantComparison {
                name: v.label.clone(),
                same_model: v.model.same_behaviour(base.model),
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
        adjustment: Adjustment::None,
        methods: Vec::new(),
        variants,
    }
    .with_methods())
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
        let (sc, bc) = (&r.scenario, &base.scenario);
        same_horizon(
            label,
            (sc.steps, &sc.time_unit),
            base_label,
            (bc.steps, &bc.time_unit),
        )?;
    }
    if let Some((label, r)) = reports.iter().find(|(_, r)| r.runs < 2) {
        return Err(ReportError::NotComparable(format!(
            "{label} has {} run{}: an interval needs at least 2",
            r.runs,
            if r.runs == 1 { "" } else { "s" }
        )));
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
                        let test = stats::DiffTest::Welch(sa, sb);
                        metrics.push(Difference::new(&b.id, &b.label, b.mean, m.mean, test));
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
                    let test = stats::DiffTest::Newcombe(o.reached, o.runs, b.reached, b.runs);
                    let id = MetricId::new(MetricKind::Outcome, &b.name);
                    let label = MetricKind::Outcome.label(&b.name);
                    Difference::new(&id, &label, b.probability, o.probability, test)
                })
                .collect();
            VariantComparison {
                name: label.clone(),
                same_model: false,
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
        adjustment: Adjustment::None,
        methods: Vec::new(),
        variants,
    }
    .with_methods())
}

/// A confidence level as a percentage: "95%", "98.33%".
pub fn level_label(level: f64) -> String {
    let x = 100.0 * level;
    if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}%")
    } else {
        format!("{x:.2}%")
    }
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
    } else if d > 0.0 {
        // An exact difference (no spread): six significant digits.
        (5.0 - d.log10().floor()).clamp(1.0, 12.0) as usize
    } else {
        1
    };
    (
        format!("{d:.decimals$}{unit}"),
        format!("{half:.decimals$}{unit}"),
    )
}

impl Comparison {
    /// Every difference, variant by variant, metrics then outcomes.
    fn differences_mut(&mut self) -> impl Iterator<Item = &mut Difference> {
        self.variants
            .iter_mut()
            .flat_map(|v| v.metrics.iter_mut().chain(v.outcomes.iter_mut()))
    }

    /// The comparison with its decisions adjusted for multiplicity: under [`Adjustment::Holm`],
    /// Holm's step-down over every difference of the comparison, each interval shown at the
    /// level its decision was made at, and p-values adjusted. [`Adjustment::None`] gives the
    /// unadjusted 95 % decisions back.
    pub fn adjusted(mut self, adjustment: Adjustment) -> Comparison {
        self.adjustment = adjustment;
        for d in self.differences_mut() {
            d.p_value = d.test.p_value();
            d.decide(1.0 - ALPHA);
        }
        if adjustment == Adjustment::Holm {
            let p: Vec<f64> = self.differences_mut().map(|d| d.p_value).collect();
            let adjusted = stats::holm(&p, ALPHA);
            for (d, (p, level)) in self.differences_mut().zip(adjusted) {
                d.p_value = p;
                d.decide(level);
            }
        }
        self.with_methods()
    }

    /// Fills in [`Comparison::methods`]: each method used, with its reference, and the
    /// adjustment.
    fn with_methods(mut self) -> Comparison {
        let mut methods: Vec<String> = Vec::new();
        for d in self.differences_mut() {
            let line = format!("{}: {}", d.method, d.test.description());
            if !methods.contains(&line) {
                methods.push(line);
            }
        }
        methods.push(match self.adjustment {
            Adjustment::None => "decisions: each difference at 95%, unadjusted".to_string(),
            Adjustment::Holm => format!(
                "decisions: Holm–Bonferroni over all {} differences (Holm 1979), family-wise error 5%; each interval at the level of its step",
                self.differences_mut().count()
            ),
        });
        self.methods = methods;
        self
    }

    /// Per variant: one sentence per outcome or final value it moves (the interval excludes
    /// zero), then one line listing what it does not move significantly.
    pub fn headlines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for v in &self.variants {
            let mut unmoved = Vec::new();
            if v.same_model {
                out.push(format!(
                    "{}: its compiled model is identical to {}'s, so every difference is zero by construction (does the variant override what it means to?)",
                    v.name, self.baseline
                ));
                continue;
            }
            let mut identical = Vec::new();
            for d in v
                .outcomes
                .iter()
                .chain(v.metrics.iter().filter(|m| m.id.kind == MetricKind::Final))
            {
                let probability = d.id.kind == MetricKind::Outcome;
                let half = (d.ci[1] - d.ci[0]) / 2.0;
                let (size, pm) = amounts(d.difference.abs(), half, probability);
                let level = format!("{} CI", level_label(d.level));
                match d.direction() {
                    _ if d.identical => identical.push(d.label.clone()),
                    0 => unmoved.push(d.label.clone()),
                    dir if d.constant() => out.push(format!(
                        "{} {} {} by {size} in every run vs {}",
                        v.name,
                        if dir > 0 { "raises" } else { "lowers" },
                        d.label,
                        self.baseline
                    )),
                    dir => out.push(format!(
                        "{} {} {} by {size} ± {pm} ({level}) vs {}",
                        v.name,
                        if dir > 0 { "raises" } else { "lowers" },
                        d.label,
                        self.baseline
                    )),
                }
            }
            if !identical.is_empty() {
                out.push(format!(
                    "{}: identical to {} in every run in {}",
                    v.name,
                    self.baseline,
                    identical.join(", ")
                ));
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
