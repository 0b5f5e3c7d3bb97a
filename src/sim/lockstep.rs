//! Runs in lockstep: a block of runs of a small model advanced together by the one stepper.
//!
//! A model whose lane sets are small (the seed scenario: 4 actors, 8 relations) fills a batch
//! of [`LANES`] with a few lanes, and every op, phase and aggregate then costs its dispatch for
//! a handful of values. [`model`] copies the graph `copies` times side by side, each copy a run
//! of its own (see [`Block`]): one batch then covers the same relation of many runs, and
//! [`super::Sim::run_block`] steps them together.
//!
//! What stays per run: the random draws (keyed by each run's step key and the original place's
//! keys, so they are the ones a run alone draws), the scalar aggregates, series and outcomes
//! (one lane per run), fixed actors and relations in expressions (shifted to the lane's own
//! copy), events and shocks (decided per run), named places (each copy's own), and every
//! counter, cooldown, cap, delayed effect and memory slot (indexed by the copy's actors and
//! relations). No amount ever lands outside its own copy, and each place sums its amounts in
//! the order a run alone would, so every record is bit for bit the one-run-at-a-time record.

use crate::expr::LANES;
use crate::graph::Adjacency;
use crate::model::{Block, Kin, Lanes, Model, Places};
use petgraph::csr::Csr;

/// The most runs a block holds side by side.
const MAX_COPIES: usize = 64;

/// Fewer runs than this side by side are not worth a block: the model runs one run at a time.
const MIN_COPIES: usize = 4;

/// How many runs of `m` a block holds: as many as fill a batch with the model's widest lane
/// set (its actors or its relations), at most [`MAX_COPIES`]; 1 for a model too large to gain.
pub(crate) fn copies_for(m: &Model) -> u32 {
    let widest = m.n_relations().max(m.n_actors()).max(1);
    let copies = (LANES / widest).min(MAX_COPIES);
    if copies < MIN_COPIES {
        1
    } else {
        copies as u32
    }
}

/// The model for runs of `m` in lockstep, `copies` at a time ([`copies_for`]); `None` when `m`
/// runs one run at a time.
pub(crate) fn model(m: &Model) -> Option<Model> {
    let copies = copies_for(m);
    (copies > 1 && m.block.copies == 1).then(|| replicate(m, copies))
}

/// `m`'s graph, state and lane sets copied `copies` times side by side.
pub(crate) fn replicate(m: &Model, copies: u32) -> Model {
    let (n, e) = (m.n_actors() as u32, m.n_relations() as u32);
    let block = Block::new(copies, n, e);
    let all = 0..copies;
    let actors_of = |list: &[u32]| -> Vec<u32> {
        all.clone()
            .flat_map(|c| list.iter().map(move |&a| block.actor(a, c)))
            .collect()
    };
    let relations_of = |list: &[u32]| -> Vec<u32> {
        all.clone()
            .flat_map(|c| list.iter().map(move |&r| block.relation(r, c)))
            .collect()
    };
    let mut graph = Csr::<crate::model::Actor, ()>::new();
    for _ in all.clone() {
        for a in 0..n {
            graph.add_node(m.graph[a].clone());
        }
    }
    let mut out_start: Vec<u32> = all
        .clone()
        .flat_map(|c| {
            m.adj.out_start[..n as usize]
                .iter()
                .map(move |&s| s + c * e)
        })
        .collect();
    out_start.push(copies * e);
    let adj = Adjacency::new(actors_of(&m.adj.src), actors_of(&m.adj.dst), out_start);
    let copies_n = copies as usize;
    let init_relation = m
        .init_relation
        .iter()
        .map(|col| {
            let mut out = col[..e as usize].repeat(copies_n);
            out.push(col[e as usize]);
            out
        })
        .collect();
    let mut rules = m.rules.clone();
    for rule in &mut rules {
        rule.lanes = match &rule.lanes {
            Lanes::AllEdges => Lanes::AllEdges,
            Lanes::AllActors => Lanes::AllActors,
            Lanes::Edges(edges) => Lanes::Edges(relations_of(edges)),
            // The target is one run's actor: the stepper shifts it to each lane's copy.
            Lanes::Actors {
                actors,
                target,
                edges,
            } => Lanes::Actors {
                actors: actors_of(actors),
                target: *target,
                edges: relations_of(edges),
            },
            Lanes::Reactions {
                actors,
                action,
                aim,
            } => Lanes::Reactions {
                actors: actors.repeat(copies_n),
                action: *action,
                aim: *aim,
            },
        };
    }
    let mut dynamics = m.dynamics.clone();
    for d in &mut dynamics {
        if let Some(only) = &d.only {
            d.only = Some(if d.relation {
                relations_of(only)
            } else {
                actors_of(only)
            });
        }
    }
    let places = m
        .places
        .iter()
        .map(|p| Places {
            relation: p.relation,
            items: if p.relation {
                relations_of(&p.items)
            } else {
                actors_of(&p.items)
            },
        })
        .collect();
    let kin = m
        .kin
        .iter()
        .map(|k| {
            let members = k.members.len() as u32;
            let mut start: Vec<u32> = all
                .clone()
                .flat_map(|c| k.start[..n as usize].iter().map(move |&s| s + c * members))
                .collect();
            start.push(copies * members);
            Kin {
                start,
                members: actors_of(&k.members),
            }
        })
        .collect();
    Model {
        graph,
        adj,
        edge_kind: m.edge_kind.repeat(copies_n),
        actor_keys: m.actor_keys.repeat(copies_n),
        init_relation,
        init_actor: m
            .init_actor
            .iter()
            .map(|col| col.repeat(copies_n))
            .collect(),
        rules,
        dynamics,
        places,
        kin,
        block,
        ..m.clone()
    }
}
