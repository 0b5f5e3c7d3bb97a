//! Phases 3 and 4 of a step: the effects of this step's actions, and the effects scheduled by
//! earlier ones that land now.
//!
//! An effect lands on a set of places — relations or actors — found once by [`Landing::of`],
//! for the actor that took the action and, with spill-over, for each of that actor's kin. Every
//! amount is evaluated on the start-of-step state and added to the deltas, or scheduled in the
//! ring of pending effects.

use super::error::{effect_error, shock_error, Cause, RuntimeError};
use super::state::{Clock, Firing, LaneBuf, Pending, Reach, State, Work};
use super::trace::{Landed, Trace};
use super::RunRecord;
use crate::expr::{eval, World, LANES};
use crate::ids::ActorId;
use crate::model::{Effect, Model, On, Spill};
use std::ops::Range;

/// Phase 3: the effects of this step's actions, as deltas or scheduled for later.
pub(super) fn taken<T: Trace>(
    m: &Model,
    s: &State,
    w: &mut Work,
    lb: &mut LaneBuf,
    clock: Clock,
    trace: &mut T,
) -> Result<(), RuntimeError> {
    if w.firings.is_empty() {
        return Ok(());
    }
    let world = s.world(m, clock);
    let block = m.block;
    // Group by action so each effect's amount is evaluated in batches (the sort is stable:
    // each run's firings keep their order).
    by_action(&mut w.firings, &mut w.sorted, &mut w.per_action);
    let mut group_start = 0;
    while group_start < w.firings.len() {
        let action = w.firings[group_start].action;
        let group_end = group_start
            + w.firings[group_start..]
                .iter()
                .take_while(|f| f.action == action)
                .count();
        let act = &m.actions[action as usize];
        if block.copies > 1 && group_end - group_start > LANES {
            // More than a batch: by run of the block too, so that `chunk_end` can cut between
            // runs.
            w.firings[group_start..group_end].sort_by_key(|f| block.copy_of_actor(f.actor));
        }
        let mut chunk_start = group_start;
        while chunk_start < group_end {
            let chunk = chunk_start..chunk_end(block, &w.firings, chunk_start, group_end);
            chunk_start = chunk.end;
            // Lanes only for amounts that are not constants.
            let constant = act.effects.iter().all(|e| e.amount.constant().is_some());
            if !constant {
                lb.fill_firings(&w.firings[chunk.clone()]);
            }
            for (k, eff) in act.effects.iter().enumerate() {
                let lands_now = !T::AMOUNTS && eff.delay == 0 && eff.duration <= 1;
                let on_relations = match eff.on {
                    On::Actor | On::Target => false,
                    On::Places(p) => m.places[p as usize].relation,
                    _ => true,
                };
                if let Some(c) = eff.amount.constant().filter(|c| c.is_finite()) {
                    if lands_now && eff.spill.is_none() {
                        // A finite constant, landing now: no amounts to evaluate or check.
                        let column = if on_relations {
                            &mut w.d_rel[eff.var as usize]
                        } else {
                            &mut w.d_actor[eff.var as usize]
                        };
                        let firings = &w.firings[chunk.clone()];
                        land_now(m, &world, eff, firings, |_| c, column);
                        continue;
                    }
                }
                match eff.amount.constant() {
                    Some(c) => w.a[..chunk.len()].fill(c),
                    None => {
                        let lanes = lb.lanes(0..chunk.len());
                        eval(&eff.amount, &world, &lanes, &mut w.a, &mut w.stack);
                    }
                }
                let amounts = &w.a[..chunk.len()];
                if lands_now && eff.spill.is_none() {
                    // The common case: landing now, once, on the firing's own places, nothing
                    // told. The same places in the same order as `land`, without the pending
                    // effect each amount would make there.
                    if let Some(lane) = amounts.iter().position(|a| !a.is_finite()) {
                        let f = &w.firings[chunk.start + lane];
                        return Err(effect_error(m, clock.t, act, k, f, amounts[lane]));
                    }
                    let column = if on_relations {
                        &mut w.d_rel[eff.var as usize]
                    } else {
                        &mut w.d_actor[eff.var as usize]
                    };
                    let firings = &w.firings[chunk.clone()];
                    land_now(m, &world, eff, firings, |i| amounts[i], column);
                    continue;
                }
                let mut deltas = Deltas {
                    rel: &mut w.d_rel,
                    actor: &mut w.d_actor,
                    ring: &mut w.ring,
                    n_relations: m.n_relations(),
                };
                for (f, &amount) in w.firings[chunk.clone()].iter().zip(amounts) {
                    if !amount.is_finite() {
                        return Err(effect_error(m, clock.t, act, k, f, amount));
                    }
                    let why = T::AMOUNTS.then(|| Why {
                        cause: Cause::of(f),
                        action: Some(f.action),
                        actor: f.actor,
                        target: f.target,
                    });
                    let mut to = To {
                        d: &mut deltas,
                        trace: &mut *trace,
                        why,
                        eff,
                        t: clock.t,
                    };
                    land(m, &world, f, amount, &mut to, &mut w.reach);
                }
            }
        }
        group_start = group_end;
    }
    Ok(())
}

/// Lands effect `eff` of each of `firings` (firing `i`'s amount `amount(i)`) now, on `column`:
/// what [`land`] does for an effect without delay, duration or spill-over, when nothing is
/// traced.
#[inline(always)]
fn land_now(
    m: &Model,
    world: &World,
    eff: &Effect,
    firings: &[Firing],
    amount: impl Fn(usize) -> f64,
    column: &mut [f64],
) {
    let amounts = (0..firings.len()).map(&amount);
    let n_relations = m.n_relations();
    // The reverse of a firing's relation, as `Landing::of` finds it.
    let reverse = |f: &Firing| match m.adj.rev.get(f.edge as usize) {
        Some(&r) => r,
        None => world.edge(f.target, f.actor),
    };
    let mut add = |i: u32, amount: f64| {
        // An effect on a relation that does not exist does nothing.
        if let Some(x) = column[..n_relations].get_mut(i as usize) {
            *x += amount;
        }
    };
    // The kinds of place most effects land on, each in a loop of its own.
    match eff.on {
        On::Relation => {
            for (f, amount) in firings.iter().zip(amounts) {
                add(f.edge, amount);
            }
            return;
        }
        On::Reverse => {
            for (f, amount) in firings.iter().zip(amounts) {
                add(reverse(f), amount);
            }
            return;
        }
        On::Both => {
            for (f, amount) in firings.iter().zip(amounts) {
                add(f.edge, amount);
                add(reverse(f), amount);
            }
            return;
        }
        _ => {}
    }
    for (f, amount) in firings.iter().zip(amounts) {
        if let On::Places(p) = eff.on {
            let places = &m.places[p as usize];
            for &i in places.of(m.block, m.block.copy_of_actor(f.actor)) {
                if !places.relation || (i as usize) < n_relations {
                    column[i as usize] += amount;
                }
            }
            continue;
        }
        let subject = if eff.on == On::Target {
            f.target
        } else {
            f.actor
        };
        Landing::of(m, world, eff.on, subject, f.target, Some(f.edge)).each(|relation, i| {
            // An effect on a relation that does not exist does nothing.
            if !relation || (i as usize) < n_relations {
                column[i as usize] += amount;
            }
        });
    }
}

/// Sorts `firings` by action, keeping the order of each action's firings (a counting sort,
/// through `scratch`, with `counts` one longer than the actions).
fn by_action(firings: &mut Vec<Firing>, scratch: &mut Vec<Firing>, counts: &mut [u32]) {
    if firings.windows(2).all(|p| p[0].action <= p[1].action) {
        return;
    }
    counts.fill(0);
    for f in firings.iter() {
        counts[f.action as usize + 1] += 1;
    }
    for i in 1..counts.len() {
        counts[i] += counts[i - 1];
    }
    scratch.clear();
    scratch.resize(firings.len(), firings[0]);
    for f in firings.iter() {
        let at = &mut counts[f.action as usize];
        scratch[*at as usize] = *f;
        *at += 1;
    }
    std::mem::swap(firings, scratch);
}

/// Where the batch of firings from `start` ends (at most `end`): after [`LANES`] of them, or,
/// in a block of runs, after the last run whose firings all fit. Each run's amounts are then
/// evaluated and landed in the batches they would be in if it ran alone (the effects of one
/// batch land one effect after another), so every place sums the same amounts in the same
/// order.
fn chunk_end(block: crate::model::Block, firings: &[Firing], start: usize, end: usize) -> usize {
    let full = (start + LANES).min(end);
    if block.copies == 1 || full == end {
        return full;
    }
    let copy = |i: usize| block.copy_of_actor(firings[i].actor);
    // The run that does not fit: end before it, unless it is the batch's first.
    let cut = copy(full);
    if copy(start) == cut {
        return full;
    }
    let mut i = full;
    while copy(i - 1) == cut {
        i -= 1;
    }
    i
}

/// Why an amount lands: the rule, event or shock, the action and effect, who toward whom.
#[derive(Clone, Copy)]
struct Why {
    cause: Cause,
    action: Option<u16>,
    actor: u32,
    target: u32,
}

/// Where one effect's amounts go: the deltas (or ring), and the trace told of each.
struct To<'a, 'w, T: Trace> {
    d: &'a mut Deltas<'w>,
    trace: &'a mut T,
    /// Built only when the trace wants amounts, so an ordinary run never computes it.
    why: Option<Why>,
    eff: &'a Effect,
    t: u32,
}

impl<T: Trace> To<'_, '_, T> {
    /// Lands `x` on a place (`spilled_to`: the actor it spilled to, for spill-over).
    #[inline(always)]
    fn add(&mut self, relation: bool, index: u32, x: f64, spilled_to: Option<u32>) {
        let landed = self.d.add(self.eff, self.t, relation, index, x);
        if T::AMOUNTS && landed {
            let Some(w) = self.why else {
                return;
            };
            self.trace.landed(
                self.t,
                Landed {
                    cause: w.cause,
                    action: w.action,
                    actor: w.actor,
                    target: w.target,
                    spilled_to,
                    relation,
                    var: self.eff.var,
                    index,
                    amount: x,
                    delay: self.eff.delay,
                    duration: self.eff.duration,
                },
            );
        }
    }
}

/// Lands one effect of firing `f` with `amount`: on its own places, then, spilling over, on the
/// same places of the acting side's kin (other than the actor and the target).
#[inline]
fn land<T: Trace>(
    m: &Model,
    world: &World,
    f: &Firing,
    amount: f64,
    to: &mut To<T>,
    reach: &mut Reach,
) {
    let eff = to.eff;
    if let On::Places(p) = eff.on {
        let places = &m.places[p as usize];
        for &i in places.of(m.block, m.block.copy_of_actor(f.actor)) {
            land_place(m, world, places.relation, i, amount, to, reach);
        }
        return;
    }
    // The side the effect is about: the target for `on = "target"`, else the actor.
    let subject = if eff.on == On::Target {
        f.target
    } else {
        f.actor
    };
    Landing::of(m, world, eff.on, subject, f.target, Some(f.edge))
        .each(|relation, index| to.add(relation, index, amount, None));
    if let Some(spill) = eff.spill {
        let spot = Spot {
            on: eff.on,
            subject,
            other: f.target,
            exclude: [f.actor, f.target],
        };
        spill_over(m, world, spill, spot, amount, to, reach);
    }
}

/// Lands `amount` on named place `i` (a relation, or an actor), then its spill-over.
fn land_place<T: Trace>(
    m: &Model,
    world: &World,
    relation: bool,
    i: u32,
    amount: f64,
    to: &mut To<T>,
    reach: &mut Reach,
) {
    to.add(relation, i, amount, None);
    if let Some(spill) = to.eff.spill {
        let (on, subject, other) = place_side(m, relation, i);
        let spot = Spot {
            on,
            subject,
            other,
            exclude: [subject, other],
        };
        spill_over(m, world, spill, spot, amount, to, reach);
    }
}

/// How a named place spills: a relation a→b as `on = "relation"` from a toward b, an actor as
/// `on = "actor"` from itself.
fn place_side(m: &Model, relation: bool, i: u32) -> (On, u32, u32) {
    if relation {
        (On::Relation, m.adj.src[i as usize], m.adj.dst[i as usize])
    } else {
        (On::Actor, i, ActorId::NONE.0)
    }
}

/// Where spill-over starts: the effect's `on`, the side it spreads from, the counterpart, and
/// the two actors it never lands on.
#[derive(Clone, Copy)]
struct Spot {
    on: On,
    subject: u32,
    other: u32,
    exclude: [u32; 2],
}

/// Spill-over from `spot.subject`: `factor ×` the amount on the same places of each actor linked
/// to it by a relation of the kind; with more hops, `factor^h ×` on each actor first reached
/// at hop h (breadth first, in id order within a hop).
fn spill_over<T: Trace>(
    m: &Model,
    world: &World,
    spill: Spill,
    spot: Spot,
    amount: f64,
    to: &mut To<T>,
    reach: &mut Reach,
) {
    let kin = &m.kin[spill.kin];
    let mut x = amount * spill.factor;
    let land_on = |k: u32, x: f64, to: &mut To<T>| {
        if k != spot.exclude[0] && k != spot.exclude[1] {
            Landing::of(m, world, spot.on, k, spot.other, None)
                .each(|relation, index| to.add(relation, index, x, Some(k)));
        }
    };
    if spill.hops == 1 {
        for &k in kin.of(spot.subject) {
            land_on(k, x, to);
        }
        return;
    }
    if reach.stamp == u32::MAX {
        reach.mark.fill(0);
        reach.stamp = 0;
    }
    reach.stamp += 1;
    let stamp = reach.stamp;
    reach.mark[spot.subject as usize] = stamp;
    reach.hop.clear();
    reach.hop.push(spot.subject);
    for _ in 0..spill.hops {
        reach.next.clear();
        for &a in &reach.hop {
            for &k in kin.of(a) {
                if reach.mark[k as usize] != stamp {
                    reach.mark[k as usize] = stamp;
                    reach.next.push(k);
                }
            }
        }
        if reach.next.is_empty() {
            break;
        }
        for &k in &reach.next {
            land_on(k, x, to);
        }
        std::mem::swap(&mut reach.hop, &mut reach.next);
        x *= spill.factor;
    }
}

/// Phase 3b: the effects of this step's shocks, each amount read on the place it lands on.
pub(super) fn shocks<T: Trace>(
    m: &Model,
    s: &State,
    w: &mut Work,
    lb: &mut LaneBuf,
    clock: Clock,
    records: &mut [RunRecord],
    trace: &mut T,
) -> Result<(), RuntimeError> {
    if w.shocks_now.is_empty() {
        return Ok(());
    }
    let world = s.world(m, clock);
    for n in 0..w.shocks_now.len() {
        let (copy, si) = w.shocks_now[n];
        let si = si as usize;
        let record = &mut records[copy as usize];
        record.shock_counts[si] += 1;
        record.first_shock[si].get_or_insert(clock.t);
        let sh = &m.shocks[si];
        for (k, eff) in sh.effects.iter().enumerate() {
            let On::Places(p) = eff.on else {
                unreachable!("the compiler gives shocks named places only")
            };
            let places = &m.places[p as usize];
            for chunk in places.of(m.block, copy).chunks(LANES) {
                if places.relation {
                    lb.fill_edges(m, chunk);
                } else {
                    lb.clear();
                    lb.me.extend_from_slice(chunk);
                    lb.target.resize(chunk.len(), ActorId::NONE.0);
                    lb.edge.resize(chunk.len(), world.no_edge());
                }
                eval(
                    &eff.amount,
                    &world,
                    &lb.lanes(0..chunk.len()),
                    &mut w.a,
                    &mut w.stack,
                );
                let mut deltas = Deltas::of(m, &mut w.d_rel, &mut w.d_actor, &mut w.ring);
                for (&i, &amount) in chunk.iter().zip(&w.a[..chunk.len()]) {
                    if !amount.is_finite() {
                        return Err(shock_error(m, clock.t, si, Some((k, i)), amount));
                    }
                    let why = T::AMOUNTS.then_some(Why {
                        cause: Cause::Shock(si),
                        action: None,
                        actor: ActorId::NONE.0,
                        target: ActorId::NONE.0,
                    });
                    let mut to = To {
                        d: &mut deltas,
                        trace: &mut *trace,
                        why,
                        eff,
                        t: clock.t,
                    };
                    land_place(m, &world, places.relation, i, amount, &mut to, &mut w.reach);
                }
            }
        }
    }
    Ok(())
}

/// The places an effect lands on for one subject actor.
enum Landing<'m> {
    /// The first `n` of these relations (the sentinel, where a relation does not exist, is
    /// skipped when landing).
    Relations([u32; 2], usize),
    /// A run of relations: the subject's out-relations.
    Run(Range<u32>),
    /// Listed relations: the subject's in-relations.
    List(&'m [u32]),
    /// The subject itself, for an actor variable.
    Actor(u32),
}

impl<'m> Landing<'m> {
    /// Where an effect `on` lands for `subject`, whose counterpart is `other` (the target) and
    /// whose relation to it is `edge` (looked up when `None`): the relation subject → other, its
    /// reverse or both, the subject, or the subject's out- or in-relations.
    #[inline(always)]
    fn of(
        m: &'m Model,
        world: &World,
        on: On,
        subject: u32,
        other: u32,
        edge: Option<u32>,
    ) -> Landing<'m> {
        let forward = || edge.unwrap_or_else(|| world.edge(subject, other));
        // A relation's reverse is indexed; without a relation either way, looked up.
        let reverse = || match edge {
            Some(e) if (e as usize) < m.adj.len() => {
                debug_assert_eq!(
                    (m.adj.src[e as usize], m.adj.dst[e as usize]),
                    (subject, other)
                );
                m.adj.rev[e as usize]
            }
            _ => world.edge(other, subject),
        };
        match on {
            On::Relation => Landing::Relations([forward(), 0], 1),
            On::Reverse => Landing::Relations([reverse(), 0], 1),
            On::Both => Landing::Relations([forward(), reverse()], 2),
            On::Actor | On::Target => Landing::Actor(subject),
            On::Out => {
                let r = m.adj.out_range(subject);
                Landing::Run(r.start as u32..r.end as u32)
            }
            On::In => Landing::List(m.adj.in_slice(subject)),
            On::Places(_) => unreachable!("named places land without a subject"),
        }
    }

    /// Calls `f(relation?, index)` for each place, in order.
    #[inline(always)]
    fn each(self, mut f: impl FnMut(bool, u32)) {
        match self {
            Landing::Relations(edges, n) => edges[..n].iter().for_each(|&e| f(true, e)),
            Landing::Run(edges) => edges.for_each(|e| f(true, e)),
            Landing::List(edges) => edges.iter().for_each(|&e| f(true, e)),
            Landing::Actor(a) => f(false, a),
        }
    }
}

/// Where landed amounts go: this step's deltas, or the ring of pending effects.
struct Deltas<'w> {
    rel: &'w mut [Vec<f64>],
    actor: &'w mut [Vec<f64>],
    ring: &'w mut [Vec<Pending>],
    n_relations: usize,
}

impl<'w> Deltas<'w> {
    fn of(
        m: &Model,
        rel: &'w mut [Vec<f64>],
        actor: &'w mut [Vec<f64>],
        ring: &'w mut [Vec<Pending>],
    ) -> Deltas<'w> {
        Deltas {
            rel,
            actor,
            ring,
            n_relations: m.n_relations(),
        }
    }

    /// Lands `x` of effect `eff`, taken at step `t`, on relation or actor `index`: now (and the
    /// rest of its duration scheduled) or, with a delay, scheduled.
    /// Whether it landed: an effect on a relation that does not exist does nothing.
    #[inline]
    fn add(&mut self, eff: &Effect, t: u32, relation: bool, index: u32, x: f64) -> bool {
        if relation && index as usize >= self.n_relations {
            return false;
        }
        let horizon = self.ring.len();
        let pending = Pending {
            relation,
            var: eff.var,
            index,
            amount: x,
            remaining: eff.duration,
        };
        if eff.delay > 0 {
            self.ring[(t as usize + eff.delay as usize) % horizon].push(pending);
            return true;
        }
        self.add_now(&pending);
        if eff.duration > 1 {
            self.ring[(t as usize + 1) % horizon].push(Pending {
                remaining: eff.duration - 1,
                ..pending
            });
        }
        true
    }

    /// Adds a pending effect's amount to this step's deltas.
    #[inline]
    fn add_now(&mut self, p: &Pending) {
        let column = if p.relation {
            &mut self.rel[p.var as usize]
        } else {
            &mut self.actor[p.var as usize]
        };
        column[p.index as usize] += p.amount;
    }
}

/// Phase 4: effects of earlier actions that land in this step; those with steps left are moved
/// on to the next step's slot.
pub(super) fn scheduled(m: &Model, w: &mut Work, t: u32) {
    let horizon = w.ring.len();
    let slot = t as usize % horizon;
    let next = (slot + 1) % horizon;
    let mut due = std::mem::take(&mut w.spare);
    std::mem::swap(&mut w.ring[slot], &mut due);
    let mut deltas = Deltas::of(m, &mut w.d_rel, &mut w.d_actor, &mut w.ring);
    for p in &due {
        deltas.add_now(p);
        if p.remaining > 1 {
            deltas.ring[next].push(Pending {
                remaining: p.remaining - 1,
                ..*p
            });
        }
    }
    due.clear();
    w.spare = due;
}
