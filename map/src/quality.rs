//! How well points group: silhouette, cluster purity and the cluster-by-label table, and
//! k-nearest-neighbour leave-one-out accuracy.

use rayon::prelude::*;

use crate::linalg::{dist2, Matrix};

/// Points whose silhouette is computed exactly (against all points); above this a seeded
/// sample of this many points is used.
pub const SILHOUETTE_SAMPLE: usize = 2000;

/// Distances from a (seeded) sample of points to every point, reused to score many labelings.
pub struct SilhouetteCache {
    /// Sampled point indices.
    sample: Vec<usize>,
    /// `sample.len() × n` Euclidean distances, row per sampled point.
    dist: Vec<f32>,
    n: usize,
}

impl SilhouetteCache {
    /// Distances from up to `max_sample` points (all if fewer) to all points of `x`.
    pub fn new(x: &Matrix, max_sample: usize, seed: u64) -> Self {
        let n = x.rows;
        let mut sample: Vec<usize> = (0..n).collect();
        if n > max_sample {
            let mut rng = fastrand::Rng::with_seed(seed ^ 0x5349_4c48);
            rng.shuffle(&mut sample);
            sample.truncate(max_sample);
            sample.sort_unstable();
        }
        let mut dist = vec![0.0f32; sample.len() * n];
        dist.par_chunks_mut(n.max(1))
            .zip(sample.par_iter())
            .for_each(|(row, &i)| {
                let xi = x.row(i);
                for (j, d) in row.iter_mut().enumerate() {
                    *d = dist2(xi, x.row(j)).sqrt();
                }
            });
        Self { sample, dist, n }
    }

    /// Mean silhouette (−1..1) of `labels` (one per point, any integers), over the sampled
    /// points. Points alone in their group score 0; `None` with fewer than 2 groups.
    pub fn silhouette(&self, labels: &[usize]) -> Option<f32> {
        let groups = labels.iter().copied().max().map_or(0, |m| m + 1);
        let sizes = counts(labels, groups);
        if sizes.iter().filter(|&&c| c > 0).count() < 2 {
            return None;
        }
        let total: f64 = self
            .sample
            .par_iter()
            .enumerate()
            .map(|(s, &i)| {
                let row = &self.dist[s * self.n..(s + 1) * self.n];
                let mut sums = vec![0.0f64; groups];
                for (d, &l) in row.iter().zip(labels) {
                    sums[l] += *d as f64;
                }
                let own = labels[i];
                if sizes[own] <= 1 {
                    return 0.0;
                }
                let a = sums[own] / (sizes[own] - 1) as f64;
                let b = (0..groups)
                    .filter(|&g| g != own && sizes[g] > 0)
                    .map(|g| sums[g] / sizes[g] as f64)
                    .fold(f64::INFINITY, f64::min);
                let m = a.max(b);
                if m > 0.0 {
                    (b - a) / m
                } else {
                    0.0
                }
            })
            .sum();
        Some((total / self.sample.len() as f64) as f32)
    }
}

/// Occurrences of each value `0..groups` in `labels`.
fn counts(labels: &[usize], groups: usize) -> Vec<usize> {
    let mut c = vec![0usize; groups];
    for &l in labels {
        c[l] += 1;
    }
    c
}

/// Cluster-by-label contingency table and purity.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Contingency {
    /// `counts[cluster][label]`: points of `label` in `cluster`.
    pub counts: Vec<Vec<usize>>,
    /// Per cluster: the majority label's share of the cluster (0..1; 0 for empty clusters).
    pub cluster_purity: Vec<f32>,
    /// Overall purity: the points in their cluster's majority label, as a fraction (0..1).
    pub purity: f32,
}

impl Contingency {
    /// Counts `clusters` (0..k) against `labels` (0..m).
    pub fn new(clusters: &[usize], labels: &[usize]) -> Self {
        let k = clusters.iter().copied().max().map_or(0, |m| m + 1);
        let m = labels.iter().copied().max().map_or(0, |m| m + 1);
        let mut counts = vec![vec![0usize; m]; k];
        for (&c, &l) in clusters.iter().zip(labels) {
            counts[c][l] += 1;
        }
        let majority: usize = counts
            .iter()
            .map(|r| r.iter().copied().max().unwrap_or(0))
            .sum();
        let cluster_purity = counts
            .iter()
            .map(|r| {
                let t: usize = r.iter().sum();
                if t == 0 {
                    0.0
                } else {
                    *r.iter().max().unwrap_or(&0) as f32 / t as f32
                }
            })
            .collect();
        let purity = if clusters.is_empty() {
            0.0
        } else {
            majority as f32 / clusters.len() as f32
        };
        Self {
            counts,
            cluster_purity,
            purity,
        }
    }

    /// A plain-text table: one row per cluster, one column per label, then the purity.
    pub fn table(&self, label_names: &[String]) -> String {
        let width = label_names
            .iter()
            .map(|l| l.len())
            .max()
            .unwrap_or(5)
            .clamp(5, 16);
        let mut s = format!("{:>8}", "cluster");
        for l in label_names {
            let short: String = l
                .chars()
                .rev()
                .take(width)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            s += &format!(" {short:>width$}");
        }
        s += "   purity\n";
        for (c, row) in self.counts.iter().enumerate() {
            s += &format!("{c:>8}");
            for v in row {
                s += &format!(" {v:>width$}");
            }
            s += &format!("   {:.3}\n", self.cluster_purity[c]);
        }
        s += &format!("overall purity {:.3}\n", self.purity);
        s
    }
}

/// Leave-one-out accuracy (0..1) of a majority vote among the `k` nearest neighbours (ties go to
/// the nearest neighbour's label).
pub fn knn_loo_accuracy(x: &Matrix, labels: &[usize], k: usize) -> f32 {
    if x.rows < 2 {
        return 0.0;
    }
    let nn = crate::knn::knn(x, k);
    let groups = labels.iter().copied().max().map_or(0, |m| m + 1);
    let correct = nn
        .iter()
        .enumerate()
        .filter(|(i, nb)| {
            let mut votes = vec![0usize; groups];
            for &(j, _) in nb.iter() {
                votes[labels[j as usize]] += 1;
            }
            let best = *votes.iter().max().unwrap_or(&0);
            let winner = nb
                .iter()
                .map(|&(j, _)| labels[j as usize])
                .find(|&l| votes[l] == best)
                .unwrap_or(usize::MAX);
            winner == labels[*i]
        })
        .count();
    correct as f32 / x.rows as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silhouette_of_two_clear_groups() {
        let x = Matrix {
            rows: 4,
            cols: 1,
            data: vec![0.0, 1.0, 10.0, 11.0],
        };
        let cache = SilhouetteCache::new(&x, 100, 0);
        // a = 1, b = 10 (or 9.5 / 10.5 averaged): a hand computation for point 0 gives
        // (10.5 - 1) / 10.5.
        let s = cache.silhouette(&[0, 0, 1, 1]).unwrap();
        let expected = ((10.5 - 1.0) / 10.5 + (9.5 - 1.0) / 9.5) / 2.0;
        assert!((s - expected as f32).abs() < 1e-5, "{s} vs {expected}");
        assert!(cache.silhouette(&[0, 0, 0, 0]).is_none());
    }

    #[test]
    fn purity_counts_majorities() {
        let c = Contingency::new(&[0, 0, 0, 1, 1], &[0, 0, 1, 1, 1]);
        assert_eq!(c.counts, vec![vec![2, 1], vec![0, 2]]);
        assert!((c.purity - 0.8).abs() < 1e-6);
    }
}
