"""Turning raw captures into draft dispatches: cleaning, detection, places, proposals.

The entry point is `archive.ingest.service.dispatch_import`.
"""
