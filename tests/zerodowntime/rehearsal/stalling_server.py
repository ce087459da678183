"""An HTTP server that holds every request until a file exists, then answers each at once.

Run as ``python stalling_server.py PORT RELEASE_FILE``: one asyncio process, so a thousand
held requests cost it nothing and it answers them as fast as the client reads.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

BODY = b'{"data": {"ping": "pong"}}'


async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read one request, wait for the release file, answer 200 and close."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        while not RELEASE.exists():
            await asyncio.sleep(0.05)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(BODY), BODY)
        )
        await writer.drain()
    finally:
        writer.close()


async def serve(port: int) -> None:
    """Serve on ``port`` until killed."""
    server = await asyncio.start_server(answer, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    RELEASE = Path(sys.argv[2])
    asyncio.run(serve(int(sys.argv[1])))
