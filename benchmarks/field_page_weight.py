"""Prints what a phone downloads the first time it opens the record-patrol screen (/m/patrol/).

    DATABASE_URL=... .venv/bin/python benchmarks/field_page_weight.py [--budget-kb 400]

Serves the app as production does: production settings, `collectstatic` with WhiteNoise's compressed
files (into a temporary folder), over HTTP in this process. Every response body is counted in bytes as
sent, that is compressed where the server compresses, plus its status line and headers. Headless
Chromium (/usr/bin/chromium) signs in, then opens /m/patrol/ with an empty cache; the count covers the
page, its scripts, styles, images, the river network and outline, the field API calls, the manifest,
the service worker and everything the service worker stores for offline use (the other screens too).
Basemap tiles are refused, as the budget leaves them out.

The database in DATABASE_URL needs the district data (manage.py load_district_data). A temporary
login is created and deleted again.
"""

import argparse
import os
import socketserver
import subprocess
import sys
import tempfile
import threading
import uuid
from collections import defaultdict
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class ByteCounter:
    """WSGI middleware: adds up what each response puts on the wire."""

    def __init__(self, app):
        self.app = app
        self.rows = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        record = {"path": environ.get("PATH_INFO", ""), "bytes": 0, "type": "", "encoding": ""}

        def counting_start_response(status, headers, exc_info=None):
            record["bytes"] += len(f"HTTP/1.1 {status}\r\n") + sum(len(f"{k}: {v}\r\n") for k, v in headers) + 2
            for name, value in headers:
                if name.lower() == "content-type":
                    record["type"] = value.split(";")[0]
                if name.lower() == "content-encoding":
                    record["encoding"] = value
            return start_response(status, headers, exc_info)

        for chunk in self.app(environ, counting_start_response):
            record["bytes"] += len(chunk)
            yield chunk
        with self.lock:
            self.rows.append(record)


def kind_of(row):
    path, content_type = row["path"], row["type"]
    if path.startswith("/api/"):
        return "data (JSON)"
    if "javascript" in content_type:
        return "scripts"
    if content_type == "text/css":
        return "styles"
    if content_type.startswith("image/"):
        return "images"
    if content_type == "text/html":
        return "pages"
    return "other"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget-kb", type=float, default=400)
    args = parser.parse_args()

    static_root = tempfile.mkdtemp(prefix="rw-static-")
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "riverwatch.settings.prod",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or uuid.uuid4().hex * 2,
        "SESSION_COOKIE_SECURE": "false",  # plain HTTP on this machine
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_SSL_REDIRECT": "false",  # production redirects to https and sends HSTS: not here
        "SECURE_HSTS_SECONDS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": static_root,
    })
    print("收集并压缩静态文件（collectstatic）…", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.wsgi import get_wsgi_application
    from playwright.sync_api import sync_playwright

    from people.models import Person
    from waterways.models import Waterway

    assert Path(settings.STATIC_ROOT) == Path(static_root), "STATIC_ROOT must come from the environment"
    if not Waterway.objects.exists():
        sys.exit("数据库里没有河道数据：先运行 manage.py load_district_data。")

    counter = ByteCounter(get_wsgi_application())
    server = make_server("127.0.0.1", 0, counter, server_class=ThreadingWSGIServer, handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"

    username, password = f"bench-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    user = get_user_model().objects.create_user(username=username, password=password)
    person = Person.objects.create(name="测量用户", role="volunteer", user=user)
    try:
        with sync_playwright() as playwright:
            # Other hosts (basemap tiles) are refused by the resolver, not by request interception:
            # Playwright's interception would switch the browser's HTTP cache off and inflate the count.
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                "--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ])
            context = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN",
                                          permissions=["geolocation"], geolocation={"latitude": 32.62, "longitude": 110.74})
            page = context.new_page()
            # Sign in with a landing page that is not part of the measurement.
            page.goto(f"{base}/accounts/login/?next=/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            with counter.lock:
                counter.rows.clear()

            page.goto(f"{base}/m/patrol/")
            page.wait_for_function("() => document.getElementById('field-map').dataset.networkLoaded === 'yes'")
            page_only = sum(row["bytes"] for row in counter.rows)
            page_rows = list(counter.rows)
            # Then the service worker installs and stores the offline copy.
            page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1000)
            # The same screens with no connection, as production serves them (hashed file names).
            offline = {}
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            context.set_offline(True)
            for screen in ("/m/patrol/", "/m/", "/m/cleanup/", "/m/problem/", "/m/history/"):
                errors.clear()
                page.goto(f"{base}{screen}")
                page.wait_for_function("() => document.getElementById('sync-chip').dataset.state !== 'unknown'", timeout=10_000)
                if screen != "/m/" and screen != "/m/history/":
                    page.wait_for_function("() => document.getElementById('field-map').dataset.networkLoaded === 'yes'", timeout=10_000)
                offline[screen] = "正常" if not errors else f"出错：{errors[0]}"
            browser.close()
    finally:
        server.shutdown()
        person.delete()
        user.delete()

    rows = list(counter.rows)
    if os.environ.get('RW_BENCH_VERBOSE'):
        for row in rows:
            print(row)
    total = sum(row["bytes"] for row in rows)
    by_kind = defaultdict(lambda: [0, 0])
    for row in rows:
        by_kind[kind_of(row)][0] += row["bytes"]
        by_kind[kind_of(row)][1] += 1

    print("\n首次打开 /m/patrol/（360×640，空缓存，生产设置，gzip）：")
    print(f"  页面本身（到地图画出河网为止）: {page_only / 1024:7.1f} KB，{len(page_rows)} 个请求")
    print(f"  加上 Service Worker 离线缓存:   {total / 1024:7.1f} KB，{len(rows)} 个请求（含其他 4 个页面）")
    print(f"  预算 {args.budget_kb:.0f} KB（不含底图瓦片）：{'符合' if total <= args.budget_kb * 1024 else '超出'}")
    print("  断网后重开：" + "，".join(f"{screen} {state}" for screen, state in offline.items()))
    print("\n  按类型：")
    for kind, (size, count) in sorted(by_kind.items(), key=lambda item: -item[1][0]):
        print(f"    {kind:<14} {size / 1024:7.1f} KB  {count:3d} 个")
    print("\n  最大的 8 个：")
    for row in sorted(rows, key=lambda r: -r["bytes"])[:8]:
        encoding = f" [{row['encoding']}]" if row["encoding"] else ""
        print(f"    {row['bytes'] / 1024:7.1f} KB  {row['path']}{encoding}")
    return 0 if total <= args.budget_kb * 1024 else 1


if __name__ == "__main__":
    sys.exit(main())
