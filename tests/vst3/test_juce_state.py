"""Unit tests of ``juce_state``: JUCE's base64 variant and VST3 state container.

The last test round-trips pedalboard's own ``raw_state`` of the built Timbrel.vst3; it needs
pedalboard and is skipped or fails exactly as ``test_vst3.py`` is (failing in CI).
"""

import random
import re
import struct

import pytest

from juce_state import ALPHABET, MAGIC, JuceStateError, Vst3State, decode_base64, encode_base64

# The start of every zstd frame (RFC 8878), with which nice-plug's compressed state begins.
ZSTD_MAGIC = bytes.fromhex("28b52ffd")


def test_alphabet_is_juces():
    assert len(ALPHABET) == 64 and len(set(ALPHABET)) == 64
    assert ALPHABET[0] == "." and ALPHABET[1] == "A" and ALPHABET[27] == "a"
    assert ALPHABET[53] == "0" and ALPHABET[63] == "+"


@pytest.mark.parametrize("data, text", [
    (b"", "0."),                        # as pedalboard writes an empty IEditController state
    (b"\x00", "1..."),                  # 8 zero bits: "1." and two characters of value 0
    (b"\xff", "1.+C"),                  # bits 0..5 = 63 ('+'), bits 6..7 = 3 ('C')
    (b"\x28\xb5", "2.nTK"),             # a zstd frame's first bytes (0xb528: 40, 20, 11)
    (b"\x01\x02\x03", "3.AHv."),        # 0x030201 in 6-bit groups from the lowest: 1, 8, 48, 0
])
def test_known_encodings(data, text):
    assert encode_base64(data) == text
    assert decode_base64(text) == data


def test_random_bytes_round_trip():
    rng = random.Random(17)
    for size in list(range(0, 40)) + [255, 256, 257, 4096, 65537]:
        data = bytes(rng.getrandbits(8) for _ in range(size))
        text = encode_base64(data)
        assert text.startswith(f"{size}.") and len(text) == len(f"{size}.") + (size * 8 + 5) // 6
        assert set(text[len(f"{size}."):]) <= set(ALPHABET)
        assert decode_base64(text) == data, size


@pytest.mark.parametrize("text, message", [
    ("AgLA", "must start with '<size>.'"),
    ("x.AgLA", "must start with '<size>.'"),
    ("3.AgL", "needs 4 characters, found 3"),
    ("3.AgLA.", "needs 4 characters, found 5"),
    ("3.Ag=A", "'=' at 2 is not in JUCE's base64 alphabet"),
    ("1.+D", "bits set beyond its size"),
])
def test_bad_base64_is_refused_with_the_offending_value(text, message):
    with pytest.raises(JuceStateError, match=re.escape(message)):
        decode_base64(text)


def container(xml: str) -> bytes:
    text = xml.encode()
    return MAGIC + struct.pack("<I", len(text)) + text + b"\0"


XML = ('<?xml version="1.0" encoding="UTF-8"?> <VST3PluginState><IComponent>{}</IComponent>'
       '<IEditController>0.</IEditController></VST3PluginState>')


def test_component_is_replaced_and_nothing_else():
    state = Vst3State.parse(container(XML.format(encode_base64(b"old bytes"))))
    assert state.component == b"old bytes"
    new = state.with_component(b"\x00new\xff" * 100)
    assert new.component == b"\x00new\xff" * 100
    assert new.to_bytes() == container(XML.format(encode_base64(b"\x00new\xff" * 100)))
    assert Vst3State.parse(new.to_bytes()) == new


@pytest.mark.parametrize("raw, message", [
    (b"VC1!" + container(XML.format("0."))[4:], "this one with b'VC1!'"),
    (b"VC2!", "has no length field"),
    (container(XML.format("0."))[:-1], "the state holds"),
    (container(XML.format("0.")) + b"\0", "the state holds"),
    (container(XML.format("0.").replace("<IComponent>0.</IComponent>", "")), "0 <IComponent>"),
    (container(XML.format("0.") + "<IComponent>0.</IComponent>"), "2 <IComponent>"),
])
def test_bad_containers_are_refused(raw, message):
    with pytest.raises(JuceStateError, match=re.escape(message)):
        Vst3State.parse(raw)


def test_pedalboards_own_raw_state_round_trips_unchanged():
    """The codec reads what pedalboard writes and writes it back unchanged, a fresh instance's
    state and one with changed parameters; pedalboard loads the rewritten state."""
    from test_vst3 import deliver_parameter_changes, load  # skips or fails as test_vst3 does

    plugin = load()
    fresh = plugin.raw_state
    plugin.hit_note = 45
    plugin.detector = "Flux"
    deliver_parameter_changes(plugin)
    changed = plugin.raw_state
    assert changed != fresh
    for raw in (fresh, changed):
        state = Vst3State.parse(raw)
        assert state.to_bytes() == raw
        assert state.component.startswith(ZSTD_MAGIC), state.component[:8]
        rewritten = state.with_component(state.component).to_bytes()
        assert rewritten == raw
    second = load()
    state = Vst3State.parse(changed)
    second.raw_state = state.with_component(state.component).to_bytes()
    assert second.hit_note == 45 and second.parameters["detector"].string_value == "Flux"
    assert second.raw_state == changed
