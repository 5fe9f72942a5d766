"""Volume and image input/output. Every problem with a file raises ``core.errors.InputError``."""

from .atomic import atomic_path, check_output, check_output_folder, check_outputs, os_error_reason, stale_parts
from .binarize import PORE_CHOICES, binarize
from .limits import binary_tiff_min_bytes, check_budget, check_disk, default_budget, free_bytes, parse_size
from .readers import (IMAGE_SUFFIXES, SUPPORTED_DTYPES, VOLUME_SUFFIXES, LoadedVolume, natural_key,
                      read_image, read_volume)
from .writers import WRITE_SUFFIXES, numbered_paths, pore_surface, write_volume

__all__ = [
    "atomic_path", "check_output", "check_output_folder", "check_outputs", "os_error_reason", "stale_parts", "check_disk", "free_bytes",
    "binary_tiff_min_bytes",
    "binarize", "PORE_CHOICES", "check_budget", "default_budget", "parse_size",
    "IMAGE_SUFFIXES", "SUPPORTED_DTYPES", "VOLUME_SUFFIXES", "LoadedVolume", "natural_key",
    "read_image", "read_volume", "WRITE_SUFFIXES", "numbered_paths", "pore_surface", "write_volume",
]
