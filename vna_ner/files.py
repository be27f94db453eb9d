"""Write output files whole or not at all, so an interrupted or failed command leaves nothing half-written.

Every output file of vna-ner goes through :func:`atomic_file`: it is written under a temporary name in
its own folder and renamed into place, with the permissions ``open(path, "w")`` would give it (the
umask's for a new file, the old file's for a replaced one). A path that cannot be written (its parent is
a file, or not writable) raises :class:`OutputError`, a one-line message, before anything is written.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from vna_ner.errors import OutputError


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


def check_output(path: Path) -> Path:
    """The file to write for ``path`` (a symlink is followed, as ``open(path, "w")`` would); checked.

    Raises :class:`OutputError` if it is a folder, or its folder neither is nor could be made writable,
    so that a command can refuse an output before doing any work.
    """
    path = Path(path)
    target = path.resolve() if path.is_symlink() else path
    if target.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder")
    check_writable(target.parent, path)
    return target


@contextmanager
def atomic_file(path: Path, binary: bool = False) -> Iterator[IO[Any]]:
    """A file to write ``path`` through: renamed over ``path`` if the block succeeds, removed if not."""
    path = check_output(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot write {path}: cannot make its folder: {error.strerror}") from error
    while True:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
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
