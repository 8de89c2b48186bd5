"""Loading user Lua: the config directory (``init.lua``, ``plugins/*.lua``) and single files.

Chunks are named by their path relative to the config directory (``init.lua``,
``plugins/git.lua``), so errors read ``init.lua:3: message``. Files are read as bytes and
compiled as text only. ``<config>/lua/`` is put on ``package.path`` so config can
``require`` its own modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smelt_repl.lua_host.host import LuaHost

INIT_FILE = "init.lua"
PLUGINS_DIR = "plugins"
MODULES_DIR = "lua"


def run_file(host: LuaHost, path: Path, display: str) -> bool:
    """Run one Lua file, its chunk named ``display``; True on success (errors are reported)."""
    try:
        source = path.read_bytes()
    except OSError as exc:
        host.app.report_error(f"{display}: cannot read Lua file: {exc.strerror or exc}")
        return False
    return host.run_chunk(source, "@" + display).ok


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


def load_config(host: LuaHost, config_dir: Path) -> bool:
    """Load every config file in order; one that fails is reported and the next still loads."""
    _add_module_path(host, config_dir / MODULES_DIR)
    ok = True
    for path in config_files(config_dir):
        ok = run_file(host, path, path.relative_to(config_dir).as_posix()) and ok
    return ok


def _add_module_path(host: LuaHost, modules: Path) -> None:
    package = host.runtime.lua.globals().package
    entries = f"{modules}/?.lua;{modules}/?/init.lua"
    if entries not in package.path:
        package.path = f"{entries};{package.path}"
