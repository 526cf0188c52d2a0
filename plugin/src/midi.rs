//! Sample-accurate MIDI note scheduling without allocation: note-ons land at the sample where a
//! hit's result is ready, note-offs follow after a set length, possibly blocks later.

/// Most note events (ons and offs) that can wait for a later block at once.
pub const MAX_PENDING: usize = 128;
/// Most MIDI events emitted in one block.
pub const MAX_BLOCK_EVENTS: usize = 128;

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

/// Collects a block's note events in order and remembers note-offs that fall in later blocks.
#[derive(Debug)]
pub struct NoteScheduler {
    pending: [Option<ScheduledNote>; MAX_PENDING],
    block: [ScheduledNote; MAX_BLOCK_EVENTS],
    block_len: usize,
}

impl Default for NoteScheduler {
    fn default() -> Self {
        const OFF: ScheduledNote = ScheduledNote {
            sample: 0,
            kind: Kind::Off,
            channel: 0,
            key: 0,
            velocity: 0.0,
        };
        Self {
            pending: [None; MAX_PENDING],
            block: [OFF; MAX_BLOCK_EVENTS],
            block_len: 0,
        }
    }
}

impl NoteScheduler {
    /// Forgets every pending note (on reset; the host has stopped all notes).
    pub fn reset(&mut self) {
        self.pending = [None; MAX_PENDING];
        self.block_len = 0;
    }

    /// Schedules a note at absolute sample `at` (this block or a later one), lasting `length`
    /// samples. A still-sounding note of the same key and channel is ended at `at`, so notes of
    /// one key never overlap.
    pub fn note(&mut self, at: u64, length: u64, channel: u8, key: u8, velocity: f32) {
        for off in self.pending.iter_mut().flatten() {
            if off.kind == Kind::Off && off.key == key && off.channel == channel && off.sample > at
            {
                off.sample = at;
            }
        }
        let on = ScheduledNote {
            sample: at,
            kind: Kind::On,
            channel,
            key,
            velocity,
        };
        let off = ScheduledNote {
            sample: at + length.max(1),
            kind: Kind::Off,
            channel,
            key,
            velocity: 0.0,
        };
        if !self.schedule(on) {
            return;
        }
        if !self.schedule(off) {
            // NOTE: with every slot taken, ending the note right away beats a stuck note.
            self.emit(ScheduledNote { sample: at, ..off });
        }
    }

    /// Schedules a control change at absolute sample `at` (sent before a note-on at the same
    /// sample). `value` is 0..=1.
    pub fn control(&mut self, at: u64, channel: u8, controller: u8, value: f32) {
        let cc = ScheduledNote {
            sample: at,
            kind: Kind::Cc,
            channel,
            key: controller,
            velocity: value,
        };
        if !self.schedule(cc) {
            self.emit(cc);
        }
    }

    /// Puts an event into a free pending slot; `false` when every slot is taken.
    fn schedule(&mut self, event: ScheduledNote) -> bool {
        match self.pending.iter_mut().find(|s| s.is_none()) {
            Some(slot) => {
                *slot = Some(event);
                true
            }
            None => false,
        }
    }

    fn emit(&mut self, event: ScheduledNote) {
        if self.block_len < MAX_BLOCK_EVENTS {
            self.block[self.block_len] = event;
            self.block_len += 1;
        }
    }

    /// Ends the block `[.., block_end)`: moves the events that fall inside it to the output,
    /// sorts them by time (note-offs, then CCs, then note-ons at equal times) and hands them to `send`. Events at
    /// or after `block_end` wait for a later block.
    pub fn finish_block(&mut self, block_end: u64, mut send: impl FnMut(&ScheduledNote)) {
        for i in 0..MAX_PENDING {
            if let Some(event) = self.pending[i] {
                if event.sample < block_end {
                    self.pending[i] = None;
                    self.emit(event);
                }
            }
        }
        let events = &mut self.block[..self.block_len];
        events.sort_unstable_by_key(|e| (e.sample, e.kind as u8));
        for event in events.iter() {
            send(event);
        }
        self.block_len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &mut NoteScheduler, end: u64) -> Vec<ScheduledNote> {
        let mut out = Vec::new();
        s.finish_block(end, |e| out.push(*e));
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
    }

    #[test]
    fn a_cc_goes_out_just_before_the_note_it_belongs_to() {
        let mut s = NoteScheduler::default();
        s.note(30, 100, 0, 38, 0.5);
        s.control(30, 0, 16, 0.25);
        let kinds: Vec<Kind> = run(&mut s, 64).iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec![Kind::Cc, Kind::On]);
    }
}
