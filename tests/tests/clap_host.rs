//! Timbrel in a real CLAP host (`clack-host`): loads the built `target/bundled/Timbrel.clap`.
//!
//! Gated behind `TIMBREL_HOST_TESTS=1` (set by `tests/run.sh`); with it set, a missing bundle is a
//! failure that names the build command. See `tests/src/lib.rs`.

use timbrel_host_tests::clap::{param_hash, Bundle, Instance, Note, Run, PLUGIN_ID};
use timbrel_host_tests::signal::{drum_track, to_stereo, wide_range_noise, BAD_SAMPLES};
use timbrel_host_tests::{clap_bundle, host_tests_enabled};

/// Block sizes every audio test goes through: single samples, odd sizes, powers of two.
const BLOCK_SIZES: [usize; 6] = [1, 7, 64, 333, 512, 1024];
/// An irregular sequence, as a host with a varying block size would send.
const MIXED_BLOCKS: [usize; 7] = [333, 1, 512, 7, 1024, 64, 100];
/// Sample rates every activation test covers, in Hz.
const SAMPLE_RATES: [f64; 2] = [44_100.0, 96_000.0];

/// Allowed distance between a note-on and the sample where its hit's descriptor is ready
/// (synthetic onset + analysis window), in samples. Measured exact at every rate and block size
/// (it was ±2 before that was known).
const NOTE_TOLERANCE: i64 = 0;
/// The default analysis window, in samples at 44.1 kHz.
const DEFAULT_WINDOW_REF: f64 = 256.0;
/// The default note length, in milliseconds.
const DEFAULT_NOTE_LEN_MS: f64 = 50.0;
/// The default hit note.
const DEFAULT_HIT_NOTE: i16 = 38;

/// Every stable parameter id of the contract.
const PARAM_IDS: [&str; 9] = [
    "det", "thr", "floor", "hp", "lock", "win", "hitnote", "midich", "notelen",
];

macro_rules! gate {
    ($name:expr) => {
        if !host_tests_enabled($name) {
            return;
        }
    };
}

fn bundle() -> Bundle {
    Bundle::load(&clap_bundle())
}

fn instance() -> Instance {
    bundle().instantiate(PLUGIN_ID)
}

/// The analysis window at `sample_rate`, in samples: the reference length scaled and rounded.
fn window_samples(sample_rate: f64) -> u64 {
    (DEFAULT_WINDOW_REF * sample_rate / 44_100.0).round() as u64
}

/// Four well separated hits (0.3 s apart, peak -6 dBFS) in 1.5 s of otherwise silent audio.
fn hits_track(sample_rate: f64) -> (Vec<f32>, Vec<u64>) {
    drum_track(sample_rate as f32, 4, 0.2, 0.3, 1.5)
}

fn assert_bit_exact(input: &[Vec<f32>], run: &Run, what: &str) {
    assert_eq!(run.output.len(), input.len(), "{what}: channel count");
    for (c, (i, o)) in input.iter().zip(&run.output).enumerate() {
        assert_eq!(i.len(), o.len(), "{what}: length of channel {c}");
        if let Some(k) = i
            .iter()
            .zip(o)
            .position(|(a, b)| a.to_bits() != b.to_bits())
        {
            panic!("{what}: channel {c} differs at sample {k}: in {:e} ({:#010x}), out {:e} ({:#010x})",
                i[k], i[k].to_bits(), o[k], o[k].to_bits());
        }
    }
}

/// Checks the note-ons of a run against the synthetic onsets: one per hit, with the expected key
/// and channel, at onset + window (within [`NOTE_TOLERANCE`]), each followed by its note-off.
fn assert_hit_notes(
    run: &Run,
    onsets: &[u64],
    sample_rate: f64,
    key: i16,
    channel: i16,
    what: &str,
) {
    assert_eq!(
        run.events_out_of_block, 0,
        "{what}: events outside their block"
    );
    let ons = run.note_ons();
    let summary: Vec<(u64, i16)> = ons.iter().map(|n| (n.sample, n.key)).collect();
    assert_eq!(
        ons.len(),
        onsets.len(),
        "{what}: expected one note-on per hit ({} hits at {onsets:?}), got {summary:?}",
        onsets.len()
    );
    let window = window_samples(sample_rate);
    let note_len = (DEFAULT_NOTE_LEN_MS * 0.001 * sample_rate) as u64;
    for (on, &onset) in ons.iter().zip(onsets) {
        let expected = onset + window;
        let error = on.sample as i64 - expected as i64;
        assert!(
            error.abs() <= NOTE_TOLERANCE,
            "{what}: note-on at sample {} (block of {} at offset {}), expected onset {onset} + window \
             {window} = {expected} ± {NOTE_TOLERANCE} (error {error})",
            on.sample, on.block_len, on.time_in_block
        );
        assert_eq!(
            (on.key, on.channel),
            (key, channel),
            "{what}: key and channel of the note-on at {}",
            on.sample
        );
        assert!(
            on.velocity > 0.6 && on.velocity <= 1.0,
            "{what}: velocity {} for a hit peaking at -6 dBFS",
            on.velocity
        );
        let off: Vec<&Note> = run
            .notes
            .iter()
            .filter(|n| !n.on && n.key == key && n.sample > on.sample)
            .take(1)
            .collect();
        assert_eq!(
            off.len(),
            1,
            "{what}: no note-off after the note-on at {}",
            on.sample
        );
        let off_error = off[0].sample as i64 - (on.sample + note_len) as i64;
        assert!(
            off_error == 0,
            "{what}: note-off at {} but the note-on was at {} and notes last {note_len} samples",
            off[0].sample,
            on.sample
        );
    }
    assert_eq!(
        run.note_offs().len(),
        ons.len(),
        "{what}: note-ons and note-offs must pair up"
    );
}

#[test]
fn descriptor_matches_the_contract() {
    gate!("descriptor_matches_the_contract");
    let descriptors = bundle().descriptors();
    assert_eq!(
        descriptors.len(),
        1,
        "one plugin per bundle: {descriptors:?}"
    );
    let d = &descriptors[0];
    assert_eq!(d.id, PLUGIN_ID);
    assert_eq!(d.name, "Timbrel");
    assert!(!d.vendor.is_empty() && !d.version.is_empty(), "{d:?}");
    for feature in ["audio-effect", "analyzer"] {
        assert!(
            d.features.iter().any(|f| f == feature),
            "feature {feature:?} missing: {:?}",
            d.features
        );
    }
    eprintln!("descriptor: {d:?}");
}

#[test]
fn parameters_have_their_stable_ids_and_defaults() {
    gate!("parameters_have_their_stable_ids_and_defaults");
    let mut plugin = instance();
    let params = plugin.params();
    for p in &params {
        eprintln!(
            "param {:>10} {:<14} [{} .. {}] default {} stepped {}",
            p.id, p.name, p.min, p.max, p.default, p.stepped
        );
    }
    for id in PARAM_IDS {
        assert!(
            params.iter().any(|p| p.id == param_hash(id)),
            "no parameter with stable id {id:?}"
        );
    }
    // Stepped parameters of this wrapper count steps from the minimum: 0..=127 for the note.
    let hit_note = plugin.param("hitnote");
    assert!(hit_note.stepped);
    assert_eq!((hit_note.min, hit_note.max), (0.0, 127.0));
    assert!(
        (hit_note.default - 38.0).abs() < 1e-4,
        "hitnote default {}",
        hit_note.default
    );
    assert_eq!(plugin.param_steps("hitnote"), 38);
    assert_eq!(plugin.param_text("hitnote", hit_note.default), "38");
    let channel = plugin.param("midich");
    assert_eq!(channel.max - channel.min, 15.0, "16 MIDI channels");
    assert_eq!(plugin.param_text("midich", channel.default), "1");
    let note_len = plugin.param("notelen");
    assert_eq!(plugin.param_text("notelen", note_len.default), "50 ms");
    let window = plugin.param("win");
    assert_eq!(plugin.param_text("win", window.default), "256 smp");
    let detector = plugin.param("det");
    assert_eq!(plugin.param_text("det", detector.min), "Envelope");
    assert_eq!(plugin.param_text("det", detector.max), "Flux");
}

#[test]
fn stereo_passes_through_bit_exactly_in_any_block_size() {
    gate!("stereo_passes_through_bit_exactly_in_any_block_size");
    let mut plugin = instance();
    assert_eq!(
        plugin.main_channels(),
        (2, 2),
        "stereo is the default layout"
    );
    for sample_rate in SAMPLE_RATES {
        let (hits, _) = hits_track(sample_rate);
        let mut input = to_stereo(&hits);
        // Hits and wide-range noise: everything normal must come out bit for bit.
        let noise = wide_range_noise(input[0].len(), 7);
        let half = input[1].len() / 2;
        input[1][half..].copy_from_slice(&noise[half..]);
        for blocks in BLOCK_SIZES
            .iter()
            .map(std::slice::from_ref)
            .chain([&MIXED_BLOCKS[..]])
        {
            let run = plugin.run(sample_rate, &input, blocks, &[]);
            assert_bit_exact(
                &input,
                &run,
                &format!("stereo at {sample_rate} Hz, blocks {blocks:?}"),
            );
        }
    }
}

#[test]
fn mono_layout_passes_through() {
    gate!("mono_layout_passes_through");
    let mut plugin = instance();
    let configs = plugin.port_configs();
    eprintln!("audio port configurations: {configs:?}");
    plugin.select_channels(1);
    let (hits, onsets) = hits_track(44_100.0);
    let input = vec![hits];
    let run = plugin.run(44_100.0, &input, &MIXED_BLOCKS, &[]);
    assert_bit_exact(&input, &run, "mono");
    assert_hit_notes(&run, &onsets, 44_100.0, DEFAULT_HIT_NOTE, 0, "mono");
    plugin.select_channels(2);
}

#[test]
fn non_finite_and_subnormal_input_becomes_zero() {
    gate!("non_finite_and_subnormal_input_becomes_zero");
    let mut plugin = instance();
    let len = 4096;
    let mut input = vec![wide_range_noise(len, 3), wide_range_noise(len, 4)];
    let mut bad_at = Vec::new();
    for (k, i) in (5..len).step_by(97).enumerate() {
        input[k % 2][i] = BAD_SAMPLES[k % BAD_SAMPLES.len()];
        bad_at.push((k % 2, i));
    }
    // A run of bad samples longer than a block, in both channels.
    for channel in input.iter_mut() {
        for (k, x) in channel[2000..2100].iter_mut().enumerate() {
            *x = BAD_SAMPLES[k % BAD_SAMPLES.len()];
        }
    }
    for sample_rate in SAMPLE_RATES {
        for blocks in [&[1usize][..], &[7], &[64], &MIXED_BLOCKS] {
            let run = plugin.run(sample_rate, &input, blocks, &[]);
            let what = format!("bad input at {sample_rate} Hz, blocks {blocks:?}");
            for (c, (i, o)) in input.iter().zip(&run.output).enumerate() {
                for (k, (&a, &b)) in i.iter().zip(o).enumerate() {
                    assert!(
                        b.is_finite() && (b == 0.0 || b.is_normal()),
                        "{what}: output {b:e} at {c}/{k}"
                    );
                    if a.is_normal() || a == 0.0 {
                        assert_eq!(
                            a.to_bits(),
                            b.to_bits(),
                            "{what}: normal sample changed at {c}/{k}"
                        );
                    } else {
                        assert_eq!(
                            b, 0.0,
                            "{what}: {a:e} at {c}/{k} should become 0, got {b:e}"
                        );
                    }
                }
            }
        }
    }
    // And the plugin still works afterwards.
    let (hits, onsets) = hits_track(44_100.0);
    let run = plugin.run(44_100.0, &to_stereo(&hits), &[512], &[]);
    assert_hit_notes(
        &run,
        &onsets,
        44_100.0,
        DEFAULT_HIT_NOTE,
        0,
        "hits after bad input",
    );
}

#[test]
fn one_note_per_hit_at_onset_plus_window() {
    gate!("one_note_per_hit_at_onset_plus_window");
    let mut plugin = instance();
    for sample_rate in SAMPLE_RATES {
        let (hits, onsets) = hits_track(sample_rate);
        let input = to_stereo(&hits);
        let run = plugin.run(sample_rate, &input, &[512], &[]);
        eprintln!(
            "{sample_rate} Hz: onsets {onsets:?}, window {}, notes {:?}",
            window_samples(sample_rate),
            run.notes
                .iter()
                .map(|n| (n.sample, n.on, n.key, (n.velocity * 127.0).round()))
                .collect::<Vec<_>>()
        );
        assert_hit_notes(
            &run,
            &onsets,
            sample_rate,
            DEFAULT_HIT_NOTE,
            0,
            &format!("{sample_rate} Hz"),
        );
    }
}

#[test]
fn note_positions_do_not_depend_on_block_size() {
    gate!("note_positions_do_not_depend_on_block_size");
    let mut plugin = instance();
    for sample_rate in SAMPLE_RATES {
        let (hits, onsets) = hits_track(sample_rate);
        let input = to_stereo(&hits);
        let reference = plugin.run(sample_rate, &input, &[1024], &[]);
        assert_hit_notes(
            &reference,
            &onsets,
            sample_rate,
            DEFAULT_HIT_NOTE,
            0,
            "reference run",
        );
        let key = |n: &Note| (n.sample, n.on, n.channel, n.key, n.velocity.to_bits());
        let expected: Vec<_> = reference.notes.iter().map(key).collect();
        for blocks in BLOCK_SIZES
            .iter()
            .map(std::slice::from_ref)
            .chain([&MIXED_BLOCKS[..]])
        {
            let run = plugin.run(sample_rate, &input, blocks, &[]);
            let got: Vec<_> = run.notes.iter().map(key).collect();
            assert_eq!(
                got, expected,
                "{sample_rate} Hz: notes in blocks of {blocks:?} differ from blocks of 1024"
            );
            assert_eq!(run.events_out_of_block, 0);
            assert_eq!(run.other_events, 0, "only note events expected");
        }
    }
}

#[test]
fn parameters_set_in_process_change_the_notes() {
    gate!("parameters_set_in_process_change_the_notes");
    let mut plugin = instance();
    let (hits, onsets) = hits_track(44_100.0);
    let input = to_stereo(&hits);
    // CLAP values of stepped parameters count steps from the minimum: channel 10 is step 9.
    let channel = plugin.param("midich");
    let run = plugin.run(
        44_100.0,
        &input,
        &MIXED_BLOCKS,
        &[("hitnote", 42.0), ("midich", channel.min + 9.0)],
    );
    assert_eq!(plugin.param_steps("hitnote"), 42);
    assert_eq!(plugin.param_steps("midich"), 9);
    assert_hit_notes(&run, &onsets, 44_100.0, 42, 9, "hitnote 42 on channel 10");
}

#[test]
fn state_round_trip_keeps_the_hit_note() {
    gate!("state_round_trip_keeps_the_hit_note");
    let bundle = bundle();
    let mut first = bundle.instantiate(PLUGIN_ID);
    let note_len_80 = first.param_value_from_text("notelen", "80");
    first.set_params_by_flush(&[("hitnote", 40.0), ("notelen", note_len_80)]);
    assert_eq!(
        first.param_steps("hitnote"),
        40,
        "params.flush did not set hitnote"
    );
    let shown = first.param_value("notelen");
    assert_eq!(
        first.param_text("notelen", shown),
        "80 ms",
        "params.flush did not set notelen"
    );
    let state = first.save_state();
    assert!(!state.is_empty());
    eprintln!("state: {} bytes", state.len());

    let mut second = bundle.instantiate(PLUGIN_ID);
    assert_eq!(
        second.param_steps("hitnote"),
        38,
        "a fresh instance starts at the default"
    );
    second.load_state(&state).expect("state.load failed");
    assert_eq!(
        second.param_steps("hitnote"),
        40,
        "hitnote did not survive save/load"
    );
    let restored = second.param_value("notelen");
    assert_eq!(
        second.param_text("notelen", restored),
        "80 ms",
        "notelen did not survive save/load"
    );
    // The restored state saves to the same parameter values again.
    let mut third = bundle.instantiate(PLUGIN_ID);
    third
        .load_state(&second.save_state())
        .expect("state.load of a re-saved state failed");
    assert_eq!(third.param_steps("hitnote"), 40);

    let (hits, onsets) = hits_track(44_100.0);
    let run = second.run(44_100.0, &to_stereo(&hits), &[256], &[]);
    let ons = run.note_ons();
    assert!(
        ons.iter().all(|n| n.key == 40),
        "restored instance sent keys {:?}",
        ons.iter().map(|n| n.key).collect::<Vec<_>>()
    );
    assert_eq!(
        ons.len(),
        onsets.len(),
        "restored instance: one note per hit expected, got {ons:?}"
    );
    let note_len = (80.0 * 0.001 * 44_100.0) as u64;
    for on in &ons {
        assert!(
            run.note_offs()
                .iter()
                .any(|off| off.sample == on.sample + note_len),
            "restored instance: note length 80 ms not applied to the note at {}",
            on.sample
        );
    }

    // Garbage must be refused without crashing, and leave the parameters alone.
    eprintln!("(loading a garbage state next: the plugin is expected to log an error)");
    let mut fourth = bundle.instantiate(PLUGIN_ID);
    assert!(
        fourth.load_state(b"not a state").is_err(),
        "a garbage state was accepted"
    );
    assert_eq!(fourth.param_steps("hitnote"), 38);
}

#[test]
fn reactivation_at_a_new_sample_rate_scales_the_window() {
    gate!("reactivation_at_a_new_sample_rate_scales_the_window");
    let mut plugin = instance();
    // The same instance, activated at 96 kHz, then 44.1 kHz, then 96 kHz again.
    for sample_rate in [96_000.0, 44_100.0, 96_000.0] {
        let (hits, onsets) = hits_track(sample_rate);
        let run = plugin.run(sample_rate, &to_stereo(&hits), &MIXED_BLOCKS, &[]);
        assert_hit_notes(
            &run,
            &onsets,
            sample_rate,
            DEFAULT_HIT_NOTE,
            0,
            &format!("re-activated at {sample_rate} Hz"),
        );
    }
    let errors: Vec<_> = plugin
        .log()
        .into_iter()
        .filter(|(s, _)| s.contains("Error") || s.contains("Fatal"))
        .collect();
    assert!(errors.is_empty(), "the plugin logged errors: {errors:?}");
}

#[test]
fn note_on_due_at_a_block_start_is_sent_in_that_block() {
    gate!("note_on_due_at_a_block_start_is_sent_in_that_block");
    let mut plugin = instance();
    let (hits, onsets) = hits_track(44_100.0);
    let input = to_stereo(&hits);
    // The first block ends exactly where the first hit's descriptor is ready: its note-on is due
    // at the first sample of the second block, not at the last sample of the first.
    let ready = (onsets[0] + window_samples(44_100.0)) as usize;
    let blocks = [ready, 512];
    let run = plugin.run(44_100.0, &input, &blocks, &[]);
    let first = run.note_ons()[0];
    assert_eq!(
        first.sample, ready as u64,
        "note-on due at sample {ready} (start of the second block) was sent at sample {} (time {} in a \
         block of {})",
        first.sample, first.time_in_block, first.block_len
    );
    assert_hit_notes(
        &run,
        &onsets,
        44_100.0,
        DEFAULT_HIT_NOTE,
        0,
        "block boundary at the ready sample",
    );
}

/// Latency compensation (parameter `pdc`, off by default): with it on, the plugin reports its
/// analysis window through CLAP's latency extension and its audio leaves delayed by exactly that
/// many samples, while every note stays at onset + window: a host's delay compensation moves
/// both back by the window, so the audio lines up with the other tracks and every note sits on
/// its hit. Off: nothing reported, audio bit-exact. Switching it while active asks the host to
/// restart the plugin, after which the new latency is reported.
#[test]
fn latency_compensation_reports_the_window_and_delays_the_audio() {
    gate!("latency_compensation_reports_the_window_and_delays_the_audio");
    let mut plugin = instance();
    for sample_rate in SAMPLE_RATES {
        let (hits, onsets) = hits_track(sample_rate);
        let input = to_stereo(&hits);
        let window = window_samples(sample_rate);

        let mut session = plugin.start(sample_rate, 2, 512);
        assert_eq!(session.instance_mut().latency(), 0, "off by default");
        session.finish();

        plugin.set_params_by_flush(&[("pdc", 1.0)]);
        let mut session = plugin.start(sample_rate, 2, 512);
        assert_eq!(
            session.instance_mut().latency() as u64,
            window,
            "{sample_rate} Hz: the window is the latency"
        );
        for start in (0..hits.len()).step_by(512) {
            let end = (start + 512).min(hits.len());
            let block: Vec<&[f32]> = input.iter().map(|c| &c[start..end]).collect();
            session.process(&block, &[]);
        }
        let run = session.finish();
        let w = window as usize;
        for (c, (i, o)) in input.iter().zip(&run.output).enumerate() {
            assert!(
                o[..w].iter().all(|&x| x == 0.0),
                "channel {c}: silence first"
            );
            assert!(
                o[w..]
                    .iter()
                    .zip(&i[..i.len() - w])
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{sample_rate} Hz, channel {c}: the audio is delayed by exactly the window"
            );
        }
        assert_hit_notes(
            &run,
            &onsets,
            sample_rate,
            DEFAULT_HIT_NOTE,
            0,
            &format!("{sample_rate} Hz, compensated"),
        );
        plugin.set_params_by_flush(&[("pdc", 0.0)]);
    }

    // Switched on while active: a restart is requested; the next activation reports it.
    plugin.take_restart_request();
    let changes = plugin.latency_changes();
    let mut session = plugin.start(44_100.0, 2, 512);
    let silence = vec![0.0f32; 512];
    session.process(&[&silence, &silence], &[(0, "pdc", 1.0)]);
    session.process(&[&silence, &silence], &[]);
    session.pump_main_thread();
    assert!(
        session.instance_mut().take_restart_request(),
        "a latency change while active asks for a restart"
    );
    session.finish();
    let mut session = plugin.start(44_100.0, 2, 512);
    session.pump_main_thread();
    assert_eq!(
        session.instance_mut().latency() as u64,
        window_samples(44_100.0)
    );
    session.finish();
    assert!(
        plugin.latency_changes() > changes,
        "the host is told that the latency changed"
    );
}
