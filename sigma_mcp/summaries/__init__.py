"""The pure core: from parsed API data to the facts an assistant needs, with warnings and bounds.

No I/O and no globals here: every summary is a function of its arguments.
"""
