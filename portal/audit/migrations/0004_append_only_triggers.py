from django.db import migrations, models

from portal.audit.triggers import triggers_install, triggers_uninstall


def install(apps, schema_editor):
    triggers_install(connection=schema_editor.connection)


def uninstall(apps, schema_editor):
    triggers_uninstall(connection=schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0003_chain_backfill"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(max_length=64, unique=True),
        ),
        # After the AlterField: on SQLite it rebuilds the table, and a rebuilt table has no triggers.
        migrations.RunPython(install, uninstall),
    ]
