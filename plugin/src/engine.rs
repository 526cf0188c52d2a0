//! Threads and shared state: the audio thread publishes meters through atomics and sends every
//! completed hit through a lock-free SPSC ring to a background worker, which keeps the log the
//! editor shows. Nothing here makes the audio thread wait.

use atomic_float::AtomicF32;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use timbrel_core::analysis::HitRecord;

/// Capacity of the audio-to-worker hit ring, in hits. At one hit per 20 ms the worker could stall
/// for five seconds before a hit is lost.
pub const HIT_QUEUE_CAPACITY: usize = 256;
/// How many recent hits the log keeps for the editor.
pub const HIT_LOG_LEN: usize = 64;
/// How often the worker drains the ring.
const WORKER_POLL: Duration = Duration::from_millis(5);

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
    /// Hit-to-descriptor latency at the current settings, in milliseconds.
    pub latency_ms: AtomicF32,
    /// Current sample rate, in Hz.
    pub sample_rate: AtomicF32,
    /// Latest detection-function value (units depend on the detector; see the core's docs).
    pub detection_value: AtomicF32,
    /// Current detection threshold, in the same units as `detection_value`.
    pub detection_threshold: AtomicF32,
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
        }
    }
}

/// A completed hit as the editor lists it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HitSummary {
    /// Onset time since activation, in seconds.
    pub onset_s: f64,
    /// Time from onset to descriptor, in milliseconds.
    pub latency_ms: f32,
    /// Peak level in the analysis window, in dBFS.
    pub peak_dbfs: f32,
}

/// The recent-hit log that the worker writes and the editor reads. Only the worker and the
/// editor lock it, never the audio thread.
pub type HitLog = Arc<Mutex<VecDeque<HitSummary>>>;

/// The background worker that drains the hit ring.
pub struct Worker {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker thread. `sample_rate` (Hz) converts sample positions to seconds.
    pub fn spawn(
        mut consumer: rtrb::Consumer<HitRecord>,
        meters: Arc<Meters>,
        log: HitLog,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        let handle = std::thread::Builder::new()
            .name("timbrel-worker".into())
            .spawn(move || {
                while !thread_stop.load(Ordering::Relaxed) {
                    let sample_rate = meters.sample_rate.load(Ordering::Relaxed) as f64;
                    while let Ok(hit) = consumer.pop() {
                        let summary = HitSummary {
                            onset_s: hit.onset_sample as f64 / sample_rate,
                            latency_ms: ((hit.ready_sample - hit.onset_sample) as f64 * 1000.0
                                / sample_rate) as f32,
                            peak_dbfs: hit.peak_dbfs,
                        };
                        let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                        if log.len() == HIT_LOG_LEN {
                            log.pop_front();
                        }
                        log.push_back(summary);
                    }
                    std::thread::sleep(WORKER_POLL);
                }
            })?;
        Ok(Self { stop, handle: Some(handle) })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}
