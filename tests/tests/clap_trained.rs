//! Timbrel trained and played in a real CLAP host (`clack-host`), as a DAW would: the plugin learns
//! only from automation of its `Train` parameter, then classifies snare hits of known strike
//! position (timbrel-core's synthesizer) at known onsets. Loads the built
//! `target/bundled/Timbrel.clap`; gated behind `TIMBREL_HOST_TESTS=1` like `clap_host.rs`.
//!
//! Timing contract checked here: every hit gives, at sample `onset + window` exactly (window = the
//! `win` parameter, 256 samples at 44.1 kHz scaled to the rate and rounded), the position CC16 and
//! immediately after it one note-on (38 centre, 40 edge); the note-off follows 50 ms later.

use std::time::Instant;
use timbrel_host_tests::clap::{Bundle, Instance, Note, Run, Session, PLUGIN_ID};
use timbrel_host_tests::drums::{
    cc_just_before, pair_notes, random_performance, spearman, Hit, Matching, PerformanceSpec, Zone,
};
use timbrel_host_tests::signal::Rng;
use timbrel_host_tests::train::{
    play_hits, play_hits_with, track_at, train_center_and_edge, Training, CENTER_NOTE, EDGE_NOTE, POSITION_CC,
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
    ((db - VELOCITY_FLOOR_DBFS) / -VELOCITY_FLOOR_DBFS).clamp(0.0, 1.0).max(1.0 / 127.0)
}

/// Checks the stream-level sanity every run must have.
fn assert_clean_stream(run: &Run, what: &str) {
    assert_eq!(run.events_out_of_block, 0, "{what}: events outside their block");
    assert_eq!(run.events_out_of_order, 0, "{what}: events out of time order");
    assert_eq!(run.other_events, 0, "{what}: only notes and CCs expected");
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

    // The sequence: centre and edge hits at varied velocities, and in-between radii 0.2..0.75 at
    // three velocities each, in a seeded shuffled order, 0.5 s apart (no overlap), at onsets that
    // fall anywhere in the host's blocks.
    let mut specs: Vec<(f32, f32)> = [(0.0, 0.9), (0.05, 0.25), (0.1, 0.6), (0.14, 1.0), (0.08, 0.4)]
        .into_iter()
        .chain([(0.8, 0.3), (0.85, 0.9), (0.9, 0.6), (0.95, 1.0), (0.88, 0.45)])
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
    assert!(matching.stray.is_empty(), "note-ons that belong to no hit: {:?}", matching.stray);
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
        let cc = cc_just_before(&run, &note, POSITION_CC)
            .unwrap_or_else(|| panic!("hit {hit:?}: no CC{POSITION_CC} at {} just before its note-on", note.sample));
        // The velocity follows the peak of the analysed window (the mono mix of two identical
        // channels is the track itself).
        let from = (hit.onset - start) as usize;
        let peak = track[from..from + window as usize].iter().fold(0.0f32, |m, x| m.max(x.abs()));
        velocity_errors.push((note.velocity - expected_velocity(peak)).abs());
        classified.push(Classified { hit: *hit, note, cc: cc.value, peak: peak as f64 });
    }
    classified.sort_by(|a, b| a.hit.radius.total_cmp(&b.hit.radius).then(a.hit.velocity.total_cmp(&b.hit.velocity)));
    eprintln!("radius velocity  note  CC16  peak dBFS  MIDI velocity");
    for c in &classified {
        eprintln!("{:6.2} {:8.2}  {:4}  {:4}  {:9.1}  {:5.1}",
            c.hit.radius, c.hit.velocity, c.note.key, c.cc, 20.0 * c.peak.log10(), c.note.velocity * 127.0);
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
            Zone::Between => assert!([CENTER_NOTE, EDGE_NOTE].contains(&c.note.key), "in-between hit {:?}: note {}", c.hit, c.note.key),
        }
    }
    // The position rises with the radius: over all hits, and monotonically (up to a tolerance)
    // across the in-between hits.
    let radii: Vec<f64> = classified.iter().map(|c| c.hit.radius as f64).collect();
    let ccs: Vec<f64> = classified.iter().map(|c| c.cc as f64).collect();
    let rho = spearman(&radii, &ccs);
    let between: Vec<&Classified> = classified.iter().filter(|c| c.hit.zone() == Zone::Between).collect();
    let rho_between = spearman(
        &between.iter().map(|c| c.hit.radius as f64).collect::<Vec<_>>(),
        &between.iter().map(|c| c.cc as f64).collect::<Vec<_>>(),
    );
    // Largest drop of CC16 from a hit to any hit struck at least 0.1 further out.
    let worst_drop = between
        .iter()
        .flat_map(|a| between.iter().filter(move |b| b.hit.radius >= a.hit.radius + 0.1 - 1e-6).map(move |b| a.cc as i32 - b.cc as i32))
        .max()
        .unwrap_or(0);
    let velocities: Vec<f64> = classified.iter().map(|c| c.note.velocity).collect();
    let peaks: Vec<f64> = classified.iter().map(|c| c.peak).collect();
    let max_velocity_error = velocity_errors.iter().fold(0.0f64, |m, &e| m.max(e));
    eprintln!(
        "Spearman rho(radius, CC16): all hits {rho:.3}, in-between hits {rho_between:.3}; largest CC16 drop \
         over +0.1 radius {worst_drop}; largest velocity error {max_velocity_error:.2e}"
    );
    assert!(rho > 0.9, "CC16 does not follow the radius: Spearman rho {rho:.3}");
    assert!(rho_between > 0.8, "CC16 of in-between hits does not follow the radius: rho {rho_between:.3}");
    assert!(worst_drop <= 16, "CC16 drops by {worst_drop} from one in-between hit to one struck 0.1 further out");

    // Velocity: exactly the level mapping (so it rises with the hit's peak level), and for hits
    // struck at the same place, it rises with the stick velocity.
    assert!(max_velocity_error < 1e-5, "velocity differs from the peak-level mapping by up to {max_velocity_error}");
    assert!(velocities.iter().all(|&v| v > 0.0 && v <= 1.0));
    let rho_level = spearman(&peaks, &velocities);
    eprintln!("Spearman rho(window peak level, MIDI velocity) {rho_level:.4}");
    assert!(rho_level > 0.999, "MIDI velocity does not rise with the peak level: rho {rho_level}");
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
                w[0].hit, w[0].note.velocity * 127.0, w[1].hit, w[1].note.velocity * 127.0
            );
        }
    }

    // Note-offs: each note ends exactly 50 ms after it started, nothing is left sounding.
    let notes: Vec<Note> = run.notes.iter().copied().filter(|n| n.sample >= start).collect();
    let pairs = pair_notes(&notes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pairs.len(), hits.len());
    for (on, off) in pairs {
        assert_eq!(off.sample - on.sample, note_len_samples(sample_rate), "note {on:?} ended at {off:?}");
    }
}
