//! Renders the demo performance in `assets/` with Timbrel's own seeded drum synthesizer, so that
//! a newcomer without a drum (and the tests) can try the whole train-and-play loop.
//!
//! The take is laid out like a training session: centre hits, then edge hits, then a free
//! passage with hits anywhere between centre and edge, and last a few sounds that are no snare
//! at all (a cymbal and a noise burst), which a trained model should call unknown.
//! `assets/demo-performance.csv` lists the ground truth of every hit (radius `NaN` for the
//! sounds that are no snare).

use std::io::Write;
use std::path::Path;
use std::process::Command;
use timbrel_core::synth::{sources, Membrane};

/// Sample rate of the demo recording, in Hz.
pub const SAMPLE_RATE: u32 = 44_100;
/// Seed of the whole take.
const SEED: u64 = 2026;
/// Level of the background noise, RMS in dBFS.
const NOISE_DBFS: f32 = -70.0;

/// One hit of the demo, with its ground truth.
struct DemoHit {
    /// Onset, in seconds.
    time_s: f64,
    /// Strike radius, 0 = centre, 1 = rim.
    radius: f32,
    /// Velocity, 0..1.
    velocity: f32,
    /// Which part of the take it belongs to: center, edge, free (snare hits), cymbal or noise.
    part: &'static str,
}

fn plan() -> Vec<DemoHit> {
    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut hits = Vec::new();
    let mut t = 0.25;
    let add = |hits: &mut Vec<DemoHit>, t: &mut f64, radius: f32, velocity: f32, part, gap: f64| {
        hits.push(DemoHit {
            time_s: *t,
            radius,
            velocity,
            part,
        });
        *t += gap;
    };
    for _ in 0..16 {
        let (r, v, gap) = (
            rng.f32() * 0.12,
            0.35 + 0.6 * rng.f32(),
            0.22 + 0.08 * rng.f64(),
        );
        add(&mut hits, &mut t, r, v, "center", gap);
    }
    t += 0.5;
    for _ in 0..16 {
        let (r, v, gap) = (
            0.82 + rng.f32() * 0.12,
            0.35 + 0.6 * rng.f32(),
            0.22 + 0.08 * rng.f64(),
        );
        add(&mut hits, &mut t, r, v, "edge", gap);
    }
    t += 0.5;
    for i in 0..28 {
        // A slow sweep from centre to edge and back, with some scatter, as a player would.
        let phase = i as f32 / 27.0;
        let sweep = 1.0 - (2.0 * phase - 1.0).abs();
        let r = (sweep * 0.9 + (rng.f32() - 0.5) * 0.1).clamp(0.0, 0.95);
        let v = 0.2 + 0.8 * rng.f32();
        add(&mut hits, &mut t, r, v, "free", 0.16 + 0.1 * rng.f64());
    }
    t += 0.5;
    for part in ["cymbal", "noise", "cymbal"] {
        add(&mut hits, &mut t, f32::NAN, 0.7, part, 0.6);
    }
    hits
}

/// Writes `assets/demo-performance.wav` and its ground truth `assets/demo-performance.csv`.
pub fn write_assets() -> anyhow::Result<()> {
    nice_plug_xtask::chdir_workspace_root()?;
    let snare = Membrane::snare();
    let hits = plan();
    let sr = SAMPLE_RATE as f32;
    let end_s = hits.last().map_or(1.0, |h| h.time_s) + 0.6;
    let mut audio = vec![0.0f32; (end_s * sr as f64) as usize];
    let noise = sources::noise_burst(end_s as f32, 1.0, sr, SEED ^ 0x5eed);
    let noise_gain = 10f32.powf(NOISE_DBFS / 20.0) / rms(&noise).max(1e-9);
    sources::mix_into(&mut audio, &noise, 0, noise_gain);
    for (i, hit) in hits.iter().enumerate() {
        let seed = SEED + i as u64;
        let sound = match hit.part {
            "cymbal" => sources::cymbal(hit.velocity, sr, seed),
            "noise" => sources::noise_burst(0.05, 0.3, sr, seed),
            _ => snare.hit(hit.radius, hit.velocity, sr, seed),
        };
        sources::mix_into(
            &mut audio,
            &sound,
            (hit.time_s * sr as f64).round() as usize,
            1.0,
        );
    }
    let peak = audio.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    anyhow::ensure!(peak < 1.0, "demo clips (peak {peak})");

    std::fs::create_dir_all("assets")?;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut wav = hound::WavWriter::create("assets/demo-performance.wav", spec)?;
    for x in &audio {
        wav.write_sample((x * 32767.0).round().clamp(-32768.0, 32767.0) as i16)?;
    }
    wav.finalize()?;
    let mut csv = std::fs::File::create("assets/demo-performance.csv")?;
    writeln!(csv, "onset_s,radius,velocity,part")?;
    for hit in &hits {
        writeln!(
            csv,
            "{:.6},{:.4},{:.4},{}",
            hit.time_s, hit.radius, hit.velocity, hit.part
        )?;
    }
    println!(
        "Wrote assets/demo-performance.wav ({:.1} s, {} hits, peak {:.1} dBFS) and its ground truth CSV",
        end_s,
        hits.len(),
        20.0 * peak.log10()
    );
    Ok(())
}

fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt()
}

/// Where the main job writes its files, relative to the workspace root.
const JOB_DIR: &str = "target/demo";

/// Timbrel's main job, on the demo performance, with the `timbrel` CLI: cut the take into its
/// centre, edge and free passages (by the ground truth), train on the first two, classify the
/// third, and show how the interpolation follows the true strike radius.
pub fn run_main_job() -> anyhow::Result<()> {
    nice_plug_xtask::chdir_workspace_root()?;
    let mut reader = hound::WavReader::open("assets/demo-performance.wav")?;
    let spec = reader.spec();
    let audio: Vec<i16> = reader.samples::<i16>().collect::<Result<_, _>>()?;
    let truth = read_truth()?;
    std::fs::create_dir_all(JOB_DIR)?;
    for part in ["center", "edge", "free"] {
        let times: Vec<f64> = truth.iter().filter(|t| t.3 == part).map(|t| t.0).collect();
        let (Some(first), Some(last)) = (times.first(), times.last()) else {
            anyhow::bail!("no {part} hits in the demo")
        };
        let from = ((first - 0.05) * spec.sample_rate as f64) as usize;
        let to = (((last + 0.25) * spec.sample_rate as f64) as usize).min(audio.len());
        let mut wav =
            hound::WavWriter::create(Path::new(JOB_DIR).join(format!("{part}.wav")), spec)?;
        for &x in &audio[from..to] {
            wav.write_sample(x)?;
        }
        wav.finalize()?;
    }
    println!("\n1. Training Timbrel on the demo's centre and edge hits:");
    let model = format!("{JOB_DIR}/demo.timbrel");
    timbrel(&[
        "train",
        "-c",
        &format!("center={JOB_DIR}/center.wav"),
        "-c",
        &format!("edge={JOB_DIR}/edge.wav"),
        "-o",
        &model,
    ])?;
    println!("\n2. Classifying the free passage (hits anywhere between centre and edge):");
    let csv = timbrel(&["classify", "-m", &model, &format!("{JOB_DIR}/free.wav")])?;
    let rows: Vec<Vec<String>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let free: Vec<&(f64, f32, f32, String)> = truth.iter().filter(|t| t.3 == "free").collect();
    println!(
        "{:>8}  {:>8}  {:>10}  {:>13}  {:>11}",
        "onset s", "class", "confidence", "interpolation", "true radius"
    );
    let mut pairs = Vec::new();
    for (row, hit) in rows.iter().zip(&free) {
        let interpolation: f64 = row.get(4).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
        println!(
            "{:>8}  {:>8}  {:>10}  {:>13.2}  {:>11.2}",
            row[1], row[2], row[3], interpolation, hit.1
        );
        pairs.push((interpolation, hit.1 as f64));
    }
    anyhow::ensure!(
        rows.len() == free.len(),
        "found {} hits in the free passage, expected {}",
        rows.len(),
        free.len()
    );
    let rho = spearman(&pairs);
    println!(
        "\nInterpolation against the true strike radius: Spearman rho = {rho:.2} over {} hits.",
        pairs.len()
    );
    println!("The model is in {model}; use it with `timbrel classify -m {model} FILE.wav`.");
    Ok(())
}

/// Runs the release CLI with `args`, echoing its stderr; returns its stdout.
fn timbrel(args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["run", "--quiet", "--release", "-p", "timbrel-cli", "--"])
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "timbrel {} failed ({})",
        args[0],
        output.status
    );
    Ok(String::from_utf8(output.stdout)?)
}

/// The ground truth: (onset s, radius, velocity, part).
fn read_truth() -> anyhow::Result<Vec<(f64, f32, f32, String)>> {
    let text = std::fs::read_to_string("assets/demo-performance.csv")?;
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            anyhow::ensure!(f.len() == 4, "bad ground-truth line {line:?}");
            Ok((f[0].parse()?, f[1].parse()?, f[2].parse()?, f[3].to_owned()))
        })
        .collect()
}

/// Spearman rank correlation of the pairs (no tie correction; ties are rare here).
fn spearman(pairs: &[(f64, f64)]) -> f64 {
    let rank = |values: Vec<f64>| {
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        let mut ranks = vec![0.0; values.len()];
        for (r, &i) in order.iter().enumerate() {
            ranks[i] = r as f64;
        }
        ranks
    };
    let a = rank(pairs.iter().map(|p| p.0).collect());
    let b = rank(pairs.iter().map(|p| p.1).collect());
    let n = a.len() as f64;
    let mean = (n - 1.0) / 2.0;
    let cov: f64 = a.iter().zip(&b).map(|(x, y)| (x - mean) * (y - mean)).sum();
    let var: f64 = a.iter().map(|x| (x - mean).powi(2)).sum();
    cov / var
}
