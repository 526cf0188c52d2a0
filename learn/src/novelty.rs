//! Unknown-hit detection without a trained "void" class: a hit's distance to each class,
//! relative to how far the class's own hits lie from it.
//!
//! Per class `c` (in the standardised descriptor space, all dimensions): a mean `μ_c` and
//! per-dimension variances shrunk toward the pooled within-class variance,
//! `v_cj = (n_c s²_cj + κ p_j) / (n_c + κ)` (floored at [`VAR_FLOOR`]). The distance is the
//! RMS standardised difference `d_c(z) = sqrt(mean_j (z_j − μ_cj)² / v_cj)`, divided by a high
//! quantile of the class's own leave-one-out distances. Novelty is the minimum over the
//! classes and, when enabled, over points along the segment between the interpolation pair's
//! classes (hits between "center" and "edge" are expected, not novel). `novelty ≤ 1` means
//! "as close as most of a class's own hits".

use crate::error::{check_finite, LearnError};
use serde::{Deserialize, Serialize};

/// Smallest per-dimension variance, in standardised units².
pub const VAR_FLOOR: f64 = 0.05;
/// Strength of the pooled-variance prior, in examples (κ above).
pub const PRIOR_EXAMPLES: f64 = 5.0;
/// Number of interior points along the pair segment.
pub const SEGMENT_POINTS: usize = 7;

/// One reference distribution: a class or a point between the pair's classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prototype {
    /// Mean, standardised units.
    pub mean: Vec<f32>,
    /// `1 / v_j`, per dimension.
    pub inv_var: Vec<f32>,
    /// `1 / (dims · scale²)` so that novelty² = Σ_j (z_j − μ_j)² · inv_var_j · this.
    pub norm: f32,
}

impl Prototype {
    #[inline]
    fn novelty2(&self, z: &[f32]) -> f32 {
        let mut acc = [0.0f32; 4];
        let n = z.len() / 4 * 4;
        for ((zc, mc), vc) in z[..n].chunks_exact(4).zip(self.mean[..n].chunks_exact(4)).zip(self.inv_var[..n].chunks_exact(4)) {
            for k in 0..4 {
                let d = zc[k] - mc[k];
                acc[k] += d * d * vc[k];
            }
        }
        let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        for ((z, m), v) in z[n..].iter().zip(&self.mean[n..]).zip(&self.inv_var[n..]) {
            s += (z - m) * (z - m) * v;
        }
        s * self.norm
    }
}

/// Fitted novelty scorer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Novelty {
    /// Dimension of the standardised descriptors.
    pub dims: usize,
    /// Classes first (compact order), then the pair segment points.
    pub prototypes: Vec<Prototype>,
    /// Leave-one-out novelty of every training example (for the default threshold and reports).
    pub loo: Vec<f32>,
}

/// Per-class sufficient statistics.
struct ClassStats {
    n: f64,
    sum: Vec<f64>,
    sum2: Vec<f64>,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 1.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (i, f) = (pos.floor() as usize, pos.fract());
    if i + 1 < sorted.len() {
        sorted[i] * (1.0 - f) + sorted[i + 1] * f
    } else {
        sorted[i]
    }
}

impl Novelty {
    /// Fits to standardised `rows` with compact `labels` (< `classes`, ≥ 2 examples each).
    /// `quantile` (0.5..1) picks the per-class distance scale; `pair` (compact indices) adds the
    /// segment points.
    pub fn fit(rows: &[Vec<f64>], labels: &[usize], classes: usize, quantile_q: f64, pair: Option<(usize, usize)>) -> Self {
        let d = rows.first().map_or(0, |r| r.len());
        let mut st: Vec<ClassStats> =
            (0..classes).map(|_| ClassStats { n: 0.0, sum: vec![0.0; d], sum2: vec![0.0; d] }).collect();
        for (r, &l) in rows.iter().zip(labels) {
            let s = &mut st[l];
            s.n += 1.0;
            for j in 0..d {
                s.sum[j] += r[j];
                s.sum2[j] += r[j] * r[j];
            }
        }
        // Pooled within-class variance.
        let mut pooled = vec![0.0f64; d];
        let mut dof = 0.0;
        for s in &st {
            for j in 0..d {
                pooled[j] += s.sum2[j] - s.sum[j] * s.sum[j] / s.n;
            }
            dof += s.n - 1.0;
        }
        pooled.iter_mut().for_each(|p| *p = (*p / dof.max(1.0)).max(VAR_FLOOR));
        let shrink = |n: f64, var: f64, j: usize| ((n * var + PRIOR_EXAMPLES * pooled[j]) / (n + PRIOR_EXAMPLES)).max(VAR_FLOOR);
        let moments = |n: f64, sum: &[f64], sum2: &[f64]| -> (Vec<f64>, Vec<f64>) {
            let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
            let var: Vec<f64> = (0..d).map(|j| shrink(n, (sum2[j] / n - mean[j] * mean[j]).max(0.0), j)).collect();
            (mean, var)
        };
        let dist = |x: &[f64], mean: &[f64], var: &[f64]| -> f64 {
            ((0..d).map(|j| (x[j] - mean[j]).powi(2) / var[j]).sum::<f64>() / d as f64).sqrt()
        };
        let full: Vec<(Vec<f64>, Vec<f64>)> = st.iter().map(|s| moments(s.n, &s.sum, &s.sum2)).collect();
        // Leave-one-out distances of each example to its own class.
        let mut own = vec![0.0f64; rows.len()];
        let mut per_class: Vec<Vec<f64>> = vec![Vec::new(); classes];
        for (i, (r, &l)) in rows.iter().zip(labels).enumerate() {
            let s = &st[l];
            let sum: Vec<f64> = (0..d).map(|j| s.sum[j] - r[j]).collect();
            let sum2: Vec<f64> = (0..d).map(|j| s.sum2[j] - r[j] * r[j]).collect();
            let (m, v) = moments(s.n - 1.0, &sum, &sum2);
            own[i] = dist(r, &m, &v);
            per_class[l].push(own[i]);
        }
        let scales: Vec<f64> = per_class
            .iter_mut()
            .map(|v| {
                v.sort_by(f64::total_cmp);
                quantile(v, quantile_q).max(1e-6)
            })
            .collect();
        let proto = |mean: &[f64], var: &[f64], scale: f64| Prototype {
            mean: mean.iter().map(|&v| v as f32).collect(),
            inv_var: var.iter().map(|&v| (1.0 / v) as f32).collect(),
            norm: (1.0 / (d as f64 * scale * scale)) as f32,
        };
        let mut prototypes: Vec<Prototype> = full.iter().zip(&scales).map(|((m, v), &s)| proto(m, v, s)).collect();
        let mut segment = Vec::new();
        if let Some((a, b)) = pair {
            for k in 1..=SEGMENT_POINTS {
                let t = k as f64 / (SEGMENT_POINTS + 1) as f64;
                let lerp = |x: &[f64], y: &[f64]| -> Vec<f64> { x.iter().zip(y).map(|(p, q)| p + t * (q - p)).collect() };
                let m = lerp(&full[a].0, &full[b].0);
                let v = lerp(&full[a].1, &full[b].1);
                let s = scales[a] + t * (scales[b] - scales[a]);
                segment.push((m, v, s));
                let (m, v, s) = segment.last().unwrap();
                prototypes.push(proto(m, v, *s));
            }
        }
        // Leave-one-out novelty: own class left out, the others (and the segment) as fitted.
        let loo = rows
            .iter()
            .zip(labels)
            .enumerate()
            .map(|(i, (r, &l))| {
                let mut best = own[i] / scales[l];
                for (c, (m, v)) in full.iter().enumerate() {
                    if c != l {
                        best = best.min(dist(r, m, v) / scales[c]);
                    }
                }
                for (m, v, s) in &segment {
                    best = best.min(dist(r, m, v) / s);
                }
                best as f32
            })
            .collect();
        Self { dims: d, prototypes, loo }
    }

    /// Novelty of standardised `z`: the smallest relative distance to a class or pair segment
    /// point (dimensionless, ≥ 0; ≈ 1 at the edge of a class's own hits). Never allocates.
    #[inline]
    pub fn score(&self, z: &[f32]) -> f32 {
        self.prototypes.iter().map(|p| p.novelty2(z)).fold(f32::INFINITY, f32::min).sqrt()
    }

    /// The `q` quantile (0..=1) of the leave-one-out novelties of the training examples.
    pub fn loo_quantile(&self, q: f64) -> f32 {
        let mut v: Vec<f64> = self.loo.iter().map(|&x| x as f64).collect();
        v.sort_by(f64::total_cmp);
        quantile(&v, q) as f32
    }

    /// Checks dimensions and finiteness.
    pub fn validate(&self, dims: usize, min_prototypes: usize) -> Result<(), LearnError> {
        if self.dims != dims || self.prototypes.len() < min_prototypes {
            return Err(LearnError::Corrupt(format!(
                "novelty has {} dims and {} prototypes (expected {dims} dims, ≥ {min_prototypes})",
                self.dims,
                self.prototypes.len()
            )));
        }
        for (k, p) in self.prototypes.iter().enumerate() {
            if p.mean.len() != dims || p.inv_var.len() != dims {
                return Err(LearnError::Corrupt(format!("novelty prototype {k} has wrong sizes")));
            }
            check_finite(&p.mean, &|i| format!("novelty prototype {k} mean[{i}]"))?;
            check_finite(&p.inv_var, &|i| format!("novelty prototype {k} inv_var[{i}]"))?;
            if !(p.norm > 0.0 && p.norm.is_finite()) || p.inv_var.iter().any(|&v| v <= 0.0) {
                return Err(LearnError::Corrupt(format!("novelty prototype {k} has a non-positive scale")));
            }
        }
        check_finite(&self.loo, &|i| format!("novelty loo[{i}]"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_points_are_novel_and_the_segment_is_not() {
        let mut rng = fastrand::Rng::with_seed(4);
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for i in 0..80 {
            let c = i % 2;
            rows.push((0..6).map(|j| if j == 0 { c as f64 * 10.0 } else { 0.0 } + rng.f64() - 0.5).collect::<Vec<_>>());
            labels.push(c);
        }
        let with = Novelty::fit(&rows, &labels, 2, 0.9, Some((0, 1)));
        let without = Novelty::fit(&rows, &labels, 2, 0.9, None);
        with.validate(6, 9).unwrap();
        let own: Vec<f32> = rows[0].iter().map(|&v| v as f32).collect();
        assert!(with.score(&own) < 1.2, "{}", with.score(&own));
        let mid = [5.0f32, 0.0, 0.0, 0.0, 0.0, 0.0];
        assert!(with.score(&mid) < 1.5 && without.score(&mid) > 3.0, "{} {}", with.score(&mid), without.score(&mid));
        let far = [5.0f32, 4.0, -4.0, 0.0, 0.0, 0.0];
        assert!(with.score(&far) > 3.0);
        // About 90 % of the leave-one-out novelties are below 1.
        let below = with.loo.iter().filter(|&&v| v <= 1.0).count();
        assert!((66..=80).contains(&below), "{below}");
    }
}
