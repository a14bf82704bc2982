"""The experiment command: reads a labelled JSONL corpus, posts it to `POST /v1/experiments`,
prints the Markdown table (and writes the whole answer as JSON with `--out`).

    python -m deployments.topics.experiment --url http://127.0.0.1:8000 --corpus data/art_corpus.jsonl \\
        --prompts few_shot_list,zero_shot --temperatures 0,0.7 [--models a,b] [--limit 40] [--out /tmp/run.json]

It talks HTTP to a running app (`make run`, or a deployed cluster), so the same command compares
prompts on a laptop and models on a GPU cluster. `MEDICI_API_KEY` is sent as the Bearer token when set.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from deployments.topics.batch import read_documents


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deployments.topics.experiment",
                                     description="Prompts x models x temperatures over a labelled corpus.")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the app's base URL")
    parser.add_argument("--corpus", required=True, help="labelled JSONL URI (local, https, s3, gs, .gz)")
    parser.add_argument("--prompts", default="few_shot_list", help="comma-separated built-in prompt names")
    parser.add_argument("--domain", help="YAML file with the instruction and examples the prompts are filled with")
    parser.add_argument("--templates", help="JSON object {name: template} of custom prompts, added to --prompts")
    parser.add_argument("--models", help="comma-separated served model names (default: the pipeline's LLM)")
    parser.add_argument("--temperatures", default="0", help="comma-separated temperatures")
    parser.add_argument("--limit", type=int, help="use the first N documents")
    parser.add_argument("--window", choices=["day", "week", "month"], default="month")
    parser.add_argument("--max-tokens", type=int, help="per labelling completion")
    parser.add_argument("--seed", type=int, help="sent with temperatures above 0")
    parser.add_argument("--timeout", type=float, default=3600.0, help="HTTP timeout in seconds")
    parser.add_argument("--out", help="write the whole JSON answer here")
    return parser.parse_args(argv)


def build_request(args: argparse.Namespace) -> dict:
    documents = read_documents(args.corpus, args.limit)
    prompts = [{"name": name} for name in _list(args.prompts)]
    prompts += [{"name": name, "template": text} for name, text in json.loads(args.templates or "{}").items()]
    request: dict = {"documents": documents, "prompts": prompts, "window": args.window,
                     "temperatures": [float(t) for t in _list(args.temperatures)]}
    if args.domain:
        from deployments.topics.domain import load_domain

        request["domain"] = load_domain(args.domain).model_dump()
    if args.models:
        request["models"] = _list(args.models)
    for key in ("max_tokens", "seed"):
        if getattr(args, key) is not None:
            request[key] = getattr(args, key)
    return request


def main(argv: list[str] | None = None) -> dict:
    import httpx

    args = parse_args(argv)
    request = build_request(args)
    key = os.environ.get("MEDICI_API_KEY", "").strip()
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        response = httpx.post(args.url.rstrip("/") + "/v1/experiments", json=request, headers=headers,
                              timeout=args.timeout)
    except httpx.HTTPError as exc:
        sys.exit(f"POST {args.url}/v1/experiments failed: {type(exc).__name__}: {exc}")
    if response.status_code != 200:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:500]
        sys.exit(f"POST /v1/experiments answered {response.status_code}: {message}")
    answer = response.json()
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(answer, f, indent=1, ensure_ascii=False)
    print(answer["markdown"])
    print(f"{answer['documents']} documents, {len(answer['table'])} cells, {answer['elapsed_s']:.1f} s")
    return answer


if __name__ == "__main__":
    main()
