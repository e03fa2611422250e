"""Symlinked spec directories are followed (a skipped one would, with --prune,
plan deleting all it holds); loops and broken links are errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.spec.errors import SpecErrors
from reconciler.spec.loader import OutputInsideSpecs, load_specs, refuse_output_inside

CUSTOMER = "customers:\n  jenny-rosen:\n    name: Jenny Rosen\n"


def test_a_symlinked_directory_is_followed(spec_dir: Path) -> None:
    (spec_dir / "shared").mkdir()
    (spec_dir / "shared" / "customers.yaml").write_text(CUSTOMER)
    (spec_dir / "specs").mkdir()
    (spec_dir / "specs" / "products.yaml").write_text("products:\n  gold: {name: Gold}\n")
    (spec_dir / "specs" / "team").symlink_to(spec_dir / "shared", target_is_directory=True)
    desired = load_specs(["specs"])
    assert list(desired.customers) == ["jenny-rosen"] and list(desired.products) == ["gold"]
    assert desired.files == ["specs/products.yaml", "specs/team/customers.yaml"]


def test_a_symlink_back_to_an_ancestor_is_an_error_not_a_loop(spec_dir: Path) -> None:
    (spec_dir / "specs" / "deep").mkdir(parents=True)
    (spec_dir / "specs" / "customers.yaml").write_text(CUSTOMER)
    (spec_dir / "specs" / "deep" / "again").symlink_to(spec_dir / "specs", target_is_directory=True)
    with pytest.raises(SpecErrors) as caught:
        load_specs(["specs"])
    assert caught.value.lines() == [
        "specs/deep/again:1:1: symlinked directory loops back to a directory above it; remove the link"
    ]


def test_the_same_directory_linked_twice_is_read_once(spec_dir: Path) -> None:
    (spec_dir / "shared").mkdir()
    (spec_dir / "shared" / "customers.yaml").write_text(CUSTOMER)
    (spec_dir / "specs").mkdir()
    (spec_dir / "specs" / "a").symlink_to(spec_dir / "shared", target_is_directory=True)
    (spec_dir / "specs" / "b").symlink_to(spec_dir / "shared", target_is_directory=True)
    assert list(load_specs(["specs"]).customers) == ["jenny-rosen"]  # not "defined twice"


def test_a_broken_symlinked_spec_file_is_an_error(spec_dir: Path) -> None:
    (spec_dir / "specs").mkdir()
    (spec_dir / "specs" / "customers.yaml").write_text(CUSTOMER)
    (spec_dir / "specs" / "gone.yaml").symlink_to(spec_dir / "nowhere.yaml")
    with pytest.raises(SpecErrors) as caught:
        load_specs(["specs"])
    assert caught.value.lines() == ["specs/gone.yaml:1:1: broken symlink: its target does not exist"]
    with pytest.raises(SpecErrors) as caught:
        load_specs(["specs/gone.yaml"])
    assert caught.value.lines() == ["specs/gone.yaml:1:1: broken symlink: its target does not exist"]


@pytest.mark.parametrize("out", ["specs/plan.json", "specs/customers.yaml", "specs/sub/plan.json", "linked/plan.json"])
def test_an_output_file_inside_the_spec_paths_is_refused(spec_dir: Path, out: str) -> None:
    (spec_dir / "specs" / "sub").mkdir(parents=True)
    (spec_dir / "specs" / "customers.yaml").write_text(CUSTOMER)
    (spec_dir / "linked").symlink_to(spec_dir / "specs", target_is_directory=True)
    with pytest.raises(OutputInsideSpecs) as caught:
        refuse_output_inside(out, ["specs"], option="--out")
    assert str(caught.value) == (
        f"--out {out} is inside the spec path specs: it could overwrite a spec or be read as one; "
        "write it outside the specs"
    )


def test_an_output_file_that_is_a_spec_file_given_by_name_is_refused(spec_dir: Path) -> None:
    (spec_dir / "customers.yaml").write_text(CUSTOMER)
    with pytest.raises(OutputInsideSpecs):
        refuse_output_inside("./customers.yaml", ["customers.yaml", "other.yaml"], option="--out")


def test_an_output_file_beside_the_specs_is_fine(spec_dir: Path) -> None:
    (spec_dir / "specs").mkdir()
    refuse_output_inside("plan.json", ["specs"], option="--out")
    refuse_output_inside("specs-plan.json", ["specs"], option="--out")
    refuse_output_inside("plan.json", ["specs/customers.yaml"], option="--out")
