"""Pure rules of points lots, shared by the ledger's writes, the clock jobs and the balance read.

Locks do not take points from lots until they are captured; by convention the points a lock holds are the
soonest-expiring ones (a capture burns those first), so they are what stays in due lots until the lock ends.
"""

from collections.abc import Sequence
from typing import TypeVar

Lot = TypeVar("Lot")

# The contract's magnitudes: one earn, event, adjustment, transfer or lock moves at most MAX_MOVEMENT points,
# and no balance goes above MAX_BALANCE.
MAX_MOVEMENT = 1_000_000_000
MAX_BALANCE = 1_000_000_000_000


def expirable_points(due: int, available: int, locked: int) -> int:
    """What expiry may take now from lots past their expiry holding `due` points: all of them but what the
    member's locks hold (the soonest-expiring points; they expire once the lock ends), never more than is
    available, never below zero."""
    return max(0, min(due - locked, available))


def plan_takes(lots: Sequence[tuple[Lot, int]], points: int) -> list[tuple[Lot, int]]:
    """Takes `points` from (lot, remaining) pairs in their order; returns (lot, taken) pairs."""
    taken: list[tuple[Lot, int]] = []
    left = points
    for lot, remaining in lots:
        if left <= 0:
            break
        take = min(left, remaining)
        if take > 0:
            taken.append((lot, take))
            left -= take
    return taken
