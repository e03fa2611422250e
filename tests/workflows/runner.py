"""Runs a GitHub workflow job's steps here, in order, the way a runner would.

`run:` steps run in bash (GitHub's `bash --noprofile --norc -eo pipefail`)
with the env the workflow, job and step declare and the GITHUB_* variables
they read; `${{ }}` expressions are evaluated for `env:`, `with:` and `if:`.
The three actions the workflows use are stood in for: checkout copies a tree,
setup-python is the test's own Python, upload-artifact files the folder under
the run in the stand-in gh's state. `gh` and `pip` are stand-ins on PATH; the
`reconciler` on PATH is this checkout's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
HERE = Path(__file__).resolve().parent
CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"
SETUP_PYTHON = "actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97"
UPLOAD_ARTIFACT = "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f"
_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_TOKEN = re.compile(r"\s*(?:('(?:[^']|'')*')|(==|!=|&&|\|\||!|\(|\))|([A-Za-z_][\w.-]*)(\(\))?)")


class _Ctx(dict):  # type: ignore[type-arg]
    """A context object: a missing property is null, as in GitHub expressions."""

    def __getattr__(self, name: str) -> Any:
        value = self.get(name)
        return _Ctx(value) if isinstance(value, dict) else value


def evaluate(expression: str, contexts: dict[str, Any], status: dict[str, bool]) -> Any:
    """A GitHub expression of the shapes the workflows use (paths, literals, == != && || !, status functions)."""
    out, pos, text = [], 0, expression.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"expression not understood: {expression!r} at {text[pos:]!r}")
        pos = m.end()
        literal, op, name, call = m.groups()
        if literal:
            out.append(repr(literal[1:-1].replace("''", "'")))
        elif op:
            out.append({"&&": " and ", "||": " or ", "!": " not "}.get(op, f" {op} "))
        elif call:
            out.append(repr(status[name]))
        elif name in ("true", "false"):
            out.append(str(name == "true"))
        else:
            head, *rest = name.split(".")
            out.append(f"_ctx[{head!r}]" + "".join(f".{part.replace('-', '_')}" for part in rest))
    return eval("".join(out), {"__builtins__": {}}, {"_ctx": {k: _Ctx(v) for k, v in contexts.items()}})  # noqa: S307


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def interpolate(value: Any, contexts: dict[str, Any], status: dict[str, bool]) -> str:
    return _EXPR.sub(lambda m: _text(evaluate(m.group(1), contexts, status)), str(value))


@dataclass
class JobRun:
    """What one job run did."""

    ok: bool
    output: str
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    summary: str = ""


@dataclass
class Runner:
    """The world a job runs in: source trees to check out, the stand-in gh state, the sandbox."""

    tmp: Path
    trees: dict[str, Path]  # checkout ref ("" = the event's default ref) -> tree to copy
    repo: str
    base_env: dict[str, str]
    gh_state: Path = field(init=False)

    def __post_init__(self) -> None:
        self.gh_state = self.tmp / "gh-state.json"
        self.gh_state.write_text(json.dumps(
            {"repo": self.repo, "pulls": {}, "comments": {}, "runs": [], "calls": [], "next_id": 1000}
        ))  # fmt: skip
        self.bin = self.tmp / "bin"
        self.bin.mkdir()
        for name, target in (("gh", HERE / "fake_gh.py"), ("pip", HERE / "fake_pip.py")):
            shim = self.bin / name
            shim.write_text(f"#!/bin/sh\nexec {sys.executable} {target} \"$@\"\n")
            shim.chmod(0o755)

    def gh(self) -> dict[str, Any]:
        return json.loads(self.gh_state.read_text())  # type: ignore[no-any-return]

    def update_gh(self, change: Any) -> None:
        state = self.gh()
        change(state)
        self.gh_state.write_text(json.dumps(state, indent=1))

    def run_job(self, workflow: str, job: str, *, event_name: str, event: dict[str, Any], run_id: int,
                sha: str, secrets: dict[str, str], inputs: dict[str, str] | None = None) -> JobRun:
        doc = yaml.safe_load((WORKFLOWS / workflow).read_text())
        spec = doc["jobs"][job]
        work = self.tmp / f"run-{run_id}"
        workspace = work / "workspace"
        workspace.mkdir(parents=True)
        files = {n: work / n for n in ("output", "summary", "env")}
        for path in files.values():
            path.write_text("")
        github = {
            "event": event, "event_name": event_name, "repository": self.repo, "sha": sha,
            "token": "ghs_test", "run_id": str(run_id), "workspace": str(workspace),
        }  # fmt: skip
        contexts: dict[str, Any] = {"github": github, "secrets": secrets, "inputs": inputs or {}, "steps": {}}
        status = {"always": True, "success": True, "failure": False, "cancelled": False}
        env = {
            **self.base_env, "PATH": f"{self.bin}:{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(work),
            "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(workspace), "GITHUB_SHA": sha,
            "GITHUB_REPOSITORY": self.repo, "GITHUB_EVENT_NAME": event_name, "GITHUB_RUN_ID": str(run_id),
            "RUNNER_TEMP": str(work), "FAKE_GH_STATE": str(self.gh_state),
        }  # fmt: skip
        if "if" in spec and not evaluate(_EXPR.sub(lambda m: m.group(1), str(spec["if"])), contexts, status):
            return JobRun(True, "job skipped by its if:")
        for scope in (doc.get("env") or {}, spec.get("env") or {}):
            env.update({k: interpolate(v, contexts, status) for k, v in scope.items()})
        log: list[str] = []
        failed = False
        for step in spec["steps"]:
            condition = step.get("if", "success()")
            if not evaluate(_EXPR.sub(lambda m: m.group(1), str(condition)), contexts, {**status, "success": not failed, "failure": failed}):
                continue
            step_env = {**env, **{k: interpolate(v, contexts, status) for k, v in (step.get("env") or {}).items()}}
            with_ = {k: interpolate(v, contexts, status) for k, v in (step.get("with") or {}).items()}
            files["output"].write_text("")
            if "uses" in step:
                ok, text = self._uses(step["uses"], with_, workspace, run_id)
            else:
                assert "${{" not in step["run"], f"expression inside a run script (use env:): {step['run'][:60]}"
                script = work / "step.sh"
                script.write_text(step["run"])
                proc = subprocess.run(
                    ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                    env={**step_env, "GITHUB_OUTPUT": str(files["output"]), "GITHUB_STEP_SUMMARY": str(files["summary"])},
                    capture_output=True, text=True, timeout=300,
                )  # fmt: skip
                ok, text = proc.returncode == 0, proc.stdout + proc.stderr
            log.append(f"--- {step.get('name') or step.get('uses') or step['run'][:40]}\n{text}")
            if "id" in step:
                contexts["steps"][step["id"]] = {"outputs": _outputs(files["output"].read_text())}
            failed = failed or not ok
        return JobRun(not failed, "\n".join(log), contexts["steps"], files["summary"].read_text())

    def _uses(self, action: str, with_: dict[str, str], workspace: Path, run_id: int) -> tuple[bool, str]:
        if action.startswith(CHECKOUT):
            target = workspace / with_.get("path", "")
            source = self.trees[with_.get("ref", "")]
            sparse = with_.get("sparse-checkout", "").split()
            if sparse:
                for part in sparse:
                    shutil.copytree(source / part, target / part)
            else:
                shutil.copytree(source, target, dirs_exist_ok=True)
            return True, f"checked out {with_.get('ref') or 'the event ref'} into {target}"
        if action.startswith(SETUP_PYTHON):
            return True, "python: the test's own"
        if action.startswith(UPLOAD_ARTIFACT):
            stored = self.tmp / "artifacts" / str(run_id) / with_["name"]
            shutil.copytree(workspace / with_["path"], stored)
            self.update_gh(lambda s: s.setdefault("uploads", {}).setdefault(str(run_id), {}).update({with_["name"]: str(stored)}))
            return True, f"uploaded {with_['name']}"
        raise AssertionError(f"a step uses an action the tests do not know (pin it here too): {action}")


def _outputs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delimiter = line.split("<<", 1)
            value = []
            for more in lines:
                if more == delimiter:
                    break
                value.append(more)
            out[name] = "\n".join(value)
        elif "=" in line:
            name, _, value = line.partition("=")
            out[name] = value
    return out


def uses_of(workflow: str) -> list[str]:
    doc = yaml.safe_load((WORKFLOWS / workflow).read_text())
    return [s["uses"] for job in doc["jobs"].values() for s in job["steps"] if "uses" in s]


