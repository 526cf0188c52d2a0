//! Small dense linear algebra: standardisation, PCA (covariance + cyclic Jacobi
//! eigen-decomposition), distances. Rows are points; matrices are row-major `Vec<f32>`.

use rayon::prelude::*;

/// A row-major matrix of `rows` points with `cols` dimensions each.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Number of points.
    pub rows: usize,
    /// Dimensions per point.
    pub cols: usize,
    /// `rows * cols` values, point-major.
    pub data: Vec<f32>,
}

impl Matrix {
    /// Builds a matrix from equally long rows (the caller checks lengths).
    pub fn from_rows(rows: &[Vec<f32>]) -> Self {
        let cols = rows.first().map_or(0, Vec::len);
        let mut data = Vec::with_capacity(rows.len() * cols);
        for r in rows {
            data.extend_from_slice(r);
        }
        Self {
            rows: rows.len(),
            cols,
            data,
        }
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Rows as slices.
    pub fn row_slices(&self) -> Vec<&[f32]> {
        self.data.chunks(self.cols.max(1)).collect()
    }
}

/// Squared Euclidean distance.
#[inline]
pub fn dist2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Per-dimension z-scoring fitted on a data set. Constant dimensions get scale 0 (they vanish).
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Mean of each dimension.
    pub mean: Vec<f32>,
    /// 1 / standard deviation of each dimension (0 for constant ones).
    pub inv_std: Vec<f32>,
}

impl Standardizer {
    /// Fits means and standard deviations (population) over the rows of `x`.
    pub fn fit(x: &Matrix) -> Self {
        let (n, d) = (x.rows.max(1) as f64, x.cols);
        let mut mean = vec![0.0f64; d];
        for r in x.data.chunks(d.max(1)) {
            for (m, v) in mean.iter_mut().zip(r) {
                *m += *v as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0f64; d];
        for r in x.data.chunks(d.max(1)) {
            for ((s, v), m) in var.iter_mut().zip(r).zip(&mean) {
                let c = *v as f64 - m;
                *s += c * c;
            }
        }
        let inv_std = var
            .iter()
            .map(|s| {
                let sd = (s / n).sqrt();
                if sd > 1e-9 {
                    (1.0 / sd) as f32
                } else {
                    0.0
                }
            })
            .collect();
        Self {
            mean: mean.into_iter().map(|m| m as f32).collect(),
            inv_std,
        }
    }

    /// Standardises every row of `x` in place.
    pub fn apply(&self, x: &mut Matrix) {
        let d = x.cols;
        x.data.par_chunks_mut(d.max(1)).for_each(|r| {
            for ((v, m), s) in r.iter_mut().zip(&self.mean).zip(&self.inv_std) {
                *v = (*v - m) * s;
            }
        });
    }
}

/// Principal component analysis of centred data.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Mean of each input dimension.
    pub mean: Vec<f32>,
    /// `k` unit-length components, each of the input's dimension, by decreasing variance.
    pub components: Vec<Vec<f32>>,
    /// Variance along each component (input units squared).
    pub variance: Vec<f32>,
    /// Total variance of the input (sum over all dimensions).
    pub total_variance: f32,
}

impl Pca {
    /// Fits the first `k` components (at most the input's dimension). Deterministic: each
    /// component's sign is chosen so its largest-magnitude entry is positive.
    pub fn fit(x: &Matrix, k: usize) -> Self {
        let (n, d) = (x.rows, x.cols);
        let mut mean = vec![0.0f64; d];
        for r in x.data.chunks(d.max(1)) {
            for (m, v) in mean.iter_mut().zip(r) {
                *m += *v as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
        // Covariance by fixed-size row chunks, summed in order (deterministic under rayon).
        let partials: Vec<Vec<f64>> = x
            .data
            .par_chunks(d.max(1) * 256)
            .map(|chunk| {
                let mut c = vec![0.0f64; d * d];
                let mut centred = vec![0.0f64; d];
                for r in chunk.chunks(d) {
                    for ((o, v), m) in centred.iter_mut().zip(r).zip(&mean) {
                        *o = *v as f64 - m;
                    }
                    for i in 0..d {
                        let ci = centred[i];
                        if ci == 0.0 {
                            continue;
                        }
                        let row = &mut c[i * d..(i + 1) * d];
                        for j in i..d {
                            row[j] += ci * centred[j];
                        }
                    }
                }
                c
            })
            .collect();
        let mut cov = vec![0.0f64; d * d];
        for p in &partials {
            for (c, v) in cov.iter_mut().zip(p) {
                *c += v;
            }
        }
        let denom = (n.max(2) - 1) as f64;
        for i in 0..d {
            for j in i..d {
                let v = cov[i * d + j] / denom;
                cov[i * d + j] = v;
                cov[j * d + i] = v;
            }
        }
        let total_variance = (0..d).map(|i| cov[i * d + i]).sum::<f64>() as f32;
        let (values, vectors) = jacobi_eigen(cov, d);
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
        let k = k.min(d);
        let mut components = Vec::with_capacity(k);
        let mut variance = Vec::with_capacity(k);
        for &c in order.iter().take(k) {
            let mut v: Vec<f32> = (0..d).map(|r| vectors[r * d + c] as f32).collect();
            let big = v
                .iter()
                .copied()
                .fold(0.0f32, |a, x| if x.abs() > a.abs() { x } else { a });
            if big < 0.0 {
                v.iter_mut().for_each(|x| *x = -*x);
            }
            components.push(v);
            variance.push(values[c].max(0.0) as f32);
        }
        Self {
            mean: mean.into_iter().map(|m| m as f32).collect(),
            components,
            variance,
            total_variance,
        }
    }

    /// Projects every row of `x` onto the components.
    pub fn transform(&self, x: &Matrix) -> Matrix {
        let k = self.components.len();
        let mut out = vec![0.0f32; x.rows * k];
        out.par_chunks_mut(k.max(1))
            .zip(x.data.par_chunks(x.cols.max(1)))
            .for_each(|(o, r)| {
                for (o, c) in o.iter_mut().zip(&self.components) {
                    *o = r
                        .iter()
                        .zip(&self.mean)
                        .zip(c)
                        .map(|((v, m), c)| (v - m) * c)
                        .sum();
                }
            });
        Matrix {
            rows: x.rows,
            cols: k,
            data: out,
        }
    }

    /// Fraction of the total variance the components keep (0..1).
    pub fn explained(&self) -> f32 {
        if self.total_variance > 0.0 {
            self.variance.iter().sum::<f32>() / self.total_variance
        } else {
            1.0
        }
    }
}

/// Eigen-decomposition of a symmetric `d × d` matrix (row-major) by cyclic Jacobi rotations.
/// Returns the eigenvalues and the eigenvectors as the columns of a row-major matrix.
pub fn jacobi_eigen(mut a: Vec<f64>, d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0f64; d * d];
    for i in 0..d {
        v[i * d + i] = 1.0;
    }
    let scale: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-300);
    for _sweep in 0..50 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * d + j] * a[i * d + j])
            .sum::<f64>()
            .sqrt();
        if off <= 1e-12 * scale {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq.abs() <= 1e-300 {
                    continue;
                }
                let (app, aqq) = (a[p * d + p], a[q * d + q]);
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let (akp, akq) = (a[k * d + p], a[k * d + q]);
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for k in 0..d {
                    let (apk, aqk) = (a[p * d + k], a[q * d + k]);
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..d).map(|i| a[i * d + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_matches_known_eigenvalues() {
        // [[2,1],[1,2]] has eigenvalues 1 and 3.
        let (mut vals, _) = jacobi_eigen(vec![2.0, 1.0, 1.0, 2.0], 2);
        vals.sort_by(f64::total_cmp);
        assert!(
            (vals[0] - 1.0).abs() < 1e-9 && (vals[1] - 3.0).abs() < 1e-9,
            "{vals:?}"
        );
    }

    #[test]
    fn pca_finds_the_long_axis() {
        let mut rng = fastrand::Rng::with_seed(1);
        let rows: Vec<Vec<f32>> = (0..500)
            .map(|_| {
                let t = rng.f32() * 10.0 - 5.0;
                vec![t, t + 0.1 * (rng.f32() - 0.5), 0.1 * rng.f32()]
            })
            .collect();
        let pca = Pca::fit(&Matrix::from_rows(&rows), 1);
        let c = &pca.components[0];
        assert!((c[0] - c[1]).abs() < 0.02 && c[0] > 0.69, "{c:?}");
        assert!(pca.explained() > 0.99);
    }
}
