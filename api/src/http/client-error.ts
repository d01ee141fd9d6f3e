import type { Duplex } from 'node:stream';

/**
 * Answers bytes that are not HTTP/1.1 (Node's `clientError`) with the contract's JSON error, 400 or 431 for
 * headers too large, and closes the connection; a connection already reset or closed is just destroyed.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const body = JSON.stringify({
    error: {
      code: 'invalid_input',
      message: tooLarge ? 'the request headers are too large' : 'the request is not valid HTTP/1.1',
    },
  });
  socket.end(
    `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nContent-Type: ` +
      `application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: ` +
      `close\r\n\r\n${body}`,
  );
}
