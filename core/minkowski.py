"""Minkowski functionals of the pore phase: volume, surface area and mean curvature from one
marching-cubes mesh, Euler characteristic from the voxels.

Conventions are those of :mod:`core.properties`. Never imports Qt.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage

from .volume_checks import check_voxel_size, validate_volume

#: Gaussian smoothing (voxels) of the binary volume before marching cubes; 0 meshes the raw voxels.
MESH_SIGMA = 0.7

def _window_weight(coords: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray | float:
    """Fraction of each mesh element (triangle or edge, located by its centroid/midpoint given as
    one coordinate array per axis, in original voxel-index coordinates) inside the sample box
    [-1/2, n-1/2] on every axis.

    The mesh is built on the edge-replicated volume padded by one voxel, so in the outer cell
    layer (-1, 0) / (n-1, n) the surface is a straight extrusion along that axis: exactly half of
    it lies in the box. Elements in the planes -1 / n (or beyond) are outside.
    """
    w: np.ndarray | float = 1.0
    for c, n in zip(coords, shape):
        lo, hi = float(c.min()), float(c.max())
        if lo >= 0.0 and hi <= n - 1.0:
            continue  # every element is inside along this axis
        f = np.where((c >= 0.0) & (c <= n - 1.0), 1.0, np.where((c > -1.0) & (c < n), 0.5, 0.0))
        w = w * f
    return w


def _mesh_measures(v: np.ndarray) -> tuple[float, float]:
    """Surface area and integral of mean curvature (in voxel units) of the pore/grain interface.

    The volume is padded by one voxel with edge replication (so no faces are created on the
    sample's own box), converted to float, smoothed with a Gaussian of ``MESH_SIGMA`` voxels
    (removes most of the staircase bias of marching cubes on binary data: a digital sphere of
    radius 8-25 voxels then gives its area within ~2 %, instead of ~+10 % unsmoothed) and meshed
    by scikit-image's marching cubes at level 1/2. Each triangle / edge is weighted by its share
    of the sample box (see :func:`_window_weight`).

    Mean curvature integral: for a polyhedral surface ``∫H dS = 1/2 Σ_edges l_e θ_e`` with ``θ_e``
    the signed exterior dihedral angle between the normals of the two faces sharing edge ``e``
    (positive where the pore phase is locally convex). This is exact for the polyhedron (Steiner
    formula for polytopes) and the standard discrete estimate for the smooth surface.
    """
    from skimage.measure import marching_cubes

    if v.min() == v.max():  # no interface at all
        return 0.0, 0.0
    padded = np.pad(v, 1, mode="edge").astype(np.float32)
    if MESH_SIGMA > 0:
        ndimage.gaussian_filter(padded, MESH_SIGMA, mode="nearest", truncate=3.0, output=padded)
    if padded.max() <= 0.5 or padded.min() >= 0.5:  # features too small to survive smoothing
        return 0.0, 0.0
    verts, faces, normals, _ = marching_cubes(padded, level=0.5)
    del padded
    nv = verts.shape[0]
    # component-wise (contiguous 1D) arrays are much faster than (N, 3) fancy indexing
    V = [np.ascontiguousarray(verts[:, k], dtype=np.float64) - 1.0 for k in range(3)]  # orig. index coords
    F = [np.ascontiguousarray(faces[:, k], dtype=np.int64) for k in range(3)]
    del verts, faces
    nf = F[0].shape[0]
    P0 = [c[F[0]] for c in V]
    E1 = [V[k][F[1]] - P0[k] for k in range(3)]
    E2 = [V[k][F[2]] - P0[k] for k in range(3)]
    N = [E1[1] * E2[2] - E1[2] * E2[1], E1[2] * E2[0] - E1[0] * E2[2], E1[0] * E2[1] - E1[1] * E2[0]]
    dbl_area = np.sqrt(N[0] ** 2 + N[1] ** 2 + N[2] ** 2)
    # orient the winding-based normals like skimage's gradient normals (pointing out of the pore)
    m = min(nf, 20000)  # consistent winding: a sample of faces decides
    nrm0 = normals[F[0][:m]]
    if float(sum(np.dot(N[k][:m], nrm0[:, k]) for k in range(3))) < 0:
        N = [-c for c in N]
    del nrm0, normals
    good = dbl_area > 1e-12
    inv = np.zeros_like(dbl_area)
    np.divide(1.0, dbl_area, out=inv, where=good)
    N = [c * inv for c in N]
    centroid = [P0[k] + (E1[k] + E2[k]) / 3.0 for k in range(3)]
    del E1, E2, P0, inv
    area = float(0.5 * np.sum(dbl_area * _window_weight(centroid, v.shape)))
    del centroid

    # undirected edges (a < b), the face each half-edge belongs to and that face's third vertex
    ea = np.concatenate(F)                        # a of the half-edges (0,1), (1,2), (2,0)
    eb = np.concatenate([F[1], F[2], F[0]])
    opp = np.concatenate([F[2], F[0], F[1]])
    del F
    key = np.minimum(ea, eb) * nv + np.maximum(ea, eb)
    order = np.argsort(key)
    ks = key[order]
    del key
    # manifold edges appear exactly twice: pair consecutive equal keys, skipping runs of three or
    # more (non-manifold edges)
    same = ks[1:] == ks[:-1]
    del ks
    first = np.flatnonzero(same)
    if first.size:
        ext = np.concatenate([[False], same, [False]])
        first = first[~ext[first] & ~ext[first + 2]]
    i1, i2 = order[first], order[first + 1]
    del order, same, first
    f1, f2 = i1 % nf, i2 % nf
    ok = good[f1] & good[f2]
    i1, i2, f1, f2 = i1[ok], i2[ok], f1[ok], f2[ok]
    a, b, o = ea[i1], eb[i1], opp[i2]
    del ea, eb, opp, i1, i2
    n1 = [c[f1] for c in N]
    cosang = n1[0] * N[0][f2] + n1[1] * N[1][f2] + n1[2] * N[2][f2]
    np.clip(cosang, -1.0, 1.0, out=cosang)
    theta = np.arccos(cosang)
    del cosang, f1, f2, N
    va = [c[a] for c in V]
    # concave (valley) edge when the other face's third vertex lies outside the first face's plane
    side = sum((V[k][o] - va[k]) * n1[k] for k in range(3))
    theta[side > 0] *= -1.0
    del side, n1
    d = [V[k][b] - va[k] for k in range(3)]
    length = np.sqrt(d[0] ** 2 + d[1] ** 2 + d[2] ** 2)
    mid = [va[k] + 0.5 * d[k] for k in range(3)]
    mean_curv = float(0.5 * np.sum(length * theta * _window_weight(mid, v.shape)))
    return area, mean_curv


def minkowski_functionals(vol: Any, voxel_size_um: float = 1.0) -> dict[str, float]:
    """Minkowski functionals of the pore phase, as densities per unit sample volume.

    Functionals (pore phase X, sample box W, |W| = nz*ny*nx*voxel_size_um³ µm³):

    * ``M0 = V``: pore volume (voxel count × voxel volume) -> ``volume_fraction = V/|W|`` (-).
    * ``M1 = S``: area of the pore/grain interface -> ``surface_area_density = S/|W|`` (µm⁻¹).
    * ``M2 = ∫ H dS`` with ``H = (k1 + k2)/2`` (positive where the pore phase is convex, so a pore
      sphere of radius R has M2 = 4πR) -> ``mean_curvature_density = M2/|W|`` (µm⁻²).
    * ``M3 = χ``: Euler characteristic of the pore phase -> ``euler_density = χ/|W|`` (µm⁻³).

    Estimators and boundary treatment:

    * S and M2 come from one scikit-image marching-cubes mesh (level 1/2, voxel centres on the
      grid) of the volume padded by one voxel with edge replication: the cut faces of the sample
      box are *not* counted as surface, and only the part of the mesh inside the box
      ``[-1/2, n-1/2]`` on each axis counts. S is the triangle area; M2 is
      ``1/2 Σ_edges length × signed dihedral angle`` over the mesh edges (exact for the
      polyhedron). Expect a few per cent of digitisation error against smooth shapes (the mesh
      of a voxelised sphere is slightly rough).
    * χ is :func:`skimage.measure.euler_number` with ``connectivity=3``: pore voxels are
      26-connected (voxels are closed unit cubes), grain 6-connected, and the outside of the box
      counts as grain: χ is that of the pore set clipped by the box (``χ(X ∩ W)``), e.g. a slab
      through the sample has χ = 1.

    Returns the four densities plus the totals ``pore_volume_um3``, ``surface_area_um2``,
    ``mean_curvature_um`` (= M2 in µm), ``euler_characteristic`` and ``total_volume_um3``.
    """
    from skimage.measure import euler_number

    v = validate_volume(vol)
    h = check_voxel_size(voxel_size_um)
    total = float(v.size) * h ** 3
    n_pore = int(np.count_nonzero(v))
    area_vox, mc_vox = _mesh_measures(v)
    chi = int(euler_number(v, connectivity=3))
    return {
        "volume_fraction": n_pore / v.size,
        "surface_area_density": area_vox * h ** 2 / total,
        "mean_curvature_density": mc_vox * h / total,
        "euler_density": chi / total,
        "pore_volume_um3": n_pore * h ** 3,
        "surface_area_um2": area_vox * h ** 2,
        "mean_curvature_um": mc_vox * h,
        "euler_characteristic": chi,
        "total_volume_um3": total,
    }
