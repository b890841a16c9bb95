"""Events later apps listen to (points credit or reverse on a review). patrols knows nothing of them."""

from django.dispatch import Signal

# Sent after the review is committed, with activity=, decision= ("verify" or "reject") and
# previous_status= ("submitted" for a review, "verified" when staff overturn a verification).
activity_reviewed = Signal()

# Sent after staff removed a participant and that is committed, with activity=, person=,
# service_record_id= (the deleted record's id), by= (the staff login) and reason=.
participant_removed = Signal()
