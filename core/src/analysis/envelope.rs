//! Envelope onset detector: fast/slow envelope difference in two bands, the high-passed signal
//! (the main band) and 150 Hz up to the high-pass cutoff (the low band), each with a retrigger
//! mask.
//!
//! Both envelopes are mean-square (power) envelopes: the fast one smooths the squared filtered
//! signal with a 0.5 ms one-pole, the slow one smooths the fast one with 10 ms. A power envelope
//! fluctuates far less on noise and snare-wire rattle than a peak follower. An onset fires on the
//! first sample where, in either band, fast exceeds slow by the threshold (dB), fast exceeds that
//! band's retrigger mask, the band's gate (a peak follower of its filtered magnitude with a 2 ms
//! release) is above the floor, the band's detector is armed and the minimum interval since the
//! last detection (in either band) has passed. Because the attack is instant, it fires within a
//! fraction of a millisecond of a transient; [`super::refine`] then finds the first sample.
//!
//! A **retrigger mask** keeps one hit from firing twice. It is a peak follower of the fast
//! envelope that falls by 20 dB over [`DetectorSettings::retrigger_decay_ms`]: a new onset must
//! rise above it, so a hit's own ringing, its snare wires, the room's reflections of it and the
//! wash of a cymbal (all of which sit below the peak they follow) cannot fire, while a new
//! attack, which rises above everything before it, does. For [`MASK_HOLD_S`] after a detection
//! the mask stands [`MASK_HOLD_DB`] higher: a real drum's energy above 1 kHz keeps building for
//! 10 to 25 ms after the stick's click (wires, shell, the first reflections) and beats on the
//! way, so only an attack clearly louder than what came before (the main stroke after a flam's
//! grace note, 10 to 20 dB louder) fires there. A detection in one band gives the other the same
//! hold and minimum interval.
//!
//! The **low band** (threshold [`LOW_BAND_EXTRA_DB`] higher) hears the snare's body, where hats
//! and cymbals are weak: it finds soft strokes whose click above 1 kHz is lost in hat or cymbal
//! bleed, and quiet single hits (kicks, soft snares) whose energy above 1 kHz stays under the
//! floor. Its higher threshold keeps tom and kick ringing from firing it.
//!
//! At start-up the slow envelope is set to the floor level, as if the floor had been sounding
//! before sample 0: low noise at the start cannot fire, a hit at sample 0 still does.
//!
//! # What limits recall on a real kit in a room (measured)
//!
//! `tests/examples/detector_misses.rs` renders the grooves of `tests/src/kit` (Hydrogen kits and
//! the membrane snare, rooms, bleed; 1 seed per kit and rate) once whole and once per snare
//! stroke alone, and measures each stroke's **click contrast**: the peak of its own 0.5 ms power
//! envelope above 1 kHz in its first 2 ms over the largest envelope of everything else (bleed,
//! the snare's own earlier strokes and their room, noise) from 2 ms before its onset to 2 ms
//! after. With the main band alone (before the low band), every missed ghost, roll stroke and
//! grace note was blocked by the 7 dB fast/slow threshold, none by the mask (which a sweep
//! confirmed: it was the threshold, never the mask, that stopped retriggers). Of the missed
//! strokes, most were **buried**: contrast below 0 dB, so the stroke adds less than 3 dB to what
//! already sounds, while a 0.5 ms power envelope of cymbal wash and wire rattle fluctuates by
//! 4 to 6 dB on its own:
//!
//! | material, stroke | strokes | recall | missed with contrast < 0 dB | recall if contrast >= 0 dB |
//! |------------------|---------|--------|-----------------------------|----------------------------|
//! | real kit, ghosts | 234 | 0.51 | 111 of 115 (95 below -12 dB) | 0.80 (20 strokes) |
//! | real kit, rolls  | 198 | 0.21 | 141 of 157 (107 below -12 dB) | 0.50 (32) |
//! | real kit, graces | 24 | 0.79 | 5 of 5 | 1.00 (18) |
//! | membrane, ghosts | 90 | 0.43 | 38 of 51 | 0.38 (21) |
//! | membrane, rolls  | 100 | 0.08 | 47 of 92 | 0.08 (49) |
//! | membrane, graces | 20 | 0.60 | 4 of 8 | 0.75 (16) |
//!
//! Ghost notes (-35 to -20 dB) sit under the hat (-20 to -10 dB, and brighter): buried ghosts are
//! "found" only when a hat stroke's detection lands within the matching tolerance. Roll strokes
//! (25 to 50 ms apart) rise only 0 to 6 dB above the previous stroke's wires: the membrane's
//! missed roll strokes had 0 to 6 dB of contrast against the snare's own tail (68 of 92), the real
//! kits' were mostly under bleed. In the 150 Hz to 1 kHz band (same contrast, up to 5 ms after the
//! onset) 59 of the 157 missed real-kit roll strokes and 30 of the 115 missed ghosts stand above
//! everything else; hence the low band.
//!
//! What did not help (sweeps of `tests/examples/detector_sweep.rs`, real-kit grooves): a lower
//! threshold (5 dB: recall 0.685 but 37 retriggers per 100 snare hits and 5.4 detections per dry
//! cymbal stroke; 3.5 dB: 0.789, 299 retriggers); a second mask following the slow envelope's
//! peak with a margin (6 dB: recall 0.655, 5.2 retriggers; 4 dB: 169 retriggers); a 1 ms fast
//! envelope (threshold 5 dB: 0.649, 2.0 retriggers) or a 4 ms slow one (5 dB: 0.681, 28
//! retriggers). All lie on one curve of recall against retriggers: the fluctuation of the wash
//! decides it, not the shape of the mask. A low band at the main threshold (7 dB) found more
//! (real kit 0.762, single hits 99.75 %) but retriggered 71 times per 100 snare hits; at +1.5 dB
//! 0.680 and 7.2 retriggers; at +3 dB (2 seeds per kit and rate, 400 single-hit files):
//!
//! | material | main band alone | with the low band at +3 dB | at +10 dB (the default) |
//! |----------|-----------------|----------------------------|-------------------------|
//! | membrane grooves: F, recall (ghosts, rolls, graces, flams), retriggers / 100 | 0.449, 0.566 (0.50, 0.13, 0.73, 0.73), 0.0 | 0.454, 0.604 (0.55, 0.19, 0.80, 0.80), 0.9 | 0.449, 0.566 (0.50, 0.13, 0.73, 0.73), 0.0 |
//! | real-kit grooves: same | 0.453, 0.621 (0.50, 0.23, 0.75, 0.69), 1.2 | 0.460, 0.641 (0.53, 0.24, 0.90, 0.87), 1.6 | 0.454, 0.622 (0.50, 0.23, 0.79, 0.73), 1.2 |
//! | single-hit files: found, extra / 100 files | 94.50 %, 14.5 | 99.50 %, 16.0 | 95.75 %, 14.5 |
//! | dry strokes: detections per kick, snare, tom, hat, cymbal | 0.91, 1.00, 1.12, 1.10, 1.17 | 1.00, 1.01, 1.14, 1.10, 1.17 | 0.91, 1.00, 1.14, 1.10, 1.17 |
//!
//! At +3 dB kick bleed detections rose from 5 to 9 per 100 snare hits (membrane grooves) and the
//! synthetic performances of `core/tests/onsets.rs` (kick and tom bleed, no hats) got 3 to 6
//! detections on bleed (F 0.96 to 0.98 < 0.99 at 44.1 and 48 kHz); up to +8 dB they still got 3
//! (F 0.981), +10 dB keeps them at F >= 0.99. So the default is +10 dB, which finds little more
//! than the main band alone: the low band's benefit on real kits is bought with kick and tom
//! bleed detections, which these synthetic performances count as false onsets.

//! Measured on dry Hydrogen one-shots (696 files of ten acoustic kits, `hydrogen-data` and
//! `hydrogen-drumkits`) the detections per stroke went from 8.75 (crash), 5.6 (ride), 1.85
//! (snare), 1.64 (tom) and 1.40 (hi-hat) without the mask to 1.15, 1.23, 1.08, 0.98 and 1.03 with
//! it; what remains is mostly samples that hold several strokes (rolls, rivets).

use super::DetectorSettings;

/// Time constant of the fast envelope, in seconds.
pub const FAST_TIME_S: f32 = 0.0005;
/// Release time constant of the gate's peak follower, in seconds.
pub const GATE_RELEASE_S: f32 = 0.002;
/// Time constant of the slow envelope, in seconds.
pub const SLOW_TIME_S: f32 = 0.010;
/// How long after a detection the retrigger mask stands [`MASK_HOLD_DB`] higher, in seconds
/// (the hit's energy is still building up and beating).
pub const MASK_HOLD_S: f32 = 0.018;
/// How much higher the retrigger mask stands for [`MASK_HOLD_S`] after a detection, in dB.
pub const MASK_HOLD_DB: f32 = 2.5;

/// Lower edge of the low detection band, in Hz (2nd-order Butterworth high-pass).
pub const LOW_BAND_FROM_HZ: f32 = 150.0;
/// The low band's upper edge (2nd-order Butterworth low-pass) is the high-pass cutoff of the main
/// band ([`DetectorSettings::highpass_hz`]), but at least this, in Hz.
pub const LOW_BAND_MIN_TO_HZ: f32 = 300.0;
/// The low band's threshold stands this much above the main band's, in dB.
pub const LOW_BAND_EXTRA_DB: f32 = 10.0;

/// The larger of two finite values (a single `maxss`; `f32::max` also handles NaN).
#[inline(always)]
fn max(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

/// What the envelope detector saw at one sample (see [`Probe`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Fast envelope after this sample (power, full scale = 1).
    pub fast: f32,
    /// Slow envelope the fast one was compared with (power).
    pub slow: f32,
    /// Retrigger mask the fast envelope was compared with (power).
    pub mask: f32,
    /// Gate after this sample (amplitude).
    pub gate: f32,
    /// Fast exceeded slow by the threshold.
    pub over_ratio: bool,
    /// Fast exceeded the retrigger mask.
    pub over_mask: bool,
    /// The gate was above the floor.
    pub over_floor: bool,
    /// The detector was armed (fast had fallen below a condition since the last detection).
    pub armed: bool,
    /// An onset fired here.
    pub fired: bool,
}

/// The low detection band: the input band-passed from [`LOW_BAND_FROM_HZ`] to the main band's
/// high-pass cutoff, and an envelope detector of its own with the threshold raised by
/// [`LOW_BAND_EXTRA_DB`]. Plain data, copied into the per-sample loop like the main detector.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LowBand {
    highpass: crate::biquad::Biquad,
    lowpass: crate::biquad::Biquad,
    pub(crate) detector: EnvelopeDetector,
}

impl LowBand {
    pub(crate) fn new(sample_rate: f32, s: &DetectorSettings) -> Self {
        let mut b = Self {
            highpass: crate::biquad::Biquad::identity(),
            lowpass: crate::biquad::Biquad::identity(),
            detector: EnvelopeDetector::new(sample_rate, &Self::settings(s)),
        };
        b.configure(sample_rate, s);
        b
    }

    /// The low band's detector settings: the main ones with the threshold raised.
    fn settings(s: &DetectorSettings) -> DetectorSettings {
        DetectorSettings {
            threshold_db: s.threshold_db + LOW_BAND_EXTRA_DB,
            ..*s
        }
    }

    /// Applies new settings (the upper edge follows the main high-pass), keeping the state.
    pub(crate) fn configure(&mut self, sample_rate: f32, s: &DetectorSettings) {
        let q = std::f32::consts::FRAC_1_SQRT_2;
        let to = s
            .highpass_hz
            .max(LOW_BAND_MIN_TO_HZ)
            .min(0.45 * sample_rate);
        self.highpass
            .set_coefficients(&crate::biquad::Biquad::highpass(
                LOW_BAND_FROM_HZ,
                q,
                sample_rate,
            ));
        self.lowpass
            .set_coefficients(&crate::biquad::Biquad::lowpass(to, q, sample_rate));
        self.detector.configure(sample_rate, &Self::settings(s));
    }

    pub(crate) fn reset(&mut self) {
        self.highpass.reset();
        self.lowpass.reset();
        self.detector.reset();
    }

    /// Feeds the (sanitised, unfiltered) input sample at `pos`.
    #[inline(always)]
    fn step(&mut self, x: f32, pos: u64) -> Step {
        let z = self
            .lowpass
            .process_unflushed(self.highpass.process_unflushed(x));
        self.detector.step(z, pos)
    }

    /// Feeds the (sanitised, unfiltered) input sample at `pos`; true when an onset fires there.
    #[inline(always)]
    pub(crate) fn process(&mut self, x: f32, pos: u64) -> bool {
        self.step(x, pos).fired
    }

    /// Flushes tiny filter and envelope values (see [`EnvelopeDetector::flush`]).
    #[inline]
    pub(crate) fn flush(&mut self, pos: u64) {
        self.highpass.flush();
        self.lowpass.flush();
        self.detector.flush(pos);
    }
}

/// The envelope detector with its high-pass, sample by sample, reporting what it saw: for
/// diagnostics (why a stroke was or was not detected). Fires on the same samples as
/// [`super::Analyzer`] with the envelope detector.
#[derive(Debug, Clone)]
pub struct Probe {
    highpass: crate::biquad::Biquad,
    detector: EnvelopeDetector,
    low: LowBand,
    pos: u64,
}

/// What both bands saw at one sample (see [`Probe`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProbeStep {
    /// The main band (above the high-pass cutoff).
    pub main: Step,
    /// The low band (150 Hz to the cutoff).
    pub low: Step,
    /// An onset fired here (in either band).
    pub fired: bool,
}

impl Probe {
    /// A probe at `sample_rate` (Hz) with `settings` (clamped).
    pub fn new(sample_rate: f32, settings: &DetectorSettings) -> Self {
        let s = settings.clamped();
        Self {
            highpass: crate::biquad::Biquad::highpass(
                s.highpass_hz.min(0.45 * sample_rate),
                std::f32::consts::FRAC_1_SQRT_2,
                sample_rate,
            ),
            detector: EnvelopeDetector::new(sample_rate, &s),
            low: LowBand::new(sample_rate, &s),
            pos: 0,
        }
    }

    /// Feeds one input sample.
    pub fn step(&mut self, x: f32) -> ProbeStep {
        let x = super::sanitize(x);
        let y = self.highpass.process_unflushed(x);
        let pos = self.pos;
        let main = self.detector.step(y, pos);
        let low = self.low.step(x, pos);
        // As in `Analyzer::run`: a detection in one band holds the other off.
        if main.fired {
            self.low.detector.note_detection(pos);
        } else if low.fired {
            self.detector.note_detection(pos);
        }
        self.pos += 1;
        if self.pos.is_multiple_of(super::FLUSH_PERIOD) {
            self.highpass.flush();
            self.detector.flush(self.pos);
            self.low.flush(self.pos);
        }
        ProbeStep {
            main,
            low,
            fired: main.fired || low.fired,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct EnvelopeDetector {
    /// Fast mean-square envelope (power, full scale = 1).
    fast: f32,
    /// Slow mean-square envelope (power).
    slow: f32,
    fast_coef: f32,
    slow_coef: f32,
    /// Threshold as a power ratio of fast over slow.
    ratio: f32,
    /// Retrigger mask: peak follower of the fast envelope (power).
    mask: f32,
    /// Per-sample factor by which the mask falls (power).
    mask_release: f32,
    /// [`MASK_HOLD_DB`] as a power ratio.
    hold_boost: f32,
    /// Until this absolute position the mask stands [`MASK_HOLD_DB`] higher.
    hold_until: u64,
    /// [`MASK_HOLD_S`] in samples.
    hold: u64,

    /// Gate: peak follower of |y| (full scale = 1).
    gate: f32,
    gate_decay: f32,
    /// Floor as an amplitude.
    floor: f32,
    /// Fast fell below the threshold since the last detection.
    armed: bool,
    /// Last position at which the fast envelope was at or below the slow one: where the rise
    /// that led to the latest detection began (refinement searches from there).
    last_below: u64,
    holdoff_until: u64,
    min_interval: u64,
    /// Fast envelope, slow envelope and mask (power) at the latest detection.
    fired: [f32; 3],
    /// Largest fast/slow power ratio seen at the flush points since the meter was last read.
    peak_ratio: f32,
    /// Largest mask/slow power ratio seen at the flush points since the meter was last read.
    peak_mask: f32,
}

impl EnvelopeDetector {
    pub(crate) fn new(sample_rate: f32, s: &DetectorSettings) -> Self {
        let mut d = Self {
            fast: 0.0,
            slow: 0.0,
            fast_coef: 1.0 - (-1.0 / (FAST_TIME_S * sample_rate)).exp(),
            slow_coef: 1.0 - (-1.0 / (SLOW_TIME_S * sample_rate)).exp(),
            ratio: 1.0,
            mask: 0.0,
            mask_release: 1.0,
            hold_boost: 10f32.powf(MASK_HOLD_DB / 10.0),
            hold_until: 0,
            hold: 1,
            gate: 0.0,
            gate_decay: (-1.0 / (GATE_RELEASE_S * sample_rate)).exp(),
            floor: 0.0,
            armed: true,
            last_below: 0,
            holdoff_until: 0,
            min_interval: 1,
            fired: [0.0; 3],
            peak_ratio: 0.0,
            peak_mask: 0.0,
        };
        d.configure(sample_rate, s);
        d.reset();
        d
    }

    /// Applies new (clamped) settings, keeping the envelopes.
    pub(crate) fn configure(&mut self, sample_rate: f32, s: &DetectorSettings) {
        self.ratio = 10f32.powf(s.threshold_db / 10.0);
        self.floor = 10f32.powf(s.floor_dbfs / 20.0);
        self.min_interval = ((s.min_interval_ms * 0.001 * sample_rate).round() as u64).max(1);
        self.hold = ((MASK_HOLD_S * sample_rate).round() as u64).max(1);
        // 20 dB (a power ratio of 100) over `retrigger_decay_ms`.
        let samples = (s.retrigger_decay_ms * 0.001 * sample_rate).max(1.0);
        self.mask_release = 10f32.powf(-2.0 / samples);
    }

    pub(crate) fn reset(&mut self) {
        self.fast = 0.0;
        self.gate = 0.0;
        self.slow = (self.floor * self.floor).max(1e-18);
        self.mask = 0.0;
        self.hold_until = 0;
        self.armed = true;
        self.last_below = 0;
        self.holdoff_until = 0;
    }

    /// What the detector saw at its latest detection.
    pub(crate) fn last_detection(&self) -> super::Detection {
        let db = |p: f32| 10.0 * p.max(1e-20).log10();
        let [fast, slow, mask] = self.fired;
        super::Detection {
            level_dbfs: db(fast),
            rise_db: db(fast) - db(slow),
            mask_dbfs: db(mask),
        }
    }

    /// Records a detection at `pos` made by the other band: the same minimum interval and mask
    /// hold as after one of its own, and disarmed until its envelope falls.
    #[inline(always)]
    pub(crate) fn note_detection(&mut self, pos: u64) {
        self.armed = false;
        self.holdoff_until = pos + self.min_interval;
        self.hold_until = pos + self.hold;
    }

    /// Where the rise behind the latest detection began, in absolute samples.
    pub(crate) fn rise_start(&self) -> u64 {
        self.last_below
    }

    /// The mask in force at absolute position `pos` (power): the peak follower, raised by
    /// [`MASK_HOLD_DB`] while a detection is recent.
    #[inline(always)]
    fn mask_at(&self, pos: u64) -> f32 {
        if pos < self.hold_until {
            self.mask * self.hold_boost
        } else {
            self.mask
        }
    }

    /// Feeds the high-passed sample at absolute position `pos`; true when an onset fires there.
    #[inline(always)]
    pub(crate) fn process(&mut self, y: f32, pos: u64) -> bool {
        self.step(y, pos).fired
    }

    /// [`EnvelopeDetector::process`], reporting which conditions held.
    #[inline(always)]
    fn step(&mut self, y: f32, pos: u64) -> Step {
        let f = self.fast + (y * y - self.fast) * self.fast_coef;
        let mask = self.mask_at(pos);
        let over_ratio = f > self.slow * self.ratio;
        let over_mask = f > mask;
        let above = over_ratio & over_mask;
        let slow = self.slow;
        if f <= self.slow {
            self.last_below = pos;
        }
        self.slow += (f - self.slow) * self.slow_coef;
        self.fast = f;
        // The mask follows the envelope from the previous sample on: `above` compared this
        // sample with the mask before it.
        self.mask = max(self.mask * self.mask_release, f);
        let g = max(self.gate * self.gate_decay, y.abs());
        self.gate = g;
        let mut st = Step {
            fast: f,
            slow,
            mask,
            gate: g,
            over_ratio,
            over_mask,
            over_floor: g > self.floor,
            armed: self.armed,
            fired: false,
        };
        if above {
            if self.armed && g > self.floor && pos >= self.holdoff_until {
                self.armed = false;
                self.holdoff_until = pos + self.min_interval;
                self.fired = [f, slow, mask];
                self.hold_until = pos + self.hold;
                st.fired = true;
            }
        } else {
            self.armed = true;
        }
        st
    }

    /// Flushes tiny envelope values (call every few dozen samples, at fixed absolute positions
    /// so results do not depend on the block size): no subnormal numbers in silence.
    #[inline]
    pub(crate) fn flush(&mut self, pos: u64) {
        self.peak_ratio = self.peak_ratio.max(self.fast / self.slow);
        self.peak_mask = self.peak_mask.max(self.mask_at(pos) / self.slow);
        if self.fast < 1e-30 {
            self.fast = 0.0;
        }
        if self.mask < 1e-30 {
            self.mask = 0.0;
        }
        if self.gate < 1e-20 {
            self.gate = 0.0;
        }
        if self.slow < 1e-18 {
            self.slow = 1e-18;
        }
    }

    /// The largest fast-minus-slow difference since the last call and the largest
    /// mask-minus-slow difference, both in dB (sampled at the flush points, every few dozen
    /// samples), and resets them.
    pub(crate) fn take_peak(&mut self) -> (f32, f32) {
        let peak = 10.0 * self.peak_ratio.max(1e-18).log10();
        let mask = 10.0 * self.peak_mask.max(1e-18).log10();
        self.peak_ratio = 0.0;
        self.peak_mask = 0.0;
        (peak, mask)
    }

    /// (fast minus slow, the threshold, the retrigger mask at absolute position `pos` minus
    /// slow), all in dB.
    pub(crate) fn meter(&self, pos: u64) -> (f32, f32, f32) {
        (
            10.0 * (self.fast.max(1e-18) / self.slow).log10(),
            10.0 * self.ratio.log10(),
            10.0 * (self.mask_at(pos).max(1e-18) / self.slow).log10(),
        )
    }
}
