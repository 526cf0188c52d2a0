//! Criterion benchmarks: training on 500 hits (kNN, LDA, MLP; LDA with 100 of them in an ignore
//! class), classifying one hit, and the
//! project state of 16 classes × 100 hits with 100 ms snippets and a kNN model.

use criterion::{criterion_group, criterion_main, Criterion};
use timbrel_learn::bench::{dataset_of_size, dataset_with_ignore, state_of_size};
use timbrel_learn::snippet::Snippet;
use timbrel_learn::state;
use timbrel_learn::{train, ModelKind, Prediction, TrainConfig};

fn benches(c: &mut Criterion) {
    let data = dataset_of_size(500, 99);
    let mut g = c.benchmark_group("train_500");
    g.sample_size(10);
    for kind in [ModelKind::Knn, ModelKind::Lda, ModelKind::Mlp] {
        let cfg = TrainConfig {
            kind,
            ..TrainConfig::default()
        };
        g.bench_function(format!("{kind:?}"), |b| {
            b.iter(|| train(&data, &cfg).unwrap())
        });
    }
    // 400 hits of the drum and 100 of an ignore class (the rest of the kit).
    let with_ignore = dataset_with_ignore(400, 100, 99);
    let cfg = TrainConfig {
        kind: ModelKind::Lda,
        ..TrainConfig::default()
    };
    g.bench_function("Lda_with_ignore", |b| {
        b.iter(|| train(&with_ignore, &cfg).unwrap())
    });
    g.finish();
    let model = train(&with_ignore, &cfg).unwrap();
    let x = with_ignore.examples[3].descriptor.clone();
    let mut p = Prediction::default();
    c.bench_function("classify_Lda_500_with_ignore", |b| {
        b.iter(|| model.classify(std::hint::black_box(&x), &mut p))
    });
    let small = dataset_of_size(100, 7);
    for kind in [ModelKind::Knn, ModelKind::Lda, ModelKind::Mlp] {
        for (name, d) in [("100", &small), ("500", &data)] {
            let model = train(
                d,
                &TrainConfig {
                    kind,
                    ..TrainConfig::default()
                },
            )
            .unwrap();
            let x = d.examples[3].descriptor.clone();
            let mut p = Prediction::default();
            c.bench_function(&format!("classify_{kind:?}_{name}"), |b| {
                b.iter(|| model.classify(std::hint::black_box(&x), &mut p))
            });
        }
    }
}

fn state_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("state_16x100");
    g.sample_size(20);
    for rate in [48_000.0, 96_000.0] {
        let s = state_of_size(16, 100, rate, 42);
        let text = state::encode(&s).unwrap();
        eprintln!("state_16x100 at {rate} Hz: {} bytes encoded", text.len());
        g.bench_function(format!("encode_{rate}"), |b| {
            b.iter(|| state::encode(std::hint::black_box(&s)).unwrap())
        });
        g.bench_function(format!("decode_{rate}"), |b| {
            b.iter(|| state::decode_str(std::hint::black_box(&text)).unwrap())
        });
    }
    g.finish();
    let hit: Vec<f32> = (0..4800)
        .map(|i| (i as f32 * 0.05).sin() * (-(i as f32) / 1000.0).exp())
        .collect();
    c.bench_function("snippet_encode_100ms_48k", |b| {
        b.iter(|| Snippet::encode(std::hint::black_box(&hit), 48_000.0))
    });
}

criterion_group!(learn, benches, state_benches);
criterion_main!(learn);
