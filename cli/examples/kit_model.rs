//! What a model trained on one real snare does with the rest of real kits: rejection of other
//! instruments, snare hits between the trained classes, snare hits with hi-hat bleed, and
//! accuracy across velocity layers. Uses the Hydrogen kits Debian installs
//! (`hydrogen-data`, `hydrogen-drumkits`), each one-shot played into a seeded room.
//!
//! `cargo run --release -p timbrel-cli --example kit_model [-- --window 128]
//! [--ignore-kit KIT | --exclude-kit KIT] [--ignore-own]`
//!
//! `--ignore-own` adds an ignore class of the training kit's *own* hi-hats, cymbals, toms and
//! kick (every other layer once, in a room: what a drummer plays into the ignore class on
//! their own kit). Every run also tests the kit's own other pieces on the layers that class
//! leaves out ("own ...": the bleed a snare mic on that kit really hears).
//!
//! `--ignore-kit KIT` adds an ignore class of every hi-hat, cymbal, tom and kick layer of KIT
//! (each once, in a room: a few seconds of the rest of a kit) to every model, and leaves KIT
//! out of the tests; `--exclude-kit KIT` leaves it out without the class, for comparison.
//! `KIT_CACHE=FILE` keeps the descriptors between runs (a change to the model alone is then
//! measured in a second); `KIT_DUMP=FILE` appends `model category novelty/threshold` per test
//! hit, for trade-off curves over the threshold; `KIT_EXPORT=FILE` appends every model's training
//! and test descriptors (JSON lines), which `kit_scorers.py` (next to this file) reads to compare
//! other novelty scorers on the same hits.
//! With `KIT_EXPORT` it also exports (set `train_hat`) the training layers described with the
//! analyzer's synthetic hi-hat stroke on their window (`timbrel_core::analysis::hat`; its
//! peak 10, 15 and 20 dB under the window's; no real hat), for scorers that know what a hat
//! stroke does to this drum's hits.
//!
//! Protocol (per training kit with a snare, a rimshot and a side stick): train two classes from
//! the snare's velocity layers, each layer in 3 rooms (about 15 hits per class); test
//! - every hi-hat, cymbal, kick and tom layer of the *other* kits, in a room: share rejected
//!   (unknown or ignored: nothing sent);
//! - blends of the kit's snare and second class (30–70 %), in a room: share unknown;
//! - the kit's snare with a simultaneous hi-hat stroke from another kit (attacks aligned, the
//!   hat's peak 10–20 dB below the snare's): share called snare (and not unknown);
//! - the same with the hat's attack 0.5–3 ms *before* the snare's ("snare after hat"), where
//!   the detector fires on the hat;
//! - velocity split: trained on layers 1, 3, 5, tested on 2 and 4 (other rooms): accuracy.

#[path = "../tests/common/kit.rs"]
mod kit;

use kit::{Instrument, Kind};
use rayon::prelude::*;
use timbrel_core::analysis::{AnalysisSettings, Analyzer, AnalyzerEvent};
use timbrel_learn::dataset::HAT_LEVEL_DB;
use timbrel_learn::{train, Dataset, Example, Prediction, TrainConfig};

/// The strongest hit's descriptor in `samples` (with the analyzer's synthetic hat `hat_db`
/// under it when given).
fn describe(
    samples: &[f32],
    rate: u32,
    settings: AnalysisSettings,
    hat_db: Option<f32>,
) -> Option<Vec<f32>> {
    let mut a = Analyzer::new(rate as f32, settings);
    a.set_hat_mix(hat_db);
    let mut best: Option<(f32, Vec<f32>)> = None;
    let mut on = |e: AnalyzerEvent<'_>| {
        if let AnalyzerEvent::Hit(h) = e {
            if best.as_ref().is_none_or(|(l, _)| h.rms_dbfs > *l) {
                let d = h.hat_descriptor.as_ref().unwrap_or(&h.descriptor);
                best = Some((h.rms_dbfs, d.to_vec()));
            }
        }
    };
    for b in samples.chunks(512) {
        a.process(b, &mut on);
    }
    let zeros = vec![0.0; rate as usize / 5];
    a.process(&zeros, &mut on);
    best.map(|(_, d)| d)
}

/// One rendered hit to describe: a closure-free recipe so rendering runs in parallel.
#[derive(Clone, Debug)]
enum Recipe {
    Layer {
        file: std::path::PathBuf,
        room: u64,
    },
    Blend {
        a: std::path::PathBuf,
        b: std::path::PathBuf,
        alpha: f32,
        room: u64,
    },
    Simultaneous {
        drum: std::path::PathBuf,
        bleed: std::path::PathBuf,
        db: f32,
        /// How long before the drum's attack the bleed's comes, in ms (0: aligned).
        lead_ms: f32,
        room: u64,
    },
    /// A layer in a room, described with the analyzer's synthetic hi-hat stroke on its window
    /// (`timbrel_core::analysis::hat`), its peak `db` under the window's (`KIT_EXPORT` set
    /// `train_hat`).
    WithHat {
        file: std::path::PathBuf,
        room: u64,
        db: f32,
    },
}

/// Largest magnitude in `s` (linear).
fn peak(s: &[f32]) -> f32 {
    s.iter().fold(0.0f32, |m, x| m.max(x.abs()))
}

/// Index of the first sample at or above a tenth of `s`'s peak: where the attack is.
fn attack(s: &[f32]) -> usize {
    let p = 0.1 * peak(s);
    s.iter().position(|x| x.abs() >= p).unwrap_or(0)
}

fn render(r: &Recipe) -> (Vec<f32>, u32) {
    let load = |p: &std::path::Path| {
        let (s, rate) = kit::read_mono(p);
        (kit::clip(&s, rate, 0.5), rate)
    };
    match r {
        Recipe::Layer { file, room } => {
            let (s, rate) = load(file);
            (kit::in_room(&s, rate, *room), rate)
        }
        Recipe::Blend { a, b, alpha, room } => {
            let (x, rate) = load(a);
            let (y, _) = load(b);
            let m = kit::mix(&kit::gain_db(&x, 0.0), &y, 1.0, 0);
            let m: Vec<f32> = m
                .iter()
                .enumerate()
                .map(|(i, _)| {
                    alpha * x.get(i).copied().unwrap_or(0.0)
                        + (1.0 - alpha) * y.get(i).copied().unwrap_or(0.0)
                })
                .collect();
            (kit::in_room(&m, rate, *room), rate)
        }
        Recipe::Simultaneous {
            drum,
            bleed,
            db,
            lead_ms,
            room,
        } => {
            let (x, rate) = load(drum);
            let (y, _) = load(bleed);
            // Simultaneous strokes: the hat's attack on the snare's (or `lead_ms` before it),
            // its peak `db` below the snare's (the files' own levels and leading silences
            // differ by up to 20 dB and 20 ms).
            let lead = (lead_ms * 0.001 * rate as f32).round() as usize;
            let (ax, ay) = (attack(&x).saturating_sub(lead), attack(&y));
            let y = &y[ay.saturating_sub(ax)..];
            let gain = peak(&x) / peak(y).max(1e-9) * 10f32.powf(-db / 20.0);
            let m = kit::mix(&x, y, gain, ax.saturating_sub(ay));
            (kit::in_room(&m, rate, *room), rate)
        }
        Recipe::WithHat { file, room, .. } => {
            let (s, rate) = load(file);
            (kit::in_room(&s, rate, *room), rate)
        }
    }
}

type Cache = std::sync::Mutex<std::collections::HashMap<String, Option<Vec<f32>>>>;

/// Descriptors rendered before, by window and recipe, when `KIT_CACHE` names a JSON file (it
/// is read at the start and written at the end), so that a change to the model alone is
/// measured in seconds.
static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();

fn cache() -> &'static Cache {
    CACHE.get_or_init(|| {
        let map = std::env::var("KIT_CACHE")
            .ok()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        std::sync::Mutex::new(map)
    })
}

fn save_cache() {
    if let Ok(p) = std::env::var("KIT_CACHE") {
        let map = cache().lock().unwrap();
        std::fs::write(p, serde_json::to_string(&*map).unwrap()).expect("write KIT_CACHE");
    }
}

/// With `KIT_DUMP` naming a file, appends `model category novelty/threshold` lines to it (for
/// trade-off curves over the threshold).
fn dump(model: &str, category: String, ratio: f32) {
    if let Ok(p) = std::env::var("KIT_DUMP") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .expect("open KIT_DUMP");
        writeln!(f, "{}\t{category}\t{ratio}", model.replace(' ', "_")).unwrap();
    }
}

/// With `KIT_EXPORT` naming a file, appends one JSON line per model and set: `{model, set,
/// rows: [[descriptor...]], labels: [class or category]}` (sets: `train`, `left_out` flags,
/// and each test category), for trying other scorers offline on the same descriptors.
fn export(model: &str, set: &str, rows: &[Vec<f32>], labels: &[String]) {
    if let Ok(p) = std::env::var("KIT_EXPORT") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .expect("open KIT_EXPORT");
        let v = serde_json::json!({"model": model, "set": set, "rows": rows, "labels": labels});
        writeln!(f, "{v}").unwrap();
    }
}

fn describe_all(recipes: &[Recipe], settings: AnalysisSettings) -> Vec<Option<Vec<f32>>> {
    recipes
        .par_iter()
        .map(|r| {
            let key = format!("{}:{r:?}", settings.window_ref_samples);
            if let Some(d) = cache().lock().unwrap().get(&key) {
                return d.clone();
            }
            let (s, rate) = render(r);
            let hat_db = match r {
                Recipe::WithHat { db, .. } => Some(*db),
                _ => None,
            };
            let d = describe(&s, rate, settings, hat_db);
            cache().lock().unwrap().insert(key, d.clone());
            d
        })
        .collect()
}

struct Counter {
    hits: usize,
    unknown: usize,
    correct: usize,
}

impl Counter {
    fn new() -> Self {
        Self {
            hits: 0,
            unknown: 0,
            correct: 0,
        }
    }
    fn pct(v: usize, n: usize) -> f64 {
        if n == 0 {
            f64::NAN
        } else {
            100.0 * v as f64 / n as f64
        }
    }
}

fn main() {
    if !kit::available("kit_model") {
        return;
    }
    let mut window = 256u32;
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--window") {
        window = args[i + 1].parse().expect("--window N");
    }
    let settings = AnalysisSettings {
        window_ref_samples: window,
        detector: timbrel_core::analysis::DetectorSettings {
            floor_dbfs: -70.0,
            ..Default::default()
        },
    };
    // An ignore class from another kit's hi-hats, cymbals, toms and kick (every layer once,
    // in a room): that kit leaves the test set.
    let ignore_kit = args
        .iter()
        .position(|a| a == "--ignore-kit")
        .map(|i| args[i + 1].clone());
    // `--exclude-kit NAME`: the same test set without an ignore class, for comparison.
    let excluded = ignore_kit.clone().or_else(|| {
        args.iter()
            .position(|a| a == "--exclude-kit")
            .map(|i| args[i + 1].clone())
    });
    // `--ignore-own`: an ignore class of the training kit's own hi-hats, cymbals, toms and kick
    // (every other layer once, in a room: a few seconds of the drummer's own kit), tested on
    // the other layers.
    let ignore_own = args.iter().any(|a| a == "--ignore-own");
    let cfg = TrainConfig::default();
    let all: Vec<Instrument> = kit::ACOUSTIC_KITS
        .iter()
        .filter(|k| {
            excluded
                .as_deref()
                .is_none_or(|i| kit::family(k) != kit::family(i))
        })
        .flat_map(|k| kit::instruments(k))
        .collect();
    let bleed: Vec<Recipe> = ignore_kit
        .iter()
        .flat_map(|k| kit::instruments(k))
        .filter(|i| matches!(i.kind, Kind::HiHat | Kind::Cymbal | Kind::Tom | Kind::Kick))
        .flat_map(|i| i.layers)
        .enumerate()
        .map(|(n, file)| Recipe::Layer {
            file,
            room: 500 + n as u64,
        })
        .collect();
    let bleed = describe_all(&bleed, settings);
    if ignore_kit.is_some() {
        println!(
            "ignore class: {} hits of {ignore_kit:?}",
            bleed.iter().flatten().count()
        );
    }
    let first = |k: &str, kind: Kind| {
        all.iter()
            .find(|i| i.kit == k && i.kind == kind && i.layers.len() >= 3)
    };
    let train_kits: Vec<&str> = kit::ACOUSTIC_KITS
        .iter()
        .copied()
        .filter(|k| {
            first(k, Kind::Snare).is_some()
                && (first(k, Kind::Rimshot).is_some() || first(k, Kind::SideStick).is_some())
        })
        .collect();
    println!("window {window}; training kits: {train_kits:?}");
    let mut totals: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    let mut seen = Vec::new();
    for &tk in &train_kits {
        if seen.contains(&kit::family(tk)) && kit::family(tk) != tk {
            continue;
        }
        seen.push(kit::family(tk));
        // The kit's own other pieces: even layers for the ignore class (`--ignore-own`), odd
        // layers as tests (always: how much of the drummer's own kit gets through).
        let own: Vec<&Instrument> = all
            .iter()
            .filter(|i| i.kit == tk)
            .filter(|i| matches!(i.kind, Kind::HiHat | Kind::Cymbal | Kind::Tom | Kind::Kick))
            .collect();
        let own_split = |odd: usize, room: u64| -> Vec<(Kind, Recipe)> {
            own.iter()
                .flat_map(|i| {
                    i.layers
                        .iter()
                        .enumerate()
                        .filter(move |(l, _)| l % 2 == odd)
                        .map(move |(_, f)| (i.kind, f.clone()))
                })
                .enumerate()
                .map(|(n, (kind, file))| {
                    (
                        kind,
                        Recipe::Layer {
                            file,
                            room: room + n as u64,
                        },
                    )
                })
                .collect()
        };
        let own_bleed: Vec<Option<Vec<f32>>> = if ignore_own {
            let recipes: Vec<Recipe> = own_split(0, 500).into_iter().map(|(_, r)| r).collect();
            describe_all(&recipes, settings)
        } else {
            Vec::new()
        };
        let own_tests = own_split(1, 700);
        let own_described = describe_all(
            &own_tests.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
            settings,
        );
        let snare = first(tk, Kind::Snare).unwrap();
        for second in [Kind::Rimshot, Kind::SideStick] {
            let Some(other) = first(tk, second) else {
                continue;
            };
            let name = format!("{tk}: snare/{second:?}");
            // Training: layers in 3 rooms each.
            let layers_of =
                |i: &Instrument, which: &[usize], rooms: std::ops::Range<u64>| -> Vec<Recipe> {
                    which
                        .iter()
                        .filter_map(|&l| i.layers.get(l))
                        .flat_map(|f| {
                            rooms.clone().map(move |room| Recipe::Layer {
                                file: f.clone(),
                                room,
                            })
                        })
                        .collect()
                };
            let all_layers: Vec<usize> = (0..snare.layers.len().min(other.layers.len())).collect();
            let build = |which: &[usize]| -> Dataset {
                let mut d = Dataset::default();
                for (class, inst) in [(0usize, snare), (1, other)] {
                    let recipes =
                        layers_of(inst, which, 0..(15 / which.len().max(1)).max(2) as u64);
                    // The same hits under the analyzer's synthetic hat, as the plugin and
                    // `timbrel train` record them (`NO_HATS=1`: without, as before format 4).
                    let with_hat: Vec<Recipe> = recipes
                        .iter()
                        .map(|r| match r {
                            Recipe::Layer { file, room } => Recipe::WithHat {
                                file: file.clone(),
                                room: *room,
                                db: HAT_LEVEL_DB,
                            },
                            other => other.clone(),
                        })
                        .collect();
                    let hats = if std::env::var_os("NO_HATS").is_some() {
                        vec![None; recipes.len()]
                    } else {
                        describe_all(&with_hat, settings)
                    };
                    for (desc, hat) in describe_all(&recipes, settings).into_iter().zip(hats) {
                        let Some(desc) = desc else { continue };
                        d.add_example(
                            Example::new(&desc, class, -20.0, 0.0).with_hat(hat.as_deref()),
                        )
                        .unwrap();
                    }
                }
                if ignore_kit.is_some() || ignore_own {
                    let c = d
                        .add_class("bleed", timbrel_learn::dataset::PALETTE[2])
                        .unwrap();
                    d.set_ignore(c, true).unwrap();
                    for desc in bleed.iter().chain(&own_bleed).flatten() {
                        d.add_example(Example::new(desc, c, -20.0, 0.0)).unwrap();
                    }
                }
                d
            };
            let data = build(&all_layers);
            let model = match train(&data, &cfg) {
                Ok(m) => m,
                Err(e) => {
                    println!("{name}: training failed: {e}");
                    continue;
                }
            };
            let train_set = |data: &Dataset, model: &timbrel_learn::Model, set: &str| {
                let out: Vec<bool> = (0..data.examples.len())
                    .map(|i| model.doubtful().iter().any(|d| d.index == i && d.left_out))
                    .collect();
                export(
                    &name,
                    set,
                    &data
                        .examples
                        .iter()
                        .map(|e| e.descriptor.clone())
                        .collect::<Vec<_>>(),
                    &data
                        .examples
                        .iter()
                        .zip(&out)
                        .map(|(e, o)| format!("{}{}", e.class, if *o { "x" } else { "" }))
                        .collect::<Vec<_>>(),
                );
            };
            train_set(&data, &model, "train");
            if std::env::var("KIT_EXPORT").is_ok() {
                // The training layers with a synthetic hat on their attack, for scorers that
                // know what a hat does to a hit (`kit_scorers.py`).
                let mut rows = Vec::new();
                let mut labels = Vec::new();
                for (class, inst) in [(0usize, snare), (1, other)] {
                    let recipes: Vec<Recipe> = all_layers
                        .iter()
                        .filter_map(|&l| inst.layers.get(l))
                        .enumerate()
                        .flat_map(|(k, f)| {
                            [10.0f32, 15.0, 20.0]
                                .into_iter()
                                .enumerate()
                                .map(move |(j, db)| Recipe::WithHat {
                                    file: f.clone(),
                                    room: 600 + (k * 3 + j) as u64,
                                    db,
                                })
                        })
                        .collect();
                    for d in describe_all(&recipes, settings).into_iter().flatten() {
                        rows.push(d);
                        labels.push(class.to_string());
                    }
                }
                export(&name, "train_hat", &rows, &labels);
            }
            let mut p = Prediction::default();
            let mut line = format!(
                "{name} ({} hits, {:?}, threshold {:.2}):",
                data.examples.len(),
                model.kind(),
                model.unknown_threshold()
            );
            // Other instruments of other kits.
            for kind in [Kind::HiHat, Kind::Cymbal, Kind::Kick, Kind::Tom] {
                let recipes: Vec<Recipe> = all
                    .iter()
                    .filter(|i| kit::family(&i.kit) != kit::family(tk) && i.kind == kind)
                    .flat_map(|i| {
                        i.layers.iter().enumerate().map(|(l, f)| Recipe::Layer {
                            file: f.clone(),
                            room: 100 + l as u64,
                        })
                    })
                    .collect();
                let mut c = Counter::new();
                let mut nov = Vec::new();
                let (described, files): (Vec<Vec<f32>>, Vec<String>) =
                    describe_all(&recipes, settings)
                        .into_iter()
                        .zip(&recipes)
                        .filter_map(|(d, r)| match r {
                            Recipe::Layer { file, .. } => Some((d?, file.display().to_string())),
                            _ => None,
                        })
                        .unzip();
                export(&name, &format!("{kind:?}"), &described, &files);
                for d in described {
                    model.classify(&d, &mut p);
                    dump(
                        &name,
                        format!("{kind:?}"),
                        p.novelty / model.unknown_threshold(),
                    );
                    c.hits += 1;
                    c.unknown += p.best.is_none() as usize;
                    nov.push(p.novelty);
                }
                if std::env::var("KIT_DEBUG").is_ok() {
                    nov.sort_by(f32::total_cmp);
                    let q = |f: f32| {
                        nov.get(((nov.len() as f32 - 1.0) * f) as usize)
                            .copied()
                            .unwrap_or(f32::NAN)
                    };
                    eprintln!(
                        "  {kind:?} novelty q10 {:.2} q50 {:.2} q90 {:.2}",
                        q(0.1),
                        q(0.5),
                        q(0.9)
                    );
                }
                line += &format!(
                    " {kind:?} {:.0}%/{}",
                    Counter::pct(c.unknown, c.hits),
                    c.hits
                );
                let t = totals.entry(format!("reject {kind:?}")).or_default();
                t.0 += c.unknown;
                t.1 += c.hits;
            }
            // The kit's own other pieces, held-out layers.
            for kind in [Kind::HiHat, Kind::Cymbal, Kind::Kick, Kind::Tom] {
                let mut c = Counter::new();
                let rows: Vec<Vec<f32>> = own_tests
                    .iter()
                    .zip(&own_described)
                    .filter(|((k, _), _)| *k == kind)
                    .filter_map(|(_, d)| d.clone())
                    .collect();
                export(
                    &name,
                    &format!("own {kind:?}"),
                    &rows,
                    &vec![String::new(); rows.len()],
                );
                for d in &rows {
                    model.classify(d, &mut p);
                    c.hits += 1;
                    c.unknown += p.best.is_none() as usize;
                }
                if c.hits == 0 {
                    continue;
                }
                line += &format!(
                    " own {kind:?} {:.0}%/{}",
                    Counter::pct(c.unknown, c.hits),
                    c.hits
                );
                let t = totals.entry(format!("reject own {kind:?}")).or_default();
                t.0 += c.unknown;
                t.1 += c.hits;
            }
            // Blends between the classes.
            let blends: Vec<Recipe> = all_layers
                .iter()
                .flat_map(|&l| [0.3f32, 0.5, 0.7].into_iter().map(move |alpha| (l, alpha)))
                .map(|(l, alpha)| Recipe::Blend {
                    a: snare.layers[l].clone(),
                    b: other.layers[l].clone(),
                    alpha,
                    room: 200 + l as u64,
                })
                .collect();
            let mut c = Counter::new();
            let described: Vec<Vec<f32>> = describe_all(&blends, settings)
                .into_iter()
                .flatten()
                .collect();
            export(
                &name,
                "between",
                &described,
                &vec![String::new(); described.len()],
            );
            for d in described {
                model.classify(&d, &mut p);
                dump(
                    &name,
                    "between".to_string(),
                    p.novelty / model.unknown_threshold(),
                );
                c.hits += 1;
                c.unknown += p.best.is_none() as usize;
            }
            line += &format!(
                " | between unknown {:.0}%/{}",
                Counter::pct(c.unknown, c.hits),
                c.hits
            );
            let t = totals.entry("between unknown".into()).or_default();
            t.0 += c.unknown;
            t.1 += c.hits;
            // Snare with hat bleed.
            let hats: Vec<&Instrument> = all
                .iter()
                .filter(|i| kit::family(&i.kit) != kit::family(tk) && i.kind == Kind::HiHat)
                .collect();
            for (set, label, before) in [
                ("snarehat", "snare+hat", false),
                ("snarehatbefore", "snare after hat", true),
            ] {
                let bleed: Vec<Recipe> = all_layers
                    .iter()
                    .enumerate()
                    .flat_map(|(k, &l)| {
                        let hats = &hats;
                        (0..3).map(move |j| {
                            let h = hats[(k * 3 + j) % hats.len()];
                            Recipe::Simultaneous {
                                drum: snare.layers[l].clone(),
                                bleed: h.layers[(k + j) % h.layers.len()].clone(),
                                db: 10.0 + 5.0 * j as f32,
                                // 0.5..3 ms, spread over the layers and hats.
                                lead_ms: if before {
                                    0.5 + 2.5 * ((k * 3 + j) as f32 * 0.618).fract()
                                } else {
                                    0.0
                                },
                                room: 300 + (k * 3 + j) as u64,
                            }
                        })
                    })
                    .collect();
                let mut c = Counter::new();
                let described: Vec<Vec<f32>> = describe_all(&bleed, settings)
                    .into_iter()
                    .flatten()
                    .collect();
                export(
                    &name,
                    set,
                    &described,
                    &vec![String::new(); described.len()],
                );
                for d in described {
                    model.classify(&d, &mut p);
                    dump(
                        &name,
                        set.to_string(),
                        p.novelty / model.unknown_threshold(),
                    );
                    c.hits += 1;
                    c.unknown += p.best.is_none() as usize;
                    c.correct += (p.best == Some(0)) as usize;
                }
                line += &format!(
                    " | {label}: snare {:.0}% unknown {:.0}%/{}",
                    Counter::pct(c.correct, c.hits),
                    Counter::pct(c.unknown, c.hits),
                    c.hits
                );
                let t = totals.entry(format!("{label} called snare")).or_default();
                t.0 += c.correct;
                t.1 += c.hits;
            }
            // Velocity split.
            let train_l: Vec<usize> = all_layers.iter().copied().filter(|l| l % 2 == 0).collect();
            let test_l: Vec<usize> = all_layers.iter().copied().filter(|l| l % 2 == 1).collect();
            let split = build(&train_l);
            if let Ok(m) = train(&split, &cfg) {
                train_set(&split, &m, "split_train");
                let mut c = Counter::new();
                for (class, inst) in [(0u8, snare), (1, other)] {
                    let described: Vec<Vec<f32>> =
                        describe_all(&layers_of(inst, &test_l, 400..406), settings)
                            .into_iter()
                            .flatten()
                            .collect();
                    export(
                        &name,
                        "split_test",
                        &described,
                        &vec![class.to_string(); described.len()],
                    );
                    for d in described {
                        m.classify(&d, &mut p);
                        dump(
                            &name,
                            "velsplit".to_string(),
                            p.novelty / m.unknown_threshold(),
                        );
                        c.hits += 1;
                        c.correct += (p.best_class == class) as usize;
                        c.unknown += p.best.is_none() as usize;
                    }
                }
                line += &format!(
                    " | velocity split acc {:.0}% unknown {:.0}%/{}",
                    Counter::pct(c.correct, c.hits),
                    Counter::pct(c.unknown, c.hits),
                    c.hits
                );
                let t = totals
                    .entry(format!("velocity split acc {second:?}"))
                    .or_default();
                t.0 += c.correct;
                t.1 += c.hits;
                let t = totals.entry("velocity split unknown".into()).or_default();
                t.0 += c.unknown;
                t.1 += c.hits;
            }
            println!("{line}");
        }
    }
    save_cache();
    println!("\ntotals:");
    for (k, (v, n)) in totals {
        println!("  {k}: {:.1} % of {n}", Counter::pct(v, n));
    }
}
