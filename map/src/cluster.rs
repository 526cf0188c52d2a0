//! Seeded k-means (k-means++ start, Lloyd iterations, best of several restarts), its cosine
//! ("spherical") variant, and the choice of k by silhouette.

use rayon::prelude::*;

use crate::linalg::{dist2, standardize, Matrix, Pca};
use crate::quality::{SilhouetteCache, SILHOUETTE_SAMPLE};
use crate::MapError;

/// How many clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterCount {
    /// Exactly this many (1..=n).
    Fixed(usize),
    /// The k in `min..=max` (capped at n - 1) with the best silhouette.
    Auto {
        /// Smallest k tried (at least 2).
        min: usize,
        /// Largest k tried.
        max: usize,
    },
}

impl ClusterCount {
    /// `auto` over 2..=12.
    pub const AUTO: Self = Self::Auto { min: 2, max: 12 };
}

/// k-means settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KMeansParams {
    /// Cosine k-means on L2-normalised vectors instead of Euclidean k-means.
    pub spherical: bool,
    /// Restarts from different k-means++ seeds; the lowest inertia wins.
    pub restarts: usize,
    /// Maximum Lloyd iterations per restart.
    pub max_iter: usize,
    /// Seed of the k-means++ starts and of the silhouette sample.
    pub seed: u64,
}

impl Default for KMeansParams {
    /// Euclidean, 4 restarts, 100 iterations, seed 0.
    fn default() -> Self {
        Self {
            spherical: false,
            restarts: 4,
            max_iter: 100,
            seed: 0,
        }
    }
}

/// A clustering of points.
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    /// Number of clusters.
    pub k: usize,
    /// Cluster of each point (0..k).
    pub labels: Vec<usize>,
    /// Cluster centres, in the space that was clustered (`k` rows).
    pub centroids: Vec<Vec<f32>>,
    /// Sum of squared distances to the own centre (for spherical: sum of `1 - cos`).
    pub inertia: f32,
    /// Silhouette (−1..1) of the result in the clustered space, if k >= 2.
    pub silhouette: Option<f32>,
    /// For `auto`: the silhouette of every k tried, as `(k, silhouette)`.
    pub tried: Vec<(usize, f32)>,
}

/// L2-normalises every row in place (zero rows stay zero).
pub fn normalize_rows(x: &mut Matrix) {
    x.data.par_chunks_mut(x.cols.max(1)).for_each(|r| {
        let n = r.iter().map(|v| v * v).sum::<f32>().sqrt();
        if n > 0.0 {
            r.iter_mut().for_each(|v| *v /= n);
        }
    });
}

/// Clusters the rows of `x` (already in the space to cluster; for `spherical` they are
/// L2-normalised here). Deterministic for a seed.
pub fn cluster(
    x: &Matrix,
    count: ClusterCount,
    params: &KMeansParams,
) -> Result<Clustering, MapError> {
    let n = x.rows;
    let mut x = x.clone();
    if params.spherical {
        normalize_rows(&mut x);
    }
    let cache = || SilhouetteCache::new(&x, SILHOUETTE_SAMPLE, params.seed);
    match count {
        ClusterCount::Fixed(k) => {
            if k == 0 || k > n {
                return Err(MapError::Clusters { k, n });
            }
            let mut c = kmeans(&x, k, params);
            if k >= 2 {
                c.silhouette = cache().silhouette(&c.labels);
            }
            Ok(c)
        }
        ClusterCount::Auto { min, max } => {
            let min = min.max(2);
            let max = max.min(n.saturating_sub(1));
            if n < 3 || min > max {
                return Err(MapError::Clusters { k: min, n });
            }
            let cache = cache();
            let mut best: Option<Clustering> = None;
            let mut tried = Vec::new();
            for k in min..=max {
                let mut c = kmeans(&x, k, params);
                let s = cache.silhouette(&c.labels).unwrap_or(-1.0);
                c.silhouette = Some(s);
                tried.push((k, s));
                if best
                    .as_ref()
                    .is_none_or(|b| s > b.silhouette.unwrap_or(-1.0) + 1e-6)
                {
                    best = Some(c);
                }
            }
            let mut best = best.expect("at least one k tried");
            best.tried = tried;
            Ok(best)
        }
    }
}

/// One k-means run (best of `params.restarts`) with exactly `k` clusters (1..=n).
pub fn kmeans(x: &Matrix, k: usize, params: &KMeansParams) -> Clustering {
    let mut best: Option<Clustering> = None;
    for r in 0..params.restarts.max(1) {
        let seed = params
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(r as u64 * 7919 + k as u64);
        let c = lloyd(x, k, params, seed);
        if best.as_ref().is_none_or(|b| c.inertia < b.inertia) {
            best = Some(c);
        }
    }
    best.expect("at least one restart")
}

/// Distance used by the variant: squared Euclidean, or `1 - cos` on unit vectors.
#[inline]
fn cost(spherical: bool, a: &[f32], c: &[f32]) -> f32 {
    if spherical {
        1.0 - a.iter().zip(c).map(|(x, y)| x * y).sum::<f32>()
    } else {
        dist2(a, c)
    }
}

fn lloyd(x: &Matrix, k: usize, params: &KMeansParams, seed: u64) -> Clustering {
    let (n, d) = (x.rows, x.cols);
    let sph = params.spherical;
    let mut rng = fastrand::Rng::with_seed(seed);
    // k-means++ seeding.
    let mut centroids: Vec<Vec<f32>> = vec![x.row(rng.usize(0..n)).to_vec()];
    let mut nearest: Vec<f32> = (0..n)
        .map(|i| cost(sph, x.row(i), &centroids[0]).max(0.0))
        .collect();
    while centroids.len() < k {
        let total: f64 = nearest.iter().map(|&v| v as f64).sum();
        let pick = if total > 0.0 {
            let mut t = rng.f64() * total;
            let mut pick = n - 1;
            for (i, &v) in nearest.iter().enumerate() {
                t -= v as f64;
                if t <= 0.0 && v > 0.0 {
                    pick = i;
                    break;
                }
            }
            pick
        } else {
            rng.usize(0..n)
        };
        let c = x.row(pick).to_vec();
        nearest
            .par_iter_mut()
            .enumerate()
            .for_each(|(i, v)| *v = v.min(cost(sph, x.row(i), &c).max(0.0)));
        centroids.push(c);
    }
    let mut labels = vec![usize::MAX; n];
    let mut inertia = 0.0f32;
    for _ in 0..params.max_iter.max(1) {
        let assigned: Vec<(usize, f32)> = (0..n)
            .into_par_iter()
            .map(|i| {
                let xi = x.row(i);
                let mut best = (0usize, f32::INFINITY);
                for (c, cen) in centroids.iter().enumerate() {
                    let v = cost(sph, xi, cen);
                    if v < best.1 {
                        best = (c, v);
                    }
                }
                best
            })
            .collect();
        let changed = assigned.iter().zip(&labels).any(|(a, l)| a.0 != *l);
        inertia = assigned.iter().map(|a| a.1.max(0.0)).sum();
        for (l, a) in labels.iter_mut().zip(&assigned) {
            *l = a.0;
        }
        if !changed {
            break;
        }
        // Update centres; an emptied cluster takes the point farthest from its centre.
        let mut sums = vec![vec![0.0f64; d]; k];
        let mut sizes = vec![0usize; k];
        for (i, &l) in labels.iter().enumerate() {
            sizes[l] += 1;
            for (s, v) in sums[l].iter_mut().zip(x.row(i)) {
                *s += *v as f64;
            }
        }
        for c in 0..k {
            if sizes[c] == 0 {
                let far = (0..n)
                    .max_by(|&a, &b| assigned[a].1.total_cmp(&assigned[b].1).then(b.cmp(&a)))
                    .unwrap_or(0);
                centroids[c] = x.row(far).to_vec();
                continue;
            }
            let mut cen: Vec<f32> = sums[c]
                .iter()
                .map(|s| (s / sizes[c] as f64) as f32)
                .collect();
            if sph {
                let norm = cen.iter().map(|v| v * v).sum::<f32>().sqrt();
                if norm > 0.0 {
                    cen.iter_mut().for_each(|v| *v /= norm);
                }
            }
            centroids[c] = cen;
        }
    }
    Clustering {
        k,
        labels,
        centroids,
        inertia,
        silhouette: None,
        tried: Vec::new(),
    }
}

/// Clusters raw descriptors (or any feature vectors) for callers such as the plugin's
/// auto-zones: standardises every dimension, projects onto the principal components that keep
/// 95 % of the variance (at most 50), and runs seeded k-means with `count` clusters (`auto`:
/// best silhouette over its range). The returned centroids live in that reduced space; use
/// the labels. Errors: differing vector lengths, non-finite values, or an impossible k.
pub fn cluster_descriptors(
    vectors: &[Vec<f32>],
    count: ClusterCount,
    seed: u64,
) -> Result<Clustering, MapError> {
    let expected = vectors.first().map_or(0, Vec::len);
    for (index, v) in vectors.iter().enumerate() {
        if v.len() != expected {
            return Err(MapError::Dimension {
                index,
                got: v.len(),
                expected,
            });
        }
        if let Some(dim) = v.iter().position(|x| !x.is_finite()) {
            return Err(MapError::NonFinite { index, dim });
        }
    }
    let mut x = Matrix::from_rows(vectors);
    standardize(&mut x);
    let reduced = reduce_for_clustering(&x, 0.95, 50);
    cluster(
        &reduced,
        count,
        &KMeansParams {
            seed,
            ..KMeansParams::default()
        },
    )
}

/// The principal-component scores that keep `keep` of the variance (at most `max_dims`
/// components, at least 2 when the input has them).
pub fn reduce_for_clustering(x: &Matrix, keep: f32, max_dims: usize) -> Matrix {
    let mut pca = Pca::fit(x, max_dims.min(x.cols));
    let mut acc = 0.0;
    let mut dims = pca.components();
    for (i, v) in pca.variance.iter().enumerate() {
        acc += v;
        if pca.total_variance > 0.0 && acc / pca.total_variance >= keep {
            dims = i + 1;
            break;
        }
    }
    pca.truncate(dims.max(2.min(pca.components())));
    pca.transform(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs(seed: u64) -> (Vec<Vec<f32>>, Vec<usize>) {
        let mut rng = fastrand::Rng::with_seed(seed);
        let centres = [
            [0.0, 0.0, 0.0],
            [8.0, 0.0, 1.0],
            [0.0, 8.0, -1.0],
            [8.0, 8.0, 4.0],
        ];
        let mut v = Vec::new();
        let mut l = Vec::new();
        for (c, cen) in centres.iter().enumerate() {
            for _ in 0..40 {
                v.push(cen.iter().map(|m| m + rng.f32() * 2.0 - 1.0).collect());
                l.push(c);
            }
        }
        (v, l)
    }

    #[test]
    fn auto_finds_four_blobs_and_is_deterministic() {
        let (v, truth) = blobs(3);
        let c = cluster_descriptors(&v, ClusterCount::AUTO, 7).unwrap();
        assert_eq!(c.k, 4, "tried {:?}", c.tried);
        let purity = crate::quality::Contingency::new(&c.labels, &truth).purity;
        assert!(purity > 0.99, "{purity}");
        assert_eq!(c, cluster_descriptors(&v, ClusterCount::AUTO, 7).unwrap());
    }

    #[test]
    fn bad_input_is_rejected_with_its_values() {
        let err = cluster_descriptors(&[vec![1.0, 2.0], vec![1.0]], ClusterCount::Fixed(1), 0)
            .unwrap_err();
        assert!(
            matches!(
                err,
                MapError::Dimension {
                    index: 1,
                    got: 1,
                    expected: 2
                }
            ),
            "{err}"
        );
        let err = cluster_descriptors(&[vec![1.0], vec![f32::NAN]], ClusterCount::Fixed(1), 0)
            .unwrap_err();
        assert!(
            matches!(err, MapError::NonFinite { index: 1, dim: 0 }),
            "{err}"
        );
        let err =
            cluster_descriptors(&[vec![1.0], vec![2.0]], ClusterCount::Fixed(3), 0).unwrap_err();
        assert!(matches!(err, MapError::Clusters { k: 3, n: 2 }), "{err}");
    }
}
