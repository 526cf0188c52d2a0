//! A compact, seeded UMAP (McInnes, Healy & Melville 2018) over an exact kNN graph.
//!
//! Steps as in the reference implementation: per-point `rho` (distance to the nearest
//! neighbour) and `sigma` (binary search so the memberships sum to log2 k), fuzzy union
//! `a + b - a b` of the directed graph, then stochastic gradient descent on the 2-D layout
//! with edges sampled in proportion to their weight and negative sampling. It runs on one
//! thread with one seeded RNG, so a seed gives the same map on any machine and core count.

use crate::knn::knn;
use crate::linalg::{Matrix, Pca};

/// UMAP hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UmapParams {
    /// Neighbours per point in the graph (2..; capped at n - 1).
    pub n_neighbors: usize,
    /// Optimisation epochs; 0 picks 500 below 10,000 points and 200 from there on.
    pub n_epochs: usize,
    /// Minimum distance between embedded points (layout units, 0..spread).
    pub min_dist: f32,
    /// Negative samples per positive sample.
    pub negative_sample_rate: usize,
    /// Seed of the initial jitter and of the sampling.
    pub seed: u64,
}

impl Default for UmapParams {
    /// 15 neighbours, automatic epochs, min_dist 0.1, 5 negative samples, seed 0.
    fn default() -> Self {
        Self {
            n_neighbors: 15,
            n_epochs: 0,
            min_dist: 0.1,
            negative_sample_rate: 5,
            seed: 0,
        }
    }
}

/// Curve parameters `a`, `b` of `1 / (1 + a d^2b)` for `spread = 1` and `min_dist`, fitted by
/// least squares on a grid (as `umap.umap_.find_ab_params` does).
pub fn find_ab(min_dist: f32) -> (f32, f32) {
    let xs: Vec<f64> = (1..300).map(|i| i as f64 * 3.0 / 300.0).collect();
    let target = |x: f64| {
        if x < min_dist as f64 {
            1.0
        } else {
            (-(x - min_dist as f64)).exp()
        }
    };
    let loss = |a: f64, b: f64| -> f64 {
        xs.iter()
            .map(|&x| (1.0 / (1.0 + a * x.powf(2.0 * b)) - target(x)).powi(2))
            .sum()
    };
    // Coarse grid then local refinement: cheap and deterministic.
    let (mut best_a, mut best_b, mut best) = (1.0, 1.0, f64::INFINITY);
    for ia in 1..=60 {
        for ib in 1..=40 {
            let (a, b) = (ia as f64 * 0.05, ib as f64 * 0.05);
            let l = loss(a, b);
            if l < best {
                (best_a, best_b, best) = (a, b, l);
            }
        }
    }
    let mut step = 0.025;
    while step > 1e-5 {
        let mut improved = false;
        for (da, db) in [(step, 0.0), (-step, 0.0), (0.0, step), (0.0, -step)] {
            let (a, b) = (best_a + da, best_b + db);
            if a > 0.0 && b > 0.0 {
                let l = loss(a, b);
                if l < best {
                    (best_a, best_b, best) = (a, b, l);
                    improved = true;
                }
            }
        }
        if !improved {
            step *= 0.5;
        }
    }
    (best_a as f32, best_b as f32)
}

/// Embeds the rows of `x` in 2-D. Returns one `[x, y]` per row.
pub fn umap(x: &Matrix, params: &UmapParams) -> Vec<[f32; 2]> {
    let n = x.rows;
    if n < 3 {
        return (0..n).map(|i| [i as f32, 0.0]).collect();
    }
    let k = params.n_neighbors.clamp(2, n - 1);
    let neighbors = knn(x, k);
    let edges = fuzzy_graph(&neighbors, k);
    let init = initial_layout(x, params.seed);
    optimize(init, &edges, n, params)
}

/// A weighted undirected edge `(i, j, w)`, stored once per direction.
type Edge = (u32, u32, f32);

/// The symmetric fuzzy simplicial set as a list of directed edges (both directions).
fn fuzzy_graph(neighbors: &[Vec<(u32, f32)>], k: usize) -> Vec<Edge> {
    let target = (k as f32).log2();
    let mut directed: Vec<(u32, u32, f32)> = Vec::with_capacity(neighbors.len() * k);
    for (i, nn) in neighbors.iter().enumerate() {
        let rho = nn.iter().map(|p| p.1).find(|&d| d > 0.0).unwrap_or(0.0);
        let (mut lo, mut hi, mut sigma) = (0.0f32, f32::INFINITY, 1.0f32);
        for _ in 0..64 {
            let s: f32 = nn
                .iter()
                .map(|p| (-((p.1 - rho).max(0.0)) / sigma).exp())
                .sum();
            if (s - target).abs() < 1e-5 {
                break;
            }
            if s > target {
                hi = sigma;
                sigma = 0.5 * (lo + hi);
            } else {
                lo = sigma;
                sigma = if hi.is_finite() {
                    0.5 * (lo + hi)
                } else {
                    sigma * 2.0
                };
            }
        }
        let mean_d = nn.iter().map(|p| p.1).sum::<f32>() / nn.len().max(1) as f32;
        sigma = sigma.max(1e-3 * mean_d).max(1e-12);
        for &(j, d) in nn {
            directed.push((i as u32, j, (-((d - rho).max(0.0)) / sigma).exp()));
        }
    }
    // Fuzzy union: w_ij + w_ji - w_ij w_ji, over the unordered pairs.
    let mut pairs: Vec<(u32, u32, f32)> = directed
        .iter()
        .map(|&(i, j, w)| if i < j { (i, j, w) } else { (j, i, w) })
        .collect();
    pairs.sort_by_key(|&(i, j, _)| (i, j));
    let mut edges = Vec::with_capacity(pairs.len() * 2);
    let mut idx = 0;
    while idx < pairs.len() {
        let (i, j, w) = pairs[idx];
        let mut w_sym = w;
        if idx + 1 < pairs.len() && pairs[idx + 1].0 == i && pairs[idx + 1].1 == j {
            let w2 = pairs[idx + 1].2;
            w_sym = w + w2 - w * w2;
            idx += 2;
        } else {
            idx += 1;
        }
        edges.push((i, j, w_sym));
        edges.push((j, i, w_sym));
    }
    edges
}

/// PCA init scaled to a 10-unit box, plus seeded jitter so duplicate points separate.
fn initial_layout(x: &Matrix, seed: u64) -> Vec<[f32; 2]> {
    let pca = Pca::fit(x, 2);
    let p = pca.transform(x);
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x554d_4150);
    let mut out: Vec<[f32; 2]> = (0..x.rows)
        .map(|i| {
            [
                p.data[i * p.cols],
                if p.cols > 1 {
                    p.data[i * p.cols + 1]
                } else {
                    0.0
                },
            ]
        })
        .collect();
    let max = out
        .iter()
        .flat_map(|v| v.iter())
        .fold(0.0f32, |a, v| a.max(v.abs()))
        .max(1e-12);
    for v in &mut out {
        v[0] = v[0] / max * 10.0 + 1e-4 * (rng.f32() - 0.5);
        v[1] = v[1] / max * 10.0 + 1e-4 * (rng.f32() - 0.5);
    }
    out
}

/// Stochastic gradient descent on the layout (`move_other`, as for `fit_transform`).
fn optimize(mut y: Vec<[f32; 2]>, edges: &[Edge], n: usize, p: &UmapParams) -> Vec<[f32; 2]> {
    let (a, b) = find_ab(p.min_dist);
    let n_epochs = if p.n_epochs > 0 {
        p.n_epochs
    } else if n <= 10_000 {
        500
    } else {
        200
    };
    let w_max = edges.iter().map(|e| e.2).fold(0.0f32, f32::max);
    // Edges too weak to be sampled even once are dropped (as the reference does).
    let kept: Vec<&Edge> = edges
        .iter()
        .filter(|e| e.2 >= w_max / n_epochs as f32)
        .collect();
    let eps: Vec<f32> = kept.iter().map(|e| w_max / e.2).collect();
    let neg_rate = p.negative_sample_rate.max(1) as f32;
    let eps_neg: Vec<f32> = eps.iter().map(|e| e / neg_rate).collect();
    let mut next: Vec<f32> = eps.clone();
    let mut next_neg: Vec<f32> = eps_neg.clone();
    let mut rng = fastrand::Rng::with_seed(p.seed);
    let clip = |g: f32| g.clamp(-4.0, 4.0);
    for epoch in 0..n_epochs {
        let alpha = 1.0 - epoch as f32 / n_epochs as f32;
        let e = epoch as f32;
        for (idx, &&(i, j, _)) in kept.iter().enumerate() {
            if next[idx] > e {
                continue;
            }
            let (i, j) = (i as usize, j as usize);
            let (dx, dy) = (y[i][0] - y[j][0], y[i][1] - y[j][1]);
            let d2 = dx * dx + dy * dy;
            if d2 > 0.0 {
                let coeff = -2.0 * a * b * d2.powf(b - 1.0) / (a * d2.powf(b) + 1.0);
                let (gx, gy) = (clip(coeff * dx) * alpha, clip(coeff * dy) * alpha);
                y[i][0] += gx;
                y[i][1] += gy;
                y[j][0] -= gx;
                y[j][1] -= gy;
            }
            next[idx] += eps[idx];
            let n_neg = ((e - next_neg[idx]) / eps_neg[idx]) as usize;
            for _ in 0..n_neg {
                let k = rng.usize(0..n);
                if k == i {
                    continue;
                }
                let (dx, dy) = (y[i][0] - y[k][0], y[i][1] - y[k][1]);
                let d2 = dx * dx + dy * dy;
                let (gx, gy) = if d2 > 0.0 {
                    let coeff = 2.0 * b / ((0.001 + d2) * (a * d2.powf(b) + 1.0));
                    (clip(coeff * dx), clip(coeff * dy))
                } else {
                    (4.0, 4.0)
                };
                y[i][0] += gx * alpha;
                y[i][1] += gy * alpha;
            }
            next_neg[idx] += n_neg as f32 * eps_neg[idx];
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ab_for_default_min_dist() {
        // umap-learn gives a = 1.577, b = 0.895 for min_dist 0.1, spread 1.
        let (a, b) = find_ab(0.1);
        assert!(
            (a - 1.577).abs() < 0.05 && (b - 0.895).abs() < 0.02,
            "a={a} b={b}"
        );
    }
}
