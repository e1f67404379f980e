"""The ReplayVenue as a Ray actor: the plain :class:`~actors.replay.venue.ReplayVenue` made remote, nothing else.

Its methods are coroutines, so Ray runs it as an async actor: both servers and the replay pump live on the actor's
event loop between calls. ``num_cpus=0``: the venue mostly waits on sockets and timers and must not hold a CPU
slot the feeds and books need (it does use CPU at speed max).

Usage::

    venue = ReplayVenueActor.options(num_cpus=0).remote(paths, speed="max", paused=True, origin_ns=origin)
    urls = ray.get(venue.urls.remote())      # binds (port 0: the OS picks), {"ws": ..., "rest": ..., ...}
    ...start the feeds on urls["ws"] / urls["rest"]...
    ray.get(venue.start.remote(at_epoch_ns))  # same at_epoch_ns for venues that must stay aligned
    ray.get(venue.status.remote())            # position_ns, frames_sent, clients, finished, ...
    ray.get(venue.stop.remote())
"""

from __future__ import annotations

from actors.remote import remote_class
from actors.replay.venue import ReplayVenue

__all__ = ["ReplayVenueActor"]

ReplayVenueActor = remote_class(ReplayVenue)
"""Ray actor class of :class:`ReplayVenue`; construct with ``ReplayVenueActor.remote(source, config, **options)``."""
