//! The stepper's one error, [`RuntimeError`] (a value stopped being a finite number), and the
//! functions that build it with its message.
//!
//! Only these functions format text: they run once, when a run stops, never in the step loop.

use super::state::{Firing, EVENT};
use crate::model::{Action, Dynamic, Model, On, Series};

/// A value stopped being a finite number: at which step, what went wrong ([`RuntimeErrorKind`],
/// by index into the model), and the message a user sees (naming the step, the variable, the
/// relation or actor and what caused it).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("step {step}: {message}")]
pub struct RuntimeError {
    pub step: u32,
    pub kind: RuntimeErrorKind,
    pub message: String,
}

/// What stopped a run, by index into the [`Model`]'s lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeErrorKind {
    /// The amount of an effect of `action`, taken by `actor` through `cause`, is not finite.
    Effect {
        action: u16,
        /// The effect's index in the action's effects.
        effect: usize,
        actor: u32,
        cause: Cause,
    },
    /// The change a dynamics line (`dynamic`) gave a relation or an actor (`index`) is not finite.
    Dynamics {
        dynamic: usize,
        relation: bool,
        index: u32,
    },
    /// A variable's new value is not finite: the changes summed in the step overflowed.
    Overflow {
        relation: bool,
        var: u16,
        index: u32,
    },
    /// A report series is not finite.
    Series { series: usize },
}

/// What took an action: a rule or an event, by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    Rule(u32),
    Event(u32),
}

impl Cause {
    pub(super) fn of(f: &Firing) -> Cause {
        if f.source & EVENT != 0 {
            Cause::Event(f.source & !EVENT)
        } else {
            Cause::Rule(f.source)
        }
    }
}

/// The name of an effect's variable: an actor variable for `actor` and `target`, else a relation
/// variable.
pub(super) fn var_name(m: &Model, on: On, var: u16) -> &str {
    match on {
        On::Actor | On::Target => &m.actor_vars[var as usize].name,
        _ => &m.relation_vars[var as usize].name,
    }
}

/// The error for effect `effect` of `action`, taken in `f`, whose amount is not finite.
#[cold]
pub(super) fn effect_error(
    m: &Model,
    t: u32,
    act: &Action,
    effect: usize,
    f: &Firing,
    amount: f64,
) -> RuntimeError {
    let eff = &act.effects[effect];
    let cause = Cause::of(f);
    let who = match cause {
        Cause::Event(i) => format!("event `{}`", m.events[i as usize].name),
        Cause::Rule(i) => format!("rule `{}`", m.rules[i as usize].name),
    };
    RuntimeError {
        step: t,
        kind: RuntimeErrorKind::Effect {
            action: f.action,
            effect,
            actor: f.actor,
            cause,
        },
        message: format!(
            "the effect of action `{}` on `{}` (taken by {} through {who}) is not a finite number ({amount})",
            act.name,
            var_name(m, eff.on, eff.var),
            m.actor(f.actor).id
        ),
    }
}

/// The error for dynamics `k`'s batch (from lane `start` on) with a change that is not finite.
#[cold]
pub(super) fn dynamics_error(
    m: &Model,
    k: usize,
    t: u32,
    start: usize,
    out: &[f64],
) -> RuntimeError {
    let d: &Dynamic = &m.dynamics[k];
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
        kind: RuntimeErrorKind::Dynamics {
            dynamic: k,
            relation: d.relation,
            index: idx,
        },
        message: format!(
            "dynamics `{}` gave `{var}` of {place} a change that is not a finite number ({})",
            d.name, out[i]
        ),
    }
}

/// The error for relation (`relation`) or actor variable `var` whose new value at `index`
/// stopped being a finite number.
#[cold]
pub(super) fn overflow_error(
    m: &Model,
    t: u32,
    relation: bool,
    var: u16,
    index: u32,
) -> RuntimeError {
    let (name, place) = if relation {
        (&m.relation_vars[var as usize].name, m.relation_label(index))
    } else {
        (&m.actor_vars[var as usize].name, m.actor(index).id.clone())
    };
    RuntimeError {
        step: t,
        kind: RuntimeErrorKind::Overflow {
            relation,
            var,
            index,
        },
        message: format!(
            "`{name}` of {place} is no longer a finite number (the changes summed in this step overflowed)"
        ),
    }
}

/// The error for report series `s` whose value is not finite.
#[cold]
pub(super) fn series_error(m: &Model, t: u32, s: usize, value: f64) -> RuntimeError {
    let series: &Series = &m.series[s];
    RuntimeError {
        step: t,
        kind: RuntimeErrorKind::Series { series: s },
        message: format!(
            "report series `{}` ({}) is not a finite number ({value})",
            series.name, series.text
        ),
    }
}
