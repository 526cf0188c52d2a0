//! Barnes–Hut t-SNE through the `bhtsne` crate (MIT), started from a seeded initial layout so
//! a seed gives the same map.

use bhtsne::tSNE;

use crate::linalg::{dist2, Matrix, Pca};

/// t-SNE hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TsneParams {
    /// Perplexity (effective neighbours); capped so that `3 * perplexity < n - 1`.
    pub perplexity: f32,
    /// Gradient-descent epochs.
    pub epochs: usize,
    /// Barnes–Hut accuracy (0 exact .. 1 coarse).
    pub theta: f32,
    /// Seed of the initial layout.
    pub seed: u64,
}

impl Default for TsneParams {
    /// Perplexity 30, 750 epochs, theta 0.5, seed 0.
    fn default() -> Self {
        Self {
            perplexity: 30.0,
            epochs: 750,
            theta: 0.5,
            seed: 0,
        }
    }
}

/// Embeds the rows of `x` in 2-D with Barnes–Hut t-SNE. Returns one `[x, y]` per row.
pub fn tsne(x: &Matrix, params: &TsneParams) -> Vec<[f32; 2]> {
    let n = x.rows;
    if n < 5 {
        return (0..n).map(|i| [i as f32, 0.0]).collect();
    }
    // NOTE: bhtsne panics unless n - 1 >= 3 * perplexity.
    let perplexity = params.perplexity.min((n - 2) as f32 / 3.0).max(1.0);
    // Initial layout: the first two principal components scaled to a standard deviation of
    // 1e-4 (as openTSNE's "pca" initialisation), plus seeded jitter.
    let pca = Pca::fit(x, 2);
    let p = pca.transform(x);
    let sd = (pca.variance.first().copied().unwrap_or(1.0))
        .sqrt()
        .max(1e-12);
    let mut rng = fastrand::Rng::with_seed(params.seed ^ 0x7453_4e45);
    let init: Vec<f32> = (0..n)
        .flat_map(|i| {
            let a = p.data[i * p.cols] / sd * 1e-4;
            let b = if p.cols > 1 {
                p.data[i * p.cols + 1] / sd * 1e-4
            } else {
                0.0
            };
            [a, b]
        })
        .map(|v| v + 1e-6 * (rng.f32() - 0.5))
        .collect();
    let rows = x.row_slices();
    let run = || {
        // The trailing const generic (embedding dimension) defaults to 2.
        let mut t: tSNE<f32, &[f32]> = tSNE::new(&rows);
        t.perplexity(perplexity)
            .epochs(params.epochs.max(1))
            .initial_embedding(init.clone());
        t.barnes_hut(params.theta.clamp(0.01, 1.0), |a, b| dist2(a, b).sqrt());
        t.embedding().chunks(2).map(|c| [c[0], c[1]]).collect()
    };
    // NOTE: bhtsne sums gradients in parallel with rayon, in an order that varies from run to
    // run; one thread makes the map repeat exactly for a seed (about 1.5x slower on 2 cores).
    match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    }
}
