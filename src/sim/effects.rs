//! Phases 3 and 4 of a step: the effects of this step's actions, and the effects scheduled by
//! earlier ones that land now.
//!
//! An effect lands on a set of places — relations or actors — found once by [`Landing::of`],
//! for the actor that took the action and, with spill-over, for each of that actor's kin. Every
//! amount is evaluated on the start-of-step state and added to the deltas, or scheduled in the
//! ring of pending effects.

use super::error::{effect_error, RuntimeError};
use super::state::{Clock, Firing, LaneBuf, Pending, State, Work};
use crate::expr::{eval, World, LANES};
use crate::model::{Effect, Model, On};
use std::ops::Range;

/// Phase 3: the effects of this step's actions, as deltas or scheduled for later.
pub(super) fn taken(
    m: &Model,
    s: &State,
    w: &mut Work,
    lb: &mut LaneBuf,
    clock: Clock,
) -> Result<(), RuntimeError> {
    if w.firings.is_empty() {
        return Ok(());
    }
    let world = s.world(m, clock);
    // Group by action so each effect's amount is evaluated in batches.
    w.firings.sort_by_key(|f| f.action);
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
            let chunk = chunk_start..(chunk_start + LANES).min(group_end);
            lb.fill_firings(&w.firings[chunk.clone()]);
            let lanes = lb.lanes(0..chunk.len());
            for (k, eff) in act.effects.iter().enumerate() {
                eval(&eff.amount, &world, &lanes, &mut w.a, &mut w.stack);
                let mut deltas = Deltas {
                    rel: &mut w.d_rel,
                    actor: &mut w.d_actor,
                    ring: &mut w.ring,
                    n_relations: m.n_relations(),
                };
                let amounts = &w.a[..chunk.len()];
                for (f, &amount) in w.firings[chunk.clone()].iter().zip(amounts) {
                    if !amount.is_finite() {
                        return Err(effect_error(m, clock.t, act, k, f, amount));
                    }
                    land(m, &world, eff, f, amount, &mut deltas, clock.t);
                }
            }
        }
        group_start = group_end;
    }
    Ok(())
}

/// Lands one effect of firing `f` with `amount`: on its own places, then `factor ×` the amount
/// on the same places of each of the acting side's kin (other than the actor and the target).
#[inline]
fn land(m: &Model, world: &World, eff: &Effect, f: &Firing, amount: f64, d: &mut Deltas, t: u32) {
    // The side the effect is about: the target for `on = "target"`, else the actor.
    let subject = if eff.on == On::Target {
        f.target
    } else {
        f.actor
    };
    Landing::of(m, world, eff.on, subject, f.target, Some(f.edge))
        .each(|relation, index| d.add(eff, t, relation, index, amount));
    let Some((kin, factor)) = eff.spill else {
        return;
    };
    let x = amount * factor;
    for &k in m.kin[kin].of(subject) {
        if k == f.actor || k == f.target {
            continue;
        }
        Landing::of(m, world, eff.on, k, f.target, None)
            .each(|relation, index| d.add(eff, t, relation, index, x));
    }
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
        match on {
            On::Relation => Landing::Relations([forward(), 0], 1),
            On::Reverse => Landing::Relations([world.edge(other, subject), 0], 1),
            On::Both => Landing::Relations([forward(), world.edge(other, subject)], 2),
            On::Actor | On::Target => Landing::Actor(subject),
            On::Out => {
                let r = m.adj.out_range(subject);
                Landing::Run(r.start as u32..r.end as u32)
            }
            On::In => Landing::List(m.adj.in_slice(subject)),
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
    fn of(m: &Model, w: &'w mut Work) -> Deltas<'w> {
        Deltas {
            rel: &mut w.d_rel,
            actor: &mut w.d_actor,
            ring: &mut w.ring,
            n_relations: m.n_relations(),
        }
    }

    /// Lands `x` of effect `eff`, taken at step `t`, on relation or actor `index`: now (and the
    /// rest of its duration scheduled) or, with a delay, scheduled.
    #[inline]
    fn add(&mut self, eff: &Effect, t: u32, relation: bool, index: u32, x: f64) {
        if relation && index as usize >= self.n_relations {
            return;
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
            return;
        }
        self.add_now(&pending);
        if eff.duration > 1 {
            self.ring[(t as usize + 1) % horizon].push(Pending {
                remaining: eff.duration - 1,
                ..pending
            });
        }
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
    let mut deltas = Deltas::of(m, w);
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
