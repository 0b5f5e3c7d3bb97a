//! [`Model`]'s public methods: everything a caller reads of a compiled scenario, by name or by
//! typed id.

use super::{Actor, Model, Variable};
use crate::graph::Adjacency;
use crate::ids::{ActionId, ActorId, ActorKindId, RelationId, RelationKindId};
use petgraph::csr::Csr;

impl Model {
    /// The scenario's name (`[scenario] name`, else the file name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The scenario's description (may be empty).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Steps of one run (after a `--steps` override).
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// What one step stands for in reports ("week", "day"; "step" by default).
    pub fn time_unit(&self) -> &str {
        &self.time_unit
    }

    /// The time step expressions see as `dt`.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// What compiled but is probably not what was meant (an actor id that looks like another
    /// one, say), with the files to render it against; empty when there is nothing to say.
    /// Warnings never change a run.
    pub fn warnings(&self) -> &crate::diag::Diagnostics {
        &self.warnings
    }

    /// Whether `other` behaves exactly as this model: the same network, initial values,
    /// parameters, actions, rules, dynamics, events, outcomes, series and steps. Names and
    /// descriptions of the scenario, its files, its default seed and its warnings are not
    /// compared. (`compare` uses it to say that a variant changes nothing.)
    pub fn same_behaviour(&self, other: &Model) -> bool {
        let key = |m: &Model| {
            format!(
                "{:?}",
                (
                    (m.steps, &m.time_unit, m.dt.to_bits(), &m.parameters),
                    (&m.graph, &m.actor_kinds, &m.relation_kinds),
                    (&m.relation_vars, &m.actor_vars, &m.edge_kind),
                    (&m.init_relation, &m.init_actor),
                    (&m.actions, &m.rules, &m.dynamics, &m.events),
                    (&m.outcomes, &m.series, &m.agg_actor, &m.agg_scalar),
                )
            )
        };
        key(self) == key(other)
    }

    /// The sweep the scenario's `[sweep]` table describes, if it has one.
    pub fn sweep_config(&self) -> Option<&crate::sweep::Config> {
        self.sweep.as_ref()
    }

    /// The scenario's default seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A hash of every file the scenario was read from (reports carry it).
    pub fn content_hash(&self) -> u64 {
        self.content_hash
    }

    /// The paths of every file the scenario was read from (the file asked for, the files it
    /// extends, its relation files), as they were given to its [`Sources`](crate::Sources): what
    /// a caller writing outputs must not overwrite.
    pub fn source_files(&self) -> &[String] {
        &self.files
    }

    /// Every parameter with its value (after `--set` overrides), sorted by name.
    pub fn parameters(&self) -> &[(String, f64)] {
        &self.parameters
    }

    /// The value of parameter `name`, if there is one.
    pub fn parameter(&self, name: &str) -> Option<f64> {
        self.parameters
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|i| self.parameters[i].1)
    }

    /// Number of actors.
    pub fn n_actors(&self) -> usize {
        self.graph.node_count()
    }

    /// Number of relations.
    pub fn n_relations(&self) -> usize {
        self.adj.len()
    }

    /// Actor `id`.
    ///
    /// # Panics
    /// If `id` is not an actor of this model ([`ActorId::NONE`] included). Every method taking
    /// a typed id panics likewise on an id that is not this model's.
    pub fn actor(&self, id: ActorId) -> &Actor {
        &self.graph[id.0]
    }

    /// Every actor with its id, in id order.
    pub fn actors(&self) -> impl ExactSizeIterator<Item = (ActorId, &Actor)> {
        (0..self.n_actors()).map(|i| (ActorId::new(i), &self.graph[i as u32]))
    }

    /// The actor whose id is `id`, if there is one.
    pub fn actor_id(&self, id: &str) -> Option<ActorId> {
        let (mut lo, mut hi) = (0usize, self.n_actors());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.graph[mid as u32].id.as_str().cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(ActorId::new(mid)),
            }
        }
        None
    }

    /// The relation between the actors with ids `from` and `to`, if both exist and are related.
    pub fn relation(&self, from: &str, to: &str) -> Option<RelationId> {
        self.adj.find(self.actor_id(from)?, self.actor_id(to)?)
    }

    /// Who each relation joins, and every relation lookup.
    pub fn adjacency(&self) -> &Adjacency {
        &self.adj
    }

    /// The relation graph (petgraph, compressed sparse rows): node `i` is actor `i`, edge `e`
    /// is relation `e`.
    pub fn graph(&self) -> &Csr<Actor, ()> {
        &self.graph
    }

    /// The kind of relation `e` (see [`Model::relation_kind_name`]).
    ///
    /// # Panics
    /// If `e` is not a relation of this model ([`Adjacency::none`] included).
    pub fn relation_kind(&self, e: RelationId) -> RelationKindId {
        RelationKindId(self.edge_kind[e.index()])
    }

    /// The name of actor kind `kind`.
    pub fn actor_kind_name(&self, kind: ActorKindId) -> &str {
        &self.actor_kinds[kind.index()]
    }

    /// The name of relation kind `kind`.
    pub fn relation_kind_name(&self, kind: RelationKindId) -> &str {
        &self.relation_kinds[kind.index()]
    }

    /// `FROM→TO` for relation `e`, as messages name it.
    ///
    /// # Panics
    /// If `e` is not a relation of this model ([`Adjacency::none`] included).
    pub fn relation_label(&self, e: RelationId) -> String {
        let (a, b) = (self.adj.from(e), self.adj.to(e));
        format!("{}→{}", self.actor(a).id, self.actor(b).id)
    }

    /// The relation variables, in name order.
    pub fn relation_variables(&self) -> &[Variable] {
        &self.relation_vars
    }

    /// The actor variables, in name order.
    pub fn actor_variables(&self) -> &[Variable] {
        &self.actor_vars
    }

    /// The initial value of relation variable `var` on each relation (indexed by
    /// [`RelationId::index`]), if there is such a variable.
    pub fn initial_relation_values(&self, var: &str) -> Option<&[f64]> {
        let v = self.relation_vars.iter().position(|x| x.name == var)?;
        Some(&self.init_relation[v][..self.n_relations()])
    }

    /// The initial value of actor variable `var` for each actor (indexed by
    /// [`ActorId::index`]), if there is such a variable.
    pub fn initial_actor_values(&self, var: &str) -> Option<&[f64]> {
        let v = self.actor_vars.iter().position(|x| x.name == var)?;
        Some(&self.init_actor[v])
    }

    /// The actions, in name order (an [`ActionId`] indexes this).
    pub fn action_names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.actions.iter().map(|a| a.name.as_str())
    }

    /// The action named `name`, if there is one.
    pub fn action_id(&self, name: &str) -> Option<ActionId> {
        let i = self.actions.iter().position(|a| a.name == name)?;
        Some(ActionId::new(i))
    }

    /// The description of action `id` (may be empty).
    ///
    /// # Panics
    /// If `id` is not an action of this model (as every method taking an id of another model).
    pub fn action_description(&self, id: ActionId) -> &str {
        &self.actions[id.index()].description
    }

    /// The CAMEO event code of action `id` and its Goldstein weight, if it has one.
    pub fn action_cameo(&self, id: ActionId) -> Option<(&str, f64)> {
        let (code, weight) = self.actions[id.index()].cameo.as_ref()?;
        Some((code.as_str(), *weight))
    }

    /// The enabled rules, in the order they are evaluated: by priority (highest first), then
    /// name.
    pub fn rule_names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.rules.iter().map(|r| r.name.as_str())
    }

    /// The enabled dynamics lines, in name order.
    pub fn dynamics_names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.dynamics.iter().map(|d| d.name.as_str())
    }

    /// The enabled events, in name order.
    pub fn event_names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.events.iter().map(|e| e.name.as_str())
    }

    /// Whether some effect spills over more than one hop.
    pub(crate) fn multi_hop(&self) -> bool {
        self.actions
            .iter()
            .flat_map(|a| &a.effects)
            .chain(self.shocks.iter().flat_map(|s| &s.effects))
            .any(|e| e.spill.is_some_and(|s| s.hops > 1))
    }

    /// The enabled shocks (exogenous changes no actor takes), in name order, each with its
    /// description.
    pub fn shock_names(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.shocks
            .iter()
            .map(|s| (s.name.as_str(), s.description.as_str()))
    }

    /// The outcomes, in name order, each with its condition as written.
    pub fn outcomes(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.outcomes
            .iter()
            .map(|o| (o.name.as_str(), o.text.as_str()))
    }

    /// The position of outcome `name` among [`Model::outcomes`], if there is one.
    pub fn outcome_index(&self, name: &str) -> Option<usize> {
        self.outcomes.iter().position(|o| o.name == name)
    }

    /// The report's series, in report order, each with its expression as written.
    pub fn series(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.series
            .iter()
            .map(|s| (s.name.as_str(), s.text.as_str()))
    }

    /// The position of series `name` among [`Model::series`], if there is one.
    pub fn series_index(&self, name: &str) -> Option<usize> {
        self.series.iter().position(|s| s.name == name)
    }
}
