"""The real CLI against litellm's proxy: its OpenAI-compatible and Anthropic-compatible endpoints."""

from __future__ import annotations

import pytest

pytest.importorskip("litellm", reason="needs the interop extra: pip install -e '.[interop]'")

from smelt_repl.providers import list_models, resolve_model
from tests.interop.conftest import (
    ANTHROPIC_MODEL,
    MOCK_ANTHROPIC_REPLY,
    MOCK_OPENAI_REPLY,
    OPENAI_MODEL,
    ledger_usage,
    run_cli,
)


def test_openai_compatible_chat_completions(litellm_proxy, tmp_path):
    result, state = run_cli(tmp_path, "-p", "hi", "--api-base", f"{litellm_proxy.base_url}/v1",
                            "--model", OPENAI_MODEL, env={"OPENAI_API_KEY": litellm_proxy.key})
    assert result.returncode == 0, result.stderr
    assert MOCK_OPENAI_REPLY in result.stdout
    [usage] = ledger_usage(state)
    assert usage["model"] == f"openai/{OPENAI_MODEL}"
    assert usage["input"] > 0 and usage["output"] > 0  # the usage chunk of the stream was read


def test_anthropic_messages(litellm_proxy, tmp_path):
    # litellm answers a `stream: true` /v1/messages request with one JSON message body.
    result, state = run_cli(tmp_path, "-p", "hi", "--api-base", litellm_proxy.base_url,
                            "--model", f"anthropic/{ANTHROPIC_MODEL}", env={"ANTHROPIC_API_KEY": litellm_proxy.key})
    assert result.returncode == 0, result.stderr
    assert MOCK_ANTHROPIC_REPLY in result.stdout
    [usage] = ledger_usage(state)
    assert usage["model"] == f"anthropic/{ANTHROPIC_MODEL}"
    assert usage["input"] > 0 and usage["output"] > 0


def test_a_wrong_key_is_one_line_without_the_key(litellm_proxy, tmp_path):
    wrong = "sk-wrong-key-123456789"
    result, _ = run_cli(tmp_path, "-p", "hi", "--api-base", f"{litellm_proxy.base_url}/v1",
                        "--model", OPENAI_MODEL, env={"OPENAI_API_KEY": wrong})
    assert result.returncode != 0
    assert "HTTP 401" in result.stderr or "HTTP 400" in result.stderr, result.stderr
    assert wrong not in result.stdout + result.stderr


@pytest.mark.parametrize("model, base_suffix, key_env", [
    (OPENAI_MODEL, "/v1", "OPENAI_API_KEY"),
    (f"anthropic/{ANTHROPIC_MODEL}", "", "ANTHROPIC_API_KEY"),
])
def test_list_models(litellm_proxy, model, base_suffix, key_env):
    resolved = resolve_model(model, litellm_proxy.base_url + base_suffix, {})
    models = list_models(resolved, env={key_env: litellm_proxy.key})
    assert {OPENAI_MODEL, ANTHROPIC_MODEL} <= set(models)
