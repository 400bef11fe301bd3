"""Names of catalogue items (medicines, tests, specialists), so dossiers and charts never show bare ids."""

from __future__ import annotations

from cobase.catalogue import CatalogueError, load_catalogue


def catalogue_item_names() -> dict[str, tuple[str, str]]:
    """French and English name of every catalogue item, by id; empty if the catalogue cannot be read.

    Names are a courtesy: a defective catalogue must not stop a dossier whose evidence is all there,
    so its items are then shown by id.
    """
    try:
        catalogue = load_catalogue()
    except CatalogueError:
        return {}
    return {item.id: (item.name_fr, item.name_en) for item in catalogue.items.values()}
