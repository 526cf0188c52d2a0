//! Timbrel trained and played in a real CLAP host (`clack-host`), as a DAW would: the plugin learns
//! only from automation of its `Train` parameter, then classifies snare hits of known strike
//! position (timbrel-core's synthesizer) at known onsets. Loads the built
//! `target/bundled/Timbrel.clap`; gated behind `TIMBREL_HOST_TESTS=1` like `clap_host.rs`.
//!
//! Timing contract checked here: every hit gives, at sample `onset + window` exactly (window = the
//! `win` parameter, 256 samples at 44.1 kHz scaled to the rate and rounded), the position CC16 and
//! immediately after it one note-on (38 centre, 40 edge); the note-off follows 50 ms later.
//!
//! The 10-minute performances (six seeds) separate what the host path must get exactly right
//! (one note per hit the plugin's detector finds, compared with the same detector run offline)
//! from what the detector achieves against the ground truth: isolated hits exact, no duplicate
//! or stray notes, a miss only of a masked soft hit (one just after a harder hit), at most
//! `MAX_MISSED_SHARE` of the hits, and a bounded share of such soft hits found late
//! (`MAX_LATE_SHARE`).

use std::time::Instant;
use timbrel_host_tests::clap::{Bundle, Instance, Note, Run, Session, PLUGIN_ID};
use timbrel_host_tests::drums::{
    cc_just_before, click_contrast_db, pair_notes, random_performance, spearman, Hit, Matching,
    PerformanceSpec, Zone,
};
use timbrel_host_tests::signal::Rng;
use timbrel_host_tests::train::{
    play_hits, track_at, train_center_and_edge, Training, CENTER_NOTE, EDGE_NOTE, POSITION_CC,
};
use timbrel_host_tests::{clap_bundle, host_tests_enabled};

/// Largest distance, in samples, between a note-on and its hit's true onset + window. Measured:
/// the detector places the synthetic snare's onsets exactly (see `hit_to_midi_latency_...`).
const ONSET_TOLERANCE: u64 = 0;
/// The default analysis window, in samples at 44.1 kHz.
const DEFAULT_WINDOW_REF: f64 = 256.0;
/// The default note length, in milliseconds.
const NOTE_LEN_MS: f64 = 50.0;
/// Default velocity mapping: this peak level (dBFS) maps to the lowest velocity, 0 dBFS to 1.
const VELOCITY_FLOOR_DBFS: f64 = -48.0;
/// The note tests set for hits the model calls unknown (default: none is sent).
const UNKNOWN_NOTE: i16 = 37;
/// Hits given to each class when training.
const TRAINING_HITS: usize = 20;

macro_rules! gate {
    ($name:expr) => {
        if !host_tests_enabled($name) {
            return;
        }
    };
}

fn instance() -> Instance {
    Bundle::load(&clap_bundle()).instantiate(PLUGIN_ID)
}

/// The analysis window at `sample_rate`, in samples: the reference length scaled and rounded.
fn window_samples(sample_rate: f64) -> u64 {
    (DEFAULT_WINDOW_REF * sample_rate / 44_100.0).round() as u64
}

fn note_len_samples(sample_rate: f64) -> u64 {
    (NOTE_LEN_MS * 0.001 * sample_rate) as u64
}

/// Trains a fresh session and reports how long the model took.
fn train(session: &mut Session, seed: u64) -> Training {
    let started = Instant::now();
    let training = train_center_and_edge(session, TRAINING_HITS, seed);
    eprintln!(
        "trained at {} Hz on {} centre + {} edge hits through the Train parameter: {:.2} s wall in all, \
         model in use {:.2} s after disarming ({} probe hits)",
        session.sample_rate(),
        training.center.len(),
        training.edge.len(),
        started.elapsed().as_secs_f64(),
        training.model_wait.as_secs_f64(),
        training.probes
    );
    training
}

/// The velocity the plugin should send for a hit whose window peaks at `peak` (linear): linear in
/// dB from the velocity floor to 0 dBFS, at least 1/127.
fn expected_velocity(peak: f32) -> f64 {
    let db = 20.0 * (peak as f64).log10();
    ((db - VELOCITY_FLOOR_DBFS) / -VELOCITY_FLOOR_DBFS)
        .clamp(0.0, 1.0)
        .max(1.0 / 127.0)
}

/// Checks the stream-level sanity every run must have.
fn assert_clean_stream(run: &Run, what: &str) {
    assert_eq!(
        run.events_out_of_block, 0,
        "{what}: events outside their block"
    );
    assert_eq!(
        run.events_out_of_order, 0,
        "{what}: events out of time order"
    );
    assert_eq!(run.other_events, 0, "{what}: only notes and CCs expected");
}

/// Why a hit got no note: a CC16 at its ready sample without a note means the model called it
/// unknown (and the unknown note is off); nothing at all means no hit was detected there.
fn describe_missed(run: &Run, hit: &Hit, window: u64) -> String {
    let at = hit.onset + window;
    match run
        .ccs
        .iter()
        .find(|c| c.controller == POSITION_CC && c.sample.abs_diff(at) <= window / 2)
    {
        Some(cc) => format!(
            "{hit:?}: CC{POSITION_CC} = {} at {} but no note (classified unknown)",
            cc.value, cc.sample
        ),
        None => format!("{hit:?}: nothing near {at} (not detected)"),
    }
}

/// One hit with what the plugin made of it.
#[derive(Debug, Clone, Copy)]
struct Classified {
    hit: Hit,
    note: Note,
    cc: u8,
    /// Peak of the analysed window (linear).
    peak: f64,
}

#[test]
fn trained_through_its_parameter_it_sends_class_notes_position_and_velocity() {
    gate!("trained_through_its_parameter_it_sends_class_notes_position_and_velocity");
    let sample_rate = 44_100.0;
    let window = window_samples(sample_rate);
    let mut plugin = instance();
    let mut session = plugin.start(sample_rate, 2, 512);
    train(&mut session, 1);

    // The sequence: centre and edge hits at varied velocities, and in-between radii 0.2..0.75 in
    // steps of 0.05 (every other one at velocities 0.35, 0.65 and 0.95, the rest at 0.65), in a
    // seeded shuffled order, 0.5 s apart (no overlap), at onsets anywhere in the host's blocks.
    let mut specs: Vec<(f32, f32)> = [
        (0.0, 0.9),
        (0.05, 0.25),
        (0.1, 0.6),
        (0.14, 1.0),
        (0.08, 0.4),
    ]
    .into_iter()
    .chain([
        (0.8, 0.3),
        (0.85, 0.9),
        (0.9, 0.6),
        (0.95, 1.0),
        (0.88, 0.45),
    ])
    .collect();
    for (i, r) in (4..=15).map(|k| k as f32 * 0.05).enumerate() {
        for (j, v) in [0.35, 0.65, 0.95].into_iter().enumerate() {
            if (i + j) % 2 == 0 || v == 0.65 {
                specs.push((r, v));
            }
        }
    }
    let mut rng = Rng::new(11);
    for i in (1..specs.len()).rev() {
        specs.swap(i, rng.next_u64() as usize % (i + 1));
    }
    let spacing = (0.5 * sample_rate) as u64;
    let start = session.position();
    let hits: Vec<Hit> = specs
        .iter()
        .enumerate()
        .map(|(i, &(radius, velocity))| Hit {
            onset: start + 1000 + i as u64 * spacing + rng.next_u64() % 300,
            radius,
            velocity,
            seed: 500 + i as u64,
        })
        .collect();
    let len = (hits.len() as u64 * spacing + spacing + 2000) as usize;
    let track = track_at(start, &hits, len, sample_rate);
    play_hits(&mut session, &hits, len, 512, &[]);
    let run = session.finish();
    assert_clean_stream(&run, "after training");

    let matching = Matching::new(&run, &hits, window, ONSET_TOLERANCE, start);
    assert!(
        matching.stray.is_empty(),
        "note-ons that belong to no hit: {:?}",
        matching.stray
    );
    let mut classified = Vec::new();
    let mut velocity_errors = Vec::new();
    for (hit, result) in hits.iter().zip(&matching.hits) {
        assert_eq!(
            result.note_ons.len(),
            1,
            "hit {hit:?}: expected one note-on at {} exactly, got {:?} (all note-ons near it: {:?})",
            hit.onset + window,
            result.note_ons,
            run.note_ons().iter().filter(|n| n.sample.abs_diff(hit.onset + window) < 5000).collect::<Vec<_>>()
        );
        let note = result.note_ons[0];
        let cc = cc_just_before(&run, &note, POSITION_CC).unwrap_or_else(|| {
            panic!(
                "hit {hit:?}: no CC{POSITION_CC} at {} just before its note-on",
                note.sample
            )
        });
        // The velocity follows the peak of the analysed window (the mono mix of two identical
        // channels is the track itself).
        let from = (hit.onset - start) as usize;
        let peak = track[from..from + window as usize]
            .iter()
            .fold(0.0f32, |m, x| m.max(x.abs()));
        velocity_errors.push((note.velocity - expected_velocity(peak)).abs());
        classified.push(Classified {
            hit: *hit,
            note,
            cc: cc.value,
            peak: peak as f64,
        });
    }
    classified.sort_by(|a, b| {
        a.hit
            .radius
            .total_cmp(&b.hit.radius)
            .then(a.hit.velocity.total_cmp(&b.hit.velocity))
    });
    eprintln!("radius velocity  note  CC16  peak dBFS  MIDI velocity");
    for c in &classified {
        eprintln!(
            "{:6.2} {:8.2}  {:4}  {:4}  {:9.1}  {:5.1}",
            c.hit.radius,
            c.hit.velocity,
            c.note.key,
            c.cc,
            20.0 * c.peak.log10(),
            c.note.velocity * 127.0
        );
    }

    for c in &classified {
        match c.hit.zone() {
            Zone::Center => {
                assert_eq!(c.note.key, CENTER_NOTE, "centre hit {:?}", c.hit);
                assert!(c.cc < 32, "centre hit {:?}: CC16 = {}", c.hit, c.cc);
            }
            Zone::Edge => {
                assert_eq!(c.note.key, EDGE_NOTE, "edge hit {:?}", c.hit);
                assert!(c.cc > 96, "edge hit {:?}: CC16 = {}", c.hit, c.cc);
            }
            Zone::Between => assert!(
                [CENTER_NOTE, EDGE_NOTE].contains(&c.note.key),
                "in-between hit {:?}: note {}",
                c.hit,
                c.note.key
            ),
        }
    }
    // The position rises with the radius: over all hits, and monotonically (up to a tolerance)
    // across the in-between hits.
    let radii: Vec<f64> = classified.iter().map(|c| c.hit.radius as f64).collect();
    let ccs: Vec<f64> = classified.iter().map(|c| c.cc as f64).collect();
    let rho = spearman(&radii, &ccs);
    let between: Vec<&Classified> = classified
        .iter()
        .filter(|c| c.hit.zone() == Zone::Between)
        .collect();
    let rho_between = spearman(
        &between
            .iter()
            .map(|c| c.hit.radius as f64)
            .collect::<Vec<_>>(),
        &between.iter().map(|c| c.cc as f64).collect::<Vec<_>>(),
    );
    // Largest drop of CC16 from a hit to any hit struck at least 0.1 further out.
    let worst_drop = between
        .iter()
        .flat_map(|a| {
            between
                .iter()
                .filter(move |b| b.hit.radius >= a.hit.radius + 0.1 - 1e-6)
                .map(move |b| a.cc as i32 - b.cc as i32)
        })
        .max()
        .unwrap_or(0);
    let velocities: Vec<f64> = classified.iter().map(|c| c.note.velocity).collect();
    let peaks: Vec<f64> = classified.iter().map(|c| c.peak).collect();
    let max_velocity_error = velocity_errors.iter().fold(0.0f64, |m, &e| m.max(e));
    eprintln!(
        "Spearman rho(radius, CC16): all hits {rho:.3}, in-between hits {rho_between:.3}; largest CC16 drop \
         over +0.1 radius {worst_drop}; largest velocity error {max_velocity_error:.2e}"
    );
    assert!(
        rho > 0.95,
        "CC16 does not follow the radius: Spearman rho {rho:.3}"
    );
    assert!(
        rho_between > 0.9,
        "CC16 of in-between hits does not follow the radius: rho {rho_between:.3}"
    );
    assert!(
        worst_drop <= 16,
        "CC16 drops by {worst_drop} from one in-between hit to one struck 0.1 further out"
    );

    // Velocity: exactly the level mapping (so it rises with the hit's peak level), and for hits
    // struck at the same place, it rises with the stick velocity.
    assert!(
        max_velocity_error < 1e-5,
        "velocity differs from the peak-level mapping by up to {max_velocity_error}"
    );
    assert!(velocities.iter().all(|&v| v > 0.0 && v <= 1.0));
    let rho_level = spearman(&peaks, &velocities);
    eprintln!("Spearman rho(window peak level, MIDI velocity) {rho_level:.4}");
    assert!(
        rho_level > 0.999,
        "MIDI velocity does not rise with the peak level: rho {rho_level}"
    );
    let mut groups: Vec<Vec<&Classified>> = Vec::new();
    for c in &classified {
        let same_place = |g: &Vec<&Classified>| match (g[0].hit.zone(), c.hit.zone()) {
            (Zone::Between, Zone::Between) => g[0].hit.radius == c.hit.radius,
            (a, b) => a == b,
        };
        match groups.iter_mut().find(|g| same_place(g)) {
            Some(g) => g.push(c),
            None => groups.push(vec![c]),
        }
    }
    for mut group in groups.into_iter().filter(|g| g.len() > 1) {
        group.sort_by(|a, b| a.hit.velocity.total_cmp(&b.hit.velocity));
        for w in group.windows(2) {
            assert!(
                w[1].note.velocity > w[0].note.velocity,
                "a harder hit got a lower velocity: {:?} -> {:.1}, {:?} -> {:.1}",
                w[0].hit,
                w[0].note.velocity * 127.0,
                w[1].hit,
                w[1].note.velocity * 127.0
            );
        }
    }

    // Note-offs: each note ends exactly 50 ms after it started, nothing is left sounding.
    let notes: Vec<Note> = run
        .notes
        .iter()
        .copied()
        .filter(|n| n.sample >= start)
        .collect();
    let pairs = pair_notes(&notes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pairs.len(), hits.len());
    for (on, off) in pairs {
        assert_eq!(
            off.sample - on.sample,
            note_len_samples(sample_rate),
            "note {on:?} ended at {off:?}"
        );
    }
}

/// Block-size sequences of the latency test: fixed sizes, and an irregular host.
const LATENCY_BLOCKS: [&[usize]; 8] = [
    &[1],
    &[16],
    &[64],
    &[256],
    &[512],
    &[1024],
    &[4096],
    &[333, 1, 512, 7, 4096, 64, 100, 2048, 5, 1024, 17],
];

#[test]
fn hit_to_midi_latency_is_the_window_at_any_block_size_and_rate() {
    gate!("hit_to_midi_latency_is_the_window_at_any_block_size_and_rate");
    let started = Instant::now();
    let mut plugin = instance();
    {
        let mut session = plugin.start(48_000.0, 2, 512);
        train(&mut session, 2);
    }
    // Hits the model calls unknown send no note by default; here they send note 37, so that
    // every hit's latency is measured. (Only in-between hits are expected to be unknown.)
    let unknown = plugin.param_value_from_text("unknote", &UNKNOWN_NOTE.to_string());
    plugin.set_params_by_flush(&[("unknote", unknown)]);
    assert_eq!(
        plugin.param_steps("unknote") - 1,
        UNKNOWN_NOTE as i64,
        "unknote is -1..=127: CLAP value = note + 1"
    );
    // The same performance at every rate: 12 hits 0.5 s apart, centre, edge and in between,
    // velocities 0.2..1, onsets off any block grid.
    let mut rng = Rng::new(3);
    let score: Vec<(f64, f32, f32)> = (0..12)
        .map(|i| {
            let radius = [
                0.05, 0.9, 0.5, 0.1, 0.85, 0.3, 0.0, 0.95, 0.65, 0.12, 0.82, 0.4,
            ][i];
            let velocity = match i {
                0 => 0.2,
                1 => 1.0,
                _ => rng.range(0.2, 1.0),
            };
            (
                0.3 + 0.5 * i as f64 + 0.01 * rng.unit() as f64,
                radius,
                velocity,
            )
        })
        .collect();
    eprintln!("rate Hz | host blocks     | window | latency  | hits | notes | CC16 before | note-on - (onset + window) | unknown | wrong class | wall s");
    let mut failures = Vec::new();
    for sample_rate in [44_100.0, 48_000.0, 96_000.0] {
        let window = window_samples(sample_rate);
        let hits: Vec<Hit> = score
            .iter()
            .enumerate()
            .map(|(i, &(t, radius, velocity))| Hit {
                onset: (t * sample_rate).round() as u64,
                radius,
                velocity,
                seed: 900 + i as u64,
            })
            .collect();
        let len = ((0.3 + 0.5 * score.len() as f64 + 0.3) * sample_rate) as usize;
        let track = track_at(0, &hits, len, sample_rate);
        for blocks in LATENCY_BLOCKS {
            let run_started = Instant::now();
            let max_block = *blocks.iter().max().unwrap();
            let mut session = plugin.start(sample_rate, 2, max_block);
            session.keep_output(false);
            let mut next = blocks.iter().cycle().copied();
            session.play(&track, || next.next().unwrap(), &[]);
            let run = session.finish();
            let what = format!("{sample_rate} Hz, blocks {blocks:?}");
            assert_clean_stream(&run, &what);
            // Attribute notes generously (half a window) so that a wrong latency is measured, not
            // just rejected.
            let matching = Matching::new(&run, &hits, window, window / 2, 0);
            let mut errors = Vec::new();
            let mut with_cc = 0;
            let mut wrong_class = 0;
            let mut unknown = 0;
            for (hit, result) in hits.iter().zip(&matching.hits) {
                for note in &result.note_ons {
                    errors.push(note.sample as i64 - (hit.onset + window) as i64);
                    // Known hits carry the position just before the note; unknown hits have no
                    // place between the pair's classes and send their note alone.
                    let has_cc = cc_just_before(&run, note, POSITION_CC).is_some();
                    with_cc += (has_cc == (note.key != UNKNOWN_NOTE)) as usize;
                    unknown += (note.key == UNKNOWN_NOTE) as usize;
                    wrong_class += match hit.zone() {
                        Zone::Center => note.key != CENTER_NOTE,
                        Zone::Edge => note.key != EDGE_NOTE,
                        Zone::Between => false,
                    } as usize;
                }
            }
            let (min, max) = (
                errors.iter().min().copied().unwrap_or(0),
                errors.iter().max().copied().unwrap_or(0),
            );
            let shown = if blocks.len() == 1 {
                format!("{}", blocks[0])
            } else {
                "varying 1..4096".to_owned()
            };
            eprintln!(
                "{sample_rate:7.0} | {shown:<15} | {window:6} | {:5.2} ms | {:4} | {:5} | {with_cc:11} | {:>+12} .. {:<+11} | {unknown:7} | {wrong_class:11} | {:.2}",
                window as f64 * 1000.0 / sample_rate,
                hits.len(),
                run.note_ons().len(),
                min, max,
                run_started.elapsed().as_secs_f64()
            );
            if !matching.missed().is_empty()
                || !matching.duplicated().is_empty()
                || !matching.stray.is_empty()
            {
                let missed: Vec<String> = matching
                    .missed()
                    .iter()
                    .map(|&i| describe_missed(&run, &hits[i], window))
                    .collect();
                failures.push(format!(
                    "{what}: missed hits {missed:?}, duplicated {:?}, stray note-ons {:?}",
                    matching.duplicated(),
                    matching.stray
                ));
            }
            if errors.iter().any(|e| e.unsigned_abs() > ONSET_TOLERANCE) {
                failures.push(format!(
                    "{what}: note-on - (onset + window) ranges over {min}..{max} samples"
                ));
            }
            if with_cc != errors.len() {
                failures.push(format!(
                    "{what}: {} of {} note-ons break the rule: CC{POSITION_CC} just before known notes, none before unknown ones",
                    errors.len() - with_cc,
                    errors.len()
                ));
            }
            if wrong_class > 0 {
                failures.push(format!(
                    "{what}: {wrong_class} centre or edge hits got the other class's note"
                ));
            }
        }
    }
    eprintln!(
        "latency test: {:.1} s wall",
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Largest host block of the performance test, in samples.
const PERFORMANCE_MAX_BLOCK: usize = 4096;
/// Seeds of the performances played (override with `TIMBREL_PERFORMANCE_SEED=<seed>` to play one).
const PERFORMANCE_SEEDS: [u64; 6] = [2024, 1, 2, 3, 4, 5];
/// A hit is "isolated" when the hit before it started at least this long ago (the synthetic
/// snare rings for 0.5 s): its onset must be exact.
const ISOLATED_S: f64 = 0.5;
/// Largest onset error of an unmasked hit that starts in the ringing of the previous one, in
/// milliseconds (the core's detector goal; measured up to 0.52 ms over six seeds).
const TAIL_ONSET_TOLERANCE_MS: f64 = 1.0;
/// A hit is "masked" when it follows a harder hit (stick velocity at least this many times its
/// own) by less than this many seconds: only such hits may be placed late.
const MASKING_VELOCITY_RATIO: f32 = 1.3;
const MASKING_INTERVAL_S: f64 = 0.25;
/// Clicks that raise the 1 kHz+ power of their first millisecond above the ringing of the hits
/// before by less than this are "buried" (`drums::click_contrast_db`), in dB: reported apart.
const BURIED_DB: f64 = 5.0;
/// Largest share of the performance's hits that may be missed, all of them masked (soft hits
/// less than 250 ms after a hit at least 1.3 times harder; an unmasked hit is never missed).
///
/// NOTE: the retrigger mask (issue 13) made this the trade it is. Before it, only buried hits
/// were missed (4 of 4,562 over the six seeds, click contrast +0.7 to +4.7 dB); with it, 13 of
/// 4,562 (0.28 %, at most 0.40 % per seed), eight of them with a click 6.8 to 10.6 dB over the
/// ringing, soft hits 80 to 154 ms after a hard one whose mask has not yet fallen below them.
/// In exchange, on real kits in rooms with bleed, retriggers went from 40 to 1 per 100 snare
/// hits (README, "What the detector finds"). A tail threshold that let these through (0.65 of
/// the threshold once the slow envelope sits 3 to 6 dB under the mask) found 4 to 11 of them
/// back only with 90 to 0 false onsets here, so it is not used.
const MAX_MISSED_SHARE: f64 = 0.005;
/// Largest share of the performance's hits that may get their note more than
/// [`TAIL_ONSET_TOLERANCE_MS`] late, all of them masked: a soft hit whose click the ringing
/// masks is found on its later rise (its own wires and ringing, 1.5 to 9 ms in). Measured up
/// to 0.39 % over twelve seeds, 0.13 % over the six played here.
const MAX_LATE_SHARE: f64 = 0.005;

/// A host block size: mostly ordinary sizes, sometimes tiny ones, any value in 1..=4096.
fn random_block(rng: &mut Rng) -> usize {
    let kind = rng.unit();
    let (lo, hi) = if kind < 0.1 {
        (1, 16)
    } else if kind < 0.5 {
        (17, 512)
    } else {
        (513, PERFORMANCE_MAX_BLOCK)
    };
    lo + rng.next_u64() as usize % (hi - lo + 1)
}

/// The hits timbrel-core's analyzer finds in `mono` at the plugin's default settings, run offline
/// in one block: (ready sample, peak dBFS). The plugin runs this same analysis on the mono mix of
/// its input, so in any host and block size it must send exactly one note per entry, at its ready
/// sample.
fn reference_hits(mono: &[f32], sample_rate: f64) -> Vec<(u64, f32)> {
    use timbrel_core::analysis::{AnalysisSettings, Analyzer, AnalyzerEvent};
    let mut analyzer = Analyzer::new(sample_rate as f32, AnalysisSettings::default());
    let mut hits = Vec::new();
    analyzer.process(mono, |event| {
        if let AnalyzerEvent::Hit(hit) = event {
            hits.push((hit.ready_sample, hit.peak_dbfs));
        }
    });
    hits
}

#[test]
fn ten_minute_random_performance_sends_one_note_per_detected_hit() {
    gate!("ten_minute_random_performance_sends_one_note_per_detected_hit");
    let started = Instant::now();
    let sample_rate = 48_000.0;
    let mut plugin = instance();
    {
        let mut session = plugin.start(sample_rate, 2, 512);
        train(&mut session, 3);
    }
    // Every detected hit must give a note, whatever the model makes of it.
    let unknown = plugin.param_value_from_text("unknote", &UNKNOWN_NOTE.to_string());
    plugin.set_params_by_flush(&[("unknote", unknown)]);

    let seeds: Vec<u64> = match std::env::var("TIMBREL_PERFORMANCE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(seed) => vec![seed],
        None => PERFORMANCE_SEEDS.to_vec(),
    };
    let mut failures = Vec::new();
    for &seed in &seeds {
        failures.extend(perform(&mut plugin, sample_rate, seed));
    }
    eprintln!(
        "{} performances, whole test (with training) {:.1} s wall",
        seeds.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Plays the 10-minute performance of `seed` through the trained `plugin` in random host blocks
/// and checks its notes against the plugin's detector run offline and against the ground truth.
/// Returns what failed.
fn perform(plugin: &mut Instance, sample_rate: f64, seed: u64) -> Vec<String> {
    let started = Instant::now();
    let window = window_samples(sample_rate);
    let spec = PerformanceSpec::default();
    let hits = random_performance(&spec, sample_rate, seed);
    let len = (spec.duration_s * sample_rate) as usize;
    let render_started = Instant::now();
    let track = track_at(0, &hits, len, sample_rate);
    let render_s = render_started.elapsed().as_secs_f64();

    let process_started = Instant::now();
    let mut session = plugin.start(sample_rate, 2, PERFORMANCE_MAX_BLOCK);
    session.keep_output(false);
    let mut rng = Rng::new(99 ^ seed);
    session.play(&track, || random_block(&mut rng), &[]);
    // Silence after the end: every note-off is due by then.
    session.silence(sample_rate as usize / 2, 512);
    let blocks = session.output().blocks;
    let run = session.finish();
    let process_s = process_started.elapsed().as_secs_f64();
    assert_clean_stream(&run, "performance");

    // 1. The host path: one note-on per hit the detector finds, exactly at its ready sample,
    //    with the velocity of its peak level and CC16 just before it; notes pair up, 50 ms long.
    let reference_started = Instant::now();
    let reference = reference_hits(&track, sample_rate);
    let reference_s = reference_started.elapsed().as_secs_f64();
    let ons = run.note_ons();
    let sent: Vec<u64> = ons.iter().map(|n| n.sample).collect();
    let expected: Vec<u64> = reference.iter().map(|r| r.0).collect();
    if sent != expected {
        let only_sent: Vec<_> = sent.iter().filter(|s| !expected.contains(s)).collect();
        let only_expected: Vec<_> = expected.iter().filter(|e| !sent.contains(e)).collect();
        return vec![format!(
            "seed {seed}: the plugin's note-ons differ from its detector's hits run offline: {} sent, {} detected; \
             sent only {only_sent:?}; detected only {only_expected:?}",
            sent.len(), expected.len()
        )];
    }
    let velocity_error = ons
        .iter()
        .zip(&reference)
        .map(|(n, r)| (n.velocity - expected_velocity(10f32.powf(r.1 / 20.0))).abs())
        .fold(0.0, f64::max);
    // Known hits: CC16 just before the note. Unknown hits: the note alone (no position).
    let without_cc = ons
        .iter()
        .filter(|n| n.key != UNKNOWN_NOTE && cc_just_before(&run, n, POSITION_CC).is_none())
        .count();
    let unknown_with_cc = ons
        .iter()
        .filter(|n| n.key == UNKNOWN_NOTE && cc_just_before(&run, n, POSITION_CC).is_some())
        .count();
    let pairs = pair_notes(&run.notes).unwrap_or_else(|e| {
        panic!("seed {seed}: notes do not pair up (stuck or orphan notes): {e}")
    });
    let note_len = note_len_samples(sample_rate);
    let wrong_length: Vec<_> = pairs
        .iter()
        .filter(|(on, off)| off.sample - on.sample != note_len)
        .collect();

    // 2. Against the ground truth. Every note-on is attributed to the hit whose onset + window is
    //    nearest, within 10 ms (the core's onset-matching tolerance). No hit may get two notes and
    //    no note may lack a hit. Only masked hits may be missed, at most MAX_MISSED_SHARE of all
    //    (those whose click stands BURIED_DB out of the ringing are counted). An unmasked hit
    //    must give its note within 1 ms of onset + window,
    //    exactly when isolated; masked hits (quieter, just after a harder one) may be placed
    //    later, up to MAX_LATE_SHARE of all hits.
    let matching = Matching::new(&run, &hits, window, (0.010 * sample_rate) as u64, 0);
    let tail_tolerance = (TAIL_ONSET_TOLERANCE_MS * 0.001 * sample_rate) as i64;
    let is_masked = |i: usize| {
        i > 0 && {
            let before = &hits[i - 1];
            (hits[i].onset - before.onset) as f64 <= MASKING_INTERVAL_S * sample_rate
                && before.velocity >= MASKING_VELOCITY_RATIO * hits[i].velocity
        }
    };
    let mut errors = std::collections::BTreeMap::<i64, usize>::new();
    let mut zones = std::collections::BTreeMap::<Zone, [usize; 4]>::new(); // hits, centre, edge, unknown
    let (mut isolated, mut isolated_exact, mut tail_worst) = (0, 0, 0i64);
    let (mut late, mut failed_unmasked) = (Vec::new(), Vec::new());
    for (i, (hit, result)) in hits.iter().zip(&matching.hits).enumerate() {
        let zone = zones.entry(hit.zone()).or_default();
        zone[0] += 1;
        let is_isolated =
            i == 0 || (hit.onset - hits[i - 1].onset) as f64 >= ISOLATED_S * sample_rate;
        isolated += is_isolated as usize;
        let Some(note) = result.note_ons.first() else {
            if !is_masked(i) {
                failed_unmasked.push((i, None));
            }
            continue;
        };
        let error = note.sample as i64 - (hit.onset + window) as i64;
        *errors.entry(error).or_default() += 1;
        zone[match note.key {
            CENTER_NOTE => 1,
            EDGE_NOTE => 2,
            _ => 3,
        }] += 1;
        if is_isolated {
            isolated_exact += (error == 0) as usize;
        }
        if error.abs() > tail_tolerance {
            late.push((i, error));
            if !is_masked(i) {
                failed_unmasked.push((i, Some(error)));
            }
        } else if !is_isolated {
            tail_worst = tail_worst.max(error.abs());
        }
    }
    let missed = matching.missed();
    let contrast = |i: usize| click_contrast_db(&track, &hits[i], sample_rate);
    let audible_missed: Vec<usize> = missed
        .iter()
        .copied()
        .filter(|&i| contrast(i) >= BURIED_DB)
        .collect();
    let masked = (0..hits.len()).filter(|&i| is_masked(i)).count();
    let loud = hits.iter().filter(|h| h.velocity == 1.0).count();
    let quiet = hits
        .iter()
        .filter(|h| h.velocity == spec.velocity.0)
        .count();
    let ms = |samples: i64| samples as f64 * 1000.0 / sample_rate;
    eprintln!(
        "performance (seed {seed}): {:.0} s at {sample_rate} Hz, {} hits ({loud} at full velocity, {quiet} at {}; {masked} masked: \
         < {:.0} ms after a hit {MASKING_VELOCITY_RATIO}x harder), {blocks} host blocks of 1..={PERFORMANCE_MAX_BLOCK} samples",
        spec.duration_s, hits.len(), spec.velocity.0, MASKING_INTERVAL_S * 1000.0
    );
    eprintln!(
        "  sent: {} note-ons, {} note-offs, {} CC16; detector offline: {} hits; note-ons without CC16 just before: {without_cc}; \
         largest velocity error {velocity_error:.1e}",
        ons.len(), run.note_offs().len(), run.ccs.iter().filter(|c| c.controller == POSITION_CC).count(), reference.len()
    );
    eprintln!(
        "  ground truth: missed {}, late by more than {TAIL_ONSET_TOLERANCE_MS} ms {}, duplicated {}, stray {}; isolated hits {isolated}, \
         {isolated_exact} exactly at onset + window; other hits within {tail_worst} samples ({:.2} ms)",
        missed.len(), late.len(), matching.duplicated().len(), matching.stray.len(), ms(tail_worst)
    );
    eprintln!("  note-on - (true onset + window), samples: count {errors:?}");
    for (zone, [n, center, edge, unknown]) in &zones {
        eprintln!("  {zone:?}: {n} hits -> note {CENTER_NOTE}: {center}, note {EDGE_NOTE}: {edge}, unknown ({UNKNOWN_NOTE}): {unknown}");
    }
    let describe = |i: usize| {
        let before = &hits[i.saturating_sub(1)];
        format!(
            "hit {i} (radius {:.2}, velocity {:.2}, click {:+.1} dB over the ringing), {:.0} ms after a hit of velocity {:.2} (radius {:.2})",
            hits[i].radius, hits[i].velocity, contrast(i), ms((hits[i].onset - before.onset) as i64), before.velocity, before.radius
        )
    };
    for &i in &missed {
        eprintln!("  missed: {}", describe(i));
    }
    for &(i, error) in &late {
        eprintln!("  late by {:.2} ms: {}", ms(error), describe(i));
    }
    eprintln!(
        "  wall: render {render_s:.1} s, performance through the plugin {process_s:.1} s, offline reference {reference_s:.1} s, \
         seed {seed} in all {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut failures = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            failures.push(format!("seed {seed}: {what}"));
        }
    };
    check(
        velocity_error < 1e-5,
        format!("velocities differ from the peak-level mapping by up to {velocity_error}"),
    );
    check(
        without_cc == 0,
        format!("{without_cc} note-ons without CC{POSITION_CC} just before"),
    );
    check(
        unknown_with_cc == 0,
        format!("{unknown_with_cc} unknown hits sent a position CC"),
    );
    check(
        wrong_length.is_empty(),
        format!("notes not {note_len} samples long: {wrong_length:?}"),
    );
    check(
        matching.duplicated().is_empty(),
        format!(
            "hits with several note-ons: {:?}",
            matching
                .duplicated()
                .iter()
                .map(|&i| (hits[i], &matching.hits[i].note_ons))
                .collect::<Vec<_>>()
        ),
    );
    check(
        matching.stray.is_empty(),
        format!(
            "note-ons more than 10 ms from any hit's onset + window: {:?}",
            matching.stray
        ),
    );
    eprintln!(
        "  missed with a click {BURIED_DB} dB or more out of the ringing: {} of {}",
        audible_missed.len(),
        missed.len()
    );
    check(
        missed.len() as f64 <= MAX_MISSED_SHARE * hits.len() as f64,
        format!(
            "{} hits missed, more than {:.1} % of {}: {:?}",
            missed.len(),
            100.0 * MAX_MISSED_SHARE,
            hits.len(),
            missed.iter().map(|&i| describe(i)).collect::<Vec<_>>()
        ),
    );
    check(
        failed_unmasked.is_empty(),
        format!(
            "unmasked hits missed (None) or more than {TAIL_ONSET_TOLERANCE_MS} ms off onset + window (samples): {:?}",
            failed_unmasked.iter().map(|&(i, e)| (describe(i), e)).collect::<Vec<_>>()
        ),
    );
    check(
        isolated_exact == isolated,
        format!("isolated hits off onset + window: {errors:?}"),
    );
    check(
        late.len() as f64 <= MAX_LATE_SHARE * hits.len() as f64,
        format!("{} of {} hits late", late.len(), hits.len()),
    );
    failures
}
