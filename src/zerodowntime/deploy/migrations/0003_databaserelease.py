from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("zdt_deploy", "0002_processheartbeat_parent_pid")]

    operations = [
        migrations.CreateModel(
            name="DatabaseRelease",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("release", models.CharField(max_length=255)),
                ("recorded_at", models.DateTimeField()),
                ("by", models.CharField(max_length=255)),
                ("pid", models.IntegerField()),
                ("command", models.TextField()),
            ],
            options={"db_table": "zdt_database_release"},
        ),
    ]
