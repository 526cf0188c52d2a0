//! Hydrogen drum kits (Debian's `hydrogen-data` and `hydrogen-drumkits`): a kit's `drumkit.xml`
//! names its instruments and, per instrument, the velocity layers (file, velocity range, gain).
//! [`Kit::load`] reads it, decodes every layer (wav, flac, aiff through timbrel-map's decoder,
//! mixed to mono), resamples it to the render rate, and measures where each layer's hit starts
//! ([`crate::kit::attack::attack_start`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::attack::{attack_start, peak};

/// Where Debian installs the Hydrogen kits.
pub const SYSTEM_DRUMKITS: &str = "/usr/share/hydrogen/data/drumkits";
/// Environment variable overriding [`SYSTEM_DRUMKITS`].
pub const DRUMKITS_ENV: &str = "TIMBREL_DRUMKITS";
/// Layers are cut this long after their attack (cymbal samples run up to 12 s), in seconds; the
/// last [`FADE_S`] fade out.
pub const MAX_LENGTH_S: f32 = 5.0;
/// Fade-out at the cut, and fade-in over the kept lead before the attack, in seconds.
pub const FADE_S: f32 = 0.05;
/// Sound kept before a layer's attack (its own lead-in, faded in), in seconds.
pub const LEAD_S: f32 = 0.002;
/// A layer whose peak is below this is treated as empty (kits pad unused slots with silent
/// files), linear full scale.
pub const SILENT_PEAK: f32 = 1e-4;

/// What a kit piece is, from its instrument name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Bass drum.
    Kick,
    /// Snare, ordinary stroke (wires on or off).
    Snare,
    /// Snare rimshot.
    SnareRimshot,
    /// Side stick (cross stick, rim click).
    SideStick,
    /// Closed hi-hat, struck.
    HiHatClosed,
    /// Open or half-open hi-hat, struck.
    HiHatOpen,
    /// Hi-hat closed with the pedal (foot chick).
    HiHatPedal,
    /// Ride cymbal (bow or bell).
    Ride,
    /// Crash, splash or china.
    Crash,
    /// Any tom.
    Tom,
    /// Everything else (percussion, claps, rolls recorded as one sample, unnamed slots).
    Other,
}

/// Coarser groups of [`Category`], as the reports count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// Kick.
    Kick,
    /// Snare, rimshot, side stick.
    Snare,
    /// Toms.
    Tom,
    /// Hi-hat, struck or pedalled.
    Hat,
    /// Ride and crash.
    Cymbal,
    /// The rest.
    Other,
}

impl Category {
    /// Every category.
    pub const ALL: [Category; 11] = [
        Category::Kick,
        Category::Snare,
        Category::SnareRimshot,
        Category::SideStick,
        Category::HiHatClosed,
        Category::HiHatOpen,
        Category::HiHatPedal,
        Category::Ride,
        Category::Crash,
        Category::Tom,
        Category::Other,
    ];

    /// The category a Hydrogen instrument name describes ("Snare Rimshot", "Hi-Hat Closed
    /// (Paiste...)", "Pedal HH", "Tom Low", "BassDrum", "Crash/Ride"...), case-insensitively.
    pub fn from_name(name: &str) -> Category {
        let n = name.to_ascii_lowercase();
        let has = |w: &str| n.contains(w);
        let hat = has("hat") || has("hh");
        if has("roll") || has("clap") || has("cowbell") || has("tambourine") {
            Category::Other
        } else if has("snare") && has("rim") {
            Category::SnareRimshot
        } else if has("side stick")
            || has("sidestick")
            || has("cross stick")
            || has("rim click")
            || n.trim() == "stick"
        {
            Category::SideStick
        } else if has("snare") {
            Category::Snare
        } else if hat && (has("pedal") || has("foot")) {
            Category::HiHatPedal
        } else if hat && (has("open") || has("semi")) {
            Category::HiHatOpen
        } else if hat && has("closed") {
            Category::HiHatClosed
        } else if has("crash") || has("splash") || has("china") {
            Category::Crash
        } else if has("ride") || n.trim() == "bell" {
            Category::Ride
        } else if has("tom") {
            Category::Tom
        } else if has("kick") || has("bass drum") || has("bassdrum") {
            Category::Kick
        } else {
            Category::Other
        }
    }

    /// The group the category belongs to.
    pub fn group(self) -> Group {
        match self {
            Category::Kick => Group::Kick,
            Category::Snare | Category::SnareRimshot | Category::SideStick => Group::Snare,
            Category::HiHatClosed | Category::HiHatOpen | Category::HiHatPedal => Group::Hat,
            Category::Ride | Category::Crash => Group::Cymbal,
            Category::Tom => Group::Tom,
            Category::Other => Group::Other,
        }
    }

    /// A short lower-case name for tables and CSV files.
    pub fn name(self) -> &'static str {
        match self {
            Category::Kick => "kick",
            Category::Snare => "snare",
            Category::SnareRimshot => "snare_rimshot",
            Category::SideStick => "side_stick",
            Category::HiHatClosed => "hihat_closed",
            Category::HiHatOpen => "hihat_open",
            Category::HiHatPedal => "hihat_pedal",
            Category::Ride => "ride",
            Category::Crash => "crash",
            Category::Tom => "tom",
            Category::Other => "other",
        }
    }
}

impl Group {
    /// A short lower-case name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Group::Kick => "kick",
            Group::Snare => "snare",
            Group::Tom => "tom",
            Group::Hat => "hat",
            Group::Cymbal => "cymbal",
            Group::Other => "other",
        }
    }
}

/// Why a kit could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    /// The kit directory or its drumkit.xml could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// drumkit.xml is not well-formed XML.
    #[error("{path} is not valid XML: {message}")]
    Xml {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A layer's file could not be decoded.
    #[error("cannot decode layer {path}: {message}")]
    Decode {
        /// The layer file.
        path: PathBuf,
        /// The decoder's message.
        message: String,
    },
    /// A layer could not be resampled.
    #[error("cannot resample {path} from {from} Hz to {to} Hz: {message}")]
    Resample {
        /// The layer file.
        path: PathBuf,
        /// Its sample rate, in Hz.
        from: u32,
        /// The render rate, in Hz.
        to: f32,
        /// The resampler's message.
        message: String,
    },
}

/// One velocity layer of an instrument, decoded and resampled.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The layer's file.
    pub file: PathBuf,
    /// Velocity range Hydrogen plays this layer for, 0..1 (from drumkit.xml `min`, `max`).
    pub velocity: (f32, f32),
    /// The layer's gain in drumkit.xml (linear).
    pub gain: f32,
    /// The file's sample rate, in Hz.
    pub source_rate: u32,
    /// The file's audio at the kit's render rate, mono (channels averaged), starting [`LEAD_S`]
    /// (or less, if the file has less) before the attack and cut [`MAX_LENGTH_S`] after it.
    pub audio: Arc<[f32]>,
    /// Index in `audio` of the hit's first sample ([`crate::kit::attack::attack_start`]).
    pub attack: usize,
    /// Where the attack was in the file as recorded, in seconds from its start: its lead-in.
    pub lead_in_s: f32,
    /// Peak of `audio`, linear full scale.
    pub peak: f32,
}

impl Layer {
    /// The name of the layer's file, without its folder.
    pub fn file_name(&self) -> String {
        self.file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// One instrument of a kit with its layers, softest first.
#[derive(Debug, Clone)]
pub struct Instrument {
    /// The name in drumkit.xml.
    pub name: String,
    /// What it is, from its name.
    pub category: Category,
    /// Its non-silent layers, by ascending velocity range.
    pub layers: Vec<Layer>,
}

impl Instrument {
    /// The layer Hydrogen plays at `velocity` (0..1): the one whose range holds it, else the
    /// nearest.
    pub fn layer_for(&self, velocity: f32) -> &Layer {
        let v = velocity.clamp(0.0, 1.0);
        self.layers
            .iter()
            .find(|l| l.velocity.0 <= v && v <= l.velocity.1)
            .unwrap_or_else(|| {
                self.layers
                    .iter()
                    .min_by(|a, b| {
                        let d = |l: &Layer| (l.velocity.0 - v).abs().min((l.velocity.1 - v).abs());
                        d(a).total_cmp(&d(b))
                    })
                    .expect("instruments keep at least one layer")
            })
    }
}

/// A Hydrogen kit at one render rate.
#[derive(Debug, Clone)]
pub struct Kit {
    /// The kit's directory name ("GMRockKit").
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
    /// The rate every layer was resampled to, in Hz.
    pub sample_rate: f32,
    /// Instruments with at least one non-silent layer, except [`Category::Other`], in
    /// drumkit.xml order.
    pub instruments: Vec<Instrument>,
}

/// The directory holding the Hydrogen kits ([`DRUMKITS_ENV`] or [`SYSTEM_DRUMKITS`]), if it
/// exists.
pub fn drumkits_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os(DRUMKITS_ENV) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(SYSTEM_DRUMKITS),
    };
    dir.join("GMRockKit")
        .join("drumkit.xml")
        .exists()
        .then_some(dir)
}

impl Kit {
    /// Loads kit directory `dir` at `sample_rate` (Hz): reads drumkit.xml, decodes and resamples
    /// every layer of every instrument that is not [`Category::Other`].
    pub fn load(dir: &Path, sample_rate: f32) -> Result<Kit, KitError> {
        let xml_path = dir.join("drumkit.xml");
        let text = std::fs::read_to_string(&xml_path).map_err(|source| KitError::Io {
            path: xml_path.clone(),
            source,
        })?;
        let doc = roxmltree::Document::parse(&text).map_err(|e| KitError::Xml {
            path: xml_path.clone(),
            message: e.to_string(),
        })?;
        let child_text = |node: roxmltree::Node, name: &str| {
            node.children()
                .find(|c| c.tag_name().name() == name)
                .and_then(|c| c.text())
                .map(|t| t.trim().to_string())
        };
        let mut decoded: HashMap<PathBuf, Option<Decoded>> = HashMap::new();
        let mut instruments = Vec::new();
        for node in doc
            .descendants()
            .filter(|n| n.tag_name().name() == "instrument")
        {
            let name = child_text(node, "name").unwrap_or_default();
            let category = Category::from_name(&name);
            if category == Category::Other {
                continue;
            }
            let mut layers = Vec::new();
            for layer in node
                .descendants()
                .filter(|n| n.tag_name().name() == "layer")
            {
                let Some(file) = child_text(layer, "filename") else {
                    continue;
                };
                let number = |tag: &str, default: f32| {
                    child_text(layer, tag)
                        .and_then(|t| t.parse::<f32>().ok())
                        .unwrap_or(default)
                };
                let path = dir.join(&file);
                let entry = match decoded.get(&path) {
                    Some(e) => e.clone(),
                    None => {
                        let e = decode_layer(&path, sample_rate)?;
                        decoded.insert(path.clone(), e.clone());
                        e
                    }
                };
                if let Some(d) = entry {
                    layers.push(Layer {
                        file: path,
                        velocity: (number("min", 0.0), number("max", 1.0)),
                        gain: number("gain", 1.0),
                        source_rate: d.source_rate,
                        audio: d.audio,
                        attack: d.attack,
                        lead_in_s: d.lead_in_s,
                        peak: d.peak,
                    });
                }
            }
            if layers.is_empty() {
                continue;
            }
            layers.sort_by(|a, b| a.velocity.0.total_cmp(&b.velocity.0));
            instruments.push(Instrument {
                name,
                category,
                layers,
            });
        }
        Ok(Kit {
            name: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            dir: dir.to_path_buf(),
            sample_rate,
            instruments,
        })
    }

    /// The instruments of `category`.
    pub fn of(&self, category: Category) -> impl Iterator<Item = &Instrument> {
        self.instruments
            .iter()
            .filter(move |i| i.category == category)
    }

    /// The first instrument of `category`, if any.
    pub fn first(&self, category: Category) -> Option<&Instrument> {
        self.of(category).next()
    }
}

/// Kit `name` (a directory under [`drumkits_dir`]) at `sample_rate`, loaded once per process
/// and shared (loading decodes and resamples every layer, which takes a moment).
pub fn shared_kit(name: &str, sample_rate: f32) -> Result<Arc<Kit>, KitError> {
    type Cache = Mutex<HashMap<(String, u32), Arc<OnceLock<Arc<Kit>>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let dir = drumkits_dir()
        .unwrap_or_else(|| PathBuf::from(SYSTEM_DRUMKITS))
        .join(name);
    let cell = CACHE
        .get_or_init(Default::default)
        .lock()
        .expect("kit cache lock")
        .entry((name.to_string(), sample_rate.to_bits()))
        .or_default()
        .clone();
    if let Some(kit) = cell.get() {
        return Ok(kit.clone());
    }
    let kit = Arc::new(Kit::load(&dir, sample_rate)?);
    Ok(cell.get_or_init(|| kit).clone())
}

/// A decoded layer file (see [`Layer`] for the fields).
#[derive(Clone)]
struct Decoded {
    audio: Arc<[f32]>,
    attack: usize,
    peak: f32,
    source_rate: u32,
    lead_in_s: f32,
}

/// Decodes one layer file at `sample_rate`: `None` if it is silent.
fn decode_layer(path: &Path, sample_rate: f32) -> Result<Option<Decoded>, KitError> {
    let mono = timbrel_map::decode::read_mono(path).map_err(|e| KitError::Decode {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let source_rate = mono.sample_rate;
    let source_attack = attack_start(&mono.samples, source_rate as f32);
    let lead_in_s = source_attack.unwrap_or(0) as f32 / source_rate as f32;
    // Cut well after the attack before resampling (cymbals last up to 12 s).
    let keep = source_attack.unwrap_or(0) + ((MAX_LENGTH_S + 0.1) * source_rate as f32) as usize;
    let mut samples = mono.samples;
    samples.truncate(keep);
    let samples = if source_rate as f32 == sample_rate {
        samples
    } else {
        resample(&samples, source_rate, sample_rate).map_err(|message| KitError::Resample {
            path: path.to_path_buf(),
            from: source_rate,
            to: sample_rate,
            message,
        })?
    };
    if peak(&samples) < SILENT_PEAK {
        return Ok(None);
    }
    let Some(attack) = attack_start(&samples, sample_rate) else {
        return Ok(None);
    };
    let lead = ((LEAD_S * sample_rate) as usize).min(attack);
    let end = (attack + (MAX_LENGTH_S * sample_rate) as usize).min(samples.len());
    let mut audio = samples[attack - lead..end].to_vec();
    for (k, v) in audio[..lead].iter_mut().enumerate() {
        *v *= k as f32 / lead as f32;
    }
    let fade = ((FADE_S * sample_rate) as usize).min(audio.len() - lead);
    let n = audio.len();
    for (k, v) in audio[n - fade..].iter_mut().enumerate() {
        *v *= 1.0 - (k + 1) as f32 / fade as f32;
    }
    let p = peak(&audio);
    Ok(Some(Decoded {
        audio: audio.into(),
        attack: lead,
        peak: p,
        source_rate,
        lead_in_s,
    }))
}

/// `x` at `from` Hz resampled to `to` Hz (rubato's FFT resampler), with the resampler's delay
/// removed so that the output lines up with the input.
fn resample(x: &[f32], from: u32, to: f32) -> Result<Vec<f32>, String> {
    use rubato::{FftFixedIn, Resampler};
    let chunk = 1024;
    let mut r = FftFixedIn::<f32>::new(from as usize, to as usize, chunk, 2, 1)
        .map_err(|e| e.to_string())?;
    let delay = r.output_delay();
    let expected = (x.len() as f64 * to as f64 / from as f64).round() as usize;
    let mut out = Vec::with_capacity(expected + delay + 2 * chunk);
    let mut pos = 0;
    while pos + chunk <= x.len() {
        let y = r
            .process(&[&x[pos..pos + chunk]], None)
            .map_err(|e| e.to_string())?;
        out.extend_from_slice(&y[0]);
        pos += chunk;
    }
    // The rest, then zeros until the delayed output is complete.
    let y = r
        .process_partial(Some(&[&x[pos..]]), None)
        .map_err(|e| e.to_string())?;
    out.extend_from_slice(&y[0]);
    while out.len() < expected + delay {
        let y = r
            .process_partial::<&[f32]>(None, None)
            .map_err(|e| e.to_string())?;
        out.extend_from_slice(&y[0]);
    }
    Ok(out[delay..delay + expected].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_follow_hydrogen_instrument_names() {
        let cases = [
            ("Kick", Category::Kick),
            ("BassDrum", Category::Kick),
            ("Snare", Category::Snare),
            ("Snare Jazz", Category::Snare),
            ("Pearl Snare Rimshot", Category::SnareRimshot),
            (
                "Snare 2 Rimshot (Pearl Free Floating Maple 14x3.5)",
                Category::SnareRimshot,
            ),
            ("Stick", Category::SideStick),
            ("Pearl Side Stick", Category::SideStick),
            ("Rim Click (Pearl)", Category::SideStick),
            ("Hat Closed", Category::HiHatClosed),
            ("Closed HH", Category::HiHatClosed),
            ("Hi-Hat Pedal (Paiste)", Category::HiHatPedal),
            ("Pedal HH", Category::HiHatPedal),
            ("Hat Semi-Open", Category::HiHatOpen),
            ("Hi Hat Opened", Category::HiHatOpen),
            ("Ride 2", Category::Ride),
            ("Bell", Category::Ride),
            ("Crash/Ride (Paiste Rude)", Category::Crash),
            ("Splash", Category::Crash),
            ("Floor Tom", Category::Tom),
            ("tomhi2", Category::Tom),
            ("Snare Roll", Category::Other),
            ("Tambourine (Pearl PTM-10GH)", Category::Other),
            ("Cowbell", Category::Other),
            ("Hand Clap", Category::Other),
            ("17", Category::Other),
        ];
        for (name, category) in cases {
            assert_eq!(Category::from_name(name), category, "{name}");
        }
    }

    #[test]
    fn resampling_keeps_a_click_in_place() {
        let mut x = vec![0.0f32; 44_100];
        x[10_000] = 1.0;
        let y = resample(&x, 44_100, 48_000.0).unwrap();
        assert_eq!(y.len(), 48_000);
        let at = y
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .unwrap()
            .0;
        let expected = 10_000.0 * 48_000.0 / 44_100.0;
        assert!((at as f32 - expected).abs() <= 1.0, "{at} vs {expected}");
    }

    #[test]
    fn layers_are_chosen_by_velocity_range() {
        let layer = |lo, hi| Layer {
            file: PathBuf::new(),
            velocity: (lo, hi),
            gain: 1.0,
            source_rate: 44_100,
            audio: Arc::from(vec![1.0f32]),
            attack: 0,
            lead_in_s: 0.0,
            peak: 1.0,
        };
        let inst = Instrument {
            name: "Snare".into(),
            category: Category::Snare,
            layers: vec![layer(0.0, 0.3), layer(0.3, 0.7), layer(0.8, 1.0)],
        };
        assert_eq!(inst.layer_for(0.1).velocity, (0.0, 0.3));
        assert_eq!(inst.layer_for(0.5).velocity, (0.3, 0.7));
        assert_eq!(inst.layer_for(0.75).velocity, (0.3, 0.7));
        assert_eq!(inst.layer_for(1.0).velocity, (0.8, 1.0));
    }
}
