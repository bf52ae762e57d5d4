"""The ``synthsense`` command line.

    synthsense generate [hydra overrides...]     e.g. scene=street num_scenes=20 seed=7 output_dir=datasets/s
    synthsense generate -m [overrides...]        a sweep through a Hydra launcher (generator/run/launch.py)
    synthsense export FORMAT DATASET [--skip-damaged]   e.g. synthsense export coco datasets/street
    synthsense mix MIX.yaml [key=value ...] [--overwrite]   mix synthetic and real datasets (mixing/)
    synthsense scenarios [NAME]                  the scenario library, or one scenario's parameters
    synthsense conditions [NAME]                 the weather and light presets, or one preset's keys

Errors in the user's input are printed as one line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from generator.errors import ConfigError, OutputError, RunAborted

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_SCENES_FAILED = 1  # the run finished, but some scenes failed every attempt (failures.jsonl)


def _user_errors() -> tuple[type[BaseException], ...]:
    from assets.errors import AssetError
    from formats.native import DatasetError
    from mixing.errors import MixError
    from renderers.base import BackendError

    # OSError: an output_dir that cannot be created or written (permissions, a file in the way, disk full)
    return (ConfigError, OutputError, AssetError, DatasetError, BackendError, MixError, RunAborted, OSError)


def _generate(overrides: list[str]) -> int:
    from generator.config import compose_config
    from generator.run.loop import run_generation

    cfg = compose_config(overrides)
    summary = run_generation(cfg)
    status = "done" if not summary.failures else f"done, {len(summary.failures)} scene(s) FAILED"
    print("\n".join([f"synthsense generate: {status}", *(f"  {line}" for line in summary.lines())]))
    return EXIT_SCENES_FAILED if summary.failures else 0


def _export(fmt: str, dataset: str, skip_damaged: bool) -> int:
    from formats.exporters import export, get_exporter

    try:
        get_exporter(fmt)
    except KeyError as exc:
        raise ConfigError(exc.args[0]) from None
    result = export(fmt, dataset, skip_damaged=skip_damaged)
    if left_out := result.left_out():
        print(
            f"synthsense export {fmt}: warning: skipped {result.skipped_text()} "
            f"(first: {left_out[0]}); `synthsense validate {dataset}` lists them",
            file=sys.stderr,
        )
    print(f"synthsense export {fmt}: wrote {result.path}")
    if result.coverage is not None:
        print(f"synthsense export {fmt}: coverage: {result.coverage}")
    return 0


def _mix(config: str, overrides: list[str], overwrite: bool) -> int:
    from mixing import mix

    result = mix(config, overrides, overwrite=overwrite)
    print("\n".join(["synthsense mix: done", *(f"  {line}" for line in result.lines())]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synthsense", description="Synthetic data engine: scenes, renders, exact labels."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="generate a dataset from the Hydra config (key=value overrides)")
    gen.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. scene=tabletop num_scenes=20 seed=7")
    gen.add_argument(
        "-m",
        "--multirun",
        action="store_true",
        help="run a sweep of jobs through a Hydra launcher, e.g. -m hydra/launcher=joblib num_shards=4 "
        "'shard_index=range(0,4)'",
    )
    val = sub.add_parser("validate", help="check a native dataset: manifest, files, label consistency")
    val.add_argument("dataset", help="native dataset folder")
    exp = sub.add_parser("export", help="export a native dataset to another format")

    exp.add_argument("format", help="export format: coco, mot, kitti_tracking, kitti, ply, yolo, yolo_seg, yolo_pose")
    exp.add_argument("dataset", help="native dataset folder")
    exp.add_argument(
        "--skip-damaged",
        action="store_true",
        help="export the frames whose files check against the manifest, leaving out damaged ones "
        "(by default a damaged frame stops the export)",
    )
    scn = sub.add_parser("scenarios", help="list the scenario library, or show one scenario's parameters")
    scn.add_argument("name", nargs="?", help="a scenario name (e.g. cut_in); omitted: the whole library")
    cnd = sub.add_parser("conditions", help="list the conditions presets, or show one preset's keys")
    cnd.add_argument("name", nargs="?", help="a preset (e.g. fog); omitted: every preset")
    mix = sub.add_parser("mix", help="mix synthetic and real datasets into one training set")
    mix.add_argument("config", help="mix YAML (sources, taxonomy, synthetic_share, splits, output)")
    mix.add_argument("overrides", nargs="*", help="OmegaConf dotlist overrides, e.g. synthetic_share=0.5")
    mix.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "mix" and all("=" in a and not a.startswith("-") for a in extra):
        args.overrides += extra  # overrides after --overwrite (argparse ends a nargs="*" positional at an option)
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.command == "generate" and args.multirun:
            from generator.run.launch import multirun

            return multirun(args.overrides)
        if args.command == "generate":
            return _generate(args.overrides)
        if args.command == "validate":
            from formats.validate import validate_command

            return validate_command(args.dataset)
        if args.command == "mix":
            return _mix(args.config, args.overrides, args.overwrite)
        if args.command == "scenarios":
            from synthsense.scenario_table import library_lines, scenario_lines

            print("\n".join(scenario_lines(args.name) if args.name else library_lines()))
            return 0
        if args.command == "conditions":
            from synthsense.conditions_table import preset_lines, presets_lines

            print("\n".join(preset_lines(args.name) if args.name else presets_lines()))
            return 0
        return _export(args.format, args.dataset, args.skip_damaged)
    except _user_errors() as exc:
        print(f"synthsense {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        # every file is written atomically and frames are recorded last: nothing half-written is left
        print(f"synthsense {args.command}: interrupted; rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
