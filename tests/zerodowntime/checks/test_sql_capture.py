"""The order in which ``zdt check --since`` applies the migrations of the ref before the rest."""

from __future__ import annotations

from django.db import migrations
from django.db.migrations.graph import MigrationGraph

from zerodowntime.checks.sql_capture import ref_first


def _graph() -> MigrationGraph:
    """Return a.0001 <- a.0002 <- a.0003 and b.0001 <- a.0001: b.0001 declares a.0001 only."""
    graph = MigrationGraph()
    for app, name in (("a", "0001"), ("a", "0002"), ("a", "0003"), ("b", "0001")):
        graph.add_node((app, name), migrations.Migration(name, app))
    graph.add_dependency("a.0002", ("a", "0002"), ("a", "0001"))
    graph.add_dependency("a.0003", ("a", "0003"), ("a", "0002"))
    graph.add_dependency("b.0001", ("b", "0001"), ("a", "0001"))
    return graph


def _django_plan(graph: MigrationGraph) -> list[tuple[str, str]]:
    """Return Django's own order: the plan of every leaf, as ``migrate`` computes it."""
    plan: list[tuple[str, str]] = []
    for leaf in graph.leaf_nodes():
        plan += [key for key in graph.forwards_plan(leaf) if key not in plan]
    return plan


def test_the_ref_s_migrations_keep_django_s_order_whatever_the_order_of_its_heads() -> None:
    graph = _graph()
    plan = _django_plan(graph)
    assert plan == [("a", "0001"), ("a", "0002"), ("a", "0003"), ("b", "0001")]
    # The ref's heads listed b first: the plan of each head in turn would apply b.0001 before
    # a.0002, an order Django never uses (a project relying on a.0002's table fails there).
    ordered, reached = ref_first(graph, plan, [("b", "0001"), ("a", "0002")])
    assert ordered == [("a", "0001"), ("a", "0002"), ("b", "0001"), ("a", "0003")]
    assert reached == ("b", "0001")


def test_heads_the_working_tree_lacks_are_left_out() -> None:
    graph = _graph()
    plan = _django_plan(graph)
    assert ref_first(graph, plan, [("a", "0009_squashed")]) == (plan, None)
    ordered, reached = ref_first(graph, plan, [("a", "0001"), ("a", "0009_squashed")])
    assert ordered == plan
    assert reached == ("a", "0001")
