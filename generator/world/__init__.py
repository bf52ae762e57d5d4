"""What a scene is: a config turned into a Scene, purely (same inputs, same scene). Layouts (street,
tabletop), placement, materials and lighting, sensor rigs, motion, distributions and seeding.

Nothing here imports :mod:`generator.run` or :mod:`generator.config`: the world is sampled the same way
whoever runs it (tests check the direction)."""
