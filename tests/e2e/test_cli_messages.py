"""Bad input to the CLI, each one clear line on stderr and exit 1 (or, for a
risky but valid choice, a warning); nothing written to Stripe."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import click
import pytest
from cli_runner import invoke
from click.testing import Result
from loopback_servers import canned_server

from reconciler.cli import main
from reconciler.plan import files as plan_files
from reconciler.runtime import Runtime
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox, start_sandbox

EXAMPLE_SPECS = Path(__file__).resolve().parents[2] / "specs"
NO_WAIT = Runtime(sleep=lambda seconds: None)


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return invoke(args, env=env, obj=NO_WAIT, catch_exceptions=True)


def one_error(result: Result) -> str:
    """The single error line of a failed command (and that it is alone)."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.stderr
    return lines[0]


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    target = tmp_path / "specs"
    shutil.copytree(EXAMPLE_SPECS, target)
    return target


def on(sandbox: RunningSandbox) -> list[str]:
    return ["--api-key", SANDBOX_API_KEY, "--api-base", sandbox.url]


# -- help ---------------------------------------------------------------------


def test_bare_reconciler_prints_its_help_and_exits_0() -> None:
    result = run()
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: reconciler [OPTIONS] COMMAND [ARGS]...")
    assert "Exit codes: 0 success (plan: no changes), 1 error, 2 changes" in result.stdout


def test_bare_webhook_prints_its_help_and_exits_0() -> None:
    result = run("webhook")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("Usage: reconciler webhook [OPTIONS] COMMAND [ARGS]...")
    assert "  catch-up " in result.stdout


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
def test_help_shows_the_default_spec_path_exit_codes_and_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "(default: specs/)" in result.stdout
    assert "Exit codes: 0 success" in result.stdout and "130 interrupted" in result.stdout
    assert f"Examples:\n    reconciler {command}" in result.stdout


def test_every_option_has_a_help_line() -> None:
    assert isinstance(main, click.Group)
    missing = [
        f"{name} {'/'.join(param.opts)}"
        for name, command in main.commands.items()
        for param in command.params
        if isinstance(param, click.Option) and not param.help
    ]
    assert missing == []


# -- flag values --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (["apply", "--sandbox", "--max-rps", "nan"], "error: Invalid value for '--max-rps': 'nan' is not a finite number."),
        (["sandbox", "--latency-ms", "inf"], "error: Invalid value for '--latency-ms': 'inf' is not a finite number."),
        (["sandbox", "--error-rate", "nan"], "error: Invalid value for '--error-rate': 'nan' is not a finite number."),
        (["plan", "--sandbox", "--out", ""], "error: Invalid value for '--out': an empty file name is not a file name."),
        (["apply", "--sandbox", "--plan", ""], "error: Invalid value for '--plan': an empty file name is not a file name."),
        (["plan", "--sandbox="], "error: Invalid value for '--sandbox': an empty file name is not a file name."),
        (["sandbox", "--db", ""], "error: Invalid value for '--db': an empty file name is not a file name."),
    ],
)
def test_flag_values_that_mean_nothing_are_refused(args: list[str], start: str) -> None:
    assert one_error(run(*args)).startswith(start)


def test_an_empty_stripe_api_base_is_an_error_not_api_stripe_com(specs: Path) -> None:
    message = one_error(run("plan", str(specs), env={"STRIPE_API_KEY": "sk_test_abc", "STRIPE_API_BASE": ""}))
    assert message == (
        "error: STRIPE_API_BASE is set but empty (a missing CI secret?): unset it to reach https://api.stripe.com, "
        "or give a URL"
    )
    assert one_error(run("plan", str(specs), "--api-key", "sk_test_abc", "--api-base", "")) == (
        "error: --api-base '' is not a valid URL: it is empty; leave --api-base out to reach https://api.stripe.com"
    )
    assert one_error(run("plan", str(specs), env={"STRIPE_API_KEY": ""})).startswith(
        "error: STRIPE_API_KEY is set but empty (a missing CI secret?)"
    )


def test_a_key_with_a_newline_names_the_newline(specs: Path, sandbox: RunningSandbox) -> None:
    message = one_error(run("plan", str(specs), "--api-base", sandbox.url, env={"STRIPE_API_KEY": "sk_test_abc\n"}))
    assert message == (
        "error: the API key contains a line break, space or other control character "
        "(copied with a trailing newline?): remove it"
    )
    assert sandbox.stats()["total"] == 0


def test_https_to_a_plain_http_port_says_so(specs: Path, sandbox: RunningSandbox) -> None:
    base = sandbox.url.replace("http://", "https://")
    message = one_error(run("plan", str(specs), "--api-key", SANDBOX_API_KEY, "--api-base", base))
    assert message == (
        f"error: network failure talking to {base.removeprefix('https://')}: the server does not speak TLS "
        "(an https:// URL to a plain http port? try http://)"
    )


def test_credentials_in_the_api_base_are_refused_without_echoing_them(specs: Path) -> None:
    message = one_error(run("plan", str(specs), "--api-key", "sk_test_abc",
                            "--api-base", "https://user:s3cret@api.example.com/"))
    assert message == (
        "error: --api-base 'https://***@api.example.com/' is not a valid URL: it carries credentials "
        "(user:password@); pass the key with --api-key instead"
    )


def test_a_query_in_the_api_base_is_refused_without_echoing_it(specs: Path) -> None:
    # The SDK would drop it silently (a 404 at the root); it may hold a secret.
    for base in ("http://127.0.0.1:1/v1?key=sk_test_s3cret", "http://127.0.0.1:1#sk_test_s3cret"):
        message = one_error(run("plan", str(specs), "--api-key", "sk_test_abc", "--api-base", base))
        shown = base.split("?")[0].split("#")[0]
        assert message == (
            f"error: --api-base '{shown}?…' is not a valid URL: it carries a query or fragment (?… or #…); "
            "give only scheme, host, port and path"
        )


# -- inputs that would silently change the result ------------------------------


def test_an_api_answering_nonsense_stops_before_any_write(specs: Path) -> None:
    with canned_server({"foo": 1}) as (url, seen):
        plan = run("plan", str(specs), "--api-key", SANDBOX_API_KEY, "--api-base", url)
        applied = run("apply", str(specs), "--api-key", SANDBOX_API_KEY, "--api-base", url, "--yes")
    host = url.removeprefix("http://")
    expected = (
        f"error: unexpected answer from {host} to GET /v1/account: no account id (acct_…); "
        "is the API base a Stripe API?"
    )
    assert one_error(plan) == expected and one_error(applied) == expected
    assert plan.stdout == "" and applied.stdout == ""
    assert seen and all(line.startswith("GET /v1/account ") for line in seen)


def test_a_list_answer_that_is_not_a_list_stops_before_any_write(specs: Path) -> None:
    # An account answer that passes, then nonsense for every list.
    with canned_server({"id": "acct_1", "object": "account", "foo": 1}) as (url, seen):
        message = one_error(run("apply", str(specs), "--api-key", SANDBOX_API_KEY, "--api-base", url, "--yes"))
    assert message == (
        f"error: unexpected answer from {url.removeprefix('http://')} to GET /v1/products: not a Stripe list "
        "(object, data, has_more); is the API base a Stripe API?"
    )
    assert not any(line.startswith("POST") for line in seen)


def test_listed_objects_of_the_wrong_shape_stop_before_any_write(specs: Path) -> None:
    # One answer to every request: an account id passes GET /v1/account, the list has a bad object.
    page = {"id": "acct_1", "object": "list", "has_more": False,
            "data": [{"id": "prod_1", "metadata": ["not", "a", "map"]}]}
    with canned_server(page) as (url, seen):
        message = one_error(run("apply", str(specs), "--api-key", SANDBOX_API_KEY, "--api-base", url, "--yes"))
    assert message.endswith("GET /v1/products: data[0] has metadata that is not an object; is the API base a Stripe API?")
    assert not any(line.startswith("POST") for line in seen)


@pytest.mark.parametrize("status", [400, 402, 500])
@pytest.mark.parametrize("body", [{"error": "boom"}, {"error": ["a", "list"]}, {"message": "no error key"}, [1, 2]])
def test_an_error_answer_not_in_stripes_shape_is_the_unexpected_answer_line(
    specs: Path, status: int, body: object
) -> None:
    with canned_server(body, status) as (url, seen):
        message = one_error(run("plan", str(specs), "--api-key", SANDBOX_API_KEY, "--api-base", url))
    host = url.removeprefix("http://")
    assert message == (
        f"error: unexpected answer from {host} to GET /v1/account: an error answer ({status}) whose error is not "
        "Stripe's error object; is the API base a Stripe API?"
    )
    assert len(seen) == 1  # never retried, not even the 500: the API base is not Stripe's


def test_plan_out_onto_a_spec_file_is_refused_and_the_spec_kept(specs: Path, sandbox: RunningSandbox) -> None:
    target = specs / "customers.yaml"
    before = target.read_text()
    message = one_error(run("plan", str(specs), *on(sandbox), "--out", str(target)))
    assert message == (
        f"error: --out {target} is inside the spec path {specs}: it could overwrite a spec or be read as one; "
        "write it outside the specs"
    )
    assert target.read_text() == before
    assert sandbox.stats()["total"] == 0


def _special_out(tmp_path: Path, special: str) -> Path:
    path = tmp_path / f"plan.{special}"
    if special == "symlink":
        (tmp_path / "elsewhere.json").write_text("kept\n")
        path.symlink_to(tmp_path / "elsewhere.json")
    elif special == "fifo":
        os.mkfifo(path)
    else:  # a character device like /dev/null, made here so a regression cannot replace the real one
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return path


@pytest.mark.parametrize(("special", "kind"), [("symlink", "a symlink"), ("fifo", "a FIFO"), ("device", "a device")])
def test_plan_out_onto_a_symlink_fifo_or_device_is_refused_and_left_as_it_was(
    specs: Path, sandbox: RunningSandbox, tmp_path: Path, special: str, kind: str
) -> None:
    target = _special_out(tmp_path, special)
    mode = target.lstat().st_mode
    message = one_error(run("plan", str(specs), *on(sandbox), "--out", str(target)))
    assert message == (
        f"error: cannot write plan file {target}: it is {kind}, not a regular file; give --out a new or regular file"
    )
    assert target.lstat().st_mode == mode  # still the symlink, FIFO or device, not a regular file
    if special == "symlink":
        assert (tmp_path / "elsewhere.json").read_text() == "kept\n"
    assert sandbox.stats()["total"] == 0


def test_prune_with_a_plan_made_without_it_is_refused(specs: Path, sandbox: RunningSandbox, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(specs), *on(sandbox), "--out", str(plan_file)).exit_code == 0
    writes = sandbox.stats()["writes"]
    message = one_error(run("apply", str(specs), *on(sandbox), "--plan", str(plan_file), "--prune", "--yes"))
    assert message == (
        f"error: {plan_file}: --prune given, but this plan was made without --prune (its reviewed actions remove "
        "nothing); run plan --prune --out again, or apply without --prune"
    )
    assert sandbox.stats()["writes"] == writes


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_a_plan_file_that_is_a_device_or_fifo_is_refused_unread(specs: Path, tmp_path: Path, special: str) -> None:
    path = special
    if special == "fifo":
        path = str(tmp_path / "plan.fifo")
        os.mkfifo(path)  # opening it would block until a writer came
    message = one_error(run("apply", str(specs), "--sandbox", str(tmp_path / "s.db"), "--plan", path, "--yes"))
    assert message == f"error: {path}: is not a regular file (a FIFO, device or socket), not a plan file"


def test_a_plan_file_over_the_cap_is_refused(specs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_files, "MAX_PLAN_FILE_BYTES", 2 * 2**20)
    big = tmp_path / "plan.json"
    big.write_text(json.dumps({"pad": "x" * (2 * 2**20)}))
    message = one_error(run("apply", str(specs), "--sandbox", str(tmp_path / "s.db"), "--plan", str(big), "--yes"))
    assert message == f"error: {big}: plan file is larger than 2 MB"


# -- the sandbox command -------------------------------------------------------


def test_sandbox_on_a_port_in_use_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        message = one_error(run("sandbox", "--port", str(port)))
    assert message == (
        f"error: the sandbox cannot listen on 127.0.0.1:{port}: the port is in use (another sandbox?); "
        "pick another --port, or --port 0 for a free one"
    )


def test_sandbox_on_a_bad_host_is_one_line() -> None:
    assert one_error(run("sandbox", "--host", "999.1.1.1", "--port", "0")) == (
        "error: the sandbox cannot listen on 999.1.1.1:0: no such host '999.1.1.1'; use an address such as 127.0.0.1"
    )


def test_sandbox_on_a_file_that_is_not_a_sandbox_database_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_text("my notes, not a database\n")
    assert one_error(run("sandbox", "--db", str(db), "--port", "0")) == (
        f"error: cannot use sandbox database {db}: it is not a sandbox database (file is not a database)"
    )
    assert db.read_text() == "my notes, not a database\n"


def test_a_sandbox_file_in_use_names_its_holder(specs: Path, tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with start_sandbox(str(db), holder="`reconciler sandbox` (pid 4242)") as server:
        message = one_error(run("plan", str(specs), "--sandbox", str(db)))
        assert message == (
            f"error: cannot start the sandbox at {db}: it is in use by `reconciler sandbox` (pid 4242), serving "
            f"{server.url}; stop that first, or reach a sandbox server through its URL (--api-base) instead of "
            "opening its file"
        )
        assert server.stats()["total"] == 0
        served = one_error(run("sandbox", "--db", str(db), "--port", "0"))
        assert served.startswith(f"error: cannot use sandbox database {db}: it is in use by `reconciler sandbox`")
    assert run("plan", str(specs), "--sandbox", str(db)).exit_code == 0  # free again once the server stopped


def test_sandbox_on_all_interfaces_warns_about_its_admin_surface() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "--host", "0.0.0.0", "--port", "0"],
        stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stderr is not None
        assert process.stderr.readline().startswith("sandbox listening on http://0.0.0.0:")
        assert process.stderr.readline() == (
            "warning: the sandbox listens on 0.0.0.0, so other machines can reach it, and its /_sandbox/ admin "
            "surface (reset, faults) has no authentication; use --host 127.0.0.1 unless that is what you want\n"
        )
    finally:
        process.kill()
        process.wait(timeout=30)
