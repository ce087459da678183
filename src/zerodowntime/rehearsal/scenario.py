"""The interface a service implements so the toolkit can rehearse its upgrades.

A :class:`Scenario` prepares the database (rows, an API token), gives the weighted
:class:`Operation` s that clients of each release send, and the :class:`IntegrityCheck` s run at
the end. The toolkit finds it through the setting ``ZDT_REHEARSAL_SCENARIOS`` (a dotted path to
a Scenario instance, loaded by :func:`zerodowntime.conf.rehearsal_scenario`).
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from zerodowntime.rehearsal.records import CheckResult


class ScenarioError(LookupError):
    """A scenario cannot do what the rehearsal asks (such as a release it has no traffic for)."""


@dataclass(frozen=True)
class HttpCall:
    """A GraphQL request: the JSON body and extra headers."""

    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    path: str = "/graphql/"

    @property
    def body(self) -> dict[str, Any]:
        """Return the JSON body to POST."""
        return {"query": self.query, "variables": self.variables}


@dataclass(frozen=True)
class Outcome:
    """Whether a response is what a correct server answers, and if not, why."""

    ok: bool
    error: str | None = None


def graphql_outcome(status: int, body: Any, *, allowed_codes: Collection[str] = ()) -> Outcome:
    """Classify a GraphQL response per docs/design.md §5: HTTP 200, JSON, no unexpected ``errors``.

    ``allowed_codes`` are error codes a correct server may return for this request (for
    example ``NOT_FOUND`` for a row another client just deleted).
    """
    if status != 200:
        return Outcome(False, f"HTTP {status}")
    if not isinstance(body, dict):
        return Outcome(False, "response is not a JSON object")
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code not in allowed_codes or code is None:
            return Outcome(False, f"{code or 'error'}: {error.get('message', '')}"[:300])
    if "data" not in body:
        return Outcome(False, "response has no data")
    return Outcome(True)


class Operation(ABC):
    """One kind of request a client sends, with its share of the traffic."""

    name: str = "operation"
    weight: float = 1.0
    # False for an operation that only reads: while a forced skip migrates, the old release's
    # clients send only those (see zerodowntime.rehearsal.orchestrator).
    writes: bool = True

    @abstractmethod
    def build(self, state: Any, rng: random.Random) -> HttpCall | None:
        """Return the next request, or None when there is nothing to do right now."""

    def classify(self, state: Any, call: HttpCall, status: int, body: Any) -> Outcome:
        """Return the outcome of a response (and record in ``state`` what it acknowledged)."""
        return graphql_outcome(status, body)


class IntegrityCheck(ABC):
    """A check on the data, run once when the traffic has stopped."""

    name: str = "check"

    @abstractmethod
    def run(self, cursor: psycopg.Cursor[Any], state: Any) -> CheckResult:
        """Return the result of the check, reading the database through ``cursor``."""


@dataclass(frozen=True)
class SetupContext:
    """What a scenario's setup may use: the database and a way to run project commands."""

    database_url: str
    first_release: str
    manage: Callable[[str, Sequence[str]], str]

    def connect(self) -> psycopg.Connection[Any]:
        """Return a new autocommit connection to the rehearsal database."""
        return psycopg.connect(self.database_url, autocommit=True, application_name="zdt-setup")


class Scenario(ABC):
    """The traffic and integrity checks of one service, for all its releases."""

    @abstractmethod
    def setup(self, context: SetupContext, *, rows: int) -> Any:
        """Populate ``rows`` rows, create what clients need (a token) and return their state."""

    @abstractmethod
    def operations(self, release: str) -> Sequence[Operation]:
        """Return the weighted operations that clients of ``release`` send."""

    @abstractmethod
    def integrity_checks(self) -> Sequence[IntegrityCheck]:
        """Return the checks to run at the end."""
