//! Fixed workloads for profilers (callgrind, perf): `cargo run --release -p timbrel-core
//! --example profile -- <extract|pipeline|bench> [n]`.
//!
//! `extract n`: n descriptors of the default window at 44.1 kHz. `pipeline n`: n passes of the
//! streaming analyzer (envelope detector) over 2 s of the 48 kHz benchmark performance.
//! `bench s`: `timbrel_core::bench::run(s)`, printed.

use std::hint::black_box;
use timbrel_core::analysis::descriptor::{Extractor, DESCRIPTOR_LEN};
use timbrel_core::analysis::{AnalysisSettings, Analyzer, DetectorKind};
use timbrel_core::synth::{Membrane, Performance, PerformanceSpec};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let what = args.get(1).map(String::as_str).unwrap_or("extract");
    let n: f64 = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(1000.0);
    match what {
        "extract" => {
            let hit = Membrane::snare().hit(0.4, 0.8, 48_000.0, 1);
            let mut ex = Extractor::new(44_100.0, 256).unwrap();
            let mut out = [0.0f32; DESCRIPTOR_LEN];
            for _ in 0..n as usize {
                ex.extract(black_box(&hit), &mut out).unwrap();
                black_box(&out);
            }
        }
        "pipeline" | "flux" => {
            let spec = PerformanceSpec {
                duration_s: 2.0,
                ..Default::default()
            };
            let audio = Performance::generate(spec, 7).render(48_000.0);
            let mut s = AnalysisSettings::default();
            if what == "flux" {
                s.detector.kind = DetectorKind::Flux;
            }
            let mut an = Analyzer::new(48_000.0, s);
            let mut hits = 0;
            for _ in 0..n as usize {
                an.reset();
                for block in audio.chunks(512) {
                    an.process(black_box(block), |e| {
                        if let timbrel_core::analysis::AnalyzerEvent::Hit(h) = e {
                            black_box(h);
                            hits += 1;
                        }
                    });
                }
            }
            println!("{hits} hits");
        }
        "dump" => {
            // Descriptors of a few hits at three rates, one per line (to compare versions).
            for sr in [44_100.0f32, 48_000.0, 96_000.0] {
                for (i, w) in [(0u64, 256u32), (1, 256), (2, 64), (3, 1024), (4, 4096)] {
                    let hit = Membrane::snare().hit(0.1 + 0.2 * i as f32, 0.5, sr, i);
                    let mut ex = Extractor::new(sr, w).unwrap();
                    let mut out = [0.0f32; DESCRIPTOR_LEN];
                    ex.extract(&hit, &mut out).unwrap();
                    let v: Vec<String> = out.iter().map(|x| x.to_string()).collect();
                    println!("{}", v.join(" "));
                }
            }
        }
        _ => println!("{:#?}", timbrel_core::bench::run(n)),
    }
}
