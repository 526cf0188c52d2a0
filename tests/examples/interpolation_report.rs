//! How the interpolation follows strike position in a room with bleed (issue #14, item 4).
//!
//! `cargo run --release -p timbrel-host-tests --example interpolation_report -- [ROOMS]`
//!
//! For each of ROOMS seeded rooms (default 6; kits' bleed from the five groove kits in turn), a
//! model is trained as a drummer would in that room: 20 centre (radius <= 0.12) and 20 edge
//! (0.8..0.95) one-shots of the membrane synthesizer, velocities 0.3..1, 0.5 s apart, noise
//! floor -70 dBFS, with the default training (`TrainConfig::default()`, as the plugin). It is
//! then tested, with the default detector, on three kinds of membrane hits (radius uniform
//! 0..0.95, velocity independent of it), all in the same room:
//! - **clean**: one hit every 0.5 s, velocities 0.2..1;
//! - **with bleed**: as clean, velocities 0.6..1, each hit with a stroke of another piece of a
//!   real kit arriving -3..+3 ms from it (closed hat -10..-20 dB, kick -15..-25, tom -6..-15,
//!   crash/ride -10..-20, relative to a full hit);
//! - **groove**: the kit-and-room renderer's membrane-snare grooves (30 s: ghosts, flams, rolls,
//!   every piece of the kit bleeding in).
//!
//! `INTERP_EXPORT=FILE` appends every training and test hit (room, material, radius, velocity,
//! descriptor, the training hits' hat descriptor, the bleed stroke within 5 ms of a test hit)
//! as JSON lines, for trying other interpolation estimators offline on the same hits.
//!
//! `BLEED=0..0.5` (hats only; kick 0.5..0.7, tom 0.7..0.85, crash 0.85..1) and
//! `BLEED_SHIFT_MS=-3..-0.5` (when the bleed stroke arrives relative to the hit) measure one
//! kind of bleed at a time.
//!
//! Printed per material and window (5.8, 2.9, 11.6 and 23 ms): detected hits, Spearman rho of the
//! interpolation with the radius and with the velocity (over every detected hit, unknown or
//! not: the position CC is sent for known hits, but the interpolation is defined for all),
//! centre/edge accuracy (radius <= 0.12 or >= 0.8; the more probable of the two classes), and
//! the share called unknown. Goals (issue #14): rho >= 0.85 at 5.8 ms (>= 0.80 at 2.9 ms),
//! |rho with velocity| <= 0.1, centre/edge accuracy >= 0.99.
//!
//! NOTE: measured on this build (6 rooms, 5.8 ms): clean 0.941; with bleed 0.596 (hats 0.62,
//! kick 0.82, toms 0.28, crash 0.85); groove 0.49. A hat *after* the hit costs little (0.89 at
//! +0.5..3 ms, 0.85 together) but a hat 0.5..3 ms *before* it takes rho to 0.06 with 55 %
//! unknown: the detector fires on the hat and the window is anchored there. Tried and dropped:
//! restricting the interpolation to the band energies below 2-4 kHz (with bleed 0.63-0.67,
//! clean 0.87-0.89); re-anchoring the hit on a louder attack up to 4 ms after the detection (in
//! the high-passed signal the hat is as loud as the membrane's attack, so it rarely fired; on the
//! raw signal it moved 26 % of lone real strokes by a few samples, whose attacks build up).
//! Then adopted: the analyzer's re-anchoring on a drum body (and click) that follows a
//! bodiless stroke (`timbrel_core::analysis::anchor`), measured with the low detection band:
//! hat before 0.061 -> 0.456 (unknown 55.0 -> 41.9 %), hat after 0.893 -> 0.893, all bleed
//! 0.596 -> 0.646, grooves 0.493 -> 0.517, clean unchanged (0.940); at 2.9 ms all bleed 0.412
//! -> 0.467, at 23 ms 0.543 -> 0.574. Looser rules (moving whenever the body band starts 0.5 ms
//! after the detection) moved about a third of lone real strokes; see `anchor_report`.
//!
//! NOTE: measured offline on `INTERP_EXPORT` (6 rooms; `learn/src/interpolation.rs` replicated
//! in numpy) and then in this report, none adopted: (1) the training hits' synthetic-hat
//! displacements added to the LDA's within-class covariance (x10): 5.8 ms clean / bleed /
//! groove 0.940 / 0.646 / 0.517 -> 0.945 / 0.672 / 0.560, but 2.9 ms clean 0.690 -> 0.661 and
//! 23 ms 0.751 / 0.574 / 0.515 -> 0.746 / 0.557 / 0.506; (2) a synthetic tom (the membrane's
//! tom preset, 10 dB under each training hit) as a second nuisance: toms with the hit
//! 0.31 -> 0.40, toms before it 0.07 -> 0.04, all bleed 0.678 at best; (3) fixed LDA
//! shrinkage 0.1-0.9 instead of Ledoit-Wolf: within +-0.03 everywhere; (4) fitting the class
//! mean mel profiles (A + t (B - A) + gain) to the hit's bands, bands louder than the model
//! counting less (bleed only adds): clean 0.80 symmetric, worse one-sided. At 5.8 ms the bleed
//! that breaks rho is a tom (-6..-15 dB, rho 0.07-0.31, 45 % unknown) and a hat *before* the hit
//! (0.54); with the hat after it, a kick or a crash rho is 0.82-0.92.
use rayon::prelude::*;
use timbrel_core::analysis::{AnalysisSettings, HitRecord};
use timbrel_host_tests::drums::spearman;
use timbrel_host_tests::kit::groove::{groove, GrooveSpec, Target};
use timbrel_host_tests::kit::hydrogen::{Category, Kit};
use timbrel_host_tests::kit::material::{drumkits_or_skip, kits, GROOVE_KITS};
use timbrel_host_tests::kit::oneshots::TAKE_SPACING_S;
use timbrel_host_tests::kit::render::{path_of, render, Mix, Stroke};
use timbrel_host_tests::kit::room::Room;
use timbrel_host_tests::kit::score::hits;
use timbrel_host_tests::kit::truth::{Event, Tags};
use timbrel_host_tests::signal::Rng;
use timbrel_learn::{train, Dataset, Example, Model, NewStroke, Prediction, TrainConfig};

/// Render rate, in Hz.
const SAMPLE_RATE: f32 = 44_100.0;
/// Training hits per class.
const PER_CLASS: usize = 20;
/// Test hits per room and material (clean, with bleed).
const TEST_HITS: usize = 60;
/// A detection belongs to a stroke within this many samples of its onset.
const MATCH: u64 = 441;
/// Radius ranges of the classes and what counts as one for the accuracy.
const CENTRE_MAX: f32 = 0.12;
const EDGE_MIN: f32 = 0.8;

/// One detected membrane hit: truth and prediction.
#[derive(Debug, Clone, Copy)]
struct Scored {
    radius: f32,
    velocity: f32,
    interpolation: f32,
    /// Probability of edge over centre + edge.
    edge: f32,
    unknown: bool,
}

/// Membrane strokes, 0.5 s apart, with radius and velocity drawn from the ranges.
fn membrane_strokes(
    count: usize,
    radius: (f32, f32),
    velocity: (f32, f32),
    rng: &mut Rng,
) -> Vec<Stroke> {
    let spacing = (0.5 * SAMPLE_RATE) as u64;
    (0..count as u64)
        .map(|i| {
            let r = rng.range(radius.0, radius.1);
            let v = rng.range(velocity.0, velocity.1);
            Stroke::membrane(spacing / 4 + i * spacing, r, v, SAMPLE_RATE, rng.next_u64())
        })
        .collect()
}

/// Which bleed strokes to draw, from the environment (read once).
#[derive(Debug, Clone, Copy)]
struct BleedSpec {
    /// `BLEED=a..b`: the part of 0..1 the kind is drawn from (hat 0..0.5, kick ..0.7, tom
    /// ..0.85, crash ..1), to measure one kind of bleed at a time. Default 0..1.
    kinds: (f32, f32),
    /// `BLEED_SHIFT_MS=a..b`: when the bleed stroke arrives relative to the hit, in
    /// milliseconds. Default -3..3.
    shift_ms: (f32, f32),
}

impl BleedSpec {
    fn from_env() -> Self {
        Self {
            kinds: env_range("BLEED", (0.0, 1.0)),
            shift_ms: env_range("BLEED_SHIFT_MS", (-3.0, 3.0)),
        }
    }
}

/// The range `a..b` in environment variable `name`, or `default`.
fn env_range(name: &str, default: (f32, f32)) -> (f32, f32) {
    std::env::var(name)
        .ok()
        .and_then(|r| {
            let (a, b) = r.split_once("..")?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .unwrap_or(default)
}

/// A stroke of another piece of `kit` near `onset` (as `spec` says), at a close-mic bleed level.
fn bleed_stroke(kit: &Kit, onset: u64, rng: &mut Rng, spec: &BleedSpec) -> Option<Stroke> {
    let (a, b) = spec.kinds;
    let draw = a + rng.range(0.0, 1.0) * (b - a);
    let (category, level) = match draw {
        x if x < 0.5 => (Category::HiHatClosed, rng.range(-20.0, -10.0)),
        x if x < 0.7 => (Category::Kick, rng.range(-25.0, -15.0)),
        x if x < 0.85 => (Category::Tom, rng.range(-15.0, -6.0)),
        _ => (Category::Crash, rng.range(-20.0, -10.0)),
    };
    let instruments: Vec<_> = kit.of(category).collect();
    if instruments.is_empty() {
        return None;
    }
    let index = (rng.next_u64() % instruments.len() as u64) as usize;
    let velocity = rng.range(0.5, 1.0);
    let shift = rng.range(spec.shift_ms.0, spec.shift_ms.1) * 0.001 * SAMPLE_RATE;
    Some(Stroke::of_layer(
        instruments[index],
        velocity,
        (onset as f32 + shift).max(0.0) as u64,
        level,
        false,
        Tags::NONE,
        path_of(category, false, index),
    ))
}

fn mix(name: &str, strokes: &[Stroke], room: &Room, seed: u64) -> Mix {
    let last = strokes.iter().map(|s| s.event.onset).max().unwrap_or(0);
    Mix {
        name: name.to_owned(),
        len: last as usize + SAMPLE_RATE as usize / 2,
        sample_rate: SAMPLE_RATE,
        room: room.clone(),
        reference_dbfs: -12.0,
        noise_dbfs: -70.0,
        seed,
    }
}

/// With `INTERP_EXPORT` naming a file, appends one JSON line per hit (for trying other
/// interpolation estimators offline on the same descriptors).
fn export(line: serde_json::Value) {
    static FILE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    if let Ok(p) = std::env::var("INTERP_EXPORT") {
        use std::io::Write;
        let _guard = FILE.lock().unwrap();
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .expect("open INTERP_EXPORT");
        writeln!(f, "{line}").unwrap();
    }
}

/// What bleed stroke, if any, starts within 5 ms of `e`: (piece, shift in ms, level in dB).
fn bleed_near(events: &[Event], e: &Event) -> Option<(String, f32, f32)> {
    events
        .iter()
        .filter(|b| !b.target && b.onset.abs_diff(e.onset) <= 5 * 441 / 10)
        .min_by_key(|b| b.onset.abs_diff(e.onset))
        .map(|b| {
            let ms = (b.onset as f32 - e.onset as f32) / SAMPLE_RATE * 1000.0;
            (b.piece.name().to_owned(), ms, b.level_db)
        })
}

/// The hit nearest to each target event's onset (within [`MATCH`]), paired with the event.
fn matched<'a>(events: &'a [Event], hits: &'a [HitRecord]) -> Vec<(&'a Event, &'a HitRecord)> {
    events
        .iter()
        .filter(|e| e.target && e.radius.is_some())
        .filter_map(|e| {
            hits.iter()
                .filter(|h| h.onset_sample.abs_diff(e.onset) <= MATCH)
                .min_by_key(|h| h.onset_sample.abs_diff(e.onset))
                .map(|h| (e, h))
        })
        .collect()
}

/// A centre/edge model trained on one-shots in `room`.
fn trained(room: &Room, settings: AnalysisSettings, seed: u64, tag: &str) -> Model {
    let mut dataset = Dataset::default();
    let mut rng = Rng::new(seed);
    for (class, radius) in [(0usize, (0.0, CENTRE_MAX)), (1, (EDGE_MIN, 0.95))] {
        let strokes = membrane_strokes(PER_CLASS, radius, (0.3, 1.0), &mut rng);
        let take = render(
            mix("one-shots", &strokes, room, seed + class as u64),
            &strokes,
        );
        let found = hits(&take.audio, SAMPLE_RATE, settings, true);
        for (event, hit) in matched(&take.events, &found) {
            let time = class as f64 * TAKE_SPACING_S + event.onset as f64 / SAMPLE_RATE as f64;
            export(serde_json::json!({
                "tag": tag, "set": "train", "class": class, "radius": event.radius,
                "velocity": event.velocity, "d": &hit.descriptor[..],
                "hat": hit.hat_descriptor.as_ref().map(|d| d.to_vec()),
            }));
            dataset
                .add_example(Example::from_hit(hit, class, time))
                .expect("valid example");
        }
    }
    train(&dataset, &TrainConfig::default()).expect("trains")
}

fn score(model: &Model, events: &[Event], found: &[HitRecord]) -> Vec<Scored> {
    matched(events, found)
        .into_iter()
        .map(|(e, h)| {
            let mut p = Prediction::default();
            model.classify_hit(h, 1.0, NewStroke::Auto, &mut p);
            let (c, d) = (p.probabilities[0], p.probabilities[1]);
            Scored {
                radius: e.radius.unwrap(),
                velocity: e.velocity,
                interpolation: p.interpolation,
                edge: d / (c + d).max(1e-9),
                unknown: p.is_unknown(),
            }
        })
        .collect()
}

/// (rho radius, rho velocity, centre/edge accuracy, unknown share, hits).
fn summary(s: &[Scored]) -> (f64, f64, f64, f64, usize) {
    let interp: Vec<f64> = s.iter().map(|x| x.interpolation as f64).collect();
    let radius: Vec<f64> = s.iter().map(|x| x.radius as f64).collect();
    let velocity: Vec<f64> = s.iter().map(|x| x.velocity as f64).collect();
    let ends: Vec<&Scored> = s
        .iter()
        .filter(|x| x.radius <= CENTRE_MAX || x.radius >= EDGE_MIN)
        .collect();
    let right = ends
        .iter()
        .filter(|x| (x.edge > 0.5) == (x.radius >= EDGE_MIN))
        .count();
    let unknown = s.iter().filter(|x| x.unknown).count();
    (
        spearman(&interp, &radius),
        spearman(&interp, &velocity),
        right as f64 / ends.len().max(1) as f64,
        unknown as f64 / s.len().max(1) as f64,
        s.len(),
    )
}

fn main() {
    if drumkits_or_skip("interpolation_report").is_none() {
        return;
    }
    let rooms: u64 = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let kits = kits(&GROOVE_KITS, SAMPLE_RATE).expect("kits load");
    let bleed = BleedSpec::from_env();
    println!("| material | window | hits | rho(interp, radius) | rho(interp, velocity) | centre/edge accuracy | unknown |");
    println!("|---|---|---|---|---|---|---|");
    for window in [256u32, 128, 1024] {
        let settings = AnalysisSettings {
            window_ref_samples: window,
            ..AnalysisSettings::default()
        };
        let per_room: Vec<[Vec<Scored>; 3]> = (0..rooms)
            .into_par_iter()
            .map(|r| {
                let kit = &kits[r as usize % kits.len()];
                let seed = 1000 + r * 17;
                let groove_take = groove(
                    kit,
                    Target::Membrane,
                    &GrooveSpec {
                        duration_s: 30.0,
                        ..GrooveSpec::default()
                    },
                    seed + 7,
                );
                // The drummer trains where they play: everything in the groove's room.
                let room = groove_take.room.clone();
                let tag = format!("{window}/{r}");
                let model = trained(&room, settings, seed, &tag);
                let mut rng = Rng::new(seed ^ 0x7e57);
                let clean = membrane_strokes(TEST_HITS, (0.0, 0.95), (0.2, 1.0), &mut rng);
                let clean_take = render(mix("clean", &clean, &room, seed + 5), &clean);
                let mut bled = membrane_strokes(TEST_HITS, (0.0, 0.95), (0.6, 1.0), &mut rng);
                let extra: Vec<Stroke> = bled
                    .iter()
                    .filter_map(|s| bleed_stroke(kit, s.event.onset, &mut rng, &bleed))
                    .collect();
                bled.extend(extra);
                bled.sort_by_key(|s| s.event.onset);
                let bled_take = render(mix("bleed", &bled, &room, seed + 6), &bled);
                [&clean_take, &bled_take, &groove_take].map(|take| {
                    let found = hits(&take.audio, SAMPLE_RATE, settings, false);
                    for (e, h) in matched(&take.events, &found) {
                        export(serde_json::json!({
                            "tag": tag, "set": take.name, "radius": e.radius,
                            "velocity": e.velocity, "d": &h.descriptor[..],
                            "bleed": bleed_near(&take.events, e),
                        }));
                    }
                    score(&model, &take.events, &found)
                })
            })
            .collect();
        let ms = window as f32 / 44.1;
        for (k, name) in [
            "membrane in a room, clean",
            "membrane + simultaneous bleed",
            "membrane-snare groove on a real kit",
        ]
        .iter()
        .enumerate()
        {
            let all: Vec<Scored> = per_room.iter().flat_map(|m| m[k].clone()).collect();
            let (rr, rv, acc, unk, n) = summary(&all);
            let spread: Vec<String> = per_room
                .iter()
                .map(|m| format!("{:.2}", summary(&m[k]).0))
                .collect();
            println!(
                "| {name} | {ms:.1} ms | {n} | {rr:.3} (rooms {}) | {rv:+.3} | {:.3} | {:.1} % |",
                spread.join(" "),
                acc,
                100.0 * unk
            );
        }
    }
}
