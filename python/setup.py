"""The part of the build pyproject.toml cannot say: build libkuzat in the
checkout this directory belongs to, and put it, with the default model,
inside the package (kuzat/libkuzat.so.1, kuzat/default.kzm), where the
binding looks first. Everything else is in pyproject.toml.

The wheel is tagged for this platform (it holds a shared library), and the
library links Debian's ICU, zlib, libdeflate, jansson, xxHash and libsvm: a machine
that installs it needs those runtime packages (scripts/deps.sh installs
the build packages, which bring them).
"""

import os
import re
import shutil
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _version():
    """The Makefile's VERSION, which must be the binding's __version__."""
    if not os.path.exists(os.path.join(ROOT, "Makefile")) or \
            not os.path.exists(os.path.join(ROOT, "include", "kuzat.h")):
        sys.exit("kuzat: build this package from a kuzat source checkout "
                 "(pip install ./python in its top directory): %s has no Makefile "
                 "and include/kuzat.h" % ROOT)
    made = re.search(r"^VERSION := (\S+)$", _read(os.path.join(ROOT, "Makefile")), re.M)
    ours = re.search(r'^__version__ = "([^"]+)"$',
                     _read(os.path.join(HERE, "kuzat", "__init__.py")), re.M)
    if not made or not ours or made.group(1) != ours.group(1):
        sys.exit("kuzat: the Makefile's VERSION (%s) is not kuzat/__init__.py's "
                 "__version__ (%s)" % (made and made.group(1), ours and ours.group(1)))
    return made.group(1)


def build_library():
    """Build libkuzat.so in ROOT/build; (its path, the default model's)."""
    version = _version()
    # The Debian packages the build needs: installed when missing (as root,
    # or through sudo), else scripts/deps.sh says which to install.
    subprocess.run([os.path.join(ROOT, "scripts", "deps.sh")], check=True)
    shlib = "build/libkuzat.so." + version
    subprocess.run(["make", "-C", ROOT, "B=build", "SANITIZER=", "check-deps", shlib],
                   check=True)
    return os.path.join(ROOT, shlib), os.path.join(ROOT, "models", "default.kzm")


class BuildPyWithLibrary(build_py):
    """build_py, then the library and the model into the built package."""

    def run(self):
        super().run()
        lib, model = build_library()
        if getattr(self, "editable_mode", False):
            return  # editable: the binding finds ../build and ../models itself
        dest = os.path.join(self.build_lib, "kuzat")
        self.mkpath(dest)
        shutil.copyfile(lib, os.path.join(dest, "libkuzat.so.1"))
        os.chmod(os.path.join(dest, "libkuzat.so.1"), 0o755)
        shutil.copyfile(model, os.path.join(dest, "default.kzm"))

    def get_outputs(self, include_bytecode=1):
        dest = os.path.join(self.build_lib, "kuzat")
        return super().get_outputs(include_bytecode) + [
            os.path.join(dest, "libkuzat.so.1"), os.path.join(dest, "default.kzm")]


class BinaryDistribution(Distribution):
    """A wheel for this platform, not a pure-Python one."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildPyWithLibrary}, distclass=BinaryDistribution)
