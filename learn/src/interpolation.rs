//! Strike-position interpolation between the pair (A, B): a shrinkage-LDA direction on the
//! level-normalised timbre block, after regressing the hit's log energy out of every timbre
//! feature, mapped so A's mean is 0 and B's is 1, with optional anchored classes as extra knots
//! of a monotone piecewise-linear map, and clamped to 0..=1.
//!
//! Everything before the knots is linear in the descriptor, so it is folded into one weight
//! vector over the whole descriptor and an offset: inference is one dot product.

use crate::error::{check_finite, LearnError};
use crate::lda::{shrunk_covariance, solve_spd};
use nalgebra::DVector;
use serde::{Deserialize, Serialize};
use timbrel_core::analysis::descriptor::{timbre_indices, DESCRIPTOR_LEN, LEVEL_BLOCK};

/// The descriptor dimension regressed out of the timbre features: the window's total band
/// energy, in dB (`level.energy_db`).
pub const ENERGY_INDEX: usize = LEVEL_BLOCK.start + 2;

/// A fitted interpolation map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interpolator {
    /// Weights over the raw descriptor ([`DESCRIPTOR_LEN`]): `t(x) = weights · x + offset` is
    /// 0 at A's mean and 1 at B's.
    pub weights: Vec<f32>,
    /// Offset of `t`.
    pub offset: f32,
    /// Knots `(t, value)` of the monotone map, strictly increasing in both; at least (0, 0) and
    /// (1, 1). Values are clamped to 0..=1 outside.
    pub knots: Vec<(f32, f32)>,
    /// Shrinkage intensity of the LDA covariance (0..=1).
    pub shrinkage: f32,
}

/// Pool-adjacent-violators: the non-decreasing sequence closest (weighted least squares) to `y`.
pub fn isotonic(y: &[f64], w: &[f64]) -> Vec<f64> {
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new(); // (mean, weight, count)
    for (&v, &wt) in y.iter().zip(w) {
        blocks.push((v, wt, 1));
        while blocks.len() > 1 && blocks[blocks.len() - 2].0 > blocks[blocks.len() - 1].0 {
            let (m2, w2, c2) = blocks.pop().unwrap();
            let (m1, w1, c1) = blocks.pop().unwrap();
            blocks.push(((m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2));
        }
    }
    blocks
        .iter()
        .flat_map(|&(m, _, c)| std::iter::repeat_n(m, c))
        .collect()
}

impl Interpolator {
    /// Fits to the descriptors of class A (`a`), class B (`b`) and anchored classes
    /// (`anchors`: value 0..=1 and that class's descriptors). `regress_energy` removes the
    /// within-class linear dependence of each timbre feature on [`ENERGY_INDEX`]; `shrinkage`
    /// `None` uses Ledoit–Wolf. A and B need ≥ 2 examples each.
    pub fn fit(
        a: &[&[f32]],
        b: &[&[f32]],
        anchors: &[(f32, Vec<&[f32]>)],
        regress_energy: bool,
        shrinkage: Option<f64>,
    ) -> Self {
        let timbre = timbre_indices();
        let p = timbre.len();
        let groups = [a, b];
        // Class means of the timbre features and the energy.
        let mean_of =
            |g: &[&[f32]], j: usize| g.iter().map(|x| x[j] as f64).sum::<f64>() / g.len() as f64;
        let e_mean: Vec<f64> = groups.iter().map(|g| mean_of(g, ENERGY_INDEX)).collect();
        let t_mean: Vec<Vec<f64>> = groups
            .iter()
            .map(|g| timbre.clone().map(|j| mean_of(g, j)).collect())
            .collect();
        // Within-class slope of each feature on energy.
        let mut beta = vec![0.0f64; p];
        if regress_energy {
            let mut see = 0.0;
            for (gi, g) in groups.iter().enumerate() {
                for x in g.iter() {
                    let de = x[ENERGY_INDEX] as f64 - e_mean[gi];
                    see += de * de;
                    for (k, j) in timbre.clone().enumerate() {
                        beta[k] += de * (x[j] as f64 - t_mean[gi][k]);
                    }
                }
            }
            if see > 1e-9 {
                beta.iter_mut().for_each(|b| *b /= see);
            } else {
                beta.fill(0.0);
            }
        }
        // Within-class residuals (energy-adjusted, centred per class), then pooled std.
        let mut resid: Vec<Vec<f64>> = Vec::new();
        for (gi, g) in groups.iter().enumerate() {
            for x in g.iter() {
                let de = x[ENERGY_INDEX] as f64 - e_mean[gi];
                resid.push(
                    timbre
                        .clone()
                        .enumerate()
                        .map(|(k, j)| x[j] as f64 - t_mean[gi][k] - beta[k] * de)
                        .collect(),
                );
            }
        }
        let n = resid.len() as f64;
        let sd: Vec<f64> = (0..p)
            .map(|k| (resid.iter().map(|r| r[k] * r[k]).sum::<f64>() / n).sqrt())
            .collect();
        let inv_sd: Vec<f64> = sd
            .iter()
            .map(|&s| if s > 1e-6 { 1.0 / s } else { 0.0 })
            .collect();
        let scaled: Vec<Vec<f64>> = resid
            .iter()
            .map(|r| r.iter().zip(&inv_sd).map(|(v, s)| v * s).collect())
            .collect();
        let (cov, alpha) = shrunk_covariance(&scaled, shrinkage);
        // Mean difference in the same (adjusted, scaled) coordinates.
        let diff = DVector::from_iterator(
            p,
            (0..p).map(|k| {
                ((t_mean[1][k] - beta[k] * e_mean[1]) - (t_mean[0][k] - beta[k] * e_mean[0]))
                    * inv_sd[k]
            }),
        );
        let w = solve_spd(&cov, &diff);
        // Fold into raw-descriptor weights: s(x) = Σ_k w_k inv_sd_k (x_j − β_k e).
        let mut raw = vec![0.0f64; DESCRIPTOR_LEN];
        for (k, j) in timbre.clone().enumerate() {
            let c = w[k] * inv_sd[k];
            raw[j] += c;
            raw[ENERGY_INDEX] -= c * beta[k];
        }
        let proj = |x: &[f32]| raw.iter().zip(x).map(|(w, &v)| w * v as f64).sum::<f64>();
        let sa = a.iter().map(|x| proj(x)).sum::<f64>() / a.len() as f64;
        let sb = b.iter().map(|x| proj(x)).sum::<f64>() / b.len() as f64;
        let span = sb - sa;
        let (weights, offset) = if span.abs() > 1e-12 && span.is_finite() {
            (
                raw.iter().map(|w| (w / span) as f32).collect(),
                (-sa / span) as f32,
            )
        } else {
            // A and B are indistinguishable: a constant halfway value.
            (vec![0.0; DESCRIPTOR_LEN], 0.5)
        };
        let mut interp = Self {
            weights,
            offset,
            knots: vec![(0.0, 0.0), (1.0, 1.0)],
            shrinkage: alpha as f32,
        };
        // Anchored classes: knots at their mean t, made monotone by pooling violators.
        let mut pts: Vec<(f64, f64, f64)> =
            vec![(0.0, 0.0, a.len() as f64), (1.0, 1.0, b.len() as f64)];
        for (value, xs) in anchors {
            if !xs.is_empty() {
                let t = xs.iter().map(|x| interp.raw_t(x) as f64).sum::<f64>() / xs.len() as f64;
                pts.push((*value as f64, t, xs.len() as f64));
            }
        }
        if pts.len() > 2 {
            pts.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
            let ts: Vec<f64> = pts.iter().map(|p| p.1).collect();
            let ws: Vec<f64> = pts.iter().map(|p| p.2).collect();
            let mono = isotonic(&ts, &ws);
            // Merge knots with equal t (average value), keep strictly increasing values.
            let mut knots: Vec<(f64, f64, f64)> = Vec::new(); // (t, value sum, count)
            for (p, &t) in pts.iter().zip(&mono) {
                match knots.last_mut() {
                    Some(k) if (k.0 - t).abs() < 1e-9 => {
                        k.1 += p.0;
                        k.2 += 1.0;
                    }
                    _ => knots.push((t, p.0, 1.0)),
                }
            }
            interp.knots = knots
                .iter()
                .map(|k| (k.0 as f32, (k.1 / k.2) as f32))
                .collect();
        }
        interp
    }

    /// The linear score `t(x)` before the knot map (0 at A's mean, 1 at B's). Never allocates.
    #[inline]
    pub fn raw_t(&self, x: &[f32]) -> f32 {
        crate::pca::dot(&self.weights, x) + self.offset
    }

    /// Interpolation value of descriptor `x`, 0..=1. Never allocates.
    #[inline]
    pub fn value(&self, x: &[f32]) -> f32 {
        let t = self.raw_t(x);
        let k = &self.knots;
        let v = if k.len() < 2 || !t.is_finite() {
            0.5
        } else {
            // Segment containing t (the end segments extend linearly).
            let mut i = 0;
            while i + 2 < k.len() && t > k[i + 1].0 {
                i += 1;
            }
            let (t0, v0) = k[i];
            let (t1, v1) = k[i + 1];
            v0 + (t - t0) * (v1 - v0) / (t1 - t0)
        };
        v.clamp(0.0, 1.0)
    }

    /// Checks dimensions, finiteness and monotone knots.
    pub fn validate(&self) -> Result<(), LearnError> {
        if self.weights.len() != DESCRIPTOR_LEN || self.knots.len() < 2 {
            return Err(LearnError::Corrupt(format!(
                "interpolation has {} weights and {} knots",
                self.weights.len(),
                self.knots.len()
            )));
        }
        check_finite(&self.weights, &|i| format!("interpolation weights[{i}]"))?;
        check_finite(&[self.offset, self.shrinkage], &|_| {
            "interpolation offset".into()
        })?;
        for w in self.knots.windows(2) {
            let ok = w.iter().all(|k| k.0.is_finite() && k.1.is_finite())
                && w[1].0 > w[0].0
                && w[1].1 > w[0].1;
            if !ok {
                return Err(LearnError::Corrupt(format!(
                    "interpolation knots {:?} are not increasing",
                    w
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_pools_violators() {
        assert_eq!(
            isotonic(&[1.0, 3.0, 2.0, 4.0], &[1.0; 4]),
            vec![1.0, 2.5, 2.5, 4.0]
        );
        assert_eq!(isotonic(&[3.0, 1.0], &[3.0, 1.0]), vec![2.5, 2.5]);
    }

    /// Synthetic descriptors: timbre feature 0 follows position, feature 1 follows loudness
    /// (and the energy), the rest is noise.
    fn fake(pos: f32, loud: f32, rng: &mut fastrand::Rng) -> Vec<f32> {
        let mut x = vec![0.0f32; DESCRIPTOR_LEN];
        let t = timbre_indices().start;
        x[ENERGY_INDEX] = -40.0 + 30.0 * loud;
        x[t] = pos * 3.0 + 2.0 * loud + 0.3 * (rng.f32() - 0.5);
        x[t + 1] = 5.0 * loud + 0.1 * rng.f32();
        for v in &mut x[t + 2..t + 10] {
            *v = rng.f32();
        }
        x
    }

    #[test]
    fn follows_position_not_loudness_and_honours_anchors() {
        let mut rng = fastrand::Rng::with_seed(1);
        let a: Vec<Vec<f32>> = (0..40)
            .map(|i| fake(0.0, (i % 10) as f32 / 10.0, &mut rng))
            .collect();
        let b: Vec<Vec<f32>> = (0..40)
            .map(|i| fake(1.0, (i % 10) as f32 / 10.0, &mut rng))
            .collect();
        fn refs(v: &[Vec<f32>]) -> Vec<&[f32]> {
            v.iter().map(|x| x.as_slice()).collect()
        }
        let m = Interpolator::fit(&refs(&a), &refs(&b), &[], true, None);
        m.validate().unwrap();
        let soft = m.value(&fake(0.5, 0.0, &mut rng));
        let loud = m.value(&fake(0.5, 1.0, &mut rng));
        assert!(
            (soft - 0.5).abs() < 0.1 && (loud - 0.5).abs() < 0.1,
            "{soft} {loud}"
        );
        assert_eq!(m.value(&fake(-3.0, 0.5, &mut rng)), 0.0);
        assert_eq!(m.value(&fake(4.0, 0.5, &mut rng)), 1.0);
        // An anchored class at true position 0.25 pinned to 0.5 bends the map there.
        let mid: Vec<Vec<f32>> = (0..10)
            .map(|i| fake(0.25, (i % 10) as f32 / 10.0, &mut rng))
            .collect();
        let m = Interpolator::fit(&refs(&a), &refs(&b), &[(0.5, refs(&mid))], true, None);
        m.validate().unwrap();
        assert_eq!(m.knots.len(), 3);
        assert!((m.value(&fake(0.25, 0.5, &mut rng)) - 0.5).abs() < 0.1);
        // A contradictory anchor (pinned at 0.2 but lying beyond B) is pooled, still monotone.
        let far: Vec<Vec<f32>> = (0..10)
            .map(|i| fake(1.5, (i % 10) as f32 / 10.0, &mut rng))
            .collect();
        let m = Interpolator::fit(&refs(&a), &refs(&b), &[(0.2, refs(&far))], true, None);
        m.validate().unwrap();
    }
}
