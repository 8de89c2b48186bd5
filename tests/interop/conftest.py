"""Interop fixtures: a real litellm proxy with mock models, and the smelt CLI run against it.

These tests need the `interop` extra (`pip install -e '.[interop]'`: litellm[proxy], the
official openai and anthropic SDKs); without it each module skips with the reason. CI runs
them in a venv of their own (.ci/run), so the main suite only reports them skipped.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

# CI sets this where the extra is installed: a missing package then fails instead of skipping.
if os.environ.get("SMELT_INTEROP_REQUIRED") == "1":
    missing = [m for m in ("litellm", "openai", "anthropic") if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(f"SMELT_INTEROP_REQUIRED=1 but {', '.join(missing)} not installed")

MASTER_KEY = "sk-interop-master-0000"
OPENAI_MODEL = "mock-gpt"
ANTHROPIC_MODEL = "claude-mock"
MOCK_OPENAI_REPLY = "Hello from the mock proxy."
MOCK_ANTHROPIC_REPLY = "Bonjour from mock claude."
STARTUP_S = 120.0  # the proxy takes ~15 s to start on this machine kind

_CONFIG = f"""\
model_list:
  - model_name: {OPENAI_MODEL}
    litellm_params:
      model: openai/{OPENAI_MODEL}
      api_key: unused
      mock_response: "{MOCK_OPENAI_REPLY}"
  - model_name: {ANTHROPIC_MODEL}
    litellm_params:
      model: anthropic/claude-3-5-haiku-20241022
      api_key: unused
      mock_response: "{MOCK_ANTHROPIC_REPLY}"
"""


@dataclass
class Proxy:
    """A running litellm proxy: its base URL (no /v1) and master key."""

    base_url: str
    key: str


@pytest.fixture(scope="session")
def litellm_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """litellm's proxy on 127.0.0.1 (a free port), offline, with two mock models."""
    pytest.importorskip("litellm", reason="needs the interop extra: pip install -e '.[interop]'")
    work = tmp_path_factory.mktemp("litellm")
    (work / "config.yaml").write_text(_CONFIG)
    port = _free_port()
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_MASTER_KEY": MASTER_KEY,
           "LITELLM_TELEMETRY": "False", "NO_PROXY": "127.0.0.1,localhost"}
    command = [str(Path(sys.executable).with_name("litellm")), "--config", str(work / "config.yaml"),
               "--host", "127.0.0.1", "--port", str(port)]
    log_path = work / "proxy.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, cwd=work, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_live(proc, base, log_path)
        yield Proxy(base, MASTER_KEY)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_live(proc: subprocess.Popen, base: str, log_path: Path) -> None:
    import httpx

    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"litellm proxy exited with {proc.returncode}:\n{_tail(log_path)}")
        try:
            if httpx.get(f"{base}/health/liveliness", timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # polling an external process that gives no other readiness signal
    pytest.fail(f"litellm proxy not live after {STARTUP_S:g} s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run_cli(tmp_path: Path, *args: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, Path]:
    """Run `python -m smelt_repl ARGS` with XDG dirs under `tmp_path`; (result, state dir)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SMELT_", "OPENAI_", "ANTHROPIC_", "XDG_"))}
    for name in ("STATE", "CONFIG", "DATA", "CACHE"):
        clean[f"XDG_{name}_HOME"] = str(tmp_path / f"xdg-{name.lower()}")
    result = subprocess.run([sys.executable, "-m", "smelt_repl", *args], capture_output=True, text=True,
                            timeout=120, stdin=subprocess.DEVNULL, env={**clean, **env})
    return result, tmp_path / "xdg-state"


def ledger_usage(state: Path) -> list[dict]:
    """The usage records of the one session the run made."""
    [ledger] = list(state.glob("**/sessions/*/ledger.jsonl"))
    records = [json.loads(line) for line in ledger.read_text().splitlines() if line.strip()]
    return [r for r in records if r.get("type") == "usage"]
