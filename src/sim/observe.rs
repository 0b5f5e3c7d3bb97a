//! Phase 7 of a step: what the new state shows — the aggregates expressions read, the report
//! series and the outcome conditions — written into the [`RunRecord`].
//!
//! Reads the state, writes only the aggregates, the outcomes' hold counters, the buffer of
//! series values (handed to the records every 64 steps and at the end, `flush_series`) and the
//! records.

use super::error::{outcome_error, series_error, RuntimeError};
use super::kernels::{fold, fold_slice, sum_in_order, sums_of_runs};
use super::state::{Clock, State, Work};
use super::RunRecord;
use crate::expr::{eval, eval_in, AggFn, AggKey, AggSet, Lanes};
use crate::model::Model;

/// Phase 7: series values and outcome conditions on the state after step `clock.t` (whose
/// aggregates are fresh), one lane per run of the block, into its record of `records`.
pub(super) fn step(
    m: &Model,
    s: &State,
    w: &mut Work,
    clock: Clock,
    records: &mut [RunRecord],
) -> Result<(), RuntimeError> {
    let world = s.world(m, clock);
    let copies = records.len();
    let lanes = Lanes::Copies { len: copies };
    // This step's values go into a buffer with a row per series and step, the runs side by
    // side (a push onto each record's series would first read where that series is), which is
    // emptied into the records every `SERIES_BUFFER` steps, or holds every step
    // (`w.keep_series`). Every row is written before it is read: the buffer is not cleared.
    let (n_series, rows) = (m.series.len(), series_rows(m, w));
    w.series_buf.resize(copies * n_series * rows, 0.0);
    let k = w.buffered;
    for (i, series) in m.series.iter().enumerate() {
        let xs = eval_in(&series.code, &world, &lanes, &mut w.stack);
        if let Some(x) = xs.iter().find(|x| !x.is_finite()) {
            return Err(series_error(m, clock.t, i, *x));
        }
        w.series_buf[(i * rows + k) * copies..][..copies].copy_from_slice(xs);
    }
    w.buffered += 1;
    if w.buffered == SERIES_BUFFER && !w.keep_series {
        flush_series(m, w, records);
    }
    for (o, outcome) in m.outcomes.iter().enumerate() {
        eval(&outcome.cond, &world, &lanes, &mut w.a, &mut w.stack);
        let hold = &mut w.hold[o * copies..][..copies];
        for ((record, &x), hold) in records.iter_mut().zip(&w.a[..copies]).zip(hold) {
            if x.is_nan() {
                return Err(outcome_error(m, clock.t, o));
            }
            let holds = x != 0.0;
            *hold = if holds { *hold + 1 } else { 0 };
            if *hold >= outcome.hold && record.reached[o].is_none() {
                record.reached[o] = Some(clock.t);
            }
            record.holds_at_end[o] = holds;
        }
    }
    Ok(())
}

/// Steps of series values [`step`] buffers before it hands them to the records.
pub(super) const SERIES_BUFFER: usize = 64;

/// Steps per series the buffer of series values holds: every step of a run when the values
/// stay in it (`w.keep_series`), else [`SERIES_BUFFER`].
pub(super) fn series_rows(m: &Model, w: &Work) -> usize {
    if w.keep_series {
        m.steps as usize + 1
    } else {
        SERIES_BUFFER
    }
}

/// Empties the buffer of series values into the records (one per run of the block).
pub(super) fn flush_series(m: &Model, w: &mut Work, records: &mut [RunRecord]) {
    let copies = records.len();
    if w.buffered == 0 || w.keep_series {
        return;
    }
    debug_assert!(w.series_buf.len() == copies * m.series.len() * SERIES_BUFFER);
    for i in 0..m.series.len() {
        let rows = &w.series_buf[i * SERIES_BUFFER * copies..][..w.buffered * copies];
        for (c, record) in records.iter_mut().enumerate() {
            record.series[i].extend(rows.chunks_exact(copies).map(|row| row[c]));
        }
    }
    w.buffered = 0;
}

/// `x /= n` for each `x` of `xs`: for a power of two, as the multiplication by its inverse,
/// which is exact (the same real number, rounded the same way) and several times cheaper.
#[inline(always)]
fn divide(xs: &mut [f64], n: usize) {
    if n.is_power_of_two() {
        let inv = 1.0 / n as f64;
        xs.iter_mut().for_each(|x| *x *= inv);
    } else {
        xs.iter_mut().for_each(|x| *x /= n as f64);
    }
}

crate::simd::multiversion! {
    /// Computes every aggregate the model uses, from the current state.
    pub(super) fn aggregates(m: &Model, s: &mut State) {
        for (slot, key) in m.agg_actor.iter().enumerate() {
            let out = &mut s.agg_actor[slot];
            match (key.set, key.var) {
                // The common case, hoisted out of the per-actor loop: a variable over out-relations.
                (AggSet::Out(None), Some(v)) => {
                    let vals: &[f64] = &s.rel[v as usize];
                    let ranges = m
                        .adj.out_start
                        .windows(2)
                        .map(|w| &vals[w[0] as usize..w[1] as usize]);
                    if key.func == AggFn::Mean {
                        // The common case (a mean over each actor's relations), without dispatch: the
                        // sums, then the divisions in a second pass, where they vectorise and do not
                        // wait on the sums (an actor without relations: 0 / 1).
                        let uniform = m.adj.uniform_degree.is_some_and(|d| {
                            let d = d as usize;
                            sums_of_runs(&vals[..d * out.len()], d, out)
                        });
                        if !uniform {
                            let mut lo = 0usize;
                            for (x, &hi) in out.iter_mut().zip(&m.adj.out_start[1..]) {
                                let hi = hi as usize;
                                *x = sum_in_order(&vals[lo..hi]);
                                lo = hi;
                            }
                        }
                        match m.adj.uniform_degree {
                            Some(d) if d > 0 => divide(out, d as usize),
                            _ => {
                                for (x, w) in out.iter_mut().zip(m.adj.out_start.windows(2)) {
                                    *x /= f64::from((w[1] - w[0]).max(1));
                                }
                            }
                        }
                    } else {
                        for (x, slice) in out.iter_mut().zip(ranges) {
                            *x = fold_slice(key.func, slice);
                        }
                    }
                }
                // A sum or mean over in-relations, hoisted the same way: the index looked up
                // once, the sums `aggregate_actor`'s (from 0, in order).
                (AggSet::In(None), Some(v)) if matches!(key.func, AggFn::Sum | AggFn::Mean) => {
                    let vals: &[f64] = &s.rel[v as usize];
                    let (start, edges) = m.adj.in_index();
                    for (x, w) in out.iter_mut().zip(start.windows(2)) {
                        let edges = &edges[w[0] as usize..w[1] as usize];
                        *x = in_sum(key.func, edges, vals);
                    }
                }
                _ => {
                    for (a, x) in out.iter_mut().enumerate() {
                        *x = aggregate_actor(m, &s.rel, key, a as u32);
                    }
                }
            }
        }
        // Scalar aggregates: one per run of the block, each over its own actors and relations.
        let block = m.block;
        let (n_rel, n_act) = (block.relations as usize, block.actors as usize);
        for (slot, key) in m.agg_scalar.iter().enumerate() {
            // The common case, hoisted out of the loop over runs: a variable over all relations.
            if let (AggSet::All(None), Some(v)) = (key.set, key.var) {
                let copies = block.copies as usize;
                let out = &mut s.agg_scalar[slot * copies..][..copies];
                let vals = &s.rel[v as usize][..copies * n_rel];
                if n_rel == 0 {
                    out.fill(fold_slice(key.func, &[]));
                    continue;
                }
                // Sums and means of fewer than 16 values are `fold_slice`'s plain sums.
                if matches!(key.func, AggFn::Sum | AggFn::Mean) && sums_of_runs(vals, n_rel, out) {
                    if key.func == AggFn::Mean {
                        divide(out, n_rel);
                    }
                    continue;
                }
                for (x, run) in out.iter_mut().zip(vals.chunks_exact(n_rel)) {
                    *x = fold_slice(key.func, run);
                }
                continue;
            }
            // A sum or mean over one actor's in-relations, the index looked up once.
            if let (AggSet::In(None), Some(a), Some(v)) = (key.set, key.actor, key.var) {
                if matches!(key.func, AggFn::Sum | AggFn::Mean) {
                    let copies = block.copies as usize;
                    let out = &mut s.agg_scalar[slot * copies..][..copies];
                    let (start, edges) = m.adj.in_index();
                    let vals: &[f64] = &s.rel[v as usize];
                    for (copy, x) in out.iter_mut().enumerate() {
                        let b = block.actor(a, copy as u32) as usize;
                        let edges = &edges[start[b] as usize..start[b + 1] as usize];
                        *x = in_sum(key.func, edges, vals);
                    }
                    continue;
                }
            }
            for copy in 0..block.copies {
                let (rels, actors) = {
                    let c = copy as usize;
                    (c * n_rel..(c + 1) * n_rel, c * n_act..(c + 1) * n_act)
                };
                s.agg_scalar[slot * block.copies as usize + copy as usize] = match (key.set, key.actor) {
                    (AggSet::Out(_) | AggSet::In(_), Some(a)) => {
                        aggregate_actor(m, &s.rel, key, block.actor(a, copy))
                    }
                    (AggSet::All(kind), _) => fold(
                        key.func,
                        rels.filter(|&e| kind.is_none_or(|k| m.edge_kind[e] == k))
                            .map(|e| value(&s.rel, key.var, e)),
                    ),
                    (AggSet::Actors(kind), _) => fold(
                        key.func,
                        actors
                            .filter(|&a| kind.is_none_or(|k| m.graph[a as u32].kind == k))
                            .map(|a| key.var.map_or(1.0, |v| s.actor[v as usize][a])),
                    ),
                    _ => 0.0,
                };
            }
        }
    }
}

/// Relation `e`'s value of `var`, or 1 (for counts).
fn value(rel: &[Vec<f64>], var: Option<u16>, e: usize) -> f64 {
    var.map_or(1.0, |v| rel[v as usize][e])
}

/// The sum (`func` Sum) or mean (Mean) of `vals` over `edges`: `fold`'s sum (from 0, in order)
/// without its minimum and maximum; 0 over no edges.
#[inline(always)]
fn in_sum(func: AggFn, edges: &[u32], vals: &[f64]) -> f64 {
    let sum = edges.iter().fold(0.0, |sum, &e| sum + vals[e as usize]);
    match (edges.len(), func) {
        (0, _) => 0.0,
        (n, AggFn::Mean) => sum / n as f64,
        _ => sum,
    }
}

/// An aggregate over one actor's out- or in-relations.
#[inline]
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
        AggSet::In(None) if matches!(key.func, AggFn::Sum | AggFn::Mean) && key.var.is_some() => {
            in_sum(
                key.func,
                m.adj.in_slice(a as u32),
                &rel[key.var.unwrap_or(0) as usize],
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
