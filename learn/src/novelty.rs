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
//!
//! The diagonal distance ignores correlations, so a hit that is unusual only in how its
//! features move together (a noise burst against a snare) can look close, and a variation the
//! training hits do show together (bleed from another drum) can look far. The subspace distance
//! is meant for this: a Mahalanobis distance in the leading principal components, with each
//! class's covariance blended with the pooled one (κ examples) and shrunk by
//! [`SUBSPACE_SHRINKAGE`] toward a scaled identity. [`NoveltyMetric`] chooses one or both (the
//! RMS of the two relative distances). Measured on the synthetic snare, the subspace distance
//! separated noise bursts and cymbals from snare hits worse than the diagonal one (those sounds
//! differ mostly outside the principal subspace), so the diagonal one is the default.

use crate::error::{check_finite, LearnError};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// Shrinkage of each class's subspace covariance toward a scaled identity (0..1).
pub const SUBSPACE_SHRINKAGE: f64 = 0.1;

/// Which distance the novelty score uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum NoveltyMetric {
    /// Per-dimension standardised distance over the whole descriptor (the default: on the
    /// synthetic snare it separated other instruments from the snare best).
    #[default]
    Diagonal,
    /// Mahalanobis distance in the principal-component space.
    Subspace,
    /// Root mean square of both relative distances.
    Both,
}

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
    /// `1 / (dims · scale²)` so that novelty² = Σ_j (z_j − μ_j)² · inv_var_j · this
    /// (0 when the diagonal distance is not used).
    pub norm: f32,
    /// Mean in the principal-component space.
    pub mean_y: Vec<f32>,
    /// `m × m` row-major lower-triangular whitening matrix `L⁻¹` (`Σ = L Lᵀ`).
    pub whiten: Vec<f32>,
    /// `1 / (m · scale²)` for the subspace distance (0 when it is not used).
    pub norm_y: f32,
}

impl Prototype {
    #[inline]
    fn novelty2(&self, z: &[f32]) -> f32 {
        let mut acc = [0.0f32; 4];
        let n = z.len() / 4 * 4;
        for ((zc, mc), vc) in z[..n]
            .chunks_exact(4)
            .zip(self.mean[..n].chunks_exact(4))
            .zip(self.inv_var[..n].chunks_exact(4))
        {
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

    #[inline]
    fn subspace2(&self, y: &[f32]) -> f32 {
        let m = self.mean_y.len();
        let mut d = [0.0f32; crate::pca::MAX_COMPONENTS];
        for ((d, y), mu) in d.iter_mut().zip(y).zip(&self.mean_y) {
            *d = y - mu;
        }
        let mut s = 0.0;
        for i in 0..m {
            let v = crate::pca::dot(&self.whiten[i * m..i * m + i + 1], &d[..i + 1]);
            s += v * v;
        }
        s * self.norm_y
    }

    /// Squared relative distance (both parts weighted by their norms, averaged when both are
    /// used).
    #[inline]
    fn relative2(&self, z: &[f32], y: &[f32], parts: f32) -> f32 {
        let mut s = 0.0;
        if self.norm > 0.0 {
            s += self.novelty2(z);
        }
        if self.norm_y > 0.0 {
            s += self.subspace2(y);
        }
        s / parts
    }
}

/// Fitted novelty scorer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Novelty {
    /// Dimension of the standardised descriptors.
    pub dims: usize,
    /// Dimension of the principal-component space.
    pub components: usize,
    /// The metric.
    pub metric: NoveltyMetric,
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
    sum_y: Vec<f64>,
    outer_y: DMatrix<f64>,
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

/// A Gaussian in the subspace: mean and whitening `L⁻¹`.
struct Gauss {
    mean: Vec<f64>,
    whiten: DMatrix<f64>,
}

impl Gauss {
    fn new(mean: Vec<f64>, cov: &DMatrix<f64>) -> Self {
        let m = mean.len();
        let whiten = match cov.clone().cholesky() {
            Some(ch) => ch
                .l()
                .solve_lower_triangular(&DMatrix::identity(m, m))
                .unwrap_or_else(|| DMatrix::identity(m, m)),
            None => DMatrix::identity(m, m),
        };
        Self { mean, whiten }
    }

    /// Mahalanobis distance / sqrt(m).
    fn dist(&self, y: &[f64]) -> f64 {
        let m = self.mean.len();
        let d = nalgebra::DVector::from_iterator(m, y.iter().zip(&self.mean).map(|(a, b)| a - b));
        ((&self.whiten * d).norm_squared() / m.max(1) as f64).sqrt()
    }
}

impl Novelty {
    /// Fits to standardised `rows` and their principal components `ys`, with compact `labels`
    /// (< `classes`, ≥ 2 examples each). `quantile_q` (0.5..1) picks the per-class distance
    /// scale; `pair` (compact indices) adds the segment points.
    pub fn fit(
        rows: &[Vec<f64>],
        ys: &[Vec<f64>],
        labels: &[usize],
        classes: usize,
        quantile_q: f64,
        pair: Option<(usize, usize)>,
        metric: NoveltyMetric,
    ) -> Self {
        let d = rows.first().map_or(0, |r| r.len());
        let m = ys.first().map_or(0, |r| r.len());
        let mut st: Vec<ClassStats> = (0..classes)
            .map(|_| ClassStats {
                n: 0.0,
                sum: vec![0.0; d],
                sum2: vec![0.0; d],
                sum_y: vec![0.0; m],
                outer_y: DMatrix::zeros(m, m),
            })
            .collect();
        for ((r, y), &l) in rows.iter().zip(ys).zip(labels) {
            let s = &mut st[l];
            s.n += 1.0;
            for ((sum, sum2), &v) in s.sum.iter_mut().zip(s.sum2.iter_mut()).zip(r).take(d) {
                *sum += v;
                *sum2 += v * v;
            }
            let yv = nalgebra::DVector::from_column_slice(y);
            s.outer_y += &yv * yv.transpose();
            s.sum_y.iter_mut().zip(y).for_each(|(a, b)| *a += b);
        }
        // Pooled within-class (co)variances.
        let mut pooled = vec![0.0f64; d];
        let mut pooled_y = DMatrix::<f64>::zeros(m, m);
        let mut dof = 0.0;
        for s in &st {
            for (j, p) in pooled.iter_mut().enumerate().take(d) {
                *p += s.sum2[j] - s.sum[j] * s.sum[j] / s.n;
            }
            let mu = nalgebra::DVector::from_column_slice(&s.sum_y);
            pooled_y += &s.outer_y - &mu * mu.transpose() / s.n;
            dof += s.n - 1.0;
        }
        pooled
            .iter_mut()
            .for_each(|p| *p = (*p / dof.max(1.0)).max(VAR_FLOOR));
        pooled_y /= dof.max(1.0);
        let shrink = |n: f64, var: f64, j: usize| {
            ((n * var + PRIOR_EXAMPLES * pooled[j]) / (n + PRIOR_EXAMPLES)).max(VAR_FLOOR)
        };
        let moments = |n: f64, sum: &[f64], sum2: &[f64]| -> (Vec<f64>, Vec<f64>) {
            let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
            let var: Vec<f64> = (0..d)
                .map(|j| shrink(n, (sum2[j] / n - mean[j] * mean[j]).max(0.0), j))
                .collect();
            (mean, var)
        };
        let gauss = |n: f64, sum_y: &[f64], outer: &DMatrix<f64>| -> (Gauss, DMatrix<f64>) {
            let mu = nalgebra::DVector::from_iterator(m, sum_y.iter().map(|s| s / n));
            let own = (outer / n) - &mu * mu.transpose();
            let blend = (own * n + &pooled_y * PRIOR_EXAMPLES) / (n + PRIOR_EXAMPLES);
            let tr = (blend.trace() / m.max(1) as f64).max(1e-9);
            let mut cov = blend * (1.0 - SUBSPACE_SHRINKAGE);
            for i in 0..m {
                cov[(i, i)] += SUBSPACE_SHRINKAGE * tr;
            }
            (Gauss::new(mu.iter().copied().collect(), &cov), cov)
        };
        let dist = |x: &[f64], mean: &[f64], var: &[f64]| -> f64 {
            ((0..d)
                .map(|j| (x[j] - mean[j]).powi(2) / var[j])
                .sum::<f64>()
                / d as f64)
                .sqrt()
        };
        let full: Vec<(Vec<f64>, Vec<f64>)> =
            st.iter().map(|s| moments(s.n, &s.sum, &s.sum2)).collect();
        let full_y: Vec<(Gauss, DMatrix<f64>)> = st
            .iter()
            .map(|s| gauss(s.n, &s.sum_y, &s.outer_y))
            .collect();
        // Leave-one-out distances of each example to its own class.
        let mut own = vec![(0.0f64, 0.0f64); rows.len()];
        let mut per_class: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); classes];
        for (i, ((r, y), &l)) in rows.iter().zip(ys).zip(labels).enumerate() {
            let s = &st[l];
            let sum: Vec<f64> = (0..d).map(|j| s.sum[j] - r[j]).collect();
            let sum2: Vec<f64> = (0..d).map(|j| s.sum2[j] - r[j] * r[j]).collect();
            let (mu, v) = moments(s.n - 1.0, &sum, &sum2);
            // The subspace leave-one-out (a Cholesky per example) only when it is used.
            let sub = if matches!(metric, NoveltyMetric::Diagonal) {
                0.0
            } else {
                let yv = nalgebra::DVector::from_column_slice(y);
                let sum_y: Vec<f64> = s.sum_y.iter().zip(y).map(|(a, b)| a - b).collect();
                gauss(s.n - 1.0, &sum_y, &(&s.outer_y - &yv * yv.transpose()))
                    .0
                    .dist(y)
            };
            own[i] = (dist(r, &mu, &v), sub);
            per_class[l].0.push(own[i].0);
            per_class[l].1.push(own[i].1);
        }
        let scales: Vec<(f64, f64)> = per_class
            .iter_mut()
            .map(|(a, b)| {
                a.sort_by(f64::total_cmp);
                b.sort_by(f64::total_cmp);
                (
                    quantile(a, quantile_q).max(1e-6),
                    quantile(b, quantile_q).max(1e-6),
                )
            })
            .collect();
        let (use_d, use_y) = match metric {
            NoveltyMetric::Diagonal => (1.0, 0.0),
            NoveltyMetric::Subspace => (0.0, 1.0),
            NoveltyMetric::Both => (1.0, 1.0),
        };
        let parts = use_d + use_y;
        let proto = |mean: &[f64], var: &[f64], scale: (f64, f64), g: &Gauss| Prototype {
            mean: mean.iter().map(|&v| v as f32).collect(),
            inv_var: var.iter().map(|&v| (1.0 / v) as f32).collect(),
            norm: (use_d / (d as f64 * scale.0 * scale.0)) as f32,
            mean_y: g.mean.iter().map(|&v| v as f32).collect(),
            whiten: (0..m * m)
                .map(|k| {
                    if k % m <= k / m {
                        g.whiten[(k / m, k % m)] as f32
                    } else {
                        0.0
                    }
                })
                .collect(),
            norm_y: (use_y / (m.max(1) as f64 * scale.1 * scale.1)) as f32,
        };
        let rel =
            |x: &[f64], y: &[f64], mean: &[f64], var: &[f64], g: &Gauss, sc: (f64, f64)| -> f64 {
                let a = if use_d > 0.0 {
                    (dist(x, mean, var) / sc.0).powi(2)
                } else {
                    0.0
                };
                let b = if use_y > 0.0 {
                    (g.dist(y) / sc.1).powi(2)
                } else {
                    0.0
                };
                ((a + b) / parts).sqrt()
            };
        let mut prototypes: Vec<Prototype> = (0..classes)
            .map(|c| proto(&full[c].0, &full[c].1, scales[c], &full_y[c].0))
            .collect();
        let mut segment = Vec::new();
        if let Some((a, b)) = pair {
            for k in 1..=SEGMENT_POINTS {
                let t = k as f64 / (SEGMENT_POINTS + 1) as f64;
                let lerp = |x: &[f64], y: &[f64]| -> Vec<f64> {
                    x.iter().zip(y).map(|(p, q)| p + t * (q - p)).collect()
                };
                let mu = lerp(&full[a].0, &full[b].0);
                let v = lerp(&full[a].1, &full[b].1);
                let g = Gauss::new(
                    lerp(&full_y[a].0.mean, &full_y[b].0.mean),
                    &(&full_y[a].1 * (1.0 - t) + &full_y[b].1 * t),
                );
                let sc = (
                    scales[a].0 + t * (scales[b].0 - scales[a].0),
                    scales[a].1 + t * (scales[b].1 - scales[a].1),
                );
                prototypes.push(proto(&mu, &v, sc, &g));
                segment.push((mu, v, g, sc));
            }
        }
        // Leave-one-out novelty: own class left out, the others (and the segment) as fitted.
        let loo = rows
            .iter()
            .zip(ys)
            .zip(labels)
            .enumerate()
            .map(|(i, ((r, y), &l))| {
                let a = if use_d > 0.0 {
                    (own[i].0 / scales[l].0).powi(2)
                } else {
                    0.0
                };
                let b = if use_y > 0.0 {
                    (own[i].1 / scales[l].1).powi(2)
                } else {
                    0.0
                };
                let mut best = ((a + b) / parts).sqrt();
                for c in (0..classes).filter(|&c| c != l) {
                    best = best.min(rel(r, y, &full[c].0, &full[c].1, &full_y[c].0, scales[c]));
                }
                for (mu, v, g, sc) in &segment {
                    best = best.min(rel(r, y, mu, v, g, *sc));
                }
                best as f32
            })
            .collect();
        Self {
            dims: d,
            components: m,
            metric,
            prototypes,
            loo,
        }
    }

    /// Novelty of standardised `z` with principal components `y`: the smallest relative
    /// distance to a class or pair segment point (dimensionless, ≥ 0; ≈ 1 at the edge of a
    /// class's own hits). Never allocates.
    #[inline]
    pub fn score(&self, z: &[f32], y: &[f32]) -> f32 {
        let parts = match self.metric {
            NoveltyMetric::Both => 2.0,
            _ => 1.0,
        };
        self.prototypes
            .iter()
            .map(|p| p.relative2(z, y, parts))
            .fold(f32::INFINITY, f32::min)
            .sqrt()
    }

    /// The `q` quantile (0..=1) of the leave-one-out novelties of the training examples.
    pub fn loo_quantile(&self, q: f64) -> f32 {
        let mut v: Vec<f64> = self.loo.iter().map(|&x| x as f64).collect();
        v.sort_by(f64::total_cmp);
        quantile(&v, q) as f32
    }

    /// Checks dimensions and finiteness.
    pub fn validate(
        &self,
        dims: usize,
        components: usize,
        min_prototypes: usize,
    ) -> Result<(), LearnError> {
        let m = self.components;
        if self.dims != dims || m != components || self.prototypes.len() < min_prototypes {
            return Err(LearnError::Corrupt(format!(
                "novelty has {} dims, {m} components and {} prototypes (expected {dims}, {components}, ≥ {min_prototypes})",
                self.dims,
                self.prototypes.len()
            )));
        }
        for (k, p) in self.prototypes.iter().enumerate() {
            if p.mean.len() != dims
                || p.inv_var.len() != dims
                || p.mean_y.len() != m
                || p.whiten.len() != m * m
            {
                return Err(LearnError::Corrupt(format!(
                    "novelty prototype {k} has wrong sizes"
                )));
            }
            check_finite(&p.mean, &|i| format!("novelty prototype {k} mean[{i}]"))?;
            check_finite(&p.inv_var, &|i| {
                format!("novelty prototype {k} inv_var[{i}]")
            })?;
            check_finite(&p.mean_y, &|i| format!("novelty prototype {k} mean_y[{i}]"))?;
            check_finite(&p.whiten, &|i| format!("novelty prototype {k} whiten[{i}]"))?;
            let norms_ok = p.norm >= 0.0
                && p.norm.is_finite()
                && p.norm_y >= 0.0
                && p.norm_y.is_finite()
                && p.norm + p.norm_y > 0.0;
            if !norms_ok || p.inv_var.iter().any(|&v| v <= 0.0) {
                return Err(LearnError::Corrupt(format!(
                    "novelty prototype {k} has a non-positive scale"
                )));
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
            rows.push(
                (0..6)
                    .map(|j| if j == 0 { c as f64 * 10.0 } else { 0.0 } + rng.f64() - 0.5)
                    .collect::<Vec<_>>(),
            );
            labels.push(c);
        }
        // The "principal components" here are just the first two coordinates.
        let ys: Vec<Vec<f64>> = rows.iter().map(|r| r[..2].to_vec()).collect();
        for metric in [
            NoveltyMetric::Diagonal,
            NoveltyMetric::Subspace,
            NoveltyMetric::Both,
        ] {
            let with = Novelty::fit(&rows, &ys, &labels, 2, 0.9, Some((0, 1)), metric);
            let without = Novelty::fit(&rows, &ys, &labels, 2, 0.9, None, metric);
            with.validate(6, 2, 9).unwrap();
            let score = |n: &Novelty, x: &[f32]| n.score(x, &x[..2]);
            let own: Vec<f32> = rows[0].iter().map(|&v| v as f32).collect();
            assert!(
                score(&with, &own) < 1.2,
                "{metric:?} {}",
                score(&with, &own)
            );
            let mid = [5.0f32, 0.0, 0.0, 0.0, 0.0, 0.0];
            assert!(
                score(&with, &mid) < 1.5 && score(&without, &mid) > 3.0,
                "{metric:?} {} {}",
                score(&with, &mid),
                score(&without, &mid)
            );
            let far = [5.0f32, 4.0, -4.0, 0.0, 0.0, 0.0];
            assert!(score(&with, &far) > 3.0, "{metric:?}");
        }
        let with = Novelty::fit(
            &rows,
            &ys,
            &labels,
            2,
            0.9,
            Some((0, 1)),
            NoveltyMetric::Diagonal,
        );
        // About 90 % of the leave-one-out novelties are below 1.
        let below = with.loo.iter().filter(|&&v| v <= 1.0).count();
        assert!((66..=80).contains(&below), "{below}");
    }
}
