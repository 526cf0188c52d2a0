//! A seeded synthetic one-shot collection (tests, benchmarks, demos): one folder per drum type,
//! each sound at several strike positions and velocities, written as 16-bit WAV files.

use std::path::{Path, PathBuf};

use timbrel_core::synth::{sources, Membrane};

use crate::MapError;

/// The drum types of the synthetic collection, as folder names.
pub const KINDS: [&str; 5] = ["snare", "tom", "kick", "cymbal", "hat"];

/// Renders one one-shot of `kind` (an entry of [`KINDS`]) at strike radius `r` (0..1) and
/// `velocity` (0..1), `sample_rate` Hz. Each sound starts after 5 ms of silence and lasts
/// about 0.25 s.
pub fn one_shot(kind: &str, r: f32, velocity: f32, sample_rate: f32, seed: u64) -> Vec<f32> {
    let mut sound = match kind {
        "snare" => Membrane::snare().hit(r, velocity, sample_rate, seed),
        "tom" => sources::tom(r, velocity, sample_rate, seed),
        "kick" => sources::kick(velocity, sample_rate, seed),
        "cymbal" => sources::cymbal(velocity, sample_rate, seed),
        // A closed hat: a short bright noise burst, its level following velocity.
        _ => {
            let mut b =
                sources::noise_burst(0.04 + 0.03 * r, 0.05 + 0.25 * velocity, sample_rate, seed);
            let n = b.len() as f32;
            for (i, v) in b.iter_mut().enumerate() {
                *v *= (-(i as f32) / (0.3 * n)).exp();
            }
            b
        }
    };
    sound.truncate((0.25 * sample_rate) as usize);
    let fade = (0.01 * sample_rate) as usize;
    let len = sound.len();
    for i in 0..fade.min(len) {
        sound[len - 1 - i] *= i as f32 / fade as f32;
    }
    let mut out = vec![0.0; (0.005 * sample_rate) as usize];
    out.extend_from_slice(&sound);
    out
}

/// Writes `per_kind` one-shots of each of the first `kinds` entries of [`KINDS`] under `dir`
/// (`dir/<kind>/<kind>_<i>.wav`, 44.1 kHz, 16-bit), with strike radii and velocities spread
/// evenly over their ranges and jittered by `seed`. Files are rendered in parallel; each has its
/// own seed derived from (`seed`, kind, index), so the result does not depend on the thread
/// count. Returns the files written.
pub fn write_collection(
    dir: &Path,
    kinds: usize,
    per_kind: usize,
    seed: u64,
) -> Result<Vec<PathBuf>, MapError> {
    use rayon::prelude::*;
    let sr = 44_100u32;
    let jobs: Vec<(usize, usize)> = (0..kinds.min(KINDS.len()))
        .flat_map(|k| (0..per_kind).map(move |i| (k, i)))
        .collect();
    for kind in KINDS.iter().take(kinds) {
        let sub = dir.join(kind);
        std::fs::create_dir_all(&sub).map_err(|e| MapError::io(&sub, e))?;
    }
    jobs.par_iter()
        .map(|&(k, i)| {
            let kind = KINDS[k];
            let mut rng = fastrand::Rng::with_seed(
                seed ^ ((k as u64) << 40) ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            let t = (i as f32 + 0.5) / per_kind as f32;
            let r = (t * 0.9 + 0.05 * rng.f32()).min(0.95);
            let v = 0.3
                + 0.7
                    * ((i * 7 % per_kind.max(1)) as f32 / per_kind.max(1) as f32)
                    * (0.9 + 0.1 * rng.f32());
            let samples = one_shot(kind, r, v, sr as f32, rng.u64(..));
            let path = dir.join(kind).join(format!("{kind}_{i:04}.wav"));
            write_wav(&path, &samples, sr)?;
            Ok(path)
        })
        .collect()
}

/// Writes mono 16-bit PCM.
pub fn write_wav(path: &Path, samples: &[f32], sample_rate: u32) -> Result<(), MapError> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let wav_err = |source| MapError::Wav {
        path: path.to_path_buf(),
        source,
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(wav_err)?;
    for &s in samples {
        w.write_sample((s.clamp(-1.0, 1.0) * 32767.0).round() as i16)
            .map_err(wav_err)?;
    }
    w.finalize().map_err(wav_err)
}
