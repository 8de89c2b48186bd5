"""Usage no one can believe (10^30 tokens, negative counts) never costs the reply, through the CLI."""

from __future__ import annotations

import pytest

from tests.test_hardening_cli import PROTOCOLS, cli, ledger, write_provider_config
from tests.test_headless import messages, sessions


@pytest.mark.parametrize("kind", PROTOCOLS)
@pytest.mark.parametrize("usage", [{"input": 10**30, "output": 3}, {"input": 7, "output": -50}])
def test_usage_no_one_can_believe_never_costs_the_reply(xdg, provider_server, kind, usage):
    write_provider_config(xdg, provider_server, kind)
    provider_server.script(text="the reply", usage=usage)
    result = cli(xdg, "-p", "hi")
    assert result.returncode == 0, result.stderr
    (session_dir,) = sessions(xdg)
    assert messages(session_dir)[1]["content"] == "the reply"
    for record in ledger(session_dir):
        for name in ("input", "output", "cache_read", "cache_write", "reasoning", "cost_usd"):
            value = record.get(name, 0)
            assert 0 <= value < 10**12, (name, record)
