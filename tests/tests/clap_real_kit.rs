//! Issue #13's host check: Timbrel in a CLAP host, trained only through its `Train` parameter on a
//! real kit's snare (GMRockKit from `hydrogen-data`: its snare layers as *center*, its rimshot
//! layers as *edge*, played into the room of the performance), then playing a real-kit groove in
//! that room (backbeats, rimshots, ghost notes, flams, rolls; hi-hat, kick, cymbals and toms
//! bleeding in; `kit::groove`). From the MIDI it sends: how many snare strokes get exactly one
//! note, how many get the right class's note, how many none, how many are called unknown, and
//! how many notes come at no snare stroke (the other pieces' strokes, ringing, the room).
//!
//! The goals (issue #13: one note per snare hit, recall >= 0.98; issue #14: <= 2 notes per 100
//! snare hits that are not snare hits) are printed; each test asserts the floors reached today
//! so that a regression fails it. Six ways to train, the same 40 s performance (87 snare
//! strokes; the detector misses 35 of them, 26 roll strokes and 9 ghosts, so at most 60 % can
//! get a note):
//!
//! | trained on | one note | class's note | unknown | class notes elsewhere per 100 |
//! |---|---|---|---|---|
//! | one-shots in the room | 55.2 % | 28.7 % (14.9 % before hat segments, 31.0 % with format 4's wider ones) | 33.3 % (44.8 %, 31.0 %) | 6.9 |
//! | the same, played from the softest to the loudest stroke | 55.2 % | 32.2 % | 29.9 % | 13.8 |
//! | backbeats while playing the kit | 55.2 % | 35.6 % | 1.1 % | 111.5 |
//! | the same with *Train with kit playing* on | 55.2 % | 28.7 % | 33.3 % | 0 |
//! | the kit collected as ignored, then backbeats while playing (kit playing on) | 29.9 % | 29.9 % | 4.6 % | 0 |
//! | one-shots soft to loud, then the kit as an armed ignore class | 33.3 % | 32.2 % | 3.4 % | 4.6 |
//!
//! Unknown strokes by kind (ghost / roll / flam grace / backbeat): one-shots 16 / 7 / 2 / 2
//! (17 / 7 / 3 / 12 before the model knew what a hi-hat does to the trained hits: the backbeats
//! come with a hat stroke on them);
//! soft to loud 14 / 7 / 1 / 4 (and toms called a class: 11 instead of 5, the soft snare
//! layers sounding like toms);
//! kit playing on 17 / 7 / 4 / 1: trained on backbeats alone, the model knows the backbeats
//! with the kit on them but not the soft strokes, which sound unlike any accent (and which the
//! kit-playing rule would leave out of training as bleed: 8 dB softer and unlike the loud hits).
//!
//! Clean one-shots make a model that calls the backbeats (with hat and kick on them) unknown;
//! training with the kit playing teaches the classes the bleed, hats and all, unless *Train
//! with kit playing* leaves the soft, unlike hits out; an ignore class taught first also takes
//! ghost notes and some backbeats, and it must hear the toms: collected from a take without tom
//! fills it let 18.4 tom notes per 100 snare strokes through. Unknown
//! hits get a note of their own here (37), so a stroke the model rejected is told from one the
//! detector missed. Loads the built `target/bundled/Timbrel.clap`; gated behind
//! `TIMBREL_HOST_TESTS=1`, needs `hydrogen-data`.

use std::collections::BTreeMap;
use std::sync::Arc;
use timbrel_host_tests::clap::{Bundle, Session, PLUGIN_ID};
use timbrel_host_tests::kit::groove::{groove, plan, GrooveSpec, Target};
use timbrel_host_tests::kit::hydrogen::{Category, Instrument, Kit};
use timbrel_host_tests::kit::material::{drumkits_or_skip, kits};
use timbrel_host_tests::kit::oneshots::training_take;
use timbrel_host_tests::kit::render::{render, Stroke};
use timbrel_host_tests::kit::room::Room;
use timbrel_host_tests::kit::truth::{Event, STROKE_KINDS};
use timbrel_host_tests::train::{
    play_performance, record_take, wait_for_model_probing, CENTER_NOTE, EDGE_NOTE,
};
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
const MIN_RIGHT_CLASS: f64 = 0.27;
const MAX_OTHER_NOTES_PER_100: f64 = 10.0;
/// Levels of one-shots played as accents, in dB under the backbeat.
const ACCENT_DB: (f32, f32) = (-12.0, 0.0);
/// Levels of one-shots played from the softest ghost note to an accent, in dB under the
/// backbeat (the groove's ghost notes are -35..-20 dB).
const SOFT_TO_LOUD_DB: (f32, f32) = (-32.0, 0.0);

/// GMRockKit at [`SAMPLE_RATE`].
fn gm_rock_kit() -> Arc<Kit> {
    kits(&["GMRockKit"], SAMPLE_RATE).expect("GMRockKit loads")[0].clone()
}

/// `count` one-shots of `instrument` at levels -12..0 dB under the backbeat, in `room`
/// (`oneshots::training_take`).
fn one_shots(instrument: &Instrument, room: &Room, count: usize, seed: u64) -> Vec<f32> {
    training_take(instrument, room, count, seed, ACCENT_DB)
}

/// 20 s of the kit with plain backbeats (`rimshots` = 0) or rimshot backbeats (1) and no
/// ghosts, flams, rolls or fills: what a drummer plays to train a class with the kit going.
fn backbeats(kit: &Kit, rimshots: f32, seed: u64) -> Vec<f32> {
    groove(kit, Target::Kit, &backbeat_spec(rimshots), seed).audio
}

/// The groove of [`backbeats`].
fn backbeat_spec(rimshots: f32) -> GrooveSpec {
    GrooveSpec {
        duration_s: 20.0,
        ghost_probability: 0.0,
        flam_probability: 0.0,
        roll_probability: 0.0,
        fill_probability: 0.0,
        rimshot_probability: rimshots,
        ..GrooveSpec::default()
    }
}

/// 20 s of the kit without its snare, as a drummer plays it to teach an ignore class: the
/// groove of [`backbeats`] with tom fills, every snare stroke left out.
fn kit_without_snare(kit: &Kit, seed: u64) -> Vec<f32> {
    let spec = GrooveSpec {
        fill_probability: GrooveSpec::default().fill_probability,
        ..backbeat_spec(0.0)
    };
    let (mix, strokes) = plan(kit, Target::Kit, &spec, seed);
    let others: Vec<Stroke> = strokes.into_iter().filter(|s| !s.event.target).collect();
    render(mix, &others).audio
}

/// [`play_trained`] on GMRockKit's backbeats played while the kit plays (*center*, then
/// *edge* with rimshot backbeats), with *Train with kit playing* at `kit_playing`.
fn trained_while_playing(kit_playing: bool) -> Outcome {
    let kit = gm_rock_kit();
    let what = if kit_playing {
        "while playing the kit, Kit playing on"
    } else {
        "while playing the kit"
    };
    play_trained(what, |session, _room| {
        let silence = vec![&[0.0f32; 1][..]; session.channels()];
        session.process(
            &silence,
            &[(0, "trainkit", f64::from(u8::from(kit_playing)))],
        );
        record_take(session, 1, &backbeats(&kit, 0.0, 31));
        record_take(session, 2, &backbeats(&kit, 1.0, 32));
    })
}

/// What a trained instance sends for the snare strokes of a real-kit groove.
struct Outcome {
    /// Snare strokes.
    strokes: usize,
    /// Shares of the strokes with exactly one note, and with their class's note.
    one: f64,
    right: f64,
    /// Class notes at no snare stroke, per 100 snare strokes.
    elsewhere_per_100: f64,
}

impl Outcome {
    /// Asserts the floors reached today: more than 50 snare strokes, at least `one` of them
    /// with exactly one note, at least `right` with their class's note, and at most
    /// `elsewhere` class notes per 100 snare strokes at no snare stroke.
    fn assert_floors(&self, one: f64, right: f64, elsewhere: f64) {
        assert!(self.strokes > 50, "{} snare strokes", self.strokes);
        assert!(self.one >= one, "{:.3} with one note", self.one);
        assert!(
            self.right >= right,
            "{:.3} with their class's note",
            self.right
        );
        assert!(
            self.elsewhere_per_100 <= elsewhere,
            "{:.1} class notes per 100 snare strokes at no snare stroke",
            self.elsewhere_per_100
        );
    }
}

/// Trains an instance with `train` (given the session and the performance's room), waits for
/// the model, plays the performance and scores its notes; prints the figures under `what`.
fn play_trained(what: &str, train: impl FnOnce(&mut Session, &Room)) -> Outcome {
    let kit = gm_rock_kit();
    let snare = kit.first(Category::Snare).expect("a snare");
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
    train(&mut session, &performance.room);
    let (model_wait, probes) = wait_for_model_probing(&mut session, |k| {
        one_shots(snare, &performance.room, 1, 100 + k as u64)
    });
    let notes = play_performance(session, &performance.audio, BLOCK, UNKNOWN_NOTE).note_ons;

    let is_snare = |e: &Event| e.target;
    let near = |onset: u64, at: u64| at >= onset && at <= onset + NOTE_WINDOW;
    let snares: Vec<&Event> = performance.events.iter().filter(|e| is_snare(e)).collect();
    let (mut one, mut right, mut none, mut unknown) = (0usize, 0usize, 0usize, 0usize);
    let mut missed_by_tag: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unknown_by_tag: BTreeMap<&str, usize> = BTreeMap::new();
    let tag_of = |e: &Event| {
        e.tags
            .stroke_kind()
            .map_or("other", |k| STROKE_KINDS[k].name())
    };
    for e in &snares {
        let mine: Vec<i16> = notes
            .iter()
            .filter(|(at, _)| near(e.onset, *at))
            .map(|&(_, key)| key)
            .collect();
        match mine.len() {
            0 => {
                none += 1;
                *missed_by_tag.entry(tag_of(e)).or_default() += 1;
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
            *unknown_by_tag.entry(tag_of(e)).or_default() += 1;
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
        "{what}: model after {model_wait:?} ({probes} probes); {} snare strokes: {:.1} % with exactly \
         one note (goal 100 %), {:.1} % with their class's note, {:.1} % with no note \
         (missed: {missed_by_tag:?}), {:.1} % called unknown ({unknown_by_tag:?}); class notes at no snare stroke: \
         {class_notes_elsewhere} = {per_100:.1} per 100 snare strokes (goal <= 2); all notes at \
         no snare stroke: {other:?}",
        snares.len(),
        100.0 * share(one),
        100.0 * share(right),
        100.0 * share(none),
        100.0 * share(unknown),
    );
    Outcome {
        strokes: snares.len(),
        one: share(one),
        right: share(right),
        elsewhere_per_100: per_100,
    }
}

/// Records 20 + 20 one-shots of `kit`'s snare (*center*) and rimshot (*edge*) at `levels` (dB
/// under the backbeat) in `room` through `Train`.
fn record_one_shots(session: &mut Session, kit: &Kit, room: &Room, levels: (f32, f32)) {
    let snare = kit.first(Category::Snare).expect("a snare");
    let rimshot = kit.first(Category::SnareRimshot).expect("a rimshot");
    record_take(
        session,
        1,
        &training_take(snare, room, PER_CLASS, 1, levels),
    );
    record_take(
        session,
        2,
        &training_take(rimshot, room, PER_CLASS, 2, levels),
    );
}

/// [`play_trained`] on [`record_one_shots`] of GMRockKit at `levels`.
fn trained_on_one_shots(what: &str, levels: (f32, f32)) -> Outcome {
    let kit = gm_rock_kit();
    play_trained(what, |session, room| {
        record_one_shots(session, &kit, room, levels)
    })
}

/// After [`record_one_shots`] at `levels`, waits for the model and plays
/// [`kit_without_snare`] with *Collect unknowns* on: the hits the model calls unknown become
/// the ignore class (class 3, "ignored sounds").
fn collect_the_kit_as_ignored(session: &mut Session, kit: &Kit, room: &Room, levels: (f32, f32)) {
    record_one_shots(session, kit, room, levels);
    let snare = kit.first(Category::Snare).expect("a snare");
    let _ = wait_for_model_probing(session, |k| one_shots(snare, room, 1, 200 + k as u64));
    session.play(
        &kit_without_snare(kit, 33),
        || BLOCK,
        &[(0, "collect", 1.0)],
    );
    let silence = vec![&[0.0f32; 1][..]; session.channels()];
    session.process(&silence, &[(0, "collect", 0.0)]);
}

#[test]
fn trained_on_a_real_snare_a_real_kit_groove_gets_one_note_per_snare_stroke() {
    let test = "trained_on_a_real_snare_a_real_kit_groove_gets_one_note_per_snare_stroke";
    if !host_tests_enabled(test) || drumkits_or_skip(test).is_none() {
        return;
    }
    let outcome = trained_on_one_shots("one-shots", ACCENT_DB);
    outcome.assert_floors(MIN_ONE_NOTE, MIN_RIGHT_CLASS, MAX_OTHER_NOTES_PER_100);
}

/// The same with the one-shots played from the softest to the loudest stroke, as the README
/// tells a drummer to train.
#[test]
fn trained_soft_to_loud_a_real_kit_groove_gets_one_note_per_snare_stroke() {
    let test = "trained_soft_to_loud_a_real_kit_groove_gets_one_note_per_snare_stroke";
    if !host_tests_enabled(test) || drumkits_or_skip(test).is_none() {
        return;
    }
    let outcome = trained_on_one_shots("one-shots, soft to loud", SOFT_TO_LOUD_DB);
    // More strokes known than trained on accents alone, but more tom bleed passes (floors
    // reached today: 32.2 % with their class's note, 13.8 class notes per 100 elsewhere).
    outcome.assert_floors(MIN_ONE_NOTE, 0.28, 16.0);
}

/// The same, trained the other way a drummer can: arming *center* and playing 20 s of the kit
/// with plain backbeats, then *edge* with rimshot backbeats (hi-hat, kick and cymbals going), so
/// the training hits carry the kit's bleed; the kit's own strokes the detector hears while armed
/// become training hits too (the model-quality panel's doubtful hits).
#[test]
fn trained_while_playing_the_kit_a_real_kit_groove_gets_one_note_per_snare_stroke() {
    let test = "trained_while_playing_the_kit_a_real_kit_groove_gets_one_note_per_snare_stroke";
    if !host_tests_enabled(test) || drumkits_or_skip(test).is_none() {
        return;
    }
    let outcome = trained_while_playing(false);
    // Today: 37.9 % with their class's note (the backbeats' bleed is learned), but 111.5 class
    // notes per 100 snare strokes at the other pieces (learned too).
    outcome.assert_floors(MIN_ONE_NOTE, 0.35, f64::INFINITY);
}

/// As above, with *Train with kit playing* on: training leaves out the armed class's hits
/// that are much softer than its loud ones and unlike them (the rest of the kit).
#[test]
fn trained_while_playing_with_kit_playing_on_a_real_kit_groove_gets_one_note_per_snare_stroke() {
    let test =
        "trained_while_playing_with_kit_playing_on_a_real_kit_groove_gets_one_note_per_snare_stroke";
    if !host_tests_enabled(test) || drumkits_or_skip(test).is_none() {
        return;
    }
    let outcome = trained_while_playing(true);
    // Today: 28.7 % with their class's note, no class note elsewhere.
    outcome.assert_floors(MIN_ONE_NOTE, 0.25, 5.0);
}

/// The workflow the two above suggest: the kit's bleed taught as an *ignore* class first (Collect
/// unknowns on, after training on one-shots, while the drummer plays 20 s of the kit without the
/// snare, tom fills included), then *center* and *edge* trained while playing the kit, as in the
/// test above.
#[test]
fn with_the_kit_collected_as_ignored_first_a_real_kit_groove_gets_one_note_per_snare_stroke() {
    let test =
        "with_the_kit_collected_as_ignored_first_a_real_kit_groove_gets_one_note_per_snare_stroke";
    if !host_tests_enabled(test) || drumkits_or_skip(test).is_none() {
        return;
    }
    let kit = gm_rock_kit();
    let outcome = play_trained(
        "kit collected as ignored, then trained while playing",
        |session, room| {
            collect_the_kit_as_ignored(session, &kit, room, ACCENT_DB);
            let silence = vec![&[0.0f32; 1][..]; session.channels()];
            session.process(&silence, &[(0, "trainkit", 1.0)]);
            record_take(session, 1, &backbeats(&kit, 0.0, 31));
            record_take(session, 2, &backbeats(&kit, 1.0, 32));
        },
    );
    // Today: 29.9 % with their class's note, no class note elsewhere (18.4, all toms, when the
    // collected take had no tom fills).
    outcome.assert_floors(0.25, 0.20, 5.0);
}

/// What the README tells a drummer: *center* and *edge* from one-shots played from the softest
/// to the loudest stroke, then an ignore class armed while the rest of the kit plays (tom fills
/// included). A host without the editor makes the class with *Collect unknowns* (which records
/// only the hits the model calls unknown, not the toms it takes for soft snare strokes), then
/// arms it with `Train` as the editor's ignore class would be armed.
#[test]
fn soft_to_loud_with_the_kit_as_ignore_class_a_real_kit_groove_gets_one_note_per_snare_stroke() {
    let test = "soft_to_loud_with_the_kit_as_ignore_class_a_real_kit_groove_gets_one_note_per_snare_stroke";
    if !host_tests_enabled(test) || drumkits_or_skip(test).is_none() {
        return;
    }
    let kit = gm_rock_kit();
    let outcome = play_trained(
        "one-shots soft to loud, then the kit as an armed ignore class",
        |session, room| {
            collect_the_kit_as_ignored(session, &kit, room, SOFT_TO_LOUD_DB);
            record_take(session, 3, &kit_without_snare(&kit, 34));
        },
    );
    // Today: 32.2 % with their class's note, 4.6 class notes per 100 snare strokes elsewhere
    // (toms); the ignore class also takes the ghost notes (33.3 % with one note).
    outcome.assert_floors(0.28, 0.28, 8.0);
}
