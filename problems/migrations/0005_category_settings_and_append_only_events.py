"""A settings row per category, with default deadlines in working days. No national rule fixes them:
these are a starting point the office edits (admin › 问题类别设置), and no unit is preset. And the
events are append-only: the database refuses to change what one records, whoever asks. Only the
text may change (anonymising a person replaces their name in it), and the actor link may be
emptied (a deleted login)."""

from django.db import migrations

# Quick to clear: floating rubbish, a tip, sand dredged at night; longer: works (a pipe, a building).
DEFAULT_DEADLINE_DAYS = {
    "garbage": 3, "sewage": 10, "dumping": 5, "encroachment": 20, "sand_mining": 3, "water_quality": 5,
    "facility": 10, "other": 10,
}
# Sewage, sand mining and water quality go to their departments wherever they are found.
ROUTED_BY_CATEGORY = {"sewage", "sand_mining", "water_quality"}


def add_settings(apps, schema_editor):
    CategorySetting = apps.get_model("problems", "CategorySetting")
    for category, days in DEFAULT_DEADLINE_DAYS.items():
        CategorySetting.objects.get_or_create(
            category=category, defaults={"deadline_days": days, "route_by_place": category not in ROUTED_BY_CATEGORY})


def remove_settings(apps, schema_editor):
    apps.get_model("problems", "CategorySetting").objects.all().delete()


APPEND_ONLY = """
CREATE FUNCTION problems_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.problem_id, NEW.at, NEW.action, NEW.from_state, NEW.to_state, NEW.unit_id, NEW.deadline)
       IS DISTINCT FROM (OLD.problem_id, OLD.at, OLD.action, OLD.from_state, OLD.to_state, OLD.unit_id, OLD.deadline)
       OR (NEW.actor_id IS NOT NULL AND NEW.actor_id IS DISTINCT FROM OLD.actor_id) THEN
        RAISE EXCEPTION 'problem events are append-only: event % cannot be changed', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER problems_event_append_only BEFORE UPDATE ON problems_problemevent
    FOR EACH ROW EXECUTE FUNCTION problems_event_append_only();
"""
NOT_APPEND_ONLY = """
DROP TRIGGER problems_event_append_only ON problems_problemevent;
DROP FUNCTION problems_event_append_only();
"""


class Migration(migrations.Migration):

    dependencies = [("problems", "0004_problem_reports_moved_here")]

    operations = [
        migrations.RunPython(add_settings, remove_settings),
        migrations.RunSQL(APPEND_ONLY, NOT_APPEND_ONLY),
    ]
