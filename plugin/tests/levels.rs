//! "Learn levels" in the plugin, driven through its parameter as a host would automate it, with
//! every `process()` call under `assert_no_alloc`: a take recorded 26 dB too quiet loses hits to
//! the default gate; after learning, every hit is found, the learned values are in use without
//! the editor, survive a save and restore, and a control moved by hand wins.

mod common;

use common::TestHost;
use nice_plug::prelude::*;
use timbrel::levels::Status;
use timbrel_core::synth::{Performance, PerformanceSpec};

const SR: f32 = 48_000.0;

/// A seeded performance (snare with flams, kick and tom bleed), scaled by `gain_db`: the snare
/// hits' onsets and the audio.
fn take(seconds: f32, seed: u64, gain_db: f32) -> (Vec<u64>, Vec<f32>) {
    let perf = Performance::generate(
        PerformanceSpec {
            duration_s: seconds,
            ..PerformanceSpec::default()
        },
        seed,
    );
    let gain = 10f32.powf(gain_db / 20.0);
    let audio = perf.render(SR).into_iter().map(|x| x * gain).collect();
    (
        perf.main_hits().map(|h| h.onset_sample(SR)).collect(),
        audio,
    )
}

/// How many of the snare hits at `onsets` got a note (at onset + window, within 1 ms).
fn found(host: &mut TestHost, onsets: &[u64], audio: Vec<f32>) -> usize {
    let window = (256.0 * SR / 44_100.0).round() as i64;
    let tolerance = (0.001 * SR) as i64;
    let start = host.control_position() as i64;
    let ons: Vec<i64> = host
        .run(&mut [audio], &[480])
        .iter()
        .filter(|e| e.on)
        .map(|e| e.sample as i64)
        .collect();
    onsets
        .iter()
        .filter(|&&o| {
            ons.iter()
                .any(|&n| (n - start - o as i64 - window).abs() <= tolerance)
        })
        .count()
}

#[test]
fn learned_levels_rescue_a_quiet_recording_and_a_moved_control_wins() {
    let (onsets, quiet) = take(12.0, 5, -26.0);
    let hits = onsets.len();
    let mut host = TestHost::new(SR, 1, 512);
    let before = found(&mut host, &onsets, quiet.clone());
    assert!(
        before < hits * 9 / 10,
        "the default gate already finds {before} of {hits}"
    );

    // Learn on a different take of the same kind, as a host automating the parameter would.
    let (_, lesson) = take(10.0, 6, -26.0);
    host.set_param_normalized("learn", 1.0);
    host.run(&mut [lesson], &[480]);
    let levels = &host.plugin.timbrel_params().learned_levels;
    assert_eq!(levels.status(), Status::Learned);
    let learned = levels.snapshot().expect("a result").levels;
    assert!(learned.floor_dbfs < -50.0, "{learned:?}");
    let in_use = host.plugin.timbrel_params().analysis_settings().detector;
    assert_eq!(in_use.floor_dbfs, learned.floor_dbfs);

    let after = found(&mut host, &onsets, quiet.clone());
    assert!(
        after >= hits - 1,
        "{after} of {hits} hits found, {before} before"
    );

    // Saved with the project and in use again after a restore.
    let fields = host.plugin.params().serialize_fields();
    let restored = timbrel::Timbrel::default();
    restored.params().deserialize_fields(&fields);
    let mut restored = TestHost::with_plugin(restored, SR, 1, 512);
    assert_eq!(found(&mut restored, &onsets, quiet.clone()), after);

    // The user sets a gate by hand: their value is used.
    host.set_param_plain("floor", -38.0);
    assert_eq!(
        host.plugin
            .timbrel_params()
            .analysis_settings()
            .detector
            .floor_dbfs,
        -38.0
    );
    assert!(found(&mut host, &onsets, quiet) <= before);
}
