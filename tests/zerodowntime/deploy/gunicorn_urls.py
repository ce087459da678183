"""The URLconf of the test application in ``gunicorn_app``: no route, only its import counts."""

from __future__ import annotations

urlpatterns: list[object] = []
