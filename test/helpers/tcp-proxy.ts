/**
 * A TCP proxy in front of a server that can freeze it: while frozen, connections are still
 * accepted (as the kernel does for a stopped process) but no byte moves either way, which is
 * what a client sees of a hung database (SIGSTOP, a black-holed network path).
 */
import * as net from 'net';

export interface TcpProxy {
  readonly port: number;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let frozen = false;
  const sockets = new Set<net.Socket>();
  /** Bytes that arrived while frozen, delivered in order on thaw. */
  const held: [net.Socket, Buffer][] = [];
  const forward = (from: net.Socket, to: net.Socket) =>
    from.on('data', (chunk: Buffer) => (frozen ? held.push([to, chunk]) : to.write(chunk)));
  const track = (socket: net.Socket, peer: () => net.Socket | undefined) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      peer()?.destroy();
    });
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    track(client, () => upstream);
    track(upstream, () => client);
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const [to, chunk] of held.splice(0)) if (!to.destroyed) to.write(chunk);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
