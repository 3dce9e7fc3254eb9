"""``ikenei keys rotate|status``: the keys that encrypt sensitive text."""

from __future__ import annotations

import argparse

from ikenei.cli.common import EXIT_FAILED, EXIT_OK, Commands, Context, positive_int


def configure_keys_parser(commands: Commands) -> None:
    keys = commands.group("keys", "the keys that encrypt sensitive text")
    rotate_parser = keys.command(
        "rotate", rotate,
        "re-encrypt every stored value under the current key (PII_ENCRYPTION_KEY); resumable",
    )
    rotate_parser.add_argument("--batch-size", type=positive_int, default=500, metavar="N",
                               help="rows per transaction (default 500)")
    keys.command("status", status, "the registered keys and how many values each encrypts")


async def rotate(args: argparse.Namespace, context: Context) -> int:
    settings = context.started(context.load_settings())
    from ikenei.privacy import keys
    from ikenei.security.encryption import cipher_from_settings

    cipher = cipher_from_settings(settings)
    rotation = await keys.rotate(settings, cipher, batch_size=args.batch_size, out=print)
    return EXIT_FAILED if rotation.failed else EXIT_OK


async def status(args: argparse.Namespace, context: Context) -> int:
    settings = context.started(context.load_settings())
    from ikenei.privacy import keys
    from ikenei.security.encryption import cipher_from_settings

    cipher = cipher_from_settings(settings)
    state = await keys.status(settings, cipher)
    print(f"current key: {state.current_key_id}")
    for key in state.keys:
        if key.key_id == state.current_key_id:
            role = "current"
        elif key.key_id in cipher.key_ids:
            role = "old, configured"
        else:
            role = "not configured"
        retired = f", retired {key.retired_at:%Y-%m-%d %H:%M}" if key.retired_at else ""
        print(f"key {key.key_id}: {role}{retired}, registered {key.created_at:%Y-%m-%d %H:%M}")
    if not state.usage:
        print("no encrypted values stored")
    for usage in state.usage:
        under = f"key {usage.key_id}" if usage.key_id else "text awaiting encryption"
        print(f"{usage.table_name}.{usage.column_name}: {usage.value_count} under {under}")
    return EXIT_OK
