//! Criterion benchmarks: descriptor extraction and the whole streaming pipeline at 48 kHz.
//!
//! `cargo bench -p timbrel-core`. Throughput is reported per element: descriptors (hits) for
//! extraction, samples for the pipeline (real-time factor = samples/s / 48000).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use timbrel_core::analysis::descriptor::{Extractor, DESCRIPTOR_LEN};
use timbrel_core::analysis::{AnalysisSettings, Analyzer, DetectorKind};
use timbrel_core::synth::{Membrane, Performance, PerformanceSpec};

fn descriptors(c: &mut Criterion) {
    let mut g = c.benchmark_group("descriptor");
    g.throughput(Throughput::Elements(1));
    for (sr, window) in [(44_100.0f32, 256u32), (48_000.0, 256), (48_000.0, 1024)] {
        let hit = Membrane::snare().hit(0.4, 0.8, sr, 1);
        let mut ex = Extractor::new(sr, window).unwrap();
        let mut out = [0.0f32; DESCRIPTOR_LEN];
        g.bench_function(format!("{window}@{sr}"), |b| {
            b.iter(|| {
                ex.extract(black_box(&hit), &mut out).unwrap();
                black_box(&out);
            })
        });
    }
    g.finish();
}

fn pipeline(c: &mut Criterion) {
    let sr = 48_000.0;
    let spec = PerformanceSpec {
        duration_s: 5.0,
        ..Default::default()
    };
    let audio = Performance::generate(spec, 7).render(sr);
    let mut g = c.benchmark_group("pipeline_48k");
    g.throughput(Throughput::Elements(audio.len() as u64));
    g.sample_size(20);
    for kind in [DetectorKind::Envelope, DetectorKind::Flux] {
        let mut s = AnalysisSettings::default();
        s.detector.kind = kind;
        let mut an = Analyzer::new(sr, s);
        g.bench_function(format!("{kind:?}"), |b| {
            b.iter(|| {
                an.reset();
                for block in audio.chunks(512) {
                    an.process(black_box(block), |e| {
                        black_box(e);
                    });
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, descriptors, pipeline);
criterion_main!(benches);
