"""Print the effective pip settings of this environment (config files and PIP_* variables) as a pip.conf."""

import configparser
import os
import subprocess
import sys

settings = {}
out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
for line in out.splitlines():
    key, _, value = line.partition("=")
    section, _, name = key.partition(".")
    if section in ("global", "install", ":env:") and name:
        settings[name] = value.strip().strip("'\"")
for var, value in os.environ.items():
    if var.startswith("PIP_") and var != "PIP_BREAK_SYSTEM_PACKAGES":
        settings[var[4:].lower().replace("_", "-")] = value
config = configparser.ConfigParser()
config["global"] = settings
config.write(sys.stdout)
