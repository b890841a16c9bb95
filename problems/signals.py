"""Events later apps listen to (points credit a reporter when a problem is accepted or fixed).
problems knows nothing of them."""

from django.dispatch import Signal

# Sent after a move is committed, with problem= and event= (the new ProblemEvent); not for a
# phone's resend that found its move already made.
problem_moved = Signal()
