"""Evaluate the agent over QA sets, against the running service, in the naive and improved modes.

    python bench/agent_eval.py --url http://127.0.0.1:8000 --sets company,debian,countries --splits dev
    python bench/agent_eval.py --sets debian --splits test            # report: the held-out half only
    python bench/agent_eval.py --modes improved --qa my_qa.jsonl --corpus none
    python bench/agent_eval.py --modes improved --samples 5          # self-consistency: 5 runs, majority

Three columns (`--columns dev,phrasings,corpora`), as a user meets the agent: every corpus under
data/agent_sets/ and data/agent_sets/test_corpora/ is loaded into ONE store, then each column is asked:

    dev        data/agent_sets/NAME_qa.jsonl, split "dev" (tune on these; `template` adds the
               template test halves, which share the dev templates)
    phrasings  data/agent_sets/phrasings/NAME_qa.jsonl: test questions in wordings the dev set never
               uses, written by someone who never saw the agent (report only)
    corpora    data/agent_sets/test_corpora/NAME_qa.jsonl over NAME_docs.jsonl: corpora nobody tuned on

    python bench/agent_eval.py --serve --modes improved --columns dev,phrasings,corpora --out runs.jsonl
    python bench/agent_eval.py --serve --modes improved --columns dev --sets debian --per-kind 2

prints one table, per set and column: right, each kind, runs without an answer, mean latency and
mean LLM calls per question.

`--sets` names sets under data/agent_sets/ (NAME_docs.jsonl and NAME_qa.jsonl, built by
bench/make_agent_sets.py); each question carries `kind` and `split` ("dev": tune on it; "test":
report only). The summary is printed per set, mode and split, with each kind, the classic peer
(`naive`) beside ours (`improved`), mean latency, LLM calls and tokens per question.

The corpus (JSONL of {"id", "text"}) is first POSTed to /v1/documents (re-adding an id replaces
it, so this is idempotent). Each QA line holds "question", "answer" and optionally "kind"
(single, two_hop, arithmetic). An answer counts as right when it contains the expected number
(compared as numbers, commas and currency signs ignored) or, for text answers, the expected words.
Prints each question as it finishes, then accuracy per mode and per kind, parse failures, runs without an answer, mean steps and
mean latency and tokens; `--out` writes every run as JSONL as it finishes. `--samples N` asks each
question with `samples: N` (N sampled runs, majority answer), to compare self-consistency with one
greedy run at the same settings; the summary then adds how often the runs agreed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
NO_ANSWER_MARKERS = ("Agent stopped due to iteration limit", "I could not find the answer")


def numbers(text: str) -> list[float]:
    return [float(n) for n in _NUMBER.findall(re.sub(r"(?<=\d),(?=\d)", "", text))]


# The date styles a reply may write an ISO answer in. The grader stands outside the agent, so it keeps its own fixed
# list rather than the agent's date reader: a date the agent reads wrongly must still be graded wrong.
_MONTHS = {m.lower(): i for i, m in enumerate(
    "January February March April May June July August September October November December".split(), 1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_MONTH = r"([A-Za-z]{3,9})\.?"
_DATE_FORMS = (  # (pattern, the group order of year, month, day)
    (re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b"), "ymd"),
    (re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\b"), "dmy"),  # 12/04/2025, 12.04.2025, and US 04/12/2025
    (re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?[ -]" + _MONTH + r",?[ -](\d{4})\b"), "dMy"),
    (re.compile(r"\b" + _MONTH + r" (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})\b"), "Mdy"),
)


def dates(text: str) -> set[tuple[int, int, int]]:
    """Every (year, month, day) the text writes in a common style. A day/month pair that could be read either way
    (04/12/2025) gives both readings: the grader cannot know the writer's locale, and a record may use either."""
    found: set[tuple[int, int, int]] = set()
    for pattern, order in _DATE_FORMS:
        for match in pattern.finditer(text):
            parts = dict(zip(order, match.groups()))
            month_text = parts.get("M")
            if month_text is not None:
                month = _MONTHS.get(month_text.lower())
                if month is None:
                    continue
                readings = [(int(parts["y"]), month, int(parts["d"]))]
            elif order == "dmy":
                day, month = int(parts["d"]), int(parts["m"])
                readings = [(int(parts["y"]), month, day), (int(parts["y"]), day, month)]
            else:
                readings = [(int(parts["y"]), int(parts["m"]), int(parts["d"]))]
            found.update(r for r in readings if 1 <= r[1] <= 12 and 1 <= r[2] <= 31)
    return found


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def is_correct(answer: str, expected: str | int | float) -> bool:
    expected = str(expected)  # a hand-written set may give a number as a JSON number
    iso = _ISO_DATE.fullmatch(expected.strip())
    if iso:  # a date is right in whatever style the reply writes it: "17 July 2025" for 2025-07-17
        return tuple(int(g) for g in iso.groups()) in dates(answer)
    wanted = numbers(expected)
    if wanted and _NUMBER.fullmatch(expected.replace(",", "").strip()):
        return any(abs(n - wanted[0]) < 1e-6 * max(1.0, abs(wanted[0])) for n in numbers(answer))
    return expected.lower() in answer.lower()


def read_jsonl(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


async def ask(client: httpx.AsyncClient, item: dict, mode: str, max_steps: int, limit: asyncio.Semaphore,
              out=None, samples: int = 1) -> dict:
    request = {"question": item["question"], "mode": mode, "max_steps": max_steps}
    if samples != 1:  # left out at 1, so the script still runs against a service without `samples`
        request["samples"] = samples
    async with limit:
        started = time.perf_counter()
        try:
            response = await client.post("/v1/agent/ask", json=request)
            status, body = response.status_code, response.json()
        except httpx.HTTPError as exc:  # a client-side timeout counts as a run without an answer
            status, body = 0, {"error": repr(exc)}
        latency = time.perf_counter() - started
    if status != 200:
        body = {"answer": "", "steps": [], "stop_reason": f"http_{status}", "parse_failures": 0, "error": body}
    result = {**item, "mode": mode, "latency_s": latency, "reply": body,
              "correct": is_correct(body.get("answer", ""), item["answer"]),
              "answered": bool(body.get("answer")) and not body["answer"].startswith(NO_ANSWER_MARKERS)}
    print(f"[{mode}] {'RIGHT' if result['correct'] else 'wrong'} {latency:5.0f}s  {item['question']!r} -> "
          f"{body.get('answer', '')!r} (expected {item['answer']!r})", flush=True)
    if out is not None:
        out.write(json.dumps(result) + "\n")
        out.flush()
    return result


def report(mode: str, runs: list[dict]) -> None:
    if not runs:
        return
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for run in runs:
        by_kind[run.get("kind", "all")].append(run)
    right = sum(r["correct"] for r in runs)
    print(f"\n== {mode}: {right}/{len(runs)} right ({100 * right / len(runs):.0f}%)")
    for kind, items in sorted(by_kind.items()):
        k_right = sum(r["correct"] for r in items)
        print(f"   {kind:<11} {k_right}/{len(items)} ({100 * k_right / len(items):.0f}%)")
    steps = [len(r["reply"].get("steps", [])) for r in runs]
    stops = defaultdict(int)
    for r in runs:
        stops[r["reply"].get("stop_reason")] += 1
    print(f"   parse failures {sum(r['reply'].get('parse_failures', 0) for r in runs)}, "
          f"recovered steps {sum(s.get('recovered', False) for r in runs for s in r['reply'].get('steps', []))}, "
          f"runs without an answer {sum(not r['answered'] for r in runs)}, stop reasons {dict(stops)}")
    tokens = [r["reply"].get("usage", {}).get("total_tokens", 0) for r in runs]
    calls = [r["reply"].get("usage", {}).get("llm_calls", 0) for r in runs]
    print(f"   mean tokens per question {statistics.mean(tokens):.0f}, mean LLM calls {statistics.mean(calls):.1f}")
    sources = defaultdict(int)
    for r in runs:
        sources[(r["reply"].get("answer_source") or {}).get("kind")] += 1
    print(f"   answer sources {dict(sources)}")
    votes = [r["reply"]["votes"] for r in runs if r["reply"].get("votes")]
    if votes:  # self-consistency: the share of runs that agreed with the majority
        print(f"   majority share {statistics.mean(v[0]['count'] / sum(x['count'] for x in v) for v in votes):.2f}, "
              f"unanimous {sum(len(v) == 1 for v in votes)}/{len(votes)}")
    print(f"   mean steps {statistics.mean(steps):.2f}, mean latency {statistics.mean(r['latency_s'] for r in runs):.1f}s, "
          f"median {statistics.median(r['latency_s'] for r in runs):.1f}s")


def load_sets(args) -> list[tuple[str, str, list[dict]]]:
    """(set name, corpus path or 'none', questions) for each set asked for."""
    if args.sets:
        sets = [(name, str(ROOT / "data" / "agent_sets" / f"{name}_docs.jsonl"),
                 read_jsonl(str(ROOT / "data" / "agent_sets" / f"{name}_qa.jsonl"))) for name in args.sets.split(",")]
    else:
        sets = [(Path(args.qa).stem, args.corpus, read_jsonl(args.qa))]
    splits = set(args.splits.split(",")) if args.splits else None
    out = []
    for name, corpus, qa in sets:
        qa = [item for item in qa if splits is None or item.get("split") in splits][: args.limit or None]
        if args.per_kind:
            kept: dict[str, int] = defaultdict(int)
            qa = [item for item in qa if (kept.__setitem__(item.get("kind"), kept[item.get("kind")] + 1)
                                          or kept[item.get("kind")] <= args.per_kind)]
        out.append((name, corpus, qa))
    return out


SETS_DIR = ROOT / "data" / "agent_sets"
COLUMNS = ("dev", "template", "phrasings", "corpora")


def column_sets(args) -> list[tuple[str, str, list[dict]]]:
    """(set / column label, "none", questions) for each column asked for; the corpora are posted apart."""
    wanted = [c for c in args.columns.split(",") if c]
    unknown = [c for c in wanted if c not in COLUMNS]
    if unknown:
        raise SystemExit(f"unknown column {unknown[0]!r}; use {', '.join(COLUMNS)}")
    dev_names = sorted(p.name[: -len("_qa.jsonl")] for p in SETS_DIR.glob("*_qa.jsonl"))
    names = args.sets.split(",") if args.sets else None
    out: list[tuple[str, str, list[dict]]] = []
    for column in wanted:
        if column in ("dev", "template"):
            split = "dev" if column == "dev" else "test"
            for name in dev_names:
                qa = [i for i in read_jsonl(str(SETS_DIR / f"{name}_qa.jsonl")) if i.get("split") == split]
                out.append((f"{name} / {column}", "none", qa))
        else:
            folder = SETS_DIR / ("phrasings" if column == "phrasings" else "test_corpora")
            for path in sorted(folder.glob("*_qa.jsonl")):
                out.append((f"{path.name[: -len('_qa.jsonl')]} / {column}", "none", read_jsonl(str(path))))
    if names:
        out = [s for s in out if s[0].split(" / ")[0] in names]
    return [(label, corpus, _limited(qa, args)) for label, corpus, qa in out]


def _limited(qa: list[dict], args) -> list[dict]:
    qa = qa[: args.limit or None]
    if args.per_kind:
        kept: dict[str, int] = defaultdict(int)
        qa = [item for item in qa if (kept.__setitem__(item.get("kind"), kept[item.get("kind")] + 1)
                                      or kept[item.get("kind")] <= args.per_kind)]
    return qa


def all_corpora() -> list[str]:
    """Every corpus a user of these sets would have loaded: dev collections and test corpora together."""
    return [str(p) for p in sorted(SETS_DIR.glob("*_docs.jsonl")) + sorted((SETS_DIR / "test_corpora").glob("*_docs.jsonl"))]


def table(results: dict[tuple[str, str], list[dict]], mode: str) -> None:
    """One markdown table: per set and column, right overall and per kind, latency and LLM calls."""
    kinds = sorted({r.get("kind", "all") for (_, m), runs in results.items() if m == mode for r in runs})
    print(f"\n| set / column | right | {' | '.join(kinds)} | no answer | mean latency | LLM calls |")
    print("| --- | --- |" + " --- |" * len(kinds) + " --- | --- | --- |")
    for (label, m), runs in results.items():
        if m != mode or not runs:
            continue
        cells = []
        for kind in kinds:
            items = [r for r in runs if r.get("kind", "all") == kind]
            cells.append(f"{sum(r['correct'] for r in items)}/{len(items)}" if items else "-")
        right = sum(r["correct"] for r in runs)
        calls = statistics.mean(r["reply"].get("usage", {}).get("llm_calls", 0) for r in runs)
        print(f"| {label} | {right}/{len(runs)} ({100 * right / len(runs):.0f}%) | {' | '.join(cells)} | "
              f"{sum(not r['answered'] for r in runs)} | {statistics.mean(r['latency_s'] for r in runs):.1f} s | {calls:.1f} |")


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--sets", default="", help="comma-separated set names under data/agent_sets/")
    parser.add_argument("--splits", default="", help="dev, test or dev,test (default: all questions)")
    parser.add_argument("--qa", default=str(ROOT / "data" / "agent_qa.jsonl"))
    parser.add_argument("--corpus", default=str(ROOT / "data" / "company_docs.jsonl"), help="'none' to skip")
    parser.add_argument("--modes", default="naive,improved")
    parser.add_argument("--max-steps", type=int, default=6)
    parser.add_argument("--samples", type=int, default=1, help="self-consistency: sampled runs per question (1-8)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions of each set")
    parser.add_argument("--per-kind", type=int, default=0, help="only the first N questions of each kind")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per question")
    parser.add_argument("--out", default="", help="write every run as JSONL here")
    parser.add_argument("--columns", default="",
                        help="dev, template, phrasings, corpora (comma-separated): every corpus in one store, "
                        "one table per mode; --sets then picks set names")
    parser.add_argument("--serve", action="store_true",
                        help="start the app of this checkout on a private local Ray Serve (fresh database) and "
                        "evaluate against it instead of --url")
    parser.add_argument("--agent-settings", default="{}",
                        help="with --serve: JSON of `agent` settings for that app, e.g. "
                        "'{\"guard_combine_before_answer\": true}' (a setting tried on the dev halves)")
    parser.add_argument("--llm-settings", default="{}",
                        help="with --serve: JSON of `llm` settings for that app, e.g. '{\"int4_dense_rows\": 0}'")
    args = parser.parse_args(argv)
    if args.serve:
        with serve_this_checkout(json.loads(args.agent_settings), json.loads(args.llm_settings)) as url:
            args.url = url
            await evaluate(args)
    else:
        await evaluate(args)


@contextlib.contextmanager
def serve_this_checkout(agent_settings: dict | None = None, llm_settings: dict | None = None):
    """The app of this checkout, on a fresh database, for one evaluation (stopped afterwards)."""
    import sys
    import tempfile

    sys.path.insert(0, str(ROOT))
    from bench.serve_harness import running_app

    app_args = {"llm": {"torch_threads": 2, **(llm_settings or {})}, "llm_runtime": {"request_timeout_s": 1800, "max_batch_size": 16},
                "ingress": {"request_timeout_s": 1800},
                "documents": {"storage": {"data_dir": tempfile.mkdtemp(prefix="medici-agent-eval-")}},
                "agent": agent_settings or {}}
    with running_app(app_args) as url:
        yield url


async def evaluate(args) -> None:

    sets = column_sets(args) if args.columns else load_sets(args)
    out = open(args.out, "w", encoding="utf-8") if args.out else None
    results: dict[tuple[str, str], list[dict]] = {}
    async with httpx.AsyncClient(base_url=args.url, timeout=args.timeout) as client:
        for corpus in all_corpora() if args.columns else []:
            added = (await client.post("/v1/documents", json={"documents": read_jsonl(corpus)})).json()
            print(f"corpus {Path(corpus).name}: {added}")
        for name, corpus, _ in sets:
            if corpus != "none":
                added = (await client.post("/v1/documents", json={"documents": read_jsonl(corpus)})).json()
                print(f"corpus {name}: {added}")
        limit = asyncio.Semaphore(args.concurrency)
        for mode in args.modes.split(","):
            started = time.perf_counter()
            jobs = [ask(client, {**item, "set": name}, mode, args.max_steps, limit, out, args.samples)
                    for name, _, qa in sets for item in qa]
            for result in await asyncio.gather(*jobs):
                results.setdefault((result["set"], mode), []).append(result)
            print(f"{mode}: {len(jobs)} questions in {time.perf_counter() - started:.0f}s", flush=True)
    total = sum(len(qa) for _, _, qa in sets)
    if args.columns:
        print(f"\n{total} questions, max_steps {args.max_steps}, concurrency {args.concurrency}, {args.url}")
        for mode in args.modes.split(","):
            print(f"\n== {mode}")
            table(results, mode)
        if out is not None:
            out.close()
        return
    print(f"\n{total} questions, max_steps {args.max_steps}, samples {args.samples}, concurrency {args.concurrency}, {args.url}")
    for name, _, _ in sets:
        for split in sorted({r.get("split", "all") for (n, _), runs in results.items() if n == name for r in runs}):
            for mode in args.modes.split(","):
                runs = [r for r in results.get((name, mode), []) if r.get("split", "all") == split]
                report(f"{name} / {split} / {mode}", runs)
    if out is not None:
        out.close()


if __name__ == "__main__":
    asyncio.run(main())
