//! Start-up, one-shots, bad input, settings changes and the hit-window pool.

mod common;

use timbrel_core::analysis::{AnalysisSettings, Analyzer, DetectorKind, POOL_SIZE};
use timbrel_core::synth::{sources, Membrane, Performance, PerformanceSpec};

fn both() -> [AnalysisSettings; 2] {
    let mut flux = AnalysisSettings::default();
    flux.detector.kind = DetectorKind::Flux;
    [AnalysisSettings::default(), flux]
}

#[test]
fn one_shot_at_sample_zero_gives_exactly_one_hit() {
    for settings in both() {
        for sr in [44_100.0, 96_000.0] {
            for v in [0.2, 1.0] {
                let hit = Membrane::snare().hit(0.3, v, sr, 5);
                let run = common::run(sr, settings, &hit, 64);
                assert_eq!(run.hits.len(), 1, "{:?} {sr} {v}", settings.detector.kind);
                assert_eq!(run.onsets.len(), 1);
                assert!(
                    run.hits[0].onset_sample <= 1,
                    "{}",
                    run.hits[0].onset_sample
                );
            }
        }
    }
}

#[test]
fn one_shot_after_low_noise_gives_exactly_one_hit() {
    for settings in both() {
        let sr = 48_000.0;
        let lead = (0.005 * sr) as usize;
        let mut audio = sources::noise_burst(0.5, 10f32.powf(-60.0 / 20.0), sr, 3);
        let hit = Membrane::snare().hit(0.6, 0.5, sr, 6);
        sources::mix_into(&mut audio, &hit, lead, 1.0);
        let run = common::run(sr, settings, &audio, 128);
        assert_eq!(run.hits.len(), 1, "{:?}", settings.detector.kind);
        let err = run.hits[0].onset_sample as i64 - lead as i64;
        assert!(err.abs() <= 2, "onset error {err} samples");
    }
}

#[test]
fn silence_and_bad_input_give_no_hits_and_finite_meters() {
    for settings in both() {
        let sr = 44_100.0;
        let inputs: [Vec<f32>; 5] = [
            vec![0.0; 20_000],
            vec![f32::NAN; 20_000],
            (0..20_000)
                .map(|i| {
                    if i % 2 == 0 {
                        f32::INFINITY
                    } else {
                        f32::NEG_INFINITY
                    }
                })
                .collect(),
            vec![1e-40; 20_000],
            (0..20_000)
                .map(|i| if i % 3 == 0 { f32::NAN } else { 1e-39 })
                .collect(),
        ];
        for input in inputs {
            let mut an = Analyzer::new(sr, settings);
            let mut n = 0;
            for b in input.chunks(100) {
                an.process(b, |_| n += 1);
                let m = an.detection_meter();
                assert!(m.value.is_finite() && m.threshold.is_finite());
                assert!(m.mask.is_none_or(f32::is_finite));
            }
            assert_eq!(n, 0, "{:?}", settings.detector.kind);
        }
    }
}

#[test]
fn nan_bursts_inside_music_do_not_poison_descriptors() {
    let sr = 48_000.0;
    let spec = PerformanceSpec {
        duration_s: 3.0,
        ..Default::default()
    };
    let mut audio = Performance::generate(spec, 4).render(sr);
    for i in (0..audio.len()).step_by(997) {
        audio[i] = f32::NAN;
    }
    for settings in both() {
        let run = common::run(sr, settings, &audio, 256);
        assert!(run.hits.len() > 5);
        for h in &run.hits {
            assert!(h.descriptor.iter().all(|v| v.is_finite()));
            assert!(h.peak_dbfs.is_finite() && h.rms_dbfs.is_finite());
        }
    }
}

#[test]
fn ready_sample_is_onset_plus_window() {
    let sr = 88_200.0;
    let spec = PerformanceSpec {
        duration_s: 4.0,
        ..Default::default()
    };
    let audio = Performance::generate(spec, 8).render(sr);
    for mut settings in both() {
        for w in [64u32, 256, 1000, 4096] {
            settings.window_ref_samples = w;
            let an = Analyzer::new(sr, settings);
            let win = an.window_len_samples() as u64;
            assert_eq!(an.latency_samples() as u64, win);
            let run = common::run(sr, settings, &audio, 512);
            assert!(!run.hits.is_empty());
            assert_eq!(
                run.hits.len(),
                run.onsets.len(),
                "no hit dropped (pool of {POOL_SIZE})"
            );
            // Ready at onset + window, or at the detection if that comes later (a detection
            // delay longer than the window): allowed for at most 5 % of hits.
            let late = run
                .hits
                .iter()
                .filter(|h| h.ready_sample != h.onset_sample + win)
                .count();
            for h in &run.hits {
                assert!(h.ready_sample >= h.onset_sample + win);
            }
            if w >= 256 {
                assert!(late * 20 <= run.hits.len(), "{late} of {}", run.hits.len());
            }
        }
    }
}

#[test]
fn settings_changes_mid_stream_are_safe() {
    let sr = 48_000.0;
    let spec = PerformanceSpec {
        duration_s: 3.0,
        ..Default::default()
    };
    let audio = Performance::generate(spec, 9).render(sr);
    let mut an = Analyzer::new(sr, AnalysisSettings::default());
    let mut hits = 0;
    for (i, b) in audio.chunks(1000).enumerate() {
        let mut s = AnalysisSettings::default();
        s.detector.kind = if i % 3 == 0 {
            DetectorKind::Flux
        } else {
            DetectorKind::Envelope
        };
        s.window_ref_samples = [256, 4096, 10, 9999][i % 4];
        s.detector.highpass_hz = [f32::NAN, 500.0, 1e9][i % 3];
        s.detector.min_interval_ms = -5.0;
        an.set_settings(s);
        an.process(b, |e| {
            if let timbrel_core::analysis::AnalyzerEvent::Hit(h) = e {
                assert!(h.descriptor.iter().all(|v| v.is_finite()));
                hits += 1;
            }
        });
    }
    assert!(hits > 0);
    an.reset();
    assert_eq!(an.position(), 0);
}
