//! The VST3 export's relay in process (issue #16): a minimal host written against the VST3 ABI
//! creates Timbrel through `vst3_entry::Relay`, as the exported factory does, and plays drum hits
//! through the relay's `process` with every call under `assert_no_alloc` (the wrapper, the plugin
//! and the relay's report together). Each block with a hit must bring one point per output
//! parameter in the host's `outputParameterChanges`, at the hit's sample, and `getParamNormalized`
//! must answer the reported values.

mod common;

use nice_plug::wrapper::vst3::vst3::Steinberg::Vst::*;
use nice_plug::wrapper::vst3::vst3::Steinberg::*;
use nice_plug::wrapper::vst3::vst3::{Class, ComWrapper};
use std::cell::{Cell, RefCell};
use timbrel::vst3_entry::Relay;
use timbrel::Timbrel;
use timbrel_core::synth::{Performance, PerformanceSpec};

/// Most parameters the host's output list takes per block.
const QUEUES: usize = 64;

/// One parameter's points, as a host's `IParamValueQueue`.
struct Queue {
    id: Cell<ParamID>,
    points: RefCell<Vec<(int32, ParamValue)>>,
}

impl Class for Queue {
    type Interfaces = (IParamValueQueue,);
}

impl IParamValueQueueTrait for Queue {
    unsafe fn getParameterId(&self) -> ParamID {
        self.id.get()
    }
    unsafe fn getPointCount(&self) -> int32 {
        self.points.borrow().len() as int32
    }
    unsafe fn getPoint(&self, index: int32, offset: *mut int32, value: *mut ParamValue) -> tresult {
        match self.points.borrow().get(index as usize) {
            Some(&(o, v)) => {
                unsafe { (*offset, *value) = (o, v) };
                kResultOk
            }
            None => kInvalidArgument,
        }
    }
    unsafe fn addPoint(&self, offset: int32, value: ParamValue, index: *mut int32) -> tresult {
        let mut points = self.points.borrow_mut();
        if points.len() == points.capacity() {
            return kResultFalse;
        }
        points.push((offset, value));
        unsafe { *index = points.len() as int32 - 1 };
        kResultOk
    }
}

/// The host's output parameter changes, with every queue made up front.
struct Changes {
    queues: Vec<ComWrapper<Queue>>,
    used: Cell<usize>,
}

impl Class for Changes {
    type Interfaces = (IParameterChanges,);
}

impl IParameterChangesTrait for Changes {
    unsafe fn getParameterCount(&self) -> int32 {
        self.used.get() as int32
    }
    unsafe fn getParameterData(&self, index: int32) -> *mut IParamValueQueue {
        match self.queues.get(index as usize) {
            Some(q) if (index as usize) < self.used.get() => {
                q.as_com_ref::<IParamValueQueue>().unwrap().as_ptr()
            }
            _ => std::ptr::null_mut(),
        }
    }
    unsafe fn addParameterData(
        &self,
        id: *const ParamID,
        index: *mut int32,
    ) -> *mut IParamValueQueue {
        let id = unsafe { *id };
        let used = self.used.get();
        let found = (0..used).find(|&i| self.queues[i].id.get() == id);
        let i = match found {
            Some(i) => i,
            None if used < self.queues.len() => {
                self.queues[used].id.set(id);
                self.used.set(used + 1);
                used
            }
            None => return std::ptr::null_mut(),
        };
        unsafe { *index = i as int32 };
        self.queues[i]
            .as_com_ref::<IParamValueQueue>()
            .unwrap()
            .as_ptr()
    }
}

impl Changes {
    fn clear(&self) {
        for q in &self.queues[..self.used.get()] {
            q.points.borrow_mut().clear();
        }
        self.used.set(0);
    }
}

#[test]
fn the_relay_writes_every_hit_into_output_parameter_changes_without_allocating() {
    let sample_rate = 44_100.0;
    let block = 512usize;
    let relay = ComWrapper::new(Relay::<Timbrel>::new().expect("relay"));
    let component = relay.to_com_ptr::<IComponent>().unwrap();
    let processor = relay.to_com_ptr::<IAudioProcessor>().unwrap();
    let controller = relay.to_com_ptr::<IEditController>().unwrap();
    // The output parameters' ids, by title, as a host lists them.
    let mut outputs = Vec::new();
    unsafe {
        for index in 0..controller.getParameterCount() {
            let mut info: ParameterInfo = std::mem::zeroed();
            assert_eq!(controller.getParameterInfo(index, &mut info), kResultOk);
            let len = info.title.iter().position(|&c| c == 0).unwrap();
            let title: String = info.title[..len].iter().map(|&c| c as u8 as char).collect();
            let read_only = info.flags & ParameterInfo_::ParameterFlags_::kIsReadOnly != 0;
            let automatable = info.flags & ParameterInfo_::ParameterFlags_::kCanAutomate != 0;
            if title.starts_with("Out: ") {
                assert!(read_only && !automatable, "{title}: an output, read-only");
                outputs.push((title, info.id));
            } else {
                assert!(!read_only, "{title}: not an output, not read-only");
            }
        }
    }
    assert_eq!(outputs.len(), 21, "{outputs:?}"); // 4 + 16 probabilities + speed
    let level_id = outputs
        .iter()
        .find(|(t, _)| t == "Out: hit level")
        .unwrap()
        .1;
    unsafe {
        assert_eq!(component.initialize(std::ptr::null_mut()), kResultOk);
        let mut setup = ProcessSetup {
            processMode: ProcessModes_::kRealtime as int32,
            symbolicSampleSize: SymbolicSampleSizes_::kSample32 as int32,
            maxSamplesPerBlock: block as int32,
            sampleRate: sample_rate,
        };
        assert_eq!(processor.setupProcessing(&mut setup), kResultOk);
        assert_eq!(component.setActive(1), kResultOk);
        assert_eq!(processor.setProcessing(1), kResultOk);
    }

    let spec = PerformanceSpec {
        duration_s: 20.0,
        ..PerformanceSpec::default()
    };
    let audio = Performance::generate(spec, 7).render(sample_rate as f32);
    let changes = ComWrapper::new(Changes {
        queues: (0..QUEUES)
            .map(|_| {
                ComWrapper::new(Queue {
                    id: Cell::new(0),
                    points: RefCell::new(Vec::with_capacity(16)),
                })
            })
            .collect(),
        used: Cell::new(0),
    });
    let changes_ptr = changes.as_com_ref::<IParameterChanges>().unwrap().as_ptr();
    let mut inputs = [vec![0.0f32; block], vec![0.0f32; block]];
    let mut outputs_audio = [vec![0.0f32; block], vec![0.0f32; block]];
    let mut hit_blocks = 0;
    let mut last_level = None;
    for chunk in audio.chunks(block) {
        let n = chunk.len();
        for channel in inputs.iter_mut() {
            channel[..n].copy_from_slice(chunk);
        }
        let mut in_ptrs: Vec<*mut f32> = inputs.iter_mut().map(|c| c.as_mut_ptr()).collect();
        let mut out_ptrs: Vec<*mut f32> =
            outputs_audio.iter_mut().map(|c| c.as_mut_ptr()).collect();
        let mut in_bus = AudioBusBuffers {
            numChannels: 2,
            silenceFlags: 0,
            __field0: AudioBusBuffers__type0 {
                channelBuffers32: in_ptrs.as_mut_ptr(),
            },
        };
        let mut out_bus = AudioBusBuffers {
            numChannels: 2,
            silenceFlags: 0,
            __field0: AudioBusBuffers__type0 {
                channelBuffers32: out_ptrs.as_mut_ptr(),
            },
        };
        let mut data = ProcessData {
            processMode: ProcessModes_::kRealtime as int32,
            symbolicSampleSize: SymbolicSampleSizes_::kSample32 as int32,
            numSamples: n as int32,
            numInputs: 1,
            numOutputs: 1,
            inputs: &mut in_bus,
            outputs: &mut out_bus,
            inputParameterChanges: std::ptr::null_mut(),
            outputParameterChanges: changes_ptr,
            inputEvents: std::ptr::null_mut(),
            outputEvents: std::ptr::null_mut(),
            processContext: std::ptr::null_mut(),
        };
        changes.clear();
        let result = common::assert_no_alloc(|| unsafe { processor.process(&mut data) });
        assert_eq!(result, kResultOk);
        let used = changes.used.get();
        if used == 0 {
            continue;
        }
        let points: Vec<(ParamID, int32, ParamValue)> = changes.queues[..used]
            .iter()
            .flat_map(|q| {
                let id = q.id.get();
                q.points
                    .borrow()
                    .iter()
                    .map(move |&(o, v)| (id, o, v))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(
            points.iter().all(|&(_, o, _)| (o as usize) < n),
            "offset outside the block"
        );
        if let Some(&(_, _, level)) = points.iter().find(|p| p.0 == level_id) {
            if used == outputs.len() {
                hit_blocks += 1;
            }
            last_level = Some(level);
        }
        // The host reads the reported values back.
        for &(id, _, value) in &points {
            let read = unsafe { controller.getParamNormalized(id) };
            assert!(
                (read - value).abs() < 1e-6,
                "getParamNormalized({id}) = {read}, reported {value}"
            );
        }
    }
    eprintln!("{hit_blocks} blocks reported every output parameter; last level {last_level:?}");
    assert!(
        hit_blocks >= 20,
        "only {hit_blocks} blocks with hits in 20 s"
    );
    assert!(last_level.is_some_and(|l| l > 0.0));
    unsafe {
        assert_eq!(processor.setProcessing(0), kResultOk);
        assert_eq!(component.setActive(0), kResultOk);
        assert_eq!(component.terminate(), kResultOk);
    }
}
