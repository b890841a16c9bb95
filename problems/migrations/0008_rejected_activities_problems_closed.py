"""Problems that came over (0004) from an activity the office had rejected were set aside then, with
the activity: they are closed as invalid, by that reviewer at that time, with a note saying so (the
office can reopen one that was real), not left as live reports nobody asked for. Only those still
just reported, with nothing done to them since, are touched, so running it again changes nothing."""

from django.db import migrations

SET_ASIDE = [
    """
    CREATE TEMP TABLE set_aside ON COMMIT DROP AS
    SELECT p.id, COALESCE(a.reviewed_at, a.received_at) AS at, a.reviewed_by_id, a.review_note
      FROM problems_problem p JOIN patrols_activity a ON a.id = p.activity_id
     WHERE a.status = 'rejected' AND p.state = 'reported'
       AND NOT EXISTS (SELECT 1 FROM problems_problemevent e WHERE e.problem_id = p.id AND e.action <> 'report')
    """,
    """
    UPDATE problems_problem p SET state = 'closed', ending = 'invalid', closed_at = s.at
      FROM set_aside s WHERE s.id = p.id
    """,
    # The name a person went by, as the events keep it: the person's, else the login's full name, else its username.
    """
    INSERT INTO problems_problemevent (problem_id, at, actor_id, actor_name, action, from_state, to_state, note)
    SELECT s.id, s.at, s.reviewed_by_id,
           LEFT(COALESCE(NULLIF(person.name, ''), NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username, ''), 64),
           'reject', 'reported', 'closed',
           '所在活动被驳回时一并认定无效（问题清单上线前的数据）；驳回理由：' || s.review_note || '。如确有其事，可重新打开。'
      FROM set_aside s LEFT JOIN people_user u ON u.id = s.reviewed_by_id
      LEFT JOIN people_person person ON person.user_id = u.id
    """,
]


class Migration(migrations.Migration):

    dependencies = [
        ("problems", "0007_move_keys"),
        ("patrols", "0011_problem_reports_moved_to_problems"),
    ]

    # Undone, nothing is reopened: the events say what happened, and a reopen is the office's act.
    operations = [migrations.RunSQL(SET_ASIDE, migrations.RunSQL.noop)]
