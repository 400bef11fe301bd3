"""cobase: an open country-of-origin healthcare access information base.

Data flows one way: source -> spider (``crawlers``) -> raw snapshot (``cobase.snapshots``) -> parsed
records (``cobase.parse``) -> harmonized observations (``cobase.harmonize``) -> store (``cobase.store``,
``cobase.ingest``) -> evidence -> export and app.
"""

__version__ = "0.1.0"
