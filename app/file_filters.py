"""File-dialog filters more than one tab uses."""

#: Formats a volume is exported to (Inspect's volume, the Rock and Texture tabs' realisations): suffix → filter.
EXPORT_VOLUME_FILTERS = {
    ".tif": "Multi-page TIFF (*.tif)",
    ".npy": "NumPy array (*.npy)",
    ".vti": "ParaView image data (*.vti)",
    ".stl": "Pore surface mesh (*.stl)",
}
