//! What the stepper holds between and within steps: the state expressions read ([`State`]), the
//! buffers a step writes ([`Work`]) and the explicit lane lists of a batch ([`LaneBuf`]).
//!
//! Not the stepping itself (the phase modules), and nothing that outlives a [`super::Sim`]: every
//! buffer is sized from the model once (the relation keys of whole-batch draws and the series
//! buffer on first use) and reused by every run.

use super::error::Cause;
use crate::expr::memory::Memory;
use crate::expr::{ActionView, Lanes, Stack, World, LANES, NEVER};
use crate::model::{Lanes as RuleLanes, Model};
use crate::rng;

/// Where the runs of a block are: the step, and per run the key its random draws derive from.
#[derive(Clone, Copy, Debug)]
pub(super) struct Clock<'k> {
    pub t: u32,
    /// Per run of the block (see [`crate::model::Block`]).
    pub keys: &'k [u64],
}

impl Clock<'_> {
    /// The key of this step's draws for run `copy` of the block.
    #[inline]
    pub fn key(&self, copy: u32) -> u64 {
        self.keys[copy as usize]
    }
}

/// Fills `step_keys` with the keys of step `t` of the runs whose keys are `run_keys`.
pub(super) fn step_keys(run_keys: &[u64], t: u32, step_keys: &mut [u64]) {
    // `rng::step_key`, for each run.
    let salt = u64::from(t).wrapping_mul(rng::GOLDEN);
    super::draws::mix_each(run_keys, salt, step_keys);
    debug_assert!(step_keys
        .iter()
        .zip(run_keys)
        .all(|(&s, &r)| s == rng::step_key(r, t)));
}

/// An action decided this step.
#[derive(Clone, Copy, Debug)]
pub(super) struct Firing {
    pub action: u16,
    pub actor: u32,
    pub target: u32,
    pub edge: u32,
    pub source: Source,
}

/// What decided a firing: a rule or an event, in 32 bits (the top bit marks an event), so a
/// firing stays small.
#[derive(Clone, Copy, Debug)]
pub(super) struct Source(u32);

impl Source {
    const EVENT: u32 = 1 << 31;

    /// Rule `i` (of `Model::rules`).
    pub fn rule(i: usize) -> Source {
        Source(i as u32)
    }

    /// Event `i` (of `Model::events`).
    pub fn event(i: usize) -> Source {
        Source(Self::EVENT | i as u32)
    }

    /// The rule or event.
    pub fn cause(self) -> Cause {
        if self.0 & Self::EVENT != 0 {
            Cause::Event((self.0 & !Self::EVENT) as usize)
        } else {
            Cause::Rule(self.0 as usize)
        }
    }
}

/// An effect still to land: (relation variable?, variable, index, amount per step, steps left).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pending {
    pub relation: bool,
    pub var: u16,
    pub index: u32,
    pub amount: f64,
    pub remaining: u32,
}

/// The values expressions read: state and bookkeeping as of the start of the step.
pub(super) struct State {
    pub rel: Vec<Vec<f64>>,
    pub actor: Vec<Vec<f64>>,
    pub agg_actor: Vec<Vec<f64>>,
    pub agg_scalar: Vec<f64>,
    pub last: Vec<i32>,
    pub before: Vec<i32>,
    pub counts: Vec<u64>,
    /// Per run of the block and action (`copy * n_actions + action`): the step it was first
    /// taken (by anyone), `NEVER` until then; into the records when the runs end.
    pub first: Vec<i32>,
    pub prev_log: Vec<(u32, u32, u32)>,
    pub cur_log: Vec<(u32, u32, u32)>,
    /// For a block of runs: where each run's entries start in the logs (their targets are
    /// its actors), then where the entries toward no one start, then the end
    /// ([`log_starts`]).
    pub prev_starts: Vec<u32>,
    pub cur_starts: Vec<u32>,
    /// Per (actor, action, target) ([`crate::model::Block::pair_slot`]): the last step it was
    /// taken, and the step before that; empty unless the model reads the table
    /// ([`Model::pair_table`]).
    pub pair_last: Vec<i32>,
    pub pair_before: Vec<i32>,
    /// Scratch for sorting a step's log as integers (`decide::book`).
    pub log_keys: Vec<u64>,
    /// Per counterpart and per window; empty unless an expression reads it.
    pub memory: Memory,
}

impl State {
    pub fn new(m: &Model) -> State {
        let (n_actors, n_actions) = (m.n_actors(), m.actions.len());
        State {
            rel: m.init_relation.clone(),
            actor: m.init_actor.clone(),
            agg_actor: vec![vec![0.0; n_actors]; m.agg_actor.len()],
            // Per aggregate, one value per run of the block.
            agg_scalar: vec![0.0; m.agg_scalar.len() * m.block.copies as usize],
            last: vec![NEVER; n_actors * n_actions],
            before: vec![NEVER; n_actors * n_actions],
            counts: vec![0; n_actors * n_actions],
            first: vec![NEVER; m.block.copies as usize * n_actions],
            prev_log: Vec::new(),
            cur_log: Vec::new(),
            prev_starts: vec![0; m.block.copies as usize + 2],
            cur_starts: vec![0; m.block.copies as usize + 2],
            pair_last: vec![NEVER; m.pair_table_entries()],
            pair_before: vec![NEVER; m.pair_table_entries()],
            log_keys: Vec::new(),
            memory: Memory::new(&m.memory, n_actors, m.adj.len()),
        }
    }

    /// Back to the model's initial state (aggregates are refreshed by the caller).
    pub fn reset(&mut self, m: &Model) {
        for (x, i) in self.rel.iter_mut().zip(&m.init_relation) {
            x.copy_from_slice(i);
        }
        for (x, i) in self.actor.iter_mut().zip(&m.init_actor) {
            x.copy_from_slice(i);
        }
        self.last.fill(NEVER);
        self.before.fill(NEVER);
        self.counts.fill(0);
        self.first.fill(NEVER);
        self.prev_log.clear();
        self.cur_log.clear();
        self.prev_starts.fill(0);
        self.cur_starts.fill(0);
        self.pair_last.fill(NEVER);
        self.pair_before.fill(NEVER);
        self.memory.reset();
    }

    /// The values, for a trace.
    pub fn values(&self) -> super::trace::Values<'_> {
        super::trace::Values {
            rel: &self.rel,
            actor: &self.actor,
        }
    }

    /// This step's who-did-what log becomes the previous step's.
    pub fn end_step(&mut self) {
        std::mem::swap(&mut self.prev_log, &mut self.cur_log);
        std::mem::swap(&mut self.prev_starts, &mut self.cur_starts);
        self.cur_log.clear();
        self.cur_starts.fill(0);
    }

    pub fn world<'a>(&'a self, m: &'a Model, clock: Clock<'a>) -> World<'a> {
        World {
            rel: &self.rel,
            actor: &self.actor,
            adj: &m.adj,
            agg_actor: &self.agg_actor,
            agg_scalar: &self.agg_scalar,
            actions: ActionView {
                n_actions: m.actions.len(),
                last: &self.last,
                before: &self.before,
                counts: &self.counts,
                prev: &self.prev_log,
                cur: &self.cur_log,
                prev_starts: &self.prev_starts,
                cur_starts: &self.cur_starts,
                pair_last: &self.pair_last,
                pair_before: &self.pair_before,
                memory: &self.memory,
            },
            step: clock.t,
            step_keys: clock.keys,
            actor_keys: &m.actor_keys,
            block: m.block,
        }
    }
}

/// Records that something was taken at step `t`: `last` becomes `t` and `before` the step
/// taken at before it (taken twice in one step, `before` stays).
#[inline(always)]
pub(super) fn stamp(last: &mut i32, before: &mut i32, t: i32) {
    if *last != t {
        *before = *last;
        *last = t;
    }
}

/// Where each run's entries start in a who-did-what log sorted by target (`log`), for a block of
/// runs: `starts[c]` for run `c`, `starts[copies]` for the entries toward no one,
/// `starts[copies + 1]` the end.
pub(super) fn log_starts(block: crate::model::Block, log: &[(u32, u32, u32)], starts: &mut [u32]) {
    for (c, start) in starts
        .iter_mut()
        .enumerate()
        .take(block.copies as usize + 1)
    {
        let first = c as u32 * block.actors;
        *start = log.partition_point(|&(target, ..)| target < first) as u32;
    }
    starts[block.copies as usize + 1] = log.len() as u32;
}

/// Explicit lane lists built per batch.
#[derive(Default)]
pub(super) struct LaneBuf {
    pub me: Vec<u32>,
    pub target: Vec<u32>,
    pub edge: Vec<u32>,
    /// Per rule over listed actors toward a fixed target: each lane's target (the target of the
    /// lane's own run), found the first time the rule is decided (empty until then, and for
    /// other rules).
    pub rule_targets: Vec<Vec<u32>>,
}

impl LaneBuf {
    pub fn clear(&mut self) {
        self.me.clear();
        self.target.clear();
        self.edge.clear();
    }

    /// Lanes for these relations: each one's actor, target and itself.
    pub fn fill_edges(&mut self, m: &Model, edges: &[u32]) {
        self.clear();
        self.me.extend(edges.iter().map(|&e| m.adj.src[e as usize]));
        self.target
            .extend(edges.iter().map(|&e| m.adj.dst[e as usize]));
        self.edge.extend_from_slice(edges);
    }

    /// Lanes for these firings: each one's actor, target and relation.
    pub fn fill_firings(&mut self, firings: &[Firing]) {
        self.clear();
        for f in firings {
            self.me.push(f.actor);
            self.target.push(f.target);
            self.edge.push(f.edge);
        }
    }

    pub fn lanes(&self, range: std::ops::Range<usize>) -> Lanes<'_> {
        Lanes::List {
            me: &self.me[range.clone()],
            target: &self.target[range.clone()],
            edge: &self.edge[range],
        }
    }
}

/// Everything written during a step other than the state.
pub(super) struct Work {
    pub d_rel: Vec<Vec<f64>>,
    pub d_actor: Vec<Vec<f64>>,
    pub ring: Vec<Vec<Pending>>,
    pub spare: Vec<Pending>,
    pub rule_last: Vec<Vec<i32>>,
    pub fired: Vec<u32>,
    /// Whether any actor has a cap on the actions it takes per step.
    pub capped: bool,
    pub touched: Vec<u32>,
    pub firings: Vec<Firing>,
    pub hold: Vec<u32>,
    /// Per dynamic: whether it also applies its variable's changes (see [`super::dynamics`]).
    pub fused: Vec<bool>,
    /// Per relation variable: whether a fused dynamic applies it.
    pub fused_var: Vec<bool>,
    /// Per relation variable, for fused ones: the first relation whose new value overflowed
    /// this step, reported in the apply phase as an unfused variable's would be.
    pub overflow: Vec<Option<u32>>,
    pub stack: Stack,
    pub a: Vec<f64>,
    pub b: Vec<f64>,
    /// The shocks happening this step: (run of the block, shock).
    pub shocks_now: Vec<(u32, u32)>,
    /// Per action taken at most once per step (empty for the others): the step it was last
    /// taken per pair slot (`2 × relations`), then per actor toward no target.
    pub once: Vec<Vec<i32>>,
    /// Scratch for spill-over that follows more than one hop.
    pub reach: Reach,
    /// Per run of the block: the base key of one rule's draws this step.
    pub bases: Vec<u64>,
    /// The rules over every relation or every actor that draw (their probability is not a
    /// constant of at least 1), and per rule its base keys this step (`rule_bases[rule *
    /// copies ..]`), mixed for those rules in one pass at the step's start.
    pub drawing: Vec<u32>,
    pub premixed: Vec<bool>,
    pub rule_bases: Vec<u64>,
    /// Per relation, for rules over every relation drawn whole: the key of its actor and the
    /// rotated key of its target (empty until the first such draw).
    pub src_keys: Vec<u64>,
    pub dst_keys: Vec<u64>,
    /// Series values of the last `buffered` steps not yet in the records: per series, per step,
    /// one per run of the block side by side (see `observe::step`), for 64 steps, or for every
    /// step of the run when the values stay here rather than go to the records (`keep_series`,
    /// [`Sim::run_block_columns`](super::Sim::run_block_columns)).
    pub series_buf: Vec<f64>,
    pub buffered: usize,
    pub keep_series: bool,
    /// Scratch for sorting the firings by action, and the count per action.
    pub sorted: Vec<Firing>,
    pub per_action: Vec<u32>,
}

/// Per relation, the key of the actor at one end, rotated left by `rotate`.
pub(super) fn edge_keys(model: &Model, ends: &[u32], rotate: u32) -> Vec<u64> {
    ends.iter()
        .map(|&a| model.actor_keys[a as usize].rotate_left(rotate))
        .collect()
}

/// Scratch for a breadth-first walk over kin: a mark per actor (the walk's stamp when
/// reached), this hop's actors and the next hop's.
#[derive(Default)]
pub(super) struct Reach {
    pub mark: Vec<u32>,
    pub stamp: u32,
    pub hop: Vec<u32>,
    pub next: Vec<u32>,
}

impl Work {
    pub fn new(model: &Model) -> Work {
        let n_actors = model.n_actors();
        let n_edges = model.n_relations();
        // The last dynamics over every relation of a variable applies the variable's changes as
        // it goes: there is nothing left to add after it.
        let fused: Vec<bool> = model
            .dynamics
            .iter()
            .enumerate()
            .map(|(i, d)| {
                d.relation
                    && d.only.is_none()
                    && !model.dynamics[i + 1..]
                        .iter()
                        .any(|later| later.relation && later.var == d.var)
            })
            .collect();
        let fused_var = (0..model.relation_vars.len())
            .map(|v| {
                model
                    .dynamics
                    .iter()
                    .zip(&fused)
                    .any(|(d, &f)| f && d.var as usize == v)
            })
            .collect();
        let rule_last = model
            .rules
            .iter()
            .map(|r| match &r.lanes {
                // Only a rule with a cooldown remembers when each of its lanes last fired.
                _ if r.cooldown == 0 => Vec::new(),
                RuleLanes::AllEdges | RuleLanes::Edges(_) => vec![NEVER; n_edges],
                _ => vec![NEVER; n_actors],
            })
            .collect();
        Work {
            d_rel: vec![vec![0.0; n_edges + 1]; model.relation_vars.len()],
            d_actor: vec![vec![0.0; n_actors]; model.actor_vars.len()],
            ring: vec![Vec::new(); model.horizon as usize + 1],
            spare: Vec::new(),
            rule_last,
            fired: vec![0; n_actors],
            capped: (0..n_actors as u32).any(|a| model.graph[a].cap != u32::MAX),
            touched: Vec::new(),
            firings: Vec::new(),
            // Per outcome, one counter per run of the block.
            hold: vec![0; model.outcomes.len() * model.block.copies as usize],
            fused,
            fused_var,
            overflow: vec![None; model.relation_vars.len()],
            stack: Stack::with_depth(model.max_depth),
            a: vec![0.0; LANES],
            b: vec![0.0; LANES],
            shocks_now: Vec::new(),
            once: model
                .actions
                .iter()
                .map(|a| {
                    if a.once_per_step {
                        vec![NEVER; 2 * n_edges + n_actors]
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
            reach: Reach {
                mark: if model.multi_hop() {
                    vec![0; n_actors]
                } else {
                    Vec::new()
                },
                ..Reach::default()
            },
            bases: Vec::with_capacity(model.block.copies as usize),
            drawing: (0..model.rules.len() as u32)
                .filter(|&ri| {
                    let r = &model.rules[ri as usize];
                    matches!(r.lanes, RuleLanes::AllEdges | RuleLanes::AllActors)
                        && r.probability.constant().is_none_or(|p| p > 0.0 && p < 1.0)
                        && r.when.constant() != Some(0.0)
                })
                .collect(),
            premixed: Vec::new(),
            rule_bases: Vec::new(),
            src_keys: Vec::new(),
            dst_keys: Vec::new(),
            series_buf: Vec::new(),
            buffered: 0,
            keep_series: false,
            sorted: Vec::new(),
            per_action: vec![0; model.actions.len() + 1],
        }
    }

    /// Nothing pending, no deltas, no cooldowns or caps: as new.
    pub fn reset(&mut self) {
        self.ring.iter_mut().for_each(Vec::clear);
        self.rule_last.iter_mut().for_each(|v| v.fill(NEVER));
        self.hold.fill(0);
        self.d_rel.iter_mut().for_each(|v| v.fill(0.0));
        self.overflow.fill(None);
        self.d_actor.iter_mut().for_each(|v| v.fill(0.0));
        self.once.iter_mut().for_each(|v| v.fill(NEVER));
        self.buffered = 0;
        self.clear_caps();
    }

    /// Forgets how many actions each actor took this step (for caps).
    pub fn clear_caps(&mut self) {
        for &a in &self.touched {
            self.fired[a as usize] = 0;
        }
        self.touched.clear();
    }
}
