"""Start and stop a real Label Studio server for round-trip tests.

The server is a separate program installed by ``.ci/install-label-studio`` into
its own virtualenv (Label Studio pins Django and many other packages that must
not share an environment with vna-ner). Tests reach it over HTTP on 127.0.0.1
only, through the ``label_studio`` fixture in ``tests/conftest.py``.

Environment variables:

``VNA_NER_LABEL_STUDIO``
    Path of the ``label-studio`` executable to use (checked first).
``VNA_NER_LS_VENV``
    Virtualenv made by ``.ci/install-label-studio`` (default
    ``<repo>/.venv-label-studio``); its ``bin/label-studio`` is checked second,
    then ``label-studio`` on ``PATH``.
``VNA_NER_SKIP_LABEL_STUDIO=1``
    Skip the tests that need the server instead of failing when none is found.
``VNA_NER_LS_START_TIMEOUT``
    Seconds to wait for the server to answer (default 300).
``VNA_NER_LS_CACHE_DIR``
    Where the migrated data-dir template is cached (default
    ``<tmp>/vna-ner-label-studio-cache``). The first start on a machine runs
    Label Studio's database migrations once (``label-studio init``, ~20-60 s);
    later sessions copy the template and start in a few seconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTALL_HINT = (
    "Label Studio is not installed. Run `.ci/install-label-studio` (creates .venv-label-studio at the "
    "repo root), or point VNA_NER_LABEL_STUDIO at a label-studio executable. "
    "Set VNA_NER_SKIP_LABEL_STUDIO=1 to skip the Label Studio tests instead."
)

USERNAME = "vna-ner-tests@example.com"
PASSWORD = "vna-ner-tests-password"
# A fixed legacy API token ("Authorization: Token <token>"); LS only applies tokens longer than 5 chars.
API_TOKEN = "vnanertests0123456789abcdef0123456789abcd"

DEFAULT_START_TIMEOUT = 300.0
# Bump when the way the template is built changes, so stale caches are not reused.
_TEMPLATE_FORMAT = "1"
_DB_FILE = "label_studio.sqlite3"

# Variables that Label Studio reads (get_env looks at LABEL_STUDIO_X, HEARTEX_X and bare X) and that
# an unrelated shell may set: HOST would break the URLs it builds, DJANGO_DB would switch it to Postgres.
_SCRUBBED_ENV = {
    "HOST",
    "PORT",
    "USERNAME",
    "PASSWORD",
    "USER_TOKEN",
    "DJANGO_DB",
    "DATABASE_NAME",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
}
_SCRUBBED_PREFIXES = ("LABEL_STUDIO_", "HEARTEX_", "POSTGRE_", "MYSQL_")
_SERVER_URL_RE = re.compile(r"Starting development server at (http://[^\s/]+)/")


class LabelStudioUnavailable(RuntimeError):
    """No label-studio executable could be found."""


class LabelStudioStartError(RuntimeError):
    """The server did not come up; the message carries the end of its log."""


def find_label_studio() -> Path | None:
    """Return the label-studio executable to use, or None when there is none.

    Order: $VNA_NER_LABEL_STUDIO, $VNA_NER_LS_VENV/bin/label-studio (default
    <repo>/.venv-label-studio), then ``label-studio`` on PATH. A set but wrong
    VNA_NER_LABEL_STUDIO is an error rather than a silent fallback.
    """
    explicit = os.environ.get("VNA_NER_LABEL_STUDIO")
    if explicit:
        path = Path(explicit).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise LabelStudioUnavailable(f"VNA_NER_LABEL_STUDIO={explicit} is not an executable file.")
        return path
    venv = Path(os.environ.get("VNA_NER_LS_VENV") or REPO_ROOT / ".venv-label-studio")
    if not venv.is_absolute():
        venv = REPO_ROOT / venv
    candidate = venv / "bin" / "label-studio"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    on_path = shutil.which("label-studio")
    return Path(on_path) if on_path else None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _server_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV and not k.startswith(_SCRUBBED_PREFIXES)
    }
    env.update(
        {
            "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            # No network calls to the package index or analytics from the test server.
            "LATEST_VERSION_CHECK": "false",
            "COLLECT_ANALYTICS": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if extra:
        env.update(extra)
    return env


def _credentials_args() -> list[str]:
    return ["--username", USERNAME, "--password", PASSWORD, "--user-token", API_TOKEN]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _cache_root() -> Path:
    configured = os.environ.get("VNA_NER_LS_CACHE_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "vna-ner-label-studio-cache"


def _template_key(executable: Path) -> str:
    real = executable.resolve()
    stat = real.stat()
    # pip rewrites the entry-point script on every (re)install, so its mtime tracks the installed version.
    material = "\0".join([_TEMPLATE_FORMAT, str(real), str(stat.st_mtime_ns), USERNAME, PASSWORD, API_TOKEN])
    return hashlib.sha256(material.encode()).hexdigest()[:20]


def ensure_template(executable: Path, timeout: float, log_path: Path) -> Path:
    """Return a migrated data dir holding the test user and token, building it once per machine.

    ``label-studio init`` applies all migrations and creates the user, its token and
    the organization (legacy tokens enabled), then exits. It is built in a private
    directory and renamed into place, so concurrent sessions never see half a template.
    """
    root = _cache_root()
    template = root / _template_key(executable)
    if (template / _DB_FILE).is_file():
        return template
    root.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    data_dir = building / "data"
    try:
        with log_path.open("ab") as log:
            log.write(f"$ {executable} init (template {template})\n".encode())
            log.flush()
            try:
                proc = subprocess.run(
                    [str(executable), "init", "--no-browser", *_credentials_args()],
                    env=_server_env(data_dir),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=building,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as err:
                raise LabelStudioStartError(
                    f"`label-studio init` took more than {timeout:.0f} s; log {log_path}"
                ) from err
        if proc.returncode != 0 or not (data_dir / _DB_FILE).is_file():
            raise LabelStudioStartError(
                f"`label-studio init` failed (exit {proc.returncode}); log {log_path}:\n{_tail(log_path)}"
            )
        try:
            data_dir.rename(template)
        except OSError:
            if not (template / _DB_FILE).is_file():  # not a lost race: a real error
                raise
        return template
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _get(url: str, token: str | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@dataclass
class LabelStudioServer:
    """A running Label Studio server owned by the test session."""

    url: str
    token: str
    username: str
    password: str
    executable: Path
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    _client: Any = field(default=None, repr=False)

    @property
    def client(self) -> Any:
        """A ``label_studio_sdk.client.LabelStudio`` bound to this server (created on first use)."""
        if self._client is None:
            from label_studio_sdk.client import LabelStudio

            self._client = LabelStudio(base_url=self.url, api_key=self.token)
        return self._client

    def export_json(self, project_id: int, *, download_all_tasks: bool = True) -> list[dict[str, Any]]:
        """Export a project in LS's JSON format (``GET /api/projects/{id}/export?exportType=JSON``)."""
        chunks = self.client.projects.exports.download_sync(
            id=project_id, export_type="JSON", download_all_tasks=download_all_tasks
        )
        return json.loads(b"".join(chunks))

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)

    def stop(self, timeout: float = 20.0) -> None:
        """Terminate the server's whole process group (SIGTERM, then SIGKILL)."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)


def start_label_studio(
    workdir: Path,
    *,
    executable: Path | None = None,
    timeout: float | None = None,
    use_template: bool = True,
) -> LabelStudioServer:
    """Start Label Studio on 127.0.0.1 with a fresh data dir under ``workdir``; wait until it answers.

    Raises LabelStudioUnavailable when there is no executable and
    LabelStudioStartError when the server dies or does not answer in time.
    """
    if executable is None:
        executable = find_label_studio()
    if executable is None:
        raise LabelStudioUnavailable(INSTALL_HINT)
    if timeout is None:
        timeout = float(os.environ.get("VNA_NER_LS_START_TIMEOUT", DEFAULT_START_TIMEOUT))
    deadline = time.monotonic() + timeout

    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "label-studio.log"
    data_dir = workdir / "data"
    if use_template:
        template = ensure_template(executable, timeout, log_path)
        shutil.copytree(template, data_dir)

    port = free_port()
    command = [
        str(executable),
        "start",
        "--no-browser",
        "--internal-host",
        "127.0.0.1",
        "--port",
        str(port),
        *_credentials_args(),
    ]
    with log_path.open("ab") as log:
        log.write(("$ " + " ".join(command) + "\n").encode())
        log.flush()
        process = subprocess.Popen(
            command,
            env=_server_env(data_dir),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            start_new_session=True,  # own process group, so stop() reaches every child
        )
    server = LabelStudioServer(
        url=f"http://127.0.0.1:{port}",
        token=API_TOKEN,
        username=USERNAME,
        password=PASSWORD,
        executable=executable,
        data_dir=data_dir,
        log_path=log_path,
        process=process,
    )
    try:
        _wait_until_ready(server, deadline)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_ready(server: LabelStudioServer, deadline: float) -> None:
    while True:
        if server.process.poll() is not None:
            raise LabelStudioStartError(
                f"Label Studio exited with code {server.process.returncode} before answering; "
                f"log {server.log_path}:\n{server.log_tail()}"
            )
        # LS moves to the next port if the chosen one got taken meanwhile: trust what it printed.
        match = _SERVER_URL_RE.search(server.log_path.read_text(errors="replace"))
        if match:
            server.url = match.group(1)
            with contextlib.suppress(OSError):
                status, body = _get(server.url + "/health")
                if status == 200 and b"UP" in body:
                    break
        if time.monotonic() > deadline:
            raise LabelStudioStartError(
                f"Label Studio did not answer within the timeout; log {server.log_path}:\n{server.log_tail()}"
            )
        time.sleep(0.5)
    status, body = _get(server.url + "/api/current-user/whoami", token=server.token)
    if status != 200:
        raise LabelStudioStartError(
            f"Label Studio is up at {server.url} but rejects the test API token "
            f"(HTTP {status}: {body[:200]!r}); log {server.log_path}:\n{server.log_tail()}"
        )
