//! The relation graph for a reader: who the actors are, how they are related, and one relation
//! variable's initial values — what the HTML report draws, or summarises when the graph is too
//! large to draw. Built from a model; not the graph the stepper runs on ([`crate::graph`]), and
//! no layout: where nodes go is the chart's business.

use crate::ids::{ActorId, RelationId};
use crate::model::Model;

/// Most actors drawn: a larger graph is summarised instead.
pub const MAX_DRAWN_ACTORS: usize = 300;
/// Most relations drawn: a larger graph is summarised instead.
pub const MAX_DRAWN_RELATIONS: usize = 3_000;

/// A model's relation graph, for reports.
#[derive(Clone, Debug, PartialEq)]
pub struct RelationGraph {
    /// How many actors.
    pub n_actors: usize,
    /// How many relations.
    pub n_relations: usize,
    /// Actor kinds, in the model's kind order, with how many actors have each.
    pub actor_kinds: Vec<(String, usize)>,
    /// Relation kinds, in the model's kind order, with how many relations have each.
    pub relation_kinds: Vec<(String, usize)>,
    /// The relation variables, in name order: [`GraphRelation::values`] follows it.
    pub variables: Vec<String>,
    /// The variable edges are coloured by ([`RelationGraph::variables`] index): `tension` if
    /// the model has it, else the first; `None` when there are no relation variables.
    pub coloured_by: Option<usize>,
    /// The colour scale of that variable: its declared range, else the extent of its initial
    /// values.
    pub colour_range: (f64, f64),
    /// Minimum, mean and maximum of that variable's initial values over every relation (`None`
    /// without a variable or relations).
    pub value_summary: Option<[f64; 3]>,
    /// The actors and relations, when there are at most [`MAX_DRAWN_ACTORS`] and
    /// [`MAX_DRAWN_RELATIONS`]; `None` for a graph only summarised.
    pub detail: Option<GraphDetail>,
}

/// The actors and relations of a graph small enough to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphDetail {
    /// Every actor, in id order.
    pub actors: Vec<GraphActor>,
    /// Every relation, in (from, to) order.
    pub relations: Vec<GraphRelation>,
}

/// One actor of a drawn graph.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphActor {
    /// Its id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its kind, an index into [`RelationGraph::actor_kinds`].
    pub kind: usize,
}

/// One relation of a drawn graph.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphRelation {
    /// Index of the actor it is from, into [`GraphDetail::actors`].
    pub from: usize,
    /// Index of the actor it is to.
    pub to: usize,
    /// Its kind, an index into [`RelationGraph::relation_kinds`].
    pub kind: usize,
    /// Its initial value of each relation variable, in [`RelationGraph::variables`] order.
    pub values: Vec<f64>,
}

/// The relation graph of `model`, with its actors and relations when it is small enough to
/// draw.
pub fn relation_graph(model: &Model) -> RelationGraph {
    let (n_actors, n_relations) = (model.n_actors(), model.n_relations());
    let mut actor_kinds: Vec<(String, usize)> =
        model.actor_kinds.iter().map(|k| (k.clone(), 0)).collect();
    for (_, actor) in model.actors() {
        if let Some(k) = actor_kinds.get_mut(usize::from(actor.kind)) {
            k.1 += 1;
        }
    }
    let mut relation_kinds: Vec<(String, usize)> = model
        .relation_kinds
        .iter()
        .map(|k| (k.clone(), 0))
        .collect();
    for &kind in &model.edge_kind[..n_relations.min(model.edge_kind.len())] {
        if let Some(k) = relation_kinds.get_mut(usize::from(kind)) {
            k.1 += 1;
        }
    }
    let variables: Vec<String> = model.relation_vars.iter().map(|v| v.name.clone()).collect();
    let coloured_by = variables
        .iter()
        .position(|v| v == "tension")
        .or((!variables.is_empty()).then_some(0));
    let initial = |v: usize| -> &[f64] {
        let column = &model.init_relation[v];
        &column[..n_relations.min(column.len())]
    };
    let value_summary = coloured_by.and_then(|v| {
        let values = initial(v);
        let first = *values.first()?;
        let (lo, hi, sum) = values
            .iter()
            .fold((first, first, 0.0), |(lo, hi, sum), &x| {
                (lo.min(x), hi.max(x), sum + x)
            });
        Some([lo, sum / values.len() as f64, hi])
    });
    let colour_range = match coloured_by {
        Some(v) => match model.relation_vars[v].range {
            Some((lo, hi)) if lo.is_finite() && hi.is_finite() && lo < hi => (lo, hi),
            _ => value_summary.map_or((0.0, 1.0), |[lo, _, hi]| (lo, hi)),
        },
        None => (0.0, 1.0),
    };
    let detail =
        (n_actors <= MAX_DRAWN_ACTORS && n_relations <= MAX_DRAWN_RELATIONS).then(|| GraphDetail {
            actors: model
                .actors()
                .map(|(_, a)| GraphActor {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    kind: usize::from(a.kind),
                })
                .collect(),
            relations: (0..n_relations)
                .map(|e| {
                    let id = RelationId::new(e);
                    let (from, to): (ActorId, ActorId) = (model.adj.from(id), model.adj.to(id));
                    GraphRelation {
                        from: from.index(),
                        to: to.index(),
                        kind: usize::from(model.edge_kind[e]),
                        values: (0..variables.len()).map(|v| initial(v)[e]).collect(),
                    }
                })
                .collect(),
        });
    RelationGraph {
        n_actors,
        n_relations,
        actor_kinds,
        relation_kinds,
        variables,
        coloured_by,
        colour_range,
        value_summary,
        detail,
    }
}
