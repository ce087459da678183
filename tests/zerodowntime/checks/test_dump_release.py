"""The columns a release's models use, table by table."""

from __future__ import annotations

from django.db import models
from django.test.utils import isolate_apps

from zerodowntime.checks.dump_release import model_tables


@isolate_apps("zerodowntime.checks")
def test_a_child_of_a_concrete_model_uses_only_its_own_columns_in_its_table() -> None:
    class Place(models.Model):
        name = models.CharField(max_length=50)

        class Meta:
            app_label = "zdt_checks"
            db_table = "place"

    class Restaurant(Place):
        stars = models.IntegerField(default=0)

        class Meta:
            app_label = "zdt_checks"
            db_table = "restaurant"

    tables = model_tables([Place, Restaurant])
    assert [c.column for c in tables["place"]] == ["id", "name"]
    # id and name are the parent's columns (in "place"), not the child's.
    assert [c.column for c in tables["restaurant"]] == ["place_ptr_id", "stars"]
