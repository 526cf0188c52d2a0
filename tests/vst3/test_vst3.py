"""Timbrel's VST3 in a real, JUCE-based host: Spotify's `pedalboard`.

Loads the built ``target/bundled/Timbrel.vst3`` (or ``$TIMBREL_BUNDLE_DIR/Timbrel.vst3``) and checks
pass-through in stereo and mono, the parameters as a VST3 host shows them, that the raw
state carries a changed parameter into a second instance, and that it carries a model trained
in pedalboard (through the ``train`` parameter, on the demo performance) into a second instance
that then classifies every hit as the first one did, and that a state written by a newer
Timbrel survives load, play and save byte for byte. The raw state is JUCE's VST3 state
(``juce_state.py``) around nice-plug's zstd-compressed JSON, whose ``dataset`` field holds
Timbrel's own state text (learn/src/state.rs).

Not checked here: MIDI output. ``pedalboard`` returns only audio from ``process()`` (its MIDI
support is MIDI *input* for instruments), so an effect's note output is invisible to it; the
CLAP host tests (tests/tests/clap_*.rs) check the notes. What the model made of each hit is read
instead from the plugin's hit log (``TIMBREL_LOG_HITS=1``: its worker prints one line per hit to
stderr, with class, probability, position and level).

Run by ``tests/run.sh``; by hand: ``tests/.venv/bin/pytest tests/vst3``. Without an importable
``pedalboard`` or ``zstandard`` the module is skipped, unless ``TIMBREL_REQUIRE_PEDALBOARD=1``
(set by ``tests/run.sh`` in CI): then it fails.
"""

import csv
import json
import os
import pathlib
import re
import time

import numpy as np
import pytest

try:
    import pedalboard
    import zstandard
except ImportError as error:  # a broken install must not pass as a skip in CI
    if os.environ.get("TIMBREL_REQUIRE_PEDALBOARD") == "1":
        raise
    pytest.skip(f"pedalboard or zstandard does not import: {error}", allow_module_level=True)

from juce_state import Vst3State

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


@pytest.mark.parametrize("sample_rate", [44100, 96000])
def test_latency_compensation_reports_the_window_and_pedalboard_lines_the_audio_up(sample_rate):
    """With Latency compensation on, the VST3 reports its analysis window as latency (256
    samples at 44.1 kHz, scaled with the rate) and delays its audio by it; pedalboard, like a
    DAW, compensates the reported latency, so what comes out is the input, sample for sample."""
    plugin = load()
    assert not plugin.latency_compensation
    plugin.latency_compensation = True
    audio = np.stack([drum_track(sample_rate)] * 2)
    out = plugin.process(audio, sample_rate, buffer_size=512, reset=True)
    assert plugin.reported_latency_samples == round(256 * sample_rate / 44100)
    assert_bit_exact(audio, out, f"compensated at {sample_rate} Hz")
    plugin.latency_compensation = False
    out = plugin.process(audio, sample_rate, buffer_size=512, reset=True)
    assert plugin.reported_latency_samples == 0
    assert_bit_exact(audio, out, f"uncompensated at {sample_rate} Hz")


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


# --- a trained state through raw_state ---------------------------------------------------------

DEMO_WAV = REPO / "assets" / "demo-performance.wav"
DEMO_CSV = REPO / "assets" / "demo-performance.csv"
# Hit log lines of the plugin's worker (see engine.rs, `print_hit`).
HIT_LINE = re.compile(r"^timbrel-hit t=\S+ (?P<rest>.*)$")
# Audio per process() call while training, and the pause after each call: about 37 times real
# time, a pace the plugin's worker follows (it drains its rings every 5 ms).
FEED_CHUNK = 8192
FEED_PAUSE_S = 0.005
# Longest wait for the model after the last class is disarmed.
MODEL_TIMEOUT_S = 60.0
# Longest wait for the worker to print a processed hit.
LOG_TIMEOUT_S = 10.0


def demo():
    """The demo performance (mono, 44.1 kHz) and its ground truth: (onset_s, radius, part)."""
    from pedalboard.io import AudioFile

    with AudioFile(str(DEMO_WAV)) as f:
        assert f.samplerate == 44100 and f.num_channels == 1
        audio = f.read(f.frames)[0].astype(np.float32)
    with open(DEMO_CSV, newline="") as f:
        truth = [(float(r["onset_s"]), float(r["radius"]), r["part"]) for r in csv.DictReader(f)]
    return audio, truth


def feed(plugin, mono, sample_rate=44100):
    """Plays a mono signal on both channels, in chunks at a pace the plugin's worker follows,
    keeping the plugin's state between calls, and checks that it passes through unchanged."""
    stereo = np.stack([mono, mono])
    for i in range(0, stereo.shape[1], FEED_CHUNK):
        chunk = stereo[:, i:i + FEED_CHUNK]
        assert_bit_exact(chunk, plugin.process(chunk, sample_rate, buffer_size=512, reset=False),
                         "while feeding hits")
        time.sleep(FEED_PAUSE_S)


def hit_lines(capfd):
    """The hit log lines printed since the last call, without the time (which counts from each
    instance's activation) and the map position (refitted in the background)."""
    lines = []
    for line in capfd.readouterr().err.splitlines():
        m = HIT_LINE.match(line.strip())
        if m:
            lines.append(re.sub(r" map=\S+", "", m["rest"]))
    return lines


def without_speed(lines):
    """Hit log lines without the speed, which counts every hit the instance has heard (training
    included), so differs between instances that heard different takes."""
    return [re.sub(r" speed=\S+", "", line) for line in lines]


def wait_for_hits(capfd, count):
    """Collects hit log lines until there are `count` of them (the worker prints a few ms after
    the audio thread), then a little longer to catch any extra line."""
    lines = []
    deadline = time.monotonic() + LOG_TIMEOUT_S
    while len(lines) < count and time.monotonic() < deadline:
        time.sleep(0.02)
        lines += hit_lines(capfd)
    time.sleep(0.1)
    return lines + hit_lines(capfd)


def train_on_demo(plugin, audio, truth, capfd, sample_rate=44100):
    """Trains `plugin` as a user would in a host: arms class 1 ("center") through the ``train``
    parameter for the demo's centre hits, disarms, arms class 2 ("edge") for its edge hits,
    disarms; then plays the first centre hit until the model classifies it."""
    first = {}
    for onset, _, part in truth:
        first.setdefault(part, onset)
    cut = lambda t: int(round(t * sample_rate))
    silence = np.zeros(2048, dtype=np.float32)
    hit_lines(capfd)  # forget what came before (pedalboard runs a block when it loads a plugin)
    for name, part, start, end in [("center", "center", 0.0, first["edge"] - 0.2),
                                   ("edge", "edge", first["edge"] - 0.2, first["free"] - 0.2)]:
        plugin.train = name
        assert plugin.parameters["train"].string_value == name
        feed(plugin, audio[cut(start):cut(end)])
        plugin.train = "Off"
        feed(plugin, silence)  # delivers the change: the plugin retrains on disarming
        recorded = wait_for_hits(capfd, sum(p == part for _, _, p in truth))
        armed = "armed=%d" % (1 if name == "center" else 2)
        assert recorded and all(line.startswith(armed) for line in recorded), recorded
        assert len(recorded) == sum(p == part for _, _, p in truth), (
            f"{name}: {len(recorded)} hits recorded: {recorded}")
        time.sleep(0.2)  # as a user between two takes
    probe = audio[cut(first["center"] - 0.1):cut(first["center"] + 0.2)]  # one hit
    started = time.monotonic()
    while True:
        feed(plugin, probe)
        lines = wait_for_hits(capfd, 1)
        assert len(lines) == 1, lines
        if "class=none" not in lines[0]:
            assert lines[0].startswith("armed=- class=center "), lines[0]
            return time.monotonic() - started
        assert time.monotonic() - started < MODEL_TIMEOUT_S, "no model after training"
        time.sleep(0.05)


def test_trained_raw_state_round_trips_into_a_fresh_instance(capfd, monkeypatch):
    """A model trained in pedalboard travels with ``raw_state``: a fresh instance that loads it
    classifies the rest of the demo (28 hits between centre and edge, a cymbal, a noise burst and
    another cymbal) exactly as the trained instance does (same class or unknown, probability,
    position and level, as logged) without being trained itself, and saves the same raw state
    again. A raw state cut in half leaves a fresh instance untrained and working."""
    monkeypatch.setenv("TIMBREL_LOG_HITS", "1")  # read by each instance's worker when it starts
    audio, truth = demo()
    trained = load()
    model_wait = train_on_demo(trained, audio, truth, capfd)
    free_start = next(onset for onset, _, part in truth if part == "free") - 0.2
    performance = audio[int(round(free_start * 44100)):]
    expected = [(radius, part) for onset, radius, part in truth if onset >= free_start]

    feed(trained, performance)
    lines_a = wait_for_hits(capfd, len(expected))
    assert len(lines_a) == len(expected), f"{len(lines_a)} hits logged for {len(expected)} played"
    for line, (radius, part) in zip(lines_a, expected):
        if part != "free":
            assert " class=unknown " in line, f"{part}: {line}"
        elif radius <= 0.15:
            assert " class=center " in line, f"radius {radius}: {line}"
        elif radius >= 0.8:
            assert " class=edge " in line, f"radius {radius}: {line}"
        else:
            assert " class=none " not in line, line

    state = trained.raw_state
    restored = load()
    hit_lines(capfd)
    restored.raw_state = state
    assert restored.parameters["train"].string_value == "Off"
    # pedalboard activated the instance when loading it, so its worker is already running and
    # hands the restored model to the audio thread asynchronously (within its 5 ms poll): pause
    # as a host would between loading a project and playing it.
    time.sleep(0.2)
    feed(restored, performance)
    lines_b = wait_for_hits(capfd, len(expected))
    assert without_speed(lines_b) == without_speed(lines_a), "the restored instance classifies differently:\n" + "\n".join(
        f"{a!r:70} {b!r}" for a, b in zip(lines_a, lines_b))
    assert restored.raw_state == state, "the restored instance saves another raw state"
    classes = {c: sum(f" class={c} " in line for line in lines_a) for c in ("center", "edge", "unknown")}
    with capfd.disabled():
        print(f"\ntrained in pedalboard, model in use {model_wait:.2f} s after disarming; "
              f"{len(lines_a)} hits classified {classes}; raw_state {len(state)} bytes; "
              "a fresh instance loading it logs the same lines and saves the same bytes")

    # A damaged raw state (cut in half) is ignored by the host (JUCE cannot read it): the fresh
    # instance stays untrained, and keeps working.
    broken = load()
    broken.raw_state = state[:len(state) // 2]
    time.sleep(0.2)
    hit_lines(capfd)
    feed(broken, performance)
    lines_c = wait_for_hits(capfd, len(expected))
    assert len(lines_c) == len(expected) and all(" class=none " in line for line in lines_c), lines_c


# --- a state written by a newer Timbrel --------------------------------------------------------

# What the plugin logs when it keeps a Timbrel state it cannot read (see `PersistedDataset` in
# plugin/src/params.rs); nice-plug's log goes to stderr unless NICE_LOG is set.
KEPT_MESSAGE = "kept unchanged; Start over to replace it"
# How long each instance plays after loading a state, in seconds (up to the gap after the last
# hit in this time).
PLAY_S = 2.0
# nice-plug's zstd level for the plugin state (`zstd::DEFAULT_COMPRESSION_LEVEL`).
NICE_PLUG_ZSTD_LEVEL = 3


def rust_const(path, name):
    """The value of `pub const NAME: u32 = N;` in a Rust source file of this repository."""
    found = re.findall(rf"pub const {name}: u32 = (\d+);", (REPO / path).read_text())
    assert len(found) == 1, f"{name} in {path}: {found}"
    return int(found[0])


def todays_header():
    """The header this build writes before a Timbrel state's base64 (learn/src/state.rs)."""
    state_format = rust_const("learn/src/state.rs", "STATE_FORMAT_VERSION")
    layout = rust_const("core/src/analysis/descriptor.rs", "LAYOUT_VERSION")
    model = rust_const("learn/src/model/mod.rs", "MODEL_FORMAT_VERSION")
    return state_format, layout, model


def plugin_json(raw_state):
    """The JSON text of nice-plug's plugin state inside a raw state: the VST3 component state is
    one zstd frame (nice-plug's `zstd` feature) holding `{"version", "params", "fields"}`."""
    component = Vst3State.parse(raw_state).component
    return zstandard.ZstdDecompressor().decompressobj().decompress(component)


def with_plugin_json(raw_state, json_text):
    """`raw_state` with another plugin state JSON, compressed as nice-plug compresses it
    (`zstd::encode_all` at level 3: a streaming frame without content size or checksum), and
    the rest of JUCE's XML unchanged."""
    packer = zstandard.ZstdCompressor(level=NICE_PLUG_ZSTD_LEVEL).compressobj()
    component = packer.compress(json_text) + packer.flush()
    return Vst3State.parse(raw_state).with_component(component).to_bytes()


def plugin_libzstd():
    """The libzstd release the plugin is built with (the `zstd-sys` version in Cargo.lock, e.g.
    `2.1.2+zstd.1.5.7`), as a tuple like ``zstandard.ZSTD_VERSION``."""
    found = re.findall(r'name = "zstd-sys"\nversion = "[^"+]*\+zstd\.(\d+)\.(\d+)\.(\d+)"',
                       (REPO / "Cargo.lock").read_text())
    assert len(found) == 1, f"zstd-sys in Cargo.lock: {found}"
    return tuple(int(v) for v in found[0])


def timbrel_state(json_text):
    """Timbrel's own state text (`timbrel-state:...`) in a plugin state JSON: the persisted
    `dataset` field, a JSON string inside nice-plug's JSON."""
    return json.loads(json.loads(json_text)["fields"]["dataset"])


def play_and_log(plugin, clip, hits, capfd):
    """Plays `clip` after a pause (the loaded model reaches the audio thread asynchronously) and
    returns the hit log lines, checking that every hit was logged once."""
    time.sleep(0.2)
    hit_lines(capfd)
    feed(plugin, clip)
    lines = wait_for_hits(capfd, hits)
    assert len(lines) == hits, f"{len(lines)} hits logged for {hits} played: {lines}"
    return lines


def test_a_newer_state_survives_load_play_and_save(capfd, monkeypatch):
    """A project saved by a newer Timbrel survives this build in a JUCE host: loaded through
    ``raw_state``, played (about 2 s with hits) and saved again, Timbrel's state comes back byte
    for byte (a newer state format, a newer descriptor layout: the CLAP host test
    ``a_newer_state_survives_load_play_and_save`` makes the same two states), while the plugin
    works as an untrained drum trigger and logs that it keeps the state. A state of today's
    format goes through load, play and save with its dataset and model: it classifies, and
    saves the same state again."""
    monkeypatch.setenv("TIMBREL_LOG_HITS", "1")  # read by each instance's worker when it starts
    audio, truth = demo()
    trained = load()
    train_on_demo(trained, audio, truth, capfd)
    saved = trained.raw_state
    saved_json = plugin_json(saved)
    text = timbrel_state(saved_json)
    state_format, layout, model = todays_header()
    today = f"timbrel-state:{state_format}:{layout}:{model}:"
    assert text.startswith(today), text[:40]
    assert saved_json.count(today.encode()) == 1

    # About PLAY_S seconds of the demo's free part, ending halfway between two hits.
    onsets = [onset for onset, _, part in truth if part == "free"]
    start = onsets[0] - 0.2
    last = max(k for k, onset in enumerate(onsets) if onset < start + PLAY_S)
    end = (onsets[last] + onsets[last + 1]) / 2
    clip = audio[int(round(start * 44100)):int(round(end * 44100))]
    hits = last + 1

    # Today's format: the dataset and model are used and saved again unchanged.
    current = load()
    current.raw_state = saved
    lines = play_and_log(current, clip, hits, capfd)
    assert all(" class=none " not in line for line in lines), lines
    again = current.raw_state
    assert timbrel_state(plugin_json(again)) == text, "today's Timbrel state changed"
    assert again == saved, "today's state: the raw state changed"

    for what, header in [
        ("newer state format", f"timbrel-state:{state_format + 1}:{layout}:{model}:"),
        ("newer descriptor layout", f"timbrel-state:{state_format}:{layout + 1}:{model}:"),
    ]:
        newer_json = saved_json.replace(today.encode(), header.encode())
        assert timbrel_state(newer_json) == text.replace(today, header, 1)
        newer = with_plugin_json(saved, newer_json)
        plugin = load()
        capfd.readouterr()
        plugin.raw_state = newer
        logged = capfd.readouterr().err
        assert KEPT_MESSAGE in logged and "saved by a newer Timbrel" in logged, (
            f"{what}: the plugin did not log {KEPT_MESSAGE!r}: {logged[-500:]!r}")
        # Played: an untrained drum trigger (one hit log line per hit, no model).
        lines = play_and_log(plugin, clip, hits, capfd)
        assert all(line.startswith("armed=- class=none ") for line in lines), lines
        back = plugin.raw_state
        assert timbrel_state(plugin_json(back)) == timbrel_state(newer_json), (
            f"{what}: Timbrel's state changed")
        assert plugin_json(back) == newer_json, f"{what}: nice-plug's state JSON changed"
        # JUCE writes the same XML around the component state.
        outside = lambda raw: Vst3State.parse(raw).with_component(b"").xml
        assert outside(back) == outside(newer), f"{what}: JUCE's XML changed"
        # The whole raw state comes back too when nice-plug compresses the same JSON into the
        # same zstd frame as `with_plugin_json`: the same level and frame parameters, and the
        # same libzstd release (both 1.5.7 when written). Another release may choose other
        # matches for the same JSON: then only the JSON is compared (above).
        same_zstd = plugin_libzstd() == zstandard.ZSTD_VERSION
        if same_zstd:
            assert back == newer, f"{what}: the raw state changed"
        with capfd.disabled():
            whole = ("identical byte for byte" if same_zstd else
                     f"not compared (libzstd {plugin_libzstd()} in the plugin, "
                     f"{zstandard.ZSTD_VERSION} here)")
            print(f"\n{what}: raw_state of {len(newer)} bytes loaded, {len(clip) / 44100:.2f} s "
                  f"with {hits} hits played untrained, saved: Timbrel's state ({len(text)} "
                  f"characters) and nice-plug's JSON identical byte for byte, whole raw state {whole}")
