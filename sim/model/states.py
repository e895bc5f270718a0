"""A person's states in the flow (an int each, for speed; ``Final``: the compiled model inlines
them)."""

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
