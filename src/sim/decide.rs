//! Phases 1 and 2 of a step: which actions are taken (events, then rules, lane by lane), and the
//! bookkeeping of what was taken.
//!
//! Deciding reads only the start-of-step state and the previous step's actions; it writes only
//! the step's list of firings and the rules' cooldown and the actors' cap counters.

use super::error::{event_rate_error, rule_error, shock_error, RuntimeError};
use super::state::{Clock, Firing, LaneBuf, Source, State, Work};
use super::RunRecord;
use crate::expr::memory;
use crate::expr::{eval, eval_in, eval_mask, Lanes, Masks, World, LANES};
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
    events(m, &world, w, clock)?;
    for ri in 0..m.rules.len() {
        decide_rule(m, ri, &world, w, lb, clock)?;
    }
    Ok(())
}

/// The events due at this step: scheduled ones, and rated ones whose draw falls below the rate.
fn events(m: &Model, world: &World, w: &mut Work, clock: Clock) -> Result<(), RuntimeError> {
    for (i, ev) in m.events.iter().enumerate() {
        let target_key = m.actor_keys.get(ev.target as usize).copied().unwrap_or(0);
        let draw = (ev.key, m.actor_keys[ev.actor as usize], target_key);
        let happens = due(&ev.when, world, w, clock, draw)
            .map_err(|rate| event_rate_error(m, clock.t, i, rate))?;
        let taking = (ev.action, ev.actor, ev.target);
        if happens && first_this_step(m, &mut w.once, &w.firings, taking, clock.t) {
            w.firings.push(Firing {
                action: ev.action,
                actor: ev.actor,
                target: ev.target,
                edge: ev.edge,
                source: Source::event(i),
            });
        }
    }
    w.shocks_now.clear();
    for (i, sh) in m.shocks.iter().enumerate() {
        if due(&sh.when, world, w, clock, (sh.key, 0, 0))
            .map_err(|rate| shock_error(m, clock.t, i, None, rate))?
        {
            w.shocks_now.push(i as u32);
        }
    }
    Ok(())
}

/// Whether what `when` schedules happens at `clock.t`: a step it lists, or a draw keyed by
/// `(key, a, b)` below its rate in its window; `Err(rate)` for a rate that is not a finite
/// number.
fn due(
    when: &When,
    world: &World,
    w: &mut Work,
    clock: Clock,
    (key, a, b): (u64, u64, u64),
) -> Result<bool, f64> {
    match when {
        When::At(steps) => Ok(steps.binary_search(&clock.t).is_ok()),
        When::Rate { rate, from, until } if (*from..=*until).contains(&clock.t) => {
            eval(rate, world, &Lanes::Global, &mut w.a, &mut w.stack);
            if !w.a[0].is_finite() {
                return Err(w.a[0]);
            }
            Ok(rng::uniform(rng::place(rng::mix(clock.step_key ^ key), a, b)) < w.a[0])
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
            for (chunk, edge_chunk) in actors.chunks(LANES).zip(edges.chunks(LANES)) {
                lb.target.clear();
                lb.target.resize(chunk.len(), *target);
                let lanes = Lanes::List {
                    me: chunk,
                    target: &lb.target,
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
#[allow(clippy::neg_cmp_op_on_partial_ord)]
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
    let base = rng::mix(clock.step_key ^ rule.key);
    let last_fired = &mut w.rule_last[ri];
    for (word_idx, &word) in masks.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            let i = word_idx * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let me = lanes.me(i, world);
            let edge = lanes.edge(i, world);
            let slot = if per_edge { edge as usize } else { me as usize };
            if rule.cooldown > 0 && (t as i32 - last_fired[slot]) <= rule.cooldown as i32 {
                continue;
            }
            let target = lanes.target(i, world);
            let p = p_const.unwrap_or(w.b[i]);
            if !p.is_finite() {
                return Err(rule_error(m, t, ri, false, world, lanes, i));
            }
            if !(p >= 1.0) {
                let target_key = m.actor_keys.get(target as usize).copied().unwrap_or(0);
                let u = rng::uniform(rng::place(base, m.actor_keys[me as usize], target_key));
                if !(u < p) {
                    continue;
                }
            }
            if !first_this_step(m, &mut w.once, &w.firings, (rule.action, me, target), t) {
                continue;
            }
            let cap = m.graph[me].cap;
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

/// Phase 2: records this step's actions: counts, last-taken steps and the who-did-what log.
pub(super) fn book(m: &Model, s: &mut State, w: &Work, t: u32, record: &mut RunRecord) {
    let n_actions = m.actions.len();
    for f in &w.firings {
        let i = f.actor as usize * n_actions + f.action as usize;
        if s.last[i] != t as i32 {
            s.before[i] = s.last[i];
            s.last[i] = t as i32;
        }
        s.counts[i] += 1;
        record.first_taken[f.action as usize].get_or_insert(t);
    }
    if !s.memory.is_empty() {
        for f in &w.firings {
            s.memory.record(&m.adj, f.actor, f.target, f.action, t);
        }
    }
    if m.uses_pair_log {
        s.cur_log.extend(
            w.firings
                .iter()
                .map(|f| (f.target, u32::from(f.action), f.actor)),
        );
        s.cur_log.sort_unstable();
        s.cur_log.dedup();
    }
}
