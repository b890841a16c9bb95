"""Every problem report kept with its activity (patrols_problemreport) moves onto the problem list,
nothing lost: the same id (so "#N" and the photos' links still hold), uuid, category, note, point,
time, waterway and activity. Each gets the event that reported it (its activity's submitter, when
the server received it); one whose activity the office had already verified was taken as true then,
so it is accepted, with the reviewer and time of that review and a note saying so."""

from django.db import migrations

FORWARD = [
    """
    INSERT INTO problems_problem (id, category, source, note, point, observed_at, waterway_id, position_m,
                                  client_uuid, activity_id, reported_by_id, contact_phone, state, ending,
                                  not_fixed_reason, reopen_count, created_at, accepted_at)
    SELECT r.id, r.category, CASE WHEN a.kind = 'problem_report' THEN 'phone' ELSE 'patrol' END, r.note, r.point,
           r.observed_at, r.waterway_id, r.position_m, r.client_uuid, r.activity_id, a.submitted_by_id, '',
           CASE WHEN a.status = 'verified' THEN 'accepted' ELSE 'reported' END, '', '', 0, a.received_at,
           CASE WHEN a.status = 'verified' THEN a.reviewed_at END
      FROM patrols_problemreport r JOIN patrols_activity a ON a.id = r.activity_id
    """,
    # The name a person went by, as the events keep it: the person's, else the login's full name, else its username.
    """
    INSERT INTO problems_problemevent (problem_id, at, actor_id, actor_name, action, from_state, to_state, note)
    SELECT p.id, a.received_at, a.submitted_by_id,
           LEFT(COALESCE(NULLIF(person.name, ''), NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username), 64),
           'report', '', 'reported', ''
      FROM problems_problem p JOIN patrols_activity a ON a.id = p.activity_id
      JOIN people_user u ON u.id = a.submitted_by_id LEFT JOIN people_person person ON person.user_id = u.id
    """,
    """
    INSERT INTO problems_problemevent (problem_id, at, actor_id, actor_name, action, from_state, to_state, note)
    SELECT p.id, a.reviewed_at, a.reviewed_by_id,
           LEFT(COALESCE(NULLIF(person.name, ''), NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username), 64),
           'accept', 'reported', 'accepted', '所在活动审核通过时一并认定（问题清单上线前的数据）'
      FROM problems_problem p JOIN patrols_activity a ON a.id = p.activity_id
      JOIN people_user u ON u.id = a.reviewed_by_id LEFT JOIN people_person person ON person.user_id = u.id
     WHERE p.state = 'accepted'
    """,
    "SELECT setval(pg_get_serial_sequence('problems_problem', 'id'), GREATEST((SELECT MAX(id) FROM problems_problem), 1))",
]

# Undone, the reports go back to the activity's table (patrols.0011 copies them, undoing itself first);
# the problem list's rows and events go.
BACKWARD = [
    "DELETE FROM problems_problemphoto", "DELETE FROM problems_followup", "DELETE FROM problems_notice",
    "DELETE FROM problems_problemevent", "DELETE FROM problems_problem",
]


class Migration(migrations.Migration):

    dependencies = [
        ("problems", "0003_problem_list"),
        ("patrols", "0010_activity_and_problem_times_in_range"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
