//! Writes N seeded snare one-shots (16-bit mono WAV, 48 kHz, 0.5 s each) into a directory, for
//! benchmarking `timbrel features` against other tools.
//!
//! `cargo run --release -p timbrel-cli --example oneshots -- DIR [N=1000]`

use std::path::PathBuf;

use timbrel_core::synth::Membrane;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: oneshots DIR [N]")?);
    let count: u64 = match args.next() {
        Some(n) => n.to_str().ok_or("N must be a number")?.parse()?,
        None => 1000,
    };
    std::fs::create_dir_all(&dir)?;
    let rate = 48_000u32;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let snare = Membrane::snare();
    for k in 0..count {
        let radius = (k % 20) as f32 / 20.0;
        let velocity = 0.3 + 0.7 * ((k * 7) % 10) as f32 / 10.0;
        let mut hit = snare.hit(radius, velocity, rate as f32, k);
        hit.resize(rate as usize / 2, 0.0);
        let mut writer = hound::WavWriter::create(dir.join(format!("hit{k:04}.wav")), spec)?;
        for s in hit {
            writer.write_sample((s.clamp(-1.0, 1.0) * 32767.0).round() as i16)?;
        }
        writer.finalize()?;
    }
    Ok(())
}
