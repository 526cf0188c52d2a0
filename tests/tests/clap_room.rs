//! Issue #14's host check: Timbrel trained only through its `Train` parameter on membrane-snare
//! one-shots played into a room (centre hits, then edge hits), then playing a performance: a
//! membrane-snare groove (ghosts, flams, rolls) on GMRockKit's bleed (hi-hats, kick, toms,
//! cymbals) in a room. Measures, from the MIDI the plugin sends in a CLAP host: the rank
//! correlation between CC16 and the true strike radius, and how many notes each snare stroke
//! gets (and how many notes come at no snare stroke).
//!
//! The goals are ρ ≥ 0.85 and one note per hit; this test asserts the floors reached
//! today (printed with the goals) so that a regression fails it. Unknown hits get a note here
//! (37), so that a stroke the model rejected is told from one the detector missed. Today, of 92
//! snare strokes: 27 ghost notes (-21..-35 dB) missed by the detector, 40 called unknown (the
//! one-shots were clean, the performance has the kit's bleed on every stroke), 25 classified,
//! with rho(CC16, radius) = 0.90 over those (0.85 over 21 before hits were re-anchored after a
//! hi-hat); no class note at any other kit piece. Loads the built
//! `target/bundled/Timbrel.clap`; gated behind `TIMBREL_HOST_TESTS=1`, needs `hydrogen-data`.

use timbrel_host_tests::clap::{Bundle, PLUGIN_ID};
use timbrel_host_tests::drums::spearman;
use timbrel_host_tests::kit::groove::{groove, GrooveSpec, Target};
use timbrel_host_tests::kit::material::{drumkits_or_skip, kits};
use timbrel_host_tests::kit::render::{render, Mix, Stroke};
use timbrel_host_tests::kit::room::Room;
use timbrel_host_tests::kit::truth::Event;
use timbrel_host_tests::signal::Rng;
use timbrel_host_tests::train::{play_performance, record_take, wait_for_model, POSITION_CC};
use timbrel_host_tests::{clap_bundle, host_tests_enabled};

/// Render and host rate, in Hz.
const SAMPLE_RATE: f32 = 44_100.0;
/// Host block size, in samples.
const BLOCK: usize = 512;
/// Training hits per class.
const PER_CLASS: usize = 20;
/// Latest a snare stroke's note may come after its onset, in samples (window + refinement).
const NOTE_WINDOW: u64 = 1_600;
/// The note for unknown hits in this test.
const UNKNOWN_NOTE: i16 = 37;
/// Floors reached today (goals: ρ ≥ 0.85, one note per hit).
const MIN_RHO: f64 = 0.70;
const MIN_ONE_NOTE: f64 = 0.60;

/// `PER_CLASS` membrane one-shots with radius in `radius`, 0.5 s apart, velocities 0.3..1,
/// played into `room` with a noise floor; starts and ends with silence.
fn one_shots(radius: (f32, f32), room: &Room, seed: u64) -> Vec<f32> {
    let spacing = (0.5 * SAMPLE_RATE) as u64;
    let mut rng = Rng::new(seed);
    let strokes: Vec<Stroke> = (0..PER_CLASS as u64)
        .map(|i| {
            let r = rng.range(radius.0, radius.1);
            let velocity = rng.range(0.3, 1.0);
            Stroke::membrane(
                spacing / 4 + i * spacing,
                r,
                velocity,
                SAMPLE_RATE,
                rng.next_u64(),
            )
        })
        .collect();
    let mix = Mix {
        name: format!("one-shots {radius:?}"),
        len: (PER_CLASS as u64 * spacing + spacing / 2) as usize,
        sample_rate: SAMPLE_RATE,
        room: room.clone(),
        reference_dbfs: -12.0,
        noise_dbfs: -70.0,
        seed,
    };
    render(mix, &strokes).audio
}

#[test]
fn trained_through_train_on_room_one_shots_cc16_follows_the_radius_in_a_kit() {
    let test = "trained_through_train_on_room_one_shots_cc16_follows_the_radius_in_a_kit";
    if !host_tests_enabled(test) || drumkits_or_skip(test).is_none() {
        return;
    }
    let kit = kits(&["GMRockKit"], SAMPLE_RATE).expect("GMRockKit loads")[0].clone();
    let mut plugin = Bundle::load(&clap_bundle()).instantiate(PLUGIN_ID);
    let performance = groove(
        &kit,
        Target::Membrane,
        &GrooveSpec {
            duration_s: 40.0,
            ..GrooveSpec::default()
        },
        14,
    );
    // The drummer trains where they play: the one-shots go through the performance's room.
    let mut session = plugin.start(SAMPLE_RATE as f64, 2, BLOCK);
    record_take(
        &mut session,
        1,
        &one_shots((0.0, 0.12), &performance.room, 1),
    );
    record_take(
        &mut session,
        2,
        &one_shots((0.8, 0.95), &performance.room, 2),
    );
    let (model_wait, probes) = wait_for_model(&mut session);
    // Unknown hits get a note of their own, so that a hit the detector found but the model
    // rejected is told from a hit the detector missed.
    let played = play_performance(session, &performance.audio, BLOCK, UNKNOWN_NOTE);
    let notes: Vec<u64> = played.note_ons.iter().map(|&(at, _)| at).collect();
    let unknown_notes: Vec<u64> = played
        .note_ons
        .iter()
        .filter(|&&(_, key)| key == UNKNOWN_NOTE)
        .map(|&(at, _)| at)
        .collect();
    let ccs: Vec<(u64, u8)> = played
        .ccs
        .iter()
        .filter(|c| c.controller == POSITION_CC)
        .map(|c| (c.sample, c.value))
        .collect();

    let snares: Vec<&Event> = performance
        .events
        .iter()
        .filter(|e| e.target && e.radius.is_some())
        .collect();
    let near = |onset: u64, at: u64| at >= onset && at <= onset + NOTE_WINDOW;
    let (mut one_note, mut radii, mut values) = (0usize, Vec::new(), Vec::new());
    for e in &snares {
        let count = notes.iter().filter(|&&n| near(e.onset, n)).count();
        if count == 1 {
            one_note += 1;
        }
        if let Some(&(_, v)) = ccs.iter().find(|(at, _)| near(e.onset, *at)) {
            radii.push(f64::from(e.radius.unwrap()));
            values.push(f64::from(v));
        }
    }
    let stray = notes
        .iter()
        .filter(|&&n| !snares.iter().any(|e| near(e.onset, n)))
        .count();
    let rho = spearman(&values, &radii);
    let missed = snares
        .iter()
        .filter(|e| !notes.iter().any(|&n| near(e.onset, n)))
        .collect::<Vec<_>>();
    let unknown = snares
        .iter()
        .filter(|e| unknown_notes.iter().any(|&n| near(e.onset, n)))
        .count();
    let mut keys = std::collections::BTreeMap::new();
    for &(_, key) in &played.note_ons {
        *keys.entry(key).or_insert(0usize) += 1;
    }
    eprintln!("note keys: {keys:?}; {} CC16 in all", ccs.len());
    let missed_db: Vec<String> = missed
        .iter()
        .map(|e| format!("{:.0}", e.level_db))
        .collect();
    eprintln!(
        "{} snare strokes without a note (levels dB: {}), {unknown} called unknown",
        missed.len(),
        missed_db.join(" ")
    );
    let one_share = one_note as f64 / snares.len() as f64;
    eprintln!(
        "model after {model_wait:?} ({probes} probes); {} snare strokes, {:.1} % with exactly \
         one note (goal 100 %), {} with a CC16, rho(CC16, radius) = {rho:.3} (goal 0.85); \
         {stray} notes at no snare stroke ({:.1} per 100 snare strokes)",
        snares.len(),
        100.0 * one_share,
        values.len(),
        100.0 * stray as f64 / snares.len() as f64
    );
    assert!(snares.len() > 50, "{} snare strokes", snares.len());
    assert!(rho >= MIN_RHO, "rho(CC16, radius) = {rho:.3} < {MIN_RHO}");
    assert!(
        one_share >= MIN_ONE_NOTE,
        "{:.1} % of snare strokes with one note",
        100.0 * one_share
    );
}
