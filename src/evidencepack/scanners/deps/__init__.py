"""Dependency inventory (lockfiles, SBOMs) and offline vulnerability matching."""
