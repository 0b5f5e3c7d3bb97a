//! Ensembles: many independent runs of one model, in parallel, reduced to per-run summaries and
//! per-step bands.
//!
//! Run `i` draws only from keys derived from (seed, i), and results are folded in run order, so
//! an ensemble's result is the same on any number of threads, and any run can be replayed alone.
//! Memory does not grow with runs × steps: a run's trajectory is reduced as soon as it finishes.

use crate::model::Model;
use crate::sim::{RunRecord, RuntimeError, Sim};
use crate::stats::quantile;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// Runs whose trajectories feed the quantile bands, at most: beyond it, every k-th run is
/// sampled (k = runs / `BAND_SAMPLE`, rounded up).
pub(crate) const BAND_SAMPLE: u64 = 10_000;
/// Intervals between the bands' time points, at most: the bands hold at most `BAND_POINTS + 1`
/// evenly spaced steps, from step 0 to the last step.
pub(crate) const BAND_POINTS: usize = 200;
/// Runs handed to the thread pool at a time; progress and cancellation are checked in between.
const BLOCK: u64 = 256;

/// How to run an ensemble.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// How many runs, numbered 0 to `runs - 1`.
    pub runs: u64,
    /// The seed every run's random numbers derive from, with the run's index.
    pub seed: u64,
    /// Worker threads in the pool the runs are spread over (0 counts as 1). The result does not
    /// depend on it.
    pub threads: usize,
}

/// What one run of an ensemble reduces to.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSummary {
    /// The run's index in its ensemble.
    pub run: u64,
    /// Per series: its value at the last step.
    pub last: Vec<f64>,
    /// Per series: its maximum over steps 0..=steps.
    pub peak: Vec<f64>,
    /// Per series: its mean over steps 0..=steps.
    pub mean: Vec<f64>,
    /// Per outcome: the step it was first reached, or `None` if it never was.
    pub reached: Vec<Option<u32>>,
    /// Per action: how often it was taken (all actors).
    pub actions: Vec<u64>,
    /// Per shock (in the order of [`Model::shock_names`]): how many steps it happened in.
    pub shocks: Vec<u32>,
}

impl RunSummary {
    /// The summary of the run `r` of `model`.
    pub fn of(model: &Model, r: &RunRecord) -> RunSummary {
        let n_actions = model.actions.len();
        let mut actions = vec![0u64; n_actions];
        for (i, c) in r.action_counts.iter().enumerate() {
            actions[i % n_actions.max(1)] += c;
        }
        RunSummary {
            run: r.run,
            last: r
                .series
                .iter()
                .map(|v| v.last().copied().unwrap_or(0.0))
                .collect(),
            peak: r
                .series
                .iter()
                .map(|v| v.iter().copied().fold(f64::NEG_INFINITY, f64::max))
                .collect(),
            mean: r
                .series
                .iter()
                .map(|v| v.iter().sum::<f64>() / v.len().max(1) as f64)
                .collect(),
            reached: r.reached.clone(),
            actions,
            shocks: r.shock_counts.clone(),
        }
    }
}

/// Per-step distribution of each series across runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Bands {
    /// The steps the bands are given at.
    pub steps: Vec<u32>,
    /// Per series, per time point: mean over all runs.
    pub mean: Vec<Vec<f64>>,
    /// Per series, per time point: the 5, 25, 50, 75 and 95 % quantiles.
    pub quantiles: Vec<Vec<[f64; 5]>>,
    /// How many runs the quantiles are computed from: all of them up to 10,000, else
    /// every k-th run (the mean always uses every run).
    pub sampled_runs: u64,
}

/// The quantile levels of [`Bands::quantiles`].
pub const LEVELS: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// A finished ensemble.
#[derive(Clone, Debug, PartialEq)]
pub struct Ensemble {
    /// The seed the runs were made with.
    pub seed: u64,
    /// How many runs were made.
    pub runs: u64,
    /// One summary per run, in run order.
    pub summaries: Vec<RunSummary>,
    /// Per-step distribution of each series across runs.
    pub bands: Bands,
}

/// Why an ensemble stopped.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EnsembleError {
    /// A run's values stopped being finite.
    #[error("run {run} stopped at {error}")]
    Runtime {
        /// The index of the run (the earliest in run order among those that failed in its
        /// block).
        run: u64,
        /// At which step, in which variable and why.
        error: RuntimeError,
    },
    /// The cancel flag was raised.
    #[error("cancelled after {completed} runs")]
    Cancelled {
        /// Runs that had finished, counting whole blocks only.
        completed: u64,
    },
    /// The thread pool could not be started; the message is the pool builder's.
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

/// Bytes an ensemble of `runs` runs of `model` on `threads` threads will need, roughly: a
/// stepper per thread ([`Sim::memory_estimate`]), the per-run summaries and the band samples (for
/// one run, just the stepper). Lets a caller refuse work that cannot fit before starting it.
pub fn memory_estimate(model: &Model, runs: u64, threads: usize) -> u64 {
    let per_run = Sim::memory_estimate(model);
    if runs <= 1 {
        return per_run;
    }
    let (series, steps) = (model.series.len() as u64, u64::from(model.steps) + 1);
    let summary =
        8 * (3 * series + 2 * model.outcomes.len() as u64 + model.actions.len() as u64) + 128;
    let points = steps.min(BAND_POINTS as u64 + 1);
    let bands = 8 * series * points * runs.min(BAND_SAMPLE);
    // Saturating: an absurd number of runs must give an absurd estimate, not a wrapped one.
    per_run
        .saturating_mul(threads.max(1) as u64)
        .saturating_add(summary.saturating_mul(runs))
        .saturating_add(bands)
}

/// A run's summary and its series at the band time points.
type Reduced = (RunSummary, Vec<Vec<f64>>);

/// Runs `options.runs` runs of `model` and reduces them to an [`Ensemble`]. `progress` is told
/// how many runs are done after each block; raising `cancel` stops at the next block boundary
/// (runs of the current block not yet started are skipped).
///
/// # Errors
///
/// [`EnsembleError::Runtime`] when a run's values stop being finite,
/// [`EnsembleError::Cancelled`] when `cancel` is raised, and [`EnsembleError::Threads`] when the
/// thread pool cannot be built.
pub fn run(
    model: &Model,
    options: Options,
    progress: &mut dyn FnMut(u64),
    cancel: &AtomicBool,
) -> Result<Ensemble, EnsembleError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.max(1))
        .build()
        .map_err(|e| EnsembleError::Threads(e.to_string()))?;
    let steps = model.steps as usize;
    let stride = steps.div_ceil(BAND_POINTS).max(1);
    let mut points: Vec<u32> = (0..=steps).step_by(stride).map(|t| t as u32).collect();
    if points.last() != Some(&(steps as u32)) {
        points.push(steps as u32);
    }
    let sample_every = options.runs.div_ceil(BAND_SAMPLE).max(1);
    let n_series = model.series.len();
    let mut sums = vec![vec![0.0; points.len()]; n_series];
    let mut samples: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); points.len()]; n_series];
    let mut summaries = Vec::with_capacity(options.runs.min(1 << 24) as usize);
    let mut start = 0;
    while start < options.runs {
        if cancel.load(Ordering::Relaxed) {
            return Err(EnsembleError::Cancelled { completed: start });
        }
        let end = (start + BLOCK * options.threads.max(1) as u64).min(options.runs);
        let block: Vec<Result<Reduced, EnsembleError>> = pool.install(|| {
            (0..(end - start) as usize)
                .into_par_iter()
                // Chunks of runs, so that a stepper is built (and its state allocated) a few
                // times per thread and block, not once per stolen run; sixteen or so per thread,
                // so that the threads still finish together when one of them runs slower.
                .with_min_len(((end - start) as usize / (16 * options.threads.max(1))).max(1))
                .map_init(
                    || Sim::new(model),
                    |sim, offset| {
                        let i = start + offset as u64;
                        // Checked per run too, so that a cancel does not wait for a whole block.
                        if cancel.load(Ordering::Relaxed) {
                            return Err(EnsembleError::Cancelled { completed: start });
                        }
                        let r = sim
                            .run(options.seed, i)
                            .map_err(|error| EnsembleError::Runtime { run: i, error })?;
                        let at_points = r
                            .series
                            .iter()
                            .map(|v| points.iter().map(|&t| v[t as usize]).collect())
                            .collect();
                        Ok((RunSummary::of(model, &r), at_points))
                    },
                )
                .collect()
        });
        for item in block {
            let (summary, at_points) = item?;
            let sampled = summary.run % sample_every == 0;
            for (s, values) in at_points.iter().enumerate() {
                for (p, &x) in values.iter().enumerate() {
                    sums[s][p] += x;
                    if sampled {
                        samples[s][p].push(x);
                    }
                }
            }
            summaries.push(summary);
        }
        start = end;
        progress(start);
    }
    let runs = options.runs.max(1) as f64;
    let mean = sums
        .into_iter()
        .map(|v| v.into_iter().map(|x| x / runs).collect())
        .collect();
    let quantiles = samples
        .into_iter()
        .map(|per_point| {
            per_point
                .into_iter()
                .map(|mut xs| {
                    xs.sort_by(f64::total_cmp);
                    LEVELS.map(|q| quantile(&xs, q))
                })
                .collect()
        })
        .collect();
    let sampled_runs = options.runs.div_ceil(sample_every);
    Ok(Ensemble {
        seed: options.seed,
        runs: options.runs,
        summaries,
        bands: Bands {
            steps: points,
            mean,
            quantiles,
            sampled_runs,
        },
    })
}
