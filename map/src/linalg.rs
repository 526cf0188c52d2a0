//! Small dense linear algebra: a row-major matrix of points, distances, and standardisation and
//! PCA with timbrel-learn's (the classifiers' own). Rows are points; matrices are row-major
//! `Vec<f32>`.

use rayon::prelude::*;
use timbrel_learn::pca::{Pca as LearnPca, MAX_COMPONENTS};
use timbrel_learn::scaler::Scaler;

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

/// Standardises every column of `x` in place (z-scores with population statistics), with
/// timbrel-learn's [`Scaler`]: the same standardisation the classifiers use. A column whose
/// standard deviation is below [`MIN_STD`](timbrel_learn::scaler::MIN_STD) is only centred (a
/// constant column becomes 0).
pub fn standardize(x: &mut Matrix) {
    let scaler = Scaler::fit(&x.row_slices());
    let d = x.cols.max(1);
    let raw = x.data.clone();
    x.data
        .par_chunks_mut(d)
        .zip(raw.par_chunks(d))
        .for_each(|(out, row)| scaler.transform(row, out));
}

/// Principal components of a point cloud: timbrel-learn's [`LearnPca`] fitted on the centred
/// rows, with the variance along each component and in total (what the map reports and how
/// t-SNE scales its start).
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Mean of each input dimension.
    pub mean: Vec<f32>,
    /// The unit-length axes, by decreasing variance; each one's largest-magnitude entry is
    /// positive (determinism).
    pub axes: LearnPca,
    /// Variance along each component (input units squared; sample variance, `n - 1`).
    pub variance: Vec<f32>,
    /// Total variance of the input (sum over all dimensions, input units squared).
    pub total_variance: f32,
}

impl Pca {
    /// Fits the first `k` components (at most the input's dimension and
    /// [`MAX_COMPONENTS`]). Directions without variance that learn's PCA leaves out are
    /// filled in as zero axes (variance 0), so that the result always has that many
    /// components.
    pub fn fit(x: &Matrix, k: usize) -> Self {
        let (n, d) = (x.rows, x.cols);
        let mut mean = vec![0.0f64; d];
        for r in x.data.chunks(d.max(1)) {
            for (m, v) in mean.iter_mut().zip(r) {
                *m += *v as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
        let centred: Vec<Vec<f64>> = x
            .data
            .chunks(d.max(1))
            .map(|r| r.iter().zip(&mean).map(|(v, m)| *v as f64 - m).collect())
            .collect();
        let denom = (n.max(2) - 1) as f64;
        let total_variance = (centred.iter().flatten().map(|v| v * v).sum::<f64>() / denom) as f32;
        let want = k.min(d).min(MAX_COMPONENTS);
        let (mut axes, spread) = LearnPca::fit_with_spread(&centred, want);
        axes.dims = d;
        let mut variance: Vec<f32> = spread.iter().map(|s| (s / denom) as f32).collect();
        while variance.len() < want {
            axes.axes.extend(std::iter::repeat_n(0.0, d));
            variance.push(0.0);
        }
        Self {
            mean: mean.into_iter().map(|m| m as f32).collect(),
            axes,
            variance,
            total_variance,
        }
    }

    /// Number of components.
    pub fn components(&self) -> usize {
        self.variance.len()
    }

    /// Keeps the first `k` components.
    pub fn truncate(&mut self, k: usize) {
        let k = k.min(self.components());
        self.variance.truncate(k);
        self.axes.axes.truncate(k * self.axes.dims);
    }

    /// Projects every row of `x` onto the components.
    pub fn transform(&self, x: &Matrix) -> Matrix {
        let k = self.components();
        let mut out = vec![0.0f32; x.rows * k];
        out.par_chunks_mut(k.max(1))
            .zip(x.data.par_chunks(x.cols.max(1)))
            .for_each(|(o, r)| {
                let z: Vec<f32> = r.iter().zip(&self.mean).map(|(v, m)| v - m).collect();
                self.axes.project(&z, o);
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let c = &pca.axes.axes[..3];
        assert!((c[0] - c[1]).abs() < 0.02 && c[0] > 0.69, "{c:?}");
        assert!(pca.explained() > 0.99);
    }

    #[test]
    fn standardize_gives_zero_mean_unit_variance_and_zeroes_constant_columns() {
        let rows: Vec<Vec<f32>> = (0..20)
            .map(|i| vec![i as f32, 3.0, (i * i) as f32])
            .collect();
        let mut x = Matrix::from_rows(&rows);
        standardize(&mut x);
        for c in [0, 2] {
            let col: Vec<f32> = (0..20).map(|r| x.row(r)[c]).collect();
            let mean = col.iter().sum::<f32>() / 20.0;
            let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / 20.0;
            assert!(
                mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-4,
                "{c}: {mean} {var}"
            );
        }
        assert!((0..20).all(|r| x.row(r)[1] == 0.0));
    }

    #[test]
    fn pca_keeps_k_components_when_the_data_has_fewer_directions() {
        let rows: Vec<Vec<f32>> = (0..10)
            .map(|i| vec![i as f32, 2.0 * i as f32, 1.0])
            .collect();
        let x = Matrix::from_rows(&rows);
        let pca = Pca::fit(&x, 3);
        assert_eq!(pca.components(), 3);
        assert_eq!(pca.variance[1..], [0.0, 0.0]);
        assert!((pca.explained() - 1.0).abs() < 1e-5);
        let p = pca.transform(&x);
        assert_eq!((p.rows, p.cols), (10, 3));
        assert!((0..10).all(|r| p.row(r)[1] == 0.0 && p.row(r)[2] == 0.0));
    }
}
