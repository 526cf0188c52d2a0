//! Per-dimension standardisation: `z = (x - mean) / std`, with a guard for constant dimensions.

use crate::error::{check_finite, LearnError};
use serde::{Deserialize, Serialize};

/// Dimensions whose standard deviation is below this (in their own unit) are treated as
/// constant: their scale is 1, so they are only centred.
pub const MIN_STD: f64 = 1e-6;

/// A fitted standardiser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// Mean of each dimension over the training rows (descriptor units).
    pub mean: Vec<f32>,
    /// `1 / std` of each dimension (1 for constant dimensions).
    pub inv_std: Vec<f32>,
}

impl Scaler {
    /// Fits on `rows` (all of the same length, at least one row).
    pub fn fit(rows: &[&[f32]]) -> Self {
        let d = rows.first().map_or(0, |r| r.len());
        let n = rows.len().max(1) as f64;
        let mut mean = vec![0.0f64; d];
        for r in rows {
            for (m, &x) in mean.iter_mut().zip(r.iter()) {
                *m += x as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0f64; d];
        for r in rows {
            for ((v, &x), m) in var.iter_mut().zip(r.iter()).zip(&mean) {
                *v += (x as f64 - m).powi(2);
            }
        }
        let inv_std = var
            .iter()
            .map(|v| {
                let s = (v / n).sqrt();
                if s < MIN_STD {
                    1.0
                } else {
                    (1.0 / s) as f32
                }
            })
            .collect();
        Self {
            mean: mean.iter().map(|&m| m as f32).collect(),
            inv_std,
        }
    }

    /// Number of dimensions.
    pub fn dims(&self) -> usize {
        self.mean.len()
    }

    /// Standardises `x` into `out` (both of length [`Self::dims`]). Never allocates.
    #[inline]
    pub fn transform(&self, x: &[f32], out: &mut [f32]) {
        for (((o, &x), &m), &s) in out.iter_mut().zip(x).zip(&self.mean).zip(&self.inv_std) {
            *o = (x - m) * s;
        }
    }

    /// Standardises into a new f64 vector (training).
    pub fn transform_f64(&self, x: &[f32]) -> Vec<f64> {
        x.iter()
            .zip(&self.mean)
            .zip(&self.inv_std)
            .map(|((&x, &m), &s)| ((x - m) * s) as f64)
            .collect()
    }

    /// Checks dimensions and finiteness (scales must be positive).
    pub fn validate(&self, dims: usize) -> Result<(), LearnError> {
        if self.mean.len() != dims || self.inv_std.len() != dims {
            return Err(LearnError::Corrupt(format!(
                "scaler has {} means and {} scales, expected {dims}",
                self.mean.len(),
                self.inv_std.len()
            )));
        }
        check_finite(&self.mean, &|i| format!("scaler mean[{i}]"))?;
        check_finite(&self.inv_std, &|i| format!("scaler inv_std[{i}]"))?;
        if let Some(i) = self.inv_std.iter().position(|&s| s <= 0.0) {
            return Err(LearnError::Corrupt(format!(
                "scaler inv_std[{i}] = {} is not positive",
                self.inv_std[i]
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardises_and_guards_constant_dimensions() {
        let a = [1.0f32, 5.0, 10.0];
        let b = [3.0f32, 5.0, 30.0];
        let s = Scaler::fit(&[&a, &b]);
        let mut z = [0.0f32; 3];
        s.transform(&a, &mut z);
        assert_eq!(z, [-1.0, 0.0, -1.0]);
        s.transform(&[2.0, 6.0, 20.0], &mut z);
        assert_eq!(z, [0.0, 1.0, 0.0]);
        s.validate(3).unwrap();
        assert!(s.validate(4).is_err());
    }
}
