"""Volume code the rock and texture methods share (neither imports the other; both import this).

split: the shared volumes, their binding train/held-out split and voxel sizes; crops: training,
as-scanned and held-out crops; training: a Task trained on the training parts; blocks: PixelNorm;
baseline: the DCGAN baseline (Mosser et al. 2017); measure, tables, figures, cliargs: what the
evaluation tables share; reference, subcrops: the GUI's comparison with reference crops (sub-crops of
realisations larger than the reference); export: export with metadata; inspect: the Qt-free work of
the Inspect tab (load with its 3D scene, measure, export).
"""
