"""Dimensions shared by the street layouts (``street``: straight; ``intersection``), in one module that
imports nothing, so the layouts' geometry can be read by scenarios without an import cycle."""

CURB_HEIGHT_M = 0.15  # sidewalks stand this high above the road surface (z = 0)
ROAD_START_X_M = 20.0  # the road starts this far behind the ego's start
