//! The recent-hit log the editor lists (and, with `TIMBREL_LOG_HITS=1`, one line per hit on
//! stderr, for tests of the standalone).

use super::thread::WorkerLoop;
use crate::class_names::class_name;
use crate::signals::SpeedReading;
use timbrel_core::analysis::HitRecord;
use timbrel_learn::Prediction;

/// How many recent hits the log keeps for the editor.
pub const HIT_LOG_LEN: usize = 64;

/// A completed hit as the editor lists it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HitSummary {
    /// Onset time since activation, in seconds.
    pub onset_s: f64,
    /// Time from onset to result, in milliseconds.
    pub latency_ms: f32,
    /// Peak level in the analysis window, in dBFS.
    pub peak_dbfs: f32,
    /// Sample (since activation) at which its result was ready and its MIDI was sent.
    pub ready_sample: u64,
    /// The class it was recorded into, when a class was armed.
    pub trained_as: Option<u8>,
    /// The model's prediction, when a model was loaded.
    pub prediction: Option<Prediction>,
    /// Where it lands on the editor's map, when there is one.
    pub map_xy: Option<[f32; 2]>,
    /// The speed after it; `None` when it sounded like an ignore class (it sent nothing).
    pub speed: Option<SpeedReading>,
}

impl WorkerLoop {
    /// Logs a hit from the audio thread.
    pub(super) fn log_hit(
        &mut self,
        hit: &HitRecord,
        train: Option<u8>,
        prediction: Option<Prediction>,
        speed: Option<SpeedReading>,
    ) {
        let sample_rate = self.sample_rate();
        let summary = HitSummary {
            onset_s: hit.onset_sample as f64 / sample_rate,
            latency_ms: ((hit.ready_sample - hit.onset_sample) as f64 * 1000.0 / sample_rate)
                as f32,
            peak_dbfs: hit.peak_dbfs,
            ready_sample: hit.ready_sample,
            trained_as: train,
            prediction,
            map_xy: self.projection.as_ref().map(|p| p.project(&hit.descriptor)),
            speed,
        };
        if self.log_hits {
            self.print_hit(&summary);
        }
        self.push_log(summary);
    }

    /// One line per hit on stderr: time, armed class, result, position on the map.
    fn print_hit(&self, hit: &HitSummary) {
        let names: Vec<&str> = self
            .view()
            .model_classes
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        let name = |c: u8| class_name(&names, c as usize);
        let result = match hit.prediction {
            Some(p) => match p.best {
                Some(c) => format!(
                    "class={} p={:.3} position={:.3}",
                    name(c),
                    p.probabilities[c as usize],
                    p.interpolation
                ),
                None => format!(
                    "class=unknown nearest={} novelty={:.2}",
                    name(p.best_class),
                    p.novelty
                ),
            },
            None => "class=none".to_owned(),
        };
        let armed = hit
            .trained_as
            .map_or("-".to_owned(), |c| (c + 1).to_string());
        let map = hit
            .map_xy
            .map_or("-".to_owned(), |[x, y]| format!("{x:.3},{y:.3}"));
        let speed = hit
            .speed
            .map_or("-".to_owned(), |s| format!("{:.2}", s.rate_hz));
        eprintln!(
            "timbrel-hit t={:.3} armed={armed} {result} map={map} level={:.1} speed={speed}",
            hit.onset_s, hit.peak_dbfs
        );
    }
}
