//! Learned features: a small seeded autoencoder trained on the collection's own short log-mel
//! spectrograms ([`crate::describe::MEL_LEN`] values per file); its bottleneck activations are
//! the features. Plain `f32`, mini-batch Adam, one thread, so a seed gives identical features.
//!
//! Architecture: input (mean-subtracted) → dense `hidden` tanh → dense `bottleneck` linear →
//! dense `hidden` tanh → dense input-size linear, trained on mean squared reconstruction error.

/// Autoencoder settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutoencoderParams {
    /// Units of the two hidden layers.
    pub hidden: usize,
    /// Units of the bottleneck = number of learned features.
    pub bottleneck: usize,
    /// Passes over the data; 0 picks about 40,000 samples' worth (10..=60 epochs).
    pub epochs: usize,
    /// Mini-batch size, in samples.
    pub batch: usize,
    /// Adam step size.
    pub learning_rate: f32,
    /// Seed of the weights and of the shuffling.
    pub seed: u64,
}

impl Default for AutoencoderParams {
    /// 64 hidden, 12 features, automatic epochs, batches of 32, step 2e-3, seed 0.
    fn default() -> Self {
        Self {
            hidden: 64,
            bottleneck: 12,
            epochs: 0,
            batch: 32,
            learning_rate: 2e-3,
            seed: 0,
        }
    }
}

/// A dense layer `y = W x + b` with its Adam state and gradient accumulators.
#[derive(Debug, Clone)]
struct Dense {
    inputs: usize,
    outputs: usize,
    /// `outputs × inputs`, row per output.
    w: Vec<f32>,
    b: Vec<f32>,
    gw: Vec<f32>,
    gb: Vec<f32>,
    mw: Vec<f32>,
    vw: Vec<f32>,
    mb: Vec<f32>,
    vb: Vec<f32>,
}

impl Dense {
    fn new(inputs: usize, outputs: usize, rng: &mut fastrand::Rng) -> Self {
        // Glorot uniform.
        let limit = (6.0 / (inputs + outputs) as f32).sqrt();
        let w = (0..inputs * outputs)
            .map(|_| (rng.f32() * 2.0 - 1.0) * limit)
            .collect();
        let z = |n| vec![0.0f32; n];
        Self {
            inputs,
            outputs,
            w,
            b: z(outputs),
            gw: z(inputs * outputs),
            gb: z(outputs),
            mw: z(inputs * outputs),
            vw: z(inputs * outputs),
            mb: z(outputs),
            vb: z(outputs),
        }
    }

    fn forward(&self, x: &[f32], y: &mut [f32]) {
        for (o, yo) in y.iter_mut().enumerate() {
            let row = &self.w[o * self.inputs..(o + 1) * self.inputs];
            *yo = self.b[o] + row.iter().zip(x).map(|(w, x)| w * x).sum::<f32>();
        }
    }

    /// Accumulates gradients for output gradient `gy` at input `x`; writes the input gradient.
    fn backward(&mut self, x: &[f32], gy: &[f32], gx: Option<&mut [f32]>) {
        for (o, &g) in gy.iter().enumerate() {
            self.gb[o] += g;
            let row = &mut self.gw[o * self.inputs..(o + 1) * self.inputs];
            for (gw, xi) in row.iter_mut().zip(x) {
                *gw += g * xi;
            }
        }
        if let Some(gx) = gx {
            gx.fill(0.0);
            for (o, &g) in gy.iter().enumerate() {
                let row = &self.w[o * self.inputs..(o + 1) * self.inputs];
                for (gx, w) in gx.iter_mut().zip(row) {
                    *gx += g * w;
                }
            }
        }
    }

    fn adam_step(&mut self, lr: f32, t: i32, scale: f32) {
        let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        let c1 = 1.0 - b1.powi(t);
        let c2 = 1.0 - b2.powi(t);
        let step = |p: &mut [f32], g: &mut [f32], m: &mut [f32], v: &mut [f32]| {
            for (((p, g), m), v) in p
                .iter_mut()
                .zip(g.iter_mut())
                .zip(m.iter_mut())
                .zip(v.iter_mut())
            {
                let gi = *g * scale;
                *m = b1 * *m + (1.0 - b1) * gi;
                *v = b2 * *v + (1.0 - b2) * gi * gi;
                *p -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
                *g = 0.0;
            }
        };
        step(&mut self.w, &mut self.gw, &mut self.mw, &mut self.vw);
        step(&mut self.b, &mut self.gb, &mut self.mb, &mut self.vb);
    }
}

/// A trained autoencoder.
#[derive(Debug, Clone)]
pub struct Autoencoder {
    mean: Vec<f32>,
    layers: [Dense; 4],
    /// Mean squared reconstruction error after each epoch.
    pub loss_history: Vec<f32>,
}

impl Autoencoder {
    /// Trains on `inputs` (equally long vectors). Deterministic for `params.seed`.
    pub fn train(inputs: &[Vec<f32>], params: &AutoencoderParams) -> Self {
        let n = inputs.len();
        let d = inputs.first().map_or(0, Vec::len);
        let mut mean = vec![0.0f32; d];
        for x in inputs {
            for (m, v) in mean.iter_mut().zip(x) {
                *m += v / n.max(1) as f32;
            }
        }
        let data: Vec<Vec<f32>> = inputs
            .iter()
            .map(|x| x.iter().zip(&mean).map(|(v, m)| v - m).collect())
            .collect();
        let mut rng = fastrand::Rng::with_seed(params.seed ^ 0x4145_4e43);
        let (h, z) = (params.hidden.max(1), params.bottleneck.max(1));
        let mut layers = [
            Dense::new(d, h, &mut rng),
            Dense::new(h, z, &mut rng),
            Dense::new(z, h, &mut rng),
            Dense::new(h, d, &mut rng),
        ];
        let epochs = if params.epochs > 0 {
            params.epochs
        } else {
            (40_000 / n.max(1)).clamp(10, 60)
        };
        let batch = params.batch.max(1);
        let mut order: Vec<usize> = (0..n).collect();
        let mut acts = Activations::new(d, h, z);
        let mut loss_history = Vec::with_capacity(epochs);
        let mut t = 0;
        for _ in 0..epochs {
            rng.shuffle(&mut order);
            let mut total = 0.0f64;
            for chunk in order.chunks(batch) {
                for &i in chunk {
                    total += acts.forward(&layers, &data[i]) as f64;
                    acts.backward(&mut layers, &data[i]);
                }
                t += 1;
                for l in &mut layers {
                    l.adam_step(params.learning_rate, t, 1.0 / chunk.len() as f32);
                }
            }
            loss_history.push((total / (n.max(1) * d.max(1)) as f64) as f32);
        }
        Self {
            mean,
            layers,
            loss_history,
        }
    }

    /// The bottleneck features of one input vector.
    pub fn encode(&self, x: &[f32]) -> Vec<f32> {
        let centred: Vec<f32> = x.iter().zip(&self.mean).map(|(v, m)| v - m).collect();
        let mut h = vec![0.0; self.layers[0].outputs];
        self.layers[0].forward(&centred, &mut h);
        h.iter_mut().for_each(|v| *v = v.tanh());
        let mut z = vec![0.0; self.layers[1].outputs];
        self.layers[1].forward(&h, &mut z);
        z
    }
}

/// Scratch buffers for one sample's forward and backward pass.
struct Activations {
    h1: Vec<f32>,
    z: Vec<f32>,
    h2: Vec<f32>,
    out: Vec<f32>,
    g_out: Vec<f32>,
    g_h2: Vec<f32>,
    g_z: Vec<f32>,
    g_h1: Vec<f32>,
}

impl Activations {
    fn new(d: usize, h: usize, z: usize) -> Self {
        Self {
            h1: vec![0.0; h],
            z: vec![0.0; z],
            h2: vec![0.0; h],
            out: vec![0.0; d],
            g_out: vec![0.0; d],
            g_h2: vec![0.0; h],
            g_z: vec![0.0; z],
            g_h1: vec![0.0; h],
        }
    }

    /// Forward pass; returns the summed squared error.
    fn forward(&mut self, l: &[Dense; 4], x: &[f32]) -> f32 {
        l[0].forward(x, &mut self.h1);
        self.h1.iter_mut().for_each(|v| *v = v.tanh());
        l[1].forward(&self.h1, &mut self.z);
        l[2].forward(&self.z, &mut self.h2);
        self.h2.iter_mut().for_each(|v| *v = v.tanh());
        l[3].forward(&self.h2, &mut self.out);
        let mut err = 0.0;
        for ((g, o), t) in self.g_out.iter_mut().zip(&self.out).zip(x) {
            let e = o - t;
            err += e * e;
            *g = 2.0 * e / x.len() as f32;
        }
        err
    }

    fn backward(&mut self, l: &mut [Dense; 4], x: &[f32]) {
        l[3].backward(&self.h2, &self.g_out, Some(&mut self.g_h2));
        for (g, a) in self.g_h2.iter_mut().zip(&self.h2) {
            *g *= 1.0 - a * a;
        }
        l[2].backward(&self.z, &self.g_h2, Some(&mut self.g_z));
        l[1].backward(&self.h1, &self.g_z, Some(&mut self.g_h1));
        for (g, a) in self.g_h1.iter_mut().zip(&self.h1) {
            *g *= 1.0 - a * a;
        }
        l[0].backward(x, &self.g_h1, None);
    }
}

/// Trains an autoencoder on `inputs` and returns every input's bottleneck features.
pub fn learned_features(
    inputs: &[Vec<f32>],
    params: &AutoencoderParams,
) -> (Vec<Vec<f32>>, Autoencoder) {
    let ae = Autoencoder::train(inputs, params);
    (inputs.iter().map(|x| ae.encode(x)).collect(), ae)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_falls_and_training_is_deterministic() {
        let mut rng = fastrand::Rng::with_seed(5);
        // Two latent factors spread over 20 inputs.
        let inputs: Vec<Vec<f32>> = (0..200)
            .map(|_| {
                let (a, b) = (rng.f32(), rng.f32());
                (0..20)
                    .map(|i| a * (i as f32 * 0.3).sin() + b * (i as f32 * 0.1).cos())
                    .collect()
            })
            .collect();
        let p = AutoencoderParams {
            hidden: 16,
            bottleneck: 2,
            epochs: 30,
            seed: 1,
            ..Default::default()
        };
        let (f1, ae) = learned_features(&inputs, &p);
        let (f2, _) = learned_features(&inputs, &p);
        assert_eq!(f1, f2);
        let first = ae.loss_history[0];
        let last = *ae.loss_history.last().unwrap();
        assert!(last < 0.3 * first, "loss {first} -> {last}");
    }
}
