//! Snare hits with a known strike position and velocity, from timbrel-core's drum synthesizer
//! (`timbrel_core::synth::Membrane`), placed at known onsets; seeded random performances; and the
//! bookkeeping that matches the notes a plugin sent to the hits that were played.
//!
//! The host (`crate::clap`) stays independent of Timbrel's code: only the test *signals* come from
//! the core, because a classifier of strike position needs a drum whose position is known. The
//! plain signals of `crate::signal` stay for the tests that need no position.

use crate::clap::{Cc, Note, Run};
use crate::signal::Rng;
use timbrel_core::synth::Membrane;

/// Strike radius of centre hits is at most this (0 = centre, 1 = rim).
pub const CENTER_MAX_RADIUS: f32 = 0.15;
/// Strike radius of edge hits is at least this.
pub const EDGE_MIN_RADIUS: f32 = 0.8;
/// Largest radius the synthesizer renders (it clamps to 0..0.99); edge hits stay below it.
pub const EDGE_MAX_RADIUS: f32 = 0.95;

/// One hit of a score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// First sample of the hit: the synthesizer's stick click is non-zero there.
    pub onset: u64,
    /// Strike radius, 0 = centre .. 1 = rim.
    pub radius: f32,
    /// Stick velocity, 0..1.
    pub velocity: f32,
    /// Seed of the hit's noise and mode jitter.
    pub seed: u64,
}

/// Where a hit was struck, as the tests group it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Zone {
    /// Radius at most [`CENTER_MAX_RADIUS`].
    Center,
    /// Between the two.
    Between,
    /// Radius at least [`EDGE_MIN_RADIUS`].
    Edge,
}

impl Hit {
    /// The hit's zone.
    pub fn zone(&self) -> Zone {
        if self.radius <= CENTER_MAX_RADIUS {
            Zone::Center
        } else if self.radius >= EDGE_MIN_RADIUS {
            Zone::Edge
        } else {
            Zone::Between
        }
    }

    /// The hit alone, at `sample_rate` (Hz): a snare struck at its radius and velocity, starting
    /// at its first sample.
    pub fn render(&self, sample_rate: f32) -> Vec<f32> {
        Membrane::snare().hit(self.radius, self.velocity, sample_rate, self.seed)
    }
}

/// Renders `hits` (mixed where they overlap) into `len` samples of otherwise silent audio.
pub fn render(hits: &[Hit], len: usize, sample_rate: f32) -> Vec<f32> {
    let mut out = vec![0.0f32; len];
    for hit in hits {
        let start = hit.onset as usize;
        assert!(start < len, "hit at {start} beyond the {len}-sample track");
        for (o, x) in out[start..].iter_mut().zip(hit.render(sample_rate)) {
            *o += x;
        }
    }
    out
}

/// `count` hits `spacing` samples apart from `first`, at radii and velocities drawn uniformly
/// from the given ranges (seeded).
pub fn hit_train(
    first: u64,
    spacing: u64,
    count: usize,
    radius: (f32, f32),
    velocity: (f32, f32),
    seed: u64,
) -> Vec<Hit> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|i| Hit {
            onset: first + i as u64 * spacing,
            radius: rng.range(radius.0, radius.1),
            velocity: rng.range(velocity.0, velocity.1),
            seed: rng.next_u64(),
        })
        .collect()
}

/// How a random performance is drawn.
#[derive(Debug, Clone, Copy)]
pub struct PerformanceSpec {
    /// Length, in seconds.
    pub duration_s: f64,
    /// Shortest and longest time from one onset to the next, in seconds.
    pub interval_s: (f64, f64),
    /// Velocity range of ordinary hits.
    pub velocity: (f32, f32),
    /// Probability that a hit is played at full velocity (1.0) instead.
    pub loud_probability: f32,
    /// Probability that a hit is played at the lowest velocity instead.
    pub quiet_probability: f32,
    /// Probability of a centre hit (radius 0..0.15).
    pub center_probability: f32,
    /// Probability of an edge hit (radius 0.8..0.95); the rest are in between (0.2..0.75).
    pub edge_probability: f32,
}

impl Default for PerformanceSpec {
    fn default() -> Self {
        Self {
            duration_s: 600.0,
            interval_s: (0.08, 1.5),
            velocity: (0.2, 1.0),
            loud_probability: 0.05,
            quiet_probability: 0.05,
            center_probability: 0.4,
            edge_probability: 0.4,
        }
    }
}

/// A seeded random performance at `sample_rate`: hits from 0.25 s on, the last one at least 1 s
/// before the end.
pub fn random_performance(spec: &PerformanceSpec, sample_rate: f64, seed: u64) -> Vec<Hit> {
    let mut rng = Rng::new(seed);
    let mut hits = Vec::new();
    let mut t = 0.25;
    while t < spec.duration_s - 1.0 {
        let zone = rng.unit();
        let radius = if zone < spec.center_probability {
            rng.range(0.0, CENTER_MAX_RADIUS)
        } else if zone < spec.center_probability + spec.edge_probability {
            rng.range(EDGE_MIN_RADIUS, EDGE_MAX_RADIUS)
        } else {
            rng.range(CENTER_MAX_RADIUS + 0.05, EDGE_MIN_RADIUS - 0.05)
        };
        let level = rng.unit();
        let velocity = if level < spec.loud_probability {
            1.0
        } else if level < spec.loud_probability + spec.quiet_probability {
            spec.velocity.0
        } else {
            rng.range(spec.velocity.0, spec.velocity.1)
        };
        hits.push(Hit {
            onset: (t * sample_rate).round() as u64,
            radius,
            velocity,
            seed: rng.next_u64(),
        });
        t += spec.interval_s.0 + (spec.interval_s.1 - spec.interval_s.0) * rng.unit() as f64;
    }
    hits
}

/// Cutoff of the band in which [`click_contrast_db`] measures a hit, in Hz: where the plugin's
/// default onset detector looks (its high-pass), above the drum's low modes.
pub const CONTRAST_HIGHPASS_HZ: f64 = 1000.0;
/// Length over which [`click_contrast_db`] measures a hit, in seconds: its stick click.
pub const CONTRAST_WINDOW_S: f64 = 0.001;

/// How much `hit` raises the power of `track` (the mix of all hits, `hit` included, starting at
/// sample 0) above what the other hits sound there, in dB: the track's and the other hits' power
/// in the first [`CONTRAST_WINDOW_S`] of the hit, both high-passed at [`CONTRAST_HIGHPASS_HZ`]
/// (second-order Butterworth). A physical measure of whether the hit's click stands out of a
/// louder hit's ringing, independent of any detector: a hit alone in silence gives +inf, a soft
/// hit whose click is buried in the ringing a few dB or less (its click can also partly cancel
/// the ringing, so this is lower than the hit's own power over the ringing).
pub fn click_contrast_db(track: &[f32], hit: &Hit, sample_rate: f64) -> f64 {
    // The filters settle within a few milliseconds; start them 20 ms early.
    let onset = hit.onset as usize;
    let from = onset.saturating_sub((0.02 * sample_rate) as usize);
    let to = (onset + (CONTRAST_WINDOW_S * sample_rate).round().max(1.0) as usize).min(track.len());
    let alone = hit.render(sample_rate as f32);
    let mut mix_hp = Highpass::new(CONTRAST_HIGHPASS_HZ, sample_rate);
    let mut rest_hp = Highpass::new(CONTRAST_HIGHPASS_HZ, sample_rate);
    let (mut mix_power, mut rest_power) = (0.0, 0.0);
    for (i, &x) in track.iter().enumerate().take(to).skip(from) {
        let own = if i >= onset {
            alone.get(i - onset).copied().unwrap_or(0.0)
        } else {
            0.0
        };
        let mix = mix_hp.process(x as f64);
        let rest = rest_hp.process((x - own) as f64);
        if i >= onset {
            mix_power += mix * mix;
            rest_power += rest * rest;
        }
    }
    10.0 * (mix_power / rest_power).log10()
}

/// A second-order Butterworth high-pass (RBJ cookbook, direct form I), in f64.
struct Highpass {
    b: [f64; 3],
    a: [f64; 2],
    x: [f64; 2],
    y: [f64; 2],
}

impl Highpass {
    fn new(cutoff_hz: f64, sample_rate: f64) -> Self {
        let w = std::f64::consts::TAU * cutoff_hz / sample_rate;
        let alpha = w.sin() / (2.0 * std::f64::consts::FRAC_1_SQRT_2);
        let a0 = 1.0 + alpha;
        let c = w.cos();
        Self {
            b: [(1.0 + c) / 2.0 / a0, -(1.0 + c) / a0, (1.0 + c) / 2.0 / a0],
            a: [-2.0 * c / a0, (1.0 - alpha) / a0],
            x: [0.0; 2],
            y: [0.0; 2],
        }
    }

    fn process(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.b[1] * self.x[0] + self.b[2] * self.x[1]
            - self.a[0] * self.y[0]
            - self.a[1] * self.y[1];
        self.x = [x, self.x[0]];
        self.y = [y, self.y[0]];
        y
    }
}

/// What a hit produced.
#[derive(Debug, Clone, Default)]
pub struct HitResult {
    /// The note-ons attributed to the hit (within the tolerance of its expected sample).
    pub note_ons: Vec<Note>,
}

/// The notes of a run, attributed to the hits that were played.
#[derive(Debug, Clone)]
pub struct Matching {
    /// One entry per hit, in the order of the hits.
    pub hits: Vec<HitResult>,
    /// Note-ons at or after `from` that belong to no hit.
    pub stray: Vec<Note>,
}

impl Matching {
    /// Attributes every note-on at or after sample `from` to the hit whose expected sample
    /// (`onset + latency`) is nearest, if it is within `tolerance` samples.
    pub fn new(run: &Run, hits: &[Hit], latency: u64, tolerance: u64, from: u64) -> Self {
        let mut results = vec![HitResult::default(); hits.len()];
        let mut stray = Vec::new();
        let expected: Vec<u64> = hits.iter().map(|h| h.onset + latency).collect();
        assert!(
            expected.windows(2).all(|w| w[0] <= w[1]),
            "hits must be in time order"
        );
        for on in run.notes.iter().filter(|n| n.on && n.sample >= from) {
            // The nearest expected sample: the first at or after the note, or the one before.
            let k = expected.partition_point(|&e| e < on.sample);
            let nearest = [k.checked_sub(1), (k < expected.len()).then_some(k)]
                .into_iter()
                .flatten()
                .min_by_key(|&i| expected[i].abs_diff(on.sample));
            match nearest {
                Some(i) if expected[i].abs_diff(on.sample) <= tolerance => {
                    results[i].note_ons.push(*on)
                }
                _ => stray.push(*on),
            }
        }
        Self {
            hits: results,
            stray,
        }
    }

    /// Indices of hits without a note-on.
    pub fn missed(&self) -> Vec<usize> {
        (0..self.hits.len())
            .filter(|&i| self.hits[i].note_ons.is_empty())
            .collect()
    }

    /// Indices of hits with more than one note-on.
    pub fn duplicated(&self) -> Vec<usize> {
        (0..self.hits.len())
            .filter(|&i| self.hits[i].note_ons.len() > 1)
            .collect()
    }
}

/// The control change with controller `cc` sent immediately before `note` (the previous event of
/// the stream), if it is at the same sample and on the same channel.
pub fn cc_just_before<'a>(run: &'a Run, note: &Note, cc: u8) -> Option<&'a Cc> {
    let before = note.seq.checked_sub(1)?;
    let i = run.ccs.partition_point(|c| c.seq < before);
    run.ccs.get(i).filter(|c| {
        c.seq == before
            && c.controller == cc
            && c.sample == note.sample
            && c.channel as i16 == note.channel
    })
}

/// Checks that note-ons and note-offs pair up: every note-off ends a sounding note of its
/// channel and key, and nothing is left sounding. Returns the (note-on, note-off) pairs, or a
/// description of the first problem.
pub fn pair_notes(notes: &[Note]) -> Result<Vec<(Note, Note)>, String> {
    let mut sounding: std::collections::HashMap<(i16, i16), Note> = Default::default();
    let mut pairs = Vec::new();
    for n in notes {
        let voice = (n.channel, n.key);
        if n.on {
            if let Some(previous) = sounding.insert(voice, *n) {
                return Err(format!(
                    "note-on {n:?} while the note-on {previous:?} is still sounding"
                ));
            }
        } else {
            match sounding.remove(&voice) {
                Some(on) => pairs.push((on, *n)),
                None => return Err(format!("note-off {n:?} without a sounding note")),
            }
        }
    }
    if let Some(stuck) = sounding.values().min_by_key(|n| n.sample) {
        return Err(format!(
            "{} notes left sounding, the first {stuck:?}",
            sounding.len()
        ));
    }
    Ok(pairs)
}

/// Spearman's rank correlation of two equally long samples (average ranks for ties).
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len());
    let (rx, ry) = (ranks(x), ranks(y));
    let n = x.len() as f64;
    let mean = (n + 1.0) / 2.0;
    let cov: f64 = rx
        .iter()
        .zip(&ry)
        .map(|(a, b)| (a - mean) * (b - mean))
        .sum();
    let var = |r: &[f64]| r.iter().map(|a| (a - mean).powi(2)).sum::<f64>();
    cov / (var(&rx) * var(&ry)).sqrt()
}

/// Ranks from 1, ties sharing their average rank.
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        for &k in &order[i..=j] {
            ranks[k] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_of_monotone_and_reversed_data() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert!((spearman(&x, &[2.0, 4.0, 8.0, 16.0, 32.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&x, &[5.0, 4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn hits_start_at_their_onset_and_performances_are_seeded() {
        let hits = hit_train(100, 1000, 3, (0.0, 0.1), (0.5, 0.6), 1);
        let track = render(&hits, 40_000, 44_100.0);
        assert!(track[..100].iter().all(|&x| x == 0.0));
        assert_ne!(track[100], 0.0);
        let spec = PerformanceSpec {
            duration_s: 20.0,
            ..PerformanceSpec::default()
        };
        let a = random_performance(&spec, 48_000.0, 5);
        assert_eq!(a, random_performance(&spec, 48_000.0, 5));
        assert_ne!(a, random_performance(&spec, 48_000.0, 6));
        assert!(a
            .windows(2)
            .all(|w| w[1].onset - w[0].onset >= (0.08 * 48_000.0) as u64 - 1));
        assert!(a.iter().all(|h| (0.2..=1.0).contains(&h.velocity)));
    }

    #[test]
    fn click_contrast_is_infinite_in_silence_and_low_for_a_soft_hit_in_ringing() {
        let sr = 48_000.0;
        let loud = Hit {
            onset: 1000,
            radius: 0.1,
            velocity: 1.0,
            seed: 1,
        };
        let soft = Hit {
            onset: 1000 + (0.1 * sr) as u64,
            radius: 0.5,
            velocity: 0.2,
            seed: 2,
        };
        let alone = render(&[loud], 20_000, sr as f32);
        assert_eq!(click_contrast_db(&alone, &loud, sr), f64::INFINITY);
        let both = render(&[loud, soft], 20_000, sr as f32);
        let c = click_contrast_db(&both, &soft, sr);
        assert!(c.is_finite() && c < 12.0, "{c}");
        // The same soft hit 0.4 s after the loud one stands out far more.
        let later = Hit {
            onset: 1000 + (0.4 * sr) as u64,
            ..soft
        };
        let both = render(&[loud, later], 40_000, sr as f32);
        assert!(click_contrast_db(&both, &later, sr) > c + 10.0);
    }

    #[test]
    fn matching_finds_missed_duplicated_and_stray_notes() {
        let note = |sample, seq| Note {
            sample,
            on: true,
            channel: 0,
            key: 38,
            velocity: 0.5,
            block_len: 1,
            time_in_block: 0,
            seq,
        };
        let run = Run {
            notes: vec![note(110, 0), note(1110, 1), note(1111, 2), note(5000, 3)],
            ..Run::default()
        };
        let hits = hit_train(100, 1000, 3, (0.0, 0.1), (0.5, 0.6), 1);
        let m = Matching::new(&run, &hits, 10, 2, 0);
        assert_eq!(m.missed(), vec![2]);
        assert_eq!(m.duplicated(), vec![1]);
        assert_eq!(m.stray.len(), 1);
        let off = |sample, seq| Note {
            on: false,
            ..note(sample, seq)
        };
        assert!(pair_notes(&[note(1, 0), off(5, 1)]).is_ok());
        assert!(pair_notes(&[note(1, 0), note(2, 1)]).is_err());
        assert!(pair_notes(&[note(1, 0)]).is_err());
        assert!(pair_notes(&[off(1, 0)]).is_err());
    }
}
