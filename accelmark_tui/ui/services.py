"""What the app's screens get from the engine, in one injectable object.

Screens never reach into the engine directly: they ask ``app.services``.
Tests hand the App a ``Services`` built with fixed data (a fixed Machine, a
temp results root) so screens render the same everywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar

from accelmark_tui.catalog import DEFAULT_SUITE
from accelmark_tui.detect.machine import Machine


@dataclass
class Services:
    detect: Callable[[], Machine]
    results_root: Path
    # Telemetry: a zero-argument callable returning one sample dict (see detect.telemetry), or None.
    telemetry: Callable[[], dict[str, Any]] | None = None
    # Extra environment for the runner (tests may pass threads etc.).
    run_defaults: dict[str, Any] = field(default_factory=dict)
    # The GitHub CLI asked for a token (`gh auth token`) after GITHUB_TOKEN/GH_TOKEN; None skips it.
    gh_cli: str | None = "gh"
    _machine: Machine | None = None
    # The suite a run uses when none is named (home's quick-suite key, the palette's suggestion).
    default_suite: ClassVar[str] = DEFAULT_SUITE

    @classmethod
    def real(cls, output_dir: str | None = None) -> "Services":
        from accelmark_tui import paths
        from accelmark_tui.detect import detect_machine

        sampler_box: dict[str, Any] = {}

        def telemetry() -> dict[str, Any]:
            if "s" not in sampler_box:
                from accelmark_tui.detect.telemetry import TelemetrySampler

                sampler_box["s"] = TelemetrySampler()
            return sampler_box["s"].sample()

        return cls(detect=lambda: detect_machine(use_cache=True), results_root=paths.results_root(output_dir),
                   telemetry=telemetry)

    # -- machine -----------------------------------------------------------------
    def machine(self) -> Machine:
        if self._machine is None:
            self._machine = self.detect()
        return self._machine

    # -- catalog -----------------------------------------------------------------
    def runners(self):
        from accelmark_tui.catalog.runners import discover_runners

        return discover_runners()

    def suites(self):
        from accelmark_tui.catalog.suites import discover_suites

        return discover_suites()

    def fit_matrix(self):
        """Every runner × suite on this machine, with the runner to preselect per suite (probes modules: a thread)."""
        from accelmark_tui.catalog.matrix import fit_matrix

        return fit_matrix(self.machine(), self.runners(), self.suites())

    def leaderboard_note(self, matrix, suite_id: str, scenarios: list[str] | None = None) -> str | None:
        """Why a run of ``suite_id`` (``scenarios``; None: its default set) will not be submittable, or None."""
        from accelmark_tui.catalog.leaderboard import run_note

        return run_note(matrix, suite_id, scenarios)

    # -- results -----------------------------------------------------------------
    def list_runs(self):
        from accelmark_tui.results.store import list_runs

        return list_runs(self.results_root)

    def load_run(self, name_or_path: str):
        from accelmark_tui.results.store import find_run, load_run

        return load_run(find_run(name_or_path, self.results_root))

    def background_warnings(self, run_a, run_b) -> list[str]:
        """Two loaded runs: which was measured under background CPU load, and where their loads differ."""
        from accelmark_tui.results.background import compare_warnings

        return compare_warnings(run_a.metrics(), run_b.metrics())

    def export_run(self, run, kind: str, target: Path) -> None:
        """Write a loaded run as Markdown (``kind`` "md") or CSV to ``target``, atomically, making its folder."""
        from accelmark_tui.results.export import to_csv, to_markdown
        from accelmark_tui.results.layout import atomic_write_text

        text = to_markdown(run) if kind == "md" else to_csv(run)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, text, hint="choose another path")

    # -- runs ----------------------------------------------------------------------
    def new_session(self, request):
        """A prepared-but-not-started RunSession (``engine.session``) for ``request``."""
        from accelmark_tui.engine.session import RunSession

        if request.output_dir is None:
            request.output_dir = str(self.results_root)
        for k, v in self.run_defaults.items():
            if getattr(request, k, None) is None:
                setattr(request, k, v)
        return RunSession(request, machine=self.machine())

    def backend_options(self, runner) -> list:
        """The options of ``runner``'s backend that run setup shows as generated fields (``Option.form``), each
        an ``engine.backend_spec.Option``: name, type, label, hint, help, choices, default and ``parse``."""
        from accelmark_tui.backends.registry import all_specs

        spec = next((s for s in all_specs() if runner is not None and s.name == runner.backend), None)
        return [o for o in spec.options if o.form] if spec else []

    # -- endpoint runners (run setup's server fields; each raises one sentence for its field) ----------
    def endpoint_url(self, url: str) -> str:
        """The API root a typed server URL means (``…/v1``)."""
        from accelmark_tui.endpoint import probe

        return probe.normalize_base_url(url)

    def endpoint_key(self, variable: str | None) -> str | None:
        """The API key in the environment variable the user named (None for no variable): use it, never keep it."""
        from accelmark_tui.endpoint import probe

        return probe.api_key_from_env(variable)

    def served_models(self, base_url: str, key: str | None):
        """What the server at ``base_url`` serves (one blocking request: call off the UI thread)."""
        from accelmark_tui.endpoint import probe

        return probe.discover(base_url, key)

    def settings_problem(self) -> str | None:
        """Why settings.json cannot be used (one sentence naming the file and the fix), or None."""
        from accelmark_tui.config import load_settings
        from accelmark_tui.errors import UsageError

        try:
            load_settings()
        except UsageError as exc:
            return str(exc)
        return None

    # -- profile -------------------------------------------------------------------
    def profile(self):
        from accelmark_tui.config import profile_or_none

        return profile_or_none()  # a broken profile is treated as none; the modal rewrites it

    def save_profile(self, profile) -> None:
        from accelmark_tui.config import save_profile

        save_profile(profile)

    # -- submitting (the submit screen; the token is passed in, never kept here) ---------
    def submit_repo(self) -> str:
        """The target leaderboard: ``submit_repo`` in settings.json, else the default."""
        from accelmark_tui.config import load_settings

        return load_settings().submit_repo

    def github_api(self) -> str:
        """The GitHub API base URL, as the CLI's default (``$ACCELMARK_GITHUB_API``; GitHub Enterprise)."""
        from accelmark_tui.submit import DEFAULT_API, ENV_API

        return os.environ.get(ENV_API) or DEFAULT_API

    def make_token(self, value: str, source: str):
        """A pasted secret as a ``Token``, whose repr never shows it."""
        from accelmark_tui.submit.auth import Token

        return Token(value, source)

    def token_scopes(self) -> str:
        """What a token must be allowed to do, in words (the token panel's guidance)."""
        from accelmark_tui.submit.github import SCOPES_HINT

        return SCOPES_HINT

    def find_token(self):
        """A ``Token`` from GITHUB_TOKEN, GH_TOKEN or `gh auth token` (may run gh: call off the UI thread)."""
        from accelmark_tui.submit.auth import find_token

        return find_token(gh=self.gh_cli)

    def github_client(self, token):
        from accelmark_tui.submit.github import GitHubClient

        timeout = float(os.environ.get("ACCELMARK_GITHUB_TIMEOUT") or 20)
        return GitHubClient(token, self.github_api(), timeout=timeout)

    def github_login(self, token) -> str:
        """The token owner's login (one API call)."""
        with self.github_client(token) as client:
            return client.user_login()

    def find_run(self, name_or_path: str):
        from accelmark_tui.results.store import find_run

        return find_run(name_or_path, self.results_root)

    def submit_preview(self, run_dir, repo: str, login: str | None):
        """Checklist, files and PR text as ``accelmark submit --dry-run`` makes them (sends nothing)."""
        from accelmark_tui.submit.flow import submit

        return submit(run_dir, repo=repo, dry_run=True, login=login).plan

    def blocked_sentence(self, checks) -> str:
        """One sentence for a checklist with failing items: the first, its fix, and how many more."""
        from accelmark_tui.submit.flow import blocked_sentence

        return blocked_sentence(checks)

    def submit(self, run_dir, repo: str, token, on_step):
        """Submit for real: re-stamp, fork, branch, commit, PR; ``on_step(name, status, detail)`` per step."""
        from accelmark_tui.submit.flow import submit

        with self.github_client(token) as client:
            return submit(run_dir, repo=repo, client=client, on_step=on_step)
