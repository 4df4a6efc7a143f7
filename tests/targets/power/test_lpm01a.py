"""The LPM01A grammar and the emulator's state machine, without a port."""

import pytest

from tinybench.energy_accounting import sample_window_energy
from tinybench.targets.emulators.lpm01a_emulator import Lpm01aModel, MonitorFaults, PowerModel
from tinybench.targets.power.contract import SampleCapture
from tinybench.targets.power.lpm01a_protocol import TIMESTAMP, classify, decode_sample, encode_sample, setup_commands


@pytest.mark.parametrize("joules", [3.287e-5, 8.04e-4, 1e-9, 0.0123456, 2.5])
def test_samples_have_four_mantissa_digits_and_round_trip(joules):
    token = encode_sample(joules)
    assert len(token) == 7 and token[4] in "+-"
    assert decode_sample(token) == pytest.approx(joules, rel=1e-3)
    assert decode_sample("3287-08") == pytest.approx(3.287e-5)


def test_line_classification():
    assert classify("PowerShield > ack volt 1800m").kind == "ack"
    assert classify("PowerShield > error volt 5000m").kind == "error"
    assert classify("Error detail: out of range").text == "out of range"
    assert classify("event 12 ris").value == 12
    assert classify("\x003287-08").kind == "sample"
    assert classify("TimeStamp: 001s 000ms, buff 00%").kind == "timestamp"
    assert classify("PowerShield > Acquisition completed").kind == "message"


def test_setup_matches_the_runners_sequence_and_validates():
    commands = setup_commands(1.8)
    assert commands[0] == "htc" and commands[-1] == "volt 1800m" and "freq 1k" in commands
    assert "eventsrc d7 fal" in commands and "output energy" in commands and "format ascii_dec" in commands
    with pytest.raises(ValueError, match="1.8–3.3 V"):
        setup_commands(5.0)
    with pytest.raises(ValueError, match="frequency"):
        setup_commands(1.8, "3k")


def test_emulator_acks_and_errors():
    board = Lpm01aModel()
    assert board.command('lcd 1 "MLPerf Tiny"') == ['PowerShield > ack lcd 1 "MLPerf Tiny"']
    assert board.command("volt 1800m") == ["PowerShield > ack volt 1800m"]
    assert board.command("volt 5000m") == ["PowerShield > error volt 5000m",
                                           "Error detail: voltage 5000 mV outside 1800-3300 mV"]
    assert board.command("frobnicate") == ["PowerShield > error frobnicate", "Error detail: Command unknown"]
    assert board.command("stop") == ["PowerShield > ack stop", "PowerShield > Acquisition completed"]
    assert Lpm01aModel(faults=MonitorFaults(no_ack="htc")).command("htc") == []


def test_emulator_energy_follows_the_power_model():
    board = Lpm01aModel(PowerModel(idle_ma=1.0, active_ma=10.0))
    for command in ("volt 1800m", "freq 1k", "pwr on", "start"):
        board.command(command)
    lines = board.dut("idle", 0)  # first message: the sample clock starts here
    lines += board.dut("active", 500_000)  # 0.5 s idle: 500 samples of 1.8 µJ
    lines += board.dut("ts", 500_000)
    lines += board.dut("ts", 2_500_000)  # 2 s active: 2000 samples of 18 µJ
    lines += board.dut("idle", 2_500_000)
    samples = [decode_sample(line) for line in lines if classify(line).kind == "sample"]
    events = [(classify(l).value, sum(1 for x in lines[:i] if classify(x).kind == "sample"))
              for i, l in enumerate(lines) if classify(l).kind == "event"]
    assert len(samples) == 2500
    assert samples[0] == pytest.approx(1.8e-6) and samples[-1] == pytest.approx(18e-6)
    assert events == [(1, 500), (2, 2500)]
    stamps = [l for l in lines if l.startswith("TimeStamp")]
    assert stamps == ["TimeStamp: 001s 000ms, buff 00%", "TimeStamp: 002s 000ms, buff 00%"]
    assert all(TIMESTAMP.match(s) for s in stamps)
    import numpy as np

    window = sample_window_energy(SampleCapture(np.array(samples), events, 1000.0))
    assert window.energy_j == pytest.approx(18e-3 * 2.0, rel=1e-3) and window.duration_s == pytest.approx(2.0)


def test_unpowered_dut_draws_nothing():
    board = Lpm01aModel()
    board.command("start")
    lines = board.dut("active", 0) + board.dut("idle", 10_000)
    assert [decode_sample(l) for l in lines if classify(l).kind == "sample"] == [0.0] * 10


def test_window_accounting_rules():
    import numpy as np

    samples = np.full(100, 1e-6)
    # "extra activity on the timestamp pin at the beginning": only the last two events count
    w = sample_window_energy(SampleCapture(samples, [(1, 2), (2, 10), (3, 60)], 1000.0))
    assert (w.energy_j, w.duration_s) == (pytest.approx(50e-6), pytest.approx(0.05))
    assert not sample_window_energy(SampleCapture(samples, [(1, 10), (3, 60)], 1000.0)).valid
    assert "two are needed" in sample_window_energy(SampleCapture(samples, [(1, 10)], 1000.0)).problems[0]
    assert not sample_window_energy(SampleCapture(samples, [(1, 10), (2, 160)], 1000.0)).valid
