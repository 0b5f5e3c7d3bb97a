//! The compiled model: a validated scenario with every name resolved to a dense index.
//!
//! [`crate::compile`] builds a [`Model`] from a resolved scenario. The model holds the relation
//! graph (petgraph; its node and edge indices are the dense ids of the state arrays), compiled
//! expressions, and the lane sets the stepper iterates. It does not hold any state that changes
//! during a run.

use crate::expr::{AggKey, Code, Domain};
use petgraph::csr::Csr;

/// An actor: a node of the relation graph.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Actor {
    pub id: String,
    pub name: String,
    pub kind: u16,
    /// Most actions per step (rules only), or `u32::MAX`.
    pub cap: u32,
}

/// A relation's kind: the weight of an edge of the relation graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelationKind(pub u16);

/// A declared variable.
#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    pub name: String,
    pub default: f64,
    pub range: Option<(f64, f64)>,
    pub description: String,
}

/// Where an effect lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum On {
    Relation,
    Reverse,
    Both,
    Actor,
    Target,
    /// Every relation out of the actor.
    Out,
    /// Every relation into the actor.
    In,
}

#[derive(Clone, Debug)]
pub struct Effect {
    pub var: u16,
    pub on: On,
    pub amount: Code,
    pub delay: u32,
    pub duration: u32,
    /// (index into `Model::kin`, factor).
    pub spill: Option<(usize, f64)>,
}

#[derive(Clone, Debug)]
pub struct Action {
    pub name: String,
    pub description: String,
    pub cameo: Option<(String, f64)>,
    pub effects: Vec<Effect>,
    /// Whether the action needs a target (an effect or amount refers to one).
    pub needs_target: bool,
}

/// Who a rule's lanes are.
#[derive(Clone, Debug)]
pub enum Lanes {
    /// Every relation.
    AllEdges,
    /// Every actor, without a target.
    AllActors,
    /// These relations.
    Edges(Vec<u32>),
    /// These actors, each toward a fixed target (or none: `u32::MAX`), with the relation between.
    Actors {
        actors: Vec<u32>,
        target: u32,
        edges: Vec<u32>,
    },
    /// The actors that did `action` toward one of these actors in the previous step.
    Reactions { actors: Vec<bool>, action: u16 },
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub key: u64,
    pub action: u16,
    pub lanes: Lanes,
    pub when: Code,
    pub probability: Code,
    pub cooldown: u32,
    pub priority: i64,
    pub domain: Domain,
}

#[derive(Clone, Debug)]
pub struct Dynamic {
    pub name: String,
    pub relation: bool,
    pub var: u16,
    pub add: Code,
    /// Relations (or actors) it applies to; `None` = all.
    pub only: Option<Vec<u32>>,
}

#[derive(Clone, Debug)]
pub enum When {
    At(Vec<u32>),
    Rate { rate: Code, from: u32, until: u32 },
}

#[derive(Clone, Debug)]
pub struct Event {
    pub name: String,
    pub key: u64,
    pub actor: u32,
    pub action: u16,
    pub target: u32,
    pub edge: u32,
    pub when: When,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub name: String,
    pub description: String,
    pub text: String,
    pub cond: Code,
    pub hold: u32,
}

#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub text: String,
    pub code: Code,
}

/// Actors linked by relations of one kind (either direction), as compressed rows.
#[derive(Clone, Debug)]
pub struct Kin {
    pub start: Vec<u32>,
    pub members: Vec<u32>,
}

impl Kin {
    pub fn of(&self, actor: u32) -> &[u32] {
        &self.members[self.start[actor as usize] as usize..self.start[actor as usize + 1] as usize]
    }
}

/// A validated, compiled scenario.
#[derive(Clone, Debug)]
pub struct Model {
    pub name: String,
    pub description: String,
    pub steps: u32,
    pub time_unit: String,
    pub dt: f64,
    pub seed: u64,
    pub content_hash: u64,
    pub parameters: Vec<(String, f64)>,
    /// The relation graph, as compressed sparse rows. Node i is actor i, edge e is relation
    /// e (relations are sorted by (from, to), which is the order of its rows); the relation's
    /// kind is `edge_kind[e]`.
    pub graph: Csr<Actor, ()>,
    pub actor_kinds: Vec<String>,
    pub relation_kinds: Vec<String>,
    pub relation_vars: Vec<Variable>,
    pub actor_vars: Vec<Variable>,
    pub src: Vec<u32>,
    pub dst: Vec<u32>,
    /// Reverse relation of each relation, or `n_relations()` (the sentinel); one extra entry.
    pub rev: Vec<u32>,
    pub out_start: Vec<u32>,
    /// Relations into each actor, sorted by `from` (`in_edges[in_start[a]..in_start[a + 1]]`);
    /// built only when the model reads them (`in(...)` aggregates, effects with `on = "in"`),
    /// and empty otherwise.
    pub in_start: Vec<u32>,
    pub in_edges: Vec<u32>,
    pub edge_kind: Vec<u16>,
    pub actor_keys: Vec<u64>,
    /// Initial values: per relation variable, one per relation plus the sentinel.
    pub init_relation: Vec<Vec<f64>>,
    pub init_actor: Vec<Vec<f64>>,
    pub actions: Vec<Action>,
    /// Sorted by priority (highest first), then name.
    pub rules: Vec<Rule>,
    pub dynamics: Vec<Dynamic>,
    pub events: Vec<Event>,
    pub outcomes: Vec<Outcome>,
    pub series: Vec<Series>,
    pub agg_actor: Vec<AggKey>,
    pub agg_scalar: Vec<AggKey>,
    pub kin: Vec<Kin>,
    /// Whether any expression or rule needs who-did-what-to-whom logs.
    pub uses_pair_log: bool,
    /// Longest delay + duration of any effect.
    pub horizon: u32,
    /// Deepest operand stack any expression needs.
    pub max_depth: usize,
}

impl Model {
    pub fn n_actors(&self) -> usize {
        self.graph.node_count()
    }

    pub fn n_relations(&self) -> usize {
        self.dst.len()
    }

    pub fn actor(&self, idx: u32) -> &Actor {
        &self.graph[idx]
    }

    pub fn actor_index(&self, id: &str) -> Option<u32> {
        let n = self.n_actors();
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.actor(mid as u32).id.as_str().cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }

    /// The relation from → to, if there is one.
    pub fn edge(&self, from: u32, to: u32) -> Option<u32> {
        let (lo, hi) = (
            self.out_start[from as usize] as usize,
            self.out_start[from as usize + 1] as usize,
        );
        self.dst[lo..hi]
            .binary_search(&to)
            .ok()
            .map(|i| (lo + i) as u32)
    }

    /// The relations into `actor` (none unless the model reads them: see `in_edges`).
    pub fn in_edges_of(&self, actor: u32) -> &[u32] {
        if self.in_start.is_empty() {
            return &[];
        }
        &self.in_edges
            [self.in_start[actor as usize] as usize..self.in_start[actor as usize + 1] as usize]
    }

    pub fn relation_label(&self, e: u32) -> String {
        format!(
            "{}→{}",
            self.actor(self.src[e as usize]).id,
            self.actor(self.dst[e as usize]).id
        )
    }
}
