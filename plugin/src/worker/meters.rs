//! The meters: values the audio thread publishes for the editor, embedding hosts and tests (and,
//! for `train_with_kit`, for the worker's training), as plain atomics (the audio thread only
//! stores and adds; nobody waits).

use atomic_float::AtomicF32;
use std::sync::atomic::{AtomicBool, AtomicU64};

/// Values the audio thread publishes for the editor. All plain atomics.
#[derive(Debug)]
pub struct Meters {
    /// Peak input level of the last block, in dBFS (`-inf` for silence).
    pub input_peak_dbfs: AtomicF32,
    /// Onsets detected since the plugin was activated.
    pub onsets: AtomicU64,
    /// Hits whose descriptor completed since the plugin was activated.
    pub hits: AtomicU64,
    /// Hits dropped because the worker ring was full.
    pub queue_overflows: AtomicU64,
    /// Hit-to-result latency at the current settings, in milliseconds.
    pub latency_ms: AtomicF32,
    /// Current sample rate, in Hz.
    pub sample_rate: AtomicF32,
    /// Largest detection-function value since the editor last took it (units depend on the
    /// detector; see the core's docs).
    pub detection_value: AtomicF32,
    /// Current detection threshold, in the same units as `detection_value`.
    pub detection_threshold: AtomicF32,
    /// Largest retrigger mask since the editor last took it, in the same units as
    /// `detection_value` (negative infinity for a detector without a mask).
    pub detection_mask: AtomicF32,
    /// Models trained since the plugin was created.
    pub models_trained: AtomicU64,
    /// Whether the audio thread currently holds a model.
    pub model_loaded: AtomicBool,
    /// Hits recorded into the armed class since it was armed.
    pub armed_hits: AtomicU64,
    /// Times the train-count limit stopped the recording since the plugin was created (the
    /// editor says so when it changes).
    pub limit_stops: AtomicU64,
    /// MIDI note-ons and CCs dropped since activation (the block's events did not fit, or the
    /// host refused them); note-offs are never dropped.
    pub midi_dropped: AtomicU64,
    /// Note-offs the host refused and that were sent again in a later block.
    pub late_note_offs: AtomicU64,
    /// The *Train with kit playing* parameter as the audio thread last saw it: the worker
    /// trains with `TrainConfig::kit_playing` set to it.
    pub train_with_kit: AtomicBool,
}

impl Default for Meters {
    fn default() -> Self {
        Self {
            input_peak_dbfs: AtomicF32::new(f32::NEG_INFINITY),
            onsets: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            queue_overflows: AtomicU64::new(0),
            latency_ms: AtomicF32::new(0.0),
            sample_rate: AtomicF32::new(44_100.0),
            detection_value: AtomicF32::new(0.0),
            detection_threshold: AtomicF32::new(0.0),
            detection_mask: AtomicF32::new(f32::NEG_INFINITY),
            models_trained: AtomicU64::new(0),
            model_loaded: AtomicBool::new(false),
            armed_hits: AtomicU64::new(0),
            limit_stops: AtomicU64::new(0),
            midi_dropped: AtomicU64::new(0),
            late_note_offs: AtomicU64::new(0),
            train_with_kit: AtomicBool::new(false),
        }
    }
}
