//! Timbrel's own VST3 factory, used instead of `nice_export_vst3!`, so that the output parameters
//! reach the host from the first hit on, with or without the editor.
//!
//! nice-plug's VST3 wrapper never writes `ProcessData::outputParameterChanges`, and its only
//! public route to the host for a parameter change is the editor's `GuiContext` (`performEdit`,
//! which hosts record as automation). So the factory here creates nice-plug's `Wrapper` with its
//! public `Wrapper::new` and hands the host a [`Relay`]: a COM object with the same interfaces,
//! each method forwarding to the wrapper's, except two:
//!
//! - `IAudioProcessor::process`: after the wrapper's, the values the plugin stored in its
//!   [`HostOutputs`] during the block go into the host's `outputParameterChanges`, one point per
//!   output parameter (every one after a hit), at the hit's
//!   sample offset: the VST3 route for read-only output parameters. Lock- and allocation-free
//!   (the host owns the queues).
//! - `IEditController::getParamNormalized`: for an output parameter, the last reported value, so
//!   that a host reading values back agrees with what it was told.
//!
//! Unlike the CLAP relay, this one cannot hand the values to the wrapper's parameters themselves
//! (nice-plug applies input parameter changes only from the host's `process` data), so the
//! plugin's own `.value()` of an output parameter, and the project state, keep the value the
//! editor route last set (see [`crate::publish`]); nothing in the plugin reads them.
//!
//! Not done: asking the host to read the values again after each hit
//! (`restartComponent(kParamValuesChanged)`) for hosts that ignore output parameter changes, as
//! JUCE does (it hands them to the edit controller only). It must run on the host's UI thread,
//! which a plugin without its editor open only reaches through nice-plug's own event loop thread;
//! in pedalboard, which runs no message loop, JUCE's `restartComponent` called there never
//! returned.

use crate::host_outputs::{HostOutputs, MAX_OUTPUTS};
use atomic_float::AtomicF32;
use nice_plug::prelude::Vst3Plugin;
use nice_plug::wrapper::vst3::vst3::Steinberg::Vst::ChannelContext::*;
use nice_plug::wrapper::vst3::vst3::Steinberg::Vst::*;
use nice_plug::wrapper::vst3::vst3::Steinberg::*;
use nice_plug::wrapper::vst3::vst3::{Class, ComPtr, ComRef, ComWrapper};
use nice_plug::wrapper::vst3::Wrapper;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The VST3 object the host holds instead of nice-plug's wrapper.
pub struct Relay<P: Vst3Plugin> {
    component: ComPtr<IComponent>,
    controller: ComPtr<IEditController>,
    processor: ComPtr<IAudioProcessor>,
    midi_mapping: ComPtr<IMidiMapping>,
    note_expressions: ComPtr<INoteExpressionController>,
    context_requirements: ComPtr<IProcessContextRequirements>,
    units: ComPtr<IUnitInfo>,
    info_listener: ComPtr<IInfoListener>,
    /// The instance's output values.
    outputs: Arc<HostOutputs>,
    /// The wrapper's parameter ids by title (read once, when the relay is made); titles listed
    /// twice are left out.
    ids_by_title: HashMap<String, ParamID>,
    /// The normalized value last reported per slot (audio thread only).
    reported: [AtomicF32; MAX_OUTPUTS],
    _plugin: std::marker::PhantomData<fn() -> P>,
}

impl<P: Vst3Plugin> Class for Relay<P> {
    type Interfaces = (
        IComponent,
        IEditController,
        IAudioProcessor,
        IMidiMapping,
        INoteExpressionController,
        IProcessContextRequirements,
        IUnitInfo,
        IInfoListener,
    );
}

/// Decodes a VST3 UTF-16 string up to its NUL.
fn decode(text: &[TChar]) -> String {
    let len = text.iter().position(|&c| c == 0).unwrap_or(text.len());
    String::from_utf16_lossy(&text[..len])
}

impl<P: Vst3Plugin + 'static> Relay<P> {
    /// A new plugin instance behind a relay; `None` if the wrapper lacks an interface.
    pub fn new() -> Option<Self> {
        let outputs = HostOutputs::prepare();
        // `Wrapper::new` builds the plugin on this thread, where its `HostOutputs::claim`
        // finds `outputs`.
        let wrapper = ComWrapper::new(Wrapper::<P>::new());
        HostOutputs::withdraw();
        let controller = wrapper.to_com_ptr::<IEditController>()?;
        let mut ids_by_title: HashMap<String, Option<ParamID>> = HashMap::new();
        // SAFETY: the wrapper's own controller, on the thread that created it.
        unsafe {
            for index in 0..controller.getParameterCount() {
                let mut info: ParameterInfo = std::mem::zeroed();
                if controller.getParameterInfo(index, &mut info) == kResultOk {
                    ids_by_title
                        .entry(decode(&info.title))
                        .and_modify(|id| *id = None)
                        .or_insert(Some(info.id));
                }
            }
        }
        Some(Self {
            component: wrapper.to_com_ptr()?,
            controller,
            processor: wrapper.to_com_ptr()?,
            midi_mapping: wrapper.to_com_ptr()?,
            note_expressions: wrapper.to_com_ptr()?,
            context_requirements: wrapper.to_com_ptr()?,
            units: wrapper.to_com_ptr()?,
            info_listener: wrapper.to_com_ptr()?,
            outputs,
            ids_by_title: ids_by_title
                .into_iter()
                .filter_map(|(title, id)| Some((title, id?)))
                .collect(),
            reported: std::array::from_fn(|_| AtomicF32::new(f32::NAN)),
            _plugin: std::marker::PhantomData,
        })
    }

    /// The VST3 id of output slot `slot`'s parameter.
    fn id_of(&self, slot: usize) -> Option<ParamID> {
        let param = self.outputs.params().get(slot)?;
        // SAFETY: the parameter belongs to the wrapper's plugin, alive as long as the relay.
        self.ids_by_title.get(unsafe { param.name() }).copied()
    }

    /// Writes the output values stored during the block just processed into the host's output
    /// parameter changes. Never blocks or allocates.
    ///
    /// # Safety
    /// Audio thread, inside the host's `process`, with its valid `data`.
    unsafe fn report(&self, data: &ProcessData) {
        let Some(hit_offset) = self.outputs.take_fresh() else {
            return;
        };
        // SAFETY: the host's list, valid during `process` (or null).
        let Some(changes) = (unsafe { ComRef::from_raw(data.outputParameterChanges) }) else {
            return;
        };
        let offset = hit_offset.min(data.numSamples.max(1) as u32 - 1) as int32;
        for slot in 0..self.outputs.params().len() {
            let value = self.outputs.value(slot);
            let reported = &self.reported[slot];
            if !value.is_finite() {
                continue;
            }
            let Some(id) = self.id_of(slot) else {
                continue;
            };
            let mut index = 0;
            // SAFETY: the host's list and queue, valid during `process`.
            unsafe {
                let queue = changes.addParameterData(&id, &mut index);
                if let Some(queue) = ComRef::from_raw(queue) {
                    let mut point = 0;
                    // NOTE: a full queue only loses this block's report.
                    let _ = queue.addPoint(offset, value.clamp(0.0, 1.0) as ParamValue, &mut point);
                }
            }
            reported.store(value, Ordering::Relaxed);
        }
    }
}

impl<P: Vst3Plugin + 'static> IAudioProcessorTrait for Relay<P> {
    unsafe fn process(&self, data: *mut ProcessData) -> tresult {
        let result = unsafe { self.processor.process(data) };
        if result == kResultOk && !data.is_null() {
            // SAFETY: the host's data, valid during this call.
            unsafe { self.report(&*data) };
        }
        result
    }
    unsafe fn setBusArrangements(
        &self,
        inputs: *mut SpeakerArrangement,
        num_ins: int32,
        outputs: *mut SpeakerArrangement,
        num_outs: int32,
    ) -> tresult {
        unsafe {
            self.processor
                .setBusArrangements(inputs, num_ins, outputs, num_outs)
        }
    }
    unsafe fn getBusArrangement(
        &self,
        dir: BusDirection,
        index: int32,
        arr: *mut SpeakerArrangement,
    ) -> tresult {
        unsafe { self.processor.getBusArrangement(dir, index, arr) }
    }
    unsafe fn canProcessSampleSize(&self, symbolic_sample_size: int32) -> tresult {
        unsafe { self.processor.canProcessSampleSize(symbolic_sample_size) }
    }
    unsafe fn getLatencySamples(&self) -> uint32 {
        unsafe { self.processor.getLatencySamples() }
    }
    unsafe fn setupProcessing(&self, setup: *mut ProcessSetup) -> tresult {
        unsafe { self.processor.setupProcessing(setup) }
    }
    unsafe fn setProcessing(&self, state: TBool) -> tresult {
        unsafe { self.processor.setProcessing(state) }
    }
    unsafe fn getTailSamples(&self) -> uint32 {
        unsafe { self.processor.getTailSamples() }
    }
}
impl<P: Vst3Plugin + 'static> IPluginBaseTrait for Relay<P> {
    unsafe fn initialize(&self, context: *mut FUnknown) -> tresult {
        unsafe { self.component.initialize(context) }
    }
    unsafe fn terminate(&self) -> tresult {
        unsafe { self.component.terminate() }
    }
}

impl<P: Vst3Plugin + 'static> IComponentTrait for Relay<P> {
    unsafe fn getControllerClassId(&self, class_id: *mut TUID) -> tresult {
        unsafe { self.component.getControllerClassId(class_id) }
    }
    unsafe fn setIoMode(&self, mode: IoMode) -> tresult {
        unsafe { self.component.setIoMode(mode) }
    }
    unsafe fn getBusCount(&self, r#type: MediaType, dir: BusDirection) -> int32 {
        unsafe { self.component.getBusCount(r#type, dir) }
    }
    unsafe fn getBusInfo(
        &self,
        r#type: MediaType,
        dir: BusDirection,
        index: int32,
        bus: *mut BusInfo,
    ) -> tresult {
        unsafe { self.component.getBusInfo(r#type, dir, index, bus) }
    }
    unsafe fn getRoutingInfo(
        &self,
        in_info: *mut RoutingInfo,
        out_info: *mut RoutingInfo,
    ) -> tresult {
        unsafe { self.component.getRoutingInfo(in_info, out_info) }
    }
    unsafe fn activateBus(
        &self,
        r#type: MediaType,
        dir: BusDirection,
        index: int32,
        state: TBool,
    ) -> tresult {
        unsafe { self.component.activateBus(r#type, dir, index, state) }
    }
    unsafe fn setActive(&self, state: TBool) -> tresult {
        unsafe { self.component.setActive(state) }
    }
    unsafe fn setState(&self, state: *mut IBStream) -> tresult {
        unsafe { self.component.setState(state) }
    }
    unsafe fn getState(&self, state: *mut IBStream) -> tresult {
        unsafe { self.component.getState(state) }
    }
}

impl<P: Vst3Plugin + 'static> IEditControllerTrait for Relay<P> {
    unsafe fn getParamNormalized(&self, id: ParamID) -> ParamValue {
        let slot = (0..self.outputs.params().len()).find(|&s| self.id_of(s) == Some(id));
        match slot.map(|s| self.outputs.value(s)) {
            Some(value) if value.is_finite() => value as ParamValue,
            _ => unsafe { self.controller.getParamNormalized(id) },
        }
    }
    unsafe fn setComponentState(&self, state: *mut IBStream) -> tresult {
        unsafe { self.controller.setComponentState(state) }
    }
    unsafe fn setState(&self, state: *mut IBStream) -> tresult {
        unsafe { self.controller.setState(state) }
    }
    unsafe fn getState(&self, state: *mut IBStream) -> tresult {
        unsafe { self.controller.getState(state) }
    }
    unsafe fn getParameterCount(&self) -> int32 {
        unsafe { self.controller.getParameterCount() }
    }
    /// The wrapper's parameter info, with the output parameters read-only and not automatable
    /// (the plugin's output: hosts show them but neither automate nor set them).
    unsafe fn getParameterInfo(&self, param_index: int32, info: *mut ParameterInfo) -> tresult {
        let result = unsafe { self.controller.getParameterInfo(param_index, info) };
        if result == kResultOk && !info.is_null() {
            // SAFETY: the wrapper filled the host's `info`.
            let info = unsafe { &mut *info };
            let output = (0..self.outputs.params().len()).any(|s| self.id_of(s) == Some(info.id));
            if output {
                use ParameterInfo_::ParameterFlags_::{kCanAutomate, kIsReadOnly};
                info.flags = (info.flags & !kCanAutomate) | kIsReadOnly;
            }
        }
        result
    }
    unsafe fn getParamStringByValue(
        &self,
        id: ParamID,
        value_normalized: ParamValue,
        string: *mut String128,
    ) -> tresult {
        unsafe {
            self.controller
                .getParamStringByValue(id, value_normalized, string)
        }
    }
    unsafe fn getParamValueByString(
        &self,
        id: ParamID,
        string: *mut TChar,
        value_normalized: *mut ParamValue,
    ) -> tresult {
        unsafe {
            self.controller
                .getParamValueByString(id, string, value_normalized)
        }
    }
    unsafe fn normalizedParamToPlain(
        &self,
        id: ParamID,
        value_normalized: ParamValue,
    ) -> ParamValue {
        unsafe { self.controller.normalizedParamToPlain(id, value_normalized) }
    }
    unsafe fn plainParamToNormalized(&self, id: ParamID, plain_value: ParamValue) -> ParamValue {
        unsafe { self.controller.plainParamToNormalized(id, plain_value) }
    }
    unsafe fn setParamNormalized(&self, id: ParamID, value: ParamValue) -> tresult {
        unsafe { self.controller.setParamNormalized(id, value) }
    }
    unsafe fn setComponentHandler(&self, handler: *mut IComponentHandler) -> tresult {
        unsafe { self.controller.setComponentHandler(handler) }
    }
    unsafe fn createView(&self, name: FIDString) -> *mut IPlugView {
        unsafe { self.controller.createView(name) }
    }
}

impl<P: Vst3Plugin + 'static> IMidiMappingTrait for Relay<P> {
    unsafe fn getMidiControllerAssignment(
        &self,
        bus_index: int32,
        channel: int16,
        midi_controller_number: CtrlNumber,
        id: *mut ParamID,
    ) -> tresult {
        unsafe {
            self.midi_mapping.getMidiControllerAssignment(
                bus_index,
                channel,
                midi_controller_number,
                id,
            )
        }
    }
}

impl<P: Vst3Plugin + 'static> INoteExpressionControllerTrait for Relay<P> {
    unsafe fn getNoteExpressionCount(&self, bus_index: int32, channel: int16) -> int32 {
        unsafe {
            self.note_expressions
                .getNoteExpressionCount(bus_index, channel)
        }
    }
    unsafe fn getNoteExpressionInfo(
        &self,
        bus_index: int32,
        channel: int16,
        note_expression_index: int32,
        info: *mut NoteExpressionTypeInfo,
    ) -> tresult {
        unsafe {
            self.note_expressions.getNoteExpressionInfo(
                bus_index,
                channel,
                note_expression_index,
                info,
            )
        }
    }
    unsafe fn getNoteExpressionStringByValue(
        &self,
        bus_index: int32,
        channel: int16,
        id: NoteExpressionTypeID,
        value_normalized: NoteExpressionValue,
        string: *mut String128,
    ) -> tresult {
        unsafe {
            self.note_expressions.getNoteExpressionStringByValue(
                bus_index,
                channel,
                id,
                value_normalized,
                string,
            )
        }
    }
    unsafe fn getNoteExpressionValueByString(
        &self,
        bus_index: int32,
        channel: int16,
        id: NoteExpressionTypeID,
        string: *const TChar,
        value_normalized: *mut NoteExpressionValue,
    ) -> tresult {
        unsafe {
            self.note_expressions.getNoteExpressionValueByString(
                bus_index,
                channel,
                id,
                string,
                value_normalized,
            )
        }
    }
}

impl<P: Vst3Plugin + 'static> IProcessContextRequirementsTrait for Relay<P> {
    unsafe fn getProcessContextRequirements(&self) -> uint32 {
        unsafe { self.context_requirements.getProcessContextRequirements() }
    }
}

impl<P: Vst3Plugin + 'static> IUnitInfoTrait for Relay<P> {
    unsafe fn getUnitCount(&self) -> int32 {
        unsafe { self.units.getUnitCount() }
    }
    unsafe fn getUnitInfo(&self, unit_index: int32, info: *mut UnitInfo) -> tresult {
        unsafe { self.units.getUnitInfo(unit_index, info) }
    }
    unsafe fn getProgramListCount(&self) -> int32 {
        unsafe { self.units.getProgramListCount() }
    }
    unsafe fn getProgramListInfo(&self, list_index: int32, info: *mut ProgramListInfo) -> tresult {
        unsafe { self.units.getProgramListInfo(list_index, info) }
    }
    unsafe fn getProgramName(
        &self,
        list_id: ProgramListID,
        program_index: int32,
        name: *mut String128,
    ) -> tresult {
        unsafe { self.units.getProgramName(list_id, program_index, name) }
    }
    unsafe fn getProgramInfo(
        &self,
        list_id: ProgramListID,
        program_index: int32,
        attribute_id: nice_plug::wrapper::vst3::vst3::Steinberg::Vst::CString,
        attribute_value: *mut String128,
    ) -> tresult {
        unsafe {
            self.units
                .getProgramInfo(list_id, program_index, attribute_id, attribute_value)
        }
    }
    unsafe fn hasProgramPitchNames(&self, list_id: ProgramListID, program_index: int32) -> tresult {
        unsafe { self.units.hasProgramPitchNames(list_id, program_index) }
    }
    unsafe fn getProgramPitchName(
        &self,
        list_id: ProgramListID,
        program_index: int32,
        midi_pitch: int16,
        name: *mut String128,
    ) -> tresult {
        unsafe {
            self.units
                .getProgramPitchName(list_id, program_index, midi_pitch, name)
        }
    }
    unsafe fn getSelectedUnit(&self) -> UnitID {
        unsafe { self.units.getSelectedUnit() }
    }
    unsafe fn selectUnit(&self, unit_id: UnitID) -> tresult {
        unsafe { self.units.selectUnit(unit_id) }
    }
    unsafe fn getUnitByBus(
        &self,
        r#type: MediaType,
        dir: BusDirection,
        bus_index: int32,
        channel: int32,
        unit_id: *mut UnitID,
    ) -> tresult {
        unsafe {
            self.units
                .getUnitByBus(r#type, dir, bus_index, channel, unit_id)
        }
    }
    unsafe fn setUnitProgramData(
        &self,
        list_or_unit_id: int32,
        program_index: int32,
        data: *mut IBStream,
    ) -> tresult {
        unsafe {
            self.units
                .setUnitProgramData(list_or_unit_id, program_index, data)
        }
    }
}

impl<P: Vst3Plugin + 'static> IInfoListenerTrait for Relay<P> {
    unsafe fn setChannelContextInfos(&self, list: *mut IAttributeList) -> tresult {
        unsafe { self.info_listener.setChannelContextInfos(list) }
    }
}

/// The plugin factory: nice-plug's class descriptions, instances made by [`Relay::new`].
pub struct Factory<P: Vst3Plugin> {
    info: nice_plug::wrapper::vst3::PluginInfo,
    _plugin: std::marker::PhantomData<fn() -> P>,
}

impl<P: Vst3Plugin> Class for Factory<P> {
    type Interfaces = (IPluginFactory, IPluginFactory2, IPluginFactory3);
}

impl<P: Vst3Plugin> Default for Factory<P> {
    fn default() -> Self {
        Self {
            info: nice_plug::wrapper::vst3::PluginInfo::for_plugin::<P>(),
            _plugin: std::marker::PhantomData,
        }
    }
}

impl<P: Vst3Plugin + 'static> IPluginFactoryTrait for Factory<P> {
    unsafe fn getFactoryInfo(&self, info: *mut PFactoryInfo) -> tresult {
        if info.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: checked above; the host's struct.
        unsafe { *info = self.info.create_factory_info() };
        kResultOk
    }

    unsafe fn countClasses(&self) -> int32 {
        1
    }

    unsafe fn getClassInfo(&self, index: int32, info: *mut PClassInfo) -> tresult {
        if index != 0 || info.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: as above.
        unsafe { *info = self.info.create_class_info() };
        kResultOk
    }

    unsafe fn createInstance(
        &self,
        cid: FIDString,
        iid: FIDString,
        obj: *mut *mut std::ffi::c_void,
    ) -> tresult {
        if cid.is_null() || obj.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: the host passes a 16-byte class id.
        if unsafe { &*(cid as *const [u8; 16]) } != self.info.cid {
            return kInvalidArgument;
        }
        let Some(relay) = Relay::<P>::new() else {
            return kResultFalse;
        };
        let relay = ComWrapper::new(relay);
        let Some(unknown) = relay.as_com_ref::<FUnknown>() else {
            return kResultFalse;
        };
        let ptr = unknown.as_ptr();
        // SAFETY: the relay's own `queryInterface`, with the host's out pointer.
        unsafe { ((*(*ptr).vtbl).queryInterface)(ptr, iid as *const TUID, obj) }
    }
}

impl<P: Vst3Plugin + 'static> IPluginFactory2Trait for Factory<P> {
    unsafe fn getClassInfo2(&self, index: int32, info: *mut PClassInfo2) -> tresult {
        if index != 0 || info.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: as above.
        unsafe { *info = self.info.create_class_info_2() };
        kResultOk
    }
}

impl<P: Vst3Plugin + 'static> IPluginFactory3Trait for Factory<P> {
    unsafe fn getClassInfoUnicode(&self, index: int32, info: *mut PClassInfoW) -> tresult {
        if index != 0 || info.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: as above.
        unsafe { *info = self.info.create_class_info_unicode() };
        kResultOk
    }

    unsafe fn setHostContext(&self, _context: *mut FUnknown) -> tresult {
        kResultOk
    }
}

/// A new factory for `P`, as the raw `IPluginFactory` pointer `GetPluginFactory` returns.
pub fn plugin_factory<P: Vst3Plugin + 'static>() -> *mut std::ffi::c_void {
    match ComWrapper::new(Factory::<P>::default()).to_com_ptr::<IPluginFactory>() {
        Some(factory) => factory.into_raw() as *mut std::ffi::c_void,
        None => std::ptr::null_mut(),
    }
}

/// Exports the VST3 entry points for one plugin type, as `nice_export_vst3!` does, but with
/// instances behind a [`Relay`].
#[macro_export]
macro_rules! export_vst3_with_outputs {
    ($plugin:ty) => {
        /// The VST3 plugin factory entry point.
        #[no_mangle]
        pub extern "system" fn GetPluginFactory() -> *mut ::std::ffi::c_void {
            $crate::vst3_entry::plugin_factory::<$plugin>()
        }

        /// Module entry point (Linux and the BSDs).
        #[no_mangle]
        #[cfg(all(target_family = "unix", not(target_os = "macos")))]
        pub extern "C" fn ModuleEntry(_lib_handle: *mut ::std::ffi::c_void) -> bool {
            ::nice_plug::wrapper::setup_logger::<$plugin>();
            true
        }

        /// Module exit point (Linux and the BSDs).
        #[no_mangle]
        #[cfg(all(target_family = "unix", not(target_os = "macos")))]
        pub extern "C" fn ModuleExit() -> bool {
            true
        }

        /// Bundle entry point (macOS).
        #[no_mangle]
        #[cfg(target_os = "macos")]
        pub extern "C" fn bundleEntry(_lib_handle: *mut ::std::ffi::c_void) -> bool {
            ::nice_plug::wrapper::setup_logger::<$plugin>();
            true
        }

        /// Bundle exit point (macOS).
        #[no_mangle]
        #[cfg(target_os = "macos")]
        pub extern "C" fn bundleExit() -> bool {
            true
        }

        /// DLL entry point (Windows).
        #[no_mangle]
        #[cfg(target_os = "windows")]
        pub extern "system" fn InitDll() -> bool {
            ::nice_plug::wrapper::setup_logger::<$plugin>();
            true
        }

        /// DLL exit point (Windows).
        #[no_mangle]
        #[cfg(target_os = "windows")]
        pub extern "system" fn ExitDll() -> bool {
            true
        }
    };
}
