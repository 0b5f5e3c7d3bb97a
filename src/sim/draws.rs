//! A rule's draws over a whole batch of lanes at once, eight lanes per instruction.
//!
//! A draw is `uniform(place(base, actor key, target key)) < p`: two rounds of SplitMix64's
//! finaliser, each with two 64-bit multiplies. Drawing lane by lane only where a rule's
//! condition holds costs a chain of dependent multiplies per drawn lane; when many conditions
//! hold, drawing every lane of the batch with AVX-512 (which multiplies eight 64-bit lanes in
//! one instruction) is several times cheaper, and the draws for lanes whose condition fails are
//! simply dropped. Draws are pure functions of their place, so either way gives the same bits.
//!
//! The comparison is done on integers: `uniform(h) = (h >> 11) × 2⁻⁵³` exactly, so for a finite
//! `p`, `uniform(h) < p` exactly when `h >> 11 < ⌈p × 2⁵³⌉` ([`threshold`]).

use crate::expr::Masks;

/// The integer threshold of a finite probability `p`: `uniform(h) < p` exactly when
/// `h >> 11 < threshold(p)`.
///
/// `p × 2⁵³` is exact (a power-of-two scaling), and for an integer `x`, `x < y` exactly when
/// `x < ⌈y⌉`. Probabilities at or above 1 give 2⁵³ (every draw is below), at or below 0 give 0.
pub(super) fn threshold(p: f64) -> u64 {
    let scale = (1u64 << 53) as f64;
    (p * scale).ceil().clamp(0.0, scale) as u64
}

/// The lanes to draw for at once: lane `i` is lane `first + i` of the block (a relation or an
/// actor), of run `(first + i) / per_run`, whose base key (for the rule and the step) is
/// `bases[run]`; its actor key, and its target key (already rotated as [`crate::rng::place`]
/// rotates it; `None` when the lanes have no target).
pub(super) struct Batch<'a> {
    pub first: u32,
    pub per_run: u32,
    pub bases: &'a [u64],
    pub actor: &'a [u64],
    pub target: Option<&'a [u64]>,
}

/// Whether a batch in which `drawn_lanes` of `len` lanes need a draw is cheaper drawn whole
/// ([`below`]) than lane by lane: a whole batch costs about a sixteenth of a lane-by-lane draw
/// per lane.
pub(super) fn whole_batch_pays(drawn_lanes: u32, len: usize) -> bool {
    crate::simd::wide512() && drawn_lanes as usize * 16 >= len
}

/// The lanes of `batch` whose draw is below `threshold`, as bits (lane `i` is bit `i % 64` of
/// word `i / 64`; bits past the batch are 0); `None`, having done nothing, where the AVX-512
/// kernel does not run.
pub(super) fn below(batch: &Batch, threshold: u64) -> Option<Masks> {
    debug_assert!(batch.per_run > 0);
    debug_assert!(
        batch.actor.is_empty()
            || ((batch.first as usize + batch.actor.len() - 1) / batch.per_run as usize)
                < batch.bases.len()
    );
    // The kernel's masks are built from `actor`'s length: `target` must be as long.
    assert!(batch.target.is_none_or(|t| t.len() == batch.actor.len()));
    assert!(batch.actor.len() <= crate::expr::LANES);
    #[cfg(target_arch = "x86_64")]
    if crate::simd::wide512() {
        // SAFETY: `wide512()` is true only where the CPU has AVX-512 F and DQ.
        return Some(unsafe { avx512::below(batch, threshold) });
    }
    let _ = threshold;
    None
}

/// Relations to draw for at once, of a graph where every actor has `degree` out-relations (so
/// relation `e` is actor `e / degree`'s): the first round of each draw's mixing, which depends on
/// the actor only, is done once per actor. Relation `i` of the batch is actor
/// `first_actor + i / degree`'s, of run `(first_actor + i / degree) / actors_per_run`; `actor`
/// holds the keys of the actors from `first_actor` on, `target` the rotated target keys of the
/// batch's relations.
pub(super) struct Shared<'a> {
    pub first_actor: u32,
    pub degree: u32,
    pub actors_per_run: u32,
    pub bases: &'a [u64],
    pub actor: &'a [u64],
    pub target: &'a [u64],
}

/// [`below`] for a batch of [`Shared`] relations, for a degree of 2, 4 or 8; `None`, having done
/// nothing, for another degree or where the AVX-512 kernel does not run.
pub(super) fn below_shared(batch: &Shared, threshold: u64) -> Option<Masks> {
    assert!(batch.target.len() <= crate::expr::LANES);
    let d = batch.degree as usize;
    if !matches!(d, 2 | 4 | 8) {
        return None;
    }
    assert!(batch.actor.len() >= batch.target.len().div_ceil(d));
    #[cfg(target_arch = "x86_64")]
    if crate::simd::wide512() {
        // SAFETY: `wide512()` is true only where the CPU has AVX-512 F and DQ.
        return Some(unsafe { avx512::below_shared(batch, threshold) });
    }
    let _ = threshold;
    None
}

/// `out[i] = mix(keys[i] ^ salt)` ([`crate::rng::mix`]) for every `i`: the keys of one step, or
/// of one rule's draws, for each run of a block.
pub(super) fn mix_each(keys: &[u64], salt: u64, out: &mut [u64]) {
    debug_assert_eq!(keys.len(), out.len());
    #[cfg(target_arch = "x86_64")]
    if crate::simd::wide512() && keys.len() >= 8 {
        // SAFETY: `wide512()` is true only where the CPU has AVX-512 F and DQ.
        return unsafe { avx512::mix_each(keys, salt, out) };
    }
    for (o, &k) in out.iter_mut().zip(keys) {
        *o = crate::rng::mix(k ^ salt);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::Batch;
    use crate::expr::Masks;
    use std::arch::x86_64::*;

    /// [`crate::rng::mix`] on eight lanes.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq")]
    fn mix(z: __m512i) -> __m512i {
        let z = _mm512_add_epi64(z, _mm512_set1_epi64(0x9E37_79B9_7F4A_7C15_u64 as i64));
        let z = _mm512_xor_si512(z, _mm512_srli_epi64::<30>(z));
        let z = _mm512_mullo_epi64(z, _mm512_set1_epi64(0xBF58_476D_1CE4_E5B9_u64 as i64));
        let z = _mm512_xor_si512(z, _mm512_srli_epi64::<27>(z));
        let z = _mm512_mullo_epi64(z, _mm512_set1_epi64(0x94D0_49BB_1331_11EB_u64 as i64));
        _mm512_xor_si512(z, _mm512_srli_epi64::<31>(z))
    }

    /// Loads up to eight lanes from `i` (the lanes `k` marks; the others read nothing and are 0).
    ///
    /// # Safety
    ///
    /// `k` marks only lanes `i + j` with `i + j < lanes.len()`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn load(lanes: &[u64], i: usize, k: __mmask8) -> __m512i {
        debug_assert!(k == 0 || i + 8 - k.leading_zeros() as usize <= lanes.len());
        // SAFETY: masked-off lanes are not read, and the caller says the others are in `lanes`.
        unsafe { _mm512_maskz_loadu_epi64(k, lanes.as_ptr().add(i).cast()) }
    }

    /// See [`super::mix_each`].
    #[target_feature(enable = "avx512f,avx512dq")]
    pub(super) fn mix_each(keys: &[u64], salt: u64, out: &mut [u64]) {
        let salt = _mm512_set1_epi64(salt as i64);
        let len = keys.len().min(out.len());
        for i in (0..len).step_by(8) {
            let k = lanes_from(i, len);
            // SAFETY: `k` marks lanes `i..len` only, and `len <= keys.len()`.
            let mixed = mix(_mm512_xor_si512(unsafe { load(keys, i, k) }, salt));
            // SAFETY: `k` marks only lanes `i..len` of `out`, and masked-off lanes are not
            // written.
            unsafe { _mm512_mask_storeu_epi64(out.as_mut_ptr().add(i).cast(), k, mixed) };
        }
    }

    /// The lanes `i..i + 8` of `len` as a mask.
    #[inline]
    fn lanes_from(i: usize, len: usize) -> __mmask8 {
        if len - i >= 8 {
            0xff
        } else {
            (1u8 << (len - i)) - 1
        }
    }

    /// The base keys of lanes side by side, lane `l` of run `(first + l) / per_run`, put together
    /// in registers eight at a time: a broadcast per run the eight lanes cover (a vector load of
    /// keys just stored one by one would wait for the stores).
    struct RunBases<'a> {
        bases: &'a [u64],
        per_run: usize,
        run: usize,
        next_run_at: usize,
    }

    impl<'a> RunBases<'a> {
        fn new(bases: &'a [u64], per_run: u32, first: u32) -> RunBases<'a> {
            let (per_run, first) = (per_run as usize, first as usize);
            let run = first / per_run;
            RunBases {
                bases,
                per_run,
                run,
                next_run_at: (run + 1) * per_run - first,
            }
        }

        /// The base keys of lanes `i..i + 8` (of `len`); calls must go in order of `i`.
        #[inline]
        #[target_feature(enable = "avx512f")]
        fn at(&mut self, i: usize, len: usize) -> __m512i {
            let mut base = _mm512_set1_epi64(self.bases[self.run] as i64);
            while self.next_run_at < (i + 8).min(len) {
                self.run += 1;
                let later: __mmask8 = 0xff << (self.next_run_at - i);
                let next = _mm512_set1_epi64(self.bases[self.run] as i64);
                base = _mm512_mask_mov_epi64(base, later, next);
                self.next_run_at += self.per_run;
            }
            base
        }
    }

    /// See [`super::below_shared`].
    #[target_feature(enable = "avx512f,avx512dq")]
    pub(super) fn below_shared(batch: &super::Shared, threshold: u64) -> Masks {
        let len = batch.target.len();
        let d = batch.degree as usize;
        let limit = _mm512_set1_epi64(threshold as i64);
        // Bits of eight lanes each (byte `j` of word `w` is lanes `64w + 8j ..`), stored whole
        // rather than or-ed into a word in memory (a chain through the store).
        let mut bytes = [0u8; crate::expr::LANES / 8];
        let n_actors = len.div_ceil(d);
        let mut bases = RunBases::new(batch.bases, batch.actors_per_run, batch.first_actor);
        let spread = &SPREAD[d.trailing_zeros() as usize - 1];
        for a in (0..n_actors).step_by(8) {
            let base = bases.at(a, n_actors);
            let ka = lanes_from(a, n_actors);
            // SAFETY: `ka` marks actors `a..n_actors` only, and `below_shared` asserts that
            // `actor` holds `n_actors`.
            let first = mix(_mm512_xor_si512(base, unsafe { load(batch.actor, a, ka) }));
            for (q, spread) in spread.iter().enumerate().take(d) {
                let i = a * d + 8 * q;
                if i >= len {
                    break;
                }
                let k = lanes_from(i, len);
                // SAFETY: `spread` is eight `i64`s; an unaligned load reads them.
                let spread = unsafe { _mm512_loadu_si512(spread.as_ptr().cast()) };
                let shared = _mm512_permutexvar_epi64(spread, first);
                // SAFETY: `k` marks lanes `i..len` only, `len` being `target`'s length.
                let h = mix(_mm512_xor_si512(shared, unsafe {
                    load(batch.target, i, k)
                }));
                bytes[i / 8] = _mm512_mask_cmplt_epu64_mask(k, _mm512_srli_epi64::<11>(h), limit);
            }
        }
        std::array::from_fn(|w| u64::from_le_bytes(std::array::from_fn(|j| bytes[8 * w + j])))
    }

    /// Per degree 2, 4 and 8: lane `l` of the `q`-th eight relations of eight actors, each with
    /// `d` relations, is actor `(8q + l) / d`'s.
    static SPREAD: [[[i64; 8]; 8]; 3] = [spread(2), spread(4), spread(8)];

    const fn spread(d: usize) -> [[i64; 8]; 8] {
        let mut table = [[0; 8]; 8];
        let mut q = 0;
        while q < 8 {
            let mut l = 0;
            while l < 8 {
                table[q][l] = ((8 * q + l) / d) as i64;
                l += 1;
            }
            q += 1;
        }
        table
    }

    /// See [`super::below`].
    #[target_feature(enable = "avx512f,avx512dq")]
    pub(super) fn below(batch: &Batch, threshold: u64) -> Masks {
        let len = batch.actor.len();
        let limit = _mm512_set1_epi64(threshold as i64);
        let mut out: Masks = [0; crate::expr::LANES / 64];
        if len == 0 {
            return out;
        }
        let mut bases = RunBases::new(batch.bases, batch.per_run, batch.first);
        for (word, bits) in out.iter_mut().enumerate() {
            let mut acc = 0u64;
            for part in 0..8 {
                let i = word * 64 + part * 8;
                if i >= len {
                    break;
                }
                let k = lanes_from(i, len);
                let base = bases.at(i, len);
                // SAFETY: `k` marks lanes `i..len` only, `len` being `actor`'s length, which
                // `below` asserts is `target`'s too.
                let first = mix(_mm512_xor_si512(base, unsafe { load(batch.actor, i, k) }));
                let h = match batch.target {
                    Some(target) => mix(_mm512_xor_si512(first, unsafe { load(target, i, k) })),
                    None => mix(first),
                };
                let hit = _mm512_mask_cmplt_epu64_mask(k, _mm512_srli_epi64::<11>(h), limit);
                acc |= u64::from(hit) << (part * 8);
            }
            *bits = acc;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;

    fn lane_by_lane(batch: &Batch, p: f64) -> Masks {
        let mut out: Masks = [0; crate::expr::LANES / 64];
        for i in 0..batch.actor.len() {
            let target = batch.target.map_or(0, |t| t[i]);
            // `place` rotates the target key itself; undo the batch's rotation.
            let base = batch.bases[(batch.first as usize + i) / batch.per_run as usize];
            let h = rng::place(base, batch.actor[i], target.rotate_right(29));
            if rng::uniform(h) < p {
                out[i / 64] |= 1 << (i % 64);
            }
        }
        out
    }

    /// Keys mixed from `seed` in turn.
    fn key_stream(mut key: u64) -> impl FnMut() -> u64 {
        move || {
            key = rng::mix(key);
            key
        }
    }

    #[test]
    fn the_integer_threshold_is_the_float_comparison() {
        let ps = [
            0.0,
            -0.5,
            1e-300,
            f64::MIN_POSITIVE / 4.0,
            0.05,
            0.1,
            0.2,
            0.5,
            1.0 - f64::EPSILON / 2.0,
            1.0,
            7.0,
            f64::INFINITY,
        ];
        for &p in &ps {
            let t = threshold(p);
            // At the boundary and around it.
            for x in [0, 1, t.saturating_sub(1), t, t + 1, (1 << 53) - 1] {
                if x >= 1 << 53 {
                    continue;
                }
                let h = x << 11 | 0x7ff;
                assert_eq!(rng::uniform(h) < p, x < t, "p {p}, x {x}, t {t}");
            }
        }
        let mut key = 1u64;
        for _ in 0..10_000 {
            key = rng::mix(key);
            let p = rng::uniform(rng::mix(key ^ 5));
            let h = rng::mix(key ^ 9);
            assert_eq!(rng::uniform(h) < p, h >> 11 < threshold(p));
        }
    }

    #[test]
    fn draws_shared_per_actor_are_the_draws() {
        if !crate::simd::wide512() {
            return;
        }
        let mut next = key_stream(5u64);
        let bases: Vec<u64> = (0..3000).map(|_| next()).collect();
        let actor_keys: Vec<u64> = (0..2000).map(|_| next()).collect();
        let target: Vec<u64> = (0..crate::expr::LANES).map(|_| next()).collect();
        for d in [2u32, 4, 8] {
            for (first_actor, actors_per_run) in [(0, 4), (64, 4), (3, 5), (10, 1), (7, 300)] {
                for len in (0..=crate::expr::LANES).filter(|l| l % 13 == 0 || l % 64 < 3) {
                    let shared = Shared {
                        first_actor,
                        degree: d,
                        actors_per_run,
                        bases: &bases,
                        actor: &actor_keys[first_actor as usize..],
                        target: &target[..len],
                    };
                    let actor: Vec<u64> = (0..len)
                        .map(|i| actor_keys[first_actor as usize + i / d as usize])
                        .collect();
                    let batch = Batch {
                        first: first_actor * d,
                        per_run: actors_per_run * d,
                        bases: &bases,
                        actor: &actor,
                        target: Some(&target[..len]),
                    };
                    for p in [0.05, 0.5, 0.97] {
                        assert_eq!(
                            below_shared(&shared, threshold(p)),
                            Some(lane_by_lane(&batch, p)),
                            "d {d}, first actor {first_actor}, per run {actors_per_run}, len {len}"
                        );
                    }
                }
            }
        }
        let odd = Shared {
            degree: 3,
            first_actor: 0,
            actors_per_run: 4,
            bases: &bases,
            actor: &actor_keys,
            target: &target,
        };
        assert_eq!(below_shared(&odd, 5), None);
    }

    #[test]
    fn keys_mixed_eight_at_a_time_are_mixed_keys() {
        for len in 0..40 {
            let keys: Vec<u64> = (0..len).map(|i| rng::mix(i as u64 * 77)).collect();
            let mut out = vec![0; len];
            mix_each(&keys, 0xabc, &mut out);
            let one_by_one: Vec<u64> = keys.iter().map(|k| rng::mix(k ^ 0xabc)).collect();
            assert_eq!(out, one_by_one, "len {len}");
        }
    }

    #[test]
    fn a_whole_batch_draws_what_lane_by_lane_draws() {
        if !crate::simd::wide512() {
            return;
        }
        let mut next = key_stream(3u64);
        let bases: Vec<u64> = (0..1100).map(|_| next()).collect();
        for len in (0..=crate::expr::LANES).filter(|l| l % 7 == 0 || l % 64 < 2 || *l > 505) {
            let actor: Vec<u64> = (0..len).map(|_| next()).collect();
            let target: Vec<u64> = (0..len).map(|_| next().rotate_left(29)).collect();
            let layouts = [(0, 1), (0, 8), (3, 4), (512, 8), (13, 5), (7, 3), (9, 600)];
            for (first, per_run) in layouts {
                for p in [0.0, 0.05, 0.5, 0.97, 1.0] {
                    for with_target in [false, true] {
                        let batch = Batch {
                            first,
                            per_run,
                            bases: &bases,
                            actor: &actor,
                            target: with_target.then_some(&target[..]),
                        };
                        assert_eq!(
                            below(&batch, threshold(p)),
                            Some(lane_by_lane(&batch, p)),
                            "len {len}, first {first}, per run {per_run}, p {p}, {with_target}"
                        );
                    }
                }
            }
        }
    }
}
