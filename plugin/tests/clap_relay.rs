//! The CLAP export's relay in process (issue #16): a minimal host written against the CLAP ABI
//! creates Timbrel through `clap_entry::create_plugin`, as the exported factory does, and plays
//! drum hits through the relay's `process` with every call under `assert_no_alloc` (the wrapper,
//! the plugin and the relay's parameter report together). Each block with a hit must bring one
//! parameter-value event per output parameter, in time order after the block's MIDI, with the
//! parameters' own values (what the host's `get_value` reads) equal to the reported ones.

mod common;

use clap_sys::audio_buffer::clap_audio_buffer;
use clap_sys::events::{
    clap_event_header, clap_event_param_value, clap_input_events, clap_output_events,
    CLAP_CORE_EVENT_SPACE_ID, CLAP_EVENT_PARAM_VALUE,
};
use clap_sys::ext::params::{clap_plugin_params, CLAP_EXT_PARAMS};
use clap_sys::ext::thread_check::{clap_host_thread_check, CLAP_EXT_THREAD_CHECK};
use clap_sys::host::clap_host;
use clap_sys::plugin::clap_plugin;
use clap_sys::process::{clap_process, CLAP_PROCESS_ERROR};
use clap_sys::version::CLAP_VERSION;
use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr};
use std::sync::atomic::{AtomicBool, Ordering};
use timbrel::Timbrel;
use timbrel_core::synth::{Performance, PerformanceSpec};

/// Whether the host is inside `process` (its thread-check then answers "audio thread").
static IN_PROCESS: AtomicBool = AtomicBool::new(false);

unsafe extern "C" fn is_main_thread(_host: *const clap_host) -> bool {
    !IN_PROCESS.load(Ordering::SeqCst)
}

unsafe extern "C" fn is_audio_thread(_host: *const clap_host) -> bool {
    IN_PROCESS.load(Ordering::SeqCst)
}

static THREAD_CHECK: clap_host_thread_check = clap_host_thread_check {
    is_main_thread: Some(is_main_thread),
    is_audio_thread: Some(is_audio_thread),
};

unsafe extern "C" fn host_extension(_host: *const clap_host, id: *const c_char) -> *const c_void {
    // SAFETY: the plugin passes a NUL-terminated id.
    if unsafe { CStr::from_ptr(id) } == CLAP_EXT_THREAD_CHECK {
        &THREAD_CHECK as *const clap_host_thread_check as *const c_void
    } else {
        std::ptr::null()
    }
}

unsafe extern "C" fn host_request(_host: *const clap_host) {}

fn host() -> clap_host {
    clap_host {
        clap_version: CLAP_VERSION,
        host_data: std::ptr::null_mut(),
        name: c"relay test".as_ptr(),
        vendor: c"Timbrel".as_ptr(),
        url: c"https://example.invalid".as_ptr(),
        version: c"0".as_ptr(),
        get_extension: Some(host_extension),
        request_restart: Some(host_request),
        request_process: Some(host_request),
        request_callback: Some(host_request),
    }
}

/// The host's output event list: parameter values with their time, and the time of every
/// event, in a buffer reserved up front.
#[repr(C)]
struct Recorder {
    list: clap_output_events,
    values: RefCell<Vec<(u32, u32, f64)>>,
    times: RefCell<Vec<u32>>,
}

unsafe extern "C" fn record(
    list: *const clap_output_events,
    event: *const clap_event_header,
) -> bool {
    // SAFETY: `list` is the first field of the live `Recorder`; `event` is a valid event.
    let (recorder, header) = unsafe { (&*(list as *const Recorder), &*event) };
    let (mut values, mut times) = (recorder.values.borrow_mut(), recorder.times.borrow_mut());
    if times.len() == times.capacity() {
        return false;
    }
    times.push(header.time);
    if header.space_id == CLAP_CORE_EVENT_SPACE_ID && header.type_ == CLAP_EVENT_PARAM_VALUE {
        // SAFETY: the header says what it is.
        let e = unsafe { &*(event as *const clap_event_param_value) };
        values.push((header.time, e.param_id, e.value));
    }
    true
}

unsafe extern "C" fn no_events(_list: *const clap_input_events) -> u32 {
    0
}

unsafe extern "C" fn no_event(
    _list: *const clap_input_events,
    _i: u32,
) -> *const clap_event_header {
    std::ptr::null()
}

#[test]
fn the_relay_reports_every_hit_as_parameter_events_without_allocating() {
    let sample_rate = 44_100.0;
    let block = 512usize;
    let host = host();
    // SAFETY: `host` outlives the plugin (destroyed at the end of this test).
    let plugin: *const clap_plugin =
        unsafe { timbrel::clap_entry::create_plugin::<Timbrel>(&host) };
    assert!(!plugin.is_null());
    // SAFETY: calling the plugin as a host would, on this thread, in the CLAP order.
    let p = unsafe { &*plugin };
    unsafe {
        assert!(p.init.unwrap()(plugin));
        assert!(p.activate.unwrap()(plugin, sample_rate, 1, block as u32));
        assert!(p.start_processing.unwrap()(plugin));
    }
    let params = unsafe {
        &*(p.get_extension.unwrap()(plugin, CLAP_EXT_PARAMS.as_ptr()) as *const clap_plugin_params)
    };
    let get_value = |id: u32| {
        let mut value = f64::NAN;
        // SAFETY: a valid id of this plugin, main thread.
        assert!(unsafe { params.get_value.unwrap()(plugin, id, &mut value) });
        value
    };

    let spec = PerformanceSpec {
        duration_s: 20.0,
        ..PerformanceSpec::default()
    };
    let audio = Performance::generate(spec, 7).render(sample_rate as f32);
    let mut left = vec![0.0f32; block];
    let mut right = vec![0.0f32; block];
    let mut out_l = vec![0.0f32; block];
    let mut out_r = vec![0.0f32; block];
    let recorder = Recorder {
        list: clap_output_events {
            ctx: std::ptr::null_mut(),
            try_push: Some(record),
        },
        values: RefCell::new(Vec::with_capacity(4096)),
        times: RefCell::new(Vec::with_capacity(4096)),
    };
    let in_events = clap_input_events {
        ctx: std::ptr::null_mut(),
        size: Some(no_events),
        get: Some(no_event),
    };
    let mut blocks_with_reports = 0;
    let mut slots = 0;
    let mut last_values: Vec<(u32, f64)> = Vec::new();
    for (i, chunk) in audio.chunks(block).enumerate() {
        let n = chunk.len();
        left[..n].copy_from_slice(chunk);
        right[..n].copy_from_slice(chunk);
        let mut inputs: [*mut f32; 2] = [left.as_mut_ptr(), right.as_mut_ptr()];
        let mut outputs: [*mut f32; 2] = [out_l.as_mut_ptr(), out_r.as_mut_ptr()];
        let input = clap_audio_buffer {
            data32: inputs.as_mut_ptr(),
            data64: std::ptr::null_mut(),
            channel_count: 2,
            latency: 0,
            constant_mask: 0,
        };
        let mut output = clap_audio_buffer {
            data32: outputs.as_mut_ptr(),
            ..input
        };
        let process = clap_process {
            steady_time: (i * block) as i64,
            frames_count: n as u32,
            transport: std::ptr::null(),
            audio_inputs: &input,
            audio_outputs: &mut output,
            audio_inputs_count: 1,
            audio_outputs_count: 1,
            in_events: &in_events,
            out_events: &recorder.list,
        };
        recorder.values.borrow_mut().clear();
        recorder.times.borrow_mut().clear();
        IN_PROCESS.store(true, Ordering::SeqCst);
        // SAFETY: a valid process call with buffers of `n` samples.
        let status = common::assert_no_alloc(|| unsafe { p.process.unwrap()(plugin, &process) });
        IN_PROCESS.store(false, Ordering::SeqCst);
        // The plugin's main-thread requests (editor notifications) run between blocks.
        unsafe { p.on_main_thread.unwrap()(plugin) };
        assert_ne!(status, CLAP_PROCESS_ERROR);
        let times = recorder.times.borrow();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "events out of order: {times:?}"
        );
        assert!(
            times.iter().all(|&t| (t as usize) < n),
            "event outside its block"
        );
        let values = recorder.values.borrow();
        if !values.is_empty() {
            blocks_with_reports += 1;
            slots = slots.max(values.len());
            last_values = values.iter().map(|&(_, id, v)| (id, v)).collect();
            // Every report's values are the parameters' own values now.
            for &(_, id, value) in values.iter() {
                assert!(
                    (get_value(id) - value).abs() < 1e-3,
                    "get_value({id}) != {value}"
                );
            }
        }
    }
    eprintln!(
        "{blocks_with_reports} blocks with reports, {slots} parameters per hit; last: {:?}",
        &last_values[..4.min(last_values.len())]
    );
    assert!(
        blocks_with_reports >= 20,
        "only {blocks_with_reports} reports for 20 s of hits"
    );
    assert_eq!(
        slots, 21,
        "every output parameter after a hit (4 + 16 probabilities + speed)"
    );
    // SAFETY: the host's shutdown order.
    unsafe {
        p.stop_processing.unwrap()(plugin);
        p.deactivate.unwrap()(plugin);
        p.destroy.unwrap()(plugin);
    }
}
