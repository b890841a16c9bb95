"""OGC API – Features (Part 1: Core, GeoJSON) at /ogc/, served from the project's own selectors so
that every reading rule keeps its one owner (docs/ogc.md, docs/architecture.md)."""
