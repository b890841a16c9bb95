"""A model's check constraints enforced once, by the database, with full_clean's words.

Model.full_clean() validates each CheckConstraint with a query of its own (eight for an activity:
a quarter of a patrol's write). Where the values come from code that has already checked its
input, the INSERT enforces the same constraints anyway; this turns a violation into the
ValidationError full_clean() would have raised, so the caller still answers a 400, not a 500."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError
from django.db.models import CheckConstraint


@contextmanager
def checked_by_the_database(model):
    """Wrap the save of an instance cleaned with full_clean(validate_constraints=False). The
    transaction is unusable after a violation: run this inside the atomic block that gives up."""
    try:
        yield
    except IntegrityError as error:
        name = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
        for constraint in model._meta.constraints:
            if isinstance(constraint, CheckConstraint) and constraint.name == name:
                raise ValidationError({NON_FIELD_ERRORS: [ValidationError(
                    constraint.get_violation_error_message(), code=constraint.violation_error_code)]}) from None
        raise
