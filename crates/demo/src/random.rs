//! Seeded randomness: independent streams per purpose and per record, so a record's data does
//! not depend on how many records came before it (streaming and tests stay reproducible).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

/// The generator every stream uses; ChaCha8 is fast and identical on every platform.
pub(crate) type DemoRng = ChaCha8Rng;

/// SplitMix64's finaliser: a cheap bijective mixer that spreads nearby keys far apart.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a over the bytes, then mixed; stable across platforms and Rust versions (unlike `Hash`).
pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01B3);
    }
    mix(h)
}

/// Purposes of streams; distinct so that, e.g., users and clients never share draws.
#[derive(Clone, Copy)]
pub(crate) enum Stream {
    Quotas = 1,
    Users = 2,
    Client = 3,
    Profile = 4,
    Documents = 5,
}

/// The stream for one purpose and key under a seed.
pub(crate) fn stream(seed: u64, purpose: Stream, key: u64) -> DemoRng {
    DemoRng::seed_from_u64(mix(seed ^ mix(((purpose as u64) << 56) ^ mix(key))))
}

/// A version-4-shaped UUID from the stream.
pub(crate) fn uuid(rng: &mut DemoRng) -> Uuid {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// A version-4-shaped UUID that is a pure function of a key (for ids others may recompute).
pub(crate) fn uuid_from_key(key: u64) -> Uuid {
    let hi = mix(key);
    let lo = mix(hi ^ 0x5851_F42D_4C95_7F2D);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&hi.to_be_bytes());
    bytes[8..].copy_from_slice(&lo.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// Folds a UUID into a stream key.
pub(crate) fn key_of(id: Uuid) -> u64 {
    let v = id.as_u128();
    (v >> 64) as u64 ^ v as u64
}

/// A standard normal draw (Box–Muller; one of the pair is enough here).
pub(crate) fn normal(rng: &mut DemoRng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1], so ln never sees 0
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A lognormal draw given its median and the sigma of its logarithm.
pub(crate) fn lognormal(rng: &mut DemoRng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

/// One element of a non-empty list, uniformly.
pub(crate) fn pick<'a, T>(rng: &mut DemoRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// One value of a non-empty list of (value, weight), proportionally to the weights.
pub(crate) fn pick_weighted<T: Copy>(rng: &mut DemoRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut x = rng.random_range(0..total.max(1));
    for (value, weight) in items {
        if x < *weight {
            return *value;
        }
        x -= weight;
    }
    items[items.len() - 1].0
}

/// Splits `total` into parts proportional to `weights` (largest remainder), so quotas add up
/// exactly; when `total` allows, every part gets at least `min`.
pub(crate) fn apportion(total: usize, weights: &[f64], min: usize) -> Vec<usize> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let assigned: usize = parts.iter().sum();
    for &i in order.iter().take(total.saturating_sub(assigned)) {
        parts[i] += 1;
    }
    if total >= min * weights.len() {
        for i in 0..parts.len() {
            while parts[i] < min {
                // Take from the largest part; it stays above `min` because the total allows it.
                let (largest, _) = parts
                    .iter()
                    .enumerate()
                    .max_by_key(|&(j, p)| (*p, usize::MAX - j))
                    .unwrap_or((i, &0));
                if largest == i || parts[largest] <= min {
                    break;
                }
                parts[largest] -= 1;
                parts[i] += 1;
            }
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_adds_up_and_respects_the_minimum() {
        let parts = apportion(100, &[55.0, 12.0, 7.0, 10.0, 5.0, 8.0, 3.0], 1);
        assert_eq!(parts.iter().sum::<usize>(), 100);
        assert_eq!(parts, vec![55, 12, 7, 10, 5, 8, 3]);
        let tiny = apportion(10, &[55.0, 12.0, 7.0, 10.0, 5.0, 8.0, 3.0], 1);
        assert_eq!(tiny.iter().sum::<usize>(), 10);
        assert!(tiny.iter().all(|&p| p >= 1), "{tiny:?}");
        assert_eq!(apportion(0, &[1.0, 2.0], 1), vec![0, 0]);
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a = uuid(&mut stream(7, Stream::Client, 1));
        assert_eq!(a, uuid(&mut stream(7, Stream::Client, 1)));
        assert_ne!(a, uuid(&mut stream(7, Stream::Client, 2)));
        assert_ne!(a, uuid(&mut stream(8, Stream::Client, 1)));
        assert_ne!(a, uuid(&mut stream(7, Stream::Profile, 1)));
        assert_eq!(a.get_version_num(), 4);
    }
}
