//! Descriptor tests: names match the layout, frame features match a plain reference
//! implementation (naive DFT, dense mel weights, direct DCT), level normalisation holds.

use super::*;
use crate::analysis::mel::{band_edges_hz, triangle, N_MFCC};
use crate::synth::Membrane;

#[test]
fn names_follow_the_layout() {
    assert_eq!(NAMES.len(), DESCRIPTOR_LEN);
    let mut seen = std::collections::HashSet::new();
    for n in NAMES {
        assert!(seen.insert(n), "duplicate name {n}");
    }
    assert_eq!(
        NAMES[frame_index(feat::MFCC, stat::MEAN)],
        "frame.mfcc0.mean"
    );
    assert_eq!(
        NAMES[frame_index(feat::ZCR, stat::DMAX)],
        "frame.zcr_hz.dmax"
    );
    assert_eq!(
        NAMES[frame_index(feat::CENTROID, stat::STD)],
        "frame.centroid_hz.std"
    );
    assert_eq!(NAMES[LEVEL_BLOCK.start], "level.peak_dbfs");
    assert_eq!(NAMES[timbre::MEL_REL], "timbre.mel_rel.00");
    assert_eq!(
        NAMES[timbre::MEL_EML + 39],
        "timbre.mel_early_minus_late.39"
    );
    assert_eq!(NAMES[timbre::SHAPE], "timbre.whole.log_centroid_oct");
    assert_eq!(NAMES[timbre::SHAPE + 16], "timbre.late.log_centroid_oct");
    assert_eq!(NAMES[timbre::DECAY], "timbre.decay_db");
    for i in timbre_indices() {
        assert!(NAMES[i].starts_with("timbre."));
    }
    for &i in level_indices() {
        let n = NAMES[i];
        assert!(
            n.starts_with("level.") || n.contains("mfcc0") || n.contains("dbfs"),
            "{n}"
        );
    }
}

/// Plain reference for one frame: (13 MFCCs, [centroid, spread, flatness dB, rolloff, crest]).
fn reference_frame(x: &[f32], fft_len: usize, sr: f32) -> ([f64; N_MFCC], [f64; 5]) {
    let f = x.len();
    let w: Vec<f64> = (0..f)
        .map(|i| 0.5 - 0.5 * (std::f64::consts::TAU * (i as f64 + 0.5) / f as f64).cos())
        .collect();
    let sumsq: f64 = w.iter().map(|v| v * v).sum();
    let bins = fft_len / 2 + 1;
    let power: Vec<f64> = (0..bins)
        .map(|k| {
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for n in 0..f {
                let a = -std::f64::consts::TAU * (k * n) as f64 / fft_len as f64;
                re += x[n] as f64 * w[n] * a.cos();
                im += x[n] as f64 * w[n] * a.sin();
            }
            let c = if k == 0 || k == bins - 1 { 1.0 } else { 2.0 };
            c * (re * re + im * im) / (fft_len as f64 * sumsq)
        })
        .collect();
    let edges = band_edges_hz(sr);
    let df = sr as f64 / fft_len as f64;
    let mut logmel = [0.0f64; MEL_BANDS];
    for b in 0..MEL_BANDS {
        let mut wts: Vec<f64> = (0..bins)
            .map(|k| triangle(&edges, b, (k as f64 * df) as f32) as f64)
            .collect();
        if wts.iter().sum::<f64>() == 0.0 {
            let pos = edges[b + 1] as f64 / df;
            let k0 = pos.floor() as usize;
            wts[k0] = 1.0 - (pos - k0 as f64);
            wts[k0 + 1] = pos - k0 as f64;
        }
        let sum: f64 = wts.iter().sum();
        let area = 0.5 * (edges[b + 2] - edges[b]) as f64 / df;
        let e: f64 = wts
            .iter()
            .zip(&power)
            .map(|(a, p)| a * area / sum * p)
            .sum();
        logmel[b] = 10.0 * e.max(1e-12).log10();
    }
    let mut mfcc = [0.0f64; N_MFCC];
    for (k, c) in mfcc.iter_mut().enumerate() {
        let s = if k == 0 {
            (1.0 / MEL_BANDS as f64).sqrt()
        } else {
            (2.0 / MEL_BANDS as f64).sqrt()
        };
        *c = s
            * (0..MEL_BANDS)
                .map(|n| {
                    logmel[n]
                        * (std::f64::consts::PI * k as f64 * (n as f64 + 0.5) / MEL_BANDS as f64)
                            .cos()
                })
                .sum::<f64>();
    }
    // Linear shape on magnitudes from 50 Hz to min(16 kHz, 0.95 Nyquist).
    let hi_hz = (shape::SHAPE_HI_HZ as f64).min(0.95 * 0.5 * sr as f64);
    let ks: Vec<usize> = (1..bins)
        .filter(|&k| k as f64 * df >= 50.0 - 1e-9 && k as f64 * df <= hi_hz)
        .collect();
    let m: Vec<f64> = ks.iter().map(|&k| power[k].sqrt()).collect();
    let fr: Vec<f64> = ks.iter().map(|&k| k as f64 * df).collect();
    let s: f64 = m.iter().sum();
    let c = m.iter().zip(&fr).map(|(a, f)| a * f).sum::<f64>() / s;
    let spread = (m
        .iter()
        .zip(&fr)
        .map(|(a, f)| a * (f - c) * (f - c))
        .sum::<f64>()
        / s)
        .sqrt();
    let n = m.len() as f64;
    let geo = (m.iter().map(|a| a.ln()).sum::<f64>() / n).exp();
    let flat = 20.0 * (geo / (s / n)).log10();
    let mut acc = 0.0;
    let mut roll = 0.0;
    for (a, f) in m.iter().zip(&fr) {
        acc += a;
        if acc >= 0.85 * s {
            roll = *f;
            break;
        }
    }
    let max = m.iter().cloned().fold(0.0, f64::max);
    let crest = 20.0 * (max / (s / n)).log10();
    (mfcc, [c, spread, flat, roll, crest])
}

#[test]
fn frames_match_the_reference_implementation() {
    // Tolerances: MFCCs within 0.02 (dB-scaled cepstrum), centroid/spread/rolloff within 0.1 %
    // or one bin for rolloff, flatness and crest within 0.05 dB.
    for sr in [44_100.0f32, 48_000.0, 96_000.0] {
        let hit = Membrane::snare().hit(0.5, 0.8, sr, 9);
        let mut ex = Extractor::new(sr, 256).unwrap();
        let l = ex.layout();
        let mut out = [0.0; DESCRIPTOR_LEN];
        ex.extract(&hit, &mut out).unwrap();
        let frames: Vec<_> = (0..l.n_frames)
            .map(|i| {
                reference_frame(
                    &hit[l.frame_start(i)..l.frame_start(i) + l.frame_len],
                    l.fft_len,
                    sr,
                )
            })
            .collect();
        let n = frames.len() as f64;
        for k in 0..N_MFCC {
            let mean = frames.iter().map(|f| f.0[k]).sum::<f64>() / n;
            let max = frames.iter().map(|f| f.0[k]).fold(f64::MIN, f64::max);
            let got = out[frame_index(feat::MFCC + k, stat::MEAN)] as f64;
            assert!(
                (got - mean).abs() < 0.02,
                "sr {sr} mfcc{k}: {got} vs {mean}"
            );
            let got = out[frame_index(feat::MFCC + k, stat::MAX)] as f64;
            assert!(
                (got - max).abs() < 0.02,
                "sr {sr} mfcc{k} max: {got} vs {max}"
            );
        }
        let df = sr as f64 / l.fft_len as f64;
        for (j, tol) in [(0usize, 1e-3), (1, 1e-3), (2, 0.05), (3, 0.0), (4, 0.05)] {
            let mean = frames.iter().map(|f| f.1[j]).sum::<f64>() / n;
            let got = out[frame_index(feat::CENTROID + j, stat::MEAN)] as f64;
            let ok = match j {
                0 | 1 => (got / mean - 1.0).abs() < tol,
                3 => (got - mean).abs() <= df + 1e-3,
                _ => (got - mean).abs() < tol,
            };
            assert!(ok, "sr {sr} shape {j}: {got} vs {mean}");
        }
    }
}

#[test]
fn timbre_block_is_level_invariant() {
    let sr = 48_000.0;
    let hit = Membrane::snare().hit(0.3, 0.9, sr, 4);
    let soft: Vec<f32> = hit.iter().map(|x| x * 0.125).collect();
    let mut ex = Extractor::new(sr, 512).unwrap();
    let (mut a, mut b) = ([0.0; DESCRIPTOR_LEN], [0.0; DESCRIPTOR_LEN]);
    ex.extract(&hit, &mut a).unwrap();
    ex.extract(&soft, &mut b).unwrap();
    for i in timbre_indices() {
        assert!(
            (a[i] - b[i]).abs() < 1e-3 * (1.0 + a[i].abs()),
            "{} {} {}",
            NAMES[i],
            a[i],
            b[i]
        );
    }
    let shift = 20.0 * 0.125f32.log10();
    for i in [
        LEVEL_BLOCK.start,
        LEVEL_BLOCK.start + 1,
        LEVEL_BLOCK.start + 2,
    ] {
        assert!((b[i] - a[i] - shift).abs() < 0.01, "{}", NAMES[i]);
    }
    for k in 1..N_MFCC {
        let i = frame_index(feat::MFCC + k, stat::MEAN);
        assert!((a[i] - b[i]).abs() < 1e-3, "{}", NAMES[i]);
    }
}

#[test]
fn bad_input_gives_finite_descriptors() {
    let mut ex = Extractor::new(44_100.0, 256).unwrap();
    let mut out = [0.0; DESCRIPTOR_LEN];
    for fill in [0.0f32, f32::NAN, f32::INFINITY, 1e-40, -1e-45] {
        ex.extract(&[fill; 256], &mut out).unwrap();
        assert!(out.iter().all(|v| v.is_finite()), "{fill}");
    }
    assert_eq!(
        ex.extract(&[0.0; 10], &mut out),
        Err(DescriptorError::WindowTooShort {
            needed: 256,
            got: 10
        })
    );
    assert!(matches!(
        Extractor::new(44_100.0, 8),
        Err(DescriptorError::WindowOutOfRange(8))
    ));
}

#[test]
fn tiny_and_huge_windows_work_at_all_rates() {
    for sr in [44_100.0f32, 192_000.0] {
        for w in [64u32, 100, 4096] {
            let mut ex = Extractor::new(sr, w).unwrap();
            let hit = Membrane::snare().hit(0.2, 0.5, sr, 1);
            let mut out = [0.0; DESCRIPTOR_LEN];
            ex.extract(&hit, &mut out).unwrap();
            assert!(out.iter().all(|v| v.is_finite()));
            assert!(ex.layout().frame_len <= ex.window_len());
        }
    }
}
