"""``python -m bench``: run every measurement against freshly started processes.

    python -m bench                 # the full run (a few minutes), figures in bench/results/
    python -m bench --quick         # tiny sizes: proves the harness works, figures mean little
"""

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from . import scenarios
from .clients import Api
from .stack import BenchStack

FULL = {
    "throughput": {"executions": 20, "tokens": 5000},
    "naive": {"executions": 10, "tokens": 300},
    "latency": {"executions": 10, "rate": 100, "seconds": 10},
    "start": {"samples": 50},
    "concurrency": {"ladder": [100, 250, 500, 750], "rate": 4, "seconds": 8},
    "replay": {"events": 10_000},
}
QUICK = {
    "throughput": {"executions": 2, "tokens": 200},
    "naive": {"executions": 2, "tokens": 50},
    "latency": {"executions": 2, "rate": 50, "seconds": 1},
    "start": {"samples": 3},
    "concurrency": {"ladder": [5], "rate": 10, "seconds": 1},
    "replay": {"events": 500},
}


async def measure(stack, sizes):
    from asgiref.sync import sync_to_async
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    owner = await sync_to_async(get_user_model().objects.create_user)("bench")
    token = (await sync_to_async(Token.objects.create)(user=owner)).key
    api = Api(stack.api.url, token)
    results = {}
    results["throughput"] = await scenarios.throughput(api, owner, **sizes["throughput"])
    latency = sizes["latency"]
    results["latency"] = await scenarios.latency(
        api, owner, latency["executions"], latency["rate"], latency["seconds"]
    )
    results["start_latency"] = await scenarios.start_latency(api, owner, sizes["start"]["samples"])
    load = sizes["concurrency"]
    results["concurrency"] = await scenarios.concurrency(api, owner, load["ladder"], load["rate"], load["seconds"])
    results["replay"] = await scenarios.replay(api, owner, sizes["replay"]["events"])
    naive_api = Api(stack.start_naive_api().url, token)
    results["naive"] = await scenarios.naive_throughput(stack, naive_api, owner, **sizes["naive"])
    results["ratio_to_naive"] = round(
        results["throughput"]["events_per_second"] / results["naive"]["events_per_second"], 1
    )
    await api.close()
    await naive_api.close()
    return results


def table(results):
    t, lat, start, conc, rep, naive = (
        results[key] for key in ("throughput", "latency", "start_latency", "concurrency", "replay", "naive")
    )
    rows = [
        ("delivered events/s (ours)", f"{t['events_per_second']:,}", f"{t['events']:,} events, {t['executions']} executions"),
        ("delivered events/s (naive)", f"{naive['events_per_second']:,}", f"{naive['events']:,} events"),
        ("ratio to naive", f"{results['ratio_to_naive']}x", "same run"),
        ("event latency p50 / p99", f"{lat['p50_ms']} / {lat['p99_ms']} ms", f"at {lat['offered_events_per_second']:,} events/s offered"),
        ("start latency p50 / p99", f"{start['p50_ms']} / {start['p99_ms']} ms", f"{start['samples']} starts"),
        ("concurrent streaming executions", f"{conc['max_concurrent_executions']}", f"p99 < {conc['p99_limit_ms']:.0f} ms, no loss"),
        ("replay", f"{rep['seconds']} s", f"{rep['events']:,} events"),
    ]
    verified = all(
        part.get("verified", True) for part in (t, lat, rep, naive)
    ) and all(step["verified"] for step in conc["steps"])
    width = max(len(row[0]) for row in rows)
    lines = [f"{name:<{width}}  {value:>18}  {note}" for name, value, note in rows]
    lines.append(f"{'every event stored and received once':<{width}}  {'yes' if verified else 'NO':>18}")
    return "\n".join(lines), verified


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the test suite")
    parser.add_argument("--json", type=Path, default=Path("bench/results/latest.json"), help="where to write the figures")
    parser.add_argument("--worker-concurrency", type=int, default=1000)
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL

    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        stack = BenchStack(workdir, args.worker_concurrency).start()
        try:
            started = time.time()
            results = asyncio.run(measure(stack, sizes))
        finally:
            stack.stop()
    results["meta"] = {
        "command": "python -m bench" + (" --quick" if args.quick else ""),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sizes": sizes,
    }
    text, verified = table(results)
    print(text)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"\nFigures written to {args.json}")
    return 0 if verified else 1


if __name__ == "__main__":
    sys.exit(main())
