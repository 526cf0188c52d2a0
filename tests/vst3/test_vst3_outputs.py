"""Timbrel's *Outputs* parameters in pedalboard's VST3 host, editor never opened (issue #16).

The plugin is trained through its ``train`` parameter on the demo performance (as in
``test_vst3.py``), then plays the demo's free part one hit at a time. After each hit the output
parameters must read back that hit's values, as the plugin's hit log (``TIMBREL_LOG_HITS=1``)
prints them: position, class and level.

How pedalboard reads them back: the plugin reports the values as a VST3 plugin should, in
``ProcessData::outputParameterChanges`` after each block, and answers ``getParamNormalized`` with
them. Pedalboard's JUCE keeps its own copy of every parameter value and hands output parameter
changes only to the plugin's edit controller, not to that copy; it reads the values from the
plugin (``getParamNormalized``) when a state is loaded. So the test loads the instance's own state
back (``raw_state``) before reading: what the parameters then show is what the plugin answers.
DAWs that apply output parameter changes (the VST3 route for read-only parameters) see them at
the block they come in.

Run by ``tests/run.sh`` with the other pedalboard tests; by hand: ``tests/.venv/bin/pytest
tests/vst3``.
"""

import os
import pathlib
import re
import sys

import numpy as np
import pytest

try:
    import pedalboard  # noqa: F401
except ImportError as error:  # a broken install must not pass as a skip in CI
    if os.environ.get("TIMBREL_REQUIRE_PEDALBOARD") == "1":
        raise
    pytest.skip(f"pedalboard does not import: {error}", allow_module_level=True)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from test_vst3 import demo, feed, load, train_on_demo, wait_for_hits  # noqa: E402

# What a classified hit's log line says (see engine.rs, `print_hit`), after `hit_lines`.
CLASSIFIED = re.compile(r"class=(?P<name>\w+) p=\S+ position=(?P<position>\S+) .*level=(?P<level>\S+)")
UNKNOWN = re.compile(r"class=unknown .*level=(?P<level>\S+)")
# Class numbers the class output shows (0 = unknown), of 16.
CLASS_NUMBER = {"center": 1, "edge": 2}
CLASS_SLOTS = 16
LEVEL_FLOOR_DBFS = -60.0
# Free hits played one by one.
HITS = 10


def read_back(plugin):
    """The output parameters as the host reads them from the plugin (see the module notes)."""
    plugin.raw_state = plugin.raw_state
    return {
        name: plugin.parameters[name].raw_value
        for name in ["out_position", "out_class", "out_hit_level_dbfs", "out_speed"]
    }


def test_output_parameters_read_back_each_hit_without_the_editor(capfd, monkeypatch):
    monkeypatch.setenv("TIMBREL_LOG_HITS", "1")  # read by each instance's worker when it starts
    audio, truth = demo()
    plugin = load()
    train_on_demo(plugin, audio, truth, capfd)
    free = [onset for onset, _, part in truth if part == "free"]
    cut = lambda t: int(round(t * 44100))
    checked = []
    position = None
    for onset, following in zip(free[:HITS], free[1:HITS + 1]):
        feed(plugin, audio[cut(onset - 0.05):cut(following - 0.05)])
        lines = wait_for_hits(capfd, 1)
        assert len(lines) == 1, f"one hit at {onset:.3f} s, logged: {lines}"
        values = read_back(plugin)
        level = float(lines[0].rsplit("level=", 1)[1].split()[0])
        expected_level = (max(level, LEVEL_FLOOR_DBFS) - LEVEL_FLOOR_DBFS) / -LEVEL_FLOOR_DBFS
        known = CLASSIFIED.search(lines[0])
        if known and known["name"] in CLASS_NUMBER:
            position = float(known["position"])
            expected_class = CLASS_NUMBER[known["name"]] / CLASS_SLOTS
        else:
            assert UNKNOWN.search(lines[0]), lines[0]
            expected_class = 0.0  # unknown hits keep the position
        print(f"{onset:7.3f} s  {lines[0]}  ->  {values}")
        assert abs(values["out_hit_level_dbfs"] - expected_level) < 2e-3, (lines[0], values)
        assert abs(values["out_class"] - expected_class) < 1e-3, (lines[0], values)
        # Speed over its default range, 0..16 hits per second.
        rate = float(re.search(r"speed=(\S+)", lines[0])[1])
        assert abs(values["out_speed"] - min(rate / 16.0, 1.0)) < 2e-3, (lines[0], values)
        if position is not None:
            assert abs(values["out_position"] - position) < 2e-3, (lines[0], values)
        checked.append(values)
    assert len(checked) == HITS
    positions = [v["out_position"] for v in checked]
    assert len(set(np.round(positions, 3))) > 1, f"the position never moved: {positions}"
