//! The stepper's numeric kernels: applying deltas with clamping, finiteness checks, and the
//! sums and folds of aggregates.
//!
//! Plain slices in, numbers out: no model, no state. The `multiversion!` ones are compiled for
//! the baseline and for AVX2 (see [`crate::simd`]); the rest are `#[inline(always)]` so that they
//! are compiled into whichever copy calls them. Every one does the same IEEE operations in the
//! same order in either copy, so results are bit-identical.

use crate::expr::AggFn;

crate::simd::multiversion! {
    /// The fused apply of one batch: `ds[i] = clamp(vals[i] + (ds[i] + out[i]))`, leaving the
    /// unclamped sum in `out[i]` (so that a bad value can be found); whether any sum is not finite.
    pub(super) fn apply_batch(ds: &mut [f64], vals: &[f64], out: &mut [f64], lo: f64, hi: f64) -> bool {
        let mut bad = 0u64;
        for ((dx, &x), o) in ds.iter_mut().zip(vals).zip(out.iter_mut()) {
            let y = x + (*dx + *o);
            bad |= not_finite_bits(y);
            *o = y;
            // Compare-and-select (maxsd/minsd), not f64::clamp, which asserts.
            let y = if y < lo { lo } else { y };
            *dx = if y > hi { hi } else { y };
        }
        bad != 0
    }
}

crate::simd::multiversion! {
    /// Adds deltas into values, zeroes the deltas, clamps; the index of the first value that is
    /// not finite, if any.
    pub(super) fn apply_column(vals: &mut [f64], ds: &mut [f64], range: Option<(f64, f64)>) -> Result<(), usize> {
        // Written so that it vectorises: no early exit, no `clamp` (which asserts), and a NaN or
        // infinity is caught by a comparison that fails for both. Chunks are checked before they are
        // written, so a bad value is found where it arose (the clamp would hide an infinity).
        let (lo, hi) = range.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
        const CHUNK: usize = 1024;
        for (c, (xs, dc)) in vals.chunks_mut(CHUNK).zip(ds.chunks_mut(CHUNK)).enumerate() {
            let bad = xs
                .iter()
                .zip(dc.iter())
                .fold(0, |b, (x, d)| b | not_finite_bits(x + d));
            if bad != 0 {
                let i = xs
                    .iter()
                    .zip(dc.iter())
                    .position(|(x, d)| not_finite(x + d))
                    .unwrap_or(0);
                return Err(c * CHUNK + i);
            }
            for (x, d) in xs.iter_mut().zip(dc.iter_mut()) {
                let y = *x + *d;
                // Compare-and-select (maxsd/minsd), not f64::max/min, whose NaN rules cost more.
                let y = if y < lo { lo } else { y };
                *x = if y > hi { hi } else { y };
                *d = 0.0;
            }
        }
        Ok(())
    }
}

/// Whether `x` is NaN or infinite, as one comparison that vectorises (`x - x` is 0 exactly when
/// `x` is finite).
#[inline(always)]
pub(super) fn not_finite(x: f64) -> bool {
    #[allow(clippy::eq_op)]
    let zero = x - x;
    zero != 0.0
}

/// Not 0 exactly when `x` is NaN or infinite: the bits of `x - x`, which is +0 for every finite
/// `x` and NaN otherwise. Or-ed together over a slice, a check that vectorises as plain
/// integer ors (a `bool` accumulator is packed lane by lane).
#[inline(always)]
fn not_finite_bits(x: f64) -> u64 {
    #[allow(clippy::eq_op)]
    (x - x).to_bits()
}

/// Whether every value is finite, without an early exit (so that it vectorises).
#[inline(always)]
pub(super) fn all_finite(xs: &[f64]) -> bool {
    xs.iter().fold(0, |bad, &x| bad | not_finite_bits(x)) == 0
}

/// `xs[0] + xs[1] + ...` added left to right, four at a time (the same rounding as a plain loop,
/// with less loop overhead on an actor's few relations).
#[inline(always)]
pub(super) fn sum_in_order(xs: &[f64]) -> f64 {
    let fours = xs.chunks_exact(4);
    let tail = fours.remainder();
    let mut acc = 0.0;
    for c in fours {
        acc = acc + c[0] + c[1] + c[2] + c[3];
    }
    tail.iter().fold(acc, |acc, x| acc + x)
}

/// `out[i] = xs[D i] + xs[D i + 1] + ... + xs[D i + D - 1]`, each sum [`sum_in_order`]'s (from
/// 0, left to right), for `xs` of `D × out.len()` values: sums of equal-length runs side by side
/// (one per actor, or one per run of a block), for which the compiler can interleave the
/// additions of neighbouring sums. `false`, doing nothing, for `D` past 8.
#[inline(always)]
pub(super) fn sums_of_runs(xs: &[f64], d: usize, out: &mut [f64]) -> bool {
    #[inline(always)]
    fn sums<const D: usize>(xs: &[f64], out: &mut [f64]) {
        for (x, run) in out.iter_mut().zip(xs.chunks_exact(D)) {
            let mut acc = 0.0;
            for &v in &run[..D] {
                acc += v;
            }
            *x = acc;
        }
    }
    debug_assert_eq!(xs.len(), d * out.len());
    match d {
        1 => sums::<1>(xs, out),
        2 => sums::<2>(xs, out),
        3 => sums::<3>(xs, out),
        4 => sums::<4>(xs, out),
        5 => sums::<5>(xs, out),
        6 => sums::<6>(xs, out),
        7 => sums::<7>(xs, out),
        8 => {
            // Four runs at a time, transposed, where AVX2 runs: the same additions in the same
            // order, without gathering each run's values lane by lane.
            #[cfg(target_arch = "x86_64")]
            if crate::simd::wide() {
                let whole = out.len() / 4 * 4;
                // SAFETY: `wide()` is true only where the CPU has AVX2, and `xs` holds eight
                // values per output.
                unsafe { avx2::sums_of_eights(&xs[..8 * whole], &mut out[..whole]) };
                sums::<8>(&xs[8 * whole..], &mut out[whole..]);
                return true;
            }
            sums::<8>(xs, out)
        }
        _ => return false,
    }
    true
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// `out[i] = ((0 + xs[8i]) + xs[8i + 1]) + … + xs[8i + 7]` for a multiple of four outputs:
    /// four runs' eight values loaded as rows, transposed into eight columns of four, and added
    /// column after column.
    ///
    /// # Safety
    ///
    /// The CPU has AVX2; `xs.len() == 8 * out.len()` and `out.len()` is a multiple of 4.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn sums_of_eights(xs: &[f64], out: &mut [f64]) {
        assert!(xs.len() == 8 * out.len() && out.len().is_multiple_of(4));
        for (o, rows) in out.chunks_exact_mut(4).zip(xs.chunks_exact(32)) {
            let p = rows.as_ptr();
            // SAFETY: `rows` holds 32 values, read as eight vectors of four.
            let [lo, hi]: [[__m256d; 4]; 2] = std::array::from_fn(|half| {
                std::array::from_fn(|r| unsafe { _mm256_loadu_pd(p.add(8 * r + 4 * half)) })
            });
            let mut acc = _mm256_setzero_pd();
            for r in [lo, hi] {
                let t0 = _mm256_unpacklo_pd(r[0], r[1]);
                let t1 = _mm256_unpackhi_pd(r[0], r[1]);
                let t2 = _mm256_unpacklo_pd(r[2], r[3]);
                let t3 = _mm256_unpackhi_pd(r[2], r[3]);
                // Column j of the four runs, j = 0..4 of this half.
                acc = _mm256_add_pd(acc, _mm256_permute2f128_pd::<0x20>(t0, t2));
                acc = _mm256_add_pd(acc, _mm256_permute2f128_pd::<0x20>(t1, t3));
                acc = _mm256_add_pd(acc, _mm256_permute2f128_pd::<0x31>(t0, t2));
                acc = _mm256_add_pd(acc, _mm256_permute2f128_pd::<0x31>(t1, t3));
            }
            // SAFETY: `o` holds four values.
            unsafe { _mm256_storeu_pd(o.as_mut_ptr(), acc) };
        }
    }
}

/// A sum with eight independent accumulators (fixed order, so still deterministic), which
/// removes the add-latency chain of a plain loop.
#[inline(always)]
fn sum(xs: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = xs.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    let head = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    tail.iter().fold(head, |s, x| s + x)
}

/// Folds a slice with an aggregate function, computing only what the function needs.
#[inline(always)]
pub(super) fn fold_slice(func: AggFn, xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    match func {
        // Short slices (a few relations per actor): a plain loop beats the set-up of `sum`.
        AggFn::Mean if xs.len() < 16 => xs.iter().fold(0.0, |s, x| s + x) / xs.len() as f64,
        AggFn::Sum if xs.len() < 16 => xs.iter().fold(0.0, |s, x| s + x),
        AggFn::Mean => sum(xs) / xs.len() as f64,
        AggFn::Sum => sum(xs),
        // Compare-and-select, not f64::min/max: those may be vectorised into a different
        // reduction tree in the AVX2 and baseline copies, and disagree on the sign of a zero.
        AggFn::Min => xs
            .iter()
            .fold(f64::INFINITY, |m, &x| if x < m { x } else { m }),
        AggFn::Max => xs
            .iter()
            .fold(f64::NEG_INFINITY, |m, &x| if x > m { x } else { m }),
        AggFn::Count => xs.len() as f64,
    }
}

/// Folds values with an aggregate function; an empty set gives 0.
pub(super) fn fold(func: AggFn, values: impl Iterator<Item = f64>) -> f64 {
    let (mut n, mut sum, mut min, mut max) = (0u64, 0.0, f64::INFINITY, f64::NEG_INFINITY);
    for x in values {
        n += 1;
        sum += x;
        min = if x < min { x } else { min };
        max = if x > max { x } else { max };
    }
    if n == 0 {
        return 0.0;
    }
    match func {
        AggFn::Mean => sum / n as f64,
        AggFn::Sum => sum,
        AggFn::Min => min,
        AggFn::Max => max,
        AggFn::Count => n as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_of_runs_add_as_each_run_alone_would() {
        // Values whose sums depend on the order of additions, and a negative zero (which a sum
        // from 0 turns into +0).
        let xs: Vec<f64> = (0..8 * 37)
            .map(|i| match i % 5 {
                0 => 1e16,
                1 => -0.0,
                2 => 1.0 + i as f64 * 1e-3,
                3 => -1e16,
                _ => 3.3e-7 * i as f64,
            })
            .collect();
        for d in 1..=8 {
            let n = xs.len() / d;
            let mut out = vec![f64::NAN; n];
            assert!(sums_of_runs(&xs[..d * n], d, &mut out));
            for (i, &x) in out.iter().enumerate() {
                let alone = sum_in_order(&xs[d * i..d * (i + 1)]);
                assert_eq!(x.to_bits(), alone.to_bits(), "d {d}, run {i}");
                let plain = xs[d * i..d * (i + 1)].iter().fold(0.0, |s, x| s + x);
                assert_eq!(x.to_bits(), plain.to_bits(), "d {d}, run {i}");
            }
        }
        assert!(!sums_of_runs(&xs[..9], 9, &mut [0.0]));
    }
}
