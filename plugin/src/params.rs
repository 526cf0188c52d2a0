//! Timbrel's host-visible parameters. Parameter ids are short and must never change: hosts store
//! automation and presets by id.

use nice_plug::prelude::*;
use nice_plug_egui::EguiEditorState;
use std::sync::Arc;
use timbrel_core::analysis::{AnalysisSettings, DetectorKind, DetectorSettings};

/// Default editor size, in logical pixels.
pub const EDITOR_SIZE: (u32, u32) = (900, 600);

/// The onset detector, as a host-visible choice.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectorChoice {
    /// Fast/slow envelope difference: lowest latency, for close mics and triggers.
    #[id = "envelope"]
    #[name = "Envelope"]
    Envelope,
    /// Spectral flux with adaptive whitening: robust to bleed.
    #[id = "flux"]
    #[name = "Flux"]
    Flux,
}

impl From<DetectorChoice> for DetectorKind {
    fn from(choice: DetectorChoice) -> Self {
        match choice {
            DetectorChoice::Envelope => DetectorKind::Envelope,
            DetectorChoice::Flux => DetectorKind::Flux,
        }
    }
}

/// All of Timbrel's parameters and persisted editor state.
#[derive(Params)]
pub struct TimbrelParams {
    /// The editor's window size; kept with the plugin instance, not with the project.
    pub editor_state: Arc<EguiEditorState>,

    /// Which onset detector runs.
    #[id = "det"]
    pub detector: EnumParam<DetectorChoice>,
    /// Relative detection threshold, in dB (envelope: fast minus slow envelope).
    #[id = "thr"]
    pub threshold_db: FloatParam,
    /// Absolute gate: nothing below this level triggers, in dBFS.
    #[id = "floor"]
    pub floor_dbfs: FloatParam,
    /// High-pass cutoff before the envelope detector, in Hz.
    #[id = "hp"]
    pub highpass_hz: FloatParam,
    /// Minimum time between two hits (lockout), in milliseconds.
    #[id = "lock"]
    pub min_interval_ms: FloatParam,
    /// Descriptor analysis window, in samples at 44.1 kHz (scaled with the sample rate). This is
    /// the hit-to-result latency.
    #[id = "win"]
    pub window: IntParam,

    /// Replace the input with the built-in demo performance (centre, edge and in-between hits).
    #[id = "demo"]
    pub demo_input: BoolParam,

    /// MIDI note sent for every detected hit (before any class is trained), 0..=127.
    #[id = "hitnote"]
    pub hit_note: IntParam,
    /// MIDI channel of the notes, 1..=16.
    #[id = "midich"]
    pub midi_channel: IntParam,
    /// Length of each note before its note-off, in milliseconds.
    #[id = "notelen"]
    pub note_length_ms: FloatParam,
}

impl Default for TimbrelParams {
    fn default() -> Self {
        let d = AnalysisSettings::default();
        let det = d.detector;
        Self {
            editor_state: EguiEditorState::from_size(
                nice_plug::editor::dpi::LogicalSize::new(EDITOR_SIZE.0 as f64, EDITOR_SIZE.1 as f64),
                1.0,
            ),
            detector: EnumParam::new("Detector", DetectorChoice::Envelope),
            threshold_db: FloatParam::new(
                "Threshold",
                det.threshold_db,
                FloatRange::Linear { min: 1.0, max: 30.0 },
            )
            .with_unit(" dB")
            .with_step_size(0.1),
            floor_dbfs: FloatParam::new(
                "Gate",
                det.floor_dbfs,
                FloatRange::Linear { min: -90.0, max: -6.0 },
            )
            .with_unit(" dBFS")
            .with_step_size(0.5),
            highpass_hz: FloatParam::new(
                "High-pass",
                det.highpass_hz,
                FloatRange::Skewed { min: 20.0, max: 8_000.0, factor: FloatRange::skew_factor(-2.0) },
            )
            .with_unit(" Hz")
            .with_step_size(1.0),
            min_interval_ms: FloatParam::new(
                "Lockout",
                det.min_interval_ms,
                FloatRange::Linear { min: 2.0, max: 200.0 },
            )
            .with_unit(" ms")
            .with_step_size(0.5),
            window: IntParam::new(
                "Window",
                d.window_ref_samples as i32,
                IntRange::Linear { min: 64, max: 4096 },
            )
            .with_unit(" smp"),
            demo_input: BoolParam::new("Demo input", false),
            hit_note: IntParam::new("Hit note", 38, IntRange::Linear { min: 0, max: 127 }),
            midi_channel: IntParam::new("MIDI channel", 1, IntRange::Linear { min: 1, max: 16 }),
            note_length_ms: FloatParam::new(
                "Note length",
                50.0,
                FloatRange::Linear { min: 5.0, max: 1_000.0 },
            )
            .with_unit(" ms")
            .with_step_size(1.0),
        }
    }
}

impl TimbrelParams {
    /// The analysis settings these parameters describe.
    pub fn analysis_settings(&self) -> AnalysisSettings {
        AnalysisSettings {
            detector: DetectorSettings {
                kind: self.detector.value().into(),
                highpass_hz: self.highpass_hz.value(),
                threshold_db: self.threshold_db.value(),
                floor_dbfs: self.floor_dbfs.value(),
                min_interval_ms: self.min_interval_ms.value(),
                ..AnalysisSettings::default().detector
            },
            window_ref_samples: self.window.value() as u32,
            ..AnalysisSettings::default()
        }
    }
}
