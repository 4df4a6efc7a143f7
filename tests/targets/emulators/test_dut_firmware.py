"""The emulated firmware's replies, byte for byte, without a port."""

import numpy as np
import pytest

from tinybench.targets.emulators.cycle_model import CycleModel
from tinybench.targets.emulators.dut_firmware import DutFirmware, FirmwareConfig
from tinybench.targets.emulators.emulator_clock import lines_of, text_of
from tinybench.targets.emulators.results_format import format_results, kws_digits
from tinybench.workloads import get_workload
from tinybench.workloads.builtin_models import builtin_model


class PulseRecorder:
    """Stands in for the power monitor: records the device's pulses and supply states."""

    def __init__(self):
        self.pulses, self.states = [], []

    def pulse(self, t):
        self.pulses.append(t)
        return len(self.pulses)

    def state(self, kind, t):
        self.states.append((kind, t))

    def reset(self, t):
        pass


def firmware(workload_id="kws01", energy=False, timer_start=0, monitor=None):
    w = get_workload(workload_id)
    model = builtin_model(w)
    outputs = np.full(model.output.shape, -128, dtype=np.int8)
    outputs.flat[0] = 127

    def run(tensor):
        run.inputs.append(tensor)
        return outputs

    run.inputs = []
    cfg = FirmwareConfig(w, macs=model.graph.macs, operators=len(model.graph.operators), model_bytes=model.size_bytes,
                         cycle_model=CycleModel(clock_hz=100e6, cycles_per_mac=1.0, cycles_per_operator=0,
                                                fixed_cycles=0), energy_mode=energy, timer_start_us=timer_start)
    fw = DutFirmware(cfg, run, model.input, model.output, monitor=monitor)
    feed = fw.feed
    fw.feed = lambda data: lines_of(feed(data))  # the tests read lines
    return fw, run


def test_boot_banner():
    fw, _ = firmware()
    assert lines_of(fw.boot_output()) == ["m-timestamp-mode-performance", "m-lap-us-0", "m-init-done", "m-ready"]
    fw_e, _ = firmware(energy=True)
    assert lines_of(fw_e.boot_output()) == ["m-timestamp-mode-energy", "m-init-done", "m-ready"]
    fw_ad, _ = firmware("ad01")  # the ad01 reference's th_final_initialize prints "Initialized"
    assert lines_of(fw_ad.boot_output())[2] == "Initialized"


def test_commands_and_errors_match_the_reference():
    fw, _ = firmware()
    assert fw.feed(b"name%") == ["m-name-dut-[tinybench-emulator]", "m-ready"]
    assert fw.feed(b"profile%") == ["m-profile-[ULPMark for tinyML Firmware V0.0.1]", "m-model-[kws01]", "m-ready"]
    assert fw.feed(b"bogus 1 2%") == ["e-[Unknown command: bogus]", "m-ready"]
    assert fw.feed(b"%") == ["m-ready"]  # NULL to strncmp in the reference (undefined); answered here
    assert fw.feed(b"   %") == ["m-ready"]
    assert fw.feed(b"db%") == ["e-[Command 'db' requires a subcommand]", "m-ready"]
    assert fw.feed(b"db load%") == ["e-[Command 'db load' requires the # of bytes]", "m-ready"]
    assert fw.feed(b"db load 0%") == ["e-[Command 'db load' must be >0 bytes]", "m-ready"]
    assert fw.feed(b"db abc%") == ["e-[Insufficent number of hex digits]", "m-ready"]
    assert fw.feed(b"db 0g%") == ["e-[Invalid hex digit '0g']", "m-ready"]
    assert fw.feed(b"infer 0 1%") == ["e-[Inference iterations must be >0]", "m-ready"]
    assert fw.feed(b"infer 1 -1%") == ["e-[Inference warmup must be >=0]", "m-ready"]


def test_commands_longer_than_80_characters_are_silently_truncated():
    fw, _ = firmware()
    fw.feed(b"db load 490%")
    # 3 + 80 hex digits: the firmware keeps 80 characters = "db " + 77 digits → odd count
    assert fw.feed(b"db " + b"ab" * 40 + b"%") == ["e-[Insufficent number of hex digits]", "m-ready"]
    # "names" and "name " match nothing special here: the first token decides
    assert fw.feed(b"names%") == ["e-[Unknown command: names]", "m-ready"]


def test_upload_and_infer_sequence_with_cycle_model_times():
    fw, run = firmware()
    data = bytes(range(256)) + bytes(234)
    # beyond the buffer: the reference's message ends in a bare \n (glued to m-ready on a line reader)
    assert fw.feed(b"db load 100000%") == ["Supplied buffer size 100000 exceeds maximum of 490\nm-ready"]
    assert fw.feed(b"db load 490%") == ["m-[Expecting 490 bytes]", "m-ready"]
    hexdata = data.hex().encode()
    out = []
    for i in range(0, len(hexdata), 76):
        out += fw.feed(b"db " + hexdata[i:i + 76] + b"%")
    assert out[-2:] == ["m-load-done", "m-ready"] and out.count("m-ready") == -(-490 // 38)
    lines = fw.feed(b"infer 10 2%")
    t_inf = fw.inference_us
    assert lines[:3] == ["m-warmup-start-2", "m-warmup-done", "m-infer-start-10"]
    t0, t1 = int(lines[3][9:]), int(lines[4][9:])
    assert abs((t1 - t0) - 10 * t_inf) <= 1  # µs, from the cycle model alone
    # output int8 127 → (127 + 128) / 256 = 0.99609375 → "0.996"; −128 → 0 → "0.000"
    assert lines[5:] == ["m-infer-done", "m-results-[" + ",".join(["0.996"] + ["0.000"] * 11) + "]", "m-ready"]
    assert np.array_equal(run.inputs[-1].ravel(), np.frombuffer(data, np.int8))  # kws: bytes unchanged


def test_timer_wraps():
    fw, _ = firmware(timer_start=2**32 - 10)
    fw.feed(b"db load 490%")
    fw.feed(b"db " + b"00" * 38 + b"%")
    lines = fw.feed(b"infer 100 0%")
    t0, t1 = int(lines[3][9:]), int(lines[4][9:])
    assert t0 > 2**32 - 20 and t1 < t0  # wrapped


def test_energy_build_pulses_instead_of_printing():
    monitor = PulseRecorder()
    fw, _ = firmware(energy=True, monitor=monitor)
    fw.feed(b"db load 490%")
    lines = fw.feed(b"infer 5 2%")
    assert not any(line.startswith("m-lap-us") for line in lines)
    t0, t1 = monitor.pulses
    assert (t1 - t0) * 1e6 == pytest.approx(5 * fw.inference_us, abs=1e-3)
    # announced ahead: active from the warm-up on, idle at the second pulse
    assert monitor.states == [("active", pytest.approx(t0 - 2 * fw.inference_us / 1e6)), ("idle", t1)]


def test_output_waits_for_the_modelled_times_and_the_monitor():
    """Real time: the pieces carry when they are printed; the pulse's event comes before the next bytes."""
    from tinybench.targets.emulators.emulator_clock import AwaitPulse, Until

    monitor = PulseRecorder()
    fw, _ = firmware(energy=True, monitor=monitor)
    items = DutFirmware.feed(fw, b"infer 3 0%")
    kinds = [type(i).__name__ if not isinstance(i, str) else i.strip() for i in items]
    assert kinds[kinds.index("m-infer-start-3") + 1:kinds.index("m-infer-done")] == \
        ["Until", "AwaitPulse", "Until", "AwaitPulse"]
    until = [i.t for i in items if isinstance(i, Until)]
    assert until[-1] - until[-2] == pytest.approx(3 * fw.inference_us / 1e6)
    assert [i.seq for i in items if isinstance(i, AwaitPulse)] == [1, 2]


def test_results_formats_of_each_reference_firmware():
    assert format_results("vww01", np.array([0.0117, 0.9883])) == "m-results-[0.012,0.988,]"
    assert format_results("ic01", np.array([0.3125, 0.0])) == "m-results-[0.312,0.000]"
    assert format_results("kws01", np.array([0.99609375, 0.0234])) == "m-results-[0.996,0.023]"
    assert kws_digits(0.0625) == "0.062"  # truncation, not rounding (0.0625 → "0.062")
    assert format_results("ad01", np.array([11.6476])) == "m-results-[11.648]"


def test_ic_input_is_uint8_minus_128():
    fw, run = firmware("ic01")
    fw.feed(b"db load 3072%")
    payload = bytes([0, 128, 255] * 1024)
    hexdata = payload.hex().encode()
    for i in range(0, len(hexdata), 76):
        fw.feed(b"db " + hexdata[i:i + 76] + b"%")
    fw.feed(b"infer 1 0%")
    assert run.inputs[-1].ravel()[:3].tolist() == [-128, 0, 127]


def test_parse_rules_of_the_c_library():
    from tinybench.targets.emulators.firmware_libc import atoi, strtok_spaces

    assert [atoi(x) for x in ("12abc", "abc", "-5", "  +7", "", "99999999999")] == [12, 0, -5, 7, 0, 1215752191]
    assert strtok_spaces("  db   load\t12 ") == ["db", "load\t12"]
    fw, _ = firmware()
    assert fw.feed(b"db load 12abc%") == ["m-[Expecting 12 bytes]", "m-ready"]
    assert fw.feed(b"db load -5%") == ["Supplied buffer size -5 exceeds maximum of 490\nm-ready"]
    assert fw.feed(b"na\0me%") == ["e-[Unknown command: na]", "m-ready"]  # a C string ends at NUL


def test_db_print_adds_an_empty_line_after_a_partial_row():
    fw, _ = firmware()
    fw.feed(b"db load 10%")
    fw.feed(b"db 00010203040506070809%")
    assert fw.feed(b"db print%") == ["m-buffer-00-01-02-03-04-05-06-07", "m-buffer-08-09", "", "m-ready"]
    fw.feed(b"db load 8%")
    assert fw.feed(b"db print%") == ["m-buffer-00-01-02-03-04-05-06-07", "m-ready"]


def test_short_input_warns_and_keeps_the_previous_tensor():
    fw, run = firmware()
    lines = fw.feed(b"infer 1 0%")
    assert lines[0] == "Input db has 0 elemented, expected 490\nm-warmup-start-0"
    assert not run.inputs[-1].any()  # the tensor as it was at boot


def test_virtual_time_advances_with_the_device_only():
    fw, _ = firmware(timer_start=0)
    assert text_of(DutFirmware.feed(fw, b"timestamp%")) == "m-lap-us-0\r\nm-ready\r\n"
