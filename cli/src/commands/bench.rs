//! `timbrel bench`: throughput of the streaming analysis on one core, with audio in memory.
//!
//! The measurement itself is the core's [`timbrel_core::bench::run`], shared with the criterion
//! benches; this module only formats it.

use std::fmt;

use timbrel_core::bench::BenchReport;

/// Sample rate of the pipeline benchmark, in Hz (the core's benchmark performance).
pub const BENCH_SAMPLE_RATE: u32 = 48_000;

/// A [`BenchReport`] formatted for people, one figure per line.
pub struct Report(pub BenchReport);

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.0;
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
        write!(f, "hits per pass: {}", r.hits_per_pass)
    }
}

/// Measures for about `seconds` of wall time (at least 0.2 s, plus rendering the audio).
pub fn run(seconds: f64) -> Report {
    Report(timbrel_core::bench::run(seconds))
}
