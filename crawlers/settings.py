"""Scrapy settings shared by every collector.

``yujing.crawlers.run`` loads this module as the base and layers per-crawl settings (the sink, the salt,
the time zone) on top, so ``scrapy crawl`` from the repository root and the daemon behave alike.
"""

BOT_NAME = "yujing"
SPIDER_MODULES = ["yujing.crawlers.spiders"]
NEWSPIDER_MODULE = "yujing.crawlers.spiders"

# Identify ourselves honestly; forums block anonymous scrapers faster than named ones.
USER_AGENT = "yujing/0.1 (+https://github.com/yujing)"
ROBOTSTXT_OBEY = True

# We poll the same few sites every few minutes: be slow and let the server's latency set the pace.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# A source that hangs should fail within one polling interval, not hold the next crawl back.
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 2

COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
HTTPCACHE_ENABLED = False

# The daemon runs crawls inside its own asyncio loop, which needs Twisted's asyncio reactor.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Items of one response processed at once. Scrapy's default (100) starts a task per item and
# per pipeline step: about a million asyncio tasks over a large crawl, for no gain, since our
# pipeline is CPU work on the loop. 10 keeps the overlap and sped crawls up by a quarter.
CONCURRENT_ITEMS = 10

ITEM_PIPELINES = {
    "yujing.crawlers.pipelines.PostPipeline": 300,
}

# Set per crawl by yujing.crawlers.run; the defaults keep `scrapy crawl` usable on its own.
# callable(list[Post]) -> list[bool] (or an awaitable of it), or an import path to one: takes a
# batch of posts and commits it (crawlers.batches).
YUJING_POST_SINK = None
# A batch goes to the sink at this many posts, or this many seconds after its first post. At
# most one batch is held uncommitted: what a crash can cost the next crawl in pages fetched again.
YUJING_BATCH_SIZE = 100
YUJING_BATCH_SECONDS = 1.0
YUJING_AUTHOR_SALT = "yujing-default-salt"
YUJING_TIMEZONE = "Asia/Shanghai"
# callable(native id) -> bool: the post is stored already, so spiders neither fetch nor parse it
# again. A native id is what a post id is made from: a forum thread's URL, a feed entry's guid
# (else its link).
YUJING_KNOWN_URL = None
# crawlers.incremental.CrawlMemory of the source: makes forum crawls incremental.
YUJING_CRAWL_MEMORY = None
# yujing.store.Validators (ETag, Last-Modified) of a feed's last complete fetch: sent back.
YUJING_FEED_VALIDATORS = None

LOG_LEVEL = "INFO"
# Items never reach a log line: they hold raw names and text until the pipeline has redacted them.
LOG_FORMATTER = "yujing.crawlers.logformatter.PrivateLogFormatter"
FEED_EXPORT_ENCODING = "utf-8"
