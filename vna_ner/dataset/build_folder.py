"""Where a build may write, and how it takes the place of the previous one without losing anything.

``build --out`` replaces only an empty or absent folder, or one that an earlier build wrote (its
``manifest.json`` is a vna-ner manifest) and that holds nothing else; a user's file is never deleted.
The new build is made in a staging folder beside ``out`` (``.<name>-staging-<random>``, marked by a file
holding the builder's process id) and swapped in only when complete. Staging folders of a build that was
killed are removed by the next build; if it was killed between the two renames of the swap, the previous
build is put back first.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

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
MARK = "vna-ner-staging"  # written first in every staging folder: the process id of the build
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
    remove_dead_staging(target)
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
    """Whether ``folder`` holds a manifest written by ``vna-ner build`` (its top-level keys, streamed)."""
    manifest = folder / MANIFEST
    if not manifest.is_file() or manifest.is_symlink():
        return False
    keys = set()
    try:
        with manifest.open("rb") as stream:
            for prefix, event, value in ijson.parse(stream):
                if prefix == "" and event == "map_key":
                    keys.add(value)
                    if value == "splits":  # written last of the two, keys being sorted
                        break
                elif prefix == "" and event != "start_map":
                    return False
    except (OSError, ValueError, ijson.JSONError):
        return False
    return {"export_sha256", "splits"} <= keys


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


def remove_dead_staging(out: Path) -> None:
    """Remove the staging folders beside ``out`` left by builds that were killed, restoring ``out`` first."""
    if not out.parent.is_dir():
        return
    for staging in out.parent.glob(f".{out.name}-staging-*"):
        if staging.is_symlink() or not staging.is_dir() or _alive(staging / MARK):
            continue
        old = staging / _OLD
        if old.is_dir() and not out.exists() and not out.is_symlink():
            old.rename(out)  # killed between the two renames of the swap: the previous build comes back
        shutil.rmtree(staging, ignore_errors=True)


def _new_staging(out: Path) -> Path:
    while True:
        staging = out.with_name(f".{out.name}-staging-{secrets.token_hex(4)}")
        with suppress(FileExistsError):
            staging.mkdir(mode=0o700)
            break
    (staging / MARK).write_text(f"{os.getpid()}\n", encoding="utf-8")
    return staging


def _alive(mark: Path) -> bool:
    """Whether the build that wrote ``mark`` still runs; a folder without a mark is not ours: kept."""
    try:
        pid = int(mark.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False  # killed while writing its mark
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
