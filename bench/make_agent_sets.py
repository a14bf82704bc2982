"""Build the agent's evaluation sets: three corpora from different domains, each with a QA set.

    python bench/make_agent_sets.py            # writes data/agent_sets/{company,debian,countries}_{docs,qa}.jsonl

- company: the shipped company documents (data/company_docs.jsonl) with questions written by hand
  (lookups and two-hop questions from data/agent_qa.jsonl, reverse lookups added here) and
  generated word-form arithmetic;
- debian: the records of the Debian packages installed on this machine (/var/lib/dpkg/status):
  name, version, section, installed size, one-line description; a seeded sample;
- countries: ISO 3166-1 (the iso-codes package's /usr/share/iso-codes/json/iso_3166-1.json):
  name, official name, alpha-2, alpha-3 and numeric codes.

Every set has four kinds: `lookup` (a value by name), `reverse` (a name by a description or code),
`two_hop` (arithmetic over two looked-up values), `arithmetic` (arithmetic stated in words). Each
kind is split in halves by a hash of the question: `split` is "dev" (tune on it) or "test" (report
only). The seed is fixed, so the same machine gives the same files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "agent_sets"
PER_KIND = 8


# --- word-form arithmetic: templates and their values (no corpus needed) ---
_TEMPLATES = [
    ("What is {a} multiplied by {b}, plus {c}?", lambda a, b, c: a * b + c),
    ("What is {a} plus {b}?", lambda a, b, c: a + b),
    ("What do you get when you subtract {b} from {a}?", lambda a, b, c: a - b),
    ("What is {a} times {b}?", lambda a, b, c: a * b),
    ("What is the sum of {a}, {b} and {c}?", lambda a, b, c: a + b + c),
    ("What is the difference between {a} and {b}, multiplied by {c}?", lambda a, b, c: (a - b) * c),
    ("What is {p} divided by {b}?", lambda a, b, c: a),  # p = a * b, so the result is whole
    ("What is {a} minus {b}, plus {c}?", lambda a, b, c: a - b + c),
]


def word_arithmetic(rng: random.Random, count: int) -> list[dict]:
    items = []
    for template, value in rng.sample(_TEMPLATES, count):
        a, b, c = rng.randint(20, 400), rng.randint(2, 60), rng.randint(2, 30)
        question = template.format(a=a, b=b, c=c, p=a * b)
        items.append({"question": question, "answer": str(value(a, b, c)), "kind": "arithmetic"})
    return items


# --- debian: installed package records ---
def debian_records(path: str = "/var/lib/dpkg/status") -> list[dict]:
    records, current = [], {}
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines() + [""]:
        if not line.strip():
            if current.get("Package") and current.get("Description") and current.get("Installed-Size"):
                records.append(current)
            current = {}
        elif not line[0].isspace() and ":" in line:
            key, _, value = line.partition(":")
            current[key] = value.strip()
    return records


def debian_set(rng: random.Random, size: int) -> tuple[list[dict], list[dict]]:
    records = debian_records()
    by_synopsis: dict[str, int] = {}
    for r in records:
        by_synopsis[r["Description"].lower()] = by_synopsis.get(r["Description"].lower(), 0) + 1
    records = [r for r in records if by_synopsis[r["Description"].lower()] == 1]  # a description names one package
    sample = sorted(rng.sample(records, min(size, len(records))), key=lambda r: r["Package"])
    docs = [{"id": f"deb-{r['Package']}",
             "text": f"{r['Package']}: {r['Description'].rstrip('.')}. Version {r['Version']}, section "
                     f"{r.get('Section', 'unknown')}, installed size {r['Installed-Size']} kB.",
             "metadata": {"source": "dpkg status"}} for r in sample]
    picks = rng.sample(sample, 4 * PER_KIND)
    qa = []
    for r in picks[:PER_KIND]:
        if rng.random() < 0.5:
            qa.append({"question": f"What is the version of the {r['Package']} package?", "answer": r["Version"]})
        else:
            qa.append({"question": f"What is the installed size of the {r['Package']} package in kB?",
                       "answer": r["Installed-Size"]})
        qa[-1]["kind"] = "lookup"
    for r in picks[PER_KIND: 2 * PER_KIND]:
        qa.append({"question": f"Which package is described as '{r['Description'].rstrip('.')}'?",
                   "answer": r["Package"], "kind": "reverse"})
    pairs = picks[2 * PER_KIND: 4 * PER_KIND]
    for i in range(PER_KIND):
        a, b = sorted(pairs[2 * i: 2 * i + 2], key=lambda r: -int(r["Installed-Size"]))  # "larger" stays positive
        sa, sb = int(a["Installed-Size"]), int(b["Installed-Size"])
        if i % 2 == 0:
            qa.append({"question": f"What is the combined installed size in kB of the {a['Package']} and "
                                   f"{b['Package']} packages?", "answer": str(sa + sb)})
        else:
            qa.append({"question": f"How many kB larger is the installed size of {a['Package']} than that of "
                                   f"{b['Package']}?", "answer": str(sa - sb)})
        qa[-1]["kind"] = "two_hop"
    return docs, qa + word_arithmetic(rng, PER_KIND)


# --- countries: ISO 3166-1 ---
def countries_set(rng: random.Random) -> tuple[list[dict], list[dict]]:
    rows = json.loads(Path("/usr/share/iso-codes/json/iso_3166-1.json").read_text(encoding="utf-8"))["3166-1"]
    docs = []
    for r in rows:
        official = f" (official name: {r['official_name']})" if r.get("official_name") else ""
        docs.append({"id": f"iso-{r['alpha_2'].lower()}",
                     "text": f"{r['name']}{official} has the ISO 3166-1 alpha-2 code {r['alpha_2']}, the alpha-3 "
                             f"code {r['alpha_3']} and the numeric code {int(r['numeric'])}.",
                     "metadata": {"source": "iso-codes"}})
    # Names that other names contain ("Niger" in "Nigeria") make a lookup ambiguous: left out of questions.
    simple = [r for r in rows if "," not in r["name"] and "(" not in r["name"]
              and not any(r["name"] != o["name"] and r["name"] in o["name"] for o in rows)]
    picks = rng.sample(simple, 4 * PER_KIND)
    qa = []
    for r in picks[:PER_KIND]:
        if rng.random() < 0.5:
            qa.append({"question": f"What is the alpha-3 code of {r['name']}?", "answer": r["alpha_3"]})
        else:
            qa.append({"question": f"What is the numeric code of {r['name']}?", "answer": str(int(r["numeric"]))})
        qa[-1]["kind"] = "lookup"
    for r in picks[PER_KIND: 2 * PER_KIND]:
        if r.get("official_name") and r["name"].lower() not in r["official_name"].lower():
            question = f"Which country has the official name '{r['official_name']}'?"
        else:
            question = f"Which country has the alpha-3 code {r['alpha_3']}?"
        qa.append({"question": question, "answer": r["name"], "kind": "reverse"})
    pairs = picks[2 * PER_KIND: 4 * PER_KIND]
    for i in range(PER_KIND):
        a, b = sorted(pairs[2 * i: 2 * i + 2], key=lambda r: -int(r["numeric"]))
        na, nb = int(a["numeric"]), int(b["numeric"])
        if i % 2 == 0:
            qa.append({"question": f"What is the sum of the numeric codes of {a['name']} and {b['name']}?",
                       "answer": str(na + nb)})
        else:
            qa.append({"question": f"What is the numeric code of {a['name']} minus the numeric code of {b['name']}?",
                       "answer": str(na - nb)})
        qa[-1]["kind"] = "two_hop"
    return docs, qa + word_arithmetic(rng, PER_KIND)


# --- company: the shipped documents ---
COMPANY_REVERSE = [  # written by hand from data/company_docs.jsonl
    ("Which product is a warehouse robot?", "Tessera"),
    ("Which office is the headquarters for North America?", "Austin"),
    ("Which product is an inspection drone?", "Kestrel"),
    ("Which product is a fleet management app?", "Orbit"),
    ("Which office builds the Fjord data platform?", "Bergen"),
    ("Which office works with car manufacturers?", "Nagoya"),
    ("Which product is a document scanner for offices?", "Quill"),
    ("Who leads the department that reviews about 300 contracts per year?", "Ines Duarte"),
]


def company_set(rng: random.Random) -> tuple[list[dict], list[dict]]:
    docs = [json.loads(line) for line in (ROOT / "data" / "company_docs.jsonl").read_text().splitlines() if line]
    shipped = [json.loads(line) for line in (ROOT / "data" / "agent_qa.jsonl").read_text().splitlines() if line]
    kinds = {"single": "lookup", "two_hop": "two_hop"}  # the shipped symbolic arithmetic is replaced by words
    qa = [{**item, "kind": kinds[item["kind"]]} for item in shipped if item["kind"] in kinds]
    qa += [{"question": q, "answer": a, "kind": "reverse"} for q, a in COMPANY_REVERSE]
    return docs, qa + word_arithmetic(rng, PER_KIND)


def split(qa: list[dict]) -> list[dict]:
    """Halves per kind, by a hash of the question: reproducible, and independent of file order."""
    out = []
    for kind in dict.fromkeys(item["kind"] for item in qa):
        items = sorted((i for i in qa if i["kind"] == kind),
                       key=lambda i: hashlib.sha1(i["question"].encode()).hexdigest())
        out += [{**item, "split": "dev" if n % 2 == 0 else "test"} for n, item in enumerate(items)]
    return out


def hand_written(name: str) -> list[dict]:
    """The rows of NAME_qa.jsonl marked `"by": "hand"` (dev questions in other wordings and of the kinds
    field_choice and arithmetic_multi): kept when the templates are generated again."""
    path = OUT / f"{name}_qa.jsonl"
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if row.get("by") == "hand"]


def write(name: str, docs: list[dict], qa: list[dict]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    kept = hand_written(name)
    for suffix, rows in (("docs", docs), ("qa", split(qa) + kept)):
        with open(OUT / f"{name}_{suffix}.jsonl", "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    print(f"{name}: {len(docs)} documents, {len(qa)} questions")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--debian-docs", type=int, default=300)
    args = parser.parse_args()
    write("company", *company_set(random.Random(args.seed)))
    write("debian", *debian_set(random.Random(args.seed), args.debian_docs))
    write("countries", *countries_set(random.Random(args.seed)))


if __name__ == "__main__":
    main()
