"""The websocket side of a replay venue: the venue protocol's paths and sessions, one bounded queue per connection.

A connection is accepted on the paths the venue's replay protocol accepts (Binance: ``/stream?streams=a/b``,
``/stream``, ``/ws/<stream>``, ``/ws``; other paths: HTTP 404). Frames arrive from the venue's pump into the
connection's queue and one sender task writes them as the session shapes them (Binance: combined envelopes byte
for byte as recorded, or the ``data`` part for raw connections). Client frames (``SUBSCRIBE``, ``{"op":"ping"}``
...) are answered by the session; a new subscription to a book stream of a venue that sends snapshots on the
stream gets one from the true book first. The server pings every ``ping_interval_s`` and the ``websockets``
library answers client pings with pongs. Per-message compression is off.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from http import HTTPStatus
from typing import TYPE_CHECKING

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from actors.replay.injector import ConnectionFaults, Outgoing
from actors.replay.protocol import Session

if TYPE_CHECKING:
    from actors.replay.venue import ReplayVenue

__all__ = ["DISCONNECT", "ENDED", "ENDED_CODE", "Subscriber", "WsEndpoint", "tcp_listener"]

log = logging.getLogger("raytrade.replay.ws")

DISCONNECT = object()
ENDED = object()
"""Queued after the last frame: the recording has ended. The connection is closed with :data:`ENDED_CODE`."""
ENDED_CODE = 4001
"""Close code of a replay whose recording has ended (4000-4999: private use, RFC 6455 §7.4.2). Real venues never
send it; a feed that gets it stops (state ``ended``) instead of reconnecting or calling the stream stale."""
"""Queue item: close the connection after the frames before it (an injected disconnect)."""


def tcp_listener(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket for ``host:port`` (0: the OS picks a port).

    Created with ``proto=IPPROTO_TCP`` (``socket.create_server`` leaves it 0): asyncio sets ``TCP_NODELAY`` only on
    such sockets, and without it Nagle's algorithm and delayed ACKs hold small frames for ~40 ms.

    Raises:
        OSError: the address cannot be resolved or bound.
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         proto=socket.IPPROTO_TCP)[0]  # fmt: skip
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


class Subscriber:
    """One websocket connection's state on the venue.

    Attributes:
        conn: connection index (0, 1, ... in connection order; the fault log's ``conn``).
        session: subscribed streams and the ``combined`` property.
        queue: frames waiting to be written, at most ``queue_cap``.
        faults: the connection's fault pipeline, or None.
        offered: frames of subscribed streams the pump has offered (the fault log's ``frame`` counter).
        sent: frames written to the socket. max_queued: the deepest the queue has been.
        closing: no more frames are offered (closed, being closed, or disconnected by a fault).
    """

    __slots__ = ("conn", "ws", "session", "queue", "faults", "path", "offered", "sent", "max_queued", "closing")

    def __init__(
        self, conn: int, ws: object, session: Session, cap: int, faults: ConnectionFaults | None, path: str
    ) -> None:
        self.conn = conn
        self.ws = ws
        self.session = session
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=cap)
        self.faults = faults
        self.path = path
        self.offered = self.sent = self.max_queued = 0
        self.closing = False

    def status(self) -> dict:
        """Per-client counters for the venue status."""
        return {
            "conn": self.conn, "path": self.path, **self.session.describe(), "frames_offered": self.offered,
            "frames_sent": self.sent,
            "queued": self.queue.qsize(), "max_queued": self.max_queued, "closing": self.closing,
        }  # fmt: skip


class WsEndpoint:
    """The websocket server of one venue.

    Args:
        venue: the venue whose pump feeds the connections.
    """

    def __init__(self, venue: ReplayVenue) -> None:
        self.venue = venue
        self.port = 0
        self._server: Server | None = None

    async def open(self, host: str, port: int) -> None:
        """Listen on ``host:port`` (0: the OS picks; see :attr:`port`).

        Raises:
            OSError: the address cannot be bound.
        """
        sock = tcp_listener(host, port)
        self.port = sock.getsockname()[1]
        cfg = self.venue.config
        self._server = await serve(
            self._handle, sock=sock, process_request=self._check_path, compression=None,
            ping_interval=cfg.ping_interval_s, ping_timeout=cfg.ping_timeout_s, max_size=2**16, logger=log,
        )  # fmt: skip

    async def close(self) -> None:
        """Close every connection (code 1001, going away) and stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _check_path(self, connection: ServerConnection, request: object):
        if self.venue._stopping:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "replay venue stopping\n")
        testnet = self.venue.testnet
        if testnet is not None and testnet.is_user_stream(request.path):  # type: ignore[attr-defined]
            return None
        if self.venue.protocol.accept(request.path, self.venue.known_streams) is None:  # type: ignore[attr-defined]
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        venue = self.venue
        known = venue.known_streams
        path = ws.request.path if ws.request else "/"
        if venue.testnet is not None and venue.testnet.is_user_stream(path):
            await venue.testnet.serve_user_stream(ws, path)
            return
        session = venue.protocol.accept(path, known)
        assert session is not None  # _check_path refused other paths
        sub = venue.add_subscriber(ws, session, path)
        if venue.finished:  # nothing more will come: say so at once
            sub.queue.put_nowait(ENDED)
        sender = asyncio.create_task(self._send_loop(sub), name=f"replay-send-{sub.conn}")
        # Replies go out from their own task, in order: awaiting each one here would hold the next request behind
        # the data the socket is still draining, so an unsubscribe + subscribe pair (a feed's resubscribe) was
        # applied hundreds of records apart at speed max and the frames in between were lost to the client
        # without a sequence jump (Coinbase numbers only subscribed frames). A venue applies them back to back.
        replies: asyncio.Queue = asyncio.Queue()
        replier = asyncio.create_task(self._reply_loop(ws, session, replies), name=f"replay-reply-{sub.conn}")
        try:
            for frame in session.greeting(known):
                await ws.send(frame, text=True)
            for stream in session.streams:  # streams named in the URL
                await venue.send_stream_snapshot(sub, stream)
            async for message in ws:
                reply = session.handle(message, known)
                venue.subscriptions_changed()
                for frame in reply.frames:
                    replies.put_nowait(frame)
                for stream in reply.subscribed:
                    await venue.send_stream_snapshot(sub, stream)
        except ConnectionClosed:
            pass
        finally:
            venue.remove_subscriber(sub)
            for task in (sender, replier):
                if not task.done():
                    task.cancel()
            await asyncio.gather(sender, replier, return_exceptions=True)

    @staticmethod
    async def _reply_loop(ws: ServerConnection, session, replies: asyncio.Queue) -> None:
        """Send the session's replies (acks, pongs, errors) in the order the requests came. A session that numbers
        its frames per connection (Coinbase's ``sequence_num``) numbers a reply here, as it is written, so the
        numbers on the wire stay in order with the data frames the send loop numbers the same way."""
        number = getattr(session, "number_reply", None)
        try:
            while True:
                frame = await replies.get()
                await ws.send(number(frame) if number is not None else frame, text=True)
        except ConnectionClosed:
            return

    async def _send_loop(self, sub: Subscriber) -> None:
        ws, queue, venue = sub.ws, sub.queue, self.venue
        try:
            while True:
                item = await queue.get()
                if item is DISCONNECT:
                    await ws.close(1001, "replay venue: injected disconnect")  # type: ignore[attr-defined]
                    return
                if item is ENDED:
                    await ws.close(ENDED_CODE, "replay venue: recording ended")  # type: ignore[attr-defined]
                    return
                if item.delay_ms:
                    await asyncio.sleep(item.delay_ms / 1000)
                await ws.send(sub.session.outgoing(item.data, item.stream), text=True)  # type: ignore[attr-defined]
                sub.sent += 1
                venue.frames_sent += 1
        except ConnectionClosed:
            return
