//! The relation graph's adjacency: who each relation joins, each actor's out- and
//! in-relations, each relation's reverse, and the one from → to lookup.
//!
//! Relations are numbered in (from, to) order, so actor a's out-relations are the consecutive
//! range `out_start[a]..out_start[a + 1]`, sorted by `to`, and a lookup is a binary search in
//! that range. "No relation" is [`Adjacency::none`]: the index one past the last relation, which
//! the state arrays give a slot holding the variable's default, so a lane without a relation
//! reads the default without a branch.

use crate::ids::{ActorId, RelationId};
use std::ops::Range;
use std::sync::OnceLock;

/// Compressed rows of the relation graph (with petgraph's `Csr` in [`crate::Model`] holding the
/// same edges for graph algorithms).
#[derive(Clone, Debug, Default)]
pub struct Adjacency {
    /// The `from` actor of each relation.
    pub(crate) src: Vec<u32>,
    /// The `to` actor of each relation.
    pub(crate) dst: Vec<u32>,
    /// Start of each actor's out-relations, plus the end.
    pub(crate) out_start: Vec<u32>,
    /// Reverse of each relation, or the sentinel; one extra entry (the sentinel's).
    pub(crate) rev: Vec<u32>,
    /// Per actor, the start of its entries in the second vector (plus the end), and the
    /// relations into each actor sorted by `from`: built on first use (at compile time for a
    /// model that reads in-relations), so a model that never asks does not hold them.
    in_index: OnceLock<(Vec<u32>, Vec<u32>)>,
    /// The number of out-relations every actor has, when they all have the same number (and
    /// there is at least one actor).
    pub(crate) uniform_degree: Option<u32>,
}

impl Adjacency {
    /// The adjacency of relations `src[e] → dst[e]`, sorted by (from, to) with `out_start` the
    /// start of each actor's run (plus the end).
    pub(crate) fn new(src: Vec<u32>, dst: Vec<u32>, out_start: Vec<u32>) -> Adjacency {
        let mut adj = Adjacency {
            src,
            dst,
            out_start,
            rev: Vec::new(),
            in_index: OnceLock::new(),
            uniform_degree: None,
        };
        let n = adj.dst.len();
        let mut rev = vec![n as u32; n + 1];
        for (e, r) in rev.iter_mut().enumerate().take(n) {
            *r = adj.edge_or_none(adj.dst[e], adj.src[e]);
        }
        adj.rev = rev;
        let mut degrees = adj.out_start.windows(2).map(|w| w[1] - w[0]);
        adj.uniform_degree = degrees.next().filter(|&d| degrees.all(|other| other == d));
        adj
    }

    /// The in-relation index, built now if it is not yet.
    pub(crate) fn in_index(&self) -> &(Vec<u32>, Vec<u32>) {
        self.in_index.get_or_init(|| {
            let n_actors = self.out_start.len().saturating_sub(1);
            // A counting sort on `to`; relations are visited in (from, to) order, so each
            // actor's in-relations come out sorted by `from`.
            counting_sort(&self.dst, n_actors)
        })
    }

    /// Number of relations.
    pub fn len(&self) -> usize {
        self.dst.len()
    }

    /// Whether there are no relations.
    pub fn is_empty(&self) -> bool {
        self.dst.is_empty()
    }

    /// The "no relation" id: one past the last relation.
    pub fn none(&self) -> RelationId {
        RelationId::new(self.len())
    }

    /// The actor relation `e` goes from.
    ///
    /// # Panics
    /// If `e` is not a relation ([`Adjacency::none`] included), as every method taking one.
    pub fn from(&self, e: RelationId) -> ActorId {
        ActorId(self.src[e.index()])
    }

    /// The actor relation `e` goes to.
    pub fn to(&self, e: RelationId) -> ActorId {
        ActorId(self.dst[e.index()])
    }

    /// The relation from → to, if there is one.
    pub fn find(&self, from: ActorId, to: ActorId) -> Option<RelationId> {
        let e = self.edge_or_none(from.0, to.0);
        (e as usize != self.len()).then_some(RelationId(e))
    }

    /// The reverse of relation `e` (to → from), if there is one; `None` for [`Adjacency::none`].
    pub fn reverse(&self, e: RelationId) -> Option<RelationId> {
        let r = self.rev[e.index()];
        (r as usize != self.len()).then_some(RelationId(r))
    }

    /// The relations out of `actor`, sorted by `to`.
    ///
    /// # Panics
    /// If `actor` is not an actor of the graph.
    pub fn relations_out(&self, actor: ActorId) -> impl ExactSizeIterator<Item = RelationId> + '_ {
        self.out_range(actor.0).map(RelationId::new)
    }

    /// The relations into `actor`, sorted by `from`. The first call on a model that never reads
    /// in-relations builds their index (one counting sort over the relations).
    ///
    /// # Panics
    /// If `actor` is not an actor of the graph.
    pub fn relations_in(&self, actor: ActorId) -> impl ExactSizeIterator<Item = RelationId> + '_ {
        self.in_slice(actor.0).iter().map(|&e| RelationId(e))
    }

    /// The relation from → to as a raw index, or the sentinel (also for an actor out of range).
    #[inline]
    pub(crate) fn edge_or_none(&self, from: u32, to: u32) -> u32 {
        if from as usize + 1 >= self.out_start.len() {
            return self.len() as u32;
        }
        let range = self.out_range(from);
        let start = range.start;
        match self.dst[range].binary_search(&to) {
            Ok(i) => (start + i) as u32,
            Err(_) => self.len() as u32,
        }
    }

    /// The raw range of actor `a`'s out-relations.
    #[inline]
    pub(crate) fn out_range(&self, a: u32) -> Range<usize> {
        self.out_start[a as usize] as usize..self.out_start[a as usize + 1] as usize
    }

    /// The raw in-relations of actor `a`.
    #[inline]
    pub(crate) fn in_slice(&self, a: u32) -> &[u32] {
        let (start, edges) = self.in_index();
        &edges[start[a as usize] as usize..start[a as usize + 1] as usize]
    }
}

/// A stable counting sort of `0..keys.len()` by key (each below `n_keys`): the start of each
/// key's run (plus the end), and the indices in key order, equal keys in index order.
pub(crate) fn counting_sort(keys: &[u32], n_keys: usize) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; n_keys + 1];
    for &k in keys {
        start[k as usize + 1] += 1;
    }
    for i in 0..n_keys {
        start[i + 1] += start[i];
    }
    let mut order = vec![0u32; keys.len()];
    let mut next = start.clone();
    for (i, &k) in keys.iter().enumerate() {
        order[next[k as usize] as usize] = i as u32;
        next[k as usize] += 1;
    }
    (start, order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_reverses_and_in_relations() {
        // 0→1, 0→2, 1→0, 2→1
        let adj = Adjacency::new(vec![0, 0, 1, 2], vec![1, 2, 0, 1], vec![0, 2, 3, 4]);
        let (a, b, c) = (ActorId(0), ActorId(1), ActorId(2));
        assert_eq!(adj.find(a, c), Some(RelationId(1)));
        assert_eq!(adj.find(c, a), None);
        assert_eq!(adj.reverse(RelationId(0)), Some(RelationId(2)));
        assert_eq!(adj.reverse(RelationId(1)), None);
        assert_eq!(adj.none(), RelationId(4));
        assert_eq!(adj.edge_or_none(7, 0), 4);
        let into_b: Vec<_> = adj.relations_in(b).collect();
        assert_eq!(into_b, [RelationId(0), RelationId(3)]);
        assert_eq!(adj.relations_out(a).len(), 2);
        assert_eq!((adj.from(RelationId(3)), adj.to(RelationId(3))), (c, b));
    }
}
