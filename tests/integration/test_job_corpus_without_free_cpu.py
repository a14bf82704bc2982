"""A job's Ray Data reads on a node whose every CPU is held: nothing in them may wait for a CPU.

The app's deployments may reserve all of a small node's CPUs; a Ray Data stage that reserves one (as
`Dataset.repartition`, `select_columns` and the in-memory sources do) then waits forever. A real Ray
with no CPU at all runs the reads of `RayDataLabelling` in a child process (its own cluster, apart
from the suite's): they must finish, in blocks of about one batch, and still refuse a repeated id.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, sys
import ray
ray.init(address="local", num_cpus=0, include_dashboard=False, log_to_driver=False)
from deployments.topics.corpus import CorpusError
from deployments.topics.job_labelling import RayDataLabelling
corpus, repeated = sys.argv[1:3]
reader = RayDataLabelling("unused", 8, 2)
total = reader._count({"corpus_uri": corpus})
blocks = [b.num_rows for b in reader._dataset({"corpus_uri": corpus}, total).iter_batches(
    batch_format="pyarrow", batch_size=None)]
try:
    reader._count({"corpus_uri": repeated})
    error = None
except CorpusError as exc:
    error = str(exc)
print("RESULT " + json.dumps({"total": total, "blocks": blocks, "error": error}))
"""


def test_a_job_corpus_is_read_in_batch_sized_blocks_with_no_cpu_free(tmp_path) -> None:
    corpus, repeated = tmp_path / "corpus.jsonl.gz", tmp_path / "repeated.jsonl"
    with gzip.open(corpus, "wt", encoding="utf-8") as f:
        f.write("".join(json.dumps({"id": f"d{i}", "text": f"note {i}"}) + "\n" for i in range(50)))
    repeated.write_text(json.dumps({"id": "a", "text": "x"}) + "\n" + json.dumps({"id": "a", "text": "y"}) + "\n")
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(corpus), str(repeated)], cwd=ROOT, capture_output=True,
                          text=True, timeout=240, env={k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"})
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    result = json.loads(lines[-1].removeprefix("RESULT "))
    assert result["total"] == 50 and sum(result["blocks"]) == 50
    assert len(result["blocks"]) == 7 and max(result["blocks"]) <= 8  # ceil(50 / 8) blocks
    assert "line 2: id 'a' repeats line 1" in result["error"]  # named by line, before Ray Data reads it
