"""sources.yml: an unknown key in a source's ``params`` is an error naming it, when the file loads."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cobase.registry import SourcesFileError, load_registry
from cobase.yamltext import load_yaml
from crawlers.spiders import spider_arguments_of, spiders
from tests.e2e import REPO


def _with_params(tmp_path: Path, key: str, params: dict[str, object]) -> Path:
    data = load_yaml((REPO / "sources.yml").read_text(encoding="utf-8"))
    data["sources"][key].setdefault("params", {}).update(params)
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_project_sources_file_uses_only_known_params() -> None:
    load_registry(REPO / "sources.yml")


def test_misspelt_param_is_an_error_naming_source_key_and_what_the_spider_takes(tmp_path: Path) -> None:
    path = _with_params(tmp_path, "unaids_aidsinfo", {"zip_file": ["GAM_2025_en.zip"]})
    with pytest.raises(SourcesFileError) as error:
        load_registry(path)
    message = str(error.value)
    assert message.startswith(f"{path}: source 'unaids_aidsinfo': unknown key 'params.zip_file'")
    assert "documents_path, exports, zip_files" in message


def test_a_spider_without_own_arguments_takes_no_params(tmp_path: Path) -> None:
    with pytest.raises(SourcesFileError, match=r"source 'who_gho': unknown key 'params.colour' \(.*: none\)"):
        load_registry(_with_params(tmp_path, "who_gho", {"colour": "red"}))


def test_spider_arguments_include_the_base_ones() -> None:
    assert spider_arguments_of(spiders()["who_gho"]) == {"base_url", "indicators", "page_size"}
    assert {"countries", "series", "start_period"} <= spider_arguments_of(spiders()["oecd_health"])


def test_the_arguments_read_from_the_source_are_those_of_the_classes() -> None:
    """sources.yml is checked against the spiders' arguments read from their source text (no Scrapy
    import): the same table as the classes' own signatures, for every spider and no other key."""
    from crawlers.spiders import declared_spider_arguments

    assert declared_spider_arguments() == {key: spider_arguments_of(cls) for key, cls in spiders().items()}
