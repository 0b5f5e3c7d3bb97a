//! Checking a [`Suite`]: its runs on a rayon pool, each reduced to one observation per
//! expectation as soon as it finishes, folded in run order, then judged.

use super::{
    Bound, Claimed, Counterexample, Estimate, EventCheck, EveryRun, Evidence, Finding, Measure,
    Miss, Report, Statistic, Suite, Verdict,
};
use crate::ensemble::EnsembleError;
use crate::sim::{RunRecord, RuntimeError, RuntimeErrorKind};
use crate::stats::{self, Interval};
use std::sync::atomic::{AtomicBool, Ordering};

/// Runs handed to the pool at a time, per thread; progress and cancellation are checked in
/// between.
const BLOCK: u64 = 256;

/// Most runs an estimate of the runs that would decide a claim goes up to.
const MAX_RUNS: u64 = 1 << 40;

/// How to check a suite.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Runs, instead of the table's `runs`.
    pub runs: Option<u64>,
    /// Seed, instead of the table's `seed`.
    pub seed: Option<u64>,
    /// Worker threads (0 counts as 1); the result does not depend on it.
    pub threads: usize,
}

/// What one run shows of one expectation.
#[derive(Clone, Copy, Debug)]
enum Observation {
    /// Whether the event happened; how it missed, if not; the value read, for a band.
    Event {
        ok: bool,
        miss: Miss,
        value: Option<f64>,
    },
    /// A per-run number.
    Value(f64),
}

/// What the runs so far show of one expectation.
enum Tally {
    Count(u64),
    Values(Vec<f64>),
    Every {
        failed: u64,
        first: Option<Counterexample>,
        range: Option<Interval>,
    },
}

impl Suite {
    /// Runs the suite's runs and judges every expectation. `progress` is told how many runs are
    /// done after each block; raising `cancel` stops at the next block.
    ///
    /// # Errors
    ///
    /// As [`crate::ensemble::run`]: a run whose values stop being finite (an expectation's own
    /// expression among them, named as such), a cancel, or a thread pool that cannot start.
    pub fn run(
        &self,
        options: Options,
        progress: &mut dyn FnMut(u64),
        cancel: &AtomicBool,
    ) -> Result<Report, EnsembleError> {
        let runs = options.runs.unwrap_or(self.plan.runs).max(1);
        let seed = options.seed.unwrap_or(self.plan.seed);
        let threads = options.threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| EnsembleError::Threads(e.to_string()))?;
        let mut tallies: Vec<Tally> = self
            .plan
            .checks
            .iter()
            .map(|c| match &c.claimed {
                Claimed::Probability { .. } => Tally::Count(0),
                Claimed::Statistic { .. } => Tally::Values(Vec::new()),
                Claimed::Every(_) => Tally::Every {
                    failed: 0,
                    first: None,
                    range: None,
                },
            })
            .collect();
        let wide = crate::sim::lockstep::model(&self.model);
        let mut start = 0;
        while start < runs {
            if cancel.load(Ordering::Relaxed) {
                return Err(EnsembleError::Cancelled { completed: start });
            }
            let end = (start + BLOCK * threads as u64).min(runs);
            let block = pool.install(|| {
                let runs = crate::ensemble::Runs {
                    model: &self.model,
                    wide: wide.as_ref(),
                    seed,
                    threads,
                    cancel,
                    completed: start,
                };
                runs.map(start..end, &|r| self.observe(r))
            });
            for (offset, item) in block.into_iter().enumerate() {
                let run = start + offset as u64;
                let item = item.map_err(|e| match e {
                    EnsembleError::Runtime { run, error } => EnsembleError::Runtime {
                        run,
                        error: self.named(error),
                    },
                    other => other,
                });
                for (tally, obs) in tallies.iter_mut().zip(item?) {
                    tally.add(run, obs);
                }
            }
            start = end;
            progress(start);
        }
        let findings = self
            .plan
            .checks
            .iter()
            .zip(tallies)
            .map(|(check, tally)| {
                let evidence = self.judge(&check.claimed, tally, runs);
                let verdict = match &evidence {
                    Evidence::Estimate(e) => e.bound.judge(e.interval),
                    Evidence::EveryRun(e) if e.failed == 0 => Verdict::Pass,
                    Evidence::EveryRun(_) => Verdict::Fail,
                };
                Finding {
                    name: check.name.clone(),
                    description: check.description.clone(),
                    claim: check.text.clone(),
                    verdict,
                    evidence,
                }
            })
            .collect();
        Ok(Report {
            scenario: self.model.name().to_string(),
            content_hash: self.model.content_hash(),
            runs,
            seed,
            steps: self.model.steps(),
            time_unit: self.model.time_unit().to_string(),
            findings,
        })
    }

    /// A run's error, with a watcher named as the expectation it belongs to.
    fn named(&self, mut e: RuntimeError) -> RuntimeError {
        let ours = match e.kind {
            RuntimeErrorKind::Series { series } => series >= self.plan.first_series,
            RuntimeErrorKind::Outcome { outcome } => outcome >= self.plan.first_outcome,
            _ => false,
        };
        if ours {
            e.message = e
                .message
                .replacen("report series `expect:", "expectation `", 1)
                .replacen("outcome `expect:", "expectation `", 1);
        }
        e
    }

    /// One observation per expectation of run `r`.
    fn observe(&self, r: &RunRecord) -> Vec<Observation> {
        let last = r.steps;
        let at = |series: usize, step: Option<u32>| r.series[series][step.unwrap_or(last) as usize];
        let event = |e: &EventCheck| match *e {
            EventCheck::Reached { outcome, by } => {
                let first = r.reached[outcome];
                Observation::Event {
                    ok: first.is_some_and(|s| by.is_none_or(|b| s <= b)),
                    miss: Miss::NotReached { by, first },
                    value: None,
                }
            }
            EventCheck::Never {
                outcome,
                by,
                always,
            } => {
                let first = r.reached[outcome].filter(|&s| by.is_none_or(|b| s <= b));
                let step = first.unwrap_or(0);
                Observation::Event {
                    ok: first.is_none(),
                    miss: if always {
                        Miss::Broken { step }
                    } else {
                        Miss::Happened { step }
                    },
                    value: None,
                }
            }
            EventCheck::Holds { series, step } => Observation::Event {
                ok: at(series, step) != 0.0,
                miss: Miss::False {
                    step: step.unwrap_or(last),
                },
                value: None,
            },
            EventCheck::Within { series, step, band } => {
                let value = at(series, step);
                Observation::Event {
                    ok: band.holds(value),
                    miss: Miss::Outside {
                        step: step.unwrap_or(last),
                        value,
                    },
                    value: Some(value),
                }
            }
        };
        self.plan
            .checks
            .iter()
            .map(|c| match &c.claimed {
                Claimed::Probability { event: e, .. } | Claimed::Every(e) => event(e),
                Claimed::Statistic { measure, .. } => Observation::Value(match *measure {
                    Measure::Value { series, step } => at(series, step),
                    Measure::Peak { series } => r.series[series]
                        .iter()
                        .copied()
                        .fold(f64::NEG_INFINITY, f64::max),
                    Measure::FirstStep { outcome } => {
                        f64::from(r.reached[outcome].unwrap_or(last + 1))
                    }
                }),
            })
            .collect()
    }

    /// The evidence of one expectation from its tally over `runs` runs.
    fn judge(&self, claimed: &Claimed, tally: Tally, runs: u64) -> Evidence {
        match (claimed, tally) {
            (Claimed::Probability { bound, .. }, Tally::Count(k)) => {
                let interval = stats::wilson(k, runs);
                let p = k as f64 / runs as f64;
                Evidence::Estimate(Estimate {
                    statistic: Statistic::Probability,
                    value: p,
                    interval,
                    bound: *bound,
                    runs,
                    runs_to_decide: decide(bound, interval, |edge| {
                        runs_for(runs, |n| {
                            let k = (p * n as f64).round() as u64;
                            !stats::wilson(k, n).contains(edge)
                        })
                    }),
                    never_after: None,
                })
            }
            (
                Claimed::Statistic {
                    statistic,
                    measure,
                    bound,
                },
                Tally::Values(mut values),
            ) => {
                values.sort_by(f64::total_cmp);
                let (value, interval, to_decide) = match statistic {
                    Statistic::Median => {
                        let interval = stats::median_ci(&values);
                        let to_decide = decide(bound, interval, |edge| median_runs(&values, edge));
                        (stats::quantile(&values, 0.5), interval, to_decide)
                    }
                    _ => {
                        let s = stats::summarize(&values);
                        let interval = stats::mean_ci(s);
                        let to_decide = decide(bound, interval, |edge| {
                            let gap = (s.mean - edge).abs();
                            (gap > 0.0 && s.sd > 0.0).then(|| {
                                runs_for(runs, |n| {
                                    stats::t_quantile(0.975, (n - 1) as f64) * s.sd
                                        / (n as f64).sqrt()
                                        < gap
                                })
                            })?
                        });
                        (s.mean, interval, to_decide)
                    }
                };
                Evidence::Estimate(Estimate {
                    statistic: *statistic,
                    value,
                    interval,
                    bound: *bound,
                    runs,
                    runs_to_decide: to_decide,
                    never_after: matches!(measure, Measure::FirstStep { .. })
                        .then_some(self.model.steps()),
                })
            }
            (
                Claimed::Every(event),
                Tally::Every {
                    failed,
                    first,
                    range,
                },
            ) => Evidence::EveryRun(EveryRun {
                runs,
                failed,
                first_failure: first,
                values: range,
                band: match *event {
                    EventCheck::Within { band, step, .. } => {
                        Some((band, step.unwrap_or(self.model.steps())))
                    }
                    _ => None,
                },
            }),
            // A tally is made for its claim's kind.
            _ => unreachable!("a tally of another kind of claim"),
        }
    }
}

impl Tally {
    fn add(&mut self, run: u64, obs: Observation) {
        match (self, obs) {
            (Tally::Count(k), Observation::Event { ok, .. }) => *k += u64::from(ok),
            (Tally::Values(v), Observation::Value(x)) => v.push(x),
            (
                Tally::Every {
                    failed,
                    first,
                    range,
                },
                Observation::Event { ok, miss, value },
            ) => {
                if !ok {
                    *failed += 1;
                    if first.is_none() {
                        *first = Some(Counterexample { run, miss });
                    }
                }
                if let Some(x) = value {
                    *range = Some(match *range {
                        None => Interval { lo: x, hi: x },
                        Some(i) => Interval {
                            lo: i.lo.min(x),
                            hi: i.hi.max(x),
                        },
                    });
                }
            }
            _ => unreachable!("an observation of another kind of claim"),
        }
    }
}

/// Runs that would likely decide an inconclusive claim: for each edge of the bound the interval
/// straddles, `runs_at(edge)`; the most of them, or `None` if the claim is decided or any edge
/// cannot be decided.
fn decide(bound: &Bound, interval: Interval, runs_at: impl Fn(f64) -> Option<u64>) -> Option<u64> {
    if bound.judge(interval) != Verdict::Inconclusive {
        return None;
    }
    let edges = bound.straddled(interval);
    let mut most = 0;
    for edge in edges {
        most = most.max(runs_at(edge)?);
    }
    (most > 0).then_some(most)
}

/// The fewest runs, more than `from`, at which `decided` holds (it is taken to hold from some
/// number on): doubling, then halving the gap. `None` past [`MAX_RUNS`].
fn runs_for(from: u64, decided: impl Fn(u64) -> bool) -> Option<u64> {
    let (mut lo, mut hi) = (from.max(2), from.max(2) * 2);
    while !decided(hi) {
        if hi > MAX_RUNS {
            return None;
        }
        lo = hi;
        hi *= 2;
    }
    // decided(hi), and not decided(lo) unless lo is where the search started.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if decided(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// Runs at which the median's interval would exclude `edge`, by the normal approximation of the
/// binomial ranks behind it: with a share F of the values below the edge (ties counted half),
/// the interval leaves the edge out once |F − ½| > z / (2 √n), so n = (z / (2 |F − ½|))².
/// `None` when F is ½: the median sits on the edge.
fn median_runs(sorted: &[f64], edge: f64) -> Option<u64> {
    let n = sorted.len() as f64;
    let below = sorted.partition_point(|&x| x < edge) as f64;
    let at_most = sorted.partition_point(|&x| x <= edge) as f64;
    let share = (below + at_most) / (2.0 * n);
    let gap = (share - 0.5).abs();
    if gap == 0.0 {
        return None;
    }
    let z = stats::normal_quantile(0.975);
    let runs = (z / (2.0 * gap)).powi(2).ceil();
    (runs <= MAX_RUNS as f64).then_some(runs as u64)
}
