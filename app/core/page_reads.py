"""What a page view reads in the statement that loads its user (the user loader in app/__init__.py).

Every signed-in GET runs one statement for its user, and the ORM's handling of a statement costs more than a small
statement does (~0.05 ms here). A page whose cached copy is keyed by a version (the library's, 为您推荐's) asks for
that version in the user's statement instead of a statement of its own: it registers the columns for its endpoint
(`ask`), the loader adds them on that endpoint (`user_statement`) and keeps what they read (`note`), and whoever
needs those columns in the request takes the values (`answered`, by the same columns function), or reads them
itself when they were not asked (a POST, another page, a request whose user was not loaded).

The columns are read at the user's loading, earlier in the same request than the page would read them: a GET
writes nothing that could move them in between.
"""
from __future__ import annotations

from typing import Callable

from flask import g

_asked: dict[str, Callable[[], tuple]] = {}          # endpoint: its columns (built once, on first use)
_statements: dict[tuple, tuple] = {}  # (user statement, endpoint): (its statement, number of columns added)
_ANSWER = "_clinbridge_page_reads"


def ask(endpoint: str, columns: Callable[[], tuple]) -> None:
    """Read these columns with the user on this endpoint's page views (they may refer to the User table)."""
    _asked[endpoint] = columns
    _statements.clear()


def user_statement(statement, endpoint: str | None) -> tuple:
    """The user statement for a page view of this endpoint, and how many columns it adds; built once each."""
    built = _statements.get((statement, endpoint))   # a statement is its own key (identity)
    if built is None:
        columns = _asked[endpoint]() if endpoint in _asked else ()
        built = _statements[statement, endpoint] = (statement.add_columns(*columns) if columns else statement,
                                                    len(columns))
    return built


def note(endpoint: str | None, values) -> None:
    """What the user statement read of the columns asked for on this request's endpoint."""
    setattr(g, _ANSWER, (_asked[endpoint], tuple(values)))


def answered(columns: Callable[[], tuple]) -> tuple | None:
    """The values of these columns (the function given to `ask`) read with this request's user, or None."""
    answer = g.get(_ANSWER)
    return answer[1] if answer is not None and answer[0] is columns else None
