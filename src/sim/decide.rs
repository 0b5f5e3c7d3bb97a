//! Phases 1 and 2 of a step: which actions are taken (events, then rules, lane by lane), and the
//! bookkeeping of what was taken.
//!
//! Deciding reads only the start-of-step state and the previous step's actions; it writes only
//! the step's list of firings and the rules' cooldown and the actors' cap counters.

use super::draws;
use super::error::{event_rate_error, rule_error, shock_error, RuntimeError};
use super::state::{Clock, Firing, LaneBuf, Source, State, Work};
use crate::expr::memory;
use crate::expr::{eval, eval_in, eval_mask, Lanes, Masks, World, LANES};
use crate::ids::ActorId;
use crate::model::{Lanes as RuleLanes, Model, When};
use crate::rng;

/// Phase 1: the events and rules that fire this step, into `w.firings`; an error when a
/// condition, a probability or a rate is not a finite number.
pub(super) fn actions(
    m: &Model,
    s: &State,
    w: &mut Work,
    lb: &mut LaneBuf,
    clock: Clock,
) -> Result<(), RuntimeError> {
    let world = s.world(m, clock);
    w.firings.clear();
    w.clear_caps();
    // The base keys of the rules over every relation or actor, all in one pass: their mixing
    // overlaps, where rule by rule each would wait on its own.
    let copies = m.block.copies as usize;
    if w.premixed.len() != m.rules.len() {
        w.premixed = vec![false; m.rules.len()];
        w.drawing
            .iter()
            .for_each(|&ri| w.premixed[ri as usize] = true);
        w.rule_bases.resize(m.rules.len() * copies, 0);
    }
    for &ri in &w.drawing {
        let rule = &m.rules[ri as usize];
        let bases = &mut w.rule_bases[ri as usize * copies..][..copies];
        draws::mix_each(clock.keys, rule.key, bases);
    }
    events(m, &world, w, clock)?;
    for ri in 0..m.rules.len() {
        decide_rule(m, ri, &world, w, lb, clock)?;
    }
    Ok(())
}

/// The events due at this step: scheduled ones, and rated ones whose draw falls below the rate;
/// for each run of the block in turn.
fn events(m: &Model, world: &World, w: &mut Work, clock: Clock) -> Result<(), RuntimeError> {
    let block = m.block;
    for (i, ev) in m.events.iter().enumerate() {
        let target_key = m.actor_keys.get(ev.target as usize).copied().unwrap_or(0);
        let draw = (ev.key, m.actor_keys[ev.actor as usize], target_key);
        let rated = rate(&ev.when, world, w, clock.t);
        for copy in 0..block.copies {
            let happens = due(&ev.when, rated, w, clock, copy, draw)
                .map_err(|rate| event_rate_error(m, clock.t, i, rate))?;
            let (actor, target) = (block.actor(ev.actor, copy), block.actor(ev.target, copy));
            let taking = (ev.action, actor, target);
            if happens && first_this_step(m, &mut w.once, &w.firings, taking, clock.t) {
                w.firings.push(Firing {
                    action: ev.action,
                    actor,
                    target,
                    edge: block.relation(ev.edge, copy),
                    source: Source::event(i),
                });
            }
        }
    }
    w.shocks_now.clear();
    for (i, sh) in m.shocks.iter().enumerate() {
        let rated = rate(&sh.when, world, w, clock.t);
        for copy in 0..block.copies {
            if due(&sh.when, rated, w, clock, copy, (sh.key, 0, 0))
                .map_err(|rate| shock_error(m, clock.t, i, None, rate))?
            {
                w.shocks_now.push((copy, i as u32));
            }
        }
    }
    Ok(())
}

/// Whether `when` has a rate at step `t`: if so, evaluated (one value per run of the block) into
/// `w.a`.
fn rate(when: &When, world: &World, w: &mut Work, t: u32) -> bool {
    match when {
        When::Rate { rate, from, until } if (*from..=*until).contains(&t) => {
            let lanes = Lanes::Copies {
                len: world.block.copies as usize,
            };
            eval(rate, world, &lanes, &mut w.a, &mut w.stack);
            true
        }
        _ => false,
    }
}

/// Whether what `when` schedules happens at `clock.t` in run `copy` of the block: a step it
/// lists, or (`rated`: its rate is in `w.a`) a draw keyed by `(key, a, b)` below its rate;
/// `Err(rate)` for a rate that is not a finite number.
fn due(
    when: &When,
    rated: bool,
    w: &Work,
    clock: Clock,
    copy: u32,
    (key, a, b): (u64, u64, u64),
) -> Result<bool, f64> {
    match when {
        When::At(steps) => Ok(steps.binary_search(&clock.t).is_ok()),
        When::Rate { .. } if rated => {
            let rate = w.a[copy as usize];
            if !rate.is_finite() {
                return Err(rate);
            }
            Ok(rng::uniform(rng::place(rng::mix(clock.key(copy) ^ key), a, b)) < rate)
        }
        When::Rate { .. } => Ok(false),
    }
}

/// Whether this taking of `action` by `actor` toward `target` (or no one) is its first this
/// step, for an action taken at most once per step (marking it taken); always, for the others.
#[inline]
fn first_this_step(
    m: &Model,
    once: &mut [Vec<i32>],
    firings: &[Firing],
    (action, actor, target): (u16, u32, u32),
    t: u32,
) -> bool {
    if once[action as usize].is_empty() {
        return true;
    }
    let key = match memory::slot(&m.adj, actor, target) {
        Some(s) => s,
        None if target as usize >= m.n_actors() => 2 * m.n_relations() + actor as usize,
        // No relation either way between the two (a reaction to a stranger): rare, so this
        // step's firings are looked through.
        None => {
            return !firings
                .iter()
                .any(|f| f.action == action && f.actor == actor && f.target == target)
        }
    };
    let stamps = &mut once[action as usize];
    if stamps[key] == t as i32 {
        return false;
    }
    stamps[key] = t as i32;
    true
}

/// One rule over all its lanes, a batch at a time.
fn decide_rule(
    m: &Model,
    ri: usize,
    world: &World,
    w: &mut Work,
    lb: &mut LaneBuf,
    clock: Clock,
) -> Result<(), RuntimeError> {
    let rule = &m.rules[ri];
    if rule.probability.constant() == Some(0.0) || rule.when.constant() == Some(0.0) {
        return Ok(());
    }
    match &rule.lanes {
        RuleLanes::AllEdges => {
            for (start, len) in batches(m.n_relations()) {
                let lanes = Lanes::Edges {
                    start: start as u32,
                    len,
                };
                decide_batch(m, ri, world, &lanes, true, w, clock)?;
            }
        }
        RuleLanes::Edges(edges) => {
            for chunk in edges.chunks(LANES) {
                lb.fill_edges(m, chunk);
                decide_batch(m, ri, world, &lb.lanes(0..chunk.len()), true, w, clock)?;
            }
        }
        RuleLanes::AllActors => {
            // Plain actor ranges, so loads are slice copies.
            for (start, len) in batches(m.n_actors()) {
                let lanes = Lanes::Actors {
                    start: start as u32,
                    len,
                };
                decide_batch(m, ri, world, &lanes, false, w, clock)?;
            }
        }
        RuleLanes::Actors {
            actors,
            target,
            edges,
        } => {
            if lb.rule_targets.len() < m.rules.len() {
                lb.rule_targets.resize(m.rules.len(), Vec::new());
            }
            if lb.rule_targets[ri].len() != actors.len() {
                // The target of each lane's own run.
                let block = m.block;
                lb.rule_targets[ri] = actors
                    .iter()
                    .map(|&a| block.actor(*target, block.copy_of_actor(a)))
                    .collect();
            }
            let targets = &lb.rule_targets[ri];
            for ((chunk, edge_chunk), target_chunk) in actors
                .chunks(LANES)
                .zip(edges.chunks(LANES))
                .zip(targets.chunks(LANES))
            {
                let lanes = Lanes::List {
                    me: chunk,
                    target: target_chunk,
                    edge: edge_chunk,
                };
                decide_batch(m, ri, world, &lanes, false, w, clock)?;
            }
        }
        RuleLanes::Reactions {
            actors,
            action,
            aim,
        } => {
            // The previous step's log is sorted by (target, action, actor).
            lb.clear();
            for &(to, act, by) in world.actions.prev {
                if act == u32::from(*action) && (to as usize) < actors.len() && actors[to as usize]
                {
                    match *aim {
                        None => {
                            lb.me.push(to);
                            lb.target.push(by);
                            lb.edge.push(world.edge(to, by));
                        }
                        // One reaction per actor, however many acted toward it.
                        Some(aim) if lb.me.last() != Some(&to) => {
                            let aim = m.block.actor(aim, m.block.copy_of_actor(to));
                            lb.me.push(to);
                            lb.target.push(aim);
                            lb.edge.push(world.edge(to, aim));
                        }
                        Some(_) => {}
                    }
                }
            }
            for start in (0..lb.me.len()).step_by(LANES) {
                let end = (start + LANES).min(lb.me.len());
                decide_batch(m, ri, world, &lb.lanes(start..end), false, w, clock)?;
            }
        }
    }
    Ok(())
}

/// `0..n` in batches of at most [`LANES`]: (start, length).
pub(super) fn batches(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n)
        .step_by(LANES)
        .map(move |start| (start, LANES.min(n - start)))
}

/// Decides one batch of one rule's lanes: condition, cooldown, probability, cap.
fn decide_batch(
    m: &Model,
    ri: usize,
    world: &World,
    lanes: &Lanes,
    per_edge: bool,
    w: &mut Work,
    clock: Clock,
) -> Result<(), RuntimeError> {
    let rule = &m.rules[ri];
    let t = clock.t;
    // Conditions are usually false: gather the true lanes into bit masks with a branch-free
    // loop, then visit only those.
    let mut masks: Masks = [0; LANES / 64];
    if !eval_mask(&rule.when, world, lanes, &mut w.stack, &mut masks) {
        let cond = eval_in(&rule.when, world, lanes, &mut w.stack);
        let i = cond.iter().position(|c| c.is_nan()).unwrap_or(0);
        return Err(rule_error(m, t, ri, true, world, lanes, i));
    }
    if masks.iter().all(|&m| m == 0) {
        return Ok(());
    }
    let p_const = rule.probability.constant();
    if p_const.is_none() {
        eval(&rule.probability, world, lanes, &mut w.b, &mut w.stack);
    }
    // The draws first, for every lane whose condition holds ([`Draw::lanes`]); then the rest.
    // A draw depends only on its place, so drawing for lanes the cooldown or the cap then
    // skips changes nothing.
    let mut bad: Masks = [0; LANES / 64];
    let drawn = if p_const.is_some_and(|p| p >= 1.0) {
        masks
    } else {
        let block = m.block;
        // `mix(clock.key(c) ^ rule.key)` for each run `c` of the block.
        let copies = block.copies as usize;
        w.bases.resize(copies, 0);
        if w.premixed[ri] {
            w.bases
                .copy_from_slice(&w.rule_bases[ri * copies..][..copies]);
        } else {
            draws::mix_each(clock.keys, rule.key, &mut w.bases);
        }
        if let Some(drawn) = whole_batch(m, lanes, p_const, &masks, w) {
            return decide_drawn(m, ri, world, lanes, per_edge, w, t, &drawn, &bad);
        }
        let draw = Draw {
            m,
            bases: &w.bases,
            p: p_const.ok_or(&w.b[..]),
        };
        // One copy of the loop per kind of lanes, each reading its actors directly.
        let none = ActorId::NONE.0;
        match *lanes {
            Lanes::Edges { start, len } => {
                let (src, dst) = (
                    &m.adj.src[start as usize..][..len],
                    &m.adj.dst[start as usize..][..len],
                );
                draw.lanes(&masks, &mut bad, |i| (src[i], dst[i]))
            }
            Lanes::Actors { start, .. } => {
                draw.lanes(&masks, &mut bad, |i| (start + i as u32, none))
            }
            Lanes::List { me, target, .. } => draw.lanes(&masks, &mut bad, |i| (me[i], target[i])),
            Lanes::Copies { .. } => draw.lanes(&masks, &mut bad, |_| (none, none)),
        }
    };
    decide_drawn(m, ri, world, lanes, per_edge, w, t, &drawn, &bad)
}

/// The lanes of `masks` whose draw falls below the constant probability `p`, drawn for the whole
/// batch at once ([`draws`]) when that pays; `None` when it does not, or cannot (a probability
/// per lane or not a number, lanes listed one by one).
fn whole_batch(
    m: &Model,
    lanes: &Lanes,
    p: Option<f64>,
    masks: &Masks,
    w: &mut Work,
) -> Option<Masks> {
    let p = p.filter(|p| p.is_finite())?;
    let (start, len, per_copy) = match *lanes {
        // Over relations, for models whose relation keys (16 bytes a relation) stay in cache
        // beside their state: drawing a large model's batches whole was slower.
        Lanes::Edges { start, len } if m.n_relations() <= WHOLE_BATCH_RELATIONS => {
            (start, len, m.block.relations)
        }
        Lanes::Actors { start, len } => (start, len, m.block.actors),
        _ => return None,
    };
    let drawn_lanes = masks.iter().map(|w| w.count_ones()).sum();
    if !draws::whole_batch_pays(drawn_lanes, len) {
        return None;
    }
    if matches!(lanes, Lanes::Edges { .. }) && w.dst_keys.is_empty() {
        w.dst_keys = super::state::edge_keys(m, &m.adj.dst, 29);
    }
    let range = start as usize..start as usize + len;
    let shared_degree = m.adj.uniform_degree.filter(|&d| d > 0 && start % d == 0);
    if let (Lanes::Edges { .. }, Some(d)) = (lanes, shared_degree) {
        let shared = draws::Shared {
            first_actor: start / d,
            degree: d,
            actors_per_run: m.block.actors,
            bases: &w.bases,
            actor: &m.actor_keys[(start / d) as usize..],
            target: &w.dst_keys[range.clone()],
        };
        if let Some(mut hits) = draws::below_shared(&shared, draws::threshold(p)) {
            for (hit, mask) in hits.iter_mut().zip(masks) {
                *hit &= mask;
            }
            return Some(hits);
        }
    }
    if matches!(lanes, Lanes::Edges { .. }) && w.src_keys.is_empty() {
        w.src_keys = super::state::edge_keys(m, &m.adj.src, 0);
    }
    let batch = draws::Batch {
        first: start,
        per_run: per_copy,
        bases: &w.bases,
        actor: match *lanes {
            Lanes::Edges { .. } => &w.src_keys[range.clone()],
            _ => &m.actor_keys[range.clone()],
        },
        target: matches!(lanes, Lanes::Edges { .. }).then(|| &w.dst_keys[range]),
    };
    let mut hits = draws::below(&batch, draws::threshold(p))?;
    for (hit, mask) in hits.iter_mut().zip(masks) {
        *hit &= mask;
    }
    Some(hits)
}

/// The most relations a model may have for its rules over relations to draw whole batches.
const WHOLE_BATCH_RELATIONS: usize = 1 << 14;

/// A rule's draws in one batch: per run of the block, the base key of its draws this step; the
/// probability, constant or per lane.
struct Draw<'a> {
    m: &'a Model,
    bases: &'a [u64],
    p: Result<f64, &'a [f64]>,
}

impl Draw<'_> {
    /// The lanes of `masks` whose draw falls below their probability, and those (in `bad`) whose
    /// probability is not a finite number, also marked as drawn; `who(i)` is lane `i`'s actor
    /// and target. A loop without branches on the draws (each a chain of multiplications, so
    /// lanes side by side overlap); bits are kept in registers, since an `|=` into the arrays
    /// would make each lane wait on the last.
    #[inline(always)]
    fn lanes(&self, masks: &Masks, bad: &mut Masks, who: impl Fn(usize) -> (u32, u32)) -> Masks {
        let (keys, block): (&[u64], _) = (&self.m.actor_keys, self.m.block);
        let mut drawn: Masks = [0; LANES / 64];
        for (word_idx, &word) in masks.iter().enumerate() {
            let (mut hit, mut nan) = (0u64, 0u64);
            let mut bits = word;
            while bits != 0 {
                let bit = bits.trailing_zeros();
                bits &= bits - 1;
                let i = word_idx * 64 + bit as usize;
                let (me, target) = who(i);
                let p = match self.p {
                    Ok(p) => p,
                    Err(ps) => ps[i],
                };
                let target_key = keys.get(target as usize).copied().unwrap_or(0);
                let base = self.bases[block.copy_of_actor(me) as usize];
                let u = rng::uniform(rng::place(base, keys[me as usize], target_key));
                // A lane whose probability is not a number goes on too: past its cooldown,
                // it is an error.
                let not_a_number = u64::from(!p.is_finite()) << bit;
                hit |= (u64::from(p >= 1.0) | u64::from(u < p)) << bit | not_a_number;
                nan |= not_a_number;
            }
            drawn[word_idx] = hit;
            bad[word_idx] = nan;
        }
        drawn
    }
}

/// The rest of [`decide_batch`], for the lanes `drawn` marks, in lane order: cooldown, once per
/// step, cap; an error for the first lane `bad` marks that is past its cooldown (the firings
/// decided before it are dropped with the step).
#[allow(clippy::too_many_arguments)]
#[inline]
fn decide_drawn(
    m: &Model,
    ri: usize,
    world: &World,
    lanes: &Lanes,
    per_edge: bool,
    w: &mut Work,
    t: u32,
    drawn: &Masks,
    bad: &Masks,
) -> Result<(), RuntimeError> {
    let rule = &m.rules[ri];
    if rule.cooldown == 0
        && w.once[rule.action as usize].is_empty()
        && !w.capped
        && bad.iter().all(|&b| b == 0)
    {
        // Nothing to check lane by lane: every drawn lane fires.
        let (action, source) = (rule.action, Source::rule(ri));
        let n = drawn.iter().map(|b| b.count_ones() as usize).sum();
        w.firings.reserve(n);
        let firings = &mut w.firings;
        match *lanes {
            Lanes::Edges { start, .. } => {
                let (src, dst) = (&m.adj.src[start as usize..], &m.adj.dst[start as usize..]);
                each_lane(drawn, |i| {
                    firings.push(Firing {
                        action,
                        actor: src[i],
                        target: dst[i],
                        edge: start + i as u32,
                        source,
                    })
                });
            }
            _ => each_lane(drawn, |i| {
                firings.push(Firing {
                    action,
                    actor: lanes.me(i, world),
                    target: lanes.target(i, world),
                    edge: lanes.edge(i, world),
                    source,
                })
            }),
        }
        return Ok(());
    }
    let last_fired = &mut w.rule_last[ri];
    for (word_idx, &word) in drawn.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            let bit = bits.trailing_zeros();
            let i = word_idx * 64 + bit as usize;
            bits &= bits - 1;
            let me = lanes.me(i, world);
            let edge = lanes.edge(i, world);
            let slot = if per_edge { edge as usize } else { me as usize };
            if rule.cooldown > 0 && (t as i32 - last_fired[slot]) <= rule.cooldown as i32 {
                continue;
            }
            if bad[word_idx] >> bit & 1 == 1 {
                return Err(rule_error(m, t, ri, false, world, lanes, i));
            }
            let target = lanes.target(i, world);
            if !w.once[rule.action as usize].is_empty()
                && !first_this_step(m, &mut w.once, &w.firings, (rule.action, me, target), t)
            {
                continue;
            }
            let cap = if w.capped { m.graph[me].cap } else { u32::MAX };
            if cap != u32::MAX {
                if w.fired[me as usize] >= cap {
                    continue;
                }
                if w.fired[me as usize] == 0 {
                    w.touched.push(me);
                }
                w.fired[me as usize] += 1;
            }
            if rule.cooldown > 0 {
                last_fired[slot] = t as i32;
            }
            w.firings.push(Firing {
                action: rule.action,
                actor: me,
                target,
                edge,
                source: Source::rule(ri),
            });
        }
    }
    Ok(())
}

/// `f(i)` for each lane `i` that `masks` marks, in lane order.
#[inline(always)]
fn each_lane(masks: &Masks, mut f: impl FnMut(usize)) {
    for (word_idx, &word) in masks.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            let bit = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            f(word_idx * 64 + bit);
        }
    }
}

/// The target [`log_key`] packs for no one: past every actor of 24 bits.
const LOG_NO_ONE: u64 = (1 << 24) - 1;

/// A who-did-what log entry (target, action, actor) as one integer that orders as the triple
/// does, no one ([`ActorId::NONE`]) as the largest target: the target in bits 40 and up, the
/// action in 24 to 39, the actor below, for actors and targets below [`LOG_NO_ONE`].
#[inline]
fn log_key(target: u32, action: u16, actor: u32) -> u64 {
    let target = if target == ActorId::NONE.0 {
        LOG_NO_ONE
    } else {
        u64::from(target)
    };
    target << 40 | u64::from(action) << 24 | u64::from(actor)
}

/// The log entry [`log_key`] packed into `k`.
#[inline]
fn log_entry(k: u64) -> (u32, u32, u32) {
    let target = k >> 40;
    let target = if target == LOG_NO_ONE {
        ActorId::NONE.0
    } else {
        target as u32
    };
    (target, (k >> 24 & 0xffff) as u32, (k & LOG_NO_ONE) as u32)
}

/// Phase 2: records this step's actions: counts, last- and first-taken steps, and who did what
/// to whom (the pair table and/or the log, as the model reads them).
pub(super) fn book(m: &Model, s: &mut State, w: &Work, t: u32) {
    let n_actions = m.actions.len();
    for f in &w.firings {
        let i = f.actor as usize * n_actions + f.action as usize;
        super::state::stamp(&mut s.last[i], &mut s.before[i], t as i32);
        s.counts[i] += 1;
        let first =
            &mut s.first[m.block.copy_of_actor(f.actor) as usize * n_actions + f.action as usize];
        if *first == crate::expr::NEVER {
            *first = t as i32;
        }
    }
    if !s.memory.is_empty() {
        for f in &w.firings {
            s.memory.record(&m.adj, f.actor, f.target, f.action, t);
        }
    }
    if !s.pair_last.is_empty() {
        for f in &w.firings {
            if let Some(i) = m.block.pair_slot(n_actions, f.actor, f.action, f.target) {
                super::state::stamp(&mut s.pair_last[i], &mut s.pair_before[i], t as i32);
            }
        }
    }
    if m.uses_pair_log() {
        // Sorted as integers that order as the triples do, not as triples compared field by
        // field, where every actor of the block fits (`log_key`).
        let all = m.block.copies * m.block.actors;
        let packs = |f: &Firing| f.target < all || f.target == ActorId::NONE.0;
        if u64::from(all) < LOG_NO_ONE && w.firings.iter().all(packs) {
            let keys = &mut s.log_keys;
            keys.clear();
            keys.extend(
                w.firings
                    .iter()
                    .map(|f| log_key(f.target, f.action, f.actor)),
            );
            keys.sort_unstable();
            keys.dedup();
            s.cur_log.extend(keys.iter().map(|&k| log_entry(k)));
        } else {
            s.cur_log.extend(
                w.firings
                    .iter()
                    .map(|f| (f.target, u32::from(f.action), f.actor)),
            );
            s.cur_log.sort_unstable();
            s.cur_log.dedup();
        }
        if m.block.copies > 1 {
            super::state::log_starts(m.block, &s.cur_log, &mut s.cur_starts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_log_entries_sort_as_the_triples_do() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |below: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % below
        };
        let mut triples: Vec<(u32, u32, u32)> = (0..2000)
            .map(|_| {
                let target = match next(4) {
                    0 => ActorId::NONE.0,
                    1 => (LOG_NO_ONE - 1) as u32,
                    _ => next(300) as u32,
                };
                (
                    target,
                    next(1 << 16) as u32 % 7 * 9000,
                    next(LOG_NO_ONE) as u32 % 400,
                )
            })
            .collect();
        let mut keys: Vec<u64> = triples
            .iter()
            .map(|&(t, a, b)| log_key(t, a as u16, b))
            .collect();
        triples.sort_unstable();
        triples.dedup();
        keys.sort_unstable();
        keys.dedup();
        let unpacked: Vec<(u32, u32, u32)> = keys.into_iter().map(log_entry).collect();
        assert_eq!(unpacked, triples);
    }
}
