//! Shared-covariance Gaussian classifier (linear discriminant analysis) with Ledoit–Wolf
//! shrinkage toward a scaled identity, and the shrinkage estimator itself (also used by the
//! interpolation direction).

use crate::error::{check_finite, LearnError};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// Covariance of centred `rows` (divided by n), shrunk toward `(tr S / p) I`. With `shrinkage`
/// `None` the intensity is the Ledoit–Wolf (2004) estimate; otherwise the given value (0..=1).
/// Returns the matrix and the intensity used.
pub fn shrunk_covariance(rows: &[Vec<f64>], shrinkage: Option<f64>) -> (DMatrix<f64>, f64) {
    let n = rows.len();
    let p = rows.first().map_or(0, |r| r.len());
    let x = DMatrix::from_fn(n, p, |i, j| rows[i][j]);
    let s = x.transpose() * &x / (n.max(1) as f64);
    let mu = s.trace() / p.max(1) as f64;
    let alpha = match shrinkage {
        Some(a) => a.clamp(0.0, 1.0),
        None => {
            let mut target = s.clone();
            for i in 0..p {
                target[(i, i)] -= mu;
            }
            let d2 = target.norm_squared();
            let s_norm2 = s.norm_squared();
            let mut b2 = 0.0;
            for k in 0..n {
                let xk = x.row(k).transpose();
                let sq = xk.norm_squared();
                let quad = (xk.transpose() * &s * &xk)[(0, 0)];
                b2 += sq * sq - 2.0 * quad + s_norm2;
            }
            b2 /= (n.max(1) * n.max(1)) as f64;
            if d2 > 0.0 {
                (b2.min(d2) / d2).clamp(0.0, 1.0)
            } else {
                1.0
            }
        }
    };
    let mut c = s * (1.0 - alpha);
    // A tiny ridge keeps the matrix invertible when the data are degenerate.
    let ridge = alpha * mu + 1e-9 * mu.max(1e-12);
    for i in 0..p {
        c[(i, i)] += ridge;
    }
    (c, alpha)
}

/// Solves `c · w = rhs` for symmetric positive definite `c` (Cholesky, falling back to LU; zeros
/// when `c` is singular).
pub fn solve_spd(c: &DMatrix<f64>, rhs: &DVector<f64>) -> DVector<f64> {
    let columns = DMatrix::from_column_slice(rhs.len(), 1, rhs.as_slice());
    solve_spd_columns(c, &columns).column(0).into_owned()
}

/// Solves `c · W = rhs` for every column of `rhs` at once (one factorisation; Cholesky, falling
/// back to LU; zeros when `c` is singular).
pub fn solve_spd_columns(c: &DMatrix<f64>, rhs: &DMatrix<f64>) -> DMatrix<f64> {
    match c.clone().cholesky() {
        Some(ch) => ch.solve(rhs),
        None => c
            .clone()
            .lu()
            .solve(rhs)
            .unwrap_or_else(|| DMatrix::zeros(rhs.nrows(), rhs.ncols())),
    }
}

/// A fitted linear discriminant: `logit_c(y) = w_c · y + b_c` (equal class priors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lda {
    /// Input dimension.
    pub dims: usize,
    /// Number of classes.
    pub classes: usize,
    /// `classes × dims` row-major weights.
    pub weights: Vec<f32>,
    /// One bias per class.
    pub bias: Vec<f32>,
    /// Shrinkage intensity used (0..=1).
    pub shrinkage: f32,
}

impl Lda {
    /// Fits class means and a shrunk pooled within-class covariance to `rows` with compact
    /// `labels` (< `classes`, every class present).
    pub fn fit(
        rows: &[Vec<f64>],
        labels: &[usize],
        classes: usize,
        shrinkage: Option<f64>,
    ) -> Self {
        let dims = rows.first().map_or(0, |r| r.len());
        let mut means = vec![vec![0.0f64; dims]; classes];
        let mut counts = vec![0usize; classes];
        for (r, &l) in rows.iter().zip(labels) {
            counts[l] += 1;
            for (m, v) in means[l].iter_mut().zip(r) {
                *m += v;
            }
        }
        for (m, &c) in means.iter_mut().zip(&counts) {
            m.iter_mut().for_each(|v| *v /= c.max(1) as f64);
        }
        let centred: Vec<Vec<f64>> = rows
            .iter()
            .zip(labels)
            .map(|(r, &l)| r.iter().zip(&means[l]).map(|(a, b)| a - b).collect())
            .collect();
        let (cov, alpha) = shrunk_covariance(&centred, shrinkage);
        let chol = cov.clone().cholesky();
        let mut weights = Vec::with_capacity(classes * dims);
        let mut bias = Vec::with_capacity(classes);
        for m in &means {
            let mv = DVector::from_column_slice(m);
            let w = match &chol {
                Some(ch) => ch.solve(&mv),
                None => solve_spd(&cov, &mv),
            };
            bias.push((-0.5 * w.dot(&mv)) as f32);
            weights.extend(w.iter().map(|&v| v as f32));
        }
        Self {
            dims,
            classes,
            weights,
            bias,
            shrinkage: alpha as f32,
        }
    }

    /// Writes the class logits (log-likelihood up to a shared constant) to `out[..classes]`.
    /// Never allocates.
    #[inline]
    pub fn logits(&self, y: &[f32], out: &mut [f32]) {
        for ((o, w), b) in out
            .iter_mut()
            .zip(self.weights.chunks_exact(self.dims))
            .zip(&self.bias)
        {
            *o = crate::pca::dot(w, y) + b;
        }
    }

    /// Checks dimensions and finiteness.
    pub fn validate(&self, dims: usize, classes: usize) -> Result<(), LearnError> {
        if self.dims != dims
            || self.classes != classes
            || self.weights.len() != dims * classes
            || self.bias.len() != classes
        {
            return Err(LearnError::Corrupt(format!(
                "LDA has {} weights and {} biases (expected {dims} dims × {classes} classes)",
                self.weights.len(),
                self.bias.len()
            )));
        }
        check_finite(&self.weights, &|i| format!("LDA weights[{i}]"))?;
        check_finite(&self.bias, &|i| format!("LDA bias[{i}]"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledoit_wolf_shrinks_more_with_fewer_samples() {
        let mut rng = fastrand::Rng::with_seed(5);
        let mut gen = |n: usize| -> Vec<Vec<f64>> {
            // Unequal variances: the identity target is wrong, which many samples reveal.
            (0..n)
                .map(|_| {
                    (0..20)
                        .map(|j| (rng.f64() - 0.5) * (1 + j) as f64)
                        .collect()
                })
                .collect()
        };
        let (_, few) = shrunk_covariance(&gen(10), None);
        let (_, many) = shrunk_covariance(&gen(2000), None);
        assert!(few > 0.2 && many < 0.05 && many < few, "{few} {many}");
        let (c, a) = shrunk_covariance(&gen(10), Some(1.0));
        assert_eq!(a, 1.0);
        assert!((c[(0, 1)]).abs() < 1e-12);
    }

    #[test]
    fn separates_two_gaussians() {
        let mut rng = fastrand::Rng::with_seed(9);
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for i in 0..200 {
            let c = i % 2;
            rows.push(vec![c as f64 * 2.0 + rng.f64() - 0.5, rng.f64() * 10.0]);
            labels.push(c);
        }
        let lda = Lda::fit(&rows, &labels, 2, None);
        lda.validate(2, 2).unwrap();
        let mut out = [0.0f32; 2];
        lda.logits(&[0.0, 5.0], &mut out);
        assert!(out[0] > out[1]);
        lda.logits(&[2.0, 0.0], &mut out);
        assert!(out[1] > out[0]);
    }
}
