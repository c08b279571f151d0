"""A local Kubernetes API emulator for the mlops.gitops tests (see README.md beside this file)."""

from .emulator import ADMIN_TOKEN, Emulator

__all__ = ["Emulator", "ADMIN_TOKEN"]
