from django.db import migrations

from patrols.default_campaign import add_first_campaign


def add_campaign(apps, schema_editor):
    add_first_campaign(apps.get_model("patrols", "ServiceCampaign"))


# A reach's visits are deleted with it by the database: re-cutting the reaches deletes them with
# plain SQL, and no visit may outlive its reach, whatever else runs in the transaction. Django 5.2
# cannot declare ON DELETE in the model, so the foreign key is replaced here (keeping Django's
# DEFERRABLE INITIALLY DEFERRED; the cascade itself is never deferred).
CASCADE_SQL = """
DO $$
DECLARE
    old_name text;
BEGIN
    FOR old_name IN
        SELECT conname FROM pg_constraint
         WHERE conrelid = 'patrols_reachvisit'::regclass AND contype = 'f'
           AND confrelid = 'waterways_reach'::regclass
    LOOP
        EXECUTE format('ALTER TABLE patrols_reachvisit DROP CONSTRAINT %I', old_name);
    END LOOP;
END $$;
ALTER TABLE patrols_reachvisit ADD CONSTRAINT reach_visit_reach_cascade
    FOREIGN KEY (reach_id) REFERENCES waterways_reach (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
"""

NO_CASCADE_SQL = """
ALTER TABLE patrols_reachvisit DROP CONSTRAINT reach_visit_reach_cascade;
ALTER TABLE patrols_reachvisit ADD CONSTRAINT reach_visit_reach_fk
    FOREIGN KEY (reach_id) REFERENCES waterways_reach (id) DEFERRABLE INITIALLY DEFERRED;
"""


class Migration(migrations.Migration):
    dependencies = [("patrols", "0005_service_campaigns_compliance_judged_when_shown"), ("waterways", "0001_initial")]
    operations = [
        migrations.RunPython(add_campaign, migrations.RunPython.noop),
        migrations.RunSQL(CASCADE_SQL, NO_CASCADE_SQL),
    ]
