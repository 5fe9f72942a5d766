"""Packages of the wheel (the metadata is in pyproject.toml).

``core`` and ``app`` are found as usual; the checkout's top-level ``resources/`` (shipped models and
their cards, the sample) goes into the wheel as the data-only package ``seqgen_resources``, which
``core.resources`` finds when there is no checkout around the code.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["core", "core.*", "app", "app.*"]) + ["seqgen_resources"],
    package_dir={"seqgen_resources": "resources"},
    package_data={"seqgen_resources": ["models/*.pt", "models/*.md", "sample/*"]},
    include_package_data=False,
)
