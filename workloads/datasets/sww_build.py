"""`tinybench data build-sww`: rebuild MLPerf Tiny's 20-minute sww01 stream from its recipe.

The official long wav is not redistributable; `long_wav_spec.json` (fetched like a
reference model: pinned URL + SHA-256, or `TINYBENCH_REFERENCE_DIR/sww/`) lists the
Speech Commands v0.02 clips and MUSAN backgrounds it is made of. The recipe is the
spec, not `build_long_wav_def.py` (its generator is unseeded). The steps follow
`build_long_wav.py` to the letter, quirks included:

1. a float32 stream of `int(length_sec × 16000)` zeros;
2. each background: the **first** `int((t_stop − t_start) × 16000)` samples of its file,
   divided by their `np.std`, times the level, added (float64 values into the float32
   stream, i.e. rounded to float32 at each addition) at `int(t_start × 16000)`;
3. each wake word: the clip trimmed to [first, last) index of the samples **above**
   0.05 × the clip's maximum (signed: only positive excursions count; the last one is
   excluded), divided by its `np.std`, times the gain, added at `int(t × 16000)`; its
   truth window is (t, t + trimmed length / 16000);
4. the stream divided by its maximum magnitude (float32), × 32768, converted to int16
   through int32 so that a +1.0 peak (32768) **wraps to −32768**, as numpy's cast does
   on x86 and ARM;
5. written as a 2-channel (identical) 16-bit wav with the canonical 44-byte header the
   interface board requires, plus the truth file in the runner's format.
"""

from __future__ import annotations

import hashlib
import json
import math
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from tinybench.errors import DatasetError
from tinybench.workloads.datasets.sww_stream import MAX_STREAM_S, StreamTruth
from tinybench.workloads.spec import ReferenceModel
from tinybench.workloads.sww_frontend import SAMPLE_RATE

REL_THRESHOLD = 0.05  # build_long_wav.py --rel_thresh
MAX_SPEC_BYTES = 1 << 20
MAX_ENTRIES = 10_000
ROOTS = ("musan_path", "speech_commands_path")
OFFICIAL_SPEC = ReferenceModel(
    filename="long_wav_spec.json", path="streaming_wakeword/long_wav_spec.json",
    sha256="729eb5240f7ef611973cbd113ca132081f671516d2d1058de14fe166fe378a73", size_bytes=9523, mirror_folder="sww")

Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass(frozen=True)
class Background:
    path: str  # "{musan_path}/…"
    start_s: float
    stop_s: float
    level: float


@dataclass(frozen=True)
class WakeWord:
    path: str  # "{speech_commands_path}/…"
    at_s: float
    gain: float


@dataclass(frozen=True)
class StreamSpec:
    length_s: float
    backgrounds: tuple[Background, ...]
    wake_words: tuple[WakeWord, ...]


@dataclass(frozen=True)
class BuiltStream:
    wav: Path
    truth: Path
    samples: int
    windows: tuple[tuple[float, float], ...]
    sha256: str


def official_spec_path(download: bool = True) -> Path:
    """The official `long_wav_spec.json`, verified: cache, then the offline mirror, then its pinned URL."""
    from tinybench.workloads.reference_fetch import fetch

    return fetch(SimpleNamespace(id="sww01-spec", reference=OFFICIAL_SPEC)).path if download else \
        _offline_spec()


def _offline_spec() -> Path:
    from tinybench.workloads.reference_models import cached_path, mirror_candidates

    item = SimpleNamespace(id="sww01-spec", reference=OFFICIAL_SPEC)
    for path in [cached_path(item), *mirror_candidates(item)]:
        if path.is_file():
            return path
    raise DatasetError("the official long_wav_spec.json is not available offline",
                       hint="pass --spec PATH, or set TINYBENCH_REFERENCE_DIR to a mirror with sww/long_wav_spec.json")


def _finite(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DatasetError(f"spec: {what} must be a finite number, got {str(value)[:40]!r}")
    return float(value)


def _template(value: object, root: str, what: str) -> str:
    prefix = "{" + root + "}/"
    if not isinstance(value, str) or not value.startswith(prefix) or len(value) > 1000:
        raise DatasetError(f"spec: {what} must be a path starting with {prefix}, got {str(value)[:60]!r}")
    parts = value[len(prefix):].split("/")
    if any(p in ("", ".", "..") or "\\" in p or "\0" in p or "{" in p for p in parts):
        raise DatasetError(f"spec: {what} {value[:80]!r} must be a plain relative path inside {prefix}")
    return value


def parse_spec(document: object) -> StreamSpec:
    """Validate a parsed `*_spec.json` (typed, bounded; positions inside the stream)."""
    if not isinstance(document, dict):
        raise DatasetError("spec: expected an object with configs_background, configs_wakeword, length_sec")
    unknown = sorted(set(document) - {"configs_background", "configs_wakeword", "length_sec", "sample_rate"})
    if unknown:
        raise DatasetError(f"spec: unknown key {unknown[0][:40]!r}")
    length = _finite(document.get("length_sec"), "length_sec")
    if not 0 < length <= MAX_STREAM_S:
        raise DatasetError(f"spec: length_sec {length} is outside (0, {MAX_STREAM_S:g}] s")
    if document.get("sample_rate", SAMPLE_RATE) != SAMPLE_RATE:
        raise DatasetError(f"spec: sample_rate must be {SAMPLE_RATE}")
    lists = []
    for key in ("configs_background", "configs_wakeword"):
        items = document.get(key)
        if not isinstance(items, list) or len(items) > MAX_ENTRIES:
            raise DatasetError(f"spec: {key} must be a list of at most {MAX_ENTRIES} entries")
        lists.append(items)
    backgrounds = []
    for i, item in enumerate(lists[0]):
        if not isinstance(item, list) or len(item) != 4:
            raise DatasetError(f"spec: configs_background[{i}] must be [path, t_start, t_stop, rms]")
        bg = Background(_template(item[0], "musan_path", f"configs_background[{i}]"),
                        *(_finite(v, f"configs_background[{i}]") for v in item[1:]))
        if not 0 <= bg.start_s < bg.stop_s <= length or bg.level < 0:
            raise DatasetError(f"spec: configs_background[{i}] [{bg.start_s}, {bg.stop_s}] must lie within the "
                               f"{length:g}-s stream with a non-negative level")
        backgrounds.append(bg)
    words = []
    for i, item in enumerate(lists[1]):
        if not isinstance(item, list) or len(item) != 3:
            raise DatasetError(f"spec: configs_wakeword[{i}] must be [path, t_insert, gain]")
        ww = WakeWord(_template(item[0], "speech_commands_path", f"configs_wakeword[{i}]"),
                      *(_finite(v, f"configs_wakeword[{i}]") for v in item[1:]))
        if not 0 <= ww.at_s < length:
            raise DatasetError(f"spec: configs_wakeword[{i}] at {ww.at_s} s is outside the {length:g}-s stream")
        words.append(ww)
    return StreamSpec(length, tuple(backgrounds), tuple(words))


def read_spec(path: Path) -> StreamSpec:
    from tinybench.reports.safe_json import Refusal, load_untrusted

    try:
        return parse_spec(load_untrusted(path, str(path), MAX_SPEC_BYTES))
    except Refusal as exc:
        raise DatasetError(str(exc)) from exc
    except OSError as exc:
        raise DatasetError(f"cannot read the spec {path}: {exc.strerror or exc}") from exc


def resolve(template: str, roots: dict[str, Path]) -> Path:
    key = template[1:template.index("}")]
    root = roots[key].resolve()
    path = (root / template[len(key) + 3:]).resolve()
    if not path.is_relative_to(root):
        raise DatasetError(f"{template} leaves {root} (through a link)")
    return path


def read_mono(path: Path, frames: int | None = None) -> np.ndarray:
    """int16 samples of a mono 16-bit 16 kHz wav (the first `frames` only, if given)."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate, total = wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()
            if width != 2 or rate != SAMPLE_RATE or channels != 1:
                raise DatasetError(f"{path}: {channels} channel(s), {8 * width}-bit, {rate} Hz; "
                                   f"expected mono 16-bit PCM at {SAMPLE_RATE} Hz")
            wanted = total if frames is None else min(frames, total)
            data = wav.readframes(wanted)
    except (wave.Error, EOFError) as exc:
        raise DatasetError(f"{path}: not a readable PCM wav file ({exc})") from exc
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) != 2 * wanted:
        raise DatasetError(f"{path}: truncated ({len(data)} bytes for {wanted} samples)")
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


def trim(clip: np.ndarray, path: Path) -> np.ndarray:
    """The wake-word trim: [first, last) of the samples above 0.05 × the clip's maximum."""
    above = np.flatnonzero(clip > np.max(clip) * REL_THRESHOLD) if clip.size else np.array([], dtype=np.int64)
    if above.size < 2:
        raise DatasetError(f"{path}: no sound above 5 % of the clip's maximum to trim to")
    return clip[above.min():above.max()]


def normalized(x: np.ndarray, path: Path) -> np.ndarray:
    deviation = np.std(x)
    if not deviation > 0:
        raise DatasetError(f"{path}: silent (standard deviation 0), cannot be normalised")
    return x / deviation


def build_stream(spec: StreamSpec, roots: dict[str, Path], on_progress: Progress | None = None
                 ) -> tuple[np.ndarray, tuple[tuple[float, float], ...]]:
    """The int16 stream and its truth windows (s)."""
    paths = [resolve(item.path, roots) for item in (*spec.backgrounds, *spec.wake_words)]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise DatasetError(f"{len(missing)} file(s) of the spec are missing, first {missing[0]}",
                           hint="--speech-commands is the Speech Commands v0.02 folder (marvin/…), --musan the MUSAN "
                                "folder (music/…, speech/…)")
    stream = np.zeros(int(spec.length_s * SAMPLE_RATE), dtype=np.float32)
    total = len(paths)
    for done, (bg, path) in enumerate(zip(spec.backgrounds, paths), start=1):
        wanted = int((bg.stop_s - bg.start_s) * SAMPLE_RATE)
        first, last = int(bg.start_s * SAMPLE_RATE), int(bg.stop_s * SAMPLE_RATE)
        segment = read_mono(path, wanted)
        if segment.size != wanted or last - first != wanted:
            raise DatasetError(f"{path}: {segment.size} samples for a {wanted}-sample background segment "
                               f"[{bg.start_s}, {bg.stop_s}] s", hint="the background file is too short")
        stream[first:last] += bg.level * normalized(segment, path)
        if on_progress:
            on_progress("mixing", done, total)
    windows = []
    for done, (word, path) in enumerate(zip(spec.wake_words, paths[len(spec.backgrounds):]),
                                        start=len(spec.backgrounds) + 1):
        clip = normalized(trim(read_mono(path), path), path)
        at = int(word.at_s * SAMPLE_RATE)
        if at + clip.size >= stream.size:
            raise DatasetError(f"{path}: a wake word at {word.at_s} s runs past the end of the stream")
        stream[at:at + clip.size] += word.gain * clip
        windows.append((word.at_s, word.at_s + clip.size / SAMPLE_RATE))
        if on_progress:
            on_progress("mixing", done, total)
    peak = np.max(np.abs(stream))
    if not peak > 0:
        raise DatasetError("the stream is silent: nothing to normalise")
    stream = stream / peak
    return (stream * 2**15).astype(np.int32).astype(np.int16), tuple(windows)


def write_stream(samples: np.ndarray, windows: tuple[tuple[float, float], ...], length_s: float, out_dir: Path,
                 wav_name: str, truth_name: str) -> BuiltStream:
    """A 2-channel wav (44-byte header) and its truth file in the runner's format, written atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wav_path, truth_path = out_dir / wav_name, out_dir / truth_name
    partial = out_dir / f".{wav_name}.partial"
    with wave.open(str(partial), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(np.repeat(samples[:, None], 2, axis=1).astype("<i2").tobytes())
    partial.replace(wav_path)
    truth = StreamTruth(wav_name, windows, length_s, SAMPLE_RATE)
    text = json.dumps([truth.to_json()], indent=2) + "\n"
    (out_dir / f".{truth_name}.partial").write_text(text)
    (out_dir / f".{truth_name}.partial").replace(truth_path)
    digest = hashlib.sha256(wav_path.read_bytes()).hexdigest()
    return BuiltStream(wav_path, truth_path, samples.size, windows, digest)
