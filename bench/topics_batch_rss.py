"""Peak RSS of the batch command's driver as the corpus grows: the Ray Data path keeps it flat.

    python bench/topics_batch_rss.py [--sizes 1000,10000]

The corpus is real: Debian package summaries (`apt-cache dumpavail`, so run `apt-get update` once),
one document per package, `"<name>: <summary>"`, timestamps spread over 2025. Labelling 10,000 documents
with the default model is too slow on a CPU, so the label cache is warmed first: every document's
label is its Debian section, written into the run's label cache through the pipeline's own
`CachedLabeler` (same prompt, same keys) with a stand-in LLM client answering the section. The
measured run then makes no LLM call; the app still serves the default LLMServer model, and the
Embedder, canonicalization, trends and the output files run for real.

One local Ray cluster and Serve app are started here; each size runs `medici topics batch` in its own
process against that app (`--address`), and that process reports its own peak RSS (`ru_maxrss`),
which is the driver's: Ray's raylet and workers are other processes, and its RSS sampled every 50 ms
while the command runs (after the imports). Prints one line per size and the ratio of the largest
to the smallest.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.topics_corpora import packages  # noqa: E402

APP = "rss"


def corpus(n: int) -> list[dict]:
    """`n` real documents (Debian packages with a summary), each with its section as the label to warm."""
    dump = subprocess.run(["apt-cache", "dumpavail"], check=True, capture_output=True, text=True).stdout
    seen: set[str] = set()
    docs = []
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    for package in packages(dump):
        name = package["Package"]
        summary = package["Description"].split("  ")[0].strip()
        if name in seen or not summary:
            continue
        seen.add(name)
        when = start + dt.timedelta(minutes=(len(docs) * 52_561) % (365 * 24 * 60))
        docs.append({"id": name, "text": f"{name}: {summary}", "timestamp": when.isoformat(),
                     "section": package.get("Section", "misc").split("/")[-1].replace("-", " ").title()})
        if len(docs) == n:
            return docs
    raise SystemExit(f"only {len(docs)} packages in the apt lists; run apt-get update or ask for fewer")


class StandInLLM:
    """Answers each labelling prompt with its document's section (looked up by the exact prompt)."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers

    async def complete(self, request: dict) -> dict:
        return {"model": "warm-cache", "choices": [{"text": " " + self.answers[request["prompt"]], "index": 0,
                                                    "finish_reason": "stop"}]}

    async def chat(self, request: dict) -> dict:
        raise NotImplementedError


def warm(docs: list[dict], topics: dict) -> None:
    """Fills the label cache of `topics.storage` with each document's section, under the real keys."""
    from deployments.topics.pipeline import TopicPipeline

    pipeline = TopicPipeline(settings=topics, llm_client=StandInLLM({}))
    cached = pipeline.labeler
    prompt = cached.labeler.prompt
    cut, k = cached.labeler.max_text_chars, cached.labeler.max_labels
    pipeline.llm_client.answers.update({prompt(d["text"][:cut], k): d["section"] for d in docs})

    async def fill() -> None:
        for start in range(0, len(docs), 500):
            await pipeline.label_run([d["text"] for d in docs[start : start + 500]])

    asyncio.run(fill())


def child(args: argparse.Namespace) -> None:
    """One measured batch run in this process; prints its summary and this process's peak RSS."""
    import threading

    import psutil

    from cli.topics_batch import main

    process, samples, done = psutil.Process(), [], threading.Event()

    def sample() -> None:  # the RSS while the command runs, so a startup peak does not hide the run's
        while not done.wait(0.05):
            samples.append(process.memory_info().rss)

    start_mb = process.memory_info().rss / 2**20
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    summary = main([args.input, "--out", args.out, "--address", args.address, "--app-name", APP,
                    "--chunk-size", "64", "--in-flight", "2"])
    done.set()
    sampler.join()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps({"documents": summary["documents"], "topics": summary["topics"],
                                  "labelling_errors": summary["labelling_errors"], "total_s": summary["total_s"],
                                  "driver_peak_rss_mb": round(peak_mb, 1),
                                  "rss_before_run_mb": round(start_mb, 1),
                                  "rss_sampled_max_during_run_mb": round(max(samples) / 2**20, 1),
                                  "rss_after_run_mb": round(process.memory_info().rss / 2**20, 1)}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--address", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    import ray
    from ray import serve

    from app import build_app

    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="medici-rss-"))
    docs = corpus(max(sizes))
    topics = {"storage": {"uri": str(work / "db")}, "max_labels": 2, "max_tokens": 12}
    started = time.perf_counter()
    warm(docs, topics)
    print(f"label cache warmed for {len(docs)} documents in {time.perf_counter() - started:.1f} s", flush=True)

    ray.init(address="local", num_cpus=4, include_dashboard=False, log_to_driver=False)
    results = []
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": 0})
        serve.run(build_app({"llm": {"torch_threads": 2}, "topics": topics,
                             "llm_runtime": {"request_timeout_s": 3600.0}}),
                  name=APP, route_prefix=None, blocking=False)
        handle = serve.get_deployment_handle("TopicPipeline", app_name=APP)
        while True:  # the app answers once the model is loaded
            try:
                handle.check_health.remote().result(timeout_s=600)
                break
            except Exception:  # noqa: BLE001 - still starting
                time.sleep(2)
        address = ray.get_runtime_context().gcs_address
        for n in sizes:
            source = work / f"corpus-{n}.jsonl"
            source.write_text("".join(json.dumps({k: v for k, v in d.items() if k != "section"}) + "\n"
                                      for d in docs[:n]))
            run = subprocess.run([sys.executable, __file__, "--child", "--input", str(source),
                                  "--out", str(work / f"out-{n}"), "--address", address],
                                 capture_output=True, text=True, cwd=ROOT)
            line = next((ln for ln in run.stdout.splitlines() if ln.startswith("RESULT ")), None)
            if line is None:
                raise SystemExit(f"the run over {n} documents failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
            result = json.loads(line[len("RESULT "):])
            results.append(result)
            print(json.dumps(result), flush=True)
    finally:
        serve.shutdown()
        ray.shutdown()
    small, large = results[0], results[-1]
    print(f"driver peak RSS: {small['driver_peak_rss_mb']} MB at {small['documents']} documents, "
          f"{large['driver_peak_rss_mb']} MB at {large['documents']} documents "
          f"(ratio {large['driver_peak_rss_mb'] / small['driver_peak_rss_mb']:.2f} for "
          f"{large['documents'] / small['documents']:.0f}x the documents)")


if __name__ == "__main__":
    main()
