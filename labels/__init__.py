"""Buffers + Scene -> label records (masks, 2D and 3D boxes, visibility, truncation, people's keypoints)."""

from labels.annotate import OCCLUSION_THRESHOLDS, annotate, encode_rle, occlusion_level

__all__ = ["OCCLUSION_THRESHOLDS", "annotate", "encode_rle", "occlusion_level"]
