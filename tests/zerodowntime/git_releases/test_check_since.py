"""``zdt check --since REF`` runs REF's own code on the schema of the working tree (issue 13).

The project is the tagged project with a fifth release that breaks v4's code (``UNSAFE``), and a
ref whose code cannot be imported. The safe pair (v1 -> v2) is checked in ``test_git_releases``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.zerodowntime.child_project import project_env
from tests.zerodowntime.git_releases.tagged_project import (
    RELEASES,
    UNSAFE,
    add_broken_ref,
    write_tagged_project,
)
from tests.zerodowntime.git_releases.test_git_releases import run

DROP_SKU = "shop.0004_remove_product_sku"
ADD_RATING = "blog.0003_post_rating"
PLAIN_INDEX = "blog.0004_name_index"
IMMUTABLE = "billing.0003_immutable_invoices"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the project at v5, with a ``broken`` tag beside v4."""
    root = write_tagged_project(
        tmp_path_factory.mktemp("unsafe") / "project", {**RELEASES, **UNSAFE}
    )
    add_broken_ref(root, "broken", "v4")
    return root


@pytest.fixture(scope="module")
def env() -> Iterator[dict[str, str]]:
    """Return the project's environment, on a database of its own (never migrated)."""
    with project_env("zdt_since") as env:
        yield env


@pytest.fixture(scope="module")
def findings(repo: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    """Return the findings of ``zdt check --since v4`` at v5, invoices made by v4's factory."""
    factories = {**env, "ZDT_CHECK_FACTORIES": "billing.factories.CHECK_FACTORIES"}
    check = run("zdt check --since v4 --format json", repo, factories, ok=False)
    assert check.returncode == 1, check.output[-3000:]
    report = json.loads(check.stdout)
    assert report["since"] == "v4"
    return list(report["findings"])


def having(findings: list[dict[str, Any]], rule: str, migration: str) -> list[dict[str, Any]]:
    """Return the unsilenced errors of ``rule`` caused by ``migration``."""
    return [
        f
        for f in findings
        if f["rule"] == rule and f["migration"] == migration and f["severity"] == "error"
    ]


def test_a_dropped_column_still_read_by_the_old_tag_is_found_and_executed(
    findings: list[dict[str, Any]],
) -> None:
    (static,) = having(findings, "ZDT201", DROP_SKU)
    assert static["message"].startswith(
        "v4's shop.Product uses shop_product.sku, gone after working tree"
    ), static
    assert static["release"] == "v5"
    executed = {f["message"].split(" fails: ")[0]: f for f in having(findings, "ZDT206", DROP_SKU)}
    assert set(executed) == {"v4's shop.Product create", "v4's shop.Product read"}, findings
    create = executed["v4's shop.Product create"]
    assert 'column "sku" of relation "shop_product" does not exist' in create["message"]
    assert create["statement"].startswith('INSERT INTO "shop_product" ("name", "sku")'), create
    assert "caused by shop.0004_remove_product_sku: ALTER TABLE" in create["message"]
    assert "DROP COLUMN sku" in create["message"] and create["release"] == "v5"
    read = executed["v4's shop.Product read"]
    assert "column shop_product.sku does not exist" in read["message"]
    assert read["statement"] == (
        "SELECT shop_product.id, shop_product.name, shop_product.sku FROM shop_product LIMIT 1"
    ), read


def test_a_not_null_column_the_old_tag_never_writes_is_found_by_execution(
    findings: list[dict[str, Any]],
) -> None:
    (static,) = having(findings, "ZDT202", ADD_RATING)
    assert static["message"].startswith("v4's blog.Post never writes blog_post.rating"), static
    (create,) = having(findings, "ZDT206", ADD_RATING)
    assert create["message"].startswith(
        'v4\'s blog.Post create fails: null value in column "rating" of relation "blog_post"'
        " violates not-null constraint (so update and delete were not run); caused by"
        " blog.0003_post_rating: ALTER TABLE blog_post ADD COLUMN rating"
    ), create
    assert create["statement"].startswith('INSERT INTO "blog_post" ("name", "summary")')
    assert '"rating"' not in create["statement"]  # v4's model has no such field
    assert create["release"] == "v5"


def test_an_update_the_new_schema_refuses_runs_the_projects_factory(
    findings: list[dict[str, Any]],
) -> None:
    (update,) = having(findings, "ZDT206", IMMUTABLE)
    # OLD.name is the factory's: the instance came from ZDT_CHECK_FACTORIES, not generated.
    assert update["message"].startswith(
        "v4's billing.Invoice update fails: invoice factory-made is immutable; caused by"
        " billing.0003_immutable_invoices: CREATE TRIGGER billing_invoice_immutable"
    ), update
    assert update["statement"].startswith('UPDATE "billing_invoice" SET "name" = %s')


def test_a_non_concurrent_index_fails_and_the_baseline_only_informs(
    findings: list[dict[str, Any]],
) -> None:
    assert having(findings, "ZDT101", PLAIN_INDEX)
    errors = {f["migration"] for f in findings if f["severity"] == "error" and not f["silenced"]}
    added = {DROP_SKU, ADD_RATING, PLAIN_INDEX, IMMUTABLE}
    assert errors <= added, errors
    baseline = [f for f in findings if f["migration"] == "billing.0002_name_index"]
    assert baseline and all(f["severity"] == "info" for f in baseline), baseline
    assert not [f for f in findings if f["rule"] == "ZDT207"], findings  # every model ran


def test_code_that_cannot_be_imported_at_the_ref_is_one_sentence(
    repo: Path, env: dict[str, str]
) -> None:
    check = run("zdt check --since broken", repo, env, ok=False)
    assert check.returncode == 1
    (line,) = check.stderr.strip().splitlines()
    assert line.startswith("Error: loading the code of broken (in "), line
    assert line.endswith("failed: ModuleNotFoundError: No module named 'a_module_nobody_wrote'"), (
        line
    )
