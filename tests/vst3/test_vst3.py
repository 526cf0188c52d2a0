"""Timbrel's VST3 in a real, JUCE-based host: Spotify's `pedalboard`.

Loads the built ``target/bundled/Timbrel.vst3`` (or ``$TIMBREL_BUNDLE_DIR/Timbrel.vst3``) and checks
pass-through in stereo and mono, the parameters as a VST3 host shows them, and that the raw
state carries a changed parameter into a second instance.

Not checked here: MIDI output. ``pedalboard`` returns only audio from ``process()`` (its MIDI
support is MIDI *input* for instruments), so an effect's note output is invisible to it; the
CLAP host test (tests/tests/clap_host.rs) checks the notes.

Run by ``tests/run.sh``; by hand: ``tests/.venv/bin/pytest tests/vst3``.
"""

import os
import pathlib

import numpy as np
import pytest

pedalboard = pytest.importorskip("pedalboard")

REPO = pathlib.Path(__file__).resolve().parents[2]
BUNDLE_DIR = pathlib.Path(os.environ.get("TIMBREL_BUNDLE_DIR") or REPO / "target" / "bundled")
VST3 = BUNDLE_DIR / "Timbrel.vst3"
BUILD = "cargo xtask bundle timbrel --release"

# Parameter names as pedalboard shows them (display name and unit made into a Python identifier),
# with the default value as displayed.
EXPECTED_PARAMS = {
    "detector": "Envelope",
    "threshold_db": None,
    "gate_dbfs": None,
    "high_pass_hz": None,
    "lockout_ms": None,
    "window_smp": "256",
    "hit_note": "38",
    "midi_channel": "1",
    "note_length_ms": "50",
}


def deliver_parameter_changes(plugin, sample_rate=44100):
    """Runs one short block of silence.

    A JUCE host (pedalboard) sends parameter changes to an active VST3 component with the next
    process() call, as the VST3 protocol has it; until then, the component's state (what
    ``raw_state`` saves) still has the old values. A DAW's audio thread does this continuously.
    """
    plugin.process(np.zeros((2, 64), dtype=np.float32), sample_rate, reset=False)


def load():
    assert VST3.exists(), f"{VST3} does not exist: run `{BUILD}` first (or set TIMBREL_BUNDLE_DIR)"
    return pedalboard.load_plugin(str(VST3))


@pytest.fixture(scope="module")
def plugin():
    return load()


def drum_track(sample_rate, hits=4, first=0.2, spacing=0.3, length=1.5, seed=1):
    """Silence with decaying noise+sine bursts peaking at -6 dBFS (like the CLAP test's)."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(length * sample_rate), dtype=np.float32)
    n = int(0.25 * sample_rate)
    t = np.arange(n) / sample_rate
    for h in range(hits):
        hit = rng.uniform(-1, 1, n) * np.exp(-t / 0.015)
        hit += 0.8 * np.sin(2 * np.pi * 185 * t + 0.7) * np.exp(-t / 0.06)
        hit += 0.5 * np.sin(2 * np.pi * 331 * t + 0.3) * np.exp(-t / 0.04)
        fade = int(0.02 * sample_rate)
        hit[-fade:] *= np.linspace(1, 0, fade + 1)[1:]
        hit *= 10 ** (-6 / 20) / np.abs(hit).max()
        start = int(round((first + h * spacing) * sample_rate))
        out[start:start + n] = hit
    return out


def assert_bit_exact(expected, got, what):
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    assert got.dtype == np.float32
    diff = np.flatnonzero(expected.view(np.uint32) != got.view(np.uint32))
    assert diff.size == 0, (
        f"{what}: {diff.size} samples differ, first at flat index {diff[0]}: "
        f"{expected.flat[diff[0]]!r} -> {got.flat[diff[0]]!r}")


def test_identity(plugin):
    assert plugin.name == "Timbrel"
    assert plugin.is_effect
    assert not plugin.is_instrument
    assert plugin.reported_latency_samples == 0


@pytest.mark.parametrize("sample_rate", [44100, 96000])
@pytest.mark.parametrize("buffer_size", [1, 7, 333, 512, 8192])
def test_stereo_passes_through(plugin, sample_rate, buffer_size):
    mono = drum_track(sample_rate)
    rng = np.random.default_rng(5)
    audio = np.stack([mono, (rng.uniform(-1, 1, mono.size) * 0.5).astype(np.float32)])
    if buffer_size == 1:
        audio = audio[:, :20000]  # one sample per call through Python is slow; 20000 is plenty
    out = plugin.process(audio, sample_rate, buffer_size=buffer_size, reset=True)
    assert_bit_exact(audio, out, f"stereo at {sample_rate} Hz, buffer {buffer_size}")


@pytest.mark.parametrize("sample_rate", [44100, 48000])
def test_mono_passes_through(sample_rate):
    # A fresh instance: the channel layout is negotiated on first use.
    plugin = load()
    audio = drum_track(sample_rate)[np.newaxis, :]
    out = plugin.process(audio, sample_rate, buffer_size=512)
    assert_bit_exact(audio, out, f"mono at {sample_rate} Hz")


def test_bad_samples_become_zero(plugin):
    audio = np.stack([drum_track(44100), drum_track(44100, seed=2) * 0.5]).astype(np.float32)
    bad = np.array([np.nan, np.inf, -np.inf, 1e-40, -1e-42], dtype=np.float32)
    idx = np.arange(100, audio.shape[1], 997)
    audio[0, idx] = bad[np.arange(idx.size) % bad.size]
    audio[1, idx + 3] = bad[(np.arange(idx.size) + 2) % bad.size]
    out = plugin.process(audio, 44100, buffer_size=256)
    assert np.all(np.isfinite(out))
    tiny = (out != 0) & (np.abs(out) < np.finfo(np.float32).tiny)
    assert not tiny.any(), "subnormal output"
    expected = audio.copy()
    expected[~np.isfinite(expected) | ((expected != 0) & (np.abs(expected) < np.finfo(np.float32).tiny))] = 0
    assert_bit_exact(expected, out, "bad samples")


def test_parameters_are_shown_with_their_names_and_defaults(plugin):
    params = plugin.parameters
    shown = {name: (str(p), p.raw_value, getattr(p, "units", None)) for name, p in params.items()}
    print("pedalboard shows:", shown)
    missing = set(EXPECTED_PARAMS) - set(params)
    assert not missing, f"parameters missing: {sorted(missing)}; pedalboard shows {sorted(params)}"
    fresh = load()
    for name, default_text in EXPECTED_PARAMS.items():
        if default_text is not None:
            assert fresh.parameters[name].string_value.strip() == default_text, (
                f"{name}: default shown as {fresh.parameters[name].string_value!r}")


def test_parameters_can_be_written_and_read():
    plugin = load()
    default_state = plugin.raw_state
    plugin.hit_note = 40
    assert plugin.hit_note == 40
    assert plugin.parameters["hit_note"].string_value.strip() == "40"
    plugin.note_length_ms = 120.0
    assert abs(plugin.note_length_ms - 120.0) < 1.0
    plugin.detector = "Flux"
    assert plugin.parameters["detector"].string_value == "Flux"
    plugin.midi_channel = 10
    assert plugin.midi_channel == 10
    plugin.threshold_db = 6.5
    assert abs(plugin.threshold_db - 6.5) < 0.05
    with pytest.raises(ValueError):
        plugin.hit_note = 200  # outside 0..127
    deliver_parameter_changes(plugin)
    assert plugin.raw_state != default_state, "the plugin's state does not reflect the changes"
    # Processing still passes audio unchanged with changed parameters.
    audio = np.stack([drum_track(48000)] * 2)
    assert_bit_exact(audio, plugin.process(audio, 48000), "after parameter changes")


def test_raw_state_round_trip_into_a_second_instance():
    first = load()
    first.hit_note = 40
    first.note_length_ms = 80.0
    first.detector = "Flux"
    deliver_parameter_changes(first)
    state = first.raw_state
    assert isinstance(state, bytes) and len(state) > 0
    print(f"raw_state: {len(state)} bytes")

    second = load()
    assert second.hit_note == 38
    second.raw_state = state
    assert second.hit_note == 40, "hit_note did not survive raw_state"
    assert abs(second.note_length_ms - 80.0) < 1.0
    assert second.parameters["detector"].string_value == "Flux"
    # And the restored instance still processes audio.
    audio = np.stack([drum_track(44100)] * 2)
    assert_bit_exact(audio, second.process(audio, 44100), "restored instance")



def test_output_parameters_are_present_at_rest():
    """The Outputs group: position, confidence, hit level, class and >= 8 probability slots.

    They move only once the editor has been opened (see the README); here they show their
    resting values, and setting them by hand does not break processing.
    """
    plugin = load()
    names = set(plugin.parameters)
    expected = {"out_position", "out_confidence", "out_hit_level_dbfs", "out_class"}
    assert expected <= names, f"missing {sorted(expected - names)}; pedalboard shows {sorted(names)}"
    slots = [n for n in names if n.startswith("out_p_class_")]
    assert len(slots) >= 8, f"probability slots: {sorted(slots)}"
    assert plugin.parameters["out_class"].string_value.strip() == "Unknown"
    audio = np.stack([drum_track(48000)] * 2)
    assert_bit_exact(audio, plugin.process(audio, 48000), "with output parameters")


def test_factory_class_id_and_category():
    """Reads the VST3 factory directly (ctypes, as every VST3 host does first): the audio module
    class must have the stable class id ``TimbrelDrumHits1`` so that projects find the plugin."""
    import ctypes as C

    so = VST3 / "Contents" / "x86_64-linux" / "Timbrel.so"
    assert so.exists(), f"{so} missing: run `{BUILD}`"
    lib = C.CDLL(str(so))
    lib.ModuleEntry.argtypes, lib.ModuleEntry.restype = [C.c_void_p], C.c_bool
    lib.ModuleExit.argtypes, lib.ModuleExit.restype = [], C.c_bool
    lib.GetPluginFactory.argtypes, lib.GetPluginFactory.restype = [], C.c_void_p
    assert lib.ModuleEntry(None)
    try:
        factory = lib.GetPluginFactory()
        assert factory
        vtable = C.cast(factory, C.POINTER(C.POINTER(C.c_void_p)))[0]

        class PClassInfo(C.Structure):
            _fields_ = [("cid", C.c_ubyte * 16), ("cardinality", C.c_int32),
                        ("category", C.c_char * 32), ("name", C.c_char * 64)]

        # IPluginFactory: queryInterface, addRef, release, getFactoryInfo, countClasses, getClassInfo
        release = C.CFUNCTYPE(C.c_uint32, C.c_void_p)(vtable[2])
        count_classes = C.CFUNCTYPE(C.c_int32, C.c_void_p)(vtable[4])
        get_class_info = C.CFUNCTYPE(C.c_int32, C.c_void_p, C.c_int32, C.POINTER(PClassInfo))(vtable[5])
        classes = []
        for i in range(count_classes(factory)):
            info = PClassInfo()
            assert get_class_info(factory, i, C.byref(info)) == 0  # kResultOk
            classes.append((bytes(info.cid), info.category.decode(), info.name.decode()))
        release(factory)
        print("VST3 classes:", classes)
        audio = [c for c in classes if c[1] == "Audio Module Class"]
        assert len(audio) == 1, classes
        assert audio[0][0] == b"TimbrelDrumHits1"
        assert audio[0][2] == "Timbrel"
    finally:
        lib.ModuleExit()
