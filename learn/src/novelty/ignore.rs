//! The ignore discriminant: a linear discriminant between the drum and its ignore classes.
//!
//! The nearest-example rule of [`super::Novelty`] measures in the drum's own metric, whose
//! weights come from how the drum's hits vary among themselves; in it, a tom of the drummer's
//! own kit lies nearer to the snare than to the other strokes of the same tom. A discriminant
//! fitted on the drum's hits *and* the ignore class's hits weights the directions that tell
//! them apart instead. Groups: each drum class, each drum class under the synthetic hi-hat
//! ([`crate::Example::hat_descriptor`]: a snare with a hat stroke on it is still the drum),
//! and each ignore class; one pooled within-group covariance over the standardised descriptor
//! (level dimensions left out), shrunk towards its mean variance by [`SHRINKAGE`]; equal
//! priors. A hit is the ignore class's when that class's discriminant is the highest and the
//! hit is not well inside the drum's region (the model applies [`GATE`] to its novelty).
//!
//! NOTE: measured with `cli/examples/kit_model.rs -- --ignore-own` (an ignore class of the
//! training kit's own hi-hats, cymbals, toms and kick, every other layer; tested on the other
//! layers) and `cli/examples/ignore_scorers.py` on the same descriptors: see the README's
//! "drummer's own kit as ignore class" table.

use crate::lda::solve_spd_columns;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// Shrinkage of the pooled covariance towards its mean variance (0..=1): 0.3 and 0.6 gave the
/// same rejection of the kit's own pieces; 0.6 cost fewer blends.
pub const SHRINKAGE: f64 = 0.6;
/// A hit is ignored by the discriminant only when its novelty is above this share of the
/// model's threshold: hits well inside the drum's region stay the drum (at 0 the discriminant
/// alone took blends of the drum's two classes for bleed, 5.6 -> 9.7 % at 5.8 ms).
pub const GATE: f32 = 0.7;

/// A fitted discriminant (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IgnoreDiscriminant {
    /// Standardised-descriptor dimensions it reads (ascending).
    pub used: Vec<u16>,
    /// Per group, `used.len()` weights.
    pub weights: Vec<f32>,
    /// Per group, the constant term.
    pub bias: Vec<f32>,
    /// Per group, the ignore class (compact index) it stands for, or `None` for the drum.
    pub groups: Vec<Option<u8>>,
}

impl IgnoreDiscriminant {
    /// Fits to `groups`: each a set of standardised descriptors (`rows`, full length) and the
    /// ignore class it stands for (`None`: the drum). Groups with fewer than 2 rows are left
    /// out. `None` when no drum group or no ignore group remains.
    pub fn fit(groups: &[(Option<u8>, Vec<&[f64]>)], used: &[u16]) -> Option<Self> {
        let groups: Vec<_> = groups.iter().filter(|(_, rows)| rows.len() >= 2).collect();
        if !groups.iter().any(|g| g.0.is_none()) || !groups.iter().any(|g| g.0.is_some()) {
            return None;
        }
        let d = used.len();
        let pick = |r: &[f64]| DVector::from_iterator(d, used.iter().map(|&j| r[j as usize]));
        let means: Vec<DVector<f64>> = groups
            .iter()
            .map(|(_, rows)| {
                rows.iter().fold(DVector::zeros(d), |acc, r| acc + pick(r)) / rows.len() as f64
            })
            .collect();
        // Rows minus their group's mean, then the pooled covariance in one product.
        let n: usize = groups.iter().map(|(_, rows)| rows.len()).sum();
        let mut centred = DMatrix::<f64>::zeros(n, d);
        let mut i = 0;
        for ((_, rows), mean) in groups.iter().zip(&means) {
            for r in rows {
                for (k, &j) in used.iter().enumerate() {
                    centred[(i, k)] = r[j as usize] - mean[k];
                }
                i += 1;
            }
        }
        let mut cov = centred.tr_mul(&centred) / n.saturating_sub(groups.len()).max(1) as f64;
        let mu = cov.trace() / d.max(1) as f64;
        cov *= 1.0 - SHRINKAGE;
        for i in 0..d {
            cov[(i, i)] += SHRINKAGE * mu + 1e-9 * mu.max(1e-12);
        }
        let mut weights = Vec::with_capacity(groups.len() * d);
        let mut bias = Vec::with_capacity(groups.len());
        for (g, w) in solve_spd_columns(&cov, &DMatrix::from_columns(&means))
            .column_iter()
            .enumerate()
        {
            bias.push((-0.5 * w.dot(&means[g])) as f32);
            weights.extend(w.iter().map(|&v| v as f32));
        }
        let fitted = Self {
            used: used.to_vec(),
            weights,
            bias,
            groups: groups.iter().map(|g| g.0).collect(),
        };
        fitted.is_finite().then_some(fitted)
    }

    /// The ignore class (compact index) whose discriminant beats every drum group's on the
    /// standardised descriptor `z`, if any. Never allocates.
    #[inline]
    pub fn ignored(&self, z: &[f32]) -> Option<u8> {
        let d = self.used.len();
        let (mut drum, mut bleed) = (f32::NEG_INFINITY, (f32::NEG_INFINITY, None));
        for ((w, &b), &g) in self
            .weights
            .chunks_exact(d.max(1))
            .zip(&self.bias)
            .zip(&self.groups)
        {
            let s = b + w
                .iter()
                .zip(&self.used)
                .map(|(w, &j)| w * z[j as usize])
                .sum::<f32>();
            match g {
                None => drum = drum.max(s),
                Some(c) if s > bleed.0 => bleed = (s, Some(c)),
                Some(_) => {}
            }
        }
        (bleed.0 > drum).then_some(bleed.1).flatten()
    }

    /// Whether every value is finite.
    fn is_finite(&self) -> bool {
        self.weights.iter().chain(&self.bias).all(|v| v.is_finite())
    }

    /// Checks the shapes against a descriptor of `dims` values and `classes` compact classes of
    /// which `ignore` are ignore classes.
    pub fn validate(&self, dims: usize, ignore: &[bool]) -> Result<(), String> {
        let d = self.used.len();
        if self.weights.len() != self.groups.len() * d
            || self.bias.len() != self.groups.len()
            || self.used.iter().any(|&j| j as usize >= dims)
            || self.used.windows(2).any(|w| w[0] >= w[1])
            || !self.groups.iter().any(|g| g.is_some())
            || self
                .groups
                .iter()
                .flatten()
                .any(|&c| !ignore.get(c as usize).copied().unwrap_or(false))
            || !self.groups.iter().any(|g| g.is_none())
        {
            return Err(format!(
                "ignore discriminant: {} weights, {} biases, {} groups over {d} dimensions",
                self.weights.len(),
                self.bias.len(),
                self.groups.len()
            ));
        }
        if !self.is_finite() {
            return Err("ignore discriminant: a value is not finite".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two drum classes along dimension 0, an ignore class that differs from them only in a
    /// dimension along which the drum's own hits vary little (1), plus noise everywhere.
    fn rows(seed: u64) -> Vec<(Option<u8>, Vec<Vec<f64>>)> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut make = |centre: [f64; 2], n: usize| -> Vec<Vec<f64>> {
            (0..n)
                .map(|_| {
                    (0..8)
                        .map(|j| {
                            let c = if j < 2 { centre[j] } else { 0.0 };
                            c + (rng.f64() - 0.5) * if j == 1 { 0.2 } else { 2.0 }
                        })
                        .collect()
                })
                .collect()
        };
        vec![
            (None, make([-2.0, 0.0], 20)),
            (None, make([2.0, 0.0], 20)),
            (Some(2), make([0.0, 1.5], 20)),
        ]
    }

    #[test]
    fn the_ignore_class_is_told_from_the_drum_along_the_drum_s_quiet_dimension() {
        let data = rows(1);
        let groups: Vec<(Option<u8>, Vec<&[f64]>)> = data
            .iter()
            .map(|(g, r)| (*g, r.iter().map(|v| v.as_slice()).collect()))
            .collect();
        let used: Vec<u16> = (0..8).collect();
        let fitted = IgnoreDiscriminant::fit(&groups, &used).expect("fits");
        fitted.validate(8, &[false, false, true]).unwrap();
        let test = rows(2);
        let f32s = |r: &Vec<f64>| r.iter().map(|&v| v as f32).collect::<Vec<f32>>();
        let drum_ignored = test[..2]
            .iter()
            .flat_map(|(_, r)| r)
            .filter(|r| fitted.ignored(&f32s(r)).is_some())
            .count();
        let bleed_ignored = test[2]
            .1
            .iter()
            .filter(|r| fitted.ignored(&f32s(r)) == Some(2))
            .count();
        assert!(drum_ignored <= 2, "{drum_ignored} of 40 drum hits ignored");
        assert!(
            bleed_ignored >= 18,
            "{bleed_ignored} of 20 bleed hits ignored"
        );
    }

    #[test]
    fn without_an_ignore_group_there_is_nothing_to_fit() {
        let data = rows(3);
        let groups: Vec<(Option<u8>, Vec<&[f64]>)> = data[..2]
            .iter()
            .map(|(g, r)| (*g, r.iter().map(|v| v.as_slice()).collect()))
            .collect();
        assert!(IgnoreDiscriminant::fit(&groups, &(0..8).collect::<Vec<_>>()).is_none());
        let good = IgnoreDiscriminant::fit(
            &data
                .iter()
                .map(|(g, r)| (*g, r.iter().map(|v| v.as_slice()).collect()))
                .collect::<Vec<_>>(),
            &(0..8).collect::<Vec<_>>(),
        )
        .unwrap();
        let mut bad = good.clone();
        bad.weights[0] = f32::NAN;
        assert!(bad.validate(8, &[false, false, true]).is_err());
        // A group claiming a drum class as ignore class is refused.
        let claimed = IgnoreDiscriminant {
            groups: vec![None, None, Some(1)],
            ..good.clone()
        };
        assert!(claimed.validate(8, &[false, false, true]).is_err());
        assert!(good.validate(8, &[false, false, true]).is_ok());
    }
}
