-- local_model.lua: use a model served on this machine (Ollama, llama.cpp server, vLLM,
-- LM Studio: anything that speaks the OpenAI chat API) and give it a little extra
-- system prompt. Put these lines in ~/.config/smelt/init.lua and adjust the names.
--
-- Keys are never written in config: a provider that needs one names the environment
-- variable holding it with `api_key_env = "MY_PROVIDER_KEY"`.

smelt.provider.register("local", {
  kind = "openai-compatible",
  api_base = "http://127.0.0.1:11434/v1",
  models = {
    ["llama3.2"] = { context_window = 128000 },
  },
})

smelt.settings.model = "local/llama3.2"
smelt.system.append("Answer briefly; prefer code over prose when both would do.")
