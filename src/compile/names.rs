//! The names expressions may use, resolved to dense indices: the [`Namespace`] the expression
//! compiler asks. It also collects the aggregates expressions need, so each is computed once
//! per step however many expressions read it.

use super::network::Network;
use super::variables::Variables;
use crate::expr::{self, lexicon, AggKey, AggSet, Namespace};
use crate::spec::Broken;
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// The aggregates expressions read: per actor (`out(self)`, `in(self)`), and single values.
pub(super) struct Aggregates {
    pub per_actor: Vec<AggKey>,
    pub scalar: Vec<AggKey>,
}

/// Names visible to expressions.
pub(super) struct Names<'n> {
    pub params: BTreeMap<String, f64>,
    pub vars: Variables,
    pub net: &'n Network,
    pub actions: BTreeMap<String, u16>,
    /// What the scenario declared but could not be read: names of it are not reported.
    broken: &'n Broken,
    aggregates: Aggregates,
    /// The slot of each aggregate registered so far, so that registering is not a search.
    slots: FxHashMap<AggKey, u16>,
    /// Parameters and actors some expression or item named (for the warnings about ones
    /// nothing reads).
    used_params: RefCell<BTreeSet<String>>,
    used_actors: RefCell<Vec<bool>>,
}

impl<'n> Names<'n> {
    /// The names of `net`, `vars`, the parameters (and `dt`) and the scenario's actions; the
    /// names in `broken` are known not to be errors of their own.
    pub fn new<'s>(
        net: &'n Network,
        (parameters, dt): (&[(String, f64)], f64),
        vars: Variables,
        actions: impl Iterator<Item = &'s String>,
        broken: &'n Broken,
    ) -> Names<'n> {
        let mut params: BTreeMap<String, f64> = parameters.iter().cloned().collect();
        params.insert("dt".into(), dt);
        Names {
            params,
            vars,
            net,
            actions: actions
                .enumerate()
                .map(|(i, k)| (k.clone(), i as u16))
                .collect(),
            broken,
            aggregates: Aggregates {
                per_actor: Vec::new(),
                scalar: Vec::new(),
            },
            slots: FxHashMap::default(),
            used_params: RefCell::new(BTreeSet::new()),
            used_actors: RefCell::new(vec![false; net.actor_ids.len()]),
        }
    }

    /// Whether an expression read parameter `name`.
    pub fn param_used(&self, name: &str) -> bool {
        self.used_params.borrow().contains(name)
    }

    /// Whether an expression or an item (a rule's actor or target, an event's) named actor `a`.
    pub fn actor_named(&self, a: u32) -> bool {
        self.used_actors.borrow()[a as usize]
    }

    /// The variables back, and the aggregates expressions asked for.
    pub fn finish(self) -> (Variables, Aggregates) {
        (self.vars, self.aggregates)
    }

    /// How many aggregates of each table are registered: a mark to forget later ones at.
    pub fn aggregates_mark(&self) -> (usize, usize) {
        (
            self.aggregates.per_actor.len(),
            self.aggregates.scalar.len(),
        )
    }

    /// Forgets the aggregates registered since `mark`, for expressions whose code is dropped
    /// (claims a plain compile only checks): the model does not compute them every step.
    pub fn forget_aggregates_since(&mut self, (actors, scalar): (usize, usize)) {
        self.aggregates.per_actor.truncate(actors);
        self.aggregates.scalar.truncate(scalar);
        let (a, s) = (&self.aggregates.per_actor, &self.aggregates.scalar);
        self.slots.retain(|key, slot| {
            let table = if per_actor(key) { a } else { s };
            table.get(usize::from(*slot)) == Some(key)
        });
    }

    /// The actor ids, in dense-id order.
    pub fn actor_ids(&self) -> &[String] {
        &self.net.actor_ids
    }
}

/// Whether an aggregate is computed per actor (`out(self)`, `in(target)`) rather than once.
fn per_actor(key: &AggKey) -> bool {
    matches!(key.set, AggSet::Out(_) | AggSet::In(_)) && key.actor.is_none()
}

impl Namespace for Names<'_> {
    fn param(&self, name: &str) -> Option<f64> {
        let v = self.params.get(name).copied();
        if v.is_some() {
            self.used_params.borrow_mut().insert(name.to_string());
        }
        v
    }
    fn rel_var(&self, name: &str) -> Option<u16> {
        self.vars.relation_idx.get(name).copied()
    }
    fn actor_var(&self, name: &str) -> Option<u16> {
        self.vars.actor_idx.get(name).copied()
    }
    fn actor(&self, id: &str) -> Option<u32> {
        let a = self
            .net
            .actor_ids
            .binary_search_by(|a| a.as_str().cmp(id))
            .ok()?;
        self.used_actors.borrow_mut()[a] = true;
        Some(a as u32)
    }
    fn action(&self, name: &str) -> Option<u16> {
        self.actions.get(name).copied()
    }
    fn edge(&self, from: u32, to: u32) -> Option<u32> {
        let e = self.net.adj.edge_or_none(from, to);
        (e as usize != self.net.adj.len()).then_some(e)
    }
    fn rel_kind(&self, name: &str) -> Option<u16> {
        self.net.relation_kind_idx.get(name).copied()
    }
    fn actor_kind(&self, name: &str) -> Option<u16> {
        self.net.actor_kind_idx.get(name).copied()
    }
    fn aggregate(&mut self, key: AggKey) -> Option<u16> {
        let per_actor = per_actor(&key);
        if let Some(&slot) = self.slots.get(&key) {
            return Some(slot);
        }
        let table = if per_actor {
            &mut self.aggregates.per_actor
        } else {
            &mut self.aggregates.scalar
        };
        if table.len() >= expr::MAX_AGGREGATES {
            return None;
        }
        table.push(key);
        let slot = table.len() as u16 - 1;
        self.slots.insert(key, slot);
        Some(slot)
    }
    fn names(&self, sort: expr::Sort) -> Vec<String> {
        use expr::Sort;
        match sort {
            Sort::Value => {
                let mut v: Vec<String> = self.params.keys().cloned().collect();
                v.extend(self.vars.relation_idx.keys().cloned());
                v.extend(self.vars.actor_idx.keys().cloned());
                // `step`, `dt`, `goldstein`: the named values that are not actors.
                v.extend(lexicon::NAMED_VALUES[2..].iter().map(|w| w.to_string()));
                v
            }
            Sort::Actor => self.net.actor_ids.clone(),
            Sort::Action => self.actions.keys().cloned().collect(),
            Sort::RelKind => self.net.relation_kind_idx.keys().cloned().collect(),
            Sort::ActorKind => self.net.actor_kind_idx.keys().cloned().collect(),
        }
    }
    fn broken(&self, sort: expr::Sort, name: &str) -> bool {
        use expr::Sort;
        match sort {
            Sort::Value => {
                self.broken.parameters.contains(name) || self.broken.variables.contains(name)
            }
            Sort::Action => self.broken.actions.contains(name),
            Sort::Actor | Sort::RelKind | Sort::ActorKind => false,
        }
    }
}
