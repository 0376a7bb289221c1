#!/usr/bin/env python3
"""Web speed on loopback: gunicorn with 10k published projects, a signed-in session, wrk, hello-world in the same run.

usage: python bench/web_speed.py [--projects 10000] [--clients 16] [--seconds 8] [--workers 2]
                                 [--keep] [--reuse FOLDER] [--json]

What it does, all on 127.0.0.1 and bounded (at most 256 clients, 60 s per page):
1. a temporary instance folder with its own SQLite database: `db upgrade`, `demo load`, then N
   projects written as JSON lines from the NMPA determinations shipped in matching/data/nmpa (a real
   product name, 300–600 characters of real descriptions across the public and partner fields) and
   imported with `projects import --publish` (timed: the import target is ≤ 5 ms per row), `search
   reindex` and a full `matching recompute` (timed, not part of the targets here). --reuse FOLDER
   skips this for a folder kept by an earlier --keep run;
2. a hello-world Flask app and the platform, each under `gunicorn -w WORKERS`, one after the other;
3. an organisation member (enterprise@demo.test) signs in through the form; wrk (apt package `wrk`)
   sends the session cookie with every request, C connections for S seconds per page after a 2 s
   warm-up, for: hello-world, the library's first page, a filtered page, a search page, a project
   page, 为您推荐 (the library's parts are cached after a page's first request), and a filtered page whose
   filters are drawn at random from 12,150 combinations each request (rendered and counted afresh), and
   `/healthz` with the session (the signed-in floor: no page at all);
4. a clinician asks for 参考分类 from every worker, every page is asked once more, then every worker's RSS
   and PSS are read (/proc/PID/status, smaps_rollup): the figure the memory target is about ("after
   serving every page");
5. a job consumer (`flask jobs consume`) is started; once it has run the jobs the set-up left (the import's
   index job, its refresh), its RSS/PSS is read idle, then a published project is noted for the suggestion
   refresh and its RSS/PSS read after the refresh ran (--no-consumer skips this).
Prints req/s, p50 and p99 latency and the ratio to hello-world for each page, worker RSS, and the
targets: library first page and 为您推荐 ≥ 20% of hello-world with p99 ≤ 50 ms; search ≥ 10%;
import ≤ 5 ms per row (10k ≤ 60 s); worker RSS ≤ 300 MB.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlencode
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import HOST, USER_AGENT, Browser, _children, _free_port, _user_matching_cache, csrf_token  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MAX_CLIENTS = 256
MAX_SECONDS = 60
SETUP_TIMEOUT = 1200
READER = "enterprise@demo.test"
CLINICIAN = "clinician@demo.test"
CITIES = ["福州市", "厦门市", "泉州市", "漳州市", "莆田市", "三明市", "南平市", "龙岩市", "宁德市"]
DEPARTMENTS = ["心血管内科", "骨科", "检验科", "眼科", "普外科", "麻醉科", "康复医学科", "口腔科", "神经外科", "肛肠科",
               "呼吸内科", "内分泌科", "急诊科", "超声医学科", "放射科"]
TYPES = ["active", "passive", "ivd"]
CLASSES = ["I", "II", "III", "combination", "undetermined"]
STAGES = ["concept", "sample", "design_verification", "production_verification", "registration_testing",
          "clinical_trial"]
PAGES = {  # name: path (the project page's id is filled in once the data exists)
    "library first page": "/library/",
    "library filtered": "/library/?project_type=passive&device_class=II",
    "library search": "/library/?q=%E5%AF%BC%E7%AE%A1",  # 导管
    "project page": "/library/{project_id}",
    "为您推荐": "/matching/for-you",
    # the least a signed-in request costs here (session, user loader, hooks; a JSON answer, no page): the ceiling
    # any page of a signed-in reader can reach, however well it is cached
    "signed-in floor (/healthz)": "/healthz",
}
# The library's parts are cached under the data's version (app/core/caching.py): the pages above are served from
# the cache after their first request. This row asks, every request, for a filter combination drawn at random
# from 12,150 (city × department × stage × class × type), so nearly every request renders and counts afresh.
UNCACHED = "library filtered, uncached"
UNCACHED_SCRIPT = """
local paths = {%s}
math.randomseed(os.time() + tonumber(string.sub(tostring({}), 8), 16))
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def uncached_script(folder: Path) -> Path:
    """A wrk script whose every request asks for a random filter combination of the library."""
    paths = [f"/library/?{urlencode(dict(city=c, department=d, stage=s, device_class=k, project_type=t))}"
             for c in CITIES for d in DEPARTMENTS for s in STAGES for k in CLASSES for t in TYPES]
    script = folder / "uncached.lua"
    script.write_text(UNCACHED_SCRIPT % ", ".join(f'"{path}"' for path in paths))
    return script


HELLO = '''from flask import Flask
app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello, World!"
'''


def projects_jsonl(path: Path, n: int, seed: int = 12) -> None:
    """N 附件1 records recombined from real NMPA determination names and sentences (300–600 characters)."""
    sys.path.insert(0, str(REPO))
    from matching.knowledge import load_determinations

    rng = random.Random(seed)
    determinations = load_determinations()
    sentences = [s for d in determinations for s in re.split(r"(?<=。)", d["description"]) if len(s) > 6]

    def text(low: int, high: int) -> str:
        out = ""
        while len(out) < rng.randint(low, high):
            out += rng.choice(sentences)
        return out

    with open(path, "w", encoding="utf-8") as stream:
        for i in range(n):
            product = rng.choice(determinations)
            record = {
                "id": f"bench{i}", "name": product["product_name"][:60] + ("" if i < len(determinations) else f"（{i}）"),
                "city": rng.choice(CITIES), "lead_name": "测试负责人", "department": rng.choice(DEPARTMENTS),
                "phone": "13800000000", "email": f"bench{i % 200}@hospital.test",
                "project_type": rng.choice(TYPES), "device_class": rng.choice(CLASSES), "stage": rng.choice(STAGES),
                "structure": text(60, 120), "principle": text(40, 100), "intended_use": product["description"][:200],
                "clinical_prospects": text(40, 90), "market": text(30, 80), "team": "团队由临床医生和工程师组成。",
                "ip_status": "已申请发明专利一项。", "public_summary": text(40, 90),
                "commitment_agreed": True, "publish_consent": True,
            }
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")


class Instance:
    """The instance folder, the environment of the platform's commands, and the servers started on it."""

    def __init__(self, folder: Path | None, keep: bool):
        self.reused = folder is not None
        self.folder = folder or Path(tempfile.mkdtemp(prefix="clinbridge-web-speed-"))
        self.keep = keep or self.reused
        self.instance = self.folder / "instance"
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        self.env.update(CLINBRIDGE_INSTANCE_PATH=str(self.instance), PYTHONUNBUFFERED="1")
        self.env.setdefault("CLINBRIDGE_MATCHING_CACHE", str(_user_matching_cache()))
        self.processes: list[subprocess.Popen] = []

    def flask(self, *args: str) -> tuple[float, float]:
        """Run one platform command; its wall-clock and CPU seconds (the machine may be shared)."""
        started, cpu = time.perf_counter(), _children_cpu()
        with open(self.folder / "setup.log", "ab") as log:
            subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=REPO, env=self.env,
                           stdout=log, stderr=subprocess.STDOUT, check=True, timeout=SETUP_TIMEOUT)
        return time.perf_counter() - started, _children_cpu() - cpu

    def prepare(self, n: int) -> dict:
        """Database, demo data, N imported and published projects, the search index and the suggestions."""
        if self.reused:
            self.flask("db", "upgrade")  # a folder kept by older code: its schema brought to this code's
            return json.loads((self.folder / "setup.json").read_text())
        self.instance.mkdir()
        self.flask("db", "upgrade")
        self.flask("demo", "load")
        rows = self.folder / "projects.jsonl"
        projects_jsonl(rows, n)
        figures = {"projects": n}
        figures["import_s"], figures["import_cpu_s"] = self.flask("projects", "import", "--publish", str(rows))
        figures["import_ms_per_row"] = 1000 * figures["import_s"] / n
        figures["import_cpu_ms_per_row"] = 1000 * figures["import_cpu_s"] / n
        figures["reindex_s"], figures["reindex_cpu_s"] = self.flask("search", "reindex")
        figures["recompute_s"], figures["recompute_cpu_s"] = self.flask("matching", "recompute")
        (self.folder / "setup.json").write_text(json.dumps(figures))
        return figures

    def serve(self, module: str, workers: int, cwd: Path) -> tuple[subprocess.Popen, int]:
        """gunicorn -w WORKERS module:app on a free port; returns when / answers."""
        port = _free_port()
        log = open(self.folder / f"gunicorn-{module}.log", "ab")
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"{HOST}:{port}",
                                    "--timeout", "120", f"{module}:app"], cwd=cwd, env=self.env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.processes.append(process)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn {module} exited; see {self.folder}")
            try:
                Browser(port).request("GET", "/")
                return process, port
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn {module} did not answer in time")

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def close(self) -> None:
        for process in self.processes:
            self.stop(process)
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)


def _children_cpu() -> float:
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, clients: int, seconds: float, cookie: str = "", script: Path | None = None) -> dict:
    """One wrk run: req/s, p50/p99 in ms, non-2xx/3xx answers and socket errors."""
    command = ["wrk", "-t", "2", "-c", str(clients), "-d", f"{int(round(seconds))}s", "--latency", "--timeout", "10s"]
    if cookie:  # the signed-in browser's cookie and agent (another agent would fail its session's identity check)
        command += ["-H", f"Cookie: {cookie}", "-H", f"User-Agent: {USER_AGENT}"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.M))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    missing = float("nan")  # a warm-up run may finish no request within its seconds: no percentiles then
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "p50_ms": _ms(latency["50"]) if "50" in latency else missing,
            "p99_ms": _ms(latency["99"]) if "99" in latency else missing,
            "bad": int(bad.group(1)) if bad else 0, "errors": sum(map(int, errors.groups())) if errors else 0}


def session_cookie(browser: Browser) -> str:
    return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())


def memory_mb(pid: int) -> dict:
    """A process's resident set (RSS) and proportional set (PSS: shared pages divided among their users), in MB.

    RSS counts every page a process touched, the memory-mapped knowledge base's pages too, though every worker
    shares them in the page cache; PSS charges each worker its share. Both are printed.
    """
    status = Path(f"/proc/{pid}/status").read_text()
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return {"rss": int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024,
            "pss": int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1)) / 1024}


def worker_memory_mb(master: subprocess.Popen) -> list[dict]:
    return [memory_mb(pid) for pid in _children(master.pid)]


REFRESH_SCRIPT = """
from wsgi import app
from app.extensions import db
from app.projects.models import Project, ProjectStatus
from app.suggestions.jobs import request_refresh
with app.app_context():
    project = db.session.scalars(db.select(Project).where(Project.status == ProjectStatus.PUBLISHED).limit(1)).first()
    request_refresh(project=project)
    db.session.commit()
"""
QUEUED_SCRIPT = """
from wsgi import app
from app.core.jobs import huey
with app.app_context():
    print(huey.pending_count() + huey.scheduled_count())
"""

PENDING_SCRIPT = """
from wsgi import app
from app.extensions import db
from app.suggestions.models import RefreshRequest
with app.app_context():
    print(db.session.scalar(db.select(db.func.count()).select_from(RefreshRequest)))
"""


def consumer_memory(instance: "Instance", timeout: float = 600) -> dict:
    """The job consumer's memory idle, then after it ran one incremental suggestion refresh (a published project noted)."""
    log = open(instance.folder / "consumer.log", "ab")
    consumer = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "consume", "--workers", "2"],
                                cwd=REPO, env=instance.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    instance.processes.append(consumer)
    figures: dict = {}
    python = [sys.executable, "-c"]
    try:
        # the jobs the set-up left (the import's index job, its refresh) run first; "idle" is after them
        started = time.monotonic()
        time.sleep(3)
        while time.monotonic() - started < timeout and subprocess.run(
                python + [QUEUED_SCRIPT], cwd=REPO, env=instance.env, check=True, timeout=120, capture_output=True,
                text=True).stdout.split()[-1] != "0":
            time.sleep(3)
        figures["backlog_s"] = time.monotonic() - started
        time.sleep(5)   # a job taken off the queue may still be running
        figures["idle"] = memory_mb(consumer.pid)
        subprocess.run(python + [REFRESH_SCRIPT], cwd=REPO, env=instance.env, check=True, timeout=120,
                       capture_output=True)
        started, peak = time.monotonic(), 0.0
        while time.monotonic() - started < timeout:
            time.sleep(3)
            peak = max(peak, memory_mb(consumer.pid)["rss"])
            left = subprocess.run(python + [PENDING_SCRIPT], cwd=REPO, env=instance.env, check=True, timeout=120,
                                  capture_output=True, text=True).stdout.split()[-1]
            if left == "0":
                break
        figures["refresh_s"] = time.monotonic() - started
        figures["done"] = left == "0"
        figures["after_refresh"] = memory_mb(consumer.pid)
        figures["peak_rss_while_refreshing"] = peak
    finally:
        instance.stop(consumer)
    return figures


def classify_everywhere(port: int, workers: int) -> int:
    """参考分类 asked by a clinician on fresh connections until every worker has likely served it; answers 200."""
    clinician = Browser(port)
    clinician.sign_in(CLINICIAN)
    token = csrf_token(clinician.request("GET", "/projects/new").text)
    ok = 0
    for _ in range(4 * workers):
        import http.client
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        body = json.dumps({"name": "一次性使用痔疮套扎器", "structure": "由套扎组件和负压管组成",
                           "intended_use": "用于内痔的套扎治疗"})
        connection.request("POST", "/matching/classify", body=body, headers={
            "Content-Type": "application/json", "X-CSRFToken": token, "Cookie": session_cookie(clinician),
            "User-Agent": "clinbridge-bench-load"})
        answer = connection.getresponse()
        body = answer.read()
        connection.close()
        if answer.status != 200:
            raise RuntimeError(f"参考分类: HTTP {answer.status} {body[:200]!r}")
        ok += 1
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the instance folder (for --reuse)")
    parser.add_argument("--reuse", type=Path, help="a folder kept by an earlier --keep run: skip the set-up")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-consumer", action="store_true", help="skip the job consumer's memory around a refresh")
    args = parser.parse_args()
    args.clients = max(1, min(args.clients, MAX_CLIENTS))
    args.seconds = max(1.0, min(args.seconds, MAX_SECONDS))
    if shutil.which("wrk") is None:
        print("wrk not found (apt-get install wrk)", file=sys.stderr)
        return 2

    instance = Instance(args.reuse, args.keep)
    result: dict = {"clients": args.clients, "seconds": args.seconds, "workers": args.workers}
    try:
        result["setup"] = instance.prepare(args.projects)
        hello_dir = instance.folder / "hello"
        hello_dir.mkdir(exist_ok=True)
        (hello_dir / "hello.py").write_text(HELLO)
        hello, port = instance.serve("hello", args.workers, hello_dir)
        wrk(f"http://{HOST}:{port}/", args.clients, 2)
        result["hello-world"] = wrk(f"http://{HOST}:{port}/", args.clients, args.seconds)
        instance.stop(hello)

        app, port = instance.serve("wsgi", args.workers, REPO)
        reader = Browser(port)
        reader.sign_in(READER)
        cookie = session_cookie(reader)
        page = reader.request("GET", "/library/").text
        project_id = re.search(r'href="/library/(\d+)"', page).group(1)
        pages = {name: path.format(project_id=project_id) for name, path in PAGES.items()}
        for name, path in pages.items():
            answer = reader.request("GET", path)
            if answer.status != 200:
                raise RuntimeError(f"{name} {path}: HTTP {answer.status}")
            cookie = session_cookie(reader)   # as the browser holds it now (a page may have added its CSRF token)
            if reader.request("GET", path).sets_cookie:   # the load would re-sign a cookie on every request
                raise RuntimeError(f"{name} {path}: a second visit sets a cookie again")
            wrk(f"http://{HOST}:{port}{path}", args.clients, 2, cookie)
            result[name] = wrk(f"http://{HOST}:{port}{path}", args.clients, args.seconds, cookie)
            result[name]["ratio"] = result[name]["rps"] / result["hello-world"]["rps"]
        script = uncached_script(instance.folder)
        result[UNCACHED] = wrk(f"http://{HOST}:{port}/library/", args.clients, args.seconds, cookie, script)
        result[UNCACHED]["ratio"] = result[UNCACHED]["rps"] / result["hello-world"]["rps"]
        result["memory_after_pages_mb"] = worker_memory_mb(app)
        result["classify_ok"] = classify_everywhere(port, args.workers)
        result["memory_after_classify_mb"] = worker_memory_mb(app)
        for name, path in pages.items():  # every page once more after 参考分类: the figure the target is about
            reader.request("GET", path)
        result["memory_after_everything_mb"] = worker_memory_mb(app)
        result["load_average"] = os.getloadavg()
        instance.stop(app)
        if not args.no_consumer:
            result["consumer_mb"] = consumer_memory(instance)
    finally:
        instance.close()
    if args.keep and not args.reuse:
        result["kept"] = str(instance.folder)
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else report(result))
    return 0


def report(result: dict) -> str:
    setup = result["setup"]
    lines = [f"{setup['projects']} published projects; import {setup['import_s']:.1f} s "
             f"({setup['import_ms_per_row']:.2f} ms/row; CPU {setup.get('import_cpu_ms_per_row', float('nan')):.2f} "
             f"ms/row, the process start included), search reindex {setup['reindex_s']:.1f} s, "
             f"full recompute {setup['recompute_s']:.1f} s",
             f"gunicorn -w {result['workers']}, wrk {result['clients']} connections x "
             f"{result['seconds']:.0f} s per page",
             "", f"{'page':<26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7}  bad/errors"]
    for name in ["hello-world", *PAGES, UNCACHED]:
        row = result[name]
        ratio = f"{100 * row['ratio']:.1f}%" if "ratio" in row else "100%"
        lines.append(f"{name:<26} {row['rps']:>8.0f} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {ratio:>7}  "
                     f"{row['bad']}/{row['errors']}")
    def sizes(rows):
        return ", ".join(f"{m['rss']:.0f}/{m['pss']:.0f}" for m in rows)
    lines.append("")
    lines.append(f"load average at the end: {', '.join(f'{x:.1f}' for x in result['load_average'])}")
    lines.append("worker RSS/PSS MB after every page: " + sizes(result["memory_after_pages_mb"]))
    lines.append(f"worker RSS/PSS MB after 参考分类 too ({result['classify_ok']} answered): "
                 + sizes(result["memory_after_classify_mb"]))
    lines.append("worker RSS/PSS MB after every page again: " + sizes(result["memory_after_everything_mb"]))
    consumer = result.get("consumer_mb")
    if consumer:
        lines.append(f"job consumer RSS/PSS MB idle (after {consumer.get('backlog_s', 0):.0f} s of jobs left by the set-up) "
                     f"{sizes([consumer['idle']])}, after an incremental refresh "
                     f"({consumer['refresh_s']:.0f} s, {'done' if consumer['done'] else 'NOT finished'}) "
                     f"{sizes([consumer['after_refresh']])}, peak RSS {consumer['peak_rss_while_refreshing']:.0f} "
                     "(the ranking runs in a child process)")
    checks = [
        ("library first page ≥ 20% of hello-world, p99 ≤ 50 ms",
         result["library first page"]["ratio"] >= 0.2 and result["library first page"]["p99_ms"] <= 50),
        ("为您推荐 ≥ 20% of hello-world, p99 ≤ 50 ms",
         result["为您推荐"]["ratio"] >= 0.2 and result["为您推荐"]["p99_ms"] <= 50),
        ("search page ≥ 10% of hello-world", result["library search"]["ratio"] >= 0.1),
        ("import ≤ 5 ms per row (wall clock)", setup["import_ms_per_row"] <= 5),
        ("worker RSS ≤ 300 MB after every page and 参考分类",
         max(m["rss"] for m in result["memory_after_everything_mb"]) <= 300),
    ]
    if consumer:
        checks.append(("job consumer RSS ≤ 300 MB after a refresh", consumer["after_refresh"]["rss"] <= 300))
    lines += [""] + [f"{'met    ' if ok else 'NOT met'}  {text}" for text, ok in checks]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
