//! Learning the detector's levels from a few seconds of playing ("Learn levels").
//!
//! A [`LevelLearner`] listens to the high-passed signal the envelope detector sees and measures
//! three things: the level of what sounds between hits (noise, wash, bleed), the peak level of
//! the hits themselves, and how fast a hit's energy decays. [`LevelLearner::result`] turns them
//! into a gate, a threshold and a retrigger decay ([`LearnedLevels`]):
//!
//! - **Gate** ([`DetectorSettings::floor_dbfs`]): [`GATE_ABOVE_NOISE_DB`] above the noise floor
//!   (the [`NOISE_PERCENTILE`] of the gate follower between hits), but never above
//!   [`GATE_BELOW_SOFT_HITS_DB`] under the soft hits (the [`SOFT_HIT_PERCENTILE`] of the hits'
//!   peaks), so the softest notes of the take still pass.
//! - **Threshold** ([`DetectorSettings::threshold_db`]): the envelope's rise over its slow
//!   average must stand out of the background: [`THRESHOLD_ABOVE_BACKGROUND_DB`] over the
//!   [`BACKGROUND_PERCENTILE`] of that rise where no hit starts, within
//!   [`THRESHOLD_RANGE_LEARNED_DB`].
//! - **Retrigger decay** ([`DetectorSettings::retrigger_decay_ms`]): the median time the hits'
//!   fast envelope takes to fall 20 dB below its peak, within [`DECAY_RANGE_LEARNED_MS`].
//!
//! Hits are found with the configured detector but a gate at the bottom of its range, so a take
//! recorded 20 dB too quiet (or too loud) is measured as well as a normal one. The learner never
//! allocates after [`LevelLearner::new`]: it runs on the audio thread, sample by sample, with
//! fixed-size histograms, and its result does not depend on the block size.

use super::envelope::{EnvelopeDetector, FAST_TIME_S, GATE_RELEASE_S, SLOW_TIME_S};
use super::settings::{FLOOR_RANGE_DBFS, RETRIGGER_DECAY_RANGE_MS};
use super::{sanitize, DetectorSettings};
use crate::biquad::{Biquad, BUTTERWORTH_Q};

/// The gate is set this far above the noise floor, in dB.
pub const GATE_ABOVE_NOISE_DB: f32 = 10.0;
/// ... but at least this far below the soft hits' peaks, in dB.
pub const GATE_BELOW_SOFT_HITS_DB: f32 = 10.0;
/// Percentile of the gate follower between hits taken as the noise floor.
pub const NOISE_PERCENTILE: f32 = 0.1;
/// Percentile of the hits' peak levels taken as "the soft hits".
pub const SOFT_HIT_PERCENTILE: f32 = 0.05;
/// Percentile of the envelope's rise over its slow average, where no hit starts, taken as the
/// background's.
pub const BACKGROUND_PERCENTILE: f32 = 0.999;
/// The threshold stands this far above the background's rise, in dB.
pub const THRESHOLD_ABOVE_BACKGROUND_DB: f32 = 2.0;
/// Range of learned thresholds, in dB.
pub const THRESHOLD_RANGE_LEARNED_DB: std::ops::RangeInclusive<f32> = 6.5..=12.0;
/// Range of learned retrigger decays, in milliseconds.
pub const DECAY_RANGE_LEARNED_MS: std::ops::RangeInclusive<f32> = 40.0..=400.0;
/// How long "Learn levels" listens (the plugin) or how much of a file it reads (the CLI), in
/// seconds.
pub const LEARN_SECONDS: f32 = 8.0;
/// Fewest hits a result needs.
pub const MIN_HITS: usize = 3;
/// Shortest take a result needs, in seconds.
pub const MIN_SECONDS: f32 = 1.0;
/// Most hits whose peak and decay are measured.
pub const MAX_HITS: usize = 512;
/// Detections whose peak stands less than this above the noise floor are the noise's, not hits,
/// in dB.
pub const HIT_ABOVE_NOISE_DB: f32 = 6.0;
/// Statistics are sampled every this many samples.
const STEP: u64 = 32;
/// Histogram range and resolution, in dB.
const HIST_MIN_DB: f32 = -160.0;
const HIST_MAX_DB: f32 = 80.0;
const HIST_BINS: usize = 480;
/// Around each hit start, this long is excluded from the background statistics, in seconds
/// (before and after).
const HIT_GUARD_S: f32 = 0.003;
/// A hit's peak is looked for this long after its detection, in seconds.
const PEAK_SPAN_S: f32 = 0.025;
/// Longest decay measured, in seconds.
const DECAY_SPAN_S: f32 = 1.0;

/// What a take taught: the detector levels to use and what they were learned from.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LearnedLevels {
    /// Gate, in dBFS.
    pub floor_dbfs: f32,
    /// Threshold, in dB.
    pub threshold_db: f32,
    /// Retrigger decay, in milliseconds.
    pub retrigger_decay_ms: f32,
    /// Noise floor heard between hits (gate follower), in dBFS.
    pub noise_dbfs: f32,
    /// Peak of the soft hits (gate follower), in dBFS.
    pub soft_hit_dbfs: f32,
    /// Hits heard.
    pub hits: u32,
    /// Length of the take, in seconds.
    pub seconds: f32,
}

impl std::fmt::Display for LearnedLevels {
    /// "from N hits in S s: gate … dBFS (noise …, soft hits …), threshold … dB, retrigger
    /// decay … ms", for "learned {levels}" messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "from {} hits in {:.1} s: gate {:.1} dBFS (noise {:.1}, soft hits {:.1}), threshold \
             {:.1} dB, retrigger decay {:.0} ms",
            self.hits,
            self.seconds,
            self.floor_dbfs,
            self.noise_dbfs,
            self.soft_hit_dbfs,
            self.threshold_db,
            self.retrigger_decay_ms
        )
    }
}

impl LearnedLevels {
    /// `settings` with the learned gate, threshold and retrigger decay.
    pub fn apply(&self, settings: DetectorSettings) -> DetectorSettings {
        DetectorSettings {
            floor_dbfs: self.floor_dbfs,
            threshold_db: self.threshold_db,
            retrigger_decay_ms: self.retrigger_decay_ms,
            ..settings
        }
        .clamped()
    }
}

/// Why a take taught nothing.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum LevelsError {
    /// Fewer than [`MIN_HITS`] hits were heard.
    #[error("heard {0} hits; play at least {MIN_HITS} to learn levels")]
    TooFewHits(u32),
    /// The take was shorter than [`MIN_SECONDS`].
    #[error("heard {0:.1} s; play at least {MIN_SECONDS} s to learn levels")]
    TooShort(f32),
}

/// A fixed-size histogram of levels in dB.
#[derive(Clone)]
struct Histogram {
    bins: [u32; HIST_BINS],
    count: u64,
}

impl Histogram {
    fn new() -> Self {
        Self {
            bins: [0; HIST_BINS],
            count: 0,
        }
    }

    fn add(&mut self, db: f32) {
        let x = (db - HIST_MIN_DB) / (HIST_MAX_DB - HIST_MIN_DB) * HIST_BINS as f32;
        let i = if x.is_finite() {
            (x.max(0.0) as usize).min(HIST_BINS - 1)
        } else {
            0
        };
        self.bins[i] += 1;
        self.count += 1;
    }

    /// The level below which a fraction `p` of the values lie, in dB (the bin's centre).
    fn percentile(&self, p: f32) -> Option<f32> {
        if self.count == 0 {
            return None;
        }
        let target = ((self.count as f64) * p as f64).ceil().max(1.0) as u64;
        let mut seen = 0u64;
        for (i, &n) in self.bins.iter().enumerate() {
            seen += n as u64;
            if seen >= target {
                let width = (HIST_MAX_DB - HIST_MIN_DB) / HIST_BINS as f32;
                return Some(HIST_MIN_DB + (i as f32 + 0.5) * width);
            }
        }
        None
    }
}

/// One hit being measured.
#[derive(Debug, Clone, Copy)]
struct Pending {
    /// Absolute position of the detection.
    at: u64,
    /// Largest fast envelope (power) so far.
    peak_power: f32,
    /// Largest gate follower (amplitude) so far.
    peak_gate: f32,
    /// Position of the power peak.
    peak_at: u64,
}

/// Listens to a take and learns the detector's levels (see the module docs). Never allocates
/// after [`LevelLearner::new`].
#[derive(Clone)]
pub struct LevelLearner {
    sample_rate: f32,
    highpass: Biquad,
    detector: EnvelopeDetector,
    fast: f32,
    slow: f32,
    gate: f32,
    fast_coef: f32,
    slow_coef: f32,
    gate_decay: f32,
    pos: u64,
    last_detection: Option<u64>,
    pending: Option<Pending>,
    hits: u32,
    noise: Histogram,
    background_rise: Histogram,
    hit_peaks: [f32; MAX_HITS],
    n_peaks: usize,
    decays: [f32; MAX_HITS],
    n_decays: usize,
    guard: u64,
    peak_span: u64,
    decay_span: u64,
}

impl LevelLearner {
    /// A learner for `sample_rate` (Hz) that finds hits with `settings` (its gate lowered to the
    /// bottom of its range).
    pub fn new(sample_rate: f32, settings: &DetectorSettings) -> Self {
        let sample_rate = if sample_rate.is_finite() {
            sample_rate.clamp(8_000.0, 768_000.0)
        } else {
            48_000.0
        };
        let mut learner = Self {
            sample_rate,
            highpass: Biquad::identity(),
            detector: EnvelopeDetector::new(sample_rate, settings),
            fast: 0.0,
            slow: 0.0,
            gate: 0.0,
            fast_coef: 1.0 - (-1.0 / (FAST_TIME_S * sample_rate)).exp(),
            slow_coef: 1.0 - (-1.0 / (SLOW_TIME_S * sample_rate)).exp(),
            gate_decay: (-1.0 / (GATE_RELEASE_S * sample_rate)).exp(),
            pos: 0,
            last_detection: None,
            pending: None,
            hits: 0,
            noise: Histogram::new(),
            background_rise: Histogram::new(),
            hit_peaks: [0.0; MAX_HITS],
            n_peaks: 0,
            decays: [0.0; MAX_HITS],
            n_decays: 0,
            guard: (HIT_GUARD_S * sample_rate) as u64,
            peak_span: (PEAK_SPAN_S * sample_rate) as u64,
            decay_span: (DECAY_SPAN_S * sample_rate) as u64,
        };
        learner.restart(settings);
        learner
    }

    /// Forgets everything heard and listens anew with `settings`. Never allocates.
    pub fn restart(&mut self, settings: &DetectorSettings) {
        let s = settings.clamped();
        let permissive = DetectorSettings {
            floor_dbfs: *FLOOR_RANGE_DBFS.start(),
            ..s
        };
        let hz = s.highpass_hz.min(0.45 * self.sample_rate);
        self.highpass
            .set_coefficients(&Biquad::highpass(hz, BUTTERWORTH_Q, self.sample_rate));
        self.highpass.reset();
        self.detector.configure(self.sample_rate, &permissive);
        self.detector.reset();
        self.fast = 0.0;
        self.slow = 1e-18;
        self.gate = 0.0;
        self.pos = 0;
        self.last_detection = None;
        self.pending = None;
        self.hits = 0;
        self.noise = Histogram::new();
        self.background_rise = Histogram::new();
        self.n_peaks = 0;
        self.n_decays = 0;
    }

    /// Listens to mono `samples`. Never allocates; any block size gives the same result.
    pub fn process(&mut self, samples: &[f32]) {
        for &s in samples {
            let y = self.highpass.process_unflushed(sanitize(s));
            let pos = self.pos;
            self.pos += 1;
            if self.detector.process(y, pos) {
                self.start_hit(pos);
            }
            let f = self.fast + (y * y - self.fast) * self.fast_coef;
            self.fast = f;
            self.slow += (f - self.slow) * self.slow_coef;
            self.gate = (self.gate * self.gate_decay).max(y.abs());
            self.follow_hit(pos, f);
            if pos.is_multiple_of(STEP) {
                self.sample_statistics(pos);
                self.highpass.flush();
                self.detector.flush(pos);
                if self.fast < 1e-30 {
                    self.fast = 0.0;
                }
                self.slow = self.slow.max(1e-18);
                if self.gate < 1e-20 {
                    self.gate = 0.0;
                }
            }
        }
    }

    fn start_hit(&mut self, pos: u64) {
        self.finish_hit(pos);
        self.hits = self.hits.saturating_add(1);
        self.last_detection = Some(pos);
        self.pending = Some(Pending {
            at: pos,
            peak_power: 0.0,
            peak_gate: 0.0,
            peak_at: pos,
        });
    }

    /// Tracks the hit in measurement: its peak, then the time to fall 20 dB below it.
    fn follow_hit(&mut self, pos: u64, f: f32) {
        let Some(p) = self.pending.as_mut() else {
            return;
        };
        let since = pos - p.at;
        if since <= self.peak_span {
            if f > p.peak_power {
                p.peak_power = f;
                p.peak_at = pos;
            }
            p.peak_gate = p.peak_gate.max(self.gate);
            if since == self.peak_span {
                let peak = p.peak_gate;
                self.add_peak(peak);
            }
            return;
        }
        if f < p.peak_power * 0.01 {
            if self.n_decays < MAX_HITS {
                self.decays[self.n_decays] = (pos - p.peak_at) as f32 / self.sample_rate;
                self.n_decays += 1;
            }
            self.pending = None;
        } else if since > self.decay_span {
            self.pending = None;
        }
    }

    /// A hit cut short by the next one: its peak still counts, its decay does not.
    fn finish_hit(&mut self, pos: u64) {
        if let Some(p) = self.pending.take() {
            if pos - p.at <= self.peak_span {
                self.add_peak(p.peak_gate);
            }
        }
    }

    fn add_peak(&mut self, gate: f32) {
        if self.n_peaks < MAX_HITS {
            self.hit_peaks[self.n_peaks] = 20.0 * gate.max(1e-12).log10();
            self.n_peaks += 1;
        }
    }

    /// Background statistics away from hit starts.
    fn sample_statistics(&mut self, pos: u64) {
        let near_hit = self
            .last_detection
            .is_some_and(|d| pos < d + self.peak_span.max(self.guard));
        if near_hit {
            return;
        }
        // Between hits: the noise floor is what the gate follower sits at when no hit rings.
        self.noise.add(20.0 * self.gate.max(1e-12).log10());
        self.background_rise
            .add(10.0 * (self.fast.max(1e-30) / self.slow).log10());
    }

    /// Hits heard so far.
    pub fn hits(&self) -> u32 {
        self.hits
    }

    /// Seconds heard so far.
    pub fn seconds(&self) -> f32 {
        self.pos as f32 / self.sample_rate
    }

    /// The levels learned from what was heard, or why none could be.
    pub fn result(&self) -> Result<LearnedLevels, LevelsError> {
        let seconds = self.seconds();
        if seconds < MIN_SECONDS {
            return Err(LevelsError::TooShort(seconds));
        }
        let noise = self
            .noise
            .percentile(NOISE_PERCENTILE)
            .unwrap_or(*FLOOR_RANGE_DBFS.start());
        // Detections no louder than the noise are the noise's own.
        let mut peaks = self.hit_peaks;
        let mut n = 0;
        for i in 0..self.n_peaks {
            if peaks[i] >= noise + HIT_ABOVE_NOISE_DB {
                peaks[n] = peaks[i];
                n += 1;
            }
        }
        if n < MIN_HITS {
            return Err(LevelsError::TooFewHits(n as u32));
        }
        let peaks = &mut peaks[..n];
        peaks.sort_unstable_by(f32::total_cmp);
        let soft = peaks[((n - 1) as f32 * SOFT_HIT_PERCENTILE) as usize];
        let floor = (noise + GATE_ABOVE_NOISE_DB)
            .min(soft - GATE_BELOW_SOFT_HITS_DB)
            .clamp(*FLOOR_RANGE_DBFS.start(), *FLOOR_RANGE_DBFS.end());
        let background = self
            .background_rise
            .percentile(BACKGROUND_PERCENTILE)
            .unwrap_or(0.0);
        let threshold = (background + THRESHOLD_ABOVE_BACKGROUND_DB).clamp(
            *THRESHOLD_RANGE_LEARNED_DB.start(),
            *THRESHOLD_RANGE_LEARNED_DB.end(),
        );
        let decay_ms = if self.n_decays == 0 {
            *DECAY_RANGE_LEARNED_MS.end()
        } else {
            let mut d = self.decays;
            let d = &mut d[..self.n_decays];
            d.sort_unstable_by(f32::total_cmp);
            1000.0 * d[d.len() / 2]
        };
        let decay_ms = decay_ms
            .clamp(
                *DECAY_RANGE_LEARNED_MS.start(),
                *DECAY_RANGE_LEARNED_MS.end(),
            )
            .clamp(
                *RETRIGGER_DECAY_RANGE_MS.start(),
                *RETRIGGER_DECAY_RANGE_MS.end(),
            );
        Ok(LearnedLevels {
            floor_dbfs: floor,
            threshold_db: threshold,
            retrigger_decay_ms: decay_ms,
            noise_dbfs: noise,
            soft_hit_dbfs: soft,
            hits: n as u32,
            seconds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::Membrane;

    /// Snare hits at `gain` every 250 ms over noise at `noise_db` dBFS.
    fn take(sample_rate: f32, gain: f32, noise_db: f32, seed: u64) -> Vec<f32> {
        let mut x = vec![0.0f32; (sample_rate * 4.0) as usize];
        let mut rng = fastrand::Rng::with_seed(seed);
        let noise = 10f32.powf(noise_db / 20.0);
        for v in x.iter_mut() {
            *v = noise * (rng.f32() * 2.0 - 1.0);
        }
        let step = (sample_rate * 0.25) as usize;
        for k in 0..15 {
            let velocity = if k % 3 == 0 { 0.3 } else { 0.9 };
            let hit = Membrane::snare().hit(0.3, velocity, sample_rate, seed + k as u64);
            for (i, h) in hit.iter().enumerate() {
                if let Some(v) = x.get_mut(step * k + 1000 + i) {
                    *v += gain * h;
                }
            }
        }
        x
    }

    #[test]
    fn the_gate_follows_the_recording_level() {
        let sr = 48_000.0;
        let settings = DetectorSettings::default();
        let mut levels = Vec::new();
        for gain_db in [-20.0f32, 0.0, 20.0] {
            let g = 10f32.powf(gain_db / 20.0);
            let x = take(sr, g, -70.0 + gain_db, 7);
            let mut l = LevelLearner::new(sr, &settings);
            l.process(&x);
            let r = l.result().unwrap();
            assert!(r.hits >= 14 && r.hits <= 16, "{r:?}");
            assert!(r.floor_dbfs < r.soft_hit_dbfs - 9.0, "{r:?}");
            assert!(r.floor_dbfs > r.noise_dbfs + 5.0, "{r:?}");
            levels.push(r);
        }
        // 20 dB more signal, 20 dB higher gate (within the histogram's resolution).
        for w in levels.windows(2) {
            let d = w[1].floor_dbfs - w[0].floor_dbfs;
            assert!((d - 20.0).abs() < 2.0, "{levels:?}");
            assert!((w[1].threshold_db - w[0].threshold_db).abs() < 1.0);
            assert!((w[1].retrigger_decay_ms - w[0].retrigger_decay_ms).abs() < 15.0);
        }
    }

    #[test]
    fn block_size_does_not_matter() {
        let sr = 44_100.0;
        let x = take(sr, 1.0, -65.0, 3);
        let settings = DetectorSettings::default();
        let mut whole = LevelLearner::new(sr, &settings);
        whole.process(&x);
        for block in [1, 64, 999] {
            let mut l = LevelLearner::new(sr, &settings);
            for b in x.chunks(block) {
                l.process(b);
            }
            assert_eq!(l.result(), whole.result());
        }
    }

    #[test]
    fn too_little_is_refused_with_what_was_heard() {
        let sr = 48_000.0;
        let mut l = LevelLearner::new(sr, &DetectorSettings::default());
        l.process(&vec![0.0; 24_000]);
        assert_eq!(l.result(), Err(LevelsError::TooShort(0.5)));
        l.process(&vec![0.0; 48_000]);
        assert_eq!(l.result(), Err(LevelsError::TooFewHits(0)));
        assert!(l.result().unwrap_err().to_string().contains("0 hits"));
        let x = take(sr, 1.0, -70.0, 1);
        l.restart(&DetectorSettings::default());
        l.process(&x);
        assert!(l.result().is_ok());
    }
}
