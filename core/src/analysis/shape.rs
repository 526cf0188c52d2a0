//! Spectral shape: on a linear frequency axis (per frame, in Hz) and on a logarithmic axis (per
//! window segment, in octaves), plus flatness and slope of mel band energies.

use super::{fastmath, lanes};

/// Lowest frequency the shape features read, in Hz (excludes DC).
pub const SHAPE_LO_HZ: f32 = 50.0;
/// Highest frequency the shape features read, in Hz (further limited to 0.95 × Nyquist), so the
/// features do not depend on how far the sample rate extends the spectrum.
pub const SHAPE_HI_HZ: f32 = 16_000.0;
/// Reference of the logarithmic frequency axis, in Hz (0 octaves).
pub const LOG_REF_HZ: f32 = 1000.0;

const LN_TO_DB10: f32 = 4.342_944_8; // 10 / ln 10

/// Linear-axis shape of a power spectrum over bins `lo..=hi`, read on the magnitude
/// (square root of power): `[centroid Hz, spread Hz, flatness dB, 85 % rolloff Hz, crest dB]`.
/// `mags` is scratch of at least `hi + 1` values. All zero when the range is silent.
pub(crate) fn linear_shape(
    power: &[f32],
    bin_hz: &[f32],
    lo: usize,
    hi: usize,
    mags: &mut [f32],
) -> [f32; 5] {
    let n = (hi + 1 - lo) as f32;
    let p = &power[lo..=hi];
    let f = &bin_hz[lo..=hi];
    let m = &mut mags[lo..=hi];
    let (sum, fsum, max) = lanes::sqrt_sum_dot_max(p, f, m);
    let m = &*m;
    if sum <= 1e-12 {
        return [0.0; 5];
    }
    // Magnitudes floored at 1e-15 (power 1e-30) keep the logarithm finite.
    let lnsum = 2.0 * fastmath::sum_ln_floored(m, 1e-15);
    let centroid = fsum / sum;
    let var = lanes::central_sq(m, f, centroid);
    let spread = (var / sum).max(0.0).sqrt();
    let mean = sum / n;
    // 20 log10(geo / arith) of the magnitudes; ln geo(m) = ½ mean ln(p).
    let flatness_db = 2.0 * LN_TO_DB10 * (0.5 * lnsum / n - fastmath::ln(mean));
    let rolloff = quantile(m, f, 0.85 * sum);
    let crest_db = 2.0 * LN_TO_DB10 * fastmath::ln(max / mean);
    [centroid, spread, flatness_db.min(0.0), rolloff, crest_db]
}

/// The position `x[k]` of the first `k` at which the running sum of `w` reaches `target` (the
/// last position if it never does). Sums run in order, eight values at a time: a block whose
/// total keeps the running sum below `target` is skipped whole.
#[inline]
fn quantile(w: &[f32], x: &[f32], target: f32) -> f32 {
    let n = w.len().min(x.len());
    let (w, x) = (&w[..n], &x[..n]);
    let mut acc = 0.0f32;
    let mut k = 0;
    let (chunks, _) = w.as_chunks::<8>();
    for c in chunks {
        let s = ((c[0] + c[1]) + (c[2] + c[3])) + ((c[4] + c[5]) + (c[6] + c[7]));
        if acc + s >= target {
            break;
        }
        acc += s;
        k += 8;
    }
    for (w, x) in w[k..].iter().zip(&x[k..]) {
        acc += w;
        if acc >= target {
            return *x;
        }
    }
    x[n - 1]
}

/// Log-axis shape of a power spectrum over bins `lo..=hi`, weighting each bin's position
/// `x = log2(f / 1 kHz)` by its power: `[centroid oct, spread oct, skewness, kurtosis,
/// median (50 %) oct, 85 % rolloff oct]`. All zero when the range is silent.
pub(crate) fn log_shape(power: &[f32], bin_log2: &[f32], lo: usize, hi: usize) -> [f32; 6] {
    let p = &power[lo..=hi];
    let x = &bin_log2[lo..=hi];
    let (sum, dot) = lanes::sum_and_dot(p, x);
    if sum <= 1e-30 {
        return [0.0; 6];
    }
    let c = dot / sum;
    let (m2, m3, m4) = lanes::moments(p, x, c);
    let var = m2 / sum;
    let spread = var.max(0.0).sqrt();
    let (skew, kurt) = if spread > 1e-6 {
        (m3 / sum / (var * spread), m4 / sum / (var * var))
    } else {
        (0.0, 0.0)
    };
    let median = quantile(p, x, 0.5 * sum);
    let rolloff = quantile(p, x, 0.85 * sum);
    [c, spread, skew, kurt, median, rolloff]
}

/// Flatness of band energies, `10 log10(geometric mean / arithmetic mean)`, in dB (<= 0). Bands
/// are floored 100 dB below the total so the value does not depend on level. 0 for silence.
pub(crate) fn band_flatness_db(bands: &[f32]) -> f32 {
    let total = lanes::sum(bands);
    if total <= 1e-30 {
        return 0.0;
    }
    let floor = total * 1e-10;
    let n = bands.len() as f32;
    let lnmean = fastmath::sum_ln_floored(bands, floor) / n;
    (LN_TO_DB10 * (lnmean - fastmath::ln(total / n))).min(0.0)
}

/// Least-squares slope of `y` (dB) against `x` (octaves), in dB per octave.
pub(crate) fn slope(x: &[f32], y: &[f32]) -> f32 {
    let n = x.len().min(y.len()) as f32;
    let mx = lanes::sum(x) / n;
    let my = lanes::sum(y) / n;
    let (mut sxy, mut sxx) = (0.0f32, 0.0f32);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
    }
    if sxx > 0.0 {
        sxy / sxx
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_bin_spectrum() {
        let power = [0.0, 0.0, 4.0, 0.0, 0.0];
        let hz = [0.0, 100.0, 200.0, 300.0, 400.0];
        let mut mags = [0.0; 5];
        let s = linear_shape(&power, &hz, 1, 4, &mut mags);
        assert_eq!(s[0], 200.0);
        assert_eq!(s[1], 0.0);
        assert_eq!(s[3], 200.0);
        // crest: max 2 / mean 0.5 = 4 -> 12.04 dB
        assert!((s[4] - 12.041).abs() < 1e-2);
    }

    #[test]
    fn flat_spectrum_is_flat() {
        let power = [1.0f32; 9];
        let hz: Vec<f32> = (0..9).map(|k| k as f32 * 100.0).collect();
        let mut mags = [0.0; 9];
        let s = linear_shape(&power, &hz, 1, 8, &mut mags);
        assert!(s[2].abs() < 1e-4);
        assert!((s[0] - 450.0).abs() < 1e-3);
        assert!(band_flatness_db(&power).abs() < 1e-4);
    }

    #[test]
    fn slope_of_a_line() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y = [1.0, -5.0, -11.0, -17.0];
        assert!((slope(&x, &y) + 6.0).abs() < 1e-5);
    }
}
