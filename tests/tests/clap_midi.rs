//! No note is left hanging, whatever the host's blocks, in a real CLAP host (`clack-host`).
//!
//! Timbrel is loaded with a 16-class model (a project state built with `timbrel-learn`) and
//! every MIDI output on: the 14-bit position (two CCs), all sixteen probability CCs and the
//! unknown note, with the shortest lockout (2 ms): up to nineteen CCs and a note per hit. It
//! plays a dense random roll (a hit every 3 to 40 ms) in seeded random blocks of 1 to 8192
//! samples, log-uniform, announced as 8192; and again with 256 announced but the same blocks of
//! up to 8192 sent (as some hosts do when rendering offline). Checked:
//! - every note-on has its note-off (and no note-on comes while its key sounds);
//! - every note-on came with its sixteen probability CCs: nothing was dropped;
//! - blocks larger than announced give exactly the same events (every sample is analysed).
//!
//! Length: `TIMBREL_ROLL_S` seconds (default 60; the 10-minute goal is `TIMBREL_ROLL_S=600`).
//! Gated behind `TIMBREL_HOST_TESTS=1` like the other host tests.

use timbrel_host_tests::clap::{Bundle, Instance, Run, PLUGIN_ID};
use timbrel_host_tests::drums::{pair_notes, random_performance, PerformanceSpec};
use timbrel_host_tests::signal::Rng;
use timbrel_host_tests::train::track_at;
use timbrel_host_tests::{clap_bundle, host_tests_enabled};

/// Sample rate, in Hz.
const SAMPLE_RATE: f64 = 44_100.0;
/// Largest host block, in samples.
const MAX_BLOCK: usize = 8192;
/// The block size announced in the oversized run, in samples.
const SMALL_ANNOUNCED: usize = 256;
/// Classes of the loaded model: the most Timbrel has.
const CLASSES: usize = 16;
/// The first probability controller; class k (1-based) sends CC `FIRST_PROBABILITY_CC + k - 1`.
const FIRST_PROBABILITY_CC: u8 = 20;
/// The note for hits the model calls unknown.
const UNKNOWN_NOTE: u8 = 37;
/// The position controller (its fine half is 32 above).
const POSITION_CC: u8 = 16;
/// Default length of the roll, in seconds.
const DEFAULT_ROLL_S: f64 = 60.0;
/// Seeds of the roll and of the block sizes.
const ROLL_SEED: u64 = 1717;
const BLOCK_SEED: u64 = 23;

/// A state container (nice-plug's CLAP state: an 8-byte length, then zstd-compressed JSON).
fn open_container(state: &[u8]) -> serde_json::Value {
    let body = &state[8..];
    serde_json::from_slice(&zstd::decode_all(body).expect("zstd")).expect("JSON")
}

fn seal_container(json: &serde_json::Value) -> Vec<u8> {
    let packed = zstd::encode_all(serde_json::to_vec(json).unwrap().as_slice(), 3).unwrap();
    let mut state = (packed.len() as u64).to_le_bytes().to_vec();
    state.extend_from_slice(&packed);
    state
}

/// A fresh instance with every MIDI output on, the shortest lockout, and a 16-class model.
fn loud_instance(bundle: &Bundle) -> Instance {
    let mut plugin = bundle.instantiate(PLUGIN_ID);
    let mut values = vec![
        ("pos14", 1.0),
        (
            "unknote",
            plugin.param_value_from_text("unknote", &UNKNOWN_NOTE.to_string()),
        ),
        ("lock", plugin.param_value_from_text("lock", "2")),
        ("thr", plugin.param_value_from_text("thr", "3")),
        ("floor", plugin.param_value_from_text("floor", "-70")),
        ("notelen", plugin.param_value_from_text("notelen", "300")),
        // The widest unknown threshold: most hits are classified, and send the position too.
        ("unk", plugin.param_value_from_text("unk", "4")),
        // Every hit counts as a new stroke (in a dense roll most ring over the one before),
        // set by its text, as a host user types it.
        ("newstk", plugin.param_value_from_text("newstk", "off")),
    ];
    let ids: Vec<String> = (1..=CLASSES).map(|k| format!("pcc_{k}")).collect();
    for (k, id) in ids.iter().enumerate() {
        let cc = FIRST_PROBABILITY_CC as usize + k;
        values.push((
            id.as_str(),
            plugin.param_value_from_text(id, &cc.to_string()),
        ));
    }
    plugin.set_params_by_flush(&values);
    let text = timbrel_learn::state::encode(&sixteen_class_state()).expect("encodes");
    let mut json = open_container(&plugin.save_state());
    json["fields"]["dataset"] = serde_json::Value::String(text).to_string().into();
    plugin
        .load_state(&seal_container(&json))
        .expect("the 16-class state was refused");
    let lock = plugin.param_value("lock");
    assert_eq!(plugin.param_text("lock", lock), "2.0 ms");
    plugin
}

/// A project state with 16 classes of the test drum's hits, one per band of strike radius
/// (0..0.95), six hits each, analysed as the plugin analyses them (default settings), with a
/// trained model: a roll of such hits is classified, so every hit sends every CC.
fn sixteen_class_state() -> timbrel_learn::state::ProjectState {
    use timbrel_learn::{ClassInfo, Dataset, Example};
    let mut rng = Rng::new(99);
    let mut dataset = Dataset {
        classes: (0..CLASSES)
            .map(|c| ClassInfo::new(format!("zone {}", c + 1), [(c * 15) as u8, 90, 200]))
            .collect(),
        examples: Vec::new(),
        pair: (0, CLASSES - 1),
    };
    for class in 0..CLASSES {
        let mut added = 0;
        while added < 6 {
            let band = 0.95 / CLASSES as f32;
            let hit = timbrel_host_tests::drums::Hit {
                onset: 2048,
                radius: band * (class as f32 + rng.unit()),
                velocity: rng.range(0.3, 1.0),
                seed: rng.next_u64(),
            };
            let audio = timbrel_host_tests::drums::render(&[hit], 2048 + 8192, SAMPLE_RATE as f32);
            if let Some((descriptor, level)) =
                timbrel_learn::synthetic::analyze(&audio, SAMPLE_RATE as f32, 2048, &[256])
                    .remove(0)
            {
                let e = Example::new(&descriptor, class, level, dataset.examples.len() as f64);
                dataset.add_example(e).unwrap();
                added += 1;
            }
        }
    }
    let model = timbrel_learn::train(&dataset, &timbrel_learn::TrainConfig::default()).unwrap();
    timbrel_learn::state::ProjectState {
        dataset,
        model: Some(model),
    }
}

/// Log-uniform block sizes of 1..=[`MAX_BLOCK`], seeded.
fn block_sizes(seed: u64) -> impl FnMut() -> usize {
    let mut rng = Rng::new(seed);
    move || ((MAX_BLOCK as f64).ln() * rng.unit() as f64).exp() as usize
}

/// Plays `track` announcing `announced` samples as the largest block and sending blocks of up
/// to [`MAX_BLOCK`], then two seconds of silence (longer than any note).
fn play(plugin: &mut Instance, track: &[f32], announced: usize) -> Run {
    let mut session = plugin.start_announcing(SAMPLE_RATE, 2, announced, MAX_BLOCK);
    session.keep_output(false);
    session.play(track, block_sizes(BLOCK_SEED), &[]);
    session.silence(2 * SAMPLE_RATE as usize, 512);
    let run = session.finish();
    assert_eq!(run.events_out_of_block, 0, "events outside their block");
    assert_eq!(run.events_out_of_order, 0, "events out of time order");
    run
}

/// Note-ons that lack one of their sixteen probability CCs at their sample.
fn note_ons_missing_ccs(run: &Run) -> usize {
    let mut at: std::collections::HashMap<u64, u32> = Default::default();
    for c in &run.ccs {
        let k = c.controller.wrapping_sub(FIRST_PROBABILITY_CC);
        if (k as usize) < CLASSES {
            *at.entry(c.sample).or_default() |= 1 << k;
        }
    }
    let all = (1u32 << CLASSES) - 1;
    run.note_ons()
        .iter()
        .filter(|n| at.get(&n.sample).copied().unwrap_or(0) != all)
        .count()
}

/// Notes and CCs as (sample, kind, channel, key or controller, value), for comparing runs.
fn events(run: &Run) -> Vec<(u64, u8, i16, i16, u64)> {
    let mut out: Vec<_> = run
        .notes
        .iter()
        .map(|n| (n.sample, n.on as u8, n.channel, n.key, n.velocity.to_bits()))
        .chain(run.ccs.iter().map(|c| {
            (
                c.sample,
                2,
                c.channel as i16,
                c.controller as i16,
                c.value as u64,
            )
        }))
        .collect();
    out.sort();
    out
}

#[test]
fn dense_rolls_with_every_cc_leave_no_note_hanging() {
    if !host_tests_enabled("dense_rolls_with_every_cc_leave_no_note_hanging") {
        return;
    }
    let seconds: f64 = std::env::var("TIMBREL_ROLL_S")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_ROLL_S);
    let spec = PerformanceSpec {
        duration_s: seconds,
        interval_s: (0.003, 0.04),
        ..PerformanceSpec::default()
    };
    let hits = random_performance(&spec, SAMPLE_RATE, ROLL_SEED);
    let track = track_at(
        0,
        &hits,
        (spec.duration_s * SAMPLE_RATE) as usize,
        SAMPLE_RATE,
    );
    let bundle = Bundle::load(&clap_bundle());
    let mut plugin = loud_instance(&bundle);
    let started = std::time::Instant::now();
    let run = play(&mut plugin, &track, MAX_BLOCK);
    let wall = started.elapsed();
    let pairs = pair_notes(&run.notes).unwrap_or_else(|e| panic!("blocks 1..=8192: {e}"));
    let ons = run.note_ons().len();
    let missing = note_ons_missing_ccs(&run);
    let hit_rate = ons as f64 / seconds;
    eprintln!(
        "{seconds} s roll, {} hits played, {ons} note-ons ({hit_rate:.1} a second), {} CCs, blocks 1..={MAX_BLOCK}: {} note-offs, 0 hanging; note-ons missing a probability CC: {missing}; played in {:.1} s",
        hits.len(),
        run.ccs.len(),
        pairs.len(),
        wall.as_secs_f64()
    );
    assert!(
        ons as f64 > 0.5 * hits.len() as f64,
        "only {ons} note-ons for {} hits: the roll is not dense",
        hits.len()
    );
    assert_eq!(missing, 0, "note-ons without all their probability CCs");
    let keys: std::collections::BTreeSet<i16> = run.note_ons().iter().map(|n| n.key).collect();
    let positions = run
        .ccs
        .iter()
        .filter(|c| c.controller == POSITION_CC)
        .count();
    eprintln!("notes {keys:?}; {positions} hits classified with a position (CC16 and CC48)");
    assert!(
        keys.len() > 2,
        "the 16-class model sends several notes: {keys:?}"
    );
    assert!(
        positions > ons / 4,
        "{positions} position CCs for {ons} note-ons"
    );

    // Blocks larger than announced: every sample is analysed, the same events come out.
    let mut plugin = loud_instance(&bundle);
    let oversized = play(&mut plugin, &track, SMALL_ANNOUNCED);
    pair_notes(&oversized.notes).unwrap_or_else(|e| panic!("oversized blocks: {e}"));
    let (a, b) = (events(&run), events(&oversized));
    assert!(
        a == b,
        "blocks of up to {MAX_BLOCK} announced as {SMALL_ANNOUNCED}: {} events instead of {}",
        b.len(),
        a.len()
    );
    eprintln!(
        "the same roll announced as {SMALL_ANNOUNCED}-sample blocks, sent up to {MAX_BLOCK}: the same {} events",
        b.len()
    );
}
