from django.db import migrations

import zerodowntime.background.operations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("good_flow", "0001_register")]

    operations = [
        zerodowntime.background.operations.FinishBackgroundMigrations(["flow_counter"]),
    ]
