//! Ensembles: many independent runs of one model, in parallel, reduced to per-run summaries and
//! a [`Tally`], the statistics the report needs.
//!
//! Run `i` draws only from keys derived from (seed, i), so any run can be replayed alone, and
//! runs are handed on in run order. The tally's sums are exact and its quantile samples a fixed
//! subset of runs ([`Tally`]), so an ensemble's result is the same on any number of threads,
//! and the same when its runs are split into shards ([`run_blocks`] over part of the runs) or
//! resumed, whatever the split: the tallies merge exactly. Memory does not grow with the runs
//! (unless the summaries are kept, as [`run`] does): a run is reduced as soon as it finishes.

mod samples;
mod tally;

use crate::model::Model;
use crate::sim::{RunRecord, RuntimeError, SeriesColumns, Sim};
use crate::stats::{Stripe, TILE};
use rayon::prelude::*;
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
pub use tally::{MergeError, Tally};

/// Runs whose trajectories feed the quantile bands, at most: beyond it, every k-th run is
/// sampled (k = runs / `BAND_SAMPLE`, rounded up).
pub(crate) const BAND_SAMPLE: u64 = 10_000;
/// Intervals between the bands' time points, at most: the bands hold at most `BAND_POINTS + 1`
/// evenly spaced steps, from step 0 to the last step.
pub(crate) const BAND_POINTS: usize = 200;
/// Runs handed to the thread pool at a time, per thread; progress and cancellation are checked
/// in between. A model whose runs go in lockstep hands on [`BLOCK_GROUPS`] lockstep blocks per
/// thread if that is more ([`block_runs`]).
const BLOCK: u64 = 256;

/// Lockstep blocks handed to the thread pool at a time, per thread: each block is tallied and
/// handed on as a whole, so blocks of a few lockstep blocks would put the per-block work (fresh
/// tallies on the pool, a merge on the calling thread) on every few lockstep blocks (a lockstep
/// block of a 4-actor model is 64 runs).
const BLOCK_GROUPS: u64 = 16;

/// Runs handed to the thread pool at a time, per thread, for `model`.
fn block_runs(model: &Model) -> u64 {
    BLOCK.max(BLOCK_GROUPS * u64::from(crate::sim::lockstep::copies_for(model)))
}

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
        // Each series' peak and sum in step order, four series at a time, step by step: their
        // chains of additions and maxima overlap rather than wait on each other.
        let n = r.series.len();
        let (mut peak, mut sum) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let mut series = r.series.as_slice();
        while !series.is_empty() {
            let take = match series.len() {
                1 => peaks_and_sums::<1>(series, &mut peak, &mut sum),
                2 | 3 => peaks_and_sums::<2>(series, &mut peak, &mut sum),
                _ => peaks_and_sums::<4>(series, &mut peak, &mut sum),
            };
            series = &series[take..];
        }
        for (s, v) in sum.iter_mut().zip(&r.series) {
            *s /= v.len().max(1) as f64;
        }
        let last = r
            .series
            .iter()
            .map(|v| v.last().copied().unwrap_or(0.0))
            .collect();
        RunSummary::with_series(model, r, last, peak, sum)
    }

    /// The summary of the run `r` of `model`, given its series' last values, peaks and means.
    fn with_series(
        model: &Model,
        r: &RunRecord,
        last: Vec<f64>,
        peak: Vec<f64>,
        mean: Vec<f64>,
    ) -> RunSummary {
        let n_actions = model.actions.len();
        let mut actions = vec![0u64; n_actions];
        for (i, c) in r.action_counts.iter().enumerate() {
            actions[i % n_actions.max(1)] += c;
        }
        RunSummary {
            run: r.run,
            last,
            peak,
            mean,
            reached: r.reached.clone(),
            actions,
            shocks: r.shock_counts.clone(),
        }
    }
}

impl Reduced {
    /// Run `r` of `model` reduced, with bands at `points`.
    fn of_run(model: &Model, points: &[u32], r: &RunRecord) -> Reduced {
        let mut at_points = Vec::with_capacity(Stripe::len(1, r.series.len() * points.len()));
        for v in &r.series {
            at_points.extend(points.iter().map(|&t| v[t as usize]));
        }
        // A run's values are its stripe's one row (the last tile padded).
        at_points.resize(at_points.capacity(), 0.0);
        Reduced {
            summaries: vec![RunSummary::of(model, r)],
            at_points,
        }
    }

    /// The runs of a lockstep block reduced (`records`, the block's first runs, with the block's
    /// `series`), with bands at `points`: the same summaries and values as each run's
    /// [`Reduced::of_run`], each series' peaks and sums taken in step order for every run of
    /// the block side by side.
    fn of_block(
        model: &Model,
        points: &[u32],
        records: &[RunRecord],
        series: &SeriesColumns<'_>,
        spare: &Spare,
    ) -> Reduced {
        let (n, n_series, steps) = (records.len(), model.series.len(), series.steps());
        let (mut last, mut peak, mut mean) = (
            vec![0.0; n_series * n],
            vec![f64::NEG_INFINITY; n_series * n],
            vec![-0.0; n_series * n],
        );
        for i in 0..n_series {
            let (p, s) = (&mut peak[i * n..][..n], &mut mean[i * n..][..n]);
            for t in 0..steps {
                for ((p, s), &x) in p.iter_mut().zip(s.iter_mut()).zip(&series.at(i, t)[..n]) {
                    *p = p.max(x);
                    *s += x;
                }
            }
            s.iter_mut().for_each(|s| *s /= steps.max(1) as f64);
            if steps > 0 {
                last[i * n..][..n].copy_from_slice(&series.at(i, steps - 1)[..n]);
            }
        }
        // A tile of columns at a time, each run's row of it in turn, written in order.
        let columns = n_series * points.len();
        // Every value is written below: a spare buffer of the right length is not cleared.
        let len = Stripe::len(n, columns);
        let mut at_points = spare.take(len);
        let zeros = vec![0.0; n];
        for (t, out) in at_points.chunks_exact_mut(TILE * n.max(1)).enumerate() {
            let values: [&[f64]; TILE] = std::array::from_fn(|k| match t * TILE + k {
                j if j < columns => {
                    let (i, p) = (j / points.len(), j % points.len());
                    &series.at(i, points[p] as usize)[..n]
                }
                _ => &zeros,
            });
            for (c, row) in out.chunks_exact_mut(TILE).enumerate() {
                for (x, v) in row.iter_mut().zip(&values) {
                    *x = v[c];
                }
            }
        }
        let of_run = |v: &[f64], c: usize| (0..n_series).map(|i| v[i * n + c]).collect();
        let summaries = records
            .iter()
            .enumerate()
            .map(|(c, r)| {
                RunSummary::with_series(
                    model,
                    r,
                    of_run(&last, c),
                    of_run(&peak, c),
                    of_run(&mean, c),
                )
            })
            .collect();
        Reduced {
            summaries,
            at_points,
        }
    }
}

/// The peaks and sums of the first `K` of `series`, each in step order (as
/// `fold(-inf, f64::max)` and `Iterator::sum`, which starts from -0.0), pushed to `peak` and
/// `sum`; returns `K`.
// The loop over steps reads the `K` series side by side at each step.
#[allow(clippy::needless_range_loop)]
fn peaks_and_sums<const K: usize>(
    series: &[Vec<f64>],
    peak: &mut Vec<f64>,
    sum: &mut Vec<f64>,
) -> usize {
    let vs: [&[f64]; K] = std::array::from_fn(|k| series[k].as_slice());
    let (mut p, mut s) = ([f64::NEG_INFINITY; K], [-0.0; K]);
    let steps = vs.iter().map(|v| v.len()).min().unwrap_or(0);
    for t in 0..steps {
        for k in 0..K {
            let x = vs[k][t];
            p[k] = p[k].max(x);
            s[k] += x;
        }
    }
    for k in 0..K {
        for &x in &vs[k][steps..] {
            p[k] = p[k].max(x);
            s[k] += x;
        }
    }
    peak.extend(p);
    sum.extend(s);
    K
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
    /// runs 0, k, 2k, … with k = ⌈runs / 10,000⌉ (the mean always uses every run).
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
    /// One summary per run, in run order, when they were kept ([`run`] keeps them;
    /// [`Ensemble::from_tally`] has none).
    pub summaries: Vec<RunSummary>,
    /// Per-step distribution of each series across runs.
    pub bands: Bands,
    /// The statistics of every run.
    pub tally: Tally,
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
    /// The caller's block handler failed (say, writing rows); its message.
    #[error("{0}")]
    Handler(String),
}

/// Bytes an ensemble of `runs` runs of `model` on `threads` threads will need, roughly: a
/// stepper per thread ([`Sim::memory_estimate`], times the runs of a lockstep block for a small
/// model), a block of run summaries, the tallies of the blocks in flight,
/// the tally (its exact sums twice, for a checkpoint's pending part, and the quantile samples
/// of at most 10,000 runs), and with `keep_summaries` every run's summary (as [`run`] keeps
/// them).
/// Lets a caller refuse work that cannot fit before starting it; for one run, just the stepper.
pub fn memory_estimate(model: &Model, runs: u64, threads: usize, keep_summaries: bool) -> u64 {
    let per_run = Sim::memory_estimate(model);
    if runs <= 1 {
        return per_run;
    }
    let (series, steps) = (model.series.len() as u64, u64::from(model.steps) + 1);
    let metrics = 3 * series + model.actions.len() as u64;
    let summary = 8 * (metrics + 2 * model.outcomes.len() as u64 + model.shocks.len() as u64) + 160;
    let points = steps.min(BAND_POINTS as u64 + 1);
    let threads = threads.max(1) as u64;
    // Two blocks of reduced runs per thread out at a time (running, finished, or being tallied).
    let block = 2 * block_runs(model) * threads * (summary + 8 * series * points + 64);
    // An exact sum is 68 digits of 8 bytes; a metric has two.
    let one_tally = 560 * (series * points + 2 * metrics);
    let sums = 2 * one_tally;
    // The blocks out at a time, each with a tally of its own.
    let in_flight = (2 * threads).saturating_mul(one_tally);
    let first_steps = 48 * model.outcomes.len() as u64 * steps.min(runs);
    let samples = (8 * (series * points + metrics) + 80) * runs.min(BAND_SAMPLE);
    let kept = if keep_summaries {
        summary.saturating_mul(runs)
    } else {
        0
    };
    // A thread steps a small model's runs in lockstep blocks (their state and series side by
    // side) and keeps a one-run stepper besides, for the runs outside a whole block.
    let copies = u64::from(crate::sim::lockstep::copies_for(model));
    let per_thread = if copies > 1 {
        per_run.saturating_mul(copies + 1)
    } else {
        per_run
    };
    // Saturating: an absurd number of runs must give an absurd estimate, not a wrapped one.
    per_thread
        .saturating_mul(threads)
        .saturating_add(block + sums + first_steps + samples)
        .saturating_add(in_flight)
        .saturating_add(kept)
}

/// The band time points of `model`: at most [`BAND_POINTS`] + 1 evenly spaced steps, from 0 to
/// the last step.
pub(crate) fn band_points(model: &Model) -> Vec<u32> {
    let steps = model.steps as usize;
    let stride = steps.div_ceil(BAND_POINTS).max(1);
    let mut points: Vec<u32> = (0..=steps).step_by(stride).map(|t| t as u32).collect();
    if points.last() != Some(&(steps as u32)) {
        points.push(steps as u32);
    }
    points
}

/// An empty tally of the ensemble `options` describes, for runs of `model`.
pub fn empty_tally(model: &Model, options: Options) -> Tally {
    Tally::new(model, options.runs, band_points(model))
}

/// One finished block of runs, handed to the caller of [`run_blocks`].
pub struct Block {
    /// The runs of the block, `start..end`.
    pub runs: Range<u64>,
    /// Their summaries, in run order (the caller's to keep: moved, not copied).
    pub summaries: Vec<RunSummary>,
    /// Their tally, to [`Tally::merge`] into the caller's.
    pub tally: Tally,
}

/// Runs the runs `range` of the ensemble `options` describes (`options.runs` in all; `range`
/// within it) and hands each finished block to `block`, in run order, on the calling thread
/// (while the thread pool runs the next block). The blocks' tallies merge
/// into the same tally whichever range was run, and however the runs of an ensemble are split
/// into ranges.
///
/// # Errors
///
/// [`EnsembleError::Runtime`] when a run's values stop being finite (the earliest such run of
/// its block; the runs before the block were handed on), [`EnsembleError::Cancelled`] when
/// `cancel` is raised (`completed` counts the runs of `range` handed on),
/// [`EnsembleError::Threads`] when the thread pool cannot be built, and
/// [`EnsembleError::Handler`] when `block` fails.
pub fn run_blocks(
    model: &Model,
    options: Options,
    range: Range<u64>,
    block: &mut dyn FnMut(Block) -> Result<(), String>,
    cancel: &AtomicBool,
) -> Result<(), EnsembleError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.max(1))
        .build()
        .map_err(|e| EnsembleError::Threads(e.to_string()))?;
    let points = band_points(model);
    let range = range.start.min(options.runs)..range.end.min(options.runs);
    let wide = crate::sim::lockstep::model(model);
    let reduce = |r: &RunRecord| Reduced::of_run(model, &points, r);
    // The buffers of blocks' values tallied, for the next blocks' (a fresh one is cleared
    // first, and its pages are new).
    let spare = Spare::default();
    let reduce_block = |records: &[RunRecord], series: SeriesColumns<'_>| {
        Reduced::of_block(model, &points, records, &series, &spare)
    };
    // The pool runs blocks and tallies each one; this thread merges the tallies and hands the
    // blocks on, in run order. A thread of its own hands the pool the blocks in turn, as tasks
    // of their own (a lockstep model's a task per few groups), so that a thread done with its
    // part of one block goes on to the next rather than waiting for the others, and blocks end
    // about in the order they were handed out; at most `window` blocks are out at a time (running,
    // finished or being tallied), each taking a token that this thread gives back when it has
    // handed it on.
    let chunk = block_runs(model);
    let threads = options.threads.max(1);
    let window = 2 * threads;
    let (to_tally, finished) = std::sync::mpsc::channel::<(Range<u64>, Finished)>();
    let (give_token, take_token) = std::sync::mpsc::sync_channel::<()>(window);
    for _ in 0..window {
        // The channel holds `window` tokens, and nothing has taken any.
        let _ = give_token.try_send(());
    }
    // What the runs see as their cancel flag: raised when `cancel` is (this thread looks every
    // few milliseconds), and when this thread stops taking blocks (an error), so that the
    // blocks in flight stop too.
    let stop = AtomicBool::new(false);
    // Steppers of tasks that ended, for the next ones: a thread builds them (and allocates their
    // state) about once, not once per task.
    let steppers: std::sync::Mutex<Vec<Steppers<'_>>> = std::sync::Mutex::new(Vec::new());
    let (stop, reduce, reduce_block, spare) = (&stop, &reduce, &reduce_block, &spare);
    let (wide, points) = (wide.as_ref(), &points);
    let steppers = &steppers;
    std::thread::scope(|scope| {
        let producer = std::thread::Builder::new()
            .name("detente-blocks".into())
            .spawn_scoped(scope, move || {
                // Dropped when this thread stops (and each task's copy when it ends), which
                // tells the loop below.
                let (to_tally, take_token) = (to_tally, take_token);
                pool.in_place_scope(|tasks| {
                    let mut start = range.start;
                    // A token, or none left to wait for: the loop below stopped.
                    while start < range.end && take_token.recv().is_ok() {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let end = (start + chunk).min(range.end);
                        let runs = Runs {
                            model,
                            wide,
                            seed: options.seed,
                            threads,
                            cancel: stop,
                            completed: start - range.start,
                        };
                        // A lockstep model's block goes to the pool as a task per few groups,
                        // none waiting on another, the last to end tallying the block: a thread
                        // that waited inside a block's task for another thread's share of it
                        // would take on other blocks' work meanwhile, every block out would then
                        // end together, and the threads would idle till new blocks came (the
                        // tiny case's 2-thread speed-up went from 1.84x to 1.92-1.98x, the
                        // limit's 1.91-1.98x). A block of a model that runs one run at a time
                        // stays one task whose runs rayon splits ([`Runs::map`]): a task per few
                        // runs was 3-5% slower on one thread on the small case, for reasons not
                        // found.
                        let groups = runs.groups(&(start..end));
                        let per_task = runs.groups_per_task(groups);
                        let one_task = wide.is_none();
                        let n_tasks = if one_task {
                            1
                        } else {
                            groups.div_ceil(per_task)
                        };
                        let pending = std::sync::Arc::new(Pending::new(n_tasks));
                        for task in 0..n_tasks {
                            let (pending, to_tally) = (pending.clone(), to_tally.clone());
                            tasks.spawn(move |_| {
                                // A panic goes to the loop below as this block's result, which
                                // stops taking blocks and goes on as the panic (the scope would
                                // raise it only once every task had ended, and the loop would
                                // wait for this block, and this thread for a token, till then).
                                let part = std::panic::catch_unwind(AssertUnwindSafe(|| {
                                    #[cfg(test)]
                                    tests::panic_if_asked(options.seed, start);
                                    if one_task {
                                        return runs.map(start..end, reduce);
                                    }
                                    let mut s = take(steppers).unwrap_or_else(|| runs.steppers());
                                    let gs = task * per_task..((task + 1) * per_task).min(groups);
                                    let part: Vec<_> = gs
                                        .flat_map(|g| {
                                            let whole = Some(reduce_block as _);
                                            runs.group(&mut s, &(start..end), g, reduce, whole)
                                        })
                                        .collect();
                                    give(steppers, s);
                                    part
                                }));
                                let Some(reduced) = pending.finish(task, part) else {
                                    return;
                                };
                                let tallied = reduced.and_then(|reduced| {
                                    std::panic::catch_unwind(AssertUnwindSafe(|| {
                                        tally_block(model, options.runs, points, reduced, spare)
                                    }))
                                });
                                // The loop below may have stopped: then nothing takes it.
                                let _ = to_tally.send((start..end, tallied));
                            });
                        }
                        start = end;
                    }
                });
            })
            .map_err(|e| EnsembleError::Threads(e.to_string()))?;
        // Raises `stop` however this thread leaves the loop below; `finished` and the token
        // giver are dropped too, so the thread above stops at its next block.
        let _stop = RaiseOnDrop(stop);
        let (finished, give_token) = (finished, give_token);
        // Blocks finished out of order, by their first run.
        let mut early: std::collections::BTreeMap<u64, (Range<u64>, Finished)> =
            std::collections::BTreeMap::new();
        let mut start = range.start;
        while start < range.end {
            let completed = start - range.start;
            if cancel.load(Ordering::Relaxed) {
                return Err(EnsembleError::Cancelled { completed });
            }
            let Some((runs, finished_block)) = early.remove(&start) else {
                match finished.recv_timeout(CANCEL_POLL) {
                    Ok(block) => {
                        early.insert(block.0.start, block);
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        if cancel.load(Ordering::Relaxed) {
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                        // The thread above stopped early: it saw the cancel, or a run panicked
                        // (which goes on as that panic).
                        if let Err(panic) = producer.join() {
                            std::panic::resume_unwind(panic);
                        }
                        return Err(EnsembleError::Cancelled { completed });
                    }
                }
                continue;
            };
            let (summaries, tally) = match finished_block {
                Ok(tallied) => tallied?,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            start = runs.end;
            block(Block {
                runs,
                summaries,
                tally,
            })
            .map_err(EnsembleError::Handler)?;
            // The thread above may have handed on every block already.
            let _ = give_token.try_send(());
        }
        Ok(())
    })
}

/// Per series, per band point: the quantiles at [`LEVELS`] of the sampled runs' values, on up to
/// `threads` threads, each taking a run of the points in order. A point's values over the runs
/// are a few contiguous stretches of the samples ([`samples`]), copied into a buffer a thread
/// reuses (small enough to stay in its cache while it is searched).
fn band_quantiles(tally: &Tally, points: usize, threads: usize) -> Vec<Vec<[f64; 5]>> {
    let n_series = tally.bands.len() / points.max(1);
    let n = tally.samples.len();
    if n == 0 {
        let none = crate::stats::quantiles_of_ordered(&mut [], LEVELS);
        return vec![vec![none; points]; n_series];
    }
    let of_columns = |columns: Range<usize>| -> Vec<[f64; 5]> {
        let mut keys = vec![0i64; n];
        columns
            .map(|c| {
                tally.samples.band_keys(c, &mut keys);
                crate::stats::quantiles_of_ordered(&mut keys, LEVELS)
            })
            .collect()
    };
    let columns = n_series * points;
    let chunk = columns.div_ceil(threads.max(1)).max(1);
    let parts: Vec<Range<usize>> = (0..columns)
        .step_by(chunk)
        .map(|a| a..(a + chunk).min(columns))
        .collect();
    let flat: Vec<[f64; 5]> = if parts.len() < 2 {
        of_columns(0..columns)
    } else {
        std::thread::scope(|scope| {
            // Each part on a thread of its own where one can be started, else on this one.
            let started: Vec<_> = parts
                .into_iter()
                .map(|part| {
                    std::thread::Builder::new()
                        .name("detente-bands".into())
                        .spawn_scoped(scope, {
                            let part = part.clone();
                            move || of_columns(part)
                        })
                        .map_err(|_| part)
                })
                .collect();
            let mut flat = Vec::with_capacity(columns);
            for s in started {
                match s {
                    Ok(handle) => match handle.join() {
                        Ok(part) => flat.extend(part),
                        Err(panic) => std::panic::resume_unwind(panic),
                    },
                    Err(part) => flat.extend(of_columns(part)),
                }
            }
            flat
        })
    };
    flat.chunks(points.max(1)).map(<[_]>::to_vec).collect()
}

/// Steppers a task left for the next ones, if any.
fn take<'m>(free: &std::sync::Mutex<Vec<Steppers<'m>>>) -> Option<Steppers<'m>> {
    free.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .pop()
}

/// Leaves `steppers` for the next task.
fn give<'m>(free: &std::sync::Mutex<Vec<Steppers<'m>>>, steppers: Steppers<'m>) {
    free.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(steppers);
}

/// How often [`run_blocks`] looks at its cancel flag while a block runs.
const CANCEL_POLL: std::time::Duration = std::time::Duration::from_millis(5);

/// Raises its flag when dropped.
struct RaiseOnDrop<'a>(&'a AtomicBool);

impl Drop for RaiseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs reduced for their tally, in run order: their summaries, and their series at the band
/// time points, a column per series and point (series-major), stored as a [`Stripe`] (for one
/// run: its values per series, per point, padded).
pub(crate) struct Reduced {
    pub summaries: Vec<RunSummary>,
    pub at_points: Vec<f64>,
}

/// A finished block: its runs' summaries and their tally, or the error that stopped its
/// earliest failed run, or the panic of one of its runs.
type Finished = std::thread::Result<Result<(Vec<RunSummary>, Tally), EnsembleError>>;

/// The summaries and the tally of a block's runs, `reduced` in run order (of an ensemble of
/// `runs` runs, with bands at `points`), or the error of its earliest failed run. Tallied on
/// the thread pool (its sums a group of columns per task, [`Tally::add_runs`]), so that the
/// calling thread of [`run_blocks`] only merges, and the last block's tally is not left to one
/// thread when the runs end.
fn tally_block(
    model: &Model,
    runs: u64,
    points: &[u32],
    reduced: Vec<Result<Reduced, EnsembleError>>,
    spare: &Spare,
) -> Result<(Vec<RunSummary>, Tally), EnsembleError> {
    let mut reduced = reduced.into_iter().collect::<Result<Vec<_>, _>>()?;
    let mut tally = Tally::new(model, runs, points.to_vec());
    let summaries = tally.add_runs(&mut reduced);
    spare.give(reduced.into_iter().map(|r| r.at_points));
    Ok((summaries, tally))
}

/// Buffers of reduced runs' values ([`Reduced::at_points`]) tallied, for other runs'.
#[derive(Default)]
struct Spare(std::sync::Mutex<Vec<Vec<f64>>>);

impl Spare {
    /// The most buffers kept.
    const MOST: usize = 256;

    /// A buffer of `len` values: a spare one (its values those it had), or a new one of zeros.
    fn take(&self, len: usize) -> Vec<f64> {
        let mut spare = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while let Some(buffer) = spare.pop() {
            if buffer.len() == len {
                return buffer;
            }
        }
        vec![0.0; len]
    }

    /// Keeps `buffers` (as many as there is room for) for [`Spare::take`].
    fn give(&self, buffers: impl Iterator<Item = Vec<f64>>) {
        let mut spare = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let room = Self::MOST.saturating_sub(spare.len());
        spare.extend(buffers.filter(|b| b.len() > 1024).take(room));
    }
}

/// How to run some runs of an ensemble on the current thread pool ([`Runs::map`]).
#[derive(Clone, Copy)]
pub(crate) struct Runs<'a> {
    pub model: &'a Model,
    /// `model` made for runs in lockstep ([`crate::sim::lockstep::model`]), if it is small.
    pub wide: Option<&'a Model>,
    pub seed: u64,
    pub threads: usize,
    pub cancel: &'a AtomicBool,
    /// Runs already handed on, for the cancel error.
    pub completed: u64,
}

/// The steppers [`Runs::group`] runs a group with: a one-run stepper and, for a small model, a
/// lockstep one.
type Steppers<'m> = (Sim<'m>, Option<Sim<'m>>);

impl<'a> Runs<'a> {
    /// Runs per group: a lockstep block's runs, or one.
    fn copies(&self) -> u64 {
        self.wide.map_or(1, |w| u64::from(w.block.copies))
    }

    /// How many groups `runs` has.
    fn groups(&self, runs: &Range<u64>) -> usize {
        (runs.end - runs.start).div_ceil(self.copies()) as usize
    }

    /// Groups handed to a thread at a time: chunks of groups, so that a stepper is not built
    /// (and its state allocated) for every group; sixteen or so per thread in `groups`, so that
    /// the threads still finish together when one of them runs slower.
    fn groups_per_task(&self, groups: usize) -> usize {
        (groups / (16 * self.threads)).max(1)
    }

    fn steppers(&self) -> Steppers<'a> {
        (Sim::new(self.model), self.wide.map(Sim::new))
    }

    /// Runs `runs` and reduces each record with `f`: in run order, each the run's value, or the
    /// error that stopped it ([`EnsembleError::Runtime`] with its run, or
    /// [`EnsembleError::Cancelled`]). A small model's runs go in lockstep blocks; when one run of
    /// a block fails, the block is run again one run at a time, so that the error is the one
    /// that run gives alone (the others' records are the same either way).
    pub fn map<T: Send>(
        &self,
        runs: Range<u64>,
        f: &(dyn Fn(&RunRecord) -> T + Sync),
    ) -> Vec<Result<T, EnsembleError>> {
        let groups = self.groups(&runs);
        let per_group: Vec<Vec<Result<T, EnsembleError>>> = (0..groups)
            .into_par_iter()
            .with_min_len(self.groups_per_task(groups))
            .map_init(
                || self.steppers(),
                |steppers, g| self.group(steppers, &runs, g, f, None),
            )
            .collect();
        per_group.into_iter().flatten().collect()
    }

    /// Group `g` of `runs`, as [`Runs::map`] runs it; with `whole`, a lockstep block that runs
    /// to the end is reduced by `whole` instead (from its records, without their series, and
    /// the block's series), into one value for all its runs.
    fn group<T>(
        &self,
        (one, block): &mut Steppers<'_>,
        runs: &Range<u64>,
        g: usize,
        f: &(dyn Fn(&RunRecord) -> T + Sync),
        whole: Option<&WholeBlock<'_, T>>,
    ) -> Vec<Result<T, EnsembleError>> {
        let copies = self.copies();
        let cancelled = || EnsembleError::Cancelled {
            completed: self.completed,
        };
        let first = runs.start + g as u64 * copies;
        let last = (first + copies).min(runs.end);
        // Checked per group too, so that a cancel does not wait for a whole block.
        let all_cancelled = || (first..last).map(|_| Err(cancelled())).collect();
        if self.cancel.load(Ordering::Relaxed) {
            return all_cancelled();
        }
        // A block of runs in lockstep. The last group of a range may be short: at least half a
        // block still runs as a whole one (the runs past the range are made and dropped, and an
        // error in one of them is not the range's), less goes one run at a time.
        let n = (last - first) as usize;
        if let Some(block) = block.as_mut().filter(|_| 2 * n as u64 >= copies) {
            if let Some(whole) = whole {
                match block.run_block_columns(self.seed, first, self.cancel) {
                    Ok(Some((records, series))) => return vec![Ok(whole(&records[..n], series))],
                    Ok(None) => return all_cancelled(),
                    Err(_) => {}
                }
            } else {
                match block.run_block(self.seed, first, self.cancel) {
                    Ok(Some(records)) => return records[..n].iter().map(|r| Ok(f(r))).collect(),
                    Ok(None) => return all_cancelled(),
                    Err(_) => {}
                }
            }
        }
        (first..last)
            .map(|i| {
                if self.cancel.load(Ordering::Relaxed) {
                    return Err(cancelled());
                }
                let r = one
                    .run(self.seed, i)
                    .map_err(|error| EnsembleError::Runtime { run: i, error })?;
                Ok(f(&r))
            })
            .collect()
    }
}

/// How [`Runs::group`] reduces a whole lockstep block: its records (without their series) and
/// its series, into one value.
type WholeBlock<'s, T> = dyn Fn(&[RunRecord], SeriesColumns<'_>) -> T + Sync + 's;

/// What a task of [`run_blocks`] gives: its runs reduced in order, or its panic.
type Part = std::thread::Result<Vec<Result<Reduced, EnsembleError>>>;

/// A block of [`run_blocks`] on its way through the pool, a task per few groups: what each task
/// gave (its groups' reduced runs, or its panic), and how many tasks are still out.
struct Pending {
    parts: std::sync::Mutex<Vec<Option<Part>>>,
    left: std::sync::atomic::AtomicUsize,
}

impl Pending {
    fn new(tasks: usize) -> Pending {
        Pending {
            parts: std::sync::Mutex::new((0..tasks).map(|_| None).collect()),
            left: tasks.into(),
        }
    }

    /// Records what task `i` gave; for the block's last task to end, hands back every task's
    /// runs in order (or the first panic).
    fn finish(&self, i: usize, part: Part) -> Option<Part> {
        let mut parts = self
            .parts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        parts[i] = Some(part);
        if self.left.fetch_sub(1, Ordering::AcqRel) != 1 {
            return None;
        }
        let mut runs = Vec::new();
        for part in parts.drain(..).flatten() {
            match part {
                Ok(part) => runs.extend(part),
                Err(panic) => return Some(Err(panic)),
            }
        }
        Some(Ok(runs))
    }
}

/// Runs `options.runs` runs of `model` and reduces them to an [`Ensemble`], keeping every run's
/// summary. `progress` is told how many runs are done after each block; raising `cancel` stops
/// at the next block boundary (runs of the current block not yet started are skipped).
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
    let mut tally = empty_tally(model, options);
    let mut summaries = Vec::with_capacity(options.runs.min(1 << 24) as usize);
    run_blocks(
        model,
        options,
        0..options.runs,
        &mut |b| {
            summaries.extend(b.summaries);
            tally.merge(b.tally).map_err(|e| e.to_string())?;
            progress(b.runs.end);
            Ok(())
        },
        cancel,
    )?;
    // Every run was tallied, so the tally is complete.
    let mut e = Ensemble::from_tally_on(options.seed, tally, options.threads)
        .map_err(|_| EnsembleError::Cancelled { completed: 0 })?;
    e.summaries = summaries;
    Ok(e)
}

impl Ensemble {
    /// The finished ensemble of a tally of all its runs (no summaries kept): the bands' means
    /// and quantiles.
    ///
    /// # Errors
    ///
    /// The runs missing, when the tally is not of every run.
    pub fn from_tally(seed: u64, tally: Tally) -> Result<Ensemble, Vec<(u64, u64)>> {
        Ensemble::from_tally_on(seed, tally, 1)
    }

    /// [`Ensemble::from_tally`], with the bands' quantiles computed on up to `threads` threads
    /// (on this one alone if no other can be started). The result does not depend on `threads`.
    ///
    /// # Errors
    ///
    /// The runs missing, when the tally is not of every run.
    pub fn from_tally_on(
        seed: u64,
        tally: Tally,
        threads: usize,
    ) -> Result<Ensemble, Vec<(u64, u64)>> {
        if !tally.is_complete() {
            let mut missing = Vec::new();
            let mut at = 0;
            for &(a, b) in tally.covers() {
                if a > at {
                    missing.push((at, a));
                }
                at = b;
            }
            if at < tally.runs {
                missing.push((at, tally.runs));
            }
            return Err(missing);
        }
        let points = tally.steps.len();
        let n_series = tally.bands.len() / points.max(1);
        let runs = tally.runs.max(1) as f64;
        let mean = (0..n_series)
            .map(|s| {
                tally.bands[s * points..(s + 1) * points]
                    .iter()
                    .map(|sum| sum.value() / runs)
                    .collect()
            })
            .collect();
        let quantiles = band_quantiles(&tally, points, threads);
        Ok(Ensemble {
            seed,
            runs: tally.runs,
            summaries: Vec::new(),
            bands: Bands {
                steps: tally.steps.clone(),
                mean,
                quantiles,
                sampled_runs: tally.sampled_runs(),
            },
            tally,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_of(text: &str) -> Model {
        let sources = crate::MemorySources::new([("s.toml", text)]);
        crate::load_model("s.toml", &sources, &crate::Overrides::default()).unwrap()
    }

    const ONE_ACTOR: &str = r#"
[scenario]
name = "one"
steps = 100
[variables]
x = { of = "actor", default = 0 }
[actors.A]
[dynamics.grow]
var = "x"
add = "1"
[report]
series = { x = "x(A)" }
"#;

    #[test]
    fn a_lockstep_block_reduces_to_what_its_runs_reduce_to_alone() {
        let model = model_of(include_str!(
            "../../scenarios/lithuania_belarus/baseline.toml"
        ));
        let wide = crate::sim::lockstep::model(&model).expect("a small model");
        let (points, copies) = (band_points(&model), u64::from(wide.block.copies));
        let (never, spare) = (AtomicBool::new(false), Spare::default());
        let mut sim = Sim::new(&wide);
        // Two blocks, the second cut short and reduced into the first one's buffer (every
        // value of it overwritten), tallied in turn.
        let runs = 2 * copies - 5;
        let mut together = Tally::new(&model, runs, points.clone());
        let mut summaries = Vec::new();
        for (first, n) in [(0, copies), (copies, copies - 5)] {
            let (records, series) = sim.run_block_columns(7, first, &never).unwrap().unwrap();
            let reduced =
                Reduced::of_block(&model, &points, &records[..n as usize], &series, &spare);
            let mut reduced = [reduced];
            summaries.extend(together.add_runs(&mut reduced));
            spare.give(reduced.into_iter().map(|r| r.at_points));
        }
        let mut alone: Vec<Reduced> = (0..runs)
            .map(|i| Reduced::of_run(&model, &points, &Sim::new(&model).run(7, i).unwrap()))
            .collect();
        let mut one_by_one = Tally::new(&model, runs, points.clone());
        assert_eq!(summaries, one_by_one.add_runs(&mut alone));
        let saved = |t: &Tally| serde_json::to_string(t).unwrap();
        assert_eq!(saved(&together), saved(&one_by_one));
    }

    #[test]
    fn did_reads_the_same_from_the_table_as_from_the_log() {
        // Who did what to whom, read every way: a fixed pair, the rule's own actor and target
        // both ways, this step's (`does`) in series and outcomes, beside reactions (which keep
        // the log either way); in lockstep blocks and one run at a time.
        let text = r#"
variables = { x = { of = "actor", default = 0 } }
actors = { A = {}, B = {}, C = {}, D = {} }
relations = [{ from = "A", to = "B" }, { from = "B", to = "A" }, { from = "B", to = "C" }, { from = "C", to = "D" }]
scenario = { name = "pairs", steps = 40 }
[actions.poke]
effects = [{ var = "x", on = "target", add = "1" }]
[actions.answer]
effects = [{ var = "x", on = "actor", add = "-1" }]
[actions.nudge]
[rules.pokes]
actor = "*"
action = "poke"
target_relation = "*"
when = "not did(self, target, poke) or did(target, self, poke)"
probability = 0.4
[rules.answers]
actor = "*"
action = "answer"
reacts_to = "poke"
when = "did(target, self, poke)"
probability = 0.5
[rules.nudges]
actor = "D"
action = "nudge"
target = "A"
when = "did(B, C, poke) or did(A, B, answer)"
probability = 0.7
[rules.shrugs]
actor = "C"
action = "nudge"
probability = 0.5
[outcomes]
both_ways = "does(A, B, poke) and does(B, A, poke)"
[report]
series = { a = "x(A)", d = "x(D)", ab = "if(does(A, B, poke), 1, 0) + if(did(D, A, nudge), 2, 0)", none = "if(did(A, D, nudge), 1, 0)" }
"#;
        let with_table = model_of(text);
        assert!(with_table.pair_table() && with_table.uses_reactions);
        let mut with_log = with_table.clone();
        with_log.pair_table_max = 0;
        assert!(!with_log.pair_table() && with_log.uses_pair_log());
        // A run alone reads the table, a lockstep block (too big for this limit) the log.
        let mut mixed = with_table.clone();
        mixed.pair_table_max = with_table.pair_table_len();
        let wide = crate::sim::lockstep::model(&mixed).expect("a small model runs in lockstep");
        assert!(mixed.pair_table() && !wide.pair_table());
        for runs in [1, 37, 300] {
            let options = Options {
                runs,
                seed: 11,
                threads: 2,
            };
            let cancel = AtomicBool::new(false);
            let a = run(&with_table, options, &mut |_| {}, &cancel).unwrap();
            let b = run(&with_log, options, &mut |_| {}, &cancel).unwrap();
            let c = run(&mixed, options, &mut |_| {}, &cancel).unwrap();
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{runs} runs");
            assert_eq!(format!("{a:?}"), format!("{c:?}"), "{runs} runs");
        }
    }

    /// The seed at which a block's task panics, as a run would on a bug.
    const PANICKING_SEED: u64 = 0xDEAD_BEEF;

    pub(super) fn panic_if_asked(seed: u64, start: u64) {
        if seed == PANICKING_SEED && start == 0 {
            panic!("a run of the first block panicked");
        }
    }

    #[test]
    fn a_panic_in_a_run_goes_on_as_that_panic_with_many_blocks_left() {
        let model = model_of(ONE_ACTOR);
        let options = Options {
            runs: 50 * block_runs(&model),
            seed: PANICKING_SEED,
            threads: 2,
        };
        let caught = std::panic::catch_unwind(AssertUnwindSafe(|| {
            run_blocks(
                &model,
                options,
                0..options.runs,
                &mut |_| Ok(()),
                &AtomicBool::new(false),
            )
        }));
        let panic = caught.expect_err("the run's panic");
        let message = panic.downcast_ref::<&str>().copied().unwrap_or_default();
        assert_eq!(message, "a run of the first block panicked");
    }

    #[test]
    fn an_ensemble_of_no_runs_has_bands_of_zeros() {
        let model = model_of(ONE_ACTOR);
        let e = run(
            &model,
            Options {
                runs: 0,
                seed: 1,
                threads: 2,
            },
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!(e.bands.quantiles, vec![vec![[0.0; 5]; 101]]);
        assert_eq!(e.bands.mean, vec![vec![0.0; 101]]);
    }
}
