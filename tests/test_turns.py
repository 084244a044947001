"""Work that waits for the first steps of the websocket applications started in a turn
(``server.live.turns``, which batches the joins' look-ups) and the collector's pause while
clients join (``server.collector``)."""

from __future__ import annotations

import asyncio
import gc

import pytest

from server import collector
from server.collector import PausedWhileJoining
from server.live.turns import after_first_steps, app_started


async def test_work_runs_after_the_first_steps_of_the_tasks_started_in_the_turn() -> None:
    loop = asyncio.get_running_loop()
    seen: list[str] = []

    async def app(name: str) -> None:
        seen.append(f"{name} first step")
        if name == "a":  # the next turn's callback is asked for first, and runs after
            loop.call_soon(seen.append, "next turn")
            after_first_steps(loop, lambda: seen.append("work"))
        await asyncio.sleep(0)
        seen.append(f"{name} second step")

    tasks = []
    for name in ("a", "b", "c"):
        tasks.append(loop.create_task(app(name)))
        app_started(loop)
    await asyncio.gather(*tasks)
    assert seen[:4] == ["a first step", "b first step", "c first step", "work"]
    assert seen.index("work") < seen.index("next turn") < seen.index("a second step")


async def test_work_that_fails_does_not_keep_the_rest_from_running() -> None:
    loop = asyncio.get_running_loop()
    seen: list[str] = []

    def failing() -> None:
        raise RuntimeError("a store that went away")

    started = loop.create_task(asyncio.sleep(0))
    app_started(loop)
    after_first_steps(loop, failing)
    after_first_steps(loop, lambda: seen.append("second"))
    await started
    await asyncio.sleep(0.01)
    assert seen == ["second"]


async def test_work_without_tasks_starting_runs_soon_all_the_same() -> None:
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    after_first_steps(loop, done.set)
    assert not done.is_set()  # not within the caller's step
    await asyncio.wait_for(done.wait(), 1)


async def test_work_after_the_turn_ran_runs_in_a_later_one() -> None:
    loop = asyncio.get_running_loop()
    seen: list[str] = []
    started = loop.create_task(asyncio.sleep(0))
    app_started(loop)
    await started
    await asyncio.sleep(0.01)  # the turn's callback has run
    after_first_steps(loop, lambda: seen.append("late"))
    await asyncio.sleep(0.01)
    assert seen == ["late"]


async def test_the_collector_is_off_while_clients_join_and_on_after() -> None:
    pause = PausedWhileJoining()
    assert gc.isenabled()
    with pause:
        assert not gc.isenabled()
        with pause:
            assert not gc.isenabled()
        assert not gc.isenabled()  # one join is still under way
    assert gc.isenabled()


async def test_a_join_that_fails_still_ends_the_pause() -> None:
    pause = PausedWhileJoining()
    with pytest.raises(RuntimeError), pause:
        raise RuntimeError("refused")
    assert gc.isenabled()


async def test_the_pause_ends_after_its_longest_even_while_joins_go_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(collector, "MAX_PAUSE_SECONDS", 0.05)
    pause = PausedWhileJoining()
    with pause:
        assert not gc.isenabled()
        await asyncio.sleep(0.2)
        assert gc.isenabled()
        with pause:  # a join arriving now does not pause it again
            assert gc.isenabled()
    assert gc.isenabled()


async def test_a_collector_turned_off_elsewhere_stays_off() -> None:
    gc.disable()
    try:
        with PausedWhileJoining():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
