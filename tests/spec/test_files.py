"""File-level rules: paths, encodings, sizes, YAML syntax and the top-level shape."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.errors import ReconcilerError
from reconciler.spec.errors import SpecError, SpecErrors
from reconciler.spec.loader import load_specs
from reconciler.spec.yamltree import MAX_FILE_BYTES

Check = Callable[..., list[str]]

CUSTOMER = "customers:\n  jenny-rosen:\n    name: Jenny Rosen\n"


def test_spec_errors_sort_and_format() -> None:
    errors = SpecErrors([SpecError("b.yaml", 1, 1, "z"), SpecError("a.yaml", 10, 2, "y"), SpecError("a.yaml", 9, 5, "x")])
    assert isinstance(errors, ReconcilerError)
    assert errors.lines() == ["a.yaml:9:5: x", "a.yaml:10:2: y", "b.yaml:1:1: z"]
    assert str(errors) == "a.yaml:9:5: x\na.yaml:10:2: y\nb.yaml:1:1: z"


def test_missing_path(spec_dir: Path) -> None:
    with pytest.raises(SpecErrors) as caught:
        load_specs(["nope.yaml", "nodir"])
    assert caught.value.lines() == [
        "nodir:1:1: no such file or directory",
        "nope.yaml:1:1: no such file or directory",
    ]


def test_directory_without_spec_files(spec_dir: Path) -> None:
    (spec_dir / "empty").mkdir()
    (spec_dir / "empty" / "notes.txt").write_text("hello")
    with pytest.raises(SpecErrors) as caught:
        load_specs(["empty"])
    assert caught.value.lines() == ["empty:1:1: no *.yaml or *.yml files in this directory"]


def test_directories_are_walked_recursively_sorted_skipping_hidden(spec_dir: Path) -> None:
    (spec_dir / "specs" / "b").mkdir(parents=True)
    (spec_dir / "specs" / ".git").mkdir()
    (spec_dir / "specs" / "b" / "c.yml").write_text(CUSTOMER)
    (spec_dir / "specs" / "a.yaml").write_text("products:\n  gold:\n    name: Gold\n")
    (spec_dir / "specs" / "readme.md").write_text("not yaml")
    (spec_dir / "specs" / ".git" / "x.yaml").write_text("- not a spec")
    desired = load_specs(["specs", "specs/a.yaml"])
    assert desired.files == ["specs/a.yaml", "specs/b/c.yml"]
    assert sorted(desired.customers) == ["jenny-rosen"]


def test_upper_case_suffixes_are_read_and_editor_lock_and_backup_files_skipped(spec_dir: Path) -> None:
    specs = spec_dir / "specs"
    specs.mkdir()
    (specs / "CATALOG.YAML").write_text("products:\n  gold:\n    name: Gold\n")
    (specs / "People.Yml").write_text(CUSTOMER)
    (specs / ".#People.Yml").symlink_to("jenny@laptop.4242:1700000000")  # Emacs's lock: a broken link
    (specs / ".CATALOG.YAML.swp").write_text("\0binary swap")  # vim
    (specs / ".hidden.yaml").write_text("- not a spec")
    (specs / "People.Yml~").write_text("- a backup")
    (specs / "#People.Yml#").write_text("- an autosave")
    desired = load_specs(["specs"])
    assert desired.files == ["specs/CATALOG.YAML", "specs/People.Yml"]
    assert sorted(desired.products) == ["gold"] and sorted(desired.customers) == ["jenny-rosen"]


def test_empty_file(check: Check) -> None:
    assert check(a_yaml="") == ["a.yaml:1:1: empty file: expected a mapping with products, prices, customers, tax_rates, coupons, invoices or credit_notes"]


def test_file_of_only_comments_is_empty(check: Check) -> None:
    assert check(a_yaml="# nothing yet\n") == [
        "a.yaml:1:1: empty file: expected a mapping with products, prices, customers, tax_rates, coupons, invoices or credit_notes"
    ]


def test_yaml_syntax_error_has_its_line(check: Check) -> None:
    assert check(a_yaml="products:\n  gold:\n    name: Gold: Special\n") == [
        "a.yaml:3:15: invalid YAML: mapping values are not allowed here"
    ]


def test_unclosed_bracket(check: Check) -> None:
    assert check(a_yaml="customers: {a: 1\n") == [
        "a.yaml:2:1: invalid YAML: expected ',' or '}', but got '<stream end>' (while parsing a flow mapping at line 1)"
    ]


def test_several_documents_in_one_file(check: Check) -> None:
    assert check(a_yaml=CUSTOMER + "---\n" + CUSTOMER) == [
        "a.yaml:4:1: invalid YAML: but found another document (expected a single document in the stream at line 1)"
    ]


def test_top_level_list(check: Check) -> None:
    assert check(a_yaml="- products\n") == [
        "a.yaml:1:1: the top level must be a mapping with products, prices, customers, tax_rates, coupons, invoices or credit_notes; got a list"
    ]


def test_top_level_scalar(check: Check) -> None:
    assert check(a_yaml="hello\n") == [
        "a.yaml:1:1: the top level must be a mapping with products, prices, customers, tax_rates, coupons, invoices or credit_notes; got a string ('hello')"
    ]


def test_unknown_top_level_key_near_miss(check: Check) -> None:
    assert check(a_yaml="product:\n  gold:\n    name: Gold\n") == [
        "a.yaml:1:1: unknown top-level key 'product' (did you mean 'products'?)"
    ]


def test_unknown_top_level_key(check: Check) -> None:
    assert check(a_yaml=CUSTOMER + "subscriptions: {}\n") == [
        "a.yaml:4:1: unknown top-level key 'subscriptions' (expected products, prices, customers, tax_rates, coupons, invoices or credit_notes)"
    ]


def test_section_that_is_not_a_mapping(check: Check) -> None:
    assert check(a_yaml="products:\n  - gold\n") == [
        "a.yaml:2:3: products: expected a mapping of spec keys to products, got a list"
    ]


def test_empty_section_is_allowed(check: Check) -> None:
    assert check(a_yaml="products:\n" + CUSTOMER) == []


def test_non_utf8_file(check: Check) -> None:
    assert check(a_yaml=b"customers:\n  caf\xe9:\n    name: x\n") == [
        "a.yaml:2:6: not valid UTF-8 (byte 0xe9); spec files are UTF-8 YAML text"
    ]


def test_binary_file(check: Check) -> None:
    assert check(a_yaml=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") == [
        "a.yaml:3:1: binary file (contains a NUL byte); spec files are UTF-8 YAML text"
    ]


def test_unprintable_character(check: Check) -> None:
    assert check(a_yaml="customers:\n  a:\n    name: x\x07y\n") == [
        "a.yaml:3:12: invalid YAML: unacceptable character #x0007: special characters are not allowed"
    ]


def test_utf8_bom_is_accepted(check: Check) -> None:
    assert check(a_yaml="\ufeff" + CUSTOMER) == []


def test_file_over_5_mb(check: Check) -> None:
    big = CUSTOMER + "#" * (MAX_FILE_BYTES - len(CUSTOMER) + 1)
    assert check(a_yaml=big) == ["a.yaml:1:1: file is 5242881 bytes; spec files are limited to 5242880 bytes (5 MB)"]


def test_duplicate_key_in_one_mapping(check: Check) -> None:
    assert check(a_yaml="customers:\n  a:\n    name: A\n    email: a@example.com\n    name: B\n") == [
        "a.yaml:5:5: duplicate key 'name' in one mapping; also defined at a.yaml:3"
    ]


def test_duplicate_spec_key_in_one_file(check: Check) -> None:
    assert check(a_yaml="customers:\n  a:\n    name: A\n  a:\n    name: B\n") == [
        "a.yaml:4:3: duplicate key 'a' in one mapping; also defined at a.yaml:2"
    ]


def test_duplicate_section_in_one_file(check: Check) -> None:
    assert check(a_yaml=CUSTOMER + "customers:\n  b:\n    name: B\n") == [
        "a.yaml:4:1: duplicate key 'customers' in one mapping; also defined at a.yaml:1"
    ]


def test_duplicate_spec_key_across_files(check: Check) -> None:
    assert check(a_yaml=CUSTOMER, b_yaml="# other\n" + CUSTOMER) == [
        "b.yaml:3:3: customer 'jenny-rosen' is defined twice; also defined at a.yaml:2"
    ]


def test_same_key_in_different_kinds_is_fine(check: Check) -> None:
    assert check(a_yaml="products:\n  gold:\n    name: Gold\ncustomers:\n  gold:\n    name: Gold Inc\n") == []


def test_merge_keys_are_refused(check: Check) -> None:
    text = "customers:\n  a: &base\n    name: A\n  b:\n    <<: *base\n    email: b@example.com\n"
    assert check(a_yaml=text) == [
        "a.yaml:5:5: YAML merge keys ('<<') are not supported; write the fields out",
    ]


def test_aliases_are_expanded(check: Check) -> None:
    text = "customers:\n  a:\n    name: A\n    metadata: &meta\n      team: x\n  b:\n    name: B\n    metadata: *meta\n"
    assert check(a_yaml=text) == []
    assert load_specs(["a.yaml"]).customers["b"].metadata == {"team": "x"}


def test_recursive_alias(check: Check) -> None:
    assert check(a_yaml="customers: &a\n  b: *a\n") == [
        "a.yaml:1:12: a YAML alias refers to a value that contains it (recursive alias)"
    ]


@pytest.mark.slow
def test_alias_bomb(check: Check) -> None:
    lines = ["a: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    errors = check(a_yaml="\n".join(lines) + "\n")
    assert len(errors) == 1
    assert errors[0].endswith(": document expands to more than 200000 values (YAML aliases?)")


def test_deep_nesting(check: Check) -> None:
    errors = check(a_yaml="products: " + "[" * 60 + "]" * 60 + "\n")
    assert errors == ["a.yaml:1:60: invalid YAML: nested too deeply (more than 50 levels)"]


def test_deep_nesting_through_aliases(check: Check) -> None:
    deep = "[" * 30 + "x" + "]" * 30
    errors = check(a_yaml=f"a: &a {deep}\nproducts: " + "[" * 25 + "*a" + "]" * 25 + "\n")
    assert errors == ["a.yaml:1:32: nested too deeply (more than 50 levels)"]


@pytest.mark.slow
def test_very_deep_nesting_does_not_crash(check: Check) -> None:
    errors = check(a_yaml="products: " + "[" * 5000 + "]" * 5000 + "\n")
    assert errors == ["a.yaml:1:60: invalid YAML: nested too deeply (more than 50 levels)"]


def test_unsupported_tag(check: Check) -> None:
    assert check(a_yaml="customers:\n  a:\n    name: !!binary aGVsbG8=\n") == [
        "a.yaml:3:11: unsupported YAML tag 'tag:yaml.org,2002:binary'"
    ]


def test_unreadable_scalar(check: Check) -> None:
    assert check(a_yaml="customers:\n  a:\n    name: 2026-13-45\n") == ["a.yaml:3:11: cannot read '2026-13-45' as a date"]


def test_non_string_mapping_key(check: Check) -> None:
    assert check(a_yaml="customers:\n  [a, b]:\n    name: A\n") == [
        "a.yaml:2:3: a mapping key must be a plain string, not a list"
    ]


def test_numeric_looking_spec_keys_are_text(check: Check) -> None:
    assert check(a_yaml="customers:\n  2026:\n    name: A\n  1.5:\n    name: B\n") == []
    assert sorted(load_specs(["a.yaml"]).customers) == ["1.5", "2026"]


def test_escape_out_of_unicode_range(check: Check) -> None:
    assert check(a_yaml='customers:\n  a:\n    name: "\\U00110000"\n') == [
        "a.yaml:3:14: invalid YAML: invalid escape sequence (chr() arg not in range(0x110000))"
    ]
