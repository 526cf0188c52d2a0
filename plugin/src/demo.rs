//! The demo input: a built-in drum performance (`assets/demo-performance.wav`, rendered by the
//! project's own synthesizer) that replaces the plugin's input, so a newcomer without a drum can
//! try the whole train-and-play loop. It loops, and plays at the host's sample rate through
//! linear interpolation computed on the fly, so nothing is allocated per block.

use std::sync::{Arc, OnceLock};

/// The demo recording, embedded in the plugin binary.
const DEMO_WAV: &[u8] = include_bytes!("../../assets/demo-performance.wav");

/// The decoded demo samples and their sample rate, decoded once per process.
fn decoded() -> &'static (Arc<[f32]>, f32) {
    static DEMO: OnceLock<(Arc<[f32]>, f32)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let decode = || -> Result<(Arc<[f32]>, f32), hound::Error> {
            let mut reader = hound::WavReader::new(std::io::Cursor::new(DEMO_WAV))?;
            let rate = reader.spec().sample_rate as f32;
            let scale = 1.0 / 32768.0;
            let samples = reader
                .samples::<i16>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<Vec<f32>, _>>()?;
            Ok((samples.into(), rate))
        };
        // NOTE: the embedded file is checked by a test; should decoding ever fail, the demo is
        // silence rather than a crash in the host.
        decode().unwrap_or_else(|_| (Arc::from(vec![0.0f32; 1]), 44_100.0))
    })
}

/// Plays the demo performance at any sample rate.
#[derive(Debug, Clone)]
pub struct DemoPlayer {
    source: Arc<[f32]>,
    /// Source samples per output sample.
    step: f64,
    /// Read position in source samples.
    position: f64,
}

impl DemoPlayer {
    /// Prepares the demo for playback at `sample_rate` Hz (decodes it on first use).
    pub fn new(sample_rate: f32) -> Self {
        let (source, rate) = decoded();
        Self {
            source: source.clone(),
            step: *rate as f64 / sample_rate as f64,
            position: 0.0,
        }
    }

    /// Starts from the beginning again.
    pub fn rewind(&mut self) {
        self.position = 0.0;
    }

    /// Length of one pass, in source samples.
    pub fn len(&self) -> usize {
        self.source.len()
    }

    /// Whether the demo is empty (never, unless decoding failed).
    pub fn is_empty(&self) -> bool {
        self.source.len() <= 1
    }

    /// Writes the next `out.len()` samples, looping at the end. Never allocates.
    pub fn fill(&mut self, out: &mut [f32]) {
        let n = self.source.len();
        for y in out.iter_mut() {
            let i = self.position as usize;
            let frac = (self.position - i as f64) as f32;
            let a = self.source[i % n];
            let b = self.source[(i + 1) % n];
            *y = a + (b - a) * frac;
            self.position += self.step;
            if self.position >= n as f64 {
                self.position -= n as f64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_demo_decodes() {
        let demo = DemoPlayer::new(44_100.0);
        assert!(demo.len() > 44_100 * 10, "demo is {} samples", demo.len());
        let peak = demo.source.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(peak > 0.1 && peak < 1.0);
    }

    #[test]
    fn at_the_source_rate_it_plays_the_file_unchanged_and_loops() {
        let mut demo = DemoPlayer::new(44_100.0);
        let n = demo.len();
        let mut out = vec![0.0; n + 10];
        demo.fill(&mut out);
        assert_eq!(&out[..n], &demo.source[..]);
        assert_eq!(&out[n..], &demo.source[..10]);
    }

    #[test]
    fn block_size_does_not_change_the_signal() {
        let mut a = DemoPlayer::new(48_000.0);
        let mut b = DemoPlayer::new(48_000.0);
        let mut whole = vec![0.0; 10_000];
        a.fill(&mut whole);
        let mut pieces = vec![0.0; 10_000];
        for chunk in pieces.chunks_mut(37) {
            b.fill(chunk);
        }
        assert_eq!(whole, pieces);
    }
}
