//! Single-hit files, as a drummer records them to train on: one hit of a drum in a room over a
//! noise floor, and in a quarter of them a second drum 12–26 dB down somewhere in the file;
//! and dry single strokes (every layer of every piece alone, no room).

use std::sync::Arc;

use super::groove::snare_velocity;
use super::hydrogen::{Category, Group, Instrument, Kit};
use super::render::{path_of, render, Mix, Stroke, Take, PATHS};
use super::room::Room;
use super::truth::{Event, Tag, Tags};
use crate::signal::Rng;

/// Level of the backbeat in a training take, in dBFS (its noise floor is 60 dB under).
pub const TRAINING_REFERENCE_DBFS: f32 = -6.0;
/// Time between the starts of two training takes, in seconds: a drummer records them one
/// after the other, so examples of different takes are never near in time. Recording times
/// matter to training (`timbrel_learn::doubt::timing` flags a hit within 250 ms after a hit
/// 6 dB louder as a retrigger), so reports that render each take from time 0 place take `k`
/// at `k * TAKE_SPACING_S`.
pub const TAKE_SPACING_S: f64 = 1000.0;

/// A training take as a drummer plays it to teach a class: `count` strokes of `instrument`,
/// 0.5 s apart, each at a level drawn from `levels_db` (dB under the backbeat; the layer
/// Hydrogen plays at that level), in `room` over a noise floor. Mono, at the kit's rate.
pub fn training_take(
    instrument: &Instrument,
    room: &Room,
    count: usize,
    seed: u64,
    levels_db: (f32, f32),
) -> Vec<f32> {
    training_take_with(instrument, room, count, seed, levels_db, false)
}

/// [`training_take`], or with `crescendo` a take from soft to loud: stroke `i` of `count` at a
/// level drawn from the `i`-th of `count` equal slices of `levels_db`, so every part of the
/// range is played once, the loudest strokes included (random levels leave the top 1.5 dB of
/// a 32 dB range, a Hydrogen snare's loudest layer, out of two takes in three).
pub fn training_take_with(
    instrument: &Instrument,
    room: &Room,
    count: usize,
    seed: u64,
    levels_db: (f32, f32),
    crescendo: bool,
) -> Vec<f32> {
    let sample_rate = room.sample_rate;
    let spacing = (0.5 * sample_rate) as u64;
    let mut rng = Rng::new(seed);
    let slice = (levels_db.1 - levels_db.0) / count.max(1) as f32;
    let strokes: Vec<Stroke> = (0..count as u64)
        .map(|i| {
            let level_db = if crescendo {
                levels_db.0 + slice * (i as f32 + rng.unit())
            } else {
                rng.range(levels_db.0, levels_db.1)
            };
            Stroke::of_layer(
                instrument,
                snare_velocity(level_db),
                spacing / 4 + i * spacing,
                level_db,
                true,
                Tags::NONE,
                0,
            )
        })
        .collect();
    let mix = Mix {
        name: format!("one-shots {}", instrument.name),
        len: (count as u64 * spacing + spacing / 2) as usize,
        sample_rate,
        room: room.clone(),
        reference_dbfs: TRAINING_REFERENCE_DBFS,
        noise_dbfs: TRAINING_REFERENCE_DBFS - 60.0,
        seed,
    };
    render(mix, &strokes).audio
}

/// Length of a single-hit file, in seconds.
pub const FILE_S: f32 = 1.2;
/// Where the main hit starts in a file, in seconds.
pub const HIT_AT_S: (f32, f32) = (0.1, 0.4);
/// Probability that a file also holds a second drum.
pub const SECOND_PROBABILITY: f32 = 0.25;
/// How far the second drum is below the main hit, in dB.
pub const SECOND_DB: (f32, f32) = (12.0, 26.0);
/// The second drum starts at least this far from the main hit, in seconds (so that it is a
/// stroke of its own, not part of the hit).
pub const SECOND_MIN_GAP_S: f32 = 0.025;

/// Categories a single-hit file's main hit is drawn from (drums, not cymbals).
pub const MAIN_CATEGORIES: [Category; 5] = [
    Category::Snare,
    Category::SnareRimshot,
    Category::SideStick,
    Category::Tom,
    Category::Kick,
];

/// A seeded single-hit file from one of `kits` (all at the same rate): a drum hit of one of
/// [`MAIN_CATEGORIES`] at a random velocity (layer and level: a stroke at Hydrogen velocity v is
/// `20 log10(v)` dB, at least -30 dB, relative to a full stroke peaking at -8..-3 dBFS), at
/// [`HIT_AT_S`], in a random room over a noise floor of -72..-60 dBFS; in
/// [`SECOND_PROBABILITY`] of files a second piece (any other category but [`Category::Other`])
/// [`SECOND_DB`] below it, at least [`SECOND_MIN_GAP_S`] before or after it.
pub fn single_hit_file(kits: &[Arc<Kit>], seed: u64) -> Take {
    let mut rng = Rng::new(seed ^ 0x0001_5407);
    let kit = &kits[(rng.next_u64() % kits.len() as u64) as usize];
    let sr = kit.sample_rate;
    let mains: Vec<(usize, &super::hydrogen::Instrument)> = kit
        .instruments
        .iter()
        .enumerate()
        .filter(|(_, i)| MAIN_CATEGORIES.contains(&i.category))
        .collect();
    let (main_index, main) = mains[(rng.next_u64() % mains.len() as u64) as usize];
    let velocity = rng.range(0.05, 1.0);
    let level_db = (20.0 * velocity.log10()).max(-30.0);
    let at = rng.range(HIT_AT_S.0, HIT_AT_S.1);
    let onset = (at * sr).round() as u64;
    let mut strokes = vec![Stroke::of_layer(
        main,
        velocity,
        onset,
        level_db,
        true,
        Tags::NONE,
        0,
    )];
    if rng.unit() < SECOND_PROBABILITY {
        let others: Vec<(usize, &super::hydrogen::Instrument)> = kit
            .instruments
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != main_index)
            .collect();
        let (k, other) = others[(rng.next_u64() % others.len() as u64) as usize];
        let v = rng.range(0.3, 1.0);
        // Anywhere from 0.3 s before the hit to 0.6 s after it, not within the minimum gap.
        let mut dt = rng.range(-0.3, 0.6 - 2.0 * SECOND_MIN_GAP_S);
        if dt > -SECOND_MIN_GAP_S {
            dt += 2.0 * SECOND_MIN_GAP_S;
        }
        let t = (at + dt).max(0.01);
        strokes.push(Stroke::of_layer(
            other,
            v,
            (t * sr).round() as u64,
            level_db - rng.range(SECOND_DB.0, SECOND_DB.1),
            false,
            Tags::NONE.with(Tag::Second),
            path_of(other.category, false, k).max(1),
        ));
    }
    let reference_dbfs = rng.range(-8.0, -3.0);
    let noise_dbfs = rng.range(-72.0, -60.0);
    render(
        Mix {
            name: format!(
                "single hit {} {} seed {seed} @ {sr} Hz",
                kit.name, main.name
            ),
            len: (FILE_S * sr) as usize,
            sample_rate: sr,
            room: Room::random(PATHS, sr, seed),
            reference_dbfs,
            noise_dbfs,
            seed,
        },
        &strokes,
    )
}

/// One dry stroke: a layer alone at its recorded level, after 0.1 s of silence.
#[derive(Debug, Clone)]
pub struct DryStroke {
    /// The piece's group.
    pub group: Group,
    /// The take (one event, no room, no added noise).
    pub take: Take,
}

/// Every layer of every instrument of `kit` in `groups`, dry: the file's own audio (from its
/// lead before the attack to its cut) after 0.1 s of digital silence, with 0.2 s after it.
pub fn dry_strokes(kit: &Kit, groups: &[Group]) -> Vec<DryStroke> {
    let sr = kit.sample_rate;
    let mut out = Vec::new();
    for inst in kit
        .instruments
        .iter()
        .filter(|i| groups.contains(&i.category.group()))
    {
        for layer in &inst.layers {
            let onset = (0.1 * sr) as u64;
            let len = onset as usize + layer.audio.len() - layer.attack + (0.2 * sr) as usize;
            let mut audio = vec![0.0f32; len];
            let start = onset as usize - layer.attack;
            audio[start..start + layer.audio.len()].copy_from_slice(&layer.audio);
            let level_db = 20.0 * layer.peak.log10();
            out.push(DryStroke {
                group: inst.category.group(),
                take: Take {
                    name: format!("dry {} {} {}", kit.name, inst.name, layer.file_name()),
                    sample_rate: sr,
                    audio,
                    events: vec![Event {
                        onset,
                        piece: inst.category,
                        instrument: inst.name.clone(),
                        layer: layer.file_name(),
                        target: true,
                        level_db,
                        velocity: 0.5 * (layer.velocity.0 + layer.velocity.1),
                        tags: Tags::NONE,
                        radius: None,
                    }],
                    room: Room::dry(sr),
                    reference_dbfs: 0.0,
                    noise_dbfs: f32::NEG_INFINITY,
                },
            });
        }
    }
    out
}
