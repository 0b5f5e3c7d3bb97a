//! Expectations as tests: a scenario's `[expect]` table, checked on an ensemble of its runs.
//! Not the runs themselves ([`crate::Sim`] makes them) and not their text ([`crate::report::expect`]
//! and [`crate::report::junit`] write the results).
//!
//! An expectation is a claim about what the scenario does, written in the expression language
//! with a few words of its own (the grammar is in `docs/scenario-format.md`):
//!
//! - an event in each run: `"never crisis"`, `"tension(LTU, BLR) < 0.5 by step 20"`,
//!   `"trust(LTU, BLR) > 0.5 for 8 steps"`, `"always resolve(LTU) > 0.2"`,
//!   `"arms(A, B) within 1e-6 of 0.6667 at step 2000"`; written bare, it must happen in *every*
//!   run, and its result is pass or fail;
//! - the probability of an event, `"P(normalization) >= 0.5"`, or a statistic of a per-run
//!   number, `"mean final trust(LTU, BLR) > 0.3"`, `"median first_step(crisis) > 52"`: its 95%
//!   interval — Wilson's score interval for a probability, Student's t interval for a mean, the
//!   order-statistic interval for a median — decides. The claim **passes** when the whole
//!   interval is on its side of the bound, **fails** when the whole interval is on the other
//!   side, and is **inconclusive** when the interval straddles the bound; then the result says
//!   how many runs would likely decide it.
//!
//! [`compile`] compiles a resolved scenario with its expectations into a [`Suite`]: the
//! scenario's model with what the claims need watched in every run added to its outcomes and
//! series (never to the model [`crate::compile::compile`] gives, whose reports do not change).
//! [`Suite::run`] runs the table's runs on a rayon pool, reduces each run to one observation per
//! expectation as soon as it finishes, folds them in run order (so the result is the same on any
//! number of threads) and judges each expectation: a [`Report`].

pub(crate) mod parse;
mod run;

use crate::compile::Overrides;
use crate::diag::Diagnostics;
use crate::load::{Resolved, Sources};
use crate::model::{Model, Outcome, Series};
use crate::stats::Interval;

pub use run::Options;

/// What one expectation is held against: one side of a number, or a band around one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// `> value` (`>= value` when inclusive).
    Above {
        /// The bound.
        value: f64,
        /// Whether the bound itself satisfies it (`>=`).
        inclusive: bool,
    },
    /// `< value` (`<= value` when inclusive).
    Below {
        /// The bound.
        value: f64,
        /// Whether the bound itself satisfies it (`<=`).
        inclusive: bool,
    },
    /// `within tolerance of centre`: from `centre - tolerance` to `centre + tolerance`, both
    /// included.
    Within {
        /// The middle of the band.
        centre: f64,
        /// Half its width, not negative.
        tolerance: f64,
    },
}

impl Bound {
    /// Whether `x` satisfies the bound.
    pub fn holds(&self, x: f64) -> bool {
        match *self {
            Bound::Above { value, inclusive } => x > value || (inclusive && x == value),
            Bound::Below { value, inclusive } => x < value || (inclusive && x == value),
            Bound::Within { centre, tolerance } => (x - centre).abs() <= tolerance,
        }
    }

    /// The ends of the numbers that satisfy it (infinite where it has none).
    pub fn edges(&self) -> (f64, f64) {
        match *self {
            Bound::Above { value, .. } => (value, f64::INFINITY),
            Bound::Below { value, .. } => (f64::NEG_INFINITY, value),
            Bound::Within { centre, tolerance } => (centre - tolerance, centre + tolerance),
        }
    }

    /// The verdict of an interval: [`Verdict::Pass`] when every number in it satisfies the
    /// bound, [`Verdict::Fail`] when none does, [`Verdict::Inconclusive`] otherwise.
    pub fn judge(&self, i: Interval) -> Verdict {
        let (lo, hi) = (i.lo, i.hi);
        let (all, none) = match *self {
            Bound::Above { value, inclusive } => {
                if inclusive {
                    (lo >= value, hi < value)
                } else {
                    (lo > value, hi <= value)
                }
            }
            Bound::Below { value, inclusive } => {
                if inclusive {
                    (hi <= value, lo > value)
                } else {
                    (hi < value, lo >= value)
                }
            }
            Bound::Within { centre, tolerance } => (
                lo >= centre - tolerance && hi <= centre + tolerance,
                hi < centre - tolerance || lo > centre + tolerance,
            ),
        };
        if all {
            Verdict::Pass
        } else if none {
            Verdict::Fail
        } else {
            Verdict::Inconclusive
        }
    }

    /// The edges of the band that lie inside `i`: where an inconclusive interval straddles it.
    pub(crate) fn straddled(&self, i: Interval) -> Vec<f64> {
        let (a, b) = self.edges();
        [a, b]
            .into_iter()
            .filter(|e| e.is_finite() && i.lo <= *e && *e <= i.hi)
            .collect()
    }

    /// The bound as a claim writes it: `>= 0.5`, `within 1e-06 of 0.6667`.
    pub fn text(&self) -> String {
        match *self {
            Bound::Above { value, inclusive } => {
                format!("{} {value}", if inclusive { ">=" } else { ">" })
            }
            Bound::Below { value, inclusive } => {
                format!("{} {value}", if inclusive { "<=" } else { "<" })
            }
            Bound::Within { centre, tolerance } => format!("within {tolerance} of {centre}"),
        }
    }
}

/// The result of one expectation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It holds: in every run, or with its whole interval on the right side of the bound.
    Pass,
    /// It does not hold: in some run, or with its whole interval on the wrong side.
    Fail,
    /// The interval straddles the bound: more runs are needed to decide.
    Inconclusive,
}

/// What a statistical expectation estimates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statistic {
    /// The probability of an event: the share of runs in which it happens.
    Probability,
    /// The mean of a per-run number.
    Mean,
    /// The median of a per-run number.
    Median,
}

impl Statistic {
    /// How results name it: `P`, `mean`, `median`.
    pub fn symbol(self) -> &'static str {
        match self {
            Statistic::Probability => "P",
            Statistic::Mean => "mean",
            Statistic::Median => "median",
        }
    }

    /// The 95% interval used for it, with its source.
    pub fn method(self) -> &'static str {
        match self {
            Statistic::Probability => "Wilson score interval (Wilson 1927)",
            Statistic::Mean => "Student t interval (Student 1908)",
            Statistic::Median => {
                "order-statistic interval, exact binomial ranks (Conover 1999, §3.2)"
            }
        }
    }
}

/// The estimate of a statistical expectation.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// What is estimated.
    pub statistic: Statistic,
    /// The estimate: the share of runs, the mean or the median.
    pub value: f64,
    /// Its 95% interval ([`Statistic::method`]).
    pub interval: Interval,
    /// What it is held against.
    pub bound: Bound,
    /// Runs it was estimated from.
    pub runs: u64,
    /// For an inconclusive result: about how many runs would decide it — the fewest at which the
    /// interval would exclude every edge of the bound it straddles, were the estimate (and for a
    /// mean the standard deviation, for a median the share of runs on each side of the edge) to
    /// stay as they are. `None` when it is decided, or when the estimate sits on the bound (no
    /// number of runs would then decide it).
    pub runs_to_decide: Option<u64>,
    /// For `first_step(…)`: the last step. A run that never reached the outcome counts as
    /// reaching it at the step after it, so values above this mean "never".
    pub never_after: Option<u32>,
}

/// The result of an expectation about every run.
#[derive(Clone, Debug, PartialEq)]
pub struct EveryRun {
    /// Runs checked.
    pub runs: u64,
    /// Runs in which the claim did not hold.
    pub failed: u64,
    /// The first of them (in run order), and what went wrong in it.
    pub first_failure: Option<Counterexample>,
    /// For `X within T of V`: the smallest and largest value of X, over every run, at the step
    /// it is read.
    pub values: Option<Interval>,
    /// For `X within T of V`: the band, and the step it is read at.
    pub band: Option<(Bound, u32)>,
}

/// A run in which a claim about every run did not hold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Counterexample {
    /// The run's index (replayable alone with its seed: `detente run --replay`).
    pub run: u64,
    /// What happened in it.
    pub miss: Miss,
}

/// How a run missed a claim.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Miss {
    /// The outcome or condition was not reached (by step `by`); it was first reached at
    /// `first`, if ever.
    NotReached {
        /// The deadline, if the claim has one.
        by: Option<u32>,
        /// When it was reached after all.
        first: Option<u32>,
    },
    /// `never …`: it happened at `step`.
    Happened {
        /// The first step it happened.
        step: u32,
    },
    /// `always …`: the condition did not hold at `step`.
    Broken {
        /// The first step it did not hold.
        step: u32,
    },
    /// `… at step N` or `final …`: the condition did not hold at `step`.
    False {
        /// The step it was read at.
        step: u32,
    },
    /// `… within T of V`: the value at `step` was outside the band.
    Outside {
        /// The step it was read at.
        step: u32,
        /// The value.
        value: f64,
    },
}

/// The evidence behind a verdict.
#[derive(Clone, Debug, PartialEq)]
pub enum Evidence {
    /// A statistic with its interval.
    Estimate(Estimate),
    /// A claim about every run.
    EveryRun(EveryRun),
}

/// One expectation's result.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The expectation's name.
    pub name: String,
    /// Its description (may be empty).
    pub description: String,
    /// The claim, as written.
    pub claim: String,
    /// Pass, fail or inconclusive.
    pub verdict: Verdict,
    /// What decided it.
    pub evidence: Evidence,
}

/// Every expectation of one scenario, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The scenario's name.
    pub scenario: String,
    /// The hash of every file the scenario was read from.
    pub content_hash: u64,
    /// Runs made.
    pub runs: u64,
    /// Their seed.
    pub seed: u64,
    /// Steps of a run.
    pub steps: u32,
    /// What a step is called.
    pub time_unit: String,
    /// One result per expectation, in name order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// How many findings have verdict `v`.
    pub fn count(&self, v: Verdict) -> usize {
        self.findings.iter().filter(|f| f.verdict == v).count()
    }
}

/// A scenario compiled with its expectations: what [`Suite::run`] checks.
#[derive(Clone, Debug)]
pub struct Suite {
    /// The scenario's model with the watchers appended to its outcomes and series.
    model: Model,
    plan: Plan,
}

/// Loads `path` through `sources` and compiles it with its expectations ([`compile`]).
///
/// # Errors
///
/// As [`crate::load_model`]: every problem found, the claims' among them.
pub fn load(path: &str, sources: &dyn Sources) -> Result<Suite, Diagnostics> {
    compile(crate::load::load(path, sources)?, &Overrides::default())
}

/// Compiles a resolved scenario with its `[expect]` table. The model it runs is the one
/// [`crate::compile::compile`] gives, with the outcomes and series the claims watch added after
/// the scenario's own: they read the state and change nothing in it.
///
/// # Errors
///
/// Every diagnostic found, as [`crate::compile::compile`] gives them; a claim's errors point at
/// its place in the file.
pub fn compile(resolved: Resolved, overrides: &Overrides) -> Result<Suite, Diagnostics> {
    let (model, plan) = crate::compile::compile_observing(resolved, overrides)?;
    Ok(Suite { model, plan })
}

impl Suite {
    /// How many expectations are enabled.
    pub fn len(&self) -> usize {
        self.plan.checks.len()
    }

    /// Whether the scenario expects nothing (no `[expect]`, or every expectation switched off).
    pub fn is_empty(&self) -> bool {
        self.plan.checks.is_empty()
    }

    /// The enabled expectations, in name order: name, claim as written, description.
    pub fn expectations(&self) -> impl ExactSizeIterator<Item = (&str, &str, &str)> {
        self.plan
            .checks
            .iter()
            .map(|c| (c.name.as_str(), c.text.as_str(), c.description.as_str()))
    }

    /// Runs the table asks for (`[expect] runs`, default 1000).
    pub fn runs(&self) -> u64 {
        self.plan.runs
    }

    /// The seed the table asks for (`[expect] seed`, default the scenario's).
    pub fn seed(&self) -> u64 {
        self.plan.seed
    }

    /// The scenario's name.
    pub fn scenario_name(&self) -> &str {
        self.model.name()
    }

    /// Steps of one run.
    pub fn steps(&self) -> u32 {
        self.model.steps()
    }

    /// What one step is called.
    pub fn time_unit(&self) -> &str {
        self.model.time_unit()
    }

    /// The scenario's warnings (as [`Model::warnings`]).
    pub fn warnings(&self) -> &Diagnostics {
        self.model.warnings()
    }

    /// Every file the scenario was read from (as [`Model::source_files`]).
    pub fn source_files(&self) -> &[String] {
        self.model.source_files()
    }
}

/// What compiling `[expect]` gives: the settings, the claims, and the watchers they need.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub runs: u64,
    pub seed: u64,
    pub checks: Vec<Check>,
    /// Conditions to watch, appended to the model's outcomes (numbered from `first_outcome`).
    pub outcomes: Vec<Outcome>,
    /// Numbers to watch, appended to the model's series (numbered from `first_series`).
    pub series: Vec<Series>,
    pub first_outcome: usize,
    pub first_series: usize,
}

/// One compiled expectation.
#[derive(Clone, Debug)]
pub(crate) struct Check {
    pub name: String,
    pub description: String,
    pub text: String,
    pub claimed: Claimed,
}

/// What an expectation claims, over the model's outcomes and series (by index).
#[derive(Clone, Debug)]
pub(crate) enum Claimed {
    Probability {
        event: EventCheck,
        bound: Bound,
    },
    Statistic {
        statistic: Statistic,
        measure: Measure,
        bound: Bound,
    },
    Every(EventCheck),
}

/// An event in one run.
#[derive(Clone, Debug)]
pub(crate) enum EventCheck {
    /// The outcome was reached (by step `by`).
    Reached { outcome: usize, by: Option<u32> },
    /// The outcome was not reached (by step `by`); `always`: the outcome is the negation of
    /// the claimed condition.
    Never {
        outcome: usize,
        by: Option<u32>,
        always: bool,
    },
    /// The series (a condition, 1 or 0) is 1 at `step` (`None`: the last step).
    Holds { series: usize, step: Option<u32> },
    /// The series is in `band` at `step`.
    Within {
        series: usize,
        step: Option<u32>,
        band: Bound,
    },
}

/// A per-run number.
#[derive(Clone, Debug)]
pub(crate) enum Measure {
    /// The series at `step` (`None`: the last step).
    Value { series: usize, step: Option<u32> },
    /// The series' largest value.
    Peak { series: usize },
    /// The step the outcome was first reached; the step after the last if never.
    FirstStep { outcome: usize },
}
