//! The low detection band: a second envelope detector on the snare's body (70 Hz up to the
//! main band's high-pass cutoff), which only adds hits the main band did not find.
//!
//! The input is band-passed ([`FROM_HZ`] 2nd-order Butterworth high-pass, then a 2nd-order
//! Butterworth low-pass at [`DetectorSettings::highpass_hz`]) and fed to an
//! `EnvelopeDetector` of its own: its own fast/slow envelopes, retrigger mask (the main band's
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
//!
//! Measured (`cargo run --release -p timbrel-host-tests --example detection_report`, 4 seeds per
//! kit and rate, 1,200 single-hit files; without -> with the low band): real-kit grooves, snare
//! recall 0.623 -> 0.649 (backbeats 0.996 -> 0.999, ghosts 0.49 -> 0.53, rolls 0.19 -> 0.19,
//! flam graces 0.66 -> 0.81, flams with both hits 0.63 -> 0.80), retriggers 1.00 -> 0.96 per 100
//! snare hits, detections of other pieces per 100 snare hits (hat, cymbal, tom, kick) 67.0,
//! 21.7, 12.8, 5.4 -> 70.3, 21.4, 12.9, 7.9, median timing error 0.875 -> 0.816 ms; membrane
//! grooves recall 0.578 -> 0.592, flams 0.69 -> 0.78; single-hit files found 94.08 -> 99.92 %
//! (the soft kicks under the gate), extra detections 16.5 -> 18.1 per 100 files; dry strokes per
//! kick 0.91 -> 1.03. The learn crate's synthetic goal test: rho 0.961 -> 0.952. Cost: about
//! 2.1 times the instructions per sample (callgrind), `timbrel bench` 5105x -> about 2300x real
//! time (goal 2000x). Tried and dropped (`detector_sweep`): every threshold trades recall
//! against retriggers along one curve (+1 dB: 0.696 with 14 retriggers per 100; -2 dB: 0.739
//! with 32); requiring the main band to rise with it (0.643, single hits 98.75 %); a slower
//! mask or a longer hold-off after a main hit (no gain); a 0.5 ms fast envelope (noise alone
//! swings 10 dB in this band). Under +2 dB the band fires on synthetic toms' beating ringing 15
//! to 17 ms after their attack.
//!
//! Tried and dropped later (`detector_sweep`, 2 seeds per kit and rate, 400 single-hit files;
//! at these settings real-kit recall 0.633, ghosts 0.512, rolls 0.230, retriggers 1.2 per 100
//! snare hits, 16.5 extra detections per 100 single-hit files, 1.14 detections per dry tom
//! stroke):
//! - **Per-band evidence**: three more bands (150-400 Hz, 400 Hz-1 kHz, 2-8 kHz; fast envelopes
//!   2, 1.5 and 0.5 ms, slow 10 ms), each with its own retrigger mask and hold, firing (like this
//!   band, only where the main band did not) when the product of the rises over slow of the
//!   bands above their own masks passes a threshold. Threshold 15 dB: recall 0.639, retriggers
//!   1.5, extras 20.8, tom 1.19; 13 dB: 0.653, 3.3, 24.8, 1.44; 12 dB: 0.661, 4.6; 10 dB: 0.694,
//!   17.4, 54.0. Masks falling in 40 ms or 1 s, a gate 15 dB lower, a longer hold (10 dB, 40 ms)
//!   stay on the same curve (12 dB with that hold: 0.660 with 2.6 retriggers, tom 1.60). It
//!   also costs three more biquads and envelopes per sample.
//! - **Rise over the mask** (for rolls, whose strokes come before the previous one has decayed):
//!   this band also fires when its fast envelope stands X dB over the mask in force where the
//!   rise began and Y dB over slow. X 8, Y 6: 0.652 with 2.6 retriggers; 8, 4: 0.670, 5.9; 6, 3:
//!   0.720, 22; 4, 3: 0.788, 88. The same curve again.
//! - **The envelope at a quarter rate** (fed every 4 samples with their mean square and peak;
//!   filters and history at the full rate): detections within 0.001 of recall, but `timbrel
//!   bench` went 1531x -> 1409x on a loaded machine (3 alternating runs): the per-sample
//!   accumulation and branch cost more than the envelope updates they save. A gain needs the
//!   filters at a quarter rate too (an anti-alias low-pass, and this band's history rebuilt from
//!   the raw history for refinement).
//! - **A lower floor** (the gate of both bands): -46 dBFS gave recall 0.634, -52 dBFS 0.634
//!   (ghosts 0.512 -> 0.516), with 21.2 and 24.2 extras per 100 single-hit files and 1.30 and
//!   1.51 detections per dry tom stroke: the soft strokes are missed for their rise, not the gate.
//!
//! Why: `cargo run --release -p timbrel-host-tests --example buried_strokes` renders each snare
//! stroke of the real-kit grooves alone and compares it with the rest of the mix in its first
//! 3 ms. Missed ghost notes sit at a median -10 dB (70 Hz-1 kHz) and -21 dB (above 1 kHz) under
//! the rest, and only 24 % of them reach 0 dB in any of five narrower bands; missed roll
//! strokes -3 and -16 dB, 27 %. Of all snare strokes, 61 % stand at 0 dB or more over the rest
//! in some band (71 % over 10 ms), 83 % at -10 dB or more (90 % over 10 ms): a recall of 0.98
//! needs finding strokes 10 dB and more under the hats, the wash and the previous stroke's
//! ringing, which no detector of a rise of energy does without firing on the ringing too.
//!
//! Nor does a linear predictor of the ringing (`tests/examples/predicted_rest.rs`: LPC of order
//! 8-32 on the decimated 70 Hz-1 kHz band, fitted on the last 10-40 ms): it cancels the rest by
//! 6-7 dB, but the new stroke of the same drum nearly as much; in the prediction error the missed
//! ghosts still sit a median 8.6 dB (rolls 2.8 dB) under the rest's, and a detector on it would
//! catch about 38 more strokes (recall 0.64 -> at most 0.70) at about 0.3 false alarms per second
//! (the budget is about 0.04) while firing on most other pieces' strokes.

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
    /// low-band detection that has waited [`WAIT_S`] (when the main band fires at `pos` too, its
    /// detection wins and [`LowBand::main_fired`] drops any pending one).
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
