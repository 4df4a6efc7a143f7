"""The LPM01A grammar, the emulator's acquisition and the host's stream bookkeeping, without a port."""

import numpy as np
import pytest

from tinybench.energy_accounting import sample_window_energy
from tinybench.targets.emulators.lpm01a_emulator import Acquisition, Lpm01aBoard, MonitorFaults, PowerModel
from tinybench.targets.power.contract import SampleCapture
from tinybench.targets.power.lpm01a_protocol import TIMESTAMP, classify, decode_sample, encode_sample, setup_commands
from tinybench.targets.power.lpm01a_stream import StreamState


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
    board = Lpm01aBoard()
    assert board.command('lcd 1 "MLPerf Tiny"', 0.0) == ['PowerShield > ack lcd 1 "MLPerf Tiny"']
    assert board.command("volt 1800m", 0.0) == ["PowerShield > ack volt 1800m"]
    assert board.command("volt 5000m", 0.0) == ["PowerShield > error volt 5000m",
                                                "Error detail: voltage 5000 mV outside 1800-3300 mV"]
    assert board.command("frobnicate", 0.0) == ["PowerShield > error frobnicate", "Error detail: Command unknown"]
    assert board.command("start", 0.0) == ["PowerShield > ack start"]
    assert board.command("freq 2k", 0.0)[0] == "PowerShield > error freq 2k"  # not while acquiring
    assert board.command("stop", 0.0) == ["PowerShield > ack stop", "PowerShield > Acquisition completed"]
    assert Lpm01aBoard(faults=MonitorFaults(no_ack="htc")).command("htc", 0.0) == []


def acquisition(faults=MonitorFaults(), powered=True):
    return Acquisition(origin=100.0, period_s=1e-3, power=PowerModel(idle_ma=1.0, active_ma=10.0), faults=faults,
                       powered=powered, voltage_mv=1800)


def decode(lines):
    """(samples, events as (number, samples before it)) of an emitted stream."""
    samples, events = [], []
    for line in lines:
        kind = classify(line)
        if kind.kind == "sample":
            samples.append(kind.value)
        elif kind.kind == "event":
            events.append((kind.value, len(samples)))
    return samples, events


def test_the_stream_follows_the_announced_timeline_whenever_it_is_written():
    acq = acquisition()
    acq.change(100.5, "dut", "active")  # announced ahead of time, as the DUT emulator does
    acq.pulse(100.5, 1)
    acq.pulse(102.5, 2)
    acq.change(102.5, "dut", "idle")
    lines = acq.emit(100.3) + acq.emit(101.0) + acq.emit(103.0)  # written in three bursts
    samples, events = decode(lines)
    assert len(samples) == 3000 and events == [(1, 500), (2, 2500)]
    assert samples[0] == pytest.approx(1.8e-6) and samples[600] == pytest.approx(18e-6)
    assert [line for line in lines if line.startswith("TimeStamp")] == [
        "TimeStamp: 001s 000ms, buff 00%", "TimeStamp: 002s 000ms, buff 00%", "TimeStamp: 003s 000ms, buff 00%"]
    assert all(TIMESTAMP.match(line) for line in lines if line.startswith("TimeStamp"))
    assert sorted(acq.emitted_pulses) == [1, 2]
    window = sample_window_energy(SampleCapture(np.array(samples), events, 1000.0))
    assert window.energy_j == pytest.approx(18e-3 * 2.0, rel=1e-3) and window.duration_s == pytest.approx(2.0)


def test_an_event_waits_for_the_samples_before_it_and_nothing_else():
    acq = acquisition()
    acq.pulse(100.0105, 1)
    samples, events = decode(acq.emit(100.0105))  # its time has come: the 10 whole samples, then the event
    assert events == [(1, 10)] and len(samples) == 10


def test_a_pulse_the_emulator_could_not_place_is_flagged_not_misplaced():
    acq = acquisition()
    acq.emit(100.5)
    acq.pulse(100.2, 7)  # reported after its time was already written
    lines = acq.emit(100.6)
    assert any("reached the monitor" in line for line in lines)


def test_unpowered_dut_draws_nothing():
    acq = acquisition(powered=False)
    acq.change(100.0, "dut", "active")
    assert set(decode(acq.emit(100.01))[0]) == {0.0}


def test_faults_of_the_stream():
    acq = acquisition(MonitorFaults(miss_pulse=1, garbage_after_event=1, stop_after_event=2))
    for seq, t in enumerate((100.1, 100.2, 100.3, 100.4), start=1):
        acq.pulse(t, seq)
    lines = acq.emit(101.0)
    assert [line for line in lines if classify(line).kind == "event"] == ["event 1 ris", "event 2 ris"]  # 1 missed
    assert len(lines) > 300 and acq.stopped and not acq.emit(102.0)  # stopped for good after event 2
    assert sum(1 for line in lines if classify(line).kind == "message") >= 5  # the burst


def stream_of(lines, rate=1000.0):
    state = StreamState(rate, acquiring=True)
    state.begin_window()
    for line in lines:
        state.handle(classify(line))
    return state


def test_host_bookkeeping_sees_lost_samples_lost_events_and_junk():
    good = ["1800-09"] * 1000 + ["TimeStamp: 001s 000ms, buff 00%"]
    assert stream_of(good).problems == []
    lost = stream_of(["1800-09"] * 990 + ["TimeStamp: 001s 000ms, buff 40%"] + ["1800-09"] * 1000
                     + ["TimeStamp: 002s 000ms, buff 00%"])
    assert len(lost.problems) == 1 and "samples lost" in lost.problems[0] and "10 missing" in lost.problems[0]
    gap = stream_of(["event 1 ris", "1800-09", "event 3 ris"])
    assert "not consecutive" in gap.problems[0]
    junk = stream_of(["1800-09", "\x7f\x01", "3287-0", "TimeStamp: 1s", "PowerShield > ack start"])
    assert len(junk.problems) == 3  # an acknowledgement is not junk


def test_window_accounting_rules():
    samples = np.full(100, 1e-6)
    # "extra activity on the timestamp pin at the beginning": only the last two events count
    w = sample_window_energy(SampleCapture(samples, [(1, 2), (2, 10), (3, 60)], 1000.0))
    assert (w.energy_j, w.duration_s) == (pytest.approx(50e-6), pytest.approx(0.05))
    assert not sample_window_energy(SampleCapture(samples, [(1, 10), (3, 60)], 1000.0)).valid
    assert "two are needed" in sample_window_energy(SampleCapture(samples, [(1, 10)], 1000.0)).problems[0]
    assert not sample_window_energy(SampleCapture(samples, [(1, 10), (2, 160)], 1000.0)).valid
