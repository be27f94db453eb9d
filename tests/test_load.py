"""Loading: offline, one line, from the package, from a wheel in a fresh venv, and with plain `datasets`;
importing the package is light and loading writes nothing."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import venv

import datasets
import pytest

import vna_ner
from helpers import CONFIG, REPO
from vna_ner.dataset.load import documents_of, load, source_file, splits_dir
from vna_ner.labelstudio.export import read_documents
from vna_ner.labelstudio.schema import load_schema


def test_load_returns_the_three_splits_of_the_documents_configuration():
    dataset = vna_ner.load()
    assert list(dataset) == ["train", "validation", "test"]
    assert dataset["train"].features["ner_tags"].feature.names[:3] == ["O", "B-PER", "I-PER"]


def test_import_vna_ner_imports_no_heavy_library_and_exports_the_api_lazily():
    script = (
        "import json, sys, vna_ner\n"
        "heavy = ['label_studio_sdk', 'spacy', 'pandas', 'matplotlib', 'datasets', 'pyarrow', 'seqeval']\n"
        "before = [m for m in heavy if m in sys.modules]\n"
        "api = {name: getattr(vna_ner, name).__module__ for name in vna_ner.__all__}\n"
        "print(json.dumps([before, api, 'spacy' in sys.modules or 'label_studio_sdk' in sys.modules]))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    before, api, heavy_after = json.loads(result.stdout)
    assert before == []
    assert api == {
        "evaluate": "vna_ner.benchmark.evaluate",
        "load": "vna_ner.dataset.load",
        "read_predictions": "vna_ner.benchmark.predictions",
        "seqeval_metrics": "vna_ner.benchmark.metrics",
    }
    assert not heavy_after  # the whole public API needs neither spaCy nor the Label Studio SDK
    with pytest.raises(AttributeError, match="no attribute 'loads'"):
        vna_ner.loads  # noqa: B018


def test_loading_writes_nothing_beside_the_splits_even_when_mapped(tmp_path):
    folder = tmp_path / "splits"
    shutil.copytree(splits_dir(), folder)
    files = sorted(folder.rglob("*"))
    # Read-only, like an installed package (root ignores this, so the listing is compared too).
    for path in [folder, *files]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        for config in ("documents", "sentences"):
            for split in load(config, data_dir=folder).values():
                assert split.cache_files == []
                mapped = split.map(lambda row: {"length": len(row["tokens"])})
                kept = mapped.filter(lambda row: row["length"] > 3)
                assert 0 < len(kept) <= len(split) and mapped.cache_files == kept.cache_files == []
        assert all(split.cache_files == [] for split in load("sentences").values())  # the packaged splits
        # The file each split came from stays known (predictions name the split other ids belong to).
        assert source_file(load(split="test", data_dir=folder)) == folder / "documents" / "test.arrow"
        assert sorted(folder.rglob("*")) == files
    finally:
        for path in [folder, *files]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_load_one_split_of_the_sentence_view():
    sentences = load("sentences", split="test")
    assert sentences.column_names == ["id", "document_id", "fold", "tokens", "ner_tags"]
    assert all(len(t) == len(n) for t, n in zip(sentences["tokens"], sentences["ner_tags"], strict=True))


@pytest.mark.parametrize(
    ("arguments", "message"), [(("words",), "unknown configuration"), (("documents", "dev"), "unknown split")]
)
def test_unknown_names_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        load(*arguments)


def test_rows_convert_back_to_documents_with_their_gold():
    gold = {d.id: d for d in read_documents(REPO / "annotations" / "gold.json", load_schema(CONFIG))}
    for document in documents_of(load(split="test")):
        expected = gold[document.id]
        assert (document.text, document.entities, document.relations, document.provenance) == (
            expected.text,
            expected.entities,
            expected.relations,
            expected.provenance,
        )


def test_plain_datasets_load_dataset_reads_the_splits_folder_offline(monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    sentences = datasets.load_dataset(str(splits_dir()), "sentences", split="validation")
    assert sentences.features == load("sentences", split="validation").features
    assert len(sentences) == len(load("sentences", split="validation"))


def test_a_wheel_installed_in_a_fresh_venv_loads_offline_from_anywhere(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(REPO),
        ],
        check=True,
    )
    (wheel,) = wheels.glob("vna_ner-*.whl")
    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=True)
    python = fresh / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True)
    # The fresh venv gets vna-ner from the wheel; its dependencies come from this environment's
    # site-packages, put on PYTHONPATH (an editable vna-ner there is a .pth file, which PYTHONPATH ignores).
    env = {
        **os.environ,
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
    }
    script = (
        "import json, vna_ner; d = vna_ner.load(); s = vna_ner.load('sentences', split='test');"
        "rows = {k: len(v) for k, v in d.items()};"
        "print(json.dumps({'file': vna_ner.__file__, 'rows': rows, 'test': len(s)}))"
    )
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    result = subprocess.run(
        [python, "-c", script], cwd=workdir, env=env, capture_output=True, text=True, check=True
    )
    report = json.loads(result.stdout)
    assert report["file"].startswith(str(fresh)), report["file"]
    # The command line finds the project's labeling config inside the wheel too.
    tasks = subprocess.run(
        [fresh / "bin" / "vna-ner", "to-labelstudio", "tasks.json", "--split", "test"],
        cwd=workdir, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert tasks.returncode == 0, tasks.stderr
    assert len(json.loads((workdir / "tasks.json").read_text())) == report["rows"]["test"]
    assert report["rows"] == {name: len(split) for name, split in load().items()}
    assert report["test"] == len(load("sentences", split="test"))
