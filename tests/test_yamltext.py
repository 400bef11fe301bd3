"""cobase reads YAML with libyaml's C parser: the same data as PyYAML's safe loader, errors with a line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cobase import yamltext
from cobase.yamltext import load_yaml

REPO = Path(__file__).resolve().parent.parent
FILES = [REPO / "sources.yml", *sorted((REPO / "cobase").rglob("*.yml"))]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_the_same_data_as_the_pure_python_safe_loader(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert load_yaml(text) == yaml.safe_load(text)


def test_the_c_parser_is_used_when_pyyaml_has_it() -> None:
    expected = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    assert yamltext._LOADER is expected


def test_a_defect_still_names_its_line() -> None:
    with pytest.raises(yaml.YAMLError, match="line 2"):
        load_yaml("sources:\n  a: [1, 2\n")


def test_tags_that_build_python_objects_are_refused() -> None:
    with pytest.raises(yaml.YAMLError):
        load_yaml("!!python/object/apply:os.system ['true']")
