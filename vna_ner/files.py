"""Write output files whole or not at all, so an interrupted or failed command leaves nothing half-written.

Every output file of vna-ner goes through :func:`atomic_file`: it is written under a temporary name in
its own folder and renamed into place, with the permissions ``open(path, "w")`` would give it (the
umask's for a new file, the old file's for a replaced one). A path that cannot be written (its parent is
a file, or not writable) raises :class:`OutputError`, a one-line message, before anything is written.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from vna_ner.errors import OutputError

_PACKAGE = Path(__file__).resolve().parent  # the installed vna_ner package: never an output


def check_writable(folder: Path, for_path: Path | None = None) -> None:
    """Raise :class:`OutputError` unless ``folder`` is, or could be made as, a folder vna-ner can write in."""
    target = for_path if for_path is not None else folder
    existing = next((p for p in (folder, *folder.parents) if p.exists() or p.is_symlink()), None)
    if existing is None:
        return
    if not existing.is_dir():
        raise OutputError(f"cannot write {target}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {target}: the folder {existing} is not writable")


def check_output(path: Path, inputs: Iterable[Path] = ()) -> Path:
    """The file to write for ``path`` (a symlink is followed, as ``open(path, "w")`` would); checked.

    Raises :class:`OutputError` if it is a folder or lies in the installed package, if its folder neither
    is nor could be made writable, or if writing it would overwrite one of the command's ``inputs`` (a
    file, or a file in a folder), so that a command can refuse an output before doing any work.
    """
    path = Path(path)
    target = path.resolve() if path.is_symlink() else path
    if target.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder")
    if target.resolve().is_relative_to(_PACKAGE):
        raise OutputError(f"refusing to write {path}: it lies in the installed vna_ner package ({_PACKAGE})")
    for given in map(Path, inputs):
        if _overwrites(target, given):
            what = "a file of " if given.is_dir() else ""
            raise OutputError(f"refusing to write {path}: it is {what}{given}, an input of this command")
    check_writable(target.parent, path)
    return target


def _overwrites(target: Path, given: Path) -> bool:
    """Whether writing the existing or new file ``target`` replaces ``given`` or a file inside it."""
    if not target.exists() or not given.exists():
        return False
    if given.is_dir():
        return target.resolve().is_relative_to(given.resolve())
    return os.path.samefile(target, given)


@contextmanager
def atomic_file(path: Path, binary: bool = False) -> Iterator[IO[Any]]:
    """A file to write ``path`` through: renamed over ``path`` if the block succeeds, removed if not."""
    path = check_output(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot write {path}: cannot make its folder: {error.strerror}") from error
    while True:
        temporary = path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")
        try:
            # 0o666 filtered by the umask, as open() does; tempfile's 0o600 would hide outputs from others
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
        except OSError as error:
            raise OutputError(f"cannot write {path}: {error.strerror}") from error
    try:
        with open(descriptor, "wb") if binary else open(descriptor, "w", encoding="utf-8") as out:
            yield out
        if path.exists():
            os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        os.replace(temporary, path)
    except BaseException as error:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError) and not isinstance(error, OutputError):
            raise OutputError(f"cannot write {path}: {error.strerror or error}") from error
        raise


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all (see :func:`atomic_file`)."""
    with atomic_file(path) as out:
        out.write(text)
