//! Mel filterbank (defined in Hz, applied as sparse weight ranges) and the DCT-II for MFCCs.

use super::lanes::F8;

/// Number of mel bands.
pub const MEL_BANDS: usize = 40;
/// Lower edge of the first mel band, in Hz.
pub const MEL_LO_HZ: f32 = 100.0;
/// Upper edge of the last mel band, in Hz (further limited to 0.95 × Nyquist).
pub const MEL_HI_HZ: f32 = 12_000.0;
/// Number of cepstral coefficients kept, c0 included.
pub const N_MFCC: usize = 13;

/// HTK mel scale: Hz to mel.
pub fn hz_to_mel(hz: f32) -> f32 {
    2595.0 * (1.0 + hz / 700.0).log10()
}

/// HTK mel scale: mel to Hz.
pub fn mel_to_hz(mel: f32) -> f32 {
    700.0 * (10f32.powf(mel / 2595.0) - 1.0)
}

/// The `MEL_BANDS + 2` band edge frequencies at `sample_rate`, in Hz: band `b` rises from
/// `edges[b]` to its peak at `edges[b + 1]` and falls to zero at `edges[b + 2]`.
pub fn band_edges_hz(sample_rate: f32) -> [f32; MEL_BANDS + 2] {
    let hi = MEL_HI_HZ.min(0.95 * 0.5 * sample_rate);
    let (m0, m1) = (hz_to_mel(MEL_LO_HZ), hz_to_mel(hi));
    let mut e = [0.0; MEL_BANDS + 2];
    for (i, v) in e.iter_mut().enumerate() {
        *v = mel_to_hz(m0 + (m1 - m0) * i as f32 / (MEL_BANDS + 1) as f32);
    }
    e
}

/// Weight of mel band `b` at frequency `hz` (a triangle of height 1 over `edges`).
pub fn triangle(edges: &[f32; MEL_BANDS + 2], b: usize, hz: f32) -> f32 {
    let (lo, mid, hi) = (edges[b], edges[b + 1], edges[b + 2]);
    if hz <= lo || hz >= hi {
        0.0
    } else if hz <= mid {
        (hz - lo) / (mid - lo)
    } else {
        (hi - hz) / (hi - mid)
    }
}

/// Mel filterbank for one FFT length: for each band a contiguous range of bins and weights.
///
/// The weights of band `b` are its triangle sampled at the bin frequencies, rescaled so they sum
/// to the triangle's area divided by the bin spacing: band values then estimate
/// `∫ triangle(f) · PSD(f) df` from a power spectrum whose bins hold power (not density), the
/// same at every FFT length and sample rate. A band narrower than a bin (low bands of short
/// frames) has no bin inside its triangle; it falls back to linear interpolation between the two
/// bins around its centre.
///
/// Each band's weights are stored in whole chunks of eight (zero-padded), so a band is a short
/// eight-lane dot product; the spectrum given to [`MelBank::apply`] must extend (with finite
/// values, normally zeros) at least [`MEL_PAD`] bins past its last bin.
#[derive(Debug, Clone)]
pub(crate) struct MelBank {
    /// (first bin, number of 8-bin chunks, offset into `chunks`) per band.
    ranges: [(usize, usize, usize); MEL_BANDS],
    /// Weights of every band, contiguous (scratch of `configure`).
    weights: Vec<f32>,
    /// The same, per band padded with zeros to whole chunks.
    chunks: Vec<[f32; 8]>,
    /// Centre frequency of each band, in Hz.
    pub(crate) centres_hz: [f32; MEL_BANDS],
}

/// How far past the last bin [`MelBank::apply`] may read.
pub(crate) const MEL_PAD: usize = 8;

impl MelBank {
    /// Allocates for FFT lengths up to `max_fft_len`.
    pub(crate) fn with_capacity(max_fft_len: usize) -> Self {
        let max_weights = 2 * (max_fft_len / 2 + 1) + 4 * MEL_BANDS;
        Self {
            ranges: [(0, 0, 0); MEL_BANDS],
            weights: Vec::with_capacity(max_weights),
            chunks: Vec::with_capacity(max_weights / 8 + MEL_BANDS),
            centres_hz: [0.0; MEL_BANDS],
        }
    }

    /// Recomputes the weights for `fft_len` at `sample_rate`, within the capacity (no
    /// allocation when `fft_len` <= the capacity's FFT length).
    pub(crate) fn configure(&mut self, fft_len: usize, sample_rate: f32) {
        let edges = band_edges_hz(sample_rate);
        let df = sample_rate / fft_len as f32;
        let n_bins = fft_len / 2 + 1;
        self.weights.clear();
        self.chunks.clear();
        for b in 0..MEL_BANDS {
            self.centres_hz[b] = edges[b + 1];
            let first = ((edges[b] / df).floor() as usize + 1).min(n_bins - 1);
            let last = ((edges[b + 2] / df).ceil() as usize)
                .saturating_sub(1)
                .min(n_bins - 1);
            let offset = self.weights.len();
            let mut sum = 0.0;
            if last >= first {
                for k in first..=last {
                    let w = triangle(&edges, b, k as f32 * df);
                    self.weights.push(w);
                    sum += w;
                }
            }
            let (start, len) = if sum > 0.0 {
                (first, last + 1 - first)
            } else {
                self.weights.truncate(offset);
                let pos = edges[b + 1] / df;
                let k0 = (pos.floor() as usize).min(n_bins - 2);
                let frac = pos - k0 as f32;
                self.weights.push(1.0 - frac);
                self.weights.push(frac);
                sum = 1.0;
                (k0, 2)
            };
            let area_bins = 0.5 * (edges[b + 2] - edges[b]) / df;
            let chunk_offset = self.chunks.len();
            for c in self.weights[offset..offset + len].chunks(8) {
                let mut w = [0.0f32; 8];
                for (w, c) in w.iter_mut().zip(c) {
                    *w = c * (area_bins / sum);
                }
                self.chunks.push(w);
            }
            self.ranges[b] = (start, self.chunks.len() - chunk_offset, chunk_offset);
        }
    }

    /// Band values from a power spectrum (`fft_len / 2 + 1` bins followed by at least
    /// [`MEL_PAD`] finite values).
    #[inline]
    pub(crate) fn apply(&self, power: &[f32], out: &mut [f32; MEL_BANDS]) {
        for (o, &(start, n, offset)) in out.iter_mut().zip(&self.ranges) {
            let (p, _) = power[start..start + 8 * n].as_chunks::<8>();
            let w = &self.chunks[offset..offset + n];
            let mut acc = F8::zero();
            for (p, w) in p.iter().zip(w) {
                acc = acc.add(F8::load(p).mul(F8::load(w)));
            }
            *o = acc.fold();
        }
    }
}

/// Orthonormal DCT-II from `MEL_BANDS` log band energies to `N_MFCC` coefficients:
/// `c_k = s_k Σ_n x_n cos(π k (n + ½) / N)`, `s_0 = √(1/N)`, `s_k = √(2/N)`.
#[derive(Debug, Clone)]
pub(crate) struct Dct {
    m: [[f32; MEL_BANDS]; N_MFCC],
}

impl Dct {
    pub(crate) fn new() -> Self {
        let n = MEL_BANDS as f64;
        let mut m = [[0.0; MEL_BANDS]; N_MFCC];
        for (k, row) in m.iter_mut().enumerate() {
            let s = if k == 0 {
                (1.0 / n).sqrt()
            } else {
                (2.0 / n).sqrt()
            };
            for (i, v) in row.iter_mut().enumerate() {
                *v = (s * (std::f64::consts::PI * k as f64 * (i as f64 + 0.5) / n).cos()) as f32;
            }
        }
        Self { m }
    }

    #[inline]
    pub(crate) fn apply(&self, x: &[f32; MEL_BANDS], out: &mut [f32]) {
        for (o, row) in out.iter_mut().zip(&self.m) {
            *o = super::lanes::dot(row, x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_scale_round_trips() {
        for hz in [0.0, 100.0, 1000.0, 12_000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 0.05 * (1.0 + hz / 1000.0));
        }
        assert!((hz_to_mel(1000.0) - 1000.0).abs() < 1.0);
    }

    #[test]
    fn white_power_gives_band_areas() {
        // A flat power spectrum of density 1 per Hz gives each band its triangle area in Hz.
        for (fft, sr) in [(256usize, 44_100.0f32), (512, 48_000.0), (2048, 192_000.0)] {
            let mut bank = MelBank::with_capacity(fft);
            bank.configure(fft, sr);
            let df = sr / fft as f32;
            let mut power = vec![df; fft / 2 + 1];
            power.extend_from_slice(&[0.0; MEL_PAD]);
            let mut out = [0.0; MEL_BANDS];
            bank.apply(&power, &mut out);
            let e = band_edges_hz(sr);
            for b in 0..MEL_BANDS {
                let area = 0.5 * (e[b + 2] - e[b]);
                assert!((out[b] / area - 1.0).abs() < 1e-3, "band {b} fft {fft}");
            }
        }
    }

    #[test]
    fn dct_is_orthonormal() {
        let d = Dct::new();
        for a in 0..N_MFCC {
            for b in 0..N_MFCC {
                let dot: f32 = d.m[a].iter().zip(&d.m[b]).map(|(x, y)| x * y).sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-5);
            }
        }
    }
}
