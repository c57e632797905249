"""`accelmark run` with the endpoint runner against servers the tests start on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from cli_checks import assert_one_sentence  # noqa: E402
from openai_server import FakeOpenAI  # noqa: E402

RUNNER = "other_openai_endpoint"


def run(cli, tmp_path, *args, env_extra=None):
    argv, env = cli(tmp_path, "run", "--runner", RUNNER, "--output-dir", str(tmp_path / "out"), *args)
    env.update(env_extra or {})
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, stdin=subprocess.DEVNULL)


def result_of(proc) -> tuple[Path, dict]:
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    run_dir = Path(out["run_dir"])
    return run_dir, json.loads((run_dir / "result.json").read_text())


@pytest.fixture(scope="module")
def fake():
    with FakeOpenAI(tokens=12, ttft_ms=2, itl_ms=1) as srv:
        yield srv


def test_online_run_with_faults_completes_and_counts_them(cli, tmp_path):
    cycle = ["ok", "ok", "500", "ok", "429", "ok", "reset", "ok", "malformed", "ok"]
    with FakeOpenAI(tokens=8, fault_cycle=cycle) as srv:
        proc = run(cli, tmp_path, "--base-url", srv.base_url, "--scenario", "online", "--runs", "1",
                   "--warmup", "0", "--json")
    run_dir, doc = result_of(proc)
    rows = doc["metrics"]["online"]["results_by_qps"]
    errors: dict[str, int] = {}
    for row in rows:
        for k, v in row["errors"].items():
            errors[k] = errors.get(k, 0) + v
    assert errors == {"http_500": 2, "http_429": 2, "connection_reset": 2, "malformed_sse": 2}
    assert sum(r["requests_failed"] for r in rows) == 8 and all(r["ttft_ms"]["n"] == 6 for r in rows)
    ep = doc["task"]["extra_config"]["endpoint"]
    assert ep["hardware_source"] == "local" and ep["served_model"] == "fake-model"
    assert doc["model"]["model_source"] is None and doc["model"]["model_name"] == "fake-model"
    from accelmark_tui.results.validate import validate_result

    assert validate_result(doc) == []


def test_sweep_and_peak_land_under_new_metrics_keys(cli, tmp_path, fake):
    proc = run(cli, tmp_path, "--base-url", fake.base_url, "--model", "fake-model", "--scenario", "sweep,peak",
               "--levels", "1,4", "--requests", "8", "--sla-ttft-ms", "500", "--peak-start", "20",
               "--peak-max", "80", "--json")
    run_dir, doc = result_of(proc)
    sweep, peak = doc["metrics"]["sweep"], doc["metrics"]["peak"]
    assert [p["concurrency"] for p in sweep["points"]] == [1, 4] and sweep["pareto_front"]
    assert all(p["completed"] == 8 and p["tokens_per_sec_per_user"] > 0 for p in sweep["points"])
    assert [t["rate"] for t in peak["trials"]] == [20.0, 40.0, 80.0]
    assert peak["max_rate_meeting_sla"] == 80.0 and "highest rate allowed" in peak["stopped"]
    # accelmark's own scenarios never enter upstream's scenarios_run; their folders hold <name>.json.
    assert doc["task"]["scenarios_run"] == []
    assert not doc["meta"]["notes"]  # finished, not "partial"
    assert doc["meta"]["benchmark_elapsed_minutes_note"] == "Total across ['sweep', 'peak'] scenarios."
    assert (run_dir / "sweep" / "sweep.json").is_file() and (run_dir / "peak" / "peak.json").is_file()
    assert not (run_dir / "sweep" / "result.json").exists()


def test_sweep_and_peak_appear_wherever_results_do_even_when_run_apart(cli, tmp_path, fake):
    """A sweep measured first, a peak search later into the same run folder: text, Markdown, CSV and the
    merged result all carry both (the second run used to drop the first's own scenarios)."""
    common = ("--base-url", fake.base_url, "--model", "fake-model", "--requests", "6", "--runs", "1",
              "--warmup", "0", "--sla-ttft-ms", "500")
    run_dir, _ = result_of(run(cli, tmp_path, *common, "--scenario", "interactive,sweep", "--levels", "1,2",
                               "--json"))
    again, doc = result_of(run(cli, tmp_path, *common, "--scenario", "peak", "--peak-start", "20",
                               "--peak-max", "40", "--json"))
    assert again == run_dir and set(doc["metrics"]) >= {"interactive", "sweep", "peak"}

    def show(*fmt):
        argv, env = cli(tmp_path, "results", "show", str(run_dir), *fmt)
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    text, md, table = show(), show("--markdown"), show("--csv")
    assert "Sweep (throughput per system" in text and "Peak search: peak" in text
    assert "| sweep " in md and "| peak " in md and "| c=2 " in md
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(table)))
    assert [r["test"] for r in rows if r["scenario"] == "sweep"] == ["c=1", "c=2"]
    assert {r["test"] for r in rows if r["scenario"] == "peak"} >= {"rate=20", "rate=40", "sla"}
    assert next(r for r in rows if r["test"] == "sla")["max_qps_sla"] == "40.0"


def test_peak_search_with_no_rate_meeting_the_sla(cli, tmp_path):
    with FakeOpenAI(tokens=4, ttft_ms=40) as srv:
        proc = run(cli, tmp_path, "--base-url", srv.base_url, "--scenario", "peak", "--sla-ttft-ms", "10",
                   "--peak-start", "10", "--requests", "5", "--json")
    _, doc = result_of(proc)
    peak = doc["metrics"]["peak"]
    assert peak["max_rate_meeting_sla"] is None and all(not t["met"] for t in peak["trials"])
    # Halving down from the first miss, giving up at an eighth of the start rate.
    assert [t["rate"] for t in peak["trials"]] == [10.0, 5.0, 2.5, 1.25] and "no rate down to" in peak["stopped"]


def test_key_from_a_named_variable_is_used_and_never_written(cli, tmp_path):
    secret = "sk-cli-test-" + "k" * 24
    with FakeOpenAI(tokens=4, api_key=secret) as srv:
        proc = run(cli, tmp_path, "--base-url", srv.base_url, "--api-key-env", "MY_ENDPOINT_KEY",
                   "--scenario", "interactive", "--runs", "1", "--json", env_extra={"MY_ENDPOINT_KEY": secret})
        run_dir, doc = result_of(proc)
        assert doc["task"]["extra_config"]["endpoint"]["hardware_source"] == "local"
        bad = run(cli, tmp_path, "--base-url", srv.base_url, "--api-key-env", "MY_ENDPOINT_KEY",
                  env_extra={"MY_ENDPOINT_KEY": "wrong"})
    assert_one_sentence(bad, "refused", "401")
    assert secret not in proc.stdout + proc.stderr
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert secret.encode() not in f.read_bytes(), f


def test_localhost_counts_as_local_hardware(cli, tmp_path, fake):
    url = fake.base_url.replace("127.0.0.1", "localhost")
    proc = run(cli, tmp_path, "--base-url", url, "--scenario", "interactive", "--runs", "1", "--json")
    _, doc = result_of(proc)
    assert doc["task"]["extra_config"]["endpoint"]["hardware_source"] == "local"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_url(cli, tmp_path):
    assert_one_sentence(run(cli, tmp_path, "--base-url", f"http://127.0.0.1:{free_port()}"), "cannot connect")


def test_wrong_model_name(cli, tmp_path, fake):
    assert_one_sentence(run(cli, tmp_path, "--base-url", fake.base_url, "--model", "gpt-9"), "does not serve",
                        "fake-model")


def test_missing_key_variable(cli, tmp_path, fake):
    assert_one_sentence(run(cli, tmp_path, "--base-url", fake.base_url, "--api-key-env", "NO_SUCH_VAR_XYZ"),
                        "NO_SUCH_VAR_XYZ", "not set")


def test_key_itself_instead_of_a_variable_name(cli, tmp_path, fake):
    proc = run(cli, tmp_path, "--base-url", fake.base_url, "--api-key-env", "sk-abcdef123456")
    assert_one_sentence(proc, "name of an environment variable")
    assert "sk-abcdef123456" not in proc.stderr


def test_non_openai_server(cli, tmp_path):
    with FakeOpenAI(non_openai=True) as srv:
        assert_one_sentence(run(cli, tmp_path, "--base-url", srv.base_url), "does not look like an OpenAI")


def test_server_that_never_answers_http(cli, tmp_path):
    class Silent(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"object": "list"}')

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Silent)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        proc = run(cli, tmp_path, "--base-url", f"http://127.0.0.1:{srv.server_address[1]}/v1")
    finally:
        srv.shutdown()
    assert_one_sentence(proc, "OpenAI-compatible")


def test_missing_url_and_misplaced_flags(cli, tmp_path):
    assert_one_sentence(run(cli, tmp_path), "--base-url")
    argv, env = cli(tmp_path, "run", "--runner", "cpu_llamacpp", "--base-url", "http://127.0.0.1:1/v1")
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert_one_sentence(proc, "--base-url is an option of the openai-endpoint backend", "--type-k")
    assert_one_sentence(run(cli, tmp_path, "--serve-cmd", "llama-server --port 8080"), "{port}")
    assert_one_sentence(run(cli, tmp_path, "--serve-cmd", "no-such-server-binary --port {port}"), "not found")
    assert_one_sentence(run(cli, tmp_path, "--base-url", "ftp://x"), "http://")


def test_serve_cmd_that_dies_keeps_its_log(cli, tmp_path):
    cmd = f"{sys.executable} -c \"import sys; print('boom: no model'); sys.exit(3)\" {{port}}"
    proc = run(cli, tmp_path, "--serve-cmd", cmd)
    assert_one_sentence(proc, "exited with status 3")
    log = proc.stderr.split("its output is in ")[1].strip().rstrip(".")
    assert "boom: no model" in Path(log).read_text()


def test_serve_cmd_starts_and_stops_the_fake_server(cli, tmp_path):
    script = Path(__file__).resolve().parents[1] / "fixtures" / "openai_server.py"
    cmd = f"{sys.executable} {script} --tokens 4 --models started-by-accelmark --port {{port}}"
    proc = run(cli, tmp_path, "--serve-cmd", cmd, "--scenario", "interactive", "--runs", "1", "--json")
    run_dir, doc = result_of(proc)
    ep = doc["task"]["extra_config"]["endpoint"]
    assert ep["started_by_accelmark"] and ep["hardware_source"] == "local"
    assert ep["served_model"] == "started-by-accelmark"
    assert (run_dir / ".accelmark" / "server.log").exists()
    import psutil

    left = [p for p in psutil.process_iter(["cmdline"]) if "started-by-accelmark" in " ".join(p.info["cmdline"] or [])]
    assert not left  # the server was stopped with the run


def test_background_load_is_recorded_per_scenario_and_warned(cli, tmp_path):
    """Another process spinning on a core while the run measures: the share is in the result and said."""
    from accelmark_tui.detect.background import WARN_SHARE
    from accelmark_tui.results.validate import validate_result

    spin = subprocess.Popen([sys.executable, "-c", "import time\nend = time.monotonic() + 120\n"
                             "while time.monotonic() < end:\n    pass\n"])  # not accelmark's: background
    try:
        with FakeOpenAI(tokens=12, ttft_ms=20, itl_ms=10) as srv:
            proc = run(cli, tmp_path, "--base-url", srv.base_url, "--scenario", "interactive", "--runs", "1",
                       "--json")
    finally:
        spin.kill()
        spin.wait()
    run_dir, doc = result_of(proc)
    bg = doc["metrics"]["interactive"]["background_cpu"]
    # No "note": the local server (a process accelmark did not start) was found by its port and owned.
    assert set(bg) == {"mean_share", "max_share", "samples", "seconds", "cpus"}, bg
    assert bg["samples"] >= 1 and WARN_SHARE < bg["mean_share"] <= bg["max_share"] <= 1
    scenario_doc = json.loads((run_dir / "interactive" / "result.json").read_text())
    assert scenario_doc["metrics"]["interactive"]["background_cpu"] == bg
    assert "background_cpu" not in doc and validate_result(doc) == [] and validate_result(scenario_doc) == []
    assert "warning: other processes used" in proc.stderr and "while interactive was measured" in proc.stderr


def test_options_are_recorded_and_a_run_with_others_does_not_resume_into_the_folder(cli, tmp_path, fake):
    """Backend options are the configuration too: in task.extra_config, and a folder measured with other
    values (the run identity, upstream's fields, cannot tell them apart) is not resumed: --force measures anew."""
    args = ("--base-url", fake.base_url, "--model", "fake-model", "--scenario", "interactive", "--runs", "1",
            "--warmup", "0", "--json")
    run_dir, doc = result_of(run(cli, tmp_path, *args, "--api", "chat", "--idle-timeout", "30"))
    # What changes the measurement is kept; how to reach the server (URL, timeouts) is not.
    assert doc["task"]["extra_config"]["backend_options"] == {"api": "chat"}
    assert doc["task"]["extra_config"]["endpoint"]["api"] == "chat"
    other = run(cli, tmp_path, *args, "--api", "completions")
    assert_one_sentence(other, f"{run_dir} was measured with --api chat, not --api completions", "--force")
    again, doc = result_of(run(cli, tmp_path, *args, "--api", "completions", "--force"))
    assert again == run_dir and doc["task"]["extra_config"]["endpoint"]["api"] == "completions"
    assert doc["task"]["extra_config"]["backend_options"] == {"api": "completions"}
    assert_one_sentence(run(cli, tmp_path, *args, "--api", "grpc"), "--api must be one of chat, completions")
