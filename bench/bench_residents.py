#!/usr/bin/env python
"""Benchmark: residents import (CSV and .xlsx) against raw COPY, import memory, search.

Run by hand (not part of the test suite), on PostgreSQL, in a database of its own:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/governance_res_bench \\
        .venv/bin/python bench/bench_residents.py --residents 100000 --big 1000000

It creates the database when missing, migrates it, generates a city (``--grids``)
when missing, and then, with the residents tables emptied before each import:

1. writes ``--residents`` generated residents as a CSV import file and as .xlsx, twice:
   as openpyxl writes it (every text inline) and as Excel writes it (``excel_like``:
   text in shared strings, what users' ledgers hold);
2. ``--repeat`` times, one right after the other (so that each ratio compares figures
   taken under the same load of a shared machine): imports the CSV (validation,
   encryption, housing upserts, COPY) into the emptied tables; dumps the resident rows
   it wrote and COPYs them back into the emptied table (the database's own ceiling for
   the same rows, indexes and foreign keys); imports the .xlsx (openpyxl's, then
   Excel's: ``xlsx_excel_import``); imports the CSV with
   the other choice of ``RESIDENT_IMPORT_PROCESSES`` (0 when it is set, else 2: rows
   checked in the importing process or in two workers, for comparison). Each with rows/s, the
   CPU seconds of the importing process and its worker processes, and of the database
   backends serving it (from /proc). Then the median of each and of the ratios;
3. imports the .xlsx as an upload through the page or the API runs it (``xlsx_import_job``:
   the job stores the file encrypted, counts its rows for the progress bar, imports it);
   imports the CSV twice (new, then every row unchanged), and COPYs the rows into an
   index-free copy of the table (no indexes, no constraints: the bare ceiling);
4. writes ``--big`` residents as CSV and imports them with ``manage.py
   import_residents`` in a child process: rows/s, the child's peak RSS, and the peak of
   the proportional set size (PSS) summed over it and its worker processes (pages the
   forked workers share with it counted once); with ``--big-xlsx``, the same rows as an
   .xlsx first, written as Excel writes it (``excel_like``: shared strings; a sheet that big
  is read in parts);
5. measures search (name prefix, exact ID number, exact phone) on the big data set as
   a grid worker, a district administrator and a superuser: median / p95 ms and queries.

Targets (issues 3 and 15): ≥ 30,000 validated rows/s from CSV and ≥ 0.6 of the raw
COPY into the real table measured in the same run (printed as ``ratios``, each import
against the raw COPY next to it); .xlsx ≥ 20,000 rows/s; < 500 MB peak for 1,000,000
rows; search well under a second. Each figure comes with ``rows_per_s_cores_full``: the
rows/s had the CPU seconds it used (the import's processes and the database's) kept
every core of the machine busy from start to end — the most that work can give here. Run it under ``flock /work/wt/bench.lock`` and write
down ``uptime`` before and after: the machine is shared.
"""

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
os.environ.setdefault("DEBUG", "1")

from bench_grids import ensure_database, percentile  # noqa: E402
from excel_like import write_excel_like  # noqa: E402

RESIDENT_TABLES = "residents_residenttag, residents_carevisit, residents_resident, residents_household, residents_room, " \
                  "residents_unit, residents_building"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grids", type=int, default=1200)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000, help="rows of the memory run (0 skips it)")
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", default=str(ROOT / "var" / "bench"))
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--only-big", action="store_true", help="skip steps 1–4 (the 100,000-row figures)")
    parser.add_argument("--big-xlsx", action="store_true", help="step 4 also imports the --big rows as .xlsx")
    parser.add_argument("--repeat", type=int, default=3, help="runs of step 2 (medians are reported)")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it is created when missing).")
    ensure_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from governance.generation import city_delete, generate_city
    from grids.models import Area
    from residents.generation import generate_residents
    from residents.imports import import_file, resident_import_start
    from residents.models import ImportStatus

    def upload_run(path):
        from django.core.files import File

        with open(path, "rb") as handle:
            return resident_import_start(actor=None, upload=File(handle), name=path.name, run_inline=True)

    call_command("migrate", verbosity=0)
    city_code = "439900000000"
    if Area.objects.filter(code__startswith=city_code[:4], level="grid").count() != args.grids:
        city_delete(city_code)
        generated = generate_city(grids=args.grids, seed=args.seed, city_code=city_code)
        print(f"generated {generated.grids} grids, {generated.users} users in {generated.seconds:.1f} s", flush=True)
    city = Area.objects.get(code=city_code)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    results = {"residents": args.residents, "grids": args.grids, "server_version": connection.pg_version}

    def empty():
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {RESIDENT_TABLES} RESTART IDENTITY CASCADE")

    database = connection.settings_dict["NAME"]

    def timed(label, action, rows, into=None):
        """Run ``action``; record its rows/s and CPU seconds (this process and its
        reaped children; the database backends serving this database)."""
        own, children = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
        with BackendCpu(database) as backends:
            started = time.perf_counter()
            outcome = action()
            seconds = time.perf_counter() - started
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        figures = {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
                   "cpu_s_python": round(time.process_time() - own + reaped.ru_utime + reaped.ru_stime
                                         - children.ru_utime - children.ru_stime, 2),
                   "cpu_s_database": round(backends.seconds, 2), "load": round(os.getloadavg()[0], 1)}
        # The machine's ceiling for that CPU work: its rows/s were every core busy all along.
        busy = max(figures["cpu_s_python"], figures["cpu_s_database"],
                   (figures["cpu_s_python"] + figures["cpu_s_database"]) / (os.cpu_count() or 1))
        figures["rows_per_s_cores_full"] = round(rows / busy) if busy else None
        (into if into is not None else results)[label] = figures
        print(label, figures, flush=True)
        return outcome

    def timed_import(path, label, into=None):
        result, _report = timed(label, lambda: import_file(actor=None, path=path), args.residents, into)
        assert result.errors == 0 and result.rows == args.residents, result.error_sample[:3]
        (into if into is not None else results)[label].update(created=result.created, unchanged=result.unchanged)

    if args.only_big:
        run_big(args, city, results, empty)
        return report(args, results)
    # 1. The files.
    csv_path = workdir / f"residents-{args.residents}.csv"
    xlsx_path = workdir / f"residents-{args.residents}.xlsx"
    excel_path = workdir / f"residents-{args.residents}-excel.xlsx"
    started = time.perf_counter()
    generate_residents(city=city, count=args.residents, seed=args.seed, path=csv_path, to_database=False)
    results["write_csv_s"] = round(time.perf_counter() - started, 2)
    write_xlsx(csv_path, xlsx_path)
    write_excel_like(csv_path, excel_path)

    # 2. The imports and the raw COPY, --repeat times, one right after the other.
    runs = results["runs"] = []
    results["processes"] = settings.RESIDENT_IMPORT_PROCESSES
    other = "csv_import_in_process" if settings.RESIDENT_IMPORT_PROCESSES else "csv_import_2_processes"
    for _number in range(args.repeat):
        run = {}
        empty()
        timed_import(csv_path, "csv_import", run)
        with tempfile.TemporaryFile() as dump, connection.cursor() as cursor:
            cursor.cursor.copy_expert("COPY residents_resident TO STDOUT", dump)
            dump.seek(0)
            cursor.execute("TRUNCATE residents_residenttag, residents_carevisit, residents_resident CASCADE")
            timed("raw_copy", lambda: cursor.cursor.copy_expert("COPY residents_resident FROM STDIN", dump, size=1 << 24),
                  args.residents, run)
        empty()
        timed_import(xlsx_path, "xlsx_import", run)
        empty()
        timed_import(excel_path, "xlsx_excel_import", run)
        # The same CSV import with the other choice of worker processes (none, or two).
        empty()
        processes = settings.RESIDENT_IMPORT_PROCESSES
        settings.RESIDENT_IMPORT_PROCESSES = 0 if processes else 2
        timed_import(csv_path, other, run)
        settings.RESIDENT_IMPORT_PROCESSES = processes
        run["ratios"] = {label: round(run[label]["rows_per_s"] / run["raw_copy"]["rows_per_s"], 2)
                         for label in ("csv_import", "xlsx_import", "xlsx_excel_import", other)}
        print("ratios to the raw COPY next to them", run["ratios"], flush=True)
        runs.append(run)
    results["median"] = {
        label: {key: statistics.median(run[label][key] for run in runs) for key in runs[0][label]}
        for label in ("csv_import", "raw_copy", "xlsx_import", "xlsx_excel_import", other)
    }
    results["ratios"] = {label: statistics.median(run["ratios"][label] for run in runs) for label in run["ratios"]}
    print("median of", args.repeat, json.dumps(results["median"]), flush=True)
    print("ratios to raw COPY into the real table (median)", results["ratios"], flush=True)

    # 3. The .xlsx as an upload through the page or the API runs it (a job: the file
    # stored encrypted, its rows counted for progress, then imported); re-import
    # (unchanged), and the bare ceiling: COPY into an index-free copy.
    empty()
    job = timed("xlsx_import_job", lambda: upload_run(xlsx_path), args.residents)
    assert (job.status, job.rows, job.errors) == (ImportStatus.DONE, args.residents, 0), job.message
    job.file.delete(save=False)  # the stored upload: not left for the retention purge at every run
    job.delete()
    empty()
    timed_import(csv_path, "csv_import_again")
    timed_import(csv_path, "csv_reimport_unchanged")
    with tempfile.TemporaryFile() as dump, connection.cursor() as cursor:
        cursor.cursor.copy_expert("COPY residents_resident TO STDOUT", dump)
        dump.seek(0)
        cursor.execute("DROP TABLE IF EXISTS bench_resident_plain")
        cursor.execute("CREATE TABLE bench_resident_plain (LIKE residents_resident INCLUDING DEFAULTS)")
        timed("raw_copy_no_indexes",
              lambda: cursor.cursor.copy_expert("COPY bench_resident_plain FROM STDIN", dump, size=1 << 24), args.residents)
        cursor.execute("DROP TABLE bench_resident_plain")

    # 4. and 5.
    if args.big:
        run_big(args, city, results, empty)
    else:
        empty()
        import_file(actor=None, path=csv_path)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        results["search"] = search_benchmark(csv_path, args.searches, args.seed)
    report(args, results)


def run_big(args, city, results, empty):
    """Import --big rows with the management command in a child process (time, peak
    RSS), then measure search on them."""
    from django.db import connection

    from residents.generation import generate_residents

    big_path = Path(args.workdir) / f"residents-{args.big}.csv"
    if not big_path.exists():
        generate_residents(city=city, count=args.big, seed=args.seed + 1, path=big_path, to_database=False)
    if args.big_xlsx:
        # The same rows as an .xlsx written as Excel writes it (shared strings); a sheet this
        # big is read in parts (IMPORT_XLSX_CALAMINE_CELLS).
        xlsx_path = big_path.with_name(f"{big_path.stem}-excel.xlsx")
        if not xlsx_path.exists():
            write_excel_like(big_path, xlsx_path)
        empty()
        results["big_xlsx_import"] = child_import(xlsx_path, args.big)
        print("big_xlsx_import", results["big_xlsx_import"], flush=True)
    empty()
    results["big_import"] = child_import(big_path, args.big)
    print("big_import", results["big_import"], flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    results["search"] = search_benchmark(big_path, args.searches, args.seed)


def write_xlsx(csv_path: Path, xlsx_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("实有人口")
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        for cells in csv.reader(handle):
            sheet.append(cells)
    workbook.save(xlsx_path)


def child_import(path: Path, rows: int) -> dict:
    """Import a file with the management command in a child process: its time, its peak
    RSS and the peak PSS summed over it and its worker processes."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen([sys.executable, "manage.py", "import_residents", str(path)], cwd=ROOT,
                                 stdout=out, stderr=err, text=True)
        peak_pss = 0
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)  # this child's own rusage once it ends
            if pid:
                child.returncode = os.waitstatus_to_exitcode(status)
                break
            peak_pss = max(peak_pss, tree_pss(child.pid))
            time.sleep(0.5)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            sys.exit(err.read())
        output = out.read().strip()
    return {"rows": rows, "seconds": round(seconds, 1), "rows_per_s": round(rows / seconds),
            "peak_rss_mb": round(usage.ru_maxrss / 1024), "peak_pss_tree_mb": round(peak_pss / 1024),
            "load": round(os.getloadavg()[0], 1), "output": output}


class BackendCpu:
    """CPU seconds used, while it is entered, by the PostgreSQL backends serving the
    database (their /proc entries, polled every 50 ms: a backend that ends meanwhile
    counts up to its last poll)."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, database: str):
        self.marker = f" {database} ".encode()
        self.seen: dict[str, float] = {}
        self.others: set[str] = set()  # processes that are not its backends
        self.stop = threading.Event()

    def _poll(self):
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or pid in self.others:
                continue
            try:
                if pid not in self.seen:
                    with open(f"/proc/{pid}/cmdline", "rb") as handle:
                        command = handle.read()
                    if not command.startswith(b"postgres: ") or self.marker not in command:
                        if b"postgres" not in command:
                            # Read once: the poll runs in the measured process, and reading every
                            # process's command line 20 times a second cost ~2% of a core. (A new
                            # backend shows the postmaster's command line until it names its database.)
                            self.others.add(pid)
                        continue
                with open(f"/proc/{pid}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            self.seen[pid] = (int(fields[11]) + int(fields[12])) / self.TICK

    def _run(self):
        while not self.stop.wait(0.05):
            self._poll()

    def __enter__(self):
        self._poll()
        self.base = dict(self.seen)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self._poll()
        self.seconds = sum(value - self.base.get(pid, 0) for pid, value in self.seen.items())


def tree_pss(pid: int) -> int:
    """KiB of proportional set size of a process and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    parent = int(handle.read().rsplit(b")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry))
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        stack.extend(children.get(current, []))
        try:
            with open(f"/proc/{current}/smaps_rollup") as handle:
                total += sum(int(line.split()[1]) for line in handle if line.startswith("Pss:"))
        except OSError:
            continue
    return total


def report(args, results):
    print("search", json.dumps(results.get("search"), ensure_ascii=False, indent=1), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(json.dumps(results, ensure_ascii=False, indent=2))


def search_benchmark(path: Path, count: int, seed: int) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Role, RoleAssignment, User
    from accounts.scoping import forget_scope
    from residents.selectors import resident_search

    rng = random.Random(seed)
    sample = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for number, cells in enumerate(reader):
            if number % 997 == 0:
                sample.append(cells)
    rng.shuffle(sample)
    sample = sample[:count]
    superuser = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser("bench_admin", password="x")
    workers = {a.area.code: a.user for a in RoleAssignment.objects.filter(role=Role.GRID_WORKER, revoked_at=None)
               .select_related("user", "area")}
    district_admins = {a.area.code[:6]: a.user for a in RoleAssignment.objects.filter(role=Role.ADMIN, area__level="district")
                       .select_related("user", "area")}
    figures = {}

    def measure(label, cases):
        if not cases:  # --searches 0, or no user of that kind
            figures[label] = {"searches": 0}
            return
        timings, queries, hits = [], [], 0
        for user, query in cases:
            forget_scope(user)  # each search computes the user's scope, as a request does
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                found = resident_search(user, query, limit=50)
                timings.append((time.perf_counter() - started) * 1000)
            queries.append(len(captured.captured_queries))
            hits += bool(found)
        figures[label] = {"searches": len(cases), "found": hits, "ms_median": round(statistics.median(timings), 2),
                          "ms_p95": round(percentile(timings, 0.95), 2), "ms_max": round(max(timings), 2),
                          "queries_max": max(queries)}

    with_worker = [cells for cells in sample if cells[8] in workers]
    measure("name_prefix_as_grid_worker", [(workers[c[8]], c[0][:2]) for c in with_worker])
    measure("name_prefix_as_district_admin", [(district_admins[c[8][:6]], c[0][:2]) for c in sample if c[8][:6] in district_admins])
    measure("name_prefix_as_superuser", [(superuser, c[0][:2]) for c in sample])
    measure("id_number_as_superuser", [(superuser, c[3]) for c in sample])
    measure("id_number_as_grid_worker", [(workers[c[8]], c[3]) for c in with_worker])
    measure("phone_as_district_admin", [(district_admins[c[8][:6]], c[4]) for c in sample if c[4] and c[8][:6] in district_admins])
    return figures


if __name__ == "__main__":
    main()
