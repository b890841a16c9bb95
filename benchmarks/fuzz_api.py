"""The API against its own OpenAPI schema, at length: schemathesis generates valid and invalid
requests for every operation of /api/schema/, as a volunteer and as the office's staff, against
gunicorn under the production settings (benchmarks/stack.py), and checks every answer: no 5xx, only
documented status codes and content types, bodies that match the schema. The suite runs the same
loop briefly (tests/fuzz/test_api_schema.py).

    .venv/bin/python benchmarks/fuzz_api.py [--examples 60] [--seed 4546] [--path /api/auth/token/]

Prints the cases sent, the answers by status, and every failure; the floor is 5,000 cases and no
failure. Exits non-zero below the floor or on any failure. Also counts the server's logged errors."""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
import schemathesis
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.stack import SPOT, riverwatch  # noqa: E402
from tests.support.fuzzing import fuzz  # noqa: E402
from tests.support.outbox import cleanup_body  # noqa: E402

FLOOR_CASES = 5_000
PASSWORD = "fuzz-pass-4546"
PEOPLE_SCRIPT = """
from people import services
volunteer = services.create_person(name="模糊测试志愿者", role="volunteer",
                                   user=services.create_login(username="fuzz-volunteer", password="%(password)s"))
services.create_team(name="模糊测试队", kind="volunteer",
                     members=[volunteer, services.create_person(name="模糊测试同伴", role="volunteer")])
services.create_person(name="模糊测试工作人员", role="staff",
                       user=services.create_login(username="fuzz-staff", password="%(password)s"))
"""


def tracebacks(log: str) -> list[str]:
    """Each traceback in the log with the line before it (Django's "Internal Server Error: /path")
    and the exception's own line after it."""
    lines, found = log.splitlines(), []
    for index, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = index + 1
            while end < len(lines) and (lines[end].startswith(" ") or lines[end].startswith("During handling")
                                        or lines[end].startswith("Traceback") or not lines[end].strip()):
                end += 1
            found.append("\n".join(lines[max(index - 1, 0):end + 1]))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=60, help="requests per operation, per mode, per person")
    parser.add_argument("--seed", type=int, default=4546)
    parser.add_argument("--path", help="only the operations of this path (to chase one failure)")
    options = parser.parse_args()
    started = time.monotonic()

    with riverwatch(workers=3, threads=2) as (_cluster, server):
        server.manage("shell", "--no-imports", "-c", PEOPLE_SCRIPT % {"password": PASSWORD})
        tokens = {role: server.sign_in(f"fuzz-{role}", PASSWORD) for role in ("volunteer", "staff")}
        # One record of the volunteer's, so that reading, photos and review have something to reach.
        recorded = requests.post(f"{server.url}/api/activities/", timeout=30,
                                 headers={"Authorization": f"Token {tokens['volunteer']}"},
                                 json=cleanup_body(client_uuid=uuid.uuid4(), lonlat=SPOT,
                                                   started_at=datetime(2026, 5, 1, 8, tzinfo=timezone(timedelta(hours=8)))))
        recorded.raise_for_status()
        schema_json = requests.get(f"{server.url}/api/schema/?format=json", timeout=60,
                                   headers={"Authorization": f"Token {tokens['staff']}"}).json()
        schema = schemathesis.openapi.from_dict(schema_json)
        if options.path:
            schema = schema.include(path=options.path)
        operations = sum(1 for _ in schema.get_all_operations())

        reports = {}
        for role, token in tokens.items():
            with tqdm(total=operations * 2 * options.examples, desc=f"{role:>9}", unit="case") as bar:
                reports[role] = fuzz(schema, token, server.url, examples=options.examples, seed=options.seed,
                                     progress=bar.update)
        server_log = (server.folder / "gunicorn.log").read_text(errors="replace")
        server_errors = server_log.count("Traceback")

    cases = sum(report.cases for report in reports.values())
    failures = [(role, *failure) for role, report in reports.items() for failure in report.failures]
    print(f"\nAPI 模糊测试（schemathesis，{operations} 个接口 × 正/反例 × 2 种身份，生产配置，"
          f"{(time.monotonic() - started) / 60:.1f} 分钟）")
    for role, report in reports.items():
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(report.statuses.items()))
        print(f"  {role:<10}{report.cases:>7} 个请求   {statuses}")
    print(f"  {'合计':<8}{cases:>7} 个请求（下限 {FLOOR_CASES:,}）   不合规 {len(failures)}   服务器错误日志 {server_errors}")
    for role, label, mode, message in failures:
        print(f"\n[{role}] {label} [{mode}]\n{message}")
    for traceback in tracebacks(server_log)[:5]:
        # The server's own account of each error (its folder is gone after the run).
        print("\n服务器错误（gunicorn.log）\n" + traceback[-4_000:])
    ok = cases >= FLOOR_CASES and not failures and server_errors == 0
    print("  结论：" + ("全部符合接口文档" if ok else "有问题！"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
