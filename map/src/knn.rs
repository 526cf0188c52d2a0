//! Exact k-nearest neighbours by brute force, in parallel over query points (deterministic:
//! ties are broken by index).

use rayon::prelude::*;

use crate::linalg::{dist2, Matrix};

/// The `k` nearest other points of every point: `(index, Euclidean distance)` by increasing
/// distance. `k` is capped at `rows - 1`.
pub fn knn(x: &Matrix, k: usize) -> Vec<Vec<(u32, f32)>> {
    let n = x.rows;
    let k = k.min(n.saturating_sub(1));
    (0..n)
        .into_par_iter()
        .map_init(
            || Vec::with_capacity(n),
            |d: &mut Vec<(f32, u32)>, i| {
                let xi = x.row(i);
                // NOTE: one scratch buffer per worker; each result is a fresh k-element Vec (an
                // in-place collect would keep the n-element allocation alive per point).
                d.clear();
                d.extend(
                    (0..n)
                        .filter(|&j| j != i)
                        .map(|j| (dist2(xi, x.row(j)), j as u32)),
                );
                let order =
                    |a: &(f32, u32), b: &(f32, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
                if k < d.len() {
                    d.select_nth_unstable_by(k, order);
                }
                let top = &mut d[..k];
                top.sort_by(order);
                let mut out = Vec::with_capacity(k);
                out.extend(top.iter().map(|&(d, j)| (j, d.sqrt())));
                out
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_on_a_line() {
        let x = Matrix {
            rows: 5,
            cols: 1,
            data: vec![0.0, 1.0, 3.0, 6.0, 10.0],
        };
        let nn = knn(&x, 2);
        assert_eq!(nn[0], vec![(1, 1.0), (2, 3.0)]);
        assert_eq!(nn[3], vec![(2, 3.0), (4, 4.0)]);
    }
}
