"""Produce ``annotations/gold.json`` the way the issue asks: through a real Label Studio server.

The gold was authored as standoff files (``annotations/authoring/<document>.ann``, adjudicated) and,
for the agreement study, as two independent passes (``annotations/agreement/{first,second}_pass``).
This script segments the source pages into documents, turns every document into a Label Studio task
(gold annotation ``ground_truth: true``; the two passes, where present, as further annotations with
``ground_truth: false``, first pass first), imports them into a fresh project on a real server through
the SDK, exports the project as JSON, and writes that export pretty-printed with sorted keys.

Usage (from the repository root, after ``.ci/install-label-studio``)::

    python annotations/make_gold.py            # starts a throw-away server on 127.0.0.1
    python annotations/make_gold.py --url http://127.0.0.1:8080 --token TOKEN
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from vna_ner.corpus.segment import segment_directory
from vna_ner.corpus.standoff import read_standoff
from vna_ner.documents import Document
from vna_ner.labelstudio.export import read_documents
from vna_ner.labelstudio.schema import Schema, load_schema
from vna_ner.labelstudio.tasks import annotation_result, write_tasks

HERE = Path(__file__).resolve().parent
PASSES = ("first_pass", "second_pass")


def build_tasks(schema: Schema) -> list[dict[str, Any]]:
    """One task per segmented document, carrying the gold and any agreement passes."""
    tasks = []
    for document in segment_directory(HERE / "source"):
        annotations = []
        for name in PASSES:
            path = HERE / "agreement" / name / f"{document.id}.ann"
            if path.exists():
                entities, relations = read_standoff(document.id, document.text, path)
                annotations.append(
                    {"result": annotation_result(entities, relations, schema), "ground_truth": False}
                )
        entities, relations = read_standoff(
            document.id, document.text, HERE / "authoring" / f"{document.id}.ann"
        )
        annotations.append({"result": annotation_result(entities, relations, schema), "ground_truth": True})
        data = {
            schema.text_key: document.text,
            "doc_id": document.id,
            "provenance": [{"source": p.source, "offset": p.offset} for p in document.provenance],
        }
        tasks.append({"data": data, "annotations": annotations})
    return tasks


def export_through_label_studio(tasks: list[dict[str, Any]], config: str, url: str, token: str) -> list[Any]:
    """Import ``tasks`` into a new project on the server at ``url`` and return its JSON export."""
    from label_studio_sdk.client import LabelStudio

    client = LabelStudio(base_url=url, api_key=token)
    project = client.projects.create(title="vna-ner gold", label_config=config)
    client.projects.import_tasks(id=project.id, request=tasks, return_task_ids=True)
    chunks = client.projects.exports.download_sync(id=project.id, export_type="JSON", download_all_tasks=True)
    return json.loads(b"".join(chunks))


def _start_server(workdir: Path) -> Any:
    """The test suite's Label Studio launcher (``tests/labelstudio_server.py``), loaded by path."""
    spec = importlib.util.spec_from_file_location(
        "labelstudio_server", HERE.parent / "tests" / "labelstudio_server.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.start_label_studio(workdir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="A running Label Studio (default: start one on 127.0.0.1).")
    parser.add_argument("--token", help="Its API token (legacy token).")
    parser.add_argument("--out", type=Path, default=HERE / "gold.json")
    arguments = parser.parse_args()
    config_path = HERE / "labeling_config.xml"
    schema = load_schema(config_path)
    tasks = build_tasks(schema)
    if arguments.url:
        exported = export_through_label_studio(
            tasks, config_path.read_text("utf-8"), arguments.url, arguments.token
        )
    else:
        with tempfile.TemporaryDirectory() as workdir:
            server = _start_server(Path(workdir))
            try:
                exported = export_through_label_studio(
                    tasks, config_path.read_text("utf-8"), server.url, server.token
                )
            finally:
                server.stop()
    write_tasks(exported, arguments.out)
    expected: list[Document] = [
        Document(d.id, d.text, *read_standoff(d.id, d.text, HERE / "authoring" / f"{d.id}.ann"), d.provenance)
        for d in segment_directory(HERE / "source")
    ]
    read_back = read_documents(arguments.out, schema)
    same = [(d.id, d.text, d.entities, d.relations, d.provenance) for d in read_back] == [
        (d.id, d.text, sorted(d.entities), sorted(set(d.relations)), d.provenance) for d in expected
    ]
    print(
        f"{arguments.out}: {len(exported)} tasks exported by Label Studio; gold read back identical: {same}"
    )
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
