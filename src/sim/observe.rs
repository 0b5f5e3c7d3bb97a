//! Phase 7 of a step: what the new state shows — the aggregates expressions read, the report
//! series and the outcome conditions — written into the [`RunRecord`].
//!
//! Reads the state, writes only the aggregates, the outcomes' hold counters and the record.

use super::error::{outcome_error, series_error, RuntimeError};
use super::kernels::{fold, fold_slice, sum_in_order};
use super::state::{Clock, State, Work};
use super::RunRecord;
use crate::expr::{eval, AggFn, AggKey, AggSet, Lanes};
use crate::model::Model;

/// Phase 7: series values and outcome conditions on the state after step `clock.t` (whose
/// aggregates are fresh).
pub(super) fn step(
    m: &Model,
    s: &State,
    w: &mut Work,
    clock: Clock,
    record: &mut RunRecord,
) -> Result<(), RuntimeError> {
    let world = s.world(m, clock);
    for (i, series) in m.series.iter().enumerate() {
        eval(&series.code, &world, &Lanes::Global, &mut w.a, &mut w.stack);
        if !w.a[0].is_finite() {
            return Err(series_error(m, clock.t, i, w.a[0]));
        }
        record.series[i].push(w.a[0]);
    }
    for (o, outcome) in m.outcomes.iter().enumerate() {
        eval(
            &outcome.cond,
            &world,
            &Lanes::Global,
            &mut w.a,
            &mut w.stack,
        );
        if w.a[0].is_nan() {
            return Err(outcome_error(m, clock.t, o));
        }
        let holds = w.a[0] != 0.0;
        w.hold[o] = if holds { w.hold[o] + 1 } else { 0 };
        if w.hold[o] >= outcome.hold && record.reached[o].is_none() {
            record.reached[o] = Some(clock.t);
        }
        record.holds_at_end[o] = holds;
    }
    Ok(())
}

crate::simd::multiversion! {
    /// Computes every aggregate the model uses, from the current state.
    pub(super) fn aggregates(m: &Model, s: &mut State) {
        for (slot, key) in m.agg_actor.iter().enumerate() {
            let out = &mut s.agg_actor[slot];
            match (key.set, key.var) {
                // The common case, hoisted out of the per-actor loop: a variable over out-relations.
                (AggSet::Out(None), Some(v)) => {
                    let vals = &s.rel[v as usize];
                    let ranges = m
                        .adj.out_start
                        .windows(2)
                        .map(|w| &vals[w[0] as usize..w[1] as usize]);
                    if key.func == AggFn::Mean {
                        // The common case (a mean over each actor's relations), without dispatch: the
                        // sums, then the divisions in a second pass, where they vectorise and do not
                        // wait on the sums (an actor without relations: 0 / 1).
                        let mut lo = 0usize;
                        for (x, &hi) in out.iter_mut().zip(&m.adj.out_start[1..]) {
                            let hi = hi as usize;
                            *x = sum_in_order(&vals[lo..hi]);
                            lo = hi;
                        }
                        for (x, w) in out.iter_mut().zip(m.adj.out_start.windows(2)) {
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
                        .filter(|&a| kind.is_none_or(|k| m.graph[a as u32].kind == k))
                        .map(|a| key.var.map_or(1.0, |v| s.actor[v as usize][a])),
                ),
                _ => 0.0,
            };
        }
    }
}

/// Relation `e`'s value of `var`, or 1 (for counts).
fn value(rel: &[Vec<f64>], var: Option<u16>, e: usize) -> f64 {
    var.map_or(1.0, |v| rel[v as usize][e])
}

/// An aggregate over one actor's out- or in-relations.
fn aggregate_actor(m: &Model, rel: &[Vec<f64>], key: &AggKey, a: u32) -> f64 {
    let a = a as usize;
    match key.set {
        AggSet::Out(None) => {
            // Out-relations are a contiguous range: no filter, no gather.
            let (lo, hi) = (m.adj.out_start[a] as usize, m.adj.out_start[a + 1] as usize);
            match key.var {
                Some(v) => fold_slice(key.func, &rel[v as usize][lo..hi]),
                None => (hi - lo) as f64,
            }
        }
        AggSet::Out(Some(kind)) => {
            let range = m.adj.out_start[a] as usize..m.adj.out_start[a + 1] as usize;
            fold(
                key.func,
                range
                    .filter(|&e| m.edge_kind[e] == kind)
                    .map(|e| value(rel, key.var, e)),
            )
        }
        AggSet::In(kind) => {
            let edges = m.adj.in_slice(a as u32).iter().map(|&e| e as usize);
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
