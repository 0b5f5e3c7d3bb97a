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
    /// Whether a rule reacts to an action (and reads who did what to whom in the previous
    /// step's log).
    pub(crate) uses_reactions: bool,
    /// Whether an expression reads `did(actor, target, action)`.
    pub(crate) uses_did_pair: bool,
    /// The most entries the who-did-what-to-whom table may have ([`Model::pair_table`]):
    /// [`PAIR_TABLE_MAX`] (a test sets 0 to compare the table with the log).
    pub(crate) pair_table_max: usize,
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
    /// How many runs the model's state holds side by side ([`Block`]): one, unless the stepper
    /// built it to run a block of runs in lockstep.
    pub(crate) block: Block,
}

/// Most entries of the table of who did what to whom ([`Model::pair_table`]): 64 Ki, 256 KiB
/// for each of its two steps.
pub(crate) const PAIR_TABLE_MAX: usize = 1 << 16;

impl Model {
    /// Entries of the who-did-what-to-whom table ([`Model::pair_table`]): per actor of the
    /// block, action and target of its run (or no one).
    pub(crate) fn pair_table_len(&self) -> usize {
        let b = self.block;
        (b.copies as usize * b.actors as usize)
            .saturating_mul(self.actions.len())
            .saturating_mul(b.actors as usize + 1)
    }

    /// Whether `did(actor, target, action)` reads a table of the last two steps each
    /// (actor, action, target) was taken at, rather than a search through the step's log: for
    /// models whose table is small (at most `pair_table_max` entries).
    pub(crate) fn pair_table(&self) -> bool {
        self.uses_did_pair && self.pair_table_len() <= self.pair_table_max
    }

    /// Entries the stepper's who-did-what-to-whom table has: [`Model::pair_table_len`] where
    /// the model reads it, else none.
    pub(crate) fn pair_table_entries(&self) -> usize {
        if self.pair_table() {
            self.pair_table_len()
        } else {
            0
        }
    }

    /// Whether the stepper keeps each step's sorted log of who did what to whom: for reactions,
    /// and for `did(actor, target, action)` where there is no table.
    pub(crate) fn uses_pair_log(&self) -> bool {
        self.uses_reactions || (self.uses_did_pair && !self.pair_table())
    }
}

/// The runs a model's state holds side by side, and the size of one run's graph.
///
/// A model made for runs in lockstep (`sim::lockstep`) is the scenario's graph copied
/// `copies` times: copy `c` holds actors `c × actors ..` and relations `c × relations ..`, each a
/// run of its own. A scenario's own model has one copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Block {
    /// Runs side by side (at least 1).
    pub(crate) copies: u32,
    /// Actors of one run.
    pub(crate) actors: u32,
    /// Relations of one run.
    pub(crate) relations: u32,
    /// ⌈2⁶⁴ / actors⌉ and ⌈2⁶⁴ / relations⌉, so that [`Block::copy_of_actor`] and
    /// [`Block::copy_of_relation`] divide by multiplying.
    pub(crate) inv_actors: u64,
    pub(crate) inv_relations: u64,
}

impl Block {
    /// One run of `actors` actors and `relations` relations.
    pub(crate) fn single(actors: usize, relations: usize) -> Block {
        Block::new(1, actors as u32, relations as u32)
    }

    /// `copies` runs of `actors` actors and `relations` relations.
    pub(crate) fn new(copies: u32, actors: u32, relations: u32) -> Block {
        Block {
            copies,
            actors,
            relations,
            inv_actors: (u64::MAX / u64::from(actors.max(1))).wrapping_add(1),
            inv_relations: (u64::MAX / u64::from(relations.max(1))).wrapping_add(1),
        }
    }

    /// Actor `a` of one run (or [`crate::ids::ActorId::NONE`]) in copy `copy`.
    #[inline]
    pub(crate) fn actor(self, a: u32, copy: u32) -> u32 {
        if a < self.actors {
            a + copy * self.actors
        } else {
            a
        }
    }

    /// Relation `e` of one run in copy `copy`; "no relation" (any index past one run's
    /// relations) stays "no relation", the sentinel past every copy's.
    #[inline]
    pub(crate) fn relation(self, e: u32, copy: u32) -> u32 {
        if e < self.relations {
            e + copy * self.relations
        } else {
            self.copies * self.relations
        }
    }

    /// Where `(actor, action, target)` is in a table with one entry per actor of the block,
    /// action and target in the actor's run or no one ([`Model::pair_table`]): `None` for an
    /// actor past the block's or a target in another run, which no one can have acted toward.
    #[inline(always)]
    pub(crate) fn pair_slot(
        self,
        n_actions: usize,
        actor: u32,
        action: u16,
        target: u32,
    ) -> Option<usize> {
        let all = self.copies * self.actors;
        if actor >= all {
            return None;
        }
        let local = target.wrapping_sub(self.copy_of_actor(actor) * self.actors);
        let t = if local < self.actors {
            local
        } else if target >= all {
            self.actors
        } else {
            return None;
        };
        Some(
            (actor as usize * n_actions + usize::from(action)) * (self.actors as usize + 1)
                + t as usize,
        )
    }

    /// The copy actor `a` (of the whole block) belongs to.
    #[inline]
    pub(crate) fn copy_of_actor(self, a: u32) -> u32 {
        if self.copies == 1 {
            return 0;
        }
        debug_assert!(
            a < self.copies * self.actors,
            "actor {a} is in no run of the block"
        );
        // ⌊a / actors⌋ as the high half of a × ⌈2⁶⁴ / actors⌉, exact for every 32-bit a
        // (Lemire, Kaser and Kurz, "Faster remainder by direct computation", 2019).
        // One actor per run: ⌈2⁶⁴ / 1⌉ does not fit, and the quotient is `a` itself.
        let q = if self.actors == 1 {
            a
        } else {
            ((u128::from(a) * u128::from(self.inv_actors)) >> 64) as u32
        };
        q.min(self.copies - 1)
    }

    /// The copy relation `e` (of the whole block) belongs to.
    #[inline]
    pub(crate) fn copy_of_relation(self, e: u32) -> u32 {
        if self.copies == 1 {
            return 0;
        }
        let q = if self.relations == 1 {
            e
        } else {
            ((u128::from(e) * u128::from(self.inv_relations)) >> 64) as u32
        };
        q.min(self.copies - 1)
    }
}
