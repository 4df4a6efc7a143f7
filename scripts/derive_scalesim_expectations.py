"""Derive the SCALE-Sim 3.0.0 figures that tests/targets/simaccel keep as expectations.

    python scripts/derive_scalesim_expectations.py --scalesim-python /path/to/venv/bin/python \
        [--arrays 4x16 12x20] [--work DIR [--collect]]

The SCALE-Sim venv: `python -m venv V && V/bin/pip install scalesim==3.0.0 "numpy<2.4"`
(SCALE-Sim 3.0.0 fails with numpy 2.4). Reads the official vww01, kws01 and ic01 models from
$TINYBENCH_REFERENCE_DIR, turns every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED layer
into SCALE-Sim's terms (convolutions with their padded input size, since SCALE-Sim takes no
padding; one stride for both axes; depthwise as one single-channel layer per channel, as
SCALE-Sim's `DP` layers are split — simulated once and multiplied by the channel count, the
channels being identical; FC as a GEMM M×K·K×N) and runs SCALE-Sim for the dataflows os, ws
and is:

* CALC mode (stall-free) with 4 MiB buffers, on 8×8 and 16×32 arrays: "Total Cycles" per
  layer (the fold model);
* USER mode (user bandwidth) with 64/64/32 KiB ifmap/filter/ofmap buffers at 10 and 4
  words (bytes) per cycle on each buffer's DRAM port (3.0.0 takes the ifmap and filter
  bandwidths from `[layout] *SRAMBankBandwidth`, one bank each, the ofmap's from
  `Bandwidth`), on 8×8, 16×32, 4×16 and 12×20 arrays: SRAM reads and writes, DRAM reads and
  writes, stall cycles, "Total Cycles" and "Total Cycles (incl. prefetch)" per layer.

Writes tests/targets/simaccel/scalesim_expected.json, one expectation per line. `--arrays`
reruns only those arrays and keeps the file's figures for the others. SCALE-Sim walks every
demand row in Python: one process per array and bandwidth (under `nice`), each saving its
figures after every layer in `--work`; an array takes from a quarter of an hour (12×20) to an
hour (4×16) on one core. `--collect` runs nothing and writes what the runs in `--work` saved
(the layers finished at both bandwidths).
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

ARRAYS = [(8, 8), (16, 32)]  # CALC-mode cycles and USER-mode memory figures
MEMORY_ARRAYS = ARRAYS + [(4, 16), (12, 20)]  # USER-mode memory figures
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
from scalesim.single_layer_sim import single_layer_sim
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
        for layer in job["layers"]:  # one layer at a time, results saved after each
            topo = topologies()
            topo.load_layer_params_from_list(layer["name"], layer["params"])
            obj = single_layer_sim()
            obj.set_params(layer_id=0, config_obj=cfg, topology_obj=topo, layout_obj=layouts(), verbose=False)
            obj.run()
            compute, detail = obj.get_compute_report_items(), obj.get_detail_report_items()
            results[f'{layer["name"]}|{dataflow}|{rows}x{cols}'] = [
                int(compute[1]), int(compute[0]), int(compute[2]), int(detail[2]), int(detail[5]), int(detail[8]),
                int(detail[11]), int(detail[14]), int(detail[17])]
            with open(sys.argv[3], "w") as fh:
                json.dump(results, fh)
        print(job["values"], rows, cols, dataflow, "done", flush=True)
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


def _run(scalesim_python: str, work: Path, layers: list[dict], arrays: list, values: dict) -> subprocess.Popen:
    work.mkdir(parents=True, exist_ok=True)
    (work / "job.json").write_text(json.dumps({"layers": layers, "arrays": arrays, "dataflows": DATAFLOWS,
                                               "values": values}))
    (work / "cfg.template").write_text(CONFIG)
    (work / "runner.py").write_text(RUNNER)
    return subprocess.Popen(["nice", "-n", "10", scalesim_python, "runner.py", "job.json", "cfg.template",
                             "out.json"], cwd=work)


def _compact_json(data: dict) -> str:
    """JSON with one expectation (a dict or a row) per line: small, and diffs stay readable."""
    def dump(value, indent: str) -> str:
        if isinstance(value, dict) and any(isinstance(v, (dict, list)) and v and isinstance(v[0] if isinstance(v, list)
                                                                                    else v, (dict, list))
                                           for v in value.values()):
            inner = ",\n".join(f"{indent} {json.dumps(k)}: {dump(v, indent + ' ')}" for k, v in value.items())
            return "{\n" + inner + "\n" + indent + "}"
        if isinstance(value, list) and value and isinstance(value[0], (dict, list)):
            return "[\n" + ",\n".join(indent + " " + json.dumps(v, separators=(",", ":")) for v in value) + "\n" + indent + "]"
        return json.dumps(value, separators=(",", ":"))
    return dump(data, "") + "\n"


def _array(text: str) -> tuple[int, int]:
    rows, cols = text.lower().split("x")
    return int(rows), int(cols)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scalesim-python", required=True)
    parser.add_argument("--arrays", type=_array, nargs="+", default=MEMORY_ARRAYS, metavar="RxC",
                        help="arrays to (re)run; the figures of the others are kept from the existing file")
    parser.add_argument("--work", type=Path, help="keep the runs here (default: a temporary directory)")
    parser.add_argument("--collect", action="store_true",
                        help="run nothing: take what the runs in --work saved so far (every layer SCALE-Sim "
                             "finished at both bandwidths)")
    args = parser.parse_args()
    if args.collect and not args.work:
        parser.error("--collect needs --work")
    layers = scalesim_layers()
    old = json.loads(OUT.read_text()) if OUT.exists() else {"expected": [], "memory": {"rows": []}}
    ik, fk, ok = BUFFERS_KIB
    runs = {}  # tag → (arrays, values)
    calc_arrays = [a for a in ARRAYS if a in args.arrays]
    if calc_arrays:
        runs["calc"] = (calc_arrays, {"@MODE@": "CALC", "@BW@": 10, "@IK@": 4096, "@FK@": 4096, "@OK@": 4096})
    for rows, cols in args.arrays:  # one process per array and bandwidth
        for bw in BANDWIDTHS:
            runs[f"bw{bw}_{rows}x{cols}"] = ([(rows, cols)], {"@MODE@": "USER", "@BW@": bw, "@IK@": ik,
                                                               "@FK@": fk, "@OK@": ok})
    with tempfile.TemporaryDirectory() as tmp:
        root = args.work or Path(tmp)
        procs = {} if args.collect else {tag: _run(args.scalesim_python, root / tag, layers, arrays, values)
                                         for tag, (arrays, values) in runs.items()}
        for tag, proc in procs.items():
            if proc.wait() != 0:
                raise SystemExit(f"SCALE-Sim run {tag} failed")
        results = {}
        for tag in runs:
            saved = root / tag / "out.json"
            if saved.exists() or not args.collect:
                results.setdefault(tag.split("_")[0], {}).update(json.loads(saved.read_text()))
        version = subprocess.run([args.scalesim_python, "-c", "import importlib.metadata as m; "
                                  "print(m.version('scalesim'), m.version('numpy'))"],
                                 capture_output=True, text=True, check=True).stdout.split()
    rerun = {tuple(a) for a in args.arrays}
    expected = [e for e in old["expected"] if (e["rows"], e["cols"]) not in rerun]
    memory = [r for r in old["memory"]["rows"] if (r[3], r[4]) not in rerun]
    for layer in layers:
        for rows, cols in args.arrays:
            for dataflow in DATAFLOWS:
                key = f"{layer['name']}|{dataflow}|{rows}x{cols}"
                if any(key not in results.get(tag, {}) for tag in ["calc"] * ((rows, cols) in ARRAYS)
                       + [f"bw{bw}" for bw in BANDWIDTHS]):
                    continue  # --collect: SCALE-Sim has not finished this layer
                if (rows, cols) in ARRAYS:
                    expected.append({"workload": layer["workload"], "layer": layer["index"], "op": layer["op"],
                                     "dataflow": dataflow, "rows": rows, "cols": cols,
                                     "scalesim_params": layer["params"], "channel_repeats": layer["repeats"],
                                     "scalesim_total_cycles": results["calc"][key][0]})
                for bw in BANDWIDTHS:
                    memory.append([layer["workload"], layer["index"], dataflow, rows, cols, bw,
                                   *results[f"bw{bw}"][key]])
    OUT.write_text(_compact_json({
        "how": "scripts/derive_scalesim_expectations.py: SCALE-Sim " + version[0] + " (numpy " + version[1] + "), "
               "CALC mode (no stalls), 4 MiB buffers; 'Total Cycles' column per layer. Depthwise layers: one "
               "single-channel layer simulated and multiplied by channel_repeats.",
        "expected": expected,
        "memory": {
            "how": f"SCALE-Sim {version[0]} USER mode, {ik}/{fk}/{ok} KiB ifmap/filter/ofmap SRAM, the bandwidth "
                   "(words = bytes per cycle) on each buffer's DRAM port; per SCALE-Sim layer (one channel of a "
                   "depthwise layer); figures as SCALE-Sim reports them (COMPUTE_REPORT, DETAILED_ACCESS_REPORT).",
            "buffers_kib": list(BUFFERS_KIB), "bandwidths": BANDWIDTHS,
            "arrays": sorted({(r[3], r[4]) for r in memory}),
            "columns": ["workload", "layer", "dataflow", "rows", "cols", "bandwidth", *MEMORY_FIELDS],
            "rows": memory,
        },
    }))
    print(f"wrote {len(expected)} cycle and {len(memory)} memory expectations to {OUT}")


if __name__ == "__main__":
    main()
