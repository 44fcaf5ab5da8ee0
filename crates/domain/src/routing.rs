//! Ordering a day's visits as a short route from the assignee's base (DESIGN §2.4).
//!
//! Everything works on a [`DistanceMatrix`] whose node 0 is the base and nodes 1…n the stops,
//! so a road-distance provider can replace the straight-line one ([`DistanceMatrix::haversine`])
//! without touching the algorithms. The matrix may be asymmetric (one-way streets): every move
//! below is priced with the exact cost of both directions.
//!
//! [`plan_route`] solves days of up to [`EXACT_MAX_STOPS`] stops exactly (Held–Karp dynamic
//! programming) and larger ones by nearest neighbour followed by 2-opt and Or-opt until no
//! move improves the route. [`route_quality`] measures that heuristic against the optimum.

use crate::geo::GeoPoint;
use serde::{Deserialize, Serialize};

/// Days with at most this many stops are solved exactly by [`plan_route`]: Held–Karp takes
/// O(2ⁿ·n²) time, about 100 000 steps at 10 stops.
pub const EXACT_MAX_STOPS: usize = 10;

/// [`optimal`] refuses more stops than this: its table would pass 2¹⁶ × 16 entries.
pub const OPTIMAL_HARD_LIMIT: usize = 16;

/// A move must shorten the route by more than this many metres to be taken, so rounding noise
/// never makes the local search cycle.
const IMPROVEMENT_EPSILON_M: f64 = 1e-7;

/// Whether the route returns to the base after the last stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RouteShape {
    /// Start at the base, visit every stop, end at the last stop (the field day: the account
    /// manager goes home or on from there).
    #[default]
    Open,
    /// Start and end at the base.
    Closed,
}

/// A matrix that cannot be used for routing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MatrixError {
    /// The matrix needs at least the base (size ≥ 1).
    #[error("a distance matrix needs at least the base node")]
    Empty,
    /// The number of entries is not size².
    #[error("a {size}×{size} distance matrix needs {expected} entries, got {got}")]
    WrongLength {
        /// Nodes (base + stops).
        size: usize,
        /// size².
        expected: usize,
        /// Entries given.
        got: usize,
    },
    /// A distance is negative, NaN or infinite.
    #[error("distance from node {from} to node {to} is not a finite non-negative number")]
    InvalidDistance {
        /// Row.
        from: usize,
        /// Column.
        to: usize,
    },
}

/// Distances in metres between the base (node 0) and the stops (nodes 1…n), row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct DistanceMatrix {
    size: usize,
    metres: Vec<f64>,
}

impl DistanceMatrix {
    /// A matrix of `size` nodes (base + stops) from `size²` row-major distances; `metres[i *
    /// size + j]` is the distance from node `i` to node `j`. Every entry must be finite and
    /// non-negative.
    pub fn new(size: usize, metres: Vec<f64>) -> Result<Self, MatrixError> {
        if size == 0 {
            return Err(MatrixError::Empty);
        }
        let expected = size * size;
        if metres.len() != expected {
            return Err(MatrixError::WrongLength {
                size,
                expected,
                got: metres.len(),
            });
        }
        if let Some(k) = metres.iter().position(|d| !d.is_finite() || *d < 0.0) {
            return Err(MatrixError::InvalidDistance {
                from: k / size,
                to: k % size,
            });
        }
        Ok(Self { size, metres })
    }

    /// A matrix of `size` nodes with `distance(from, to)` for every pair.
    pub fn from_fn(
        size: usize,
        distance: impl Fn(usize, usize) -> f64,
    ) -> Result<Self, MatrixError> {
        let metres = (0..size * size)
            .map(|k| distance(k / size, k % size))
            .collect();
        Self::new(size, metres)
    }

    /// Straight-line (haversine) distances between `base` and `stops`; node `i + 1` is
    /// `stops[i]`. Coordinates that are not finite give a distance of 0 rather than poisoning
    /// the search (validate positions before routing them).
    pub fn haversine(base: &GeoPoint, stops: &[GeoPoint]) -> Self {
        let points: Vec<GeoPoint> = std::iter::once(*base)
            .chain(stops.iter().copied())
            .collect();
        let size = points.len();
        let mut metres = vec![0.0; size * size];
        for i in 0..size {
            for j in (i + 1)..size {
                let d = points[i].distance_m(&points[j]);
                let d = if d.is_finite() { d } else { 0.0 };
                metres[i * size + j] = d;
                metres[j * size + i] = d;
            }
        }
        Self { size, metres }
    }

    /// Number of stops (nodes other than the base).
    pub fn stops(&self) -> usize {
        self.size - 1
    }

    /// Distance from node `from` to node `to` (0 = base, `i + 1` = stop `i`), metres.
    pub fn get(&self, from: usize, to: usize) -> f64 {
        self.metres[from * self.size + to]
    }
}

/// An ordering of the stops and its length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Route {
    /// Indices of the stops (0-based, into the stop list — not matrix nodes), in visiting
    /// order; a permutation of `0..n`.
    pub order: Vec<usize>,
    /// Length from the base through every stop (and back when closed), metres.
    pub length_m: f64,
}

/// Length of visiting the stops in `order` (stop indices) from the base, metres.
pub fn route_length(matrix: &DistanceMatrix, shape: RouteShape, order: &[usize]) -> f64 {
    let mut length = 0.0;
    let mut at = 0;
    for &stop in order {
        length += matrix.get(at, stop + 1);
        at = stop + 1;
    }
    if shape == RouteShape::Closed {
        length += matrix.get(at, 0);
    }
    length
}

/// The best route: exact for up to [`EXACT_MAX_STOPS`] stops, otherwise nearest neighbour
/// improved by 2-opt and Or-opt.
pub fn plan_route(matrix: &DistanceMatrix, shape: RouteShape) -> Route {
    plan_route_with(matrix, shape, EXACT_MAX_STOPS)
}

/// [`plan_route`] with another bound for the exact solver (capped at [`OPTIMAL_HARD_LIMIT`];
/// 0 always uses the heuristic).
pub fn plan_route_with(
    matrix: &DistanceMatrix,
    shape: RouteShape,
    exact_max_stops: usize,
) -> Route {
    if matrix.stops() <= exact_max_stops.min(OPTIMAL_HARD_LIMIT) {
        if let Some(route) = optimal(matrix, shape) {
            return route;
        }
    }
    improve(matrix, shape, nearest_neighbour(matrix, shape).order)
}

/// Nearest neighbour from the base: always go to the closest stop not yet visited (ties to
/// the lower index).
pub fn nearest_neighbour(matrix: &DistanceMatrix, shape: RouteShape) -> Route {
    let n = matrix.stops();
    let mut visited = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut at = 0;
    for _ in 0..n {
        let mut best: Option<(usize, f64)> = None;
        for (stop, _) in visited.iter().enumerate().filter(|(_, seen)| !**seen) {
            let d = matrix.get(at, stop + 1);
            if best.is_none_or(|(_, b)| d < b) {
                best = Some((stop, d));
            }
        }
        let Some((stop, _)) = best else { break };
        visited[stop] = true;
        order.push(stop);
        at = stop + 1;
    }
    let length_m = route_length(matrix, shape, &order);
    Route { order, length_m }
}

/// Local search from `order` (a permutation of the stop indices): 2-opt (reverse a stretch)
/// and Or-opt (move a stretch of 1–3 stops elsewhere, either way round), taking the first
/// improving move, until none is left. The result is never longer than the start.
///
/// An `order` that is not a permutation of `0..n` is replaced by the identity.
pub fn improve(matrix: &DistanceMatrix, shape: RouteShape, order: Vec<usize>) -> Route {
    let n = matrix.stops();
    let order = if is_permutation(&order, n) {
        order
    } else {
        (0..n).collect()
    };
    // The path as matrix nodes: the base, the stops, and for a closed route the base again
    // as a fixed last node, so both shapes share one set of moves.
    let mut path: Vec<usize> = std::iter::once(0)
        .chain(order.iter().map(|s| s + 1))
        .collect();
    if shape == RouteShape::Closed {
        path.push(0);
    }
    let mut forward = Vec::new();
    let mut backward = Vec::new();
    loop {
        prefix_costs(matrix, &path, &mut forward, &mut backward);
        if two_opt_move(matrix, &mut path, n, &forward, &backward) {
            continue;
        }
        if or_opt_move(matrix, &mut path, n, &forward, &backward) {
            continue;
        }
        break;
    }
    let order: Vec<usize> = path[1..=n].iter().map(|node| node - 1).collect();
    let length_m = route_length(matrix, shape, &order);
    Route { order, length_m }
}

/// `forward[k]` = cost of path[0..=k] walked forwards, `backward[k]` = the same edges walked
/// backwards; a stretch's reversal cost is then a difference of two entries.
fn prefix_costs(
    matrix: &DistanceMatrix,
    path: &[usize],
    forward: &mut Vec<f64>,
    backward: &mut Vec<f64>,
) {
    forward.clear();
    backward.clear();
    forward.push(0.0);
    backward.push(0.0);
    for pair in path.windows(2) {
        let f = forward.last().copied().unwrap_or(0.0) + matrix.get(pair[0], pair[1]);
        let b = backward.last().copied().unwrap_or(0.0) + matrix.get(pair[1], pair[0]);
        forward.push(f);
        backward.push(b);
    }
}

/// Tries every reversal of path[i..=j] (1 ≤ i < j ≤ n); applies the first that shortens.
fn two_opt_move(
    matrix: &DistanceMatrix,
    path: &mut [usize],
    n: usize,
    forward: &[f64],
    backward: &[f64],
) -> bool {
    for i in 1..n {
        for j in (i + 1)..=n {
            let before = path[i - 1];
            let mut delta = matrix.get(before, path[j]) - matrix.get(before, path[i]);
            if let Some(&after) = path.get(j + 1) {
                delta += matrix.get(path[i], after) - matrix.get(path[j], after);
            }
            delta += (backward[j] - backward[i]) - (forward[j] - forward[i]);
            if delta < -IMPROVEMENT_EPSILON_M {
                path[i..=j].reverse();
                return true;
            }
        }
    }
    false
}

/// Tries moving every stretch path[i..i+len] (len 1–3) after every other node, in both
/// orientations; applies the first move that shortens.
fn or_opt_move(
    matrix: &DistanceMatrix,
    path: &mut Vec<usize>,
    n: usize,
    forward: &[f64],
    backward: &[f64],
) -> bool {
    for len in 1..=3.min(n) {
        for i in 1..=(n + 1 - len) {
            let last = i + len - 1;
            let (first_node, last_node) = (path[i], path[last]);
            let before = path[i - 1];
            let after = path.get(last + 1).copied();
            // Taking the stretch out.
            let mut removal = -matrix.get(before, first_node);
            if let Some(a) = after {
                removal += matrix.get(before, a) - matrix.get(last_node, a);
            }
            let inner_forward = forward[last] - forward[i];
            let inner_backward = backward[last] - backward[i];
            // Putting it back after node q (q outside the stretch and not its old predecessor).
            for q in (0..=n).filter(|q| *q + 1 < i || *q > last) {
                let u = path[q];
                let v = path.get(q + 1).copied();
                // A single stop reads the same both ways round.
                for reversed in [false, true].into_iter().take(if len == 1 { 1 } else { 2 }) {
                    let (head, tail, inner) = if reversed {
                        (last_node, first_node, inner_backward)
                    } else {
                        (first_node, last_node, inner_forward)
                    };
                    let mut insertion = matrix.get(u, head) + inner - inner_forward;
                    if let Some(v) = v {
                        insertion += matrix.get(tail, v) - matrix.get(u, v);
                    }
                    if removal + insertion < -IMPROVEMENT_EPSILON_M {
                        let stretch: Vec<usize> = if reversed {
                            path[i..=last].iter().rev().copied().collect()
                        } else {
                            path[i..=last].to_vec()
                        };
                        path.drain(i..=last);
                        let at = if q < i { q + 1 } else { q + 1 - len };
                        path.splice(at..at, stretch);
                        return true;
                    }
                }
            }
        }
    }
    false
}

/// The shortest route, by Held–Karp dynamic programming; `None` above
/// [`OPTIMAL_HARD_LIMIT`] stops.
pub fn optimal(matrix: &DistanceMatrix, shape: RouteShape) -> Option<Route> {
    let n = matrix.stops();
    if n > OPTIMAL_HARD_LIMIT {
        return None;
    }
    if n == 0 {
        return Some(Route {
            order: Vec::new(),
            length_m: 0.0,
        });
    }
    let full = (1usize << n) - 1;
    // cost[mask * n + j]: shortest walk from the base through exactly the stops in `mask`,
    // ending at stop j (j in mask).
    let mut cost = vec![f64::INFINITY; (full + 1) * n];
    let mut parent = vec![usize::MAX; (full + 1) * n];
    for j in 0..n {
        cost[(1 << j) * n + j] = matrix.get(0, j + 1);
    }
    for mask in 1..=full {
        for j in (0..n).filter(|j| mask & (1 << j) != 0) {
            let here = cost[mask * n + j];
            if !here.is_finite() {
                continue;
            }
            for k in (0..n).filter(|k| mask & (1 << k) == 0) {
                let next = mask | (1 << k);
                let c = here + matrix.get(j + 1, k + 1);
                if c < cost[next * n + k] {
                    cost[next * n + k] = c;
                    parent[next * n + k] = j;
                }
            }
        }
    }
    let closing = |j: usize| match shape {
        RouteShape::Open => 0.0,
        RouteShape::Closed => matrix.get(j + 1, 0),
    };
    let (mut end, mut best) = (0, f64::INFINITY);
    for j in 0..n {
        let c = cost[full * n + j] + closing(j);
        if c < best {
            (end, best) = (j, c);
        }
    }
    let mut order = Vec::with_capacity(n);
    let mut mask = full;
    loop {
        order.push(end);
        let previous = parent[mask * n + end];
        mask &= !(1 << end);
        if previous == usize::MAX {
            break;
        }
        end = previous;
    }
    order.reverse();
    let length_m = route_length(matrix, shape, &order);
    Some(Route { order, length_m })
}

/// Whether `order` holds each of `0..n` exactly once.
pub fn is_permutation(order: &[usize], n: usize) -> bool {
    if order.len() != n {
        return false;
    }
    let mut seen = vec![false; n];
    order
        .iter()
        .all(|&s| s < n && !std::mem::replace(&mut seen[s], true))
}

/// How close the heuristic (nearest neighbour + 2-opt + Or-opt, without the exact solver)
/// comes to the optimum on random days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteQuality {
    /// Days measured.
    pub days: usize,
    /// Mean of (heuristic − optimum) / optimum, a share (0.01 = 1 %).
    pub mean_gap: f64,
    /// Largest such gap.
    pub worst_gap: f64,
    /// Days on which the heuristic found an optimal route.
    pub optimal_days: usize,
    /// The improved route was never longer than nearest neighbour's.
    pub never_worse_than_nn: bool,
}

/// Measures the heuristic on `days` random open days of 1…`max_stops` stops (capped at
/// [`OPTIMAL_HARD_LIMIT`]) scattered over a county (about 60 km across, half of them in
/// small towns) around a base; deterministic for a given `seed`.
pub fn route_quality(days: usize, max_stops: usize, seed: u64) -> RouteQuality {
    let max_stops = max_stops.clamp(1, OPTIMAL_HARD_LIMIT);
    let mut rng = SplitMix64(seed);
    let (mut sum, mut worst, mut optimal_days, mut never_worse) = (0.0, 0.0_f64, 0, true);
    for _ in 0..days {
        let matrix = random_day(&mut rng, max_stops);
        let shape = RouteShape::Open;
        let nn = nearest_neighbour(&matrix, shape);
        let heuristic = improve(&matrix, shape, nn.order.clone());
        let best = optimal(&matrix, shape).map_or(heuristic.length_m, |r| r.length_m);
        let gap = if best > 0.0 {
            ((heuristic.length_m - best) / best).max(0.0)
        } else {
            0.0
        };
        sum += gap;
        worst = worst.max(gap);
        if gap <= 1e-9 {
            optimal_days += 1;
        }
        if heuristic.length_m > nn.length_m + IMPROVEMENT_EPSILON_M {
            never_worse = false;
        }
    }
    RouteQuality {
        days,
        mean_gap: if days == 0 { 0.0 } else { sum / days as f64 },
        worst_gap: worst,
        optimal_days,
        never_worse_than_nn: never_worse,
    }
}

/// A random day: base near Changsha, 1…max_stops stops, about half of them clustered in
/// two or three towns.
fn random_day(rng: &mut SplitMix64, max_stops: usize) -> DistanceMatrix {
    let base = GeoPoint {
        lat: 28.2,
        lon: 112.9,
    };
    // 0.27° of longitude and latitude ≈ 30 km here.
    let spread = 0.27;
    let towns: Vec<GeoPoint> = (0..3)
        .map(|_| GeoPoint {
            lat: base.lat + rng.between(-spread, spread),
            lon: base.lon + rng.between(-spread, spread),
        })
        .collect();
    let n = 1 + rng.below(max_stops as u64) as usize;
    let stops: Vec<GeoPoint> = (0..n)
        .map(|_| {
            if rng.unit() < 0.5 {
                let town = towns[rng.below(towns.len() as u64) as usize];
                GeoPoint {
                    lat: town.lat + rng.between(-0.02, 0.02),
                    lon: town.lon + rng.between(-0.02, 0.02),
                }
            } else {
                GeoPoint {
                    lat: base.lat + rng.between(-spread, spread),
                    lon: base.lon + rng.between(-spread, spread),
                }
            }
        })
        .collect();
    DistanceMatrix::haversine(&base, &stops)
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, well-mixed generator, enough for
/// reproducible test days without a random-number crate.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [low, high).
    pub(crate) fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Uniform in 0..bound (bound > 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn brute_force(matrix: &DistanceMatrix, shape: RouteShape) -> f64 {
        fn go(
            matrix: &DistanceMatrix,
            shape: RouteShape,
            order: &mut Vec<usize>,
            used: &mut [bool],
            best: &mut f64,
        ) {
            if order.len() == used.len() {
                *best = best.min(route_length(matrix, shape, order));
                return;
            }
            for s in 0..used.len() {
                if !used[s] {
                    used[s] = true;
                    order.push(s);
                    go(matrix, shape, order, used, best);
                    order.pop();
                    used[s] = false;
                }
            }
        }
        let mut best = f64::INFINITY;
        let n = matrix.stops();
        go(
            matrix,
            shape,
            &mut Vec::new(),
            &mut vec![false; n],
            &mut best,
        );
        if n == 0 {
            0.0
        } else {
            best
        }
    }

    fn line(positions: &[f64]) -> DistanceMatrix {
        // Node 0 at 0, stop i at positions[i] on a straight road.
        let nodes: Vec<f64> = std::iter::once(0.0)
            .chain(positions.iter().copied())
            .collect();
        DistanceMatrix::from_fn(nodes.len(), |i, j| (nodes[i] - nodes[j]).abs()).unwrap()
    }

    #[test]
    fn stops_on_one_road_are_visited_outwards() {
        let matrix = line(&[3.0, 1.0, 2.0, 5.0, 4.0]);
        let route = plan_route(&matrix, RouteShape::Open);
        assert_eq!(route.order, [1, 2, 0, 4, 3]);
        assert!((route.length_m - 5.0).abs() < 1e-9);
        let heuristic = plan_route_with(&matrix, RouteShape::Closed, 0);
        assert!((heuristic.length_m - 10.0).abs() < 1e-9);
    }

    #[test]
    fn an_empty_day_has_an_empty_route() {
        let matrix = DistanceMatrix::new(1, vec![0.0]).unwrap();
        for shape in [RouteShape::Open, RouteShape::Closed] {
            assert_eq!(plan_route(&matrix, shape).order, Vec::<usize>::new());
            assert!(plan_route_with(&matrix, shape, 0).order.is_empty());
        }
    }

    #[test]
    fn invalid_matrices_are_refused() {
        assert_eq!(DistanceMatrix::new(0, vec![]), Err(MatrixError::Empty));
        assert!(matches!(
            DistanceMatrix::new(2, vec![0.0; 3]),
            Err(MatrixError::WrongLength { expected: 4, .. })
        ));
        assert_eq!(
            DistanceMatrix::new(2, vec![0.0, 1.0, f64::NAN, 0.0]),
            Err(MatrixError::InvalidDistance { from: 1, to: 0 })
        );
        assert!(DistanceMatrix::new(2, vec![0.0, -1.0, 1.0, 0.0]).is_err());
    }

    #[test]
    fn held_karp_matches_brute_force_on_asymmetric_days() {
        let mut rng = SplitMix64(7);
        for _ in 0..40 {
            let n = 1 + rng.below(7) as usize;
            let matrix =
                DistanceMatrix::from_fn(n + 1, |i, j| if i == j { 0.0 } else { rng_cell(i, j) })
                    .unwrap();
            for shape in [RouteShape::Open, RouteShape::Closed] {
                let exact = optimal(&matrix, shape).unwrap();
                assert!(is_permutation(&exact.order, n));
                assert!((exact.length_m - brute_force(&matrix, shape)).abs() < 1e-6);
            }
        }
    }

    fn rng_cell(i: usize, j: usize) -> f64 {
        let mut rng = SplitMix64((i as u64) << 32 | j as u64);
        rng.between(100.0, 10_000.0)
    }

    #[test]
    fn heuristic_is_within_three_percent_of_optimal_and_never_worse_than_nearest_neighbour() {
        let quality = route_quality(500, EXACT_MAX_STOPS, 20_260_101);
        assert_eq!(quality.days, 500);
        assert!(quality.never_worse_than_nn);
        assert!(quality.mean_gap < 0.03, "{quality:?}");
        assert!(quality.worst_gap < 0.2, "{quality:?}");
    }

    #[test]
    fn closed_routes_improve_too() {
        let mut rng = SplitMix64(99);
        for _ in 0..100 {
            let matrix = random_day(&mut rng, 10);
            let nn = nearest_neighbour(&matrix, RouteShape::Closed);
            let improved = improve(&matrix, RouteShape::Closed, nn.order.clone());
            let best = optimal(&matrix, RouteShape::Closed).unwrap();
            assert!(improved.length_m <= nn.length_m + 1e-6);
            assert!(improved.length_m >= best.length_m - 1e-6);
            assert!((brute_force_if_small(&matrix) - best.length_m).abs() < 1e-6);
        }
    }

    fn brute_force_if_small(matrix: &DistanceMatrix) -> f64 {
        if matrix.stops() <= 7 {
            brute_force(matrix, RouteShape::Closed)
        } else {
            optimal(matrix, RouteShape::Closed).unwrap().length_m
        }
    }

    #[test]
    fn improve_replaces_an_order_that_is_not_a_permutation() {
        let matrix = line(&[1.0, 2.0]);
        let route = improve(&matrix, RouteShape::Open, vec![0, 0]);
        assert!(is_permutation(&route.order, 2));
    }

    proptest! {
        #[test]
        fn every_route_is_a_permutation_of_the_stops(
            points in proptest::collection::vec((27.5f64..29.0, 112.0f64..114.0), 0..30),
            closed in any::<bool>(),
        ) {
            let stops: Vec<GeoPoint> = points.iter().map(|&(lat, lon)| GeoPoint { lat, lon }).collect();
            let base = GeoPoint { lat: 28.2, lon: 112.9 };
            let matrix = DistanceMatrix::haversine(&base, &stops);
            let shape = if closed { RouteShape::Closed } else { RouteShape::Open };
            let nn = nearest_neighbour(&matrix, shape);
            prop_assert!(is_permutation(&nn.order, stops.len()));
            let improved = improve(&matrix, shape, nn.order.clone());
            prop_assert!(is_permutation(&improved.order, stops.len()));
            prop_assert!(improved.length_m <= nn.length_m + 1e-6);
            let planned = plan_route(&matrix, shape);
            prop_assert!(is_permutation(&planned.order, stops.len()));
            prop_assert!(planned.length_m <= improved.length_m + 1e-6);
            prop_assert!((planned.length_m - route_length(&matrix, shape, &planned.order)).abs() < 1e-6);
        }
    }
}
