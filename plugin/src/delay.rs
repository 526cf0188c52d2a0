//! Latency compensation: the audio passing through Timbrel, delayed by the latency it reports.
//!
//! A hit's result (note, CCs, control signals, output parameters) is ready one analysis window
//! after its onset. With *Latency compensation* on, Timbrel reports that window to the host as
//! its latency; a host with plugin delay compensation then moves everything Timbrel sends back by
//! the window, so the notes land on the hits in the timeline, and Timbrel delays its own audio
//! output by the same amount so that the host's shift lines the audio up again. Off (the
//! default), nothing is reported and the audio passes straight through: the lowest latency for
//! playing live.

/// A per-channel delay line for the main audio, sized in `activate()` and never resized on the
/// audio thread.
#[derive(Debug, Default)]
pub struct PassThroughDelay {
    /// One ring per channel, each `capacity` samples long.
    rings: Vec<Vec<f32>>,
    /// Next write position in every ring.
    write: usize,
}

impl PassThroughDelay {
    /// A delay line for `channels` channels and delays of up to `max_delay` samples.
    pub fn new(channels: usize, max_delay: usize) -> Self {
        Self {
            rings: vec![vec![0.0; max_delay + 1]; channels],
            write: 0,
        }
    }

    /// The longest delay this line holds, in samples.
    pub fn max_delay(&self) -> usize {
        self.rings.first().map_or(0, |ring| ring.len() - 1)
    }

    /// Silences the line (the next `delay` samples out are zeros).
    pub fn reset(&mut self) {
        for ring in &mut self.rings {
            ring.fill(0.0);
        }
        self.write = 0;
    }

    /// Delays every channel of `channels` in place by `delay` samples (clamped to
    /// [`Self::max_delay`]); a delay of 0 leaves the audio as it is but keeps the line filled, so
    /// switching the delay on later plays the audio that came before, not silence. Channels
    /// beyond those the line was made for pass unchanged. Never allocates.
    pub fn process(&mut self, channels: &mut [&mut [f32]], delay: usize) {
        let Some(len) = self.rings.first().map(Vec::len) else {
            return;
        };
        let delay = delay.min(len - 1);
        let samples = channels.first().map_or(0, |c| c.len());
        for (ring, channel) in self.rings.iter_mut().zip(channels.iter_mut()) {
            let mut write = self.write;
            let mut read = if write >= delay {
                write - delay
            } else {
                write + len - delay
            };
            for sample in channel.iter_mut() {
                ring[write] = *sample;
                *sample = ring[read];
                write = if write + 1 == len { 0 } else { write + 1 };
                read = if read + 1 == len { 0 } else { read + 1 };
            }
        }
        self.write = (self.write + samples) % len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(n: usize, from: f32) -> Vec<f32> {
        (0..n).map(|i| from + i as f32).collect()
    }

    #[test]
    fn delays_by_the_given_samples_whatever_the_block_size() {
        for block in [1, 7, 64, 300] {
            let mut delay = PassThroughDelay::new(2, 256);
            let input = ramp(1000, 1.0);
            let mut out = [Vec::new(), Vec::new()];
            for chunk in input.chunks(block) {
                let mut a = chunk.to_vec();
                let mut b: Vec<f32> = chunk.iter().map(|x| -x).collect();
                delay.process(&mut [&mut a, &mut b], 100);
                out[0].extend(a);
                out[1].extend(b);
            }
            assert!(out[0][..100].iter().all(|&x| x == 0.0));
            assert_eq!(&out[0][100..], &input[..900], "block {block}");
            let negated: Vec<f32> = input[..900].iter().map(|x| -x).collect();
            assert_eq!(&out[1][100..], &negated[..]);
        }
    }

    #[test]
    fn no_delay_passes_the_audio_and_keeps_the_line_filled() {
        let mut delay = PassThroughDelay::new(1, 64);
        let mut a = ramp(50, 1.0);
        delay.process(&mut [&mut a], 0);
        assert_eq!(a, ramp(50, 1.0));
        // Switched on: the samples that came before are played, not silence.
        let mut b = ramp(10, 51.0);
        delay.process(&mut [&mut b], 20);
        assert_eq!(b, ramp(10, 31.0));
    }

    #[test]
    fn clamps_to_its_length_and_ignores_extra_channels() {
        let mut delay = PassThroughDelay::new(1, 8);
        assert_eq!(delay.max_delay(), 8);
        let mut a = ramp(20, 1.0);
        let mut b = ramp(20, 1.0);
        delay.process(&mut [&mut a, &mut b], 1000);
        assert_eq!(&a[8..], &ramp(12, 1.0)[..]);
        assert_eq!(b, ramp(20, 1.0));
        delay.reset();
        let mut c = ramp(4, 1.0);
        delay.process(&mut [&mut c], 2);
        assert_eq!(c, vec![0.0, 0.0, 1.0, 2.0]);
    }
}
