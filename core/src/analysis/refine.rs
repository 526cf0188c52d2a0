//! Onset refinement: from a detection to the exact first sample of the hit.
//!
//! Looks back over the high-passed history: `P` is the largest magnitude between the start of
//! the search region and the detection, `N` the largest magnitude in a stretch just before the
//! region (the noise, or the previous hit's tail). The onset is the first sample of the region
//! whose magnitude exceeds `max(NOISE_FACTOR · N, PEAK_FRACTION · P)`.

use super::ring::History;

/// The onset threshold is at least this multiple of the pre-region maximum.
pub const NOISE_FACTOR: f32 = 2.0;
/// The onset threshold is at least this fraction of the region's peak.
pub const PEAK_FRACTION: f32 = 0.1;

/// Refines a detection at sample `det` (inclusive) by searching `search` samples back, not
/// before `min_start`, with a noise stretch of `noise` samples before the region.
pub(crate) fn refine_onset(
    hp: &History,
    det: u64,
    search: usize,
    noise: usize,
    min_start: u64,
) -> u64 {
    let start = (det + 1)
        .saturating_sub(search as u64)
        .max(min_start)
        .min(det);
    let mut peak = 0.0f32;
    for p in start..=det {
        peak = peak.max(hp.at(p as i64).abs());
    }
    let mut noise_max = 0.0f32;
    let nstart = start as i64 - noise as i64;
    for p in nstart.max(0)..start as i64 {
        noise_max = noise_max.max(hp.at(p).abs());
    }
    let threshold = (NOISE_FACTOR * noise_max).max(PEAK_FRACTION * peak);
    (start..=det)
        .find(|&p| hp.at(p as i64).abs() > threshold)
        .unwrap_or(start)
}
