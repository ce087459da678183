from django.db import migrations

import zerodowntime.background.operations

CREATE = """
CREATE TABLE zdt_flow_items (
    id bigserial PRIMARY KEY,
    filled boolean NOT NULL DEFAULT false,
    times_filled integer NOT NULL DEFAULT 0
);
INSERT INTO zdt_flow_items (filled) SELECT false FROM generate_series(1, 500);
"""


class Migration(migrations.Migration):
    dependencies = [("zdt_background", "0001_initial")]

    operations = [
        migrations.RunSQL(CREATE, "DROP TABLE zdt_flow_items"),
        zerodowntime.background.operations.RegisterBackgroundMigration("flow_counter"),
    ]
