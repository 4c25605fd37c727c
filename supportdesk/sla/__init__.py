"""Business-time arithmetic for Supportdesk: pure Python + NumPy, no Django.

Every promise (first response, resolution, billed time inside opening hours) is a sum over
a :class:`Calendar`; keeping that arithmetic here gives one definition of the edge cases
(closing time, DST, holidays) for the web app, the workers and the reports alike.
"""

from .calendar import Calendar

__all__ = ["Calendar"]
