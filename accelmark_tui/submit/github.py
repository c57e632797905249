"""A small GitHub REST client: just what a submission needs, over httpx.

No clone: the commit is built with the Git Data API (blobs, a tree on top of
the base tree, a commit, a ref). Every failure becomes one sentence saying
what to do; 5xx answers, timeouts and dropped connections are retried with
backoff. The token only ever goes into the Authorization header.
"""

from __future__ import annotations

import base64
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from accelmark_tui.errors import NetworkError
from accelmark_tui.submit import DEFAULT_API
from accelmark_tui.submit.auth import Token

API_VERSION = "2022-11-28"
SCOPES_HINT = ("the token needs the public_repo scope (classic token) or Contents and Pull requests read/write "
               "access to your fork (fine-grained token)")


class GitHubError(NetworkError):
    """A GitHub call that failed; ``status`` is the HTTP status (0 for no answer)."""

    def __init__(self, message: str, status: int = 0, github_message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.github_message = github_message


def _gh_message(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    msg = str(data.get("message") or "")
    errors = data.get("errors")
    if isinstance(errors, list):
        extra = [str(e.get("message") or e.get("code")) if isinstance(e, dict) else str(e) for e in errors]
        msg = "; ".join([msg, *[e for e in extra if e]]) if msg else "; ".join(extra)
    return msg.strip()


def _rate_limited(resp: httpx.Response, message: str) -> bool:
    return resp.status_code == 429 or resp.headers.get("x-ratelimit-remaining") == "0" or "rate limit" in message.lower()


def _reset_time(resp: httpx.Response) -> str:
    reset = resp.headers.get("x-ratelimit-reset")
    if reset and reset.isdigit():
        return "it resets at " + datetime.fromtimestamp(int(reset)).astimezone().strftime("%H:%M:%S %Z").strip()
    after = resp.headers.get("retry-after")
    if after and after.isdigit():
        return f"retry in {int(after)} s"
    return "it resets within the hour"


class GitHubClient:
    def __init__(self, token: Token, api_url: str | None = None, *, timeout: float = 20.0, retries: int = 3,
                 backoff: float = 0.5, poll_interval: float = 1.0, poll_tries: int = 60) -> None:
        self.api_url = (api_url or DEFAULT_API).rstrip("/")
        self.retries, self.backoff = retries, backoff
        self.poll_interval, self.poll_tries = poll_interval, poll_tries
        self._http = httpx.Client(
            base_url=self.api_url, timeout=timeout, follow_redirects=True,
            headers={"Authorization": f"Bearer {token.reveal()}", "Accept": "application/vnd.github+json",
                     "X-GitHub-Api-Version": API_VERSION, "User-Agent": "accelmark"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ── transport ────────────────────────────────────────────────────────────

    def request(self, method: str, path: str, *, what: str, json: Any = None, params: dict[str, Any] | None = None,
                allow: tuple[int, ...] = ()) -> httpx.Response:
        """One call with retries; statuses in ``allow`` are returned to the caller instead of raised."""
        attempt = 0
        while True:
            try:
                resp = self._http.request(method, path, json=json, params=params)
            except httpx.TimeoutException as exc:
                if attempt < self.retries:
                    attempt += 1
                    time.sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                raise GitHubError(f"GitHub at {self.api_url} did not answer in time while trying to {what}; "
                                  "check the network connection and try again.") from exc
            except httpx.TransportError as exc:
                if attempt < self.retries:
                    attempt += 1
                    time.sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                raise GitHubError(f"Could not reach GitHub at {self.api_url} to {what} ({type(exc).__name__}); "
                                  "check the network connection (or --api-url) and try again.") from exc
            if resp.status_code >= 500 and attempt < self.retries:
                attempt += 1
                time.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            if resp.status_code < 300 or resp.status_code in allow:
                return resp
            raise self._error(resp, what)

    def _error(self, resp: httpx.Response, what: str) -> GitHubError:
        status, msg = resp.status_code, _gh_message(resp)
        said = f" ({msg})" if msg else ""
        if status == 401:
            text = (f"GitHub rejected the token while trying to {what} (401 bad credentials); create a new token "
                    "at https://github.com/settings/tokens and set GITHUB_TOKEN.")
        elif status in (403, 429) and _rate_limited(resp, msg):
            text = f"GitHub's API rate limit is used up ({status}); {_reset_time(resp)}, try again then."
        elif status == 403:
            text = f"GitHub refused to {what} (403{said}); {SCOPES_HINT}."
        elif status == 404:
            text = (f"GitHub found nothing to {what} (404); check the repository name (--repo OWNER/NAME) and that "
                    "the token can see it.")
        elif status == 422:
            text = f"GitHub could not {what} (422{said}); check the repository state and try again."
        elif status >= 500:
            text = f"GitHub kept failing ({status}) while trying to {what}; try again in a few minutes."
        else:
            text = f"GitHub answered {status} while trying to {what}{said}; try again or report it."
        return GitHubError(text, status, msg)

    def _json(self, method: str, path: str, *, what: str, **kw: Any) -> Any:
        return self.request(method, path, what=what, **kw).json()

    # ── accounts and repositories ────────────────────────────────────────────

    def user_login(self) -> str:
        """The token owner's login; a classic token without a repository scope is refused here, before any change.

        Classic tokens list their scopes in ``X-OAuth-Scopes``; fine-grained ones send no such header, so
        their permissions are only known when a later call is refused (403, with the same hint).
        """
        resp = self.request("GET", "/user", what="read the token owner's account")
        login = str(resp.json()["login"])
        header = resp.headers.get("X-OAuth-Scopes")
        if header is not None:
            scopes = {s.strip() for s in header.split(",") if s.strip()}
            if not scopes & {"repo", "public_repo"}:
                have = ", ".join(sorted(scopes)) or "none"
                raise GitHubError(f"The token of @{login} lacks the public_repo scope (its scopes: {have}), so it "
                                  "cannot fork or open a pull request; create one with public_repo at "
                                  "https://github.com/settings/tokens.", 403, "missing scope")
        return login

    def repo(self, full_name: str) -> dict[str, Any]:
        return self._json("GET", f"/repos/{full_name}", what=f"read the repository {full_name}")

    def find_fork(self, upstream: str, login: str) -> dict[str, Any] | None:
        """The user's fork of ``upstream`` under its usual name, or None."""
        name = upstream.split("/", 1)[1]
        resp = self.request("GET", f"/repos/{login}/{name}", what=f"look for your fork {login}/{name}", allow=(404,))
        if resp.status_code == 404:
            return None
        data = resp.json()
        parent = (data.get("parent") or {}).get("full_name", "")
        source = (data.get("source") or {}).get("full_name", "")
        if data.get("fork") and upstream.lower() in (parent.lower(), source.lower()):
            return data
        raise GitHubError(f"{login}/{name} exists but is not a fork of {upstream}; rename it on GitHub, then submit again.")

    def create_fork(self, upstream: str) -> dict[str, Any]:
        # GitHub answers 202 and builds the fork in the background.
        return self._json("POST", f"/repos/{upstream}/forks", what=f"fork {upstream}", json={"default_branch_only": True})

    def wait_for_fork(self, fork: str, branch: str) -> None:
        """Poll until the fork answers and has its branch; GitHub documents this as taking up to minutes."""
        for _ in range(self.poll_tries):
            resp = self.request("GET", f"/repos/{fork}/git/ref/heads/{quote(branch)}", what=f"check your fork {fork}",
                                allow=(404, 409))
            if resp.status_code == 200:
                return
            time.sleep(self.poll_interval)
        waited = self.poll_tries * self.poll_interval
        raise GitHubError(f"Your fork {fork} was not ready after {waited:.0f} s; wait a minute and submit again "
                          "(the fork is reused).")

    def path_exists(self, repo: str, path: str, ref: str) -> bool:
        resp = self.request("GET", f"/repos/{repo}/contents/{quote(path)}", params={"ref": ref},
                            what=f"look for {path} in {repo}", allow=(404,))
        return resp.status_code != 404

    # ── git data ─────────────────────────────────────────────────────────────

    def get_ref(self, repo: str, branch: str) -> str | None:
        resp = self.request("GET", f"/repos/{repo}/git/ref/heads/{quote(branch)}", what=f"read branch {branch} of {repo}",
                            allow=(404,))
        return None if resp.status_code == 404 else str(resp.json()["object"]["sha"])

    def create_ref(self, repo: str, branch: str, sha: str) -> None:
        self._json("POST", f"/repos/{repo}/git/refs", what=f"create branch {branch} in {repo}",
                   json={"ref": f"refs/heads/{branch}", "sha": sha})

    def update_ref(self, repo: str, branch: str, sha: str) -> None:
        # force: the branch belongs to this run; a re-submit replaces its content.
        self._json("PATCH", f"/repos/{repo}/git/refs/heads/{quote(branch)}", what=f"move branch {branch} in {repo}",
                   json={"sha": sha, "force": True})

    def commit_tree(self, repo: str, sha: str) -> str:
        return str(self._json("GET", f"/repos/{repo}/git/commits/{sha}", what=f"read commit {sha[:7]}")["tree"]["sha"])

    def create_blob(self, repo: str, content: bytes) -> str:
        body = {"content": base64.b64encode(content).decode("ascii"), "encoding": "base64"}
        return str(self._json("POST", f"/repos/{repo}/git/blobs", what=f"upload a file to {repo}", json=body)["sha"])

    def create_tree(self, repo: str, base_tree: str, entries: list[dict[str, str]]) -> str:
        return str(self._json("POST", f"/repos/{repo}/git/trees", what=f"write the file tree in {repo}",
                              json={"base_tree": base_tree, "tree": entries})["sha"])

    def create_commit(self, repo: str, message: str, tree: str, parents: list[str]) -> str:
        return str(self._json("POST", f"/repos/{repo}/git/commits", what=f"create the commit in {repo}",
                              json={"message": message, "tree": tree, "parents": parents})["sha"])

    # ── pull requests ────────────────────────────────────────────────────────

    def find_pull(self, upstream: str, head: str) -> dict[str, Any] | None:
        """The open PR from ``owner:branch`` into ``upstream``, if any."""
        pulls = self._json("GET", f"/repos/{upstream}/pulls", params={"head": head, "state": "open"},
                           what=f"look for an open pull request from {head}")
        return pulls[0] if isinstance(pulls, list) and pulls else None

    def create_pull(self, upstream: str, *, title: str, body: str, head: str, base: str) -> dict[str, Any]:
        return self._json("POST", f"/repos/{upstream}/pulls", what=f"open the pull request on {upstream}",
                          json={"title": title, "body": body, "head": head, "base": base,
                                "maintainer_can_modify": True})

    def update_pull(self, upstream: str, number: int, *, title: str, body: str) -> dict[str, Any]:
        return self._json("PATCH", f"/repos/{upstream}/pulls/{number}", what=f"update pull request #{number}",
                          json={"title": title, "body": body})
