"""A new record's check constraints are enforced by its INSERT (riverwatch.model_checks), and a
violation still reads as full_clean's ValidationError: a 400 with the constraint's words, nothing stored."""

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from patrols import services, submissions
from patrols.models import Activity, ServiceRecord
from riverwatch import model_checks


def _submission(**figures):
    start = datetime(2026, 5, 1, 0, 0, tzinfo=timezone.utc)
    return submissions.build(client_uuid=uuid.uuid4(), kind="cleanup", started_at=start,
                             ended_at=start + timedelta(hours=1), figures=submissions.Figures(**figures))


def test_a_violation_the_callers_did_not_catch_is_refused_with_the_constraints_words(crew):
    """Negative debris gets past a caller that skipped the API's own check (the demo's plans,
    a script): the INSERT refuses it, and the caller gets full_clean's error, not an IntegrityError."""
    with pytest.raises(ValidationError) as refused:
        services.record_activity(submitted_by=crew["volunteer"].user, submission=_submission(debris_kg=Decimal("-1")),
                                 payload_sha256="x" * 64)
    constraint = next(c for c in Activity._meta.constraints if c.name == "activity_debris_not_negative")
    assert refused.value.message_dict == {NON_FIELD_ERRORS: [constraint.get_violation_error_message()]}
    assert not Activity.objects.exists() and not ServiceRecord.objects.exists()


def test_a_good_record_is_stored(crew):
    activity, created = services.record_activity(
        submitted_by=crew["volunteer"].user, submission=_submission(debris_kg=Decimal("2.5")), payload_sha256="y" * 64)
    assert created and Activity.objects.get(pk=activity.pk).debris_kg == Decimal("2.5")


def test_other_integrity_errors_pass_through(crew):
    """Only the model's own check constraints are translated; a unique clash is not dressed up as one."""
    first, _created = services.record_activity(
        submitted_by=crew["volunteer"].user, submission=_submission(), payload_sha256="z" * 64)
    copy = Activity.objects.get(pk=first.pk)
    copy.pk = None
    with pytest.raises(IntegrityError), transaction.atomic(), model_checks.checked_by_the_database(Activity):
        copy.save()


def test_a_new_record_is_checked_by_its_insert_not_by_a_query_per_constraint(crew):
    """full_clean() asked the database about each check constraint, one query each (a quarter of a
    patrol's write); the INSERT checks them all."""
    with CaptureQueriesContext(connection) as captured:
        services.record_activity(submitted_by=crew["volunteer"].user, submission=_submission(), payload_sha256="c" * 64)
    assert Activity.objects.count() == 1
    assert [query["sql"] for query in captured if '"_check"' in query["sql"]] == []
