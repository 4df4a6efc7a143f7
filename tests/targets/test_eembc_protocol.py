"""The DUT protocol as pure functions: framing, chunking, parsing, quirks."""

import pytest

from tinybench.targets.eembc_protocol import (
    DB_CHUNK_BYTES,
    DeviceError,
    ProtocolError,
    check_db_load,
    db_commands,
    elapsed_us,
    encode_command,
    parse_infer,
    parse_name,
    parse_profile,
    parse_results,
)


def test_commands_are_terminated_and_bounded():
    assert encode_command("name") == b"name%"
    with pytest.raises(ValueError, match="exceeds the device's 80"):
        encode_command("x" * 81)
    with pytest.raises(ValueError, match="terminator"):
        encode_command("db 12%34")


def test_db_chunks_use_the_full_80_characters():
    data = bytes(range(256)) * 2
    commands = db_commands(data)
    assert commands[0] == "db load 512"
    assert DB_CHUNK_BYTES == 38
    assert all(len(c) <= 80 for c in commands)
    assert max(len(c) for c in commands) == 79  # "db " + 76 hex digits
    assert bytes.fromhex("".join(c[3:] for c in commands[1:])) == data
    assert len(commands) == 1 + -(-512 // 38)


def test_runner_sized_chunks_for_comparison():
    assert len(db_commands(bytes(3072), 31)) == 1 + 100  # the official runner's 100 chunks for ic01


@pytest.mark.parametrize(("line", "values"), [
    ("m-results-[0.012,0.988,]", [0.012, 0.988]),  # vww01's trailing comma
    ("m-results-[0.000,0.996]", [0.0, 0.996]),
    ("m-results-[0.0,0.1,0.996]", [0.0, 0.1, 0.996]),  # kws01's 0.%d%d%d
    ("m-results-[11.648]", [11.648]),  # ad01's MSE
])
def test_results_parsing_tolerates_reference_quirks(line, values):
    assert parse_results(line) == pytest.approx(values)


def test_results_parsing_rejects_garbage():
    with pytest.raises(ProtocolError, match="unreadable value"):
        parse_results("m-results-[0.1,\x8fx]")


def test_lap_timer_wraps_at_32_bits():
    assert elapsed_us(100, 600) == 500
    assert elapsed_us(2**32 - 100, 400) == 500


def test_name_and_profile():
    assert parse_name(["m-name-dut-[unspecified]"]) == ("dut", "unspecified")
    assert parse_profile(["m-profile-[ULPMark for tinyML Firmware V0.0.1]", "m-model-[kws01]"]) == \
        ("ULPMark for tinyML Firmware V0.0.1", "kws01")
    with pytest.raises(ProtocolError, match="no m-model"):
        parse_profile(["m-profile-[x]"])


def test_db_load_must_be_acknowledged():
    check_db_load(490, ["m-[Expecting 490 bytes]"])
    with pytest.raises(ProtocolError, match="did not accept 'db load 99999'"):
        check_db_load(99999, ["Supplied buffer size 99999 exceeds maximum of 490"])
    with pytest.raises(DeviceError, match=r"e-\[Command 'db load' must be >0 bytes\]"):
        check_db_load(0, ["e-[Command 'db load' must be >0 bytes]"])


GOOD = ["m-warmup-start-5", "m-warmup-done", "m-infer-start-20", "m-lap-us-1234567", "m-lap-us-1734567",
        "m-infer-done", "m-results-[0.000,0.996]"]


def test_infer_sequence():
    reply = parse_infer(20, 5, GOOD)
    assert reply.elapsed_us == 500000 and reply.results == (0.0, 0.996)


@pytest.mark.parametrize(("lines", "message"), [
    (GOOD[:3] + GOOD[5:], "printed 0 m-lap-us line"),
    ([l for l in GOOD if l != "m-infer-done"], "missing 'm-infer-done'"),
    (GOOD[:-1], "no m-results"),
    (GOOD[:4] + ["m-init-done"], "rebooted"),
    (GOOD[:4] + ["\x9c\x13m-lap-us-17"] + GOOD[4:], "unexpected line"),
    (["e-[Inference iterations must be >0]"], "device rejected 'infer 20 5'"),
])
def test_broken_infer_replies_are_named(lines, message):
    with pytest.raises(ProtocolError, match=message):
        parse_infer(20, 5, lines)
