//! Block-size invariance (bit-identical), streaming = offline extraction, and sample-rate
//! invariance of onsets and the level-normalised timbre block.

mod common;

use timbrel_core::analysis::descriptor::{timbre_indices, Extractor, DESCRIPTOR_LEN, NAMES};
use timbrel_core::analysis::{AnalysisSettings, DetectorKind, HitRecord};
use timbrel_core::synth::{Performance, PerformanceSpec};

fn same_hits(a: &[HitRecord], b: &[HitRecord]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.onset_sample == y.onset_sample
                && x.ready_sample == y.ready_sample
                && x.peak_dbfs.to_bits() == y.peak_dbfs.to_bits()
                && x.rms_dbfs.to_bits() == y.rms_dbfs.to_bits()
                && x.descriptor
                    .iter()
                    .zip(&y.descriptor)
                    .all(|(p, q)| p.to_bits() == q.to_bits())
        })
}

#[test]
fn any_block_size_gives_bit_identical_hits() {
    let sr = 48_000.0;
    let spec = PerformanceSpec {
        duration_s: 4.0,
        flam_probability: 0.4,
        ..Default::default()
    };
    let audio = Performance::generate(spec, 21).render(sr);
    for kind in [DetectorKind::Envelope, DetectorKind::Flux] {
        for window in [256u32, 4096] {
            let mut settings = AnalysisSettings {
                window_ref_samples: window,
                ..Default::default()
            };
            settings.detector.kind = kind;
            let reference = common::run(sr, settings, &audio, 1);
            assert!(reference.hits.len() > 10);
            let ref_onsets: Vec<u64> = reference.onsets.iter().map(|o| o.0).collect();
            for block in [32usize, 512, 4096] {
                let run = common::run(sr, settings, &audio, block);
                let onsets: Vec<u64> = run.onsets.iter().map(|o| o.0).collect();
                assert_eq!(onsets, ref_onsets, "{kind:?} window {window} block {block}");
                assert!(
                    same_hits(&run.hits, &reference.hits),
                    "{kind:?} window {window} block {block}"
                );
            }
        }
    }
}

#[test]
fn streaming_descriptors_equal_offline_extraction() {
    let sr = 44_100.0;
    let spec = PerformanceSpec {
        duration_s: 3.0,
        ..Default::default()
    };
    let audio = Performance::generate(spec, 5).render(sr);
    for window in [64u32, 256, 2048] {
        let settings = AnalysisSettings {
            window_ref_samples: window,
            ..Default::default()
        };
        let run = common::run(sr, settings, &audio, 300);
        let mut ex = Extractor::new(sr, window).unwrap();
        let mut out = [0.0; DESCRIPTOR_LEN];
        assert!(!run.hits.is_empty());
        for h in &run.hits {
            let (peak, rms) = ex
                .extract(&audio[h.onset_sample as usize..], &mut out)
                .unwrap();
            assert_eq!(peak.to_bits(), h.peak_dbfs.to_bits());
            assert_eq!(rms.to_bits(), h.rms_dbfs.to_bits());
            assert!(out
                .iter()
                .zip(&h.descriptor)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }
}

#[test]
fn hat_descriptors_are_the_windows_with_the_burst_for_every_block_size() {
    use timbrel_core::analysis::hat::{max_len, HatMix};
    let sr = 44_100.0;
    let spec = PerformanceSpec {
        duration_s: 3.0,
        ..Default::default()
    };
    let audio = Performance::generate(spec, 9).render(sr);
    for window in [128u32, 256, 1024] {
        let settings = AnalysisSettings {
            window_ref_samples: window,
            ..Default::default()
        };
        let run = |block: usize| common::run_with_hat(sr, settings, &audio, block, Some(12.0)).hits;
        let reference = run(1);
        assert!(reference.len() > 5);
        let mut burst = HatMix::new(sr, max_len(sr, 4096), 12.0);
        let mut ex = Extractor::new(sr, window).unwrap();
        let len = settings.window_len_samples(sr);
        for h in &reference {
            let start = h.onset_sample as usize;
            let mixed = burst.mix(&audio[start..start + len], &[]).to_vec();
            let mut want = [0.0; DESCRIPTOR_LEN];
            ex.extract(&mixed, &mut want).unwrap();
            let got = h.hat_descriptor.expect("asked for");
            assert!(got
                .iter()
                .zip(&want)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
            // The burst brightens the hit: its log-frequency centroid rises.
            let centroid = timbre_indices().start + 80;
            assert_eq!(NAMES[centroid], "timbre.whole.log_centroid_oct");
            assert!(got[centroid] > h.descriptor[centroid], "window {window}");
        }
        for block in [64usize, 512, 4096] {
            let hits = run(block);
            assert!(
                same_hits(&hits, &reference),
                "window {window} block {block}"
            );
            assert!(hits.iter().zip(&reference).all(|(a, b)| {
                let (a, b) = (a.hat_descriptor.unwrap(), b.hat_descriptor.unwrap());
                a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits())
            }));
        }
        // Off by default.
        let plain = common::run(sr, settings, &audio, 512);
        assert!(plain.hits.iter().all(|h| h.hat_descriptor.is_none()));
        assert!(same_hits(&plain.hits, &reference));
    }
}

/// Cosine similarity of two vectors.
fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

/// Tolerances for sample-rate invariance (stated targets): onsets of every main hit within one
/// sample of the 44.1 kHz result (compared in seconds, at the finer rate) for at least
/// `MIN_ONSET_SHARE` of hits; the level-normalised timbre block of matched hits has median
/// cosine similarity >= `MIN_MEDIAN_COSINE` and relative distance |a - b| / |a| <= `MAX_REL_DIST`
/// at the median.
const MIN_ONSET_SHARE: f64 = 0.95;
const MIN_MEDIAN_COSINE: f64 = 0.99;
const MAX_REL_DIST: f64 = 0.15;

#[test]
fn sample_rates_give_same_onsets_and_timbre() {
    let spec = PerformanceSpec {
        duration_s: 6.0,
        ..Default::default()
    };
    let perf = Performance::generate(spec, 31);
    let base_sr = 44_100.0f32;
    let settings = AnalysisSettings::default();
    let base = common::run(base_sr, settings, &perf.render(base_sr), 512);
    for sr in [48_000.0f32, 88_200.0, 96_000.0, 192_000.0] {
        let run = common::run(sr, settings, &perf.render(sr), 512);
        let mut within = 0usize;
        let mut matched = 0usize;
        let mut cosines = Vec::new();
        let mut dists = Vec::new();
        for h in perf.main_hits() {
            let t_base = h.onset_sample(base_sr);
            let t = h.onset_sample(sr);
            let find = |hits: &[HitRecord], t: u64, rate: f32| {
                hits.iter()
                    .find(|x| (x.onset_sample as i64 - t as i64).abs() as f32 <= 0.01 * rate)
                    .copied()
            };
            let (Some(a), Some(b)) = (find(&base.hits, t_base, base_sr), find(&run.hits, t, sr))
            else {
                continue;
            };
            matched += 1;
            let ta = a.onset_sample as f64 / base_sr as f64;
            let tb = b.onset_sample as f64 / sr as f64;
            let _ = (ta, tb);
            // Onset quantisation differs between rates (the synthesizer starts each hit at
            // round(t * rate)), so compare each rate with its own ground truth.
            if (a.onset_sample as i64 - t_base as i64).abs() <= 1
                && (b.onset_sample as i64 - t as i64).abs() <= 1
            {
                within += 1;
            } else if std::env::var_os("TIMBREL_DEBUG").is_some() {
                eprintln!("  onset differs by {:.1} samples at {sr}: base err {} samples, this err {} (v {:.2} r {:.2})",
                    (tb - ta) * sr as f64, a.onset_sample as i64 - t_base as i64, b.onset_sample as i64 - t as i64, h.velocity, h.radius);
            }
            let (va, vb) = (
                &a.descriptor[timbre_indices()],
                &b.descriptor[timbre_indices()],
            );
            cosines.push(cosine(va, vb));
            let diff: f64 = va
                .iter()
                .zip(vb)
                .map(|(x, y)| ((x - y) as f64).powi(2))
                .sum::<f64>()
                .sqrt();
            let norm: f64 = va.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            dists.push(diff / norm);
            if std::env::var_os("TIMBREL_DEBUG").is_some() && sr == 96_000.0 {
                let mut d: Vec<(f32, usize)> = va
                    .iter()
                    .zip(vb)
                    .enumerate()
                    .map(|(i, (x, y))| ((x - y).abs(), i))
                    .collect();
                d.sort_by(|p, q| q.0.total_cmp(&p.0));
                let names = timbrel_core::analysis::descriptor::NAMES;
                let top: Vec<String> = d[..6]
                    .iter()
                    .map(|(v, i)| {
                        format!(
                            "{}={:.1}({:.1})",
                            names[timbre_indices().start + i],
                            v,
                            va[*i]
                        )
                    })
                    .collect();
                eprintln!("   {top:?}");
            }
        }
        cosines.sort_by(f64::total_cmp);
        dists.sort_by(f64::total_cmp);
        let n = perf.main_hits().count();
        eprintln!(
            "{sr} Hz vs 44.1 kHz: {matched}/{n} hits matched, {within} onsets within 1 sample; timbre cosine median {:.4} min {:.4}; rel. distance median {:.4} max {:.4}",
            cosines[cosines.len() / 2],
            cosines[0],
            dists[dists.len() / 2],
            dists[dists.len() - 1]
        );
        assert!(matched as f64 >= 0.98 * n as f64);
        assert!(
            within as f64 >= MIN_ONSET_SHARE * matched as f64,
            "{within}/{matched}"
        );
        assert!(cosines[cosines.len() / 2] >= MIN_MEDIAN_COSINE);
        assert!(dists[dists.len() / 2] <= MAX_REL_DIST);
    }
}
