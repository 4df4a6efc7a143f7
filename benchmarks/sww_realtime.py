"""sww01 on the host: the real-time factor of a 20-minute stream and where the time goes.

Runs the stream mode exactly as `tinybench run -w sww01 -m stream` does (front end
vectorised over the stream, one timed host-target inference per frame, board records,
scoring) on a synthetic 20-minute stream — the official one cannot be built without
Speech Commands and MUSAN (`tinybench data build-sww`); pass `--data DIR` if you have
it. Prints, measured side by side in one run:

* the wall-clock time to score the whole stream (read + front end + every frame +
  analysis) and the real-time factor (processing ÷ stream duration; target: the
  20-minute stream in < 60 s on one core, i.e. < 0.05);
* the share of the front end and of the model in the per-frame processing time;
* the front end's cost per frame vectorised (what the stream mode uses) against feeding
  it frame by frame (`StreamingFrontEnd.push`, the same arithmetic), on the same audio.

    python benchmarks/sww_realtime.py [--seconds 1200] [--model builtin|reference] [--data DIR]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from tinybench.modes.stream import StreamInput, dataset_inputs, run_stream
from tinybench.progress import NullProgress
from tinybench.rules import MLPERF_TINY
from tinybench.targets import create_target
from tinybench.workloads import get_workload
from tinybench.workloads.datasets.sww_stream import open_stream_dataset, synthetic_stream
from tinybench.workloads.model_choice import resolve_model
from tinybench.workloads.sww_frontend import HOP, StreamingFrontEnd, stream_features


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1200.0, help="length of the synthetic stream (s)")
    parser.add_argument("--model", default="builtin", help="builtin, reference or a .tflite path")
    parser.add_argument("--data", default=None, help="a stream dataset (truth JSON + wav) instead of synthetic audio")
    parser.add_argument("--per-frame-sample", type=int, default=2000, help="frames fed one by one for the comparison")
    args = parser.parse_args()

    model = resolve_model(args.model, get_workload("sww01"))
    started = time.perf_counter()
    if args.data:
        streams = dataset_inputs(open_stream_dataset(args.data))
    else:
        streams = [StreamInput(f"synthetic-{args.seconds:g}s", synthetic_stream(args.seconds, 1301), (), "synthetic")]
    prepared = time.perf_counter()
    with create_target("host", {"threads": 1}) as target:
        target.load(model)
        outcome = run_stream(target, model, streams, MLPERF_TINY, NullProgress())
    finished = time.perf_counter()

    stream = outcome.details["streams"][0]
    frames = stream["frames"]
    seconds = stream["seconds"]
    frontend = stream["frontend_total_s"]
    table = outcome.tables["stream_frames.parquet"]
    model_total = float(table["model_s"].sum())
    processing = float(table["processing_s"].sum())
    scoring = finished - prepared
    print(f"stream: {stream['wav_file']}, {seconds:.0f} s, {frames} frames, model {model.source} ({model.sha256[:12]}…)")
    print(f"audio read/generated:        {prepared - started:7.2f} s")
    print(f"scored (front end + frames + analysis): {scoring:7.2f} s  → real-time factor "
          f"{scoring / seconds:.4f} (target < 0.05: 20 min in < 60 s)")
    print(f"  stream-mode real_time_factor: {outcome.metrics['real_time_factor'].value:.4f}")
    print(f"  front end (vectorised):    {frontend:7.2f} s = {frontend / frames * 1e6:7.1f} µs/frame, "
          f"{frontend / processing:5.1%} of processing")
    print(f"  model (timed invokes):     {model_total:7.2f} s = {model_total / frames * 1e6:7.1f} µs/frame, "
          f"{model_total / processing:5.1%} of processing")
    print(f"  loop + analysis overhead:  {scoring - processing:7.2f} s")
    print(f"duty cycle {outcome.metrics['duty_cycle'].value:.5f}, throughput {outcome.metrics['throughput'].value:.1f} "
          f"inf/s, detections {stream['detections_recorded']}")

    samples = streams[0].samples[: args.per_frame_sample * HOP]
    t0 = time.perf_counter()
    bulk = stream_features(samples)
    t1 = time.perf_counter()
    front_end = StreamingFrontEnd()
    rows = [front_end.push(samples[i:i + HOP]) for i in range(0, samples.size - HOP + 1, HOP)]
    t2 = time.perf_counter()
    n = len(rows)
    print(f"front end on {n} frames: vectorised {(t1 - t0) / n * 1e6:.1f} µs/frame, frame by frame "
          f"{(t2 - t1) / n * 1e6:.1f} µs/frame (×{(t2 - t1) / (t1 - t0):.1f}); identical bytes: "
          f"{np.array_equal(bulk, np.stack(rows))}")


if __name__ == "__main__":
    main()
