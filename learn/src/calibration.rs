//! Probability calibration: temperature scaling fitted on cross-validated scores, and the
//! measures of calibration (log-loss, expected calibration error).

/// Temperatures searched, as a range of `ln T`.
pub const LOG_T_RANGE: (f64, f64) = (-4.0, 4.0);

/// Softmax of `logits / t` into `out` (same length). Never allocates.
#[inline]
pub fn softmax(logits: &[f32], t: f32, out: &mut [f32]) {
    let inv = 1.0 / t;
    let mx = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for (o, &l) in out.iter_mut().zip(logits) {
        *o = ((l - mx) * inv).exp();
        s += *o;
    }
    for o in out.iter_mut() {
        *o /= s;
    }
}

/// Softmax in f64 into a new vector.
pub fn softmax_f64(logits: &[f64], t: f64) -> Vec<f64> {
    let mx = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = logits.iter().map(|l| ((l - mx) / t).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// Mean negative log-likelihood of `labels` under `softmax(logits / t)`, in nats.
pub fn nll(logits: &[Vec<f64>], labels: &[usize], t: f64) -> f64 {
    smoothed_nll(logits, labels, t, 0.0)
}

/// Cross-entropy against label-smoothed targets `(1 − ε) onehot + ε / K`, in nats.
pub fn smoothed_nll(logits: &[Vec<f64>], labels: &[usize], t: f64, eps: f64) -> f64 {
    let mut total = 0.0;
    for (l, &y) in logits.iter().zip(labels) {
        let mx = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = l.iter().map(|v| ((v - mx) / t).exp()).sum::<f64>().ln();
        let k = l.len() as f64;
        for (c, v) in l.iter().enumerate() {
            let q = if c == y { 1.0 - eps + eps / k } else { eps / k };
            if q > 0.0 {
                total -= q * ((v - mx) / t - lse);
            }
        }
    }
    total / logits.len().max(1) as f64
}

/// The temperature (e^[`LOG_T_RANGE`]) minimising the cross-entropy of `softmax(logits / t)`
/// against label-smoothed targets with ε = K / (n + K) (a Laplace-style prior: with n
/// out-of-fold scores all correct, confidence should not exceed about (n + 1) / (n + 2); this
/// stops perfectly separated training data from driving the temperature to 0 and every
/// probability to 0 or 1). Golden-section search on `ln T`.
pub fn fit_temperature(logits: &[Vec<f64>], labels: &[usize]) -> f64 {
    let k = logits.first().map_or(2, |l| l.len()) as f64;
    let eps = k / (logits.len() as f64 + k);
    let f = |lt: f64| smoothed_nll(logits, labels, lt.exp(), eps);
    let (mut a, mut b) = LOG_T_RANGE;
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..60 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    (0.5 * (a + b)).exp()
}

/// Mean negative log-probability of the true class, in nats (probabilities floored at 1e-12).
pub fn log_loss(probs: &[Vec<f64>], labels: &[usize]) -> f64 {
    probs
        .iter()
        .zip(labels)
        .map(|(p, &y)| -p[y].max(1e-12).ln())
        .sum::<f64>()
        / probs.len().max(1) as f64
}

/// Fraction of rows whose arg-max is the label (0..1).
pub fn accuracy(probs: &[Vec<f64>], labels: &[usize]) -> f64 {
    probs
        .iter()
        .zip(labels)
        .filter(|(p, &y)| argmax(p) == y)
        .count() as f64
        / probs.len().max(1) as f64
}

/// Index of the largest value (first on ties).
pub fn argmax(p: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in p.iter().enumerate() {
        if v > p[best] {
            best = i;
        }
    }
    best
}

/// Expected calibration error with `bins` equal-width confidence bins (0..1): the
/// example-weighted mean of |accuracy − mean confidence| per bin, using the top class.
pub fn ece(probs: &[Vec<f64>], labels: &[usize], bins: usize) -> f64 {
    let mut conf = vec![0.0; bins];
    let mut acc = vec![0.0; bins];
    let mut count = vec![0usize; bins];
    for (p, &y) in probs.iter().zip(labels) {
        let k = argmax(p);
        let b = ((p[k] * bins as f64) as usize).min(bins - 1);
        conf[b] += p[k];
        acc[b] += f64::from(u8::from(k == y));
        count[b] += 1;
    }
    let n = probs.len().max(1) as f64;
    (0..bins)
        .filter(|&b| count[b] > 0)
        .map(|b| (acc[b] - conf[b]).abs() / n)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_softens_overconfident_scores() {
        // Logits say 99 % but a fifth are wrong: the fitted temperature must be > 1 and bring
        // the confidence near 80 %.
        let mut logits = Vec::new();
        let mut labels = Vec::new();
        for i in 0..100 {
            logits.push(vec![4.6, 0.0]);
            labels.push(usize::from(i % 5 == 0));
        }
        let t = fit_temperature(&logits, &labels);
        let p = softmax_f64(&logits[0], t);
        assert!((p[0] - 0.8).abs() < 0.02, "t {t} p {p:?}");
        assert!(nll(&logits, &labels, t) < nll(&logits, &labels, 1.0));
        let probs: Vec<Vec<f64>> = logits.iter().map(|l| softmax_f64(l, t)).collect();
        assert!(ece(&probs, &labels, 10) < 0.02);
        let raw: Vec<Vec<f64>> = logits.iter().map(|l| softmax_f64(l, 1.0)).collect();
        assert!((ece(&raw, &labels, 10) - 0.19).abs() < 0.01);
        assert!((accuracy(&probs, &labels) - 0.8).abs() < 1e-9);
    }

    #[test]
    fn separable_scores_do_not_become_certain() {
        let logits: Vec<Vec<f64>> = (0..80)
            .map(|i| {
                if i % 2 == 0 {
                    vec![5.0, 0.0]
                } else {
                    vec![0.0, 5.0]
                }
            })
            .collect();
        let labels: Vec<usize> = (0..80).map(|i| i % 2).collect();
        let t = fit_temperature(&logits, &labels);
        let p = softmax_f64(&logits[0], t);
        assert!(p[0] > 0.95 && p[0] < 0.995, "t {t} p {p:?}");
    }

    #[test]
    fn f32_softmax_matches_f64() {
        let mut out = [0.0f32; 3];
        softmax(&[1.0, 2.0, -1.0], 2.0, &mut out);
        let r = softmax_f64(&[1.0, 2.0, -1.0], 2.0);
        for (a, b) in out.iter().zip(&r) {
            assert!((*a as f64 - b).abs() < 1e-6);
        }
    }
}
