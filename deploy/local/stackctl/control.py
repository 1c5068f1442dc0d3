"""Start, stop and report on components: ready means the probe answered, not that a pid exists."""

from __future__ import annotations

import time
from collections.abc import Sequence

from stackctl import process
from stackctl.components import Component
from stackctl.layout import Layout


class StackError(RuntimeError):
    pass


def _say(message: str) -> None:
    print(message, flush=True)


def _wait_ready(layout: Layout, component: Component, pid: int) -> None:
    deadline = time.monotonic() + component.timeout_seconds
    while time.monotonic() < deadline:
        if component.ready():
            return
        if not process.is_alive(pid):
            log = layout.log_file(component.name)
            raise StackError(
                f"{component.name} exited during start-up; last lines of {log}:\n"
                + process.tail(log)
            )
        time.sleep(0.25)
    log = layout.log_file(component.name)
    raise StackError(
        f"{component.name} not ready after {component.timeout_seconds:.0f}s; "
        f"last lines of {log}:\n" + process.tail(log)
    )


def start_all(layout: Layout, components: Sequence[Component]) -> None:
    """Start what is not running (all at once), then wait until every one is ready."""
    started: list[tuple[Component, int]] = []
    for component in components:
        pid = process.read_pid(layout, component.name)
        if pid is not None:
            started.append((component, pid))
            continue
        busy = [
            f"{port} ({what})"
            for port, what in component.ports.items()
            if process.port_in_use(port)
        ]
        if busy:
            raise StackError(
                f"cannot start {component.name}: port {', '.join(busy)} already in use by another "
                "process; stop it or run `make stack-status` to see what is ours"
            )
        argv = component.prepare(layout)
        pid = process.start(
            layout, component.name, argv, env=component.env(layout), cwd=layout.repo
        )
        started.append((component, pid))
    for component, pid in started:
        began = time.monotonic()
        _wait_ready(layout, component, pid)
        _say(f"  {component.name:<17} ready  (pid {pid}, {time.monotonic() - began:4.1f}s)")


def stop_all(layout: Layout, components: Sequence[Component]) -> None:
    for component in reversed(components):
        if process.stop(layout, component.name):
            _say(f"  {component.name:<17} stopped")


def status(layout: Layout, components: Sequence[Component]) -> bool:
    healthy = True
    for component in components:
        pid = process.read_pid(layout, component.name)
        if pid is None:
            state = "stopped"
            healthy = False
        elif component.ready():
            state = f"ready    (pid {pid})"
        else:
            state = f"NOT READY (pid {pid}); see {layout.log_file(component.name)}"
            healthy = False
        ports = ", ".join(str(p) for p in component.ports)
        _say(f"  {component.name:<17} {state:<30} ports {ports}")
    return healthy
