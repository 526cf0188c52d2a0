//! Where a recorded one-shot's energy starts. Recorded drum samples begin with silence, noise or
//! a little junk of varying length (from none to tens of milliseconds), so the ground truth of a
//! placed sample is measured on the sample itself, never assumed to be its first sample.

/// Level, relative to the sample's peak, that the attack clearly exceeds, in dB. The search
/// starts at the first sample this loud and walks back to where the rise began.
pub const CLEAR_ATTACK_DB: f32 = -30.0;
/// Lowest level, relative to the peak, still counted as the hit's sound, in dB (unless the
/// sample's own noise is louder, see [`NOISE_MARGIN`]).
pub const QUIET_DB: f32 = -50.0;
/// How far above the quietest stretch before the attack (its peak in a 1 ms window) a sample
/// must be to count as the hit's sound (linear factor).
pub const NOISE_MARGIN: f32 = 2.0;
/// A gap this long below the threshold ends the walk back from the clear attack, in seconds.
pub const GAP_S: f32 = 0.000_25;

/// The first sample of the hit in `x` (recorded at `sample_rate` Hz): the start of the rise that
/// leads to the first sample within [`CLEAR_ATTACK_DB`] of the peak, where the signal leaves the
/// quiet before it (below [`QUIET_DB`] of the peak, or [`NOISE_MARGIN`] times the quietest
/// millisecond's peak before the attack, whichever is higher, for [`GAP_S`] or longer).
/// `None` for a silent (all-zero or empty) signal.
pub fn attack_start(x: &[f32], sample_rate: f32) -> Option<usize> {
    let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if peak <= 0.0 || !peak.is_finite() {
        return None;
    }
    let clear = peak * db_to_gain(CLEAR_ATTACK_DB);
    let c = x.iter().position(|v| v.abs() >= clear)?;
    let ms = ((0.001 * sample_rate) as usize).max(1);
    // The quietest millisecond before the attack (by its peak): the sample's own noise floor.
    let noise = x[..c]
        .chunks(ms)
        .filter(|w| w.len() == ms)
        .map(|w| w.iter().fold(0.0f32, |m, v| m.max(v.abs())))
        .fold(f32::INFINITY, f32::min);
    let noise = if noise.is_finite() { noise } else { 0.0 };
    let threshold = (peak * db_to_gain(QUIET_DB)).max(NOISE_MARGIN * noise);
    let gap = ((GAP_S * sample_rate).round() as usize).max(1);
    let mut start = c;
    loop {
        let from = start.saturating_sub(gap);
        match x[from..start].iter().position(|v| v.abs() >= threshold) {
            Some(j) => start = from + j,
            None => break,
        }
    }
    Some(start)
}

/// Linear gain of `db` decibels.
pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

/// Decibels of the linear gain `gain` (-inf for 0).
pub fn gain_to_db(gain: f32) -> f32 {
    20.0 * gain.log10()
}

/// Largest absolute sample of `x` (0 for an empty slice).
pub fn peak(x: &[f32]) -> f32 {
    x.iter().fold(0.0f32, |m, v| m.max(v.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_start_of_a_sharp_attack_after_silence() {
        let mut x = vec![0.0f32; 1000];
        for (i, v) in x[300..].iter_mut().enumerate() {
            *v = (-(i as f32) / 200.0).exp() * if i % 2 == 0 { 1.0 } else { -0.7 };
        }
        assert_eq!(attack_start(&x, 44_100.0), Some(300));
    }

    #[test]
    fn ignores_junk_separated_from_the_attack_and_noise_below_it() {
        let sr = 48_000.0;
        let mut x = vec![0.0f32; 4000];
        // A noise floor at 1e-3 (-60 dB), a click of junk at 100, the hit rising slowly from 2000.
        for (i, v) in x.iter_mut().enumerate() {
            *v = 1e-3 * if i % 3 == 0 { 1.0 } else { -1.0 };
        }
        x[100] = 0.004;
        for (k, v) in x[2000..].iter_mut().enumerate() {
            let rise = (k as f32 / 48.0).min(1.0);
            *v += rise * (k as f32 * 0.3).sin();
        }
        let s = attack_start(&x, sr).unwrap();
        assert!((2000..2003).contains(&s), "{s}");
        // From the first samples when there is no room before the attack.
        assert!(attack_start(&x[2000..], sr).unwrap() < 2);
        assert_eq!(attack_start(&[0.0; 10], sr), None);
        assert_eq!(attack_start(&[], sr), None);
    }
}
