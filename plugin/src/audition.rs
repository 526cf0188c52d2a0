//! Auditioning a training hit's snippet through the plugin's output.
//!
//! The editor resamples the snippet to the host's rate and pushes it into a lock-free ring
//! ([`AuditionSender`]); the audio thread adds what it finds there to its output after the
//! analysis, so an auditioned hit is heard but never detected as a new hit
//! ([`AuditionPlayer`]).

use std::sync::Mutex;

/// Longest audition, in seconds at the highest supported rate (192 kHz).
pub const MAX_AUDITION_S: f32 = 1.0;
/// Ring capacity, in samples.
const CAPACITY: usize = (MAX_AUDITION_S * 192_000.0) as usize;

/// The editor's end. Locked only by the editor (and tests), never by the audio thread.
#[derive(Debug)]
pub struct AuditionSender {
    producer: Mutex<rtrb::Producer<f32>>,
}

/// The audio thread's end.
#[derive(Debug)]
pub struct AuditionPlayer {
    consumer: rtrb::Consumer<f32>,
}

/// A connected sender and player.
pub fn audition_channel() -> (AuditionSender, AuditionPlayer) {
    let (producer, consumer) = rtrb::RingBuffer::new(CAPACITY);
    (
        AuditionSender {
            producer: Mutex::new(producer),
        },
        AuditionPlayer { consumer },
    )
}

/// Resamples `samples` from `from_hz` to `to_hz` by linear interpolation (a preview, not
/// mastering-grade).
pub fn resample(samples: &[f32], from_hz: f32, to_hz: f32) -> Vec<f32> {
    if samples.is_empty() || from_hz.is_nan() || to_hz.is_nan() || from_hz <= 0.0 || to_hz <= 0.0 {
        return Vec::new();
    }
    let step = from_hz as f64 / to_hz as f64;
    let len = ((samples.len() as f64) / step).floor() as usize;
    (0..len)
        .map(|i| {
            let t = i as f64 * step;
            let k = t as usize;
            let frac = (t - k as f64) as f32;
            let a = samples[k];
            let b = samples.get(k + 1).copied().unwrap_or(0.0);
            a + (b - a) * frac
        })
        .collect()
}

impl AuditionSender {
    /// Queues `samples` (already at the host's rate) for playback; returns how many fit. Any
    /// audition still playing is heard first.
    pub fn play(&self, samples: &[f32]) -> usize {
        let mut producer = self.producer.lock().unwrap_or_else(|e| e.into_inner());
        let n = samples.len().min(producer.slots());
        let Ok(mut chunk) = producer.write_chunk_uninit(n) else {
            return 0;
        };
        let (first, second) = chunk.as_mut_slices();
        let split = first.len();
        for (slot, &x) in first.iter_mut().zip(&samples[..split]) {
            slot.write(x);
        }
        for (slot, &x) in second.iter_mut().zip(&samples[split..n]) {
            slot.write(x);
        }
        // SAFETY: every slot of the chunk was written above.
        unsafe { chunk.commit_all() };
        n
    }
}

impl AuditionPlayer {
    /// Adds queued audition samples to every channel of the block. Never allocates or blocks.
    pub fn mix_into(&mut self, channels: &mut [&mut [f32]]) {
        let len = channels.first().map_or(0, |c| c.len());
        let n = len.min(self.consumer.slots());
        if n == 0 {
            return;
        }
        let Ok(chunk) = self.consumer.read_chunk(n) else {
            return;
        };
        let (first, second) = chunk.as_slices();
        for channel in channels.iter_mut() {
            for (out, x) in channel.iter_mut().zip(first.iter().chain(second)) {
                *out += x;
            }
        }
        chunk.commit_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_audio_is_added_to_every_channel_across_blocks() {
        let (sender, mut player) = audition_channel();
        assert_eq!(sender.play(&[1.0, 2.0, 3.0]), 3);
        let mut a = vec![0.5f32; 2];
        let mut b = vec![0.0f32; 2];
        player.mix_into(&mut [&mut a, &mut b]);
        assert_eq!(
            (a.as_slice(), b.as_slice()),
            (&[1.5, 2.5][..], &[1.0, 2.0][..])
        );
        let mut c = vec![0.0f32; 4];
        player.mix_into(&mut [&mut c]);
        assert_eq!(c, [3.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn resampling_keeps_the_duration() {
        let x: Vec<f32> = (0..1600).map(|i| (i as f32 * 0.01).sin()).collect();
        let y = resample(&x, 16_000.0, 48_000.0);
        assert_eq!(y.len(), 4800);
        assert!((y[300] - x[100]).abs() < 1e-6);
        assert!((y[301] - (x[100] + (x[101] - x[100]) / 3.0)).abs() < 1e-5);
    }
}
