from django.db import migrations

import zerodowntime.background.operations


class Migration(migrations.Migration):
    dependencies = [("bad_flow_atomic_finish", "0001_register")]

    operations = [
        zerodowntime.background.operations.FinishBackgroundMigrations(["flow_counter"]),
    ]
