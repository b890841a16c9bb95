from django.db import migrations

from patrols.default_rules import add_default_rules


def add_rules(apps, schema_editor):
    add_default_rules(apps.get_model("patrols", "PatrolRule"))


class Migration(migrations.Migration):
    dependencies = [("patrols", "0001_initial")]
    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
