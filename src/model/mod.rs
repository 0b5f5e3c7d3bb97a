//! The compiled model: a validated scenario with every name resolved to a dense index.
//!
//! [`crate::compile`] builds a [`Model`] from a resolved scenario. The model holds the relation
//! graph (petgraph; its node and edge indices are the dense ids of the state arrays), compiled
//! expressions, and the lane sets the stepper iterates. It does not hold any state that changes
//! during a run.

mod access;
mod items;

use crate::expr::AggKey;
use crate::graph::Adjacency;
use crate::ids::ActorKindId;
pub(crate) use items::{
    Action, Dynamic, Effect, Event, Kin, Lanes, On, Outcome, Places, Rule, Series, Shock, Spill,
    When,
};
use petgraph::csr::Csr;

/// An actor: a node of the relation graph.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Actor {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) kind: u16,
    /// Most actions per step (rules only), or `u32::MAX`.
    pub(crate) cap: u32,
}

impl Actor {
    /// The actor's id, as written in the scenario.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The actor's display name (its id unless the scenario gives a `name`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The actor's kind (see [`Model::actor_kind_name`]).
    pub fn kind(&self) -> ActorKindId {
        ActorKindId(self.kind)
    }

    /// Most actions the actor's rules may take in one step, if capped.
    pub fn cap(&self) -> Option<u32> {
        (self.cap != u32::MAX).then_some(self.cap)
    }
}

/// A declared variable.
#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    /// Its name.
    pub name: String,
    /// The value of an actor or relation that does not set it.
    pub default: f64,
    /// The range values are clamped to after every step, if declared.
    pub range: Option<(f64, f64)>,
    /// The scenario's description of it (may be empty).
    pub description: String,
}

/// A validated, compiled scenario: what [`crate::Sim`] runs.
///
/// Built by [`crate::load_model`] (or [`crate::compile::compile`]); immutable, and shared by every
/// run of an ensemble. Its parts are reached through methods, by name or by typed id.
#[derive(Clone, Debug)]
pub struct Model {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) steps: u32,
    pub(crate) time_unit: String,
    pub(crate) dt: f64,
    pub(crate) seed: u64,
    pub(crate) content_hash: u64,
    /// The paths of every file the scenario was read from, as given to its `Sources`.
    pub(crate) files: Vec<String>,
    pub(crate) parameters: Vec<(String, f64)>,
    /// The relation graph, as compressed sparse rows. Node i is actor i, edge e is relation
    /// e (relations are sorted by (from, to), which is the order of its rows); the relation's
    /// kind is `edge_kind[e]`.
    pub(crate) graph: Csr<Actor, ()>,
    pub(crate) actor_kinds: Vec<String>,
    pub(crate) relation_kinds: Vec<String>,
    pub(crate) relation_vars: Vec<Variable>,
    pub(crate) actor_vars: Vec<Variable>,
    /// Who each relation joins, out- and in-relations, reverses; in-relations are indexed only
    /// when the model reads them (`in(...)` aggregates, effects with `on = "in"`).
    pub(crate) adj: Adjacency,
    pub(crate) edge_kind: Vec<u16>,
    pub(crate) actor_keys: Vec<u64>,
    /// Initial values: per relation variable, one per relation plus the sentinel.
    pub(crate) init_relation: Vec<Vec<f64>>,
    pub(crate) init_actor: Vec<Vec<f64>>,
    pub(crate) actions: Vec<Action>,
    /// Sorted by priority (highest first), then name.
    pub(crate) rules: Vec<Rule>,
    pub(crate) dynamics: Vec<Dynamic>,
    pub(crate) events: Vec<Event>,
    pub(crate) shocks: Vec<Shock>,
    /// The named places effects land on (`On::Places` indexes this).
    pub(crate) places: Vec<Places>,
    pub(crate) outcomes: Vec<Outcome>,
    pub(crate) series: Vec<Series>,
    pub(crate) agg_actor: Vec<AggKey>,
    pub(crate) agg_scalar: Vec<AggKey>,
    pub(crate) kin: Vec<Kin>,
    /// Whether any expression or rule needs who-did-what-to-whom logs.
    pub(crate) uses_pair_log: bool,
    /// Per action, the per-counterpart and windowed memory expressions read (empty if none).
    pub(crate) memory: Vec<crate::expr::memory::Needs>,
    /// Longest delay + duration of any effect.
    pub(crate) horizon: u32,
    /// Deepest operand stack any expression needs.
    pub(crate) max_depth: usize,
    /// What compiled but is probably not what was meant, with the files to show it against
    /// (empty, holding no files, when there is nothing to say).
    pub(crate) warnings: crate::diag::Diagnostics,
    /// The scenario's `[sweep]` table, checked.
    pub(crate) sweep: Option<crate::sweep::Config>,
}
