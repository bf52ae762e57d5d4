"""Native dataset writer/reader and exporters (COCO, ...)."""
