//! Phase 5 of a step: every dynamics line, evaluated over its relations or actors on the
//! start-of-step state and added to the deltas.
//!
//! The last dynamics over every relation of a variable is *fused*: it also applies the variable
//! (value + (deltas + change), clamped) in the same pass, while the batch is in cache, writing the
//! new values over the deltas for [`super::apply`] to swap in. Nothing writes the state itself
//! here, so every line still reads the start-of-step values.

use super::decide::batches;
use super::error::{dynamics_error, RuntimeError};
use super::kernels::{all_finite, apply_batch, not_finite};
use super::state::{Clock, LaneBuf, State, Work};
use super::trace::{Indices, Trace};
use crate::expr::{eval_in, Lanes, World};
use crate::ids::ActorId;
use crate::model::{Dynamic, Model};

/// Phase 5: the dynamics, as deltas (or, fused, as new values).
pub(super) fn add<T: Trace>(
    m: &Model,
    s: &State,
    w: &mut Work,
    lb: &mut LaneBuf,
    clock: Clock,
    trace: &mut T,
) -> Result<(), RuntimeError> {
    let world = s.world(m, clock);
    for (k, d) in m.dynamics.iter().enumerate() {
        let total = match &d.only {
            Some(list) => list.len(),
            None if d.relation => m.n_relations(),
            None => m.n_actors(),
        };
        for (start, len) in batches(total) {
            let lanes = lanes(m, d, lb, start, len);
            if T::AMOUNTS {
                // Evaluated once more for the trace (the same values: nothing has changed).
                let values = eval_in(&d.add, &world, &lanes, &mut w.stack);
                let indices = match &d.only {
                    Some(list) => Indices::List(&list[start..start + len]),
                    None => Indices::Range(start),
                };
                trace.dynamics(clock.t, k, indices, values);
            }
            if w.fused[k] {
                fused_batch(m, k, &world, &lanes, w, clock.t, start)?;
            } else {
                batch(m, k, &world, &lanes, w, clock.t, start)?;
            }
        }
    }
    Ok(())
}

/// The lanes of dynamics `d`'s batch `start..start + len`: a plain range over all relations or
/// actors, or its listed ones.
#[inline]
fn lanes<'a>(
    m: &Model,
    d: &'a Dynamic,
    lb: &'a mut LaneBuf,
    start: usize,
    len: usize,
) -> Lanes<'a> {
    match (&d.only, d.relation) {
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
                lb.target.resize(len, ActorId::NONE.0);
                lb.edge.resize(len, m.n_relations() as u32);
            }
            lb.lanes(0..len)
        }
    }
}

/// One batch of an unfused dynamics line: its changes, checked, added to the deltas.
#[inline]
fn batch(
    m: &Model,
    k: usize,
    world: &World,
    lanes: &Lanes,
    w: &mut Work,
    t: u32,
    start: usize,
) -> Result<(), RuntimeError> {
    let d = &m.dynamics[k];
    let out = eval_in(&d.add, world, lanes, &mut w.stack);
    if !all_finite(out) {
        return Err(dynamics_error(m, k, t, start, out));
    }
    let target = if d.relation {
        &mut w.d_rel[d.var as usize]
    } else {
        &mut w.d_actor[d.var as usize]
    };
    let len = lanes.len();
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
    Ok(())
}

/// One batch of a fused dynamics line (over every relation, from `start` on): new value =
/// value + (changes so far + this change), written over the changes, then clamped. A sum that
/// is not finite is either a bad change (an error now) or an overflow, reported by
/// [`super::apply`] as an unfused variable's would be.
#[inline]
fn fused_batch(
    m: &Model,
    k: usize,
    world: &World,
    lanes: &Lanes,
    w: &mut Work,
    t: u32,
    start: usize,
) -> Result<(), RuntimeError> {
    let d = &m.dynamics[k];
    let out = eval_in(&d.add, world, lanes, &mut w.stack);
    let len = lanes.len();
    let v = d.var as usize;
    let vals = &world.rel[v][start..start + len];
    let ds = &mut w.d_rel[v][start..start + len];
    let (lo, hi) = m.relation_vars[v]
        .range
        .unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
    if !apply_batch(ds, vals, out, lo, hi) {
        return Ok(());
    }
    let i = out.iter().position(|&y| not_finite(y)).unwrap_or(0);
    // The state is untouched: evaluate again to tell a bad change from an overflowing sum.
    let again = eval_in(&d.add, world, lanes, &mut w.stack);
    if !all_finite(again) {
        return Err(dynamics_error(m, k, t, start, again));
    }
    if w.overflow[v].is_none() {
        w.overflow[v] = Some((start + i) as u32);
    }
    Ok(())
}
