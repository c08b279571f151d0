"""Stand-in for the get-pip.py that ansible-test downloads from a host these machines cannot reach.

ansible-test runs this with a new virtualenv's Python, a stripped environment, and the arguments it
would give get-pip.py (e.g. ``pip==24.2 --disable-pip-version-check --no-setuptools --no-wheel``).
Python's own ``ensurepip`` installs the bundled pip; the pip settings of the user who started the run
(index, certificates, find-links: saved by tools/sanity.sh as ``pip-site.conf`` beside this file)
become the venv's site configuration, so this and every later pip in the venv reach the same index.
"""

import ensurepip
import os
import shutil
import subprocess
import sys

IGNORED = ("--no-setuptools", "--no-wheel")
SITE_CONF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pip-site.conf")

if os.path.exists(SITE_CONF):
    shutil.copy(SITE_CONF, os.path.join(sys.prefix, "pip.conf"))
ensurepip.bootstrap(upgrade=True)
args = [arg for arg in sys.argv[1:] if arg not in IGNORED]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--quiet"] + args))
