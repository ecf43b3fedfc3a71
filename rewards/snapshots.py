"""Rule snapshots: the promotion definitions earns used, stored once per program and content.

`digest_of` is the identity (the migration that moved older earns' inline snapshots here uses the same one);
`snapshot_ids` answers the ids in one read, storing first what is missing (one insert and a second read).
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from rewards.engine import Rule
from rewards.models import RuleSnapshot


def digest_of(definition: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def snapshot_ids(*, program_id: int, rules: Iterable[Rule]) -> tuple[dict[tuple[str, int], int], bool]:
    """The snapshot id of each rule, by (code, version), and whether this call stored any: one read when all are
    stored already, else the missing ones are inserted (500 a statement) and all are read again."""
    definitions = {(rule.code, rule.version): rule.to_dict() for rule in rules}
    digests = {key: digest_of(definition) for key, definition in definitions.items()}

    def stored() -> dict[str, int]:
        return dict(
            RuleSnapshot.objects.filter(program_id=program_id, digest__in=list(digests.values())).values_list(
                "digest", "id"
            )
        )

    found = stored()
    missing = {key: d for key, d in definitions.items() if digests[key] not in found}
    if missing:
        RuleSnapshot.objects.bulk_create(
            [
                RuleSnapshot(
                    program_id=program_id, code=code, version=version, digest=digests[code, version], definition=d
                )
                for (code, version), d in missing.items()
            ],
            ignore_conflicts=True,  # another process may store the same ones at the same moment
            batch_size=500,
        )
        found = stored()
    return {key: found[digest] for key, digest in digests.items()}, bool(missing)


def snapshot_rules(ids: Iterable[int]) -> dict[int, Rule]:
    """The rules of these snapshots, by id (one query)."""
    return {
        pk: Rule.from_dict(definition)
        for pk, definition in RuleSnapshot.objects.filter(pk__in=list(ids)).values_list("id", "definition")
    }
