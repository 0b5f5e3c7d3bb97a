//! The last stage: the [`Model`] from the network and the compiled items, with the indexes
//! derived from them (in-relations, spill-over kin, the longest delay, the deepest stack).

use super::names::Aggregates;
use super::network::{kin_lists, Network};
use super::settings::Settings;
use super::variables::Variables;
use crate::expr::memory::Needs;
use crate::expr::{self, AggSet, Code};
use crate::model::{
    Action, Dynamic, Event, Lanes, Model, On, Outcome, Places, Rule, Series, Shock, When,
};

/// Everything compiled from the scenario's items.
pub(super) struct Items {
    pub parameters: Vec<(String, f64)>,
    pub vars: Variables,
    pub aggregates: Aggregates,
    /// The relation kinds some effect spills over (`Effect::spill` indexes this).
    pub kin_kinds: Vec<u16>,
    pub actions: Vec<Action>,
    pub rules: Vec<Rule>,
    pub dynamics: Vec<Dynamic>,
    pub events: Vec<Event>,
    pub shocks: Vec<Shock>,
    pub places: Vec<Places>,
    pub outcomes: Vec<Outcome>,
    pub series: Vec<Series>,
}

/// The model of a scenario that compiled without errors.
/// `source`: the content hash and the paths of the files read.
pub(super) fn model(
    settings: Settings,
    (content_hash, files): (u64, Vec<String>),
    net: Network,
    items: Items,
) -> Model {
    let n_actors = net.actor_ids.len();
    let n_relations = net.adj.len();
    // Relations into each actor, only for a model that reads them: `in(...)` aggregates and
    // effects with on = "in".
    let aggregates = &items.aggregates;
    let reads_in = items
        .actions
        .iter()
        .flat_map(|a| &a.effects)
        .any(|e| e.on == On::In)
        || aggregates
            .per_actor
            .iter()
            .chain(&aggregates.scalar)
            .any(|k| matches!(k.set, AggSet::In(_)));
    if reads_in {
        net.adj.in_index();
    }
    let kin = items
        .kin_kinds
        .iter()
        .map(|&k| kin_lists(n_actors, &net.adj.src, &net.adj.dst, &net.edge_kind, k))
        .collect();
    let codes = || {
        all_codes(
            &items.actions,
            &items.rules,
            &items.dynamics,
            &items.events,
            &items.shocks,
            &items.outcomes,
            &items.series,
        )
    };
    let uses_reactions = items
        .rules
        .iter()
        .any(|r| matches!(r.lanes, Lanes::Reactions { .. }));
    let uses_did_pair = codes().any(|c| c.uses(|op| matches!(op, expr::Op::DidPair(..))));
    let memory = memory_needs(items.actions.len(), codes());
    let max_depth = codes().map(|c| c.depth).max().unwrap_or(1);
    let horizon = items
        .actions
        .iter()
        .flat_map(|a| &a.effects)
        .chain(items.shocks.iter().flat_map(|s| &s.effects))
        .map(|e| e.delay + e.duration)
        .max()
        .unwrap_or(1);
    let mut parameters = items.parameters;
    parameters.sort_by(|a, b| a.0.cmp(&b.0));
    let Items {
        vars,
        aggregates,
        actions,
        rules,
        dynamics,
        events,
        shocks,
        places,
        outcomes,
        series,
        ..
    } = items;
    Model {
        name: settings.name,
        description: settings.description,
        steps: settings.steps,
        time_unit: settings.time_unit,
        dt: settings.dt,
        seed: settings.seed,
        content_hash,
        files,
        parameters,
        graph: net.graph,
        actor_kinds: net.actor_kinds,
        relation_kinds: net.relation_kinds,
        relation_vars: vars.relation,
        actor_vars: vars.actor,
        adj: net.adj,
        edge_kind: net.edge_kind,
        actor_keys: net.actor_keys,
        init_relation: net.init_relation,
        init_actor: net.init_actor,
        actions,
        rules,
        dynamics,
        events,
        shocks,
        places,
        outcomes,
        series,
        agg_actor: aggregates.per_actor,
        agg_scalar: aggregates.scalar,
        kin,
        uses_reactions,
        uses_did_pair,
        pair_table_max: crate::model::PAIR_TABLE_MAX,
        memory,
        horizon,
        max_depth,
        warnings: Default::default(),
        sweep: None,
        block: crate::model::Block::single(n_actors, n_relations),
    }
}

/// Per action, what the expressions read of it per counterpart or per window; empty if nothing.
fn memory_needs<'a>(n_actions: usize, codes: impl Iterator<Item = &'a Code>) -> Vec<Needs> {
    use expr::Op;
    let mut needs = vec![Needs::default(); n_actions];
    for op in codes.flat_map(|c| &c.ops) {
        match *op {
            Op::PairSince(_, _, a) | Op::PairTimes(_, _, a) => needs[a as usize].pair = true,
            Op::PairWithin(_, _, a, k) => {
                let w = &mut needs[a as usize].pair_window;
                *w = (*w).max(k);
            }
            Op::Within(_, a, k) => {
                let w = &mut needs[a as usize].actor_window;
                *w = (*w).max(k);
            }
            _ => {}
        }
    }
    if !needs.iter().any(|n| n.any()) {
        needs.clear();
    }
    needs
}

/// Every compiled expression of the model.
fn all_codes<'a>(
    actions: &'a [Action],
    rules: &'a [Rule],
    dynamics: &'a [Dynamic],
    events: &'a [Event],
    shocks: &'a [Shock],
    outcomes: &'a [Outcome],
    series: &'a [Series],
) -> impl Iterator<Item = &'a Code> {
    actions
        .iter()
        .flat_map(|a| a.effects.iter().map(|e| &e.amount))
        .chain(rules.iter().flat_map(|r| [&r.when, &r.probability]))
        .chain(dynamics.iter().map(|d| &d.add))
        .chain(events.iter().filter_map(|e| match &e.when {
            When::Rate { rate, .. } => Some(rate),
            When::At(_) => None,
        }))
        .chain(shocks.iter().flat_map(|s| {
            let rate = match &s.when {
                When::Rate { rate, .. } => Some(rate),
                When::At(_) => None,
            };
            s.effects.iter().map(|e| &e.amount).chain(rate)
        }))
        .chain(outcomes.iter().map(|o| &o.cond))
        .chain(series.iter().map(|s| &s.code))
}
