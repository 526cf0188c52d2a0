//! Latency compensation: with it on, Timbrel reports its analysis window as latency and delays
//! its audio by it, so that a host's delay compensation puts every note on its hit; with it off
//! (the default) nothing is reported and the audio passes straight through.

mod common;

use common::takes::{snares, take, train_center_and_edge, SR};
use common::{SentEvent, TestHost};
use std::time::Duration;
use timbrel::worker::HitSummary;

/// The analysis window at [`SR`] for a window of `ref_samples` at 44.1 kHz, in samples.
fn window_at_sr(ref_samples: u32) -> u32 {
    (ref_samples as f32 * SR / 44_100.0).round() as u32
}

/// Plays a take of centre and edge hits (mono) in `blocks`, and returns the input, the output,
/// the notes sent and the plugin's log of the hits.
fn play(
    host: &mut TestHost,
    blocks: &[usize],
    seed: u64,
) -> (Vec<f32>, Vec<f32>, Vec<SentEvent>, Vec<HitSummary>) {
    host.clear_hit_log();
    let sounds = [
        snares(3, (0.0, 0.1), seed),
        snares(3, (0.85, 0.95), seed + 1),
    ]
    .concat();
    let input = take(&sounds, seed * 10);
    let mut audio = [input.clone()];
    let events = host.run(&mut audio, blocks);
    std::thread::sleep(Duration::from_millis(300));
    host.run(&mut [vec![0.0; 512]], &[512]);
    std::thread::sleep(Duration::from_millis(100));
    let log = host.hit_log();
    assert_eq!(log.len(), sounds.len(), "one hit per stroke");
    let notes = events.into_iter().filter(|e| e.on && !e.cc).collect();
    let [output] = audio;
    (input, output, notes, log)
}

/// Checks that `output` is `input` delayed by `delay` samples (the first `delay` samples hold
/// what came before the take, which was silence or the end of the previous take's ringing).
fn assert_delayed(input: &[f32], output: &[f32], delay: usize, what: &str) {
    assert_eq!(output.len(), input.len());
    assert_eq!(&output[delay..], &input[..input.len() - delay], "{what}");
}

#[test]
fn latency_compensation_reports_the_window_and_puts_the_notes_on_the_hits() {
    let mut host = TestHost::new(SR, 1, 512);
    assert_eq!(host.latency, 0, "off by default: no latency at activation");
    train_center_and_edge(&mut host);
    let window = window_at_sr(256);

    // Off: the audio is untouched and each note leaves one window after its hit.
    let (input, output, notes, log) = play(&mut host, &[512, 37, 300], 3);
    assert_eq!(host.latency, 0);
    assert_delayed(&input, &output, 0, "off: the audio passes straight through");
    assert_eq!(notes.len(), log.len(), "one note per hit");
    for (note, hit) in notes.iter().zip(&log) {
        assert_eq!(note.sample, hit.ready_sample);
    }

    // On: the window is reported, the audio comes out that much later, and every note is that
    // much after its hit's onset, so the host's compensation puts it exactly on the onset.
    host.set_param_normalized("pdc", 1.0);
    let mut outputs = Vec::new();
    for (k, blocks) in [&[512][..], &[1, 64, 511, 7]].into_iter().enumerate() {
        let start = host.control_position();
        let (input, output, notes, log) = play(&mut host, blocks, 3);
        assert_eq!(host.latency, window, "the window is reported");
        if k > 0 {
            // After a take that ended in silence, the line holds silence: exact delay.
            assert_delayed(
                &input,
                &output,
                window as usize,
                "on: delayed by the window",
            );
        }
        assert_eq!(notes.len(), log.len(), "one note per hit");
        for (note, hit) in notes.iter().zip(&log) {
            let onset = (hit.onset_s * SR as f64).round() as u64;
            assert_eq!(
                note.sample - window as u64,
                onset,
                "note at onset + reported latency"
            );
            assert!(note.sample >= start);
        }
        outputs.push(notes.iter().map(|n| n.sample - start).collect::<Vec<_>>());
    }
    assert_eq!(
        outputs[0], outputs[1],
        "note positions do not depend on the block size"
    );

    // A longer window is a longer latency.
    host.set_param_plain("win", 1024.0);
    let (_, _, _, _) = play(&mut host, &[512], 4);
    assert_eq!(host.latency, window_at_sr(1024));

    // Off again: nothing reported, no delay.
    host.set_param_normalized("pdc", 0.0);
    let (input, output, _, _) = play(&mut host, &[512], 5);
    assert_eq!(host.latency, 0);
    assert_delayed(&input, &output, 0, "off again: no delay");
}
