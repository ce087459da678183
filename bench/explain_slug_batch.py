"""Show where one batch of the slug background migration spends its time.

Run from the repository root::

    .venv/bin/python bench/explain_slug_batch.py --rows 300000 --batch 8000

On its own embedded PostgreSQL (temporary folder, stopped at the end): migrate to 0.1.0,
populate ROWS products, migrate to 0.1.1, analyse the table, then print ``EXPLAIN (ANALYZE,
BUFFERS)`` of the statement that slugs one batch of BATCH rows (``FILL_SLUGS_SQL``), and the time
of a bare ``UPDATE ... SET slug = md5(id::text)`` of the same rows for comparison (random text
into the unique index, as real slugs are; rolled back).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

from benchlib import embedded_services

from zerodowntime.subprocesses import ZDT

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Set up the table and print the plan of one slug batch."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=300_000, help="rows to populate")
    parser.add_argument("--batch", type=int, default=8_000, help="rows in the explained batch")
    args = parser.parse_args()
    with embedded_services() as urls:
        env = dict(os.environ, **urls, ZDT_LOG_LEVEL="WARNING")
        env["DJANGO_SETTINGS_MODULE"] = "catalog.settings"
        zdt = ZDT
        quiet = {"check": True, "cwd": ROOT, "stdout": subprocess.DEVNULL}
        subprocess.run([*zdt, "migrate", "--release", "0.1.0"], env=env, **quiet)
        subprocess.run(
            [*zdt, "populate", "--amount", str(args.rows), "--release", "0.1.0"],
            env=env,
            stderr=subprocess.DEVNULL,
            **quiet,
        )
        subprocess.run([*zdt, "migrate", "--release", "0.1.1"], env=env, **quiet)
        os.environ.update(env, ZDT_RELEASE="0.1.1")
        import django

        django.setup()
        explain(args.batch)


def explain(batch: int) -> None:
    """Print the plan of one batch in the middle of the table, and the bare UPDATE's time."""
    from django.db import connection, transaction

    from catalog.common.slugs import FILL_SLUGS_SQL, slug_base

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE product_product")
        cursor.execute("SELECT min(id) + (max(id) - min(id)) / 3 FROM product_product")
        lower = int(cursor.fetchone()[0])
        upper = lower + batch
        cursor.execute(
            "SELECT id, name FROM product_product WHERE id > %s AND id <= %s ORDER BY id",
            [lower, upper],
        )
        rows = cursor.fetchall()
        params = {
            "ids": [pk for pk, _ in rows],
            "bases": [slug_base(name) for _, name in rows],
            "lower": lower,
            "upper": upper,
        }
        with transaction.atomic():
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + FILL_SLUGS_SQL, params)
            print("\n".join(line for (line,) in cursor.fetchall()))
            transaction.set_rollback(True)
        with transaction.atomic():
            started = time.perf_counter()
            cursor.execute(
                "UPDATE product_product SET slug = md5(id::text) WHERE id > %s AND id <= %s",
                [lower, upper],
            )
            print(
                f"bare UPDATE of the same {len(rows)} rows: {time.perf_counter() - started:.3f} s"
            )
            transaction.set_rollback(True)


if __name__ == "__main__":
    main()
