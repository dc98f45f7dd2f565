#!/usr/bin/env python3
"""Prints what a schemathesis run sent: requests per phase and status codes per operation.

    python3 tests/contract/summary.py REPORT.ndjson

Reads the NDJSON event stream that `schemathesis run --report ndjson` writes (standard library only).
"""
import collections
import json
import sys


def main(path: str) -> None:
    per_operation: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    per_phase: collections.Counter = collections.Counter()
    links = 0
    for line in open(path, encoding="utf-8"):
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder") or {}
        cases = recorder.get("cases") or {}
        for case_id, interaction in (recorder.get("interactions") or {}).items():
            case = (cases.get(case_id) or {}).get("value") or {}
            response = interaction.get("response")
            status = response["status_code"] if response else "no response"
            per_operation[f"{case.get('method', '?')} {case.get('path', '?')}"][status] += 1
            per_phase[finished.get("phase", "?")] += 1
            if (cases.get(case_id) or {}).get("is_transition_applied"):
                links += 1
    total = sum(per_phase.values())
    print(f"requests sent: {total} ({', '.join(f'{k} {v}' for k, v in per_phase.items())}); through document links: {links}")
    width = max((len(k) for k in per_operation), default=10)
    for operation in sorted(per_operation, key=lambda k: (k.split(" ", 1)[1], k)):
        counts = per_operation[operation]
        statuses = "  ".join(f"{s}×{n}" for s, n in sorted(counts.items(), key=lambda x: str(x[0])))
        print(f"  {operation:<{width}}  {statuses}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
