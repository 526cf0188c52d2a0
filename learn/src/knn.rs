//! Distance-weighted k-nearest-neighbour classifier with smoothed votes (brute force, which is
//! fast enough for ≤ 1600 examples in ≤ 64 dimensions).

use crate::error::{check_finite, LearnError};
use serde::{Deserialize, Serialize};

/// Largest `k`.
pub const MAX_K: usize = 32;

/// A fitted kNN classifier over points in the reduced (PCA) space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Knn {
    /// Number of neighbours that vote (1..=[`MAX_K`]).
    pub k: usize,
    /// Dimension of the points.
    pub dims: usize,
    /// `n × dims` row-major training points.
    pub points: Vec<f32>,
    /// Class (compact index) of each point.
    pub labels: Vec<u8>,
    /// Number of classes.
    pub classes: usize,
    /// Added to every distance before weighting by `1 / (d + eps)` (space units, > 0).
    pub eps: f32,
    /// Vote smoothing at the typical neighbour distance (≥ 0): the probability of class `c` is
    /// `(share_c + s') / (1 + classes · s')` with `s' = smoothing · (1 + (d / d_ref)²)`, where
    /// `d` is the mean distance to the `k` neighbours. Hits far from every training hit (between
    /// two classes, or novel) thus get less certain votes.
    pub smoothing: f32,
    /// Typical mean distance of a training point to its `k` nearest other points (space units,
    /// > 0).
    pub d_ref: f32,
}

/// Squared Euclidean distance.
#[inline]
pub(crate) fn dist2(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 4];
    let n = a.len() / 4 * 4;
    for (x, y) in a[..n].chunks_exact(4).zip(b[..n].chunks_exact(4)) {
        for k in 0..4 {
            let d = x[k] - y[k];
            acc[k] += d * d;
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in a[n..].iter().zip(&b[n..]) {
        s += (x - y) * (x - y);
    }
    s
}

impl Knn {
    /// Stores the points (`rows`, compact `labels` < `classes`). `eps` is set to 1 % of the
    /// median nearest-neighbour distance among (up to 200 of) the points, `d_ref` to the median
    /// of their mean distance to their `k` nearest others.
    pub fn fit(
        rows: &[Vec<f64>],
        labels: &[usize],
        classes: usize,
        k: usize,
        smoothing: f32,
    ) -> Self {
        let dims = rows.first().map_or(0, |r| r.len());
        let points: Vec<f32> = rows
            .iter()
            .flat_map(|r| r.iter().map(|&v| v as f32))
            .collect();
        let mut knn = Self {
            k: k.clamp(1, MAX_K),
            dims,
            points,
            labels: labels.iter().map(|&l| l as u8).collect(),
            classes,
            eps: 1.0,
            smoothing,
            d_ref: 1.0,
        };
        let n = rows.len();
        let sample = n.min(200);
        let (mut nn, mut mean_k) = (Vec::new(), Vec::new());
        for i in 0..sample {
            let p = knn.point(i);
            let mut d: Vec<f32> = (0..n)
                .filter(|&j| j != i)
                .map(|j| dist2(p, knn.point(j)).sqrt())
                .collect();
            let k = knn.k.min(d.len());
            if k > 0 && k < d.len() {
                d.select_nth_unstable_by(k - 1, f32::total_cmp);
            }
            d.truncate(k);
            d.sort_by(f32::total_cmp);
            if let Some(&first) = d.first() {
                nn.push(first);
                mean_k.push(d.iter().sum::<f32>() / d.len() as f32);
            }
        }
        nn.sort_by(f32::total_cmp);
        mean_k.sort_by(f32::total_cmp);
        let median = nn.get(nn.len() / 2).copied().unwrap_or(1.0);
        knn.eps = (0.01 * median).max(1e-6);
        knn.d_ref = mean_k
            .get(mean_k.len() / 2)
            .copied()
            .unwrap_or(1.0)
            .max(1e-6);
        knn
    }

    /// Number of stored points.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether no point is stored.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    #[inline]
    fn point(&self, i: usize) -> &[f32] {
        &self.points[i * self.dims..(i + 1) * self.dims]
    }

    /// The `k` nearest points to `y` as (squared distance, index), nearest first, ties broken by
    /// index; returns how many were found (< k only with fewer points). Never allocates.
    // NOTE: `!(d < worst)` on purpose: a NaN distance is never inserted.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    pub fn neighbours(&self, y: &[f32], best: &mut [(f32, u32); MAX_K]) -> usize {
        let k = self.k.min(self.len());
        let mut found = 0;
        for i in 0..self.len() {
            let d = dist2(y, self.point(i));
            if found == k && !(d < best[k - 1].0) {
                continue;
            }
            // Insert, keeping the list sorted; equal distances keep the lower index first.
            let mut j = if found < k { found } else { k - 1 };
            while j > 0 && best[j - 1].0 > d {
                best[j] = best[j - 1];
                j -= 1;
            }
            best[j] = (d, i as u32);
            found = (found + 1).min(k);
        }
        found
    }

    /// Writes the log of the smoothed, distance-weighted vote shares of each class to
    /// `out[..classes]`. Never allocates.
    pub fn log_probs(&self, y: &[f32], out: &mut [f32]) {
        let mut best = [(0.0f32, 0u32); MAX_K];
        let found = self.neighbours(y, &mut best);
        let out = &mut out[..self.classes];
        out.fill(0.0);
        let mut total = 0.0f32;
        let mut dist = 0.0f32;
        for &(d2, i) in &best[..found] {
            let d = d2.sqrt();
            let w = 1.0 / (d + self.eps);
            out[self.labels[i as usize] as usize] += w;
            total += w;
            dist += d;
        }
        let rel = dist / found.max(1) as f32 / self.d_ref;
        let s = self.smoothing * (1.0 + rel * rel);
        let denom = 1.0 + self.classes as f32 * s;
        for o in out.iter_mut() {
            let share = if total > 0.0 {
                *o / total
            } else {
                1.0 / self.classes as f32
            };
            *o = ((share + s) / denom).max(1e-30).ln();
        }
    }

    /// Checks internal dimensions, labels and finiteness.
    pub fn validate(&self, dims: usize, classes: usize) -> Result<(), LearnError> {
        if self.dims != dims
            || self.classes != classes
            || self.points.len() != self.labels.len() * dims
        {
            return Err(LearnError::Corrupt(format!(
                "kNN has {} values, {} labels, {} dims, {} classes (expected {dims} dims, {classes} classes)",
                self.points.len(),
                self.labels.len(),
                self.dims,
                self.classes
            )));
        }
        if self.is_empty() || !(1..=MAX_K).contains(&self.k) {
            return Err(LearnError::Corrupt(format!(
                "kNN k = {} with {} points",
                self.k,
                self.len()
            )));
        }
        if let Some(l) = self.labels.iter().find(|&&l| l as usize >= classes) {
            return Err(LearnError::Corrupt(format!("kNN label {l} >= {classes}")));
        }
        check_finite(&self.points, &|i| format!("kNN points[{i}]"))?;
        if !(self.eps > 0.0
            && self.eps.is_finite()
            && self.smoothing >= 0.0
            && self.smoothing.is_finite()
            && self.d_ref > 0.0
            && self.d_ref.is_finite())
        {
            return Err(LearnError::Corrupt(format!(
                "kNN eps {} smoothing {}",
                self.eps, self.smoothing
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The straightforward reference: sort every distance.
    fn brute(knn: &Knn, y: &[f32]) -> Vec<(f32, u32)> {
        let mut all: Vec<(f32, u32)> = (0..knn.len())
            .map(|i| (dist2(y, knn.point(i)), i as u32))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        all.truncate(knn.k);
        all
    }

    #[test]
    fn neighbours_match_brute_force() {
        let mut rng = fastrand::Rng::with_seed(11);
        for (n, d, k) in [
            (1usize, 3usize, 5usize),
            (7, 2, 3),
            (300, 16, 5),
            (200, 5, 32),
            (50, 1, 1),
        ] {
            let rows: Vec<Vec<f64>> = (0..n)
                .map(|_| (0..d).map(|_| (rng.f64() * 4.0).round() / 2.0).collect())
                .collect();
            let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
            let knn = Knn::fit(&rows, &labels, 3, k, 0.05);
            for _ in 0..50 {
                let y: Vec<f32> = (0..d).map(|_| (rng.f32() * 4.0).round() / 2.0).collect();
                let mut best = [(0.0, 0); MAX_K];
                let found = knn.neighbours(&y, &mut best);
                assert_eq!(best[..found].to_vec(), brute(&knn, &y), "n {n} d {d} k {k}");
            }
        }
    }

    #[test]
    fn votes_are_smoothed_probabilities() {
        let rows = vec![vec![0.0], vec![0.1], vec![0.2], vec![5.0], vec![5.1]];
        let knn = Knn::fit(&rows, &[0, 0, 0, 1, 1], 2, 3, 0.05);
        let mut lp = [0.0f32; 2];
        knn.log_probs(&[0.05], &mut lp);
        let p: Vec<f32> = lp.iter().map(|l| l.exp()).collect();
        assert!((p[0] + p[1] - 1.0).abs() < 1e-5);
        assert!(p[0] > 0.9 && p[1] > 0.01, "{p:?}");
        knn.validate(1, 2).unwrap();
    }
}
