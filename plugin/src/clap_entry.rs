//! Timbrel's own CLAP entry point and plugin factory, used instead of `nice_export_clap!`, so that
//! the output parameters reach the host from the first hit on, with or without the editor.
//!
//! nice-plug has no audio-thread parameter setter, and the only public object that can report a
//! parameter change to the host is the editor's `GuiContext`. (Its CLAP `Wrapper` has a public
//! `queue_parameter_event`, but its argument type, `OutputParamEvent`, lives in a private module
//! and cannot be named outside nice-plug; and the queue asks the host for a flush, which CLAP
//! forbids on the audio thread.) So the factory here creates nice-plug's `Wrapper` with its public
//! `Wrapper::new`, and hands the host a thin [`Relay`] in front of it: a `clap_plugin` whose
//! functions forward to the wrapper's, except that `process`, after the wrapper's, reports the
//! output parameters:
//!
//! 1. during the block the plugin stores its output values in its [`HostOutputs`] (atomics);
//! 2. after the wrapper's `process` returns, the relay builds one `CLAP_EVENT_PARAM_VALUE` per
//!    slot to report (every slot after a hit), on the stack;
//! 3. it gives them to the wrapper's public `handle_in_events`, the route by which host
//!    automation reaches the parameters, so each parameter's own value changes (the host's
//!    `params.get_value` and the plugin's `.value()` agree with what the host is told);
//! 4. it pushes them to the host's `out_events`, at the sample of the hit that set them (or
//!    after the last event the wrapper pushed, to keep the list in time order), without gesture
//!    events: hosts take them as the plugin's own output, not as automation to record.
//!
//! Everything in the relay's `process` is lock- and allocation-free. The extensions are the
//! wrapper's own (the relay's `clap_plugin` carries the wrapper as `plugin_data`, which is all
//! nice-plug's extension functions read), except that the params extension's `get_info` marks
//! the output parameters `CLAP_PARAM_IS_READONLY` (and neither automatable nor modulatable):
//! they are the plugin's output, which hosts show and follow but never set.

use crate::host_outputs::{HostOutputs, MAX_OUTPUTS};
use clap_sys::events::{
    clap_event_header, clap_event_param_value, clap_input_events, clap_output_events,
    CLAP_CORE_EVENT_SPACE_ID, CLAP_EVENT_IS_LIVE, CLAP_EVENT_PARAM_VALUE,
};
use clap_sys::ext::params::{
    clap_param_info, clap_plugin_params, CLAP_EXT_PARAMS, CLAP_PARAM_IS_HIDDEN,
    CLAP_PARAM_IS_READONLY, CLAP_PARAM_IS_STEPPED,
};
use clap_sys::id::clap_id;
use clap_sys::plugin::clap_plugin;
use clap_sys::process::{clap_process, clap_process_status, CLAP_PROCESS_ERROR};
use nice_plug::prelude::ClapPlugin;
use nice_plug::wrapper::clap::{clap_host, Wrapper};
use std::cell::Cell;
use std::ffi::{c_char, c_void, CStr};
use std::sync::Arc;

/// What the host holds instead of the wrapper's own `clap_plugin`.
#[repr(C)]
pub struct Relay<P: ClapPlugin> {
    /// The host's view: the wrapper's functions, except those below. Must stay the first field
    /// (the relay's functions find the relay from this struct's address).
    plugin: clap_plugin,
    /// The wrapper's own `clap_plugin`.
    inner: *const clap_plugin,
    /// The wrapper; the reference counted for the host is released by the wrapper's `destroy`.
    wrapper: *const Wrapper<P>,
    /// The instance's output values.
    outputs: Arc<HostOutputs>,
    /// The params extension the host gets: the wrapper's, except that `get_info` marks the
    /// output parameters read-only.
    params: clap_plugin_params,
    /// The wrapper's params extension (null if it has none).
    inner_params: *const clap_plugin_params,
    /// CLAP ids of the output parameters (the first `output_count`).
    output_ids: [clap_id; MAX_OUTPUTS],
    output_count: usize,
}

/// Creates a CLAP instance of `P` for `host` and returns the `clap_plugin` the host gets.
///
/// # Safety
/// `host` must be the valid host pointer the factory's `create_plugin` received, and outlive the
/// instance.
pub unsafe fn create_plugin<P: ClapPlugin>(host: *const clap_host) -> *const clap_plugin {
    let outputs = HostOutputs::prepare();
    // The relay applies its events through the wrapper (`report`), so it can set `Train` too.
    outputs.set_applies_parameters();
    // SAFETY: the caller's contract. `Wrapper::new` builds the plugin on this thread, where its
    // `HostOutputs::claim` finds `outputs`.
    let wrapper = unsafe { Wrapper::<P>::new(host) };
    HostOutputs::withdraw();
    let wrapper = Arc::into_raw(wrapper);
    // SAFETY: `wrapper` is alive until the host calls `destroy`.
    let inner = unsafe { (*wrapper).clap_plugin.as_ptr() as *const clap_plugin };
    // SAFETY: as above; the wrapper's `clap_plugin` is fully set up by `Wrapper::new`.
    let mut plugin = unsafe { *inner };
    plugin.init = Some(init::<P>);
    plugin.destroy = Some(destroy::<P>);
    plugin.activate = Some(activate::<P>);
    plugin.deactivate = Some(deactivate::<P>);
    plugin.start_processing = Some(start_processing::<P>);
    plugin.stop_processing = Some(stop_processing::<P>);
    plugin.reset = Some(reset::<P>);
    plugin.process = Some(process::<P>);
    plugin.get_extension = Some(get_extension::<P>);
    plugin.on_main_thread = Some(on_main_thread::<P>);
    // The output parameters were registered when the plugin was built (in `Wrapper::new`).
    let mut output_ids = [0; MAX_OUTPUTS];
    let mut output_count = 0;
    for param in outputs.params() {
        // SAFETY: as above.
        if let Some(&id) = unsafe { (*wrapper).param_ptr_to_hash.get(param) } {
            output_ids[output_count] = id;
            output_count += 1;
        }
    }
    // SAFETY: the wrapper's `get_extension` only returns pointers to its static tables.
    let inner_params = match unsafe { (*inner).get_extension } {
        Some(get) => (unsafe { get(inner, CLAP_EXT_PARAMS.as_ptr()) }) as *const clap_plugin_params,
        None => std::ptr::null(),
    };
    let relay = Box::new(Relay {
        plugin,
        inner,
        wrapper,
        outputs,
        params: clap_plugin_params {
            count: Some(params_count::<P>),
            get_info: Some(params_get_info::<P>),
            get_value: Some(params_get_value::<P>),
            value_to_text: Some(params_value_to_text::<P>),
            text_to_value: Some(params_text_to_value::<P>),
            flush: Some(params_flush::<P>),
        },
        inner_params,
        output_ids,
        output_count,
    });
    Box::into_raw(relay) as *const clap_plugin
}

/// The relay behind `plugin`.
///
/// # Safety
/// `plugin` must be a pointer [`create_plugin`] returned, not yet destroyed.
unsafe fn relay<'a, P: ClapPlugin>(plugin: *const clap_plugin) -> &'a Relay<P> {
    // SAFETY: `plugin` is the first field of a `#[repr(C)]` `Relay<P>`.
    unsafe { &*(plugin as *const Relay<P>) }
}

/// Calls the wrapper's function `$name` with the wrapper's own `clap_plugin`.
macro_rules! forward {
    ($plugin:expr, $name:ident, $default:expr $(, $arg:expr)*) => {{
        // SAFETY: the host calls with the pointer `create_plugin` returned.
        let relay = unsafe { relay::<P>($plugin) };
        // SAFETY: forwarding the host's call, on the host's thread, to the wrapper's function.
        match unsafe { (*relay.inner).$name } {
            Some(f) => unsafe { f(relay.inner $(, $arg)*) },
            None => $default,
        }
    }};
}

unsafe extern "C" fn init<P: ClapPlugin>(plugin: *const clap_plugin) -> bool {
    forward!(plugin, init, false)
}

unsafe extern "C" fn destroy<P: ClapPlugin>(plugin: *const clap_plugin) {
    // SAFETY: the host destroys the pointer `create_plugin` returned, once.
    let relay = unsafe { Box::from_raw(plugin as *mut Relay<P>) };
    if let Some(destroy) = unsafe { (*relay.inner).destroy } {
        // SAFETY: releases the wrapper (and the plugin) as nice-plug's own export would.
        unsafe { destroy(relay.inner) };
    }
}

unsafe extern "C" fn activate<P: ClapPlugin>(
    plugin: *const clap_plugin,
    sample_rate: f64,
    min_frames: u32,
    max_frames: u32,
) -> bool {
    forward!(plugin, activate, false, sample_rate, min_frames, max_frames)
}

unsafe extern "C" fn deactivate<P: ClapPlugin>(plugin: *const clap_plugin) {
    forward!(plugin, deactivate, ())
}

unsafe extern "C" fn start_processing<P: ClapPlugin>(plugin: *const clap_plugin) -> bool {
    forward!(plugin, start_processing, false)
}

unsafe extern "C" fn stop_processing<P: ClapPlugin>(plugin: *const clap_plugin) {
    forward!(plugin, stop_processing, ())
}

unsafe extern "C" fn reset<P: ClapPlugin>(plugin: *const clap_plugin) {
    forward!(plugin, reset, ())
}

unsafe extern "C" fn get_extension<P: ClapPlugin>(
    plugin: *const clap_plugin,
    id: *const c_char,
) -> *const c_void {
    // SAFETY: the host calls with the pointer `create_plugin` returned, and a C string.
    let relay = unsafe { relay::<P>(plugin) };
    if !id.is_null()
        && !relay.inner_params.is_null()
        && unsafe { CStr::from_ptr(id) } == CLAP_EXT_PARAMS
    {
        return &relay.params as *const clap_plugin_params as *const c_void;
    }
    forward!(plugin, get_extension, std::ptr::null(), id)
}

/// Calls the wrapper's params function `$name` with the wrapper's own `clap_plugin`.
macro_rules! forward_params {
    ($plugin:expr, $name:ident, $default:expr $(, $arg:expr)*) => {{
        // SAFETY: the host calls with the pointer `create_plugin` returned; `inner_params` is
        // not null (the relay offers its params extension only then) and static.
        let relay = unsafe { relay::<P>($plugin) };
        match unsafe { (*relay.inner_params).$name } {
            Some(f) => unsafe { f(relay.inner $(, $arg)*) },
            None => $default,
        }
    }};
}

unsafe extern "C" fn params_count<P: ClapPlugin>(plugin: *const clap_plugin) -> u32 {
    forward_params!(plugin, count, 0)
}

/// The wrapper's parameter info, with the output parameters marked read-only (an output of the
/// plugin: hosts neither automate nor set them).
unsafe extern "C" fn params_get_info<P: ClapPlugin>(
    plugin: *const clap_plugin,
    index: u32,
    info: *mut clap_param_info,
) -> bool {
    if !forward_params!(plugin, get_info, false, index, info) {
        return false;
    }
    // SAFETY: the wrapper filled the host's `info`.
    let info = unsafe { &mut *info };
    let relay = unsafe { relay::<P>(plugin) };
    if relay.output_ids[..relay.output_count].contains(&info.id) {
        info.flags =
            (info.flags & (CLAP_PARAM_IS_STEPPED | CLAP_PARAM_IS_HIDDEN)) | CLAP_PARAM_IS_READONLY;
    }
    true
}

unsafe extern "C" fn params_get_value<P: ClapPlugin>(
    plugin: *const clap_plugin,
    id: clap_id,
    value: *mut f64,
) -> bool {
    forward_params!(plugin, get_value, false, id, value)
}

unsafe extern "C" fn params_value_to_text<P: ClapPlugin>(
    plugin: *const clap_plugin,
    id: clap_id,
    value: f64,
    text: *mut c_char,
    capacity: u32,
) -> bool {
    forward_params!(plugin, value_to_text, false, id, value, text, capacity)
}

unsafe extern "C" fn params_text_to_value<P: ClapPlugin>(
    plugin: *const clap_plugin,
    id: clap_id,
    text: *const c_char,
    value: *mut f64,
) -> bool {
    forward_params!(plugin, text_to_value, false, id, text, value)
}

unsafe extern "C" fn params_flush<P: ClapPlugin>(
    plugin: *const clap_plugin,
    input: *const clap_input_events,
    output: *const clap_output_events,
) {
    forward_params!(plugin, flush, (), input, output)
}

unsafe extern "C" fn on_main_thread<P: ClapPlugin>(plugin: *const clap_plugin) {
    forward!(plugin, on_main_thread, ())
}

/// The host's output event list, with the time of the last event pushed through it.
#[repr(C)]
struct TimedOutput {
    /// The list handed to the wrapper; must stay the first field.
    list: clap_output_events,
    host: *const clap_output_events,
    last_time: Cell<u32>,
}

unsafe extern "C" fn timed_try_push(
    list: *const clap_output_events,
    event: *const clap_event_header,
) -> bool {
    // SAFETY: `list` is the first field of a live `TimedOutput` (see `process`).
    let timed = unsafe { &*(list as *const TimedOutput) };
    // SAFETY: the wrapper pushes valid events; the host's list is valid during `process`.
    unsafe {
        timed
            .last_time
            .set(timed.last_time.get().max((*event).time));
        match (*timed.host).try_push {
            Some(push) => push(timed.host, event),
            None => false,
        }
    }
}

/// A fixed list of parameter events, as `clap_input_events`.
#[repr(C)]
struct EventList<'a> {
    /// Must stay the first field.
    list: clap_input_events,
    events: &'a [clap_event_param_value],
}

unsafe extern "C" fn event_list_size(list: *const clap_input_events) -> u32 {
    // SAFETY: `list` is the first field of a live `EventList`.
    let list = unsafe { &*(list as *const EventList) };
    list.events.len() as u32
}

unsafe extern "C" fn event_list_get(
    list: *const clap_input_events,
    index: u32,
) -> *const clap_event_header {
    // SAFETY: as above.
    let events = unsafe { (*(list as *const EventList)).events };
    events
        .get(index as usize)
        .map_or(std::ptr::null(), |e| &e.header as *const clap_event_header)
}

unsafe extern "C" fn process<P: ClapPlugin>(
    plugin: *const clap_plugin,
    process: *const clap_process,
) -> clap_process_status {
    if plugin.is_null() || process.is_null() {
        return CLAP_PROCESS_ERROR;
    }
    // SAFETY: the host calls with the pointer `create_plugin` returned, and a valid `process`.
    let (relay, host_process) = unsafe { (relay::<P>(plugin), &*process) };
    let Some(inner_process) = (unsafe { (*relay.inner).process }) else {
        return CLAP_PROCESS_ERROR;
    };
    let timed = TimedOutput {
        list: clap_output_events {
            ctx: std::ptr::null_mut(),
            try_push: Some(timed_try_push),
        },
        host: host_process.out_events,
        last_time: Cell::new(0),
    };
    let mut forwarded = *host_process;
    if !host_process.out_events.is_null() {
        forwarded.out_events = &timed.list;
    }
    // SAFETY: the wrapper's `process`, with the host's data and the list that forwards to the
    // host's; `timed` outlives the call.
    let status = unsafe { inner_process(relay.inner, &forwarded) };
    if status != CLAP_PROCESS_ERROR && !host_process.out_events.is_null() {
        let last = host_process.frames_count.saturating_sub(1);
        // SAFETY: on the audio thread, during the host's `process`, with the host's list.
        unsafe { relay.report(host_process.out_events, timed.last_time.get(), last) };
    }
    status
}

impl<P: ClapPlugin> Relay<P> {
    /// Reports the output values stored during the block just processed: sets the parameters
    /// through the wrapper and pushes the events to `out`, at the change's offset but not before
    /// `earliest` nor after `last`. Never blocks or allocates.
    ///
    /// # Safety
    /// Audio thread, inside the host's `process`; `out` is the host's valid output list.
    unsafe fn report(&self, out: *const clap_output_events, earliest: u32, last: u32) {
        let disarm = self.outputs.take_disarm();
        let fresh = self.outputs.take_fresh();
        if fresh.is_none() && disarm.is_none() {
            return;
        }
        let time = fresh.unwrap_or(last).min(last).max(earliest);
        // SAFETY: the wrapper lives until the host calls `destroy`.
        let wrapper = unsafe { &*self.wrapper };
        let blank = clap_event_param_value {
            header: clap_event_header {
                size: std::mem::size_of::<clap_event_param_value>() as u32,
                time,
                space_id: CLAP_CORE_EVENT_SPACE_ID,
                type_: CLAP_EVENT_PARAM_VALUE,
                flags: CLAP_EVENT_IS_LIVE,
            },
            param_id: 0,
            cookie: std::ptr::null_mut(),
            note_id: -1,
            port_index: -1,
            channel: -1,
            key: -1,
            value: 0.0,
        };
        // The outputs, and `Train` going Off when the train-count limit stopped the recording.
        let mut events = [blank; MAX_OUTPUTS + 1];
        let mut count = 0;
        if let Some(id) = disarm.and_then(|train| wrapper.param_ptr_to_hash.get(&train)) {
            events[count].param_id = *id;
            events[count].value = 0.0;
            count += 1;
        }
        let outputs = self.outputs.params().iter().enumerate();
        for (slot, param) in outputs.filter(|_| fresh.is_some()) {
            let value = self.outputs.value(slot);
            if !value.is_finite() {
                continue;
            }
            let Some(&id) = wrapper.param_ptr_to_hash.get(param) else {
                continue;
            };
            // SAFETY: the parameter belongs to the wrapper's plugin, alive as long as it.
            let steps = unsafe { param.step_count() }.unwrap_or(1) as f64;
            events[count].param_id = id;
            events[count].value = value.clamp(0.0, 1.0) as f64 * steps;
            count += 1;
        }
        let events = &events[..count];
        let list = EventList {
            list: clap_input_events {
                ctx: std::ptr::null_mut(),
                size: Some(event_list_size),
                get: Some(event_list_get),
            },
            events,
        };
        // SAFETY: `list` holds valid parameter events for the wrapper's own parameters; this is
        // how the wrapper itself applies the host's automation, on this thread.
        unsafe { wrapper.handle_in_events(&list.list, 0, last as usize + 1) };
        // SAFETY: the host's list is valid during `process`.
        if let Some(push) = unsafe { (*out).try_push } {
            for event in events {
                // NOTE: a full host list only loses this block's report; the parameters hold
                // the values, and the next report carries them again.
                let _ = unsafe { push(out, &event.header) };
            }
        }
    }
}

/// Exports `clap_entry` for one plugin type, as `nice_export_clap!` does, but with instances
/// created by [`create_plugin`].
#[macro_export]
macro_rules! export_clap_with_outputs {
    ($plugin:ty) => {
        #[doc(hidden)]
        mod clap_export {
            use super::*;
            use ::nice_plug::wrapper::clap::{
                clap_host, clap_plugin, clap_plugin_descriptor, clap_plugin_factory,
                PluginDescriptor, CLAP_PLUGIN_FACTORY_ID,
            };
            use ::std::ffi::{c_char, c_void, CStr};
            use ::std::sync::OnceLock;

            /// The plugin's descriptor, built on first use.
            fn descriptor() -> &'static PluginDescriptor {
                static DESCRIPTOR: OnceLock<PluginDescriptor> = OnceLock::new();
                DESCRIPTOR.get_or_init(PluginDescriptor::for_plugin::<$plugin>)
            }

            /// The factory the host gets from `get_factory`.
            static FACTORY: clap_plugin_factory = clap_plugin_factory {
                get_plugin_count: Some(get_plugin_count),
                get_plugin_descriptor: Some(get_plugin_descriptor),
                create_plugin: Some(create_plugin),
            };

            unsafe extern "C" fn get_plugin_count(_factory: *const clap_plugin_factory) -> u32 {
                1
            }

            unsafe extern "C" fn get_plugin_descriptor(
                _factory: *const clap_plugin_factory,
                index: u32,
            ) -> *const clap_plugin_descriptor {
                match index {
                    0 => descriptor().clap_plugin_descriptor(),
                    _ => ::std::ptr::null(),
                }
            }

            unsafe extern "C" fn create_plugin(
                _factory: *const clap_plugin_factory,
                host: *const clap_host,
                plugin_id: *const c_char,
            ) -> *const clap_plugin {
                if host.is_null() || plugin_id.is_null() {
                    return ::std::ptr::null();
                }
                // SAFETY: the host passes a NUL-terminated id.
                if unsafe { CStr::from_ptr(plugin_id) } != descriptor().clap_id() {
                    return ::std::ptr::null();
                }
                // SAFETY: `host` is the host's pointer, valid for the instance's life.
                unsafe { $crate::clap_entry::create_plugin::<$plugin>(host) }
            }

            pub extern "C" fn init(_plugin_path: *const c_char) -> bool {
                ::nice_plug::wrapper::setup_logger::<$plugin>();
                true
            }

            pub extern "C" fn deinit() {}

            pub extern "C" fn get_factory(factory_id: *const c_char) -> *const c_void {
                // SAFETY: the host passes a NUL-terminated id.
                if !factory_id.is_null()
                    && unsafe { CStr::from_ptr(factory_id) } == CLAP_PLUGIN_FACTORY_ID
                {
                    &FACTORY as *const clap_plugin_factory as *const c_void
                } else {
                    ::std::ptr::null()
                }
            }
        }

        /// The CLAP entry point.
        #[no_mangle]
        #[used]
        pub static clap_entry: ::nice_plug::wrapper::clap::clap_plugin_entry =
            ::nice_plug::wrapper::clap::clap_plugin_entry {
                clap_version: ::nice_plug::wrapper::clap::CLAP_VERSION,
                init: Some(self::clap_export::init),
                deinit: Some(self::clap_export::deinit),
                get_factory: Some(self::clap_export::get_factory),
            };
    };
}
