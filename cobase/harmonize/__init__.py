"""Harmonization: pure functions that turn producers' codes, names and units into cobase's own."""
