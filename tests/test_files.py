"""The atomic writer: whole files or none, the permissions open() would give, one-line refusals."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from vna_ner.errors import OutputError
from vna_ner.files import atomic_file, check_output, write_text_atomically


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask():
    """Set the process umask for one test and give the previous one back."""
    previous = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(previous)


def test_a_new_file_gets_the_permissions_of_the_umask(tmp_path, umask):
    write_text_atomically(tmp_path / "a.json", "{}\n")
    assert _mode(tmp_path / "a.json") == 0o644  # 0o666 & ~0o022; the old writer left 0o600
    umask(0o027)
    write_text_atomically(tmp_path / "b.json", "{}\n")
    assert _mode(tmp_path / "b.json") == 0o640


def test_a_replaced_file_keeps_its_permissions_and_gets_the_new_text(tmp_path, umask):
    path = tmp_path / "report.json"
    path.write_text("old")
    path.chmod(0o600)
    write_text_atomically(path, "new é")
    assert path.read_text(encoding="utf-8") == "new é"
    assert _mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "board.json"
    path.write_text("old")
    with pytest.raises(ZeroDivisionError), atomic_file(path) as out:
        out.write("half")
        raise ZeroDivisionError
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["board.json"]


def test_binary_files_go_through_the_same_writer(tmp_path):
    with atomic_file(tmp_path / "chart.png", binary=True) as out:
        out.write(b"\x89PNG")
    assert (tmp_path / "chart.png").read_bytes() == b"\x89PNG"


def test_missing_folders_are_made(tmp_path):
    write_text_atomically(tmp_path / "eval" / "new" / "r.json", "{}")
    assert (tmp_path / "eval" / "new" / "r.json").read_text() == "{}"


def test_a_path_under_a_file_is_refused_in_one_line(tmp_path):
    (tmp_path / "afile").write_text("mine")
    with pytest.raises(OutputError) as refused:
        write_text_atomically(tmp_path / "afile" / "sub" / "r.json", "{}")
    assert str(refused.value) == f"cannot write {tmp_path}/afile/sub/r.json: {tmp_path}/afile is not a folder"
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]
    assert (tmp_path / "afile").read_text() == "mine"


def test_a_folder_is_not_overwritten_as_a_file(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(OutputError, match="it is a folder"):
        write_text_atomically(tmp_path / "out", "{}")


def test_a_symlinked_output_is_followed(tmp_path):
    (tmp_path / "real.json").write_text("old")
    (tmp_path / "link.json").symlink_to("real.json")
    write_text_atomically(tmp_path / "link.json", "new")
    assert (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "real.json").read_text() == "new"


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in: a 0o555 one, or a read-only one when running as root."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir(mode=0o555)
        return folder
    for candidate in (Path("/proc/sys"), Path("/sys")):
        if candidate.is_dir() and not os.access(candidate, os.W_OK):
            return candidate
    pytest.skip("running as root, with no read-only folder to try")


def test_a_folder_that_is_not_writable_is_refused_before_writing(tmp_path):
    folder = unwritable_folder(tmp_path)
    message = f"cannot write {folder}/r.json: the folder {folder} is not writable"
    with pytest.raises(OutputError, match=message):
        check_output(folder / "r.json")
    with pytest.raises(OutputError, match="is not writable"):
        write_text_atomically(folder / "r.json", "{}")
    assert not (folder / "r.json").exists()
