//! The relation graph as Graphviz DOT text.

use crate::model::Model;
use petgraph::dot::{Config, Dot};
use petgraph::visit::EdgeRef;

/// The model's relation graph in DOT: actors labelled with id and name, relations with their kind
/// and initial values.
pub fn to_dot(model: &Model) -> String {
    let edge_attrs = |_, e: petgraph::graph::EdgeReference<'_, crate::model::RelationKind>| {
        let idx = e.id().index();
        let mut parts = vec![escape(&model.relation_kinds[e.weight().0 as usize])];
        for (v, var) in model.relation_vars.iter().enumerate() {
            parts.push(escape(&format!(
                "{} {}",
                var.name, model.init_relation[v][idx]
            )));
        }
        // `\n` is a line break inside a DOT label.
        let label = parts.join("\\n");
        format!("label = \"{label}\"")
    };
    let node_attrs = |_, (_, actor): (petgraph::graph::NodeIndex, &crate::model::Actor)| {
        let kind = &model.actor_kinds[actor.kind as usize];
        format!(
            "label = \"{}\\n{} ({})\"",
            escape(&actor.id),
            escape(&actor.name),
            escape(kind)
        )
    };
    let dot = Dot::with_attr_getters(
        &model.graph,
        &[Config::EdgeNoLabel, Config::NodeNoLabel],
        &edge_attrs,
        &node_attrs,
    );
    format!("{dot:?}")
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
