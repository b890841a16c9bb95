from django.db import migrations


def fill_from_visits(apps, schema_editor):
    # The rows as the visits give them today (patrols.rollups owns that SQL; check_rollups compares).
    from patrols import rollups

    rollups.rebuild()


class Migration(migrations.Migration):
    # Apart from 0013: the rows must not be written in the transaction that still has to build the
    # table's indexes (PostgreSQL refuses while the foreign key's deferred checks are pending).
    dependencies = [("patrols", "0013_reach_visit_years")]
    operations = [migrations.RunPython(fill_from_visits, migrations.RunPython.noop)]
