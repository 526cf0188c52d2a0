//! What a hit's result sends to the host: MIDI notes per class, a strike-position CC (Roland
//! e-drum convention: CC16, 0 = class A, 127 = class B, just before the note), and probability
//! CCs, all at the sample where the hit's result is ready.

use crate::midi::NoteScheduler;
use nice_plug::prelude::*;
use timbrel_core::analysis::HitRecord;
use timbrel_learn::Prediction;

/// Most classes that have their own output settings.
pub const CLASS_SLOTS: usize = timbrel_learn::MAX_CLASSES;

/// Default note of each class: snare, electric snare (rim), side stick, clap, then toms.
const DEFAULT_NOTES: [i32; CLASS_SLOTS] = [
    38, 40, 37, 39, 41, 43, 45, 47, 48, 50, 42, 44, 46, 49, 51, 53,
];

/// A parameter's value-to-text function.
type Formatter = std::sync::Arc<dyn Fn(i32) -> String + Send + Sync>;
/// A parameter's text-to-value function.
type Parser = std::sync::Arc<dyn Fn(&str) -> Option<i32> + Send + Sync>;

/// Shows −1 as "Off" and other values as numbers.
/// An exponent curve, 0.25 to 4 (1 = straight), skewed so 1 sits mid-way: the shape of the
/// velocity and of the position output.
pub(crate) fn curve_param(name: &'static str) -> FloatParam {
    FloatParam::new(
        name,
        1.0,
        FloatRange::Skewed {
            min: 0.25,
            max: 4.0,
            factor: FloatRange::skew_factor(-1.0),
        },
    )
    .with_step_size(0.01)
}

fn off_or_number() -> Formatter {
    std::sync::Arc::new(|v| {
        if v < 0 {
            "Off".to_owned()
        } else {
            v.to_string()
        }
    })
}

/// Parses "Off" as −1, or a number.
fn parse_off_or_number() -> Parser {
    std::sync::Arc::new(|s| {
        if s.trim().eq_ignore_ascii_case("off") {
            Some(-1)
        } else {
            s.trim().parse().ok()
        }
    })
}

/// MIDI output settings.
#[derive(Params)]
pub struct MidiParams {
    /// Note sent for every hit while no model is trained, 0..=127 (default 38, a snare).
    #[id = "hitnote"]
    pub hit_note: IntParam,
    /// MIDI channel of every note and CC, 1..=16.
    #[id = "midich"]
    pub channel: IntParam,
    /// Time from note-on to note-off, in milliseconds.
    #[id = "notelen"]
    pub note_length_ms: FloatParam,
    /// Peak level that maps to the lowest velocity, in dBFS; 0 dBFS maps to 127.
    #[id = "vfloor"]
    pub velocity_floor_dbfs: FloatParam,
    /// Velocity curve exponent: 1 is linear in dB, below 1 lifts soft hits, above 1 lowers them.
    #[id = "vcurve"]
    pub velocity_curve: FloatParam,
    /// Note for hits the model calls unknown, or −1 (Off) to send nothing.
    #[id = "unknote"]
    pub unknown_note: IntParam,
    /// Controller that carries the interpolation (0 = class A, 127 = class B), or −1 (Off).
    /// Default 16, as Roland e-drums send strike position.
    #[id = "poscc"]
    pub position_cc: IntParam,
    /// Send the position as a 14-bit controller (MSB on the CC, LSB on CC + 32; CCs 0..=31).
    #[id = "pos14"]
    pub position_14bit: BoolParam,
    /// Controller that carries the speed (the recent hit rate over the speed range, 0..127),
    /// or −1 (Off, the default).
    #[id = "spdcc"]
    pub speed_cc: IntParam,
}

impl Default for MidiParams {
    fn default() -> Self {
        Self {
            hit_note: IntParam::new("Hit note", 38, IntRange::Linear { min: 0, max: 127 }),
            channel: IntParam::new("MIDI channel", 1, IntRange::Linear { min: 1, max: 16 }),
            note_length_ms: FloatParam::new(
                "Note length",
                50.0,
                FloatRange::Linear {
                    min: 5.0,
                    max: 1_000.0,
                },
            )
            .with_unit(" ms")
            .with_step_size(1.0),
            velocity_floor_dbfs: FloatParam::new(
                "Velocity floor",
                -48.0,
                FloatRange::Linear {
                    min: -90.0,
                    max: -6.0,
                },
            )
            .with_unit(" dBFS")
            .with_step_size(0.5),
            velocity_curve: curve_param("Velocity curve"),
            unknown_note: IntParam::new("Unknown note", -1, IntRange::Linear { min: -1, max: 127 })
                .with_value_to_string(off_or_number())
                .with_string_to_value(parse_off_or_number()),
            position_cc: IntParam::new("Position CC", 16, IntRange::Linear { min: -1, max: 119 })
                .with_value_to_string(off_or_number())
                .with_string_to_value(parse_off_or_number()),
            position_14bit: BoolParam::new("Position 14-bit", false),
            speed_cc: IntParam::new("Speed CC", -1, IntRange::Linear { min: -1, max: 119 })
                .with_value_to_string(off_or_number())
                .with_string_to_value(parse_off_or_number()),
        }
    }
}

/// Output settings of one class.
#[derive(Params)]
pub struct ClassOutputParams {
    /// Note sent for hits of this class, 0..=127.
    #[id = "note"]
    pub note: IntParam,
    /// Controller that carries this class's probability (0..127), or −1 (Off).
    #[id = "pcc"]
    pub probability_cc: IntParam,
}

impl ClassOutputParams {
    /// Settings of class `index` (0-based).
    pub fn new(index: usize) -> Self {
        Self {
            note: IntParam::new(
                format!("Class {} note", index + 1),
                DEFAULT_NOTES[index],
                IntRange::Linear { min: 0, max: 127 },
            ),
            probability_cc: IntParam::new(
                format!("Class {} probability CC", index + 1),
                -1,
                IntRange::Linear { min: -1, max: 119 },
            )
            .with_value_to_string(off_or_number())
            .with_string_to_value(parse_off_or_number()),
        }
    }
}

/// Most control changes one hit sends: the position (two with 14 bits), the speed and one
/// probability per class.
pub const MAX_CCS_PER_HIT: usize = 3 + CLASS_SLOTS;

/// A hit's continuous values, as the outputs send them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HitValues {
    /// The interpolation after the output range and curve, 0..=1.
    pub position: f32,
    /// The speed over the speed range, 0..=1.
    pub speed: f32,
}

/// Most note-ons and CCs that hits can send in `max_block` samples at `sample_rate` Hz (the
/// [`NoteScheduler`]'s size): hits at the shortest lockout the parameters allow, with two to
/// spare, each sending every CC, a note-on and its note-off.
pub fn events_per_block(max_block: usize, sample_rate: f32) -> usize {
    let shortest_ms = *timbrel_core::analysis::settings::MIN_INTERVAL_RANGE_MS.start();
    let lockout = (shortest_ms * 0.001 * sample_rate).floor().max(1.0) as usize;
    (max_block / lockout + 2) * (MAX_CCS_PER_HIT + 2)
}

/// Maps a peak level to a MIDI velocity in (0, 1].
pub fn velocity(peak_dbfs: f32, floor_dbfs: f32, curve: f32) -> f32 {
    let linear = ((peak_dbfs - floor_dbfs) / -floor_dbfs).clamp(0.0, 1.0);
    linear.powf(curve).max(1.0 / 127.0)
}

/// Schedules everything one hit sends, at its ready sample: the speed CC (with or without a
/// model), the position CC, the probability CCs and the note. Unknown hits send no position
/// (they have no place between A and B). Never allocates.
pub fn send_hit(
    midi: &MidiParams,
    classes: &[ClassOutputParams; CLASS_SLOTS],
    notes: &mut NoteScheduler,
    hit: &HitRecord,
    prediction: Option<&Prediction>,
    values: HitValues,
    sample_rate: f32,
) {
    let position = values.position;
    let at = hit.ready_sample;
    let channel = (midi.channel.value().clamp(1, 16) - 1) as u8;
    let length = (midi.note_length_ms.value() * 0.001 * sample_rate) as u64;
    let vel = velocity(
        hit.peak_dbfs,
        midi.velocity_floor_dbfs.value(),
        midi.velocity_curve.value(),
    );
    let speed_cc = midi.speed_cc.value();
    if speed_cc >= 0 {
        notes.control(at, channel, speed_cc as u8, values.speed.clamp(0.0, 1.0));
    }
    let Some(p) = prediction else {
        notes.note(
            at,
            length,
            channel,
            midi.hit_note.value().clamp(0, 127) as u8,
            vel,
        );
        return;
    };
    let cc = midi.position_cc.value();
    if cc >= 0 && p.best.is_some() {
        let value = position.clamp(0.0, 1.0);
        if midi.position_14bit.value() && cc < 32 {
            let fine = (value * 16383.0).round() as u32;
            notes.control(at, channel, cc as u8, (fine >> 7) as f32 / 127.0);
            notes.control(at, channel, cc as u8 + 32, (fine & 0x7f) as f32 / 127.0);
        } else {
            notes.control(at, channel, cc as u8, value);
        }
    }
    for (i, class) in classes.iter().enumerate().take(p.class_count as usize) {
        let cc = class.probability_cc.value();
        if cc >= 0 {
            notes.control(at, channel, cc as u8, p.probabilities[i].clamp(0.0, 1.0));
        }
    }
    let key = match p.best {
        Some(c) => classes.get(c as usize).map(|class| class.note.value()),
        None => Some(midi.unknown_note.value()).filter(|&n| n >= 0),
    };
    if let Some(key) = key {
        notes.note(at, length, channel, key.clamp(0, 127) as u8, vel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn velocity_follows_the_level_and_the_curve() {
        assert_eq!(velocity(0.0, -48.0, 1.0), 1.0);
        assert!((velocity(-24.0, -48.0, 1.0) - 0.5).abs() < 1e-6);
        assert!(velocity(-24.0, -48.0, 0.5) > 0.7);
        assert!(velocity(-24.0, -48.0, 2.0) < 0.3);
        assert_eq!(velocity(-90.0, -48.0, 1.0), 1.0 / 127.0);
    }
}
