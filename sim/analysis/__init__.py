"""Analysis layer: comparison, bottleneck diagnosis, sizing, sweeps."""
