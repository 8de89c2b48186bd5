"""Provider specs, model resolution, API keys and prices."""

from __future__ import annotations

import threading

import pytest

from smelt_repl.providers import (
    BUILTIN_PROVIDERS,
    ChatRequest,
    ModelConfig,
    ProviderError,
    TextDelta,
    Usage,
    cost_usd,
    lookup_model,
    make_provider,
    parse_provider_spec,
    resolve_model,
)
from smelt_repl.providers.anthropic import AnthropicProvider
from smelt_repl.providers.offline import OfflineProvider
from smelt_repl.providers.openai_compat import OpenAICompatibleProvider

HELLO = ChatRequest("llama3.2", "", [{"role": "user", "content": "hi"}])

# --- parse_provider_spec ---------------------------------------------------------------


def test_parse_full_spec():
    spec = parse_provider_spec("openrouter", {
        "type": "openai-compatible",
        "api_base": "https://openrouter.ai/api/v1/",
        "api_key_env": "OPENROUTER_API_KEY",
        "headers": {"HTTP-Referer": "https://example.org"},
        "models": {"meta-llama/llama-3-8b": {"context_window": 8192.0, "input_price": 0.05}},
        "timeout": 30,
        "max_retries": 1,
    })
    assert spec.kind == "openai-compatible"
    assert spec.api_base == "https://openrouter.ai/api/v1"
    assert spec.api_key_env == "OPENROUTER_API_KEY"
    assert spec.headers == {"HTTP-Referer": "https://example.org"}
    assert spec.models == {"meta-llama/llama-3-8b": ModelConfig(context_window=8192, input_price=0.05)}
    assert (spec.timeout_s, spec.max_retries) == (30.0, 1)


def test_registering_a_builtin_name_starts_from_the_builtin():
    spec = parse_provider_spec("openai", {"api_base": "https://proxy.example/v1"})
    assert spec.kind == "openai-compatible"
    assert spec.api_key_env == "OPENAI_API_KEY"
    assert spec.api_base == "https://proxy.example/v1"
    assert BUILTIN_PROVIDERS["openai"].api_base == "https://api.openai.com/v1"  # untouched


def test_anthropic_kind_defaults_its_base_url():
    spec = parse_provider_spec("claude", {"kind": "anthropic", "api_key_env": "MY_KEY"})
    assert spec.api_base == "https://api.anthropic.com"


@pytest.mark.parametrize("raw, message", [
    ({"kind": "gemini", "api_base": "http://x"}, "unknown kind 'gemini'"),
    ({"kind": "openai-compatible"}, "api_base is required"),
    ({"api_base": "ftp://x"}, "api_base must be an http:// or https:// URL"),
    ({"api_base": "http://x", "api_key": "sk-123"}, "keys are never stored"),
    ({"api_base": "http://x", "api_key_env": "sk-123"}, "not the key itself"),
    ({"api_base": "http://x", "api_key_env": "MY KEY"}, "must name an environment variable"),
    ({"api_base": "http://x", "timeout": 0}, "timeout must be a number > 0"),
    ({"api_base": "http://x", "max_retries": 1.5}, "max_retries must be a whole number"),
    ({"api_base": "http://x", "headers": {"a": 1}}, "headers must be a table of strings"),
    ({"api_base": "http://x", "models": {"m": {"price": 1}}}, "model 'm': unknown key 'price'"),
    ({"api_base": "http://x", "base_url": "http://y"}, "unknown key 'base_url'"),
])
def test_bad_specs_raise_clear_value_errors(raw, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_provider_spec("mine", raw)
    assert str(info.value).startswith("provider 'mine'")


def test_provider_name_may_not_contain_a_slash():
    with pytest.raises(ValueError, match="without '/'"):
        parse_provider_spec("a/b", {"api_base": "http://x"})


# --- resolve_model ---------------------------------------------------------------------


def test_default_is_offline():
    resolved = resolve_model(None, None, {})
    assert resolved.key == "offline/offline"
    assert resolved.spec.kind == "offline"


def test_prefix_picks_the_provider_and_splits_on_the_first_slash_only():
    registered = {"openrouter": parse_provider_spec("openrouter", {"api_base": "https://or.example/v1"})}
    resolved = resolve_model("openrouter/meta-llama/llama-3-8b", None, registered)
    assert resolved.spec.name == "openrouter"
    assert resolved.model == "meta-llama/llama-3-8b"
    assert resolved.key == "openrouter/meta-llama/llama-3-8b"


def test_registered_provider_shadows_builtin():
    registered = {"ollama": parse_provider_spec("ollama", {"api_base": "http://gpu-box:11434/v1"})}
    assert resolve_model("ollama/qwen3", None, registered).spec.api_base == "http://gpu-box:11434/v1"
    assert resolve_model("ollama/qwen3", None, {}).spec.api_base == "http://localhost:11434/v1"


def test_api_base_without_prefix_means_openai_compatible():
    resolved = resolve_model("llama3.2", "http://127.0.0.1:8080/v1/", {})
    assert resolved.spec.name == "openai"
    assert resolved.spec.api_base == "http://127.0.0.1:8080/v1"
    assert resolved.model == "llama3.2"
    slashed = resolve_model("meta-llama/llama-3-8b", "http://127.0.0.1:8080/v1", {})
    assert (slashed.spec.name, slashed.model) == ("openai", "meta-llama/llama-3-8b")


def test_api_base_overrides_a_prefixed_provider():
    resolved = resolve_model("anthropic/claude-sonnet-4", "http://127.0.0.1:9999", {})
    assert resolved.spec.kind == "anthropic"
    assert resolved.spec.api_base == "http://127.0.0.1:9999"


def test_unknown_provider_lists_the_known_ones():
    with pytest.raises(ValueError) as info:
        resolve_model("nope/model", None, {})
    assert str(info.value) == "unknown provider 'nope' (known: anthropic, offline, ollama, openai)"


def test_bare_well_known_model_finds_its_vendor_and_unknown_bare_name_fails():
    assert resolve_model("gpt-4o-mini", None, {}).key == "openai/gpt-4o-mini"
    assert resolve_model("claude-haiku-4-5", None, {}).key == "anthropic/claude-haiku-4-5"
    with pytest.raises(ValueError, match="names no provider"):
        resolve_model("mystery-model", None, {})


def test_resolved_config_merges_spec_over_price_table():
    registered = {"openai": parse_provider_spec("openai", {"models": {"gpt-4o": {"context_window": 64000}}})}
    config = resolve_model("openai/gpt-4o", None, registered).config
    assert config.context_window == 64000  # the spec's own value wins
    assert config.input_price == 2.5  # the rest comes from the table
    assert resolve_model("ollama/llama3.2", None, {}).config == ModelConfig()


# --- make_provider ---------------------------------------------------------------------


def test_missing_api_key_is_a_provider_error():
    with pytest.raises(ProviderError) as info:
        make_provider(resolve_model("openai/gpt-4o-mini", None, {}), env={})
    assert str(info.value) == "openai: OPENAI_API_KEY is not set"
    with pytest.raises(ProviderError, match="^anthropic: ANTHROPIC_API_KEY is not set$"):
        make_provider(resolve_model("anthropic/claude-sonnet-4", None, {}), env={"ANTHROPIC_API_KEY": ""})


def test_api_base_makes_the_key_optional(provider_server):
    resolved = resolve_model("openai/llama3.2", provider_server.openai_base, {})
    provider = make_provider(resolved, env={})
    provider_server.script(text="no key needed")
    assert "".join(e.text for e in provider.stream(HELLO, threading.Event()) if isinstance(e, TextDelta)) == "no key needed"
    assert "authorization" not in provider_server.requests[0].headers
    keyed = make_provider(resolved, env={"OPENAI_API_KEY": "sk-given"})
    list(keyed.stream(HELLO, threading.Event()))
    assert provider_server.requests[1].headers["authorization"] == "Bearer sk-given"


def test_make_provider_picks_the_class_by_kind():
    assert isinstance(make_provider(resolve_model(None, None, {}), env={}), OfflineProvider)
    assert isinstance(make_provider(resolve_model("ollama/x", None, {}), env={}), OpenAICompatibleProvider)
    anthropic = make_provider(resolve_model("anthropic/claude-sonnet-4", None, {}), env={"ANTHROPIC_API_KEY": "k"})
    assert isinstance(anthropic, AnthropicProvider)
    assert anthropic.name == "anthropic"


# --- prices ----------------------------------------------------------------------------


@pytest.mark.parametrize("provider, model, price_in, price_out", [
    ("openai", "gpt-4o", 2.5, 10.0),
    ("openai", "gpt-4o-2024-08-06", 2.5, 10.0),
    ("openai", "gpt-4o-mini-2024-07-18", 0.15, 0.6),
    ("openai-compatible", "gpt-4.1-nano", 0.1, 0.4),
    ("openai", "o4-mini", 1.1, 4.4),
    ("openai", "gpt-5-mini-2025-08-07", 0.25, 2.0),
    ("anthropic", "claude-sonnet-4-20250514", 3.0, 15.0),
    ("anthropic", "claude-opus-4-1-20250805", 15.0, 75.0),
    ("anthropic", "claude-3-5-haiku-latest", 0.8, 4.0),
    ("anthropic", "claude-haiku-4-5", 1.0, 5.0),
    ("openrouter", "anthropic/claude-3-7-sonnet", 3.0, 15.0),
])
def test_lookup_known_models(provider, model, price_in, price_out):
    config = lookup_model(provider, model)
    assert config is not None
    assert (config.input_price, config.output_price) == (price_in, price_out)
    assert config.context_window and config.context_window >= 128000


def test_lookup_unknown_models():
    assert lookup_model("openai", "o30") is None  # a prefix must end at a boundary
    assert lookup_model("anthropic", "gpt-4o") is None
    assert lookup_model("ollama", "llama3.2") is None


def test_cost_usd():
    config = ModelConfig(input_price=3.0, output_price=15.0, cache_read_price=0.3, cache_write_price=3.75)
    usage = Usage(input=1_000_000, output=200_000, cache_read=500_000, cache_write=100_000)
    assert cost_usd(usage, config) == pytest.approx(3.0 + 3.0 + 0.15 + 0.375)
    assert cost_usd(usage, ModelConfig(input_price=1.0)) == pytest.approx(1.0)  # unknown prices = 0
    assert cost_usd(Usage(), config) == 0.0


def test_smelt_model_list_shape_and_price_names():
    spec = parse_provider_spec("ollama", {"type": "openai-compatible", "api_base": "http://localhost:11434/v1",
                                          "models": ["glm-5", {"name": "qwen3.5:27b", "temperature": 0.8,
                                                               "top_p": 0.95, "context_window": 32768,
                                                               "max_tokens": 4096, "input_cost": 2.0,
                                                               "output_cost": 8.0, "cache_read_cost": 0.5,
                                                               "cache_write_cost": 2.5}]})
    assert spec.models["glm-5"] == ModelConfig()
    assert spec.models["qwen3.5:27b"] == ModelConfig(
        context_window=32768, max_tokens=4096, input_price=2.0, output_price=8.0, cache_read_price=0.5,
        cache_write_price=2.5, temperature=0.8, top_p=0.95)
    with pytest.raises(ValueError, match="a models list holds names or"):
        parse_provider_spec("x", {"api_base": "http://h", "models": [3]})
    with pytest.raises(ValueError, match="model names must be non-empty strings"):
        parse_provider_spec("x", {"api_base": "http://h", "models": [{"temperature": 1}]})
