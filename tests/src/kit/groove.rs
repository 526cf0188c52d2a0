//! A seeded groove on a kit, heard by a close snare mic: backbeats (some rimshots, some flams),
//! ghost notes, buzz-like rolls, hi-hat eighths and sixteenths with open hats, ride sections
//! with the hat pedal, crashes with the kick, kick patterns (some four on the floor), tom fills.
//! The snare is the target; everything else is bleed at the levels of DOMAIN.md. The snare is
//! the kit's own, or the membrane synthesizer (known strike radius).

use super::hydrogen::{Category, Instrument, Kit};
use super::render::{path_of, render, Mix, Stroke, Take, PATHS};
use super::room::Room;
use super::truth::{Tag, Tags};
use crate::signal::Rng;

/// Which snare the mic is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The kit's snare (and its rimshot instrument, if it has one).
    Kit,
    /// The membrane synthesizer's snare, struck at random radii.
    Membrane,
}

/// How a groove is drawn. Levels are peak levels relative to the snare's backbeat, in dB;
/// each range is drawn once per take (the mic's placement), strokes vary around it.
#[derive(Debug, Clone)]
pub struct GrooveSpec {
    /// Length of the take, in seconds.
    pub duration_s: f32,
    /// Tempo range, in beats per minute.
    pub tempo_bpm: (f32, f32),
    /// Probability of a ghost note on each free sixteenth.
    pub ghost_probability: f32,
    /// Probability that a backbeat is a flam.
    pub flam_probability: f32,
    /// Probability that a backbeat is a rimshot (if the target has one).
    pub rimshot_probability: f32,
    /// Probability that a phrase (4 bars) ends with a buzz-like roll.
    pub roll_probability: f32,
    /// Probability that a phrase without a roll ends with a tom fill.
    pub fill_probability: f32,
    /// Ghost-note level range.
    pub ghost_db: (f32, f32),
    /// How much softer a flam's grace note is than its main stroke.
    pub flam_grace_db: (f32, f32),
    /// Time from a flam's grace note to its main stroke, in seconds.
    pub flam_gap_s: (f32, f32),
    /// Time between roll strokes, in seconds.
    pub roll_gap_s: (f32, f32),
    /// Hi-hat bleed level (accented stroke).
    pub hat_db: (f32, f32),
    /// Ride bleed level.
    pub ride_db: (f32, f32),
    /// Crash bleed level.
    pub crash_db: (f32, f32),
    /// Tom bleed level.
    pub tom_db: (f32, f32),
    /// Kick bleed level.
    pub kick_db: (f32, f32),
    /// Peak of the backbeat, in dBFS.
    pub reference_dbfs: (f32, f32),
    /// RMS of the noise floor, in dBFS.
    pub noise_dbfs: (f32, f32),
    /// Standard deviation of each stroke's timing around the grid, in seconds.
    pub timing_sd_s: f32,
    /// Whether the take is heard in a room (else dry, no reflections or tail).
    pub room: bool,
}

impl Default for GrooveSpec {
    fn default() -> Self {
        Self {
            duration_s: 30.0,
            tempo_bpm: (84.0, 136.0),
            ghost_probability: 0.18,
            flam_probability: 0.15,
            rimshot_probability: 0.15,
            roll_probability: 0.35,
            fill_probability: 0.6,
            ghost_db: (-35.0, -20.0),
            flam_grace_db: (10.0, 20.0),
            flam_gap_s: (0.015, 0.040),
            roll_gap_s: (0.025, 0.050),
            hat_db: (-20.0, -10.0),
            ride_db: (-20.0, -10.0),
            crash_db: (-20.0, -10.0),
            tom_db: (-15.0, -6.0),
            kick_db: (-25.0, -15.0),
            reference_dbfs: (-8.0, -3.0),
            noise_dbfs: (-72.0, -60.0),
            timing_sd_s: 0.002,
            room: true,
        }
    }
}

/// Hydrogen velocity of a snare stroke at `level_db` relative to the backbeat (0 dB -> 0.9,
/// -30 dB -> 0.09): picks softer layers for softer strokes.
pub fn snare_velocity(level_db: f32) -> f32 {
    (0.9 * 10f32.powf(level_db / 30.0)).clamp(0.02, 1.0)
}

/// Level offset of a bleed stroke played at musical velocity `velocity` (0..1) relative to an
/// accented one (0.8), in dB.
fn dynamics_db(velocity: f32) -> f32 {
    (20.0 * (velocity / 0.8).log10()).clamp(-12.0, 2.0)
}

/// The kit pieces a groove uses.
struct Pieces<'k> {
    snare: &'k Instrument,
    rimshot: Option<&'k Instrument>,
    kick: Option<&'k Instrument>,
    hat: Option<&'k Instrument>,
    open_hat: Option<&'k Instrument>,
    pedal_hat: Option<&'k Instrument>,
    ride: Option<&'k Instrument>,
    crash: Option<&'k Instrument>,
    toms: Vec<&'k Instrument>,
}

/// Builds strokes on a grid, with the take's levels.
struct Builder<'k> {
    rng: Rng,
    sample_rate: f32,
    target: Target,
    pieces: Pieces<'k>,
    strokes: Vec<Stroke>,
    timing_sd_s: f32,
    hat_db: f32,
    ride_db: f32,
    crash_db: f32,
    tom_db: f32,
    kick_db: f32,
}

impl Builder<'_> {
    fn jitter(&mut self) -> f32 {
        // Sum of three uniforms in [-1, 1): variance 1.
        self.timing_sd_s * (0..3).map(|_| self.rng.bipolar()).sum::<f32>()
    }

    /// A snare stroke at `t` seconds, `level_db`, with `tags`.
    fn snare(&mut self, t: f32, level_db: f32, tags: Tags, rimshot: bool) {
        let onset = (t * self.sample_rate).round().max(0.0) as u64;
        let velocity = snare_velocity(level_db);
        let stroke = match self.target {
            Target::Membrane => {
                let radius = if rimshot {
                    self.rng.range(0.8, 0.95)
                } else {
                    self.rng.range(0.0, 0.95)
                };
                let seed = self.rng.next_u64();
                let v = (0.9 * 10f32.powf(level_db / 40.0)).clamp(0.05, 1.0);
                let mut stroke = Stroke::membrane(onset, radius, v, self.sample_rate, seed);
                stroke.event.level_db = level_db;
                stroke.event.velocity = velocity;
                stroke.event.tags = tags;
                stroke
            }
            Target::Kit => {
                let inst = match (rimshot, self.pieces.rimshot) {
                    (true, Some(r)) => r,
                    _ => self.pieces.snare,
                };
                Stroke::of_layer(inst, velocity, onset, level_db, true, tags, 0)
            }
        };
        self.strokes.push(stroke);
    }

    /// A bleed stroke of `inst` at `t` seconds, musical velocity `velocity`, base level
    /// `base_db`.
    fn bleed(&mut self, inst: &Instrument, index: usize, t: f32, velocity: f32, base_db: f32) {
        let t = t + self.jitter();
        let onset = (t * self.sample_rate).round().max(0.0) as u64;
        let (level_db, path) = (
            base_db + dynamics_db(velocity),
            path_of(inst.category, false, index),
        );
        self.strokes.push(Stroke::of_layer(
            inst,
            velocity,
            onset,
            level_db,
            false,
            Tags::NONE,
            path,
        ));
    }
}

/// FNV-1a of `name`, to tell kits apart in seeds.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Hi-hat/ride style of a phrase.
#[derive(Clone, Copy, PartialEq)]
enum Style {
    HatEighths,
    HatSixteenths,
    RideEighths,
}

/// Renders a seeded groove on `kit` (at the kit's rate) with `target` as the snare. Panics if
/// the kit has no snare.
pub fn groove(kit: &Kit, target: Target, spec: &GrooveSpec, seed: u64) -> Take {
    let (mix, strokes) = plan(kit, target, spec, seed);
    render(mix, &strokes)
}

/// The strokes of [`groove`] and how they are mixed, before rendering (to render parts of it).
///
/// The same seed gives a different groove and room on each kit (the kit's name is part of the
/// seed), and the same groove at every rate.
pub fn plan(kit: &Kit, target: Target, spec: &GrooveSpec, seed: u64) -> (Mix, Vec<Stroke>) {
    let sr = kit.sample_rate;
    let given_seed = seed;
    let seed = seed ^ name_hash(&kit.name);
    let mut rng = Rng::new(seed ^ 0x0006_400e);
    let mut r = |lo: f32, hi: f32| rng.range(lo, hi);
    let hat_db = r(spec.hat_db.0, spec.hat_db.1);
    let ride_db = r(spec.ride_db.0, spec.ride_db.1);
    let crash_db = r(spec.crash_db.0, spec.crash_db.1);
    let tom_db = r(spec.tom_db.0, spec.tom_db.1);
    let kick_db = r(spec.kick_db.0, spec.kick_db.1);
    let reference_dbfs = r(spec.reference_dbfs.0, spec.reference_dbfs.1);
    let noise_dbfs = r(spec.noise_dbfs.0, spec.noise_dbfs.1);
    let tempo = r(spec.tempo_bpm.0, spec.tempo_bpm.1);
    let pieces = Pieces {
        snare: kit
            .first(Category::Snare)
            .unwrap_or_else(|| panic!("kit {} has no snare", kit.name)),
        rimshot: kit.first(Category::SnareRimshot),
        kick: kit.first(Category::Kick),
        hat: kit.first(Category::HiHatClosed),
        open_hat: kit.first(Category::HiHatOpen),
        pedal_hat: kit.first(Category::HiHatPedal),
        ride: kit.first(Category::Ride),
        crash: kit.first(Category::Crash),
        toms: kit.of(Category::Tom).collect(),
    };
    let mut b = Builder {
        rng: Rng::new(seed),
        sample_rate: sr,
        target,
        pieces,
        strokes: Vec::new(),
        timing_sd_s: spec.timing_sd_s,
        hat_db,
        ride_db,
        crash_db,
        tom_db,
        kick_db,
    };
    let sixteenth = 15.0 / tempo;
    let bar = 16.0 * sixteenth;
    let mut t0 = 0.5f32;
    let mut bar_index = 0usize;
    let mut style = Style::HatEighths;
    let mut four_on_floor = false;
    let (mut phrase_roll, mut phrase_fill) = (false, false);
    let mut roll_len = 8usize;
    while t0 + bar < spec.duration_s - 1.5 {
        let in_phrase = bar_index % 4;
        if in_phrase == 0 {
            let s = b.rng.unit();
            style = if s < 0.4 {
                Style::HatEighths
            } else if s < 0.7 || b.pieces.ride.is_none() {
                Style::HatSixteenths
            } else {
                Style::RideEighths
            };
            four_on_floor = b.rng.unit() < 0.25;
            phrase_roll = b.rng.unit() < spec.roll_probability;
            roll_len = if b.rng.unit() < 0.5 { 4 } else { 8 };
            phrase_fill = !phrase_roll && !b.pieces.toms.is_empty() && {
                b.rng.unit() < spec.fill_probability
            };
        }
        let last = in_phrase == 3;
        let roll = last && phrase_roll;
        let fill = last && phrase_fill;
        // Fills take the second half of the bar, rolls its last beat or two.
        let busy_from = if roll {
            16 - roll_len
        } else if fill {
            8
        } else {
            16
        };
        let at = |pos: usize| t0 + pos as f32 * sixteenth;

        // Crash and kick on the phrase's downbeat.
        if in_phrase == 0 {
            if let Some(c) = b.pieces.crash {
                let v = b.rng.range(0.75, 1.0);
                b.bleed(c, 0, at(0), v, b.crash_db);
            }
        }
        // Kick.
        if let Some(k) = b.pieces.kick {
            for pos in 0..16 {
                let p = match pos {
                    0 | 8 => 1.0,
                    4 | 12 if four_on_floor => 1.0,
                    10 => 0.4,
                    6 => 0.2,
                    14 => 0.15,
                    3 | 7 | 11 => 0.08,
                    _ => 0.0,
                };
                if p > 0.0 && b.rng.unit() < p {
                    let v = b.rng.range(0.6, 1.0);
                    b.bleed(k, 0, at(pos), v, b.kick_db);
                }
            }
        }
        // Hi-hat or ride (the hands are busy in fills; the hat keeps time in rolls).
        let hat_until = if fill { 8 } else { 16 };
        for pos in 0..hat_until {
            match style {
                Style::HatEighths | Style::HatSixteenths => {
                    if style == Style::HatEighths && pos % 2 == 1 {
                        continue;
                    }
                    let v = if pos % 4 == 0 {
                        b.rng.range(0.7, 0.9)
                    } else if pos % 2 == 0 {
                        b.rng.range(0.5, 0.7)
                    } else {
                        b.rng.range(0.35, 0.55)
                    };
                    let open = (pos == 14 || pos == 6) && b.rng.unit() < 0.15;
                    match (open, b.pieces.open_hat, b.pieces.hat) {
                        (true, Some(o), _) => b.bleed(o, 0, at(pos), v, b.hat_db),
                        (_, _, Some(h)) => b.bleed(h, 0, at(pos), v, b.hat_db),
                        _ => {}
                    }
                }
                Style::RideEighths => {
                    if pos % 2 == 0 {
                        if let Some(ride) = b.pieces.ride {
                            let v = b.rng.range(0.5, 0.85);
                            b.bleed(ride, 0, at(pos), v, b.ride_db);
                        }
                    }
                    if pos % 8 == 4 {
                        if let Some(p) = b.pieces.pedal_hat.or(b.pieces.hat) {
                            let v = b.rng.range(0.4, 0.7);
                            b.bleed(p, 0, at(pos), v, b.hat_db - 3.0);
                        }
                    }
                }
            }
        }
        // Backbeats (flams, rimshots), unless a fill or roll takes over.
        for pos in [4usize, 12] {
            if pos >= busy_from {
                continue;
            }
            let t = at(pos) + b.jitter();
            let level = b.rng.range(-1.5, 1.0);
            let rimshot = b.rng.unit() < spec.rimshot_probability;
            if b.rng.unit() < spec.flam_probability {
                let gap = b.rng.range(spec.flam_gap_s.0, spec.flam_gap_s.1);
                let grace = level - b.rng.range(spec.flam_grace_db.0, spec.flam_grace_db.1);
                b.snare(t - gap, grace, Tags::NONE.with(Tag::FlamGrace), false);
                b.snare(t, level, Tags::NONE.with(Tag::FlamMain), rimshot);
            } else {
                b.snare(t, level, Tags::NONE, rimshot);
            }
        }
        // Ghost notes on free sixteenths (not next to a backbeat's flam).
        for pos in 0..busy_from {
            if matches!(pos, 3 | 4 | 11 | 12) || b.rng.unit() >= spec.ghost_probability {
                continue;
            }
            let t = at(pos) + b.jitter();
            let level = b.rng.range(spec.ghost_db.0, spec.ghost_db.1);
            b.snare(t, level, Tags::NONE.with(Tag::Ghost), false);
        }
        if roll {
            // A buzz-like roll to the end of the bar, crescendo.
            let gap = b.rng.range(spec.roll_gap_s.0, spec.roll_gap_s.1);
            let n = ((roll_len as f32 * sixteenth) / gap) as usize;
            for k in 0..n {
                let t = at(busy_from) + k as f32 * gap + 0.1 * gap * b.rng.bipolar();
                let level = -26.0 + 16.0 * k as f32 / n.max(2) as f32 + b.rng.range(-1.5, 1.5);
                b.snare(t, level, Tags::NONE.with(Tag::Roll), false);
            }
        }
        if fill {
            // Sixteenths around the toms, two strokes each, high to low.
            let toms = b.pieces.toms.clone();
            for pos in 8..16 {
                let k = ((pos - 8) / 2) * toms.len() / 4;
                let tom = toms[k.min(toms.len() - 1)];
                let v = b.rng.range(0.65, 1.0);
                b.bleed(tom, k, at(pos), v, b.tom_db);
            }
        }
        t0 += bar;
        bar_index += 1;
    }
    // The phrase after the last one: a final crash and kick.
    if let Some(c) = b.pieces.crash {
        b.bleed(c, 0, t0, 0.9, b.crash_db);
    }
    if let Some(k) = b.pieces.kick {
        b.bleed(k, 0, t0, 0.9, b.kick_db);
    }
    let len = (spec.duration_s * sr) as usize;
    let room = if spec.room {
        Room::random(PATHS, sr, seed)
    } else {
        Room::dry(sr)
    };
    let target_name = match target {
        Target::Kit => "kit snare",
        Target::Membrane => "membrane snare",
    };
    (
        Mix {
            name: format!(
                "groove {} ({target_name}) seed {given_seed} @ {sr} Hz",
                kit.name
            ),
            len,
            sample_rate: sr,
            room,
            reference_dbfs,
            noise_dbfs,
            seed,
        },
        b.strokes,
    )
}
