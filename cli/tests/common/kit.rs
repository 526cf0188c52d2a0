//! Real drum one-shots from the Hydrogen kits Debian installs (`hydrogen-data`,
//! `hydrogen-drumkits`), sorted into the kinds of sound a close snare mic meets, and a cheap seeded
//! room to play them in. Shared by the model's integration tests and `examples/kit_model.rs`.
//!
//! A kit is a folder with a `drumkit.xml` naming each instrument and its velocity layers (one WAV
//! per layer, softest first). Only the tags needed here are read (`<instrument>`, `<name>`,
//! `<filename>`, `<min>`), with plain string search: the files are simple and generated.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Where Debian installs the kits.
pub const KITS_DIR: &str = "/usr/share/hydrogen/data/drumkits";

/// What an instrument is, as far as a snare's classifier cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Snare struck on the head (centre).
    Snare,
    /// Snare rimshot (head and rim at once).
    Rimshot,
    /// Side stick / cross stick / rim click.
    SideStick,
    /// Hi-hat, any opening.
    HiHat,
    /// Crash, ride, splash, china, bell.
    Cymbal,
    /// Bass drum.
    Kick,
    /// Rack or floor tom.
    Tom,
}

/// One instrument of a kit.
#[derive(Debug, Clone)]
pub struct Instrument {
    /// The kit's folder name.
    pub kit: String,
    /// The instrument's name in `drumkit.xml`.
    pub name: String,
    /// What it is.
    pub kind: Kind,
    /// Its layers' WAV files, softest first.
    pub layers: Vec<PathBuf>,
}

/// The acoustic kits with multi-velocity snares used here (electronic and hand-percussion kits
/// are left out).
pub const ACOUSTIC_KITS: [&str; 9] = [
    "GMRockKit",
    "The Black Pearl 1.0",
    "ForzeeStereo",
    "Millo_MultiLayered2",
    "Millo_MultiLayered3",
    "Millo-Drums_v.1",
    "ColomboAcousticDrumkit",
    "Audiophob",
    "BJA_Pacific",
];

/// Whether the kits are installed; when not, prints why the caller skips, and panics under CI
/// (`CI=true`), where they must be.
pub fn available(test: &str) -> bool {
    if Path::new(KITS_DIR).join("GMRockKit/drumkit.xml").is_file() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: {KITS_DIR} is missing (install hydrogen-data and hydrogen-drumkits)");
    }
    eprintln!(
        "{test}: skipped, {KITS_DIR} is missing (apt-get install hydrogen-data hydrogen-drumkits)"
    );
    false
}

fn kind_of(name: &str) -> Option<Kind> {
    let n = name.to_lowercase();
    let has = |w: &[&str]| w.iter().any(|w| n.contains(w));
    if has(&["rimshot"]) {
        Some(Kind::Rimshot)
    } else if has(&["stick", "rim click"]) {
        Some(Kind::SideStick)
    } else if has(&["roll", "jazz", "dry", "snare 2", "opaco"]) {
        None
    } else if has(&["snare"]) {
        Some(Kind::Snare)
    } else if has(&["hat", "hh"]) {
        Some(Kind::HiHat)
    } else if has(&["crash", "ride", "splash", "china", "cymbal", "bell"]) && !has(&["cowbell"]) {
        Some(Kind::Cymbal)
    } else if has(&["kick", "bassdrum", "bass drum"]) {
        Some(Kind::Kick)
    } else if has(&["tom"]) {
        Some(Kind::Tom)
    } else {
        None
    }
}

fn tag<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{name}>"))? + start;
    Some(text[start..end].trim())
}

/// The instruments of `kit` (a folder name under [`KITS_DIR`]) that have a [`Kind`] and WAV
/// layers, in file order. Empty when the kit is missing.
pub fn instruments(kit: &str) -> Vec<Instrument> {
    let dir = Path::new(KITS_DIR).join(kit);
    let Ok(xml) = std::fs::read_to_string(dir.join("drumkit.xml")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for block in xml.split("<instrument>").skip(1) {
        let Some(name) = tag(block, "name") else {
            continue;
        };
        let Some(kind) = kind_of(name) else { continue };
        let mut layers: Vec<(f32, PathBuf)> = block
            .split("<layer>")
            .skip(1)
            .filter_map(|l| {
                let file = tag(l, "filename")?;
                let min = tag(l, "min").and_then(|m| m.parse().ok()).unwrap_or(0.0);
                let lower = file.to_lowercase();
                (lower.ends_with(".wav") || lower.ends_with(".flac")).then(|| (min, dir.join(file)))
            })
            .filter(|(_, p)| p.is_file())
            .collect();
        layers.sort_by(|a, b| a.0.total_cmp(&b.0));
        if !layers.is_empty() {
            out.push(Instrument {
                kit: kit.to_string(),
                name: name.to_string(),
                kind,
                layers: layers.into_iter().map(|(_, p)| p).collect(),
            });
        }
    }
    out
}

/// Reads a WAV or FLAC file as mono and its sample rate (Hz).
pub fn read_mono(path: &Path) -> (Vec<f32>, u32) {
    let a = timbrel_map::decode::read_mono(path).unwrap_or_else(|e| panic!("{e}"));
    (a.samples, a.sample_rate)
}

/// The kit a folder's samples really come from: The Black Pearl ships GMRockKit's recordings,
/// and the Millo kits may share theirs, so a test never meets its training drum's kit
/// under another name.
pub fn family(kit: &str) -> &str {
    match kit {
        "The Black Pearl 1.0" => "GMRockKit",
        "Millo_MultiLayered2" | "Millo_MultiLayered3" | "Millo-Drums_v.1" => "Millo",
        k => k,
    }
}

/// A seeded 32-bit generator (xorshift), so the rooms are reproducible.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    /// Uniform in 0..1.
    pub fn f32(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.f32()
    }
}

/// A close mic in a drum room, after the domain notes: 3–6 early reflections 2–25 ms after the
/// direct sound and 5–14 dB down, a diffuse tail (RT60 0.3–0.8 s, about 20 dB under the direct
/// sound) and a noise floor 60–70 dB under the peak. Seeded.
pub fn in_room(dry: &[f32], rate: u32, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let rate = rate as f32;
    let len = dry.len() + (0.3 * rate) as usize;
    let mut out = vec![0.0f32; len];
    out[..dry.len()].copy_from_slice(dry);
    let reflections = 3 + (rng.f32() * 4.0) as usize;
    for _ in 0..reflections {
        let delay = (rng.range(0.002, 0.025) * rate) as usize;
        let gain =
            10f32.powf(-rng.range(5.0, 14.0) / 20.0) * if rng.f32() < 0.5 { -1.0 } else { 1.0 };
        for (i, &x) in dry.iter().enumerate() {
            out[i + delay] += gain * x;
        }
    }
    // Diffuse tail: four parallel feedback combs on the dry sound, feedback set by RT60.
    let rt60 = rng.range(0.3, 0.8);
    let tail_gain = 10f32.powf(-rng.range(17.0, 23.0) / 20.0) * 0.25;
    for k in 0..4 {
        let delay = ((0.0297 + 0.0041 * k as f32 + rng.range(0.0, 0.003)) * rate) as usize;
        let fb = 10f32.powf(-3.0 * delay as f32 / rate / rt60);
        let mut line = vec![0.0f32; len];
        for i in 0..len {
            let x = if i < dry.len() { dry[i] } else { 0.0 };
            let back = if i >= delay { line[i - delay] } else { 0.0 };
            line[i] = x + fb * back;
        }
        for i in delay..len {
            out[i] += tail_gain * line[i - delay];
        }
    }
    let peak = dry.iter().fold(0.0f32, |m, x| m.max(x.abs())).max(1e-6);
    let noise = peak * 10f32.powf(-rng.range(60.0, 70.0) / 20.0) * 1.7;
    for x in &mut out {
        *x += noise * (rng.f32() - 0.5) * 2.0;
    }
    out
}

/// `a + gain · b`, `b` starting `offset` samples after `a`; as long as the longer.
pub fn mix(a: &[f32], b: &[f32], gain: f32, offset: usize) -> Vec<f32> {
    let mut out = a.to_vec();
    out.resize(a.len().max(b.len() + offset), 0.0);
    for (i, &x) in b.iter().enumerate() {
        out[i + offset] += gain * x;
    }
    out
}

/// `samples` scaled by `db` decibels.
pub fn gain_db(samples: &[f32], db: f32) -> Vec<f32> {
    let g = 10f32.powf(db / 20.0);
    samples.iter().map(|x| x * g).collect()
}

/// The first `seconds` of `samples` (at `rate` Hz), with 20 ms of silence before it so that the
/// detector sees the attack.
pub fn clip(samples: &[f32], rate: u32, seconds: f32) -> Vec<f32> {
    let lead = rate as usize / 50;
    let n = samples.len().min((seconds * rate as f32) as usize);
    let mut out = vec![0.0; lead];
    out.extend_from_slice(&samples[..n]);
    out
}
