"""Scrapy settings shared by every cobase spider.

Polite by default: an identifying User-Agent, AutoThrottle, robots.txt obeyed, retries on transient
errors (including the 5xx the public health APIs return under load). Tests override the download delay.
"""

from scrapy.settings import default_settings

BOT_NAME = "cobase"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

USER_AGENT = (
    "cobase/0.1 (+https://github.com/cobase-health/cobase; open country-of-origin health access base)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
DOWNLOAD_TIMEOUT = 60
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
HTTPCACHE_ENABLED = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19 starts, for every crawl, a local HTTP server that runs Python code sent to it with a token
# (its "remote control", meant for an MCP client). An unattended refresh needs no such door, and starting
# and stopping it costs every crawl time: off (older Scrapy versions ignore the setting).
REMOTE_CONTROL_ENABLED = False
# Components that are off are left out of Scrapy's base lists too: Scrapy imports every component it lists
# (even one set to None) before asking whether it is enabled, and the remote control's module imports
# aiohttp (about 0.1 s of every refresh), the cookies middleware's tldextract (another 0.1 s) and the telnet
# console's twisted.conch. The rest of each base list is Scrapy's own, whatever its version.
EXTENSIONS_BASE = {
    path: order
    for path, order in default_settings.EXTENSIONS_BASE.items()
    if path.rsplit(".", 1)[-1] not in {"RemoteControl", "TelnetConsole"}
}
DOWNLOADER_MIDDLEWARES_BASE = {
    path: order
    for path, order in default_settings.DOWNLOADER_MIDDLEWARES_BASE.items()
    if path.rsplit(".", 1)[-1] != "CookiesMiddleware"  # COOKIES_ENABLED is False
}
LOG_LEVEL = "WARNING"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
# Redirects stay on the source's hosts and are never dropped as duplicates; Retry-After is honoured
# (crawlers/middlewares.py). They replace Scrapy's own redirect and retry middlewares, at their places.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawlers.middlewares.HostPolicyRedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawlers.middlewares.HostPolicyMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.RetryAfterMiddleware": 550,
}
COBASE_RETRY_AFTER_MAX = 120
