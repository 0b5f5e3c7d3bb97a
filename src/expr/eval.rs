//! Batch evaluation of compiled expressions over up to [`LANES`] lanes at once.
//!
//! Each op runs as a tight loop over the batch, so dispatch costs once per op per batch rather
//! than per relation. Reads only; allocation-free once the [`Stack`] exists.

use super::memory::Memory;
use super::{floored_mod, lookup, poison, poison1, Bin, Code, Op, Un, Who};
use crate::graph::Adjacency;
use crate::ids::ActorId;
use crate::rng;

/// Lanes per batch.
pub const LANES: usize = 512;

/// "Never happened" step for action bookkeeping.
pub const NEVER: i32 = i32::MIN / 2;

/// Steps since an action that never happened.
pub const SINCE_NEVER: f64 = 1e9;

/// Which actors and relations the lanes of a batch stand for.
#[derive(Clone, Copy, Debug)]
pub enum Lanes<'a> {
    /// Relations `start..start+len`.
    Edges { start: u32, len: usize },
    /// Actors `start..start+len`, no target.
    Actors { start: u32, len: usize },
    /// Explicit lanes: actor, target (or [`ActorId::NONE`]), relation actor→target (or the sentinel).
    List {
        me: &'a [u32],
        target: &'a [u32],
        edge: &'a [u32],
    },
    /// One lane per run of a block, with no actor: lane `i` is run `i` (see
    /// [`crate::model::Block`]); one lane for a model of one run.
    Copies { len: usize },
}

impl Lanes<'_> {
    pub fn len(&self) -> usize {
        match self {
            Lanes::Edges { len, .. } | Lanes::Actors { len, .. } => *len,
            Lanes::List { me, .. } => me.len(),
            Lanes::Copies { len } => *len,
        }
    }

    /// The acting actor of lane `i`.
    #[inline]
    pub fn me(&self, i: usize, world: &World) -> u32 {
        who_at(self, Who::Me, i, world)
    }

    /// The target of lane `i`, or [`ActorId::NONE`].
    #[inline]
    pub fn target(&self, i: usize, world: &World) -> u32 {
        who_at(self, Who::Target, i, world)
    }

    /// The relation of lane `i` (actor→target), or the sentinel.
    #[inline]
    pub fn edge(&self, i: usize, world: &World) -> u32 {
        match self {
            Lanes::Edges { start, .. } => start + i as u32,
            Lanes::List { edge, .. } => edge[i],
            _ => world.no_edge(),
        }
    }
}

/// What the actors did, for `did`, `does` and `since`.
#[derive(Clone, Copy, Debug)]
pub struct ActionView<'a> {
    pub n_actions: usize,
    /// Per (actor, action): the last step it was taken.
    pub last: &'a [i32],
    /// Per (actor, action): the step it was taken before `last`.
    pub before: &'a [i32],
    /// Per (actor, action): how many times it was taken so far.
    pub counts: &'a [u64],
    /// (target, action, actor) taken in the previous step, sorted.
    pub prev: &'a [(u32, u32, u32)],
    /// (target, action, actor) taken in this step, sorted (empty until decided).
    pub cur: &'a [(u32, u32, u32)],
    /// For a block of runs, where each run's entries start in `prev` and `cur` (see
    /// `sim::state::log_starts`); unused for one run.
    pub prev_starts: &'a [u32],
    pub cur_starts: &'a [u32],
    /// Per (actor, action, target), the last step it was taken and the one before, where the
    /// model keeps that table (`sim::state::State::pair_last`); else empty, and `prev` and
    /// `cur` are searched.
    pub pair_last: &'a [i32],
    pub pair_before: &'a [i32],
    /// Per counterpart and per window, for the actions expressions read that way.
    pub memory: &'a Memory,
}

/// The state an expression reads: the start-of-step values and the graph's indices.
#[derive(Clone, Copy, Debug)]
pub struct World<'a> {
    /// Per relation variable, one value per relation plus a sentinel holding the default.
    pub rel: &'a [Vec<f64>],
    pub actor: &'a [Vec<f64>],
    /// Who each relation joins; relation lookups.
    pub adj: &'a Adjacency,
    pub agg_actor: &'a [Vec<f64>],
    pub agg_scalar: &'a [f64],
    pub actions: ActionView<'a>,
    pub step: u32,
    /// Per run of the block, the key of this step's random draws.
    pub step_keys: &'a [u64],
    pub actor_keys: &'a [u64],
    /// The runs side by side in the state (one, but for runs in lockstep).
    pub block: crate::model::Block,
}

impl World<'_> {
    /// The run of the block lane `i` belongs to (always 0 for a model of one run).
    #[inline(always)]
    pub fn copy_of(&self, lanes: &Lanes, i: usize) -> u32 {
        if self.block.copies == 1 {
            return 0;
        }
        match lanes {
            Lanes::Edges { start, .. } => self.block.copy_of_relation(start + i as u32),
            Lanes::Actors { start, .. } => self.block.copy_of_actor(start + i as u32),
            Lanes::List { me, .. } => self.block.copy_of_actor(me[i]),
            Lanes::Copies { .. } => i as u32,
        }
    }

    /// The "no relation" sentinel (one past the last relation).
    #[inline]
    pub fn no_edge(&self) -> u32 {
        self.adj.len() as u32
    }

    /// The relation from → to, or the sentinel.
    #[inline]
    pub fn edge(&self, from: u32, to: u32) -> u32 {
        self.adj.edge_or_none(from, to)
    }

    #[inline(always)]
    fn did_pair(&self, actor: u32, target: u32, action: u16, now: bool) -> bool {
        if !self.actions.pair_last.is_empty() {
            let Some(i) = self
                .block
                .pair_slot(self.actions.n_actions, actor, action, target)
            else {
                return false;
            };
            let (last, step) = (self.actions.pair_last[i], self.step as i32);
            return if now {
                last == step
            } else {
                taken_before(last, self.actions.pair_before[i], step) == step - 1
            };
        }
        let (log, starts) = if now {
            (self.actions.cur, self.actions.cur_starts)
        } else {
            (self.actions.prev, self.actions.prev_starts)
        };
        // In a block of runs, only the target's run's entries (or those toward no one).
        let log = if self.block.copies == 1 {
            log
        } else {
            let c = if target < self.block.copies * self.block.actors {
                self.block.copy_of_actor(target) as usize
            } else {
                self.block.copies as usize
            };
            &log[starts[c] as usize..starts[c + 1] as usize]
        };
        let key = (target, action as u32, actor);
        // A run's step holds a few takings: looked through, not searched.
        if log.len() <= 8 {
            log.iter().fold(false, |hit, &entry| hit | (entry == key))
        } else {
            log.binary_search(&key).is_ok()
        }
    }

    fn last_before_this_step(&self, actor: u32, action: u16) -> i32 {
        let i = actor as usize * self.actions.n_actions + action as usize;
        taken_before(
            self.actions.last[i],
            self.actions.before[i],
            self.step as i32,
        )
    }
}

/// The last step before `step` something was taken at, of the last step it was taken at and
/// the one before that (`sim::state::stamp` keeps them).
#[inline(always)]
fn taken_before(last: i32, before: i32, step: i32) -> i32 {
    if last == step {
        before
    } else {
        last
    }
}

/// Operand stack for batch evaluation; reuse one per thread.
#[derive(Clone, Debug, Default)]
pub struct Stack {
    regs: Vec<[f64; LANES]>,
}

impl Stack {
    pub fn with_depth(depth: usize) -> Stack {
        Stack {
            regs: vec![[0.0; LANES]; depth.max(1)],
        }
    }
}

/// `out[i] = vals[at[i]]` for each `i` (an index past `vals` panics): eight at a time with
/// AVX-512 where it runs.
#[inline(always)]
fn gather(vals: &[f64], at: &[u32], out: &mut [f64]) {
    debug_assert_eq!(at.len(), out.len());
    #[cfg(target_arch = "x86_64")]
    if crate::simd::wide512() && at.len() >= 8 {
        let in_bounds = at.iter().fold(0u32, |m, &i| m.max(i)) < vals.len() as u32
            && vals.len() <= i32::MAX as usize;
        if in_bounds {
            // SAFETY: `wide512()` is true only where the CPU has AVX-512 F, and every index was
            // just checked to be in `vals`.
            unsafe { gather512::gather(vals, at, out) };
            return;
        }
    }
    for (x, &i) in out.iter_mut().zip(at) {
        *x = vals[i as usize];
    }
}

/// `r[i] = vals[a]` for each lane `i`, `a` the actor `who` is in lane `i`: gathered
/// ([`gather`]) where the lanes list their actors (a rule's listed actors and targets, a
/// relation's ends), else looked up lane by lane.
#[inline(always)]
fn actors_at(vals: &[f64], who: Who, lanes: &Lanes, world: &World, r: &mut [f64]) {
    let n = r.len();
    let listed: Option<&[u32]> = match (who, lanes) {
        (Who::Me, Lanes::List { me, .. }) => Some(me),
        (Who::Target, Lanes::List { target, .. }) => Some(target),
        (Who::Me, Lanes::Edges { start, .. }) => Some(&world.adj.src[*start as usize..][..n]),
        (Who::Target, Lanes::Edges { start, .. }) => Some(&world.adj.dst[*start as usize..][..n]),
        _ => None,
    };
    match listed {
        Some(at) => gather(vals, at, r),
        None => {
            for (i, x) in r.iter_mut().enumerate() {
                *x = vals[who_at(lanes, who, i, world) as usize];
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod gather512 {
    use std::arch::x86_64::*;

    /// `out[i] = vals[at[i]]`, eight lanes per instruction.
    ///
    /// # Safety
    ///
    /// Every `at[i] < vals.len() <= i32::MAX`, `at.len() == out.len()`, and the CPU has
    /// AVX-512 F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn gather(vals: &[f64], at: &[u32], out: &mut [f64]) {
        let n = at.len().min(out.len());
        let mut i = 0;
        while i + 8 <= n {
            // SAFETY: lanes `i..i + 8` are in `at` and `out`; the indices are in `vals`, and
            // non-negative as `i32`s, as the caller says.
            unsafe {
                let idx = _mm256_loadu_si256(at.as_ptr().add(i).cast());
                let x = _mm512_i32gather_pd::<8>(idx, vals.as_ptr().cast());
                _mm512_storeu_pd(out.as_mut_ptr().add(i), x);
            }
            i += 8;
        }
        for j in i..n {
            out[j] = vals[at[j] as usize];
        }
    }
}

/// `r[i] = f(c)` for each lane `i`, `c` being the lane's run of the block ([`World::copy_of`]):
/// one `f` per run where the lanes of a run lie side by side (relations or actors in a range,
/// or one lane per run), one per lane otherwise.
#[inline(always)]
fn fill_per_copy(world: &World, lanes: &Lanes, r: &mut [f64], f: impl Fn(u32) -> f64) {
    let block = world.block;
    if block.copies == 1 {
        r.fill(f(0));
        return;
    }
    let range = match *lanes {
        Lanes::Edges { start, .. } => Some((start, block.relations)),
        Lanes::Actors { start, .. } => Some((start, block.actors)),
        Lanes::Copies { .. } => {
            for (i, x) in r.iter_mut().enumerate() {
                *x = f(i as u32);
            }
            return;
        }
        Lanes::List { .. } => None,
    };
    match range {
        Some((start, per_run)) if per_run > 0 => {
            // Runs of `per_run` lanes each, the first cut where the lanes start.
            let (mut i, mut c) = (0usize, start / per_run);
            while i < r.len() {
                let end = (((c + 1) * per_run - start) as usize).min(r.len());
                r[i..end].fill(f(c.min(block.copies - 1)));
                i = end;
                c += 1;
            }
        }
        _ => {
            for (i, x) in r.iter_mut().enumerate() {
                *x = f(world.copy_of(lanes, i));
            }
        }
    }
}

#[inline(always)]
fn who_at(lanes: &Lanes, who: Who, i: usize, world: &World) -> u32 {
    match who {
        Who::Fixed(a) if world.block.copies == 1 => a,
        Who::Fixed(a) => world.block.actor(a, world.copy_of(lanes, i)),
        Who::Me => match lanes {
            Lanes::Edges { start, .. } => world.adj.src[*start as usize + i],
            Lanes::Actors { start, .. } => start + i as u32,
            Lanes::List { me, .. } => me[i],
            Lanes::Copies { .. } => ActorId::NONE.0,
        },
        Who::Target => match lanes {
            Lanes::Edges { start, .. } => world.adj.dst[*start as usize + i],
            Lanes::List { target, .. } => target[i],
            _ => ActorId::NONE.0,
        },
    }
}

/// Applies an operator to constant operands (also used for constant folding).
pub fn apply(op: Op, a: &[f64]) -> f64 {
    match op {
        Op::Un(u) => u.apply(a[0]),
        Op::Bin(b) => b.apply(a[0], a[1]),
        Op::BinC(b, c) => b.apply(a[0], c),
        Op::CBin(b, c) => b.apply(c, a[0]),
        // Affine ops only appear after constant folding, so they never reach here.
        Op::Clamp => a[0].max(a[1]).min(a[2]) + poison(a[0], a[1]) + poison1(a[2]),
        Op::If => (if a[0] != 0.0 { a[1] } else { a[2] }) + poison1(a[0]),
        _ => f64::NAN,
    }
}

/// Evaluates `code` over `lanes` (at most [`LANES`]) into `out[..lanes.len()]`.
pub fn eval(code: &Code, world: &World, lanes: &Lanes, out: &mut [f64], stack: &mut Stack) {
    let n = lanes.len();
    out[..n].copy_from_slice(eval_in(code, world, lanes, stack));
}

crate::simd::multiversion! {
    /// Evaluates `code` over `lanes` (at most [`LANES`]); the values stay in the stack (and may be
    /// overwritten there: the stepper keeps sums in them).
    pub fn eval_in<'s>(
        code: &Code,
        world: &World,
        lanes: &Lanes,
        stack: &'s mut Stack,
    ) -> &'s mut [f64] {
        let n = lanes.len();
        debug_assert!(n <= LANES);
        if stack.regs.len() < code.depth {
            stack.regs.resize(code.depth, [0.0; LANES]);
        }
        if let Some(c) = code.constant() {
            stack.regs[0][..n].fill(c);
            return &mut stack.regs[0][..n];
        }
        let regs = &mut stack.regs;
        let mut sp = 0usize;
        // A load of values lying side by side in the state is not copied into its register
        // at once: an affine op reads it in place, anything else copies it when it needs it.
        // Invariant: no slot at or above `sp` is pending.
        let mut pending: [Option<&[f64]>; DEFER] = [None; DEFER];
        for op in &code.ops {
            if sp < DEFER {
                if let Some(s) = contiguous(*op, world, lanes) {
                    pending[sp] = Some(s);
                    sp += 1;
                    continue;
                }
            }
            let consumed = match *op {
                Op::Un(_) | Op::BinC(..) | Op::CBin(..) | Op::Lookup { .. } => 1,
                Op::Bin(_) => 2,
                Op::Clamp | Op::If => 3,
                _ => 0,
            };
            for (k, reg) in regs.iter_mut().enumerate().take(sp).skip(sp - consumed) {
                if let Some(s) = take(&mut pending, k) {
                    reg[..n].copy_from_slice(s);
                }
            }
            match *op {
                Op::Const(c) => {
                    regs[sp][..n].fill(c);
                    sp += 1;
                }
                Op::Step => {
                    regs[sp][..n].fill(world.step as f64);
                    sp += 1;
                }
                Op::RelOwn(v) => {
                    let vals: &[f64] = &world.rel[v as usize];
                    let r = &mut regs[sp][..n];
                    match lanes {
                        Lanes::Edges { start, .. } => {
                            r.copy_from_slice(&vals[*start as usize..*start as usize + n])
                        }
                        Lanes::List { edge, .. } => {
                            for (x, &e) in r.iter_mut().zip(edge.iter()) {
                                *x = vals[e as usize];
                            }
                        }
                        _ => unreachable!("compiler only emits RelOwn where lanes carry relations"),
                    }
                    sp += 1;
                }
                Op::RelRev(v) => {
                    let vals: &[f64] = &world.rel[v as usize];
                    let r = &mut regs[sp][..n];
                    match lanes {
                        Lanes::Edges { start, .. } => {
                            let rev = &world.adj.rev[*start as usize..*start as usize + n];
                            gather(vals, rev, r);
                        }
                        _ => {
                            for (i, x) in r.iter_mut().enumerate() {
                                let (a, b) = (
                                    who_at(lanes, Who::Target, i, world),
                                    who_at(lanes, Who::Me, i, world),
                                );
                                *x = vals[world.edge(a, b) as usize];
                            }
                        }
                    }
                    sp += 1;
                }
                Op::RelEdge(v, e) => {
                    let vals: &[f64] = &world.rel[v as usize];
                    let block = world.block;
                    fill_per_copy(world, lanes, &mut regs[sp][..n], |c| {
                        vals[block.relation(e, c) as usize]
                    });
                    sp += 1;
                }
                Op::RelPair(v, a, b) => {
                    let vals: &[f64] = &world.rel[v as usize];
                    let r = &mut regs[sp][..n];
                    // The lane's own relation and its reverse are known without a lookup.
                    match (a, b, lanes) {
                        (Who::Me, Who::Target, Lanes::List { edge, .. }) => {
                            for (x, &e) in r.iter_mut().zip(edge.iter()) {
                                *x = vals[e as usize];
                            }
                        }
                        (Who::Target, Who::Me, Lanes::Edges { start, .. }) => {
                            let rev = &world.adj.rev[*start as usize..*start as usize + n];
                            gather(vals, rev, r);
                        }
                        _ => {
                            for (i, x) in r.iter_mut().enumerate() {
                                let e = world
                                    .edge(who_at(lanes, a, i, world), who_at(lanes, b, i, world));
                                *x = vals[e as usize];
                            }
                        }
                    }
                    sp += 1;
                }
                Op::Exists(a, b) => {
                    let none = world.no_edge();
                    let r = &mut regs[sp][..n];
                    match (a, b, lanes) {
                        (Who::Me, Who::Target, Lanes::Edges { .. }) => r.fill(1.0),
                        (Who::Me, Who::Target, Lanes::List { edge, .. }) => {
                            for (x, &e) in r.iter_mut().zip(edge.iter()) {
                                *x = f64::from(u8::from(e != none));
                            }
                        }
                        (Who::Target, Who::Me, Lanes::Edges { start, .. }) => {
                            let rev = &world.adj.rev[*start as usize..*start as usize + n];
                            for (x, &e) in r.iter_mut().zip(rev) {
                                *x = f64::from(u8::from(e != none));
                            }
                        }
                        _ => {
                            for (i, x) in r.iter_mut().enumerate() {
                                let e = world
                                    .edge(who_at(lanes, a, i, world), who_at(lanes, b, i, world));
                                *x = f64::from(u8::from(e != none));
                            }
                        }
                    }
                    sp += 1;
                }
                Op::ActorVar(v, who) => {
                    let vals: &[f64] = &world.actor[v as usize];
                    let r = &mut regs[sp][..n];
                    match (who, lanes) {
                        (Who::Fixed(a), _) => {
                            let block = world.block;
                            fill_per_copy(world, lanes, r, |c| vals[block.actor(a, c) as usize]);
                        }
                        (Who::Me, Lanes::Actors { start, .. }) => {
                            r.copy_from_slice(&vals[*start as usize..*start as usize + n])
                        }
                        _ => actors_at(vals, who, lanes, world, r),
                    }
                    sp += 1;
                }
                Op::AggActor(slot, who) => {
                    let vals: &[f64] = &world.agg_actor[slot as usize];
                    let r = &mut regs[sp][..n];
                    match (who, lanes) {
                        (Who::Me, Lanes::Actors { start, .. }) => {
                            r.copy_from_slice(&vals[*start as usize..*start as usize + n])
                        }
                        _ => actors_at(vals, who, lanes, world, r),
                    }
                    sp += 1;
                }
                Op::AggScalar(slot) => {
                    // One value per run of the block, side by side.
                    let copies = world.block.copies as usize;
                    let vals = &world.agg_scalar[slot as usize * copies..][..copies];
                    fill_per_copy(world, lanes, &mut regs[sp][..n], |c| vals[c as usize]);
                    sp += 1;
                }
                Op::DidPair(a, b, act, now) => {
                    for (i, x) in regs[sp][..n].iter_mut().enumerate() {
                        let hit = world.did_pair(
                            who_at(lanes, a, i, world),
                            who_at(lanes, b, i, world),
                            act,
                            now,
                        );
                        *x = f64::from(u8::from(hit));
                    }
                    sp += 1;
                }
                Op::DidAny(a, act, now) => {
                    let step = world.step as i32;
                    for (i, x) in regs[sp][..n].iter_mut().enumerate() {
                        let actor = who_at(lanes, a, i, world);
                        let hit = if now {
                            world.actions.last[actor as usize * world.actions.n_actions + act as usize]
                                == step
                        } else {
                            world.last_before_this_step(actor, act) == step - 1
                        };
                        *x = f64::from(u8::from(hit));
                    }
                    sp += 1;
                }
                Op::Since(a, act) => {
                    for (i, x) in regs[sp][..n].iter_mut().enumerate() {
                        let last = world.last_before_this_step(who_at(lanes, a, i, world), act);
                        *x = if last == NEVER {
                            SINCE_NEVER
                        } else {
                            f64::from(world.step as i32 - last)
                        };
                    }
                    sp += 1;
                }
                Op::Times(a, act) => {
                    let n_actions = world.actions.n_actions;
                    for (i, x) in regs[sp][..n].iter_mut().enumerate() {
                        let actor = who_at(lanes, a, i, world) as usize;
                        *x = world.actions.counts[actor * n_actions + act as usize] as f64;
                    }
                    sp += 1;
                }
                Op::PairSince(a, b, act) => {
                    for (i, x) in regs[sp][..n].iter_mut().enumerate() {
                        let (a, b) = (who_at(lanes, a, i, world), who_at(lanes, b, i, world));
                        let last = world.actions.memory.last_before(world.adj, a, b, act, world.step);
                        *x = if last == NEVER {
                            SINCE_NEVER
                        } else {
                            f64::from(world.step as i32 - last)
                        };
                    }
                    sp += 1;
                }
                Op::PairTimes(a, b, act) => {
                    for (i, x) in regs[sp][..n].iter_mut().enumerate() {
                        let (a, b) = (who_at(lanes, a, i, world), who_at(lanes, b, i, world));
                        *x = world.actions.memory.times(world.adj, a, b, act);
                    }
                    sp += 1;
                }
                Op::PairWithin(a, b, act, k) => {
                    for (i, x) in regs[sp][..n].iter_mut().enumerate() {
                        let (a, b) = (who_at(lanes, a, i, world), who_at(lanes, b, i, world));
                        *x = world.actions.memory.pair_within(world.adj, a, b, act, k, world.step);
                    }
                    sp += 1;
                }
                Op::Within(a, act, k) => {
                    for (i, x) in regs[sp][..n].iter_mut().enumerate() {
                        let a = who_at(lanes, a, i, world);
                        *x = world.actions.memory.actor_within(a, act, k, world.step);
                    }
                    sp += 1;
                }
                Op::Random(site) => {
                    let mut base = rng::mix(world.step_keys[0] ^ site);
                    for (i, x) in regs[sp][..n].iter_mut().enumerate() {
                        if world.block.copies > 1 {
                            base = rng::mix(world.step_keys[world.copy_of(lanes, i) as usize] ^ site);
                        }
                        let key_of = |w| {
                            world
                                .actor_keys
                                .get(who_at(lanes, w, i, world) as usize)
                                .copied()
                                .unwrap_or(0)
                        };
                        *x = rng::uniform(rng::place(base, key_of(Who::Me), key_of(Who::Target)));
                    }
                    sp += 1;
                }
                Op::Un(u) => un(u, &mut regs[sp - 1][..n]),
                Op::Lookup { start, n: points } => {
                    let table = &code.tables[start as usize..start as usize + 2 * points as usize];
                    regs[sp - 1][..n].iter_mut().for_each(|x| *x = lookup(table, *x));
                }
                Op::BinC(b, c) => bin_const(b, &mut regs[sp - 1][..n], c, false),
                Op::CBin(b, c) => bin_const(b, &mut regs[sp - 1][..n], c, true),
                Op::Clamp | Op::If => {
                    sp -= 2;
                    let (lo, hi) = regs.split_at_mut(sp);
                    let a = &mut lo[sp - 1][..n];
                    let (b, c) = (&hi[0][..n], &hi[1][..n]);
                    if *op == Op::Clamp {
                        for i in 0..n {
                            a[i] = a[i].max(b[i]).min(c[i]) + poison(a[i], b[i]) + poison1(c[i]);
                        }
                    } else {
                        // A condition that is not a number makes the result not one either.
                        for i in 0..n {
                            a[i] = (if a[i] != 0.0 { b[i] } else { c[i] }) + poison1(a[i]);
                        }
                    }
                }
                Op::Affine { n: terms, start, c } => {
                    let n_terms = terms as usize;
                    sp -= n_terms - 1;
                    let coefs = &code.coefs[start as usize..start as usize + n_terms];
                    let first = take(&mut pending, sp - 1);
                    let (lo, hi) = regs.split_at_mut(sp);
                    let acc = &mut lo[sp - 1][..n];
                    let k0 = coefs[0];
                    match first {
                        Some(s) => {
                            for (x, &y) in acc.iter_mut().zip(s) {
                                *x = c + k0 * y;
                            }
                        }
                        None => acc.iter_mut().for_each(|x| *x = c + k0 * *x),
                    }
                    for (j, (term, &k)) in hi[..n_terms - 1].iter().zip(&coefs[1..]).enumerate() {
                        let src = take(&mut pending, sp + j).unwrap_or(&term[..n]);
                        for (x, &y) in acc.iter_mut().zip(src) {
                            *x += k * y;
                        }
                    }
                }
                Op::Bin(b) => {
                    sp -= 1;
                    let (lo, hi) = regs.split_at_mut(sp);
                    binary(b, &mut lo[sp - 1][..n], &hi[0][..n]);
                }
            }
        }
        if let Some(s) = take(&mut pending, 0) {
            regs[0][..n].copy_from_slice(s);
        }
        &mut regs[0][..n]
    }
}

/// Stack slots whose load [`eval_in`] may defer.
const DEFER: usize = 16;

/// Takes slot `k`'s deferred load, if it has one.
#[inline(always)]
fn take<'w>(pending: &mut [Option<&'w [f64]>; DEFER], k: usize) -> Option<&'w [f64]> {
    pending.get_mut(k).and_then(Option::take)
}

/// Bit masks of a batch: bit `i % 64` of word `i / 64` stands for lane `i`.
pub type Masks = [u64; LANES / 64];

/// Evaluates a condition over `lanes` into `masks` (bits set where it is true, that is non-zero;
/// bits past the batch are left alone); returns whether its value is a number in every lane
/// (comparisons with a value that is not a finite number give NaN, see [`super::poison`]).
/// A comparison of one variable with a constant, read where the lanes lie side by side in
/// memory (a rule's usual `when`), goes straight from the state to the masks (the state and the
/// constant are finite); everything else is evaluated and then compared with zero.
#[must_use]
pub fn eval_mask(
    code: &Code,
    world: &World,
    lanes: &Lanes,
    stack: &mut Stack,
    masks: &mut Masks,
) -> bool {
    if let [load, Op::BinC(b, c) | Op::CBin(b, c)] = code.ops[..] {
        let b = if matches!(code.ops[1], Op::CBin(..)) {
            b.flipped()
        } else {
            Some(b)
        };
        if let (Some(xs), Some(b)) = (contiguous(load, world, lanes), b) {
            if compare_mask(b, xs, c, masks) {
                return true;
            }
        }
    }
    let cond = eval_in(code, world, lanes, stack);
    let mut bad = false;
    for (word, chunk) in masks.iter_mut().zip(cond.chunks(64)) {
        for (bit, &c) in chunk.iter().enumerate() {
            *word |= u64::from(c != 0.0) << bit;
            bad |= c.is_nan();
        }
    }
    !bad
}

/// The values a load op reads, when they are one slice of the state for these lanes.
#[inline(always)]
fn contiguous<'w>(op: Op, world: &World<'w>, lanes: &Lanes) -> Option<&'w [f64]> {
    match (op, *lanes) {
        (Op::RelOwn(v), Lanes::Edges { start, len }) => {
            Some(&world.rel[v as usize][start as usize..start as usize + len])
        }
        (Op::ActorVar(v, Who::Me), Lanes::Actors { start, len }) => {
            Some(&world.actor[v as usize][start as usize..start as usize + len])
        }
        (Op::AggActor(slot, Who::Me), Lanes::Actors { start, len }) => {
            Some(&world.agg_actor[slot as usize][start as usize..start as usize + len])
        }
        // One value per run of the block, lane `i` run `i`.
        (Op::AggScalar(slot), Lanes::Copies { len }) => {
            let copies = world.block.copies as usize;
            debug_assert_eq!(len, copies);
            Some(&world.agg_scalar[slot as usize * copies..][..len])
        }
        _ => None,
    }
}

/// Sets the bits of `masks` where `x b c` holds; false (nothing written) if `b` is not a
/// comparison.
fn compare_mask(b: Bin, xs: &[f64], c: f64, masks: &mut Masks) -> bool {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::wide() {
        // SAFETY: `wide()` is true only where the CPU has AVX2 (which includes AVX).
        return unsafe { compare_mask_wide(b, xs, c, masks) };
    }
    compare_mask_narrow(b, xs, c, masks)
}

/// [`compare_mask`] on the x86-64 baseline (or any other target).
fn compare_mask_narrow(b: Bin, xs: &[f64], c: f64, masks: &mut Masks) -> bool {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SSE2 (part of every x86-64): two comparisons per instruction, and `movmskpd` turns
        // their results into two bits.
        use std::arch::x86_64::*;
        macro_rules! fill {
            ($cmp:ident) => {{
                let cv = _mm_set1_pd(c);
                let two = |x0: f64, x1: f64| _mm_movemask_pd($cmp(_mm_set_pd(x1, x0), cv)) as u64;
                for (word, chunk) in masks.iter_mut().zip(xs.chunks(64)) {
                    let mut bits = 0u64;
                    let eights = chunk.chunks_exact(8);
                    let tail = eights.remainder();
                    for (k, p) in eights.enumerate() {
                        let byte = two(p[0], p[1])
                            | two(p[2], p[3]) << 2
                            | two(p[4], p[5]) << 4
                            | two(p[6], p[7]) << 6;
                        bits |= byte << (8 * k);
                    }
                    let done = chunk.len() - tail.len();
                    for (i, &x) in tail.iter().enumerate() {
                        bits |= (two(x, x) & 1) << (done + i);
                    }
                    *word |= bits;
                }
            }};
        }
        // SAFETY: SSE2 is part of the x86-64 baseline, so these instructions exist on every
        // machine this code runs on; they take values only, no pointers.
        unsafe {
            match b {
                Bin::Lt => fill!(_mm_cmplt_pd),
                Bin::Le => fill!(_mm_cmple_pd),
                Bin::Gt => fill!(_mm_cmpgt_pd),
                Bin::Ge => fill!(_mm_cmpge_pd),
                Bin::Eq => fill!(_mm_cmpeq_pd),
                // `cmpneq` is the unordered "not equal": true for NaN, as `!=` is.
                Bin::Ne => fill!(_mm_cmpneq_pd),
                _ => return false,
            }
        }
        true
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        macro_rules! fill {
            (|$x:ident| $e:expr) => {
                for (word, chunk) in masks.iter_mut().zip(xs.chunks(64)) {
                    let mut bits = 0u64;
                    for (bit, &$x) in chunk.iter().enumerate() {
                        bits |= u64::from($e) << bit;
                    }
                    *word |= bits;
                }
            };
        }
        match b {
            Bin::Lt => fill!(|x| x < c),
            Bin::Le => fill!(|x| x <= c),
            Bin::Gt => fill!(|x| x > c),
            Bin::Ge => fill!(|x| x >= c),
            Bin::Eq => fill!(|x| x == c),
            Bin::Ne => fill!(|x| x != c),
            _ => return false,
        }
        true
    }
}

/// [`compare_mask`] four lanes per instruction (AVX).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn compare_mask_wide(b: Bin, xs: &[f64], c: f64, masks: &mut Masks) -> bool {
    use std::arch::x86_64::*;
    macro_rules! four {
        ($imm:ident, $cv:expr, $a:expr, $b:expr, $c:expr, $d:expr) => {
            _mm256_movemask_pd(_mm256_cmp_pd::<$imm>(_mm256_set_pd($d, $c, $b, $a), $cv)) as u64
        };
    }
    macro_rules! fill {
        ($imm:ident) => {{
            let cv = _mm256_set1_pd(c);
            for (word, chunk) in masks.iter_mut().zip(xs.chunks(64)) {
                let mut bits = 0u64;
                let eights = chunk.chunks_exact(8);
                let tail = eights.remainder();
                for (k, p) in eights.enumerate() {
                    let byte = four!($imm, cv, p[0], p[1], p[2], p[3])
                        | four!($imm, cv, p[4], p[5], p[6], p[7]) << 4;
                    bits |= byte << (8 * k);
                }
                let done = chunk.len() - tail.len();
                for (i, &x) in tail.iter().enumerate() {
                    bits |= (four!($imm, cv, x, x, x, x) & 1) << (done + i);
                }
                *word |= bits;
            }
        }};
    }
    match b {
        // Ordered predicates (false for NaN), as `<` and friends are; `!=` is the unordered one.
        Bin::Lt => fill!(_CMP_LT_OQ),
        Bin::Le => fill!(_CMP_LE_OQ),
        Bin::Gt => fill!(_CMP_GT_OQ),
        Bin::Ge => fill!(_CMP_GE_OQ),
        Bin::Eq => fill!(_CMP_EQ_OQ),
        Bin::Ne => fill!(_CMP_NEQ_UQ),
        _ => return false,
    }
    true
}

/// `0.0` or `1.0`.
#[inline(always)]
fn truth(c: bool) -> f64 {
    if c {
        1.0
    } else {
        0.0
    }
}

// Expands to a match with one straight-line loop per operator, so that each compiles to
// vectorised code instead of dispatching per element. `$f` gets (left, right) operands.
macro_rules! per_bin {
    ($b:expr, $loop:ident) => {
        match $b {
            Bin::Add => $loop!(|x, y| x + y),
            Bin::Sub => $loop!(|x, y| x - y),
            Bin::Mul => $loop!(|x, y| x * y),
            Bin::Div => $loop!(|x, y| x / y),
            Bin::Mod => $loop!(|x, y| floored_mod(x, y)),
            Bin::Pow => $loop!(|x, y| libm::pow(x, y)),
            Bin::Lt => $loop!(|x, y| truth(x < y) + poison(x, y)),
            Bin::Le => $loop!(|x, y| truth(x <= y) + poison(x, y)),
            Bin::Gt => $loop!(|x, y| truth(x > y) + poison(x, y)),
            Bin::Ge => $loop!(|x, y| truth(x >= y) + poison(x, y)),
            Bin::Eq => $loop!(|x, y| truth(x == y) + poison(x, y)),
            Bin::Ne => $loop!(|x, y| truth(x != y) + poison(x, y)),
            Bin::And => $loop!(|x, y| truth(x != 0.0 && y != 0.0) + poison(x, y)),
            Bin::Or => $loop!(|x, y| truth(x != 0.0 || y != 0.0) + poison(x, y)),
            Bin::Min => $loop!(|x, y| f64::min(x, y) + poison(x, y)),
            Bin::Max => $loop!(|x, y| f64::max(x, y) + poison(x, y)),
        }
    };
}

#[inline(always)]
fn binary(b: Bin, a: &mut [f64], rhs: &[f64]) {
    macro_rules! zip {
        (|$x:ident, $y:ident| $e:expr) => {
            for (slot, &$y) in a.iter_mut().zip(rhs) {
                let $x = *slot;
                *slot = $e;
            }
        };
    }
    per_bin!(b, zip)
}

#[inline(always)]
fn bin_const(b: Bin, a: &mut [f64], c: f64, const_left: bool) {
    macro_rules! right {
        (|$x:ident, $y:ident| $e:expr) => {
            for slot in a.iter_mut() {
                let ($x, $y) = (*slot, c);
                *slot = $e;
            }
        };
    }
    macro_rules! left {
        (|$x:ident, $y:ident| $e:expr) => {
            for slot in a.iter_mut() {
                let ($x, $y) = (c, *slot);
                *slot = $e;
            }
        };
    }
    if const_left {
        per_bin!(b, left)
    } else {
        per_bin!(b, right)
    }
}

#[inline(always)]
fn un(u: Un, a: &mut [f64]) {
    match u {
        Un::Neg => a.iter_mut().for_each(|x| *x = -*x),
        Un::Not => a
            .iter_mut()
            .for_each(|x| *x = truth(*x == 0.0) + poison1(*x)),
        Un::Abs => a.iter_mut().for_each(|x| *x = x.abs()),
        other => a.iter_mut().for_each(|x| *x = other.apply(*x)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gathers_read_what_indexing_reads() {
        let vals: Vec<f64> = (0..600).map(|i| f64::from(i) * 0.25 - 7.0).collect();
        for len in [0, 1, 7, 8, 9, 63, 64, 100, 512] {
            let at: Vec<u32> = (0..len).map(|i| ((i * 97 + 13) % 600) as u32).collect();
            let mut out = vec![f64::NAN; len];
            gather(&vals, &at, &mut out);
            let by_index: Vec<f64> = at.iter().map(|&i| vals[i as usize]).collect();
            assert_eq!(out, by_index, "len {len}");
        }
        // An index past the values is an index out of bounds, whichever way it is read.
        let at: Vec<u32> = (0..16).map(|i| if i == 11 { 600 } else { i }).collect();
        let caught = std::panic::catch_unwind(|| gather(&vals, &at, &mut [0.0; 16]));
        assert!(caught.is_err());
    }

    #[test]
    fn comparison_masks_match_lane_by_lane() {
        let xs: Vec<f64> = (0..150)
            .map(|i| f64::from((i * 37) % 101) / 100.0)
            .collect();
        let mut xs = xs;
        xs[7] = f64::NAN;
        for (b, wide) in [Bin::Lt, Bin::Le, Bin::Gt, Bin::Ge, Bin::Eq, Bin::Ne]
            .into_iter()
            .flat_map(|b| [(b, false), (b, true)])
        {
            let mut masks: Masks = [0; LANES / 64];
            #[cfg(target_arch = "x86_64")]
            let done = if wide && std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: only where the CPU has AVX2.
                unsafe { compare_mask_wide(b, &xs, 0.37, &mut masks) }
            } else {
                compare_mask_narrow(b, &xs, 0.37, &mut masks)
            };
            #[cfg(not(target_arch = "x86_64"))]
            let done = compare_mask_narrow(b, &xs, 0.37, &mut masks);
            assert!(done, "{b:?} wide {wide}");
            for (i, &x) in xs.iter().enumerate() {
                let bit = masks[i / 64] >> (i % 64) & 1 == 1;
                // The masks are the plain comparisons (NaN never reaches them from the state).
                let want = match b {
                    Bin::Lt => x < 0.37,
                    Bin::Le => x <= 0.37,
                    Bin::Gt => x > 0.37,
                    Bin::Ge => x >= 0.37,
                    Bin::Eq => x == 0.37,
                    _ => x != 0.37,
                };
                assert_eq!(bit, want, "{b:?} lane {i}");
            }
            assert!(masks[3..].iter().all(|&w| w == 0), "no bits past the lanes");
        }
    }
}
