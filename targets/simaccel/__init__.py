"""A simulated int8 accelerator: a systolic array described in TOML, a per-layer cycle,
memory-traffic and energy model, and real outputs from an interpreter."""
