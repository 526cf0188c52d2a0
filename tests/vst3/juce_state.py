"""The state a JUCE host saves for a VST3 plugin: what pedalboard's ``raw_state`` holds.

Layout, as read from pedalboard 0.9 (JUCE's VST3 host wrapper):

- the 4 bytes ``VC2!`` (JUCE's magic number for XML stored as binary);
- the length of the XML text, in bytes, as an unsigned 32-bit little-endian integer;
- the XML text (UTF-8) and one NUL byte. The XML is
  ``<VST3PluginState><IComponent>…</IComponent><IEditController>…</IEditController></VST3PluginState>``
  after an XML declaration; each element holds the bytes that the plugin's ``IComponent`` and
  ``IEditController`` wrote to their ``getState`` streams, in JUCE's base64 variant (below).

JUCE's base64 variant (JUCE's ``MemoryBlock::toBase64Encoding``), not RFC 4648: the byte count
in decimal, a ``.``, then one character per 6 bits of the data, taken least significant bit
first (bit 0 of byte 0 is bit 0 of the first character), from the alphabet :data:`ALPHABET`
(``.`` is 0, ``+`` is 63), without padding; the last character holds the remaining bits.

Only the text inside ``<IComponent>`` is rewritten here; everything around it is kept as it was,
so that a state written back by :meth:`Vst3State.to_bytes` differs from the one read only in
that element (and in the length field).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

#: First 4 bytes of every state.
MAGIC = b"VC2!"
#: JUCE's base64 alphabet: the value of each character is its index.
ALPHABET = ".ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
#: The element that holds the component state, with its text as group 1.
_COMPONENT = re.compile(r"<IComponent>([^<]*)</IComponent>")


class JuceStateError(ValueError):
    """A state that is not JUCE's VST3 plugin state, or damaged. The message names the offending
    value."""


def decode_base64(text: str) -> bytes:
    """Decodes JUCE's base64 variant (``<size>.<characters>``) into the bytes it holds."""
    size_text, dot, chars = text.partition(".")
    if not dot or not size_text.isdigit():
        raise JuceStateError(f"JUCE base64 must start with '<size>.': {text[:24]!r}")
    size = int(size_text)
    needed = (size * 8 + 5) // 6
    if len(chars) != needed:
        raise JuceStateError(
            f"JUCE base64 of {size} bytes needs {needed} characters, found {len(chars)}")
    bits = 0
    for i, c in enumerate(chars):
        value = _VALUE.get(c)
        if value is None:
            raise JuceStateError(f"character {c!r} at {i} is not in JUCE's base64 alphabet")
        bits |= value << (6 * i)
    if bits >> (8 * size):
        raise JuceStateError(f"JUCE base64 of {size} bytes has bits set beyond its size")
    return bits.to_bytes(size, "little")


def encode_base64(data: bytes) -> str:
    """Encodes bytes in JUCE's base64 variant (the inverse of :func:`decode_base64`)."""
    bits = int.from_bytes(data, "little")
    count = (len(data) * 8 + 5) // 6
    return f"{len(data)}." + "".join(ALPHABET[(bits >> (6 * i)) & 63] for i in range(count))


@dataclass(frozen=True)
class Vst3State:
    """A JUCE VST3 plugin state, as its XML text (without the trailing NUL)."""

    #: The XML text.
    xml: str

    @classmethod
    def parse(cls, raw: bytes) -> Vst3State:
        """Reads a state as JUCE writes it (``VC2!``, length, XML, NUL)."""
        if raw[:4] != MAGIC:
            raise JuceStateError(f"a JUCE state starts with {MAGIC!r}, this one with {raw[:4]!r}")
        if len(raw) < 8:
            raise JuceStateError(f"a JUCE state of {len(raw)} bytes has no length field")
        (length,) = struct.unpack("<I", raw[4:8])
        if len(raw) != 8 + length + 1 or raw[8 + length] != 0:
            raise JuceStateError(
                f"the length field says {length} bytes of XML and a NUL, "
                f"the state holds {len(raw) - 8} bytes after it")
        xml = raw[8:8 + length].decode("utf-8")
        found = len(_COMPONENT.findall(xml))
        if found != 1:
            raise JuceStateError(f"{found} <IComponent> elements in the state's XML, expected 1")
        return cls(xml)

    def to_bytes(self) -> bytes:
        """The state as JUCE writes it (the inverse of :meth:`parse`)."""
        text = self.xml.encode("utf-8")
        return MAGIC + struct.pack("<I", len(text)) + text + b"\0"

    @property
    def component(self) -> bytes:
        """The bytes the plugin's ``IComponent::getState`` wrote."""
        return decode_base64(_COMPONENT.search(self.xml).group(1))

    def with_component(self, component: bytes) -> Vst3State:
        """The same state with other ``IComponent`` bytes; the rest of the XML unchanged."""
        element = f"<IComponent>{encode_base64(component)}</IComponent>"
        return Vst3State(_COMPONENT.sub(lambda _: element, self.xml, count=1))
