//! The default onset detector on realistic material built from recordings we did not make (issue
//! 13): the Hydrogen kits (Debian's hydrogen-data and hydrogen-drumkits) and the membrane
//! synthesizer, heard by a close snare mic in a room with every other kit piece bleeding in
//! (`timbrel_host_tests::kit`). The goals are the issue's; the numbers print first, so a failure
//! shows the whole picture (`cargo test --release -p timbrel-host-tests --test
//! real_kit_detection -- --nocapture`; `examples/detection_report.rs` prints more).
//!
//! These tests use timbrel-core directly, not the plugin bundle. Without the kits they skip with
//! a note, except in CI (`CI` set), where missing kits fail.

use timbrel_core::analysis::levels::LEARN_SECONDS;
use timbrel_core::analysis::AnalysisSettings;
use timbrel_host_tests::kit::attack::peak;
use timbrel_host_tests::kit::groove::{groove, plan, GrooveSpec, Target};
use timbrel_host_tests::kit::hydrogen::{shared_kit, Category, Group};
use timbrel_host_tests::kit::material::{
    drumkits_or_skip, evaluate_grooves, evaluate_grooves_with, evaluate_single_hits,
    learned_settings, GROOVE_KITS, ONESHOT_KITS, RATES,
};
use timbrel_host_tests::kit::oneshots::single_hit_file;
use timbrel_host_tests::kit::render::{render, Mix};
use timbrel_host_tests::kit::room::Room;
use timbrel_host_tests::kit::score::{median, TakeScore};

/// Grooves per kit and rate.
const SEEDS: std::ops::Range<u64> = 1..3;
/// Single-hit files.
const FILES: usize = 1200;

fn report(name: &str, s: &TakeScore) {
    eprintln!(
        "{name}: {} takes; F {:.4} (precision {:.4}); snare recall {:.4} ({}/{}), ghosts {:.4} \
         ({}/{}), rolls {:.4}, flam graces {:.4}, with hat/kick {:.4}; flams with both hits \
         {}/{}; median |error| {:.3} ms; retriggers {:.2} per 100 snare hits; detections on \
         other pieces per 100 snare hits: hat {:.2}, cymbal {:.2}, tom {:.2}, kick {:.2}",
        s.takes,
        s.f_measure(),
        s.precision(),
        s.target.rate(),
        s.target.found,
        s.target.strokes,
        s.ghost.rate(),
        s.ghost.found,
        s.ghost.strokes,
        s.roll.rate(),
        s.flam_grace.rate(),
        s.coinciding.rate(),
        s.flams.found,
        s.flams.strokes,
        s.median_error_ms(),
        s.retriggers_per_100(),
        s.bleed_detections_per_100(Group::Hat),
        s.bleed_detections_per_100(Group::Cymbal),
        s.bleed_detections_per_100(Group::Tom),
        s.bleed_detections_per_100(Group::Kick),
    );
}

/// (a) The membrane snare (known radius) in rooms, with flams, ghosts, rolls and the bleed of
/// two real kits. Met and asserted: no retriggers beyond 2 per 100 snare hits, every backbeat,
/// median timing error <= 0.5 ms.
///
/// NOTE: issue 13's goals F >= 0.99 and "both hits of every flam" are NOT met (measured: F 0.46,
/// flams 0.69, recall 0.58: ghosts 0.47, rolls 0.14). A stroke-by-stroke miss analysis showed
/// why: every missed stroke was blocked by the 7 dB rise threshold, and most are buried (their
/// click adds less than 3 dB to the hat, wash or tail sounding with them); F also counts every
/// detected hat, cymbal, tom and kick stroke (about 90 per 100 snare hits here) as false, which
/// only the classifier can turn into "unknown". The floors below guard what the detector does
/// today (before the retrigger mask: recall 0.69 with 41 retriggers per 100 snare hits).
#[test]
fn membrane_snare_with_real_bleed_in_rooms() {
    if drumkits_or_skip("membrane_snare_with_real_bleed_in_rooms").is_none() {
        return;
    }
    let s = evaluate_grooves(
        &GROOVE_KITS[..2],
        Target::Membrane,
        SEEDS,
        &RATES,
        &GrooveSpec::default(),
        AnalysisSettings::default(),
    )
    .expect("kits load");
    report("membrane grooves", &s);
    assert!(s.flams.strokes > 0 && s.ghost.strokes > 0 && s.roll.strokes > 0);
    assert!(
        s.retriggers_per_100() <= 2.0,
        "{:.2} retriggers per 100 snare hits > 2",
        s.retriggers_per_100()
    );
    assert_eq!(
        s.main.found, s.main.strokes,
        "every backbeat and flam main stroke"
    );
    assert!(
        s.target.rate() >= 0.55,
        "recall {:.4} < 0.55",
        s.target.rate()
    );
    assert!(s.flams.rate() >= 0.65, "flams {:.4} < 0.65", s.flams.rate());
    assert!(
        s.median_error_ms() <= 0.5,
        "median |timing error| {:.3} ms > 0.5 ms",
        s.median_error_ms()
    );
}

/// (b) 1,200 single-hit files over seven kits and both rates, in rooms, a quarter with a second
/// drum 12–26 dB down. Asserted: issue 13's goal, the hit found in >= 99.5 % of files (99.92 %
/// with the low detection band; 94.1 % without, the misses soft kicks whose sound above the
/// 1 kHz high-pass stays under the gate), and extra detections that are not the second drum
/// (retriggers on the hit's ringing, reflections, tail) at most 5 per 100 files (3.6; before the
/// retrigger mask: 42.9 extra detections per 100 files in all).
///
/// NOTE: issue 13's goal of <= 1 note per 100 files besides the hit is NOT met by the detector
/// alone: 18.1 extra detections per 100 files, 14.5 of them at the second drum (which the
/// classifier must call unknown).
#[test]
fn single_hit_files_in_rooms_with_bleed() {
    if drumkits_or_skip("single_hit_files_in_rooms_with_bleed").is_none() {
        return;
    }
    let s = evaluate_single_hits(&ONESHOT_KITS, &RATES, FILES, 1, AnalysisSettings::default())
        .expect("kits load");
    eprintln!(
        "single-hit files: {} files; found {:.2} %; extra {:.2} per 100 files ({} at the second \
         drum, {} files have one); median |error| {:.3} ms; found by piece {:?}; missed e.g. {:?}",
        s.files,
        s.found_percent(),
        s.extra_per_100(),
        s.extra_at_second,
        s.with_second,
        median(&s.errors_ms),
        s.by_piece
            .iter()
            .map(|(c, r)| format!("{} {}/{}", c.name(), r.found, r.strokes))
            .collect::<Vec<_>>(),
        s.missed.iter().take(3).collect::<Vec<_>>()
    );
    assert_eq!(s.files, FILES);
    assert!(
        s.found_percent() >= 99.5,
        "found {:.2} % < 99.5 %",
        s.found_percent()
    );
    let retriggers = 100.0 * (s.extra - s.extra_at_second) as f64 / s.files as f64;
    assert!(
        retriggers <= 5.0,
        "{retriggers:.2} extra detections besides the second drum per 100 files > 5"
    );
}

/// (c) Grooves on five real kits. Met and asserted: retriggers (detections at no kit event at
/// all) <= 2 per 100 snare hits (before the retrigger mask: 39.9), backbeats >= 0.99.
///
/// NOTE: issue 13's goal "snare recall >= 0.98 including ghost notes" is NOT met: recall 0.63
/// (backbeats 0.996, ghosts 0.49, rolls 0.19, flam graces 0.71; before the mask 0.695 with
/// ghosts 0.59). About 95 % of the missed ghosts and 90 % of the missed roll strokes are buried
/// under hat and cymbal bleed above 1 kHz (stroke-by-stroke miss analysis); the floor
/// guards today's recall.
#[test]
fn real_kit_grooves() {
    if drumkits_or_skip("real_kit_grooves").is_none() {
        return;
    }
    let s = evaluate_grooves(
        &GROOVE_KITS,
        Target::Kit,
        SEEDS,
        &RATES,
        &GrooveSpec::default(),
        AnalysisSettings::default(),
    )
    .expect("kits load");
    report("real-kit grooves", &s);
    assert!(s.ghost.strokes > 0 && s.coinciding.strokes > 0);
    assert!(
        s.main.rate() >= 0.99,
        "backbeats {:.4} < 0.99",
        s.main.rate()
    );
    assert!(
        s.target.rate() >= 0.6,
        "snare recall {:.4} < 0.6 (ghost notes {:.4})",
        s.target.rate(),
        s.ghost.rate()
    );
    assert!(
        s.retriggers_per_100() <= 2.0,
        "{:.2} retriggers per 100 snare hits > 2",
        s.retriggers_per_100()
    );
}

/// The same seed renders the same take, another seed another one; and every stroke's ground
/// truth onset is where its sound starts: rendered alone and dry, the stroke has no energy in the
/// 2 ms before its onset (40 dB below its first 10 ms) and its sound is there within 1 ms after.
#[test]
fn renders_are_seeded_and_onsets_are_where_the_sound_starts() {
    if drumkits_or_skip("renders_are_seeded_and_onsets_are_where_the_sound_starts").is_none() {
        return;
    }
    let spec = GrooveSpec {
        duration_s: 8.0,
        ..GrooveSpec::default()
    };
    for (name, rate) in [("GMRockKit", 44_100.0), ("BJA_Pacific", 48_000.0)] {
        let kit = shared_kit(name, rate).expect("kit loads");
        let a = groove(&kit, Target::Kit, &spec, 5);
        let b = groove(&kit, Target::Kit, &spec, 5);
        assert_eq!(a.audio, b.audio, "{name}");
        assert_eq!(a.events, b.events, "{name}");
        let c = groove(&kit, Target::Kit, &spec, 6);
        assert_ne!(a.events, c.events, "{name}");
        assert!(a.audio.iter().all(|x| x.is_finite()));

        let (mix, strokes) = plan(&kit, Target::Kit, &spec, 5);
        let sr = mix.sample_rate;
        let before = (0.002 * sr) as usize;
        let (ms, first) = ((0.001 * sr) as usize, (0.010 * sr) as usize);
        for s in &strokes {
            let alone = render(
                Mix {
                    room: Room::dry(sr),
                    noise_dbfs: -400.0,
                    ..mix.clone()
                },
                std::slice::from_ref(s),
            );
            let x = &alone.audio;
            let o = s.event.onset as usize;
            let energy = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>();
            let lead = energy(&x[o - before..o]);
            let head = energy(&x[o..o + first]);
            assert!(
                lead < 1e-4 * head,
                "{name} {} {} at {o}: energy before the onset {:.1} dB re its first 10 ms",
                s.event.instrument,
                s.event.layer,
                10.0 * (lead / head).log10()
            );
            let p = peak(&x[o..]);
            assert!(
                peak(&x[o..o + ms]) > 1e-3 * p,
                "{name} {} {}: silent for 1 ms after its onset",
                s.event.instrument,
                s.event.layer
            );
        }
    }
    let kits: Vec<_> = ["GMRockKit", "ForzeeStereo"]
        .iter()
        .map(|n| shared_kit(n, 48_000.0).expect("kit loads"))
        .collect();
    let one = single_hit_file(&kits, 11);
    assert_eq!(one.audio, single_hit_file(&kits, 11).audio);
    assert_ne!(one.audio, single_hit_file(&kits, 12).audio);
    assert_eq!(one.events.iter().filter(|e| e.target).count(), 1);
}

/// Kits load from drumkit.xml with their velocity layers, in every format the kits use (wav,
/// flac, aiff), stereo files mixed to mono, resampled to the render rate.
#[test]
fn kits_load_with_their_velocity_layers() {
    if drumkits_or_skip("kits_load_with_their_velocity_layers").is_none() {
        return;
    }
    let gm = shared_kit("GMRockKit", 44_100.0).expect("GMRockKit loads");
    let snare = gm.first(Category::Snare).expect("a snare");
    let names: Vec<String> = snare
        .layers
        .iter()
        .map(|l| l.file.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    // GMRockKit's layers, softest to hardest, with drumkit.xml's velocity ranges.
    assert_eq!(
        names,
        [
            "Snare-Softest.wav",
            "Snare-Soft.wav",
            "Snare-Med.wav",
            "Snare-Hard.wav",
            "Snare-Hardest.wav"
        ]
    );
    assert_eq!(snare.layers[0].velocity.0, 0.0);
    assert_eq!(snare.layers[4].velocity.1, 1.0);
    assert!(snare
        .layers
        .windows(2)
        .all(|w| w[0].velocity.1 <= w[1].velocity.0 + 1e-6));
    // Every category but the snare (checked above) and Other (skipped when loading).
    for c in Category::ALL
        .into_iter()
        .filter(|c| !matches!(c, Category::Snare | Category::Other))
    {
        assert!(gm.first(c).is_some(), "GMRockKit has a {}", c.name());
    }
    // Stereo 24-bit wav at 48 kHz, flac, aiff; resampled.
    for (name, format, source_rate) in [
        ("ForzeeStereo", "wav", 48_000),
        ("Millo_MultiLayered2", "flac", 44_100),
        ("BJA_Pacific", "aiff", 44_100),
    ] {
        let kit = shared_kit(name, 48_000.0).expect("kit loads");
        let layers: Vec<_> = kit.instruments.iter().flat_map(|i| &i.layers).collect();
        assert!(layers.len() > 20, "{name}: {} layers", layers.len());
        for l in &layers {
            assert_eq!(l.file.extension().unwrap(), format);
            assert_eq!(l.source_rate, source_rate, "{}", l.file.display());
            assert!(l.peak > 1e-3 && l.attack < l.audio.len());
            assert!(l.audio.iter().all(|x| x.is_finite()));
        }
        assert!(kit.first(Category::Snare).is_some() && kit.first(Category::Kick).is_some());
    }
}

/// "Learn levels" on the real-kit grooves: learned from each take's first 8 s, the detections of
/// the whole take are no worse than the defaults' (recall within 0.01, retriggers within 0.5 per
/// 100 snare hits and the goal of 2), and a take recorded 20 dB too quiet or too loud gets the same
/// recall as one at the usual level (measured: 0.63 learned at every level; the defaults give
/// 0.44 at -20 dB).
#[test]
fn learned_levels_never_worse_and_rescue_a_level_20_db_off() {
    if drumkits_or_skip("learned_levels_never_worse_and_rescue_a_level_20_db_off").is_none() {
        return;
    }
    let defaults = AnalysisSettings::default();
    let score = |gain_db: f32, learn: bool| {
        let gain = 10f32.powf(gain_db / 20.0);
        evaluate_grooves_with(
            &GROOVE_KITS,
            Target::Kit,
            SEEDS,
            &RATES,
            &GrooveSpec::default(),
            |take| {
                take.audio.iter_mut().for_each(|x| *x *= gain);
                if learn {
                    learned_settings(take, defaults, LEARN_SECONDS)
                } else {
                    defaults
                }
            },
        )
        .expect("kits load")
    };
    let usual = score(0.0, false);
    let learned = score(0.0, true);
    report("real-kit grooves, default levels", &usual);
    report("real-kit grooves, learned levels", &learned);
    assert!(learned.target.rate() >= usual.target.rate() - 0.01);
    assert!(learned.retriggers_per_100() <= (usual.retriggers_per_100() + 0.5).min(2.0));
    let quiet_default = score(-20.0, false);
    for gain_db in [-20.0, 20.0] {
        let s = score(gain_db, true);
        report(&format!("real-kit grooves at {gain_db:+} dB, learned"), &s);
        assert!(
            (s.target.rate() - learned.target.rate()).abs() <= 0.01,
            "{gain_db} dB: recall {:.4} vs {:.4}",
            s.target.rate(),
            learned.target.rate()
        );
        assert!(s.retriggers_per_100() <= 2.0);
    }
    assert!(quiet_default.target.rate() < learned.target.rate() - 0.1);
}
