//! Parameter sweeps and sensitivity analysis: run one ensemble per point of a design over
//! parameters, with common random numbers, and hand each point's results out as it finishes.
//!
//! Every point is an ensemble of the same runs with the same seed: run i draws the same keyed
//! random numbers at every point, so differences between points are the parameters' doing, not
//! the dice's. Points run one after another (each ensemble is parallel over its runs), in point
//! order, and only one point's ensemble is held at a time: what a sweep keeps is a few numbers
//! per point and output, never the ensembles. The library does no I/O: the caller compiles each
//! point's model (so a point may set anything a parameter sets) and receives each row.

pub mod analysis;
pub(crate) mod design;

use crate::diag::Diagnostics;
use crate::ensemble::{self, EnsembleError, Options};
use crate::model::Model;
use crate::report::ensemble::{metric_columns, outcome_columns};
use crate::report::metric::{MetricId, MetricKind};
use crate::stats::{self, DiffTest};
use std::ops::Range;
use std::sync::atomic::AtomicBool;

pub use design::{MAX_SOBOL_BASE, MAX_SOBOL_FACTORS};

/// One parameter a sweep varies.
#[derive(Clone, Debug, PartialEq)]
pub struct Factor {
    /// The parameter's name.
    pub name: String,
    /// The values it takes.
    pub range: FactorRange,
    /// Whether it takes whole numbers only (values are rounded).
    pub whole: bool,
}

/// The values a factor takes.
#[derive(Clone, Debug, PartialEq)]
pub enum FactorRange {
    /// Anywhere from the first to the second (`NAME=LO..HI`).
    Interval(f64, f64),
    /// One of these (`NAME=V1,V2,V3`).
    Values(Vec<f64>),
}

/// Which points a sweep runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Design {
    /// Every combination of `levels` evenly spaced values per interval (and every listed value).
    Grid {
        /// Values per interval factor.
        levels: u32,
    },
    /// One at a time: the defaults, then each factor at its lowest and highest value.
    Oat,
    /// A Latin hypercube of `points` points.
    Lhs {
        /// How many points.
        points: u32,
    },
    /// Saltelli's design for Sobol indices: `base` rows, (k + 2) × `base` points.
    Sobol {
        /// Base rows N.
        base: u32,
    },
    /// Morris trajectories: (k + 1) × `trajectories` points on a grid of `levels` levels.
    Morris {
        /// How many trajectories.
        trajectories: u32,
        /// Grid levels (even).
        levels: u32,
    },
}

impl Design {
    /// The design's name as the command line writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Design::Grid { .. } => "grid",
            Design::Oat => "oat",
            Design::Lhs { .. } => "lhs",
            Design::Sobol { .. } => "sobol",
            Design::Morris { .. } => "morris",
        }
    }
}

/// What went wrong with a sweep.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The design cannot be built as asked.
    #[error("{0}")]
    Design(String),
    /// A point's model did not compile (a value out of a parameter's range, say).
    #[error("point {point} ({values}): the scenario does not compile")]
    Model {
        /// The point's index.
        point: usize,
        /// Its parameter values, as `name=value, …`.
        values: String,
        /// What the compiler said.
        diagnostics: Diagnostics,
    },
    /// A point's ensemble failed (a value stopped being finite).
    #[error("point {point} ({values}): {error}")]
    Ensemble {
        /// The point's index.
        point: usize,
        /// Its parameter values.
        values: String,
        /// The ensemble's error.
        error: EnsembleError,
    },
    /// Stopped by the caller's flag after `completed` points.
    #[error("cancelled after {completed} points")]
    Cancelled {
        /// Points finished.
        completed: usize,
    },
    /// Receiving a row failed (e.g. the output could not be written).
    #[error("{0}")]
    Output(String),
}

/// A sweep as a scenario's `[sweep]` table gives it (checked by the compiler): what the
/// command line does not override.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// What varies.
    pub factors: Vec<Factor>,
    /// How.
    pub design: Design,
    /// Runs per point, if given.
    pub runs: Option<u64>,
    /// The runs' seed, if given.
    pub seed: Option<u64>,
    /// The design's seed, if given.
    pub design_seed: Option<u64>,
    /// The outputs (empty: every outcome and final value).
    pub metrics: Vec<MetricId>,
}

/// What a sweep measures at each point: an outcome's probability or a metric's mean.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Output {
    /// The metric id (`final.tension_ltu_blr`, `outcome.crisis`).
    pub id: MetricId,
    /// For people.
    pub label: String,
}

/// One output at one point: the estimate over the point's runs with its 95 % interval (Wilson
/// for a probability, Student t for a mean), and the variance of the estimate from run noise.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Estimate {
    /// The probability or the mean.
    pub value: f64,
    /// Its 95 % interval.
    pub ci: [f64; 2],
    /// The variance of `value` as an estimate (sd² / runs; p (1 − p) / runs).
    pub noise: f64,
}

/// One finished point.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Point {
    /// Its index in the design.
    pub index: usize,
    /// Its value of each factor.
    pub values: Vec<f64>,
    /// Each output's estimate, in [`Plan::outputs`] order.
    pub estimates: Vec<Estimate>,
}

/// A sweep ready to run: factors, design, the points, and what is measured.
#[derive(Clone, Debug)]
pub struct Plan {
    /// What varies.
    pub factors: Vec<Factor>,
    /// How.
    pub design: Design,
    /// The seed of the design's own draws (Latin hypercube, Sobol scrambling, Morris
    /// trajectories, bootstrap).
    pub design_seed: u64,
    /// The points, one value per factor each.
    pub points: Vec<Vec<f64>>,
    /// What is measured at each point.
    pub outputs: Vec<Output>,
}

impl Plan {
    /// The plan of `design` over `factors` for `model` (the scenario at its defaults), measuring
    /// `outputs` (metric ids; empty: every outcome and every final value).
    ///
    /// # Errors
    ///
    /// A factor that names no parameter of the model, a design that cannot be built (too many
    /// factors or rows for Sobol, odd Morris levels), an output the model does not have.
    pub fn new(
        model: &Model,
        factors: Vec<Factor>,
        design: Design,
        design_seed: u64,
        outputs: &[MetricId],
    ) -> Result<Plan, SweepError> {
        let mut defaults = Vec::new();
        for f in &factors {
            let value = model
                .parameters()
                .iter()
                .find(|(n, _)| *n == f.name)
                .map(|(_, v)| *v);
            let Some(v) = value else {
                let names = model.parameters().iter().map(|(n, _)| n.as_str());
                let hint = crate::diag::did_you_mean(&f.name, names)
                    .map_or(String::new(), |b| format!("; did you mean `{b}`?"));
                return Err(SweepError::Design(format!(
                    "--vary {}: the scenario has no parameter `{}`{hint}",
                    f.name, f.name
                )));
            };
            defaults.push(v);
        }
        if factors.is_empty() {
            return Err(SweepError::Design(
                "a sweep varies at least one parameter".into(),
            ));
        }
        let points = design::points(&factors, &design, &defaults, design_seed)?;
        let available = available_outputs(model);
        let outputs = if outputs.is_empty() {
            available
                .into_iter()
                .filter(|o| matches!(o.id.kind, MetricKind::Outcome | MetricKind::Final))
                .collect()
        } else {
            let mut chosen = Vec::new();
            for id in outputs {
                match available.iter().find(|o| o.id == *id) {
                    Some(o) => chosen.push(o.clone()),
                    None => {
                        let names: Vec<String> =
                            available.iter().map(|o| o.id.to_string()).collect();
                        let hint = crate::diag::did_you_mean(
                            &id.to_string(),
                            names.iter().map(String::as_str),
                        )
                        .map_or(String::new(), |b| format!("; did you mean `{b}`?"));
                        return Err(SweepError::Design(format!(
                            "--metric {id}: the scenario has no such metric{hint}"
                        )));
                    }
                }
            }
            chosen
        };
        Ok(Plan {
            factors,
            design,
            design_seed,
            points,
            outputs,
        })
    }

    /// The overrides of point `i`: each factor's value.
    pub fn overrides(&self, i: usize) -> Vec<(String, f64)> {
        self.factors
            .iter()
            .zip(&self.points[i])
            .map(|(f, &v)| (f.name.clone(), v))
            .collect()
    }

    fn describe(&self, i: usize) -> String {
        self.overrides(i)
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every outcome and metric of `model`, as outputs.
fn available_outputs(model: &Model) -> Vec<Output> {
    // The columns of no runs: just the ids and labels.
    let mut columns = outcome_columns(model, &[]);
    columns.extend(metric_columns(model, &[]));
    columns
        .into_iter()
        .map(|c| Output {
            id: c.id,
            label: c.label,
        })
        .collect()
}

/// A one-at-a-time effect: one factor from its lowest to its highest value, on one output, with
/// the paired interval of the same method `compare` uses (paired t for values, Newcombe's paired
/// score interval for outcomes).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OatEffect {
    /// Output index in [`Plan::outputs`].
    pub output: usize,
    /// Factor index.
    pub factor: usize,
    /// At the highest value minus at the lowest.
    pub effect: f64,
    /// Its paired 95 % interval.
    pub ci: [f64; 2],
    /// The method.
    pub method: String,
}

/// What a finished sweep knows besides its rows.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Each output's estimate at each point, by output then point.
    pub values: Vec<Vec<f64>>,
    /// Each output's mean run-noise variance of the point estimates.
    pub noise: Vec<f64>,
    /// One-at-a-time effects (an `oat` design).
    pub oat: Vec<OatEffect>,
}

/// Compiles the model of one point from its overrides (`name`, value).
pub type ModelOf<'a> = dyn FnMut(&[(String, f64)]) -> Result<Model, Diagnostics> + 'a;

/// Runs every point of `plan`: compiles its model with `model_of` (given the point's
/// overrides), runs `runs` runs with `seed` on `threads` threads, and hands the point to `row`
/// as soon as it is done, in point order. `progress` gets the number of points finished.
///
/// # Errors
///
/// The first point whose model does not compile or whose ensemble fails, an error from `row`,
/// or cancellation through `stop` (checked between points and inside each ensemble).
pub fn run(
    plan: &Plan,
    model_of: &mut ModelOf,
    options: Options,
    row: &mut dyn FnMut(&Point) -> Result<(), String>,
    progress: &mut dyn FnMut(usize),
    stop: &AtomicBool,
) -> Result<Summary, SweepError> {
    let mut points = Vec::with_capacity(plan.points.len());
    let mut oat = Vec::new();
    let units = plan.units().len();
    run_units(
        plan,
        model_of,
        options,
        0..units,
        &mut |done, effects| {
            for p in done {
                row(p)?;
            }
            points.extend_from_slice(done);
            oat.extend_from_slice(effects);
            Ok(())
        },
        progress,
        stop,
    )?;
    Ok(plan.summary(&points, oat))
}

/// What [`run_units`] hands each finished unit to: its points and the one-at-a-time effects
/// they complete.
pub type UnitDone<'a> = dyn FnMut(&[Point], &[OatEffect]) -> Result<(), String> + 'a;

/// Runs the units `units` of `plan` (see [`Plan::units`]; a shard's share, or what a
/// checkpoint lacks) as [`run`] does, handing each finished unit's points and the one-at-a-time
/// effects they complete to `done`, in point order. `progress` gets the number of units of
/// `units` finished.
///
/// # Errors
///
/// As [`run`]; a cancellation's `completed` counts the points finished.
pub fn run_units(
    plan: &Plan,
    model_of: &mut ModelOf,
    options: Options,
    units: Range<usize>,
    done: &mut UnitDone,
    progress: &mut dyn FnMut(usize),
    stop: &AtomicBool,
) -> Result<(), SweepError> {
    let all = plan.units();
    let mut finished = 0;
    for (u, unit) in all[units.start.min(all.len())..units.end.min(all.len())]
        .iter()
        .enumerate()
    {
        let mut points = Vec::with_capacity(unit.len());
        let mut columns = Vec::with_capacity(unit.len());
        for i in unit.clone() {
            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(SweepError::Cancelled {
                    completed: finished,
                });
            }
            let model = model_of(&plan.overrides(i)).map_err(|diagnostics| SweepError::Model {
                point: i,
                values: plan.describe(i),
                diagnostics,
            })?;
            let e =
                ensemble::run(&model, options, &mut |_| {}, stop).map_err(|error| match error {
                    EnsembleError::Cancelled { .. } => SweepError::Cancelled {
                        completed: finished,
                    },
                    error => SweepError::Ensemble {
                        point: i,
                        values: plan.describe(i),
                        error,
                    },
                })?;
            let c = output_columns(&model, &e, &plan.outputs);
            let estimates: Vec<Estimate> = plan
                .outputs
                .iter()
                .zip(&c)
                .map(|(o, c)| estimate(o.id.kind == MetricKind::Outcome, c))
                .collect();
            points.push(Point {
                index: i,
                values: plan.points[i].clone(),
                estimates,
            });
            columns.push(c);
        }
        let mut effects = Vec::new();
        if plan.design == Design::Oat && unit.len() == 2 {
            // Points 2f + 1 and 2f + 2 are factor f at its lowest and highest.
            oat_effects(
                plan,
                (unit.start - 1) / 2,
                &columns[0],
                &columns[1],
                &mut effects,
            );
        }
        done(&points, &effects).map_err(SweepError::Output)?;
        finished += points.len();
        progress(units.start + u + 1);
    }
    Ok(())
}

impl Plan {
    /// The units of work a sweep is split into, in point order: each point alone, but for a
    /// one-at-a-time design, whose effects pair a factor's lowest and highest points: the base
    /// point, then points 2f + 1 and 2f + 2 together for each factor f. Shards and checkpoints
    /// never split a unit.
    pub fn units(&self) -> Vec<Range<usize>> {
        let n = self.points.len();
        if self.design == Design::Oat && n > 0 {
            std::iter::once(0..1)
                .chain((1..n).step_by(2).map(|i| i..(i + 2).min(n)))
                .collect()
        } else {
            (0..n).map(|i| i..i + 1).collect()
        }
    }

    /// What a sweep knows besides its rows, from all of its points (in point order) and its
    /// one-at-a-time effects (in factor order).
    pub fn summary(&self, points: &[Point], oat: Vec<OatEffect>) -> Summary {
        let mut summary = Summary {
            values: vec![Vec::with_capacity(points.len()); self.outputs.len()],
            noise: vec![0.0; self.outputs.len()],
            oat,
        };
        for p in points {
            for (k, est) in p.estimates.iter().enumerate() {
                summary.values[k].push(est.value);
                summary.noise[k] += est.noise / self.points.len() as f64;
            }
        }
        summary
    }
}

/// Per output, its value in each run of the ensemble (outcomes as 0/1).
fn output_columns(model: &Model, e: &ensemble::Ensemble, outputs: &[Output]) -> Vec<Vec<f64>> {
    let mut all = outcome_columns(model, &e.summaries);
    all.extend(metric_columns(model, &e.summaries));
    outputs
        .iter()
        .map(|o| {
            all.iter()
                .find(|c| c.id == o.id)
                .map(|c| c.values.clone())
                .unwrap_or_default()
        })
        .collect()
}

/// A point's estimate of one output from its per-run values.
fn estimate(probability: bool, values: &[f64]) -> Estimate {
    let n = values.len() as u64;
    if probability {
        let k = values.iter().filter(|&&v| v > 0.5).count() as u64;
        let p = k as f64 / n.max(1) as f64;
        let w = stats::wilson(k, n);
        Estimate {
            value: p,
            ci: [w.lo, w.hi],
            noise: p * (1.0 - p) / n.max(1) as f64,
        }
    } else {
        let s = stats::summarize(values);
        let ci = stats::mean_ci(s);
        Estimate {
            value: s.mean,
            ci: [ci.lo, ci.hi],
            noise: s.sd * s.sd / n.max(1) as f64,
        }
    }
}

/// The one-at-a-time effects of factor `f` on every output, from its low and high points'
/// per-run values.
fn oat_effects(
    plan: &Plan,
    f: usize,
    low: &[Vec<f64>],
    high: &[Vec<f64>],
    out: &mut Vec<OatEffect>,
) {
    for (k, o) in plan.outputs.iter().enumerate() {
        let test = if o.id.kind == MetricKind::Outcome {
            let mut t = stats::PairedTable::default();
            for (&h, &l) in high[k].iter().zip(&low[k]) {
                match (h > 0.5, l > 0.5) {
                    (true, true) => t.both += 1,
                    (true, false) => t.first_only += 1,
                    (false, true) => t.second_only += 1,
                    (false, false) => t.neither += 1,
                }
            }
            DiffTest::NewcombePaired(t)
        } else {
            DiffTest::PairedT(stats::paired_ci(&high[k], &low[k]).0)
        };
        let ci = test.interval(0.95);
        out.push(OatEffect {
            output: k,
            factor: f,
            effect: test.estimate(),
            ci: [ci.lo, ci.hi],
            method: test.method().to_string(),
        });
    }
}

/// A finished sweep's sensitivity analysis, by design.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Sensitivity {
    /// Grid and Latin hypercube designs: no indices, the rows are the result.
    None,
    /// One at a time: per output and factor, the effect from lowest to highest value, ranked by
    /// size within each output (a tornado).
    Oat {
        /// The effects, ranked.
        effects: Vec<OatEffect>,
    },
    /// Per output (outer) and factor (inner), Morris statistics.
    Morris {
        /// The statistics.
        effects: Vec<Vec<analysis::MorrisEffect>>,
    },
    /// Per output (outer) and factor (inner), Sobol indices.
    Sobol {
        /// The indices.
        indices: Vec<Vec<analysis::SobolIndex>>,
    },
}

/// How much of an output's spread across points is run noise: the mean variance of the point
/// estimates from their runs (`within`) against the variance of the estimates across points
/// (`between`). A share near 1 says: add runs, not points.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Noise {
    /// Mean within-point variance of the estimate.
    pub within: f64,
    /// Between-point variance of the estimates.
    pub between: f64,
    /// within / between (0 when nothing varies).
    pub share: f64,
}

impl Plan {
    /// The sensitivity analysis of a finished sweep, and the run-noise share of each output.
    pub fn analyse(&self, summary: &Summary) -> (Sensitivity, Vec<Noise>) {
        let k = self.factors.len();
        let noise = summary
            .values
            .iter()
            .zip(&summary.noise)
            .map(|(v, &within)| {
                let between = stats::summarize(v).sd.powi(2);
                Noise {
                    within,
                    between,
                    share: if between > 0.0 { within / between } else { 0.0 },
                }
            })
            .collect();
        let sensitivity = match self.design {
            Design::Grid { .. } | Design::Lhs { .. } => Sensitivity::None,
            Design::Oat => {
                let mut effects = summary.oat.clone();
                effects.sort_by(|a, b| {
                    a.output
                        .cmp(&b.output)
                        .then(b.effect.abs().total_cmp(&a.effect.abs()))
                        .then(a.factor.cmp(&b.factor))
                });
                Sensitivity::Oat { effects }
            }
            Design::Sobol { .. } => Sensitivity::Sobol {
                indices: summary
                    .values
                    .iter()
                    .map(|y| analysis::sobol(y, k, self.design_seed))
                    .collect(),
            },
            Design::Morris {
                trajectories,
                levels,
            } => {
                let moves = design::morris_moves(k, trajectories, levels, self.design_seed);
                Sensitivity::Morris {
                    effects: summary
                        .values
                        .iter()
                        .map(|y| analysis::morris(y, k, &moves, self.design_seed))
                        .collect(),
                }
            }
        };
        (sensitivity, noise)
    }
}
