//! The room around a close snare mic (DOMAIN.md, "A real kit in a real room"): every kit piece
//! reaches the mic directly and through a few early reflections (floor and near walls, 2–25 ms
//! later, 5–14 dB down, each slightly dulled), and everything together feeds a diffuse tail
//! (exponentially decaying noise, RT60 0.3–0.8 s).

use std::sync::Arc;

use realfft::RealFftPlanner;

use super::attack::db_to_gain;
use crate::signal::Rng;

/// Delay range of early reflections, in seconds.
pub const REFLECTION_DELAY_S: (f32, f32) = (0.002, 0.025);
/// Level range of early reflections relative to the direct sound, in dB.
pub const REFLECTION_DB: (f32, f32) = (-14.0, -5.0);
/// RT60 range of the diffuse tail, in seconds.
pub const RT60_S: (f32, f32) = (0.3, 0.8);
/// Energy of the diffuse tail relative to the direct sound's, in dB (a close mic: mostly
/// direct sound).
pub const TAIL_DB: (f32, f32) = (-18.0, -10.0);
/// The diffuse tail builds up from this delay on, in seconds (after the first reflections).
pub const TAIL_START_S: f32 = 0.008;

/// One early reflection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reflection {
    /// Delay after the direct sound, in samples.
    pub delay: usize,
    /// Level relative to the direct sound, in dB.
    pub level_db: f32,
    /// Polarity: +1 or -1.
    pub sign: f32,
    /// Cutoff of the one-pole low-pass that dulls it (absorption), in Hz.
    pub lowpass_hz: f32,
}

/// A room: early reflections per source position, and one diffuse tail.
#[derive(Debug, Clone)]
pub struct Room {
    /// Sample rate, in Hz.
    pub sample_rate: f32,
    /// For each path (source position; path 0 is the drum the mic is on), its reflections.
    pub paths: Vec<Vec<Reflection>>,
    /// Reverberation time of the tail, in seconds.
    pub rt60_s: f32,
    /// Energy of the tail relative to the direct sound, in dB.
    pub tail_db: f32,
    /// Impulse response of the tail (from sample 0, zero before [`TAIL_START_S`]).
    pub tail: Arc<[f32]>,
}

impl Room {
    /// A seeded random room with `paths` source positions, at `sample_rate` Hz: 3–6 reflections
    /// per path within [`REFLECTION_DELAY_S`] and [`REFLECTION_DB`], a tail within [`RT60_S`]
    /// and [`TAIL_DB`].
    pub fn random(paths: usize, sample_rate: f32, seed: u64) -> Room {
        let mut rng = Rng::new(seed ^ 0x600d_4004);
        let paths = (0..paths.max(1))
            .map(|_| {
                let n = 3 + (rng.next_u64() % 4) as usize;
                let mut r: Vec<Reflection> = (0..n)
                    .map(|_| Reflection {
                        delay: (rng.range(REFLECTION_DELAY_S.0, REFLECTION_DELAY_S.1) * sample_rate)
                            .round() as usize,
                        level_db: rng.range(REFLECTION_DB.0, REFLECTION_DB.1),
                        sign: if rng.unit() < 0.8 { 1.0 } else { -1.0 },
                        lowpass_hz: rng.range(3_000.0, 12_000.0),
                    })
                    .collect();
                r.sort_by_key(|r| r.delay);
                r
            })
            .collect();
        let rt60_s = rng.range(RT60_S.0, RT60_S.1);
        let tail_db = rng.range(TAIL_DB.0, TAIL_DB.1);
        let tail = diffuse_tail(rt60_s, tail_db, sample_rate, rng.next_u64());
        Room {
            sample_rate,
            paths,
            rt60_s,
            tail_db,
            tail: tail.into(),
        }
    }

    /// A room without reflections or tail (dry).
    pub fn dry(sample_rate: f32) -> Room {
        Room {
            sample_rate,
            paths: vec![Vec::new()],
            rt60_s: 0.0,
            tail_db: f32::NEG_INFINITY,
            tail: Arc::from(Vec::new()),
        }
    }

    /// Adds the early reflections of path `path` (wrapping around the room's paths) of `dry` to
    /// `out` (which must be at least as long); the direct sound is not added.
    pub fn add_reflections(&self, path: usize, dry: &[f32], out: &mut [f32]) {
        let reflections = &self.paths[path % self.paths.len()];
        for r in reflections {
            let g = r.sign * db_to_gain(r.level_db);
            let a = (-std::f32::consts::TAU * r.lowpass_hz / self.sample_rate).exp();
            let mut y = 0.0f32;
            let from = r.delay.min(out.len());
            for (o, &x) in out[from..].iter_mut().zip(dry) {
                y = (1.0 - a) * x + a * y;
                *o += g * y;
            }
        }
    }

    /// Adds the diffuse tail of `x` to `out` (same length), by FFT convolution.
    pub fn add_tail(&self, x: &[f32], out: &mut [f32]) {
        if self.tail.is_empty() {
            return;
        }
        convolve_add(x, &self.tail, out);
    }

    /// `sources` heard through the room: each (path, dry signal) directly plus its path's
    /// reflections, then the diffuse tail of everything. All signals as long as the result.
    pub fn render(&self, sources: &[(usize, &[f32])], len: usize) -> Vec<f32> {
        let mut direct = vec![0.0f32; len];
        for (path, dry) in sources {
            for (o, x) in direct.iter_mut().zip(dry.iter()) {
                *o += x;
            }
            self.add_reflections(*path, dry, &mut direct);
        }
        let mut out = direct.clone();
        self.add_tail(&direct, &mut out);
        out
    }
}

/// The tail's impulse response: Gaussian-like noise decaying by 60 dB in `rt60_s`, building up
/// over [`TAIL_START_S`], with total energy `tail_db` relative to a unit impulse.
fn diffuse_tail(rt60_s: f32, tail_db: f32, sample_rate: f32, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let len = (rt60_s * sample_rate) as usize;
    let start = (TAIL_START_S * sample_rate) as usize;
    let k = 6.907_755 / (rt60_s * sample_rate); // ln(1000) per sample
    let mut h: Vec<f32> = (0..len)
        .map(|i| {
            if i < start {
                return 0.0;
            }
            let build = ((i - start) as f32 / start.max(1) as f32).min(1.0);
            let g = (0..4).map(|_| rng.bipolar()).sum::<f32>() * 0.866;
            g * build * (-k * i as f32).exp()
        })
        .collect();
    let energy: f32 = h.iter().map(|v| v * v).sum();
    let scale = (db_to_gain(tail_db).powi(2) / energy).sqrt();
    h.iter_mut().for_each(|v| *v *= scale);
    h
}

/// Adds the linear convolution of `x` with `h` to `out` (truncated to `out.len()`), by FFT
/// overlap-add.
pub fn convolve_add(x: &[f32], h: &[f32], out: &mut [f32]) {
    if h.is_empty() || x.is_empty() {
        return;
    }
    let n = (2 * h.len()).next_power_of_two().max(1024);
    let block = n - h.len() + 1;
    let mut planner = RealFftPlanner::<f32>::new();
    let fwd = planner.plan_fft_forward(n);
    let inv = planner.plan_fft_inverse(n);
    let mut buf = fwd.make_input_vec();
    let mut hs = fwd.make_output_vec();
    buf[..h.len()].copy_from_slice(h);
    fwd.process(&mut buf, &mut hs).expect("sizes from the plan");
    let mut xs = fwd.make_output_vec();
    let mut y = inv.make_output_vec();
    let scale = 1.0 / n as f32;
    for start in (0..x.len()).step_by(block) {
        if start >= out.len() {
            break;
        }
        let chunk = &x[start..(start + block).min(x.len())];
        if chunk.iter().all(|&v| v == 0.0) {
            continue;
        }
        buf.iter_mut().for_each(|v| *v = 0.0);
        buf[..chunk.len()].copy_from_slice(chunk);
        fwd.process(&mut buf, &mut xs).expect("sizes from the plan");
        for (a, b) in xs.iter_mut().zip(&hs) {
            *a *= b;
        }
        inv.process(&mut xs, &mut y).expect("sizes from the plan");
        let end = (start + chunk.len() + h.len() - 1).min(out.len());
        for (o, v) in out[start..end].iter_mut().zip(&y) {
            *o += v * scale;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft_convolution_matches_direct_convolution() {
        let mut rng = Rng::new(3);
        let x: Vec<f32> = (0..5000).map(|_| rng.bipolar()).collect();
        let h: Vec<f32> = (0..700).map(|_| rng.bipolar() * 0.1).collect();
        let mut fast = vec![0.0f32; 5200];
        convolve_add(&x, &h, &mut fast);
        for (i, f) in fast.iter().enumerate().step_by(37) {
            let direct: f32 = (0..h.len())
                .filter(|&k| k <= i && i - k < x.len())
                .map(|k| h[k] * x[i - k])
                .sum();
            assert!((f - direct).abs() < 1e-3, "{i}: {f} vs {direct}");
        }
    }

    #[test]
    fn rooms_are_seeded_and_within_the_stated_ranges() {
        let sr = 48_000.0;
        let a = Room::random(4, sr, 9);
        let b = Room::random(4, sr, 9);
        assert_eq!(a.paths, b.paths);
        assert_eq!(a.tail, b.tail);
        assert_ne!(Room::random(4, sr, 10).paths, a.paths);
        for r in a.paths.iter().flatten() {
            let d = r.delay as f32 / sr;
            assert!((0.0019..=0.0251).contains(&d), "{d}");
            assert!((-14.0..=-5.0).contains(&r.level_db));
        }
        let energy: f32 = a.tail.iter().map(|v| v * v).sum();
        assert!((10.0 * energy.log10() - a.tail_db).abs() < 0.01);
        // The tail has decayed by about 60 dB after RT60: compare the energy of its first and
        // last 20 ms.
        let w = (0.02 * sr) as usize;
        let start = (TAIL_START_S * sr) as usize + w;
        let e = |s: &[f32]| s.iter().map(|v| v * v).sum::<f32>();
        let drop = 10.0 * (e(&a.tail[start..start + w]) / e(&a.tail[a.tail.len() - w..])).log10();
        let expected = 60.0 * (a.tail.len() - w - start) as f32 / (a.rt60_s * sr);
        assert!((drop - expected).abs() < 6.0, "{drop} vs {expected}");
    }

    #[test]
    fn an_impulse_through_the_room_shows_its_reflections() {
        let sr = 44_100.0;
        let room = Room::random(2, sr, 4);
        let mut x = vec![0.0f32; 4410];
        x[100] = 1.0;
        let y = room.render(&[(0, &x)], 4410);
        // Nothing before the direct sound (but the FFT's rounding).
        assert!(y[..100].iter().all(|v| v.abs() < 1e-6));
        assert!((y[100] - 1.0).abs() < 1e-3);
        for r in &room.paths[0] {
            // A one-pole low-passed impulse peaks at its first sample.
            assert!(
                y[100 + r.delay].abs() > 0.2 * db_to_gain(r.level_db),
                "{r:?}"
            );
        }
    }
}
