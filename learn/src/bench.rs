//! Timings for the CLI (`timbrel bench`) and the criterion benchmark: training on a synthetic
//! dataset of a given size with each classifier, and classifying one hit.

use crate::dataset::{Dataset, Example};
use crate::model::{train, ModelKind, Prediction, TrainConfig};
use crate::synthetic::{self, SynthSpec};
use std::time::Instant;

/// Measured timings.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// Examples in the training set.
    pub examples: usize,
    /// Training time per classifier (kNN, LDA, MLP, Auto), in milliseconds (median of runs).
    pub train_ms: Vec<(ModelKind, f64)>,
    /// Classifying one hit with the kNN model trained on `examples` hits, in microseconds.
    pub classify_knn_us: f64,
    /// Classifying one hit with the LDA model, in microseconds.
    pub classify_lda_us: f64,
    /// Classifying one hit with the MLP model, in microseconds.
    pub classify_mlp_us: f64,
}

/// A two-class dataset of `examples` hits built from `base` centre and edge snare hits by
/// adding small seeded jitter (descriptor units × 1 %), so any size is cheap to make.
pub fn dataset_of_size(examples: usize, seed: u64) -> Dataset {
    let spec = SynthSpec::default();
    let (center, _) = synthetic::snare_hits(20, (0.0, 0.15), &spec, &[256], seed);
    let (edge, _) = synthetic::snare_hits(20, (0.8, 0.95), &spec, &[256], seed + 1);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut d = Dataset::default();
    for i in 0..examples {
        let (class, hits) = if i % 2 == 0 { (0, &center) } else { (1, &edge) };
        let h = &hits[(i / 2) % hits.len()];
        let x: Vec<f32> = h.descriptors[0].iter().map(|&v| v + 0.01 * v.abs().max(0.1) * (rng.f32() - 0.5)).collect();
        d.add_example(Example::new(&x, class, h.level_dbfs, i as f64)).expect("valid");
    }
    d
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times training on `examples` hits (`runs` runs each, median) and classification (median of
/// 2000 calls over the training hits).
pub fn bench(examples: usize, runs: usize) -> BenchReport {
    let data = dataset_of_size(examples, 99);
    let mut train_ms = Vec::new();
    let mut per_us = Vec::new();
    for kind in [ModelKind::Knn, ModelKind::Lda, ModelKind::Mlp, ModelKind::Auto] {
        let cfg = TrainConfig { kind, ..TrainConfig::default() };
        let mut times = Vec::new();
        let mut model = None;
        for _ in 0..runs.max(1) {
            let t = Instant::now();
            model = Some(train(&data, &cfg).expect("trains"));
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        train_ms.push((kind, median(times)));
        let model = model.expect("trained");
        let mut p = Prediction::default();
        let mut times = Vec::new();
        for i in 0..2000 {
            let x = &data.examples[i % data.examples.len()].descriptor;
            let t = Instant::now();
            model.classify(std::hint::black_box(x), &mut p);
            std::hint::black_box(&p);
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
        per_us.push(median(times));
    }
    BenchReport {
        examples,
        train_ms,
        classify_knn_us: per_us[0],
        classify_lda_us: per_us[1],
        classify_mlp_us: per_us[2],
    }
}
