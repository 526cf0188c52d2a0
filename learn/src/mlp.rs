//! A small multilayer perceptron: centred inputs with one shared scale, one tanh hidden layer, softmax output;
//! trained with Adam on mini-batches, L2 weight decay, and early stopping on a seeded,
//! stratified validation split. Deterministic for a seed.

use crate::error::{bad_hyper_parameter, check_finite, LearnError};
use serde::{Deserialize, Serialize};

/// Largest hidden layer.
pub const MAX_HIDDEN: usize = 128;

/// MLP hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Hidden units (1..=[`MAX_HIDDEN`]).
    pub hidden: usize,
    /// L2 weight decay on the weights (not the biases), per example (≥ 0).
    pub l2: f64,
    /// Adam step size (> 0, ≤ 1).
    pub learning_rate: f64,
    /// Most passes over the training data (≥ 1).
    pub max_epochs: usize,
    /// Stop after this many epochs without a better validation loss (≥ 1).
    pub patience: usize,
    /// Mini-batch size, in examples (≥ 1).
    pub batch: usize,
    /// Fraction of each class held out for early stopping (0..0.5; none for tiny classes).
    pub validation_fraction: f64,
}

impl Default for MlpConfig {
    /// 32 hidden units, L2 1e-3, Adam 0.01, ≤ 300 epochs, patience 25, batches of 32, 20 %
    /// validation.
    fn default() -> Self {
        Self {
            hidden: 32,
            l2: 1e-3,
            learning_rate: 0.01,
            max_epochs: 300,
            patience: 25,
            batch: 32,
            validation_fraction: 0.2,
        }
    }
}

impl MlpConfig {
    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), LearnError> {
        let bad = bad_hyper_parameter;
        if !(1..=MAX_HIDDEN).contains(&self.hidden) {
            return bad("mlp.hidden", self.hidden as f64, "1..=128");
        }
        if !(self.l2 >= 0.0 && self.l2.is_finite()) {
            return bad("mlp.l2", self.l2, ">= 0");
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return bad("mlp.learning_rate", self.learning_rate, "0 < x <= 1");
        }
        if self.max_epochs == 0 || self.max_epochs > 100_000 {
            return bad("mlp.max_epochs", self.max_epochs as f64, "1..=100000");
        }
        if self.patience == 0 {
            return bad("mlp.patience", 0.0, ">= 1");
        }
        if self.batch == 0 {
            return bad("mlp.batch", 0.0, ">= 1");
        }
        if !(0.0..0.5).contains(&self.validation_fraction) {
            return bad(
                "mlp.validation_fraction",
                self.validation_fraction,
                "0 <= x < 0.5",
            );
        }
        Ok(())
    }
}

/// A fitted MLP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mlp {
    /// Input dimension.
    pub inputs: usize,
    /// Hidden units.
    pub hidden: usize,
    /// Output classes.
    pub classes: usize,
    /// Input means.
    pub in_mean: Vec<f32>,
    /// Input scale (`1 /` the largest input standard deviation, the same for every input).
    pub in_scale: Vec<f32>,
    /// `hidden × inputs` row-major.
    pub w1: Vec<f32>,
    /// Hidden biases.
    pub b1: Vec<f32>,
    /// `classes × hidden` row-major.
    pub w2: Vec<f32>,
    /// Output biases.
    pub b2: Vec<f32>,
}

struct Params {
    w1: Vec<f64>,
    b1: Vec<f64>,
    w2: Vec<f64>,
    b2: Vec<f64>,
}

impl Params {
    fn all_mut(&mut self) -> [&mut Vec<f64>; 4] {
        [&mut self.w1, &mut self.b1, &mut self.w2, &mut self.b2]
    }
    fn zeros_like(&self) -> Self {
        Self {
            w1: vec![0.0; self.w1.len()],
            b1: vec![0.0; self.b1.len()],
            w2: vec![0.0; self.w2.len()],
            b2: vec![0.0; self.b2.len()],
        }
    }
}

/// Forward pass in f64; fills `h` (hidden activations) and returns softmax probabilities in `p`.
fn forward(pr: &Params, x: &[f64], ni: usize, nh: usize, nc: usize, h: &mut [f64], p: &mut [f64]) {
    for (j, hj) in h.iter_mut().enumerate().take(nh) {
        let w = &pr.w1[j * ni..(j + 1) * ni];
        *hj = (pr.b1[j] + w.iter().zip(x).map(|(a, b)| a * b).sum::<f64>()).tanh();
    }
    let mut mx = f64::NEG_INFINITY;
    for (c, pc) in p.iter_mut().enumerate().take(nc) {
        let w = &pr.w2[c * nh..(c + 1) * nh];
        *pc = pr.b2[c] + w.iter().zip(h.iter()).map(|(a, b)| a * b).sum::<f64>();
        mx = mx.max(*pc);
    }
    let mut s = 0.0;
    for v in p.iter_mut() {
        *v = (*v - mx).exp();
        s += *v;
    }
    p.iter_mut().for_each(|v| *v /= s);
}

/// Seeded, stratified split: returns (train, validation) indices.
pub(crate) fn stratified_split(
    labels: &[usize],
    classes: usize,
    fraction: f64,
    rng: &mut fastrand::Rng,
) -> (Vec<usize>, Vec<usize>) {
    let (mut train, mut val) = (Vec::new(), Vec::new());
    for c in 0..classes {
        let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
        rng.shuffle(&mut idx);
        let nv = if idx.len() >= 5 {
            ((idx.len() as f64 * fraction).round() as usize).max(1)
        } else {
            0
        };
        val.extend_from_slice(&idx[..nv]);
        train.extend_from_slice(&idx[nv..]);
    }
    train.sort_unstable();
    val.sort_unstable();
    (train, val)
}

impl Mlp {
    /// Trains on `rows` with compact `labels` (< `classes`). Deterministic for `seed`.
    pub fn fit(
        rows: &[Vec<f64>],
        labels: &[usize],
        classes: usize,
        cfg: &MlpConfig,
        seed: u64,
    ) -> Self {
        let n = rows.len();
        let ni = rows.first().map_or(0, |r| r.len());
        let (nh, nc) = (cfg.hidden, classes);
        // Input standardisation.
        let mut mean = vec![0.0f64; ni];
        for r in rows {
            mean.iter_mut().zip(r).for_each(|(m, v)| *m += v / n as f64);
        }
        let mut sd = vec![0.0f64; ni];
        for r in rows {
            sd.iter_mut()
                .zip(r)
                .zip(&mean)
                .for_each(|((s, v), m)| *s += (v - m).powi(2) / n as f64);
        }
        // One scale for every input (the largest standard deviation becomes 1): whitening each
        // principal component separately would blow the noise in the minor ones up to the size
        // of the signal and ruin generalisation.
        let top = sd.iter().copied().fold(0.0f64, f64::max).sqrt();
        let scale: Vec<f64> = vec![if top > 1e-9 { 1.0 / top } else { 1.0 }; ni];
        let x: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&mean)
                    .zip(&scale)
                    .map(|((v, m), s)| (v - m) * s)
                    .collect()
            })
            .collect();

        let mut rng = fastrand::Rng::with_seed(seed);
        let (train, val) = stratified_split(labels, classes, cfg.validation_fraction, &mut rng);
        let lim1 = (6.0 / (ni + nh) as f64).sqrt();
        let lim2 = (6.0 / (nh + nc) as f64).sqrt();
        let mut pr = Params {
            w1: (0..nh * ni)
                .map(|_| (rng.f64() * 2.0 - 1.0) * lim1)
                .collect(),
            b1: vec![0.0; nh],
            w2: (0..nc * nh)
                .map(|_| (rng.f64() * 2.0 - 1.0) * lim2)
                .collect(),
            b2: vec![0.0; nc],
        };
        let mut m1 = pr.zeros_like();
        let mut m2 = pr.zeros_like();
        let mut grad = pr.zeros_like();
        let (mut h, mut p, mut dh) = (vec![0.0; nh], vec![0.0; nc], vec![0.0; nh]);
        let val_loss = |pr: &Params, h: &mut [f64], p: &mut [f64]| -> f64 {
            let mut l = 0.0;
            for &i in &val {
                forward(pr, &x[i], ni, nh, nc, h, p);
                l -= p[labels[i]].max(1e-12).ln();
            }
            l / val.len().max(1) as f64
        };
        let mut best = (f64::INFINITY, None::<[Vec<f64>; 4]>);
        let mut since_best = 0;
        let mut order = train.clone();
        let (b1c, b2c, eps) = (0.9f64, 0.999f64, 1e-8);
        let mut step = 0i32;
        for _epoch in 0..cfg.max_epochs {
            rng.shuffle(&mut order);
            for batch in order.chunks(cfg.batch) {
                for g in grad.all_mut() {
                    g.fill(0.0);
                }
                for &i in batch {
                    forward(&pr, &x[i], ni, nh, nc, &mut h, &mut p);
                    p[labels[i]] -= 1.0;
                    dh.fill(0.0);
                    for (c, &pc) in p.iter().enumerate().take(nc) {
                        grad.b2[c] += pc;
                        for j in 0..nh {
                            grad.w2[c * nh + j] += pc * h[j];
                            dh[j] += pc * pr.w2[c * nh + j];
                        }
                    }
                    for j in 0..nh {
                        let d = dh[j] * (1.0 - h[j] * h[j]);
                        grad.b1[j] += d;
                        for (g, xv) in grad.w1[j * ni..(j + 1) * ni].iter_mut().zip(&x[i]) {
                            *g += d * xv;
                        }
                    }
                }
                let inv = 1.0 / batch.len() as f64;
                step += 1;
                let (c1, c2) = (1.0 - b1c.powi(step), 1.0 - b2c.powi(step));
                for (k, ((w, g), (m, v))) in pr
                    .all_mut()
                    .into_iter()
                    .zip(grad.all_mut())
                    .zip(m1.all_mut().into_iter().zip(m2.all_mut()))
                    .enumerate()
                {
                    let decay = if k % 2 == 0 { cfg.l2 } else { 0.0 };
                    for t in 0..w.len() {
                        let gt = g[t] * inv + decay * w[t];
                        m[t] = b1c * m[t] + (1.0 - b1c) * gt;
                        v[t] = b2c * v[t] + (1.0 - b2c) * gt * gt;
                        w[t] -= cfg.learning_rate * (m[t] / c1) / ((v[t] / c2).sqrt() + eps);
                    }
                }
            }
            if !val.is_empty() {
                let l = val_loss(&pr, &mut h, &mut p);
                if l < best.0 - 1e-6 {
                    best = (
                        l,
                        Some([pr.w1.clone(), pr.b1.clone(), pr.w2.clone(), pr.b2.clone()]),
                    );
                    since_best = 0;
                } else {
                    since_best += 1;
                    if since_best >= cfg.patience {
                        break;
                    }
                }
            }
        }
        if let (_, Some([w1, b1, w2, b2])) = best {
            pr = Params { w1, b1, w2, b2 };
        }
        let f = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        Self {
            inputs: ni,
            hidden: nh,
            classes: nc,
            in_mean: f(&mean),
            in_scale: f(&scale),
            w1: f(&pr.w1),
            b1: f(&pr.b1),
            w2: f(&pr.w2),
            b2: f(&pr.b2),
        }
    }

    /// Writes the output logits to `out[..classes]`. Never allocates.
    #[inline]
    pub fn logits(&self, y: &[f32], out: &mut [f32]) {
        let mut x = [0.0f32; crate::pca::MAX_COMPONENTS];
        for (((o, &v), &m), &s) in x.iter_mut().zip(y).zip(&self.in_mean).zip(&self.in_scale) {
            *o = (v - m) * s;
        }
        let x = &x[..self.inputs];
        let mut h = [0.0f32; MAX_HIDDEN];
        for (j, hj) in h[..self.hidden].iter_mut().enumerate() {
            *hj = (self.b1[j]
                + crate::pca::dot(&self.w1[j * self.inputs..(j + 1) * self.inputs], x))
            .tanh();
        }
        let h = &h[..self.hidden];
        for (c, o) in out[..self.classes].iter_mut().enumerate() {
            *o = self.b2[c] + crate::pca::dot(&self.w2[c * self.hidden..(c + 1) * self.hidden], h);
        }
    }

    /// Checks dimensions and finiteness.
    pub fn validate(&self, inputs: usize, classes: usize) -> Result<(), LearnError> {
        let (ni, nh, nc) = (self.inputs, self.hidden, self.classes);
        if ni != inputs
            || nc != classes
            || ni > crate::pca::MAX_COMPONENTS
            || !(1..=MAX_HIDDEN).contains(&nh)
            || self.in_mean.len() != ni
            || self.in_scale.len() != ni
            || self.w1.len() != nh * ni
            || self.b1.len() != nh
            || self.w2.len() != nc * nh
            || self.b2.len() != nc
        {
            return Err(LearnError::Corrupt(format!(
                "MLP sizes {ni}→{nh}→{nc} do not match its arrays or the expected {inputs}→{classes}"
            )));
        }
        for (name, v) in [
            ("in_mean", &self.in_mean),
            ("in_scale", &self.in_scale),
            ("w1", &self.w1),
            ("b1", &self.b1),
            ("w2", &self.w2),
            ("b2", &self.b2),
        ] {
            check_finite(v, &|i| format!("MLP {name}[{i}]"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xor_data() -> (Vec<Vec<f64>>, Vec<usize>) {
        let mut rng = fastrand::Rng::with_seed(2);
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for _ in 0..200 {
            let (a, b) = (rng.f64() * 2.0 - 1.0, rng.f64() * 2.0 - 1.0);
            rows.push(vec![a, b, rng.f64()]);
            labels.push(usize::from((a > 0.0) != (b > 0.0)));
        }
        (rows, labels)
    }

    #[test]
    fn learns_xor_deterministically() {
        let (rows, labels) = xor_data();
        let cfg = MlpConfig::default();
        let m = Mlp::fit(&rows, &labels, 2, &cfg, 7);
        assert_eq!(m, Mlp::fit(&rows, &labels, 2, &cfg, 7));
        m.validate(3, 2).unwrap();
        let mut correct = 0;
        let mut out = [0.0f32; 2];
        for (r, &l) in rows.iter().zip(&labels) {
            let y: Vec<f32> = r.iter().map(|&v| v as f32).collect();
            m.logits(&y, &mut out);
            correct += usize::from((out[1] > out[0]) == (l == 1));
        }
        assert!(correct >= 180, "{correct}/200");
    }

    #[test]
    fn bad_hyper_parameters_are_rejected() {
        let c = MlpConfig {
            hidden: 0,
            ..Default::default()
        };
        assert!(matches!(
            c.validate(),
            Err(LearnError::HyperParameter {
                name: "mlp.hidden",
                ..
            })
        ));
        let c = MlpConfig {
            learning_rate: f64::NAN,
            ..Default::default()
        };
        assert!(c.validate().is_err());
        let c = MlpConfig {
            validation_fraction: 0.7,
            ..Default::default()
        };
        assert!(c.validate().is_err());
    }
}
