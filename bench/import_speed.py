#!/usr/bin/env python3
"""Projects import speed: N realistic 附件1 rows imported with --publish into a scratch instance.

usage: python bench/import_speed.py [--rows 1000] [--searches 20] [--database-url URL] [--no-profile]

The rows are the web_speed bench's (bench/web_speed.py projects_jsonl: real NMPA determination names and
sentences, 300–600 characters of text). The scratch instance (SQLite unless --database-url, which is emptied)
holds a verified enterprise with --searches saved searches (words and filters), so each published project is
probed. Timed: import_projects(publish=True) and the commit, index jobs run in this process on commit
(JOBS_IMMEDIATE), i.e. the whole cost of making every row searchable. Printed: rows, wall s, CPU ms per row
(process time, the figure to compare on a shared machine), jobs queued, load average, top-10 cumulative profile.
Target (issue 12): ≤ 5 ms per row, 10k rows ≤ 60 s.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_scratch import REPO, scratch_app  # noqa: E402
from web_speed import projects_jsonl  # noqa: E402

sys.path.insert(0, str(REPO))

QUERIES = ["导管", "支架", "体外诊断", "监护", "\"一次性使用\"", "超声", "内窥镜", "敷料", "骨科 植入", "检测试剂盒",
           "呼吸", "手术", "穿刺针", "CT", "血糖", "眼科", "康复", "激光", "牙科", "冠状动脉"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="clinbridge-import-bench-"))
    rows = folder / "projects.jsonl"
    projects_jsonl(rows, args.rows)
    with scratch_app("whoosh", args.database_url) as (app, _instance):
        from app.accounts.models import Organisation, OrgStatus, Role, User
        from app.core import jobs
        from app.extensions import db
        from app.projects import search
        from app.projects.importer import import_projects
        from app.projects.models import Project, SavedSearch
        with app.test_request_context():
            org = Organisation(name="基准企业", kind=Role.ENTERPRISE, uscc="91350100MA00000001", status=OrgStatus.VERIFIED)
            user = User(email="reader@bench.test", name="读者", role=Role.ENTERPRISE, active=True,
                        password_hash="", organisation=org)
            db.session.add_all([org, user])
            db.session.flush()
            for i in range(args.searches):
                filters = {"city": "福州市"} if i % 3 == 0 else {}
                db.session.add(SavedSearch(user_id=user.id, name=f"搜索{i}", query=QUERIES[i % len(QUERIES)],
                                           filters=filters))
            db.session.commit()
            search.backend().open()  # the index exists (empty), as on a running platform: no first fill
            warm = time.process_time()
            search.analyzer()  # jieba's dictionary: loaded once per process (the import CLI pays it once)
            warm = time.process_time() - warm
            profiler = cProfile.Profile()
            wall, cpu = time.perf_counter(), time.process_time()
            if not args.no_profile:
                profiler.enable()
            report = import_projects(rows, publish=True)
            queued = jobs.pending()
            db.session.flush()
            if not args.no_profile:
                profiler.disable()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            job_wall, job_cpu = time.perf_counter(), time.process_time()
            db.session.commit()  # JOBS_IMMEDIATE: the queued jobs (the index) run here, in this process
            job_wall, job_cpu = time.perf_counter() - job_wall, time.process_time() - job_cpu
            indexed = search.backend().indexed_ids()
            listed = db.session.scalar(db.select(db.func.count()).select_from(Project))
            names = {}
            for task, _args in queued:
                names[task] = names.get(task, 0) + 1
            print(f"rows {args.rows}  created {report.created}  errors {len(report.errors)}  projects {listed}")
            print(f"import: wall {wall:.1f} s ({1000 * wall / args.rows:.2f} ms/row)  CPU {cpu:.1f} s "
                  f"({1000 * cpu / args.rows:.2f} ms/row; target ≤ 5)  load average {os.getloadavg()}")
            print(f"jieba dictionary load before the import (once per process): CPU {warm:.1f} s")
            print(f"commit + queued jobs run in this process: wall {job_wall:.1f} s, CPU {job_cpu:.1f} s "
                  f"({1000 * job_cpu / args.rows:.2f} ms/row); searchable afterwards: {len(indexed)}")
            print(f"import + index: CPU {1000 * (cpu + job_cpu) / args.rows:.2f} ms/row")
            print("jobs queued:", ", ".join(f"{name.rsplit('.', 1)[-1]} ×{count}" for name, count in names.items()))
            print("notifications:", db.session.scalar(db.text("select count(*) from notification")))
            if not args.no_profile:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(20)
                print(out.getvalue())
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(10)
                print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
