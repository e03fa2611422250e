#!/usr/bin/env python3
"""A stand-in for the `gh` CLI the GitHub runners ship, over a JSON state file.

It answers the few calls the workflows make (`gh api` on the REST paths they
use, with --jq evaluated by real jq, and `gh run download`) from the state in
$FAKE_GH_STATE, records every call there, and fails loudly on anything else,
so a workflow step that calls gh wrongly fails its test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jq

BOT = "github-actions[bot]"


def fail(message: str) -> None:
    print(f"fake gh: {message}", file=sys.stderr)
    raise SystemExit(1)


def load() -> tuple[Path, dict[str, Any]]:
    path = Path(os.environ["FAKE_GH_STATE"])
    return path, json.loads(path.read_text())


def route(state: dict[str, Any], method: str, path: str, fields: dict[str, str]) -> Any:
    repo = state["repo"]
    parts = urlsplit(path)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    prefix = f"repos/{repo}/"
    if not parts.path.startswith(prefix):
        fail(f"unexpected repository in {path!r} (GH_REPO is {repo})")
    rest = parts.path[len(prefix):]
    if m := re.fullmatch(r"pulls/(\d+)", rest):
        return state["pulls"][m[1]] if method == "GET" else fail(f"{method} {rest}")
    if m := re.fullmatch(r"issues/(\d+)/comments", rest):
        comments = state["comments"].setdefault(m[1], [])
        if method == "GET":
            return comments
        if method == "POST":
            state["next_id"] += 1
            comment = {"id": state["next_id"], "body": fields["body"], "user": {"login": BOT}}
            comments.append(comment)
            return comment
    if (m := re.fullmatch(r"issues/comments/(\d+)", rest)) and method == "PATCH":
        for comments in state["comments"].values():
            for comment in comments:
                if comment["id"] == int(m[1]):
                    if comment["user"]["login"] != BOT:
                        fail("403: the workflow token cannot edit another user's comment")
                    comment["body"] = fields["body"]
                    return comment
        fail(f"404: no comment {m[1]}")
    if (m := re.fullmatch(r"commits/(\w+)/pulls", rest)) and method == "GET":
        return [p for p in state["pulls"].values() if p.get("merge_commit_sha") == m[1]]
    if (m := re.fullmatch(r"actions/workflows/([\w.-]+)/runs", rest)) and method == "GET":
        runs = [
            r for r in state["runs"]
            if r["workflow"] == m[1]
            and r["head_sha"] == query.get("head_sha", r["head_sha"])
            and r["event"] == query.get("event", r["event"])
            and (query.get("status") != "success" or r["conclusion"] == "success")
        ]  # fmt: skip
        return {"total_count": len(runs), "workflow_runs": [{k: v for k, v in r.items() if k != "artifacts"} for r in runs]}
    fail(f"unsupported call: {method} {path}")


def api(state: dict[str, Any], args: list[str]) -> None:
    method, path, expr, fields = "GET", None, None, {}
    it = iter(args)
    for arg in it:
        if arg == "-X":
            method = next(it)
        elif arg == "--jq":
            expr = next(it)
        elif arg == "--paginate":
            pass
        elif arg == "-F":
            name, _, value = next(it).partition("=")
            fields[name] = Path(value[1:]).read_text() if value.startswith("@") else value
        elif path is None:
            path = arg
        else:
            fail(f"unexpected argument {arg!r}")
    if path is None:
        fail("gh api needs a path")
    answer = route(state, method, path, fields)
    if expr is None:
        print(json.dumps(answer))
        return
    for value in jq.compile(expr).input_value(answer).all():
        print(value if isinstance(value, str) else json.dumps(value))


def run_download(state: dict[str, Any], args: list[str]) -> None:
    run_id, name, target = args[0], args[args.index("--name") + 1], args[args.index("--dir") + 1]
    run = next((r for r in state["runs"] if str(r["id"]) == run_id), None)
    if run is None or name not in run["artifacts"]:
        fail(f"no artifact {name!r} in run {run_id}")
    shutil.copytree(run["artifacts"][name], target, dirs_exist_ok=True)


def main(argv: list[str]) -> None:
    path, state = load()
    state["calls"].append(argv)
    if os.environ.get("GH_REPO") != state["repo"] or not os.environ.get("GH_TOKEN"):
        fail("GH_REPO and GH_TOKEN must be set")
    if argv[:1] == ["api"]:
        api(state, argv[1:])
    elif argv[:2] == ["run", "download"]:
        run_download(state, argv[2:])
    else:
        fail(f"unsupported command: gh {' '.join(argv)}")
    path.write_text(json.dumps(state, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
