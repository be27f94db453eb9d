"""Where a build may write, and how it takes the place of the previous one without losing anything.

``build --out`` replaces only an empty or absent folder, or one that an earlier build wrote (its
``manifest.json`` is a vna-ner manifest) and that holds nothing else; a user's file is never deleted.
The new build is made in a staging folder beside ``out`` (``.<name>-staging-<random>``, marked by a file
holding a fixed header and the builder's process id) and swapped in only when complete. If a build was
killed between the two renames of the swap, the next build puts the previous build back first; staging
folders of killed builds are removed by the next build once its input has been read and validated, and
only those whose mark is exactly what a build writes.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, BinaryIO

import ijson

import vna_ner
from vna_ner.dataset.card import GENERATED_MARK
from vna_ner.dataset.features import CONFIGS, FORMATS, SPLITS
from vna_ner.errors import OutputError
from vna_ner.files import check_writable

MANIFEST = "manifest.json"
CARD = "README.md"  # the dataset card: a build's generic one, or the project's (``vna-ner card``), kept
BUILD_FILES = frozenset(
    {
        MANIFEST,
        CARD,
        *(f"{config}/{split}.{fmt}" for config in CONFIGS for split in SPLITS for fmt in FORMATS),
    }
)
MARK = "vna-ner-staging"  # written first in every staging folder: a header and the process id of the build
_MARK_HEADER = "vna-ner build staging folder"
_MARK_TEXT = re.compile(rf"{_MARK_HEADER}\npid ([1-9][0-9]{{0,9}})\n")
_MANIFEST_KEYS = frozenset(
    {"assignment", "export_sha256", "folds", "format", "language", "splits", "version"}
)
_OBJECT_KEYS = frozenset({"assignment", "folds"})  # objects of how documents were assigned
_ASSIGNMENT_DEPTH = 3  # ``assignment`` and ``folds`` nest no deeper (``missing``: split or fold -> labels)
_ENTRY_KEYS = frozenset({"fold", "id", "sha256"})
_NEW, _OLD = "new", "old"  # inside a staging folder: the build being made, the build it replaces
_SHOWN = 5  # files named in a refusal


def check_out(out: Path, inputs: Iterable[Path] = ()) -> Path:
    """The folder a build into ``out`` will replace, symlinks followed; :class:`OutputError` if refused.

    Refused: the root, the home folder, a folder in or around the installed package, one holding any of
    ``inputs`` (the export, the config), a file, a folder that is not writable, and a folder holding
    anything but an earlier build's files; the current folder unless it is an earlier build.
    """
    target = Path(out).resolve()

    def refuse(reason: str) -> OutputError:
        shown = f"{out}" if Path(os.path.abspath(out)) == target else f"{out} (= {target})"
        return OutputError(f"refusing to build into {shown}: {reason}")

    if target.parent == target:
        raise refuse("it is the root folder")
    if target == Path.home().resolve():
        raise refuse("it is your home folder")
    package = Path(vna_ner.__file__).resolve().parent
    if _contains(target, package) or _contains(package, target):
        raise refuse(f"it lies in or around the installed vna_ner package ({package})")
    for path in inputs:
        if any(_contains(target, p) for p in (Path(os.path.abspath(path)), Path(path).resolve())):
            raise refuse(f"it holds {path}, an input of the build, which replacing it would delete")
    restore_interrupted(target)
    check_writable(target.parent, Path(out))
    if not target.exists():
        return target
    if not target.is_dir():
        raise refuse("it is a file")
    if is_build(target):
        extra = _extra_files(target)
        if extra:
            raise refuse(
                f"it is an earlier build but also holds {_named(extra)}, which a build does not write; "
                "move them out first"
            )
        return target
    held = sorted(p.name for p in target.iterdir())
    if held:
        raise refuse(f"it holds {_named(held)} and is not an earlier vna-ner build")
    if target == Path.cwd().resolve():
        raise refuse("it is the current folder; build into a folder inside it")
    return target


def is_build(folder: Path) -> bool:
    """Whether ``folder`` holds a manifest of exactly the shape ``vna-ner build`` writes (streamed)."""
    manifest = folder / MANIFEST
    if not manifest.is_file() or manifest.is_symlink():
        return False
    try:
        with manifest.open("rb") as stream:
            for _ in manifest_entries(stream):
                pass
    except (OSError, ValueError, ijson.JSONError):
        return False
    return True


def manifest_entries(stream: BinaryIO) -> Iterator[tuple[str, str, int | None]]:
    """(document id, split, fold or None) of each entry of a manifest, as they come; :class:`ValueError`
    if it is not one.

    The manifest must have the shape a build writes: ``splits`` mapping known split names to lists of
    ``{"id", "sha256"}`` string entries (with a ``fold`` number since builds have folds),
    ``export_sha256`` and optional ``format``, ``language`` and ``version`` strings, optional
    ``assignment`` and ``folds`` objects (nesting at most three deep). Its events are
    checked one by one (no prefixes are built), so a deeply nested file is refused at its first
    unexpected bracket, in constant memory.
    """
    events = ijson.basic_parse(stream)

    def expect(wanted: str, where: str) -> Any:
        event, value = next(events, ("end of file", None))
        if event != wanted:
            raise ValueError(
                f"{where}: {_EVENTS.get(wanted, wanted)} expected, found {_EVENTS.get(event, event)}"
            )
        return value

    expect("start_map", "the file")
    keys = set()
    for event, key in events:
        if event == "end_map":
            break
        if key not in _MANIFEST_KEYS:
            raise ValueError(f"unexpected key {key!r}; a manifest holds {', '.join(sorted(_MANIFEST_KEYS))}")
        keys.add(key)
        if key in _OBJECT_KEYS:
            expect("start_map", key)
            _skip_object(events, key)
            continue
        if key != "splits":
            expect("string", key)
            continue
        expect("start_map", "splits")
        for event, split in events:
            if event == "end_map":
                break
            if split not in SPLITS:
                raise ValueError(f"unknown split {split!r}; splits are {', '.join(SPLITS)}")
            expect("start_array", f"splits.{split}")
            for event, _ in events:
                if event == "end_array":
                    break
                if event != "start_map":
                    raise ValueError(
                        f"splits.{split}: an entry must be an object, found {_EVENTS.get(event, event)}"
                    )
                entry = {}
                for event, name in events:
                    if event == "end_map":
                        break
                    if name not in _ENTRY_KEYS:
                        raise ValueError(f"splits.{split}: unexpected entry key {name!r}")
                    if name == "fold":
                        entry[name] = expect("number", f"splits.{split}: entry {name!r}")
                    else:
                        entry[name] = expect("string", f"splits.{split}: entry {name!r}")
                if "id" not in entry:
                    raise ValueError(f"splits.{split}: an entry without id")
                yield entry["id"], split, entry.get("fold")
    missing = {"export_sha256", "splits"} - keys
    if missing:
        raise ValueError(f"no {' nor '.join(sorted(missing))}")
    if next(events, None) is not None:
        raise ValueError("text after the manifest")


def _skip_object(events: Iterator[tuple[str, Any]], where: str) -> None:
    """Consume the rest of an object whose ``start_map`` was read; :class:`ValueError` if too deep."""
    depth = 1
    for event, _ in events:
        depth += event in ("start_map", "start_array")
        depth -= event in ("end_map", "end_array")
        if depth > _ASSIGNMENT_DEPTH:
            raise ValueError(f"{where}: nested deeper than a build writes it")
        if not depth:
            return
    raise ValueError(f"{where}: the file ends inside it")


_EVENTS = {
    "start_map": "an object",
    "start_array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "a number",
    "double": "a number",
    "boolean": "a boolean",
    "null": "null",
    "end_map": "the end of an object",
    "end_array": "the end of a list",
}


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """An empty folder to build ``out`` in, swapped in for ``out`` if the block succeeds; staging removed.

    Scratch files may go beside the yielded folder, in its parent (the staging folder). The card of
    the build being replaced is carried over, unless a build wrote it (then the new build's replaces it).
    """
    staging = _new_staging(out)
    try:
        new = staging / _NEW
        new.mkdir()
        yield new
        card = out / CARD
        if card.exists() and GENERATED_MARK not in card.read_text("utf-8", errors="replace"):
            shutil.copyfile(card, new / CARD)
        if out.exists():
            out.rename(staging / _OLD)
        new.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def restore_interrupted(out: Path) -> None:
    """Put back the previous build when a build was killed between the two renames of its swap."""
    if out.exists() or out.is_symlink():
        return
    for staging in _dead_staging(out):
        old = staging / _OLD
        if old.is_dir() and not old.is_symlink() and not out.exists():
            old.rename(out)


def remove_dead_staging(out: Path, keep: Path | None = None) -> None:
    """Remove the staging folders beside ``out`` of builds that were killed (all but ``keep``).

    Only a folder whose mark is exactly what a build writes, naming a process that no longer runs.
    """
    for staging in _dead_staging(out):
        if staging != keep:
            shutil.rmtree(staging, ignore_errors=True)


def _dead_staging(out: Path) -> list[Path]:
    if not out.parent.is_dir():
        return []
    return [
        staging
        for staging in sorted(out.parent.glob(f".{out.name}-staging-*"))
        if staging.is_dir() and not staging.is_symlink() and _dead(staging / MARK)
    ]


def mark_text(pid: int) -> str:
    """What a build writes in its staging folder's mark."""
    return f"{_MARK_HEADER}\npid {pid}\n"


def _new_staging(out: Path) -> Path:
    while True:
        staging = out.with_name(f".{out.name}-staging-{secrets.token_hex(4)}")
        with suppress(FileExistsError):
            staging.mkdir(mode=0o700)
            break
    (staging / MARK).write_text(mark_text(os.getpid()), encoding="utf-8")
    return staging


def _dead(mark: Path) -> bool:
    """Whether ``mark`` is exactly a build's mark and its process no longer runs; anything else is kept."""
    if mark.is_symlink() or not mark.is_file():
        return False
    try:
        with mark.open("rb") as stream:
            found = _MARK_TEXT.fullmatch(stream.read(200).decode("utf-8"))
    except (OSError, UnicodeDecodeError):
        return False
    if found is None:
        return False
    try:
        os.kill(int(found.group(1)), 0)
    except ProcessLookupError:
        return True
    except (OverflowError, OSError):
        return False
    return False


def _extra_files(folder: Path) -> list[str]:
    """Files and folders under ``folder`` that a build does not write, as relative paths."""
    extra = []
    for entry in sorted(folder.iterdir()):
        if entry.name in CONFIGS and entry.is_dir() and not entry.is_symlink():
            extra += [f"{entry.name}/{p.name}" for p in sorted(entry.iterdir()) if not _written(p, folder)]
        elif not _written(entry, folder):
            extra.append(entry.name)
    return extra


def _written(path: Path, folder: Path) -> bool:
    return path.is_file() and not path.is_symlink() and path.relative_to(folder).as_posix() in BUILD_FILES


def _contains(folder: Path, path: Path) -> bool:
    return path == folder or folder in path.parents


def _named(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (", …" if len(names) > _SHOWN else "")
