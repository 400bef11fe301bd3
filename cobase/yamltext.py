"""Reading YAML with libyaml's C parser when PyYAML was built with it.

``sources.yml`` and the catalogue are read by every command, every page and every refresh; PyYAML's
pure-Python parser takes about a third of a second for ``sources.yml`` alone, the C one a tenth of that.
Both build the same plain data and raise :class:`yaml.YAMLError` subclasses with the line and column of a
defect, so callers keep their one-sentence errors.
"""

from __future__ import annotations

from typing import Any

import yaml

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, with the C parser when there is one."""
    return yaml.load(text, Loader=_LOADER)
