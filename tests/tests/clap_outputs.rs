//! Timbrel's *Outputs* parameters in a CLAP host that never opens the editor (issue #16): the
//! plugin is trained through its `Train` parameter, then plays snare hits of known strike
//! position; the host, as a DAW, runs `process` on what the plugin must take for an audio thread
//! and the plugin's main-thread requests in between blocks. Loads the built
//! `target/bundled/Timbrel.clap`; gated behind `TIMBREL_HOST_TESTS=1` like `clap_host.rs`.
//!
//! Contract checked: every hit that sends a position CC also sends, in the same block, at the
//! CC's sample, one parameter-value event for each output parameter (no gesture, so hosts do not
//! record them as automation); the position parameter equals the CC's value (before its 7-bit
//! rounding) and follows the strike radius; the class parameter names the note's class; the
//! host reads the last hit's values back with `params.get_value`; the plugin never asks for a
//! parameter flush from the audio thread (CLAP forbids it).

use timbrel_host_tests::clap::{param_hash, Bundle, ParamOut, Session, PLUGIN_ID};
use timbrel_host_tests::drums::{spearman, Hit};
use timbrel_host_tests::signal::Rng;
use timbrel_host_tests::train::{
    track_at, train_center_and_edge, CENTER_NOTE, EDGE_NOTE, POSITION_CC,
};
use timbrel_host_tests::{clap_bundle, host_tests_enabled};

/// Host block size, in samples.
const BLOCK: usize = 512;
/// Share of the hits with a position CC that must bring a position parameter event.
const MIN_SHARE: f64 = 0.9;
/// Lowest rank correlation between the position parameter and the CC (and the strike radius).
const MIN_SPEARMAN: f64 = 0.95;
/// Stable ids of the output parameters, in the plugin's order.
const OUTPUT_IDS: [&str; 5] = ["opos", "oconf", "olevel", "oclass", "ospeed"];

/// Plays `track` block by block, running the plugin's main-thread requests after each block.
fn play_pumping(session: &mut Session, track: &[f32]) {
    let channels = session.channels();
    for block in track.chunks(BLOCK) {
        let input: Vec<&[f32]> = (0..channels).map(|_| block).collect();
        session.process(&input, &[]);
        session.pump_main_thread();
    }
}

/// The events for parameter `id` in `events`.
fn events_of(events: &[ParamOut], id: &str) -> Vec<ParamOut> {
    let hash = param_hash(id);
    events.iter().copied().filter(|e| e.id == hash).collect()
}

#[test]
fn output_parameters_follow_every_hit_without_the_editor() {
    if !host_tests_enabled("output_parameters_follow_every_hit_without_the_editor") {
        return;
    }
    let sample_rate = 44_100.0;
    let mut plugin = Bundle::load(&clap_bundle()).instantiate(PLUGIN_ID);
    let probabilities: Vec<String> = (1..=16).map(|k| format!("oprob{k}")).collect();
    let output_ids: Vec<&str> = OUTPUT_IDS
        .iter()
        .copied()
        .chain(probabilities.iter().map(String::as_str))
        .collect();
    let output_hashes: Vec<u32> = output_ids.iter().map(|id| param_hash(id)).collect();
    for param in plugin.params() {
        let output = output_hashes.contains(&param.id);
        assert_eq!(
            param.read_only, output,
            "{}: read-only exactly when an output",
            param.name
        );
        assert!(
            !(output && param.automatable),
            "{}: an output is not automatable",
            param.name
        );
    }
    let position_before = plugin.param_value("opos");

    let mut session = plugin.start(sample_rate, 2, BLOCK);
    train_center_and_edge(&mut session, 20, 5);
    let trained_at = session.position();
    let events_before = session.output().param_values.len();
    session.pump_main_thread();

    // From here on, `process` runs on "the audio thread" as far as the plugin can tell.
    session.instance_mut().separate_audio_thread(true);
    let mut rng = Rng::new(16);
    let spacing = (0.5 * sample_rate) as u64;
    let start = session.position();
    let hits: Vec<Hit> = (0..60)
        .map(|i| Hit {
            onset: start + 1000 + i * spacing + rng.next_u64() % 400,
            radius: (i % 20) as f32 * 0.05,
            velocity: 0.3 + 0.7 * (rng.next_u64() % 1000) as f32 / 1000.0,
            seed: 900 + i,
        })
        .collect();
    let len = (hits.len() as u64 * spacing + spacing + 2000) as usize;
    let track = track_at(start, &hits, len, sample_rate);
    play_pumping(&mut session, &track);
    let flushes_in_process = session.instance_mut().flushes_in_process();
    let run = session.finish();

    assert_eq!(run.events_out_of_block, 0, "events outside their block");
    assert_eq!(run.events_out_of_order, 0, "events out of time order");
    assert_eq!(
        run.param_gestures, 0,
        "gestures: hosts would record automation"
    );
    assert_eq!(
        flushes_in_process, 0,
        "params.request_flush on the audio thread"
    );
    let played: Vec<ParamOut> = run.param_values[events_before..]
        .iter()
        .copied()
        .filter(|e| e.sample >= start)
        .collect();
    assert!(
        played.iter().all(|e| output_hashes.contains(&e.id)),
        "parameter events for parameters that are not outputs"
    );
    eprintln!(
        "trained at sample {trained_at}; {} parameter events during training, {} while playing",
        events_before,
        played.len()
    );

    let positions = events_of(&played, "opos");
    let classes = events_of(&played, "oclass");
    let levels = events_of(&played, "olevel");
    let ccs: Vec<_> = run
        .ccs
        .iter()
        .filter(|c| c.sample >= start && c.controller == POSITION_CC)
        .collect();
    assert!(
        ccs.len() >= hits.len() * 9 / 10,
        "only {} position CCs for {} hits",
        ccs.len(),
        hits.len()
    );
    let mut cc_values = Vec::new();
    let mut param_values = Vec::new();
    let mut radii = Vec::new();
    let mut class_errors = Vec::new();
    let mut missing = Vec::new();
    for cc in &ccs {
        // Within one block: at the CC's sample or later, before the next block's end.
        let near = |e: &&ParamOut| e.sample >= cc.sample && e.sample < cc.sample + BLOCK as u64;
        let Some(position) = positions.iter().find(near) else {
            missing.push(cc.sample);
            continue;
        };
        assert_eq!(
            position.sample, cc.sample,
            "the position event comes at the CC's sample"
        );
        assert!(
            (position.value * 127.0 - cc.value as f64).abs() <= 0.5 + 1e-3,
            "position parameter {} for CC{POSITION_CC} = {} at {}",
            position.value,
            cc.value,
            cc.sample
        );
        assert!(
            levels.iter().any(|e| e.sample == cc.sample),
            "no level event at {}",
            cc.sample
        );
        // The note that follows the CC names the class the class parameter shows (steps above
        // 0 = unknown: class 1 = 1 step).
        if let Some(note) = run.note_ons().iter().find(|n| n.sample == cc.sample) {
            let expected = match note.key {
                k if k == CENTER_NOTE => 1.0,
                k if k == EDGE_NOTE => 2.0,
                _ => f64::NAN,
            };
            match classes.iter().find(|e| e.sample == cc.sample) {
                Some(class) if (class.value - expected).abs() < 1e-3 => {}
                other => class_errors.push((cc.sample, note.key, other.map(|e| e.value))),
            }
        }
        let hit = hits
            .iter()
            .min_by_key(|h| h.onset.abs_diff(cc.sample))
            .unwrap();
        cc_values.push(cc.value as f64);
        param_values.push(position.value);
        radii.push(hit.radius as f64);
    }
    let share = param_values.len() as f64 / ccs.len() as f64;
    let rho_cc = spearman(&param_values, &cc_values);
    let rho_radius = spearman(&param_values, &radii);
    eprintln!(
        "{} hits, {} with a position CC, {} of them with a position parameter event in the \
         same block ({:.1} %); Spearman(parameter, CC) = {rho_cc:.4}, \
         Spearman(parameter, radius) = {rho_radius:.4}; {} class mismatches",
        hits.len(),
        ccs.len(),
        param_values.len(),
        100.0 * share,
        class_errors.len()
    );
    assert!(
        share >= MIN_SHARE,
        "position events for {:.1} % of the hits with a CC (missing at {missing:?})",
        100.0 * share
    );
    assert!(rho_cc >= MIN_SPEARMAN, "Spearman(parameter, CC) = {rho_cc}");
    assert!(
        rho_radius >= MIN_SPEARMAN,
        "Spearman(parameter, radius) = {rho_radius}"
    );
    assert!(class_errors.is_empty(), "class parameter: {class_errors:?}");

    // The host reads the last hit's values back.
    let last = *positions.last().expect("no position event");
    let read_back = plugin.param_value("opos");
    eprintln!(
        "position before playing {position_before}, last event {}, read back {read_back}",
        last.value
    );
    assert!(
        (read_back - last.value).abs() < 1e-3,
        "params.get_value(opos) = {read_back}, last event {}",
        last.value
    );
    let last_class = classes.last().expect("no class event").value;
    assert!((plugin.param_value("oclass") - last_class).abs() < 1e-3);
}

/// The train-count limit disarms `Train` in a host that never opens the editor: the plugin
/// reports `Train` going Off as a parameter-value event (no gesture), and the host reads Off back.
#[test]
fn the_train_count_limit_sets_train_off_without_the_editor() {
    if !host_tests_enabled("the_train_count_limit_sets_train_off_without_the_editor") {
        return;
    }
    let sample_rate = 44_100.0;
    let limit = 5;
    let mut plugin = Bundle::load(&clap_bundle()).instantiate(PLUGIN_ID);
    let mut session = plugin.start(sample_rate, 2, BLOCK);
    session.instance_mut().separate_audio_thread(true);
    let spacing = (0.4 * sample_rate) as u64;
    let start = session.position();
    let hits = timbrel_host_tests::drums::hit_train(
        start + 1000,
        spacing,
        2 * limit,
        (0.0, 0.1),
        (0.3, 1.0),
        41,
    );
    let track = track_at(
        start,
        &hits,
        (2 * limit as u64 * spacing) as usize + 2000,
        sample_rate,
    );
    // Arm the first class with a limit of five hits, then play ten.
    session.play(
        &track,
        || BLOCK,
        &[(0, "trainmax", limit as f64), (0, "train", 1.0)],
    );
    session.silence(BLOCK * 4, BLOCK);
    session.pump_main_thread();
    let run = session.finish();
    let train = param_hash("train");
    let offs: Vec<&ParamOut> = run.param_values.iter().filter(|e| e.id == train).collect();
    assert_eq!(offs.len(), 1, "one Train event: {offs:?}");
    assert_eq!(offs[0].value, 0.0, "Train goes Off");
    let fifth = hits[limit - 1].onset;
    let sixth = hits[limit].onset;
    assert!(
        offs[0].sample > fifth && offs[0].sample < sixth + spacing,
        "Off after the fifth hit's result ({} not in {fifth}..{})",
        offs[0].sample,
        sixth + spacing
    );
    assert_eq!(
        run.param_gestures, 0,
        "no gesture: not recorded as automation"
    );
    assert_eq!(plugin.param_value("train"), 0.0, "the host reads Off back");
}
