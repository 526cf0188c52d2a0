//! Principal component analysis of the standardised descriptors: the classifiers work in the
//! space of the leading components, which keeps inference cheap (a 276 × m projection, then
//! distances or layers in m ≤ [`MAX_COMPONENTS`] dimensions).

use crate::error::{check_finite, LearnError};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// Largest number of components.
pub const MAX_COMPONENTS: usize = 64;

/// Orthonormal principal axes of centred data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    /// Input dimension.
    pub dims: usize,
    /// `components × dims` row-major unit vectors, by decreasing variance.
    pub axes: Vec<f32>,
}

impl Pca {
    /// Fits up to `max_components` axes to `rows` (centred, equal length). Axes whose variance is
    /// below 1e-9 of the largest are dropped; each axis' sign is fixed so its largest-magnitude
    /// entry is positive (determinism). Uses the n × n Gram matrix when there are fewer rows
    /// than dimensions.
    pub fn fit(rows: &[Vec<f64>], max_components: usize) -> Self {
        Self::fit_with_spread(rows, max_components).0
    }

    /// As [`Self::fit`], and also the sum of squares of `rows` along each axis kept (the
    /// eigenvalues of XᵀX, in the data's units squared; divide by `n - 1` for variances), for
    /// callers that report how much of the spread the axes keep (the sample map).
    // NOTE: the negated comparisons on purpose: NaN eigenvalues and norms end or skip an axis.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    pub fn fit_with_spread(rows: &[Vec<f64>], max_components: usize) -> (Self, Vec<f64>) {
        let n = rows.len();
        let d = rows.first().map_or(0, |r| r.len());
        let x = DMatrix::from_fn(n, d, |i, j| rows[i][j]);
        let (values, vectors): (Vec<f64>, DMatrix<f64>) = if n < d {
            let g = &x * x.transpose();
            let e = g.symmetric_eigen();
            // Axis v = Xᵀ u / sqrt(λ).
            let v = x.transpose() * &e.eigenvectors;
            let mut v = v;
            for (k, &l) in e.eigenvalues.iter().enumerate() {
                let s = if l > 0.0 { 1.0 / l.sqrt() } else { 0.0 };
                v.column_mut(k).scale_mut(s);
            }
            (e.eigenvalues.iter().copied().collect(), v)
        } else {
            let c = x.transpose() * &x;
            let e = c.symmetric_eigen();
            (e.eigenvalues.iter().copied().collect(), e.eigenvectors)
        };
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
        let top = values
            .get(order.first().copied().unwrap_or(0))
            .copied()
            .unwrap_or(0.0);
        let mut axes = Vec::new();
        let mut spread = Vec::new();
        let mut m = 0;
        for &k in &order {
            if m >= max_components.min(MAX_COMPONENTS) || !(values[k] > 1e-9 * top) || top <= 0.0 {
                break;
            }
            let col = vectors.column(k);
            let norm = col.norm();
            if !(norm > 0.0) {
                continue;
            }
            let big = col
                .iter()
                .copied()
                .fold(0.0f64, |a, b| if b.abs() > a.abs() { b } else { a });
            let s = if big < 0.0 { -1.0 / norm } else { 1.0 / norm };
            axes.extend(col.iter().map(|&v| (v * s) as f32));
            spread.push(values[k]);
            m += 1;
        }
        (Self { dims: d, axes }, spread)
    }

    /// Number of components.
    pub fn components(&self) -> usize {
        self.axes.len().checked_div(self.dims).unwrap_or(0)
    }

    /// Projects `z` (length [`Self::dims`]) onto the axes into `out` (length
    /// [`Self::components`]). Never allocates.
    #[inline]
    pub fn project(&self, z: &[f32], out: &mut [f32]) {
        for (o, axis) in out.iter_mut().zip(self.axes.chunks_exact(self.dims)) {
            *o = dot(axis, z);
        }
    }

    /// Projects into a new f64 vector (training).
    pub fn project_f64(&self, z: &[f64]) -> Vec<f64> {
        self.axes
            .chunks_exact(self.dims)
            .map(|a| a.iter().zip(z).map(|(&a, &z)| a as f64 * z).sum())
            .collect()
    }

    /// Checks dimensions and finiteness.
    pub fn validate(&self, dims: usize) -> Result<(), LearnError> {
        let m = self.components();
        if self.dims != dims || self.axes.len() != m * dims || m == 0 || m > MAX_COMPONENTS {
            return Err(LearnError::Corrupt(format!(
                "PCA has {} values for {} input dimensions (expected {dims}, 1..={MAX_COMPONENTS} axes)",
                self.axes.len(),
                self.dims
            )));
        }
        check_finite(&self.axes, &|i| format!("PCA axes[{i}]"))
    }
}

/// Dot product (f32).
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Four accumulators let the compiler vectorise without changing results between runs.
    let mut acc = [0.0f32; 4];
    let (ca, ra) = a.split_at(a.len() / 4 * 4);
    let (cb, rb) = b.split_at(ca.len().min(b.len()));
    for (x, y) in ca.chunks_exact(4).zip(cb.chunks_exact(4)) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_axes_of_a_stretched_cloud() {
        let mut rng = fastrand::Rng::with_seed(3);
        for (n, d) in [(50usize, 4usize), (5, 8)] {
            let rows: Vec<Vec<f64>> = (0..n)
                .map(|_| {
                    let mut r: Vec<f64> = (0..d).map(|_| rng.f64() - 0.5).collect();
                    r[1] *= 20.0;
                    r[2] *= 5.0;
                    r
                })
                .collect();
            let mean: Vec<f64> = (0..d)
                .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n as f64)
                .collect();
            let rows: Vec<Vec<f64>> = rows
                .iter()
                .map(|r| r.iter().zip(&mean).map(|(a, m)| a - m).collect())
                .collect();
            let p = Pca::fit(&rows, 3);
            assert_eq!(p.components(), 3);
            p.validate(d).unwrap();
            assert!(p.axes[1] > 0.95, "{:?}", &p.axes[..d]);
            assert!(p.axes[d + 2].abs() > 0.8, "{:?}", &p.axes[d..2 * d]);
            // Orthonormal.
            for a in 0..3 {
                for b in 0..3 {
                    let v = dot(&p.axes[a * d..(a + 1) * d], &p.axes[b * d..(b + 1) * d]);
                    assert!(
                        (v - if a == b { 1.0 } else { 0.0 }).abs() < 1e-4,
                        "{a} {b} {v}"
                    );
                }
            }
        }
    }

    #[test]
    fn dot_matches_naive() {
        let a: Vec<f32> = (0..11).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..11).map(|i| 1.0 - i as f32).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-4);
    }
}
