"""The benchmark harness keeps working: a quick run end to end (no timing assertions)."""

import json
import subprocess
import sys

from testsupport import REPO_ROOT


def test_a_quick_benchmark_run_verifies_every_event_and_writes_its_figures(tmp_path, redis_url):
    figures = tmp_path / "figures.json"
    bench = subprocess.Popen(
        [sys.executable, "-m", "bench", "--quick", "--json", str(figures), "--worker-concurrency", "20"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = bench.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        bench.terminate()  # the benchmark stops the processes it started
        output, _ = bench.communicate(timeout=30)
        raise AssertionError(f"The quick benchmark did not finish in 150 s:\n{output}") from None
    assert bench.returncode == 0, output
    results = json.loads(figures.read_text())
    assert results["throughput"]["verified"] and results["naive"]["verified"] and results["replay"]["verified"]
    assert results["latency"]["events"] > 0
    assert results["sse"]["verified"] and results["sse"]["streams"] == 10
    step = results["concurrency"]["steps"][0]
    assert step["verified"]
    # The cost curve: CPU per delivered event for each process, in the steady window.
    assert set(step["cpu_us_per_event"]) == {"api", "worker", "agent server", "bench client"}
    assert step["delivered_events_per_second"] > 0 and sum(step["cpu_us_per_event"].values()) > 0
    assert "dearest / cheapest" in output
    assert results["ratio_to_naive"] > 0
    assert results["runs_page"]["verified"]
    assert "delivered events/s (ours)" in output


def test_duration_and_scale_come_from_the_command_line_without_touching_the_defaults():
    from bench.__main__ import FULL, sized

    sizes = sized(FULL, seconds=30, ladder=[500, 750])

    assert sizes["latency"]["seconds"] == sizes["concurrency"]["seconds"] == 30
    assert sizes["concurrency"]["ladder"] == [500, 750]
    assert FULL["concurrency"]["ladder"] == [10, 100, 500, 1000, 2000] and FULL["latency"]["seconds"] == 10
    assert sized(FULL) == FULL
