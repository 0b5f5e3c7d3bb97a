//! The compiled items of a model: actions and their effects, rules and their lanes, dynamics,
//! events, outcomes and report series. Internal: the stepper reads them, the public API reaches
//! them by name through [`Model`](super::Model)'s methods.

use crate::expr::Code;

/// Where an effect lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum On {
    Relation,
    Reverse,
    Both,
    Actor,
    Target,
    /// Every relation out of the actor.
    Out,
    /// Every relation into the actor.
    In,
    /// Named places, whoever acts: `Model::places[i]`.
    Places(u32),
}

/// Named places an effect lands on: actors or relations, in id order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Places {
    pub(crate) relation: bool,
    pub(crate) items: Vec<u32>,
}

impl Places {
    /// The places of run `copy` of a block (its share of `items`, which list each run's in
    /// turn; all of them for a model of one run).
    #[inline]
    pub(crate) fn of(&self, block: super::Block, copy: u32) -> &[u32] {
        let per_run = self.items.len() / block.copies as usize;
        &self.items[copy as usize * per_run..][..per_run]
    }
}

/// Spill-over: an effect also lands on the actors linked to its side by relations of a kind.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spill {
    /// Index into `Model::kin`.
    pub(crate) kin: usize,
    /// What the amount is multiplied by per hop.
    pub(crate) factor: f64,
    /// Hops followed, at least 1.
    pub(crate) hops: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct Effect {
    pub(crate) var: u16,
    pub(crate) on: On,
    pub(crate) amount: Code,
    pub(crate) delay: u32,
    pub(crate) duration: u32,
    pub(crate) spill: Option<Spill>,
}

#[derive(Clone, Debug)]
pub(crate) struct Action {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) cameo: Option<(String, f64)>,
    pub(crate) effects: Vec<Effect>,
    /// Whether the action needs a target (an effect or amount refers to one).
    pub(crate) needs_target: bool,
    /// Taken at most once per step by one actor toward one target.
    pub(crate) once_per_step: bool,
}

/// Who a rule's lanes are.
#[derive(Clone, Debug)]
pub(crate) enum Lanes {
    /// Every relation.
    AllEdges,
    /// Every actor, without a target.
    AllActors,
    /// These relations.
    Edges(Vec<u32>),
    /// These actors, each toward a fixed target (or none: [`ActorId::NONE`](crate::ids::ActorId::NONE)), with the relation between.
    Actors {
        actors: Vec<u32>,
        target: u32,
        edges: Vec<u32>,
    },
    /// These actors (a mask), when someone did `action` toward them in the previous step: toward
    /// whoever did (one lane each), or toward `aim` (one lane per reacting actor).
    Reactions {
        actors: Vec<bool>,
        action: u16,
        aim: Option<u32>,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub(crate) name: String,
    pub(crate) key: u64,
    pub(crate) action: u16,
    pub(crate) lanes: Lanes,
    pub(crate) when: Code,
    pub(crate) probability: Code,
    pub(crate) cooldown: u32,
    pub(crate) priority: i64,
}

#[derive(Clone, Debug)]
pub(crate) struct Dynamic {
    pub(crate) name: String,
    pub(crate) relation: bool,
    pub(crate) var: u16,
    pub(crate) add: Code,
    /// Relations (or actors) it applies to; `None` = all.
    pub(crate) only: Option<Vec<u32>>,
}

#[derive(Clone, Debug)]
pub(crate) enum When {
    At(Vec<u32>),
    Rate { rate: Code, from: u32, until: u32 },
}

#[derive(Clone, Debug)]
pub(crate) struct Event {
    pub(crate) name: String,
    pub(crate) key: u64,
    pub(crate) actor: u32,
    pub(crate) action: u16,
    pub(crate) target: u32,
    pub(crate) edge: u32,
    pub(crate) when: When,
}

/// An exogenous shock: effects on named places at scheduled steps or at a rate, no actor.
#[derive(Clone, Debug)]
pub(crate) struct Shock {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) key: u64,
    pub(crate) when: When,
    /// Each on `On::Places`.
    pub(crate) effects: Vec<Effect>,
}

#[derive(Clone, Debug)]
pub(crate) struct Outcome {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) text: String,
    pub(crate) cond: Code,
    pub(crate) hold: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) code: Code,
}

/// Actors linked by relations of one kind (either direction), as compressed rows.
#[derive(Clone, Debug)]
pub(crate) struct Kin {
    pub(crate) start: Vec<u32>,
    pub(crate) members: Vec<u32>,
}

impl Kin {
    pub(crate) fn of(&self, actor: u32) -> &[u32] {
        &self.members[self.start[actor as usize] as usize..self.start[actor as usize + 1] as usize]
    }
}
