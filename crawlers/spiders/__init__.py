"""One spider per sources.yml key; :data:`SPIDERS` maps each key to its class."""

from __future__ import annotations

from crawlers.spiders.who_gho import WhoGhoSpider
from crawlers.spiders.worldbank_wdi import WorldbankWdiSpider

SPIDERS = {spider.name: spider for spider in (WhoGhoSpider, WorldbankWdiSpider)}
