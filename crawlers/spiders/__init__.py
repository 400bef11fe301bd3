"""One spider per sources.yml key: :func:`spiders` finds every spider module in this package.

Discovery keeps the registry test honest in both directions (every key has a spider, every spider a
key) without a hand-kept list that two people would edit at once.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by the functions that need it: the package itself must not import Scrapy
    from crawlers.spiders.base import SourceSpider


@lru_cache(maxsize=1)
def spiders() -> dict[str, type[SourceSpider]]:
    """Every spider class by its ``name`` (= its sources.yml key)."""
    from crawlers.spiders.base import SourceSpider

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
    from crawlers.spiders.base import SourceSpider

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


@lru_cache(maxsize=1)
def declared_spider_arguments() -> dict[str, frozenset[str]]:
    """:func:`spider_arguments_of` every spider, by its key, read from the spider modules' source text.

    Loading sources.yml checks each source's ``params`` against these, and most commands (``status``,
    ``assess``, ``dossier``) never crawl: importing the spiders would import Scrapy and Twisted, a quarter
    of a second of each command, for a table the source text states. A test holds the two equal.
    """
    folder = Path(__file__).parent
    classes: dict[str, tuple[list[str], list[str], str | None]] = {}  # name: (bases, __init__ arguments, key)
    spider_classes: list[str] = []
    for module_info in pkgutil.iter_modules([str(folder)]):
        tree = ast.parse((folder / f"{module_info.name}.py").read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [base.id if isinstance(base, ast.Name) else ast.unparse(base) for base in node.bases]
            arguments: list[str] = []
            key = None
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    signature = item.args
                    arguments = [a.arg for a in [*signature.posonlyargs, *signature.args][1:]]
                    arguments += [a.arg for a in signature.kwonlyargs]
                target = item.targets[0] if isinstance(item, ast.Assign) and len(item.targets) == 1 else None
                target = item.target if isinstance(item, ast.AnnAssign) else target
                value = getattr(item, "value", None)
                if isinstance(target, ast.Name) and target.id == "name" and isinstance(value, ast.Constant):
                    key = value.value if isinstance(value.value, str) else None
            classes[node.name] = (bases, arguments, key)
            if module_info.name != "base" and not module_info.name.startswith("_"):
                spider_classes.append(node.name)

    def lineage(name: str) -> list[str]:
        """The class and its ancestors among the spider modules' classes (Scrapy's own are not)."""
        return [name, *(a for base in classes[name][0] if base in classes for a in lineage(base))]

    found: dict[str, frozenset[str]] = {}
    for name in spider_classes:
        ancestry = lineage(name)
        key = next((classes[a][2] for a in ancestry if classes[a][2] is not None), None)
        if key and "SourceSpider" in ancestry:
            found[key] = frozenset(argument for a in ancestry for argument in classes[a][1])
    return found
