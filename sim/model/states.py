"""A person's states in the flow, and the model's timed calls (an int each, for speed; ``Final``:
the compiled model inlines them)."""

from typing import Final

WAITING: Final = 0
PREP_WAIT: Final = 1
PREP: Final = 2
BARRIER_WAIT: Final = 3
BARRIER: Final = 4
READY: Final = 5
MISSION: Final = 6
GONE: Final = 7
N_STATES: Final = 8

# The calls the model schedules (``at(t, CALL, a, b)``; :meth:`FlowModel.handle
# <sim.model.flow.FlowModel.handle>` makes them): the handler and what ``a`` and ``b`` are.
ARRIVE: Final = 0  # arrive(a): person a is referred
RELEASE: Final = 1  # release(a): offer a is released
NEW_YEAR: Final = 2  # new_year(a): 1 January of year a
NEXT_BARRIER: Final = 3  # barrier(a, b): person a goes on to barrier b
END_PARCOURS: Final = 4  # end_parcours(a): person a's parcours ends while they wait
GIVE_UP: Final = 5  # ready_timeout(a, b, gave_up=True): job-ready person a, spell b, gives up
PARCOURS_OVER: Final = 6  # ready_timeout(a, b, gave_up=False): the parcours ends first
FALLBACK_DUE: Final = 7  # fallback_due(a): offer a may fall back to another route
EXPIRE: Final = 8  # expire(a): offer a's last moment to start
END_MISSION: Final = 9  # end_mission(a, b): person a's mission on route b ends
RENEGE: Final = 10  # renege(a): person a gives up waiting for intake

PERSON_CALLS: Final = (
    1 << ARRIVE
    | 1 << NEXT_BARRIER
    | 1 << END_PARCOURS
    | 1 << GIVE_UP
    | 1 << PARCOURS_OVER
    | 1 << END_MISSION
    | 1 << RENEGE
)
"""The calls whose ``a`` is a person (bit ``call`` set): the others name an offer or a year."""
