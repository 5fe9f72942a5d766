"""3D scenes of a binary volume (1 = pore) with pyvista; no Qt here.

The same code draws into an off-screen ``pv.Plotter`` (headless demo, tests) and into the GUI's
pyvistaqt ``QtInteractor``. The expensive part (downsampling, surface extraction, decimation) is
split from the drawing so the GUI can do it in a worker thread:

    data = prepare_scene(volume, mode="surface")   # any thread
    add_scene(plotter, data)                       # the plotter's (GUI) thread

``build_scene(plotter, volume, mode)`` does both. Coordinates are in voxels of the original volume
(x, y, z = columns, rows, slices); pass ``voxel_size_um`` to get micrometres instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError
from .jobs import TaskState, ensure_state

MODES = ("surface", "volume")
# Largest edge (voxels) drawn as is; bigger volumes are strided down for display only.
# (A pore surface has about 25 n² triangles for an n³ rock volume: 128 gives about 0.4 million.)
MAX_DIM_SURFACE = 128
MAX_DIM_VOLUME = 256
# Pore surfaces with more triangles than this are decimated (slow; rarely needed at 128³).
MAX_FACES = 1_500_000

PORE_COLOR = "#d9a441"      # sand-coloured pore surface
VOLUME_CMAP = ["#1f4e79", "#4fa3e0"]
BACKGROUND = ("#20242b", "#4a5160")  # bottom, top gradient


@dataclass
class SceneData:
    """What ``add_scene`` draws: a mesh (surface) or an image grid (volume rendering)."""

    mode: str
    dataset: object                    # pv.PolyData (surface) or pv.ImageData (volume)
    outline: object                    # pv.PolyData box around the sample
    step: int = 1                      # display stride used for big volumes
    shape: tuple = ()                  # original (z, y, x) shape
    notices: list = field(default_factory=list)



def _ordinal(n: int) -> str:
    """2nd, 3rd, 4th, 11th, 21st: for "every 2nd voxel"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"

def _check_volume(volume) -> np.ndarray:
    a = np.asarray(volume)
    if a.ndim != 3:
        raise InputError(f"A 3D volume is needed for the 3D view; got shape {a.shape}.")
    if min(a.shape) < 2:
        raise InputError(f"The volume {a.shape} is too thin to draw in 3D.")
    return a


def display_step(shape, max_dim: int) -> int:
    """Stride that brings the largest edge of ``shape`` down to at most ``max_dim``."""
    return max(1, int(np.ceil(max(shape) / float(max_dim))))


def downsample(volume, max_dim: int) -> tuple[np.ndarray, int]:
    """(strided copy, step): every ``step``-th voxel so that no edge exceeds ``max_dim``."""
    a = _check_volume(volume)
    step = display_step(a.shape, max_dim)
    if step == 1:
        return a, 1
    return np.ascontiguousarray(a[::step, ::step, ::step]), step


def block_mean(volume, max_dim: int) -> tuple[np.ndarray, int]:
    """(pore fraction of step³ blocks as float32, step) so that no edge exceeds ``max_dim``.

    Contouring this at 0.5 keeps the shape of the pores better than striding. The edges are
    padded (edge values) to a multiple of ``step``; block ``i`` is centred on voxel
    ``i * step + (step - 1) / 2``.
    """
    a = _check_volume(volume)
    step = display_step(a.shape, max_dim)
    f = (a > 0).astype(np.float32) if step == 1 else None
    if step == 1:
        return f, 1
    pad = [(0, (-n) % step) for n in a.shape]
    b = np.pad(a > 0, pad, mode="edge") if any(p[1] for p in pad) else (a > 0)
    nz, ny, nx = (n // step for n in b.shape)
    m = b.reshape(nz, step, ny, step, nx, step).mean(axis=(1, 3, 5), dtype=np.float32)
    return m, step


def _image(a: np.ndarray, spacing: float, origin: float = 0.0):
    import pyvista as pv

    nz, ny, nx = a.shape
    grid = pv.ImageData(dimensions=(nx, ny, nz), spacing=(spacing,) * 3, origin=(origin,) * 3)
    # C-order ravel of (z, y, x) runs x fastest, which is VTK's point order.
    grid.point_data["pore"] = a.ravel(order="C")
    return grid


def _outline(shape, scale: float):
    import pyvista as pv

    nz, ny, nx = shape
    return pv.Box(bounds=(0, (nx - 1) * scale, 0, (ny - 1) * scale, 0, (nz - 1) * scale)).extract_feature_edges()


def pore_surface_mesh(volume, *, voxel_size_um: float = 1.0, max_dim: int = MAX_DIM_SURFACE,
                      max_faces: int = MAX_FACES, smooth: bool = True, state: TaskState | None = None):
    """Closed pore/grain interface as a ``pv.PolyData`` (downsampled and decimated if big)."""
    state = ensure_state(state)
    a = _check_volume(volume)
    if a.min() == a.max():
        raise InputError("The volume is all pore or all grain: it has no pore surface to draw.")
    state.report(0.02, "Extracting the pore surface")
    frac, step = block_mean(a, max_dim)
    # Pad with grain so the surface is closed at the sample's faces.
    padded = np.pad(frac, 1, constant_values=0.0)
    origin = ((step - 1) / 2.0 - step) * voxel_size_um
    grid = _image(padded, spacing=step * voxel_size_um, origin=origin)
    mesh = grid.contour([0.5], scalars="pore", method="flying_edges")
    if mesh.n_points == 0:
        raise InputError("The pores are too small to show at this display resolution.")
    state.report(0.5, "Simplifying the surface")
    if mesh.n_cells > max_faces:
        mesh = mesh.triangulate().decimate_pro(1.0 - max_faces / mesh.n_cells, preserve_topology=False)
    if smooth and mesh.n_points:
        mesh = mesh.smooth_taubin(n_iter=15, pass_band=0.1)
    state.report(0.9, "Computing normals")
    mesh = mesh.compute_normals(auto_orient_normals=False, split_vertices=False)
    state.report(1.0, "Surface ready")
    return mesh, step


def prepare_scene(volume, mode: str = "surface", *, voxel_size_um: float = 1.0,
                  max_dim: int | None = None, state: TaskState | None = None) -> SceneData:
    """Do the heavy work for a scene (safe to call in a worker thread)."""
    if mode not in MODES:
        raise InputError(f"Unknown 3D mode '{mode}'; choose one of {', '.join(MODES)}.")
    a = _check_volume(volume)
    notices = []
    if mode == "surface":
        mesh, step = pore_surface_mesh(a, voxel_size_um=voxel_size_um,
                                       max_dim=max_dim or MAX_DIM_SURFACE, state=state)
        data = mesh
    else:
        from scipy.ndimage import gaussian_filter

        small, step = downsample(a, max_dim or MAX_DIM_VOLUME)
        # A slightly blurred pore indicator gives smooth gradients (shading) instead of voxel steps.
        # Padding with grain closes the pores at the sample's faces (no dark gradient artefacts).
        soft = gaussian_filter(np.pad((small > 0).astype(np.float32), 1), sigma=0.8)
        data = _image(soft, spacing=step * voxel_size_um, origin=-step * voxel_size_um)
    if step > 1:
        notices.append(f"3D view shows every {_ordinal(step)} voxel of the {a.shape[2]}×{a.shape[1]}×{a.shape[0]} volume.")
    return SceneData(mode, data, _outline(a.shape, voxel_size_um), step, tuple(a.shape), notices)


def add_scene(plotter, data: SceneData, *, reset_camera: bool = True, show_axes: bool = True) -> None:
    """Draw ``data`` into ``plotter`` (clearing what was there)."""
    # clear_actors, not clear(): clear() also removes the lights.
    plotter.clear_actors()
    if not list(plotter.renderer.lights):
        plotter.enable_lightkit()
    plotter.set_background(BACKGROUND[0], top=BACKGROUND[1])
    if data.mode == "surface":
        plotter.add_mesh(data.dataset, color=PORE_COLOR, smooth_shading=True, specular=0.3,
                         specular_power=15, name="pores", reset_camera=False)
    else:
        # Grain transparent, pore blue and semi-opaque; opacity is sampled over the 0..1 range.
        plotter.add_volume(data.dataset, scalars="pore", clim=(0, 1), cmap=VOLUME_CMAP,
                           opacity=[0.0, 0.0, 0.05, 0.5, 0.9], shade=True,
                           ambient=0.35, diffuse=0.8, show_scalar_bar=False,
                           name="pores", reset_camera=False)
    plotter.add_mesh(data.outline, color="white", line_width=1.5, name="outline", reset_camera=False)
    if show_axes:
        try:
            plotter.show_axes()
        except Exception:  # some render windows have no interactor for the axes widget
            pass
    if reset_camera:
        plotter.camera_position = "iso"
        plotter.camera.azimuth = 30.0
        plotter.camera.elevation = 10.0
        plotter.reset_camera()


def build_scene(plotter, volume, mode: str = "surface", *, voxel_size_um: float = 1.0,
                max_dim: int | None = None, reset_camera: bool = True,
                state: TaskState | None = None) -> SceneData:
    """Prepare and draw the scene of ``volume`` in ``plotter``; returns what was drawn."""
    data = prepare_scene(volume, mode, voxel_size_um=voxel_size_um, max_dim=max_dim, state=state)
    add_scene(plotter, data, reset_camera=reset_camera)
    return data


def render_png(volume, path, mode: str = "surface", *, voxel_size_um: float = 1.0,
               window_size=(1000, 800), max_dim: int | None = None,
               state: TaskState | None = None) -> Path:
    """Render ``volume`` off screen (no display needed) and save a PNG; returns the path."""
    import os
    import sys

    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        # No X server: go straight to EGL (VTK would try X first and print a warning).
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    import pyvista as pv

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise InputError(f"The render is saved as PNG; '{path.name}' does not end in .png.")
    path.parent.mkdir(parents=True, exist_ok=True)
    plotter = pv.Plotter(off_screen=True, window_size=list(window_size))
    try:
        build_scene(plotter, volume, mode, voxel_size_um=voxel_size_um, max_dim=max_dim, state=state)
        plotter.screenshot(str(path))
    finally:
        plotter.close()
    return path
