//! The stepper: runs a compiled [`Model`] for its number of steps and returns a [`RunRecord`].
//! Not the model (names, validation, compiled expressions: [`crate::model`], the expression compiler) and
//! not ensembles ([`crate::ensemble`], which runs many of these).
//!
//! One step, synchronous, as the phase sequence of [`Sim::run`] (see ARCHITECTURE.md, "Step
//! semantics"): `decide` which actions are taken, every condition reading the state at the
//! start of the step; `book` them; sum the deltas of their `effects`, of effects scheduled by
//! earlier actions and of the `dynamics`, again from the start-of-step state; `apply` the
//! deltas and clamp to ranges; `observe` the new state (aggregates, series, outcomes). The
//! numeric loops are in `kernels`, the error and its messages in `error`, the buffers in
//! `state`.
//!
//! The hot loop works on flat arrays indexed by the graph's dense ids: no strings, no hash maps, no
//! allocation once the buffers have grown.
//!
//! # Runs in lockstep
//!
//! The phases are functions of (model, `State`, `Work`, `Clock`), not of a `Sim`, and keep no
//! per-run value of their own: a model made by `lockstep` holds a block of runs side by side,
//! and `Sim::run_block` advances them together with the same code, one record per run.

mod apply;
mod decide;
mod draws;
mod dynamics;
mod effects;
mod error;
mod kernels;
pub(crate) mod lockstep;
mod observe;
mod state;
pub(crate) mod trace;

pub use error::{Cause, Place, RuntimeError, RuntimeErrorKind};

use crate::model::Model;
use crate::rng;
use state::{Clock, LaneBuf, State, Work};

/// What one run produced. Its vectors are indexed as the model lists things (series, outcomes
/// and actions in the order of [`Model::series`], [`Model::outcomes`] and
/// [`Model::action_names`]); the methods read them by name, given the model that ran (with
/// another model they may panic or answer for the wrong item).
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    /// The seed of the ensemble the run belongs to.
    pub seed: u64,
    /// The run's index in the ensemble (its random numbers derive from the seed and this).
    pub run: u64,
    /// Steps run.
    pub steps: u32,
    /// Per series, its value at steps 0..=steps.
    pub series: Vec<Vec<f64>>,
    /// Per outcome, the step it was first reached.
    pub reached: Vec<Option<u32>>,
    /// Per outcome, whether its condition held at the last step.
    pub holds_at_end: Vec<bool>,
    /// Per actor and action (`actor * n_actions + action`), how often it was taken.
    pub action_counts: Vec<u64>,
    /// Per action, the step it was first taken (by anyone).
    pub first_taken: Vec<Option<u32>>,
    /// Per shock (in the order of [`Model::shock_names`]), how many steps it happened in.
    pub shock_counts: Vec<u32>,
    /// Per shock, the first step it happened.
    pub first_shock: Vec<Option<u32>>,
    /// Every action taken, by step (within a step in the order decided: events, then rules by
    /// priority and name): filled only by [`Sim::run_logged`], empty otherwise.
    pub takings: Vec<Taking>,
}

/// One action taken in a run: when, through which rule or event, by whom, toward whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Taking {
    /// The step.
    pub step: u32,
    /// The rule or event that took it.
    pub cause: Cause,
    /// The action.
    pub action: crate::ids::ActionId,
    /// Who took it.
    pub actor: crate::ids::ActorId,
    /// Toward whom, if anyone.
    pub target: Option<crate::ids::ActorId>,
}

/// The trace of [`Sim::run_logged`]: every taking.
struct Log(Vec<Taking>);

impl trace::Trace for Log {
    const AMOUNTS: bool = false;
    const TAKINGS: bool = true;

    fn taken(&mut self, t: u32, k: trace::Taken) {
        self.0.push(Taking {
            step: t,
            cause: k.cause,
            action: crate::ids::ActionId(k.action),
            actor: crate::ids::ActorId(k.actor),
            target: (k.target != crate::ids::ActorId::NONE.0)
                .then_some(crate::ids::ActorId(k.target)),
        });
    }
}

impl RunRecord {
    /// The values of series `name` of `model` (the model that ran) at steps 0..=steps, if the
    /// model has that series.
    pub fn series_values(&self, model: &Model, name: &str) -> Option<&[f64]> {
        Some(&self.series[model.series_index(name)?])
    }

    /// When outcome `name` was first reached: `Some(Some(step))`, `Some(None)` if never, `None`
    /// if `model` has no such outcome.
    pub fn outcome_reached(&self, model: &Model, name: &str) -> Option<Option<u32>> {
        Some(self.reached[model.outcome_index(name)?])
    }

    /// The first step at which anyone took `action`: `Some(Some(step))`, `Some(None)` if it was
    /// never taken, `None` if `model` has no such action.
    pub fn first_taken(&self, model: &Model, action: &str) -> Option<Option<u32>> {
        Some(self.first_taken[model.action_id(action)?.index()])
    }

    /// How often the actor with id `actor` took `action`, if both exist.
    pub fn action_count(&self, model: &Model, actor: &str, action: &str) -> Option<u64> {
        let (a, k) = (model.actor_id(actor)?, model.action_id(action)?);
        Some(self.action_counts[a.index() * model.action_names().len() + k.index()])
    }

    /// Empties the record for run `run` with `seed`, keeping its buffers.
    fn reset(&mut self, seed: u64, run: u64) {
        self.seed = seed;
        self.run = run;
        self.series.iter_mut().for_each(Vec::clear);
        self.reached.fill(None);
        self.holds_at_end.fill(false);
        self.action_counts.fill(0);
        self.first_taken.fill(None);
        self.shock_counts.fill(0);
        self.first_shock.fill(None);
        self.takings.clear();
    }

    /// An empty record for run `run` of `m` with `seed`, its series sized for every step.
    fn new(m: &Model, seed: u64, run: u64) -> RunRecord {
        let n_actions = m.actions.len();
        RunRecord {
            seed,
            run,
            steps: m.steps,
            series: m
                .series
                .iter()
                .map(|_| Vec::with_capacity(m.steps as usize + 1))
                .collect(),
            reached: vec![None; m.outcomes.len()],
            holds_at_end: vec![false; m.outcomes.len()],
            action_counts: vec![0; m.block.actors as usize * n_actions],
            first_taken: vec![None; n_actions],
            shock_counts: vec![0; m.shocks.len()],
            first_shock: vec![None; m.shocks.len()],
            takings: Vec::new(),
        }
    }
}

/// The series of a block's runs ([`Sim::run_block_columns`]): per series, per step, a value per
/// run of the block side by side.
pub(crate) struct SeriesColumns<'a> {
    values: &'a [f64],
    runs: usize,
    steps: usize,
}

impl<'a> SeriesColumns<'a> {
    /// The values of series `i` at step `t`, a value per run of the block.
    pub(crate) fn at(&self, i: usize, t: usize) -> &'a [f64] {
        &self.values[(i * self.steps + t) * self.runs..][..self.runs]
    }

    /// Steps per series (0..=steps of the run).
    pub(crate) fn steps(&self) -> usize {
        self.steps
    }
}

/// Reusable buffers for running one model many times.
pub struct Sim<'m> {
    model: &'m Model,
    state: State,
    lanes: LaneBuf,
    work: Work,
    /// Per run of the block: its key, and the key of the current step.
    run_keys: Vec<u64>,
    step_keys: Vec<u64>,
    /// The records of the last block ([`Sim::run_block`]), reused by the next.
    records: Vec<RunRecord>,
}

impl<'m> Sim<'m> {
    /// A stepper for `model`, with its buffers allocated once for every run it makes.
    pub fn new(model: &'m Model) -> Sim<'m> {
        Sim {
            model,
            state: State::new(model),
            lanes: LaneBuf::default(),
            work: Work::new(model),
            run_keys: vec![0; model.block.copies as usize],
            step_keys: vec![0; model.block.copies as usize],
            records: Vec::new(),
        }
    }

    /// Bytes one run of `model` needs, roughly: the stepper's state and deltas and the run's
    /// per-step series. Lets a caller refuse work that cannot fit before starting it.
    pub fn memory_estimate(model: &Model) -> u64 {
        let (e, a) = (model.n_relations() as u64 + 1, model.n_actors() as u64);
        let (series, steps) = (model.series.len() as u64, u64::from(model.steps) + 1);
        let state = 16 * (e * model.relation_vars.len() as u64 + a * model.actor_vars.len() as u64)
            + 8 * a * model.agg_actor.len() as u64
            + 8 * a * model.actions.len() as u64 * 3
            + 4 * e * model.rules.iter().filter(|r| r.cooldown > 0).count() as u64
            // The relations' keys for rule draws over whole batches, and the buffered series.
            + 16 * e
            + 8 * observe::SERIES_BUFFER as u64 * series
            // Who did what to whom, the last two steps each was taken.
            + 8 * model.pair_table_entries() as u64;
        state
            .saturating_add((8 * series).saturating_mul(steps))
            .saturating_add(Self::pending_estimate(model))
            .saturating_add(crate::expr::memory::bytes(&model.memory, a, e))
    }

    /// Bytes of effects waiting to land, at the most: every lane of every rule and every event
    /// firing every step, each delayed effect of its action landing on as many places as it
    /// can (an actor's out- or in-relations: the largest degree), and waiting as long as the
    /// longest delay (or the whole run, if shorter).
    fn pending_estimate(model: &Model) -> u64 {
        use crate::model::{Lanes, On};
        let n = model.n_actors();
        let adj = &model.adj;
        let max_out = (0..n)
            .map(|a| adj.out_range(a as u32).len())
            .max()
            .unwrap_or(0) as u64;
        // Only a model whose effects land on in-relations has (and needs) their index.
        let uses_in = model
            .actions
            .iter()
            .flat_map(|a| &a.effects)
            .any(|e| e.on == On::In);
        let max_in = if uses_in {
            (0..n)
                .map(|a| adj.in_slice(a as u32).len())
                .max()
                .unwrap_or(0) as u64
        } else {
            0
        };
        // Places the delayed effects of one taking of `action` land on.
        let fanout = |action: u16| -> u64 {
            model.actions[usize::from(action)]
                .effects
                .iter()
                .filter(|eff| eff.delay > 0 || eff.duration > 1)
                .map(|eff| match eff.on {
                    On::Places(p) => model.places[p as usize].items.len() as u64,
                    On::Relation | On::Reverse | On::Actor | On::Target => 1,
                    On::Both => 2,
                    On::Out => max_out,
                    On::In => max_in,
                })
                .sum()
        };
        let lanes_of = |lanes: &Lanes| -> u64 {
            match lanes {
                Lanes::AllEdges => model.n_relations() as u64,
                Lanes::AllActors => n as u64,
                Lanes::Edges(edges) => edges.len() as u64,
                Lanes::Actors { actors, .. } => actors.len() as u64,
                // A reaction answers an action of the step before: at most one per actor
                // toward each actor that acted, bounded here by the actors.
                Lanes::Reactions { .. } => n as u64,
            }
        };
        let per_step = model
            .rules
            .iter()
            .map(|r| lanes_of(&r.lanes).saturating_mul(fanout(r.action)))
            .chain(model.events.iter().map(|e| fanout(e.action)))
            .chain(model.shocks.iter().map(|s| {
                s.effects
                    .iter()
                    .filter(|eff| eff.delay > 0 || eff.duration > 1)
                    .map(|eff| match eff.on {
                        On::Places(p) => model.places[p as usize].items.len() as u64,
                        _ => 0,
                    })
                    .sum::<u64>()
            }))
            .fold(0u64, u64::saturating_add);
        let waiting = u64::from(model.horizon.min(model.steps));
        let entry = std::mem::size_of::<state::Pending>() as u64;
        per_step.saturating_mul(waiting).saturating_mul(entry)
    }

    fn reset(&mut self) {
        self.state.reset(self.model);
        self.work.reset();
    }

    /// Runs the model once with `seed`; `run` selects the run of an ensemble.
    ///
    /// # Errors
    ///
    /// When a value stops being a finite number: the [`RuntimeError`] names the step, the
    /// variable and what caused it.
    pub fn run(&mut self, seed: u64, run: u64) -> Result<RunRecord, RuntimeError> {
        let never = std::sync::atomic::AtomicBool::new(false);
        Ok(self
            .run_cancellable(seed, run, &never)?
            .expect("a run nobody cancels completes"))
    }

    /// Like [`Sim::run`], and the record keeps every action taken ([`RunRecord::takings`]): the
    /// same run, bit for bit.
    ///
    /// # Errors
    ///
    /// As [`Sim::run`].
    pub fn run_logged(&mut self, seed: u64, run: u64) -> Result<RunRecord, RuntimeError> {
        let never = std::sync::atomic::AtomicBool::new(false);
        Ok(self
            .run_logged_cancellable(seed, run, &never)?
            .expect("a run nobody cancels completes"))
    }

    /// [`Sim::run_logged`] that gives up between steps once `cancel` is raised, as
    /// [`Sim::run_cancellable`] does: `Ok(None)`.
    ///
    /// # Errors
    ///
    /// As [`Sim::run`].
    pub fn run_logged_cancellable(
        &mut self,
        seed: u64,
        run: u64,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<Option<RunRecord>, RuntimeError> {
        let mut log = Log(Vec::new());
        let record = self.run_traced(seed, run, cancel, &mut log)?;
        Ok(record.map(|mut record| {
            record.takings = log.0;
            record
        }))
    }

    /// Like [`Sim::run`], but gives up between steps once `cancel` is raised (checked every
    /// 64 steps): `Ok(None)`.
    ///
    /// # Errors
    ///
    /// As [`Sim::run`].
    pub fn run_cancellable(
        &mut self,
        seed: u64,
        run: u64,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<Option<RunRecord>, RuntimeError> {
        self.run_traced(seed, run, cancel, &mut trace::Quiet)
    }

    /// [`Sim::run_cancellable`], telling `trace` what happens inside each step. The run is the
    /// same run, bit for bit: the trace only watches.
    pub(crate) fn run_traced<T: trace::Trace>(
        &mut self,
        seed: u64,
        run: u64,
        cancel: &std::sync::atomic::AtomicBool,
        trace: &mut T,
    ) -> Result<Option<RunRecord>, RuntimeError> {
        debug_assert_eq!(self.model.block.copies, 1, "one run at a time");
        let mut records = [RunRecord::new(self.model, seed, run)];
        let done = self.steps(cancel, trace, &mut records)?;
        let [record] = records;
        Ok(done.then_some(record))
    }

    /// Runs `first..first + copies` of the ensemble seeded `seed` side by side, on a model made
    /// for runs in lockstep (`lockstep::model`): the records, the same bit for bit as one run
    /// at a time would give. `Ok(None)` once `cancel` is raised (checked every 64 steps).
    ///
    /// # Errors
    ///
    /// When one run's values stop being finite: an error whose places are the block's, not the
    /// run's (run the block one run at a time for the error a user should see).
    pub(crate) fn run_block(
        &mut self,
        seed: u64,
        first: u64,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<Option<&[RunRecord]>, RuntimeError> {
        let copies = u64::from(self.model.block.copies);
        let mut records = std::mem::take(&mut self.records);
        if records.is_empty() {
            records = (first..first + copies)
                .map(|run| RunRecord::new(self.model, seed, run))
                .collect();
        } else {
            for (r, run) in records.iter_mut().zip(first..) {
                r.reset(seed, run);
            }
        }
        let done = self.steps(cancel, &mut trace::Quiet, &mut records);
        self.records = records;
        Ok(done?.then_some(&self.records[..]))
    }

    /// [`Sim::run_block`], with the series left in the stepper rather than copied into the
    /// records (whose series stay empty): the records and the series values, series by series,
    /// step by step, a value per run of the block ([`SeriesColumns`]).
    ///
    /// # Errors
    ///
    /// As [`Sim::run_block`].
    pub(crate) fn run_block_columns(
        &mut self,
        seed: u64,
        first: u64,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<Option<(&[RunRecord], SeriesColumns<'_>)>, RuntimeError> {
        self.work.keep_series = true;
        let done = self.run_block(seed, first, cancel).map(|r| r.is_some());
        self.work.keep_series = false;
        if !done? {
            return Ok(None);
        }
        let columns = SeriesColumns {
            values: &self.work.series_buf,
            runs: self.records.len(),
            steps: self.model.steps as usize + 1,
        };
        Ok(Some((&self.records[..], columns)))
    }

    /// Steps the block's runs (one record each, `records`, with their seed and run index) from
    /// the initial state to the end; false when cancelled.
    fn steps<T: trace::Trace>(
        &mut self,
        cancel: &std::sync::atomic::AtomicBool,
        trace: &mut T,
        records: &mut [RunRecord],
    ) -> Result<bool, RuntimeError> {
        self.reset();
        let m = self.model;
        let (s, w, lb) = (&mut self.state, &mut self.work, &mut self.lanes);
        for (key, r) in self.run_keys.iter_mut().zip(records.iter()) {
            *key = rng::run_key(r.seed, r.run);
        }
        let step_keys = &mut self.step_keys;
        state::step_keys(&self.run_keys, 0, step_keys);
        observe::aggregates(m, s);
        observe::step(
            m,
            s,
            w,
            Clock {
                t: 0,
                keys: step_keys,
            },
            records,
        )?;
        trace.step_end(0, s.values());
        for t in 1..=m.steps {
            if t % 64 == 0 && cancel.load(std::sync::atomic::Ordering::Relaxed) {
                return Ok(false);
            }
            state::step_keys(&self.run_keys, t, step_keys);
            let clock = Clock { t, keys: step_keys };
            decide::actions(m, s, w, lb, clock)?;
            if T::TAKINGS {
                for f in &w.firings {
                    let taken = trace::Taken {
                        cause: f.source.cause(),
                        action: f.action,
                        actor: f.actor,
                        target: f.target,
                    };
                    trace.taken(t, taken);
                }
            }
            decide::book(m, s, w, t);
            effects::taken(m, s, w, lb, clock, trace)?;
            effects::shocks(m, s, w, lb, clock, records, trace)?;
            effects::scheduled(m, w, t);
            dynamics::add(m, s, w, lb, clock, trace)?;
            apply::deltas(m, s, w, t)?;
            observe::aggregates(m, s);
            // Outcomes and series still see this step's actions as `does` and the previous
            // step's as `did`; only then does this step become the previous one.
            observe::step(m, s, w, clock, records)?;
            trace.step_end(t, s.values());
            s.end_step();
        }
        observe::flush_series(m, w, records);
        let per_run = m.block.actors as usize * m.actions.len();
        for (record, counts) in records.iter_mut().zip(s.counts.chunks(per_run.max(1))) {
            record.action_counts.copy_from_slice(counts);
        }
        let n_actions = m.actions.len();
        for (record, first) in records.iter_mut().zip(s.first.chunks(n_actions.max(1))) {
            for (r, &f) in record.first_taken.iter_mut().zip(first) {
                *r = (f != crate::expr::NEVER).then_some(f as u32);
            }
        }
        Ok(true)
    }
}
