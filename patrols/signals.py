"""Events later apps listen to (points credit or reverse on a review). patrols knows nothing of them."""

from django.dispatch import Signal

# Sent after the review is committed, with activity= and decision= ("verify" or "reject").
activity_reviewed = Signal()
