"""Stand-in for the get-pip.py that ansible-test downloads from a host these machines cannot reach.

ansible-test runs this with a new virtualenv's Python, a stripped environment, and the arguments it
would give get-pip.py (e.g. ``pip==24.2 --disable-pip-version-check --no-setuptools --no-wheel``).
tools/sanity.sh has already put, beside this file, the pip wheel of that version (downloaded with the
user's own pip settings) and those settings as ``pip-site.conf``. The wheel installs itself (pip runs
from its own wheel file); the settings become the venv's site configuration, so every later pip in
the venv reaches the same package index.
"""

import glob
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
IGNORED = ("--no-setuptools", "--no-wheel")

site_conf = os.path.join(HERE, "pip-site.conf")
if os.path.exists(site_conf):
    shutil.copy(site_conf, os.path.join(sys.prefix, "pip.conf"))
wheels = sorted(glob.glob(os.path.join(HERE, "pip-*.whl")))
if not wheels:
    sys.exit("no pip wheel beside {0}: run tools/sanity.sh, which downloads it".format(__file__))
args = [arg for arg in sys.argv[1:] if arg not in IGNORED]
cmd = [sys.executable, os.path.join(wheels[-1], "pip"), "install", "--quiet", "--no-index", "--find-links", HERE]
sys.exit(subprocess.call(cmd + args, env=dict(os.environ, PYTHONPATH=wheels[-1])))
