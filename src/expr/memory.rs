//! Memory per counterpart and per window: what `times(a, b, act)`, `since(a, b, act)`,
//! `did_within(...)` and `times_within(...)` read.
//!
//! `times(a, act)` and `since(a, act)` count an actor's actions toward anyone, and every model
//! keeps those (a few numbers per actor and action). The forms here remember more, so they are
//! kept only for the actions some expression reads them for ([`Needs`], gathered at compile
//! time):
//!
//! - **per counterpart**: per *pair slot*, one for each ordered pair of actors joined by a
//!   relation in either direction ([`slot`]): how many times `a` took the action toward `b`, and
//!   the last two steps it did;
//! - **per window**: a ring of `k + 1` tallies (step, count) per pair slot or per actor, so that
//!   "how many times in the last k steps" is a sum over k entries. An entry is valid only if its
//!   step is the one asked for, so the ring is never swept.
//!
//! Everything is indexed by dense numbers; nothing here allocates after [`Memory::new`].

use crate::graph::Adjacency;

use super::NEVER;

/// What the model's expressions read about one action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Needs {
    /// `times` or `since` toward a named counterpart (`did_within` with a counterpart too).
    pub pair: bool,
    /// The longest window of `times_within(a, b, act, k)`, 0 if none.
    pub pair_window: u32,
    /// The longest window of `times_within(a, act, k)`, 0 if none.
    pub actor_window: u32,
}

impl Needs {
    /// Whether anything is kept for the action.
    pub fn any(self) -> bool {
        self.pair || self.pair_window > 0 || self.actor_window > 0
    }
}

/// The longest window `times_within` accepts.
pub(crate) const MAX_WINDOW: u32 = 65_535;

/// Bytes the memory for these needs takes over `n_actors` actors and `n_relations` relations.
pub(crate) fn bytes(needs: &[Needs], n_actors: u64, n_relations: u64) -> u64 {
    let slots = 2 * n_relations;
    let tally = std::mem::size_of::<Tally>() as u64;
    needs
        .iter()
        .map(|n| {
            let ring = |w: u32, keys: u64| {
                if w == 0 {
                    0
                } else {
                    (u64::from(w) + 1)
                        .saturating_mul(keys)
                        .saturating_mul(tally)
                }
            };
            u64::from(n.pair) * slots * 16
                + ring(n.pair_window, slots).saturating_add(ring(n.actor_window, n_actors))
        })
        .fold(0, u64::saturating_add)
}

/// The pair slot of `a` acting toward `b`: `2e` if the relation `e` = a→b exists, else `2r + 1`
/// if `r` = b→a does; `None` if neither does.
#[inline]
pub(crate) fn slot(adj: &Adjacency, a: u32, b: u32) -> Option<usize> {
    let none = adj.len() as u32;
    let e = adj.edge_or_none(a, b);
    if e != none {
        return Some(2 * e as usize);
    }
    let r = adj.edge_or_none(b, a);
    (r != none).then(|| 2 * r as usize + 1)
}

/// One step's count in a window ring.
#[derive(Clone, Copy, Debug)]
struct Tally {
    step: i32,
    count: u32,
}

const EMPTY: Tally = Tally {
    step: NEVER,
    count: 0,
};

/// A ring of `len` tallies per key (pair slot or actor).
#[derive(Clone, Debug, Default)]
struct Ring {
    len: usize,
    tallies: Vec<Tally>,
}

impl Ring {
    /// A ring for windows up to `window` steps over `keys` keys (empty if `window` is 0). One
    /// entry more than the window, so that this step's tallies never overwrite the oldest step a
    /// window still reads.
    fn new(window: u32, keys: usize) -> Ring {
        if window == 0 {
            return Ring::default();
        }
        let len = window as usize + 1;
        Ring {
            len,
            tallies: vec![EMPTY; len * keys],
        }
    }

    fn add(&mut self, key: usize, t: u32) {
        let entry = &mut self.tallies[key * self.len + t as usize % self.len];
        if entry.step != t as i32 {
            *entry = Tally {
                step: t as i32,
                count: 0,
            };
        }
        entry.count += 1;
    }

    /// The count over steps `t - k .. t - 1` (those before step `t`), `k` ≤ the ring's window.
    fn within(&self, key: usize, t: u32, k: u32) -> u32 {
        let row = &self.tallies[key * self.len..(key + 1) * self.len];
        (t.saturating_sub(k).max(1)..t)
            .filter_map(|s| {
                let tally = row[s as usize % self.len];
                (tally.step == s as i32).then_some(tally.count)
            })
            .sum()
    }
}

/// What is kept for one action.
#[derive(Clone, Debug, Default)]
struct ActionMemory {
    /// Per pair slot: times taken so far, the last step taken and the one before it.
    counts: Vec<u64>,
    last: Vec<i32>,
    before: Vec<i32>,
    pair_ring: Ring,
    actor_ring: Ring,
}

/// The per-counterpart and windowed memory of one run.
#[derive(Clone, Debug, Default)]
pub(crate) struct Memory {
    /// Per action; empty when no expression reads any of it.
    actions: Vec<ActionMemory>,
}

impl Memory {
    /// Memory for these needs (one per action) over `n_actors` actors and `n_relations`
    /// relations.
    pub fn new(needs: &[Needs], n_actors: usize, n_relations: usize) -> Memory {
        if !needs.iter().any(|n| n.any()) {
            return Memory::default();
        }
        let slots = 2 * n_relations;
        let actions = needs
            .iter()
            .map(|n| {
                let per_slot = |v| if n.pair { vec![v; slots] } else { Vec::new() };
                ActionMemory {
                    counts: if n.pair { vec![0; slots] } else { Vec::new() },
                    last: per_slot(NEVER),
                    before: per_slot(NEVER),
                    pair_ring: Ring::new(n.pair_window, slots),
                    actor_ring: Ring::new(n.actor_window, n_actors),
                }
            })
            .collect();
        Memory { actions }
    }

    /// Whether anything is kept.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Back to a run's start.
    pub fn reset(&mut self) {
        for a in &mut self.actions {
            a.counts.fill(0);
            a.last.fill(NEVER);
            a.before.fill(NEVER);
            a.pair_ring.tallies.fill(EMPTY);
            a.actor_ring.tallies.fill(EMPTY);
        }
    }

    /// Records that `actor` took `action` toward `target` (an actor, or any number past the last
    /// for none) at step `t`.
    pub fn record(&mut self, adj: &Adjacency, actor: u32, target: u32, action: u16, t: u32) {
        let Some(m) = self.actions.get_mut(action as usize) else {
            return;
        };
        if !m.actor_ring.tallies.is_empty() {
            m.actor_ring.add(actor as usize, t);
        }
        if m.counts.is_empty() && m.pair_ring.tallies.is_empty() {
            return;
        }
        let Some(s) = slot(adj, actor, target) else {
            return;
        };
        if !m.counts.is_empty() {
            m.counts[s] += 1;
            if m.last[s] != t as i32 {
                m.before[s] = m.last[s];
                m.last[s] = t as i32;
            }
        }
        if !m.pair_ring.tallies.is_empty() {
            m.pair_ring.add(s, t);
        }
    }

    /// How many times `a` has taken `action` toward `b` so far (this step's too, once decided).
    pub fn times(&self, adj: &Adjacency, a: u32, b: u32, action: u16) -> f64 {
        match slot(adj, a, b) {
            Some(s) => self.actions[action as usize].counts[s] as f64,
            None => 0.0,
        }
    }

    /// The last step before step `t` at which `a` took `action` toward `b`, or [`NEVER`].
    pub fn last_before(&self, adj: &Adjacency, a: u32, b: u32, action: u16, t: u32) -> i32 {
        let Some(s) = slot(adj, a, b) else {
            return NEVER;
        };
        let m = &self.actions[action as usize];
        if m.last[s] == t as i32 {
            m.before[s]
        } else {
            m.last[s]
        }
    }

    /// How many times `a` took `action` toward `b` in the `k` steps before step `t`.
    pub fn pair_within(&self, adj: &Adjacency, a: u32, b: u32, action: u16, k: u32, t: u32) -> f64 {
        match slot(adj, a, b) {
            Some(s) => f64::from(self.actions[action as usize].pair_ring.within(s, t, k)),
            None => 0.0,
        }
    }

    /// How many times `a` took `action` (toward anyone) in the `k` steps before step `t`.
    pub fn actor_within(&self, a: u32, action: u16, k: u32, t: u32) -> f64 {
        f64::from(
            self.actions[action as usize]
                .actor_ring
                .within(a as usize, t, k),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_the_steps_before_this_one_and_forgets_older_ones() {
        let mut ring = Ring::new(3, 1);
        for t in [1, 2, 2] {
            ring.add(0, t);
        }
        assert_eq!(ring.within(0, 3, 3), 3, "steps 1 and 2 (twice)");
        assert_eq!(ring.within(0, 3, 1), 2, "step 2 only");
        ring.add(0, 5);
        assert_eq!(ring.within(0, 5, 3), 2, "steps 2..4: step 2 (twice)");
        assert_eq!(ring.within(0, 6, 3), 1, "steps 3..5: only step 5");
        assert_eq!(ring.within(0, 9, 3), 0, "steps 6..8: nothing");
    }
}
