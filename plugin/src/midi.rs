//! Sample-accurate MIDI note scheduling without allocation: note-ons land at the sample where a
//! hit's result is ready, note-offs follow after a set length, possibly blocks later.
//!
//! No note is ever left hanging:
//! - every channel and key has one slot for its pending note-off (a new note of a sounding key
//!   ends the previous one first), so pending note-offs can never overflow;
//! - the block's event list is sized at activation for the worst case ([`NoteScheduler::new`]);
//!   should it fill up anyway, control changes are dropped first, then note-ons (with their
//!   note-off), never a note-off: room for every pending note-off is always kept;
//! - a note-off the host refuses waits for the start of the next block, and is tried again
//!   until the host takes it; after a refusal the rest of the block's note-ons and CCs are
//!   dropped, so no note starts whose end could not be sent.
//!
//! What was dropped or delayed is counted ([`Dropped`]). [`note_event`] translates a scheduled
//! event into the framework's.

use nice_plug::midi::{Channel, Key, NoteEvent, VoiceID};

/// MIDI channels.
const CHANNELS: usize = 16;
/// MIDI keys per channel.
const KEYS: usize = 128;
/// Pending note-off slots: one per channel and key.
pub const OFF_SLOTS: usize = CHANNELS * KEYS;
/// No pending note-off in a slot.
const NONE: u64 = u64::MAX;

/// What a scheduled event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Note-off of `key`.
    Off,
    /// Control change: `key` is the controller number, `velocity` its value (0..=1).
    Cc,
    /// Note-on of `key` with `velocity`.
    On,
}

/// One scheduled MIDI event, at an absolute sample position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScheduledNote {
    /// Absolute sample position (since activation).
    pub sample: u64,
    /// What it does. At equal positions, note-offs go first, then CCs, then note-ons.
    pub kind: Kind,
    /// MIDI channel, 0..=15.
    pub channel: u8,
    /// MIDI key (or controller number for [`Kind::Cc`]), 0..=127.
    pub key: u8,
    /// Velocity (or controller value), 0..=1 (0 for note-off).
    pub velocity: f32,
}

/// Events the scheduler could not send as asked, since activation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Control changes dropped: the block's list was full, or the host refused events.
    pub ccs: u64,
    /// Note-ons dropped (with their note-off), for the same reasons.
    pub notes: u64,
    /// Note-offs the host refused, sent again at the start of a later block.
    pub late_offs: u64,
}

/// Collects a block's note events in order and remembers note-offs that fall in later blocks.
#[derive(Debug)]
pub struct NoteScheduler {
    /// Pending note-off of each channel × key, as an absolute sample ([`NONE`]: none).
    offs: Vec<u64>,
    /// The slots of `offs` that hold a note-off, in no order (each at most once).
    sounding: Vec<u16>,
    /// This block's events; never grows past its capacity.
    block: Vec<ScheduledNote>,
    /// Most events in one block (the capacity of `block`).
    capacity: usize,
    dropped: Dropped,
}

impl Default for NoteScheduler {
    /// A scheduler for small blocks; [`NoteScheduler::new`] sizes one for the host's blocks.
    fn default() -> Self {
        Self::new(0)
    }
}

impl NoteScheduler {
    /// A scheduler for blocks of at most `events_per_block` note-ons and CCs (plus every pending
    /// note-off, for which room is always added). Allocates; call outside `process()`.
    pub fn new(events_per_block: usize) -> Self {
        let capacity = events_per_block + OFF_SLOTS;
        Self {
            offs: vec![NONE; OFF_SLOTS],
            sounding: Vec::with_capacity(OFF_SLOTS),
            block: Vec::with_capacity(capacity),
            capacity,
            dropped: Dropped::default(),
        }
    }

    /// Forgets every pending note (on reset; the host has stopped all notes).
    pub fn reset(&mut self) {
        for &slot in &self.sounding {
            self.offs[slot as usize] = NONE;
        }
        self.sounding.clear();
        self.block.clear();
    }

    /// What was dropped or delayed since activation.
    pub fn dropped(&self) -> Dropped {
        self.dropped
    }

    /// Note-offs waiting for a later block.
    pub fn pending_offs(&self) -> usize {
        self.sounding.len()
    }

    /// Whether `extra` more events fit while keeping room for every pending note-off.
    fn room_for(&self, extra: usize) -> bool {
        self.block.len() + self.sounding.len() + extra <= self.capacity
    }

    /// Schedules a note at absolute sample `at` (in the current block, or at its end), lasting `length`
    /// samples. A still-sounding note of the same key and channel is ended at `at`, so notes of
    /// one key never overlap. Without room, the note is dropped (and counted).
    pub fn note(&mut self, at: u64, length: u64, channel: u8, key: u8, velocity: f32) {
        if !self.room_for(2) {
            self.dropped.notes += 1;
            return;
        }
        let slot = slot(channel, key);
        let off = ScheduledNote {
            sample: at,
            kind: Kind::Off,
            channel,
            key,
            velocity: 0.0,
        };
        let previous = self.offs[slot];
        if previous != NONE {
            // The previous note of this key ends now (or when it was due, if earlier).
            self.block.push(ScheduledNote {
                sample: previous.min(at),
                ..off
            });
        } else {
            self.sounding.push(slot as u16);
        }
        self.offs[slot] = at + length.max(1);
        self.block.push(ScheduledNote {
            kind: Kind::On,
            velocity,
            ..off
        });
    }

    /// Schedules a control change at absolute sample `at` (sent before a note-on at the same
    /// sample). `value` is 0..=1. Without room (kept for one more note), it is dropped.
    pub fn control(&mut self, at: u64, channel: u8, controller: u8, value: f32) {
        if !self.room_for(3) {
            self.dropped.ccs += 1;
            return;
        }
        self.block.push(ScheduledNote {
            sample: at,
            kind: Kind::Cc,
            channel,
            key: controller,
            velocity: value,
        });
    }

    /// Ends the block `[.., block_end)`: moves the note-offs that fall inside it to the output,
    /// sorts the events by time (note-offs, then CCs, then note-ons at equal times) and hands
    /// them to `send`, which returns whether the host took the event. Note-offs at or after
    /// `block_end` wait for a later block, and so do refused ones (at `block_end`).
    pub fn finish_block(&mut self, block_end: u64, mut send: impl FnMut(&ScheduledNote) -> bool) {
        let mut i = 0;
        while i < self.sounding.len() {
            let slot = self.sounding[i] as usize;
            let at = self.offs[slot];
            if at < block_end {
                self.offs[slot] = NONE;
                self.sounding.swap_remove(i);
                self.block.push(ScheduledNote {
                    sample: at,
                    kind: Kind::Off,
                    channel: (slot / KEYS) as u8,
                    key: (slot % KEYS) as u8,
                    velocity: 0.0,
                });
            } else {
                i += 1;
            }
        }
        let mut events = std::mem::take(&mut self.block);
        events.sort_unstable_by_key(|e| (e.sample, e.kind as u8));
        // A hit whose result is ready at the block's end sends in the next block.
        let due = events.partition_point(|e| e.sample < block_end);
        let mut refused = false;
        for event in &events[..due] {
            if !refused && send(event) {
                continue;
            }
            refused = true;
            match event.kind {
                Kind::Off => {
                    self.dropped.late_offs += 1;
                    let slot = slot(event.channel, event.key);
                    if self.offs[slot] == NONE {
                        self.sounding.push(slot as u16);
                    }
                    self.offs[slot] = self.offs[slot].min(block_end);
                }
                Kind::Cc => self.dropped.ccs += 1,
                Kind::On => self.dropped.notes += 1,
            }
        }
        events.drain(..due);
        self.block = events;
    }
}

/// The note-off slot of `channel` and `key`.
/// The framework's event for `note`, `timing` samples into the block.
pub fn note_event<S>(note: &ScheduledNote, timing: u32) -> NoteEvent<S> {
    let channel = Channel::Number(note.channel);
    let key = Key::Number(note.key);
    let voice_id = VoiceID::Wildcard;
    match note.kind {
        Kind::On => NoteEvent::NoteOn {
            timing,
            voice_id,
            channel,
            key,
            velocity: note.velocity,
        },
        Kind::Off => NoteEvent::NoteOff {
            timing,
            voice_id,
            channel,
            key,
            velocity: 0.0,
        },
        Kind::Cc => NoteEvent::MidiCC {
            timing,
            channel: note.channel,
            cc: note.key,
            value: note.velocity,
        },
    }
}

fn slot(channel: u8, key: u8) -> usize {
    (channel as usize % CHANNELS) * KEYS + (key as usize % KEYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &mut NoteScheduler, end: u64) -> Vec<ScheduledNote> {
        let mut out = Vec::new();
        s.finish_block(end, |e| {
            out.push(*e);
            true
        });
        out
    }

    #[test]
    fn events_land_in_the_block_that_holds_their_sample() {
        let mut s = NoteScheduler::default();
        s.note(10, 100, 0, 38, 0.5);
        assert!(
            run(&mut s, 10).is_empty(),
            "note-on belongs to the block holding sample 10"
        );
        let first = run(&mut s, 64);
        assert_eq!(first.len(), 1);
        assert!(first[0].kind == Kind::On && first[0].sample == 10);
        assert!(run(&mut s, 100).is_empty());
        let third = run(&mut s, 200);
        assert_eq!(
            third,
            vec![ScheduledNote {
                sample: 110,
                kind: Kind::Off,
                channel: 0,
                key: 38,
                velocity: 0.0
            }]
        );
        assert_eq!(s.pending_offs(), 0);
    }

    #[test]
    fn retrigger_ends_the_previous_note_first() {
        let mut s = NoteScheduler::default();
        s.note(10, 1000, 0, 38, 0.5);
        s.note(20, 1000, 0, 38, 0.7);
        let events = run(&mut s, 64);
        let kinds: Vec<(u64, Kind)> = events.iter().map(|e| (e.sample, e.kind)).collect();
        assert_eq!(kinds, vec![(10, Kind::On), (20, Kind::Off), (20, Kind::On)]);
        let later = run(&mut s, 2000);
        assert_eq!(later.len(), 1);
        assert_eq!((later[0].sample, later[0].kind), (1020, Kind::Off));
        // A short note whose off is due before the next one in the same block ends on time.
        s.note(2000, 5, 0, 38, 0.5);
        s.note(2010, 5, 0, 38, 0.5);
        let kinds: Vec<(u64, Kind)> = run(&mut s, 2100)
            .iter()
            .map(|e| (e.sample, e.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (2000, Kind::On),
                (2005, Kind::Off),
                (2010, Kind::On),
                (2015, Kind::Off)
            ]
        );
    }

    #[test]
    fn a_cc_goes_out_just_before_the_note_it_belongs_to() {
        let mut s = NoteScheduler::default();
        s.note(30, 100, 0, 38, 0.5);
        s.control(30, 0, 16, 0.25);
        let kinds: Vec<Kind> = run(&mut s, 64).iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec![Kind::Cc, Kind::On]);
    }

    /// Every note-on is followed by its note-off on the same channel and key, and notes of
    /// one key never overlap.
    fn assert_paired(events: &[ScheduledNote]) {
        let mut on = [false; OFF_SLOTS];
        for e in events {
            let s = slot(e.channel, e.key);
            match e.kind {
                Kind::On => {
                    assert!(!on[s], "note-on of a sounding key at {}", e.sample);
                    on[s] = true;
                }
                Kind::Off => on[s] = false,
                Kind::Cc => {}
            }
        }
        assert!(on.iter().all(|&o| !o), "a note is left hanging");
    }

    #[test]
    fn a_full_block_drops_ccs_first_and_never_a_note_off() {
        // Room for 40 events besides the pending note-offs; 150 hits a block want 18 CCs and a
        // note each.
        let mut s = NoteScheduler::new(40);
        let mut all = Vec::new();
        let mut rng = fastrand::Rng::with_seed(5);
        for block in 0..50u64 {
            let start = block * 4096;
            for h in 0..150 {
                let at = start + h * 27;
                for cc in 0..18 {
                    s.control(at, 0, 20 + cc, 0.5);
                }
                s.note(at, rng.u64(1..5000), rng.u8(0..16), rng.u8(30..50), 0.8);
            }
            s.finish_block(start + 4096, |e| {
                all.push(*e);
                true
            });
        }
        s.finish_block(u64::MAX, |e| {
            all.push(*e);
            true
        });
        assert_paired(&all);
        let d = s.dropped();
        assert!(d.ccs > 0, "{d:?}");
        assert_eq!(d.late_offs, 0);
        // CCs went first: every hit that kept its CCs kept its note.
        let ons = all.iter().filter(|e| e.kind == Kind::On).count() as u64;
        assert_eq!(ons + d.notes, 7500);
        assert!(d.notes <= d.ccs / 18, "{d:?}");
    }

    #[test]
    fn refused_note_offs_are_sent_again_until_the_host_takes_them() {
        let mut s = NoteScheduler::new(64);
        let mut all = Vec::new();
        let mut rng = fastrand::Rng::with_seed(8);
        for block in 0..300u64 {
            let start = block * 256;
            for h in 0..3 {
                s.control(start + h * 80, 0, 16, 0.5);
                s.note(start + h * 80, rng.u64(1..2000), 0, rng.u8(36..40), 0.5);
            }
            // A host whose event list holds 0 to 5 events, taking what fits.
            let mut room = rng.usize(0..6);
            s.finish_block(start + 256, |e| {
                if room == 0 {
                    return false;
                }
                room -= 1;
                all.push(*e);
                true
            });
        }
        let mut tail = 0;
        while s.pending_offs() > 0 {
            tail += 1;
            s.finish_block(u64::MAX, |e| {
                all.push(*e);
                true
            });
            assert!(tail < 3);
        }
        assert_paired(&all);
        let d = s.dropped();
        assert!(d.late_offs > 0 && d.notes > 0 && d.ccs > 0, "{d:?}");
    }
}
