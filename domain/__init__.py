"""Pure regional rules of the Lombardy heating-system registry (CURIT).

Nothing in this package does I/O, reads settings or the clock: functions take
values and return values, so renderers, archive and service can share them.
"""
