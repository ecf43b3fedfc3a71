"""A client generated from our own OpenAPI schema type-checks and runs a partner's whole journey.

Against a real gunicorn process (the live server): fetch `/api/schema`, generate a Python client with
openapi-python-client (offline), type-check `client_flow.py` against it with mypy --strict (a field
name or type that the schema does not describe fails here), then run the flow over HTTP. This catches
what the in-process tests cannot: a schema that does not describe what the server answers, or that a
generator cannot turn into a usable client.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from catalog.models import Gift
from rewards.ledger_check import ledger_differences
from rewards.models import Promotion
from tests.factories import CategoryFactory, GiftFactory, ProgramFactory, PromotionFactory, SegmentFactory
from tests.live_server import live_api_client

pytestmark = [pytest.mark.postgres]

HERE = Path(__file__).resolve().parent
FLOW = HERE / "client_flow.py"
BIN = Path(sys.executable).parent
PACKAGE = "loyalty_partner_client"

GENERATOR_CONFIG = f"""\
project_name_override: loyalty-partner-client
package_name_override: {PACKAGE}
post_hooks: []
"""

# Strict, for the flow only: the generated code is not ours to lint, but its types are what is checked.
MYPY_CONFIG = f"""\
[mypy]
strict = True
warn_unreachable = True
[mypy-{PACKAGE}.*]
ignore_errors = True
"""


def make_program():
    """The program the flow expects: its promotions, and gifts (one a voucher) for a paged walk."""
    program = ProgramFactory(code="LIVE", name="Live Rewards")
    vip = SegmentFactory(program=program, code="VIP")
    PromotionFactory(program=program, code="BASE", kind=Promotion.SPEND, rate="1")
    PromotionFactory(
        program=program, code="COFFEE", kind=Promotion.QUANTITY, rate=None, points=10, product_categories=["coffee"]
    )
    PromotionFactory(program=program, code="VIPONLY", kind=Promotion.SPEND, rate="5").segments.add(vip)
    PromotionFactory(
        program=program,
        code="WEBONLY",
        kind=Promotion.BASKET,
        rate=None,
        threshold="10.00",
        points=100,
        channels=["web"],
    )
    category = CategoryFactory(program=program, code="HOME")
    for n in range(4):
        GiftFactory(program=program, category=category, sku=f"MUG-{n}", points=300 + n)
    GiftFactory(
        program=program,
        category=category,
        sku="V10",
        type=Gift.VOUCHER,
        points=1000,
        value="10.00",
        voucher_valid_days=90,
    )
    client_id, secret = live_api_client(program, "generated client")
    return program, client_id, secret, 5


def run(command: list[str], cwd: Path, what: str, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=180, **kwargs)
    assert result.returncode == 0, f"{what} failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    return result


def generate_client(base_url: str, work: Path) -> Path:
    """The client package generated from the live schema, in `work` (returned: the package's directory)."""
    answer = httpx.get(f"{base_url}/api/schema", params={"format": "json"}, timeout=30)
    assert answer.status_code == 200, answer.text[:2000]
    schema_path = work / "openapi.json"
    schema_path.write_text(json.dumps(answer.json(), indent=2))
    (work / "generator.yaml").write_text(GENERATOR_CONFIG)
    package = work / PACKAGE
    result = run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(schema_path),
            "--config",
            str(work / "generator.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(package),
        ],
        work,
        "openapi-python-client generate",
    )
    # The generator reports what it could not turn into code as warnings, and still succeeds.
    output = result.stdout + result.stderr
    assert "Warning" not in output and "Error" not in output, f"the generator skipped parts of the schema:\n{output}"
    assert (package / "client.py").exists(), output
    return package


def type_check(work: Path, source: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(BIN / "mypy"),
            "--config-file",
            str(work / "mypy.ini"),
            "--cache-dir",
            str(work / ".mypy_cache"),
            source.name,
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": str(BIN), "MYPYPATH": str(work)},
    )


def test_generated_client_runs_the_partner_flow(live_server_gunicorn, tmp_path):
    program, client_id, secret, gift_count = make_program()
    work = tmp_path / "client"
    work.mkdir()
    generate_client(live_server_gunicorn.url, work)

    # The flow is checked and run next to the generated package, as a partner's own script would be.
    flow = work / "client_flow.py"
    shutil.copy(FLOW, flow)
    (work / "mypy.ini").write_text(MYPY_CONFIG)
    checked = type_check(work, flow)
    assert checked.returncode == 0, f"the flow does not type-check against the generated client:\n{checked.stdout}"
    # The check has teeth: a misspelt field and a wrong type are errors (so a schema drift would be, too).
    mutant = work / "client_flow_mutant.py"
    mutant.write_text(
        flow.read_text()
        .replace("newer.balance_after - newer.points", "newer.balance_afterr - newer.points")
        .replace('quantity=4, unit_price="25.00"', 'quantity="4", unit_price="25.00"')
    )
    caught = type_check(work, mutant)
    assert caught.returncode == 1, caught.stdout
    assert 'has no attribute "balance_afterr"' in caught.stdout, caught.stdout
    assert re.search(r'Argument "quantity" to "\w+" has incompatible type "str"; expected "int"', caught.stdout), (
        caught.stdout
    )

    result = subprocess.run(
        [sys.executable, flow.name, live_server_gunicorn.url, client_id, secret, program.code, str(gift_count)],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": str(BIN), "PYTHONPATH": str(work)},
    )
    assert result.returncode == 0, (
        f"the flow failed:\n{result.stdout}\n{result.stderr[-6000:]}\n--- server log ---\n{live_server_gunicorn.log_tail()}"
    )
    assert "flow passed" in result.stdout
    # What the server wrote through the generated client adds up.
    assert ledger_differences(program.pk) == []
    assert live_server_gunicorn.logged_errors() == []
