"""Catalogue benchmark: load, validate and publish the whole registry, against the seed's 74 models in 4 ms.

One run reads ``catalog/registry.json``, parses and validates every entry (``Registry.from_document``)
and publishes the snapshot to Redis the way warmup does (``SnapshotStore.publish``: snapshot key, then
the pointer swap and the announcement), under a throwaway key prefix. The median of ``RUNS`` runs is
compared per model with the seed, whose log says 74 models loaded in 4 ms (0.054 ms per model; 74 ms
was its whole warmup, not the load); a ratio below 1 means faster per model. Results go to
``bench/results/catalog.json``.

Run alone with ``python -m bench.catalog``, or with every benchmark through ``python -m bench``.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from shared.catalog import DEFAULT_REGISTRY_PATH, Registry
from shared.catalog.store import Origin, SnapshotStore
from shared.keys import Keys

RESULTS = Path(__file__).parent / "results" / "catalog.json"
RUNS = int(os.environ.get("BENCH_CATALOG_RUNS", "30"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SEED_MODELS = 74
SEED_MS = 4.0  # "74 models loaded in 4 ms" in the seed's log
SEED_WARMUP_MS = 74.0  # the seed's whole warmup, quoted beside it so the two are not confused again


def _read(path: Path) -> Any:
    """Read and parse the registry file (warmup does this in a worker thread)."""
    return json.loads(path.read_text(encoding="utf-8"))


async def _one_run(redis: aioredis.Redis, path: Path) -> dict[str, float]:
    """Time load, validate and publish once, under a fresh key prefix (removed afterwards)."""
    keys = Keys(f"bench-catalog:{uuid.uuid4().hex[:8]}:")
    store = SnapshotStore(redis, keys)
    started = time.perf_counter()
    document = _read(path)
    loaded = time.perf_counter()
    registry = Registry.from_document(document)
    validated = time.perf_counter()
    await store.publish(registry, base=registry.version, origin=Origin.FILE, expected=None)
    published = time.perf_counter()
    await redis.delete(keys.catalog_current, keys.catalog_snapshot(registry.version))
    return {
        "load_ms": (loaded - started) * 1000,
        "validate_ms": (validated - loaded) * 1000,
        "publish_ms": (published - validated) * 1000,
        "total_ms": (published - started) * 1000,
        "models": float(len(registry)),
    }


async def _measure(runs: int, path: Path) -> list[dict[str, float]]:
    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        await _one_run(redis, path)  # warm-up: imports, connection, caches
        return [await _one_run(redis, path) for _ in range(runs)]
    finally:
        await redis.aclose()


def run(runs: int = RUNS, path: Path = DEFAULT_REGISTRY_PATH) -> dict[str, Any]:
    """Measure, write ``bench/results/catalog.json`` and return the summary."""
    samples = asyncio.run(_measure(runs, path))
    models = int(samples[0]["models"])
    phases = [key for key in samples[0] if key != "models"]
    medians = {key: round(statistics.median(s[key] for s in samples), 3) for key in phases}
    per_model = medians["total_ms"] / models
    seed_per_model = SEED_MS / SEED_MODELS
    summary: dict[str, Any] = {
        "benchmark": "catalog",
        "runs": runs,
        "models": models,
        "median_ms": medians,
        "p90_total_ms": round(sorted(s["total_ms"] for s in samples)[int(0.9 * (runs - 1))], 3),
        "per_model_ms": round(per_model, 4),
        "seed": {
            "models": SEED_MODELS,
            "total_ms": SEED_MS,
            "whole_warmup_ms": SEED_WARMUP_MS,
            "per_model_ms": round(seed_per_model, 4),
            "source": "the seed's log (reported, not run here)",
        },
        "per_model_ratio_vs_seed": round(per_model / seed_per_model, 3),
        "python": sys.version.split()[0],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def table(summary: dict[str, Any]) -> str:
    """A few lines for humans."""
    medians = summary["median_ms"]
    return "\n".join(
        [
            f"catalog: {summary['models']} models, median of {summary['runs']} runs",
            f"  load {medians['load_ms']:.2f} ms | validate {medians['validate_ms']:.2f} ms"
            f" | publish {medians['publish_ms']:.2f} ms | total {medians['total_ms']:.2f} ms",
            f"  {summary['per_model_ms']:.3f} ms per model vs the seed's"
            f" {summary['seed']['per_model_ms']:.3f} (ratio {summary['per_model_ratio_vs_seed']:.3f})",
        ]
    )


def rows(summary: dict[str, Any]) -> list[str]:
    """The README's row: median total beside the seed's logged load time, compared per model."""
    seed, total = summary["seed"], summary["median_ms"]["total_ms"]
    return [
        f"| catalogue load + validate + publish, {summary['models']} models, median of {summary['runs']}"
        f" (`catalog`) | {total:.2f} ms, {summary['per_model_ms']:.3f} ms per model"
        f" | seed's log: {seed['models']} models loaded in {seed['total_ms']:.0f} ms,"
        f" {seed['per_model_ms']:.3f} ms per model (its whole warmup: {seed['whole_warmup_ms']:.0f} ms) |"
        f" {summary['per_model_ratio_vs_seed']:.2f}× per model |"
    ]


if __name__ == "__main__":
    sys.stdout.write(table(run()) + "\n")
