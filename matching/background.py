"""One function computed in a forked child process while the caller keeps working (second core).

Used by MatchIndex.build: the category guesses of a large corpus run in a child while the parent
fits and applies the text features. The child inherits the fitted knowledge base and the token
cache by fork (nothing is pickled on the way in); only the result comes back through a pipe.
Whenever forking is impossible or the child fails, result() computes the value in the caller,
so the outcome never depends on whether a child was used.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from typing import Any


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def single_threaded() -> bool:
    """Whether this process runs one Python thread, so that forking it cannot copy a lock another thread holds."""
    return threading.active_count() == 1


def can_fork() -> bool:
    """Whether a fork-started child process is possible here (Linux and alike)."""
    return "fork" in multiprocessing.get_all_start_methods()


class Background:
    """fn(*args), started in a forked child when `fork` is true; result() returns its value."""

    def __init__(self, fn: Callable[..., Any], *args: Any, fork: bool = True):
        self._fn = fn
        self._args = args
        self._process = None
        self._receive = None
        if fork and can_fork():
            try:
                context = multiprocessing.get_context("fork")
                receive, send = context.Pipe(duplex=False)
                process = context.Process(target=_run, args=(fn, args, send), daemon=True)
                process.start()
            except (OSError, ValueError, AssertionError):  # e.g. a daemonic parent may not have children
                return
            send.close()
            self._process, self._receive = process, receive

    @property
    def forked(self) -> bool:
        """Whether a child process is computing the value."""
        return self._process is not None

    def result(self) -> Any:
        """The value: from the child if it delivered one, else computed here."""
        if self._process is not None:
            process, receive = self._process, self._receive
            self._process = self._receive = None
            try:
                delivered, value = receive.recv()
                if delivered:
                    return value
            except (EOFError, OSError):  # the child died before sending
                pass
            finally:
                receive.close()
                process.join()
        return self._fn(*self._args)


def _run(fn: Callable[..., Any], args: tuple, send) -> None:
    try:
        message = (True, fn(*args))
    except BaseException as error:  # noqa: BLE001 - any failure: the parent computes the value itself
        message = (False, repr(error))
    try:
        send.send(message)
    finally:
        send.close()
