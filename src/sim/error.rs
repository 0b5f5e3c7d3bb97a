//! The stepper's one error, [`RuntimeError`] (a value stopped being a finite number), and the
//! functions that build it with its message.
//!
//! Only these functions format text: they run once, when a run stops, never in the step loop.

use super::state::Firing;
use crate::expr::{Lanes, World};
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
    /// A rule's `when` compared or combined a value that is not a finite number.
    RuleCondition {
        /// The rule's index in [`Model::rule_names`].
        rule: usize,
        /// The lane's actor.
        actor: ActorId,
        /// The lane's target, if the rule has one.
        target: Option<ActorId>,
    },
    /// A rule's `probability` is not a finite number.
    Probability {
        /// The rule's index in [`Model::rule_names`].
        rule: usize,
        /// The lane's actor.
        actor: ActorId,
        /// The lane's target, if the rule has one.
        target: Option<ActorId>,
    },
    /// An outcome's condition compared or combined a value that is not a finite number.
    Outcome {
        /// The outcome's index in the model's outcomes.
        outcome: usize,
    },
    /// An event's `rate` is not a finite number.
    EventRate {
        /// The event's index in [`Model::event_names`].
        event: usize,
    },
    /// A shock's `rate`, or the amount of one of its effects on one place, is not a finite
    /// number.
    Shock {
        /// The shock's index in [`Model::shock_names`].
        shock: usize,
        /// The effect's index in the shock's effects; `None` for its rate.
        effect: Option<usize>,
        /// The place whose amount it was.
        place: Option<Place>,
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

/// What caused an amount: a rule or an event (which took an action), or a shock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Cause {
    /// The rule at this index of [`Model::rule_names`].
    Rule(usize),
    /// The event at this index of [`Model::event_names`].
    Event(usize),
    /// The shock at this index of [`Model::shock_names`] (which takes no action).
    Shock(usize),
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
        On::Places(p) if !m.places[p as usize].relation => &m.actor_vars[var as usize].name,
        _ => &m.relation_vars[var as usize].name,
    }
}

/// The error for a shock's rate (`effect` `None`) or for the amount of its effect `effect` on
/// place `index`, when it is not a finite number.
#[cold]
pub(super) fn shock_error(
    m: &Model,
    t: u32,
    shock: usize,
    effect: Option<(usize, u32)>,
    value: f64,
) -> RuntimeError {
    let sh = &m.shocks[shock];
    let Some((k, index)) = effect else {
        return RuntimeError {
            step: t,
            kind: RuntimeErrorKind::Shock {
                shock,
                effect: None,
                place: None,
            },
            message: format!(
                "the `rate` of shock `{}` is not a finite number ({value})",
                sh.name
            ),
        };
    };
    let eff = &sh.effects[k];
    let relation = matches!(eff.on, On::Places(p) if m.places[p as usize].relation);
    let place = Place::new(relation, index);
    let at = if relation {
        let (a, b) = (m.adj.src[index as usize], m.adj.dst[index as usize]);
        format!("{} → {}", m.graph[a].id, m.graph[b].id)
    } else {
        m.graph[index].id.clone()
    };
    RuntimeError {
        step: t,
        kind: RuntimeErrorKind::Shock {
            shock,
            effect: Some(k),
            place: Some(place),
        },
        message: format!(
            "effect {} of shock `{}` on `{}` of {at} is not a finite number ({value})",
            k + 1,
            sh.name,
            var_name(m, eff.on, eff.var)
        ),
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
        Cause::Shock(i) => format!("shock `{}`", m.shocks[i].name),
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

/// The actor and the target (if any) of lane `i`, and how a message names them.
fn lane_actors(
    m: &Model,
    world: &World,
    lanes: &Lanes,
    i: usize,
) -> (ActorId, Option<ActorId>, String) {
    let me = lanes.me(i, world);
    let target = lanes.target(i, world);
    if target == ActorId::NONE.0 {
        (ActorId(me), None, m.graph[me].id.clone())
    } else {
        let label = format!("{} → {}", m.graph[me].id, m.graph[target].id);
        (ActorId(me), Some(ActorId(target)), label)
    }
}

/// The error for rule `ri`'s `when` (`probability` if not `when`), whose value at lane `i` is
/// not a finite number.
#[cold]
pub(super) fn rule_error(
    m: &Model,
    t: u32,
    ri: usize,
    when: bool,
    world: &World,
    lanes: &Lanes,
    i: usize,
) -> RuntimeError {
    let (actor, target, label) = lane_actors(m, world, lanes, i);
    let (kind, message) = if when {
        (
            RuntimeErrorKind::RuleCondition {
                rule: ri,
                actor,
                target,
            },
            format!(
                "the `when` of rule `{}` compares a value that is not a finite number, for {label}",
                m.rules[ri].name
            ),
        )
    } else {
        (
            RuntimeErrorKind::Probability {
                rule: ri,
                actor,
                target,
            },
            format!(
                "the `probability` of rule `{}` is not a finite number, for {label}",
                m.rules[ri].name
            ),
        )
    };
    RuntimeError {
        step: t,
        kind,
        message,
    }
}

/// The error for outcome `o`, whose condition compares a value that is not a finite number.
#[cold]
pub(super) fn outcome_error(m: &Model, t: u32, o: usize) -> RuntimeError {
    let outcome = &m.outcomes[o];
    RuntimeError {
        step: t,
        kind: RuntimeErrorKind::Outcome { outcome: o },
        message: format!(
            "outcome `{}` ({}) compares a value that is not a finite number",
            outcome.name, outcome.text
        ),
    }
}

/// The error for event `e`, whose `rate` is not a finite number.
#[cold]
pub(super) fn event_rate_error(m: &Model, t: u32, e: usize, rate: f64) -> RuntimeError {
    RuntimeError {
        step: t,
        kind: RuntimeErrorKind::EventRate { event: e },
        message: format!(
            "the `rate` of event `{}` is not a finite number ({rate})",
            m.events[e].name
        ),
    }
}
