//! Short audio snippets of hits, for auditioning and for the dataset.
//!
//! The audio thread streams the analysed mono signal to the worker in fixed-size chunks that
//! carry their absolute sample position ([`AudioChunk`]); the worker keeps the last few seconds in
//! a [`SnippetRecorder`] and cuts each hit's snippet once its audio has arrived. Chunks lost to a
//! full ring leave silence, never a misaligned snippet.

/// Samples per streamed chunk.
pub const CHUNK_LEN: usize = 256;
/// Length of a hit snippet, in seconds.
pub const SNIPPET_S: f32 = 0.1;

/// A piece of the analysed mono signal, at an absolute sample position.
#[derive(Debug, Clone, Copy)]
pub struct AudioChunk {
    /// Absolute position of `samples[0]`, in samples since activation.
    pub start: u64,
    /// Valid samples in `samples`.
    pub len: u32,
    /// The samples.
    pub samples: [f32; CHUNK_LEN],
}

impl Default for AudioChunk {
    fn default() -> Self {
        Self {
            start: 0,
            len: 0,
            samples: [0.0; CHUNK_LEN],
        }
    }
}

/// Fills chunks from blocks of any size on the audio thread. Never allocates.
#[derive(Debug, Default)]
pub struct ChunkWriter {
    chunk: AudioChunk,
}

impl ChunkWriter {
    /// Starts over at absolute position `position`.
    pub fn reset(&mut self, position: u64) {
        self.chunk.start = position;
        self.chunk.len = 0;
    }

    /// Appends `samples`, which start at absolute `position`, calling `emit` for each full chunk.
    pub fn write(&mut self, position: u64, samples: &[f32], mut emit: impl FnMut(&AudioChunk)) {
        if self.chunk.start + self.chunk.len as u64 != position {
            self.reset(position);
        }
        let mut rest = samples;
        while !rest.is_empty() {
            let at = self.chunk.len as usize;
            let n = (CHUNK_LEN - at).min(rest.len());
            self.chunk.samples[at..at + n].copy_from_slice(&rest[..n]);
            self.chunk.len += n as u32;
            rest = &rest[n..];
            if self.chunk.len as usize == CHUNK_LEN {
                emit(&self.chunk);
                self.chunk.start += CHUNK_LEN as u64;
                self.chunk.len = 0;
            }
        }
    }
}

/// The worker's recent history of the signal, in a ring.
#[derive(Debug)]
pub struct SnippetRecorder {
    ring: Vec<f32>,
    /// Absolute position one past the newest sample written.
    end: u64,
}

impl SnippetRecorder {
    /// Keeps the last `capacity` samples.
    pub fn new(capacity: usize) -> Self {
        Self {
            ring: vec![0.0; capacity.max(1)],
            end: 0,
        }
    }

    /// Absolute position one past the newest sample.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Stores a chunk. A gap before it (lost chunks) is filled with silence; a chunk from
    /// before the current end (a restart) resets the history.
    pub fn push(&mut self, chunk: &AudioChunk) {
        let n = self.ring.len() as u64;
        if chunk.start < self.end {
            self.ring.fill(0.0);
        } else {
            for p in self.end..chunk.start.min(self.end + n) {
                self.ring[(p % n) as usize] = 0.0;
            }
        }
        for (i, &x) in chunk.samples[..chunk.len as usize].iter().enumerate() {
            self.ring[((chunk.start + i as u64) % n) as usize] = x;
        }
        self.end = chunk.start + chunk.len as u64;
    }

    /// The `len` samples from absolute position `start`, once they have all arrived and are
    /// still held; `None` otherwise.
    pub fn snippet(&self, start: u64, len: usize) -> Option<Vec<f32>> {
        let n = self.ring.len() as u64;
        if start + len as u64 > self.end || self.end - start > n {
            return None;
        }
        Some(
            (start..start + len as u64)
                .map(|p| self.ring[(p % n) as usize])
                .collect(),
        )
    }
}

/// An example's snippet as samples and their rate in Hz, for auditioning (empty without one).
pub fn playable(example: &timbrel_learn::Example) -> (Vec<f32>, f32) {
    (example.snippet.decode(), example.snippet.rate_hz())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_do_not_depend_on_block_size() {
        let signal: Vec<f32> = (0..10_000).map(|i| i as f32).collect();
        for block in [1, 37, 256, 1000] {
            let mut writer = ChunkWriter::default();
            let mut recorder = SnippetRecorder::new(4096);
            let mut pos = 0u64;
            for piece in signal.chunks(block) {
                writer.write(pos, piece, |c| recorder.push(c));
                pos += piece.len() as u64;
            }
            let snip = recorder.snippet(7000, 500).expect("snippet available");
            assert_eq!(snip, signal[7000..7500].to_vec(), "block {block}");
            assert!(
                recorder.snippet(9900, 200).is_none(),
                "tail not yet streamed"
            );
            assert!(recorder.snippet(1000, 10).is_none(), "too old");
        }
    }

    #[test]
    fn lost_chunks_leave_silence_not_misalignment() {
        let mut recorder = SnippetRecorder::new(4096);
        let mut chunk = AudioChunk {
            start: 0,
            len: CHUNK_LEN as u32,
            samples: [1.0; CHUNK_LEN],
        };
        recorder.push(&chunk);
        chunk.start = 3 * CHUNK_LEN as u64;
        chunk.samples = [2.0; CHUNK_LEN];
        recorder.push(&chunk);
        let snip = recorder.snippet(0, 4 * CHUNK_LEN).unwrap();
        assert!(snip[..CHUNK_LEN].iter().all(|&x| x == 1.0));
        assert!(snip[CHUNK_LEN..3 * CHUNK_LEN].iter().all(|&x| x == 0.0));
        assert!(snip[3 * CHUNK_LEN..].iter().all(|&x| x == 2.0));
    }
}
