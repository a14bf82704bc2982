"""Builds the held-out topic evaluation corpora from real data on this machine, reproducibly.

    apt-get update   # once: the Debian package lists are the source
    python bench/topics_corpora.py                      # every data/eval/topics/*/spec.yaml
    python bench/topics_corpora.py debian_sections      # one corpus

Each corpus folder holds a `spec.yaml` (where the documents come from, which categories, the planted
trends) and gets `dev.jsonl` and `test.jsonl`: documents `{"id", "text", "timestamp", "human_topics"}`.
The text is a package's name and one-line summary; the human topic is the category the Debian archive
gives it (its Section, or a debtags facet such as `field::biology`), titled as in the spec.

Timestamps are assigned, one per document over the twelve months of 2025, with two planted trends:
every document of the spec's `rise` category falls in the last quarter, every document of its `fade`
category in the first quarter, the others uniformly. Each category is split evenly between the dev
half (tune on it) and the test half (report it only), so both halves carry both planted trends.
A package appears once per corpus and, with `exclude_corpora`, in no listed corpus; packages that
only repeat another's summary (libraries, -dev, -doc, -data, debug symbols) are left out, and at most
three of one name family (r-cran-*, tryton-modules-*) are kept.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1] / "data" / "eval" / "topics"
MAX_PER_FAMILY = 3  # at most this many of one name family (r-cran-*, tryton-modules-*): a corpus, not a catalogue
_SKIP_NAME = re.compile(r"^lib|-(dev|doc|docs|data|common|dbg|dbgsym|examples|tests?)$")
_SKIP_SUMMARY = re.compile(r"debug symbols|transitional|dummy package|documentation|development files", re.I)


def packages(dump: str) -> list[dict]:
    """Paragraphs of `apt-cache dumpavail` as dicts (continuation lines joined)."""
    found = []
    for block in dump.split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line.startswith((" ", "\t")) and key:
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if "Package" in fields and "Description" in fields:
            found.append(fields)
    return found


def category(package: dict, spec: dict) -> str | None:
    """The package's category code under the spec: its Section, or its single value of the tag facet."""
    if spec["source"] == "section":
        section = package.get("Section", "").split("/")[-1]
        return section if section in spec["categories"] else None
    prefix = spec["facet"] + "::"
    values = {t.strip()[len(prefix):].split(":")[0] for t in package.get("Tag", "").split(",")
              if t.strip().startswith(prefix)}
    return next(iter(values)) if len(values) == 1 and next(iter(values)) in spec["categories"] else None


def build(name: str, dump: str) -> dict[str, int]:
    folder = ROOT / name
    spec = yaml.safe_load((folder / "spec.yaml").read_text())
    excluded: set[str] = set()
    for other in spec.get("exclude_corpora", []):
        for half in ("dev", "test"):
            path = ROOT / other / f"{half}.jsonl"
            excluded |= {json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip()}
    by_category: dict[str, list[dict]] = {code: [] for code in spec["categories"]}
    sources: set[str] = set()
    summaries: set[str] = set()
    families: dict[str, int] = {}
    for package in sorted(packages(dump), key=lambda p: p["Package"]):
        code = category(package, spec)
        pid = f"deb-{package['Package']}"
        source = package.get("Source", package["Package"]).split(" ")[0]
        summary = package["Description"]
        if code is None or pid in excluded or _SKIP_NAME.search(package["Package"]) or _SKIP_SUMMARY.search(summary):
            continue
        parts = package["Package"].split("-")
        family = "-".join(parts[:2]) if len(parts) > 2 else parts[0]
        if source in sources or summary.lower() in summaries or families.get(family, 0) >= MAX_PER_FAMILY:
            continue
        families[family] = families.get(family, 0) + 1
        sources.add(source)
        summaries.add(summary.lower())
        by_category[code].append({"id": pid, "text": f"{package['Package']}: {summary}",
                                  "human_topics": [spec["categories"][code]]})
    rng = random.Random(spec.get("seed", 0))
    halves: dict[str, list[dict]] = {"dev": [], "test": []}
    for code, docs in by_category.items():
        if len(docs) < spec["per_category"]:
            raise SystemExit(f"{name}: only {len(docs)} packages in {code}, {spec['per_category']} wanted")
        chosen = rng.sample(docs, spec["per_category"])
        months = (range(10, 13) if code == spec["rise"] else range(1, 4) if code == spec["fade"] else range(1, 13))
        for i, doc in enumerate(chosen):
            doc["timestamp"] = f"2025-{rng.choice(list(months)):02d}-{rng.randint(1, 28):02d}T12:00:00Z"
            halves["dev" if i % 2 == 0 else "test"].append(doc)
    for half, docs in halves.items():
        docs.sort(key=lambda d: (d["timestamp"], d["id"]))
        with open(folder / f"{half}.jsonl", "w", encoding="utf-8") as f:
            for doc in docs:
                f.write(json.dumps({k: doc[k] for k in ("id", "text", "timestamp", "human_topics")},
                                   ensure_ascii=False) + "\n")
    return {half: len(docs) for half, docs in halves.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="*", help="corpus folder names under data/eval/topics (default: all)")
    args = parser.parse_args()
    dump = subprocess.run(["apt-cache", "dumpavail"], check=True, capture_output=True, text=True).stdout
    names = args.corpora or sorted(p.parent.name for p in ROOT.glob("*/spec.yaml"))
    # a corpus others exclude is built first
    names.sort(key=lambda n: bool(yaml.safe_load((ROOT / n / "spec.yaml").read_text()).get("exclude_corpora")))
    for name in names:
        print(name, build(name, dump))


if __name__ == "__main__":
    main()
