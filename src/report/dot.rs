//! The exporter of a model's relation graph as Graphviz DOT text (`detente graph`).

use crate::model::{Actor, Model};
use petgraph::dot::{Config, Dot};
use petgraph::visit::EdgeRef;

/// The model's relation graph in DOT: actors labelled with id and name, relations with their kind
/// and initial values.
pub fn to_dot(model: &Model) -> String {
    let edge_attrs = |_, e: petgraph::csr::EdgeReference<'_, (), petgraph::Directed>| {
        let idx = e.id();
        let mut parts = vec![escape(&model.relation_kinds[model.edge_kind[idx] as usize])];
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
    let node_attrs = |_, (_, actor): (u32, &Actor)| {
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
