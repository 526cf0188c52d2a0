//! In-process tests of the plugin: pass-through, sanitising, MIDI notes per hit, block-size
//! invariance, all with every `process()` call under `assert_no_alloc`.

mod common;

use common::TestHost;
use timbrel_core::synth::{Performance, PerformanceSpec};

/// Block sizes a host might use, including 1 and odd sizes.
const BLOCK_PATTERNS: [&[usize]; 5] =
    [&[1], &[7, 333, 64], &[512], &[1024], &[31, 1, 500, 1024, 2]];

/// A seeded, plain white-noise signal in [-0.5, 0.5).
fn noise(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..len).map(|_| rng.f32() - 0.5).collect()
}

fn performance(sample_rate: f32, seconds: f32, seed: u64) -> (Performance, Vec<f32>) {
    let spec = PerformanceSpec {
        duration_s: seconds,
        ..PerformanceSpec::default()
    };
    let perf = Performance::generate(spec, seed);
    let audio = perf.render(sample_rate);
    (perf, audio)
}

#[test]
fn stereo_and_mono_pass_through_bit_exactly_at_any_block_size() {
    for channels in [1, 2] {
        for blocks in BLOCK_PATTERNS {
            let input: Vec<Vec<f32>> = (0..channels).map(|c| noise(20_000, c as u64 + 1)).collect();
            let mut audio = input.clone();
            let mut host = TestHost::new(48_000.0, channels, 1024);
            host.run(&mut audio, blocks);
            for (a, b) in audio.iter().zip(&input) {
                assert!(
                    a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()),
                    "{channels} ch, blocks {blocks:?}"
                );
            }
        }
    }
}

#[test]
fn nan_inf_and_subnormal_input_never_reaches_the_output() {
    let mut audio = vec![noise(4096, 7), noise(4096, 8)];
    let bad = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1.0e-40,
        -1.0e-39,
        f32::MIN_POSITIVE / 2.0,
    ];
    for (i, x) in audio[0].iter_mut().enumerate().step_by(13) {
        *x = bad[i % bad.len()];
    }
    audio[1][100] = f32::NAN;
    let mut host = TestHost::new(44_100.0, 2, 512);
    host.run(&mut audio, &[512]);
    for channel in &audio {
        assert!(channel
            .iter()
            .all(|x| x.is_finite() && (*x == 0.0 || x.is_normal())));
    }
    // The plugin keeps working afterwards.
    let (_, clean) = performance(44_100.0, 2.0, 3);
    let mut audio = vec![clean.clone(), clean];
    let events = host.run(&mut audio, &[512]);
    assert!(events.iter().any(|e| e.on), "no hits after bad input");
}

#[test]
fn every_hit_sends_a_note_at_the_sample_its_result_is_ready() {
    let sample_rate = 48_000.0;
    let (perf, audio) = performance(sample_rate, 6.0, 11);
    let mut host = TestHost::new(sample_rate, 1, 1024);
    let events = host.run(&mut [audio], &[512]);
    let ons: Vec<_> = events.iter().filter(|e| e.on).collect();
    let truth: Vec<u64> = perf
        .main_hits()
        .map(|h| h.onset_sample(sample_rate))
        .collect();
    assert_eq!(ons.len(), truth.len(), "one note per hit");
    // Default window: 256 samples at 44.1 kHz, scaled to the rate.
    let window = (256.0 * sample_rate / 44_100.0).round() as i64;
    // The analyzer's onset is within a millisecond of the truth (its own tests are stricter).
    let tolerance = (0.001 * sample_rate) as i64;
    for (on, onset) in ons.iter().zip(&truth) {
        let delay = on.sample as i64 - *onset as i64;
        assert!(
            (delay - window).abs() <= tolerance,
            "note {delay} samples after onset, window {window}"
        );
        assert_eq!((on.key, on.channel), (38, 0));
        assert!(on.velocity > 0.0 && on.velocity <= 1.0);
    }
    // Every note-on gets its note-off, 50 ms later, and notes never overlap.
    let offs: Vec<_> = events.iter().filter(|e| !e.on).collect();
    assert!(offs.len() >= ons.len() - 1);
    let mut sounding = false;
    for e in &events {
        assert_ne!(
            sounding, e.on,
            "overlapping or orphan note event at {}",
            e.sample
        );
        sounding = e.on;
    }
}

#[test]
fn notes_do_not_depend_on_the_block_size() {
    let (_, audio) = performance(44_100.0, 4.0, 5);
    let mut reference = None;
    for blocks in BLOCK_PATTERNS {
        let mut host = TestHost::new(44_100.0, 2, 1024);
        let events = host.run(&mut [audio.clone(), audio.clone()], blocks);
        assert!(!events.is_empty());
        match &reference {
            None => reference = Some(events),
            Some(r) => assert_eq!(r, &events, "blocks {blocks:?}"),
        }
    }
}

#[test]
fn demo_input_replaces_the_input_with_a_drum_performance() {
    let sample_rate = 48_000.0;
    let mut host = TestHost::new(sample_rate, 2, 512);
    host.set_param_normalized("demo", 1.0);
    // Silence in, one pass of the demo out: every hit of its ground truth gives one note.
    let demo_len = timbrel::demo::DemoPlayer::new(44_100.0).len();
    let len = (demo_len as f64 * sample_rate as f64 / 44_100.0) as usize;
    let mut audio = vec![vec![0.0; len], vec![0.0; len]];
    let events = host.run(&mut audio, &[512]);
    let truth = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../assets/demo-performance.csv"
    ))
    .unwrap();
    let hits = truth.lines().skip(1).filter(|l| !l.is_empty()).count();
    assert_eq!(events.iter().filter(|e| e.on).count(), hits);
    assert_eq!(audio[0], audio[1]);
    assert!(audio[0].iter().any(|x| x.abs() > 0.1));
}
