"""One spider per sources.yml key: :func:`spiders` finds every spider module in this package.

Discovery keeps the registry test honest in both directions (every key has a spider, every spider a
key) without a hand-kept list that two people would edit at once.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import lru_cache

from crawlers.spiders.base import SourceSpider


@lru_cache(maxsize=1)
def spiders() -> dict[str, type[SourceSpider]]:
    """Every spider class by its ``name`` (= its sources.yml key)."""
    found: dict[str, type[SourceSpider]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name == "base" or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, SourceSpider)
                and value.__module__ == module.__name__
                and value.name
            ):
                found[value.name] = value
    return found


def spider_arguments_of(spider_class: type[SourceSpider]) -> frozenset[str]:
    """The named arguments a spider's ``__init__`` takes, its base classes' included (``**kwargs`` aside).

    What ``params`` in sources.yml may set: a key outside these is an error when the file loads.
    """
    names: set[str] = set()
    for cls in spider_class.__mro__:
        if not issubclass(cls, SourceSpider):
            break
        init = cls.__dict__.get("__init__")
        if init is None:
            continue
        for parameter in list(inspect.signature(init).parameters.values())[1:]:
            if parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
                names.add(parameter.name)
    return frozenset(names)
