"""The user's Lua config files (``init.lua``, ``plugins/*.lua``), found without importing Lua,
so start-up knows whether there is any config to load before the first prompt."""

from __future__ import annotations

from pathlib import Path

INIT_FILE = "init.lua"
PLUGINS_DIR = "plugins"


def config_files(config_dir: Path) -> list[Path]:
    """``init.lua`` (when present) then ``plugins/*.lua`` sorted by name."""
    files = []
    init = config_dir / INIT_FILE
    if init.is_file():
        files.append(init)
    plugins = config_dir / PLUGINS_DIR
    if plugins.is_dir():
        files.extend(sorted(p for p in plugins.glob("*.lua") if p.is_file()))
    return files
