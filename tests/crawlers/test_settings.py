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


def test_components_that_are_off_are_not_even_imported() -> None:
    """Scrapy imports every listed component before asking whether it is on: the ones cobase turns off are
    not listed, so a refresh does not pay for aiohttp (remote control), tldextract (cookies) or
    twisted.conch (telnet); Scrapy's other components stay, at their places."""
    from scrapy.settings import default_settings

    crawler = _crawler()
    extensions = crawler.settings.get_component_priority_dict_with_base("EXTENSIONS")
    middlewares = crawler.settings.get_component_priority_dict_with_base("DOWNLOADER_MIDDLEWARES")
    off = {"RemoteControl", "TelnetConsole", "CookiesMiddleware"}
    assert not {str(path).rsplit(".", 1)[-1] for path in [*extensions, *middlewares]} & off
    assert "scrapy.extensions.throttle.AutoThrottle" in extensions
    for path, order in default_settings.DOWNLOADER_MIDDLEWARES_BASE.items():
        if path.rsplit(".", 1)[-1] not in off | {
            "RedirectMiddleware",
            "MetaRefreshMiddleware",
            "RetryMiddleware",
        }:
            assert middlewares[path] == order
