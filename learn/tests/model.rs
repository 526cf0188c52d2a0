//! Model-level properties: no allocation in `classify`, determinism, serde round trip,
//! validation of decoded models, bad input.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use timbrel_learn::bench::dataset_of_size;
use timbrel_learn::{train, LearnError, Model, ModelKind, Prediction, TrainConfig, DESCRIPTOR_LEN};

/// Counts allocations made by the current thread.
struct Counting;
thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.with(|a| a.set(a.get() + 1));
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.with(|a| a.set(a.get() + 1));
        unsafe { System.realloc(p, l, n) }
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCS.with(|a| a.get());
    f();
    ALLOCS.with(|a| a.get()) - before
}

fn fast_cfg(kind: ModelKind) -> TrainConfig {
    let mut cfg = TrainConfig {
        kind,
        ..TrainConfig::default()
    };
    cfg.mlp.max_epochs = 60;
    cfg
}

#[test]
fn classify_never_allocates() {
    let data = dataset_of_size(40, 5);
    for kind in [ModelKind::Knn, ModelKind::Lda, ModelKind::Mlp] {
        let model = train(&data, &fast_cfg(kind)).unwrap();
        let mut p = Prediction::default();
        let bad = vec![f32::NAN; DESCRIPTOR_LEN];
        let n = allocations(|| {
            for e in &data.examples {
                model.classify(&e.descriptor, &mut p);
            }
            model.classify(&bad, &mut p);
            model.classify(&bad[..3], &mut p);
        });
        assert_eq!(n, 0, "{kind:?} allocated {n} times");
        // The counter works.
        assert!(allocations(|| drop(std::hint::black_box(vec![1u8; 10]))) > 0);
    }
}

#[test]
fn deterministic_serde_round_trip_and_validation() {
    let data = dataset_of_size(40, 6);
    for kind in [ModelKind::Knn, ModelKind::Lda, ModelKind::Mlp] {
        let cfg = fast_cfg(kind);
        let a = train(&data, &cfg).unwrap();
        let b = train(&data, &cfg).unwrap();
        let ja = serde_json::to_string(&a).unwrap();
        assert_eq!(
            ja,
            serde_json::to_string(&b).unwrap(),
            "{kind:?} not deterministic"
        );
        let back: Model = serde_json::from_str(&ja).unwrap();
        back.validate().unwrap();
        let (mut p, mut q) = (Prediction::default(), Prediction::default());
        for e in &data.examples {
            a.classify(&e.descriptor, &mut p);
            back.classify(&e.descriptor, &mut q);
            assert_eq!(p, q);
            let sum: f32 = p.probabilities.iter().sum();
            assert!((sum - 1.0).abs() < 1e-4, "{sum}");
            assert!((0.0..=1.0).contains(&p.interpolation));
            assert_eq!(p.class_count, 2);
        }
        // Bad input gives an unknown prediction.
        a.classify(&[0.0; 5], &mut p);
        assert!(p.is_unknown() && p.novelty == f32::MAX);
    }
    // Another seed gives another MLP.
    let c = train(
        &data,
        &TrainConfig {
            seed: 1,
            ..fast_cfg(ModelKind::Mlp)
        },
    )
    .unwrap();
    assert_ne!(
        serde_json::to_string(&c).unwrap(),
        serde_json::to_string(&train(&data, &fast_cfg(ModelKind::Mlp)).unwrap()).unwrap()
    );
}

#[test]
fn corrupt_models_are_rejected() {
    let data = dataset_of_size(30, 7);
    let model = train(&data, &fast_cfg(ModelKind::Lda)).unwrap();
    let json = serde_json::to_string(&model).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["format_version"] = 99.into();
    let m: Model = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(
        m.validate(),
        Err(LearnError::FormatVersion {
            found: 99,
            expected: timbrel_learn::MODEL_FORMAT_VERSION
        })
    );
    v["format_version"] = timbrel_learn::MODEL_FORMAT_VERSION.into();
    v["layout_version"] = 0.into();
    let m: Model = serde_json::from_value(v.clone()).unwrap();
    assert!(matches!(
        m.validate(),
        Err(LearnError::LayoutVersion { found: 0, .. })
    ));
    v["layout_version"] = 1.into();
    v["scaler"]["mean"].as_array_mut().unwrap().pop();
    let m: Model = serde_json::from_value(v.clone()).unwrap();
    assert!(
        matches!(m.validate(), Err(LearnError::Corrupt(_))),
        "{:?}",
        m.validate()
    );
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["interpolation"]["knots"] = serde_json::json!([[0.0, 0.0], [0.0, 1.0]]);
    let m: Model = serde_json::from_value(v).unwrap();
    assert!(matches!(m.validate(), Err(LearnError::Corrupt(_))));
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["temperature"] = (-1.0).into();
    let m: Model = serde_json::from_value(v).unwrap();
    assert!(m.validate().is_err());
}

#[test]
fn training_errors_carry_values() {
    let mut data = dataset_of_size(10, 8);
    let cfg = TrainConfig {
        k: 0,
        ..TrainConfig::default()
    };
    assert!(matches!(
        train(&data, &cfg),
        Err(LearnError::HyperParameter { name: "k", .. })
    ));
    data.add_class("rim", [0, 0, 0]).unwrap();
    data.set_pair(0, 2).unwrap();
    assert!(matches!(
        train(&data, &TrainConfig::default()),
        Err(LearnError::PairUntrained { examples: 0, .. })
    ));
    data.examples.retain(|e| e.class == 0);
    assert!(matches!(
        train(&data, &TrainConfig::default()),
        Err(LearnError::NotEnoughClasses { trained: 1, .. })
    ));
}

#[test]
fn an_anchored_middle_class_pins_its_value() {
    let spec = timbrel_learn::synthetic::SynthSpec::default();
    let mut data = dataset_of_size(40, 9);
    let (mid, _) = timbrel_learn::synthetic::snare_hits(10, (0.35, 0.45), &spec, &[256], 10);
    let m = data.add_class("middle", [9, 9, 9]).unwrap();
    data.set_anchor(m, Some(0.5)).unwrap();
    for h in &mid {
        data.add_example(timbrel_learn::Example::new(
            &h.descriptors[0],
            m,
            h.level_dbfs,
            0.0,
        ))
        .unwrap();
    }
    let model = train(&data, &fast_cfg(ModelKind::Lda)).unwrap();
    assert_eq!(model.interpolator().knots.len(), 3);
    let mut p = Prediction::default();
    let mean: f32 = mid
        .iter()
        .map(|h| {
            model.classify(&h.descriptors[0], &mut p);
            p.interpolation
        })
        .sum::<f32>()
        / mid.len() as f32;
    assert!((mean - 0.5).abs() < 0.05, "{mean}");
}

#[test]
fn an_ignore_class_is_reported_as_ignored_and_never_as_the_drum() {
    use timbrel_learn::bench::dataset_with_ignore;
    use timbrel_learn::synthetic::{self, Sound, SynthSpec};
    let data = dataset_with_ignore(60, 40, 11);
    let model = train(&data, &fast_cfg(ModelKind::Lda)).unwrap();
    assert!(model.classes()[2].ignore);
    assert!(model.ignore_discriminant().is_some());
    // The classifier knows the drum's classes only.
    let mut p = Prediction::default();
    let n = allocations(|| {
        for e in &data.examples {
            model.classify(&e.descriptor, &mut p);
        }
    });
    assert_eq!(n, 0, "classify allocated {n} times with an ignore class");
    for (i, e) in data.examples.iter().enumerate() {
        model.classify(&e.descriptor, &mut p);
        if e.class == 2 {
            assert!(
                p.ignored && p.best.is_none() && !p.is_unknown(),
                "example {i}: {p:?}"
            );
            assert_eq!(p.best_class, 2);
        } else {
            assert!(!p.ignored, "drum example {i} ignored: {p:?}");
        }
    }
    // Unheard toms and kicks: never a class of the drum; most are ignored (like the kit's).
    let spec = SynthSpec::default();
    let (mut ignored, mut total) = (0, 0);
    for (k, sound) in [Sound::Tom, Sound::Kick]
        .into_iter()
        .cycle()
        .take(20)
        .enumerate()
    {
        let Some(hit) = synthetic::synth_hit(sound, &spec, &[256], 5000 + k as u64) else {
            continue;
        };
        model.classify(&hit.descriptors[0], &mut p);
        assert!(p.best.is_none(), "{sound:?} {k} called class {:?}", p.best);
        ignored += p.ignored as usize;
        total += 1;
    }
    assert!(
        total >= 15 && ignored * 2 > total,
        "{ignored} of {total} ignored"
    );
    // The user's scale of the threshold acts as a model trained with that threshold would,
    // the ignore discriminant's gate included.
    for scale in [0.5f32, 2.0, 8.0] {
        let mut rescaled = model.clone();
        rescaled.set_unknown_threshold(model.unknown_threshold() * scale);
        let (mut a, mut b) = (Prediction::default(), Prediction::default());
        for e in &data.examples {
            model.classify_scaled(&e.descriptor, scale, &mut a);
            rescaled.classify(&e.descriptor, &mut b);
            assert_eq!(a, b, "scale {scale}");
        }
    }
    // A lower threshold never turns an ignored hit into a drum hit, nor a drum hit into one.
    for e in &data.examples {
        model.classify(&e.descriptor, &mut p);
        let was = p.ignored;
        p.set_known(false);
        assert_eq!(p.ignored, was && p.near_ignore);
        assert!(p.best.is_none());
    }
}

#[test]
fn a_hit_without_a_new_stroke_in_the_body_band_is_not_a_class() {
    use timbrel_core::analysis::{Detection, HitRecord};
    use timbrel_learn::bench::dataset_with_ignore;
    use timbrel_learn::{NewStroke, NEW_STROKE_DB};
    let data = dataset_with_ignore(60, 40, 11);
    let model = train(&data, &fast_cfg(ModelKind::Lda)).unwrap();
    let hit = |d: &[f32], rise: f32| {
        let mut h = HitRecord {
            onset_sample: 0,
            detected_onset_sample: 0,
            ready_sample: 256,
            peak_dbfs: -6.0,
            rms_dbfs: -18.0,
            body_rise_db: rise,
            detection: Detection::NONE,
            descriptor: [0.0; DESCRIPTOR_LEN],
            hat_descriptor: None,
        };
        h.descriptor.copy_from_slice(d);
        h
    };
    let (mut a, mut b) = (Prediction::default(), Prediction::default());
    let mut checked = [0usize; 2];
    let mut marked = 0;
    for e in &data.examples {
        model.classify_scaled(&e.descriptor, 1.0, &mut a);
        // A fresh stroke: as the descriptor alone says.
        model.classify_hit(&hit(&e.descriptor, 30.0), 1.0, NewStroke::Auto, &mut b);
        assert_eq!(a, b);
        assert!(!b.no_new_stroke);
        // Over what sounded before (a hat over the drum's ringing): never a class of the drum;
        // an ignore-class sound stays ignored.
        // Only a drum hit is marked: an unknown or ignored sound stays what it was.
        model.classify_hit(&hit(&e.descriptor, 2.0), 1.0, NewStroke::Auto, &mut b);
        assert!(b.best.is_none(), "{b:?}");
        assert_eq!(b.no_new_stroke, a.best.is_some(), "{a:?} {b:?}");
        marked += b.no_new_stroke as usize;
        assert_eq!(b.ignored, a.ignored);
        assert_eq!(b.is_unknown(), !a.ignored);
        checked[a.ignored as usize] += 1;
        // The check off (-inf): as the descriptor alone says, whatever the rise.
        model.classify_hit(&hit(&e.descriptor, -40.0), 1.0, NewStroke::Off, &mut b);
        assert_eq!(a, b);
    }
    assert!(checked[0] > 0 && checked[1] > 0, "{checked:?}");
    assert!(marked > 0);
    // NaN rises count as no new stroke.
    let drum_hit = data
        .examples
        .iter()
        .find(|e| {
            model.classify_scaled(&e.descriptor, 1.0, &mut a);
            a.best.is_some()
        })
        .unwrap();
    model.classify_hit(
        &hit(&drum_hit.descriptor, f32::NAN),
        1.0,
        NewStroke::Db(0.0),
        &mut b,
    );
    assert!(b.no_new_stroke && b.best.is_none());
    let n = allocations(|| {
        for e in &data.examples {
            model.classify_hit(&hit(&e.descriptor, 3.0), 1.0, NewStroke::Auto, &mut b);
        }
    });
    assert_eq!(n, 0, "classify_hit allocated {n} times");
    // Auto: the model has an ignore class, so the default rise is asked for.
    assert!(model.has_ignore_class());
    assert_eq!(NewStroke::Auto.min_rise_db(true), NEW_STROKE_DB);
    // A drum on its own (no ignore class): Auto asks for nothing.
    let alone = train(&dataset_of_size(40, 5), &fast_cfg(ModelKind::Lda)).unwrap();
    assert!(!alone.has_ignore_class());
    for e in &data.examples[..10] {
        alone.classify_scaled(&e.descriptor, 1.0, &mut a);
        alone.classify_hit(&hit(&e.descriptor, -10.0), 1.0, NewStroke::Auto, &mut b);
        assert_eq!(a, b);
        alone.classify_hit(&hit(&e.descriptor, -10.0), 1.0, NewStroke::Db(6.0), &mut b);
        assert!(b.best.is_none());
        assert_eq!(b.no_new_stroke, a.best.is_some());
    }
}
