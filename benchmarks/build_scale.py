"""Scale benchmark: vna_ner's build against label_studio_sdk's CONLL2003 converter on one synthetic export.

The export is generated (seeded, deterministic) and written streaming: N tasks of about 1 KB of
French-looking text each (accents, Vietnamese names, an occasional emoji), each with one annotation
of non-overlapping regions over the seven entity labels and a few relations that respect
``annotations/relation_arguments.json``. Every measurement runs in its own fresh interpreter, which
reports its wall time and its own peak resident memory (``ru_maxrss``), so no run inherits another's
heap. Measured: vna_ner's build at N and N/5 (does memory grow with the export?), with one process and
with ``--workers 2``, and the converter at both sizes: these three runs one after the other at each size,
``--repeat`` times (3 by default), each repetition's ratios from its own runs and the median of those
reported with their range, as this machine's speed drifts by a third within minutes. Once each: a rebuild
at N that keeps the splits of the previous build (what `vna-ner build` does by default), and, for each
tool, a child that only imports it (the fixed cost every run includes).

    python benchmarks/build_scale.py                  # 50,000 tasks
    python benchmarks/build_scale.py --tasks 2000 --keep
    python benchmarks/build_scale.py --tasks 10000 --profile   # tracemalloc: what grows with N

``--profile`` adds two tracemalloc children (N/5 and N) that attribute live memory to the vna_ner
source line that allocated it: at the last document read, at the end of the read (what splitting
keeps) and during one try of the split search. Tracing is slow (about 10 minutes at --tasks 10000);
keep N small with it.
The default run (three repetitions) takes about 22 minutes on 2 cores; benchmarks/README.md has the measured
numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "annotations" / "labeling_config.xml"
ARGUMENTS = ROOT / "annotations" / "relation_arguments.json"

WORDS = (  # noqa: SIM905 (a word list reads better as prose)
    "le la les un une des du de à au aux et ou mais donc car en dans sur sous avec pour par entre vers "
    "chez après avant pendant depuis selon été a ont sera seront était étaient doit peut va fait "
    "développement coopération économie économique société sécurité réunion délégation accord "
    "échange échanges relations partenariat intégration croissance exportations investissement "
    "région régional régionale pays peuple gouvernement politique stratégique intégral priorité "
    "projet projets programme secteur agriculture éducation santé énergie environnement "
    "infrastructures transport numérique innovation industrie tourisme culture patrimoine "
    "jeunesse femmes entreprises marché marchés commerce financement aide soutien rôle "
    "important importante nouveau nouvelle nouvelles fraternel fraternelle amitié confiance "
    "renforcer renforcé promouvoir approfondir élargir continuer souligné affirmé salué exprimé "
    "présenté proposé signé adopté reçu visité rencontré discuté évoqué réaffirmé félicité "
    "côté côtés hôte hôtes fête élève élèves intérêt intérêts année années mois semaine jour "
    "niveau niveaux haut haute hauts hautes premier première dernière prochain prochaine "
    "très plus moins bien aussi encore déjà toujours notamment également ainsi leur leurs son sa ses"
).split()

SURFACES = {
    "PER": (
        "Nguyễn Xuân Phúc",
        "Phạm Minh Chính",
        "Võ Văn Thưởng",
        "Tô Lâm",
        "Ngô Thi Thanh Hang",
        "Trần Đại Quang",
        "Lê Hoài Trung",
        "Bùi Thanh Sơn",
        "Emmanuel Macron",
        "Hélène Lefèvre",
        "José Ramón Díaz",
        "Đặng Thị Ngọc Thịnh",
    ),
    "ORG": (
        "Assemblée nationale",
        "Agence vietnamienne d'information",
        "ASEAN",
        "Parti communiste du Vietnam",
        "ministère des Affaires étrangères",
        "Vietcombank",
        "Union européenne",
        "Organisation internationale de la Francophonie",
        "Banque d'État du Vietnam",
        "Comité populaire de Hanoï",
    ),
    "LOC": (
        "Hanoï",
        "Hô Chi Minh-Ville",
        "Đà Nẵng",
        "Huế",
        "La Havane",
        "Paris",
        "Cần Thơ",
        "Quảng Ninh",
        "Laos",
        "Cambodge",
        "Genève",
        "Hải Phòng",
    ),
    "TITLE": (
        "Premier ministre",
        "président",
        "vice-ministre",
        "ambassadeur",
        "secrétaire général",
        "vice-présidente",
        "ministre des Finances",
        "gouverneur",
    ),
    "DATE": (
        "le 12 mars 2024",
        "lundi",
        "en 2023",
        "le 3 septembre",
        "cette année",
        "le 30 avril 1975",
        "mercredi matin",
        "d'ici 2030",
    ),
    "EVENT": (
        "Sommet de l'ASEAN",
        "Forum économique mondial",
        "fête du Têt",
        "SEA Games 31",
        "Conférence de Paris",
        "Festival de Huế",
        "Foire internationale du commerce",
    ),
    "MISC": ("vietnamien", "français", "COVID-19", "Dông Son", "cubaine", "francophone", "Vietnam Airlines"),
}
LABELS = tuple(SURFACES)
EMOJI = ("📝", "🤝", "🇻🇳", "🎉", "📈", "🌾")
TEXT_CHARS = 1000


def _relation_specs() -> dict[str, dict]:
    return json.loads(ARGUMENTS.read_text("utf-8"))


def _candidates(labels: list[str], spec: list[str]) -> list[int]:
    return [i for i, label in enumerate(labels) if "*" in spec or label in spec]


def synthetic_task(rng: random.Random, number: int, specs: dict[str, dict]) -> dict:
    """Task ``number``: ~1 KB of text, flat regions over the 7 labels, relations allowed by ``specs``."""
    text = ""
    regions: list[dict] = []
    labels: list[str] = []
    while len(text) < TEXT_CHARS:
        if text:
            text += "\n\n" if rng.random() < 0.15 else " "
        if rng.random() < 0.03:
            text += rng.choice(EMOJI) + " "
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
        words[0] = words[0].capitalize()
        for _ in range(rng.randint(1, 3)):
            slot = rng.randint(1, len(words))
            label = rng.choice(LABELS)
            words.insert(slot, (label, rng.choice(SURFACES[label])))
        for index, word in enumerate(words):
            if index:
                text += " "
            if isinstance(word, tuple):
                label, surface = word
                region = f"r{len(regions) + 1}"
                start = len(text)
                value = {"start": start, "end": start + len(surface), "text": surface, "labels": [label]}
                regions.append({"id": region, "from_name": "label", "to_name": "text", "type": "labels"})
                regions[-1]["value"] = value
                labels.append(label)
                text += surface
            else:
                text += word
        text += "." if rng.random() < 0.9 else " !"
        if rng.random() < 0.02:
            text += " " + rng.choice(EMOJI)
    relations = set()
    for _ in range(rng.randint(0, 4)):
        name = rng.choice(list(specs))
        spec = specs[name]
        heads = _candidates(labels, spec["head"])
        if not heads:
            continue
        head = rng.choice(heads)
        tails = [
            i
            for i in _candidates(labels, spec["tail"])
            if i != head and (not spec.get("same_type") or labels[i] == labels[head])
        ]
        if tails:
            relations.add((regions[head]["id"], regions[rng.choice(tails)]["id"], name))
    result = regions + [
        {"type": "relation", "from_id": head, "to_id": tail, "direction": "right", "labels": [name]}
        for head, tail, name in sorted(relations)
    ]
    stamp = f"2025-01-01T00:00:{number % 60:02d}.000000Z"
    return {
        "id": number,
        "data": {
            "text": text,
            "doc_id": f"doc-{number:06d}",
            "provenance": [{"source": f"{number // 4:06d}.txt", "offset": 0 if number % 4 == 0 else 1000}],
        },
        "annotations": [
            {
                "id": number,
                "completed_by": 1,
                "result": result,
                "was_cancelled": False,
                "ground_truth": False,
                "created_at": stamp,
                "updated_at": stamp,
                "lead_time": 12.5,
            }
        ],
        "predictions": [],
    }


def write_export(path: Path, tasks: int, seed: int) -> dict[str, int]:
    """Write ``tasks`` synthetic tasks to ``path`` as a Label Studio JSON export, one task at a time."""
    rng = random.Random(seed)
    specs = _relation_specs()
    text_chars = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("[\n")
        for number in range(1, tasks + 1):
            task = synthetic_task(rng, number, specs)
            text_chars += len(task["data"]["text"])
            out.write(("" if number == 1 else ",\n") + json.dumps(task, ensure_ascii=False))
        out.write("\n]\n")
    return {"tasks": tasks, "bytes": path.stat().st_size, "text_chars": text_chars}


# Children: each runs in a fresh interpreter and prints one JSON line with its timings and peak RSS.


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _child_vna(export: str, out: str, extra: str) -> dict:
    """Run ``vna-ner build`` as a user does (summary table included) unless ``extra`` is "imports".

    Into a new folder for "work" (or "workers=N": with ``--workers N``); into the folder of an earlier
    build for "rebuild", which then keeps that build's splits (the command's default). The command
    imports what it needs itself, as in a user's process (it sets up without the cyclic collector);
    "imports" times those imports alone (printed once: a fixed cost inside every run).
    """
    started = time.perf_counter()
    if extra == "imports":
        import vna_ner.dataset.build
        import vna_ner.dataset.load
        import vna_ner.dataset.stats  # noqa: F401 (the command imports these lazily)

        return {"import_s": time.perf_counter() - started, "run_s": 0.0}
    from vna_ner.cli import main

    workers = extra.partition("workers=")[2] or "1"
    command = ["build", export, "--config", str(CONFIG), "--out", out, "--quiet", "--workers", workers]
    main(command, standalone_mode=False)
    return {"import_s": 0.0, "run_s": time.perf_counter() - started}


def _child_converter(export: str, out: str, extra: str) -> dict:
    started = time.perf_counter()
    from label_studio_sdk.converter import Converter

    converter = Converter(config=str(CONFIG), project_dir=out, download_resources=False)
    if extra == "imports":
        return {"import_s": time.perf_counter() - started, "run_s": 0.0}
    converter.convert(export, out, format="CONLL2003", is_dir=False)
    return {"import_s": 0.0, "run_s": time.perf_counter() - started}


def _attribute(snapshot, root: Path) -> dict[str, int]:
    """Live bytes of ``snapshot`` by the innermost vna_ner line on each allocation's traceback."""
    package = str(root / "vna_ner")
    by_line: dict[str, int] = {}
    for stat in snapshot.statistics("traceback"):
        frame = next((f for f in reversed(stat.traceback) if f.filename.startswith(package)), None)
        where = f"{Path(frame.filename).relative_to(root)}:{frame.lineno}" if frame else "(outside vna_ner)"
        by_line[where] = by_line.get(where, 0) + stat.size
    return dict(sorted(by_line.items(), key=lambda item: -item[1])[:15])


def _child_profile(export: str, out: str, tasks: int) -> dict:
    """Build under tracemalloc and attribute live memory to the vna_ner lines that allocated it.

    Snapshots: at the last document read, then at the end of the read (what is kept for splitting).
    Tracing is off during ``assign_splits`` (500 seeded tries; hours under tracemalloc); the assignment
    is sized with ``sys.getsizeof``.
    """
    import tracemalloc

    import vna_ner.dataset.build as build_module
    import vna_ner.dataset.encode as encode_module
    import vna_ner.dataset.split as split_module
    from vna_ner.dataset.align import pipeline
    from vna_ner.labelstudio.schema import load_schema

    schema = load_schema(CONFIG)
    pipeline()  # build spaCy's pipeline before tracing: a fixed cost
    report: dict = {}
    original_assign, original_hash = build_module.assign_splits, encode_module.content_hash
    calls = 0

    def assign_splits(*args, **kwargs):
        report["read: kept for splitting"] = _attribute(tracemalloc.take_snapshot(), ROOT)
        # One traced try gives the transient peak of splitting (every try allocates the same).
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        tries, split_module.TRIES = split_module.TRIES, 1
        try:
            original_assign(*args, **kwargs)
        except split_module.SplitError:
            pass
        finally:
            split_module.TRIES = tries
        report["assign_splits: transient peak of one try"] = {
            "above pass-1 state": tracemalloc.get_traced_memory()[1] - before
        }
        tracemalloc.stop()
        assignment = original_assign(*args, **kwargs)
        report["assign_splits: result"] = {"list (sys.getsizeof)": sys.getsizeof(assignment)}
        tracemalloc.start(40)
        return assignment

    def content_hash(document):
        nonlocal calls
        calls += 1
        if calls == tasks:
            report["read: live at its last document"] = _attribute(tracemalloc.take_snapshot(), ROOT)
        return original_hash(document)

    build_module.assign_splits, encode_module.content_hash = assign_splits, content_hash
    tracemalloc.start(40)
    build_module.build(Path(export), schema, Path(out), progress=False)
    return report


def child_main(argv: list[str]) -> None:
    kind, export, out, extra = argv
    if kind == "profile":
        result = _child_profile(export, out, int(extra))
    else:
        result = {"vna": _child_vna, "converter": _child_converter}[kind](export, out, extra)
    result["peak_rss_mb"] = _peak_mb()
    result["children_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(result))


BARE_EVAL = """
import json
import pyarrow.ipc
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2
with open("splits/sentences/test.arrow", "rb") as stream:
    table = pyarrow.ipc.open_stream(stream).read_all()
features = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
names = features["ner_tags"]["feature"]["names"]
gold = [[names[tag] for tag in row] for row in table.column("ner_tags").to_pylist()]
print(classification_report(gold, gold, digits=4))
print(classification_report(gold, gold, mode="strict", scheme=IOB2, digits=4))
"""
LOAD = """
import json, statistics, sys, time
from pathlib import Path
from datasets import Dataset
import vna_ner
folder = Path("splits/documents")
vna_ner.load(); [Dataset.from_file(str(p)) for p in sorted(folder.glob("*.arrow"))]  # warm the page cache
times = {"load": [], "from_file": []}
for _ in range(int(sys.argv[1])):
    started = time.perf_counter(); vna_ner.load(); times["load"].append(time.perf_counter() - started)
    started = time.perf_counter()
    [Dataset.from_file(str(p)) for p in sorted(folder.glob("*.arrow"))]
    times["from_file"].append(time.perf_counter() - started)
print(json.dumps({key: statistics.median(values) for key, values in times.items()}))
"""
CLI = "import sys; from vna_ner.cli import main; sys.argv = ['vna-ner', *sys.argv[1:]]; main()"


def _process_s(arguments: list[str], runs: int) -> float:
    """Median wall time of ``runs`` fresh processes ``python arguments...`` in the repository."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, *arguments], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def start_up_ratios(runs: int = 5) -> list[str]:
    """Start-up lines: --help and import vna_ner (absolute), eval against a bare seqeval script,
    load() against Dataset.from_file.

    vna_ner's bytecode is compiled first, as ``pip install`` leaves an installed package: without it
    (``PYTHONDONTWRITEBYTECODE``, a fresh checkout) every process compiles the command line's source.
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", "vna_ner"], check=True, cwd=ROOT)
    bare = _process_s(["-c", "pass"], runs)
    help_s = _process_s(["-c", CLI, "--help"], runs)
    import_s = _process_s(["-c", "import vna_ner"], runs)
    predictions = "eval/predictions/spacy_fr_core_news_md.test.jsonl"
    eval_s = _process_s(["-c", CLI, "eval", "--predictions", predictions], runs)
    bare_eval_s = _process_s(["-c", BARE_EVAL], runs)
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD, str(4 * runs)], check=True, cwd=ROOT, capture_output=True, text=True
    )
    load = json.loads(loaded.stdout.splitlines()[-1])
    return [
        f"vna-ner --help {help_s:.3f} s (target < 0.2), import vna_ner {import_s:.3f} s (target < 0.1); "
        f"python -c pass {bare:.3f} s; medians of {runs} processes",
        f"vna-ner eval on {predictions} (whole process, 1,000 bootstrap resamples) {eval_s:.2f} s / bare "
        f"pyarrow + seqeval script {bare_eval_s:.2f} s = x{eval_s / bare_eval_s:.2f} (target <= 1.3)",
        f"vna_ner.load() {load['load'] * 1000:.1f} ms / Dataset.from_file on the same files "
        f"{load['from_file'] * 1000:.1f} ms = x{load['load'] / load['from_file']:.2f} (target <= 1.1)",
    ]


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def run_child(kind: str, export: Path, out: Path, extra: str) -> dict:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(export), str(out), extra],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tasks", type=int, default=50_000, help="tasks in the large export (default 50,000)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--keep", action="store_true", help="keep the exports and outputs; print their folder"
    )
    parser.add_argument("--profile", action="store_true", help="also trace vna_ner's memory at N/5 and N")
    parser.add_argument(
        "--repeat", type=int, default=3, help="repetitions of the paired runs; ratios are their medians"
    )
    args = parser.parse_args()
    small = max(args.tasks // 5, 1)
    work = Path(tempfile.mkdtemp(prefix="vna-build-scale-"))
    try:
        exports = {}
        for n in (small, args.tasks):
            started = time.perf_counter()
            exports[n] = work / f"export-{n}.json"
            info = write_export(exports[n], n, args.seed)
            print(
                f"export of {n:,} tasks: {info['bytes'] / 1e6:.1f} MB on disk, "
                f"{info['text_chars'] / 1e6:.1f} M characters of text, "
                f"written in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
        once = {
            key: run_child(kind, exports[args.tasks], work / f"out-{key}", "imports")
            for key, kind in (("vna imports", "vna"), ("converter imports", "converter"))
        }
        for key, result in once.items():  # fixed costs inside every run below
            print(f"  {key} only: {result['import_s']:.2f} s (one process)", flush=True)
        # The three runs a ratio pairs are made one after the other, at each size, in every repetition:
        # this machine's speed drifts by a third between minutes, so each repetition gives its own ratios
        # and the median of those is the figure.
        runs: dict[str, list[dict]] = {}
        sides = (("vna", "vna", "work"), ("vna 2", "vna", "workers=2"), ("converter", "converter", "work"))
        for repetition in range(args.repeat):
            for n, of in ((small, " small"), (args.tasks, "")):
                for key, kind, extra in sides:
                    # A new folder each time: into an earlier build's folder, the build would keep its splits.
                    out = work / f"out-{key}{of}".replace(" ", "-")
                    shutil.rmtree(out, ignore_errors=True)
                    result = run_child(kind, exports[n], out, extra)
                    runs.setdefault(key + of, []).append(result)
                    print(
                        f"  #{repetition + 1} {key + of} ({n:,} tasks): {result['run_s']:.1f} s, "
                        f"peak {result['peak_rss_mb']:.0f} MB",
                        flush=True,
                    )
        rebuild = run_child("vna", exports[args.tasks], work / "out-vna", "rebuild")  # the last build at N
        heading = f"run (medians of {args.repeat})"
        print(f"\n{heading:<40} {'tasks':>7} {'process s':>9} {'peak MB':>8}")
        for key, results in runs.items():
            n = small if key.endswith("small") else args.tasks
            process_s = statistics.median(r["process_s"] for r in results)
            peak = statistics.median(r["peak_rss_mb"] for r in results)
            print(f"{key:<40} {n:>7,} {process_s:>9.1f} {peak:>8.0f}")

        def ratios(a: str, b: str, field: str = "process_s") -> str:
            """The median over repetitions of each repetition's ratio, and their range."""
            each = sorted(x[field] / y[field] for x, y in zip(runs[a], runs[b], strict=True))
            spread = f" (runs {each[0]:.2f}-{each[-1]:.2f})" if len(each) > 1 else ""
            return f"x{statistics.median(each):.2f}{spread}"

        print(f"\nratios measured side by side in this run (load average now {_load()}):")
        for n, of in ((small, " small"), (args.tasks, "")):
            vna, workers, converter = "vna" + of, "vna 2" + of, "converter" + of
            print(
                f"  {n:>7,} tasks, whole processes: build / converter {ratios(vna, converter)} "
                f"(target <= 1.0), --workers 2 / converter {ratios(workers, converter)} (target <= 0.6)"
            )
            worker_peak = max(r["children_peak_mb"] for r in runs[workers])
            print(
                f"  {'':>7}        peak RSS: build / converter {ratios(vna, converter, 'peak_rss_mb')}"
                f" (target <= 1.3); --workers 2: a worker peaks at {worker_peak:.0f} MB"
            )
        largest = statistics.median(r["peak_rss_mb"] for r in runs["vna"])
        growth = largest - statistics.median(r["peak_rss_mb"] for r in runs["vna small"])
        built = runs["vna"][-1]
        print(
            f"  vna_ner peak RSS at N / at N/5: {ratios('vna', 'vna small', 'peak_rss_mb')} "
            f"({growth * 1024 / (args.tasks - small):.2f} KB per extra task); rebuild / the last build at N: "
            f"time x{rebuild['process_s'] / built['process_s']:.2f}, "
            f"peak x{rebuild['peak_rss_mb'] / built['peak_rss_mb']:.2f}"
        )
        for line in start_up_ratios():
            print(f"  {line}")
        if args.profile:
            print(
                "\ntracemalloc: live memory by the innermost vna_ner line that allocated it (MB)", flush=True
            )
            profiles = {
                n: run_child("profile", exports[n], work / f"out-profile-{n}", str(n)) for n in exports
            }
            for moment in [key for key in profiles[args.tasks] if key not in ("peak_rss_mb", "process_s")]:
                print(f"  {moment}\n    {'':<44} {f'{small:,}':>9} {f'{args.tasks:,}':>9}")
                for line in dict.fromkeys([*profiles[small][moment], *profiles[args.tasks][moment]]):
                    at = [profiles[n][moment].get(line, 0) / 2**20 for n in (small, args.tasks)]
                    print(f"    {line:<44} {at[0]:>9.2f} {at[1]:>9.2f}")
    finally:
        if args.keep:
            print(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.path.insert(0, str(ROOT))
        child_main(sys.argv[2:])
    else:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        main()
