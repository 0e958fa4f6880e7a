"""``python -m bench``: run every measurement against freshly started processes.

python -m bench                 # the full run (a few minutes), figures in bench/results/
python -m bench --quick         # tiny sizes: proves the harness works, figures mean little
python -m bench --only concurrency --ladder 500 750 --seconds 30   # one measurement, longer, bigger
"""

import argparse
import asyncio
import gc
import json
import os
import platform
import signal
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
    "sse": {"samples": 50, "streams": 200},
    "concurrency": {"ladder": [10, 100, 500, 1000, 2000], "rate": 4, "seconds": 10, "starts_per_second": 25},
    "replay": {"sizes": [10_000, 100_000]},
    "runs_page": {"executions": 1_000_000},
}
QUICK = {
    "throughput": {"executions": 2, "tokens": 200},
    "naive": {"executions": 2, "tokens": 50},
    "latency": {"executions": 2, "rate": 50, "seconds": 1},
    "start": {"samples": 3},
    "sse": {"samples": 3, "streams": 10},
    "concurrency": {"ladder": [5], "rate": 10, "seconds": 1, "starts_per_second": 10},
    "replay": {"sizes": [500]},
    "runs_page": {"executions": 2_000},
}


def sized(base, seconds=None, ladder=None):
    """The sizes of a run: the defaults, with the duration and the ladder given on the command line."""
    sizes = {name: dict(values) for name, values in base.items()}
    if seconds is not None:
        sizes["latency"]["seconds"] = sizes["concurrency"]["seconds"] = seconds
    if ladder:
        sizes["concurrency"]["ladder"] = ladder
    return sizes


async def measure(stack, sizes, only=None):
    from asgiref.sync import sync_to_async
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    owner = await sync_to_async(get_user_model().objects.create_user)("bench")
    token = (await sync_to_async(Token.objects.create)(user=owner)).key
    api = Api(stack.api.url, token)
    latency, load = sizes["latency"], sizes["concurrency"]
    measurements = {
        "throughput": lambda: scenarios.throughput(api, owner, **sizes["throughput"]),
        "latency": lambda: scenarios.latency(api, owner, latency["executions"], latency["rate"], latency["seconds"]),
        "start_latency": lambda: scenarios.start_latency(api, owner, sizes["start"]["samples"]),
        "sse": lambda: scenarios.start_latency_with_streams(api, owner, **sizes["sse"]),
        "concurrency": lambda: scenarios.concurrency(
            api, owner, load["ladder"], load["rate"], load["seconds"], load["starts_per_second"], stack.cpu_seconds
        ),
        "replay": lambda: scenarios.replay(api, owner, sizes["replay"]["sizes"], stack.cpu_seconds),
        "runs_page": lambda: scenarios.runs_page(api, owner, sizes["runs_page"]["executions"]),
        "naive": lambda: naive(stack, token, owner, sizes["naive"]),
    }
    results = {}
    for name, measurement in measurements.items():
        if only is None or name in only:
            if results:
                # The last measurement's tail (hundreds of sockets closing,
                # runs ending) must not count against this one.
                await asyncio.sleep(scenarios.SETTLE_SECONDS)
            # Each measurement starts with the client's garbage collected and
            # collection off, so a pause in this process is not counted as
            # latency of the system under test.
            gc.collect()
            gc.disable()
            try:
                results[name] = await measurement()
            finally:
                gc.enable()
    if "throughput" in results and "naive" in results:
        results["ratio_to_naive"] = round(
            results["throughput"]["events_per_second"] / results["naive"]["events_per_second"], 1
        )
    await api.close()
    return results


async def naive(stack, token, owner, sizes):
    api = Api(stack.start_naive_api().url, token)
    try:
        return await scenarios.naive_throughput(stack, api, owner, **sizes)
    finally:
        await api.close()


# (result, label, its value, a note), in the order printed.
ROWS = [
    (
        "throughput",
        "delivered events/s (ours)",
        lambda r: f"{r['events_per_second']:,}",
        lambda r: f"{r['events']:,} events, {r['executions']} executions",
    ),
    (
        "naive",
        "delivered events/s (naive)",
        lambda r: f"{r['events_per_second']:,}",
        lambda r: f"{r['events']:,} events",
    ),
    ("ratio_to_naive", "ratio to naive", lambda r: f"{r}x", lambda r: "same run"),
    (
        "latency",
        "event latency p50 / p99",
        lambda r: f"{r['p50_ms']} / {r['p99_ms']} ms",
        lambda r: f"at {r['offered_events_per_second']:,} events/s offered",
    ),
    (
        "start_latency",
        "start latency p50 / p99",
        lambda r: f"{r['p50_ms']} / {r['p99_ms']} ms",
        lambda r: f"{r['samples']} starts",
    ),
    (
        "sse",
        "start latency p50, SSE streams open",
        lambda r: f"{r['p50_ms']} ms",
        lambda r: f"{r['streams']} streams; {r['ratio']}x the {r['p50_ms_without']} ms without",
    ),
    (
        "concurrency",
        "concurrent streaming executions",
        lambda r: f"{r['max_concurrent_executions']}",
        lambda r: f"p99 < {r['p99_limit_ms']:.0f} ms, no loss",
    ),
    (
        "replay",
        "replay",
        lambda r: " / ".join(f"{size['seconds']} s" for size in r["sizes"]),
        lambda r: " / ".join(f"{size['events']:,}" for size in r["sizes"]) + " events",
    ),
    (
        "runs_page",
        "runs view page: newest / half way / failed",
        lambda r: f"{r['first_page_ms']} / {r['deep_page_ms']} / {r['failed_page_ms']} ms",
        lambda r: f"of {r['executions']:,} runs; half way back {r['deep_to_first']}x the newest",
    ),
]


def table(results):
    rows = [(label, value(results[key]), note(results[key])) for key, label, value, note in ROWS if key in results]
    parts = [value for key, value in results.items() if isinstance(value, dict) and key != "concurrency"]
    steps = results.get("concurrency", {}).get("steps", [])
    verified = all(part.get("verified", True) for part in parts) and all(step["verified"] for step in steps)
    width = max(len(row[0]) for row in rows)
    lines = [f"{name:<{width}}  {value:>18}  {note}" for name, value, note in rows]
    lines.append(f"{'every event stored and received once':<{width}}  {'yes' if verified else 'NO':>18}")
    if steps:
        lines += ["", *ladder_table(steps, results["concurrency"]["cost_spread"])]
    return "\n".join(lines), verified


def ladder_table(steps, spread):
    """The concurrency ladder, one step a line: latency, delivery and CPU per event of each process."""
    names = list(steps[0]["cpu_us_per_event"])
    head = f"{'streams':>7}  {'events/s':>8}  {'p50 / p99 ms':>16}  {'pass':>4}  " + "  ".join(
        f"{name + ' us/event':>22}" for name in names
    )
    lines = [head]
    for step in steps:
        latency = f"{step['p50_ms']} / {step['p99_ms']}"
        costs = "  ".join(f"{step['cpu_us_per_event'][name]:>22,}" for name in names)
        passed = "yes" if step["passed"] else "no"
        lines.append(f"{step['executions']:>7,}  {step['delivered_events_per_second']:>8,}  {latency:>16}  {passed:>4}  {costs}")
    lines.append(
        f"{'dearest / cheapest':>44}  " + "  ".join(f"{str(spread[name]) + 'x':>22}" for name in names)
    )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the test suite")
    parser.add_argument(
        "--json", type=Path, default=Path("bench/results/latest.json"), help="where to write the figures"
    )
    parser.add_argument("--worker-concurrency", type=int, default=1000)
    parser.add_argument(
        "--seconds", type=float, help="how long the latency run and each concurrency step stream (default 10)"
    )
    parser.add_argument(
        "--ladder", type=int, nargs="+", help="concurrent executions to try, in order (default 10 100 500 1000 2000)"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["throughput", "latency", "start_latency", "sse", "concurrency", "replay", "naive", "runs_page"],
        help="run only these measurements",
    )
    args = parser.parse_args(argv)
    sizes = sized(QUICK if args.quick else FULL, args.seconds, args.ladder)
    # Stopped from outside (a test's timeout, Ctrl-C in a pipeline): unwind,
    # so the processes the run started are stopped too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        stack = BenchStack(workdir, args.worker_concurrency)
        try:
            # Inside the try: a process that fails to start must not leave
            # the ones started before it running.
            stack.start()
            started = time.time()
            results = asyncio.run(measure(stack, sizes, args.only))
        finally:
            stack.stop()
    results["meta"] = {
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
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
