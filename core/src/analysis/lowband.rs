//! The low detection band: a second envelope detector on the snare's body (150 Hz up to the
//! main band's high-pass cutoff), which only adds hits the main band did not find.
//!
//! The input is band-passed ([`FROM_HZ`] 2nd-order Butterworth high-pass, then a 2nd-order
//! Butterworth low-pass at [`DetectorSettings::highpass_hz`]) and fed to an
//! [`EnvelopeDetector`] of its own: its own fast/slow envelopes, retrigger mask (the main band's
//! decay) and gate (the main band's floor), with the threshold [`EXTRA_DB`] higher. Its fast
//! envelope is slower than the main band's ([`FAST_TIME_S`], 2 ms): a band a few hundred hertz
//! wide holds few independent values per half millisecond, so a 0.5 ms power envelope of
//! room noise and ringing in it swings by 10 dB and more and fires on its own. A stroke's body
//! rises within a few milliseconds, and [`super::refine`] finds its first sample anyway.
//!
//! When the low band fires, its detection waits [`WAIT_S`]: if the main band fires meanwhile,
//! the main band's detection stands and the low band's is dropped; a main-band detection also
//! holds the low band off for the minimum interval. So every hit the main band finds keeps its
//! onset (and its descriptor), and the low band only adds strokes whose click above the cutoff
//! is lost under hats, cymbal wash or the previous stroke's wires, and quiet hits (soft kicks
//! and snares) whose energy above the cutoff stays under the floor. After a low-band detection
//! the main band's mask stands higher as after one of its own (see
//! [`super::envelope::MASK_HOLD_S`]), so the same stroke's click emerging from the hats a few
//! milliseconds later does not fire it again, while the next stroke's attack still does.
//! Measurements: [`super::envelope`].

use super::envelope::EnvelopeDetector;
use super::DetectorSettings;
use crate::biquad::{Biquad, BUTTERWORTH_Q};

/// Time constant of the low band's fast envelope, in seconds.
pub const FAST_TIME_S: f32 = 0.002;
/// Time constant of the low band's slow envelope, in seconds.
pub const SLOW_TIME_S: f32 = 0.010;
/// Lower edge of the low band, in Hz.
pub const FROM_HZ: f32 = 70.0;
/// The upper edge is the main band's high-pass cutoff, but at least this, in Hz.
pub const MIN_TO_HZ: f32 = 300.0;
/// The low band's threshold stands this much above the main band's, in dB.
pub const EXTRA_DB: f32 = 2.0;
/// How long a low-band detection waits for the main band before it is reported, in seconds.
pub const WAIT_S: f32 = 0.003;

/// The low band's filters, detector and pending detection. Plain data, copied into the
/// per-sample loop like the main detector.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LowBand {
    highpass: Biquad,
    lowpass: Biquad,
    pub(crate) detector: EnvelopeDetector,
    /// Where a detection waiting for [`WAIT_S`] is due (its absolute position plus the wait),
    /// `u64::MAX` when none is waiting.
    due: u64,
    /// [`WAIT_S`] in samples.
    wait: u64,
}

impl LowBand {
    pub(crate) fn new(sample_rate: f32, s: &DetectorSettings) -> Self {
        let mut b = Self {
            highpass: Biquad::identity(),
            lowpass: Biquad::identity(),
            detector: EnvelopeDetector::with_times(
                sample_rate,
                &Self::settings(s),
                FAST_TIME_S,
                SLOW_TIME_S,
            ),
            due: u64::MAX,
            wait: 1,
        };
        b.configure(sample_rate, s);
        b.reset();
        b
    }

    /// The low band's detector settings: the main band's with the threshold raised.
    fn settings(s: &DetectorSettings) -> DetectorSettings {
        DetectorSettings {
            threshold_db: s.threshold_db + EXTRA_DB,
            ..*s
        }
    }

    /// Applies new settings (the upper edge follows the main band's cutoff), keeping the state.
    pub(crate) fn configure(&mut self, sample_rate: f32, s: &DetectorSettings) {
        let to = s.highpass_hz.max(MIN_TO_HZ).min(0.45 * sample_rate);
        let from = FROM_HZ.min(0.5 * to);
        self.highpass
            .set_coefficients(&Biquad::highpass(from, BUTTERWORTH_Q, sample_rate));
        self.lowpass
            .set_coefficients(&Biquad::lowpass(to, BUTTERWORTH_Q, sample_rate));
        self.detector.configure(sample_rate, &Self::settings(s));
        self.wait = ((WAIT_S * sample_rate).round() as u64).max(1);
    }

    pub(crate) fn reset(&mut self) {
        self.highpass.reset();
        self.lowpass.reset();
        self.detector.reset();
        self.due = u64::MAX;
    }

    /// Band-passes the (sanitised) input sample `x`.
    #[inline(always)]
    pub(crate) fn filter(&mut self, x: f32) -> f32 {
        self.lowpass
            .process_unflushed(self.highpass.process_unflushed(x))
    }

    /// Feeds the band-passed sample `z` at absolute position `pos`; returns the position of a
    /// low-band detection that has waited [`WAIT_S`] without the main band firing (call
    /// [`LowBand::main_fired`] first when the main band fires at `pos`).
    #[inline(always)]
    pub(crate) fn process(&mut self, z: f32, pos: u64) -> Option<u64> {
        if self.detector.process(z, pos) && self.due == u64::MAX {
            self.due = pos + self.wait;
        }
        if pos >= self.due {
            let p = self.due - self.wait;
            self.due = u64::MAX;
            Some(p)
        } else {
            None
        }
    }

    /// The main band fired at `pos`: a pending low-band detection is dropped and the low band is
    /// held off as after a detection of its own.
    #[inline(always)]
    pub(crate) fn main_fired(&mut self, pos: u64) {
        self.due = u64::MAX;
        self.detector.note_detection(pos);
    }

    /// Flushes tiny filter and envelope values (see [`EnvelopeDetector::flush`]).
    #[inline]
    pub(crate) fn flush(&mut self, pos: u64) {
        self.highpass.flush();
        self.lowpass.flush();
        self.detector.flush(pos);
    }
}
