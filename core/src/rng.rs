//! Randomness as an argument.
//!
//! The core never reads the OS random source: every call that needs randomness takes a
//! `&mut impl Rng`. Adapters seed it (from a flag, a configuration or the host's clock), so the
//! same seed gives the same picks natively, in the browser and inside Envoy.
//!
//! [`SeededRng`] is the bundled generator: xoshiro256++ (Blackman and Vigna, "Scrambled Linear
//! Pseudorandom Number Generators", ACM TOMS 2021) seeded through SplitMix64, as its authors
//! recommend. It is small, fast and passes BigCrush; it is not cryptographic, and load balancing
//! does not need it to be.

/// A source of uniformly distributed 64-bit values.
///
/// Envoy's load balancers draw from `Random::RandomGenerator::random()`, a `uint64_t`; this is the
/// same shape.
pub trait Rng {
    /// The next uniformly distributed 64-bit value.
    fn next_u64(&mut self) -> u64;
}

impl<R: Rng + ?Sized> Rng for &mut R {
    fn next_u64(&mut self) -> u64 {
        (**self).next_u64()
    }
}

/// The bundled seeded generator: xoshiro256++.
///
/// # Examples
/// ```
/// use meshlb::{Rng, SeededRng};
/// let mut a = SeededRng::new(7);
/// let mut b = SeededRng::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededRng {
    s: [u64; 4],
}

impl SeededRng {
    /// A generator whose whole sequence is fixed by `seed`.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        let mut sm = seed;
        let a = splitmix64(&mut sm);
        let b = splitmix64(&mut sm);
        let c = splitmix64(&mut sm);
        let d = splitmix64(&mut sm);
        Self { s: [a, b, c, d] }
    }

    /// The generator of stream `n` of `seed`: one seed for a process, a stream for each of
    /// its workers (or threads), so that they draw apart and a run repeats. Stream 0 is
    /// [`SeededRng::new`]`(seed)`; the others are seeded by `seed` mixed with `n` times the
    /// golden-ratio increment SplitMix64 steps by.
    #[must_use]
    pub const fn stream(seed: u64, n: u64) -> Self {
        Self::new(seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }
}

const fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng for SeededRng {
    // Always inlined: a pick draws from several sites, and LLVM left the draw a call at some
    // (a pick-and-finish at the built-in default scenario, 264 → 259 instructions natively;
    // in the wasm build, 13 calls → none).
    #[inline(always)]
    fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = self.s;
        let result = s0.wrapping_add(s3).rotate_left(23).wrapping_add(s0);
        let t = s1 << 17;
        let mut s = [s0, s1, s2 ^ s0, s3 ^ s1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        self.s = s;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_different_seed_different_sequence() {
        let mut a = SeededRng::new(1);
        let mut b = SeededRng::new(1);
        let mut c = SeededRng::new(2);
        let xs: [u64; 8] = core::array::from_fn(|_| a.next_u64());
        let ys: [u64; 8] = core::array::from_fn(|_| b.next_u64());
        let zs: [u64; 8] = core::array::from_fn(|_| c.next_u64());
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn stream_zero_is_the_seed_and_streams_draw_apart() {
        let draws = |mut r: SeededRng| -> [u64; 4] { core::array::from_fn(|_| r.next_u64()) };
        assert_eq!(draws(SeededRng::stream(5, 0)), draws(SeededRng::new(5)));
        assert_ne!(draws(SeededRng::stream(5, 1)), draws(SeededRng::new(5)));
        assert_ne!(
            draws(SeededRng::stream(5, 1)),
            draws(SeededRng::stream(5, 2))
        );
    }

    #[test]
    fn splitmix_matches_reference_output() {
        // Reference values of SplitMix64 seeded with 1234567 (Vigna's splitmix64.c).
        let mut s = 1_234_567_u64;
        assert_eq!(splitmix64(&mut s), 6_457_827_717_110_365_317);
        assert_eq!(splitmix64(&mut s), 3_203_168_211_198_807_973);
    }

    #[test]
    fn low_bits_are_balanced() {
        let mut r = SeededRng::new(99);
        let ones: u32 = (0..10_000).map(|_| (r.next_u64() & 1) as u32).sum();
        // Binomial(10000, 0.5): sigma = 50, so 5 sigma is 250.
        assert!((4_750..=5_250).contains(&ones), "{ones}");
    }
}
