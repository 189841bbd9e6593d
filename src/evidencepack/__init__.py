"""evidencepack: signed, verifiable SOC 2 evidence from every CI/CD pipeline run."""

__version__ = "0.1.0"
