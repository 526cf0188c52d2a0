//! Criterion benchmarks: training on 500 hits (kNN, LDA, MLP) and classifying one hit.

use criterion::{criterion_group, criterion_main, Criterion};
use timbrel_learn::bench::dataset_of_size;
use timbrel_learn::{train, ModelKind, Prediction, TrainConfig};

fn benches(c: &mut Criterion) {
    let data = dataset_of_size(500, 99);
    let mut g = c.benchmark_group("train_500");
    g.sample_size(10);
    for kind in [ModelKind::Knn, ModelKind::Lda, ModelKind::Mlp] {
        let cfg = TrainConfig { kind, ..TrainConfig::default() };
        g.bench_function(format!("{kind:?}"), |b| b.iter(|| train(&data, &cfg).unwrap()));
    }
    g.finish();
    let small = dataset_of_size(100, 7);
    for kind in [ModelKind::Knn, ModelKind::Lda, ModelKind::Mlp] {
        for (name, d) in [("100", &small), ("500", &data)] {
            let model = train(d, &TrainConfig { kind, ..TrainConfig::default() }).unwrap();
            let x = d.examples[3].descriptor.clone();
            let mut p = Prediction::default();
            c.bench_function(&format!("classify_{kind:?}_{name}"), |b| {
                b.iter(|| model.classify(std::hint::black_box(&x), &mut p))
            });
        }
    }
}

criterion_group!(learn, benches);
criterion_main!(learn);
