//! Property tests of the decoders of saved data — `state::decode_str`, `state::decode_value`
//! and `file::from_bytes` — on arbitrary input, truncated and bit-flipped valid encodings, and
//! crafted length prefixes: they never panic, refuse what is not valid, finish fast, and never
//! hold more memory than their documented bounds.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine as _;
use proptest::prelude::*;
use timbrel_core::analysis::AnalysisSettings;
use timbrel_learn::file::{self, ModelFile};
use timbrel_learn::state::{self, ProjectState, StateError, MAX_PAYLOAD_BYTES};
use timbrel_learn::{train, Dataset, Example, ModelKind, Snippet, TrainConfig, DESCRIPTOR_LEN};

/// Tracks the bytes the current thread holds and their peak (Rust allocations; zstd's own
/// buffers are C allocations and bounded by the frame's window, which our frames keep small).
struct Tracking;
thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}
fn track(delta: i64) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + delta;
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        track(l.size() as i64);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        track(-(l.size() as i64));
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        track(n as i64 - l.size() as i64);
        unsafe { System.realloc(p, l, n) }
    }
}
#[global_allocator]
static GLOBAL: Tracking = Tracking;

/// Most memory (beyond what was held before) one decode may take: one payload buffer, plus
/// the decoded data and slack.
const MEMORY_BOUND: i64 = MAX_PAYLOAD_BYTES as i64 + (16 << 20);
/// Longest one decode of these small inputs may take (debug build, shared machine).
const TIME_BOUND: Duration = Duration::from_secs(2);

/// Runs `f`, checking its time and peak memory.
fn bounded<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let before = LIVE.with(|l| l.get());
    PEAK.with(|p| p.set(before));
    let t = Instant::now();
    let out = f();
    let elapsed = t.elapsed();
    let peak = PEAK.with(|p| p.get()) - before;
    assert!(elapsed < TIME_BOUND, "{what}: took {elapsed:?}");
    assert!(peak < MEMORY_BOUND, "{what}: held {peak} bytes");
    out
}

fn decode_str(text: &str) -> Result<ProjectState, StateError> {
    bounded("decode_str", || state::decode_str(text))
}

fn from_bytes(bytes: &[u8]) -> Result<ModelFile, file::FileError> {
    bounded("from_bytes", || {
        file::from_bytes(bytes, Path::new("fuzz.timbrel"))
    })
}

/// A small valid state: 2 classes × 6 hits with 20 ms snippets, and a kNN model.
fn valid_state() -> &'static ProjectState {
    static STATE: OnceLock<ProjectState> = OnceLock::new();
    STATE.get_or_init(|| {
        let mut rng = fastrand::Rng::with_seed(77);
        let mut d = Dataset::default();
        for i in 0..12 {
            let class = i % 2;
            let x: Vec<f32> = (0..DESCRIPTOR_LEN)
                .map(|j| rng.f32() + if j % 9 == 0 { 2.0 * class as f32 } else { 0.0 })
                .collect();
            let mut e = Example::new(&x, class, -20.0, i as f64);
            let audio: Vec<f32> = (0..960)
                .map(|k| (rng.f32() - 0.5) * (-(k as f32) / 200.0).exp())
                .collect();
            e.snippet = Snippet::encode(&audio, 48_000.0);
            d.add_example(e).unwrap();
        }
        let model = train(
            &d,
            &TrainConfig {
                kind: ModelKind::Knn,
                ..TrainConfig::default()
            },
        )
        .unwrap();
        ProjectState {
            dataset: d,
            model: Some(model),
        }
    })
}

fn valid_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| state::encode(valid_state()).unwrap())
}

/// The decompressed payload of [`valid_text`].
fn valid_payload() -> &'static [u8] {
    static PAYLOAD: OnceLock<Vec<u8>> = OnceLock::new();
    PAYLOAD.get_or_init(|| {
        let packed = base64::engine::general_purpose::STANDARD
            .decode(&valid_text()[PREFIX.len()..])
            .unwrap();
        zstd::bulk::decompress(&packed, MAX_PAYLOAD_BYTES).unwrap()
    })
}

/// A valid format-2 model file with the dataset.
fn valid_file() -> &'static [u8] {
    static FILE: OnceLock<Vec<u8>> = OnceLock::new();
    FILE.get_or_init(|| {
        let s = valid_state();
        let mut f = ModelFile::new(
            "robustness",
            AnalysisSettings::default(),
            s.model.clone().unwrap(),
        );
        f.dataset = Some(s.dataset.clone());
        file::to_bytes(&f).unwrap()
    })
}

const PREFIX: &str = "timbrel-state:4:1:5:";

/// An encoded state around an arbitrary payload.
fn wrap(payload: &[u8]) -> String {
    let packed = zstd::bulk::compress(payload, 1).unwrap();
    format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(packed)
    )
}

/// A postcard varint of `v`.
fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// Arbitrary JSON, with keys that reach into the format-1 dataset's shape.
fn json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        Just(Value::String(valid_text()[..40].to_string())),
    ];
    let keys = prop::sample::select(vec![
        "classes",
        "examples",
        "pair",
        "name",
        "color",
        "anchor",
        "descriptor",
        "class",
        "level_dbfs",
        "time_s",
        "snippet",
        "snippet_rate",
        "other",
    ]);
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..8).prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

/// Replaces the node at pre-order position `target` (modulo the node count) of `v` by `with`.
fn replace_node(v: &mut serde_json::Value, target: usize, with: serde_json::Value) {
    fn count(v: &serde_json::Value) -> usize {
        1 + match v {
            serde_json::Value::Array(a) => a.iter().map(count).sum(),
            serde_json::Value::Object(o) => o.values().map(count).sum(),
            _ => 0,
        }
    }
    fn walk(v: &mut serde_json::Value, k: &mut usize, with: &mut Option<serde_json::Value>) {
        if *k == 0 {
            if let Some(w) = with.take() {
                *v = w;
            }
            return;
        }
        *k -= 1;
        match v {
            serde_json::Value::Array(a) => a.iter_mut().for_each(|c| walk(c, k, with)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|c| walk(c, k, with)),
            _ => {}
        }
    }
    let mut k = target % count(v);
    walk(v, &mut k, &mut Some(with));
}

/// The legacy (format 1) JSON of the valid state's dataset.
fn legacy_json() -> serde_json::Value {
    let d = &valid_state().dataset;
    let mut v = serde_json::to_value(d).unwrap();
    for (e, x) in v["examples"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .zip(&d.examples)
    {
        e["snippet"] = serde_json::json!(x.snippet.decode());
        e["snippet_rate"] = x.snippet.rate_hz().into();
    }
    v
}

#[test]
fn the_valid_encodings_decode() {
    assert_eq!(&decode_str(valid_text()).unwrap(), valid_state());
    assert_eq!(&decode_str(&wrap(valid_payload())).unwrap(), valid_state());
    from_bytes(valid_file()).unwrap();
    assert_eq!(
        state::decode_value(&legacy_json())
            .unwrap()
            .dataset
            .examples
            .len(),
        12
    );
}

#[test]
fn the_bounds_are_enforced() {
    let big = std::panic::catch_unwind(|| {
        bounded("test", || {
            drop(std::hint::black_box(Vec::<u8>::with_capacity(
                MEMORY_BOUND as usize,
            )))
        })
    });
    assert!(big.is_err(), "the memory bound is not checked");
    bounded("test", || {
        drop(std::hint::black_box(Vec::<u8>::with_capacity(1 << 20)))
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn arbitrary_text_is_refused(text in any::<String>()) {
        prop_assert!(decode_str(&text).is_err());
        let prefixed = format!("{PREFIX}{text}");
        prop_assert!(decode_str(&prefixed).is_err());
    }

    #[test]
    fn arbitrary_bytes_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        prop_assert!(from_bytes(&bytes).is_err());
        let mut braced = b"{\"format\":\"timbrel-model\",\"format_version\":2,".to_vec();
        braced.extend_from_slice(&bytes);
        prop_assert!(from_bytes(&braced).is_err());
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let prefixed = format!("{PREFIX}{b64}");
        prop_assert!(decode_str(&prefixed).is_err());
        // Arbitrary bytes behind a valid zstd frame reach postcard.
        prop_assert!(decode_str(&wrap(&bytes)).is_err());
    }

    #[test]
    fn truncated_encodings_are_refused(at in 0.0..1.0f64) {
        let text = valid_text();
        let cut = (at * text.len() as f64) as usize;
        prop_assert!(decode_str(&text[..cut]).is_err(), "cut {}", cut);
        let payload = valid_payload();
        let cut = (at * payload.len() as f64) as usize;
        prop_assert!(decode_str(&wrap(&payload[..cut])).is_err(), "payload cut {}", cut);
        let f = valid_file();
        let cut = (at * f.len() as f64) as usize;
        prop_assert!(from_bytes(&f[..cut]).is_err(), "file cut {}", cut);
    }

    /// Flipped bits may still give a valid state (a changed mantissa); then it passed every
    /// check. Either way nothing panics and the bounds hold.
    #[test]
    fn flipped_bytes_never_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), 1..=255u8), 1..6)) {
        let mut text = valid_text().as_bytes().to_vec();
        let mut payload = valid_payload().to_vec();
        let mut f = valid_file().to_vec();
        for (i, x) in &flips {
            let n = text.len();
            text[i.index(n)] ^= x;
            let n = payload.len();
            payload[i.index(n)] ^= x;
            let n = f.len();
            f[i.index(n)] ^= x;
        }
        let _ = decode_str(&String::from_utf8_lossy(&text));
        if let Ok(s) = decode_str(&wrap(&payload)) {
            prop_assert_eq!(s.dataset.examples.len(), 12);
        }
        let _ = from_bytes(&f);
    }

    /// Huge postcard lengths at every position of the payload, and zstd frames claiming any
    /// content size.
    #[test]
    fn crafted_lengths_are_refused(at in 0.0..1.0f64, len in prop_oneof![Just(u64::MAX), Just(1u64 << 40), Just(MAX_PAYLOAD_BYTES as u64), 1u64 << 20..1u64 << 62]) {
        let payload = valid_payload();
        let cut = (at * payload.len() as f64) as usize;
        let mut crafted = payload[..cut].to_vec();
        crafted.extend(varint(len));
        crafted.extend_from_slice(&payload[cut..]);
        prop_assert!(decode_str(&wrap(&crafted)).is_err());
        let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd, 0xe0];
        frame.extend_from_slice(&len.to_le_bytes());
        frame.extend_from_slice(&payload[..cut.min(64)]);
        let text = format!("{PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(&frame));
        prop_assert!(decode_str(&text).is_err());
    }

    #[test]
    fn arbitrary_json_never_panics(v in json()) {
        let r = bounded("decode_value", || state::decode_value(&v));
        prop_assert!(r.is_err());
        prop_assert!(decode_str(&v.to_string()).is_err());
    }

    /// A valid format-1 object with one node replaced.
    #[test]
    fn damaged_legacy_objects_never_panic(target in any::<usize>(), with in json()) {
        let mut v = legacy_json();
        replace_node(&mut v, target, with);
        if let Ok(s) = bounded("decode_value", || state::decode_value(&v)) {
            prop_assert!(s.model.is_none());
        }
    }
}
