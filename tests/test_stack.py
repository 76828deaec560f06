"""egovkg.util.stack: a call on a thread with a large stack."""

from __future__ import annotations

import threading

import pytest

from egovkg.errors import QueryError
from egovkg.util.stack import LARGE_STACK, on_large_stack


def test_the_result_comes_back_from_another_thread() -> None:
    main = threading.get_ident()
    ident, value = on_large_stack(lambda: (threading.get_ident(), 42))
    assert value == 42 and ident != main


def test_an_error_is_raised_in_the_caller() -> None:
    def fail() -> None:
        raise QueryError("no such query")

    with pytest.raises(QueryError, match="no such query"):
        on_large_stack(fail)


def test_a_nested_call_runs_on_the_thread_it_is_on() -> None:
    """A query prepared and run inside a call that is on a large stack already (the CLI's
    isolated child): no second large stack, which an address-space limit may not allow."""
    outer, inner = on_large_stack(lambda: (threading.get_ident(), on_large_stack(threading.get_ident)))
    assert outer == inner


def test_the_stack_size_of_other_threads_is_left_as_it_was() -> None:
    before = threading.stack_size()
    on_large_stack(lambda: None)
    assert threading.stack_size() == before != LARGE_STACK
