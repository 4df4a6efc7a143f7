"""The result bundle's `result.json` schema (`tinybench.result/1`) and its validation."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

SCHEMA_ID = "tinybench.result/1"


@lru_cache(maxsize=1)
def result_schema() -> dict:
    text = resources.files("tinybench").joinpath("schemas/result.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def validation_errors(result: dict) -> list[str]:
    """Every way `result` departs from the schema, as 'path: message' strings."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(result_schema())
    errors = sorted(validator.iter_errors(result), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in errors]
