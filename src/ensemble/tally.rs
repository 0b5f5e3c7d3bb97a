//! What an ensemble report needs from a set of runs, kept so that tallies of any split of the
//! runs merge into exactly the tally of all of them.
//!
//! - Means (the bands' per-step means, each metric's mean and standard deviation) come from exact
//!   sums ([`ExactSum`], [`Moments`]): no rounding before the end, so no dependence on order or
//!   grouping.
//! - Outcomes keep a histogram of the step each run first reached them (the first-step mean,
//!   median and cumulative shares are read from it exactly), shocks two counts.
//! - Quantiles (the bands' and the metrics') need the values themselves: they are kept for a
//!   fixed, bounded subset of runs, the runs whose index is a multiple of
//!   k = ⌈runs / [`BAND_SAMPLE`]⌉ — every run up to 10,000 runs, and at most 10,000 runs beyond.
//!   Whichever shard made a sampled run, its values are the same, and the merged samples are
//!   kept in run order.

use super::samples::{zeroed_keys, Chunk, Samples};
use super::{Reduced, RunSummary, BAND_SAMPLE};
use crate::model::Model;
use crate::stats::{ExactSum, Keep, Moments, Stripe};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Band sums [`Tally::add_runs`] hands a thread at a time.
const COLUMNS: usize = 64;

/// The mergeable statistics of some of an ensemble's runs: see the module's documentation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// How many runs the whole ensemble has (which runs are sampled depends on it).
    pub(crate) runs: u64,
    /// The runs tallied: sorted, disjoint and non-touching half-open ranges `[start, end)`.
    pub(crate) covers: Vec<(u64, u64)>,
    /// The band time points.
    pub(crate) steps: Vec<u32>,
    /// Per series, per time point (series-major): the sum over runs.
    pub(crate) bands: Vec<ExactSum>,
    /// Per metric (final, peak and mean of each series, then each action's count).
    pub(crate) metrics: Vec<Moments>,
    /// Per outcome: how many runs first reached it at each step.
    pub(crate) first_steps: Vec<BTreeMap<u32, u64>>,
    /// Per shock: the runs it happened in, and the steps it happened in over all runs.
    pub(crate) shocks: Vec<(u64, u64)>,
    /// The sampled runs among those tallied, in run order.
    pub(crate) samples: Samples,
}

/// Why two tallies cannot be merged.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// They are of ensembles of different shapes (runs, steps, series, metrics, outcomes).
    #[error("they are tallies of different ensembles ({0})")]
    Shape(&'static str),
    /// Some run is in both.
    #[error("run {0} is in both")]
    Overlap(u64),
}

impl Tally {
    /// An empty tally of an ensemble of `runs` runs of `model`, with bands at `steps`.
    pub(crate) fn new(model: &Model, runs: u64, steps: Vec<u32>) -> Tally {
        let n_metrics = 3 * model.series.len() + model.actions.len();
        Tally {
            runs,
            covers: Vec::new(),
            bands: vec![ExactSum::new(); model.series.len() * steps.len()],
            steps,
            metrics: vec![Moments::new(); n_metrics],
            first_steps: vec![BTreeMap::new(); model.outcomes.len()],
            shocks: vec![(0, 0); model.shocks.len()],
            samples: Samples::default(),
        }
    }

    /// Every k-th run is sampled for the quantiles: k.
    pub(crate) fn sample_every(&self) -> u64 {
        self.runs.div_ceil(BAND_SAMPLE).max(1)
    }

    /// How many runs are sampled for the quantiles when every run is tallied.
    pub(crate) fn sampled_runs(&self) -> u64 {
        self.runs.div_ceil(self.sample_every())
    }

    /// The runs tallied, as sorted half-open ranges `[start, end)`.
    pub fn covers(&self) -> &[(u64, u64)] {
        &self.covers
    }

    /// How many runs are tallied.
    pub fn count(&self) -> u64 {
        self.covers.iter().map(|(a, b)| b - a).sum()
    }

    /// How many runs the whole ensemble has.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// Whether every run of the ensemble is tallied.
    pub fn is_complete(&self) -> bool {
        self.covers == [(0, self.runs)] || (self.runs == 0 && self.covers.is_empty())
    }

    /// Adds runs, in increasing run order, in groups, each with its runs' series values at the
    /// band time points (column by column, [`Reduced`]); hands their summaries back. The band
    /// sums go a column (a band point) at a time ([`ExactSum::add_columns`]), in parallel over
    /// groups of columns: a run's values would otherwise each go into a different exact sum,
    /// hundreds of bytes wide; the sampled runs' values are copied out on the way, into the
    /// samples' chunk of these runs (column by column). The metrics' moments go a metric at a
    /// time, in parallel over the metrics. The runs must all come after any this tally holds.
    pub(crate) fn add_runs(&mut self, groups: &mut [Reduced]) -> Vec<RunSummary> {
        debug_assert!(groups
            .iter()
            .all(|g| g.at_points.len() == Stripe::len(g.summaries.len(), self.bands.len())));
        let stripes: Vec<Stripe<'_>> = groups
            .iter()
            .map(|g| Stripe {
                values: &g.at_points,
                width: g.summaries.len(),
            })
            .collect();
        let runs: Vec<&RunSummary> = groups.iter().flat_map(|g| &g.summaries).collect();
        let every = self.sample_every();
        let kept: Vec<u32> = (0..runs.len() as u32)
            .filter(|&i| runs[i as usize].run.is_multiple_of(every))
            .collect();
        let n = kept.len();
        // The kept runs' band values, column by column, copied out as the sums read them.
        let mut keys = zeroed_keys(self.bands.len() * n);
        let mut parts: Vec<&mut [i64]> = if n == 0 {
            (0..self.bands.len().div_ceil(COLUMNS))
                .map(|_| Default::default())
                .collect()
        } else {
            keys.chunks_mut(COLUMNS * n).collect()
        };
        self.bands
            .par_chunks_mut(COLUMNS)
            .zip(parts.par_iter_mut())
            .enumerate()
            .for_each(|(c, (sums, keys))| {
                let keep = Keep { rows: &kept, keys };
                ExactSum::add_columns(sums, &stripes, c * COLUMNS, keep)
            });
        self.metrics
            .par_iter_mut()
            .enumerate()
            .for_each(|(k, moments)| {
                for s in &runs {
                    moments.add(metric(s, k));
                }
            });
        let sampled = kept.iter().map(|&r| runs[r as usize].run).collect();
        self.samples
            .push(Chunk::new(sampled, keys, self.metrics.len(), |i, k| {
                metric(runs[kept[i] as usize], k)
            }));
        let mut summaries = Vec::with_capacity(runs.len());
        drop((runs, stripes));
        for s in groups
            .iter_mut()
            .flat_map(|g| std::mem::take(&mut g.summaries))
        {
            match self.covers.last_mut() {
                Some((_, end)) if *end == s.run => *end += 1,
                _ => self.covers.push((s.run, s.run + 1)),
            }
            for (o, reached) in s.reached.iter().enumerate() {
                if let Some(t) = reached {
                    *self.first_steps[o].entry(*t).or_insert(0) += 1;
                }
            }
            for (i, &c) in s.shocks.iter().enumerate() {
                self.shocks[i].0 += u64::from(c > 0);
                self.shocks[i].1 += u64::from(c);
            }
            summaries.push(s);
        }
        summaries
    }

    /// Adds every run of `other`, a tally of other runs of the same ensemble. The result does
    /// not depend on the order tallies are merged in.
    ///
    /// # Errors
    ///
    /// When `other` is of an ensemble of another shape, or shares a run with this one.
    pub fn merge(&mut self, other: Tally) -> Result<(), MergeError> {
        let shape = |a: &Tally, b: &Tally| {
            if a.runs != b.runs {
                Some("runs")
            } else if a.steps != b.steps {
                Some("steps")
            } else if a.bands.len() != b.bands.len() {
                Some("series")
            } else if a.metrics.len() != b.metrics.len() {
                Some("metrics")
            } else if a.first_steps.len() != b.first_steps.len() {
                Some("outcomes")
            } else if a.shocks.len() != b.shocks.len() {
                Some("shocks")
            } else {
                None
            }
        };
        if let Some(what) = shape(self, &other) {
            return Err(MergeError::Shape(what));
        }
        let mut covers: Vec<(u64, u64)> =
            self.covers.iter().chain(&other.covers).copied().collect();
        covers.sort_unstable();
        let mut joined: Vec<(u64, u64)> = Vec::with_capacity(covers.len());
        for (a, b) in covers {
            match joined.last_mut() {
                Some((_, end)) if a < *end => return Err(MergeError::Overlap(a)),
                Some((_, end)) if a == *end => *end = b,
                _ => joined.push((a, b)),
            }
        }
        self.covers = joined;
        for (a, b) in self.bands.iter_mut().zip(&other.bands) {
            a.merge(b);
        }
        for (a, b) in self.metrics.iter_mut().zip(&other.metrics) {
            a.merge(b);
        }
        for (a, b) in self.first_steps.iter_mut().zip(other.first_steps) {
            for (t, n) in b {
                *a.entry(t).or_insert(0) += n;
            }
        }
        for (a, b) in self.shocks.iter_mut().zip(&other.shocks) {
            a.0 += b.0;
            a.1 += b.1;
        }
        self.samples.merge(other.samples);
        Ok(())
    }

    /// Checks what a tally read from a file must satisfy to be one this code made: shapes that
    /// agree, ranges in order, samples of sampled runs inside them. A message saying what is
    /// wrong otherwise.
    ///
    /// # Errors
    ///
    /// What is wrong, for a message.
    pub fn validate(&self, model: &Model) -> Result<(), String> {
        let expected = Tally::new(model, self.runs, self.steps.clone());
        let same_shape = self.bands.len() == expected.bands.len()
            && self.metrics.len() == expected.metrics.len()
            && self.first_steps.len() == expected.first_steps.len()
            && self.shocks.len() == expected.shocks.len();
        if !same_shape {
            return Err(
                "its statistics do not have the scenario's series, actions, outcomes and shocks"
                    .into(),
            );
        }
        let in_order = self.covers.windows(2).all(|w| w[0].1 < w[1].0)
            && self.covers.iter().all(|&(a, b)| a < b && b <= self.runs);
        if !in_order {
            return Err("its runs are not ranges in order within the ensemble".into());
        }
        let every = self.sample_every();
        let covered = |r: u64| self.covers.iter().any(|&(a, b)| a <= r && r < b);
        let expected_samples: u64 = self
            .covers
            .iter()
            .map(|&(a, b)| b.div_ceil(every) - a.div_ceil(every))
            .sum();
        let runs: Vec<u64> = self.samples.runs().collect();
        let samples_ok = runs.windows(2).all(|w| w[0] < w[1])
            && runs.iter().all(|&r| r % every == 0 && covered(r))
            && self
                .samples
                .all_of_width(self.bands.len(), self.metrics.len())
            && runs.len() as u64 == expected_samples;
        if !samples_ok {
            return Err("its sampled runs are not those of its ranges".into());
        }
        let tallied = self.count();
        let counts_ok = self.metrics.iter().all(|m| m.n == tallied)
            && self
                .first_steps
                .iter()
                .all(|h| h.values().sum::<u64>() <= tallied && h.keys().all(|&t| t <= model.steps))
            && self.shocks.iter().all(|&(happened, _)| happened <= tallied);
        if !counts_ok {
            return Err("its counts do not match its runs".into());
        }
        Ok(())
    }
}

/// Metric `k` of run `s`, in the report's order: every series' final value, then every peak,
/// every mean, then each action's count.
fn metric(s: &RunSummary, k: usize) -> f64 {
    let n = s.last.len();
    match k / n.max(1) {
        _ if k >= 3 * n => s.actions[k - 3 * n] as f64,
        0 => s.last[k],
        1 => s.peak[k - n],
        _ => s.mean[k - 2 * n],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_go_finals_peaks_means_then_action_counts() {
        for n_series in [0, 1, 3] {
            let values = |base: f64| (0..n_series).map(|i| base + i as f64).collect::<Vec<_>>();
            let s = RunSummary {
                run: 0,
                last: values(10.0),
                peak: values(20.0),
                mean: values(30.0),
                reached: Vec::new(),
                actions: vec![40, 41],
                shocks: Vec::new(),
            };
            let expected: Vec<f64> =
                [values(10.0), values(20.0), values(30.0), vec![40.0, 41.0]].concat();
            assert_eq!(expected.len(), 3 * n_series + 2);
            for (k, &x) in expected.iter().enumerate() {
                assert_eq!(metric(&s, k), x, "{n_series} series, metric {k}");
            }
        }
    }
}
