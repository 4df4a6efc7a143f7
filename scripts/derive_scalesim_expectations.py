"""Derive the SCALE-Sim 3.0.0 figures that tests/targets/simaccel keep as expectations.

    python scripts/derive_scalesim_expectations.py --scalesim-python /path/to/venv/bin/python

The SCALE-Sim venv: `python -m venv V && V/bin/pip install scalesim==3.0.0 "numpy<2.4"`
(SCALE-Sim 3.0.0 fails with numpy 2.4). Reads the official vww01, kws01 and ic01 models from
$TINYBENCH_REFERENCE_DIR, turns every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED layer
into SCALE-Sim's terms (convolutions with their padded input size, since SCALE-Sim takes no
padding; one stride for both axes; depthwise as one single-channel layer per channel, as
SCALE-Sim's `DP` layers are split — simulated once and multiplied by the channel count, the
channels being identical; FC as a GEMM M×K·K×N) and runs SCALE-Sim for the dataflows os, ws
and is on 8×8 and 16×32 arrays:

* CALC mode (stall-free) with 4 MiB buffers: "Total Cycles" per layer (the fold model);
* USER mode (user bandwidth) with 64/64/32 KiB ifmap/filter/ofmap buffers at 10 and 4
  words (bytes) per cycle on each buffer's DRAM port (3.0.0 takes the ifmap and filter
  bandwidths from `[layout] *SRAMBankBandwidth`, one bank each, the ofmap's from
  `Bandwidth`): SRAM reads and writes, DRAM reads and writes, stall cycles, "Total Cycles"
  and "Total Cycles (incl. prefetch)" per layer.

Writes tests/targets/simaccel/scalesim_expected.json. Takes about an hour (SCALE-Sim walks
every demand row in Python); the two bandwidths run in parallel.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from tinybench.targets.simaccel.layer_mapping import map_graph
from tinybench.workloads import get_workload
from tinybench.workloads.model_choice import resolve_model

ARRAYS = [(8, 8), (16, 32)]
BANDWIDTHS = [10, 4]  # words (bytes) per cycle per buffer port, USER mode
BUFFERS_KIB = (64, 64, 32)  # ifmap, filter, ofmap SRAM in USER mode
MEMORY_FIELDS = ["total_cycles", "total_cycles_incl_prefetch", "stall_cycles", "ifmap_sram_reads",
                 "filter_sram_reads", "ofmap_sram_writes", "ifmap_dram_reads", "filter_dram_reads",
                 "ofmap_dram_writes"]
DATAFLOWS = ["os", "ws", "is"]
WORKLOADS = ["vww01", "kws01", "ic01"]
OUT = Path(__file__).resolve().parents[1] / "tests" / "targets" / "simaccel" / "scalesim_expected.json"

RUNNER = r'''
import json, sys
from scalesim.scale_config import scale_config
from scalesim.topology_utils import topologies
from scalesim.layout_utils import layouts
from scalesim.simulator import simulator
job = json.load(open(sys.argv[1]))
cfg_text = open(sys.argv[2]).read()
results = {}
for rows, cols in job["arrays"]:
    for dataflow in job["dataflows"]:
        values = {"@R@": rows, "@C@": cols, "@DF@": dataflow, **job["values"]}
        text = cfg_text
        for key, value in values.items():
            text = text.replace(key, str(value))
        with open("run.cfg", "w") as fh:
            fh.write(text)
        cfg = scale_config(); cfg.read_conf_file("run.cfg")
        topo = topologies()
        for layer in job["layers"]:
            topo.load_layer_params_from_list(layer["name"], layer["params"])
        sim = simulator()
        sim.set_params(config_obj=cfg, topo_obj=topo, layout_obj=layouts(), top_path="out", verbosity=False,
                       save_trace=False)
        sim.run()
        for layer, obj in zip(job["layers"], sim.single_layer_sim_object_list):
            compute, detail = obj.get_compute_report_items(), obj.get_detail_report_items()
            results[f'{layer["name"]}|{dataflow}|{rows}x{cols}'] = [
                int(compute[1]), int(compute[0]), int(compute[2]), int(detail[2]), int(detail[5]), int(detail[8]),
                int(detail[11]), int(detail[14]), int(detail[17])]
        print(job["values"], rows, cols, dataflow, "done", flush=True)
json.dump(results, open(sys.argv[3], "w"))
'''

CONFIG = """[general]
run_name = tinybench
[architecture_presets]
ArrayHeight: @R@
ArrayWidth: @C@
IfmapSramSzkB: @IK@
FilterSramSzkB: @FK@
OfmapSramSzkB: @OK@
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Bandwidth : @BW@
Dataflow : @DF@
MemoryBanks: 1
ReadRequestBuffer: 32
WriteRequestBuffer: 32
[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: @BW@
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: @BW@
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2
[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40
[run_presets]
InterfaceBandwidth: @MODE@
UseRamulatorTrace: False
"""


def scalesim_layers() -> list[dict]:
    layers = []
    for workload_id in WORKLOADS:
        graph = resolve_model("reference", get_workload(workload_id)).graph
        for layer in map_graph(graph, ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")):
            s = layer.scalesim
            if s is None:
                continue
            name = f"{workload_id}_L{layer.index}"
            if s["kind"] == "gemm":  # M×K · K×N as SCALE-Sim's GEMM form: ifmap M×K, filter 1×K, N filters
                params = [name, s["m"], s["k"], 1, s["k"], 1, s["n"], 1, 1, 1, 1]
                repeats = 1
            else:
                (ih, iw), (fh, fw) = s["ifmap"], s["filter"]
                channels = 1 if s["kind"] == "dw" else s["channels"]
                params = [name, ih, iw, fh, fw, channels, s["filters"], s["stride"], s["stride"], 1, 1]
                repeats = s["channels"] if s["kind"] == "dw" else 1
            layers.append({"name": name, "workload": workload_id, "index": layer.index, "op": layer.op_type,
                           "params": params, "repeats": repeats})
    return layers


def _run(scalesim_python: str, tmp: Path, tag: str, layers: list[dict], values: dict) -> subprocess.Popen:
    work = tmp / tag
    work.mkdir()
    (work / "job.json").write_text(json.dumps({"layers": layers, "arrays": ARRAYS, "dataflows": DATAFLOWS,
                                               "values": values}))
    (work / "cfg.template").write_text(CONFIG)
    (work / "runner.py").write_text(RUNNER)
    return subprocess.Popen([scalesim_python, "runner.py", "job.json", "cfg.template", "out.json"], cwd=work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scalesim-python", required=True)
    args = parser.parse_args()
    layers = scalesim_layers()
    runs = {"calc": {"@MODE@": "CALC", "@BW@": 10, "@IK@": 4096, "@FK@": 4096, "@OK@": 4096}}
    ik, fk, ok = BUFFERS_KIB
    for bw in BANDWIDTHS:
        runs[f"bw{bw}"] = {"@MODE@": "USER", "@BW@": bw, "@IK@": ik, "@FK@": fk, "@OK@": ok}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        procs = {tag: _run(args.scalesim_python, tmp, tag, layers, values) for tag, values in runs.items()}
        for tag, proc in procs.items():
            if proc.wait() != 0:
                raise SystemExit(f"SCALE-Sim run {tag} failed")
        results = {tag: json.loads((tmp / tag / "out.json").read_text()) for tag in runs}
        version = subprocess.run([args.scalesim_python, "-c", "import importlib.metadata as m; "
                                  "print(m.version('scalesim'), m.version('numpy'))"],
                                 capture_output=True, text=True, check=True).stdout.split()
    expected, memory = [], []
    for layer in layers:
        for rows, cols in ARRAYS:
            for dataflow in DATAFLOWS:
                key = f"{layer['name']}|{dataflow}|{rows}x{cols}"
                expected.append({"workload": layer["workload"], "layer": layer["index"], "op": layer["op"],
                                 "dataflow": dataflow, "rows": rows, "cols": cols, "scalesim_params": layer["params"],
                                 "channel_repeats": layer["repeats"],
                                 "scalesim_total_cycles": results["calc"][key][0]})
                for bw in BANDWIDTHS:
                    memory.append([layer["workload"], layer["index"], dataflow, rows, cols, bw,
                                   *results[f"bw{bw}"][key]])
    OUT.write_text(json.dumps({
        "how": "scripts/derive_scalesim_expectations.py: SCALE-Sim " + version[0] + " (numpy " + version[1] + "), "
               "CALC mode (no stalls), 4 MiB buffers; 'Total Cycles' column per layer. Depthwise layers: one "
               "single-channel layer simulated and multiplied by channel_repeats.",
        "expected": expected,
        "memory": {
            "how": f"SCALE-Sim {version[0]} USER mode, {ik}/{fk}/{ok} KiB ifmap/filter/ofmap SRAM, the bandwidth "
                   "(words = bytes per cycle) on each buffer's DRAM port; per SCALE-Sim layer (one channel of a "
                   "depthwise layer); figures as SCALE-Sim reports them (COMPUTE_REPORT, DETAILED_ACCESS_REPORT).",
            "buffers_kib": list(BUFFERS_KIB), "bandwidths": BANDWIDTHS,
            "columns": ["workload", "layer", "dataflow", "rows", "cols", "bandwidth", *MEMORY_FIELDS],
            "rows": memory,
        },
    }, indent=1) + "\n")
    print(f"wrote {len(expected)} cycle and {len(memory)} memory expectations to {OUT}")


if __name__ == "__main__":
    main()
