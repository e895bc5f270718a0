"""A person's states in the flow (an int each, for speed)."""

WAITING, PREP_WAIT, PREP, BARRIER_WAIT, BARRIER, READY, MISSION, GONE = range(8)
N_STATES = 8
