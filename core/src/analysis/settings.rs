//! Defaults, validation and clamping of the analysis settings.

use super::{AnalysisSettings, DetectorKind, DetectorSettings};

/// Shortest and longest descriptor window, in reference samples (44.1 kHz).
pub const WINDOW_REF_RANGE: std::ops::RangeInclusive<u32> = 64..=4096;
/// Accepted high-pass cutoffs, in Hz (further limited to 0.45 × the sample rate at run time).
pub const HIGHPASS_RANGE_HZ: std::ops::RangeInclusive<f32> = 20.0..=8000.0;
/// Accepted relative thresholds, in dB.
pub const THRESHOLD_RANGE_DB: std::ops::RangeInclusive<f32> = 1.0..=40.0;
/// Accepted absolute floors, in dBFS.
pub const FLOOR_RANGE_DBFS: std::ops::RangeInclusive<f32> = -120.0..=0.0;
/// Accepted minimum inter-onset intervals, in milliseconds.
pub const MIN_INTERVAL_RANGE_MS: std::ops::RangeInclusive<f32> = 2.0..=1000.0;
/// Accepted retrigger decays (time for the mask to fall 20 dB), in milliseconds.
pub const RETRIGGER_DECAY_RANGE_MS: std::ops::RangeInclusive<f32> = 5.0..=2000.0;
/// Default retrigger decay, in milliseconds: about the decay of a snare's energy above 1 kHz in a
/// room (20 dB in 100 to 150 ms on the Hydrogen kits' snares). On the realistic material of
/// `tests/src/kit` (Hydrogen kits in rooms with bleed), 60, 100 and 150 ms gave the same recall
/// and 0.2 to 0.1 retriggers per 100 snare hits.
pub const DEFAULT_RETRIGGER_DECAY_MS: f32 = 100.0;

/// [`DEFAULT_RETRIGGER_DECAY_MS`], for serde (settings saved before the field existed).
pub fn default_retrigger_decay_ms() -> f32 {
    DEFAULT_RETRIGGER_DECAY_MS
}

/// A setting outside its accepted range; each variant carries the offending value.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum SettingsError {
    /// Window length outside [`WINDOW_REF_RANGE`].
    #[error("window length {0} reference samples is outside 64..=4096")]
    Window(u32),
    /// High-pass cutoff outside [`HIGHPASS_RANGE_HZ`] or not finite.
    #[error("high-pass cutoff {0} Hz is outside 20..=8000 Hz")]
    Highpass(f32),
    /// Relative threshold outside [`THRESHOLD_RANGE_DB`] or not finite.
    #[error("threshold {0} dB is outside 1..=40 dB")]
    Threshold(f32),
    /// Floor outside [`FLOOR_RANGE_DBFS`] or not finite.
    #[error("floor {0} dBFS is outside -120..=0 dBFS")]
    Floor(f32),
    /// Minimum interval outside [`MIN_INTERVAL_RANGE_MS`] or not finite.
    #[error("minimum interval {0} ms is outside 2..=1000 ms")]
    MinInterval(f32),
    /// Retrigger decay outside [`RETRIGGER_DECAY_RANGE_MS`] or not finite.
    #[error("retrigger decay {0} ms is outside 5..=2000 ms")]
    RetriggerDecay(f32),
}

impl Default for DetectorSettings {
    /// Close-miked snare: envelope detector, 1 kHz high-pass, 7 dB threshold, -40 dBFS floor,
    /// 12 ms minimum interval (flams 20 ms apart stay two hits).
    ///
    /// NOTE: the floor stays at -40 dBFS because tom and kick bleed in a close snare mic gets
    /// through a lower one: on the synthetic performances (`tests/onsets.rs`, override with
    /// `TIMBREL_FLOOR`) the envelope detector drops to F 0.98 at 48 kHz with -45 dBFS and to
    /// F 0.93 at 44.1 kHz with -50 dBFS (10 false onsets, all on bleed), against F >= 0.99 at
    /// -40. Material without bleed, such as a folder of quiet one-shots, should lower it
    /// (-60 dBFS finds every hit of `cli/examples/oneshots.rs`).
    fn default() -> Self {
        Self {
            kind: DetectorKind::Envelope,
            highpass_hz: 1000.0,
            threshold_db: 7.0,
            floor_dbfs: -40.0,
            min_interval_ms: 12.0,
            retrigger_decay_ms: DEFAULT_RETRIGGER_DECAY_MS,
        }
    }
}

impl Default for AnalysisSettings {
    /// Default detector and a 256-sample window (5.8 ms at 44.1 kHz).
    fn default() -> Self {
        Self {
            detector: DetectorSettings::default(),
            window_ref_samples: 256,
        }
    }
}

fn check(v: f32, range: &std::ops::RangeInclusive<f32>) -> bool {
    v.is_finite() && range.contains(&v)
}

fn clamp(v: f32, range: &std::ops::RangeInclusive<f32>, fallback: f32) -> f32 {
    if v.is_finite() {
        v.clamp(*range.start(), *range.end())
    } else {
        fallback
    }
}

impl DetectorSettings {
    /// Checks every field against its accepted range.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if !check(self.highpass_hz, &HIGHPASS_RANGE_HZ) {
            return Err(SettingsError::Highpass(self.highpass_hz));
        }
        if !check(self.threshold_db, &THRESHOLD_RANGE_DB) {
            return Err(SettingsError::Threshold(self.threshold_db));
        }
        if !check(self.floor_dbfs, &FLOOR_RANGE_DBFS) {
            return Err(SettingsError::Floor(self.floor_dbfs));
        }
        if !check(self.min_interval_ms, &MIN_INTERVAL_RANGE_MS) {
            return Err(SettingsError::MinInterval(self.min_interval_ms));
        }
        if !check(self.retrigger_decay_ms, &RETRIGGER_DECAY_RANGE_MS) {
            return Err(SettingsError::RetriggerDecay(self.retrigger_decay_ms));
        }
        Ok(())
    }

    /// The same settings with every field clamped into its accepted range (non-finite values
    /// become the default).
    pub fn clamped(&self) -> Self {
        let d = Self::default();
        Self {
            kind: self.kind,
            highpass_hz: clamp(self.highpass_hz, &HIGHPASS_RANGE_HZ, d.highpass_hz),
            threshold_db: clamp(self.threshold_db, &THRESHOLD_RANGE_DB, d.threshold_db),
            floor_dbfs: clamp(self.floor_dbfs, &FLOOR_RANGE_DBFS, d.floor_dbfs),
            min_interval_ms: clamp(
                self.min_interval_ms,
                &MIN_INTERVAL_RANGE_MS,
                d.min_interval_ms,
            ),
            retrigger_decay_ms: clamp(
                self.retrigger_decay_ms,
                &RETRIGGER_DECAY_RANGE_MS,
                d.retrigger_decay_ms,
            ),
        }
    }
}

impl AnalysisSettings {
    /// Checks every field against its accepted range.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if !WINDOW_REF_RANGE.contains(&self.window_ref_samples) {
            return Err(SettingsError::Window(self.window_ref_samples));
        }
        self.detector.validate()
    }

    /// The same settings with every field clamped into its accepted range.
    pub fn clamped(&self) -> Self {
        Self {
            detector: self.detector.clamped(),
            window_ref_samples: self
                .window_ref_samples
                .clamp(*WINDOW_REF_RANGE.start(), *WINDOW_REF_RANGE.end()),
        }
    }

    /// Descriptor window length at `sample_rate`, in samples (clamped window, scaled from
    /// 44.1 kHz and rounded).
    pub fn window_len_samples(&self, sample_rate: f32) -> usize {
        scale_ref(self.clamped().window_ref_samples as f32, sample_rate)
    }
}

/// Scales a length in reference samples (44.1 kHz) to `sample_rate`, rounded, at least 1.
pub(crate) fn scale_ref(ref_samples: f32, sample_rate: f32) -> usize {
    ((ref_samples * sample_rate / crate::REFERENCE_SAMPLE_RATE).round() as usize).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        AnalysisSettings::default().validate().unwrap();
        assert!(DetectorSettings::default().min_interval_ms < 20.0);
        assert_eq!(AnalysisSettings::default().window_ref_samples, 256);
    }

    #[test]
    fn bad_values_are_rejected_with_the_value() {
        let mut s = AnalysisSettings {
            window_ref_samples: 10,
            ..Default::default()
        };
        assert_eq!(s.validate(), Err(SettingsError::Window(10)));
        s.window_ref_samples = 5000;
        assert_eq!(s.validate(), Err(SettingsError::Window(5000)));
        s = AnalysisSettings::default();
        s.detector.highpass_hz = f32::NAN;
        assert!(matches!(s.validate(), Err(SettingsError::Highpass(v)) if v.is_nan()));
        s.detector.highpass_hz = 9000.0;
        assert_eq!(s.validate(), Err(SettingsError::Highpass(9000.0)));
        s = AnalysisSettings::default();
        s.detector.floor_dbfs = 3.0;
        assert_eq!(s.validate(), Err(SettingsError::Floor(3.0)));
        s = AnalysisSettings::default();
        s.detector.min_interval_ms = 0.0;
        assert_eq!(s.validate(), Err(SettingsError::MinInterval(0.0)));
        s = AnalysisSettings::default();
        s.detector.retrigger_decay_ms = 3.0;
        assert_eq!(s.validate(), Err(SettingsError::RetriggerDecay(3.0)));
        s = AnalysisSettings::default();
        s.detector.threshold_db = -1.0;
        assert_eq!(s.validate(), Err(SettingsError::Threshold(-1.0)));
        assert!(s.validate().unwrap_err().to_string().contains("-1"));
    }

    #[test]
    fn clamping_fixes_everything() {
        let s = AnalysisSettings {
            detector: DetectorSettings {
                kind: DetectorKind::Flux,
                highpass_hz: f32::INFINITY,
                threshold_db: 100.0,
                floor_dbfs: -300.0,
                min_interval_ms: 0.0,
                retrigger_decay_ms: f32::NAN,
            },
            window_ref_samples: 1,
        };
        let c = s.clamped();
        c.validate().unwrap();
        assert_eq!(c.window_ref_samples, 64);
        assert_eq!(c.detector.kind, DetectorKind::Flux);
        assert_eq!(c.window_len_samples(88_200.0), 128);
    }
}
