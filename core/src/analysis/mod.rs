//! Streaming analysis: onset detection and hit descriptors, run on the audio thread.
//!
//! API CONTRACT (the plugin and the CLI depend on these names; keep them):
//! - [`DetectorKind`], [`DetectorSettings`], [`AnalysisSettings`]: plain `Copy` settings.
//! - [`Analyzer::new`] allocates everything for a sample rate; [`Analyzer::set_settings`],
//!   [`Analyzer::process`], [`Analyzer::reset`] never allocate.
//! - [`HitRecord`]: a fixed-size `Copy` record, sent through lock-free queues.
//! - [`descriptor::DESCRIPTOR_LEN`], [`descriptor::LAYOUT_VERSION`], [`descriptor::NAMES`].
//!
//! Pipeline, per sample: sanitise (non-finite, subnormal → 0; clamp to ±1000) → history ring →
//! high-pass ([`DetectorSettings::highpass_hz`], 2nd-order Butterworth) → high-passed history →
//! detector ([`envelope`] every sample, or [`flux`] every hop) → on a detection, [`refine`] finds
//! the exact onset sample in the high-passed history, an `Onset` event is emitted and one of
//! [`POOL_SIZE`] hit windows is reserved → a few milliseconds later [`anchor`] decides where the
//! window starts (the detected onset, or a drum's attack that followed a bodiless stroke such as
//! a hi-hat) → each window's frames are analysed as soon as their samples have arrived → at
//! `onset + window` the descriptor is finished and a `Hit` event is emitted.
//! All state advances per sample (or per hop counted in absolute samples), never per block, so any
//! block size gives bit-identical results.

pub mod anchor;
pub mod descriptor;
pub mod envelope;
pub mod fastmath;
pub mod flux;
pub mod frame;
pub mod hat;
mod lanes;
pub mod levels;
pub mod lowband;
pub mod mel;
pub mod refine;
mod ring;
pub mod rise;
pub mod settings;
pub mod shape;
#[cfg(test)]
mod test_signals;

pub use settings::SettingsError;

use crate::biquad::Biquad;
use anchor::Anchor;
use descriptor::HitAccumulator;
use envelope::EnvelopeDetector;
use flux::FluxDetector;
use frame::FrameAnalyzer;
use lowband::LowBand;
use ring::History;
use rise::BodyRise;
use settings::{scale_ref, WINDOW_REF_RANGE};

/// Number of hit windows that can be in flight at once (flams with long windows). With the
/// longest window (4096 reference samples, 93 ms) and a 12 ms minimum interval, 8 suffice.
pub const POOL_SIZE: usize = 8;
/// Refinement: how far the envelope detector looks back from a detection, in seconds.
pub const ENVELOPE_SEARCH_S: f32 = 0.005;
/// Refinement: the envelope detector searches from this long before the sample where its fast
/// envelope last sat at or below the slow one (the start of the rise), in seconds.
pub const RISE_MARGIN_S: f32 = 0.0005;
/// Refinement: length of the noise stretch before the search region, in seconds.
pub const NOISE_STRETCH_S: f32 = 0.002;
/// The filters and envelopes flush tiny state values every this many samples (at absolute
/// positions, so the block size never matters).
const FLUSH_PERIOD: u64 = 64;
/// Largest magnitude accepted from the input; larger values are clamped (+60 dBFS).
pub const MAX_INPUT: f32 = 1000.0;

/// Input sanitation: non-finite and subnormal samples become 0, huge ones are clamped.
#[inline(always)]
pub(crate) fn sanitize(x: f32) -> f32 {
    // The clamp is computed first so this is a select, not a branch, and loops over it
    // vectorise; NaN is outside the range.
    let a = x.abs();
    let y = x.clamp(-MAX_INPUT, MAX_INPUT);
    if (f32::MIN_POSITIVE..f32::INFINITY).contains(&a) {
        y
    } else {
        0.0
    }
}

/// Which onset detector runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum DetectorKind {
    /// Fast/slow envelope difference after a high-pass: lowest latency, for close mics.
    #[default]
    Envelope,
    /// Spectral flux on short hops with adaptive whitening: robust to bleed.
    Flux,
}

/// Onset detector settings. Every field has a default suited to a close-miked snare.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DetectorSettings {
    /// Which detector runs.
    pub kind: DetectorKind,
    /// High-pass cutoff applied before detection, in Hz (2nd-order Butterworth; both detectors
    /// read the high-passed signal, the flux detector also ignores bins below it). Default 1 kHz.
    pub highpass_hz: f32,
    /// Relative threshold: envelope detector fires when fast minus slow (power) envelope exceeds
    /// this, in dB (and the fast envelope rises above the retrigger mask); the flux detector
    /// multiplies its recent mean flux by `10^(threshold_db / 20)`. Default 7 dB.
    pub threshold_db: f32,
    /// Absolute floor (gate): no onset while the (high-passed) signal is below this, in dBFS
    /// (envelope: 2 ms peak follower; flux: frame RMS). Default -40 dBFS.
    pub floor_dbfs: f32,
    /// Minimum time between two onsets, in milliseconds. Default 12 ms (flams are 20–30 ms).
    pub min_interval_ms: f32,
    /// Retrigger decay (envelope detector): the time the retrigger mask, a peak follower of the
    /// detection envelope, takes to fall by 20 dB, in milliseconds. A new onset must rise above
    /// the mask, so a longer decay rejects more ringing and wash but also softer hits soon after
    /// a loud one. Default [`settings::DEFAULT_RETRIGGER_DECAY_MS`].
    #[serde(default = "settings::default_retrigger_decay_ms")]
    pub retrigger_decay_ms: f32,
}

/// All analysis settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AnalysisSettings {
    /// Onset detector settings.
    pub detector: DetectorSettings,
    /// Descriptor analysis window length, in samples at 44.1 kHz (64..=4096; scaled with the
    /// sample rate). Default 256 (5.8 ms).
    pub window_ref_samples: u32,
}

/// What the onset detector saw when it fired, for reports (`timbrel onsets`). Envelope detector:
/// the detection envelope (mean square of the high-passed signal), its rise over the slow
/// envelope and the retrigger mask in force. The flux detector has no such envelope or mask;
/// its detections report the floor value -200 dB in every field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// Level of the detection envelope when it fired, in dBFS (power).
    pub level_dbfs: f32,
    /// How far it stood above its slow average, in dB (the threshold is the least).
    pub rise_db: f32,
    /// The retrigger mask it had to exceed, in dBFS (power).
    pub mask_dbfs: f32,
}

impl Detection {
    /// What a detector without an envelope reports.
    pub const NONE: Detection = Detection {
        level_dbfs: -200.0,
        rise_db: -200.0,
        mask_dbfs: -200.0,
    };
}

/// One detected hit, with its descriptor. Plain data of fixed size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HitRecord {
    /// Absolute sample position of the hit's onset since the last reset: where its analysis
    /// window starts (the detection's refined onset, or a second source's, see [`anchor`]).
    pub onset_sample: u64,
    /// Absolute sample position of the detection's refined onset (the `Onset` event's); equals
    /// `onset_sample` unless the hit was moved to a second source's attack ([`anchor`]).
    pub detected_onset_sample: u64,
    /// Absolute sample position at which the descriptor became ready (onset + window).
    pub ready_sample: u64,
    /// Peak level in the analysis window, in dBFS.
    pub peak_dbfs: f32,
    /// RMS level in the analysis window, in dBFS.
    pub rms_dbfs: f32,
    /// How far the drum's body band (150 Hz-1 kHz) rises in the analysis window over the 10 ms
    /// before it, in dB (peak against peak, within ±60): large for a new stroke of the drum,
    /// small for a cymbal or hi-hat heard through its microphone or a retrigger on its own
    /// ringing ([`rise`]).
    pub body_rise_db: f32,
    /// What the detector saw when it fired.
    pub detection: Detection,
    /// The descriptor, laid out as in [`descriptor::NAMES`].
    pub descriptor: [f32; descriptor::DESCRIPTOR_LEN],
    /// The descriptor of the same window with a synthetic hi-hat stroke on it ([`hat`]), when
    /// [`Analyzer::set_hat_mix`] asked for it.
    pub hat_descriptor: Option<[f32; descriptor::DESCRIPTOR_LEN]>,
}

/// What the analyzer reports while processing.
#[derive(Debug, Clone, Copy)]
pub enum AnalyzerEvent<'a> {
    /// An onset was detected (descriptor not ready yet), emitted at the sample where the
    /// detector fires. Positions are absolute samples.
    Onset {
        /// Refined onset position of the detection. The hit's window may start later, on a
        /// second source's attack (see [`anchor`]); its `Hit` then reports both positions.
        onset_sample: u64,
    },
    /// A hit's descriptor is complete.
    Hit(&'a HitRecord),
}

/// What the onset detector sees, for a meter. Envelope detector: the fast envelope over the slow
/// one, the threshold over the slow one and the retrigger mask over the slow one, all in dB (an
/// onset needs the value above both the threshold and the mask). Flux detector: the flux and its
/// adaptive threshold, in the flux's own units, and no mask.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectionMeter {
    /// The detection function.
    pub value: f32,
    /// The threshold the value must exceed.
    pub threshold: f32,
    /// The retrigger mask the value must also exceed (envelope detector only).
    pub mask: Option<f32>,
}

/// What the per-sample loop stopped on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fired {
    /// Nothing: the chunk was consumed.
    None,
    /// The main band fired at the last sample processed.
    Main,
    /// A low-band detection at this absolute position is due (it waited for the main band).
    Low(u64),
}

/// One hit window in flight.
struct Slot {
    active: bool,
    onset: u64,
    /// The detection's refined onset.
    detected: u64,
    /// Position at which [`Anchor::anchor`] decides where the window starts; 0 once decided.
    decide_at: u64,
    detection: Detection,
    ready: u64,
    acc: HitAccumulator,
}

/// The streaming analyzer: feed mono samples in any block size, get identical hits.
///
/// Positions are absolute sample counts since the last reset. The `Onset` event for a hit is
/// emitted while processing the sample at which the detector fires, with the detection's
/// refined onset; the hit's window may then start up to [`anchor::LOOK_S`] later, on a drum's
/// attack that followed a bodiless stroke, or up to [`anchor::TAKEOVER_S`] (within the window)
/// on a louder stroke that brings a body ([`anchor`]; the `Hit` carries both positions). Its
/// `Hit` follows while processing sample `ready_sample - 1`, where
/// `ready_sample = onset_sample + window` (or the
/// detection position + 1 if the detector's own delay ever exceeds the window, which only the
/// flux detector with windows under about 5 ms can do). If more than [`POOL_SIZE`] windows would
/// be in flight, the onset is reported but its descriptor is dropped (see
/// [`Analyzer::dropped_hits`]). Changing the window length cancels hits in flight.
pub struct Analyzer {
    sample_rate: f32,
    settings: AnalysisSettings,
    window_len: usize,
    pos: u64,
    highpass: Biquad,
    raw: History,
    hp: History,
    /// Low-band (body) history, for refining low-band detections.
    low_hist: History,
    envelope: EnvelopeDetector,
    low: LowBand,
    flux: FluxDetector,
    flux_countdown: usize,
    frames: FrameAnalyzer,
    slots: Vec<Slot>,
    next_due: u64,
    last_onset: Option<u64>,
    dropped: u64,
    envelope_search: usize,
    rise_margin: usize,
    noise_stretch: usize,
    record: HitRecord,
    /// The synthetic hat laid on each window when `hat_on`, and its descriptor's accumulator.
    hat: hat::HatMix,
    hat_on: bool,
    hat_acc: HitAccumulator,
    anchor: Anchor,
    rise: BodyRise,
}

impl Analyzer {
    /// Allocates everything for `sample_rate` (Hz) and the largest window (4096 reference samples).
    pub fn new(sample_rate: f32, settings: AnalysisSettings) -> Self {
        let sample_rate = if sample_rate.is_finite() {
            sample_rate.clamp(8_000.0, 768_000.0)
        } else {
            48_000.0
        };
        let settings = settings.clamped();
        let max_window = scale_ref(*WINDOW_REF_RANGE.end() as f32, sample_rate);
        let window_len = settings.window_len_samples(sample_rate);
        let frames = FrameAnalyzer::new(sample_rate, settings.window_ref_samples);
        let max_layout = frame::FrameLayout::new(sample_rate, *WINDOW_REF_RANGE.end());
        let flux = FluxDetector::new(sample_rate, &settings.detector);
        let envelope_search = ((ENVELOPE_SEARCH_S * sample_rate) as usize).max(8);
        let noise_stretch = ((NOISE_STRETCH_S * sample_rate) as usize).max(4);
        // A low-band detection is refined up to its wait after it fired.
        let low_wait = (lowband::WAIT_S * sample_rate) as usize + 1;
        let lookback = (envelope_search + low_wait).max(flux.max_delay()) + noise_stretch;
        let anchor = Anchor::new(sample_rate, lookback);
        let rise = BodyRise::new(sample_rate);
        let capacity = max_window
            + lookback
            + anchor.look()
            + anchor.reach().max(rise.reach())
            + 2 * max_layout.frame_len
            + 64;
        let slots = (0..POOL_SIZE)
            .map(|_| Slot {
                active: false,
                onset: 0,
                detected: 0,
                decide_at: 0,
                detection: Detection::NONE,
                ready: 0,
                acc: HitAccumulator::new(max_layout.n_frames, max_layout.bins()),
            })
            .collect();
        let mut a = Self {
            sample_rate,
            settings,
            window_len,
            pos: 0,
            highpass: Biquad::identity(),
            raw: History::new(capacity),
            hp: History::new(capacity),
            low_hist: History::new(capacity),
            envelope: EnvelopeDetector::new(sample_rate, &settings.detector),
            low: LowBand::new(sample_rate, &settings.detector),
            flux_countdown: flux.hop(),
            flux,
            frames,
            slots,
            next_due: u64::MAX,
            last_onset: None,
            dropped: 0,
            envelope_search,
            rise_margin: ((RISE_MARGIN_S * sample_rate) as usize).max(4),
            noise_stretch,
            anchor,
            rise,
            record: HitRecord {
                onset_sample: 0,
                detected_onset_sample: 0,
                ready_sample: 0,
                peak_dbfs: 0.0,
                rms_dbfs: 0.0,
                body_rise_db: 0.0,
                detection: Detection::NONE,
                descriptor: [0.0; descriptor::DESCRIPTOR_LEN],
                hat_descriptor: None,
            },
            hat: hat::HatMix::new(sample_rate, max_window, hat::DEFAULT_LEVEL_DB),
            hat_on: false,
            hat_acc: HitAccumulator::new(max_layout.n_frames, max_layout.bins()),
        };
        a.apply_detector_settings();
        a.reset();
        a
    }

    fn apply_detector_settings(&mut self) {
        let d = self.settings.detector;
        let hz = d.highpass_hz.min(0.45 * self.sample_rate);
        self.highpass.set_coefficients(&Biquad::highpass(
            hz,
            std::f32::consts::FRAC_1_SQRT_2,
            self.sample_rate,
        ));
        self.envelope.configure(self.sample_rate, &d);
        self.low.configure(self.sample_rate, &d);
        self.flux.configure(&d);
    }

    /// Changes settings without allocating (every field is clamped into its range, see
    /// [`AnalysisSettings::clamped`]). Changing the detector kind restarts that detector;
    /// changing the window length cancels hits in flight.
    pub fn set_settings(&mut self, settings: AnalysisSettings) {
        let new = settings.clamped();
        let old = self.settings;
        self.settings = new;
        self.apply_detector_settings();
        if new.detector.kind != old.detector.kind {
            self.envelope.reset();
            self.low.reset();
            self.flux.reset();
        }
        if new.window_ref_samples != old.window_ref_samples {
            self.window_len = new.window_len_samples(self.sample_rate);
            self.frames.configure(new.window_ref_samples);
            for s in &mut self.slots {
                s.active = false;
            }
            self.next_due = u64::MAX;
        }
    }

    /// Also describe every hit's window with a synthetic hi-hat stroke on it, its peak
    /// `level_db` (clamped to 0..=60) under the window's ([`HitRecord::hat_descriptor`]);
    /// `None` stops. Never allocates; costs a second descriptor per hit while on.
    pub fn set_hat_mix(&mut self, level_db: Option<f32>) {
        self.hat_on = level_db.is_some();
        if let Some(db) = level_db {
            self.hat.level_db = db.clamp(0.0, 60.0);
        }
    }

    /// The settings in use (clamped).
    pub fn settings(&self) -> AnalysisSettings {
        self.settings
    }

    /// The sample rate, in Hz.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Clears all state and sets the sample counter to 0. Never allocates.
    pub fn reset(&mut self) {
        self.pos = 0;
        self.highpass.reset();
        self.raw.reset();
        self.hp.reset();
        self.low_hist.reset();
        self.envelope.reset();
        self.low.reset();
        self.flux.reset();
        self.flux_countdown = self.flux.hop();
        for s in &mut self.slots {
            s.active = false;
        }
        self.next_due = u64::MAX;
        self.last_onset = None;
        self.dropped = 0;
    }

    /// Processes mono `samples`; calls `on_event` for every onset and completed hit, in order.
    /// Never allocates. Non-finite and subnormal input is treated as silence.
    pub fn process(&mut self, samples: &[f32], mut on_event: impl FnMut(AnalyzerEvent<'_>)) {
        let kind = self.settings.detector.kind;
        let mut rest = samples;
        while !rest.is_empty() {
            // Run the per-sample loop up to the next point where something else happens: a
            // frame or hit is due, the periodic flush, or (flux) the next hop.
            let until_due = self.next_due.saturating_sub(self.pos).max(1);
            let until_flush = FLUSH_PERIOD - (self.pos % FLUSH_PERIOD);
            let mut len = (rest.len() as u64).min(until_due).min(until_flush);
            if kind == DetectorKind::Flux {
                len = len.min(self.flux_countdown as u64);
            }
            let (consumed, fired) = self.run(&rest[..len as usize], kind);
            rest = &rest[consumed..];
            let at = self.pos - 1;
            match fired {
                Fired::Main => {
                    // Search from a little before the rise began, at most ENVELOPE_SEARCH_S.
                    let search = self.search(self.envelope.rise_start(), at);
                    let detection = self.envelope.last_detection();
                    let onset = self.refine(false, at, search);
                    self.on_detect(onset, at, detection, &mut on_event);
                }
                Fired::Low(det) => {
                    let search = self.search(self.low.detector.rise_start(), det);
                    let detection = self.low.detector.last_detection();
                    let onset = self.refine(true, det, search);
                    self.on_detect(onset, at, detection, &mut on_event);
                }
                Fired::None => {}
            }
            if kind == DetectorKind::Flux {
                self.flux_countdown -= consumed;
                if self.flux_countdown == 0 {
                    self.flux_countdown = self.flux.hop();
                    if self.flux.process_hop(&self.hp, self.pos) {
                        let onset = self.refine(false, at, self.flux.max_delay());
                        self.on_detect(onset, at, Detection::NONE, &mut on_event);
                    }
                }
            }
            if self.pos.is_multiple_of(FLUSH_PERIOD) {
                self.highpass.flush();
                self.envelope.flush(self.pos);
                self.low.flush(self.pos);
            }
            if self.pos >= self.next_due {
                self.service(&mut on_event);
            }
        }
    }

    /// The per-sample loop: sanitise, high-pass, record, and (envelope) detect in both bands.
    /// Stops after the sample at which the main band fires or a low-band detection is due.
    /// Returns (samples consumed, what fired).
    #[inline(always)]
    fn run(&mut self, chunk: &[f32], kind: DetectorKind) -> (usize, Fired) {
        let mut hpf = self.highpass;
        let mut env = self.envelope;
        let mut low = self.low;
        let mask = self.raw.mask;
        let raw = &mut self.raw.buf[..];
        let hpb = &mut self.hp.buf[..];
        let lob = &mut self.low_hist.buf[..];
        let mut pos = self.pos;
        let mut consumed = chunk.len();
        let mut fired = Fired::None;
        let detect = kind == DetectorKind::Envelope;
        for (k, &s) in chunk.iter().enumerate() {
            let x = sanitize(s);
            let y = hpf.process_unflushed(x);
            let i = pos as usize & mask;
            raw[i] = x;
            hpb[i] = y;
            let at = pos;
            pos += 1;
            if detect {
                let z = low.filter(x);
                lob[i] = z;
                let low_due = low.process(z, at);
                if env.process(y, at) {
                    low.main_fired(at);
                    consumed = k + 1;
                    fired = Fired::Main;
                    break;
                }
                if let Some(p) = low_due {
                    // The same stroke's click may still emerge from the hats in the main band:
                    // its mask stands higher as after a detection of its own, so only a steep
                    // new attack (the next stroke) fires it.
                    env.note_hold(p);
                    consumed = k + 1;
                    fired = Fired::Low(p);
                    break;
                }
            }
        }
        self.highpass = hpf;
        self.envelope = env;
        self.low = low;
        self.pos = pos;
        self.raw.pos = pos;
        self.hp.pos = pos;
        self.low_hist.pos = pos;
        (consumed, fired)
    }

    /// How many samples refinement searches back from a detection at `det` whose rise began at
    /// `rise_start`: from [`RISE_MARGIN_S`] before the rise, at most [`ENVELOPE_SEARCH_S`].
    fn search(&self, rise_start: u64, det: u64) -> usize {
        let from = rise_start.saturating_sub(self.rise_margin as u64);
        ((det + 1).saturating_sub(from) as usize).clamp(self.rise_margin, self.envelope_search)
    }

    /// The exact onset of a detection at `det`, searched `search` samples back in the main
    /// band's history (or the low band's, for a low-band detection), not before the last onset.
    fn refine(&self, low_band: bool, det: u64, search: usize) -> u64 {
        let min_start = self.last_onset.map_or(0, |o| o + 1);
        let hist = if low_band { &self.low_hist } else { &self.hp };
        refine::refine_onset(hist, det, search, self.noise_stretch, min_start)
    }

    /// A hit at `onset` detected while processing sample `det`: report it, start a hit window.
    fn on_detect<F: FnMut(AnalyzerEvent<'_>)>(
        &mut self,
        onset: u64,
        det: u64,
        detection: Detection,
        on_event: &mut F,
    ) {
        self.last_onset = Some(onset);
        on_event(AnalyzerEvent::Onset {
            onset_sample: onset,
        });
        let ready = (onset + self.window_len as u64).max(det + 1);
        // The window's start is decided once the body band has been heard a little after the
        // onset (never later than the window's end, so an unmoved hit keeps its `ready`).
        let decide_at = (onset + self.anchor.look().min(self.window_len) as u64).max(det + 1);
        match self.slots.iter_mut().find(|s| !s.active) {
            Some(slot) => {
                slot.active = true;
                slot.onset = onset;
                slot.detected = onset;
                slot.decide_at = decide_at;
                slot.detection = detection;
                slot.ready = ready;
                slot.acc.clear();
                self.next_due = self.next_due.min(decide_at);
            }
            None => self.dropped += 1,
        }
    }

    /// Analyses every frame whose samples have arrived and finishes complete hits.
    fn service<F: FnMut(AnalyzerEvent<'_>)>(&mut self, on_event: &mut F) {
        let l = *self.frames.layout();
        let mut next_due = u64::MAX;
        for i in 0..self.slots.len() {
            let slot = &mut self.slots[i];
            if !slot.active {
                continue;
            }
            if slot.decide_at != 0 {
                if self.pos < slot.decide_at {
                    next_due = next_due.min(slot.decide_at);
                    continue;
                }
                let onset = self
                    .anchor
                    .anchor(&self.raw, &self.hp, slot.detected, slot.decide_at);
                if onset != slot.onset {
                    slot.ready = (onset + self.window_len as u64).max(slot.ready);
                    slot.onset = onset;
                }
                slot.decide_at = 0;
            }
            while slot.acc.frames_done() < l.n_frames {
                let start = slot.onset + l.frame_start(slot.acc.frames_done()) as u64;
                if start + l.frame_len as u64 > self.pos {
                    break;
                }
                let (a, b) = self.raw.slices(start, l.frame_len);
                slot.acc.push_frame(&mut self.frames, a, b);
            }
            if slot.acc.frames_done() == l.n_frames && self.pos >= slot.ready {
                let window = self.raw.slices(slot.onset, l.window_len);
                let (peak, rms) =
                    slot.acc
                        .finalize(&self.frames, window, &mut self.record.descriptor);
                slot.active = false;
                self.record.onset_sample = slot.onset;
                self.record.detected_onset_sample = slot.detected;
                self.record.ready_sample = slot.ready;
                self.record.peak_dbfs = peak;
                self.record.rms_dbfs = rms;
                self.record.body_rise_db =
                    self.rise
                        .rise_db(&self.raw, slot.onset, slot.onset + l.window_len as u64);
                self.record.detection = slot.detection;
                self.record.hat_descriptor = None;
                if self.hat_on {
                    let mixed = self.hat.mix(window.0, window.1);
                    let mut d = [0.0; descriptor::DESCRIPTOR_LEN];
                    self.hat_acc.describe(&mut self.frames, mixed, &mut d);
                    self.record.hat_descriptor = Some(d);
                }
                on_event(AnalyzerEvent::Hit(&self.record));
                continue;
            }
            let due = if slot.acc.frames_done() < l.n_frames {
                slot.onset + (l.frame_start(slot.acc.frames_done()) + l.frame_len) as u64
            } else {
                slot.ready
            };
            next_due = next_due.min(due);
        }
        self.next_due = next_due;
    }

    /// Samples processed since the last reset.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Hit-to-descriptor latency at the current settings and sample rate, in samples: the
    /// window length.
    pub fn latency_samples(&self) -> u32 {
        self.window_len as u32
    }

    /// Descriptor window length at the current settings and sample rate, in samples.
    pub fn window_len_samples(&self) -> usize {
        self.window_len
    }

    /// Hits whose descriptor was dropped because all [`POOL_SIZE`] windows were busy, since the
    /// last reset.
    pub fn dropped_hits(&self) -> u64 {
        self.dropped
    }

    /// Absolute position of the latest sample processed (0 before any).
    fn last_sample(&self) -> u64 {
        self.pos.saturating_sub(1)
    }

    /// The largest value of the detection function since the last call, with the current
    /// threshold and the largest retrigger mask in the same span, for a display that must not
    /// miss short peaks between blocks (units as [`Analyzer::detection_meter`]).
    pub fn take_detection_peak(&mut self) -> DetectionMeter {
        match self.settings.detector.kind {
            DetectorKind::Envelope => {
                let (value, mask) = self.envelope.take_peak();
                DetectionMeter {
                    value,
                    threshold: self.envelope.meter(self.last_sample()).1,
                    mask: Some(mask),
                }
            }
            DetectorKind::Flux => DetectionMeter {
                value: self.flux.take_peak(),
                threshold: self.flux.meter().1,
                mask: None,
            },
        }
    }

    /// The most recent value of the detection function, its threshold and (envelope detector)
    /// the retrigger mask, for a meter.
    pub fn detection_meter(&self) -> DetectionMeter {
        match self.settings.detector.kind {
            DetectorKind::Envelope => {
                let (value, threshold, mask) = self.envelope.meter(self.last_sample());
                DetectionMeter {
                    value,
                    threshold,
                    mask: Some(mask),
                }
            }
            DetectorKind::Flux => {
                let (value, threshold) = self.flux.meter();
                DetectionMeter {
                    value,
                    threshold,
                    mask: None,
                }
            }
        }
    }
}
