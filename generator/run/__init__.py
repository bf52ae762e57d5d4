"""How runs execute: the run loop (``loop.run_generation``), worker processes, the in-process path, one
scene's render-and-write job, renderer and asset resources, and Hydra launchers for sweeps. Uses
:mod:`generator.world` to sample scenes; the world never imports it."""
