//! Proves that `Analyzer::process`, `set_settings` and `reset` never allocate, with a counting
//! global allocator. One test only in this binary, so no other test thread allocates meanwhile.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use timbrel_core::analysis::{AnalysisSettings, Analyzer, AnalyzerEvent, DetectorKind};
use timbrel_core::synth::{sources, Performance, PerformanceSpec};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn process_set_settings_and_reset_never_allocate() {
    let sr = 48_000.0;
    let spec = PerformanceSpec {
        duration_s: 3.0,
        ..Default::default()
    };
    let mut audio = Performance::generate(spec, 11).render(sr);
    audio.extend(sources::cymbal(0.8, sr, 2));
    audio[1000] = f32::NAN;
    audio[2000] = f32::INFINITY;
    audio[3000] = 1e-42;
    let mut analyzers: Vec<Analyzer> = [DetectorKind::Envelope, DetectorKind::Flux]
        .into_iter()
        .map(|kind| {
            let mut s = AnalysisSettings::default();
            s.detector.kind = kind;
            Analyzer::new(sr, s)
        })
        .collect();
    let mut long = AnalysisSettings {
        window_ref_samples: 4096,
        ..Default::default()
    };
    let mut hits = 0usize;

    COUNTING.store(true, Ordering::SeqCst);
    for an in &mut analyzers {
        an.set_hat_mix(Some(15.0));
        for block in audio.chunks(333) {
            an.process(block, |e| {
                if let AnalyzerEvent::Hit(_) = e {
                    hits += 1;
                }
            });
            let _ = an.detection_meter();
        }
        long.detector.kind = an.settings().detector.kind;
        an.set_hat_mix(None);
        an.set_settings(long);
        an.reset();
        for block in audio.chunks(4096) {
            an.process(block, |e| {
                if let AnalyzerEvent::Hit(_) = e {
                    hits += 1;
                }
            });
        }
        long.window_ref_samples = 64;
        long.detector.kind = DetectorKind::Flux;
        long.detector.highpass_hz = 2000.0;
        an.set_settings(long);
        an.process(&audio[..48_000], |_| {});
    }
    COUNTING.store(false, Ordering::SeqCst);

    assert!(hits > 20, "{hits}");
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), 0);
}
