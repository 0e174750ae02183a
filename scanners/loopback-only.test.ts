import { connect, createServer, Socket, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { installLoopbackOnly, type LoopbackTripwire } from './loopback-only.ts';

let tripwire: LoopbackTripwire | undefined;
afterEach(() => tripwire?.uninstall());

/** How a connection attempt ends: the error's message, or 'connected' (the socket is then closed). */
const outcome = (socket: Socket) =>
  new Promise<string>((done) => {
    socket.on('error', (error: Error) => done(error.message));
    socket.on('connect', () => {
      socket.destroy();
      done('connected');
    });
  });

describe('the loopback-only tripwire of the egress tests', () => {
  it('refuses and records a connection outside loopback before it is made', async () => {
    tripwire = installLoopbackOnly();
    expect(await outcome(connect(80, '10.1.2.3'))).toMatch(/10\.1\.2\.3 \(outside loopback\)/);
    expect(await outcome(connect({ host: '169.254.169.254', port: 80 }))).toMatch(/169\.254\.169\.254/);
    expect(await outcome(connect({ host: 'example.com', port: 443 }))).toMatch(/example\.com/);
    expect(tripwire.attempts).toEqual(['10.1.2.3', '169.254.169.254', 'example.com']);
  });

  it('lets loopback connections through, and uninstall restores net', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const original = Socket.prototype.connect;
    tripwire = installLoopbackOnly();
    expect(Socket.prototype.connect).not.toBe(original);
    expect(await outcome(connect(port, '127.0.0.1'))).toBe('connected');
    expect(tripwire.attempts).toEqual([]);
    tripwire.uninstall();
    expect(Socket.prototype.connect).toBe(original);
    await new Promise<void>((done) => server.close(() => done()));
  });
});
