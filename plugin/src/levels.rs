//! "Learn levels": the audio thread listens to a few seconds of playing with the core's
//! [`LevelLearner`] and sets the detector's gate, threshold and retrigger decay from it.
//!
//! Threads: the audio thread owns the [`Listening`] learner (allocated in `activate()`) and is
//! the only writer of [`LearnedLevels`]; the editor and the host read them. The result takes
//! effect at once on the audio thread, whether or not the editor is open, through
//! [`LearnedLevels::effective`]: each learned value replaces the parameter it was learned for as
//! long as that parameter still holds the value it had then. Moving the control by hand (or
//! automating it) therefore wins, and the editor, when it sees a new result, writes the learned
//! values into the parameters themselves so that the controls show them. The result is saved
//! with the project (`#[persist = "levels"]`).

use atomic_float::AtomicF32;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use timbrel_core::analysis::levels::{self, LevelLearner, LevelsError};
use timbrel_core::analysis::DetectorSettings;

pub use timbrel_core::analysis::levels::LEARN_SECONDS;

/// Where learning stands, as the editor shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// Nothing learned since the plugin was created (a saved result may be in use).
    Idle = 0,
    /// Listening.
    Listening = 1,
    /// The latest take taught new levels.
    Learned = 2,
    /// The latest take had too few hits.
    TooFewHits = 3,
    /// The latest take was too short.
    TooShort = 4,
}

impl Status {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Status::Listening,
            2 => Status::Learned,
            3 => Status::TooFewHits,
            4 => Status::TooShort,
            _ => Status::Idle,
        }
    }
}

/// The learned levels and the parameter values they replace (all plain atomics: the audio thread
/// writes, everybody reads).
#[derive(Debug)]
pub struct LearnedLevels {
    /// Bumped on every new result.
    generation: AtomicU64,
    /// Whether a result is in use.
    active: AtomicBool,
    status: AtomicU8,
    /// Learned gate (dBFS), threshold (dB), retrigger decay (ms).
    learned: [AtomicF32; 3],
    /// The parameter values when they were learned, same order.
    base: [AtomicF32; 3],
    noise_dbfs: AtomicF32,
    soft_hit_dbfs: AtomicF32,
    hits: AtomicU32,
    /// Seconds heard so far (while listening) or in the take (after).
    seconds: AtomicF32,
}

/// A copy of a result, as saved with the project and shown by the editor.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    /// What was learned.
    pub levels: levels::LearnedLevels,
    /// Gate (dBFS), threshold (dB) and retrigger decay (ms) the parameters held then.
    pub base: [f32; 3],
}

impl Default for LearnedLevels {
    fn default() -> Self {
        Self {
            generation: AtomicU64::new(0),
            active: AtomicBool::new(false),
            status: AtomicU8::new(Status::Idle as u8),
            learned: std::array::from_fn(|_| AtomicF32::new(0.0)),
            base: std::array::from_fn(|_| AtomicF32::new(0.0)),
            noise_dbfs: AtomicF32::new(0.0),
            soft_hit_dbfs: AtomicF32::new(0.0),
            hits: AtomicU32::new(0),
            seconds: AtomicF32::new(0.0),
        }
    }
}

/// The three detector fields "Learn levels" sets, in the order of [`LearnedLevels`]' arrays.
fn fields(s: &DetectorSettings) -> [f32; 3] {
    [s.floor_dbfs, s.threshold_db, s.retrigger_decay_ms]
}

impl LearnedLevels {
    /// `settings` (from the parameters) with each learned value in place of the parameter it was
    /// learned for, while that parameter is unchanged since.
    pub fn effective(&self, settings: DetectorSettings) -> DetectorSettings {
        if !self.active.load(Ordering::Acquire) {
            return settings;
        }
        let current = fields(&settings);
        let pick = |i: usize| {
            let base = self.base[i].load(Ordering::Relaxed);
            if (current[i] - base).abs() <= 1e-3 * base.abs().max(1.0) {
                self.learned[i].load(Ordering::Relaxed)
            } else {
                current[i]
            }
        };
        DetectorSettings {
            floor_dbfs: pick(0),
            threshold_db: pick(1),
            retrigger_decay_ms: pick(2),
            ..settings
        }
        .clamped()
    }

    /// Publishes a result learned while the parameters held `base`.
    fn publish(&self, levels: &levels::LearnedLevels, base: &DetectorSettings) {
        let learned = [
            levels.floor_dbfs,
            levels.threshold_db,
            levels.retrigger_decay_ms,
        ];
        for (slot, v) in self.learned.iter().zip(learned) {
            slot.store(v, Ordering::Relaxed);
        }
        for (slot, v) in self.base.iter().zip(fields(base)) {
            slot.store(v, Ordering::Relaxed);
        }
        self.noise_dbfs.store(levels.noise_dbfs, Ordering::Relaxed);
        self.soft_hit_dbfs
            .store(levels.soft_hit_dbfs, Ordering::Relaxed);
        self.hits.store(levels.hits, Ordering::Relaxed);
        self.seconds.store(levels.seconds, Ordering::Relaxed);
        self.active.store(true, Ordering::Release);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The result in use, if any.
    pub fn snapshot(&self) -> Option<Snapshot> {
        if !self.active.load(Ordering::Acquire) {
            return None;
        }
        let load = |a: &[AtomicF32; 3]| std::array::from_fn(|i| a[i].load(Ordering::Relaxed));
        let learned = load(&self.learned);
        Some(Snapshot {
            levels: levels::LearnedLevels {
                floor_dbfs: learned[0],
                threshold_db: learned[1],
                retrigger_decay_ms: learned[2],
                noise_dbfs: self.noise_dbfs.load(Ordering::Relaxed),
                soft_hit_dbfs: self.soft_hit_dbfs.load(Ordering::Relaxed),
                hits: self.hits.load(Ordering::Relaxed),
                seconds: self.seconds.load(Ordering::Relaxed),
            },
            base: load(&self.base),
        })
    }

    /// Bumped on every new result (the editor copies a new one into the parameters).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Where learning stands.
    pub fn status(&self) -> Status {
        Status::from_u8(self.status.load(Ordering::Relaxed))
    }

    /// Hits heard so far (while listening) or in the latest result.
    pub fn hits(&self) -> u32 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Seconds heard so far (while listening) or in the latest result.
    pub fn seconds(&self) -> f32 {
        self.seconds.load(Ordering::Relaxed)
    }

    fn set_status(&self, status: Status) {
        self.status.store(status as u8, Ordering::Relaxed);
    }
}

impl<'a> nice_plug::params::persist::PersistentField<'a, Option<Snapshot>> for LearnedLevels {
    fn set(&self, value: Option<Snapshot>) {
        match value {
            Some(s) => {
                let base = DetectorSettings {
                    floor_dbfs: s.base[0],
                    threshold_db: s.base[1],
                    retrigger_decay_ms: s.base[2],
                    ..DetectorSettings::default()
                };
                self.publish(&s.levels, &base);
            }
            None => self.active.store(false, Ordering::Release),
        }
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Option<Snapshot>) -> R,
    {
        f(&self.snapshot())
    }
}

/// The audio thread's side: the learner and whether it is listening.
pub struct Listening {
    learner: LevelLearner,
    /// The `Learn levels` parameter's value in the previous block.
    was_on: bool,
    /// Listening now (armed and not yet finished).
    listening: bool,
    /// The parameters' settings when listening began.
    base: DetectorSettings,
}

impl Listening {
    /// Allocates the learner for `sample_rate` (Hz); call from `activate()`.
    pub fn new(sample_rate: f32, settings: &DetectorSettings) -> Self {
        Self {
            learner: LevelLearner::new(sample_rate, settings),
            was_on: false,
            listening: false,
            base: *settings,
        }
    }

    /// Feeds one block of mono `samples` while `on` (the `Learn levels` parameter); `settings`
    /// are the parameters' detector settings. Arming starts a new take; after
    /// [`LEARN_SECONDS`], or when disarmed early, the take's result is published to `shared`.
    /// Never allocates.
    pub fn process(
        &mut self,
        on: bool,
        samples: &[f32],
        settings: &DetectorSettings,
        shared: &LearnedLevels,
    ) {
        if on && !self.was_on {
            self.learner.restart(settings);
            self.base = *settings;
            self.listening = true;
            shared.set_status(Status::Listening);
        }
        let disarmed = !on && self.was_on;
        self.was_on = on;
        if !self.listening {
            return;
        }
        if on {
            self.learner.process(samples);
            shared.hits.store(self.learner.hits(), Ordering::Relaxed);
            shared
                .seconds
                .store(self.learner.seconds(), Ordering::Relaxed);
        }
        if disarmed || self.learner.seconds() >= LEARN_SECONDS {
            self.listening = false;
            match self.learner.result() {
                Ok(levels) => {
                    shared.publish(&levels, &self.base);
                    shared.set_status(Status::Learned);
                }
                Err(LevelsError::TooFewHits(_)) => shared.set_status(Status::TooFewHits),
                Err(LevelsError::TooShort(_)) => shared.set_status(Status::TooShort),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_learned_value_holds_until_its_parameter_moves() {
        let shared = LearnedLevels::default();
        let params = DetectorSettings::default();
        assert_eq!(shared.effective(params), params);
        let learned = levels::LearnedLevels {
            floor_dbfs: -62.0,
            threshold_db: 6.5,
            retrigger_decay_ms: 140.0,
            noise_dbfs: -75.0,
            soft_hit_dbfs: -40.0,
            hits: 12,
            seconds: 8.0,
        };
        shared.publish(&learned, &params);
        let e = shared.effective(params);
        assert_eq!(
            (e.floor_dbfs, e.threshold_db, e.retrigger_decay_ms),
            (-62.0, 6.5, 140.0)
        );
        // The user moves the threshold: that one is theirs, the others stay learned.
        let moved = DetectorSettings {
            threshold_db: 9.0,
            ..params
        };
        let e = shared.effective(moved);
        assert_eq!((e.floor_dbfs, e.threshold_db), (-62.0, 9.0));
        // Saved and restored with the project.
        let snapshot = shared.snapshot().unwrap();
        let restored = LearnedLevels::default();
        nice_plug::params::persist::PersistentField::set(&restored, Some(snapshot));
        assert_eq!(restored.effective(moved), e);
        assert_eq!(restored.snapshot(), Some(snapshot));
    }

    #[test]
    fn listening_publishes_after_the_take_or_when_disarmed() {
        let sr = 48_000.0;
        let params = DetectorSettings::default();
        let shared = LearnedLevels::default();
        let mut l = Listening::new(sr, &params);
        // Hits every 200 ms for 3 s, then disarmed.
        let mut x = vec![0.0f32; (sr * 3.0) as usize];
        for k in 0..15 {
            let hit = timbrel_core::synth::Membrane::snare().hit(0.2, 0.8, sr, k);
            let at = k as usize * (sr * 0.2) as usize;
            for (i, h) in hit.iter().enumerate() {
                if let Some(v) = x.get_mut(at + i) {
                    *v += 0.3 * h;
                }
            }
        }
        for block in x.chunks(512) {
            l.process(true, block, &params, &shared);
        }
        assert_eq!(shared.status(), Status::Listening);
        assert!(shared.hits() >= 14);
        l.process(false, &[], &params, &shared);
        assert_eq!(shared.status(), Status::Learned);
        assert_eq!(shared.generation(), 1);
        let learned = shared.snapshot().unwrap().levels;
        assert!(
            learned.floor_dbfs <= learned.soft_hit_dbfs - 9.9,
            "{learned:?}"
        );
        // Arming again with silence only: too few hits, the old result stays in use.
        for _ in 0..(LEARN_SECONDS * sr / 512.0) as usize + 2 {
            l.process(true, &[0.0; 512], &params, &shared);
        }
        assert_eq!(shared.status(), Status::TooFewHits);
        assert_eq!(shared.generation(), 1);
        assert!(shared.snapshot().is_some());
    }
}
