"""Helpers shared by the test folders: the district's clock and time zone, and walks along the water."""
