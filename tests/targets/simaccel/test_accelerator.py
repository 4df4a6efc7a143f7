"""Accelerator descriptions: presets, and each kind of bad description named."""

import pytest

from tinybench.targets.simaccel.accelerator import AcceleratorError, load_accelerator, parse_accelerator, presets

GOOD = """
name = "x"
[array]
rows = 4
cols = 4
dataflow = "ws"
clock_mhz = 100
[sram]
input_kib = 8
weight_kib = 8
output_kib = 8
[dram]
bytes_per_cycle = 2
[energy]
pj_per_mac = 0.1
pj_per_sram_byte = 1
pj_per_dram_byte = 10
static_mw = 0
[host]
pj_per_cycle = 1
default_cycles_per_element = 2
"""


def test_presets_load():
    assert {"mcu-npu", "edge-npu"} <= set(presets())
    mcu = load_accelerator("mcu-npu")
    assert (mcu.rows, mcu.cols, mcu.dataflow, mcu.clock_hz) == (8, 8, "os", 200e6)
    assert load_accelerator("edge-npu").dataflow == "ws"


def test_a_file(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text(GOOD)
    acc = load_accelerator(str(path))
    assert acc.sram_input_bytes == 8192 and acc.array_ops == ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


@pytest.mark.parametrize(("edit", "message"), [
    (("rows = 4", "rows = 0"), "at least one row and column"),
    (('dataflow = "ws"', 'dataflow = "rs"'), "unknown dataflow 'rs'"),
    (("bytes_per_cycle = 2", ""), "missing field dram.bytes_per_cycle"),
    (("clock_mhz = 100", "clock_mhz = -1"), "array.clock_mhz must be positive"),
    (("pj_per_mac = 0.1", "pj_per_mac = -0.1"), "must not be negative"),
    (("rows = 4", "rows = 4\nlanes = 2"), "unknown field lanes"),
    (('dataflow = "ws"', 'dataflow = "ws"\nops = ["CONV_2D", "SOFTMAX"]'), "cannot run SOFTMAX"),
    (("rows = 4", 'rows = "four"'), "array.rows must be int"),
    (("[dram]\nbytes_per_cycle = 2", ""), "missing section \\[dram\\]"),
    (("[dram]", "[dramx]"), "unknown field dramx"),
])
def test_bad_descriptions_are_named(tmp_path, edit, message):
    path = tmp_path / "a.toml"
    path.write_text(GOOD.replace(*edit))
    with pytest.raises(AcceleratorError, match=message):
        load_accelerator(str(path))


def test_unknown_preset_lists_the_choices():
    with pytest.raises(AcceleratorError, match="presets: edge-npu, mcu-npu"):
        load_accelerator("tpu-v9")


def test_not_toml(tmp_path):
    (tmp_path / "a.toml").write_text("rows = [")
    with pytest.raises(AcceleratorError, match="not valid TOML"):
        load_accelerator(str(tmp_path / "a.toml"))
