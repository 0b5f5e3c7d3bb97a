//! The stepper's one error, [`RuntimeError`] (a value stopped being a finite number), and the
//! functions that build it with its message.
//!
//! Only these functions format text: they run once, when a run stops, never in the step loop.

use super::state::Firing;
use crate::ids::{ActionId, ActorId, RelationId, VarId};
use crate::model::{Action, Dynamic, Model, On, Series};

/// A value stopped being a finite number: at which step, what went wrong ([`RuntimeErrorKind`],
/// by index into the model), and the message a user sees (naming the step, the variable, the
/// relation or actor and what caused it).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("step {step}: {message}")]
pub struct RuntimeError {
    /// The step at which the run stopped.
    pub step: u32,
    /// What went wrong, by typed id.
    pub kind: RuntimeErrorKind,
    /// The message for a person (without the step).
    pub message: String,
}

/// What stopped a run, by index into the [`Model`]'s lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeErrorKind {
    /// The amount of an effect of `action`, taken by `actor` through `cause`, is not finite.
    Effect {
        /// The action.
        action: ActionId,
        /// The effect's index in the action's effects.
        effect: usize,
        /// Who took the action.
        actor: ActorId,
        /// The rule or event that took it.
        cause: Cause,
    },
    /// The change a dynamics line gave a relation or an actor is not finite.
    Dynamics {
        /// The dynamics line's index in [`Model::dynamics_names`].
        dynamics: usize,
        /// Where.
        place: Place,
    },
    /// A variable's new value is not finite: the changes summed in the step overflowed.
    Overflow {
        /// The variable (a relation variable for a relation, else an actor variable).
        var: VarId,
        /// Where.
        place: Place,
    },
    /// A report series is not finite.
    Series {
        /// The series' index in [`Model::series`].
        series: usize,
    },
}

/// A relation or an actor: where a variable's value went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Place {
    /// A relation's variable.
    Relation(RelationId),
    /// An actor's variable.
    Actor(ActorId),
}

impl Place {
    fn new(relation: bool, index: u32) -> Place {
        if relation {
            Place::Relation(RelationId(index))
        } else {
            Place::Actor(ActorId(index))
        }
    }
}

/// What took an action: a rule or an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// The rule at this index of [`Model::rule_names`].
    Rule(usize),
    /// The event at this index of [`Model::event_names`].
    Event(usize),
}

impl Cause {
    pub(super) fn of(f: &Firing) -> Cause {
        f.source.cause()
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
        Cause::Event(i) => format!("event `{}`", m.events[i].name),
        Cause::Rule(i) => format!("rule `{}`", m.rules[i].name),
    };
    RuntimeError {
        step: t,
        kind: RuntimeErrorKind::Effect {
            action: ActionId(f.action),
            effect,
            actor: ActorId(f.actor),
            cause,
        },
        message: format!(
            "the effect of action `{}` on `{}` (taken by {} through {who}) is not a finite number ({amount})",
            act.name,
            var_name(m, eff.on, eff.var),
            m.graph[f.actor].id
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
        (
            &m.relation_vars[d.var as usize].name,
            m.relation_label(RelationId(idx)),
        )
    } else {
        (&m.actor_vars[d.var as usize].name, m.graph[idx].id.clone())
    };
    RuntimeError {
        step: t,
        kind: RuntimeErrorKind::Dynamics {
            dynamics: k,
            place: Place::new(d.relation, idx),
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
        (
            &m.relation_vars[var as usize].name,
            m.relation_label(RelationId(index)),
        )
    } else {
        (&m.actor_vars[var as usize].name, m.graph[index].id.clone())
    };
    RuntimeError {
        step: t,
        kind: RuntimeErrorKind::Overflow {
            var: VarId(var),
            place: Place::new(relation, index),
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
