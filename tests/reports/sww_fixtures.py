"""Published MLPerf Tiny sww results, built on the fly in the tiny_results_v1.3 layout.

results.txt lines in the runner's exact formats (CRLF as ST's files, LF as Syntiant's) and a
performance results.json shaped like the runner's (`infer.detections`,
`infer.detection_windows`, `dutycycle`, …); detections that score 44 TP / 6 FN / 4 FP.
"""

import json
from pathlib import Path

ENERGY_TXT = """Power Edition Output
Energy data for trial 0
  Elapsed time  : {elapsed}
  Inferences    : 1
  Power         : {power} mW.
  Total Energy  : {total} uJ
  Energy/Inf    : {total} uJ/inf
---------------------------------------------------------
Median energy cost is {median} uJ/inf.
---------------------------------------------------------
"""
STREAM_TXT = """Accuracy: {tp} True positives, {fn} False negatives, {fp} False positives
Average duty cycle: {duty}
Average period: {period} s
Estimated throughput: {throughput} inf./sec.
"""
WINDOWS = [[9.0 + 11.0 * i + 0.123456789, 9.6 + 11.0 * i + 0.123456789] for i in range(50)]
MISSED = {3, 10, 17, 24, 31, 49}  # six wake words without a detection
FALSE_TIMES_S = [612.585, 715.326, 853.827, 980.845]


def detections() -> list[int]:
    """A sync pulse at 85 ms, runs of pulses 32 ms apart inside 44 windows, four false triggers."""
    stamps = [85]
    for i, (start, _) in enumerate(WINDOWS):
        if i not in MISSED:
            stamps += [85 + int((start + 0.4) * 1000) + 32 * k for k in range(12)]
    for t in FALSE_TIMES_S:
        stamps += [85 + int(t * 1000) + 32 * k for k in range(3)]
    return stamps


def write(path, text, crlf=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", "\r\n" if crlf else "\n").encode())


def build_published(root: Path) -> Path:
    """tiny_results_v1.3 layout with ST (energy + performance, CRLF) and Syntiant (energy) sww results."""
    repo = root / "tiny_results_v1.3"
    st = repo / "closed" / "STMicroelectronics"
    write(st / "systems" / "NUCLEO_L4R5ZI-P.json", json.dumps(
        {"submitter": "STMicroelectronics", "Board Name": "NUCLEO-L4R5ZI-P", "Processor(s) Name": "STM32L4R5ZI",
         "Inference Framework": "X-CUBE-AI", "status": "available"}))
    sww = st / "results" / "NUCLEO_L4R5ZI-P" / "sww"
    write(sww / "energy" / "results.txt",
          ENERGY_TXT.format(elapsed="1202.8039999999999", power="25.6220", total="30746401.810",
                            median="30746401.8100")
          + STREAM_TXT.format(tp=44, fn=6, fp=4, duty="0.56085", period="0.031987", throughput="55.742"), crlf=True)
    write(sww / "energy" / "log.txt", "Logging initialized. Writing output to sessions\\20250729_132607\\log.txt\n",
          crlf=True)
    write(sww / "performance" / "results.txt",
          STREAM_TXT.format(tp=44, fn=6, fp=4, duty="0.55914", period="0.031989", throughput="55.908"), crlf=True)
    write(sww / "performance" / "log.txt", "Device model retrieved: sww01\n", crlf=True)
    write(sww / "performance" / "results.json", json.dumps([{
        "infer": {"wav_file": "long_wav.wav", "detection_windows": WINDOWS, "length_sec": 1200.0, "sample_rate": 16000,
                  "detections": detections(), "iterations": 1, "warmups": 0},
        "dutycycle": {"duty_cycle": 0.5591419766145769, "period": 0.03198919191919192,
                      "processing_time": 0.017886500000000017, "start_times_s": [0.1, 0.132],
                      "stop_times_s": [0.118, 0.15]},
        "activations": [], "mode": "p"}]))
    syn = repo / "closed" / "syntiant"
    write(syn / "systems" / "syntiant_9120_1v0_49mhz.json", json.dumps({"Board Name": "NDP9120 EVK"}))
    write(syn / "results" / "syntiant_9120_1v0_49mhz" / "sww" / "energy" / "results.txt",
          ENERGY_TXT.format(elapsed="1202.829", power="0.5067", total="609485.073", median="609485.0735")
          + STREAM_TXT.format(tp=46, fn=4, fp=4, duty="0.021792", period="0.032072", throughput="1430.8"))
    return repo
