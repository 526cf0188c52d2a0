//! Timings for the CLI (`timbrel bench`) and the criterion benchmark: training on a synthetic
//! dataset of a given size with each classifier, classifying one hit, and encoding and decoding
//! the project state.

use crate::dataset::{ClassInfo, Dataset, Example, PALETTE};
use crate::model::{train, ModelKind, Prediction, TrainConfig};
use crate::snippet::Snippet;
use crate::state::{self, ProjectState};
use crate::synthetic::{self, SynthSpec};
use std::time::Instant;
use timbrel_core::synth::Membrane;

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
        let x: Vec<f32> = h.descriptors[0]
            .iter()
            .map(|&v| v + 0.01 * v.abs().max(0.1) * (rng.f32() - 0.5))
            .collect();
        // A hat descriptor as every recorded training hit has (jittered from the same hit: a
        // stand-in of the right size, which only the hat segments read).
        let hat: Vec<f32> = h.descriptors[0]
            .iter()
            .map(|&v| v + 0.02 * v.abs().max(0.1) * (rng.f32() - 0.5))
            .collect();
        d.add_example(Example::new(&x, class, h.level_dbfs, i as f64).with_hat(Some(&hat)))
            .expect("valid");
    }
    d
}

/// [`dataset_of_size`] with `ignored` more hits in a third class marked ignore: seeded toms,
/// kicks, cymbals and noise bursts, jittered the same way (the rest of a kit).
pub fn dataset_with_ignore(examples: usize, ignored: usize, seed: u64) -> Dataset {
    let mut d = dataset_of_size(examples, seed);
    let kit = d.add_class("kit", PALETTE[2]).expect("room for a class");
    d.set_ignore(kit, true).expect("not in the pair");
    let spec = SynthSpec::default();
    let sounds = [
        synthetic::Sound::Tom,
        synthetic::Sound::Kick,
        synthetic::Sound::Cymbal,
        synthetic::Sound::Noise,
    ];
    let hits: Vec<synthetic::SynthHit> = (0..20u64)
        .filter_map(|k| {
            synthetic::synth_hit(sounds[k as usize % 4], &spec, &[256], seed + 1000 + k)
        })
        .collect();
    let mut rng = fastrand::Rng::with_seed(seed + 2);
    for i in 0..ignored {
        let h = &hits[i % hits.len()];
        let x: Vec<f32> = h.descriptors[0]
            .iter()
            .map(|&v| v + 0.01 * v.abs().max(0.1) * (rng.f32() - 0.5))
            .collect();
        d.add_example(Example::new(&x, kit, h.level_dbfs, (examples + i) as f64))
            .expect("valid");
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
    for kind in [
        ModelKind::Knn,
        ModelKind::Lda,
        ModelKind::Mlp,
        ModelKind::Auto,
    ] {
        let cfg = TrainConfig {
            kind,
            ..TrainConfig::default()
        };
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

/// Length of the snippets of [`state_of_size`], in seconds (as the plugin records them).
pub const STATE_SNIPPET_S: f32 = 0.1;

/// A project state of `classes` × `per_class` hits, each with its own [`STATE_SNIPPET_S`]
/// snippet recorded at `rate_hz` (a synthetic snare, tom or kick hit from its onset, over white
/// background noise at −70..−55 dBFS RMS, seeded per example), descriptors jittered from
/// analysed snare hits as in [`dataset_of_size`] (a hat descriptor each, as the plugin records
/// training hits), and a kNN model (the largest kind: it keeps every training hit's
/// projection).
pub fn state_of_size(classes: usize, per_class: usize, rate_hz: f32, seed: u64) -> ProjectState {
    let spec = SynthSpec::default();
    let (bases, _) = synthetic::snare_hits(classes.max(2), (0.0, 0.95), &spec, &[256], seed);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut d = Dataset {
        classes: (0..classes)
            .map(|c| ClassInfo::new(format!("class {c}"), PALETTE[c % PALETTE.len()]))
            .collect(),
        examples: Vec::new(),
        pair: (0, 1),
    };
    for i in 0..classes * per_class {
        let class = i % classes;
        let base = &bases[class].descriptors[0];
        let x: Vec<f32> = base
            .iter()
            .map(|&v| v + 0.05 * v.abs().max(0.1) * (rng.f32() - 0.5))
            .collect();
        let mut drum = match class % 3 {
            0 => Membrane::snare(),
            1 => Membrane::tom(),
            _ => Membrane::kick(),
        };
        drum.length_s = STATE_SNIPPET_S;
        let mut audio = drum.hit(rng.f32() * 0.9, 0.2 + 0.8 * rng.f32(), rate_hz, rng.u64(..));
        // Uniform noise of RMS `noise`: amplitude √3 · RMS.
        let noise = 10f32.powf((-70.0 + 15.0 * rng.f32()) / 20.0) * 3f32.sqrt();
        for v in &mut audio {
            *v += noise * (2.0 * rng.f32() - 1.0);
        }
        // A hat descriptor as every recorded training hit has (a jittered stand-in).
        let hat: Vec<f32> = base
            .iter()
            .map(|&v| v + 0.05 * v.abs().max(0.1) * (rng.f32() - 0.5))
            .collect();
        let mut e =
            Example::new(&x, class, bases[class].level_dbfs, i as f64 * 0.25).with_hat(Some(&hat));
        e.snippet = Snippet::encode(&audio, rate_hz);
        d.examples.push(e);
    }
    let model = train(
        &d,
        &TrainConfig {
            kind: ModelKind::Knn,
            ..TrainConfig::default()
        },
    )
    .expect("trains");
    ProjectState {
        dataset: d,
        model: Some(model),
    }
}

/// Size and speed of the project state codec.
#[derive(Debug, Clone, PartialEq)]
pub struct StateBenchReport {
    /// Classes in the dataset.
    pub classes: usize,
    /// Examples in the dataset.
    pub examples: usize,
    /// Rate the snippets were recorded at, in Hz.
    pub snippet_rate_hz: f32,
    /// The encoded state's length, in bytes.
    pub encoded_bytes: usize,
    /// [`state::encode`], in milliseconds (median of runs).
    pub encode_ms: f64,
    /// [`state::decode_str`] with every check, in milliseconds (median of runs).
    pub decode_ms: f64,
}

/// Encodes and decodes a [`state_of_size`] state `runs` times (median); panics if the round
/// trip changes it.
pub fn state_bench(
    classes: usize,
    per_class: usize,
    rate_hz: f32,
    runs: usize,
) -> StateBenchReport {
    let s = state_of_size(classes, per_class, rate_hz, 42);
    let (mut enc, mut dec) = (Vec::new(), Vec::new());
    let mut text = String::new();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        text = state::encode(std::hint::black_box(&s)).expect("valid state");
        enc.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let back = state::decode_str(std::hint::black_box(&text)).expect("decodes");
        dec.push(t.elapsed().as_secs_f64() * 1e3);
        assert!(back == s, "the state changed in a round trip");
    }
    StateBenchReport {
        classes,
        examples: s.dataset.examples.len(),
        snippet_rate_hz: rate_hz,
        encoded_bytes: text.len(),
        encode_ms: median(enc),
        decode_ms: median(dec),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_bench_round_trips() {
        let r = state_bench(3, 4, 48_000.0, 1);
        assert_eq!((r.classes, r.examples), (3, 12));
        assert!(
            r.encoded_bytes > 12 * 1600 && r.encoded_bytes < 200_000,
            "{r:?}"
        );
    }
}
