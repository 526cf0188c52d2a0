//! Mixing strokes into a take: each stroke's sound placed so that its measured attack lands on its
//! event's onset, scaled to its event's level, heard through a [`Room`], over a noise floor.

use std::sync::Arc;

use timbrel_core::synth::Membrane;

use super::attack::{db_to_gain, peak};
use super::hydrogen::{Category, Instrument, Layer};
use super::room::Room;
use super::truth::{Event, Tag, Tags};
use crate::signal::Rng;

/// Two strokes this close count as coinciding (the matching tolerance), in seconds.
pub const COINCIDE_S: f32 = 0.010;

/// A sound to place: audio and where in it the hit starts.
#[derive(Debug, Clone)]
pub struct Sound {
    /// The audio at the render rate.
    pub audio: Arc<[f32]>,
    /// Index of the hit's first sample in `audio`.
    pub attack: usize,
    /// Peak of `audio`, linear.
    pub peak: f32,
}

impl Sound {
    /// A kit layer's sound.
    pub fn layer(layer: &Layer) -> Sound {
        Sound {
            audio: layer.audio.clone(),
            attack: layer.attack,
            peak: layer.peak,
        }
    }

    /// A snare of the membrane synthesizer struck at `radius` with `velocity` (it starts on its
    /// first sample).
    pub fn membrane(radius: f32, velocity: f32, sample_rate: f32, seed: u64) -> Sound {
        let audio = Membrane::snare().hit(radius, velocity, sample_rate, seed);
        Sound {
            peak: peak(&audio),
            audio: audio.into(),
            attack: 0,
        }
    }
}

/// One stroke: its ground truth, its sound, and the room path it reaches the mic by.
#[derive(Debug, Clone)]
pub struct Stroke {
    /// Ground truth; `onset` is where the sound's attack is placed, `level_db` sets its gain.
    pub event: Event,
    /// The sound.
    pub sound: Sound,
    /// Room path (source position; 0 is the drum the mic is on).
    pub path: usize,
}

impl Stroke {
    /// A stroke of the membrane synthesizer's snare on the drum the mic is on (path 0): struck
    /// at `radius` with `velocity` at sample `onset` of a take at `sample_rate`, at the level a
    /// drummer's velocity gives (`40 log10(velocity / 0.9)` dB under the backbeat).
    pub fn membrane(onset: u64, radius: f32, velocity: f32, sample_rate: f32, seed: u64) -> Stroke {
        Stroke {
            event: Event {
                onset,
                piece: Category::Snare,
                instrument: "membrane".to_owned(),
                layer: String::new(),
                target: true,
                level_db: 40.0 * (velocity / 0.9).log10(),
                velocity,
                tags: Tags::NONE,
                radius: Some(radius),
            },
            sound: Sound::membrane(radius, velocity, sample_rate, seed),
            path: 0,
        }
    }

    /// A stroke of a kit's `instrument` at `velocity` (0..1; the layer Hydrogen plays at it) at
    /// sample `onset`, `level_db` dB relative to the backbeat, reaching the mic by room path
    /// `path`; `target` when it is the drum the mic is on.
    pub fn of_layer(
        instrument: &Instrument,
        velocity: f32,
        onset: u64,
        level_db: f32,
        target: bool,
        tags: Tags,
        path: usize,
    ) -> Stroke {
        let layer = instrument.layer_for(velocity);
        Stroke {
            event: Event {
                onset,
                piece: instrument.category,
                instrument: instrument.name.clone(),
                layer: layer.file_name(),
                target,
                level_db,
                velocity,
                tags,
                radius: None,
            },
            sound: Sound::layer(layer),
            path,
        }
    }
}

/// Rendered audio with its ground truth.
#[derive(Debug, Clone)]
pub struct Take {
    /// A short description (kit, seed, material).
    pub name: String,
    /// Sample rate, in Hz.
    pub sample_rate: f32,
    /// Mono audio.
    pub audio: Vec<f32>,
    /// Every stroke, by onset.
    pub events: Vec<Event>,
    /// The room it was rendered in.
    pub room: Room,
    /// Peak of the target's backbeat (direct sound), in dBFS: what `level_db` 0 means.
    pub reference_dbfs: f32,
    /// RMS of the added noise floor, in dBFS.
    pub noise_dbfs: f32,
}

/// Path of a piece in the room: the target on 0, kick 1, hats 2, toms 3.., cymbals 6...
pub fn path_of(category: Category, target: bool, instrument_index: usize) -> usize {
    if target {
        return 0;
    }
    match category {
        Category::Kick => 1,
        Category::HiHatClosed | Category::HiHatOpen | Category::HiHatPedal => 2,
        Category::Tom => 3 + instrument_index % 3,
        Category::Ride | Category::Crash => 6 + instrument_index % 2,
        _ => 0,
    }
}

/// Number of paths [`path_of`] uses.
pub const PATHS: usize = 8;

/// How a take is mixed.
#[derive(Debug, Clone)]
pub struct Mix {
    /// The take's description.
    pub name: String,
    /// Length, in samples.
    pub len: usize,
    /// Sample rate, in Hz.
    pub sample_rate: f32,
    /// The room.
    pub room: Room,
    /// Peak of the target's backbeat (level 0 dB), in dBFS.
    pub reference_dbfs: f32,
    /// RMS of the white noise floor, in dBFS.
    pub noise_dbfs: f32,
    /// Seed of the noise.
    pub seed: u64,
}

/// `stroke` alone through `mix`'s room, without the noise floor, over its first `len` samples (at
/// most the mix's length). The renderer is linear and seeded, so subtracted from the take it
/// leaves exactly the rest of the mix.
pub fn alone(mix: &Mix, stroke: &Stroke, len: usize) -> Vec<f32> {
    let mut mix = mix.clone();
    mix.len = len.min(mix.len);
    mix.noise_dbfs = -300.0;
    render(mix, std::slice::from_ref(stroke)).audio
}

/// Renders `strokes` as `mix` says: each stroke's sound at gain
/// `10^((reference_dbfs + level_db) / 20) / peak`, its attack on its onset, through the room,
/// plus the noise floor. Target events get [`Tag::WithHat`] and [`Tag::WithKick`] where such a
/// stroke is within [`COINCIDE_S`].
pub fn render(mix: Mix, strokes: &[Stroke]) -> Take {
    let Mix {
        name,
        len,
        sample_rate,
        room,
        reference_dbfs,
        noise_dbfs,
        seed,
    } = mix;
    let paths = room.paths.len().max(PATHS);
    let mut buses = vec![vec![0.0f32; len]; paths];
    for s in strokes {
        let gain = db_to_gain(reference_dbfs + s.event.level_db) / s.sound.peak.max(1e-9);
        let at = s.event.onset as i64 - s.sound.attack as i64;
        let bus = &mut buses[s.path % paths];
        for (k, &x) in s.sound.audio.iter().enumerate() {
            let i = at + k as i64;
            if i < 0 {
                continue;
            }
            if i as usize >= len {
                break;
            }
            bus[i as usize] += gain * x;
        }
    }
    let sources: Vec<(usize, &[f32])> = buses
        .iter()
        .enumerate()
        .filter(|(_, b)| b.iter().any(|&x| x != 0.0))
        .map(|(p, b)| (p, b.as_slice()))
        .collect();
    let mut audio = room.render(&sources, len);
    let mut rng = Rng::new(seed ^ 0x0153_f100);
    // Sum of four uniforms: unit variance after scaling by sqrt(3/4).
    let noise = db_to_gain(noise_dbfs) * 0.866;
    for v in audio.iter_mut() {
        *v += noise * (0..4).map(|_| rng.bipolar()).sum::<f32>();
    }
    let mut events: Vec<Event> = strokes.iter().map(|s| s.event.clone()).collect();
    events.sort_by_key(|e| e.onset);
    tag_coincidences(&mut events, sample_rate);
    Take {
        name,
        sample_rate,
        audio,
        events,
        room,
        reference_dbfs,
        noise_dbfs,
    }
}

/// Tags target events that have a hi-hat or kick stroke within [`COINCIDE_S`].
fn tag_coincidences(events: &mut [Event], sample_rate: f32) {
    let tol = (COINCIDE_S * sample_rate) as u64;
    let near = |events: &[Event], onset: u64, pred: &dyn Fn(Category) -> bool| {
        events
            .iter()
            .any(|e| !e.target && pred(e.piece) && e.onset.abs_diff(onset) <= tol)
    };
    let flags: Vec<(bool, bool)> = events
        .iter()
        .map(|e| {
            if !e.target {
                return (false, false);
            }
            (
                near(events, e.onset, &|c| {
                    matches!(
                        c,
                        Category::HiHatClosed | Category::HiHatOpen | Category::HiHatPedal
                    )
                }),
                near(events, e.onset, &|c| c == Category::Kick),
            )
        })
        .collect();
    for (e, (hat, kick)) in events.iter_mut().zip(flags) {
        if hat {
            e.tags = e.tags.with(Tag::WithHat);
        }
        if kick {
            e.tags = e.tags.with(Tag::WithKick);
        }
    }
}
