"""A progress bar with events per second on stderr for long replays, exports, restores and rebuilds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

Advance = Callable[[int], None]


class EventsPerSecond(ProgressColumn):
    """The average rate since the start, in events per second."""

    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        rate = task.completed / elapsed if elapsed else 0.0
        return Text(f"{rate:,.0f} events/s", style="progress.data.speed")


@contextmanager
def progress_bar(description: str, total: int | None, console: Console | None = None) -> Iterator[Advance]:
    """Yield `advance(n)`; draws a bar on stderr when it is a terminal, stays silent otherwise."""
    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield lambda _n: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        EventsPerSecond(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=total)

        def advance(n: int) -> None:
            bar.advance(task, n)

        yield advance
