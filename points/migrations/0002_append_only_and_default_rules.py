"""The ledger is append-only in the database itself, whoever writes: an entry is never changed
(only anonymising may reword its reason, and says so with points.rewording), never deleted (only
the demo's reset may, with points.purging), and a redemption never takes a balance below zero.
The scheme starts with the default rules (default_rules.py)."""

from django.db import migrations

from points.default_rules import add_default_rules

APPEND_ONLY = """
CREATE FUNCTION points_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF current_setting('points.purging', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'the points ledger is append-only: entry % cannot be deleted', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF current_setting('points.rewording', true) = 'on'
       AND (to_jsonb(NEW) - 'reason') = (to_jsonb(OLD) - 'reason') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the points ledger is append-only: entry % cannot be changed', OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER points_entry_append_only BEFORE UPDATE OR DELETE ON points_entry
    FOR EACH ROW EXECUTE FUNCTION points_entry_append_only();

CREATE FUNCTION points_redemption_covered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT SUM(amount) FROM points_entry WHERE person_id = NEW.person_id) < 0 THEN
        RAISE EXCEPTION 'a redemption may not take the balance of person % below zero', NEW.person_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER points_redemption_covered AFTER INSERT ON points_entry
    FOR EACH ROW WHEN (NEW.kind = 'redemption') EXECUTE FUNCTION points_redemption_covered();
"""
NOT_APPEND_ONLY = """
DROP TRIGGER points_redemption_covered ON points_entry;
DROP FUNCTION points_redemption_covered();
DROP TRIGGER points_entry_append_only ON points_entry;
DROP FUNCTION points_entry_append_only();
"""


def add_rules(apps, schema_editor):
    add_default_rules(apps.get_model("points", "Rule"))
    apps.get_model("points", "Scheme").objects.get_or_create(pk=1)


class Migration(migrations.Migration):

    dependencies = [("points", "0001_ledger")]

    operations = [
        migrations.RunSQL(APPEND_ONLY, NOT_APPEND_ONLY),
        migrations.RunPython(add_rules, migrations.RunPython.noop),
    ]
