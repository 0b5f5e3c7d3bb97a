//! Hooks for watching a run from inside — attribution, firing logs — called by the stepper at
//! fixed points. The phases are generic over the [`Trace`]; ordinary runs use [`Quiet`], whose
//! hooks are empty and whose `AMOUNTS` and `TAKINGS` are false, so its calls and the arguments
//! built for them compile away: a run that is not watched pays nothing.

use super::error::Cause;

/// Where one landed amount came from, and where it went.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Landed {
    /// The rule or event that took the action, or the shock.
    pub cause: Cause,
    /// The action taken (`None` for a shock).
    pub action: Option<u16>,
    /// Who acted and toward whom ([`crate::ids::ActorId::NONE`] for no one).
    pub actor: u32,
    pub target: u32,
    /// For spill-over: the actor it spilled to.
    pub spilled_to: Option<u32>,
    /// The place: a relation variable's relation, or an actor variable's actor.
    pub relation: bool,
    pub var: u16,
    pub index: u32,
    /// The amount per step, the steps before it starts, and how many steps it lasts.
    pub amount: f64,
    pub delay: u32,
    pub duration: u32,
}

/// What a watcher of a run is told. Every hook has an empty default.
pub(crate) trait Trace {
    /// Whether `landed` and `dynamics` are wanted; `false` lets the stepper skip building
    /// their arguments.
    const AMOUNTS: bool;
    /// Whether `taken` is wanted.
    const TAKINGS: bool;

    /// One action decided in step `t` (after `once_per_step` and caps), before its effects.
    fn taken(&mut self, _t: u32, _taken: Taken) {}

    /// An amount of an action's or a shock's effect, landing now or scheduled, on an existing
    /// place, in step `t`.
    fn landed(&mut self, _t: u32, _l: Landed) {}

    /// Dynamics line `k`'s changes in step `t` on the places `indices` (relations or actors of
    /// its variable), one value each.
    fn dynamics(&mut self, _t: u32, _k: usize, _indices: Indices, _values: &[f64]) {}

    /// The state after step `t` (`t = 0`: the initial state).
    fn step_end(&mut self, _t: u32, _values: Values) {}
}

/// One action taken: by which rule or event, who, toward whom ([`crate::ids::ActorId::NONE`]
/// for no one).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Taken {
    pub cause: Cause,
    pub action: u16,
    pub actor: u32,
    pub target: u32,
}

/// The variables' values, read by place.
#[derive(Clone, Copy)]
pub(crate) struct Values<'a> {
    pub(super) rel: &'a [Vec<f64>],
    pub(super) actor: &'a [Vec<f64>],
}

impl Values<'_> {
    /// The value of variable `var` at relation or actor `index`.
    pub fn get(&self, relation: bool, var: u16, index: u32) -> f64 {
        let column = if relation { self.rel } else { self.actor };
        column[var as usize][index as usize]
    }
}

/// The places of one batch of a dynamics line.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Indices<'a> {
    /// `start .. start + n` of all relations or actors.
    Range(usize),
    /// Listed ones.
    List(&'a [u32]),
}

/// The watcher of ordinary runs: nothing.
pub(crate) struct Quiet;

impl Trace for Quiet {
    const AMOUNTS: bool = false;
    const TAKINGS: bool = false;
}
