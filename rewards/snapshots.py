"""Rule snapshots: the promotion definitions earns used, stored once per program and content.

`digest_of` is the identity (the migration that moved older earns' inline snapshots here uses the same one);
`snapshot_ids` stores what is missing and answers the ids, in one insert and one read whatever the count.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from rewards.engine import Rule
from rewards.models import RuleSnapshot


def digest_of(definition: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def snapshot_ids(*, program_id: int, rules: Iterable[Rule]) -> dict[tuple[str, int], int]:
    """The snapshot id of each rule, by (code, version); stores the snapshots not stored yet."""
    definitions = {(rule.code, rule.version): rule.to_dict() for rule in rules}
    digests = {key: digest_of(definition) for key, definition in definitions.items()}
    RuleSnapshot.objects.bulk_create(
        [
            RuleSnapshot(program_id=program_id, code=code, version=version, digest=digests[code, version], definition=d)
            for (code, version), d in definitions.items()
        ],
        ignore_conflicts=True,  # stored earlier, or by another process at the same moment
        batch_size=500,
    )
    found = dict(
        RuleSnapshot.objects.filter(program_id=program_id, digest__in=list(digests.values())).values_list(
            "digest", "id"
        )
    )
    return {key: found[digest] for key, digest in digests.items()}


def snapshot_rules(ids: Iterable[int]) -> dict[int, Rule]:
    """The rules of these snapshots, by id (one query)."""
    return {
        pk: Rule.from_dict(definition)
        for pk, definition in RuleSnapshot.objects.filter(pk__in=list(ids)).values_list("id", "definition")
    }
