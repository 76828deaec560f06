"""A call on a thread with a large stack: where a query runs in this process.

Oxigraph's query parser and optimiser recurse once per level of an expression: a flat
``1+1+…+1`` of 8,000 terms overflows the 8 MiB stack of the main thread, and a stack
overflow in native code is a segmentation fault that ends the process (a notebook's
kernel with it). On a thread with a 256 MiB stack the same query is answered. The stack is
reserved address space, committed only as it is used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

LARGE_STACK = 256 << 20  # bytes
_SIZING = threading.Lock()  # threading.stack_size is process-wide: one caller at a time sets it
_HERE = threading.local()  # .size: the stack of the current thread, when this module started it


def on_large_stack(fn: Callable[[], T], size: int = LARGE_STACK) -> T:
    """``fn()`` run on a new thread with a stack of ``size`` bytes; its result, or its error
    raised here. Only that thread gets the large stack: threads started by others (RocksDB's,
    a server's) keep the default. Called on such a thread already, or where no thread can be
    started (an address-space limit: the stack is reserved whole), ``fn()`` runs right here."""
    if getattr(_HERE, "size", 0) >= size:
        return fn()
    result: list[T] = []
    error: list[BaseException] = []

    def run() -> None:
        _HERE.size = size
        try:
            result.append(fn())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
            error.append(exc)

    with _SIZING:
        before = threading.stack_size(size)
        try:
            thread = threading.Thread(target=run, name="egovkg-large-stack", daemon=True)
            thread.start()  # the stack is sized when the thread starts
        except RuntimeError:  # "can't start new thread": no room for the stack
            thread = None
        finally:
            threading.stack_size(before)
    if thread is None:
        return fn()
    thread.join()
    if error:
        raise error[0]
    return result[0]


__all__ = ["LARGE_STACK", "on_large_stack"]
