//! The material the detection report (`examples/detection_report.rs`) and the tests
//! (`tests/real_kit_detection.rs`) use, and its evaluation with a given detector setting:
//! (a) membrane-snare grooves on real kits' bleed, (b) single-hit files, (c) real-kit grooves,
//! (d) dry single strokes.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;
use timbrel_core::analysis::AnalysisSettings;

use super::groove::{groove, GrooveSpec, Target};
use super::hydrogen::{drumkits_dir, shared_kit, Group, Kit, KitError};
use super::oneshots::{dry_strokes, single_hit_file};
use super::render::Take;
use super::score::{detect, OneShotScore, StrokeScore, TakeScore};
use timbrel_core::analysis::levels::LevelLearner;

/// Kits with a snare, hats, cymbals, toms and a kick, for grooves.
pub const GROOVE_KITS: [&str; 5] = [
    "GMRockKit",
    "ForzeeStereo",
    "BJA_Pacific",
    "Millo_MultiLayered2",
    "ColomboAcousticDrumkit",
];
/// Kits for single-hit files and dry strokes (The Black Pearl shares many of GMRockKit's
/// recordings).
pub const ONESHOT_KITS: [&str; 7] = [
    "GMRockKit",
    "ForzeeStereo",
    "BJA_Pacific",
    "Millo_MultiLayered2",
    "Millo_MultiLayered3",
    "ColomboAcousticDrumkit",
    "The Black Pearl 1.0",
];
/// Render rates, in Hz.
pub const RATES: [f32; 2] = [44_100.0, 48_000.0];

/// The Hydrogen kits' directory, or `None` with a printed note if they are not installed and
/// `CI` is not set. Panics if they are missing in CI (`CI=true`): there their absence is a
/// broken setup (`tests/run.sh` installs them), not a reason to skip.
pub fn drumkits_or_skip(test: &str) -> Option<PathBuf> {
    if let Some(dir) = drumkits_dir() {
        return Some(dir);
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    assert!(
        !ci,
        "{test}: the Hydrogen drum kits are missing (CI is set): install hydrogen-data and \
         hydrogen-drumkits (tests/run.sh does), or set TIMBREL_DRUMKITS"
    );
    eprintln!(
        "{test}: skipped; the Hydrogen drum kits are not installed \
         (apt-get install hydrogen-data hydrogen-drumkits, or set TIMBREL_DRUMKITS)"
    );
    None
}

/// Kits `names` at `sample_rate` (shared, loaded once per process).
pub fn kits(names: &[&str], sample_rate: f32) -> Result<Vec<Arc<Kit>>, KitError> {
    names
        .par_iter()
        .map(|n| shared_kit(n, sample_rate))
        .collect()
}

/// Grooves of `seeds` on each of `kits` at each of `rates`, with `target` as the snare, scored
/// against the detections of `settings` (each take in its own random block sizes).
pub fn evaluate_grooves(
    kit_names: &[&str],
    target: Target,
    seeds: Range<u64>,
    rates: &[f32],
    spec: &GrooveSpec,
    settings: AnalysisSettings,
) -> Result<TakeScore, KitError> {
    evaluate_grooves_with(kit_names, target, seeds, rates, spec, |_| settings)
}

/// As [`evaluate_grooves`], but `prepare` may change each take (its level, say) and chooses the
/// settings it is analysed with (learned from the take, say).
pub fn evaluate_grooves_with(
    kit_names: &[&str],
    target: Target,
    seeds: Range<u64>,
    rates: &[f32],
    spec: &GrooveSpec,
    prepare: impl Fn(&mut Take) -> AnalysisSettings + Sync,
) -> Result<TakeScore, KitError> {
    let mut jobs = Vec::new();
    for &rate in rates {
        for kit in kits(kit_names, rate)? {
            for seed in seeds.clone() {
                jobs.push((kit.clone(), seed));
            }
        }
    }
    Ok(jobs
        .par_iter()
        .map(|(kit, seed)| {
            let mut take = groove(kit, target, spec, *seed);
            let settings = prepare(&mut take);
            let det = detect(&take.audio, take.sample_rate, settings, *seed);
            let mut s = TakeScore::default();
            s.add_take(&take, &det);
            s
        })
        .reduce(TakeScore::default, |mut a, b| {
            a.merge(&b);
            a
        }))
}

/// `settings` with the levels a [`LevelLearner`] learns from the first `seconds` of `take` (the
/// settings themselves when it learns nothing).
pub fn learned_settings(take: &Take, settings: AnalysisSettings, seconds: f32) -> AnalysisSettings {
    let mut learner = LevelLearner::new(take.sample_rate, &settings.detector);
    let n = ((seconds * take.sample_rate) as usize).min(take.audio.len());
    learner.process(&take.audio[..n]);
    match learner.result() {
        Ok(levels) => AnalysisSettings {
            detector: levels.apply(settings.detector),
            ..settings
        },
        Err(_) => settings,
    }
}

/// `files` single-hit files (seeds `first_seed..`), spread over `rates` in turn, each from one of
/// `kits`, scored against the detections of `settings`.
pub fn evaluate_single_hits(
    kit_names: &[&str],
    rates: &[f32],
    files: usize,
    first_seed: u64,
    settings: AnalysisSettings,
) -> Result<OneShotScore, KitError> {
    let by_rate: Vec<Vec<Arc<Kit>>> = rates
        .iter()
        .map(|&r| kits(kit_names, r))
        .collect::<Result<_, _>>()?;
    Ok((0..files)
        .into_par_iter()
        .map(|k| {
            let seed = first_seed + k as u64;
            let take = single_hit_file(&by_rate[k % rates.len()], seed);
            let det = detect(&take.audio, take.sample_rate, settings, seed);
            let mut s = OneShotScore::default();
            s.add_file(&take, &det);
            s
        })
        .reduce(OneShotScore::default, |mut a, b| {
            a.merge(&b);
            a
        }))
}

/// Every layer of the kits' snares, toms, hats, cymbals and kicks, dry, at each of `rates`,
/// scored against the detections of `settings`.
pub fn evaluate_dry_strokes(
    kit_names: &[&str],
    rates: &[f32],
    settings: AnalysisSettings,
) -> Result<StrokeScore, KitError> {
    let groups = [
        Group::Snare,
        Group::Tom,
        Group::Hat,
        Group::Cymbal,
        Group::Kick,
    ];
    let mut strokes = Vec::new();
    for &rate in rates {
        for kit in kits(kit_names, rate)? {
            strokes.extend(dry_strokes(&kit, &groups));
        }
    }
    Ok(strokes
        .par_iter()
        .enumerate()
        .map(|(k, s)| {
            let det = detect(&s.take.audio, s.take.sample_rate, settings, k as u64);
            let mut score = StrokeScore::default();
            score.add_stroke(s.group, &s.take, &det);
            score
        })
        .reduce(StrokeScore::default, |mut a, b| {
            a.merge(&b);
            a
        }))
}
