//! The stepper: runs a compiled [`Model`] for its number of steps and returns a [`RunRecord`].
//!
//! One step, synchronous: (1) events and rules decide which actions are taken, every condition
//! reading the state at the start of the step; (2) the effects of this step's actions, effects
//! scheduled by earlier actions, and the dynamics are summed as deltas, again from the start-of-step
//! state; (3) deltas are applied and ranges clamp; (4) outcomes and series read the new state.
//! The hot loop works on flat arrays indexed by the graph's dense ids: no strings, no hash maps, no
//! allocation once the buffers have grown.

use crate::expr::{
    eval, eval_in, eval_mask, ActionView, AggFn, AggKey, AggSet, Lanes, Masks, Stack, World, LANES,
    NEVER,
};
use crate::model::{Dynamic, Lanes as RuleLanes, Model, On, When};
use crate::rng;
use std::fmt;

/// What one run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    pub seed: u64,
    pub run: u64,
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
}

/// A value stopped being a finite number.
#[derive(Clone, Debug, PartialEq)]
pub struct RuntimeError {
    pub step: u32,
    pub message: String,
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step {}: {}", self.step, self.message)
    }
}

impl std::error::Error for RuntimeError {}

/// An action decided this step.
#[derive(Clone, Copy, Debug)]
struct Firing {
    action: u16,
    actor: u32,
    target: u32,
    edge: u32,
    /// Rule index, or `EVENT | event index`.
    source: u32,
}

const EVENT: u32 = 1 << 31;

/// An effect still to land: (relation variable?, variable, index, amount per step, steps left).
#[derive(Clone, Copy, Debug)]
struct Pending {
    relation: bool,
    var: u16,
    index: u32,
    amount: f64,
    remaining: u32,
}

/// The values expressions read: state and bookkeeping as of the start of the step.
struct State {
    rel: Vec<Vec<f64>>,
    actor: Vec<Vec<f64>>,
    agg_actor: Vec<Vec<f64>>,
    agg_scalar: Vec<f64>,
    last: Vec<i32>,
    before: Vec<i32>,
    counts: Vec<u64>,
    prev_log: Vec<(u32, u32, u32)>,
    cur_log: Vec<(u32, u32, u32)>,
}

impl State {
    fn world<'a>(&'a self, m: &'a Model, step: u32, step_key: u64) -> World<'a> {
        World {
            rel: &self.rel,
            actor: &self.actor,
            src: &m.src,
            dst: &m.dst,
            rev: &m.rev,
            out_start: &m.out_start,
            agg_actor: &self.agg_actor,
            agg_scalar: &self.agg_scalar,
            actions: ActionView {
                n_actions: m.actions.len(),
                last: &self.last,
                before: &self.before,
                counts: &self.counts,
                prev: &self.prev_log,
                cur: &self.cur_log,
            },
            step,
            step_key,
            actor_keys: &m.actor_keys,
        }
    }
}

/// Explicit lane lists built per batch.
#[derive(Default)]
struct LaneBuf {
    me: Vec<u32>,
    target: Vec<u32>,
    edge: Vec<u32>,
}

impl LaneBuf {
    fn clear(&mut self) {
        self.me.clear();
        self.target.clear();
        self.edge.clear();
    }

    /// Lanes for these relations: each one's actor, target and itself.
    fn fill_edges(&mut self, m: &Model, edges: &[u32]) {
        self.clear();
        self.me.extend(edges.iter().map(|&e| m.src[e as usize]));
        self.target.extend(edges.iter().map(|&e| m.dst[e as usize]));
        self.edge.extend_from_slice(edges);
    }

    fn lanes(&self, range: std::ops::Range<usize>) -> Lanes<'_> {
        Lanes::List {
            me: &self.me[range.clone()],
            target: &self.target[range.clone()],
            edge: &self.edge[range],
        }
    }
}

/// Everything written during a step other than the state.
struct Work {
    d_rel: Vec<Vec<f64>>,
    d_actor: Vec<Vec<f64>>,
    ring: Vec<Vec<Pending>>,
    spare: Vec<Pending>,
    rule_last: Vec<Vec<i32>>,
    fired: Vec<u32>,
    touched: Vec<u32>,
    firings: Vec<Firing>,
    hold: Vec<u32>,
    /// Per dynamic: whether it also applies its variable's changes (see [`Sim::dynamics`]).
    fused: Vec<bool>,
    /// Per relation variable: whether a fused dynamic applies it.
    fused_var: Vec<bool>,
    /// Per relation variable, for fused ones: the first relation whose new value overflowed
    /// this step, reported in the apply phase as an unfused variable's would be.
    overflow: Vec<Option<u32>>,
    stack: Stack,
    a: Vec<f64>,
    b: Vec<f64>,
}

/// Reusable buffers for running one model many times.
pub struct Sim<'m> {
    model: &'m Model,
    state: State,
    lanes: LaneBuf,
    work: Work,
}

impl<'m> Sim<'m> {
    pub fn new(model: &'m Model) -> Sim<'m> {
        let n_actions = model.actions.len();
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
        Sim {
            model,
            state: State {
                rel: model.init_relation.clone(),
                actor: model.init_actor.clone(),
                agg_actor: vec![vec![0.0; n_actors]; model.agg_actor.len()],
                agg_scalar: vec![0.0; model.agg_scalar.len()],
                last: vec![NEVER; n_actors * n_actions],
                before: vec![NEVER; n_actors * n_actions],
                counts: vec![0; n_actors * n_actions],
                prev_log: Vec::new(),
                cur_log: Vec::new(),
            },
            lanes: LaneBuf::default(),
            work: Work {
                d_rel: vec![vec![0.0; n_edges + 1]; model.relation_vars.len()],
                d_actor: vec![vec![0.0; n_actors]; model.actor_vars.len()],
                ring: vec![Vec::new(); model.horizon as usize + 1],
                spare: Vec::new(),
                rule_last,
                fired: vec![0; n_actors],
                touched: Vec::new(),
                firings: Vec::new(),
                hold: vec![0; model.outcomes.len()],
                fused: fused.clone(),
                fused_var: (0..model.relation_vars.len())
                    .map(|v| {
                        model
                            .dynamics
                            .iter()
                            .zip(&fused)
                            .any(|(d, &f)| f && d.var as usize == v)
                    })
                    .collect(),
                overflow: vec![None; model.relation_vars.len()],
                stack: Stack::with_depth(model.max_depth),
                a: vec![0.0; LANES],
                b: vec![0.0; LANES],
            },
        }
    }

    fn reset(&mut self) {
        let m = self.model;
        let (s, w) = (&mut self.state, &mut self.work);
        for (x, i) in s.rel.iter_mut().zip(&m.init_relation) {
            x.copy_from_slice(i);
        }
        for (x, i) in s.actor.iter_mut().zip(&m.init_actor) {
            x.copy_from_slice(i);
        }
        s.last.fill(NEVER);
        s.before.fill(NEVER);
        s.counts.fill(0);
        s.prev_log.clear();
        s.cur_log.clear();
        w.ring.iter_mut().for_each(Vec::clear);
        w.rule_last.iter_mut().for_each(|v| v.fill(NEVER));
        w.hold.fill(0);
        w.d_rel.iter_mut().for_each(|v| v.fill(0.0));
        w.overflow.fill(None);
        w.d_actor.iter_mut().for_each(|v| v.fill(0.0));
        for &a in &w.touched {
            w.fired[a as usize] = 0;
        }
        w.touched.clear();
    }

    /// Runs the model once with `seed`; `run` selects the run of an ensemble. Fails when a value
    /// stops being a finite number, naming the step, the variable and what caused it.
    pub fn run(&mut self, seed: u64, run: u64) -> Result<RunRecord, RuntimeError> {
        self.reset();
        let m = self.model;
        let steps = m.steps;
        let n_actions = m.actions.len();
        let mut record = RunRecord {
            seed,
            run,
            steps,
            series: m
                .series
                .iter()
                .map(|_| Vec::with_capacity(steps as usize + 1))
                .collect(),
            reached: vec![None; m.outcomes.len()],
            holds_at_end: vec![false; m.outcomes.len()],
            action_counts: vec![0; m.n_actors() * n_actions],
            first_taken: vec![None; n_actions],
        };
        let run_key = rng::run_key(seed, run);
        refresh_aggregates(m, &mut self.state);
        self.observe(0, rng::step_key(run_key, 0), &mut record)?;
        for t in 1..=steps {
            let step_key = rng::step_key(run_key, t);
            self.decide(t, step_key);
            self.book(t, &mut record);
            self.effects(t, step_key)?;
            self.scheduled(t);
            self.dynamics(t, step_key)?;
            self.apply(t)?;
            refresh_aggregates(m, &mut self.state);
            // Outcomes and series still see this step's actions as `does` and the previous
            // step's as `did`; only then does this step become the previous one.
            self.observe(t, step_key, &mut record)?;
            std::mem::swap(&mut self.state.prev_log, &mut self.state.cur_log);
            self.state.cur_log.clear();
        }
        record.action_counts.copy_from_slice(&self.state.counts);
        Ok(record)
    }

    /// Phase 1: which actions are taken this step. Reads only the start-of-step state.
    fn decide(&mut self, t: u32, step_key: u64) {
        let m = self.model;
        let world = self.state.world(m, t, step_key);
        let w = &mut self.work;
        let lb = &mut self.lanes;
        w.firings.clear();
        for &a in &w.touched {
            w.fired[a as usize] = 0;
        }
        w.touched.clear();
        for (i, ev) in m.events.iter().enumerate() {
            let happens = match &ev.when {
                When::At(steps) => steps.binary_search(&t).is_ok(),
                When::Rate { rate, from, until } if (*from..=*until).contains(&t) => {
                    eval(rate, &world, &Lanes::Global, &mut w.a, &mut w.stack);
                    let target_key = m.actor_keys.get(ev.target as usize).copied().unwrap_or(0);
                    rng::uniform(rng::place(
                        rng::mix(step_key ^ ev.key),
                        m.actor_keys[ev.actor as usize],
                        target_key,
                    )) < w.a[0]
                }
                When::Rate { .. } => false,
            };
            if happens {
                w.firings.push(Firing {
                    action: ev.action,
                    actor: ev.actor,
                    target: ev.target,
                    edge: ev.edge,
                    source: EVENT | i as u32,
                });
            }
        }
        for (ri, rule) in m.rules.iter().enumerate() {
            if rule.probability.constant() == Some(0.0) || rule.when.constant() == Some(0.0) {
                continue;
            }
            match &rule.lanes {
                RuleLanes::AllEdges => {
                    for (start, len) in batches(m.n_relations()) {
                        let lanes = Lanes::Edges {
                            start: start as u32,
                            len,
                        };
                        decide_batch(m, ri, &world, &lanes, true, w, t, step_key);
                    }
                }
                RuleLanes::Edges(edges) => {
                    for chunk in edges.chunks(LANES) {
                        lb.fill_edges(m, chunk);
                        decide_batch(
                            m,
                            ri,
                            &world,
                            &lb.lanes(0..chunk.len()),
                            true,
                            w,
                            t,
                            step_key,
                        );
                    }
                }
                RuleLanes::AllActors => {
                    // Plain actor ranges, so loads are slice copies.
                    for (start, len) in batches(m.n_actors()) {
                        let lanes = Lanes::Actors {
                            start: start as u32,
                            len,
                        };
                        decide_batch(m, ri, &world, &lanes, false, w, t, step_key);
                    }
                }
                RuleLanes::Actors {
                    actors,
                    target,
                    edges,
                } => {
                    for (chunk, edge_chunk) in actors.chunks(LANES).zip(edges.chunks(LANES)) {
                        lb.target.clear();
                        lb.target.resize(chunk.len(), *target);
                        let lanes = Lanes::List {
                            me: chunk,
                            target: &lb.target,
                            edge: edge_chunk,
                        };
                        decide_batch(m, ri, &world, &lanes, false, w, t, step_key);
                    }
                }
                RuleLanes::Reactions { actors, action } => {
                    // The previous step's log is sorted by (target, action, actor).
                    lb.clear();
                    for &(to, act, by) in world.actions.prev {
                        if act == u32::from(*action)
                            && (to as usize) < actors.len()
                            && actors[to as usize]
                        {
                            lb.me.push(to);
                            lb.target.push(by);
                            lb.edge.push(world.edge(to, by));
                        }
                    }
                    for start in (0..lb.me.len()).step_by(LANES) {
                        let end = (start + LANES).min(lb.me.len());
                        decide_batch(m, ri, &world, &lb.lanes(start..end), false, w, t, step_key);
                    }
                }
            }
        }
    }

    /// Records this step's actions: counts, last-taken steps and the who-did-what log.
    fn book(&mut self, t: u32, record: &mut RunRecord) {
        let n_actions = self.model.actions.len();
        let s = &mut self.state;
        for f in &self.work.firings {
            let i = f.actor as usize * n_actions + f.action as usize;
            if s.last[i] != t as i32 {
                s.before[i] = s.last[i];
                s.last[i] = t as i32;
            }
            s.counts[i] += 1;
            record.first_taken[f.action as usize].get_or_insert(t);
        }
        if self.model.uses_pair_log {
            s.cur_log.extend(
                self.work
                    .firings
                    .iter()
                    .map(|f| (f.target, u32::from(f.action), f.actor)),
            );
            s.cur_log.sort_unstable();
            s.cur_log.dedup();
        }
    }

    /// Phase 2a: the effects of this step's actions, as deltas or scheduled for later.
    fn effects(&mut self, t: u32, step_key: u64) -> Result<(), RuntimeError> {
        let m = self.model;
        let w = &mut self.work;
        if w.firings.is_empty() {
            return Ok(());
        }
        let world = self.state.world(m, t, step_key);
        let lb = &mut self.lanes;
        // Group by action so each effect's amount is evaluated in batches.
        w.firings.sort_by_key(|f| f.action);
        let horizon = w.ring.len();
        let mut group_start = 0;
        while group_start < w.firings.len() {
            let action = w.firings[group_start].action;
            let group_end = group_start
                + w.firings[group_start..]
                    .iter()
                    .take_while(|f| f.action == action)
                    .count();
            let act = &m.actions[action as usize];
            for chunk_start in (group_start..group_end).step_by(LANES) {
                let chunk_end = (chunk_start + LANES).min(group_end);
                lb.clear();
                for f in &w.firings[chunk_start..chunk_end] {
                    lb.me.push(f.actor);
                    lb.target.push(f.target);
                    lb.edge.push(f.edge);
                }
                for eff in &act.effects {
                    eval(
                        &eff.amount,
                        &world,
                        &lb.lanes(0..chunk_end - chunk_start),
                        &mut w.a,
                        &mut w.stack,
                    );
                    for (i, f) in w.firings[chunk_start..chunk_end].iter().enumerate() {
                        let amount = w.a[i];
                        if !amount.is_finite() {
                            let who = if f.source & EVENT != 0 {
                                format!("event `{}`", m.events[(f.source & !EVENT) as usize].name)
                            } else {
                                format!("rule `{}`", m.rules[f.source as usize].name)
                            };
                            return Err(RuntimeError {
                                step: t,
                                message: format!(
                                    "the effect of action `{}` on `{}` (taken by {} through {who}) is not a finite number ({amount})",
                                    act.name,
                                    var_name(m, eff.on, eff.var),
                                    m.actor(f.actor).id
                                ),
                            });
                        }
                        let mut land = |relation: bool, index: u32, x: f64| {
                            if relation && index as usize >= m.n_relations() {
                                return;
                            }
                            let pending = Pending {
                                relation,
                                var: eff.var,
                                index,
                                amount: x,
                                remaining: eff.duration,
                            };
                            if eff.delay > 0 {
                                w.ring[(t as usize + eff.delay as usize) % horizon].push(pending);
                                return;
                            }
                            if relation {
                                w.d_rel[eff.var as usize][index as usize] += x;
                            } else {
                                w.d_actor[eff.var as usize][index as usize] += x;
                            }
                            if eff.duration > 1 {
                                w.ring[(t as usize + 1) % horizon].push(Pending {
                                    remaining: eff.duration - 1,
                                    ..pending
                                });
                            }
                        };
                        match eff.on {
                            On::Relation => land(true, f.edge, amount),
                            On::Reverse => land(true, edge_of(m, f.target, f.actor), amount),
                            On::Both => {
                                land(true, f.edge, amount);
                                land(true, edge_of(m, f.target, f.actor), amount);
                            }
                            On::Actor => land(false, f.actor, amount),
                            On::Target => land(false, f.target, amount),
                            On::Out => {
                                for e in
                                    m.out_start[f.actor as usize]..m.out_start[f.actor as usize + 1]
                                {
                                    land(true, e, amount);
                                }
                            }
                            On::In => {
                                for &e in m.in_edges_of(f.actor) {
                                    land(true, e, amount);
                                }
                            }
                        }
                        if let Some((kin, factor)) = eff.spill {
                            let x = amount * factor;
                            let side = if eff.on == On::Target {
                                f.target
                            } else {
                                f.actor
                            };
                            for &k in m.kin[kin].of(side) {
                                if k == f.actor || k == f.target {
                                    continue;
                                }
                                match eff.on {
                                    On::Relation => land(true, edge_of(m, k, f.target), x),
                                    On::Reverse => land(true, edge_of(m, f.target, k), x),
                                    On::Both => {
                                        land(true, edge_of(m, k, f.target), x);
                                        land(true, edge_of(m, f.target, k), x);
                                    }
                                    On::Actor | On::Target => land(false, k, x),
                                    On::Out => {
                                        for e in
                                            m.out_start[k as usize]..m.out_start[k as usize + 1]
                                        {
                                            land(true, e, x);
                                        }
                                    }
                                    On::In => {
                                        for &e in m.in_edges_of(k) {
                                            land(true, e, x);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            group_start = group_end;
        }
        Ok(())
    }

    /// Phase 2b: effects of earlier actions that land in this step.
    fn scheduled(&mut self, t: u32) {
        let w = &mut self.work;
        let horizon = w.ring.len();
        let slot = t as usize % horizon;
        let next = (slot + 1) % horizon;
        std::mem::swap(&mut w.ring[slot], &mut w.spare);
        for p in &w.spare {
            if p.relation {
                w.d_rel[p.var as usize][p.index as usize] += p.amount;
            } else {
                w.d_actor[p.var as usize][p.index as usize] += p.amount;
            }
            if p.remaining > 1 {
                w.ring[next].push(Pending {
                    remaining: p.remaining - 1,
                    ..*p
                });
            }
        }
        w.spare.clear();
    }

    /// Phase 2c: the dynamics, as deltas.
    fn dynamics(&mut self, t: u32, step_key: u64) -> Result<(), RuntimeError> {
        let m = self.model;
        let world = self.state.world(m, t, step_key);
        let w = &mut self.work;
        let lb = &mut self.lanes;
        for (k, d) in m.dynamics.iter().enumerate() {
            let total = match &d.only {
                Some(list) => list.len(),
                None if d.relation => m.n_relations(),
                None => m.n_actors(),
            };
            for (start, len) in batches(total) {
                let lanes = match (&d.only, d.relation) {
                    (None, true) => Lanes::Edges {
                        start: start as u32,
                        len,
                    },
                    (None, false) => Lanes::Actors {
                        start: start as u32,
                        len,
                    },
                    (Some(list), relation) => {
                        let chunk = &list[start..start + len];
                        if relation {
                            lb.fill_edges(m, chunk);
                        } else {
                            lb.clear();
                            lb.me.extend_from_slice(chunk);
                            lb.target.resize(len, u32::MAX);
                            lb.edge.resize(len, m.n_relations() as u32);
                        }
                        lb.lanes(0..len)
                    }
                };
                let out = eval_in(&d.add, &world, &lanes, &mut w.stack);
                if w.fused[k] {
                    // New value = value + (changes so far + this change), written over the
                    // changes (the two buffers are swapped in `apply`), then clamped while the
                    // batch is in cache. Everything else reads the start-of-step values.
                    let v = d.var as usize;
                    let vals = &world.rel[v][start..start + len];
                    let ds = &mut w.d_rel[v][start..start + len];
                    let (lo, hi) = m.relation_vars[v]
                        .range
                        .unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
                    if apply_batch(ds, vals, out, lo, hi) {
                        let i = out.iter().position(|&y| not_finite(y)).unwrap_or(0);
                        // The state is untouched: evaluate again to tell a bad change from an
                        // overflowing sum.
                        let again = eval_in(&d.add, &world, &lanes, &mut w.stack);
                        if !all_finite(again) {
                            return Err(dynamics_error(m, d, t, start, again));
                        }
                        if w.overflow[v].is_none() {
                            w.overflow[v] = Some((start + i) as u32);
                        }
                    }
                    continue;
                }
                if !all_finite(out) {
                    return Err(dynamics_error(m, d, t, start, out));
                }
                let target = if d.relation {
                    &mut w.d_rel[d.var as usize]
                } else {
                    &mut w.d_actor[d.var as usize]
                };
                match &d.only {
                    None => {
                        for (x, dx) in target[start..start + len].iter_mut().zip(out) {
                            *x += *dx;
                        }
                    }
                    Some(list) => {
                        for (&idx, dx) in list[start..start + len].iter().zip(out) {
                            target[idx as usize] += *dx;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Phase 3: apply the deltas, clamp to ranges, and check that every value is finite.
    fn apply(&mut self, t: u32) -> Result<(), RuntimeError> {
        let m = self.model;
        let n_edges = m.n_relations();
        let (s, w) = (&mut self.state, &mut self.work);
        for (v, var) in m.relation_vars.iter().enumerate() {
            let result = if w.fused_var[v] {
                // The dynamics left the new values where the changes were: swap them in.
                std::mem::swap(&mut s.rel[v], &mut w.d_rel[v]);
                w.d_rel[v].fill(0.0);
                match w.overflow[v].take() {
                    Some(e) => Err(e as usize),
                    None => Ok(()),
                }
            } else {
                apply_column(
                    &mut s.rel[v][..n_edges],
                    &mut w.d_rel[v][..n_edges],
                    var.range,
                )
            };
            s.rel[v][n_edges] = var.default;
            w.d_rel[v][n_edges] = 0.0;
            if let Err(e) = result {
                return Err(overflow_error(t, &var.name, m.relation_label(e as u32)));
            }
        }
        for (v, var) in m.actor_vars.iter().enumerate() {
            if let Err(a) = apply_column(&mut s.actor[v], &mut w.d_actor[v], var.range) {
                return Err(overflow_error(t, &var.name, m.actor(a as u32).id.clone()));
            }
        }
        Ok(())
    }

    /// Phase 4: series values and outcome conditions on the state after step `t`.
    fn observe(
        &mut self,
        t: u32,
        step_key: u64,
        record: &mut RunRecord,
    ) -> Result<(), RuntimeError> {
        let m = self.model;
        let world = self.state.world(m, t, step_key);
        let w = &mut self.work;
        for (s, series) in m.series.iter().enumerate() {
            eval(&series.code, &world, &Lanes::Global, &mut w.a, &mut w.stack);
            if !w.a[0].is_finite() {
                return Err(RuntimeError {
                    step: t,
                    message: format!(
                        "report series `{}` ({}) is not a finite number ({})",
                        series.name, series.text, w.a[0]
                    ),
                });
            }
            record.series[s].push(w.a[0]);
        }
        for (o, outcome) in m.outcomes.iter().enumerate() {
            eval(
                &outcome.cond,
                &world,
                &Lanes::Global,
                &mut w.a,
                &mut w.stack,
            );
            let holds = w.a[0] != 0.0;
            w.hold[o] = if holds { w.hold[o] + 1 } else { 0 };
            if w.hold[o] >= outcome.hold && record.reached[o].is_none() {
                record.reached[o] = Some(t);
            }
            record.holds_at_end[o] = holds;
        }
        Ok(())
    }
}

/// `0..n` in batches of at most [`LANES`]: (start, length).
fn batches(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n)
        .step_by(LANES)
        .map(move |start| (start, LANES.min(n - start)))
}

/// Decides one batch of one rule's lanes: condition, cooldown, probability, cap.
#[allow(clippy::neg_cmp_op_on_partial_ord)]
#[allow(clippy::too_many_arguments)]
fn decide_batch(
    m: &Model,
    ri: usize,
    world: &World,
    lanes: &Lanes,
    per_edge: bool,
    w: &mut Work,
    t: u32,
    step_key: u64,
) {
    let rule = &m.rules[ri];
    // Conditions are usually false: gather the true lanes into bit masks with a branch-free
    // loop, then visit only those.
    let mut masks: Masks = [0; LANES / 64];
    eval_mask(&rule.when, world, lanes, &mut w.stack, &mut masks);
    if masks.iter().all(|&m| m == 0) {
        return;
    }
    let p_const = rule.probability.constant();
    if p_const.is_none() {
        eval(&rule.probability, world, lanes, &mut w.b, &mut w.stack);
    }
    let base = rng::mix(step_key ^ rule.key);
    let last_fired = &mut w.rule_last[ri];
    for (word_idx, &word) in masks.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            let i = word_idx * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let me = lanes.me(i, world);
            let edge = lanes.edge(i, world);
            let slot = if per_edge { edge as usize } else { me as usize };
            if rule.cooldown > 0 && (t as i32 - last_fired[slot]) <= rule.cooldown as i32 {
                continue;
            }
            let target = lanes.target(i, world);
            let p = p_const.unwrap_or(w.b[i]);
            // Written so that a NaN probability never fires (every comparison with NaN is false).
            if !(p >= 1.0) {
                let target_key = m.actor_keys.get(target as usize).copied().unwrap_or(0);
                let u = rng::uniform(rng::place(base, m.actor_keys[me as usize], target_key));
                if !(u < p) {
                    continue;
                }
            }
            let cap = m.actor(me).cap;
            if cap != u32::MAX {
                if w.fired[me as usize] >= cap {
                    continue;
                }
                if w.fired[me as usize] == 0 {
                    w.touched.push(me);
                }
                w.fired[me as usize] += 1;
            }
            if rule.cooldown > 0 {
                last_fired[slot] = t as i32;
            }
            w.firings.push(Firing {
                action: rule.action,
                actor: me,
                target,
                edge,
                source: ri as u32,
            });
        }
    }
}

fn var_name(m: &Model, on: On, var: u16) -> &str {
    match on {
        On::Actor | On::Target => &m.actor_vars[var as usize].name,
        _ => &m.relation_vars[var as usize].name,
    }
}

crate::simd::multiversion! {
    /// Computes every aggregate the model uses, from the current state.
    fn refresh_aggregates(m: &Model, s: &mut State) {
        for (slot, key) in m.agg_actor.iter().enumerate() {
            let out = &mut s.agg_actor[slot];
            match (key.set, key.var) {
                // The common case, hoisted out of the per-actor loop: a variable over out-relations.
                (AggSet::Out(None), Some(v)) => {
                    let vals = &s.rel[v as usize];
                    let ranges = m
                        .out_start
                        .windows(2)
                        .map(|w| &vals[w[0] as usize..w[1] as usize]);
                    if key.func == AggFn::Mean {
                        // The common case (a mean over each actor's relations), without dispatch: the
                        // sums, then the divisions in a second pass, where they vectorise and do not
                        // wait on the sums (an actor without relations: 0 / 1).
                        let mut lo = 0usize;
                        for (x, &hi) in out.iter_mut().zip(&m.out_start[1..]) {
                            let hi = hi as usize;
                            *x = sum_in_order(&vals[lo..hi]);
                            lo = hi;
                        }
                        for (x, w) in out.iter_mut().zip(m.out_start.windows(2)) {
                            *x /= f64::from((w[1] - w[0]).max(1));
                        }
                    } else {
                        for (x, slice) in out.iter_mut().zip(ranges) {
                            *x = fold_slice(key.func, slice);
                        }
                    }
                }
                _ => {
                    for (a, x) in out.iter_mut().enumerate() {
                        *x = aggregate_actor(m, &s.rel, key, a as u32);
                    }
                }
            }
        }
        for (slot, key) in m.agg_scalar.iter().enumerate() {
            s.agg_scalar[slot] = match (key.set, key.actor) {
                (AggSet::Out(_) | AggSet::In(_), Some(a)) => aggregate_actor(m, &s.rel, key, a),
                (AggSet::All(None), _) if key.var.is_some() => fold_slice(
                    key.func,
                    &s.rel[key.var.unwrap_or(0) as usize][..m.n_relations()],
                ),
                (AggSet::All(kind), _) => fold(
                    key.func,
                    (0..m.n_relations())
                        .filter(|&e| kind.is_none_or(|k| m.edge_kind[e] == k))
                        .map(|e| value(&s.rel, key.var, e)),
                ),
                (AggSet::Actors(kind), _) => fold(
                    key.func,
                    (0..m.n_actors())
                        .filter(|&a| kind.is_none_or(|k| m.actor(a as u32).kind == k))
                        .map(|a| key.var.map_or(1.0, |v| s.actor[v as usize][a])),
                ),
                _ => 0.0,
            };
        }
    }
}

fn edge_of(m: &Model, from: u32, to: u32) -> u32 {
    if from as usize >= m.n_actors() || to as usize >= m.n_actors() {
        return m.n_relations() as u32;
    }
    m.edge(from, to).unwrap_or(m.n_relations() as u32)
}

/// The error for a dynamics batch (from lane `start` on) with a change that is not finite.
fn dynamics_error(m: &Model, d: &Dynamic, t: u32, start: usize, out: &[f64]) -> RuntimeError {
    let i = out.iter().position(|x| !x.is_finite()).unwrap_or(0);
    let idx = d
        .only
        .as_ref()
        .map_or((start + i) as u32, |list| list[start + i]);
    let (var, place) = if d.relation {
        (&m.relation_vars[d.var as usize].name, m.relation_label(idx))
    } else {
        (&m.actor_vars[d.var as usize].name, m.actor(idx).id.clone())
    };
    RuntimeError {
        step: t,
        message: format!(
            "dynamics `{}` gave `{var}` of {place} a change that is not a finite number ({})",
            d.name, out[i]
        ),
    }
}

/// The error for a variable whose new value stopped being a finite number.
fn overflow_error(t: u32, var: &str, place: String) -> RuntimeError {
    RuntimeError {
        step: t,
        message: format!(
            "`{var}` of {place} is no longer a finite number (the changes summed in this step overflowed)"
        ),
    }
}

crate::simd::multiversion! {
    /// The fused apply of one batch: `ds[i] = clamp(vals[i] + (ds[i] + out[i]))`, leaving the
    /// unclamped sum in `out[i]` (so that a bad value can be found); whether any sum is not finite.
    fn apply_batch(ds: &mut [f64], vals: &[f64], out: &mut [f64], lo: f64, hi: f64) -> bool {
        let mut bad = false;
        for ((dx, &x), o) in ds.iter_mut().zip(vals).zip(out.iter_mut()) {
            let y = x + (*dx + *o);
            bad |= not_finite(y);
            *o = y;
            // Compare-and-select (maxsd/minsd), not f64::clamp, which asserts.
            let y = if y < lo { lo } else { y };
            *dx = if y > hi { hi } else { y };
        }
        bad
    }
}

/// Whether `x` is NaN or infinite, as one comparison that vectorises (`x - x` is 0 exactly when
/// `x` is finite).
#[inline(always)]
fn not_finite(x: f64) -> bool {
    #[allow(clippy::eq_op)]
    let zero = x - x;
    zero != 0.0
}

/// Whether every value is finite, without an early exit (so that it vectorises).
#[inline(always)]
fn all_finite(xs: &[f64]) -> bool {
    !xs.iter().fold(false, |bad, &x| bad | not_finite(x))
}

crate::simd::multiversion! {
    /// Adds deltas into values, zeroes the deltas, clamps; false if a value is not finite.
    fn apply_column(vals: &mut [f64], ds: &mut [f64], range: Option<(f64, f64)>) -> Result<(), usize> {
        // Written so that it vectorises: no early exit, no `clamp` (which asserts), and a NaN or
        // infinity is caught by a comparison that fails for both. Chunks are checked before they are
        // written, so a bad value is found where it arose (the clamp would hide an infinity).
        let (lo, hi) = range.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
        const CHUNK: usize = 1024;
        for (c, (xs, dc)) in vals.chunks_mut(CHUNK).zip(ds.chunks_mut(CHUNK)).enumerate() {
            let bad = xs
                .iter()
                .zip(dc.iter())
                .fold(false, |b, (x, d)| b | not_finite(x + d));
            if bad {
                let i = xs
                    .iter()
                    .zip(dc.iter())
                    .position(|(x, d)| not_finite(x + d))
                    .unwrap_or(0);
                return Err(c * CHUNK + i);
            }
            for (x, d) in xs.iter_mut().zip(dc.iter_mut()) {
                let y = *x + *d;
                // Compare-and-select (maxsd/minsd), not f64::max/min, whose NaN rules cost more.
                let y = if y < lo { lo } else { y };
                *x = if y > hi { hi } else { y };
                *d = 0.0;
            }
        }
        Ok(())
    }
}

fn value(rel: &[Vec<f64>], var: Option<u16>, e: usize) -> f64 {
    var.map_or(1.0, |v| rel[v as usize][e])
}

fn aggregate_actor(m: &Model, rel: &[Vec<f64>], key: &AggKey, a: u32) -> f64 {
    let a = a as usize;
    match key.set {
        AggSet::Out(None) => {
            // Out-relations are a contiguous range: no filter, no gather.
            let (lo, hi) = (m.out_start[a] as usize, m.out_start[a + 1] as usize);
            match key.var {
                Some(v) => fold_slice(key.func, &rel[v as usize][lo..hi]),
                None => (hi - lo) as f64,
            }
        }
        AggSet::Out(Some(kind)) => {
            let range = m.out_start[a] as usize..m.out_start[a + 1] as usize;
            fold(
                key.func,
                range
                    .filter(|&e| m.edge_kind[e] == kind)
                    .map(|e| value(rel, key.var, e)),
            )
        }
        AggSet::In(kind) => {
            let edges = m.in_edges_of(a as u32).iter().map(|&e| e as usize);
            fold(
                key.func,
                edges
                    .filter(|&e| kind.is_none_or(|k| m.edge_kind[e] == k))
                    .map(|e| value(rel, key.var, e)),
            )
        }
        _ => 0.0,
    }
}

/// `xs[0] + xs[1] + ...` added left to right, four at a time (the same rounding as a plain loop,
/// with less loop overhead on an actor's few relations).
#[inline(always)]
fn sum_in_order(xs: &[f64]) -> f64 {
    let fours = xs.chunks_exact(4);
    let tail = fours.remainder();
    let mut acc = 0.0;
    for c in fours {
        acc = acc + c[0] + c[1] + c[2] + c[3];
    }
    tail.iter().fold(acc, |acc, x| acc + x)
}

/// A sum with eight independent accumulators (fixed order, so still deterministic), which
/// removes the add-latency chain of a plain loop.
#[inline(always)]
fn sum(xs: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = xs.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    let head = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    tail.iter().fold(head, |s, x| s + x)
}

/// Folds a slice with an aggregate function, computing only what the function needs.
#[inline(always)]
fn fold_slice(func: AggFn, xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    match func {
        // Short slices (a few relations per actor): a plain loop beats the set-up of `sum`.
        AggFn::Mean if xs.len() < 16 => xs.iter().fold(0.0, |s, x| s + x) / xs.len() as f64,
        AggFn::Sum if xs.len() < 16 => xs.iter().fold(0.0, |s, x| s + x),
        AggFn::Mean => sum(xs) / xs.len() as f64,
        AggFn::Sum => sum(xs),
        // Compare-and-select, not f64::min/max: those may be vectorised into a different
        // reduction tree in the AVX2 and baseline copies, and disagree on the sign of a zero.
        AggFn::Min => xs
            .iter()
            .fold(f64::INFINITY, |m, &x| if x < m { x } else { m }),
        AggFn::Max => xs
            .iter()
            .fold(f64::NEG_INFINITY, |m, &x| if x > m { x } else { m }),
        AggFn::Count => xs.len() as f64,
    }
}

/// Folds values with an aggregate function; an empty set gives 0.
fn fold(func: AggFn, values: impl Iterator<Item = f64>) -> f64 {
    let (mut n, mut sum, mut min, mut max) = (0u64, 0.0, f64::INFINITY, f64::NEG_INFINITY);
    for x in values {
        n += 1;
        sum += x;
        min = if x < min { x } else { min };
        max = if x > max { x } else { max };
    }
    if n == 0 {
        return 0.0;
    }
    match func {
        AggFn::Mean => sum / n as f64,
        AggFn::Sum => sum,
        AggFn::Min => min,
        AggFn::Max => max,
        AggFn::Count => n as f64,
    }
}
