//! Arming a class for training, and the train-count limit, on the audio thread.
//!
//! While the `Train` parameter names a class, every hit is recorded into it, up to the
//! train-count limit (0 = no limit). Disarming, or reaching the limit, ends the recording and
//! the worker retrains. Reaching the limit also asks for `Train` to return to off (through the
//! format export, or the editor's context). While `Collect unknowns` is on (and no class is
//! armed), hits the model calls unknown are collected into the ignore class; switching it off
//! retrains too, as does switching `Train with kit playing` (which the worker reads from
//! [`Meters::train_with_kit`]). Never allocates.

use crate::worker::Meters;
use std::sync::atomic::Ordering;

/// The arming state across blocks.
#[derive(Debug, Default)]
pub struct Arming {
    /// The `Train` parameter's value this block: 0 = off, k = the k-th class.
    train: i32,
    /// Its value in the previous block.
    last_train: i32,
    /// Most hits per arming, 0 = no limit.
    limit: u32,
    /// Hits recorded since the class was armed.
    armed_hits: u32,
    /// Whether the limit was reached in this block.
    limit_reached: bool,
    /// `Collect unknowns` this block, and in the previous one.
    collect: bool,
    last_collect: bool,
    /// `Train with kit playing` this block, and in the previous one.
    kit_playing: bool,
    last_kit_playing: bool,
}

/// How a block ended the recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockEnd {
    /// The recording stopped (disarmed, or the limit reached): retrain.
    pub training_stopped: bool,
    /// The train-count limit was reached in this block: disarm.
    pub limit_reached: bool,
}

impl Arming {
    /// Starts a block with the `Train` parameter at `train`, the limit at `limit` hits (0 =
    /// none), `Collect unknowns` at `collect` and `Train with kit playing` at `kit_playing`
    /// (published for the worker); arming another class (or disarming) starts the count again.
    pub fn begin_block(
        &mut self,
        train: i32,
        limit: i32,
        collect: bool,
        kit_playing: bool,
        meters: &Meters,
    ) {
        self.train = train;
        self.collect = collect;
        self.kit_playing = kit_playing;
        meters.train_with_kit.store(kit_playing, Ordering::Relaxed);
        self.limit = limit.max(0) as u32;
        self.limit_reached = false;
        if train != self.last_train {
            self.armed_hits = 0;
            meters.armed_hits.store(0, Ordering::Relaxed);
        }
    }

    /// A hit arrived: the class it is recorded into (index into the dataset's classes), if one
    /// is armed and under the limit.
    pub fn record(&mut self, meters: &Meters) -> Option<u8> {
        let under_limit = self.limit == 0 || self.armed_hits < self.limit;
        if self.train <= 0 || !under_limit {
            return None;
        }
        self.armed_hits += 1;
        meters
            .armed_hits
            .store(self.armed_hits as u64, Ordering::Relaxed);
        if self.limit > 0 && self.armed_hits == self.limit {
            self.limit_reached = true;
            meters.limit_stops.fetch_add(1, Ordering::Relaxed);
        }
        Some((self.train - 1) as u8)
    }

    /// Whether a hit the model called unknown (`unknown`, not of an ignore class) is collected
    /// into the ignore class: `Collect unknowns` is on and no class is armed.
    pub fn collects(&self, unknown: bool) -> bool {
        unknown && self.collect && self.train <= 0
    }

    /// Ends the block.
    pub fn end_block(&mut self) -> BlockEnd {
        let disarmed = self.last_train > 0 && self.train == 0;
        let collected = self.last_collect && !self.collect;
        // Switched while no class is armed: retrain with the new setting (a disarm retrains).
        let kit_switched = self.last_kit_playing != self.kit_playing && self.train <= 0;
        self.last_train = self.train;
        self.last_collect = self.collect;
        self.last_kit_playing = self.kit_playing;
        BlockEnd {
            training_stopped: disarmed || collected || kit_switched || self.limit_reached,
            limit_reached: self.limit_reached,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs one block with `hits` hits; returns the classes they were recorded into.
    fn block(arming: &mut Arming, train: i32, limit: i32, hits: usize) -> (Vec<u8>, BlockEnd) {
        let meters = Meters::default();
        arming.begin_block(train, limit, false, false, &meters);
        let recorded = (0..hits).filter_map(|_| arming.record(&meters)).collect();
        (recorded, arming.end_block())
    }

    #[test]
    fn the_limit_stops_the_recording_once_and_disarming_stops_it_too() {
        let mut arming = Arming::default();
        let (recorded, end) = block(&mut arming, 2, 3, 2);
        assert_eq!(recorded, vec![1, 1]);
        assert!(!end.training_stopped);
        let (recorded, end) = block(&mut arming, 2, 3, 2);
        assert_eq!(recorded, vec![1], "one more, up to the limit");
        assert_eq!(
            end,
            BlockEnd {
                training_stopped: true,
                limit_reached: true
            }
        );
        let (recorded, end) = block(&mut arming, 2, 3, 5);
        assert!(recorded.is_empty(), "nothing past the limit");
        assert!(!end.training_stopped);
        let (_, end) = block(&mut arming, 0, 3, 1);
        assert_eq!(
            end,
            BlockEnd {
                training_stopped: true,
                limit_reached: false
            }
        );
        let (recorded, _) = block(&mut arming, 1, 0, 4);
        assert_eq!(recorded, vec![0; 4], "no limit");
    }

    #[test]
    fn unknown_hits_are_collected_while_no_class_is_armed_and_stopping_retrains() {
        let meters = Meters::default();
        let mut arming = Arming::default();
        arming.begin_block(0, 0, true, false, &meters);
        assert!(arming.collects(true));
        assert!(!arming.collects(false), "known hits are not collected");
        assert!(!arming.end_block().training_stopped);
        arming.begin_block(1, 0, true, false, &meters);
        assert!(!arming.collects(true), "an armed class wins");
        arming.end_block();
        arming.begin_block(0, 0, true, false, &meters);
        arming.end_block();
        arming.begin_block(0, 0, false, false, &meters);
        assert!(!arming.collects(true));
        assert!(
            arming.end_block().training_stopped,
            "switching it off retrains"
        );
    }

    #[test]
    fn train_with_kit_playing_is_published_and_switching_it_retrains_unless_armed() {
        let meters = Meters::default();
        let mut arming = Arming::default();
        arming.begin_block(0, 0, false, false, &meters);
        assert!(!arming.end_block().training_stopped);
        arming.begin_block(0, 0, false, true, &meters);
        assert!(meters.train_with_kit.load(Ordering::Relaxed));
        assert!(arming.end_block().training_stopped, "switched: retrain");
        arming.begin_block(0, 0, false, true, &meters);
        assert!(!arming.end_block().training_stopped, "unchanged: nothing");
        arming.begin_block(2, 0, false, false, &meters);
        assert!(!meters.train_with_kit.load(Ordering::Relaxed));
        assert!(
            !arming.end_block().training_stopped,
            "while armed the disarm retrains"
        );
    }
}
