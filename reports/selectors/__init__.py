"""Reads for the river-chief map and the compliance pages, one module per topic."""
