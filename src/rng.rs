//! Keyed random draws: every draw is a pure function of its place (seed, run, step, site, actor,
//! target), not of how many draws came before it.
//!
//! This is what makes runs reproducible on any thread count and lets two scenario variants share
//! their random numbers (common random numbers): adding a rule to a variant gives that rule new
//! draws without shifting the draws any other rule sees. Keys of sites and actors are hashes of
//! their names, so they do not move when declarations are reordered or new items are added.
//!
//! The mixing function is fixed here (SplitMix64's finaliser), so the stream is the same on every
//! platform and does not change with a dependency's version. [`PlaceRng`] exposes one place as a
//! `rand` generator for callers that want `rand`'s distributions.

use std::convert::Infallible;

pub(crate) const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: a bijective 64-bit mixer with good avalanche.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable 64-bit key for a name (FNV-1a, then mixed).
pub fn key_of(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// The key of one run of a seeded scenario.
pub fn run_key(seed: u64, run: u64) -> u64 {
    mix(mix(seed ^ 0x6465_7465_6e74_6521) ^ run)
}

/// The key of one step of a run.
#[inline]
pub fn step_key(run_key: u64, step: u32) -> u64 {
    mix(run_key ^ u64::from(step).wrapping_mul(GOLDEN))
}

/// The hash of a place: `base` (step and site, already mixed), then the actor and target keys.
#[inline]
pub fn place(base: u64, actor: u64, target: u64) -> u64 {
    mix(mix(base ^ actor) ^ target.rotate_left(29))
}

/// A uniform number in [0, 1) from a hash (53 random bits).
#[inline]
pub fn uniform(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// One place's stream, as a `rand` generator: the n-th value is `mix(key + n)`.
#[derive(Clone, Debug)]
pub struct PlaceRng {
    key: u64,
    counter: u64,
}

impl PlaceRng {
    /// The stream of the place with hash `key`.
    pub fn new(key: u64) -> PlaceRng {
        PlaceRng { key, counter: 0 }
    }
}

impl rand::TryRng for PlaceRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.counter += 1;
        Ok(mix(self.key ^ self.counter.wrapping_mul(GOLDEN)))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn the_stream_is_pinned() {
        // These values are part of the reproducibility promise: a change here changes every
        // report ever written.
        assert_eq!(mix(0), 0xe220a8397b1dcdaf);
        assert_eq!(key_of("LTU"), key_of("LTU"));
        assert_ne!(key_of("LTU"), key_of("BLR"));
        let u = uniform(place(step_key(run_key(42, 0), 1), key_of("a"), key_of("b")));
        assert!((0.0..1.0).contains(&u));
        assert_eq!(
            u,
            uniform(place(step_key(run_key(42, 0), 1), key_of("a"), key_of("b")))
        );
    }

    #[test]
    fn uniform_draws_are_uniform() {
        let n = 100_000;
        let base = step_key(run_key(7, 3), 11);
        let mean: f64 = (0..n).map(|i| uniform(place(base, i, 0))).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.005, "{mean}");
        let below: usize = (0..n).filter(|&i| uniform(place(base, 5, i)) < 0.1).count();
        assert!((below as f64 / n as f64 - 0.1).abs() < 0.005);
    }

    #[test]
    fn place_rng_is_a_rand_generator() {
        let mut a = PlaceRng::new(5);
        let mut b = PlaceRng::new(5);
        assert_eq!(a.next_u64(), b.next_u64());
        let mut buf = [0u8; 13];
        a.fill_bytes(&mut buf);
        assert!(buf.iter().any(|&x| x != 0));
    }
}
