//! Issue #13's host check: Timbrel in a CLAP host, trained only through its `Train` parameter on a
//! real kit's snare (GMRockKit from `hydrogen-data`: its snare layers as *center*, its rimshot
//! layers as *edge*, played into the room of the performance), then playing a real-kit groove in
//! that room (backbeats, rimshots, ghost notes, flams, rolls; hi-hat, kick, cymbals and toms
//! bleeding in; `kit::groove`). From the MIDI it sends: how many snare strokes get exactly one
//! note, how many get the right class's note, how many none, how many are called unknown, and
//! how many notes come at no snare stroke (the other pieces' strokes, ringing, the room).
//!
//! The goals (issue #13: one note per snare hit, recall >= 0.98; issue #14: <= 2 notes per 100
//! snare hits that are not snare hits) are printed; the test asserts the floors reached today so
//! that a regression fails it. Today, of 87 snare strokes: 51.7 % get exactly one note, 43.7 %
//! none (26 roll strokes, 11 ghosts, 1 flam grace: the detector), 43.7 % are called unknown
//! (backbeats with the hat and kick on them, unlike the clean one-shots), 12.6 % get their
//! class's note; 6.9 class notes per 100 snare strokes come at other pieces (toms, kick). Unknown hits get a note of their own here (37), so a stroke the
//! model rejected is told from one the detector missed. Loads the built
//! `target/bundled/Timbrel.clap`; gated behind `TIMBREL_HOST_TESTS=1`, needs `hydrogen-data`.

use std::collections::BTreeMap;
use timbrel_host_tests::clap::{Bundle, PLUGIN_ID};
use timbrel_host_tests::kit::groove::{groove, snare_velocity, GrooveSpec, Target};
use timbrel_host_tests::kit::hydrogen::{Category, Instrument};
use timbrel_host_tests::kit::material::{drumkits_or_skip, kits};
use timbrel_host_tests::kit::render::{render, Mix, Sound, Stroke};
use timbrel_host_tests::kit::room::Room;
use timbrel_host_tests::kit::truth::{Event, Tag, Tags};
use timbrel_host_tests::signal::Rng;
use timbrel_host_tests::train::{record_take, wait_for_model_probing, CENTER_NOTE, EDGE_NOTE};
use timbrel_host_tests::{clap_bundle, host_tests_enabled};

/// Render and host rate, in Hz.
const SAMPLE_RATE: f32 = 44_100.0;
/// Host block size, in samples.
const BLOCK: usize = 512;
/// Training hits per class.
const PER_CLASS: usize = 20;
/// Latest a stroke's note may come after its onset, in samples (window + refinement).
const NOTE_WINDOW: u64 = 1_600;
/// The note for unknown hits in this test.
const UNKNOWN_NOTE: i16 = 37;
/// Floors reached today (see the module doc for the goals).
const MIN_ONE_NOTE: f64 = 0.45;
const MIN_RIGHT_CLASS: f64 = 0.10;
const MAX_OTHER_NOTES_PER_100: f64 = 10.0;

/// `count` one-shots of `instrument`, 0.5 s apart, at levels -12..0 dB under the backbeat (the
/// layer Hydrogen plays at that level), played into `room` with a noise floor.
fn one_shots(instrument: &Instrument, room: &Room, count: usize, seed: u64) -> Vec<f32> {
    let spacing = (0.5 * SAMPLE_RATE) as u64;
    let mut rng = Rng::new(seed);
    let strokes: Vec<Stroke> = (0..count as u64)
        .map(|i| {
            let level_db = rng.range(-12.0, 0.0);
            let velocity = snare_velocity(level_db);
            let layer = instrument.layer_for(velocity);
            Stroke {
                event: Event {
                    onset: spacing / 4 + i * spacing,
                    piece: instrument.category,
                    instrument: instrument.name.clone(),
                    layer: String::new(),
                    target: true,
                    level_db,
                    velocity,
                    tags: Tags::NONE,
                    radius: None,
                },
                sound: Sound::layer(layer),
                path: 0,
            }
        })
        .collect();
    let mix = Mix {
        name: format!("one-shots {}", instrument.name),
        len: (count as u64 * spacing + spacing / 2) as usize,
        sample_rate: SAMPLE_RATE,
        room: room.clone(),
        reference_dbfs: -6.0,
        noise_dbfs: -66.0,
        seed,
    };
    render(mix, &strokes).audio
}

#[test]
fn trained_on_a_real_snare_a_real_kit_groove_gets_one_note_per_snare_stroke() {
    let test = "trained_on_a_real_snare_a_real_kit_groove_gets_one_note_per_snare_stroke";
    if !host_tests_enabled(test) || drumkits_or_skip(test).is_none() {
        return;
    }
    let kit = kits(&["GMRockKit"], SAMPLE_RATE).expect("GMRockKit loads")[0].clone();
    let snare = kit.first(Category::Snare).expect("a snare");
    let rimshot = kit.first(Category::SnareRimshot).expect("a rimshot");
    let performance = groove(
        &kit,
        Target::Kit,
        &GrooveSpec {
            duration_s: 40.0,
            ..GrooveSpec::default()
        },
        21,
    );
    let mut plugin = Bundle::load(&clap_bundle()).instantiate(PLUGIN_ID);
    let mut session = plugin.start(SAMPLE_RATE as f64, 2, BLOCK);
    record_take(
        &mut session,
        1,
        &one_shots(snare, &performance.room, PER_CLASS, 1),
    );
    record_take(
        &mut session,
        2,
        &one_shots(rimshot, &performance.room, PER_CLASS, 2),
    );
    let (model_wait, probes) = wait_for_model_probing(&mut session, |k| {
        one_shots(snare, &performance.room, 1, 100 + k as u64)
    });
    let start = session.position();
    let notes_before = session.output().notes.len();
    session.play(
        &performance.audio,
        || BLOCK,
        // nice-plug's CLAP values of an integer parameter count steps from its minimum (-1).
        &[(0, "unknote", f64::from(UNKNOWN_NOTE + 1))],
    );
    session.silence(BLOCK * 8, BLOCK);
    let run = session.finish();
    let notes: Vec<(u64, i16)> = run.notes[notes_before..]
        .iter()
        .filter(|n| n.on)
        .map(|n| (n.sample - start, n.key))
        .collect();

    let is_snare = |e: &Event| e.target;
    let near = |onset: u64, at: u64| at >= onset && at <= onset + NOTE_WINDOW;
    let snares: Vec<&Event> = performance.events.iter().filter(|e| is_snare(e)).collect();
    let (mut one, mut right, mut none, mut unknown) = (0usize, 0usize, 0usize, 0usize);
    let mut missed_by_tag: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &snares {
        let mine: Vec<i16> = notes
            .iter()
            .filter(|(at, _)| near(e.onset, *at))
            .map(|&(_, key)| key)
            .collect();
        match mine.len() {
            0 => {
                none += 1;
                let tag = [Tag::Ghost, Tag::Roll, Tag::FlamGrace]
                    .into_iter()
                    .find(|t| e.tags.has(*t))
                    .map_or("other", |t| t.name());
                *missed_by_tag.entry(tag).or_default() += 1;
            }
            1 => one += 1,
            _ => {}
        }
        let expected = if e.piece == Category::SnareRimshot {
            EDGE_NOTE
        } else {
            CENTER_NOTE
        };
        if mine.contains(&expected) {
            right += 1;
        }
        if mine.contains(&UNKNOWN_NOTE) {
            unknown += 1;
        }
    }
    // Notes at no snare stroke, by what is there: another piece's stroke, or nothing.
    let mut other: BTreeMap<String, usize> = BTreeMap::new();
    for &(at, key) in &notes {
        if snares.iter().any(|e| near(e.onset, at)) {
            continue;
        }
        let piece = performance
            .events
            .iter()
            .filter(|e| near(e.onset, at))
            .min_by_key(|e| at - e.onset)
            .map_or("nothing".to_owned(), |e| format!("{:?}", e.piece));
        let kind = if key == UNKNOWN_NOTE {
            "unknown"
        } else {
            "class"
        };
        *other.entry(format!("{piece} ({kind})")).or_default() += 1;
    }
    let class_notes_elsewhere: usize = other
        .iter()
        .filter(|(k, _)| k.ends_with("(class)"))
        .map(|(_, v)| v)
        .sum();
    let n = snares.len() as f64;
    let share = |k: usize| k as f64 / n;
    let per_100 = 100.0 * class_notes_elsewhere as f64 / n;
    eprintln!(
        "model after {model_wait:?} ({probes} probes); {} snare strokes: {:.1} % with exactly \
         one note (goal 100 %), {:.1} % with their class's note, {:.1} % with no note \
         (missed: {missed_by_tag:?}), {:.1} % called unknown; class notes at no snare stroke: \
         {class_notes_elsewhere} = {per_100:.1} per 100 snare strokes (goal <= 2); all notes at \
         no snare stroke: {other:?}",
        snares.len(),
        100.0 * share(one),
        100.0 * share(right),
        100.0 * share(none),
        100.0 * share(unknown),
    );
    assert!(snares.len() > 50, "{} snare strokes", snares.len());
    assert!(
        share(one) >= MIN_ONE_NOTE,
        "{:.3} with one note",
        share(one)
    );
    assert!(
        share(right) >= MIN_RIGHT_CLASS,
        "{:.3} with their class's note",
        share(right)
    );
    assert!(
        per_100 <= MAX_OTHER_NOTES_PER_100,
        "{per_100:.1} class notes per 100 snare strokes at no snare stroke"
    );
}
