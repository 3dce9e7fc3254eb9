"""The SQL of IkeNei: migrations, named queries and seeds.

This file only exists so that the directory ships inside the wheel as the
package ``ikenei.sql``; ``ikenei.paths`` finds it from there or from a checkout.
"""
