"""Dataset readers. Every reader yields :class:`Sample` records in the workload's raw domain.

A problem with one file (undecodable, wrong sample rate, truncated) becomes a sample
with `error` set, so runs count and report it instead of silently shrinking the
denominator; a problem with the dataset as a whole (no label file, unknown layout) is
a :class:`tinybench.errors.DatasetError` raised at once.
"""

from tinybench.workloads.datasets.base import Dataset, Sample
from tinybench.workloads.datasets.detect import open_dataset

__all__ = ["Dataset", "Sample", "open_dataset"]
