"""The Scrapy settings every cobase crawl runs with: polite, and no door left open on the machine."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.spiders import Spider

from crawlers import settings


def _crawler() -> Crawler:
    project = Settings()
    project.setmodule(settings, priority="project")
    return Crawler(Spider, project)


def test_no_remote_control_server_and_no_telnet_console() -> None:
    """Scrapy 2.19 would start, for each crawl, a local HTTP server that runs code sent to it: not here."""
    crawler = _crawler()
    assert crawler.settings.getbool("REMOTE_CONTROL_ENABLED", True) is False
    assert crawler.settings.getbool("TELNETCONSOLE_ENABLED", True) is False


def test_polite_by_default() -> None:
    crawler = _crawler()
    assert crawler.settings.getbool("ROBOTSTXT_OBEY") and crawler.settings.getbool("AUTOTHROTTLE_ENABLED")
    assert crawler.settings.getfloat("DOWNLOAD_DELAY") > 0
    assert "cobase" in crawler.settings.get("USER_AGENT")
