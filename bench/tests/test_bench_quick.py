"""The benchmark harness keeps working: a quick run end to end (no timing assertions)."""

import json
import subprocess
import sys

from testsupport import REPO_ROOT


def test_a_quick_benchmark_run_verifies_every_event_and_writes_its_figures(tmp_path, redis_url):
    figures = tmp_path / "figures.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(figures), "--worker-concurrency", "20"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads(figures.read_text())
    assert results["throughput"]["verified"] and results["naive"]["verified"] and results["replay"]["verified"]
    assert results["latency"]["events"] > 0
    assert results["concurrency"]["steps"][0]["verified"]
    assert results["ratio_to_naive"] > 0
    assert "delivered events/s (ours)" in run.stdout
