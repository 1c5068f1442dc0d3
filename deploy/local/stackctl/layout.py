"""Where the local stack keeps what it downloads, builds, runs and logs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Layout:
    repo: Path
    tools: Path  # built binaries and resolved jars; safe to share between clones
    run: Path  # pids, logs and data of this checkout's stack

    @classmethod
    def from_env(cls) -> Layout:
        cache = Path(os.environ.get("CALLPLANE_CACHE", REPO / ".cache"))
        shared_cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        tools = Path(os.environ.get("CALLPLANE_TOOLS", shared_cache / "callplane" / "tools"))
        return cls(repo=REPO, tools=tools, run=cache / "run")

    def pid_file(self, name: str) -> Path:
        return self.run / "pids" / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.run / "logs" / f"{name}.log"

    def data_dir(self, name: str) -> Path:
        path = self.run / "data" / name
        path.mkdir(parents=True, exist_ok=True)
        return path
