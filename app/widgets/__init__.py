"""Reusable widgets: slice views, 3D view, plot panel, dialogs."""
