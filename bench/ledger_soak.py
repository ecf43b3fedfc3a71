"""Runs the ledger's model-based test (rewards/tests/test_ledger_model.py) for many random examples and prints
how many ran and how fast. CI runs a fixed, derandomised set; this is the long soak.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty .venv/bin/python bench/ledger_soak.py --examples 2000
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--break", dest="broken", choices=["newest_first"], help="run against a broken ledger")
    args = parser.parse_args()
    env = {**os.environ, "LEDGER_MODEL_EXAMPLES": str(args.examples), "LEDGER_MODEL_RANDOM": "1"}
    if args.broken:
        env["LEDGER_MODEL_BREAK"] = args.broken
    started = time.perf_counter()
    test = "rewards/tests/test_ledger_model.py"
    code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-x", "--create-db", test], cwd=ROOT, env=env)
    elapsed = time.perf_counter() - started
    print(f"{args.examples} examples of up to 30 steps in {elapsed:.0f} s ({args.examples / elapsed:.1f} examples/s)")
    print("result:", "green" if code == 0 else "a failing sequence (shrunk above)")
    return code


if __name__ == "__main__":
    sys.exit(main())
