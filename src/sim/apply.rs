//! Phase 6 of a step: the deltas are added to the state and clamped to each variable's range,
//! and every value is checked to be finite.
//!
//! The only phase that writes the state's variables. A variable the dynamics already applied
//! (fused) has its new values swapped in; its overflow, found there, is reported here.

use super::error::{overflow_error, RuntimeError};
use super::kernels::apply_column;
use super::state::{State, Work};
use crate::model::Model;

/// Phase 6: apply the deltas, clamp to ranges, and check that every value is finite.
pub(super) fn deltas(m: &Model, s: &mut State, w: &mut Work, t: u32) -> Result<(), RuntimeError> {
    let n_edges = m.n_relations();
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
        // The sentinel slot always holds the default.
        s.rel[v][n_edges] = var.default;
        w.d_rel[v][n_edges] = 0.0;
        if let Err(e) = result {
            return Err(overflow_error(m, t, true, v as u16, e as u32));
        }
    }
    for (v, var) in m.actor_vars.iter().enumerate() {
        if let Err(a) = apply_column(&mut s.actor[v], &mut w.d_actor[v], var.range) {
            return Err(overflow_error(m, t, false, v as u16, a as u32));
        }
    }
    Ok(())
}
