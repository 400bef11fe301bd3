"""Scrapy project: one spider per source in sources.yml. Spiders fetch; they never interpret or store."""
