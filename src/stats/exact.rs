//! Exact summation of `f64` values: a fixed-point accumulator wide enough for every finite
//! double (a "long accumulator", Kulisch & Miranker 1981, *Computer Arithmetic in Theory and
//! Practice*), rounded once, to nearest with ties to even, when read.
//!
//! Because nothing is rounded before the end, a sum does not depend on the order of its terms
//! or on how they were grouped: a sum of partial sums ([`ExactSum::merge`]) is the sum of all
//! the terms, bit for bit. That is what lets an ensemble split into shards, or resumed from a
//! checkpoint, report the same means as one made in a single pass.
//!
//! The accumulator holds 68 signed 64-bit digits of 32 bits each; digit 0 weighs 2⁻¹⁰⁷⁴, the
//! smallest subnormal, so every double is an integer number of units and adding one touches at
//! most three digits. Carries are propagated every 2³⁰ additions, before any digit could
//! overflow. Infinities and NaN are kept aside and give IEEE's answer: NaN if any term was NaN
//! or both infinities occurred, else the infinity that occurred.

use serde::{Deserialize, Serialize};

/// Digits of the accumulator: 2⁻¹⁰⁷⁴ · 2^(32 · 68) = 2¹¹⁰² bounds any sum of up to 2⁷⁸ finite
/// doubles.
const DIGITS: usize = 68;
/// Additions between carry propagations: each adds less than 2³² to a digit, so a digit stays
/// below 2⁶² + 2³² in magnitude.
const CARRY_EVERY: u32 = 1 << 30;

/// The exact sum of the `f64` values added to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExactSum {
    digits: [i64; DIGITS],
    pending: u32,
    nan: bool,
    pos_inf: bool,
    neg_inf: bool,
}

impl Default for ExactSum {
    fn default() -> ExactSum {
        ExactSum::new()
    }
}

/// A double's sign, biased exponent (0x7ff for the non-finite), and magnitude as `m · 2^shift`
/// units of 2⁻¹⁰⁷⁴ (`m < 2⁵³`; meaningless for the non-finite).
#[inline(always)]
fn split(x: f64) -> (bool, u32, u64, u32) {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as u32;
    let frac = bits & ((1 << 52) - 1);
    let (m, shift) = if exp == 0 {
        (frac, 0)
    } else {
        (frac | (1 << 52), exp - 1)
    };
    (bits >> 63 == 1, exp, m, shift)
}

/// A finite double as an integer number of units of 2⁻¹⁰⁷⁴ (`m · 2^shift` units, `m < 2⁵³`)
/// and its sign; `None` for a zero.
#[inline(always)]
fn decompose(x: f64) -> Option<(bool, u64, u32)> {
    let (negative, _, m, shift) = split(x);
    (m != 0).then_some((negative, m, shift))
}

impl ExactSum {
    /// An empty sum (zero).
    pub fn new() -> ExactSum {
        ExactSum {
            digits: [0; DIGITS],
            pending: 0,
            nan: false,
            pos_inf: false,
            neg_inf: false,
        }
    }

    /// Adds `x`, exactly.
    #[inline]
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            if x.is_nan() {
                self.nan = true;
            } else if x > 0.0 {
                self.pos_inf = true;
            } else {
                self.neg_inf = true;
            }
            return;
        }
        let Some((negative, m, shift)) = decompose(x) else {
            return;
        };
        self.add_units(negative, m, shift);
    }

    /// Adds `±m · 2^shift` units of 2⁻¹⁰⁷⁴ (`m < 2⁶³`, `shift` ≤ 2045): less than 2³² into
    /// each of three digits.
    #[inline(always)]
    fn add_units(&mut self, negative: bool, m: u64, shift: u32) {
        let (i, off) = ((shift / 32) as usize, shift % 32);
        // m < 2⁶³ shifted by off < 32: below 2⁹⁵, so the top part is below 2³¹.
        let v = u128::from(m) << off;
        let parts = [
            (v & 0xffff_ffff) as i64,
            ((v >> 32) & 0xffff_ffff) as i64,
            (v >> 64) as i64,
        ];
        // shift ≤ 2045: i ≤ 63, and i + 3 ≤ DIGITS.
        let d = &mut self.digits[i..i + 3];
        if negative {
            d[0] -= parts[0];
            d[1] -= parts[1];
            d[2] -= parts[2];
        } else {
            d[0] += parts[0];
            d[1] += parts[1];
            d[2] += parts[2];
        }
        self.pending += 1;
        if self.pending == CARRY_EVERY {
            self.carry();
        }
    }

    /// Adds to each sum of `sums` its column of the rows of `stripes`, in order: `sums[j]` gets
    /// the value of column `offset + j` of every row, exactly (the same sums as adding each value
    /// in turn), but several times faster for many rows: each column goes through a [`Window`]
    /// that sums the terms of the 64 binades about its first term as integers, a few
    /// instructions a term, and adds them to the sum once every [`WINDOW_TERMS`] rows; the other
    /// terms (other magnitudes, non-finite ones) are added as [`ExactSum::add`] adds them. A
    /// [`Stripe`]'s tile of [`TILE`] columns at a time, read in one stream, the values of a row
    /// side by side, so that the windows' additions do not wait on one another. `offset` is a
    /// multiple of [`TILE`]. The values of the rows `keep` names (counted over all the stripes)
    /// are copied out on the way, column by column ([`Keep`]).
    pub(crate) fn add_columns(
        sums: &mut [ExactSum],
        stripes: &[Stripe<'_>],
        offset: usize,
        keep: Keep<'_>,
    ) {
        debug_assert_eq!(offset % TILE, 0);
        let kept = keep.rows.len();
        debug_assert_eq!(keep.keys.len(), sums.len() * kept);
        for (t, tile) in sums.chunks_mut(TILE).enumerate() {
            let (first, side) = (offset / TILE + t, tile.len());
            let keys = &mut keep.keys[t * TILE * kept..][..side * kept];
            let mut windows = [Window::EMPTY; TILE];
            let (mut next, mut row, mut in_window) = (0, 0u32, 0);
            for (s, stripe) in stripes.iter().enumerate() {
                let width = stripe.width;
                // The next stripe lies elsewhere: its first lines asked for meanwhile.
                if let Some(ahead) = stripes.get(s + 1) {
                    let ahead = &ahead.values[first * TILE * ahead.width..];
                    for line in ahead.chunks(TILE).take(4) {
                        crate::simd::prefetch(line.as_ptr());
                    }
                }
                let rows = &stripe.values[first * TILE * width..][..TILE * width];
                for values in rows.chunks_exact(TILE) {
                    let values = &values[..side];
                    for ((w, sum), &x) in windows.iter_mut().zip(tile.iter_mut()).zip(values) {
                        w.add(x, sum);
                    }
                    if keep.rows.get(next) == Some(&row) {
                        for (j, &x) in values.iter().enumerate() {
                            keys[j * kept + next] = super::ordered(x);
                        }
                        next += 1;
                    }
                    row += 1;
                    in_window += 1;
                    if in_window == WINDOW_TERMS {
                        for (w, sum) in windows.iter_mut().zip(tile.iter_mut()) {
                            w.pass_on(sum);
                        }
                        in_window = 0;
                    }
                }
            }
            for (w, sum) in windows.iter_mut().zip(tile.iter_mut()) {
                w.pass_on(sum);
            }
        }
    }

    /// Adds the exact product `a · b` (as the product and its rounding error, which are exact
    /// unless the product overflows or its error falls below the subnormals).
    pub fn add_product(&mut self, a: f64, b: f64) {
        let p = a * b;
        self.add(p);
        if p.is_finite() {
            self.add(a.mul_add(b, -p));
        }
    }

    /// Adds every term of `other`: the result is the exact sum of both sets of terms.
    pub fn merge(&mut self, other: &ExactSum) {
        self.carry();
        let mut o = other.clone();
        o.carry();
        for (a, b) in self.digits.iter_mut().zip(o.digits.iter()) {
            *a += b;
        }
        self.carry();
        self.nan |= other.nan;
        self.pos_inf |= other.pos_inf;
        self.neg_inf |= other.neg_inf;
    }

    /// Propagates carries: every digit but the top one into [0, 2³²), the top one signed.
    fn carry(&mut self) {
        let d = &mut self.digits;
        for i in 0..DIGITS - 1 {
            let c = d[i] >> 32;
            d[i] -= c << 32;
            d[i + 1] += c;
        }
        self.pending = 0;
    }

    /// Whether the sum is negative, and its magnitude with carries propagated (every digit in
    /// [0, 2³²)).
    fn magnitude(&self) -> (bool, ExactSum) {
        let mut n = self.clone();
        n.carry();
        let negative = n.digits[DIGITS - 1] < 0;
        if negative {
            for d in n.digits.iter_mut() {
                *d = -*d;
            }
            n.carry();
        }
        (negative, n)
    }

    /// The sum, rounded to the nearest double (ties to even), ±∞ past the largest.
    pub fn value(&self) -> f64 {
        if self.nan || (self.pos_inf && self.neg_inf) {
            return f64::NAN;
        }
        if self.pos_inf {
            return f64::INFINITY;
        }
        if self.neg_inf {
            return f64::NEG_INFINITY;
        }
        let (negative, n) = self.magnitude();
        let d = &n.digits;
        let Some(h) = d.iter().rposition(|&x| x != 0) else {
            return 0.0;
        };
        // The top three digits as one window, and whether anything below it is set.
        let lo = h.saturating_sub(2);
        let mut window: u128 = 0;
        for &x in d[lo..=h].iter().rev() {
            window = (window << 32) | x as u128;
        }
        let sticky = d[..lo].iter().any(|&x| x != 0);
        let base = 32 * lo as u32;
        let total = base + (128 - window.leading_zeros());
        let (mut m, mut shift) = if total <= 53 {
            (window as u64, 0)
        } else {
            let shift = total - 53;
            let s = shift - base;
            let kept = window >> s;
            let rest = window & ((1u128 << s) - 1);
            let half = 1u128 << (s - 1);
            let up = rest > half || (rest == half && (sticky || kept & 1 == 1));
            (kept as u64 + u64::from(up), shift)
        };
        if m == 1 << 53 {
            m >>= 1;
            shift += 1;
        }
        // value = m · 2^(shift − 1074); biased exponent shift + 1 for a normal number.
        let magnitude = if shift + 1 >= 2047 {
            f64::INFINITY
        } else if m < 1 << 52 {
            f64::from_bits(m)
        } else {
            f64::from_bits((u64::from(shift + 1) << 52) | (m - (1 << 52)))
        };
        if negative {
            -magnitude
        } else {
            magnitude
        }
    }

    /// The sum as a few doubles whose exact sum it is (the digits, each exactly representable
    /// unless the sum is beyond the doubles' range), lowest first.
    fn pieces(&self) -> Vec<f64> {
        // A negative sum's carried digits are its complement (every digit above it set): the
        // pieces of its magnitude, negated.
        let (negative, n) = self.magnitude();
        let sign = if negative { -1.0 } else { 1.0 };
        n.digits
            .iter()
            .enumerate()
            .filter(|(_, &d)| d != 0)
            .map(|(i, &d)| sign * d as f64 * pow2(32 * i as i32 - 1074))
            .collect()
    }
}

/// Columns [`ExactSum::add_columns`] reads side by side, a tile.
pub(crate) const TILE: usize = 8;

/// Rows [`ExactSum::add_columns`] sums, `width` of them, stored a tile of [`TILE`] columns at a
/// time, each tile row by row: column `j` of row `r` is `values[(j / TILE * width + r) * TILE +
/// j % TILE]` (a last tile of fewer columns padded to [`TILE`]).
pub(crate) struct Stripe<'a> {
    pub values: &'a [f64],
    pub width: usize,
}

impl Stripe<'_> {
    /// Where column `j` of row `r` of `width` rows lies in a stripe's values.
    #[cfg(test)]
    pub(crate) fn at(width: usize, j: usize, r: usize) -> usize {
        (j / TILE * width + r) * TILE + j % TILE
    }

    /// How many values a stripe of `width` rows of `columns` columns holds.
    pub(crate) fn len(width: usize, columns: usize) -> usize {
        columns.div_ceil(TILE) * TILE * width
    }
}

/// Rows whose values [`ExactSum::add_columns`] copies out as it sums them: their indices among
/// the rows (ascending), and where their values go, column by column as
/// [`ordered`](super::ordered) keys: column `j` of the sums (`row[offset + j]`) is
/// `keys[j * rows.len()..][..rows.len()]`, a value per kept row in order.
pub(crate) struct Keep<'a> {
    pub rows: &'a [u32],
    pub keys: &'a mut [i64],
}

/// The binades a [`Window`] sums as integers.
const WINDOW: usize = 64;

/// Terms a [`Window`] takes before it passes its integers on: each is below 2⁵³ in magnitude, so
/// 2¹⁰ of them stay below 2⁶³.
const WINDOW_TERMS: usize = 1 << 10;

/// Terms on their way to an [`ExactSum`] ([`ExactSum::add_columns`]): per binade of the
/// [`WINDOW`] binades from `base`, the signed sum of the mantissas of the terms in it (the terms
/// `±m · 2^shift` units, as [`decompose`] gives them, with `shift − base` below `WINDOW`).
/// `base` is put half a window below the first finite, non-zero term's binade (the first since
/// the window last passed its terms on), and never so
/// high that the window reaches the non-finite terms' (2046), which always go to the sum.
#[derive(Clone, Copy)]
struct Window {
    base: u32,
    placed: bool,
    mantissas: [i64; WINDOW],
}

impl Window {
    const EMPTY: Window = Window {
        base: 0,
        placed: false,
        mantissas: [0; WINDOW],
    };

    /// Adds `x`, here or to `sum`.
    #[inline(always)]
    fn add(&mut self, x: f64, sum: &mut ExactSum) {
        let (negative, exp, m, shift) = split(x);
        if !self.placed {
            if exp == 0x7ff || m == 0 {
                sum.add(x);
                return;
            }
            self.base = shift
                .saturating_sub(WINDOW as u32 / 2)
                .min(2046 - WINDOW as u32);
            self.placed = true;
        }
        let i = shift.wrapping_sub(self.base) as usize;
        if i < WINDOW {
            let m = m as i64;
            self.mantissas[i] += if negative { -m } else { m };
        } else {
            sum.add(x);
        }
    }

    /// Adds what it holds to `sum` and empties; the next term places it again (so a first term
    /// far from the rest costs one window's worth of terms, not all of them).
    fn pass_on(&mut self, sum: &mut ExactSum) {
        for (i, m) in self.mantissas.iter_mut().enumerate() {
            if *m != 0 {
                sum.add_units(*m < 0, m.unsigned_abs(), self.base + i as u32);
                *m = 0;
            }
        }
        self.placed = false;
    }
}

/// 2^e as a double, for e from −1074 to 1023 exactly (0 below, ∞ above).
fn pow2(e: i32) -> f64 {
    if e < -1074 {
        0.0
    } else if e < -1022 {
        f64::from_bits(1 << (e + 1074))
    } else if e > 1023 {
        f64::INFINITY
    } else {
        f64::from_bits(((e + 1023) as u64) << 52)
    }
}

/// Count, exact sum and exact sum of squares of a set of values: their mean and standard
/// deviation, the same whatever the order the values came in or how they were grouped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Moments {
    /// How many values.
    pub n: u64,
    sum: ExactSum,
    squares: ExactSum,
}

impl Moments {
    /// No values yet.
    pub fn new() -> Moments {
        Moments::default()
    }

    /// Adds one value.
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        self.sum.add(x);
        self.squares.add_product(x, x);
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Moments) {
        self.n += other.n;
        self.sum.merge(&other.sum);
        self.squares.merge(&other.squares);
    }

    /// Count, mean (the exact sum divided by n, corrected once by the exact remainder) and
    /// sample standard deviation: the
    /// square root of Σ(x − m)² / (n − 1), where Σ(x − m)² = Σx² − 2m·Σx + n·m² is accumulated
    /// exactly for the mean m and rounded once, so it does not cancel catastrophically (and is 0
    /// when every value is m). All zeros for no values; sd 0 for one.
    pub fn summary(&self) -> super::Summary {
        if self.n == 0 {
            return super::Summary {
                n: 0,
                mean: 0.0,
                sd: 0.0,
            };
        }
        let n = self.n as f64;
        // The exact sum rounded and divided by n is within an ulp or so of the mean; one
        // correction with the exact remainder Σx − n·m brings it to the mean rounded (a value
        // that is the same in every run comes back as itself).
        let first = self.sum.value() / n;
        let mean = if first.is_finite() {
            let mut rest = self.sum.clone();
            rest.add_product(-n, first);
            first + rest.value() / n
        } else {
            first
        };
        let sd = if self.n > 1 && mean.is_finite() {
            let mut q = self.squares.clone();
            for piece in self.sum.pieces() {
                q.add_product(-2.0 * mean, piece);
            }
            let mm = mean * mean;
            q.add_product(n, mm);
            q.add_product(n, mean.mul_add(mean, -mm));
            (q.value().max(0.0) / (n - 1.0)).sqrt()
        } else if self.n > 1 {
            f64::NAN
        } else {
            0.0
        };
        super::Summary {
            n: self.n,
            mean,
            sd,
        }
    }
}

/// The saved form of an [`ExactSum`]: its non-zero digits as `[index, digit]` pairs after carries
/// (so the same sum always saves the same way), and which non-finite terms it met.
#[derive(Serialize, Deserialize)]
struct Saved {
    digits: Vec<(u8, i64)>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    nan: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pos_inf: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    neg_inf: bool,
}

impl Serialize for ExactSum {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut n = self.clone();
        n.carry();
        Saved {
            digits: n
                .digits
                .iter()
                .enumerate()
                .filter(|(_, &d)| d != 0)
                .map(|(i, &d)| (i as u8, d))
                .collect(),
            nan: n.nan,
            pos_inf: n.pos_inf,
            neg_inf: n.neg_inf,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ExactSum {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ExactSum, D::Error> {
        use serde::de::Error;
        let saved = Saved::deserialize(d)?;
        let mut sum = ExactSum::new();
        for (i, digit) in saved.digits {
            let i = usize::from(i);
            // Carried digits lie in [0, 2³²) but the top one, which a sum of doubles keeps small.
            if i >= DIGITS || !(i == DIGITS - 1 || (0..1 << 32).contains(&digit)) {
                return Err(D::Error::custom(format!(
                    "digit {i} = {digit} is not a carried digit of an exact sum"
                )));
            }
            if i == DIGITS - 1 && digit.unsigned_abs() >= 1 << 40 {
                return Err(D::Error::custom(
                    "the top digit of an exact sum is out of range",
                ));
            }
            sum.digits[i] = digit;
        }
        sum.nan = saved.nan;
        sum.pos_inf = saved.pos_inf;
        sum.neg_inf = saved.neg_inf;
        Ok(sum)
    }
}

impl Serialize for Moments {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.n, &self.sum, &self.squares).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Moments {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Moments, D::Error> {
        let (n, sum, squares) = <(u64, ExactSum, ExactSum)>::deserialize(d)?;
        Ok(Moments { n, sum, squares })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(xs: &[f64]) -> f64 {
        let mut s = ExactSum::new();
        xs.iter().for_each(|&x| s.add(x));
        s.value()
    }

    /// Shewchuk (1997) "Adaptive precision floating-point arithmetic and fast robust geometric
    /// predicates", with the correctly rounded last step of Python's `math.fsum`: an independent
    /// exact summation to check against.
    fn fsum(xs: &[f64]) -> f64 {
        let mut partials: Vec<f64> = Vec::new();
        for &x in xs {
            let mut x = x;
            let mut i = 0;
            for j in 0..partials.len() {
                let mut y = partials[j];
                if x.abs() < y.abs() {
                    std::mem::swap(&mut x, &mut y);
                }
                let hi = x + y;
                let lo = y - (hi - x);
                if lo != 0.0 {
                    partials[i] = lo;
                    i += 1;
                }
                x = hi;
            }
            partials.truncate(i);
            partials.push(x);
        }
        let Some(mut hi) = partials.pop() else {
            return 0.0;
        };
        let mut lo = 0.0;
        while let Some(y) = partials.pop() {
            let x = hi;
            hi = x + y;
            let yr = hi - x;
            lo = y - yr;
            if lo != 0.0 {
                break;
            }
        }
        if let Some(&next) = partials.last() {
            if (lo < 0.0 && next < 0.0) || (lo > 0.0 && next > 0.0) {
                let y = lo * 2.0;
                let x = hi + y;
                if y == x - hi {
                    hi = x;
                }
            }
        }
        hi
    }

    /// A small deterministic generator (SplitMix64).
    fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    #[test]
    fn sums_that_rounding_would_lose() {
        assert_eq!(sum(&[1.0, 1e100, 1.0, -1e100]), 2.0);
        assert_eq!(sum(&[0.1, 0.2, 0.3]), 0.6); // sequential addition gives 0.6000000000000001
        assert_eq!(sum(&[f64::MAX, f64::MAX, -f64::MAX]), f64::MAX);
        assert_eq!(sum(&[f64::MAX, f64::MAX]), f64::INFINITY);
        assert_eq!(sum(&[-f64::MAX, -f64::MAX]), f64::NEG_INFINITY);
        let tiny = f64::from_bits(1);
        assert_eq!(sum(&[tiny, tiny, tiny]).to_bits(), 3);
        assert_eq!(sum(&[1.0, tiny, -1.0]).to_bits(), 1);
        assert_eq!(sum(&[]), 0.0);
        assert_eq!(sum(&[-2.5]), -2.5);
        assert_eq!(sum(&[1.0, f64::EPSILON / 2.0]), 1.0); // a tie, to even
        assert_eq!(sum(&[1.0, f64::EPSILON / 2.0, tiny]), 1.0 + f64::EPSILON); // just above
        assert!(sum(&[1.0, f64::NAN]).is_nan());
        assert!(sum(&[f64::INFINITY, f64::NEG_INFINITY]).is_nan());
        assert_eq!(sum(&[f64::INFINITY, 1.0]), f64::INFINITY);
    }

    #[test]
    fn agrees_with_an_independent_exact_sum() {
        let mut state = 7;
        for case in 0..400 {
            let len = (next(&mut state) % 60) as usize;
            let xs: Vec<f64> = (0..len)
                .map(|_| {
                    let r = next(&mut state);
                    match case % 4 {
                        // any finite double
                        0 => loop {
                            let x = f64::from_bits(next(&mut state));
                            if x.is_finite() {
                                break x;
                            }
                        },
                        // values of one scale with cancellation
                        1 => (r as i64 as f64) * 1e-3,
                        // mixed magnitudes
                        2 => {
                            (r >> 11) as f64 * pow2((r % 200) as i32 - 100) * (-1f64).powi(r as i32)
                        }
                        // subnormals and small numbers
                        _ => f64::from_bits(r % (1 << 54)) * if r & 1 == 0 { 1.0 } else { -1.0 },
                    }
                })
                .collect();
            let expected = fsum(&xs);
            let got = sum(&xs);
            assert!(
                got.to_bits() == expected.to_bits() || (got.is_infinite() && expected.is_nan()),
                "case {case}: {xs:?}: {got} vs fsum {expected}"
            );
        }
    }

    #[test]
    fn columns_sum_as_each_value_added_in_turn_would() {
        // More rows than a window takes between passes (twice over, and a part), columns not a
        // multiple of a tile, read at an offset; per column, terms a window must send on to
        // the sum (far magnitudes, subnormals, zeros, non-finite, the largest doubles) or hold
        // at their largest (a binade's largest mantissa, all of one sign).
        let mut state = 5;
        let (n_rows, n_cols, offset) = (2 * WINDOW_TERMS + 300, 21, TILE);
        let rows: Vec<Vec<f64>> = (0..n_rows)
            .map(|r| {
                (0..n_cols + offset + 2)
                    .map(|j| {
                        let bits = next(&mut state);
                        match j.wrapping_sub(offset) % 7 {
                            0 => 2.0 - f64::EPSILON,
                            // A first term far below the others places the window there.
                            1 if r == 0 => 1e-300,
                            1 => -(1.0 - f64::EPSILON / 2.0) * pow2(-20),
                            2 => loop {
                                let x = f64::from_bits(next(&mut state));
                                if x.is_finite() {
                                    break x;
                                }
                            },
                            3 => {
                                let m = (bits >> 11) as f64;
                                m * pow2((bits % 160) as i32 - 80)
                                    * if bits & 1 == 0 { 1.0 } else { -1.0 }
                            }
                            4 if r == 0 => 0.0,
                            4 => match bits % 4 {
                                0 => 0.0,
                                1 => -0.0,
                                _ => f64::from_bits(bits % (1 << 53)),
                            },
                            5 => match r {
                                0 | 17 => f64::NAN,
                                40 => f64::INFINITY,
                                _ => (bits % 1000) as f64 * 1e-3,
                            },
                            // The window as high as it goes, a NaN and an infinity in it.
                            _ => match r {
                                1000 => f64::NAN,
                                1500 => f64::NEG_INFINITY,
                                _ => f64::MAX * if bits & 1 == 0 { 1.0 } else { -1.0 },
                            },
                        }
                    })
                    .collect()
            })
            .collect();
        // The rows in stripes of uneven widths (one row, a few, more than a window), each
        // stored column by column.
        let width = n_cols + offset + 2;
        let mut stripes_of: Vec<(usize, Vec<f64>)> = Vec::new();
        let mut start = 0;
        for w in [1, 5, 64, 1, WINDOW_TERMS + 3, 2].into_iter().cycle() {
            let rows = &rows[start..(start + w).min(n_rows)];
            let mut values = vec![f64::NAN; Stripe::len(rows.len(), width)];
            for (r, row) in rows.iter().enumerate() {
                for (j, &x) in row.iter().enumerate() {
                    values[Stripe::at(rows.len(), j, r)] = x;
                }
            }
            stripes_of.push((rows.len(), values));
            start += rows.len();
            if start == n_rows {
                break;
            }
        }
        let stripes: Vec<Stripe<'_>> = stripes_of
            .iter()
            .map(|(width, values)| Stripe {
                values,
                width: *width,
            })
            .collect();
        let mut columns = vec![ExactSum::new(); n_cols];
        // Kept: the first row, every third, both sides of a window's end, and the last.
        let kept: Vec<u32> = (0..n_rows as u32)
            .filter(|&r| {
                r % 3 == 0
                    || [
                        WINDOW_TERMS as u32 - 1,
                        WINDOW_TERMS as u32,
                        n_rows as u32 - 1,
                    ]
                    .contains(&r)
            })
            .collect();
        let mut keys = vec![0i64; n_cols * kept.len()];
        let keep = Keep {
            rows: &kept,
            keys: &mut keys,
        };
        ExactSum::add_columns(&mut columns, &stripes, offset, keep);
        for (j, column) in keys.chunks_exact(kept.len()).enumerate() {
            let expected: Vec<i64> = kept
                .iter()
                .map(|&r| super::super::ordered(rows[r as usize][offset + j]))
                .collect();
            assert_eq!(column, expected, "column {j}");
        }
        for (j, got) in columns.iter().enumerate() {
            let mut one_by_one = ExactSum::new();
            rows.iter().for_each(|r| one_by_one.add(r[offset + j]));
            let saved = |s: &ExactSum| serde_json::to_string(s).unwrap();
            assert_eq!(saved(got), saved(&one_by_one), "column {j}");
            assert_eq!(
                got.value().to_bits(),
                one_by_one.value().to_bits(),
                "column {j}"
            );
            let values: Vec<f64> = rows.iter().map(|r| r[offset + j]).collect();
            // (fsum overflows on sums near the largest doubles.)
            if values.iter().all(|x| x.is_finite()) && !matches!(j % 7, 2 | 6) {
                assert_eq!(got.value().to_bits(), fsum(&values).to_bits(), "column {j}");
            }
        }
    }

    #[test]
    fn order_and_grouping_do_not_matter() {
        let mut state = 11;
        let xs: Vec<f64> = (0..1000)
            .map(|_| (next(&mut state) as i64 as f64) * pow2((next(&mut state) % 80) as i32 - 40))
            .collect();
        let whole = sum(&xs);
        let mut reversed = xs.clone();
        reversed.reverse();
        assert_eq!(sum(&reversed).to_bits(), whole.to_bits());
        for parts in [2, 3, 7, 64] {
            let mut total = ExactSum::new();
            for chunk in xs.chunks(xs.len().div_ceil(parts)) {
                let mut s = ExactSum::new();
                chunk.iter().for_each(|&x| s.add(x));
                total.merge(&s);
            }
            assert_eq!(total.value().to_bits(), whole.to_bits(), "{parts} parts");
        }
    }

    #[test]
    fn carries_keep_long_sums_exact() {
        let mut s = ExactSum::new();
        s.pending = CARRY_EVERY - 5; // as after 2³⁰ − 5 additions
        for _ in 0..10 {
            s.add(f64::MAX);
            s.add(-f64::MAX);
            s.add(0.5);
        }
        assert_eq!(s.value(), 5.0);
    }

    #[test]
    fn saved_and_read_back_exactly() {
        let mut s = ExactSum::new();
        for x in [1e300, -3.25, 1e-310, 7.0, -1e300] {
            s.add(x);
        }
        let text = serde_json::to_string(&s).unwrap();
        let back: ExactSum = serde_json::from_str(&text).unwrap();
        assert_eq!(back.value().to_bits(), s.value().to_bits());
        assert_eq!(serde_json::to_string(&back).unwrap(), text);
        assert!(serde_json::from_str::<ExactSum>(r#"{"digits":[[70,1]]}"#).is_err());
        assert!(serde_json::from_str::<ExactSum>(r#"{"digits":[[3,-1]]}"#).is_err());
    }

    #[test]
    fn moments_match_two_pass_and_do_not_cancel() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let mut m = Moments::new();
        xs.iter().for_each(|&x| m.add(x));
        let s = m.summary();
        assert_eq!((s.n, s.mean), (8, 5.0));
        assert_eq!(s.sd, (32.0f64 / 7.0).sqrt());
        // Negative values (a negative sum's digits are its complement).
        let mut m = Moments::new();
        xs.iter().for_each(|&x| m.add(-x));
        assert_eq!(
            (m.summary().mean, m.summary().sd),
            (-5.0, (32.0f64 / 7.0).sqrt())
        );
        let mut m = Moments::new();
        [1.5, -4.0, 0.25].iter().for_each(|&x| m.add(x));
        let two_pass = {
            let mean = (1.5 - 4.0 + 0.25) / 3.0;
            let ss: f64 = [1.5f64, -4.0, 0.25]
                .iter()
                .map(|x| (x - mean) * (x - mean))
                .sum();
            (ss / 2.0).sqrt()
        };
        assert!(
            (m.summary().sd - two_pass).abs() < 1e-15,
            "{}",
            m.summary().sd
        );
        // A large offset with a small spread: Σx² − (Σx)²/n in doubles would lose it all.
        let mut m = Moments::new();
        for x in [1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0] {
            m.add(x);
        }
        assert_eq!(m.summary().sd, 1.0);
        // A value the same in every run: its mean is itself and its spread 0, also when n times
        // it is not a double (the rounded sum divided by n is an ulp off).
        for (x, n) in [
            (0.25, 10),
            (0.1, 3),
            (0.43424905893280646, 300),
            (1e-300, 7),
        ] {
            let mut m = Moments::new();
            (0..n).for_each(|_| m.add(x));
            assert_eq!((m.summary().mean, m.summary().sd), (x, 0.0), "{x} × {n}");
        }
        let mut one = Moments::new();
        one.add(3.0);
        assert_eq!((one.summary().mean, one.summary().sd), (3.0, 0.0));
        assert_eq!(Moments::new().summary().n, 0);
    }
}
