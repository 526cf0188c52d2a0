//! The novelty scorer of model format 1, kept so that models saved before format 2 still load
//! and score as they did: a hit's distance to each class (and to points along the
//! interpolation pair's segment), relative to how far the class's own hits lie from it, over
//! the whole standardised descriptor (per-dimension shrunk variances, optionally a Mahalanobis
//! distance in the principal components). Models trained now use [`super::Novelty`].

use crate::error::{check_finite, LearnError};
use serde::{Deserialize, Serialize};

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

/// A format-1 novelty scorer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoveltyV1 {
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

impl NoveltyV1 {
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
