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
    debug_assert!(batch.target.is_none_or(|t| t.len() == batch.actor.len()));
    assert!(batch.actor.len() <= crate::expr::LANES);
    #[cfg(target_arch = "x86_64")]
    if crate::simd::wide512() {
        // SAFETY: `wide512()` is true only where the CPU has AVX-512 F and DQ.
        return Some(unsafe { avx512::below(batch, threshold) });
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
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn load(lanes: &[u64], i: usize, k: __mmask8) -> __m512i {
        debug_assert!(i + (k.count_ones() as usize) <= lanes.len());
        // SAFETY: `k` marks only lanes `i..lanes.len()`, and masked-off lanes are not read.
        unsafe { _mm512_maskz_loadu_epi64(k, lanes.as_ptr().add(i).cast()) }
    }

    /// See [`super::mix_each`].
    #[target_feature(enable = "avx512f,avx512dq")]
    pub(super) fn mix_each(keys: &[u64], salt: u64, out: &mut [u64]) {
        let salt = _mm512_set1_epi64(salt as i64);
        let len = keys.len().min(out.len());
        for i in (0..len).step_by(8) {
            let k: __mmask8 = if len - i >= 8 {
                0xff
            } else {
                (1u8 << (len - i)) - 1
            };
            let mixed = mix(_mm512_xor_si512(load(keys, i, k), salt));
            // SAFETY: `k` marks only lanes `i..len` of `out`, and masked-off lanes are not
            // written.
            unsafe { _mm512_mask_storeu_epi64(out.as_mut_ptr().add(i).cast(), k, mixed) };
        }
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
        // The base keys are put together in registers, a broadcast per run the eight lanes
        // cover (a vector load of keys just stored one by one would wait for the stores).
        let per_run = batch.per_run as usize;
        let mut run = batch.first as usize / per_run;
        let mut next_run_at = (run + 1) * per_run - batch.first as usize;
        for (word, bits) in out.iter_mut().enumerate() {
            let mut acc = 0u64;
            for part in 0..8 {
                let i = word * 64 + part * 8;
                if i >= len {
                    break;
                }
                let k: __mmask8 = if len - i >= 8 {
                    0xff
                } else {
                    (1u8 << (len - i)) - 1
                };
                let mut base = _mm512_set1_epi64(batch.bases[run] as i64);
                while next_run_at < (i + 8).min(len) {
                    run += 1;
                    let later: __mmask8 = 0xff << (next_run_at - i);
                    base = _mm512_mask_mov_epi64(
                        base,
                        later,
                        _mm512_set1_epi64(batch.bases[run] as i64),
                    );
                    next_run_at += per_run;
                }
                let first = mix(_mm512_xor_si512(base, load(batch.actor, i, k)));
                let h = match batch.target {
                    Some(target) => mix(_mm512_xor_si512(first, load(target, i, k))),
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
        let mut key = 3u64;
        let mut next = || {
            key = rng::mix(key);
            key
        };
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
