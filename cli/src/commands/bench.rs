//! `timbrel bench`: throughput of the streaming analysis on one core, with audio in memory, and
//! the size and speed of the plugin's project state.
//!
//! The measurements themselves are the core's [`timbrel_core::bench::run`] and the learning
//! crate's [`timbrel_learn::bench::state_bench`], shared with the criterion benches; this
//! module only formats them.

use std::fmt;

use timbrel_core::bench::BenchReport;
use timbrel_learn::bench::StateBenchReport;

/// Sample rate of the pipeline benchmark, in Hz (the core's benchmark performance).
pub const BENCH_SAMPLE_RATE: u32 = 48_000;

/// Classes × hits per class of the project-state benchmark.
pub const STATE_SIZE: (usize, usize) = (16, 100);
/// Rate the state benchmark's snippets are recorded at, in Hz.
pub const STATE_RATE_HZ: f32 = 48_000.0;

/// The reports formatted for people, one figure per line.
pub struct Report {
    /// The streaming analysis.
    pub analysis: BenchReport,
    /// The project state.
    pub state: StateBenchReport,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.analysis;
        writeln!(
            f,
            "timbrel bench: one thread, audio in memory, {:.0} s synthetic snare performance",
            r.audio_seconds
        )?;
        writeln!(f, "descriptor hits/s: {:.0}", r.descriptor_hits_per_s)?;
        writeln!(
            f,
            "  (256-sample window at 44.1 kHz; at 48 kHz: {:.0})",
            r.descriptor_hits_per_s_48k
        )?;
        writeln!(
            f,
            "realtime: {:.0}x at {BENCH_SAMPLE_RATE} Hz (envelope detector, blocks of 512)",
            r.realtime_factor
        )?;
        writeln!(
            f,
            "realtime (flux detector): {:.0}x",
            r.realtime_factor_flux
        )?;
        writeln!(f, "hits per pass: {}", r.hits_per_pass)?;
        let s = &self.state;
        write!(
            f,
            "project state: {:.2} MB, encode {:.1} ms, decode {:.1} ms ({} classes x {} hits, 100 ms snippets at {} kHz, kNN model)",
            s.encoded_bytes as f64 / 1e6,
            s.encode_ms,
            s.decode_ms,
            s.classes,
            s.examples / s.classes.max(1),
            s.snippet_rate_hz / 1000.0,
        )
    }
}

/// Measures for about `seconds` of wall time (at least 0.2 s, plus rendering the audio), then
/// the project state (about a second more).
pub fn run(seconds: f64) -> Report {
    let analysis = timbrel_core::bench::run(seconds);
    let state = timbrel_learn::bench::state_bench(STATE_SIZE.0, STATE_SIZE.1, STATE_RATE_HZ, 3);
    Report { analysis, state }
}
