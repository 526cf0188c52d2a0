//! Re-anchoring a hit on a second source: when the detector fires on a stroke with almost no
//! body (a hi-hat) and the drum's own attack follows a few milliseconds later, the hit's window
//! is moved to the drum's attack.
//!
//! The detector listens above 1 kHz, where a closed hat is about as loud as a snare's attack, so
//! a hat struck 0.5 to 3 ms before the snare wins the detection and the snare's attack falls in
//! the retrigger mask; the analysis window would then start on the hat. A drum has its body
//! between [`BAND_LOW_HZ`] and [`BAND_HIGH_HZ`], where a hat has little. So, [`LOOK_S`] after
//! the detected onset (at most one window: an unmoved hit keeps `ready = onset + window`), the
//! raw history around it is band-passed (two biquads run over a few hundred samples of history,
//! into a buffer allocated up front; nothing runs per sample) and the band's onset is found as
//! [`super::refine`] finds one: the first sample above both [`NOISE_FACTOR`] times the band's
//! largest magnitude in the [`NOISE_S`] before the detected onset and [`PEAK_FRACTION`] of its
//! largest magnitude up to the decision. The hit moves to that band onset only if all hold:
//! - it lies at least [`MIN_LAG_S`] after the detected onset;
//! - the band reaches half its peak within [`RISE_S`] of it (a body that starts at once, not a
//!   stroke's own low end building up);
//! - before it, the high-passed signal stood at least [`BODILESS_DB`] above the band (the first
//!   source had no body);
//! - the band's peak is at most [`BODY_DB`] below the high-passed signal's (the second source
//!   is a drum);
//! - the high band itself shows a second stroke ([`CLICK_S`] blocks of the high-passed signal,
//!   all ratios, so level-invariant): the quietest block between the detection and the band
//!   onset lies [`NEW_SOURCE_DB`] to [`PRECURSOR_DB`] below the second source's first two
//!   blocks (a louder stroke starts there, and the detection was a stroke of its own, not a
//!   faint precursor), and near the band onset the power of one block exceeds the two before
//!   it by [`CLICK_DB`] (the second stroke brings its own click).
//!
//! Why the last rule: without it (anchor14's rules), 28 of 4,562 membrane hits of the six
//! seeded 10-minute performances (`performance_misses`, the plugin's 10-minute host test) were
//! moved by 0.50-0.77 ms, all edge hits (radius 0.81-0.94, any velocity 0.2-1): their low modes
//! are weak and start from zero phase, so the body band crosses 10 % of its peak about 0.5 ms
//! after the click, which looks like a bodiless stroke followed by a body. On them the quietest
//! high-band block stood -5 to +10 dB from the "second source" (nothing new starts) and the
//! click rise was -7 to +6 dB. On 7 of 1,036 dry Hydrogen strokes (5 toms by 48-60 samples,
//! 2 cymbals by 38 and 55) the detection sat on a precursor 37-44 dB under the stroke. Real
//! hats 0.5-3 ms before a membrane hit (578 moves in `anchor_report 100`): quietest block -38
//! to +7 dB (median -19), rise -4 to 32 dB (median 16). The lead's "second source brings its
//! own click" alone (rise) fixed four of six seeds; the step in level (the quietest block) is
//! what separates the edge hits, the precursor bound what separates the dry real strokes.
//!
//! Measured (`cargo run --release -p timbrel-host-tests --example anchor_report -- 200 2000`,
//! the interpolation report with `BLEED=0.0..0.5 BLEED_SHIFT_MS=-3..-0.5`, and
//! `performance_misses`): no lone stroke moves: 0 of 1,036 dry strokes of the seven
//! `ONESHOT_KITS` (44.1 and 48 kHz), 0 of 3,218 membrane hits (radius 0..0.99, velocity
//! 0.05..1, dry and in rooms; 0 of 12,967 with `-- 20 8000`), 0 of 4,562 hits of the six
//! performance seeds (and 0 of 11,389 on seeds 6-20). Membrane hits
//! after a real closed hat by 0.5/1/1.5/2/2.5/3 ms are moved in 24/64/62/50/47/44 % of cases
//! (real snares 20/32/44/50/53/46 %), to a median 0.16-0.18 ms from the membrane's onset at
//! leads up to 1.5 ms; hats after the hit move nothing. On the real-kit grooves
//! (`detection_report -- 2 200`: five kits, 44.1 and 48 kHz) 67 of 798 hits at snare strokes
//! move, their window from a median 1.58 ms to 0.27 ms off the stroke (3 of them further
//! off); all 798: 0.82 -> 0.60 ms. Interpolation rho with a hat before the
//! hit 0.061 -> 0.456 (unknown 55.0 -> 41.9 %), hat after 0.893 -> 0.893, all bleed 0.596 ->
//! 0.646, grooves 0.493 -> 0.517, clean 0.940 unchanged (5.8 ms, six rooms). Moving whenever
//! the band onset lags by 0.5 ms (the first three conditions dropped) moved about a third of
//! the lone dry snare and hat strokes of the Hydrogen kits by 0.5 to 3 ms: a real stroke's low
//! end often lags its click. Looser variants of anchor14's rules (rise 0.5 ms, a 10 or 6 dB
//! bodiless margin, a 20 % band threshold) each moved 14 to 25 lone strokes for at most a few
//! hundredths of rho more. Measured and not used: the share of the band before its onset
//! (edge hits -30 to -9 dB under its peak, hat cases -53 to -20: overlaps), the high band's
//! level just before the band onset relative to the first stroke's peak (no separation), and
//! the rise alone (fixes the edge hits only with no margin: 5.7 dB on them, 2-9 dB at the p10
//! of real hat cases).
//!
//! **The take-over.** The body rule above looks [`LOOK_S`] ahead and demands a bodiless first
//! source; in the real-kit grooves a hat, ride or pedal hat struck 1 to 6 ms before a backbeat
//! (two hands never land together), often with kick bleed or the room's low end under it, still
//! won the window of 36 of 408 backbeats and accents (`groove_notes`, three seeds per kit), and
//! the model, seeing mostly the hat, called each one unknown. So, when the body rule does not
//! move the hit, a second rule looks up to [`TAKEOVER_S`] ahead (within the window) for a second
//! stroke in the high band itself ([`TAKEOVER_BLOCK_S`] blocks): after the first stroke has
//! peaked ([`TAKEOVER_FALL_DB`]), a block [`TAKEOVER_DB`] over that peak, rising by [`CLICK_DB`]
//! over the block before it and [`NEW_SOURCE_DB`] to [`PRECURSOR_DB`] over the quietest block
//! since the peak; and below [`BAND_HIGH_HZ`] (no high-pass: a kick's or tom's own low end
//! counts as a body already there) the second stroke's peak stands [`TAKEOVER_BODY_DB`] over
//! everything since the detection.
//!
//! Measured with the take-over (`anchor_report -- 40 40`, `groove_notes`):
//! - Lone dry strokes of the seven kits: none of the snares, toms and kicks move; 1 of 113
//!   hats and 2 of 169 cymbals move (by 4-5 ms: samples that hold a second stroke). With
//!   0.25 ms blocks 60 % of the dry snares moved (the block power swings with the phase of the
//!   1-3 kHz content); without the fall, 40 % of them moved by up to 1 ms; high-passing the body
//!   check at 150 Hz moved 17 % of the kicks by 3-4 ms.
//! - Real-kit grooves, trained soft to loud (training recorded as the plugin records it):
//!   backbeats and accents with a class note 90 -> 93 % (armed ignore class 87 -> 90 %), class
//!   notes elsewhere unchanged (16.1 -> 16.0 and 2.4 per 100 snare strokes).
//! - Not gained: real snares 1-3 ms after a hat (the last table of `anchor_report`) move about
//!   as often as before (34-62 %). Of those the body rule leaves, in the high band the snare's
//!   attack stands a median 0 dB over the hat's peak (so the 6 dB step fails), and the hat has
//!   not fallen 9 dB by then; a step of 0 or -3 dB with a 12-18 dB body moved no more of them,
//!   nor more backbeats. The 8 backbeats whose hat led by 5-6 ms are out of reach at the
//!   default window (their hit is decided before the snare's first block is heard), and a
//!   6 ms minimum interval instead of 12 gave the detector no second detection there (the mask
//!   held it).
//!
//! The `Onset` event still reports the detection (its refined onset, emitted when the detector
//! fires, so hosts hear of a hit within a fraction of a millisecond); a moved hit's
//! [`super::HitRecord::onset_sample`] is the second source's onset and
//! [`super::HitRecord::detected_onset_sample`] keeps the detection's.

use super::ring::History;
use crate::biquad::{Biquad, BUTTERWORTH_Q};

/// Lower edge of the body band, in Hz (2nd-order Butterworth high-pass): below it sit the kick
/// and the room's rumble.
pub const BAND_LOW_HZ: f32 = 150.0;
/// Upper edge of the body band, in Hz (2nd-order Butterworth low-pass): the detector's own
/// high-pass cutoff, above which a hat is as loud as a drum's attack.
pub const BAND_HIGH_HZ: f32 = 1000.0;
/// How long after the detected onset the decision is taken, in seconds (at most the analysis
/// window: a hit that is not moved keeps `ready = onset + window`). A drum attack up to about
/// this long after the detection can take the hit over.
pub const LOOK_S: f32 = 0.004;
/// Run-in of the band filters before the noise stretch, in seconds.
pub const SETTLE_S: f32 = 0.002;
/// Length of the band's noise stretch just before the detected onset, in seconds.
pub const NOISE_S: f32 = 0.001;
/// The band onset threshold is at least this multiple of the noise stretch's largest magnitude.
pub const NOISE_FACTOR: f32 = 2.0;
/// The band onset threshold is at least this fraction of the band's largest magnitude between
/// the detected onset and the decision.
pub const PEAK_FRACTION: f32 = 0.1;
/// A band onset at least this long after the detected onset is a second source, in seconds.
pub const MIN_LAG_S: f32 = 0.0005;
/// The second source's band reaches half its peak within this long of its onset, in seconds
/// (a drum's body that starts at once; a stroke's own low end that builds up is slower).
pub const RISE_S: f32 = 0.0004;
/// Between the detected onset and the band onset, the high-passed signal's peak stands at
/// least this far above the band's, in dB (the first source has no body: a hat, a cymbal).
pub const BODILESS_DB: f32 = 15.0;
/// The band's peak is at most this far below the high-passed signal's peak over the whole
/// look-ahead, in dB (the second source is a drum with a body).
pub const BODY_DB: f32 = 10.0;

/// Block length of the high-band checks on the second source, in seconds: its click is
/// measured over one block, the stretch before it over two.
pub const CLICK_S: f32 = 0.00025;
/// Near the second source's band onset, the high band's power over one [`CLICK_S`] block
/// exceeds the two blocks before it by at least this, in dB (the second stroke brings its own
/// click; a lone stroke's high band only decays there).
pub const CLICK_DB: f32 = 4.0;
/// The quietest [`CLICK_S`] block of the high band between the detection and the second source
/// is at least this far below the second source's first two blocks, in dB (a louder stroke
/// starts; a lone stroke whose body lags its click has no such step).
pub const NEW_SOURCE_DB: f32 = 9.0;
/// ... and at most this far below, in dB: a detection on a precursor 35-45 dB under the stroke
/// (seen on dry real toms and cymbals) is not a stroke of its own.
pub const PRECURSOR_DB: f32 = 33.0;

/// How long after the detected onset a louder second stroke can still take the hit over, in
/// seconds (capped at the analysis window, so an unmoved hit keeps `ready = onset + window`;
/// the second stroke's first [`TAKEOVER_BLOCK_S`] must be heard by then, so at the default
/// 5.8 ms window a stroke up to 4.8 ms after the detection can take over, none at 2.9 ms).
pub const TAKEOVER_S: f32 = 0.0065;
/// Block length of the take-over's high-band power, in seconds: long enough to average over a
/// few periods of the 1-3 kHz content that dominates a drum's high band (shorter blocks swing by
/// 10 dB and more with its phase, and moved about half the lone strokes).
pub const TAKEOVER_BLOCK_S: f32 = 0.001;
/// The first stroke has peaked once the high band's block power falls this far under its
/// running peak, in dB (a stroke whose attack is still building up is not over).
pub const TAKEOVER_FALL_DB: f32 = 1.5;
/// The second stroke's block power exceeds the first stroke's peak by at least this, in dB.
pub const TAKEOVER_DB: f32 = 6.0;
/// Below [`BAND_HIGH_HZ`], the second stroke's peak exceeds everything between the detection
/// and its onset by at least this, in dB: it brings a body the first source had not (a snare
/// after a hat; a kick's or a tom's own body, which sounds from its first millisecond, does
/// not qualify).
pub const TAKEOVER_BODY_DB: f32 = 12.0;

/// The body-band history and the decision, sized for one sample rate.
#[derive(Debug, Clone)]
pub(crate) struct Anchor {
    highpass: Biquad,
    lowpass: Biquad,
    /// Band-passed samples from `onset - settle - noise` on.
    band: Vec<f32>,
    look: usize,
    settle: usize,
    noise: usize,
    min_lag: usize,
    /// [`RISE_S`] in samples.
    rise: usize,
    /// [`BODILESS_DB`] as an amplitude ratio.
    bodiless: f32,
    /// [`BODY_DB`] as an amplitude ratio (below 1).
    body: f32,
    /// [`CLICK_S`] in samples.
    click: usize,
    /// [`CLICK_DB`] as a power ratio.
    click_rise: f32,
    /// [`NEW_SOURCE_DB`] as a power ratio (below 1).
    new_source: f32,
    /// [`PRECURSOR_DB`] as a power ratio (below 1).
    precursor: f32,
    /// [`TAKEOVER_S`] in samples.
    takeover: usize,
    /// [`TAKEOVER_BLOCK_S`] in samples.
    block: usize,
    /// [`TAKEOVER_FALL_DB`] as a power ratio (below 1).
    fall: f32,
    /// [`TAKEOVER_DB`] as a power ratio.
    step: f32,
    /// [`TAKEOVER_BODY_DB`] as an amplitude ratio.
    body_step: f32,
}

impl Anchor {
    /// Allocates for `sample_rate` (Hz), for decisions taken at most `max_delay` samples after
    /// the detected onset.
    pub(crate) fn new(sample_rate: f32, max_delay: usize) -> Self {
        let samples = |s: f32| ((s * sample_rate).round() as usize).max(1);
        let (look, settle, noise) = (samples(LOOK_S), samples(SETTLE_S), samples(NOISE_S));
        let high = BAND_HIGH_HZ.min(0.45 * sample_rate);
        Self {
            highpass: Biquad::highpass(BAND_LOW_HZ, BUTTERWORTH_Q, sample_rate),
            lowpass: Biquad::lowpass(high, BUTTERWORTH_Q, sample_rate),
            band: vec![0.0; settle + noise + look.max(samples(TAKEOVER_S)).max(max_delay) + 1],
            look,
            settle,
            noise,
            min_lag: samples(MIN_LAG_S),
            rise: samples(RISE_S),
            bodiless: 10f32.powf(BODILESS_DB / 20.0),
            body: 10f32.powf(-BODY_DB / 20.0),
            click: samples(CLICK_S),
            click_rise: 10f32.powf(CLICK_DB / 10.0),
            new_source: 10f32.powf(-NEW_SOURCE_DB / 10.0),
            precursor: 10f32.powf(-PRECURSOR_DB / 10.0),
            takeover: samples(TAKEOVER_S),
            block: samples(TAKEOVER_BLOCK_S),
            fall: 10f32.powf(-TAKEOVER_FALL_DB / 10.0),
            step: 10f32.powf(TAKEOVER_DB / 10.0),
            body_step: 10f32.powf(TAKEOVER_BODY_DB / 20.0),
        }
    }

    /// How long after the detected onset the decision is taken, in samples: the longer of
    /// [`LOOK_S`] and [`TAKEOVER_S`].
    pub(crate) fn look(&self) -> usize {
        self.look.max(self.takeover)
    }

    /// How far before the detected onset the decision reads the raw history, in samples.
    pub(crate) fn reach(&self) -> usize {
        self.settle + self.noise
    }

    /// The hit's onset, given the detected `onset` and the raw history up to `end` (exclusive):
    /// the body band's onset if a second source starts at least [`MIN_LAG_S`] after `onset`
    /// within [`LOOK_S`] (the body rule), else a louder second stroke's onset within
    /// [`TAKEOVER_S`] (the take-over), else `onset`. Never allocates.
    pub(crate) fn anchor(&mut self, raw: &History, hp: &History, onset: u64, end: u64) -> u64 {
        let body_end = end.min(onset + self.look as u64).max(onset + 1);
        let moved = self.body_rule(raw, hp, onset, body_end);
        if moved != onset {
            return moved;
        }
        self.take_over(raw, hp, onset, end).unwrap_or(onset)
    }

    /// The take-over: a second stroke at least [`MIN_LAG_S`] after `onset` in the high band
    /// ([`Self::second_stroke`]) that brings a body of its own below [`BAND_HIGH_HZ`]
    /// ([`TAKEOVER_BODY_DB`] over everything before it since `onset`).
    fn take_over(&mut self, raw: &History, hp: &History, onset: u64, end: u64) -> Option<u64> {
        let second = self.second_stroke(hp, onset, end)?;
        if second < onset + self.min_lag as u64 {
            return None;
        }
        let (at, len) = self.fill_band(raw, onset, end, false);
        let k = ((second - onset) as usize + at).min(len);
        let max = |v: &[f32]| v.iter().fold(0.0f32, |m, &x| m.max(x));
        (max(&self.band[k..len]) >= self.body_step * max(&self.band[at..k])).then_some(second)
    }

    /// A second, louder stroke in the high band (`hp`) between `onset` and `end`, in
    /// [`TAKEOVER_BLOCK_S`] blocks (sliding by one sample): the first stroke has peaked (a block
    /// [`TAKEOVER_FALL_DB`] under its running peak), and then a block stands [`TAKEOVER_DB`]
    /// over that peak, [`CLICK_DB`] over the block before it, and [`NEW_SOURCE_DB`] to
    /// [`PRECURSOR_DB`] over the quietest block since the peak. Its onset is refined as a
    /// detection's is. All ratios: level-invariant.
    fn second_stroke(&self, hp: &History, onset: u64, end: u64) -> Option<u64> {
        let q = self.block as u64;
        if end < onset + 4 * q {
            return None;
        }
        let sq = |p: u64| hp.at(p as i64).powi(2);
        let norm = 1.0 / q as f32;
        // Running sums over [p - q, p) and [p, p + q).
        let mut before: f32 = (onset.saturating_sub(q)..onset).map(sq).sum();
        let mut now: f32 = (onset..onset + q).map(sq).sum();
        let (mut first_peak, mut peaked, mut quiet) = (0.0f32, false, f32::MAX);
        let mut p = onset;
        loop {
            let (b, n) = (before.max(0.0) * norm, now.max(0.0) * norm);
            if !peaked {
                first_peak = first_peak.max(n);
                if n < self.fall * first_peak {
                    peaked = true;
                    quiet = n;
                }
            } else if p >= onset + q
                && n >= self.step * first_peak
                && n >= self.click_rise * b
                && quiet <= self.new_source * n
                && quiet >= self.precursor * n
            {
                return Some(super::refine::refine_onset(
                    hp,
                    p + q - 1,
                    2 * q as usize,
                    q as usize,
                    onset + 1,
                ));
            } else {
                quiet = quiet.min(n);
            }
            if p + q + 1 > end {
                return None;
            }
            let (old, mid, new) = (sq(p.saturating_sub(q)), sq(p), sq(p + q));
            before += mid - if p >= q { old } else { 0.0 };
            now += new - mid;
            p += 1;
        }
    }

    /// Fills the band buffer with the magnitude of the raw history from [`Self::reach`] before
    /// `onset` up to `end` (at most the buffer's length), low-passed at [`BAND_HIGH_HZ`] and,
    /// when `high_pass`, high-passed at [`BAND_LOW_HZ`] (filters from rest). Returns the
    /// buffer index of `onset` and the length filled.
    fn fill_band(
        &mut self,
        raw: &History,
        onset: u64,
        end: u64,
        high_pass: bool,
    ) -> (usize, usize) {
        let start = onset as i64 - self.reach() as i64;
        let len = ((end as i64 - start).max(0) as usize).min(self.band.len());
        let (mut high, mut low) = (self.highpass, self.lowpass);
        high.reset();
        low.reset();
        for (k, b) in self.band[..len].iter_mut().enumerate() {
            let x = raw.at(start + k as i64);
            *b = low
                .process(if high_pass { high.process(x) } else { x })
                .abs();
        }
        (self.reach().min(len), len)
    }

    /// The body band's rule (the module doc) on the history up to `end`.
    fn body_rule(&mut self, raw: &History, hp: &History, onset: u64, end: u64) -> u64 {
        let (at, len) = self.fill_band(raw, onset, end, true);
        let noise = self.band[self.settle.min(at)..at]
            .iter()
            .fold(0.0f32, |m, &x| m.max(x));
        let after = &self.band[at..len];
        let peak = after.iter().fold(0.0f32, |m, &x| m.max(x));
        let threshold = (NOISE_FACTOR * noise).max(PEAK_FRACTION * peak);
        let Some(k) = after.iter().position(|&x| x > threshold) else {
            return onset;
        };
        if k < self.min_lag {
            return onset;
        }
        let second = onset + k as u64;
        let max = |v: &[f32]| v.iter().fold(0.0f32, |m, &x| m.max(x));
        let high =
            |from: u64, to: u64| (from..to).fold(0.0f32, |m, p| m.max(hp.at(p as i64).abs()));
        // A drum's body starts at full speed: half the band's peak within `rise` of its onset.
        let steep = after[k..]
            .iter()
            .take(self.rise + 1)
            .any(|&x| x > 0.5 * peak);
        // The first source has (almost) no body: its high band stands far above the band.
        let bodiless = high(onset, second) >= self.bodiless * max(&after[..k]);
        // The second source has a body worth the name next to everything above 1 kHz.
        let body = peak >= self.body * high(onset, end);
        if !(steep && bodiless && body) {
            return onset;
        }
        if self.new_source(hp, onset, second, end) {
            second
        } else {
            onset
        }
    }

    /// Whether the high band (`hp`) says that a second stroke starts at `second`: its first
    /// [`CLICK_S`]-blocks after `onset` never fell more than [`PRECURSOR_DB`] below the second's
    /// (the detection was a stroke, not a precursor of the same one), their quietest block lies
    /// at least [`NEW_SOURCE_DB`] below the second's (something new and louder starts there),
    /// and the high band's power rises by [`CLICK_DB`] or more near `second` (the second stroke
    /// brings its own click). All ratios: level-invariant. Reads `hp` before `end` only.
    fn new_source(&self, hp: &History, onset: u64, second: u64, end: u64) -> bool {
        let q = self.click as u64;
        let power = |from: u64, to: u64| {
            (from..to).map(|p| hp.at(p as i64).powi(2)).sum::<f32>() / (to - from).max(1) as f32
        };
        let post_end = (second + 2 * q).min(end);
        if post_end <= second + q / 2 {
            return false;
        }
        let post = power(second, post_end);
        // The first stroke's quietest block, ending a block before the second's band onset
        // (whose click may lead its body by a little).
        let mut quiet = f32::MAX;
        let mut b = onset;
        while b + 2 * q <= second.max(onset + 2 * q) {
            quiet = quiet.min(power(b, b + q));
            b += q;
        }
        if quiet > self.new_source * post || quiet < self.precursor * post {
            return false;
        }
        let mut rise = 0.0f32;
        let mut p = (onset + 2 * q).max(second.saturating_sub(2 * q));
        while p <= (second + q).min(end.saturating_sub(q)) {
            rise = rise.max(power(p, p + q) / power(p - 2 * q, p).max(f32::MIN_POSITIVE));
            p += 1;
        }
        rise >= self.click_rise
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_signals::{self, add_hat, hits_in_blocks, RATE};
    use super::super::{AnalysisSettings, Analyzer, HitRecord};

    /// A drum whose body decays in 80 ms.
    fn add_drum(out: &mut [f32], at: usize, gain: f32) {
        test_signals::add_drum(out, at, gain, 0.08);
    }

    /// A drum's body alone, decaying in 80 ms.
    fn add_body(out: &mut [f32], at: usize, gain: f32) {
        test_signals::add_body(out, at, gain, 0.08);
    }

    fn hits(audio: &[f32]) -> Vec<HitRecord> {
        hits_in_blocks(audio, 97)
    }

    #[test]
    fn a_lone_drum_is_not_moved() {
        let mut audio = vec![0.0; 22_050];
        add_drum(&mut audio, 4_410, 0.5);
        let found = hits(&audio);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].onset_sample, found[0].detected_onset_sample);
        assert!(found[0].onset_sample.abs_diff(4_410) <= 4);
    }

    #[test]
    fn a_lone_drum_whose_body_lags_its_click_is_not_moved() {
        // An edge hit: a loud click with no body, the body 0.6-1.5 ms later and no new click
        // (the rules before the high-band checks moved such membrane hits by 0.5-0.8 ms).
        for lag_ms in [0.6f32, 1.0, 1.5] {
            let lag = (lag_ms * 0.001 * RATE) as usize;
            let mut audio = vec![0.0; 22_050];
            add_hat(&mut audio, 4_410, 0.3);
            add_body(&mut audio, 4_410 + lag, 0.5);
            let found = hits(&audio);
            assert_eq!(found.len(), 1, "lag {lag_ms} ms");
            let h = found[0];
            assert_eq!(h.onset_sample, h.detected_onset_sample, "lag {lag_ms} ms");
        }
    }

    #[test]
    fn a_lone_hat_is_not_moved() {
        let mut audio = vec![0.0; 22_050];
        add_hat(&mut audio, 4_410, 0.3);
        let found = hits(&audio);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].onset_sample, found[0].detected_onset_sample);
    }

    /// A drum `lead_ms` after a hat: the detector fires on the hat, the window starts on the
    /// drum, `ready = onset + window`, for any block size.
    fn assert_drum_after_hat_takes_the_window(lead_ms: f32) {
        let lead = (lead_ms * 0.001 * RATE) as usize;
        let mut audio = vec![0.0; 22_050];
        add_hat(&mut audio, 4_410 - lead, 0.1);
        add_drum(&mut audio, 4_410, 0.5);
        let found = hits(&audio);
        assert_eq!(found.len(), 1, "lead {lead_ms} ms");
        let h = found[0];
        assert!(
            h.detected_onset_sample.abs_diff(4_410 - lead as u64) <= 4,
            "the detector fires on the hat"
        );
        assert!(
            h.onset_sample.abs_diff(4_410) <= 13,
            "lead {lead_ms} ms: window at {}, drum at 4410",
            h.onset_sample
        );
        let window = Analyzer::new(RATE, AnalysisSettings::default()).window_len_samples();
        assert_eq!(h.ready_sample, h.onset_sample + window as u64);
        for block in [1, 64, 4096] {
            assert_eq!(hits_in_blocks(&audio, block), found, "blocks of {block}");
        }
    }

    #[test]
    fn a_drum_after_a_hat_takes_the_window() {
        for lead_ms in [1.0f32, 2.0, 3.0] {
            assert_drum_after_hat_takes_the_window(lead_ms);
        }
    }

    #[test]
    fn a_drum_well_after_a_hat_takes_the_hit_over() {
        // Beyond the body rule's look-ahead (4 ms): the take-over moves the window to the drum.
        // (At the default 5.8 ms window it reaches strokes up to 4.8 ms after the detection: the
        // second stroke's first block must be heard by the window's end.)
        for lead_ms in [4.0f32, 4.7] {
            assert_drum_after_hat_takes_the_window(lead_ms);
        }
    }

    #[test]
    fn a_louder_second_hat_brings_no_body_and_takes_nothing_over() {
        // Two bodiless strokes 3 ms apart, the second 12 dB louder: no drum starts there.
        let mut audio = vec![0.0; 22_050];
        add_hat(&mut audio, 4_410, 0.1);
        add_hat(&mut audio, 4_410 + 132, 0.4);
        let found = hits(&audio);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].onset_sample, found[0].detected_onset_sample);
    }
}
