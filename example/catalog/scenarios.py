"""What the rehearsal needs from the catalog: its clients' traffic per release and data checks.

``SCENARIOS`` is found by the toolkit through the setting ``ZDT_REHEARSAL_SCENARIOS``. Each
release's clients read products by ID, list pages, create, update and delete, asking for the
fields and passing the arguments that release's API has (docs/design.md §1 and §6).
"""

from __future__ import annotations

import base64
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from zerodowntime.rehearsal.records import CheckResult
from zerodowntime.rehearsal.scenario import (
    HttpCall,
    IntegrityCheck,
    Operation,
    Outcome,
    Scenario,
    ScenarioError,
    SetupContext,
    graphql_outcome,
)

TABLE = "product_product"
SNAPSHOT_ROWS = 500
NAMES = ["Lamp", "Chair", "Zażółć gęślą", "Straße Tisch", "Crème brûlée", "椅子", "Desk", "!!!"]


@dataclass(frozen=True)
class ReleaseApi:
    """The parts of one release's GraphQL API that its clients use."""

    fields: str
    create_args: tuple[str, ...] = ()
    update_args: tuple[str, ...] = ()
    published_filter: bool = False


RELEASES = {
    "0.1.0": ReleaseApi("id name description created"),
    "0.1.1": ReleaseApi("id name description created slug", ("slug",), ("slug",)),
    # Clients of 0.2.0 follow its deprecation of `created` and ask for `createdAt`.
    "0.2.0": ReleaseApi(
        "id name description createdAt slug isPublished",
        ("slug", "isPublished"),
        ("slug", "isPublished"),
        published_filter=True,
    ),
    "0.3.0": ReleaseApi(
        "id name description createdAt slug isPublished",
        ("slug", "isPublished"),
        ("slug", "isPublished"),
        published_filter=True,
    ),
}
ARGUMENT_TYPES = {"slug": "String", "isPublished": "Boolean"}


@dataclass
class CatalogState:
    """What clients know: the token, the populated ID range, and what they were told."""

    token: str
    low: int
    high: int
    created: list[int] = field(default_factory=list)
    acknowledged: set[int] = field(default_factory=set)
    delete_attempted: set[int] = field(default_factory=set)
    deleted: set[int] = field(default_factory=set)
    snapshot: dict[int, datetime] = field(default_factory=dict)
    counter: int = 0

    def some_id(self, rng: random.Random) -> int:
        """Return a populated or created product ID, maybe one deleted since."""
        if self.created and rng.random() < 0.25:
            return rng.choice(self.created)
        return rng.randint(self.low, max(self.low, self.high))

    def auth(self) -> dict[str, str]:
        """Return the header that authorises mutations."""
        return {"Authorization": f"Bearer {self.token}"}


def global_id(pk: int) -> str:
    """Return the relay global ID of product ``pk``."""
    return base64.b64encode(f"Product:{pk}".encode()).decode()


def pk_of(product_id: str) -> int:
    """Return the primary key in a relay global ID."""
    return int(base64.b64decode(product_id).decode().partition(":")[2])


def _cursor(pk: int) -> str:
    return base64.b64encode(f"cursor:{pk}".encode()).decode()


def _arguments(names: Sequence[str]) -> tuple[str, str]:
    """Return the variable declarations and the argument list for extra ``names``."""
    declared = "".join(f", ${n}: {ARGUMENT_TYPES[n]}" for n in names)
    passed = "".join(f", {n}: ${n}" for n in names)
    return declared, passed


class ReadProduct(Operation):
    """Fetch one product by ID (null when it was deleted: not an error)."""

    name, weight, writes = "product", 40.0, False

    def __init__(self, api: ReleaseApi) -> None:
        self.query = f"query($id: ID!) {{ product(id: $id) {{ {api.fields} }} }}"

    def build(self, state: CatalogState, rng: random.Random) -> HttpCall:
        return HttpCall(self.query, {"id": global_id(state.some_id(rng))})


class ListProducts(Operation):
    """List a page of products after a random cursor (filtered by isPublished when it can)."""

    name, weight, writes = "products", 20.0, False

    def __init__(self, api: ReleaseApi) -> None:
        self.api = api
        declared = ", $isPublished: Boolean" if api.published_filter else ""
        passed = ", isPublished: $isPublished" if api.published_filter else ""
        self.query = (
            f"query($first: Int, $after: String{declared}) {{"
            f" products(first: $first, after: $after{passed}) {{"
            f" edges {{ cursor node {{ {api.fields} }} }}"
            " pageInfo { hasNextPage endCursor } } }"
        )

    def build(self, state: CatalogState, rng: random.Random) -> HttpCall:
        variables: dict[str, Any] = {"first": 20, "after": _cursor(state.some_id(rng))}
        if self.api.published_filter and rng.random() < 0.5:
            variables["isPublished"] = True
        return HttpCall(self.query, variables)


def _optional_arguments(names: Sequence[str], rng: random.Random) -> dict[str, Any]:
    variables: dict[str, Any] = {}
    if "slug" in names and rng.random() < 0.3:
        variables["slug"] = f"rehearsal-{uuid.uuid4().hex[:16]}"
    if "isPublished" in names and rng.random() < 0.5:
        variables["isPublished"] = rng.random() < 0.8
    return variables


class CreateProduct(Operation):
    """Create a product; an acknowledged create must survive the whole upgrade."""

    name, weight = "productCreate", 15.0

    def __init__(self, api: ReleaseApi) -> None:
        self.api = api
        declared, passed = _arguments(api.create_args)
        self.query = (
            f"mutation($name: String!, $description: JSON{declared}) {{"
            f" productCreate(name: $name, description: $description{passed})"
            f" {{ product {{ {api.fields} }} }} }}"
        )

    def build(self, state: CatalogState, rng: random.Random) -> HttpCall:
        state.counter += 1
        variables = {
            "name": f"{rng.choice(NAMES)} {state.counter}",
            "description": {"color": rng.choice(["red", "blue", "green"]), "n": state.counter},
            **_optional_arguments(self.api.create_args, rng),
        }
        return HttpCall(self.query, variables, state.auth())

    def classify(self, state: CatalogState, call: HttpCall, status: int, body: Any) -> Outcome:
        outcome = graphql_outcome(status, body)
        if outcome.ok:
            product = ((body.get("data") or {}).get("productCreate") or {}).get("product")
            if not product:
                return Outcome(False, "productCreate returned no product")
            pk = pk_of(product["id"])
            state.created.append(pk)
            state.acknowledged.add(pk)
        return outcome


class UpdateProduct(Operation):
    """Rename a product (and set release-specific fields); NOT_FOUND if it was deleted."""

    name, weight = "productUpdate", 10.0

    def __init__(self, api: ReleaseApi) -> None:
        self.api = api
        declared, passed = _arguments(api.update_args)
        self.query = (
            f"mutation($id: ID!, $name: String{declared}) {{"
            f" productUpdate(id: $id, name: $name{passed}) {{ product {{ {api.fields} }} }} }}"
        )

    def build(self, state: CatalogState, rng: random.Random) -> HttpCall:
        state.counter += 1
        variables = {
            "id": global_id(state.some_id(rng)),
            "name": f"{rng.choice(NAMES)} renamed {state.counter}",
            **_optional_arguments(self.api.update_args, rng),
        }
        return HttpCall(self.query, variables, state.auth())

    def classify(self, state: CatalogState, call: HttpCall, status: int, body: Any) -> Outcome:
        return graphql_outcome(status, body, allowed_codes={"NOT_FOUND"})


class DeleteProduct(Operation):
    """Delete a product this traffic created (populated rows are kept for the checks)."""

    name, weight = "productDelete", 5.0

    def build(self, state: CatalogState, rng: random.Random) -> HttpCall | None:
        if not state.created:
            return None
        pk = state.created.pop(rng.randrange(len(state.created)))
        state.delete_attempted.add(pk)
        query = "mutation($id: ID!) { productDelete(id: $id) { product { id name } } }"
        return HttpCall(query, {"id": global_id(pk)}, state.auth())

    def classify(self, state: CatalogState, call: HttpCall, status: int, body: Any) -> Outcome:
        outcome = graphql_outcome(status, body)
        if outcome.ok:
            state.deleted.add(pk_of(call.variables["id"]))
        return outcome


def _columns(cursor: psycopg.Cursor[Any]) -> set[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s",
        [TABLE],
    )
    return {name for (name,) in cursor.fetchall()}


class AcknowledgedCreatesPresent(IntegrityCheck):
    """Every create the API acknowledged, and no client tried to delete, is in the table."""

    name = "acknowledged creates present"

    def run(self, cursor: psycopg.Cursor[Any], state: CatalogState) -> CheckResult:
        expected = sorted(state.acknowledged - state.delete_attempted)
        cursor.execute(f"SELECT id FROM {TABLE} WHERE id = ANY(%s)", [expected])
        missing = set(expected) - {pk for (pk,) in cursor.fetchall()}
        if missing:
            return CheckResult(self.name, CheckResult.FAILED, f"missing ids {sorted(missing)[:20]}")
        return CheckResult(self.name, CheckResult.PASSED, f"{len(expected)} products present")


class AcknowledgedDeletesGone(IntegrityCheck):
    """Every delete the API acknowledged removed its row."""

    name = "acknowledged deletes gone"

    def run(self, cursor: psycopg.Cursor[Any], state: CatalogState) -> CheckResult:
        cursor.execute(f"SELECT id FROM {TABLE} WHERE id = ANY(%s)", [sorted(state.deleted)])
        left = [pk for (pk,) in cursor.fetchall()]
        if left:
            return CheckResult(self.name, CheckResult.FAILED, f"still there: {left[:20]}")
        return CheckResult(self.name, CheckResult.PASSED, f"{len(state.deleted)} deletes")


class CreationTimeKept(IntegrityCheck):
    """Sampled pre-existing rows kept their creation time through the created -> created_at move."""

    name = "creation time kept"

    def run(self, cursor: psycopg.Cursor[Any], state: CatalogState) -> CheckResult:
        if "created_at" not in _columns(cursor):
            return CheckResult(self.name, CheckResult.SKIPPED, "no created_at column yet")
        if not state.snapshot:
            return CheckResult(self.name, CheckResult.SKIPPED, "no rows were sampled")
        cursor.execute(
            f"SELECT id, created_at FROM {TABLE} WHERE id = ANY(%s)", [sorted(state.snapshot)]
        )
        now = dict(cursor.fetchall())
        wrong = [pk for pk, at in state.snapshot.items() if now.get(pk) != at]
        if wrong:
            return CheckResult(self.name, CheckResult.FAILED, f"changed or lost: {wrong[:20]}")
        return CheckResult(self.name, CheckResult.PASSED, f"{len(state.snapshot)} rows compared")


class SlugsUniqueAndSet(IntegrityCheck):
    """No two products share a slug; once the column is NOT NULL (0.2.0), every one has one."""

    name = "slugs set and unique"

    def run(self, cursor: psycopg.Cursor[Any], state: CatalogState) -> CheckResult:
        if "slug" not in _columns(cursor):
            return CheckResult(self.name, CheckResult.SKIPPED, "no slug column yet")
        cursor.execute(
            "SELECT is_nullable = 'NO' FROM information_schema.columns"
            " WHERE table_name = %s AND column_name = 'slug'",
            [TABLE],
        )
        required = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE slug IS NULL), count(slug) - count(DISTINCT slug)"
            f" FROM {TABLE}"
        )
        nulls, duplicates = cursor.fetchone()
        detail = f"{nulls} without slug, {duplicates} duplicates"
        if duplicates or (required and nulls):
            return CheckResult(self.name, CheckResult.FAILED, detail)
        if nulls:
            return CheckResult(
                self.name, CheckResult.PASSED, f"{detail} (NULL allowed until 0.2.0)"
            )
        return CheckResult(self.name, CheckResult.PASSED, "no NULL, no duplicate")


class PublishedSet(IntegrityCheck):
    """Every product has ``is_published`` set."""

    name = "is_published set"

    def run(self, cursor: psycopg.Cursor[Any], state: CatalogState) -> CheckResult:
        if "is_published" not in _columns(cursor):
            return CheckResult(self.name, CheckResult.SKIPPED, "no is_published column yet")
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE is_published IS NULL")
        (nulls,) = cursor.fetchone()
        if nulls:
            return CheckResult(self.name, CheckResult.FAILED, f"{nulls} rows with NULL")
        return CheckResult(self.name, CheckResult.PASSED, "no NULL")


class CatalogScenario(Scenario):
    """The catalog's clients for releases 0.1.0 to 0.3.0."""

    def setup(self, context: SetupContext, *, rows: int) -> CatalogState:
        """Populate ``rows`` products, create a token and snapshot some creation times."""
        release = context.first_release
        if rows > 0:
            context.manage(release, ["populate_db", "--amount", str(rows), "--seed", "1"])
            with context.connect() as conn:
                # A table in service is vacuumed and analyzed: keep autovacuum's first pass
                # over the fresh load out of the measured phases.
                conn.execute(f"VACUUM (ANALYZE) {TABLE}")
        output = context.manage(release, ["create_token", "--name", "rehearsal"])
        token = output.strip().splitlines()[-1]
        with context.connect() as conn, conn.cursor() as cursor:
            cursor.execute(f"SELECT coalesce(min(id), 1), coalesce(max(id), 1) FROM {TABLE}")
            low, high = cursor.fetchone()
            state = CatalogState(token=token, low=low, high=high)
            column = "created" if "created" in _columns(cursor) else "created_at"
            cursor.execute(
                f"SELECT id, {column} FROM {TABLE} ORDER BY random() LIMIT %s", [SNAPSHOT_ROWS]
            )
            state.snapshot = dict(cursor.fetchall())
        return state

    def operations(self, release: str) -> Sequence[Operation]:
        """Return what clients of ``release`` send."""
        try:
            api = RELEASES[release]
        except KeyError as exc:
            raise ScenarioError(
                f"the catalog scenario has no traffic for release {release}"
            ) from exc
        return [
            ReadProduct(api),
            ListProducts(api),
            CreateProduct(api),
            UpdateProduct(api),
            DeleteProduct(),
        ]

    def integrity_checks(self) -> Sequence[IntegrityCheck]:
        """Return the integrity checks of docs/design.md §5."""
        return [
            AcknowledgedCreatesPresent(),
            AcknowledgedDeletesGone(),
            CreationTimeKept(),
            SlugsUniqueAndSet(),
            PublishedSet(),
        ]


SCENARIOS = CatalogScenario()
